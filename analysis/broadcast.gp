# broadcast.gp - every gossip broadcast of a run (all topics), at its send time: delivery ratio
# and RMR (top), last delivery hop and delivery latency p50/p99 (bottom). Fault events as
# vertical lines.
# gnuplot -e "db='results.db'; run=1; out='broadcast.png'" analysis/broadcast.gp
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"

if (message_count("broadcast") == 0) {
	print sprintf("%s: run %d has no 'broadcast' rows in message: no figure", script, run)
	exit status 3
}
st = sqlval("broadcast_stats", "")

set output out
set multiplot title run_title font "sans,12"
set lmargin at screen 0.09
set rmargin at screen 0.91

set tmargin at screen (nmarkers > 0 ? 0.80 : 0.88)
set bmargin at screen 0.52
marker_labels = 1
load adir . "/markers.gp"
set label 98 sprintf("%s broadcasts: %s deliveries, %s missed; RMR mean %s; LDH mean %s, max %s; latency p50 mean %s ms, p99 max %s ms", \
	word(st, 1), word(st, 2), word(st, 3), word(st, 4), word(st, 5), word(st, 6), word(st, 7), word(st, 8)) \
	at screen 0.5, screen 0.93 center font "sans,9"
set format x ""
set xlabel ""
set ylabel "delivery ratio"
set yrange [0:1.05]
set y2label "RMR"
set y2range [0:*]
set y2tics
set ytics nomirror
set key bottom left
plot sqldata("broadcasts", "") using ($1 / xdiv):4 with points ls 3 pt 7 ps 0.6 \
	title "delivered / (delivered + missed)", \
     sqldata("broadcasts", "") using ($1 / xdiv):5 axes x1y2 with points ls 2 pt 6 ps 0.6 \
	title "RMR (right)"
unset label 98

set tmargin at screen 0.48
set bmargin at screen 0.09
marker_labels = 0
load adir . "/markers.gp"
set format x "% g"
set xlabel sprintf("simulated time (%s)", xunit)
set ylabel "latency (ms)"
set yrange [0:*]
set y2label "last delivery hop"
set y2range [0:*]
set key top left
plot sqldata("broadcasts", "") using ($1 / xdiv):7 with points ls 1 pt 7 ps 0.5 \
	title "p50 latency", \
     sqldata("broadcasts", "") using ($1 / xdiv):8 with points ls 5 pt 7 ps 0.5 \
	title "p99 latency", \
     sqldata("broadcasts", "") using ($1 / xdiv):6 axes x1y2 with points ls 4 pt 4 ps 0.6 \
	title "LDH (right)"
unset multiplot
