/* outdir.h — an output folder written as a whole or not at all: files go
 * into a temporary folder beside it, which replaces the folder only when
 * every file is complete. In a run spread over MPI ranks only rank 0
 * writes: on the others these calls succeed and touch nothing. */
#ifndef COV_OUTDIR_H
#define COV_OUTDIR_H

#include <stdbool.h>
#include <stdio.h>
#include "covcast.h"

typedef struct cov_outdir cov_outdir;
typedef void (*cov_writer_fn)(FILE *f, const void *ctx);

/* Starts writing the folder out (its parents are created). NULL with d filled. */
cov_outdir *cov_outdir_begin(const char *out, cov_diag *d);
/* Writes one file through fn; false with d filled (disk full, ...). */
bool cov_outdir_file(cov_outdir *o, const char *name, cov_writer_fn fn, const void *ctx, cov_diag *d);
/* Creates a subfolder (one level) inside the folder being written. */
bool cov_outdir_mkdir(cov_outdir *o, const char *name, cov_diag *d);
/* The temporary folder being written (for programs that write into it). */
const char *cov_outdir_path(const cov_outdir *o);
/* Swaps the finished folder into place (the earlier one is removed) and frees o. */
cov_status cov_outdir_commit(cov_outdir *o, cov_diag *d);
/* Throws the temporary folder away and frees o; accepts NULL. */
void cov_outdir_abort(cov_outdir *o);

/* Writes a run's trajectories.csv, targets.csv and exceedance.csv into the
 * subfolder sub of o (output.c). */
struct cov_results;
bool cov_results_write_into(cov_outdir *o, const char *sub, const struct cov_results *res,
                            const cov_scenario *s, cov_diag *d);

#endif
