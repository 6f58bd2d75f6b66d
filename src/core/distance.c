/*-------------------------------------------------------------------------
 *
 * distance.c
 *	  Run-time choice of distance kernels, and the cosine distance derived
 *	  from a kernel's parts.
 *
 * The kernels themselves live in one file per instruction-set level
 * (distance_scalar.c, distance_avx2.c, distance_avx512.c).  The build never
 * uses -march=native or global -mavx* flags: the SIMD files enable their
 * instruction sets per function, and this file decides at run time which of
 * them the CPU can execute.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>

#include "distance_impl.h"

/*
 * __builtin_cpu_supports reports AVX and AVX-512 features only when the
 * operating system also saves their register state (libgcc and compiler-rt
 * check XGETBV), so a "yes" here means the instructions are safe to run, not
 * merely present.
 */
VgSimdLevel
vg_simd_detect(void)
{
#ifdef VG_HAVE_X86_SIMD
	/* Needed only before constructors have run, but cheap and harmless. */
	__builtin_cpu_init();

	if (__builtin_cpu_supports("avx512f"))
		return VG_SIMD_AVX512;
	if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
		return VG_SIMD_AVX2;
#endif
	return VG_SIMD_SCALAR;
}

/*
 * Levels are ordered by capability and each one's instructions are a subset
 * of the next one's (every AVX-512F CPU also has AVX2 and FMA), so any level
 * up to the detected one is runnable.  Callers use the lower tables to test
 * and benchmark the kernels against each other.
 */
const VgDistanceKernels *
vg_distance_kernels(VgSimdLevel level)
{
	if (level == VG_SIMD_SCALAR)
		return &vg_distance_kernels_scalar;

#ifdef VG_HAVE_X86_SIMD
	if (level > vg_simd_detect())
		return NULL;
	if (level == VG_SIMD_AVX2)
		return &vg_distance_kernels_avx2;
	if (level == VG_SIMD_AVX512)
		return &vg_distance_kernels_avx512;
#endif
	return NULL;
}

const char *
vg_simd_level_name(VgSimdLevel level)
{
	switch (level)
	{
		case VG_SIMD_SCALAR:
			return "scalar";
		case VG_SIMD_AVX2:
			return "avx2";
		case VG_SIMD_AVX512:
			return "avx512";
	}
	/* An out-of-range value cast to the enum; don't hand back NULL. */
	return "unknown";
}

/*
 * The division is done in double because the float parts of long vectors
 * can be large enough that their product loses precision (or overflows) in
 * float.  Rounding in the parts can still push the similarity slightly past
 * +-1, which would give a negative distance or one above 2, so it is
 * clamped; NaN parts fall through the comparisons and stay NaN.
 */
double
vg_cosine_from_parts(VgCosineParts parts)
{
	double		sim;

	if (parts.norm_a == 0.0f || parts.norm_b == 0.0f)
		return NAN;

	sim = (double) parts.dot /
		sqrt((double) parts.norm_a * (double) parts.norm_b);
	if (sim > 1.0)
		sim = 1.0;
	else if (sim < -1.0)
		sim = -1.0;
	return 1.0 - sim;
}
