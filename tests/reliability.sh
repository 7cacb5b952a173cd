#!/bin/sh
# reliability.sh — results that are never lost, limits refused up front, and
# memory checked by valgrind: interrupted runs (SIGINT, SIGTERM), a write that
# fails half-way (a file-size limit stands in for a full disk), an output path
# that is an input file or another program's folder, a run too big for memory,
# an unwritable place.
bin=${COVCAST:-./covcast}
tmp=${TESTS_TMP:-tests/tmp}/reliability
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED reliability: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
scen=scenarios/nam-truc-2018.ini

earlier() {   # a folder holding earlier covcast results
  rm -rf "$1"; mkdir -p "$1"; : > "$1/.covcast"; echo "earlier" > "$1/targets.csv"
}
unchanged() { [ "$(cat "$1/targets.csv")" = earlier ] && [ "$(ls -A "$1" | tr '\n' ' ')" = ".covcast targets.csv " ] \
              && ! ls -d "$(dirname "$1")"/.covcast-tmp-* >/dev/null 2>&1; }

for sig in INT TERM; do
  out=$tmp/interrupted-$sig; earlier $out
  $bin run $scen -q -r 300000 -t 2 -o $out 2> $tmp/sig-$sig.err & pid=$!
  sleep 1; kill -$sig $pid; wait $pid; code=$?
  check "SIG$sig: exit $code, expected 130" "[ $code = 130 ]"
  check "SIG$sig: earlier results changed or a temporary folder left" "unchanged $out"
  check "SIG$sig: no message" "grep -q interrupted $tmp/sig-$sig.err"
done

out=$tmp/full-disk; earlier $out
( ulimit -f 16; $bin run $scen -q -r 200 -o $out 2> $tmp/full.err ); code=$?
check "full disk: exit $code, expected 4" "[ $code = 4 ]"
check "full disk: no clear message" "grep -q 'cannot write .*disk full' $tmp/full.err"
check "full disk: earlier results changed" "unchanged $out"

sum=$(cksum < scenarios/data/nam-truc-2018.csv)
$bin run $scen -q -r 50 -o scenarios/data/nam-truc-2018.csv 2> $tmp/same.err; code=$?
check "output path = input file: exit $code, expected 4" "[ $code = 4 ]"
check "output path = input file: the input changed" "[ \"\$(cksum < scenarios/data/nam-truc-2018.csv)\" = \"$sum\" ]"
$bin run $scen -q -r 50 -o scenarios/data 2> $tmp/folder.err; code=$?
check "the inputs' folder as output: exit $code, expected 4" "[ $code = 4 ] && [ -f scenarios/data/README.md ]"

$bin run $scen -q -r 100000000 -m 600 -o $tmp/huge 2> $tmp/huge.err; code=$?
check "10^8 replicates: exit $code, expected 5 (refused up front)" "[ $code = 5 ] && grep -q 'GiB of memory' $tmp/huge.err"
check "10^8 replicates: wrote something" "[ ! -e $tmp/huge ]"

$bin run $scen -q -r 50 -o /proc/covcast-cannot-write 2> $tmp/proc.err; code=$?
check "unwritable place: exit $code, expected 4" "[ $code = 4 ] && [ -s $tmp/proc.err ]"

if [ -n "${SANITIZED:-}" ]; then
  echo "reliability: valgrind not run on a sanitizer build (make asan); make test runs it"
elif command -v valgrind >/dev/null 2>&1; then
  valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    $bin run tests/cases/good-small/scenario.ini -q -r 20 -t 1 -o $tmp/valgrind 2> $tmp/valgrind.log; code=$?
  check "valgrind: exit $code (see $tmp/valgrind.log)" "[ $code = 0 ]"
  valgrind -q --error-exitcode=9 --leak-check=full --errors-for-leak-kinds=definite \
    $bin run tests/cases/bad-several-rows/scenario.ini -o $tmp/valgrind-bad 2> $tmp/valgrind-bad.log; code=$?
  check "valgrind on bad input: exit $code (see $tmp/valgrind-bad.log)" "[ $code = 3 ]"
else
  echo "reliability: SKIPPED valgrind: not installed (apt-get install valgrind)"
fi
echo "reliability: $pass passed, $fail failed"
[ $fail = 0 ]
