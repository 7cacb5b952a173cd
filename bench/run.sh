#!/bin/sh
# run.sh — `make bench`: the synthetic province (200 communes x 6 groups x
# 36 months x 10,000 replicates, no uncertainty) through the whole engine at
# 1 and 2 threads, against the bare samplers (the engine's own draws: same
# keyed streams, same order, nothing else) and, when NumPy is present, the
# vectorised NumPy reference. Prints a table; timings are wall clock, so run
# it on a quiet machine and compare ratios from one run.
# Smaller: BENCH_REPLICATES=1000 make bench. Skip NumPy: BENCH_NUMPY=0.
# Then bench/scaling.sh: efficiency and peak memory at 200, 2,000 and 10,000
# replicates, without and with parameter uncertainty.
set -eu
C=200; G=6; H=36; R=${BENCH_REPLICATES:-10000}
dir=build/bench/data
./build/bench/province gen "$dir" $C $G $H $R
draws=$((C * G * H * R * 2))
now() { date +%s.%N; }
run_engine() {
  t0=$(now); ./covcast run "$dir/scenario.ini" --quiet --threads "$1" --out "$dir/out-$1"; t1=$(now)
  awk "BEGIN { printf \"%.3f\", $t1 - $t0 }"
}
echo "covcast bench: $C communes x $G groups x $H months x $R replicates = $draws binomial draws"
echo "machine: $(nproc) cores, $(uname -m), $(date -u +%Y-%m-%d)"
s_cov=$(./build/bench/province sampler $C $G $H $R | sed 's/.*seconds=\([0-9.]*\).*/\1/')
s_gsl=$(./build/bench/province gsl $C $G $H $R | sed 's/.*seconds=\([0-9.]*\).*/\1/')
e1=$(run_engine 1)
e2=$(run_engine 2)
cmp -s "$dir/out-1/targets.csv" "$dir/out-2/targets.csv" || echo "WARNING: 1 and 2 threads differ"
# --precision in two rounds, R/2 then R replicates (the bench's target is
# never reached, so the second round stops at the cap): the second round
# adds R/2 replicates to the first round's, so it should cost what the plain
# run of R costs (from scratch it would cost 1.5 times that), and give its bytes.
t0=$(now)
./covcast run "$dir/scenario.ini" --quiet --threads 2 --replicates $((R / 2)) --precision 0.0001 \
  --max-replicates "$R" --out "$dir/out-precision"
t1=$(now)
ep=$(awk "BEGIN { printf \"%.3f\", $t1 - $t0 }")
for f in trajectories.csv targets.csv first_reached.csv; do
  cmp -s "$dir/out-2/$f" "$dir/out-precision/$f" || echo "WARNING: --precision and a plain run of $R differ in $f"
done
# The bare sampler must make the engine's own draws: at 100 replicates its
# checksum (the province's insured in the last month, summed over
# replicates) equals the engine's insured_mean x 100.
./covcast run "$dir/scenario.ini" --quiet --replicates 100 --out "$dir/out-check"
want=$(awk -F, '$1 == "province" { v = $5 } END { printf "%.0f", v * 100 }' "$dir/out-check/trajectories.csv")
got=$(./build/bench/province sampler $C $G $H 100 | sed 's/.*checksum=\([0-9]*\).*/\1/')
if [ "$want" = "$got" ]; then echo "bare sampler makes the engine's draws: yes (checksum $got)"
else echo "WARNING: the bare sampler's draws differ from the engine's (checksum $got, engine $want)"; fi
ns() { awk "BEGIN { printf \"%.2f\", $1 * 1e9 * $2 / $draws }"; }
calc() { awk "BEGIN { printf \"%.2f\", $1 }"; }
printf '%-34s %10s %8s %16s\n' "what" "wall (s)" "threads" "ns/draw per core"
printf '%-34s %10.2f %8d %16.2f\n' "bare sampler: gsl_ran_binomial" "$s_gsl" 1 "$(ns "$s_gsl" 1)"
printf '%-34s %10.2f %8d %16.2f\n' "bare sampler: covcast (BTRS+inv.)" "$s_cov" 1 "$(ns "$s_cov" 1)"
printf '%-34s %10.2f %8d %16.2f\n' "covcast run" "$e1" 1 "$(ns "$e1" 1)"
printf '%-34s %10.2f %8d %16.2f\n' "covcast run" "$e2" 2 "$(ns "$e2" 2)"
printf '%-34s %10.2f %8d %16.2f\n' "covcast run --precision (R/2, R)" "$ep" 2 "$(ns "$ep" 2)"
if [ "${BENCH_NUMPY:-1}" != 0 ] && /usr/bin/python3 -c 'import numpy' 2>/dev/null; then
  np=$(/usr/bin/python3 bench/numpy_reference.py --replicates "$R" 2>/dev/null | sed 's/.*seconds=\([0-9.]*\).*/\1/')
  printf '%-34s %10.2f %8d %16.2f\n' "NumPy reference (vectorised)" "$np" 1 "$(ns "$np" 1)"
  echo "speed-up per core against NumPy: $(calc "$np / $e1")x"
fi
echo "engine overhead over its bare sampler (1 thread): $(calc "$e1 / $s_cov")x"
# Rates per unit ([units] rates = FILE, level commune: every commune its own
# rates and errors, a factor pair drawn per replicate, commune and group)
# against the plain model: best of 3 interleaved runs at R/5 replicates, 1
# thread. The per-draw cost must not rise by more than 10%.
RU=$((R / 5)); bp=1e9; bu=1e9
for i in 1 2 3; do
  t0=$(now); ./covcast run "$dir/scenario.ini" --quiet --threads 1 --replicates $RU --out "$dir/out-plain"; t1=$(now)
  ./covcast run "$dir/scenario-units.ini" --quiet --threads 1 --replicates $RU --out "$dir/out-units"; t2=$(now)
  bp=$(awk "BEGIN { w = $t1 - $t0; print (w < $bp) ? w : $bp }")
  bu=$(awk "BEGIN { w = $t2 - $t1; print (w < $bu) ? w : $bu }")
done
du=$((C * G * H * RU * 2))
echo "rates per unit (200 communes' own rates, $RU replicates, 1 thread, best of 3): $(awk "BEGIN { printf \"%.2f\", $bu * 1e9 / $du }") ns/draw against $(awk "BEGIN { printf \"%.2f\", $bp * 1e9 / $du }") without: $(calc "100 * ($bu / $bp - 1)")% ($(awk "BEGIN { print ($bu <= 1.10 * $bp) ? \"within\" : \"MORE THAN\" }") the 10% allowed)"
echo "parallel efficiency at 2 threads: $(calc "100 * $e1 / (2 * $e2)")%"
echo "--precision run against a plain run of its final count (2 threads): $(calc "$ep / $e2")x"
