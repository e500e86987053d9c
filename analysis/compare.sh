#!/bin/sh
# compare.sh - one metric of several runs in one figure (analysis/compare.gp).
# usage: analysis/compare.sh DB METRIC RUN_ID RUN_ID... [-o OUT.png]
# Prints the PNG's path. Default output: ./figures/compare_METRIC_runs_A_B.png
set -eu
case ${1:-} in -h | --help) sed -n '2,4s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
here=$(cd "$(dirname "$0")" && pwd)
usage() { echo "usage: $0 DB METRIC RUN_ID RUN_ID... [-o OUT.png]" >&2; exit 2; }
[ $# -ge 3 ] || usage
db=$1 metric=$2
shift 2
runs="" out=""
while [ $# -gt 0 ]; do
	case $1 in
	-o) [ $# -ge 2 ] || usage; out=$2; shift 2 ;;
	*[!0-9]*|'') echo "$0: run ids are numbers, got '$1'" >&2; exit 2 ;;
	*) runs="$runs $1"; shift ;;
	esac
done
[ -n "$runs" ] || usage
. "$here/lib.sh"
check_tools
check_db "$db"
check_word "metric" "$metric"
if [ -z "$out" ]; then
	mkdir -p figures
	out="figures/compare_${metric}_runs$(echo $runs | tr ' ' '_').png"
fi
check_path "$out"
rm -f "$out"
rc=0
gnuplot -e "adir='$here'; db='$db'; runs='$runs'; metric='$metric'; out='$out'" "$here/compare.gp" || rc=$?
if [ "$rc" = 0 ] && [ -s "$out" ]; then
	echo "$out"
else
	rm -f "$out"
	echo "$0: no figure written (gnuplot status $rc)" >&2
	exit 1
fi
