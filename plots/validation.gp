# validation.gp — the national targets: each forecast's median with its 50%
# (thick) and 80% (thin) intervals, the target (dash) and the outcome (black).
# Made by validation/validate.sh, run in its output folder as
#   gnuplot -c plots/validation.gp year-ahead     (or mid-year)
# The data files hold numbers only; every text is written here.
kind = ARG1
if (kind ne "year-ahead" && kind ne "mid-year") { print "validation.gp: year-ahead or mid-year"; exit status 2 }
load 'common.gp'
set terminal svg size 1000,600 dynamic font 'DejaVu Sans,11' noenhanced background rgb 'white'
set output 'validation-'.kind.'.svg'
if (kind eq "year-ahead") {
  set title "National coverage at the end of each target year, forecast from the data of the year before" font ',13'
} else {
  set title "National coverage at the end of each target year, forecast from the data to June" font ',13'
}
set xlabel "target year (Decisions 1167/QĐ-TTg and 546/QĐ-TTg); P = the forecast probability that the target is met"
set ylabel "coverage, % of the population"
set xrange [2016.4:2023.6]
set xtics 1
set format y '%.0f'
set key top left box opaque
set yrange [*:*] writeback
set offsets 0, 0, 4, 0.5
set style fill solid
plot 'chart-'.kind.'-calibrated.dat' using 1:2:3:4 with yerrorbars lw 1 pt -1 lc rgb okabe_blue notitle, \
     '' using 1:2:5:6 with yerrorbars lw 5 pt 7 ps 0.6 lc rgb okabe_blue title "covcast, calibrated to the cut-off", \
     '' using 1:($4 + 0.25):(sprintf('P=%.2f', $7)) with labels left rotate by 90 font ',9' tc rgb okabe_blue notitle, \
     'chart-'.kind.'-base.dat' using 1:2:3:4 with yerrorbars lw 1 pt -1 lc rgb okabe_green notitle, \
     '' using 1:2:5:6 with yerrorbars lw 5 pt 7 ps 0.6 lc rgb okabe_green title "covcast, models/bhyt.ini as shipped", \
     '' using 1:($4 + 0.25):(sprintf('P=%.2f', $7)) with labels left rotate by 90 font ',9' tc rgb okabe_green notitle, \
     'chart-'.kind.'-naive.dat' using 1:2:3:4 with yerrorbars lw 1 pt -1 lc rgb okabe_orange notitle, \
     '' using 1:2:5:6 with yerrorbars lw 5 pt 7 ps 0.6 lc rgb okabe_orange title "naive: last change per year continues", \
     '' using 1:($4 + 0.25):(sprintf('P=%.2f', $7)) with labels left rotate by 90 font ',9' tc rgb okabe_orange notitle, \
     'chart-'.kind.'-obs.dat' using ($1 - 0.4):2:(0.8):(0) with vectors nohead lw 2 dt 2 lc rgb okabe_vermillion title "target", \
     '' using 1:3 with points pt 7 ps 1.6 lc rgb '#000000' title "outcome (end of year)", \
     '' using 1:4 with points pt 6 ps 1.6 lc rgb '#000000' title "outcome (2018: June, year-end not found)"
