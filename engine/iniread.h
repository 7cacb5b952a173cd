/* iniread.h — reads an INI file through libinih into a flat list of
 * (section, key, value) entries that remember where they stand, so the
 * model and scenario loaders can point at a bad key or value. */
#ifndef COV_INIREAD_H
#define COV_INIREAD_H

#include <stdbool.h>
#include "covcast.h"

/* Where a continuation line's part of a value stands in the file. */
typedef struct { size_t off; long line, col; } cov_ini_part;

typedef struct {
    char *section, *key, *value;
    const char *file;      /* the file it came from (owned by the cov_ini), or "--set SECTION.KEY" */
    long line;
    long kcol, klen;       /* key position and width, characters */
    long vcol, vlen;       /* value position and width */
    bool used;             /* set by the loader that consumed it */
    int nparts;            /* indented continuation lines joined into value with ',' */
    cov_ini_part *parts;   /* each one's offset in value and its place in the file */
} cov_ini_entry;

typedef struct {
    char *path;
    int n;
    cov_ini_entry *e;
    int nsec;
    struct cov_ini_section { char *name; const char *file; long line; } *sec; /* [section] headers */
    int nfiles;
    char **files;          /* every file whose entries are here */
} cov_ini;

/* Where the [section] header stands: its file and line (0 if none). */
long cov_ini_section_line(const cov_ini *ini, const char *section, const char **file);

/* Overlays variant on base: an entry of variant replaces base's entry with
 * the same section and key, others are added. variant is emptied (its
 * files move to base) and freed. Returns false on out of memory. */
bool cov_ini_overlay(cov_ini *base, cov_ini *variant);

/* Applies "section.key=value" (the section may contain dots: the key is
 * after the last one). The entry's file reads "--set SECTION.KEY". */
bool cov_ini_set(cov_ini *ini, const char *assignment, cov_diag *d);

/* The entry for section and key, or NULL; marks it used. */
cov_ini_entry *cov_ini_find(cov_ini *ini, const char *section, const char *key);

#define COV_MAX_INI_BYTES (16UL * 1024 * 1024)   /* bytes in one scenario or model file: 16 MiB */

/* Reads path; duplicate keys in a section, lines too long for libinih and
 * invalid UTF-8 are errors. NULL with d filled on failure. */
cov_ini *cov_ini_read(const char *path, cov_diag *d);
void cov_ini_free(cov_ini *ini);

/* The file line and column (characters) of the byte at of e->value, which
 * may lie on one of the value's continuation lines. */
void cov_ini_where(const cov_ini_entry *e, const char *at, long *line, long *col);

/* Convenience for loaders: error at an entry's value / key. */
#define COV_AT_VALUE(ini, en) ((void)(ini), (en)->file), (en)->line, (en)->vcol, (en)->vlen
#define COV_AT_KEY(ini, en) ((void)(ini), (en)->file), (en)->line, (en)->kcol, (en)->klen

#endif
