/*-------------------------------------------------------------------------
 *
 * vgscan.c
 *	  Ordered scans of a vecgraph index, serial and parallel:
 *	  ORDER BY column <op> query.
 *
 * NOTES
 *	  An index holds one graph per partition.  A scan searches each of its
 *	  partitions with breadth vecgraph.ef_search, and merges their ordered
 *	  result streams with a tournament (loser) tree, O(log P) per row.
 *	  When a partition's stream runs dry while the caller still wants rows
 *	  -- a WHERE clause rejected some, or LIMIT exceeds ef_search -- that
 *	  partition alone is searched again with twice the breadth and yields
 *	  the nodes it has not yielded yet, until the query is satisfied, the
 *	  partition is exhausted, vecgraph.max_scan_tuples rows were returned,
 *	  or the next round would take the scan's memory past work_mem (then
 *	  with a NOTICE).  Order is exact within a round and approximate across rounds
 *	  (a wider round can find a node nearer than one already returned), as
 *	  with pgvector's relaxed iterative scans.
 *
 *	  A parallel scan (Gather Merge over Parallel Index Scan) shares one
 *	  counter in DSM: each participant, leader included, claims partitions
 *	  one at a time and searches each as it claims it, until none is left;
 *	  then it merges its own partitions and returns rows nearest first, so
 *	  that Gather Merge can merge the participants.  A participant that
 *	  claimed nothing returns nothing.  Rescans reset the counter.
 *
 *	  Deleted nodes (rows removed by VACUUM) are searched through but never
 *	  returned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relscan.h"
#include "miscadmin.h"
#include "port/atomics.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/vg_loser_tree.h"
#include "vecgraph.h"
#include "vector.h"
#include "vgam.h"
#include "vgnodecache.h"
#include "vgstats.h"

/* One partition's search within a scan. */
typedef struct VgPartScan
{
	int			partition;
	int			ef;				/* breadth of its last round; 0 before any */
	VgCandidate *results;		/* of the last round, nearest first */
	int			n_results;
	int			next;			/* next result to consider */
	VgNodeCache *cache;			/* what the last round's distances saw */
	bool		final;			/* the last round reached every node it could */
	ItemPointerData head_tid;	/* heap TID of the candidate last yielded */
	float		head_error;		/* and its rounding error and norm */
	float		head_norm;
} VgPartScan;

typedef struct VgScanOpaqueData
{
	MemoryContext cxt;			/* everything below, reset on rescan */
	VgStoreData store;
	bool		started;		/* have the partitions been searched? */
	void	   *query;			/* prepared query (VgValueToQuery) */
	Vector	   *raw_query;		/* as given, or NULL; for vgplanner.c */
	int			nparts;
	VgPartScan *parts;			/* the partitions this participant searches */
	VgLoserTree tree;			/* merging their streams */
	VgVisited	returned;		/* node ids yielded so far */
	int64		n_returned;
	bool		warned_memory;	/* the work_mem NOTICE was given */
	BlockNumber heap_blocks;	/* the table's size when last looked at */
	VgStatsCounts counts;		/* since the last flush to vgstats.c */
} VgScanOpaqueData;

typedef VgScanOpaqueData *VgScanOpaque;

/* What the participants of a parallel scan share: the next partition to claim. */
typedef struct VgParallelScanData
{
	pg_atomic_uint32 next_partition;
	pg_atomic_uint32 counted;	/* a participant counted the scan (vgstats.c) */
} VgParallelScanData;

typedef VgParallelScanData *VgParallelScan;

/*
 * The row a vecgraph scan returned last, with its distance, so that the
 * query's output can reuse the distance (vgplanner.c).  owner is NULL when
 * nothing is recorded; a scan forgets its row on rescan and end.
 */
static struct
{
	VgScanOpaque owner;
	Oid			index;
	ItemPointerData tid;
	Vector	   *query;
	double		distance;
}			last_row;

static void
ForgetLastRow(VgScanOpaque so)
{
	if (last_row.owner == so)
		last_row.owner = NULL;
}

IndexScanDesc
vgbeginscan(Relation index, int nkeys, int norderbys)
{
	IndexScanDesc scan = RelationGetIndexScan(index, nkeys, norderbys);
	VgScanOpaque so = palloc0(sizeof(VgScanOpaqueData));

	so->cxt = AllocSetContextCreate(CurrentMemoryContext, "vecgraph scan",
									ALLOCSET_DEFAULT_SIZES);
	VgStoreInit(&so->store, index, false);
	scan->xs_orderbyvals = palloc0(sizeof(Datum) * Max(norderbys, 1));
	scan->xs_orderbynulls = palloc(sizeof(bool) * Max(norderbys, 1));
	scan->opaque = so;
	return scan;
}

void
vgrescan(IndexScanDesc scan, ScanKey keys, int nkeys, ScanKey orderbys, int norderbys)
{
	VgScanOpaque so = (VgScanOpaque) scan->opaque;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));

	ForgetLastRow(so);
	VgStatsFlush(RelationGetRelid(scan->indexRelation), &so->counts);
	MemoryContextReset(so->cxt);
	so->started = false;
	so->query = NULL;
	so->raw_query = NULL;
	so->nparts = 0;
	so->parts = NULL;
	so->n_returned = 0;
	so->warned_memory = false;
	so->store.cache = NULL;
}

/*
 * The prepared query (VgValueToQuery); a NULL query (ORDER BY v <-> NULL)
 * searches from a zero vector, so the rows come back in some order as SQL
 * asks.  (A zero query of either storage is all zero bytes.)
 */
static void *
PrepareQuery(IndexScanDesc scan, VgScanOpaque so)
{
	ScanKey		key = &scan->orderByData[0];
	const VgShape *shape = &so->store.shape;
	void	   *x;

	/* the cost estimate makes any other scan unplannable */
	if (scan->numberOfOrderBys == 0)
		elog(ERROR, "vecgraph index scan without an ORDER BY distance");
	if (key->sk_flags & SK_ISNULL)
		return palloc0(VgQueryBytes(shape));
	so->raw_query = DatumGetVector(key->sk_argument);
	/* detoasted once, above */
	x = VgValueToQuery(PointerGetDatum(so->raw_query), shape, scan->indexRelation);
	if (x == NULL)
		return palloc0(VgQueryBytes(shape));	/* zero vector, cosine */
	return x;
}

/* Runs a round of breadth ef over one partition, replacing the last one. */
static void
SearchPartition(VgScanOpaque so, VgPartScan *ps, int ef)
{
	VgSearchScratch scratch;
	VgGraph		graph;
	VgStatus	st;

	if (ps->results != NULL)
	{
		pfree(ps->results);
		VgNodeCacheFree(ps->cache);
	}
	ps->results = palloc(sizeof(VgCandidate) * ef);
	/* a search sees about ef * m nodes; the cache grows if it sees more */
	ps->cache = VgNodeCacheCreate(so->store.shape.m0, ef * so->store.shape.m);
	so->store.partition = ps->partition;
	so->store.cache = ps->cache;
	graph = VgStoreGraph(&so->store);
	graph.metric = VgQueryMetric(&so->store.shape);
	if (vg_search_scratch_init(&scratch, so->store.shape.m0, ef,
							   VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	st = vg_hnsw_search(&graph, so->query, ef, ef, &scratch, ps->results, &ps->n_results);
	if (st != VG_OK)
		elog(ERROR, "vecgraph search failed with status %d", (int) st);
	vg_search_scratch_free(&scratch);
	so->store.cache = NULL;
	ps->ef = ef;
	ps->next = 0;
	ps->final = ps->n_results < ef;
}

/*
 * May a partition search again, twice as wide?  A round's memory (results,
 * visited set, node cache) grows with its breadth, and a scan's state is
 * bounded by work_mem: when the next round would pass it, the scan stops
 * widening and says so once, rather than growing without bound under a
 * selective filter.
 */
static bool
RoomToWiden(VgScanOpaque so)
{
	Size		used = MemoryContextMemAllocated(so->cxt, true);

	/* a round twice as wide needs about twice the memory of this one */
	if (used * 2 <= (Size) work_mem * 1024)
		return true;
	if (!so->warned_memory)
		ereport(NOTICE,
				(errmsg("vecgraph index scan stopped searching wider after %lld rows: it would need more than work_mem (%d kB)",
						(long long) so->n_returned, work_mem),
				 errdetail("A filter or LIMIT asked for more rows than the search found."),
				 errhint("Increase work_mem to let the scan search further.")));
	so->warned_memory = true;
	return false;
}

/*
 * The loser tree's stream callback: the next node of a partition not yet
 * yielded and not deleted, searching the partition wider when its round is
 * used up.  Its heap TID is kept for the caller (the round's cache may be
 * replaced before the row is returned).
 */
static bool
NextOfPartition(void *arg, int stream, VgCandidate *out)
{
	VgScanOpaque so = arg;
	VgPartScan *ps = &so->parts[stream];

	for (;;)
	{
		while (ps->next < ps->n_results)
		{
			VgCandidate c = ps->results[ps->next++];
			VgCachedNode *e;
			VgStatus	st = VG_OK;

			if (!vg_visited_add(&so->returned, c.id, &st))
				continue;
			/* every result had its distance computed, which cached it */
			e = VgNodeCacheGet(ps->cache, c.id);
			if (e == NULL)
				elog(ERROR, "vecgraph search result %u was not cached", c.id);
			if (e->flags & VG_NODE_DELETED)
				continue;
			ps->head_tid = e->heaptid;
			ps->head_error = e->error;
			ps->head_norm = e->norm;
			*out = c;
			return true;
		}
		if (ps->final || so->n_returned >= vg_max_scan_tuples || !RoomToWiden(so))
			return false;
		CHECK_FOR_INTERRUPTS();
		so->counts.n[VG_STAT_ROUNDS]++;
		SearchPartition(so, ps, (int) Min((int64) ps->ef * 2,
										  (int64) MaxAllocSize / (4 * sizeof(VgCandidate))));
	}
}

/* Adds partition part to this participant's set and searches it. */
static void
TakePartition(VgScanOpaque so, int part)
{
	VgPartScan *ps = &so->parts[so->nparts++];

	MemSet(ps, 0, sizeof(VgPartScan));
	ps->partition = part;
	SearchPartition(so, ps, Max(vg_ef_search, 1));
}

/*
 * Claims and searches this participant's partitions: all of them in a
 * serial scan; one at a time from the shared counter in a parallel one.
 */
static void
StartScan(IndexScanDesc scan, VgScanOpaque so)
{
	int			partitions = so->store.shape.partitions;

	so->query = PrepareQuery(scan, so);
	if (vg_visited_init(&so->returned, 64, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	so->parts = palloc(sizeof(VgPartScan) * partitions);
	if (scan->parallel_scan == NULL)
	{
		so->counts.n[VG_STAT_SCANS]++;
		for (int part = 0; part < partitions; part++)
			TakePartition(so, part);
	}
	else
	{
		VgParallelScan shared = (VgParallelScan)
			OffsetToPointer(scan->parallel_scan, scan->parallel_scan->ps_offset);
		uint32		part;

		/* the first participant to start counts the parallel scan, once */
		if (pg_atomic_exchange_u32(&shared->counted, 1) == 0)
		{
			so->counts.n[VG_STAT_SCANS]++;
			so->counts.n[VG_STAT_PARALLEL_SCANS]++;
		}
		while ((part = pg_atomic_fetch_add_u32(&shared->next_partition, 1)) < (uint32) partitions)
			TakePartition(so, (int) part);
	}
	if (so->nparts > 0 &&
		vg_loser_tree_init(&so->tree, so->nparts, NextOfPartition, so,
						   VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	so->started = true;
}

/* The distance the ORDER BY operator gives, from the ranking distance. */
static double
OperatorDistance(VgMetricKind metric, float ranking)
{
	switch (metric)
	{
		case VG_METRIC_L2:
			return sqrt((double) Max(ranking, 0.0f));
		case VG_METRIC_COSINE:
			return 1.0 + (double) ranking;	/* ranking is -cos */
		default:
			return (double) ranking;
	}
}

/*
 * A heap TID read from a node must name a tuple slot of a page the table
 * has: otherwise the node is corrupt, and the heap must not be asked.
 */
static void
CheckHeapTid(IndexScanDesc scan, VgScanOpaque so, VgNodeId node, ItemPointer tid)
{
	BlockNumber blkno = ItemPointerGetBlockNumberNoCheck(tid);
	OffsetNumber off = ItemPointerGetOffsetNumberNoCheck(tid);

	if (unlikely(blkno >= so->heap_blocks) && scan->heapRelation != NULL)
		so->heap_blocks = RelationGetNumberOfBlocks(scan->heapRelation);
	if (off < FirstOffsetNumber || off > MaxHeapTuplesPerPage ||
		(scan->heapRelation != NULL && blkno >= so->heap_blocks))
		VgReportCorrupt(scan->indexRelation, VgNodeBlock(node, &so->store.shape),
						psprintf("Node %u names row (%u,%u), which the table cannot have.",
								 node, blkno, off));
}

/*
 * Sets the scan's output to the row of candidate c, from partition ps.  A
 * distance between half copies that rounding changed is not the exact one:
 * then the executor is given a lower bound and rechecks (see vgvector.c).
 */
static void
ReturnRow(IndexScanDesc scan, VgScanOpaque so, VgCandidate c, const VgPartScan *ps)
{
	const VgShape *shape = &so->store.shape;
	ItemPointerData tid = ps->head_tid;
	bool		inexact = shape->storage == VG_STORAGE_HALF && ps->head_error > 0.0f;

	CheckHeapTid(scan, so, c.id, &tid);
	scan->xs_heaptid = tid;
	scan->xs_recheck = false;
	scan->xs_recheckorderby = inexact;
	if (inexact)
		scan->xs_orderbyvals[0] =
			Float8GetDatum(VgHalfLowerBound(shape, c.distance,
											((VgHalfQuery *) so->query)->norm,
											ps->head_error, ps->head_norm));
	else
		scan->xs_orderbyvals[0] = Float8GetDatum(OperatorDistance(shape->metric, c.distance));
	scan->xs_orderbynulls[0] = false;
	so->n_returned++;
	so->counts.n[VG_STAT_ROWS_RETURNED]++;
	if (so->raw_query != NULL && shape->metric != VG_METRIC_COSINE && !inexact)
	{
		last_row.owner = so;
		last_row.index = RelationGetRelid(scan->indexRelation);
		last_row.tid = tid;
		last_row.query = so->raw_query;
		last_row.distance = DatumGetFloat8(scan->xs_orderbyvals[0]);
	}
}

bool
vggettuple(IndexScanDesc scan, ScanDirection dir)
{
	VgScanOpaque so = (VgScanOpaque) scan->opaque;
	MemoryContext old;
	VgCandidate c;
	int			stream;
	bool		found = false;

	if (dir != ForwardScanDirection)
		elog(ERROR, "vecgraph indexes scan forward only");

	old = MemoryContextSwitchTo(so->cxt);
	if (!so->started)
		StartScan(scan, so);
	/*
	 * The tree refills the popped stream only at the next pop, so its
	 * head_tid is still the popped row's, and a LIMIT that stops here never
	 * starts a wider round.
	 */
	if (so->nparts > 0 && vg_loser_tree_pop(&so->tree, &c, &stream))
	{
		ReturnRow(scan, so, c, &so->parts[stream]);
		found = true;
	}
	MemoryContextSwitchTo(old);
	return found;
}

void
vgendscan(IndexScanDesc scan)
{
	VgScanOpaque so = (VgScanOpaque) scan->opaque;

	ForgetLastRow(so);
	VgStatsFlush(RelationGetRelid(scan->indexRelation), &so->counts);
	VgStoreRelease(&so->store);
	MemoryContextDelete(so->cxt);
	pfree(so);
	scan->opaque = NULL;
}

/* Parallel scans: the shared state lives in the scan's DSM. */
Size
vgestimateparallelscan(void)
{
	return sizeof(VgParallelScanData);
}

void
vginitparallelscan(void *target)
{
	VgParallelScan shared = target;

	pg_atomic_init_u32(&shared->next_partition, 0);
	pg_atomic_init_u32(&shared->counted, 0);
}

void
vgparallelrescan(IndexScanDesc scan)
{
	VgParallelScan shared = (VgParallelScan)
		OffsetToPointer(scan->parallel_scan, scan->parallel_scan->ps_offset);

	pg_atomic_write_u32(&shared->next_partition, 0);
	pg_atomic_write_u32(&shared->counted, 0);
}

/*
 * vecgraph_last_distance_matches(index, tid, query): did the last row a
 * vecgraph scan returned come from this index, for this heap TID and this
 * query?  Then vecgraph_last_distance() is its distance.  Used only by the
 * expressions vgplanner.c writes.
 */
PG_FUNCTION_INFO_V1(vecgraph_last_distance_matches);
Datum
vecgraph_last_distance_matches(PG_FUNCTION_ARGS)
{
	ItemPointer tid = (ItemPointer) PG_GETARG_POINTER(1);
	Vector	   *query;

	if (last_row.owner == NULL || last_row.index != PG_GETARG_OID(0) ||
		!ItemPointerEquals(tid, &last_row.tid))
		PG_RETURN_BOOL(false);
	query = PG_GETARG_VECTOR_P(2);
	PG_RETURN_BOOL(query == last_row.query ||
				   (VARSIZE(query) == VARSIZE(last_row.query) &&
					memcmp(query, last_row.query, VARSIZE(query)) == 0));
}

PG_FUNCTION_INFO_V1(vecgraph_last_distance);
Datum
vecgraph_last_distance(PG_FUNCTION_ARGS)
{
	if (last_row.owner == NULL)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(last_row.distance);
}
