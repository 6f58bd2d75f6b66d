/*-------------------------------------------------------------------------
 *
 * distance_scalar.c
 *	  Reference distance kernels: plain loops, one float accumulator, in
 *	  index order.
 *
 * These are the kernels every other level is tested against, and the ones
 * that run on CPUs without AVX2.  They are kept deliberately naive so that
 * they are obviously correct; any cleverness belongs in the SIMD files.
 * Without -ffast-math the compiler may not reassociate the sums, so it
 * cannot vectorize these loops behind our back and the summation order is
 * exactly the one written here.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stddef.h>

#include "distance_impl.h"

static float
scalar_l2_squared(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	float		sum = 0.0f;
	size_t		i;

	for (i = 0; i < n; i++)
	{
		float		diff = a[i] - b[i];

		sum += diff * diff;
	}
	return sum;
}

static float
scalar_inner_product(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	float		sum = 0.0f;
	size_t		i;

	for (i = 0; i < n; i++)
		sum += a[i] * b[i];
	return sum;
}

static float
scalar_l1(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	float		sum = 0.0f;
	size_t		i;

	for (i = 0; i < n; i++)
		sum += fabsf(a[i] - b[i]);
	return sum;
}

static VgCosineParts
scalar_cosine_parts(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const float *b = vb;
	VgCosineParts parts = {0.0f, 0.0f, 0.0f};
	size_t		i;

	for (i = 0; i < n; i++)
	{
		parts.dot += a[i] * b[i];
		parts.norm_a += a[i] * a[i];
		parts.norm_b += b[i] * b[i];
	}
	return parts;
}

const VgDistanceKernels vg_distance_kernels_scalar = {
	.level = VG_SIMD_SCALAR,
	.l2_squared = scalar_l2_squared,
	.inner_product = scalar_inner_product,
	.l1 = scalar_l1,
	.cosine_parts = scalar_cosine_parts,
};
