#!/bin/sh
# inputs.sh — every input is read once: a population given as a FIFO or as
# /dev/stdin (a pipe) is read like a file, its errors are quoted from the
# text read, and run.json gives the SHA-256 of that text; no --help prints a
# doubled percent sign.
bin=${COVCAST:-./covcast}
tmp=${TESTS_TMP:-tests/tmp}/inputs
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
ok() { pass=$((pass + 1)); }
bad() { fail=$((fail + 1)); echo "FAILED inputs: $*"; }
check() { if eval "$2"; then ok; else bad "$1"; fi; }
pop=tests/cases/common/population.csv
scen() {   # a scenario reading its population from $1
  printf '[run]\npopulation = %s\nmodel = %s/tests/cases/common/model.ini\nlevels = district\nstart = 2018-05\nmonths = 3\nreplicates = 50\n[target.t]\nlevel = district\nthreshold = 85\ndeadline = 2018-08\n' "$1" "$(pwd)"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }

# /dev/stdin, a pipe: the same results as the file itself, and its hash
scen "$(pwd)/$pop" > "$tmp/file.ini"
scen /dev/stdin > "$tmp/stdin.ini"
$bin run "$tmp/file.ini" -q -o "$tmp/file" 2> "$tmp/file.err"
cat $pop | timeout 60 $bin run "$tmp/stdin.ini" -q -o "$tmp/stdin" 2> "$tmp/stdin.err"; code=$?
check "population from /dev/stdin: exit $code, expected 0: $(cat "$tmp/stdin.err")" "[ $code = 0 ]"
check "population from /dev/stdin: other results than from the file" "cmp -s '$tmp/file/targets.csv' '$tmp/stdin/targets.csv'"
check "run.json: the SHA-256 of the population read from /dev/stdin" \
  "grep -q '\"role\": \"population\", \"path\": \"/dev/stdin\", \"sha256\": \"$(sha $pop)\"' '$tmp/stdin/run.json'"

# a FIFO: no hang, no false error
mkfifo "$tmp/pop.fifo"
scen "$(pwd)/$tmp/pop.fifo" > "$tmp/fifo.ini"
cat $pop > "$tmp/pop.fifo" & writer=$!
timeout 60 $bin run "$tmp/fifo.ini" -q -o "$tmp/fifo" 2> "$tmp/fifo.err"; code=$?
kill $writer 2>/dev/null; wait $writer 2>/dev/null   # a writer nobody read from waits no longer
check "population from a FIFO: exit $code, expected 0: $(cat "$tmp/fifo.err")" "[ $code = 0 ]"
check "population from a FIFO: other results than from the file" "cmp -s '$tmp/file/targets.csv' '$tmp/fifo/targets.csv'"

# an error in a piped file is quoted from the text read (the pipe is gone by then)
printf 'commune,district,group,population,insured\nA,H,household,100,900\n' \
  | timeout 60 $bin run "$tmp/stdin.ini" -q -o "$tmp/bad" 2> "$tmp/bad.err"; code=$?
check "a bad row from /dev/stdin: exit $code, expected 3" "[ $code = 3 ]"
check "a bad row from /dev/stdin: the line is not quoted" "grep -q '^    A,H,household,100,900$' '$tmp/bad.err'"

# the scenario itself on /dev/stdin, with a base file named in it
printf '[run]\nbase = %s/%s/file.ini\nname = piped\n' "$(pwd)" "$tmp" \
  | timeout 60 $bin run /dev/stdin -q -o "$tmp/piped" 2> "$tmp/piped.err"; code=$?
check "scenario from /dev/stdin: exit $code, expected 0: $(cat "$tmp/piped.err")" "[ $code = 0 ]"
check "run.json: the base file of a piped scenario, with its SHA-256" \
  "grep -q '\"role\": \"base\", \"path\": \"$(pwd)/$tmp/file.ini\", \"sha256\": \"$(sha "$tmp/file.ini")\"' '$tmp/piped/run.json'"

for c in run compare sweep solve allocate calibrate backtest gap plot report regroup; do
  $bin $c --help > "$tmp/help-$c.txt" 2>&1
  check "covcast $c --help prints %%" "! grep -q '%%' '$tmp/help-$c.txt'"
done
$bin --help > "$tmp/help.txt" 2>&1
check "covcast --help prints %%" "! grep -q '%%' '$tmp/help.txt'"

echo "inputs: $pass passed, $fail failed"
[ $fail = 0 ]
