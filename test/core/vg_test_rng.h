/*-------------------------------------------------------------------------
 *
 * vg_test_rng.h
 *	  A small seeded pseudo-random generator for the core unit tests.
 *
 * Tests must be reproducible run after run and machine after machine, which
 * rand() does not promise, so they use SplitMix64 (Steele, Lea and Flood,
 * "Fast splittable pseudorandom number generators", OOPSLA 2014): one 64-bit
 * word of state, a full period of 2^64 and good enough statistics for test
 * data.  It is not for cryptography or for the index's level sampling.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_TEST_RNG_H
#define VG_TEST_RNG_H

#include <stdint.h>

typedef struct VgTestRng
{
	uint64_t	state;
} VgTestRng;

static inline void
vg_rng_seed(VgTestRng *rng, uint64_t seed)
{
	rng->state = seed;
}

static inline uint64_t
vg_rng_next(VgTestRng *rng)
{
	uint64_t	z;

	rng->state += UINT64_C(0x9E3779B97F4A7C15);
	z = rng->state;
	z = (z ^ (z >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	z = (z ^ (z >> 27)) * UINT64_C(0x94D049BB133111EB);
	return z ^ (z >> 31);
}

/* Uniform in [0, 1), from the top 53 bits so that every value is exact. */
static inline double
vg_rng_unit(VgTestRng *rng)
{
	return (double) (vg_rng_next(rng) >> 11) * (1.0 / 9007199254740992.0);
}

/*
 * Uniform in [lo, hi], as a float: rounding to float can land on hi itself,
 * which no test here minds.
 */
static inline float
vg_rng_float(VgTestRng *rng, float lo, float hi)
{
	return (float) (lo + (hi - lo) * vg_rng_unit(rng));
}

/*
 * Uniform in [0, bound) for bound > 0.  The modulo bias is below
 * bound / 2^64, far too small for a test to notice.
 */
static inline uint64_t
vg_rng_below(VgTestRng *rng, uint64_t bound)
{
	return vg_rng_next(rng) % bound;
}

#endif							/* VG_TEST_RNG_H */
