/* text.c — string helpers (see text.h). Pure functions; the only globals
 * are cov_term's buffers. */
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

int cov_count_style(const char *s)
{
    while (*s == ' ') s++;
    size_t lead = strspn(s, "0123456789");
    if (lead < 1 || lead > 3 || (s[lead] != '.' && s[lead] != ',')) return COV_NUM_PLAIN;
    char sep = s[lead];
    const char *p = s + lead;
    while (*p == sep && strspn(p + 1, "0123456789") == 3) p += 4;
    while (*p == ' ') p++;
    return *p ? COV_NUM_PLAIN : sep == '.' ? COV_NUM_VN : COV_NUM_EN;
}

bool cov_parse_count(const char *s, int convention, int64_t *out)
{
    if (convention != COV_NUM_PLAIN && cov_count_style(s) == convention) {
        char digits[64];
        size_t j = 0;
        for (const char *p = s; *p && j + 1 < sizeof digits; p++)
            if (*p >= '0' && *p <= '9') digits[j++] = *p;
        digits[j] = '\0';
        return cov_parse_int64(digits, out);
    }
    return cov_parse_int64(s, out);
}

bool cov_count_too_large(const char *s, int convention)
{
    int64_t v;
    if (cov_parse_count(s, convention, &v)) return false;
    if (convention != COV_NUM_PLAIN && cov_count_style(s) == convention) return true;   /* digits and separators */
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strspn(s, "0123456789");
    if (!n) return false;
    s += n;
    while (*s == ' ' || *s == '\t') s++;
    return !*s;
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

/* Latin letters with diacritics (Vietnamese among them) and their ASCII
 * base letter, sorted by code point; generated from Unicode decompositions. */
static const struct { unsigned short cp; char base; } FOLD[] = {
    {0x00C0,'a'}, {0x00C1,'a'}, {0x00C2,'a'}, {0x00C3,'a'}, {0x00C4,'a'}, {0x00C5,'a'}, {0x00C7,'c'}, {0x00C8,'e'},
    {0x00C9,'e'}, {0x00CA,'e'}, {0x00CB,'e'}, {0x00CC,'i'}, {0x00CD,'i'}, {0x00CE,'i'}, {0x00CF,'i'}, {0x00D1,'n'},
    {0x00D2,'o'}, {0x00D3,'o'}, {0x00D4,'o'}, {0x00D5,'o'}, {0x00D6,'o'}, {0x00D9,'u'}, {0x00DA,'u'}, {0x00DB,'u'},
    {0x00DC,'u'}, {0x00DD,'y'}, {0x00E0,'a'}, {0x00E1,'a'}, {0x00E2,'a'}, {0x00E3,'a'}, {0x00E4,'a'}, {0x00E5,'a'},
    {0x00E7,'c'}, {0x00E8,'e'}, {0x00E9,'e'}, {0x00EA,'e'}, {0x00EB,'e'}, {0x00EC,'i'}, {0x00ED,'i'}, {0x00EE,'i'},
    {0x00EF,'i'}, {0x00F1,'n'}, {0x00F2,'o'}, {0x00F3,'o'}, {0x00F4,'o'}, {0x00F5,'o'}, {0x00F6,'o'}, {0x00F9,'u'},
    {0x00FA,'u'}, {0x00FB,'u'}, {0x00FC,'u'}, {0x00FD,'y'}, {0x00FF,'y'}, {0x0100,'a'}, {0x0101,'a'}, {0x0102,'a'},
    {0x0103,'a'}, {0x0104,'a'}, {0x0105,'a'}, {0x0106,'c'}, {0x0107,'c'}, {0x0108,'c'}, {0x0109,'c'}, {0x010A,'c'},
    {0x010B,'c'}, {0x010C,'c'}, {0x010D,'c'}, {0x010E,'d'}, {0x010F,'d'}, {0x0110,'d'}, {0x0111,'d'}, {0x0112,'e'},
    {0x0113,'e'}, {0x0114,'e'}, {0x0115,'e'}, {0x0116,'e'}, {0x0117,'e'}, {0x0118,'e'}, {0x0119,'e'}, {0x011A,'e'},
    {0x011B,'e'}, {0x011C,'g'}, {0x011D,'g'}, {0x011E,'g'}, {0x011F,'g'}, {0x0120,'g'}, {0x0121,'g'}, {0x0122,'g'},
    {0x0123,'g'}, {0x0124,'h'}, {0x0125,'h'}, {0x0128,'i'}, {0x0129,'i'}, {0x012A,'i'}, {0x012B,'i'}, {0x012C,'i'},
    {0x012D,'i'}, {0x012E,'i'}, {0x012F,'i'}, {0x0130,'i'}, {0x0134,'j'}, {0x0135,'j'}, {0x0136,'k'}, {0x0137,'k'},
    {0x0139,'l'}, {0x013A,'l'}, {0x013B,'l'}, {0x013C,'l'}, {0x013D,'l'}, {0x013E,'l'}, {0x0143,'n'}, {0x0144,'n'},
    {0x0145,'n'}, {0x0146,'n'}, {0x0147,'n'}, {0x0148,'n'}, {0x014C,'o'}, {0x014D,'o'}, {0x014E,'o'}, {0x014F,'o'},
    {0x0150,'o'}, {0x0151,'o'}, {0x0154,'r'}, {0x0155,'r'}, {0x0156,'r'}, {0x0157,'r'}, {0x0158,'r'}, {0x0159,'r'},
    {0x015A,'s'}, {0x015B,'s'}, {0x015C,'s'}, {0x015D,'s'}, {0x015E,'s'}, {0x015F,'s'}, {0x0160,'s'}, {0x0161,'s'},
    {0x0162,'t'}, {0x0163,'t'}, {0x0164,'t'}, {0x0165,'t'}, {0x0168,'u'}, {0x0169,'u'}, {0x016A,'u'}, {0x016B,'u'},
    {0x016C,'u'}, {0x016D,'u'}, {0x016E,'u'}, {0x016F,'u'}, {0x0170,'u'}, {0x0171,'u'}, {0x0172,'u'}, {0x0173,'u'},
    {0x0174,'w'}, {0x0175,'w'}, {0x0176,'y'}, {0x0177,'y'}, {0x0178,'y'}, {0x0179,'z'}, {0x017A,'z'}, {0x017B,'z'},
    {0x017C,'z'}, {0x017D,'z'}, {0x017E,'z'}, {0x01A0,'o'}, {0x01A1,'o'}, {0x01AF,'u'}, {0x01B0,'u'}, {0x01CD,'a'},
    {0x01CE,'a'}, {0x01CF,'i'}, {0x01D0,'i'}, {0x01D1,'o'}, {0x01D2,'o'}, {0x01D3,'u'}, {0x01D4,'u'}, {0x01D5,'u'},
    {0x01D6,'u'}, {0x01D7,'u'}, {0x01D8,'u'}, {0x01D9,'u'}, {0x01DA,'u'}, {0x01DB,'u'}, {0x01DC,'u'}, {0x01DE,'a'},
    {0x01DF,'a'}, {0x01E0,'a'}, {0x01E1,'a'}, {0x01E6,'g'}, {0x01E7,'g'}, {0x01E8,'k'}, {0x01E9,'k'}, {0x01EA,'o'},
    {0x01EB,'o'}, {0x01EC,'o'}, {0x01ED,'o'}, {0x01F0,'j'}, {0x01F4,'g'}, {0x01F5,'g'}, {0x01F8,'n'}, {0x01F9,'n'},
    {0x01FA,'a'}, {0x01FB,'a'}, {0x0200,'a'}, {0x0201,'a'}, {0x0202,'a'}, {0x0203,'a'}, {0x0204,'e'}, {0x0205,'e'},
    {0x0206,'e'}, {0x0207,'e'}, {0x0208,'i'}, {0x0209,'i'}, {0x020A,'i'}, {0x020B,'i'}, {0x020C,'o'}, {0x020D,'o'},
    {0x020E,'o'}, {0x020F,'o'}, {0x0210,'r'}, {0x0211,'r'}, {0x0212,'r'}, {0x0213,'r'}, {0x0214,'u'}, {0x0215,'u'},
    {0x0216,'u'}, {0x0217,'u'}, {0x0218,'s'}, {0x0219,'s'}, {0x021A,'t'}, {0x021B,'t'}, {0x021E,'h'}, {0x021F,'h'},
    {0x0226,'a'}, {0x0227,'a'}, {0x0228,'e'}, {0x0229,'e'}, {0x022A,'o'}, {0x022B,'o'}, {0x022C,'o'}, {0x022D,'o'},
    {0x022E,'o'}, {0x022F,'o'}, {0x0230,'o'}, {0x0231,'o'}, {0x0232,'y'}, {0x0233,'y'}, {0x1EA0,'a'}, {0x1EA1,'a'},
    {0x1EA2,'a'}, {0x1EA3,'a'}, {0x1EA4,'a'}, {0x1EA5,'a'}, {0x1EA6,'a'}, {0x1EA7,'a'}, {0x1EA8,'a'}, {0x1EA9,'a'},
    {0x1EAA,'a'}, {0x1EAB,'a'}, {0x1EAC,'a'}, {0x1EAD,'a'}, {0x1EAE,'a'}, {0x1EAF,'a'}, {0x1EB0,'a'}, {0x1EB1,'a'},
    {0x1EB2,'a'}, {0x1EB3,'a'}, {0x1EB4,'a'}, {0x1EB5,'a'}, {0x1EB6,'a'}, {0x1EB7,'a'}, {0x1EB8,'e'}, {0x1EB9,'e'},
    {0x1EBA,'e'}, {0x1EBB,'e'}, {0x1EBC,'e'}, {0x1EBD,'e'}, {0x1EBE,'e'}, {0x1EBF,'e'}, {0x1EC0,'e'}, {0x1EC1,'e'},
    {0x1EC2,'e'}, {0x1EC3,'e'}, {0x1EC4,'e'}, {0x1EC5,'e'}, {0x1EC6,'e'}, {0x1EC7,'e'}, {0x1EC8,'i'}, {0x1EC9,'i'},
    {0x1ECA,'i'}, {0x1ECB,'i'}, {0x1ECC,'o'}, {0x1ECD,'o'}, {0x1ECE,'o'}, {0x1ECF,'o'}, {0x1ED0,'o'}, {0x1ED1,'o'},
    {0x1ED2,'o'}, {0x1ED3,'o'}, {0x1ED4,'o'}, {0x1ED5,'o'}, {0x1ED6,'o'}, {0x1ED7,'o'}, {0x1ED8,'o'}, {0x1ED9,'o'},
    {0x1EDA,'o'}, {0x1EDB,'o'}, {0x1EDC,'o'}, {0x1EDD,'o'}, {0x1EDE,'o'}, {0x1EDF,'o'}, {0x1EE0,'o'}, {0x1EE1,'o'},
    {0x1EE2,'o'}, {0x1EE3,'o'}, {0x1EE4,'u'}, {0x1EE5,'u'}, {0x1EE6,'u'}, {0x1EE7,'u'}, {0x1EE8,'u'}, {0x1EE9,'u'},
    {0x1EEA,'u'}, {0x1EEB,'u'}, {0x1EEC,'u'}, {0x1EED,'u'}, {0x1EEE,'u'}, {0x1EEF,'u'}, {0x1EF0,'u'}, {0x1EF1,'u'},
    {0x1EF2,'y'}, {0x1EF3,'y'}, {0x1EF4,'y'}, {0x1EF5,'y'}, {0x1EF6,'y'}, {0x1EF7,'y'}, {0x1EF8,'y'}, {0x1EF9,'y'},
};

static char fold_cp(unsigned cp)
{
    size_t lo = 0, hi = sizeof FOLD / sizeof FOLD[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (FOLD[mid].cp == cp) return FOLD[mid].base;
        if (FOLD[mid].cp < cp) lo = mid + 1; else hi = mid;
    }
    return 0;
}

void cov_fold(const char *s, char *out, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t j = 0;
    while (*u && j + 1 < n) {
        unsigned cp = *u;
        int k = cp < 0x80 ? 0 : (cp & 0xE0) == 0xC0 ? 1 : (cp & 0xF0) == 0xE0 ? 2 : 3;
        if (k) cp &= 0x3Fu >> k;
        u++;
        for (int i = 0; i < k && (*u & 0xC0) == 0x80; i++, u++) cp = (cp << 6) | (*u & 0x3Fu);
        if (cp >= 0x300 && cp <= 0x36F) continue;            /* combining marks (NFD) */
        char c = cp < 0x80 ? (char)(cp >= 'A' && cp <= 'Z' ? cp + 32 : cp) : fold_cp(cp);
        if (c) out[j++] = c;
    }
    out[j] = '\0';
}

int cov_edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63) return 99;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++) prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int c = prev[j - 1] + (a[i - 1] != b[j - 1]);
            if (prev[j] + 1 < c) c = prev[j] + 1;
            if (cur[j - 1] + 1 < c) c = cur[j - 1] + 1;
            cur[j] = c;
        }
        memcpy(prev, cur, sizeof cur);
    }
    return prev[lb];
}

/* Length of the valid UTF-8 character at u (at most n bytes), 0 if none. */
static size_t char_len(const unsigned char *u, size_t n)
{
    size_t bad;
    for (size_t k = 1; k <= 4 && k <= n; k++)
        if (cov_utf8_valid((const char *)u, k, &bad)) return k;
    return 0;
}

char *cov_term_into(const char *s, char *out, size_t n)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t len = strlen(s), o = 0;
    if (n == 0) return out;
    for (size_t i = 0; i < len;) {
        size_t k = char_len(u + i, len - i);
        char esc[8] = "";
        if (k == 0) snprintf(esc, sizeof esc, "\\x%02x", u[i]);
        else if (k == 1 && (u[i] < 0x20 || u[i] == 0x7f)) snprintf(esc, sizeof esc, "\\x%02x", u[i]);
        else if (k == 2 && u[i] == 0xC2 && u[i + 1] < 0xA0) snprintf(esc, sizeof esc, "\\u%04x", u[i + 1]);
        size_t w = esc[0] ? strlen(esc) : k;
        bool more = i + (k ? k : 1) < len;
        if (o + w + (more ? 3 : 0) + 1 > n) {   /* keeps room for "…" and the NUL */
            if (o + 3 + 1 <= n) { memcpy(out + o, "…", 3); o += 3; }
            break;
        }
        memcpy(out + o, esc[0] ? esc : (const char *)u + i, w);
        o += w;
        i += k ? k : 1;
    }
    out[o] = '\0';
    return out;
}

const char *cov_term(const char *s)
{
    static char pool[8][4096];
    static int next;
    char *out = pool[next];
    next = (next + 1) % 8;
    return cov_term_into(s ? s : "", out, sizeof pool[0]);
}

/* key[] of the sort in cov_mark_shared (qsort has no context argument). */
static const char *const *shared_keys;

static int by_shared_key(const void *a, const void *b)
{
    int c = strcmp(shared_keys[*(const long *)a], shared_keys[*(const long *)b]);
    return c ? c : (*(const long *)a > *(const long *)b) - (*(const long *)a < *(const long *)b);
}

bool cov_mark_shared(const char *const *key, long n, bool *shared)
{
    long *ix = malloc((size_t)(n > 0 ? n : 1) * sizeof *ix);
    if (!ix) return false;
    for (long i = 0; i < n; i++) { ix[i] = i; shared[i] = false; }
    shared_keys = key;
    qsort(ix, (size_t)n, sizeof *ix, by_shared_key);
    for (long i = 1; i < n; i++)
        if (!strcmp(key[ix[i - 1]], key[ix[i]])) shared[ix[i - 1]] = shared[ix[i]] = true;
    free(ix);
    return true;
}
