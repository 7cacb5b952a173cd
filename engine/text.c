/* text.c — string helpers (see text.h). Pure functions, no globals. */
#include "text.h"
#include "types.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *cov_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = malloc(n);
    if (p) memcpy(p, s, n);
    return p;
}

bool cov_utf8_valid(const char *s, size_t n, size_t *bad_at)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = 0;
    while (i < n) {
        unsigned c = u[i];
        size_t k;
        unsigned min;
        if (c < 0x80) { i++; continue; }
        else if ((c & 0xE0) == 0xC0) { k = 1; min = 0x80; c &= 0x1F; }
        else if ((c & 0xF0) == 0xE0) { k = 2; min = 0x800; c &= 0x0F; }
        else if ((c & 0xF8) == 0xF0) { k = 3; min = 0x10000; c &= 0x07; }
        else goto bad;
        for (size_t j = 1; j <= k; j++) {
            if (i + j >= n || (u[i + j] & 0xC0) != 0x80) goto bad;
            c = (c << 6) | (u[i + j] & 0x3F);
        }
        if (c < min || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) goto bad;
        i += k + 1;
    }
    return true;
bad:
    if (bad_at) *bad_at = i;
    return false;
}

long cov_utf8_width(const char *s, size_t n)
{
    long w = 0;
    for (size_t i = 0; i < n; i++)
        if (((unsigned char)s[i] & 0xC0) != 0x80) w++;
    return w;
}

char *cov_trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n > 0 && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r'
                     || s[n - 1] == '\n'))
        s[--n] = '\0';
    return s;
}

uint64_t cov_hash_str(const char *s)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 0x100000001b3ULL;
    }
    h ^= h >> 33; h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33; h *= 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    return h;
}

int cov_split(const char *s, char ***items)
{
    char *copy = cov_strdup(s);
    if (!copy) return -1;
    int cap = 8, n = 0;
    char **v = malloc((size_t)cap * sizeof *v);
    if (!v) { free(copy); return -1; }
    char *p = copy;
    for (;;) {
        char *end = p + strcspn(p, ",;");
        char sep = *end;
        *end = '\0';
        char *t = cov_trim(p);
        if (*t) {
            if (n == cap) {
                cap *= 2;
                char **nv = realloc(v, (size_t)cap * sizeof *v);
                if (!nv) goto oom;
                v = nv;
            }
            if (!(v[n] = cov_strdup(t))) goto oom;
            n++;
        }
        if (!sep) break;
        p = end + 1;
    }
    free(copy);
    *items = v;
    return n;
oom:
    cov_split_free(v, n);
    free(copy);
    return -1;
}

void cov_split_free(char **items, int n)
{
    if (!items) return;
    for (int i = 0; i < n; i++) free(items[i]);
    free(items);
}

bool cov_parse_int64(const char *s, int64_t *out)
{
    while (*s == ' ' || *s == '\t') s++;
    if (!isdigit((unsigned char)*s)) return false;
    int64_t v = 0;
    for (; isdigit((unsigned char)*s); s++) {
        int d = *s - '0';
        if (v > (INT64_MAX - d) / 10) return false;
        v = v * 10 + d;
    }
    while (*s == ' ' || *s == '\t') s++;
    if (*s) return false;
    *out = v;
    return true;
}

bool cov_parse_double(const char *s, double *out)
{
    while (*s == ' ' || *s == '\t') s++;
    if (!*s) return false;
    /* Only plain decimal notation: no hex, inf, nan, or locale commas. */
    for (const char *p = s; *p && *p != ' ' && *p != '\t'; p++)
        if (!isdigit((unsigned char)*p) && !strchr("+-.eE", *p)) return false;
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno == ERANGE || !isfinite(v)) return false;
    while (*end == ' ' || *end == '\t') end++;
    if (*end) return false;
    *out = v;
    return true;
}

bool cov_parse_percent100(const char *s, int32_t *out)
{
    while (*s == ' ' || *s == '\t') s++;
    int32_t whole = 0, frac = 0;
    int nd = 0, nf = 0;
    for (; isdigit((unsigned char)*s); s++, nd++) {
        if (whole > 1000) return false;
        whole = whole * 10 + (*s - '0');
    }
    if (*s == '.') {
        s++;
        for (; isdigit((unsigned char)*s); s++, nf++) {
            if (nf >= 2) return false;
            frac = frac * 10 + (*s - '0');
        }
        if (nf == 1) frac *= 10;
    }
    while (*s == ' ' || *s == '\t' || *s == '%') s++;
    if (*s || nd == 0) return false;
    int32_t v = whole * 100 + frac;
    if (v > 10000) return false;
    *out = v;
    return true;
}

int cov_month_parse(const char *s, int *out)
{
    int y, m, n = 0;
    while (*s == ' ' || *s == '\t') s++;
    if (sscanf(s, "%4d-%2d%n", &y, &m, &n) != 2) return 0;
    if (n != 7 || !isdigit((unsigned char)s[5]) || !isdigit((unsigned char)s[6])) return 0;
    const char *rest = s + n;
    while (*rest == ' ' || *rest == '\t') rest++;
    if (*rest || y < 1900 || y > 9999 || m < 1 || m > 12) return 0;
    *out = y * 12 + (m - 1);
    return 1;
}

void cov_month_format(int m, char buf[8])
{
    snprintf(buf, 8, "%04u-%02u", (unsigned)(m / 12) % 10000u, (unsigned)(m % 12 + 1) % 100u);
}
