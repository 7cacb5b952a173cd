/* test_fmt.c — cov_fmt_fixed writes the bytes of printf's %.Nf: random
 * values of every magnitude the results files hold, exact ties (dyadic
 * values with more digits than printed), the neighbours of ties, signs,
 * zero, tiny and huge values, NaN and infinities. */
#include "testutil.h"
#include "fmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static uint64_t state = 0x9e3779b97f4a7c15ULL;
static uint64_t next64(void)
{
    uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static long checked, wrong;
static void check(double x, int d)
{
    char want[COV_FMT_SIZE], got[COV_FMT_SIZE];
    int nw = snprintf(want, sizeof want, "%.*f", d, x);
    int ng = cov_fmt_fixed(got, x, d);
    checked++;
    if (nw != ng || strcmp(want, got)) {
        if (wrong++ < 10) print_error("x = %a, %%.%df: printf %s, cov_fmt_fixed %s\n", x, d, want, got);
    }
}

static void test_like_printf(void **st)
{
    (void)st;
    for (int d = 0; d <= 9; d++) {
        for (int i = 0; i < 50000; i++) {
            double u = (double)(next64() >> 11) / 9007199254740992.0;
            check(100 * u, d);                                   /* coverage */
            check(ldexp(u, (int)(next64() % 60) - 30), d);       /* any magnitude up to 2^30 */
            check(-ldexp(u, (int)(next64() % 40) - 20), d);
            double t = (double)(next64() % 2000000) / ldexp(1, (int)(next64() % 12) + 1);
            check(t, d);                                         /* dyadic: exact ties */
            check(nextafter(t, 0), d);
            check(nextafter(t, 1e10), d);
            check(round(u * 1e6) / 1e4, d);                      /* decimals near the printed ones */
        }
        double special[] = { 0.0, -0.0, 0.5, 1.5, 2.5, -0.5, 0.125, 0.375, 1e-300, -1e-300, 5e-324,
                             999999999.99999, 1e9, -1e9, 1.5e9, 1e300, -1e300, 123456789.123456789,
                             INFINITY, -INFINITY, NAN, -NAN, 0.00005, 0.00015, 99.99995, 100.0 };
        for (size_t k = 0; k < sizeof special / sizeof *special; k++) check(special[k], d);
    }
    assert_int_equal(wrong, 0);
    assert_true(checked > 3000000);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_like_printf),
    };
    return cmocka_run_group_tests_name("fixed-point text", tests, NULL, NULL);
}
