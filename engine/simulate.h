/* simulate.h — runs that grow: every replicate's series kept between
 * rounds, so that a run with more replicates (--precision) simulates only
 * the new ones. Replicate r is the same whatever the replicate count
 * (keyed streams, MODEL.md), so the statistics over the kept and the new
 * replicates are those of a run of the final count, byte for byte. */
#ifndef COV_SIMULATE_H
#define COV_SIMULATE_H

#include "covcast.h"

/* The replicates of one scenario done so far: this rank's communes' series
 * and the parent units' per-replicate sums. */
typedef struct cov_reps cov_reps;

/* An empty store; NULL when out of memory (callers then run from scratch). */
cov_reps *cov_reps_new(void);
void cov_reps_free(cov_reps *k);   /* accepts NULL */

/* Like cov_simulate, with keep holding the replicates of earlier calls for
 * the same scenario (same seed, inputs and months; only the replicate count
 * may have grown): replicates [kept, R) are simulated, the kept ones reused,
 * and afterwards keep holds all R. When keeping them would not fit in memory
 * (with every other store) the run is made from scratch and keep emptied.
 * keep may be NULL: then this is cov_simulate. */
cov_status cov_simulate_more(const cov_scenario *s, cov_reps *keep, cov_results **out,
                             cov_progress_fn progress, void *arg, cov_diag *d);

#endif
