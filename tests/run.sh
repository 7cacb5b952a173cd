#!/bin/sh
# run.sh — runs every unit test program given as arguments, then the golden
# CLI cases; prints one closing line "N passed, N failed".
pass=0; fail=0
rm -rf tests/tmp && mkdir -p tests/tmp
for t in "$@"; do
  if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t"; fi
done
for script in tests/cli.sh tests/plots.sh tests/reliability.sh tests/perf.sh; do
  out=$(sh $script); rc=$?
  echo "$out"
  p=$(echo "$out" | sed -n 's/^[a-z]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(echo "$out" | sed -n 's/^[a-z]*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
  [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ] && fail=$((fail + 1))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
