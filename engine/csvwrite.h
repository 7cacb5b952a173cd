/* csvwrite.h — CSV output: text fields go through libcsv's quoting when
 * they need it (commas, quotes, newlines, edge spaces); numbers are printed
 * by the caller. */
#ifndef COV_CSVWRITE_H
#define COV_CSVWRITE_H

#include <stdbool.h>
#include <stdio.h>

/* Writes v as one field, preceded by a comma unless first. NULL: empty. */
void cov_csv_text(FILE *f, const char *v, bool first);

#endif
