/*-------------------------------------------------------------------------
 *
 * vector_ops.c
 *	  Distances, norms, element-wise arithmetic and comparisons of vectors.
 *
 *	  Distances run on the SIMD kernels chosen at load time (see
 *	  vecgraph.h); they accumulate in float4 as pgvector does and return
 *	  float8.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/float.h"

#include "vecgraph.h"
#include "vector.h"

/* Fetches two vector arguments of equal dimensions. */
#define GET_VECTOR_PAIR(a, b) \
	Vector	   *a = PG_GETARG_VECTOR_P(0); \
	Vector	   *b = PG_GETARG_VECTOR_P(1); \
	CheckDimsMatch(a->dim, b->dim)

PG_FUNCTION_INFO_V1(l2_distance);
Datum
l2_distance(PG_FUNCTION_ARGS)
{
	GET_VECTOR_PAIR(a, b);

	PG_RETURN_FLOAT8(sqrt((double) VgKernels->l2_squared(a->x, b->x, a->dim)));
}

/* The square of l2_distance: same order, no sqrt; what an index ranks by. */
PG_FUNCTION_INFO_V1(vector_l2_squared_distance);
Datum
vector_l2_squared_distance(PG_FUNCTION_ARGS)
{
	GET_VECTOR_PAIR(a, b);

	PG_RETURN_FLOAT8((double) VgKernels->l2_squared(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(inner_product);
Datum
inner_product(PG_FUNCTION_ARGS)
{
	GET_VECTOR_PAIR(a, b);

	PG_RETURN_FLOAT8((double) VgKernels->inner_product(a->x, b->x, a->dim));
}

/* The <#> operator: negated so that ascending order means most similar. */
PG_FUNCTION_INFO_V1(vector_negative_inner_product);
Datum
vector_negative_inner_product(PG_FUNCTION_ARGS)
{
	GET_VECTOR_PAIR(a, b);

	PG_RETURN_FLOAT8(-(double) VgKernels->inner_product(a->x, b->x, a->dim));
}

PG_FUNCTION_INFO_V1(cosine_distance);
Datum
cosine_distance(PG_FUNCTION_ARGS)
{
	GET_VECTOR_PAIR(a, b);

	PG_RETURN_FLOAT8(vg_cosine_from_parts(VgKernels->cosine_parts(a->x, b->x, a->dim)));
}

PG_FUNCTION_INFO_V1(l1_distance);
Datum
l1_distance(PG_FUNCTION_ARGS)
{
	GET_VECTOR_PAIR(a, b);

	PG_RETURN_FLOAT8((double) VgKernels->l1(a->x, b->x, a->dim));
}

static double
NormOf(const Vector *v)
{
	double		sum = 0.0;

	for (int i = 0; i < v->dim; i++)
		sum += (double) v->x[i] * (double) v->x[i];
	return sqrt(sum);
}

PG_FUNCTION_INFO_V1(vector_norm);
Datum
vector_norm(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(NormOf(PG_GETARG_VECTOR_P(0)));
}

/* The unit vector in the same direction; a zero vector stays zero. */
PG_FUNCTION_INFO_V1(l2_normalize);
Datum
l2_normalize(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	Vector	   *result = InitVector(v->dim);
	double		norm = NormOf(v);

	if (norm > 0)
	{
		for (int i = 0; i < v->dim; i++)
			result->x[i] = (float) (v->x[i] / norm);
	}
	PG_RETURN_VECTOR_P(result);
}

/*
 * Element-wise arithmetic.  A finite pair can overflow to infinity (or, for
 * products, underflow to zero); either is an error, as for float4.
 */
typedef enum VectorArith
{
	VECTOR_ADD,
	VECTOR_SUB,
	VECTOR_MUL
} VectorArith;

static Vector *
VectorArithmetic(const Vector *a, const Vector *b, VectorArith op)
{
	Vector	   *result;

	CheckDimsMatch(a->dim, b->dim);
	result = InitVector(a->dim);
	for (int i = 0; i < a->dim; i++)
	{
		float		x = a->x[i];
		float		y = b->x[i];
		float		r = op == VECTOR_ADD ? x + y : op == VECTOR_SUB ? x - y : x * y;

		if (unlikely(isinf(r)))
			float_overflow_error();
		if (unlikely(op == VECTOR_MUL && r == 0.0f && x != 0.0f && y != 0.0f))
			float_underflow_error();
		result->x[i] = r;
	}
	return result;
}

PG_FUNCTION_INFO_V1(vector_add);
Datum
vector_add(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(VectorArithmetic(PG_GETARG_VECTOR_P(0),
										PG_GETARG_VECTOR_P(1), VECTOR_ADD));
}

PG_FUNCTION_INFO_V1(vector_sub);
Datum
vector_sub(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(VectorArithmetic(PG_GETARG_VECTOR_P(0),
										PG_GETARG_VECTOR_P(1), VECTOR_SUB));
}

PG_FUNCTION_INFO_V1(vector_mul);
Datum
vector_mul(PG_FUNCTION_ARGS)
{
	PG_RETURN_VECTOR_P(VectorArithmetic(PG_GETARG_VECTOR_P(0),
										PG_GETARG_VECTOR_P(1), VECTOR_MUL));
}

PG_FUNCTION_INFO_V1(vector_concat);
Datum
vector_concat(PG_FUNCTION_ARGS)
{
	Vector	   *a = PG_GETARG_VECTOR_P(0);
	Vector	   *b = PG_GETARG_VECTOR_P(1);
	Vector	   *result;

	CheckDimCount(a->dim + b->dim);
	result = InitVector(a->dim + b->dim);
	memcpy(result->x, a->x, sizeof(float) * a->dim);
	memcpy(result->x + a->dim, b->x, sizeof(float) * b->dim);
	PG_RETURN_VECTOR_P(result);
}

/*
 * subvector(v, start, count): elements start .. start + count - 1 (1-based),
 * clipped to the vector, as array slices clip; an empty result is an error
 * because a vector has at least one element.
 */
PG_FUNCTION_INFO_V1(subvector);
Datum
subvector(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	int64		start = PG_GETARG_INT32(1);
	int64		end = start + (int64) PG_GETARG_INT32(2);	/* exclusive */
	Vector	   *result;

	start = Max(start, 1);
	end = Min(end, (int64) v->dim + 1);
	if (end <= start)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("subvector of %d dimensions at start %d with count %d is empty",
						v->dim, PG_GETARG_INT32(1), PG_GETARG_INT32(2)),
				 errhint("Positions start at 1; the count must be at least 1.")));
	result = InitVector((int) (end - start));
	memcpy(result->x, v->x + (start - 1), sizeof(float) * result->dim);
	PG_RETURN_VECTOR_P(result);
}

/*
 * B-tree order: element by element, then the shorter vector first.  It is a
 * total order consistent with equality, which is all DISTINCT, GROUP BY,
 * UNIQUE and merge joins need.
 */
static int
VectorCompare(const Vector *a, const Vector *b)
{
	int			n = Min(a->dim, b->dim);

	for (int i = 0; i < n; i++)
	{
		if (a->x[i] < b->x[i])
			return -1;
		if (a->x[i] > b->x[i])
			return 1;
	}
	return (a->dim > b->dim) - (a->dim < b->dim);
}

#define VECTOR_COMPARISON(name, expr) \
PG_FUNCTION_INFO_V1(name); \
Datum \
name(PG_FUNCTION_ARGS) \
{ \
	int			cmp = VectorCompare(PG_GETARG_VECTOR_P(0), PG_GETARG_VECTOR_P(1)); \
	\
	PG_RETURN_BOOL(expr); \
}

VECTOR_COMPARISON(vector_lt, cmp < 0)
VECTOR_COMPARISON(vector_le, cmp <= 0)
VECTOR_COMPARISON(vector_eq, cmp == 0)
VECTOR_COMPARISON(vector_ne, cmp != 0)
VECTOR_COMPARISON(vector_ge, cmp >= 0)
VECTOR_COMPARISON(vector_gt, cmp > 0)

PG_FUNCTION_INFO_V1(vector_cmp);
Datum
vector_cmp(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(VectorCompare(PG_GETARG_VECTOR_P(0), PG_GETARG_VECTOR_P(1)));
}
