# join_cdf.gp - the time-to-join CDF of a run's topic members (all topics): from a member's
# start to its first gossip neighbour, one point per member incarnation. Members that never
# joined keep the curve below 1.
# gnuplot -e "db='results.db'; run=1; out='join_cdf.png'" analysis/join_cdf.gp
# Optional: logx=1 for a logarithmic time axis.
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"
if (!exists("logx")) logx = 0

st = sqlval("join_stats", "")
joins = int(word(st, 1))
never = int(word(st, 2))
if (joins == 0) {
	print sprintf("%s: run %d has no 'joined' events: no figure", script, run)
	exit status 3
}

set output out
set label 99 run_title at screen 0.5, screen 0.975 center font "sans,12"
set tmargin 3
set xlabel "time to join (s): member start to first neighbour"
set ylabel "fraction of member incarnations joined within x"
set yrange [0:1.02]
set ytics 0.1
set datafile separator ","
if (logx) { set logscale x; set xrange [*:*] } else { set xrange [0:*] }
set key below left Left reverse box
set bmargin 6
plot sqldata("join_cdf", "") using 1:2 with steps ls 1 \
	title sprintf("%d joins, %d never joined; p50 %s ms, p99 %s ms, max %s ms", \
		joins, never, word(st, 3), word(st, 4), word(st, 5))
