/* history.c — reads a monthly coverage history into series per commune and
 * group: missing months are allowed, duplicates and bad numbers are errors
 * with their line and column. */
#include "history.h"
#include "csvread.h"
#include "load.h"
#include "outdir.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The codes that a history gives each commune name: each (name, code) pair
 * once, sorted by name and code, and one run per name (its first pair and
 * how many). Built by a pass over every row, so what a row with a blank code
 * means does not depend on the order of the rows. */
typedef struct { const char *name, *code; } name_code;
typedef struct { const char *name; long first, n; } name_run;
typedef struct { name_code *pair; name_run *run; long nrun; } code_index;

static int by_name_code(const void *a, const void *b)
{
    const name_code *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c ? c : strcmp(x->code, y->code);
}

static int by_run_name(const void *a, const void *b)
{
    return strcmp(((const name_run *)a)->name, ((const name_run *)b)->name);
}

/* The codes of the rows of t that give both a name (column cc) and a code
 * (column ck), trimmed in place. False on out of memory. */
static bool code_index_build(code_index *ix, const cov_csv *t, int cc, int ck)
{
    long n = 0;
    memset(ix, 0, sizeof *ix);
    ix->pair = malloc((size_t)(t->nrows + 1) * sizeof *ix->pair);
    ix->run = malloc((size_t)(t->nrows + 1) * sizeof *ix->run);
    if (!ix->pair || !ix->run) return false;
    for (long r = 0; r < t->nrows; r++) {
        const char *name = cov_trim(cov_csv_cell(t, r, cc)->text), *code = cov_trim(cov_csv_cell(t, r, ck)->text);
        if (*name && *code) ix->pair[n++] = (name_code){ name, code };
    }
    qsort(ix->pair, (size_t)n, sizeof *ix->pair, by_name_code);
    long kept = 0;
    for (long i = 0; i < n; i++) {
        if (kept && !by_name_code(&ix->pair[kept - 1], &ix->pair[i])) continue;
        ix->pair[kept] = ix->pair[i];
        if (!ix->nrun || strcmp(ix->run[ix->nrun - 1].name, ix->pair[kept].name))
            ix->run[ix->nrun++] = (name_run){ ix->pair[kept].name, kept, 0 };
        ix->run[ix->nrun - 1].n++;
        kept++;
    }
    return true;
}

static void code_index_free(code_index *ix)
{
    free(ix->pair);
    free(ix->run);
}

/* The code that a row's series is keyed by: the row's own code; for a
 * blank one, the only code that the history gives the row's name; NULL
 * (keyed by name) when the history gives the name none, or has no code
 * column (ix NULL). When it gives the name several, *several is set to
 * their run (the row must say which: an error) and NULL returned. */
static const char *series_code(const code_index *ix, const char *name, const char *code, const name_run **several)
{
    *several = NULL;
    if (!ix) return NULL;
    if (*code) return code;
    name_run key = { name, 0, 0 };
    const name_run *run = ix->nrun ? bsearch(&key, ix->run, (size_t)ix->nrun, sizeof *ix->run, by_run_name) : NULL;
    if (!run) return NULL;
    if (run->n > 1) { *several = run; return NULL; }
    return ix->pair[run->first].code;
}

/* A row's key in the index of series: its group, and its commune's code
 * or, without one, its name (a series of a code and one of a name are never
 * the same). */
typedef struct {
    int group;
    const char *code, *name;
    long row;
} row_key;

static int key_cmp(const row_key *x, const row_key *y)
{
    if (x->group != y->group) return x->group < y->group ? -1 : 1;
    if (!x->code != !y->code) return x->code ? -1 : 1;
    return x->code ? strcmp(x->code, y->code) : strcmp(x->name, y->name);
}

static int by_key_row(const void *a, const void *b)
{
    const row_key *x = a, *y = b;
    int c = key_cmp(x, y);
    return c ? c : (x->row > y->row) - (x->row < y->row);
}

/* For each row of t, lead[r] = the first row with the same series key (the
 * row that stands for its series), -1 for a row with a blank name or a blank
 * code that several codes could fill; every series is then found in
 * constant time, however many there are. cg < 0: no group column; ix NULL:
 * no code column. False on out of memory. */
static bool series_leads(const cov_csv *t, const cov_model *m, int cc, int cg, int ck, const code_index *ix,
                         long *lead)
{
    row_key *k = malloc((size_t)(t->nrows + 1) * sizeof *k);
    if (!k) return false;
    long n = 0;
    for (long r = 0; r < t->nrows; r++) {
        const char *name = cov_trim(cov_csv_cell(t, r, cc)->text);
        const char *code = ck >= 0 ? cov_trim(cov_csv_cell(t, r, ck)->text) : "";
        const name_run *several;
        const char *key_code = series_code(ix, name, code, &several);
        lead[r] = -1;
        if (!*name || several) continue;
        int g = cg >= 0 ? cov_model_group(m, cov_trim(cov_csv_cell(t, r, cg)->text)) : -1;
        k[n++] = (row_key){ g, key_code, name, r };
    }
    qsort(k, (size_t)n, sizeof *k, by_key_row);
    for (long i = 0; i < n; i++)
        lead[k[i].row] = i && !key_cmp(&k[i - 1], &k[i]) ? lead[k[i - 1].row] : k[i].row;
    free(k);
    return true;
}

/* A card-flow cell: a whole number, or blank for "not reported" (-1). */
static bool flow_cell(const cov_field *f, int64_t *out)
{
    char buf[64];
    snprintf(buf, sizeof buf, "%s", f->text);
    if (!*cov_trim(buf)) { *out = -1; return true; }
    return cov_parse_int64(f->text, out);
}

static bool push(cov_hseries *s, int month, int64_t N, int64_t I, int64_t E, int64_t L, bool flows)
{
    int n = s->n + 1;
    int *mo = realloc(s->month, (size_t)n * sizeof *mo);
    int64_t *nn = realloc(s->N, (size_t)n * sizeof *nn), *ii = realloc(s->I, (size_t)n * sizeof *ii);
    if (mo) s->month = mo;
    if (nn) s->N = nn;
    if (ii) s->I = ii;
    if (!mo || !nn || !ii) return false;
    if (flows) {
        int64_t *ee = realloc(s->E, (size_t)n * sizeof *ee), *ll = realloc(s->L, (size_t)n * sizeof *ll);
        if (ee) s->E = ee;
        if (ll) s->L = ll;
        if (!ee || !ll) return false;
    }
    int k = s->n;   /* insertion in month order */
    while (k > 0 && s->month[k - 1] > month) {
        s->month[k] = s->month[k - 1]; s->N[k] = s->N[k - 1]; s->I[k] = s->I[k - 1];
        if (flows) { s->E[k] = s->E[k - 1]; s->L[k] = s->L[k - 1]; }
        k--;
    }
    s->month[k] = month; s->N[k] = N; s->I[k] = I;
    if (flows) { s->E[k] = E; s->L[k] = L; }
    s->n = n;
    return true;
}

cov_history *cov_history_read(const char *path, const cov_model *m, char **levels, int nlevels, cov_diag *d)
{
    int before = d->n;
    cov_csv *t = cov_csv_read_delim(path, 0, d);
    if (!t) return NULL;
    int cc = cov_csv_column(t, "commune"), cm = cov_csv_column(t, "month"), cn = cov_csv_column(t, "population");
    int ci = cov_csv_column(t, "insured"), cg = cov_csv_column(t, "group"), ck = cov_csv_column(t, "commune_code");
    int ce = cov_csv_column(t, "new_cards"), cl = cov_csv_column(t, "lost_cards");
    if (cc < 0 || cm < 0 || cn < 0 || ci < 0) {
        cov_diag_add(d, COV_EINPUT, path, 1, 1, 1,
                     "a history needs the columns commune, month, population and insured "
                     "(and may have group, commune_code, new_cards, lost_cards)");
        cov_csv_free(t);
        return NULL;
    }
    if ((ce < 0) != (cl < 0)) {
        cov_diag_add(d, COV_EINPUT, path, 1, 1, 1, "give both new_cards and lost_cards, or neither");
        cov_csv_free(t);
        return NULL;
    }
    int clev[COV_MAX_LEVELS];
    for (int l = 0; l < nlevels && l < COV_MAX_LEVELS; l++)
        if ((clev[l] = cov_csv_column(t, levels[l])) < 0)
            cov_diag_add(d, COV_EINPUT, path, 1, 1, 1, "the header has no '%s' column", levels[l]);
    cov_history *h = calloc(1, sizeof *h);
    if (!h || d->n > before) { free(h); cov_csv_free(t); return NULL; }
    h->path = cov_strdup(path);
    h->has_group = cg >= 0;
    h->has_flows = ce >= 0;
    h->first = 1 << 30; h->last = -1;
    h->nlevels = nlevels;
    h->levels = NULL;   /* the names are the caller's */
    h->s = calloc((size_t)t->nrows + 1, sizeof *h->s);
    h->level_value = calloc((size_t)t->nrows + 1, sizeof *h->level_value);
    /* rows with a blank code take the one code the history gives their name, else are keyed by name */
    code_index codes = { 0 }, *ix = ck >= 0 ? &codes : NULL;
    long *lead = malloc((size_t)(t->nrows + 1) * sizeof *lead);
    int *series_of = malloc((size_t)(t->nrows + 1) * sizeof *series_of);   /* by lead row; -1: none yet */
    bool oom = !h->s || !h->level_value || !lead || !series_of || (ix && !code_index_build(ix, t, cc, ck))
               || !series_leads(t, m, cc, cg, ck, ix, lead);
    if (oom) cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the history");
    for (long r = 0; !oom && r < t->nrows; r++) series_of[r] = -1;
    for (long r = 0; !oom && r < t->nrows && d->n < COV_DIAG_MAX; r++) {
        const cov_field *fc = cov_csv_cell(t, r, cc), *fm = cov_csv_cell(t, r, cm);
        const cov_field *fn = cov_csv_cell(t, r, cn), *fi = cov_csv_cell(t, r, ci);
        const cov_field *fk = ix ? cov_csv_cell(t, r, ck) : NULL;
        const char *name = cov_trim(fc->text), *code = fk ? cov_trim(fk->text) : "";
        int month, g = -1;
        int64_t N, I, E = 0, L = 0;
        int errs = d->n;
        if (!*name && *code)
            cov_diag_add(d, COV_EINPUT, path, fc->line, fc->col, 1,
                         "the commune name is empty (the row gives commune_code %s, but every result names "
                         "the commune: give its name too)", code);
        else if (!*name)
            cov_diag_add(d, COV_EINPUT, path, fc->line, fc->col, 1, "the commune name is empty");
        if (!cov_month_parse(fm->text, &month))
            cov_diag_add(d, COV_EINPUT, path, fm->line, fm->col, cov_utf8_width(fm->text, strlen(fm->text)),
                         "month must be written YYYY-MM, got \"%s\"", fm->text);
        cov_count_cell(d, path, fn, "population", &N);
        if (cov_count_cell(d, path, fi, "insured", &I) && d->n == errs && I > N)
            cov_diag_add(d, COV_EINPUT, path, fi->line, fi->col, cov_utf8_width(fi->text, strlen(fi->text)),
                         "insured (%lld) is more than the population (%lld)", (long long)I, (long long)N);
        if (ce >= 0) {
            const cov_field *fe = cov_csv_cell(t, r, ce), *fl = cov_csv_cell(t, r, cl);
            if (!flow_cell(fe, &E))
                cov_diag_add(d, COV_EINPUT, path, fe->line, fe->col, 1,
                             "new_cards must be a whole number (or blank: not reported), got \"%s\"", fe->text);
            if (!flow_cell(fl, &L))
                cov_diag_add(d, COV_EINPUT, path, fl->line, fl->col, 1,
                             "lost_cards must be a whole number (or blank: not reported), got \"%s\"", fl->text);
            if (d->n == errs && (E < 0) != (L < 0)) { E = -1; L = -1; }   /* one flow without the other: not used */
        }
        if (cg >= 0) {
            const cov_field *fg = cov_csv_cell(t, r, cg);
            if ((g = cov_model_group(m, cov_trim(fg->text))) < 0)
                cov_diag_add(d, COV_EINPUT, path, fg->line, fg->col, cov_utf8_width(fg->text, strlen(fg->text)),
                             "unknown group \"%s\" (the model file defines the groups)", fg->text);
        }
        const name_run *several = NULL;
        const char *key_code = *name ? series_code(ix, name, code, &several) : NULL;
        if (several) {
            char list[400] = "";
            for (long j = 0; j < several->n; j++) {
                size_t used = strlen(list);
                if (j == 8 && several->n > 9) {   /* the first 8, then how many */
                    snprintf(list + used, sizeof list - used, ", and %ld more", several->n - 8);
                    break;
                }
                snprintf(list + used, sizeof list - used, "%s%s", j ? ", " : "", codes.pair[several->first + j].code);
            }
            cov_diag_add(d, COV_EINPUT, path, fk->line, fk->col, 1,
                         "commune_code is blank, and this history gives the name \"%s\" to %ld communes "
                         "(codes %s): give this row the code of its commune", name, several->n, list);
        }
        if (d->n > errs) continue;
        int k = series_of[lead[r]];
        if (k < 0) {
            k = series_of[lead[r]] = h->nseries++;
            h->s[k].commune = cov_strdup(name);
            h->s[k].code = key_code ? cov_strdup(key_code) : NULL;
            h->s[k].group = g;
            h->s[k].line = fc->line;
            h->level_value[k] = calloc((size_t)nlevels + 1, sizeof(char *));
            for (int l = 0; l < nlevels && h->level_value[k]; l++)
                h->level_value[k][l] = cov_strdup(cov_trim(cov_csv_cell(t, r, clev[l])->text));
        }
        for (int j = 0; j < h->s[k].n; j++)
            if (h->s[k].month[j] == month) {
                cov_diag_add(d, COV_EINPUT, path, fm->line, fm->col, 7,
                             "%s has two rows for %s%s%s", name, fm->text, g >= 0 ? " in group " : "",
                             g >= 0 ? m->g[g].name : "");
                break;
            }
        if (d->n > errs) continue;
        if (!push(&h->s[k], month, N, I, E, L, h->has_flows)) {
            cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
            break;
        }
        if (month < h->first) h->first = month;
        if (month > h->last) h->last = month;
    }
    free(lead);
    free(series_of);
    code_index_free(&codes);
    cov_csv_free(t);
    if (!h->s || d->n > before) { cov_history_free(h); return NULL; }
    if (h->nseries == 0) {
        cov_diag_add(d, COV_EINPUT, path, 0, 0, 0, "the history has no rows");
        cov_history_free(h);
        return NULL;
    }
    return h;
}

void cov_history_free(cov_history *h)
{
    if (!h) return;
    for (int i = 0; h->s && i < h->nseries; i++) {
        cov_hseries *s = &h->s[i];
        free(s->commune); free(s->code); free(s->month); free(s->N); free(s->I); free(s->E); free(s->L);
        if (h->level_value && h->level_value[i]) {
            for (int l = 0; l < h->nlevels; l++) free(h->level_value[i][l]);
            free(h->level_value[i]);
        }
    }
    free(h->level_value);
    free(h->s);
    free(h->path);
    free(h);
}

/* The first bytes of a model file that cov_fit_write_model wrote. */
#define FITTED_SIGNATURE "; Calibrated by covcast "

/* Loads what a fit needs: the model, the history, and for a totals-only
 * history against several groups the population file's mix (an error
 * without one). False with d filled. */
bool cov_fit_inputs(const char *history, const char *model_path, const cov_cal_opts *o, cov_model **m,
                    cov_history **h, cov_mix **mix, cov_diag *d)
{
    *h = NULL; *mix = NULL;
    if (!(*m = cov_model_load(model_path, d))) return false;
    char *lev[1] = { o && o->level ? (char *)o->level : NULL };
    if (!(*h = cov_history_read(history, *m, lev, lev[0] ? 1 : 0, d))) return false;
    if (!(*h)->has_group && (*m)->ngroups > 1 && o && o->population)
        return (*mix = cov_mix_load(o->population, *m, d)) != NULL;
    return true;
}

/* The rates file of --levels beside the model file out: "x.ini" gives
 * "x-rates.csv" (out NULL: "rates.csv"). */
static void rates_path(const char *out, char *buf, size_t n)
{
    if (!out) { snprintf(buf, n, "rates.csv"); return; }
    size_t l = strlen(out);
    if (l > 4 && !strcmp(out + l - 4, ".ini")) l -= 4;
    snprintf(buf, n, "%.*s-rates.csv", (int)l, out);
}

/* [units] of a model written with --levels: it names the rates file
 * written beside it (by its name alone: a path relative to the model). */
static void units_block(FILE *f, const char *rates, const char *level)
{
    const char *base = strrchr(rates, '/');
    fprintf(f, "\n[units]\n; the rates of each %s, pooled toward the groups' (calibrate --levels)\n"
               "rates = %s\nlevel = %s\n", level, base ? base + 1 : rates, level);
}

cov_status cov_calibrate(const char *history, const char *model_path, const struct cov_cal_opts *opts,
                         const char *out, void *fpv, cov_diag *d)
{
    FILE *fp = fpv;
    cov_model *m;
    cov_history *h;
    cov_mix *mix;
    if (!cov_fit_inputs(history, model_path, opts, &m, &h, &mix, d)) {
        cov_history_free(h);
        cov_model_free(m);
        return d->status ? d->status : COV_EINPUT;
    }
    cov_fit fit;
    cov_fit_rates_opts(h, m, 1 << 30, opts, mix, &fit);
    cov_status st = COV_OK;
    FILE *f = stdout;
    cov_outfile *of = NULL;
    if (out) {   /* never onto the history or the base model; over a model file only if covcast wrote it */
        if (!(of = cov_outfile_begin(out, FITTED_SIGNATURE, d))) st = d->status;
        else f = cov_outfile_stream(of);
    }
    if (st == COV_OK && !cov_fit_any(h, m, &fit, d)) {   /* nothing to write: say why, in figures */
        cov_outfile_abort(of);
        of = NULL;
        st = COV_EINPUT;
    }
    char rates[4200] = "";
    if (opts && opts->level) rates_path(out, rates, sizeof rates);
    if (st == COV_OK) {
        bool ok = cov_fit_write_model(f, h, m, &fit, 1 << 30);
        if (*rates) units_block(f, rates, opts->level);
        if (of && !ok) {
            cov_outfile_abort(of);
            cov_diag_add(d, COV_EIO, out, 0, 0, 0, "cannot write the model file");
            st = COV_EIO;
        } else if (of) {
            st = cov_outfile_commit(of, d);
        }
    }
    if (st == COV_OK && fp) cov_fit_print(fp, h, m, &fit);
    if (st == COV_OK && *rates) {   /* --levels: the units' pooled rates beside the model */
        st = cov_fit_units_write(rates, h, m, 1 << 30, opts, mix, &fit, fp, d);
    }
    if (st == COV_OK && fp && out) fprintf(fp, "Written to %s%s%s\n", out, *rates ? " and " : "", rates);
    cov_mix_free(mix);
    cov_history_free(h);
    cov_model_free(m);
    return st;
}
