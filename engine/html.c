/* html.c — `covcast report`: one self-contained HTML page from a run folder,
 * for leadership to open or print on A4: every target with its probability,
 * a verdict in words and the cards still needed, riskiest first; then the
 * charts, inlined as SVG. No scripts, nothing from the network. */
#define _GNU_SOURCE
#include "plot.h"
#include "csvread.h"
#include "csvwrite.h"
#include "lang.h"
#include "outdir.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistr.h>

/* Writes s as HTML text or attribute value: its display form
 * (cov_plot_visible: control characters and bytes that are not UTF-8 as
 * \xHH) with & < > " ' as entities. */
/* The first bytes of every report: how covcast knows a report.html it may replace. */
#define REPORT_SIGNATURE "<!DOCTYPE html>\n<html lang=\""

static void esc(FILE *f, const char *s)
{
    size_t n = 4 * strlen(s) + 8;
    char *shown = malloc(n);
    if (!shown) return;
    cov_plot_visible(s, shown, n);
    for (const char *p = shown; *p; p++) {
        if (*p == '&') fputs("&amp;", f);
        else if (*p == '<') fputs("&lt;", f);
        else if (*p == '>') fputs("&gt;", f);
        else if (*p == '"') fputs("&quot;", f);
        else if (*p == '\'') fputs("&#39;", f);
        else fputc(*p, f);
    }
    free(shown);
}

/* Four hex digits at p as a number, or -1. */
static long hex4(const char *p)
{
    long v = 0;
    for (int i = 0; i < 4; i++) {
        int c = p[i], d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
                        : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
        if (d < 0) return -1;
        v = v * 16 + d;
    }
    return v;
}

/* The value of "key" in a flat JSON object (run.json), its string escapes
 * decoded; "" if none. A \u escape that is no character gives U+FFFD. */
static void json_value(const char *json, const char *key, char *out, size_t n)
{
    char pat[64];
    snprintf(pat, sizeof pat, "\"%s\":", key);
    const char *p = json ? strstr(json, pat) : NULL;
    out[0] = '\0';
    if (!p) return;
    p += strlen(pat);
    while (*p == ' ') p++;
    bool quoted = *p == '"';
    if (quoted) p++;
    size_t j = 0;
    while (*p && (quoted ? *p != '"' : (*p != ',' && *p != '\n' && *p != '}'))) {
        char one[8];
        size_t k = 1;
        one[0] = *p++;
        if (quoted && one[0] == '\\' && *p) {
            char e = *p++;
            const char *simple = strchr("\"\\/bfnrt", e);
            if (simple) one[0] = "\"\\/\b\f\n\r\t"[simple - "\"\\/bfnrt"];
            else if (e == 'u' && hex4(p) >= 0) {
                long u = hex4(p);
                p += 4;
                if (u >= 0xd800 && u < 0xdc00 && p[0] == '\\' && p[1] == 'u' && hex4(p + 2) >= 0xdc00
                    && hex4(p + 2) < 0xe000) {
                    u = 0x10000 + ((u - 0xd800) << 10) + (hex4(p + 2) - 0xdc00);
                    p += 6;
                }
                int w = u >= 0xd800 && u < 0xe000 ? -1 : u8_uctomb((uint8_t *)one, (ucs4_t)u, sizeof one);
                k = w > 0 ? (size_t)w : (size_t)u8_uctomb((uint8_t *)one, 0xfffd, sizeof one);
            } else {
                one[0] = e;
            }
        }
        if (j + k >= n) break;
        memcpy(out + j, one, k);
        j += k;
    }
    out[j] = '\0';
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *s = NULL;
    size_t cap = 0;
    if (getdelim(&s, &cap, '\0', f) < 0) { free(s); s = NULL; }
    fclose(f);
    return s;
}

/* Writes svg without its XML prologue, every id prefixed with c<k>- so that
 * several charts can share one page. Only tags are rewritten: chart text
 * (between tags, where gnuplot has written < and & as entities) is copied
 * as it is. */
static void inline_svg(FILE *f, const char *svg, int k)
{
    const char *p = strstr(svg, "<svg");
    if (!p) return;
    char pre[16];
    snprintf(pre, sizeof pre, "c%d-", k);
    static const char *pats[3] = { "id=\"", "href=\"#", "url(#" };
    bool in_tag = false;
    while (*p) {
        int hit = -1;
        if (*p == '<') in_tag = true;
        else if (*p == '>') in_tag = false;
        for (int i = 0; in_tag && i < 3 && hit < 0; i++)
            if (!strncmp(p, pats[i], strlen(pats[i]))) hit = i;
        if (hit >= 0) {
            fputs(pats[hit], f);
            fputs(pre, f);
            p += strlen(pats[hit]);
        } else {
            fputc(*p++, f);
        }
    }
}

static bool blank(const char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    return !*s;
}

/* A row of the table; none: an empty probability cell (a unit with no people). */
typedef struct { long row; double p, cards; bool none; } order_t;

/* Riskiest first, and among equal probabilities the most cards needed (a
 * province before its communes when all are out of reach); units with no
 * people last. */
static int by_risk(const void *a, const void *b)
{
    const order_t *x = a, *y = b;
    if (x->none != y->none) return x->none ? 1 : -1;
    if (x->p != y->p) return x->p < y->p ? -1 : 1;
    if (x->cards != y->cards) return x->cards > y->cards ? -1 : 1;
    return (x->row > y->row) - (x->row < y->row);
}

static const char *CSS =
"@page { size: A4; margin: 14mm 12mm; }\n"
"body { font-family: 'DejaVu Sans', 'Noto Sans', Arial, sans-serif; color: #1a1a1a; margin: 0 auto;"
" max-width: 190mm; font-size: 10.5pt; line-height: 1.4; }\n"
"h1 { font-size: 17pt; margin: 0.2em 0 0.1em; }\n"
"h2 { font-size: 13pt; margin: 1.2em 0 0.4em; border-bottom: 1px solid #ccc; }\n"
".meta { color: #555; font-size: 9pt; margin-bottom: 0.8em; }\n"
"table { border-collapse: collapse; width: 100%; font-size: 9pt; }\n"
"th, td { border-bottom: 1px solid #ddd; padding: 3px 5px; text-align: left; vertical-align: top; }\n"
"td.t { white-space: nowrap; }\n"
"th { background: #f0f0f0; }\n"
"td.num { text-align: right; white-space: nowrap; }\n"
"tr { page-break-inside: avoid; }\n"
".v { display: inline-block; padding: 0 6px; border-radius: 3px; font-weight: bold; white-space: nowrap; }\n"
".v0 { background: #0072B2; color: #fff; } .v1 { background: #56B4E9; color: #000; }\n"
".v2 { background: #F0E442; color: #000; } .v3 { background: #E69F00; color: #000; }\n"
".v4 { background: #D55E00; color: #fff; }\n"
"figure { margin: 1em 0; page-break-inside: avoid; }\n"
"figure svg { width: 100%; height: auto; }\n"
".note { font-size: 9pt; color: #444; }\n";

cov_status cov_report(const char *dir, const char *lang, void *logv, cov_diag *d)
{
    FILE *log = logv;
    const cov_lang *L = cov_lang_get(lang);
    if (!L) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0, "--lang must be vi or en, got \"%s\"", lang);
        return COV_EUSAGE;
    }
    cov_chart *charts = NULL;
    int ncharts = 0;
    cov_status st = cov_plot_svgs(dir, lang, &charts, &ncharts, d);
    if (st != COV_OK) return st;
    for (int k = 0; k < ncharts && st == COV_OK; k++)   /* the page promises no scripts */
        if (strcasestr(charts[k].svg, "<script") || strcasestr(charts[k].svg, "<foreignobject")
            || strcasestr(charts[k].svg, "javascript:")) {
            cov_diag_add(d, COV_EINTERNAL, NULL, 0, 0, 0, "chart %s has a script or embedded page; no report was "
                         "written (please report this with the results folder)", charts[k].name);
            st = COV_EINTERNAL;
        }
    if (st != COV_OK) {
        for (int k = 0; k < ncharts; k++) free(charts[k].svg);
        free(charts);
        return st;
    }
    char path[4200];
    snprintf(path, sizeof path, "%s/targets.csv", dir);
    cov_csv *tg = cov_csv_read(path, d);
    snprintf(path, sizeof path, "%s/run.json", dir);
    char *json = slurp(path);
    snprintf(path, sizeof path, "%s/report.html", dir);
    /* beside and renamed into place; over an earlier report only, never over a page of the user's */
    cov_outfile *of = tg ? cov_outfile_begin(path, REPORT_SIGNATURE, d) : NULL;
    FILE *f = of ? cov_outfile_stream(of) : NULL;
    if (!f) {
        st = d->status ? d->status : COV_EIO;
        goto done;
    }
    char scen[512], seed[64], reps[64], created[64], start[16], months[16], version[32];
    json_value(json, "label", scen, sizeof scen);   /* the scenario's label, else its name */
    if (!*scen) json_value(json, "scenario", scen, sizeof scen);
    json_value(json, "seed", seed, sizeof seed);
    json_value(json, "replicates", reps, sizeof reps);
    json_value(json, "created", created, sizeof created);
    json_value(json, "start", start, sizeof start);
    json_value(json, "months", months, sizeof months);
    json_value(json, "version", version, sizeof version);

    fprintf(f, REPORT_SIGNATURE "%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>", L->code);
    esc(f, L->report_title); fputs(" — ", f); esc(f, scen);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", CSS);
    esc(f, L->report_title); fputs(": ", f); esc(f, scen);
    fputs("</h1>\n<p class=\"meta\">", f);
    char snap[40];
    cov_fmt_month(start, snap, sizeof snap);
    bool vi = !strcmp(L->code, "vi");
    const char *meta[6][2] = { { vi ? "Thời điểm số liệu " : "Snapshot ", snap },
                               { vi ? " · số tháng dự báo " : " · months projected ", months },
                               { vi ? " · số lần mô phỏng " : " · replicates ", reps },
                               { vi ? " · hạt giống " : " · seed ", seed },
                               { " · covcast ", version }, { " · ", created } };
    for (int k = 0; k < 6; k++) { fputs(meta[k][0], f); esc(f, meta[k][1]); }
    fputs("</p>\n<p>", f);
    esc(f, L->report_intro);
    fputs("</p>\n<table>\n<thead><tr>", f);
    const char *cols[8] = { L->col_threshold, L->col_unit, L->col_deadline, L->col_probability, L->col_verdict,
                            L->col_median, L->col_cards, L->col_shortfall };
    for (int k = 0; k < 8; k++) { fputs("<th>", f); esc(f, cols[k]); fputs("</th>", f); }
    fputs("</tr></thead>\n<tbody>\n", f);
    order_t *ord = calloc((size_t)tg->nrows + 1, sizeof *ord);
    for (long r = 0; ord && r < tg->nrows; r++)
        ord[r] = (order_t){ r, cov_csv_named_number(tg, r, "probability"), cov_csv_named_number(tg, r, "cards_needed_now"),
                            blank(cov_csv_named(tg, r, "probability")) };
    if (ord) qsort(ord, (size_t)tg->nrows, sizeof *ord, by_risk);
    /* a commune name of several communes in one target (Xã Bình Minh of four
     * provinces on the 2025 map) is shown with its code */
    char **keys = calloc((size_t)tg->nrows + 1, sizeof *keys);
    bool *shared = calloc((size_t)tg->nrows + 1, sizeof *shared);
    bool have_keys = keys && shared;
    for (long r = 0; have_keys && r < tg->nrows; r++)
        if (asprintf(&keys[r], "%s\n%s", cov_csv_named(tg, r, "target"), cov_csv_named(tg, r, "unit")) < 0) {
            keys[r] = NULL;
            have_keys = false;
        }
    if (have_keys && !cov_mark_shared((const char *const *)keys, tg->nrows, shared)) have_keys = false;
    for (long i = 0; ord && i < tg->nrows; i++) {
        long r = ord[i].row;
#define COL(name) cov_csv_named(tg, r, name)
        char thr[32], dl[512], p[16], lo[16], hi[16], med[16], cards[32], short50[32];
        cov_fmt_pct(L, cov_csv_named_number(tg, r, "threshold"), thr, sizeof thr);
        cov_fmt_month(COL("deadline"), dl, sizeof dl);
        cov_fmt_num(L, ord[i].p, 3, p, sizeof p);
        cov_fmt_num(L, cov_csv_named_number(tg, r, "probability_lo"), 3, lo, sizeof lo);
        cov_fmt_num(L, cov_csv_named_number(tg, r, "probability_hi"), 3, hi, sizeof hi);
        cov_fmt_num(L, cov_csv_named_number(tg, r, "coverage_p50"), 2, med, sizeof med);
        cov_fmt_int(L, (long long)fmax(-1e15, fmin(1e15, cov_csv_named_number(tg, r, "cards_needed_now"))), cards, sizeof cards);
        cov_fmt_int(L, llround(fmax(-1e15, fmin(1e15, cov_csv_named_number(tg, r, "shortfall_p50")))), short50, sizeof short50);
        int v = cov_verdict(ord[i].p);
        fputs("<tr><td class=\"t\">", f);
        esc(f, *COL("label") ? COL("label") : COL("target"));   /* the target's label, else its key */
        fprintf(f, " ≥ %s", thr);
        if (strcmp(COL("group"), "all")) { fputs(" (", f); esc(f, COL("group")); fputs(")", f); }
        fputs("</td><td class=\"t\">", f);
        esc(f, !strcmp(COL("level"), "all") && !strcmp(COL("unit"), "all") ? L->whole : COL("unit"));
        if (have_keys && shared[r] && *COL("unit_code")) { fputs(" (", f); esc(f, COL("unit_code")); fputc(')', f); }
        fputs("</td><td>", f);
        esc(f, dl);
        if (ord[i].none) {   /* no one to cover: no probability, no coverage */
            fputs("</td><td class=\"num\">—</td><td>", f);
            esc(f, L->no_people);
            fprintf(f, "</td><td class=\"num\">—</td><td class=\"num\">%s</td><td class=\"num\">—</td></tr>\n", cards);
        } else {
            fprintf(f, "</td><td class=\"num\">%s (%s–%s)</td><td><span class=\"v v%d\">", p, lo, hi, v);
            esc(f, L->verdict[v]);
            fprintf(f, "</span></td><td class=\"num\">%s%%</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
                    med, cards, short50);
        }
#undef COL
    }
    free(ord);
    for (long r = 0; keys && r < tg->nrows; r++) free(keys[r]);
    free(keys);
    free(shared);
    fputs("</tbody>\n</table>\n<p class=\"note\">", f);
    esc(f, L->how_to_read); fputs(": ", f); esc(f, L->verdict_note);
    fputs("</p>\n<h2>", f);
    esc(f, L->charts);
    fputs("</h2>\n", f);
    for (int k = 0; k < ncharts; k++) {
        fputs("<figure id=\"", f);
        esc(f, charts[k].name);
        fputs("\">\n", f);
        inline_svg(f, charts[k].svg, k);
        fputs("\n</figure>\n", f);
    }
    fputs("<p class=\"meta\">", f);
    esc(f, L->made_with);
    fputs(" — ", f);
    if (!strcmp(L->code, "vi"))
        fputs("chạy lại: <code>covcast run KỊCH_BẢN.ini --seed ", f);
    else
        fputs("to reproduce: <code>covcast run SCENARIO.ini --seed ", f);
    esc(f, seed);
    fputs(" --replicates ", f);
    esc(f, reps);
    fputs("</code></p>\n</body>\n</html>\n", f);
    st = cov_outfile_commit(of, d);
    if (st == COV_OK) {
        cov_outdir_claim(dir, "report.html");   /* a rerun into the folder may replace it */
        if (log) fprintf(log, "%s (%d chart%s)\n", path, ncharts, ncharts == 1 ? "" : "s");
    }
done:
    for (int k = 0; k < ncharts; k++) free(charts[k].svg);
    free(charts);
    free(json);
    cov_csv_free(tg);
    return st;
}
