/* events.c — reclassification (hypergeometric movers, binomial keepers),
 * school drives, births and deaths, on one commune's cells. Nobody appears
 * or disappears except by births and deaths. */
#include "events.h"
#include "binomial.h"
#include "rng.h"

#include <gsl/gsl_randist.h>
#include <math.h>

void cov_cells_init(cov_cells *x, const cov_scenario *s, int c)
{
    const cov_commune *cm = &s->pop->c[c];
    for (int g = 0; g < s->model->ngroups; g++) {
        int64_t U = cm->N[g] - cm->I[g];
        int64_t Uh = (int64_t)floor(s->model->g[g].hard_share * (double)U + 0.5);
        x->N[2 * g] = cm->N[g] - Uh;
        x->I[2 * g] = cm->I[g];
        x->N[2 * g + 1] = Uh;
        x->I[2 * g + 1] = 0;
    }
}

double cov_logit_shift(double p, double sd, double z)
{
    if (sd <= 0 || p <= 0 || p >= 1) return p;
    double l = log(p / (1 - p)) + sd * z;
    return 1 / (1 + exp(-l));
}

/* Hypergeometric: how many of t drawn without replacement from n1 marked
 * and n2 unmarked are marked. */
static int64_t hyper(gsl_rng *r, int64_t n1, int64_t n2, int64_t t)
{
    if (t <= 0 || n1 <= 0) return 0;
    if (n2 <= 0) return t;
    return (int64_t)gsl_ran_hypergeometric(r, (unsigned)n1, (unsigned)n2, (unsigned)t);
}

static void reclassify(const cov_scenario *s, const cov_reclassify *x, gsl_rng *r, int c, double keep,
                       cov_cells *st)
{
    int a = x->from;
    int64_t NA = st->N[2 * a] + st->N[2 * a + 1];
    int64_t K;
    if (x->people >= 0) K = x->people;
    else if (x->column >= 0) K = s->pop->c[c].extra[x->column];
    else K = (int64_t)floor(x->fraction * (double)NA + 0.5);
    if (K > NA) K = NA;                      /* cannot move more people than the group has */
    if (K <= 0) return;
    int64_t Ie = st->I[2 * a], Ih = st->I[2 * a + 1];
    int64_t Ue = st->N[2 * a] - Ie, Uh = st->N[2 * a + 1] - Ih;
    int64_t Im = hyper(r, Ie + Ih, Ue + Uh, K), Um = K - Im;     /* insured among the movers */
    int64_t Imh = hyper(r, Ih, Ie, Im), Umh = hyper(r, Uh, Ue, Um);
    st->I[2 * a] -= Im - Imh;
    st->N[2 * a] -= (Im - Imh) + (Um - Umh);
    st->I[2 * a + 1] -= Imh;
    st->N[2 * a + 1] -= Imh + Umh;
    /* Destination sizes by largest remainder; insured among each by
     * sequential hypergeometric draws; keepers binomial. */
    int64_t Kb[COV_MAX_GROUPS], given = 0;
    double rem[COV_MAX_GROUPS];
    for (int b = 0; b < x->nto; b++) {
        double want = x->to_frac[b] * (double)K;
        Kb[b] = (int64_t)floor(want);
        rem[b] = want - (double)Kb[b];
        given += Kb[b];
    }
    while (given < K) {
        int best = 0;
        for (int b = 1; b < x->nto; b++) if (rem[b] > rem[best]) best = b;
        Kb[best]++; rem[best] = -1; given++;
    }
    int64_t Ileft = Im, Uleft = Um;
    for (int b = 0; b < x->nto; b++) {
        int64_t Ib = b == x->nto - 1 ? Ileft : hyper(r, Ileft, Uleft, Kb[b]);
        Ileft -= Ib;
        Uleft -= Kb[b] - Ib;
        int64_t kept = cov_binomial(r, keep, Ib);
        int g = x->to[b];
        st->N[2 * g] += Kb[b];                /* newcomers join the easy-to-reach cell */
        st->I[2 * g] += kept;
    }
}

void cov_events_apply(const cov_scenario *s, gsl_rng *rng, int c, int am, uint64_t base,
                      const uint64_t *gprefix, const double *keep, const double *drive, cov_cells *x)
{
    const int G = s->model->ngroups;
    for (int k = 0; k < s->nreclass; k++) {
        const cov_reclassify *rc = &s->reclass[k];
        if (rc->month != am || (rc->communes && !rc->communes[c])) continue;
        gsl_rng_set(rng, cov_key_mix(cov_key_mix(base, rc->key), cov_month_purpose(am, COV_PURPOSE_RECLASSIFY)));
        reclassify(s, rc, rng, c, keep[k], x);
    }
    for (int k = 0; k < s->nschools; k++) {
        const cov_school *sc = &s->schools[k];
        bool now = sc->calendar >= 0 ? am % 12 == sc->calendar : am == sc->month;
        if (!now || (sc->communes && !sc->communes[c])) continue;
        for (int g = 0; g < G; g++) {
            if (!sc->groups[g]) continue;
            gsl_rng_set(rng, cov_key_mix(cov_key_mix(gprefix[g], cov_month_purpose(am, COV_PURPOSE_SCHOOL)), sc->key));
            for (int cell = 2 * g; cell <= 2 * g + 1; cell++)
                x->I[cell] += cov_binomial(rng, drive[k], x->N[cell] - x->I[cell]);
        }
    }
    for (int k = 0; k < s->nextras; k++) {   /* extra cards: the easy-to-reach first */
        const cov_extra *e = &s->extras[k];
        if (am < e->m0 || am > e->m1 || (e->communes && !e->communes[c])) continue;
        int64_t left = (int64_t)floor(e->cards + 0.5);
        for (int pass = 0; pass < 2 && left > 0; pass++)
            for (int g = 0; g < G && left > 0; g++) {
                if (!e->groups[g]) continue;
                int cell = 2 * g + pass;
                int64_t take = x->N[cell] - x->I[cell] < left ? x->N[cell] - x->I[cell] : left;
                x->I[cell] += take;
                left -= take;
            }
    }
    const cov_demography *dm = &s->demo;
    if (!dm->on) return;
    if (dm->deaths > 0)
        for (int g = 0; g < G; g++) {
            gsl_rng_set(rng, cov_key_mix(gprefix[g], cov_month_purpose(am, COV_PURPOSE_DEATHS)));
            for (int cell = 2 * g; cell <= 2 * g + 1; cell++) {
                int64_t dI = cov_binomial(rng, dm->deaths, x->I[cell]);
                int64_t dU = cov_binomial(rng, dm->deaths, x->N[cell] - x->I[cell]);
                x->I[cell] -= dI;
                x->N[cell] -= dI + dU;
            }
        }
    if (dm->births > 0 && dm->birth_group >= 0) {
        int64_t total = 0;
        for (int cell = 0; cell < 2 * G; cell++) total += x->N[cell];
        gsl_rng_set(rng, cov_key_mix(base, cov_month_purpose(am, COV_PURPOSE_BIRTHS)));
        int64_t B = (int64_t)gsl_ran_poisson(rng, dm->births * (double)total);
        int64_t Bi = cov_binomial(rng, dm->insured_at_birth, B);
        x->N[2 * dm->birth_group] += B;
        x->I[2 * dm->birth_group] += Bi;
    }
}
