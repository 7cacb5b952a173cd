/* iniread.h — reads an INI file through libinih into a flat list of
 * (section, key, value) entries that remember where they stand, so the
 * model and scenario loaders can point at a bad key or value. */
#ifndef COV_INIREAD_H
#define COV_INIREAD_H

#include <stdbool.h>
#include "covcast.h"

typedef struct {
    char *section, *key, *value;
    long line;
    long kcol, klen;       /* key position and width, characters */
    long vcol, vlen;       /* value position and width */
    bool used;             /* set by the loader that consumed it */
} cov_ini_entry;

typedef struct {
    char *path;
    int n;
    cov_ini_entry *e;
    int nsec;
    struct cov_ini_section { char *name; long line; } *sec; /* [section] headers */
} cov_ini;

/* Line of the [section] header, or 0. */
long cov_ini_section_line(const cov_ini *ini, const char *section);

/* Reads path; duplicate keys in a section, lines too long for libinih and
 * invalid UTF-8 are errors. NULL with d filled on failure. */
cov_ini *cov_ini_read(const char *path, cov_diag *d);
void cov_ini_free(cov_ini *ini);

/* Convenience for loaders: error at an entry's value / key. */
#define COV_AT_VALUE(ini, en) (ini)->path, (en)->line, (en)->vcol, (en)->vlen
#define COV_AT_KEY(ini, en) (ini)->path, (en)->line, (en)->kcol, (en)->klen

#endif
