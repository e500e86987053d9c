#!/usr/bin/env bash
# metrics.sh BUILD_DIR - operator metrics: a `dtt-node dht serve` and a `dtt-node join` with
# --metrics on loopback, scraped with curl (Prometheus text format). Counters must move between
# two scrapes (datagrams in, responses, routing table, records published), a hostile datagram
# must show up as a drop by reason, and SIGUSR1 must print the same snapshot as one JSON line on
# stderr without stopping the node. Bounded in time; every process is stopped and reaped on every
# exit path (tests/lib/procs.sh). Exit status: 0 pass, 1 a check failed, 77 skipped (built without
# libmicrohttpd), 124 out of time.
set -uo pipefail
build=${1:?usage: metrics.sh BUILD_DIR}
if [ -z "${DTT_METRICS_INNER:-}" ]; then
	DTT_METRICS_INNER=1 exec timeout --kill-after=10 90 "$0" "$@"
fi
. "$(dirname "$0")/../lib/procs.sh"
node_bin=$(cd "$build" && pwd)/node/dtt-node
work=$(mktemp -d /tmp/dtt-metrics.XXXXXX)
cleanup() {
	dtt_stop_all
	rm -rf "$work"
}
trap cleanup EXIT
dtt_trap_signals
fail() { echo "FAIL: $*" >&2; for f in "$work"/*.err; do echo "-- $f" >&2; tail -5 "$f" >&2; done; exit 1; }
command -v curl >/dev/null || fail "curl is missing (scripts/setup.sh)"

base=$((33000 + ($$ % 400) * 16))
mport=$((base + 15))
"$node_bin" dht serve --bind 127.0.0.1 --port "$base" --bootstrap "" \
	--metrics "127.0.0.1:$mport" >"$work/dht0.out" 2>"$work/dht0.err" &
dht0=$!
dtt_track "$dht0"
for _ in $(seq 100); do [ -s "$work/dht0.out" ] && break; sleep 0.05; done
if grep -q "built without libmicrohttpd" "$work/dht0.err"; then
	echo "SKIP: dtt-node built without libmicrohttpd"
	exit 77
fi
[ -s "$work/dht0.out" ] || fail "the DHT node did not start"

# value of one sample: metric NAME with labels LABELS ('' for none) in scrape FILE
value() { awk -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print "missing" }' "$1"; }
scrape() { curl -sf --max-time 5 "http://127.0.0.1:$1/metrics" >"$2" || fail "curl http://127.0.0.1:$1/metrics failed"; }

scrape "$mport" "$work/s1"
grep -q '^# TYPE dtt_datagrams_total counter$' "$work/s1" || fail "no TYPE line for dtt_datagrams_total"
in1=$(value "$work/s1" 'dtt_datagrams_total{protocol="dht",direction="in"}')
[ "$in1" = 0 ] || fail "a node nobody talked to counted $in1 datagrams in"

# three more DHT nodes bootstrap from it, and a member publishes through them
for i in 1 2 3; do
	"$node_bin" dht serve --bind 127.0.0.1 --port $((base + i)) --bootstrap "127.0.0.1:$base" \
		>"$work/dht$i.out" 2>"$work/dht$i.err" &
	dtt_track $!
done
mkfifo "$work/in"
"$node_bin" join --topic metrics-topic --secret metrics-secret --port $((base + 8)) \
	--bootstrap "127.0.0.1:$base" --metrics "127.0.0.1:$((mport - 1))" \
	<"$work/in" >"$work/m.out" 2>"$work/m.err" &
dtt_track $!
exec 3>"$work/in"
# a hostile datagram: half a KRPC dictionary
printf 'd1:ad2:id20:' >/dev/udp/127.0.0.1/"$base" || fail "cannot send a datagram with bash"
for _ in $(seq 200); do grep -q '"event":"publish"' "$work/m.err" && break; sleep 0.1; done
grep -q '"event":"publish"' "$work/m.err" || fail "the member did not publish"
# its address needs 3 agreeing responders, which a member that bootstrapped while the DHT
# nodes were still starting meets only on a later lookup
for _ in $(seq 300); do grep -q '"event":"address"' "$work/m.err" && break; sleep 0.1; done
grep -q '"event":"address"' "$work/m.err" || fail "the member learned no address"

scrape "$mport" "$work/s2"
in2=$(value "$work/s2" 'dtt_datagrams_total{protocol="dht",direction="in"}')
out2=$(value "$work/s2" 'dtt_datagrams_total{protocol="dht",direction="out"}')
rt2=$(value "$work/s2" 'dtt_dht_routing_table_nodes')
bad=$(value "$work/s2" 'dtt_dropped_total{layer="dht",reason="bencode"}')
echo "dht node: datagrams in $in1 -> $in2, out $out2, routing table $rt2, bencode drops $bad"
[ "$in2" != missing ] && [ "$in2" -gt "$in1" ] || fail "datagrams in did not move ($in1 -> $in2)"
[ "$out2" -gt 0 ] || fail "no datagram out counted"
[ "$rt2" -ge 1 ] || fail "routing table size $rt2"
[ "$bad" -ge 1 ] || fail "the malformed datagram was not counted as a bencode drop ($bad)"
rec=$(value "$work/s2" 'dtt_dht_recoveries_total')
case "$rec" in ''|*[!0-9]*) fail "dtt_dht_recoveries_total is '$rec'" ;; esac

scrape $((mport - 1)) "$work/m1"
pub=$(grep -E '^dtt_records_published_total\{topic="[0-9a-f]{64}"\} [0-9]+$' "$work/m1" | awk '{ print $2 }')
addr=$(grep -c '^dtt_public_address_info{family="ipv4",addr="127.0.0.1:'"$((base + 8))"'"} 1$' "$work/m1")
memo=$(grep -c '^dtt_memo_lookups_total{memo="record",result="\(hit\|miss\)"} [0-9]*$' "$work/m1")
echo "member: records published ${pub:-missing}, voted address lines $addr, record memo samples $memo"
[ -n "$pub" ] && [ "$pub" -ge 1 ] || fail "the member's records_published is '${pub}'"
[ "$addr" = 1 ] || fail "the member's voted address is not in its metrics"
[ "$memo" = 2 ] || fail "the member's record memo hit and miss counters are missing"
grep -q '^dtt_topic_neighbors{topic="[0-9a-f]\{64\}"} 0$' "$work/m1" || fail "no neighbour gauge for the topic"

# SIGUSR1: one JSON line with the same counters; the node keeps running
kill -USR1 "$dht0"
for _ in $(seq 50); do grep -q '^{"event":"stats"' "$work/dht0.err" && break; sleep 0.05; done
line=$(grep '^{"event":"stats"' "$work/dht0.err" | tail -1)
[ -n "$line" ] || fail "SIGUSR1 printed no stats line"
python3 -c '
import json, sys
s = json.loads(sys.argv[1])
v = [x["value"] for x in s["dtt_datagrams_total"] if x["protocol"] == "dht" and x["direction"] == "in"][0]
assert v >= int(sys.argv[2]), (v, sys.argv[2])
assert isinstance(s["dtt_dht_routing_table_nodes"], int)
assert isinstance(s["dtt_dht_recoveries_total"], int)
' "$line" "$in2" || fail "the stats line is not the expected JSON: $line"
kill -0 "$dht0" 2>/dev/null || fail "SIGUSR1 stopped the node"
scrape "$mport" "$work/s3"
in3=$(value "$work/s3" 'dtt_datagrams_total{protocol="dht",direction="in"}')
[ "$in3" -ge "$in2" ] || fail "counter went back ($in2 -> $in3)"
[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$mport/nothing")" = 404 ] || fail "no 404 for another path"
echo "PASS: counters moved between scrapes ($in1 -> $in2 -> $in3 datagrams in), a drop by reason, SIGUSR1 JSON"
