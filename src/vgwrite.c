/*-------------------------------------------------------------------------
 *
 * vgwrite.c
 *	  Writing an in-memory graph (a core arena) out as index pages.
 *
 * NOTES
 *	  Builds construct the graph in memory and write it once, in block
 *	  order, as nbtree's sorted build does: page images are WAL-logged 32 to
 *	  a record (log_newpages), checksummed and appended to the relation
 *	  directly through smgr, bypassing shared buffers (the index is new and
 *	  no one else can see it yet), and the file is synced at the end.
 *	  Going through shared buffers instead cost a buffer, a relation
 *	  extension and a second pass to WAL-log each page: 1.4 s of an 8 s
 *	  Fashion-MNIST build.
 *
 *	  Placement is decided first, for every node, so that neighbour lists
 *	  can be written with final ids: nodes go in the arena's locality order
 *	  (breadth-first, each node with its nearest neighbours: a search step
 *	  then finds more of a list on pages it just read), each with its
 *	  upper tuple before it on the same page.  When a node and its upper
 *	  tuple cannot share a page (very wide vectors), upper tuples go on
 *	  pages of their own after the node pages.  The placement reproduces
 *	  what inserting the tuples one by one with PageAddItem would give.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xloginsert.h"
#include "miscadmin.h"
#include "storage/bufmgr.h"
#include "storage/smgr.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/vg_arena.h"
#include "vgam.h"

/* Free space of an empty node page. */
#define VG_PAGE_ROOM \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(VgPageOpaqueData)))

void
VgInitMeta(VgMetaPageData *meta, const VgShape *shape, int ef_construction)
{
	MemSet(meta, 0, sizeof(VgMetaPageData));
	meta->magic = VG_MAGIC;
	meta->version = VG_FORMAT_VERSION;
	meta->graph = (uint8) shape->graph;
	meta->metric = (uint8) shape->metric;
	meta->dim = (uint16) shape->dim;
	meta->m = (uint16) shape->m;
	meta->ef_construction = (uint16) ef_construction;
	meta->slot_bits = (uint8) shape->slot_bits;
	meta->partitions = (uint16) shape->partitions;
	meta->flags = (shape->keep_pruned ? VG_META_KEEP_PRUNED : 0) |
		(shape->storage == VG_STORAGE_HALF ? VG_META_HALF : 0) |
		(shape->graph == VG_GRAPH_VAMANA && shape->two_pass ? VG_META_TWO_PASS : 0);
	for (int p = 0; p < VG_MAX_PARTITIONS; p++)
		meta->part[p].entry = VG_NO_NODE;
	meta->insert_page = InvalidBlockNumber;
	meta->free_page = InvalidBlockNumber;
}

/* The metapage of an index of shape, with a Vamana index's alpha. */
static void
FillMetaPage(Page page, const VgMetaPageData *meta, const VgShape *shape)
{
	char	   *end = (char *) VgPageGetMeta(page) + sizeof(VgMetaPageData);

	VgInitPage(page, VG_PAGE_META);
	memcpy(VgPageGetMeta(page), meta, sizeof(VgMetaPageData));
	if (shape->graph == VG_GRAPH_VAMANA)
	{
		VgVamanaRecord *rec = VgPageGetVamana(page);

		rec->magic = VG_VAMANA_MAGIC;
		rec->alpha = shape->alpha;
		end = (char *) (rec + 1);
	}
	((PageHeader) page)->pd_lower = end - (char *) page;
}

/*
 * Writes an empty index's metapage as block 0 of the init fork of an
 * unlogged index, with its own WAL record.
 */
void
VgWriteInitMetaPage(Relation index, const VgMetaPageData *meta, const VgShape *shape)
{
	PGAlignedBlock block;

	FillMetaPage(block.data, meta, shape);
	log_newpage(&RelationGetSmgr(index)->smgr_rnode.node, INIT_FORKNUM,
				VG_METAPAGE_BLKNO, block.data, true);
	PageSetChecksumInplace(block.data, VG_METAPAGE_BLKNO);
	smgrwrite(RelationGetSmgr(index), INIT_FORKNUM, VG_METAPAGE_BLKNO, block.data, true);
	smgrimmedsync(RelationGetSmgr(index), INIT_FORKNUM);
}

/* Where each arena node (and its upper tuple) goes. */
typedef struct Placement
{
	uint32	   *order;			/* arena ids in the order they are placed */
	VgNodeId   *node;			/* by arena id */
	VgNodeId   *upper;			/* by arena id; VG_NO_NODE for level 0 */
	BlockNumber node_pages;		/* blocks 1 .. node_pages hold nodes */
	BlockNumber last_block;
} Placement;

/* Reserves size bytes on the page at *blkno, moving to the next page if full. */
static VgNodeId
Reserve(const VgShape *shape, Size size, BlockNumber *blkno, Size *free, int *items)
{
	if (size + sizeof(ItemIdData) > *free)
	{
		(*blkno)++;
		*free = VG_PAGE_ROOM;
		*items = 0;
	}
	*free -= size + sizeof(ItemIdData);
	(*items)++;
	return VgMakeNodeId(*blkno, (OffsetNumber) *items, shape);
}

static void
Place(const VgShape *shape, VgArena *arena, Placement *p)
{
	uint32		n = vg_arena_count(arena);
	Size		node_size = VgNodeTupleSize(shape);
	BlockNumber blkno = 1;
	Size		free = VG_PAGE_ROOM;
	int			items = 0;

	p->order = palloc_extended(sizeof(uint32) * Max(n, 1), MCXT_ALLOC_HUGE);
	p->node = palloc_extended(sizeof(VgNodeId) * Max(n, 1), MCXT_ALLOC_HUGE);
	p->upper = palloc_extended(sizeof(VgNodeId) * Max(n, 1), MCXT_ALLOC_HUGE);
	if (vg_arena_locality_order(arena, p->order, (int) (VG_PAGE_ROOM / (node_size + sizeof(ItemIdData))),
								VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	for (uint32 k = 0; k < n; k++)
	{
		uint32		i = p->order[k];
		int			level = vg_arena_level(arena, i);
		Size		upper_size = VgUpperTupleSize(shape, level);
		bool		together = level > 0 &&
			node_size + upper_size + 2 * sizeof(ItemIdData) <= VG_PAGE_ROOM;

		p->upper[i] = VG_NO_NODE;
		if (together && node_size + upper_size + 2 * sizeof(ItemIdData) > free)
		{
			blkno++;
			free = VG_PAGE_ROOM;
			items = 0;
		}
		if (together)
			p->upper[i] = Reserve(shape, upper_size, &blkno, &free, &items);
		p->node[i] = Reserve(shape, node_size, &blkno, &free, &items);
	}
	p->node_pages = n > 0 ? blkno : 0;

	/* upper tuples that could not share their node's page */
	blkno = p->node_pages + 1;
	free = VG_PAGE_ROOM;
	items = 0;
	for (uint32 k = 0; k < n; k++)
	{
		uint32		i = p->order[k];
		int			level = vg_arena_level(arena, i);

		if (level > 0 && p->upper[i] == VG_NO_NODE)
			p->upper[i] = Reserve(shape, VgUpperTupleSize(shape, level), &blkno, &free, &items);
	}
	p->last_block = items > 0 ? blkno : p->node_pages;
}

/* Pages waiting to be WAL-logged and written, in block order. */
#define VG_BULK_PAGES 32		/* log_newpages takes up to XLR_MAX_BLOCK_ID */

typedef struct BulkWriter
{
	Relation	index;
	bool		use_wal;
	BlockNumber next;			/* the block the next page must be */
	int			npending;
	BlockNumber blknos[VG_BULK_PAGES];
	Page		pages[VG_BULK_PAGES];
	char	   *buffer;			/* VG_BULK_PAGES aligned blocks */
} BulkWriter;

static void
BulkBegin(BulkWriter *bw, Relation index)
{
	bw->index = index;
	bw->use_wal = RelationNeedsWAL(index);
	bw->next = 0;
	bw->npending = 0;
	bw->buffer = palloc((Size) VG_BULK_PAGES * BLCKSZ);	/* MAXALIGNed, as pages need */
	for (int i = 0; i < VG_BULK_PAGES; i++)
		bw->pages[i] = bw->buffer + (Size) i * BLCKSZ;
}

static void
BulkFlush(BulkWriter *bw)
{
	SMgrRelation smgr = RelationGetSmgr(bw->index);

	if (bw->npending == 0)
		return;
	if (bw->use_wal)
		log_newpages(&bw->index->rd_node, MAIN_FORKNUM, bw->npending,
					 bw->blknos, bw->pages, true);
	for (int i = 0; i < bw->npending; i++)
	{
		PageSetChecksumInplace(bw->pages[i], bw->blknos[i]);
		smgrextend(smgr, MAIN_FORKNUM, bw->blknos[i], bw->pages[i], true);
	}
	bw->npending = 0;
}

/* Queues a copy of image as block blkno, which must be the next block. */
static void
BulkWrite(BulkWriter *bw, Page image, BlockNumber blkno)
{
	if (blkno != bw->next)
		elog(ERROR, "index \"%s\" written out of order: block %u, expected %u",
			 RelationGetRelationName(bw->index), blkno, bw->next);
	memcpy(bw->pages[bw->npending], image, BLCKSZ);
	bw->blknos[bw->npending++] = blkno;
	bw->next++;
	if (bw->npending == VG_BULK_PAGES)
		BulkFlush(bw);
}

/*
 * Writes what is pending and makes the file durable: the pages bypassed
 * shared buffers, so no checkpoint will write them.
 */
static void
BulkFinish(BulkWriter *bw)
{
	BulkFlush(bw);
	if (!RelationUsesLocalBuffers(bw->index))
		smgrimmedsync(RelationGetSmgr(bw->index), MAIN_FORKNUM);
	pfree(bw->buffer);
}

/* Adds an item where the placement said it would land. */
static void
AddPlaced(Relation index, Page page, Item item, Size size, VgNodeId id, const VgShape *shape)
{
	OffsetNumber off = PageAddItem(page, item, size, InvalidOffsetNumber, false, false);

	if (off != VgNodeOffset(id, shape))
		elog(ERROR, "tuple of index \"%s\" landed at offset %u, placed at %u",
			 RelationGetRelationName(index), off, VgNodeOffset(id, shape));
}

/* Translates arena ids to placed ids. */
static void
TranslateList(const VgNodeId *from, int n, VgNodeId *to, const Placement *p)
{
	for (int i = 0; i < n; i++)
		to[i] = p->node[from[i]];
}

static Size
FillUpper(VgUpperTuple t, VgArena *arena, uint32 i, const VgShape *shape,
		  const Placement *p, VgNodeId *scratch)
{
	int			level = vg_arena_level(arena, i);
	Size		size = VgUpperTupleSize(shape, level);

	MemSet(t, 0, size);
	ItemPointerSetInvalid(&t->unused);
	t->level = (uint8) level;
	t->flags = VG_TUPLE_UPPER;
	for (int lv = 1; lv <= level; lv++)
	{
		uint32	   *list = VgUpperList(t, shape, lv);
		int			n = vg_arena_ops.neighbours(arena, i, lv, scratch, shape->m, NULL);

		list[0] = (uint32) n;
		TranslateList(scratch, n, list + 1, p);
	}
	return size;
}

static void
FillNode(VgNodeTuple t, VgArena *arena, uint32 i, const VgShape *shape,
		 const Placement *p, VgNodeId *scratch)
{
	int			n_tree;
	int			n = vg_arena_ops.neighbours(arena, i, 0, scratch, shape->m0, &n_tree);

	MemSet(t, 0, VgNodeTupleSize(shape));
	VgPayloadToTid(vg_arena_payload(arena, i), &t->heaptid);
	t->level = (uint8) vg_arena_level(arena, i);
	t->partition = (uint8) vg_arena_partition(arena, i);
	t->tree0 = (uint8) n_tree;
	t->upper = p->upper[i];
	t->count0 = (uint16) n;
	TranslateList(scratch, n, t->links0, p);
	memcpy(VgNodeVector(t, shape), vg_arena_vector(arena, i), VgVectorBytes(shape));
}

/*
 * Writes the node pages in placement order, each node with its upper tuple
 * when both share a page, then the pages of upper tuples placed apart.
 */
static void
WriteNodePages(BulkWriter *bw, const VgShape *shape, VgArena *arena, const Placement *p)
{
	Relation	index = bw->index;
	uint32		n = vg_arena_count(arena);
	PGAlignedBlock page;
	VgNodeTuple node = palloc(VgNodeTupleSize(shape));
	VgUpperTuple upper = palloc(VgUpperTupleSize(shape, VG_MAX_LEVEL));
	VgNodeId   *scratch = palloc(sizeof(VgNodeId) * shape->m0);
	BlockNumber current = InvalidBlockNumber;

	for (uint32 k = 0; k < n; k++)
	{
		uint32		i = p->order[k];
		BlockNumber blkno = VgNodeBlock(p->node[i], shape);
		bool		upper_here = p->upper[i] != VG_NO_NODE &&
			VgNodeBlock(p->upper[i], shape) == blkno;

		CHECK_FOR_INTERRUPTS();
		if (blkno != current)
		{
			if (current != InvalidBlockNumber)
				BulkWrite(bw, page.data, current);
			VgInitPage(page.data, VG_PAGE_NODES);
			current = blkno;
		}
		if (upper_here)
			AddPlaced(index, page.data, (Item) upper,
					  FillUpper(upper, arena, i, shape, p, scratch), p->upper[i], shape);
		FillNode(node, arena, i, shape, p, scratch);
		AddPlaced(index, page.data, (Item) node, VgNodeTupleSize(shape), p->node[i], shape);
	}
	if (current != InvalidBlockNumber)
		BulkWrite(bw, page.data, current);

	/* upper tuples on pages of their own */
	current = InvalidBlockNumber;
	for (uint32 k = 0; k < n; k++)
	{
		uint32		i = p->order[k];
		BlockNumber blkno;

		if (p->upper[i] == VG_NO_NODE ||
			VgNodeBlock(p->upper[i], shape) == VgNodeBlock(p->node[i], shape))
			continue;
		CHECK_FOR_INTERRUPTS();
		blkno = VgNodeBlock(p->upper[i], shape);
		if (blkno != current)
		{
			if (current != InvalidBlockNumber)
				BulkWrite(bw, page.data, current);
			VgInitPage(page.data, VG_PAGE_NODES);
			current = blkno;
		}
		AddPlaced(index, page.data, (Item) upper,
				  FillUpper(upper, arena, i, shape, p, scratch), p->upper[i], shape);
	}
	if (current != InvalidBlockNumber)
		BulkWrite(bw, page.data, current);
}

/* Writes the metapage and the arena's graph into the empty index. */
void
VgWriteArena(Relation index, const VgShape *shape, int ef_construction,
			 VgArena *arena, uint64 orphans_linked, int workers)
{
	VgMetaPageData meta;
	Placement	p;
	VgNodeId	entry;
	int			entry_level;
	BulkWriter	bw;
	PGAlignedBlock page;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	Place(shape, arena, &p);
	if (p.last_block >= VgMaxNodeBlocks(shape))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("index \"%s\" would need %u blocks, more than the %u its node ids can address",
						RelationGetRelationName(index), p.last_block + 1, VgMaxNodeBlocks(shape))));

	VgInitMeta(&meta, shape, ef_construction);
	for (int part = 0; part < shape->partitions; part++)
	{
		vg_arena_ops.entry(arena, part, &entry, &entry_level);
		if (entry != VG_NO_NODE)
		{
			meta.part[part].entry = p.node[entry];
			meta.part[part].entry_level = (uint8) entry_level;
		}
	}
	for (uint32 i = 0; i < vg_arena_count(arena); i++)
		meta.part[vg_arena_partition(arena, i)].nodes++;
	if (vg_arena_count(arena) > 0)
		meta.insert_page = p.node_pages;
	meta.live_nodes = vg_arena_count(arena);
	meta.build_orphans_linked = orphans_linked;
	meta.build_workers = (uint16) workers;

	BulkBegin(&bw, index);
	FillMetaPage(page.data, &meta, shape);
	BulkWrite(&bw, page.data, VG_METAPAGE_BLKNO);
	WriteNodePages(&bw, shape, arena, &p);
	BulkFinish(&bw);
	pfree(p.order);
	pfree(p.node);
	pfree(p.upper);
}
