/*-------------------------------------------------------------------------
 *
 * vector.c
 *	  The vector type's input, output, binary and typmod functions, and the
 *	  checks and text parser every vector-producing function shares (halfvec
 *	  uses them too, with its own name in the messages).
 *
 *	  Text and binary forms follow pgvector's so that clients written for it
 *	  work unchanged: text '[1,2.5,-3e-2]' with shortest round-trip float
 *	  output; binary int16 dim, int16 zero, then dim float4 in network order.
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

#include "vector.h"
#include "core/vg_decimal.h"

Vector *
InitVector(int dim)
{
	Vector	   *result = (Vector *) palloc0(VECTOR_SIZE(dim));

	SET_VARSIZE(result, VECTOR_SIZE(dim));
	result->dim = dim;
	return result;
}

void
CheckTypeDimCount(const char *typname, int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("%s must have at least 1 dimension", typname)));
	if (dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("%s cannot have more than %d dimensions, got %d",
						typname, VECTOR_MAX_DIM, dim)));
}

void
CheckDimCount(int dim)
{
	CheckTypeDimCount("vector", dim);
}

void
CheckTypeDimsMatch(const char *typname, int a, int b)
{
	if (a != b)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different %s dimensions %d and %d", typname, a, b)));
}

void
CheckDimsMatch(int a, int b)
{
	CheckTypeDimsMatch("vector", a, b);
}

void
CheckExpectedDims(int32 typmod, int dim)
{
	if (typmod != -1 && typmod != dim)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("expected %d dimensions, not %d", typmod, dim)));
}

void
CheckTypeElement(const char *typname, float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in %s", typname)));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in %s", typname)));
}

void
CheckElement(float value)
{
	CheckTypeElement("vector", value);
}

static inline bool
IsVectorSpace(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static inline char *
SkipSpace(char *p)
{
	while (IsVectorSpace(*p))
		p++;
	return p;
}

static void
ReportSyntaxError(const char *typname, const char *input, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", typname, input),
			 errdetail("%s", detail)));
}

/*
 * Parses one element at *p.  Overflow is an error, as in float4in, and so
 * is a finite value of magnitude limit or more (the type's own overflow
 * threshold); a value too small for the type becomes 0 (or a denormal) as
 * in pgvector, which clients moving from it rely on.  Leaves *p after the
 * number.
 */
static float
ParseElement(char **p, const char *typname, const char *input, float limit)
{
	char	   *start = *p;
	char	   *end;
	const char *fast_end;
	float		value;

	if (*start == ',' || *start == ']' || *start == '\0')
		ReportSyntaxError(typname, input, "Each element must be a number.");

	/* the common plain decimals without strtof; the same value */
	if (vg_parse_plain_decimal(start, &value, &fast_end))
		end = unconstify(char *, fast_end);
	else
	{
		errno = 0;
		value = strtof(start, &end);
		if (end == start)
			ReportSyntaxError(typname, input, "Each element must be a number.");
	}
	if ((errno == ERANGE && isinf(value)) || (isfinite(value) && fabsf(value) >= limit))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%.*s\" is out of range for type %s",
						(int) (end - start), start, typname)));
	CheckTypeElement(typname, value);
	*p = end;
	return value;
}

/* Elements still to come after an over-long prefix, for the error message. */
static int
CountCommas(const char *p)
{
	int			n = 0;

	for (; *p; p++)
		n += (*p == ',');
	return n;
}

/*
 * The text form '[x1,...,xn]' of a vector-like type, as float4 values;
 * returns the palloc'd elements and sets *dim_out.
 */
float *
ParseVectorText(const char *typname, char *input, float limit, int *dim_out)
{
	int			capacity = 16;
	int			dim = 0;
	float	   *values = palloc(sizeof(float) * capacity);
	char	   *p = SkipSpace(input);

	if (*p != '[')
		ReportSyntaxError(typname, input, "Vector contents must start with \"[\".");
	p = SkipSpace(p + 1);
	if (*p == ']')
		CheckTypeDimCount(typname, 0);

	for (;;)
	{
		if (dim == capacity)
		{
			/* one slot past the limit lets the limit check below fire */
			capacity = Min(capacity * 2, VECTOR_MAX_DIM + 1);
			values = repalloc(values, sizeof(float) * capacity);
		}
		values[dim++] = ParseElement(&p, typname, input, limit);
		if (dim > VECTOR_MAX_DIM)
			CheckTypeDimCount(typname, dim + CountCommas(p));
		p = SkipSpace(p);
		if (*p == ']')
			break;
		if (*p != ',')
			ReportSyntaxError(typname, input, "Elements must be separated by \",\" and the vector must end with \"]\".");
		p = SkipSpace(p + 1);
	}

	p = SkipSpace(p + 1);
	if (*p != '\0')
		ReportSyntaxError(typname, input, "Junk after closing \"]\".");

	CheckTypeDimCount(typname, dim);
	*dim_out = dim;
	return values;
}

PG_FUNCTION_INFO_V1(vector_in);
Datum
vector_in(PG_FUNCTION_ARGS)
{
	int32		typmod = PG_GETARG_INT32(2);
	int			dim;
	float	   *values = ParseVectorText("vector", PG_GETARG_CSTRING(0),
										 INFINITY, &dim);
	Vector	   *result;

	CheckExpectedDims(typmod, dim);

	result = InitVector(dim);
	memcpy(result->x, values, sizeof(float) * dim);
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_out);
Datum
vector_out(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);
	int			dim = vector->dim;

	/* each element takes at most FLOAT_SHORTEST_DECIMAL_LEN - 1 chars + ',' */
	char	   *buf = palloc(FLOAT_SHORTEST_DECIMAL_LEN * dim + 2);
	char	   *p = buf;

	*p++ = '[';
	for (int i = 0; i < dim; i++)
	{
		if (i > 0)
			*p++ = ',';
		p += float_to_shortest_decimal_bufn(vector->x[i], p);
	}
	*p++ = ']';
	*p = '\0';

	PG_FREE_IF_COPY(vector, 0);
	PG_RETURN_CSTRING(buf);
}

/* The one type modifier of a vector-like type: its number of dimensions. */
int32
ParseDimsTypmod(const char *typname, ArrayType *ta)
{
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier"),
				 errdetail("Type %s takes one modifier, the number of dimensions.", typname)));
	if (*tl < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type %s must be at least 1, got %d", typname, *tl)));
	if (*tl > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type %s cannot exceed %d, got %d",
						typname, VECTOR_MAX_DIM, *tl)));
	return *tl;
}

PG_FUNCTION_INFO_V1(vector_typmod_in);
Datum
vector_typmod_in(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT32(ParseDimsTypmod("vector", PG_GETARG_ARRAYTYPE_P(0)));
}

PG_FUNCTION_INFO_V1(vector_typmod_out);
Datum
vector_typmod_out(PG_FUNCTION_ARGS)
{
	int32		typmod = PG_GETARG_INT32(0);

	PG_RETURN_CSTRING(typmod < 0 ? pstrdup("") : psprintf("(%d)", typmod));
}

PG_FUNCTION_INFO_V1(vector_recv);
Datum
vector_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			dim;
	int			unused;
	Vector	   *result;

	dim = (int16) pq_getmsgint(buf, sizeof(int16));
	unused = (int16) pq_getmsgint(buf, sizeof(int16));

	if (dim < 1 || dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary vector has %d dimensions, must be between 1 and %d",
						dim, VECTOR_MAX_DIM)));
	if (unused != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary vector has reserved field %d, must be 0", unused)));
	if (buf->len - buf->cursor != (int) sizeof(float) * dim)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_BINARY_REPRESENTATION),
				 errmsg("binary vector of %d dimensions needs %d bytes of data, got %d",
						dim, (int) sizeof(float) * dim, buf->len - buf->cursor)));
	CheckExpectedDims(typmod, dim);

	result = InitVector(dim);
	for (int i = 0; i < dim; i++)
	{
		result->x[i] = pq_getmsgfloat4(buf);
		CheckElement(result->x[i]);
	}
	PG_RETURN_VECTOR_P(result);
}

PG_FUNCTION_INFO_V1(vector_send);
Datum
vector_send(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint16(&buf, vector->dim);
	pq_sendint16(&buf, vector->unused);
	for (int i = 0; i < vector->dim; i++)
		pq_sendfloat4(&buf, vector->x[i]);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/*
 * vector(vector, typmod, explicit): the length coercion that enforces a
 * column's vector(n) on assignment.
 */
PG_FUNCTION_INFO_V1(vector);
Datum
vector(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);

	CheckExpectedDims(PG_GETARG_INT32(1), vector->dim);
	PG_RETURN_VECTOR_P(vector);
}

PG_FUNCTION_INFO_V1(vector_dims);
Datum
vector_dims(PG_FUNCTION_ARGS)
{
	Vector	   *vector = PG_GETARG_VECTOR_P(0);

	PG_RETURN_INT32(vector->dim);
}
