/*-------------------------------------------------------------------------
 *
 * vector.c
 *	  The vector type's input, output, binary and typmod functions, and the
 *	  checks every vector-producing function shares.
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

Vector *
InitVector(int dim)
{
	Vector	   *result = (Vector *) palloc0(VECTOR_SIZE(dim));

	SET_VARSIZE(result, VECTOR_SIZE(dim));
	result->dim = dim;
	return result;
}

void
CheckDimCount(int dim)
{
	if (dim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("vector must have at least 1 dimension")));
	if (dim > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vector cannot have more than %d dimensions, got %d",
						VECTOR_MAX_DIM, dim)));
}

void
CheckDimsMatch(int a, int b)
{
	if (a != b)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("different vector dimensions %d and %d", a, b)));
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
CheckElement(float value)
{
	if (isnan(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("NaN not allowed in vector")));
	if (isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_DATA_EXCEPTION),
				 errmsg("infinite value not allowed in vector")));
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
ReportSyntaxError(const char *input, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type vector: \"%s\"", input),
			 errdetail("%s", detail)));
}

/*
 * Parses one element at *p.  Overflow is an error, as in float4in; a value
 * too small for float4 becomes 0 (or a denormal) as in pgvector, which
 * clients moving from it rely on.  Leaves *p after the number.
 */
static float
ParseElement(char **p, const char *input)
{
	char	   *start = *p;
	char	   *end;
	float		value;

	if (*start == ',' || *start == ']' || *start == '\0')
		ReportSyntaxError(input, "Each element must be a number.");

	errno = 0;
	value = strtof(start, &end);
	if (end == start)
		ReportSyntaxError(input, "Each element must be a number.");
	if (errno == ERANGE && isinf(value))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("\"%.*s\" is out of range for type vector",
						(int) (end - start), start)));
	CheckElement(value);
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

PG_FUNCTION_INFO_V1(vector_in);
Datum
vector_in(PG_FUNCTION_ARGS)
{
	char	   *input = PG_GETARG_CSTRING(0);
	int32		typmod = PG_GETARG_INT32(2);
	int			capacity = 16;
	int			dim = 0;
	float	   *values = palloc(sizeof(float) * capacity);
	char	   *p = SkipSpace(input);
	Vector	   *result;

	if (*p != '[')
		ReportSyntaxError(input, "Vector contents must start with \"[\".");
	p = SkipSpace(p + 1);
	if (*p == ']')
		CheckDimCount(0);

	for (;;)
	{
		if (dim == capacity)
		{
			/* one slot past the limit lets the limit check below fire */
			capacity = Min(capacity * 2, VECTOR_MAX_DIM + 1);
			values = repalloc(values, sizeof(float) * capacity);
		}
		values[dim++] = ParseElement(&p, input);
		if (dim > VECTOR_MAX_DIM)
			CheckDimCount(dim + CountCommas(p));
		p = SkipSpace(p);
		if (*p == ']')
			break;
		if (*p != ',')
			ReportSyntaxError(input, "Elements must be separated by \",\" and the vector must end with \"]\".");
		p = SkipSpace(p + 1);
	}

	p = SkipSpace(p + 1);
	if (*p != '\0')
		ReportSyntaxError(input, "Junk after closing \"]\".");

	CheckDimCount(dim);
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

PG_FUNCTION_INFO_V1(vector_typmod_in);
Datum
vector_typmod_in(PG_FUNCTION_ARGS)
{
	ArrayType  *ta = PG_GETARG_ARRAYTYPE_P(0);
	int32	   *tl;
	int			n;

	tl = ArrayGetIntegerTypmods(ta, &n);
	if (n != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid type modifier"),
				 errdetail("Type vector takes one modifier, the number of dimensions.")));
	if (*tl < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type vector must be at least 1, got %d", *tl)));
	if (*tl > VECTOR_MAX_DIM)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("dimensions for type vector cannot exceed %d, got %d",
						VECTOR_MAX_DIM, *tl)));
	PG_RETURN_INT32(*tl);
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
