/* csvread.c — CSV input through libcsv (strict mode). libcsv does not count
 * lines or columns, so bytes are fed one at a time and positions tracked
 * here; quoted fields may span lines. The bytes are checked as UTF-8 as they
 * arrive, so a bad byte is reported exactly where it stands. The file is
 * read once, whole, under a size limit (input.h). Owns no other format
 * knowledge. */
#include "csvread.h"
#include "csvwrite.h"
#include "input.h"
#include "text.h"

#include <csv.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uninorm.h>

typedef struct {
    cov_diag *d;
    const char *path;
    unsigned char delim;
    long line, col;            /* position of the byte being fed */
    long fline, fcol;          /* start of the field being read */
    bool field_open;           /* a byte of the current field was seen */
    cov_field *row;            /* fields of the current record */
    int nrow, caprow;
    cov_csv *t;
    long capcells;
    long rec_line;             /* line where the current record starts */
    bool failed;
    /* the last field of each column, as read and in NFC: names repeat from
     * row to row (a commune on each of its groups' rows, its district and
     * province on all of theirs), and are normalised once */
    struct { char *raw, *nfc; size_t len; } *last;   /* [nlast], by column */
    int nlast;
} reader;

/* The NFC form of s[0..n) (malloc'd, NUL-terminated) for column col; NULL
 * when out of memory. */
static char *nfc_field(reader *r, int col, const char *s, size_t n)
{
    if (col < r->nlast && r->last[col].raw && r->last[col].len == n && !memcmp(r->last[col].raw, s, n))
        return cov_strdup(r->last[col].nfc);
    size_t len = 0;   /* NFC: "Đồng Sơn" typed with combining marks becomes the precomposed form */
    bool ascii = true;   /* ASCII text is its own NFC */
    for (size_t i = 0; i < n && ascii; i++) ascii = (unsigned char)s[i] < 0x80;
    uint8_t *nfc = n && !ascii ? u8_normalize(UNINORM_NFC, (const uint8_t *)s, n, NULL, &len) : NULL;
    char *text = malloc((nfc ? len : n) + 1);
    if (!text) { free(nfc); return NULL; }
    if (nfc) memcpy(text, nfc, len);
    else if (n) memcpy(text, s, n);
    text[nfc ? len : n] = '\0';
    free(nfc);
    if (ascii) return text;   /* nothing to keep: normalising it costs nothing */
    if (col >= r->nlast) {
        int cap = col + 16;
        void *grown = realloc(r->last, (size_t)cap * sizeof *r->last);
        if (!grown) return text;   /* no memory to remember it: no harm */
        r->last = grown;
        memset(r->last + r->nlast, 0, (size_t)(cap - r->nlast) * sizeof *r->last);
        r->nlast = cap;
    }
    char *raw = malloc(n + 1), *keep = cov_strdup(text);
    if (!raw || !keep) { free(raw); free(keep); return text; }
    memcpy(raw, s, n);
    raw[n] = '\0';
    free(r->last[col].raw); free(r->last[col].nfc);
    r->last[col].raw = raw; r->last[col].nfc = keep; r->last[col].len = n;
    return text;
}

static int add_row_field(reader *r, const char *s, size_t n)
{
    if (r->nrow == r->caprow) {
        int cap = r->caprow ? 2 * r->caprow : 16;
        cov_field *nf = realloc(r->row, (size_t)cap * sizeof *nf);
        if (!nf) return -1;
        r->row = nf; r->caprow = cap;
    }
    char *text = nfc_field(r, r->nrow, s, n);
    if (!text) return -1;
    cov_field *f = &r->row[r->nrow++];
    f->text = text;
    f->line = r->fline;
    f->col = r->fcol;
    return 0;
}

static void on_field(void *s, size_t n, void *arg)
{
    reader *r = arg;
    if (r->failed) return;
    if (r->nrow == 0) r->rec_line = r->fline;
    if (add_row_field(r, s ? s : "", s ? n : 0) < 0) {
        cov_diag_add(r->d, COV_ELIMIT, r->path, 0, 0, 0, "out of memory reading the file");
        r->failed = true;
    }
    r->field_open = false;
}

static void on_record(int c, void *arg)
{
    (void)c;
    reader *r = arg;
    if (r->failed) return;
    cov_csv *t = r->t;
    if (t->ncols == 0) {                       /* the header */
        t->ncols = r->nrow;
        t->header = r->row;
        r->row = NULL; r->nrow = r->caprow = 0;
        return;
    }
    if (r->nrow != t->ncols) {
        long col = r->nrow > 0 ? r->row[r->nrow - 1].col : 1;
        cov_diag_add(r->d, COV_EINPUT, r->path, r->rec_line, col, 1,
                     "this row has %d field%s, the header has %d%s", r->nrow, r->nrow == 1 ? "" : "s", t->ncols,
                     r->nrow == 1 && t->ncols > 1 ? " (is the separator right? see --delimiter)" : "");
        for (int i = 0; i < r->nrow; i++) free(r->row[i].text);
        r->nrow = 0;
        if (r->d->n >= COV_DIAG_MAX) r->failed = true;
        return;
    }
    if (t->nrows >= COV_MAX_ROWS) {
        cov_diag_add(r->d, COV_ELIMIT, r->path, r->rec_line, 0, 0,
                     "more than %ld rows: beyond covcast's limit for one file (Vietnam has about 10,600 "
                     "communes, 64,000 rows with six groups)", COV_MAX_ROWS);
        for (int i = 0; i < r->nrow; i++) free(r->row[i].text);
        r->nrow = 0;
        r->failed = true;
        return;
    }
    if (t->nrows * t->ncols + t->ncols > r->capcells) {
        long cap = r->capcells ? 2 * r->capcells : 64 * t->ncols;
        cov_field *nc = realloc(t->cells, (size_t)cap * sizeof *nc);
        if (!nc) {
            cov_diag_add(r->d, COV_ELIMIT, r->path, 0, 0, 0, "out of memory reading the file");
            r->failed = true;
            return;
        }
        t->cells = nc; r->capcells = cap;
    }
    memcpy(&t->cells[t->nrows * t->ncols], r->row, (size_t)t->ncols * sizeof *r->row);
    t->nrows++;
    r->nrow = 0;
}

/* The separator of the header line (text[0..n)): the most frequent of , ;
 * and tab outside quotes. 0 (with an error) when two are equally frequent. */
static char detect(const char *text, size_t n, const char *path, cov_diag *d)
{
    long count[3] = { 0, 0, 0 };
    static const char seps[3] = { ',', ';', '\t' };
    bool quoted = false;
    for (size_t i = 0; i < n && (quoted || (text[i] != '\n' && text[i] != '\r')); i++) {
        char c = text[i];
        if (c == '"') quoted = !quoted;
        else if (!quoted) for (int k = 0; k < 3; k++) count[k] += c == seps[k];
    }
    int best = 0;
    for (int k = 1; k < 3; k++) if (count[k] > count[best]) best = k;
    for (int k = 0; k < 3; k++)
        if (k != best && count[k] == count[best] && count[best] > 0) {
            cov_diag_add(d, COV_EINPUT, path, 1, 0, 0,
                         "cannot tell the separator: the header has as many '%s' as '%s'; say which with "
                         "--delimiter (or delimiter = in [run])", seps[best] == '\t' ? "tab" : (char[]){ seps[best], 0 },
                         seps[k] == '\t' ? "tab" : (char[]){ seps[k], 0 });
            return 0;
        }
    return seps[best];
}

static int is_space(unsigned char c) { return c == ' ' || c == '\t'; }
static int is_space_no_tab(unsigned char c) { return c == ' '; }

cov_csv *cov_csv_read_delim(const char *path, char delim, cov_diag *d)
{
    size_t n;   /* read once, whole: the file may be a pipe (cov_input_read notes it as an input) */
    const char *text = cov_input_read(path, COV_MAX_CSV_BYTES, "a CSV file", &n, d);
    if (!text) return NULL;
    if (!delim && !(delim = detect(text, n, path, d))) return NULL;
    cov_csv *t = calloc(1, sizeof *t);
    struct csv_parser p;
    if (!t || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(t);
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    csv_set_delim(&p, (unsigned char)delim);
    if (delim == '\t') csv_set_space_func(&p, is_space_no_tab);
    else csv_set_space_func(&p, is_space);
    t->path = cov_strdup(path);
    t->delim = delim;
    reader r = { .d = d, .path = path, .delim = (unsigned char)delim, .line = 1, .col = 1, .t = t };
    const unsigned char *buf = (const unsigned char *)text;
    bool after_cr = false;
    unsigned need = 0, cp = 0, min = 0;        /* UTF-8 state: continuation bytes still due */
    long lead_line = 0, lead_col = 0;          /* where the character being read starts */
    unsigned char lead = 0;
    /* plain bytes: ASCII that is neither the separator, a quote, a line end
     * nor NUL; a run of them is fed at once, with the same positions */
    bool plain[256] = { false };
    for (int c = 1; c < 0x80; c++) plain[c] = c != r.delim && c != '"' && c != '\n' && c != '\r';
    for (size_t i = n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3) ? 3 : 0; i < n && !r.failed; i++) {
        unsigned char c = buf[i];
        if (!need && plain[c] && i + 1 < n && plain[buf[i + 1]]) {
            size_t j = i + 2;
            while (j < n && plain[buf[j]]) j++;
            if (!r.field_open) { r.fline = r.line; r.fcol = r.col; r.field_open = true; }
            size_t fed = csv_parse(&p, buf + i, j - i, on_field, on_record, &r);
            r.col += (long)fed;
            after_cr = false;
            if (fed != j - i) {
                cov_diag_add(d, COV_EINPUT, path, r.line, r.col, 1,
                             "malformed CSV: %s (a quote inside a field must be doubled: \"\")",
                             csv_strerror(csv_error(&p)));
                r.failed = true;
                break;
            }
            i = j - 1;
            continue;
        }
        bool bad = false;
        if (need) {
            if ((c & 0xC0) != 0x80) bad = true;
            else { cp = (cp << 6) | (c & 0x3F); if (--need == 0 && (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))) bad = true; }
        } else if (c >= 0x80) {
            lead = c; lead_line = r.line; lead_col = r.col;
            if ((c & 0xE0) == 0xC0) { need = 1; cp = c & 0x1F; min = 0x80; }
            else if ((c & 0xF0) == 0xE0) { need = 2; cp = c & 0x0F; min = 0x800; }
            else if ((c & 0xF8) == 0xF0) { need = 3; cp = c & 0x07; min = 0x10000; }
            else bad = true;
        } else if (c == 0) {
            cov_diag_add(d, COV_EINPUT, path, r.line, r.col, 1,
                         "a NUL byte: this is not a text file (was it saved as UTF-16?)");
            r.failed = true;
            break;
        }
        if (bad) {   /* point at the character's first byte */
            cov_diag_add(d, COV_EINPUT, path, lead_line, lead_col, 1,
                         "this is not UTF-8 text (byte 0x%02X); the file was probably saved as "
                         "Windows-1258 or another code page: save it as UTF-8 (in Excel: \"CSV UTF-8\")", lead);
            r.failed = true;
            break;
        }
        bool sep = c == r.delim || c == '\n' || c == '\r';
        if (!r.field_open && !sep) {
            r.fline = r.line; r.fcol = r.col; r.field_open = true;
        }
        if (!r.field_open && sep) {            /* an empty field ends here: it starts where it ends */
            r.fline = r.line; r.fcol = r.col;
        }
        if (csv_parse(&p, &c, 1, on_field, on_record, &r) != 1) {
            cov_diag_add(d, COV_EINPUT, path, r.line, r.col, 1,
                         "malformed CSV: %s (a quote inside a field must be doubled: \"\")",
                         csv_strerror(csv_error(&p)));
            r.failed = true;
            break;
        }
        if (c == '\n') { if (!after_cr) r.line++; r.col = 1; }
        else if (c == '\r') { r.line++; r.col = 1; }   /* CR or CRLF: the LF then adds nothing */
        else if ((c & 0xC0) != 0x80) r.col++;
        after_cr = c == '\r';
    }
    if (!r.failed && need) {
        cov_diag_add(d, COV_EINPUT, path, r.line, r.col, 1, "the file ends inside a UTF-8 character");
        r.failed = true;
    }
    if (!r.failed) {
        if (!r.field_open) { r.fline = r.line; r.fcol = r.col; }
        if (csv_fini(&p, on_field, on_record, &r) != 0 && !r.failed) {
            cov_diag_add(d, COV_EINPUT, path, r.line, r.col, 1,
                         "malformed CSV at the end of the file: a quoted field is not closed");
            r.failed = true;
        }
    }
    csv_free(&p);
    for (int i = 0; i < r.nrow; i++) free(r.row[i].text);
    free(r.row);
    for (int i = 0; i < r.nlast; i++) { free(r.last[i].raw); free(r.last[i].nfc); }
    free(r.last);
    if (!r.failed && t->ncols == 0) {
        cov_diag_add(d, COV_EINPUT, path, 0, 0, 0, "the file is empty: a header row is expected");
        r.failed = true;
    }
    if (r.failed) {
        cov_csv_free(t);
        return NULL;
    }
    for (int j = 0; j < t->ncols; j++) {
        char *h = cov_trim(t->header[j].text);
        memmove(t->header[j].text, h, strlen(h) + 1);
    }
    return t;
}

void cov_csv_free(cov_csv *t)
{
    if (!t) return;
    for (int j = 0; j < t->ncols; j++) free(t->header[j].text);
    free(t->header);
    for (long i = 0; i < t->nrows * t->ncols; i++) free(t->cells[i].text);
    free(t->cells);
    free(t->path);
    free(t);
}

static const cov_csv *sort_table;   /* qsort has no context argument */

/* Orders column indices by name, then by position. */
static int by_name(const void *a, const void *b)
{
    int i = *(const int *)a, j = *(const int *)b;
    int c = strcmp(sort_table->header[i].text, sort_table->header[j].text);
    return c ? c : (i > j) - (i < j);
}

bool cov_csv_repeats(const cov_csv *t, int *repeat)
{
    int *order = malloc((size_t)(t->ncols > 0 ? t->ncols : 1) * sizeof *order);
    if (!order) return false;
    for (int j = 0; j < t->ncols; j++) { order[j] = j; repeat[j] = -1; }
    sort_table = t;
    qsort(order, (size_t)t->ncols, sizeof *order, by_name);
    for (int k = 1, first = order[0]; k < t->ncols; k++) {
        if (strcmp(t->header[order[k]].text, t->header[first].text)) first = order[k];
        else repeat[order[k]] = first;
    }
    free(order);
    return true;
}

int cov_csv_column(const cov_csv *t, const char *name)
{
    for (int j = 0; j < t->ncols; j++)
        if (!strcmp(t->header[j].text, name)) return j;
    return -1;
}

const char *cov_csv_named(const cov_csv *t, long r, const char *name)
{
    int j = cov_csv_column(t, name);
    return j < 0 ? "" : cov_csv_plain(cov_csv_cell(t, r, j)->text);
}

double cov_csv_named_number(const cov_csv *t, long r, const char *name)
{
    double v = atof(cov_csv_named(t, r, name));
    return isfinite(v) ? v : 0;
}
