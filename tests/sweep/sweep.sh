#!/usr/bin/env bash
# sweep.sh - dtt-sim sweep, merge and check -j on the small DHT scenario: a 2 x 3 sweep through
# GNU parallel, resuming (a deleted result and a leftover partial file are redone, nothing else;
# a sweep of partition-heal interrupted by Ctrl-C after its first run finishes the rest),
# the merged database (every run with its overrides, seed and backend, the digests of plain
# `dtt-sim run`s, the indexes), a merge that reports a missing run, the Slurm script it writes,
# check -j giving check's report, and bad input exiting 2.
# usage: tests/sweep/sweep.sh DTT_SIM SCENARIOS_DIR
set -euo pipefail
sim=$1
scen_dir=$2
scen=$scen_dir/dht-smoke.yaml
. "$(dirname "$0")/../lib/procs.sh"
work=$(mktemp -d /tmp/dtt_sweep_XXXXXX)
trap 'dtt_stop_all; rm -rf "$work"' EXIT
dtt_trap_signals
fail() { echo "FAIL: $*" >&2; exit 1; }
q() { sqlite3 -batch "$work/m.db" "$1"; }

"$sim" sweep "$scen" --seeds 1..3 --grid dht.nodes=60,100 -j 2 --out "$work/sw" \
	>"$work/o1" 2>"$work/e1" || { cat "$work/o1" "$work/e1"; fail "sweep failed"; }
cat "$work/o1"
grep -q "6 runs (2 combinations x 3 seeds), 0 done before, 6 to run on 2 cores" "$work/o1" ||
	fail "sweep plan line"
grep -q "sweep: 6 of 6 runs done, 0 left, 0 failed" "$work/e1" || fail "progress line"
[ "$(ls "$work/sw/runs"/*.db | wc -l)" = 6 ] || fail "not 6 result files"
[ "$(awk -F'\t' 'NR > 1 && $7 == 0' "$work/sw/joblog" | wc -l)" = 6 ] || fail "joblog: not 6 jobs exiting 0"
[ "$(wc -l <"$work/sw/runs.tsv")" = 7 ] || fail "runs.tsv: not a header and 6 runs"

# Resume: all done; then a deleted result and a leftover partial file of an interrupted run.
"$sim" sweep "$scen" --seeds 1..3 --grid dht.nodes=60,100 -j 2 --out "$work/sw" >"$work/o2" 2>&1
grep -q "6 done before, 0 to run" "$work/o2" || { cat "$work/o2"; fail "second sweep reran runs"; }
set -- $(sed -n '2p;5p' "$work/sw/runs.tsv" | cut -f1)
rm "$work/sw/runs/$1.db"
mv "$work/sw/runs/$2.db" "$work/sw/runs/$2.part.db"
"$sim" sweep "$scen" --seeds 1..3 --grid dht.nodes=60,100 -j 2 --out "$work/sw" >"$work/o3" 2>&1
grep -q "4 done before, 2 to run" "$work/o3" || { cat "$work/o3"; fail "resume did not redo exactly 2 runs"; }
[ "$(awk 'NR > 1' "$work/sw/joblog" | wc -l)" = 2 ] || fail "joblog of the resumed sweep: not 2 jobs"
[ -e "$work/sw/runs/$1.db" ] && [ -e "$work/sw/runs/$2.db" ] && [ ! -e "$work/sw/runs/$2.part.db" ] ||
	fail "resumed runs not in place"

# Ctrl-C (SIGINT to the sweep's process group) once the first of 4 runs is done: the sweep stops
# (exit 1), the runs in flight are not taken as done, and the same command runs only the rest.
isc=$scen_dir/partition-heal.yaml
setsid "$sim" sweep "$isc" --seeds 1..4 --until 4m -j 2 --out "$work/int" >"$work/i1" 2>&1 &
ipid=$!
dtt_track "$ipid"
for _ in $(seq 1200); do
	[ -n "$(find "$work/int/runs" -name '*.db' ! -name '*.part.db' -print -quit 2>/dev/null)" ] && break
	sleep 0.1
done
kill -INT -- "-$ipid"
rc=0; wait "$ipid" || rc=$?
[ "$rc" = 1 ] && grep -q "not done (see .*joblog); the same command again runs only those" "$work/i1" ||
	{ cat "$work/i1"; fail "interrupted sweep: exit $rc"; }
ndone=$(find "$work/int/runs" -name '*.db' ! -name '*.part.db' | wc -l)
[ "$ndone" -ge 1 ] && [ "$ndone" -lt 4 ] || fail "interrupted sweep: $ndone of 4 runs done"
"$sim" sweep "$isc" --seeds 1..4 --until 4m -j 2 --out "$work/int" >"$work/i2" 2>&1 ||
	{ cat "$work/i2"; fail "resumed sweep"; }
grep -q "$ndone done before, $((4 - ndone)) to run" "$work/i2" || { cat "$work/i2"; fail "resume after Ctrl-C"; }
[ "$(find "$work/int/runs" -name '*.db' ! -name '*.part.db' | wc -l)" = 4 ] || fail "resumed sweep: not 4 runs"
echo "interrupted after $ndone of 4 runs; the same command finished the other $((4 - ndone))"

# Merge: one row per run, in grid then seed order, each with the digest of a plain run.
"$sim" merge "$work/sw" --db "$work/m.db" || fail "merge"
[ "$(q "SELECT count(*) FROM run")" = 6 ] || fail "merged: not 6 runs"
[ "$(q "SELECT group_concat(seed || ':' || overrides || ':' || backend || ':' || status, ' ') FROM run ORDER BY run_id")" = \
  "1:dht.nodes=60:dtt-sim:ok 2:dht.nodes=60:dtt-sim:ok 3:dht.nodes=60:dtt-sim:ok 1:dht.nodes=100:dtt-sim:ok 2:dht.nodes=100:dtt-sim:ok 3:dht.nodes=100:dtt-sim:ok" ] ||
	fail "merged runs: $(q "SELECT group_concat(seed || ':' || overrides, ' ') FROM run")"
q "SELECT seed, overrides, digest FROM run" | while IFS='|' read -r seed ovr digest; do
	d=$("$sim" run "$scen" --seed "$seed" --set "$ovr" --no-db --quiet)
	[ "$d" = "digest: $digest" ] || fail "seed $seed $ovr: merged digest $digest, plain run $d"
done
[ "$(q "SELECT count(*) FROM sqlite_schema WHERE type = 'index' AND name IN ('sample_run_metric_t', 'message_run_kind_t', 'event_run_kind_t')")" = 3 ] ||
	fail "merged: indexes missing"
n=0
for f in "$work/sw/runs"/*.db; do n=$((n + $(sqlite3 -batch "$f" "SELECT count(*) FROM sample"))); done
[ "$(q "SELECT count(*) FROM sample")" = "$n" ] || fail "merged samples differ from the runs' ($n)"
[ "$(q "SELECT count(DISTINCT run_id) FROM sample_named WHERE metric = 'get_success'")" = 6 ] ||
	fail "merged metric ids not mapped"
echo "merged: 6 runs, $n samples, digests equal to plain runs"

# The banded figure of get success, and its numbers: per time bin, the mean and the sample
# standard deviation over the 3 seeds of a group, as computed here from the samples.
analysis=$(cd "$(dirname "$0")/../../analysis" && pwd)
"$analysis/sweep.sh" "$work/m.db" "$work/figs" >"$work/figs.out" 2>"$work/figs.err" ||
	{ cat "$work/figs.err"; fail "sweep.sh"; }
grep -qx "$work/figs/sweep_get_success.png" "$work/figs.out" && [ -s "$work/figs/sweep_get_success.png" ] ||
	{ cat "$work/figs.out" "$work/figs.err"; fail "no get_success figure"; }
grep -q "2 | 3 | dht.nodes=100" "$work/figs.err" || fail "sweep.sh groups"
sqlite3 -batch -csv "$work/m.db" ".param set :metric 'get_success'" ".param set :g 2" \
	".read $analysis/sql/sweep_series.sql" >"$work/band.csv"
sqlite3 -batch -csv "$work/m.db" "SELECT s.t_ms / 1000.0, s.value FROM sample_named AS s JOIN run AS r
	ON r.run_id = s.run_id WHERE r.overrides = 'dht.nodes=100' AND s.metric = 'get_success'
	AND s.node_id = -1 AND s.value IS NOT NULL ORDER BY s.t_ms" |
	awk -F, '{ n[$1]++; s[$1] += $2; q[$1] += $2 * $2 } END {
		for (t in n) { m = s[t] / n[t]; v = n[t] > 1 ? (q[t] - n[t] * m * m) / (n[t] - 1) : 0
			printf "%s %d %.9f %.9f\n", t, n[t], m, sqrt(v < 0 ? 0 : v) } }' | sort -n >"$work/band.awk"
awk -F, '{ printf "%s %d %.9f %.9f\n", $1, $2, $3, ($4 == "" ? 0 : $4) }' "$work/band.csv" | sort -n >"$work/band.sql"
[ "$(wc -l <"$work/band.sql")" -ge 10 ] || fail "sweep_series: fewer than 10 bins"
paste -d' ' "$work/band.sql" "$work/band.awk" | awk '{ if ($1 != $5 || $2 != $6 ||
	($3 - $7) ^ 2 > 1e-12 || ($4 - $8) ^ 2 > 1e-12) { print "bin " $0; bad = 1 } } END { exit bad }' ||
	fail "sweep_series mean/sd differ from the samples'"
echo "sweep.sh: get_success band over 3 seeds checked at $(wc -l <"$work/band.sql") bins"

# A run missing from the sweep: merged, but reported, exit 1.
rm "$work/sw/runs/$1.db"
rc=0; "$sim" merge "$work/sw" --db "$work/m2.db" 2>"$work/e4" || rc=$?
[ "$rc" = 1 ] && grep -q "run $1 not done" "$work/e4" || { cat "$work/e4"; fail "missing run not reported"; }

# --slurm: the runs left (one) in a job array script.
"$sim" sweep "$scen" --seeds 1..3 --grid dht.nodes=60,100 --out "$work/sw" --slurm --chunk 4 \
	--cpus 2 --sbatch --time=00:10:00 >"$work/o5"
grep -q "1 left in 1 array task of up to 4" "$work/o5" || { cat "$work/o5"; fail "slurm plan"; }
grep -qx "#SBATCH --array=1-1" "$work/sw/slurm/sweep.sbatch" &&
	grep -qx "#SBATCH --cpus-per-task=2" "$work/sw/slurm/sweep.sbatch" &&
	grep -qx "#SBATCH --time=00:10:00" "$work/sw/slurm/sweep.sbatch" || fail "sbatch header"
bash -n "$work/sw/slurm/sweep.sbatch" || fail "sbatch script syntax"
[ "$(wc -l <"$work/sw/slurm/jobs.txt")" = 1 ] || fail "slurm job list: not 1 run"

# check -j: the same report (less the wall-clock figures) and status as check.
strip() { sed -E 's/, [0-9.]+ s, [0-9.]+M events\/s\)/)/' "$1"; }
rc1=0; "$sim" check "$scen" --seeds 1..4 >"$work/c1" || rc1=$?
rc2=0; "$sim" check "$scen" --seeds 1..4 -j 3 >"$work/c2" || rc2=$?
[ "$rc1" = "$rc2" ] || fail "check exit $rc1, check -j exit $rc2"
diff <(strip "$work/c1") <(strip "$work/c2") || fail "check -j report differs"
grep -c "^seed [1-4]: " "$work/c2" | grep -qx 4 || fail "check -j: not 4 seeds"

# Bad input.
for args in "--grid dht.nodes" "--grid dht.nodes=" "--grid dht.nodes=1,,2" "--grid dht.nodes=abc" \
	"--seeds 3..1" "-j 0" "--chunk 0" "--frobnicate"; do
	rc=0; "$sim" sweep "$scen" $args --out "$work/bad" >/dev/null 2>&1 || rc=$?
	[ "$rc" = 2 ] || fail "sweep $args: exit $rc, not 2"
done
rc=0; "$sim" merge "$work/sw" >/dev/null 2>&1 || rc=$?; [ "$rc" = 2 ] || fail "merge without --db"
rc=0; "$sim" merge "$work/nope" --db "$work/x.db" >/dev/null 2>&1 || rc=$?; [ "$rc" = 1 ] || fail "merge of no sweep"
rc=0; "$sim" check "$scen" -j x >/dev/null 2>&1 || rc=$?; [ "$rc" = 2 ] || fail "check -j x"
"$sim" sweep --help | grep -q -- --grid && "$sim" merge --help | grep -q -- --db || fail "--help"
echo "sweep: all passed"
