/* plot.c — `covcast plot`: reads a finished run, comparison or sweep
 * folder and writes DIR/plots/, one gnuplot script (.gp, filled from the
 * templates in plots/), data file (.dat) and image per chart, so an analyst
 * can edit a script and re-render it with plain gnuplot. */
#define _GNU_SOURCE
#include "plot.h"
#include "csvread.h"
#include "lang.h"
#include "outdir.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <math.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

#define MAX_VARS 24

typedef struct {
    const char *dir;             /* the run folder */
    const char *tmp;             /* the plots folder being written */
    const char *format;
    const cov_lang *L;
    const char *units;
    const char *tpl_dir;         /* where the templates are */
    FILE *log;
    double scale;                /* chart size factor (the report draws smaller, larger-print charts) */
    cov_csv *hist;               /* history.csv of a run folder, or NULL */
    cov_diag *d;
    int charts;
    char names[256][96];         /* file stems used, to keep them unique */
    int nnames;
} ctx;

typedef struct { const char *key; char val[4096]; } var;

/* ---- small helpers ---------------------------------------------------- */

static const char *cell(const cov_csv *t, long r, const char *col)
{
    int j = cov_csv_column(t, col);
    return j < 0 ? "" : cov_csv_cell(t, r, j)->text;
}

static double num(const cov_csv *t, long r, const char *col)
{
    return atof(cell(t, r, col));
}

static cov_csv *read_table(ctx *c, const char *name, bool required)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->dir, name);
    if (!required && access(path, R_OK) != 0) return NULL;
    return cov_csv_read(path, c->d);
}

/* A file stem from a level and a unit: "fan-district-huyen-nam-truc". */
static void stem(ctx *c, const char *kind, const char *a, const char *b, char *out, size_t n)
{
    char fa[96], fb[96];
    cov_fold(a, fa, sizeof fa);
    cov_fold(b ? b : "", fb, sizeof fb);
    snprintf(out, n, "%s-%s%s%s", kind, fa, b ? "-" : "", fb);
    for (char *p = out; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9'))) *p = '-';
    for (int k = 2; ; k++) {
        bool used = false;
        for (int i = 0; i < c->nnames && !used; i++) used = !strcmp(c->names[i], out);
        if (!used) break;
        size_t l = strlen(out);
        snprintf(out + (l > 80 ? 80 : l), n - (l > 80 ? 80 : l), "-%d", k);
    }
    if (c->nnames < 256) snprintf(c->names[c->nnames++], sizeof c->names[0], "%s", out);
}

/* Doubles quotes for a gnuplot double-quoted string. */
static void gp_escape(const char *s, char *out, size_t n)
{
    size_t j = 0;
    for (; *s && j + 3 < n; s++) {
        if (*s == '"' || *s == '\\') out[j++] = '\\';
        out[j++] = *s == '\n' ? ' ' : *s;
    }
    out[j] = '\0';
}

static void terminal(const ctx *c, int w, int h, char *out, size_t n)
{
    if (c->scale > 0) { w = (int)(w * c->scale); h = (int)(h * c->scale); }
    if (!strcmp(c->format, "svg"))
        snprintf(out, n, "svg size %d,%d dynamic font 'DejaVu Sans,11' noenhanced background rgb 'white'", w, h);
    else if (!strcmp(c->format, "pdf"))
        snprintf(out, n, "pdfcairo size %.2fin,%.2fin font 'DejaVu Sans,10' noenhanced", w / 100.0, h / 100.0);
    else
        snprintf(out, n, "pngcairo size %d,%d font 'DejaVu Sans,11' noenhanced background rgb 'white'", w, h);
}

static bool write_file(ctx *c, const char *name, const char *text)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", c->tmp, name);
    FILE *f = fopen(path, "w");
    if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
        if (f) fclose(f);
        cov_diag_add(c->d, COV_EIO, path, 0, 0, 0, "cannot write: %s", strerror(errno));
        return false;
    }
    return true;
}

/* Closes the data stream m (opened with open_memstream on *dat), writes its
 * text as STEM.dat and frees it. */
static bool write_dat(ctx *c, const char *stem_name, FILE *m, char **dat)
{
    fclose(m);   /* only now is *dat final */
    char name[340];
    snprintf(name, sizeof name, "%s.dat", stem_name);
    bool ok = write_file(c, name, *dat);
    free(*dat);
    *dat = NULL;
    return ok;
}

/* Fills template NAME.gp with vars into STEM.gp and runs gnuplot on it in
 * the plots folder. */
static bool render(ctx *c, const char *tpl, const char *stem_name, var *v, int nv)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.gp", c->tpl_dir, tpl);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cov_diag_add(c->d, COV_EIO, path, 0, 0, 0, "cannot read the chart template: %s", strerror(errno));
        return false;
    }
    char *text = NULL;
    size_t cap = 0, len = 0;
    FILE *mem = open_memstream(&text, &cap);
    int ch;
    char key[64];
    while ((ch = fgetc(f)) != EOF) {
        if (ch == '{') {
            int c2 = fgetc(f);
            if (c2 == '{') {
                size_t k = 0;
                while ((ch = fgetc(f)) != EOF && ch != '}' && k + 1 < sizeof key) key[k++] = (char)ch;
                key[k] = '\0';
                fgetc(f);   /* the second '}' */
                const char *val = "";
                if (!strcmp(key, "SELF")) val = stem_name;
                for (int i = 0; i < nv; i++) if (!strcmp(v[i].key, key)) val = v[i].val;
                if (!strcmp(key, "SELF")) fprintf(mem, "%s.gp", val);
                else fputs(val, mem);
                continue;
            }
            fputc(ch, mem);
            if (c2 != EOF) fputc(c2, mem);
            continue;
        }
        fputc(ch, mem);
    }
    fclose(f);
    fclose(mem);
    len = strlen(text);
    (void)len;
    char gp[256];
    snprintf(gp, sizeof gp, "%s.gp", stem_name);
    bool ok = write_file(c, gp, text);
    free(text);
    if (!ok) return false;

    /* gnuplot gp, in the plots folder, stderr kept for the error message */
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addchdir_np(&fa, c->tmp);
    posix_spawn_file_actions_addopen(&fa, 2, ".gnuplot-errors", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
    char *argv[] = { "gnuplot", gp, NULL };
    pid_t pid;
    int rc = posix_spawnp(&pid, "gnuplot", &fa, NULL, argv, environ), status = 0;
    posix_spawn_file_actions_destroy(&fa);
    if (rc != 0) {
        cov_diag_add(c->d, COV_EIO, NULL, 0, 0, 0,
                     "cannot run gnuplot (%s): install it with 'apt-get install gnuplot-nox'", strerror(rc));
        return false;
    }
    waitpid(pid, &status, 0);
    char errs[4096];
    snprintf(errs, sizeof errs, "%s/.gnuplot-errors", c->tmp);
    char *msg = NULL;
    FILE *ef = fopen(errs, "r");
    if (ef) {
        size_t mcap = 0;
        ssize_t n = getdelim(&msg, &mcap, '\0', ef);
        if (n <= 0) { free(msg); msg = NULL; }
        fclose(ef);
    }
    remove(errs);
    bool good = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    if (!good)
        cov_diag_add(c->d, COV_EINTERNAL, NULL, 0, 0, 0, "gnuplot failed on %s: %s", gp, msg ? msg : "no message");
    else {
        c->charts++;
        if (c->log) fprintf(c->log, "  %s.%s\n", stem_name, c->format);
    }
    free(msg);
    return good;
}

static void setv(var *v, int *n, const char *key, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static void setv(var *v, int *n, const char *key, const char *fmt, ...)
{
    if (*n >= MAX_VARS) return;
    v[*n].key = key;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(v[*n].val, sizeof v[*n].val, fmt, ap);
    va_end(ap);
    (*n)++;
}

static void common_vars(ctx *c, var *v, int *n, const char *stem_name, int w, int h)
{
    char term[256];
    terminal(c, w, h, term, sizeof term);
    setv(v, n, "TERMINAL", "%s", term);
    setv(v, n, "OUTPUT", "%s.%s", stem_name, c->format);
    setv(v, n, "DATA", "%s.dat", stem_name);
    setv(v, n, "DECIMAL", "%c", c->L->decimal);
}

/* Is this (level, unit) charted? Levels above the commune always (but "all"
 * only when there is no other level); communes with --units all or by name. */
static bool selected(const ctx *c, const char *level, const char *unit, bool has_levels)
{
    if (c->units && !strcmp(c->units, "all")) return true;
    if (c->units) {
        char **items;
        int n = cov_split(c->units, &items);
        bool hit = false;
        for (int i = 0; i < n; i++) hit = hit || !strcmp(items[i], unit);
        if (n >= 0) cov_split_free(items, n);
        if (hit) return true;
    }
    if (!strcmp(level, "commune")) return false;
    if (!strcmp(level, "all")) return !has_levels;
    return true;
}

static void pct(const ctx *c, const char *s, char *buf, size_t n)
{
    cov_fmt_pct(c->L, atof(s), buf, n);
}

/* Title lines and dashed marks for the targets of one unit. */
static void target_marks(ctx *c, const cov_csv *tg, const char *level, const char *unit,
                         char *title, size_t tn, char *marks, size_t mn, double *ymin, double *ymax, bool time_axis)
{
    size_t tl = strlen(title), ml = strlen(marks);
    int shown = 0;
    for (long r = 0; tg && r < tg->nrows; r++) {
        if (strcmp(cell(tg, r, "level"), level) || strcmp(cell(tg, r, "unit"), unit)) continue;
        double thr = num(tg, r, "threshold");
        char th[32], dl[16], p[16], lo[16], hi[16], name[256], line[512];
        pct(c, cell(tg, r, "threshold"), th, sizeof th);
        cov_fmt_month(cell(tg, r, "deadline"), dl, sizeof dl);
        cov_fmt_num(c->L, num(tg, r, "probability"), 3, p, sizeof p);
        cov_fmt_num(c->L, num(tg, r, "probability_lo"), 3, lo, sizeof lo);
        cov_fmt_num(c->L, num(tg, r, "probability_hi"), 3, hi, sizeof hi);
        gp_escape(cell(tg, r, "target"), name, sizeof name);
        if (strcmp(cell(tg, r, "group"), "all")) {
            size_t l = strlen(name);
            snprintf(name + l, sizeof name - l, " (%s)", cell(tg, r, "group"));
        }
        if (shown < 3) {
            snprintf(line, sizeof line, c->L->target_line, name, th, dl, p, lo, hi);
            tl += (size_t)snprintf(title + tl, tl < tn ? tn - tl : 0, "\\n%s", line);
        }
        shown++;
        if (strcmp(cell(tg, r, "group"), "all")) continue;   /* a group's target: not on the whole unit's scale */
        if (thr < *ymin) *ymin = thr;
        if (thr > *ymax) *ymax = thr;
        if (time_axis)
            ml += (size_t)snprintf(marks + ml, ml < mn ? mn - ml : 0,
                                   "set arrow from graph 0, first %g to graph 1, first %g nohead dt 2 lw 1.6 lc rgb okabe_vermillion front\n"
                                   "set arrow from '%s', graph 0 to '%s', graph 1 nohead dt 3 lw 1.4 lc rgb okabe_vermillion front\n"
                                   "set label \"%s\" at graph 0.01, first %g offset 0,0.6 textcolor rgb okabe_vermillion font ',10' front\n",
                                   thr, thr, cell(tg, r, "deadline"), cell(tg, r, "deadline"), th, thr);
    }
}

/* ---- run folders -------------------------------------------------------- */

static bool fan_charts(ctx *c, const cov_csv *tr, const cov_csv *tg)
{
    bool has_levels = false;
    for (long r = 0; r < tr->nrows && !has_levels; r++) {
        const char *lv = cell(tr, r, "level");
        has_levels = strcmp(lv, "commune") && strcmp(lv, "all");
    }
    for (long r0 = 0; r0 < tr->nrows;) {
        const char *level = cell(tr, r0, "level"), *unit = cell(tr, r0, "unit");
        long r1 = r0;
        while (r1 < tr->nrows && !strcmp(cell(tr, r1, "level"), level) && !strcmp(cell(tr, r1, "unit"), unit)) r1++;
        if (!selected(c, level, unit, has_levels)) { r0 = r1; continue; }
        char st[320];
        stem(c, "fan", level, unit, st, sizeof st);
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        double ymin = 100, ymax = 0;
        fputs("# month,p05,p25,p50,p75,p95\n", m);
        for (long r = r0; r < r1; r++) {
            fprintf(m, "%s,%s,%s,%s,%s,%s\n", cell(tr, r, "month"), cell(tr, r, "coverage_p05"),
                    cell(tr, r, "coverage_p25"), cell(tr, r, "coverage_p50"), cell(tr, r, "coverage_p75"),
                    cell(tr, r, "coverage_p95"));
            ymin = fmin(ymin, num(tr, r, "coverage_p05"));
            ymax = fmax(ymax, num(tr, r, "coverage_p95"));
        }
        bool ok = write_dat(c, st, m, &dat);
        if (!ok) return false;
        var v[MAX_VARS];
        int n = 0;
        char title[2048], marks[4096] = "", esc[512];
        gp_escape(unit, esc, sizeof esc);
        snprintf(title, sizeof title, "%s", esc);
        target_marks(c, tg, level, unit, title, sizeof title, marks, sizeof marks, &ymin, &ymax, true);
        double lo = fmax(0, floor(ymin - 1)), hi = fmin(100, ceil(ymax + 1));
        if (hi - lo < 2) { lo = fmax(0, lo - 1); hi = fmin(100, hi + 1); }
        common_vars(c, v, &n, st, 1100, 680);
        setv(v, &n, "TITLE", "%s", title);
        setv(v, &n, "MARKS", "%s", marks);
        setv(v, &n, "XLABEL", "%s", c->L->month_axis);
        setv(v, &n, "YLABEL", "%s", c->L->coverage_axis);
        setv(v, &n, "YMIN", "%g", lo);
        setv(v, &n, "YMAX", "%g", hi);
        setv(v, &n, "XMIN", "%s", cell(tr, r0, "month"));
        setv(v, &n, "XMAX", "%s", cell(tr, r1 - 1, "month"));
        setv(v, &n, "KEY", "outside right top vertical");
        setv(v, &n, "BAND90", "%s", c->L->band90);
        setv(v, &n, "BAND50", "%s", c->L->band50);
        setv(v, &n, "MEDIAN", "%s", c->L->median);
        /* what happened before the snapshot, when the run has a history */
        char more[512] = "", hmin[16] = "";
        if (c->hist) {
            char *hd = NULL;
            size_t hcap = 0;
            FILE *hm = open_memstream(&hd, &hcap);
            int rows = 0;
            fputs("# month,coverage (observed)\n", hm);
            for (long r = 0; r < c->hist->nrows; r++)
                if (!strcmp(cell(c->hist, r, "level"), level) && !strcmp(cell(c->hist, r, "unit"), unit)) {
                    if (!rows) snprintf(hmin, sizeof hmin, "%s", cell(c->hist, r, "month"));
                    fprintf(hm, "%s,%s\n", cell(c->hist, r, "month"), cell(c->hist, r, "coverage"));
                    ymin = fmin(ymin, num(c->hist, r, "coverage"));
                    ymax = fmax(ymax, num(c->hist, r, "coverage"));
                    rows++;
                }
            fclose(hm);
            char hname[340];
            snprintf(hname, sizeof hname, "%s-observed.dat", st);
            if (rows && !write_file(c, hname, hd)) { free(hd); return false; }
            free(hd);
            if (rows)
                snprintf(more, sizeof more, ", \\\n     '%s' using 1:2 with linespoints lw 1.5 pt 5 ps 0.6 lc rgb '#222222' title \"%s\"",
                         hname, c->L->observed);
            lo = fmax(0, floor(ymin - 1));
            hi = fmin(100, ceil(ymax + 1));
            for (int k = 0; k < n; k++)
                if (!strcmp(v[k].key, "YMIN")) snprintf(v[k].val, sizeof v[k].val, "%g", lo);
                else if (!strcmp(v[k].key, "YMAX")) snprintf(v[k].val, sizeof v[k].val, "%g", hi);
                else if (!strcmp(v[k].key, "XMIN") && *hmin) snprintf(v[k].val, sizeof v[k].val, "%s", hmin);
        }
        setv(v, &n, "MORE", "%s", more);
        if (!render(c, "fan", st, v, n)) return false;
        r0 = r1;
    }
    return true;
}

typedef struct { const char *name; double cards, p; } bar;
static int by_cards(const void *a, const void *b)
{
    double x = ((const bar *)a)->cards, y = ((const bar *)b)->cards;
    return x < y ? -1 : x > y;   /* ascending: gnuplot draws the first row at the bottom */
}

static bool cards_charts(ctx *c, const cov_csv *tg)
{
    for (long r0 = 0; tg && r0 < tg->nrows;) {
        const char *target = cell(tg, r0, "target");
        long r1 = r0;
        while (r1 < tg->nrows && !strcmp(cell(tg, r1, "target"), target)) r1++;
        if (strcmp(cell(tg, r0, "level"), "commune")) { r0 = r1; continue; }
        long nb = r1 - r0;
        bar *b = calloc((size_t)nb, sizeof *b);
        if (!b) return false;
        double maxc = 1;
        size_t wname = 8;
        for (long r = r0; r < r1; r++) {
            b[r - r0] = (bar){ cell(tg, r, "unit"), num(tg, r, "cards_needed_now"), num(tg, r, "probability") };
            maxc = fmax(maxc, b[r - r0].cards);
            size_t w = (size_t)cov_utf8_width(b[r - r0].name, strlen(b[r - r0].name));
            if (w > wname) wname = w;
        }
        qsort(b, (size_t)nb, sizeof *b, by_cards);
        char st[320];
        stem(c, "cards", target, NULL, st, sizeof st);
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        fputs("# commune,cards_needed_now,label,probability\n", m);
        for (long i = 0; i < nb; i++) {
            char lab[32];
            cov_fmt_int(c->L, (long long)b[i].cards, lab, sizeof lab);
            char q[300];
            gp_escape(b[i].name, q, sizeof q);
            fprintf(m, "\"%s\",%.0f,%s,%.4f\n", q, b[i].cards, lab, b[i].p);
        }
        char title[1024], th[32], dl[16], esc[256];
        bool ok = write_dat(c, st, m, &dat);
        pct(c, cell(tg, r0, "threshold"), th, sizeof th);
        cov_fmt_month(cell(tg, r0, "deadline"), dl, sizeof dl);
        gp_escape(target, esc, sizeof esc);
        snprintf(title, sizeof title, c->L->cards_title, esc, th, dl);
        var v[MAX_VARS];
        int n = 0;
        common_vars(c, v, &n, st, 1000, (int)(170 + 27 * nb));
        setv(v, &n, "TITLE", "%s", title);
        setv(v, &n, "XLABEL", "%s", c->L->cards_axis);
        setv(v, &n, "CBLABEL", "%s", c->L->cards_cb);
        setv(v, &n, "XMAX", "%g", ceil(maxc * 1.15));
        setv(v, &n, "N", "%ld", nb);
        setv(v, &n, "LMARGIN", "%zu", wname + 2);
        free(b);
        if (!ok || !render(c, "cards", st, v, n)) return false;
        r0 = r1;
    }
    return true;
}

static bool exceedance_charts(ctx *c, const cov_csv *ex, const cov_csv *tg)
{
    for (long r0 = 0; ex && r0 < ex->nrows;) {
        const char *target = cell(ex, r0, "target"), *level = cell(ex, r0, "level"), *unit = cell(ex, r0, "unit");
        long r1 = r0;
        while (r1 < ex->nrows && !strcmp(cell(ex, r1, "target"), target) && !strcmp(cell(ex, r1, "unit"), unit)
               && !strcmp(cell(ex, r1, "level"), level)) r1++;
        char st[320];
        char both[256];
        snprintf(both, sizeof both, "%s-%s", target, level);
        stem(c, "exceedance", both, unit, st, sizeof st);
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        fputs("# threshold,probability\n", m);
        for (long r = r0; r < r1; r++) fprintf(m, "%s,%s\n", cell(ex, r, "threshold"), cell(ex, r, "probability"));
        bool ok = write_dat(c, st, m, &dat);
        if (!ok) return false;
        /* mark this target: its threshold and probability */
        char marks[2048] = "", title[1024], dl[16] = "", esc[256];
        double xmin = num(ex, r0, "threshold"), xmax = num(ex, r1 - 1, "threshold");
        for (long r = 0; tg && r < tg->nrows; r++) {
            if (strcmp(cell(tg, r, "target"), target) || strcmp(cell(tg, r, "unit"), unit)
                || strcmp(cell(tg, r, "level"), level)) continue;
            char th[32], p[16];
            pct(c, cell(tg, r, "threshold"), th, sizeof th);
            cov_fmt_num(c->L, num(tg, r, "probability"), 3, p, sizeof p);
            cov_fmt_month(cell(tg, r, "deadline"), dl, sizeof dl);
            double thr = num(tg, r, "threshold");
            snprintf(marks, sizeof marks,
                     "set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lw 1.6 lc rgb okabe_vermillion front\n"
                     "set label \"%s: %s\" at %g, %g point pt 7 ps 1.3 lc rgb okabe_vermillion offset 1,1 "
                     "textcolor rgb okabe_vermillion front\n",
                     thr, thr, th, p, thr, num(tg, r, "probability"));
            xmin = fmin(xmin, thr - 0.5);
            xmax = fmax(xmax, thr + 0.5);
        }
        gp_escape(unit, esc, sizeof esc);
        snprintf(title, sizeof title, c->L->exceed_title, esc, dl);
        var v[MAX_VARS];
        int n = 0;
        common_vars(c, v, &n, st, 1000, 600);
        setv(v, &n, "TITLE", "%s", title);
        setv(v, &n, "MARKS", "%s", marks);
        setv(v, &n, "XLABEL", "%s", c->L->threshold_axis);
        setv(v, &n, "YLABEL", "%s", c->L->probability_axis);
        setv(v, &n, "XMIN", "%g", fmax(0, xmin));
        setv(v, &n, "XMAX", "%g", fmin(100, xmax));
        setv(v, &n, "CURVE", "%s", c->L->exceed_curve);
        if (!render(c, "exceedance", st, v, n)) return false;
        r0 = r1;
    }
    return true;
}

static bool plot_run(ctx *c)
{
    cov_csv *tr = read_table(c, "trajectories.csv", true);
    cov_csv *tg = tr ? read_table(c, "targets.csv", false) : NULL;
    cov_csv *ex = tr ? read_table(c, "exceedance.csv", false) : NULL;
    c->hist = tr ? read_table(c, "history.csv", false) : NULL;
    bool ok = tr && fan_charts(c, tr, tg) && cards_charts(c, tg) && exceedance_charts(c, ex, tg);
    cov_csv_free(tr); cov_csv_free(tg); cov_csv_free(ex); cov_csv_free(c->hist);
    c->hist = NULL;
    return ok;
}

/* ---- comparisons and sweeps ---------------------------------------------- */

static const char *COLOURS[6] = { "okabe_blue", "okabe_orange", "okabe_green", "okabe_vermillion",
                                  "okabe_purple", "okabe_sky" };

static bool plot_compare(ctx *c)
{
    cov_csv *idx = read_table(c, "scenarios.csv", true);
    if (!idx) return false;
    int ns = (int)idx->nrows;
    cov_csv *tr[16] = { 0 }, *tg[16] = { 0 };
    if (ns > 16) ns = 16;
    bool ok = true;
    char sub[1024];
    for (int i = 0; i < ns && ok; i++) {
        snprintf(sub, sizeof sub, "%s/trajectories.csv", cell(idx, i, "folder"));
        ok = (tr[i] = read_table(c, sub, true)) != NULL;
        snprintf(sub, sizeof sub, "%s/targets.csv", cell(idx, i, "folder"));
        ok = ok && (tg[i] = read_table(c, sub, true)) != NULL;
    }
    bool has_levels = false;
    for (long r = 0; ok && r < tr[0]->nrows && !has_levels; r++) {
        const char *lv = cell(tr[0], r, "level");
        has_levels = strcmp(lv, "commune") && strcmp(lv, "all");
    }
    /* one chart per unit: every scenario's median and 90% band */
    for (long r0 = 0; ok && r0 < tr[0]->nrows;) {
        const char *level = cell(tr[0], r0, "level"), *unit = cell(tr[0], r0, "unit");
        long r1 = r0;
        while (r1 < tr[0]->nrows && !strcmp(cell(tr[0], r1, "unit"), unit) && !strcmp(cell(tr[0], r1, "level"), level)) r1++;
        if (!selected(c, level, unit, has_levels)) { r0 = r1; continue; }
        char st[320], plots[4096] = "", title[2048], marks[4096] = "", esc[512];
        stem(c, "compare", level, unit, st, sizeof st);
        double ymin = 100, ymax = 0;
        size_t pl = 0;
        for (int i = 0; i < ns && ok; i++) {
            char *dat = NULL;
            size_t dcap = 0;
            FILE *m = open_memstream(&dat, &dcap);
            fputs("# month,p05,p50,p95\n", m);
            for (long r = 0; r < tr[i]->nrows; r++) {
                if (strcmp(cell(tr[i], r, "unit"), unit) || strcmp(cell(tr[i], r, "level"), level)) continue;
                fprintf(m, "%s,%s,%s,%s\n", cell(tr[i], r, "month"), cell(tr[i], r, "coverage_p05"),
                        cell(tr[i], r, "coverage_p50"), cell(tr[i], r, "coverage_p95"));
                ymin = fmin(ymin, num(tr[i], r, "coverage_p05"));
                ymax = fmax(ymax, num(tr[i], r, "coverage_p95"));
            }
            fclose(m);
            char dname[340];
            snprintf(dname, sizeof dname, "%s-%d.dat", st, i + 1);
            ok = write_file(c, dname, dat);
            free(dat);
            gp_escape(cell(idx, i, "scenario"), esc, sizeof esc);
            pl += (size_t)snprintf(plots + pl, pl < sizeof plots ? sizeof plots - pl : 0,
                                   "%s'%s' using 1:2:4 with filledcurves lc rgb %s notitle, "
                                   "'' using 1:3 with lines lw 2.5 lc rgb %s title \"%s\"",
                                   i ? ", \\\n     " : "", dname, COLOURS[i % 6], COLOURS[i % 6], esc);
        }
        gp_escape(unit, esc, sizeof esc);
        snprintf(title, sizeof title, c->L->compare_title, esc);
        target_marks(c, tg[0], level, unit, title, sizeof title, marks, sizeof marks, &ymin, &ymax, true);
        var v[MAX_VARS];
        int n = 0;
        common_vars(c, v, &n, st, 1100, 680);
        setv(v, &n, "TITLE", "%s", title);
        setv(v, &n, "MARKS", "%s", marks);
        setv(v, &n, "PLOTS", "%s", plots);
        setv(v, &n, "XLABEL", "%s", c->L->month_axis);
        setv(v, &n, "YLABEL", "%s", c->L->coverage_axis);
        setv(v, &n, "YMIN", "%g", fmax(0, floor(ymin - 1)));
        setv(v, &n, "YMAX", "%g", fmin(100, ceil(ymax + 1)));
        setv(v, &n, "KEY", "outside right top vertical");
        ok = ok && render(c, "compare", st, v, n);
        r0 = r1;
    }
    /* bars: each target and unit above the commune (or selected), each scenario */
    if (ok) {
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        int rows = 0;
        for (long r = 0; r < tg[0]->nrows; r++) {
            if (!selected(c, cell(tg[0], r, "level"), cell(tg[0], r, "unit"), has_levels)) continue;
            long k[16];
            bool everywhere = true;
            for (int i = 0; i < ns; i++) {   /* the same target and unit in every scenario */
                k[i] = -1;
                for (long q = 0; q < tg[i]->nrows && k[i] < 0; q++)
                    if (!strcmp(cell(tg[i], q, "target"), cell(tg[0], r, "target"))
                        && !strcmp(cell(tg[i], q, "unit"), cell(tg[0], r, "unit"))
                        && !strcmp(cell(tg[i], q, "level"), cell(tg[0], r, "level"))) k[i] = q;
                everywhere = everywhere && k[i] >= 0;
            }
            if (!everywhere) continue;
            char lab[512];
            gp_escape(cell(tg[0], r, "target"), lab, sizeof lab);
            fprintf(m, "\"%s — ", lab);
            gp_escape(cell(tg[0], r, "unit"), lab, sizeof lab);
            fprintf(m, "%s\"", lab);
            for (int i = 0; i < ns; i++)
                fprintf(m, ",%s,%s,%s", cell(tg[i], k[i], "probability"), cell(tg[i], k[i], "probability_lo"),
                        cell(tg[i], k[i], "probability_hi"));
            fputc('\n', m);
            rows++;
        }
        fclose(m);
        char st[320];
        stem(c, "compare-bars", "targets", NULL, st, sizeof st);
        char dname[340], plots[4096] = "", esc[512];
        snprintf(dname, sizeof dname, "%s.dat", st);
        ok = write_file(c, dname, dat);
        free(dat);
        size_t pl = 0;
        for (int i = 0; i < ns; i++) {
            gp_escape(cell(idx, i, "scenario"), esc, sizeof esc);
            pl += (size_t)snprintf(plots + pl, pl < sizeof plots ? sizeof plots - pl : 0,
                                   "%s'%s' using %d:%d:%d%s lc rgb %s title \"%s\"", i ? ", " : "",
                                   i ? "" : dname, 2 + 3 * i, 3 + 3 * i, 4 + 3 * i, i ? "" : ":xtic(1)",
                                   COLOURS[i % 6], esc);
        }
        var v[MAX_VARS];
        int n = 0;
        common_vars(c, v, &n, st, (int)fmax(900, 160 + 90.0 * rows * ns), 620);
        setv(v, &n, "TITLE", "%s", c->L->bars_title);
        setv(v, &n, "YLABEL", "%s", c->L->probability_axis);
        setv(v, &n, "PLOTS", "%s", plots);
        ok = ok && (rows == 0 || render(c, "compare-bars", st, v, n));   /* no shared target: no bars */
    }
    for (int i = 0; i < ns; i++) { cov_csv_free(tr[i]); cov_csv_free(tg[i]); }
    cov_csv_free(idx);
    return ok;
}

static bool plot_sweep(ctx *c)
{
    cov_csv *sw = read_table(c, "sweep.csv", true);
    if (!sw) return false;
    bool ok = true, has_levels = false;
    for (long r = 0; r < sw->nrows && !has_levels; r++) {
        const char *lv = cell(sw, r, "level");
        has_levels = strcmp(lv, "commune") && strcmp(lv, "all");
    }
    /* rows are value-major: collect each (target, level, unit) across values */
    for (long r0 = 0; ok && r0 < sw->nrows; r0++) {
        if (strcmp(cell(sw, r0, "value"), cell(sw, 0, "value"))) break;   /* first value's rows only */
        const char *target = cell(sw, r0, "target"), *level = cell(sw, r0, "level"), *unit = cell(sw, r0, "unit");
        if (!selected(c, level, unit, has_levels)) continue;
        char st[320], both[256];
        snprintf(both, sizeof both, "%s-%s", target, level);
        stem(c, "sweep", both, unit, st, sizeof st);
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        fputs("# value,probability,probability_lo,probability_hi\n", m);
        for (long r = 0; r < sw->nrows; r++)
            if (!strcmp(cell(sw, r, "target"), target) && !strcmp(cell(sw, r, "level"), level)
                && !strcmp(cell(sw, r, "unit"), unit))
                fprintf(m, "%s,%s,%s,%s\n", cell(sw, r, "value"), cell(sw, r, "probability"),
                        cell(sw, r, "probability_lo"), cell(sw, r, "probability_hi"));
        char title[1024], esc[256], lever[256];
        ok = write_dat(c, st, m, &dat);
        gp_escape(unit, esc, sizeof esc);
        gp_escape(cell(sw, r0, "lever"), lever, sizeof lever);
        snprintf(title, sizeof title, c->L->sweep_title, esc, lever);
        var v[MAX_VARS];
        int n = 0;
        common_vars(c, v, &n, st, 1000, 600);
        setv(v, &n, "TITLE", "%s — %s", title, target);
        setv(v, &n, "XLABEL", "%s", lever);
        setv(v, &n, "YLABEL", "%s", c->L->probability_axis);
        setv(v, &n, "CURVE", "%s", c->L->sweep_curve);
        ok = ok && render(c, "sweep", st, v, n);
    }
    cov_csv_free(sw);
    return ok;
}

/* One square backtest chart: data text, template, title and axes. */
static bool square_chart(ctx *c, const char *tpl, const char *dat, const char *title, const char *xl, const char *yl)
{
    char st[320], dname[340];
    stem(c, tpl, !strcmp(tpl, "backtest") ? "intervals" : "thresholds", NULL, st, sizeof st);
    snprintf(dname, sizeof dname, "%s.dat", st);
    if (!write_file(c, dname, dat)) return false;
    var v[MAX_VARS];
    int n = 0;
    common_vars(c, v, &n, st, 700, 700);
    setv(v, &n, "TITLE", "%s", title);
    setv(v, &n, "XLABEL", "%s", xl);
    setv(v, &n, "YLABEL", "%s", yl);
    setv(v, &n, "DIAGONAL", "%s", !strcmp(c->L->code, "vi") ? "Trung thực" : "Honest");
    setv(v, &n, "CURVE", "%s", "covcast");
    return render(c, tpl, st, v, n);
}

static bool plot_backtest(ctx *c)
{
    cov_csv *bt = read_table(c, "backtest.csv", true), *rl = bt ? read_table(c, "reliability.csv", false) : NULL;
    if (!bt) return false;
    bool vi = !strcmp(c->L->code, "vi");
    char *dat = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&dat, &cap);
    fputs("# nominal,observed\n", m);
    for (long r = 0; r < bt->nrows; r++) fprintf(m, "%s,%s\n", cell(bt, r, "nominal"), cell(bt, r, "observed"));
    fclose(m);
    bool ok = square_chart(c, "backtest", dat,
                           vi ? "Khoảng dự báo có trung thực? (kiểm tra ngược)" : "Are the intervals honest? (backtest)",
                           vi ? "Mức danh nghĩa của khoảng" : "Nominal level of the interval",
                           vi ? "Tỷ lệ điểm thực tế nằm trong khoảng" : "Share of held-out points inside");
    free(dat);
    if (ok && rl) {
        dat = NULL; cap = 0;
        m = open_memstream(&dat, &cap);
        fputs("# forecast_mean,observed_rate,n\n", m);
        for (long r = 0; r < rl->nrows; r++)
            if (strcmp(cell(rl, r, "forecast_bin"), "brier"))
                fprintf(m, "%s,%s,%s\n", cell(rl, r, "forecast_mean"), cell(rl, r, "observed_rate"), cell(rl, r, "n"));
        fclose(m);
        ok = square_chart(c, "reliability", dat,
                          vi ? "Độ tin cậy của xác suất (kiểm tra ngược)" : "Reliability of the probabilities (backtest)",
                          vi ? "Xác suất dự báo" : "Forecast probability",
                          vi ? "Tần suất xảy ra thực tế" : "Observed frequency");
        free(dat);
    }
    cov_csv_free(bt);
    cov_csv_free(rl);
    return ok;
}

/* ---- entry ------------------------------------------------------------------ */

/* The templates: $COVCAST_PLOTS, else plots/ beside the executable, else ./plots. */
static void find_templates(char *out, size_t n)
{
    const char *env = getenv("COVCAST_PLOTS");
    if (env && *env) { snprintf(out, n, "%s", env); return; }
    char exe[3800];
    ssize_t l = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (l > 0) {
        exe[l] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash) {
            *slash = '\0';
            snprintf(out, n, "%s/plots", exe);
            char probe[4200];
            snprintf(probe, sizeof probe, "%s/fan.gp", out);
            if (access(probe, R_OK) == 0) return;
            snprintf(out, n, "%s/../plots", exe);   /* build-asan/covcast */
            snprintf(probe, sizeof probe, "%s/fan.gp", out);
            if (access(probe, R_OK) == 0) return;
        }
    }
    snprintf(out, n, "plots");
}

static bool copy_common(ctx *c)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/common.gp", c->tpl_dir);
    FILE *f = fopen(path, "rb");
    if (!f) {
        cov_diag_add(c->d, COV_EIO, path, 0, 0, 0, "cannot read the chart template: %s", strerror(errno));
        return false;
    }
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    return write_file(c, "common.gp", buf);
}

/* Checks the options and the folder; returns its kind (1 run, 2 compare,
 * 3 sweep) or 0 with d filled. */
static int prepare(ctx *c, const char *dir, const cov_plot_opts *o, char *tpl, size_t tn, cov_diag *d)
{
    c->dir = dir;
    c->format = o && o->format ? o->format : "png";
    c->L = cov_lang_get(o ? o->lang : NULL);
    c->units = o ? o->units : NULL;
    c->d = d;
    if (!c->L) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "--lang must be vi or en, got \"%s\"", o->lang);
        return 0;
    }
    if (strcmp(c->format, "png") && strcmp(c->format, "svg") && strcmp(c->format, "pdf")) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "--format must be png, svg or pdf, got \"%s\"", c->format);
        return 0;
    }
    find_templates(tpl, tn);
    c->tpl_dir = tpl;
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        cov_diag_add(d, COV_EIO, dir, 0, 0, 0, "no such results folder (give the folder a run, compare or sweep wrote)");
        return 0;
    }
    static const char *files[4] = { "trajectories.csv", "compare.csv", "sweep.csv", "backtest.csv" };
    for (int k = 0; k < 4; k++) {
        char probe[4200];
        snprintf(probe, sizeof probe, "%s/%s", dir, files[k]);
        if (access(probe, R_OK) == 0) return k + 1;
    }
    cov_diag_add(d, COV_EINPUT, dir, 0, 0, 0,
                 "this folder has no trajectories.csv, compare.csv, sweep.csv or backtest.csv: give a folder "
                 "that covcast run, compare, sweep or backtest wrote");
    return 0;
}

static bool draw(ctx *c, int kind)
{
    return copy_common(c) && (kind == 1 ? plot_run(c) : kind == 2 ? plot_compare(c) : kind == 3 ? plot_sweep(c)
                                                     : plot_backtest(c));
}

cov_status cov_plot(const char *dir, const cov_plot_opts *o, void *log, cov_diag *d)
{
    ctx c = { .log = log };
    char tpl[4096];
    int kind = prepare(&c, dir, o, tpl, sizeof tpl, d);
    if (!kind) return d->status;
    char out[4200];
    snprintf(out, sizeof out, "%s/plots", dir);
    cov_outdir *od = cov_outdir_begin(out, d);
    if (!od) return COV_EIO;
    c.tmp = cov_outdir_path(od);
    if (!draw(&c, kind)) {
        cov_outdir_abort(od);
        return d->status ? d->status : COV_EIO;
    }
    if (c.log) fprintf(c.log, "%d chart%s in %s/\n", c.charts, c.charts == 1 ? "" : "s", out);
    return cov_outdir_commit(od, d);
}

cov_status cov_plot_svgs(const char *dir, const char *lang, cov_chart **charts, int *n, cov_diag *d)
{
    ctx c = { 0 };
    char tpl[4096], out[4200];
    cov_plot_opts o = { .format = "svg", .lang = lang };
    c.scale = 0.72;
    *charts = NULL;
    *n = 0;
    if (prepare(&c, dir, &o, tpl, sizeof tpl, d) != 1) {
        if (!d->n) cov_diag_add(d, COV_EINPUT, dir, 0, 0, 0, "a report needs a run folder (with trajectories.csv)");
        return d->status;
    }
    snprintf(out, sizeof out, "%s/.report-charts", dir);
    cov_outdir *od = cov_outdir_begin(out, d);
    if (!od) return COV_EIO;
    c.tmp = cov_outdir_path(od);
    bool ok = draw(&c, 1);
    cov_chart *v = ok ? calloc((size_t)c.nnames + 1, sizeof *v) : NULL;
    for (int i = 0; ok && v && i < c.nnames; i++) {   /* in the order drawn */
        char path[4400];
        snprintf(path, sizeof path, "%s/%s.svg", c.tmp, c.names[i]);
        FILE *f = fopen(path, "rb");
        if (!f) continue;
        size_t cap = 0;
        v[*n].svg = NULL;
        if (getdelim(&v[*n].svg, &cap, '\0', f) > 0) {
            snprintf(v[*n].name, sizeof v[*n].name, "%s", c.names[i]);
            (*n)++;
        } else {
            free(v[*n].svg);
        }
        fclose(f);
    }
    cov_outdir_abort(od);   /* the SVGs live on inside the report only */
    if (!ok || !v) {
        free(v);
        return d->status ? d->status : COV_ELIMIT;
    }
    *charts = v;
    return COV_OK;
}
