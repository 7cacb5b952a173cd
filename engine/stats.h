/* stats.h — statistics over replicates of one unit: monthly coverage
 * quantiles and the target measures of MODEL.md "Targets". */
#ifndef COV_STATS_H
#define COV_STATS_H

#include "types.h"

/* The per-replicate series of one unit: I and N laid out [(m*S + s)*R + r]. */
typedef struct {
    const int64_t *I, *N;
    int months, nseries;
    long replicates;
} cov_series;

static inline long cov_series_at(const cov_series *u, int m, int s)
{
    return ((long)m * u->nseries + s) * u->replicates;
}

/* Reached in integers: 10000*I >= T*N (T in hundredths of a percent). */
static inline int cov_reached(int64_t I, int64_t N, int32_t T)
{
    return (__int128)10000 * I >= (__int128)T * N;
}

/* Cards short of T: max(0, ceil((T*N - 10000*I) / 10000)). */
static inline int64_t cov_cards_needed(int64_t I, int64_t N, int32_t T)
{
    __int128 gap = (__int128)T * N - (__int128)10000 * I;
    return gap <= 0 ? 0 : (int64_t)((gap + 9999) / 10000);
}

/* Fills ms[0..H] for series 0. scratch holds R doubles. */
void cov_stats_months(const cov_series *u, cov_month_stats *ms, double *scratch);

/* Evaluates target t (relative deadline d) for one unit into ts (whose
 * first[] the caller allocated with H+2 slots). scratch holds R doubles. */
void cov_stats_target(const cov_series *u, const cov_target *t, int d,
                      cov_target_stats *ts, double *scratch);

/* Quantiles of x[0..n) at probs (ascending, in [0, 1]), R type 7 (linear
 * interpolation between order statistics, as gsl_stats_quantile_from_sorted_data
 * on sorted data); x is rearranged. Linear time by selection. */
void cov_quantiles(double *x, long n, const double *probs, int np, double *out);

/* P(coverage >= x) at the deadline on a grid of x covering the replicates'
 * range (at most 401 points, steps of 0.05 percentage points or more),
 * decided by the integer rule. Allocates ts->ex_count. */
void cov_stats_exceedance(const cov_series *u, const cov_target *t, int d, cov_target_stats *ts);

/* 95% Wilson score interval for k successes in n trials. */
void cov_wilson(long k, long n, double *lo, double *hi);

/* The paired difference of two runs' reached flags (0/1) over the same R
 * replicates (common random numbers): the mean of b - a and its standard
 * error, the estimator `compare` and the workbench's baseline report. */
void cov_paired_difference(const unsigned char *a, const unsigned char *b, long R, double *diff, double *se);

#endif
