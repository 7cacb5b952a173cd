/* backtest.c — `covcast backtest`: would forecasts made this way have been
 * right about as often as they claimed? For each cut-off month that leaves
 * K months after it, the rates are fitted on the months up to the cut-off,
 * the communes projected K months from their state at the cut-off, and the
 * projection set against what happened: the share of held-out commune-months
 * inside each nominal interval, and the Brier score and reliability of the
 * probabilities of crossing thresholds. */
#include "history.h"
#include "load.h"
#include "outdir.h"
#include "stats.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const double NOMINAL[4] = { 0.50, 0.80, 0.90, 0.95 };
#define NBINS 10

typedef struct {
    long inside[4], n;                 /* interval hits over held-out commune-months */
    double brier;
    long nprob;
    double bin_sum[NBINS];             /* forecast sums, outcomes, counts per bin */
    long bin_hit[NBINS], bin_n[NBINS];
    int cutoffs;
} tally;

/* The commune's total at month m over its group series: -1 when a series
 * lacks that month. */
static bool commune_at(const cov_history *h, const char *name, int m, int64_t *N, int64_t *I)
{
    *N = *I = 0;
    bool any = false;
    for (int k = 0; k < h->nseries; k++) {
        if (strcmp(h->s[k].commune, name)) continue;
        int j = 0;
        while (j < h->s[k].n && h->s[k].month[j] < m) j++;
        if (j == h->s[k].n || h->s[k].month[j] != m) return false;
        *N += h->s[k].N[j];
        *I += h->s[k].I[j];
        any = true;
    }
    return any;
}

/* One cut-off: fit, write model, population and scenario into dir, run, compare. */
static cov_status one_cutoff(const cov_history *h, const cov_model *m, const cov_cal_opts *copts, const cov_mix *mix,
                             int cut, int K, long R, uint64_t seed, const char *dir, tally *t, cov_diag *d)
{
    cov_fit fit;
    cov_fit_rates_opts(h, m, cut, copts, mix, &fit);
    char path[4200];
    snprintf(path, sizeof path, "%s/model.ini", dir);
    FILE *f = fopen(path, "w");
    if (!f) { cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot write: %s", strerror(errno)); return COV_EIO; }
    cov_fit_write_model(f, h, m, &fit, cut);
    fclose(f);
    snprintf(path, sizeof path, "%s/population.csv", dir);
    f = fopen(path, "w");
    if (!f) { cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot write: %s", strerror(errno)); return COV_EIO; }
    fputs("commune,group,population,insured\n", f);
    int rows = 0;
    for (int k = 0; k < h->nseries; k++) {
        const cov_hseries *s = &h->s[k];
        int64_t N, I;
        if (!commune_at(h, s->commune, cut, &N, &I)) continue;   /* the whole commune must report at the cut */
        for (int j = 0; j < s->n; j++)
            if (s->month[j] == cut) {
                int64_t Ng[COV_MAX_GROUPS], Ig[COV_MAX_GROUPS];
                int ng = s->group < 0 && mix ? m->ngroups : 1;
                if (ng > 1) cov_mix_split(mix, s, s->N[j], s->I[j], Ng, Ig);   /* totals: the fit's own split */
                else { Ng[0] = s->N[j]; Ig[0] = s->I[j]; }
                for (int g = 0; g < ng; g++) {
                    fputc('"', f);
                    for (const char *p = s->commune; *p; p++) { if (*p == '"') fputc('"', f); fputc(*p, f); }
                    fprintf(f, "\",%s,%lld,%lld\n", s->group >= 0 ? m->g[s->group].name : m->g[g].name,
                            (long long)Ng[g], (long long)Ig[g]);
                    rows++;
                }
            }
    }
    fclose(f);
    if (rows == 0) return COV_OK;
    char cm[8];
    cov_month_format(cut, cm);
    snprintf(path, sizeof path, "%s/scenario.ini", dir);
    f = fopen(path, "w");
    if (!f) { cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot write: %s", strerror(errno)); return COV_EIO; }
    fprintf(f, "[run]\npopulation = population.csv\nmodel = model.ini\nstart = %s\nmonths = %d\nreplicates = %ld\n"
               "seed = %llu\n", cm, K, R, (unsigned long long)seed);
    fclose(f);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1, .threads = 0 };
    cov_scenario *s = cov_scenario_load(path, &ov, d);
    if (!s) return d->status ? d->status : COV_EINPUT;
    cov_results *r = NULL;
    cov_status st = cov_simulate(s, &r, NULL, NULL, d);
    if (st != COV_OK) { cov_scenario_free(s); return st; }
    double *x = malloc((size_t)R * sizeof *x);
    for (int u = 0; x && u < r->ncommunes; u++) {
        for (int mm = 1; mm <= K; mm++) {
            int64_t N, I;
            if (!commune_at(h, r->unit_name[u], cut + mm, &N, &I) || N == 0) continue;
            double obs = (double)I / (double)N;
            for (long k = 0; k < R; k++) {
                long at = cov_rep_at(r, u, mm, 0, k);
                x[k] = r->rep_N[at] ? (double)r->rep_I[at] / (double)r->rep_N[at] : 0;
            }
            for (int q = 0; q < 4; q++) {
                double probs[2] = { (1 - NOMINAL[q]) / 2, (1 + NOMINAL[q]) / 2 }, lim[2];
                cov_quantiles(x, R, probs, 2, lim);
                t->inside[q] += obs >= lim[0] - 1e-12 && obs <= lim[1] + 1e-12;
            }
            t->n++;
            if (mm != K) continue;
            /* thresholds at the forecast's median and half a point either side: forecasts from
             * unlikely to likely, so the reliability table has something to say */
            double half = 0.5, med;
            cov_quantiles(x, R, &half, 1, &med);
            for (int step = -50; step <= 50; step += 50) {
                int32_t T = (int32_t)lround(10000.0 * med) + step;
                if (T > 10000 || T < 0) continue;
                long hit = 0;
                for (long k = 0; k < R; k++) {
                    long at = cov_rep_at(r, u, mm, 0, k);
                    hit += cov_reached(r->rep_I[at], r->rep_N[at], T);
                }
                double pf = (double)hit / (double)R;
                int o = cov_reached(I, N, T);
                t->brier += (pf - o) * (pf - o);
                t->nprob++;
                int b = pf >= 1 ? NBINS - 1 : (int)(pf * NBINS);
                t->bin_sum[b] += pf; t->bin_hit[b] += o; t->bin_n[b]++;
            }
        }
    }
    free(x);
    t->cutoffs++;
    cov_results_free(r);
    cov_scenario_free(s);
    return COV_OK;
}

static void write_intervals(FILE *f, const void *c)
{
    const tally *t = c;
    fputs("interval,nominal,observed,n\n", f);
    for (int q = 0; q < 4; q++)
        fprintf(f, "%.0f%%,%.2f,%.4f,%ld\n", 100 * NOMINAL[q], NOMINAL[q],
                t->n ? (double)t->inside[q] / (double)t->n : 0, t->n);
}

static void write_reliability(FILE *f, const void *c)
{
    const tally *t = c;
    fputs("forecast_bin,forecast_mean,observed_rate,n\n", f);
    for (int b = 0; b < NBINS; b++)
        if (t->bin_n[b])
            fprintf(f, "%.1f-%.1f,%.4f,%.4f,%ld\n", (double)b / NBINS, (double)(b + 1) / NBINS,
                    t->bin_sum[b] / (double)t->bin_n[b], (double)t->bin_hit[b] / (double)t->bin_n[b], t->bin_n[b]);
    fprintf(f, "brier,%.5f,,%ld\n", t->nprob ? t->brier / (double)t->nprob : 0, t->nprob);
}

/* Does any series report month m? */
static bool reported(const cov_history *h, int m)
{
    for (int k = 0; k < h->nseries; k++)
        for (int j = 0; j < h->s[k].n && h->s[k].month[j] <= m; j++)
            if (h->s[k].month[j] == m) return true;
    return false;
}

cov_status cov_backtest(const char *history, const char *model_path, const struct cov_cal_opts *copts, int K, long R,
                        uint64_t seed, const char *out, void *fpv, cov_diag *d)
{
    FILE *fp = fpv;
    cov_model *m;
    cov_history *h;
    cov_mix *mix;
    if (!cov_fit_inputs(history, model_path, copts, &m, &h, &mix, d)) {
        cov_history_free(h);
        cov_model_free(m);
        return d->status ? d->status : COV_EINPUT;
    }
    tally t = { 0 };
    cov_status st = COV_OK;
    char dir[] = "/tmp/covcast-backtest-XXXXXX";
    if (!mkdtemp(dir)) { cov_diag_add(d, COV_EIO, NULL, 0, 0, 0, "cannot make a working folder"); st = COV_EIO; }
    int first = h->first + 6;   /* at least six months of steps to fit on */
    if (st == COV_OK && first + K > h->last) {
        cov_diag_add(d, COV_EINPUT, history, 0, 0, 0,
                     "the history is too short: a backtest needs 6 months to fit on and %d to hold out", K);
        st = COV_EINPUT;
    }
    bool tty = fp && isatty(2);
    int ncut = 0;   /* reported months tried as cut-offs */
    for (int cut = first; st == COV_OK && cut + K <= h->last; cut++) {
        if (tty) { char a[8]; cov_month_format(cut, a); fprintf(stderr, "\rcovcast: cut-off %s…", a); fflush(stderr); }
        if (reported(h, cut)) ncut++;
        if (reported(h, cut)) st = one_cutoff(h, m, copts, mix, cut, K, R, seed, dir, &t, d);   /* cut-offs at reported months */
    }
    if (tty) fputc('\n', stderr);
    if (st == COV_OK && t.n == 0) {   /* no point to score: no figures (0% inside, a perfect Brier) are written */
        cov_diag_add(d, COV_EINPUT, history, 0, 0, 0,
                     "nothing to score, so nothing was written: of %d cut-off%s (reported months with 6 months of "
                     "history before them and %d after), none has a commune reported both at the cut-off and in "
                     "the %d month%s after it", ncut, ncut == 1 ? "" : "s", K, K, K == 1 ? "" : "s");
        st = COV_EINPUT;
    }
    static const char *tmpfiles[3] = { "model.ini", "population.csv", "scenario.ini" };
    for (int i = 0; i < 3; i++) {
        char p[200];
        snprintf(p, sizeof p, "%s/%s", dir, tmpfiles[i]);
        remove(p);
    }
    rmdir(dir);
    if (st == COV_OK) {
        cov_outdir *od = cov_outdir_begin(out, d);
        if (!od) st = COV_EIO;
        else if (!cov_outdir_file(od, "backtest.csv", write_intervals, &t, d)
                 || !cov_outdir_file(od, "reliability.csv", write_reliability, &t, d)) { cov_outdir_abort(od); st = COV_EIO; }
        else st = cov_outdir_commit(od, d);
    }
    if (st == COV_OK && fp) {
        fprintf(fp, "%d cut-offs, %ld held-out commune-months, %d months ahead, %ld replicates each\n\n",
                t.cutoffs, t.n, K, R);
        fputs("interval   nominal   observed   (share of held-out points inside; the margin would hold for\n"
              "                                independent points: overlapping cut-offs make it wider)\n", fp);
        for (int q = 0; q < 4; q++) {
            double o = t.n ? (double)t.inside[q] / (double)t.n : 0;
            fprintf(fp, "%5.0f%%     %5.2f     %5.3f      ± %.3f\n", 100 * NOMINAL[q], NOMINAL[q], o,
                    t.n ? 1.96 * sqrt(NOMINAL[q] * (1 - NOMINAL[q]) / (double)t.n) : 0);
        }
        fprintf(fp, "\nBrier score of P(coverage >= x) at %d months, x at the forecast median and half a point\n"
                    "either side: %.4f over %ld forecasts (0 is perfect, 0.25 a coin; reliability.csv has the table)\n",
                K, t.nprob ? t.brier / (double)t.nprob : 0, t.nprob);
        fprintf(fp, "Written to %s/ (backtest.csv, reliability.csv)\n", out);
    }
    cov_mix_free(mix);
    cov_history_free(h);
    cov_model_free(m);
    return st;
}
