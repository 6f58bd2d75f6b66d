/*-------------------------------------------------------------------------
 *
 * vgtuple.c
 *	  Reading the tuples of a vecgraph page, checked.
 *
 * NOTES
 *	  Every field read from a page that decides where the code goes next
 *	  -- an item offset, a tuple's kind, size and level, a list's length, a
 *	  block number, the metapage's shape -- is checked here before it is
 *	  used, so that a damaged index (a zeroed page, flipped bits, a link
 *	  past the end) raises ERRCODE_INDEX_CORRUPTED naming the index and the
 *	  block, and never reads or writes out of bounds.  The checks are a few
 *	  comparisons on memory the caller touches anyway.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/rel.h"

#include "vecgraph.h"
#include "vgam.h"

void
VgReportCorrupt(Relation index, BlockNumber blkno, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INDEX_CORRUPTED),
			 errmsg("index \"%s\" is corrupt at block %u",
					RelationGetRelationName(index), blkno),
			 errdetail_internal("%s", detail),
			 errhint("REINDEX the index.")));
}

/*
 * A normal item must lie inside its page and hold at least the header that
 * node and upper tuples share (enough to tell them apart).
 */
void
VgCheckItemBounds(Relation index, BlockNumber blkno, OffsetNumber off, ItemId itemid)
{
	if (ItemIdGetOffset(itemid) < SizeOfPageHeaderData ||
		ItemIdGetOffset(itemid) + ItemIdGetLength(itemid) > BLCKSZ ||
		ItemIdGetLength(itemid) < offsetof(VgNodeTupleData, count0))
		VgReportCorrupt(index, blkno,
						psprintf("Item %u spans bytes %u to %u of the page.", off,
								 ItemIdGetOffset(itemid),
								 ItemIdGetOffset(itemid) + ItemIdGetLength(itemid)));
}

/* The normal item at off on page, of exactly size bytes when size > 0. */
static Item
CheckedItem(Relation index, Page page, BlockNumber blkno, OffsetNumber off,
			Size size, VgNodeId id)
{
	ItemId		itemid;

	if (blkno == VG_METAPAGE_BLKNO || off < FirstOffsetNumber ||
		off > PageGetMaxOffsetNumber(page) ||
		!ItemIdIsNormal(itemid = PageGetItemId(page, off)))
		VgReportCorrupt(index, blkno,
						psprintf("A link names node %u, which does not exist.", id));
	VgCheckItemBounds(index, blkno, off, itemid);
	if (size > 0 && ItemIdGetLength(itemid) != size)
		VgReportCorrupt(index, blkno,
						psprintf("Item %u has %u bytes, not %zu.", off,
								 ItemIdGetLength(itemid), size));
	return PageGetItem(page, itemid);
}

/*
 * Checks the fields of a node tuple that say where to read next, its list
 * lengths only when lists is set: on a page pinned but not locked
 * (vgstore.c, "Reading under a pin") they may be rewritten meanwhile, and
 * the caller reads no list.
 */
static void
CheckNode(Relation index, const VgShape *shape, BlockNumber blkno, VgNodeTuple t,
		  VgNodeId id, bool lists)
{
	if (!VgTupleIsNode(t) || t->level > VG_MAX_LEVEL || t->partition >= shape->partitions ||
		(lists && (t->count0 > shape->m0 || t->tree0 > t->count0)))
		VgReportCorrupt(index, blkno,
						psprintf("Node %u has flags %u, level %u, %u links of which %u tree links, partition %u.",
								 id, t->flags, t->level, t->count0, t->tree0, t->partition));
}

static VgNodeTuple
NodeOnPage(Relation index, const VgShape *shape, Page page, VgNodeId id, bool lists)
{
	BlockNumber blkno = VgNodeBlock(id, shape);
	VgNodeTuple t = (VgNodeTuple) CheckedItem(index, page, blkno, VgNodeOffset(id, shape),
											  VgNodeTupleSize(shape), id);

	CheckNode(index, shape, blkno, t, id, lists);
	return t;
}

VgNodeTuple
VgNodeOnPage(Relation index, const VgShape *shape, Page page, VgNodeId id)
{
	return NodeOnPage(index, shape, page, id, true);
}

/* The node tuple id on a page pinned but not locked: its list is not to be read. */
VgNodeTuple
VgNodeOnPinnedPage(Relation index, const VgShape *shape, Page page, VgNodeId id)
{
	return NodeOnPage(index, shape, page, id, false);
}

VgUpperTuple
VgUpperOnPage(Relation index, const VgShape *shape, Page page, VgNodeId id, int level)
{
	BlockNumber blkno = VgNodeBlock(id, shape);
	VgUpperTuple u = (VgUpperTuple) CheckedItem(index, page, blkno, VgNodeOffset(id, shape),
												0, id);

	if (!(u->flags & VG_TUPLE_UPPER) || u->level < level || u->level > VG_MAX_LEVEL ||
		ItemIdGetLength(PageGetItemId(page, VgNodeOffset(id, shape))) !=
		VgUpperTupleSize(shape, u->level))
		VgReportCorrupt(index, blkno,
						psprintf("Upper tuple %u (flags %u, level %u) cannot hold a list of level %d.",
								 id, u->flags, u->level, level));
	return u;
}

VgNodeTuple
VgNextNodeOnPage(Relation index, const VgShape *shape, Page page, BlockNumber blkno,
				 OffsetNumber *off)
{
	OffsetNumber maxoff = PageGetMaxOffsetNumber(page);

	for ((*off)++; *off <= maxoff; (*off)++)
	{
		ItemId		itemid = PageGetItemId(page, *off);
		VgNodeTuple t;

		if (!ItemIdIsNormal(itemid))
			continue;
		VgCheckItemBounds(index, blkno, *off, itemid);
		t = (VgNodeTuple) PageGetItem(page, itemid);
		if (!VgTupleIsNode(t))
			continue;
		if (ItemIdGetLength(itemid) != VgNodeTupleSize(shape))
			VgReportCorrupt(index, blkno,
							psprintf("Item %u has %u bytes, not %zu.", *off,
									 ItemIdGetLength(itemid), VgNodeTupleSize(shape)));
		CheckNode(index, shape, blkno, t, VgMakeNodeId(blkno, *off, shape), true);
		return t;
	}
	return NULL;
}

/*
 * The metapage's fields that size everything else: a value out of its
 * range would make every later computation wrong.
 */
void
VgCheckMeta(Relation index, const VgMetaPageData *meta)
{
	VgShape		shape = {0};
	const char *bad = NULL;

	shape.graph = (VgGraphKind) meta->graph;
	shape.dim = meta->dim;
	shape.m = meta->m;
	shape.m0 = VgM0(shape.graph, meta->m);
	if (meta->graph != VG_GRAPH_HNSW && meta->graph != VG_GRAPH_VAMANA)
		bad = "graph";
	else if (meta->metric < VG_METRIC_L2 || meta->metric > VG_METRIC_L1)
		bad = "metric";
	else if (meta->dim < 1 || meta->dim > VG_MAX_DIM)
		bad = "dimensions";
	else if (meta->graph == VG_GRAPH_HNSW ? (meta->m < VG_MIN_M || meta->m > VG_MAX_M) :
			 (meta->m < VG_VAMANA_MIN_DEGREE || meta->m > VG_VAMANA_MAX_DEGREE))
		bad = "m";
	else if (meta->partitions < 1 || meta->partitions > VG_MAX_PARTITIONS)
		bad = "partitions";
	else if (meta->slot_bits != VgSlotBits(&shape))
		bad = "slot bits";
	for (int p = 0; p < VG_MAX_PARTITIONS && bad == NULL; p++)
		if (meta->part[p].entry_level > VG_MAX_LEVEL)
			bad = "entry level";
	if (bad != NULL)
		VgReportCorrupt(index, VG_METAPAGE_BLKNO,
						psprintf("The metapage's %s field is out of range (graph %u, metric %u, %u dimensions, m %u, %u partitions, %u slot bits).",
								 bad, meta->graph, meta->metric, meta->dim, meta->m,
								 meta->partitions, meta->slot_bits));
}
