/*-------------------------------------------------------------------------
 *
 * halfvec_ops.c
 *	  Distances, norms, element-wise arithmetic and comparisons of halfvecs.
 *
 *	  Distances run on the half-precision kernels chosen at load time
 *	  (VgHalfKernels in vecgraph.h), the ones the index uses, so that a
 *	  distance computed here and one computed in an index scan agree bit for
 *	  bit.  They convert each element exactly to float4, accumulate in
 *	  float4 as the vector kernels do, and return float8.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/float.h"

#include "halfvec.h"
#include "vecgraph.h"

/* Fetches two halfvec arguments of equal dimensions. */
#define GET_HALFVEC_PAIR(a, b) \
	HalfVector *a = PG_GETARG_HALFVEC_P(0); \
	HalfVector *b = PG_GETARG_HALFVEC_P(1); \
	CheckTypeDimsMatch("halfvec", a->dim, b->dim)

/* SQL l2_distance(halfvec, halfvec) */
PG_FUNCTION_INFO_V1(halfvec_l2_distance);
Datum
halfvec_l2_distance(PG_FUNCTION_ARGS)
{
	GET_HALFVEC_PAIR(a, b);

	PG_RETURN_FLOAT8(sqrt((double) VgHalfKernels->l2_squared(a->x, b->x, a->dim)));
}

/* The square of l2_distance: same order, no sqrt; what an index ranks by. */
PG_FUNCTION_INFO_V1(halfvec_l2_squared_distance);
Datum
halfvec_l2_squared_distance(PG_FUNCTION_ARGS)
{
	GET_HALFVEC_PAIR(a, b);

	PG_RETURN_FLOAT8((double) VgHalfKernels->l2_squared(a->x, b->x, a->dim));
}

/* SQL inner_product(halfvec, halfvec) */
PG_FUNCTION_INFO_V1(halfvec_inner_product);
Datum
halfvec_inner_product(PG_FUNCTION_ARGS)
{
	GET_HALFVEC_PAIR(a, b);

	PG_RETURN_FLOAT8((double) VgHalfKernels->inner_product(a->x, b->x, a->dim));
}

/* The <#> operator: negated so that ascending order means most similar. */
PG_FUNCTION_INFO_V1(halfvec_negative_inner_product);
Datum
halfvec_negative_inner_product(PG_FUNCTION_ARGS)
{
	GET_HALFVEC_PAIR(a, b);

	PG_RETURN_FLOAT8(-(double) VgHalfKernels->inner_product(a->x, b->x, a->dim));
}

/* SQL cosine_distance(halfvec, halfvec) */
PG_FUNCTION_INFO_V1(halfvec_cosine_distance);
Datum
halfvec_cosine_distance(PG_FUNCTION_ARGS)
{
	GET_HALFVEC_PAIR(a, b);

	PG_RETURN_FLOAT8(vg_cosine_from_parts(VgHalfKernels->cosine_parts(a->x, b->x, a->dim)));
}

/* SQL l1_distance(halfvec, halfvec) */
PG_FUNCTION_INFO_V1(halfvec_l1_distance);
Datum
halfvec_l1_distance(PG_FUNCTION_ARGS)
{
	GET_HALFVEC_PAIR(a, b);

	PG_RETURN_FLOAT8((double) VgHalfKernels->l1(a->x, b->x, a->dim));
}

static double
NormOf(const HalfVector *v)
{
	double		sum = 0.0;

	for (int i = 0; i < v->dim; i++)
	{
		double		x = vg_half_to_float(v->x[i]);

		sum += x * x;
	}
	return sqrt(sum);
}

/* SQL l2_norm(halfvec): in double precision, as vector_norm. */
PG_FUNCTION_INFO_V1(halfvec_l2_norm);
Datum
halfvec_l2_norm(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(NormOf(PG_GETARG_HALFVEC_P(0)));
}

/*
 * SQL l2_normalize(halfvec): the unit vector in the same direction, each
 * element rounded to half (no element exceeds 1); a zero vector stays zero.
 */
PG_FUNCTION_INFO_V1(halfvec_l2_normalize);
Datum
halfvec_l2_normalize(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	HalfVector *result = InitHalfVector(v->dim);
	double		norm = NormOf(v);

	if (norm > 0)
	{
		for (int i = 0; i < v->dim; i++)
			result->x[i] = vg_float_to_half((float) (vg_half_to_float(v->x[i]) / norm));
	}
	PG_RETURN_HALFVEC_P(result);
}

/*
 * Element-wise arithmetic in float4, rounded to half.  That is the correctly
 * rounded half result: a product of two halves is exact in float4, and so is
 * a sum or difference, except where one operand is so much smaller than the
 * other that the result rounds to the larger one either way.  A result
 * beyond half's range is an overflow error, and a product of non-zero
 * halves that rounds to zero an underflow error, as for vector.
 */
typedef enum HalfvecArith
{
	HALFVEC_ADD,
	HALFVEC_SUB,
	HALFVEC_MUL
} HalfvecArith;

static HalfVector *
HalfvecArithmetic(const HalfVector *a, const HalfVector *b, HalfvecArith op)
{
	HalfVector *result;

	CheckTypeDimsMatch("halfvec", a->dim, b->dim);
	result = InitHalfVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		float		x = vg_half_to_float(a->x[i]);
		float		y = vg_half_to_float(b->x[i]);
		float		r = op == HALFVEC_ADD ? x + y : op == HALFVEC_SUB ? x - y : x * y;
		VgHalf		h = vg_float_to_half(r);

		if (unlikely(HalfIsInf(h)))
			float_overflow_error();
		if (unlikely(op == HALFVEC_MUL && (h & 0x7FFF) == 0 && x != 0.0f && y != 0.0f))
			float_underflow_error();
		result->x[i] = h;
	}
	return result;
}

PG_FUNCTION_INFO_V1(halfvec_add);
Datum
halfvec_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(HalfvecArithmetic(PG_GETARG_HALFVEC_P(0),
										  PG_GETARG_HALFVEC_P(1), HALFVEC_ADD));
}

PG_FUNCTION_INFO_V1(halfvec_sub);
Datum
halfvec_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(HalfvecArithmetic(PG_GETARG_HALFVEC_P(0),
										  PG_GETARG_HALFVEC_P(1), HALFVEC_SUB));
}

PG_FUNCTION_INFO_V1(halfvec_mul);
Datum
halfvec_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_HALFVEC_P(HalfvecArithmetic(PG_GETARG_HALFVEC_P(0),
										  PG_GETARG_HALFVEC_P(1), HALFVEC_MUL));
}

PG_FUNCTION_INFO_V1(halfvec_concat);
Datum
halfvec_concat(PG_FUNCTION_ARGS)
{
	HalfVector *a = PG_GETARG_HALFVEC_P(0);
	HalfVector *b = PG_GETARG_HALFVEC_P(1);
	HalfVector *result;

	CheckTypeDimCount("halfvec", a->dim + b->dim);
	result = InitHalfVector(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(VgHalf) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(VgHalf) * b->dim);
	PG_RETURN_HALFVEC_P(result);
}

/*
 * SQL subvector(halfvec, start, count): as subvector(vector, ...), elements
 * start .. start + count - 1 (1-based), clipped to the halfvec; an empty
 * result is an error.
 */
PG_FUNCTION_INFO_V1(halfvec_subvector);
Datum
halfvec_subvector(PG_FUNCTION_ARGS)
{
	HalfVector *v = PG_GETARG_HALFVEC_P(0);
	int64		start = PG_GETARG_INT32(1);
	int64		end = start + (int64) PG_GETARG_INT32(2);	/* exclusive */
	HalfVector *result;

	start = Max(start, 1);
	end = Min(end, (int64) v->dim + 1);
	if (end <= start)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("subvector of %d dimensions at start %d with count %d is empty",
						v->dim, PG_GETARG_INT32(1), PG_GETARG_INT32(2)),
				 errhint("Positions start at 1; the count must be at least 1.")));
	result = InitHalfVector((int) (end - start));
	memcpy(result->x, v->x + (start - 1), sizeof(VgHalf) * result->dim);
	PG_RETURN_HALFVEC_P(result);
}

/*
 * B-tree order, as for vector: element by element by value (so -0 equals
 * 0), then the shorter halfvec first.
 */
static int
HalfvecCompare(const HalfVector *a, const HalfVector *b)
{
	int			n = Min(a->dim, b->dim);

	for (int i = 0; i < n; i++)
	{
		float		x = vg_half_to_float(a->x[i]);
		float		y = vg_half_to_float(b->x[i]);

		if (x < y)
			return -1;
		if (x > y)
			return 1;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

#define HALFVEC_COMPARISON(name, expr) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			cmp = HalfvecCompare(PG_GETARG_HALFVEC_P(0), PG_GETARG_HALFVEC_P(1)); \
	\
	PG_RETURN_BOOL(expr); \
}

HALFVEC_COMPARISON(halfvec_lt, cmp < 0)
HALFVEC_COMPARISON(halfvec_le, cmp <= 0)
HALFVEC_COMPARISON(halfvec_eq, cmp == 0)
HALFVEC_COMPARISON(halfvec_ne, cmp != 0)
HALFVEC_COMPARISON(halfvec_ge, cmp >= 0)
HALFVEC_COMPARISON(halfvec_gt, cmp > 0)

PG_FUNCTION_INFO_V1(halfvec_cmp);
Datum
halfvec_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(HalfvecCompare(PG_GETARG_HALFVEC_P(0), PG_GETARG_HALFVEC_P(1)));
}
