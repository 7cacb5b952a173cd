/* json.c — scenarios and results as JSON through jansson (json.h): the
 * sections of a scenario for the page to edit, INI text back from them,
 * what the page offers as choices, and a run's results with the paired
 * differences from a pinned baseline. */
#define _GNU_SOURCE
#include "json.h"
#include "iniread.h"
#include "lang.h"
#include "load.h"
#include "stats.h"
#include "text.h"
#include "types.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SECTIONS 512
#define MAX_ENTRIES 64
#define MAX_VALUE (64 * 1024)
#define WRAP 120          /* bytes on one INI line before a list continues on the next */
#define MAX_BASE_KEYS 1000000

bool cov_json_file_key(const char *section, const char *key)
{
    if (!strcmp(key, "communes_file")) return true;
    return !strcmp(section, "run") && (!strcmp(key, "population") || !strcmp(key, "model")
                                       || !strcmp(key, "history") || !strcmp(key, "base"));
}

/* Keys whose value is a list (`a; b, c`), which may continue on indented lines. */
static bool list_key(const char *key)
{
    static const char *lists[] = { "communes", "groups", "to", "ramp", "levels", NULL };
    for (int i = 0; lists[i]; i++)
        if (!strcmp(key, lists[i])) return true;
    return false;
}

/* The scenario's file and its base chain, variants over bases (as the loader reads them). */
static cov_ini *read_flat(const char *path, int depth, cov_diag *d)
{
    cov_ini *ini = cov_ini_read(path, d);
    if (!ini) return NULL;
    cov_ini_entry *b = cov_ini_find(ini, "run", "base");
    if (!b) return ini;
    char *bpath = depth < COV_MAX_BASE_DEPTH ? cov_resolve(b->file, b->value) : NULL;
    cov_ini *base = bpath && cov_named_file(b, bpath, d) ? read_flat(bpath, depth + 1, d) : NULL;
    if (!bpath && depth >= COV_MAX_BASE_DEPTH)
        cov_diag_add(d, COV_EINPUT, COV_AT_VALUE(ini, b), "more than %d base files in a chain", COV_MAX_BASE_DEPTH);
    free(bpath);
    if (!base || !cov_ini_overlay(base, ini)) {
        if (base) cov_ini_free(base);
        cov_ini_free(ini);
        if (!d->n) cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    return base;
}

json_t *cov_json_sections(const char *path, cov_diag *d)
{
    cov_ini *ini = read_flat(path, 0, d);
    if (!ini) return NULL;
    json_t *out = json_array();
    for (int i = 0; i < ini->n; i++) {
        cov_ini_entry *e = &ini->e[i];
        if (!strcmp(e->section, "run") && (!strcmp(e->key, "base") || !strcmp(e->key, "out")
                                           || !strcmp(e->key, "threads")))
            continue;
        /* a base's name is not the variant's (README): the server names it */
        if (!strcmp(e->section, "run") && !strcmp(e->key, "name") && strcmp(e->file, ini->files[ini->nfiles - 1]))
            continue;
        json_t *sec = NULL;
        size_t k;
        json_t *it;
        json_array_foreach(out, k, it)
            if (!strcmp(json_string_value(json_object_get(it, "name")), e->section)) sec = it;
        if (!sec) {
            sec = json_pack("{s:s, s:[]}", "name", e->section, "entries");
            json_array_append_new(out, sec);
        }
        char *value = NULL;
        if (cov_json_file_key(e->section, e->key)) {
            char *p = cov_resolve(e->file, e->value);
            value = p ? realpath(p, NULL) : NULL;
            if (!value) value = p, p = NULL;
            free(p);
        }
        json_array_append_new(json_object_get(sec, "entries"), json_pack("[s,s]", e->key, value ? value : e->value));
        free(value);
    }
    cov_ini_free(ini);
    return out;
}

/* A section name: printable UTF-8 without brackets, ';', '#', '=' or
 * surrounding spaces, at most 49 bytes (libinih keeps 49 and cuts longer names, which
 * could merge two sections). */
static bool good_section(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 49 || s[0] == ' ' || s[n - 1] == ' ' || !cov_utf8_valid(s, n, NULL)) return false;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f || strchr("[];#=", *p)) return false;
    return true;
}

static bool good_key(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 40) return false;
    for (const char *p = s; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')) return false;
    return true;
}

/* Why a value cannot be written as INI text, or NULL when it can. */
static const char *bad_value(const char *v, size_t n)
{
    if (n > MAX_VALUE) return "is longer than 64 KiB";
    if (!cov_utf8_valid(v, n, NULL)) return "is not UTF-8 text";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c < 0x20 || c == 0x7f) return "holds a line break or a control character";
        if (c == ';' && (i == 0 || v[i - 1] == ' ' || v[i - 1] == '\t'))
            return "holds a ';' after a space, which would start a comment (write ';' right after a name)";
        /* U+0080..U+009F: control characters too */
        if (c == 0xc2 && i + 1 < n && (unsigned char)v[i + 1] >= 0x80 && (unsigned char)v[i + 1] <= 0x9f)
            return "holds a control character";
    }
    return NULL;
}

/* Appends key = value to f, a list continued on indented lines past WRAP bytes. */
static bool write_entry(FILE *f, const char *key, const char *v, char *err, size_t errn, const char *sec)
{
    size_t n = strlen(v);
    if (n + strlen(key) + 3 <= WRAP) { fprintf(f, "%s = %s\n", key, v); return true; }
    if (!list_key(key)) {
        snprintf(err, errn, "[%s] %s: the value is too long for one line (%zu bytes; at most %d)", sec, key, n,
                 WRAP - 3 - (int)strlen(key));
        return false;
    }
    fprintf(f, "%s =", key);
    size_t line = strlen(key) + 2, i = 0;
    bool first = true;
    while (i < n) {   /* items up to and with their separator */
        size_t j = i + strcspn(v + i, ",;");
        if (j < n) j++;
        while (i < j && v[i] == ' ') i++;
        size_t len = j - i;
        if (len == 0) { i = j; continue; }
        if (len + 5 > WRAP || memchr(v + i, '=', len) || v[i] == '[') {
            snprintf(err, errn, "[%s] %s: an item of the list is too long for one line, or holds '=' or starts with '['",
                     sec, key);
            return false;
        }
        if (!first && line + len + 1 > WRAP) { fputs("\n   ", f); line = 3; }
        fputc(' ', f);
        fwrite(v + i, 1, len, f);
        line += len + 1;
        first = false;
        i = j;
    }
    fputc('\n', f);
    return true;
}

char *cov_json_to_ini(const json_t *sections, const char *header, cov_json_allow_fn allow, void *arg,
                      char *err, size_t errn)
{
    if (!json_is_array(sections) || json_array_size(sections) > MAX_SECTIONS) {
        snprintf(err, errn, "'sections' must be a list of at most %d sections", MAX_SECTIONS);
        return NULL;
    }
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (!f) { snprintf(err, errn, "out of memory"); return NULL; }
    bool ok = true;
    if (header) {   /* comment lines, one per line of header */
        for (const char *p = header; *p && ok;) {
            size_t n = strcspn(p, "\n");
            fputs("; ", f);
            for (size_t i = 0; i < n; i++) fputc((unsigned char)p[i] < 0x20 ? ' ' : p[i], f);
            fputc('\n', f);
            p += n + (p[n] == '\n');
        }
        fputc('\n', f);
    }
    size_t i;
    json_t *sec;
    json_array_foreach(sections, i, sec) {
        if (!ok) break;
        const char *name = json_string_value(json_object_get(sec, "name"));
        json_t *entries = json_object_get(sec, "entries");
        if (!json_is_object(sec) || !name || !good_section(name)) {
            snprintf(err, errn, "section %zu: a name is text of at most 49 bytes without brackets, ';', '#', '=' or line breaks",
                     i + 1);
            ok = false;
            break;
        }
        for (size_t j = 0; j < i; j++)
            if (!strcmp(json_string_value(json_object_get(json_array_get(sections, j), "name")), name)) {
                snprintf(err, errn, "[%s] is given twice", name);
                ok = false;
            }
        if (!ok) break;
        if (!json_is_array(entries) || json_array_size(entries) > MAX_ENTRIES) {
            snprintf(err, errn, "[%s]: 'entries' must be a list of at most %d [key, value] pairs", name, MAX_ENTRIES);
            ok = false;
            break;
        }
        fprintf(f, "[%s]\n", name);
        size_t k;
        json_t *en;
        json_array_foreach(entries, k, en) {
            const char *key = json_string_value(json_array_get(en, 0));
            json_t *jv = json_array_get(en, 1);
            const char *v = json_string_value(jv);
            if (!json_is_array(en) || json_array_size(en) != 2 || !key || !v) {
                snprintf(err, errn, "[%s] entry %zu: must be [key, value], both text", name, k + 1);
                ok = false;
                break;
            }
            if (!good_key(key)) {
                snprintf(err, errn, "[%s]: a key is written with a-z, 0-9 and _ (at most 40), got \"%.60s\"", name, key);
                ok = false;
                break;
            }
            for (size_t m = 0; m < k && ok; m++)
                if (!strcmp(json_string_value(json_array_get(json_array_get(entries, m), 0)), key)) {
                    snprintf(err, errn, "[%s]: '%s' is given twice", name, key);
                    ok = false;
                }
            if (!ok) break;
            if (!strcmp(name, "run") && (!strcmp(key, "base") || !strcmp(key, "out"))) {
                snprintf(err, errn, "[run] %s: not taken from the page (the server decides it)", key);
                ok = false;
                break;
            }
            size_t vn = json_string_length(jv);
            const char *why = memchr(v, 0, vn) ? "holds a NUL byte" : bad_value(v, vn);
            if (why) {
                snprintf(err, errn, "[%s] %s: the value %s", name, key, why);
                ok = false;
                break;
            }
            char *val = cov_strdup(v), *t = val ? cov_trim(val) : NULL;
            if (!t) { snprintf(err, errn, "out of memory"); ok = false; break; }
            char *resolved = NULL;
            if (cov_json_file_key(name, key) && !(resolved = allow ? allow(key, t, arg) : NULL)) {
                snprintf(err, errn, "[%s] %s: not a file this server offered; pick a shipped scenario or upload the file",
                         name, key);
                ok = false;
            }
            if (ok) ok = write_entry(f, key, resolved ? resolved : t, err, errn, name);
            free(resolved);
            free(val);
            if (!ok) break;
        }
        fputc('\n', f);
    }
    if (fclose(f) != 0 && ok) { snprintf(err, errn, "out of memory"); ok = false; }
    if (!ok) { free(text); return NULL; }
    return text;
}

static json_t *month_json(int m)
{
    char b[8];
    cov_month_format(m, b);
    return json_string(b);
}

/* A string that may not be UTF-8 (a name from a file) as JSON text: bytes
 * that are not UTF-8 shown as \xHH, as on the terminal. */
static json_t *text_json(const char *s)
{
    if (!s) return json_null();
    json_t *j = json_string(s);
    if (j) return j;
    char buf[1024];
    return json_string(cov_term_into(s, buf, sizeof buf));
}

json_t *cov_json_info(const cov_scenario *s)
{
    json_t *o = json_object();
    json_object_set_new(o, "name", text_json(s->name));
    json_object_set_new(o, "start", month_json(s->start));
    json_object_set_new(o, "months", json_integer(s->months));
    json_object_set_new(o, "replicates", json_integer(s->replicates));
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->seed);
    json_object_set_new(o, "seed", json_string(seed));
    json_t *g = json_array();
    for (int k = 0; k < s->model->ngroups; k++)
        json_array_append_new(g, json_pack("{s:o, s:o}", "name", text_json(s->model->g[k].name),
                                           "label", text_json(s->model->g[k].label)));
    json_object_set_new(o, "groups", g);
    json_t *lv = json_array();
    for (int l = 0; l < s->pop->nlevels; l++) {
        json_t *units = json_array();
        for (int u = 0; u < s->pop->levels[l].nunits; u++) json_array_append_new(units, text_json(s->pop->levels[l].units[u]));
        json_array_append_new(lv, json_pack("{s:o, s:o}", "name", text_json(s->pop->levels[l].name), "units", units));
    }
    json_object_set_new(o, "levels", lv);
    json_t *cs = json_array();
    for (int c = 0; c < s->pop->ncommunes; c++) {
        const cov_commune *cm = &s->pop->c[c];
        json_t *par = json_array();
        int64_t N = 0, I = 0;
        for (int l = 0; l < s->pop->nlevels; l++) json_array_append_new(par, json_integer(cm->parent[l]));
        for (int k = 0; k < s->model->ngroups; k++) { N += cm->N[k]; I += cm->I[k]; }
        json_array_append_new(cs, json_pack("{s:o, s:o, s:o, s:I, s:I}", "name", text_json(cm->name),
                                            "code", text_json(cm->code), "parents", par,
                                            "population", (json_int_t)N, "insured", (json_int_t)I));
    }
    json_object_set_new(o, "communes", cs);
    json_t *ts = json_array();
    for (int t = 0; t < s->ntargets; t++) json_array_append_new(ts, text_json(s->targets[t].name));
    json_object_set_new(o, "targets", ts);
    return o;
}

/* key "target\x1flevel\x1funit" of target t and unit u. */
static char *base_key(const cov_scenario *s, const cov_results *r, int t, int u)
{
    char *k = NULL;
    if (asprintf(&k, "%s\x1f%s\x1f%s", s->targets[t].name, cov_level_name(s, r->unit_level[u]), r->unit_name[u]) < 0)
        return NULL;
    return k;
}

bool cov_json_base_write(const cov_scenario *s, const cov_results *r, const char *path)
{
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    int32_t n = 0;
    for (int t = 0; t < s->ntargets; t++)
        for (int u = 0; u < r->nunits; u++) n += r->unit_level[u] == s->targets[t].level && r->ts[t][u].hit;
    uint64_t seed = s->seed;
    int64_t R = r->replicates;
    fwrite("CVHITS1\n", 1, 8, f);
    fwrite(&seed, sizeof seed, 1, f);
    fwrite(&R, sizeof R, 1, f);
    fwrite(&n, sizeof n, 1, f);
    for (int pass = 0; pass < 2; pass++)   /* the keys, then the flags in the same order */
        for (int t = 0; t < s->ntargets; t++)
            for (int u = 0; u < r->nunits; u++) {
                if (r->unit_level[u] != s->targets[t].level || !r->ts[t][u].hit) continue;
                if (pass == 1) { fwrite(r->ts[t][u].hit, 1, (size_t)R, f); continue; }
                char *k = base_key(s, r, t, u);
                uint32_t kl = k ? (uint32_t)strlen(k) : 0;
                fwrite(&kl, sizeof kl, 1, f);
                if (k) fwrite(k, 1, kl, f);
                free(k);
            }
    bool ok = !ferror(f);
    return fclose(f) == 0 && ok;
}

void cov_json_base_free(cov_json_base *b)
{
    for (int i = 0; b->key && i < b->n; i++) free(b->key[i]);
    free(b->key);
    free(b->hits);
    memset(b, 0, sizeof *b);
}

bool cov_json_base_read(const char *path, cov_json_base *b)
{
    memset(b, 0, sizeof *b);
    FILE *f = fopen(path, "rb");
    if (!f) return false;
    char magic[8];
    int64_t R;
    int32_t n;
    bool ok = fread(magic, 1, 8, f) == 8 && !memcmp(magic, "CVHITS1\n", 8) && fread(&b->seed, sizeof b->seed, 1, f) == 1
           && fread(&R, sizeof R, 1, f) == 1 && fread(&n, sizeof n, 1, f) == 1 && R > 0 && R <= COV_MAX_REPLICATES
           && n >= 0 && n <= MAX_BASE_KEYS && (double)n * (double)R < (double)(1L << 32);
    if (ok) {
        b->R = (long)R;
        b->key = calloc((size_t)n + 1, sizeof *b->key);
        b->hits = malloc((size_t)n * (size_t)R + 1);
        ok = b->key && b->hits;
    }
    for (int i = 0; ok && i < n; i++) {
        uint32_t kl;
        ok = fread(&kl, sizeof kl, 1, f) == 1 && kl < 65536 && (b->key[i] = malloc(kl + 1u));
        if (ok) ok = fread(b->key[i], 1, kl, f) == kl;
        if (ok) { b->key[i][kl] = '\0'; b->n = i + 1; }
    }
    if (ok) ok = fread(b->hits, 1, (size_t)n * (size_t)R, f) == (size_t)n * (size_t)R;
    fclose(f);
    if (!ok) cov_json_base_free(b);
    return ok;
}

/* v rounded as "%.*f" prints it, so the page shows the CSV files' figures. */
static json_t *num(double v, int digits)
{
    char b[64];
    snprintf(b, sizeof b, "%.*f", digits, v);
    return json_real(strtod(b, NULL));
}

static const cov_results *sort_r;
static int sort_t;
static int riskiest(const void *a, const void *b)
{
    const cov_target_stats *x = &sort_r->ts[sort_t][*(const int *)a], *y = &sort_r->ts[sort_t][*(const int *)b];
    if (x->no_people != y->no_people) return x->no_people ? 1 : -1;
    return x->reached < y->reached ? -1 : x->reached > y->reached ? 1 : *(const int *)a - *(const int *)b;
}

json_t *cov_json_results(const cov_scenario *s, const cov_results *r, const cov_json_base *base)
{
    json_t *o = json_object();
    long R = r->replicates;
    char seed[32];
    snprintf(seed, sizeof seed, "%llu", (unsigned long long)s->seed);
    json_object_set_new(o, "name", text_json(s->name));
    json_object_set_new(o, "replicates", json_integer(R));
    json_object_set_new(o, "seed", json_string(seed));
    json_object_set_new(o, "start", month_json(s->start));
    json_object_set_new(o, "months", json_integer(s->months));
    json_t *units = json_array(), *fans = json_array();
    for (int u = 0; u < r->nunits; u++) {
        json_array_append_new(units, json_pack("{s:o, s:o, s:o}", "level", text_json(cov_level_name(s, r->unit_level[u])),
                                               "name", text_json(r->unit_name[u]), "code", text_json(r->unit_code[u])));
        json_t *fan = json_array();
        for (int m = 0; m <= r->months; m++) {
            const cov_month_stats *ms = &r->ms[(long)u * (r->months + 1) + m];
            json_t *q = json_array();
            for (int k = 0; k < 5; k++) json_array_append_new(q, num(ms->q[k], 4));
            json_array_append_new(fan, q);
        }
        json_array_append_new(fans, fan);
    }
    json_object_set_new(o, "units", units);
    json_object_set_new(o, "fans", fans);
    bool pair = base && base->seed == s->seed && base->R > 0;
    long RP = pair ? (base->R < R ? base->R : R) : 0;
    if (base) {
        json_object_set_new(o, "paired", json_boolean(pair));
        json_object_set_new(o, "paired_replicates", json_integer(RP));
    }
    json_t *targets = json_array();
    int *order = malloc((size_t)r->nunits * sizeof *order);
    for (int t = 0; order && t < s->ntargets; t++) {
        const cov_target *tg = &s->targets[t];
        char thr[16];
        snprintf(thr, sizeof thr, "%d.%02d", tg->threshold / 100, tg->threshold % 100);
        json_t *rows = json_array();
        int n = 0;
        for (int u = 0; u < r->nunits; u++)
            if (r->unit_level[u] == tg->level) order[n++] = u;
        sort_r = r; sort_t = t;
        qsort(order, (size_t)n, sizeof *order, riskiest);
        for (int i = 0; i < n; i++) {
            int u = order[i];
            const cov_target_stats *ts = &r->ts[t][u];
            json_t *row = json_pack("{s:i, s:I, s:o, s:b}", "unit", u, "cards_now", (json_int_t)ts->cards_now,
                                    "shortfall", num(ts->shortfall_p50, 1), "no_people", ts->no_people);
            if (!ts->no_people) {
                double p = (double)ts->reached / (double)R, lo, hi;
                cov_wilson(ts->reached, R, &lo, &hi);
                json_object_set_new(row, "p", num(p, 4));
                json_object_set_new(row, "lo", num(lo, 4));
                json_object_set_new(row, "hi", num(hi, 4));
                json_object_set_new(row, "p_by", num((double)ts->reached_by / (double)R, 4));
                json_object_set_new(row, "verdict", json_integer(cov_verdict(p)));
                json_object_set_new(row, "q05", num(ts->cov_q[0], 4));
                json_object_set_new(row, "q50", num(ts->cov_q[1], 4));
                json_object_set_new(row, "q95", num(ts->cov_q[2], 4));
            }
            if (pair && ts->hit && !ts->no_people) {
                char *k = base_key(s, r, t, u);
                for (int b = 0; k && b < base->n; b++)
                    if (!strcmp(base->key[b], k)) {
                        double diff, se;
                        cov_paired_difference(base->hits + (size_t)b * (size_t)base->R, ts->hit, RP, &diff, &se);
                        json_object_set_new(row, "diff", num(diff, 4));
                        json_object_set_new(row, "diff_se", num(se, 4));
                        break;
                    }
                free(k);
            }
            json_array_append_new(rows, row);
        }
        json_array_append_new(targets, json_pack("{s:o, s:o, s:o, s:s, s:o, s:o}", "name", text_json(tg->name),
                                                 "level", text_json(cov_level_name(s, tg->level)),
                                                 "group", text_json(tg->group < 0 ? "all" : s->model->g[tg->group].name),
                                                 "threshold", thr, "deadline", month_json(tg->deadline), "rows", rows));
    }
    free(order);
    json_object_set_new(o, "targets", targets);
    return o;
}

/* s with every path inside the folder hide shown by its file name alone
 * (malloc'd): the server's private folder is nobody's business. */
static char *without(const char *s, const char *hide)
{
    char *out = cov_strdup(s);
    size_t hl = hide ? strlen(hide) : 0;
    if (!out || !hl) return out;
    char *p;
    while ((p = strstr(out, hide))) {
        char *end = p + hl + strcspn(p + hl, ": \t\n"), *slash = p;
        for (char *q = p; q < end; q++)
            if (*q == '/') slash = q;
        memmove(p, slash + 1, strlen(slash + 1) + 1);
    }
    return out;
}

json_t *cov_json_diag(const cov_diag *d, const char *hide)
{
    char *text = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&text, &len);
    if (f) { cov_diag_print(d, f); fclose(f); }
    char *clean = text ? without(text, hide) : NULL;
    json_t *o = json_object(), *list = json_array();
    json_object_set_new(o, "text", text_json(clean ? clean : "error"));
    free(text); free(clean);
    for (int i = 0; i < d->n; i++) {
        char *file = without(d->e[i].file, hide);
        json_array_append_new(list, json_pack("{s:o, s:I, s:I, s:o}", "file", text_json(file ? file : ""),
                                              "line", (json_int_t)d->e[i].line, "col", (json_int_t)d->e[i].col,
                                              "message", text_json(d->e[i].msg)));
        free(file);
    }
    json_object_set_new(o, "errors", list);
    json_object_set_new(o, "status", json_integer(d->status));
    return o;
}
