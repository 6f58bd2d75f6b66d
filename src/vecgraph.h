/*-------------------------------------------------------------------------
 *
 * vecgraph.h
 *	  Module-wide state of the vecgraph extension's PostgreSQL glue.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VECGRAPH_H
#define VECGRAPH_H

#include "core/vg_distance.h"
#include "core/vg_half.h"

/*
 * The distance kernels in force in this backend, chosen in _PG_init from the
 * CPU and changed only by the vecgraph.simd setting.  Never NULL once the
 * module is loaded.
 */
extern const VgDistanceKernels *VgKernels;

/*
 * The same for half-precision vectors, and for float against half (queries
 * of half-storage indexes); core/vg_half.h.  Chosen alike.
 */
extern const VgDistanceKernels *VgHalfKernels;
extern const VgDistanceKernels *VgMixedKernels;

#endif							/* VECGRAPH_H */
