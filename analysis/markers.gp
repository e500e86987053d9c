# markers.gp - draws the run's fault events (common.gp's `markers`) as dashed vertical lines on
# the next plot; with marker_labels = 1 also names them above the plot (leave ~9 % of
# the height free there). Arrows and labels use tags
# 101-140 (markers.sql returns at most 40), so a script's own labels (tags below 100) stay.
do for [i = 101:140] {
	unset arrow i
	unset label i
}
do for [i = 1:nmarkers] {
	mt = real(word(markers, 3 * i - 2)) / xdiv
	mk = word(markers, 3 * i - 1)
	mn = int(word(markers, 3 * i))
	mtag = 100 + i
	set arrow mtag from mt, graph 0 to mt, graph 1 nohead dt 2 lw 1.5 lc rgb marker_color(mk) back
	if (marker_labels) {
		mtext = mn > 1 ? sprintf("%s x%d", mk, mn) : mk
		set label mtag mtext at mt, graph 1 rotate by 90 left offset 0.35, 0.4 front \
			tc rgb marker_color(mk) font "sans,9"
	}
}
