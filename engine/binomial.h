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

#endif
