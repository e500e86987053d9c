#!/usr/bin/env bash
# wildcard.sh BUILD_DIR - members that do not know their own address: 6 `dtt-node dht serve`
# processes and 3 `dtt-node join` processes on loopback, the members bound to 0.0.0.0 (no
# --bind, no --announce). Each member must learn its address from the DHT's replies (BEP 42
# `ip`, event "address"), publish it, join the others through the DHT and deliver every line
# (3 members x 2 others = 6 deliveries). A member on a DHT of one node must not take an address
# from a single vote and must warn that its records carry none. Bounded in time; every process
# is stopped and reaped on every exit path (tests/lib/procs.sh).
# Exit status: 0 pass, 1 a check failed, 124 out of time.
set -uo pipefail
build=${1:?usage: wildcard.sh BUILD_DIR}
if [ -z "${DTT_WILDCARD_INNER:-}" ]; then
	DTT_WILDCARD_INNER=1 exec timeout --kill-after=10 120 "$0" "$@"
fi
. "$(dirname "$0")/../lib/procs.sh"
node_bin=$(cd "$build" && pwd)/node/dtt-node
work=$(mktemp -d /tmp/dtt-wildcard.XXXXXX)
cleanup() {
	dtt_stop_all
	[ -n "${DTT_E2E_KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"
}
trap cleanup EXIT
dtt_trap_signals
fail() {
	echo "FAIL: $*" >&2
	for f in "$work"/m*.err "$work"/m*.out; do echo "-- $f" >&2; tail -20 "$f" >&2; done
	exit 1
}
t0=$(date +%s)
log() { printf '[%3ss] %s\n' "$(($(date +%s) - t0))" "$*"; }

dht_n=6
members=3
base=$((30000 + ($$ % 400) * 16))
seed="127.0.0.1:$base"
for i in $(seq 0 $((dht_n - 1))); do
	boot=""
	[ "$i" -gt 0 ] && boot=$seed
	"$node_bin" dht serve --bind 127.0.0.1 --port $((base + i)) --bootstrap "$boot" \
		>"$work/dht$i.out" 2>"$work/dht$i.err" &
	dtt_track $!
	if [ "$i" = 0 ]; then
		for _ in $(seq 100); do [ -s "$work/dht0.out" ] && break; sleep 0.05; done
	fi
done
sleep 1
for i in $(seq 0 $((dht_n - 1))); do
	[ -s "$work/dht$i.out" ] || fail "DHT node $i did not start: $(cat "$work/dht$i.err")"
done
log "DHT: $dht_n nodes on 127.0.0.1"

# meanwhile, a lone member on a DHT of one node: one vote is no quorum, so it has no address
# and must warn once it has published for 5 s
"$node_bin" dht serve --bind 127.0.0.1 --port $((base + 8)) --bootstrap "" \
	>"$work/lone_dht.out" 2>"$work/lone_dht.err" &
dtt_track $!
for _ in $(seq 100); do [ -s "$work/lone_dht.out" ] && break; sleep 0.05; done
mkfifo "$work/lone.in"
"$node_bin" join --topic lone-topic --secret lone-secret --port $((base + 9)) \
	--bootstrap "127.0.0.1:$((base + 8))" <"$work/lone.in" >"$work/lone.out" 2>"$work/lone.err" &
dtt_track $!
exec {lone_fd}>"$work/lone.in"

for m in $(seq 1 $members); do
	mkfifo "$work/in$m"
	"$node_bin" join --topic wildcard-topic --secret wildcard-secret --json \
		--port $((base + 10 + m)) --bootstrap "127.0.0.1:$((base + m % dht_n))" \
		<"$work/in$m" >"$work/m$m.out" 2>"$work/m$m.err" &
	dtt_track $!
	exec {fd}>"$work/in$m"
	eval "in_fd_$m=$fd"
	sleep 1
done
log "members: $members bound to 0.0.0.0"

# each learns 127.0.0.1:its port and publishes it
for m in $(seq 1 $members); do
	want="127.0.0.1:$((base + 10 + m))"
	for _ in $(seq 200); do grep -q '"event":"address"' "$work/m$m.err" && break; sleep 0.05; done
	grep -q '"event":"ready".*"addr":"0.0.0.0:' "$work/m$m.err" || fail "member $m is not bound to 0.0.0.0"
	grep -q "\"event\":\"address\",\"addr\":\"$want\",\"family\":\"ipv4\",\"published\":true" \
		"$work/m$m.err" || fail "member $m did not learn $want"
done
log "ok   every member learned its address from the DHT"

all_joined() {
	for m in $(seq 1 $members); do grep -q '"event":"joined"' "$work/m$m.err" || return 1; done
}
deadline=$(($(date +%s) + 60))
until all_joined; do
	[ "$(date +%s)" -ge "$deadline" ] && fail "not every member joined within 60 s"
	sleep 0.3
done
log "ok   all $members members joined"

# three members that each have a neighbour form one component (a component of one would
# have none), so every broadcast must reach both others
for m in $(seq 1 $members); do
	eval "fd=\$in_fd_$m"
	echo "line from member $m" >&"$fd"
done
deadline=$(($(date +%s) + 30))
while :; do
	missing=0
	for r in $(seq 1 $members); do
		for s in $(seq 1 $members); do
			[ "$r" = "$s" ] && continue
			grep -q "\"message\":\"line from member $s\"" "$work/m$r.out" || missing=$((missing + 1))
		done
	done
	[ "$missing" = 0 ] && break
	[ "$(date +%s)" -ge "$deadline" ] && fail "$missing of $((members * (members - 1))) deliveries missing"
	sleep 0.3
done
for m in $(seq 1 $members); do
	grep -q '"what":"no_address"' "$work/m$m.err" && fail "member $m warned that it has no address"
done
deadline=$(($(date +%s) + 15))
until grep -q '"what":"no_address"' "$work/lone.err"; do
	[ "$(date +%s)" -ge "$deadline" ] && fail "the member without an address did not warn: $(cat "$work/lone.err")"
	sleep 0.3
done
grep -q '"event":"address"' "$work/lone.err" && fail "the lone member learned an address from one vote"
log "ok   a member with one DHT node (no quorum) warned that it has no address"
exec {lone_fd}>&-
log "PASS: $((members * (members - 1))) of $((members * (members - 1))) lines delivered between members bound to 0.0.0.0"
