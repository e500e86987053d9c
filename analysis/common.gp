# common.gp - shared by the figure scripts: arguments, the sqlite3 query helpers, the time axis
# and the run's title. Loaded by each script after it has set adir (the analysis/ directory) and
# script (its own name, for messages).
#
# Every script takes, through gnuplot -e:
#   db='results.db'   the results database (sim/README-results.md)      required
#   run=3             the run_id                                         required
#   out='fig.png'     the PNG to write                                   required
# Paths must not contain quote, '$' or '`' characters (they go through /bin/sh).

if (!exists("db") || !exists("run") || !exists("out")) {
	print sprintf("%s: usage: gnuplot -e \"db='results.db'; run=1; out='fig.png'\" %s", script, script)
	exit status 2
}
if (strlen(system(sprintf("test -f \"%s\" && echo yes", db))) == 0) {
	print sprintf("%s: %s: no such file", script, db)
	exit status 2
}

# Parameter arguments for the sqlite3 command line: .param set :k 'v' (v is taken as text).
sqlparam(k, v) = sprintf(" \".param set :%s '%s'\"", k, v)
# The shell command that runs analysis/sql/NAME.sql for run r; mode is "-csv" for data to plot
# or "-list -separator ' ' -nullvalue NA" for values read with system().
sqlcmd(mode, name, r, params) = sprintf("sqlite3 -batch %s \"%s\" \".param set :run %d\"%s \".read %s/sql/%s.sql\"", \
	mode, db, r, params, adir, name)
# Data to plot: a CSV stream (NULL as an empty field).
sqldata(name, params) = "< " . sqlcmd("-csv", name, run, params)
sqldata_run(name, r, params) = "< " . sqlcmd("-csv", name, r, params)
# Words read back with system().
sqlval(name, params) = system(sqlcmd("-list -separator ' ' -nullvalue NA", name, run, params))
sqlval_run(name, r, params) = system(sqlcmd("-list -separator ' ' -nullvalue NA", name, r, params))

# The largest value in column col of a query's rows ("NA" when there is none); used to give a
# right-hand axis the same headroom `set offsets` gives the left one.
colmax(name, params, col) = system(sqlcmd("-list -separator ' ' -nullvalue NA", name, run, params) . \
	sprintf(" | awk '$%d != \"NA\" && $%d != \"\" && (m == \"\" || $%d + 0 > m) { m = $%d + 0 } END { print (m == \"\" ? \"NA\" : m) }'", \
	col, col, col, col))
axis_top(v) = (v eq "NA" || real(v) <= 0) ? 1 : real(v) * 1.08

run_title = sqlval("run_title", "")
if (strlen(run_title) == 0) {
	print sprintf("%s: %s has no run %d (see: sqlite3 %s \".read %s/sql/runs.sql\")", \
		script, db, run, db, adir)
	exit status 2
}
metric_count(m) = int(sqlval("metric_count", sqlparam("metric", m)))
message_count(k) = int(sqlval("message_count", sqlparam("kind", k)))

# Time axis: minutes for runs of 20 minutes or more, seconds below.
span = sqlval("run_span", "")
end_ms = real(word(span, 1))
run_nodes = real(word(span, 2))
xdiv = end_ms >= 1200000 ? 60000.0 : 1000.0
xunit = xdiv == 60000.0 ? "min" : "s"

set datafile separator ","
set termoption noenhanced
set terminal pngcairo size 1000,700 font "sans,10" noenhanced
set grid lc rgb "#dddddd"
set key top right box opaque
set offsets 0, 0, graph 0.08, 0    # headroom above autoscaled curves
set style line 1 lc rgb "#1f77b4" lw 2
set style line 2 lc rgb "#ff7f0e" lw 2
set style line 3 lc rgb "#2ca02c" lw 2
set style line 4 lc rgb "#9467bd" lw 2
set style line 5 lc rgb "#d62728" lw 2
set style line 6 lc rgb "#8c564b" lw 2
set style line 7 lc rgb "#e377c2" lw 2
set style line 8 lc rgb "#17becf" lw 2
if (end_ms > 0) { set xrange [0:end_ms / xdiv] } else { set autoscale x }

# Fault events of the run (markers.sql): t_ms kind n, three words each.
markers = sqlval("markers", "")
nmarkers = words(markers) / 3
marker_color(k) = k eq "partition" ? "#d62728" : k eq "heal" ? "#2ca02c" : \
	k eq "crash" ? "#ff7f0e" : k eq "leave" ? "#8c564b" : k eq "rejoin" ? "#1f77b4" : "#7f7f7f"
