# snapshot.awk — the national snapshot at a cut-off month, for `covcast run`.
#
#   awk -F, -v N=POPULATION -v I=INSURED -f validation/snapshot.awk CENSUS.csv
#
# CENSUS.csv is scenarios/data/vietnam-census-2019.csv (commune_code,commune,
# district,province,group,population,insured). Its cells are added up by
# province and group (63 x 6 rows); the people of each cell are scaled so
# that the country has N people (whole people, rounded; the last cell takes
# the rounding so the total is exact); each cell's coverage is moved by one
# common amount on the logit scale so that the country has I insured (the
# rule `covcast calibrate --population` uses for a history of totals). The
# group mix and the provinces' coverage pattern are therefore the census
# file's, which are ASSUMED there (scenarios/data/README.md); only the two
# national totals come from the published series.
# Output: commune,group,population,insured (a "commune" is a province here).
NR == 1 {
    for (j = 1; j <= NF; j++) col[$j] = j
    if (!("province" in col) || !("group" in col) || !("population" in col) || !("insured" in col)) {
        print "snapshot.awk: the census file needs province, group, population, insured" > "/dev/stderr"; exit 2
    }
    next
}
{
    k = $col["province"] SUBSEP $col["group"]
    if (!(k in pop)) { order[++n] = k }
    pop[k] += $col["population"]; ins[k] += $col["insured"]; total += $col["population"]
}
function logit(p) { return log(p / (1 - p)) }
function expit(x) { return 1 / (1 + exp(-x)) }
function insured_at(shift,   s, i, c) {
    s = 0
    for (i = 1; i <= n; i++) {
        c = ins[order[i]] / pop[order[i]]
        if (c <= 0) c = 1e-9; if (c >= 1) c = 1 - 1e-9
        s += np[i] * expit(logit(c) + shift)
    }
    return s
}
END {
    if (n == 0 || total <= 0 || N <= 0 || I < 0 || I > N) { print "snapshot.awk: bad totals" > "/dev/stderr"; exit 2 }
    given = 0
    for (i = 1; i <= n; i++) {
        np[i] = (i < n) ? int(pop[order[i]] * N / total + 0.5) : N - given
        given += np[i]
    }
    lo = -20; hi = 20
    for (it = 0; it < 200; it++) { mid = (lo + hi) / 2; if (insured_at(mid) < I) lo = mid; else hi = mid }
    shift = (lo + hi) / 2
    given = 0
    print "commune,group,population,insured"
    for (i = 1; i <= n; i++) {
        c = ins[order[i]] / pop[order[i]]
        if (c <= 0) c = 1e-9; if (c >= 1) c = 1 - 1e-9
        ni = (i < n) ? int(np[i] * expit(logit(c) + shift) + 0.5) : I - given
        if (ni > np[i]) ni = np[i]; if (ni < 0) ni = 0
        given += ni
        split(order[i], p, SUBSEP)
        printf "%s,%s,%d,%d\n", p[1], p[2], np[i], ni
    }
}
