/* test_calibrate.c — calibration recovers known rates within its stated
 * uncertainty as often as it claims, backtests on honest forecasts give
 * nominal interval coverage, and messy histories are handled with a note. */
#include "testutil.h"
#include "history.h"
#include "load.h"
#include "csvread.h"

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>

#define REPEATS 40
#define P_TRUE 0.02
#define Q_TRUE 0.008

/* 20 communes x 36 months from the engine itself, REPEATS replicates: each
 * replicate is one history. */
static cov_results *simulate_histories(cov_scenario **s)
{
    char pop[4096] = "commune,group,population,insured\n";
    for (int c = 1; c <= 20; c++) {
        size_t l = strlen(pop);
        snprintf(pop + l, sizeof pop - l, "Xã %d,h,%d,%d\n", c, 2000 + 150 * c, 700 + 70 * c);
    }
    write_text(TMP "/cal-pop.csv", pop);
    write_text(TMP "/cal-true.ini", "[group.h]\nenroll = 0.02\nlapse = 0.008\n");
    write_text(TMP "/cal-base.ini", "[group.h]\nenroll = 0.01\nlapse = 0.01\n");
    char scen[512];
    snprintf(scen, sizeof scen, "[run]\npopulation = cal-pop.csv\nmodel = cal-true.ini\nstart = 2018-12\n"
             "months = 36\nreplicates = %d\nseed = 77\n", REPEATS);
    write_text(TMP "/cal-sim.ini", scen);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    return run_scenario(TMP "/cal-sim.ini", &ov, s);
}

static void write_history(const char *path, const cov_results *r, long k)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs("commune,month,population,insured\n", f);
    for (int u = 0; u < r->ncommunes; u++)
        for (int m = 0; m <= r->months; m++) {
            char mon[8];
            cov_month_format(2018 * 12 + 11 + m, mon);
            fprintf(f, "%s,%s,%lld,%lld\n", r->unit_name[u], mon, (long long)r->rep_N[cov_rep_at(r, u, m, 0, k)],
                    (long long)r->rep_I[cov_rep_at(r, u, m, 0, k)]);
        }
    fclose(f);
}

/* Share of repeats whose 95% interval holds the truth must be near 0.95:
 * below 0.95 - 3 sd of a binomial share over REPEATS fails; the errors'
 * size must match the spread of the estimates within the sampling error of
 * a standard deviation from REPEATS values. */
static void check_recovery(const double *est, const double *se, double truth, const char *what)
{
    int inside = 0;
    double mean = 0, var = 0, mse = 0;
    for (int k = 0; k < REPEATS; k++) {
        inside += fabs(est[k] - truth) <= 1.96 * se[k];
        mean += est[k] / REPEATS;
        mse += se[k] * se[k] / REPEATS;
    }
    for (int k = 0; k < REPEATS; k++) var += (est[k] - mean) * (est[k] - mean) / (REPEATS - 1);
    double share = (double)inside / REPEATS, floor_share = 0.95 - 3 * sqrt(0.95 * 0.05 / REPEATS);
    double ratio = sqrt(mse / var), tol = 3 / sqrt(2.0 * (REPEATS - 1));
    if (share < floor_share) fail_msg("%s: truth inside the 95%% interval in %.2f of repeats", what, share);
    if (fabs(ratio - 1) > tol) fail_msg("%s: stated error %.2g against observed spread %.2g", what, sqrt(mse), sqrt(var));
}

static void test_recovery_from_levels(void **st)
{
    (void)st;
    cov_scenario *s;
    cov_results *r = simulate_histories(&s);
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load(TMP "/cal-base.ini", &d);
    assert_non_null(m);
    double p[REPEATS], sp[REPEATS], q[REPEATS], sq[REPEATS];
    for (long k = 0; k < REPEATS; k++) {
        write_history(TMP "/cal-history.csv", r, k);
        cov_history *h = cov_history_read(TMP "/cal-history.csv", m, NULL, 0, &d);
        assert_non_null(h);
        cov_fit fit;
        cov_fit_rates(h, m, 1 << 30, &fit);
        assert_true(fit.g[0].fitted);
        assert_int_equal(fit.g[0].transitions, 20 * 36);
        p[k] = fit.g[0].p; sp[k] = fit.g[0].se_p; q[k] = fit.g[0].q; sq[k] = fit.g[0].se_q;
        cov_history_free(h);
    }
    check_recovery(p, sp, P_TRUE, "enroll");
    check_recovery(q, sq, Q_TRUE, "lapse");
    cov_model_free(m);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* With card flows each rate is a ratio of counts; simulated here directly. */
static void test_recovery_from_flows(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load(TMP "/cal-base.ini", &d);
    assert_non_null(m);
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    double p[REPEATS], sp[REPEATS], q[REPEATS], sq[REPEATS];
    for (int k = 0; k < REPEATS; k++) {
        gsl_rng_set(g, 1000 + (unsigned long)k);
        FILE *f = fopen(TMP "/cal-flows.csv", "w");
        assert_non_null(f);
        fputs("commune,month,population,insured,new_cards,lost_cards\n", f);
        for (int c = 1; c <= 20; c++) {
            long N = 2000 + 150 * c, I = 700 + 70 * c;
            fprintf(f, "Xã %d,2019-12,%ld,%ld,0,0\n", c, N, I);
            for (int mo = 1; mo <= 12; mo++) {
                long E = (long)gsl_ran_binomial(g, P_TRUE, (unsigned)(N - I));
                long L = (long)gsl_ran_binomial(g, Q_TRUE, (unsigned)I);
                I += E - L;
                fprintf(f, "Xã %d,2020-%02d,%ld,%ld,%ld,%ld\n", c, mo, N, I, E, L);
            }
        }
        fclose(f);
        cov_history *h = cov_history_read(TMP "/cal-flows.csv", m, NULL, 0, &d);
        assert_non_null(h);
        cov_fit fit;
        cov_fit_rates(h, m, 1 << 30, &fit);
        assert_true(fit.g[0].fitted && fit.g[0].flows);
        p[k] = fit.g[0].p; sp[k] = fit.g[0].se_p; q[k] = fit.g[0].q; sq[k] = fit.g[0].se_q;
        cov_history_free(h);
    }
    check_recovery(p, sp, P_TRUE, "enroll from flows");
    check_recovery(q, sq, Q_TRUE, "lapse from flows");
    gsl_rng_free(g);
    cov_model_free(m);
}

/* Backtest on a history simulated from known rates: the 80% intervals hold
 * 70-90% of held-out points, the 50% intervals 40-60%. */
static void test_backtest_is_honest(void **st)
{
    (void)st;
    cov_scenario *s;
    cov_results *r = simulate_histories(&s);
    write_history(TMP "/cal-history.csv", r, 3);
    cov_results_free(r);
    cov_scenario_free(s);
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_backtest(TMP "/cal-history.csv", TMP "/cal-base.ini", NULL, 6, 400, 5, TMP "/cal-backtest",
                                  NULL, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/cal-backtest/backtest.csv", &d);
    assert_non_null(t);
    assert_int_equal(t->nrows, 4);
    double o50 = atof(cov_csv_cell(t, 0, 2)->text), o80 = atof(cov_csv_cell(t, 1, 2)->text);
    assert_true(atol(cov_csv_cell(t, 0, 3)->text) > 1000);
    if (!(o80 >= 0.70 && o80 <= 0.90)) fail_msg("80%% intervals hold %.3f of points", o80);
    if (!(o50 >= 0.40 && o50 <= 0.60)) fail_msg("50%% intervals hold %.3f of points", o50);
    cov_csv_free(t);
}

/* Missing months, a commune with a single month, nobody uninsured, a
 * population jump: a fit with notes, no crash, no NaN. */
static void test_messy_history(void **st)
{
    (void)st;
    write_text(TMP "/cal-messy.csv",
               "commune,month,population,insured\n"
               "Xã Một,2020-01,1000,800\nXã Một,2020-02,1000,810\nXã Một,2020-04,1000,830\nXã Một,2020-05,1000,842\n"
               "Xã Một,2020-06,1000,850\nXã Một,2020-07,1000,858\n"
               "Xã Hai,2020-03,500,400\n"
               "Xã Ba,2020-01,300,300\nXã Ba,2020-02,300,300\nXã Ba,2020-03,300,299\nXã Ba,2020-04,300,300\n"
               "Xã Bốn,2020-01,2000,1500\nXã Bốn,2020-02,2000,1512\nXã Bốn,2020-03,2600,1700\nXã Bốn,2020-04,2600,1716\n"
               "Xã Bốn,2020-05,2600,1730\nXã Bốn,2020-06,2600,1745\n");
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_calibrate(TMP "/cal-messy.csv", TMP "/cal-base.ini", NULL, TMP "/cal-messy.ini", NULL, &d), COV_OK);
    char *text = slurp(TMP "/cal-messy.ini");
    assert_non_null(text);
    assert_non_null(strstr(text, "of 13 steps, 1 set aside for a population change"));
    assert_non_null(strstr(text, "all groups: 12 steps (longest 2 months"));   /* the gap is a step */
    assert_non_null(strstr(text, "1 series with a single month"));
    assert_null(strstr(text, "nan"));
    assert_null(strstr(text, "inf"));
    free(text);
    cov_model *m = cov_model_load(TMP "/cal-messy.ini", &d);   /* the written model loads */
    if (!m) cov_diag_print(&d, stderr);
    assert_non_null(m);
    assert_true(m->g[0].enroll > 0 && m->g[0].enroll < 1 && m->g[0].lapse >= 0 && m->g[0].lapse < 1);
    cov_model_free(m);
}

/* [run] history: the snapshot is the history's last month, and the run
 * folder carries what happened before it, summed like the projections. */
static void test_run_from_history(void **st)
{
    (void)st;
    write_text(TMP "/hist-g.csv", "commune,group,district,month,population,insured\n"
               "Xã Một,h,Huyện A,2020-01,1000,700\nXã Một,h,Huyện A,2020-02,1000,712\nXã Một,h,Huyện A,2020-03,1000,725\n"
               "Xã Hai,h,Huyện A,2020-02,500,300\nXã Hai,h,Huyện A,2020-03,500,310\n");
    write_text(TMP "/hist-run.ini", "[run]\nhistory = hist-g.csv\nmodel = cal-base.ini\nlevels = district\n"
               "months = 3\nreplicates = 50\n");
    cov_overrides ov = { .seed = -1, .out = TMP "/hist-out" };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/hist-run.ini", &ov, &s);
    assert_int_equal(s->start, 2020 * 12 + 2);
    assert_true(r->ms[0].pop_mean == 1000 && r->ms[0].ins_mean == 725);
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_results_write(r, s, 0, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/hist-out/history.csv", &d);
    assert_non_null(t);
    bool feb = false;
    for (long i = 0; i < t->nrows; i++)
        if (!strcmp(cov_csv_cell(t, i, 0)->text, "district") && !strcmp(cov_csv_cell(t, i, 2)->text, "2020-02")) {
            assert_string_equal(cov_csv_cell(t, i, 3)->text, "1500");   /* both communes reported */
            assert_string_equal(cov_csv_cell(t, i, 4)->text, "1012");
            feb = true;
        }
    assert_true(feb);
    cov_csv_free(t);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* ---- histories shaped like real reports (issue 12) ---- */

#define SEASON "seasonal_enroll = 1,1,1,1,1,1,1,1,2,1.5,1,1\n"

/* One engine run of 20 communes of one group h with true rates P_TRUE,
 * Q_TRUE (and a September drive in the seasonal factors), `months` months
 * from 2018-12, REPEATS replicates, with the scenario lines `extra` (e.g.
 * a [demography] section). */
static cov_results *simulate_drift(const char *tag, int months, const char *extra, cov_scenario **s)
{
    char pop[4096] = "commune,group,population,insured\n", path[256], scen[1024];
    for (int c = 1; c <= 20; c++) {
        size_t l = strlen(pop);
        snprintf(pop + l, sizeof pop - l, "Xã %s%d,h,%d,%d\n", tag, c, 2000 + 150 * c, 700 + 70 * c);
    }
    snprintf(path, sizeof path, TMP "/drift-pop-%s.csv", tag);
    write_text(path, pop);
    write_text(TMP "/drift-true.ini", "[group.h]\nenroll = 0.02\nlapse = 0.008\n" SEASON);
    write_text(TMP "/drift-base.ini", "[group.h]\nenroll = 0.01\nlapse = 0.01\n" SEASON);
    snprintf(scen, sizeof scen, "[run]\npopulation = drift-pop-%s.csv\nmodel = drift-true.ini\nstart = 2018-12\n"
             "months = %d\nreplicates = %d\nseed = 91\n%s", tag, months, REPEATS, extra);
    snprintf(path, sizeof path, TMP "/drift-%s.ini", tag);
    write_text(path, scen);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    return run_scenario(path, &ov, s);
}

/* Appends replicate k's communes to f, one row every `every` months. */
static void append_history(FILE *f, const cov_results *r, long k, int every)
{
    for (int u = 0; u < r->ncommunes; u++)
        for (int m = 0; m <= r->months; m += every) {
            char mon[8];
            cov_month_format(2018 * 12 + 11 + m, mon);
            long at = cov_rep_at(r, u, m, 0, k);
            fprintf(f, "%s,%s,%lld,%lld\n", r->unit_name[u], mon, (long long)r->rep_N[at], (long long)r->rep_I[at]);
        }
}

/* The truth inside the stated 95% intervals in at least the share a
 * binomial count over REPEATS allows (0.95 - 3 sd), and the stated
 * log-scale errors matching the spread of the log estimates within the
 * sampling error of a standard deviation from REPEATS values (3 sd). */
static void check_recovery_log(const double *est, const double *lse, const double *lo, const double *hi,
                               double truth, const char *what)
{
    int inside = 0;
    double mean = 0, var = 0, mse = 0;
    for (int k = 0; k < REPEATS; k++) {
        inside += lo[k] <= truth && truth <= hi[k];
        mean += log(est[k]) / REPEATS;
        mse += lse[k] * lse[k] / REPEATS;
    }
    for (int k = 0; k < REPEATS; k++) var += pow(log(est[k]) - mean, 2) / (REPEATS - 1);
    double share = (double)inside / REPEATS, floor_share = 0.95 - 3 * sqrt(0.95 * 0.05 / REPEATS);
    double ratio = sqrt(mse / var), tol = 3 / sqrt(2.0 * (REPEATS - 1));
    print_message("%-24s truth inside 95%%: %.3f; stated log error %.3f, observed %.3f\n", what, share, sqrt(mse),
                  sqrt(var));
    if (share < floor_share) fail_msg("%s: truth inside the 95%% interval in %.2f of repeats", what, share);
    if (fabs(ratio - 1) > tol) fail_msg("%s: stated error %.3g against observed spread %.3g", what, sqrt(mse), sqrt(var));
}

/* Fits every replicate of two runs (one growing, one shrinking) as one
 * history with a point every `every` months and checks the recovery. */
static void recover_drift(int months, int every, const char *what)
{
    cov_scenario *sg, *ss;
    /* growth +0.5% a month, newborns insured with share 0.5; shrinkage -0.5% a month, in proportion */
    cov_results *rg = simulate_drift("G", months, "[demography]\nbirths = 0.005\nbirth_group = h\n"
                                     "insured_at_birth = 0.5\n", &sg);
    cov_results *rs = simulate_drift("S", months, "[demography]\ndeaths = 0.005\n", &ss);
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load(TMP "/drift-base.ini", &d);
    assert_non_null(m);
    double p[REPEATS], lp[REPEATS], plo[REPEATS], phi[REPEATS], q[REPEATS], lq[REPEATS], qlo[REPEATS], qhi[REPEATS];
    cov_cal_opts o = { .entrant_share = 0.5 };
    for (long k = 0; k < REPEATS; k++) {
        FILE *f = fopen(TMP "/drift-history.csv", "w");
        assert_non_null(f);
        fputs("commune,month,population,insured\n", f);
        append_history(f, rg, k, every);
        append_history(f, rs, k, every);
        fclose(f);
        cov_history *h = cov_history_read(TMP "/drift-history.csv", m, NULL, 0, &d);
        assert_non_null(h);
        cov_fit fit;
        cov_fit_rates_opts(h, m, 1 << 30, &o, NULL, &fit);
        if (!fit.g[0].fitted || !fit.g[0].fit_p || !fit.g[0].fit_q) fail_msg("%s: %s", what, fit.g[0].reason);
        assert_int_equal(fit.g[0].transitions, 40 * (months / every));   /* every step used, none set aside */
        assert_int_equal(fit.g[0].max_gap, every);
        p[k] = fit.g[0].p; lp[k] = fit.g[0].se_lp; plo[k] = fit.g[0].lo_p; phi[k] = fit.g[0].hi_p;
        q[k] = fit.g[0].q; lq[k] = fit.g[0].se_lq; qlo[k] = fit.g[0].lo_q; qhi[k] = fit.g[0].hi_q;
        cov_history_free(h);
    }
    char name[64];
    snprintf(name, sizeof name, "enroll, %s", what);
    check_recovery_log(p, lp, plo, phi, P_TRUE, name);
    snprintf(name, sizeof name, "lapse, %s", what);
    check_recovery_log(q, lq, qlo, qhi, Q_TRUE, name);
    cov_model_free(m);
    cov_results_free(rg); cov_results_free(rs);
    cov_scenario_free(sg); cov_scenario_free(ss);
}

/* Populations that change every month (±0.5%), monthly points. */
static void test_recovery_population_drift(void **st) { (void)st; recover_drift(36, 1, "drift, monthly"); }

/* The same with quarterly points only: steps of three months. */
static void test_recovery_quarterly(void **st) { (void)st; recover_drift(36, 3, "drift, quarterly"); }

/* Annual points for ten years: wide, honest intervals. */
static void test_recovery_annual(void **st) { (void)st; recover_drift(120, 12, "drift, annual"); }

/* A fully insured history determines nothing: exit 3 (COV_EINPUT), no
 * model written, and reasons that agree with the data. */
static void test_nothing_identifiable(void **st)
{
    (void)st;
    char text[4096] = "commune,month,population,insured\n";
    for (int c = 1; c <= 5; c++)
        for (int m = 1; m <= 12; m++) {
            size_t l = strlen(text);
            snprintf(text + l, sizeof text - l, "Xã %d,2020-%02d,%d,%d\n", c, m, 1000 * c, 1000 * c);
        }
    write_text(TMP "/cal-full.csv", text);
    remove(TMP "/cal-full.ini");
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_calibrate(TMP "/cal-full.csv", TMP "/cal-base.ini", NULL, TMP "/cal-full.ini", NULL, &d),
                     COV_EINPUT);
    assert_null(fopen(TMP "/cal-full.ini", "r"));
    bool saw_enroll = false, saw_lapse = false;
    for (int i = 0; i < d.n; i++) {
        saw_enroll = saw_enroll || strstr(d.e[i].msg, "enrollment: nobody was uninsured at any reported point");
        saw_lapse = saw_lapse || strstr(d.e[i].msg, "lapse: the fit runs to the bound");
        assert_null(strstr(d.e[i].msg, "at least 3 are needed"));   /* 55 steps: never "too few" */
    }
    if (!saw_enroll || !saw_lapse) { cov_diag_print(&d, stderr); fail_msg("the reasons are not given"); }
}

/* Totals only: a history without groups against a two-group model. The
 * truth is the base model with its enrollment hazards times 1.5 and its
 * lapse hazards times 0.7; the fit must find these factors within its
 * intervals, using the snapshot's group mix. */
static void test_recovery_totals_only(void **st)
{
    (void)st;
    char pop[8192] = "commune,group,population,insured\n";
    for (int c = 1; c <= 20; c++) {
        size_t l = strlen(pop);
        snprintf(pop + l, sizeof pop - l, "Xã %d,a,%d,%d\nXã %d,b,%d,%d\n", c, 1200 + 60 * c, 500 + 30 * c, c,
                 1800 - 40 * c, 700 + 10 * c);
    }
    write_text(TMP "/tot-pop.csv", pop);
    double fe = 1.5, fl = 0.7;
    char model[1024];
    snprintf(model, sizeof model, "[group.a]\nenroll = %.17g\nlapse = %.17g\n" SEASON "[group.b]\nenroll = %.17g\n"
             "lapse = %.17g\n", -expm1(fe * log1p(-0.03)), -expm1(fl * log1p(-0.005)), -expm1(fe * log1p(-0.01)),
             -expm1(fl * log1p(-0.012)));
    write_text(TMP "/tot-true.ini", model);
    write_text(TMP "/tot-base.ini", "[group.a]\nenroll = 0.03\nlapse = 0.005\n" SEASON
               "[group.b]\nenroll = 0.01\nlapse = 0.012\n");
    char scen[512];
    snprintf(scen, sizeof scen, "[run]\npopulation = tot-pop.csv\nmodel = tot-true.ini\nstart = 2018-12\n"
             "months = 36\nreplicates = %d\nseed = 17\n", REPEATS);
    write_text(TMP "/tot-sim.ini", scen);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/tot-sim.ini", &ov, &s);
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load(TMP "/tot-base.ini", &d);
    assert_non_null(m);
    cov_mix *mix = cov_mix_load(TMP "/tot-pop.csv", m, &d);
    assert_non_null(mix);
    double p[REPEATS], lp[REPEATS], plo[REPEATS], phi[REPEATS], q[REPEATS], lq[REPEATS], qlo[REPEATS], qhi[REPEATS];
    for (long k = 0; k < REPEATS; k++) {
        FILE *f = fopen(TMP "/tot-history.csv", "w");
        assert_non_null(f);
        fputs("commune,month,population,insured\n", f);
        append_history(f, r, k, 1);
        fclose(f);
        cov_history *h = cov_history_read(TMP "/tot-history.csv", m, NULL, 0, &d);
        assert_non_null(h);
        cov_fit fit;
        cov_fit_rates_opts(h, m, 1 << 30, NULL, mix, &fit);
        assert_true(fit.totals);
        if (!fit.g[0].fitted || !fit.g[0].fit_p || !fit.g[0].fit_q) fail_msg("totals: %s", fit.g[0].reason);
        p[k] = fit.g[0].p; lp[k] = fit.g[0].se_lp; plo[k] = fit.g[0].lo_p; phi[k] = fit.g[0].hi_p;
        q[k] = fit.g[0].q; lq[k] = fit.g[0].se_lq; qlo[k] = fit.g[0].lo_q; qhi[k] = fit.g[0].hi_q;
        cov_history_free(h);
    }
    check_recovery_log(p, lp, plo, phi, fe, "enroll factor, totals");
    check_recovery_log(q, lq, qlo, qhi, fl, "lapse factor, totals");
    cov_mix_free(mix);
    cov_model_free(m);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* --levels district: two districts with different true rates are each
 * recovered within their stated intervals as often as claimed; a third
 * district of one commune with a single step takes the overall rate. */
static void test_levels_pooled(void **st)
{
    (void)st;
    cov_scenario *sa, *sb;
    write_text(TMP "/lev-true-b.ini", "[group.h]\nenroll = 0.035\nlapse = 0.005\n" SEASON);
    cov_results *ra = simulate_drift("A", 36, "", &sa);   /* enroll 0.02, lapse 0.008 */
    char scen[512];
    snprintf(scen, sizeof scen, "[run]\npopulation = drift-pop-A.csv\nmodel = lev-true-b.ini\nstart = 2018-12\n"
             "months = 36\nreplicates = %d\nseed = 93\n", REPEATS);
    write_text(TMP "/lev-b.ini", scen);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    cov_results *rb = run_scenario(TMP "/lev-b.ini", &ov, &sb);
    static const double truth[2][2] = { { 0.02, 0.008 }, { 0.035, 0.005 } };
    int inside[2][2] = { { 0, 0 }, { 0, 0 } };
    double wC = 0, wA = 0;
    for (long k = 0; k < REPEATS; k++) {
        FILE *f = fopen(TMP "/lev-history.csv", "w");
        assert_non_null(f);
        fputs("district,commune,month,population,insured\n", f);
        for (int d = 0; d < 2; d++) {
            const cov_results *r = d ? rb : ra;
            for (int u = 0; u < r->ncommunes; u++)
                for (int m = 0; m <= r->months; m++) {
                    char mon[8];
                    cov_month_format(2018 * 12 + 11 + m, mon);
                    long at = cov_rep_at(r, u, m, 0, k);
                    fprintf(f, "%s,%s %s,%s,%lld,%lld\n", d ? "Huyện B" : "Huyện A", d ? "B" : "A", r->unit_name[u],
                            mon, (long long)r->rep_N[at], (long long)r->rep_I[at]);
                    if (d == 0 && u == 0 && m < 2)   /* district C: one commune, one step */
                        fprintf(f, "Huyện C,C %s,%s,%lld,%lld\n", r->unit_name[u], mon, (long long)r->rep_N[at],
                                (long long)r->rep_I[at]);
                }
        }
        fclose(f);
        cov_cal_opts o = { .entrant_share = -1, .level = "district" };
        cov_diag d;
        cov_diag_init(&d);
        remove(TMP "/lev-fit-rates.csv");
        cov_status stt = cov_calibrate(TMP "/lev-history.csv", TMP "/drift-base.ini", &o, TMP "/lev-fit.ini", NULL, &d);
        if (stt != COV_OK) cov_diag_print(&d, stderr);
        assert_int_equal(stt, COV_OK);
        cov_csv *t = cov_csv_read(TMP "/lev-fit-rates.csv", &d);
        assert_non_null(t);
        assert_int_equal(t->nrows, 3);
        for (long i = 0; i < t->nrows; i++) {
            const char *unit = cov_csv_cell(t, i, 1)->text;
            double e = atof(cov_csv_cell(t, i, 3)->text), es = atof(cov_csv_cell(t, i, 4)->text);
            double l = atof(cov_csv_cell(t, i, 5)->text), ls = atof(cov_csv_cell(t, i, 6)->text);
            double we = atof(cov_csv_cell(t, i, 8)->text);
            int u = !strcmp(unit, "Huyện A") ? 0 : !strcmp(unit, "Huyện B") ? 1 : 2;
            if (u == 2) { wC += we / REPEATS; continue; }
            if (u == 0) wA += we / REPEATS;
            inside[u][0] += fabs(log(e / truth[u][0])) <= 1.96 * es;
            inside[u][1] += fabs(log(l / truth[u][1])) <= 1.96 * ls;
        }
        cov_csv_free(t);
    }
    double floor_share = 0.95 - 3 * sqrt(0.95 * 0.05 / REPEATS);
    for (int u = 0; u < 2; u++)
        for (int j = 0; j < 2; j++) {
            print_message("district %c %s: truth inside 95%% in %.3f of repeats\n", 'A' + u, j ? "lapse" : "enroll",
                          (double)inside[u][j] / REPEATS);
            if ((double)inside[u][j] / REPEATS < floor_share) fail_msg("district %c not recovered", 'A' + u);
        }
    print_message("weight of own data on enrollment: district A %.2f, district C (one step) %.2f\n", wA, wC);
    if (!(wA > 0.9 && wC < 0.5)) fail_msg("pooling: A %.2f, C %.2f", wA, wC);
    cov_results_free(ra); cov_results_free(rb);
    cov_scenario_free(sa); cov_scenario_free(sb);
}

/* The shock: `nc` communes of 2 million people in all with true rates
 * P_TRUE, Q_TRUE and a random walk of SHOCK_TRUE a year on the log hazards
 * (one walk for all), 10 years reported every `every` months (the engine
 * itself makes the histories; several communes are summed by calibrate).
 * The stated 95% interval of shock_sd must hold the truth in at least the
 * share a binomial count over REPEATS allows (0.95 - 3 sd). */
#define SHOCK_TRUE 0.4
static void recover_shock(int every, int nc, const char *what)
{
    char pop[4096] = "commune,group,population,insured\n";
    for (int c = 0; c < nc; c++) {
        size_t l = strlen(pop);
        long N = 2000000 / nc + 1000 * c;
        snprintf(pop + l, sizeof pop - l, "Xã S%d,h,%ld,%ld\n", c, N, N * (50 - 2 * c) / 100);
    }
    write_text(TMP "/shock-pop.csv", pop);
    write_text(TMP "/shock-true.ini", "[group.h]\nenroll = 0.02\nlapse = 0.008\n[common]\nshock_sd = 0.4\n");
    char scen[512];
    snprintf(scen, sizeof scen, "[run]\npopulation = shock-pop.csv\nmodel = shock-true.ini\nstart = 2010-12\n"
             "months = 120\nreplicates = %d\nseed = 23\n", REPEATS);
    write_text(TMP "/shock-sim.ini", scen);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/shock-sim.ini", &ov, &s);
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load(TMP "/cal-base.ini", &d);
    assert_non_null(m);
    int inside = 0, estimated = 0;
    double mean = 0;
    for (long k = 0; k < REPEATS; k++) {
        FILE *f = fopen(TMP "/shock-history.csv", "w");
        assert_non_null(f);
        fputs("commune,month,population,insured\n", f);
        for (int u = 0; u < r->ncommunes; u++)
            for (int mo = 0; mo <= r->months; mo += every) {
                char mon[8];
                cov_month_format(2010 * 12 + 11 + mo, mon);
                long at = cov_rep_at(r, u, mo, 0, k);
                fprintf(f, "%s,%s,%lld,%lld\n", r->unit_name[u], mon, (long long)r->rep_N[at],
                        (long long)r->rep_I[at]);
            }
        fclose(f);
        cov_history *h = cov_history_read(TMP "/shock-history.csv", m, NULL, 0, &d);
        assert_non_null(h);
        cov_fit fit;
        cov_fit_rates_opts(h, m, 1 << 30, NULL, NULL, &fit);
        assert_true(fit.shock.tried);
        assert_int_equal(fit.shock.steps, 120 / every - 1);
        assert_int_equal(fit.shock.summed, nc > 1 ? nc : 0);
        double lo = fit.shock.lo, hi = fit.shock.hi;
        inside += lo <= SHOCK_TRUE && SHOCK_TRUE <= hi;
        if (fit.shock.estimated) { estimated++; mean += fit.shock.sd; }
        else assert_true(fit.shock.reason[0] != 0);
        cov_history_free(h);
    }
    double share = (double)inside / REPEATS, floor_share = 0.95 - 3 * sqrt(0.95 * 0.05 / REPEATS);
    print_message("shock, %-10s truth %.2f inside 95%%: %.3f; estimated in %d of %d, mean estimate %.3f\n", what,
                  SHOCK_TRUE, share, estimated, REPEATS, estimated ? mean / estimated : 0);
    if (share < floor_share) fail_msg("shock, %s: truth inside the 95%% interval in %.2f of repeats", what, share);
    if (estimated < REPEATS / 2) fail_msg("shock, %s: estimated in %d of %d histories only", what, estimated, REPEATS);
    cov_model_free(m);
    cov_results_free(r);
    cov_scenario_free(s);
}

static void test_recovery_shock_quarterly(void **st) { (void)st; recover_shock(3, 1, "quarterly"); }
static void test_recovery_shock_annual(void **st) { (void)st; recover_shock(12, 1, "annual"); }
/* 10 communes reported quarterly, summed: the walk shows in their total. */
static void test_recovery_shock_communes(void **st) { (void)st; recover_shock(3, 10, "10 communes"); }

/* Too few steps: the shock is not estimated, and the model says why and
 * writes no shock_sd of its own. */
static void test_shock_too_few_steps(void **st)
{
    (void)st;
    write_text(TMP "/shock-few.csv", "commune,month,population,insured\nXã S,2020-12,100000,60000\n"
               "Xã S,2021-12,100500,62000\nXã S,2022-12,101000,64500\nXã S,2023-12,101500,66000\n");
    cov_diag d;
    cov_diag_init(&d);
    remove(TMP "/shock-few.ini");
    assert_int_equal(cov_calibrate(TMP "/shock-few.csv", TMP "/cal-base.ini", NULL, TMP "/shock-few.ini", NULL, &d),
                     COV_OK);
    char *text = slurp(TMP "/shock-few.ini");
    assert_non_null(text);
    if (!strstr(text, "; shock: not estimated, shock_sd kept from the base model (0): 3 steps between reported points "
                      "(at\n;   least 5 are needed"))   /* the comment wraps at about 100 bytes */
        fail_msg("no reason given:\n%s", text);
    assert_null(strstr(text, "shock_sd ="));
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovery_from_levels),
        cmocka_unit_test(test_recovery_from_flows),
        cmocka_unit_test(test_backtest_is_honest),
        cmocka_unit_test(test_messy_history),
        cmocka_unit_test(test_run_from_history),
        cmocka_unit_test(test_recovery_population_drift),
        cmocka_unit_test(test_recovery_quarterly),
        cmocka_unit_test(test_recovery_annual),
        cmocka_unit_test(test_nothing_identifiable),
        cmocka_unit_test(test_recovery_totals_only),
        cmocka_unit_test(test_levels_pooled),
        cmocka_unit_test(test_recovery_shock_quarterly),
        cmocka_unit_test(test_recovery_shock_annual),
        cmocka_unit_test(test_recovery_shock_communes),
        cmocka_unit_test(test_shock_too_few_steps),
    };
    return cmocka_run_group_tests_name("calibration and backtests", tests, NULL, NULL);
}
