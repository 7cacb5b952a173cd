/* fuzz_plot.c — libFuzzer target for the chart-writing path (plot.c): the
 * input's cells (separated by NUL bytes) become the names, months and
 * numbers of a results folder (run, compare, sweep or backtest, chosen by
 * the first byte), which cov_plot turns into gnuplot scripts and data files
 * without running gnuplot. Each script is then read back with gnuplot's own
 * quoting rules and must hold no backquote or @ but its template's own (in
 * comments, where gnuplot substitutes nothing), no control byte but
 * newline, no string left open at the end of a line, only octal escapes
 * inside double-quoted strings, and, outside strings and comments, only the
 * words of the templates and of plot.c's own clauses: fuzzed text can
 * reach a script only inside a string. Data files must hold numbers and
 * months only. cov_plot_visible must give valid UTF-8 without control
 * characters. */
#define _GNU_SOURCE
#include "fuzz_common.h"
#include "plot.h"

#include <ctype.h>
#include <dirent.h>
#include <ftw.h>
#include <sys/stat.h>
#include <unistr.h>

#define NCELLS 256

static const char *cells[NCELLS];
static int ncells, next_cell;
static char allowed[512][32];
static int nallowed;
static struct { char name[64]; int marks; } tpl[16];   /* each template and its count of ` and @ */
static int ntpl;

static void fail(const char *what, const char *file, const char *text)
{
    fprintf(stderr, "fuzz_plot: %s in %s\n--- script ---\n%s\n---\n", what, file, text);
    abort();
}

/* The next fuzzed cell, or dflt when the input has no more. */
static const char *next(const char *dflt)
{
    return next_cell < ncells ? cells[next_cell++] : dflt;
}

/* Writes s as one CSV field (quoted, quotes doubled), a comma before it
 * unless first. */
static void field(FILE *f, const char *s, bool first)
{
    if (!first) fputc(',', f);
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

/* Writes one row of n fields. */
static void row(FILE *f, int n, const char **v)
{
    for (int i = 0; i < n; i++) field(f, v[i], i == 0);
    fputc('\n', f);
}

static FILE *open_in(const char *dir, const char *name)
{
    char path[600];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    if (!f) abort();
    return f;
}

/* The names every file of a folder shares (so targets meet their units). */
typedef struct { const char *lvA, *unitA, *lvB, *unitB, *unitC, *tX, *tY, *group, *m0, *m1, *m2, *deadline, *thr; } names;

/* A run folder; the cells go first to the targets, whose numbers reach
 * titles, marks and bar sizes, last to the trajectories. */
static void run_folder(const char *dir, const names *s)
{
    FILE *f = open_in(dir, "targets.csv");
    fputs("target,level,unit,group,threshold,deadline,probability,probability_lo,probability_hi,"
          "probability_by_deadline,coverage_p05,coverage_p50,coverage_p95,cards_needed_now,shortfall_p50,unit_code,"
          "label\n", f);
    const char *tv[4][4] = { { s->tX, s->lvA, s->unitA, "all" }, { s->tX, s->lvA, s->unitA, s->group },
                             { s->tY, s->lvB, s->unitB, "all" }, { s->tY, s->lvB, s->unitC, "all" } };
    const char *label = next("Xã nông thôn mới (≥ 85%)");   /* target X's label; Y has none: its key shows */
    for (int t = 0; t < 4; t++) {
        const char *v[17] = { tv[t][0], tv[t][1], tv[t][2], tv[t][3], s->thr, s->deadline, next("0.43"), next("0.4"),
                              next("0.46"), "0.5", "78", "80", "82", next("4476"), "120.0", "", t < 2 ? label : "" };
        row(f, 17, v);
    }
    fclose(f);
    f = open_in(dir, "exceedance.csv");
    fputs("target,level,unit,threshold,probability\n", f);
    for (int k = 0; k < 3; k++) {
        const char *v[5] = { s->tX, s->lvA, s->unitA, next("84.5"), next("0.5") };
        row(f, 5, v);
    }
    fclose(f);
    f = open_in(dir, "history.csv");
    fputs("level,unit,month,coverage\n", f);
    const char *h[4] = { s->lvA, s->unitA, next("2018-04"), next("79.5") };
    row(f, 4, h);
    fclose(f);
    f = open_in(dir, "trajectories.csv");
    fputs("level,unit,month,population,insured_mean,coverage_mean,coverage_p05,coverage_p25,coverage_p50,"
          "coverage_p75,coverage_p95,unit_code\n", f);
    const char *lv[3] = { s->lvA, s->lvB, s->lvB }, *un[3] = { s->unitA, s->unitB, s->unitC };
    const char *ms[3] = { s->m0, s->m1, s->m2 };
    for (int u = 0; u < 3; u++)
        for (int m = 0; m < 3; m++) {
            const char *v[12] = { lv[u], un[u], ms[m], "1000", "800", "80", next("78.5"), "79", next("80"), "81",
                                  next("82.5"), "" };
            row(f, 12, v);
        }
    fclose(f);
}

/* Writes the results folder of the kind chosen; returns the --units value. */
static const char *make_folder(const char *dir, int kind, int units, const names *s)
{
    if (kind == 0) run_folder(dir, s);
    else if (kind == 1) {   /* compare: two run folders and their index */
        FILE *f = open_in(dir, "scenarios.csv");
        fputs("folder,scenario,path,label\n", f);
        const char *a[4] = { "a", next("Nam Trực 2018"), "a.ini", next("Kịch bản cơ sở") };
        const char *b[4] = { "b", next("Chiến dịch"), "b.ini", "" };
        row(f, 4, a);
        row(f, 4, b);
        fclose(f);
        char sub[600];
        snprintf(sub, sizeof sub, "%s/a", dir);
        mkdir(sub, 0755);
        run_folder(sub, s);
        snprintf(sub, sizeof sub, "%s/b", dir);
        mkdir(sub, 0755);
        run_folder(sub, s);
    } else if (kind == 2) {   /* sweep */
        FILE *f = open_in(dir, "sweep.csv");
        fputs("value,target,level,unit,probability,probability_lo,probability_hi,coverage_p50,lever,label,"
              "lever_label\n", f);
        const char *lever = next("campaign.peak.enroll_multiplier"), *label = next("Xã nông thôn mới (≥ 85%)");
        const char *lever_label = next("Chiến dịch cao điểm");
        for (int k = 0; k < 4; k++) {
            const char *v[11] = { k < 2 ? "1" : "2", k % 2 ? s->tY : s->tX, s->lvA, s->unitA, next("0.3"),
                                  next("0.2"), next("0.4"), next("80"), lever, k % 2 ? "" : label, lever_label };
            row(f, 11, v);
        }
        fclose(f);
    } else {   /* backtest */
        FILE *f = open_in(dir, "backtest.csv");
        fputs("nominal,observed\n", f);
        for (int k = 0; k < 3; k++) { const char *v[2] = { next("0.5"), next("0.48") }; row(f, 2, v); }
        fclose(f);
        f = open_in(dir, "reliability.csv");
        fputs("forecast_bin,forecast_mean,observed_rate,n\n", f);
        for (int k = 0; k < 3; k++) {
            const char *v[4] = { k == 2 ? "brier" : next("0.1-0.2"), next("0.15"), next("0.14"), next("12") };
            row(f, 4, v);
        }
        fclose(f);
    }
    return units == 0 ? NULL : units == 1 ? "all" : units == 2 ? s->unitB : next("Nam Thái");
}

/* ---- the checks ----------------------------------------------------------- */

static bool is_allowed(const char *w)
{
    for (int i = 0; i < nallowed; i++)
        if (!strcmp(allowed[i], w)) return true;
    return false;
}

static void allow(const char *w)
{
    if (!is_allowed(w) && nallowed < 512) snprintf(allowed[nallowed++], sizeof allowed[0], "%s", w);
}

/* Reads a script with gnuplot's quoting: double-quoted strings (backslash
 * escapes), single-quoted strings ('' for a quote), # comments to the end
 * of the line. With learn, records the words outside strings; otherwise
 * checks them and everything the header comment of this file lists. */
static void lex(const char *file, const char *s, bool learn)
{
    enum { CODE, DQ, SQ, COMMENT } st = CODE;
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        unsigned char b = (unsigned char)s[i];
        if (!learn && (b == '`' || b == '@') && st != COMMENT) fail("a backquote or @ outside a comment", file, s);
        if (!learn && ((b < 0x20 && b != '\n') || b == 0x7f)) fail("a control byte", file, s);
        switch (st) {
        case CODE:
            if (b == '"') st = DQ;
            else if (b == '\'') st = SQ;
            else if (b == '#') st = COMMENT;
            else if (isalpha(b) || b == '_') {
                char w[64];
                size_t k = 0;
                while (i < n && (isalnum((unsigned char)s[i]) || s[i] == '_')) {
                    if (k + 1 < sizeof w) w[k++] = s[i];
                    i++;
                }
                i--;
                w[k] = '\0';
                if (learn) allow(w);
                else if (!is_allowed(w)) { fprintf(stderr, "word: %s\n", w); fail("a word outside strings that no template has", file, s); }
            } else if (isdigit(b) || (b == '.' && i + 1 < n && isdigit((unsigned char)s[i + 1]))) {
                while (i + 1 < n && (isdigit((unsigned char)s[i + 1]) || s[i + 1] == '.')) i++;
                if (i + 2 < n && (s[i + 1] == 'e' || s[i + 1] == 'E')
                    && (isdigit((unsigned char)s[i + 2]) || s[i + 2] == '+' || s[i + 2] == '-')) {
                    i += 2;
                    while (i + 1 < n && isdigit((unsigned char)s[i + 1])) i++;
                }
                if (i + 2 < n && s[i + 1] == 'i' && s[i + 2] == 'n') i += 2;   /* 6.00in */
            } else if (b == '\\') {
                if (!learn && (i + 1 >= n || s[i + 1] != '\n')) fail("a backslash outside strings", file, s);
            } else if (!learn && !strchr(" \n,:;()[]+-*/=<>.$", b)) {
                fail("a character outside strings that no template uses", file, s);
            }
            break;
        case DQ:
            if (b == '"') st = CODE;
            else if (b == '\\') {
                if (learn) { i++; break; }
                if (i + 3 >= n || s[i + 1] < '0' || s[i + 1] > '1' || s[i + 2] < '0' || s[i + 2] > '7'
                    || s[i + 3] < '0' || s[i + 3] > '7')
                    fail("an escape in a string that is not \\ooo below \\200", file, s);
                i += 3;
            } else if (b == '\n') fail("a string left open at the end of a line", file, s);
            break;
        case SQ:
            if (b == '\'') { if (i + 1 < n && s[i + 1] == '\'') i++; else st = CODE; }
            else if (b == '\n') fail("a string left open at the end of a line", file, s);
            break;
        case COMMENT:
            if (b == '\n') {
                if (!learn && i > 0 && s[i - 1] == '\\') fail("a comment continued on the next line", file, s);
                st = CODE;
            }
            break;
        }
    }
    if (!learn && st != CODE && st != COMMENT) fail("a string left open at the end", file, s);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    size_t cap = 0;
    if (getdelim(&s, &cap, '\0', f) < 0) { free(s); s = strdup(""); }
    fclose(f);
    return s;
}

/* The words of the templates (placeholders left out) and of plot.c's own
 * clauses are the only ones a script may hold outside strings. */
static void learn_words(void)
{
    DIR *dd = opendir("plots");
    if (!dd) { fprintf(stderr, "fuzz_plot: run it from the project folder (plots/ not found)\n"); abort(); }
    struct dirent *e;
    while ((e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        if (l < 4 || strcmp(e->d_name + l - 3, ".gp")) continue;
        char path[600];
        snprintf(path, sizeof path, "plots/%s", e->d_name);
        char *t = slurp(path);
        if (!t) abort();
        if (ntpl < 16) {
            snprintf(tpl[ntpl].name, sizeof tpl[0].name, "%.*s", (int)(l - 3), e->d_name);
            for (char *p = t; *p; p++) tpl[ntpl].marks += *p == '`' || *p == '@';
            ntpl++;
        }
        for (char *p; (p = strstr(t, "{{"));) {   /* blank the placeholders */
            char *q = strstr(p, "}}");
            if (!q) break;
            memset(p, ' ', (size_t)(q + 2 - p));
        }
        lex(path, t, true);
        free(t);
    }
    closedir(dd);
    static const char *own[] = { /* terminals */ "svg", "size", "dynamic", "font", "noenhanced", "background",
                                 "rgb", "pngcairo", "pdfcairo",
                                 /* marks */ "set", "arrow", "from", "graph", "first", "to", "nohead", "dt", "lw",
                                 "lc", "front", "label", "at", "offset", "textcolor", "point", "pt", "ps",
                                 /* plot clauses */ "using", "with", "filledcurves", "notitle", "lines", "title",
                                 "linespoints", "xtic", "int", "array", "NAMES", "LABELS",
                                 /* keys */ "outside", "right", "top", "vertical" };
    for (size_t i = 0; i < sizeof own / sizeof *own; i++) allow(own[i]);
}

/* Data files: comment lines, or numbers, months and NaN separated by commas. */
static void check_dat(const char *file, const char *s)
{
    for (const char *line = s; *line;) {
        const char *end = strchr(line, '\n');
        size_t l = end ? (size_t)(end - line) : strlen(line);
        if (l && line[0] != '#')
            for (size_t i = 0; i < l; i++)
                if (!strchr("0123456789.eE+-,NaN", line[i]) || !line[i]) fail("a data row with text", file, s);
        if (l && line[0] == '#' && memchr(line, '"', l)) fail("a data comment with a quote", file, s);
        line += l + (end ? 1 : 0);
    }
}

/* The count of ` and @ in the template that the script NAME was filled
 * from (the longest template name that begins NAME). */
static int template_marks(const char *name)
{
    int best = -1;
    size_t bl = 0;
    for (int i = 0; i < ntpl; i++) {
        size_t l = strlen(tpl[i].name);
        if (l > bl && !strncmp(name, tpl[i].name, l)) { best = i; bl = l; }
    }
    if (best < 0) { fprintf(stderr, "fuzz_plot: no template for %s\n", name); abort(); }
    return tpl[best].marks;
}

static void check_folder(const char *dir)
{
    char path[700];
    snprintf(path, sizeof path, "%s/plots", dir);
    DIR *dd = opendir(path);
    if (!dd) return;
    struct dirent *e;
    while ((e = readdir(dd))) {
        size_t l = strlen(e->d_name);
        if (l < 4) continue;
        bool gp = !strcmp(e->d_name + l - 3, ".gp"), dat = l > 4 && !strcmp(e->d_name + l - 4, ".dat");
        if (!gp && !dat) continue;
        snprintf(path, sizeof path, "%s/plots/%s", dir, e->d_name);
        char *t = slurp(path);
        if (!t) abort();
        if (gp) {
            lex(path, t, false);
            int marks = 0;
            for (char *p = t; *p; p++) marks += *p == '`' || *p == '@';
            if (marks != template_marks(e->d_name)) fail("more backquotes or @ than its template has", path, t);
        } else {
            check_dat(path, t);
        }
        free(t);
    }
    closedir(dd);
}

static void check_visible(const char *s)
{
    char out[64];
    cov_plot_visible(s, out, sizeof out);
    size_t l = strlen(out);
    if (l >= sizeof out || u8_check((const uint8_t *)out, l)) abort();
    for (size_t i = 0; i < l; i++)
        if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f) abort();
}

static int rm_one(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb; (void)flag; (void)ftw;
    return remove(p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!nallowed) learn_words();
    if (size < 1) return 0;
    char *buf = malloc(size + 1);   /* cells: the bytes after the first, split at NUL */
    if (!buf) return 0;
    memcpy(buf, data + 1, size - 1);
    buf[size - 1] = '\0';
    ncells = 0;
    next_cell = 0;
    for (size_t i = 0; size > 1 && i <= size - 1 && ncells < NCELLS;) {
        cells[ncells++] = buf + i;
        i += strlen(buf + i) + 1;
    }
    for (int i = 0; i < ncells; i++) check_visible(cells[i]);
    names s = { next("district"), next("Huyện Nam Trực"), next("commune"), next("Đồng Sơn"), next("Nam Thái"),
                next("year-end"), next("ntm-communes"), next("students"), next("2018-05"), next("2018-06"),
                next("2018-07"), next("2018-12"), next("85.2") };
    char dir[600];
    snprintf(dir, sizeof dir, "%s", fuzz_path("results"));
    nftw(dir, rm_one, 16, FTW_DEPTH | FTW_PHYS);
    mkdir(dir, 0755);
    int mode = data[0];
    const char *units = make_folder(dir, mode & 3, (mode >> 2) & 3, &s);
    cov_plot_opts o = { .format = (mode & 16) ? "svg" : "png", .lang = (mode & 32) ? "en" : "vi", .units = units,
                        .scripts_only = true };
    cov_diag d;
    cov_diag_init(&d);
    cov_status st = cov_plot(dir, &o, NULL, &d);
    cov_diag_print(&d, fuzz_diag_out());
    if (st != COV_OK && !d.n) abort();   /* failed without a word */
    if (st == COV_EINTERNAL) abort();    /* the refusal of a script that is not inert: a bug */
    if (st == COV_OK) check_folder(dir);
    free(buf);
    return 0;
}
