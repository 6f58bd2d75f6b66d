/*-------------------------------------------------------------------------
 *
 * half_avx2.c
 *	  Half-precision kernels and conversions for CPUs with AVX2, FMA and
 *	  F16C.
 *
 * Eight halves load as 16 bytes and widen to eight floats in one F16C
 * instruction; from there each step is the float kernel's step (the loops
 * are in half_loops.h).  A load reads half the bytes of a float kernel's.
 * The last 1-7 halves are copied into a zeroed block first, so nothing past
 * the end of a vector is read.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "half_impl.h"

#ifdef VG_HAVE_X86_SIMD

#include <cpuid.h>
#include <immintrin.h>

#define VG_TARGET __attribute__((target("avx2,fma,f16c")))

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

#define VG_VEC __m256

static inline VG_TARGET __m256
vec_zero(void)
{
	return _mm256_setzero_ps();
}

static inline VG_TARGET __m256
vec_add(__m256 x, __m256 y)
{
	return _mm256_add_ps(x, y);
}

static inline VG_TARGET __m256
vec_sub(__m256 x, __m256 y)
{
	return _mm256_sub_ps(x, y);
}

static inline VG_TARGET __m256
vec_fma(__m256 x, __m256 y, __m256 acc)
{
	return _mm256_fmadd_ps(x, y, acc);
}

static inline VG_TARGET __m256
vec_abs(__m256 x)
{
	return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), x);
}

/* Sum of the eight lanes. */
static inline VG_TARGET float
vec_sum(__m256 v)
{
	__m128		lo = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));

	lo = _mm_add_ps(lo, _mm_movehl_ps(lo, lo));
	lo = _mm_add_ss(lo, _mm_shuffle_ps(lo, lo, 1));
	return _mm_cvtss_f32(lo);
}

static inline VG_TARGET __m256
load_half(const VgHalf *p)
{
	return _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *) p));
}

/* The last rem (< LANES) halves, zero beyond them. */
static inline VG_TARGET __m256
tail_half(const VgHalf *p, size_t rem)
{
	VgHalf		block[LANES] = {0};

	memcpy(block, p, rem * sizeof(VgHalf));
	return load_half(block);
}

static inline VG_TARGET __m256
load_float(const float *p)
{
	return _mm256_loadu_ps(p);
}

/* The last rem (< LANES) floats, zero beyond them. */
static inline VG_TARGET __m256
tail_float(const float *p, size_t rem)
{
	return _mm256_maskload_ps(p, _mm256_cmpgt_epi32(_mm256_set1_epi32((int) rem),
													_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)));
}

#include "half_loops.h"

VG_HALF_KERNEL_TABLES(avx2, VG_SIMD_AVX2)

VG_TARGET void
vg_f16c_half_to_floats(float *out, const VgHalf *in, size_t n)
{
	size_t		i = 0;

	for (; i + LANES <= n; i += LANES)
		_mm256_storeu_ps(out + i, load_half(in + i));
	for (; i < n; i++)
		out[i] = vg_half_to_float(in[i]);
}

VG_TARGET void
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

#endif							/* VG_HAVE_X86_SIMD */
