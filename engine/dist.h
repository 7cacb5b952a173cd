/* dist.h — spreading a run over MPI ranks (make MPI=1): each rank simulates
 * a contiguous share of the communes for every replicate; the parent levels'
 * integer sums are added up across ranks and the communes' statistics
 * shared, so that every rank holds the whole result and takes the same
 * decisions (solve's bisection, allocate's greedy steps, --precision's
 * next replicate count); rank 0 writes the files (outdir.c). Integer sums and keyed
 * random streams make the bytes the same for any number of ranks. Without
 * MPI these are the single-process answers. */
#ifndef COV_DIST_H
#define COV_DIST_H

#include <stdbool.h>
#include <stdint.h>

void cov_dist_init(int *argc, char ***argv);
void cov_dist_finalize(void);
int cov_dist_rank(void);
int cov_dist_size(void);
/* The smallest of every rank's v; whether ok holds on every rank. */
int64_t cov_dist_min_i64(int64_t v);
bool cov_dist_all(bool ok);
/* In place, over all ranks: buf[i] = sum of every rank's buf[i]. */
bool cov_dist_sum_i64(int64_t *buf, long n);
/* Rank r holds bytes [off[r], off[r+1]) of buf; afterwards rank 0 holds all. */
bool cov_dist_gather(void *buf, const long *off);
/* The same, then rank 0 sends all of buf to every rank. */
bool cov_dist_share(void *buf, const long *off);

#endif
