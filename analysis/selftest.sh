#!/bin/sh
# selftest.sh - builds analysis/synth.c against sim/results.c, writes a synthetic results
# database (a partition/heal run with everything, and a sparse run missing most metrics), draws
# every figure from it and checks them: PNGs that exist and are non-empty, the "no data"
# messages for the sparse run, a few query results, and the refusals of bad input.
# usage: analysis/selftest.sh [WORKDIR]   (default: a temporary directory, removed on success)
# Needs cc, libsqlite3-dev, libsodium-dev, sqlite3 and gnuplot-nox.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
root=$(dirname "$here")
work=${1:-}
keep=1
if [ -z "$work" ]; then
	work=$(mktemp -d /tmp/dtt_analysis_XXXXXX)
	keep=0
fi
mkdir -p "$work"
fails=0
fail() { echo "selftest: FAIL: $*" >&2; fails=$((fails + 1)); }
ok() { echo "selftest: ok: $*"; }

${CC:-cc} -std=c11 -O1 -D_POSIX_C_SOURCE=200809L -I"$root/sim" -I"$root/core/base" \
	"$here/synth.c" "$root/sim/results.c" "$root/core/base/alloc.c" "$root/core/base/err.c" \
	-lsqlite3 -lsodium -lm -o "$work/synth"
db=$work/synthetic.db
rm -f "$db" "$db-wal" "$db-shm"
"$work/synth" "$db"
ok "synthetic database $db"

is_png() { [ -s "$1" ] && [ "$(head -c 8 "$1" | od -An -tx1 | tr -d ' \n')" = 89504e470d0a1a0a ]; }

# Run 1 has every metric, messages and events: all four figures.
"$here/plot.sh" "$db" 1 "$work/figures" >"$work/run1.out" 2>"$work/run1.err" || fail "plot.sh run 1 exited $?"
for f in get_over_time latency_cdf traffic dht_state; do
	p="$work/figures/run1_$f.png"
	if is_png "$p" && grep -qx "$p" "$work/run1.out"; then ok "run 1 $f"; else fail "run 1 $f: no PNG at $p"; fi
done
[ -s "$work/run1.err" ] && fail "run 1 printed warnings: $(cat "$work/run1.err")"

# Run 2 (also the latest run: the default) has no BEP 44 workload (no gets, puts, latency
# metrics or put_stored_mean), no bytes and no events: two figures, a clear word about the
# missing bytes, and not a word about the workload figures, which plot.sh does not draw for it.
"$here/plot.sh" "$db" "" "$work/figures" >"$work/run2.out" 2>"$work/run2.err" || fail "plot.sh run 2 exited $?"
for f in traffic dht_state; do
	p="$work/figures/run2_$f.png"
	if is_png "$p"; then ok "run 2 $f"; else fail "run 2 $f: no PNG"; fi
done
for f in get_over_time latency_cdf; do
	[ -e "$work/figures/run2_$f.png" ] && fail "run 2 $f: a PNG without data"
done
msg="run 2 has no samples of bytes"
if grep -qF "$msg" "$work/run2.err"; then ok "says: $msg"; else fail "missing message: $msg"; fi
for msg in get_success "'get' rows" put_stored_mean latency_cdf; do
	grep -qF "$msg" "$work/run2.err" && fail "run 2 speaks of the workload it lacks: $(cat "$work/run2.err")"
done
# Each workload figure script, asked for run 2 directly, says what is missing and exits 3.
gp_no_data() {
	rc=0
	gnuplot -e "adir='$here'; db='$db'; run=2; out='$work/figures/nodata.png'" "$here/$1.gp" \
		2>"$work/$1.err" || rc=$?
	if [ "$rc" = 3 ] && grep -qF "$2" "$work/$1.err"; then ok "$1 says: $2"; else
		fail "$1 on run 2: status $rc, said: $(cat "$work/$1.err")"
	fi
}
gp_no_data get_over_time "run 2 has no samples of get_success, get_fresh, get_latency_p50_ms or get_latency_p95_ms: no figure"
gp_no_data latency_cdf "run 2 has no 'get' rows in message"
[ "$(wc -l <"$work/run2.out")" = 2 ] || fail "run 2 printed $(wc -l <"$work/run2.out") paths, expected 2"

# Comparing runs.
p=$("$here/compare.sh" "$db" alive_nodes 1 2 -o "$work/figures/cmp.png" 2>"$work/cmp.err") || fail "compare.sh exited $?"
if is_png "$work/figures/cmp.png" && [ "$p" = "$work/figures/cmp.png" ]; then ok "compare"; else fail "compare: no PNG"; fi

# The queries behind the figures.
q() { sqlite3 -batch "$db" "$@"; }
expect() {
	if [ "$2" = "$3" ]; then ok "$1 = $3"; else fail "$1: got '$2', expected '$3'"; fi
}
expect "markers of run 1" "$(q '.param set :run 1' ".read $here/sql/markers.sql" | tr '\n' ' ')" \
	"600000|partition|1 1200000|heal|1 1320000|crash|200 1500000|rejoin|200 1560000|loss|1 "
expect "alive_nodes at 23 min" "$(q '.param set :run 1' ".param set :metric 'alive_nodes'" \
	".read $here/sql/metric_series.sql" | grep '^1380000|')" "1380000|1800.0"
expect "per-node mean of run 2 at t=0" "$(q '.param set :run 2' ".param set :metric 'datagrams'" \
	".read $here/sql/metric_series.sql" | head -1)" "0|0.0"
# 2000 nodes sending 3 datagrams/s (+0..10 %) before the partition, 4.5 (+0..10 %) during it.
expect "traffic rows: before / during the partition in range, total" "$(q '.param set :run 1' \
	".read $here/sql/traffic.sql" | awk -F'|' '
	$1 < 600000 && $2 >= 2.85 && $2 <= 3.15 { a++ }
	$1 > 610000 && $1 <= 1200000 && $2 >= 4.275 && $2 <= 4.725 { b++ }
	END { print a + 0, b + 0, NR }')" "59 59 180"
expect "traffic of run 2 (per-node samples, 2..3 datagrams/s)" "$(q '.param set :run 2' \
	".read $here/sql/traffic.sql" | awk -F'|' '$2 >= 2 && $2 <= 3 && $3 == "" { a++ } END { print a + 0, NR }')" \
	"60 61"
expect "the get CDF levels off at the get success rate" "$(q '.param set :run 1' \
	".param set :kind 'get'" ".read $here/sql/latency_cdf.sql" | tail -1 | cut -d'|' -f2)" \
	"$(q "SELECT avg(outcome = 'ok') FROM message WHERE run_id = 1 AND kind = 'get'")"
expect "time to get_success >= 0.9 after the heal" "$(q '.param set :run 1' \
	".param set :metric 'get_success'" ".param set :ge 0.9" ".read $here/sql/time_to_heal.sql")" \
	"1200000|1210000|10000"

# Refusals.
if "$here/plot.sh" "$work/none.db" >/dev/null 2>"$work/e1" || ! grep -q "no such file" "$work/e1"; then
	fail "missing DB not refused"; else ok "missing DB refused"; fi
[ -e "$work/none.db" ] && fail "plot.sh created $work/none.db"
if "$here/plot.sh" "$db" 7 "$work/figures" >/dev/null 2>"$work/e2" || ! grep -q "has no run 7" "$work/e2"; then
	fail "unknown run not refused"; else ok "unknown run refused"; fi
cp "$db" "$work/v9.db"
sqlite3 "$work/v9.db" "PRAGMA user_version = 9"
if "$here/plot.sh" "$work/v9.db" >/dev/null 2>"$work/e3" || ! grep -q "schema version 9" "$work/e3"; then
	fail "other schema version not refused"; else ok "other schema version refused"; fi

if [ "$fails" -ne 0 ]; then
	echo "selftest: $fails failure(s); files kept in $work" >&2
	exit 1
fi
echo "selftest: all passed; figures in $work/figures"
[ "$keep" = 1 ] || rm -rf "$work"
