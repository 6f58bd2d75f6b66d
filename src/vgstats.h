/*-------------------------------------------------------------------------
 *
 * vgstats.h
 *	  Cumulative per-index scan statistics in shared memory, shown by
 *	  vecgraph_stats() (see vgstats.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef VGSTATS_H
#define VGSTATS_H

#include "postgres.h"

/* The counters kept for each index, in the order vecgraph_stats() shows them. */
typedef enum VgStatsCounter
{
	VG_STAT_SCANS,				/* scans that searched, a parallel one once */
	VG_STAT_PARALLEL_SCANS,		/* of those, parallel scans */
	VG_STAT_WORKERS_PLANNED,	/* by the Gather (Merge) above a parallel scan */
	VG_STAT_WORKERS_LAUNCHED,	/* by the same, at its last launch */
	VG_STAT_ROUNDS,				/* wider re-searches of a partition */
	VG_STAT_ROWS_RETURNED,		/* rows amgettuple returned */
	VG_STAT_NCOUNTERS
} VgStatsCounter;

/*
 * What one scan counted since it last flushed, in backend memory: a scan
 * adds to these and flushes them once, at rescan or end, so that the rows
 * it returns cost no shared-memory traffic.
 */
typedef struct VgStatsCounts
{
	uint64		n[VG_STAT_NCOUNTERS];
} VgStatsCounts;

extern void VgStatsInit(void);
extern void VgStatsFlush(Oid indexid, VgStatsCounts *counts);

#endif							/* VGSTATS_H */
