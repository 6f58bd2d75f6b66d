/*-------------------------------------------------------------------------
 *
 * test_distance.c
 *	  Unit tests of the distance kernels (src/core/distance*.c).
 *
 * The scalar kernel is the reference: it is a plain loop that is easy to
 * check by eye, and every SIMD level the CPU supports must agree with it on
 * random inputs of every length up to a little past 4096, which covers
 * every combination of full blocks, single vectors and masked tails of both
 * AVX2 (32/8 floats) and AVX-512 (64/16 floats) several times over.
 *
 * Vectors are allocated with exactly the floats they hold, so that under
 * AddressSanitizer a kernel reading past the end of its input is caught.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_distance.h"
#include "vg_test.h"
#include "vg_test_rng.h"

/* Longest random vector tried; past 4096 so that big blocks are covered. */
#define MAX_LEN 4100

/* Largest error tolerated between a SIMD kernel and the scalar one. */
#define MAX_REL_ERR 1e-5

/*
 * The kernels' results for one pair of vectors, widened to double so that
 * comparing them adds no rounding of its own.
 */
typedef struct Results
{
	double		l2_squared;
	double		inner_product;
	double		l1;
	double		dot;
	double		norm_a;
	double		norm_b;
} Results;

static Results
run_kernels(const VgDistanceKernels *k, const float *a, const float *b,
			size_t n)
{
	Results		r;
	VgCosineParts parts = k->cosine_parts(a, b, n);

	r.l2_squared = k->l2_squared(a, b, n);
	r.inner_product = k->inner_product(a, b, n);
	r.l1 = k->l1(a, b, n);
	r.dot = parts.dot;
	r.norm_a = parts.norm_a;
	r.norm_b = parts.norm_b;
	return r;
}

static float *
alloc_floats(size_t n)
{
	float	   *p = malloc(n * sizeof(float));

	if (p == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(EXIT_FAILURE);
	}
	return p;
}

static void
fill_random(VgTestRng *rng, float *v, size_t n)
{
	size_t		i;

	for (i = 0; i < n; i++)
		v[i] = vg_rng_float(rng, -1.0f, 1.0f);
}

/* sum |a[i] * b[i]|, the scale of the rounding errors of a dot product. */
static double
dot_magnitude(const float *a, const float *b, size_t n)
{
	double		sum = 0.0;
	size_t		i;

	for (i = 0; i < n; i++)
		sum += fabs((double) a[i] * (double) b[i]);
	return sum;
}

/* |got - want| / denom, treating a zero denominator as needing exactness. */
static double
rel_err(double got, double want, double denom)
{
	if (denom == 0.0)
		return got == want ? 0.0 : INFINITY;
	return fabs(got - want) / denom;
}

/*
 * How far a kernel's results are from the reference, one number per
 * quantity, each to be compared with MAX_REL_ERR.
 *
 * L2, L1 and the squared norms sum non-negative terms, so a plain relative
 * error is meaningful: reordering such a sum changes it by a few ulps of the
 * sum itself.  A dot product is different: its terms have both signs and
 * can cancel, leaving a result near zero whose value is mostly rounding
 * noise from the large terms that cancelled.  Two correct kernels that add
 * in different orders can then differ by 100% or more relative to the
 * result.  The error a reordering can introduce is proportional to
 * sum |a[i] * b[i]|, so that (or |result|, if larger) is the denominator.
 */
static Results
compare_results(const Results *got, const Results *want, double dot_scale)
{
	Results		err;
	double		ip_denom = fmax(fabs(want->inner_product), dot_scale);

	err.l2_squared = rel_err(got->l2_squared, want->l2_squared,
							 fabs(want->l2_squared));
	err.inner_product = rel_err(got->inner_product, want->inner_product,
								ip_denom);
	err.l1 = rel_err(got->l1, want->l1, fabs(want->l1));
	err.dot = rel_err(got->dot, want->dot, fmax(fabs(want->dot), dot_scale));
	err.norm_a = rel_err(got->norm_a, want->norm_a, fabs(want->norm_a));
	err.norm_b = rel_err(got->norm_b, want->norm_b, fabs(want->norm_b));
	return err;
}

static void
track_max(Results *max, const Results *err)
{
	max->l2_squared = fmax(max->l2_squared, err->l2_squared);
	max->inner_product = fmax(max->inner_product, err->inner_product);
	max->l1 = fmax(max->l1, err->l1);
	max->dot = fmax(max->dot, err->dot);
	max->norm_a = fmax(max->norm_a, err->norm_a);
	max->norm_b = fmax(max->norm_b, err->norm_b);
}

/*
 * Checks every quantity of err against MAX_REL_ERR.  NaN errors fail too,
 * since the comparison is written so that NaN does not pass.
 */
#define CHECK_ERR(field, level, n) \
	CHECK_MSG(err.field <= MAX_REL_ERR, \
			  "%s %s n=%zu: relative error %.3g (got %.9g, scalar %.9g)", \
			  vg_simd_level_name(level), #field, (size_t) (n), err.field, \
			  got.field, want.field)

static void
check_against_scalar(VgSimdLevel level, const float *a, const float *b,
					 size_t n, Results *max)
{
	Results		got = run_kernels(vg_distance_kernels(level), a, b, n);
	Results		want = run_kernels(vg_distance_kernels(VG_SIMD_SCALAR),
								   a, b, n);
	Results		err = compare_results(&got, &want, dot_magnitude(a, b, n));

	CHECK_ERR(l2_squared, level, n);
	CHECK_ERR(inner_product, level, n);
	CHECK_ERR(l1, level, n);
	CHECK_ERR(dot, level, n);
	CHECK_ERR(norm_a, level, n);
	CHECK_ERR(norm_b, level, n);
	if (max != NULL)
		track_max(max, &err);
}

/* Every level up to the detected one has a complete table of its own. */
static void
test_kernel_tables(void)
{
	VgSimdLevel best = vg_simd_detect();
	int			level;

	CHECK_NOT_NULL(vg_distance_kernels(VG_SIMD_SCALAR));
	CHECK(best >= VG_SIMD_SCALAR && best < VG_SIMD_LEVEL_COUNT);

	for (level = 0; level < VG_SIMD_LEVEL_COUNT; level++)
	{
		const VgDistanceKernels *k = vg_distance_kernels((VgSimdLevel) level);

		if (level > (int) best)
		{
			CHECK_MSG(k == NULL, "level %d above detected %d has a table",
					  level, (int) best);
			continue;
		}
		CHECK_MSG(k != NULL, "level %d missing", level);
		if (k == NULL)
			continue;
		CHECK_INT_EQ(k->level, level);
		CHECK_NOT_NULL(k->l2_squared);
		CHECK_NOT_NULL(k->inner_product);
		CHECK_NOT_NULL(k->l1);
		CHECK_NOT_NULL(k->cosine_parts);
	}

	/* Not a level at all. */
	CHECK(vg_distance_kernels((VgSimdLevel) VG_SIMD_LEVEL_COUNT) == NULL);
	printf("    detected SIMD level: %s\n", vg_simd_level_name(best));
}

static void
test_level_names(void)
{
	CHECK_STR_EQ(vg_simd_level_name(VG_SIMD_SCALAR), "scalar");
	CHECK_STR_EQ(vg_simd_level_name(VG_SIMD_AVX2), "avx2");
	CHECK_STR_EQ(vg_simd_level_name(VG_SIMD_AVX512), "avx512");
	CHECK_STR_EQ(vg_simd_level_name((VgSimdLevel) VG_SIMD_LEVEL_COUNT),
				 "unknown");
}

/* Small integer inputs make every result exact at every level. */
static void
test_exact_small(void)
{
	const float a[] = {1.0f, 2.0f, 3.0f};
	const float b[] = {4.0f, 5.0f, 6.0f};
	int			level;

	for (level = 0; level <= (int) vg_simd_detect(); level++)
	{
		const VgDistanceKernels *k = vg_distance_kernels((VgSimdLevel) level);
		VgCosineParts parts = k->cosine_parts(a, b, 3);

		CHECK_DOUBLE_EQ(k->l2_squared(a, b, 3), 27.0);
		CHECK_DOUBLE_EQ(k->inner_product(a, b, 3), 32.0);
		CHECK_DOUBLE_EQ(k->l1(a, b, 3), 9.0);
		CHECK_DOUBLE_EQ(parts.dot, 32.0);
		CHECK_DOUBLE_EQ(parts.norm_a, 14.0);
		CHECK_DOUBLE_EQ(parts.norm_b, 77.0);
		CHECK_NEAR(vg_cosine_from_parts(parts),
				   1.0 - 32.0 / sqrt(14.0 * 77.0), 1e-12);
	}
}

/* Zero-length vectors: empty sums, and a cosine distance that is NaN. */
static void
test_empty(void)
{
	const float a[] = {1.0f};
	const float b[] = {2.0f};
	int			level;

	for (level = 0; level <= (int) vg_simd_detect(); level++)
	{
		const VgDistanceKernels *k = vg_distance_kernels((VgSimdLevel) level);
		VgCosineParts parts = k->cosine_parts(a, b, 0);

		CHECK_DOUBLE_EQ(k->l2_squared(a, b, 0), 0.0);
		CHECK_DOUBLE_EQ(k->inner_product(a, b, 0), 0.0);
		CHECK_DOUBLE_EQ(k->l1(a, b, 0), 0.0);
		CHECK_DOUBLE_EQ(parts.dot, 0.0);
		CHECK_DOUBLE_EQ(parts.norm_a, 0.0);
		CHECK_DOUBLE_EQ(parts.norm_b, 0.0);
		CHECK_NAN(vg_cosine_from_parts(parts));
	}
}

static void
test_cosine_from_parts(void)
{
	VgCosineParts zero_a = {0.0f, 0.0f, 4.0f};
	VgCosineParts zero_b = {0.0f, 4.0f, 0.0f};
	VgCosineParts zero_both = {0.0f, 0.0f, 0.0f};
	VgCosineParts nan_dot = {NAN, 1.0f, 1.0f};
	VgCosineParts same = {4.0f, 4.0f, 4.0f};
	VgCosineParts opposite = {-4.0f, 4.0f, 4.0f};
	VgCosineParts orthogonal = {0.0f, 4.0f, 9.0f};
	VgCosineParts half = {3.0f, 4.0f, 9.0f};	/* sim = 3 / 6 */

	CHECK_NAN(vg_cosine_from_parts(zero_a));
	CHECK_NAN(vg_cosine_from_parts(zero_b));
	CHECK_NAN(vg_cosine_from_parts(zero_both));
	CHECK_NAN(vg_cosine_from_parts(nan_dot));
	CHECK_DOUBLE_EQ(vg_cosine_from_parts(same), 0.0);
	CHECK_DOUBLE_EQ(vg_cosine_from_parts(opposite), 2.0);
	CHECK_DOUBLE_EQ(vg_cosine_from_parts(orthogonal), 1.0);
	CHECK_DOUBLE_EQ(vg_cosine_from_parts(half), 0.5);
}

/*
 * Rounding in the parts can make |dot| exceed sqrt(norm_a * norm_b); the
 * distance must still stay within [0, 2].
 */
static void
test_cosine_clamped(void)
{
	VgCosineParts over = {1.0001f, 1.0f, 1.0f};
	VgCosineParts under = {-1.0001f, 1.0f, 1.0f};
	VgCosineParts tiny_over = {nextafterf(2.0f, 3.0f), 2.0f, 2.0f};
	VgTestRng	rng;
	int			level;

	CHECK_DOUBLE_EQ(vg_cosine_from_parts(over), 0.0);
	CHECK_DOUBLE_EQ(vg_cosine_from_parts(under), 2.0);
	CHECK_DOUBLE_EQ(vg_cosine_from_parts(tiny_over), 0.0);

	/* A vector against itself or its negation, as real kernels round it. */
	vg_rng_seed(&rng, 7);
	for (level = 0; level <= (int) vg_simd_detect(); level++)
	{
		const VgDistanceKernels *k = vg_distance_kernels((VgSimdLevel) level);
		size_t		n;

		for (n = 1; n <= 300; n++)
		{
			float	   *a = alloc_floats(n);
			float	   *neg = alloc_floats(n);
			double		d_same;
			double		d_opp;
			size_t		i;

			fill_random(&rng, a, n);
			for (i = 0; i < n; i++)
				neg[i] = -a[i];
			d_same = vg_cosine_from_parts(k->cosine_parts(a, a, n));
			d_opp = vg_cosine_from_parts(k->cosine_parts(a, neg, n));
			CHECK_MSG(d_same >= 0.0 && d_same < 1e-6,
					  "%s n=%zu: self distance %.17g",
					  vg_simd_level_name(k->level), n, d_same);
			CHECK_MSG(d_opp <= 2.0 && d_opp > 2.0 - 1e-6,
					  "%s n=%zu: opposite distance %.17g",
					  vg_simd_level_name(k->level), n, d_opp);
			free(a);
			free(neg);
		}
	}
}

/* a - a is exactly zero in every lane, so these sums are exactly zero. */
static void
test_identical_vectors(void)
{
	VgTestRng	rng;
	int			level;

	vg_rng_seed(&rng, 11);
	for (level = 0; level <= (int) vg_simd_detect(); level++)
	{
		const VgDistanceKernels *k = vg_distance_kernels((VgSimdLevel) level);
		size_t		n;

		for (n = 1; n <= 200; n++)
		{
			float	   *a = alloc_floats(n);

			fill_random(&rng, a, n);
			CHECK_DOUBLE_EQ(k->l2_squared(a, a, n), 0.0);
			CHECK_DOUBLE_EQ(k->l1(a, a, n), 0.0);
			free(a);
		}
	}
}

/*
 * Every supported level against the scalar kernel for every length from 1
 * to MAX_LEN, on fresh random data each time.
 */
static void
test_random_vs_scalar(void)
{
	VgTestRng	rng;
	int			level;

	vg_rng_seed(&rng, UINT64_C(0x5eed0001));
	for (level = 0; level <= (int) vg_simd_detect(); level++)
	{
		Results		max = {0, 0, 0, 0, 0, 0};
		size_t		n;

		for (n = 1; n <= MAX_LEN; n++)
		{
			float	   *a = alloc_floats(n);
			float	   *b = alloc_floats(n);

			fill_random(&rng, a, n);
			fill_random(&rng, b, n);
			check_against_scalar((VgSimdLevel) level, a, b, n, &max);
			free(a);
			free(b);
		}
		printf("    %-6s max relative error: l2 %.2g, ip %.2g, l1 %.2g, "
			   "dot %.2g, norms %.2g/%.2g\n",
			   vg_simd_level_name((VgSimdLevel) level), max.l2_squared,
			   max.inner_product, max.l1, max.dot, max.norm_a, max.norm_b);
	}
}

static int
results_identical(const Results *x, const Results *y)
{
	return x->l2_squared == y->l2_squared &&
		x->inner_product == y->inner_product &&
		x->l1 == y->l1 &&
		x->dot == y->dot &&
		x->norm_a == y->norm_a &&
		x->norm_b == y->norm_b;
}

/*
 * Vectors inside PostgreSQL tuples are only 4-byte aligned, so the kernels
 * must not assume more.  Each case places a and b 0-3 floats past an
 * allocation's start, ending exactly at the allocation's end; the result
 * must be bit-for-bit what the same kernel gives on an aligned copy (the
 * summation order depends only on n) and close to the scalar result.
 */
static void
test_unaligned(void)
{
	static const size_t lengths[] = {
		1, 2, 3, 5, 7, 8, 9, 15, 16, 17, 31, 32, 33, 63, 64, 65, 95, 96, 97,
		127, 128, 129, 767, 768, 769, 783, 784, 785, 1535, 1536, 1537, 4099
	};
	static const size_t offsets[][2] = {{1, 1}, {1, 0}, {0, 1}, {3, 2}};
	VgTestRng	rng;
	int			level;

	vg_rng_seed(&rng, 13);
	for (level = 0; level <= (int) vg_simd_detect(); level++)
	{
		const VgDistanceKernels *k = vg_distance_kernels((VgSimdLevel) level);
		size_t		li;
		size_t		oi;

		for (li = 0; li < sizeof(lengths) / sizeof(lengths[0]); li++)
		{
			size_t		n = lengths[li];

			for (oi = 0; oi < sizeof(offsets) / sizeof(offsets[0]); oi++)
			{
				float	   *abuf = alloc_floats(n + offsets[oi][0]);
				float	   *bbuf = alloc_floats(n + offsets[oi][1]);
				float	   *a = abuf + offsets[oi][0];
				float	   *b = bbuf + offsets[oi][1];
				float	   *a_aligned = alloc_floats(n);
				float	   *b_aligned = alloc_floats(n);
				Results		shifted;
				Results		aligned;

				fill_random(&rng, a, n);
				fill_random(&rng, b, n);
				memcpy(a_aligned, a, n * sizeof(float));
				memcpy(b_aligned, b, n * sizeof(float));

				shifted = run_kernels(k, a, b, n);
				aligned = run_kernels(k, a_aligned, b_aligned, n);
				CHECK_MSG(results_identical(&shifted, &aligned),
						  "%s n=%zu offsets %zu/%zu: results depend on "
						  "alignment", vg_simd_level_name(k->level), n,
						  offsets[oi][0], offsets[oi][1]);
				check_against_scalar(k->level, a, b, n, NULL);

				free(abuf);
				free(bbuf);
				free(a_aligned);
				free(b_aligned);
			}
		}
	}
}

const VgTestCase vg_test_suite_distance[] = {
	VG_TEST(test_kernel_tables),
	VG_TEST(test_level_names),
	VG_TEST(test_exact_small),
	VG_TEST(test_empty),
	VG_TEST(test_cosine_from_parts),
	VG_TEST(test_cosine_clamped),
	VG_TEST(test_identical_vectors),
	VG_TEST(test_random_vs_scalar),
	VG_TEST(test_unaligned),
	VG_TEST_END
};
