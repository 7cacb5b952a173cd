/* binomial.c — an exact binomial sampler, faster than gsl_ran_binomial on
 * the engine's mix of (n, p): p > 1/2 is reflected; n*p < 40 uses
 * inversion by sequential search from 0, several terms a step, with
 * (1-p)^n computed once as exp(n log1p(-p)); larger n*p uses BTRS, the
 * transformed rejection with squeeze of Hörmann (1993), whose acceptance
 * test is the exact log-pmf ratio (log-factorials by Stirling's series with
 * tabulated small terms), as in TensorFlow and PyTorch. */
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

/* Below this n p, inversion; above, BTRS. At 40 both cost about the same
 * on this project's machines (inversion ~49 ns, BTRS ~55 ns per draw). */
#define INVERSION_NP 40.0

/* 1/k for the search below, so that its factors need no division. */
enum { RECIP_N = 160 };   /* > 40 + 10 sqrt(41) + 8: above the largest index the search uses */
static double recip[RECIP_N];

__attribute__((constructor)) static void recip_init(void)
{
    for (int k = 1; k < RECIP_N; k++) recip[k] = 1.0 / k;
}

/* The search of one inversion draw at uniform u, from its set-up (below):
 * sequential search from 0 with pmf(k) = pmf(k-1) (a/k - s), in blocks.
 * One comparison with the sum of a block's terms says whether the draw lies
 * further on; if not, comparisons with its partial sums, added up without
 * branches, say where in the block it lies. The first block holds 4 terms
 * (most draws at small n p end there), the next ones 8, whose ratios to the
 * block's first term are multiplied as a tree. Against one term a step this
 * more than halves the cost: fewer mispredicted branches and a shorter
 * chain of dependent multiplications. Returns -1 (the caller draws again)
 * for a draw past kmax = min(n, n p + 10 sd): there rounding, not
 * probability, decides, and terms past n are rounding noise. */
static inline int64_t search(double a, double s, double qn, int64_t kmax, double u)
{
    double px = qn;
    double f1 = a - s, f2 = a * 0.5 - s, f3 = a * recip[3] - s, f4 = a * 0.25 - s;
    double f12 = f1 * f2, f123 = f12 * f3;
    double p1 = px * f1, p2 = px * f12, p3 = px * f123;
    double c2 = px + p1, c4 = c2 + (p2 + p3);
    if (u <= c4) {
        int64_t j = (u > px) + (u > c2) + (u > c2 + p2);
        return j <= kmax ? j : -1;
    }
    u -= c4;
    px *= f123 * f4;
    for (int64_t k = 4; k <= kmax; k += 8) {
        const double *rk = recip + k;
        double g1 = a * rk[1] - s, g2 = a * rk[2] - s, g3 = a * rk[3] - s, g4 = a * rk[4] - s;
        double g5 = a * rk[5] - s, g6 = a * rk[6] - s, g7 = a * rk[7] - s, g8 = a * rk[8] - s;
        double h2 = g1 * g2, h3 = h2 * g3, h4 = h2 * (g3 * g4), h5 = h4 * g5, h6 = h4 * (g5 * g6), h7 = h6 * g7;
        double q1 = px * g1, q2 = px * h2, q3 = px * h3, q4 = px * h4, q5 = px * h5, q6 = px * h6, q7 = px * h7;
        double d2 = px + q1, d4 = d2 + (q2 + q3), d6 = d4 + (q4 + q5), d8 = d6 + (q6 + q7);
        if (u <= d8) {
            int64_t j = k + (u > px) + (u > d2) + (u > d2 + q2) + (u > d4) + (u > d4 + q4) + (u > d6) + (u > d6 + q6);
            return j <= kmax ? j : -1;
        }
        u -= d8;
        px *= h7 * g8;
    }
    return -1;
}

/* What the search needs: pmf(k) = pmf(k-1) (a/k - s) with s = p/(1-p),
 * a = s (n+1), pmf(0) = qn = (1-p)^n; and where to give up. */
typedef struct { double a, s, qn; int64_t kmax; } inv_setup;

static inline inv_setup setup(double p, double log1m_p, int64_t n)
{
    double dn = (double)n, q = 1 - p, s = p / q, np = dn * p, bound = np + 10.0 * sqrt(np * q + 1);
    inv_setup v = { s * (dn + 1), s, exp(dn * log1m_p), bound < dn ? (int64_t)bound : n };
    return v;
}

static int64_t inversion(gsl_rng *r, double p, double log1m_p, int64_t n)
{
    inv_setup v = setup(p, log1m_p, n);
    for (;;) {
        int64_t k = search(v.a, v.s, v.qn, v.kmax, cov_uniform(r));
        if (k >= 0) return k;
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
    return (double)n * p < INVERSION_NP ? inversion(r, p, log1m_p, n) : btrs(r, p, log1m_p, n);
}

int64_t cov_binomial(gsl_rng *r, double p, int64_t n)
{
    return p > 0 && p < 1 ? cov_binomial_log(r, p, log1p(-p), n) : cov_binomial_log(r, p, 0, n);
}

void cov_binomial_pair(gsl_rng *r, double p1, double log1m_p1, int64_t n1,
                       double p2, double log1m_p2, int64_t n2, int64_t *k1, int64_t *k2)
{
    if (n1 > 0 && n2 > 0 && p1 > 0 && p2 > 0 && p1 <= 0.5 && p2 <= 0.5
        && (double)n1 * p1 < INVERSION_NP && (double)n2 * p2 < INVERSION_NP) {
        /* Both set-ups (two exp) before either search, so the second one's
         * latency hides behind the first search. */
        inv_setup v1 = setup(p1, log1m_p1, n1), v2 = setup(p2, log1m_p2, n2);
        double u1 = cov_uniform(r), u2 = cov_uniform(r);
        int64_t a = search(v1.a, v1.s, v1.qn, v1.kmax, u1);
        int64_t b = search(v2.a, v2.s, v2.qn, v2.kmax, u2);
        while (a < 0) a = search(v1.a, v1.s, v1.qn, v1.kmax, cov_uniform(r));
        while (b < 0) b = search(v2.a, v2.s, v2.qn, v2.kmax, cov_uniform(r));
        *k1 = a;
        *k2 = b;
        return;
    }
    *k1 = cov_binomial_log(r, p1, log1m_p1, n1);
    *k2 = cov_binomial_log(r, p2, log1m_p2, n2);
}
