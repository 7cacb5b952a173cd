/* fuzz_history.c — libFuzzer target for the history reader (history.c) and,
 * on the small histories it accepts, the fit of calibrate (calibrate.c):
 * rates, the shock's filter and the model file written. Checks beyond "no
 * crash": a history or errors, never both or neither; every figure of a
 * fit finite, an estimate inside its own interval, a rate not at its bound;
 * no nan or inf in the model file. Bounded to stay fast: at most 40 points
 * and 240 months of steps in all, so each input takes well under a second. */
#include "fuzz_common.h"
#include "history.h"
#include "load.h"

#include <ctype.h>
#include <math.h>
#include <strings.h>

static cov_model *models[2];

static void check_rate(const cov_rate_fit *r)
{
    if (!r->fitted) { if (!r->reason[0]) abort(); return; }   /* not fitted: the reason is given */
    if (!isfinite(r->phi) || r->phi < 0) abort();
    if (r->fit_p && !(isfinite(r->se_lp) && r->se_lp > 0 && r->lo_p <= r->p && r->p <= r->hi_p && r->p > 0)) abort();
    if (r->fit_q && !(isfinite(r->se_lq) && r->se_lq > 0 && r->lo_q <= r->q && r->q <= r->hi_q && r->q > 0)) abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 4096) return 0;
    static const char *paths[2] = { "tests/calibrate/one-group.ini", "tests/cases/common/model.ini" };
    for (int i = 0; i < 2; i++)
        if (!models[i]) {
            cov_diag d;
            cov_diag_init(&d);
            if (!(models[i] = cov_model_load(paths[i], &d))) { cov_diag_print(&d, stderr); abort(); }
        }
    const cov_model *m = models[size % 2];
    const char *path = fuzz_path("history.csv");
    fuzz_write(path, data, size);
    char *levels[1] = { "district" };
    int nlev = (size / 2) % 2;
    cov_diag d;
    cov_diag_init(&d);
    cov_history *h = cov_history_read(path, m, levels, nlev, &d);
    cov_diag_print(&d, fuzz_diag_out());
    if (h && d.n) abort();      /* a history despite errors */
    if (!h && !d.n) abort();    /* failed without a word */
    if (!h) return 0;
    long points = 0, months = 0;
    for (int k = 0; k < h->nseries; k++) {
        const cov_hseries *s = &h->s[k];
        points += s->n;
        for (int j = 0; j + 1 < s->n; j++) {
            if (s->month[j + 1] <= s->month[j]) abort();   /* in month order, no duplicates */
            if (s->I[j] > s->N[j] || s->I[j] < 0) abort();
            if (s->month[j + 1] - s->month[j] <= 1200) months += s->month[j + 1] - s->month[j];
        }
    }
    if (points <= 40 && months <= 240) {
        cov_fit fit;
        cov_cal_opts o = { .entrant_share = size % 3 ? -1 : 0.9, .level = nlev ? "district" : NULL };
        cov_fit_rates_opts(h, m, 1 << 30, &o, NULL, &fit);
        for (int g = 0; g < (h->has_group ? m->ngroups : 1); g++) check_rate(&fit.g[g]);
        const cov_shock_fit *k = &fit.shock;
        if (k->estimated && !(isfinite(k->sd) && k->lo < k->sd && k->sd < k->hi && isfinite(k->level) &&
                              isfinite(k->level_se) && isfinite(k->noise) && isfinite(k->coverage)))
            abort();
        if (!k->estimated && fit.g[0].fitted && !k->reason[0] && !h->has_group) abort();
        cov_diag dd;
        cov_diag_init(&dd);
        if (cov_fit_any(h, m, &fit, &dd)) {
            char *text = NULL;
            size_t len = 0;
            FILE *f = open_memstream(&text, &len);
            if (!f) abort();
            cov_fit_write_model(f, h, m, &fit, 1 << 30);
            cov_fit_print(f, h, m, &fit);
            fclose(f);
            for (const char *p = text; p && (p = strpbrk(p, "nNiI")); p++)   /* nan, inf as figures */
                if ((!strncasecmp(p, "nan", 3) || !strncasecmp(p, "inf", 3)) && (p == text || !isalpha((unsigned char)p[-1])) &&
                    !isalpha((unsigned char)p[3]))
                    abort();
            free(text);
        } else if (!dd.n) abort();
    }
    cov_history_free(h);
    return 0;
}
