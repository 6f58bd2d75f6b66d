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
 * Checks that raise ereport(ERROR) with the offending values named.
 */
extern void CheckDimCount(int dim);
extern void CheckDimsMatch(int a, int b);
extern void CheckExpectedDims(int32 typmod, int dim);
extern void CheckElement(float value);



/*
 * Distance functions, compared by address to recognise an operator class's
 * support function (see VgIndexMetric).
 */
extern PGDLLEXPORT Datum vector_l2_squared_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum vector_negative_inner_product(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum cosine_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum l1_distance(PG_FUNCTION_ARGS);

#endif							/* VECGRAPH_VECTOR_H */
