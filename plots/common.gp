# common.gp — settings every covcast chart shares; the chart scripts load it.
# Colours: the Okabe-Ito palette, readable with the common colour-vision
# deficiencies. Text is UTF-8 in DejaVu Sans, so Vietnamese names keep
# their diacritics.
set encoding utf8
set datafile separator ','
set border 3 lw 1 lc rgb '#444444'
set tics nomirror textcolor rgb '#222222'
set grid lc rgb '#e4e4e4' lw 1
set key noenhanced
set title noenhanced
set xlabel noenhanced
set ylabel noenhanced
okabe_blue = '#0072B2'; okabe_sky = '#56B4E9'; okabe_orange = '#E69F00'
okabe_vermillion = '#D55E00'; okabe_green = '#009E73'; okabe_purple = '#CC79A7'
okabe_yellow = '#F0E442'; okabe_dark = '#003F7F'
