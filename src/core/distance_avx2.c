/*-------------------------------------------------------------------------
 *
 * distance_avx2.c
 *	  Distance kernels for CPUs with AVX2 and FMA.
 *
 * Every function here carries its own target attribute, so this file needs
 * no special compiler flags and the code around it never picks up AVX
 * instructions by accident.  distance.c hands out this table only after the
 * CPU has been seen to support both extensions.
 *
 * An FMA has a latency of about four cycles and modern cores issue two per
 * cycle, so a single accumulator would keep the FMA units idle most of the
 * time.  The main loops therefore keep four independent accumulators (32
 * floats per iteration) and add them together only at the end.  The last
 * 1-7 elements are read with a masked load, which does not touch memory
 * past the end of the vectors, so the tail is summed in vector lanes too.
 *
 * The summation order differs from the scalar kernel's; the unit tests bound
 * the difference.  It depends only on n, never on where the vectors lie in
 * memory, so a distance computed from an index page and one computed from a
 * heap tuple are bit-for-bit equal.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>

#include "distance_impl.h"

#ifdef VG_HAVE_X86_SIMD

#include <immintrin.h>

#define VG_TARGET_AVX2 __attribute__((target("avx2,fma")))

/* Floats per vector register. */
#define LANES 8

/* A four-accumulator iteration covers this many floats. */
#define BLOCK (4 * LANES)

/* Sum of the eight lanes. */
static inline VG_TARGET_AVX2 float
hsum256(__m256 v)
{
	__m128		lo = _mm256_castps256_ps128(v);
	__m128		hi = _mm256_extractf128_ps(v, 1);

	lo = _mm_add_ps(lo, hi);
	hi = _mm_movehl_ps(hi, lo);
	lo = _mm_add_ps(lo, hi);
	hi = _mm_shuffle_ps(lo, lo, 1);
	lo = _mm_add_ss(lo, hi);
	return _mm_cvtss_f32(lo);
}

/*
 * Mask selecting the first "rem" lanes (1 <= rem < LANES).  Masked-off lanes
 * load as zero, which adds nothing to any of our sums.
 */
static inline VG_TARGET_AVX2 __m256i
tail_mask(size_t rem)
{
	return _mm256_cmpgt_epi32(_mm256_set1_epi32((int) rem),
							  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

static inline VG_TARGET_AVX2 __m256
l2_step(__m256 acc, __m256 va, __m256 vb)
{
	__m256		diff = _mm256_sub_ps(va, vb);

	return _mm256_fmadd_ps(diff, diff, acc);
}

static VG_TARGET_AVX2 float
avx2_l2_squared(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	__m256		acc2 = _mm256_setzero_ps();
	__m256		acc3 = _mm256_setzero_ps();
	size_t		i = 0;

	for (; i + BLOCK <= n; i += BLOCK)
	{
		acc0 = l2_step(acc0, _mm256_loadu_ps(a + i),
					   _mm256_loadu_ps(b + i));
		acc1 = l2_step(acc1, _mm256_loadu_ps(a + i + LANES),
					   _mm256_loadu_ps(b + i + LANES));
		acc2 = l2_step(acc2, _mm256_loadu_ps(a + i + 2 * LANES),
					   _mm256_loadu_ps(b + i + 2 * LANES));
		acc3 = l2_step(acc3, _mm256_loadu_ps(a + i + 3 * LANES),
					   _mm256_loadu_ps(b + i + 3 * LANES));
	}
	for (; i + LANES <= n; i += LANES)
		acc0 = l2_step(acc0, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
	if (i < n)
	{
		__m256i		mask = tail_mask(n - i);

		acc1 = l2_step(acc1, _mm256_maskload_ps(a + i, mask),
					   _mm256_maskload_ps(b + i, mask));
	}

	return hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1),
								 _mm256_add_ps(acc2, acc3)));
}

static VG_TARGET_AVX2 float
avx2_inner_product(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	__m256		acc2 = _mm256_setzero_ps();
	__m256		acc3 = _mm256_setzero_ps();
	size_t		i = 0;

	for (; i + BLOCK <= n; i += BLOCK)
	{
		acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i),
							   _mm256_loadu_ps(b + i), acc0);
		acc1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + LANES),
							   _mm256_loadu_ps(b + i + LANES), acc1);
		acc2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 2 * LANES),
							   _mm256_loadu_ps(b + i + 2 * LANES), acc2);
		acc3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 3 * LANES),
							   _mm256_loadu_ps(b + i + 3 * LANES), acc3);
	}
	for (; i + LANES <= n; i += LANES)
		acc0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i),
							   _mm256_loadu_ps(b + i), acc0);
	if (i < n)
	{
		__m256i		mask = tail_mask(n - i);

		acc1 = _mm256_fmadd_ps(_mm256_maskload_ps(a + i, mask),
							   _mm256_maskload_ps(b + i, mask), acc1);
	}

	return hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1),
								 _mm256_add_ps(acc2, acc3)));
}

/*
 * L1 has no multiply to fuse, so each step is a subtract, a sign-bit clear
 * and a plain add; the add's latency is what the accumulators hide here.
 */
static inline VG_TARGET_AVX2 __m256
l1_step(__m256 acc, __m256 va, __m256 vb)
{
	__m256		diff = _mm256_sub_ps(va, vb);

	return _mm256_add_ps(acc,
						 _mm256_andnot_ps(_mm256_set1_ps(-0.0f), diff));
}

static VG_TARGET_AVX2 float
avx2_l1(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	__m256		acc0 = _mm256_setzero_ps();
	__m256		acc1 = _mm256_setzero_ps();
	__m256		acc2 = _mm256_setzero_ps();
	__m256		acc3 = _mm256_setzero_ps();
	size_t		i = 0;

	for (; i + BLOCK <= n; i += BLOCK)
	{
		acc0 = l1_step(acc0, _mm256_loadu_ps(a + i),
					   _mm256_loadu_ps(b + i));
		acc1 = l1_step(acc1, _mm256_loadu_ps(a + i + LANES),
					   _mm256_loadu_ps(b + i + LANES));
		acc2 = l1_step(acc2, _mm256_loadu_ps(a + i + 2 * LANES),
					   _mm256_loadu_ps(b + i + 2 * LANES));
		acc3 = l1_step(acc3, _mm256_loadu_ps(a + i + 3 * LANES),
					   _mm256_loadu_ps(b + i + 3 * LANES));
	}
	for (; i + LANES <= n; i += LANES)
		acc0 = l1_step(acc0, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
	if (i < n)
	{
		__m256i		mask = tail_mask(n - i);

		acc1 = l1_step(acc1, _mm256_maskload_ps(a + i, mask),
					   _mm256_maskload_ps(b + i, mask));
	}

	return hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1),
								 _mm256_add_ps(acc2, acc3)));
}

/*
 * The three running sums of a cosine kernel, one register each.  Keeping
 * four of these live (twelve registers) still leaves room in the sixteen
 * YMM registers for the loaded operands.
 */
typedef struct CosAcc256
{
	__m256		dot;
	__m256		norm_a;
	__m256		norm_b;
} CosAcc256;

static inline VG_TARGET_AVX2 void
cos_init(CosAcc256 *acc)
{
	acc->dot = _mm256_setzero_ps();
	acc->norm_a = _mm256_setzero_ps();
	acc->norm_b = _mm256_setzero_ps();
}

static inline VG_TARGET_AVX2 void
cos_step(CosAcc256 *acc, __m256 va, __m256 vb)
{
	acc->dot = _mm256_fmadd_ps(va, vb, acc->dot);
	acc->norm_a = _mm256_fmadd_ps(va, va, acc->norm_a);
	acc->norm_b = _mm256_fmadd_ps(vb, vb, acc->norm_b);
}

/* Fold src into dst. */
static inline VG_TARGET_AVX2 void
cos_merge(CosAcc256 *dst, const CosAcc256 *src)
{
	dst->dot = _mm256_add_ps(dst->dot, src->dot);
	dst->norm_a = _mm256_add_ps(dst->norm_a, src->norm_a);
	dst->norm_b = _mm256_add_ps(dst->norm_b, src->norm_b);
}

static VG_TARGET_AVX2 VgCosineParts
avx2_cosine_parts(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	CosAcc256	acc0;
	CosAcc256	acc1;
	CosAcc256	acc2;
	CosAcc256	acc3;
	VgCosineParts parts;
	size_t		i = 0;

	cos_init(&acc0);
	cos_init(&acc1);
	cos_init(&acc2);
	cos_init(&acc3);

	for (; i + BLOCK <= n; i += BLOCK)
	{
		cos_step(&acc0, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
		cos_step(&acc1, _mm256_loadu_ps(a + i + LANES),
				 _mm256_loadu_ps(b + i + LANES));
		cos_step(&acc2, _mm256_loadu_ps(a + i + 2 * LANES),
				 _mm256_loadu_ps(b + i + 2 * LANES));
		cos_step(&acc3, _mm256_loadu_ps(a + i + 3 * LANES),
				 _mm256_loadu_ps(b + i + 3 * LANES));
	}
	for (; i + LANES <= n; i += LANES)
		cos_step(&acc0, _mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i));
	if (i < n)
	{
		__m256i		mask = tail_mask(n - i);

		cos_step(&acc1, _mm256_maskload_ps(a + i, mask),
				 _mm256_maskload_ps(b + i, mask));
	}

	cos_merge(&acc0, &acc1);
	cos_merge(&acc2, &acc3);
	cos_merge(&acc0, &acc2);
	parts.dot = hsum256(acc0.dot);
	parts.norm_a = hsum256(acc0.norm_a);
	parts.norm_b = hsum256(acc0.norm_b);
	return parts;
}

const VgDistanceKernels vg_distance_kernels_avx2 = {
	.level = VG_SIMD_AVX2,
	.l2_squared = avx2_l2_squared,
	.inner_product = avx2_inner_product,
	.l1 = avx2_l1,
	.cosine_parts = avx2_cosine_parts,
};

#endif							/* VG_HAVE_X86_SIMD */
