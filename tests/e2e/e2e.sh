#!/usr/bin/env bash
# e2e.sh BUILD_DIR [--loopback] - end to end: a local DHT of 8 `dtt-node dht serve` processes and
# 5 `dtt-node join` processes started at staggered times, each in its own network namespace
# (ip netns + veth on one bridge, 10.213.0.0/24, created here and removed on exit) when this
# machine lets us create them, else on 127.0.0.1 ports. Every member must join within 60 s, and
# every line each member broadcasts must arrive at every other member. With DTT_E2E_NO_BIND=1
# the members get neither --bind nor --announce (bound to 0.0.0.0, as in a container): each must
# learn its address from the DHT's replies, and its "address" event must name its own host.
# Every process started here is stopped and reaped, and then every namespace deleted, on every
# exit path: pass, failure, and the time budget running out (tests/lib/procs.sh).
# Exit status: 0 pass, 1 a check failed, 124 out of time.
set -uo pipefail

build=${1:?usage: e2e.sh BUILD_DIR [--loopback]}
mode=${2:-auto}
if [ -z "${DTT_E2E_INNER:-}" ]; then
	DTT_E2E_INNER=1 exec timeout --kill-after=10 "${DTT_E2E_BUDGET_S:-170}" "$0" "$@"
fi

. "$(dirname "$0")/../lib/procs.sh"
node_bin=$(cd "$build" && pwd)/node/dtt-node
work=$(mktemp -d /tmp/dtt-e2e.XXXXXX)
# namespace names carry the suite's run id (DTT_SUITE_RUN, set by scripts/test.sh): its check for
# leftovers tells them from those of other runs on the same machine
prefix="dtte2e-${DTT_SUITE_RUN:+$DTT_SUITE_RUN-}$$-"
dht_n=8
members=5
namespaces=()
t0=$(date +%s)

log() { printf '[%3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }

cleanup() {
	local ns p
	dtt_stop_all
	# a namespace goes only once nothing runs in it (anything still there was started here)
	for ns in "${namespaces[@]}"; do
		for p in $(ip netns pids "$ns" 2>/dev/null); do
			echo "cleanup: pid $p still in namespace $ns, killing it" >&2
			kill -KILL "$p" 2>/dev/null
		done
		ip netns del "$ns" 2>/dev/null || echo "cleanup: cannot delete namespace $ns" >&2
	done
	[ -n "${DTT_E2E_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
dtt_trap_signals

use_netns=0
if [ "$mode" != "--loopback" ] && [ "$(id -u)" = 0 ] && command -v ip >/dev/null &&
	ip netns add "${prefix}br" 2>/dev/null; then
	namespaces+=("${prefix}br")
	if ip -n "${prefix}br" link add br0 type bridge 2>/dev/null &&
		ip -n "${prefix}br" link set br0 up; then
		use_netns=1
	fi
fi

# host i (0..12): its namespace and address; on_host i sets the array $on to the prefix that
# runs a command there (`"${on[@]}" CMD... &` keeps $! the pid of CMD itself)
host_addr() { if [ "$use_netns" = 1 ]; then echo "10.213.0.$((10 + $1))"; else echo 127.0.0.1; fi; }
host_port() { if [ "$use_netns" = 1 ]; then echo 6881; else echo $((36000 + $1 + ($$ % 500) * 20)); fi; }
make_host() {
	[ "$use_netns" = 1 ] || return 0
	local ns="${prefix}h$1"
	# the bridge end lives in this run's own bridge namespace: a short name is unique there
	ip netns add "$ns" && namespaces+=("$ns") &&
		ip link add "v$1" netns "${prefix}br" type veth peer name eth0 netns "$ns" &&
		ip -n "${prefix}br" link set "v$1" master br0 up &&
		ip -n "$ns" addr add "$(host_addr "$1")/24" dev eth0 &&
		ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up
}
on_host() {
	if [ "$use_netns" = 1 ]; then on=(ip netns exec "${prefix}h$1"); else on=(); fi
}

if [ "$use_netns" = 1 ]; then log "mode: network namespaces (one per process, 10.213.0.0/24)"
else log "mode: loopback ports (network namespaces unavailable)"; fi

# --- the DHT: node 0 alone, the others bootstrap from it ---
seed="$(host_addr 0):$(host_port 0)"
for i in $(seq 0 $((dht_n - 1))); do
	make_host "$i" || { echo "FAIL: cannot create network namespace $i" >&2; exit 1; }
	boot=""
	[ "$i" -gt 0 ] && boot=$seed
	on_host "$i"
	"${on[@]}" "$node_bin" dht serve --bind "$(host_addr "$i")" --port "$(host_port "$i")" \
		--bootstrap "$boot" >"$work/dht$i.out" 2>"$work/dht$i.err" &
	dtt_track $!
	if [ "$i" = 0 ]; then # the seed listens before anyone bootstraps from it
		for _ in $(seq 100); do [ -s "$work/dht0.out" ] && break; sleep 0.05; done
	fi
done
sleep 1.5
for i in $(seq 0 $((dht_n - 1))); do
	[ -s "$work/dht$i.out" ] || { echo "FAIL: DHT node $i did not start" >&2; cat "$work/dht$i.err" >&2; exit 1; }
done
log "DHT: $dht_n nodes up"

# --- members, started 3 s apart, each bootstrapped from another DHT node ---
for m in $(seq 1 $members); do
	h=$((dht_n + m - 1))
	make_host "$h" || { echo "FAIL: cannot create network namespace $h" >&2; exit 1; }
	mkfifo "$work/in$m"
	boot="$(host_addr $((m % dht_n))):$(host_port $((m % dht_n)))"
	bind=(--bind "$(host_addr "$h")")
	[ -n "${DTT_E2E_NO_BIND:-}" ] && bind=()
	on_host "$h"
	"${on[@]}" "$node_bin" join --topic e2e-topic --secret e2e-secret --json \
		"${bind[@]}" --port "$(host_port "$h")" --bootstrap "$boot" \
		--key "$work/m$m.key" <"$work/in$m" >"$work/m$m.out" 2>"$work/m$m.err" &
	dtt_track $!
	exec {fd}>"$work/in$m"
	eval "in_fd_$m=$fd"
	start_ms[$m]=$(date +%s%3N)
	log "member $m started (bootstrap $boot)"
	sleep 3
done

# --- everyone joins within 60 s of its start ---
all_joined() {
	for m in $(seq 1 $members); do grep -q '"event":"joined"' "$work/m$m.err" || return 1; done
}
deadline=$(( $(date +%s) + 60 ))
until all_joined; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "FAIL: not every member joined within 60 s" >&2
		for m in $(seq 1 $members); do echo "-- member $m" >&2; tail -5 "$work/m$m.err" >&2; done
		exit 1
	fi
	sleep 0.5
done
for m in $(seq 1 $members); do
	log "member $m: $(grep -m1 '"event":"bootstrap_done"' "$work/m$m.err" || echo joined)"
done
log "ok   all $members members joined"
if [ -n "${DTT_E2E_NO_BIND:-}" ]; then
	for m in $(seq 1 $members); do
		want="$(host_addr $((dht_n + m - 1))):$(host_port $((dht_n + m - 1)))"
		grep -q "\"event\":\"address\",\"addr\":\"$want\",\"family\":\"ipv4\",\"published\":true" \
			"$work/m$m.err" || { echo "FAIL: member $m (bound to 0.0.0.0) did not learn $want" >&2; exit 1; }
	done
	log "ok   every member bound to 0.0.0.0 learned its address from the DHT"
fi

# --- the overlay becomes one component (neighbour events tell the graph) ---
connected() { python3 "$(dirname "$0")/../lib/overlay_connected.py" "$work" "$members"; }
deadline=$(( $(date +%s) + 90 ))
until connected; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "FAIL: the overlay did not become one component" >&2
		exit 1
	fi
	sleep 1
done
log "ok   the overlay is one component"

# --- every line reaches every other member ---
for round in 1 2; do
	for m in $(seq 1 $members); do
		eval "fd=\$in_fd_$m"
		echo "line $round from member $m" >&"$fd"
	done
	deadline=$(( $(date +%s) + 20 ))
	while :; do
		missing=0
		for r in $(seq 1 $members); do
			for s in $(seq 1 $members); do
				[ "$r" = "$s" ] && continue
				grep -q "\"message\":\"line $round from member $s\"" "$work/m$r.out" ||
					missing=$((missing + 1))
			done
		done
		[ "$missing" = 0 ] && break
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "FAIL: round $round: $missing of $((members * (members - 1))) deliveries missing" >&2
			for r in $(seq 1 $members); do echo "-- member $r got:" >&2; cat "$work/m$r.out" >&2; done
			exit 1
		fi
		sleep 0.3
	done
	log "ok   round $round: all $((members * (members - 1))) deliveries"
done

# no member received its own line, none twice
for r in $(seq 1 $members); do
	if grep -q "from member $r\"" "$work/m$r.out"; then
		echo "FAIL: member $r received its own broadcast" >&2
		exit 1
	fi
	dups=$(sort "$work/m$r.out" | sed 's/"round":[0-9]*,//; s/"from":"[0-9a-f]*",//' | sort | uniq -d | wc -l)
	[ "$dups" = 0 ] || { echo "FAIL: member $r got $dups duplicate deliveries" >&2; exit 1; }
done
log "PASS"
