/* binomial.c — an exact binomial sampler, faster than gsl_ran_binomial on
 * the engine's mix of (n, p): p > 1/2 is reflected; n*p < 10 uses
 * inversion by sequential search from 0 (with (1-p)^n computed once as
 * exp(n log1p(-p))); larger n*p uses BTRS, the transformed rejection with
 * squeeze of Hörmann (1993), whose acceptance test is the exact log-pmf
 * ratio (log-factorials by Stirling's series with tabulated small terms),
 * as in TensorFlow and PyTorch. */
#include "binomial.h"
#include "rng.h"

#include <math.h>

/* log(k!) - [(k + 1/2) log(k + 1) - (k + 1) + log(sqrt(2 pi))]: the tail
 * of Stirling's series, tabulated for k < 10. */
static double stirling_tail(double k)
{
    static const double table[10] = {
        0.08106146679532726, 0.04134069595540929, 0.02767792568499834,
        0.02079067210376509, 0.01664469118982119, 0.01387612882307075,
        0.01189670994589177, 0.01041126526197209, 0.009255462182712733,
        0.008330563433362871
    };
    if (k <= 9) return table[(int)k];
    double kp1sq = (k + 1) * (k + 1);
    return (1.0 / 12 - (1.0 / 360 - 1.0 / 1260 / kp1sq) / kp1sq) / (k + 1);
}

static int64_t inversion(gsl_rng *r, double p, double log1m_p, int64_t n)
{
    double q = 1 - p, s = p / q, qn = exp((double)n * log1m_p);
    double bound = fmin((double)n, (double)n * p + 10.0 * sqrt((double)n * p * q + 1));
    for (;;) {
        double u = cov_uniform(r), px = qn;
        int64_t k = 0;
        while (u > px) {
            u -= px;
            k++;
            if ((double)k > bound) break;
            px *= s * (double)(n - k + 1) / (double)k;
        }
        if ((double)k <= bound) return k;
    }
}

static int64_t btrs(gsl_rng *r, double p, double log1m_p, int64_t n)
{
    double dn = (double)n, q = 1 - p, spq = sqrt(dn * p * q);
    double b = 1.15 + 2.53 * spq, a = -0.0873 + 0.0248 * b + 0.01 * p, c = dn * p + 0.5;
    double vr = 0.92 - 4.2 / b, alpha = (2.83 + 5.1 / b) * spq;
    double lpq = log(p) - log1m_p, m = floor((dn + 1) * p);
    double h = stirling_tail(m) + stirling_tail(dn - m);
    for (;;) {
        double u = cov_uniform(r) - 0.5, v = cov_uniform(r);
        double us = 0.5 - fabs(u), k = floor((2 * a / us + b) * u + c);
        if (k < 0 || k > dn) continue;
        if (us >= 0.07 && v <= vr) return (int64_t)k;
        if (v <= 0) continue;
        v = log(v * alpha / (a / (us * us) + b));
        double bound = (m + 0.5) * log((m + 1) / (dn - m + 1)) + (dn + 1) * log((dn - m + 1) / (dn - k + 1))
                     + (k + 0.5) * log((dn - k + 1) / (k + 1)) + (k - m) * lpq
                     + h - stirling_tail(k) - stirling_tail(dn - k);
        if (v <= bound) return (int64_t)k;
    }
}

int64_t cov_binomial_log(gsl_rng *r, double p, double log1m_p, int64_t n)
{
    if (n <= 0 || !(p > 0)) return 0;          /* NaN too */
    if (p >= 1) return n;
    if (p > 0.5) return n - cov_binomial_log(r, 1 - p, log(p), n);
    return (double)n * p < 10 ? inversion(r, p, log1m_p, n) : btrs(r, p, log1m_p, n);
}

int64_t cov_binomial(gsl_rng *r, double p, int64_t n)
{
    return p > 0 && p < 1 ? cov_binomial_log(r, p, log1p(-p), n) : cov_binomial_log(r, p, 0, n);
}
