# overlay.gp - the gossip overlay of a topic over time: connected components of the active-view
# graph and bubbles (groups of two or more apart from the largest component) on top; the
# joined fraction and the largest component's share below; the run's partition/heal/churn
# events as vertical lines.
# gnuplot -e "db='results.db'; run=1; out='overlay.png'" analysis/overlay.gp
# Optional: suffix='@demo' (the topic, for runs with several topics; plot.sh passes it).
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
load adir . "/common.gp"
if (!exists("suffix")) suffix = ""
m_comp = "components" . suffix
m_bub = "bubbles" . suffix
m_join = "joined_fraction" . suffix
m_large = "largest_component_fraction" . suffix

n_comp = metric_count(m_comp)
if (n_comp == 0) {
	print sprintf("%s: run %d has no samples of %s: no figure", script, run, m_comp)
	exit status 3
}

set output out
set multiplot title run_title . (strlen(suffix) ? " - topic " . suffix[2:] : "") font "sans,12"
set lmargin at screen 0.09
set rmargin at screen 0.97

set tmargin at screen (nmarkers > 0 ? 0.83 : 0.91)
set bmargin at screen 0.52
marker_labels = 1
load adir . "/markers.gp"
set format x ""
set xlabel ""
set ylabel "components"
set yrange [0:*]
set key top right
plot sqldata("metric_series", sqlparam("metric", m_comp)) using ($1 / xdiv):2 \
	with steps ls 1 title "components of the active-view graph", \
     sqldata("metric_series", sqlparam("metric", m_bub)) using ($1 / xdiv):2 \
	with steps ls 5 title "bubbles (groups apart from the largest)"

set tmargin at screen 0.48
set bmargin at screen 0.09
marker_labels = 0
load adir . "/markers.gp"
set format x "% g"
set xlabel sprintf("simulated time (%s)", xunit)
set ylabel "fraction of the members up"
set yrange [0:1.05]
set key bottom right
plot sqldata("metric_series", sqlparam("metric", m_join)) using ($1 / xdiv):2 \
	with lines ls 3 title "joined (>= 1 neighbour)", \
     sqldata("metric_series", sqlparam("metric", m_large)) using ($1 / xdiv):2 \
	with lines ls 2 title "in the largest component"
unset multiplot
