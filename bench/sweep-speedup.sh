#!/usr/bin/env bash
# sweep-speedup.sh BUILD_DIR [SEEDS] [JOBS] [SCENARIO] - the same SEEDS (default 20) seeds of
# SCENARIO (default scenarios/partition-heal.yaml) run twice in one sitting: one after another
# (`dtt-sim run` per seed, each into its own results file), then as `dtt-sim sweep -j JOBS`
# (default 2) through GNU parallel; prints both wall times and the speed-up, checks that both
# produced the same digests, and merges the sweep (the merged file is kept: its path is
# printed). The machine's load average is printed before and after, and the cores each half kept
# busy (CPU seconds / wall seconds): on a shared machine other processes take cores from the
# parallel half first. Figures are printed, never asserted.
set -euo pipefail
case "${1:-}" in
-h | --help)
	sed -n '2,9s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
build=${1:?usage: sweep-speedup.sh BUILD_DIR [SEEDS] [JOBS] [SCENARIO]}
seeds=${2:-20}
jobs=${3:-2}
here=$(cd "$(dirname "$0")/.." && pwd)
scen=${4:-$here/scenarios/partition-heal.yaml}
sim=$build/sim/dtt-sim
[ -x "$sim" ] || { echo "sweep-speedup.sh: $sim not found (build first)" >&2; exit 2; }
case $seeds$jobs in *[!0-9]*) echo "sweep-speedup.sh: SEEDS and JOBS must be numbers" >&2; exit 2 ;; esac
[ "$seeds" -ge 1 ] && [ "$jobs" -ge 1 ] || { echo "sweep-speedup.sh: SEEDS and JOBS must be >= 1" >&2; exit 2; }
work=$(mktemp -d /tmp/dtt_sweep_speedup_XXXXXX)

echo "machine: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "scenario: $scen, seeds 1..$seeds"
mkdir -p "$work/seq"
# Each half's wall, user and system seconds (bash's time, children included).
TIMEFORMAT='%R %U %S'
{ time for s in $(seq 1 "$seeds"); do
	"$sim" run "$scen" --seed "$s" --db "$work/seq/$s.db" --quiet >"$work/seq/$s.out"
done; } 2>"$work/t.seq"
{ time "$sim" sweep "$scen" --seeds "1..$seeds" -j "$jobs" --out "$work/sweep" >/dev/null 2>"$work/sweep.err"; } 2>"$work/t.par" ||
	{ cat "$work/sweep.err" >&2; exit 1; }
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
"$sim" merge "$work/sweep" --db "$work/sweep.db" --quiet
for s in $(seq 1 "$seeds"); do
	a=$(sed -n 's/^digest: //p' "$work/seq/$s.out")
	b=$(sqlite3 -batch "$work/sweep.db" "SELECT digest FROM run WHERE seed = $s")
	[ "$a" = "$b" ] || { echo "seed $s: digest $a one after another, $b in the sweep" >&2; exit 1; }
done
rm -rf "$work/seq"
read -r sw su ss <"$work/t.seq"
read -r pw pu ps <"$work/t.par"
awk -v sw="$sw" -v su="$su" -v ss="$ss" -v pw="$pw" -v pu="$pu" -v ps="$ps" -v n="$seeds" -v j="$jobs" 'BEGIN {
	printf "one after another: %6.1f s wall, %6.1f s CPU (%.2f cores busy), %.2f s per run\n", sw, su + ss, (su + ss) / sw, sw / n
	printf "sweep -j %d:        %6.1f s wall, %6.1f s CPU (%.2f cores busy)\n", j, pw, pu + ps, (pu + ps) / pw
	printf "speed-up: %.2fx (same %d digests)\n", sw / pw, n
}'
echo "merged sweep: $work/sweep.db"
