/*-------------------------------------------------------------------------
 *
 * halfvec.c
 *	  The halfvec type's input, output, binary and typmod functions, and its
 *	  casts: to and from vector, from integer[], real[], double precision[]
 *	  and numeric[], to real[].
 *
 *	  Text and binary forms follow pgvector's halfvec so that clients
 *	  written for it work unchanged: text '[1,2.5,-3e-2]', read as float4
 *	  and rounded to the nearest half, printed as the shortest text that
 *	  reads back as the same float4 (so text out and in is exact); binary
 *	  int16 dim, int16 zero, then dim halves as uint16 in network order.
 *
 *	  Values too large for half precision are errors naming the value; values
 *	  too small become zero (or a subnormal half), as in pgvector.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "common/shortest_dec.h"
#include "libpq/pqformat.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"

#include "halfvec.h"

HalfVector *
InitHalfVector(int dim)
{
	HalfVector *result = (HalfVector *) palloc0(HALFVEC_SIZE(dim));

	SET_VARSIZE(result, HALFVEC_SIZE(dim));
	result->dim = dim;
	return result;
}

static void ReportOutOfRange(const char *value) pg_attribute_noreturn();

static void
ReportOutOfRange(const char *value)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("\"%s\" is out of range for type halfvec", value)));
}

VgHalf
FloatToHalfChecked(float value)
{
	VgHalf		result = vg_float_to_half(value);

	if (unlikely(HalfIsInf(result) && isfinite(value)))
	{
		char		buf[FLOAT_SHORTEST_DECIMAL_LEN];

		float_to_shortest_decimal_buf(value, buf);
		ReportOutOfRange(buf);
	}
	return result;
}

PG_FUNCTION_INFO_V1(halfvec_in);
Datum
halfvec_in(PG_FUNCTION_ARGS)
{
	int32		typmod = PG_GETARG_INT32(2);
	int			dim;
	float	   *values = ParseVectorText("halfvec", PG_GETARG_CSTRING(0),
										 HALFVEC_OVERFLOW_LIMIT, &dim);
	HalfVector *result;

	CheckExpectedDims(typmod, dim);

	/* every value is finite and below the limit: no infinity can come out */
	result = InitHalfVector(dim);
	vg_floats_to_half(result->x, values, dim);
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_out);
Datum
halfvec_out(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	int			dim = vec->dim;

	/* each element takes at most FLOAT_SHORTEST_DECIMAL_LEN - 1 chars + ',' */
	char	   *buf = palloc(FLOAT_SHORTEST_DECIMAL_LEN * dim + 2);
	char	   *p = buf;

	*p++ = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += float_to_shortest_decimal_bufn(vg_half_to_float(vec->x[i]), p);
	}
	*p++ = ']';
	*p = '\0';

	PG_FREE_IF_COPY(vec, 0);
	PG_RETURN_CSTRING(buf);
}

/* halfvec(n); with no typmod_out, as in pgvector, it prints as halfvec(n). */
PG_FUNCTION_INFO_V1(halfvec_typmod_in);
Datum
halfvec_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ParseDimsTypmod("halfvec", PG_GETARG_ARRAYTYPE_P(0)));
}

PG_FUNCTION_INFO_V1(halfvec_recv);
Datum
halfvec_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			dim;
	int			unused;
	HalfVector *result;

	dim = (int16) pq_getmsgint(buf, sizeof(int16));
	unused = (int16) pq_getmsgint(buf, sizeof(int16));

	if (dim < 1 || dim > HALFVEC_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary halfvec has %d dimensions, must be between 1 and %d",
						dim, HALFVEC_MAX_DIM)));
	if (unused != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary halfvec has reserved field %d, must be 0", unused)));
	if (buf->len - buf->cursor != (int) sizeof(VgHalf) * dim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary halfvec of %d dimensions needs %d bytes of data, got %d",
						dim, (int) sizeof(VgHalf) * dim, buf->len - buf->cursor)));
	CheckExpectedDims(typmod, dim);

	result = InitHalfVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = (VgHalf) pq_getmsgint(buf, sizeof(VgHalf));
		CheckTypeElement("halfvec", vg_half_to_float(result->x[i]));
	}
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_send);
Datum
halfvec_send(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, vec->dim);
	pq_sendint16(&buf, vec->unused);
	for (int i = 0; i < vec->dim; i++)
		pq_sendint16(&buf, vec->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * halfvec(halfvec, typmod, explicit): the length coercion that enforces a
 * column's halfvec(n) on assignment.
 */
PG_FUNCTION_INFO_V1(halfvec);
Datum
halfvec(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);

	CheckExpectedDims(PG_GETARG_INT32(1), vec->dim);
	PG_RETURN_HALFVEC_P(vec);
}

/* SQL vector_dims(halfvec) */
PG_FUNCTION_INFO_V1(halfvec_vector_dims);
Datum
halfvec_vector_dims(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);

	PG_RETURN_INT32(vec->dim);
}

/* Rounds each element to the nearest half; too large is an error. */
PG_FUNCTION_INFO_V1(vector_to_halfvec);
Datum
vector_to_halfvec(PG_FUNCTION_ARGS)
{
	Vector	   *vec = PG_GETARG_VECTOR_P(0);
	HalfVector *result;

	CheckExpectedDims(PG_GETARG_INT32(1), vec->dim);
	result = InitHalfVector(vec->dim);
	for (int i = 0; i < vec->dim; i++)
		result->x[i] = FloatToHalfChecked(vec->x[i]);
	PG_RETURN_HALFVEC_P(result);
}

/* Exact: every half is a float4. */
PG_FUNCTION_INFO_V1(halfvec_to_vector);
Datum
halfvec_to_vector(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	Vector	   *result;

	CheckExpectedDims(PG_GETARG_INT32(1), vec->dim);
	result = InitVector(vec->dim);
	vg_half_to_floats(result->x, vec->x, vec->dim);
	PG_RETURN_VECTOR_P(result);
}

/*
 * One array element as a half.  NaN and infinity are rejected as in a
 * vector; a finite value beyond half's range is an error naming the element
 * as its own type prints it.  A numeric too large even for float8 reads as
 * infinite, so an infinite numeric is told apart by its text.
 */
static VgHalf
ElementToHalf(Datum d, Oid elemtype, Oid typoutput)
{
	double		value;
	VgHalf		result;

	switch (elemtype)
	{
		case INT4OID:
			value = (double) DatumGetInt32(d);
			break;
		case FLOAT4OID:
			value = (double) DatumGetFloat4(d);
			break;
		case FLOAT8OID:
			value = DatumGetFloat8(d);
			break;
		case NUMERICOID:
			value = DatumGetFloat8(DirectFunctionCall1(numeric_float8_no_overflow, d));
			break;
		default:
			elog(ERROR, "unsupported array element type %u for halfvec", elemtype);
	}

	if (!isfinite(value))
	{
		if (isinf(value) && elemtype == NUMERICOID)
		{
			char	   *text = OidOutputFunctionCall(typoutput, d);

			if (strcmp(text, "Infinity") != 0 && strcmp(text, "-Infinity") != 0)
				ReportOutOfRange(text);
		}
		CheckTypeElement("halfvec", (float) value);
	}

	/* tiny values become 0, as in pgvector; too large is an error */
	result = vg_float_to_half((float) value);
	if (unlikely(HalfIsInf(result)))
		ReportOutOfRange(OidOutputFunctionCall(typoutput, d));
	return result;
}

/*
 * array_to_halfvec(anyarray, typmod, explicit): the cast from a
 * one-dimensional array without NULLs.
 */
PG_FUNCTION_INFO_V1(array_to_halfvec);
Datum
array_to_halfvec(PG_FUNCTION_ARGS)
{
	ArrayType  *array = PG_GETARG_ARRAYTYPE_P(0);
	int32		typmod = PG_GETARG_INT32(1);
	Oid			elemtype = ARR_ELEMTYPE(array);
	int16		typlen;
	bool		typbyval;
	char		typalign;
	Oid			typoutput;
	bool		typisvarlena;
	Datum	   *elems;
	bool	   *nulls;
	int			n;
	HalfVector *result;

	if (ARR_NDIM(array) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("array must be one-dimensional to become a halfvec, got %d dimensions",
						ARR_NDIM(array))));

	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	getTypeOutputInfo(elemtype, &typoutput, &typisvarlena);
	deconstruct_array(array, elemtype, typlen, typbyval, typalign,
					  &elems, &nulls, &n);

	CheckTypeDimCount("halfvec", n);
	CheckExpectedDims(typmod, n);

	result = InitHalfVector(n);
	for (int i = 0; i < n; i++)
	{
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("array element %d is NULL, which a halfvec cannot hold", i + 1)));
		result->x[i] = ElementToHalf(elems[i], elemtype, typoutput);
	}
	PG_RETURN_HALFVEC_P(result);
}

PG_FUNCTION_INFO_V1(halfvec_to_float4);
Datum
halfvec_to_float4(PG_FUNCTION_ARGS)
{
	HalfVector *vec = PG_GETARG_HALFVEC_P(0);
	Datum	   *elems = palloc(sizeof(Datum) * vec->dim);

	for (int i = 0; i < vec->dim; i++)
		elems[i] = Float4GetDatum(vg_half_to_float(vec->x[i]));
	PG_RETURN_POINTER(construct_array(elems, vec->dim, FLOAT4OID,
									  sizeof(float4), true,
									  TYPALIGN_INT));
}
