#!/bin/sh
# calibrate.sh — golden command-line cases of `covcast calibrate` (and of
# `backtest`, whose failures leave nothing either). Each
# folder in tests/calibrate/ holds `args` (the covcast arguments; the script
# adds --out), `expected.code`, `expected.out` (stdout) and `expected.err`
# (stderr), and for a success `expected.model.ini`, all compared byte for
# byte. A failure must leave no model file; no output may hold nan or inf;
# a model written must load as a model.
# `sh tests/calibrate.sh --update` rewrites the expected files (review the diff!).
update=0; [ "${1:-}" = "--update" ] && update=1
bin=${COVCAST:-./covcast}
pass=0; fail=0
tmp=${TESTS_TMP:-tests/tmp}/calibrate
rm -rf "$tmp"; mkdir -p "$tmp"
printf 'commune,month,population,insured\nXã Một,2024-01,100,80\n' > "$tmp/one-point.csv"
for dir in tests/calibrate/*/; do
  name=$(basename "$dir")
  out="$tmp/$name"; mkdir -p "$out"
  # shellcheck disable=SC2046
  LC_ALL=C $bin $(cat "$dir/args") --out "$out/model.ini" > "$out/stdout" 2> "$out/stderr" < /dev/null
  code=$?
  sed -i "s#$out/#OUT/#g" "$out/stdout" "$out/stderr"
  if [ $update = 1 ]; then
    echo $code > "$dir/expected.code"
    cp "$out/stdout" "$dir/expected.out"; cp "$out/stderr" "$dir/expected.err"
    if [ -f "$out/model.ini" ]; then cp "$out/model.ini" "$dir/expected.model.ini"; else rm -f "$dir/expected.model.ini"; fi
  fi
  ok=1; why=""
  [ "$code" = "$(cat "$dir/expected.code")" ] || { ok=0; why="exit $code, expected $(cat "$dir/expected.code")"; }
  cmp -s "$out/stdout" "$dir/expected.out" || { ok=0; why="$why stdout differs"; }
  cmp -s "$out/stderr" "$dir/expected.err" || { ok=0; why="$why stderr differs"; }
  if [ -f "$dir/expected.model.ini" ]; then
    cmp -s "$out/model.ini" "$dir/expected.model.ini" || { ok=0; why="$why model.ini differs"; }
  else
    [ -e "$out/model.ini" ] && { ok=0; why="$why a model was written"; }
  fi
  # no figure may be nan or inf, in the model, on stdout or on stderr
  if cat "$out"/* 2>/dev/null | grep -qiE '(^|[^a-z])[-+]?(nan|inf)([^a-z]|$)'; then
    ok=0; why="$why nan or inf written:$(cat "$out"/* | grep -iE '(^|[^a-z])[-+]?(nan|inf)([^a-z]|$)' | head -2)"
  fi
  # the written model loads as a model (read as the base of a history with one point: nothing to fit)
  if [ -f "$out/model.ini" ]; then
    LC_ALL=C $bin calibrate "$tmp/one-point.csv" --model "$out/model.ini" > /dev/null 2> "$out/reload.err"
    grep -q "^$out/model.ini:" "$out/reload.err" && { ok=0; why="$why the model written does not load: $(head -1 "$out/reload.err")"; }
    rm -f "$out/reload.err"
  fi
  # an estimated shock lies inside its own 95% interval
  if [ -f "$out/model.ini" ] && ! awk '$1 == "shock_sd" && $8 == "interval" && !($9 + 0 < $3 + 0 && $3 + 0 < $11 + 0) { bad = 1 }
                                  END { exit bad }' "$out/model.ini"; then
    ok=0; why="$why shock_sd outside its interval: $(grep '^shock_sd' "$out/model.ini")"
  fi
  if [ $ok = 1 ]; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAILED calibrate case $name:$why"
    diff "$dir/expected.out" "$out/stdout" | head -10; diff "$dir/expected.err" "$out/stderr" | head -10
  fi
done
echo "calibrate: $pass passed, $fail failed"
[ $fail = 0 ]
