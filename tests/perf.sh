#!/bin/sh
# perf.sh — a regression guard on the engine's cost per draw: the whole run
# (events, statistics, output) against the bare sampler on the same draws,
# counted in instructions by valgrind's callgrind so that a shared, noisy
# machine cannot make it flaky. It fails above 1.5x. Timings are for
# `make bench`, not for tests.
bin=${COVCAST:-./covcast}
guard=${PROVINCE:-./build/bench/province}
tmp=${TESTS_TMP:-tests/tmp}/perf
rm -rf "$tmp"; mkdir -p "$tmp"
if [ -n "${SANITIZED:-}" ] || ! command -v valgrind >/dev/null 2>&1 || [ ! -x "$guard" ]; then
  echo "perf: SKIPPED the instruction-count guard (sanitizer build, or valgrind or the bench program missing)"
  echo "perf: 0 passed, 0 failed"; exit 0
fi
C=40; G=6; H=24; R=200
$guard gen $tmp/data $C $G $H $R > /dev/null
count() { valgrind --tool=callgrind --callgrind-out-file=/dev/null "$@" 2>&1 >/dev/null | sed -n 's/.*Collected : \([0-9]*\).*/\1/p'; }
engine=$(count $bin run $tmp/data/scenario.ini -q -t 1 -o $tmp/out)
sampler=$(count $guard sampler $C $G $H $R)
ratio=$(awk "BEGIN { printf \"%.3f\", $engine / $sampler }")
echo "perf: engine $engine instructions, bare sampler $sampler: ratio $ratio (guard: 1.5)"
if awk "BEGIN { exit !($ratio <= 1.5) }"; then echo "perf: 1 passed, 0 failed"; else
  echo "FAILED perf: the engine costs ${ratio}x its bare sampler (more than 1.5x)"; echo "perf: 0 passed, 1 failed"; exit 1; fi
