# latency_cdf.gp - figure (b): the latency CDF of DHT gets (and puts, when the run has any).
# The y axis is the share of ALL operations of that kind that found a value (outcome 'ok')
# within x ms, so each curve levels off at that kind's success rate.
# gnuplot -e "db='results.db'; run=1; out='latency_cdf.png'" analysis/latency_cdf.gp
# Optional: logx=1 for a logarithmic latency axis; kinds='get put' (the kinds to draw, <= 4).
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"
if (!exists("kinds")) kinds = "get put"
if (!exists("logx")) logx = 0

# Keep the kinds that have successful rows; their key titles carry outcome counts and
# percentiles (message_stats.sql: ops ok notfound timeout other p50 p95 p99).
array key_title[4]
drawn = ""
do for [k in kinds] {
	st = sqlval("message_stats", sqlparam("kind", k))
	ops = int(word(st, 1))
	ok = int(word(st, 2))
	if (ops == 0) {
		print sprintf("%s: run %d has no '%s' rows in message", script, run, k)
	} else { if (ok == 0) {
		print sprintf("%s: run %d: none of its %d '%s' operations succeeded", script, run, ops, k)
	} else { if (words(drawn) < 4) {
		drawn = drawn . " " . k
		key_title[words(drawn)] = sprintf("%s: %d ops, %.1f%% ok (notfound %d, timeout %d, other %d); ok p50/p95/p99 %s/%s/%s ms", \
			k, ops, 100.0 * ok / ops, int(word(st, 3)), int(word(st, 4)), int(word(st, 5)), \
			word(st, 6), word(st, 7), word(st, 8))
	} } }
}
if (words(drawn) == 0) {
	print sprintf("%s: run %d has no successful operations of kind %s: no figure", script, run, kinds)
	exit status 3
}

set output out
set label 99 run_title at screen 0.5, screen 0.975 center font "sans,12"
set tmargin 3
set xlabel "latency (ms)"
set ylabel "fraction of operations that succeeded within x"
set yrange [0:1.02]
set ytics 0.1
if (logx) { set logscale x; set xrange [*:*] } else { set xrange [0:*] }
set key below left Left reverse box
set bmargin 7
plot for [i = 1:words(drawn)] sqldata("latency_cdf", sqlparam("kind", word(drawn, i))) \
	using 1:2 with steps ls i title key_title[i]
