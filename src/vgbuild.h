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

/* Sub-phases reported in pg_stat_progress_create_index. */
#define VG_PHASE_LOAD			2
#define VG_PHASE_LINK			3
#define VG_PHASE_WRITE			4
#define VG_PHASE_VAMANA_INIT	5	/* then one per VgVamanaStep */
#define VG_PHASE_VAMANA_PASS1	6
#define VG_PHASE_VAMANA_PASS2	7
#define VG_PHASE_VAMANA_TRIM	8
#define VG_PHASE_VAMANA_TREE	9

static inline int
VgVamanaPhase(int step)
{
	return VG_PHASE_VAMANA_INIT + step;
}

/* Levels come from a fixed seed: the same rows in the same order, the same graph. */
#define VG_BUILD_SEED		UINT64CONST(0x5eed5eed5eed5eed)

extern void VgPrefault(void *start, Size len);

/*
 * Links unreachable nodes of a finished in-memory graph, writes it into the
 * empty index and reports the timings at DEBUG1.
 */
extern void VgFinishArena(Relation index, const VgShape *shape, int ef_construction,
						  VgArena *arena, int workers);

extern void VgBuildVamanaInArena(const VgShape *shape, int build_list_size, VgArena *arena);
extern void VgVamanaTreeLinks(const VgShape *shape, int build_list_size, VgArena *arena,
							  VgVamanaBuild *b);

extern int	VgPlanBuildWorkers(Relation heap, Relation index);
extern bool VgBuildParallel(Relation heap, Relation index, IndexInfo *indexInfo,
							const VgShape *shape, int ef_construction, int nworkers,
							double *reltuples, double *indtuples, int *launched);

#endif							/* VGBUILD_H */
