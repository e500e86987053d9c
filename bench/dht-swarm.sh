#!/usr/bin/env bash
# dht-swarm.sh BUILD_DIR [NODES] [OPS] - a loopback swarm of NODES (default 32) `dtt-node dht
# serve` processes on 127.0.0.1; OPS (default 40) BEP 44 puts and gets through `dtt-node dht
# put|get`, each bootstrapped from a random swarm node. Prints the median and p95 time of a get
# and of a put (the operation itself, after the client's bootstrap) and the datagrams the
# client sent per operation. Figures are printed, never asserted. Every node is stopped and
# reaped on every exit path, Ctrl-C included (tests/lib/procs.sh).
set -euo pipefail
case "${1:-}" in
-h | --help)
	sed -n '2,7s/^# \{0,1\}//p' "$0"
	exit 0
	;;
esac
build=${1:?usage: dht-swarm.sh BUILD_DIR [NODES] [OPS]}
nodes=${2:-32}
ops=${3:-40}
node_bin=$build/node/dtt-node
. "$(dirname "$0")/../tests/lib/procs.sh"
work=$(mktemp -d /tmp/dtt-swarm.XXXXXX)
cleanup() {
	dtt_stop_all
	rm -rf "$work"
}
trap cleanup EXIT
dtt_trap_signals

# The first node is the seed; the others bootstrap from it (and from the previous node).
ports=()
for i in $(seq 0 $((nodes - 1))); do
	boot=""
	[ "$i" -gt 0 ] && boot="127.0.0.1:${ports[0]}"
	[ "$i" -gt 1 ] && boot="$boot,127.0.0.1:${ports[$((i - 1))]}"
	"$node_bin" dht serve --port 0 --bind 127.0.0.1 --bootstrap "$boot" >"$work/n$i.out" 2>/dev/null &
	dtt_track $!
	for _ in $(seq 50); do [ -s "$work/n$i.out" ] && break; sleep 0.05; done
	port=$(sed -n 's/.*"addr":"127.0.0.1:\([0-9]*\)".*/\1/p' "$work/n$i.out")
	[ -n "$port" ] || { echo "dht-swarm: node $i did not start" >&2; exit 1; }
	ports+=("$port")
done
sleep 2 # let the tables settle

pick() { echo "127.0.0.1:${ports[$((RANDOM % nodes))]}"; }

: >"$work/put.txt"
: >"$work/get.txt"
for i in $(seq 1 "$ops"); do
	key=$(printf '%064x' $((1000 + i)))
	val=$(printf 'value-%d' "$i" | od -An -tx1 | tr -d ' \n')
	out=$("$node_bin" dht put --bootstrap "$(pick)" --key "$key" --salt 73616c74 --seq 1 \
		--value "$val" --timeout 20)
	echo "$out" | sed -n 's/.*"stored":\([0-9]*\).*"elapsed_ms":\([0-9]*\),"datagrams":\([0-9]*\).*/\2 \3 \1/p' >>"$work/put.txt"
	pk=$(echo "$out" | sed -n 's/.*"pubkey":"\([0-9a-f]*\)".*/\1/p')
	"$node_bin" dht get --bootstrap "$(pick)" --pubkey "$pk" --salt 73616c74 --timeout 20 \
		2>&1 >/dev/null | sed -n 's/.*"values":\([0-9]*\).*"elapsed_ms":\([0-9]*\),"datagrams":\([0-9]*\).*/\2 \3 \1/p' >>"$work/get.txt"
done

stats() { # file label: columns ms datagrams count
	sort -n "$1" | awk -v label="$2" '
		{ ms[NR] = $1; dg += $2; ok += ($3 > 0) }
		END {
			if (NR == 0) { printf "%-4s no samples\n", label; exit }
			p50 = ms[int((NR + 1) / 2)]; p95 = ms[int(NR * 0.95 + 0.999)]
			printf "%-4s n=%d median=%d ms p95=%d ms datagrams/op=%.1f succeeded=%d\n",
				label, NR, p50, p95, dg / NR, ok
		}'
}
echo "dht-swarm: $nodes nodes on 127.0.0.1, $ops operations of each kind"
stats "$work/put.txt" put
stats "$work/get.txt" get
