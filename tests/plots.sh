#!/bin/sh
# plots.sh — charts and the report as a person would see them: every chart
# type rendered for a shipped scenario in both languages and every format,
# each file checked (PNG and PDF signatures, SVG parsed by xmllint, gnuplot
# exit 0); the report opened in headless Chromium for a screenshot and a PDF
# print, with no console errors and every target in the table.
bin=${COVCAST:-./covcast}
tmp=${TESTS_TMP:-tests/tmp}/plots
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED plots: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }

$bin run scenarios/nam-truc-2018.ini -q -r 300 -o $tmp/run || bad "run"
$bin compare scenarios/nam-truc-2018.ini tests/cases/plot-variant.ini -q -r 200 -o $tmp/compare || bad "compare"
$bin sweep scenarios/nam-truc-2018.ini --set campaign.peak.enroll_multiplier=1..3:1 -q -r 100 -o $tmp/sweep || bad "sweep"

# a history simulated by the engine itself, for the backtest charts
$bin run tests/cases/good-small/scenario.ini -q -r 1 -m 24 --keep-replicates -o $tmp/sim || bad "simulate a history"
awk -F, 'NR==1 {print "commune,month,population,insured"; next} $1=="commune" {print $2","$4","$5","$6}' \
  $tmp/sim/replicates.csv > $tmp/history.csv
$bin backtest $tmp/history.csv --model tests/cases/common/model.ini --holdout 3 -r 100 -q -o $tmp/backtest || bad "backtest"

is_png() { [ "$(head -c 8 "$1" | od -An -c | tr -d ' ')" = '211PNG\r\n032\n' ]; }
is_pdf() { [ "$(head -c 5 "$1")" = "%PDF-" ]; }
is_svg() { xmllint --noout "$1" 2>/dev/null && grep -q '<svg' "$1"; }

for lang in vi en; do
  for fmt in png svg pdf; do
    for kind in run compare sweep backtest; do
      if $bin plot $tmp/$kind --lang $lang --format $fmt -q; then ok; else bad "plot $kind $lang $fmt"; continue; fi
      n=0
      for f in $tmp/$kind/plots/*.$fmt; do
        [ -f "$f" ] || continue
        n=$((n + 1))
        case $fmt in
          png) check "$f is not a PNG" "is_png $f" ;;
          pdf) check "$f is not a PDF" "is_pdf $f" ;;
          svg) check "$f does not parse as SVG" "is_svg $f" ;;
        esac
        g=${f%.*}.gp; d=${f%.*}.dat
        check "$g or its data missing" "[ -s $g ]"
      done
      case $kind in
        run) want="fan-district fan-province cards- exceedance-" ;;
        compare) want="compare-district compare-bars" ;;
        sweep) want="sweep-" ;;
        backtest) want="backtest-intervals reliability-" ;;
      esac
      for w in $want; do check "$kind $lang $fmt: no $w chart" "ls $tmp/$kind/plots/$w*.$fmt >/dev/null 2>&1"; done
    done
  done
  # the Vietnamese labels and decimal comma reach the chart; the English ones too
  $bin plot $tmp/run --lang $lang --format svg -q
  if [ $lang = vi ]; then
    check "no Vietnamese axis label" "grep -q 'Tỷ lệ bao phủ BHYT' $tmp/run/plots/fan-district-*.svg"
    check "no decimal comma" "grep -q '85,2%' $tmp/run/plots/fan-district-*.svg"
  else
    check "no English axis label" "grep -q 'BHYT coverage' $tmp/run/plots/fan-district-*.svg"
  fi
  check "diacritics lost" "grep -q 'Huyện Nam Trực' $tmp/run/plots/fan-district-*.svg"
done
# an analyst edits a script and re-renders it with plain gnuplot
$bin plot $tmp/run -q
( cd $tmp/run/plots && sed -i "s/Trung vị/Trung vị (sửa)/" fan-district-*.gp && LC_ALL=C.UTF-8 gnuplot fan-district-*.gp ) && ok || bad "re-render with gnuplot"

# --units: a name that is no unit is an error (exit 2) naming it and the
# closest units, and leaves the charts as they were; a commune's name adds
# its fan chart
$bin plot $tmp/run --units "Nam Thai" -q 2> $tmp/units.err; code=$?
check "plot --units with an unknown name exits $code, not 2" "[ $code = 2 ]"
check "the --units error does not name the unknown unit and the closest one" \
  "grep -q '\"Nam Thai\"' $tmp/units.err && grep -q '\"Nam Thái\"' $tmp/units.err"
check "a failed plot --units removed the charts" "ls $tmp/run/plots/fan-district-*.png >/dev/null 2>&1"
$bin plot $tmp/run --units "Nam Thái" -q && ok || bad "plot --units with a commune's name"
check "no fan chart for the commune given to --units" "ls $tmp/run/plots/fan-commune-nam-thai.png >/dev/null 2>&1"

# the report: self-contained, every target listed
for lang in vi en; do
  if $bin report $tmp/run --lang $lang -q; then ok; else bad "report $lang"; fi
  r=$tmp/run/report.html
  rows=$(($(wc -l < $tmp/run/targets.csv) - 1))
  check "report $lang lists $(grep -c '<tr><td' $r) targets, not $rows" "[ $(grep -c '<tr><td' $r) -eq $rows ]"
  check "report $lang has a script or a remote reference" "! grep -qiE '<script|src=\"http|href=\"http|@import' $r"
  check "report $lang has no inline charts" "[ $(grep -c '<svg' $r) -ge 4 ]"
done
check "report folder kept a temporary folder" "! ls -d $tmp/run/.report-charts* 2>/dev/null | grep -q ."

if command -v chromium >/dev/null 2>&1; then
  ud=$(mktemp -d)
  abs=$(cd $tmp/run && pwd)/report.html
  flags="--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$ud --enable-logging=stderr --v=0"
  timeout 120 chromium $flags --window-size=1000,2600 --screenshot=$tmp/report.png "file://$abs" 2> $tmp/chromium.log
  check "no screenshot of the report" "is_png $tmp/report.png"
  timeout 120 chromium $flags --print-to-pdf=$tmp/report.pdf --no-pdf-header-footer "file://$abs" 2>> $tmp/chromium.log
  check "no PDF print of the report" "is_pdf $tmp/report.pdf"
  timeout 120 chromium $flags --dump-dom "file://$abs" > $tmp/report.dom 2>> $tmp/chromium.log
  check "console messages from the report page" "! grep -q 'CONSOLE' $tmp/chromium.log"
  for t in $(tail -n +2 $tmp/run/targets.csv | cut -d, -f1 | sort -u); do
    check "target $t not in the rendered page" "grep -q '$t' $tmp/report.dom"
  done
  rm -rf "$ud"
else
  echo "plots: SKIPPED the Chromium check of report.html: chromium is not installed and could not be (apt-get install chromium)"
fi
# A commune with no people has no probability: the report and the charts say
# so, never "0.000 very unlikely" nor "1.000 very likely".
mkdir -p $tmp/zero
awk -F, 'NR > 1 && $1 == "Đồng Sơn" { $4 = 0; $5 = 0 } { print }' OFS=, tests/cases/common/population.csv > $tmp/zero/pop.csv
printf '[run]\nname = zero\nmodel = %s/tests/cases/common/model.ini\npopulation = pop.csv\nstart = 2018-05\nmonths = 6\nlevels = district\n[target.x]\nlevel = commune\nthreshold = 85\ndeadline = 2018-10\n' \
  "$PWD" > $tmp/zero/s.ini
$bin run $tmp/zero/s.ini -q -r 50 -o $tmp/zero/out && $bin report $tmp/zero/out --lang en -q \
  && $bin plot $tmp/zero/out --lang en --format svg --units all -q || bad "a commune with no people: run, report or plot failed"
check "report: a commune with no people not shown as such" \
  "grep -q 'Đồng Sơn</td><td>10/2018</td><td class=\"num\">—</td><td>no people' $tmp/zero/out/report.html"
check "fan chart: a commune with no people given a probability" \
  "grep -q 'no people' $tmp/zero/out/plots/fan-commune-dong-son.gp && ! grep -q 'probability 0.000' $tmp/zero/out/plots/fan-commune-dong-son.svg"
# Labels: a target's, a campaign's and a scenario's `label =` is what the
# charts, the tables and the report show, the key only where there is none;
# a label with quotes, a backquote and @ is text there and runs nothing.
lab=$tmp/labels; mkdir -p $lab
$bin run tests/cases/good-labels/scenario.ini -r 100 -o $lab/run > $lab/run.txt 2>&1 \
  && $bin plot $lab/run --format svg --lang vi -q && $bin report $lab/run --lang vi -q || bad "labels: run, plot or report failed"
check "labels: the table shows the key, not the label" "grep -q '^Xã nông thôn mới (≥ 85%)  ' $lab/run.txt && ! grep -q '^ntm-communes' $lab/run.txt"
check "labels: the table does not name the scenario by its label" "grep -q ': Nam Trực — \"cơ sở\" 2018 —' $lab/run.txt"
check "labels: the cards chart's title shows the key, not the label" \
  "grep -q 'Xã nông thôn mới (≥ 85%): số thẻ còn thiếu' $lab/run/plots/cards-ntm-communes.svg && ! grep -q 'ntm-communes:' $lab/run/plots/cards-ntm-communes.svg"
check "labels: the fan chart's target lines lack a label or the key fallback" \
  "grep -qF 'Chỉ tiêu =HYPERLINK(\"x\"), \`touch pwned\` @m ≥ 80%' $lab/run/plots/fan-district-*.svg && grep -q 'Chỉ tiêu year-end ≥' $lab/run/plots/fan-district-*.svg"
check "labels: the report's table shows the key, not the label" \
  "grep -q '<td class=\"t\">Xã nông thôn mới (≥ 85%) ≥ 85%' $lab/run/report.html && ! grep -q '<td class=\"t\">ntm-communes' $lab/run/report.html"
check "labels: the report's table lacks the escaped label or the key fallback" \
  "grep -qF '<td class=\"t\">=HYPERLINK(&quot;x&quot;), \`touch pwned\` @m ≥ 80%' $lab/run/report.html && grep -q '<td class=\"t\">year-end ≥' $lab/run/report.html"
check "labels: the report's heading does not show the scenario's label" "grep -q '<h1>.*: Nam Trực — &quot;cơ sở&quot; 2018</h1>' $lab/run/report.html"
printf '[run]\nbase = %s/tests/cases/good-labels/scenario.ini\nlabel = Chiến dịch gấp đôi\n[campaign.peak]\nenroll_multiplier = 5\n' "$PWD" > $lab/double.ini
$bin compare tests/cases/good-labels/scenario.ini $lab/double.ini -q -r 100 -o $lab/cmp && $bin plot $lab/cmp --format svg -q \
  && $bin sweep tests/cases/good-labels/scenario.ini --set campaign.peak.enroll_multiplier=1..2:1 -q -r 50 -o $lab/sweep \
  && $bin plot $lab/sweep --format svg -q || bad "labels: compare, sweep or their plots failed"
check "labels: the comparison's legend lacks a scenario's label" \
  "grep -q 'Chiến dịch gấp đôi' $lab/cmp/plots/compare-district-*.svg && grep -q 'Nam Trực — \"cơ sở\" 2018' $lab/cmp/plots/compare-district-*.svg"
check "labels: the sweep's axis lacks the campaign's label" "grep -q 'Chiến dịch cao điểm (enroll_multiplier)' $lab/sweep/plots/sweep-year-end-*.svg"
check "labels: a label ran a command" "[ -z \"\$(find $lab . -maxdepth 4 -name pwned)\" ]"
# A history month that some communes did not report is marked incomplete in
# history.csv and not drawn as the province's coverage (Ninh Bình: one report
# missing in September and October 2025).
$bin run scenarios/ninh-binh-2025.ini -q -r 20 -o $tmp/nb && $bin plot $tmp/nb --format svg -q || bad "Ninh Bình: run or plot failed"
check "history.csv: a month with a missing report not marked incomplete" \
  "grep -q '^province,Tỉnh Ninh Bình,2025-09,.*,128,,0$' $tmp/nb/history.csv && grep -q '^province,Tỉnh Ninh Bình,2025-08,.*,129,,1$' $tmp/nb/history.csv"
check "fan chart: an incomplete month drawn as the province's coverage" \
  "grep -q '^2025-09,NaN$' $tmp/nb/plots/fan-province-tinh-ninh-binh-observed.dat && grep -q '^2025-08,92' $tmp/nb/plots/fan-province-tinh-ninh-binh-observed.dat"
$bin report $tmp/nb -q || bad "Ninh Bình: report failed"
check "report: among targets all out of reach, the province (most cards needed) not first" \
  "grep -A1 '<tbody>' $tmp/nb/report.html | tail -1 | grep -q 'Tỉnh Ninh Bình'"
# Two levels as three (the 2025 map: communes and provinces): a file of two
# provinces gets the whole file's fan chart, titled in words; one whose
# province is the whole file does not (Ninh Bình, Nam Trực). A commune name
# two provinces share is shown with its code in the report and the cards chart.
two=$tmp/two; mkdir -p $two
printf 'commune_code,commune,province,group,population,insured\n01,Xã Bình Minh,Tỉnh A,household,1000,900\n02,Xã Bình Minh,Tỉnh B,household,800,700\n03,Xã Khác,Tỉnh B,household,500,480\n' > $two/pop.csv
printf '[run]\npopulation = pop.csv\nmodel = %s/models/bhyt.ini\nlevels = province\nstart = 2025-07\nmonths = 6\nreplicates = 50\n[target.all]\nlevel = all\nthreshold = 95\ndeadline = 2025-12\n[target.xa]\nlevel = commune\nthreshold = 95\ndeadline = 2025-12\n' "$PWD" > $two/scenario.ini
$bin run $two/scenario.ini -q -o $two/run && $bin plot $two/run --format svg -q && $bin report $two/run -q || bad "two provinces: run, plot or report failed"
check "two provinces: no chart of the whole file, or not titled in words" "grep -q 'Tất cả các xã, phường' $two/run/plots/fan-all-all.svg"
check "a province that is the whole file charted twice" "! ls $tmp/nb/plots/fan-all-all.* $tmp/run/plots/fan-all-all.* 2>/dev/null | grep -q ."
check "two provinces: a shared commune name without its code in the report" \
  "grep -q '<td class=\"t\">Xã Bình Minh (01)</td>' $two/run/report.html && grep -q '<td class=\"t\">Xã Bình Minh (02)</td>' $two/run/report.html && grep -q '<td class=\"t\">Xã Khác</td>' $two/run/report.html"
check "two provinces: a shared commune name without its code in the cards chart" \
  "grep -q 'Xã Bình Minh (02)' $two/run/plots/cards-xa.gp && ! grep -q 'Xã Khác (03)' $two/run/plots/cards-xa.gp"
# --baseline: another run's median on each fan chart (the page's pinned
# baseline): its values in the chart's data, its line in the script, in words
$bin run scenarios/nam-truc-2018.ini -q -r 100 --set campaign.peak.enroll_multiplier=6 -o $tmp/peak || bad "run the stronger peak"
if $bin plot $tmp/peak --baseline $tmp/run --format svg -q; then ok; else bad "plot --baseline"; fi
bdat=$tmp/peak/plots/fan-district-huyen-nam-truc-baseline.dat
check "plot --baseline: the baseline's medians are not the .dat's, month by month" \
  "[ \"\$(awk -F, '\$1 == \"district\" { print \$3 \",\" \$9 + 0 }' $tmp/run/trajectories.csv)\" = \"\$(awk -F, '!/^#/ { print \$1 \",\" \$2 + 0 }' $bdat)\" ] && [ \$(grep -c . $bdat) = 14 ]"
check "plot --baseline: the script does not draw it, or not in words" \
  "grep -q 'fan-district-huyen-nam-truc-baseline.dat' $tmp/peak/plots/fan-district-huyen-nam-truc.gp && grep -q 'Trung vị của phương án gốc' $tmp/peak/plots/fan-district-huyen-nam-truc.svg"
check "plot without --baseline draws one" "! ls $tmp/run/plots/*-baseline.dat 2>/dev/null | grep -q ."
$bin plot $tmp/peak --baseline $tmp/nowhere -q 2> $tmp/nobase.err; code=$?
check "plot --baseline of a folder without results: exit $code, $(cat $tmp/nobase.err)" "[ $code = 2 ] && grep -q 'no trajectories.csv there' $tmp/nobase.err"
$bin plot $tmp/compare --baseline $tmp/run -q 2> $tmp/cmpbase.err; code=$?
check "plot --baseline of a compare folder: exit $code, $(cat $tmp/cmpbase.err)" "[ $code = 2 ] && grep -q 'compare folder' $tmp/cmpbase.err"
# gnuplot found through a relative folder of PATH: it runs in the plots
# folder, so it is started by its full path
mkdir -p $tmp/relbin
printf '#!/bin/sh\ntouch "%s/relbin/used"\nexec gnuplot "$@"\n' "$PWD/$tmp" > $tmp/relbin/gnuplot; chmod +x $tmp/relbin/gnuplot
rm -f $tmp/relbin/used
if PATH="$tmp/relbin:$PATH" $bin plot $tmp/run -q --format svg 2> $tmp/relbin.err; then ok; else bad "plot with gnuplot in a relative PATH folder: $(cat $tmp/relbin.err)"; fi
check "the gnuplot of the relative PATH folder was not the one run" "[ -f $tmp/relbin/used ]"
echo "plots: $pass passed, $fail failed"
[ $fail = 0 ]
