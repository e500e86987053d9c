#!/bin/sh
# sweep.sh - figures across the runs of a sweep: a results database holding many runs, such as
# the one `dtt-sim merge DIR --db FILE` writes. Runs are grouped by scenario and overrides (one
# group per grid combination of the sweep); each figure shows, per group, the mean over the
# group's seeds as a line and the 95 % Student-t confidence band of that mean, every group side
# by side in the same axes.
# usage: analysis/sweep.sh FILE [OUTDIR]
#   OUTDIR defaults to ./figures. Writes, for what the runs hold:
#   sweep_<metric>.png     components, joined_fraction, get_success, delivery_ratio over time
#                          (per topic, metric@topic, with several topics)
#   sweep_cdf_join.png     the CDF of the members' time to join, with a band
#   sweep_cdf_broadcast.png the CDF of broadcast latency (each broadcast's median), with a band
# and prints their paths, one a line, on stdout; lists the groups on stderr. Exit status: 0 when
# at least one figure was written and none failed, 1 otherwise, 2 on a usage error.
set -eu
case ${1:-} in -h | --help) sed -n '2,15s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -ge 1 ] && [ $# -le 2 ] || { echo "usage: $0 FILE [OUTDIR]" >&2; exit 2; }
db=$1
outdir=${2:-figures}
check_tools
check_db "$db"
check_path "$outdir"
groups=$(sqlite3 -batch -separator ' | ' "$db" ".read $here/sql/sweep_groups.sql")
[ -n "$groups" ] || { echo "$0: $db holds no finished runs" >&2; exit 2; }
echo "$0: groups (group | seeds | overrides):" >&2
echo "$groups" | sed 's/^/  /' >&2
mkdir -p "$outdir"

written=0
failed=0
# draw KIND NAME FILE: sweep.gp into OUTDIR/FILE.png.
draw() {
	out="$outdir/$3.png"
	rm -f "$out"
	rc=0
	gnuplot -e "adir='$here'; db='$db'; out='$out'; kind='$1'; name='$2'" "$here/sweep.gp" || rc=$?
	if [ "$rc" = 0 ] && [ -s "$out" ]; then
		echo "$out"
		written=$((written + 1))
	elif [ "$rc" = 3 ]; then
		rm -f "$out"
		echo "$0: skipped $3 (no data)" >&2
	else
		rm -f "$out"
		echo "$0: $3 failed (gnuplot status $rc)" >&2
		failed=$((failed + 1))
	fi
}
for m in components joined_fraction get_success delivery_ratio; do
	for name in $(sqlite3 -batch "$db" "SELECT name FROM metric WHERE name = '$m' OR name GLOB '$m@*' ORDER BY name"); do
		check_word metric "$name"
		# only metrics with at least one sample
		[ -n "$(sqlite3 -batch "$db" "SELECT 1 FROM sample_named WHERE metric = '$name' AND node_id = -1 AND value IS NOT NULL LIMIT 1")" ] || continue
		draw series "$name" "sweep_$(echo "$name" | tr '@' '_')"
	done
done
if [ -n "$(sqlite3 -batch "$db" "SELECT 1 FROM node WHERE kind = 'member' LIMIT 1")" ]; then
	draw cdf join sweep_cdf_join
	[ -n "$(sqlite3 -batch "$db" "SELECT 1 FROM message WHERE kind = 'broadcast' AND p50_ms IS NOT NULL LIMIT 1")" ] &&
		draw cdf broadcast sweep_cdf_broadcast
fi
[ "$failed" = 0 ] && [ "$written" -gt 0 ]
