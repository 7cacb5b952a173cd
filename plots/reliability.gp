# reliability.gp — reliability diagram: among forecasts of about p, how
# often did it happen? Points on the diagonal are honest; the label is the
# number of forecasts. Made by `covcast plot`; edit it and re-render with:
# gnuplot {{SELF}}
set terminal {{TERMINAL}}
set output "{{OUTPUT}}"
load 'common.gp'
set decimalsign "{{DECIMAL}}"
set title "{{TITLE}}" font ',13'
set xlabel "{{XLABEL}}"
set ylabel "{{YLABEL}}"
set xrange [0:1]
set yrange [0:1]
set format x '%.1f'
set format y '%.1f'
set size square
set key top left box opaque
plot x with lines dt 2 lc rgb '#777777' title "{{DIAGONAL}}", \
     "{{DATA}}" using 1:2 with linespoints lw 2 pt 7 ps 1.2 lc rgb okabe_vermillion title "{{CURVE}}", \
     '' using 1:2:(sprintf('%d', $3)) with labels offset 1.6,-0.6 font ',9' notitle
