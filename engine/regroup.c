/* regroup.c — `covcast regroup`: a population or history file carried from
 * the old communes to the new ones through a crosswalk (old_code,new_code,
 * optional share, names, area, main). Merges are sums; a split apportions
 * whole people by the largest remainder, so every total is conserved
 * exactly; a history's months from the reform on are already on the new
 * units and are kept. Old and new codes are separate namespaces. */
#include "regroup.h"
#include "csvread.h"
#include "csvwrite.h"
#include "lang.h"
#include "load.h"
#include "outdir.h"
#include "text.h"
#include "types.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unicase.h>
#include <uninorm.h>

#define MAX_CELLS 50000000L   /* new units x groups x months held in memory */
#define LIST_MAX 10           /* incomplete units and name mismatches printed */

/* ---- a string -> index map (open addressing; keys are borrowed) ---- */

typedef struct { const char **key; int *val; size_t cap; } smap;

/* Makes a map for up to n keys; false on out of memory. */
static bool smap_init(smap *m, size_t n)
{
    m->cap = 16;
    while (m->cap < 2 * n + 16) m->cap *= 2;
    m->key = calloc(m->cap, sizeof *m->key);
    m->val = calloc(m->cap, sizeof *m->val);
    return m->key && m->val;
}

static void smap_free(smap *m) { free(m->key); free(m->val); }

/* The slot of key: where it is, or the empty slot where it would go. */
static size_t smap_slot(const smap *m, const char *key)
{
    size_t i = (size_t)cov_hash_str(key) & (m->cap - 1);
    while (m->key[i] && strcmp(m->key[i], key)) i = (i + 1) & (m->cap - 1);
    return i;
}

/* The value of key, or -1. */
static int smap_get(const smap *m, const char *key)
{
    size_t i = smap_slot(m, key);
    return m->key[i] ? m->val[i] : -1;
}

/* Sets key to val unless present; returns the value now held. */
static int smap_add(smap *m, const char *key, int val)
{
    size_t i = smap_slot(m, key);
    if (!m->key[i]) { m->key[i] = key; m->val[i] = val; }
    return m->val[i];
}

/* ---- names ---- */

/* The key a name is matched on: folded (lower case, no diacritics), the
 * unit type in front left out (Xã, Phường, Thị trấn, Đặc khu; Tỉnh, Thành
 * phố, Thủ đô), letters and digits only: "Xã A Dơk" and "adok" match. A
 * malloc'd string, NULL on no memory. */
static char *name_key(const char *name)
{
    static const char *types[] = { "thi tran ", "dac khu ", "phuong ", "xa ", "thanh pho ", "thu do ", "tinh ",
                                   "thi xa ", "huyen ", "quan " };
    size_t n = strlen(name) * 2 + 8;
    char *f = malloc(n);
    if (!f) return NULL;
    cov_fold(name, f, n);
    char *s = f;
    while (*s == ' ') s++;
    for (size_t t = 0; t < sizeof types / sizeof *types; t++)
        if (!strncmp(s, types[t], strlen(types[t])) && s[strlen(types[t])]) { s += strlen(types[t]); break; }
    char *o = f;
    for (; *s; s++)
        if ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) *o++ = *s;
    *o = '\0';
    return f;
}

/* A name as written, for telling apart names that fold alike (Xã Trực Hưng
 * and Xã Trực Hùng): NFC, lower case, diacritics kept, letters and digits
 * only; without the unit type in front when typeless. Malloc'd, NULL on no
 * memory. */
static char *written_key(const char *name, bool typeless)
{
    static const char *types[] = { "thị trấn", "đặc khu", "phường", "xã", "thành phố", "thủ đô", "tỉnh",
                                   "thị xã", "huyện", "quận" };
    size_t len = 0;
    uint8_t *low = u8_tolower((const uint8_t *)name, strlen(name), NULL, UNINORM_NFC, NULL, &len);
    char *f = low ? malloc(len + 1) : NULL;
    if (!f) { free(low); return NULL; }
    memcpy(f, low, len);
    f[len] = '\0';
    free(low);
    char *s = f;
    while (*s == ' ') s++;
    for (size_t t = 0; typeless && t < sizeof types / sizeof *types; t++) {
        size_t n = strlen(types[t]);
        if (!strncmp(s, types[t], n) && s[n] == ' ' && s[n + 1]) { s += n + 1; break; }
    }
    char *o = f;
    for (; *s; s++)
        if ((unsigned char)*s >= 0x80 || (*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9')) *o++ = *s;
    *o = '\0';
    return f;
}

/* "province|name" keys, malloc'd. */
static char *place_key(const char *province, const char *name)
{
    char *p = name_key(province ? province : ""), *n = name_key(name);
    char *k = p && n ? malloc(strlen(p) + strlen(n) + 2) : NULL;
    if (k) sprintf(k, "%s|%s", p, n);
    free(p); free(n);
    return k;
}

/* "province|district|name" keys, malloc'd. */
static char *district_key(const char *province, const char *district, const char *name)
{
    char *p = place_key(province, district), *n = name_key(name);
    char *k = p && n ? malloc(strlen(p) + strlen(n) + 2) : NULL;
    if (k) sprintf(k, "%s|%s", p, n);
    free(p); free(n);
    return k;
}

/* ---- apportionment ---- */

void cov_apportion(int64_t total, const double *w, int k, const int64_t *cap, int64_t *out)
{
    long double W = 0;
    for (int j = 0; j < k; j++) W += w[j];
    long double frac[k > 0 ? k : 1];
    int64_t given = 0;
    for (int j = 0; j < k; j++) {
        long double q = W > 0 ? (long double)total * w[j] / W : 0;
        int64_t f = (int64_t)floorl(q);
        if (f > total) f = total;
        if (cap && f > cap[j]) f = cap[j];
        out[j] = f;
        frac[j] = q - (long double)f;
        given += f;
    }
    /* one each to the largest fractions; parts at their cap are passed over,
     * and a second round starts when every part has had one */
    while (given < total) {
        int best = -1;
        for (int j = 0; j < k; j++) {
            if (cap && out[j] >= cap[j]) continue;
            if (best < 0 || frac[j] > frac[best]) best = j;
        }
        if (best < 0) break;   /* caps below the total: not reached by callers */
        out[best]++;
        frac[best] -= 1;
        given++;
    }
}

/* ---- the crosswalk ---- */

typedef struct {
    const char *code, *name, *prov;
    long line;
    int first, n;        /* its destinations: xw.dest[first .. first+n) */
    bool by_share;       /* weights from the crosswalk's share column */
} old_unit;

typedef struct {
    const char *code, *name, *prov;
    double area;         /* km², < 0 unknown */
} new_unit;

typedef struct {
    cov_csv *t;
    int nold, nnew;
    old_unit *o;
    new_unit *u;
    int *dest;           /* new unit of each destination, grouped by old unit */
    double *w;           /* weight of each destination */
    smap old_code, old_name, new_code, new_name;   /* name maps: -2 = several */
    smap old_bare, new_bare;     /* names without the province, for files without one */
    smap old_dist;               /* "province|district|name", when a province has two of a name */
    char **keys;                 /* the name keys the maps point into */
    long nkeys;
    bool has_names, has_new_prov;
    int *contrib_first, *contrib;   /* old units of each new unit */
} xwalk;

static const char *cell_or(const cov_csv *t, long r, int col)
{
    return col < 0 ? "" : cov_trim(cov_csv_cell(t, r, col)->text);
}

static void xwalk_free(xwalk *x)
{
    for (long k = 0; k < x->nkeys; k++) free(x->keys[k]);
    free(x->keys);
    smap_free(&x->old_code); smap_free(&x->old_name); smap_free(&x->new_code); smap_free(&x->new_name);
    smap_free(&x->old_bare); smap_free(&x->new_bare); smap_free(&x->old_dist);
    free(x->o); free(x->u); free(x->dest); free(x->w); free(x->contrib_first); free(x->contrib);
    cov_csv_free(x->t);
}

/* Adds key (owned by the caller's storage) -> i to a name map; a key seen
 * before with another unit is marked -2 (several units have that name). */
static void name_add(smap *m, const char *key, int i)
{
    if (!key) return;
    size_t s = smap_slot(m, key);
    if (!m->key[s]) { m->key[s] = key; m->val[s] = i; }
    else if (m->val[s] != i) m->val[s] = -2;
}

/* The weights of old unit i's destinations: the shares, or the rule.
 * False with d filled when the shares or the rule's data do not allow it. */
static bool xwalk_weights(xwalk *x, int i, const double *share, const int *mainflag, bool has_main,
                          cov_split_rule rule, const char *path, cov_diag *d)
{
    old_unit *o = &x->o[i];
    int given = 0;
    double sum = 0;
    for (int j = o->first; j < o->first + o->n; j++)
        if (share[j] >= 0) { given++; sum += share[j]; }
    if (given && given < o->n) {
        cov_diag_add(d, COV_EINPUT, path, o->line, 1, 1,
                     "%s (%s) has a share on some of its rows only: give all its rows a share, or none", o->name, o->code);
        return false;
    }
    if (given) {
        if (fabs(sum - 1) > 1e-6) {
            cov_diag_add(d, COV_EINPUT, path, o->line, 1, 1,
                         "the shares of %s (%s) add up to %.6g, not 1: its people would not all be counted", o->name,
                         o->code, sum);
            return false;
        }
        for (int j = o->first; j < o->first + o->n; j++) x->w[j] = share[j];
        o->by_share = true;
        return true;
    }
    int mains = 0;
    for (int j = o->first; j < o->first + o->n; j++) {
        const new_unit *u = &x->u[x->dest[j]];
        switch (rule) {
        case COV_SPLIT_EQUAL: x->w[j] = 1; break;
        case COV_SPLIT_AREA:
            if (o->n > 1 && !(u->area > 0)) {
                cov_diag_add(d, COV_EINPUT, path, o->line, 1, 1,
                             "--split area needs the area (new_area_km2) of %s (%s), a destination of %s (%s)", u->name,
                             u->code, o->name, o->code);
                return false;
            }
            x->w[j] = u->area;
            break;
        case COV_SPLIT_MAIN:
            x->w[j] = has_main ? (mainflag[j] ? 1 : 0) : (j == o->first);
            mains += x->w[j] > 0;
            break;
        }
    }
    if (rule == COV_SPLIT_MAIN && o->n > 1 && mains != 1) {
        cov_diag_add(d, COV_EINPUT, path, o->line, 1, 1,
                     "--split main needs exactly one destination of %s (%s) marked main = 1; it has %d", o->name,
                     o->code, mains);
        return false;
    }
    return true;
}

/* Reads the crosswalk. False with d filled. */
static bool xwalk_read(xwalk *x, const char *path, cov_split_rule rule, cov_diag *d)
{
    memset(x, 0, sizeof *x);
    if (!(x->t = cov_csv_read_delim(path, 0, d))) return false;
    if (d->n) return false;
    cov_csv *t = x->t;
    int coc = cov_csv_column(t, "old_code"), cnc = cov_csv_column(t, "new_code");
    int con = cov_csv_column(t, "old_commune"), cop = cov_csv_column(t, "old_province");
    int cnn = cov_csv_column(t, "new_commune"), cnp = cov_csv_column(t, "new_province");
    int cod = cov_csv_column(t, "old_district");
    int csh = cov_csv_column(t, "share"), car = cov_csv_column(t, "new_area_km2"), cma = cov_csv_column(t, "main");
    if (cnc < 0 || (coc < 0 && con < 0)) {
        cov_diag_add(d, COV_EINPUT, path, 1, 1, 1,
                     "a crosswalk needs the columns old_code and new_code (and may have share, old_commune, "
                     "old_province, new_commune, new_province, new_area_km2, main)");
        return false;
    }
    x->has_names = con >= 0;
    x->has_new_prov = cnp >= 0;
    long R = t->nrows;
    int *oi = malloc(((size_t)R + 1) * sizeof *oi), *ni = malloc(((size_t)R + 1) * sizeof *ni);
    int *mainflag = calloc((size_t)R + 1, sizeof *mainflag);
    double *share = malloc(((size_t)R + 1) * sizeof *share);
    x->o = calloc((size_t)R + 1, sizeof *x->o);
    x->u = calloc((size_t)R + 1, sizeof *x->u);
    bool ok = oi && ni && mainflag && share && x->o && x->u && smap_init(&x->old_code, (size_t)R) &&
              smap_init(&x->old_name, (size_t)R) && smap_init(&x->new_code, (size_t)R) &&
              smap_init(&x->new_name, (size_t)R) && smap_init(&x->old_bare, (size_t)R) &&
              smap_init(&x->new_bare, (size_t)R) && smap_init(&x->old_dist, (size_t)R) &&
              (x->keys = calloc(3 * (size_t)R + 1, sizeof *x->keys));
    if (!ok) { cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the crosswalk"); goto fail; }
    for (long r = 0; r < R && d->n < COV_DIAG_MAX; r++) {
        const char *oc = cell_or(t, r, coc), *nc = cell_or(t, r, cnc);
        const cov_field *fnc = cov_csv_cell(t, r, cnc);
        if (!*nc) { cov_diag_add(d, COV_EINPUT, path, fnc->line, fnc->col, 1, "new_code is empty"); continue; }
        /* the old unit: by code, else by name within province */
        char *okey = place_key(cell_or(t, r, cop), cell_or(t, r, con));
        if (!okey) { cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory"); break; }
        x->keys[x->nkeys++] = okey;
        int i = *oc ? smap_get(&x->old_code, oc) : smap_get(&x->old_name, okey);
        if (i < 0 && !*oc && !*cell_or(t, r, con)) {
            cov_diag_add(d, COV_EINPUT, path, fnc->line, 1, 1, "this row has neither an old_code nor an old_commune");
            continue;
        }
        if (i < 0) {
            i = x->nold++;
            old_unit *o = &x->o[i];
            o->code = oc;
            o->name = *cell_or(t, r, con) ? cell_or(t, r, con) : oc;
            o->prov = cell_or(t, r, cop);
            o->line = fnc->line;
            if (*oc) smap_add(&x->old_code, oc, i);
            if (con >= 0) { name_add(&x->old_name, okey, i); name_add(&x->old_bare, strchr(okey, '|'), i); }
            if (con >= 0 && cod >= 0) {
                char *dk = district_key(cell_or(t, r, cop), cell_or(t, r, cod), cell_or(t, r, con));
                if (dk) { x->keys[x->nkeys++] = dk; name_add(&x->old_dist, dk, i); }
            }
        }
        int j = smap_get(&x->new_code, nc);
        if (j < 0) {
            j = x->nnew++;
            new_unit *u = &x->u[j];
            u->code = nc;
            u->name = *cell_or(t, r, cnn) ? cell_or(t, r, cnn) : nc;
            u->prov = cell_or(t, r, cnp);
            u->area = -1;
            smap_add(&x->new_code, nc, j);
        } else if (cnn >= 0 && strcmp(x->u[j].name, cell_or(t, r, cnn))) {
            cov_diag_add(d, COV_EINPUT, path, fnc->line, fnc->col, cov_utf8_width(nc, strlen(nc)),
                         "new code %s is %s here and %s on an earlier row", nc, cell_or(t, r, cnn), x->u[j].name);
        }
        if (car >= 0) {
            double a;
            const char *s = cell_or(t, r, car);
            if (*s && cov_parse_double(s, &a) && a >= 0) x->u[j].area = a;
            else if (*s) {
                const cov_field *f = cov_csv_cell(t, r, car);
                cov_diag_add(d, COV_EINPUT, path, f->line, f->col, cov_utf8_width(s, strlen(s)),
                             "new_area_km2 must be a number of km² (e.g. 15.09), got \"%s\"", s);
            }
        }
        share[r] = -1;
        if (csh >= 0 && *cell_or(t, r, csh)) {
            const cov_field *f = cov_csv_cell(t, r, csh);
            if (!cov_parse_double(f->text, &share[r]) || share[r] < 0 || share[r] > 1)
                cov_diag_add(d, COV_EINPUT, path, f->line, f->col, cov_utf8_width(f->text, strlen(f->text)),
                             "share must be a fraction from 0 to 1 (the old commune's people going to this new one), got \"%s\"",
                             f->text);
        }
        mainflag[r] = cma >= 0 && !strcmp(cell_or(t, r, cma), "1");
        oi[r] = i;
        ni[r] = j;
    }
    if (d->n) goto fail;
    for (int j = 0; j < x->nnew; j++) {   /* new names, within the new province, for a history's later months */
        char *k = place_key(x->u[j].prov, x->u[j].name);
        if (!k) goto fail;
        x->keys[x->nkeys++] = k;
        name_add(&x->new_name, k, j);
        name_add(&x->new_bare, strchr(k, '|'), j);
    }
    /* destinations grouped by old unit, in crosswalk order (a counting sort) */
    int *cnt = calloc((size_t)x->nold + 1, sizeof *cnt);
    x->dest = malloc(((size_t)R + 1) * sizeof *x->dest);
    x->w = malloc(((size_t)R + 1) * sizeof *x->w);
    double *sh = malloc(((size_t)R + 1) * sizeof *sh);
    int *mf = malloc(((size_t)R + 1) * sizeof *mf);
    if (!cnt || !x->dest || !x->w || !sh || !mf) { free(cnt); free(sh); free(mf); goto fail; }
    for (long r = 0; r < R; r++) cnt[oi[r] + 1]++;
    for (int i = 0; i < x->nold; i++) { x->o[i].first = cnt[i]; cnt[i + 1] += cnt[i]; }
    for (long r = 0; r < R; r++) {
        old_unit *o = &x->o[oi[r]];
        int p = o->first + o->n;
        for (int q = o->first; q < p; q++)
            if (x->dest[q] == ni[r])
                cov_diag_add(d, COV_EINPUT, path, cov_csv_cell(t, r, cnc)->line, 1, 1,
                             "%s (%s) goes to %s (%s) on two rows", o->name, o->code, x->u[ni[r]].name, x->u[ni[r]].code);
        x->dest[p] = ni[r];
        sh[p] = share[r];
        mf[p] = mainflag[r];
        o->n++;
    }
    for (int i = 0; i < x->nold && !d->n; i++) xwalk_weights(x, i, sh, mf, cma >= 0, rule, path, d);
    free(cnt); free(sh); free(mf);
    /* each new unit's old units */
    x->contrib_first = calloc((size_t)x->nnew + 1, sizeof *x->contrib_first);
    x->contrib = malloc(((size_t)R + 1) * sizeof *x->contrib);
    if (!x->contrib_first || !x->contrib) goto fail;
    for (long r = 0; r < R; r++) x->contrib_first[ni[r] + 1]++;
    for (int j = 0; j < x->nnew; j++) x->contrib_first[j + 1] += x->contrib_first[j];
    int *fill = calloc((size_t)x->nnew + 1, sizeof *fill);
    if (!fill) goto fail;
    for (int i = 0; i < x->nold; i++)
        for (int q = x->o[i].first; q < x->o[i].first + x->o[i].n; q++) {
            int j = x->dest[q];
            x->contrib[x->contrib_first[j] + fill[j]++] = i;
        }
    free(fill);
    free(oi); free(ni); free(mainflag); free(share);
    return !d->n;
fail:
    if (!d->n) cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory reading the crosswalk");
    free(oi); free(ni); free(mainflag); free(share);
    return false;
}

/* ---- the input ---- */

typedef struct {
    bool is_new;     /* a row of a month from the reform on: a new unit */
    int unit, g, m;
    int64_t N, I, E, L;   /* E, L = -1: not reported */
    long line;
} rec;

typedef struct {
    int cc, ck, cp, cg, cm, cn, ci, ce, cl, cd;
} in_cols;

/* Candidates of an ambiguous name, for the message: "A (01234), B (05678)". */
static void candidates(const xwalk *x, bool is_new, const char *key, char *buf, size_t n)
{
    size_t used = 0;
    buf[0] = '\0';
    int count = is_new ? x->nnew : x->nold;
    for (int i = 0; i < count && used + 80 < n; i++) {
        const char *nm = is_new ? x->u[i].name : x->o[i].name, *pv = is_new ? x->u[i].prov : x->o[i].prov;
        const char *code = is_new ? x->u[i].code : x->o[i].code;
        char *k = place_key(pv, nm);
        char *bare = strchr(key, '|');
        bool hit = k && (!strcmp(k, key) || (bare && key[0] == '|' && !strcmp(strchr(k, '|'), bare)));
        free(k);
        if (!hit) continue;
        used += (size_t)snprintf(buf + used, n - used, "%s%s (%s, %s)", used ? "; " : "", nm, code, pv);
    }
}

/* Among the units whose folded key is key ("province|name", or "|name" for
 * the whole crosswalk), the one whose name is written as name: with its
 * type ("Xã Long Phú", not "Thị trấn Long Phú"), else without it ("Trực
 * Hưng", not "Trực Hùng"). Its index, or -2 when none or several are. */
static int by_written(const xwalk *x, bool is_new, const char *key, const char *name)
{
    int best = -2;
    for (int pass = 0; pass < 2 && best == -2; pass++) {
        char *want = written_key(name, pass);
        if (!want) return -2;
        int hits = 0, count = is_new ? x->nnew : x->nold;
        for (int i = 0; i < count; i++) {
            const char *nm = is_new ? x->u[i].name : x->o[i].name, *pv = is_new ? x->u[i].prov : x->o[i].prov;
            char *k = place_key(pv, nm);
            bool hit = k && (key[0] == '|' ? !strcmp(strchr(k, '|'), key) : !strcmp(k, key));
            free(k);
            if (!hit) continue;
            char *w = written_key(nm, pass);
            if (w && !strcmp(w, want)) { hits++; best = i; }
            free(w);
        }
        free(want);
        if (hits != 1) best = -2;
    }
    return best;
}

/* Finds the unit of one input row: by code in the namespace of its month,
 * else by name (within province when the file has one). -1 with d filled. */
static int match_row(const xwalk *x, const cov_csv *t, long r, const in_cols *c, bool is_new, const char *path,
                     int *mismatch, char (*mism)[256], cov_diag *d)
{
    const char *code = cell_or(t, r, c->ck), *name = cell_or(t, r, c->cc), *prov = cell_or(t, r, c->cp);
    const cov_field *at = c->ck >= 0 && *code ? cov_csv_cell(t, r, c->ck) : cov_csv_cell(t, r, c->cc >= 0 ? c->cc : c->ck);
    long w = cov_utf8_width(at->text, strlen(at->text));
    const char *side = is_new ? "new" : "old";
    if (*code) {
        int i = smap_get(is_new ? &x->new_code : &x->old_code, code);
        int other = smap_get(is_new ? &x->old_code : &x->new_code, code);
        if (i < 0) {
            if (other >= 0)
                cov_diag_add(d, COV_EINPUT, path, at->line, at->col, w,
                             "%s is not a code of the %s communes; it is the code of %s in the %s list. Old and new "
                             "codes are different lists: rows before the reform use the old codes, rows from it the new",
                             code, side, is_new ? x->o[other].name : x->u[other].name, is_new ? "old" : "new");
            else
                cov_diag_add(d, COV_EINPUT, path, at->line, at->col, w,
                             "%s%scode %s%s is not among the crosswalk's %s communes", name, *name ? " (" : "", code,
                             *name ? ")" : "", side);
            return -1;
        }
        if (*name && x->has_names) {   /* the name must agree with the code */
            char *a = name_key(name), *b = name_key(is_new ? x->u[i].name : x->o[i].name);
            bool same = a && b && !strcmp(a, b);
            bool is_other = false;
            if (!same && other >= 0 && a) {
                char *e = name_key(is_new ? x->o[other].name : x->u[other].name);
                is_other = e && !strcmp(a, e);
                free(e);
            }
            free(a); free(b);
            if (is_other) {
                cov_diag_add(d, COV_EINPUT, path, at->line, at->col, w,
                             "code %s is %s among the %s communes, but this row names %s, which has that code among "
                             "the %s ones: old and new codes are different lists (is this row on the %s units?)",
                             code, is_new ? x->u[i].name : x->o[i].name, side, name, is_new ? "old" : "new",
                             is_new ? "old" : "new");
                return -1;
            }
            if (!same && (*mismatch)++ < LIST_MAX)
                snprintf(mism[*mismatch - 1], 256, "line %ld: code %s is %s in the crosswalk, the file says %s",
                         at->line, code, is_new ? x->u[i].name : x->o[i].name, name);
        }
        return i;
    }
    if (!*name) {
        cov_diag_add(d, COV_EINPUT, path, at->line, at->col, 1, "this row has neither a commune_code nor a commune");
        return -1;
    }
    char *key = place_key(prov, name);
    if (!key) { cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory"); return -1; }
    int i = -1;
    if (c->cp >= 0) i = smap_get(is_new ? &x->new_name : &x->old_name, key);
    else {   /* no province column: the name must be unique in the whole crosswalk */
        char *bare = strchr(key, '|');
        memmove(key, bare, strlen(bare) + 1);   /* "|name" */
        i = smap_get(is_new ? &x->new_bare : &x->old_bare, key);
    }
    if (i == -2) i = by_written(x, is_new, key, name);   /* names that fold alike: the one written so */
    if (i == -2 && !is_new && c->cp >= 0 && c->cd >= 0) {   /* two of that name in the province: the district tells them apart */
        char *dk = district_key(prov, cell_or(t, r, c->cd), name);
        int j = dk ? smap_get(&x->old_dist, dk) : -1;
        free(dk);
        if (j >= 0) i = j;
    }
    if (i == -2) {
        char buf[600];
        candidates(x, is_new, key, buf, sizeof buf);
        cov_diag_add(d, COV_EINPUT, path, at->line, at->col, w,
                     "%s matches several %s communes of the crosswalk: %s; give the commune_code%s", name, side, buf,
                     c->cp < 0 ? " or a province column" : c->cd < 0 && !is_new ? " or a district column" : "");
    } else if (i < 0) {
        cov_diag_add(d, COV_EINPUT, path, at->line, at->col, w,
                     "%s%s%s matches no %s commune of the crosswalk (by name%s, accents and case ignored); add it to "
                     "the crosswalk or give its commune_code",
                     name, *prov ? ", " : "", prov, side, c->cp >= 0 ? " within the province" : "");
    }
    free(key);
    return i < 0 ? -1 : i;
}

static int by_key(const void *a, const void *b)
{
    const rec *x = a, *y = b;
    if (x->is_new != y->is_new) return x->is_new - y->is_new;
    if (x->unit != y->unit) return x->unit < y->unit ? -1 : 1;
    if (x->g != y->g) return x->g < y->g ? -1 : 1;
    if (x->m != y->m) return x->m < y->m ? -1 : 1;
    return x->line < y->line ? -1 : x->line > y->line;
}

static bool same_cell(const rec *x, const rec *y)
{
    return x->is_new == y->is_new && x->unit == y->unit && x->g == y->g && x->m == y->m;
}

static int by_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static bool count_cell(const cov_csv *t, long r, int col, bool blank_ok, int64_t *v, const char *what,
                       const char *path, cov_diag *d)
{
    const cov_field *f = cov_csv_cell(t, r, col);
    const char *s = cov_trim(f->text);
    if (blank_ok && !*s) { *v = -1; return true; }
    int style = cov_count_style(s);
    bool ok = cov_parse_count(s, style, v);
    if (ok ? *v > COV_MAX_CELL_POPULATION : cov_count_too_large(s, style))
        return cov_count_cell(d, path, f, what, v);   /* beyond the limit of one commune and group: said so */
    if (ok) return true;
    cov_diag_add(d, COV_EINPUT, path, f->line, f->col, cov_utf8_width(f->text, strlen(f->text)),
                 "%s must be a whole number of people%s, got \"%s\"", what, blank_ok ? " (or blank: not reported)" : "", s);
    return false;
}

/* ---- the output cells ---- */

typedef struct { int64_t N, I, E, L; bool present, blank; } cell;

static void cell_add(cell *c, int64_t N, int64_t I, int64_t E, int64_t L, bool flows)
{
    c->present = true;
    c->N += N;
    c->I += I;
    if (flows) {
        if (E < 0 || L < 0) c->blank = true;
        else { c->E += E; c->L += L; }
    }
}

static void print_int(FILE *fp, int64_t v)
{
    char b[32];
    cov_fmt_int(cov_lang_get("en"), (long long)v, b, sizeof b);
    fputs(b, fp);
}

cov_status cov_regroup(const char *in, const cov_regroup_opts *o, const char *out, FILE *fp,
                       cov_regroup_stats *stp, cov_diag *d)
{
    static const char *rule_name[] = { "equal", "area", "main" };
    cov_regroup_stats st;
    memset(&st, 0, sizeof st);
    xwalk x;
    cov_status rc = COV_OK;
    cov_csv *t = NULL;
    rec *recs = NULL;
    cell *cells = NULL;
    int *months = NULL, *old_last = NULL;
    char *old_seen = NULL;
    const char **gname = NULL;
    int64_t *tot = NULL, *old_people = NULL;
    cov_outfile *of = NULL;
    char mism[LIST_MAX][256];
    int nmism = 0;
    if (!xwalk_read(&x, o->crosswalk, o->rule, d)) { rc = d->status; goto done; }
    if (!(t = cov_csv_read_delim(in, 0, d)) || d->n) { rc = d->status; goto done; }
    in_cols c = { cov_csv_column(t, "commune"), cov_csv_column(t, "commune_code"), cov_csv_column(t, "province"),
                  cov_csv_column(t, "group"), cov_csv_column(t, "month"), cov_csv_column(t, "population"),
                  cov_csv_column(t, "insured"), cov_csv_column(t, "new_cards"), cov_csv_column(t, "lost_cards"),
                  cov_csv_column(t, "district") };
    if (c.cn < 0 || c.ci < 0 || (c.cc < 0 && c.ck < 0) || (c.ce < 0) != (c.cl < 0)) {
        cov_diag_add(d, COV_EINPUT, in, 1, 1, 1,
                     "regroup needs the columns population, insured and commune_code or commune (and may have "
                     "province, group, month, new_cards and lost_cards, both or neither)");
        rc = COV_EINPUT;
        goto done;
    }
    bool history = c.cm >= 0, flows = c.ce >= 0;
    long R = t->nrows;
    recs = calloc((size_t)R + 1, sizeof *recs);
    months = malloc(((size_t)R + 1) * sizeof *months);
    gname = calloc((size_t)R + 1, sizeof *gname);
    smap gmap = { 0 };
    if (!recs || !months || !gname || !smap_init(&gmap, (size_t)R)) {
        smap_free(&gmap);
        cov_diag_add(d, COV_ELIMIT, in, 0, 0, 0, "out of memory");
        rc = COV_ELIMIT;
        goto done;
    }
    int ng = 0;
    long nr = 0;
    for (long r = 0; r < R && d->n < COV_DIAG_MAX; r++) {
        rec *e = &recs[nr];
        int errs = d->n;
        e->line = cov_csv_cell(t, r, c.cn)->line;
        e->m = 0;
        if (history) {
            const cov_field *f = cov_csv_cell(t, r, c.cm);
            if (!cov_month_parse(cov_trim(f->text), &e->m))
                cov_diag_add(d, COV_EINPUT, in, f->line, f->col, cov_utf8_width(f->text, strlen(f->text)),
                             "month must be written YYYY-MM, got \"%s\"", f->text);
        }
        e->is_new = history && e->m >= o->reform;
        count_cell(t, r, c.cn, false, &e->N, "population", in, d);
        count_cell(t, r, c.ci, false, &e->I, "insured", in, d);
        e->E = e->L = 0;
        if (flows) {
            count_cell(t, r, c.ce, true, &e->E, "new_cards", in, d);
            count_cell(t, r, c.cl, true, &e->L, "lost_cards", in, d);
        }
        if (d->n == errs && e->I > e->N) {
            const cov_field *f = cov_csv_cell(t, r, c.ci);
            cov_diag_add(d, COV_EINPUT, in, f->line, f->col, cov_utf8_width(f->text, strlen(f->text)),
                         "insured (%lld) is more than the population (%lld)", (long long)e->I, (long long)e->N);
        }
        const char *g = c.cg >= 0 ? cell_or(t, r, c.cg) : "";
        e->g = smap_add(&gmap, g, ng);
        if (e->g == ng) gname[ng++] = g;
        e->unit = match_row(&x, t, r, &c, e->is_new, in, &nmism, mism, d);
        if (d->n == errs) nr++;
    }
    smap_free(&gmap);
    if (d->n) { rc = d->status; goto done; }
    /* one row per unit, group and month */
    qsort(recs, (size_t)nr, sizeof *recs, by_key);
    for (long k = 1; k < nr && d->n < COV_DIAG_MAX; k++)
        if (same_cell(&recs[k - 1], &recs[k])) {
            char mo[8] = "";
            if (history) cov_month_format(recs[k].m, mo);
            cov_diag_add(d, COV_EINPUT, in, recs[k].line, 1, 1,
                         "%s has a second row%s%s%s%s (the first is on line %ld)",
                         recs[k].is_new ? x.u[recs[k].unit].name : x.o[recs[k].unit].name, *mo ? " for " : "", mo,
                         *gname[recs[k].g] ? " in group " : "", gname[recs[k].g], recs[k - 1].line);
        }
    if (d->n) { rc = d->status; goto done; }
    /* months, ascending */
    int nm = 0;
    for (long k = 0; k < nr; k++) months[nm++] = recs[k].m;
    qsort(months, (size_t)nm, sizeof *months, by_int);
    int u = 0;
    for (int k = 0; k < nm; k++) if (!k || months[k] != months[u - 1]) months[u++] = months[k];
    nm = u;
    for (long k = 0; k < nr; k++) {
        int lo = 0, hi = nm - 1;
        while (lo < hi) { int mid = (lo + hi) / 2; if (months[mid] < recs[k].m) lo = mid + 1; else hi = mid; }
        recs[k].m = lo;
    }
    if ((long)x.nnew * ng * nm > MAX_CELLS) {
        cov_diag_add(d, COV_ELIMIT, in, 0, 0, 0, "%d new communes x %d groups x %d months is more than %ld cells",
                     x.nnew, ng, nm, MAX_CELLS);
        rc = COV_ELIMIT;
        goto done;
    }
    cells = calloc((size_t)x.nnew * (size_t)ng * (size_t)nm + 1, sizeof *cells);
    old_seen = calloc((size_t)x.nold * (size_t)nm + 1, 1);
    old_last = malloc(((size_t)x.nold + 1) * sizeof *old_last);
    old_people = calloc((size_t)x.nold + 1, sizeof *old_people);
    tot = calloc((size_t)ng * (size_t)nm * 8 + 1, sizeof *tot);   /* in N, I, E, L; out N, I, E, L */
    if (!cells || !old_seen || !old_last || !old_people || !tot) {
        cov_diag_add(d, COV_ELIMIT, in, 0, 0, 0, "out of memory");
        rc = COV_ELIMIT;
        goto done;
    }
    for (int i = 0; i < x.nold; i++) old_last[i] = -1;
    bool any_blank = false;
    for (long k = 0; k < nr; k++) {
        const rec *e = &recs[k];
        int64_t *ti = &tot[((size_t)e->g * (size_t)nm + (size_t)e->m) * 8];
        ti[0] += e->N; ti[1] += e->I;
        if (flows && e->E >= 0 && e->L >= 0) { ti[2] += e->E; ti[3] += e->L; }
        if (flows && (e->E < 0 || e->L < 0)) any_blank = true;
        st.people_in += e->N; st.insured_in += e->I;
        if (flows && e->E >= 0 && e->L >= 0) st.flows_in += e->E + e->L;
        if (e->is_new) {
            cell_add(&cells[((size_t)e->unit * (size_t)ng + (size_t)e->g) * (size_t)nm + (size_t)e->m], e->N, e->I,
                     e->E, e->L, flows);
            continue;
        }
        const old_unit *ou = &x.o[e->unit];
        old_seen[(size_t)e->unit * (size_t)nm + (size_t)e->m] = 1;
        if (e->m > old_last[e->unit]) { old_last[e->unit] = e->m; old_people[e->unit] = 0; }
        if (e->m == old_last[e->unit]) old_people[e->unit] += e->N;
        int k2 = ou->n;
        int64_t pN[k2], pI[k2], pE[k2], pL[k2];
        const double *w = &x.w[ou->first];
        if (k2 == 1) { pN[0] = e->N; pI[0] = e->I; pE[0] = e->E; pL[0] = e->L; }
        else {
            cov_apportion(e->N, w, k2, NULL, pN);
            cov_apportion(e->I, w, k2, pN, pI);   /* insured in the same proportions, never above the part's people */
            if (flows && e->E >= 0 && e->L >= 0) { cov_apportion(e->E, w, k2, NULL, pE); cov_apportion(e->L, w, k2, NULL, pL); }
            else for (int j = 0; j < k2; j++) pE[j] = pL[j] = -1;
            if (ou->by_share) st.people_by_share += e->N; else st.people_by_rule += e->N;
        }
        for (int j = 0; j < k2; j++)
            cell_add(&cells[((size_t)x.dest[ou->first + j] * (size_t)ng + (size_t)e->g) * (size_t)nm + (size_t)e->m],
                     pN[j], pI[j], pE[j], pL[j], flows);
    }
    /* a new commune-month is complete when every old commune of the file
     * that forms it was reported that month */
    char incomplete_list[LIST_MAX][320];
    int partial_units = 0;
    char partial_list[LIST_MAX][320];
    bool *bad = calloc((size_t)x.nnew * (size_t)nm + 1, sizeof *bad);
    if (!bad) { rc = COV_ELIMIT; cov_diag_add(d, COV_ELIMIT, in, 0, 0, 0, "out of memory"); goto done; }
    for (int j = 0; j < x.nnew; j++) {
        int have = 0, total = x.contrib_first[j + 1] - x.contrib_first[j], missing = -1;
        for (int q = x.contrib_first[j]; q < x.contrib_first[j + 1]; q++) {
            if (old_last[x.contrib[q]] >= 0) have++;
            else missing = x.contrib[q];
        }
        if (have && have < total) {
            if (partial_units < LIST_MAX)
                snprintf(partial_list[partial_units], sizeof partial_list[0],
                         "%s (%s): %d of its %d old communes %s in the file (not %s, %s)", x.u[j].name, x.u[j].code,
                         have, total, have == 1 ? "is" : "are", x.o[missing].name, x.o[missing].code);
            partial_units++;
        }
        for (int m = 0; history && m < nm && months[m] < o->reform; m++) {
            int seen = 0, lack = -1;
            for (int q = x.contrib_first[j]; q < x.contrib_first[j + 1]; q++) {
                if (old_last[x.contrib[q]] < 0) continue;
                if (old_seen[(size_t)x.contrib[q] * (size_t)nm + (size_t)m]) seen++;
                else lack = x.contrib[q];
            }
            if (seen && seen < have) {
                bad[(size_t)j * (size_t)nm + (size_t)m] = true;
                if (st.incomplete < LIST_MAX) {
                    char mo[8];
                    cov_month_format(months[m], mo);
                    snprintf(incomplete_list[st.incomplete], sizeof incomplete_list[0],
                             "%s (%s), %s: %s (%s) was not reported that month", x.u[j].name, x.u[j].code, mo,
                             x.o[lack].name, x.o[lack].code);
                }
                st.incomplete++;
            }
        }
    }
    /* the output */
    char header[200];
    snprintf(header, sizeof header, "commune_code,commune%s%s%s,population,insured%s\n",
             x.has_new_prov ? ",province" : "", history ? ",month" : "", c.cg >= 0 ? ",group" : "",
             flows ? ",new_cards,lost_cards" : "");
    if (!(of = cov_outfile_begin(out, header, d))) { rc = d->status; free(bad); goto done; }
    FILE *f = cov_outfile_stream(of);
    fputs(header, f);
    int units_out = 0;
    for (int j = 0; j < x.nnew; j++) {
        bool wrote = false;
        for (int g = 0; g < ng; g++)
            for (int m = 0; m < nm; m++) {
                cell *ce = &cells[((size_t)j * (size_t)ng + (size_t)g) * (size_t)nm + (size_t)m];
                if (!ce->present) continue;
                int64_t *to = &tot[((size_t)g * (size_t)nm + (size_t)m) * 8 + 4];
                to[0] += ce->N; to[1] += ce->I;
                if (flows && !ce->blank) { to[2] += ce->E; to[3] += ce->L; }
                if (bad[(size_t)j * (size_t)nm + (size_t)m]) continue;   /* counted, not written: listed below */
                st.people_out += ce->N; st.insured_out += ce->I;
                if (flows && !ce->blank) st.flows_out += ce->E + ce->L;
                cov_csv_text(f, x.u[j].code, true);
                cov_csv_text(f, x.u[j].name, false);
                if (x.has_new_prov) cov_csv_text(f, x.u[j].prov, false);
                if (history) { char mo[8]; cov_month_format(months[m], mo); fprintf(f, ",%s", mo); }
                if (c.cg >= 0) cov_csv_text(f, gname[g], false);
                fprintf(f, ",%lld,%lld", (long long)ce->N, (long long)ce->I);
                if (flows) {
                    if (ce->blank) fputs(",,", f);
                    else fprintf(f, ",%lld,%lld", (long long)ce->E, (long long)ce->L);
                }
                fputc('\n', f);
                st.rows_out++;
                wrote = true;
            }
        units_out += wrote;
    }
    free(bad);
    /* every total, each group and month: what came in went out */
    for (int g = 0; g < ng; g++)
        for (int m = 0; m < nm; m++) {
            const int64_t *tt = &tot[((size_t)g * (size_t)nm + (size_t)m) * 8];
            bool flows_ok = !flows || any_blank || (tt[2] == tt[6] && tt[3] == tt[7]);
            if (tt[0] != tt[4] || tt[1] != tt[5] || !flows_ok) {
                cov_diag_add(d, COV_EINTERNAL, in, 0, 0, 0,
                             "regrouping lost or added people (group %d, month %d: %lld -> %lld people, %lld -> %lld insured); nothing written",
                             g, m, (long long)tt[0], (long long)tt[4], (long long)tt[1], (long long)tt[5]);
                rc = COV_EINTERNAL;
            }
        }
    if (rc != COV_OK) goto done;
    st.rows_in = nr;
    st.new_units = units_out;
    for (int i = 0; i < x.nold; i++)
        if (old_last[i] >= 0) { st.old_units++; if (x.o[i].n > 1) st.split++; else st.merged++; }
    for (int m = 0; m < nm; m++) st.months_kept += history && months[m] >= o->reform;
    rc = cov_outfile_commit(of, d);
    of = NULL;
    if (rc != COV_OK) goto done;
    if (fp) {
        char mo[8] = "";
        fprintf(fp, "covcast regroup: %s, %s of %ld row%s, onto the new communes of %s\n", cov_term(in),
                history ? "a history" : "a population file", nr, nr == 1 ? "" : "s", cov_term(o->crosswalk));
        fprintf(fp, "  %d old communes in the file: %d carried whole, %d split%s\n", st.old_units, st.merged, st.split,
                st.split ? " (listed below)" : "");
        if (history) {
            cov_month_format(o->reform, mo);
            fprintf(fp, "  months before %s regrouped; %d month%s from %s on already on the new communes, kept\n", mo,
                    st.months_kept, st.months_kept == 1 ? "" : "s", mo);
        }
        fprintf(fp, "  written: %s, %ld rows for %d new communes\n", cov_term(out), st.rows_out, st.new_units);
        fputs("  totals conserved exactly in every group", fp);
        fputs(history ? " and month: " : ": ", fp);
        print_int(fp, st.people_in); fputs(" people, ", fp);
        print_int(fp, st.insured_in); fputs(" insured", fp);
        if (flows && !any_blank) { fputs(", ", fp); print_int(fp, st.flows_in); fputs(" cards gained or lost", fp); }
        if (history) fputs(" (summed over months)", fp);
        fputc('\n', fp);
        if (flows && any_blank)
            fputs("  card flows: a new commune-month is left blank where one of its old communes did not report them\n", fp);
        if (st.incomplete) {
            fprintf(fp, "  %d new commune-months left out: some of their old communes were not reported that month "
                        "(a partial sum would understate them); counted in the totals above:\n", st.incomplete);
            for (int k = 0; k < st.incomplete && k < LIST_MAX; k++) fprintf(fp, "    %s\n", cov_term(incomplete_list[k]));
            if (st.incomplete > LIST_MAX) fprintf(fp, "    … and %d more\n", st.incomplete - LIST_MAX);
        }
        if (partial_units) {
            fprintf(fp, "  warning: %d new communes get only some of their old communes from this file; their figures "
                        "are partial:\n", partial_units);
            for (int k = 0; k < partial_units && k < LIST_MAX; k++) fprintf(fp, "    %s\n", cov_term(partial_list[k]));
            if (partial_units > LIST_MAX) fprintf(fp, "    … and %d more\n", partial_units - LIST_MAX);
        }
        if (nmism) {
            fprintf(fp, "  warning: %d rows name their commune differently from the crosswalk (matched by code):\n", nmism);
            for (int k = 0; k < nmism && k < LIST_MAX; k++) fprintf(fp, "    %s\n", cov_term(mism[k]));
            if (nmism > LIST_MAX) fprintf(fp, "    … and %d more\n", nmism - LIST_MAX);
        }
        if (st.split) {
            int64_t by_rule = 0, by_share = 0, all = 0;
            for (int i = 0; i < x.nold; i++) all += old_people[i];
            fprintf(fp, "\nSplit communes: people of the last month%s reported, as apportioned in whole people "
                        "(largest remainder; insured in the same proportions):\n", history ? " before the reform" : "");
            for (int i = 0; i < x.nold; i++) {
                const old_unit *ou = &x.o[i];
                if (old_last[i] < 0 || ou->n < 2) continue;
                int64_t part[ou->n];
                cov_apportion(old_people[i], &x.w[ou->first], ou->n, NULL, part);
                fprintf(fp, "  %s (%s%s%s) ", cov_term(ou->name), cov_term(ou->code), *ou->prov ? ", " : "", cov_term(ou->prov));
                print_int(fp, old_people[i]);
                fputs(" ->", fp);
                for (int j = 0; j < ou->n; j++) {
                    fprintf(fp, "%s %s (%s) ", j ? ";" : "", cov_term(x.u[x.dest[ou->first + j]].name),
                            cov_term(x.u[x.dest[ou->first + j]].code));
                    print_int(fp, part[j]);
                }
                fprintf(fp, "  [%s]\n", ou->by_share ? "shares of the crosswalk" : rule_name[o->rule]);
                if (ou->by_share) by_share += old_people[i]; else by_rule += old_people[i];
            }
            fputs("People of split communes apportioned by the rule '", fp);
            fputs(rule_name[o->rule], fp);
            fputs("', not by data: ", fp);
            print_int(fp, by_rule);
            fprintf(fp, " (%.2f%% of the file's ", all ? 100.0 * (double)by_rule / (double)all : 0.0);
            print_int(fp, all);
            fputs(")", fp);
            if (by_share) { fputs("; by the crosswalk's shares: ", fp); print_int(fp, by_share); }
            fputc('\n', fp);
        }
    }
done:
    if (stp) *stp = st;
    cov_outfile_abort(of);
    free(recs); free(cells); free(months); free(old_seen); free(old_last); free(old_people); free(tot);
    free(gname);
    cov_csv_free(t);
    xwalk_free(&x);
    return rc;
}
