/*-------------------------------------------------------------------------
 *
 * vgbuild.h
 *	  What the serial build (vgbuild.c) and the parallel build
 *	  (vgparallel.c) share.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VGBUILD_H
#define VGBUILD_H

#include "vgam.h"

/* Levels come from a fixed seed: the same rows in the same order, the same graph. */
#define VG_BUILD_SEED		UINT64CONST(0x5eed5eed5eed5eed)

/*
 * Links unreachable nodes of a finished in-memory graph, writes it into the
 * empty index and reports the timings at DEBUG1.
 */
extern void VgFinishArena(Relation index, const VgShape *shape, int ef_construction,
						  VgArena *arena, int workers);

extern int	VgPlanBuildWorkers(Relation heap, Relation index);
extern bool VgBuildParallel(Relation heap, Relation index, IndexInfo *indexInfo,
							const VgShape *shape, int ef_construction, int nworkers,
							double *reltuples, double *indtuples, int *launched);

#endif							/* VGBUILD_H */
