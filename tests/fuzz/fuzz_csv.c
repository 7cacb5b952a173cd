/* fuzz_csv.c — libFuzzer target for the CSV reader (csvread.c) with its
 * separator detection and diagnostics. */
#include "fuzz_common.h"
#include "csvread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path("input.csv");
    fuzz_write(path, data, size);
    for (int k = 0; k < 2; k++) {
        cov_diag d;
        cov_diag_init(&d);
        cov_csv *t = cov_csv_read_delim(path, k ? 0 : ',', &d);
        for (long r = 0; t && r < t->nrows; r++)
            for (int c = 0; c < t->ncols; c++)
                if (cov_csv_cell(t, r, c)->line < 1 || cov_csv_cell(t, r, c)->col < 1) abort();
        if (!t && !d.n) abort();   /* failed without a word */
        cov_diag_print(&d, fuzz_diag_out());
        cov_csv_free(t);
    }
    return 0;
}
