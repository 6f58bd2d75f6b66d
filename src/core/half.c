/*-------------------------------------------------------------------------
 *
 * half.c
 *	  Conversions between float and half precision, and the run-time choice
 *	  of half-precision kernels.
 *
 * The element conversions are written with integer operations so that they
 * give the same bits on every CPU, F16C or not; the unit tests check the
 * F16C array conversions against them for every one of the 65,536 halves.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "half_impl.h"

static uint32_t
float_bits(float f)
{
	uint32_t	u;

	memcpy(&u, &f, sizeof(u));
	return u;
}

static float
bits_float(uint32_t u)
{
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

float
vg_half_to_float(VgHalf h)
{
	uint32_t	sign = (uint32_t) (h & 0x8000) << 16;
	uint32_t	exponent = (h >> 10) & 0x1F;
	uint32_t	mantissa = h & 0x3FF;

	if (exponent == 0)
	{
		/* zero or subnormal: mantissa * 2^-24, exact in float */
		float		f = (float) mantissa * (1.0f / 16777216.0f);

		return sign ? -f : f;
	}
	if (exponent == 0x1F)
		return bits_float(sign | 0x7F800000 | (mantissa << 13));
	return bits_float(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/*
 * Normal results: drop 13 mantissa bits with round-to-nearest-even by adding
 * just under half of the dropped unit plus the lowest kept bit; a carry out
 * of the mantissa raises the exponent, up to infinity, as it should.
 * Subnormal results: adding 0.5 (whose unit in the last place is 2^-24,
 * the smallest half subnormal) lets the float adder round the value to a
 * multiple of 2^-24 with the CPU's own ties-to-even.
 */
VgHalf
vg_float_to_half(float f)
{
	uint32_t	u = float_bits(f);
	uint32_t	sign = (u >> 16) & 0x8000;
	uint32_t	mag = u & 0x7FFFFFFF;

	if (mag >= 0x7F800000)		/* infinity, or NaN kept quiet */
		return (VgHalf) (sign | 0x7C00 | (mag > 0x7F800000 ? 0x200 : 0));
	if (mag >= 0x47800000)		/* 65536 and above: past any rounding */
		return (VgHalf) (sign | 0x7C00);
	if (mag < 0x38800000)		/* below 2^-14, the smallest normal half */
	{
		float		rounded = bits_float(mag) + 0.5f;

		return (VgHalf) (sign | (float_bits(rounded) - float_bits(0.5f)));
	}
	mag += 0xC8000FFF + ((mag >> 13) & 1);	/* rebias 127 -> 15, round */
	return (VgHalf) (sign | (mag >> 13));
}

static void
scalar_half_to_floats(float *out, const VgHalf *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = vg_half_to_float(in[i]);
}

static void
scalar_floats_to_half(VgHalf *out, const float *in, size_t n)
{
	for (size_t i = 0; i < n; i++)
		out[i] = vg_float_to_half(in[i]);
}

static int
have_f16c(void)
{
#ifdef VG_HAVE_X86_SIMD
	return vg_simd_detect() >= VG_SIMD_AVX2 && vg_cpu_has_f16c();
#else
	return 0;
#endif
}

void
vg_half_to_floats(float *out, const VgHalf *in, size_t n)
{
#ifdef VG_HAVE_X86_SIMD
	if (have_f16c())
	{
		vg_f16c_half_to_floats(out, in, n);
		return;
	}
#endif
	scalar_half_to_floats(out, in, n);
}

void
vg_floats_to_half(VgHalf *out, const float *in, size_t n)
{
#ifdef VG_HAVE_X86_SIMD
	if (have_f16c())
	{
		vg_f16c_floats_to_half(out, in, n);
		return;
	}
#endif
	scalar_floats_to_half(out, in, n);
}

/* tables[level], where the CPU can run it: SIMD levels also need F16C. */
static const VgDistanceKernels *
TableAt(VgSimdLevel level, const VgDistanceKernels *const tables[VG_SIMD_LEVEL_COUNT])
{
	if (level == VG_SIMD_SCALAR)
		return tables[VG_SIMD_SCALAR];
#ifdef VG_HAVE_X86_SIMD
	if (level > VG_SIMD_SCALAR && level < VG_SIMD_LEVEL_COUNT &&
		level <= vg_simd_detect() && vg_cpu_has_f16c())
		return tables[level];
#endif
	return NULL;
}

const VgDistanceKernels *
vg_half_kernels(VgSimdLevel level)
{
#ifdef VG_HAVE_X86_SIMD
	static const VgDistanceKernels *const tables[] = {
		&vg_half_kernels_scalar, &vg_half_kernels_avx2, &vg_half_kernels_avx512
	};
#else
	static const VgDistanceKernels *const tables[] = {&vg_half_kernels_scalar, NULL, NULL};
#endif

	return TableAt(level, tables);
}

const VgDistanceKernels *
vg_mixed_kernels(VgSimdLevel level)
{
#ifdef VG_HAVE_X86_SIMD
	static const VgDistanceKernels *const tables[] = {
		&vg_mixed_kernels_scalar, &vg_mixed_kernels_avx2, &vg_mixed_kernels_avx512
	};
#else
	static const VgDistanceKernels *const tables[] = {&vg_mixed_kernels_scalar, NULL, NULL};
#endif

	return TableAt(level, tables);
}
