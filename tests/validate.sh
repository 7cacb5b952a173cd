#!/bin/sh
# validate.sh — smoke test of `make validate` (validation/validate.sh) on one
# target year with few replicates, so that the validation cannot rot: it must
# run to the end, write one row per forecast and method, the scores and both
# charts, and find models/bhyt-national-2023.ini equal to a fresh calibration.
bin=${COVCAST:-./covcast}
out=${TESTS_TMP:-tests/tmp}/validate
pass=0; fail=0
check() { if eval "$2"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: validate: $1"; fi; }
rm -rf "$out"; mkdir -p "$out"
COVCAST=$bin OUT=$out YEARS=2020 REPLICATES=200 THREADS=2 sh validation/validate.sh > "$out/log.txt" 2>&1
rc=$?
check "runs (exit $rc; see $out/log.txt)" '[ $rc -eq 0 ]'
check "forecasts.csv: 2020 year-ahead and mid-year, three methods each" \
  '[ "$(awk -F, "NR > 1 && \$1 == 2020" "$out/forecasts.csv" 2>/dev/null | wc -l)" -eq 6 ]'
check "every forecast has P(target met) and five quantiles" \
  '[ "$(awk -F, "NR > 1 && \$11 != \"\" && \$12 != \"\" && \$16 != \"\" && \$11 >= 0 && \$11 <= 1 && \$12 <= \$14 && \$14 <= \$16" "$out/forecasts.csv" 2>/dev/null | wc -l)" -eq 6 ]'
check "summary.csv: scores per kind and method" '[ "$(awk -F, "NF == 11" "$out/summary.csv" 2>/dev/null | wc -l)" -eq 7 ]'
check "the charts" '[ -s "$out/validation-year-ahead.svg" ] && [ -s "$out/validation-mid-year.svg" ]'
check "models/bhyt-national-2023.ini is the calibration on the whole series" \
  'grep -q "its rates are the calibration" "$out/national-check.txt" 2>/dev/null'
echo "validate: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
