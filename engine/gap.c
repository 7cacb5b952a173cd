/* gap.c — `covcast gap`: the cards still needed now for a threshold, per
 * unit, without simulation: the table district documents compute by hand
 * (Nam Trực, May 2018: 4,476 cards from 82.89% to 85.2%). */
#define _GNU_SOURCE
#include "csvread.h"
#include "csvwrite.h"
#include "lang.h"
#include "load.h"
#include "outdir.h"
#include "stats.h"
#include "text.h"
#include "types.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The first line of a gap table: how covcast knows a file it may replace. */
#define GAP_HEADER "level,unit,population,insured,coverage,threshold,cards_needed_now\n"

/* A unit of the table: its key (a commune's code when the file has codes,
 * else the name), the name shown, and its sums. */
typedef struct { const char *key, *name, *in; char *shown; int64_t N, I, cards; } unit_t;

static int by_key(const void *a, const void *b)
{
    return strcmp(((const unit_t *)a)->key, ((const unit_t *)b)->key);
}

static int by_name(const void *a, const void *b)
{
    const unit_t *x = *(unit_t *const *)a, *y = *(unit_t *const *)b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->key, y->key);
}

/* Adds up the rows u[0..n) that share a key (in place, sorted by key);
 * returns the number of units. A name shared by several units (27 communes
 * called Xã Tân Thành) is shown with the code: "Xã Tân Thành (25657)". */
static int merge_units(unit_t *u, int n)
{
    qsort(u, (size_t)n, sizeof *u, by_key);
    int m = 0;
    for (int i = 0; i < n; i++) {
        if (m > 0 && !strcmp(u[m - 1].key, u[i].key)) { u[m - 1].N += u[i].N; u[m - 1].I += u[i].I; }
        else u[m++] = u[i];
    }
    unit_t **p = malloc((size_t)(m ? m : 1) * sizeof *p);
    if (!p) return m;
    for (int i = 0; i < m; i++) p[i] = &u[i];
    qsort(p, (size_t)m, sizeof *p, by_name);
    for (int i = 0; i < m; i++) {
        bool shared = (i > 0 && !strcmp(p[i - 1]->name, p[i]->name)) || (i + 1 < m && !strcmp(p[i + 1]->name, p[i]->name));
        if (shared && strcmp(p[i]->key, p[i]->name) && asprintf(&p[i]->shown, "%s (%s)", p[i]->name, p[i]->key) < 0)
            p[i]->shown = NULL;
    }
    free(p);
    for (int i = 0; i < m; i++) if (u[i].shown) u[i].name = u[i].shown;
    return m;
}

static int by_cards(const void *a, const void *b)
{
    const unit_t *x = a, *y = b;
    if (x->cards != y->cards) return x->cards < y->cards ? 1 : -1;
    return strcmp(x->name, y->name);
}

cov_status cov_gap(const char *path, const char *threshold, const char *level, const char *out,
                   void *fpv, cov_diag *d)
{
    FILE *fp = fpv;
    int32_t T;
    if (!cov_parse_percent100(threshold, &T)) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0,
                     "--threshold must be a percentage from 0 to 100 with at most 2 decimals (e.g. 95.5), got \"%s\"",
                     threshold);
        return COV_EUSAGE;
    }
    cov_csv *t = cov_csv_read(path, d);
    if (!t) return d->status;
    if (d->n) { cov_csv_free(t); return d->status; }
    const char *key = level && strcmp(level, "commune") ? level : "commune";
    bool all = level && !strcmp(level, "all");
    int ck = all ? -1 : cov_csv_column(t, key), cn = cov_csv_column(t, "population"), ci = cov_csv_column(t, "insured");
    int cc = !all && !strcmp(key, "commune") ? cov_csv_column(t, "commune_code") : -1;
    /* the commune table of a file of several provinces (or districts) shows
     * where each commune is, on the terminal: 3,320 communes of 34 provinces */
    int cin = -1;
    const char *in_col = NULL;
    for (int k = 0; k < 2 && cin < 0 && !all && !strcmp(key, "commune"); k++) {
        const char *col = k ? "district" : "province";
        int j = cov_csv_column(t, col);
        for (long r = 1; j >= 0 && r < t->nrows; r++)
            if (strcmp(cov_trim(cov_csv_cell(t, r, j)->text), cov_trim(cov_csv_cell(t, 0, j)->text))) {
                cin = j;
                in_col = col;
                break;
            }
    }
    if ((!all && ck < 0) || cn < 0 || ci < 0) {
        cov_diag_add(d, COV_EINPUT, path, 1, 1, 1, "the header needs the columns %s, population and insured",
                     all ? "commune" : key);
        cov_csv_free(t);
        return COV_EINPUT;
    }
    /* a history (a month column): the table is of its latest month, never of every month added up */
    int cm = cov_csv_column(t, "month"), latest = -1;
    for (long r = 0; cm >= 0 && r < t->nrows; r++) {
        const cov_field *f = cov_csv_cell(t, r, cm);
        int mo;
        if (!cov_month_parse(cov_trim(f->text), &mo)) {
            cov_diag_add(d, COV_EINPUT, path, f->line, f->col, cov_utf8_width(f->text, strlen(f->text)),
                         "month must be written YYYY-MM, got \"%s\"", cov_term(f->text));
            continue;
        }
        if (mo > latest) latest = mo;
    }
    if (d->n) { cov_csv_free(t); return d->status; }
    unit_t *u = calloc((size_t)t->nrows + 1, sizeof *u);
    int nu = 0;
    for (long r = 0; u && r < t->nrows; r++) {
        int mo;
        if (cm >= 0 && (!cov_month_parse(cov_csv_cell(t, r, cm)->text, &mo) || mo != latest)) continue;
        const cov_field *fn = cov_csv_cell(t, r, cn), *fi = cov_csv_cell(t, r, ci);
        int64_t N, I;
        if (!cov_count_cell(d, path, fn, "population", &N) || !cov_count_cell(d, path, fi, "insured", &I)) continue;
        if (I > N) {
            cov_diag_add(d, COV_EINPUT, path, fi->line, fi->col, cov_utf8_width(fi->text, strlen(fi->text)),
                         "insured (%lld) is more than the population (%lld)", (long long)I, (long long)N);
            continue;
        }
        const char *name = all ? "all" : cov_trim(cov_csv_cell(t, r, ck)->text);
        const char *code = cc >= 0 ? cov_trim(cov_csv_cell(t, r, cc)->text) : "";
        u[nu++] = (unit_t){ .key = *code ? code : name, .name = name, .N = N, .I = I,
                            .in = cin >= 0 ? cov_trim(cov_csv_cell(t, r, cin)->text) : NULL };
    }
    if (u) nu = merge_units(u, nu);
    cov_status st = d->n ? d->status : COV_OK;
    int64_t sum = 0, totN = 0, totI = 0;
    for (int k = 0; k < nu; k++) {
        u[k].cards = cov_cards_needed(u[k].I, u[k].N, T);
        sum += u[k].cards;
        totN += u[k].N;
        totI += u[k].I;
    }
    if (st == COV_OK && u) qsort(u, (size_t)nu, sizeof *u, by_cards);
    FILE *csv = NULL;
    cov_outfile *of = NULL;
    if (st == COV_OK && out) {
        if (!(of = cov_outfile_begin(out, GAP_HEADER, d))) st = d->status;
        else fputs(GAP_HEADER, csv = cov_outfile_stream(of));
    }
    const cov_lang *L = cov_lang_get("en");
    if (st == COV_OK && fp && cm >= 0) {
        char mon[8];
        cov_month_format(latest, mon);
        fprintf(fp, "A history: the table is of its latest month, %s (the rows of other months are not added).\n", mon);
    }
    /* the name columns as wide as their longest entry (28 to 48 characters) */
    long wname = 28, win = 0;
    for (int k = 0; k < nu; k++) {
        const char *nm = cov_term(u[k].name);
        long w = cov_utf8_width(nm, strlen(nm));
        if (w > wname) wname = w < 48 ? w : 48;
        if (u[k].in) {
            nm = cov_term(u[k].in);
            w = cov_utf8_width(nm, strlen(nm));
            if (w > win) win = w < 32 ? w : 32;
        }
    }
    if (in_col && win < (long)strlen(in_col)) win = (long)strlen(in_col);
    if (st == COV_OK && fp) {
        const char *head = all ? "all" : cov_term(key);
        fputs(head, fp);
        for (long w = cov_utf8_width(head, strlen(head)); w < wname; w++) fputc(' ', fp);
        if (in_col) fprintf(fp, " %-*s", (int)win, in_col);
        fprintf(fp, " %12s %12s %9s %16s\n", "population", "insured", "coverage", "cards needed");
    }
    for (int k = 0; st == COV_OK && k < nu; k++) {
        double cov = u[k].N ? 100.0 * (double)u[k].I / (double)u[k].N : 0;
        char a[32], b[32], c[32];
        cov_fmt_int(L, u[k].N, a, sizeof a);
        cov_fmt_int(L, u[k].I, b, sizeof b);
        cov_fmt_int(L, u[k].cards, c, sizeof c);
        if (fp) {
            char name[200];
            cov_term_into(u[k].name, name, (size_t)wname * 4 + 1 < sizeof name ? (size_t)wname * 4 + 1 : sizeof name);
            fputs(name, fp);
            for (long w = cov_utf8_width(name, strlen(name)); w < wname; w++) fputc(' ', fp);
            if (in_col) {
                char in[200];
                cov_term_into(u[k].in ? u[k].in : "", in, (size_t)win * 4 + 1 < sizeof in ? (size_t)win * 4 + 1 : sizeof in);
                fputc(' ', fp);
                fputs(in, fp);
                for (long w = cov_utf8_width(in, strlen(in)); w < win; w++) fputc(' ', fp);
            }
            if (u[k].N) fprintf(fp, " %12s %12s %8.2f%% %16s\n", a, b, cov, c);
            else fprintf(fp, " %12s %12s %11s %16s\n", a, b, "—", c);   /* no people: no coverage (— is 3 bytes, 1 column) */
        }
        if (csv) {
            cov_csv_text(csv, all ? "all" : key, true);
            cov_csv_text(csv, u[k].name, false);
            fprintf(csv, ",%lld,%lld,", (long long)u[k].N, (long long)u[k].I);
            if (u[k].N) fprintf(csv, "%.4f", cov);   /* no people: no coverage, an empty cell */
            fprintf(csv, ",%d.%02d,%lld\n", T / 100, T % 100, (long long)u[k].cards);
        }
    }
    if (st == COV_OK && fp) {
        char a[32], b[32], c[32], e[32];
        cov_fmt_int(L, totN, a, sizeof a);
        cov_fmt_int(L, totI, b, sizeof b);
        cov_fmt_int(L, sum, c, sizeof c);
        cov_fmt_int(L, cov_cards_needed(totI, totN, T), e, sizeof e);
        fputs("total of the rows", fp);
        for (long w = 17; w < wname + (in_col ? win + 1 : 0); w++) fputc(' ', fp);
        fprintf(fp, " %12s %12s %8.2f%% %16s\n", a, b, totN ? 100.0 * (double)totI / (double)totN : 0, c);
        if (nu > 1)
            fprintf(fp, "The file as one unit needs %s cards for %d.%02d%%; the rows need %s because units above\n"
                        "the threshold do not make up for those below.\n", e, T / 100, T % 100, c);
    }
    if (of && st == COV_OK) st = cov_outfile_commit(of, d);
    else cov_outfile_abort(of);
    for (int k = 0; u && k < nu; k++) free(u[k].shown);
    free(u);
    cov_csv_free(t);
    return st;
}
