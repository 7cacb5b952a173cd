/* load.h — the loaders of the model INI and the population CSV, and the
 * value checks they share with the scenario loader. */
#ifndef COV_LOAD_H
#define COV_LOAD_H

#include "types.h"
#include "iniread.h"

/* Loads a model file: [group.NAME] sections and an optional [communes].
 * NULL with d filled on any error. */
cov_model *cov_model_load(const char *path, cov_diag *d);
void cov_model_free(cov_model *m);
int cov_model_group(const cov_model *m, const char *name); /* index or -1 */

/* Loads the population CSV against a model's groups and the level columns
 * named by the scenario. Errors are collected (up to COV_DIAG_MAX). */
cov_population *cov_population_load(const char *path, const cov_model *m,
                                    char **levels, int nlevels, cov_diag *d);
void cov_population_free(cov_population *p);

/* Entry value checks: on failure they add an error pointing at the value
 * and return false. */
bool cov_ini_prob(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d);
bool cov_ini_nonneg(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d);
/* Complains about every entry of ini that no loader marked as used. */
void cov_ini_unused(const cov_ini *ini, const char *section_kind,
                    const char *allowed, cov_diag *d);

#endif
