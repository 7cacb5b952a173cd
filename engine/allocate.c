/* allocate.c — `covcast allocate`: where and when to spend a budget of
 * campaign effort. One unit of effort is one commune-month of a campaign
 * section (its intensity, groups and spread); the candidates are the
 * section's communes and months. Greedy: each step adds the commune-month
 * with the largest gain in the objective, every candidate evaluated on the
 * same futures (same seed), and the result is set against spreading the
 * budget evenly. */
#include "csvwrite.h"
#include "outdir.h"
#include "stats.h"
#include "text.h"
#include "types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { int commune, month; double gain, value; } step_t;

/* The objective: P(target) for its unit when the target has one unit
 * (a district, the province), else the expected number of units reaching it.
 * A unit with no people has no probability and counts for nothing. */
static double objective(const cov_scenario *s, int t, const cov_results *r)
{
    double sum = 0;
    for (int u = 0; u < r->nunits; u++)
        if (r->unit_level[u] == s->targets[t].level && !r->ts[t][u].no_people)
            sum += (double)r->ts[t][u].reached / (double)r->replicates;
    return sum;
}

static cov_status evaluate(const cov_scenario *s, int t, double *value, cov_diag *d)
{
    cov_results *r = NULL;
    cov_status st = cov_simulate(s, &r, NULL, NULL, d);
    if (st == COV_OK) *value = objective(s, t, r);
    cov_results_free(r);
    return st;
}

typedef struct {
    const cov_scenario *s;
    const cov_campaign *k;
    step_t *steps;
    int nsteps;
    double base, even;
    const char *target;
} alloc_ctx;

static void write_allocation(FILE *f, const void *c)
{
    const alloc_ctx *x = c;
    fputs("step,commune,month,gain,objective\n", f);
    for (int i = 0; i < x->nsteps; i++) {
        char mon[8];
        cov_month_format(x->k->m0 + x->steps[i].month, mon);
        fprintf(f, "%d", i + 1);
        cov_csv_text(f, x->s->pop->c[x->steps[i].commune].name, false);
        fprintf(f, ",%s,%.4f,%.4f\n", mon, x->steps[i].gain, x->steps[i].value);
    }
    fprintf(f, "even,,,,%.4f\n", x->even);
}

cov_status cov_allocate(const char *path, const char *target, const char *campaign, long budget,
                        const cov_overrides *ov, const char *out, void *fpv, cov_diag *d)
{
    FILE *fp = fpv;
    cov_scenario *s = cov_scenario_load(path, ov, d);
    if (!s) return d->status ? d->status : COV_EINPUT;
    cov_status st = COV_OK;
    int t = -1, kc = -1;
    for (int i = 0; i < s->ntargets; i++) if (!strcmp(s->targets[i].name, target)) t = i;
    for (int i = 0; i < s->ncampaigns; i++) if (!strcmp(s->campaigns[i].name, campaign)) kc = i;
    if (t < 0 || kc < 0) {
        cov_diag_add(d, COV_EUSAGE, s->path, 0, 0, 0, t < 0 ? "the scenario has no [target.%s]" : "the scenario has no [campaign.%s]",
                     t < 0 ? target : campaign);
        cov_scenario_free(s);
        return COV_EUSAGE;
    }
    cov_campaign *k = &s->campaigns[kc];
    int C = s->pop->ncommunes, M = k->m1 - k->m0 + 1;
    long ncand = 0;
    for (int c = 0; c < C; c++) if (!k->communes || k->communes[c]) ncand += M;
    if (budget < 0 || budget > ncand) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "--budget must be from 0 to %ld, the commune-months of [campaign.%s]",
                     ncand, campaign);
        cov_scenario_free(s);
        return COV_EUSAGE;
    }
    k->mask = calloc((size_t)C * (size_t)M, sizeof *k->mask);
    step_t *steps = calloc((size_t)budget + 1, sizeof *steps);
    alloc_ctx x = { s, k, steps, 0, 0, 0, target };
    if (!k->mask || !steps) { st = COV_ELIMIT; cov_diag_add(d, st, NULL, 0, 0, 0, "out of memory"); goto done; }
    if ((st = evaluate(s, t, &x.base, d)) != COV_OK) goto done;
    double current = x.base;
    /* the runs: the base, each step's remaining candidates, the even spread */
    double runs = 2 + (double)budget * (double)ncand - (double)budget * (double)(budget - 1) / 2, made = 1;
    for (long b = 0; b < budget; b++) {
        int best = -1;
        double best_v = -1;
        for (int c = 0; c < C; c++) {
            if (k->communes && !k->communes[c]) continue;
            for (int m = 0; m < M; m++) {
                bool *cell = &k->mask[(long)c * M + m];
                if (*cell) continue;
                *cell = true;
                double v;
                st = evaluate(s, t, &v, d);
                *cell = false;
                cov_ask_report(++made / runs);
                if (st != COV_OK) goto done;
                if (v > best_v) { best_v = v; best = c * M + m; }   /* ties: the first in file order */
            }
        }
        k->mask[best] = true;
        steps[x.nsteps++] = (step_t){ best / M, best % M, best_v - current, best_v };
        current = best_v;
        if (fp) {
            char mon[8];
            cov_month_format(k->m0 + best % M, mon);
            fprintf(fp, "  %2ld. %s, %s: %+.4f -> %.4f\n", b + 1, cov_term(s->pop->c[best / M].name), mon,
                    steps[x.nsteps - 1].gain, best_v);
        }
    }
    /* the even spread: commune by commune in file order, each one's months in order, round robin */
    memset(k->mask, 0, (size_t)C * (size_t)M);
    long given = 0;
    for (int m = 0; m < M && given < budget; m++)
        for (int c = 0; c < C && given < budget; c++)
            if (!k->communes || k->communes[c]) { k->mask[(long)c * M + m] = true; given++; }
    if ((st = evaluate(s, t, &x.even, d)) != COV_OK) goto done;
    cov_ask_report(1.0);
    {
        cov_outdir *od = cov_outdir_begin(out, d);
        if (!od) st = COV_EIO;
        else if (!cov_outdir_file(od, "allocation.csv", write_allocation, &x, d)) { cov_outdir_abort(od); st = COV_EIO; }
        else st = cov_outdir_commit(od, d);
    }
    if (st == COV_OK && fp) {
        int lv = s->targets[t].level;
        int units = lv == COV_LEVEL_COMMUNE ? C : lv == COV_LEVEL_ALL ? 1 : s->pop->levels[lv].nunits;
        if (units == 1) {   /* a probability: with its Monte Carlo interval */
            double R = (double)s->replicates, l[3], h[3], v[3] = { x.base, current, x.even };
            for (int i = 0; i < 3; i++) cov_wilson(lround(v[i] * R), s->replicates, &l[i], &h[i]);
            fprintf(fp, "\nProbability of [target.%s]: %.3f (%.3f–%.3f) with nothing spent, %.3f (%.3f–%.3f) "
                        "allocated as above, %.3f (%.3f–%.3f) spread evenly (%ld replicates, the same futures for each).\n",
                    cov_term(target), v[0], l[0], h[0], v[1], l[1], h[1], v[2], l[2], h[2], s->replicates);
        } else {
            fprintf(fp, "\nExpected number of units reaching [target.%s]: %.2f with nothing spent, %.2f allocated as "
                        "above, %.2f spread evenly (%ld replicates, the same futures for each).\n",
                    cov_term(target), x.base, current, x.even, s->replicates);
        }
    }
done:
    free(steps);
    cov_scenario_free(s);
    return st;
}
