/*-------------------------------------------------------------------------
 *
 * test_decimal.c
 *	  Unit tests of the plain-decimal fast path against strtof.
 *
 * Whatever the fast path accepts must give strtof's float, bit for bit,
 * and stop where strtof stops; what it declines is strtof's to parse.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_decimal.h"
#include "vg_test.h"
#include "vg_test_rng.h"

/* Whether s went through the fast path; checks it against strtof if so. */
static bool
check_against_strtof(const char *s)
{
	float		fast = 0.0f;
	const char *fast_end = NULL;
	char	   *slow_end;
	float		slow;
	uint32_t	fast_bits;
	uint32_t	slow_bits;

	if (!vg_parse_plain_decimal(s, &fast, &fast_end))
		return false;
	slow = strtof(s, &slow_end);
	memcpy(&fast_bits, &fast, sizeof(fast_bits));
	memcpy(&slow_bits, &slow, sizeof(slow_bits));
	CHECK_MSG(fast_bits == slow_bits, "\"%s\": %.9g (0x%08x), strtof %.9g (0x%08x)",
			  s, fast, fast_bits, slow, slow_bits);
	CHECK_MSG(fast_end == slow_end, "\"%s\": stopped after %d characters, strtof after %d",
			  s, (int) (fast_end - s), (int) (slow_end - s));
	return true;
}

static void
append_digits(VgTestRng *rng, char **p, int n)
{
	for (int i = 0; i < n; i++)
		*(*p)++ = (char) ('0' + vg_rng_next(rng) % 10);
}

/* Random [-]ddd[.ddd] forms of 1 to 17 digits, as clients print them. */
static void
test_random_decimals_match_strtof(void)
{
	VgTestRng	rng;
	int			accepted = 0;
	const int	n = 400000;

	vg_rng_seed(&rng, 20261203);
	for (int i = 0; i < n && vg_test_failures() == 0; i++)
	{
		char		buf[64];
		char	   *p = buf;
		int			int_digits = (int) (vg_rng_next(&rng) % 8);
		int			frac_digits = (int) (vg_rng_next(&rng) % 11);

		if (vg_rng_next(&rng) % 2)
			*p++ = '-';
		append_digits(&rng, &p, int_digits == 0 && frac_digits == 0 ? 1 : int_digits);
		if (frac_digits > 0)
		{
			*p++ = '.';
			append_digits(&rng, &p, frac_digits);
		}
		*p++ = ",]"[vg_rng_next(&rng) % 2];
		*p = '\0';
		accepted += check_against_strtof(buf);
	}
	/* at most 17 digits, most of them 15 or fewer: nearly all are taken */
	CHECK_MSG(accepted > n * 9 / 10, "only %d of %d took the fast path", accepted, n);
}

/*
 * Integers from 2^24 on, where every other one lies halfway between two
 * floats, and the points halfway between random neighbouring floats
 * printed to 13-15 significant digits: about a fifth of those round in
 * double onto the halfway point itself, though they are not on it, and
 * only strtof knows which side they are on.
 */
static void
test_ties_round_as_strtof(void)
{
	VgTestRng	rng;
	char		buf[64];

	for (long v = 16777216 - 100; v < 16777216 + 100000; v++)
	{
		snprintf(buf, sizeof(buf), "%ld", v);
		CHECK(check_against_strtof(buf) || v > 16777216);
	}
	vg_rng_seed(&rng, 7);
	for (int i = 0; i < 300000 && vg_test_failures() == 0; i++)
	{
		/* a float with a full significand, 2^-20 to 2^20 */
		float		f = ldexpf((float) (0x800000 | (vg_rng_next(&rng) & 0x7FFFFF)),
							   (int) (vg_rng_next(&rng) % 41) - 43);
		double		mid = ((double) f + (double) nextafterf(f, INFINITY)) / 2.0;

		snprintf(buf, sizeof(buf), "%.*g", 13 + i % 3, mid);
		if (strchr(buf, 'e') == NULL)
			check_against_strtof(buf);
		snprintf(buf, sizeof(buf), "%.9g", (double) f);
		check_against_strtof(buf);
	}
}

static void
test_forms_and_limits(void)
{
	static const char *taken[] = {
		"0", "-0", "+7", "1.", ".5", "-.5", "0.1", "255", "3.14159,",
		"000000000000000000000001.25]", "123456789012345", "0.0000000123456789012",
		"0.000000000000000000001", "99999999999999.9", "1 ", "2\t", NULL
	};
	static const char *declined[] = {
		"", "-", "+", ".", "-.", "1e5", "1E-3", "inf", "-Infinity", "nan", "0x10",
		"1.5f", "1..2", "1.2.3", "1234567890123456", "0.12345678901234567890123",
		"0.00000000000000000000001", "--1", "1-", "12abc", NULL
	};
	float		v;
	const char *end;

	for (int i = 0; taken[i] != NULL; i++)
		CHECK_MSG(check_against_strtof(taken[i]), "\"%s\" was declined", taken[i]);
	for (int i = 0; declined[i] != NULL; i++)
		CHECK_MSG(!vg_parse_plain_decimal(declined[i], &v, &end), "\"%s\" was taken",
				  declined[i]);
	CHECK(vg_parse_plain_decimal("-0", &v, &end) && signbit(v));
	CHECK(vg_parse_plain_decimal("0.0", &v, &end) && !signbit(v) && v == 0.0f);
}

const VgTestCase vg_test_suite_decimal[] = {
	VG_TEST(test_random_decimals_match_strtof),
	VG_TEST(test_ties_round_as_strtof),
	VG_TEST(test_forms_and_limits),
	VG_TEST_END
};
