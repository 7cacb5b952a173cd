/* fuzz_population.c — libFuzzer target for the population loader
 * (population.c) against the model of the CLI cases. */
#include "fuzz_common.h"
#include "load.h"

static cov_model *model;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!model) {
        cov_diag d;
        cov_diag_init(&d);
        model = cov_model_load(getenv("FUZZ_MODEL") ? getenv("FUZZ_MODEL") : "tests/cases/common/model.ini", &d);
        if (!model) { cov_diag_print(&d, stderr); abort(); }
    }
    const char *path = fuzz_path("population.csv");
    fuzz_write(path, data, size);
    char *levels[1] = { "district" }, *extra[1] = { "moving" };
    cov_diag d;
    cov_diag_init(&d);
    cov_population *p = cov_population_load(path, model, levels, 1, extra, size % 2, &(cov_read_opts){ .delim = 0, .numbers = -1 }, &d);
    cov_diag_print(&d, fuzz_diag_out());
    if (p && d.n) abort();      /* a population despite errors */
    if (!p && !d.n) abort();    /* failed without a word */
    cov_population_free(p);
    return 0;
}
