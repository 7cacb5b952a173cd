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
    int64_t *E, *L;              /* new and lost cards in the month (NULL without flows; -1 = blank, not reported) */
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

/* How calibration treats what the history does not say (docs/MODEL.md,
 * "Calibration"). */
typedef struct cov_cal_opts {
    double entrant_share;        /* share of newcomers who arrive insured; < 0: the coverage at the step's start */
    const char *population;      /* a population file whose group mix splits a totals-only history (NULL: none) */
    const char *level;           /* --levels: rates per unit of this level column (NULL: one set) */
} cov_cal_opts;

/* The fit of one group's monthly rates (or, for a totals-only history
 * against a model with several groups, of common factors on the base
 * model's hazards). */
typedef struct {
    bool fitted;                 /* at least one rate estimated */
    bool fit_p, fit_q;           /* which were estimated; the other kept from the base model */
    double p, q;                 /* enroll and lapse probabilities per month (or hazard factors, totals) */
    double se_p, se_q, corr;     /* their standard errors and correlation */
    double se_lp, se_lq;         /* standard errors of log p and log q (the model's *_sd) */
    double lo_p, hi_p, lo_q, hi_q; /* 95% intervals */
    double phi;                  /* dispersion: 1 = binomial noise only */
    long transitions;            /* steps (between two reported points) used */
    long flow_steps;             /* of them, months with both card flows reported */
    int max_gap;                 /* longest step in months */
    bool separated;              /* each rate's standard error is under half of it */
    bool flows;                  /* card flows entered the fit */
    char reason[320];            /* why a rate is not estimated, in figures; "" when both are */
} cov_rate_fit;

/* The common shock of a one-series history (MODEL.md "Calibration", the
 * shock): a random walk on the log hazards, enrollment x exp(X), lapse x
 * exp(-X), X_m = X_{m-1} + (sd / sqrt 12) Z_m, filtered from point to point. */
typedef struct {
    bool tried;                  /* the history is one series: the shock was looked for */
    bool estimated;              /* sd is an estimate: interior maximum, interval within the limit */
    double sd, lo, hi;           /* per year, log scale: maximum likelihood and 95% profile interval */
    double noise;                /* the reporting noise: SD of a reported coverage around the true one */
    double level, level_se;      /* the filtered X at the last point (0 at the first) and its error */
    double coverage;             /* the filtered true coverage at the last point */
    double speed;                /* u: a log factor on both hazards, fitted with the shock (0: the fit's rates) */
    bool speed_fitted;
    double loglik;               /* at the estimate */
    int last_month;              /* that point */
    long steps;                  /* steps in the likelihood (all but the first) */
    int summed;                  /* the series summed into the one filtered (0: the history's one series) */
    char reason[240];            /* why sd is not an estimate, "" when it is */
} cov_shock_fit;

typedef struct {
    cov_rate_fit g[COV_MAX_GROUPS];  /* per model group (or g[0] for all, without groups) */
    cov_shock_fit shock;
    bool totals;                 /* g[0] holds common factors on the base model's hazards */
    double commune_sd;           /* between-commune spread of the enroll hazard (log scale) */
    int communes_used;
    long skipped_jumps, skipped_gaps, skipped_zero;
    long steps_seen;             /* steps between reported points before any was set aside */
    int single_month;            /* series with one month only */
    double entrant_share;        /* the rule used: < 0 = coverage at the step's start */
    bool mix_from_file;          /* totals: the group mix came from a population file */
    bool pooled_groups;          /* totals without a mix against several groups: one rate pair for all */
} cov_fit;

/* A population's group mix for a totals-only fit: per commune name (and
 * overall), each group's share of the people and coverage. */
typedef struct cov_mix cov_mix;
cov_mix *cov_mix_load(const char *population, const cov_model *m, cov_diag *d);
void cov_mix_free(cov_mix *x);
/* Splits a commune's N people and I insured over the groups as a fit on
 * totals does (the mix's shares; coverage shifted on the logit scale to add
 * up), in whole people. */
void cov_mix_split(const cov_mix *x, const cov_hseries *s, int64_t N, int64_t I, int64_t *Ng, int64_t *Ig);

/* Fits enroll and lapse per group on the reported points up to cutoff
 * (inclusive; INT_MAX for all). Each step runs from one reported point of a
 * series to its next, whatever the gap: the two-state chain's k-month mean
 * and variance (with the group's seasonal factors month by month and the
 * entry/exit rule for a changing population) give a quasi-likelihood fitted
 * by weighted nonlinear least squares (GSL), with card flows as exact
 * counts in the months that report them. A rate that the data cannot
 * determine is kept from the base model, with the reason in fit->reason.
 * Without a group column and with several model groups, fits common factors
 * on the base hazards, the groups keeping their ratios and mix (mix from
 * opts->population, or equal shares). opts may be NULL (defaults). */
void cov_fit_rates(const cov_history *h, const cov_model *m, int cutoff, cov_fit *out);
void cov_fit_rates_opts(const cov_history *h, const cov_model *m, int cutoff, const cov_cal_opts *opts,
                        const cov_mix *mix, cov_fit *out);

/* True when at least one rate of one group was estimated; otherwise adds
 * the reasons, in figures, to d. */
bool cov_fit_any(const cov_history *h, const cov_model *m, const cov_fit *fit, cov_diag *d);

/* Loads the model, the history and, for a totals-only history against a
 * model with several groups, the group mix of o->population (without one,
 * the fit pools the groups: every group gets the same rates). False with d
 * filled; the caller frees what was loaded. */
bool cov_fit_inputs(const char *history, const char *model_path, const cov_cal_opts *o, cov_model **m,
                    cov_history **h, cov_mix **mix, cov_diag *d);

/* Writes a model file: base's groups with the fitted values and spreads,
 * after a comment block that says what data it came from and how well it
 * fits. */
bool cov_fit_write_model(FILE *f, const cov_history *h, const cov_model *base, const cov_fit *fit,
                         int cutoff);

/* --levels: fits each unit of the history's level column on its own
 * series, shrinks each unit's log rates toward the pooled fit by the
 * between-unit variance (DerSimonian-Laird; a unit with little data stays
 * near the pooled rate, a unit without its own estimate takes it), and
 * writes path (level,unit,group,enroll,enroll_sd,lapse,lapse_sd,steps,
 * enroll_weight,lapse_weight) and a table to fp (may be NULL). */
cov_status cov_fit_units_write(const char *path, const cov_history *h, const cov_model *m, int cutoff,
                               const cov_cal_opts *opts, const cov_mix *mix, const cov_fit *pooled, FILE *fp,
                               cov_diag *d);

/* The summary table of a fit (stdout of `covcast calibrate`). */
void cov_fit_print(FILE *fp, const cov_history *h, const cov_model *m, const cov_fit *fit);

#endif
