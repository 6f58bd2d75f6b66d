/*-------------------------------------------------------------------------
 *
 * vgvector.c
 *	  Vectors as an index keeps them: float4 or half-precision elements (the
 *	  storage reloption), from values of either vector type.
 *
 * NOTES
 *	  Every value passes through float: a halfvec's elements widen exactly,
 *	  a cosine index normalises in float, and half storage rounds last.  A
 *	  scan's query stays in float (VgHalfQuery): mixed kernels rank it
 *	  against the stored halves, so only the stored side is ever rounded.
 *
 *	  Half storage of a vector column ranks by distances to rounded copies,
 *	  but SQL promises rows in order of the exact distance.  Each half
 *	  vector therefore records what its rounding lost and its norm
 *	  (VgHalfVector); from them and the query's norm, a scan derives a lower
 *	  bound of the exact distance and asks the executor to recheck the row
 *	  (xs_recheckorderby): IndexNextWithReorder computes the exact distance
 *	  from the heap row and holds rows back until no later row can come
 *	  before them -- the way GiST returns lossy distances.  A row whose
 *	  rounding lost nothing (a halfvec column; small integers) needs no
 *	  recheck and costs nothing extra.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "utils/rel.h"

#include "vecgraph.h"
#include "vector.h"
#include "vgam.h"

/* vector and halfvec share their header (vector.h); only elements differ. */
static float *
ValueToFloats(Datum value, const VgShape *shape, Relation index)
{
	Vector	   *v = DatumGetVector(value);
	float	   *x;

	if (v->dim != shape->dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", shape->dim, v->dim),
				 errdetail("Index \"%s\" holds vectors of %d dimensions.",
						   RelationGetRelationName(index), shape->dim)));
	x = palloc(sizeof(float) * v->dim);
	if (shape->half_input)
		vg_half_to_floats(x, (const VgHalf *) v->x, v->dim);
	else
		memcpy(x, v->x, sizeof(float) * v->dim);
	return x;
}

/* Rounds up, so that a bound computed from the result stays a bound. */
static float
FloatAtLeast(double x)
{
	float		f = (float) x;

	return (double) f < x ? nextafterf(f, INFINITY) : f;
}

/* |x|, rounded up. */
static float
NormAtLeast(const float *x, int dim)
{
	double		sum = 0.0;

	for (int i = 0; i < dim; i++)
		sum += (double) x[i] * x[i];
	return FloatAtLeast(sqrt(sum));
}

/*
 * Rounds x to half precision.  An element too large for half is an error:
 * a stored vector must not silently change.
 */
static VgHalfVector *
FloatsToHalf(const VgShape *shape, const float *x, Relation index)
{
	VgHalfVector *hv = palloc(VgVectorBytes(shape));
	double		error = 0.0;

	vg_floats_to_half(hv->x, x, shape->dim);
	for (int i = 0; i < shape->dim; i++)
	{
		float		h = vg_half_to_float(hv->x[i]);
		double		diff = fabs((double) x[i] - h);

		if (isinf(h))
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("value %g is out of range for an index with half storage",
							x[i]),
					 errdetail("Index \"%s\" keeps vectors in half precision, whose largest value is %g.",
							   RelationGetRelationName(index), VG_HALF_MAX),
					 errhint("Rebuild the index with storage = 'float'.")));
		error += shape->metric == VG_METRIC_L1 ? diff : diff * diff;
	}
	hv->error = FloatAtLeast(shape->metric == VG_METRIC_L1 ? error : sqrt(error));
	hv->norm = NormAtLeast(x, shape->dim);
	return hv;
}

/*
 * Detoasts and checks a value for an index of shape; returns a copy in the
 * index's stored form, or NULL for a value the index does not hold (a zero
 * vector under cosine).
 */
void *
VgValueToStored(Datum value, const VgShape *shape, Relation index)
{
	float	   *x = ValueToFloats(value, shape, index);

	if (!VgPrepareVector(shape->metric, x, shape->dim))
		return NULL;
	if (shape->storage == VG_STORAGE_FLOAT)
		return x;
	return FloatsToHalf(shape, x, index);
}

/* Bytes of a scan's query: a stored vector's, or a VgHalfQuery's. */
Size
VgQueryBytes(const VgShape *shape)
{
	if (shape->storage == VG_STORAGE_HALF)
		return offsetof(VgHalfQuery, x) + sizeof(float) * shape->dim;
	return VgVectorBytes(shape);
}

/*
 * A scan's query (VgValueToStored's answer for float storage), or NULL for
 * a value the index does not hold.  Queries of half storage stay in float,
 * so no value is out of their range.
 */
void *
VgValueToQuery(Datum value, const VgShape *shape, Relation index)
{
	float	   *x = ValueToFloats(value, shape, index);
	VgHalfQuery *q;

	if (!VgPrepareVector(shape->metric, x, shape->dim))
		return NULL;
	if (shape->storage == VG_STORAGE_FLOAT)
		return x;
	q = palloc0(VgQueryBytes(shape));
	memcpy(q->x, x, sizeof(float) * shape->dim);
	q->norm = NormAtLeast(x, shape->dim);
	return q;
}

/* A stored vector's elements as floats, exactly. */
void
VgStoredToFloats(const VgShape *shape, const void *stored, float *out)
{
	if (shape->storage == VG_STORAGE_HALF)
		vg_half_to_floats(out, ((const VgHalfVector *) stored)->x, shape->dim);
	else
		memcpy(out, stored, sizeof(float) * shape->dim);
}

/*
 * A value of the index's column type (vector or halfvec, whose headers are
 * alike) with elements x, rounded to half for halfvec.
 */
Vector *
VgFloatsToValue(const VgShape *shape, const float *x)
{
	Size		element = shape->half_input ? sizeof(VgHalf) : sizeof(float);
	Vector	   *v = palloc0(offsetof(Vector, x) + element * shape->dim);

	SET_VARSIZE(v, offsetof(Vector, x) + element * shape->dim);
	v->dim = shape->dim;
	if (shape->half_input)
		vg_floats_to_half((VgHalf *) v->x, x, shape->dim);
	else
		memcpy(v->x, x, sizeof(float) * shape->dim);
	return v;
}

/*
 * A lower bound of the distance the ORDER BY operator computes between the
 * query q and a row x, from ranking, the distance between q and x's half
 * copy hx, and the node's rounding error e_x = |x - hx| and norm |x|:
 *
 *	L2:		|q - x| >= |q - hx| - e_x
 *	L1:		sum |q - x| >= sum |q - hx| - e_x		(e_x an L1 norm)
 *	IP:		-q.x >= -q.hx - |q| e_x
 *	cosine: as IP over unit vectors, plus one
 *
 * Float sums are off by at most about n * 2^-24 of the sum of the terms'
 * magnitudes, in the index's kernel and again in the operator's; slack of
 * n * 2^-21 of that scale covers both with room to spare.
 */
double
VgHalfLowerBound(const VgShape *shape, float ranking, float query_norm,
				 float error, float norm)
{
	double		slack = ldexp((double) shape->dim, -21);
	double		e_x = error;
	double		bound;

	switch (shape->metric)
	{
		case VG_METRIC_L2:
			bound = sqrt(Max((double) ranking, 0.0)) * (1.0 - slack) - e_x;
			return Max(bound, 0.0);
		case VG_METRIC_L1:
			bound = (double) ranking * (1.0 - slack) - e_x;
			return Max(bound, 0.0);
		case VG_METRIC_IP:
			return (double) ranking - query_norm * e_x - slack * query_norm * (norm + e_x);
		case VG_METRIC_COSINE:
			bound = 1.0 + (double) ranking - e_x - slack * (1.0 + e_x);
			return Max(bound, 0.0);
	}
	pg_unreachable();
}
