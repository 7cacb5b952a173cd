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
    assert_int_equal(cov_backtest(TMP "/cal-history.csv", TMP "/cal-base.ini", 6, 400, 5, TMP "/cal-backtest",
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
    assert_int_equal(cov_calibrate(TMP "/cal-messy.csv", TMP "/cal-base.ini", TMP "/cal-messy.ini", NULL, &d), COV_OK);
    char *text = slurp(TMP "/cal-messy.ini");
    assert_non_null(text);
    assert_non_null(strstr(text, "1 steps skipped for a population change"));
    assert_non_null(strstr(text, "for missing"));
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_recovery_from_levels),
        cmocka_unit_test(test_recovery_from_flows),
        cmocka_unit_test(test_backtest_is_honest),
        cmocka_unit_test(test_messy_history),
        cmocka_unit_test(test_run_from_history),
    };
    return cmocka_run_group_tests_name("calibration and backtests", tests, NULL, NULL);
}
