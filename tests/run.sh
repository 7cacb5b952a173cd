#!/bin/sh
# run.sh — runs every unit test program given as arguments, then the golden
# CLI cases, charts, reliability, the cost guard and, when MPI_COVCAST names
# an MPI build, the MPI check; prints one closing line "N passed, N failed".
pass=0; fail=0
rm -rf "${TESTS_TMP:-tests/tmp}" && mkdir -p "${TESTS_TMP:-tests/tmp}"
for t in "$@"; do
  if "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: $t"; fi
done
scripts="tests/cli.sh tests/calibrate.sh tests/csvsafe.sh tests/inputs.sh tests/plots.sh tests/hostile.sh tests/reliability.sh tests/perf.sh tests/serve.sh tests/validate.sh"
if [ -n "${MPI_COVCAST:-}" ]; then scripts="$scripts tests/mpi.sh"; else
  echo "mpi: SKIPPED (OpenMPI is not installed; 'make mpi' installs it and runs the check)"; fi
for script in $scripts; do
  if [ "$script" = tests/mpi.sh ]; then out=$(COVCAST=$MPI_COVCAST sh $script); else out=$(sh $script); fi; rc=$?
  echo "$out"
  p=$(echo "$out" | sed -n 's/^[a-z]*: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(echo "$out" | sed -n 's/^[a-z]*: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  pass=$((pass + ${p:-0})); fail=$((fail + ${f:-0}))
  [ $rc -ne 0 ] && [ "${f:-0}" -eq 0 ] && fail=$((fail + 1))
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
