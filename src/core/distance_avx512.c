/*-------------------------------------------------------------------------
 *
 * distance_avx512.c
 *	  Distance kernels for CPUs with AVX-512F.
 *
 * Like distance_avx2.c, every function carries its own target attribute, so
 * the file needs no special compiler flags; distance.c hands out this table
 * only after the CPU has been seen to support AVX-512F.  Only AVX-512F
 * instructions are used (no DQ/VL/BW), which every AVX-512 CPU has.
 *
 * Four independent accumulators (64 floats per iteration) keep the FMA
 * units busy despite their latency.  AVX-512's mask registers make the tail
 * simple: the last 1-15 elements are read with a zero-masking load, which
 * neither faults nor reads past the end of the vectors.
 *
 * The summation order differs from the scalar kernel's; the unit tests bound
 * the difference.  It depends only on n, never on where the vectors lie in
 * memory, so a distance computed from an index page and one computed from a
 * heap tuple are bit-for-bit equal.
 *
 * XXX A 64-byte load that straddles two cache lines costs two, so on
 * vectors that are not 64-byte aligned (PostgreSQL promises only 8) these
 * kernels run at about half their aligned speed for large dimensions; see
 * docs/benchmarks.md.  Peeling a head to align one operand would change the
 * summation order with the address and lose the property above.  Storing
 * vectors 64-byte aligned in index pages, and aligning the query copy, would
 * recover the speed; that is the page layout's decision, not this file's.
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>

#include "distance_impl.h"

#ifdef VG_HAVE_X86_SIMD

#include <immintrin.h>

#define VG_TARGET_AVX512 __attribute__((target("avx512f")))

/* Floats per vector register. */
#define LANES 16

/* A four-accumulator iteration covers this many floats. */
#define BLOCK (4 * LANES)

/* Mask selecting the first "rem" lanes (1 <= rem < LANES). */
static inline VG_TARGET_AVX512 __mmask16
tail_mask(size_t rem)
{
	return (__mmask16) ((1u << rem) - 1u);
}

static inline VG_TARGET_AVX512 __m512
l2_step(__m512 acc, __m512 va, __m512 vb)
{
	__m512		diff = _mm512_sub_ps(va, vb);

	return _mm512_fmadd_ps(diff, diff, acc);
}

static VG_TARGET_AVX512 float
avx512_l2_squared(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	__m512		acc0 = _mm512_setzero_ps();
	__m512		acc1 = _mm512_setzero_ps();
	__m512		acc2 = _mm512_setzero_ps();
	__m512		acc3 = _mm512_setzero_ps();
	size_t		i = 0;

	for (; i + BLOCK <= n; i += BLOCK)
	{
		acc0 = l2_step(acc0, _mm512_loadu_ps(a + i),
					   _mm512_loadu_ps(b + i));
		acc1 = l2_step(acc1, _mm512_loadu_ps(a + i + LANES),
					   _mm512_loadu_ps(b + i + LANES));
		acc2 = l2_step(acc2, _mm512_loadu_ps(a + i + 2 * LANES),
					   _mm512_loadu_ps(b + i + 2 * LANES));
		acc3 = l2_step(acc3, _mm512_loadu_ps(a + i + 3 * LANES),
					   _mm512_loadu_ps(b + i + 3 * LANES));
	}
	for (; i + LANES <= n; i += LANES)
		acc0 = l2_step(acc0, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
	if (i < n)
	{
		__mmask16	mask = tail_mask(n - i);

		acc1 = l2_step(acc1, _mm512_maskz_loadu_ps(mask, a + i),
					   _mm512_maskz_loadu_ps(mask, b + i));
	}

	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1),
											  _mm512_add_ps(acc2, acc3)));
}

static VG_TARGET_AVX512 float
avx512_inner_product(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	__m512		acc0 = _mm512_setzero_ps();
	__m512		acc1 = _mm512_setzero_ps();
	__m512		acc2 = _mm512_setzero_ps();
	__m512		acc3 = _mm512_setzero_ps();
	size_t		i = 0;

	for (; i + BLOCK <= n; i += BLOCK)
	{
		acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i),
							   _mm512_loadu_ps(b + i), acc0);
		acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + LANES),
							   _mm512_loadu_ps(b + i + LANES), acc1);
		acc2 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 2 * LANES),
							   _mm512_loadu_ps(b + i + 2 * LANES), acc2);
		acc3 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 3 * LANES),
							   _mm512_loadu_ps(b + i + 3 * LANES), acc3);
	}
	for (; i + LANES <= n; i += LANES)
		acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i),
							   _mm512_loadu_ps(b + i), acc0);
	if (i < n)
	{
		__mmask16	mask = tail_mask(n - i);

		acc1 = _mm512_fmadd_ps(_mm512_maskz_loadu_ps(mask, a + i),
							   _mm512_maskz_loadu_ps(mask, b + i), acc1);
	}

	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1),
											  _mm512_add_ps(acc2, acc3)));
}

/*
 * _mm512_abs_ps is AVX-512F (unlike _mm512_andnot_ps, which needs DQ), so
 * it clears the sign bit without widening our CPU requirement.
 */
static inline VG_TARGET_AVX512 __m512
l1_step(__m512 acc, __m512 va, __m512 vb)
{
	return _mm512_add_ps(acc, _mm512_abs_ps(_mm512_sub_ps(va, vb)));
}

static VG_TARGET_AVX512 float
avx512_l1(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	__m512		acc0 = _mm512_setzero_ps();
	__m512		acc1 = _mm512_setzero_ps();
	__m512		acc2 = _mm512_setzero_ps();
	__m512		acc3 = _mm512_setzero_ps();
	size_t		i = 0;

	for (; i + BLOCK <= n; i += BLOCK)
	{
		acc0 = l1_step(acc0, _mm512_loadu_ps(a + i),
					   _mm512_loadu_ps(b + i));
		acc1 = l1_step(acc1, _mm512_loadu_ps(a + i + LANES),
					   _mm512_loadu_ps(b + i + LANES));
		acc2 = l1_step(acc2, _mm512_loadu_ps(a + i + 2 * LANES),
					   _mm512_loadu_ps(b + i + 2 * LANES));
		acc3 = l1_step(acc3, _mm512_loadu_ps(a + i + 3 * LANES),
					   _mm512_loadu_ps(b + i + 3 * LANES));
	}
	for (; i + LANES <= n; i += LANES)
		acc0 = l1_step(acc0, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
	if (i < n)
	{
		__mmask16	mask = tail_mask(n - i);

		acc1 = l1_step(acc1, _mm512_maskz_loadu_ps(mask, a + i),
					   _mm512_maskz_loadu_ps(mask, b + i));
	}

	return _mm512_reduce_add_ps(_mm512_add_ps(_mm512_add_ps(acc0, acc1),
											  _mm512_add_ps(acc2, acc3)));
}

/* The three running sums of a cosine kernel, one register each. */
typedef struct CosAcc512
{
	__m512		dot;
	__m512		norm_a;
	__m512		norm_b;
} CosAcc512;

static inline VG_TARGET_AVX512 void
cos_init(CosAcc512 *acc)
{
	acc->dot = _mm512_setzero_ps();
	acc->norm_a = _mm512_setzero_ps();
	acc->norm_b = _mm512_setzero_ps();
}

static inline VG_TARGET_AVX512 void
cos_step(CosAcc512 *acc, __m512 va, __m512 vb)
{
	acc->dot = _mm512_fmadd_ps(va, vb, acc->dot);
	acc->norm_a = _mm512_fmadd_ps(va, va, acc->norm_a);
	acc->norm_b = _mm512_fmadd_ps(vb, vb, acc->norm_b);
}

/* Fold src into dst. */
static inline VG_TARGET_AVX512 void
cos_merge(CosAcc512 *dst, const CosAcc512 *src)
{
	dst->dot = _mm512_add_ps(dst->dot, src->dot);
	dst->norm_a = _mm512_add_ps(dst->norm_a, src->norm_a);
	dst->norm_b = _mm512_add_ps(dst->norm_b, src->norm_b);
}

static VG_TARGET_AVX512 VgCosineParts
avx512_cosine_parts(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	CosAcc512	acc0;
	CosAcc512	acc1;
	CosAcc512	acc2;
	CosAcc512	acc3;
	VgCosineParts parts;
	size_t		i = 0;

	cos_init(&acc0);
	cos_init(&acc1);
	cos_init(&acc2);
	cos_init(&acc3);

	for (; i + BLOCK <= n; i += BLOCK)
	{
		cos_step(&acc0, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
		cos_step(&acc1, _mm512_loadu_ps(a + i + LANES),
				 _mm512_loadu_ps(b + i + LANES));
		cos_step(&acc2, _mm512_loadu_ps(a + i + 2 * LANES),
				 _mm512_loadu_ps(b + i + 2 * LANES));
		cos_step(&acc3, _mm512_loadu_ps(a + i + 3 * LANES),
				 _mm512_loadu_ps(b + i + 3 * LANES));
	}
	for (; i + LANES <= n; i += LANES)
		cos_step(&acc0, _mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i));
	if (i < n)
	{
		__mmask16	mask = tail_mask(n - i);

		cos_step(&acc1, _mm512_maskz_loadu_ps(mask, a + i),
				 _mm512_maskz_loadu_ps(mask, b + i));
	}

	cos_merge(&acc0, &acc1);
	cos_merge(&acc2, &acc3);
	cos_merge(&acc0, &acc2);
	parts.dot = _mm512_reduce_add_ps(acc0.dot);
	parts.norm_a = _mm512_reduce_add_ps(acc0.norm_a);
	parts.norm_b = _mm512_reduce_add_ps(acc0.norm_b);
	return parts;
}

const VgDistanceKernels vg_distance_kernels_avx512 = {
	.level = VG_SIMD_AVX512,
	.l2_squared = avx512_l2_squared,
	.inner_product = avx512_inner_product,
	.l1 = avx512_l1,
	.cosine_parts = avx512_cosine_parts,
};

#endif							/* VG_HAVE_X86_SIMD */
