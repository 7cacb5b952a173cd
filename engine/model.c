/* model.c — loads a model file: the participant groups, their monthly
 * rates, seasonality and uncertainty. Groups are data, not code. */
#include "load.h"
#include "text.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

bool cov_ini_prob(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d)
{
    e->used = true;
    double v;
    if (!cov_parse_double(e->value, &v) || v < 0 || v > 1) {
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "'%s' must be a probability from 0 to 1 (a decimal point, not a comma), got \"%s\"",
                     e->key, e->value);
        return false;
    }
    *out = v;
    return true;
}

bool cov_ini_nonneg(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d)
{
    e->used = true;
    double v;
    if (!cov_parse_double(e->value, &v) || v < 0) {
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "'%s' must be a number 0 or above (a decimal point, not a comma), got \"%s\"",
                     e->key, e->value);
        return false;
    }
    *out = v;
    return true;
}

bool cov_ini_spread(const cov_ini *ini, cov_ini_entry *e, double *out, cov_diag *d)
{
    e->used = true;
    double v;
    if (!cov_parse_double(e->value, &v) || v < 0 || v > COV_MAX_SPREAD) {
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "'%s' must be a spread from 0 to %g (sigma of the log of the factor: 0.3 means "
                     "factors mostly between 0.55 and 1.8), got \"%s\"", e->key, COV_MAX_SPREAD, e->value);
        return false;
    }
    *out = v;
    return true;
}

void cov_ini_unused(const cov_ini *ini, const char *kind, const char *allowed, cov_diag *d)
{
    for (int i = 0; i < ini->n; i++) {
        cov_ini_entry *e = &ini->e[i];
        if (e->used) continue;
        size_t k = strlen(kind);
        if (strncmp(e->section, kind, k) != 0) continue;
        char **keys, hint[96] = "";
        int n = cov_split(allowed, &keys);
        for (int j = 0; j < n; j++)
            if (cov_edit_distance(e->key, keys[j]) <= 2) {
                snprintf(hint, sizeof hint, " (did you mean '%s'?)", keys[j]);
                break;
            }
        if (n >= 0) cov_split_free(keys, n);
        cov_diag_add(d, COV_EINPUT, COV_AT_KEY(ini, e),
                     "unknown key '%s' in [%s]%s; the keys here are: %s",
                     e->key, e->section, hint, allowed);
    }
}

int cov_model_group(const cov_model *m, const char *name)
{
    for (int g = 0; g < m->ngroups; g++)
        if (!strcmp(m->g[g].name, name)) return g;
    return -1;
}

/* Parses "1,1,...,1.5" (12 numbers, Jan..Dec) into out. */
static bool seasonal(const cov_ini *ini, cov_ini_entry *e, double out[12], cov_diag *d)
{
    e->used = true;
    char **items;
    int n = cov_split(e->value, &items);
    bool ok = n == 12;
    for (int i = 0; ok && i < 12; i++)
        ok = cov_parse_double(items[i], &out[i]) && out[i] >= 0;
    if (n >= 0) cov_split_free(items, n);
    if (!ok)
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                     "'%s' must be 12 multipliers 0 or above, January to December, "
                     "separated by commas (e.g. 1,1,1,1,1,1,1,1,1.5,1.5,1,1), got \"%s\"",
                     e->key, e->value);
    return ok;
}

#define GROUP_KEYS "label, enroll, lapse, enroll_sd, lapse_sd, rate_corr, seasonal_enroll, seasonal_lapse, hard_share, " \
                   "hard_enroll_factor"

cov_model *cov_model_load(const char *path, cov_diag *d)
{
    cov_ini *ini = cov_ini_read(path, d);
    if (!ini) return NULL;
    cov_model *m = calloc(1, sizeof *m);
    if (!m || !(m->path = cov_strdup(path))) {
        free(m); cov_ini_free(ini);
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    int before = d->n;
    bool seen_enroll[COV_MAX_GROUPS] = {0}, seen_lapse[COV_MAX_GROUPS] = {0};
    long first_line[COV_MAX_GROUPS] = {0};
    for (int i = 0; i < ini->n; i++) {
        cov_ini_entry *e = &ini->e[i];
        if (!strncmp(e->section, "group.", 6)) {
            const char *gname = e->section + 6;
            int g = cov_model_group(m, gname);
            if (g < 0) {
                if (!*gname) {
                    cov_diag_add(d, COV_EINPUT, path, e->line, 0, 0, "[group.] needs a name, e.g. [group.household]");
                    e->used = true;
                    continue;
                }
                if (m->ngroups == COV_MAX_GROUPS) {
                    cov_diag_add(d, COV_ELIMIT, path, e->line, 0, 0, "more than %d groups", COV_MAX_GROUPS);
                    break;
                }
                g = m->ngroups++;
                cov_group *gr = &m->g[g];
                gr->name = cov_strdup(gname);
                gr->key = cov_hash_str(gname);
                gr->enroll = gr->lapse = 0;
                for (int k = 0; k < 12; k++) gr->seasonal_enroll[k] = gr->seasonal_lapse[k] = 1.0;
                gr->hard_enroll_factor = 1.0;
                first_line[g] = cov_ini_section_line(ini, e->section, NULL);
                if (!first_line[g]) first_line[g] = e->line;
            }
            cov_group *gr = &m->g[g];
            if (!strcmp(e->key, "enroll")) { seen_enroll[g] = cov_ini_prob(ini, e, &gr->enroll, d); }
            else if (!strcmp(e->key, "lapse")) { seen_lapse[g] = cov_ini_prob(ini, e, &gr->lapse, d); }
            else if (!strcmp(e->key, "enroll_sd")) cov_ini_spread(ini, e, &gr->enroll_sd, d);
            else if (!strcmp(e->key, "lapse_sd")) cov_ini_spread(ini, e, &gr->lapse_sd, d);
            else if (!strcmp(e->key, "seasonal_enroll")) seasonal(ini, e, gr->seasonal_enroll, d);
            else if (!strcmp(e->key, "seasonal_lapse")) seasonal(ini, e, gr->seasonal_lapse, d);
            else if (!strcmp(e->key, "rate_corr")) {
                e->used = true;
                if (!cov_parse_double(e->value, &gr->rate_corr) || gr->rate_corr < -1 || gr->rate_corr > 1)
                    cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                                 "'rate_corr' must be a correlation from -1 to 1, got \"%s\"", e->value);
            }
            else if (!strcmp(e->key, "hard_share")) cov_ini_prob(ini, e, &gr->hard_share, d);
            else if (!strcmp(e->key, "hard_enroll_factor")) cov_ini_nonneg(ini, e, &gr->hard_enroll_factor, d);
            else if (!strcmp(e->key, "label")) { e->used = true; free(gr->label); gr->label = cov_strdup(e->value); }
        } else if (!strcmp(e->section, "communes")) {
            if (!strcmp(e->key, "enroll_sd")) cov_ini_spread(ini, e, &m->commune_enroll_sd, d);
            else if (!strcmp(e->key, "lapse_sd")) cov_ini_spread(ini, e, &m->commune_lapse_sd, d);
        } else if (!strcmp(e->section, "common")) {
            m->common = true;
            if (!strcmp(e->key, "enroll_sd")) cov_ini_spread(ini, e, &m->common_enroll_sd, d);
            else if (!strcmp(e->key, "lapse_sd")) cov_ini_spread(ini, e, &m->common_lapse_sd, d);
            else if (!strcmp(e->key, "shock_sd")) {
                e->used = true;
                if (!cov_parse_double(e->value, &m->shock_sd) || !(m->shock_sd >= 0) || m->shock_sd > COV_MAX_SPREAD)
                    cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                                 "'shock_sd' must be a spread from 0 to %g (standard deviation per year of the "
                                 "random walk on the log of the hazards: 0.1 moves them by about 10%% in a year), "
                                 "got \"%s\"", COV_MAX_SPREAD, e->value);
            }
            else if (!strcmp(e->key, "rate_corr")) {
                e->used = true;
                if (!cov_parse_double(e->value, &m->common_rate_corr) || m->common_rate_corr < -1
                    || m->common_rate_corr > 1)
                    cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, e),
                                 "'rate_corr' must be a correlation from -1 to 1, got \"%s\"", e->value);
            }
        } else if (!strcmp(e->section, "units")) {
            continue;   /* read after the groups: cov_units_read */
        } else if (!strcmp(e->section, "model")) {
            if (!strcmp(e->key, "name") || !strcmp(e->key, "description")) e->used = true;
        } else {
            e->used = true;
            cov_diag_add(d, COV_EINPUT, path, e->line, 0, 0,
                         "unknown section [%s] in a model file; sections are [model], [group.NAME], [communes], "
                         "[common] and [units]",
                         e->section);
        }
    }
    cov_ini_unused(ini, "group.", GROUP_KEYS, d);
    cov_ini_unused(ini, "communes", "enroll_sd, lapse_sd", d);
    cov_ini_unused(ini, "model", "name, description", d);
    cov_ini_unused(ini, "common", "enroll_sd, lapse_sd, rate_corr, shock_sd", d);
    if (d->n == before && cov_ini_section_line(ini, "units", NULL)) m->units = cov_units_read(ini, m, d);
    for (int g = 0; g < m->ngroups; g++) {
        if (!seen_enroll[g] && !seen_lapse[g] && d->n == before)
            cov_diag_add(d, COV_EINPUT, path, first_line[g], 0, 0,
                         "[group.%s] needs 'enroll' and 'lapse' (monthly probabilities)", m->g[g].name);
        else if (!seen_enroll[g] && d->n == before)
            cov_diag_add(d, COV_EINPUT, path, first_line[g], 0, 0, "[group.%s] needs 'enroll'", m->g[g].name);
        else if (!seen_lapse[g] && d->n == before)
            cov_diag_add(d, COV_EINPUT, path, first_line[g], 0, 0, "[group.%s] needs 'lapse'", m->g[g].name);
    }
    if (m->ngroups == 0 && d->n == before)
        cov_diag_add(d, COV_EINPUT, path, 0, 0, 0, "the model defines no groups: add [group.NAME] sections");
    cov_ini_free(ini);
    if (d->n > before) {
        cov_model_free(m);
        return NULL;
    }
    return m;
}

void cov_model_free(cov_model *m)
{
    if (!m) return;
    for (int g = 0; g < m->ngroups; g++) { free(m->g[g].name); free(m->g[g].label); }
    cov_units_free(m->units);
    free(m->path);
    free(m);
}
