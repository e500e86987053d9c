#!/bin/bash
# BEP 5 / BEP 44 interoperability test: dtt-node and libtorrent-rasterbar 2.0.8 in one loopback swarm.
#
#   interop.sh BUILD_DIR        mixed swarm: 8 `dtt-node dht serve` + 8 libtorrent nodes (ctest)
#   interop.sh --lt-only        libtorrent-only swarm (checks the harness itself)
#
# Everything binds 127.0.0.1. The whole run is capped by `timeout` (DTT_INTEROP_BUDGET_S, 85 s);
# every process started here is terminated and reaped on every exit path (tests/lib/procs.sh:
# the tracked nodes and every other descendant, such as a client in flight). Exit 0 only if every
# check held, 1 if one failed, 77 (ctest SKIP_RETURN_CODE) if python3-libtorrent is missing.
# Set DTT_INTEROP_KEEP=1 to keep the work directory (logs of every node and client).

set -u

BUDGET_S=${DTT_INTEROP_BUDGET_S:-85}
if [ -z "${DTT_INTEROP_INNER:-}" ]; then
	# the outer shell only enforces the time budget; the inner one cleans up on SIGTERM
	DTT_INTEROP_INNER=1 exec timeout -k 10 "$BUDGET_S" "$0" "$@"
fi

PY=/usr/bin/python3
HERE=$(cd "$(dirname "$0")" && pwd)
. "$HERE/../lib/procs.sh"
LT_NODE="$HERE/lt_node.py"

usage() {
	echo "usage: $0 BUILD_DIR | $0 --lt-only" >&2
	exit 2
}

MODE=mixed
DTT=
case "${1:-}" in
--lt-only) MODE=lt-only ;;
'' | -*) usage ;;
*)
	DTT="$1/node/dtt-node"
	if [ ! -x "$DTT" ]; then
		echo "FAIL: $DTT not found or not executable" >&2
		exit 1
	fi
	;;
esac

if ! "$PY" -c 'import libtorrent, cryptography' 2>/dev/null; then
	echo "SKIP: $PY cannot import libtorrent and cryptography (python3-libtorrent, python3-cryptography)"
	exit 77
fi

WORK=$(mktemp -d "${TMPDIR:-/tmp}/dtt-interop.XXXXXX") || exit 1
CUR_PID=    # the client command being waited for
T0=$(date +%s.%N)
FAILS=0
CHECKS=0

cleanup() {
	local rc=$?
	trap - EXIT
	dtt_stop_all # SIGTERM, up to 5 s of grace, then SIGKILL; reaped
	if [ -n "${DTT_INTEROP_KEEP:-}" ]; then
		echo "work directory kept: $WORK"
	else
		rm -rf "$WORK"
	fi
	exit $rc
}
trap cleanup EXIT
trap 'echo "interrupted (time budget ${BUDGET_S}s?)" >&2; exit 1' INT TERM HUP

elapsed() {
	"$PY" -c "import sys; print('%.1f' % (float(sys.argv[2]) - float(sys.argv[1])))" "$T0" "$(date +%s.%N)"
}

log() {
	echo "[$(elapsed)s] $*"
}

check() { # check NAME CONDITION-EXIT-STATUS DETAIL
	CHECKS=$((CHECKS + 1))
	if [ "$2" = 0 ]; then
		echo "  ok   $1${3:+ ($3)}"
	else
		echo "  FAIL $1${3:+ ($3)}"
		FAILS=$((FAILS + 1))
	fi
}

# json FILE EXPR: evaluate a Python expression over the JSON object on the first line of FILE
# (bound to j); prints the result, exit 1 if the file holds no JSON line.
json() {
	"$PY" - "$1" "$2" <<'EOF'
import json, sys
try:
    line = open(sys.argv[1]).readline()
    j = json.loads(line)
except Exception:
    sys.exit(1)
v = eval(sys.argv[2], {}, {"j": j})
print(str(v).lower() if isinstance(v, bool) else v)
EOF
}

# run SECS NAME CMD...: run a client bounded by SECS, stdout to $WORK/NAME.out; returns its status.
# The wait is interruptible, so the TERM trap can still clean up while a client runs.
run() {
	local secs=$1 name=$2 rc
	shift 2
	timeout -k 2 "$secs" "$@" >"$WORK/$name.out" 2>"$WORK/$name.err" &
	CUR_PID=$!
	wait "$CUR_PID"
	rc=$?
	CUR_PID=
	return $rc
}

show() { # show NAME: echo a client's output, indented, for the log
	sed 's/^/       | /' "$WORK/$1.out" "$WORK/$1.err" 2>/dev/null | head -n 20
}

# free_ports N: N distinct loopback ports free for both UDP and TCP (libtorrent listens on both)
free_ports() {
	"$PY" - "$1" <<'EOF'
import socket, sys
n = int(sys.argv[1]); held = []; ports = []
while len(ports) < n:
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", 0))
    p = u.getsockname()[1]
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        t.bind(("127.0.0.1", p))
    except OSError:
        u.close(); t.close(); continue
    held += [u, t]; ports.append(p)
print(" ".join(map(str, ports)))
EOF
}

# start_node KIND PORT BOOTSTRAP: start one serve node in the background (wait_ready waits for it)
start_node() {
	local kind=$1 port=$2 boot=$3 out="$WORK/node-$2.out"
	case $kind in
	lt) "$PY" "$LT_NODE" serve --port "$port" ${boot:+--bootstrap "$boot"} >"$out" 2>"$WORK/node-$port.err" & ;;
	dtt) "$DTT" dht serve --port "$port" --bind 127.0.0.1 --bootstrap "${boot:-}" >"$out" 2>"$WORK/node-$port.err" & ;;
	esac
	dtt_track $!
	KIND[$port]=$kind
	echo "$!" >"$WORK/node-$port.pid"
}

wait_ready() { # wait_ready PORT...: every node printed its ready line within 20 s (slow when loaded)
	local port deadline=$((SECONDS + 20))
	for port in "$@"; do
		until grep -q '"addr"' "$WORK/node-$port.out" 2>/dev/null; do
			if ! kill -0 "$(cat "$WORK/node-$port.pid")" 2>/dev/null || [ $SECONDS -ge $deadline ]; then
				echo "FAIL: ${KIND[$port]} node on port $port did not become ready" >&2
				sed 's/^/  | /' "$WORK/node-$port.err" >&2
				exit 1
			fi
			sleep 0.05
		done
	done
}

addrs() { # addrs PORT...: comma-separated 127.0.0.1:PORT list
	local p out=
	for p in "$@"; do out="${out:+$out,}127.0.0.1:$p"; done
	echo "$out"
}

declare -A KIND

# --- the swarm ------------------------------------------------------------------------------
# Two seeds (one of each implementation when mixed) come up first; every other node then
# bootstraps to both seeds (and, for the late half, to two earlier nodes), so each
# implementation knows the other from the start. libtorrent walks towards its own id on its
# first 5 s tick, so the swarm is given SETTLE_S to converge before the first lookup.
if [ $MODE = mixed ]; then
	N=16
else
	N=8
fi
read -r -a PORTS <<<"$(free_ports $((N + 2)))"
ISO_LT=${PORTS[$N]}      # lone libtorrent node, outside the swarm
ISO_DTT=${PORTS[$((N + 1))]} # lone dtt node, outside the swarm (mixed mode only)
SWARM=("${PORTS[@]:0:$N}")

kind_of() { # kind_of INDEX
	if [ $MODE = mixed ] && [ $(($1 % 2)) = 0 ]; then echo dtt; else echo lt; fi
}

log "mode $MODE: starting $N nodes on 127.0.0.1 ports ${SWARM[*]}"
start_node "$(kind_of 0)" "${SWARM[0]}" ""
wait_ready "${SWARM[0]}"
start_node "$(kind_of 1)" "${SWARM[1]}" "$(addrs "${SWARM[0]}")"
wait_ready "${SWARM[1]}"
SEEDS=$(addrs "${SWARM[0]}" "${SWARM[1]}")
for i in $(seq 2 $((N - 1))); do
	boot=$SEEDS
	if [ "$i" -ge $((N / 2 + 1)) ]; then
		boot="$boot,$(addrs "${SWARM[$((i - N / 2))]}" "${SWARM[$((i - N / 2 + 1))]}")"
	fi
	start_node "$(kind_of "$i")" "${SWARM[$i]}" "$boot"
	# the late half bootstraps to nodes of the early half, which must be up by then
	[ "$i" = $((N / 2)) ] && wait_ready "${SWARM[@]:0:$((N / 2 + 1))}"
done
start_node lt "$ISO_LT" ""
[ $MODE = mixed ] && start_node dtt "$ISO_DTT" ""
wait_ready "${SWARM[@]}" "$ISO_LT"
[ $MODE = mixed ] && wait_ready "$ISO_DTT"

LT_PORTS=()
DTT_PORTS=()
for p in "${SWARM[@]}"; do
	if [ "${KIND[$p]}" = lt ]; then LT_PORTS+=("$p"); else DTT_PORTS+=("$p"); fi
done
log "ready: ${#LT_PORTS[@]} libtorrent, ${#DTT_PORTS[@]} dtt (+ lone nodes $ISO_LT${DTT_PORTS:+, $ISO_DTT})"
for p in "${SWARM[@]}"; do
	echo "       ${KIND[$p]} $(json "$WORK/node-$p.out" 'j["addr"] + " " + str(j.get("id"))')"
done

SETTLE_S=${DTT_INTEROP_SETTLE_S:-6}
log "letting the swarm settle for ${SETTLE_S}s"
sleep "$SETTLE_S" &
CUR_PID=$!
wait $CUR_PID
CUR_PID=

MIX=$(addrs "${SWARM[@]:0:4}")     # both kinds when mixed
LT_ONLY=$(addrs "${LT_PORTS[@]:0:3}")
DTT_ONLY=$(addrs "${DTT_PORTS[@]:0:3}" 2>/dev/null)

SEED_A=$(printf 'a1%.0s' $(seq 32))
SEED_B=$(printf 'b2%.0s' $(seq 32))
SEED_C=$(printf 'c3%.0s' $(seq 32))
SALT_A=$(printf 'dtt-interop-a' | od -An -tx1 | tr -d ' \n')
SALT_B=$(printf 'dtt-interop-b' | od -An -tx1 | tr -d ' \n')
SALT_C=$(printf 'dtt-interop-c' | od -An -tx1 | tr -d ' \n')
VAL_A=$(printf 'written by dtt-node, seq 5 \x00\x01\xfe\xff' | od -An -tx1 | tr -d ' \n')
VAL_A2=$(printf 'rewritten by libtorrent' | od -An -tx1 | tr -d ' \n')
VAL_A3=$(printf 'dtt again, cas 6' | od -An -tx1 | tr -d ' \n')
VAL_B=$(printf 'written by libtorrent \x00\xff' | od -An -tx1 | tr -d ' \n')
VAL_C=$(printf 'lone node item' | od -An -tx1 | tr -d ' \n')
VAL_C2=$(printf 'stale' | od -An -tx1 | tr -d ' \n')
PK_A=$("$PY" "$LT_NODE" pubkey --seed "$SEED_A" | sed 's/.*"pubkey": "\([0-9a-f]*\)".*/\1/')
PK_B=$("$PY" "$LT_NODE" pubkey --seed "$SEED_B" | sed 's/.*"pubkey": "\([0-9a-f]*\)".*/\1/')
PK_C=$("$PY" "$LT_NODE" pubkey --seed "$SEED_C" | sed 's/.*"pubkey": "\([0-9a-f]*\)".*/\1/')

# dtt_has NAME SEQ VALUE: some line of a `dtt-node dht get` output holds exactly this seq and value
dtt_has() {
	"$PY" - "$WORK/$1.out" "$2" "$3" <<'EOF'
import json, sys
want_seq, want_val = int(sys.argv[2]), sys.argv[3]
for line in open(sys.argv[1]):
    try:
        j = json.loads(line)
    except ValueError:
        continue
    if j.get("seq") == want_seq and j.get("value") == want_val:
        sys.exit(0)
sys.exit(1)
EOF
}

# dtt_max_seq NAME: the highest seq printed by a `dtt-node dht get`
dtt_max_seq() {
	"$PY" - "$WORK/$1.out" <<'EOF'
import json, sys
seqs = []
for line in open(sys.argv[1]):
    try:
        seqs.append(json.loads(line)["seq"])
    except (ValueError, KeyError):
        pass
print(max(seqs) if seqs else -1)
EOF
}

# lt_item_is NAME SEQ VALUE: an lt_node.py get/put output holds this seq and value, sig verified
lt_item_is() {
	[ "$(json "$WORK/$1.out" 'j["seq"] == '"$2"' and j["value"] == "'"$3"'" and j["sig_ok"] is True and len(j["sig"]) == 128')" = true ]
}

# lt_put NAME BOOTSTRAP SEED SALT VALUE [once]: a libtorrent put whose session then stays in the swarm
# as a full node (--linger) until cleanup. libtorrent nodes add every accepted putter to their
# routing table (ro=1 or not); a putter that exits would stall later libtorrent lookups for the
# 15 s RPC timeout. Returns 0 once the result line shows stored >= 1.
lt_put() {
	local name=$1 pid deadline=$((SECONDS + 20))
	if [ "${6:-}" = once ]; then
		# read-only and gone after the put: for a lone storing node, which would otherwise
		# hand the lingering putter its own address and count a put to itself
		run 20 "$name" "$PY" "$LT_NODE" put --bootstrap "$2" --seed "$3" --salt "$4" \
			--value "$5" --timeout 18 || return 1
		[ "$(json "$WORK/$name.out" 'j["stored"] >= 1')" = true ]
		return
	fi
	"$PY" "$LT_NODE" put --linger --bootstrap "$2" --seed "$3" --salt "$4" --value "$5" \
		--timeout 18 >"$WORK/$name.out" 2>"$WORK/$name.err" &
	pid=$!
	dtt_track "$pid"
	until grep -q '"stored".*}' "$WORK/$name.out" 2>/dev/null; do
		kill -0 $pid 2>/dev/null || return 1
		[ $SECONDS -ge $deadline ] && return 1
		sleep 0.05
	done
	[ "$(json "$WORK/$name.out" 'j["stored"] >= 1')" = true ]
}
lt_get() { # lt_get NAME BOOTSTRAP PUBKEY SALT [MIN_SEQ]
	run 12 "$1" "$PY" "$LT_NODE" get --bootstrap "$2" --pubkey "$3" --salt "$4" --min-seq "${5:-1}" --timeout 10
}
dtt_put() { # dtt_put NAME BOOTSTRAP SEED SALT SEQ VALUE [CAS]
	run 20 "$1" "$DTT" dht put --bootstrap "$2" --key "$3" --salt "$4" --seq "$5" --value "$6" ${7:+--cas "$7"}
}
dtt_get() { # dtt_get NAME BOOTSTRAP PUBKEY SALT
	run 12 "$1" "$DTT" dht get --bootstrap "$2" --pubkey "$3" --salt "$4" --timeout 10
}

timing() { # timing NAME: the timings an lt_node.py client reported
	json "$WORK/$1.out" '"bootstrap %sms, op %sms, stored %s" % (j.get("bootstrap_ms"), j.get("put_ms", j.get("get_ms")), j.get("stored", "-"))' 2>/dev/null
}

# --- checks ---------------------------------------------------------------------------------
if [ $MODE = lt-only ]; then
	log "(1) libtorrent put -> libtorrent get through the swarm"
	lt_put put1 "$MIX" "$SEED_B" "$SALT_B" "$VAL_B"
	rc=$?
	check "lt put stored on >= 1 node, seq 1" "$([ $rc = 0 ] && lt_item_is put1 1 "$VAL_B"; echo $?)" "$(timing put1)"
	[ $rc = 0 ] || show put1
	lt_get get1 "$(addrs "${SWARM[@]: -3}")" "$PK_B" "$SALT_B"
	rc=$?
	check "lt get from the far end returns seq 1 and the value" "$([ $rc = 0 ] && lt_item_is get1 1 "$VAL_B"; echo $?)" "$(timing get1)"
	[ $rc = 0 ] || show get1

	log "(2) second put picks seq = highest seen + 1"
	lt_put put2 "$(addrs "${SWARM[@]: -2}")" "$SEED_B" "$SALT_B" "$VAL_A2"
	rc=$?
	check "lt put over an existing item uses seq 2" "$([ $rc = 0 ] && lt_item_is put2 2 "$VAL_A2"; echo $?)" "$(timing put2)"
	lt_get get2 "$MIX" "$PK_B" "$SALT_B" 2
	rc=$?
	check "lt get returns the seq 2 value" "$([ $rc = 0 ] && lt_item_is get2 2 "$VAL_A2"; echo $?)" "$(timing get2)"
	[ $rc = 0 ] || show get2

	log "(3) a lone node stores exactly one copy"
	lt_put put3 "$(addrs "$ISO_LT")" "$SEED_C" "$SALT_C" "$VAL_C" once
	rc=$?
	check "lt put to a lone libtorrent node: stored == 1" "$([ $rc = 0 ] && [ "$(json "$WORK/put3.out" 'j["stored"]')" = 1 ]; echo $?)" "$(timing put3)"
	lt_get get3 "$(addrs "$ISO_LT")" "$PK_C" "$SALT_C"
	rc=$?
	check "lt get from the lone node" "$([ $rc = 0 ] && lt_item_is get3 1 "$VAL_C"; echo $?)" "$(timing get3)"

	log "(4) a get for an item nobody stored finds nothing"
	run 10 get4 "$PY" "$LT_NODE" get --bootstrap "$MIX" --pubkey "$PK_A" --salt "$SALT_A" --timeout 3
	rc=$?
	check "lt get of an unknown item exits 1 (\"no item\")" "$([ $rc = 1 ] && grep -q 'no item with seq' "$WORK/get4.err"; echo $?)"
	[ $rc = 1 ] || show get4
else
	# libtorrent puts go first where the order is free: a dtt-node put client exits and leaves a
	# dead routing entry in every libtorrent node that stored its item (see lt_put)
	log "(a) libtorrent put -> dtt-node get"
	lt_put b_put "$MIX" "$SEED_B" "$SALT_B" "$VAL_B"
	rc=$?
	check "libtorrent put: seq 1, stored >= 1" "$([ $rc = 0 ] && lt_item_is b_put 1 "$VAL_B"; echo $?)" "$(timing b_put)"
	[ $rc = 0 ] || show b_put
	dtt_get b_get "$MIX" "$PK_B" "$SALT_B"
	rc=$?
	check "dtt-node get prints seq 1 and the value" "$([ $rc = 0 ] && dtt_has b_get 1 "$VAL_B"; echo $?)"
	[ $rc = 0 ] || show b_get

	log "(b) dtt-node put (seq 5) -> libtorrent get"
	dtt_put a_put "$MIX" "$SEED_A" "$SALT_A" 5 "$VAL_A"
	rc=$?
	check "dtt-node put exits 0 and stored >= 1" "$([ $rc = 0 ] && [ "$(json "$WORK/a_put.out" 'j["stored"] >= 1')" = true ]; echo $?)" "$(json "$WORK/a_put.out" 'j["stored"]' 2>/dev/null) copies"
	[ $rc = 0 ] || show a_put
	lt_get a_get "$MIX" "$PK_A" "$SALT_A" 5
	rc=$?
	check "libtorrent get: seq 5, same value, signature verifies" "$([ $rc = 0 ] && lt_item_is a_get 5 "$VAL_A"; echo $?)" "$(timing a_get)"
	[ $rc = 0 ] || show a_get

	log "(c) lookups that must cross implementations"
	dtt_get c1_get "$LT_ONLY" "$PK_A" "$SALT_A"
	rc=$?
	check "dtt-node get bootstrapped only to libtorrent nodes finds the dtt item" "$([ $rc = 0 ] && dtt_has c1_get 5 "$VAL_A"; echo $?)"
	[ $rc = 0 ] || show c1_get
	lt_get c2_get "$DTT_ONLY" "$PK_B" "$SALT_B"
	rc=$?
	check "libtorrent get bootstrapped only to dtt nodes finds the libtorrent item" "$([ $rc = 0 ] && lt_item_is c2_get 1 "$VAL_B"; echo $?)" "$(timing c2_get)"
	[ $rc = 0 ] || show c2_get

	log "(d) one node of the other implementation, alone: it stores (token, signature, encoding)"
	lt_put d4_put "$(addrs "$ISO_DTT")" "$SEED_C" "$SALT_C" "$VAL_C" once
	rc=$?
	check "libtorrent put to a lone dtt node: stored == 1, seq 1" "$([ $rc = 0 ] && lt_item_is d4_put 1 "$VAL_C" && [ "$(json "$WORK/d4_put.out" 'j["stored"]')" = 1 ]; echo $?)" "$(timing d4_put)"
	[ $rc = 0 ] || show d4_put
	dtt_get d5_get "$(addrs "$ISO_DTT")" "$PK_C" "$SALT_C"
	rc=$?
	check "dtt-node get from that node returns it" "$([ $rc = 0 ] && dtt_has d5_get 1 "$VAL_C"; echo $?)"
	[ $rc = 0 ] || show d5_get

	dtt_put d1_put "$(addrs "$ISO_LT")" "$SEED_C" "$SALT_C" 3 "$VAL_C"
	rc=$?
	check "dtt-node put to a lone libtorrent node: stored == 1" "$([ $rc = 0 ] && [ "$(json "$WORK/d1_put.out" 'j["stored"]')" = 1 ]; echo $?)"
	[ $rc = 0 ] || show d1_put
	dtt_put d2_put "$(addrs "$ISO_LT")" "$SEED_C" "$SALT_C" 2 "$VAL_C2"
	check "dtt-node put with a lower seq: the libtorrent node refuses it (stored == 0)" \
		"$([ "$(json "$WORK/d1_put.out" 'j["stored"]' 2>/dev/null)" = 1 ] &&
			[ "$(json "$WORK/d2_put.out" 'j["stored"]' 2>/dev/null)" = 0 ]; echo $?)"
	lt_get d3_get "$(addrs "$ISO_LT")" "$PK_C" "$SALT_C"
	rc=$?
	check "libtorrent get from that node: still seq 3 and the first value" "$([ $rc = 0 ] && lt_item_is d3_get 3 "$VAL_C"; echo $?)"
	[ $rc = 0 ] || show d3_get

	log "(e) sequence numbers and CAS across implementations (the item of (b))"
	lt_put e1_put "$MIX" "$SEED_A" "$SALT_A" "$VAL_A2"
	rc=$?
	check "libtorrent put over the dtt item picks seq 6 (it read seq 5)" "$([ $rc = 0 ] && lt_item_is e1_put 6 "$VAL_A2"; echo $?)" "$(timing e1_put)"
	[ $rc = 0 ] || show e1_put
	dtt_get e2_get "$MIX" "$PK_A" "$SALT_A"
	rc=$?
	check "dtt-node get: highest seq is 6 with the libtorrent value" "$([ $rc = 0 ] && dtt_has e2_get 6 "$VAL_A2" && [ "$(dtt_max_seq e2_get)" = 6 ]; echo $?)"
	[ $rc = 0 ] || show e2_get
	dtt_put e3_put "$MIX" "$SEED_A" "$SALT_A" 7 "$VAL_A3" 6
	rc=$?
	check "dtt-node put seq 7 with cas 6: stored >= 1" "$([ $rc = 0 ] && [ "$(json "$WORK/e3_put.out" 'j["stored"] >= 1')" = true ]; echo $?)"
	[ $rc = 0 ] || show e3_put
	lt_get e4_get "$LT_ONLY" "$PK_A" "$SALT_A" 7
	rc=$?
	check "libtorrent get: seq 7 and the dtt value" "$([ $rc = 0 ] && lt_item_is e4_get 7 "$VAL_A3"; echo $?)" "$(timing e4_get)"
	[ $rc = 0 ] || show e4_get
fi

log "$CHECKS checks, $FAILS failed"
[ $FAILS = 0 ] && echo PASS || echo FAIL
[ $FAILS = 0 ]
