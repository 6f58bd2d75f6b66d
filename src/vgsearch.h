/*-------------------------------------------------------------------------
 *
 * vgsearch.h
 *	  A scan's unit of work, a round (one partition searched at one
 *	  breadth), and the search worker pool that shares rounds out.
 *
 *	  A round's results carry what the scan needs of each node (heap TID,
 *	  half-storage error and norm), so that the backend can use results
 *	  that another process found without reading the nodes again.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VGSEARCH_H
#define VGSEARCH_H

#include "postgres.h"

#include "storage/itemptr.h"
#include "utils/relcache.h"

#include "core/vg_heap.h"

typedef struct VgRoundResult
{
	VgNodeId	id;
	float		distance;		/* ranking distance */
	ItemPointerData heaptid;
	float		error;			/* half storage: the node's rounding error */
	float		norm;
} VgRoundResult;

typedef struct VgRound
{
	int			partition;
	int			ef;
	VgRoundResult *results;		/* room for ef; nearest first, live nodes only */
	int			n_results;
	bool		final;			/* the search found fewer than ef nodes */
} VgRound;

struct VgStoreData;

/* vgscan.c: searches round r in this process. */
extern void VgSearchRound(struct VgStoreData *store, const void *query, VgRound *r);

/* vgsearchpool.c */
extern int	vg_search_workers;
extern bool vg_enable_search_workers;
extern int	vg_search_worker_spin;

/* What this backend's scans got from the pool, for EXPLAIN ANALYZE. */
typedef struct VgPoolTally
{
	int64		dispatches;		/* searches shared with the pool */
	int64		rounds;			/* rounds in them */
	int64		rounds_by_workers;
	int			max_workers;	/* most workers one search had */
	int64		claimed;		/* dispatches a worker took an item of */
	int64		dispatch_us;	/* their time from posting to a worker's first claim */
} VgPoolTally;

extern VgPoolTally vg_pool_tally;

extern void VgSearchPoolInit(void);

/* vgexplain.c */
extern void VgInstallExplainHook(void);

extern bool VgSearchPoolMayHelp(Relation index, int nrounds);
extern void VgSearchRounds(Relation index, struct VgStoreData *store, const void *query,
						   Size query_bytes, VgRound *rounds, int nrounds, int required,
						   bool share);

#endif							/* VGSEARCH_H */
