#!/usr/bin/env bash
# chat2.sh BUILD_DIR - two `dtt-node join` processes on 127.0.0.1 exchange messages over their
# authenticated gossip link: B joins A by explicit peer (A's id from its key file), each sends
# lines, each must print exactly the other's lines. Bounded in time; both processes are stopped
# and reaped on every exit path (tests/lib/procs.sh).
set -uo pipefail
build=${1:?usage: chat2.sh BUILD_DIR}
if [ -z "${DTT_CHAT2_INNER:-}" ]; then
	DTT_CHAT2_INNER=1 exec timeout --kill-after=5 60 "$0" "$@"
fi
. "$(dirname "$0")/../lib/procs.sh"
node_bin=$(cd "$build" && pwd)/node/dtt-node
work=$(mktemp -d /tmp/dtt-chat2.XXXXXX)
cleanup() {
	dtt_stop_all
	rm -rf "$work"
}
trap cleanup EXIT
dtt_trap_signals
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.err "$work"/*.out; do echo "-- $f" >&2; cat "$f" >&2; done; exit 1; }

port_a=$((40000 + $$ % 10000))
port_b=$((port_a + 1))
mkfifo "$work/in_a" "$work/in_b"
"$node_bin" join --topic chat2 --bind 127.0.0.1 --port "$port_a" --key "$work/a.key" \
	<"$work/in_a" >"$work/a.out" 2>"$work/a.err" &
dtt_track $!
exec 3>"$work/in_a"
for _ in $(seq 100); do grep -q '"ready"' "$work/a.err" 2>/dev/null && break; sleep 0.05; done
id_a=$(sed -n 's/.*"event":"ready","id":"\([0-9a-f]\{64\}\)".*/\1/p' "$work/a.err")
[ -n "$id_a" ] || fail "A did not print its id"
"$node_bin" join --topic chat2 --bind 127.0.0.1 --port "$port_b" --peer "$id_a@127.0.0.1:$port_a" \
	<"$work/in_b" >"$work/b.out" 2>"$work/b.err" 3>&- &
dtt_track $!
exec 4>"$work/in_b"
for _ in $(seq 100); do grep -q '"joined"' "$work/b.err" 2>/dev/null && break; sleep 0.05; done
grep -q '"joined"' "$work/b.err" || fail "B did not join A"
echo "hello from a" >&3
echo "hello from b" >&4
echo "second from a" >&3
for _ in $(seq 100); do
	[ "$(wc -l <"$work/b.out")" -ge 2 ] && [ "$(wc -l <"$work/a.out")" -ge 1 ] && break
	sleep 0.05
done
[ "$(cat "$work/a.out")" = "hello from b" ] || fail "A got: $(cat "$work/a.out")"
[ "$(printf 'hello from a\nsecond from a')" = "$(cat "$work/b.out")" ] || fail "B got: $(cat "$work/b.out")"
exec 3>&- # A's stdin ends: A leaves, B sees it go
for _ in $(seq 100); do grep -q '"reason":"left"' "$work/b.err" && break; sleep 0.05; done
grep -q '"neighbor_down","peer":"'"$id_a"'","reason":"left"' "$work/b.err" || fail "B did not see A leave"
echo "PASS: two processes exchanged 3 messages over an authenticated link; A's leave reached B"
