# exceedance.gp — the probability that coverage at the deadline is at least
# x, for every x: one curve answers 95.5% and 99% alike. Targets are marked.
# Made by `covcast plot`; edit it and re-render with: gnuplot {{SELF}}
set terminal {{TERMINAL}}
set output "{{OUTPUT}}"
load 'common.gp'
set decimalsign "{{DECIMAL}}"
set title "{{TITLE}}" font ',13'
set xlabel "{{XLABEL}}"
set ylabel "{{YLABEL}}"
set format x '%.1f%%'
set format y '%.1f'
set yrange [0:1.05]
set xrange [{{XMIN}}:{{XMAX}}]
unset key
set rmargin 4
{{MARKS}}
plot "{{DATA}}" using 1:2 with lines lw 2.5 lc rgb okabe_blue title "{{CURVE}}"
