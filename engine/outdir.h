/* outdir.h — outputs written as a whole or not at all, and never over an
 * input or a file covcast did not write. A folder's files go into a
 * temporary folder beside it, which replaces the folder only when every
 * file is complete; a single file is written beside and renamed into place.
 * In a run spread over MPI ranks only rank 0 writes: on the others these
 * calls succeed and touch nothing. The inputs are those recorded in the
 * command's cov_diag (cov_inputs_note). */
#ifndef COV_OUTDIR_H
#define COV_OUTDIR_H

#include <stdbool.h>
#include <stdio.h>
#include "covcast.h"

typedef struct cov_outdir cov_outdir;
typedef void (*cov_writer_fn)(FILE *f, const void *ctx);

/* May the folder out be replaced by this command's results? It may when it
 * does not exist, is empty, or holds only what covcast listed in its marker
 * (.covcast) and no input of the command. False with d filled. Call it
 * before a long run; begin and commit check again. */
bool cov_outdir_check(const char *out, cov_diag *d);
/* Starts writing the folder out (its parents are created; covcast's own
 * temporary folders left there by a killed run are removed). NULL with d
 * filled, also when out may not be replaced (cov_outdir_check). */
cov_outdir *cov_outdir_begin(const char *out, cov_diag *d);
/* Writes one file through fn; false with d filled (disk full, ...). */
bool cov_outdir_file(cov_outdir *o, const char *name, cov_writer_fn fn, const void *ctx, cov_diag *d);
/* Creates a subfolder (one level) inside the folder being written. */
bool cov_outdir_mkdir(cov_outdir *o, const char *name, cov_diag *d);
/* The temporary folder being written (for programs that write into it). */
const char *cov_outdir_path(const cov_outdir *o);
/* Lists the folder's files in its marker and swaps it into place (the
 * earlier one is removed) and frees o. COV_EINTR (nothing changed) when
 * cov_interrupted() says so before the swap. */
cov_status cov_outdir_commit(cov_outdir *o, cov_diag *d);
/* Throws the temporary folder away and frees o; accepts NULL. */
void cov_outdir_abort(cov_outdir *o);

/* Adds NAME (a file written into the covcast folder dir afterwards, as
 * report.html) to dir's list; false when dir has no list. */
bool cov_outdir_claim(const char *dir, const char *name);

/* A single output file (a gap table, a fitted model, a report). Refused,
 * NULL with d filled, when path is an input of the command, a folder, or an
 * existing file that does not begin with signature (covcast's first bytes
 * for that kind of file). */
typedef struct cov_outfile cov_outfile;
cov_outfile *cov_outfile_begin(const char *path, const char *signature, cov_diag *d);
FILE *cov_outfile_stream(cov_outfile *o);
/* Closes the stream and renames the file into place; frees o. */
cov_status cov_outfile_commit(cov_outfile *o, cov_diag *d);
void cov_outfile_abort(cov_outfile *o);   /* accepts NULL */

/* Writes a run's trajectories.csv, targets.csv and exceedance.csv into the
 * subfolder sub of o (output.c). */
struct cov_results;
bool cov_results_write_into(cov_outdir *o, const char *sub, const struct cov_results *res,
                            const cov_scenario *s, cov_diag *d);

#endif
