/* csvwrite.c — CSV text fields through libcsv (see csvwrite.h). */
#include "csvwrite.h"

#include <csv.h>
#include <string.h>

bool cov_csv_neutralised(const char *v)
{
    return v && v[0] && strchr("=+-@\t\r'", v[0]);
}

const char *cov_csv_plain(const char *v)
{
    return v && v[0] == '\'' ? v + 1 : v;
}

/* v as one field: quoted (quotes doubled) when it needs it or when a ' is
 * put in front of it. */
static void field(FILE *f, const char *v, bool first, bool neutralise)
{
    if (!first) fputc(',', f);
    if (!v) return;
    size_t n = strlen(v);
    if (neutralise && cov_csv_neutralised(v)) {
        fputs("\"'", f);
        for (const char *p = v; *p; p++) {
            if (*p == '"') fputc('"', f);
            fputc(*p, f);
        }
        fputc('"', f);
    } else if (strpbrk(v, ",\"\r\n") || (n && (v[0] == ' ' || v[n - 1] == ' ')))
        csv_fwrite(f, v, n);
    else
        fputs(v, f);
}

void cov_csv_text(FILE *f, const char *v, bool first)
{
    field(f, v, first, true);
}

void cov_csv_raw(FILE *f, const char *v, bool first)
{
    field(f, v, first, false);
}
