/* load.h — the loaders of the model INI and the population CSV, and the
 * value checks they share with the scenario loader. */
#ifndef COV_LOAD_H
#define COV_LOAD_H

#include "types.h"
#include "csvread.h"
#include "iniread.h"

/* Loads a model file: [group.NAME] sections and an optional [communes].
 * NULL with d filled on any error. */
cov_model *cov_model_load(const char *path, cov_diag *d);
void cov_model_free(cov_model *m);
int cov_model_group(const cov_model *m, const char *name); /* index or -1 */

/* units.c: a model's [units] section and its rates file (MODEL.md "Rates
 * per unit in a run"). cov_units_read reads the section of ini (the model
 * file, its groups loaded into m) and the file it names; NULL with d filled
 * on any error. cov_units_resolve matches the rows to the communes of pop:
 * NULL with d filled when the level is not one of pop's or a commune's
 * unit lacks a row for a group (unless missing = group). */
cov_units_file *cov_units_read(const cov_ini *ini, const cov_model *m, cov_diag *d);
void cov_units_free(cov_units_file *u);
cov_unit_rates *cov_units_resolve(const cov_model *m, const cov_population *pop, cov_diag *d);
void cov_unit_rates_free(cov_unit_rates *r);

/* Cell f as a count of people, named what in the messages ("population"):
 * digits, with or without thousands separators (cov_parse_count). true
 * with *out set; false with the error in d, located at the cell with its
 * value: beyond COV_MAX_CELL_POPULATION (however large: COV_ELIMIT), or not
 * a whole number (COV_EINPUT). */
bool cov_count_cell(cov_diag *d, const char *path, const cov_field *f, const char *what, int64_t *out);

/* Loads the population CSV against a model's groups and the level columns
 * named by the scenario, and the extra numeric columns it asks for (summed
 * over each commune's rows; empty cells count 0). Errors are collected (up
 * to COV_DIAG_MAX). */
typedef struct {
    char delim;        /* ',', ';', '\t', or 0: detect */
    int numbers;       /* COV_NUM_PLAIN/VN/EN, or -1: detect (an error when both appear) */
    bool crossing;     /* levels need not nest: a unit is its name alone, not its name within the next
                          level (the default tells apart two Huyện Châu Thành of two provinces) */
} cov_read_opts;
cov_population *cov_population_load(const char *path, const cov_model *m,
                                    char **levels, int nlevels,
                                    char **extra, int nextra, const cov_read_opts *ro, cov_diag *d);
void cov_population_free(cov_population *p);

/* Entry value checks: on failure they add an error pointing at the value
 * and return false. */
bool cov_ini_prob(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d);
bool cov_ini_nonneg(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d);
/* A spread sigma of a per-replicate factor: 0 to COV_MAX_SPREAD. */
#define COV_MAX_SPREAD 5.0
bool cov_ini_spread(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d);
/* Complains about every entry of ini that no loader marked as used. */
void cov_ini_unused(const cov_ini *ini, const char *section_kind,
                    const char *allowed, cov_diag *d);

/* Whether the file an entry names (population = nowhere.csv, resolved to
 * path) can be read; when not, an error at the entry's value that names the
 * key, the value and the reason, and false. A NULL path passes. */
bool cov_named_file(const cov_ini_entry *e, const char *path, cov_diag *d);

/* sections.c: the lever sections of a scenario (see README "Scenario INI"). */
char *cov_resolve(const char *base_file, const char *rel);   /* rel against base's folder */
long cov_section_line(const cov_ini *ini, const char *section, const char **file);
bool cov_month_value(cov_ini *ini, cov_ini_entry *e, int *out, cov_diag *d);
void cov_parse_target(cov_scenario *s, cov_ini *ini, const char *sec, cov_target *t, cov_diag *d);
void cov_parse_campaign(cov_scenario *s, cov_ini *ini, const char *sec, cov_campaign *k, cov_diag *d);
void cov_parse_reclassify(cov_scenario *s, cov_ini *ini, const char *sec, cov_reclassify *x, cov_diag *d);
void cov_parse_school(cov_scenario *s, cov_ini *ini, const char *sec, cov_school *k, cov_diag *d);
void cov_parse_extra(cov_scenario *s, cov_ini *ini, const char *sec, cov_extra *x, cov_diag *d);
void cov_parse_demography(cov_scenario *s, cov_ini *ini, cov_demography *m, cov_diag *d);

#endif
