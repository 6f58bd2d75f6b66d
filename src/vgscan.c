/*-------------------------------------------------------------------------
 *
 * vgscan.c
 *	  Ordered scans of a vecgraph index: ORDER BY column <op> query.
 *
 * NOTES
 *	  The first vggettuple call searches the graph (vg_hnsw_search through
 *	  the page adapter) with breadth vecgraph.ef_search and returns the
 *	  results nearest first.  When a caller wants more rows than that -- a
 *	  WHERE clause rejected some, or LIMIT exceeds ef_search -- the scan
 *	  searches again with twice the breadth and returns the nodes it has
 *	  not returned yet, until the query is satisfied, the graph is
 *	  exhausted, or vecgraph.max_scan_tuples rows were returned.  Rows of a
 *	  later round can be nearer than the last row of an earlier round
 *	  (order is exact within a round, approximate across rounds), as with
 *	  pgvector's relaxed iterative scans.
 *
 *	  Deleted nodes (rows removed by VACUUM, awaiting their slot's reuse)
 *	  are searched through but never returned.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relscan.h"
#include "utils/builtins.h"
#include "miscadmin.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "vecgraph.h"
#include "vector.h"
#include "vgam.h"
#include "vgnodecache.h"

typedef struct VgScanOpaqueData
{
	MemoryContext cxt;			/* everything below, reset on rescan */
	VgStoreData store;
	bool		searched;		/* has a round run since the last rescan? */
	float	   *query;			/* prepared, or NULL for a NULL query */
	Vector	   *raw_query;		/* as given, or NULL; for vgplanner.c */
	int			ef;				/* breadth of the last round */
	VgSearchScratch scratch;
	VgCandidate *results;		/* of the last round, nearest first */
	int			n_results;
	int			next;			/* next result to consider */
	VgVisited	returned;		/* node ids returned so far */
	int64		n_returned;
} VgScanOpaqueData;

typedef VgScanOpaqueData *VgScanOpaque;

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
	MemoryContext old;

	if (keys && scan->numberOfKeys > 0)
		memmove(scan->keyData, keys, scan->numberOfKeys * sizeof(ScanKeyData));
	if (orderbys && scan->numberOfOrderBys > 0)
		memmove(scan->orderByData, orderbys, scan->numberOfOrderBys * sizeof(ScanKeyData));

	ForgetLastRow(so);
	MemoryContextReset(so->cxt);
	old = MemoryContextSwitchTo(so->cxt);
	so->searched = false;
	so->query = NULL;
	so->raw_query = NULL;
	so->results = NULL;		/* freed with the context */
	so->store.cache = NULL;
	so->ef = 0;
	so->n_results = so->next = 0;
	so->n_returned = 0;
	if (vg_visited_init(&so->returned, 64, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	MemoryContextSwitchTo(old);
}

/*
 * The prepared query vector; a NULL query (ORDER BY v <-> NULL) searches
 * from a zero vector, so the rows come back in some order as SQL asks.
 */
static float *
PrepareQuery(IndexScanDesc scan, VgScanOpaque so)
{
	ScanKey		key = &scan->orderByData[0];
	const VgShape *shape = &so->store.shape;
	float	   *x;

	if (scan->numberOfOrderBys == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("vecgraph indexes serve only ORDER BY distance queries")));
	if (key->sk_flags & SK_ISNULL)
		return palloc0(sizeof(float) * shape->dim);
	so->raw_query = DatumGetVector(key->sk_argument);
	x = VgValueToVector(key->sk_argument, shape, scan->indexRelation);
	if (x == NULL)
		return palloc0(sizeof(float) * shape->dim);	/* zero vector, cosine */
	return x;
}

/* Runs a search round of breadth ef. */
static void
SearchRound(IndexScanDesc scan, VgScanOpaque so, int ef)
{
	VgGraph		graph = VgStoreGraph(&so->store);
	VgStatus	st;

	if (so->results != NULL)
	{
		pfree(so->results);
		vg_search_scratch_free(&so->scratch);
		VgNodeCacheFree(so->store.cache);
	}
	so->results = palloc(sizeof(VgCandidate) * ef);
	so->store.cache = VgNodeCacheCreate(so->store.shape.m0, ef * so->store.shape.m0);
	if (vg_search_scratch_init(&so->scratch, so->store.shape.m0, ef, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	st = vg_hnsw_search(&graph, so->query, ef, ef, &so->scratch, so->results, &so->n_results);
	if (st != VG_OK)
		elog(ERROR, "vecgraph search failed with status %d", (int) st);
	so->ef = ef;
	so->next = 0;
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
 * Returns the next result not yet returned and not deleted, reading its
 * heap TID; false when the round has no more.
 */
static bool
NextOfRound(IndexScanDesc scan, VgScanOpaque so)
{
	while (so->next < so->n_results)
	{
		VgCandidate c = so->results[so->next++];
		VgCachedNode *e;
		VgStatus	st = VG_OK;

		if (!vg_visited_add(&so->returned, c.id, &st))
			continue;
		/* every result had its distance computed, which cached it */
		e = VgNodeCacheGet(so->store.cache, c.id);
		if (e == NULL)
			elog(ERROR, "vecgraph search result %u was not cached", c.id);
		if (e->flags & VG_NODE_DELETED)
			continue;
		scan->xs_heaptid = e->heaptid;
		scan->xs_recheck = false;
		scan->xs_recheckorderby = false;
		scan->xs_orderbyvals[0] = Float8GetDatum(OperatorDistance(so->store.shape.metric, c.distance));
		scan->xs_orderbynulls[0] = false;
		so->n_returned++;
		if (so->raw_query != NULL && so->store.shape.metric != VG_METRIC_COSINE)
		{
			last_row.owner = so;
			last_row.index = RelationGetRelid(scan->indexRelation);
			last_row.tid = e->heaptid;
			last_row.query = so->raw_query;
			last_row.distance = DatumGetFloat8(scan->xs_orderbyvals[0]);
		}
		return true;
	}
	return false;
}

bool
vggettuple(IndexScanDesc scan, ScanDirection dir)
{
	VgScanOpaque so = (VgScanOpaque) scan->opaque;
	MemoryContext old;
	bool		found = false;

	if (dir != ForwardScanDirection)
		elog(ERROR, "vecgraph indexes scan forward only");

	old = MemoryContextSwitchTo(so->cxt);
	if (!so->searched)
	{
		so->query = PrepareQuery(scan, so);
		so->searched = true;
		SearchRound(scan, so, Max(vg_ef_search, 1));
	}
	for (;;)
	{
		int			ef;

		if ((found = NextOfRound(scan, so)))
			break;
		/* a round that found fewer than ef nodes has seen every one */
		if (so->n_results < so->ef || so->n_returned >= vg_max_scan_tuples)
			break;
		ef = (int) Min((int64) so->ef * 2, (int64) MaxAllocSize / (4 * sizeof(VgCandidate)));
		if (ef <= so->ef)
			break;
		CHECK_FOR_INTERRUPTS();
		SearchRound(scan, so, ef);
	}
	MemoryContextSwitchTo(old);
	return found;
}

void
vgendscan(IndexScanDesc scan)
{
	VgScanOpaque so = (VgScanOpaque) scan->opaque;

	ForgetLastRow(so);
	VgStoreRelease(&so->store);
	MemoryContextDelete(so->cxt);
	pfree(so);
	scan->opaque = NULL;
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
