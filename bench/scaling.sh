#!/bin/sh
# scaling.sh — `make bench`, second part: parallel efficiency and peak
# memory at the replicate counts people use. The bench province (200
# communes x 6 groups x 36 months) without and with parameter uncertainty
# (group rates' enroll_sd 0.25, lapse_sd 0.20; communes' enroll_sd 0.15,
# lapse_sd 0.10) at 200 and 2,000 replicates (the shipped scenarios' count),
# the best wall of 3 runs interleaved 1 thread, 2 threads, and at 10,000
# replicates (one run each). Efficiency = wall(1) / (2 x wall(2)); peak
# memory is the largest resident set of the runs (GNU time); CPU 2/1, the
# least CPU time (user + system) at 2 threads over the least at 1, is the
# work that a second thread adds (spinning, page faults, caches shared),
# a figure that other processes on the machine disturb less than walls.
# Skip the 10,000-replicate rows: BENCH_SCALING_LARGE=0.
set -eu
C=200; G=6; H=36
dir=build/bench/scaling
./build/bench/province gen "$dir" $C $G $H 2000
now() { date +%s.%N; }
have_time=no
[ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null && have_time=yes
# one SCENARIO THREADS R: prints "wall peak_kB cpu_s" of one run
one() {
  t0=$(now)
  if [ $have_time = yes ]; then
    /usr/bin/time -f '%M %U %S' -o "$dir/peak" ./covcast run "$dir/$1.ini" --quiet --threads "$2" --replicates "$3" --out "$dir/out-$1-$2"
  else
    ./covcast run "$dir/$1.ini" --quiet --threads "$2" --replicates "$3" --out "$dir/out-$1-$2"
    echo 0 0 0 > "$dir/peak"
  fi
  t1=$(now)
  echo "$(awk "BEGIN { printf \"%.4f\", $t1 - $t0 }") $(tail -n 1 "$dir/peak" | awk '{ print $1, $2 + $3 }')"
}
# row SCENARIO R ROUNDS: the best walls at 1 and 2 threads, the efficiency,
# the least CPU times' ratio, the peak memory
row() {
  b1=""; b2=""; c1=""; c2=""; m=0
  for i in $(seq "$3"); do
    set -- "$1" "$2" "$3" $(one "$1" 1 "$2") $(one "$1" 2 "$2")
    b1=$(awk "BEGIN { print ($i == 1 || $4 < ${b1:-0}) ? $4 : ${b1:-0} }")
    b2=$(awk "BEGIN { print ($i == 1 || $7 < ${b2:-0}) ? $7 : ${b2:-0} }")
    c1=$(awk "BEGIN { print ($i == 1 || $6 < ${c1:-0}) ? $6 : ${c1:-0} }")
    c2=$(awk "BEGIN { print ($i == 1 || $9 < ${c2:-0}) ? $9 : ${c2:-0} }")
    m=$(awk "BEGIN { m = $m; if ($5 > m) m = $5; if ($8 > m) m = $8; print m }")
    cmp -s "$dir/out-$1-1/targets.csv" "$dir/out-$1-2/targets.csv" || echo "WARNING: $1 at $2 replicates: 1 and 2 threads differ"
  done
  spread=no; [ "$1" = scenario-spread ] && spread=yes
  printf '%10d %7s %10.3f %10.3f %11.1f%% %8.2f %10.1f\n' "$2" "$spread" "$b1" "$b2" \
    "$(awk "BEGIN { print 100 * $b1 / (2 * $b2) }")" "$(awk "BEGIN { print ($c1 > 0) ? $c2 / $c1 : 0 }")" \
    "$(awk "BEGIN { print $m / 1024 }")"
}
echo "parallel efficiency at 2 threads and peak memory ($C communes x $G groups x $H months; best of 3 at 200 and 2,000)"
[ $have_time = yes ] || echo "(no GNU time at /usr/bin/time: peak memory not measured)"
printf '%10s %7s %10s %10s %12s %8s %10s\n' "replicates" "spread" "wall 1 (s)" "wall 2 (s)" "efficiency" "CPU 2/1" "peak (MB)"
for R in 200 2000; do
  for sc in scenario scenario-spread; do row "$sc" "$R" 3; done
done
if [ "${BENCH_SCALING_LARGE:-1}" != 0 ]; then
  for sc in scenario scenario-spread; do row "$sc" 10000 1; done
fi
