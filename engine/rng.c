/* rng.c — the SplitMix64 generator as a gsl_rng type, and stream keys. */
#include "rng.h"

static void sm_set(void *vstate, unsigned long seed)
{
    ((cov_sm_state *)vstate)->x = (uint64_t)seed;
}

static unsigned long sm_get(void *vstate)
{
    return (unsigned long)(cov_sm_next(vstate) >> 32);
}

static double sm_get_double(void *vstate)
{
    return (double)(cov_sm_next(vstate) >> 11) * 0x1.0p-53;
}

static const gsl_rng_type splitmix_type = {
    "splitmix64", 0xffffffffUL, 0, sizeof(cov_sm_state), sm_set, sm_get, sm_get_double
};

const gsl_rng_type *cov_rng_splitmix = &splitmix_type;

uint64_t cov_stream_key(uint64_t seed, uint64_t replicate, uint64_t commune,
                        uint64_t group, int64_t month, uint64_t purpose)
{
    uint64_t h = cov_key_mix(COV_KEY_ROOT, seed);
    h = cov_key_mix(h, replicate);
    h = cov_key_mix(h, commune);
    h = cov_key_mix(h, group);
    return cov_key_mix(h, cov_month_purpose(month, purpose));
}
