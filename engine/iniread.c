/* iniread.c — INI input through libinih. The file is read once, whole,
 * under a size limit (input.h); a counting line reader over its text feeds
 * ini_parse_stream so each entry knows its line; columns are found in the
 * raw line. Knows nothing of what the keys mean. */
#define _GNU_SOURCE
#include "iniread.h"
#include "input.h"
#include "text.h"

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

/* The longest section name libinih keeps whole (its MAX_SECTION, 50, less
 * the terminating NUL); longer ones it cuts short without a word. */
#define SECTION_MAX 49

#ifndef INI_MAX_LINE
#define INI_MAX_LINE 200
#endif

typedef struct {
    const char *text;   /* the whole file, read once */
    size_t len, pos;    /* its length; where the next line starts */
    cov_ini *ini;
    cov_diag *d;
    long line;          /* line number of the raw line last read */
    char *raw;          /* that line */
    size_t rawcap;
    bool failed;
    int cap;
} ctx;

/* The next line of the text, with its newline, into c->raw (NUL-terminated;
 * it may hold NUL bytes). Its length, or -1 at the end. */
static ssize_t next_line(ctx *c)
{
    if (c->pos >= c->len) return -1;
    const char *p = c->text + c->pos, *nl = memchr(p, '\n', c->len - c->pos);
    size_t n = nl ? (size_t)(nl - p) + 1 : c->len - c->pos;
    if (n + 1 > c->rawcap) {
        char *nr = realloc(c->raw, n + 1);
        if (!nr) return -1;
        c->raw = nr; c->rawcap = n + 1;
    }
    memcpy(c->raw, p, n);
    c->raw[n] = '\0';
    c->pos += n;
    return (ssize_t)n;
}

static char *reader(char *str, int num, void *stream)
{
    ctx *c = stream;
    ssize_t n = next_line(c);
    if (n < 0) return NULL;
    c->line++;
    if (c->line == 1 && n >= 3 && !memcmp(c->raw, "\xEF\xBB\xBF", 3)) {
        memmove(c->raw, c->raw + 3, (size_t)n - 2);
        n -= 3;
    }
    size_t bad;
    const char *nul = memchr(c->raw, 0, (size_t)n);
    if (!c->failed && nul) {
        cov_diag_add(c->d, COV_EINPUT, c->ini->path, c->line, cov_utf8_width(c->raw, (size_t)(nul - c->raw)) + 1, 1,
                     "this line holds a NUL byte: the file is not text (was it saved as UTF-16?)");
        c->failed = true;
    }
    if (!c->failed && !cov_utf8_valid(c->raw, (size_t)n, &bad)) {
        cov_diag_add(c->d, COV_EINPUT, c->ini->path, c->line,
                     cov_utf8_width(c->raw, bad) + 1, 1,
                     "this line is not valid UTF-8; save the file as UTF-8");
        c->failed = true;
    }
    ssize_t body = n;
    while (body > 0 && (c->raw[body - 1] == '\n' || c->raw[body - 1] == '\r')) body--;
    if (!c->failed && body > num - 3) {
        cov_diag_add(c->d, COV_EINPUT, c->ini->path, c->line, cov_utf8_width(c->raw, (size_t)(num - 3)) + 1, 1,
                     "this line is longer than %d bytes (Vietnamese letters take 2 or 3 bytes each); split a "
                     "long list over indented continuation lines, or use communes_file", num - 3);
        c->failed = true;
    }
    if (c->failed) { str[0] = '\0'; return str; }
    const char *p = c->raw + strspn(c->raw, " \t");
    const char *end = strchr(p, ']');
    if (*p == '[' && end && end - p - 1 > SECTION_MAX) {   /* libinih would cut it: two long names would become one */
        cov_diag_add(c->d, COV_EINPUT, c->ini->path, c->line, cov_utf8_width(c->raw, (size_t)(p - c->raw)) + 2,
                     cov_utf8_width(p + 1, (size_t)(end - p - 1)),
                     "this section name is %ld bytes long, more than the %d an INI section may have (Vietnamese "
                     "letters take 2 or 3 bytes each): use a short key and give the full name with label =",
                     (long)(end - p - 1), SECTION_MAX);
        c->failed = true;
        str[0] = '\0';
        return str;
    }
    if (*p == '[' && end) {                 /* remember where each section starts */
        struct cov_ini_section *ns = realloc(c->ini->sec, (size_t)(c->ini->nsec + 1) * sizeof *ns);
        char *name = malloc((size_t)(end - p));
        if (ns && name) {
            memcpy(name, p + 1, (size_t)(end - p - 1));
            name[end - p - 1] = '\0';
            c->ini->sec = ns;
            c->ini->sec[c->ini->nsec].name = name;
            c->ini->sec[c->ini->nsec].file = c->ini->path;
            c->ini->sec[c->ini->nsec++].line = c->line;
        } else {
            if (ns) c->ini->sec = ns;
            free(name);
        }
    }
    memcpy(str, c->raw, (size_t)n + 1);
    return str;
}

/* A copy of s in Unicode normalisation form C: names typed with combining
 * marks match the population file's. */
static char *nfc(const char *s)
{
    size_t len = 0, n = strlen(s);
    uint8_t *u = n ? u8_normalize(UNINORM_NFC, (const uint8_t *)s, n, NULL, &len) : NULL;
    if (!u) return cov_strdup(s);
    char *out = malloc(len + 1);
    if (out) { memcpy(out, u, len); out[len] = '\0'; }
    free(u);
    return out;
}

/* Finds key and value columns in the raw line. */
static void locate(const char *raw, cov_ini_entry *e)
{
    const char *p = raw;
    while (*p == ' ' || *p == '\t') p++;
    e->kcol = cov_utf8_width(raw, (size_t)(p - raw)) + 1;
    e->klen = cov_utf8_width(e->key, strlen(e->key));
    const char *eq = strpbrk(p, "=:");
    if (!eq) { e->vcol = e->kcol; e->vlen = cov_utf8_width(e->value, strlen(e->value)); return; }
    const char *v = eq + 1;
    while (*v == ' ' || *v == '\t') v++;
    e->vcol = cov_utf8_width(raw, (size_t)(v - raw)) + 1;
    e->vlen = cov_utf8_width(e->value, strlen(e->value));
    if (e->vlen < 1) e->vlen = 1;
}

static int handler(void *user, const char *section, const char *name, const char *value)
{
    ctx *c = user;
    if (c->failed) return 0;
    cov_ini *ini = c->ini;
    const char *raw = c->raw ? c->raw : "";
    bool continuation = (raw[0] == ' ' || raw[0] == '\t') && ini->n > 0
        && !strcmp(ini->e[ini->n - 1].section, section)
        && !strcmp(ini->e[ini->n - 1].key, name) && ini->e[ini->n - 1].line < c->line;
    if (continuation) {                     /* indented line continues the value */
        const char *t = raw + strspn(raw, " \t");
        if (strchr(t, '=') || t[0] == '[') {
            cov_diag_add(c->d, COV_EINPUT, ini->path, c->line, cov_utf8_width(raw, (size_t)(t - raw)) + 1, 1,
                         "this line is indented, so it would continue the value of '%s' on the line above; "
                         "remove the spaces before it", name);
            return 1;
        }
        cov_ini_entry *e = &ini->e[ini->n - 1];
        size_t a = strlen(e->value), b = strlen(value);
        char *nv = realloc(e->value, a + b + 2);
        if (!nv) return 0;
        nv[a] = ','; memcpy(nv + a + 1, value, b + 1);
        e->value = nv;
        cov_ini_part *np = realloc(e->parts, (size_t)(e->nparts + 1) * sizeof *np);
        if (!np) return 0;
        e->parts = np;
        e->parts[e->nparts++] = (cov_ini_part){ a + 1, c->line, cov_utf8_width(raw, (size_t)(t - raw)) + 1 };
        return 1;
    }
    for (int i = 0; i < ini->n; i++)
        if (!strcmp(ini->e[i].section, section) && !strcmp(ini->e[i].key, name)) {
            cov_ini_entry tmp = { .key = (char *)name, .value = (char *)value };
            locate(raw, &tmp);
            cov_diag_add(c->d, COV_EINPUT, ini->path, c->line, tmp.kcol, tmp.klen,
                         "'%s' is given twice in [%s] (first on line %ld)",
                         name, section, ini->e[i].line);
            return 1;
        }
    if (ini->n == c->cap) {
        int cap = c->cap ? 2 * c->cap : 32;
        cov_ini_entry *ne = realloc(ini->e, (size_t)cap * sizeof *ne);
        if (!ne) return 0;
        ini->e = ne; c->cap = cap;
    }
    cov_ini_entry *e = &ini->e[ini->n];
    memset(e, 0, sizeof *e);
    e->section = cov_strdup(section);
    e->key = cov_strdup(name);
    e->value = nfc(value);
    if (!e->section || !e->key || !e->value) {
        free(e->section); free(e->key); free(e->value); free(e->parts);
        return 0;
    }
    e->line = c->line;
    e->file = ini->path;
    locate(raw, e);
    ini->n++;
    return 1;
}

cov_ini *cov_ini_read(const char *path, cov_diag *d)
{
    size_t len;   /* read once, whole: the file may be a pipe (cov_input_read notes it as an input) */
    const char *text = cov_input_read(path, COV_MAX_INI_BYTES, "an INI file (a scenario or model)", &len, d);
    if (!text) return NULL;
    cov_ini *ini = calloc(1, sizeof *ini);
    if (ini) ini->files = malloc(sizeof *ini->files);
    if (!ini || !ini->files || !(ini->path = cov_strdup(path))) {
        if (ini) free(ini->files);
        free(ini);
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    ini->files[ini->nfiles++] = ini->path;
    int before = d->n;
    ctx c = { .text = text, .len = len, .ini = ini, .d = d };
    int rc = ini_parse_stream(reader, &c, handler, &c);
    free(c.raw);
    if (rc > 0 && !c.failed && d->n == before)
        cov_diag_add(d, COV_EINPUT, path, rc, 1, 1,
                     "cannot read this line: expected [section], key = value, or a ; comment");
    else if (rc < 0 && d->n == before)
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the file");
    if (rc != 0 || d->n > before) {
        cov_ini_free(ini);
        return NULL;
    }
    return ini;
}

void cov_ini_free(cov_ini *ini)
{
    if (!ini) return;
    for (int i = 0; i < ini->n; i++) {
        free(ini->e[i].section); free(ini->e[i].key); free(ini->e[i].value); free(ini->e[i].parts);
    }
    free(ini->e);
    for (int i = 0; i < ini->nsec; i++) free(ini->sec[i].name);
    free(ini->sec);
    for (int i = 0; i < ini->nfiles; i++) free(ini->files[i]);  /* files[0] is path */
    free(ini->files);
    free(ini);
}

long cov_ini_section_line(const cov_ini *ini, const char *section, const char **file)
{
    long line = 0;
    if (file) *file = ini->path;
    for (int i = 0; i < ini->nsec; i++)   /* the last header wins: a variant's over its base's */
        if (!strcmp(ini->sec[i].name, section)) {
            line = ini->sec[i].line;
            if (file) *file = ini->sec[i].file;
        }
    return line;
}

cov_ini_entry *cov_ini_find(cov_ini *ini, const char *section, const char *key)
{
    for (int i = 0; i < ini->n; i++)
        if (!strcmp(ini->e[i].section, section) && !strcmp(ini->e[i].key, key)) {
            ini->e[i].used = true;
            return &ini->e[i];
        }
    return NULL;
}

static cov_ini_entry *find_quiet(cov_ini *ini, const char *section, const char *key)
{
    for (int i = 0; i < ini->n; i++)
        if (!strcmp(ini->e[i].section, section) && !strcmp(ini->e[i].key, key)) return &ini->e[i];
    return NULL;
}

static bool append(cov_ini *ini, cov_ini_entry *e)
{
    cov_ini_entry *ne = realloc(ini->e, (size_t)(ini->n + 1) * sizeof *ne);
    if (!ne) return false;
    ini->e = ne;
    ini->e[ini->n++] = *e;
    return true;
}

bool cov_ini_overlay(cov_ini *base, cov_ini *v)
{
    char **nf = realloc(base->files, (size_t)(base->nfiles + v->nfiles) * sizeof *nf);
    struct cov_ini_section *ns = realloc(base->sec, (size_t)(base->nsec + v->nsec + 1) * sizeof *ns);
    if (nf) base->files = nf;
    if (ns) base->sec = ns;
    if (!nf || !ns) return false;
    for (int i = 0; i < v->nfiles; i++) base->files[base->nfiles++] = v->files[i];
    for (int i = 0; i < v->nsec; i++) base->sec[base->nsec++] = v->sec[i];
    v->nfiles = v->nsec = 0;
    for (int i = 0; i < v->n; i++) {
        cov_ini_entry *e = &v->e[i], *old = find_quiet(base, e->section, e->key);
        if (old) {
            free(old->section); free(old->key); free(old->value); free(old->parts);
            *old = *e;
        } else if (!append(base, e)) {
            return false;
        }
    }
    v->n = 0;
    cov_ini_free(v);
    return true;
}

bool cov_ini_set(cov_ini *ini, const char *assignment, cov_diag *d)
{
    const char *eq = strchr(assignment, '=');
    const char *dot = eq ? memrchr(assignment, '.', (size_t)(eq - assignment)) : NULL;
    if (!eq || !dot || dot == assignment || dot + 1 == eq) {
        cov_diag_add(d, COV_EUSAGE, NULL, 0, 0, 0,
                     "--set needs SECTION.KEY=VALUE (e.g. --set campaign.peak.enroll_multiplier=2.5), got \"%s\"",
                     assignment);
        return false;
    }
    cov_ini_entry e = { 0 };
    e.section = strndup(assignment, (size_t)(dot - assignment));
    e.key = strndup(dot + 1, (size_t)(eq - dot - 1));
    e.value = cov_strdup(eq + 1);
    char *label = malloc(strlen(assignment) + 8);
    char **nf = realloc(ini->files, (size_t)(ini->nfiles + 1) * sizeof *nf);
    if (nf) ini->files = nf;
    if (!e.section || !e.key || !e.value || !label || !nf) { free(label); goto oom; }
    snprintf(label, strlen(assignment) + 8, "--set %.*s", (int)(eq - assignment), assignment);
    ini->files[ini->nfiles++] = label;   /* errors name the assignment */
    e.file = label;
    cov_ini_entry *old = find_quiet(ini, e.section, e.key);
    if (old) {
        free(old->section); free(old->key); free(old->value); free(old->parts);
        *old = e;
        return true;
    }
    if (append(ini, &e)) return true;
oom:
    free(e.section); free(e.key); free(e.value);
    cov_diag_add(d, COV_ELIMIT, NULL, 0, 0, 0, "out of memory");
    return false;
}

void cov_ini_where(const cov_ini_entry *e, const char *at, long *line, long *col)
{
    size_t off = at && at >= e->value ? (size_t)(at - e->value) : 0, from = 0;
    *line = e->line;
    long base = e->vcol;
    for (int i = 0; i < e->nparts; i++)
        if (e->parts[i].off <= off) { *line = e->parts[i].line; base = e->parts[i].col; from = e->parts[i].off; }
    *col = base + cov_utf8_width(e->value + from, off - from);
}
