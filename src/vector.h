/*-------------------------------------------------------------------------
 *
 * vector.h
 *	  The vector type: a dense array of float4, laid out as pgvector lays it
 *	  out so that its binary form and client libraries carry over unchanged.
 *
 *	  A vector is a varlena:
 *
 *		int32	varlena header
 *		int16	dim			number of elements, 1 .. VECTOR_MAX_DIM
 *		int16	unused		always 0 (pgvector reserves it; so do we)
 *		float4	x[dim]
 *
 *	  The type's storage is EXTERNAL: float data does not compress, so a wide
 *	  vector is moved out of line without a compression attempt and reading
 *	  it back never decompresses.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VECGRAPH_VECTOR_H
#define VECGRAPH_VECTOR_H

#include "postgres.h"

#include "fmgr.h"
#include "utils/array.h"

#define VECTOR_MAX_DIM 16000

typedef struct Vector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;
	int16		unused;
	float		x[FLEXIBLE_ARRAY_MEMBER];
} Vector;

#define VECTOR_SIZE(dim)		(offsetof(Vector, x) + sizeof(float) * (dim))
#define DatumGetVector(d)		((Vector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_VECTOR_P(n)	DatumGetVector(PG_GETARG_DATUM(n))
#define PG_RETURN_VECTOR_P(v)	PG_RETURN_POINTER(v)

/* A zeroed vector of dim elements in the current memory context. */
extern Vector *InitVector(int dim);

/*
 * Checks that raise ereport(ERROR) with the offending values named.  The
 * CheckType* forms name another vector-like type (halfvec) instead.
 */
extern void CheckDimCount(int dim);
extern void CheckDimsMatch(int a, int b);
extern void CheckExpectedDims(int32 typmod, int dim);
extern void CheckElement(float value);
extern void CheckTypeDimCount(const char *typname, int dim);
extern void CheckTypeDimsMatch(const char *typname, int a, int b);
extern void CheckTypeElement(const char *typname, float value);

/*
 * The text form and type modifier every vector-like type shares.
 * ParseVectorText returns the elements as float4: finite, and a finite one
 * of magnitude limit or more is out of range for typname (INFINITY: no
 * limit beyond float4's).
 */
extern float *ParseVectorText(const char *typname, char *input, float limit,
							  int *dim_out);
extern int32 ParseDimsTypmod(const char *typname, ArrayType *typmods);

/*
 * avg's float8[] state (vector_agg.c): the checked values, and a state the
 * transition function may change for a vector of dim elements.  avg(halfvec)
 * shares it.
 */
extern float8 *AvgStateValues(ArrayType *state, int *n);
extern ArrayType *AvgWritableState(FunctionCallInfo fcinfo, int argno,
								   const char *typname, int dim);

/*
 * Distance functions, compared by address to recognise an operator class's
 * support function (see VgIndexMetric).
 */
extern PGDLLEXPORT Datum vector_l2_squared_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum vector_negative_inner_product(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum cosine_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum l1_distance(PG_FUNCTION_ARGS);

#endif							/* VECGRAPH_VECTOR_H */
