/* rng.c — the xoshiro256** generator as a gsl_rng type, and stream keys.
 * Seeding is cheap (four splitmix64 steps) because every cell and month
 * starts its own stream. */
#include "rng.h"

#include <string.h>

typedef struct { uint64_t s[4]; } xo_state;

static inline uint64_t splitmix64(uint64_t *x)
{
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

static inline uint64_t xo_next(xo_state *st)
{
    uint64_t *s = st->s;
    uint64_t r = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t; s[3] = rotl(s[3], 45);
    return r;
}

static void xo_set(void *vstate, unsigned long seed)
{
    xo_state *st = vstate;
    uint64_t x = (uint64_t)seed;
    for (int i = 0; i < 4; i++) st->s[i] = splitmix64(&x);
}

static unsigned long xo_get(void *vstate)
{
    return (unsigned long)(xo_next(vstate) >> 32);
}

static double xo_get_double(void *vstate)
{
    return (double)(xo_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type xoshiro_type = {
    "xoshiro256**", 0xffffffffUL, 0, sizeof(xo_state), xo_set, xo_get, xo_get_double
};

const gsl_rng_type *cov_rng_xoshiro = &xoshiro_type;

uint64_t cov_stream_key(uint64_t seed, uint64_t replicate, uint64_t commune,
                        uint64_t group, int64_t month, uint64_t purpose)
{
    uint64_t h = cov_key_mix(COV_KEY_ROOT, seed);
    h = cov_key_mix(h, replicate);
    h = cov_key_mix(h, commune);
    h = cov_key_mix(h, group);
    h = cov_key_mix(h, (uint64_t)month);
    return cov_key_mix(h, purpose);
}
