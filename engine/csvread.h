/* csvread.h — reads a whole CSV file through libcsv into a table of fields,
 * each with its line and column, so later checks can point at a value. */
#ifndef COV_CSVREAD_H
#define COV_CSVREAD_H

#include "covcast.h"

typedef struct {
    char *text;        /* NUL-terminated, valid UTF-8 */
    long line, col;    /* where the field starts: 1-based, col in characters */
} cov_field;

typedef struct {
    char *path;
    int ncols;         /* columns of the header */
    cov_field *header; /* [ncols] */
    long nrows;        /* data rows */
    cov_field *cells;  /* [nrows * ncols] */
} cov_csv;

/* Reads path: UTF-8 with or without BOM, LF or CRLF, quoted fields, a header
 * row; every data row must have as many fields as the header. Returns NULL
 * with errors in d (file, line, column) when the file cannot be read as CSV;
 * a row with the wrong number of fields is reported in d and left out, and
 * the table is still returned so the caller can report its other errors. */
cov_csv *cov_csv_read(const char *path, cov_diag *d);
void cov_csv_free(cov_csv *t);

/* Index of the header column named name, or -1. */
int cov_csv_column(const cov_csv *t, const char *name);
static inline const cov_field *cov_csv_cell(const cov_csv *t, long row, int col)
{
    return &t->cells[row * t->ncols + col];
}

#endif
