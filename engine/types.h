/* types.h — the engine's internal data structures, shared by its modules.
 * Callers outside engine/ see only the opaque types of covcast.h. */
#ifndef COV_TYPES_H
#define COV_TYPES_H

#include <stdbool.h>
#include <stdint.h>
#include "covcast.h"

#define COV_MAX_GROUPS 64
#define COV_MAX_LEVELS 8
#define COV_MAX_MONTHS 1200          /* horizon limit: 100 years */
#define COV_MAX_REPLICATES 100000000L /* replicates of one run */
#define COV_MAX_CELL_POPULATION 2000000000LL /* people in one commune and group */
#define COV_MAX_EXTRA 8              /* extra numeric population columns */
#define COV_MAX_BASE_DEPTH 8         /* [run] base = ... chain */

/* One participant group of the model (MODEL.md "Units, levels, groups"). */
typedef struct {
    char *name;
    char *label;                 /* display name, may be NULL */
    double enroll, lapse;        /* base probabilities per month */
    double enroll_sd, lapse_sd;  /* log-normal spread, one draw per replicate */
    double seasonal_enroll[12];  /* multipliers, January..December */
    double seasonal_lapse[12];
    double rate_corr;            /* correlation of the enroll and lapse factors' normals (calibration) */
    double hard_share;           /* share of the snapshot's uninsured who are hard to reach */
    double hard_enroll_factor;   /* multiplier on their enrollment hazard (< 1) */
    uint64_t key;                /* stream key: hash of the name */
} cov_group;

/* Group codes of a rates-file row besides a group index. */
enum { COV_UNIT_ALL = -1, COV_UNIT_FACTORS = -2 };

/* One row of a rates file (MODEL.md "Rates per unit in a run"). */
typedef struct {
    char *unit;
    int group;                   /* group index, COV_UNIT_ALL or COV_UNIT_FACTORS */
    double enroll, enroll_sd, lapse, lapse_sd;   /* probabilities, or hazard factors (FACTORS) */
    long line;
} cov_unit_row;

/* [units]: the rates file a model names. */
typedef struct {
    char *path;                  /* resolved against the model file */
    char *level;                 /* "commune" or a level column */
    bool missing_group;          /* missing = group: communes without a row keep the group's rates */
    int nrows;
    cov_unit_row *rows;
} cov_units_file;

typedef struct {
    char *path;
    int ngroups;
    cov_group g[COV_MAX_GROUPS];
    double commune_enroll_sd;    /* per-replicate commune random effects */
    double commune_lapse_sd;
    bool common;                 /* [common]: one factor pair shared by every group */
    double common_enroll_sd, common_lapse_sd, common_rate_corr;
    double shock_sd;             /* [common] shock_sd: SD per year of the random walk on the log hazards, 0: none */
    cov_units_file *units;       /* [units], NULL: none */
} cov_model;

/* A model's rates file matched to a population: per unit of the level and
 * group, the rates and spreads that replace the group's. */
typedef struct {
    int nunits;
    int *unit_of;                /* [ncommunes] */
    uint64_t *key;               /* [nunits] stream key of the unit */
    bool *has;                   /* [nunits][G] a row covers it; else the group's rates */
    double *p_e, *p_l;           /* [nunits][G] monthly probabilities */
    double *log1m_e, *log1m_l;   /* [nunits][G] log(1 - p) */
    double *sd_e, *sd_l;         /* [nunits][G] log-normal spreads, one draw per replicate and unit */
} cov_unit_rates;

typedef struct {
    char *name;
    char *code;                  /* commune_code, NULL when the file has none */
    uint64_t key;                /* stream key: hash of the code, else the name */
    int parent[COV_MAX_LEVELS];  /* unit index within each level */
    int64_t N[COV_MAX_GROUPS];   /* people at the snapshot, per group */
    int64_t I[COV_MAX_GROUPS];   /* insured at the snapshot, per group */
    int64_t extra[COV_MAX_EXTRA];/* extra numeric columns the scenario asked for, summed over rows */
    long line;                   /* first row in the file */
} cov_commune;

typedef struct {
    char *name;                  /* the column name, e.g. "district" */
    int nunits;
    char **units;                /* values in order of first appearance; a name two units share
                                    is shown with its outer unit: "Huyện Châu Thành (Tỉnh An Giang)" */
    char **outer;                /* each unit's name at the next coarser level ("" at the coarsest):
                                    two districts of one name in two provinces are two units */
} cov_level;

typedef struct {
    char *path;
    int ncommunes;
    cov_commune *c;
    int nlevels;
    cov_level levels[COV_MAX_LEVELS];
    int nextra;
    char *extra[COV_MAX_EXTRA];  /* names of the extra columns */
} cov_population;

/* Level codes of a target. */
enum { COV_LEVEL_COMMUNE = -1, COV_LEVEL_ALL = -2 };

typedef struct {
    char *name;                  /* section suffix: [target.NAME] */
    char *label;                 /* display name (`label =`), NULL: the name is shown */
    int level;                   /* COV_LEVEL_COMMUNE, COV_LEVEL_ALL or a level index */
    int32_t threshold;           /* hundredths of a percent: 95.5% -> 9550 */
    int deadline;                /* absolute month (year*12 + month-1) */
    int group;                   /* group index, -1 for all groups */
    int series;                  /* which tracked series it reads */
    long line;                   /* where the section starts */
} cov_target;

typedef struct {
    char *name;                  /* section suffix: [campaign.NAME] */
    char *label;                 /* display name (`label =`), NULL: the name is shown */
    uint64_t key;
    int m0, m1;                  /* absolute months, inclusive */
    bool *communes;              /* [ncommunes], NULL = all */
    bool groups[COV_MAX_GROUPS];
    double enroll_mult, enroll_sd;
    double lapse_mult, lapse_sd;
    int nramp;
    double *ramp;                /* enroll multiplier by month of the campaign; the last holds */
    bool *mask;                  /* [ncommunes][m1-m0+1] commune-months in force (allocate), NULL = all */
} cov_campaign;

/* [reclassify.NAME]: people leave one group for others (MODEL.md "Events"). */
typedef struct {
    char *name;
    uint64_t key;
    int month;                   /* absolute */
    bool *communes;              /* NULL = all */
    int from;
    int nto;
    int to[COV_MAX_GROUPS];
    double to_frac[COV_MAX_GROUPS];
    double fraction;             /* of the group, when people and column are unset */
    int64_t people;              /* -1 unless given (single commune) */
    int column;                  /* population extra column, -1 unless given */
    double keep, keep_sd;        /* P(a moved insured person keeps a valid card), logit-normal spread */
} cov_reclassify;

/* [school.NAME]: uninsured students enroll with probability enroll in a month. */
typedef struct {
    char *name;
    uint64_t key;
    int month;                   /* absolute month of a one-off drive, or -1 */
    int calendar;                /* 0..11: every year in that month, or -1 */
    bool *communes;
    bool groups[COV_MAX_GROUPS];
    double enroll, enroll_sd;    /* probability, logit-normal spread per replicate */
} cov_school;

/* [extra.NAME]: a number of extra cards issued each month in each commune
 * (a planning lever: "how many more cards a month would it take?"). */
typedef struct {
    char *name;
    int m0, m1;                  /* absolute months, inclusive */
    bool *communes;              /* NULL = all */
    bool groups[COV_MAX_GROUPS];
    double cards;                /* per commune per month, rounded to whole people */
} cov_extra;

/* [demography]: births and deaths per month. */
typedef struct {
    bool on;
    double births;               /* per person per month */
    double deaths;               /* per person per month */
    int birth_group;
    double insured_at_birth;
} cov_demography;

struct cov_scenario {
    char *path, *name, *out;
    char *label;                 /* [run] label: display name in charts, tables, the report; NULL: the name */
    int nbases;
    char **bases;                /* the [run] base files it varies, nearest first */
    int nsets;
    char **sets;                 /* the --set assignments applied, as given */
    cov_model *model;
    cov_population *pop;
    cov_unit_rates *urates;      /* the model's [units] matched to pop, NULL: none */
    char *model_path, *population_path;
    int start;                   /* snapshot month, absolute */
    int months;                  /* horizon H */
    long replicates;
    uint64_t seed;
    int threads;
    bool keep_replicates;        /* keep every replicate's series 0 in the results */
    int ntargets;
    cov_target *targets;
    int ncampaigns;
    cov_campaign *campaigns;
    int nreclass;
    cov_reclassify *reclass;
    int nschools;
    cov_school *schools;
    int nextras;
    cov_extra *extras;
    struct cov_history_s *history;   /* [run] history: what happened before the snapshot, or NULL */
    char *history_path;
    cov_demography demo;
    bool keep_hits;              /* keep each replicate's reached flag (compare) */
    char delim;                  /* population file separator, 0: detect */
    int numbers;                 /* population number convention, -1: detect */
    bool crossing_levels;        /* [run] nested_levels = no: level units by name alone */
    double precision;            /* wanted 95% half-width of every probability, 0: none */
    long max_replicates;
    double half_width;           /* the largest half-width of the last run */
    int nseries;                 /* series 0: all groups; then one per filtered group */
    int series_group[COV_MAX_GROUPS + 1];
};

/* Statistics of one unit in one month (series 0: all groups). */
typedef struct {
    double pop_mean, ins_mean, cov_mean;
    double q[5];                 /* coverage percent at 5, 25, 50, 75, 95% */
    bool pop_fixed;              /* population identical in every replicate */
} cov_month_stats;

/* One target evaluated for one unit. */
typedef struct {
    long reached, reached_by;    /* replicates at/above threshold at / by the deadline */
    bool no_people;              /* no one at the deadline in any replicate: no probability (reached counts all) */
    double cov_q[3];             /* coverage percent at the deadline: 5, 50, 95% */
    int64_t cards_now;           /* max(0, ceil(T*N/10000 - I)) at the snapshot */
    double shortfall_p50;        /* median cards short at the deadline */
    long *first;                 /* [H+2]: first month reached (0..H), H+1 = never */
    unsigned char *hit;          /* [R] reached at the deadline, when the scenario keeps them */
    int32_t ex_lo, ex_step;      /* exceedance grid: thresholds ex_lo + k*ex_step (hundredths) */
    int ex_n;
    long *ex_count;              /* [ex_n] replicates meeting each grid threshold at the deadline */
} cov_target_stats;

/* Unit numbering: communes 0..C-1, then each level's units, then "all". */
struct cov_results {
    int nunits, ncommunes, months;
    long replicates;
    int threads;
    int *unit_level;             /* COV_LEVEL_COMMUNE, a level index, COV_LEVEL_ALL */
    const char **unit_name;
    const char **unit_code;
    cov_month_stats *ms;         /* [nunits][H+1] */
    cov_target_stats **ts;       /* [ntargets][nunits], NULL where not of its level */
    int nseries;
    int64_t *rep_I, *rep_N;      /* optional [nunits][H+1][S][R]: every replicate and series */
};

/* "commune", a level column's name, or "all". */
static inline const char *cov_level_name(const cov_scenario *s, int level)
{
    return level == COV_LEVEL_COMMUNE ? "commune" : level == COV_LEVEL_ALL ? "all" : s->pop->levels[level].name;
}

/* What a person reads for a target, a campaign, a scenario: its label, else its key or name. */
static inline const char *cov_target_shown(const cov_target *t) { return t->label ? t->label : t->name; }
static inline const char *cov_campaign_shown(const cov_campaign *k) { return k->label ? k->label : k->name; }
static inline const char *cov_scenario_shown(const struct cov_scenario *s) { return s->label ? s->label : s->name; }

/* Replicate r of unit u, month m, series s in the optional rep arrays. */
static inline long cov_rep_at(const struct cov_results *res, int u, int m, int s, long r)
{
    return (((long)u * (res->months + 1) + m) * res->nseries + s) * res->replicates + r;
}

/* Absolute months: "2018-05" <-> 2018*12 + 4. */
int cov_month_parse(const char *s, int *out);
void cov_month_format(int m, char buf[8]);

#endif
