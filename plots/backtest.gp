# backtest.gp — honest intervals: the share of held-out points inside each
# nominal interval against the nominal level (the diagonal is perfect).
# Made by `covcast plot`; edit it and re-render with: gnuplot {{SELF}}
set terminal {{TERMINAL}}
set output "{{OUTPUT}}"
load 'common.gp'
set decimalsign "{{DECIMAL}}"
set title "{{TITLE}}" font ',13'
set xlabel "{{XLABEL}}"
set ylabel "{{YLABEL}}"
set xrange [0.4:1]
set yrange [0.4:1]
set format x '%.0f%%'
set format y '%.0f%%'
set size square
set key top left box opaque
plot x with lines dt 2 lc rgb '#777777' title "{{DIAGONAL}}", \
     "{{DATA}}" using 1:2 with linespoints lw 2 pt 7 ps 1.2 lc rgb okabe_blue title "{{CURVE}}"
