#!/bin/sh
# serve.sh — `covcast serve`: the API tests (tests/serve_api.c, libcurl,
# with the exported-INI identity, cancellation and a 1,000-edit soak), a
# short session under valgrind, and the page in headless Chromium
# (tests/serve_browser.py). Every server is started on a free port of
# 127.0.0.1 by the test that uses it, and stopped by it.
bin=${COVCAST:-./covcast}
api=${SERVE_API:-build/tests/serve_api}
tmp=${TESTS_TMP:-tests/tmp}/serve
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
add() {   # adds the counts of a "serve: N passed, M failed" line
  p=$(echo "$1" | sed -n 's/^serve: \([0-9]*\) passed, \([0-9]*\) failed$/\1/p')
  f=$(echo "$1" | sed -n 's/^serve: \([0-9]*\) passed, \([0-9]*\) failed$/\2/p')
  [ -z "$p" ] && { fail=$((fail + 1)); echo "FAILED serve: $2 did not finish"; echo "$1" | tail -5; return; }
  pass=$((pass + p)); fail=$((fail + f))
  echo "$1" | grep -v '^serve: [0-9]* passed' | grep -E '^(FAILED|serve soak|serve browser)'
}
# under the sanitizers the soak is shorter (each edit costs more there)
edits=1000; [ -n "${SANITIZED:-}" ] && edits=100
add "$($api "$bin" "$tmp/api" $edits 2>&1)" "the API tests"
if [ -z "${SANITIZED:-}" ] && command -v valgrind >/dev/null 2>&1; then
  mkdir -p "$tmp/valgrind"
  # the server process itself; each run is a forked child holding a copy of
  # what other threads had in hand at the fork, so children are not
  # leak-checked here (the engine they run is, under ASan, in `make asan`)
  out=$(SERVE_WRAPPER="valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite --child-silent-after-fork=yes --log-file=$tmp/valgrind/log" \
    $api "$bin" "$tmp/valgrind" 0 2>&1)
  add "$out" "the short session under valgrind"
  if [ -s $tmp/valgrind/log ]; then fail=$((fail + 1)); echo "FAILED serve: valgrind reports:"; head -40 $tmp/valgrind/log; fi
else
  echo "serve: valgrind session SKIPPED (sanitized build, or valgrind not installed)"
fi
# the page in a real browser; skipped only when Debian's python3-selenium and
# chromium-driver are not installed and could not be (the Makefile installs
# them with the test packages)
if /usr/bin/python3 -c 'import selenium' 2>/dev/null && [ -x /usr/bin/chromedriver ]; then
  add "$(timeout 300 /usr/bin/python3 tests/serve_browser.py "$bin" "$tmp/browser" 2>&1)" "the browser test"
else
  echo "serve: SKIPPED the browser test: python3-selenium or chromium-driver is not installed and could not be (apt-get install python3-selenium chromium-driver)"
fi
echo "serve: $pass passed, $fail failed"
