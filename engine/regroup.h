/* regroup.h — `covcast regroup`: carries a population file or a history
 * file from one set of communes to another through a crosswalk (the 2025
 * reorganisation: 10,035 communes merged or split into 3,321). Whole people
 * only; every total is conserved exactly. */
#ifndef COV_REGROUP_H
#define COV_REGROUP_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "covcast.h"

/* How an old commune split between several new ones is apportioned when the
 * crosswalk gives no share: equally, by the new units' area
 * (new_area_km2), or all to the main destination (main = 1). */
typedef enum { COV_SPLIT_EQUAL = 0, COV_SPLIT_AREA = 1, COV_SPLIT_MAIN = 2 } cov_split_rule;

typedef struct {
    const char *crosswalk;   /* CSV: old_code,new_code[,share][,names...] */
    cov_split_rule rule;
    int reform;              /* absolute month (cov_month_parse) from which a history is on the new units */
} cov_regroup_opts;

/* What a regroup did, in figures (for the summary and the tests). */
typedef struct {
    long rows_in, rows_out;
    int old_units, new_units;        /* units of the input, units written */
    int merged, split;               /* old units merged whole, split */
    int64_t people_in, people_out;   /* summed over every row (all months) */
    int64_t insured_in, insured_out;
    int64_t flows_in, flows_out;     /* new_cards + lost_cards reported */
    int64_t people_by_rule;          /* people of split communes apportioned by the rule (not by shares), summed over rows */
    int64_t people_by_share;
    int months_kept;                 /* distinct months after the reform, kept as they were */
    int incomplete;                  /* new commune-months left out: some old communes not reported that month */
} cov_regroup_stats;

/* Regroups the file in (a population file, or a history when it has a month
 * column) onto the crosswalk's new units and writes out (refused over an
 * input or a file covcast did not write). Codes are matched first, names as
 * the fallback (diacritics-insensitive, within province). Every split is
 * listed on fp (NULL: silent). COV_EINPUT with every unmatched commune in d;
 * nothing is written then. st (may be NULL) receives the figures. */
cov_status cov_regroup(const char *in, const cov_regroup_opts *o, const char *out, FILE *fp,
                       cov_regroup_stats *st, cov_diag *d);

/* Apportions total whole people over k parts in proportion to w (w >= 0,
 * not all 0) by the largest remainder: each part gets the whole part of its
 * quota, and the people left go one each to the largest fractions (ties:
 * the lower index). With cap (NULL: none), part j never exceeds cap[j]
 * (sum of caps >= total). The parts always sum to total. */
void cov_apportion(int64_t total, const double *w, int k, const int64_t *cap, int64_t *out);

#endif
