/* fuzz_json.c — libFuzzer target for what `covcast serve` parses from a
 * request: the input is a request body; jansson reads it, json.c turns its
 * sections into INI text (cov_json_to_ini), and the INI reader must read
 * that text back with no error and the same entries: a value that passes
 * the checks cannot break out of its line, start a comment or a section,
 * or be read as another key. */
#include "fuzz_common.h"
#include "iniread.h"
#include "json.h"
#include "text.h"

static char *allow_one(const char *key, const char *path, void *arg)
{
    (void)arg; (void)key;
    return !strcmp(path, "/fuzz/allowed.csv") ? strdup(path) : NULL;
}

static bool ascii(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80) return false;
    return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *o = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
    if (!o) return 0;
    char err[1024];
    json_t *sections = json_is_object(o) ? json_object_get(o, "sections") : o;
    char *ini = cov_json_to_ini(sections, "fuzz\nheader", allow_one, NULL, err, sizeof err);
    if (!ini) {
        if (!err[0]) abort();   /* a refusal always says why */
        json_decref(o);
        return 0;
    }
    const char *path = fuzz_path("edited.ini");
    fuzz_write(path, (const uint8_t *)ini, strlen(ini));
    cov_diag d;
    cov_diag_init(&d);
    cov_ini *back = cov_ini_read(path, &d);
    cov_diag_print(&d, fuzz_diag_out());
    if (!back || d.n) abort();   /* what json.c writes, the INI reader reads */
    size_t i, k, n = 0;
    json_t *sec, *en;
    json_array_foreach(sections, i, sec) {
        const char *name = json_string_value(json_object_get(sec, "name"));
        json_array_foreach(json_object_get(sec, "entries"), k, en) {
            const char *key = json_string_value(json_array_get(en, 0)), *v = json_string_value(json_array_get(en, 1));
            n++;
            cov_ini_entry *e = cov_ini_find(back, name, key);
            if (!e) abort();   /* every entry is read back under its section and key */
            char *t = cov_strdup(v), *tv = t ? cov_trim(t) : NULL;
            /* plain text (no list that may continue on the next line) reads back as written */
            if (tv && ascii(tv) && !strpbrk(tv, ",;") && strcmp(e->value, tv)) abort();
            free(t);
        }
    }
    if ((size_t)back->n != n) abort();   /* and nothing else */
    cov_ini_free(back);
    free(ini);
    json_decref(o);
    return 0;
}
