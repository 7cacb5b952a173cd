/* html.c — `covcast report`: one self-contained HTML page from a run folder,
 * for leadership to open or print on A4: every target with its probability,
 * a verdict in words and the cards still needed, riskiest first; then the
 * charts, inlined as SVG. No scripts, nothing from the network. */
#include "plot.h"
#include "csvread.h"
#include "lang.h"
#include "text.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void esc(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '&') fputs("&amp;", f);
        else if (*s == '<') fputs("&lt;", f);
        else if (*s == '>') fputs("&gt;", f);
        else if (*s == '"') fputs("&quot;", f);
        else fputc(*s, f);
    }
}

/* The value of "key" in a flat JSON object (run.json), unquoted; "" if none. */
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
    while (*p && j + 1 < n && (quoted ? *p != '"' : (*p != ',' && *p != '\n' && *p != '}'))) out[j++] = *p++;
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
 * several charts can share one page. */
static void inline_svg(FILE *f, const char *svg, int k)
{
    const char *p = strstr(svg, "<svg");
    if (!p) return;
    char pre[16];
    snprintf(pre, sizeof pre, "c%d-", k);
    static const char *pats[3] = { "id=\"", "href=\"#", "url(#" };
    while (*p) {
        int hit = -1;
        for (int i = 0; i < 3 && hit < 0; i++)
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

typedef struct { long row; double p; } order_t;
static int by_risk(const void *a, const void *b)
{
    const order_t *x = a, *y = b;
    return x->p < y->p ? -1 : x->p > y->p ? 1 : (x->row > y->row) - (x->row < y->row);
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
    char path[4200], tmp[4300];
    snprintf(path, sizeof path, "%s/targets.csv", dir);
    cov_csv *tg = cov_csv_read(path, d);
    snprintf(path, sizeof path, "%s/run.json", dir);
    char *json = slurp(path);
    snprintf(path, sizeof path, "%s/report.html", dir);
    snprintf(tmp, sizeof tmp, "%s/.report.html.tmp", dir);
    FILE *f = tg ? fopen(tmp, "w") : NULL;
    if (!f) {
        if (tg) cov_diag_add(d, COV_EIO, tmp, 0, 0, 0, "cannot write: %s", strerror(errno));
        st = tg ? COV_EIO : d->status;
        goto done;
    }
    char scen[512], seed[64], reps[64], created[64], start[16], months[16], version[32];
    json_value(json, "scenario", scen, sizeof scen);
    json_value(json, "seed", seed, sizeof seed);
    json_value(json, "replicates", reps, sizeof reps);
    json_value(json, "created", created, sizeof created);
    json_value(json, "start", start, sizeof start);
    json_value(json, "months", months, sizeof months);
    json_value(json, "version", version, sizeof version);

    fprintf(f, "<!DOCTYPE html>\n<html lang=\"%s\">\n<head>\n<meta charset=\"utf-8\">\n<title>", L->code);
    esc(f, L->report_title); fputs(" — ", f); esc(f, scen);
    fprintf(f, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", CSS);
    esc(f, L->report_title); fputs(": ", f); esc(f, scen);
    fputs("</h1>\n<p class=\"meta\">", f);
    char snap[16];
    cov_fmt_month(start, snap, sizeof snap);
    fprintf(f, "%s %s · %s %s · %s %s · %s %s · covcast %s · %s",
            !strcmp(L->code, "vi") ? "Thời điểm số liệu" : "Snapshot", snap,
            !strcmp(L->code, "vi") ? "số tháng dự báo" : "months projected", months,
            !strcmp(L->code, "vi") ? "số lần mô phỏng" : "replicates", reps,
            !strcmp(L->code, "vi") ? "hạt giống" : "seed", seed, version, created);
    fputs("</p>\n<p>", f);
    esc(f, L->report_intro);
    fputs("</p>\n<table>\n<thead><tr>", f);
    const char *cols[8] = { L->col_threshold, L->col_unit, L->col_deadline, L->col_probability, L->col_verdict,
                            L->col_median, L->col_cards, L->col_shortfall };
    for (int k = 0; k < 8; k++) { fputs("<th>", f); esc(f, cols[k]); fputs("</th>", f); }
    fputs("</tr></thead>\n<tbody>\n", f);
    order_t *ord = calloc((size_t)tg->nrows + 1, sizeof *ord);
    int jp = cov_csv_column(tg, "probability");
    for (long r = 0; ord && r < tg->nrows; r++) ord[r] = (order_t){ r, atof(cov_csv_cell(tg, r, jp)->text) };
    if (ord) qsort(ord, (size_t)tg->nrows, sizeof *ord, by_risk);
    for (long i = 0; ord && i < tg->nrows; i++) {
        long r = ord[i].row;
#define COL(name) cov_csv_cell(tg, r, cov_csv_column(tg, name))->text
        char thr[32], dl[16], p[16], lo[16], hi[16], med[16], cards[32], short50[32];
        cov_fmt_pct(L, atof(COL("threshold")), thr, sizeof thr);
        cov_fmt_month(COL("deadline"), dl, sizeof dl);
        cov_fmt_num(L, ord[i].p, 3, p, sizeof p);
        cov_fmt_num(L, atof(COL("probability_lo")), 3, lo, sizeof lo);
        cov_fmt_num(L, atof(COL("probability_hi")), 3, hi, sizeof hi);
        cov_fmt_num(L, atof(COL("coverage_p50")), 2, med, sizeof med);
        cov_fmt_int(L, atoll(COL("cards_needed_now")), cards, sizeof cards);
        cov_fmt_int(L, llround(atof(COL("shortfall_p50"))), short50, sizeof short50);
        int v = cov_verdict(ord[i].p);
        fputs("<tr><td class=\"t\">", f);
        esc(f, COL("target"));
        fprintf(f, " ≥ %s", thr);
        if (strcmp(COL("group"), "all")) { fputs(" (", f); esc(f, COL("group")); fputs(")", f); }
        fputs("</td><td class=\"t\">", f);
        esc(f, COL("unit"));
        fprintf(f, "</td><td>%s</td><td class=\"num\">%s (%s–%s)</td><td><span class=\"v v%d\">", dl, p, lo, hi, v);
        esc(f, L->verdict[v]);
        fprintf(f, "</span></td><td class=\"num\">%s%%</td><td class=\"num\">%s</td><td class=\"num\">%s</td></tr>\n",
                med, cards, short50);
#undef COL
    }
    free(ord);
    fputs("</tbody>\n</table>\n<p class=\"note\">", f);
    esc(f, L->how_to_read); fputs(": ", f); esc(f, L->verdict_note);
    fputs("</p>\n<h2>", f);
    esc(f, L->charts);
    fputs("</h2>\n", f);
    for (int k = 0; k < ncharts; k++) {
        fprintf(f, "<figure id=\"%s\">\n", charts[k].name);
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
    fprintf(f, "%s --replicates %s</code></p>\n</body>\n</html>\n", seed, reps);
    bool ok = !ferror(f);
    ok = fclose(f) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot write the report: %s", strerror(errno));
        remove(tmp);
        st = COV_EIO;
    } else if (log) {
        fprintf(log, "%s (%d chart%s)\n", path, ncharts, ncharts == 1 ? "" : "s");
    }
done:
    for (int k = 0; k < ncharts; k++) free(charts[k].svg);
    free(charts);
    free(json);
    cov_csv_free(tg);
    return st;
}
