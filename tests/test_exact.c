/* test_exact.c — the exact check of MODEL.md: one commune, one group, no
 * uncertainty. The insured count after t months is
 * Binomial(I0, P11(t)) + Binomial(U0, P01(t)) of the two-state chain; its
 * distribution is computed exactly from GSL pdfs and the engine's
 * probability and quantiles must agree within Monte Carlo error. */
#include "testutil.h"
#include "stats.h"

#include <gsl/gsl_randist.h>

typedef struct {
    double p, q;          /* monthly enroll and lapse probabilities */
    long N, I0;
    int t;                /* months */
    const char *threshold;
    int32_t T;            /* the same in hundredths */
} point;

/* pmf[k], k = 0..N, of the insured count after t months. */
static double *exact_pmf(const point *pt)
{
    double lam = 1 - pt->p - pt->q, pi = pt->p / (pt->p + pt->q), lt = pow(lam, pt->t);
    double a = pi + (1 - pi) * lt, b = pi * (1 - lt);
    long U0 = pt->N - pt->I0;
    double *pa = calloc((size_t)pt->I0 + 1, sizeof *pa), *pb = calloc((size_t)U0 + 1, sizeof *pb);
    double *pmf = calloc((size_t)pt->N + 1, sizeof *pmf);
    for (long k = 0; k <= pt->I0; k++) pa[k] = gsl_ran_binomial_pdf((unsigned)k, a, (unsigned)pt->I0);
    for (long k = 0; k <= U0; k++) pb[k] = gsl_ran_binomial_pdf((unsigned)k, b, (unsigned)U0);
    for (long i = 0; i <= pt->I0; i++)
        for (long j = 0; j <= U0; j++) pmf[i + j] += pa[i] * pb[j];
    free(pa); free(pb);
    return pmf;
}

/* Smallest k with CDF(k) >= alpha (clamped to [0, N]). */
static long exact_quantile(const double *pmf, long N, double alpha)
{
    double c = 0;
    for (long k = 0; k <= N; k++) {
        c += pmf[k];
        if (c >= alpha) return k;
    }
    return N;
}

static cov_results *run_point(const point *pt, long R, int idx, cov_scenario **sp)
{
    char dir[256], path[320], text[2048];
    snprintf(dir, sizeof dir, TMP "/exact-%d", idx);
    mkdir(TMP, 0777);
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/model.ini", dir);
    snprintf(text, sizeof text, "[group.g]\nenroll = %.17g\nlapse = %.17g\n", pt->p, pt->q);
    write_text(path, text);
    snprintf(path, sizeof path, "%s/population.csv", dir);
    snprintf(text, sizeof text, "commune,group,population,insured\nXã Thử,g,%ld,%ld\n", pt->N, pt->I0);
    write_text(path, text);
    snprintf(path, sizeof path, "%s/scenario.ini", dir);
    snprintf(text, sizeof text,
             "[run]\npopulation = population.csv\nmodel = model.ini\nstart = 2020-01\n"
             "months = %d\nreplicates = %ld\nseed = %d\n"
             "[target.t]\nlevel = commune\nthreshold = %s\ndeadline = %d-%02d\n",
             pt->t, R, 1000 + idx, pt->threshold, 2020 + pt->t / 12, 1 + pt->t % 12);
    write_text(path, text);
    return run_scenario(path, NULL, sp);
}

static void check_point(const point *pt, int idx)
{
    const long R = 20000;
    cov_scenario *s;
    cov_results *r = run_point(pt, R, idx, &s);
    double *pmf = exact_pmf(pt);

    /* P(X >= x*) with x* the smallest count meeting the integer rule. */
    double p = 0;
    for (long k = 0; k <= pt->N; k++)
        if (cov_reached(k, pt->N, pt->T)) p += pmf[k];
    double phat = (double)r->ts[0][0].reached / (double)R;
    double tol = MC_Z * sqrt(p * (1 - p) / (double)R) + 1e-12;
    if (fabs(phat - p) > tol)
        fail_msg("point %d: P(reached) engine %.5f exact %.5f tolerance %.5f", idx, phat, p, tol);

    /* Quantiles: the empirical alpha-quantile must lie between the exact
     * quantiles at alpha -/+ its Monte Carlo error. */
    static const double alphas[5] = { 0.05, 0.25, 0.50, 0.75, 0.95 };
    const cov_month_stats *ms = &r->ms[pt->t];
    for (int k = 0; k < 5; k++) {
        double a = alphas[k], da = MC_Z * sqrt(a * (1 - a) / (double)R);
        long lo = exact_quantile(pmf, pt->N, a - da), hi = exact_quantile(pmf, pt->N, a + da);
        double count = ms->q[k] * (double)pt->N / 100.0;
        if (count < (double)lo - 1e-6 || count > (double)hi + 1e-6)
            fail_msg("point %d: quantile %.2f engine %.3f people, exact range [%ld, %ld]",
                     idx, a, count, lo, hi);
    }
    /* Mean insured against the exact mean. */
    double mean = 0, var = 0;
    for (long k = 0; k <= pt->N; k++) mean += (double)k * pmf[k];
    for (long k = 0; k <= pt->N; k++) var += ((double)k - mean) * ((double)k - mean) * pmf[k];
    double mtol = MC_Z * sqrt(var / (double)R) + 1e-9;
    if (fabs(ms->ins_mean - mean) > mtol)
        fail_msg("point %d: mean insured engine %.3f exact %.3f tolerance %.3f", idx, ms->ins_mean, mean, mtol);
    free(pmf);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* Threshold 85% of 1000 people falls exactly on 850: reached iff I >= 850.
 * p and q put the mean near 850 so both sides carry probability. */
static void test_threshold_on_attainable_count(void **st)
{
    (void)st;
    point pt = { 0.04, 0.007, 1000, 800, 6, "85", 8500 };
    check_point(&pt, 0);
}

static void test_rising_commune(void **st)
{
    (void)st;
    point pt = { 0.02, 0.01, 2000, 1500, 12, "76.3", 7630 };
    check_point(&pt, 1);
}

static void test_falling_group(void **st)
{
    (void)st;
    point pt = { 0.005, 0.03, 800, 760, 9, "80.25", 8025 };
    check_point(&pt, 2);
}

static void test_small_fast_chain(void **st)
{
    (void)st;
    point pt = { 0.3, 0.2, 50, 10, 3, "60", 6000 };
    check_point(&pt, 3);
}

/* The integer rule itself, at the edge: 10000*I >= T*N. */
static void test_integer_rule(void **st)
{
    (void)st;
    assert_true(cov_reached(850, 1000, 8500));
    assert_false(cov_reached(849, 1000, 8500));
    /* 95.5% of 193766 is 185046.53: 185046 is short, 185047 reaches it. */
    assert_false(cov_reached(185046, 193766, 9550));
    assert_true(cov_reached(185047, 193766, 9550));
    assert_true(cov_reached(0, 0, 9550));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_integer_rule),
        cmocka_unit_test(test_threshold_on_attainable_count),
        cmocka_unit_test(test_rising_commune),
        cmocka_unit_test(test_falling_group),
        cmocka_unit_test(test_small_fast_chain),
    };
    return cmocka_run_group_tests_name("exact two-state chain", tests, NULL, NULL);
}
