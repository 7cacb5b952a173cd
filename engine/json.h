/* json.h — a scenario and its results as JSON (jansson), for `covcast
 * serve`. The page edits a scenario as its sections of key = value text;
 * the server turns that back into INI text that the same loader as
 * `covcast run` reads, so the page and the command line can never disagree
 * about what a scenario says. */
#ifndef COV_JSON_H
#define COV_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "covcast.h"

/* Keys whose value names a file: the server resolves them itself and never
 * lets a request name a file of its choosing. */
bool cov_json_file_key(const char *section, const char *key);

/* The sections of the scenario file at path, its chain of `[run] base`
 * files flattened (a variant's entries over its base's), as
 * [{"name": "target.year-end", "entries": [["level", "district"], ...]}, ...].
 * File keys (cov_json_file_key) hold absolute paths; `base`, `out` and
 * `threads` are left out (the server decides them). NULL with d filled. */
json_t *cov_json_sections(const char *path, cov_diag *d);

/* The file a request names under key (a file key), as the path to write
 * into the INI (malloc'd), or NULL when it may not be read: the server
 * offers only the files of its scenarios and the uploads, which a request
 * names by their upload id (`upload:ID/NAME`), never by a path. */
typedef char *(*cov_json_allow_fn)(const char *key, const char *value, void *arg);

/* Turns sections (as cov_json_sections gives them) into INI text, with
 * header as its first comment lines (may be NULL). Everything is checked:
 * section names, keys, values (no line breaks, control characters or
 * text that would start a comment), no duplicates, at most 512 sections of
 * 64 entries, file keys only those allow accepts (written as it
 * resolves them). Long lists are continued
 * on indented lines. Returns malloc'd text, or NULL with a message for the
 * planner in err. */
char *cov_json_to_ini(const json_t *sections, const char *header, cov_json_allow_fn allow, void *arg,
                      char *err, size_t errn);

/* What the page needs to offer choices: name, snapshot, months, replicates,
 * seed, the groups (name, label), the levels with their units, the
 * communes (name, code, parents) and the targets' names. */
json_t *cov_json_info(const cov_scenario *s);

/* A run's reached flags per target and unit, to pair a later run with
 * (paired differences on the same futures, as `covcast compare`). */
typedef struct {
    int n;
    char **key;              /* "target\x1flevel\x1funit" */
    unsigned char *hits;     /* [n][R] */
    long R;
    uint64_t seed;
} cov_json_base;

/* Writes the reached flags of r (the scenario kept them: keep_hits) to
 * path as one binary file; false when it cannot be written. */
bool cov_json_base_write(const cov_scenario *s, const cov_results *r, const char *path);
/* Reads a file cov_json_base_write wrote; false when it cannot. */
bool cov_json_base_read(const char *path, cov_json_base *b);
void cov_json_base_free(cov_json_base *b);

/* The results as the page shows them: the targets (each unit with its
 * probability, 95% interval, verdict 0-4, median, cards needed now and
 * median shortfall, riskiest first within a target), every unit's fan
 * (5/25/50/75/95% by month) and, when base is not NULL and has the same
 * seed, each target's paired difference from it with its standard error
 * over the first min(R, base R) replicates. */
json_t *cov_json_results(const cov_scenario *s, const cov_results *r, const cov_json_base *base);

/* The diagnostics as the command line prints them (line, caret), every
 * path inside the folder hide (the server's private one) shown by its file
 * name alone. */
json_t *cov_json_diag(const cov_diag *d, const char *hide);

#endif
