/* province.c — the synthetic province of the benchmark (the formula of
 * bench/numpy_reference.py) and the bare-sampler floor it is measured
 * against.
 *   province gen DIR [C G H R]   writes DIR/{population.csv,model.ini,scenario.ini}
 *   province sampler [C G H R]   times the engine's sampler alone on the same chains
 *   province gsl [C G H R]       the same with gsl_ran_binomial */
#include "binomial.h"
#include "rng.h"

#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static long N_of(long c, long g) { return 500 + (c * 7919 + g * 104729) % 3000; }
static long I0_of(long c, long g) { return N_of(c, g) * (60 + (c + g) % 35) / 100; }
static double enroll_of(long g) { return 0.005 + 0.002 * (double)g; }
static double lapse_of(long g) { return 0.004 + 0.001 * (double)(g % 4); }

static int gen(const char *dir, long C, long G, long H, long R)
{
    char path[4096];
    mkdir(dir, 0777);
    snprintf(path, sizeof path, "%s/population.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) { perror(path); return 1; }
    fputs("commune_code,commune,district,province,group,population,insured\n", f);
    for (long c = 0; c < C; c++)
        for (long g = 0; g < G; g++)
            fprintf(f, "%05ld,Xã Số %ld,Huyện %ld,Tỉnh Thử Nghiệm,g%ld,%ld,%ld\n",
                    c, c + 1, c / 20 + 1, g, N_of(c, g), I0_of(c, g));
    fclose(f);
    snprintf(path, sizeof path, "%s/model.ini", dir);
    if (!(f = fopen(path, "w"))) { perror(path); return 1; }
    for (long g = 0; g < G; g++)
        fprintf(f, "[group.g%ld]\nenroll = %.4f\nlapse = %.4f\n\n", g, enroll_of(g), lapse_of(g));
    fclose(f);
    snprintf(path, sizeof path, "%s/scenario.ini", dir);
    if (!(f = fopen(path, "w"))) { perror(path); return 1; }
    fprintf(f, "[run]\npopulation = population.csv\nmodel = model.ini\nlevels = district, province\n"
               "start = 2020-12\nmonths = %ld\nreplicates = %ld\nseed = 12345\n\n"
               "[target.province]\nlevel = province\nthreshold = 75\ndeadline = %04ld-%02ld\n",
            H, R, 2020 + H / 12, H % 12 == 0 ? 12 : H % 12);
    fclose(f);
    return 0;
}

/* The floor: the same chains and draws with nothing else (one generator,
 * seeded once per cell; no events, statistics or output). */
static int sampler(long C, long G, long H, long R, int use_gsl)
{
    gsl_rng *r = gsl_rng_alloc(cov_rng_splitmix);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long long sink = 0, draws = 0;
    for (long k = 0; k < R; k++)
        for (long c = 0; c < C; c++)
            for (long g = 0; g < G; g++) {
                gsl_rng_set(r, cov_stream_key(1, (uint64_t)k, (uint64_t)c, (uint64_t)g, 0, 1));
                long N = N_of(c, g), I = I0_of(c, g);
                double pe = enroll_of(g), pl = lapse_of(g), le = log1p(-pe), ll = log1p(-pl);
                for (long m = 0; m < H; m++) {
                    int64_t E, L;
                    if (use_gsl) {
                        E = gsl_ran_binomial(r, pe, (unsigned)(N - I));
                        L = gsl_ran_binomial(r, pl, (unsigned)I);
                    } else {
                        cov_binomial_pair(r, pe, le, N - I, pl, ll, I, &E, &L);   /* as the engine draws them */
                    }
                    I += E - L;
                    draws += 2;
                }
                sink += I;
            }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("%s draws=%lld seconds=%.3f ns_per_draw=%.2f checksum=%lld\n", use_gsl ? "gsl_ran_binomial" : "cov_binomial", draws, s, 1e9 * s / (double)draws, sink);
    gsl_rng_free(r);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) { fputs("usage: province gen DIR [C G H R] | province sampler [C G H R]\n", stderr); return 2; }
    int base = !strcmp(argv[1], "gen") ? 3 : 2;
    long v[4] = { 200, 6, 36, 10000 };
    for (int i = 0; i < 4 && base + i < argc; i++) v[i] = atol(argv[base + i]);
    if (!strcmp(argv[1], "gen") && argc > 2) return gen(argv[2], v[0], v[1], v[2], v[3]);
    if (!strcmp(argv[1], "sampler")) return sampler(v[0], v[1], v[2], v[3], 0);
    if (!strcmp(argv[1], "gsl")) return sampler(v[0], v[1], v[2], v[3], 1);
    fputs("usage: province gen DIR [C G H R] | province sampler [C G H R]\n", stderr);
    return 2;
}
