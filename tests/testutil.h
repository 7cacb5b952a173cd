/* testutil.h — helpers shared by the unit tests: temporary files, loading
 * and running a scenario in memory, Monte Carlo tolerances. */
#ifndef COV_TESTUTIL_H
#define COV_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <cmocka.h>

#include "covcast.h"
#include "types.h"

#ifndef TMP
#define TMP "tests/tmp"   /* make passes TESTS_TMP, so two checkouts of the suite can run side by side */
#endif

/* z for a two-sided check that fails by chance with probability < 1e-5. */
#define MC_Z 4.42

static inline void write_text(const char *path, const char *text)
{
    mkdir(TMP, 0777);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* Loads a scenario (failing the test with the diagnostics if it does not
 * load) and runs it. */
static inline cov_results *run_scenario(const char *path, const cov_overrides *ov, cov_scenario **sp)
{
    cov_diag d;
    cov_diag_init(&d);
    cov_scenario *s = cov_scenario_load(path, ov, &d);
    if (!s) cov_diag_print(&d, stderr);
    assert_non_null(s);
    cov_results *r = NULL;
    assert_int_equal(cov_simulate(s, &r, NULL, NULL, &d), COV_OK);
    *sp = s;
    return r;
}

static inline int unit_index(const cov_results *r, int level, const char *name)
{
    for (int u = 0; u < r->nunits; u++)
        if (r->unit_level[u] == level && !strcmp(r->unit_name[u], name)) return u;
    fail_msg("no unit %s", name);
    return -1;
}

static inline char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *b = malloc((size_t)n + 1);
    if (fread(b, 1, (size_t)n, f) != (size_t)n) { free(b); fclose(f); return NULL; }
    b[n] = '\0';
    fclose(f);
    return b;
}
#endif
