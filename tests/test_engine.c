/* test_engine.c — whole-engine properties of MODEL.md: thread-count
 * independent bytes, keyed streams (removing a commune, common random
 * numbers), parent levels that add up in every replicate, and the source
 * documents' figures. */
#include "testutil.h"
#include "stats.h"
#include "simulate.h"
#include "csvread.h"

#include <gsl/gsl_rng.h>

#define NAM_TRUC_CSV "../../scenarios/data/nam-truc-2018.csv"
#define MODEL "../../models/bhyt.ini"

static const char *SCENARIO_HEAD =
    "[run]\nmodel = " MODEL "\nlevels = district, province\nstart = 2018-05\nmonths = 8\n"
    "replicates = 400\nseed = 99\n"
    "[target.year-end]\nlevel = district\nthreshold = 85.2\ndeadline = 2018-12\n"
    "[target.early-2019]\nlevel = district\nthreshold = 91\ndeadline = 2018-12\n"
    "[target.ntm]\nlevel = commune\nthreshold = 85\ndeadline = 2018-12\n"
    "[target.students]\nlevel = commune\nthreshold = 95\ndeadline = 2018-10\ngroup = students\n";

/* Writes a scenario in tests/tmp using the given population file. */
static void write_scenario(const char *path, const char *population, const char *extra)
{
    char text[4096];
    snprintf(text, sizeof text, "[run]\npopulation = %s\n%s%s", population,
             SCENARIO_HEAD + strlen("[run]\n"), extra ? extra : "");
    write_text(path, text);
}

static void test_threads_give_identical_bytes(void **st)
{
    (void)st;
    write_scenario(TMP "/threads.ini", NAM_TRUC_CSV,
                   "[campaign.peak]\nmonths = 2018-06..2018-07\ncommunes = Đồng Sơn; Nam Thái\n"
                   "enroll_multiplier = 2\nenroll_multiplier_sd = 0.3\n");
    const char *outs[2] = { TMP "/threads-1", TMP "/threads-2" };
    for (int k = 0; k < 2; k++) {
        cov_overrides ov = { .seed = -1, .threads = k + 1, .out = outs[k] };
        cov_scenario *s;
        cov_results *r = run_scenario(TMP "/threads.ini", &ov, &s);
        cov_diag d;
        cov_diag_init(&d);
        assert_int_equal(cov_results_write(r, s, 0.0, &d), COV_OK);
        cov_results_free(r);
        cov_scenario_free(s);
    }
    const char *files[2] = { "trajectories.csv", "targets.csv" };
    for (int f = 0; f < 2; f++) {
        char a[256], b[256];
        snprintf(a, sizeof a, "%s/%s", outs[0], files[f]);
        snprintf(b, sizeof b, "%s/%s", outs[1], files[f]);
        char *x = slurp(a), *y = slurp(b);
        assert_non_null(x);
        assert_non_null(y);
        assert_true(strlen(x) > 1000);
        assert_string_equal(x, y);
        free(x); free(y);
    }
}

/* Removing a commune from the file leaves every other commune's results
 * unchanged: streams are keyed by commune, not by position. */
static void test_removing_a_commune_changes_no_other(void **st)
{
    (void)st;
    char *full = slurp("scenarios/data/nam-truc-2018.csv");
    assert_non_null(full);
    FILE *f = fopen(TMP "/without-nam-thai.csv", "w");
    assert_non_null(f);
    for (char *line = strtok(full, "\n"); line; line = strtok(NULL, "\n"))
        if (strncmp(line, "Nam Thái,", strlen("Nam Thái,"))) fprintf(f, "%s\n", line);
    fclose(f);
    free(full);
    const char *camp = "[campaign.peak]\nmonths = 2018-06\ncommunes = Đồng Sơn\nenroll_multiplier = 3\n";
    write_scenario(TMP "/full.ini", NAM_TRUC_CSV, camp);
    write_scenario(TMP "/less.ini", "without-nam-thai.csv", camp);
    cov_scenario *s1, *s2;
    cov_results *a = run_scenario(TMP "/full.ini", NULL, &s1);
    cov_results *b = run_scenario(TMP "/less.ini", NULL, &s2);
    assert_int_equal(a->ncommunes, 20);
    assert_int_equal(b->ncommunes, 19);
    int H = a->months, compared = 0;
    for (int ub = 0; ub < b->ncommunes; ub++) {
        int ua = unit_index(a, COV_LEVEL_COMMUNE, b->unit_name[ub]);
        assert_memory_equal(&a->ms[ua * (H + 1)], &b->ms[ub * (H + 1)], (size_t)(H + 1) * sizeof(cov_month_stats));
        for (int t = 2; t < 4; t++) {
            assert_int_equal(a->ts[t][ua].reached, b->ts[t][ub].reached);
            assert_int_equal(a->ts[t][ua].reached_by, b->ts[t][ub].reached_by);
            assert_true(a->ts[t][ua].cov_q[1] == b->ts[t][ub].cov_q[1]);
        }
        compared++;
    }
    assert_int_equal(compared, 19);
    /* ... while the district, which lost a commune, did change. */
    int da = unit_index(a, 0, "Huyện Nam Trực"), db = unit_index(b, 0, "Huyện Nam Trực");
    assert_true(a->ms[da * (H + 1)].pop_mean != b->ms[db * (H + 1)].pop_mean);
    cov_results_free(a); cov_results_free(b);
    cov_scenario_free(s1); cov_scenario_free(s2);
}

/* Two scenarios with the same seed share random numbers wherever they
 * agree: a campaign in one commune changes that commune only. */
static void test_common_random_numbers(void **st)
{
    (void)st;
    write_scenario(TMP "/base.ini", NAM_TRUC_CSV, NULL);
    write_scenario(TMP "/camp.ini", NAM_TRUC_CSV,
                   "[campaign.peak]\nmonths = 2018-06..2018-08\ncommunes = Hồng Quang\n"
                   "groups = household\nenroll_multiplier = 3\nenroll_multiplier_sd = 0.2\n");
    cov_scenario *s1, *s2;
    cov_results *a = run_scenario(TMP "/base.ini", NULL, &s1);
    cov_results *b = run_scenario(TMP "/camp.ini", NULL, &s2);
    int H = a->months, hq = unit_index(a, COV_LEVEL_COMMUNE, "Hồng Quang");
    for (int u = 0; u < a->ncommunes; u++) {
        int same = !memcmp(&a->ms[u * (H + 1)], &b->ms[u * (H + 1)], (size_t)(H + 1) * sizeof(cov_month_stats));
        if (u == hq) assert_false(same);
        else assert_true(same);
    }
    /* The campaign raised Hồng Quang's mean coverage at the horizon. */
    assert_true(b->ms[hq * (H + 1) + H].cov_mean > a->ms[hq * (H + 1) + H].cov_mean);
    cov_results_free(a); cov_results_free(b);
    cov_scenario_free(s1); cov_scenario_free(s2);
}

/* A district's population and insured are the sums of its communes' in
 * every replicate and month; "all" likewise. */
static void test_parent_levels_add_up(void **st)
{
    (void)st;
    write_scenario(TMP "/sums.ini", NAM_TRUC_CSV,
                   "[campaign.peak]\nmonths = 2018-06\nenroll_multiplier = 2\nenroll_multiplier_sd = 0.5\n");
    cov_overrides ov = { .seed = -1, .replicates = 50, .keep_replicates = 1 };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/sums.ini", &ov, &s);
    long R = r->replicates;
    int dist = unit_index(r, 0, "Huyện Nam Trực"), prov = unit_index(r, 1, "Tỉnh Nam Định");
    int all = unit_index(r, COV_LEVEL_ALL, "all");
    long checked = 0;
    for (int m = 0; m <= r->months; m++)
        for (long k = 0; k < R; k++) {
            int64_t sI = 0, sN = 0;
            for (int c = 0; c < r->ncommunes; c++) {
                sI += r->rep_I[cov_rep_at(r, c, m, 0, k)];
                sN += r->rep_N[cov_rep_at(r, c, m, 0, k)];
            }
            for (int p = 0; p < 3; p++) {
                int u = p == 0 ? dist : p == 1 ? prov : all;
                assert_int_equal(r->rep_I[cov_rep_at(r, u, m, 0, k)], sI);
                assert_int_equal(r->rep_N[cov_rep_at(r, u, m, 0, k)], sN);
            }
            checked++;
        }
    assert_int_equal(checked, (r->months + 1) * R);
    /* Replicates differ from one another (the check is not vacuous). */
    int H = r->months;
    assert_true(r->rep_I[cov_rep_at(r, dist, H, 0, 0)] != r->rep_I[cov_rep_at(r, dist, H, 0, 1)]
                || r->rep_I[cov_rep_at(r, dist, H, 0, 1)] != r->rep_I[cov_rep_at(r, dist, H, 0, 2)]);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* Every parent unit's per-replicate counts are the sums of its communes',
 * in every month and series, whatever the order of the rows (districts
 * interleaved: units become whole out of order), on 1 and 2 threads, with
 * nested levels and with levels that do not nest (a district name shared
 * by two provinces is then one unit across them). */
static void test_parent_units_add_up_in_any_order(void **st)
{
    (void)st;
    for (int crossing = 0; crossing < 2; crossing++) {
        /* 3 provinces x 2 districts x 4 communes, rows in a scrambled order */
        char csv[16384] = "commune,district,province,group,population,insured\n";
        for (int i = 0; i < 24; i++) {
            int k = (i * 7 + 5) % 24, prov = k / 8, dist = (k / 4) % 2;
            char row[256];
            for (int g = 0; g < 2; g++) {
                long n = 300 + 37 * k + 101 * g;
                snprintf(row, sizeof row, "Xã %d,Huyện %c,Tỉnh %d,%s,%ld,%ld\n", k, 'A' + dist, prov,
                         g ? "household" : "students", n, n * (60 + k) / 100);
                strcat(csv, row);
            }
        }
        write_text(TMP "/order.csv", csv);
        char ini[1024];
        snprintf(ini, sizeof ini,
                 "[run]\npopulation = order.csv\nmodel = " MODEL "\nlevels = district, province\n%s"
                 "start = 2020-01\nmonths = 6\nreplicates = 30\nseed = 5\n",
                 crossing ? "nested_levels = no\n" : "");
        write_text(TMP "/order.ini", ini);
        for (int threads = 1; threads <= 2; threads++) {
            cov_overrides ov = { .seed = -1, .threads = threads, .keep_replicates = 1 };
            cov_scenario *s;
            cov_results *r = run_scenario(TMP "/order.ini", &ov, &s);
            const cov_population *pop = s->pop;
            assert_int_equal(pop->levels[0].nunits, crossing ? 2 : 6);
            assert_int_equal(pop->levels[1].nunits, 3);
            int C = r->ncommunes, off[2] = { C, C + pop->levels[0].nunits }, all = r->nunits - 1;
            long checked = 0;
            for (int m = 0; m <= r->months; m++)
                for (int ser = 0; ser < s->nseries; ser++)
                    for (long k = 0; k < r->replicates; k++) {
                        int64_t *sI = calloc((size_t)r->nunits, sizeof *sI), *sN = calloc((size_t)r->nunits, sizeof *sN);
                        for (int c = 0; c < C; c++) {
                            int at[3] = { off[0] + pop->c[c].parent[0], off[1] + pop->c[c].parent[1], all };
                            for (int l = 0; l < 3; l++) {
                                sI[at[l]] += r->rep_I[cov_rep_at(r, c, m, ser, k)];
                                sN[at[l]] += r->rep_N[cov_rep_at(r, c, m, ser, k)];
                            }
                        }
                        for (int u = C; u < r->nunits; u++) {
                            assert_int_equal(r->rep_I[cov_rep_at(r, u, m, ser, k)], sI[u]);
                            assert_int_equal(r->rep_N[cov_rep_at(r, u, m, ser, k)], sN[u]);
                            checked++;
                        }
                        free(sI); free(sN);
                    }
            assert_int_equal(checked, (long)(r->months + 1) * s->nseries * r->replicates * (r->nunits - C));
            cov_results_free(r);
            cov_scenario_free(s);
        }
    }
}

/* The source's card gap (document 674-CV/HU): 193,766 people with 160,613
 * insured (82.89%) need 4,476 cards for 85.2% and 15,715 for 91%. */
static void test_card_gap_of_the_source(void **st)
{
    (void)st;
    assert_int_equal(cov_cards_needed(160613, 193766, 8520), 4476);
    assert_int_equal(cov_cards_needed(160613, 193766, 9100), 15715);
    assert_int_equal(cov_cards_needed(193766, 193766, 9100), 0);
    write_scenario(TMP "/gap.ini", NAM_TRUC_CSV, NULL);
    cov_overrides ov = { .seed = -1, .replicates = 20 };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/gap.ini", &ov, &s);
    int dist = unit_index(r, 0, "Huyện Nam Trực");
    assert_int_equal(r->ts[0][dist].cards_now, 4476);
    assert_int_equal(r->ts[1][dist].cards_now, 15715);
    assert_true(r->ms[dist * (r->months + 1)].pop_mean == 193766.0);
    assert_true(r->ms[dist * (r->months + 1)].ins_mean == 160613.0);
    assert_true(fabs(r->ms[dist * (r->months + 1)].q[2] - 82.89) < 0.005);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* Yên Thế, 30 Sep 2017: 95,026 insured of 100,249 people = 94.8%. */
static void test_yen_the_coverage(void **st)
{
    (void)st;
    write_text(TMP "/yen-the.csv", "commune,district,group,population,insured\n"
               "Cầu Gồ,Huyện Yên Thế,household,50000,45000\nBố Hạ,Huyện Yên Thế,household,50249,50026\n");
    write_text(TMP "/yen-the-model.ini", "[group.household]\nenroll = 0.01\nlapse = 0.01\n");
    write_text(TMP "/yen-the.ini", "[run]\npopulation = yen-the.csv\nmodel = yen-the-model.ini\n"
               "levels = district\nstart = 2017-09\nmonths = 3\nreplicates = 10\n"
               "[target.plan]\nlevel = district\nthreshold = 98\ndeadline = 2017-12\n");
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/yen-the.ini", NULL, &s);
    int dist = unit_index(r, 0, "Huyện Yên Thế");
    assert_true(fabs(r->ms[dist * 4].q[2] - 100.0 * 95026 / 100249) < 1e-9);
    assert_int_equal(r->ts[0][dist].cards_now, cov_cards_needed(95026, 100249, 9800));
    assert_int_equal(r->ts[0][dist].cards_now, 3219);  /* ceil(98,244.02 - 95,026) */
    cov_results_free(r);
    cov_scenario_free(s);
}

/* The first-month distribution adds up to P(reached by the deadline), which
 * is at least P(reached at the deadline), for every target and unit. */
static void test_first_month_distribution(void **st)
{
    (void)st;
    write_scenario(TMP "/first.ini", NAM_TRUC_CSV,
                   "[campaign.peak]\nmonths = 2018-06..2018-09\nenroll_multiplier = 3\nenroll_multiplier_sd = 0.5\n");
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/first.ini", NULL, &s);
    long informative = 0;
    for (int t = 0; t < s->ntargets; t++) {
        int d = s->targets[t].deadline - s->start;
        for (int u = 0; u < r->nunits; u++) {
            if (r->unit_level[u] != s->targets[t].level) continue;
            const cov_target_stats *ts = &r->ts[t][u];
            long sum = 0;
            for (int m = 0; m <= d; m++) sum += ts->first[m];
            assert_int_equal(sum, ts->reached_by);
            assert_int_equal(ts->first[r->months + 1], r->replicates - ts->reached_by);
            assert_true(ts->reached <= ts->reached_by);
            if (sum > 0 && sum < r->replicates) informative++;
        }
    }
    assert_true(informative > 0);
    /* The exceedance curve falls as the threshold rises and, at a target's
     * own threshold, is that target's probability. */
    int dist = unit_index(r, 0, "Huyện Nam Trực");
    for (int t = 0; t < 2; t++) {
        const cov_target_stats *ts = &r->ts[t][dist];
        int at = -1;
        assert_true(ts->ex_n > 1);
        for (int k = 0; k < ts->ex_n; k++) {
            if (k) assert_true(ts->ex_count[k] <= ts->ex_count[k - 1]);
            if (ts->ex_lo + k * ts->ex_step == s->targets[t].threshold) at = k;
        }
        if (at >= 0) assert_int_equal(ts->ex_count[at], ts->reached);
        else assert_true(s->targets[t].threshold < ts->ex_lo || s->targets[t].threshold > ts->ex_lo + (ts->ex_n - 1) * ts->ex_step);
    }
    cov_results_free(r);
    cov_scenario_free(s);
}

/* --precision: blocks of replicates until every probability's 95% half-width
 * is at most E; the count and the bytes do not depend on threads. */
static void test_precision(void **st)
{
    (void)st;
    write_scenario(TMP "/precise.ini", NAM_TRUC_CSV,
                   "[campaign.peak]\nmonths = 2018-06..2018-07\ncommunes = Đồng Sơn; Nam Thái\n"
                   "enroll_multiplier = 2\nenroll_multiplier_sd = 0.3\n"
                   "[school.sep]\nmonth = 09\ngroups = students\nenroll = 0.5\nenroll_sd = 0.5\n");
    long reps[2];
    const char *outs[2] = { TMP "/precise-1", TMP "/precise-2" };
    for (int k = 0; k < 2; k++) {
        cov_overrides ov = { .seed = -1, .replicates = 200, .threads = k + 1, .precision = 0.02, .out = outs[k] };
        cov_diag d;
        cov_diag_init(&d);
        cov_scenario *s = cov_scenario_load(TMP "/precise.ini", &ov, &d);
        assert_non_null(s);
        cov_results *r = NULL;
        assert_int_equal(cov_simulate_precise(s, &r, NULL, NULL, &d), COV_OK);
        reps[k] = r->replicates;
        assert_true(reps[k] > 200);   /* 200 replicates cannot give +-0.02 */
        for (int t = 0; t < s->ntargets; t++)
            for (int u = 0; u < r->nunits; u++) {
                if (r->unit_level[u] != s->targets[t].level) continue;
                double lo, hi;
                cov_wilson(r->ts[t][u].reached, r->replicates, &lo, &hi);
                assert_true((hi - lo) / 2 <= 0.02);
            }
        assert_int_equal(cov_results_write(r, s, 0, &d), COV_OK);
        cov_results_free(r);
        cov_scenario_free(s);
    }
    assert_int_equal(reps[0], reps[1]);
    char *a = slurp(TMP "/precise-1/targets.csv"), *b = slurp(TMP "/precise-2/targets.csv");
    assert_string_equal(a, b);
    free(a); free(b);
    /* Each round added replicates to those of the round before instead of
     * starting again: a plain run of the final count gives the same bytes. */
    cov_overrides ov = { .seed = -1, .replicates = reps[0], .threads = 2, .out = TMP "/precise-plain" };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/precise.ini", &ov, &s);
    assert_int_equal(r->replicates, reps[0]);
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_results_write(r, s, 0, &d), COV_OK);
    cov_results_free(r);
    cov_scenario_free(s);
    const char *files[4] = { "trajectories.csv", "targets.csv", "first_reached.csv", "exceedance.csv" };
    for (int f = 0; f < 4; f++) {
        char x[256], y[256];
        snprintf(x, sizeof x, TMP "/precise-1/%s", files[f]);
        snprintf(y, sizeof y, TMP "/precise-plain/%s", files[f]);
        a = slurp(x); b = slurp(y);
        assert_non_null(a);
        assert_non_null(b);
        assert_string_equal(a, b);
        free(a); free(b);
    }
}

/* cov_simulate_more: replicates added to a store in three steps (one of
 * them adding none) give the results of one run of the final count, for
 * every commune and unit; a store that holds more replicates than asked is
 * emptied and the run made from scratch, with the same results. */
static void test_replicates_added_to_a_store(void **st)
{
    (void)st;
    write_scenario(TMP "/grow.ini", NAM_TRUC_CSV,
                   "[reclassify.move]\nmonth = 2018-07\nfrom = state_full\nfraction = 0.3\n"
                   "to = students:0.5, household:0.5\nkeep = 0.4\nkeep_sd = 0.3\n");
    cov_overrides ov = { .seed = -1, .replicates = 77, .threads = 2 };
    cov_diag d;
    cov_diag_init(&d);
    cov_scenario *s = cov_scenario_load(TMP "/grow.ini", &ov, &d);
    assert_non_null(s);
    cov_reps *keep = cov_reps_new();
    assert_non_null(keep);
    cov_results *r = NULL;
    const long steps[4] = { 77, 77, 450, 130 };
    for (int k = 0; k < 4; k++) {
        s->replicates = steps[k];
        cov_results_free(r);
        assert_int_equal(cov_simulate_more(s, keep, &r, NULL, NULL, &d), COV_OK);
        cov_results *plain = NULL;
        assert_int_equal(cov_simulate(s, &plain, NULL, NULL, &d), COV_OK);
        assert_int_equal(r->replicates, steps[k]);
        assert_memory_equal(r->ms, plain->ms, (size_t)r->nunits * (size_t)(r->months + 1) * sizeof *r->ms);
        for (int t = 0; t < s->ntargets; t++)
            for (int u = 0; u < r->nunits; u++) {
                if (r->unit_level[u] != s->targets[t].level) continue;
                const cov_target_stats *x = &r->ts[t][u], *y = &plain->ts[t][u];
                assert_int_equal(x->reached, y->reached);
                assert_int_equal(x->reached_by, y->reached_by);
                assert_memory_equal(x->cov_q, y->cov_q, sizeof x->cov_q);
                assert_true(x->shortfall_p50 == y->shortfall_p50);
                assert_memory_equal(x->first, y->first, (size_t)(r->months + 2) * sizeof *x->first);
            }
        cov_results_free(plain);
    }
    cov_results_free(r);
    cov_reps_free(keep);
    cov_scenario_free(s);
}

/* The display name never becomes a path: `name = ../victim` must not send
 * the results (which replace a folder) outside results/. */
static void test_default_output_folder(void **st)
{
    (void)st;
    write_text(TMP "/named.ini", "[run]\nname = ../victim\npopulation = ../../scenarios/data/nam-truc-2018.csv\n"
               "model = ../../models/bhyt.ini\nstart = 2018-05\nmonths = 1\n");
    cov_diag d;
    cov_diag_init(&d);
    cov_scenario *s = cov_scenario_load(TMP "/named.ini", NULL, &d);
    assert_non_null(s);
    assert_string_equal(cov_scenario_out(s), "results/named");
    assert_string_equal(cov_scenario_name(s), "../victim");
    cov_scenario_free(s);
}

/* covcast gap, without simulation: the source's figures, and rows whose
 * people add up to the district. */
/* The monthly quantiles take a counting path when N is fixed and I spans
 * few values; it must give the numbers of selection on the coverages,
 * which the wide-span and varying-N months still use. R = 1000: p is
 * never whole, so both order statistics count; R = 1001: it always is. */
static void quantiles_match(long R)
{
    enum { H = 4, RMAX = 1001 };
    static int64_t I[(H + 1) * RMAX], N[(H + 1) * RMAX];
    static double x[RMAX];
    gsl_rng *g = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(g, 5);
    for (int m = 0; m <= H; m++)
        for (long r = 0; r < R; r++) {
            long at = (long)m * R + r;
            N[at] = m == 4 ? 7000 + (int64_t)gsl_rng_uniform_int(g, 3) : 7919;   /* month 4: N varies */
            /* narrow, few ties, wide (span above 2R: selection), many ties */
            int64_t span = m == 0 ? 40 : m == 1 ? 1500 : m == 2 ? 5000 : 3;
            I[at] = 5000 + (int64_t)gsl_rng_uniform_int(g, (unsigned long)span);
        }
    cov_series u = { I, N, H, 1, R };
    cov_month_stats ms[H + 1];
    cov_stats_months(&u, ms, x);
    static const double qs[5] = { 0.05, 0.25, 0.50, 0.75, 0.95 };
    for (int m = 0; m <= H; m++) {
        double want[5];
        for (long r = 0; r < R; r++) x[r] = 100.0 * (double)I[m * R + r] / (double)N[m * R + r];
        cov_quantiles(x, R, qs, 5, want);
        for (int i = 0; i < 5; i++)
            if (want[i] != ms[m].q[i])
                fail_msg("R %ld, month %d, quantile %g: %.17g, selection gives %.17g", R, m, qs[i], ms[m].q[i], want[i]);
    }
    gsl_rng_free(g);
}

static void test_quantiles_by_counting(void **st)
{
    (void)st;
    quantiles_match(1000);
    quantiles_match(1001);
}

/* A history: the table is of its latest month, whatever the order of the
 * rows; the other months are not added in. */
static void test_gap_history(void **st)
{
    (void)st;
    cov_diag d, rd;
    cov_diag_init(&d);
    cov_diag_init(&rd);
    write_text(TMP "/gap-hist.csv", "commune,month,population,insured\n"
               "A,2025-12,1000,900\nA,2025-06,990,880\nB,2025-06,500,500\nB,2025-12,510,480\n");
    assert_int_equal(cov_gap(TMP "/gap-hist.csv", "95", "all", TMP "/gap-hist-out.csv", NULL, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/gap-hist-out.csv", &rd);
    assert_non_null(t);
    assert_int_equal(t->nrows, 1);
    assert_int_equal(atoll(cov_csv_cell(t, 0, cov_csv_column(t, "population"))->text), 1510);
    assert_int_equal(atoll(cov_csv_cell(t, 0, cov_csv_column(t, "insured"))->text), 1380);
    cov_csv_free(t);
    write_text(TMP "/gap-hist.csv", "commune,month,population,insured\nA,12/2025,1000,900\n");
    cov_diag_init(&d);
    assert_int_equal(cov_gap(TMP "/gap-hist.csv", "95", NULL, NULL, NULL, &d), COV_EINPUT);
}

/* gap reads counts as the population loader does: with thousands
 * separators; a count beyond any integer is beyond the limit of one commune
 * and group (exit 5, its value, its cell), not "not a whole number"; insured
 * above the population says both. */
static void test_gap_counts(void **st)
{
    (void)st;
    cov_diag d, rd;
    cov_diag_init(&d);
    cov_diag_init(&rd);
    write_text(TMP "/gap-counts.csv", "commune,population,insured\nA,4.500,4.050\nB,\"1,000\",900\n");
    assert_int_equal(cov_gap(TMP "/gap-counts.csv", "95", "all", TMP "/gap-counts-out.csv", NULL, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/gap-counts-out.csv", &rd);
    assert_non_null(t);
    assert_int_equal(atoll(cov_csv_cell(t, 0, cov_csv_column(t, "population"))->text), 5500);
    assert_int_equal(atoll(cov_csv_cell(t, 0, cov_csv_column(t, "insured"))->text), 4950);
    cov_csv_free(t);
    write_text(TMP "/gap-counts.csv", "commune,population,insured\nA,99999999999999999999,10\n");
    cov_diag_init(&d);
    assert_int_equal(cov_gap(TMP "/gap-counts.csv", "95", NULL, NULL, NULL, &d), COV_ELIMIT);
    assert_int_equal(d.e[0].line, 2);
    assert_int_equal(d.e[0].col, 3);
    assert_non_null(strstr(d.e[0].msg, "population 99999999999999999999 is beyond the limit"));
    write_text(TMP "/gap-counts.csv", "commune,population,insured\nA,100,120\n");
    cov_diag_init(&d);
    assert_int_equal(cov_gap(TMP "/gap-counts.csv", "95", NULL, NULL, NULL, &d), COV_EINPUT);
    assert_non_null(strstr(d.e[0].msg, "insured (120) is more than the population (100)"));
}

/* Two communes of one name are two rows, told apart by their codes; a
 * commune's rows of several groups are one. */
static void test_gap_same_names(void **st)
{
    (void)st;
    cov_diag d, rd;
    cov_diag_init(&d);
    cov_diag_init(&rd);
    write_text(TMP "/gap-names.csv", "commune_code,commune,province,group,population,insured\n"
               "00001,Xã Tân Thành,Tỉnh A,household,1000,900\n00002,Xã Tân Thành,Tỉnh B,household,500,400\n"
               "00001,Xã Tân Thành,Tỉnh A,students,1000,1000\n00003,Xã Khác,Tỉnh B,household,10,10\n");
    assert_int_equal(cov_gap(TMP "/gap-names.csv", "95", NULL, TMP "/gap-names-out.csv", NULL, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/gap-names-out.csv", &rd);
    assert_non_null(t);
    assert_int_equal(t->nrows, 3);
    int ju = cov_csv_column(t, "unit"), jn = cov_csv_column(t, "population"), jc = cov_csv_column(t, "cards_needed_now");
    assert_string_equal(cov_csv_cell(t, 0, ju)->text, "Xã Tân Thành (00002)");   /* 75 cards */
    assert_int_equal(atoll(cov_csv_cell(t, 0, jn)->text), 500);
    assert_int_equal(atoll(cov_csv_cell(t, 0, jc)->text), 75);
    /* then the two with no card needed, by name */
    assert_string_equal(cov_csv_cell(t, 1, ju)->text, "Xã Khác");                /* a name of its own: no code */
    assert_string_equal(cov_csv_cell(t, 2, ju)->text, "Xã Tân Thành (00001)");   /* 1900 of 2000 */
    assert_int_equal(atoll(cov_csv_cell(t, 2, jn)->text), 2000);
    assert_int_equal(atoll(cov_csv_cell(t, 2, jc)->text), 0);
    cov_csv_free(t);
    /* on the terminal, a file of several provinces shows each commune's
     * province beside it; a file of one province does not */
    FILE *fp = tmpfile();
    assert_int_equal(cov_gap(TMP "/gap-names.csv", "95", NULL, NULL, fp, &d), COV_OK);
    char text[2048];
    rewind(fp);
    text[fread(text, 1, sizeof text - 1, fp)] = '\0';
    fclose(fp);
    assert_non_null(strstr(text, "commune                      province "));
    assert_non_null(strstr(text, "Xã Tân Thành (00002)         Tỉnh B   "));
    write_text(TMP "/gap-names.csv", "commune_code,commune,province,group,population,insured\n"
               "00001,Xã Tân Thành,Tỉnh A,household,1000,900\n00003,Xã Khác,Tỉnh A,household,10,10\n");
    fp = tmpfile();
    assert_int_equal(cov_gap(TMP "/gap-names.csv", "95", NULL, NULL, fp, &d), COV_OK);
    rewind(fp);
    text[fread(text, 1, sizeof text - 1, fp)] = '\0';
    fclose(fp);
    assert_null(strstr(text, "province"));
    assert_non_null(strstr(text, "Xã Tân Thành" "                        " "1,000"));   /* 28 wide, a space, 12 wide */
    /* a commune with no people (Đặc khu Hoàng Sa on the 2025 map) has no coverage, not 0% */
    write_text(TMP "/gap-names.csv", "commune_code,commune,province,group,population,insured\n"
               "00001,Xã Tân Thành,Tỉnh A,household,1000,900\n00004,Đặc khu Trống,Tỉnh A,household,0,0\n");
    assert_int_equal(cov_gap(TMP "/gap-names.csv", "95", NULL, TMP "/gap-names-out.csv", NULL, &d), COV_OK);
    t = cov_csv_read(TMP "/gap-names-out.csv", &rd);
    assert_non_null(t);
    assert_string_equal(cov_csv_cell(t, 1, ju)->text, "Đặc khu Trống");
    assert_string_equal(cov_csv_cell(t, 1, cov_csv_column(t, "coverage"))->text, "");
    assert_string_equal(cov_csv_cell(t, 1, jc)->text, "0");
    cov_csv_free(t);
}

static void test_gap_table(void **st)
{
    (void)st;
    cov_diag d, rd;   /* rd: the test's own reading of the tables, not an input of cov_gap */
    cov_diag_init(&d);
    cov_diag_init(&rd);
    const char *pop = "scenarios/data/nam-truc-2018.csv";
    static const struct { const char *thr; long long cards; } cases[2] = { { "85.2", 4476 }, { "91", 15715 } };
    for (int k = 0; k < 2; k++) {
        assert_int_equal(cov_gap(pop, cases[k].thr, "district", TMP "/gap.csv", NULL, &d), COV_OK);
        cov_csv *t = cov_csv_read(TMP "/gap.csv", &rd);
        assert_non_null(t);
        assert_int_equal(t->nrows, 1);
        assert_int_equal(atoll(cov_csv_cell(t, 0, cov_csv_column(t, "cards_needed_now"))->text), cases[k].cards);
        cov_csv_free(t);
    }
    assert_int_equal(cov_gap(pop, "85", "commune", TMP "/gap.csv", NULL, &d), COV_OK);
    cov_csv *t = cov_csv_read(TMP "/gap.csv", &rd);
    assert_non_null(t);
    assert_int_equal(t->nrows, 20);
    long long N = 0, I = 0, prev = -1;
    for (long r = 0; r < t->nrows; r++) {
        N += atoll(cov_csv_cell(t, r, cov_csv_column(t, "population"))->text);
        I += atoll(cov_csv_cell(t, r, cov_csv_column(t, "insured"))->text);
        long long c = atoll(cov_csv_cell(t, r, cov_csv_column(t, "cards_needed_now"))->text);
        assert_true(prev < 0 || c <= prev);   /* largest first */
        prev = c;
    }
    assert_int_equal(N, 193766);
    assert_int_equal(I, 160613);
    cov_csv_free(t);
    assert_int_equal(cov_gap(pop, "95,5", NULL, NULL, NULL, &d), COV_EUSAGE);
}

/* [common] shock_sd = 0 is no shock: the same bytes as a model without the
 * key (the shock's stream is drawn only when shock_sd > 0, so no other
 * stream moves), and shock_sd > 0 changes the results. */
static void test_shock_zero_is_no_shock(void **st)
{
    (void)st;
    char *base = slurp("models/bhyt.ini");
    assert_non_null(base);
    size_t n = strlen(base) + 200;
    char *with = malloc(n);
    assert_non_null(with);
    snprintf(with, n, "%s\n[common]\nshock_sd = 0\n", base);
    write_text(TMP "/shock0-model.ini", with);
    snprintf(with, n, "%s\n[common]\nshock_sd = 0.3\n", base);
    write_text(TMP "/shock3-model.ini", with);
    free(with); free(base);
    write_scenario(TMP "/shock-none.ini", NAM_TRUC_CSV, NULL);
    char text[4096];
    snprintf(text, sizeof text, "[run]\npopulation = %s\n%s", NAM_TRUC_CSV, SCENARIO_HEAD + strlen("[run]\n"));
    char *at = strstr(text, "model = " MODEL);
    assert_non_null(at);
    const char *names[2] = { "shock0-model.ini", "shock3-model.ini" };
    const char *paths[2] = { TMP "/shock-0.ini", TMP "/shock-3.ini" };
    for (int k = 0; k < 2; k++) {
        char out[4300];
        snprintf(out, sizeof out, "%.*smodel = %s%s", (int)(at - text), text, names[k], at + strlen("model = " MODEL));
        write_text(paths[k], out);
    }
    cov_scenario *s0, *s1, *s2;
    cov_results *a = run_scenario(TMP "/shock-none.ini", NULL, &s0);
    cov_results *b = run_scenario(TMP "/shock-0.ini", NULL, &s1);
    cov_results *c = run_scenario(TMP "/shock-3.ini", NULL, &s2);
    size_t bytes = (size_t)a->nunits * (size_t)(a->months + 1) * sizeof(cov_month_stats);
    assert_memory_equal(a->ms, b->ms, bytes);
    for (int t = 0; t < s0->ntargets; t++)
        for (int u = 0; u < a->nunits; u++) assert_int_equal(a->ts[t][u].reached, b->ts[t][u].reached);
    assert_true(memcmp(a->ms, c->ms, bytes) != 0);
    cov_results_free(a); cov_results_free(b); cov_results_free(c);
    cov_scenario_free(s0); cov_scenario_free(s1); cov_scenario_free(s2);
}

/* The shock's variance. Two communes, a group that only enrolls (hazard
 * lambda, the insured at the start I0) and one that only lapses, with a
 * tiny hazard, so to first order in lambda the cards gained are
 * lambda U0 S+ and those lost lambda I0 S-, S± = sum over months of
 * e^{±X_m}, X the random walk with steps sd/sqrt(12). Its log-normal
 * moments are exact: E e^{X_m} = e^{m s2/2}, E e^{X_m + X_n} =
 * e^{(3m + n) s2/2}, E e^{X_m - X_n} = e^{(n - m) s2/2} (m <= n,
 * s2 = sd^2/12). The mean and variance of the all-units coverage across
 * replicates must match these within MC_Z standard errors of R replicates
 * (the variance's from the sample's fourth moment); binomial noise is
 * added as its mean count. */
static void test_shock_variance_closed_form(void **st)
{
    (void)st;
    const double sd = 0.5, p = 2e-5;
    const int H = 24;
    const long R = 4000;
    write_text(TMP "/shockv-pop.csv", "commune,group,population,insured\n"
               "A,e,400000000,100000000\nA,l,300000000,250000000\n"
               "B,e,200000000,0\nB,l,100000000,100000000\n");
    char text[1024];
    snprintf(text, sizeof text, "[group.e]\nenroll = %g\nlapse = 0\n[group.l]\nenroll = 0\nlapse = %g\n"
             "[common]\nshock_sd = %g\n", p, p, sd);
    write_text(TMP "/shockv-model.ini", text);
    snprintf(text, sizeof text, "[run]\npopulation = shockv-pop.csv\nmodel = shockv-model.ini\nstart = 2020-12\n"
             "months = %d\nreplicates = %ld\nseed = 5\n", H, R);
    write_text(TMP "/shockv.ini", text);
    cov_overrides ov = { .seed = -1, .keep_replicates = 1 };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/shockv.ini", &ov, &s);
    int all = unit_index(r, COV_LEVEL_ALL, "all");
    /* closed form */
    const double s2 = sd * sd / 12, lam = -log1p(-p);
    double ES = 0, ESS = 0, ESM = 0;
    for (int m = 1; m <= H; m++) {
        ES += exp(m * s2 / 2);
        for (int k = 1; k <= H; k++) {
            int lo = m < k ? m : k, hi = m < k ? k : m;
            ESS += exp((3.0 * lo + hi) * s2 / 2);
            ESM += exp((hi - lo) * s2 / 2);
        }
    }
    const double varS = ESS - ES * ES, covS = ESM - ES * ES;   /* S+ and S- have the same law */
    const double a = lam * (300000000.0 + 200000000.0), b = lam * (250000000.0 + 100000000.0);
    const double N = 1e9, I0 = 450000000.0;
    double mean = (I0 + a * ES - b * ES) / N;
    double var = (a * a * varS + b * b * varS - 2 * a * b * covS + a * ES + b * ES) / (N * N);
    /* the replicates */
    double m1 = 0, m2 = 0, m4 = 0;
    double *x = malloc((size_t)R * sizeof *x);
    assert_non_null(x);
    for (long k = 0; k < R; k++) {
        x[k] = (double)r->rep_I[cov_rep_at(r, all, H, 0, k)] / (double)r->rep_N[cov_rep_at(r, all, H, 0, k)];
        m1 += x[k] / (double)R;
    }
    for (long k = 0; k < R; k++) {
        double e = x[k] - m1;
        m2 += e * e / (double)(R - 1);
        m4 += e * e * e * e / (double)R;
    }
    double se_mean = sqrt(m2 / (double)R), se_var = sqrt((m4 - m2 * m2) / (double)R);
    print_message("shock %.2f a year, %d months: mean %.6f (closed form %.6f, se %.2g), variance %.4g "
                  "(closed form %.4g, se %.2g)\n", sd, H, m1, mean, se_mean, m2, var, se_var);
    if (fabs(m1 - mean) > MC_Z * se_mean) fail_msg("mean %.6f against %.6f", m1, mean);
    if (fabs(m2 - var) > MC_Z * se_var) fail_msg("variance %.4g against %.4g", m2, var);
    free(x);
    cov_results_free(r);
    cov_scenario_free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_threads_give_identical_bytes),
        cmocka_unit_test(test_removing_a_commune_changes_no_other),
        cmocka_unit_test(test_common_random_numbers),
        cmocka_unit_test(test_parent_levels_add_up),
        cmocka_unit_test(test_parent_units_add_up_in_any_order),
        cmocka_unit_test(test_card_gap_of_the_source),
        cmocka_unit_test(test_yen_the_coverage),
        cmocka_unit_test(test_first_month_distribution),
        cmocka_unit_test(test_gap_table),
        cmocka_unit_test(test_gap_same_names),
        cmocka_unit_test(test_gap_counts),
        cmocka_unit_test(test_gap_history),
        cmocka_unit_test(test_quantiles_by_counting),
        cmocka_unit_test(test_precision),
        cmocka_unit_test(test_replicates_added_to_a_store),
        cmocka_unit_test(test_default_output_folder),
        cmocka_unit_test(test_shock_zero_is_no_shock),
        cmocka_unit_test(test_shock_variance_closed_form),
    };
    return cmocka_run_group_tests_name("engine properties", tests, NULL, NULL);
}
