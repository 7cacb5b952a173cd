/* fuzz_scenario.c — libFuzzer target for the INI reader and the scenario
 * and model loaders: the input is a scenario file beside fixed model and
 * population files; a scenario that loads is also run (3 replicates). */
#include "fuzz_common.h"
#include "covcast.h"

static void copy(const char *from, const char *to)
{
    FILE *a = fopen(from, "rb"), *b = fopen(to, "wb");
    if (!a || !b) abort();
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, a)) > 0) fwrite(buf, 1, n, b);
    fclose(a);
    fclose(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int ready;
    if (!ready) {
        copy("tests/cases/common/model.ini", fuzz_path("model.ini"));
        copy("tests/cases/common/population.csv", fuzz_path("population.csv"));
        ready = 1;
    }
    char path[512];
    snprintf(path, sizeof path, "%s", fuzz_path("scenario.ini"));
    fuzz_write(path, data, size);
    cov_diag d;
    cov_diag_init(&d);
    char out[600];
    snprintf(out, sizeof out, "%s", fuzz_path("out"));
    cov_overrides ov = { .replicates = 3, .seed = -1, .threads = 1, .months = 2, .out = out };
    cov_scenario *s = cov_scenario_load(path, &ov, &d);
    cov_diag_print(&d, fuzz_diag_out());
    if (s && d.n) abort();
    if (!s && !d.n) abort();
    if (s) {
        cov_results *r = NULL;
        cov_diag d2;
        cov_diag_init(&d2);
        if (cov_simulate(s, &r, NULL, NULL, &d2) == COV_OK) cov_results_print(r, s, fuzz_null);
        cov_diag_print(&d2, fuzz_null);
        cov_results_free(r);
        cov_scenario_free(s);
    }
    return 0;
}
