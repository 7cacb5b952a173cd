/* units.c — rates per unit of a level: the rates file a model names in
 * [units] (calibrate --levels writes one), and its match to a population
 * (docs/MODEL.md "Rates per unit in a run"). */
#include "csvread.h"
#include "load.h"
#include "rng.h"
#include "text.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cov_units_free(cov_units_file *u)
{
    if (!u) return;
    for (int i = 0; i < u->nrows; i++) free(u->rows[i].unit);
    free(u->rows); free(u->path); free(u->level);
    free(u);
}

/* A number of row r, column col of t into *out, within [lo, hi]; false
 * with an error at the cell otherwise. */
static bool cell_number(const cov_csv *t, long r, int col, double lo, double hi, const char *what,
                        double *out, cov_diag *d)
{
    const cov_field *f = cov_csv_cell(t, r, col);
    if (cov_parse_double(f->text, out) && *out >= lo && *out <= hi) return true;
    cov_diag_add(d, COV_EINPUT, t->path, f->line, f->col, (long)strlen(f->text) + 1,
                 "'%s' must be %s, got \"%s\"", t->header[col].text, what, f->text);
    return false;
}

/* Reads the rows of rates file path (header level, unit, group, enroll,
 * enroll_sd, lapse, lapse_sd; other columns ignored) for level lev. */
static bool read_rows(cov_units_file *u, const cov_model *m, cov_diag *d)
{
    cov_csv *t = cov_csv_read(u->path, d);
    if (!t) return false;
    static const char *need[] = { "level", "unit", "group", "enroll", "enroll_sd", "lapse", "lapse_sd" };
    int col[7];
    bool ok = true;
    for (int j = 0; j < 7; j++)
        if ((col[j] = cov_csv_column(t, need[j])) < 0) {
            cov_diag_add(d, COV_EINPUT, u->path, 1, 1, 1,
                         "a rates file needs the columns level, unit, group, enroll, enroll_sd, lapse, lapse_sd "
                         "(as calibrate --levels writes them); the header has no '%s'", need[j]);
            ok = false;
        }
    if (ok && !(u->rows = calloc((size_t)t->nrows + 1, sizeof *u->rows))) {
        cov_diag_add(d, COV_ELIMIT, u->path, 0, 0, 0, "out of memory");
        ok = false;
    }
    for (long r = 0; ok && r < t->nrows; r++) {
        const cov_field *lv = cov_csv_cell(t, r, col[0]), *un = cov_csv_cell(t, r, col[1]),
                        *gr = cov_csv_cell(t, r, col[2]);
        if (strcmp(lv->text, u->level)) {
            cov_diag_add(d, COV_EINPUT, u->path, lv->line, lv->col, (long)strlen(lv->text) + 1,
                         "this row is for level '%s' but the model's [units] level is '%s'", lv->text, u->level);
            continue;
        }
        int g = !strcmp(gr->text, "all") ? COV_UNIT_ALL : !strcmp(gr->text, "factors") ? COV_UNIT_FACTORS
              : cov_model_group(m, gr->text);
        if (g == -1 && strcmp(gr->text, "all")) {
            cov_diag_add(d, COV_EINPUT, u->path, gr->line, gr->col, (long)strlen(gr->text) + 1,
                         "group \"%s\" is not a group of the model (%s), nor 'all' or 'factors'", gr->text, m->path);
            continue;
        }
        if (g == -1) g = COV_UNIT_ALL;
        cov_unit_row *w = &u->rows[u->nrows];
        w->group = g;
        w->line = un->line;
        bool f = g == COV_UNIT_FACTORS;
        const char *what = f ? "a factor 0 or above" : "a probability from 0 to 1";
        char spread[96];
        snprintf(spread, sizeof spread, "a spread from 0 to %g", COV_MAX_SPREAD);
        if (!cell_number(t, r, col[3], 0, f ? INFINITY : 1, what, &w->enroll, d)
            | !cell_number(t, r, col[4], 0, COV_MAX_SPREAD, spread, &w->enroll_sd, d)
            | !cell_number(t, r, col[5], 0, f ? INFINITY : 1, what, &w->lapse, d)
            | !cell_number(t, r, col[6], 0, COV_MAX_SPREAD, spread, &w->lapse_sd, d))
            continue;
        for (int k = 0; k < u->nrows; k++)   /* one row per unit and group */
            if (!strcmp(u->rows[k].unit, un->text)
                && (u->rows[k].group == g || u->rows[k].group < 0 || g < 0)) {
                cov_diag_add(d, COV_EINPUT, u->path, un->line, un->col, (long)strlen(un->text) + 1,
                             "unit \"%s\" has its rates twice for group %s: here and on line %ld",
                             un->text, gr->text, u->rows[k].line);
                break;
            }
        if (!(w->unit = cov_strdup(un->text))) { ok = false; break; }
        u->nrows++;
    }
    cov_csv_free(t);
    return ok;
}

cov_units_file *cov_units_read(const cov_ini *ini, const cov_model *m, cov_diag *d)
{
    int before = d->n;
    cov_units_file *u = calloc(1, sizeof *u);
    cov_ini_entry *rates = cov_ini_find((cov_ini *)ini, "units", "rates");
    cov_ini_entry *level = cov_ini_find((cov_ini *)ini, "units", "level");
    cov_ini_entry *missing = cov_ini_find((cov_ini *)ini, "units", "missing");
    long at = cov_ini_section_line(ini, "units", NULL);
    if (!u) { cov_diag_add(d, COV_ELIMIT, m->path, 0, 0, 0, "out of memory"); return NULL; }
    if (!rates || !level)
        cov_diag_add(d, COV_EINPUT, m->path, at, 0, 0,
                     "[units] needs 'rates' (the rates file, e.g. FITTED-rates.csv) and 'level' (commune or "
                     "a level column, e.g. district)");
    if (missing) {
        missing->used = true;
        if (!strcmp(missing->value, "group")) u->missing_group = true;
        else if (strcmp(missing->value, "error"))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, missing),
                         "'missing' must be 'error' (a commune whose unit has no row is an error) or 'group' "
                         "(it keeps the model's group rates), got \"%s\"", missing->value);
    }
    if (rates && level) {
        rates->used = level->used = true;
        u->path = cov_resolve(rates->file, rates->value);
        u->level = cov_strdup(level->value);
        if (!u->path || !u->level) cov_diag_add(d, COV_ELIMIT, m->path, 0, 0, 0, "out of memory");
        else if (!cov_named_file(rates, u->path, d)) { /* reported */ }
        else if (d->n == before) read_rows(u, m, d);
    }
    cov_ini_unused(ini, "units", "rates, level, missing", d);
    if (d->n > before) { cov_units_free(u); return NULL; }
    return u;
}

void cov_unit_rates_free(cov_unit_rates *r)
{
    if (!r) return;
    free(r->unit_of); free(r->key); free(r->has);
    free(r->p_e); free(r->p_l); free(r->log1m_e); free(r->log1m_l); free(r->sd_e); free(r->sd_l);
    free(r);
}

/* Index of the unit named name among the level's units (commune level:
 * a commune's code or name), or -1. */
static int find_unit(const cov_population *pop, int lev, const char *name)
{
    if (lev < 0) {
        for (int c = 0; c < pop->ncommunes; c++)
            if ((pop->c[c].code && !strcmp(pop->c[c].code, name)) || !strcmp(pop->c[c].name, name)) return c;
        return -1;
    }
    const cov_level *L = &pop->levels[lev];
    for (int k = 0; k < L->nunits; k++)
        if (!strcmp(L->units[k], name)) return k;
    return -1;
}

/* Sets unit k, group g from row w (factors apply to the group's hazard). */
static void take_row(cov_unit_rates *r, const cov_model *m, int k, int g, const cov_unit_row *w)
{
    long i = (long)k * m->ngroups + g;
    const cov_group *gr = &m->g[g];
    r->has[i] = true;
    if (w->group == COV_UNIT_FACTORS) {
        r->log1m_e[i] = w->enroll * log1p(-gr->enroll);
        r->log1m_l[i] = w->lapse * log1p(-gr->lapse);
        r->p_e[i] = -expm1(r->log1m_e[i]);
        r->p_l[i] = -expm1(r->log1m_l[i]);
    } else {
        r->p_e[i] = w->enroll;
        r->p_l[i] = w->lapse;
        r->log1m_e[i] = log1p(-w->enroll);
        r->log1m_l[i] = log1p(-w->lapse);
    }
    r->sd_e[i] = w->enroll_sd;
    r->sd_l[i] = w->lapse_sd;
}

cov_unit_rates *cov_units_resolve(const cov_model *m, const cov_population *pop, cov_diag *d)
{
    const cov_units_file *u = m->units;
    int before = d->n, lev = -2;
    if (!strcmp(u->level, "commune")) lev = -1;
    for (int l = 0; l < pop->nlevels; l++)
        if (!strcmp(pop->levels[l].name, u->level)) lev = l;
    if (lev == -2) {
        cov_diag_add(d, COV_EINPUT, m->path, 0, 0, 0,
                     "[units] level = %s, but the run's population has no such level: name it in [run] levels "
                     "(or use commune)", u->level);
        return NULL;
    }
    const int G = m->ngroups, C = pop->ncommunes, nu = lev < 0 ? C : pop->levels[lev].nunits;
    cov_unit_rates *r = calloc(1, sizeof *r);
    size_t n = (size_t)nu * (size_t)G + 1;
    if (!r || !(r->unit_of = malloc((size_t)C * sizeof(int) + 1)) || !(r->key = malloc((size_t)nu * 8 + 8))
        || !(r->has = calloc(n, 1)) || !(r->p_e = calloc(n, 8)) || !(r->p_l = calloc(n, 8))
        || !(r->log1m_e = calloc(n, 8)) || !(r->log1m_l = calloc(n, 8)) || !(r->sd_e = calloc(n, 8))
        || !(r->sd_l = calloc(n, 8))) {
        cov_unit_rates_free(r);
        cov_diag_add(d, COV_ELIMIT, m->path, 0, 0, 0, "out of memory");
        return NULL;
    }
    r->nunits = nu;
    for (int c = 0; c < C; c++) r->unit_of[c] = lev < 0 ? c : pop->c[c].parent[lev];
    uint64_t lkey = cov_hash_str(u->level);
    for (int k = 0; k < nu; k++)
        r->key[k] = lev < 0 ? pop->c[k].key : cov_key_mix(lkey, cov_hash_str(pop->levels[lev].units[k]));
    /* Rows of units not in the population are left aside: one rates file
     * serves a run of any part of its area. */
    for (int i = 0; i < u->nrows; i++) {
        const cov_unit_row *w = &u->rows[i];
        int k = find_unit(pop, lev, w->unit);
        if (k < 0) continue;
        for (int g = 0; g < G; g++)
            if (w->group < 0 || w->group == g) take_row(r, m, k, g, w);
    }
    /* A commune whose unit has no row for a group: an error, unless
     * missing = group; one message per unit. */
    bool *told = u->missing_group ? NULL : calloc((size_t)nu + 1, 1);
    for (int c = 0; c < C && told; c++) {
        int k = r->unit_of[c];
        if (told[k]) continue;
        told[k] = true;
        for (int g = 0; g < G; g++)
            if (!r->has[(long)k * G + g]) {
                cov_diag_add(d, COV_EINPUT, pop->path, pop->c[c].line, 0, 0,
                             "%s \"%s\" (commune \"%s\") has no row for group %s in the rates file %s; add one, "
                             "or write 'missing = group' in the model's [units] to keep the model's group rates "
                             "there", u->level, lev < 0 ? pop->c[c].name : pop->levels[lev].units[k],
                             pop->c[c].name, m->g[g].name, u->path);
                break;
            }
        if (d->n - before >= 20) break;
    }
    free(told);
    if (d->n > before) { cov_unit_rates_free(r); return NULL; }
    return r;
}
