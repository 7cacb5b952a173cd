/* test_binomial.c — the engine's binomial sampler against the exact
 * distribution (gsl_ran_binomial_pdf): chi-square goodness of fit over a
 * grid of (n, p) covering both algorithms (inversion for n*p < 40, four
 * terms a step, so k of every residue mod 4; BTRS above) and the
 * reflection p > 1/2. */
#include "testutil.h"
#include "binomial.h"
#include "rng.h"

#include <gsl/gsl_cdf.h>
#include <gsl/gsl_randist.h>

/* Draws M samples, bins them so every bin expects at least 5, and returns
 * the chi-square p-value. */
static double chi_square_p(int64_t n, double p, long M, uint64_t seed)
{
    gsl_rng *r = gsl_rng_alloc(cov_rng_splitmix);
    gsl_rng_set(r, seed);
    double mean = (double)n * p, sd = sqrt((double)n * p * (1 - p));
    int64_t lo = (int64_t)fmax(0, floor(mean - 12 * sd - 2)), hi = (int64_t)fmin((double)n, ceil(mean + 12 * sd + 2));
    long width = (long)(hi - lo + 1);
    long *count = calloc((size_t)width + 2, sizeof *count);   /* [0] below lo, [width+1] above hi */
    for (long i = 0; i < M; i++) {
        int64_t k = cov_binomial(r, p, n);
        assert_true(k >= 0 && k <= n);
        count[k < lo ? 0 : k > hi ? width + 1 : k - lo + 1]++;
    }
    /* Merge cells left to right until each expects >= 5. */
    double stat = 0, exp_acc = 0, obs_acc = 0;
    int df = -1;
    double below = lo > 0 ? gsl_cdf_binomial_P((unsigned)(lo - 1), p, (unsigned)n) : 0;
    exp_acc = below * (double)M;
    obs_acc = (double)count[0];
    for (long j = 0; j < width; j++) {
        exp_acc += gsl_ran_binomial_pdf((unsigned)(lo + j), p, (unsigned)n) * (double)M;
        obs_acc += (double)count[j + 1];
        if (exp_acc >= 5 && j < width - 1) {
            stat += (obs_acc - exp_acc) * (obs_acc - exp_acc) / exp_acc;
            df++;
            exp_acc = obs_acc = 0;
        }
    }
    double above = hi < n ? gsl_cdf_binomial_Q((unsigned)hi, p, (unsigned)n) : 0;
    exp_acc += above * (double)M;
    obs_acc += (double)count[width + 1];
    if (exp_acc > 0) { stat += (obs_acc - exp_acc) * (obs_acc - exp_acc) / exp_acc; df++; }
    free(count);
    gsl_rng_free(r);
    return df > 0 ? gsl_cdf_chisq_Q(stat, df) : 1.0;
}

static void test_goodness_of_fit_grid(void **st)
{
    (void)st;
    static const struct { int64_t n; double p; } grid[] = {
        { 1, 0.3 }, { 5, 0.3 }, { 20, 0.01 }, { 100, 0.05 }, { 199, 0.05 },     /* inversion */
        { 1000, 0.004 }, { 3000, 0.003 }, { 1000, 0.0101 }, { 1000, 0.02 },     /* inversion, n*p 4 to 20 */
        { 100, 0.35 }, { 4000, 0.00999 }, { 80000, 0.000499 },                  /* inversion, n*p near 40 */
        { 2000, 0.0201 }, { 3500, 0.015 }, { 100, 0.5 }, { 1000, 0.1 },         /* BTRS */
        { 50000, 0.3 }, { 2000000, 0.001 }, { 1999999999, 0.0001 },
        { 30, 0.9 }, { 2000, 0.97 }, { 800, 0.996 },                            /* reflected */
    };
    const long M = 1000000;
    const double alpha = 1e-4;   /* each check fails by chance with probability 1e-4 */
    for (size_t i = 0; i < sizeof grid / sizeof grid[0]; i++) {
        double pv = chi_square_p(grid[i].n, grid[i].p, M, 1000 + i);
        if (pv < alpha) fail_msg("n=%lld p=%g: chi-square p-value %.2e", (long long)grid[i].n, grid[i].p, pv);
    }
}

static void test_edges(void **st)
{
    (void)st;
    gsl_rng *r = gsl_rng_alloc(cov_rng_splitmix);
    gsl_rng_set(r, 1);
    assert_int_equal(cov_binomial(r, 0.0, 1000), 0);
    assert_int_equal(cov_binomial(r, 1.0, 1000), 1000);
    assert_int_equal(cov_binomial(r, 0.5, 0), 0);
    gsl_rng_free(r);
}

/* cov_binomial_pair gives exactly the draws of two cov_binomial_log calls
 * on the same stream (restarts aside, which need rounding trouble beyond
 * 10 sd), so the grid above covers it too. Mixes inversion, BTRS,
 * reflection, n = 0 and p = 0 in both places. */
static void test_pair_equals_two_draws(void **st)
{
    (void)st;
    static const struct { int64_t n1; double p1; int64_t n2; double p2; } cases[] = {
        { 800, 0.01, 3000, 0.005 }, { 5, 0.3, 200, 0.15 }, { 4000, 0.00999, 20, 0.01 },
        { 3000, 0.02, 900, 0.004 }, { 900, 0.004, 3000, 0.02 }, { 300, 0.7, 300, 0.01 },
        { 0, 0.01, 500, 0.01 }, { 500, 0.0, 500, 0.02 }, { 2000000, 0.001, 7, 0.5 },
    };
    gsl_rng *a = gsl_rng_alloc(cov_rng_splitmix), *b = gsl_rng_alloc(cov_rng_splitmix);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        gsl_rng_set(a, 100 + i);
        gsl_rng_set(b, 100 + i);
        double l1 = cases[i].p1 < 1 ? log1p(-cases[i].p1) : 0, l2 = cases[i].p2 < 1 ? log1p(-cases[i].p2) : 0;
        for (long m = 0; m < 20000; m++) {
            int64_t k1, k2;
            cov_binomial_pair(a, cases[i].p1, l1, cases[i].n1, cases[i].p2, l2, cases[i].n2, &k1, &k2);
            int64_t j1 = cov_binomial_log(b, cases[i].p1, l1, cases[i].n1);
            int64_t j2 = cov_binomial_log(b, cases[i].p2, l2, cases[i].n2);
            if (k1 != j1 || k2 != j2)
                fail_msg("case %zu, draw %ld: pair (%lld, %lld), one at a time (%lld, %lld)", i, m,
                         (long long)k1, (long long)k2, (long long)j1, (long long)j2);
        }
    }
    gsl_rng_free(a);
    gsl_rng_free(b);
}

/* The test must be able to fail: a sampler with a slightly wrong p is
 * rejected at this sample size. */
static void test_detects_a_wrong_sampler(void **st)
{
    (void)st;
    gsl_rng *r = gsl_rng_alloc(cov_rng_splitmix);
    gsl_rng_set(r, 7);
    const long M = 200000;
    const int64_t n = 1000;
    const double p = 0.02;
    double sum = 0;
    for (long i = 0; i < M; i++) sum += (double)cov_binomial(r, p * 1.01, n);
    double z = (sum / (double)M - (double)n * p) / sqrt((double)n * p * (1 - p) / (double)M);
    assert_true(z > MC_Z);   /* a 1% error in p is 4.5+ standard errors away */
    gsl_rng_free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_edges),
        cmocka_unit_test(test_goodness_of_fit_grid),
        cmocka_unit_test(test_pair_equals_two_draws),
        cmocka_unit_test(test_detects_a_wrong_sampler),
    };
    return cmocka_run_group_tests_name("binomial sampler", tests, NULL, NULL);
}
