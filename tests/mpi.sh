#!/bin/sh
# mpi.sh — commands spread over 2 and 3 MPI ranks give the same bytes as one
# process: communes split between ranks, parent sums added up, statistics
# shared with every rank (so solve's and allocate's decisions agree), rank 0
# writes. Then a command that is not spread is refused under mpirun.
bin=${COVCAST:-build-mpi/covcast}
tmp=${TESTS_TMP:-tests/tmp}/mpi
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
mpi() { k=$1; shift; mpirun --allow-run-as-root --oversubscribe -np "$k" "$bin" "$@"; }
# name | command and arguments (the output folder is added) | files to compare
check() {
  name=$1; args=$2; files=$3
  case " $args " in *" -t "*) ;; *) args="$args -t 1" ;; esac   # one thread unless the case says
  for k in 1 2 3; do
    # shellcheck disable=SC2086
    mpi $k $args -q -o "$tmp/$name-$k" > "$tmp/$name-$k.log" 2>&1 \
      || { fail=$((fail + 1)); echo "FAILED mpi: $name did not run on $k ranks"; sed 's/^/  /' "$tmp/$name-$k.log"; return; }
  done
  for f in $files; do
    [ -f "$tmp/$name-1/$f" ] || { fail=$((fail + 1)); echo "FAILED mpi: $name wrote no $f"; continue; }
    for k in 2 3; do
      if cmp -s "$tmp/$name-1/$f" "$tmp/$name-$k/$f"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAILED mpi: $name $f differs with $k ranks"; fi
    done
  done
}
runfiles="trajectories.csv targets.csv first_reached.csv exceedance.csv"
check nam-truc "run scenarios/nam-truc-2018.ini -r 300" "$runfiles"
check luc-ngan "run scenarios/luc-ngan-2021.ini -r 200 --keep-replicates" "$runfiles replicates.csv"
check threads "run scenarios/luc-ngan-2021.ini -r 70 -t 2" "$runfiles"
check an-giang "run scenarios/an-giang-2017.ini -r 100 --precision 0.08" "$runfiles"
# --precision keeps each round's replicates (100, then 1000) on every rank:
# 3 ranks give the bytes of a plain run of the final count
check an-giang-plain "run scenarios/an-giang-2017.ini -r 1000" "$runfiles"
for f in $runfiles; do
  if cmp -s "$tmp/an-giang-3/$f" "$tmp/an-giang-plain-1/$f"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAILED mpi: --precision on 3 ranks and a plain run of its final count differ in $f"; fi
done
check compare "compare scenarios/nam-truc-2018.ini tests/cases/plot-variant.ini -r 200" \
  "compare.csv scenarios.csv scenarios/01-nam-truc-2018/targets.csv scenarios/02-plot-variant/trajectories.csv"
check sweep "sweep scenarios/nam-truc-2018.ini --set campaign.peak.enroll_multiplier=1..3:1 -r 100" "sweep.csv"
check solve "solve scenarios/nam-truc-2018.ini --target year-end --lever campaign.peak.enroll_multiplier --probability 0.5 --range 1..30 -r 100" "solve.csv"
check allocate "allocate scenarios/nam-truc-2018.ini --target ntm-communes --campaign peak --budget 2 -r 100" "allocation.csv"
# every rank but 0 leaves the disk alone: one folder, no temporary ones beside it
if [ "$(ls -a "$tmp" | grep -c covcast-tmp)" = 0 ]; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAILED mpi: temporary folders left in $tmp"; fi
if mpi 2 gap scenarios/data/nam-truc-2018.csv --threshold 85.2 --level district > "$tmp/gap.log" 2>&1; then
  fail=$((fail + 1)); echo "FAILED mpi: gap ran under mpirun"
elif grep -q "not spread over MPI ranks" "$tmp/gap.log"; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAILED mpi: gap under mpirun without the explanation"; sed 's/^/  /' "$tmp/gap.log"; fi
echo "mpi: $pass passed, $fail failed"
[ $fail = 0 ]
