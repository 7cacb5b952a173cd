/* diag.c — collects errors in compiler form and prints them with the
 * offending line and a caret. The only module that formats diagnostics. */
#include "covcast.h"
#include "input.h"
#include "text.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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

void cov_inputs_note(cov_diag *d, int fd)
{
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) return;   /* pipes and terminals cannot be overwritten */
    for (int i = 0; i < d->ninputs; i++)
        if (d->inputs[i].dev == (uint64_t)st.st_dev && d->inputs[i].ino == (uint64_t)st.st_ino) return;
    if (d->ninputs == COV_INPUTS_MAX) { d->inputs_lost = 1; return; }
    d->inputs[d->ninputs++] = (cov_file_id){ (uint64_t)st.st_dev, (uint64_t)st.st_ino };
}

/* Line `line` (1-based) of the text read from path (input.h), in a
 * malloc'd string without its newline; NULL if path was not read or has no
 * such line. Never opens the file again: it may be a pipe, or have changed. */
static char *read_line(const char *path, long line)
{
    size_t len;
    const char *text = cov_input_text(path, &len), *end = text ? text + len : NULL;
    if (!text) return NULL;
    const char *p = text;
    for (long i = 1; i < line && p; i++) {
        p = memchr(p, '\n', (size_t)(end - p));
        if (p) p++;
    }
    if (!p || p >= end) return NULL;
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    size_t n = (size_t)((nl ? nl : end) - p);
    while (n > 0 && p[n - 1] == '\r') n--;
    if (line == 1 && n >= 3 && !memcmp(p, "\xEF\xBB\xBF", 3)) { p += 3; n -= 3; }
    char *buf = malloc(n + 1);
    if (!buf) return NULL;
    memcpy(buf, p, n);   /* a NUL byte inside ends the line shown */
    buf[n] = '\0';
    return buf;
}

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 if invalid. */
static size_t seq_len(const unsigned char *s, size_t n)
{
    size_t bad;
    for (size_t k = 1; k <= 4 && k <= n; k++)
        if (cov_utf8_valid((const char *)s, k, &bad)) return k;
    return 0;
}

/* Is the code point at s a combining mark (U+0300..U+036F)? They take no
 * column of their own on screen (NFD text). */
static bool combining(const unsigned char *s)
{
    return (s[0] == 0xCC && s[1] >= 0x80) || (s[0] == 0xCD && s[1] <= 0xAF);
}

/* Prints the line (bytes that are not UTF-8 shown as '?', control
 * characters escaped as cov_term shows them, at most about 200 characters
 * around col) and a caret under col..col+len-1. */
static void echo(FILE *fp, const char *line, long col, long len)
{
    const unsigned char *u = (const unsigned char *)line;
    size_t n = strlen(line);
    long from = col > 120 ? col - 100 : 1, to = from + 200;   /* characters shown */
    long ch = 1, caret_pad = 0, wider = 0;   /* wider: extra columns of escapes under the caret */
    fputs("    ", fp);
    if (from > 1) { fputs("…", fp); caret_pad = 1; }
    for (size_t i = 0; i < n;) {
        size_t k = seq_len(u + i, n - i);
        bool mark = k == 2 && combining(u + i);
        if (ch >= from && ch < to) {
            char one[5] = "", esc[16];
            if (k) memcpy(one, u + i, k);
            const char *shown = k ? cov_term_into(one, esc, sizeof esc) : "?";
            long dw = k && !mark ? cov_utf8_width(shown, strlen(shown)) : !mark;
            fputs(shown, fp);
            if (ch < col && !mark) caret_pad += dw;
            else if (ch < col + (len > 0 ? len : 1) && dw > 1) wider += dw - 1;
        }
        if (!mark) ch++;
        i += k ? k : 1;
    }
    if (ch > to) fputs("…", fp);
    fputc('\n', fp);
    if (col <= 0) return;
    fputs("    ", fp);
    for (long k = 0; k < caret_pad; k++) fputc(' ', fp);
    long w = (len > 0 ? len : 1) + wider;
    if (w > 200) w = 200;
    for (long k = 0; k < w; k++) fputc('^', fp);
    fputc('\n', fp);
}

void cov_diag_print(const cov_diag *d, void *fpv)
{
    FILE *fp = fpv;
    for (int i = 0; i < d->n; i++) {
        const cov_diag_entry *e = &d->e[i];
        char file[sizeof e->file * 4], msg[sizeof e->msg * 4];   /* names in them may hold ESC: escaped */
        cov_term_into(e->file, file, sizeof file);
        cov_term_into(e->msg, msg, sizeof msg);
        if (e->file[0] && e->line > 0 && e->col > 0)
            fprintf(fp, "%s:%ld:%ld: error: %s\n", file, e->line, e->col, msg);
        else if (e->file[0] && e->line > 0)
            fprintf(fp, "%s:%ld: error: %s\n", file, e->line, msg);
        else if (e->file[0])
            fprintf(fp, "%s: error: %s\n", file, msg);
        else
            fprintf(fp, "covcast: error: %s\n", msg);
        if (!e->file[0] || e->line <= 0) continue;
        char *text = read_line(e->file, e->line);
        if (!text) continue;
        echo(fp, text, e->col, e->len);
        free(text);
    }
    if (d->dropped)
        fprintf(fp, "covcast: stopped after %d errors; fix these and run again to see the rest\n", d->n);
}
