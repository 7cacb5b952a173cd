/* solve.c — `covcast solve`: the smallest value of one lever for which a
 * target's probability reaches a requested level, per unit, by a monotone
 * search over runs that share their random numbers (same seed), so the
 * probability moves with the lever and not with the noise. */
#include "csvwrite.h"
#include "outdir.h"
#include "stats.h"
#include "text.h"
#include "types.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_EVALS 40

typedef struct {
    const char *unit;
    int level;
    double lo, hi;          /* P(lo) < p <= P(hi) */
    long k_hi;              /* replicates reaching at hi */
    bool below_ok;          /* P(range low end) already >= p */
    bool reachable;
    bool no_people;         /* the unit has no one in it: no probability, nothing to solve */
} bracket;

static cov_progress_fn ask_fn;
static void *ask_arg;

void cov_ask_progress(cov_progress_fn fn, void *arg)
{
    ask_fn = fn;
    ask_arg = arg;
}

void cov_ask_report(double fraction)
{
    if (ask_fn) ask_fn(fraction, ask_arg);
}

/* evals made so far; the most still to make: each open bracket halves to tol */
static void solve_progress(const bracket *b, int n, int evals, double tol)
{
    if (!ask_fn) return;
    double left = 0;
    for (int i = 0; i < n; i++)
        if (b[i].reachable && !b[i].below_ok && b[i].hi - b[i].lo > tol) left += ceil(log2((b[i].hi - b[i].lo) / tol));
    if (left > MAX_EVALS - evals) left = MAX_EVALS - evals;
    ask_fn(left > 0 ? evals / (evals + left) : 1.0, ask_arg);
}

typedef struct {
    const char *target, *lever, *level_name;
    double p;
    long R;
    int n;
    bracket *b;
} solve_ctx;

/* Runs the scenario with lever = v; returns results (caller frees) or NULL. */
static cov_results *run_at(const char *path, const cov_overrides *ov, const char *lever, double v,
                           cov_scenario **sp, cov_diag *d)
{
    char assign[600];
    snprintf(assign, sizeof assign, "%s=%.10g", lever, v);
    const char *set[65];
    int n = 0;
    for (int i = 0; i < ov->nset && n < 64; i++) set[n++] = ov->set[i];
    set[n++] = assign;
    cov_overrides o = *ov;
    o.set = set;
    o.nset = n;
    o.out = NULL;
    *sp = cov_scenario_load(path, &o, d);
    if (!*sp) return NULL;
    cov_results *r = NULL;
    if (cov_simulate_precise(*sp, &r, NULL, NULL, d) != COV_OK) {
        cov_scenario_free(*sp);
        *sp = NULL;
        return NULL;
    }
    return r;
}

/* The status of a run that failed: interrupted (Ctrl-C), or what d says. */
static cov_status failed(const cov_diag *d)
{
    return cov_interrupted() ? COV_EINTR : d->status ? d->status : COV_EINPUT;
}

/* Spaces after name to fill 28 characters (UTF-8 aware). */
static int pad(const char *name)
{
    long w = cov_utf8_width(name, strlen(name));
    return w < 28 ? (int)(28 - w) : 0;
}

static int find_target(const cov_scenario *s, const char *name)
{
    for (int t = 0; t < s->ntargets; t++)
        if (!strcmp(s->targets[t].name, name)) return t;
    return -1;
}

static void write_solve(FILE *f, const void *c)
{
    const solve_ctx *x = c;
    fputs("target,level,unit,lever,value,probability,probability_lo,probability_hi,reachable,value_below\n", f);
    for (int i = 0; i < x->n; i++) {
        const bracket *b = &x->b[i];
        double lo, hi;
        cov_wilson(b->k_hi, x->R, &lo, &hi);
        cov_csv_text(f, x->target, true);
        cov_csv_text(f, x->level_name, false);
        cov_csv_text(f, b->unit, false);
        cov_csv_text(f, x->lever, false);
        if (b->no_people)
            fputs(",,,,,no people,\n", f);
        else if (b->reachable && b->below_ok)
            fprintf(f, ",%.6g,%.4f,%.4f,%.4f,yes,\n", b->hi, (double)b->k_hi / (double)x->R, lo, hi);
        else if (b->reachable)
            fprintf(f, ",%.6g,%.4f,%.4f,%.4f,yes,%.6g\n", b->hi, (double)b->k_hi / (double)x->R, lo, hi, b->lo);
        else
            fprintf(f, ",,%.4f,%.4f,%.4f,no,%.6g\n", (double)b->k_hi / (double)x->R, lo, hi, b->hi);
    }
}

cov_status cov_solve(const char *path, const char *target, const char *lever, double p, const char *range,
                     const cov_overrides *ov, const char *out, void *fpv, cov_diag *d)
{
    FILE *fp = fpv;
    double a = 0, z = 10;
    bool cards = !strcmp(lever, "cards");
    if (cards) { lever = "extra.cards.cards"; z = 1000; }   /* extra cards per commune per month */
    const char *key = strrchr(lever, '.');
    if (!key || key == lever) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "--lever must be SECTION.KEY (e.g. campaign.peak.enroll_multiplier), got \"%s\"", lever);
        return COV_EUSAGE;
    }
    key++;
    if (range) {
        char lo[64], hi[64];
        const char *dots = strstr(range, "..");
        if (!dots || (size_t)(dots - range) >= sizeof lo || strlen(dots + 2) >= sizeof hi) goto bad_range;
        memcpy(lo, range, (size_t)(dots - range)); lo[dots - range] = '\0';
        snprintf(hi, sizeof hi, "%s", dots + 2);
        if (!cov_parse_double(lo, &a) || !cov_parse_double(hi, &z) || !(a < z)) goto bad_range;
    } else if (cards) {
        /* 0..1000 cards a month */
    } else if (!strcmp(key, "keep") || !strcmp(key, "enroll") || !strcmp(key, "fraction")) {
        a = 0; z = 1;
    } else if (!strstr(key, "multiplier")) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "give --range LO..HI for '%s'", key);
        return COV_EUSAGE;
    }
    cov_overrides o = ov ? *ov : (cov_overrides){ .seed = -1 };
    cov_scenario *s;
    cov_results *r = run_at(path, &o, lever, z, &s, d);
    if (!r) return failed(d);
    int t = find_target(s, target);
    if (t < 0) {
        cov_diag_add(d, COV_EUSAGE, s->path, 0, 0, 0, "the scenario has no [target.%s]", target);
        cov_results_free(r); cov_scenario_free(s);
        return COV_EUSAGE;
    }
    solve_ctx x = { target, lever, NULL, p, r->replicates, 0, calloc((size_t)r->nunits, sizeof(bracket)) };
    int level = s->targets[t].level;
    char level_name[256];   /* the scenario is freed between runs */
    snprintf(level_name, sizeof level_name, "%s", cov_level_name(s, level));
    x.level_name = level_name;
    char *names = NULL;   /* unit names outlive the runs: keep copies */
    size_t nlen = 0;
    for (int u = 0; u < r->nunits; u++) nlen += strlen(r->unit_name[u]) + 1;
    names = malloc(nlen + 1);
    char *np = names;
    for (int u = 0; x.b && names && u < r->nunits; u++) {
        if (r->unit_level[u] != level) continue;
        strcpy(np, r->unit_name[u]);
        bracket *b = &x.b[x.n++];
        b->unit = np;
        np += strlen(np) + 1;
        b->lo = a; b->hi = z;
        b->k_hi = r->ts[t][u].reached;
        b->no_people = r->ts[t][u].no_people;
        b->reachable = !b->no_people && (double)b->k_hi / (double)r->replicates >= p;
    }
    cov_results_free(r); cov_scenario_free(s);
    /* the low end: units already there need nothing more */
    r = run_at(path, &o, lever, a, &s, d);
    if (!r) { free(x.b); free(names); return failed(d); }
    for (int i = 0, u = 0; u < r->nunits; u++) {
        if (r->unit_level[u] != level) continue;
        if (!x.b[i].no_people && (double)r->ts[t][u].reached / (double)r->replicates >= p) {
            x.b[i].below_ok = true; x.b[i].hi = a; x.b[i].k_hi = r->ts[t][u].reached;
        }
        i++;
    }
    cov_results_free(r); cov_scenario_free(s);
    /* bisection: each run at the middle of the widest open bracket updates every bracket it falls in */
    double tol = cards ? 1.0 : (z - a) * 1e-3;   /* whole cards */
    for (int evals = 2; evals < MAX_EVALS; evals++) {
        int w = -1;
        for (int i = 0; i < x.n; i++)
            if (x.b[i].reachable && !x.b[i].below_ok && x.b[i].hi - x.b[i].lo > tol
                && (w < 0 || x.b[i].hi - x.b[i].lo > x.b[w].hi - x.b[w].lo)) w = i;
        solve_progress(x.b, x.n, evals, tol);
        if (w < 0) break;
        double v = (x.b[w].lo + x.b[w].hi) / 2;
        if (cards) v = floor(v);
        r = run_at(path, &o, lever, v, &s, d);
        if (!r) { free(x.b); free(names); return failed(d); }
        for (int i = 0, u = 0; u < r->nunits; u++) {
            if (r->unit_level[u] != level) continue;
            bracket *b = &x.b[i++];
            if (!b->reachable || b->below_ok || v <= b->lo || v >= b->hi) continue;
            long k = r->ts[t][u].reached;
            if ((double)k / (double)r->replicates >= p) { b->hi = v; b->k_hi = k; }
            else b->lo = v;
        }
        cov_results_free(r); cov_scenario_free(s);
    }
    if (ask_fn) ask_fn(1.0, ask_arg);
    cov_status st = COV_OK;
    cov_outdir *od = cov_outdir_begin(out, d);
    if (!od) st = COV_EIO;
    else if (!cov_outdir_file(od, "solve.csv", write_solve, &x, d)) { cov_outdir_abort(od); st = COV_EIO; }
    else st = cov_outdir_commit(od, d);
    if (st == COV_OK && fp) {
        fprintf(fp, "Smallest %s giving P(%s) >= %.2f (%ld replicates, same seed for every value):\n\n",
                cov_term(lever), cov_term(target), p, x.R);
        for (int i = 0; i < x.n; i++) {
            const bracket *b = &x.b[i];
            double lo, hi;
            cov_wilson(b->k_hi, x.R, &lo, &hi);
            const char *unit = cov_term(b->unit);
            if (b->no_people)
                fprintf(fp, "  %s%*s no people: no probability to raise\n", unit, pad(unit), "");
            else if (!b->reachable)
                fprintf(fp, "  %s%*s cannot reach it in %g..%g: P = %.3f (%.3f–%.3f) at %g\n", unit, pad(unit), "", a, z,
                        (double)b->k_hi / (double)x.R, lo, hi, z);
            else if (b->below_ok)
                fprintf(fp, "  %s%*s already there at %g: P = %.3f (%.3f–%.3f)\n", unit, pad(unit), "", a,
                        (double)b->k_hi / (double)x.R, lo, hi);
            else
                fprintf(fp, "  %s%*s %.4g (P = %.3f, %.3f–%.3f; at %.4g it falls short)\n", unit, pad(unit), "", b->hi,
                        (double)b->k_hi / (double)x.R, lo, hi, b->lo);
        }
    }
    free(x.b);
    free(names);
    return st;
bad_range:
    cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "--range must be LO..HI with LO < HI (e.g. 1..10), got \"%s\"", range);
    return COV_EUSAGE;
}
