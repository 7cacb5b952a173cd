#!/bin/sh
# scaling.sh — `make bench`, second part: parallel efficiency and peak
# memory at the replicate counts people use. The bench province (200
# communes x 6 groups x 36 months) without and with parameter uncertainty
# (group rates' enroll_sd 0.25, lapse_sd 0.20; communes' enroll_sd 0.15,
# lapse_sd 0.10) at 200 replicates (7 rounds), 2,000 (the shipped
# scenarios' count; 3 rounds) and 10,000 (1 round). A round runs, one after
# the other: the run on 1 thread, the run on 2 threads, and two 1-thread
# runs at once.
#   efficiency   wall(1) / (2 x wall(2)): of the best walls, and the median
#                of the rounds' own ratios
#   machine      wall(1) / wall(two 1-thread runs at once), best walls: what
#                the machine gives two independent processes at that moment
#                (1.00 on an idle machine with two free cores). A shared or
#                virtual machine gives less, and no program that runs on
#                two threads can do better than that.
#   CPU 2/1      the least CPU time (user + system) at 2 threads over the
#                least at 1: the work that a second thread adds (waiting,
#                page faults, caches shared)
#   peak         the largest resident set of the runs (GNU time)
# Skip the 10,000-replicate rows: BENCH_SCALING_LARGE=0.
set -eu
C=200; G=6; H=36
dir=build/bench/scaling
./build/bench/province gen "$dir" $C $G $H 2000
now() { date +%s.%N; }
have_time=no
[ -x /usr/bin/time ] && /usr/bin/time -f %M -o /dev/null true 2>/dev/null && have_time=yes
# run SCENARIO THREADS R OUT: one run, its "peak_kB cpu_s" into OUT.peak
run() {
  if [ $have_time = yes ]; then
    /usr/bin/time -f '%M %U %S' -o "$4.peak" ./covcast run "$dir/$1.ini" --quiet --threads "$2" --replicates "$3" --out "$4"
  else
    ./covcast run "$dir/$1.ini" --quiet --threads "$2" --replicates "$3" --out "$4"
    echo 0 0 0 > "$4.peak"
  fi
}
# resources OUT: "peak_kB cpu_s" of the run that wrote OUT
resources() { tail -n 1 "$1.peak" | awk '{ print $1, $2 + $3 }'; }
# one SCENARIO R: one round; prints "wall1 wall2 wall_pair peak1 cpu1 peak2 cpu2"
one() {
  o=$dir/out-$1
  t0=$(now); run "$1" 1 "$2" "$o-1"; t1=$(now); run "$1" 2 "$2" "$o-2"; t2=$(now)
  run "$1" 1 "$2" "$o-a" & pa=$!
  run "$1" 1 "$2" "$o-b" & pb=$!
  wait $pa; wait $pb; t3=$(now)
  cmp -s "$o-1/targets.csv" "$o-2/targets.csv" || echo "WARNING: $1 at $2 replicates: 1 and 2 threads differ" >&2
  echo "$(awk "BEGIN { printf \"%.4f %.4f %.4f\", $t1 - $t0, $t2 - $t1, $t3 - $t2 }") $(resources "$o-1") $(resources "$o-2")"
}
# row SCENARIO R ROUNDS: one line of the table
row() {
  for i in $(seq "$3"); do one "$1" "$2"; done > "$dir/rounds"
  spread=no; [ "$1" = scenario-spread ] && spread=yes
  awk -v r="$2" -v spread=$spread '
    { w1[NR] = $1; w2[NR] = $2; wp[NR] = $3; e[NR] = $1 / (2 * $2)
      if (NR == 1 || $1 < b1) b1 = $1; if (NR == 1 || $2 < b2) b2 = $2; if (NR == 1 || $3 < bp) bp = $3
      if (NR == 1 || $5 < c1) c1 = $5; if (NR == 1 || $7 < c2) c2 = $7
      if ($4 > m) m = $4; if ($6 > m) m = $6 }
    END {
      for (i = 1; i <= NR; i++) for (j = i + 1; j <= NR; j++) if (e[j] < e[i]) { t = e[i]; e[i] = e[j]; e[j] = t }
      med = NR % 2 ? e[(NR + 1) / 2] : (e[NR / 2] + e[NR / 2 + 1]) / 2
      printf "%10d %7s %10.3f %10.3f %9.1f%% %9.1f%% %9.1f%% %8.2f %10.1f\n", r, spread, b1, b2,
             100 * b1 / (2 * b2), 100 * med, 100 * b1 / bp, (c1 > 0 ? c2 / c1 : 0), m / 1024 }' "$dir/rounds"
}
echo "parallel efficiency at 2 threads and peak memory ($C communes x $G groups x $H months; best of 7 rounds at 200, of 3 at 2,000)"
[ $have_time = yes ] || echo "(no GNU time at /usr/bin/time: peak memory and CPU not measured)"
printf '%10s %7s %10s %10s %10s %10s %10s %8s %10s\n' "replicates" "spread" "wall 1 (s)" "wall 2 (s)" \
  "eff. best" "eff. med." "machine" "CPU 2/1" "peak (MB)"
for sc in scenario scenario-spread; do row "$sc" 200 7; done
for sc in scenario scenario-spread; do row "$sc" 2000 3; done
if [ "${BENCH_SCALING_LARGE:-1}" != 0 ]; then
  for sc in scenario scenario-spread; do row "$sc" 10000 1; done
fi
