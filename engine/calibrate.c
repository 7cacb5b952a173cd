/* calibrate.c — estimates each group's monthly enrollment and lapse
 * probabilities from a coverage history, with their uncertainty, and
 * writes them as a model file whose per-replicate spreads carry that
 * uncertainty into projections.
 *
 * From coverage levels alone the expected step is I' - I = p U - q I, so p
 * and q come from a weighted least-squares fit (GSL) across communes and
 * months; they separate only as far as U and I vary independently (near
 * equilibrium they do not, and the fit says so through their correlation).
 * Weights use the binomial variance U p(1-p) + I q(1-q); the dispersion phi
 * (Pearson chi-square per degree of freedom) widens the errors when the data
 * vary more than binomial noise, as real communes do (quasi-likelihood).
 * With card flows (new_cards, lost_cards) each rate is a ratio of counts. */
#include "history.h"

#include <gsl/gsl_multifit.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct { double U, I, y, E, L; int series; } step;

/* The month-to-month steps of group gi (all series when the history has no
 * groups) up to cutoff. */
static long collect(const cov_history *h, int gi, int cutoff, step **out, cov_fit *fit)
{
    long cap = 64, n = 0;
    step *v = malloc((size_t)cap * sizeof *v);
    for (int k = 0; v && k < h->nseries; k++) {
        const cov_hseries *s = &h->s[k];
        if (h->has_group && s->group != gi) continue;
        for (int j = 0; j + 1 < s->n; j++) {
            if (s->month[j + 1] > cutoff) break;
            if (s->month[j + 1] != s->month[j] + 1) { fit->skipped_gaps++; continue; }
            if (s->N[j + 1] != s->N[j]) { fit->skipped_jumps++; continue; }   /* re-registration: not a step */
            if (s->N[j] == 0) { fit->skipped_zero++; continue; }
            if (n == cap) {
                cap *= 2;
                step *nv = realloc(v, (size_t)cap * sizeof *nv);
                if (!nv) { free(v); return -1; }
                v = nv;
            }
            v[n++] = (step){ (double)(s->N[j] - s->I[j]), (double)s->I[j], (double)(s->I[j + 1] - s->I[j]),
                             h->has_flows ? (double)s->E[j + 1] : 0, h->has_flows ? (double)s->L[j + 1] : 0, k };
        }
    }
    *out = v;
    return n;
}

static double clampd(double x, double lo, double hi) { return x < lo ? lo : x > hi ? hi : x; }

/* Weighted least squares of y = p U - q I; returns false when singular. */
static bool wls(const step *v, long n, double p0, double q0, double *p, double *q, double cov[3], double *phi)
{
    gsl_matrix *X = gsl_matrix_alloc((size_t)n, 2), *C = gsl_matrix_alloc(2, 2);
    gsl_vector *y = gsl_vector_alloc((size_t)n), *w = gsl_vector_alloc((size_t)n), *c = gsl_vector_alloc(2);
    gsl_multifit_linear_workspace *ws = gsl_multifit_linear_alloc((size_t)n, 2);
    bool ok = X && C && y && w && c && ws;
    for (long i = 0; ok && i < n; i++) {
        gsl_matrix_set(X, (size_t)i, 0, v[i].U);
        gsl_matrix_set(X, (size_t)i, 1, -v[i].I);
        gsl_vector_set(y, (size_t)i, v[i].y);
        double var = v[i].U * p0 * (1 - p0) + v[i].I * q0 * (1 - q0);
        gsl_vector_set(w, (size_t)i, 1.0 / fmax(var, 0.25));
    }
    double chisq = 0;
    if (ok) ok = gsl_multifit_wlinear(X, w, y, c, C, &chisq, ws) == 0;
    if (ok) {
        *p = gsl_vector_get(c, 0);
        *q = gsl_vector_get(c, 1);
        *phi = n > 2 ? chisq / (double)(n - 2) : 1;
        double s = fmax(*phi, 1.0);
        cov[0] = s * gsl_matrix_get(C, 0, 0);
        cov[1] = s * gsl_matrix_get(C, 1, 1);
        cov[2] = s * gsl_matrix_get(C, 0, 1);
        ok = isfinite(*p) && isfinite(*q) && cov[0] > 0 && cov[1] > 0;
    }
    gsl_matrix_free(X); gsl_matrix_free(C); gsl_vector_free(y); gsl_vector_free(w); gsl_vector_free(c);
    if (ws) gsl_multifit_linear_free(ws);
    return ok;
}

static void fit_group(const step *v, long n, bool flows, cov_rate_fit *f)
{
    f->transitions = n;
    f->flows = flows;
    if (n < 3) return;
    if (flows) {
        double sE = 0, sL = 0, sU = 0, sI = 0;
        for (long i = 0; i < n; i++) { sE += v[i].E; sL += v[i].L; sU += v[i].U; sI += v[i].I; }
        if (sU <= 0 || sI <= 0) return;
        f->p = clampd(sE / sU, 1e-7, 0.999);
        f->q = clampd(sL / sI, 1e-7, 0.999);
        double xp = 0, xq = 0;
        for (long i = 0; i < n; i++) {
            if (v[i].U > 0) xp += pow(v[i].E - f->p * v[i].U, 2) / (v[i].U * f->p * (1 - f->p));
            if (v[i].I > 0) xq += pow(v[i].L - f->q * v[i].I, 2) / (v[i].I * f->q * (1 - f->q));
        }
        double php = fmax(1, xp / (double)(n - 1)), phq = fmax(1, xq / (double)(n - 1));
        f->phi = fmax(xp, xq) / (double)(n - 1);
        f->se_p = sqrt(php * f->p * (1 - f->p) / sU);
        f->se_q = sqrt(phq * f->q * (1 - f->q) / sI);
        f->corr = 0;
        f->separated = true;
        f->fitted = true;
        return;
    }
    double p = 0.01, q = 0.01, cov[3], phi = 1;
    for (int it = 0; it < 3; it++) {   /* weights from the previous estimates */
        double np, nq;
        if (!wls(v, n, clampd(p, 1e-4, 0.5), clampd(q, 1e-4, 0.5), &np, &nq, cov, &phi)) return;
        p = np; q = nq;
    }
    f->p = clampd(p, 1e-7, 0.999);
    f->q = clampd(q, 1e-7, 0.999);
    f->se_p = sqrt(cov[0]);
    f->se_q = sqrt(cov[1]);
    f->corr = clampd(cov[2] / sqrt(cov[0] * cov[1]), -1, 1);
    f->phi = phi;
    f->separated = f->se_p < 0.5 * f->p && f->se_q < 0.5 * f->q;   /* each pinned down to +-50% */
    f->fitted = true;
}

void cov_fit_rates(const cov_history *h, const cov_model *m, int cutoff, cov_fit *out)
{
    memset(out, 0, sizeof *out);
    int ng = h->has_group ? m->ngroups : 1;
    for (int k = 0; k < h->nseries; k++) out->single_month += h->s[k].n == 1;
    double sum = 0, sum2 = 0, noise = 0;
    int used = 0;
    for (int gi = 0; gi < ng; gi++) {
        step *v = NULL;
        long n = collect(h, gi, cutoff, &v, out);
        if (n < 0) continue;
        fit_group(v, n, h->has_flows, &out->g[gi]);
        const cov_rate_fit *f = &out->g[gi];
        /* commune spread: each series' own enroll rate with q fixed, on the log scale */
        for (long a = 0; f->fitted && a < n;) {
            long b = a;
            double num = 0, den = 0;
            while (b < n && v[b].series == v[a].series) {
                double var = fmax(v[b].U * f->p * (1 - f->p) + v[b].I * f->q * (1 - f->q), 0.25);
                double yy = h->has_flows ? v[b].E : v[b].y + f->q * v[b].I;
                num += v[b].U * yy / var;
                den += v[b].U * v[b].U / var;
                b++;
            }
            if (b - a >= 3 && den > 0 && num > 0) {
                double pc = num / den, s2 = fmax(f->phi, 1.0) / den / (pc * pc);
                double l = log(pc / f->p);
                sum += l; sum2 += l * l; noise += s2;
                used++;
            }
            a = b;
        }
        free(v);
    }
    out->communes_used = used;
    if (used >= 5) {
        double mean = sum / used, var = (sum2 - used * mean * mean) / (used - 1) - noise / used;
        out->commune_sd = var > 0 ? sqrt(var) : 0;
    }
}

static void group_block(FILE *f, const cov_group *g, const cov_rate_fit *fit)
{
    fprintf(f, "[group.%s]\n", g->name);
    if (g->label) fprintf(f, "label = %s\n", g->label);
    if (fit && fit->fitted) {
        fprintf(f, "enroll = %.6g          ; +- %.2g (standard error)\n", fit->p, fit->se_p);
        fprintf(f, "lapse = %.6g           ; +- %.2g\n", fit->q, fit->se_q);
        fprintf(f, "enroll_sd = %.4g       ; the estimate's uncertainty, as a per-replicate spread\n",
                fmin(fit->se_p / fit->p, 5));
        fprintf(f, "lapse_sd = %.4g\n", fmin(fit->se_q / fit->q, 5));
        if (fit->corr != 0) fprintf(f, "rate_corr = %.4f\n", fit->corr);
    } else {
        fprintf(f, "enroll = %.6g          ; not fitted: kept from the base model\n", g->enroll);
        fprintf(f, "lapse = %.6g\n", g->lapse);
        if (g->enroll_sd > 0) fprintf(f, "enroll_sd = %.4g\n", g->enroll_sd);
        if (g->lapse_sd > 0) fprintf(f, "lapse_sd = %.4g\n", g->lapse_sd);
        if (g->rate_corr != 0) fprintf(f, "rate_corr = %.4f\n", g->rate_corr);
    }
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
    fputc('\n', f);
}

bool cov_fit_write_model(FILE *f, const cov_history *h, const cov_model *base, const cov_fit *fit, int cutoff)
{
    char a[8], b[8];
    cov_month_format(h->first, a);
    cov_month_format(cutoff < h->last ? cutoff : h->last, b);
    fprintf(f, "; Calibrated by covcast %s from %s, months %s to %s, %d series\n", COV_VERSION, h->path, a, b,
            h->nseries);
    fprintf(f, "; (base model: %s). Rates are per month; each *_sd is the estimate's standard\n", base->path);
    fputs("; error on the log scale, drawn once per replicate, so projections carry the\n"
          "; uncertainty of the fit. Method: weighted least squares of the monthly step\n"
          "; I' - I = enroll*U - lapse*I with quasi-binomial dispersion (card flows, when\n"
          "; given, are used directly).\n;\n", f);
    int ng = h->has_group ? base->ngroups : 1;
    for (int gi = 0; gi < ng; gi++) {
        const cov_rate_fit *r = &fit->g[gi];
        const char *name = h->has_group ? base->g[gi].name : "all groups";
        if (!r->fitted) {
            fprintf(f, "; %s: not fitted (%ld month-to-month steps; at least 3 are needed)\n", name, r->transitions);
            continue;
        }
        fprintf(f, "; %s: %ld steps, dispersion %.2f (1 = binomial noise only), correlation of the\n"
                   ";   two estimates %.2f%s\n", name, r->transitions, r->phi, r->corr,
                r->flows ? " (from card flows)" :
                r->separated ? "" : "\n;   THESE DATA CANNOT TELL ENROLLMENT FROM LAPSE APART (an error above half the\n"
                ";   estimate): their balance enroll/(enroll+lapse) is better determined than each");
    }
    if (fit->skipped_jumps || fit->skipped_gaps || fit->skipped_zero || fit->single_month)
        fprintf(f, "; notes: %ld steps skipped for a population change (re-registration), %ld for missing\n"
                   ";   months, %ld with no people; %d series with a single month (no step)\n",
                fit->skipped_jumps, fit->skipped_gaps, fit->skipped_zero, fit->single_month);
    fprintf(f, "; commune spread of enrollment: %.3f from %d series%s\n\n", fit->commune_sd, fit->communes_used,
            fit->communes_used < 5 ? " (too few to estimate: 0 kept)" : "");
    fputs("[model]\nname = calibrated model\n\n", f);
    for (int g = 0; g < base->ngroups; g++)
        group_block(f, &base->g[g], h->has_group ? &fit->g[g] : &fit->g[0]);
    fprintf(f, "[communes]\nenroll_sd = %.4g\n", fit->communes_used >= 5 ? fmin(fit->commune_sd, 5) : base->commune_enroll_sd);
    if (base->commune_lapse_sd > 0) fprintf(f, "lapse_sd = %.4g\n", base->commune_lapse_sd);
    return !ferror(f);
}
