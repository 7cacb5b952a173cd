/* csvread.h — reads a whole CSV file through libcsv into a table of fields,
 * each with its line and column, so later checks can point at a value.
 * Fields come out valid UTF-8 in Unicode normalisation form C (NFC), so
 * names typed on different keyboards compare equal. */
#ifndef COV_CSVREAD_H
#define COV_CSVREAD_H

#include <stdbool.h>
#include "covcast.h"

#define COV_MAX_ROWS 2000000L    /* rows in one CSV file */
#define COV_MAX_CSV_BYTES (1024UL * 1024 * 1024)   /* bytes in one CSV file: 1,024 MiB */

typedef struct {
    char *text;        /* NUL-terminated, valid UTF-8, NFC */
    long line, col;    /* where the field starts: 1-based, col in characters */
} cov_field;

typedef struct {
    char *path;
    char delim;        /* the separator used */
    int ncols;         /* columns of the header */
    cov_field *header; /* [ncols] */
    long nrows;        /* data rows */
    cov_field *cells;  /* [nrows * ncols] */
} cov_csv;

/* Reads path: UTF-8 with or without BOM, LF, CRLF or CR line ends, quoted
 * fields, a header row. delim is ',', ';' or '\t', or 0 to detect it from
 * the header line (an error when it cannot be told). Every data row must
 * have as many fields as the header: a row that does not is reported in d
 * and left out, and the table is still returned so the caller can report
 * its other errors. Returns NULL with d filled when the file cannot be read
 * as CSV (bad quoting, bytes that are not UTF-8, more than COV_MAX_ROWS). */
cov_csv *cov_csv_read_delim(const char *path, char delim, cov_diag *d);
#define cov_csv_read(path, d) cov_csv_read_delim((path), ',', (d))
void cov_csv_free(cov_csv *t);

/* For each header column j, repeat[j] = the first column with the same
 * name when an earlier column has it, else -1. repeat has ncols entries.
 * Sorts the names once: time n log n in the number of columns (a header of
 * 100,000 columns is checked in milliseconds). false on out of memory. */
bool cov_csv_repeats(const cov_csv *t, int *repeat);

/* Index of the header column named name, or -1. */
int cov_csv_column(const cov_csv *t, const char *name);
/* The text of row r's cell in column name, without the ' that covcast's
 * CSV writer puts before a name a spreadsheet would run as a formula
 * (cov_csv_plain); "" when the table has no such column. For reading back
 * covcast's own results. */
const char *cov_csv_named(const cov_csv *t, long r, const char *name);
/* That cell as a number; 0 when it is empty or not a finite number. */
double cov_csv_named_number(const cov_csv *t, long r, const char *name);
static inline const cov_field *cov_csv_cell(const cov_csv *t, long row, int col)
{
    return &t->cells[row * t->ncols + col];
}

#endif
