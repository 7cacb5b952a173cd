/* test_text.c — the strict parsers and helpers every loader relies on. */
#include "testutil.h"
#include "text.h"
#include "rng.h"
#include "stats.h"
#include "csvread.h"
#include "csvwrite.h"

static void test_percent_in_hundredths(void **st)
{
    (void)st;
    int32_t v;
    assert_true(cov_parse_percent100("85.2", &v)); assert_int_equal(v, 8520);
    assert_true(cov_parse_percent100("95.5", &v)); assert_int_equal(v, 9550);
    assert_true(cov_parse_percent100("99", &v)); assert_int_equal(v, 9900);
    assert_true(cov_parse_percent100(" 82.89 ", &v)); assert_int_equal(v, 8289);
    assert_true(cov_parse_percent100("100", &v)); assert_int_equal(v, 10000);
    assert_false(cov_parse_percent100("95,5", &v));     /* decimal comma: refused, not guessed */
    assert_false(cov_parse_percent100("100.01", &v));
    assert_false(cov_parse_percent100("85.125", &v));
    assert_false(cov_parse_percent100("-5", &v));
    assert_false(cov_parse_percent100("", &v));
    assert_false(cov_parse_percent100("85.2x", &v));
}

static void test_whole_numbers(void **st)
{
    (void)st;
    int64_t v;
    assert_true(cov_parse_int64("193766", &v)); assert_int_equal(v, 193766);
    assert_false(cov_parse_int64("4.476", &v));
    assert_false(cov_parse_int64("-1", &v));
    assert_false(cov_parse_int64("1e3", &v));
    assert_false(cov_parse_int64("99999999999999999999", &v));   /* overflow refused */
    double x;
    assert_true(cov_parse_double("0.012", &x)); assert_true(x == 0.012);
    assert_false(cov_parse_double("0,012", &x));
    assert_false(cov_parse_double("nan", &x));
    assert_false(cov_parse_double("inf", &x));
}

static void test_months(void **st)
{
    (void)st;
    int m;
    assert_true(cov_month_parse("2018-05", &m));
    assert_int_equal(m, 2018 * 12 + 4);
    char buf[8];
    cov_month_format(m + 8, buf);
    assert_string_equal(buf, "2019-01");
    assert_false(cov_month_parse("2018-13", &m));
    assert_false(cov_month_parse("2018-5", &m));
    assert_false(cov_month_parse("05/2018", &m));
}

static void test_lists_and_folding(void **st)
{
    (void)st;
    char **items;
    int n = cov_split("Đồng Sơn; Hồng Quang,  Nam Thái ;", &items);
    assert_int_equal(n, 3);
    assert_string_equal(items[0], "Đồng Sơn");
    assert_string_equal(items[2], "Nam Thái");
    cov_split_free(items, n);
    char a[64], b[64];
    cov_fold("Đồng Sơn", a, sizeof a);
    cov_fold("dong son", b, sizeof b);
    assert_string_equal(a, b);
    cov_fold("Đo\xcc\x82\xcc\x80ng So\xcc\x9bn", b, sizeof b);   /* NFD form */
    assert_string_equal(a, b);
    assert_int_equal(cov_edit_distance("treshold", "threshold"), 1);
}

static void test_utf8(void **st)
{
    (void)st;
    size_t bad;
    assert_true(cov_utf8_valid("Phì Điền", strlen("Phì Điền"), &bad));
    assert_false(cov_utf8_valid("Th\xe1i", 4, &bad));
    assert_int_equal(bad, 2);
    assert_false(cov_utf8_valid("\xc0\x80", 2, &bad));    /* overlong */
    assert_int_equal(cov_utf8_width("Điền", strlen("Điền")), 4);
}

/* The names of a table that need their code beside them: each name that
 * occurs more than once, all its rows, and no other. */
static void test_mark_shared(void **st)
{
    (void)st;
    const char *k[] = { "Xã Bình Minh", "Xã Khác", "Xã Bình Minh", "Phường 1", "Xã Bình Minh", "Phường 1", "x" };
    bool sh[7];
    assert_true(cov_mark_shared(k, 7, sh));
    const bool want[7] = { true, false, true, true, true, true, false };
    for (int i = 0; i < 7; i++) assert_int_equal(sh[i], want[i]);
    assert_true(cov_mark_shared(k, 1, sh));
    assert_false(sh[0]);
    assert_true(cov_mark_shared(k, 0, sh));
}

/* Keyed streams: a key fixes the numbers; any part of the key changes them. */
static void test_stream_keys(void **st)
{
    (void)st;
    gsl_rng *r = gsl_rng_alloc(cov_rng_splitmix);
    uint64_t k = cov_stream_key(7, 3, 11, 13, 2018 * 12, COV_PURPOSE_TRANSITION);
    gsl_rng_set(r, k);
    double a = gsl_rng_uniform(r), a2 = gsl_rng_uniform(r);
    gsl_rng_set(r, k);
    assert_true(gsl_rng_uniform(r) == a);
    assert_true(gsl_rng_uniform(r) == a2);
    uint64_t others[5] = {
        cov_stream_key(8, 3, 11, 13, 2018 * 12, COV_PURPOSE_TRANSITION),
        cov_stream_key(7, 4, 11, 13, 2018 * 12, COV_PURPOSE_TRANSITION),
        cov_stream_key(7, 3, 12, 13, 2018 * 12, COV_PURPOSE_TRANSITION),
        cov_stream_key(7, 3, 11, 13, 2018 * 12 + 1, COV_PURPOSE_TRANSITION),
        cov_stream_key(7, 3, 11, 13, 2018 * 12, COV_PURPOSE_COMMUNE_RE),
    };
    for (int i = 0; i < 5; i++) assert_true(others[i] != k);
    /* Uniformity of the generator: mean and variance of 10^6 draws within
     * MC_Z standard errors (mean 1/2, variance 1/12). */
    gsl_rng_set(r, 12345);
    double s = 0, s2 = 0;
    const int n = 1000000;
    for (int i = 0; i < n; i++) { double u = gsl_rng_uniform(r); s += u; s2 += u * u; }
    double mean = s / n, var = s2 / n - mean * mean;
    assert_true(fabs(mean - 0.5) < MC_Z * sqrt(1.0 / 12 / n));
    assert_true(fabs(var - 1.0 / 12) < MC_Z * sqrt(1.0 / 180 / n));   /* Var(U^2)-based bound, loose */
    gsl_rng_free(r);
}

static void test_wilson(void **st)
{
    (void)st;
    double lo, hi;
    cov_wilson(0, 2000, &lo, &hi);
    assert_true(lo < 1e-12 && hi > 0.0015 && hi < 0.0025);   /* upper = z^2/(n+z^2) */
    cov_wilson(1240, 2000, &lo, &hi);
    assert_true(lo < 0.62 && hi > 0.62 && hi - lo < 0.045);
}

/* One text field as cov_csv_text writes it (first in its row). */
static char *csv_cell(const char *v)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    cov_csv_text(f, v, true);
    fclose(f);
    return buf;
}

static void expect_cell(const char *v, const char *written)
{
    char *got = csv_cell(v);
    if (strcmp(got, written)) fail_msg("%s written as %s, expected %s", v, got, written);
    free(got);
}

static void test_csv_formula_cells(void **st)
{
    (void)st;
    /* OWASP: a cell starting with = + - @ tab CR gets a ' in front, quoted */
    expect_cell("=HYPERLINK(\"http://x\",\"y\")", "\"'=HYPERLINK(\"\"http://x\"\",\"\"y\"\")\"");
    expect_cell("+1", "\"'+1\"");
    expect_cell("-x", "\"'-x\"");
    expect_cell("@SUM(1)", "\"'@SUM(1)\"");
    expect_cell("\tcmd", "\"'\tcmd\"");
    expect_cell("\rcmd", "\"'\rcmd\"");
    expect_cell("'=1", "\"''=1\"");             /* so that reading back is exact */
    /* everything else as before */
    expect_cell("Đồng Sơn", "Đồng Sơn");
    expect_cell("a=b", "a=b");
    expect_cell("Nam, Định", "\"Nam, Định\"");
    expect_cell("", "");
    expect_cell(NULL, "");
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    cov_csv_raw(f, "-x", true);
    cov_csv_text(f, "-x", false);
    fclose(f);
    assert_string_equal(buf, "-x,\"'-x\"");
    free(buf);
    /* cov_csv_plain undoes it, after covcast's own reader */
    static const char *names[] = { "=1+1", "+84", "-x", "@A", "\tT", "\rR", "'", "''=", "'x", "Nam Định", "-12.5" };
    const int k = (int)(sizeof names / sizeof *names);
    char path[256];
    snprintf(path, sizeof path, "%s/formula-cells.csv", TMP);
    mkdir(TMP, 0777);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("unit,n\n", f);
    for (int i = 0; i < k; i++) { cov_csv_text(f, names[i], true); fprintf(f, ",%d\n", -i); }
    fclose(f);
    cov_diag d;
    cov_diag_init(&d);
    cov_csv *t = cov_csv_read(path, &d);
    if (!t) cov_diag_print(&d, stderr);
    assert_non_null(t);
    assert_int_equal(t->nrows, k);
    for (int i = 0; i < k; i++) {
        assert_string_equal(cov_csv_plain(cov_csv_cell(t, i, 0)->text), names[i]);
        assert_int_equal(atoi(cov_csv_plain(cov_csv_cell(t, i, 1)->text)), -i);   /* numbers pass through */
    }
    cov_csv_free(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_percent_in_hundredths),
        cmocka_unit_test(test_whole_numbers),
        cmocka_unit_test(test_months),
        cmocka_unit_test(test_lists_and_folding),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_stream_keys),
        cmocka_unit_test(test_wilson),
        cmocka_unit_test(test_mark_shared),
        cmocka_unit_test(test_csv_formula_cells),
    };
    return cmocka_run_group_tests_name("parsers, streams, intervals", tests, NULL, NULL);
}
