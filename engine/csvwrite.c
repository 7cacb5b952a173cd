/* csvwrite.c — CSV text fields through libcsv (see csvwrite.h). */
#include "csvwrite.h"

#include <csv.h>
#include <string.h>

void cov_csv_text(FILE *f, const char *v, bool first)
{
    if (!first) fputc(',', f);
    if (!v) return;
    size_t n = strlen(v);
    if (strpbrk(v, ",\"\r\n") || (n && (v[0] == ' ' || v[n - 1] == ' ')))
        csv_fwrite(f, v, n);
    else
        fputs(v, f);
}
