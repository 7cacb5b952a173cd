/* plot.c — `covcast plot`: reads a finished run, comparison or sweep
 * folder and writes DIR/plots/, one gnuplot script (.gp, filled from the
 * templates in plots/), data file (.dat) and image per chart, so an analyst
 * can edit a script and re-render it with plain gnuplot.
 *
 * Text from the folder (names and labels of units, groups, targets,
 * scenarios, levers, months) reaches a script only inside gnuplot
 * double-quoted strings, written by gp_str(): every byte that gnuplot could
 * act on (backquote, @, $, quotes, backslash, newline, control bytes) is an
 * octal escape there, so a name never runs a command, whatever its bytes. Data files hold numbers and
 * months only; names on an axis come from a string array in the script. */
#define _GNU_SOURCE
#include "plot.h"
#include "csvread.h"
#include "csvwrite.h"
#include "lang.h"
#include "outdir.h"
#include "text.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <unistr.h>

#define MAX_VARS 24
#define NAME_BYTES 480           /* a name as shown in a chart, at most (longer ones end with "…") */

typedef struct {
    const char *dir;             /* the run folder */
    const char *tmp;             /* the plots folder being written */
    const char *format;
    const cov_lang *L;
    const char *units;
    const char *tpl_dir;         /* where the templates are */
    bool scripts_only;           /* write .gp and .dat files, do not run gnuplot */
    FILE *log;
    double scale;                /* chart size factor (the report draws smaller, larger-print charts) */
    cov_csv *hist;               /* history.csv of a run folder, or NULL */
    const char *base_dir;        /* --baseline: another run folder, or NULL */
    cov_csv *base;               /* its trajectories.csv */
    cov_diag *d;
    int charts;
    char names[256][96];         /* file stems used, to keep them unique */
    int nnames;
} ctx;

/* A template's {{KEY}} and its text (malloc'd). */
typedef struct { const char *key; char *val; } var;
typedef struct { var v[MAX_VARS]; int n; bool nomem; } vars;

/* ---- text that reaches a chart ------------------------------------------ */

/* Is u a character shown as itself: not a control character (C0, DEL, C1),
 * not a bidirectional override or isolate, not a noncharacter XML forbids? */
static bool printable(ucs4_t u)
{
    return u >= 0x20 && u != 0x7f && !(u >= 0x80 && u < 0xa0) && !(u >= 0x202a && u <= 0x202e)
           && !(u >= 0x2066 && u <= 0x2069) && u != 0xfffe && u != 0xffff;
}

/* Length of the printable UTF-8 character at s (n bytes left), or 0. */
static int printable_at(const char *s, size_t n)
{
    ucs4_t u;
    int k = u8_mbtoucr(&u, (const uint8_t *)s, n);
    return k > 0 && printable(u) ? k : 0;
}

/* The display form of the byte or character at s (n bytes left) in e;
 * returns how many bytes of s it stands for. */
static size_t visible_piece(const char *s, size_t n, char e[8])
{
    int k = printable_at(s, n);
    if (k > 0) {
        memcpy(e, s, (size_t)k);
        e[k] = '\0';
        return (size_t)k;
    }
    unsigned char b = (unsigned char)s[0];
    if (b == '\n') strcpy(e, "\\n");
    else if (b == '\t') strcpy(e, "\\t");
    else if (b == '\r') strcpy(e, "\\r");
    else snprintf(e, 8, "\\x%02X", b);
    return 1;
}

void cov_plot_visible(const char *s, char *out, size_t n)
{
    if (!n) return;
    size_t len = strlen(s), total = 0;
    char e[8];
    for (size_t i = 0; i < len;) {
        i += visible_piece(s + i, len - i, e);
        total += strlen(e);
    }
    bool cut = total > n - 1;
    size_t limit = cut && n > 4 ? n - 4 : n - 1, j = 0;
    for (size_t i = 0; i < len;) {
        i += visible_piece(s + i, len - i, e);
        size_t el = strlen(e);
        if (j + el > limit) break;
        memcpy(out + j, e, el);
        j += el;
    }
    if (cut && n > 4) { memcpy(out + j, "…", 3); j += 3; }
    out[j] = '\0';
}

/* Is byte b written as itself inside a gnuplot string: a letter, a digit,
 * a space or punctuation that means nothing there? */
static bool gp_plain(unsigned char b)
{
    return (b >= 'a' && b <= 'z') || (b >= 'A' && b <= 'Z') || (b >= '0' && b <= '9')
           || (b && strchr(" .,:;-_()[]/+=%*?<>&!~|", b));
}

/* Writes text s as the inside of a gnuplot double-quoted string literal:
 * plain bytes and printable UTF-8 characters as they are; every other
 * ASCII byte (quotes, backslash, backquote, @, $, #, newline) as an octal
 * escape \ooo, which gnuplot reads back as that byte and never substitutes
 * or expands; a control byte other than newline, a byte that is not UTF-8,
 * or the > of "]]>" (which no SVG text may hold), as the visible text \xHH.
 * The only function that puts text into a script. */
static void gp_str(FILE *m, const char *s)
{
    size_t len = strlen(s);
    for (size_t i = 0; i < len;) {
        unsigned char b = (unsigned char)s[i];
        int k = b >= 0x80 ? printable_at(s + i, len - i) : 0;
        if (b == '>' && i >= 2 && s[i - 1] == ']' && s[i - 2] == ']') fputs("\\134x3E", m);
        else if (gp_plain(b)) fputc(b, m);
        else if (k > 0) { fwrite(s + i, 1, (size_t)k, m); i += (size_t)k; continue; }
        else if (b == '\n' || (b >= 0x20 && b < 0x7f)) fprintf(m, "\\%03o", b);
        else fprintf(m, "\\134x%02X", b);
        i++;
    }
}

/* Is a filled-in value inert for gnuplot: no backquote (command
 * substitution), no @ (macro), no control byte other than newline or tab? */
static bool inert(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p == '`' || *p == '@' || (*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f) return false;
    return true;
}

/* ---- small helpers ---------------------------------------------------- */

/* Short names for the readers of a results file's cells (csvread.h). */
static const char *cell(const cov_csv *t, long r, const char *col) { return cov_csv_named(t, r, col); }
static double num(const cov_csv *t, long r, const char *col) { return cov_csv_named_number(t, r, col); }

/* The display form of a cell (cov_plot_visible) in buf. */
static const char *vcell(const cov_csv *t, long r, const char *col, char *buf, size_t n)
{
    cov_plot_visible(cell(t, r, col), buf, n);
    return buf;
}

/* The unit of row r as a reader sees it: the whole file's unit "all" in
 * words ("Tất cả các xã, phường", "All communes"), any other by its name. */
static const char *unit_text(const ctx *c, const cov_csv *t, long r, char *buf, size_t n)
{
    if (!strcmp(cell(t, r, "level"), "all") && !strcmp(cell(t, r, "unit"), "all")) {
        snprintf(buf, n, "%s", c->L->whole);
        return buf;
    }
    return vcell(t, r, "unit", buf, n);
}

/* The display form of what a person reads for the target of row r: its
 * label column when the row has one (results written since targets carry
 * labels), else its key. */
static const char *target_text(const cov_csv *t, long r, char *buf, size_t n)
{
    return vcell(t, r, *cell(t, r, "label") ? "label" : "target", buf, n);
}

/* Likewise for scenario i of a comparison's scenarios.csv: its label, else its name. */
static const char *scenario_text(const cov_csv *idx, long i, char *buf, size_t n)
{
    return vcell(idx, i, *cell(idx, i, "label") ? "label" : "scenario", buf, n);
}

/* The display form of a sweep's lever in row r: "Chiến dịch cao điểm
 * (enroll_multiplier)" when it is a key of a campaign with a label
 * (lever_label), else the key as given (campaign.peak.enroll_multiplier). */
static const char *lever_text(const cov_csv *sw, long r, char *buf, size_t n)
{
    const char *lever = cell(sw, r, "lever"), *label = cell(sw, r, "lever_label"), *dot = strrchr(lever, '.');
    if (!*label) return vcell(sw, r, "lever", buf, n);
    char *text = NULL;
    if (asprintf(&text, "%s (%s)", label, dot ? dot + 1 : lever) < 0) return vcell(sw, r, "lever", buf, n);
    cov_plot_visible(text, buf, n);
    free(text);
    return buf;
}

/* Is s a decimal number (sign, digits, point, exponent) and finite? */
static bool is_number(const char *s)
{
    if (!*s || strspn(s, "0123456789.eE+-") != strlen(s)) return false;
    char *end;
    double v = strtod(s, &end);
    return *end == '\0' && isfinite(v);
}

/* Is s a month YYYY-MM? */
static bool is_month(const char *s)
{
    return strlen(s) == 7 && strspn(s, "0123456789") == 4 && s[4] == '-' && strspn(s + 5, "0123456789") == 2
           && ((s[5] == '0' && s[6] >= '1') || (s[5] == '1' && s[6] <= '2'));
}

/* Writes a data cell: a decimal number as it is, anything else as NaN
 * (no point), so no text of a results file can reach or break a .dat row. */
static void dat_num(FILE *m, const char *s, bool first)
{
    if (!first) fputc(',', m);
    fputs(is_number(s) ? s : "NaN", m);
}

/* Records that a month cell of t is not YYYY-MM; returns false. */
static bool bad_month(ctx *c, const cov_csv *t, long r, const char *col)
{
    int j = cov_csv_column(t, col);
    const cov_field *f = j < 0 ? NULL : cov_csv_cell(t, r, j);
    cov_diag_add(c->d, COV_EINPUT, t->path, f ? f->line : 0, f ? f->col : 0, 0,
                 "%s is not a month written YYYY-MM: this file was not written by covcast, or was edited", col);
    return false;
}

/* Table name of folder dir; NULL when it is not there and not required,
 * or when it cannot be read whole (in c->d). */
static cov_csv *read_table_in(ctx *c, const char *dir, const char *name, bool required)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (!required && access(path, R_OK) != 0) return NULL;
    int before = c->d->n + c->d->dropped;
    cov_csv *t = cov_csv_read(path, c->d);
    if (t && c->d->n + c->d->dropped > before) { cov_csv_free(t); return NULL; }   /* rows left out: not drawn from */
    return t;
}

static cov_csv *read_table(ctx *c, const char *name, bool required)
{
    return read_table_in(c, c->dir, name, required);
}

/* A file stem from a level and a unit: "fan-district-huyen-nam-truc". */
static void stem(ctx *c, const char *kind, const char *a, const char *b, char *out, size_t n)
{
    char fa[96], fb[96], all[256];
    cov_fold(a, fa, sizeof fa);
    cov_fold(b ? b : "", fb, sizeof fb);
    snprintf(all, sizeof all, "%s-%s%s%s", kind, fa, b ? "-" : "", fb);
    snprintf(out, n, "%.80s", all);   /* room for "-2" and ".svg" in names[] */
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
    if (!f || fputs(text ? text : "", f) < 0 || fclose(f) != 0) {
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

/* ---- templates ------------------------------------------------------------ */

/* Sets KEY to script text made here (numbers, a terminal, plot clauses),
 * replacing an earlier value of KEY. */
static void setv(vars *v, const char *key, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void setv(vars *v, const char *key, const char *fmt, ...)
{
    int i = 0;
    while (i < v->n && strcmp(v->v[i].key, key)) i++;
    if (i == MAX_VARS) { v->nomem = true; return; }
    char *s = NULL;
    va_list ap;
    va_start(ap, fmt);
    if (vasprintf(&s, fmt, ap) < 0) { s = NULL; v->nomem = true; }
    va_end(ap);
    if (i < v->n) free(v->v[i].val);
    else v->n++;
    v->v[i] = (var){ key, s };
}

/* Sets KEY, which the template puts between double quotes, to text. */
static void sets(vars *v, const char *key, const char *text)
{
    char *s = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&s, &cap);
    if (!m) { v->nomem = true; return; }
    gp_str(m, text);
    fclose(m);
    setv(v, key, "%s", s ? s : "");
    free(s);
}

/* Sets KEY to script text made here and held in a memory stream's buffer;
 * NULL (no memory) keeps the chart from being drawn. */
static void setraw(vars *v, const char *key, const char *text)
{
    if (text) setv(v, key, "%s", text);
    else v->nomem = true;
}

static void vars_free(vars *v)
{
    for (int i = 0; i < v->n; i++) free(v->v[i].val);
    v->n = 0;
}

/* Template text tpl with each {{KEY}} replaced by its value ({{SELF}}: the
 * script's own file name; an unknown key: nothing). Malloc'd; NULL on no
 * memory. */
static char *fill(const char *tpl, const vars *v, const char *self)
{
    char *text = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&text, &cap);
    if (!m) return NULL;
    for (const char *p = tpl; *p;) {
        const char *end = p[0] == '{' && p[1] == '{' ? strstr(p + 2, "}}") : NULL;
        if (!end) { fputc(*p++, m); continue; }
        size_t k = (size_t)(end - p - 2);
        if (k == 4 && !strncmp(p + 2, "SELF", 4)) fprintf(m, "%s.gp", self);
        for (int i = 0; i < v->n; i++)
            if (strlen(v->v[i].key) == k && !strncmp(v->v[i].key, p + 2, k) && v->v[i].val) fputs(v->v[i].val, m);
        p = end + 2;
    }
    fclose(m);
    return text;
}

/* The path of program name in $PATH (as execvp would find it) into buf;
 * false when there is none. */
static bool in_path(const char *name, char *buf, size_t n)
{
    const char *path = getenv("PATH");
    if (!path || !*path) path = "/usr/local/bin:/usr/bin:/bin";
    for (const char *p = path;; ) {
        const char *end = strchr(p, ':');
        size_t len = end ? (size_t)(end - p) : strlen(p);
        snprintf(buf, n, "%.*s%s%s", (int)len, p, len ? "/" : "", name);
        if (access(buf, X_OK) == 0) return true;
        if (!end) return false;
        p = end + 1;
    }
}

/* Runs gnuplot on the script gp in the plots folder; false with the
 * error gnuplot gave. gnuplot dies with this process, even when it is
 * killed (a server that starts `covcast plot` can be): it is forked with
 * PR_SET_PDEATHSIG, which it keeps through exec. */
static bool run_gnuplot(ctx *c, const char *gp)
{
    char found[4096], exe[PATH_MAX];
    if (!in_path("gnuplot", found, sizeof found) || !realpath(found, exe)) {   /* absolute: the child changes folder */
        cov_diag_add(c->d, COV_EIO, NULL, 0, 0, 0,
                     "cannot run gnuplot (%s): install it with 'apt-get install gnuplot-nox'", strerror(ENOENT));
        return false;
    }
    char *argv[] = { "gnuplot", (char *)gp, NULL };
    int report[2];   /* the child's errno when it cannot start gnuplot; closed by a good exec */
    if (pipe2(report, O_CLOEXEC) != 0) {
        cov_diag_add(c->d, COV_EIO, NULL, 0, 0, 0, "cannot run gnuplot (%s)", strerror(errno));
        return false;
    }
    pid_t parent = getpid(), pid = fork();
    if (pid == 0) {   /* only async-signal-safe calls until exec */
        int err = 0;
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != parent) _exit(127);   /* the parent is gone already */
        int out = open("/dev/null", O_WRONLY | O_CLOEXEC);
        if (chdir(c->tmp) != 0) err = errno;
        int e2 = err ? -1 : open(".gnuplot-errors", O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
        if (!err && (out < 0 || e2 < 0 || dup2(out, 1) < 0 || dup2(e2, 2) < 0)) err = errno;
        if (!err) { execv(exe, argv); err = errno; }
        ssize_t w = write(report[1], &err, sizeof err);
        (void)w;
        _exit(127);
    }
    close(report[1]);
    int err = 0, status = 0;
    ssize_t got = pid > 0 ? read(report[0], &err, sizeof err) : -1;
    close(report[0]);
    if (pid < 0 || got > 0) {
        if (pid > 0) waitpid(pid, &status, 0);
        cov_diag_add(c->d, COV_EIO, NULL, 0, 0, 0, "cannot run gnuplot (%s): install it with 'apt-get install gnuplot-nox'",
                     strerror(pid < 0 ? errno : err));
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
    if (!good) {
        char shown[2048];
        cov_plot_visible(msg ? msg : "no message", shown, sizeof shown);
        cov_diag_add(c->d, COV_EINTERNAL, NULL, 0, 0, 0, "gnuplot failed on %s: %s", gp, shown);
    }
    free(msg);
    return good;
}

/* Fills template TPL.gp with v into STEM.gp and runs gnuplot on it in the
 * plots folder (unless scripts only). A value that is not inert is refused
 * before anything runs. Frees the values. */
static bool render(ctx *c, const char *tpl, const char *stem_name, vars *v)
{
    char path[4096], gp[256];
    snprintf(path, sizeof path, "%s/%s.gp", c->tpl_dir, tpl);
    snprintf(gp, sizeof gp, "%s.gp", stem_name);
    FILE *f = fopen(path, "rb");
    char *t = NULL, *text = NULL;
    size_t tcap = 0;
    if (!f || getdelim(&t, &tcap, '\0', f) < 0) {
        cov_diag_add(c->d, COV_EIO, path, 0, 0, 0, "cannot read the chart template: %s", strerror(errno));
        if (f) fclose(f);
        free(t);
        vars_free(v);
        return false;
    }
    fclose(f);
    bool ok = !v->nomem && (text = fill(t, v, stem_name)) != NULL;
    if (!ok) cov_diag_add(c->d, COV_ELIMIT, NULL, 0, 0, 0, "out of memory while writing %s", gp);
    for (int i = 0; ok && i < v->n; i++)
        if (!inert(v->v[i].val)) {   /* a bug in this file, never the data's fault: refuse, run nothing */
            cov_diag_add(c->d, COV_EINTERNAL, NULL, 0, 0, 0,
                         "%s: the text for {{%s}} has a backquote, an @ or a control character that gnuplot "
                         "could act on; nothing was drawn (please report this with the results folder)",
                         gp, v->v[i].key);
            ok = false;
        }
    ok = ok && write_file(c, gp, text) && (c->scripts_only || run_gnuplot(c, gp));
    if (ok) {
        c->charts++;
        if (c->log) fprintf(c->log, "  %s.%s\n", stem_name, c->scripts_only ? "gp" : c->format);
    }
    free(t);
    free(text);
    vars_free(v);
    return ok;
}

static void common_vars(ctx *c, vars *v, const char *stem_name, int w, int h)
{
    char term[256], name[340];
    terminal(c, w, h, term, sizeof term);
    setv(v, "TERMINAL", "%s", term);
    snprintf(name, sizeof name, "%s.%s", stem_name, c->format);
    sets(v, "OUTPUT", name);
    snprintf(name, sizeof name, "%s.dat", stem_name);
    sets(v, "DATA", name);
    sets(v, "DECIMAL", (char[2]){ c->L->decimal, '\0' });
}

/* Appends a gnuplot array of the texts (each a double-quoted string) to m,
 * several to a line. */
static void gp_array(FILE *m, const char *name, char **texts, long n)
{
    fprintf(m, "array %s[%ld] = [", name, n);
    for (long i = 0; i < n; i++) {
        fputs(i == 0 ? "" : i % 4 ? ", " : ", \\\n    ", m);
        fputc('"', m);
        gp_str(m, texts[i]);
        fputc('"', m);
    }
    fputs("]\n", m);
}

/* ---- which units ---------------------------------------------------------- */

/* Does a level above the commune hold a single unit in table t (a district
 * file's district, Ninh Bình's province)? Then that unit is the same people
 * as "all", which is not charted twice; a file of 34 provinces gets its
 * national chart as well. */
static bool one_unit_level(const cov_csv *t)
{
    enum { L = 16 };
    const char *lv[L], *first[L];
    bool several[L];
    int n = 0;
    for (long r = 0; r < t->nrows; r++) {
        const char *level = cell(t, r, "level"), *unit = cell(t, r, "unit");
        if (!strcmp(level, "commune") || !strcmp(level, "all")) continue;
        int k = 0;
        while (k < n && strcmp(lv[k], level)) k++;
        if (k == n) {
            if (n == L) return false;   /* more levels than a population has: not reached */
            lv[n] = level; first[n] = unit; several[n++] = false;
        } else if (!several[k] && strcmp(first[k], unit)) several[k] = true;
    }
    for (int k = 0; k < n; k++)
        if (!several[k]) return true;
    return false;
}

/* Is this (level, unit) charted? Levels above the commune always (but "all"
 * only when no level above the commune has a single unit: one_unit_level);
 * communes with --units all or by name. */
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

/* Does every name of --units name a unit of table t? An error naming the
 * first one that does not, with the closest units there, otherwise. */
static bool units_known(ctx *c, const cov_csv *t)
{
    if (!c->units || !strcmp(c->units, "all")) return true;
    char **items;
    int n = cov_split(c->units, &items);
    if (n < 0) { cov_diag_add(c->d, COV_ELIMIT, NULL, 0, 0, 0, "out of memory"); return false; }
    bool ok = n > 0;
    if (!ok) cov_diag_add(c->d, COV_EUSAGE, NULL, 0, 0, 0, "--units: give all, or unit names separated by ';'");
    for (int i = 0; ok && i < n; i++) {
        long r = 0;
        while (r < t->nrows && strcmp(cell(t, r, "unit"), items[i])) r++;
        if (r < t->nrows) continue;
        /* the closest names, by edit distance of their folded forms */
        enum { K = 5 };
        long best[K];
        int dist[K], nb = 0;
        char fi[96], fu[96];
        cov_fold(items[i], fi, sizeof fi);
        for (long q = 0; q < t->nrows; q++) {
            const char *u = cell(t, q, "unit");
            bool seen = false;
            for (int k = 0; k < nb && !seen; k++) seen = !strcmp(cell(t, best[k], "unit"), u);
            if (seen || !*u) continue;
            cov_fold(u, fu, sizeof fu);
            int dq = cov_edit_distance(fi, fu), k;
            if (nb < K) k = nb++;
            else if (dq < dist[K - 1]) k = K - 1;
            else continue;
            for (; k > 0 && dist[k - 1] > dq; k--) { best[k] = best[k - 1]; dist[k] = dist[k - 1]; }
            best[k] = q;
            dist[k] = dq;
        }
        char shown[NAME_BYTES], list[4 * NAME_BYTES] = "", one[NAME_BYTES];
        size_t l = 0;
        for (int k = 0; k < nb; k++) {
            cov_plot_visible(cell(t, best[k], "unit"), one, 120);
            l += (size_t)snprintf(list + l, l < sizeof list ? sizeof list - l : 0, "%s\"%s\"", k ? ", " : "", one);
        }
        cov_plot_visible(items[i], shown, sizeof shown);
        cov_diag_add(c->d, COV_EUSAGE, NULL, 0, 0, 0,
                     "--units: no unit is named \"%s\" in %s; the closest are %s (names are separated by ';', "
                     "or give --units all)", shown, t->path, nb ? list : "none");
        ok = false;
    }
    cov_split_free(items, n);
    return ok;
}

/* A threshold cell as the language writes it (85,2%). */
static void pct(const ctx *c, const cov_csv *t, long r, char *buf, size_t n)
{
    cov_fmt_pct(c->L, num(t, r, "threshold"), buf, n);
}

/* A month cell as the language writes it (12/2018), for display. */
static void month_text(const cov_csv *t, long r, const char *col, char *buf, size_t n)
{
    char shown[NAME_BYTES];
    cov_fmt_month(vcell(t, r, col, shown, sizeof shown), buf, n);
}

/* Appends to title (text) a line for each target of this unit, three at
 * most, and to marks (script) each whole-unit target's threshold, dashed,
 * and on a time axis its deadline, dotted. */
static void target_marks(ctx *c, const cov_csv *tg, const char *level, const char *unit,
                         char *title, size_t tn, FILE *marks, double *ymin, double *ymax, bool time_axis)
{
    size_t tl = strlen(title);
    int shown = 0;
    for (long r = 0; tg && r < tg->nrows; r++) {
        if (strcmp(cell(tg, r, "level"), level) || strcmp(cell(tg, r, "unit"), unit)) continue;
        double thr = num(tg, r, "threshold");
        const char *deadline = cell(tg, r, "deadline");
        bool whole = !strcmp(cell(tg, r, "group"), "all");
        char th[32], dl[NAME_BYTES], p[16], lo[16], hi[16], name[2 * NAME_BYTES + 8], grp[NAME_BYTES];
        char line[4 * NAME_BYTES];
        pct(c, tg, r, th, sizeof th);
        month_text(tg, r, "deadline", dl, sizeof dl);
        cov_fmt_num(c->L, num(tg, r, "probability"), 3, p, sizeof p);
        cov_fmt_num(c->L, num(tg, r, "probability_lo"), 3, lo, sizeof lo);
        cov_fmt_num(c->L, num(tg, r, "probability_hi"), 3, hi, sizeof hi);
        target_text(tg, r, name, NAME_BYTES);
        if (!whole) {
            size_t l = strlen(name);
            snprintf(name + l, sizeof name - l, " (%s)", vcell(tg, r, "group", grp, sizeof grp));
        }
        if (shown < 3 && !is_number(cell(tg, r, "probability")))   /* a unit with no people: no probability */
            snprintf(line, sizeof line, "%s ≥ %s, %s: %s", name, th, dl, c->L->no_people);
        else if (shown < 3)
            snprintf(line, sizeof line, c->L->target_line, name, th, dl, p, lo, hi);
        if (shown < 3) {
            tl += (size_t)snprintf(title + tl, tl < tn ? tn - tl : 0, "\n%s", line);
        }
        shown++;
        if (!whole) continue;   /* a group's target: not on the whole unit's scale */
        if (thr < *ymin) *ymin = thr;
        if (thr > *ymax) *ymax = thr;
        if (!time_axis) continue;
        fprintf(marks, "set arrow from graph 0, first %g to graph 1, first %g nohead dt 2 lw 1.6 "
                       "lc rgb okabe_vermillion front\n", thr, thr);
        if (is_month(deadline)) {
            fputs("set arrow from \"", marks);
            gp_str(marks, deadline);
            fputs("\", graph 0 to \"", marks);
            gp_str(marks, deadline);
            fputs("\", graph 1 nohead dt 3 lw 1.4 lc rgb okabe_vermillion front\n", marks);
        }
        fputs("set label \"", marks);
        gp_str(marks, th);
        fprintf(marks, "\" at graph 0.01, first %g offset 0,0.6 textcolor rgb okabe_vermillion font ',10' front\n", thr);
    }
}

/* Closes memory stream m (if open) and returns its text, *text: NULL when
 * the stream could not be opened. */
static char *closed(FILE *m, char **text)
{
    if (m) fclose(m);
    return *text;
}

/* ---- run folders -------------------------------------------------------- */

/* A line beside a fan chart, from another table's rows of the same unit. */
typedef struct {
    const char *column;          /* the values drawn */
    const char *complete;        /* a column whose "0" marks a month not drawn (NaN), or NULL */
    const char *suffix;          /* the data file: STEM-SUFFIX.dat */
    const char *header;          /* its heading, after "# month," */
    const char *style;           /* how gnuplot draws it */
} line_spec;

/* Writes STEM-SUFFIX.dat from t's rows of (level, unit) and appends to the
 * plot command mo the clause that draws it, titled title; widens *ymin,
 * *ymax to its values and, with xmin, starts the axis at its first month.
 * Nothing when t has no such rows. false on a bad month or a write error. */
static bool unit_line(ctx *c, const cov_csv *t, const line_spec *ls, const char *level, const char *unit,
                      const char *st, const char *title, FILE *mo, const char **xmin, double *ymin, double *ymax)
{
    char *text = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&text, &cap);
    if (!m) return false;
    int rows = 0;
    fprintf(m, "# month,%s\n", ls->header);
    for (long r = 0; r < t->nrows; r++) {
        if (strcmp(cell(t, r, "level"), level) || strcmp(cell(t, r, "unit"), unit)) continue;
        if (!is_month(cell(t, r, "month"))) { fclose(m); free(text); return bad_month(c, t, r, "month"); }
        if (!rows && xmin) *xmin = cell(t, r, "month");
        /* a month some communes of the unit did not report: no point (its sum is not the unit's) */
        bool partial = ls->complete && !strcmp(cell(t, r, ls->complete), "0");
        fputs(cell(t, r, "month"), m);
        dat_num(m, partial ? "NaN" : cell(t, r, ls->column), false);
        fputc('\n', m);
        if (!partial) {
            *ymin = fmin(*ymin, num(t, r, ls->column));
            *ymax = fmax(*ymax, num(t, r, ls->column));
        }
        rows++;
    }
    fclose(m);
    char name[340];
    snprintf(name, sizeof name, "%s-%s.dat", st, ls->suffix);
    bool ok = !rows || write_file(c, name, text);
    free(text);
    if (ok && rows) {
        fputs(", \\\n     \"", mo);
        gp_str(mo, name);
        fprintf(mo, "\" using 1:2 with %s title \"", ls->style);
        gp_str(mo, title);
        fputc('"', mo);
    }
    return ok;
}

static bool fan_charts(ctx *c, const cov_csv *tr, const cov_csv *tg)
{
    bool has_levels = false;
    for (long r = 0; r < tr->nrows && !has_levels; r++) {
        const char *lv = cell(tr, r, "level");
        has_levels = strcmp(lv, "commune") && strcmp(lv, "all");
    }
    has_levels = has_levels && one_unit_level(tr);
    for (long r0 = 0; r0 < tr->nrows;) {
        const char *level = cell(tr, r0, "level"), *unit = cell(tr, r0, "unit");
        long r1 = r0;
        while (r1 < tr->nrows && !strcmp(cell(tr, r1, "level"), level) && !strcmp(cell(tr, r1, "unit"), unit)) r1++;
        if (!selected(c, level, unit, has_levels)) { r0 = r1; continue; }
        for (long r = r0; r < r1; r++)
            if (!is_month(cell(tr, r, "month"))) return bad_month(c, tr, r, "month");
        char st[320];
        stem(c, "fan", level, unit, st, sizeof st);
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        double ymin = 100, ymax = 0;
        fputs("# month,p05,p25,p50,p75,p95\n", m);
        static const char *cols[5] = { "coverage_p05", "coverage_p25", "coverage_p50", "coverage_p75", "coverage_p95" };
        for (long r = r0; r < r1; r++) {
            fputs(cell(tr, r, "month"), m);
            for (int k = 0; k < 5; k++) dat_num(m, cell(tr, r, cols[k]), false);
            fputc('\n', m);
            ymin = fmin(ymin, num(tr, r, "coverage_p05"));
            ymax = fmax(ymax, num(tr, r, "coverage_p95"));
        }
        if (!write_dat(c, st, m, &dat)) return false;
        char title[8192], *marks = NULL, *more = NULL;
        size_t mcap = 0;
        unit_text(c, tr, r0, title, NAME_BYTES);
        FILE *mm = open_memstream(&marks, &mcap);
        if (mm) target_marks(c, tg, level, unit, title, sizeof title, mm, &ymin, &ymax, true);
        closed(mm, &marks);
        /* what happened before the snapshot, when the run has a history; a pinned baseline's median */
        const char *xmin = cell(tr, r0, "month");
        FILE *mo = open_memstream(&more, &mcap);
        static const line_spec OBSERVED = { "coverage", "complete", "observed", "coverage (observed)",
                                            "linespoints lw 1.5 pt 5 ps 0.6 lc rgb '#222222'" };
        static const line_spec BASELINE = { "coverage_p50", NULL, "baseline", "p50 (baseline)",
                                            "lines lw 2 dt (6,4) lc rgb '#7a7a7a'" };
        if (mo && ((c->hist && !unit_line(c, c->hist, &OBSERVED, level, unit, st, c->L->observed, mo, &xmin, &ymin, &ymax))
                   || (c->base && !unit_line(c, c->base, &BASELINE, level, unit, st, c->L->baseline_median, mo, NULL,
                                             &ymin, &ymax)))) {
            closed(mo, &more); free(more); free(marks);
            return false;
        }
        closed(mo, &more);
        double lo = fmax(0, floor(ymin - 1)), hi = fmin(100, ceil(ymax + 1));
        if (hi - lo < 2) { lo = fmax(0, lo - 1); hi = fmin(100, hi + 1); }
        vars v = { .n = 0 };
        common_vars(c, &v, st, 1100, 680);
        sets(&v, "TITLE", title);
        setraw(&v, "MARKS", marks);
        sets(&v, "XLABEL", c->L->month_axis);
        sets(&v, "YLABEL", c->L->coverage_axis);
        setv(&v, "YMIN", "%g", lo);
        setv(&v, "YMAX", "%g", hi);
        sets(&v, "XMIN", xmin);
        sets(&v, "XMAX", cell(tr, r1 - 1, "month"));
        setv(&v, "KEY", "outside right top vertical");
        sets(&v, "BAND90", c->L->band90);
        sets(&v, "BAND50", c->L->band50);
        sets(&v, "MEDIAN", c->L->median);
        setraw(&v, "MORE", more);
        free(marks);
        free(more);
        if (!render(c, "fan", st, &v)) return false;
        r0 = r1;
    }
    return true;
}

typedef struct { char *name; double cards, p; } bar;
static int by_cards(const void *a, const void *b)
{
    double x = ((const bar *)a)->cards, y = ((const bar *)b)->cards;
    return x < y ? -1 : x > y;   /* ascending: gnuplot draws the first row at the bottom */
}

/* The arrays of a cards chart: each commune's name and its count of cards
 * as the language writes it, in the order of the bars. */
static char *cards_arrays(const ctx *c, const bar *b, long nb)
{
    char **names = calloc((size_t)nb, sizeof *names), **labels = calloc((size_t)nb, sizeof *labels);
    char *text = NULL;
    size_t cap = 0;
    FILE *m = names && labels ? open_memstream(&text, &cap) : NULL;
    for (long i = 0; m && i < nb; i++) {
        names[i] = b[i].name;
        labels[i] = malloc(32);
        if (labels[i]) cov_fmt_int(c->L, (long long)b[i].cards, labels[i], 32);
        else { fclose(m); m = NULL; free(text); text = NULL; }
    }
    if (m) {
        gp_array(m, "NAMES", names, nb);
        gp_array(m, "LABELS", labels, nb);
        fclose(m);
    }
    for (long i = 0; labels && i < nb; i++) free(labels[i]);
    free(names);
    free(labels);
    return text;
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
        char *names = calloc((size_t)nb, NAME_BYTES);
        if (!b || !names) { free(b); free(names); cov_diag_add(c->d, COV_ELIMIT, NULL, 0, 0, 0, "out of memory"); return false; }
        double maxc = 1;
        long wname = 8;
        for (long r = r0; r < r1; r++) {
            char *nm = names + (r - r0) * NAME_BYTES;
            vcell(tg, r, "unit", nm, NAME_BYTES);
            b[r - r0] = (bar){ nm, fmin(1e15, fmax(0, num(tg, r, "cards_needed_now"))),
                               is_number(cell(tg, r, "probability")) ? num(tg, r, "probability") : NAN };
        }
        /* a name of several communes (Xã Bình Minh of four provinces on the
         * 2025 map) is shown with its code */
        const char **keys = malloc((size_t)nb * sizeof *keys);
        bool *shared = malloc((size_t)nb * sizeof *shared);
        for (long i = 0; keys && i < nb; i++) keys[i] = names + i * NAME_BYTES;
        if (keys && shared && cov_mark_shared(keys, nb, shared))
            for (long r = r0; r < r1; r++) {
                char *nm = names + (r - r0) * NAME_BYTES;
                const char *code = cell(tg, r, "unit_code");
                size_t len = strlen(nm);
                if (shared[r - r0] && *code && len + strlen(code) + 4 <= NAME_BYTES)
                    snprintf(nm + len, NAME_BYTES - len, " (%s)", code);
            }
        free(keys);
        free(shared);
        for (long i = 0; i < nb; i++) {
            maxc = fmax(maxc, b[i].cards);
            long w = cov_utf8_width(b[i].name, strlen(b[i].name));
            if (w > wname) wname = w;
        }
        qsort(b, (size_t)nb, sizeof *b, by_cards);
        char st[320];
        stem(c, "cards", target, NULL, st, sizeof st);
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        fputs("# rank (in NAMES and LABELS of the script),cards_needed_now,probability\n", m);
        for (long i = 0; i < nb; i++) {   /* NaN: no people, no probability, no colour */
            if (isnan(b[i].p)) fprintf(m, "%ld,%.0f,NaN\n", i + 1, b[i].cards);
            else fprintf(m, "%ld,%.0f,%.4f\n", i + 1, b[i].cards, b[i].p);
        }
        char title[4 * NAME_BYTES], th[32], dl[NAME_BYTES], shown[NAME_BYTES];
        bool ok = write_dat(c, st, m, &dat);
        pct(c, tg, r0, th, sizeof th);
        month_text(tg, r0, "deadline", dl, sizeof dl);
        snprintf(title, sizeof title, c->L->cards_title, target_text(tg, r0, shown, sizeof shown), th, dl);
        char *arrays = ok ? cards_arrays(c, b, nb) : NULL;
        vars v = { .n = 0 };
        if (wname > 400) wname = 400;
        common_vars(c, &v, st, (int)(860 + 7 * (wname + 2)), (int)fmin(30000, 170 + 27 * (double)nb));   /* long names widen it */
        sets(&v, "TITLE", title);
        sets(&v, "XLABEL", c->L->cards_axis);
        sets(&v, "CBLABEL", c->L->cards_cb);
        setv(&v, "XMAX", "%g", ceil(maxc * 1.15));
        setv(&v, "N", "%ld", nb);
        setv(&v, "LMARGIN", "%ld", wname + 2);
        setraw(&v, "ARRAYS", arrays);
        free(arrays);
        free(b);
        free(names);
        if (!ok) { vars_free(&v); return false; }
        if (!render(c, "cards", st, &v)) return false;
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
        for (long r = r0; r < r1; r++) {
            dat_num(m, cell(ex, r, "threshold"), true);
            dat_num(m, cell(ex, r, "probability"), false);
            fputc('\n', m);
        }
        if (!write_dat(c, st, m, &dat)) return false;
        /* mark this target: its threshold and probability */
        char *marks = NULL, title[4 * NAME_BYTES], dl[NAME_BYTES] = "", shown[NAME_BYTES];
        size_t mcap = 0;
        FILE *mm = open_memstream(&marks, &mcap);
        double xmin = num(ex, r0, "threshold"), xmax = num(ex, r1 - 1, "threshold");
        for (long r = 0; mm && tg && r < tg->nrows; r++) {
            if (strcmp(cell(tg, r, "target"), target) || strcmp(cell(tg, r, "unit"), unit)
                || strcmp(cell(tg, r, "level"), level)) continue;
            char th[32], p[16], label[64];
            pct(c, tg, r, th, sizeof th);
            cov_fmt_num(c->L, num(tg, r, "probability"), 3, p, sizeof p);
            month_text(tg, r, "deadline", dl, sizeof dl);
            double thr = num(tg, r, "threshold");
            fprintf(mm, "set arrow from %g, graph 0 to %g, graph 1 nohead dt 2 lw 1.6 lc rgb okabe_vermillion front\n"
                        "set label \"", thr, thr);
            snprintf(label, sizeof label, "%s: %s", th, p);
            gp_str(mm, label);
            fprintf(mm, "\" at %g, %g point pt 7 ps 1.3 lc rgb okabe_vermillion offset 1,1 "
                        "textcolor rgb okabe_vermillion front\n", thr, num(tg, r, "probability"));
            xmin = fmin(xmin, thr - 0.5);
            xmax = fmax(xmax, thr + 0.5);
        }
        closed(mm, &marks);
        snprintf(title, sizeof title, c->L->exceed_title, unit_text(c, ex, r0, shown, sizeof shown), dl);
        vars v = { .n = 0 };
        common_vars(c, &v, st, 1000, 600);
        sets(&v, "TITLE", title);
        setraw(&v, "MARKS", marks);
        free(marks);
        sets(&v, "XLABEL", c->L->threshold_axis);
        sets(&v, "YLABEL", c->L->probability_axis);
        setv(&v, "XMIN", "%g", fmax(0, xmin));
        setv(&v, "XMAX", "%g", fmin(100, fmax(xmax, fmax(0, xmin) + 0.01)));
        sets(&v, "CURVE", c->L->exceed_curve);
        if (!render(c, "exceedance", st, &v)) return false;
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
    if (tr && c->base_dir && !(c->base = read_table_in(c, c->base_dir, "trajectories.csv", false)) && !c->d->n)
        cov_diag_add(c->d, COV_EUSAGE, NULL, 0, 0, 0, "--baseline %s: no trajectories.csv there (give a folder that "
                     "covcast run wrote)", c->base_dir);   /* --baseline: a folder covcast run wrote */
    bool ok = tr && !c->d->n && units_known(c, tr) && fan_charts(c, tr, tg) && cards_charts(c, tg)
              && exceedance_charts(c, ex, tg);
    cov_csv_free(tr); cov_csv_free(tg); cov_csv_free(ex); cov_csv_free(c->hist); cov_csv_free(c->base);
    c->hist = NULL;
    c->base = NULL;
    return ok;
}

/* ---- comparisons and sweeps ---------------------------------------------- */

static const char *COLOURS[6] = { "okabe_blue", "okabe_orange", "okabe_green", "okabe_vermillion",
                                  "okabe_purple", "okabe_sky" };

/* Appends to plots (script) the clause that draws data file dname: the
 * clause text before and after the file name, the title text. */
static void plot_clause(FILE *plots, const char *before, const char *dname, const char *middle, const char *title)
{
    fputs(before, plots);
    if (dname) {
        fputc('"', plots);
        gp_str(plots, dname);
        fputc('"', plots);
    } else {
        fputs("''", plots);
    }
    fputs(middle, plots);
    fputs(" title \"", plots);
    gp_str(plots, title);
    fputc('"', plots);
}

static bool plot_compare(ctx *c)
{
    cov_csv *idx = read_table(c, "scenarios.csv", true);
    if (!idx) return false;
    int ns = (int)idx->nrows;
    cov_csv *tr[16] = { 0 }, *tg[16] = { 0 };
    if (ns > 16) ns = 16;
    bool ok = ns > 0;
    if (!ok) cov_diag_add(c->d, COV_EINPUT, idx->path, 0, 0, 0, "no scenario is listed");
    char sub[1024];
    for (int i = 0; i < ns && ok; i++) {
        snprintf(sub, sizeof sub, "%s/trajectories.csv", cell(idx, i, "folder"));
        ok = (tr[i] = read_table(c, sub, true)) != NULL;
        snprintf(sub, sizeof sub, "%s/targets.csv", cell(idx, i, "folder"));
        ok = ok && (tg[i] = read_table(c, sub, true)) != NULL;
    }
    ok = ok && units_known(c, tr[0]);
    bool has_levels = false;
    for (long r = 0; ok && r < tr[0]->nrows && !has_levels; r++) {
        const char *lv = cell(tr[0], r, "level");
        has_levels = strcmp(lv, "commune") && strcmp(lv, "all");
    }
    has_levels = has_levels && ok && one_unit_level(tr[0]);
    char shown[NAME_BYTES];
    /* one chart per unit: every scenario's median and 90% band */
    for (long r0 = 0; ok && r0 < tr[0]->nrows;) {
        const char *level = cell(tr[0], r0, "level"), *unit = cell(tr[0], r0, "unit");
        long r1 = r0;
        while (r1 < tr[0]->nrows && !strcmp(cell(tr[0], r1, "unit"), unit) && !strcmp(cell(tr[0], r1, "level"), level)) r1++;
        if (!selected(c, level, unit, has_levels)) { r0 = r1; continue; }
        char st[320], title[8192], *plots = NULL, *marks = NULL;
        size_t pcap = 0, mcap = 0;
        stem(c, "compare", level, unit, st, sizeof st);
        double ymin = 100, ymax = 0;
        FILE *pm = open_memstream(&plots, &pcap);
        for (int i = 0; i < ns && ok && pm; i++) {
            char *dat = NULL;
            size_t dcap = 0;
            FILE *m = open_memstream(&dat, &dcap);
            fputs("# month,p05,p50,p95\n", m);
            for (long r = 0; r < tr[i]->nrows && ok; r++) {
                if (strcmp(cell(tr[i], r, "unit"), unit) || strcmp(cell(tr[i], r, "level"), level)) continue;
                if (!is_month(cell(tr[i], r, "month"))) { ok = bad_month(c, tr[i], r, "month"); break; }
                fputs(cell(tr[i], r, "month"), m);
                dat_num(m, cell(tr[i], r, "coverage_p05"), false);
                dat_num(m, cell(tr[i], r, "coverage_p50"), false);
                dat_num(m, cell(tr[i], r, "coverage_p95"), false);
                fputc('\n', m);
                ymin = fmin(ymin, num(tr[i], r, "coverage_p05"));
                ymax = fmax(ymax, num(tr[i], r, "coverage_p95"));
            }
            fclose(m);
            char dname[340], before[200], middle[200];
            snprintf(dname, sizeof dname, "%s-%d.dat", st, i + 1);
            ok = ok && write_file(c, dname, dat);
            free(dat);
            snprintf(before, sizeof before, "%s", i ? ", \\\n     " : "");
            snprintf(middle, sizeof middle, " using 1:2:4 with filledcurves lc rgb %s notitle, "
                     "'' using 1:3 with lines lw 2.5 lc rgb %s", COLOURS[i % 6], COLOURS[i % 6]);
            plot_clause(pm, before, dname, middle, scenario_text(idx, i, shown, sizeof shown));
        }
        closed(pm, &plots);
        snprintf(title, sizeof title, c->L->compare_title, unit_text(c, tr[0], r0, shown, sizeof shown));
        FILE *mm = open_memstream(&marks, &mcap);
        if (mm) target_marks(c, tg[0], level, unit, title, sizeof title, mm, &ymin, &ymax, true);
        closed(mm, &marks);
        vars v = { .n = 0 };
        common_vars(c, &v, st, 1100, 680);
        sets(&v, "TITLE", title);
        setraw(&v, "MARKS", marks);
        setraw(&v, "PLOTS", plots);
        sets(&v, "XLABEL", c->L->month_axis);
        sets(&v, "YLABEL", c->L->coverage_axis);
        setv(&v, "YMIN", "%g", fmax(0, floor(ymin - 1)));
        setv(&v, "YMAX", "%g", fmin(100, fmax(ceil(ymax + 1), fmax(0, floor(ymin - 1)) + 1)));
        setv(&v, "KEY", "outside right top vertical");
        free(plots);
        free(marks);
        if (ok) ok = render(c, "compare", st, &v);
        else vars_free(&v);
        r0 = r1;
    }
    /* bars: each target and unit above the commune (or selected), each scenario */
    if (ok) {
        char *dat = NULL;
        size_t dcap = 0;
        FILE *m = open_memstream(&dat, &dcap);
        long rows = 0;
        char **labels = calloc((size_t)tg[0]->nrows + 1, sizeof *labels);
        fputs("# rank (in LABELS of the script),then probability,probability_lo,probability_hi of each scenario\n", m);
        for (long r = 0; labels && r < tg[0]->nrows; r++) {
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
            char a[NAME_BYTES], b[NAME_BYTES];
            if (asprintf(&labels[rows], "%s — %s", target_text(tg[0], r, a, sizeof a),
                         unit_text(c, tg[0], r, b, sizeof b)) < 0) { labels[rows] = NULL; break; }
            fprintf(m, "%ld", rows + 1);
            for (int i = 0; i < ns; i++) {
                dat_num(m, cell(tg[i], k[i], "probability"), false);
                dat_num(m, cell(tg[i], k[i], "probability_lo"), false);
                dat_num(m, cell(tg[i], k[i], "probability_hi"), false);
            }
            fputc('\n', m);
            rows++;
        }
        fclose(m);
        char st[320], dname[340], *plots = NULL, *arrays = NULL;
        size_t pcap = 0, acap = 0;
        stem(c, "compare-bars", "targets", NULL, st, sizeof st);
        snprintf(dname, sizeof dname, "%s.dat", st);
        ok = labels && write_file(c, dname, dat);
        free(dat);
        FILE *pm = open_memstream(&plots, &pcap);
        for (int i = 0; pm && i < ns; i++) {
            char middle[200];
            snprintf(middle, sizeof middle, " using %d:%d:%d%s lc rgb %s", 2 + 3 * i, 3 + 3 * i, 4 + 3 * i,
                     i ? "" : ":xtic(LABELS[int($1)])", COLOURS[i % 6]);
            plot_clause(pm, i ? ", " : "", i ? NULL : dname, middle, scenario_text(idx, i, shown, sizeof shown));
        }
        closed(pm, &plots);
        FILE *am = open_memstream(&arrays, &acap);
        if (am && rows) gp_array(am, "LABELS", labels, rows);
        closed(am, &arrays);
        for (long r = 0; labels && r < rows; r++) free(labels[r]);
        free(labels);
        vars v = { .n = 0 };
        common_vars(c, &v, st, (int)fmin(30000, fmax(900, 160 + 90.0 * (double)rows * ns)), 620);
        sets(&v, "TITLE", c->L->bars_title);
        sets(&v, "YLABEL", c->L->probability_axis);
        setraw(&v, "PLOTS", plots);
        setraw(&v, "ARRAYS", arrays);
        free(plots);
        free(arrays);
        if (ok && rows > 0) ok = render(c, "compare-bars", st, &v);   /* no shared target: no bars */
        else vars_free(&v);
    }
    for (int i = 0; i < ns; i++) { cov_csv_free(tr[i]); cov_csv_free(tg[i]); }
    cov_csv_free(idx);
    return ok;
}

static bool plot_sweep(ctx *c)
{
    cov_csv *sw = read_table(c, "sweep.csv", true);
    if (!sw) return false;
    bool ok = units_known(c, sw), has_levels = false;
    for (long r = 0; r < sw->nrows && !has_levels; r++) {
        const char *lv = cell(sw, r, "level");
        has_levels = strcmp(lv, "commune") && strcmp(lv, "all");
    }
    has_levels = has_levels && one_unit_level(sw);
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
                && !strcmp(cell(sw, r, "unit"), unit)) {
                dat_num(m, cell(sw, r, "value"), true);
                dat_num(m, cell(sw, r, "probability"), false);
                dat_num(m, cell(sw, r, "probability_lo"), false);
                dat_num(m, cell(sw, r, "probability_hi"), false);
                fputc('\n', m);
            }
        char title[4 * NAME_BYTES], full[5 * NAME_BYTES + 8], shown[NAME_BYTES], lever[NAME_BYTES], tname[NAME_BYTES];
        ok = write_dat(c, st, m, &dat);
        lever_text(sw, r0, lever, sizeof lever);
        snprintf(title, sizeof title, c->L->sweep_title, unit_text(c, sw, r0, shown, sizeof shown), lever);
        snprintf(full, sizeof full, "%s — %s", title, target_text(sw, r0, tname, sizeof tname));
        vars v = { .n = 0 };
        common_vars(c, &v, st, 1000, 600);
        sets(&v, "TITLE", full);
        sets(&v, "XLABEL", lever);
        sets(&v, "YLABEL", c->L->probability_axis);
        sets(&v, "CURVE", c->L->sweep_curve);
        if (ok) ok = render(c, "sweep", st, &v);
        else vars_free(&v);
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
    vars v = { .n = 0 };
    common_vars(c, &v, st, 700, 700);
    sets(&v, "TITLE", title);
    sets(&v, "XLABEL", xl);
    sets(&v, "YLABEL", yl);
    sets(&v, "DIAGONAL", !strcmp(c->L->code, "vi") ? "Trung thực" : "Honest");
    sets(&v, "CURVE", "covcast");
    return render(c, tpl, st, &v);
}

static bool plot_backtest(ctx *c)
{
    if (c->units) {
        cov_diag_add(c->d, COV_EUSAGE, NULL, 0, 0, 0,
                     "--units picks the units of a run, compare or sweep folder; a backtest folder has none");
        return false;
    }
    cov_csv *bt = read_table(c, "backtest.csv", true), *rl = bt ? read_table(c, "reliability.csv", false) : NULL;
    if (!bt) return false;
    bool vi = !strcmp(c->L->code, "vi");
    char *dat = NULL;
    size_t cap = 0;
    FILE *m = open_memstream(&dat, &cap);
    fputs("# nominal,observed\n", m);
    for (long r = 0; r < bt->nrows; r++) {
        dat_num(m, cell(bt, r, "nominal"), true);
        dat_num(m, cell(bt, r, "observed"), false);
        fputc('\n', m);
    }
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
            if (strcmp(cell(rl, r, "forecast_bin"), "brier")) {
                dat_num(m, cell(rl, r, "forecast_mean"), true);
                dat_num(m, cell(rl, r, "observed_rate"), false);
                dat_num(m, cell(rl, r, "n"), false);
                fputc('\n', m);
            }
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
    c->scripts_only = o && o->scripts_only;
    c->base_dir = o ? o->baseline : NULL;
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
        if (access(probe, R_OK) != 0) continue;
        if (k > 0 && c->base_dir) {
            cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "--baseline draws beside a run's fan charts; %s is a %s folder",
                         dir, k == 1 ? "compare" : k == 2 ? "sweep" : "backtest");
            return 0;
        }
        return k + 1;
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
