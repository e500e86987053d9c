# sweep.gp - one figure across the runs of a sweep (a `dtt-sim merge` file): per group of runs
# (a grid combination, sql/sweep_groups.sql) the mean over its seeds as a line and a 95 %
# Student-t confidence band of that mean, every group side by side in the same axes.
# gnuplot -e "db='sweep.db'; out='fig.png'; kind='series'; name='components'" analysis/sweep.gp
#   kind='series': name is a run-wide metric over time (sql/sweep_series.sql)
#   kind='cdf':    name is 'join' (time to join) or 'broadcast' (broadcast latency), a CDF
#                  with a band (sql/sweep_cdf.sql)
# Exit status 3: no data for the figure (said on stderr). Paths must not contain quote, '$' or
# '`' characters.
if (!exists("adir")) adir = system(sprintf("dirname \"%s\"", ARG0))
script = system(sprintf("basename \"%s\"", ARG0))
if (!exists("db") || !exists("out") || !exists("kind") || !exists("name")) {
	print sprintf("%s: usage: gnuplot -e \"db='sweep.db'; out='fig.png'; kind='series'; name='components'\" %s", script, script)
	exit status 2
}
q(sql) = system(sprintf("sqlite3 -batch -list -separator ' ' -nullvalue NA \"%s\" \"%s\"", db, sql))
sqlpar(k, v) = sprintf(" \".param set :%s '%s'\"", k, v)
data(file, g) = sprintf("< sqlite3 -batch -csv \"%s\"%s%s \".read %s/sql/%s.sql\"", db, \
	sqlpar(kind eq "series" ? "metric" : "what", name), sqlpar("g", sprintf("%d", g)), adir, file)
glabel(g) = system(sprintf("sqlite3 -batch -list -separator '|' \"%s\" \".read %s/sql/sweep_groups.sql\" | awk -F'|' '$1 == %d { print $3 \", \" $2 \" seed\" ($2 == 1 ? \"\" : \"s\") }'", db, adir, g))

ngroups = int(q(sprintf("SELECT count(*) FROM (SELECT 1 FROM run WHERE status = 'ok' GROUP BY scenario_name, coalesce(overrides, ''))")))
if (ngroups == 0) {
	print sprintf("%s: %s holds no finished runs: no figure", script, db)
	exit status 3
}
scen = q("SELECT group_concat(DISTINCT scenario_name) FROM run WHERE status = 'ok'")
seeds = q("SELECT count(DISTINCT seed) FROM run WHERE status = 'ok'")

# The two-sided 95 % quantile of Student's t with df degrees of freedom: the table to 30,
# then z + (z^3 + z) / (4 df) + ... (within 0.001 of the exact value beyond 30).
ttab = "12.706 4.303 3.182 2.776 2.571 2.447 2.365 2.306 2.262 2.228 2.201 2.179 2.160 2.145 2.131 2.120 2.110 2.101 2.093 2.086 2.080 2.074 2.069 2.064 2.060 2.056 2.052 2.048 2.045 2.042"
tq(df) = df < 1 ? 0 : df <= 30 ? real(word(ttab, int(df))) : 1.959964 + 2.372 / df + 2.8 / (df * df)
half(n, sd) = n > 1 ? tq(n - 1) * sd / sqrt(n) : 0
max0(x) = x < 0 ? 0 : x
min1(x) = x > 1 ? 1 : x

set datafile separator ","
set termoption noenhanced
set terminal pngcairo size 1000,700 font "sans,10" noenhanced
set output out
set grid lc rgb "#dddddd"
set key below left Left reverse box
set bmargin 5 + ngroups
set style fill transparent solid 0.22 noborder
array col[8] = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#d62728", "#8c564b", "#e377c2", "#17becf"]
c(g) = col[(g - 1) % 8 + 1]

if (kind eq "series") {
	file = "sweep_series"
	n = int(q(sprintf("SELECT count(*) FROM sample_named WHERE metric = '%s' AND node_id = -1 AND value IS NOT NULL", name)))
	if (n == 0) {
		print sprintf("%s: %s has no samples of %s: no figure", script, db, name)
		exit status 3
	}
	end_s = real(q("SELECT max(sim_end_ms) / 1000.0 FROM run WHERE status = 'ok'"))
	xdiv = end_s >= 1200 ? 60.0 : 1.0
	set xlabel sprintf("simulated time (%s)", xdiv == 60 ? "min" : "s")
	set xrange [0:end_s / xdiv]
	set ylabel name
	if (name[1:15] eq "joined_fraction" || name eq "get_success" || name[1:14] eq "delivery_ratio") {
		set yrange [0:1.05]
	} else {
		set yrange [0:*]
		set offsets 0, 0, graph 0.08, 0
	}
	# The fault events of the first run (scripted: the same in every run of a scenario).
	ev = q("SELECT t_ms, kind FROM event WHERE run_id = (SELECT min(run_id) FROM run WHERE status = 'ok') AND node_id = -1 AND kind IN ('partition', 'heal') ORDER BY t_ms LIMIT 20")
	do for [i = 1:words(ev) / 2] {
		mt = real(word(ev, 2 * i - 1)) / 1000.0 / xdiv
		mk = word(ev, 2 * i)
		set arrow 100 + i from mt, graph 0 to mt, graph 1 nohead dt 2 lw 1.5 \
			lc rgb (mk eq "heal" ? "#2ca02c" : "#d62728") back
		set label 100 + i mk at mt, graph 0.02 rotate by 90 left offset 0.9, 0 front \
			tc rgb (mk eq "heal" ? "#2ca02c" : "#d62728") font "sans,9"
	}
	set title sprintf("%s - %s over time: mean over seeds (line) and 95 %% Student-t confidence band of the mean", scen, name) font "sans,11"
	# The band of a count or a fraction stays within what the mean can be.
	frac = name eq "joined_fraction" || name eq "get_success" || name eq "delivery_ratio" || \
		name[1:16] eq "joined_fraction@" || name[1:15] eq "delivery_ratio@"
	top(x) = frac && x > 1 ? 1 : x
	plot for [g = 1:ngroups] data(file, g) using ($1 / xdiv):(max0($3 - half($2, $4))):(top($3 + half($2, $4))) \
		with filledcurves fc rgb c(g) notitle, \
	     for [g = 1:ngroups] data(file, g) using ($1 / xdiv):3 with lines lw 2 lc rgb c(g) title glabel(g)
} else {
	file = "sweep_cdf"
	if (name eq "join") {
		n = int(q("SELECT count(*) FROM event WHERE kind = 'joined' AND arg IS NOT NULL AND (run_id, node_id) IN (SELECT run_id, node_id FROM node WHERE kind = 'member')"))
		set xlabel "time to join (s): member start to first neighbour (axis to the 99 % quantile)"
		set ylabel "fraction of member incarnations joined within x"
		what = "time to join"
	} else {
		n = int(q("SELECT count(*) FROM message WHERE kind = 'broadcast' AND p50_ms IS NOT NULL"))
		set xlabel "broadcast latency (s): median over the members each broadcast reached (axis to the 99 % quantile)"
		set ylabel "fraction of broadcasts"
		what = "broadcast latency"
	}
	if (n == 0) {
		print sprintf("%s: %s has no values for the %s CDF: no figure", script, db, name)
		exit status 3
	}
	# The x axis ends at the 99 % quantile of all values (the points are quantiles: row 100
	# of the data, counted from 1), so a long tail does not squash the body.
	stats data(file, 1) using 1 every ::99::99 nooutput
	set xrange [0:STATS_max > 0 ? STATS_max : 1]
	set yrange [0:1.02]
	set ytics 0.1
	set title sprintf("%s - %s CDF: mean over seeds (line) and 95 %% Student-t confidence band of the mean", scen, what) font "sans,11"
	plot for [g = 1:ngroups] data(file, g) using 1:(max0($3 - half($2, $4))):(min1($3 + half($2, $4))) \
		with filledcurves fc rgb c(g) notitle, \
	     for [g = 1:ngroups] data(file, g) using 1:3 with lines lw 2 lc rgb c(g) title glabel(g)
}
