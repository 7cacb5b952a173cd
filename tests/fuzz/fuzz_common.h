/* fuzz_common.h — what the libFuzzer targets share: a private folder for
 * the input file (and the fixture files a scenario names), /dev/null for
 * the diagnostics. The checks: no crash, no sanitizer report, and a loader
 * either returns a result with no errors or NULL with at least one. */
#ifndef COV_FUZZ_COMMON_H
#define COV_FUZZ_COMMON_H
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char fuzz_dir[256];
static FILE *fuzz_null;

/* Creates the private folder once; returns the path of NAME inside it. */
static const char *fuzz_path(const char *name)
{
    static char path[512];
    if (!fuzz_null) {
        fuzz_null = fopen("/dev/null", "w");
        snprintf(fuzz_dir, sizeof fuzz_dir, "/tmp/covcast-fuzz-XXXXXX");
        if (!fuzz_null || !mkdtemp(fuzz_dir)) abort();
    }
    snprintf(path, sizeof path, "%s/%s", fuzz_dir, name);
    return path;
}

static void fuzz_write(const char *path, const uint8_t *data, size_t size)
{
    FILE *f = fopen(path, "wb");
    if (!f) abort();
    if (size && fwrite(data, 1, size, f) != size) abort();
    fclose(f);
}

static FILE *fuzz_diag_out(void)
{
    return getenv("FUZZ_SHOW") ? stderr : fuzz_null;
}
#endif
