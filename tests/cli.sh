#!/bin/sh
# cli.sh — golden command-line cases (jq style). Each folder in tests/cases/
# (but common/) holds `args` (the covcast arguments), `expected.code` (exit
# status) and, for failures, `expected.err` (stderr, compared byte for byte);
# for successes `expected.*.csv` files compared with the run's output.
# Every case runs with an output folder that already holds earlier results:
# a failed run must leave them exactly as they were.
# `sh tests/cli.sh --update` rewrites the expected files (review the diff!).
update=0; [ "${1:-}" = "--update" ] && update=1
bin=${COVCAST:-./covcast}
pass=0; fail=0
tmp=${TESTS_TMP:-tests/tmp}/cli
rm -rf "$tmp"; mkdir -p "$tmp"
for dir in tests/cases/*/; do
  name=$(basename "$dir")
  [ "$name" = common ] && continue
  out="$tmp/$name"
  mkdir -p "$out"; echo "earlier results" > "$out/earlier.txt"
  [ -f "$dir/foreign" ] || printf '%s\n' 'This folder was written by covcast; a new run may replace it whole.' \
    'Files covcast wrote here (a new run refuses to remove anything else):' earlier.txt > "$out/.covcast"   # an earlier covcast run, unless the case says otherwise
  # shellcheck disable=SC2046
  LC_ALL=C $bin $(cat "$dir/args") --out "$out" > "$tmp/$name.stdout" 2> "$tmp/$name.stderr" < /dev/null
  code=$?
  # the golden messages name the default scratch folder
  [ "$tmp" = tests/tmp/cli ] || sed -i "s#$tmp/#tests/tmp/cli/#g" "$tmp/$name.stderr"
  ok=1; why=""
  if [ $update = 1 ]; then
    echo $code > "$dir/expected.code"
    if [ $code = 0 ]; then
      for f in targets.csv trajectories.csv; do cp "$out/$f" "$dir/expected.$f"; done
    else
      cp "$tmp/$name.stderr" "$dir/expected.err"
    fi
  fi
  [ "$code" = "$(cat "$dir/expected.code")" ] || { ok=0; why="exit $code, expected $(cat "$dir/expected.code")"; }
  if [ "$(cat "$dir/expected.code")" = 0 ]; then
    for f in targets.csv trajectories.csv; do
      cmp -s "$out/$f" "$dir/expected.$f" || { ok=0; why="$why $f differs"; }
    done
    [ -s "$tmp/$name.stderr" ] && { ok=0; why="$why stderr not empty"; }
    [ -e "$out/earlier.txt" ] && { ok=0; why="$why old results not replaced"; }
  else
    cmp -s "$tmp/$name.stderr" "$dir/expected.err" || { ok=0; why="$why stderr differs"; }
    want=".covcast earlier.txt "; [ -f "$dir/foreign" ] && want="earlier.txt "
    [ "$(ls -A "$out" | tr '\n' ' ')" = "$want" ] && [ "$(cat "$out/earlier.txt")" = "earlier results" ] \
      || { ok=0; why="$why output folder changed"; }
    [ -n "$(ls -A "$(dirname "$out")" | grep '^\.covcast-tmp')" ] && { ok=0; why="$why temporary folder left"; }
  fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAILED cli case $name:$why"
    [ -f "$dir/expected.err" ] && diff "$dir/expected.err" "$tmp/$name.stderr" | head -20
  fi
done
echo "cli: $pass passed, $fail failed"
[ $fail = 0 ]
