# get_over_time.gp - figure (a): DHT get success (top) and get latency p50/p95 (bottom) over
# time, with the run's partition/heal/crash/leave/rejoin/loss events as vertical lines.
# gnuplot -e "db='results.db'; run=1; out='get_over_time.png'" analysis/get_over_time.gp
# The top panel also draws get_fresh (gets that found the latest value) when the run has it.
# Optional: m_success, m_fresh, m_p50, m_p95 (metric names; defaults below).
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"
if (!exists("m_success")) m_success = "get_success"
if (!exists("m_fresh")) m_fresh = "get_fresh"
if (!exists("m_p50")) m_p50 = "get_latency_p50_ms"
if (!exists("m_p95")) m_p95 = "get_latency_p95_ms"

n_success = metric_count(m_success)
n_fresh = metric_count(m_fresh)
n_p50 = metric_count(m_p50)
n_p95 = metric_count(m_p95)
if (n_success + n_fresh + n_p50 + n_p95 == 0) {
	print sprintf("%s: run %d has no samples of %s, %s, %s or %s: no figure", \
		script, run, m_success, m_fresh, m_p50, m_p95)
	exit status 3
}
do for [m in m_success . " " . m_p50 . " " . m_p95] {
	if (metric_count(m) == 0) { print sprintf("%s: run %d has no samples of %s", script, run, m) }
}

set output out
set multiplot title run_title font "sans,12"
set lmargin at screen 0.09
set rmargin at screen 0.97

# Top: success.
set tmargin at screen (nmarkers > 0 ? 0.83 : 0.91)
set bmargin at screen 0.52
marker_labels = 1
load adir . "/markers.gp"
set format x ""
set xlabel ""
set ylabel "fraction of the interval's gets"
set yrange [0:1.05]
set key bottom left
if (n_success > 0 && n_fresh > 0) {
	plot sqldata("metric_series", sqlparam("metric", m_success)) using ($1 / xdiv):2 \
		with lines ls 1 title sprintf("%s (found a value)", m_success), \
	     sqldata("metric_series", sqlparam("metric", m_fresh)) using ($1 / xdiv):2 \
		with lines ls 3 title sprintf("%s (found the latest value)", m_fresh)
} else { if (n_success + n_fresh > 0) {
	m_top = n_success > 0 ? m_success : m_fresh
	plot sqldata("metric_series", sqlparam("metric", m_top)) using ($1 / xdiv):2 \
		with lines ls (n_success > 0 ? 1 : 3) title m_top
} else {
	set label 1 sprintf("no samples of %s in run %d", m_success, run) at graph 0.5, 0.5 center
	set key off
	plot NaN notitle
	unset label 1
} }

# Bottom: latency.
set tmargin at screen 0.48
set bmargin at screen 0.09
marker_labels = 0
load adir . "/markers.gp"
set format x "% g"
set xlabel sprintf("simulated time (%s)", xunit)
set ylabel "get latency (ms)"
set yrange [0:*]
set key top left
if (n_p50 > 0 && n_p95 > 0) {
	plot sqldata("metric_series", sqlparam("metric", m_p50)) using ($1 / xdiv):2 \
		with lines ls 2 title m_p50, \
	     sqldata("metric_series", sqlparam("metric", m_p95)) using ($1 / xdiv):2 \
		with lines ls 4 title m_p95
} else { if (n_p50 + n_p95 > 0) {
	m_lat = n_p50 > 0 ? m_p50 : m_p95
	plot sqldata("metric_series", sqlparam("metric", m_lat)) using ($1 / xdiv):2 \
		with lines ls 2 title m_lat
} else {
	set label 1 sprintf("no samples of %s or %s in run %d", m_p50, m_p95, run) \
		at graph 0.5, 0.5 center
	set key off
	set yrange [0:1]
	plot NaN notitle
	unset label 1
} }
unset multiplot
