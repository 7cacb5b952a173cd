/* text.h — small string helpers: UTF-8, trimming, lists, strict numbers,
 * months. No I/O, no allocation except cov_strdup and cov_split. */
#ifndef COV_TEXT_H
#define COV_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

char *cov_strdup(const char *s);               /* NULL on out of memory */
bool cov_utf8_valid(const char *s, size_t n, size_t *bad_at);
long cov_utf8_width(const char *s, size_t n);  /* code points in s[0..n) */
char *cov_trim(char *s);                       /* in place; returns s+skip */
uint64_t cov_hash_str(const char *s);          /* FNV-1a 64, then mixed */

/* Splits a list "a, b; c" on ',' and ';' into trimmed non-empty items.
 * Returns the count; *items and each item are malloc'd; -1 on no memory. */
int cov_split(const char *s, char ***items);
void cov_split_free(char **items, int n);

/* Strict parsers: the whole string must be the number (after trimming). */
bool cov_parse_int64(const char *s, int64_t *out);   /* digits only, >= 0 */
/* A count of people: digits, or with thousands separators in the given
 * convention: COV_NUM_PLAIN (none), COV_NUM_VN ("4.476"), COV_NUM_EN ("4,476"). */
enum { COV_NUM_PLAIN = 0, COV_NUM_VN = 1, COV_NUM_EN = 2 };
bool cov_parse_count(const char *s, int convention, int64_t *out);
/* Does s look like a count written with '.' (VN) or ',' (EN) thousands separators? */
int cov_count_style(const char *s);
/* Is s written as a count in that convention (as cov_parse_count reads
 * it) that cov_parse_count refuses only for its size, beyond 2^63 - 1
 * ("99999999999999999999", "99.999.999.999.999.999.999")? Callers report it
 * as over their limit, not as "not a number". */
bool cov_count_too_large(const char *s, int convention);
bool cov_parse_double(const char *s, double *out);   /* finite, '.' decimal */
/* "85.2" -> 8520 hundredths of a percent; at most 2 decimals, 0..100. */
bool cov_parse_percent100(const char *s, int32_t *out);

/* For a terminal: s with every control character (U+0000-U+001F, DEL,
 * U+0080-U+009F) shown as \x1b or \u0085 and every byte that is not UTF-8
 * as \xff, so a name can never move the cursor, change colours or retitle
 * the window. Files keep the bytes as they are; this is for stdout and
 * stderr only. cov_term_into writes into out (n bytes; a text too long ends
 * in "…") and returns out; cov_term returns one of 8 buffers it reuses in
 * turn (one printf may hold 8 of them; not for threads). */
char *cov_term_into(const char *s, char *out, size_t n);
const char *cov_term(const char *s);

/* Folds s for "is this close?" comparisons: lower case, diacritics removed
 * (Đồng Sơn and dong son fold alike; NFC and NFD forms too). Never use the
 * folded form as an identity: names must match exactly. */
void cov_fold(const char *s, char *out, size_t n);
/* Levenshtein distance in bytes (99 for strings over 63 bytes). */
int cov_edit_distance(const char *a, const char *b);

/* Marks shared[i] when key[i] is also the key of another of key[0..n): the
 * names of a table that need their code beside them ("Xã Bình Minh" of four
 * provinces). False, shared[] unset, on out of memory. */
bool cov_mark_shared(const char *const *key, long n, bool *shared);

#endif
