/* fmt.c — fixed-point decimals exactly as printf writes them (fmt.h).
 * |x| = m * 2^-s with m < 2^53 an integer (the bits of x), so
 * |x| * 10^d = m * 10^d / 2^s: an integer division by a power of two whose
 * remainder decides the rounding exactly. Values of 10^9 or more, NaN and
 * infinities go to snprintf. */
#include "fmt.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

int cov_fmt_fixed(char *out, double x, int decimals)
{
    static const uint64_t p10[10] = { 1, 10, 100, 1000, 10000, 100000, 1000000, 10000000,
                                      100000000, 1000000000 };
    if (!(fabs(x) < 1e9) || decimals < 0 || decimals > 9)
        return snprintf(out, COV_FMT_SIZE, "%.*f", decimals < 0 ? 0 : decimals > 9 ? 9 : decimals, x);
    uint64_t bits;
    memcpy(&bits, &x, sizeof bits);
    int be = (int)(bits >> 52 & 0x7ff);             /* the biased exponent: 0 for 0 and subnormals */
    uint64_t m = bits & ((UINT64_C(1) << 52) - 1);
    if (be) m |= UINT64_C(1) << 52;
    int s = 1075 - (be ? be : 1);                   /* |x| = m 2^-s; |x| < 2^30, so s > 23 */
    unsigned __int128 v = (unsigned __int128)m * p10[decimals];   /* < 2^83 */
    uint64_t q = 0;
    if (s < 120) {
        unsigned __int128 half = (unsigned __int128)1 << (s - 1), rem = v & ((half << 1) - 1);
        q = (uint64_t)(v >> s);
        if (rem > half || (rem == half && (q & 1))) q++;
    }                                               /* else v < 2^83 < half: rounds to 0 */
    char *p = out;
    if (signbit(x)) *p++ = '-';
    uint64_t ip = q / p10[decimals], fp = q % p10[decimals];
    char tmp[24];
    int n = 0;
    do { tmp[n++] = (char)('0' + ip % 10); ip /= 10; } while (ip);
    while (n) *p++ = tmp[--n];
    if (decimals > 0) {
        *p++ = '.';
        for (int i = decimals - 1; i >= 0; i--) { p[i] = (char)('0' + fp % 10); fp /= 10; }
        p += decimals;
    }
    *p = '\0';
    return (int)(p - out);
}
