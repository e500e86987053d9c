#!/bin/sh
# bench/fault-matrix.sh - the fault scenarios over many seeds: how many pass their
# expectations, the time to heal (p50, p99 over the seeds), the delivery ratio of the
# broadcasts after the fault ended, and the members left without any neighbour at the end.
# Printed, not asserted (the scenarios' `expect` lists are what `dtt-sim check` asserts).
#
#   bench/fault-matrix.sh [--seeds N] [--from S] [--jobs J] [--build DIR] [--only REGEX]
#
# Runs are independent: J of them at once (default 2, one per core), each under nice.
set -eu

usage() {
	cat <<'EOF'
usage: bench/fault-matrix.sh [--seeds N] [--from S] [--jobs J] [--build DIR] [--only REGEX]

Runs every fault scenario (a member's 10-minute outage, cuts of 1:10, 1:100 and 1:1000 of
all nodes for 10 minutes, datagram loss from 0 to 30% in steps of 5%, 30% of the members
crashing and rejoining under 10% loss) over seeds 1..N with dtt-sim check, J runs at once,
and prints one row per scenario: seeds passing, time to heal p50/p99 (first sample with one
component after the heal or rejoin), delivery ratio of the broadcasts sent after it (after
4m for the loss rows), members without a neighbour at the end (total over the seeds), and
for the cuts the seeds whose topic split while cut (a cut may hold only DHT nodes).

options:
  --seeds N     seeds 1..N (default 20)
  --from S      seeds S..N instead (to split one matrix over several runs)
  --jobs J      runs at once (default 2)
  --build DIR   the build directory holding sim/dtt-sim (default: build)
  --only REGEX  only the rows whose label matches (grep -E)
  --help        this text
EOF
}

seeds=20 from=1 jobs=2 build=build only=.
while [ $# -gt 0 ]; do
	case "$1" in
	--seeds) seeds=${2:?}; shift 2 ;;
	--from) from=${2:?}; shift 2 ;;
	--jobs) jobs=${2:?}; shift 2 ;;
	--build) build=${2:?}; shift 2 ;;
	--only) only=${2:?}; shift 2 ;;
	--help|-h) usage; exit 0 ;;
	*) echo "fault-matrix.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
	esac
done
case "$seeds$jobs$from" in *[!0-9]*|'') echo "fault-matrix.sh: --seeds, --from and --jobs take positive integers" >&2; exit 2 ;; esac
[ "$seeds" -ge 1 ] && [ "$jobs" -ge 1 ] || { echo "fault-matrix.sh: --seeds and --jobs must be >= 1" >&2; exit 2; }
[ "$from" -ge 1 ] && [ "$from" -le "$seeds" ] || { echo "fault-matrix.sh: --from must be in 1..--seeds" >&2; exit 2; }
root=$(cd "$(dirname "$0")/.." && pwd)
sim=$build/sim/dtt-sim
[ -x "$sim" ] || sim=$root/$build/sim/dtt-sim
[ -x "$sim" ] || { echo "fault-matrix.sh: no dtt-sim in $build/sim (build first, or --build DIR)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "fault-matrix.sh: needs sqlite3" >&2; exit 2; }

run_one() {
	IFS='|' read -r label file set seed <<EOF
$1
EOF
	db=$work/$label-$seed.db
	# shellcheck disable=SC2086
	if nice -n 10 "$sim" check "$file" --seeds "$seed" $set --db "$db" --quiet > "$work/$label-$seed.out" 2>&1; then
		pass=1
	else
		pass=0
	fi
	# the end of the fault: the last heal or rejoin (none: the loss rows, from 4m)
	end=$(sqlite3 "$db" "select coalesce(max(t_ms), 240000) from event where kind in ('heal','rejoin')")
	heal=$(sqlite3 "$db" "select coalesce(min(t_ms), -1) from sample_named where metric='components' and value=1 and t_ms>$end and (select count(*) from event where kind in ('heal','rejoin'))>0")
	[ "$heal" -ge 0 ] && heal=$((heal - end))
	deliv=$(sqlite3 "$db" "select coalesce(sum(delivered)*1.0/nullif(sum(delivered)+sum(missed),0), -1) from message where kind='broadcast' and t_ms>$end")
	alone=$(sqlite3 "$db" "select cast(round((1-j.value)*a.value) as int) from sample_named j join sample_named a on a.t_ms=j.t_ms and a.metric='members_alive' where j.metric='joined_fraction' order by j.t_ms desc limit 1")
	# the topic split while cut: more than one component between the cut and the heal
	split=$(sqlite3 "$db" "select count(*) > 0 from sample_named where metric='components' and value>=2 and t_ms>(select coalesce(min(t_ms), 1e18) from event where kind='cut') and t_ms<=(select coalesce(max(t_ms), 0) from event where kind='heal')")
	echo "$label $seed $pass $heal $deliv ${alone:-0} ${split:-0}" > "$work/$label-$seed.res"
	rm -f "$db" "$db-wal" "$db-shm"
}

# Each job runs in a fresh `sh` of this script (POSIX sh exports no functions).
if [ "${FAULT_MATRIX_JOB:-}" ]; then
	work=$FAULT_MATRIX_WORK
	run_one "$FAULT_MATRIX_JOB"
	exit 0
fi

# label | scenario file | --set arguments
rows() {
	s=$root/scenarios
	echo "outage-1-member|$s/fault-member-outage.yaml|"
	echo "cut-1:10|$s/fault-cut-10.yaml|"
	echo "cut-1:100|$s/fault-cut-100.yaml|"
	echo "cut-1:1000|$s/fault-cut-1000.yaml|"
	for l in 0 0.05 0.1 0.15 0.2 0.25 0.3; do
		echo "loss-$l|$s/fault-loss.yaml|--set network.loss=$l"
	done
	echo "crash30-rejoin-loss10|$s/fault-crash-rejoin.yaml|"
}

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT INT TERM
rows | grep -E "^[^|]*($only)" > "$work/rows" || { echo "fault-matrix.sh: no row matches '$only'" >&2; exit 2; }

# one job line per (row, seed), seed by seed: a run stopped early has every row at about the
# same number of seeds (the table counts the seeds each row completed)
s=$from
while [ "$s" -le "$seeds" ]; do
	while IFS='|' read -r label file set; do
		echo "$label|$file|$set|$s"
	done < "$work/rows"
	s=$((s + 1))
done > "$work/jobs"

start=$(date +%s)
tr '\n' '\0' < "$work/jobs" | xargs -0 -P "$jobs" -I{} env FAULT_MATRIX_JOB={} FAULT_MATRIX_WORK="$work" \
	sh "$0" --build "$build"
wall=$(($(date +%s) - start))

printf '%-22s %7s %10s %10s %10s %6s %6s\n' scenario passing heal_p50 heal_p99 delivery alone split
while IFS='|' read -r label file set; do
	cat "$work/$label"-*.res 2>/dev/null | awk -v label="$label" -v n="$seeds" '
	{ pass += $3; if ($4 >= 0) h[nh++] = $4; if ($5 >= 0) { d += $5; nd++ } alone += $6; spl += $7 }
	END {
		# sort the heal times
		for (i = 1; i < nh; i++) { v = h[i]; j = i - 1; while (j >= 0 && h[j] > v) { h[j + 1] = h[j]; j-- } h[j + 1] = v }
		p50 = nh ? sprintf("%.1fs", h[int((nh - 1) * 0.5)] / 1000) : "-"
		p99 = nh ? sprintf("%.1fs", h[int((nh - 1) * 0.99 + 0.999)] / 1000) : "-"
		if (nh && nh < NR) p99 = p99 "+" (NR - nh) "x"  # seeds that never healed
		printf "%-22s %3d/%-3d %10s %10s %10s %6d %6s\n", label, pass, NR, p50, p99, nd ? sprintf("%.5f", d / nd) : "-", alone, label ~ /^(cut|outage)/ ? spl "/" NR : "-"
	}'
done < "$work/rows"
echo "(seeds $from..$seeds per row, $jobs at once, ${wall}s wall)"
