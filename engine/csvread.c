/* csvread.c — CSV input through libcsv (strict mode). libcsv does not count
 * lines or columns, so bytes are fed one at a time and positions tracked
 * here; quoted fields may span lines. Owns no other format knowledge. */
#include "csvread.h"
#include "text.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    cov_diag *d;
    const char *path;
    long line, col;            /* position of the byte being fed */
    long fline, fcol;          /* start of the field being read */
    bool field_open;           /* a byte of the current field was seen */
    cov_field *row;            /* fields of the current record */
    int nrow, caprow;
    cov_csv *t;
    long capcells;
    long rec_line;             /* line where the current record starts */
    bool failed;
} reader;

static int add_row_field(reader *r, void *s, size_t n)
{
    if (r->nrow == r->caprow) {
        int cap = r->caprow ? 2 * r->caprow : 16;
        cov_field *nf = realloc(r->row, (size_t)cap * sizeof *nf);
        if (!nf) return -1;
        r->row = nf; r->caprow = cap;
    }
    char *text = malloc(n + 1);
    if (!text) return -1;
    if (n) memcpy(text, s, n);
    text[n] = '\0';
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
    size_t bad;
    const char *nul = s ? memchr(s, 0, n) : NULL;
    if (nul) {
        cov_diag_add(r->d, COV_EINPUT, r->path, r->fline, r->fcol + cov_utf8_width(s, (size_t)(nul - (const char *)s)), 1,
                     "this field holds a NUL byte: the file is not text (was it saved as UTF-16?)");
        r->failed = true;
        return;
    }
    if (!cov_utf8_valid(s ? s : "", s ? n : 0, &bad)) {
        cov_diag_add(r->d, COV_EINPUT, r->path, r->fline, r->fcol + cov_utf8_width(s, bad), 1,
                     "this is not UTF-8 text (byte 0x%02X); the file was probably saved as "
                     "Windows-1258 or another code page: save it as UTF-8 (in Excel: \"CSV UTF-8\")",
                     ((const unsigned char *)s)[bad]);
        r->failed = true;
        return;
    }
    if (add_row_field(r, s ? s : (void *)"", s ? n : 0) < 0) {
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
                     "this row has %d field%s, the header has %d",
                     r->nrow, r->nrow == 1 ? "" : "s", t->ncols);
        for (int i = 0; i < r->nrow; i++) free(r->row[i].text);
        r->nrow = 0;
        if (r->d->n >= COV_DIAG_MAX) r->failed = true;
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

cov_csv *cov_csv_read(const char *path, cov_diag *d)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        cov_diag_add(d, COV_EIO, path, 0, 0, 0, "cannot open the file: %s", strerror(errno));
        return NULL;
    }
    cov_csv *t = calloc(1, sizeof *t);
    struct csv_parser p;
    if (!t || csv_init(&p, CSV_STRICT | CSV_STRICT_FINI) != 0) {
        free(t); fclose(f);
        cov_diag_add(d, COV_ELIMIT, path, 0, 0, 0, "out of memory");
        return NULL;
    }
    t->path = cov_strdup(path);
    reader r = { .d = d, .path = path, .line = 1, .col = 1, .t = t };
    unsigned char buf[65536];
    size_t n, total = 0;
    bool after_cr = false;
    while (!r.failed && (n = fread(buf, 1, sizeof buf, f)) > 0) {
        size_t i = 0;
        if (total == 0 && n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3)) i = 3;
        total += n;
        for (; i < n && !r.failed; i++) {
            unsigned char c = buf[i];
            if (!r.field_open && c != ',' && c != '\n' && c != '\r') {
                r.fline = r.line; r.fcol = r.col; r.field_open = true;
            }
            if (!r.field_open && (c == ',' || c == '\n' || c == '\r')) {
                /* An empty field ends here: it starts where it ends. */
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
            else if (c == '\r') { r.line++; r.col = 1; }   /* CR, CRLF (the LF then adds nothing) */
            else if ((c & 0xC0) != 0x80) r.col++;
            after_cr = c == '\r';
        }
    }
    if (ferror(f) && !r.failed) {
        cov_diag_add(d, COV_EIO, path, 0, 0, 0, "read error: %s", strerror(errno));
        r.failed = true;
    }
    fclose(f);
    if (!r.failed) {
        r.fline = r.line; r.fcol = r.col;
        if (csv_fini(&p, on_field, on_record, &r) != 0 && !r.failed) {
            cov_diag_add(d, COV_EINPUT, path, r.line, r.col, 1,
                         "malformed CSV at the end of the file: a quoted field is not closed");
            r.failed = true;
        }
    }
    csv_free(&p);
    for (int i = 0; i < r.nrow; i++) free(r.row[i].text);
    free(r.row);
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

int cov_csv_column(const cov_csv *t, const char *name)
{
    for (int j = 0; j < t->ncols; j++)
        if (!strcmp(t->header[j].text, name)) return j;
    return -1;
}
