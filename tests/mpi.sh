#!/bin/sh
# mpi.sh — a run spread over 2 MPI ranks gives the same bytes as one
# process: communes split between ranks, parent sums added up, statistics
# gathered on rank 0.
bin=${COVCAST:-build-mpi/covcast}
tmp=tests/tmp/mpi
rm -rf "$tmp"; mkdir -p "$tmp"
pass=0; fail=0
run() { mpirun --allow-run-as-root --oversubscribe -np "$1" "$bin" run "$2" -q -t 1 -o "$3" $4; }
for case in "scenarios/nam-truc-2018.ini|-r 300" "scenarios/luc-ngan-2021.ini|-r 200 --keep-replicates" \
            "scenarios/an-giang-2017.ini|-r 100 --precision 0.08"; do
  scen=${case%%|*}; flags=${case#*|}; name=$(basename "$scen" .ini)
  run 1 "$scen" "$tmp/$name-1" "$flags" && run 2 "$scen" "$tmp/$name-2" "$flags" && run 3 "$scen" "$tmp/$name-3" "$flags" \
    || { fail=$((fail + 1)); echo "FAILED mpi: $name did not run"; continue; }
  for f in trajectories.csv targets.csv first_reached.csv exceedance.csv replicates.csv; do
    [ -f "$tmp/$name-1/$f" ] || continue
    for k in 2 3; do
      if cmp -s "$tmp/$name-1/$f" "$tmp/$name-$k/$f"; then pass=$((pass + 1)); else
        fail=$((fail + 1)); echo "FAILED mpi: $name $f differs with $k ranks"; fi
    done
  done
done
echo "mpi: $pass passed, $fail failed"
[ $fail = 0 ]
