/* compare.c — several scenarios, or one scenario over a range of one value,
 * run with the same seed so that they share their random numbers (common
 * random numbers, MODEL.md): `covcast compare` and `covcast sweep`. */
#include "csvwrite.h"
#include "outdir.h"
#include "simulate.h"
#include "stats.h"
#include "text.h"
#include "types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* File name of path without folder and ".ini" (static buffer). */
static const char *base_name(const char *path)
{
    static char buf[256];
    const char *b = strrchr(path, '/');
    snprintf(buf, sizeof buf, "%s", b ? b + 1 : path);
    size_t l = strlen(buf);
    if (l > 4 && !strcmp(buf + l - 4, ".ini")) buf[l - 4] = '\0';
    return buf;
}

/* A scenario with its results. */
typedef struct {
    cov_scenario *s;
    cov_results *r;
    cov_reps *keep;      /* its replicates so far, for the next round of --precision (or NULL) */
} run_t;

/* Runs path: loads it the first time (keeping its replicates when keep is
 * set), and in later rounds of --precision runs the loaded scenario with
 * ov's replicate count, simulating only the new replicates. A Ctrl-C
 * before or between runs stops here with COV_EINTR. */
static cov_status run_one(const char *path, const cov_overrides *ov, bool hits, bool keep, run_t *out,
                          cov_diag *d)
{
    if (cov_interrupted()) return COV_EINTR;
    cov_results_free(out->r);
    out->r = NULL;
    if (out->s) {
        out->s->replicates = ov->replicates;
    } else {
        out->s = cov_scenario_load(path, ov, d);
        if (!out->s) return d->status ? d->status : COV_EINPUT;
        out->s->keep_hits = hits;
        if (keep) out->keep = cov_reps_new();
    }
    return cov_simulate_more(out->s, out->keep, &out->r, NULL, NULL, d);
}

static void run_free(run_t *x)
{
    cov_results_free(x->r);
    cov_scenario_free(x->s);
    cov_reps_free(x->keep);
}

/* The unit of results b that matches unit u of a (same level name, same unit). */
static int match_unit(const run_t *a, int u, const run_t *b)
{
    const char *lv = cov_level_name(a->s, a->r->unit_level[u]);
    for (int v = 0; v < b->r->nunits; v++)
        if (!strcmp(cov_level_name(b->s, b->r->unit_level[v]), lv)
            && !strcmp(b->r->unit_name[v], a->r->unit_name[u])) return v;
    return -1;
}

static int match_target(const run_t *a, int t, const run_t *b)
{
    for (int k = 0; k < b->s->ntargets; k++)
        if (!strcmp(b->s->targets[k].name, a->s->targets[t].name)) return k;
    return -1;
}

typedef struct { run_t *runs; int n; } compare_ctx;

/* Paired difference of two hit vectors: mean and its standard error. */
static void write_index(FILE *f, const void *c)
{
    const compare_ctx *x = c;
    fputs("folder,scenario,path,label\n", f);
    for (int i = 0; i < x->n; i++) {
        char folder[300];
        snprintf(folder, sizeof folder, "scenarios/%02d-%s", i + 1, base_name(x->runs[i].s->path));
        cov_csv_text(f, folder, true);
        cov_csv_text(f, x->runs[i].s->name, false);
        cov_csv_text(f, x->runs[i].s->path, false);
        cov_csv_text(f, x->runs[i].s->label, false);   /* last: the columns before keep their places */
        fputc('\n', f);
    }
}

static void write_compare(FILE *f, const void *c)
{
    const compare_ctx *x = c;
    const run_t *a = &x->runs[0];
    long R = a->r->replicates;
    fputs("target,level,unit,scenario,probability,difference,difference_se,difference_se_independent,label,"
          "scenario_label\n", f);
    for (int t = 0; t < a->s->ntargets; t++)
        for (int u = 0; u < a->r->nunits; u++) {
            if (a->r->unit_level[u] != a->s->targets[t].level) continue;
            const cov_target_stats *ta = &a->r->ts[t][u];
            double pa = (double)ta->reached / (double)R;
            for (int j = 0; j < x->n; j++) {
                const run_t *b = &x->runs[j];
                int tb = match_target(a, t, b), ub = tb >= 0 ? match_unit(a, u, b) : -1;
                if (ub < 0 || b->r->unit_level[ub] != b->s->targets[tb].level) continue;
                const cov_target_stats *tbs = &b->r->ts[tb][ub];
                double pb = (double)tbs->reached / (double)R, diff, se;
                cov_paired_difference(ta->hit, tbs->hit, R, &diff, &se);
                double se_ind = sqrt(pa * (1 - pa) / (double)R + pb * (1 - pb) / (double)R);
                cov_csv_text(f, a->s->targets[t].name, true);
                cov_csv_text(f, cov_level_name(a->s, a->s->targets[t].level), false);
                cov_csv_text(f, a->r->unit_name[u], false);
                cov_csv_text(f, b->s->name, false);
                if (tbs->no_people) fputs(",,,,", f);   /* no people: no probability, no difference */
                else if (ta->no_people) fprintf(f, ",%.4f,,,", pb);
                else fprintf(f, ",%.4f,%.4f,%.4f,%.4f", pb, diff, se, se_ind);
                cov_csv_text(f, a->s->targets[t].label, false);   /* the labels last: no column moves */
                cov_csv_text(f, b->s->label, false);
                fputc('\n', f);
            }
        }
}

/* The readable table: per target and unit, each scenario's probability
 * and its difference from the baseline with the paired 95% margin. */
static void print_compare(FILE *f, const compare_ctx *x)
{
    const run_t *a = &x->runs[0];
    long R = a->r->replicates;
    fprintf(f, "Baseline %s; %ld replicates, seed %llu, the same futures for every scenario\n",
            cov_term(cov_scenario_shown(a->s)), R, (unsigned long long)a->s->seed);
    for (int t = 0; t < a->s->ntargets; t++)
        for (int u = 0; u < a->r->nunits; u++) {
            if (a->r->unit_level[u] != a->s->targets[t].level) continue;
            const cov_target_stats *ta = &a->r->ts[t][u];
            fprintf(f, "\n%s, %s:\n", cov_term(cov_target_shown(&a->s->targets[t])), cov_term(a->r->unit_name[u]));
            for (int j = 0; j < x->n; j++) {
                const run_t *b = &x->runs[j];
                int tb = match_target(a, t, b), ub = tb >= 0 ? match_unit(a, u, b) : -1;
                if (ub < 0 || b->r->unit_level[ub] != b->s->targets[tb].level) {
                    fprintf(f, "  %-28s (no such target or unit)\n", cov_term(cov_scenario_shown(b->s)));
                    continue;
                }
                const cov_target_stats *tbs = &b->r->ts[tb][ub];
                double diff, se;
                cov_paired_difference(ta->hit, tbs->hit, R, &diff, &se);
                double lo, hi;
                cov_wilson(tbs->reached, R, &lo, &hi);
                if (tbs->no_people) {   /* a unit with no people has no probability */
                    fprintf(f, "  %-28s no people\n", cov_term(cov_scenario_shown(b->s)));
                    continue;
                }
                fprintf(f, "  %-28s P = %.3f (%.3f–%.3f)", cov_term(cov_scenario_shown(b->s)), (double)tbs->reached / (double)R, lo, hi);
                if (j > 0 && !ta->no_people) fprintf(f, "   %+.3f ± %.3f against the baseline", diff, 1.96 * se);
                fputc('\n', f);
            }
        }
}

cov_status cov_compare(const char **paths, int n, const cov_overrides *ov, const char *out,
                       void *table_fp, cov_diag *d)
{
    run_t *runs = calloc((size_t)n, sizeof *runs);
    if (!runs) { cov_diag_add(d, COV_ELIMIT, NULL, 0, 0, 0, "out of memory"); return COV_ELIMIT; }
    cov_status st = COV_OK;
    cov_overrides o = ov ? *ov : (cov_overrides){ .seed = -1 };
    o.out = NULL;
    double E = o.precision;
    o.precision = 0;
    for (;;) {   /* rounds: with --precision, more replicates for every scenario until all are precise */
        double widest = 0;
        for (int i = 0; i < n && st == COV_OK; i++) {
            st = run_one(paths[i], &o, true, E > 0, &runs[i], d);
            if (i == 0 && st == COV_OK) {   /* every scenario shares the first one's seed and count */
                o.seed = (int64_t)runs[0].s->seed;
                o.replicates = runs[0].s->replicates;
            }
            for (int t = 0; st == COV_OK && t < runs[i].s->ntargets; t++)
                for (int u = 0; u < runs[i].r->nunits; u++) {
                    if (runs[i].r->unit_level[u] != runs[i].s->targets[t].level) continue;
                    double lo, hi;
                    cov_wilson(runs[i].r->ts[t][u].reached, runs[i].r->replicates, &lo, &hi);
                    widest = fmax(widest, (hi - lo) / 2);
                }
        }
        long cap = o.max_replicates > 0 ? o.max_replicates : 1000000;
        if (st != COV_OK || E <= 0 || widest <= E || o.replicates >= cap) {
            if (st == COV_OK && E > 0 && table_fp)
                fprintf(table_fp, widest <= E ? "Precision: every probability within ±%.4f with %ld replicates.\n"
                                              : "Precision NOT reached: ±%.4f with %ld replicates (the cap).\n",
                        widest, o.replicates);
            break;
        }
        double need = fmin(1e15, (double)o.replicates * pow(widest / E, 2) * 1.1);   /* a long holds it */
        long next = (long)fmax(2.0 * (double)o.replicates, ceil(need / 1000.0) * 1000.0);
        o.replicates = next < cap ? next : cap;   /* the next round adds replicates to each run */
    }
    if (st == COV_OK && cov_interrupted()) st = COV_EINTR;   /* a Ctrl-C after the last run: nothing written */
    if (st == COV_OK) {
        cov_outdir *od = cov_outdir_begin(out, d);
        compare_ctx c = { runs, n };
        bool ok = od && cov_outdir_file(od, "compare.csv", write_compare, &c, d)
               && cov_outdir_file(od, "scenarios.csv", write_index, &c, d)
               && cov_outdir_mkdir(od, "scenarios", d);
        for (int i = 0; ok && i < n; i++) {   /* each scenario's own tables, for the charts */
            char sub[600];
            snprintf(sub, sizeof sub, "scenarios/%02d-%s", i + 1, base_name(runs[i].s->path));
            ok = cov_results_write_into(od, sub, runs[i].r, runs[i].s, d);
        }
        if (!od) st = COV_EIO;
        else if (!ok) { cov_outdir_abort(od); st = COV_EIO; }
        else st = cov_outdir_commit(od, d);
        if (st == COV_OK && table_fp) print_compare(table_fp, &c);
    }
    for (int i = 0; i < n; i++) run_free(&runs[i]);
    free(runs);
    return st;
}

/* Parses "SECTION.KEY=FROM..TO:STEP" into the assignment's left side and
 * the values; at most 1000 values. */
static bool sweep_range(const char *spec, char *lhs, size_t n, double *from, double *to, double *step)
{
    const char *eq = strchr(spec, '='), *dots = eq ? strstr(eq, "..") : NULL, *colon = dots ? strchr(dots, ':') : NULL;
    if (!eq || !dots || !colon || (size_t)(eq - spec) + 1 > n) return false;
    memcpy(lhs, spec, (size_t)(eq - spec));
    lhs[eq - spec] = '\0';
    char a[64], b[64];
    if ((size_t)(dots - eq - 1) >= sizeof a || (size_t)(colon - dots - 2) >= sizeof b) return false;
    memcpy(a, eq + 1, (size_t)(dots - eq - 1)); a[dots - eq - 1] = '\0';
    memcpy(b, dots + 2, (size_t)(colon - dots - 2)); b[colon - dots - 2] = '\0';
    return cov_parse_double(a, from) && cov_parse_double(b, to) && cov_parse_double(colon + 1, step)
        && *step > 0 && *to >= *from && (*to - *from) / *step <= 999.5;
}

typedef struct { double *values; run_t *runs; int n; const char *lever; } sweep_ctx;

/* The label of the campaign a sweep's lever sets (campaign.NAME.KEY), or
 * NULL: another lever, or a campaign without one. */
static const char *lever_label(const cov_scenario *s, const char *lever)
{
    const char *dot = strrchr(lever, '.');
    if (strncmp(lever, "campaign.", 9) || !dot || dot < lever + 9) return NULL;
    size_t n = (size_t)(dot - lever - 9);
    for (int k = 0; k < s->ncampaigns; k++)
        if (strlen(s->campaigns[k].name) == n && !strncmp(s->campaigns[k].name, lever + 9, n))
            return s->campaigns[k].label;
    return NULL;
}

static void write_sweep(FILE *f, const void *c)
{
    const sweep_ctx *x = c;
    fputs("value,target,level,unit,probability,probability_lo,probability_hi,coverage_p50,lever,label,lever_label\n", f);
    for (int i = 0; i < x->n; i++) {
        const run_t *a = &x->runs[i];
        long R = a->r->replicates;
        for (int t = 0; t < a->s->ntargets; t++)
            for (int u = 0; u < a->r->nunits; u++) {
                if (a->r->unit_level[u] != a->s->targets[t].level) continue;
                const cov_target_stats *ts = &a->r->ts[t][u];
                double lo, hi;
                cov_wilson(ts->reached, R, &lo, &hi);
                fprintf(f, "%.10g", x->values[i]);
                cov_csv_text(f, a->s->targets[t].name, false);
                cov_csv_text(f, cov_level_name(a->s, a->s->targets[t].level), false);
                cov_csv_text(f, a->r->unit_name[u], false);
                if (ts->no_people) fputs(",,,,", f);   /* no people: no probability */
                else fprintf(f, ",%.4f,%.4f,%.4f,%.4f", (double)ts->reached / (double)R, lo, hi, ts->cov_q[1]);
                cov_csv_text(f, x->lever, false);
                cov_csv_text(f, a->s->targets[t].label, false);   /* the labels last: no column moves */
                cov_csv_text(f, lever_label(a->s, x->lever), false);
                fputc('\n', f);
            }
    }
}

cov_status cov_sweep(const char *path, const char *spec, const cov_overrides *ov, const char *out,
                     void *table_fp, cov_diag *d)
{
    char lhs[512];
    double from, to, step;
    if (!sweep_range(spec, lhs, sizeof lhs, &from, &to, &step)) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0,
                     "sweep needs --set SECTION.KEY=FROM..TO:STEP with FROM <= TO, STEP > 0 and at most "
                     "1000 values (e.g. --set campaign.peak.enroll_multiplier=1..3:0.5), got \"%s\"", spec);
        return COV_EUSAGE;
    }
    int n = (int)floor((to - from) / step + 1e-9) + 1;
    sweep_ctx c = { calloc((size_t)n, sizeof(double)), calloc((size_t)n, sizeof(run_t)), 0, lhs };
    cov_overrides o = ov ? *ov : (cov_overrides){ .seed = -1 };
    o.out = NULL;
    const char **set = calloc((size_t)o.nset + 1, sizeof *set);
    cov_status st = c.values && c.runs && set ? COV_OK : COV_ELIMIT;
    char assign[600];
    for (int i = 0; i < o.nset && set; i++) set[i] = o.set[i];
    for (int i = 0; i < n && st == COV_OK; i++) {
        c.values[i] = from + step * i;
        snprintf(assign, sizeof assign, "%s=%.10g", lhs, c.values[i]);
        set[o.nset] = assign;
        cov_overrides oi = o;
        oi.set = set;
        oi.nset = o.nset + 1;
        st = run_one(path, &oi, false, false, &c.runs[i], d);
        c.n = i + 1;
        if (table_fp && st == COV_OK)
            fprintf(table_fp, "%s = %.10g: done\n", cov_term(lhs), c.values[i]);
    }
    if (st == COV_OK && cov_interrupted()) st = COV_EINTR;   /* a Ctrl-C after the last run: nothing written */
    if (st == COV_OK) {
        cov_outdir *od = cov_outdir_begin(out, d);
        if (!od) st = COV_EIO;
        else if (!cov_outdir_file(od, "sweep.csv", write_sweep, &c, d)) { cov_outdir_abort(od); st = COV_EIO; }
        else st = cov_outdir_commit(od, d);
        if (st == COV_OK && table_fp) write_sweep(table_fp, &c);
    } else if (st == COV_ELIMIT && !d->n) {
        cov_diag_add(d, COV_ELIMIT, NULL, 0, 0, 0, "out of memory");
    }
    for (int i = 0; i < c.n; i++) run_free(&c.runs[i]);
    free(c.runs); free(c.values); free(set);
    return st;
}
