/*-------------------------------------------------------------------------
 *
 * halfvec.h
 *	  The halfvec type: a dense array of IEEE 754 half-precision values
 *	  (binary16), laid out as pgvector lays it out so that its binary form
 *	  and client libraries carry over unchanged.
 *
 *	  A halfvec is a varlena:
 *
 *		int32	varlena header
 *		int16	dim			number of elements, 1 .. HALFVEC_MAX_DIM
 *		int16	unused		always 0 (pgvector reserves it; so do we)
 *		VgHalf	x[dim]		binary16 bit patterns (core/vg_half.h)
 *
 *	  Half the bytes of a vector for 11 significant bits and a largest
 *	  finite value of 65,504.  Every element is finite, as in a vector.
 *	  Distances convert each element exactly to float4 and run on the same
 *	  kernels as the index (VgHalfKernels), so both agree bit for bit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VECGRAPH_HALFVEC_H
#define VECGRAPH_HALFVEC_H

#include "postgres.h"

#include "fmgr.h"

#include "core/vg_half.h"
#include "vector.h"

/* The shared checks in vector.c enforce VECTOR_MAX_DIM: the same limit. */
#define HALFVEC_MAX_DIM VECTOR_MAX_DIM

/*
 * The smallest float4 magnitude that rounds to a half infinity: halfway
 * between VG_HALF_MAX (65504) and 65536, where ties to even go up.
 */
#define HALFVEC_OVERFLOW_LIMIT 65520.0f

typedef struct HalfVector
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int16		dim;
	int16		unused;
	VgHalf		x[FLEXIBLE_ARRAY_MEMBER];
} HalfVector;

#define HALFVEC_SIZE(dim)		(offsetof(HalfVector, x) + sizeof(VgHalf) * (dim))
#define DatumGetHalfVector(d)	((HalfVector *) PG_DETOAST_DATUM(d))
#define PG_GETARG_HALFVEC_P(n)	DatumGetHalfVector(PG_GETARG_DATUM(n))
#define PG_RETURN_HALFVEC_P(v)	PG_RETURN_POINTER(v)

/* A zeroed halfvec of dim elements in the current memory context. */
extern HalfVector *InitHalfVector(int dim);

/* True for the bit patterns of +-infinity. */
static inline bool
HalfIsInf(VgHalf h)
{
	return (h & 0x7FFF) == 0x7C00;
}

/*
 * A finite float4 as a half; a value beyond half's range raises
 * "... is out of range for type halfvec", naming it.
 */
extern VgHalf FloatToHalfChecked(float value);

/*
 * Distance functions, compared by address to recognise an operator class's
 * support function (see VgIndexMetric).
 */
extern PGDLLEXPORT Datum halfvec_l2_squared_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum halfvec_negative_inner_product(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum halfvec_cosine_distance(PG_FUNCTION_ARGS);
extern PGDLLEXPORT Datum halfvec_l1_distance(PG_FUNCTION_ARGS);

#endif							/* VECGRAPH_HALFVEC_H */
