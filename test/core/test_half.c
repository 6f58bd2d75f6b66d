/*-------------------------------------------------------------------------
 *
 * test_half.c
 *	  Unit tests of half precision (src/core/half*.c): conversions, and the
 *	  kernels of every level against the scalar reference.
 *
 * The element conversions are checked against values worked out by hand
 * and, exhaustively, against each other and the F16C array conversions;
 * float-to-half rounding is checked to pick the nearer half (ties to the
 * even one) for random floats of every magnitude.  Kernels are checked on
 * random vectors of every length 1 .. 4,100 (every mix of full blocks and
 * tails at both SIMD widths), each allocated with exactly its elements so
 * that AddressSanitizer catches a read past the end.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_half.h"
#include "vg_test.h"
#include "vg_test_rng.h"

#define MAX_LEN 4100
#define MAX_REL_ERR 1e-5

static float
from_bits(uint32_t u)
{
	float		f;

	memcpy(&f, &u, sizeof(f));
	return f;
}

static void
test_known_values(void)
{
	CHECK_INT_EQ(vg_float_to_half(0.0f), 0x0000);
	CHECK_INT_EQ(vg_float_to_half(-0.0f), 0x8000);
	CHECK_INT_EQ(vg_float_to_half(1.0f), 0x3C00);
	CHECK_INT_EQ(vg_float_to_half(-2.5f), 0xC100);
	CHECK_INT_EQ(vg_float_to_half(0.1f), 0x2E66);
	CHECK_INT_EQ(vg_float_to_half(65504.0f), 0x7BFF);
	CHECK_INT_EQ(vg_float_to_half(65519.99f), 0x7BFF);
	CHECK_INT_EQ(vg_float_to_half(65520.0f), 0x7C00);	/* the tie rounds up */
	CHECK_INT_EQ(vg_float_to_half(1e10f), 0x7C00);
	CHECK_INT_EQ(vg_float_to_half(-INFINITY), 0xFC00);
	CHECK_INT_EQ(vg_float_to_half(ldexpf(1.0f, -24)), 0x0001);	/* smallest */
	CHECK_INT_EQ(vg_float_to_half(ldexpf(1.0f, -25)), 0x0000);	/* tie to even */
	CHECK_INT_EQ(vg_float_to_half(ldexpf(3.0f, -25)), 0x0002);	/* tie to even */
	CHECK_INT_EQ(vg_float_to_half(ldexpf(1.0f, -14)), 0x0400);	/* smallest normal */
	CHECK_INT_EQ(vg_float_to_half(2049.0f), 0x6800);	/* 2048: tie to even */
	CHECK_INT_EQ(vg_float_to_half(2051.0f), 0x6802);	/* 2052: tie to even */
	CHECK((vg_float_to_half(NAN) & 0x7C00) == 0x7C00 && (vg_float_to_half(NAN) & 0x3FF) != 0);
	CHECK_DOUBLE_EQ(vg_half_to_float(0x7BFF), 65504.0);
	CHECK_DOUBLE_EQ(vg_half_to_float(0x0001), ldexp(1.0, -24));
	CHECK_DOUBLE_EQ(vg_half_to_float(0xBC00), -1.0);
	CHECK(isinf(vg_half_to_float(0x7C00)));
	CHECK_NAN(vg_half_to_float(0x7E00));
}

/* Every half converts to a float and back to itself (NaNs stay NaN). */
static void
test_round_trip_all(void)
{
	static float floats[65536];
	static VgHalf halves[65536];
	static VgHalf back[65536];

	for (uint32_t h = 0; h < 65536; h++)
		halves[h] = (VgHalf) h;
	vg_half_to_floats(floats, halves, 65536);
	vg_floats_to_half(back, floats, 65536);
	for (uint32_t h = 0; h < 65536 && vg_test_failures() == 0; h++)
	{
		float		f = vg_half_to_float((VgHalf) h);
		int			nan = (h & 0x7C00) == 0x7C00 && (h & 0x3FF) != 0;

		CHECK_MSG(nan ? isnan(floats[h]) : memcmp(&f, &floats[h], sizeof(f)) == 0,
				  "half %04x: element %g, array %g", h, f, floats[h]);
		if (nan)
			CHECK_MSG(isnan(vg_half_to_float(back[h])), "half %04x lost its NaN", h);
		else
		{
			CHECK_MSG(vg_float_to_half(f) == h, "half %04x came back as %04x", h,
					  vg_float_to_half(f));
			CHECK_MSG(back[h] == h, "half %04x came back from the array as %04x", h, back[h]);
		}
	}
}

/*
 * The nearest half, ties to even, checked by its neighbours: no other half
 * is nearer, and at a tie the mantissa is even.
 */
static void
check_nearest(float f, VgHalf h)
{
	double		x = f;
	double		got = vg_half_to_float(h);
	double		below = h & 0x7FFF ? vg_half_to_float((VgHalf) (h - 1)) : -got;
	double		above = vg_half_to_float((VgHalf) (h + 1));
	double		err = fabs(got - x);

	if (isinf(got))
	{
		CHECK_MSG(fabs(x) >= 65520.0, "%.9g became infinite", x);
		return;
	}
	CHECK_MSG(err <= fabs(below - x) && (isnan(above) || err <= fabs(above - x)),
			  "%.9g became %.9g, not the nearest half (%.9g, %.9g)", x, got, below, above);
	if (err == fabs(below - x) || err == fabs(above - x))
		CHECK_MSG((h & 1) == 0 || err == 0.0, "tie %.9g went to odd %04x", x, h);
}

static void
test_rounding_random(void)
{
	VgTestRng	rng;
	enum
	{
		N = 1 << 16
	};
	static float in[N];
	static VgHalf out[N];

	vg_rng_seed(&rng, 16);
	for (int round = 0; round < 16 && vg_test_failures() == 0; round++)
	{
		for (int i = 0; i < N; i++)
		{
			/* magnitudes from far below the subnormals to past the top */
			uint32_t	bits = (uint32_t) vg_rng_below(&rng, 0x48000000u);

			in[i] = from_bits(bits | (i & 1 ? 0x80000000u : 0));
		}
		vg_floats_to_half(out, in, N);
		for (int i = 0; i < N && vg_test_failures() == 0; i++)
		{
			VgHalf		h = vg_float_to_half(in[i]);

			CHECK_MSG(out[i] == h, "%.9g: array %04x, element %04x", in[i], out[i], h);
			if ((h & 0x7FFF) != 0 || in[i] != 0.0f)
				check_nearest(fabsf(in[i]), (VgHalf) (h & 0x7FFF));
		}
	}
}

static VgHalf *
random_halves(VgTestRng *rng, size_t n)
{
	VgHalf	   *v = malloc(n * sizeof(VgHalf));

	if (v == NULL)
		abort();
	for (size_t i = 0; i < n; i++)
		v[i] = vg_float_to_half(vg_rng_float(rng, -1.0f, 1.0f));
	return v;
}

static double
rel_err(double got, double want, double scale)
{
	if (scale == 0.0)
		return got == want ? 0.0 : INFINITY;
	return fabs(got - want) / scale;
}

/* Signed sums are compared relative to sum |a[i] b[i]| (see test_distance.c). */
static void
check_level(const VgDistanceKernels *k, const VgHalf *a, const VgHalf *b, size_t n)
{
	const VgDistanceKernels *ref = vg_half_kernels(VG_SIMD_SCALAR);
	double		scale = 0.0;
	VgCosineParts got = k->cosine_parts(a, b, n);
	VgCosineParts want = ref->cosine_parts(a, b, n);
	const char *name = vg_simd_level_name(k->level);

	for (size_t i = 0; i < n; i++)
		scale += fabs((double) vg_half_to_float(a[i]) * vg_half_to_float(b[i]));
#define CHECK_CLOSE(what, g, w, s) \
	CHECK_MSG(rel_err((g), (w), (s)) <= MAX_REL_ERR, "%s %s n=%zu: %.9g, scalar %.9g", \
			  name, what, n, (double) (g), (double) (w))
	CHECK_CLOSE("l2", k->l2_squared(a, b, n), ref->l2_squared(a, b, n),
				fabs(ref->l2_squared(a, b, n)));
	CHECK_CLOSE("ip", k->inner_product(a, b, n), ref->inner_product(a, b, n),
				fmax(scale, fabs(ref->inner_product(a, b, n))));
	CHECK_CLOSE("l1", k->l1(a, b, n), ref->l1(a, b, n), fabs(ref->l1(a, b, n)));
	CHECK_CLOSE("dot", got.dot, want.dot, fmax(scale, fabs(want.dot)));
	CHECK_CLOSE("norm_a", got.norm_a, want.norm_a, fabs(want.norm_a));
	CHECK_CLOSE("norm_b", got.norm_b, want.norm_b, fabs(want.norm_b));
#undef CHECK_CLOSE
}

static void
test_kernels_every_length(void)
{
	VgTestRng	rng;
	int			levels = 0;

	vg_rng_seed(&rng, 4100);
	for (int level = 0; level < VG_SIMD_LEVEL_COUNT; level++)
	{
		const VgDistanceKernels *k = vg_half_kernels((VgSimdLevel) level);

		if (k == NULL)
			continue;
		levels++;
		CHECK_INT_EQ(k->level, level);
		for (size_t n = 1; n <= MAX_LEN && vg_test_failures() == 0; n++)
		{
			VgHalf	   *a = random_halves(&rng, n);
			VgHalf	   *b = random_halves(&rng, n);

			check_level(k, a, b, n);
			free(a);
			free(b);
		}
	}
	CHECK(vg_half_kernels(VG_SIMD_SCALAR) != NULL);
	printf("    half kernel levels run: %d\n", levels);
}

/* Small integers are exact in half and in every sum here. */
static void
test_kernels_exact(void)
{
	const float fa[] = {1, 2, 3, -4, 2048};
	const float fb[] = {4, 5, 6, 1, 2047};
	VgHalf		a[5];
	VgHalf		b[5];

	vg_floats_to_half(a, fa, 5);
	vg_floats_to_half(b, fb, 5);
	for (int level = 0; level < VG_SIMD_LEVEL_COUNT; level++)
	{
		const VgDistanceKernels *k = vg_half_kernels((VgSimdLevel) level);
		VgCosineParts parts;

		if (k == NULL)
			continue;
		parts = k->cosine_parts(a, b, 4);
		CHECK_DOUBLE_EQ(k->l2_squared(a, b, 5), 27.0 + 25.0 + 1.0);
		CHECK_DOUBLE_EQ(k->inner_product(a, b, 4), 28.0);
		CHECK_DOUBLE_EQ(k->l1(a, b, 5), 15.0);
		CHECK_DOUBLE_EQ(parts.norm_a, 30.0);
		CHECK_DOUBLE_EQ(parts.norm_b, 78.0);
		CHECK_DOUBLE_EQ(k->l2_squared(a, b, 0), 0.0);
	}
}

/*
 * On values that are exact in half, a half kernel gives the float kernel of
 * its level bit for bit: the scan reuses index distances as the operator's
 * results (vgplanner.c), and a halfvec and a vector of the same values
 * must agree.
 */
static void
test_kernels_match_float(void)
{
	VgTestRng	rng;

	vg_rng_seed(&rng, 2048);
	for (int level = 0; level < VG_SIMD_LEVEL_COUNT; level++)
	{
		const VgDistanceKernels *h = vg_half_kernels((VgSimdLevel) level);
		const VgDistanceKernels *f = vg_distance_kernels((VgSimdLevel) level);
		const VgDistanceKernels *m = vg_mixed_kernels((VgSimdLevel) level);

		if (h == NULL || f == NULL || m == NULL)
			continue;
		for (size_t n = 1; n <= 1100 && vg_test_failures() == 0; n++)
		{
			VgHalf	   *a = random_halves(&rng, n);
			VgHalf	   *b = random_halves(&rng, n);
			float	   *fa = malloc(n * sizeof(float));
			float	   *fb = malloc(n * sizeof(float));
			VgCosineParts hp;
			VgCosineParts fp;

			vg_half_to_floats(fa, a, n);
			vg_half_to_floats(fb, b, n);
			hp = h->cosine_parts(a, b, n);
			fp = f->cosine_parts(fa, fb, n);
			CHECK_MSG(m->l2_squared(fa, b, n) == f->l2_squared(fa, fb, n) &&
					  m->inner_product(fa, b, n) == f->inner_product(fa, fb, n) &&
					  m->l1(fa, b, n) == f->l1(fa, fb, n) &&
					  m->cosine_parts(fa, b, n).dot == fp.dot,
					  "%s n=%zu: a mixed kernel differs from the float one",
					  vg_simd_level_name(m->level), n);
			CHECK_MSG(h->l2_squared(a, b, n) == f->l2_squared(fa, fb, n) &&
					  h->inner_product(a, b, n) == f->inner_product(fa, fb, n) &&
					  h->l1(a, b, n) == f->l1(fa, fb, n) &&
					  hp.dot == fp.dot && hp.norm_a == fp.norm_a && hp.norm_b == fp.norm_b,
					  "%s n=%zu: a half kernel differs from the float one",
					  vg_simd_level_name(h->level), n);
			free(a);
			free(b);
			free(fa);
			free(fb);
		}
	}
}

/* Mixed kernels on float queries of every length, against their scalar one. */
static void
test_mixed_every_length(void)
{
	VgTestRng	rng;
	const VgDistanceKernels *ref = vg_mixed_kernels(VG_SIMD_SCALAR);

	vg_rng_seed(&rng, 4101);
	CHECK(ref != NULL);
	for (int level = 1; level < VG_SIMD_LEVEL_COUNT && ref != NULL; level++)
	{
		const VgDistanceKernels *k = vg_mixed_kernels((VgSimdLevel) level);

		if (k == NULL)
			continue;
		for (size_t n = 1; n <= MAX_LEN && vg_test_failures() == 0; n++)
		{
			float	   *a = malloc(n * sizeof(float));
			VgHalf	   *b = random_halves(&rng, n);
			double		scale = 0.0;
			VgCosineParts got;
			VgCosineParts want;

			for (size_t i = 0; i < n; i++)
			{
				a[i] = vg_rng_float(&rng, -1.0f, 1.0f);
				scale += fabs((double) a[i] * vg_half_to_float(b[i]));
			}
			got = k->cosine_parts(a, b, n);
			want = ref->cosine_parts(a, b, n);
			CHECK_MSG(rel_err(k->l2_squared(a, b, n), ref->l2_squared(a, b, n),
							  ref->l2_squared(a, b, n)) <= MAX_REL_ERR &&
					  rel_err(k->inner_product(a, b, n), ref->inner_product(a, b, n),
							  fmax(scale, fabs(ref->inner_product(a, b, n)))) <= MAX_REL_ERR &&
					  rel_err(k->l1(a, b, n), ref->l1(a, b, n), ref->l1(a, b, n)) <= MAX_REL_ERR &&
					  rel_err(got.dot, want.dot, fmax(scale, fabs(want.dot))) <= MAX_REL_ERR &&
					  rel_err(got.norm_a, want.norm_a, want.norm_a) <= MAX_REL_ERR &&
					  rel_err(got.norm_b, want.norm_b, want.norm_b) <= MAX_REL_ERR,
					  "%s n=%zu: a mixed kernel is off the scalar one",
					  vg_simd_level_name(k->level), n);
			free(a);
			free(b);
		}
	}
}

const VgTestCase vg_test_suite_half[] = {
	VG_TEST(test_known_values),
	VG_TEST(test_round_trip_all),
	VG_TEST(test_rounding_random),
	VG_TEST(test_kernels_every_length),
	VG_TEST(test_kernels_exact),
	VG_TEST(test_kernels_match_float),
	VG_TEST(test_mixed_every_length),
	VG_TEST_END
};
