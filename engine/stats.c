/* stats.c — statistics over replicates (quantiles R type 7 through GSL,
 * Wilson intervals, target measures). Pure functions of the series arrays;
 * sums run in replicate order so results never depend on threads. */
#include "stats.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static double coverage(int64_t I, int64_t N)
{
    return N > 0 ? 100.0 * (double)I / (double)N : 0.0;
}

/* Rearranges x[lo..hi] so x[k] is the value a full sort would put there,
 * with nothing larger before it and nothing smaller after it. */
static void select_k(double *x, long lo, long hi, long k)
{
    while (hi > lo) {
        long mid = lo + (hi - lo) / 2;   /* median of three as the pivot */
        double a = x[lo], b = x[mid], c = x[hi];
        double pivot = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        long i = lo, j = hi;
        while (i <= j) {
            while (x[i] < pivot) i++;
            while (x[j] > pivot) j--;
            if (i <= j) { double t = x[i]; x[i] = x[j]; x[j] = t; i++; j--; }
        }
        if (k <= j) hi = j;
        else if (k >= i) lo = i;
        else return;
    }
}

void cov_quantiles(double *x, long n, const double *probs, int np, double *out)
{
    long from = 0;
    for (int i = 0; i < np; i++) {
        double h = (double)(n - 1) * probs[i];
        long k = (long)floor(h);
        if (k < from) k = from;   /* probs ascending: x[0..from) already at or below */
        select_k(x, from, n - 1, k);
        double lo = x[k], hi = lo;
        if (k + 1 < n) {
            hi = x[k + 1];
            for (long j = k + 2; j < n; j++) if (x[j] < hi) hi = x[j];
        }
        out[i] = lo + (h - (double)k) * (hi - lo);   /* R type 7 */
        from = k;
    }
}

/* cov_quantiles of the coverages 100 I[r] / N when N is the same in every
 * replicate and the I span fewer than 2R values: coverage never decreases
 * with I, so its order statistics are the coverages of I's, and I's are
 * found by counting into scratch (8R bytes) instead of selecting. The same
 * numbers as cov_quantiles, without its unpredictable branches. */
static void quantiles_by_count(const int64_t *I, int64_t N, int64_t lo, int64_t hi, long R,
                               const double *probs, int np, void *scratch, double *out)
{
    uint32_t *count = scratch;
    long span = (long)(hi - lo + 1);
    memset(count, 0, (size_t)span * sizeof *count);
    for (long r = 0; r < R; r++) count[I[r] - lo]++;
    long v = 0, below = count[0];   /* below: how many I are <= lo + v */
    for (int i = 0; i < np; i++) {
        double h = (double)(R - 1) * probs[i];
        long k = (long)floor(h);
        while (below <= k) below += count[++v];          /* the k-th smallest is lo + v */
        int64_t at_k = lo + v, at_k1 = at_k;
        if (k + 1 < R) {
            long w = v, b = below;
            while (b <= k + 1) b += count[++w];
            at_k1 = lo + w;
        }
        double a = coverage(at_k, N), b = coverage(at_k1, N);
        out[i] = a + (h - (double)k) * (b - a);   /* R type 7, as cov_quantiles */
    }
}

void cov_stats_months(const cov_series *u, cov_month_stats *ms, double *x)
{
    static const double qs[5] = { 0.05, 0.25, 0.50, 0.75, 0.95 };
    long R = u->replicates;
    for (int m = 0; m <= u->months; m++) {
        const int64_t *I = u->I + cov_series_at(u, m, 0), *N = u->N + cov_series_at(u, m, 0);
        __int128 sumI = 0, sumN = 0;   /* up to 1e8 replicates of 64 groups of 2e9 people */
        double sumc = 0;
        bool fixed = true;
        int64_t lo = I[0], hi = I[0];
        for (long r = 0; r < R; r++) {
            sumI += I[r];
            sumN += N[r];
            fixed = fixed && N[r] == N[0];
            lo = I[r] < lo ? I[r] : lo;
            hi = I[r] > hi ? I[r] : hi;
            x[r] = coverage(I[r], N[r]);
            sumc += x[r];
        }
        cov_month_stats *o = &ms[m];
        if (fixed && N[0] > 0 && hi - lo < 2 * (int64_t)R)
            quantiles_by_count(I, N[0], lo, hi, R, qs, 5, x, o->q);   /* x becomes its counts */
        else
            cov_quantiles(x, R, qs, 5, o->q);
        o->pop_mean = (double)sumN / (double)R;
        o->ins_mean = (double)sumI / (double)R;
        o->cov_mean = sumc / (double)R;
        o->pop_fixed = fixed;
    }
}

void cov_stats_target(const cov_series *u, const cov_target *t, int d,
                      cov_target_stats *ts, double *x)
{
    long R = u->replicates;
    int s = t->series;
    long *first = ts->first;
    memset(first, 0, (size_t)(u->months + 2) * sizeof *first);
    ts->reached = ts->reached_by = 0;
    ts->no_people = true;
    const int64_t *I0 = u->I + cov_series_at(u, 0, s), *N0 = u->N + cov_series_at(u, 0, s);
    ts->cards_now = cov_cards_needed(I0[0], N0[0], t->threshold);
    const int64_t *Id = u->I + cov_series_at(u, d, s), *Nd = u->N + cov_series_at(u, d, s);
    for (long r = 0; r < R; r++) {
        int fm = u->months + 1;
        for (int m = 0; m <= d; m++) {
            long at = cov_series_at(u, m, s) + r;
            if (cov_reached(u->I[at], u->N[at], t->threshold)) { fm = m; break; }
        }
        first[fm]++;
        if (fm <= d) ts->reached_by++;
        ts->no_people = ts->no_people && Nd[r] == 0;
        int hit = cov_reached(Id[r], Nd[r], t->threshold);
        ts->reached += hit;
        if (ts->hit) ts->hit[r] = (unsigned char)hit;
        x[r] = coverage(Id[r], Nd[r]);
    }
    static const double q3[3] = { 0.05, 0.50, 0.95 }, q1[1] = { 0.50 };
    cov_quantiles(x, R, q3, 3, ts->cov_q);
    for (long r = 0; r < R; r++) x[r] = (double)cov_cards_needed(Id[r], Nd[r], t->threshold);
    cov_quantiles(x, R, q1, 1, &ts->shortfall_p50);
}

void cov_stats_exceedance(const cov_series *u, const cov_target *t, int d, cov_target_stats *ts)
{
    long R = u->replicates;
    const int64_t *I = u->I + cov_series_at(u, d, t->series), *N = u->N + cov_series_at(u, d, t->series);
    double lo = 100, hi = 0;
    for (long r = 0; r < R; r++) {
        double c = coverage(I[r], N[r]);
        if (c < lo) lo = c;
        if (c > hi) hi = c;
    }
    int32_t a = (int32_t)floor(fmax(0, lo - 0.5) * 20) * 5, b = (int32_t)ceil(fmin(100, hi + 0.5) * 20) * 5;
    if (b > 10000) b = 10000;
    if (b < a) b = a;
    int32_t step = 5;
    while ((b - a) / step > 400) step *= 2;
    ts->ex_lo = a;
    ts->ex_step = step;
    ts->ex_n = (b - a) / step + 1;
    ts->ex_count = calloc((size_t)ts->ex_n, sizeof *ts->ex_count);
    if (!ts->ex_count) { ts->ex_n = 0; return; }
    for (int k = 0; k < ts->ex_n; k++) {
        int32_t T = a + k * step;
        long n = 0;
        for (long r = 0; r < R; r++) n += cov_reached(I[r], N[r], T);
        ts->ex_count[k] = n;
    }
}

void cov_wilson(long k, long n, double *lo, double *hi)
{
    const double z = 1.959963984540054;
    double p = (double)k / (double)n, z2n = z * z / (double)n;
    double centre = (p + z2n / 2) / (1 + z2n);
    double half = z / (1 + z2n) * sqrt(p * (1 - p) / (double)n + z2n / (4.0 * (double)n));
    *lo = fmax(0.0, centre - half);
    *hi = fmin(1.0, centre + half);
}

void cov_paired_difference(const unsigned char *a, const unsigned char *b, long R, double *diff, double *se)
{
    long sum = 0, sum2 = 0;
    for (long r = 0; r < R; r++) {
        int x = (int)b[r] - (int)a[r];
        sum += x;
        sum2 += x * x;
    }
    double m = (double)sum / (double)R;
    double var = R > 1 ? ((double)sum2 - (double)R * m * m) / (double)(R - 1) : 0;
    *diff = m;
    *se = sqrt(fmax(var, 0) / (double)R);
}
