/* diag.c — collects errors in compiler form and prints them with the
 * offending line and a caret. The only module that formats diagnostics. */
#include "covcast.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void cov_diag_init(cov_diag *d)
{
    memset(d, 0, sizeof *d);
}

void cov_diag_add(cov_diag *d, cov_status st, const char *file, long line,
                  long col, long len, const char *fmt, ...)
{
    if (d->n == 0 && d->dropped == 0) d->status = st;
    if (d->n >= COV_DIAG_MAX) { d->dropped++; return; }
    cov_diag_entry *e = &d->e[d->n++];
    snprintf(e->file, sizeof e->file, "%s", file ? file : "");
    e->line = line; e->col = col; e->len = len;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
}

/* Reads line `line` (1-based) of path into a malloc'd string without its
 * newline; NULL if the file or line cannot be read. */
static char *read_line(const char *path, long line)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    char *buf = NULL;
    size_t cap = 0;
    ssize_t n = -1;
    for (long i = 0; i < line; i++)
        if ((n = getline(&buf, &cap, f)) < 0) break;
    fclose(f);
    if (n < 0) { free(buf); return NULL; }
    while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) buf[--n] = '\0';
    if (line == 1 && n >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3))
        memmove(buf, buf + 3, (size_t)n - 2);
    return buf;
}

void cov_diag_print(const cov_diag *d, void *fpv)
{
    FILE *fp = fpv;
    for (int i = 0; i < d->n; i++) {
        const cov_diag_entry *e = &d->e[i];
        if (e->file[0] && e->line > 0 && e->col > 0)
            fprintf(fp, "%s:%ld:%ld: error: %s\n", e->file, e->line, e->col, e->msg);
        else if (e->file[0] && e->line > 0)
            fprintf(fp, "%s:%ld: error: %s\n", e->file, e->line, e->msg);
        else if (e->file[0])
            fprintf(fp, "%s: error: %s\n", e->file, e->msg);
        else
            fprintf(fp, "covcast: error: %s\n", e->msg);
        if (!e->file[0] || e->line <= 0) continue;
        char *text = read_line(e->file, e->line);
        if (!text) continue;
        size_t bad;
        while (!cov_utf8_valid(text, strlen(text), &bad)) text[bad] = '?';  /* show, do not garble */
        {
            fprintf(fp, "    %s\n", text);
            if (e->col > 0) {
                fputs("    ", fp);
                long w = 0;   /* characters passed */
                for (const char *p = text; *p && w < e->col - 1; p++)
                    if (((unsigned char)*p & 0xC0) != 0x80) { fputc(*p == '\t' ? '\t' : ' ', fp); w++; }
                long len = e->len > 0 ? e->len : 1;
                for (long k = 0; k < len; k++) fputc('^', fp);
                fputc('\n', fp);
            }
        }
        free(text);
    }
    if (d->dropped)
        fprintf(fp, "covcast: stopped after %d errors; fix these and run again to see the rest\n", d->n);
}
