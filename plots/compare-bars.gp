# compare-bars.gp — the probability of each target for each scenario, with
# its 95% interval. The data file holds numbers only; row k's label is
# LABELS[k]. Made by `covcast plot`; edit it and re-render with:
# gnuplot {{SELF}}
set terminal {{TERMINAL}}
set output "{{OUTPUT}}"
load 'common.gp'
set decimalsign "{{DECIMAL}}"
set title "{{TITLE}}" font ',13'
set ylabel "{{YLABEL}}"
set yrange [0:1.08]
set format y '%.1f'
set style data histograms
set style histogram errorbars gap 2 lw 1.2
set style fill solid 0.85 border lc rgb '#444444'
set xtics rotate by -20 font ',10' noenhanced
set grid ytics noxtics
set key top left box opaque
set bmargin 7
{{ARRAYS}}
plot {{PLOTS}}
