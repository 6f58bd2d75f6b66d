/*-------------------------------------------------------------------------
 *
 * half_scalar.c
 *	  Reference half-precision kernels: each element converted exactly to
 *	  float, one float accumulator, in index order -- the float reference
 *	  kernels' arithmetic on the converted values.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "half_impl.h"

static float
half_scalar_l2_squared(const void *va, const void *vb, size_t n)
{
	const VgHalf *a = va;
	const VgHalf *b = vb;
	float		sum = 0.0f;

	for (size_t i = 0; i < n; i++)
	{
		float		diff = vg_half_to_float(a[i]) - vg_half_to_float(b[i]);

		sum += diff * diff;
	}
	return sum;
}

static float
half_scalar_inner_product(const void *va, const void *vb, size_t n)
{
	const VgHalf *a = va;
	const VgHalf *b = vb;
	float		sum = 0.0f;

	for (size_t i = 0; i < n; i++)
		sum += vg_half_to_float(a[i]) * vg_half_to_float(b[i]);
	return sum;
}

static float
half_scalar_l1(const void *va, const void *vb, size_t n)
{
	const VgHalf *a = va;
	const VgHalf *b = vb;
	float		sum = 0.0f;

	for (size_t i = 0; i < n; i++)
		sum += fabsf(vg_half_to_float(a[i]) - vg_half_to_float(b[i]));
	return sum;
}

static VgCosineParts
half_scalar_cosine_parts(const void *va, const void *vb, size_t n)
{
	const VgHalf *a = va;
	const VgHalf *b = vb;
	VgCosineParts parts = {0.0f, 0.0f, 0.0f};

	for (size_t i = 0; i < n; i++)
	{
		float		x = vg_half_to_float(a[i]);
		float		y = vg_half_to_float(b[i]);

		parts.dot += x * y;
		parts.norm_a += x * x;
		parts.norm_b += y * y;
	}
	return parts;
}

/* Mixed kernels: a is float, b is half (a query against stored vectors). */
static float
mixed_scalar_l2_squared(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const VgHalf *b = vb;
	float		sum = 0.0f;

	for (size_t i = 0; i < n; i++)
	{
		float		diff = a[i] - vg_half_to_float(b[i]);

		sum += diff * diff;
	}
	return sum;
}

static float
mixed_scalar_inner_product(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const VgHalf *b = vb;
	float		sum = 0.0f;

	for (size_t i = 0; i < n; i++)
		sum += a[i] * vg_half_to_float(b[i]);
	return sum;
}

static float
mixed_scalar_l1(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const VgHalf *b = vb;
	float		sum = 0.0f;

	for (size_t i = 0; i < n; i++)
		sum += fabsf(a[i] - vg_half_to_float(b[i]));
	return sum;
}

static VgCosineParts
mixed_scalar_cosine_parts(const void *va, const void *vb, size_t n)
{
	const float *a = va;
	const VgHalf *b = vb;
	VgCosineParts parts = {0.0f, 0.0f, 0.0f};

	for (size_t i = 0; i < n; i++)
	{
		float		y = vg_half_to_float(b[i]);

		parts.dot += a[i] * y;
		parts.norm_a += a[i] * a[i];
		parts.norm_b += y * y;
	}
	return parts;
}

const VgDistanceKernels vg_mixed_kernels_scalar = {
	.level = VG_SIMD_SCALAR,
	.l2_squared = mixed_scalar_l2_squared,
	.inner_product = mixed_scalar_inner_product,
	.l1 = mixed_scalar_l1,
	.cosine_parts = mixed_scalar_cosine_parts,
};

const VgDistanceKernels vg_half_kernels_scalar = {
	.level = VG_SIMD_SCALAR,
	.l2_squared = half_scalar_l2_squared,
	.inner_product = half_scalar_inner_product,
	.l1 = half_scalar_l1,
	.cosine_parts = half_scalar_cosine_parts,
};
