# compare.gp — several scenarios on one chart: each one's median and 90%
# band, month by month, on the same futures (common random numbers).
# Made by `covcast plot`; edit it and re-render with: gnuplot {{SELF}}
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
set key {{KEY}} box opaque samplen 2
set style fill transparent solid 0.22 noborder
set bmargin 6
{{MARKS}}
plot {{PLOTS}}
