#!/usr/bin/env bash
# outage.sh BUILD_DIR - a member whose network goes down for a while comes back by itself:
# 4 `dtt-node dht serve` and 3 `dtt-node join` processes, each in its own network namespace
# (ip netns + veth on one bridge, 10.213.0.0/24, created here and removed on exit). Once the
# overlay is one component and lines go everywhere, member 3's link (eth0 in its namespace)
# goes down for DTT_OUTAGE_S seconds (default 120): its neighbours time out on both sides.
# Then the link comes back; within 150 s member 3 must have a neighbour again, the overlay be
# one component, and lines must go both ways (member 3 to the others, the others to member 3).
# Needs root and ip netns: without them it is skipped (exit 77). Every process started here
# is stopped and reaped, and every namespace deleted, on every exit path (tests/lib/procs.sh).
# Exit status: 0 pass, 1 a check failed, 77 skipped, 124 out of time.
set -uo pipefail

case "${1:-}" in
--help|-h) sed -n '2,11p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
'') echo "usage: outage.sh BUILD_DIR (see --help)" >&2; exit 2 ;;
esac
build=$1
outage_s=${DTT_OUTAGE_S:-120}
if [ -z "${DTT_E2E_INNER:-}" ]; then
	DTT_E2E_INNER=1 exec timeout --kill-after=10 "${DTT_E2E_BUDGET_S:-$((outage_s + 300))}" "$0" "$@"
fi

. "$(dirname "$0")/../lib/procs.sh"
node_bin=$(cd "$build" && pwd)/node/dtt-node
work=$(mktemp -d /tmp/dtt-outage.XXXXXX)
# namespace names carry the suite's run id (DTT_SUITE_RUN, set by scripts/test.sh): its check for
# leftovers tells them from those of other runs on the same machine
prefix="dttout-${DTT_SUITE_RUN:+$DTT_SUITE_RUN-}$$-"
dht_n=4
members=3
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
if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add "${prefix}br" 2>/dev/null; then
	namespaces+=("${prefix}br")
	if ip -n "${prefix}br" link add br0 type bridge 2>/dev/null &&
		ip -n "${prefix}br" link set br0 up; then
		use_netns=1
	fi
fi
if [ "$use_netns" != 1 ]; then
	echo "SKIP: needs root and network namespaces (a link to take down)" >&2
	exit 77
fi

host_addr() { echo "10.213.0.$((10 + $1))"; }
host_port() { echo 6881; }
make_host() {
	local ns="${prefix}h$1"
	# the bridge end lives in this run's own bridge namespace: a short name is unique there
	ip netns add "$ns" && namespaces+=("$ns") &&
		ip link add "v$1" netns "${prefix}br" type veth peer name eth0 netns "$ns" &&
		ip -n "${prefix}br" link set "v$1" master br0 up &&
		ip -n "$ns" addr add "$(host_addr "$1")/24" dev eth0 &&
		ip -n "$ns" link set eth0 up && ip -n "$ns" link set lo up
}
on_host() { on=(ip netns exec "${prefix}h$1"); }

log "mode: network namespaces (one per process, 10.213.0.0/24), outage ${outage_s}s"

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
	on_host "$h"
	"${on[@]}" "$node_bin" join --topic e2e-topic --secret e2e-secret --json \
		--bind "$(host_addr "$h")" --port "$(host_port "$h")" --bootstrap "$boot" \
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

# deliveries: every member's line "$1 from member M" reaches every other member within 30 s
deliver_round() {
	local tag=$1 deadline missing r s fd
	for m in $(seq 1 $members); do
		eval "fd=\$in_fd_$m"
		echo "$tag from member $m" >&"$fd"
	done
	deadline=$(( $(date +%s) + 30 ))
	while :; do
		missing=0
		for r in $(seq 1 $members); do
			for s in $(seq 1 $members); do
				[ "$r" = "$s" ] && continue
				grep -q "\"message\":\"$tag from member $s\"" "$work/m$r.out" ||
					missing=$((missing + 1))
			done
		done
		[ "$missing" = 0 ] && break
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "FAIL: $tag: $missing of $((members * (members - 1))) deliveries missing" >&2
			for r in $(seq 1 $members); do echo "-- member $r got:" >&2; cat "$work/m$r.out" >&2; done
			exit 1
		fi
		sleep 0.3
	done
	log "ok   $tag: all $((members * (members - 1))) deliveries"
}
count() { grep -c "$1" "$2" || true; }

deliver_round "before"

# --- member 3's network goes down ---
cut=$((dht_n + members - 1))
downs0=$(count '"event":"neighbor_down"' "$work/m$members.err")
ip -n "${prefix}h$cut" link set eth0 down || { echo "FAIL: cannot take the link down" >&2; exit 1; }
log "member $members: link down for ${outage_s}s"
sleep "$outage_s"
downs=$(count '"event":"neighbor_down"' "$work/m$members.err")
if [ "$downs" -le "$downs0" ]; then
	echo "FAIL: member $members lost no neighbour during the outage (was it cut?)" >&2
	exit 1
fi
if ! python3 - "$work/m$members.err" <<'PY'
import json, sys
up = set()
for line in open(sys.argv[1]):
    try:
        e = json.loads(line)
    except ValueError:
        continue
    if e.get("event") == "neighbor_up":
        up.add(e["peer"])
    elif e.get("event") == "neighbor_down":
        up.discard(e["peer"])
sys.exit(0 if not up else 1)
PY
then
	echo "FAIL: member $members still had a neighbour at the end of the outage" >&2
	exit 1
fi
log "ok   member $members was alone ($((downs - downs0)) neighbours down)"

# --- the link comes back: member 3 rejoins by itself ---
ups0=$(count '"event":"neighbor_up"' "$work/m$members.err")
ip -n "${prefix}h$cut" link set eth0 up || { echo "FAIL: cannot bring the link up" >&2; exit 1; }
back=$(date +%s)
log "member $members: link up"
deadline=$(( back + 150 ))
until [ "$(count '"event":"neighbor_up"' "$work/m$members.err")" -gt "$ups0" ] && connected; do
	if [ "$(date +%s)" -ge "$deadline" ]; then
		echo "FAIL: member $members did not rejoin within 150 s of the link coming back" >&2
		tail -20 "$work/m$members.err" >&2
		exit 1
	fi
	sleep 1
done
log "ok   member $members rejoined $(( $(date +%s) - back ))s after the link came back"

deliver_round "after"
log "PASS"
