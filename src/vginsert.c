/*-------------------------------------------------------------------------
 *
 * vginsert.c
 *	  Inserting rows into a vecgraph index: placing a node on a page and
 *	  linking it into the graph.
 *
 * NOTES
 *	  A new node is written first, with empty lists, then linked by the
 *	  core's vg_hnsw_insert through the page adapter (vgstore.c), which
 *	  locks one page at a time.  Until its first in-link lands, concurrent
 *	  searches cannot reach the node, so a half-linked node is invisible
 *	  rather than wrong.  Concurrent inserters meet only in the adapter's
 *	  compare-and-swap of a list, which is atomic under the page's
 *	  exclusive lock.
 *
 *	  New nodes go on the metapage's insert page while it has room, else on
 *	  a new page at the end of the relation.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "common/pg_prng.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "vecgraph.h"
#include "vector.h"
#include "vgam.h"
#include "vgnodecache.h"

/* Node levels are random; one generator per backend, seeded on first use. */
static uint64 level_rng;
static bool level_rng_seeded = false;

int
VgRandomLevel(int m)
{
	if (!level_rng_seeded)
	{
		level_rng = pg_prng_uint64(&pg_global_prng_state);
		level_rng_seeded = true;
	}
	return vg_hnsw_random_level(1.0 / log((double) m), &level_rng);
}

/* A node tuple image with empty lists (palloc'd). */
static VgNodeTuple
MakeNodeTuple(const VgShape *shape, ItemPointer heaptid, const void *vector, int level,
			  int partition)
{
	VgNodeTuple t = palloc0(VgNodeTupleSize(shape));

	t->heaptid = *heaptid;
	t->level = (uint8) level;
	t->partition = (uint8) partition;
	t->upper = VG_NO_NODE;
	memcpy(VgNodeVector(t, shape), vector, VgVectorBytes(shape));
	return t;
}

static VgUpperTuple
MakeUpperTuple(const VgShape *shape, int level)
{
	VgUpperTuple t = palloc0(VgUpperTupleSize(shape, level));

	ItemPointerSetInvalid(&t->unused);
	t->level = (uint8) level;
	t->flags = VG_TUPLE_UPPER;
	return t;
}

static void
CheckBlockLimit(VgStore store, BlockNumber blkno)
{
	if (blkno >= VgMaxNodeBlocks(&store->shape))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("index \"%s\" cannot grow beyond %u blocks",
						RelationGetRelationName(store->index),
						VgMaxNodeBlocks(&store->shape)),
				 errdetail("Node ids are 32 bits wide.")));
}

/*
 * Adds node and/or upper (either may be NULL; when both are given, node
 * links to upper) to the locked buffer buf if they fit; a new page is
 * initialised first.  Returns the id of node, or of upper when node is
 * NULL, or VG_NO_NODE when they do not fit.
 */
static VgNodeId
AddToPage(VgStore store, Buffer buf, bool new_page,
		  VgNodeTuple node, VgUpperTuple upper)
{
	const VgShape *shape = &store->shape;
	BlockNumber blkno = BufferGetBlockNumber(buf);
	Size		node_size = VgNodeTupleSize(shape);
	Size		upper_size = upper ? VgUpperTupleSize(shape, upper->level) : 0;
	Size		need = (node ? node_size + sizeof(ItemIdData) : 0) +
		(upper ? upper_size + sizeof(ItemIdData) : 0);
	GenericXLogState *state = GenericXLogStart(store->index);
	Page		page = GenericXLogRegisterBuffer(state, buf, new_page ? GENERIC_XLOG_FULL_IMAGE : 0);
	VgNodeId	id = VG_NO_NODE;
	OffsetNumber off;

	if (new_page)
		VgInitPage(page, VG_PAGE_NODES);
	if (PageGetExactFreeSpace(page) < need)
	{
		GenericXLogAbort(state);
		return VG_NO_NODE;
	}
	if (upper)
	{
		off = PageAddItem(page, (Item) upper, upper_size, InvalidOffsetNumber, false, false);
		if (off == InvalidOffsetNumber)
			elog(ERROR, "failed to add upper tuple to index \"%s\"", RelationGetRelationName(store->index));
		id = VgMakeNodeId(blkno, off, shape);
		if (node)
			node->upper = id;
	}
	if (node)
	{
		off = PageAddItem(page, (Item) node, node_size, InvalidOffsetNumber, false, false);
		if (off == InvalidOffsetNumber)
			elog(ERROR, "failed to add node tuple to index \"%s\"", RelationGetRelationName(store->index));
		id = VgMakeNodeId(blkno, off, shape);
	}
	GenericXLogFinish(state);
	return id;
}

/* Places tuples as AddToPage does, on the insert page or a new one. */
static VgNodeId
PlaceTuples(VgStore store, VgNodeTuple node, VgUpperTuple upper)
{
	VgMetaPageData meta;
	VgNodeId	id = VG_NO_NODE;
	Buffer		buf;

	VgReadMeta(store->index, &meta);
	if (meta.insert_page != InvalidBlockNumber && meta.insert_page != VG_METAPAGE_BLKNO)
	{
		buf = ReadBuffer(store->index, meta.insert_page);
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		id = AddToPage(store, buf, false, node, upper);
		UnlockReleaseBuffer(buf);
		if (id != VG_NO_NODE)
			return id;
	}

	LockRelationForExtension(store->index, ExclusiveLock);
	buf = ReadBuffer(store->index, P_NEW);
	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	UnlockRelationForExtension(store->index, ExclusiveLock);
	CheckBlockLimit(store, BufferGetBlockNumber(buf));
	id = AddToPage(store, buf, true, node, upper);
	if (id == VG_NO_NODE)
		elog(ERROR, "node tuple does not fit an empty page of index \"%s\"",
			 RelationGetRelationName(store->index));
	UnlockReleaseBuffer(buf);
	VgSetMetaHint(store->index, VG_HINT_INSERT_PAGE, VgNodeBlock(id, &store->shape));
	return id;
}

/* Pages searched for a free slot past the metapage's hint. */
#define VG_FREE_SLOT_SEARCH 8

/*
 * Overwrites a free node (one VACUUM deleted and unlinked) of the store's
 * partition on page blkno with a new row; returns its id, or VG_NO_NODE
 * when the page has none or is busy (*busy set).  A link some race left
 * pointing at the slot then at least stays inside its graph.  The node
 * keeps the slot's level and upper tuple, so levels keep the distribution
 * they were drawn with; *level is set to it.
 *
 * Scans read nodes under a pin alone (vgstore.c), so a slot's bytes may
 * change only under a cleanup lock: a page some backend has pinned is
 * busy, and the row goes elsewhere rather than wait for the pin.
 */
static VgNodeId
ReuseOnPage(VgStore store, BlockNumber blkno, ItemPointer heaptid,
			const void *vector, int *level, bool *busy)
{
	Buffer		buf = ReadBuffer(store->index, blkno);
	GenericXLogState *state;
	Page		page;
	VgNodeId	id = VG_NO_NODE;
	OffsetNumber off = InvalidOffsetNumber;
	VgNodeTuple t;

	if (!ConditionalLockBufferForCleanup(buf))
	{
		ReleaseBuffer(buf);
		*busy = true;
		return VG_NO_NODE;
	}
	/* look first: most pages near the hint have no free slot left */
	while ((t = VgNextNodeOnPage(store->index, &store->shape, BufferGetPage(buf),
								 blkno, &off)) != NULL)
		if ((t->flags & VG_NODE_FREE) && t->partition == store->partition)
			break;
	if (t != NULL)
	{
		state = GenericXLogStart(store->index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
		t = (VgNodeTuple) PageGetItem(page, PageGetItemId(page, off));
		t->heaptid = *heaptid;
		t->flags = 0;
		t->count0 = 0;
		t->partition = (uint8) store->partition;
		t->tree0 = 0;
		memcpy(VgNodeVector(t, &store->shape), vector, VgVectorBytes(&store->shape));
		*level = t->level;
		id = VgMakeNodeId(blkno, off, &store->shape);
		GenericXLogFinish(state);
	}
	UnlockReleaseBuffer(buf);
	return id;
}

static void
MoveFreeHint(Relation index, BlockNumber hint, BlockNumber to)
{
	if (to != hint)
		VgSetMetaHint(index, VG_HINT_FREE_PAGE, to);
}

/*
 * A free slot near the metapage's hint, moving the hint on; or VG_NO_NODE.
 * The hint never passes a busy page, whose free slots may still be there.
 */
static VgNodeId
ReuseFreeSlot(VgStore store, BlockNumber hint, ItemPointer heaptid,
			  const void *vector, int *level)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(store->index);
	BlockNumber first_busy = InvalidBlockNumber;
	BlockNumber blkno;

	/* a pin of this store's own would make its page look busy */
	VgStoreRelease(store);
	for (blkno = hint; blkno < nblocks && blkno < hint + VG_FREE_SLOT_SEARCH; blkno++)
	{
		bool		busy = false;
		VgNodeId	id = ReuseOnPage(store, blkno, heaptid, vector, level, &busy);

		if (busy && first_busy == InvalidBlockNumber)
			first_busy = blkno;
		if (id != VG_NO_NODE)
		{
			MoveFreeHint(store->index, hint, first_busy != InvalidBlockNumber ? first_busy : blkno);
			return id;
		}
	}
	if (first_busy != InvalidBlockNumber)
		MoveFreeHint(store->index, hint, first_busy);
	else
		MoveFreeHint(store->index, hint, blkno < nblocks ? blkno : InvalidBlockNumber);
	return VG_NO_NODE;
}

/*
 * Writes a new node with empty lists and returns its id.  When the node and
 * its upper tuple cannot share a page (very wide vectors), the upper tuple
 * goes first on a page of its own.
 */
VgNodeId
VgStoreAddNode(VgStore store, ItemPointer heaptid, const void *vector, int level)
{
	const VgShape *shape = &store->shape;
	VgNodeTuple node = MakeNodeTuple(shape, heaptid, vector, level, store->partition);
	VgUpperTuple upper = level > 0 ? MakeUpperTuple(shape, level) : NULL;

	if (upper && VgNodeTupleSize(shape) + VgUpperTupleSize(shape, level) +
		sizeof(ItemIdData) > VG_MAX_ITEM_SIZE)
	{
		node->upper = PlaceTuples(store, NULL, upper);
		upper = NULL;
	}
	return PlaceTuples(store, node, upper);
}

/* FreshDiskANN's insert of node, on the page in place, into a Vamana graph. */
static VgStatus
InsertVamana(const VgGraph *graph, const VgShape *shape, int build_list_size, VgNodeId node)
{
	VgVamanaParams params = VgVamanaParamsOf(shape, build_list_size);
	VgVamanaScratch scratch;
	VgStatus	st;

	if (vg_vamana_scratch_init(&scratch, &params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	st = vg_vamana_insert(graph, &params, node, &scratch);
	vg_vamana_scratch_free(&scratch);
	return st;
}

/* Inserts one prepared vector through the page adapter. */
void
VgInsertVector(VgStore store, ItemPointer heaptid, const void *vector)
{
	VgMetaPageData meta;
	VgHnswParams params;
	VgInsertScratch scratch;
	VgGraph		graph;
	VgNodeId	id;
	int			level;
	VgStatus	st;

	VgReadMeta(store->index, &meta);
	params = VgHnswParamsOf(&store->shape, meta.ef_construction);
	level = store->shape.graph == VG_GRAPH_VAMANA ? 0 : VgRandomLevel(meta.m);
	store->partition = VgPartitionOf(heaptid, store->shape.partitions);
	graph = VgStoreGraph(store);
	id = VG_NO_NODE;
	if (meta.free_page != InvalidBlockNumber)
		id = ReuseFreeSlot(store, meta.free_page, heaptid, vector, &level);
	if (id == VG_NO_NODE)
		id = VgStoreAddNode(store, heaptid, vector, level);

	/*
	 * The search keeps a copy of each list it read a distance beside, as a
	 * scan does, so that expanding a node does not lock its page again;
	 * in a large index that second visit missed the CPU caches.  Lists
	 * read to change them bypass the copies (vgstore.c).
	 */
	store->cache = VgNodeCacheCreate(store->shape.m0, meta.ef_construction * store->shape.m);
	if (store->shape.graph == VG_GRAPH_VAMANA)
		st = InsertVamana(&graph, &store->shape, meta.ef_construction, id);
	else
	{
		if (vg_insert_scratch_init(&scratch, &params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
			elog(ERROR, "out of memory");
		st = vg_hnsw_insert(&graph, &params, id, level, &scratch);
		vg_insert_scratch_free(&scratch);
	}
	VgNodeCacheFree(store->cache);
	store->cache = NULL;
	if (st != VG_OK)
		elog(ERROR, "vecgraph insert failed with status %d", (int) st);
	VgStoreReset(store);
}

bool
vginsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
		 Relation heap, IndexUniqueCheck checkUnique, bool indexUnchanged,
		 IndexInfo *indexInfo)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext,
											  "vecgraph insert",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);
	VgStoreData store;
	void	   *vector;

	if (!isnull[0])
	{
		VgStoreInit(&store, index, true);
		vector = VgValueToStored(values[0], &store.shape, index);
		if (vector != NULL)
			VgInsertVector(&store, heap_tid, vector);
		VgStoreRelease(&store);
	}

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	return false;
}
