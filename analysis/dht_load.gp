# dht_load.gp - the DHT load of a topic's tracker: slot reads (gets) and record puts per member
# per minute, and the records published / skipped at the cap per interval (top); the highest
# query rate any single DHT node received (bottom, the hot spot). Fault events as vertical
# lines.
# gnuplot -e "db='results.db'; run=1; out='dht_load.png'" analysis/dht_load.gp
# Optional: suffix='@demo' (the topic, for runs with several topics).
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"
if (!exists("suffix")) suffix = ""
m_gets = "dht_gets_per_member_min" . suffix
m_puts = "dht_puts_per_member_min" . suffix
m_pub = "records_published" . suffix
m_skip = "records_skipped_cap" . suffix
m_hot = "dht_hottest_rps"

if (metric_count(m_gets) + metric_count(m_puts) == 0) {
	print sprintf("%s: run %d has no samples of %s or %s (a topic without the tracker?): no figure", \
		script, run, m_gets, m_puts)
	exit status 3
}

set output out
set multiplot title run_title . (strlen(suffix) ? " - topic " . suffix[2:] : "") font "sans,12"
set lmargin at screen 0.09
set rmargin at screen 0.91

set tmargin at screen (nmarkers > 0 ? 0.83 : 0.91)
set bmargin at screen 0.52
marker_labels = 1
load adir . "/markers.gp"
set format x ""
set xlabel ""
set ylabel "DHT operations per member per minute"
set yrange [0:*]
set y2label "records per interval"
set y2range [0:*]
set y2tics
set ytics nomirror
set key top right
plot sqldata("metric_series", sqlparam("metric", m_gets)) using ($1 / xdiv):2 \
	with lines ls 1 title "slot reads (gets)", \
     sqldata("metric_series", sqlparam("metric", m_puts)) using ($1 / xdiv):2 \
	with lines ls 2 title "record puts", \
     sqldata("metric_series", sqlparam("metric", m_pub)) using ($1 / xdiv):2 axes x1y2 \
	with impulses ls 3 title "records published (right)", \
     sqldata("metric_series", sqlparam("metric", m_skip)) using ($1 / xdiv):($2 > 0 ? $2 : NaN) \
	axes x1y2 with points ls 5 pt 7 ps 0.5 title "skipped at the cap (right)"

set tmargin at screen 0.48
set bmargin at screen 0.09
marker_labels = 0
load adir . "/markers.gp"
unset y2tics
unset y2label
set ytics mirror
set format x "% g"
set xlabel sprintf("simulated time (%s)", xunit)
set ylabel "queries per second"
set yrange [0:*]
set key top right
plot sqldata("metric_series", sqlparam("metric", m_hot)) using ($1 / xdiv):2 \
	with lines ls 4 title "hottest DHT node (queries/s it received)"
unset multiplot
