/*-------------------------------------------------------------------------
 *
 * vg_half.h
 *	  IEEE 754 half precision (binary16): conversions and distance kernels.
 *
 * Half-precision vectors (the halfvec type, and indexes with storage =
 * 'half') hold each element in 16 bits: half the bytes of float4, so half
 * the memory traffic per distance, with 11 significant bits (integers up to
 * 2048 are exact) and a largest finite value of 65504.
 *
 * The kernels take two half vectors and compute in float, converting each
 * element exactly (every half is a float), with the same accumulation
 * scheme as the float kernels of the same level; their tables have the
 * VgDistanceKernels shape so callers pick a table by element type and use
 * it alike.  On values exact in half, every kernel here gives the float
 * kernel's result of its level bit for bit (the unit tests check).  Part
 * of the pure-C core: C standard headers only.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_HALF_H
#define VG_HALF_H

#include <stddef.h>
#include <stdint.h>

#include "vg_distance.h"

typedef uint16_t VgHalf;

/* Largest finite half; values that round beyond it become infinite. */
#define VG_HALF_MAX 65504.0f

/* Exact: every half value is a float value. */
extern float vg_half_to_float(VgHalf h);

/* Rounded to nearest, ties to even; too large for half gives infinity. */
extern VgHalf vg_float_to_half(float f);

/*
 * Whole arrays, with F16C where the CPU has it (the same results as the
 * element functions).
 */
extern void vg_half_to_floats(float *out, const VgHalf *in, size_t n);
extern void vg_floats_to_half(VgHalf *out, const float *in, size_t n);

/*
 * The half-precision kernel table for a level, or NULL when the CPU or the
 * build cannot run it.  Levels above scalar also need F16C, which every
 * AVX2 CPU made so far has; the table is refused where it is missing.
 */
extern const VgDistanceKernels *vg_half_kernels(VgSimdLevel level);

/*
 * Kernels whose first vector is float and second half: a query against
 * stored half vectors, with half the conversions.  On half values of the
 * first, the same bits as the half and float kernels of the level.
 */
extern const VgDistanceKernels *vg_mixed_kernels(VgSimdLevel level);

#endif							/* VG_HALF_H */
