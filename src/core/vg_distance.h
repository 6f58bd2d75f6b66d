/*-------------------------------------------------------------------------
 *
 * vg_distance.h
 *	  Distance kernels over float4 vectors, with SIMD variants chosen at run
 *	  time.
 *
 * This header is part of the pure-C core: it includes only C standard
 * headers, so the same kernels serve the PostgreSQL glue, the standalone
 * unit tests and the benchmarks.
 *
 * Every kernel accumulates in float, as pgvector does, so that results match
 * the scalar kernel within float rounding (the unit tests bound the
 * difference).  Callers that need double precision convert the result.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_DISTANCE_H
#define VG_DISTANCE_H

#include <stddef.h>

/* Instruction-set levels, in increasing order of capability. */
typedef enum VgSimdLevel
{
	VG_SIMD_SCALAR = 0,
	VG_SIMD_AVX2 = 1,			/* AVX2 + FMA */
	VG_SIMD_AVX512 = 2			/* AVX-512F */
} VgSimdLevel;

#define VG_SIMD_LEVEL_COUNT 3

/*
 * Sums of one pass of a cosine kernel: the dot product and both squared
 * norms, from which vg_cosine_from_parts derives the distance.
 */
typedef struct VgCosineParts
{
	float		dot;
	float		norm_a;			/* sum of a[i]^2 */
	float		norm_b;			/* sum of b[i]^2 */
} VgCosineParts;

typedef float (*VgPairKernel) (const void *a, const void *b, size_t n);
typedef VgCosineParts (*VgCosineKernel) (const void *a, const void *b,
										 size_t n);

/* One table per SIMD level; all entries are non-NULL. */
typedef struct VgDistanceKernels
{
	VgSimdLevel level;
	VgPairKernel l2_squared;	/* sum (a[i] - b[i])^2 */
	VgPairKernel inner_product; /* sum a[i] * b[i] */
	VgPairKernel l1;			/* sum |a[i] - b[i]| */
	VgCosineKernel cosine_parts;
} VgDistanceKernels;

/* The best level this CPU (and the compiler that built us) supports. */
extern VgSimdLevel vg_simd_detect(void);

/*
 * The kernel table for a level, or NULL when the CPU or the build cannot run
 * that level.  The scalar table is always available.
 */
extern const VgDistanceKernels *vg_distance_kernels(VgSimdLevel level);

/* "scalar", "avx2" or "avx512". */
extern const char *vg_simd_level_name(VgSimdLevel level);

/*
 * Cosine distance (1 - cosine similarity, clamped to [0, 2]) from the parts;
 * NaN when either vector has zero norm, as pgvector returns.
 */
extern double vg_cosine_from_parts(VgCosineParts parts);

#endif							/* VG_DISTANCE_H */
