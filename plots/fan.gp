# fan.gp — fan chart of one unit: the median and the 50% and 90% bands of
# coverage over the replicates, month by month, with each target (dashed)
# and its deadline (dotted). Made by `covcast plot` from plots/fan.gp;
# edit it and re-render with: gnuplot {{SELF}}
set terminal {{TERMINAL}}
set output "{{OUTPUT}}"
load 'common.gp'
set decimalsign "{{DECIMAL}}"
set title "{{TITLE}}" font ',13'
set xdata time
set timefmt '%Y-%m'
set format x '%m/%Y'
set xtics rotate by -30 offset 0,-0.2
set xlabel "{{XLABEL}}" offset 0,-0.5
set ylabel "{{YLABEL}}"
set format y '%.1f%%'
set yrange [{{YMIN}}:{{YMAX}}]
set xrange ["{{XMIN}}":"{{XMAX}}"]
set key {{KEY}} box opaque samplen 2
set style fill transparent solid 0.30 noborder
set bmargin 6
{{MARKS}}
plot "{{DATA}}" using 1:2:6 with filledcurves lc rgb okabe_sky title "{{BAND90}}", \
     '' using 1:3:5 with filledcurves lc rgb okabe_blue fs transparent solid 0.35 title "{{BAND50}}", \
     '' using 1:4 with linespoints lw 2.5 pt 7 ps 0.6 lc rgb okabe_dark title "{{MEDIAN}}"{{MORE}}
