/* simulate.c — the replicate loop (MODEL.md "One month") and the order in
 * which statistics are taken. The only file with OpenMP pragmas.
 *
 * Communes are independent given a replicate's parameters. The work is cut
 * into items, each a chunk of one commune's replicates, handed out to the
 * threads in order, commune after commune. A commune's series ([m][s][r],
 * every replicate) live in one of a few buffers, taken when its first item
 * starts; the thread that finishes its last item takes the commune's
 * statistics at once, while the series are still in cache, adds them into
 * its parent units' sums and gives the buffer back. So a run touches the
 * parent units' per-replicate integer sums and a buffer per thread (plus
 * one), not communes x months x replicates, and there is no barrier
 * between communes. The parent sums are laid out as the communes' series
 * ([unit][m][s][r]), so their statistics read them in place. */
#include "binomial.h"
#include "dist.h"
#include "events.h"
#include "rng.h"
#include "simulate.h"
#include "stats.h"
#include "types.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define POOL_BYTES (256L << 20)    /* commune buffers beyond two: at most this many bytes */
#define RUN 16                     /* an item's replicates: a multiple of RUN, whole cache lines */
#define ITEMS_PER_THREAD 32        /* items wanted per thread, for the balance at the end */

static volatile sig_atomic_t interrupted;
void cov_interrupt(void) { interrupted = 1; }
int cov_interrupted(void) { return interrupted; }

typedef struct {
    const cov_scenario *s;
    int H, G, S, C, K, P;          /* months, groups, series, communes, campaigns, parent units */
    long R;
    long r_from;                   /* replicates [0, r_from) are kept from an earlier run, not simulated */
    double *fe, *fl;               /* [R][G] replicate rate factors */
    double *ke, *kl;               /* [R][K] replicate campaign multipliers */
    double *keep, *drive;          /* [R][reclassifications], [R][school drives] */
    double *sh_e, *sh_l;           /* [R][H+1] the common shock's factors exp(X_m), exp(-X_m); NULL: no shock */
    double log1m_e[COV_MAX_GROUPS], log1m_l[COV_MAX_GROUPS];
    bool steady[COV_MAX_GROUPS];   /* no seasonality, no campaign: the same rates every month */
    int *parent_of;                /* [C][nlevels+1] parent unit indices */
} plan;

/* p_eff = 1 - (1-p)^m through the hazard, given log(1-p). */
static inline double effective(double log1m, double m)
{
    if (!(m > 0) || log1m == 0) return 0.0;    /* also NaN: no transition */
    if (isinf(log1m) || isinf(m)) return 1.0;
    return -expm1(m * log1m);
}

static uint64_t group_key(const cov_scenario *s, int g) { return s->model->g[g].key; }

/* Per-replicate draws that do not depend on the commune: standard normals
 * are always drawn, so scenarios that differ in a spread keep common
 * random numbers. */
static void draw_replicate_params(plan *pl, gsl_rng *rng, long r)
{
    const cov_scenario *s = pl->s;
    for (int g = 0; g < pl->G; g++) {
        const cov_group *gr = &s->model->g[g];
        gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, 0, gr->key, 0, COV_PURPOSE_GROUP_RATE));
        double z1 = gsl_ran_ugaussian(rng), z2 = gsl_ran_ugaussian(rng);
        if (gr->rate_corr != 0) z2 = gr->rate_corr * z1 + sqrt(1 - gr->rate_corr * gr->rate_corr) * z2;
        pl->fe[r * pl->G + g] = exp(gr->enroll_sd * z1);
        pl->fl[r * pl->G + g] = exp(gr->lapse_sd * z2);
    }
    if (s->model->common) {   /* [common]: one factor pair for every group */
        const cov_model *md = s->model;
        gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, 0, 0, 0, COV_PURPOSE_COMMON_RATE));
        double z1 = gsl_ran_ugaussian(rng), z2 = gsl_ran_ugaussian(rng);
        if (md->common_rate_corr != 0)
            z2 = md->common_rate_corr * z1 + sqrt(1 - md->common_rate_corr * md->common_rate_corr) * z2;
        double ce = exp(md->common_enroll_sd * z1), cl = exp(md->common_lapse_sd * z2);
        for (int g = 0; g < pl->G; g++) {
            pl->fe[r * pl->G + g] *= ce;
            pl->fl[r * pl->G + g] *= cl;
        }
    }
    if (pl->sh_e) {   /* [common] shock_sd: X_m = X_{m-1} + (shock_sd / sqrt 12) Z_m, X_0 = 0 */
        const double step = s->model->shock_sd / sqrt(12.0);
        double x = 0;
        double *se = pl->sh_e + r * (pl->H + 1), *sl = pl->sh_l + r * (pl->H + 1);
        se[0] = sl[0] = 1;
        for (int m = 1; m <= pl->H; m++) {
            gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, 0, 0, s->start + m, COV_PURPOSE_SHOCK));
            x += step * gsl_ran_ugaussian(rng);
            se[m] = exp(x);
            sl[m] = exp(-x);
        }
    }
    for (int k = 0; k < pl->K; k++) {
        const cov_campaign *c = &s->campaigns[k];
        gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, c->key, 0, 0, COV_PURPOSE_CAMPAIGN));
        double z1 = gsl_ran_ugaussian(rng), z2 = gsl_ran_ugaussian(rng);
        pl->ke[r * pl->K + k] = c->enroll_mult * exp(c->enroll_sd * z1);
        pl->kl[r * pl->K + k] = c->lapse_mult * exp(c->lapse_sd * z2);
    }
    for (int k = 0; k < s->nreclass; k++) {
        const cov_reclassify *x = &s->reclass[k];
        gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, x->key, 0, 0, COV_PURPOSE_EVENT_PARAM));
        pl->keep[r * s->nreclass + k] = cov_logit_shift(x->keep, x->keep_sd, gsl_ran_ugaussian(rng));
    }
    for (int k = 0; k < s->nschools; k++) {
        const cov_school *x = &s->schools[k];
        gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, x->key, 0, 0, COV_PURPOSE_EVENT_PARAM));
        pl->drive[r * s->nschools + k] = cov_logit_shift(x->enroll, x->enroll_sd, gsl_ran_ugaussian(rng));
    }
}

/* The rates of commune c's unit in replicate r where its rates file row
 * covers a group (MODEL.md "Rates per unit in a run"): the unit's factor
 * pair, drawn from a stream keyed by the unit and group, replaces the
 * group's in fe, fl; its log(1 - p) and p replace the group's in lme, lml,
 * pe, pq. Groups without a row keep what the arrays hold. */
static void unit_rates(const plan *pl, gsl_rng *rng, int c, long r, double *fe, double *fl,
                       double *lme, double *lml, double *pe, double *pq)
{
    const cov_scenario *s = pl->s;
    const cov_unit_rates *u = s->urates;
    const int k = u->unit_of[c];
    for (int g = 0; g < pl->G; g++) {
        long i = (long)k * pl->G + g;
        if (!u->has[i]) continue;
        const double rho = s->model->g[g].rate_corr;
        gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, u->key[k], group_key(s, g), 0, COV_PURPOSE_UNIT_RATE));
        double z1 = gsl_ran_ugaussian(rng), z2 = gsl_ran_ugaussian(rng);
        if (rho != 0) z2 = rho * z1 + sqrt(1 - rho * rho) * z2;
        fe[g] = exp(u->sd_e[i] * z1);
        fl[g] = exp(u->sd_l[i] * z2);
        lme[g] = u->log1m_e[i];
        lml[g] = u->log1m_l[i];
        pe[g] = u->p_e[i];
        pq[g] = u->p_l[i];
    }
}

/* Simulates commune c in replicate r; writes its series into I/N at
 * [(m*S + s)*R + r]. */
static void simulate_commune(const plan *pl, gsl_rng *rng, int c, long r,
                             int64_t *I_out, int64_t *N_out)
{
    const cov_scenario *s = pl->s;
    const cov_commune *cm = &s->pop->c[c];
    const int H = pl->H, G = pl->G, S = pl->S, K = pl->K;
    const long R = pl->R;
    cov_cells x;
    cov_cells_init(&x, s, c);

    gsl_rng_set(rng, cov_stream_key(s->seed, (uint64_t)r, cm->key, 0, 0, COV_PURPOSE_COMMUNE_RE));
    double z1 = gsl_ran_ugaussian(rng), z2 = gsl_ran_ugaussian(rng);
    double re_e = exp(s->model->commune_enroll_sd * z1), re_l = exp(s->model->commune_lapse_sd * z2);
    uint64_t h = cov_key_mix(cov_key_mix(cov_key_mix(COV_KEY_ROOT, s->seed), (uint64_t)r), cm->key);
    uint64_t prefix[COV_MAX_GROUPS];
    for (int g = 0; g < G; g++) prefix[g] = cov_key_mix(h, group_key(s, g));
    const double *fe = pl->fe + r * G, *fl = pl->fl + r * G;
    const double *log1m_e = pl->log1m_e, *log1m_l = pl->log1m_l;
    double u_fe[COV_MAX_GROUPS], u_fl[COV_MAX_GROUPS], u_le[COV_MAX_GROUPS], u_ll[COV_MAX_GROUPS];
    double u_pe[COV_MAX_GROUPS], u_pl[COV_MAX_GROUPS];
    if (s->urates) {   /* the unit's rates replace the group's where the rates file has them */
        for (int g = 0; g < G; g++) {
            u_fe[g] = fe[g]; u_fl[g] = fl[g]; u_le[g] = log1m_e[g]; u_ll[g] = log1m_l[g];
            u_pe[g] = s->model->g[g].enroll; u_pl[g] = s->model->g[g].lapse;
        }
        unit_rates(pl, rng, c, r, u_fe, u_fl, u_le, u_ll, u_pe, u_pl);
        fe = u_fe; fl = u_fl; log1m_e = u_le; log1m_l = u_ll;
    }
    const double *ke = pl->ke + r * K, *kl = pl->kl + r * K;
    const double *keep = pl->keep + r * s->nreclass, *drive = pl->drive + r * s->nschools;
    const bool events = s->nreclass || s->nschools || s->nextras || s->demo.on;
    /* p_eff cache per cell: multipliers rarely change from month to month. */
    double last_me[2 * COV_MAX_GROUPS], last_ml[2 * COV_MAX_GROUPS];
    double last_pe[2 * COV_MAX_GROUPS], last_pl[2 * COV_MAX_GROUPS];
    double last_le[2 * COV_MAX_GROUPS], last_ll[2 * COV_MAX_GROUPS];  /* log(1 - p_eff) = m log(1 - p) */
    for (int cell = 0; cell < 2 * G; cell++) {
        last_me[cell] = last_ml[cell] = 1.0;
        last_pe[cell] = s->urates ? u_pe[cell / 2] : s->model->g[cell / 2].enroll;
        last_pl[cell] = s->urates ? u_pl[cell / 2] : s->model->g[cell / 2].lapse;
        last_le[cell] = log1m_e[cell / 2];
        last_ll[cell] = log1m_l[cell / 2];
    }

    for (int m = 0; m <= H; m++) {
        if (m > 0) {
            int am = s->start + m, cal = am % 12;
            if (events) cov_events_apply(s, rng, c, am, h, prefix, keep, drive, &x);
            for (int g = 0; g < G; g++) {
                const cov_group *gr = &s->model->g[g];
                if (m == 1 || !pl->steady[g]) {   /* else: rates as last month */
                    double me = gr->seasonal_enroll[cal] * fe[g] * re_e;
                    double ml = gr->seasonal_lapse[cal] * fl[g] * re_l;
                    if (pl->sh_e) { me *= pl->sh_e[r * (H + 1) + m]; ml *= pl->sh_l[r * (H + 1) + m]; }
                    for (int k = 0; k < K; k++) {
                        const cov_campaign *kc = &s->campaigns[k];
                        if (am < kc->m0 || am > kc->m1 || !kc->groups[g]) continue;
                        if (kc->communes && !kc->communes[c]) continue;
                        if (kc->mask && !kc->mask[(long)c * (kc->m1 - kc->m0 + 1) + (am - kc->m0)]) continue;
                        me *= ke[k];
                        ml *= kl[k];
                        if (kc->nramp) me *= kc->ramp[am - kc->m0 < kc->nramp ? am - kc->m0 : kc->nramp - 1];
                    }
                    for (int cell = 2 * g; cell <= 2 * g + 1; cell++) {   /* empty cells too: events may fill them */
                        double mc = cell & 1 ? me * gr->hard_enroll_factor : me;
                        if (mc != last_me[cell]) {
                            last_me[cell] = mc;
                            last_pe[cell] = effective(log1m_e[g], mc);
                            last_le[cell] = last_pe[cell] <= 0 ? 0 : last_pe[cell] >= 1 ? -INFINITY : mc * log1m_e[g];
                        }
                        if (ml != last_ml[cell]) {
                            last_ml[cell] = ml;
                            last_pl[cell] = effective(log1m_l[g], ml);
                            last_ll[cell] = last_pl[cell] <= 0 ? 0 : last_pl[cell] >= 1 ? -INFINITY : ml * log1m_l[g];
                        }
                    }
                }
                for (int cell = 2 * g; cell <= 2 * g + 1; cell++) {
                    if (x.N[cell] == 0) continue;
                    cov_rng_seed(rng, cov_key_mix(prefix[g], cov_month_purpose(am, cell & 1 ? COV_PURPOSE_TRANSITION_HARD
                                                                                    : COV_PURPOSE_TRANSITION)));
                    int64_t E, L;
                    cov_binomial_pair(rng, last_pe[cell], last_le[cell], x.N[cell] - x.I[cell],
                                      last_pl[cell], last_ll[cell], x.I[cell], &E, &L);
                    x.I[cell] += E - L;
                }
            }
        }
        int64_t gI[COV_MAX_GROUPS], gN[COV_MAX_GROUPS], tI = 0, tN = 0;
        for (int g = 0; g < G; g++) {
            gI[g] = x.I[2 * g] + x.I[2 * g + 1];
            gN[g] = x.N[2 * g] + x.N[2 * g + 1];
            tI += gI[g];
            tN += gN[g];
        }
        for (int si = 0; si < S; si++) {
            int sg = s->series_group[si];
            int64_t si_I = sg < 0 ? tI : gI[sg], si_N = sg < 0 ? tN : gN[sg];
            long at = ((long)m * S + si) * R + r;
            I_out[at] = si_I;
            N_out[at] = si_N;
        }
    }
}

static cov_results *results_alloc(const cov_scenario *s, int P)
{
    cov_results *res = calloc(1, sizeof *res);
    if (!res) return NULL;
    const cov_population *pop = s->pop;
    int C = pop->ncommunes, U = C + P, H = s->months;
    res->nunits = U; res->ncommunes = C; res->months = H;
    res->replicates = s->replicates; res->threads = s->threads; res->nseries = s->nseries;
    res->unit_level = malloc((size_t)U * sizeof *res->unit_level);
    res->unit_name = malloc((size_t)U * sizeof *res->unit_name);
    res->unit_code = calloc((size_t)U, sizeof *res->unit_code);
    res->ms = calloc((size_t)U * (size_t)(H + 1), sizeof *res->ms);
    res->ts = calloc((size_t)s->ntargets + 1, sizeof *res->ts);
    if (!res->unit_level || !res->unit_name || !res->unit_code || !res->ms || !res->ts) return res;
    int u = 0;
    for (int c = 0; c < C; c++, u++) {
        res->unit_level[u] = COV_LEVEL_COMMUNE;
        res->unit_name[u] = pop->c[c].name;
        res->unit_code[u] = pop->c[c].code;
    }
    for (int l = 0; l < pop->nlevels; l++)
        for (int k = 0; k < pop->levels[l].nunits; k++, u++) {
            res->unit_level[u] = l;
            res->unit_name[u] = pop->levels[l].units[k];
        }
    res->unit_level[u] = COV_LEVEL_ALL;
    res->unit_name[u] = "all";
    for (int t = 0; t < s->ntargets; t++) {
        res->ts[t] = calloc((size_t)U, sizeof **res->ts);
        if (!res->ts[t]) return res;
        for (int v = 0; v < U; v++) {
            if (res->unit_level[v] != s->targets[t].level) continue;
            res->ts[t][v].first = calloc((size_t)H + 2, sizeof(long));
            if (s->keep_hits) res->ts[t][v].hit = calloc((size_t)s->replicates, 1);
        }
    }
    return res;
}

void cov_results_free(cov_results *r)
{
    if (!r) return;
    if (r->ts)
        for (int t = 0; r->ts[t]; t++) {
            for (int v = 0; v < r->nunits; v++) {
                free(r->ts[t][v].first); free(r->ts[t][v].hit); free(r->ts[t][v].ex_count);
            }
            free(r->ts[t]);
        }
    free(r->ts);
    free(r->rep_I); free(r->rep_N);
    free(r->unit_level); free(r->unit_name); free(r->unit_code); free(r->ms);
    free(r);
}

/* Statistics of one unit: its months and every target at its level. */
static void unit_stats(const cov_scenario *s, cov_results *res, int unit,
                       const cov_series *ser, double *scratch)
{
    cov_stats_months(ser, res->ms + (long)unit * (s->months + 1), scratch);
    if (res->rep_I) {
        long per = (long)(s->months + 1) * ser->nseries * ser->replicates;
        memcpy(res->rep_I + unit * per, ser->I, (size_t)per * sizeof(int64_t));
        memcpy(res->rep_N + unit * per, ser->N, (size_t)per * sizeof(int64_t));
    }
    for (int t = 0; t < s->ntargets; t++)
        if (res->unit_level[unit] == s->targets[t].level)
        {
            cov_stats_target(ser, &s->targets[t], s->targets[t].deadline - s->start,
                             &res->ts[t][unit], scratch);
            if (s->targets[t].level != COV_LEVEL_COMMUNE)
                cov_stats_exceedance(ser, &s->targets[t], s->targets[t].deadline - s->start, &res->ts[t][unit]);
        }
}

/* Adds up over the MPI ranks the parent sums A ([unit][m][s][r]) of the
 * replicates simulated now, r_from..R-1 of every row (the kept ones were
 * added up when they were made): in place when there are no kept ones,
 * else packed into a buffer first. Every rank takes the same branch. */
static bool sum_fresh(const plan *pl, int64_t *A)
{
    long rows = (long)pl->P * (pl->H + 1) * pl->S, fresh = pl->R - pl->r_from;
    if (pl->r_from == 0) return cov_dist_sum_i64(A, rows * pl->R);
    int64_t *t = malloc((size_t)(rows * fresh) * sizeof *t + 1);
    if (!cov_dist_all(t != NULL)) { free(t); return false; }
    for (long i = 0; i < rows; i++) memcpy(t + i * fresh, A + i * pl->R + pl->r_from, (size_t)fresh * sizeof *t);
    bool ok = cov_dist_sum_i64(t, rows * fresh);
    for (long i = 0; ok && i < rows; i++) memcpy(A + i * pl->R + pl->r_from, t + i * fresh, (size_t)fresh * sizeof *t);
    free(t);
    return ok;
}

/* With several MPI ranks: adds up the parent sums of the replicates
 * simulated now and shares every commune's statistics (months, targets,
 * kept replicates) with every rank. */
static bool exchange(const plan *pl, cov_results *res, int64_t *PI, int64_t *PN)
{
    const cov_scenario *s = pl->s;
    const int ranks = cov_dist_size(), rank = cov_dist_rank(), C = pl->C, H = pl->H;
    long per_unit = (long)(H + 1) * pl->S * pl->R;
    if (!sum_fresh(pl, PI) || !sum_fresh(pl, PN)) return false;
    long *off = malloc((size_t)(ranks + 1) * sizeof *off);
    if (!off) return false;
    bool ok = true;
#define SHARES(unit_bytes) for (int k = 0; k <= ranks; k++) off[k] = (long)C * k / ranks * (long)(unit_bytes)
    SHARES((H + 1) * (long)sizeof(cov_month_stats));
    ok = cov_dist_share(res->ms, off);
    if (ok && res->rep_I) {
        SHARES(per_unit * 8);
        ok = cov_dist_share(res->rep_I, off) && cov_dist_share(res->rep_N, off);
    }
    /* commune targets: packed records, one per commune (3 counts, 4 figures, the no-people flag, first[], hits) */
    long rec = 8 * 8 + (long)(H + 2) * 8 + (s->keep_hits ? pl->R : 0);
    char *buf = malloc((size_t)C * (size_t)rec + 1);
    for (int t = 0; ok && t < s->ntargets; t++) {
        if (s->targets[t].level != COV_LEVEL_COMMUNE) continue;
        if (!buf) { ok = false; break; }
        int c_lo = (int)((long)C * rank / ranks), c_hi = (int)((long)C * (rank + 1) / ranks);
        for (int c = c_lo; c < c_hi; c++) {
            const cov_target_stats *ts = &res->ts[t][c];
            char *p = buf + (long)c * rec;
            int64_t f[3] = { ts->reached, ts->reached_by, ts->cards_now };
            double g[4] = { ts->cov_q[0], ts->cov_q[1], ts->cov_q[2], ts->shortfall_p50 };
            memcpy(p, f, sizeof f); memcpy(p + 24, g, sizeof g);
            p[56] = ts->no_people;
            memcpy(p + 64, ts->first, (size_t)(H + 2) * 8);
            if (s->keep_hits) memcpy(p + 64 + (H + 2) * 8, ts->hit, (size_t)pl->R);
        }
        SHARES(rec);
        ok = cov_dist_share(buf, off);
        for (int c = 0; ok && c < C; c++) {
            cov_target_stats *ts = &res->ts[t][c];
            const char *p = buf + (long)c * rec;
            int64_t f[3];
            double g[4];
            memcpy(f, p, sizeof f); memcpy(g, p + 24, sizeof g);
            ts->reached = (long)f[0]; ts->reached_by = (long)f[1]; ts->cards_now = f[2];
            ts->cov_q[0] = g[0]; ts->cov_q[1] = g[1]; ts->cov_q[2] = g[2]; ts->shortfall_p50 = g[3];
            ts->no_people = p[56] != 0;
            memcpy(ts->first, p + 64, (size_t)(H + 2) * 8);
            if (s->keep_hits) memcpy(ts->hit, p + 64 + (H + 2) * 8, (size_t)pl->R);
        }
    }
#undef SHARES
    free(buf);
    free(off);
    return ok;
}

static long physical_memory(void)
{
    long pages = sysconf(_SC_PHYS_PAGES), size = sysconf(_SC_PAGESIZE);
    return pages > 0 && size > 0 ? pages * size : 0;
}

struct cov_reps {
    long R;                        /* replicates held */
    int64_t *CI, *CN;              /* this rank's communes: [commune][m][s][r], stride the run's R */
    int64_t *PI, *PN;              /* parent sums [unit][m][s][r], added up over MPI ranks */
    double bytes;
};

static double reps_held;           /* bytes held by every store, for the memory check */

cov_reps *cov_reps_new(void) { return calloc(1, sizeof(cov_reps)); }

/* Empties k: its replicates are forgotten and its memory returned. */
static void reps_clear(cov_reps *k)
{
    free(k->CI); free(k->CN); free(k->PI); free(k->PN);
    reps_held -= k->bytes;
    *k = (cov_reps){ 0 };
}

void cov_reps_free(cov_reps *k)
{
    if (!k) return;
    reps_clear(k);
    free(k);
}

/* Moves rows of old values each, laid end to end, to a stride of wide
 * values (wide >= old), in place: the last row first. With zero, the new
 * places of every row are set to 0. */
static void restride(int64_t *a, long rows, long old, long wide, bool zero)
{
    for (long i = rows - 1; i >= 0 && wide > old; i--) {
        if (i > 0 && old > 0) memmove(a + i * wide, a + i * old, (size_t)old * sizeof *a);
        if (zero) memset(a + i * wide + old, 0, (size_t)(wide - old) * sizeof *a);
    }
}

/* Makes room in k for R replicates of L communes and P parent units of pu
 * values each: every row moves to stride R, the new places of the parent
 * rows are zero; k->R (the replicates held) is unchanged. false when out of
 * memory (then k holds nothing usable: clear it). */
static bool reps_grow(cov_reps *k, int L, int P, long pu, long R)
{
    size_t cn = (size_t)L * (size_t)pu * (size_t)R + 1, pn = (size_t)P * (size_t)pu * (size_t)R + 1;
    int64_t **arr[4] = { &k->CI, &k->CN, &k->PI, &k->PN };
    for (int i = 0; i < 4; i++) {
        int64_t *a = realloc(*arr[i], (i < 2 ? cn : pn) * sizeof *a);
        if (!a) return false;
        *arr[i] = a;
    }
    restride(k->CI, (long)L * pu, k->R, R, false);
    restride(k->CN, (long)L * pu, k->R, R, false);
    restride(k->PI, (long)P * pu, k->R, R, true);
    restride(k->PN, (long)P * pu, k->R, R, true);
    reps_held += 16.0 * (double)(cn + pn) - k->bytes;
    k->bytes = 16.0 * (double)(cn + pn);
    return true;
}

/* A lock per parent unit, held while a commune adds into its sums. */
#ifdef _OPENMP
typedef omp_lock_t unit_lock;
static void lock_init(unit_lock *l) { omp_init_lock(l); }
static void lock_destroy(unit_lock *l) { omp_destroy_lock(l); }
static void lock_set(unit_lock *l) { omp_set_lock(l); }
static void lock_unset(unit_lock *l) { omp_unset_lock(l); }
#else
typedef char unit_lock;
static void lock_init(unit_lock *l) { (void)l; }
static void lock_destroy(unit_lock *l) { (void)l; }
static void lock_set(unit_lock *l) { (void)l; }
static void lock_unset(unit_lock *l) { (void)l; }
#endif

/* The buffers of the communes in progress, per_unit values each for I and
 * N. A commune holds one from the start of its first item to the end of
 * its statistics. Without a store of kept replicates; with one, a
 * commune's series are its slice of the store. */
typedef struct {
    int n;
    int64_t *I, *N;                /* [n][per_unit] */
    int *owner;                    /* [n] the commune holding each, -1: free */
    unit_lock lock;
} pool;

/* The buffer of commune c, taken from the free ones when c holds none.
 * Waits while none is free (only when fewer buffers than threads + 1 fit
 * in memory: the communes holding them are finished by the threads
 * running their items, which never wait). -1 when interrupted. */
static int pool_take(pool *b, int c)
{
    for (;;) {
        int got = -1, idle = -1;
        lock_set(&b->lock);
        for (int i = 0; i < b->n && got < 0; i++) {
            if (b->owner[i] == c) got = i;
            else if (b->owner[i] < 0 && idle < 0) idle = i;
        }
        if (got < 0 && idle >= 0) b->owner[got = idle] = c;
        lock_unset(&b->lock);
        if (got >= 0 || interrupted) return got;
        nanosleep(&(struct timespec){ 0, 100000 }, NULL);
    }
}

static void pool_give(pool *b, int i)
{
    lock_set(&b->lock);
    b->owner[i] = -1;
    lock_unset(&b->lock);
}

/* The sums of the parent units (every level above the commune, and the
 * whole), pu x R values each for I and N. A commune adds its series into
 * its smallest unit only; a unit whose communes (of this rank) have all
 * added is whole, and adds its sums into the unit above it: each value is
 * added once per level instead of once per commune and level, and the top
 * units' locks are taken once per unit below them, not once per commune.
 * With levels that do not nest (`nested_levels = no`) a commune adds into
 * every unit of its own. Integer sums: the order does not matter.
 *
 * The sums are held together ([unit][m][s][r]) when they must outlive the
 * loop: kept for a later round, or added up over MPI ranks. Otherwise
 * (early) each unit's sums are made when the first sums add into them, its
 * statistics taken as soon as it is whole, and its memory returned: with
 * communes listed unit by unit, only the units in progress (and the top
 * ones) are held at once. */
typedef struct {
    int64_t **I, **N;              /* [P] each unit's sums (NULL: not made yet, or freed) */
    int *up;                       /* [P] the unit a whole unit adds into; -1: none */
    int *left;                     /* [P] sums still to add (of communes of this rank and whole units);
                                    * -1: its statistics taken (early) */
    unit_lock *locks;              /* [P] held while sums add into the unit */
    bool early;                    /* statistics as soon as a unit is whole */
} parents;

static bool parent_stats(const plan *pl, cov_results *res, parents *par, int p, double *scratch);

/* Adds the new replicates (r_from..R-1) of the series I/N into the sums of
 * unit p under its lock; when that makes p whole, adds p into the unit
 * above it and (early) takes p's statistics. false when out of memory. */
static bool add_into(const plan *pl, cov_results *res, parents *par, int p,
                     const int64_t *I, const int64_t *N, double *scratch)
{
    const long R = pl->R, pu = (long)(pl->H + 1) * pl->S;
    bool ok = true, whole = false;
    lock_set(&par->locks[p]);
    if (!par->I[p]) {
        par->I[p] = calloc((size_t)(pu * R), sizeof(int64_t));
        par->N[p] = calloc((size_t)(pu * R), sizeof(int64_t));
    }
    int64_t *pI = par->I[p], *pN = par->N[p];
    if (pI && pN) {
        for (long k = 0; k < pu; k++)
            for (long r = pl->r_from; r < R; r++) {
                pI[k * R + r] += I[k * R + r];
                pN[k * R + r] += N[k * R + r];
            }
        whole = --par->left[p] == 0;
    } else {
        ok = false;
    }
    lock_unset(&par->locks[p]);
    /* whole: nothing adds into p any more, its sums are read without the lock */
    if (ok && whole && par->up[p] >= 0) ok = add_into(pl, res, par, par->up[p], pI, pN, scratch);
    if (ok && whole && par->early) ok = parent_stats(pl, res, par, p, scratch);
    return ok;
}

/* Takes the statistics of parent unit p from its sums (zeros when none
 * were made: a unit without communes of this rank), then, early, frees
 * them. false when out of memory. */
static bool parent_stats(const plan *pl, cov_results *res, parents *par, int p, double *scratch)
{
    const long per = (long)(pl->H + 1) * pl->S * pl->R;
    int64_t *I = par->I[p], *N = par->N[p], *zero = NULL;
    if (!I || !N) I = N = zero = calloc((size_t)per + 1, sizeof *zero);
    if (!I) return false;
    cov_series ser = { I, N, pl->H, pl->S, pl->R };
    unit_stats(pl->s, res, pl->C + p, &ser, scratch);
    free(zero);
    if (par->early) {
        free(par->I[p]); free(par->N[p]);
        par->I[p] = par->N[p] = NULL;
        par->left[p] = -1;         /* done */
    }
    return true;
}

cov_status cov_simulate(const cov_scenario *s, cov_results **out,
                        cov_progress_fn progress, void *arg, cov_diag *d)
{
    return cov_simulate_more(s, NULL, out, progress, arg, d);
}

cov_status cov_simulate_more(const cov_scenario *s, cov_reps *keep, cov_results **out,
                             cov_progress_fn progress, void *arg, cov_diag *d)
{
    *out = NULL;
    const cov_population *pop = s->pop;
    plan pl = { .s = s, .H = s->months, .G = s->model->ngroups, .S = s->nseries,
                .C = pop->ncommunes, .K = s->ncampaigns, .R = s->replicates };
    pl.P = 1;
    for (int l = 0; l < pop->nlevels; l++) pl.P += pop->levels[l].nunits;
    const int H = pl.H, S = pl.S, C = pl.C, P = pl.P;
    const long R = pl.R;
    const int threads = s->threads > 0 ? s->threads : 1;
    const long per_unit = (long)(H + 1) * S * R;       /* values per unit */
    const double parent_bytes = 2.0 * 8.0 * (double)P * (double)per_unit;
    const double commune_bytes = 2.0 * 8.0 * (double)per_unit;
    /* this rank's communes (all of them without MPI) */
    const int ranks = cov_dist_size(), rank = cov_dist_rank();
    const int c_lo = (int)((long)C * rank / ranks), c_hi = (int)((long)C * (rank + 1) / ranks), L = c_hi - c_lo;
    /* commune buffers: one per thread and one more, fewer (at least two)
     * when they would pass POOL_BYTES */
    int nbuf = (int)fmin((double)(threads + 1), fmax(2.0, (double)POOL_BYTES / commune_bytes));
    if (nbuf > L) nbuf = L > 0 ? L : 1;
    const double rep_bytes = 8.0 * (double)R * (2.0 * pl.G + 2.0 * pl.K + s->nreclass + s->nschools + 4
                                                + (s->model->shock_sd > 0 ? 2.0 * (H + 1) : 0))
                           + 8.0 * (double)R * threads
                           + (s->keep_hits ? (double)R * (double)(C + P) * s->ntargets : 0);
    const double need = parent_bytes + nbuf * commune_bytes + rep_bytes;
    /* Under MPI every rank must take the same branch here and below: the
     * smallest machine decides, and allocation failures are agreed on. */
    long phys = (long)cov_dist_min_i64(physical_memory());
    if (phys > 0 && need > 0.7 * (double)phys) {
        cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0,
                     "this run needs about %.1f GiB of memory (%d parent units x %d months x %ld replicates) "
                     "and this machine has %.1f GiB; use fewer replicates or months",
                     need / 1073741824.0, P, H + 1, R, (double)phys / 1073741824.0);
        return COV_ELIMIT;
    }
    /* Kept replicates: every series of this rank's communes stays in memory
     * when that fits beside the other stores; each commune's slice is then
     * its buffer. */
    bool kept = false;
    if (keep) {
        double held = 16.0 * (double)(L + P) * (double)per_unit + rep_bytes + reps_held - keep->bytes;
        bool fits = keep->R <= R && (phys <= 0 || held <= 0.7 * (double)phys);
        kept = cov_dist_all(fits && reps_grow(keep, L, P, (long)(H + 1) * S, R));
        if (!kept) reps_clear(keep);
    }
    pl.r_from = kept ? keep->R : 0;

    for (int g = 0; g < pl.G; g++) {
        const cov_group *gr = &s->model->g[g];
        pl.log1m_e[g] = log1p(-gr->enroll);
        pl.log1m_l[g] = log1p(-gr->lapse);
        pl.steady[g] = true;
        for (int k = 1; k < 12; k++)
            if (gr->seasonal_enroll[k] != gr->seasonal_enroll[0] || gr->seasonal_lapse[k] != gr->seasonal_lapse[0])
                pl.steady[g] = false;
        for (int k = 0; k < pl.K; k++)
            if (s->campaigns[k].groups[g]) pl.steady[g] = false;
        if (s->model->shock_sd > 0) pl.steady[g] = false;   /* the shock moves the rates every month */
    }
    int nl = pop->nlevels;
    pl.fe = malloc((size_t)R * (size_t)pl.G * sizeof(double));
    pl.fl = malloc((size_t)R * (size_t)pl.G * sizeof(double));
    pl.ke = malloc((size_t)R * (size_t)(pl.K + 1) * sizeof(double));
    pl.kl = malloc((size_t)R * (size_t)(pl.K + 1) * sizeof(double));
    pl.keep = malloc((size_t)R * (size_t)(s->nreclass + 1) * sizeof(double));
    pl.drive = malloc((size_t)R * (size_t)(s->nschools + 1) * sizeof(double));
    if (s->model->shock_sd > 0) {
        pl.sh_e = malloc((size_t)R * (size_t)(H + 1) * sizeof(double));
        pl.sh_l = malloc((size_t)R * (size_t)(H + 1) * sizeof(double));
    }
    pl.parent_of = malloc((size_t)C * (size_t)(nl + 1) * sizeof(int));
    /* parent sums in one block when they outlive the loop or are added up over ranks */
    parents par = { .early = !kept && ranks == 1 };
    int64_t *PI = kept ? keep->PI : par.early ? NULL : calloc((size_t)P * (size_t)per_unit, sizeof *PI);
    int64_t *PN = kept ? keep->PN : par.early ? NULL : calloc((size_t)P * (size_t)per_unit, sizeof *PN);
    par.I = calloc((size_t)P, sizeof *par.I);
    par.N = calloc((size_t)P, sizeof *par.N);
    par.left = calloc((size_t)P, sizeof *par.left);
    par.up = malloc((size_t)P * sizeof *par.up);
    for (int p = 0; PI && PN && par.I && par.N && p < P; p++) {
        par.I[p] = PI + (long)p * per_unit;
        par.N[p] = PN + (long)p * per_unit;
    }
    pool buf = { .n = kept ? 0 : nbuf };
    if (!kept) {
        buf.I = malloc((size_t)nbuf * (size_t)per_unit * sizeof *buf.I);
        buf.N = malloc((size_t)nbuf * (size_t)per_unit * sizeof *buf.N);
        buf.owner = malloc((size_t)nbuf * sizeof *buf.owner);
        for (int i = 0; buf.owner && i < nbuf; i++) buf.owner[i] = -1;
    }
    lock_init(&buf.lock);
    unit_lock *locks = par.locks = malloc((size_t)P * sizeof *locks);
    for (int p = 0; locks && p < P; p++) lock_init(&locks[p]);
    int *items_done = calloc((size_t)L + 1, sizeof *items_done);   /* per commune of this rank */
    cov_results *res = results_alloc(s, P);
    cov_status st = COV_OK;
    double *pscratch = NULL;       /* statistics of units without communes, after the threads */
    if (res && s->keep_replicates) {
        double bytes = 16.0 * (double)(C + P) * (double)(H + 1) * (double)S * (double)R;
        if (bytes > (double)(1L << 30)) {
            cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0,
                         "--keep-replicates would need %.1f GiB (limit 1 GiB): use fewer replicates or months",
                         bytes / 1073741824.0);
            st = COV_ELIMIT;
            goto done;
        }
        res->rep_I = malloc((size_t)bytes / 2);
        res->rep_N = malloc((size_t)bytes / 2);
    }
    if (!cov_dist_all(pl.fe && pl.fl && pl.ke && pl.kl && pl.keep && pl.drive && pl.parent_of && par.I && par.N && par.left && par.up
                      && (par.early || (PI && PN))
                      && (s->model->shock_sd <= 0 || (pl.sh_e && pl.sh_l))
                      && (kept || (buf.I && buf.N && buf.owner)) && locks && items_done
                      && res && res->ms && res->ts && (!s->keep_replicates || (res->rep_I && res->rep_N)))) {
        cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0, "out of memory: use fewer replicates or months");
        st = COV_ELIMIT;
        goto done;
    }
    for (int c = 0; c < C; c++) {
        int off = 0;
        for (int l = 0; l < nl; l++) {
            pl.parent_of[c * (nl + 1) + l] = off + pop->c[c].parent[l];
            off += pop->levels[l].nunits;
        }
        pl.parent_of[c * (nl + 1) + nl] = P - 1;
    }
    /* Who adds into what: nested levels, a commune into its smallest unit
     * and each unit into the one above it (units are numbered level by
     * level, so up[p] > p); else each commune into every unit. What adds
     * into a unit is counted from this rank's communes up. */
    const bool nested = !s->crossing_levels;
    for (int p = 0; p < P; p++) par.up[p] = -1;
    for (int c = 0; nested && c < C; c++)
        for (int l = 0; l < nl; l++) par.up[pl.parent_of[c * (nl + 1) + l]] = pl.parent_of[c * (nl + 1) + l + 1];
    for (int c = c_lo; c < c_hi; c++)
        for (int l = 0; l <= (nested ? 0 : nl); l++) par.left[pl.parent_of[c * (nl + 1) + l]]++;
    for (int p = 0; p < P; p++)
        if (par.left[p] > 0 && par.up[p] >= 0) par.left[par.up[p]]++;

    /* Items: chunk replicates of one commune, a multiple of RUN, each
     * commune cut into as many as make ITEMS_PER_THREAD per thread in all
     * (one per commune when there are communes enough). */
    const long fresh = R - pl.r_from;
    long per_c = ((long)ITEMS_PER_THREAD * threads + (L > 0 ? L : 1) - 1) / (L > 0 ? L : 1);
    long chunk = (fresh + per_c - 1) / per_c;
    chunk = chunk < RUN ? RUN : (chunk + RUN - 1) / RUN * RUN;
    const int nchunk = fresh > 0 ? (int)((fresh + chunk - 1) / chunk) : 1;   /* none new: stats alone */
    const long nitems = (long)L * nchunk, total_work = (long)L * (fresh > 0 ? fresh : 1);
    long next_item = 0, done_reps = 0;
    bool fail = false, lost = false;   /* lost: the exchange between MPI ranks failed */
    /* The replicates' own draws (rates, campaigns, events, the shock) are
     * made before the threads start: a few draws per replicate, and so no
     * thread waits for another before its first item. On a shared or
     * virtual machine every such wait can cost a scheduler tick (4 ms). */
    gsl_rng *prng = gsl_rng_alloc(cov_rng_splitmix);
    if (!cov_dist_all(prng != NULL)) {   /* every MPI rank takes the same branch */
        if (prng) gsl_rng_free(prng);
        cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0, "out of memory: use fewer replicates or months");
        st = COV_ELIMIT;
        goto done;
    }
    for (long r = pl.r_from; r < R; r++) draw_replicate_params(&pl, prng, r);
    gsl_rng_free(prng);
#pragma omp parallel num_threads(threads) default(none) shared(pl, s, res, PI, PN, buf, par, nl, nested, items_done, next_item, done_reps, total_work, progress, arg, fail, lost, interrupted, cov_rng_splitmix, c_lo, ranks, kept, keep, chunk, nchunk, nitems)
    {
        gsl_rng *rng = gsl_rng_alloc(cov_rng_splitmix);
        double *scratch = malloc((size_t)pl.R * sizeof *scratch);
        const bool mine = rng && scratch;   /* a thread without its workspace takes no item */
        if (!mine) {
#pragma omp atomic write
            fail = true;
        }
        const long per = (long)(pl.H + 1) * pl.S * pl.R;
        /* Items in order, from a shared counter: a commune's items are
         * all handed out before the next commune's first. */
        for (;;) {
            long i = mine ? __atomic_fetch_add(&next_item, 1, __ATOMIC_RELAXED) : nitems;
            if (i >= nitems) break;
            if (interrupted) continue;
            int k = (int)(i / nchunk), c = c_lo + k;
            int b = kept ? k : pool_take(&buf, c);
            if (b < 0) continue;
            int64_t *I = kept ? keep->CI + (long)b * per : buf.I + (long)b * per;
            int64_t *N = kept ? keep->CN + (long)b * per : buf.N + (long)b * per;
            long r0 = pl.r_from + (i % nchunk) * chunk, r1 = r0 + chunk < pl.R ? r0 + chunk : pl.R;
            for (long r = r0; r < r1; r++) simulate_commune(&pl, rng, c, r, I, N);
            long now = __atomic_add_fetch(&done_reps, r1 > r0 ? r1 - r0 : 1, __ATOMIC_RELAXED);
#ifdef _OPENMP
            if (progress && omp_get_thread_num() == 0)
#else
            if (progress)
#endif
                progress((double)now / (double)total_work, arg);
            /* the last of the commune's items: its statistics, its parents' sums */
            if (__atomic_add_fetch(&items_done[k], 1, __ATOMIC_ACQ_REL) < nchunk) continue;
            cov_series ser = { I, N, pl.H, pl.S, pl.R };
            unit_stats(s, res, c, &ser, scratch);
            bool ok = true;
            const int *up = pl.parent_of + (long)c * (nl + 1);
            for (int l = 0; l <= (nested ? 0 : nl); l++) ok = add_into(&pl, res, &par, up[l], I, N, scratch) && ok;
            if (!kept) pool_give(&buf, b);
            if (!ok) {
#pragma omp atomic write
                fail = true;
            }
        }
        if (!par.early) {   /* the sums outlive the loop: every item first, then every unit */
#pragma omp barrier
#pragma omp master
            if (ranks > 1 && !exchange(&pl, res, PI, PN)) fail = lost = true;   /* MPI from the main thread only */
#pragma omp barrier
#pragma omp for schedule(dynamic, 1)
            for (int p = 0; p < pl.P; p++) {
                if (fail || !mine) continue;
                if (!parent_stats(&pl, res, &par, p, scratch)) {
#pragma omp atomic write
                    fail = true;
                }
            }
        }
        free(scratch);
        gsl_rng_free(rng);
    }
    /* Early, every unit with communes took its statistics when it was
     * whole; a unit without any takes them now (zeros). */
    for (int p = 0; par.early && !fail && !interrupted && p < P; p++) {
        if (par.left[p] < 0) continue;
        if (!pscratch) pscratch = malloc((size_t)R * sizeof *pscratch);
        if (!pscratch || !parent_stats(&pl, res, &par, p, pscratch)) fail = true;
    }
#ifdef _OPENMP
    /* The pool's threads end now instead of spinning, for a while, beside
     * the serial end of the run (writing the results): on a shared or
     * virtual machine the spinning takes a core from it. The next run
     * starts them again (tens of microseconds). */
    omp_pause_resource_all(omp_pause_soft);
#endif
    if (fail) {
        cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0, lost ? "the exchange of results between MPI ranks failed"
                                                           : "out of memory for the thread workspaces");
        st = COV_ELIMIT;
    } else if (interrupted) {
        st = COV_EINTR;
    } else if (progress) {
        progress(1.0, arg);
    }
done:
    free(pscratch);
    free(pl.fe); free(pl.fl); free(pl.ke); free(pl.kl); free(pl.keep); free(pl.drive); free(pl.parent_of);
    free(pl.sh_e); free(pl.sh_l);
    free(buf.I); free(buf.N); free(buf.owner);
    lock_destroy(&buf.lock);
    for (int p = 0; locks && p < P; p++) lock_destroy(&locks[p]);
    free(locks);
    for (int p = 0; par.early && par.I && par.N && p < P; p++) { free(par.I[p]); free(par.N[p]); }
    free(par.I); free(par.N); free(par.left); free(par.up);
    free(items_done);
    if (!kept) { free(PI); free(PN); }
    else if (st == COV_OK) keep->R = R;
    else reps_clear(keep);   /* the new replicates are incomplete */
    if (st == COV_OK) *out = res;
    else cov_results_free(res);
    return st;
}

/* The largest 95% Wilson half-width over every target and unit. */
static double max_half_width(const cov_scenario *s, const cov_results *r)
{
    double h = 0;
    for (int t = 0; t < s->ntargets; t++)
        for (int u = 0; u < r->nunits; u++) {
            if (r->unit_level[u] != s->targets[t].level) continue;
            double lo, hi;
            cov_wilson(r->ts[t][u].reached, r->replicates, &lo, &hi);
            h = fmax(h, (hi - lo) / 2);
        }
    return h;
}

cov_status cov_simulate_precise(cov_scenario *s, cov_results **out, cov_progress_fn progress,
                                void *arg, cov_diag *d)
{
    /* Each round keeps its replicates; the next one simulates only the new ones. */
    cov_reps *keep = s->precision > 0 ? cov_reps_new() : NULL;
    cov_status st;
    for (;;) {
        st = cov_simulate_more(s, keep, out, progress, arg, d);
        if (st != COV_OK) break;
        s->half_width = max_half_width(s, *out);   /* every rank holds every commune */
        if (s->precision <= 0 || s->half_width <= s->precision || s->replicates >= s->max_replicates)
            break;
        /* The half-width shrinks as 1/sqrt(R): aim a little past the need,
         * at least doubling, in whole thousands. */
        double need = fmin(1e15, (double)s->replicates * pow(s->half_width / s->precision, 2) * 1.1);   /* a long holds it */
        long next = (long)fmax(2.0 * (double)s->replicates, ceil(need / 1000.0) * 1000.0);
        s->replicates = next < s->max_replicates ? next : s->max_replicates;
        cov_results_free(*out);
        *out = NULL;
    }
    cov_reps_free(keep);
    return st;
}
