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
  rm -rf "$1"; mkdir -p "$1"; echo "earlier" > "$1/targets.csv"
  printf 'This folder was written by covcast; a new run may replace it whole.\nFiles covcast wrote here (a new run refuses to remove anything else):\ntargets.csv\n' > "$1/.covcast"
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

# A Ctrl-C between two runs of a compare or a sweep stops the whole command.
# A file that only the second run reads is a named pipe: covcast opens it
# once the first run is done, and the signal comes while it reads it, before
# the second run starts. between NAME PIPE TEXT ARGS...: covcast ARGS runs in
# the folder $tmp/between-NAME.d, where PIPE is the pipe that serves TEXT.
bin_abs=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
between() {
  name=$1 pipe=$2 text=$3; shift 3
  out=$PWD/$tmp/between-$name; earlier $out
  dir=$tmp/between-$name.d; mkdir -p $dir; rm -f $dir/$pipe; mkfifo $dir/$pipe
  ( cd $dir && exec "$bin_abs" "$@" -q -r 200 -t 2 -o "$out" 2> ../between-$name.err ) & pid=$!
  ( exec 3> $dir/$pipe; kill -INT $pid; echo "$text" >&3 ) & feeder=$!
  wait $pid; code=$?
  kill $feeder 2>/dev/null; wait $feeder 2>/dev/null
  check "SIGINT between two runs of $name: exit $code, expected 130" "[ $code = 130 ]"
  check "SIGINT between two runs of $name: earlier results changed or a temporary folder left" "unchanged $out"
  check "SIGINT between two runs of $name: no message" "grep -q interrupted $tmp/between-$name.err"
}
# compare: the second scenario is the pipe
between compare variant.ini "[run]
base = $PWD/$scen
[campaign.peak]
enroll_multiplier = 3" compare $PWD/$scen variant.ini
# sweep over the model file's name (relative to the folder): ./1, then ./2, the pipe
mkdir -p $tmp/between-sweep.d && cp models/bhyt.ini $tmp/between-sweep.d/1
between sweep 2 "$(cat models/bhyt.ini)" sweep $PWD/$scen --set run.model=1..2:1
# solve over the same lever: its first run reads ./2 (the top of the range), the next ./1, the pipe
mkdir -p $tmp/between-solve.d && cp models/bhyt.ini $tmp/between-solve.d/2
between solve 1 "$(cat models/bhyt.ini)" solve $PWD/$scen --target year-end --lever run.model --range 1..2 --probability 0.5

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

# Outputs never remove or replace an input, nor a file covcast did not write.
snapshot() { (cd "$1" && find . -type f -exec cksum {} + | sort); }
out=$tmp/own; $bin run $scen -q -r 50 -o $out 2> /dev/null
cp scenarios/data/nam-truc-2018.csv $out/mypop.csv; echo "mine" > $out/notes.txt; before=$(snapshot $out)
$bin run $scen -q -r 50 --set run.population=$PWD/$out/mypop.csv -o $out 2> $tmp/inside.err; code=$?
check "population inside the output folder: exit $code, expected 4" "[ $code = 4 ] && grep -q 'mypop.csv, an input' $tmp/inside.err"
check "population inside the output folder: the folder changed" "[ \"\$(snapshot $out)\" = \"\$before\" ]"
rm $out/mypop.csv; before=$(snapshot $out)
$bin run $scen -q -r 50 -o $out 2> $tmp/foreign.err; code=$?
check "a file of the user's in a covcast folder: exit $code, expected 4" "[ $code = 4 ] && grep -q 'notes.txt' $tmp/foreign.err"
check "a file of the user's in a covcast folder: the folder changed" "[ \"\$(snapshot $out)\" = \"\$before\" ]"
rm $out/notes.txt
ln -s "$PWD/scenarios/data/nam-truc-2018.csv" $tmp/link.csv; cp -r $out $tmp/own-linked; ln -s ../link.csv $tmp/own-linked/mypop.csv
sed "s#^population *=.*#population = ../../../$tmp/link.csv#" $scen > scenarios/.reliability-link.ini
$bin run scenarios/.reliability-link.ini -q -r 50 -o $tmp/own-linked 2> $tmp/linked.err; code=$?
rm -f scenarios/.reliability-link.ini
check "a run over a folder with a link to its input: exit $code, expected 4 (the link is not listed)" "[ $code = 4 ]"
mkdir -p $tmp/selfscen; cp -r $out/. $tmp/selfscen/; sed 's#= data/#= ../../../../scenarios/data/#; s#= \.\./models/#= ../../../../models/#' $scen > $tmp/selfscen/s.ini
$bin run $tmp/selfscen/s.ini -q -r 50 -o $tmp/selfscen 2> $tmp/selfscen.err; code=$?
check "a scenario kept in its own output folder: exit $code, expected 4" "[ $code = 4 ] && [ -f $tmp/selfscen/s.ini ] && grep -q 's.ini, an input' $tmp/selfscen.err"
$bin run $scen -q -r 50 -o $out 2> $tmp/rerun.err; code=$?
check "a rerun into a covcast folder: exit $code, expected 0" "[ $code = 0 ]"
$bin plot $out -q 2> /dev/null && $bin run $scen -q -r 50 -o $out 2> $tmp/rerun-plots.err; code=$?
check "a rerun into a folder with its charts: exit $code, expected 0" "[ $code = 0 ] && [ ! -e $out/plots ]"
$bin report $out -q 2> /dev/null && $bin report $out -q 2> /dev/null && $bin run $scen -q -r 50 -o $out 2> $tmp/rerun-report.err; code=$?
check "a rerun into a folder with its report: exit $code, expected 0" "[ $code = 0 ] && [ ! -e $out/report.html ]"
echo "<p>my own page" > $out/report.html
$bin report $out -q 2> $tmp/report-mine.err; code=$?
check "report over a page of the user's: exit $code, expected 4" "[ $code = 4 ] && [ \"\$(cat $out/report.html)\" = '<p>my own page' ]"
rm $out/report.html
mkdir -p $tmp/theirs; echo "mine" > $tmp/theirs/a.txt
for cmd in "compare $scen $scen" "sweep $scen --set campaign.peak.enroll_multiplier=1..2:1" \
           "solve $scen --target year-end --lever campaign.peak.enroll_multiplier --probability 0.8 --range 1..3" \
           "allocate $scen --target year-end --campaign peak --budget 100"; do
  $bin $cmd -r 50 -o $tmp/theirs > $tmp/theirs.out 2> $tmp/theirs.err; code=$?
  check "${cmd%% *} into a folder of the user's: exit $code, expected 4, before any run (stdout: $(head -c 80 $tmp/theirs.out))" \
    "[ $code = 4 ] && [ ! -s $tmp/theirs.out ] && [ \"\$(ls -A $tmp/theirs)\" = a.txt ]"
done

cp scenarios/data/nam-truc-2018.csv $tmp/pop.csv; sum=$(cksum < $tmp/pop.csv)
$bin gap $tmp/pop.csv --threshold 85 --out $tmp/pop.csv > /dev/null 2> $tmp/gap-self.err; code=$?
check "gap --out its input: exit $code, expected 4" "[ $code = 4 ] && [ \"\$(cksum < $tmp/pop.csv)\" = \"$sum\" ]"
ln -sf pop.csv $tmp/pop-link.csv
$bin gap $tmp/pop.csv --threshold 85 --out $tmp/pop-link.csv > /dev/null 2>&1; code=$?
check "gap --out a link to its input: exit $code, expected 4" "[ $code = 4 ] && [ \"\$(cksum < $tmp/pop.csv)\" = \"$sum\" ] && [ -L $tmp/pop-link.csv ]"
echo "my own table" > $tmp/mine.csv
$bin gap $tmp/pop.csv --threshold 85 --out $tmp/mine.csv > /dev/null 2> $tmp/gap-mine.err; code=$?
check "gap --out a file covcast did not write: exit $code, expected 4" "[ $code = 4 ] && [ \"\$(cat $tmp/mine.csv)\" = 'my own table' ]"
$bin gap $tmp/pop.csv --threshold 85 --out $tmp/gap.csv > /dev/null && $bin gap $tmp/pop.csv --threshold 90 --out $tmp/gap.csv > /dev/null; code=$?
check "gap --out its own earlier table: exit $code, expected 0" "[ $code = 0 ] && grep -q ',90.00,' $tmp/gap.csv"
check "gap: a temporary file left" "! ls -a $tmp | grep -q covcast-tmp"
printf 'commune,group,month,population,insured\nA,household,2020-01,1000,800\nA,household,2020-02,1000,805\nA,household,2020-03,1000,811\n' > $tmp/hist.csv
cp models/bhyt.ini $tmp/base.ini; hsum=$(cksum < $tmp/hist.csv); msum=$(cksum < $tmp/base.ini)
$bin calibrate $tmp/hist.csv --model $tmp/base.ini --out $tmp/hist.csv > /dev/null 2>&1; code=$?
check "calibrate --out its history: exit $code, expected 4" "[ $code = 4 ] && [ \"\$(cksum < $tmp/hist.csv)\" = \"$hsum\" ]"
$bin calibrate $tmp/hist.csv --model $tmp/base.ini --out $tmp/base.ini > /dev/null 2>&1; code=$?
check "calibrate --out its base model: exit $code, expected 4" "[ $code = 4 ] && [ \"\$(cksum < $tmp/base.ini)\" = \"$msum\" ]"

# A run killed outright leaves its temporary folder; the next run into the
# same place removes it (covcast's own only: with its marker, writer gone).
out=$tmp/stale; earlier $out
mkdir -p $tmp/.covcast-tmp-2147483646-abcdef $tmp/.covcast-tmp-2147483646-mine
: > $tmp/.covcast-tmp-2147483646-abcdef/.covcast
$bin run $scen -q -r 50 -o $out 2> /dev/null; code=$?
check "stale temporary folder: exit $code, expected 0" "[ $code = 0 ]"
check "stale temporary folder of covcast's not removed" "[ ! -e $tmp/.covcast-tmp-2147483646-abcdef ]"
check "a folder without covcast's marker was removed" "[ -d $tmp/.covcast-tmp-2147483646-mine ]"
rm -rf $tmp/.covcast-tmp-2147483646-mine

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
