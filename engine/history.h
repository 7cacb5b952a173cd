/* history.h — a monthly coverage history (commune, month, population,
 * insured, optional group and card flows) read into one series per
 * commune and group, and the rate fit of calibration on it. */
#ifndef COV_HISTORY_H
#define COV_HISTORY_H

#include <stdio.h>
#include "types.h"

typedef struct {
    char *commune, *code;        /* code NULL without a commune_code column */
    int group;                   /* model group, -1 when the history has no group column */
    int n;                       /* months present, ascending */
    int *month;                  /* absolute months */
    int64_t *N, *I;
    int64_t *E, *L;              /* new and lost cards in the month (NULL without flows) */
    long line;                   /* first row */
} cov_hseries;

typedef struct cov_history_s {
    char *path;
    int nseries;
    cov_hseries *s;
    bool has_group, has_flows;
    int first, last;             /* months covered */
    char **levels;               /* level columns kept (names) */
    int nlevels;
    char ***level_value;         /* [series][level] */
} cov_history;

/* Reads a history file; groups are checked against the model when the file
 * has a group column. NULL with d filled on error. */
cov_history *cov_history_read(const char *path, const cov_model *m, char **levels, int nlevels, cov_diag *d);
void cov_history_free(cov_history *h);

/* The fit of one group's monthly rates. */
typedef struct {
    bool fitted;
    double p, q;                 /* enroll and lapse probabilities per month */
    double se_p, se_q, corr;     /* their standard errors and correlation */
    double phi;                  /* dispersion: 1 = binomial noise only */
    long transitions;            /* month-to-month steps used */
    bool separated;              /* each rate's standard error is under half of it */
    bool flows;                  /* from card flows rather than levels */
} cov_rate_fit;

typedef struct {
    cov_rate_fit g[COV_MAX_GROUPS];  /* per model group (or g[0] for all, without groups) */
    double commune_sd;           /* between-commune spread of the enroll hazard (log scale) */
    int communes_used;
    long skipped_jumps, skipped_gaps, skipped_zero;
    int single_month;            /* series with one month only */
} cov_fit;

/* Fits enroll and lapse per group on the months up to cutoff (inclusive;
 * INT_MAX for all): weighted least squares of the monthly step
 * I' - I = p U - q I (GSL) with quasi-binomial dispersion, or the card
 * flows directly when the history has them. */
void cov_fit_rates(const cov_history *h, const cov_model *m, int cutoff, cov_fit *out);

/* Writes a model file: base's groups with the fitted values and spreads,
 * after a comment block that says what data it came from and how well it
 * fits. */
bool cov_fit_write_model(FILE *f, const cov_history *h, const cov_model *base, const cov_fit *fit,
                         int cutoff);

#endif
