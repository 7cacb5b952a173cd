/* binomial.h — exact binomial sampling: inversion for small n*p, BTRS
 * (Hörmann 1993, "The generation of binomial random variates") otherwise.
 * Checked against gsl_ran_binomial_pdf by chi-square tests (tests/test_binomial.c). */
#ifndef COV_BINOMIAL_H
#define COV_BINOMIAL_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* One draw of Binomial(n, p), 0 <= p <= 1, from the generator r. */
int64_t cov_binomial(gsl_rng *r, double p, int64_t n);

/* The same, given also log1m_p = log(1 - p), which callers that draw many
 * times with one p compute once. */
int64_t cov_binomial_log(gsl_rng *r, double p, double log1m_p, int64_t n);

/* Two independent draws, Binomial(n1, p1) then Binomial(n2, p2), as the
 * engine makes each cell's enrollments and lapses. Where both are
 * inversions, both uniforms are taken first (the first draw's, then the
 * second's) and both set-ups made before either search, which overlaps
 * their work; the draws are then those of two cov_binomial_log calls, but
 * for a restart (rounding trouble beyond 10 sd, never seen in practice),
 * whose new uniform comes after the second draw's. */
void cov_binomial_pair(gsl_rng *r, double p1, double log1m_p1, int64_t n1,
                       double p2, double log1m_p2, int64_t n2, int64_t *k1, int64_t *k2);

#endif
