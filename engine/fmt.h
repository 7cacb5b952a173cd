/* fmt.h — numbers as text, the bytes of printf's %.Nf, without printf's
 * multiple-precision arithmetic (the results files hold hundreds of
 * thousands of such numbers, written after the run by one thread). */
#ifndef COV_FMT_H
#define COV_FMT_H

/* Room for any double under any precision 0..9 (printf writes up to 309
 * integer digits). */
#define COV_FMT_SIZE 330

/* Writes x into out (COV_FMT_SIZE bytes), as snprintf(out, n, "%.*f",
 * decimals, x) does under the default rounding mode: the decimal nearest
 * to x's exact binary value, an exact tie to the even last digit, a minus
 * sign for every negative x (also -0 and what rounds to 0), "nan" and
 * "inf" as printf writes them. decimals 0..9. Returns the length. */
int cov_fmt_fixed(char *out, double x, int decimals);

#endif
