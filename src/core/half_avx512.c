/*-------------------------------------------------------------------------
 *
 * half_avx512.c
 *	  Half-precision kernels for CPUs with AVX-512F (and F16C).
 *
 * Sixteen halves load as 32 bytes and widen to sixteen floats in one
 * instruction (AVX-512F's own vcvtph2ps); the loops are half_loops.h's.
 * The last 1-15 halves are copied into a zeroed block, since AVX-512F alone
 * has no masked 16-bit load.
 *
 * XXX CPUs with AVX-512 FP16 could multiply halves directly, but sums of
 * thousands of products need float accumulators anyway, and none of our
 * machines has FP16 to test such a kernel on; conversion is one
 * instruction per sixteen elements, hidden behind the loads.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "half_impl.h"

#ifdef VG_HAVE_X86_SIMD

#include <immintrin.h>

#define VG_TARGET __attribute__((target("avx512f")))

#define LANES 16
#define BLOCK (4 * LANES)

#define VG_VEC __m512

static inline VG_TARGET __m512
vec_zero(void)
{
	return _mm512_setzero_ps();
}

static inline VG_TARGET __m512
vec_add(__m512 x, __m512 y)
{
	return _mm512_add_ps(x, y);
}

static inline VG_TARGET __m512
vec_sub(__m512 x, __m512 y)
{
	return _mm512_sub_ps(x, y);
}

static inline VG_TARGET __m512
vec_fma(__m512 x, __m512 y, __m512 acc)
{
	return _mm512_fmadd_ps(x, y, acc);
}

/* |x| by clearing the sign bit (AVX-512F has no float andnot). */
static inline VG_TARGET __m512
vec_abs(__m512 x)
{
	return _mm512_castsi512_ps(_mm512_and_si512(_mm512_castps_si512(x),
												_mm512_set1_epi32(0x7FFFFFFF)));
}

static inline VG_TARGET float
vec_sum(__m512 v)
{
	return _mm512_reduce_add_ps(v);
}

static inline VG_TARGET __m512
load_half(const VgHalf *p)
{
	return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p));
}

/* The last rem (< LANES) halves, zero beyond them. */
static inline VG_TARGET __m512
tail_half(const VgHalf *p, size_t rem)
{
	VgHalf		block[LANES] = {0};

	memcpy(block, p, rem * sizeof(VgHalf));
	return load_half(block);
}

static inline VG_TARGET __m512
load_float(const float *p)
{
	return _mm512_loadu_ps(p);
}

/* The last rem (< LANES) floats, zero beyond them. */
static inline VG_TARGET __m512
tail_float(const float *p, size_t rem)
{
	return _mm512_maskz_loadu_ps((__mmask16) ((1u << rem) - 1u), p);
}

#include "half_loops.h"

VG_HALF_KERNEL_TABLES(avx512, VG_SIMD_AVX512)

#endif							/* VG_HAVE_X86_SIMD */
