/* test_levers.c — the scenario levers of MODEL.md "Events": reclassification
 * (hypergeometric movers, binomial keepers, nobody appears or disappears),
 * saturation of repeated campaigns, school drives, demography, inheritance
 * and --set, and the paired comparison and sweep. Expectations are exact;
 * Monte Carlo tolerances come from the replicate count and the spread. */
#include "testutil.h"
#include "csvread.h"

#define R_TEST 4000

/* Writes DIR/{model.ini,population.csv,scenario.ini} under tests/tmp. */
static void files(const char *dir, const char *model, const char *pop, const char *scen)
{
    char path[256];
    mkdir(TMP, 0777);
    snprintf(path, sizeof path, TMP "/%s", dir);
    mkdir(path, 0777);
    snprintf(path, sizeof path, TMP "/%s/model.ini", dir); write_text(path, model);
    snprintf(path, sizeof path, TMP "/%s/population.csv", dir); write_text(path, pop);
    snprintf(path, sizeof path, TMP "/%s/scenario.ini", dir); write_text(path, scen);
}

static cov_results *run_dir(const char *dir, cov_scenario **s)
{
    char path[256];
    snprintf(path, sizeof path, TMP "/%s/scenario.ini", dir);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    return run_scenario(path, &ov, s);
}

/* Mean and standard error over replicates of a series value. */
static void mean_se(const cov_results *r, int unit, int m, int series, bool insured, double *mean, double *se)
{
    double s1 = 0, s2 = 0;
    long R = r->replicates;
    for (long k = 0; k < R; k++) {
        long at = cov_rep_at(r, unit, m, series, k);
        double v = (double)(insured ? r->rep_I[at] : r->rep_N[at]);
        s1 += v; s2 += v * v;
    }
    *mean = s1 / (double)R;
    double var = (s2 - (double)R * *mean * *mean) / (double)(R - 1);
    *se = sqrt(fmax(var, 0) / (double)R);
}

static void expect_mean(const cov_results *r, int unit, int m, int series, bool insured, double exact, const char *what)
{
    double mean, se;
    mean_se(r, unit, m, series, insured, &mean, &se);
    if (fabs(mean - exact) > MC_Z * se + 1e-9)
        fail_msg("%s: engine mean %.3f, exact %.3f, tolerance %.3f", what, mean, exact, MC_Z * se);
}

static const char *ABC_MODEL =
    "[group.A]\nenroll = 0\nlapse = 0\n[group.B]\nenroll = 0\nlapse = 0\n[group.C]\nenroll = 0\nlapse = 0\n";
static const char *ABC_POP =
    "commune,group,population,insured,moving\nXã Một,A,1000,600,120\nXã Một,B,200,100,0\nXã Một,C,300,0,0\n";
#define ABC_TARGETS "[target.a]\nlevel = commune\nthreshold = 1\ndeadline = 2021-07\ngroup = A\n" \
                    "[target.b]\nlevel = commune\nthreshold = 1\ndeadline = 2021-07\ngroup = B\n" \
                    "[target.c]\nlevel = commune\nthreshold = 1\ndeadline = 2021-07\ngroup = C\n"
#define ABC_RUN "[run]\npopulation = population.csv\nmodel = model.ini\nstart = 2021-06\nmonths = 1\n" \
                "replicates = 4000\nseed = 11\n"

/* Half of A (500 people) moves: 150 to B, 350 to C; insured among movers
 * is Hypergeometric(600, 400, 500), mean 300; keepers Binomial(., 0.4). */
static void test_reclassification_expectations(void **st)
{
    (void)st;
    files("reclass", ABC_MODEL, ABC_POP,
          ABC_RUN ABC_TARGETS "[reclassify.x]\nmonth = 2021-07\nfrom = A\nfraction = 0.5\n"
          "to = B:0.3, C:0.7\nkeep = 0.4\n");
    cov_scenario *s;
    cov_results *r = run_dir("reclass", &s);
    int sa = s->targets[0].series, sb = s->targets[1].series, sc = s->targets[2].series;
    for (long k = 0; k < r->replicates; k++) {   /* nobody appears or disappears, in every replicate */
        assert_int_equal(r->rep_N[cov_rep_at(r, 0, 1, sa, k)], 500);
        assert_int_equal(r->rep_N[cov_rep_at(r, 0, 1, sb, k)], 350);
        assert_int_equal(r->rep_N[cov_rep_at(r, 0, 1, sc, k)], 650);
        assert_int_equal(r->rep_N[cov_rep_at(r, 0, 1, 0, k)], 1500);
        int64_t lost = 600 - r->rep_I[cov_rep_at(r, 0, 1, sa, k)];        /* insured movers */
        int64_t kept = r->rep_I[cov_rep_at(r, 0, 1, sb, k)] - 100 + r->rep_I[cov_rep_at(r, 0, 1, sc, k)];
        assert_true(kept >= 0 && kept <= lost && lost <= 500);
    }
    expect_mean(r, 0, 1, sa, true, 300.0, "insured left in A");
    expect_mean(r, 0, 1, sb, true, 100.0 + 150 * 0.6 * 0.4, "insured in B");
    expect_mean(r, 0, 1, sc, true, 350 * 0.6 * 0.4, "insured in C");
    expect_mean(r, 0, 1, 0, true, 700.0 - 300 * 0.6, "insured in all");
    cov_results_free(r);
    cov_scenario_free(s);
}

/* keep = 1: every insured mover stays insured, exactly, in every replicate;
 * people = 120 from a single commune; the same count from a column. */
static void test_reclassification_counts_and_keep_one(void **st)
{
    (void)st;
    const char *variants[2] = { "people = 120\ncommunes = Xã Một\n", "people_column = moving\n" };
    for (int v = 0; v < 2; v++) {
        char scen[2048];
        snprintf(scen, sizeof scen, ABC_RUN ABC_TARGETS
                 "[reclassify.x]\nmonth = 2021-07\nfrom = A\n%sto = C\nkeep = 1\n", variants[v]);
        files("reclass-keep", ABC_MODEL, ABC_POP, scen);
        cov_scenario *s;
        cov_results *r = run_dir("reclass-keep", &s);
        int sa = s->targets[0].series, sc = s->targets[2].series;
        for (long k = 0; k < r->replicates; k++) {
            assert_int_equal(r->rep_N[cov_rep_at(r, 0, 1, sa, k)], 880);
            assert_int_equal(r->rep_N[cov_rep_at(r, 0, 1, sc, k)], 420);
            assert_int_equal(r->rep_I[cov_rep_at(r, 0, 1, 0, k)], 700);
        }
        expect_mean(r, 0, 1, sc, true, 120 * 0.6, "insured movers in C");
        cov_results_free(r);
        cov_scenario_free(s);
    }
}

/* Two identical single-month campaigns (months 1 and 3) on a group whose
 * uninsured are 60% hard to reach (factor 0.2). With no lapses the expected
 * uninsured of each cell shrink by exactly (1 - p_eff) each month, so the
 * expected enrollments of each campaign month are known exactly; the second
 * campaign enrolls fewer, by the amount the strata imply. */
static void test_saturation_second_campaign_enrolls_fewer(void **st)
{
    (void)st;
    files("saturation", "[group.h]\nenroll = 0.05\nlapse = 0\nhard_share = 0.6\nhard_enroll_factor = 0.2\n",
          "commune,group,population,insured\nXã Một,h,10000,5000\n",
          "[run]\npopulation = population.csv\nmodel = model.ini\nstart = 2020-12\nmonths = 4\n"
          "replicates = 4000\nseed = 5\n"
          "[campaign.first]\nmonths = 2021-01\nenroll_multiplier = 4\n"
          "[campaign.second]\nmonths = 2021-03\nenroll_multiplier = 4\n");
    cov_scenario *s;
    cov_results *r = run_dir("saturation", &s);
    double p = 0.05, f = 0.2, m[5] = { 0, 4, 1, 4, 1 };
    double ue = 2000, uh = 3000, insured = 5000, gain[5] = { 0 };
    for (int t = 1; t <= 4; t++) {
        double pe = 1 - pow(1 - p, m[t]), ph = 1 - pow(1 - p, m[t] * f);
        gain[t] = ue * pe + uh * ph;
        ue *= 1 - pe; uh *= 1 - ph;
        insured += gain[t];
        char what[64];
        snprintf(what, sizeof what, "insured after month %d", t);
        expect_mean(r, 0, t, 0, true, insured, what);
    }
    /* Per uninsured person, a campaign without strata enrolls the same share
     * every time (1 - 0.95^4); with strata the second one reaches fewer,
     * because those left are mostly hard to reach. Exact values first: */
    double ue2 = 2000 * pow(1 - p, 4) * (1 - p), uh2 = 3000 * pow(1 - p, 4 * f) * pow(1 - p, f);
    double yield1 = gain[1] / 5000, yield3 = gain[3] / (ue2 + uh2);
    assert_true(yield3 < yield1);
    /* ... then the engine's gains and uninsured, replicate by replicate, each
     * within Monte Carlo error of the exact expectation. */
    const double R = (double)r->replicates;
    double sg1 = 0, sg1q = 0, sg3 = 0, sg3q = 0, su2 = 0, su2q = 0;
    for (long k = 0; k < r->replicates; k++) {
        double g1 = (double)(r->rep_I[cov_rep_at(r, 0, 1, 0, k)] - r->rep_I[cov_rep_at(r, 0, 0, 0, k)]);
        double g3 = (double)(r->rep_I[cov_rep_at(r, 0, 3, 0, k)] - r->rep_I[cov_rep_at(r, 0, 2, 0, k)]);
        double u2 = (double)(r->rep_N[cov_rep_at(r, 0, 2, 0, k)] - r->rep_I[cov_rep_at(r, 0, 2, 0, k)]);
        sg1 += g1; sg1q += g1 * g1; sg3 += g3; sg3q += g3 * g3; su2 += u2; su2q += u2 * u2;
    }
    double mg1 = sg1 / R, mg3 = sg3 / R, mu2 = su2 / R;
    double seg1 = sqrt((sg1q / R - mg1 * mg1) / R), seg3 = sqrt((sg3q / R - mg3 * mg3) / R);
    double seu2 = sqrt((su2q / R - mu2 * mu2) / R);
    if (fabs(mg1 - gain[1]) > MC_Z * seg1) fail_msg("first campaign: %.2f enrolled, exact %.2f", mg1, gain[1]);
    if (fabs(mg3 - gain[3]) > MC_Z * seg3) fail_msg("second campaign: %.2f enrolled, exact %.2f", mg3, gain[3]);
    if (fabs(mu2 - (ue2 + uh2)) > MC_Z * seu2) fail_msg("uninsured before the second: %.2f, exact %.2f", mu2, ue2 + uh2);
    assert_true(mg3 < mg1);
    assert_true(mg3 / mu2 < mg1 / 5000);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* Extra cards: exactly that many people a month get a card, easy-to-reach
 * first, never more than are uninsured. */
static void test_extra_cards(void **st)
{
    (void)st;
    files("extra", "[group.h]\nenroll = 0\nlapse = 0\nhard_share = 0.5\nhard_enroll_factor = 0.1\n",
          "commune,group,population,insured\nXã Một,h,1000,960\nXã Hai,h,500,480\n",
          "[run]\npopulation = population.csv\nmodel = model.ini\nstart = 2020-12\nmonths = 4\n"
          "replicates = 20\nseed = 2\n[extra.more]\nmonths = 2021-01..2021-03\ncommunes = Xã Một\ncards = 15\n");
    cov_scenario *s;
    cov_results *r = run_dir("extra", &s);
    for (long k = 0; k < r->replicates; k++) {
        assert_int_equal(r->rep_I[cov_rep_at(r, 0, 1, 0, k)], 975);
        assert_int_equal(r->rep_I[cov_rep_at(r, 0, 2, 0, k)], 990);
        assert_int_equal(r->rep_I[cov_rep_at(r, 0, 3, 0, k)], 1000);   /* only 10 were left */
        assert_int_equal(r->rep_I[cov_rep_at(r, 0, 4, 0, k)], 1000);
        assert_int_equal(r->rep_I[cov_rep_at(r, 1, 4, 0, k)], 480);    /* not in the list */
    }
    cov_results_free(r);
    cov_scenario_free(s);
}

/* A recurring school drive in September: uninsured students enroll with
 * probability 0.6 each year, and nothing moves in other months. */
static void test_school_drive_every_september(void **st)
{
    (void)st;
    files("school", "[group.students]\nenroll = 0\nlapse = 0\n",
          "commune,group,population,insured\nXã Một,students,1000,500\n",
          "[run]\npopulation = population.csv\nmodel = model.ini\nstart = 2018-07\nmonths = 14\n"
          "replicates = 4000\nseed = 9\n"
          "[school.year]\nmonth = 09\ngroups = students\nenroll = 0.6\n");
    cov_scenario *s;
    cov_results *r = run_dir("school", &s);
    for (long k = 0; k < r->replicates; k++) {
        assert_int_equal(r->rep_I[cov_rep_at(r, 0, 1, 0, k)], 500);   /* August */
        assert_int_equal(r->rep_I[cov_rep_at(r, 0, 3, 0, k)], r->rep_I[cov_rep_at(r, 0, 2, 0, k)]);
    }
    expect_mean(r, 0, 2, 0, true, 800, "after September 2018");
    expect_mean(r, 0, 14, 0, true, 920, "after September 2019");
    cov_results_free(r);
    cov_scenario_free(s);
}

/* Births ~ Poisson(b N) after deaths ~ Binomial(., d): E[N_t] = N_{t-1}(1-d)(1+b). */
static void test_demography_expected_population(void **st)
{
    (void)st;
    files("demo", "[group.kids]\nenroll = 0.01\nlapse = 0.01\n[group.adults]\nenroll = 0.01\nlapse = 0.01\n",
          "commune,group,population,insured\nXã Một,kids,2000,1800\nXã Một,adults,8000,6000\n",
          "[run]\npopulation = population.csv\nmodel = model.ini\nstart = 2020-12\nmonths = 12\n"
          "replicates = 4000\nseed = 13\n"
          "[demography]\nbirths = 0.0015\nbirth_group = kids\ninsured_at_birth = 1\ndeaths = 0.0006\n");
    cov_scenario *s;
    cov_results *r = run_dir("demo", &s);
    expect_mean(r, 0, 12, 0, false, 10000 * pow((1 - 0.0006) * (1 + 0.0015), 12), "population after a year");
    const cov_month_stats *ms = &r->ms[12];
    assert_false(ms->pop_fixed);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* A variant states only what differs from its base; --set does the same
 * from the command line; both give the same numbers. */
static void test_inheritance_and_set(void **st)
{
    (void)st;
    write_text(TMP "/base.ini",
               "[run]\npopulation = ../../scenarios/data/nam-truc-2018.csv\nmodel = ../../models/bhyt.ini\n"
               "levels = district\nstart = 2018-05\nmonths = 7\nreplicates = 300\nseed = 4\n"
               "[target.year-end]\nlevel = district\nthreshold = 84\ndeadline = 2018-12\n"
               "[campaign.peak]\nmonths = 2018-06..2018-07\ncommunes = Đồng Sơn\nenroll_multiplier = 2\n");
    write_text(TMP "/variant.ini", "; only the intensity differs\n[run]\nbase = base.ini\n"
               "[campaign.peak]\nenroll_multiplier = 3\n");
    cov_scenario *a, *b;
    cov_results *ra = run_scenario(TMP "/variant.ini", NULL, &a);
    const char *set[1] = { "campaign.peak.enroll_multiplier=3" };
    cov_overrides ov = { .seed = -1, .nset = 1, .set = set };
    cov_results *rb = run_scenario(TMP "/base.ini", &ov, &b);
    assert_true(a->campaigns[0].enroll_mult == 3.0);
    assert_true(a->campaigns[0].communes != NULL);          /* inherited from the base */
    assert_int_equal(a->months, 7);
    assert_memory_equal(ra->ms, rb->ms, (size_t)ra->nunits * (size_t)(ra->months + 1) * sizeof *ra->ms);
    cov_results_free(ra); cov_results_free(rb);
    cov_scenario_free(a); cov_scenario_free(b);
}

/* Reads compare.csv rows of target "mid" into probability, difference and errors. */
static int read_compare(const char *path, double rows[][4], int max)
{
    cov_diag d;
    cov_diag_init(&d);
    cov_csv *t = cov_csv_read(path, &d);
    assert_non_null(t);
    int n = 0;
    for (long i = 0; i < t->nrows && n < max; i++) {
        if (strcmp(cov_csv_cell(t, i, 0)->text, "mid")) continue;
        for (int k = 0; k < 4; k++) rows[n][k] = atof(cov_csv_cell(t, i, 4 + k)->text);
        n++;
    }
    cov_csv_free(t);
    return n;
}

/* Common random numbers: a modest campaign against the baseline has a
 * paired standard error at least 3x smaller than independent runs would;
 * a scenario against itself differs by exactly 0. */
static void test_paired_comparison(void **st)
{
    (void)st;
    write_text(TMP "/cmp-base.ini",
               "[run]\npopulation = ../../scenarios/data/nam-truc-2018.csv\nmodel = ../../models/bhyt.ini\n"
               "levels = district\nstart = 2018-05\nmonths = 7\nreplicates = 2000\nseed = 3\n"
               "[target.mid]\nlevel = district\nthreshold = 84\ndeadline = 2018-12\n");
    write_text(TMP "/cmp-camp.ini", "[run]\nbase = cmp-base.ini\n[campaign.peak]\nmonths = 2018-06..2018-07\n"
               "groups = household, agri_avg\nenroll_multiplier = 1.1\n");
    const char *pair[2] = { TMP "/cmp-base.ini", TMP "/cmp-camp.ini" };
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_compare(pair, 2, NULL, TMP "/cmp-out", NULL, &d), COV_OK);
    double rows[4][4];
    assert_int_equal(read_compare(TMP "/cmp-out/compare.csv", rows, 4), 2);
    double p0 = rows[0][0], p1 = rows[1][0], diff = rows[1][1], se = rows[1][2], se_ind = rows[1][3];
    assert_true(p0 > 0.1 && p0 < 0.9);                 /* a threshold where both sides carry weight */
    assert_true(fabs(diff - (p1 - p0)) < 1e-4);
    assert_true(diff > 0);                              /* the campaign helps */
    if (!(se_ind >= 3 * se)) fail_msg("paired se %.4f, independent se %.4f: reduction %.2f < 3", se, se_ind, se_ind / se);
    const char *same[2] = { TMP "/cmp-base.ini", TMP "/cmp-base.ini" };
    assert_int_equal(cov_compare(same, 2, NULL, TMP "/cmp-same", NULL, &d), COV_OK);
    assert_int_equal(read_compare(TMP "/cmp-same/compare.csv", rows, 4), 2);
    assert_true(rows[1][1] == 0.0 && rows[1][2] == 0.0);
}

/* The district's probability never falls as the campaign grows stronger:
 * with common random numbers every replicate's coverage is monotone. */
static void test_sweep_monotone(void **st)
{
    (void)st;
    write_text(TMP "/sweep.ini",
               "[run]\npopulation = ../../scenarios/data/nam-truc-2018.csv\nmodel = ../../models/bhyt.ini\n"
               "levels = district\nstart = 2018-05\nmonths = 7\nreplicates = 1000\nseed = 3\n"
               "[target.mid]\nlevel = district\nthreshold = 84.5\ndeadline = 2018-12\n"
               "[campaign.peak]\nmonths = 2018-06..2018-08\nenroll_multiplier = 1\n");
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_sweep(TMP "/sweep.ini", "campaign.peak.enroll_multiplier=1..4:0.5", NULL,
                               TMP "/sweep-out", NULL, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/sweep-out/sweep.csv", &d);
    assert_non_null(t);
    assert_int_equal(t->nrows, 7);
    double prev = -1;
    for (long i = 0; i < t->nrows; i++) {
        double pr = atof(cov_csv_cell(t, i, 4)->text);
        assert_true(pr >= prev);
        prev = pr;
    }
    assert_true(prev > atof(cov_csv_cell(t, 0, 4)->text) + 0.1);   /* and it does rise */
    cov_csv_free(t);
}

/* solve: at the returned value the target is at least as likely as asked
 * (the same seed: exactly the run the search made), at 90% of it less so. */
static void test_solve(void **st)
{
    (void)st;
    write_text(TMP "/solve.ini",
               "[run]\npopulation = ../../scenarios/data/nam-truc-2018.csv\nmodel = ../../models/bhyt.ini\n"
               "levels = district\nstart = 2018-05\nmonths = 7\nreplicates = 1000\nseed = 8\n"
               "[target.year-end]\nlevel = district\nthreshold = 85.2\ndeadline = 2018-12\n"
               "[campaign.peak]\nmonths = 2018-06..2018-07\ngroups = household, agri_avg\nenroll_multiplier = 1\n");
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_solve(TMP "/solve.ini", "year-end", "campaign.peak.enroll_multiplier", 0.8, "1..20",
                               NULL, TMP "/solve-out", NULL, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/solve-out/solve.csv", &d);
    assert_non_null(t);
    assert_int_equal(t->nrows, 1);
    assert_string_equal(cov_csv_cell(t, 0, cov_csv_column(t, "reachable"))->text, "yes");
    double v = atof(cov_csv_cell(t, 0, cov_csv_column(t, "value"))->text);
    assert_true(v > 1 && v < 20);
    cov_csv_free(t);
    double p[2];
    for (int k = 0; k < 2; k++) {
        char assign[128];
        snprintf(assign, sizeof assign, "campaign.peak.enroll_multiplier=%.10g", k == 0 ? v : 0.9 * v);
        const char *set[1] = { assign };
        cov_overrides ov = { .seed = -1, .nset = 1, .set = set };
        cov_scenario *s;
        cov_results *r = run_scenario(TMP "/solve.ini", &ov, &s);
        p[k] = (double)r->ts[0][unit_index(r, 0, "Huyện Nam Trực")].reached / (double)r->replicates;
        cov_results_free(r);
        cov_scenario_free(s);
    }
    assert_true(p[0] >= 0.8);
    assert_true(p[1] < 0.8);
}

/* allocate: with one commune near its target and one far from it, putting
 * the budget where it counts beats spreading it; a zero budget changes
 * nothing (the objective equals the run without the campaign). */
static double allocation_row(const char *path, const char *step, int col)
{
    cov_diag d;
    cov_diag_init(&d);
    cov_csv *t = cov_csv_read(path, &d);
    assert_non_null(t);
    double v = NAN;
    for (long r = 0; r < t->nrows; r++)
        if (!strcmp(cov_csv_cell(t, r, 0)->text, step)) v = atof(cov_csv_cell(t, r, col)->text);
    cov_csv_free(t);
    return v;
}

static void test_allocate(void **st)
{
    (void)st;
    files("allocate", "[group.h]\nenroll = 0.02\nlapse = 0.003\nenroll_sd = 0.3\n",
          "commune,group,population,insured\nXã Gần,h,2000,1680\nXã Xa,h,2000,1000\n",
          "[run]\npopulation = population.csv\nmodel = model.ini\nstart = 2020-12\nmonths = 3\n"
          "replicates = 1000\nseed = 21\n"
          "[target.own]\nlevel = commune\nthreshold = 85\ndeadline = 2021-03\n"
          "[campaign.drive]\nmonths = 2021-01..2021-02\nenroll_multiplier = 3\n");
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_allocate(TMP "/allocate/scenario.ini", "own", "drive", 2, NULL, TMP "/allocate-out",
                                  NULL, &d), COV_OK);
    double best = allocation_row(TMP "/allocate-out/allocation.csv", "2", 4);
    double even = allocation_row(TMP "/allocate-out/allocation.csv", "even", 4);
    if (!(best > even)) fail_msg("greedy %.4f does not beat the even spread %.4f", best, even);
    assert_int_equal(cov_allocate(TMP "/allocate/scenario.ini", "own", "drive", 0, NULL, TMP "/allocate-zero",
                                  NULL, &d), COV_OK);
    double zero = allocation_row(TMP "/allocate-zero/allocation.csv", "even", 4);
    const char *set[1] = { "campaign.drive.enroll_multiplier=1" };
    cov_overrides ov = { .seed = -1, .nset = 1, .set = set };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/allocate/scenario.ini", &ov, &s);
    double none = 0;
    for (int u = 0; u < r->ncommunes; u++) none += (double)r->ts[0][u].reached / (double)r->replicates;
    assert_true(fabs(zero - none) < 1e-4);   /* both printed with 4 decimals */
    cov_results_free(r);
    cov_scenario_free(s);
}

/* Is the commune with this code in a section's set? */
static bool in_set(const cov_scenario *s, const bool *set, const char *code)
{
    for (int c = 0; c < s->pop->ncommunes; c++)
        if (!strcmp(s->pop->c[c].code, code)) return set && set[c];
    fail_msg("no commune %s", code);
    return false;
}

static void test_commune_names_with_parents(void **st)
{
    (void)st;
    files("names", "[group.household]\nenroll = 0.01\nlapse = 0.01\n",
          "commune_code,commune,district,province,group,population,insured\n"
          "101,Xã Tân Thành,Huyện Bắc Quang,Tỉnh Hà Giang,household,1000,800\n"
          "102,Xã Tân Thành,Huyện Hàm Yên,Tỉnh Tuyên Quang,household,1200,900\n"
          "103,Xã Tân Thành,Huyện Châu Thành (Tỉnh An Giang),Tỉnh An Giang,household,1500,1100\n"
          "104,Xã Tân Thành,Huyện Châu Thành (Tỉnh Long An),Tỉnh Long An,household,1300,1000\n"
          "105,Xã Tân Thành,Huyện Thủ Thừa,Tỉnh Long An,household,900,700\n"
          "201,Xã Tân Lập,Huyện Bắc Quang,Tỉnh Hà Giang,household,800,600\n"
          "202,Xã Tân Lập,Huyện Bắc Quang,Tỉnh Hà Giang,household,700,500\n"
          "301,Xã Một (cũ),Huyện Thủ Thừa,Tỉnh Long An,household,500,400\n",
          "[run]\npopulation = population.csv\nmodel = model.ini\nlevels = district, province\n"
          "start = 2018-05\nmonths = 3\nreplicates = 10\n"
          "[campaign.qualified]\nmonths = 2018-06\nenroll_multiplier = 2\n"
          "communes = Xã Tân Thành (Huyện Bắc Quang); Tỉnh Long An/Huyện Thủ Thừa/Xã Tân Thành; "
          "Xã Tân Thành (Huyện Châu Thành (Tỉnh An Giang)); 202\n"
          "[extra.listed]\ncards = 1\ncommunes_file = list.csv\n"
          "[school.slashes]\nmonth = 09\ngroups = household\nenroll = 0.1\n"
          "communes = Tỉnh Tuyên Quang / Xã Tân Thành; Xã Một (cũ); Tỉnh Long An/Xã Một (cũ)\n");
    write_text(TMP "/names/list.csv", "commune\n\"Xã Tân Thành (Huyện Châu Thành (Tỉnh Long An))\"\n");
    cov_diag d;
    cov_diag_init(&d);
    cov_scenario *s = cov_scenario_load(TMP "/names/scenario.ini", NULL, &d);
    if (!s) cov_diag_print(&d, stderr);
    assert_non_null(s);
    const bool *k = s->campaigns[0].communes, *x = s->extras[0].communes, *sc = s->schools[0].communes;
    static const char *codes[] = { "101", "102", "103", "104", "105", "201", "202", "301" };
    static const bool in_k[] = { 1, 0, 1, 0, 1, 0, 1, 0 }, in_x[] = { 0, 0, 0, 1, 0, 0, 0, 0 },
                      in_sc[] = { 0, 1, 0, 0, 0, 0, 0, 1 };
    for (int i = 0; i < 8; i++) {
        if (in_set(s, k, codes[i]) != in_k[i]) fail_msg("campaign: commune %s", codes[i]);
        if (in_set(s, x, codes[i]) != in_x[i]) fail_msg("communes_file: commune %s", codes[i]);
        if (in_set(s, sc, codes[i]) != in_sc[i]) fail_msg("school: commune %s", codes[i]);
    }
    cov_scenario_free(s);

    /* the bare name of five communes is an error naming them, at the entry */
    write_text(TMP "/names/bare.ini", "[run]\npopulation = population.csv\nmodel = model.ini\n"
               "levels = district, province\nstart = 2018-05\nmonths = 3\n"
               "[campaign.bare]\nmonths = 2018-06\ncommunes = 202; Xã Tân Thành\n");
    cov_diag_init(&d);
    assert_null(cov_scenario_load(TMP "/names/bare.ini", NULL, &d));
    assert_int_equal(d.n, 1);
    assert_int_equal(d.e[0].line, 9);
    assert_int_equal(d.e[0].col, 17);
    assert_non_null(strstr(d.e[0].msg, "\"Xã Tân Thành\" names 5 communes"));
    assert_non_null(strstr(d.e[0].msg, "101 (Huyện Bắc Quang, Tỉnh Hà Giang)"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reclassification_expectations),
        cmocka_unit_test(test_reclassification_counts_and_keep_one),
        cmocka_unit_test(test_saturation_second_campaign_enrolls_fewer),
        cmocka_unit_test(test_school_drive_every_september),
        cmocka_unit_test(test_extra_cards),
        cmocka_unit_test(test_demography_expected_population),
        cmocka_unit_test(test_inheritance_and_set),
        cmocka_unit_test(test_paired_comparison),
        cmocka_unit_test(test_sweep_monotone),
        cmocka_unit_test(test_solve),
        cmocka_unit_test(test_allocate),
        cmocka_unit_test(test_commune_names_with_parents),
    };
    return cmocka_run_group_tests_name("scenario levers", tests, NULL, NULL);
}
