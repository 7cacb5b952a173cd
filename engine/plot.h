/* plot.h — charts of a finished run, comparison or sweep, drawn by gnuplot
 * from the templates in plots/, and the one-page HTML report. */
#ifndef COV_PLOT_H
#define COV_PLOT_H

#include <stdbool.h>
#include <stddef.h>
#include "covcast.h"

typedef struct {
    const char *format;   /* "png" (default), "svg" or "pdf" */
    const char *lang;     /* "vi" (default) or "en" */
    const char *units;    /* NULL: levels above the commune; "all"; or "A;B" names added
                             (a name that is no unit of the folder: COV_EUSAGE) */
    bool scripts_only;    /* write each chart's .gp and .dat but do not run gnuplot */
    const char *baseline; /* NULL, or a run folder whose medians the fan charts draw beside the run's (a pinned
                             baseline: the same units, by level and name) */
} cov_plot_opts;

/* Names reach a chart only as data: inside gnuplot double-quoted strings
 * with every byte gnuplot could act on (backquote, @, $, quotes, backslash,
 * newline, control bytes) written as an octal escape, never in a .dat file.
 * A filled script with a raw backquote, @ or control byte from the data is
 * refused (COV_EINTERNAL) before gnuplot runs. */

/* Writes DIR/plots/: for each chart its gnuplot script (.gp), data (.dat)
 * and image, replacing an earlier plots folder only when every chart has
 * rendered. DIR is a run, compare or sweep output folder. log (a FILE *,
 * may be NULL) gets one line per chart. */
cov_status cov_plot(const char *dir, const cov_plot_opts *o, void *log, cov_diag *d);

/* The charts of a run folder as SVG text, in the order drawn (fan charts,
 * cards needed, exceedance); the caller frees each svg and the array. */
typedef struct { char name[96]; char *svg; } cov_chart;
cov_status cov_plot_svgs(const char *dir, const char *lang, cov_chart **charts, int *n, cov_diag *d);

/* Writes DIR/report.html (self-contained, SVG charts inlined) from a run
 * folder; draws the SVG charts first. */
cov_status cov_report(const char *dir, const char *lang, void *log, cov_diag *d);

/* The display form of a name in charts and the report: the text itself,
 * except control characters, bytes that are not UTF-8 and bidirectional
 * overrides, written as the visible text \n, \t, \r or \xHH (each byte).
 * At most n-1 bytes; a longer text is cut at a character and ends with "…". */
void cov_plot_visible(const char *s, char *out, size_t n);

#endif
