/*-------------------------------------------------------------------------
 *
 * vgstore.c
 *	  The graph adapter (VgGraphOps) over index pages: how the core's HNSW
 *	  code reads and writes nodes of a vecgraph index.
 *
 * NOTES
 *	  Lock order and duration: every operation locks one node page, share
 *	  to read and exclusive to write, for one copy, one distance or one
 *	  compare-and-swap of a list, and unlocks it before the next page.  A
 *	  compare-and-swap of several lists at once (StoreUpdateLists: a new
 *	  node's first link both ways) locks their pages together, in ascending
 *	  block order, and copies only.  The metapage is locked while no node
 *	  page is.  So no two backends can deadlock on index pages, and no lock
 *	  is held across a distance loop.
 *
 *	  The last buffer stays pinned (not locked) between operations, so a
 *	  search moving among nodes of one page pays the buffer lookup once.
 *	  Each backend also remembers, per index block, the buffer that last
 *	  held it; ReadRecentBuffer pins that buffer directly when it still
 *	  holds the block, skipping the shared buffer mapping table, whose
 *	  lookups otherwise miss the CPU caches on every step of a search.
 *
 *	  Reading under a pin.  A scan's distances (store->pin_only) pin each
 *	  node's page without locking it, as a heap scan reads a tuple it has
 *	  seen is visible.  What they read -- the line pointer, the tuple's
 *	  kind, level, partition, flags, heap TID and vector -- changes only
 *	  when an insert takes over a free slot, and inserts do that only under
 *	  a cleanup lock (no other backend's pin; vginsert.c), so never under a
 *	  reader.  Other changes to the page (lists, VACUUM's flags) leave those
 *	  bytes as they were, though GenericXLogFinish writes them again with
 *	  the same values; a flag read while VACUUM sets it reads as either
 *	  value, as it would under a lock taken just before or just after.
 *	  Lists do change under a pin, so such a read copies no list, and
 *	  expanding a node locks its page.  A standby replays a slot's takeover
 *	  under an exclusive lock alone, so scans lock there (pin_only is set
 *	  only outside recovery).  The share lock and unlock per distance were
 *	  5-8% of a Fashion-MNIST scan (half storage) and 3-4% (float).
 *
 *	  Every change goes through GenericXLog.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xlog.h"
#include "miscadmin.h"
#include "storage/buf_internals.h"
#include "storage/lmgr.h"
#include "utils/hsearch.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "vgam.h"
#include "vgnodecache.h"

static void *
PallocAlloc(void *ctx, size_t size)
{
	return MemoryContextAllocHuge((MemoryContext) ctx, size);
}

static void
PallocRelease(void *ctx, void *ptr)
{
	pfree(ptr);
}

/*
 * An allocator over palloc in cxt, allocated in cxt: whatever the core
 * allocates through it -- also when a heap or visited set grows later,
 * under another current context -- lives and dies with cxt.
 */
const VgAllocator *
VgPallocAllocator(MemoryContext cxt)
{
	VgAllocator *a = MemoryContextAlloc(cxt, sizeof(VgAllocator));

	a->alloc = PallocAlloc;
	a->release = PallocRelease;
	a->ctx = cxt;
	return a;
}

/*
 * Per-backend arrays of recent buffers, one per index (by relfilenode),
 * kept in TopMemoryContext across queries.  A stale entry costs one failed
 * ReadRecentBuffer; nothing relies on it being right.
 */
#define VG_RECENT_INDEXES 8

typedef struct RecentBuffers
{
	RelFileNode node;
	Buffer	   *buffers;
	BlockNumber size;
} RecentBuffers;

static RecentBuffers recent_buffers[VG_RECENT_INDEXES];
static int	recent_next_victim = 0;

static RecentBuffers *
RecentBuffersFor(Relation index)
{
	RecentBuffers *r;

	for (int i = 0; i < VG_RECENT_INDEXES; i++)
		if (recent_buffers[i].buffers != NULL &&
			RelFileNodeEquals(recent_buffers[i].node, index->rd_node))
			return &recent_buffers[i];
	r = &recent_buffers[recent_next_victim];
	recent_next_victim = (recent_next_victim + 1) % VG_RECENT_INDEXES;
	if (r->buffers != NULL)
		pfree(r->buffers);
	r->node = index->rd_node;
	r->size = 0;
	r->buffers = NULL;
	return r;
}

/* The recent array of index, made to cover blkno. */
static RecentBuffers *
CoverRecent(Relation index, BlockNumber blkno)
{
	RecentBuffers *r = RecentBuffersFor(index);

	if (blkno >= r->size)
	{
		BlockNumber size = Max(RelationGetNumberOfBlocks(index), blkno + 1);
		Buffer	   *buffers = MemoryContextAllocZero(TopMemoryContext, sizeof(Buffer) * size);

		if (r->buffers != NULL)
		{
			memcpy(buffers, r->buffers, sizeof(Buffer) * r->size);
			pfree(r->buffers);
		}
		r->buffers = buffers;
		r->size = size;
	}
	return r;
}

/*
 * The recent-buffer entry of blkno.  Other stores of this backend (another
 * scan of the index, an insert that grew it, one of more indexes than the
 * slots hold) can have grown or reused the slot since this store last
 * looked, so the store keeps the slot, never its array, and checks it.
 */
static Buffer *
RecentEntry(VgStore store, BlockNumber blkno)
{
	RecentBuffers *r = store->recent;

	if (r == NULL || r->buffers == NULL || blkno >= r->size ||
		!RelFileNodeEquals(r->node, store->index->rd_node))
		store->recent = r = CoverRecent(store->index, blkno);
	return &r->buffers[blkno];
}

/* Pins blkno through the recent buffer when it still holds the block. */
static Buffer
PinBlock(VgStore store, BlockNumber blkno)
{
	Buffer	   *entry;
	Buffer		buf;

	/* a link past the end is corruption; the size is looked up only then */
	if (unlikely(blkno >= store->nblocks) &&
		blkno >= (store->nblocks = VgBlocksCovering(store->index, blkno)))
		VgReportCorrupt(store->index, blkno,
						psprintf("A link names block %u, past the index's %u blocks.",
								 blkno, store->nblocks));

	if (RelationUsesLocalBuffers(store->index))
		return ReadBuffer(store->index, blkno);
	entry = RecentEntry(store, blkno);
	if (*entry != InvalidBuffer &&
		ReadRecentBuffer(store->index->rd_node, MAIN_FORKNUM, blkno, *entry))
		return *entry;
	buf = ReadBufferExtended(store->index, MAIN_FORKNUM, blkno, RBM_NORMAL, store->strategy);
	*entry = buf;
	return buf;
}

void
VgStoreInit(VgStore store, Relation index, bool skip_deleted)
{
	store->index = index;
	VgReadShape(index, &store->shape);
	store->metric = VgCoreMetric(&store->shape);
	store->skip_deleted = skip_deleted;
	store->pin_only = false;
	store->buf = InvalidBuffer;
	store->vector_cxt = NULL;
	store->vectors = NULL;
	store->cache = NULL;
	store->recent = NULL;
	store->partition = 0;
	store->nblocks = 0;
	store->strategy = NULL;
}

/* A store for searches that return rows: reading under a pin where safe. */
void
VgStoreInitScan(VgStore store, Relation index)
{
	VgStoreInit(store, index, false);
	store->pin_only = !RecoveryInProgress();
}

/* The graph of the store's current partition. */
VgGraph
VgStoreGraph(VgStore store)
{
	VgGraph		g = {&VgStoreOps, store, store->metric, store->partition};

	return g;
}

/* Forgets the vector copies handed out since the last reset. */
void
VgStoreReset(VgStore store)
{
	if (store->vector_cxt != NULL)
		MemoryContextDelete(store->vector_cxt);
	store->vector_cxt = NULL;
	store->vectors = NULL;
}

void
VgStoreRelease(VgStore store)
{
	if (BufferIsValid(store->buf))
		ReleaseBuffer(store->buf);
	store->buf = InvalidBuffer;
	VgStoreReset(store);
}

/* Pins blkno (reusing the pinned buffer when it is that block) and locks it. */
static Page
LockBlock(VgStore store, BlockNumber blkno, int mode)
{
	if (!BufferIsValid(store->buf) || BufferGetBlockNumber(store->buf) != blkno)
	{
		if (BufferIsValid(store->buf))
			ReleaseBuffer(store->buf);
		store->buf = InvalidBuffer;	/* not left released if PinBlock fails */
		store->buf = PinBlock(store, blkno);
	}
	LockBuffer(store->buf, mode);
	return BufferGetPage(store->buf);
}

/* Locks block blkno through the store's pinned buffer; unlock with VgStoreUnlock. */
Page
VgStoreLockPage(VgStore store, BlockNumber blkno, int mode)
{
	return LockBlock(store, blkno, mode);
}

void
VgStoreUnlock(VgStore store)
{
	LockBuffer(store->buf, BUFFER_LOCK_UNLOCK);
}

/*
 * Locks the page of node id and returns the node tuple; the caller unlocks
 * with VgStoreUnlock.
 */
VgNodeTuple
VgStoreLockNode(VgStore store, VgNodeId id, int mode)
{
	Page		page = LockBlock(store, VgNodeBlock(id, &store->shape), mode);

	return VgNodeOnPage(store->index, &store->shape, page, id);
}

/* The upper tuple of a node, read while its page is locked. */
static VgNodeId
UpperOf(VgStore store, VgNodeId node, int level)
{
	VgNodeTuple t = VgStoreLockNode(store, node, BUFFER_LOCK_SHARE);
	VgNodeId	upper = level <= t->level ? t->upper : VG_NO_NODE;

	VgStoreUnlock(store);
	return upper;
}

static int
StoreNeighbours(void *arg, VgNodeId node, int level, VgNodeId *out, int max,
				int *n_tree)
{
	VgStore		store = arg;
	uint32	   *list;
	int			n;

	if (n_tree != NULL)
		*n_tree = 0;
	if (level == 0 && store->cache != NULL && n_tree == NULL)
	{
		VgCachedNode *e = VgNodeCacheGet(store->cache, node);

		if (e != NULL && e->count0 != VG_CACHED_NO_LIST)
		{
			n = Min(e->count0, max);
			memcpy(out, e->links, sizeof(VgNodeId) * n);
			return n;
		}
	}
	if (level == 0)
	{
		VgNodeTuple t = VgStoreLockNode(store, node, BUFFER_LOCK_SHARE);

		n = Min(t->count0, max);
		memcpy(out, t->links0, sizeof(VgNodeId) * n);
		if (n_tree != NULL)
			*n_tree = Min(t->tree0, n);
		VgStoreUnlock(store);
		return n;
	}

	{
		VgNodeId	upper = UpperOf(store, node, level);
		Page		page;

		if (upper == VG_NO_NODE)
			return 0;
		page = LockBlock(store, VgNodeBlock(upper, &store->shape), BUFFER_LOCK_SHARE);
		list = VgUpperList(VgUpperOnPage(store->index, &store->shape, page, upper, level),
						   &store->shape, level);
		n = (int) Min(list[0], (uint32) max);
		memcpy(out, list + 1, sizeof(VgNodeId) * n);
		VgStoreUnlock(store);
		return n;
	}
}

/* Where a list lives in a page image: its length word and its ids. */
typedef struct PageList
{
	VgNodeTuple node;			/* level 0: the node tuple; else NULL */
	uint32	   *count;			/* levels above 0: the count word */
	VgNodeId   *ids;
} PageList;

/* The list of u on the page image holding item_id (u's node or upper tuple). */
static PageList
ListOnPage(VgStore store, Page page, VgNodeId item_id, const VgListUpdate *u)
{
	PageList	l = {NULL, NULL, NULL};

	if (u->level == 0)
	{
		l.node = VgNodeOnPage(store->index, &store->shape, page, item_id);
		l.ids = l.node->links0;
	}
	else
	{
		l.count = VgUpperList(VgUpperOnPage(store->index, &store->shape, page, item_id,
											u->level),
							  &store->shape, u->level);
		l.ids = l.count + 1;
	}
	return l;
}

/*
 * Whether l holds what u expects; a deleted node never gains tree links
 * (VACUUM cuts deleted nodes out of the tree after marking them).
 */
static bool
ListMatches(const PageList *l, const VgListUpdate *u)
{
	int			have = l->node ? l->node->count0 : (int) *l->count;
	int			tree = l->node ? l->node->tree0 : 0;

	if (l->node && (l->node->flags & VG_NODE_DELETED) && u->n_tree > u->expected_tree)
		return false;
	return have == u->n_expected && tree == u->expected_tree &&
		(have == 0 || memcmp(l->ids, u->expected, sizeof(VgNodeId) * have) == 0);
}

static void
WriteList(const PageList *l, const VgListUpdate *u)
{
	memcpy(l->ids, u->ids, sizeof(VgNodeId) * u->n);
	if (l->node)
	{
		l->node->count0 = (uint16) u->n;
		l->node->tree0 = (uint8) u->n_tree;
	}
	else
		*l->count = (uint32) u->n;
}

/* Adds blkno to the ascending, duplicate-free blocks[0..*n). */
static void
AddBlock(BlockNumber *blocks, int *n, BlockNumber blkno)
{
	int			j = *n;

	while (j > 0 && blocks[j - 1] > blkno)
		j--;
	if (j > 0 && blocks[j - 1] == blkno)
		return;
	memmove(blocks + j + 1, blocks + j, sizeof(BlockNumber) * (*n - j));
	blocks[j] = blkno;
	(*n)++;
}

/*
 * update_lists over pages.  The items holding the lists are found first
 * (an upper list's item under its node's short lock), then their pages are
 * locked exclusively in ascending block order -- the only place a backend
 * holds two node pages, so two callers cannot deadlock -- checked, and
 * changed in one GenericXLog record, or left alone.
 */
static bool
StoreUpdateLists(void *arg, const VgListUpdate *updates, int n)
{
	VgStore		store = arg;
	VgNodeId	items[VG_MAX_LIST_UPDATES];
	BlockNumber blocks[VG_MAX_LIST_UPDATES];
	Buffer		bufs[VG_MAX_LIST_UPDATES];
	Page		pages[VG_MAX_LIST_UPDATES];
	PageList	lists[VG_MAX_LIST_UPDATES];
	int			n_blocks = 0;
	GenericXLogState *state;
	bool		same = true;

	StaticAssertStmt(VG_MAX_LIST_UPDATES <= MAX_GENERIC_XLOG_PAGES,
					 "one GenericXLog record must cover every list of an update");
	for (int i = 0; i < n; i++)
	{
		items[i] = updates[i].level == 0 ? updates[i].node :
			UpperOf(store, updates[i].node, updates[i].level);
		if (items[i] == VG_NO_NODE)
			return false;
		AddBlock(blocks, &n_blocks, VgNodeBlock(items[i], &store->shape));
	}
	for (int j = 0; j < n_blocks; j++)
	{
		bufs[j] = PinBlock(store, blocks[j]);
		LockBuffer(bufs[j], BUFFER_LOCK_EXCLUSIVE);
	}
	state = GenericXLogStart(store->index);
	for (int j = 0; j < n_blocks; j++)
		pages[j] = GenericXLogRegisterBuffer(state, bufs[j], 0);
	for (int i = 0; i < n && same; i++)
	{
		int			j = 0;

		while (blocks[j] != VgNodeBlock(items[i], &store->shape))
			j++;
		lists[i] = ListOnPage(store, pages[j], items[i], &updates[i]);
		same = ListMatches(&lists[i], &updates[i]);
	}
	if (same)
	{
		for (int i = 0; i < n; i++)
			WriteList(&lists[i], &updates[i]);
		GenericXLogFinish(state);
	}
	else
		GenericXLogAbort(state);
	for (int j = n_blocks - 1; j >= 0; j--)
		UnlockReleaseBuffer(bufs[j]);
	return same;
}

/*
 * Records what a search saw of a node: its list too when the page was
 * locked (store->pin_only is false).
 */
static inline void
CacheNode(VgStore store, VgNodeId id, VgNodeTuple t)
{
	VgCachedNode *e = VgNodeCachePut(store->cache, id);

	e->heaptid = t->heaptid;
	e->flags = t->flags;
	e->count0 = store->pin_only ? VG_CACHED_NO_LIST : t->count0;
	e->error = 0.0f;
	e->norm = 0.0f;
	if (store->shape.storage == VG_STORAGE_HALF)
	{
		const VgHalfVector *hv = VgNodeVector(t, &store->shape);

		e->error = hv->error;
		e->norm = hv->norm;
	}
	if (!store->pin_only)
		memcpy(e->links, t->links0, sizeof(VgNodeId) * t->count0);
}

/*
 * Tuples up to this size are prefetched whole, all of a batch's, before
 * its first distance (128 dimensions: 660 bytes).  Larger ones only
 * VG_PREFETCH_AHEAD steps ahead of the distance: prefetching the first
 * kilobyte of every 784-dimension tuple of a batch as well made float scans
 * no faster, while two steps ahead rather than one cut the work per query
 * by about 5% for both float (3.3 kB) and half (1.7 kB) tuples.
 */
#define VG_EARLY_PREFETCH 1024
#define VG_PREFETCH_AHEAD 2

static pg_attribute_always_inline void
PrefetchRange(const void *p, Size len)
{
	for (Size off = 0; off < len; off += 64)
		__builtin_prefetch((const char *) p + off);
}

/*
 * Prefetches the first bytes of node id's tuple through hint, the buffer
 * that recently held its block: an unlocked, unpinned peek at the line
 * pointer, used only as a prefetch address, and bounded by the page.
 * Always inlined: gcc takes a function that only prefetches for one
 * without effects, and drops the calls to it.
 */
static pg_attribute_always_inline void
PrefetchTuple(const VgShape *shape, Buffer hint, VgNodeId id)
{
	Page		page = BufferGetPage(hint);
	ItemId		lp = PageGetItemId(page, VgNodeOffset(id, shape));
	Size		bytes = VgNodeTupleSize(shape);

	if (ItemIdGetOffset(lp) + bytes <= BLCKSZ)
		PrefetchRange(page + ItemIdGetOffset(lp), bytes);
}

/*
 * The buffer that recently held blkno, for prefetching only: it may hold
 * another block by now, or none (InvalidBuffer).  Nothing is pinned.
 */
static inline Buffer
RecentHint(VgStore store, BlockNumber blkno)
{
	if (blkno >= store->nblocks || RelationUsesLocalBuffers(store->index))
		return InvalidBuffer;
	return *RecentEntry(store, blkno);
}

/*
 * Distances from query to a batch of nodes.  Every node's buffer header and
 * line pointer are prefetched first, through the buffers that recently held
 * their blocks, then the start of every tuple, so that their cache misses
 * overlap instead of coming one after another as each node is pinned.
 * Then one node at a time is pinned, locked (unless store->pin_only),
 * measured and released -- few
 * pins at once, so the backend's private pin counts stay in their array
 * rather than its overflow hash -- while the tuple VG_PREFETCH_AHEAD
 * nodes on is prefetched whole.
 */
static void
StoreDistances(void *arg, const VgMetric *metric, const void *query,
			   const VgNodeId *ids, int n, float *out)
{
	VgStore		store = arg;
	const VgShape *shape = &store->shape;
	Buffer		hints[2 * VG_MAX_M];

	Assert(n <= 2 * VG_MAX_M);
	for (int i = 0; i < n; i++)
	{
		hints[i] = RecentHint(store, VgNodeBlock(ids[i], shape));
		if (hints[i] != InvalidBuffer)
		{
			__builtin_prefetch(GetBufferDescriptor(hints[i] - 1), 1);
			__builtin_prefetch(PageGetItemId(BufferGetPage(hints[i]),
											 VgNodeOffset(ids[i], shape)));
		}
	}
	/* a small tuple's distance takes too little time to hide the next miss */
	if (VgNodeTupleSize(shape) <= VG_EARLY_PREFETCH)
	{
		for (int i = 0; i < n; i++)
			if (hints[i] != InvalidBuffer)
				PrefetchTuple(shape, hints[i], ids[i]);
	}
	else
	{
		for (int i = 1; i < Min(n, VG_PREFETCH_AHEAD); i++)
			if (hints[i] != InvalidBuffer)
				PrefetchTuple(shape, hints[i], ids[i]);
	}
	for (int i = 0; i < n; i++)
	{
		Buffer		buf = PinBlock(store, VgNodeBlock(ids[i], shape));
		VgNodeTuple t;
		int			ahead = i + VG_PREFETCH_AHEAD;

		if (store->pin_only)
			t = VgNodeOnPinnedPage(store->index, shape, BufferGetPage(buf), ids[i]);
		else
		{
			LockBuffer(buf, BUFFER_LOCK_SHARE);
			t = VgNodeOnPage(store->index, shape, BufferGetPage(buf), ids[i]);
		}
		/*
		 * Again for small tuples: dropping this repeat of the early
		 * prefetch (then one node ahead) made searches of 128 dimensions
		 * 15% slower; two ahead it is no slower than one.
		 */
		if (ahead < n && hints[ahead] != InvalidBuffer)
			PrefetchTuple(shape, hints[ahead], ids[ahead]);
		if (store->skip_deleted && (t->flags & VG_NODE_DELETED))
			out[i] = INFINITY;
		else
			out[i] = vg_metric_distance(metric, query, VgNodeVector(t, shape));
		if (store->cache != NULL)
			CacheNode(store, ids[i], t);
		if (!store->pin_only)
			LockBuffer(buf, BUFFER_LOCK_UNLOCK);
		ReleaseBuffer(buf);
	}
}

typedef struct VectorCacheEntry
{
	VgNodeId	id;
	void	   *vector;
} VectorCacheEntry;

static const void *
StoreVector(void *arg, VgNodeId node)
{
	VgStore		store = arg;
	VectorCacheEntry *entry;
	bool		found;

	if (store->vectors == NULL)
	{
		HASHCTL		ctl;

		store->vector_cxt = AllocSetContextCreate(CurrentMemoryContext,
												  "vecgraph vector copies",
												  ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = sizeof(VgNodeId);
		ctl.entrysize = sizeof(VectorCacheEntry);
		ctl.hcxt = store->vector_cxt;
		store->vectors = hash_create("vecgraph vector copies", 256, &ctl,
									 HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
	}
	entry = hash_search(store->vectors, &node, HASH_ENTER, &found);
	if (!found)
	{
		VgNodeTuple t;

		entry->vector = MemoryContextAlloc(store->vector_cxt, VgVectorBytes(&store->shape));
		t = VgStoreLockNode(store, node, BUFFER_LOCK_SHARE);
		memcpy(entry->vector, VgNodeVector(t, &store->shape), VgVectorBytes(&store->shape));
		VgStoreUnlock(store);
	}
	return entry->vector;
}

static int
StoreLevel(void *arg, VgNodeId node)
{
	VgStore		store = arg;
	VgNodeTuple t = VgStoreLockNode(store, node, BUFFER_LOCK_SHARE);
	int			level = t->level;

	VgStoreUnlock(store);
	return level;
}

static void
StoreEntry(void *arg, int partition, VgNodeId *node, int *level)
{
	VgStore		store = arg;
	Buffer		buf = ReadBuffer(store->index, VG_METAPAGE_BLKNO);
	VgMetaPage	meta;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	meta = VgPageGetMeta(BufferGetPage(buf));
	*node = meta->part[partition].entry;
	*level = meta->part[partition].entry_level;
	UnlockReleaseBuffer(buf);
}

static void
StoreOfferEntry(void *arg, int partition, VgNodeId node, int level, VgNodeId replace)
{
	VgStore		store = arg;
	Buffer		buf = ReadBuffer(store->index, VG_METAPAGE_BLKNO);
	GenericXLogState *state;
	VgMetaPage	meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(store->index);
	meta = VgPageGetMeta(GenericXLogRegisterBuffer(state, buf, 0));
	if (meta->part[partition].entry == VG_NO_NODE || level > meta->part[partition].entry_level ||
		(replace != VG_NO_NODE && meta->part[partition].entry == replace))
	{
		meta->part[partition].entry = node;
		meta->part[partition].entry_level = (uint8) level;
		GenericXLogFinish(state);
	}
	else
		GenericXLogAbort(state);
	UnlockReleaseBuffer(buf);
}

static void
StoreCheckInterrupts(void *arg)
{
	/* interrupts, and in maintenance passes the cost delay (vgmaintain.c) */
	VgDelayPoint();
}

const VgGraphOps VgStoreOps = {
	.neighbours = StoreNeighbours,
	.update_lists = StoreUpdateLists,
	.distances = StoreDistances,
	.vector = StoreVector,
	.level = StoreLevel,
	.entry = StoreEntry,
	.offer_entry = StoreOfferEntry,
	.check_interrupts = StoreCheckInterrupts
};
