/* test_inputs.c — inputs read once, whole, with limits (a very wide header,
 * an oversized INI file, diagnostics that quote the text read rather than
 * the file as it is now), and what is shown of them: names with control
 * characters escaped on the terminal, a unit with no people given no
 * probability. */
#include "testutil.h"
#include "csvread.h"
#include "history.h"
#include "input.h"
#include "iniread.h"
#include "load.h"
#include "text.h"

#include <unistd.h>

/* Everything cov_diag_print writes, in a malloc'd string. */
static char *printed(const cov_diag *d)
{
    char *buf = NULL;
    size_t n = 0;
    FILE *f = open_memstream(&buf, &n);
    assert_non_null(f);
    cov_diag_print(d, f);
    fclose(f);
    return buf;
}

/* A header of 100,000 columns, one name three times: each repeat points at
 * the first column of its name, and the population loader says so. The
 * check sorts the names once; comparing every pair took 16 s here. */
static void test_wide_header(void **st)
{
    (void)st;
    enum { W = 100000 };
    FILE *f = fopen(TMP "/wide.csv", "w");
    assert_non_null(f);
    fputs("commune,group,population,insured", f);
    for (int j = 4; j < W; j++) {
        if (j == 70000 || j == W - 1) fputs(",x17", f);   /* x17 is column 18 */
        else fprintf(f, ",x%d", j);
    }
    fputs("\nA,household,10,5", f);
    for (int j = 4; j < W; j++) fputs(",0", f);
    fputc('\n', f);
    fclose(f);

    cov_diag d;
    cov_diag_init(&d);
    cov_csv *t = cov_csv_read(TMP "/wide.csv", &d);
    assert_non_null(t);
    assert_int_equal(t->ncols, W);
    int *rep = malloc(W * sizeof *rep);
    assert_true(cov_csv_repeats(t, rep));
    int nrep = 0;
    for (int j = 0; j < W; j++)
        if (rep[j] >= 0) {
            nrep++;
            assert_true(j == 70000 || j == W - 1);
            assert_int_equal(rep[j], 17);
        }
    assert_int_equal(nrep, 2);
    free(rep);
    cov_csv_free(t);

    cov_model *m = cov_model_load("tests/cases/common/model.ini", &d);
    assert_non_null(m);
    cov_population *p = cov_population_load(TMP "/wide.csv", m, NULL, 0, NULL, 0, NULL, &d);
    assert_null(p);
    assert_int_equal(d.n, 2);
    assert_non_null(strstr(d.e[0].msg, "'x17' appears twice in the header (first in column 18)"));
    assert_int_equal(d.e[1].line, 1);
    cov_model_free(m);
}

/* Writes text into TMP/name and reads it as CSV. */
static cov_csv *read_text(const char *name, const char *text, cov_diag *d)
{
    char path[512];
    snprintf(path, sizeof path, TMP "/%s", name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    cov_diag_init(d);
    return cov_csv_read(path, d);
}

/* Where each field starts (line, column in characters) and where an error
 * stands: runs of plain ASCII are handed to libcsv at once, and every
 * position must be that of the byte-by-byte reading, through quotes,
 * doubled quotes, empty fields, spaces, CR, CRLF and Vietnamese letters. */
static void test_csv_positions(void **st)
{
    (void)st;
    cov_diag d;
    cov_csv *t = read_text("pos.csv", "code,name,n\r\n  a1 ,\"Xã Đồng, Sơn\",12\n,,\n\"q\"\"x\",abc def,7\rzz,Ở,99", &d);
    assert_non_null(t);
    assert_int_equal(t->ncols, 3);
    assert_int_equal(t->nrows, 4);
    static const long want[4][3][2] = {
        { { 2, 1 }, { 2, 7 }, { 2, 22 } },
        { { 3, 1 }, { 3, 2 }, { 3, 3 } },
        { { 4, 1 }, { 4, 8 }, { 4, 16 } },
        { { 5, 1 }, { 5, 4 }, { 5, 6 } },
    };
    static const char *text[4][3] = {
        { "a1", "Xã Đồng, Sơn", "12" }, { "", "", "" }, { "q\"x", "abc def", "7" }, { "zz", "Ở", "99" },
    };
    for (int i = 0; i < 4; i++)
        for (int j = 0; j < 3; j++) {
            const cov_field *c = &t->cells[i * 3 + j];
            if (c->line != want[i][j][0] || c->col != want[i][j][1] || strcmp(c->text, text[i][j]))
                fail_msg("row %d field %d: '%s' at %ld:%ld, expected '%s' at %ld:%ld", i + 1, j + 1, c->text,
                         c->line, c->col, text[i][j], want[i][j][0], want[i][j][1]);
        }
    cov_csv_free(t);

    /* a name typed with combining marks is read in NFC on every row, also
     * when the row before spelt it the same way (it is normalised once) or
     * the other way */
    t = read_text("nfc.csv", "name,n\nYe\xcc\x82n,1\nYe\xcc\x82n,2\nY\xc3\xaan,3\nYe\xcc\x82n,4\n", &d);
    assert_non_null(t);
    assert_int_equal(t->nrows, 4);
    for (int i = 0; i < 4; i++) assert_string_equal(t->cells[i * 2].text, "Y\xc3\xaan");
    cov_csv_free(t);

    static const struct { const char *text; long line, col; } bad[] = {
        { "a,b\nabcdef,x\xffyz\n", 2, 9 },          /* not UTF-8, after a run */
        { "a,b\nabcdef\"x,1\n", 2, 7 },            /* a quote inside an unquoted field */
        { "a,b\n\"ab\"cd,1\n", 2, 5 },             /* text after the closing quote */
        { "a,b\nÂu Cơ,\"ab\"  cdef,1\n", 2, 13 },   /* the same, after spaces */
    };
    for (size_t k = 0; k < sizeof bad / sizeof *bad; k++) {
        t = read_text("bad.csv", bad[k].text, &d);
        assert_null(t);
        assert_true(d.n >= 1);
        if (d.e[0].line != bad[k].line || d.e[0].col != bad[k].col)
            fail_msg("case %zu: error at %ld:%ld, expected %ld:%ld (%s)", k, d.e[0].line, d.e[0].col,
                     bad[k].line, bad[k].col, d.e[0].msg);
    }
}

/* A scenario file of 100 MB (sparse: no disk used) is refused before a byte
 * is read, with the limit named; one of exactly the limit is read. */
static void test_ini_size_limit(void **st)
{
    (void)st;
    write_text(TMP "/huge.ini", "[run]\n");
    assert_int_equal(truncate(TMP "/huge.ini", 100L * 1000 * 1000), 0);
    cov_diag d;
    cov_diag_init(&d);
    assert_null(cov_ini_read(TMP "/huge.ini", &d));
    assert_int_equal(d.status, COV_ELIMIT);
    assert_non_null(strstr(d.e[0].msg, "more than 16 MiB, covcast's limit for an INI file"));
    unlink(TMP "/huge.ini");

    write_text(TMP "/limit.ini", "");
    assert_int_equal(truncate(TMP "/limit.ini", (off_t)COV_MAX_INI_BYTES), 0);   /* NUL bytes: refused as not text */
    cov_diag_init(&d);
    assert_null(cov_ini_read(TMP "/limit.ini", &d));
    assert_int_equal(d.status, COV_EINPUT);
    assert_non_null(strstr(d.e[0].msg, "NUL byte"));
    unlink(TMP "/limit.ini");
}

/* A diagnostic quotes the line as it was read, even when the file has
 * changed (or is gone) by the time it is printed: covcast never opens an
 * input a second time. */
static void test_diag_quotes_the_text_read(void **st)
{
    (void)st;
    write_text(TMP "/once.ini", "[run]\nmonths = twelve\n");
    cov_diag d;
    cov_diag_init(&d);
    cov_ini *ini = cov_ini_read(TMP "/once.ini", &d);
    assert_non_null(ini);
    cov_ini_entry *e = cov_ini_find(ini, "run", "months");
    cov_diag_add(&d, COV_EINPUT, COV_AT_VALUE(ini, e), "not a number");
    write_text(TMP "/once.ini", "[run]\nmonths = 12\n");
    char *out = printed(&d);
    assert_non_null(strstr(out, "    months = twelve\n             ^^^^^^\n"));
    free(out);
    unlink(TMP "/once.ini");
    out = printed(&d);
    assert_non_null(strstr(out, "months = twelve"));
    free(out);
    cov_ini_free(ini);
    size_t len;
    const char *text = cov_input_text(TMP "/once.ini", &len);
    assert_non_null(text);
    assert_int_equal(len, strlen("[run]\nmonths = twelve\n"));
    char hex[65];
    assert_true(cov_input_sha256(TMP "/once.ini", hex));
    /* sha256 of "[run]\nmonths = twelve\n" */
    assert_string_equal(hex, "339efce02f7f2d39d4e2aaf9563b664c1e2cbc811ea2020ef813b4cf8d953595");
}

/* Control characters never reach the terminal raw: C0, DEL and C1 are
 * escaped, bytes that are not UTF-8 too; Vietnamese letters are kept. */
static void test_terminal_escapes(void **st)
{
    (void)st;
    char buf[64];
    assert_string_equal(cov_term_into("Nam\x1b[2JThái", buf, sizeof buf), "Nam\\x1b[2JThái");
    assert_string_equal(cov_term_into("a\tb\x7f" "c\r", buf, sizeof buf), "a\\x09b\\x7fc\\x0d");
    assert_string_equal(cov_term_into("x\xc2\x85y\xc2\x9b" "z\xc2\xa0", buf, sizeof buf), "x\\u0085y\\u009bz\xc2\xa0");
    assert_string_equal(cov_term_into("\xff" "Đồng Sơn", buf, sizeof buf), "\\xffĐồng Sơn");
    assert_string_equal(cov_term_into("Đồng Sơn", buf, 11), "Đồng…");   /* cut on a character, never inside one */
    assert_string_equal(cov_term(NULL), "");
    const char *a = cov_term("\x1b"), *b = cov_term("\x07");   /* distinct buffers in one printf */
    assert_string_equal(a, "\\x1b");
    assert_string_equal(b, "\\x07");

    cov_diag d;
    cov_diag_init(&d);
    write_text(TMP "/esc.ini", "[run]\nname = \x1b]0;owned\x07 x\x1b[2J\nmonths = 1\x1b[31m\n");
    cov_ini *ini = cov_ini_read(TMP "/esc.ini", &d);
    assert_non_null(ini);
    cov_ini_entry *e = cov_ini_find(ini, "run", "months");
    cov_diag_add(&d, COV_EINPUT, COV_AT_VALUE(ini, e), "'%s' is not a number", e->value);
    char *out = printed(&d);
    assert_null(strchr(out, '\x1b'));
    assert_non_null(strstr(out, "error: '1\\x1b[31m' is not a number\n"
                                "    months = 1\\x1b[31m\n"
                                "             ^^^^^^^^^\n"));
    free(out);
    cov_ini_free(ini);
}

/* Where needle starts in hay, or -1. */
static long at(const char *hay, const char *needle)
{
    const char *p = strstr(hay, needle);
    return p ? (long)(p - hay) : -1;
}

/* Runs a scenario on a population where one commune has no one, one has
 * ESC in its name; returns the stdout table and the scenario. */
static char *run_small(cov_scenario **sp, cov_results **rp)
{
    write_text(TMP "/zero.csv", "commune,district,group,population,insured\n"
               "Đồng Sơn,H,household,6000,4500\nTrống,H,household,0,0\nTrống,H,students,0,0\n"
               "Esc\x1b[31mRed\x1b[0m,H,household,100,90\n");
    write_text(TMP "/zero.ini", "[run]\nname = bad\x1b[2Jname\npopulation = zero.csv\n"
               "model = ../../tests/cases/common/model.ini\nlevels = district\nstart = 2018-05\nmonths = 3\n"
               "replicates = 100\n[target.t]\nlevel = commune\nthreshold = 85\ndeadline = 2018-08\n"
               "[target.s]\nlevel = commune\nthreshold = 85\ndeadline = 2018-08\ngroup = students\n");
    cov_overrides ov = { .seed = -1, .out = TMP "/zero-out" };
    *rp = run_scenario(TMP "/zero.ini", &ov, sp);
    FILE *f = fopen(TMP "/zero-table.txt", "w");
    assert_non_null(f);
    cov_results_print(*rp, *sp, f);
    fclose(f);
    return slurp(TMP "/zero-table.txt");
}

/* A commune with no people has no probability: P is not 1 ("very likely"
 * at 0% coverage) but "no people" in the table, listed last, and empty
 * cells in targets.csv; so is a commune with no one in the target's group. */
static void test_no_people_no_probability(void **st)
{
    (void)st;
    cov_scenario *s;
    cov_results *r;
    char *table = run_small(&s, &r);
    int zero = unit_index(r, COV_LEVEL_COMMUNE, "Trống"), dong = unit_index(r, COV_LEVEL_COMMUNE, "Đồng Sơn");
    assert_true(r->ts[0][zero].no_people);
    assert_false(r->ts[0][dong].no_people);
    assert_true(r->ts[1][dong].no_people);              /* no students in Đồng Sơn */
    assert_false(r->ts[0][unit_index(r, 0, "H")].no_people);
    long row = at(table, "t       Trống");
    assert_true(row >= 0);
    assert_non_null(strstr(table + row, "no people"));
    assert_null(strstr(table, "1.000"));
    assert_true(row > at(table, "t       Đồng Sơn"));   /* after the units that have a probability */
    assert_true(row > at(table, "t       Esc"));
    /* the table escapes the names it prints */
    assert_null(strchr(table, '\x1b'));
    assert_non_null(strstr(table, "Esc\\x1b[31mRed\\x1b[0m"));
    assert_non_null(strstr(table, "bad\\x1b[2Jname"));
    free(table);

    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_results_write(r, s, 0, &d), COV_OK);
    char *csv = slurp(TMP "/zero-out/targets.csv");
    assert_non_null(csv);
    assert_non_null(strstr(csv, "\nt,commune,Trống,all,85.00,2018-08,,,,,,,,0,0.0,,\n"));
    assert_non_null(strstr(csv, "\ns,commune,Đồng Sơn,students,85.00,2018-08,,,,,,,,0,0.0,,\n"));
    assert_non_null(strstr(csv, "Esc\x1b[31mRed\x1b[0m"));   /* files keep the bytes */
    free(csv);
    cov_results_free(r);
    cov_scenario_free(s);
}

/* run.json says what produced the results: the base files (nearest first)
 * with their SHA-256, and the --set assignments as given, JSON-escaped.
 * A variant of a named base is labelled with its own file name; a name of
 * its own, or from --set, wins. */
static void test_run_json_and_variant_label(void **st)
{
    (void)st;
    write_text(TMP "/rj-base0.ini",
               "[run]\nname = Nam Trực 2018\npopulation = ../../tests/cases/common/population.csv\n"
               "model = ../../tests/cases/common/model.ini\nlevels = district\nstart = 2018-05\nmonths = 3\n"
               "replicates = 50\n[target.t]\nlevel = district\nthreshold = 85\ndeadline = 2018-08\n"
               "[campaign.c]\nmonths = 2018-06\nenroll_multiplier = 2\n");
    write_text(TMP "/rj-base.ini", "[run]\nbase = rj-base0.ini\n");
    write_text(TMP "/rj-variant.ini", "[run]\nbase = rj-base.ini\n[campaign.c]\nenroll_multiplier = 3\n");
    const char *set[2] = { "campaign.c.enroll_multiplier=4", "campaign.c.description=say \"hi\"\\now\x1b" };
    cov_overrides ov = { .seed = -1, .nset = 2, .set = set, .out = TMP "/rj-out" };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/rj-variant.ini", &ov, &s);
    assert_string_equal(s->name, "rj-variant");   /* not the base's "Nam Trực 2018" */
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_results_write(r, s, 0, &d), COV_OK);
    char *json = slurp(TMP "/rj-out/run.json");
    assert_non_null(json);
    char h0[65], h1[65], want[1024];
    assert_true(cov_input_sha256(TMP "/rj-base0.ini", h0));
    assert_true(cov_input_sha256(TMP "/rj-base.ini", h1));
    assert_string_equal(h1, "9d2d4afa84c5b74c87373217024401d6431134c3fe0edd68226eb006897ba240");   /* sha256sum of the text */
    snprintf(want, sizeof want,
             "    {\"role\": \"scenario\", \"path\": \"" TMP "/rj-variant.ini\", \"sha256\": "
             "\"09e0693c8ca21094fa2a8fcbd167bd24e032d87b9d67ff0f7e8c44f383f8b54f\"},\n"
             "    {\"role\": \"base\", \"path\": \"" TMP "/rj-base.ini\", \"sha256\": \"%s\"},\n"
             "    {\"role\": \"base\", \"path\": \"" TMP "/rj-base0.ini\", \"sha256\": \"%s\"},\n"
             "    {\"role\": \"model\",", h1, h0);
    if (!strstr(json, want)) fail_msg("run.json lacks\n%s\nin\n%s", want, json);
    assert_non_null(strstr(json, "\"overrides\": [\"campaign.c.enroll_multiplier=4\", "
                                 "\"campaign.c.description=say \\\"hi\\\"\\\\now\\u001b\"]\n"));
    free(json);
    cov_results_free(r);
    cov_scenario_free(s);

    /* compare labels each scenario by its own name or file name */
    const char *pair[2] = { TMP "/rj-base0.ini", TMP "/rj-variant.ini" };
    cov_diag_init(&d);
    assert_int_equal(cov_compare(pair, 2, NULL, TMP "/rj-cmp", NULL, &d), COV_OK);
    char *csv = slurp(TMP "/rj-cmp/compare.csv");
    assert_non_null(csv);
    assert_non_null(strstr(csv, ",Nam Trực 2018,"));
    assert_non_null(strstr(csv, ",rj-variant,"));
    free(csv);
    const char *named[1] = { "run.name=Chiến dịch" };
    cov_overrides ov2 = { .seed = -1, .nset = 1, .set = named };
    cov_diag_init(&d);
    s = cov_scenario_load(TMP "/rj-variant.ini", &ov2, &d);
    assert_non_null(s);
    assert_string_equal(s->name, "Chiến dịch");
    cov_scenario_free(s);
}

/* `label =` in [run], [target.*] and [campaign.*]: kept as written (any
 * UTF-8 text), shown instead of the key, the key the fallback; a variant
 * shows its own label or none, never its base's; --set gives one; an empty
 * label is none. run.json carries the scenario's label. */
static void test_labels(void **st)
{
    (void)st;
    write_text(TMP "/lb-base.ini",
               "[run]\nname = lb\nlabel = Nam Trực — \"cơ sở\"\npopulation = ../../tests/cases/common/population.csv\n"
               "model = ../../tests/cases/common/model.ini\nlevels = district\nstart = 2018-05\nmonths = 3\n"
               "replicates = 20\n[target.ntm]\nlabel = Xã nông thôn mới (≥ 85%)\nlevel = commune\nthreshold = 85\n"
               "deadline = 2018-08\n[target.bare]\nlabel =\nlevel = district\nthreshold = 85\ndeadline = 2018-08\n"
               "[campaign.c]\nlabel = `x` @m\nmonths = 2018-06\nenroll_multiplier = 2\n");
    write_text(TMP "/lb-variant.ini", "[run]\nbase = lb-base.ini\n");
    cov_overrides ov = { .seed = -1, .out = TMP "/lb-out" };
    cov_scenario *s;
    cov_results *r = run_scenario(TMP "/lb-base.ini", &ov, &s);
    assert_string_equal(s->name, "lb");
    assert_string_equal(cov_scenario_shown(s), "Nam Trực — \"cơ sở\"");
    assert_string_equal(cov_target_shown(&s->targets[0]), "Xã nông thôn mới (≥ 85%)");
    assert_string_equal(s->targets[0].name, "ntm");
    assert_null(s->targets[1].label);
    assert_string_equal(cov_target_shown(&s->targets[1]), "bare");
    assert_string_equal(cov_campaign_shown(&s->campaigns[0]), "`x` @m");
    cov_diag d;
    cov_diag_init(&d);
    assert_int_equal(cov_results_write(r, s, 0, &d), COV_OK);
    char *json = slurp(TMP "/lb-out/run.json");
    assert_non_null(json);
    assert_non_null(strstr(json, "\"scenario\": \"lb\",\n  \"label\": \"Nam Trực — \\\"cơ sở\\\"\",\n"));
    free(json);
    cov_results_free(r);
    cov_scenario_free(s);

    s = cov_scenario_load(TMP "/lb-variant.ini", &(cov_overrides){ .seed = -1 }, &d);
    assert_non_null(s);
    assert_null(s->label);                                           /* not the base's */
    assert_string_equal(cov_scenario_shown(s), "lb-variant");
    assert_string_equal(cov_target_shown(&s->targets[0]), "Xã nông thôn mới (≥ 85%)");   /* levers are inherited */
    cov_scenario_free(s);
    const char *set[1] = { "run.label=Biến thể" };
    s = cov_scenario_load(TMP "/lb-variant.ini", &(cov_overrides){ .seed = -1, .nset = 1, .set = set }, &d);
    assert_non_null(s);
    assert_string_equal(cov_scenario_shown(s), "Biến thể");
    cov_scenario_free(s);
}

/* Reads text as a history against the common model (NULL with d filled). */
static cov_history *history_of(const char *name, const char *text, cov_model *m, cov_diag *d)
{
    char path[512];
    snprintf(path, sizeof path, TMP "/%s", name);
    write_text(path, text);
    cov_diag_init(d);
    return cov_history_read(path, m, NULL, 0, d);
}

/* A commune whose code is blank on some rows of a history: those rows join
 * the series of the one code that the history gives the name, wherever they
 * stand (here before the coded ones); a name that no row gives a code stays
 * keyed by name; a name the history gives several codes makes a blank code
 * an error that lists them. (Before: two series for one commune, and the
 * blank row read silently as a commune of its own.) */
static void test_history_blank_codes(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load("tests/cases/common/model.ini", &d);
    assert_non_null(m);
    cov_history *h = history_of("hc-one.csv",
                                "commune,commune_code,month,population,insured\n"
                                "Xã Đông,,2024-03,1020,830\n"
                                "Xã Đông,101,2024-01,1000,800\n"
                                "Xã Tây,102,2024-01,500,400\n"
                                "Xã Bắc,,2024-01,700,600\n"
                                "Xã Đông,101,2024-02,1010,815\n"
                                "Xã Bắc,,2024-02,705,610\n", m, &d);
    assert_non_null(h);
    assert_int_equal(h->nseries, 3);
    assert_string_equal(h->s[0].commune, "Xã Đông");
    assert_string_equal(h->s[0].code, "101");
    assert_int_equal(h->s[0].n, 3);
    assert_int_equal(h->s[0].N[2], 1020);   /* the blank-code row, months in order */
    assert_int_equal(h->s[0].line, 2);
    assert_string_equal(h->s[1].code, "102");
    assert_string_equal(h->s[2].commune, "Xã Bắc");
    assert_null(h->s[2].code);
    assert_int_equal(h->s[2].n, 2);
    cov_history_free(h);

    /* the blank-code row and a coded row of the same month: one series, two rows for the month */
    h = history_of("hc-dup.csv",
                   "commune,commune_code,month,population,insured\n"
                   "Xã Đông,101,2024-01,1000,800\n"
                   "Xã Đông,,2024-01,1000,800\n", m, &d);
    assert_null(h);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.e[0].line, 3);
    assert_non_null(strstr(d.e[0].msg, "Xã Đông has two rows for 2024-01"));

    h = history_of("hc-several.csv",
                   "commune,commune_code,month,population,insured\n"
                   "Xã Bình Minh,,2024-01,1000,800\n"
                   "Xã Bình Minh,26734,2024-01,1000,800\n"
                   "Xã Bình Minh,27016,2024-01,900,700\n"
                   "Xã Bình Minh,28222,2024-01,800,600\n"
                   "Xã Bình Minh,31009,2024-01,700,500\n"
                   "Xã Bình Minh,27016,2024-02,905,705\n", m, &d);
    assert_null(h);
    assert_int_equal(d.status, COV_EINPUT);
    assert_int_equal(d.n, 1);
    assert_int_equal(d.e[0].line, 2);
    assert_int_equal(d.e[0].col, 14);
    assert_string_equal(d.e[0].msg, "commune_code is blank, and this history gives the name \"Xã Bình Minh\" to 4 "
                                    "communes (codes 26734, 27016, 28222, 31009): give this row the code of its "
                                    "commune");
    cov_model_free(m);
}

/* A blank commune name is an error at its cell, with or without a code
 * (every result names the commune); before, it was a commune called "". */
static void test_history_blank_name(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load("tests/cases/common/model.ini", &d);
    assert_non_null(m);
    cov_history *h = history_of("hn.csv",
                                "month,commune,commune_code,population,insured\n"
                                "2024-01,Xã Đông,101,1000,800\n"
                                "2024-02,  ,101,1000,800\n"
                                "2024-01,,,500,400\n", m, &d);
    assert_null(h);
    assert_int_equal(d.status, COV_EINPUT);
    assert_int_equal(d.n, 2);
    assert_int_equal(d.e[0].line, 3);
    assert_int_equal(d.e[0].col, 9);
    assert_string_equal(d.e[0].msg, "the commune name is empty (the row gives commune_code 101, but every result "
                                    "names the commune: give its name too)");
    assert_int_equal(d.e[1].line, 4);
    assert_int_equal(d.e[1].col, 9);
    assert_string_equal(d.e[1].msg, "the commune name is empty");
    cov_model_free(m);
}

/* A count too large for any integer is beyond the limit of one commune and
 * group (COV_ELIMIT, with the value), as a merely large one is, plain or
 * with thousands separators, in a history and in a population file; before,
 * "must be a whole number". */
static void test_counts_too_large(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load("tests/cases/common/model.ini", &d);
    assert_non_null(m);
    cov_history *h = history_of("big.csv",
                                "commune,month,population,insured\n"
                                "Xã Đông,2024-01,99999999999999999999,800\n"
                                "Xã Đông,2024-02,1000,99.999.999.999.999.999.999\n"
                                "Xã Đông,2024-03,1000,9x\n", m, &d);
    assert_null(h);
    assert_int_equal(d.status, COV_ELIMIT);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.e[0].msg, "population 99999999999999999999 is beyond the limit of 2000000000 people in "
                                    "one commune and group");
    assert_int_equal(d.e[0].col, 17);
    assert_string_equal(d.e[1].msg, "insured 99.999.999.999.999.999.999 is beyond the limit of 2000000000 people in "
                                    "one commune and group");
    assert_string_equal(d.e[2].msg, "insured must be a whole number of people, got \"9x\"");

    write_text(TMP "/big-pop.csv", "commune,group,population,insured,newborns\n"
                                   "Xã Đông,household,\"99,999,999,999,999,999,999\",\"5,000\",0\n"
                                   "Xã Tây,household,\"6,000\",99999999999999999999,0\n"
                                   "Xã Bắc,household,\"6,000\",\"5,000\",99999999999999999999\n");
    cov_diag_init(&d);
    char *extra[1] = { "newborns" };
    assert_null(cov_population_load(TMP "/big-pop.csv", m, NULL, 0, extra, 1, NULL, &d));
    assert_int_equal(d.status, COV_ELIMIT);
    assert_int_equal(d.n, 3);
    assert_string_equal(d.e[0].msg, "population 99,999,999,999,999,999,999 is beyond the limit of 2000000000 "
                                    "people in one commune and group");
    assert_int_equal(d.e[1].line, 3);
    assert_string_equal(d.e[1].msg, "insured 99999999999999999999 is beyond the limit of 2000000000 people in one "
                                    "commune and group");
    assert_string_equal(d.e[2].msg, "'newborns' 99999999999999999999 is beyond the limit of 2000000000 people in "
                                    "one commune and group");
    cov_model_free(m);
}

/* The population row of each series in a totals fit (cov_mix_split shows
 * which: each row has its own mix): by code when both have one, else by
 * name, the first row in the file's order; none: the whole file. The rule
 * of the linear search that the sorted index replaced. */
static void test_mix_rows(void **st)
{
    (void)st;
    cov_diag d;
    cov_diag_init(&d);
    cov_model *m = cov_model_load("tests/cases/common/model.ini", &d);
    assert_non_null(m);
    write_text(TMP "/mix-codes.csv", "commune,commune_code,group,population,insured\n"
                                     "Xã Bình Minh,12,household,900,0\nXã Bình Minh,12,students,100,0\n"
                                     "Xã Khác,13,household,500,0\nXã Khác,13,students,500,0\n"
                                     "Xã Bình Minh,11,household,200,0\nXã Bình Minh,11,students,800,0\n");
    cov_mix *x = cov_mix_load(TMP "/mix-codes.csv", m, &d);
    assert_non_null(x);
    static const struct { const char *name, *code; int64_t household; } want[] = {
        { "Xã Bình Minh", "11", 200 }, { "Xã Bình Minh", "12", 900 },
        { "Xã Bình Minh", NULL, 900 },    /* the first of the name */
        { "Xã Khác", "11", 200 },         /* the code wins over the name */
        { "Xã Bình Minh", "99", 534 },    /* an unknown code: the whole file, 1,600 of 3,000 */
        { "Xã Lạ", NULL, 534 }, { "Xã Khác", NULL, 500 },
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        cov_hseries s = { .commune = (char *)want[i].name, .code = (char *)want[i].code };
        int64_t Ng[COV_MAX_GROUPS], Ig[COV_MAX_GROUPS];
        cov_mix_split(x, &s, 1000, 0, Ng, Ig);
        assert_int_equal(Ng[0], want[i].household);
    }
    cov_mix_free(x);

    write_text(TMP "/mix-names.csv", "commune,group,population,insured\n"
                                     "Xã Đông,household,900,0\nXã Đông,students,100,0\n"
                                     "Xã Tây,household,300,0\nXã Tây,students,700,0\n");
    assert_non_null(x = cov_mix_load(TMP "/mix-names.csv", m, &d));
    cov_hseries a = { .commune = "Xã Tây", .code = "5" }, b = { .commune = "Xã Đông" }, c = { .commune = "Xã" };
    int64_t Ng[COV_MAX_GROUPS], Ig[COV_MAX_GROUPS];
    cov_mix_split(x, &a, 1000, 0, Ng, Ig);
    assert_int_equal(Ng[0], 300);   /* a population without codes: by name, whatever the series' code */
    cov_mix_split(x, &b, 1000, 0, Ng, Ig);
    assert_int_equal(Ng[0], 900);
    cov_mix_split(x, &c, 1000, 0, Ng, Ig);
    assert_int_equal(Ng[0], 600);
    cov_mix_free(x);
    cov_model_free(m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wide_header),
        cmocka_unit_test(test_csv_positions),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_ini_size_limit),
        cmocka_unit_test(test_diag_quotes_the_text_read),
        cmocka_unit_test(test_terminal_escapes),
        cmocka_unit_test(test_no_people_no_probability),
        cmocka_unit_test(test_run_json_and_variant_label),
        cmocka_unit_test(test_history_blank_codes),
        cmocka_unit_test(test_history_blank_name),
        cmocka_unit_test(test_counts_too_large),
        cmocka_unit_test(test_mix_rows),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
