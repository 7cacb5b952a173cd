/* csvwrite.h — CSV output: text fields go through libcsv's quoting when
 * they need it (commas, quotes, newlines, edge spaces); numbers are printed
 * by the caller. Text that a spreadsheet would run as a formula is
 * neutralised (OWASP "CSV injection"), in a way covcast's readers undo. */
#ifndef COV_CSVWRITE_H
#define COV_CSVWRITE_H

#include <stdbool.h>
#include <stdio.h>

/* Writes v as one text field (a name, label, code or key, never a number),
 * preceded by a comma unless first. NULL: empty. A value that starts with
 * =, +, -, @, a tab or a carriage return, which Excel and LibreOffice would
 * read as a formula, is written quoted with a ' in front ("'=SUM(1)"); so is
 * a value that already starts with ', so that cov_csv_plain gives back every
 * value exactly. */
void cov_csv_text(FILE *f, const char *v, bool first);

/* Like cov_csv_text but without the ' in front: only for files that covcast
 * writes for itself to read back as input (never for files a person opens). */
void cov_csv_raw(FILE *f, const char *v, bool first);

/* Does cov_csv_text write v with a ' in front? */
bool cov_csv_neutralised(const char *v);

/* A text cell read back from a file written by cov_csv_text: the value
 * without the ' that was put in front of it (a pointer into v). Applied to a
 * number, or to any cell that does not start with ', it returns v itself. */
const char *cov_csv_plain(const char *v);

#endif
