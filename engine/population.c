/* population.c — loads the population CSV: one row per commune and group,
 * with the parent-level columns the scenario names. Validates every row and
 * collects the errors; builds the communes and the units of each level. */
#define _GNU_SOURCE
#include "load.h"
#include "csvread.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The unit of level lv named value inside the coarser unit outer (""
 * at the coarsest level), added when new; -1 when out of memory. */
static int level_unit(cov_level *lv, const char *value, const char *outer)
{
    for (int u = 0; u < lv->nunits; u++)
        if (!strcmp(lv->units[u], value) && !strcmp(lv->outer[u], outer)) return u;
    char **nu = realloc(lv->units, (size_t)(lv->nunits + 1) * sizeof *nu);
    if (nu) lv->units = nu;
    char **no = nu ? realloc(lv->outer, (size_t)(lv->nunits + 1) * sizeof *no) : NULL;
    if (!no) return -1;
    lv->outer = no;
    lv->units[lv->nunits] = cov_strdup(value);
    lv->outer[lv->nunits] = cov_strdup(outer);
    if (!lv->units[lv->nunits] || !lv->outer[lv->nunits]) {
        free(lv->units[lv->nunits]);
        free(lv->outer[lv->nunits]);
        return -1;
    }
    return lv->nunits++;
}

/* Gives the units of lv that share a name with another unit of lv the
 * name of their outer unit: "Huyện Châu Thành (Tỉnh An Giang)". False
 * when out of memory. */
static bool tell_apart(cov_level *lv)
{
    bool *shared = calloc((size_t)lv->nunits + 1, sizeof *shared);
    if (!shared) return false;
    for (int u = 0; u < lv->nunits; u++)
        for (int v = u + 1; v < lv->nunits; v++)
            if (!strcmp(lv->units[u], lv->units[v])) shared[u] = shared[v] = true;
    bool ok = true;
    for (int u = 0; u < lv->nunits && ok; u++) {
        char *shown = NULL;
        if (!shared[u] || !*lv->outer[u]) continue;
        if (asprintf(&shown, "%s (%s)", lv->units[u], lv->outer[u]) < 0) { ok = false; continue; }
        free(lv->units[u]);
        lv->units[u] = shown;
    }
    free(shared);
    return ok;
}

/* Commune lookup by key string (code or name): a simple open-addressing
 * table over the communes read so far. */
typedef struct { long cap; int *slot; } index_t;

static int index_find(index_t *ix, const cov_population *p, bool by_code, const char *k, uint64_t h)
{
    for (long i = (long)(h % (uint64_t)ix->cap);; i = (i + 1) % ix->cap) {
        int c = ix->slot[i];
        if (c < 0) return -1 - (int)i;
        const char *kc = by_code ? p->c[c].code : p->c[c].name;
        if (!strcmp(kc, k)) return c;
    }
}

static void bad(cov_diag *d, const cov_csv *t, const cov_field *f, const char *fmt, const char *a, const char *b)
{
    cov_diag_add(d, COV_EINPUT, t->path, f->line, f->col,
                 f->text[0] ? cov_utf8_width(f->text, strlen(f->text)) : 1, fmt, a, b);
}

/* A count of people in f of file path (what: its column, as the message
 * names it) over the limit of one commune and group, however large:
 * COV_ELIMIT. */
static void beyond(cov_diag *d, const char *path, const cov_field *f, const char *what)
{
    cov_diag_add(d, COV_ELIMIT, path, f->line, f->col, cov_utf8_width(f->text, strlen(f->text)),
                 "%s %s is beyond the limit of %lld people in one commune and group", what, f->text,
                 (long long)COV_MAX_CELL_POPULATION);
}

cov_population *cov_population_load(const char *path, const cov_model *m,
                                    char **levels, int nlevels,
                                    char **extra, int nextra, const cov_read_opts *ro, cov_diag *d)
{
    int before = d->n;
    cov_csv *t = cov_csv_read_delim(path, ro ? ro->delim : 0, d);
    if (!t) return NULL;
    int shape_errors = d->n;
    int ccom = cov_csv_column(t, "commune"), cgrp = cov_csv_column(t, "group");
    int cpop = cov_csv_column(t, "population"), cins = cov_csv_column(t, "insured");
    int ccode = cov_csv_column(t, "commune_code");
    int clev[COV_MAX_LEVELS];
    const char *need[4] = { "commune", "group", "population", "insured" };
    int have[4] = { ccom, cgrp, cpop, cins };
    for (int k = 0; k < 4; k++)
        if (have[k] < 0)
            cov_diag_add(d, COV_EINPUT, path, 1, 1, 1,
                         "the header has no '%s' column; a population file needs "
                         "commune,group,population,insured (and optional commune_code)", need[k]);
    if (nlevels > COV_MAX_LEVELS) {
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "more than %d levels", COV_MAX_LEVELS);
        nlevels = COV_MAX_LEVELS;
    }
    for (int l = 0; l < nlevels; l++)
        if ((clev[l] = cov_csv_column(t, levels[l])) < 0)
            cov_diag_add(d, COV_EINPUT, path, 1, 1, 1,
                         "the header has no '%s' column, which the scenario's 'levels' names", levels[l]);
    int cext[COV_MAX_EXTRA];
    if (nextra > COV_MAX_EXTRA) nextra = COV_MAX_EXTRA;
    for (int x = 0; x < nextra; x++)
        if ((cext[x] = cov_csv_column(t, extra[x])) < 0)
            cov_diag_add(d, COV_EINPUT, path, 1, 1, 1,
                         "the header has no '%s' column, which the scenario's people_column names", extra[x]);
    int *repeat = malloc((size_t)t->ncols * sizeof *repeat);
    if (!repeat || !cov_csv_repeats(t, repeat))
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the header");
    for (int j = 0; repeat && j < t->ncols; j++)
        if (repeat[j] >= 0)
            cov_diag_add(d, COV_EINPUT, path, t->header[j].line, t->header[j].col,
                         cov_utf8_width(t->header[j].text, strlen(t->header[j].text)),
                         "column '%s' appears twice in the header (first in column %d)", t->header[j].text,
                         repeat[j] + 1);
    free(repeat);
    if (d->n > shape_errors) { cov_csv_free(t); return NULL; }

    /* Number convention: declared, or read off the file when it is plain
     * which one it uses; both at once is an error, never a guess. */
    int conv = ro ? ro->numbers : -1;
    if (conv < 0) {
        const cov_field *vn = NULL, *en = NULL;
        int cols[2 + COV_MAX_EXTRA] = { cpop, cins }, nc = 2;
        for (int x = 0; x < nextra; x++) cols[nc++] = cext[x];
        for (long r = 0; r < t->nrows && (!vn || !en); r++)
            for (int k = 0; k < nc; k++) {
                const cov_field *f = cov_csv_cell(t, r, cols[k]);
                int style = cov_count_style(f->text);
                if (style == COV_NUM_VN && !vn) vn = f;
                if (style == COV_NUM_EN && !en) en = f;
            }
        if (vn && en) {
            cov_diag_add(d, COV_EINPUT, path, en->line, en->col, cov_utf8_width(en->text, strlen(en->text)),
                         "the numbers mix two conventions: \"%s\" here, \"%s\" on line %ld; say which the file "
                         "uses: --decimal-comma (4.476 means four thousand) or decimal_comma = no in [run]",
                         en->text, vn->text, vn->line);
            cov_csv_free(t);
            return NULL;
        }
        conv = vn ? COV_NUM_VN : en ? COV_NUM_EN : COV_NUM_PLAIN;
    }

    cov_population *p = calloc(1, sizeof *p);
    index_t ix = { .cap = 2 * t->nrows + 17 };
    ix.slot = malloc((size_t)ix.cap * sizeof *ix.slot);
    long *seen_row = NULL;  /* [commune*G + g]: line of the row that set it, 0 if none */
    if (!p || !ix.slot || !(p->path = cov_strdup(path))
        || !(p->c = calloc((size_t)t->nrows + 1, sizeof *p->c))) goto oom;
    for (long i = 0; i < ix.cap; i++) ix.slot[i] = -1;
    p->nlevels = nlevels;
    p->nextra = nextra;
    for (int x = 0; x < nextra; x++)
        if (!(p->extra[x] = cov_strdup(extra[x]))) goto oom;
    for (int l = 0; l < nlevels; l++)
        if (!(p->levels[l].name = cov_strdup(levels[l]))) goto oom;

    bool by_code = ccode >= 0;
    for (long r = 0; r < t->nrows; r++) {
        if (d->n >= COV_DIAG_MAX) { d->dropped++; break; }   /* enough to fix first */
        const cov_field *fname = cov_csv_cell(t, r, ccom), *fgrp = cov_csv_cell(t, r, cgrp);
        const cov_field *fpop = cov_csv_cell(t, r, cpop), *fins = cov_csv_cell(t, r, cins);
        const cov_field *fcode = by_code ? cov_csv_cell(t, r, ccode) : NULL;
        char *name = cov_trim(fname->text);
        char *code = fcode ? cov_trim(fcode->text) : NULL;
        int errs = d->n;
        if (!*name) bad(d, t, fname, "the commune name is empty%s%s", "", "");
        if (fcode && !*code) bad(d, t, fcode, "commune_code is empty; give every row its code, or drop the column%s%s", "", "");
        int g = cov_model_group(m, cov_trim(fgrp->text));
        if (g < 0) {
            char known[1024] = "";
            for (int k = 0; k < m->ngroups; k++) {
                if (k) strncat(known, ", ", sizeof known - strlen(known) - 1);
                strncat(known, m->g[k].name, sizeof known - strlen(known) - 1);
            }
            bad(d, t, fgrp, "unknown group \"%s\"; the model's groups are: %s", fgrp->text, known);
        }
        int64_t N = 0, I = 0;
        bool okN = cov_parse_count(fpop->text, conv, &N), okI = cov_parse_count(fins->text, conv, &I);
        if (!okN && !*cov_trim(fpop->text))
            bad(d, t, fpop, "population is empty: give the number of people%s%s", "", "");
        else if (okN ? N > COV_MAX_CELL_POPULATION : cov_count_too_large(fpop->text, conv))
            beyond(d, t->path, fpop, "population");
        else if (!okN)
            bad(d, t, fpop, "population must be a whole number of people, 0 or more, got \"%s\"%s", fpop->text, "");
        if (!okI && !*cov_trim(fins->text))
            bad(d, t, fins, "insured is empty: give the number of people holding a valid card%s%s", "", "");
        else if (okI ? I > COV_MAX_CELL_POPULATION : cov_count_too_large(fins->text, conv))
            beyond(d, t->path, fins, "insured");
        else if (!okI)
            bad(d, t, fins, "insured must be a whole number of people, 0 or more, got \"%s\"%s", fins->text, "");
        else if (okN && I > N)
            cov_diag_add(d, COV_EINPUT, path, fins->line, fins->col, (long)cov_utf8_width(fins->text, strlen(fins->text)),
                         "insured (%s) is more than the population (%lld) of this commune and group",
                         fins->text, (long long)N);
        int64_t xv[COV_MAX_EXTRA] = { 0 };
        for (int x = 0; x < nextra; x++) {
            const cov_field *fx = cov_csv_cell(t, r, cext[x]);
            if (!*cov_trim(fx->text)) continue;
            bool ok = cov_parse_count(fx->text, conv, &xv[x]);
            if (ok ? xv[x] > COV_MAX_CELL_POPULATION : cov_count_too_large(fx->text, conv)) {
                char what[300];
                snprintf(what, sizeof what, "'%s'", extra[x]);
                beyond(d, t->path, fx, what);
            } else if (!ok)
                bad(d, t, fx, "'%s' must be a whole number of people, 0 or more, got \"%s\"", extra[x], fx->text);
        }
        if (d->n > errs) continue;

        const char *key = by_code ? code : name;
        uint64_t h = cov_hash_str(key);
        int c = index_find(&ix, p, by_code, key, h);
        if (c < 0) {
            long slot = -1 - c;
            c = p->ncommunes++;
            ix.slot[slot] = c;
            cov_commune *cm = &p->c[c];
            if (!(cm->name = cov_strdup(name)) || (by_code && !(cm->code = cov_strdup(code)))) goto oom;
            cm->key = h;
            cm->line = fname->line;
            for (int l = 0; l < nlevels; l++) {
                const cov_field *fl = cov_csv_cell(t, r, clev[l]);
                char *v = cov_trim(fl->text);
                if (!*v) {
                    bad(d, t, fl, "the '%s' column is empty for commune %s", levels[l], name);
                    cm->parent[l] = -1;
                    continue;
                }
                const char *outer = l + 1 < nlevels && !(ro && ro->crossing) ? cov_trim(cov_csv_cell(t, r, clev[l + 1])->text) : "";
                if ((cm->parent[l] = level_unit(&p->levels[l], v, outer)) < 0) goto oom;
            }
        } else {
            cov_commune *cm = &p->c[c];
            if (by_code && strcmp(cm->name, name))
                cov_diag_add(d, COV_EINPUT, path, fname->line, fname->col,
                             cov_utf8_width(name, strlen(name)),
                             "commune code %s is named \"%s\" here but \"%s\" on line %ld",
                             code, name, cm->name, cm->line);
            for (int l = 0; l < nlevels; l++) {
                const cov_field *fl = cov_csv_cell(t, r, clev[l]);
                const char *v = cov_trim(fl->text);
                if (cm->parent[l] < 0) continue;   /* already reported */
                if (strcmp(v, p->levels[l].units[cm->parent[l]]))
                    bad(d, t, fl, "this commune's '%s' is \"%s\" here but differs on its earlier rows",
                        levels[l], v);
            }
        }
        for (int x = 0; x < nextra; x++) p->c[c].extra[x] += xv[x];
        if (g < 0) continue;
        if (!seen_row) {
            seen_row = calloc((size_t)(t->nrows + 1) * (size_t)m->ngroups, sizeof *seen_row);
            if (!seen_row) goto oom;
        }
        long *sr = &seen_row[(size_t)c * (size_t)m->ngroups + (size_t)g];
        if (*sr) {
            char prev[32];
            snprintf(prev, sizeof prev, "%ld", *sr);
            bad(d, t, fgrp, "duplicate row: commune and group \"%s\" were already given on line %s",
                fgrp->text, prev);
            continue;
        }
        *sr = fgrp->line;
        p->c[c].N[g] = N;
        p->c[c].I[g] = I;
    }
    if (t->nrows == 0)
        cov_diag_add(d, COV_EINPUT, path, 0, 0, 0, "the file has a header but no rows");
    for (int c = 0; c < p->ncommunes && d->n < COV_DIAG_MAX; c++) {   /* keeps every count within the samplers' range */
        int64_t total = 0;
        for (int g = 0; g < m->ngroups; g++) total += p->c[c].N[g];
        if (total > COV_MAX_CELL_POPULATION)
            cov_diag_add(d, COV_ELIMIT, path, p->c[c].line, 0, 0,
                         "commune %s has %lld people in all, beyond the limit of 2,000,000,000 for one commune",
                         p->c[c].name, (long long)total);
    }
    for (int l = 0; l < p->nlevels; l++)
        if (!tell_apart(&p->levels[l])) goto oom;
    free(seen_row);
    free(ix.slot);
    cov_csv_free(t);
    if (d->n > before) { cov_population_free(p); return NULL; }
    cov_commune *shrunk = realloc(p->c, (size_t)p->ncommunes * sizeof *p->c);
    if (shrunk) p->c = shrunk;
    return p;
oom:
    free(seen_row);
    free(ix.slot);
    cov_csv_free(t);
    cov_population_free(p);
    cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the population");
    return NULL;
}

void cov_population_free(cov_population *p)
{
    if (!p) return;
    for (int c = 0; c < p->ncommunes; c++) { free(p->c[c].name); free(p->c[c].code); }
    free(p->c);
    for (int l = 0; l < p->nlevels; l++) {
        for (int u = 0; u < p->levels[l].nunits; u++) { free(p->levels[l].units[u]); free(p->levels[l].outer[u]); }
        free(p->levels[l].units);
        free(p->levels[l].outer);
        free(p->levels[l].name);
    }
    for (int x = 0; x < p->nextra; x++) free(p->extra[x]);
    free(p->path);
    free(p);
}

/* A count of people in cell f, named what in the messages: true with *out
 * set, or false with the error added to d (beyond the limit of one commune
 * and group, COV_ELIMIT, however large; anything else, COV_EINPUT). */
bool cov_count_cell(cov_diag *d, const char *path, const cov_field *f, const char *what, int64_t *out)
{
    int style = cov_count_style(f->text);
    bool ok = cov_parse_count(f->text, style, out);
    if (ok ? *out > COV_MAX_CELL_POPULATION : cov_count_too_large(f->text, style))
        beyond(d, path, f, what);
    else if (!ok)
        cov_diag_add(d, COV_EINPUT, path, f->line, f->col, cov_utf8_width(f->text, strlen(f->text)),
                     "%s must be a whole number of people, got \"%s\"", what, f->text);
    else
        return true;
    return false;
}
