/*-------------------------------------------------------------------------
 *
 * vgmaintain.c
 *	  One maintenance pass over one index: the work of the maintenance
 *	  worker (vgworker.c) and of vecgraph_maintain(index).
 *
 * NOTES
 *	  Graph indexes decay between VACUUMs: the nodes of deleted and updated
 *	  rows stay in the graph, are searched through and filtered out one by
 *	  one.  A pass
 *
 *	  1. marks VG_NODE_DELETED the nodes of rows dead to every transaction,
 *	     by the rule btree marks its entries dead with (the heap's all_dead
 *	     answer).  Scans pass through such nodes but never return them, and
 *	     inserts never link to them.  A page's nodes are read under a share
 *	     lock and their rows looked up with no index lock held; the page is
 *	     locked exclusively only to mark them;
 *	  2. repairs the graph around deleted nodes as VACUUM does (vgvacuum.c)
 *	     -- VACUUM still removes the rows and frees the slots;
 *	  3. walks each partition from its entry point and links the live nodes
 *	     the walk misses (core/vg_hnsw_repair.c); tree links make this a
 *	     check that finds nothing unless something went wrong;
 *	  4. records what it did on the metapage (VgMaintRecord), for
 *	     vecgraph_index_health.
 *
 *	  It takes the locks an insert takes (RowExclusiveLock on the table and
 *	  the index) and the repair lock VACUUM takes (vgvacuum.c), and holds no
 *	  snapshot: rows are judged against the oldest transaction still
 *	  running, which needs none.  The worker's passes give way: a pass
 *	  stops within 100 ms when another session waits for a lock it holds
 *	  (DROP INDEX, DROP TABLE, VACUUM, ...), and the worker leaves its
 *	  database when another session wants the database to itself
 *	  (VgDelayPoint).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "commands/defrem.h"
#include "commands/vacuum.h"
#include "executor/tuptable.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "storage/procarray.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "vgam.h"
#include "vgworker.h"

/* A live node as read from its page. */
typedef struct PageNode
{
	OffsetNumber off;
	uint8		partition;
	bool		linked;			/* it had links: its insert had finished */
	ItemPointerData heaptid;
} PageNode;

/* Live nodes with links, per partition: what the walks must reach. */
typedef struct WalkTargets
{
	VgNodeId   *ids[VG_MAX_PARTITIONS];
	uint32		n[VG_MAX_PARTITIONS];
	uint32		cap[VG_MAX_PARTITIONS];
} WalkTargets;

/* What a pass of the worker gives way to (see VgDelayPoint). */
typedef struct YieldTo
{
	Relation	heap;
	Relation	index;
	RelFileNode heap_node;
	RelFileNode index_node;
	TimestampTz last_check;
} YieldTo;

static YieldTo *yield_to = NULL;

static void
StopForWaiter(Relation index)
{
	ereport(ERROR,
			(errcode(ERRCODE_LOCK_NOT_AVAILABLE),
			 errmsg("maintenance of index \"%s\" stopped to let a waiting session take its lock",
					RelationGetRelationName(index))));
}

/*
 * Lets a session that waits for one of the pass's locks have it, and stops
 * the pass then.  The repair lock's waiters can be seen; the relation
 * locks are taken through the fast path, whose waiters cannot, so they are
 * let go and taken again without waiting, which fails when someone waits.
 */
static void
GiveWay(YieldTo *y)
{
	if (VgRepairLockHasWaiters(y->index))
		StopForWaiter(y->index);
	UnlockRelation(y->index, RowExclusiveLock);
	UnlockRelation(y->heap, RowExclusiveLock);
	if (!ConditionalLockRelation(y->heap, RowExclusiveLock) ||
		!ConditionalLockRelation(y->index, RowExclusiveLock))
		StopForWaiter(y->index);
	/* rebuilt or truncated while the locks were let go */
	if (!RelFileNodeEquals(y->heap->rd_node, y->heap_node) ||
		!RelFileNodeEquals(y->index->rd_node, y->index_node))
		StopForWaiter(y->index);
	VgLeaveIfDatabaseWanted();
}

/*
 * Called in every long loop of a pass and of VACUUM's index passes: the
 * cost-based delay, interrupts and, in the worker, giving way, at most
 * every 100 ms.
 */
void
VgDelayPoint(void)
{
	TimestampTz now;

	vacuum_delay_point();
	if (yield_to == NULL)
		return;
	now = GetCurrentTimestamp();
	if (!TimestampDifferenceExceeds(yield_to->last_check, now, 100))
		return;
	yield_to->last_check = now;
	GiveWay(yield_to);
}

static void
AddTarget(WalkTargets *t, int partition, VgNodeId id)
{
	if (t->n[partition] == t->cap[partition])
	{
		t->cap[partition] = Max(1024, 2 * t->cap[partition]);
		t->ids[partition] = t->ids[partition] ?
			repalloc_huge(t->ids[partition], sizeof(VgNodeId) * t->cap[partition]) :
			palloc_extended(sizeof(VgNodeId) * t->cap[partition], MCXT_ALLOC_HUGE);
	}
	t->ids[partition][t->n[partition]++] = id;
}

/*
 * Copies out the live nodes of a page; counts its deleted, unfreed ones
 * into res.  Returns how many live nodes it copied.
 */
static int
ReadPageNodes(Relation index, const VgShape *shape, BlockNumber blkno,
			  BufferAccessStrategy strategy, PageNode *out, VgMaintResult *res)
{
	Buffer		buf = ReadBufferExtended(index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
	OffsetNumber off = InvalidOffsetNumber;
	VgNodeTuple t;
	int			n = 0;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	while ((t = VgNextNodeOnPage(index, shape, BufferGetPage(buf), blkno, &off)) != NULL)
	{
		if (t->flags & VG_NODE_FREE)
			continue;
		if (t->flags & VG_NODE_DELETED)
		{
			res->dead_unvacuumed++;
			continue;
		}
		out[n].off = off;
		out[n].partition = t->partition;
		out[n].linked = t->count0 > 0;
		out[n++].heaptid = t->heaptid;
	}
	UnlockReleaseBuffer(buf);
	return n;
}

/* Is every version of the row at tid dead to every transaction? */
static bool
RowIsDead(IndexFetchTableData *fetch, TupleTableSlot *slot, Snapshot nonvacuumable,
		  ItemPointer tid)
{
	ItemPointerData probe = *tid;
	bool		call_again = false;
	bool		all_dead = false;
	bool		found;

	found = table_index_fetch_tuple(fetch, &probe, nonvacuumable, slot, &call_again, &all_dead);
	ExecClearTuple(slot);
	return !found && all_dead;
}

/* Marks the nodes of nodes[0..n) with dead[i] deleted; returns how many. */
static uint32
MarkOnPage(Relation index, const VgShape *shape, BlockNumber blkno,
		   const PageNode *nodes, const bool *dead, int n)
{
	Buffer		buf = ReadBuffer(index, blkno);
	GenericXLogState *state;
	Page		page;
	uint32		marked = 0;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	for (int i = 0; i < n; i++)
	{
		VgNodeTuple t;

		if (!dead[i])
			continue;
		t = VgNodeOnPage(index, shape, page, VgMakeNodeId(blkno, nodes[i].off, shape));
		/* the repair lock keeps VACUUM from freeing and reusing the slot */
		if (ItemPointerEquals(&t->heaptid, (ItemPointer) &nodes[i].heaptid) &&
			!(t->flags & (VG_NODE_DELETED | VG_NODE_FREE)))
		{
			t->flags |= VG_NODE_DELETED;
			marked++;
		}
	}
	if (marked > 0)
		GenericXLogFinish(state);
	else
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
	return marked;
}

/* Step 1 over every page; notes the nodes step 3 must reach. */
static void
MarkDeadRows(Relation heap, Relation index, const VgShape *shape,
			 BufferAccessStrategy strategy, VgMaintResult *res, WalkTargets *targets)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	IndexFetchTableData *fetch = table_index_fetch_begin(heap);
	TupleTableSlot *slot = table_slot_create(heap, NULL);
	PageNode   *nodes = palloc(sizeof(PageNode) * MaxOffsetNumber);
	bool	   *dead = palloc(sizeof(bool) * MaxOffsetNumber);
	SnapshotData nonvacuumable;

	/* the horizons the dead-to-all test compares with, fresh */
	UnregisterSnapshot(RegisterSnapshot(GetLatestSnapshot()));
	InitNonVacuumableSnapshot(nonvacuumable, GlobalVisTestFor(heap));
	for (BlockNumber blkno = 1; blkno < nblocks; blkno++)
	{
		int			n;
		int			n_dead = 0;

		VgDelayPoint();
		n = ReadPageNodes(index, shape, blkno, strategy, nodes, res);
		for (int i = 0; i < n; i++)
		{
			dead[i] = RowIsDead(fetch, slot, &nonvacuumable, &nodes[i].heaptid);
			n_dead += dead[i];
			if (!dead[i])
			{
				res->live++;
				if (nodes[i].linked)
					AddTarget(targets, nodes[i].partition, VgMakeNodeId(blkno, nodes[i].off, shape));
			}
		}
		if (n_dead > 0)
			res->dead_marked += MarkOnPage(index, shape, blkno, nodes, dead, n);
	}
	ExecDropSingleTupleTableSlot(slot);
	table_index_fetch_end(fetch);
	pfree(nodes);
	pfree(dead);
}

/*
 * Step 3: in each partition, the nodes with links that one walk from the
 * entry point misses are orphans (a node's first link is its tree link,
 * and the tree joins every node that has one); vg_hnsw_link_orphans walks
 * again and joins those it misses too.
 */
static void
LinkUnreached(Relation index, const VgShape *shape, int ef_construction,
			  BufferAccessStrategy strategy, WalkTargets *targets, VgMaintResult *res)
{
	const VgAllocator *a = VgPallocAllocator(CurrentMemoryContext);
	VgHnswParams params = VgHnswParamsOf(shape, ef_construction);
	VgStoreData store;

	VgStoreInit(&store, index, true);
	/* a walk over the whole index must not push the hot pages out */
	store.strategy = strategy;
	for (int part = 0; part < shape->partitions; part++)
	{
		VgNodeId   *orphans;
		uint32		n_orphans = 0;
		VgGraph		graph;

		if (targets->n[part] == 0)
			continue;
		store.partition = part;
		graph = VgStoreGraph(&store);
		orphans = palloc_extended(sizeof(VgNodeId) * targets->n[part], MCXT_ALLOC_HUGE);
		if (vg_hnsw_unreached(&graph, shape->m0, targets->ids[part], targets->n[part], a,
							  orphans, &n_orphans) != VG_OK)
			elog(ERROR, "out of memory");
		VgStoreReset(&store);
		if (n_orphans > 0)
		{
			VgInsertScratch s;
			uint32		linked = 0;

			if (vg_insert_scratch_init(&s, &params, a) != VG_OK ||
				vg_hnsw_link_orphans(&graph, &params, orphans, n_orphans, &s, &linked) != VG_OK)
				elog(ERROR, "out of memory");
			VgStoreReset(&store);
			ereport(LOG,
					(errmsg("vecgraph maintenance linked %u unreachable nodes of index \"%s\", partition %d",
							linked, RelationGetRelationName(index), part),
					 errdetail("A walk from the entry point missed %u nodes.", n_orphans)));
			res->unreachable_found += n_orphans;
			res->unreachable_linked += linked;
		}
		pfree(orphans);
	}
	VgStoreRelease(&store);
}

/* Makes sure the page header covers the record, so that WAL carries it. */
static VgMaintRecord *
RecordOnPage(Page page)
{
	VgMaintRecord *rec = VgPageGetMaint(page);
	PageHeader	header = (PageHeader) page;
	LocationIndex end = (LocationIndex) ((char *) (rec + 1) - (char *) page);

	if (header->pd_lower < end || rec->magic != VG_MAINT_MAGIC)
	{
		header->pd_lower = Max(header->pd_lower, end);
		memset(rec, 0, sizeof(VgMaintRecord));
		rec->magic = VG_MAINT_MAGIC;
	}
	return rec;
}

/* Applies change to the metapage's maintenance record, WAL-logged. */
static void
UpdateRecord(Relation index, void (*change) (VgMaintRecord *rec, const void *arg),
			 const void *arg)
{
	Buffer		buf = ReadBuffer(index, VG_METAPAGE_BLKNO);
	GenericXLogState *state;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	change(RecordOnPage(GenericXLogRegisterBuffer(state, buf, 0)), arg);
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

static void
RecordPass(VgMaintRecord *rec, const void *arg)
{
	const VgMaintResult *res = arg;

	rec->passes++;
	rec->last_start = res->start;
	rec->last_end = res->end;
	rec->unreachable_found += res->unreachable_found;
	rec->unreachable_linked += res->unreachable_linked;
}

typedef struct RecallFigures
{
	double		recall;
	int			sample;
} RecallFigures;

static void
RecordRecall(VgMaintRecord *rec, const void *arg)
{
	const RecallFigures *f = arg;

	rec->recall = f->recall;
	rec->recall_sample = (uint32) f->sample;
	rec->recall_at = GetCurrentTimestamp();
}

void
VgWriteRecall(Relation index, double recall, int sample)
{
	RecallFigures f = {recall, sample};

	UpdateRecord(index, RecordRecall, &f);
}

/* The metapage's maintenance record, all zero when no pass wrote one. */
void
VgReadMaintRecord(Relation index, VgMaintRecord *rec)
{
	Buffer		buf = ReadBuffer(index, VG_METAPAGE_BLKNO);
	Page		page;
	VgMaintRecord *on_page;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	on_page = VgPageGetMaint(page);
	if (((PageHeader) page)->pd_lower >= (char *) (on_page + 1) - (char *) page &&
		on_page->magic == VG_MAINT_MAGIC)
		memcpy(rec, on_page, sizeof(VgMaintRecord));
	else
		memset(rec, 0, sizeof(VgMaintRecord));
	UnlockReleaseBuffer(buf);
}

/*
 * One pass over index of table heap (see the top of the file).  The caller
 * holds RowExclusiveLock on both and the repair lock.  With yield, the
 * pass gives way to sessions that wait for its locks (the worker's way);
 * with warm, it begins with a warm start (vgprewarm.c).
 */
void
VgMaintainIndex(Relation heap, Relation index, bool yield, bool warm, VgMaintResult *res)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "vecgraph maintenance",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	BufferAccessStrategy strategy = GetAccessStrategy(BAS_VACUUM);
	YieldTo		y = {heap, index, heap->rd_node, index->rd_node, 0};
	VgMetaPageData meta;
	VgShape		shape;
	WalkTargets *targets = palloc0(sizeof(WalkTargets));

	memset(res, 0, sizeof(VgMaintResult));
	res->start = GetCurrentTimestamp();
	VgReadMeta(index, &meta);
	VgReadShape(index, &shape);
	if (yield)
		yield_to = &y;
	PG_TRY();
	{
		if (warm)
			VgPrewarmIndex(index);
		MarkDeadRows(heap, index, &shape, strategy, res, targets);
		res->dead_unvacuumed += res->dead_marked;

		/*
		 * Repairs are recorded by the deleted count they left on the
		 * metapage: a different count means new deletes, or a repair (ours
		 * or VACUUM's) that did not finish.
		 */
		if (res->dead_unvacuumed > 0 &&
			(res->dead_marked > 0 || meta.deleted_nodes != res->dead_unvacuumed))
			VgRepairDeletedNodes(index, strategy);
		LinkUnreached(index, &shape, meta.ef_construction, strategy, targets, res);
	}
	PG_FINALLY();
	{
		yield_to = NULL;
	}
	PG_END_TRY();
	res->end = GetCurrentTimestamp();
	UpdateRecord(index, RecordPass, res);
	FreeAccessStrategy(strategy);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

PG_FUNCTION_INFO_V1(vecgraph_maintain);

/*
 * vecgraph_maintain(index): one pass over the index now, in this backend,
 * under this session's vacuum_cost_* settings (as a manual VACUUM).  For
 * the table's owner and the maintainers; waits for a VACUUM of the index
 * to finish.
 */
Datum
vecgraph_maintain(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	Oid			heapoid = IndexGetRelation(indexoid, true);
	Relation	heap;
	Relation	index;
	VgMaintResult res;
	TupleDesc	desc;
	Datum		values[6];
	bool		nulls[6] = {0};

	if (!OidIsValid(heapoid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relation with OID %u is not an index", indexoid)));
	if (!pg_class_ownercheck(heapoid, GetUserId()) && !VgIsMaintainer())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to maintain index \"%s\"", get_rel_name(indexoid)),
				 errdetail("Only the owner of table \"%s\", superusers and members of role \"%s\" may.",
						   get_rel_name(heapoid), VG_MAINTAINER_ROLE)));
	PreventCommandDuringRecovery("vecgraph_maintain()");
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	heap = table_open(heapoid, RowExclusiveLock);
	index = index_open(indexoid, RowExclusiveLock);
	if (index->rd_rel->relam != get_index_am_oid("vecgraph", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a vecgraph index", RelationGetRelationName(index))));
	VgLockRepair(index);
	VacuumCostActive = VacuumCostDelay > 0;
	VacuumCostBalance = 0;
	PG_TRY();
	{
		VgMaintainIndex(heap, index, false, false, &res);
	}
	PG_FINALLY();
	{
		VacuumCostActive = false;
	}
	PG_END_TRY();
	VgUnlockRepair(index);
	index_close(index, NoLock);
	table_close(heap, NoLock);

	values[0] = Int64GetDatum(res.dead_marked);
	values[1] = Int64GetDatum(res.dead_unvacuumed);
	values[2] = Int64GetDatum((int64) res.live);
	values[3] = Int64GetDatum(res.unreachable_found);
	values[4] = Int64GetDatum(res.unreachable_linked);
	values[5] = DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(res.end),
									TimestampTzGetDatum(res.start));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
