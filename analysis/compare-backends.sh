#!/bin/sh
# compare-backends.sh - the same scenarios on dtt-sim and dtt-sim-ns3, metrics side by side.
# usage: analysis/compare-backends.sh [--seeds A..B] [--dir DIR] [--check] DTT_SIM DTT_SIM_NS3 SCENARIO...
# Runs `check` over the seeds (default 1..5) on both backends into DIR/<backend>-<name>.db, then
# prints per scenario and metric the mean and the seed-to-seed spread (max - min) on each
# backend and whether they agree: "10%" (means within 10 % of the larger), "spread" (within the
# larger spread) or "DIFFER". --check: exit 1 if a metric differs or an expectation failed.
set -eu
case ${1:-} in -h | --help) sed -n '2,8s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
usage() {
	echo "usage: $0 [--seeds A..B] [--dir DIR] [--check] DTT_SIM DTT_SIM_NS3 SCENARIO..." >&2
	exit 2
}
seeds=1..5 dir="" check=0
while [ $# -gt 0 ]; do
	case $1 in
	--seeds) [ $# -ge 2 ] || usage; seeds=$2; shift 2 ;;
	--dir) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
	--check) check=1; shift ;;
	-*) echo "$0: unknown option '$1'" >&2; usage ;;
	*) break ;;
	esac
done
[ $# -ge 3 ] || usage
sim=$1 ns3=$2
shift 2
for b in "$sim" "$ns3"; do
	[ -x "$b" ] || { echo "$0: '$b' is not an executable" >&2; exit 2; }
done
for s in "$@"; do
	[ -r "$s" ] || { echo "$0: cannot read scenario '$s'" >&2; exit 2; }
done
command -v sqlite3 >/dev/null || { echo "$0: needs sqlite3 (scripts/setup.sh)" >&2; exit 2; }
if [ -z "$dir" ]; then
	dir=$(mktemp -d "${TMPDIR:-/tmp}/compare-backends.XXXXXX")
	trap 'rm -rf "$dir"' EXIT INT TERM
fi
mkdir -p "$dir"
status=0
for s in "$@"; do
	name=$(basename "$s" .yaml)
	for b in sim ns3; do
		exe=$sim
		[ $b = ns3 ] && exe=$ns3
		db="$dir/$b-$name.db"
		rm -f "$db" "$db-wal" "$db-shm"
		if ! "$exe" check "$s" --seeds "$seeds" --db "$db" --quiet >"$dir/$b-$name.log" 2>&1; then
			echo "$name: $(basename "$exe") check FAILED (see $dir/$b-$name.log)"
			status=1
		fi
	done
	echo "== $name, seeds $seeds"
	printf '%-16s %12s %10s %12s %10s  %s\n' metric dtt-sim spread dtt-sim-ns3 spread agree
	for m in join_p50_ms join_p99_ms time_to_heal_ms rmr_mean ldh_mean delivery; do
		for b in sim ns3; do
			if [ $m = delivery ]; then
				q="SELECT d.value / (d.value + x.value) FROM summary d JOIN summary x
				   ON x.run_id = d.run_id AND x.name = 'broadcast_missed'
				   WHERE d.name = 'broadcast_delivered' AND d.value + x.value > 0"
			else
				q="SELECT value FROM summary WHERE name = '$m' AND value IS NOT NULL"
			fi
			sqlite3 "$dir/$b-$name.db" "$q" | awk '
				NR == 1 { lo = $1; hi = $1 }
				{ s += $1; if ($1 < lo) lo = $1; if ($1 > hi) hi = $1 }
				END { if (NR) printf "%.6g %.6g %d\n", s / NR, hi - lo, NR; else print "- - 0" }'
		done | paste -sd' ' | awk -v m="$m" '
			{ ma = $1; sa = $2; na = $3; mb = $4; sb = $5; nb = $6
			  if (na == 0 && nb == 0) exit 0
			  if (na == 0 || nb == 0) { v = "DIFFER" }
			  else {
				d = ma - mb; if (d < 0) d = -d
				big = (ma < 0 ? -ma : ma); if ((mb < 0 ? -mb : mb) > big) big = (mb < 0 ? -mb : mb)
				sp = sa > sb ? sa : sb
				v = (d <= 0.10 * big) ? "10%" : (d <= sp ? "spread" : "DIFFER")
			  }
			  printf "%-16s %12s %10s %12s %10s  %s\n", m, ma, sa, mb, sb, v
			  if (v == "DIFFER") exit 1 }' || status=1
	done
done
[ $check = 1 ] && exit $status
exit 0
