/*-------------------------------------------------------------------------
 *
 * half_avx2.c
 *	  Half-precision kernels and conversions for CPUs with AVX2, FMA and
 *	  F16C.
 *
 * Eight halves load as 16 bytes and widen to eight floats in one F16C
 * instruction; from there each step is the float kernel's step, with the
 * same four accumulators (distance_avx2.c explains them).  A load reads
 * half the bytes of a float kernel's, which is the point: a search's
 * distances are bound by memory traffic more than by arithmetic.  The last
 * 1-7 elements are copied into a zeroed block first, so nothing past the end
 * of a vector is read.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "half_impl.h"

#ifdef VG_HAVE_X86_SIMD

#include <cpuid.h>
#include <immintrin.h>

#define VG_TARGET_F16C __attribute__((target("avx2,fma,f16c")))

#define LANES 8
#define BLOCK (4 * LANES)

/*
 * CPUID leaf 1, ECX bit 29; AVX2 detection has already checked XSAVE.
 * Asked once: in a virtual machine CPUID traps to the hypervisor, which
 * costs microseconds, and queries convert vectors all the time.
 */
int
vg_cpu_has_f16c(void)
{
	static int	known = -1;

	if (known < 0)
	{
		unsigned int eax,
					ebx,
					ecx,
					edx;

		known = __get_cpuid(1, &eax, &ebx, &ecx, &edx) && (ecx & bit_F16C) != 0;
	}
	return known;
}

static inline VG_TARGET_F16C __m256
load8(const VgHalf *p)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p));
}

/* The last rem (< LANES) halves, zero beyond them. */
static inline VG_TARGET_F16C __m256
load_tail(const VgHalf *p, size_t rem)
{
	VgHalf		block[LANES] = {0};

	memcpy(block, p, rem * sizeof(VgHalf));
	return load8(block);
}

/* The last rem (< LANES) floats, zero beyond them. */
static inline VG_TARGET_F16C __m256
load_float_tail(const float *p, size_t rem)
{
	__m256i		mask = _mm256_cmpgt_epi32(_mm256_set1_epi32((int) rem),
										  _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));

	return _mm256_maskload_ps(p, mask);
}

static inline VG_TARGET_F16C float
hsum256(__m256 v)
{
	__m128		lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
	return _mm_cvtss_f32(lo);
}

static inline VG_TARGET_F16C __m256
l2_step(__m256 acc, __m256 x, __m256 y)
{
	__m256		d = _mm256_sub_ps(x, y);

	return _mm256_fmadd_ps(d, d, acc);
}

static inline VG_TARGET_F16C __m256
ip_step(__m256 acc, __m256 x, __m256 y)
{
	return _mm256_fmadd_ps(x, y, acc);
}

static inline VG_TARGET_F16C __m256
l1_step(__m256 acc, __m256 x, __m256 y)
{
	return _mm256_add_ps(acc, _mm256_andnot_ps(_mm256_set1_ps(-0.0f),
											   _mm256_sub_ps(x, y)));
}

/*
 * One loop shape for the three single-sum kernels; the step is inlined into
 * each instance.
 */
#define HALF_PAIR_KERNEL(name, step) \
static VG_TARGET_F16C float \
name(const void *va, const void *vb, size_t n) \
{ \
	const VgHalf *a = va; \
	const VgHalf *b = vb; \
	__m256		acc0 = _mm256_setzero_ps(); \
	__m256		acc1 = _mm256_setzero_ps(); \
	__m256		acc2 = _mm256_setzero_ps(); \
	__m256		acc3 = _mm256_setzero_ps(); \
	size_t		i = 0; \
\
	for (; i + BLOCK <= n; i += BLOCK) \
	{ \
		acc0 = step(acc0, load8(a + i), load8(b + i)); \
		acc1 = step(acc1, load8(a + i + LANES), load8(b + i + LANES)); \
		acc2 = step(acc2, load8(a + i + 2 * LANES), load8(b + i + 2 * LANES)); \
		acc3 = step(acc3, load8(a + i + 3 * LANES), load8(b + i + 3 * LANES)); \
	} \
	for (; i + LANES <= n; i += LANES) \
		acc0 = step(acc0, load8(a + i), load8(b + i)); \
	if (i < n) \
		acc1 = step(acc1, load_tail(a + i, n - i), load_tail(b + i, n - i)); \
	return hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), \
								 _mm256_add_ps(acc2, acc3))); \
}

HALF_PAIR_KERNEL(f16c_l2_squared, l2_step)
HALF_PAIR_KERNEL(f16c_inner_product, ip_step)
HALF_PAIR_KERNEL(f16c_l1, l1_step)

/*
 * The float kernel's scheme: four sets of the three sums over blocks of 32,
 * single blocks into the first, the tail into the second, so that a halfvec
 * and a vector of the same values give the same cosine bit for bit.
 */
typedef struct CosAcc
{
	__m256		dot;
	__m256		norm_a;
	__m256		norm_b;
} CosAcc;

static inline VG_TARGET_F16C void
cos_step(CosAcc *acc, __m256 x, __m256 y)
{
	acc->dot = _mm256_fmadd_ps(x, y, acc->dot);
	acc->norm_a = _mm256_fmadd_ps(x, x, acc->norm_a);
	acc->norm_b = _mm256_fmadd_ps(y, y, acc->norm_b);
}

static inline VG_TARGET_F16C void
cos_merge(CosAcc *dst, const CosAcc *src)
{
	dst->dot = _mm256_add_ps(dst->dot, src->dot);
	dst->norm_a = _mm256_add_ps(dst->norm_a, src->norm_a);
	dst->norm_b = _mm256_add_ps(dst->norm_b, src->norm_b);
}

static VG_TARGET_F16C VgCosineParts
f16c_cosine_parts(const void *va, const void *vb, size_t n)
{
	const VgHalf *a = va;
	const VgHalf *b = vb;
	CosAcc		acc[4];
	VgCosineParts parts;
	size_t		i = 0;

	for (int j = 0; j < 4; j++)
		acc[j].dot = acc[j].norm_a = acc[j].norm_b = _mm256_setzero_ps();
	for (; i + BLOCK <= n; i += BLOCK)
		for (int j = 0; j < 4; j++)
			cos_step(&acc[j], load8(a + i + j * LANES), load8(b + i + j * LANES));
	for (; i + LANES <= n; i += LANES)
		cos_step(&acc[0], load8(a + i), load8(b + i));
	if (i < n)
		cos_step(&acc[1], load_tail(a + i, n - i), load_tail(b + i, n - i));
	cos_merge(&acc[0], &acc[1]);
	cos_merge(&acc[2], &acc[3]);
	cos_merge(&acc[0], &acc[2]);
	parts.dot = hsum256(acc[0].dot);
	parts.norm_a = hsum256(acc[0].norm_a);
	parts.norm_b = hsum256(acc[0].norm_b);
	return parts;
}

VG_TARGET_F16C void
vg_f16c_half_to_floats(float *out, const VgHalf *in, size_t n)
{
	size_t		i = 0;

	for (; i + LANES <= n; i += LANES)
		_mm256_storeu_ps(out + i, load8(in + i));
	for (; i < n; i++)
		out[i] = vg_half_to_float(in[i]);
}

VG_TARGET_F16C void
vg_f16c_floats_to_half(VgHalf *out, const float *in, size_t n)
{
	size_t		i = 0;

	for (; i + LANES <= n; i += LANES)
		_mm_storeu_si128((__m128i *) (out + i),
						 _mm256_cvtps_ph(_mm256_loadu_ps(in + i),
										 _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC));
	for (; i < n; i++)
		out[i] = vg_float_to_half(in[i]);
}

const VgDistanceKernels vg_half_kernels_avx2 = {
	.level = VG_SIMD_AVX2,
	.l2_squared = f16c_l2_squared,
	.inner_product = f16c_inner_product,
	.l1 = f16c_l1,
	.cosine_parts = f16c_cosine_parts,
};


/*
 * Mixed kernels: a is float (a query, converted once), b is half (stored
 * vectors); half the conversions of a half kernel, and the same sums as the
 * float kernel of a and b's values.
 */
#define MIXED_PAIR_KERNEL(name, step) \
static VG_TARGET_F16C float \
name(const void *va, const void *vb, size_t n) \
{ \
	const float *a = va; \
	const VgHalf *b = vb; \
	__m256		acc0 = _mm256_setzero_ps(); \
	__m256		acc1 = _mm256_setzero_ps(); \
	__m256		acc2 = _mm256_setzero_ps(); \
	__m256		acc3 = _mm256_setzero_ps(); \
	size_t		i = 0; \
\
	for (; i + BLOCK <= n; i += BLOCK) \
	{ \
		acc0 = step(acc0, _mm256_loadu_ps(a + i), load8(b + i)); \
		acc1 = step(acc1, _mm256_loadu_ps(a + i + LANES), load8(b + i + LANES)); \
		acc2 = step(acc2, _mm256_loadu_ps(a + i + 2 * LANES), load8(b + i + 2 * LANES)); \
		acc3 = step(acc3, _mm256_loadu_ps(a + i + 3 * LANES), load8(b + i + 3 * LANES)); \
	} \
	for (; i + LANES <= n; i += LANES) \
		acc0 = step(acc0, _mm256_loadu_ps(a + i), load8(b + i)); \
	if (i < n) \
		acc1 = step(acc1, load_float_tail(a + i, n - i), load_tail(b + i, n - i)); \
	return hsum256(_mm256_add_ps(_mm256_add_ps(acc0, acc1), \
								 _mm256_add_ps(acc2, acc3))); \
}

MIXED_PAIR_KERNEL(mixed_avx2_l2_squared, l2_step)
MIXED_PAIR_KERNEL(mixed_avx2_inner_product, ip_step)
MIXED_PAIR_KERNEL(mixed_avx2_l1, l1_step)

static VG_TARGET_F16C VgCosineParts
mixed_avx2_cosine_parts(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const VgHalf *b = vb;
	CosAcc		acc[4];
	VgCosineParts parts;
	size_t		i = 0;

	for (int j = 0; j < 4; j++)
		acc[j].dot = acc[j].norm_a = acc[j].norm_b = _mm256_setzero_ps();
	for (; i + BLOCK <= n; i += BLOCK)
		for (int j = 0; j < 4; j++)
			cos_step(&acc[j], _mm256_loadu_ps(a + i + j * LANES), load8(b + i + j * LANES));
	for (; i + LANES <= n; i += LANES)
		cos_step(&acc[0], _mm256_loadu_ps(a + i), load8(b + i));
	if (i < n)
		cos_step(&acc[1], load_float_tail(a + i, n - i), load_tail(b + i, n - i));
	cos_merge(&acc[0], &acc[1]);
	cos_merge(&acc[2], &acc[3]);
	cos_merge(&acc[0], &acc[2]);
	parts.dot = hsum256(acc[0].dot);
	parts.norm_a = hsum256(acc[0].norm_a);
	parts.norm_b = hsum256(acc[0].norm_b);
	return parts;
}

const VgDistanceKernels vg_mixed_kernels_avx2 = {
	.level = VG_SIMD_AVX2,
	.l2_squared = mixed_avx2_l2_squared,
	.inner_product = mixed_avx2_inner_product,
	.l1 = mixed_avx2_l1,
	.cosine_parts = mixed_avx2_cosine_parts,
};

#endif							/* VG_HAVE_X86_SIMD */
