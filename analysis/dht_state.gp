# dht_state.gp - figure (d): alive DHT nodes (left axis) and the mean number of nodes holding
# each put value (right axis) over time, with the run's fault events as vertical lines.
# gnuplot -e "db='results.db'; run=1; out='dht_state.png'" analysis/dht_state.gp
# Optional: m_alive, m_stored (metric names; defaults below).
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"
if (!exists("m_alive")) m_alive = "alive_nodes"
if (!exists("m_stored")) m_stored = "put_stored_mean"

n_alive = metric_count(m_alive)
# m_stored = "": leave the replicas out (a run without a BEP 44 workload).
n_stored = m_stored eq "" ? 0 : metric_count(m_stored)
if (n_alive + n_stored == 0) {
	print sprintf("%s: run %d has no samples of %s or %s: no figure", script, run, m_alive, m_stored)
	exit status 3
}
if (n_alive == 0) { print sprintf("%s: run %d has no samples of %s", script, run, m_alive) }
if (n_stored == 0 && m_stored ne "") { print sprintf("%s: run %d has no samples of %s", script, run, m_stored) }

set output out
# The title sits at the top of the canvas, above the marker labels.
set label 99 run_title at screen 0.5, screen 0.975 center font "sans,12"
set tmargin (nmarkers > 0 ? 7 : 3)
marker_labels = 1
load adir . "/markers.gp"
set xlabel sprintf("simulated time (%s)", xunit)
set key below left Left reverse box
set bmargin 5
if (n_alive > 0 && n_stored > 0) {
	set ylabel m_alive
	set y2label sprintf("%s (right axis)", m_stored)
	set yrange [0:*]
	set y2range [0:axis_top(colmax("metric_series", sqlparam("metric", m_stored), 2))]
	set y2tics
	set ytics nomirror
	plot sqldata("metric_series", sqlparam("metric", m_alive)) using ($1 / xdiv):2 \
		with lines ls 1 title m_alive, \
	     sqldata("metric_series", sqlparam("metric", m_stored)) using ($1 / xdiv):2 \
		axes x1y2 with lines ls 3 title sprintf("%s (right axis)", m_stored)
} else {
	m = n_alive > 0 ? m_alive : m_stored
	set ylabel m
	set yrange [0:*]
	plot sqldata("metric_series", sqlparam("metric", m)) using ($1 / xdiv):2 with lines ls 1 title m
}
