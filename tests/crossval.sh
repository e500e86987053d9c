#!/usr/bin/env bash
# crossval.sh DTT_SIM SCENARIO SEEDS UNTIL METRIC... - runs SCENARIO over seeds 1..SEEDS with
# real and with modelled crypto and fails if a metric's mean over the modelled runs lies
# outside the tolerance around the mean over the real runs (scenarios/README.md, "Crypto
# modes"). A metric is NAME:REL:FLOOR, NAME a summary of the results file (or delivery_ratio),
# REL a fraction of the real mean and FLOOR an absolute tolerance. The tolerance is the largest
# of REL x the real mean, twice the real runs' seed-to-seed standard deviation, and FLOOR
# (the resolution of the metric, e.g. one sample interval). An argument --set=KEY=VALUE is
# passed to every run as --set KEY=VALUE. Modelled crypto changes
# every identity, hence every random choice that depends on one, so a modelled run is another
# draw of the same system, and its mean should be as close to the real mean as another five
# seeds would be.
set -euo pipefail

if [ "$#" -lt 5 ]; then
	echo "usage: crossval.sh DTT_SIM SCENARIO SEEDS UNTIL NAME:REL:FLOOR..." >&2
	exit 2
fi
sim=$1 scenario=$2 seeds=$3 until=$4
shift 4
sets=() specs=()
for a in "$@"; do
	case $a in
	--set=*) sets+=(--set "${a#--set=}") ;;
	*:*:*) specs+=("$a") ;;
	*) echo "crossval.sh: $a: expected NAME:REL:FLOOR or --set=KEY=VALUE" >&2; exit 2 ;;
	esac
done
work=$(mktemp -d /tmp/dtt_crossval_XXXXXX)
trap 'rm -rf "$work"' EXIT

for mode in real modelled; do
	for seed in $(seq 1 "$seeds"); do
		"$sim" run "$scenario" --seed "$seed" --until "$until" --set crypto="$mode" \
			${sets[@]+"${sets[@]}"} --db "$work/runs.db" --quiet > /dev/null
	done
done

# crypto|name|value for each run and summary, plus the delivery ratio per run
sqlite3 -batch -separator '|' "$work/runs.db" "
  SELECT r.crypto, s.name, s.value FROM run r JOIN summary s ON s.run_id = r.run_id
  UNION ALL
  SELECT r.crypto, 'delivery_ratio', d.value / (d.value + m.value)
  FROM run r JOIN summary d ON d.run_id = r.run_id AND d.name = 'broadcast_delivered'
  JOIN summary m ON m.run_id = r.run_id AND m.name = 'broadcast_missed'
  WHERE d.value + m.value > 0;" > "$work/values"

fail=0
printf '%-16s %12s %12s %12s %12s  %s\n' metric real_mean real_sd modelled tolerance verdict
for spec in "${specs[@]}"; do
	IFS=: read -r name rel floor <<< "$spec"
	line=$(awk -F'|' -v n="$name" -v rel="$rel" -v floor="$floor" '
		$2 == n && $1 == "real" { r += $3; rr += $3 * $3; nr++ }
		$2 == n && $1 == "modelled" { m += $3; nm++ }
		END {
			if (nr == 0 || nm == 0) { print "missing"; exit }
			mr = r / nr; mm = m / nm; v = rr / nr - mr * mr; sd = v > 0 ? sqrt(v) : 0
			tol = rel * (mr < 0 ? -mr : mr); if (2 * sd > tol) tol = 2 * sd
			if (floor + 0 > tol) tol = floor + 0
			d = mm - mr; if (d < 0) d = -d
			printf "%12.4f %12.4f %12.4f %12.4f  %s\n", mr, sd, mm, tol, d <= tol ? "ok" : "FAIL"
		}' "$work/values")
	printf '%-16s %s\n' "$name" "$line"
	case $line in *ok) ;; *) fail=1 ;; esac
done
exit $fail
