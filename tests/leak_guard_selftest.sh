#!/usr/bin/env bash
# leak_guard_selftest.sh BUILD_DIR - the suite's leftover check must be able to fail: a
# `dtt-node dht serve` leaked the way tests/e2e/e2e.sh once leaked them (a shell function run in
# the background, then only the subshell around it killed), plus a network namespace named after
# the run when this machine lets us make one, must be named and cleaned up by
# tests/leak_guard.sh, which must exit 1; a dtt-node of this checkout started meanwhile without
# the run's id must be named too, but left running. A second check must then find nothing.
set -uo pipefail
build=${1:?usage: leak_guard_selftest.sh BUILD_DIR}
here=$(cd "$(dirname "$0")" && pwd)
node_bin=$(cd "$build" && pwd)/node/dtt-node
. "$here/lib/procs.sh"

# a run of its own, apart from the suite this may be part of
export DTT_SUITE_RUN="selftest-$$-$(date +%s%N)"
snap=$(mktemp /tmp/dtt-leak-selftest.XXXXXX)
orphan=
ns=
cleanup() {
	dtt_stop_all
	[ -n "$orphan" ] && kill -KILL "$orphan" 2>/dev/null
	[ -n "$ns" ] && ip netns del "$ns" 2>/dev/null
	rm -f "$snap"
}
trap cleanup EXIT
dtt_trap_signals
fail() { echo "selftest: $*" >&2; exit 1; }

"$here/leak_guard.sh" snapshot "$snap" || fail "snapshot failed"

# a dtt-node started without the run's environment: named, left to its owner (this script)
env -u DTT_SUITE_RUN "$node_bin" dht serve --bind 127.0.0.1 --port 0 --bootstrap "" >/dev/null 2>&1 &
bare=$!
dtt_track "$bare"

# the planted leak: $! is the subshell around run_on, not dtt-node
run_on() { "$@"; }
run_on "$node_bin" dht serve --bind 127.0.0.1 --port 0 --bootstrap "" >/dev/null 2>&1 &
sub=$!
for _ in $(seq 100); do
	orphan=$(pgrep -P "$sub" -x dtt-node) && break
	sleep 0.05
done
[ -n "$orphan" ] || fail "the planted dtt-node did not start"
{ kill -KILL "$sub" && wait "$sub"; } 2>/dev/null
kill -0 "$orphan" 2>/dev/null || fail "the planted dtt-node did not outlive its subshell"
echo "planted: dtt-node pid $orphan, its subshell $sub killed; dtt-node pid $bare without the run id"

if [ "$(id -u)" = 0 ] && command -v ip >/dev/null && ip netns add "dttleak-$DTT_SUITE_RUN" 2>/dev/null; then
	ns="dttleak-$DTT_SUITE_RUN"
	echo "planted: network namespace $ns"
fi

out=$("$here/leak_guard.sh" check "$snap" 2>&1)
rc=$?
echo "$out"
[ "$rc" = 1 ] || fail "leak_guard.sh exited $rc with a dtt-node left behind, expected 1"
grep -q "pid $orphan (parent [0-9]*): $node_bin dht serve" <<<"$out" ||
	fail "leak_guard.sh did not name the leaked dtt-node (pid $orphan)"
if [ -n "$ns" ]; then
	grep -qF "namespace $ns" <<<"$out" || fail "leak_guard.sh did not name the namespace $ns"
	ip netns list | grep -qF "$ns" && fail "leak_guard.sh did not delete the namespace $ns"
	ns=
fi
grep -q "pid $bare (parent $$): $node_bin dht serve" <<<"$out" ||
	fail "leak_guard.sh did not name the dtt-node started without the run id (pid $bare)"
kill -0 "$bare" 2>/dev/null || fail "leak_guard.sh stopped a process that was not the run's"
dtt_stop_all
for _ in $(seq 40); do
	kill -0 "$orphan" 2>/dev/null || break
	sleep 0.05
done
kill -0 "$orphan" 2>/dev/null && fail "leak_guard.sh did not stop the leaked dtt-node"
orphan=

out=$("$here/leak_guard.sh" check "$snap" 2>&1)
rc=$?
echo "$out"
[ "$rc" = 0 ] || fail "leak_guard.sh exited $rc once nothing was left, expected 0"
echo "selftest: planted leak caught, named and stopped; a clean run passes"
