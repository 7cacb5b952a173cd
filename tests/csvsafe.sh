#!/bin/sh
# csvsafe.sh — names a spreadsheet would run as formulas (=HYPERLINK(...),
# +1, -x, @SUM(1)) reach every CSV covcast writes as '...-prefixed, quoted
# cells, and covcast's own readers (plot, report) still work on those files.
# The population is the one of tests/cases/good-formula-names.
bin=${COVCAST:-./covcast}
tmp=${TESTS_TMP:-tests/tmp}/csvsafe
case=tests/cases/good-formula-names
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
check() {   # check WHAT COMMAND...: passes when the command succeeds
  what=$1; shift
  if "$@" > /dev/null 2>&1; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED csvsafe: $what"; fi
}
has() { grep -qF -- "$2" "$1"; }                       # has FILE TEXT
hasnt() { ! grep -qE -- "$2" "$1"; }                   # hasnt FILE REGEX
# no cell of FILE (outside quotes) starts with a formula character
bare() { awk -F'\n' '{ n = split($0, c, ","); for (i = 1; i <= n; i++) if (c[i] ~ /^[=+@]/ || c[i] ~ /^-[^0-9]/) exit 1 }' "$1"; }

run="$bin run $case/scenario.ini --threads 2 --quiet --keep-replicates --out $tmp/run"
check "run" $run
for f in trajectories targets first_reached exceedance replicates; do
  check "$f.csv: no bare formula cell" bare "$tmp/run/$f.csv"
  check "$f.csv: the district is '@..." has "$tmp/run/$f.csv" "\"'@Huyện Nam Trực\""
done
check "first_reached.csv: '=HYPERLINK quoted" has "$tmp/run/first_reached.csv" "\"'=HYPERLINK(\"\"http://example.com/?x=1\"\",\"\"Bấm vào đây\"\")\""
check "exceedance.csv: the target '-lag" hasnt "$tmp/run/exceedance.csv" '^-lag'
check "replicates.csv: the code '-7" has "$tmp/run/replicates.csv" "\"'-7\""
check "a value that starts with ' gets a second one" has "$tmp/run/targets.csv" "\"''=1+1\""

check "plot" $bin plot "$tmp/run" --units all
check "plot: a fan chart per commune" test "$(ls "$tmp/run/plots" | grep -c '^fan-commune-.*\.png$')" = 6
check "report" $bin report "$tmp/run"
check "report: every unit listed" test "$(grep -c '<tr><td class="t">' "$tmp/run/report.html")" = 8

check "compare" $bin compare $case/scenario.ini $case/scenario.ini --quiet --threads 2 --out "$tmp/compare"
check "compare.csv: no bare formula cell" bare "$tmp/compare/compare.csv"
check "compare.csv: '+1" has "$tmp/compare/compare.csv" "\"'-lag\",commune,\"'+1\","
check "plot of the comparison" $bin plot "$tmp/compare"

check "sweep" $bin sweep $case/scenario.ini --set campaign.peak.enroll_multiplier=1..2:1 --quiet --threads 2 --out "$tmp/sweep"
check "sweep.csv: no bare formula cell" bare "$tmp/sweep/sweep.csv"
check "sweep.csv: '-x" has "$tmp/sweep/sweep.csv" "\"'-lag\",commune,\"'-x\","
check "plot of the sweep" $bin plot "$tmp/sweep"

check "solve" $bin solve $case/scenario.ini --target districts --lever cards --probability 0.5 --range 0..200 --quiet --threads 2 --out "$tmp/solve"
check "solve.csv: '@" has "$tmp/solve/solve.csv" "districts,district,\"'@Huyện Nam Trực\","

check "allocate" $bin allocate $case/scenario.ini --target -lag --campaign peak --budget 1 --quiet --threads 2 --out "$tmp/allocate"
check "allocation.csv: no bare formula cell" bare "$tmp/allocate/allocation.csv"

check "gap" $bin gap $case/population.csv --threshold 90 --out "$tmp/gap.csv"
check "gap table: no bare formula cell" bare "$tmp/gap.csv"
check "gap table: '@SUM(1)" has "$tmp/gap.csv" "commune,\"'@SUM(1)\","
check "gap table by level" $bin gap $case/population.csv --threshold 90 --level district --out "$tmp/gap-district.csv"
check "gap table by level: '@" has "$tmp/gap-district.csv" "district,\"'@Huyện Nam Trực\","

echo "csvsafe: $pass passed, $fail failed"
[ $fail = 0 ]
