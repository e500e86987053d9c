#!/usr/bin/env bash
# backends.sh BUILD_DIR [SCENARIO [SEED [RUN_OPTION...]]] - the same scenario (default
# bench/gossip-500.yaml, 500 members) and seed (default 1) on dtt-sim and on dtt-sim-ns3, one
# after the other in one sitting: prints each run's events, events/s, wall and CPU seconds, and
# the ratios (how many times faster dtt-sim is). RUN_OPTIONs go to both runs, e.g.
# `--set crypto=modelled` to leave out the real cryptography both backends share. Events are
# the engine's: its own events plus datagram arrivals, the same count on both backends (ns-3's
# per-hop events are not counted). Figures are printed, never asserted; on a shared machine the
# CPU-seconds ratio is the steadier one.
set -euo pipefail
case "${1:-}" in
-h | --help)
	sed -n '2,9s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
build=${1:?usage: backends.sh BUILD_DIR [SCENARIO [SEED [RUN_OPTION...]]]}
here=$(cd "$(dirname "$0")/.." && pwd)
scen=${2:-$here/bench/gossip-500.yaml}
seed=${3:-1}
shift $(($# < 3 ? $# : 3))
case $seed in '' | *[!0-9]*) echo "backends.sh: SEED must be a number" >&2; exit 2 ;; esac
[ -r "$scen" ] || { echo "backends.sh: cannot read $scen" >&2; exit 2; }
for b in dtt-sim ns3/dtt-sim-ns3; do
	[ -x "$build/sim/$b" ] || { echo "backends.sh: $build/sim/$b not found (build first; dtt-sim-ns3 needs libns3-dev)" >&2; exit 2; }
done
out=$(mktemp -d /tmp/dtt_backends_XXXXXX)
trap 'rm -rf "$out"' EXIT
echo "machine: $(nproc) CPUs; load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "scenario: $scen, seed $seed${*:+, options: $*}"
for b in dtt-sim ns3/dtt-sim-ns3; do
	n=$(basename "$b")
	TIMEFORMAT='%U %S'
	{ time "$build/sim/$b" run "$scen" --seed "$seed" --no-db "$@" >"$out/$n.txt" 2>/dev/null; } 2>"$out/$n.cpu"
	ev=$(sed -n 's/^events: \([0-9]*\) .*/\1/p' "$out/$n.txt")
	wall=$(sed -n 's/.* simulated in \([0-9.]*\) s wall.*/\1/p' "$out/$n.txt")
	cpu=$(awk '{ printf "%.2f", $1 + $2 }' "$out/$n.cpu")
	dig=$(sed -n 's/^digest: //p' "$out/$n.txt")
	echo "$n $ev $wall $cpu $dig" >>"$out/rows"
	awk -v n="$n" -v e="$ev" -v w="$wall" -v c="$cpu" -v d="$dig" 'BEGIN {
		printf "%-12s %9d events in %7.2f s wall (%8.0f events/s), %7.2f s CPU (%8.0f events/CPU s), digest %s\n",
		       n, e, w, e / w, c, e / c, d }'
done
awk 'NR == 1 { e1 = $2; w1 = $3; c1 = $4 } NR == 2 { e2 = $2; w2 = $3; c2 = $4 } END {
	printf "ratio: dtt-sim is %.1fx faster than dtt-sim-ns3 by events/s of wall time, %.1fx by CPU time\n",
	       (e1 / w1) / (e2 / w2), (e1 / c1) / (e2 / c2) }' "$out/rows"
