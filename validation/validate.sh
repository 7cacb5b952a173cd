#!/bin/sh
# validate.sh — covcast's forecasts of the national BHYT targets against what
# happened (docs/VALIDATION.md). For each target year of Decisions 1167/QĐ-TTg
# and 546/QĐ-TTg it makes the forecasts a planner could have made at the time:
#
#   year-ahead  data up to the end of the year before (the last published
#               point by then; the 2019 forecast starts from June 2018, the
#               series having no end-2018 figure);
#   mid-year    data up to June of the target year, when that adds a point.
#
# and for each forecast:
#   calibrated  `covcast calibrate` on the national history up to the cut-off
#               (totals only, --population: one factor on the base model's
#               enrollment hazards, one on its lapse hazards; from 5 steps on
#               the shock, a random walk on the log hazards, with the rates
#               filtered to the cut-off and shock_sd in the model), then
#               `covcast run` of the country from the cut-off with that model;
#   base        the same run with models/bhyt.ini as shipped (no fitting);
#   naive       last year's change continues: the change per year since the
#               last point at least 12 months before the cut-off, carried over
#               the months to the deadline, with a normal spread equal to the
#               standard deviation of the changes per year along the chain of
#               such steps back to 2010 (each step 12 months or more), scaled
#               the same way.
# It writes, under $OUT (default results/validation):
#   forecasts.csv  one row per year, kind and method: P(target met), the
#                  quantiles 10/25/50/75/90% at the deadline, the outcome, and
#                  whether it lies inside the 50% and 80% intervals;
#   summary.csv    per kind and method: the share of outcomes inside the 50%
#                  and 80% intervals, and the Brier score of P(target met);
#   summary.txt    the same, as tables;
#   national-2023.ini  the calibration on the whole series (models/bhyt-national-2023.ini
#                  is this file with a header; the script says whether they agree);
#   validation-year-ahead.svg, validation-mid-year.svg (with gnuplot; CHARTS=0 skips);
#   work/          each forecast's history, snapshot, model, scenario and run folder.
#
# Environment: COVCAST (default ./covcast), OUT, YEARS (default all target
# years with an outcome), REPLICATES (default 4000), THREADS (default 2),
# CHARTS (default 1). Needs only sh, awk, covcast and gnuplot.
set -eu
COVCAST=${COVCAST:-./covcast}
OUT=${OUT:-results/validation}
REPLICATES=${REPLICATES:-4000}
THREADS=${THREADS:-2}
CHARTS=${CHARTS:-1}
HISTORY=scenarios/data/vietnam-national-history.csv
TARGETS=scenarios/data/vietnam-national-targets.csv
CENSUS=scenarios/data/vietnam-census-2019.csv
BASE=models/bhyt.ini
NATIONAL=models/bhyt-national-2023.ini
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)

case $COVCAST in /*) ;; *) COVCAST=$(pwd)/$COVCAST ;; esac
[ -x "$COVCAST" ] || { echo "validate: $COVCAST is not an executable covcast (set COVCAST)" >&2; exit 2; }
for f in $HISTORY $TARGETS $CENSUS $BASE $NATIONAL; do
  [ -f "$root/$f" ] || { echo "validate: $root/$f is missing" >&2; exit 2; }
done
case $OUT in
  "" | scenarios | scenarios/* | docs | docs/* | models | models/*)
    echo "validate: OUT=$OUT: write the results elsewhere (default results/validation)" >&2; exit 2 ;;
esac
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
rm -rf "$OUT/work" && mkdir -p "$OUT/work"
cd "$root"
export LC_ALL=C

years=${YEARS:-$(awk -F, 'NR > 1 && $5 != "" { printf "%s ", $1 }' $TARGETS)}

# month arithmetic: YYYY-MM <-> months since year 0
mi() { echo "$1" | awk -F- '{ print $1 * 12 + $2 - 1 }'; }
mm() { awk -v m="$1" 'BEGIN { printf "%04d-%02d\n", int(m / 12), m % 12 + 1 }'; }
# the last reported month of the history at or before month M
last_before() { awk -F, -v m="$1" 'NR > 1 && $2 <= m { last = $2 } END { print last }' $HISTORY; }

# the whole-series calibration, and whether the shipped national model is it
"$COVCAST" calibrate $HISTORY --model $BASE --population $CENSUS --out "$OUT/national-2023.ini" \
  > "$OUT/national-2023.txt" 2>&1
if awk 'FNR == 1 { f++ } f == 1 && /^; Calibrated by covcast/ { on = 1 } f == 1 && on { a[++n] = $0 }
        f == 2 { b[++m] = $0 } END { if (n != m) exit 1; for (i = 1; i <= n; i++) if (a[i] != b[i]) exit 1 }' \
     $NATIONAL "$OUT/national-2023.ini"; then
  echo "$NATIONAL: its rates are the calibration on the whole series (national-2023.ini)" > "$OUT/national-check.txt"
else
  echo "$NATIONAL: DIFFERS from a fresh calibration on the whole series ($OUT/national-2023.ini)" > "$OUT/national-check.txt"
fi
cat "$OUT/national-check.txt"

echo "year,kind,cutoff,months,target,outcome_month,outcome,met,method,model,p_met,q10,q25,q50,q75,q90,in50,in80" \
  > "$OUT/forecasts.csv"

# one engine forecast: run_engine DIR METHOD MODEL CUTOFF MONTHS TARGET DEADLINE SEED
run_engine() {
  d=$1; method=$2; model=$3; cut=$4; h=$5; thr=$6; dl=$7; seed=$8
  cat > "$d/$method.ini" <<EOF
; made by validation/validate.sh: the country from $cut, $h months
[run]
name = validation-$method
population = snapshot.csv
model = $model
start = $cut
months = $h
replicates = $REPLICATES
seed = $seed

[target.national]
level = all
threshold = $thr
deadline = $dl
EOF
  "$COVCAST" run "$d/$method.ini" --out "$d/run-$method" --threads "$THREADS" -q
  # P(met) from targets.csv; the quantiles from exceedance.csv (P(coverage >= x)
  # on a grid of 0.05 points), linearly between grid points
  awk -F, -v thr="$thr" '
    FNR == 1 { f++; for (j = 1; j <= NF; j++) c[f, $j] = j; next }
    f == 1 && $c[1, "level"] == "all" { p = $c[1, "probability"] }
    f == 2 && $c[2, "unit"] == "all" { n++; x[n] = $c[2, "threshold"]; e[n] = $c[2, "probability"] }
    function q(level,   i, t, want) {
      want = 1 - level                       # P(coverage >= x) at the quantile
      if (e[1] < want) return x[1]
      for (i = 2; i <= n; i++) if (e[i] <= want) {
        if (e[i - 1] == e[i]) return x[i]
        t = (e[i - 1] - want) / (e[i - 1] - e[i]); return x[i - 1] + t * (x[i] - x[i - 1])
      }
      return x[n]
    }
    END { printf "%s,%.3f,%.3f,%.3f,%.3f,%.3f", p, q(0.10), q(0.25), q(0.50), q(0.75), q(0.90) }
  ' "$d/run-$method/targets.csv" "$d/run-$method/exceedance.csv"
}

# the naive forecast: naive CUTOFF MONTHS TARGET
naive() {
  awk -F, -v cut="$1" -v h="$2" -v thr="$3" '
    function mi(s) { return substr(s, 1, 4) * 12 + substr(s, 6, 2) - 1 }
    function phi(z,   t, y, s) {               # standard normal CDF (Abramowitz-Stegun 7.1.26)
      s = z < 0 ? -1 : 1; z = (z < 0 ? -z : z) / sqrt(2)
      t = 1 / (1 + 0.3275911 * z)
      y = 1 - (((((1.061405429 * t - 1.453152027) * t) + 1.421413741) * t - 0.284496736) * t + 0.254829592) * t * exp(-z * z)
      return 0.5 * (1 + s * y)
    }
    NR > 1 && $2 <= cut { n++; m[n] = mi($2); c[n] = 100 * $4 / $3 }
    END {
      i = n; k = 0
      while (i > 1) {                          # back from the cut-off, steps of 12 months or more
        for (j = i - 1; j >= 1 && m[i] - m[j] < 12; j--) ;
        if (j < 1) break
        k++; r[k] = (c[i] - c[j]) * 12 / (m[i] - m[j]); i = j
      }
      if (k < 2) { print "NA,,,,,"; exit }
      s = 0; for (i = 1; i <= k; i++) s += r[i]; mean = s / k
      v = 0; for (i = 1; i <= k; i++) v += (r[i] - mean) ^ 2; sd = sqrt(v / (k - 1))
      mu = c[n] + r[1] * h / 12; sig = sd * h / 12
      printf "%.4f,%.3f,%.3f,%.3f,%.3f,%.3f", 1 - phi((thr - mu) / sig), \
        mu - 1.281552 * sig, mu - 0.674490 * sig, mu, mu + 0.674490 * sig, mu + 1.281552 * sig
    }' $HISTORY
}

# in50,in80 of an outcome against q10..q90 (blank when there is no outcome)
inside() {
  echo "$1" | awk -F, -v y="$2" '{ if (y == "" || $2 == "") print ","; else
    printf "%d,%d\n", (y >= $3 && y <= $5), (y >= $2 && y <= $6) }'
}

for y in $years; do
  row=$(awk -F, -v y="$y" 'NR > 1 && $1 == y' $TARGETS)
  [ -n "$row" ] || { echo "validate: no target for $y in $TARGETS" >&2; exit 2; }
  thr=$(echo "$row" | cut -d, -f2); om=$(echo "$row" | cut -d, -f4)
  oc=$(echo "$row" | cut -d, -f5); met=$(echo "$row" | cut -d, -f6)
  [ "$met" = yes ] && met=1 || met=0
  # the outcome is compared with the intervals only when it is the year-end figure
  yo=$oc; [ "$om" = "$y-12" ] || yo=""
  ya=$(last_before "$((y - 1))-12"); my=$(last_before "$y-06")
  kinds="year-ahead:$ya"; [ "$my" != "$ya" ] && kinds="$kinds mid-year:$my"
  for kc in $kinds; do
    kind=${kc%%:*}; cut=${kc#*:}
    h=$(( $(mi "$y-12") - $(mi "$cut") ))
    d="$OUT/work/$y-$kind"; mkdir -p "$d"
    awk -F, -v m="$cut" 'NR == 1 || $2 <= m' $HISTORY > "$d/history.csv"
    set -- $(awk -F, -v m="$cut" 'NR > 1 && $2 == m { print $3, $4 }' $HISTORY)
    awk -F, -v N="$1" -v I="$2" -f validation/snapshot.awk $CENSUS > "$d/snapshot.csv"
    seed=$((y * 10 + ${#kind}))
    # calibrated: on the history up to the cut-off; exit 3 (nothing identifiable) keeps the base model
    rc=0
    "$COVCAST" calibrate "$d/history.csv" --model $BASE --population $CENSUS --out "$d/fitted.ini" \
      > "$d/calibrate.txt" 2>&1 || rc=$?
    if [ $rc = 0 ]; then
      fit=$(awk '$1 == "all" { f = "enroll x" $2 " " $3 "; lapse " ($4 == "kept" ? "kept from the base model" : "x" $4 " " $5) }
                 /^Shock \(random walk/ { s = "; shock " $8 " a year " substr($12, 1, length($12) - 1) }
                 /^Shock not estimated/ { s = "; shock not estimated" }
                 END { print f s }' "$d/calibrate.txt")
      cmodel=fitted.ini
    elif [ $rc = 3 ]; then
      fit="nothing identifiable (exit 3): base model"; cmodel=$root/$BASE
    else
      cat "$d/calibrate.txt" >&2; echo "validate: covcast calibrate failed (exit $rc) for $y $kind" >&2; exit 1
    fi
    r=$(run_engine "$d" calibrated "$cmodel" "$cut" "$h" "$thr" "$y-12" "$seed")
    echo "$y,$kind,$cut,$h,$thr,$om,$oc,$met,calibrated,$(echo "$fit" | tr , ' '),$r,$(inside "$r" "$yo")" >> "$OUT/forecasts.csv"
    r=$(run_engine "$d" base "$root/$BASE" "$cut" "$h" "$thr" "$y-12" "$seed")
    echo "$y,$kind,$cut,$h,$thr,$om,$oc,$met,base,models/bhyt.ini as shipped,$r,$(inside "$r" "$yo")" >> "$OUT/forecasts.csv"
    r=$(naive "$cut" "$h" "$thr")
    echo "$y,$kind,$cut,$h,$thr,$om,$oc,$met,naive,last change per year continues,$r,$(inside "$r" "$yo")" >> "$OUT/forecasts.csv"
    echo "$y $kind from $cut ($h months): done" >&2
  done
done

# scores per kind and method
awk -F, 'NR > 1 && $11 != "NA" {
    k = $2 SUBSEP $9; if (!(k in nb)) order[++n] = k
    nb[k]++; b[k] += ($11 - $8) ^ 2
    if ($17 != "") { ni[k]++; i50[k] += $17; i80[k] += $18; e[k] += $14 - $7; a[k] += ($14 > $7) ? $14 - $7 : $7 - $14
                     ny[k]++; by[k] += ($11 - $8) ^ 2 }
  }
  function f(x, n, fmt) { return n ? sprintf(fmt, x / n) : "" }
  END {
    print "kind,method,outcomes,inside_50,inside_80,median_minus_outcome,abs_error,targets,brier,targets_year_end,brier_year_end"
    for (i = 1; i <= n; i++) { k = order[i]; split(k, p, SUBSEP)
      printf "%s,%s,%d,%s,%s,%s,%s,%d,%.4f,%d,%s\n", p[1], p[2], ni[k] + 0, f(i50[k], ni[k], "%.2f"), f(i80[k], ni[k], "%.2f"),
        f(e[k], ni[k], "%.2f"), f(a[k], ni[k], "%.2f"), nb[k], b[k] / nb[k], ny[k] + 0, f(by[k], ny[k], "%.4f") }
  }' "$OUT/forecasts.csv" > "$OUT/summary.csv"

{
  echo "Forecasts of the national targets (coverage %, at the end of the target year)"
  echo
  awk -F, 'NR == 1 { next } { printf "%-5s %-10s %-8s %3s %6s %6s %-9s %4s %-10s P=%-6s 80%%: %6s-%-6s 50%%: %6s-%-6s median %6s  in50 %-2s in80 %-2s\n",
      $1, $2, $3, $4, $5, $7, ($8 ? "met" : "missed"), "", $9, $11, $12, $16, $13, $15, $14, $17, $18 }' "$OUT/forecasts.csv"
  echo
  echo "Scores. outcomes: year-end figures, compared with the intervals and the median;"
  echo "brier: every target with a verdict (2018's rests on the June figure); brier_year_end: without it"
  echo
  awk -F, '{ printf "%-10s %-10s %8s %9s %9s %20s %9s %7s %7s %16s %14s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11 }' "$OUT/summary.csv"
  echo
  echo "Calibrations (factor on the base model's hazards, 95% interval):"
  awk -F, 'NR > 1 && $9 == "calibrated" { printf "  %s %-10s from %s: %s\n", $1, $2, $3, $10 }' "$OUT/forecasts.csv"
} > "$OUT/summary.txt"
cat "$OUT/summary.txt"

# the charts: numbers only in the data files; every text is in the template
if [ "$CHARTS" = 1 ]; then
  for kind in year-ahead mid-year; do
    for m in calibrated base naive obs; do : > "$OUT/chart-$kind-$m.dat"; done
    awk -F, -v kind="$kind" -v out="$OUT" '
      NR > 1 && $2 == kind {
        off = ($9 == "calibrated") ? -0.22 : ($9 == "base") ? 0 : 0.22
        f = out "/chart-" kind "-" $9 ".dat"
        if ($11 != "NA") printf "%s,%s,%s,%s,%s,%s,%s\n", $1 + off, $14, $12, $16, $13, $15, $11 > f
        # year, target, year-end outcome, other outcome (the 2018 mid-year figure)
        if ($9 == "naive") printf "%s,%s,%s,%s\n", $1, $5, ($6 == $1 "-12") ? $7 : "NaN", ($6 == $1 "-12") ? "NaN" : $7 > (out "/chart-" kind "-obs.dat")
      }' "$OUT/forecasts.csv"
    cp plots/common.gp "$OUT/common.gp"
    (cd "$OUT" && gnuplot -c "$root/plots/validation.gp" "$kind" > "validation-$kind.log" 2>&1) \
      || { cat "$OUT/validation-$kind.log" >&2; echo "validate: gnuplot failed" >&2; exit 1; }
  done
  echo "charts: $OUT/validation-year-ahead.svg $OUT/validation-mid-year.svg" >&2
fi
