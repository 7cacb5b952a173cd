# cards.gp — communes ranked by the cards still needed now to reach a
# target, each bar coloured by the commune's probability of reaching it by
# the deadline (orange: unlikely, blue: likely; the dot at the bar's end
# shows the colour even where no card is missing). The data file holds
# numbers only; row k's commune name is NAMES[k], its count as written
# LABELS[k]. Made by `covcast plot`; edit it and re-render with:
# gnuplot {{SELF}}
set terminal {{TERMINAL}}
set output "{{OUTPUT}}"
load 'common.gp'
set decimalsign "{{DECIMAL}}"
set title "{{TITLE}}" font ',13'
set xlabel "{{XLABEL}}"
set format x '%.0f'
set xrange [0:{{XMAX}}]
set yrange [-0.7:{{N}} - 0.3]
set ytics scale 0 font ',10'
set grid xtics noytics
set cbrange [0:1]
set cblabel "{{CBLABEL}}"
set format cb '%.1f'
set palette defined (0 okabe_vermillion, 0.5 okabe_yellow, 1 okabe_blue)
set style fill solid 0.9 border lc rgb '#555555'
set lmargin {{LMARGIN}}
set rmargin 12
unset key
{{ARRAYS}}
plot "{{DATA}}" using ($2/2):0:($2/2):(0.36):3:ytic(NAMES[int($1)]) with boxxyerror lc palette, \
     '' using 2:0:3 with points pt 7 ps 1.3 lc palette, \
     '' using 2:0:('  '.LABELS[int($1)]) with labels left font ',9' textcolor rgb '#222222'
