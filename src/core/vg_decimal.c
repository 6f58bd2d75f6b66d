/*-------------------------------------------------------------------------
 *
 * vg_decimal.c
 *	  Plain decimal numbers to float, correctly rounded, without strtof.
 *
 * NOTES
 *	  Clients send embeddings as text, and a query of 784 elements spent
 *	  most of its input function in glibc's strtof, which handles every
 *	  form with arbitrary precision.  The common form -- a few digits with
 *	  a decimal point -- has an exact fast path (Clinger, "How to read
 *	  floating point numbers accurately", PLDI 1990): with at most 15
 *	  significant digits the digits m are an exact double, so is 10^k for
 *	  k <= 22, and IEEE division gives the double nearest m / 10^k.
 *	  Rounding that double to float gives the float nearest m / 10^k --
 *	  strtof's answer -- unless the double lies exactly halfway between
 *	  two floats: every such halfway point is itself a double, so a true
 *	  quotient on the other side of it would have rounded to it or beyond.
 *	  Those ties, rare, go back to strtof.
 *
 *-------------------------------------------------------------------------
 */
#include <float.h>
#include <stdint.h>
#include <string.h>

#include "vg_decimal.h"

#define MAX_DIGITS 15
#define MAX_FRACTION 22

static const double powers_of_ten[MAX_FRACTION + 1] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static inline bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* What may follow an element of a vector's text form. */
static inline bool
ends_element(char c)
{
	return c == ',' || c == ']' || c == '\0' || c == ' ' || c == '\t' ||
		c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

/*
 * Whether d, a double in float's normal range, lies exactly halfway
 * between two floats: the 29 fraction bits float drops are 1000...0.
 */
static inline bool
halfway_between_floats(double d)
{
	uint64_t	bits;

	memcpy(&bits, &d, sizeof(bits));
	return (bits & UINT64_C(0x1FFFFFFF)) == UINT64_C(0x10000000);
}

bool
vg_parse_plain_decimal(const char *s, float *value, const char **end)
{
	const char *p = s;
	bool		negative = false;
	uint64_t	m = 0;
	int			digits = 0;
	int			fraction = 0;
	double		d;

#if FLT_EVAL_METHOD != 0
	return false;				/* division in extended precision rounds twice */
#endif
	if (*p == '-' || *p == '+')
		negative = *p++ == '-';
	if (!is_digit(*p) && !(*p == '.' && is_digit(p[1])))
		return false;
	for (; is_digit(*p); p++)
	{
		if (m == 0 && *p == '0')
			continue;			/* leading zeros are not significant */
		if (++digits > MAX_DIGITS)
			return false;
		m = m * 10 + (uint64_t) (*p - '0');
	}
	if (*p == '.')
	{
		for (p++; is_digit(*p); p++)
		{
			if (++fraction > MAX_FRACTION)
				return false;
			if (m != 0 || *p != '0')
				digits++;
			if (digits > MAX_DIGITS)
				return false;
			m = m * 10 + (uint64_t) (*p - '0');
		}
	}
	if (!ends_element(*p))
		return false;
	d = (double) m / powers_of_ten[fraction];
	if (m != 0 && halfway_between_floats(d))
		return false;
	*value = negative ? -(float) d : (float) d;
	*end = p;
	return true;
}
