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
 *	  A search of one partition at one breadth is a round; a serial scan
 *	  shares its rounds with idle search workers (vgsearchpool.c), and
 *	  while they are idle, a partition that must widen offers them the
 *	  other partitions' next rounds, ahead of need.
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
#include "vgsearch.h"
#include "vgstats.h"

/*
 * One partition's search within a scan: its current round, and a wider
 * round searched ahead of need while the pool had workers to spare.
 */
typedef struct VgPartScan
{
	VgRound		round;			/* ef 0 before any */
	VgRound		ahead;			/* ef 0 when none */
	int			next;			/* next result of round to consider */
	VgRoundResult head;			/* the candidate last yielded */
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
	bool		may_share;		/* may hand rounds to search workers */
	Size		round_bytes;	/* results of the rounds in use */
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
	VgStoreInitScan(&so->store, index);
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
	so->round_bytes = 0;
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

/*
 * Searches round r in this process: a search of breadth r->ef from the
 * partition's entry, whose results keep what the scan needs of each live
 * node, since the node cache the distances filled dies with the round.
 * The search workers run the same function.
 */
void
VgSearchRound(VgStore store, const void *query, VgRound *r)
{
	MemoryContext round_cxt = AllocSetContextCreate(CurrentMemoryContext,
													"vecgraph search round",
													ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(round_cxt);
	VgSearchScratch scratch;
	VgCandidate *found = palloc(sizeof(VgCandidate) * r->ef);
	/* a search sees about ef * m nodes; the cache grows if it sees more */
	VgNodeCache *cache = VgNodeCacheCreate(store->shape.m0, r->ef * store->shape.m);
	VgGraph		graph;
	VgStatus	st;
	int			n;

	store->partition = r->partition;
	store->cache = cache;
	graph = VgStoreGraph(store);
	graph.metric = VgQueryMetric(&store->shape);
	if (vg_search_scratch_init(&scratch, store->shape.m0, r->ef,
							   VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	st = vg_hnsw_search(&graph, query, r->ef, r->ef, &scratch, found, &n);
	store->cache = NULL;
	if (st != VG_OK)
		elog(ERROR, "vecgraph search failed with status %d", (int) st);
	r->n_results = 0;
	for (int i = 0; i < n; i++)
	{
		/* every result had its distance computed, which cached it */
		VgCachedNode *e = VgNodeCacheGet(cache, found[i].id);
		VgRoundResult *out;

		if (e == NULL)
			elog(ERROR, "vecgraph search result %u was not cached", found[i].id);
		if (e->flags & VG_NODE_DELETED)
			continue;
		out = &r->results[r->n_results++];
		out->id = found[i].id;
		out->distance = found[i].distance;
		out->heaptid = e->heaptid;
		out->error = e->error;
		out->norm = e->norm;
	}
	r->final = n < r->ef;
	MemoryContextSwitchTo(old);
	MemoryContextDelete(round_cxt);
}

/*
 * The memory a round of breadth ef takes while it runs: its results, its
 * candidates and visited set, and its node cache (about ef * m nodes, each
 * with its level-0 list).
 */
static Size
RoundBytes(const VgShape *shape, int ef)
{
	Size		node = sizeof(VgCachedNode) + sizeof(VgNodeId) * shape->m0 + 2 * sizeof(uint32);

	return (Size) ef * (sizeof(VgRoundResult) + 4 * sizeof(VgCandidate) + shape->m * node);
}

static void
NewRound(VgRound *r, int partition, int ef)
{
	r->partition = partition;
	r->ef = ef;
	r->results = palloc(sizeof(VgRoundResult) * ef);
	r->n_results = 0;
	r->final = false;
}

/*
 * Searches rounds, sharing them with the search workers where allowed; the
 * rounds after the first required are searched only by idle workers, and
 * come back with ef 0 when none did (VgSearchRounds).
 */
static void
SearchRounds(IndexScanDesc scan, VgScanOpaque so, VgRound *rounds, int n, int required)
{
	VgSearchRounds(scan->indexRelation, &so->store, so->query,
				   VgQueryBytes(&so->store.shape), rounds, n, required, so->may_share);
}

/*
 * May a partition search again, at breadth ef?  A round's memory (results,
 * visited set, node cache) grows with its breadth, and a scan's state is
 * bounded by work_mem: when the next round would pass it, the scan stops
 * widening and says so once, rather than growing without bound under a
 * selective filter.  The count is of what the scan holds -- its rounds'
 * results and the set of nodes returned -- not of the rounds searched
 * ahead, so that a scan stops where a serial scan would, wherever its
 * rounds were searched.
 */
static bool
FitsWorkMem(VgScanOpaque so, Size more)
{
	Size		used = so->round_bytes +
		sizeof(VgNodeId) * ((Size) so->returned.mask + 1) +
		sizeof(VgPartScan) * so->nparts;

	return used + more <= (Size) work_mem * 1024;
}

static bool
RoomToWiden(VgScanOpaque so, int ef)
{
	if (FitsWorkMem(so, RoundBytes(&so->store.shape, ef)))
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

/* The breadth of the round after one of breadth ef. */
static int
WiderEf(int ef)
{
	return (int) Min((int64) ef * 2, (int64) MaxAllocSize / (4 * sizeof(VgRoundResult)));
}

/*
 * Replaces stream s's used-up round by one twice as wide: the one searched
 * ahead if there is one, else a new search -- and while search workers
 * are idle, also offers them the next rounds of the other partitions that
 * are at the same breadth and not exhausted, as they are likely to run dry
 * too (the backend itself searches only s's round; the pool's idleness is
 * a hint, and a busy pool must not make a widening cost more).
 * A round's results depend only on the graph, the query and the breadth,
 * so searching it early changes no result.
 */
static void
Widen(IndexScanDesc scan, VgScanOpaque so, int s)
{
	VgPartScan *ps = &so->parts[s];
	int			ef = WiderEf(ps->round.ef);
	VgRound    *rounds;
	int		   *owner;
	int			n = 0;

	so->counts.n[VG_STAT_ROUNDS]++;
	so->round_bytes += sizeof(VgRoundResult) * (ef - ps->round.ef);
	pfree(ps->round.results);
	ps->next = 0;
	if (ps->ahead.ef == ef)
	{
		ps->round = ps->ahead;
		ps->ahead.ef = 0;
		return;
	}
	rounds = palloc(sizeof(VgRound) * so->nparts);
	owner = palloc(sizeof(int) * so->nparts);
	NewRound(&rounds[n], ps->round.partition, ef);
	owner[n++] = s;
	if (so->may_share && VgSearchPoolMayHelp(scan->indexRelation, 2))
		for (int q = 0; q < so->nparts; q++)
		{
			VgPartScan *other = &so->parts[q];

			if (q == s || other->round.final || other->round.ef != ps->round.ef ||
				other->ahead.ef != 0 ||
				!FitsWorkMem(so, RoundBytes(&so->store.shape, ef) +
							 sizeof(VgRoundResult) * ef * (n + 1)))
				continue;
			NewRound(&rounds[n], other->round.partition, ef);
			owner[n++] = q;
		}
	SearchRounds(scan, so, rounds, n, 1);
	ps->round = rounds[0];
	for (int i = 1; i < n; i++)
	{
		if (rounds[i].ef == 0)
			pfree(rounds[i].results);	/* no worker had time for it */
		else
			so->parts[owner[i]].ahead = rounds[i];
	}
	pfree(rounds);
	pfree(owner);
}

/*
 * The loser tree's stream callback: the next node of a partition not yet
 * yielded, searching the partition wider when its round is used up.  The
 * node is kept as the stream's head for the caller.
 */
static bool
NextOfPartition(void *arg, int stream, VgCandidate *out)
{
	IndexScanDesc scan = arg;
	VgScanOpaque so = (VgScanOpaque) scan->opaque;
	VgPartScan *ps = &so->parts[stream];

	for (;;)
	{
		while (ps->next < ps->round.n_results)
		{
			VgRoundResult *r = &ps->round.results[ps->next++];
			VgStatus	st = VG_OK;

			if (!vg_visited_add(&so->returned, r->id, &st))
				continue;
			ps->head = *r;
			out->id = r->id;
			out->distance = r->distance;
			return true;
		}
		if (ps->round.final || so->n_returned >= vg_max_scan_tuples ||
			!RoomToWiden(so, WiderEf(ps->round.ef)))
			return false;
		CHECK_FOR_INTERRUPTS();
		Widen(scan, so, stream);
	}
}

/*
 * Claims and searches this participant's partitions: all of them in a
 * serial scan, shared with the search workers when they can help; one at a
 * time from the shared counter in a parallel one.
 */
static void
StartScan(IndexScanDesc scan, VgScanOpaque so)
{
	int			partitions = so->store.shape.partitions;
	int			ef = Max(vg_ef_search, 1);

	so->query = PrepareQuery(scan, so);
	if (vg_visited_init(&so->returned, 64, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	so->parts = palloc0(sizeof(VgPartScan) * partitions);
	so->may_share = scan->parallel_scan == NULL;
	if (scan->parallel_scan == NULL)
	{
		VgRound    *rounds = palloc(sizeof(VgRound) * partitions);

		so->counts.n[VG_STAT_SCANS]++;
		for (int part = 0; part < partitions; part++)
			NewRound(&rounds[part], part, ef);
		SearchRounds(scan, so, rounds, partitions, partitions);
		for (int part = 0; part < partitions; part++)
			so->parts[so->nparts++].round = rounds[part];
		so->round_bytes = sizeof(VgRoundResult) * ef * partitions;
		pfree(rounds);
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
		{
			VgPartScan *ps = &so->parts[so->nparts++];

			NewRound(&ps->round, (int) part, ef);
			so->round_bytes += sizeof(VgRoundResult) * ef;
			VgSearchRound(&so->store, so->query, &ps->round);
		}
	}
	if (so->nparts > 0 &&
		vg_loser_tree_init(&so->tree, so->nparts, NextOfPartition, scan,
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
		so->heap_blocks = VgBlocksCovering(scan->heapRelation, blkno);
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
	ItemPointerData tid = ps->head.heaptid;
	bool		inexact = shape->storage == VG_STORAGE_HALF && ps->head.error > 0.0f;

	CheckHeapTid(scan, so, c.id, &tid);
	scan->xs_heaptid = tid;
	scan->xs_recheck = false;
	scan->xs_recheckorderby = inexact;
	if (inexact)
		scan->xs_orderbyvals[0] =
			Float8GetDatum(VgHalfLowerBound(shape, c.distance,
											((VgHalfQuery *) so->query)->norm,
											ps->head.error, ps->head.norm));
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
	 * head is still the popped row's, and a LIMIT that stops here never
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

/* A query argument as stored (TOAST pointer or compressed) and detoasted. */
typedef struct DetoastedArg
{
	struct varlena *stored;
	Vector	   *value;
} DetoastedArg;

/*
 * Argument argno, a vector, detoasted once per stored value and kept in
 * fn_extra: in a LATERAL join over a table of query vectors the argument
 * is the outer row's TOASTed value, which every row of its inner scan
 * would fetch again (12% of such a query's time).  Only stored forms that
 * name their value for good are compared: on-disk TOAST pointers (the
 * snapshot keeps the value) and inline compressed data.
 */
static Vector *
DetoastedQueryArg(FunctionCallInfo fcinfo, int argno)
{
	struct varlena *stored = (struct varlena *) PG_GETARG_POINTER(argno);
	DetoastedArg *c = fcinfo->flinfo->fn_extra;
	MemoryContext old;

	if (!VARATT_IS_EXTERNAL_ONDISK(stored) && !VARATT_IS_COMPRESSED(stored))
		return PG_GETARG_VECTOR_P(argno);
	if (c == NULL)
		fcinfo->flinfo->fn_extra = c =
			MemoryContextAllocZero(fcinfo->flinfo->fn_mcxt, sizeof(DetoastedArg));
	if (c->stored != NULL && VARSIZE_ANY(c->stored) == VARSIZE_ANY(stored) &&
		memcmp(c->stored, stored, VARSIZE_ANY(stored)) == 0)
		return c->value;
	if (c->stored != NULL)
	{
		pfree(c->stored);
		pfree(c->value);
		c->stored = NULL;
	}
	old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
	c->value = (Vector *) PG_DETOAST_DATUM_COPY(PointerGetDatum(stored));
	c->stored = palloc(VARSIZE_ANY(stored));
	memcpy(c->stored, stored, VARSIZE_ANY(stored));
	MemoryContextSwitchTo(old);
	return c->value;
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
	query = DetoastedQueryArg(fcinfo, 2);
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
