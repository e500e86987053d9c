#!/usr/bin/env bash
# sim-scale.sh BUILD_DIR [--full | SCENARIO...] - the simulator at scale: runs
# scenarios/flagship-small.yaml (with --full also scenarios/flagship.yaml, over an hour with
# real crypto; or the SCENARIOs given) with real and with modelled crypto and prints per run:
# wall and CPU time, events/s, KB per node (peak RSS / nodes), link handshakes and key
# conversions per member-minute (members x simulated minutes), and the hit rates of the shared
# crypto memo. Figures are printed, never asserted. Run it from the repository root.
set -euo pipefail
case "${1:-}" in
-h | --help | "")
	sed -n '2,7s/^# \{0,1\}//p' "$0"
	[ -n "${1:-}" ] && exit 0 || exit 2
	;;
esac
build=$1
shift
sim=$build/sim/dtt-sim
[ -x "$sim" ] || { echo "sim-scale.sh: $sim: not built" >&2; exit 2; }
scenarios=(scenarios/flagship-small.yaml)
if [ "${1:-}" = --full ]; then
	scenarios+=(scenarios/flagship.yaml)
elif [ "$#" -gt 0 ]; then
	scenarios=("$@")
fi
for sc in "${scenarios[@]}"; do
	[ -f "$sc" ] || { echo "sim-scale.sh: $sc: no such file" >&2; exit 2; }
done
work=$(mktemp -d /tmp/dtt-sim-scale.XXXXXX)
trap 'rm -rf "$work"' EXIT

printf '%-15s %-8s %8s %8s %9s %8s %10s %10s %6s %6s %6s %6s  %s\n' scenario crypto wall_s \
	cpu_s Mevents/s KB/node hs/mem-min conv/mem-min dh% conv% keyp% check% digest
for sc in "${scenarios[@]}"; do
	for mode in real modelled; do
		out=$work/out
		/usr/bin/time -f '%U %S' -o "$work/time" "$sim" run "$sc" --no-db \
			--set crypto="$mode" > "$out" 2>&1
		awk -v cpu="$(awk '{print $1 + $2}' "$work/time")" -v mode="$mode" '
			function dur(s,   n, v, u) {
				# "1h2m3.5s" -> minutes
				v = 0
				while (match(s, /^[0-9.]+(ms|h|m|s)/)) {
					n = substr(s, 1, RLENGTH); s = substr(s, RLENGTH + 1)
					u = n; sub(/^[0-9.]+/, "", u); sub(/(ms|h|m|s)$/, "", n)
					if (u == "h") v += n * 60
					else if (u == "m") v += n
					else if (u == "s") v += n / 60
					else v += n / 60000
				}
				return v
			}
			/ seed [0-9]+: / { name = $1; minutes = dur($6); wall = $9 }
			/^events: / { ev = substr($2, 1); gsub(/[^0-9]/, "", ev) }
			/^memory: / { for (i = 1; i <= NF; i++) if ($i == "per") { kb = $(i - 2); u = $(i - 1) } }
			/^crypto memo/ {
				for (i = 1; i <= NF; i++) {
					if ($i == "lookups,") { t = $(i - 2); l[t] = $(i - 1); h[t] = $(i + 1) }
				}
			}
			/^topic / { members += $3 }
			/^  links: / { hs += $2 }
			/^digest: / { dg = $2 }
			END {
				sub(/,$/, "", u)
				if (u == "MB") kb *= 1024; else if (u == "B") kb /= 1024
				mm = members * minutes
				rate = 0; hpm = 0; cpm = 0
				if (wall > 0) rate = ev / wall / 1e6
				if (mm > 0) { hpm = hs / mm; cpm = l["conv"] / mm }
				printf "%-15s %-8s %8.1f %8.1f %9.3f %8.1f %10.2f %10.2f %6s %6s %6s %6s  %s\n", name, mode, wall, cpu, rate, kb, hpm, cpm, h["dh"], h["conv"], h["keypair"], h["pkcheck"], dg
			}' "$out"
	done
done
