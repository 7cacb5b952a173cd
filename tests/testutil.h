/* testutil.h — shared helpers of the unit tests: temporary files. */
#ifndef COV_TESTUTIL_H
#define COV_TESTUTIL_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <cmocka.h>

/* Writes text to tests/tmp/NAME and returns the path (static buffer per call site). */
static inline void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}
#endif
