/* province.c — the synthetic province of the benchmark (the formula of
 * bench/numpy_reference.py) and the bare-sampler floor it is measured
 * against.
 *   province gen DIR [C G H R]   writes DIR/{population.csv,model.ini,scenario.ini} and the
 *                                same with parameter uncertainty, DIR/{model,scenario}-spread.ini
 *   province sampler [C G H R]   times the engine's draws alone (same streams, same order)
 *   province gsl [C G H R]       the same streams through gsl_ran_binomial */
#include "binomial.h"
#include "rng.h"
#include "text.h"

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
    /* spread: the group rates' and the communes' uncertainty of a calibrated model */
    for (int spread = 0; spread <= 1; spread++) {
        const char *sfx = spread ? "-spread" : "";
        snprintf(path, sizeof path, "%s/model%s.ini", dir, sfx);
        if (!(f = fopen(path, "w"))) { perror(path); return 1; }
        for (long g = 0; g < G; g++) {
            fprintf(f, "[group.g%ld]\nenroll = %.4f\nlapse = %.4f\n", g, enroll_of(g), lapse_of(g));
            if (spread) fputs("enroll_sd = 0.25\nlapse_sd = 0.20\n", f);
            fputc('\n', f);
        }
        if (spread) fputs("[communes]\nenroll_sd = 0.15\nlapse_sd = 0.10\n", f);
        fclose(f);
        snprintf(path, sizeof path, "%s/scenario%s.ini", dir, sfx);
        if (!(f = fopen(path, "w"))) { perror(path); return 1; }
        fprintf(f, "[run]\npopulation = population.csv\nmodel = model%s.ini\nlevels = district, province\n"
                   "start = 2020-12\nmonths = %ld\nreplicates = %ld\nseed = 12345\n\n"
                   "[target.province]\nlevel = province\nthreshold = 75\ndeadline = %04ld-%02ld\n",
                sfx, H, R, 2020 + H / 12, H % 12 == 0 ? 12 : H % 12);
        fclose(f);
    }
    /* per-unit rates: every commune its own rates (the group's times 0.8 to
     * 1.25) and errors, through [units] (level commune), for the cost of
     * rates per unit against the plain model */
    snprintf(path, sizeof path, "%s/rates-commune.csv", dir);
    if (!(f = fopen(path, "w"))) { perror(path); return 1; }
    fputs("level,unit,group,enroll,enroll_sd,lapse,lapse_sd\n", f);
    for (long c = 0; c < C; c++)
        for (long g = 0; g < G; g++) {
            double k = 0.8 + 0.05 * (double)((c * 7 + g) % 10);
            fprintf(f, "commune,%05ld,g%ld,%.5f,0.1,%.5f,0.08\n", c, g, enroll_of(g) * k, lapse_of(g) / k);
        }
    fclose(f);
    snprintf(path, sizeof path, "%s/model-units.ini", dir);
    if (!(f = fopen(path, "w"))) { perror(path); return 1; }
    for (long g = 0; g < G; g++) fprintf(f, "[group.g%ld]\nenroll = %.4f\nlapse = %.4f\n\n", g, enroll_of(g), lapse_of(g));
    fputs("[units]\nrates = rates-commune.csv\nlevel = commune\n", f);
    fclose(f);
    snprintf(path, sizeof path, "%s/scenario-units.ini", dir);
    if (!(f = fopen(path, "w"))) { perror(path); return 1; }
    fprintf(f, "[run]\npopulation = population.csv\nmodel = model-units.ini\nlevels = district, province\n"
               "start = 2020-12\nmonths = %ld\nreplicates = %ld\nseed = 12345\n\n"
               "[target.province]\nlevel = province\nthreshold = 75\ndeadline = %04ld-%02ld\n",
            H, R, 2020 + H / 12, H % 12 == 0 ? 12 : H % 12);
    fclose(f);
    return 0;
}

/* The floor: the engine's own draws, and nothing else. The same keyed
 * streams (one per cell and month: seed 12345, replicate, commune code,
 * group name, month), in the engine's order (replicate, commune, month,
 * group) and through the same cov_binomial_pair, so the numbers drawn are
 * the engine's: the checksum, the sum over replicates of the province's
 * insured in the last month, equals the engine's insured_mean x R. No
 * events, statistics or output. With use_gsl, gsl_ran_binomial on the
 * same streams instead. */
static int sampler(long C, long G, long H, long R, int use_gsl)
{
    const uint64_t seed = 12345;
    const int start = 2020 * 12 + 11;   /* 2020-12, as in scenario.ini */
    gsl_rng *r = gsl_rng_alloc(cov_rng_splitmix);
    uint64_t *ck = malloc((size_t)C * sizeof *ck), gk[64];
    long *N = malloc((size_t)(C * G) * sizeof *N), *I = malloc((size_t)(C * G) * sizeof *I);
    double pe[64], pl[64], le[64], ll[64];
    if (!r || !ck || !N || !I || G > 64) { fputs("province: out of memory\n", stderr); return 1; }
    for (long c = 0; c < C; c++) {
        char code[32];
        snprintf(code, sizeof code, "%05ld", c);
        ck[c] = cov_hash_str(code);
    }
    for (long g = 0; g < G; g++) {
        char name[32];
        snprintf(name, sizeof name, "g%ld", g);
        gk[g] = cov_hash_str(name);
        pe[g] = enroll_of(g); pl[g] = lapse_of(g);
        le[g] = log1p(-pe[g]); ll[g] = log1p(-pl[g]);
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    long long sink = 0, draws = 0;
    for (long k = 0; k < R; k++) {
        uint64_t hr = cov_key_mix(cov_key_mix(COV_KEY_ROOT, seed), (uint64_t)k);
        for (long c = 0; c < C; c++) {
            uint64_t hc = cov_key_mix(hr, ck[c]), prefix[64];
            long *n = N + c * G, *i = I + c * G;
            for (long g = 0; g < G; g++) { prefix[g] = cov_key_mix(hc, gk[g]); n[g] = N_of(c, g); i[g] = I0_of(c, g); }
            for (long m = 1; m <= H; m++)
                for (long g = 0; g < G; g++) {
                    cov_rng_seed(r, cov_key_mix(prefix[g], cov_month_purpose(start + m, COV_PURPOSE_TRANSITION)));
                    int64_t E, L;
                    if (use_gsl) {
                        E = gsl_ran_binomial(r, pe[g], (unsigned)(n[g] - i[g]));
                        L = gsl_ran_binomial(r, pl[g], (unsigned)i[g]);
                    } else {
                        cov_binomial_pair(r, pe[g], le[g], n[g] - i[g], pl[g], ll[g], i[g], &E, &L);
                    }
                    i[g] += E - L;
                    draws += 2;
                }
            for (long g = 0; g < G; g++) sink += i[g];
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double s = (double)(t1.tv_sec - t0.tv_sec) + 1e-9 * (double)(t1.tv_nsec - t0.tv_nsec);
    printf("%s draws=%lld seconds=%.3f ns_per_draw=%.2f checksum=%lld\n", use_gsl ? "gsl_ran_binomial" : "cov_binomial", draws, s, 1e9 * s / (double)draws, sink);
    gsl_rng_free(r);
    free(ck); free(N); free(I);
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
