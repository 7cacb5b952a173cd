/* lang.h — the words of charts and reports in Vietnamese and English, and
 * number formatting by language (82,89% in Vietnamese, 82.89% in English). */
#ifndef COV_LANG_H
#define COV_LANG_H

#include <stddef.h>

typedef struct {
    const char *code;
    char decimal;                 /* decimal sign */
    char thousands;               /* thousands separator */
    const char *coverage_axis, *month_axis, *median, *band50, *band90, *observed;   /* the history line: the reported figures (real or, in an example, simulated) */
    const char *target_line;      /* "%s ≥ %s by %s: probability %s (%s–%s)" */
    const char *threshold_axis, *probability_axis, *cards_axis;
    const char *cards_title;      /* "%s: cards needed now for %s by %s" */
    const char *cards_cb;
    const char *exceed_title;     /* "%s: P(coverage ≥ x) at %s" */
    const char *exceed_curve;
    const char *compare_title, *bars_title, *sweep_title, *sweep_curve;
    const char *verdict[5];       /* very likely .. very unlikely */
    /* report */
    const char *report_title, *report_intro, *col_unit, *col_level, *col_threshold, *col_deadline,
               *col_probability, *col_verdict, *col_median, *col_cards, *col_shortfall,
               *made_with, *how_to_read, *charts, *verdict_note;
    const char *no_people;        /* a unit with no one in it: no probability */
    const char *whole;            /* the unit "all": every commune of the file */
    const char *baseline_median;  /* the fan chart's line of a pinned baseline (plot --baseline) */
} cov_lang;

/* The language for code "vi" or "en"; NULL for another. */
const cov_lang *cov_lang_get(const char *code);
/* Verdict index by probability: 0 very likely (>= 0.90) .. 4 very unlikely (< 0.10). */
int cov_verdict(double p);
/* Formats v with digits decimals in the language's convention. */
void cov_fmt_num(const cov_lang *L, double v, int digits, char *buf, size_t n);
/* Whole number with thousands separators: 15.715 (vi), 15,715 (en). */
void cov_fmt_int(const cov_lang *L, long long v, char *buf, size_t n);
/* A threshold in percent as the language writes it: 85%, 85,2%, 95,55%. */
void cov_fmt_pct(const cov_lang *L, double v, char *buf, size_t n);
/* "2018-12" -> "12/2018". */
void cov_fmt_month(const char *ym, char *buf, size_t n);

#endif
