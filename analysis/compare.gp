# compare.gp - one metric of several runs over time, one line per run (e.g. the same scenario
# and seed with two strategies). The fault events drawn are those of the first run.
# gnuplot -e "db='results.db'; runs='3 4'; metric='get_success'; out='cmp.png'" analysis/compare.gp
# Up to 8 runs. analysis/compare.sh wraps this.
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
if (!exists("runs") || !exists("metric")) {
	print sprintf("%s: usage: gnuplot -e \"db='results.db'; runs='1 2'; metric='get_success'; out='cmp.png'\" %s", script, script)
	exit status 2
}
run = int(word(runs, 1))
load adir . "/common.gp"

array run_label[8]
drawn = ""
do for [w in runs] {
	r = int(w)
	t = sqlval_run("run_title", r, "")
	if (strlen(t) == 0) {
		print sprintf("%s: %s has no run %d", script, db, r)
	} else { if (int(sqlval_run("metric_count", r, sqlparam("metric", metric))) == 0) {
		print sprintf("%s: run %d has no samples of %s", script, r, metric)
	} else { if (words(drawn) < 8) {
		drawn = drawn . " " . w
		run_label[words(drawn)] = t
	} } }
}
if (words(drawn) == 0) {
	print sprintf("%s: none of runs %s has samples of %s: no figure", script, runs, metric)
	exit status 3
}

set output out
set label 99 sprintf("%s, runs %s (markers: run %d)", metric, drawn[2:], run) \
	at screen 0.5, screen 0.975 center font "sans,12"
set tmargin (nmarkers > 0 ? 7 : 3)
set autoscale x
set xrange [0:*]
marker_labels = 1
load adir . "/markers.gp"
set xlabel sprintf("simulated time (%s)", xunit)
set ylabel metric
set key below left Left reverse box
set bmargin 4 + words(drawn)
plot for [i = 1:words(drawn)] sqldata_run("metric_series", int(word(drawn, i)), sqlparam("metric", metric)) \
	using ($1 / xdiv):2 with lines ls i title run_label[i]
