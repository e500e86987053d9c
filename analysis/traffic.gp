# traffic.gp - figure (c): DHT traffic over time, datagrams per node per second (left axis)
# and bytes per node per second (right axis), with the run's fault events as vertical lines.
# gnuplot -e "db='results.db'; run=1; out='traffic.png'" analysis/traffic.gp
# Optional: m_datagrams, m_bytes, m_alive (metric names; defaults below). See sql/traffic.sql
# for how interval counts become rates.
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"
if (!exists("m_datagrams")) m_datagrams = "datagrams"
if (!exists("m_bytes")) m_bytes = "bytes"
if (!exists("m_alive")) m_alive = "alive_nodes"

n_dg = metric_count(m_datagrams)
n_by = metric_count(m_bytes)
if (n_dg + n_by == 0) {
	print sprintf("%s: run %d has no samples of %s or %s: no figure", script, run, m_datagrams, m_bytes)
	exit status 3
}
if (n_dg == 0) { print sprintf("%s: run %d has no samples of %s", script, run, m_datagrams) }
if (n_by == 0) { print sprintf("%s: run %d has no samples of %s", script, run, m_bytes) }
if (metric_count(m_alive) == 0 && run_nodes == 0) {
	print sprintf("%s: run %d has neither %s samples nor run.nodes: run-wide counts cannot be divided per node", \
		script, run, m_alive)
}
q = sqlparam("datagrams", m_datagrams) . sqlparam("bytes", m_bytes) . sqlparam("alive", m_alive)

set output out
# The title sits at the top of the canvas, above the marker labels.
set label 99 run_title at screen 0.5, screen 0.975 center font "sans,12"
set tmargin (nmarkers > 0 ? 7 : 3)
marker_labels = 1
load adir . "/markers.gp"
set xlabel sprintf("simulated time (%s)", xunit)
set yrange [0:*]
set key below left Left reverse box
set bmargin 5
if (n_dg > 0) {
	set ylabel "datagrams sent per node per second"
	if (n_by > 0) {
		set y2label "bytes sent per node per second"
		set y2range [0:axis_top(colmax("traffic", q, 3))]
		set y2tics
		set ytics nomirror
		plot sqldata("traffic", q) using ($1 / xdiv):2 with lines ls 1 title "datagrams / node / s", \
		     sqldata("traffic", q) using ($1 / xdiv):3 axes x1y2 with lines ls 2 title "bytes / node / s (right axis)"
	} else {
		plot sqldata("traffic", q) using ($1 / xdiv):2 with lines ls 1 title "datagrams / node / s"
	}
} else {
	set ylabel "bytes sent per node per second"
	plot sqldata("traffic", q) using ($1 / xdiv):3 with lines ls 2 title "bytes / node / s"
}
