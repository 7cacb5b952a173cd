/* events.h — the scheduled events of one commune in one month (MODEL.md
 * "Events"): reclassification, school drives, demography. They act on the
 * commune's cells before the month's transitions. */
#ifndef COV_EVENTS_H
#define COV_EVENTS_H

#include <gsl/gsl_rng.h>
#include "types.h"

/* A commune's state: cell 2g is group g's easy-to-reach cell, 2g+1 its
 * hard-to-reach cell (empty unless the model gives hard_share). */
typedef struct {
    int64_t I[2 * COV_MAX_GROUPS];
    int64_t N[2 * COV_MAX_GROUPS];
} cov_cells;

/* Splits the snapshot into cells: the hard cell holds round(h * uninsured)
 * of each group's uninsured and none of its insured. */
void cov_cells_init(cov_cells *x, const cov_scenario *s, int commune);

/* Applies every event of absolute month am to commune c's cells.
 * base: the key prefix (seed, replicate, commune); gprefix[g] adds the group.
 * keep[k], drive[k]: this replicate's probabilities of each reclassification
 * and school drive. */
void cov_events_apply(const cov_scenario *s, gsl_rng *rng, int c, int am, uint64_t base,
                      const uint64_t *gprefix, const double *keep, const double *drive, cov_cells *x);

/* A probability p moved by a logit-normal spread: logistic(logit(p) + sd*z). */
double cov_logit_shift(double p, double sd, double z);

#endif
