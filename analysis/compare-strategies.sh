#!/bin/sh
# compare-strategies.sh - the tracker strategies `reference` and `dtt` side by side: every
# scenario that exposes a weakness of the reference (overlap-churn, hotspot, skew-split,
# slot-squat, mixed) plus partition-heal, bubbles and flagship-small (when shipped), each over
# the same seeds, and one table: scenario, metric, reference and dtt as mean +- 95% interval.
# usage: analysis/compare-strategies.sh [-b BUILD_DIR] [-s SEEDS] [-j JOBS] [-d DIR] [-c LIST] [-m] [-r]
#   -b  build directory holding sim/dtt-sim (default: build)
#   -s  number of seeds, 1..N (default 5)
#   -j  simulations at a time (default 2: both cores)
#   -d  where the run databases go (default: results/compare-strategies)
#   -c  run only these scenarios ("hotspot mixed"); the table still shows every one
#   -m  every run with `crypto: modelled`: stand-ins for the asymmetric primitives, about 3x
#       cheaper; the protocol and the strategies run the same (scenarios/README.md)
#   -r  reuse databases already in DIR (only print the table)
# Run from the repository root. mixed's dtt column is the scenario as shipped (half the
# members reference, half dtt); its reference column is every member on reference.
set -eu
usage() { sed -n '6,14s/^# \{0,1\}//p' "$0" >&2; exit 2; }
case ${1:-} in -h | --help) sed -n '2,16s/^# \{0,1\}//p' "$0"; exit 0 ;; esac
build=build seeds=5 jobs=2 dir=results/compare-strategies reuse=0 only="" crypto=real
while [ $# -gt 0 ]; do
	case $1 in
	-b) [ $# -ge 2 ] || usage; build=$2; shift 2 ;;
	-s) [ $# -ge 2 ] || usage; seeds=$2; shift 2 ;;
	-j) [ $# -ge 2 ] || usage; jobs=$2; shift 2 ;;
	-d) [ $# -ge 2 ] || usage; dir=$2; shift 2 ;;
	-c) [ $# -ge 2 ] || usage; only=$2; shift 2 ;;
	-m) crypto=modelled; shift ;;
	-r) reuse=1; shift ;;
	*) echo "$0: unknown argument '$1'" >&2; usage ;;
	esac
done
case $seeds in '' | *[!0-9]* | 0) echo "$0: -s wants a positive number, got '$seeds'" >&2; exit 2 ;; esac
case $jobs in '' | *[!0-9]* | 0) echo "$0: -j wants a positive number, got '$jobs'" >&2; exit 2 ;; esac
sim=$build/sim/dtt-sim
[ -x "$sim" ] || { echo "$0: $sim not found (build first, or give -b)" >&2; exit 2; }
command -v sqlite3 >/dev/null || { echo "$0: sqlite3 is needed (scripts/setup.sh)" >&2; exit 2; }
[ -d scenarios ] || { echo "$0: run from the repository root" >&2; exit 2; }

scenarios="overlap-churn hotspot skew-split slot-squat mixed partition-heal bubbles"
[ -f scenarios/flagship-small.yaml ] && scenarios="$scenarios flagship-small"
mkdir -p "$dir"

for sc in $only; do
	case " $scenarios " in *" $sc "*) ;; *) echo "$0: -c: no scenario '$sc' here" >&2; exit 2 ;; esac
done

# One line per run: scenario strategy seed (the job list for xargs).
jobs_list() {
	for sc in ${only:-$scenarios}; do
		for st in reference dtt; do
			s=1
			while [ "$s" -le "$seeds" ]; do
				echo "$sc $st $s"
				s=$((s + 1))
			done
		done
	done
}

# run SCENARIO STRATEGY SEED: one simulation into DIR/SCENARIO-STRATEGY-SEED.db
run() {
	db=$dir/$1-$2-$3.db
	if [ "$1" = mixed ]; then
		[ "$2" = reference ] && set -- "$@" --set "topics[0].mix.members=0"
	else
		set -- "$@" --set "topics[0].strategy=$2"
	fi
	sc=$1 st=$2 seed=$3
	shift 3
	[ "$crypto" = real ] || set -- "$@" --set "crypto=$crypto"
	rm -f "$db" "$db-journal" "$db-wal" "$db-shm"
	if ! nice -n 10 "$sim" run "scenarios/$sc.yaml" --seed "$seed" --db "$db" --quiet "$@" \
		>"$db.out" 2>&1; then
		echo "$0: $sc $st seed $seed failed (see $db.out)" >&2
		return 1
	fi
}

if [ "$reuse" = 0 ]; then
	export sim dir crypto
	jobs_list | xargs -P "$jobs" -L 1 sh -c "$(sed -n '/^run() {/,/^}/p' "$0"); run \"\$@\"" run
fi

q() { sqlite3 -noheader "$1" "$2" 2>/dev/null | head -1; }

# metric SCENARIO DB NAME: one figure of one run (empty when it has none)
metric() {
	sc=$1 db=$2
	case $3 in
	nb_changes) # overlay churn in steady state (after the warm-up)
		q "$db" "SELECT avg(value) FROM sample_named WHERE metric = 'neighbor_changes_per_member_min' AND t_ms > 300000" ;;
	handshakes)
		q "$db" "SELECT avg(value) FROM sample_named WHERE metric = 'handshakes_per_member_min' AND t_ms > 300000" ;;
	hottest_rps) # the busiest DHT node in steady state
		q "$db" "SELECT avg(value) FROM sample_named WHERE metric = 'dht_hottest_rps' AND node_id = -1 AND t_ms > 300000" ;;
	gets_pmm)
		q "$db" "SELECT avg(value) FROM sample_named WHERE metric = 'dht_gets_per_member_min' AND t_ms > 300000" ;;
	puts_pmm)
		q "$db" "SELECT avg(value) FROM sample_named WHERE metric = 'dht_puts_per_member_min' AND t_ms > 300000" ;;
	merges_overlap) q "$db" "SELECT value FROM summary WHERE name = 'merges_overlap'" ;;
	missed) q "$db" "SELECT value FROM summary WHERE name = 'broadcast_missed'" ;;
	components_end) q "$db" "SELECT value FROM summary WHERE name = 'components_end'" ;;
	joined_end) # joined fraction at the last sample
		q "$db" "SELECT value FROM sample_named WHERE metric = 'joined_fraction' ORDER BY t_ms DESC LIMIT 1" ;;
	join_p99_s) q "$db" "SELECT value / 1000.0 FROM summary WHERE name = 'join_p99_ms'" ;;
	heal_s) q "$db" "SELECT value / 1000.0 FROM summary WHERE name = 'time_to_heal_ms'" ;;
	one_component_s) # skew-split: from the last join (2m) to the first sample with 1 component from which it stays 1
		q "$db" "SELECT (min(t_ms) - 120000) / 1000.0 FROM sample_named a WHERE metric = 'components' AND t_ms >= 120000 AND NOT EXISTS (SELECT 1 FROM sample_named b WHERE b.metric = 'components' AND b.t_ms >= a.t_ms AND b.value != 1)" ;;
	burst_merge_s) # bubbles: mean over the 3 bursts of the time to one component again
		q "$db" "SELECT avg(d) FROM (SELECT (SELECT min(t_ms) FROM sample_named WHERE metric = 'components' AND value = 1 AND t_ms > b.t) - b.t AS d FROM (SELECT 120000 + 2000 AS t UNION ALL SELECT 240000 + 2000 UNION ALL SELECT 360000 + 2000) b)" | awk 'NF { print $1 / 1000 + 2 }' ;;
	esac
}

# mean and 95% interval (Student t, two-sided) of the numbers on stdin: "mean +- half"
stats() {
	awk -v want="$seeds" 'BEGIN { split("12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086", t, " ") }
	NF && $1 != "" { x[n++] = $1; s += $1 }
	END {
		if (n == 0) { printf "n/a"; exit }
		m = s / n
		if (n == 1) printf "%.3g", m
		else {
			for (i = 0; i < n; i++) v += (x[i] - m) ^ 2
			sd = sqrt(v / (n - 1)); tt = n - 1 <= 20 ? t[n - 1] : 1.96
			printf "%.3g +- %.2g", m, tt * sd / sqrt(n)
		}
		if (n < want) printf " [%d/%d]", n, want
	}'
}

metrics_of() {
	case $1 in
	overlap-churn) echo "nb_changes handshakes merges_overlap hottest_rps missed" ;;
	hotspot) echo "hottest_rps gets_pmm puts_pmm components_end" ;;
	skew-split) echo "one_component_s components_end" ;;
	slot-squat) echo "joined_end components_end join_p99_s" ;;
	mixed) echo "components_end joined_end missed nb_changes" ;;
	partition-heal) echo "heal_s missed" ;;
	bubbles) echo "burst_merge_s joined_end" ;;
	flagship-small) echo "handshakes hottest_rps nb_changes" ;;
	esac
}

printf '%-15s %-16s %-22s %-22s\n' scenario metric reference dtt
printf '%-15s %-16s %-22s %-22s\n' --------------- ---------------- ---------------------- ----------------------
for sc in $scenarios; do
	for m in $(metrics_of "$sc"); do
		line=$(printf '%-15s %-16s' "$sc" "$m")
		for st in reference dtt; do
			s=1 vals=""
			while [ "$s" -le "$seeds" ]; do
				db=$dir/$sc-$st-$s.db
				[ -f "$db" ] && vals="$vals$(metric "$sc" "$db" "$m")
"
				s=$((s + 1))
			done
			line="$line $(printf '%-22s' "$(printf '%s' "$vals" | stats)")"
		done
		echo "$line"
	done
done
echo "($seeds seeds each; mean +- the 95% interval of the mean; [k/n]: only k seeds had the"
echo " figure, e.g. never one component; runs in $dir)"
