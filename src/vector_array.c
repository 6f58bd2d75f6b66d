/*-------------------------------------------------------------------------
 *
 * vector_array.c
 *	  Casts between vector and SQL arrays: from integer[], real[],
 *	  double precision[] and numeric[]; to real[].
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/lsyscache.h"

#include "vector.h"

/* One array element as float4, with float4's range checks. */
static float
ElementToFloat(Datum d, Oid elemtype)
{
	double		value;

	switch (elemtype)
	{
		case INT4OID:
			return (float) DatumGetInt32(d);
		case FLOAT4OID:
			return DatumGetFloat4(d);
		case FLOAT8OID:
			value = DatumGetFloat8(d);
			break;
		case NUMERICOID:
			/* numeric_float4 raises its own out-of-range errors */
			return DatumGetFloat4(DirectFunctionCall1(numeric_float4, d));
		default:
			elog(ERROR, "unsupported array element type %u for vector", elemtype);
	}

	/* tiny values become 0, as in pgvector; overflow is an error */
	if (isfinite(value) && isinf((float) value))
		float_overflow_error();
	return (float) value;
}

/*
 * array_to_vector(anyarray, typmod, explicit): the cast from a
 * one-dimensional array without NULLs.
 */
PG_FUNCTION_INFO_V1(array_to_vector);
Datum
array_to_vector(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	Vector	   *result;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be one-dimensional to become a vector, got %d dimensions",
						ARR_NDIM(array))));

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign,
					  &elems, &nulls, &n);

	CheckDimCount(n);
	CheckExpectedDims(typmod, n);

	result = InitVector(n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array element %d is NULL, which a vector cannot hold", i + 1)));
		result->x[i] = ElementToFloat(elems[i], elemtype);
		CheckElement(result->x[i]);
	}
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_to_float4);
Datum
vector_to_float4(PG_FUNCTION_ARGS)
{
	Vector	   *v = PG_GETARG_VECTOR_P(0);
	Datum	   *elems = palloc(sizeof(Datum) * v->dim);

	for (int i = 0; i < v->dim; i++)
		elems[i] = Float4GetDatum(v->x[i]);
	PG_RETURN_POINTER(construct_array(elems, v->dim, FLOAT4OID,
									  sizeof(float4), true,
									  TYPALIGN_INT));
}
