#define _GNU_SOURCE
/* scenario.c — loads a scenario file ([run], [target.*], [campaign.*]),
 * then its model and population, applies command-line overrides and checks
 * everything before any simulation starts. */
#include "load.h"
#include "text.h"

#include <libgen.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define RUN_KEYS "population, model, levels, start, months, replicates, seed, threads, out, name, description"
#define TARGET_KEYS "level, threshold, deadline, group, description"
#define CAMPAIGN_KEYS "months, communes, groups, enroll_multiplier, enroll_multiplier_sd, lapse_multiplier, lapse_multiplier_sd, description"

/* Path of rel relative to the directory of base (absolute rel kept). */
static char *resolve(const char *base, const char *rel)
{
    if (rel[0] == '/') return cov_strdup(rel);
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

static cov_ini_entry *find(cov_ini *ini, const char *section, const char *key)
{
    for (int i = 0; i < ini->n; i++)
        if (!strcmp(ini->e[i].section, section) && !strcmp(ini->e[i].key, key)) {
            ini->e[i].used = true;
            return &ini->e[i];
        }
    return NULL;
}

static long section_line(const cov_ini *ini, const char *section)
{
    long l = cov_ini_section_line(ini, section);
    for (int i = 0; i < ini->n && !l; i++)
        if (!strcmp(ini->e[i].section, section)) l = ini->e[i].line;
    return l;
}

static bool month_value(cov_ini *ini, cov_ini_entry *e, int *out, cov_diag *d)
{
    if (cov_month_parse(e->value, out)) return true;
    cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                 "'%s' must be a month written YYYY-MM (e.g. 2018-05), got \"%s\"", e->key, e->value);
    return false;
}

static bool int_value(cov_ini *ini, cov_ini_entry *e, int64_t lo, int64_t hi, int64_t *out, cov_diag *d)
{
    int64_t v;
    if (cov_parse_int64(e->value, &v) && v >= lo && v <= hi) { *out = v; return true; }
    cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                 "'%s' must be a whole number from %lld to %lld, got \"%s\"",
                 e->key, (long long)lo, (long long)hi, e->value);
    return false;
}

/* Finds a commune by code or by name; -1 if none. */
static int commune_lookup(const cov_population *p, const char *k)
{
    for (int c = 0; c < p->ncommunes; c++)
        if ((p->c[c].code && !strcmp(p->c[c].code, k)) || !strcmp(p->c[c].name, k)) return c;
    return -1;
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

static void parse_target(cov_scenario *s, cov_ini *ini, const char *sec, cov_target *t, cov_diag *d)
{
    t->name = cov_strdup(sec + 7);
    t->line = section_line(ini, sec);
    t->group = -1;
    t->level = COV_LEVEL_ALL;
    t->deadline = -1;
    t->threshold = -1;
    find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = find(ini, sec, "level"))) {
        if (!strcmp(e->value, "commune")) t->level = COV_LEVEL_COMMUNE;
        else if (!strcmp(e->value, "all")) t->level = COV_LEVEL_ALL;
        else {
            t->level = -3;
            for (int l = 0; l < s->pop->nlevels; l++)
                if (!strcmp(s->pop->levels[l].name, e->value)) t->level = l;
            if (t->level == -3)
                cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                             "unknown level \"%s\": use commune, all, or a level named in [run] levels",
                             e->value);
        }
    }
    if ((e = find(ini, sec, "threshold"))) {
        if (!cov_parse_percent100(e->value, &t->threshold))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'threshold' must be a percentage from 0 to 100 with at most 2 decimals "
                         "and a decimal point (e.g. 95.5), got \"%s\"", e->value);
    } else
        cov_diag_add(d, COV_EINPUT, ini->path, t->line, 0, 0,
                     "[%s] needs 'threshold', the target coverage in percent (e.g. threshold = 85.2)", sec);
    if ((e = find(ini, sec, "deadline"))) {
        if (month_value(ini, e, &t->deadline, d) && t->deadline < s->start) {
            char a[8];
            cov_month_format(s->start, a);
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "the deadline %s is before the snapshot month %s ([run] start)", e->value, a);
        } else if (t->deadline > s->start + s->months) {
            char a[8];
            cov_month_format(s->start + s->months, a);
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "the deadline %s is after the last projected month %s; raise 'months' "
                         "in [run] or --months", e->value, a);
        }
    } else
        cov_diag_add(d, COV_EINPUT, ini->path, t->line, 0, 0,
                     "[%s] needs 'deadline', the month it must be reached by (e.g. deadline = 2018-12)", sec);
    if ((e = find(ini, sec, "group")) && strcmp(e->value, "all")) {
        t->group = cov_model_group(s->model, e->value);
        if (t->group < 0)
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "unknown group \"%s\" (the model file %s defines the groups)", e->value, s->model_path);
    }
}

static void parse_campaign(cov_scenario *s, cov_ini *ini, const char *sec, cov_campaign *k, cov_diag *d)
{
    k->name = cov_strdup(sec + 9);
    k->key = cov_hash_str(sec);
    k->enroll_mult = 1.0;
    k->lapse_mult = 1.0;
    for (int g = 0; g < s->model->ngroups; g++) k->groups[g] = true;
    find(ini, sec, "description");
    cov_ini_entry *e;
    if ((e = find(ini, sec, "months"))) {
        char *v = cov_strdup(e->value), *dots = strstr(v, "..");
        bool ok;
        if (dots) {
            *dots = '\0';
            ok = cov_month_parse(v, &k->m0) && cov_month_parse(dots + 2, &k->m1) && k->m0 <= k->m1;
        } else {
            ok = cov_month_parse(v, &k->m0);
            k->m1 = k->m0;
        }
        free(v);
        if (!ok)
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'months' must be a month YYYY-MM or a range YYYY-MM..YYYY-MM, first to last, got \"%s\"",
                         e->value);
    } else
        cov_diag_add(d, COV_EINPUT, ini->path, section_line(ini, sec), 0, 0,
                     "[%s] needs 'months' (e.g. months = 2018-06..2018-07)", sec);
    if ((e = find(ini, sec, "communes"))) {
        char **items;
        int n = cov_split(e->value, &items);
        k->communes = calloc((size_t)s->pop->ncommunes + 1, sizeof *k->communes);
        for (int i = 0; i < n && k->communes; i++) {
            int c = commune_lookup(s->pop, items[i]);
            if (c >= 0) { k->communes[c] = true; continue; }
            char near[512] = "";
            nearest_communes(s->pop, items[i], near, sizeof near);
            const char *at = strstr(e->value, items[i]);
            long col = e->vcol + (at ? cov_utf8_width(e->value, (size_t)(at - e->value)) : 0);
            cov_diag_add(d, COV_EINPUT, ini->path, e->line, col, cov_utf8_width(items[i], strlen(items[i])),
                         "unknown commune \"%s\" in %s%s", items[i], s->population_path, near);
        }
        if (n >= 0) cov_split_free(items, n);
    }
    if ((e = find(ini, sec, "groups"))) {
        char **items;
        int n = cov_split(e->value, &items);
        for (int g = 0; g < s->model->ngroups; g++) k->groups[g] = false;
        for (int i = 0; i < n; i++) {
            int g = cov_model_group(s->model, items[i]);
            if (g >= 0) k->groups[g] = true;
            else cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                              "unknown group \"%s\" (the model file %s defines the groups)",
                              items[i], s->model_path);
        }
        if (n >= 0) cov_split_free(items, n);
    }
    if ((e = find(ini, sec, "enroll_multiplier"))) cov_ini_nonneg(ini, e, &k->enroll_mult, d);
    if ((e = find(ini, sec, "enroll_multiplier_sd"))) cov_ini_nonneg(ini, e, &k->enroll_sd, d);
    if ((e = find(ini, sec, "lapse_multiplier"))) cov_ini_nonneg(ini, e, &k->lapse_mult, d);
    if ((e = find(ini, sec, "lapse_multiplier_sd"))) cov_ini_nonneg(ini, e, &k->lapse_sd, d);
}

/* Base name of path without directory and ".ini". */
static char *scenario_name(const char *path)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    char *n = cov_strdup(b);
    if (n) {
        size_t l = strlen(n);
        if (l > 4 && !strcmp(n + l - 4, ".ini")) n[l - 4] = '\0';
    }
    return n;
}

cov_scenario *cov_scenario_load(const char *path, const cov_overrides *ov, cov_diag *d)
{
    cov_ini *ini = cov_ini_read(path, d);
    if (!ini) return NULL;
    cov_scenario *s = calloc(1, sizeof *s);
    if (!s) { cov_ini_free(ini); cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory"); return NULL; }
    s->path = cov_strdup(path);
    s->name = scenario_name(path);
    s->replicates = 1000;
    s->seed = 1;
    int before = d->n;
    cov_ini_entry *e;
    find(ini, "run", "description");
    if ((e = find(ini, "run", "name"))) { free(s->name); s->name = cov_strdup(e->value); }
    if ((e = find(ini, "run", "model"))) s->model_path = resolve(path, e->value);
    else cov_diag_add(d, COV_EINPUT, path, 0, 0, 0, "[run] needs 'model', the model file (e.g. model = ../models/bhyt.ini)");
    if ((e = find(ini, "run", "population"))) s->population_path = resolve(path, e->value);
    else cov_diag_add(d, COV_EINPUT, path, 0, 0, 0, "[run] needs 'population', the population CSV file");
    if ((e = find(ini, "run", "start"))) month_value(ini, e, &s->start, d);
    else cov_diag_add(d, COV_EINPUT, path, 0, 0, 0, "[run] needs 'start', the snapshot month YYYY-MM");
    int64_t v;
    s->months = 12;
    if ((e = find(ini, "run", "months")) && int_value(ini, e, 1, COV_MAX_MONTHS, &v, d)) s->months = (int)v;
    if ((e = find(ini, "run", "replicates")) && int_value(ini, e, 1, 100000000, &v, d)) s->replicates = v;
    if ((e = find(ini, "run", "seed")) && int_value(ini, e, 0, INT64_MAX, &v, d)) s->seed = (uint64_t)v;
    if ((e = find(ini, "run", "threads")) && int_value(ini, e, 1, 1024, &v, d)) s->threads = (int)v;
    if ((e = find(ini, "run", "out"))) s->out = resolve(path, e->value);
    char **levels = NULL;
    int nlevels = 0;
    if ((e = find(ini, "run", "levels"))) nlevels = cov_split(e->value, &levels);
    if (nlevels < 0) nlevels = 0;
    for (int l = 0; l < nlevels; l++)
        if (!strcmp(levels[l], "commune") || !strcmp(levels[l], "all"))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'%s' cannot be a level column: commune and all are built in", levels[l]);

    if (ov) {
        if (ov->replicates > 0) s->replicates = ov->replicates;
        if (ov->seed >= 0) s->seed = (uint64_t)ov->seed;
        if (ov->threads > 0) s->threads = ov->threads;
        if (ov->months > 0) s->months = ov->months;
        if (ov->out) { free(s->out); s->out = cov_strdup(ov->out); }
        s->keep_replicates = ov->keep_replicates != 0;
    }
    if (s->threads <= 0) {
#ifdef _OPENMP
        s->threads = omp_get_num_procs();
#else
        s->threads = 1;
#endif
    }
    if (!s->out) {
        size_t n = strlen(s->name) + 16;
        s->out = malloc(n);
        if (s->out) snprintf(s->out, n, "results/%s", s->name);
    }

    if (d->n == before) {
        if ((s->model = cov_model_load(s->model_path, d)))
            s->pop = cov_population_load(s->population_path, s->model, levels, nlevels, d);
    }
    cov_split_free(levels, nlevels);

    if (s->model && s->pop) {
        int nt = 0, nk = 0;
        for (int i = 0; i < ini->n; i++) {
            const char *sec = ini->e[i].section;
            if (i > 0 && !strcmp(sec, ini->e[i - 1].section)) continue;
            if (!strncmp(sec, "target.", 7)) nt++;
            else if (!strncmp(sec, "campaign.", 9)) nk++;
        }
        s->targets = calloc((size_t)nt + 1, sizeof *s->targets);
        s->campaigns = calloc((size_t)nk + 1, sizeof *s->campaigns);
        for (int i = 0; i < ini->n && s->targets && s->campaigns; i++) {
            const char *sec = ini->e[i].section;
            bool seen = false;
            for (int j = 0; j < i && !seen; j++) seen = !strcmp(ini->e[j].section, sec);
            if (seen) continue;
            if (!strncmp(sec, "target.", 7)) parse_target(s, ini, sec, &s->targets[s->ntargets++], d);
            else if (!strncmp(sec, "campaign.", 9)) parse_campaign(s, ini, sec, &s->campaigns[s->ncampaigns++], d);
            else if (strcmp(sec, "run")) {
                ini->e[i].used = true;
                cov_diag_add(d, COV_EINPUT, path, ini->e[i].line, 0, 0,
                             "unknown section [%s]; a scenario has [run], [target.NAME] and [campaign.NAME]", sec);
            }
        }
        cov_ini_unused(ini, "run", RUN_KEYS, d);
        cov_ini_unused(ini, "target.", TARGET_KEYS, d);
        cov_ini_unused(ini, "campaign.", CAMPAIGN_KEYS, d);
        /* Tracked series: 0 is all groups, then each group a target filters on. */
        s->nseries = 1;
        s->series_group[0] = -1;
        for (int t = 0; t < s->ntargets; t++) {
            cov_target *tg = &s->targets[t];
            tg->series = 0;
            if (tg->group < 0) continue;
            for (int k = 1; k < s->nseries; k++)
                if (s->series_group[k] == tg->group) tg->series = k;
            if (!tg->series) { tg->series = s->nseries; s->series_group[s->nseries++] = tg->group; }
        }
    }
    cov_ini_free(ini);
    if (d->n > before || !s->model || !s->pop) {
        cov_scenario_free(s);
        return NULL;
    }
    return s;
}

void cov_scenario_free(cov_scenario *s)
{
    if (!s) return;
    for (int t = 0; t < s->ntargets; t++) free(s->targets[t].name);
    free(s->targets);
    for (int k = 0; k < s->ncampaigns; k++) { free(s->campaigns[k].name); free(s->campaigns[k].communes); }
    free(s->campaigns);
    cov_model_free(s->model);
    cov_population_free(s->pop);
    free(s->model_path); free(s->population_path);
    free(s->path); free(s->name); free(s->out);
    free(s);
}

const char *cov_scenario_name(const cov_scenario *s) { return s->name; }
const char *cov_scenario_out(const cov_scenario *s) { return s->out; }
long cov_scenario_replicates(const cov_scenario *s) { return s->replicates; }
int cov_scenario_threads(const cov_scenario *s) { return s->threads; }
