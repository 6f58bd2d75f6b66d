/*-------------------------------------------------------------------------
 *
 * vgworker.h
 *	  The maintenance worker: its settings, its shared registry, and what
 *	  the per-index code asks of it.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VGWORKER_H
#define VGWORKER_H

#include "utils/relcache.h"

/* Settings (vecgraph.maintenance, vecgraph.worker_*). */
extern bool vg_maintenance;
extern int	vg_worker_naptime;
extern int	vg_worker_cost_limit;
extern double vg_worker_cost_delay;
extern bool vg_worker_prewarm;
extern int	vg_worker_recall_sample;

/* The role the extension creates for worker control. */
#define VG_MAINTAINER_ROLE "vecgraph_maintainer"

extern void VgWorkerInit(void);
extern bool VgDatabaseWanted(void);
extern void VgLeaveIfDatabaseWanted(void);
extern bool VgIsMaintainer(void);
extern bool VgCanSeeIndexStats(Oid heapoid);

/* vgprewarm.c */
extern uint64 VgPrewarmIndex(Relation index);

/* vghealth.c */
extern double VgEstimateRecall(Relation heap, Relation index, int sample, int k);

#endif							/* VGWORKER_H */
