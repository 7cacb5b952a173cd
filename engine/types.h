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
#define COV_MAX_CELL_POPULATION 2000000000LL /* people in one commune and group */

/* One participant group of the model (MODEL.md "Units, levels, groups"). */
typedef struct {
    char *name;
    char *label;                 /* display name, may be NULL */
    double enroll, lapse;        /* base probabilities per month */
    double enroll_sd, lapse_sd;  /* log-normal spread, one draw per replicate */
    double seasonal_enroll[12];  /* multipliers, January..December */
    double seasonal_lapse[12];
    uint64_t key;                /* stream key: hash of the name */
} cov_group;

typedef struct {
    char *path;
    int ngroups;
    cov_group g[COV_MAX_GROUPS];
    double commune_enroll_sd;    /* per-replicate commune random effects */
    double commune_lapse_sd;
} cov_model;

typedef struct {
    char *name;
    char *code;                  /* commune_code, NULL when the file has none */
    uint64_t key;                /* stream key: hash of the code, else the name */
    int parent[COV_MAX_LEVELS];  /* unit index within each level */
    int64_t N[COV_MAX_GROUPS];   /* people at the snapshot, per group */
    int64_t I[COV_MAX_GROUPS];   /* insured at the snapshot, per group */
    long line;                   /* first row in the file */
} cov_commune;

typedef struct {
    char *name;                  /* the column name, e.g. "district" */
    int nunits;
    char **units;                /* values in order of first appearance */
} cov_level;

typedef struct {
    char *path;
    int ncommunes;
    cov_commune *c;
    int nlevels;
    cov_level levels[COV_MAX_LEVELS];
} cov_population;

/* Level codes of a target. */
enum { COV_LEVEL_COMMUNE = -1, COV_LEVEL_ALL = -2 };

typedef struct {
    char *name;                  /* section suffix: [target.NAME] */
    int level;                   /* COV_LEVEL_COMMUNE, COV_LEVEL_ALL or a level index */
    int32_t threshold;           /* hundredths of a percent: 95.5% -> 9550 */
    int deadline;                /* absolute month (year*12 + month-1) */
    int group;                   /* group index, -1 for all groups */
    int series;                  /* which tracked series it reads */
    long line;                   /* where the section starts */
} cov_target;

typedef struct {
    char *name;                  /* section suffix: [campaign.NAME] */
    uint64_t key;
    int m0, m1;                  /* absolute months, inclusive */
    bool *communes;              /* [ncommunes], NULL = all */
    bool groups[COV_MAX_GROUPS];
    double enroll_mult, enroll_sd;
    double lapse_mult, lapse_sd;
} cov_campaign;

struct cov_scenario {
    char *path, *name, *out;
    cov_model *model;
    cov_population *pop;
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
    double cov_q[3];             /* coverage percent at the deadline: 5, 50, 95% */
    int64_t cards_now;           /* max(0, ceil(T*N/10000 - I)) at the snapshot */
    double shortfall_p50;        /* median cards short at the deadline */
    long *first;                 /* [H+2]: first month reached (0..H), H+1 = never */
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
    int64_t *rep_I, *rep_N;      /* optional [nunits][H+1][R]: every replicate, all groups */
};

/* Absolute months: "2018-05" <-> 2018*12 + 4. */
int cov_month_parse(const char *s, int *out);
void cov_month_format(int m, char buf[8]);

#endif
