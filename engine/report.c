/* report.c — the readable targets table printed after a run, as leadership
 * reads it: one line per target and unit, riskiest first. */
#include "stats.h"
#include "text.h"
#include "types.h"
#include "lang.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINES_PER_TARGET 15

/* Prints s padded with spaces to w characters (UTF-8 aware). */
static void pad(FILE *f, const char *s, long w)
{
    fputs(s, f);
    long n = cov_utf8_width(s, strlen(s));
    if (n >= w) fputc(' ', f);   /* a text wider than its column is still followed by a space */
    for (; n < w; n++) fputc(' ', f);
}

/* Plain-language reading of a probability (the bands of lang.c, stated in the README). */
static const char *verdict(double p)
{
    return cov_lang_get("en")->verdict[cov_verdict(p)];
}


static const cov_results *sort_res;
static int sort_t;
/* Riskiest first; units with no people (no probability) last. */
static int by_probability(const void *a, const void *b)
{
    const cov_target_stats *ta = &sort_res->ts[sort_t][*(const int *)a], *tb = &sort_res->ts[sort_t][*(const int *)b];
    if (ta->no_people != tb->no_people) return ta->no_people ? 1 : -1;
    long ra = ta->reached, rb = tb->reached;
    return ra < rb ? -1 : ra > rb ? 1 : *(const int *)a - *(const int *)b;
}

void cov_precision_print(const cov_scenario *s, void *fpv)
{
    FILE *f = fpv;
    if (s->half_width <= s->precision)
        fprintf(f, "\nPrecision: every probability is within ±%.4f (95%% interval) with %ld replicates.\n",
                s->half_width, s->replicates);
    else
        fprintf(f, "\nPrecision NOT reached: the widest interval is ±%.4f with %ld replicates (the cap); "
                   "you asked for ±%.4f. Raise --max-replicates.\n", s->half_width, s->replicates, s->precision);
}

void cov_results_print(const cov_results *res, const cov_scenario *s, void *fpv)
{
    FILE *f = fpv;
    char start[8];
    cov_month_format(s->start, start);
    fprintf(f, "covcast %s: %s — %ld replicates, seed %llu, snapshot %s, %d months\n",
            COV_VERSION, cov_term(cov_scenario_shown(s)), res->replicates, (unsigned long long)s->seed, start, s->months);
    if (s->ntargets == 0) {
        fputs("No targets in this scenario: see trajectories.csv for the projections.\n", f);
        return;
    }
    long wname = 4;
    for (int u = 0; u < res->nunits; u++) {
        const char *name = cov_term(res->unit_name[u]);
        long w = cov_utf8_width(name, strlen(name));
        if (w > wname) wname = w;
    }
    if (wname > 40) wname = 40;
    long wtarget = 6, wthr = 9;
    for (int t = 0; t < s->ntargets; t++) {
        const char *name = cov_term(cov_target_shown(&s->targets[t]));
        long w = cov_utf8_width(name, strlen(name));
        if (w > wtarget) wtarget = w;
        if (s->targets[t].group >= 0) {
            name = cov_term(s->model->g[s->targets[t].group].name);
            w = 8 + cov_utf8_width(name, strlen(name));
            if (w > wthr) wthr = w;
        }
    }
    fputc('\n', f);
    pad(f, "target", wtarget + 2); pad(f, "unit", wname + 2); pad(f, "threshold", wthr + 2); pad(f, "deadline", 10);
    pad(f, "P(reached)", 12); pad(f, "95% interval", 16); pad(f, "verdict", 15);
    pad(f, "median", 10); fputs("cards needed now\n", f);
    int *order = malloc((size_t)res->nunits * sizeof *order);
    if (!order) return;
    for (int t = 0; t < s->ntargets; t++) {
        const cov_target *tg = &s->targets[t];
        int n = 0;
        for (int u = 0; u < res->nunits; u++)
            if (res->unit_level[u] == tg->level) order[n++] = u;
        sort_res = res; sort_t = t;
        qsort(order, (size_t)n, sizeof *order, by_probability);
        /* a name of several communes (Xã Bình Minh of four provinces on the
         * 2025 map) is shown with its code */
        const char **keys = malloc((size_t)(n > 0 ? n : 1) * sizeof *keys);
        bool *shared = calloc((size_t)(n > 0 ? n : 1), sizeof *shared);
        for (int i = 0; keys && i < n; i++) keys[i] = res->unit_name[order[i]];
        if (keys && shared && !cov_mark_shared(keys, n, shared)) memset(shared, 0, (size_t)n * sizeof *shared);
        free(keys);
        char thr[32], dl[8];
        snprintf(thr, sizeof thr, "%d.%02d%%%s%s", tg->threshold / 100, tg->threshold % 100,
                 tg->group >= 0 ? " " : "", tg->group >= 0 ? cov_term(s->model->g[tg->group].name) : "");
        cov_month_format(tg->deadline, dl);
        for (int i = 0; i < n && i < MAX_LINES_PER_TARGET; i++) {
            const cov_target_stats *ts = &res->ts[t][order[i]];
            double p = (double)ts->reached / (double)res->replicates, lo, hi;
            cov_wilson(ts->reached, res->replicates, &lo, &hi);
            char buf[64], name[128];
            cov_term_into(res->unit_name[order[i]], name, sizeof name);
            if (shared && shared[i] && res->unit_code[order[i]] && *res->unit_code[order[i]]) {
                size_t len = strlen(name);
                snprintf(name + len, sizeof name - len, " (%s)", cov_term(res->unit_code[order[i]]));
            }
            pad(f, cov_term(cov_target_shown(tg)), wtarget + 2); pad(f, name, wname + 2); pad(f, thr, wthr + 2); pad(f, dl, 10);
            if (ts->no_people) {   /* a unit with no one in it has no probability (README) */
                pad(f, "—", 12); pad(f, "—", 16); pad(f, "no people", 15); pad(f, "—", 10);
            } else {
                snprintf(buf, sizeof buf, "%.3f", p); pad(f, buf, 12);
                snprintf(buf, sizeof buf, "%.3f–%.3f", lo, hi); pad(f, buf, 16);
                pad(f, verdict(p), 15);
                snprintf(buf, sizeof buf, "%.2f%%", ts->cov_q[1]); pad(f, buf, 10);
            }
            cov_fmt_int(cov_lang_get("en"), ts->cards_now, buf, sizeof buf);
            fprintf(f, "%s\n", buf);
        }
        if (n > MAX_LINES_PER_TARGET)
            fprintf(f, "%*s… and %d more units, listed in targets.csv\n", (int)wtarget + 2, "", n - MAX_LINES_PER_TARGET);
        free(shared);
    }
    free(order);
}
