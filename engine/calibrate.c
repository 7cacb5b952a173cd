/* calibrate.c — estimates each group's monthly enrollment and lapse
 * probabilities from a coverage history, with their uncertainty, and
 * writes them as a model file whose per-replicate spreads carry that
 * uncertainty into projections.
 *
 * A step runs from one reported point of a series to the next, k months
 * later, whatever k is. Every person is the two-state chain of MODEL.md, so
 * given the insured I and uninsured U at the first point, the insured k
 * months later is a sum of independent Bernoulli variables whose
 * probabilities follow from the month-by-month rates (seasonal factors
 * included): its mean and variance are exact for a fixed population, and
 * with a changing one exact in the mean, the leavers' number taken as
 * known. The population may change
 * between the points: the net change is spread evenly over the k months,
 * newcomers arrive insured with a stated share, leavers leave in proportion
 * to coverage (docs/MODEL.md, "Calibration"). The rates are fitted to these
 * k-step moments by weighted nonlinear least squares (GSL multifit_nlinear,
 * weights from the variance at the previous estimate, i.e. a
 * quasi-likelihood), on the logit scale so they stay in (0, 1); the
 * dispersion phi (Pearson chi-square per degree of freedom) widens the
 * errors when communes vary more than binomial noise. Months with card
 * flows (new_cards, lost_cards) enter as the two counts themselves.
 *
 * A rate the data cannot determine (nobody in the state it leaves, an
 * estimate that runs to the bound, or a 95% interval wider than a factor of
 * about 20) is not written as an estimate: the base model's value is kept
 * and the reason given in figures. */
#include "history.h"
#include "load.h"
#include "csvwrite.h"
#include "outdir.h"
#include "text.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_errno.h>
#include <gsl/gsl_multifit_nlinear.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_STEP 1200        /* months between two reported points */
#define JUMP_BASE 0.05       /* a population change beyond 5% in a month ... */
#define JUMP_PER_MONTH 0.005 /* ... plus 0.5% per further month is a re-registration */
#define SE_LIMIT 1.5         /* log-scale error above which a rate is not estimated (95% interval x/÷ 19) */
#define RATE_MIN 1e-6        /* a fitted monthly rate below this has run to the bound */
#define THETA_MAX 25.0       /* parameters are kept within ±25 on their scale */

typedef struct {
    double N0, I0, N1, I1;   /* people and insured at the two points */
    double E, L;             /* card flows of the month (k = 1), -1 when not reported */
    int m0, k;               /* absolute month of the first point, months to the second */
    int series;
} step;

/* The fit's context: the steps, the components (one group, or every group
 * of the model for a totals-only history) and which parameters are free. */
typedef struct {
    const step *v;
    long n, nres;
    int nc;                        /* components */
    const double *cw, *lc0;        /* [n * nc]: each component's share of the people, and the mix's coverage
                                      (logit) that splits a series' first point */
    double bp[COV_MAX_GROUPS], bq[COV_MAX_GROUPS];
    const double *sea_e[COV_MAX_GROUPS], *sea_l[COV_MAX_GROUPS];
    bool totals;                   /* parameters are log factors on the hazards, else logits */
    double r;                      /* entrant share, < 0: coverage at the step start */
    bool free[2];
    double th[2];                  /* current values (the fixed one stays) */
    double *w;                     /* [nres] weights: 1 / variance at the previous estimate */
} fitctx;

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }
static double logit(double p) { return log(p / (1 - p)); }
static double expit(double t) { return 1 / (1 + exp(-t)); }

/* Component c's monthly base rates for parameters th. */
static void base_rates(const fitctx *c, const double th[2], int comp, double *p, double *q)
{
    if (c->totals) {
        *p = -expm1(exp(th[0]) * log1p(-c->bp[comp]));
        *q = -expm1(exp(th[1]) * log1p(-c->bq[comp]));
    } else {
        *p = expit(th[0]);
        *q = expit(th[1]);
    }
}

/* Mean and variance of the insured k months after a point with N0 people
 * and I0 insured, N1 people at the end: month j (1..k) has rates p, q
 * through the seasonal factors of absolute month m0 + j; the net change
 * (N1 - N0)/k a month enters (insured with share r) or leaves (in
 * proportion to coverage) at the start of each month, before its
 * transitions, as births and deaths do in the engine. *pe, *ql: the first
 * month's effective rates, *U1, *I1: the uninsured and insured facing them
 * (for the card flows). */
static void chain(double N0, double I0, double N1, int m0, int k, double p, double q, const double *se,
                  const double *sl, double r, double *mean, double *var, double *pe1, double *ql1, double *U1,
                  double *I1)
{
    double d = (N1 - N0) / k, lp = log1p(-p), lq = log1p(-q);
    double a = 1, b = 0;           /* P(insured at the end | insured, uninsured before month j) */
    double m = 0, v = 0, S = 1;    /* S: the share of the first point's people still there at the end */
    if (r < 0) r = N0 > 0 ? I0 / N0 : 0;
    for (int j = k; j >= 1; j--) {
        int cal = (m0 + j) % 12;
        double pj = -expm1(lp * se[cal]), qj = -expm1(lq * sl[cal]);
        double na = (1 - qj) * a + qj * b, nb = pj * a + (1 - pj) * b;
        if (d < 0) {   /* leaving does not depend on the state: a factor on the people, not on the chain */
            double before = N0 + d * (j - 1);
            S *= before > 0 ? fmax(1 + d / before, 0) : 0;
        } else if (d > 0) {
            double pi = r * na + (1 - r) * nb;
            m += d * pi; v += d * pi * (1 - pi);
        }
        a = na; b = nb;
        if (j == 1) {
            *pe1 = pj; *ql1 = qj;
            double stay = d < 0 && N0 > 0 ? 1 + d / N0 : 1, in = d > 0 ? d : 0;
            *U1 = (N0 - I0) * stay + in * (1 - r);
            *I1 = I0 * stay + in * r;
        }
    }
    m += S * (I0 * a + (N0 - I0) * b);   /* the leavers' number is known (N1): no variance from it */
    v += S * (I0 * a * (1 - a) + (N0 - I0) * b * (1 - b));
    *mean += m; *var += v;
}

static bool has_flows(const step *s) { return s->k == 1 && s->E >= 0 && s->L >= 0; }

/* Splits N0 people in shares w and I0 insured over nc groups whose
 * coverages are expit(lc + x), x chosen so that the insured add up to I0. */
static void split_logit(int nc, const double *w, const double *lc, double N0, double I0, double *Ig)
{
    double x = 0, target = clampd(N0 > 0 ? I0 / N0 : 0, 1e-9, 1 - 1e-9);
    for (int it = 0; it < 50; it++) {   /* Newton: the total coverage rises with x */
        double c = 0, dc = 0;
        for (int g = 0; g < nc; g++) { double e = expit(lc[g] + x); c += w[g] * e; dc += w[g] * e * (1 - e); }
        double dx = dc > 0 ? (target - c) / dc : 0;
        x = clampd(x + clampd(dx, -2, 2), -40, 40);
        if (fabs(dx) < 1e-10) break;
    }
    double c = 0;
    for (int g = 0; g < nc; g++) { Ig[g] = N0 * w[g] * expit(lc[g] + x); c += Ig[g]; }
    for (int g = 0; g < nc && c > 0; g++) Ig[g] *= I0 / c;   /* exact sum */
}

/* Raw residuals (observed - expected) and their variances at th; res and
 * var have nres entries (either may be NULL). With several components
 * (totals), a series' first point is split by the mix; each later point by
 * the coverages the model predicted for it, shifted to the observed total. */
static void evaluate(const fitctx *c, const double th[2], double *res, double *var)
{
    long i = 0;
    double lc[COV_MAX_GROUPS], Ig[COV_MAX_GROUPS];
    for (long t = 0; t < c->n; t++) {
        const step *s = &c->v[t];
        double mean = 0, vr = 0, Em = 0, Ev = 0, Lm = 0, Lv = 0;
        if (c->nc > 1) {
            const step *b = t > 0 ? &c->v[t - 1] : NULL;
            if (!b || b->series != s->series || b->m0 + b->k != s->m0)
                memcpy(lc, &c->lc0[t * c->nc], (size_t)c->nc * sizeof *lc);
            split_logit(c->nc, &c->cw[t * c->nc], lc, s->N0, s->I0, Ig);
        }
        for (int g = 0; g < c->nc; g++) {
            double w = c->nc > 1 ? c->cw[t * c->nc + g] : 1, I0 = c->nc > 1 ? Ig[g] : s->I0;
            if (w <= 0) continue;
            double p, q, pe = 0, ql = 0, U1 = 0, I1 = 0, mg = 0, vg = 0;
            base_rates(c, th, g, &p, &q);
            chain(s->N0 * w, I0, s->N1 * w, s->m0, s->k, p, q, c->sea_e[g], c->sea_l[g], c->r, &mg, &vg, &pe,
                  &ql, &U1, &I1);
            mean += mg; vr += vg;
            if (c->nc > 1) lc[g] = logit(clampd(s->N1 * w > 0 ? mg / (s->N1 * w) : 0.5, 1e-6, 1 - 1e-6));
            Em += pe * U1; Ev += pe * (1 - pe) * U1;
            Lm += ql * I1; Lv += ql * (1 - ql) * I1;
        }
        if (has_flows(s)) {
            if (res) { res[i] = s->E - Em; res[i + 1] = s->L - Lm; }
            if (var) { var[i] = Ev; var[i + 1] = Lv; }
            i += 2;
        } else {
            if (res) res[i] = s->I1 - mean;
            if (var) var[i] = vr;
            i++;
        }
    }
}

static void unpack(const fitctx *c, const gsl_vector *x, double th[2])
{
    int k = 0;
    for (int j = 0; j < 2; j++)
        th[j] = c->free[j] ? clampd(gsl_vector_get(x, (size_t)k++), -THETA_MAX, THETA_MAX) : c->th[j];
}

/* gsl_multifit_nlinear residual function: weighted residuals. */
static int resid_f(const gsl_vector *x, void *params, gsl_vector *f)
{
    fitctx *c = params;
    double th[2];
    unpack(c, x, th);
    double *res = malloc((size_t)c->nres * sizeof *res);
    if (!res) return GSL_ENOMEM;
    evaluate(c, th, res, NULL);
    for (long i = 0; i < c->nres; i++) gsl_vector_set(f, (size_t)i, res[i] * sqrt(c->w[i]));
    free(res);
    return GSL_SUCCESS;
}

typedef struct {
    double th[2], cov[3];   /* estimates (theta scale) and covariance: var0, var1, cov01 of the free ones */
    double phi;
    bool ok;
} solution;

/* Iteratively reweighted nonlinear least squares from c->th; the free
 * parameters move, the others stay. */
static solution solve(fitctx *c)
{
    solution out = { .ok = false };
    int np = c->free[0] + c->free[1];
    if (np == 0 || c->nres < np + 1) return out;
    double *var = malloc((size_t)c->nres * sizeof *var);
    c->w = malloc((size_t)c->nres * sizeof *c->w);
    gsl_multifit_nlinear_parameters fp = gsl_multifit_nlinear_default_parameters();
    gsl_multifit_nlinear_workspace *ws =
        var && c->w ? gsl_multifit_nlinear_alloc(gsl_multifit_nlinear_trust, &fp, (size_t)c->nres, (size_t)np) : NULL;
    gsl_vector *x = gsl_vector_alloc((size_t)np);
    gsl_matrix *C = gsl_matrix_alloc((size_t)np, (size_t)np);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    bool ok = ws && x && C;
    for (int it = 0; ok && it < 4; it++) {   /* weights from the previous estimate */
        evaluate(c, c->th, NULL, var);
        for (long i = 0; i < c->nres; i++) c->w[i] = 1.0 / fmax(var[i], 0.25);
        int k = 0;
        for (int j = 0; j < 2; j++)
            if (c->free[j]) gsl_vector_set(x, (size_t)k++, c->th[j]);
        gsl_multifit_nlinear_fdf fdf = { .f = resid_f, .df = NULL, .fvv = NULL, .n = (size_t)c->nres,
                                         .p = (size_t)np, .params = c };
        int info;
        ok = gsl_multifit_nlinear_init(x, &fdf, ws) == GSL_SUCCESS;
        if (ok) gsl_multifit_nlinear_driver(300, 1e-10, 1e-10, 0, NULL, NULL, &info, ws);
        if (ok) unpack(c, ws->x, c->th);
    }
    if (ok) {
        double chisq;
        gsl_blas_ddot(ws->f, ws->f, &chisq);
        ok = gsl_multifit_nlinear_covar(ws->J, 0.0, C) == GSL_SUCCESS && isfinite(chisq);
        if (ok) {
            out.phi = c->nres > np ? chisq / (double)(c->nres - np) : 1;
            double s = fmax(out.phi, 1.0);
            memcpy(out.th, c->th, sizeof out.th);
            int a = c->free[0] ? 0 : -1, b = c->free[1] ? (c->free[0] ? 1 : 0) : -1;
            out.cov[0] = a >= 0 ? s * gsl_matrix_get(C, 0, 0) : 0;
            out.cov[1] = b >= 0 ? s * gsl_matrix_get(C, (size_t)b, (size_t)b) : 0;
            out.cov[2] = a >= 0 && b >= 0 ? s * gsl_matrix_get(C, 0, 1) : 0;
            out.ok = isfinite(out.cov[0]) && isfinite(out.cov[1]) && isfinite(out.cov[2]);
        }
    }
    gsl_set_error_handler(old);
    if (ws) gsl_multifit_nlinear_free(ws);
    gsl_vector_free(x);
    gsl_matrix_free(C);
    free(var);
    free(c->w);
    c->w = NULL;
    return out;
}

/* The error of parameter j on the log scale of its rate (or factor). */
static double log_se(const fitctx *c, const solution *s, int j)
{
    double se = sqrt(s->cov[j]);
    return c->totals ? se : se * (1 - expit(s->th[j]));
}

/* Why parameter j of a solution is not an estimate ("" when it is). */
static void judge(const fitctx *c, const solution *s, int j, char *why, size_t n)
{
    static const char *what[2] = { "enrollment", "lapse" };
    double p, q;
    base_rates(c, s->th, 0, &p, &q);
    double rate = c->totals ? exp(s->th[j]) : j ? q : p, lse = log_se(c, s, j);
    bool pinned = c->totals ? rate < 1e-4 || rate > 1e4 : rate < RATE_MIN;
    const char *unit = c->totals ? " as a factor on the base hazard" : " a month";
    *why = 0;
    if (!s->ok)
        snprintf(why, n, "%s: the fit did not converge", what[j]);
    else if (pinned || fabs(s->th[j]) >= THETA_MAX - 1e-9)
        snprintf(why, n, "%s: the fit runs to the bound (%.2g%s), so the data give no estimate", what[j], rate,
                 unit);
    else if (!(lse <= SE_LIMIT)) {
        /* beyond a factor of a million the bounds are no figures to read: said in words, never inf */
        if (lse < 3.5)
            snprintf(why, n, "%s: its 95%% interval spans a factor of %.0f (%.2g to %.2g%s): the data cannot "
                     "tell it", what[j], exp(2 * 1.96 * lse), rate * exp(-1.96 * lse),
                     c->totals ? rate * exp(1.96 * lse) : fmin(rate * exp(1.96 * lse), 1), unit);
        else
            snprintf(why, n, "%s: its 95%% interval spans a factor of more than a million around %.2g%s: the "
                     "data cannot tell it", what[j], rate, unit);
    } else if (!(lse > 0))
        snprintf(why, n, "%s: its error is 0 (the fit did not move from the base model's value), so the data "
                 "give no estimate", what[j]);
}

/* Fills f from a solution. */
static void take(const fitctx *c, const solution *s, cov_rate_fit *f)
{
    f->fit_p = c->free[0];
    f->fit_q = c->free[1];
    f->fitted = true;
    f->phi = s->phi;
    for (int j = 0; j < 2; j++) {
        double se = sqrt(s->cov[j]), t = s->th[j];
        double val = c->totals ? exp(t) : expit(t), lse = log_se(c, s, j);
        double lo = c->totals ? exp(t - 1.96 * se) : expit(t - 1.96 * se);
        double hi = c->totals ? exp(t + 1.96 * se) : expit(t + 1.96 * se);
        double sev = c->totals ? val * se : se * val * (1 - val);
        if (j == 0) { f->p = val; f->se_p = sev; f->se_lp = lse; f->lo_p = lo; f->hi_p = hi; }
        else { f->q = val; f->se_q = sev; f->se_lq = lse; f->lo_q = lo; f->hi_q = hi; }
    }
    f->corr = c->free[0] && c->free[1] && s->cov[0] > 0 && s->cov[1] > 0
                  ? clampd(s->cov[2] / sqrt(s->cov[0] * s->cov[1]), -1, 1) : 0;
    f->separated = (!c->free[0] || f->se_lp < 0.5) && (!c->free[1] || f->se_lq < 0.5);
}

static void append(char *buf, size_t n, const char *s)
{
    size_t l = strlen(buf);
    if (*s) snprintf(buf + l, n - l, "%s%s", l ? "; " : "", s);
}

/* Fits the context's steps: both rates when the data allow, else the one
 * they determine with the other kept from the base model, else nothing;
 * the reasons go to f->reason. th0: the base model's values. */
static void fit_steps(fitctx *c, const double th0[2], bool can[2], cov_rate_fit *f)
{
    static const char *what[2] = { "enrollment", "lapse" };
    char why[2][200] = { "", "" };
    f->reason[0] = 0;
    for (int j = 0; j < 2; j++)
        if (!can[j]) snprintf(why[j], sizeof why[j], "%s: nobody was %s at any reported point", what[j],
                              j ? "insured" : "uninsured");
    bool tried[2] = { false, false };
    for (int pass = 0; pass < 3; pass++) {
        bool fr[2] = { can[0], can[1] };
        if (pass == 1) fr[1] = false;        /* enrollment alone, lapse kept */
        if (pass == 2) fr[0] = false;        /* lapse alone, enrollment kept */
        if (pass > 0 && !(fr[0] || fr[1])) continue;
        if (pass == 0 && !(fr[0] && fr[1])) continue;
        if ((pass == 1 && tried[0]) || (pass == 2 && tried[1])) continue;
        c->free[0] = fr[0]; c->free[1] = fr[1];
        c->th[0] = th0[0]; c->th[1] = th0[1];
        solution s = solve(c);
        bool good = true;
        for (int j = 0; j < 2; j++)
            if (fr[j]) {
                char w[200];
                judge(c, &s, j, w, sizeof w);
                if (*w) { good = false; if (!*why[j]) snprintf(why[j], sizeof why[j], "%s", w); }
                tried[j] = tried[j] || pass > 0;
            }
        if (good) {
            take(c, &s, f);
            for (int j = 0; j < 2; j++)
                if (!fr[j]) {
                    char w[sizeof f->reason];
                    snprintf(w, sizeof w, "%s kept from the base model (%.200s)", what[j],
                             *why[j] ? why[j] : "cannot be told from the other rate");
                    append(f->reason, sizeof f->reason, w);
                }
            return;
        }
    }
    f->fitted = false;
    for (int j = 0; j < 2; j++) append(f->reason, sizeof f->reason, why[j]);
    if (!f->reason[0]) snprintf(f->reason, sizeof f->reason, "the fit did not converge");
}

/* ---- the group mix of a totals-only history ---- */

/* A key of the mix's index: a code or a name, the first row (in the file's
 * order) that has it, and for a name the first such row without a code
 * (-1: none). */
typedef struct { const char *key; int first, first_bare; } mix_key;

struct cov_mix {
    int n, ng;
    char **name, **code;     /* per commune */
    double *N, *I;           /* [(n + 1) * ng]: row n is the whole file */
    mix_key *by_code, *by_name;   /* each key once, sorted */
    int ncodes, nnames;
};

/* Orders mix keys by their text, then by row. */
static int by_mix_key(const void *a, const void *b)
{
    const mix_key *x = a, *y = b;
    int c = strcmp(x->key, y->key);
    return c ? c : (x->first > y->first) - (x->first < y->first);
}

/* Orders mix keys by their text alone (the index holds each once). */
static int by_mix_text(const void *a, const void *b)
{
    return strcmp(((const mix_key *)a)->key, ((const mix_key *)b)->key);
}

/* Sorts the n keys of k (first = their row) and keeps each key once, with
 * its first row and, given the rows' codes (NULL for keys that are codes),
 * its first row without a code; returns how many are kept. */
static int mix_index(mix_key *k, int n, char *const *code)
{
    qsort(k, (size_t)n, sizeof *k, by_mix_key);
    int kept = 0;
    for (int i = 0; i < n; i++) {
        int bare = code && !code[k[i].first] ? k[i].first : -1;
        if (kept && !strcmp(k[kept - 1].key, k[i].key)) {   /* rows in ascending order: the first is kept */
            if (k[kept - 1].first_bare < 0) k[kept - 1].first_bare = bare;
            continue;
        }
        k[kept++] = (mix_key){ k[i].key, k[i].first, bare };
    }
    return kept;
}

cov_mix *cov_mix_load(const char *population, const cov_model *m, cov_diag *d)
{
    cov_read_opts ro = { .delim = 0, .numbers = -1 };
    cov_population *p = cov_population_load(population, m, NULL, 0, NULL, 0, &ro, d);
    if (!p) return NULL;
    cov_mix *x = calloc(1, sizeof *x);
    if (x) {
        x->n = p->ncommunes; x->ng = m->ngroups;
        x->name = calloc((size_t)x->n + 1, sizeof *x->name);
        x->code = calloc((size_t)x->n + 1, sizeof *x->code);
        x->N = calloc((size_t)(x->n + 1) * (size_t)x->ng, sizeof *x->N);
        x->I = calloc((size_t)(x->n + 1) * (size_t)x->ng, sizeof *x->I);
        x->by_code = malloc((size_t)x->n * sizeof *x->by_code + 1);
        x->by_name = malloc((size_t)x->n * sizeof *x->by_name + 1);
        bool ok = x->name && x->code && x->N && x->I && x->by_code && x->by_name;
        for (int i = 0; ok && i < x->n; i++) {
            x->name[i] = cov_strdup(p->c[i].name);
            x->code[i] = p->c[i].code ? cov_strdup(p->c[i].code) : NULL;
            if (!x->name[i] || (p->c[i].code && !x->code[i])) { ok = false; break; }
            x->by_name[x->nnames++] = (mix_key){ x->name[i], i, -1 };
            if (x->code[i]) x->by_code[x->ncodes++] = (mix_key){ x->code[i], i, -1 };
            for (int g = 0; g < x->ng; g++) {
                x->N[i * x->ng + g] = (double)p->c[i].N[g];
                x->I[i * x->ng + g] = (double)p->c[i].I[g];
                x->N[x->n * x->ng + g] += (double)p->c[i].N[g];
                x->I[x->n * x->ng + g] += (double)p->c[i].I[g];
            }
        }
        if (ok) {
            x->nnames = mix_index(x->by_name, x->nnames, x->code);
            x->ncodes = mix_index(x->by_code, x->ncodes, NULL);
        } else {
            cov_mix_free(x);
            x = NULL;
        }
    }
    if (!x) cov_diag_add(d, COV_ELIMIT, population, 0, 0, 0, "out of memory reading the population");
    cov_population_free(p);
    return x;
}

void cov_mix_free(cov_mix *x)
{
    if (!x) return;
    for (int i = 0; i < x->n; i++) { if (x->name) free(x->name[i]); if (x->code) free(x->code[i]); }
    free(x->name); free(x->code); free(x->N); free(x->I);
    free(x->by_code); free(x->by_name);
    free(x);
}

/* The entry of key in the n sorted keys of k, NULL when none has it. */
static const mix_key *mix_find(const mix_key *k, int n, const char *key)
{
    mix_key probe = { key, 0, -1 };
    return n ? bsearch(&probe, k, (size_t)n, sizeof *k, by_mix_text) : NULL;
}

/* The mix row of a series: the first row of the population file (in the
 * file's order) that is its commune, else the whole file (row n). A row is
 * the series' commune by the code when both have one, else by the name. */
static int mix_row(const cov_mix *x, const cov_hseries *s)
{
    const mix_key *name = mix_find(x->by_name, x->nnames, s->commune);
    if (!s->code) return name ? name->first : x->n;
    const mix_key *code = mix_find(x->by_code, x->ncodes, s->code);
    int row = code ? code->first : x->n;   /* a row with the code, or a row without one with the name */
    if (name && name->first_bare >= 0 && name->first_bare < row) row = name->first_bare;
    return row;
}

/* A mix row's shares of the people and coverages on the logit scale. */
static void mix_shares(const cov_mix *x, int row, double *w, double *lc)
{
    const double *N = &x->N[row * x->ng], *I = &x->I[row * x->ng];
    double tot = 0;
    for (int g = 0; g < x->ng; g++) tot += N[g];
    for (int g = 0; g < x->ng; g++) {
        w[g] = tot > 0 ? N[g] / tot : 1.0 / x->ng;
        lc[g] = logit(clampd(N[g] > 0 ? I[g] / N[g] : 0.5, 1e-4, 1 - 1e-4));
    }
}

/* Splits a commune's N0, I0 over the groups of a mix row: people in the
 * row's shares; coverage the row's, shifted by one common amount on the
 * logit scale so that the insured add up to I0. */
static void split(const cov_mix *x, int row, double N0, double I0, double *w, double *Ig)
{
    double lc[COV_MAX_GROUPS];
    mix_shares(x, row, w, lc);
    split_logit(x->ng, w, lc, N0, I0, Ig);
}

void cov_mix_split(const cov_mix *x, const cov_hseries *s, int64_t N, int64_t I, int64_t *Ng, int64_t *Ig)
{
    double w[COV_MAX_GROUPS], Id[COV_MAX_GROUPS];
    split(x, mix_row(x, s), (double)N, (double)I, w, Id);
    int64_t sn = 0, si = 0;
    int big = 0;
    for (int g = 0; g < x->ng; g++) {
        Ng[g] = (int64_t)floor((double)N * w[g]);
        sn += Ng[g];
        if (w[g] > w[big]) big = g;
    }
    Ng[big] += N - sn;   /* whole people: the rounding goes to the largest group */
    for (int g = 0; g < x->ng; g++) { Ig[g] = (int64_t)fmin(floor(Id[g]), (double)Ng[g]); si += Ig[g]; }
    for (int g = 0; g < x->ng && si < I; g++) {
        int64_t add = Ng[g] - Ig[g] < I - si ? Ng[g] - Ig[g] : I - si;
        Ig[g] += add; si += add;
    }
}

/* ---- collecting the steps ---- */

/* The steps of group gi (all series when the history has no groups) up to
 * cutoff, from each reported point to the next; jumps beyond demography and
 * empty communes are set aside and counted. */
static long collect(const cov_history *h, int gi, int cutoff, const bool *use, step **out, cov_fit *fit)
{
    long cap = 64, n = 0;
    step *v = malloc((size_t)cap * sizeof *v);
    for (int k = 0; v && k < h->nseries; k++) {
        const cov_hseries *s = &h->s[k];
        if ((h->has_group && s->group != gi) || (use && !use[k])) continue;
        for (int j = 0; j + 1 < s->n; j++) {
            if (s->month[j + 1] > cutoff) break;
            int gap = s->month[j + 1] - s->month[j];
            fit->steps_seen++;
            if (gap > MAX_STEP) { fit->skipped_gaps++; continue; }
            if (s->N[j] == 0 || s->N[j + 1] == 0) { fit->skipped_zero++; continue; }   /* nobody to see at one end */
            double rel = fabs((double)(s->N[j + 1] - s->N[j])) / (double)s->N[j];
            if (rel > JUMP_BASE + JUMP_PER_MONTH * (gap - 1)) { fit->skipped_jumps++; continue; }
            if (n == cap) {
                cap *= 2;
                step *nv = realloc(v, (size_t)cap * sizeof *nv);
                if (!nv) { free(v); return -1; }
                v = nv;
            }
            bool fl = h->has_flows && gap == 1 && s->E[j + 1] >= 0 && s->L[j + 1] >= 0;
            v[n++] = (step){ (double)s->N[j], (double)s->I[j], (double)s->N[j + 1], (double)s->I[j + 1],
                             fl ? (double)s->E[j + 1] : -1, fl ? (double)s->L[j + 1] : -1, s->month[j], gap, k };
        }
    }
    *out = v;
    return n;
}

static long residual_count(const step *v, long n)
{
    long r = 0;
    for (long i = 0; i < n; i++) r += has_flows(&v[i]) ? 2 : 1;
    return r;
}

/* Sets up the context of group gi (or of the totals, gi = -1) on steps v. */
static bool setup(fitctx *c, const cov_history *h, const cov_model *m, int gi, const step *v, long n, double r,
                  const cov_mix *mix)
{
    memset(c, 0, sizeof *c);
    c->v = v; c->n = n; c->nres = residual_count(v, n); c->r = r;
    c->totals = gi < 0;
    c->nc = c->totals ? m->ngroups : 1;
    for (int g = 0; g < c->nc; g++) {
        const cov_group *gr = &m->g[c->totals ? g : gi];
        c->bp[g] = clampd(gr->enroll, 1e-6, 0.99);
        c->bq[g] = clampd(gr->lapse, 1e-6, 0.99);
        c->sea_e[g] = gr->seasonal_enroll;
        c->sea_l[g] = gr->seasonal_lapse;
    }
    static const double flat[12] = { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 };
    if (!h->has_group && m->ngroups > 1 && !c->totals) { c->sea_e[0] = flat; c->sea_l[0] = flat; }   /* pooled groups */
    if (!c->totals || c->nc == 1) { c->nc = 1; return true; }
    double *cw = malloc((size_t)n * (size_t)c->nc * sizeof *cw), *lc = malloc((size_t)n * (size_t)c->nc * sizeof *lc);
    if (!cw || !lc) { free(cw); free(lc); return false; }
    for (long t = 0; t < n; t++)
        mix_shares(mix, v[t].series < 0 ? mix->n : mix_row(mix, &h->s[v[t].series]), &cw[t * c->nc], &lc[t * c->nc]);
    c->cw = cw; c->lc0 = lc;
    return true;
}

static void teardown(fitctx *c)
{
    free((void *)c->cw);
    free((void *)c->lc0);
}

/* One series' own enrollment parameter with lapse fixed at the group's:
 * theta and its error on the log scale of the rate (false when the series
 * does not determine it). */
static bool series_enroll(fitctx *c, const step *v, long n, const double th[2], double *l, double *s2)
{
    fitctx sc = *c;
    sc.v = v; sc.n = n; sc.nres = residual_count(v, n);
    if (c->nc > 1) { sc.cw = c->cw + (v - c->v) * c->nc; sc.lc0 = c->lc0 + (v - c->v) * c->nc; }
    sc.free[0] = true; sc.free[1] = false;
    sc.th[0] = th[0]; sc.th[1] = th[1];
    solution s = solve(&sc);
    char why[200];
    judge(&sc, &s, 0, why, sizeof why);
    if (*why) return false;
    double lse = log_se(&sc, &s, 0);
    *l = c->totals ? s.th[0] - th[0] : log(expit(s.th[0]) / expit(th[0]));
    *s2 = lse * lse;
    return true;
}

/* ---- the common shock: a random walk on the log hazards ---- */

#define SHOCK_MAX 5.0        /* shock_sd per year: the model's limit on a spread */
#define SHOCK_MIN_STEPS 5    /* steps of the one series: the first fixes the level, four enter the likelihood */
#define SHOCK_P0 25.0        /* variance of the level at the first point: diffuse (a factor within e^±10) */
#define SHOCK_CHI 1.920729   /* half the 95% quantile of chi-square with one degree of freedom */
#define NOISE_MAX 0.05       /* reporting noise: at most 5 points of coverage */

/* The linearised step of the filter, for the components' insured Ig and
 * shares w at the start, the log hazards shifted by xl in every month
 * (enrollment x e^xl, lapse x e^-xl) and the rates otherwise c->th's:
 * the mean insured at the end (forward, with chain()'s entry/exit rule, so
 * the same mean), its binomial variance, and B[l] (l = 1..k), the
 * derivative of the mean with respect to a shift of months l..k (from the
 * adjoint of the monthly recursion). end[g]: each component's coverage at
 * the end. work: 5k doubles. */
static double step_linear(const fitctx *c, const step *s, const double *Ig, const double *w, double u, double xl,
                          double *B,
                          double *vb, double *end, double *work)
{
    const int k = s->k;
    double total = 0, d = (s->N1 - s->N0) / k, mg = 0, pe, ql, U1, I1;
    double *Ia = work, *Ua = work + k, *pj = work + 2 * k, *qj = work + 3 * k, *fj = work + 4 * k;
    for (int l = 1; l <= k; l++) B[l] = 0;
    *vb = 0;
    for (int g = 0; g < c->nc; g++) {
        end[g] = 0.5;
        if (w[g] <= 0) continue;
        double p, q, N = s->N0 * w[g], I = Ig[g], U = N - I, dg = d * w[g];
        double r = c->r >= 0 ? c->r : N > 0 ? I / N : 0;
        base_rates(c, c->th, g, &p, &q);
        double lp = exp(u + xl) * log1p(-p), lq = exp(u - xl) * log1p(-q);
        chain(s->N0 * w[g], Ig[g], s->N1 * w[g], s->m0, k, -expm1(lp), -expm1(lq), c->sea_e[g], c->sea_l[g], c->r,
              &mg, vb, &pe, &ql, &U1, &I1);
        for (int j = 0; j < k; j++) {
            int cal = (s->m0 + j + 1) % 12;
            fj[j] = 1;
            if (dg < 0) { fj[j] = N > 0 ? fmax(1 + dg / N, 0) : 0; I *= fj[j]; U *= fj[j]; }
            else if (dg > 0) { I += dg * r; U += dg * (1 - r); }
            N += dg;
            Ia[j] = I; Ua[j] = U;
            pj[j] = -expm1(lp * c->sea_e[g][cal]);
            qj[j] = -expm1(lq * c->sea_l[g][cal]);
            double E = pj[j] * U, L = qj[j] * I;
            I += E - L; U += L - E;
        }
        total += I;
        end[g] = N > 0 ? I / N : 0.5;
        /* backward: lI, lU = d(end insured)/d(insured, uninsured after month j) */
        double lI = 1, lU = 0, acc = 0;
        for (int j = k - 1; j >= 0; j--) {
            double hp = -(1 - pj[j]) * log1p(-pj[j]), hq = -(1 - qj[j]) * log1p(-qj[j]);
            acc += (lI - lU) * (hq * Ia[j] + hp * Ua[j]);   /* month j + 1's shift */
            B[j + 1] += acc;
            double nI = fj[j] * ((1 - qj[j]) * lI + qj[j] * lU), nU = fj[j] * (pj[j] * lI + (1 - pj[j]) * lU);
            lI = nI; lU = nU;
        }
    }
    return total;
}

/* The components' insured at a step's start: the series' insured I0,
 * split for totals by the coverages lc shifted to add up (as evaluate()). */
static void start_split(const fitctx *c, long t, const double *lc, double N0, double I0, double *Ig, const double **w)
{
    static const double one = 1;
    if (c->nc > 1) { *w = &c->cw[t * c->nc]; split_logit(c->nc, *w, lc, N0, I0, Ig); }
    else { *w = &one; Ig[0] = I0; }
}

/* The log likelihood of the steps v[0..n) of one series under the random
 * walk (sd a year) and a reporting noise of tau (coverage) on every
 * reported point, by an iterated extended Kalman filter on the state
 * (true insured, X): linearised at the previous state's mean given the new
 * point. The level at the first point is diffuse: the first step fixes it
 * and enters no likelihood. *level, *level_var: X at the last point;
 * *cov_last: the filtered coverage there. */
static double shock_loglik(const fitctx *c, const step *v, long n, double u, double sd, double tau, double *level,
                           double *level_var, double *cov_last, long *used)
{
    const double s2 = sd * sd / 12.0;
    double m[2] = { v[0].I0, 0 }, P[3] = { pow(tau * v[0].N0, 2), SHOCK_P0, 0 };   /* PII, PXX, PIX */
    double ll = 0, lc[COV_MAX_GROUPS], Ig[COV_MAX_GROUPS], end[COV_MAX_GROUPS];
    double *B = malloc((size_t)(MAX_STEP + 1) * sizeof *B), *Bt = malloc((size_t)(MAX_STEP + 1) * sizeof *Bt);
    double *work = malloc((size_t)MAX_STEP * 5 * sizeof *work);
    *used = 0;
    if (!B || !Bt || !work) { free(B); free(Bt); free(work); return -INFINITY; }
    for (long t = 0; t < n; t++) {
        const step *s = &v[t];
        const step *b = t > 0 ? &v[t - 1] : NULL;
        const double *w;
        if (b && s->m0 != b->m0 + b->k) {   /* a step set aside: the walk goes on, the point restarts the level */
            P[1] += (s->m0 - b->m0 - b->k) * s2;
            m[0] = s->I0; P[0] = pow(tau * s->N0, 2); P[2] = 0;
        }
        if (c->nc > 1 && (!b || b->m0 + b->k != s->m0)) memcpy(lc, &c->lc0[t * c->nc], (size_t)c->nc * sizeof *lc);
        double LI = m[0], LX = m[1], mu = 0, A = 0, D = 0, R = 0, cross = 0, S = 1, nu = 0, sB2 = 0, sB = 0, vb;
        double e2 = pow(tau * s->N1, 2);
        for (int it = 0; it < 20; it++) {
            /* A: d mean / d insured at the start (the split follows), by central differences */
            double hI = fmax(1.0, 1e-6 * s->N0), Ihi = fmin(LI + hI, s->N0), Ilo = fmax(LI - hI, 0), vv;
            start_split(c, t, lc, s->N0, Ihi, Ig, &w);
            double up = step_linear(c, s, Ig, w, u, LX, Bt, &vv, end, work);
            start_split(c, t, lc, s->N0, Ilo, Ig, &w);
            double dn = step_linear(c, s, Ig, w, u, LX, Bt, &vv, end, work);
            A = Ihi > Ilo ? (up - dn) / (Ihi - Ilo) : 0;
            start_split(c, t, lc, s->N0, LI, Ig, &w);
            mu = step_linear(c, s, Ig, w, u, LX, B, &vb, end, work);
            sB2 = 0; sB = 0;
            for (int l = 1; l <= s->k; l++) { sB2 += B[l] * B[l]; sB += B[l]; }
            D = B[1];
            R = s2 * sB2 + vb;
            cross = s2 * sB;
            double Ph0 = P[0] * A + P[2] * D, Ph1 = P[2] * A + P[1] * D;   /* P h, h = (A, D) */
            S = A * Ph0 + D * Ph1 + R + e2;
            nu = s->I1 - (mu + A * (m[0] - LI) + D * (m[1] - LX));
            /* the previous state given the new point: the next linearisation */
            double nI = clampd(m[0] + Ph0 / S * nu, 0, s->N0), nX = clampd(m[1] + Ph1 / S * nu, -THETA_MAX, THETA_MAX);
            bool done = fabs(nX - LX) < 1e-9 && fabs(nI - LI) < 1e-6 * (1 + s->N0);
            if (done || it == 19) break;
            LI = nI; LX = nX;
        }
        /* the components' coverages at the end: the next step's split */
        for (int g = 0; g < c->nc; g++) lc[g] = logit(clampd(end[g], 1e-6, 1 - 1e-6));
        if (!(S > 0) || !isfinite(nu)) { ll = -INFINITY; break; }
        if (t > 0) { ll += -0.5 * (log(2 * M_PI * S) + nu * nu / S); (*used)++; }
        /* predicted new state and its covariance, then the update on the new point */
        double Ph0 = P[0] * A + P[2] * D, Ph1 = P[2] * A + P[1] * D;
        double pII = A * Ph0 + D * Ph1 + R, pXX = P[1] + s->k * s2, pIX = Ph1 + cross;
        double pI = mu + A * (m[0] - LI) + D * (m[1] - LX), pX = m[1];
        double KI = pII / S, KX = pIX / S;
        m[0] = pI + KI * nu; m[1] = pX + KX * nu;
        P[0] = fmax(pII - KI * pII, 0); P[1] = fmax(pXX - KX * pIX, 0); P[2] = pIX - KI * pIX;
    }
    free(B); free(Bt); free(work);
    *level = m[1]; *level_var = P[1]; *cov_last = n > 0 ? m[0] / v[n - 1].N1 : 0;
    return ll;
}
#define SPEED_MAX 4.0        /* the speed's log factor: within e^±4 of the fitted rates */

/* Golden-section search for the maximum of the log likelihood over one
 * coordinate (0: the speed u, 1: log tau) in [a, b], the others at *u,
 * sd, *tau; the best point found goes into *u or *tau. */
static double golden(const fitctx *c, const step *v, long n, int which, double a, double b, double sd, double *u,
                     double *tau, double best)
{
    double lv, lvar, cl;
    long used;
    for (int it = 0; it < 24 && b - a > 1e-3; it++) {
        double x1 = b - 0.618034 * (b - a), x2 = a + 0.618034 * (b - a);
        double l1 = which ? shock_loglik(c, v, n, *u, sd, exp(x1), &lv, &lvar, &cl, &used)
                          : shock_loglik(c, v, n, x1, sd, *tau, &lv, &lvar, &cl, &used);
        double l2 = which ? shock_loglik(c, v, n, *u, sd, exp(x2), &lv, &lvar, &cl, &used)
                          : shock_loglik(c, v, n, x2, sd, *tau, &lv, &lvar, &cl, &used);
        if (l1 > best) { best = l1; if (which) *tau = exp(x1); else *u = x1; }
        if (l2 > best) { best = l2; if (which) *tau = exp(x2); else *u = x2; }
        if (l1 >= l2) b = x2; else a = x1;
    }
    return best;
}

/* The log likelihood at sd, profiled over the reporting noise tau and,
 * when free_u, the speed u: two rounds of golden sections, from *u, *tau
 * (where the maximum found is left). */
static double shock_profile(const fitctx *c, const step *v, long n, double sd, bool free_u, double *u, double *tau)
{
    double lv, lvar, cl;
    long used;
    double best = shock_loglik(c, v, n, *u, sd, *tau, &lv, &lvar, &cl, &used);
    for (int round = 0; round < 2; round++) {
        if (free_u) best = golden(c, v, n, 0, fmax(*u - 1.5, -SPEED_MAX), fmin(*u + 1.5, SPEED_MAX), sd, u, tau, best);
        double t = *tau;
        best = golden(c, v, n, 1, log(1e-6), log(NOISE_MAX), sd, u, tau, best);
        double l0 = shock_loglik(c, v, n, *u, sd, 0, &lv, &lvar, &cl, &used);   /* no noise at all */
        if (l0 > best) { best = l0; *tau = 0; }
        if (*tau == t && round > 0) break;
    }
    return best;
}

/* The shock from the steps of one series by profile likelihood of sd (per
 * year; the noise and, when free_u, the speed profiled out): a grid from
 * 1e-3 to SHOCK_MAX and 0, refined by golden section; the 95% interval
 * where the profile is within SHOCK_CHI of its maximum. Not an estimate,
 * with the reason in figures, when the maximum is at 0 or the interval
 * reaches SHOCK_MAX. */
static void shock_at(const fitctx *c, const step *v, long n, bool free_u, cov_shock_fit *out)
{
    enum { NG = 25 };
    double sg[NG + 1], ll[NG + 1], us[NG + 1], ts[NG + 1], lvar;
    int best = 0;
    double u = 0, tau = 0.001;
    sg[0] = 0;
    for (int i = 1; i <= NG; i++) sg[i] = 1e-3 * pow(SHOCK_MAX / 1e-3, (i - 1) / (double)(NG - 1));
    for (int i = NG; i >= 0; i--) {   /* from the largest: the speed and noise follow along */
        ll[i] = shock_profile(c, v, n, sg[i], free_u, &u, &tau);
        us[i] = u; ts[i] = tau;
        if (ll[i] > ll[best] || i == NG) best = ll[i] >= ll[best] || i == NG ? i : best;
    }
    for (int i = 0; i <= NG; i++) if (ll[i] > ll[best]) best = i;
    if (!isfinite(ll[best])) {
        snprintf(out->reason, sizeof out->reason, "the filter failed (no finite likelihood)");
        return;
    }
    double top = sg[best], ltop = ll[best], utop = us[best], ttop = ts[best];
    if (best > 0) {   /* golden section on log sd between the best point's neighbours */
        double a = log(sg[best > 1 ? best - 1 : 1]), b = log(sg[best < NG ? best + 1 : NG]);
        for (int it = 0; it < 16 && b - a > 1e-3; it++) {
            double x1 = b - 0.618034 * (b - a), x2 = a + 0.618034 * (b - a);
            double u1 = utop, t1 = ttop, u2 = utop, t2 = ttop;
            double l1 = shock_profile(c, v, n, exp(x1), free_u, &u1, &t1);
            double l2 = shock_profile(c, v, n, exp(x2), free_u, &u2, &t2);
            if (l1 > ltop) { top = exp(x1); ltop = l1; utop = u1; ttop = t1; }
            if (l2 > ltop) { top = exp(x2); ltop = l2; utop = u2; ttop = t2; }
            if (l1 >= l2) b = x2; else a = x1;
        }
    }
    /* the interval: bisection where the profile crosses ltop - SHOCK_CHI */
    double cut = ltop - SHOCK_CHI, lo = 0, hi = SHOCK_MAX;
    if (ll[0] < cut) {
        int i = best;
        while (i > 0 && ll[i] >= cut) i--;
        double l0 = sg[i], h0 = i + 1 < best ? sg[i + 1] : top;
        for (int it = 0; it < 16; it++) {
            double mid = 0.5 * (l0 + h0), u1 = us[i], t1 = ts[i];
            if (shock_profile(c, v, n, mid, free_u, &u1, &t1) >= cut) h0 = mid; else l0 = mid;
        }
        lo = 0.5 * (l0 + h0);
    }
    int i = best;
    while (i < NG && ll[i] >= cut) i++;
    if (ll[i] < cut) {
        double l0 = i - 1 > best ? sg[i - 1] : top, h0 = sg[i];
        for (int it = 0; it < 16; it++) {
            double mid = 0.5 * (l0 + h0), u1 = us[i], t1 = ts[i];
            if (shock_profile(c, v, n, mid, free_u, &u1, &t1) >= cut) l0 = mid; else h0 = mid;
        }
        hi = 0.5 * (l0 + h0);
    }
    out->sd = best > 0 ? top : 0;
    out->noise = ttop;
    out->speed = free_u ? utop : 0;
    out->speed_fitted = free_u;
    out->lo = lo; out->hi = hi;
    out->loglik = ltop;
    out->steps = 0;
    shock_loglik(c, v, n, out->speed, out->sd, out->noise, &out->level, &lvar, &out->coverage, &out->steps);
    out->level_se = sqrt(lvar);
    out->last_month = v[n - 1].m0 + v[n - 1].k;
    if (best == 0)
        snprintf(out->reason, sizeof out->reason, "the likelihood is highest at 0 (no shock beyond binomial and "
                 "reporting noise shows in %ld steps; 95%% upper bound %.3g a year)", out->steps, hi);
    else if (ltop - ll[best] > SHOCK_CHI || !(lo < top && top < hi))   /* the profile is no smooth curve */
        snprintf(out->reason, sizeof out->reason, "the profile likelihood is irregular (its maximum, %.3g a year, "
                 "is %.1f above the grid's nearest point; the interval found, %.3g to %.3g, must hold it): a wild "
                 "point in the history?", top, ltop - ll[best], lo, hi);
    else if (hi >= SHOCK_MAX)
        snprintf(out->reason, sizeof out->reason, "its 95%% interval (%.3g to %.3g a year) reaches the limit of %g a "
                 "year: the data cannot tell it", lo, hi, SHOCK_MAX);
    else
        out->estimated = true;
}

/* Estimates the shock from the steps of one series: the random walk's sd,
 * the reporting noise, and the speed u, a common log factor on both
 * hazards (the level X moves them apart; u, their sum, sets how fast
 * coverage follows the level, and trades off against sd, so sd's profile
 * maximises over it). The speed is held at 0 (the fitted rates') when its
 * maximum is at the bound. */
static void fit_shock(const fitctx *c, const step *v, long n, cov_shock_fit *out)
{
    memset(out, 0, sizeof *out);
    out->tried = true;
    if (n < SHOCK_MIN_STEPS) {
        snprintf(out->reason, sizeof out->reason, "%ld step%s between reported points (at least %d are needed: the "
                 "first fixes the level)", n, n == 1 ? "" : "s", SHOCK_MIN_STEPS);
        return;
    }
    shock_at(c, v, n, true, out);
    if (fabs(out->speed) > SPEED_MAX - 0.01) {
        memset(out, 0, sizeof *out);
        out->tried = true;
        shock_at(c, v, n, false, out);
    }
}

/* The steps of several series reported at the same months, summed into
 * one series of totals (series -1: the whole file's mix): the walk is
 * common to every commune, so it shows in their sum. NULL, with the reason
 * in why, when the series' steps are not the same months (a missing month,
 * a step set aside in one of them). */
static step *sum_series(const step *v, long n, int nseries, long *nsum, char *why, size_t nw)
{
    long per = 0;
    while (per < n && v[per].series == v[0].series) per++;
    int seen = n > 0 ? 1 : 0;
    bool same = per > 0 && n % per == 0;
    for (long t = per; same && t < n; t++) {
        const step *a = &v[t % per], *b = &v[t];
        if (t % per == 0) { same = b->series != v[t - 1].series; seen++; }
        same = same && a->m0 == b->m0 && a->k == b->k && (t % per == 0 || b->series == v[t - 1].series);
    }
    if (!same || seen != nseries) {
        snprintf(why, nw, "the history's %d series are not reported at the same months (or a step of one was set "
                 "aside), so their sum is not a series of totals", nseries);
        return NULL;
    }
    step *w = calloc((size_t)per, sizeof *w);
    if (!w) { snprintf(why, nw, "out of memory"); return NULL; }
    for (long t = 0; t < per; t++) { w[t] = v[t]; w[t].N0 = w[t].I0 = w[t].N1 = w[t].I1 = 0; w[t].E = w[t].L = -1; w[t].series = -1; }
    for (long t = 0; t < n; t++) {
        step *d = &w[t % per];
        d->N0 += v[t].N0; d->I0 += v[t].I0; d->N1 += v[t].N1; d->I1 += v[t].I1;
    }
    *nsum = per;
    return w;
}

/* cov_fit_rates_opts on the series marked in use (NULL: all). */
static void fit_rates(const cov_history *h, const cov_model *m, int cutoff, const cov_cal_opts *opts,
                      const cov_mix *mix, const bool *use, cov_fit *out)
{
    memset(out, 0, sizeof *out);
    double r = opts ? opts->entrant_share : -1;
    out->entrant_share = r;
    out->totals = !h->has_group && m->ngroups > 1 && mix;
    out->mix_from_file = out->totals;
    out->pooled_groups = !h->has_group && m->ngroups > 1 && !mix;
    int ng = h->has_group ? m->ngroups : 1;
    for (int k = 0; k < h->nseries; k++) out->single_month += h->s[k].n == 1 && (!use || use[k]);
    double sum = 0, sum2 = 0, noise = 0;
    int used = 0;
    for (int gi = 0; gi < ng; gi++) {
        step *v = NULL;
        long n = collect(h, gi, cutoff, use, &v, out);
        if (n < 0) continue;
        cov_rate_fit *f = &out->g[gi];
        f->transitions = n;
        for (long i = 0; i < n; i++) {
            f->flow_steps += has_flows(&v[i]);
            if (v[i].k > f->max_gap) f->max_gap = v[i].k;
        }
        f->flows = f->flow_steps > 0;
        fitctx c;
        int g0 = h->has_group ? gi : out->totals ? -1 : 0;
        if (n == 0) {
            snprintf(f->reason, sizeof f->reason, "the history has no two reported points of this group");
            free(v);
            continue;
        }
        if (n < 3) {
            snprintf(f->reason, sizeof f->reason, "%ld step%s between reported points (at least 3 are needed)", n,
                     n == 1 ? "" : "s");
            free(v);
            continue;
        }
        if (!setup(&c, h, m, g0, v, n, r, mix)) { free(v); continue; }
        double sumU = 0, sumI = 0;
        for (long i = 0; i < n; i++) { sumU += v[i].N0 - v[i].I0; sumI += v[i].I0; }
        bool can[2] = { sumU > 0, sumI > 0 };
        double th0[2] = { c.totals ? 0 : logit(c.bp[0]), c.totals ? 0 : logit(c.bq[0]) };
        fit_steps(&c, th0, can, f);
        /* commune spread: each series' own enrollment, lapse fixed, on the log scale */
        if (f->fitted && f->fit_p) {
            double th[2] = { c.totals ? log(f->p) : logit(f->p), c.totals ? log(f->q) : logit(f->q) };
            if (!f->fit_q) th[1] = th0[1];
            for (long a = 0; a < n;) {
                long b = a;
                while (b < n && v[b].series == v[a].series) b++;
                double l, s2;
                if (b - a >= 3 && series_enroll(&c, v + a, b - a, th, &l, &s2)) {
                    sum += l; sum2 += l * l; noise += s2;
                    used++;
                }
                a = b;
            }
        }
        /* the common shock: on one series of totals, the series summed when there are several (the
           engine draws one walk for every commune and group) */
        if (!use && f->fitted && (!h->has_group || m->ngroups == 1)) {
            double th[2] = { f->fit_p ? (c.totals ? log(f->p) : logit(f->p)) : th0[0],
                             f->fit_q ? (c.totals ? log(f->q) : logit(f->q)) : th0[1] };
            if (h->nseries == 1) {
                c.th[0] = th[0]; c.th[1] = th[1];
                fit_shock(&c, v, n, &out->shock);
            } else {
                long ns = 0;
                char why[sizeof out->shock.reason];
                step *w = sum_series(v, n, h->nseries, &ns, why, sizeof why);
                fitctx cs;
                if (!w) {
                    out->shock.tried = true;
                    snprintf(out->shock.reason, sizeof out->shock.reason, "%s", why);
                } else if (setup(&cs, h, m, g0, w, ns, r, mix)) {
                    cs.th[0] = th[0]; cs.th[1] = th[1];
                    fit_shock(&cs, w, ns, &out->shock);
                    out->shock.summed = h->nseries;
                    teardown(&cs);
                }
                free(w);
            }
        }
        teardown(&c);
        free(v);
    }
    if (!use && h->has_group && m->ngroups > 1)
        snprintf(out->shock.reason, sizeof out->shock.reason, "the history has %d series by group; the shock is "
                 "estimated on totals (a history without a group column)", h->nseries);
    else if (!use && !out->shock.tried)
        snprintf(out->shock.reason, sizeof out->shock.reason, "no rate was fitted");
    out->communes_used = used;
    if (used >= 5) {
        double mean = sum / used, var = (sum2 - used * mean * mean) / (used - 1) - noise / used;
        out->commune_sd = var > 0 ? sqrt(var) : 0;
    }
}

void cov_fit_rates_opts(const cov_history *h, const cov_model *m, int cutoff, const cov_cal_opts *opts,
                        const cov_mix *mix, cov_fit *out)
{
    fit_rates(h, m, cutoff, opts, mix, NULL, out);
}

void cov_fit_rates(const cov_history *h, const cov_model *m, int cutoff, cov_fit *out)
{
    cov_fit_rates_opts(h, m, cutoff, NULL, NULL, out);
}

bool cov_fit_any(const cov_history *h, const cov_model *m, const cov_fit *fit, cov_diag *d)
{
    int ng = h->has_group ? m->ngroups : 1;
    for (int g = 0; g < ng; g++)
        if (fit->g[g].fitted) return true;
    cov_diag_add(d, COV_EINPUT, h->path, 0, 0, 0, "no rate can be estimated from this history, so no model was "
                 "written (the reasons follow)");
    for (int g = 0; g < ng; g++)
        cov_diag_add(d, COV_EINPUT, h->path, 0, 0, 0, "%s: %s", h->has_group ? m->g[g].name : "all groups",
                     fit->g[g].reason);
    if (fit->skipped_jumps || fit->skipped_gaps || fit->skipped_zero || fit->single_month)
        cov_diag_add(d, COV_EINPUT, h->path, 0, 0, 0, "of %ld steps between reported points, %ld were set aside "
                     "for a population change beyond demography (over 5%% in a month, +0.5%% per further month), "
                     "%ld for a gap over %d months, %ld with no people; %d series have a single month",
                     fit->steps_seen, fit->skipped_jumps, fit->skipped_gaps, MAX_STEP, fit->skipped_zero,
                     fit->single_month);
    return false;
}

/* ---- rates per unit of a level, pooled (--levels) ---- */

/* The DerSimonian-Laird between-unit variance of estimates x with errors
 * se (on the log scale); units with se <= 0 are left out. */
static double between_variance(const double *x, const double *se, int n)
{
    double sw = 0, sw2 = 0, swx = 0;
    int k = 0;
    for (int i = 0; i < n; i++)
        if (se[i] > 0) { double w = 1 / (se[i] * se[i]); sw += w; sw2 += w * w; swx += w * x[i]; k++; }
    if (k < 2) return 0;
    double mean = swx / sw, Q = 0;
    for (int i = 0; i < n; i++)
        if (se[i] > 0) Q += pow(x[i] - mean, 2) / (se[i] * se[i]);
    return fmax(0, (Q - (k - 1)) / (sw - sw2 / sw));
}

/* Shrinks unit estimates toward the overall one: x_u <- x0 + B (x_u - x0),
 * B = tau2 / (tau2 + se_u^2), x0 the random-effects mean of the units with
 * their own estimate (weights 1 / (se^2 + tau2)), or the given x0, se0 when
 * none has one; a unit without its own estimate (se <= 0) takes x0 with its
 * error and tau2 added. */
static void shrink(double x0, double se0, double tau2, double *x, double *se, double *B, int n)
{
    double sw = 0, swx = 0;
    for (int i = 0; i < n; i++)
        if (se[i] > 0) { double w = 1 / (se[i] * se[i] + tau2); sw += w; swx += w * x[i]; }
    if (sw > 0) { x0 = swx / sw; se0 = 1 / sqrt(sw); }
    for (int i = 0; i < n; i++) {
        if (se[i] <= 0) { B[i] = 0; x[i] = x0; se[i] = sqrt(se0 * se0 + tau2); continue; }
        B[i] = tau2 / (tau2 + se[i] * se[i]);
        x[i] = x0 + B[i] * (x[i] - x0);
        se[i] = sqrt(B[i] * se[i] * se[i] + (1 - B[i]) * (1 - B[i]) * se0 * se0);
    }
}

cov_status cov_fit_units_write(const char *path, const cov_history *h, const cov_model *m, int cutoff,
                               const cov_cal_opts *opts, const cov_mix *mix, const cov_fit *pooled, FILE *fp,
                               cov_diag *d)
{
    if (h->nlevels < 1 || !opts || !opts->level) return COV_OK;
    const char *lev = opts->level;
    int nu = 0, ng = h->has_group ? m->ngroups : 1;
    char **unit = calloc((size_t)h->nseries + 1, sizeof *unit);
    int *of = calloc((size_t)h->nseries + 1, sizeof *of);
    bool *use = calloc((size_t)h->nseries + 1, sizeof *use);
    cov_fit *uf = NULL;
    double *x = NULL;
    cov_status st = COV_OK;
    if (!unit || !of || !use) { st = COV_ELIMIT; goto done; }
    for (int k = 0; k < h->nseries; k++) {
        const char *v = h->level_value[k][0];
        int u = 0;
        while (u < nu && strcmp(unit[u], v)) u++;
        if (u == nu) unit[nu++] = (char *)v;
        of[k] = u;
    }
    uf = calloc((size_t)nu, sizeof *uf);
    x = calloc((size_t)nu * 6, sizeof *x);
    if (!uf || !x) { st = COV_ELIMIT; goto done; }
    for (int u = 0; u < nu; u++) {
        for (int k = 0; k < h->nseries; k++) use[k] = of[k] == u;
        fit_rates(h, m, cutoff, opts, mix, use, &uf[u]);
    }
    cov_outfile *o = cov_outfile_begin(path, "level,unit,group,", d);
    if (!o) { st = d->status ? d->status : COV_EIO; goto done; }
    FILE *f = cov_outfile_stream(o);
    fputs("level,unit,group,enroll,enroll_sd,lapse,lapse_sd,steps,enroll_weight,lapse_weight\n", f);
    if (fp) fprintf(fp, "\nRates per %s, pooled (a unit with little data stays near the overall rate):\n"
                        "%-24s %-12s %10s %10s %6s %6s %6s\n", lev, lev, "group", "enroll",
                    "lapse", "steps", "own e", "own l");
    for (int g = 0; g < ng; g++) {
        const cov_rate_fit *P = &pooled->g[g];
        double *xe = x, *se = x + nu, *Be = x + 2 * nu, *xl = x + 3 * nu, *sl = x + 4 * nu, *Bl = x + 5 * nu;
        for (int u = 0; u < nu; u++) {
            const cov_rate_fit *r = &uf[u].g[g];
            bool ep = r->fitted && r->fit_p, eq = r->fitted && r->fit_q;
            xe[u] = ep ? log(r->p) : 0; se[u] = ep ? r->se_lp : 0;
            xl[u] = eq ? log(r->q) : 0; sl[u] = eq ? r->se_lq : 0;
        }
        double te = between_variance(xe, se, nu), tl = between_variance(xl, sl, nu);
        double pe = P->fitted && P->fit_p ? P->p : m->g[h->has_group ? g : 0].enroll;
        double pq = P->fitted && P->fit_q ? P->q : m->g[h->has_group ? g : 0].lapse;
        shrink(log(pe), P->fitted && P->fit_p ? P->se_lp : 0, te, xe, se, Be, nu);
        shrink(log(pq), P->fitted && P->fit_q ? P->se_lq : 0, tl, xl, sl, Bl, nu);
        const char *gname = h->has_group ? m->g[g].name : pooled->totals ? "factors" : "all";
        for (int u = 0; u < nu; u++) {
            cov_csv_text(f, lev, true);
            cov_csv_text(f, unit[u], false);
            cov_csv_text(f, gname, false);
            fprintf(f, ",%.6g,%.4g,%.6g,%.4g,%ld,%.3f,%.3f\n", exp(xe[u]), se[u], exp(xl[u]), sl[u],
                    uf[u].g[g].transitions, Be[u], Bl[u]);
            if (fp) {   /* pad by characters, not bytes: names keep their diacritics */
                const char *shown = cov_term(unit[u]);   /* control bytes escaped on the terminal */
                long w = cov_utf8_width(shown, strlen(shown));
                fprintf(fp, "%s%*s %-12s %10.5f %10.5f %6ld %6.2f %6.2f\n", shown, (int)(w < 24 ? 24 - w : 0), "",
                        cov_term(gname), exp(xe[u]), exp(xl[u]), uf[u].g[g].transitions, Be[u], Bl[u]);
            }
        }
    }
    if (fp) fputs("(own e, own l: the weight of the unit's own data against the pooled rate, 0 to 1)\n", fp);
    st = ferror(f) ? COV_EIO : COV_OK;
    if (st == COV_OK) st = cov_outfile_commit(o, d);
    else { cov_outfile_abort(o); cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot write the rates file"); }
done:
    free(unit); free(of); free(use); free(uf); free(x);
    return st;
}

/* ---- writing ---- */

static void seasonal_lines(FILE *f, const cov_group *g)
{
    bool flat = true;
    for (int k = 0; k < 12; k++) flat = flat && g->seasonal_enroll[k] == 1;
    if (!flat) {
        fputs("seasonal_enroll = ", f);
        for (int k = 0; k < 12; k++) fprintf(f, "%s%g", k ? "," : "", g->seasonal_enroll[k]);
        fputc('\n', f);
    }
    flat = true;
    for (int k = 0; k < 12; k++) flat = flat && g->seasonal_lapse[k] == 1;
    if (!flat) {
        fputs("seasonal_lapse = ", f);
        for (int k = 0; k < 12; k++) fprintf(f, "%s%g", k ? "," : "", g->seasonal_lapse[k]);
        fputc('\n', f);
    }
    if (g->hard_share > 0)
        fprintf(f, "hard_share = %g\nhard_enroll_factor = %g\n", g->hard_share, g->hard_enroll_factor);
}

/* One group's section. fit: its own fit, or the common factors (totals).
 * le, ll: with an estimated shock, the log factors on the fit's
 * enrollment and lapse hazards at the last point, the speed u plus and
 * minus the level X (0, 0: no shock); the level's error is then in
 * [common]. */
static void group_block(FILE *f, const cov_group *g, const cov_rate_fit *fit, bool totals, double le, double ll)
{
    fprintf(f, "[group.%s]\n", g->name);
    if (g->label) fprintf(f, "label = %s\n", g->label);
    bool fp = fit && fit->fitted && fit->fit_p, fq = fit && fit->fitted && fit->fit_q;
    char at[96] = "";
    const bool lvl = le != 0 || ll != 0;
    if (lvl) snprintf(at, sizeof at, ", x %.4g at the last point (the shock)", exp(le));
    if (fp && totals)
        fprintf(f, "enroll = %.6g          ; base %.6g x factor %.4g on the hazard%s\n",
                -expm1(fit->p * exp(le) * log1p(-g->enroll)), g->enroll, fit->p, at);
    else if (fp && lvl)
        fprintf(f, "enroll = %.6g          ; fitted %.6g (95%% interval %.3g to %.3g)%s\n",
                -expm1(exp(le) * log1p(-fit->p)), fit->p, fit->lo_p, fit->hi_p, at);
    else if (fp)
        fprintf(f, "enroll = %.6g          ; 95%% interval %.3g to %.3g\n", fit->p, fit->lo_p, fit->hi_p);
    else if (lvl)
        fprintf(f, "enroll = %.6g          ; base %.6g (not fitted)%s\n", -expm1(exp(le) * log1p(-g->enroll)),
                g->enroll, at);
    else
        fprintf(f, "enroll = %.6g          ; not fitted: kept from the base model\n", g->enroll);
    if (lvl) snprintf(at, sizeof at, ", x %.4g at the last point (the shock)", exp(ll));
    if (fq && totals)
        fprintf(f, "lapse = %.6g           ; base %.6g x factor %.4g on the hazard%s\n",
                -expm1(fit->q * exp(ll) * log1p(-g->lapse)), g->lapse, fit->q, at);
    else if (fq && lvl)
        fprintf(f, "lapse = %.6g           ; fitted %.6g (95%% interval %.3g to %.3g)%s\n",
                -expm1(exp(ll) * log1p(-fit->q)), fit->q, fit->lo_q, fit->hi_q, at);
    else if (fq)
        fprintf(f, "lapse = %.6g           ; 95%% interval %.3g to %.3g\n", fit->q, fit->lo_q, fit->hi_q);
    else if (lvl)
        fprintf(f, "lapse = %.6g           ; base %.6g (not fitted)%s\n", -expm1(exp(ll) * log1p(-g->lapse)),
                g->lapse, at);
    else
        fprintf(f, "lapse = %.6g           ; not fitted: kept from the base model\n", g->lapse);
    /* totals, or a shock's level: the errors are one draw for every group, in [common] */
    bool own = !totals && !lvl;
    if (fp && own) fprintf(f, "enroll_sd = %.4g       ; the estimate's uncertainty, as a per-replicate spread\n", fit->se_lp);
    else if (!fp && g->enroll_sd > 0) fprintf(f, "enroll_sd = %.4g\n", g->enroll_sd);
    if (fq && own) fprintf(f, "lapse_sd = %.4g\n", fit->se_lq);
    else if (!fq && g->lapse_sd > 0) fprintf(f, "lapse_sd = %.4g\n", g->lapse_sd);
    if (fp && fq) { if (fit->corr != 0 && own) fprintf(f, "rate_corr = %.4f\n", fit->corr); }
    else if (!fp && !fq && g->rate_corr != 0) fprintf(f, "rate_corr = %.4f\n", g->rate_corr);
    seasonal_lines(f, g);
    fputc('\n', f);
}

static void entry_rule(char *buf, size_t n, double r)
{
    if (r < 0) snprintf(buf, n, "newcomers are insured\n;   like the residents (the coverage at the step's start)");
    else snprintf(buf, n, "newcomers arrive insured\n;   with share %.3g (--entrant-share)", r);
}

/* [common]: a totals-only fit's factor errors, one draw per replicate
 * shared by every group (MODEL.md "Calibration", totals only); with an
 * estimated shock, the error of its level (one draw, enrollment and lapse
 * opposite: rate_corr = -1) and shock_sd; else the base model's [common],
 * when it has one. */
static void common_block(FILE *f, const cov_model *base, const cov_fit *fit)
{
    const cov_rate_fit *r = &fit->g[0];
    const cov_shock_fit *k = &fit->shock;
    if (k->estimated) {
        fputs("\n[common]\n; the shock's level at the last point: its error, one draw per replicate for every group,\n"
              "; enrollment and lapse hazards moved in opposite directions\n", f);
        fprintf(f, "enroll_sd = %.4g\nlapse_sd = %.4g\nrate_corr = -1\n", k->level_se, k->level_se);
        fprintf(f, "shock_sd = %.4g        ; per year, 95%% interval %.3g to %.3g\n", k->sd, k->lo, k->hi);
        return;
    }
    bool fp = fit->totals && r->fitted && r->fit_p, fq = fit->totals && r->fitted && r->fit_q;
    double se = fp ? r->se_lp : base->common ? base->common_enroll_sd : 0;
    double sl = fq ? r->se_lq : base->common ? base->common_lapse_sd : 0;
    double rho = fp && fq ? r->corr : !fp && !fq && base->common ? base->common_rate_corr : 0;
    if (!fp && !fq && !base->common) return;
    fputs("\n[common]\n", f);
    if (fp || fq) fputs("; the fitted factors' uncertainty: one draw per replicate for every group\n", f);
    fprintf(f, "enroll_sd = %.4g\nlapse_sd = %.4g\n", se, sl);
    if (rho != 0) fprintf(f, "rate_corr = %.4f\n", rho);
    if (base->shock_sd > 0) fprintf(f, "shock_sd = %.4g        ; kept from the base model\n", base->shock_sd);
}

/* A comment of any length as lines of at most width + 4 bytes (the model
 * reader refuses a line over 197; a reason in words or a path can be
 * longer): the first line starts "; ", the next ";   ", broken at spaces. */
static void comment(FILE *f, const char *text, size_t width)
{
    const char *p = text;
    bool first = true;
    while (*p) {
        size_t len = strlen(p), cut = len;
        if (len > width) {
            cut = width;
            while (cut > width / 2 && p[cut] != ' ') cut--;
            if (p[cut] != ' ') {   /* no space near: cut at a UTF-8 character's start */
                cut = width;
                while (cut > 0 && ((unsigned char)p[cut] & 0xC0) == 0x80) cut--;
            }
        }
        fprintf(f, "%s%.*s\n", first ? "; " : ";   ", (int)cut, p);
        p += cut;
        while (*p == ' ') p++;
        first = false;
    }
}

bool cov_fit_write_model(FILE *f, const cov_history *h, const cov_model *base, const cov_fit *fit, int cutoff)
{
    char line[1024];
    char a[8], b[8], rule[120];
    cov_month_format(h->first, a);
    cov_month_format(cutoff < h->last ? cutoff : h->last, b);
    entry_rule(rule, sizeof rule, fit->entrant_share);
    /* the signature first ("; Calibrated by covcast "); long paths wrap */
    snprintf(line, sizeof line, "Calibrated by covcast %s from %.800s, months %s to %s, %d series", COV_VERSION,
             h->path, a, b, h->nseries);
    comment(f, line, 180);
    snprintf(line, sizeof line, "(base model: %.900s). Rates are per month; each *_sd is the estimate's standard",
             base->path);
    comment(f, line, 180);
    fputs("; error on the log scale, drawn once per replicate, so projections carry the\n"
          "; uncertainty of the fit. Method: each step from one reported point to the next,\n"
          "; whatever the gap, is fitted on the two-state chain's mean and variance over its\n"
          "; months (seasonal factors month by month), by weighted nonlinear least squares\n"
          "; with quasi-binomial dispersion; card flows, where reported, enter as counts.\n", f);
    fprintf(f, "; Population changes: the net change is spread over the step's months; %s;\n"
               ";   leavers leave in proportion to coverage (docs/MODEL.md, Calibration).\n", rule);
    if (fit->totals)
        fputs("; TOTALS ONLY: the history has no group column, so one factor on every group's enrollment\n"
              ";   hazard and one on every lapse hazard are fitted; the groups keep the base model's\n"
              ";   ratios and the population file's group mix. Each group's own rate is not identified.\n", f);
    if (fit->pooled_groups)
        fputs("; GROUPS POOLED: the history has no group column and no population file was given\n"
              ";   (--population), so one enrollment and one lapse rate are fitted to the totals and\n"
              ";   written into every group (their seasonal factors kept); the base model's ratios\n"
              ";   between groups are lost.\n", f);
    fputs(";\n", f);
    int ng = h->has_group ? base->ngroups : 1;
    for (int gi = 0; gi < ng; gi++) {
        const cov_rate_fit *r = &fit->g[gi];
        const char *name = h->has_group ? base->g[gi].name : fit->totals ? "factors on all groups" : "all groups";
        if (!r->fitted) {
            snprintf(line, sizeof line, "%s: NOT FITTED, the base model's rates are kept: %s", name, r->reason);
            comment(f, line, 96);
            continue;
        }
        fprintf(f, "; %s: %ld steps (longest %d month%s, %ld with card flows), dispersion %.2f (1 = binomial\n"
                   ";   noise only), correlation of the two estimates %.2f\n", name, r->transitions, r->max_gap,
                r->max_gap == 1 ? "" : "s", r->flow_steps, r->phi, r->corr);
        if (r->reason[0]) { snprintf(line, sizeof line, "  %s", r->reason); comment(f, line, 96); }
        if (!r->separated)
            fputs(";   THESE DATA CANNOT TELL ENROLLMENT FROM LAPSE APART (an error above half the\n"
                  ";   estimate): their balance enroll/(enroll+lapse) is better determined than each\n", f);
    }
    if (fit->skipped_jumps || fit->skipped_gaps || fit->skipped_zero || fit->single_month)
        fprintf(f, "; notes: of %ld steps, %ld set aside for a population change beyond demography (over 5%%\n"
                   ";   in a month, +0.5%% per further month: re-registration), %ld for a gap over %d months,\n"
                   ";   %ld with no people; %d series with a single month (no step)\n",
                fit->steps_seen, fit->skipped_jumps, fit->skipped_gaps, MAX_STEP, fit->skipped_zero,
                fit->single_month);
    fprintf(f, "; commune spread of enrollment: %.3f from %d series%s\n", fit->commune_sd, fit->communes_used,
            fit->communes_used < 5 ? " (too few to estimate: the base model's kept)" : "");
    const cov_shock_fit *k = &fit->shock;
    if (k->estimated) {
        char mon[8];
        cov_month_format(k->last_month, mon);
        if (k->summed) fprintf(f, "; SHOCK fitted on the sum of the %d series (one walk is common to every commune):\n", k->summed);
        fprintf(f, "; SHOCK: a random walk on the log hazards (enrollment x e^X, lapse x e^-X), %.4g a year\n"
                   ";   (95%% interval %.3g to %.3g, profile likelihood over %ld steps), with a reporting noise of\n"
                   ";   %.2f points of coverage on each reported point. The rates below are the fit's at %s:\n"
                   ";   the level X = %+.3f (error %.3f) filtered to that point, and the speed u = %+.3f%s\n"
                   ";   (enrollment x e^(u+X), lapse x e^(u-X)); [common] carries the level's error and\n"
                   ";   shock_sd (docs/MODEL.md, Calibration: the shock). Filtered coverage there %.2f%%.\n",
                k->sd, k->lo, k->hi, k->steps, 100 * k->noise, mon, k->level, k->level_se, k->speed,
                k->speed_fitted ? "" : " (not fitted: its maximum is at the bound)", 100 * k->coverage);
    } else if (k->reason[0]) {
        snprintf(line, sizeof line, "shock: not estimated, shock_sd kept from the base model (%g): %s", base->shock_sd,
                 k->reason);
        comment(f, line, 96);
    }
    fputs("\n[model]\nname = calibrated model\n\n", f);
    for (int g = 0; g < base->ngroups; g++)
        group_block(f, &base->g[g], h->has_group ? &fit->g[g] : &fit->g[0], fit->totals,
                    fit->shock.estimated ? fit->shock.speed + fit->shock.level : 0,
                    fit->shock.estimated ? fit->shock.speed - fit->shock.level : 0);
    fprintf(f, "[communes]\nenroll_sd = %.4g\n", fit->communes_used >= 5 ? fmin(fit->commune_sd, 5) : base->commune_enroll_sd);
    if (base->commune_lapse_sd > 0) fprintf(f, "lapse_sd = %.4g\n", base->commune_lapse_sd);
    common_block(f, base, fit);
    return !ferror(f);
}

void cov_fit_print(FILE *fp, const cov_history *h, const cov_model *m, const cov_fit *fit)
{
    int ng = h->has_group ? m->ngroups : 1;
    fprintf(fp, "%-14s %-28s %-28s %6s %6s %6s %4s\n", "group", fit->totals ? "enroll factor (95%)" : "enroll / month (95%)",
            fit->totals ? "lapse factor (95%)" : "lapse / month (95%)", "corr", "disp.", "steps", "gap");
    for (int g = 0; g < ng; g++) {
        const cov_rate_fit *r = &fit->g[g];
        const char *name = h->has_group ? m->g[g].name : "all";
        if (!r->fitted) {
            fprintf(fp, "%-14s not fitted, base model's rates kept: %s\n", name, r->reason);
            continue;
        }
        char pe[64], ql[64];
        if (r->fit_p) snprintf(pe, sizeof pe, "%.5f (%.5f-%.5f)", r->p, r->lo_p, r->hi_p);
        else snprintf(pe, sizeof pe, "kept");
        if (r->fit_q) snprintf(ql, sizeof ql, "%.5f (%.5f-%.5f)", r->q, r->lo_q, r->hi_q);
        else snprintf(ql, sizeof ql, "kept");
        fprintf(fp, "%-14s %-28s %-28s %6.2f %6.2f %6ld %4d%s\n", name, pe, ql, r->corr, r->phi, r->transitions,
                r->max_gap, r->separated ? "" : "  (cannot tell enroll from lapse)");
        if (r->reason[0]) fprintf(fp, "%-14s %s\n", "", r->reason);
    }
    if (fit->totals)
        fputs("Totals only: common factors on the base model's hazards; the groups keep its ratios and the\n"
              "population file's mix.\n", fp);
    if (fit->pooled_groups)
        fprintf(fp, "Groups pooled: no group column and no --population, so every one of the model's %d groups\n"
                    "gets these rates; give --population SNAPSHOT.csv to keep the base model's ratios.\n",
                m->ngroups);
    fprintf(fp, "(commune spread of enrollment %.3f from %d series)\n", fit->commune_sd, fit->communes_used);
    const cov_shock_fit *k = &fit->shock;
    if (k->estimated) {
        char mon[8];
        cov_month_format(k->last_month, mon);
        if (k->summed) fprintf(fp, "Shock, on the sum of the %d series (the walk is common to every commune):\n", k->summed);
        fprintf(fp, "Shock (random walk on the log hazards): %.4f a year (95%% %.4f-%.4f) from %ld steps; at %s the\n"
                    "enrollment hazard is x%.3f and the lapse hazard x%.3f the fitted rates' (level %+.3f, error %.3f;\n"
                    "speed %+.3f%s); reporting noise %.2f points of coverage (filtered coverage at %s: %.2f%%)\n",
                k->sd, k->lo, k->hi, k->steps, mon, exp(k->speed + k->level), exp(k->speed - k->level), k->level,
                k->level_se, k->speed, k->speed_fitted ? "" : ", not fitted", 100 * k->noise, mon, 100 * k->coverage);
    } else if (k->reason[0]) {
        fprintf(fp, "Shock not estimated, shock_sd kept from the base model: %s\n", k->reason);
    }
    if (fit->skipped_jumps || fit->skipped_gaps || fit->skipped_zero || fit->single_month)
        fprintf(fp, "Set aside: of %ld steps, %ld across a population change beyond demography (re-registration),\n"
                    "%ld across a gap over %d months, %ld with no people; %d series with a single month.\n",
                fit->steps_seen, fit->skipped_jumps, fit->skipped_gaps, MAX_STEP, fit->skipped_zero,
                fit->single_month);
}
