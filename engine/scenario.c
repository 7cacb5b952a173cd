/* scenario.c — loads a scenario: its file and the chain of `[run] base`
 * files it varies, command-line `--set` assignments, the [run] section, the
 * model and population, then every lever section (sections.c). Everything
 * is checked before any simulation starts. */
#define _GNU_SOURCE
#include "load.h"
#include "history.h"
#include "csvwrite.h"
#include <unistd.h>
#include "text.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#define RUN_KEYS "base, population, model, levels, start, months, replicates, seed, threads, out, name, label, " \
                 "description, delimiter, decimal_comma, history, nested_levels"
#define TARGET_KEYS "level, threshold, deadline, group, label, description"
#define CAMPAIGN_KEYS "months, communes, communes_file, groups, enroll_multiplier, enroll_multiplier_sd, " \
                      "lapse_multiplier, lapse_multiplier_sd, ramp, label, description"
#define RECLASSIFY_KEYS "month, communes, communes_file, from, fraction, people, people_column, to, keep, " \
                        "keep_sd, description"
#define SCHOOL_KEYS "month, communes, communes_file, groups, enroll, enroll_sd, description"
#define EXTRA_KEYS "months, communes, communes_file, groups, cards, description"
#define DEMOGRAPHY_KEYS "births, birth_group, insured_at_birth, deaths, description"

static bool int_value(cov_ini *ini, cov_ini_entry *e, int64_t lo, int64_t hi, int64_t *out, cov_diag *d)
{
    int64_t v;
    if (cov_parse_int64(e->value, &v) && v >= lo && v <= hi) { *out = v; return true; }
    cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                 "'%s' must be a whole number from %lld to %lld, got \"%s\"",
                 e->key, (long long)lo, (long long)hi, e->value);
    return false;
}

bool cov_named_file(const cov_ini_entry *e, const char *path, cov_diag *d)
{
    if (!path || access(path, R_OK) == 0) return true;   /* access, not open: a named pipe is read once, later */
    cov_diag_add(d, COV_EIO, COV_AT_VALUE(NULL, e), "%s = %s: cannot open the file: %s", e->key, e->value,
                 strerror(errno));
    return false;
}

/* The file an entry names, resolved against the file that wrote the entry
 * and checked with cov_named_file; NULL when out of memory. */
static char *named_path(const cov_ini_entry *e, cov_diag *d)
{
    char *path = cov_resolve(e->file, e->value);
    cov_named_file(e, path, d);
    return path;
}

/* Reads path and, first, the chain of files its `[run] base` names: the
 * variant's entries override its base's. */
static cov_ini *read_chain(const char *path, int depth, cov_diag *d)
{
    cov_ini *ini = cov_ini_read(path, d);
    if (!ini) return NULL;
    cov_ini_entry *b = cov_ini_find(ini, "run", "base");
    if (!b) return ini;
    if (depth >= COV_MAX_BASE_DEPTH) {
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, b),
                     "more than %d base files in a chain (does a file name itself as its base?)", COV_MAX_BASE_DEPTH);
        cov_ini_free(ini);
        return NULL;
    }
    char *bpath = cov_resolve(b->file, b->value);
    cov_ini *base = bpath && cov_named_file(b, bpath, d) ? read_chain(bpath, depth + 1, d) : NULL;
    free(bpath);
    if (!base) { cov_ini_free(ini); return NULL; }
    if (!cov_ini_overlay(base, ini)) {
        cov_ini_free(base);
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    cov_ini_find(base, "run", "base");   /* the variant's own base key: used */
    return base;
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

/* Reads [run] and applies the command-line overrides. */
static void parse_run(cov_scenario *s, cov_ini *ini, const cov_overrides *ov, cov_diag *d)
{
    cov_ini_entry *e;
    int64_t v;
    cov_ini_find(ini, "run", "description");
    /* the name: the file's own (or --set's), never a base's: a variant is labelled by its file name */
    if ((e = cov_ini_find(ini, "run", "name")) && (!strcmp(e->file, s->path) || !strncmp(e->file, "--set ", 6))) {
        free(s->name);
        s->name = cov_strdup(e->value);
    }
    /* the label likewise: a variant never shows its base's label (compare would show two alike) */
    if ((e = cov_ini_find(ini, "run", "label")) && *e->value
        && (!strcmp(e->file, s->path) || !strncmp(e->file, "--set ", 6))) {
        free(s->label);
        s->label = cov_strdup(e->value);
    }
    if ((e = cov_ini_find(ini, "run", "model"))) s->model_path = named_path(e, d);
    else cov_diag_add(d, COV_EINPUT, s->path, 0, 0, 0, "[run] needs 'model', the model file (e.g. model = ../models/bhyt.ini)");
    if ((e = cov_ini_find(ini, "run", "history"))) s->history_path = named_path(e, d);
    if ((e = cov_ini_find(ini, "run", "population"))) s->population_path = named_path(e, d);
    else if (!s->history_path)
        cov_diag_add(d, COV_EINPUT, s->path, 0, 0, 0,
                     "[run] needs 'population', the population CSV file (or 'history', to start from its last month)");
    s->start = -1;
    if ((e = cov_ini_find(ini, "run", "start"))) cov_month_value(ini, e, &s->start, d);
    else if (!s->history_path)
        cov_diag_add(d, COV_EINPUT, s->path, 0, 0, 0, "[run] needs 'start', the snapshot month YYYY-MM");
    if ((e = cov_ini_find(ini, "run", "months")) && int_value(ini, e, 1, COV_MAX_MONTHS, &v, d)) s->months = (int)v;
    if ((e = cov_ini_find(ini, "run", "replicates"))) {
        long limit = ov && ov->replicates_limit > 0 ? ov->replicates_limit : COV_MAX_REPLICATES;
        if (limit < COV_MAX_REPLICATES && cov_parse_int64(e->value, &v) && v > limit)   /* a server's own limit */
            cov_diag_add(d, COV_ELIMIT, COV_AT_VALUE(ini, e),
                         "this server runs at most %ld replicates (covcast serve --max-replicates), and 'replicates' "
                         "asks for %lld: ask for fewer", limit, (long long)v);
        else if (int_value(ini, e, 1, limit, &v, d))
            s->replicates = v;
    } else if (ov && ov->replicates_limit > 0 && ov->replicates <= 0 && s->replicates > ov->replicates_limit) {   /* the default */
        cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0,
                     "this server runs at most %ld replicates (covcast serve --max-replicates), and [run] has no "
                     "'replicates', so the default of %ld would run: give replicates = %ld or fewer",
                     ov->replicates_limit, s->replicates, ov->replicates_limit);
    }
    if ((e = cov_ini_find(ini, "run", "seed")) && int_value(ini, e, 0, INT64_MAX, &v, d)) s->seed = (uint64_t)v;
    if ((e = cov_ini_find(ini, "run", "threads")) && int_value(ini, e, 1, 1024, &v, d)) s->threads = (int)v;
    if ((e = cov_ini_find(ini, "run", "out"))) s->out = cov_resolve(e->file, e->value);
    s->delim = 0;
    s->numbers = -1;
    if ((e = cov_ini_find(ini, "run", "delimiter"))) {
        const char *dv = e->value;
        if (!strcmp(dv, ",") || !strcmp(dv, "comma")) s->delim = ',';
        else if (!strcmp(dv, ";") || !strcmp(dv, "semicolon")) s->delim = ';';
        else if (!strcmp(dv, "tab")) s->delim = '\t';
        else if (strcmp(dv, "auto"))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'delimiter' must be comma, semicolon, tab or auto, got \"%s\"", dv);
    }
    if ((e = cov_ini_find(ini, "run", "decimal_comma"))) {
        if (!strcmp(e->value, "yes")) s->numbers = COV_NUM_VN;
        else if (!strcmp(e->value, "no")) s->numbers = COV_NUM_EN;
        else if (strcmp(e->value, "auto"))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e), "'decimal_comma' must be yes, no or auto, got \"%s\"", e->value);
    }
    if ((e = cov_ini_find(ini, "run", "nested_levels"))) {
        if (!strcmp(e->value, "no")) s->crossing_levels = true;
        else if (strcmp(e->value, "yes"))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e), "'nested_levels' must be yes or no, got \"%s\"", e->value);
    }
    if (ov) {
        if (ov->replicates > 0) s->replicates = ov->replicates;
        if (ov->seed >= 0) s->seed = (uint64_t)ov->seed;
        if (ov->threads > 0) s->threads = ov->threads;
        if (ov->months > 0) s->months = ov->months;
        if (ov->out) { free(s->out); s->out = cov_strdup(ov->out); }
        s->keep_replicates = ov->keep_replicates != 0;
        if (ov->delimiter) s->delim = ov->delimiter;
        if (ov->decimal_comma) s->numbers = ov->decimal_comma > 0 ? COV_NUM_VN : COV_NUM_EN;
        s->precision = ov->precision;
        s->max_replicates = ov->max_replicates > 0 ? ov->max_replicates : 1000000;
    }
    if (s->start + s->months > 9999 * 12 + 11)
        cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0, "the projection would run past December 9999");
    if (s->threads <= 0) {
#ifdef _OPENMP
        s->threads = omp_get_num_procs();
#else
        s->threads = 1;
#endif
    }
    if (!s->out) {   /* from the file name, never the display name: it may hold '/' or '..' */
        char *base = scenario_name(s->path);
        size_t n = (base ? strlen(base) : 0) + 16;
        if (base && (s->out = malloc(n))) snprintf(s->out, n, "results/%s", base);
        free(base);
    }
}

/* Writes the history's state at the snapshot month as a population file
 * (in /tmp; the caller removes it); NULL with d filled when it cannot. */
static char *snapshot_from_history(cov_scenario *s, char **levels, int nlevels, cov_diag *d)
{
    const cov_history *h = s->history;
    if (!h->has_group) {
        cov_diag_add(d, COV_EINPUT, h->path, 0, 0, 0,
                     "this history has no group column, so it cannot give the snapshot: name a population file");
        return NULL;
    }
    char path[] = "/tmp/covcast-snapshot-XXXXXX";
    int fd = mkstemp(path);
    FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
    if (!f) { cov_diag_add(d, COV_EIO, NULL, 0, 0, 0, "cannot write a temporary file"); return NULL; }
    fputs(h->s[0].code ? "commune_code,commune" : "commune", f);
    for (int l = 0; l < nlevels; l++) fprintf(f, ",%s", levels[l]);
    fputs(",group,population,insured\n", f);
    int rows = 0, missing = 0;
    for (int k = 0; k < h->nseries; k++) {
        bool reported = false;
        for (int j = 0; j < h->s[k].n && !reported; j++) reported = h->s[k].month[j] == s->start;
        if (!reported && h->s[k].n > 0) {   /* its people would silently drop out of the run */
            char m[8], last[8];
            cov_month_format(s->start, m);
            cov_month_format(h->s[k].month[h->s[k].n - 1], last);
            cov_diag_add(d, COV_EINPUT, h->path, h->s[k].line, 0, 0,
                         "%s (%s) has no row for the snapshot month %s (its last is %s): the run would leave its "
                         "people out; add the month, or start from a month every commune reported",
                         h->s[k].commune, s->model->g[h->s[k].group].name, m, last);
            missing++;
        }
        for (int j = 0; j < h->s[k].n; j++) {
            if (h->s[k].month[j] != s->start) continue;
            if (h->s[k].code) { cov_csv_raw(f, h->s[k].code, true); cov_csv_raw(f, h->s[k].commune, false); }
            else cov_csv_raw(f, h->s[k].commune, true);
            for (int l = 0; l < nlevels; l++) cov_csv_raw(f, h->level_value[k][l], false);
            fprintf(f, ",%s,%lld,%lld\n", s->model->g[h->s[k].group].name, (long long)h->s[k].N[j], (long long)h->s[k].I[j]);
            rows++;
        }
    }
    fclose(f);
    if (missing) { remove(path); return NULL; }
    if (!rows) {
        char m[8];
        cov_month_format(s->start, m);
        cov_diag_add(d, COV_EINPUT, h->path, 0, 0, 0, "the history has no rows for the snapshot month %s", m);
        remove(path);
        return NULL;
    }
    return cov_strdup(path);
}

/* Counts the distinct sections that start with prefix. */
static int count_sections(const cov_ini *ini, const char *prefix)
{
    int n = 0;
    for (int i = 0; i < ini->n; i++) {
        if (strncmp(ini->e[i].section, prefix, strlen(prefix))) continue;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(ini->e[j].section, ini->e[i].section);
        n += !seen;
    }
    return n;
}

static void parse_sections(cov_scenario *s, cov_ini *ini, cov_diag *d)
{
    s->targets = calloc((size_t)count_sections(ini, "target.") + 1, sizeof *s->targets);
    s->campaigns = calloc((size_t)count_sections(ini, "campaign.") + 1, sizeof *s->campaigns);
    s->reclass = calloc((size_t)count_sections(ini, "reclassify.") + 1, sizeof *s->reclass);
    s->schools = calloc((size_t)count_sections(ini, "school.") + 1, sizeof *s->schools);
    s->extras = calloc((size_t)count_sections(ini, "extra.") + 1, sizeof *s->extras);
    if (!s->targets || !s->campaigns || !s->reclass || !s->schools || !s->extras) {
        cov_diag_add(d, COV_ELIMIT, s->path, 0, 0, 0, "out of memory");
        return;
    }
    for (int i = 0; i < ini->n; i++) {
        const char *sec = ini->e[i].section;
        bool seen = false;
        for (int j = 0; j < i && !seen; j++) seen = !strcmp(ini->e[j].section, sec);
        if (seen || !strcmp(sec, "run")) continue;
        if (!strncmp(sec, "target.", 7)) cov_parse_target(s, ini, sec, &s->targets[s->ntargets++], d);
        else if (!strncmp(sec, "campaign.", 9)) cov_parse_campaign(s, ini, sec, &s->campaigns[s->ncampaigns++], d);
        else if (!strncmp(sec, "reclassify.", 11)) cov_parse_reclassify(s, ini, sec, &s->reclass[s->nreclass++], d);
        else if (!strncmp(sec, "school.", 7)) cov_parse_school(s, ini, sec, &s->schools[s->nschools++], d);
        else if (!strncmp(sec, "extra.", 6)) cov_parse_extra(s, ini, sec, &s->extras[s->nextras++], d);
        else if (!strcmp(sec, "demography")) cov_parse_demography(s, ini, &s->demo, d);
        else {
            ini->e[i].used = true;
            const char *file;
            long line = cov_section_line(ini, sec, &file);
            cov_diag_add(d, COV_EINPUT, file, line, 0, 0,
                         "unknown section [%s]; a scenario has [run], [target.NAME], [campaign.NAME], "
                         "[reclassify.NAME], [school.NAME], [extra.NAME] and [demography]", sec);
        }
    }
    cov_ini_unused(ini, "run", RUN_KEYS, d);
    cov_ini_unused(ini, "target.", TARGET_KEYS, d);
    cov_ini_unused(ini, "campaign.", CAMPAIGN_KEYS, d);
    cov_ini_unused(ini, "reclassify.", RECLASSIFY_KEYS, d);
    cov_ini_unused(ini, "school.", SCHOOL_KEYS, d);
    cov_ini_unused(ini, "extra.", EXTRA_KEYS, d);
    cov_ini_unused(ini, "demography", DEMOGRAPHY_KEYS, d);
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

/* Keeps what run.json says produced the results: the base files of ini
 * (read_chain lists them deepest first, the scenario itself last) and the
 * --set assignments. false on out of memory. */
static bool record_origin(cov_scenario *s, const cov_ini *ini, const cov_overrides *ov)
{
    int nb = ini->nfiles - 1, ns = ov ? ov->nset : 0;
    s->bases = calloc((size_t)(nb > 0 ? nb : 1), sizeof *s->bases);
    s->sets = calloc((size_t)(ns > 0 ? ns : 1), sizeof *s->sets);
    if (!s->bases || !s->sets) return false;
    for (int k = 0; k < nb; k++)
        if (!(s->bases[s->nbases++] = cov_strdup(ini->files[nb - 1 - k]))) return false;
    for (int k = 0; k < ns; k++)
        if (!(s->sets[s->nsets++] = cov_strdup(ov->set[k]))) return false;
    return true;
}

cov_scenario *cov_scenario_load(const char *path, const cov_overrides *ov, cov_diag *d)
{
    cov_ini *ini = read_chain(path, 0, d);
    if (!ini) return NULL;
    cov_scenario *s = calloc(1, sizeof *s);
    if (!s) { cov_ini_free(ini); cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory"); return NULL; }
    int before = d->n;
    if (!record_origin(s, ini, ov)) cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
    for (int i = 0; ov && i < ov->nset; i++) cov_ini_set(ini, ov->set[i], d);
    s->path = cov_strdup(path);
    s->name = scenario_name(path);
    s->replicates = 1000;
    s->seed = 1;
    s->months = 12;
    parse_run(s, ini, ov, d);

    char **levels = NULL;
    int nlevels = 0;
    cov_ini_entry *e = cov_ini_find(ini, "run", "levels");
    if (e && (nlevels = cov_split(e->value, &levels)) < 0) nlevels = 0;
    for (int l = 0; l < nlevels; l++)
        for (int k = 0; k < l; k++)
            if (!strcmp(levels[l], levels[k]))
                cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e), "level '%s' is named twice", levels[l]);
    for (int l = 0; l < nlevels; l++)
        if (!strcmp(levels[l], "commune") || !strcmp(levels[l], "all"))
            cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                         "'%s' cannot be a level column: commune and all are built in", levels[l]);
    char *extra[COV_MAX_EXTRA];
    int nextra = 0;
    for (int i = 0; i < ini->n; i++)
        if (!strncmp(ini->e[i].section, "reclassify.", 11) && !strcmp(ini->e[i].key, "people_column")) {
            bool dup = false;
            for (int k = 0; k < nextra; k++) dup = dup || !strcmp(extra[k], ini->e[i].value);
            if (!dup && nextra < COV_MAX_EXTRA) extra[nextra++] = ini->e[i].value;
        }

    if (d->n == before && (s->model = cov_model_load(s->model_path, d))) {
        if (s->history_path && (s->history = cov_history_read(s->history_path, s->model, levels, nlevels, d))) {
            if (s->start < 0) s->start = s->history->last;   /* the snapshot: the history's last month */
            if (!s->population_path) s->population_path = snapshot_from_history(s, levels, nlevels, d);
        }
        if (s->population_path && d->n == before)
            s->pop = cov_population_load(s->population_path, s->model, levels, nlevels, extra, nextra,
                                         &(cov_read_opts){ s->delim, s->numbers, s->crossing_levels }, d);
        if (s->pop && s->history && !strncmp(s->population_path, "/tmp/covcast-snapshot-", 22)) {
            remove(s->population_path);
            free(s->population_path);
            s->population_path = cov_strdup(s->history_path);   /* run.json names the history */
        }
    }
    cov_split_free(levels, nlevels);
    if (s->model && s->pop && s->model->units && !(s->urates = cov_units_resolve(s->model, s->pop, d))) {
        cov_ini_free(ini);
        cov_scenario_free(s);
        return NULL;
    }
    if (s->model && s->pop) parse_sections(s, ini, d);
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
    for (int t = 0; t < s->ntargets; t++) { free(s->targets[t].name); free(s->targets[t].label); }
    free(s->targets);
    for (int k = 0; k < s->ncampaigns; k++) {
        free(s->campaigns[k].name); free(s->campaigns[k].label); free(s->campaigns[k].communes);
        free(s->campaigns[k].ramp);
        free(s->campaigns[k].mask);
    }
    free(s->campaigns);
    for (int k = 0; k < s->nreclass; k++) { free(s->reclass[k].name); free(s->reclass[k].communes); }
    free(s->reclass);
    for (int k = 0; k < s->nschools; k++) { free(s->schools[k].name); free(s->schools[k].communes); }
    free(s->schools);
    for (int k = 0; k < s->nextras; k++) { free(s->extras[k].name); free(s->extras[k].communes); }
    free(s->extras);
    cov_history_free(s->history);
    free(s->history_path);
    cov_unit_rates_free(s->urates);
    cov_model_free(s->model);
    cov_population_free(s->pop);
    free(s->model_path); free(s->population_path);
    for (int k = 0; k < s->nbases; k++) free(s->bases[k]);
    for (int k = 0; k < s->nsets; k++) free(s->sets[k]);
    free(s->bases); free(s->sets);
    free(s->path); free(s->name); free(s->label); free(s->out);
    free(s);
}

const char *cov_scenario_name(const cov_scenario *s) { return s->name; }
const char *cov_scenario_out(const cov_scenario *s) { return s->out; }
long cov_scenario_replicates(const cov_scenario *s) { return s->replicates; }
int cov_scenario_threads(const cov_scenario *s) { return s->threads; }
