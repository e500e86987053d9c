#!/bin/sh
# plot.sh - draws the figures of one run of a dtt-sim results database.
# usage: analysis/plot.sh DB [RUN_ID] [OUTDIR]
#   RUN_ID defaults to the latest run, OUTDIR to ./figures.
# Writes OUTDIR/runN_<figure>.png for each figure that fits the run (DHT workload figures for runs
# with BEP 44 gets and puts, DHT figures for runs with DHT nodes, overlay figures for runs with
# topic members, DHT load for topics that use the tracker) and prints their paths,
# one a line, on stdout. A figure whose data turns out empty is skipped with a message on stderr.
# Exit status: 0 when at least one figure was written and none failed, 1 otherwise, 2 on a
# usage error.
set -eu
case ${1:-} in -h | --help) sed -n '2,10s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ $# -ge 1 ] && [ $# -le 3 ] || { echo "usage: $0 DB [RUN_ID] [OUTDIR]" >&2; exit 2; }
db=$1
run=${2:-}
outdir=${3:-figures}
check_tools
check_db "$db"
check_path "$outdir"
if [ -z "$run" ]; then
	run=$(sqlite3 -batch "$db" "SELECT max(run_id) FROM run")
	[ -n "$run" ] || { echo "$0: $db holds no runs" >&2; exit 2; }
fi
case $run in
''|*[!0-9]*) echo "$0: RUN_ID must be a number, got '$run'" >&2; exit 2 ;;
esac
n=$(sqlite3 -batch "$db" "SELECT count(*) FROM run WHERE run_id = $run")
if [ "$n" != 1 ]; then
	echo "$0: $db has no run $run; its runs:" >&2
	sqlite3 -batch -header -column "$db" "SELECT run_id, scenario_name, seed, strategy, status FROM run" >&2
	exit 2
fi
mkdir -p "$outdir"

# has_rows KIND: the run has rows of KIND in the message table.
has_rows() {
	[ -n "$(sqlite3 -batch "$db" "SELECT 1 FROM message WHERE run_id = $run AND kind = '$1' LIMIT 1")" ]
}
# has_metric NAME: the run has a sample of metric NAME that is not 0.
has_metric() {
	[ -n "$(sqlite3 -batch "$db" "SELECT 1 FROM sample_named WHERE run_id = $run AND metric = '$1' AND value <> 0 LIMIT 1")" ]
}

written=0
failed=0
# draw FIGURE NAME [GNUPLOT-ASSIGNMENTS]: figure script FIGURE.gp into OUTDIR/runN_NAME.png.
draw() {
	out="$outdir/run${run}_$2.png"
	rm -f "$out"
	# Status 3 means "no data for this figure" (the script has said why on stderr).
	rc=0
	gnuplot -e "adir='$here'; db='$db'; run=$run; out='$out'; ${3:-}" "$here/$1.gp" || rc=$?
	if [ "$rc" = 0 ] && [ -s "$out" ]; then
		echo "$out"
		written=$((written + 1))
	elif [ "$rc" = 3 ]; then
		rm -f "$out"
		echo "$0: run $run: skipped $2 (no data)" >&2
	else
		rm -f "$out"
		echo "$0: run $run: $2 failed (gnuplot status $rc)" >&2
		failed=$((failed + 1))
	fi
}
# Runs with a BEP 44 workload (gets and puts from random nodes): success and latency over time
# and the latency CDF. Runs without one get neither (and no message about them).
if has_rows get || has_rows put; then
	draw get_over_time get_over_time
	draw latency_cdf latency_cdf
	stored="put_stored_mean"
else
	stored=""
fi
draw traffic traffic
# DHT state: nodes alive, and the replicas per stored item where there is a workload (runs
# without DHT nodes, such as gossip among known peers, get none).
has_metric routing_table_mean && draw dht_state dht_state "m_stored='$stored'"
# Runs with topic members: the overlay and the tracker's DHT load per topic (suffix '' with one
# topic, '@name' with several), the time-to-join CDF and the broadcasts of all topics. Runs
# without members get none of these (and no message about them).
topics=$(sqlite3 -batch "$db" ".param set :run $run" ".read $here/sql/topics.sql")
if [ -n "$(sqlite3 -batch "$db" "SELECT 1 FROM sample_named WHERE run_id = $run AND metric GLOB 'members_alive*' LIMIT 1")" ]; then
	for t in ${topics:-''}; do
		[ "$t" = "''" ] && t=
		check_word topic "x$t"
		draw overlay "overlay$t" "suffix='$t'"
		# the tracker's DHT load, for topics whose members find each other through the DHT
		has_metric "dht_gets_per_member_min$t" && draw dht_load "dht_load$t" "suffix='$t'"
	done
	draw join_cdf join_cdf
	has_rows broadcast && draw broadcast broadcast
fi
[ "$failed" = 0 ] && [ "$written" -gt 0 ]
