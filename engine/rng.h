/* rng.h — keyed random streams (MODEL.md "Randomness and reproducibility").
 * A stream is fixed by (seed, replicate, commune, group, month, purpose):
 * never by thread or position, so results do not depend on thread count
 * or on which other communes are in the file. */
#ifndef COV_RNG_H
#define COV_RNG_H

#include <gsl/gsl_rng.h>
#include <stdint.h>

/* What a stream is for: part of its key. Values are fixed forever: changing
 * one changes every result. */
enum {
    COV_PURPOSE_TRANSITION = 1,   /* monthly enroll and lapse draws of a cell */
    COV_PURPOSE_GROUP_RATE = 2,   /* per-replicate rate factors of a group */
    COV_PURPOSE_COMMUNE_RE = 3,   /* per-replicate commune random effect */
    COV_PURPOSE_CAMPAIGN = 4,     /* per-replicate campaign effect */
    COV_PURPOSE_TRANSITION_HARD = 5, /* monthly draws of a group's hard-to-reach cell */
    COV_PURPOSE_RECLASSIFY = 6,   /* movers and keepers of a reclassification */
    COV_PURPOSE_EVENT_PARAM = 7,  /* per-replicate keep / drive probabilities */
    COV_PURPOSE_SCHOOL = 8,       /* a school drive's enrollments */
    COV_PURPOSE_BIRTHS = 9,
    COV_PURPOSE_DEATHS = 10,
    COV_PURPOSE_UNIT_RATE = 11,   /* per-replicate rate factors of a unit of a rates file, per group */
    COV_PURPOSE_COMMON_RATE = 12, /* per-replicate [common] factors shared by every group */
    COV_PURPOSE_SHOCK = 13        /* per-replicate, per-month step of the common shock's random walk */
};

/* The generator behind every stream: SplitMix64 (Steele, Lea and Flood
 * 2014; Java's SplittableRandom), exposed through the gsl_rng interface so
 * GSL's samplers draw from it. Its state is one 64-bit counter and its
 * output a strong 64-bit mix of the counter, so restarting it on a stream,
 * gsl_rng_set(r, key), is just storing the key: the engine restarts a
 * stream for every cell and month. */
extern const gsl_rng_type *cov_rng_splitmix;

typedef struct { uint64_t x; } cov_sm_state;

static inline uint64_t cov_sm_next(cov_sm_state *st)
{
    uint64_t z = (st->x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A uniform in [0, 1) from r: inline for covcast's generator (the same
 * numbers gsl_rng_uniform gives through the gsl_rng interface). */
static inline double cov_uniform(gsl_rng *r)
{
    if (r->type == cov_rng_splitmix) return (double)(cov_sm_next(r->state) >> 11) * 0x1.0p-53;
    return gsl_rng_uniform(r);
}

/* Restarts r on the stream with this key (as gsl_rng_set, inline). */
static inline void cov_rng_seed(gsl_rng *r, uint64_t key)
{
    if (r->type != cov_rng_splitmix) { gsl_rng_set(r, (unsigned long)key); return; }
    ((cov_sm_state *)r->state)->x = key;
}

/* The 64-bit key of a stream. commune and group are hashes of their names or
 * codes (0 where not applicable); month is absolute (year*12 + month-1). */
/* Keys are built by chaining: cov_key_mix(cov_key_mix(h, a), b)... so a
 * loop can reuse the prefix (seed, replicate, commune, group) and add only
 * month and purpose, which enter together in one step as
 * cov_month_purpose(month, purpose) (purposes are below 256). cov_stream_key
 * is exactly that chain from COV_KEY_ROOT. */
#define COV_KEY_ROOT 0x636f76636173742dULL  /* "covcast-" */
static inline uint64_t cov_key_mix(uint64_t h, uint64_t v)
{
    uint64_t z = (h ^ (v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2))) + 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static inline uint64_t cov_month_purpose(int64_t month, uint64_t purpose)
{
    return (uint64_t)month << 8 | purpose;
}

uint64_t cov_stream_key(uint64_t seed, uint64_t replicate, uint64_t commune,
                        uint64_t group, int64_t month, uint64_t purpose);

#endif
