/* test_units.c — rates per unit in a run ([units] rates = ..., MODEL.md
 * "Rates per unit in a run") and the [common] factor shared by every group. */
#include "testutil.h"
#include "types.h"

#include <math.h>

#define POP "commune,district,group,population,insured\n" \
            "Xã A1,Huyện A,h,20000,10000\nXã A2,Huyện A,h,30000,12000\nXã B1,Huyện B,h,25000,20000\n"
#define POP_A "commune,district,group,population,insured\nXã A1,Huyện A,h,20000,10000\nXã A2,Huyện A,h,30000,12000\n"
#define POP_B "commune,district,group,population,insured\nXã B1,Huyện B,h,25000,20000\n"
#define RUN "[run]\nmodel = %s\npopulation = %s\nlevels = district\nstart = 2020-01\nmonths = 12\nreplicates = 400\nseed = 7\n"

/* Writes scenario path for model and population (names in TMP). */
static void scenario(const char *path, const char *model, const char *pop)
{
    char buf[512];
    snprintf(buf, sizeof buf, RUN, model, pop);
    write_text(path, buf);
}

/* Commune `name`'s month-H statistics of a run. */
static const cov_month_stats *last(const cov_results *r, const char *name)
{
    return &r->ms[(long)unit_index(r, COV_LEVEL_COMMUNE, name) * (r->months + 1) + r->months];
}

/* Two districts with very different rates, no spread: each commune's path
 * is exactly the one of a run of its district alone with its rates as the
 * group's (the transitions' streams are the same); with a spread, the
 * same within Monte Carlo error of 400 replicates. */
static void check_districts(const char *sd_a, const char *sd_b, bool exact)
{
    char rates[512], ma[256], mb[256];
    snprintf(rates, sizeof rates, "level,unit,group,enroll,enroll_sd,lapse,lapse_sd\n"
             "district,Huyện A,h,0.08,%s,0.005,0\ndistrict,Huyện B,h,0.002,%s,0.04,0\n"
             "district,Huyện Z,h,0.5,0,0.5,0\n", sd_a, sd_b);   /* Z: not in the population, left aside */
    write_text(TMP "/u-rates.csv", rates);
    write_text(TMP "/u-model.ini", "[group.h]\nenroll = 0.02\nlapse = 0.01\n[units]\nrates = u-rates.csv\nlevel = district\n");
    snprintf(ma, sizeof ma, "[group.h]\nenroll = 0.08\nlapse = 0.005\nenroll_sd = %s\n", sd_a);
    snprintf(mb, sizeof mb, "[group.h]\nenroll = 0.002\nlapse = 0.04\nenroll_sd = %s\n", sd_b);
    write_text(TMP "/u-ma.ini", ma);
    write_text(TMP "/u-mb.ini", mb);
    write_text(TMP "/u-pop.csv", POP);
    write_text(TMP "/u-pop-a.csv", POP_A);
    write_text(TMP "/u-pop-b.csv", POP_B);
    scenario(TMP "/u-all.ini", "u-model.ini", "u-pop.csv");
    scenario(TMP "/u-a.ini", "u-ma.ini", "u-pop-a.csv");
    scenario(TMP "/u-b.ini", "u-mb.ini", "u-pop-b.csv");
    cov_scenario *s, *sa, *sb;
    cov_results *r = run_scenario(TMP "/u-all.ini", NULL, &s);
    cov_results *ra = run_scenario(TMP "/u-a.ini", NULL, &sa);
    cov_results *rb = run_scenario(TMP "/u-b.ini", NULL, &sb);
    static const char *names[] = { "Xã A1", "Xã A2", "Xã B1" };
    for (int i = 0; i < 3; i++) {
        const cov_month_stats *x = last(r, names[i]), *y = last(i < 2 ? ra : rb, names[i]);
        if (exact) {
            assert_true(x->ins_mean == y->ins_mean);
            for (int q = 0; q < 5; q++) assert_true(x->q[q] == y->q[q]);
        } else {   /* the spread of the mean from the 5-95% range of either run */
            double sd = fmax(x->q[4] - x->q[0], y->q[4] - y->q[0]) / 3.29;
            double tol = MC_Z * sqrt(2.0 / 400) * sd + 0.05;
            assert_true(fabs(x->cov_mean - y->cov_mean) < tol);
        }
    }
    /* the rates are far apart: A climbs, B falls */
    assert_true(last(r, "Xã A1")->cov_mean > 75 && last(r, "Xã B1")->cov_mean < 70);
    cov_results_free(r); cov_results_free(ra); cov_results_free(rb);
    cov_scenario_free(s); cov_scenario_free(sa); cov_scenario_free(sb);
}

static void test_districts_exact(void **st) { (void)st; check_districts("0", "0", true); }
static void test_districts_spread(void **st) { (void)st; check_districts("0.4", "0.6", false); }

/* A district without a row: an error naming it and the rates file; with
 * missing = group, its communes run exactly as without a rates file. */
static void test_missing_unit(void **st)
{
    (void)st;
    write_text(TMP "/m-rates.csv", "level,unit,group,enroll,enroll_sd,lapse,lapse_sd\ndistrict,Huyện A,h,0.08,0.3,0.005,0.2\n");
    write_text(TMP "/m-model.ini", "[group.h]\nenroll = 0.02\nlapse = 0.01\nenroll_sd = 0.3\n"
               "[units]\nrates = m-rates.csv\nlevel = district\n");
    write_text(TMP "/m-pop.csv", POP);
    scenario(TMP "/m-run.ini", "m-model.ini", "m-pop.csv");
    cov_diag d;
    cov_diag_init(&d);
    assert_null(cov_scenario_load(TMP "/m-run.ini", NULL, &d));
    assert_int_equal(d.n, 1);
    assert_non_null(strstr(d.e[0].msg, "\"Huyện B\""));
    assert_non_null(strstr(d.e[0].msg, "m-rates.csv"));
    assert_int_equal(d.e[0].line, 4);   /* Xã B1's row of the population */

    write_text(TMP "/m-model.ini", "[group.h]\nenroll = 0.02\nlapse = 0.01\nenroll_sd = 0.3\n"
               "[units]\nrates = m-rates.csv\nlevel = district\nmissing = group\n");
    write_text(TMP "/m-plain.ini", "[group.h]\nenroll = 0.02\nlapse = 0.01\nenroll_sd = 0.3\n");
    scenario(TMP "/m-plain-run.ini", "m-plain.ini", "m-pop.csv");
    cov_scenario *s, *sp;
    cov_results *r = run_scenario(TMP "/m-run.ini", NULL, &s);
    cov_results *rp = run_scenario(TMP "/m-plain-run.ini", NULL, &sp);
    const cov_month_stats *x = last(r, "Xã B1"), *y = last(rp, "Xã B1");
    assert_true(x->ins_mean == y->ins_mean && x->q[2] == y->q[2]);
    assert_true(last(r, "Xã A1")->ins_mean != last(rp, "Xã A1")->ins_mean);
    cov_results_free(r); cov_results_free(rp);
    cov_scenario_free(s); cov_scenario_free(sp);
}

/* [common]: one draw per replicate for every group. Two groups with the
 * same rates and people and no spread of their own move together: the
 * correlation of their coverages across replicates is near 1 (binomial
 * noise alone apart); with the same spread as each group's own, near 0. */
static double group_corr(const char *model)
{
    write_text(TMP "/c-model.ini", model);
    write_text(TMP "/c-pop.csv", "commune,group,population,insured\nXã C,g1,1000000,500000\nXã C,g2,1000000,500000\n");
    write_text(TMP "/c-run.ini", "[run]\nmodel = c-model.ini\npopulation = c-pop.csv\nstart = 2020-01\nmonths = 6\n"
               "replicates = 400\nseed = 3\n[target.a]\nlevel = commune\nthreshold = 50\ndeadline = 2020-07\ngroup = g1\n"
               "[target.b]\nlevel = commune\nthreshold = 50\ndeadline = 2020-07\ngroup = g2\n");
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/c-run.ini", &ov, &s);
    assert_int_equal(r->nseries, 3);
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, n = (double)r->replicates;
    for (long k = 0; k < r->replicates; k++) {
        double x = (double)r->rep_I[cov_rep_at(r, 0, r->months, 1, k)], y = (double)r->rep_I[cov_rep_at(r, 0, r->months, 2, k)];
        sx += x; sy += y; sxx += x * x; syy += y * y; sxy += x * y;
    }
    cov_results_free(r);
    cov_scenario_free(s);
    return (sxy - sx * sy / n) / sqrt((sxx - sx * sx / n) * (syy - sy * sy / n));
}

static void test_common_factor(void **st)
{
    (void)st;
    double shared = group_corr("[group.g1]\nenroll = 0.05\nlapse = 0.02\n[group.g2]\nenroll = 0.05\nlapse = 0.02\n"
                               "[common]\nenroll_sd = 0.5\nlapse_sd = 0.3\n");
    double apart = group_corr("[group.g1]\nenroll = 0.05\nlapse = 0.02\nenroll_sd = 0.5\nlapse_sd = 0.3\n"
                              "[group.g2]\nenroll = 0.05\nlapse = 0.02\nenroll_sd = 0.5\nlapse_sd = 0.3\n");
    assert_true(shared > 0.999);
    assert_true(fabs(apart) < 0.25);   /* 400 replicates: se of a zero correlation 0.05 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_districts_exact),
        cmocka_unit_test(test_districts_spread),
        cmocka_unit_test(test_missing_unit),
        cmocka_unit_test(test_common_factor),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
