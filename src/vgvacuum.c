/*-------------------------------------------------------------------------
 *
 * vgvacuum.c
 *	  VACUUM for vecgraph: drop dead rows and repair the graph around them.
 *
 * NOTES
 *	  Pass 1 marks the node of every dead row VG_NODE_DELETED, one page at a
 *	  time.  Deleted nodes keep their lists, so searches still pass through
 *	  them (a scan never returns them; an insert never links to them).
 *
 *	  Pass 2a cuts the deleted nodes out of the tree of tree links
 *	  (core/vg_tree.c): for each group of deleted nodes joined by tree
 *	  links, the tree links of all its live neighbours but one move onto
 *	  live nodes on that one's side, one atomic change at a time, so the
 *	  live nodes stay joined by tree links whatever happens.  Inserts cannot
 *	  join the tree through a node pass 1 marked (the store refuses).
 *
 *	  Pass 2 repairs every live node that links to a deleted one, as
 *	  DiskANN consolidates deletes: the node's new list is its live tree
 *	  links plus what the neighbour heuristic chooses from its live
 *	  neighbours and the live neighbours of its deleted ones, so paths that
 *	  ran through deleted nodes survive.  The new list is written with the
 *	  adapter's compare-and-swap, so concurrent inserts are never lost (a
 *	  list changed meanwhile is recomputed).
 *
 *	  Pass 3 moves the entry point off a deleted node, to the live node of
 *	  highest level.
 *
 *	  Nothing else is needed for reachability: tree links keep every live
 *	  node reachable without any repair (core/vg_tree.c), so a VACUUM that
 *	  deleted nothing makes no pass over the index at all.
 *
 *	  The maintenance worker (vgmaintain.c) marks the nodes of dead rows
 *	  between VACUUMs and repairs around them with passes 2a to 3; pass 1
 *	  then finds them marked already.  The two exclude each other with the
 *	  repair lock (VgLockRepair).
 *
 *	  Pass 4 marks the deleted nodes VG_NODE_FREE and empties their lists:
 *	  no live list links to them any more, so inserts may overwrite them
 *	  (vginsert.c).  The metapage records the lowest page with a free slot.
 *	  Free slots are neither live nor deleted to a later VACUUM, since an
 *	  insert may take one over while it runs.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/genam.h"
#include "commands/vacuum.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/lmgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "vgam.h"

typedef struct VgVacuumState
{
	Relation	index;
	VgStoreData store;
	VgVisited	deleted;		/* ids of all deleted nodes */
	VgNodeId   *deleted_ids;	/* ... as a list, for the tree pass */
	uint32		n_deleted_ids;
	uint32		deleted_ids_size;
	VgNodeId	top_live[VG_MAX_PARTITIONS];	/* live node of highest level */
	int			top_level[VG_MAX_PARTITIONS];
	double		live;
	double		part_live[VG_MAX_PARTITIONS];
	float		alpha;			/* RobustPrune's (VgPruneAlpha): 1 for HNSW */
} VgVacuumState;

static void
RememberLive(VgVacuumState *vs, int partition, int level, VgNodeId id)
{
	vs->live++;
	vs->part_live[partition]++;
	if (vs->top_live[partition] == VG_NO_NODE || level > vs->top_level[partition])
	{
		vs->top_live[partition] = id;
		vs->top_level[partition] = level;
	}
}

static void
RememberDeleted(VgVacuumState *vs, VgNodeId id)
{
	VgStatus	st = VG_OK;

	vg_visited_add(&vs->deleted, id, &st);
	if (st != VG_OK)
		elog(ERROR, "out of memory");
	if (vs->n_deleted_ids == vs->deleted_ids_size)
	{
		vs->deleted_ids_size = Max(1024, vs->deleted_ids_size * 2);
		vs->deleted_ids = vs->deleted_ids ?
			repalloc_huge(vs->deleted_ids, sizeof(VgNodeId) * vs->deleted_ids_size) :
			palloc_extended(sizeof(VgNodeId) * vs->deleted_ids_size, MCXT_ALLOC_HUGE);
	}
	vs->deleted_ids[vs->n_deleted_ids++] = id;
}

/*
 * Pass 1 on one page: mark dead rows' nodes; note deleted and top nodes.
 * Without a callback it only notes them, under a share lock: the
 * maintenance worker marks dead rows itself (vgmaintain.c).
 */
static void
MarkDeadOnPage(VgVacuumState *vs, BlockNumber blkno, IndexBulkDeleteResult *stats,
			   IndexBulkDeleteCallback callback, void *callback_state,
			   BufferAccessStrategy strategy)
{
	Buffer		buf = ReadBufferExtended(vs->index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
	GenericXLogState *state = NULL;
	Page		page;
	bool		changed = false;
	OffsetNumber off = InvalidOffsetNumber;
	VgNodeTuple t;

	if (callback != NULL)
	{
		LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
		state = GenericXLogStart(vs->index);
		page = GenericXLogRegisterBuffer(state, buf, 0);
	}
	else
	{
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
	}
	while ((t = VgNextNodeOnPage(vs->index, &vs->store.shape, page, blkno, &off)) != NULL)
	{
		VgNodeId	id = VgMakeNodeId(blkno, off, &vs->store.shape);

		if (callback != NULL && !(t->flags & VG_NODE_DELETED) &&
			callback(&t->heaptid, callback_state))
		{
			t->flags |= VG_NODE_DELETED;
			changed = true;
			stats->tuples_removed++;
		}
		/*
		 * A slot an earlier VACUUM freed is neither: an insert may take it
		 * over (and make it live) while this VACUUM runs.
		 */
		if (t->flags & VG_NODE_FREE)
			continue;
		if (t->flags & VG_NODE_DELETED)
			RememberDeleted(vs, id);
		else
			RememberLive(vs, t->partition, t->level, id);
	}
	if (changed)
		GenericXLogFinish(state);
	else if (state != NULL)
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
}

/*
 * Adds to out[count..max) the live neighbours at level of node d (a deleted
 * one, in repairs) that are not in seen yet (adding them to it); returns the
 * new count.
 */
static int
NeighboursOfDeleted(VgVacuumState *vs, VgNodeId d, int level, VgVisited *seen,
					VgCandidate *out, int count, int max)
{
	VgNodeId	list[2 * VG_MAX_M];
	int			k = VgStoreOps.neighbours(&vs->store, d, level, list, vs->store.shape.m0, NULL);
	VgStatus	st = VG_OK;

	for (int j = 0; j < k && count < max; j++)
		if (!vg_visited_contains(&vs->deleted, list[j]) && vg_visited_add(seen, list[j], &st))
			out[count++] = (VgCandidate) {0, list[j]};
	return count;
}

/*
 * The deleted nodes two deleted hops from list[0..n): deleted neighbours at
 * level of its deleted nodes, not in it.  Writes them to out (room for
 * n * m0 ids) and returns how many.
 */
static int
SecondDeleted(VgVacuumState *vs, const VgNodeId *list, int n, int level, VgNodeId *out)
{
	VgNodeId	hop[2 * VG_MAX_M];
	VgVisited	met;
	int			count = 0;
	VgStatus	st = VG_OK;

	vg_visited_init(&met, n * vs->store.shape.m0, VgPallocAllocator(CurrentMemoryContext));
	for (int i = 0; i < n; i++)
		vg_visited_add(&met, list[i], &st);
	for (int i = 0; i < n; i++)
	{
		int			k;

		if (!vg_visited_contains(&vs->deleted, list[i]))
			continue;
		k = VgStoreOps.neighbours(&vs->store, list[i], level, hop, vs->store.shape.m0, NULL);
		for (int j = 0; j < k; j++)
			if (vg_visited_contains(&vs->deleted, hop[j]) && vg_visited_add(&met, hop[j], &st))
				out[count++] = hop[j];
	}
	vg_visited_free(&met);
	return count;
}

/*
 * The candidates for node's new list at level: its live neighbours and the
 * live neighbours of its deleted ones, but neither node itself nor
 * keep[0..n_keep) (its live tree links, kept anyway), with distances from
 * node, sorted; returns how many (at most max).
 */
static int
RepairCandidates(VgVacuumState *vs, VgNodeId node, int level, const VgNodeId *list,
				 int n, const VgNodeId *keep, int n_keep, VgCandidate *out, int max,
				 VgNodeId *scratch)
{
	VgGraph		graph = VgStoreGraph(&vs->store);
	const void *nv = VgStoreOps.vector(&vs->store, node);
	VgVisited	seen;
	int			count = 0;
	int			kept;
	VgStatus	st = VG_OK;

	vg_visited_init(&seen, max, VgPallocAllocator(CurrentMemoryContext));
	vg_visited_add(&seen, node, &st);
	for (int i = 0; i < n_keep; i++)
		vg_visited_add(&seen, keep[i], &st);
	for (int i = 0; i < n && count < max; i++)
	{
		if (vg_visited_contains(&vs->deleted, list[i]))
			count = NeighboursOfDeleted(vs, list[i], level, &seen, out, count, max);
		else if (vg_visited_add(&seen, list[i], &st))
			out[count++] = (VgCandidate) {0, list[i]};
	}

	/*
	 * Where deletes cluster, the live nodes around are two deleted hops
	 * away: look there too when one hop gave few candidates.  (Looking
	 * there always keeps recall after heavy churn a little closer to a
	 * fresh build's, but makes VACUUM five times slower: 46 s against 9 s
	 * for 20% of 200,000 rows.)
	 */
	if (count < 2 * n)
	{
		VgNodeId   *second = palloc(sizeof(VgNodeId) * n * vs->store.shape.m0);
		int			n_second = SecondDeleted(vs, list, n, level, second);

		for (int i = 0; i < n_second && count < max; i++)
			count = NeighboursOfDeleted(vs, second[i], level, &seen, out, count, max);
		pfree(second);
	}

	/* infinitely far: deleted, or a slot freed before (a stale link) */
	for (int i = 0; i < count; i += vs->store.shape.m0)
	{
		int			batch = Min(count - i, vs->store.shape.m0);
		float		dists[2 * VG_MAX_M];

		for (int j = 0; j < batch; j++)
			scratch[j] = out[i + j].id;
		VgStoreOps.distances(&vs->store, &graph.metric, nv, scratch, batch, dists);
		for (int j = 0; j < batch; j++)
			out[i + j].distance = dists[j];
	}
	kept = 0;
	for (int i = 0; i < count; i++)
		if (!isinf(out[i].distance))
			out[kept++] = out[i];
	vg_candidates_sort(out, kept);
	vg_visited_free(&seen);
	return kept;
}

/*
 * Repairs node's list at level if it links to a deleted node.  Its live
 * tree links stay; those to deleted nodes go (the tree pass left each
 * deleted group hanging from at most one of them).
 */
static void
RepairList(VgVacuumState *vs, VgNodeId node, int level)
{
	const VgShape *shape = &vs->store.shape;
	int			cap = level == 0 ? shape->m0 : shape->m;
	int			max = cap * (shape->m0 + 1);
	VgGraph		graph = VgStoreGraph(&vs->store);
	VgNodeId   *list = palloc(sizeof(VgNodeId) * cap);
	VgNodeId   *scratch = palloc(sizeof(VgNodeId) * shape->m0);
	VgNodeId   *chosen = palloc(sizeof(VgNodeId) * cap);
	const void **vectors = palloc(sizeof(void *) * cap);
	VgCandidate *cands = palloc(sizeof(VgCandidate) * max);

	for (;;)
	{
		int			n_tree;
		int			n = VgStoreOps.neighbours(&vs->store, node, level, list, cap, &n_tree);
		bool		touched = false;
		int			live_tree = 0;
		int			count,
					kept;
		VgListUpdate u;

		for (int i = 0; i < n && !touched; i++)
			touched = vg_visited_contains(&vs->deleted, list[i]);
		if (!touched)
			break;
		for (int i = 0; i < n_tree; i++)
			if (!vg_visited_contains(&vs->deleted, list[i]))
			{
				vectors[live_tree] = VgStoreOps.vector(&vs->store, list[i]);
				chosen[live_tree++] = list[i];
			}
		count = RepairCandidates(vs, node, level, list, n, chosen, live_tree,
								 cands, max, scratch);
		kept = vg_prune_robust(&graph, cands, count, cap, vs->alpha, live_tree, chosen, vectors);

		/*
		 * The heuristic alone would leave a repaired node with fewer links
		 * than it had; topped up to its old degree with the candidates the
		 * heuristic left out, the graph keeps its connectivity (recall after
		 * heavy deletes stays near a fresh build's).
		 */
		kept = vg_prune_fill(&graph, cands, count, Min(n, cap), kept, chosen, vectors);
		u = (VgListUpdate) {node, level, list, n, n_tree, chosen, kept, live_tree};
		if (VgStoreOps.update_lists(&vs->store, &u, 1))
			break;
	}
	VgStoreReset(&vs->store);
	pfree(list);
	pfree(scratch);
	pfree(chosen);
	pfree(vectors);
	pfree(cands);
}

/*
 * Pass 2a: cuts every group of deleted nodes out of the tree of tree links
 * (vg_tree_bypass), so that pass 2 may drop all links to deleted nodes
 * without separating live ones.
 */
static void
BypassDeleted(VgVacuumState *vs)
{
	VgGraph		graph = VgStoreGraph(&vs->store);
	const VgAllocator *a = VgPallocAllocator(CurrentMemoryContext);
	VgListScratch scratch;
	VgVisited	done;

	if (vg_list_scratch_init(&scratch, vs->store.shape.m0, a) != VG_OK ||
		vg_visited_init(&done, vs->n_deleted_ids, a) != VG_OK)
		elog(ERROR, "out of memory");
	for (uint32 i = 0; i < vs->n_deleted_ids; i++)
	{
		VgStatus	st;

		if (vg_visited_contains(&done, vs->deleted_ids[i]))
			continue;
		VgDelayPoint();
		st = vg_tree_bypass(&graph, &vs->deleted, vs->deleted_ids[i],
							vg_tree_degree(vs->store.shape.m0), &done, &scratch);
		if (st != VG_OK)
			elog(ERROR, "vecgraph could not cut deleted node %u out of the tree of index \"%s\" (status %d)",
				 vs->deleted_ids[i], RelationGetRelationName(vs->index), (int) st);
		VgStoreReset(&vs->store);
	}
	vg_visited_free(&done);
	vg_list_scratch_free(&scratch);
}

/* Pass 2: repair every live node's lists, a page's nodes at a time. */
static void
RepairGraph(VgVacuumState *vs, BlockNumber nblocks)
{
	const VgShape *shape = &vs->store.shape;
	VgNodeId   *ids = palloc(sizeof(VgNodeId) * MaxOffsetNumber);
	int		   *levels = palloc(sizeof(int) * MaxOffsetNumber);

	for (BlockNumber blkno = 1; blkno < nblocks; blkno++)
	{
		Page		page;
		OffsetNumber off = InvalidOffsetNumber;
		VgNodeTuple t;
		int			n = 0;

		VgDelayPoint();
		page = VgStoreLockPage(&vs->store, blkno, BUFFER_LOCK_SHARE);
		while ((t = VgNextNodeOnPage(vs->index, shape, page, blkno, &off)) != NULL)
			if (!(t->flags & VG_NODE_DELETED))
			{
				ids[n] = VgMakeNodeId(blkno, off, shape);
				levels[n++] = t->level;
			}
		VgStoreUnlock(&vs->store);

		for (int i = 0; i < n; i++)
			for (int lv = 0; lv <= levels[i]; lv++)
				RepairList(vs, ids[i], lv);
	}
	pfree(ids);
	pfree(levels);
}

/*
 * A Vamana graph's new medoid when VACUUM deletes it: the live node nearest
 * the old one among its neighbours and theirs, else any live node.
 */
static void
ChooseVamanaEntries(VgVacuumState *vs)
{
	VgMetaPageData meta;
	VgGraph		graph = VgStoreGraph(&vs->store);

	VgReadMeta(vs->index, &meta);
	for (int part = 0; part < vs->store.shape.partitions; part++)
	{
		VgNodeId	old = meta.part[part].entry;
		int			max = vs->store.shape.m0 * (vs->store.shape.m0 + 1);
		VgCandidate *near;
		VgVisited	seen;
		VgStatus	st = VG_OK;
		int			n;
		const void *ov;

		if (old == VG_NO_NODE || !vg_visited_contains(&vs->deleted, old))
			continue;
		near = palloc(sizeof(VgCandidate) * max);
		vg_visited_init(&seen, max, VgPallocAllocator(CurrentMemoryContext));
		vg_visited_add(&seen, old, &st);
		/* its live neighbours, then theirs */
		n = NeighboursOfDeleted(vs, old, 0, &seen, near, 0, max);
		for (int i = 0, first = n; i < first; i++)
			n = NeighboursOfDeleted(vs, near[i].id, 0, &seen, near, n, max);
		ov = VgStoreOps.vector(&vs->store, old);
		for (int i = 0; i < n; i++)
			VgStoreOps.distances(&vs->store, &graph.metric, ov, &near[i].id, 1, &near[i].distance);
		vg_candidates_sort(near, n);
		if (n > 0 && !isinf(near[0].distance))
		{
			vs->top_live[part] = near[0].id;
			vs->top_level[part] = 0;
		}
		vg_visited_free(&seen);
		pfree(near);
		VgStoreReset(&vs->store);
	}
}

/* Pass 3: entry points must be live; also records the live counts. */
static void
UpdateMeta(VgVacuumState *vs)
{
	Buffer		buf = ReadBuffer(vs->index, VG_METAPAGE_BLKNO);
	GenericXLogState *state;
	VgMetaPage	meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(vs->index);
	meta = VgPageGetMeta(GenericXLogRegisterBuffer(state, buf, 0));
	for (int part = 0; part < VG_MAX_PARTITIONS; part++)
	{
		VgPartitionMeta *pm = &meta->part[part];

		if (pm->entry != VG_NO_NODE && vg_visited_contains(&vs->deleted, pm->entry))
		{
			pm->entry = vs->top_live[part];
			pm->entry_level = (uint8) (vs->top_live[part] == VG_NO_NODE ? 0 : vs->top_level[part]);
		}
		pm->nodes = (uint64) vs->part_live[part];
	}
	meta->live_nodes = (uint64) vs->live;
	meta->deleted_nodes = vs->deleted.count;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}

/* Pass 4 on one page: free its deleted nodes; true if it has free slots. */
static bool
FreeDeletedOnPage(VgVacuumState *vs, BlockNumber blkno, BufferAccessStrategy strategy)
{
	Buffer		buf = ReadBufferExtended(vs->index, MAIN_FORKNUM, blkno, RBM_NORMAL, strategy);
	GenericXLogState *state;
	Page		page;
	bool		changed = false;
	bool		has_free = false;
	OffsetNumber off = InvalidOffsetNumber;
	VgNodeTuple t;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(vs->index);
	page = GenericXLogRegisterBuffer(state, buf, 0);
	while ((t = VgNextNodeOnPage(vs->index, &vs->store.shape, page, blkno, &off)) != NULL)
	{
		if (!(t->flags & VG_NODE_DELETED))
			continue;
		has_free = true;
		if (!(t->flags & VG_NODE_FREE))
		{
			t->flags |= VG_NODE_FREE;
			t->count0 = 0;
			t->tree0 = 0;
			/* empty its upper lists too, when they live on this page */
			if (t->upper != VG_NO_NODE &&
				VgNodeBlock(t->upper, &vs->store.shape) == blkno)
			{
				VgUpperTuple u = VgUpperOnPage(vs->index, &vs->store.shape, page,
											   t->upper, t->level);

				for (int lv = 1; lv <= u->level; lv++)
					VgUpperList(u, &vs->store.shape, lv)[0] = 0;
			}
			changed = true;
		}
	}
	if (changed)
		GenericXLogFinish(state);
	else
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
	return has_free;
}

static void
FreeDeleted(VgVacuumState *vs, BufferAccessStrategy strategy)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(vs->index);
	BlockNumber first = InvalidBlockNumber;

	for (BlockNumber blkno = 1; blkno < nblocks; blkno++)
	{
		VgDelayPoint();
		if (FreeDeletedOnPage(vs, blkno, strategy) && first == InvalidBlockNumber)
			first = blkno;
	}
	VgSetMetaHint(vs->index, VG_HINT_FREE_PAGE, first);
}

/* Pass 1 over every page, with callback deciding which rows died. */
static void
ScanIndex(VgVacuumState *vs, Relation index, BufferAccessStrategy strategy,
		  IndexBulkDeleteResult *stats, IndexBulkDeleteCallback callback,
		  void *callback_state)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);

	vs->index = index;
	VgStoreInit(&vs->store, index, true);
	vs->alpha = VgPruneAlpha(&vs->store.shape);
	vg_visited_init(&vs->deleted, 1024, VgPallocAllocator(CurrentMemoryContext));
	for (int part = 0; part < VG_MAX_PARTITIONS; part++)
	{
		vs->top_live[part] = VG_NO_NODE;
		vs->top_level[part] = 0;
		vs->part_live[part] = 0;
	}
	vs->live = 0;
	vs->deleted_ids = NULL;
	vs->n_deleted_ids = vs->deleted_ids_size = 0;
	for (BlockNumber blkno = 1; blkno < nblocks; blkno++)
	{
		VgDelayPoint();
		MarkDeadOnPage(vs, blkno, stats, callback, callback_state, strategy);
	}
}

/*
 * Passes 2a, 2 and 3 over the deleted nodes pass 1 found.  Ends with the
 * pass 4 of VACUUM, which frees them, when free_slots: only VACUUM may,
 * once the table no longer holds their rows' TIDs.
 */
static void
RepairAndFree(VgVacuumState *vs, BlockNumber nblocks, bool free_slots,
			  BufferAccessStrategy strategy)
{
	if (vs->deleted.count == 0)
		return;
	BypassDeleted(vs);
	RepairGraph(vs, nblocks);
	if (vs->store.shape.graph == VG_GRAPH_VAMANA)
		ChooseVamanaEntries(vs);
	UpdateMeta(vs);
	if (free_slots)
		FreeDeleted(vs, strategy);
}

/*
 * VACUUM and the maintenance worker exclude each other with a heavyweight
 * lock on the metapage's number, as GIN's pending-list cleanup does:
 * VACUUM waits for it, a maintenance pass skips an index it cannot take
 * it on at once, and neither blocks inserts or scans.
 */
void
VgLockRepair(Relation index)
{
	LockPage(index, VG_METAPAGE_BLKNO, ExclusiveLock);
}

bool
VgTryLockRepair(Relation index)
{
	return ConditionalLockPage(index, VG_METAPAGE_BLKNO, ExclusiveLock);
}

void
VgUnlockRepair(Relation index)
{
	UnlockPage(index, VG_METAPAGE_BLKNO, ExclusiveLock);
}

/* Is a VACUUM (or a vecgraph_maintain) waiting for the repair lock we hold? */
bool
VgRepairLockHasWaiters(Relation index)
{
	LOCKTAG		tag;

	SET_LOCKTAG_PAGE(tag, index->rd_lockInfo.lockRelId.dbId,
					 index->rd_lockInfo.lockRelId.relId, VG_METAPAGE_BLKNO);
	return LockHasWaiters(&tag, ExclusiveLock, false);
}

/*
 * Repairs the graph around nodes already marked deleted -- by the
 * maintenance worker, or by a VACUUM that was cancelled -- without freeing
 * them.  The caller holds the repair lock.
 */
void
VgRepairDeletedNodes(Relation index, BufferAccessStrategy strategy)
{
	VgVacuumState vs;
	IndexBulkDeleteResult stats = {0};
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "vecgraph repair",
											  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old = MemoryContextSwitchTo(cxt);

	ScanIndex(&vs, index, strategy, &stats, NULL, NULL);
	RepairAndFree(&vs, nblocks, false, strategy);
	VgStoreRelease(&vs.store);
	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
}

IndexBulkDeleteResult *
vgbulkdelete(IndexVacuumInfo *info, IndexBulkDeleteResult *stats,
			 IndexBulkDeleteCallback callback, void *callback_state)
{
	VgVacuumState vs;
	BlockNumber nblocks = RelationGetNumberOfBlocks(info->index);
	MemoryContext cxt;
	MemoryContext old;

	/* the result outlives the working memory below */
	if (stats == NULL)
		stats = palloc0(sizeof(IndexBulkDeleteResult));
	VgLockRepair(info->index);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "vecgraph vacuum",
								ALLOCSET_DEFAULT_SIZES);
	old = MemoryContextSwitchTo(cxt);
	ScanIndex(&vs, info->index, info->strategy, stats, callback, callback_state);
	RepairAndFree(&vs, nblocks, true, info->strategy);
	VgStoreRelease(&vs.store);
	stats->num_index_tuples = vs.live;
	stats->num_pages = nblocks;

	MemoryContextSwitchTo(old);
	MemoryContextDelete(cxt);
	VgUnlockRepair(info->index);
	return stats;
}

/*
 * With no bulk delete before it, VACUUM has nothing to repair: tree links
 * keep every node reachable, so there is no pass over the index to make.
 * The count of index tuples is the table's, estimated as btree does.
 */
IndexBulkDeleteResult *
vgvacuumcleanup(IndexVacuumInfo *info, IndexBulkDeleteResult *stats)
{
	if (info->analyze_only)
		return stats;
	if (stats == NULL)
	{
		stats = palloc0(sizeof(IndexBulkDeleteResult));
		stats->num_index_tuples = info->num_heap_tuples;
		stats->estimated_count = info->estimated_count;
	}
	stats->num_pages = RelationGetNumberOfBlocks(info->index);
	return stats;
}
