/* sections.c — the scenario's lever sections: [target.*], [campaign.*],
 * [reclassify.*], [school.*] and [demography]. Each parser reads its
 * section's entries, checks every value and points at the bad ones. */
#define _GNU_SOURCE
#include "csvread.h"
#include "load.h"
#include "text.h"

#include <libgen.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cov_resolve(const char *base, const char *rel)
{
    if (rel[0] == '/' || !strncmp(base, "--set", 5)) return cov_strdup(rel);
    char *b = cov_strdup(base);
    if (!b) return NULL;
    char *dir = dirname(b);
    size_t n = strlen(dir) + strlen(rel) + 2;
    char *out = malloc(n);
    if (out) {
        if (!strcmp(dir, ".")) snprintf(out, n, "%s", rel);
        else snprintf(out, n, "%s/%s", dir, rel);
    }
    free(b);
    return out;
}

long cov_section_line(const cov_ini *ini, const char *section, const char **file)
{
    long l = cov_ini_section_line(ini, section, file);
    for (int i = 0; i < ini->n && !l; i++)
        if (!strcmp(ini->e[i].section, section)) {
            l = ini->e[i].line;
            if (file) *file = ini->e[i].file;
        }
    return l;
}

/* Error about a whole section (a missing key): points at its header. */
static void missing(cov_diag *d, const cov_ini *ini, const char *sec, const char *what)
{
    const char *file;
    long line = cov_section_line(ini, sec, &file);
    cov_diag_add(d, COV_EINPUT, file, line, 0, 0, "[%s] needs %s", sec, what);
}

bool cov_month_value(cov_ini *ini, cov_ini_entry *e, int *out, cov_diag *d)
{
    if (cov_month_parse(e->value, out)) return true;
    cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                 "'%s' must be a month written YYYY-MM (e.g. 2018-05), got \"%s\"", e->key, e->value);
    return false;
}

/* "2018-06" or "2018-06..2018-07" (first to last) into m0, m1. */
static bool month_range(cov_ini *ini, cov_ini_entry *e, int *m0, int *m1, cov_diag *d)
{
    char *v = cov_strdup(e->value), *dots = v ? strstr(v, "..") : NULL;
    bool ok = v != NULL;
    if (dots) {
        *dots = '\0';
        ok = cov_month_parse(v, m0) && cov_month_parse(dots + 2, m1) && *m0 <= *m1;
    } else if (v) {
        ok = cov_month_parse(v, m0);
        *m1 = *m0;
    }
    free(v);
    if (!ok)
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "'months' must be a month YYYY-MM or a range YYYY-MM..YYYY-MM, first to last, got \"%s\"",
                     e->value);
    return ok;
}

/* The communes a scenario's word for a commune names. */
#define NAMED_KEEP 3             /* matches kept to list in a message */
typedef struct {
    int n;                       /* how many communes match */
    int c[NAMED_KEEP];           /* the first of them */
    char bare[256];              /* a qualified word's name part, "" when the word was not qualified */
} named_t;

/* Is u the name of one of commune c's parent units (any level)? */
static bool has_parent(const cov_population *p, int c, const char *u)
{
    for (int l = 0; l < p->nlevels; l++)
        if (p->c[c].parent[l] >= 0 && !strcmp(p->levels[l].units[p->c[c].parent[l]], u)) return true;
    return false;
}

/* Adds to m the communes called name whose parent units include every one
 * of parents[0..np). */
static void match_name(const cov_population *p, const char *name, char **parents, int np, named_t *m)
{
    for (int c = 0; c < p->ncommunes; c++) {
        if (strcmp(p->c[c].name, name)) continue;
        bool ok = true;
        for (int i = 0; i < np && ok; i++) ok = has_parent(p, c, parents[i]);
        if (!ok) continue;
        if (m->n < NAMED_KEEP) m->c[m->n] = c;
        m->n++;
    }
}

/* Splits a qualified word in place: "Tỉnh Y/Huyện X/Xã Z" into parents
 * {Tỉnh Y, Huyện X} and the name Xã Z; with paren, "Xã Z (Huyện X)" too
 * (the last balanced brackets hold a parent). Returns the name, or NULL
 * when k is not qualified that way. */
static char *split_qualified(char *k, char **parents, int *np, int max, bool paren)
{
    *np = 0;
    char *name = k;
    for (char *slash; (slash = strchr(name, '/')) && *np < max;) {
        *slash = '\0';
        parents[(*np)++] = cov_trim(name);
        name = slash + 1;
    }
    size_t n = strlen(name);
    if (paren && n > 1 && name[n - 1] == ')' && *np < max) {
        int depth = 0;
        char *open = NULL;
        for (char *q = name + n - 1; q >= name && !open; q--) {
            depth += *q == ')' ? 1 : *q == '(' ? -1 : 0;
            if (depth == 0) open = q;
        }
        if (!open || open == name) return NULL;
        name[n - 1] = '\0';
        *open = '\0';
        parents[(*np)++] = cov_trim(open + 1);
    }
    name = cov_trim(name);
    if (!*name || *np == 0) return NULL;
    for (int i = 0; i < *np; i++)
        if (!*parents[i]) return NULL;
    return name;
}

/* The communes that the word k names: the one whose code is k; else those
 * whose name is k; else those of a qualified name, "Xã Z (Huyện X)" or
 * "Tỉnh Y/Huyện X/Xã Z" (the name and some of its parent units, any level). */
static named_t communes_named(const cov_population *p, const char *k)
{
    named_t m = { 0 };
    for (int c = 0; c < p->ncommunes && !m.n; c++)
        if (p->c[c].code && !strcmp(p->c[c].code, k)) { m.n = 1; m.c[0] = c; }
    if (!m.n) match_name(p, k, NULL, 0, &m);
    for (int paren = 0; paren < 2 && !m.n; paren++) {
        char *q = cov_strdup(k), *parents[COV_MAX_LEVELS + 1];
        int np;
        char *name = q ? split_qualified(q, parents, &np, COV_MAX_LEVELS + 1, paren) : NULL;
        named_t mq = { 0 };
        if (name) {
            match_name(p, name, parents, np, &mq);
            named_t bare = { 0 };
            match_name(p, name, NULL, 0, &bare);
            if (mq.n || (bare.n && !*m.bare)) { m = mq; snprintf(m.bare, sizeof m.bare, "%s", name); }
        }
        free(q);
    }
    return m;
}

/* Appends text to out (size n, length *l) when it fits whole. */
static bool append(char *out, size_t n, size_t *l, const char *text)
{
    size_t t = strlen(text);
    if (*l + t + 1 > n) return false;
    memcpy(out + *l, text, t + 1);
    *l += t;
    return true;
}

/* The first matches of m as a message lists them: "02.010.0004 (Huyện Bắc
 * Quang, Tỉnh Hà Giang); …; and 24 more". */
static void list_matches(const cov_population *p, const named_t *m, char *out, size_t n)
{
    size_t l = 0;
    out[0] = '\0';
    for (int i = 0; i < m->n && i < NAMED_KEEP; i++) {
        const cov_commune *cm = &p->c[m->c[i]];
        char one[300];
        size_t k = 0;
        one[0] = '\0';
        append(one, sizeof one, &k, i ? "; " : "");
        append(one, sizeof one, &k, cm->code ? cm->code : cm->name);
        for (int v = 0; v < p->nlevels; v++)
            if (cm->parent[v] >= 0) {
                append(one, sizeof one, &k, v ? ", " : " (");
                append(one, sizeof one, &k, p->levels[v].units[cm->parent[v]]);
            }
        if (p->nlevels) append(one, sizeof one, &k, ")");
        if (!append(out, n, &l, one)) return;
    }
    char more[48];
    snprintf(more, sizeof more, "; and %d more", m->n - NAMED_KEEP);
    if (m->n > NAMED_KEEP) append(out, n, &l, more);
}

/* How to name commune c alone, with examples: by its code; with the unit
 * of the first level when no other commune of that name shares it; with
 * all its units, "Tỉnh Y/Huyện X/Xã Z", when no other shares them all. */
static void how_to_name(const cov_population *p, int c, char *out, size_t n)
{
    const cov_commune *cm = &p->c[c];
    int first = 0, all = 0;   /* communes of that name sharing the first level's unit, every unit */
    for (int k = 0; k < p->ncommunes && p->nlevels; k++) {
        if (strcmp(p->c[k].name, cm->name)) continue;
        first += p->c[k].parent[0] == cm->parent[0];
        all += !memcmp(p->c[k].parent, cm->parent, (size_t)p->nlevels * sizeof cm->parent[0]);
    }
    char ex[3][300];
    int nex = 0;
    if (cm->code) snprintf(ex[nex++], sizeof ex[0], "%s", cm->code);
    bool qualified = p->nlevels && all == 1;
    if (qualified && first == 1 && cm->parent[0] >= 0)
        snprintf(ex[nex++], sizeof ex[0], "\"%s (%s)\"", cm->name, p->levels[0].units[cm->parent[0]]);
    if (qualified) {
        size_t l = 0;
        ex[nex][0] = '\0';
        append(ex[nex], sizeof ex[0], &l, "\"");
        for (int v = p->nlevels - 1; v >= 0; v--)
            if (cm->parent[v] >= 0) {
                append(ex[nex], sizeof ex[0], &l, p->levels[v].units[cm->parent[v]]);
                append(ex[nex], sizeof ex[0], &l, "/");
            }
        append(ex[nex], sizeof ex[0], &l, cm->name);
        append(ex[nex], sizeof ex[0], &l, "\"");
        nex++;
    }
    size_t l = 0;
    out[0] = '\0';
    append(out, n, &l, !qualified ? "by its code" : cm->code ? "by its code or with its parent units"
                                                           : "with its parent units");
    for (int i = 0; i < nex; i++) {
        append(out, n, &l, i == 0 ? ", e.g. " : i == nex - 1 ? " or " : ", ");
        append(out, n, &l, ex[i]);
    }
}

/* Suggests communes whose names are close to k: equal once diacritics are
 * removed ("Dong Son" and "Đồng Sơn"), or a small typo apart. */
static void nearest_communes(const cov_population *p, const char *k, char *out, size_t n)
{
    char fk[256], fc[256];
    cov_fold(k, fk, sizeof fk);
    int found = 0;
    for (int pass = 0; pass < 2 && !found; pass++)
        for (int c = 0; c < p->ncommunes && found < 3; c++) {
            cov_fold(p->c[c].name, fc, sizeof fc);
            bool close = pass == 0 ? !strcmp(fk, fc) : cov_edit_distance(fk, fc) <= 2;
            if (!close) continue;
            size_t l = strlen(out);
            snprintf(out + l, n - l, "%s\"%s\"", found ? " or " : pass == 0
                     ? "; it differs only in diacritics from " : "; did you mean ", p->c[c].name);
            found++;
        }
    if (found) {
        size_t l = strlen(out);
        snprintf(out + l, n - l, " (names must match the population file exactly)");
    }
}

/* Marks one named commune in set; reports an unknown name at (file, line, col). */
static void mark_commune(const cov_scenario *s, bool *set, const char *name, const char *file,
                         long line, long col, cov_diag *d)
{
    named_t m = communes_named(s->pop, name);
    if (m.n == 1) { set[m.c[0]] = true; return; }
    long width = cov_utf8_width(name, strlen(name));
    char list[300], how[300];
    if (m.n > 1) {
        list_matches(s->pop, &m, list, sizeof list);
        how_to_name(s->pop, m.c[0], how, sizeof how);
        cov_diag_add(d, COV_EINPUT, file, line, col, width,
                     "\"%s\" names %d communes of %s: %s. Name the one you mean %s",
                     name, m.n, s->population_path, list, how);
        return;
    }
    if (*m.bare) {
        named_t all = { 0 };
        match_name(s->pop, m.bare, NULL, 0, &all);
        list_matches(s->pop, &all, list, sizeof list);
        if (all.n == 1)
            cov_diag_add(d, COV_EINPUT, file, line, col, width,
                         "the commune called \"%s\" in %s does not lie in the units named in \"%s\"; it is %s",
                         m.bare, s->population_path, name, list);
        else
            cov_diag_add(d, COV_EINPUT, file, line, col, width,
                         "none of the %d communes called \"%s\" in %s lies in the units named in \"%s\"; "
                         "they are: %s", all.n, m.bare, s->population_path, name, list);
        return;
    }
    char near[512] = "";
    nearest_communes(s->pop, name, near, sizeof near);
    cov_diag_add(d, COV_EINPUT, file, line, col, width,
                 "unknown commune \"%s\" in %s%s", name, s->population_path, near);
}

/* The communes of a section: `communes = a; b` and/or `communes_file =
 * list.csv` (a CSV with a commune or commune_code column). NULL = all. */
static bool *commune_set(cov_scenario *s, cov_ini *ini, const char *sec, cov_diag *d)
{
    cov_ini_entry *e = cov_ini_find(ini, sec, "communes"), *ef = cov_ini_find(ini, sec, "communes_file");
    if (!e && !ef) return NULL;
    bool *set = calloc((size_t)s->pop->ncommunes + 1, sizeof *set);
    if (!set) return NULL;
    if (e) {
        char **items;
        int n = cov_split(e->value, &items);
        for (int i = 0; i < n; i++) {
            long line, col;
            cov_ini_where(e, strstr(e->value, items[i]), &line, &col);   /* on its own line when continued */
            mark_commune(s, set, items[i], e->file, line, col, d);
        }
        if (n >= 0) cov_split_free(items, n);
    }
    if (ef) {
        char *path = cov_resolve(ef->file, ef->value);
        cov_csv *t = path && cov_named_file(ef, path, d) ? cov_csv_read(path, d) : NULL;
        if (t) {
            int col = cov_csv_column(t, "commune_code");
            if (col < 0) col = cov_csv_column(t, "commune");
            if (col < 0)
                cov_diag_add(d, COV_EINPUT, path, 1, 1, 1, "a commune list needs a 'commune' or 'commune_code' column");
            for (long r = 0; col >= 0 && r < t->nrows; r++) {
                const cov_field *f = cov_csv_cell(t, r, col);
                mark_commune(s, set, cov_trim(f->text), path, f->line, f->col, d);
            }
            cov_csv_free(t);
        }
        free(path);
    }
    return set;
}

/* Groups of a section (`groups = a, b`); all when absent. */
static void group_set(cov_scenario *s, cov_ini *ini, const char *sec, bool *groups, cov_diag *d)
{
    cov_ini_entry *e = cov_ini_find(ini, sec, "groups");
    for (int g = 0; g < s->model->ngroups; g++) groups[g] = e == NULL;
    if (!e) return;
    char **items;
    int n = cov_split(e->value, &items);
    for (int i = 0; i < n; i++) {
        int g = cov_model_group(s->model, items[i]);
        if (g >= 0) groups[g] = true;
        else cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                          "unknown group \"%s\" (the model file %s defines the groups)", items[i], s->model_path);
    }
    if (n >= 0) cov_split_free(items, n);
}

static int group_value(cov_scenario *s, cov_ini *ini, cov_ini_entry *e, cov_diag *d)
{
    int g = cov_model_group(s->model, cov_trim(e->value));
    if (g < 0)
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "unknown group \"%s\" (the model file %s defines the groups)", e->value, s->model_path);
    return g;
}

/* The projected months, "2018-06 to 2019-05": those after the snapshot
 * month up to the horizon, the only months in which a lever can act. */
static void horizon_text(const cov_scenario *s, char *out, size_t n)
{
    char a[8], b[8], c[8];
    cov_month_format(s->start + 1, a);
    cov_month_format(s->start + s->months, b);
    cov_month_format(s->start, c);
    snprintf(out, n, "%s to %s (after the snapshot month %s, for 'months' = %d)", a, b, c, s->months);
}

/* The section's `label =`, the name a person reads in charts, tables and
 * the report (any UTF-8 text, kept as it is: every output escapes it);
 * malloc'd, or NULL when the section has none or an empty one. */
static char *label_value(cov_ini *ini, const char *sec)
{
    cov_ini_entry *e = cov_ini_find(ini, sec, "label");
    return e && *e->value ? cov_strdup(e->value) : NULL;
}

void cov_parse_target(cov_scenario *s, cov_ini *ini, const char *sec, cov_target *t, cov_diag *d)
{
    t->name = cov_strdup(sec + 7);
    t->label = label_value(ini, sec);
    t->line = cov_section_line(ini, sec, NULL);
    t->group = -1;
    t->level = COV_LEVEL_ALL;
    t->deadline = -1;
    t->threshold = -1;
    cov_ini_find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = cov_ini_find(ini, sec, "level"))) {
        if (!strcmp(e->value, "commune")) t->level = COV_LEVEL_COMMUNE;
        else if (!strcmp(e->value, "all")) t->level = COV_LEVEL_ALL;
        else {
            t->level = -3;
            for (int l = 0; l < s->pop->nlevels; l++)
                if (!strcmp(s->pop->levels[l].name, e->value)) t->level = l;
            if (t->level == -3)
                cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                             "unknown level \"%s\": use commune, all, or a level named in [run] levels", e->value);
        }
    }
    if ((e = cov_ini_find(ini, sec, "threshold"))) {
        if (!cov_parse_percent100(e->value, &t->threshold))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'threshold' must be a percentage from 0 to 100 with at most 2 decimals "
                         "and a decimal point (e.g. 95.5), got \"%s\"", e->value);
    } else
        missing(d, ini, sec, "'threshold', the target coverage in percent (e.g. threshold = 85.2)");
    if ((e = cov_ini_find(ini, sec, "deadline"))) {
        char a[8];
        if (cov_month_value(ini, e, &t->deadline, d) && t->deadline < s->start) {
            cov_month_format(s->start, a);
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "the deadline %s is before the snapshot month %s ([run] start)", e->value, a);
        } else if (t->deadline > s->start + s->months) {
            cov_month_format(s->start + s->months, a);
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "the deadline %s is after the last projected month %s; raise 'months' "
                         "in [run] or --months", e->value, a);
        }
    } else
        missing(d, ini, sec, "'deadline', the month it must be reached by (e.g. deadline = 2018-12)");
    if ((e = cov_ini_find(ini, sec, "group")) && strcmp(e->value, "all")) t->group = group_value(s, ini, e, d);
}

void cov_parse_campaign(cov_scenario *s, cov_ini *ini, const char *sec, cov_campaign *k, cov_diag *d)
{
    k->name = cov_strdup(sec + 9);
    k->label = label_value(ini, sec);
    k->key = cov_hash_str(sec);
    k->enroll_mult = 1.0;
    k->lapse_mult = 1.0;
    cov_ini_find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = cov_ini_find(ini, sec, "months"))) {
        if (month_range(ini, e, &k->m0, &k->m1, d) && (k->m1 <= s->start || k->m0 > s->start + s->months)) {
            char h[128];
            horizon_text(s, h, sizeof h);
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "the campaign runs in %s, entirely outside the projected months %s, "
                         "so it changes nothing; move it, or change [run] start or months", e->value, h);
        }
    } else
        missing(d, ini, sec, "'months' (e.g. months = 2018-06..2018-07)");
    k->communes = commune_set(s, ini, sec, d);
    group_set(s, ini, sec, k->groups, d);
    if ((e = cov_ini_find(ini, sec, "enroll_multiplier"))) cov_ini_nonneg(ini, e, &k->enroll_mult, d);
    if ((e = cov_ini_find(ini, sec, "enroll_multiplier_sd"))) cov_ini_spread(ini, e, &k->enroll_sd, d);
    if ((e = cov_ini_find(ini, sec, "lapse_multiplier"))) cov_ini_nonneg(ini, e, &k->lapse_mult, d);
    if ((e = cov_ini_find(ini, sec, "lapse_multiplier_sd"))) cov_ini_spread(ini, e, &k->lapse_sd, d);
    if ((e = cov_ini_find(ini, sec, "ramp"))) {
        char **items;
        int n = cov_split(e->value, &items);
        k->ramp = calloc((size_t)(n > 0 ? n : 1), sizeof *k->ramp);
        bool ok = n > 0 && k->ramp;
        for (int i = 0; ok && i < n; i++) ok = cov_parse_double(items[i], &k->ramp[i]) && k->ramp[i] >= 0;
        if (n >= 0) cov_split_free(items, n);
        k->nramp = ok ? n : 0;
        if (!ok)
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'ramp' must be multipliers 0 or above, one per campaign month "
                         "(e.g. ramp = 1.0, 2.0, 2.5), got \"%s\"", e->value);
    }
}

/* A reclassification acts at the end of its month, in the projection only:
 * at or before the snapshot month, or after the horizon, it never would. */
static void reclassify_month_check(const cov_scenario *s, cov_ini *ini, cov_ini_entry *e, int month, cov_diag *d)
{
    char h[128], a[8];
    horizon_text(s, h, sizeof h);
    cov_month_format(s->start, a);
    if (month <= s->start)
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "the reclassification in %s is at or before the snapshot month %s: the snapshot already "
                     "counts people in their groups of that month, so it would never be applied; give a month "
                     "of the projection, %s", e->value, a, h);
    else if (month > s->start + s->months)
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "the reclassification in %s is after the last projected month, so it would never be "
                     "applied; the projection covers %s: raise 'months' in [run] or --months", e->value, h);
}

void cov_parse_reclassify(cov_scenario *s, cov_ini *ini, const char *sec, cov_reclassify *x, cov_diag *d)
{
    x->name = cov_strdup(sec + 11);
    x->key = cov_hash_str(sec);
    x->from = -1;
    x->people = -1;
    x->column = -1;
    x->fraction = 1.0;
    x->keep = 0.0;
    cov_ini_find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = cov_ini_find(ini, sec, "month"))) {
        if (cov_month_value(ini, e, &x->month, d)) reclassify_month_check(s, ini, e, x->month, d);
    } else
        missing(d, ini, sec, "'month', when the people move (e.g. month = 2021-07)");
    if ((e = cov_ini_find(ini, sec, "from"))) x->from = group_value(s, ini, e, d);
    else missing(d, ini, sec, "'from', the group people leave (e.g. from = state_full)");
    x->communes = commune_set(s, ini, sec, d);
    int how = 0;
    if ((e = cov_ini_find(ini, sec, "fraction"))) { how++; cov_ini_prob(ini, e, &x->fraction, d); }
    if ((e = cov_ini_find(ini, sec, "people"))) {
        how++;
        int64_t v;
        if (!cov_parse_int64(e->value, &v))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e), "'people' must be a whole number, got \"%s\"", e->value);
        else x->people = v;
        int n = 0;
        for (int c = 0; x->communes && c < s->pop->ncommunes; c++) n += x->communes[c];
        if (n != 1)
            cov_diag_add(d, COV_EINPUT, COV_AT_KEY(ini, e),
                         "'people' is a count for a single commune: name exactly one in 'communes', "
                         "or use 'fraction' or 'people_column' for several");
    }
    if ((e = cov_ini_find(ini, sec, "people_column"))) {
        how++;
        for (int k = 0; k < s->pop->nextra; k++)
            if (!strcmp(s->pop->extra[k], e->value)) x->column = k;
    }
    if (how > 1)
        missing(d, ini, sec, "only one of 'fraction', 'people' and 'people_column'");
    if ((e = cov_ini_find(ini, sec, "to"))) {
        char **items;
        int n = cov_split(e->value, &items);
        double sum = 0;
        for (int i = 0; i < n && x->nto < COV_MAX_GROUPS; i++) {
            char *colon = strchr(items[i], ':');
            double f = 1.0;
            bool ok = true;
            if (colon) { *colon = '\0'; ok = cov_parse_double(colon + 1, &f) && f >= 0 && f <= 1; }
            int g = cov_model_group(s->model, cov_trim(items[i]));
            if (!ok || g < 0) {
                cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                             "'to' must list groups of the model with their shares, e.g. "
                             "to = students:0.25, household:0.75; \"%s\" is not one", items[i]);
                continue;
            }
            if (g == x->from)
                cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                             "'to' lists %s, the group people leave ('from'): they would stay where they are "
                             "and still lose their cards with probability 1 - keep; list only the groups they "
                             "move to", items[i]);
            x->to[x->nto] = g;
            x->to_frac[x->nto++] = f;
            sum += f;
        }
        if (n >= 0) cov_split_free(items, n);
        if (x->nto > 0 && fabs(sum - 1.0) > 1e-9)
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e), "the shares in 'to' add up to %g, not 1", sum);
    } else
        missing(d, ini, sec, "'to', the groups people move to (e.g. to = students:0.25, household:0.75)");
    if ((e = cov_ini_find(ini, sec, "keep"))) cov_ini_prob(ini, e, &x->keep, d);
    else missing(d, ini, sec, "'keep', the probability that a moved insured person keeps a valid card");
    if ((e = cov_ini_find(ini, sec, "keep_sd"))) cov_ini_spread(ini, e, &x->keep_sd, d);
}

void cov_parse_school(cov_scenario *s, cov_ini *ini, const char *sec, cov_school *k, cov_diag *d)
{
    k->name = cov_strdup(sec + 7);
    k->key = cov_hash_str(sec);
    k->month = k->calendar = -1;
    cov_ini_find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = cov_ini_find(ini, sec, "month"))) {
        int64_t mm;
        if (cov_parse_int64(e->value, &mm) && mm >= 1 && mm <= 12) k->calendar = (int)mm - 1;
        else if (!cov_month_parse(e->value, &k->month))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'month' must be a calendar month 01..12 (every year) or YYYY-MM (once), got \"%s\"",
                         e->value);
        else if (k->month <= s->start || k->month > s->start + s->months) {   /* once, and never in the projection */
            char h[128];
            horizon_text(s, h, sizeof h);
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "the drive in %s is outside the projected months %s, so it changes nothing; move it, "
                         "give a calendar month (09 for every September), or change [run] start or months",
                         e->value, h);
        }
    } else
        missing(d, ini, sec, "'month' (e.g. month = 09 for every September)");
    k->communes = commune_set(s, ini, sec, d);
    if (!cov_ini_find(ini, sec, "groups")) missing(d, ini, sec, "'groups' (e.g. groups = students)");
    else {
        for (int i = 0; i < ini->n; i++)   /* let group_set see it again */
            if (!strcmp(ini->e[i].section, sec) && !strcmp(ini->e[i].key, "groups")) ini->e[i].used = false;
        group_set(s, ini, sec, k->groups, d);
    }
    if ((e = cov_ini_find(ini, sec, "enroll"))) cov_ini_prob(ini, e, &k->enroll, d);
    else missing(d, ini, sec, "'enroll', the probability that an uninsured student enrolls in the drive");
    if ((e = cov_ini_find(ini, sec, "enroll_sd"))) cov_ini_spread(ini, e, &k->enroll_sd, d);
}

void cov_parse_extra(cov_scenario *s, cov_ini *ini, const char *sec, cov_extra *x, cov_diag *d)
{
    x->name = cov_strdup(sec + 6);
    x->m0 = s->start + 1;
    x->m1 = s->start + s->months;
    cov_ini_find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = cov_ini_find(ini, sec, "months")) && month_range(ini, e, &x->m0, &x->m1, d)
        && (x->m1 <= s->start || x->m0 > s->start + s->months)) {
        char h[128];
        horizon_text(s, h, sizeof h);
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "the extra cards come in %s, entirely outside the projected months %s, so they change "
                     "nothing; move them, or change [run] start or months", e->value, h);
    }
    x->communes = commune_set(s, ini, sec, d);
    group_set(s, ini, sec, x->groups, d);
    if ((e = cov_ini_find(ini, sec, "cards"))) cov_ini_nonneg(ini, e, &x->cards, d);
    else missing(d, ini, sec, "'cards', the extra cards issued each month in each commune");
}

void cov_parse_demography(cov_scenario *s, cov_ini *ini, cov_demography *m, cov_diag *d)
{
    const char *sec = "demography";
    m->on = true;
    m->birth_group = -1;
    cov_ini_find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = cov_ini_find(ini, sec, "births"))) cov_ini_prob(ini, e, &m->births, d);
    if ((e = cov_ini_find(ini, sec, "deaths"))) cov_ini_prob(ini, e, &m->deaths, d);
    if ((e = cov_ini_find(ini, sec, "insured_at_birth"))) cov_ini_prob(ini, e, &m->insured_at_birth, d);
    if ((e = cov_ini_find(ini, sec, "birth_group"))) m->birth_group = group_value(s, ini, e, d);
    else if (m->births > 0) missing(d, ini, sec, "'birth_group', the group newborns join (e.g. state_full)");
}
