/*-------------------------------------------------------------------------
 *
 * half_avx512.c
 *	  Half-precision kernels for CPUs with AVX-512F (and F16C).
 *
 * Sixteen halves load as 32 bytes and widen to sixteen floats in one
 * instruction (AVX-512F's own vcvtph2ps); the rest is distance_avx512.c's
 * four-accumulator loop.  The last 1-15 elements are copied into a zeroed
 * block, since AVX-512F alone has no masked 16-bit load.
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

#define VG_TARGET_AVX512 __attribute__((target("avx512f")))

#define LANES 16
#define BLOCK (4 * LANES)

static inline VG_TARGET_AVX512 __m512
load16(const VgHalf *p)
{
	return _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *) p));
}

static inline VG_TARGET_AVX512 __m512
load_tail(const VgHalf *p, size_t rem)
{
	VgHalf		block[LANES] = {0};

	memcpy(block, p, rem * sizeof(VgHalf));
	return load16(block);
}

/* The last rem (< LANES) floats, zero beyond them. */
static inline VG_TARGET_AVX512 __m512
load_float_tail(const float *p, size_t rem)
{
	return _mm512_maskz_loadu_ps((__mmask16) ((1u << rem) - 1u), p);
}

static inline VG_TARGET_AVX512 __m512
l2_step(__m512 acc, __m512 x, __m512 y)
{
	__m512		d = _mm512_sub_ps(x, y);

	return _mm512_fmadd_ps(d, d, acc);
}

static inline VG_TARGET_AVX512 __m512
ip_step(__m512 acc, __m512 x, __m512 y)
{
	return _mm512_fmadd_ps(x, y, acc);
}

/* |x - y| by clearing the sign bit (AVX-512F has no float andnot). */
static inline VG_TARGET_AVX512 __m512
l1_step(__m512 acc, __m512 x, __m512 y)
{
	__m512i		d = _mm512_castps_si512(_mm512_sub_ps(x, y));

	return _mm512_add_ps(acc, _mm512_castsi512_ps(
												   _mm512_and_si512(d, _mm512_set1_epi32(0x7FFFFFFF))));
}

#define HALF_PAIR_KERNEL(name, step) \
static VG_TARGET_AVX512 float \
name(const void *va, const void *vb, size_t n) \
{ \
	const VgHalf *a = va; \
	const VgHalf *b = vb; \
	__m512		acc0 = _mm512_setzero_ps(); \
	__m512		acc1 = _mm512_setzero_ps(); \
	__m512		acc2 = _mm512_setzero_ps(); \
	__m512		acc3 = _mm512_setzero_ps(); \
	size_t		i = 0; \
\
	for (; i + BLOCK <= n; i += BLOCK) \
	{ \
		acc0 = step(acc0, load16(a + i), load16(b + i)); \
		acc1 = step(acc1, load16(a + i + LANES), load16(b + i + LANES)); \
		acc2 = step(acc2, load16(a + i + 2 * LANES), load16(b + i + 2 * LANES)); \
		acc3 = step(acc3, load16(a + i + 3 * LANES), load16(b + i + 3 * LANES)); \
	} \
	for (; i + LANES <= n; i += LANES) \
		acc0 = step(acc0, load16(a + i), load16(b + i)); \
	if (i < n) \
		acc1 = step(acc1, load_tail(a + i, n - i), load_tail(b + i, n - i)); \
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), \
											  _mm512_add_ps(acc2, acc3))); \
}

HALF_PAIR_KERNEL(avx512_half_l2_squared, l2_step)
HALF_PAIR_KERNEL(avx512_half_inner_product, ip_step)
HALF_PAIR_KERNEL(avx512_half_l1, l1_step)

/* The float kernel's accumulation scheme (see half_avx2.c). */
typedef struct CosAcc
{
	__m512		dot;
	__m512		norm_a;
	__m512		norm_b;
} CosAcc;

static inline VG_TARGET_AVX512 void
cos_step(CosAcc *acc, __m512 x, __m512 y)
{
	acc->dot = _mm512_fmadd_ps(x, y, acc->dot);
	acc->norm_a = _mm512_fmadd_ps(x, x, acc->norm_a);
	acc->norm_b = _mm512_fmadd_ps(y, y, acc->norm_b);
}

static inline VG_TARGET_AVX512 void
cos_merge(CosAcc *dst, const CosAcc *src)
{
	dst->dot = _mm512_add_ps(dst->dot, src->dot);
	dst->norm_a = _mm512_add_ps(dst->norm_a, src->norm_a);
	dst->norm_b = _mm512_add_ps(dst->norm_b, src->norm_b);
}

static VG_TARGET_AVX512 VgCosineParts
avx512_half_cosine_parts(const void *va, const void *vb, size_t n)
{
	const VgHalf *a = va;
	const VgHalf *b = vb;
	CosAcc		acc[4];
	VgCosineParts parts;
	size_t		i = 0;

	for (int j = 0; j < 4; j++)
		acc[j].dot = acc[j].norm_a = acc[j].norm_b = _mm512_setzero_ps();
	for (; i + BLOCK <= n; i += BLOCK)
		for (int j = 0; j < 4; j++)
			cos_step(&acc[j], load16(a + i + j * LANES), load16(b + i + j * LANES));
	for (; i + LANES <= n; i += LANES)
		cos_step(&acc[0], load16(a + i), load16(b + i));
	if (i < n)
		cos_step(&acc[1], load_tail(a + i, n - i), load_tail(b + i, n - i));
	cos_merge(&acc[0], &acc[1]);
	cos_merge(&acc[2], &acc[3]);
	cos_merge(&acc[0], &acc[2]);
	parts.dot = _mm512_reduce_add_ps(acc[0].dot);
	parts.norm_a = _mm512_reduce_add_ps(acc[0].norm_a);
	parts.norm_b = _mm512_reduce_add_ps(acc[0].norm_b);
	return parts;
}

const VgDistanceKernels vg_half_kernels_avx512 = {
	.level = VG_SIMD_AVX512,
	.l2_squared = avx512_half_l2_squared,
	.inner_product = avx512_half_inner_product,
	.l1 = avx512_half_l1,
	.cosine_parts = avx512_half_cosine_parts,
};


/*
 * Mixed kernels: a is float (a query, converted once), b is half (stored
 * vectors); half the conversions of a half kernel, and the same sums as the
 * float kernel of a and b's values.
 */
#define MIXED_PAIR_KERNEL(name, step) \
static VG_TARGET_AVX512 float \
name(const void *va, const void *vb, size_t n) \
{ \
	const float *a = va; \
	const VgHalf *b = vb; \
	__m512		acc0 = _mm512_setzero_ps(); \
	__m512		acc1 = _mm512_setzero_ps(); \
	__m512		acc2 = _mm512_setzero_ps(); \
	__m512		acc3 = _mm512_setzero_ps(); \
	size_t		i = 0; \
\
	for (; i + BLOCK <= n; i += BLOCK) \
	{ \
		acc0 = step(acc0, _mm512_loadu_ps(a + i), load16(b + i)); \
		acc1 = step(acc1, _mm512_loadu_ps(a + i + LANES), load16(b + i + LANES)); \
		acc2 = step(acc2, _mm512_loadu_ps(a + i + 2 * LANES), load16(b + i + 2 * LANES)); \
		acc3 = step(acc3, _mm512_loadu_ps(a + i + 3 * LANES), load16(b + i + 3 * LANES)); \
	} \
	for (; i + LANES <= n; i += LANES) \
		acc0 = step(acc0, _mm512_loadu_ps(a + i), load16(b + i)); \
	if (i < n) \
		acc1 = step(acc1, load_float_tail(a + i, n - i), load_tail(b + i, n - i)); \
	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1), \
								 _mm512_add_ps(acc2, acc3))); \
}

MIXED_PAIR_KERNEL(mixed_avx512_l2_squared, l2_step)
MIXED_PAIR_KERNEL(mixed_avx512_inner_product, ip_step)
MIXED_PAIR_KERNEL(mixed_avx512_l1, l1_step)

static VG_TARGET_AVX512 VgCosineParts
mixed_avx512_cosine_parts(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const VgHalf *b = vb;
	CosAcc		acc[4];
	VgCosineParts parts;
	size_t		i = 0;

	for (int j = 0; j < 4; j++)
		acc[j].dot = acc[j].norm_a = acc[j].norm_b = _mm512_setzero_ps();
	for (; i + BLOCK <= n; i += BLOCK)
		for (int j = 0; j < 4; j++)
			cos_step(&acc[j], _mm512_loadu_ps(a + i + j * LANES), load16(b + i + j * LANES));
	for (; i + LANES <= n; i += LANES)
		cos_step(&acc[0], _mm512_loadu_ps(a + i), load16(b + i));
	if (i < n)
		cos_step(&acc[1], load_float_tail(a + i, n - i), load_tail(b + i, n - i));
	cos_merge(&acc[0], &acc[1]);
	cos_merge(&acc[2], &acc[3]);
	cos_merge(&acc[0], &acc[2]);
	parts.dot = _mm512_reduce_add_ps(acc[0].dot);
	parts.norm_a = _mm512_reduce_add_ps(acc[0].norm_a);
	parts.norm_b = _mm512_reduce_add_ps(acc[0].norm_b);
	return parts;
}

const VgDistanceKernels vg_mixed_kernels_avx512 = {
	.level = VG_SIMD_AVX512,
	.l2_squared = mixed_avx512_l2_squared,
	.inner_product = mixed_avx512_inner_product,
	.l1 = mixed_avx512_l1,
	.cosine_parts = mixed_avx512_cosine_parts,
};

#endif							/* VG_HAVE_X86_SIMD */
