# sweep.gp — the probability of a target against the value of one lever,
# with its 95% interval, all values run on the same futures.
# Made by `covcast plot`; edit it and re-render with: gnuplot {{SELF}}
set terminal {{TERMINAL}}
set output "{{OUTPUT}}"
load 'common.gp'
set decimalsign "{{DECIMAL}}"
set title "{{TITLE}}" font ',13'
set xlabel "{{XLABEL}}"
set ylabel "{{YLABEL}}"
set format y '%.1f'
set yrange [0:1.05]
set offsets graph 0.03, graph 0.03, 0, 0
set key top left box opaque
plot "{{DATA}}" using 1:2:3:4 with yerrorlines lw 2 pt 7 ps 0.9 lc rgb okabe_blue title "{{CURVE}}"
