/*-------------------------------------------------------------------------
 *
 * vginfo.c
 *	  Inspecting and checking vecgraph indexes from SQL:
 *	  vecgraph_index_info(regclass) and vecgraph_check(regclass).
 *
 *	  vecgraph_check verifies: every link names an existing node, never the
 *	  node itself, and only nodes that have the link's level; list lengths
 *	  are within their caps; every tree link of a live node has its twin;
 *	  upper tuples exist exactly for nodes above level 0, with matching
 *	  levels; the entry point exists and has the top level; every live node
 *	  whose row is in the table is reachable from the entry point at level
 *	  0, where searches end; and every row of the table that the index
 *	  should hold is a live node.  It returns one row per problem found, so
 *	  no rows means a sound index.
 *
 *	  Both read every page of the index under AccessShareLock, one page at a
 *	  time with a share lock, so they run beside inserts and scans; under
 *	  concurrent inserts vecgraph_check may see a node before its first
 *	  in-link lands and report it unreachable, so it is meant for quiet
 *	  indexes (tests, after a crash, before a release).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/index.h"
#include "catalog/pg_am.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "vgam.h"

/* One node as the checker sees it. */
typedef struct NodeInfo
{
	VgNodeId	id;
	ItemPointerData heaptid;
	uint8		level;
	uint8		flags;
	uint16		partition;
	bool		reached;
} NodeInfo;

/* Everything read from the index pages. */
typedef struct IndexImage
{
	Relation	index;
	VgMetaPageData meta;
	VgShape		shape;
	BlockNumber nblocks;
	HTAB	   *nodes;			/* VgNodeId -> NodeInfo */
	HTAB	   *uppers;			/* VgNodeId (of the upper tuple) -> level */
	int64		live;
	int64		deleted;
	int64		links;
	int			max_level;		/* of live nodes */
	int64		part_live[VG_MAX_PARTITIONS];
	int64		part_deleted[VG_MAX_PARTITIONS];
	int			part_max_level[VG_MAX_PARTITIONS];
} IndexImage;

typedef struct UpperInfo
{
	VgNodeId	id;
	uint8		level;
} UpperInfo;

static HTAB *
MakeTable(const char *name, Size entrysize)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(VgNodeId);
	ctl.entrysize = entrysize;
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/* Reads every tuple of every node page into img. */
static void
ReadIndex(IndexImage *img, Relation index)
{
	img->index = index;
	VgReadMeta(index, &img->meta);
	VgReadShape(index, &img->shape);
	img->nblocks = RelationGetNumberOfBlocks(index);
	img->nodes = MakeTable("vecgraph nodes", sizeof(NodeInfo));
	img->uppers = MakeTable("vecgraph uppers", sizeof(UpperInfo));
	img->live = img->deleted = img->links = 0;
	img->max_level = 0;
	MemSet(img->part_live, 0, sizeof(img->part_live));
	MemSet(img->part_deleted, 0, sizeof(img->part_deleted));
	MemSet(img->part_max_level, 0, sizeof(img->part_max_level));

	for (BlockNumber blkno = 1; blkno < img->nblocks; blkno++)
	{
		Buffer		buf = ReadBuffer(index, blkno);
		Page		page;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		page = BufferGetPage(buf);
		for (OffsetNumber off = FirstOffsetNumber; off <= PageGetMaxOffsetNumber(page); off++)
		{
			ItemId		itemid = PageGetItemId(page, off);
			VgNodeId	id = VgMakeNodeId(blkno, off, &img->shape);
			VgNodeTuple t;
			bool		found;

			if (!ItemIdIsNormal(itemid))
				continue;
			VgCheckItemBounds(index, blkno, off, itemid);
			t = (VgNodeTuple) PageGetItem(page, itemid);
			if (VgTupleIsNode(t))
			{
				NodeInfo   *n = hash_search(img->nodes, &id, HASH_ENTER, &found);

				n->heaptid = t->heaptid;
				n->level = t->level;
				n->flags = t->flags;
				n->partition = Min(t->partition, VG_MAX_PARTITIONS - 1);
				n->reached = false;
				if (t->flags & VG_NODE_DELETED)
				{
					img->deleted++;
					img->part_deleted[n->partition]++;
				}
				else
				{
					/* freed slots keep their level for reuse: count live ones */
					img->live++;
					img->part_live[n->partition]++;
					img->max_level = Max(img->max_level, t->level);
					img->part_max_level[n->partition] = Max(img->part_max_level[n->partition], t->level);
				}
				img->links += t->count0;
			}
			else
			{
				UpperInfo  *u = hash_search(img->uppers, &id, HASH_ENTER, &found);

				u->level = t->level;
			}
		}
		UnlockReleaseBuffer(buf);
	}
}

static const char *
MetricName(VgMetricKind metric)
{
	switch (metric)
	{
		case VG_METRIC_L2:
			return "l2";
		case VG_METRIC_IP:
			return "inner_product";
		case VG_METRIC_COSINE:
			return "cosine";
		case VG_METRIC_L1:
			return "l1";
	}
	return "unknown";
}

/* The graph kind's build options, as reloptions would name them. */
static char *
GraphOptions(const VgShape *shape, int ef_construction)
{
	if (shape->graph == VG_GRAPH_VAMANA)
		return psprintf("degree=%d, build_list_size=%d, alpha=%g, two_pass=%s",
						shape->m, ef_construction, shape->alpha,
						shape->two_pass ? "on" : "off");
	return psprintf("m=%d, ef_construction=%d, keep_pruned=%s",
					shape->m, ef_construction, shape->keep_pruned ? "on" : "off");
}

PG_FUNCTION_INFO_V1(vecgraph_index_info);
Datum
vecgraph_index_info(PG_FUNCTION_ARGS)
{
	Relation	index = OpenVecgraphIndex(PG_GETARG_OID(0));
	IndexImage	img;
	TupleDesc	tupdesc;
	Datum		values[15];
	bool		nulls[15] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	ReadIndex(&img, index);

	values[0] = CStringGetTextDatum(img.shape.graph == VG_GRAPH_VAMANA ? "vamana" : "hnsw");
	values[1] = CStringGetTextDatum(MetricName(img.shape.metric));
	values[2] = Int32GetDatum(img.shape.dim);
	values[3] = Int32GetDatum(img.shape.m);
	values[4] = Int32GetDatum(img.meta.ef_construction);
	values[5] = Int64GetDatum(img.live);
	values[6] = Int64GetDatum(img.deleted);
	values[7] = Int64GetDatum((int64) img.nblocks);
	values[8] = Int32GetDatum(img.live > 0 ? img.max_level + 1 : 0);
	if (img.meta.part[0].entry == VG_NO_NODE)
		nulls[9] = true;
	else
		values[9] = Int64GetDatum((int64) img.meta.part[0].entry);
	values[10] = Float8GetDatum(img.live + img.deleted > 0 ?
								(double) img.links / (img.live + img.deleted) : 0.0);
	values[11] = Int32GetDatum(img.shape.partitions);
	values[12] = Int32GetDatum(img.meta.build_workers);
	/* a database still at 0.3.0 asks for the first 13 columns only */
	if (tupdesc->natts > 13)
		values[13] = CStringGetTextDatum(img.shape.storage == VG_STORAGE_HALF ? "half" : "float");
	/* and one at 0.4.0 for the first 14 */
	if (tupdesc->natts > 14)
		values[14] = CStringGetTextDatum(GraphOptions(&img.shape, img.meta.ef_construction));

	index_close(index, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

typedef struct CheckState
{
	IndexImage *img;
	VgStoreData store;
	Tuplestorestate *out;
	TupleDesc	desc;
	int64		problems;
} CheckState;

#define MAX_REPORTED_PROBLEMS 100

static void
Report(CheckState *cs, const char *fmt,...) pg_attribute_printf(2, 3);

static void
Report(CheckState *cs, const char *fmt,...)
{
	va_list		args;
	char		buf[512];
	Datum		value;
	bool		isnull = false;

	if (++cs->problems > MAX_REPORTED_PROBLEMS)
		return;
	va_start(args, fmt);
	vsnprintf(buf, sizeof(buf), fmt, args);
	va_end(args);
	value = CStringGetTextDatum(buf);
	tuplestore_putvalues(cs->out, cs->desc, &value, &isnull);
}

/* Whether node 'to' lists 'from' among its tree links (read into list). */
static bool
HasTreeLinkTo(CheckState *cs, VgNodeId to, VgNodeId from, VgNodeId *list)
{
	int			n_tree;

	VgStoreOps.neighbours(&cs->store, to, 0, list, cs->img->shape.m0, &n_tree);
	for (int i = 0; i < n_tree; i++)
		if (list[i] == from)
			return true;
	return false;
}

/*
 * Every tree link of live node n (list[0..n_tree), a copy it may reuse) has
 * its twin: the tree joins nodes both ways.
 */
static void
CheckTreeLinks(CheckState *cs, NodeInfo *n, VgNodeId *list, int n_tree)
{
	VgNodeId	tree[VG_MAX_TREE_LINKS];

	memcpy(tree, list, sizeof(VgNodeId) * Min(n_tree, VG_MAX_TREE_LINKS));
	for (int i = 0; i < Min(n_tree, VG_MAX_TREE_LINKS); i++)
		if (hash_search(cs->img->nodes, &tree[i], HASH_FIND, NULL) != NULL &&
			!HasTreeLinkTo(cs, tree[i], n->id, list))
			Report(cs, "node %u has a tree link to node %u, which has none back",
				   n->id, tree[i]);
}

static void
CheckLists(CheckState *cs, NodeInfo *n, VgNodeId *list)
{
	const VgShape *shape = &cs->img->shape;

	for (int lv = 0; lv <= n->level; lv++)
	{
		int			cap = lv == 0 ? shape->m0 : shape->m;
		int			n_tree;
		int			count = VgStoreOps.neighbours(&cs->store, n->id, lv, list, cap + 1, &n_tree);

		if (count > cap)
			Report(cs, "node %u has %d neighbours at level %d, more than %d", n->id, count, lv, cap);
		if (n_tree > VG_MAX_TREE_LINKS)
			Report(cs, "node %u has %d tree links, more than %d", n->id, n_tree, VG_MAX_TREE_LINKS);
		for (int i = 0; i < Min(count, cap); i++)
		{
			NodeInfo   *to = hash_search(cs->img->nodes, &list[i], HASH_FIND, NULL);

			if (to == NULL)
				Report(cs, "node %u links to %u at level %d, which is not a node", n->id, list[i], lv);
			else if (to->id == n->id)
				Report(cs, "node %u links to itself at level %d", n->id, lv);
			else if (to->level < lv)
				Report(cs, "node %u links at level %d to node %u, whose top level is %d",
					   n->id, lv, to->id, to->level);
			else if (to->partition != n->partition)
				Report(cs, "node %u of partition %d links to node %u of partition %d",
					   n->id, n->partition, to->id, to->partition);
		}
		if (lv == 0 && !(n->flags & VG_NODE_DELETED))
			CheckTreeLinks(cs, n, list, Min(n_tree, Min(count, cap)));
	}
}

static void
CheckUpper(CheckState *cs, NodeInfo *n)
{
	VgNodeTuple t = VgStoreLockNode(&cs->store, n->id, BUFFER_LOCK_SHARE);
	VgNodeId	upper = t->upper;

	VgStoreUnlock(&cs->store);
	if (n->level == 0 && upper != VG_NO_NODE)
		Report(cs, "node %u has level 0 but an upper tuple %u", n->id, upper);
	else if (n->level > 0)
	{
		UpperInfo  *u = hash_search(cs->img->uppers, &upper, HASH_FIND, NULL);

		if (u == NULL)
			Report(cs, "node %u of level %d has no upper tuple at %u", n->id, n->level, upper);
		else if (u->level != n->level)
			Report(cs, "node %u has level %d but its upper tuple level %d", n->id, n->level, u->level);
	}
}

/*
 * Marks every node reachable from partition part's entry point at level 0,
 * where every search ends, and checks the entry point.
 */
static void
MarkReachable(CheckState *cs, int part, VgNodeId *list)
{
	IndexImage *img = cs->img;
	VgPartitionMeta *pm = &img->meta.part[part];
	VgNodeId   *queue;
	int64		head = 0,
				tail = 0;
	NodeInfo   *entry;

	if (pm->entry == VG_NO_NODE)
	{
		if (img->part_live[part] > 0)
			Report(cs, "partition %d has live nodes but no entry point", part);
		return;
	}
	entry = hash_search(img->nodes, &pm->entry, HASH_FIND, NULL);
	if (entry == NULL)
	{
		Report(cs, "entry point %u of partition %d is not a node", pm->entry, part);
		return;
	}
	if (entry->partition != part)
		Report(cs, "entry point %u of partition %d belongs to partition %d",
			   entry->id, part, entry->partition);
	if (entry->level != pm->entry_level || entry->level != img->part_max_level[part])
		Report(cs, "entry point %u of partition %d has level %d, the metapage says %d, the top node level is %d",
			   entry->id, part, entry->level, pm->entry_level, img->part_max_level[part]);
	queue = palloc(sizeof(VgNodeId) * Max(img->live + img->deleted, 1));
	entry->reached = true;
	queue[tail++] = entry->id;
	while (head < tail)
	{
		int			count;

		CHECK_FOR_INTERRUPTS();
		count = VgStoreOps.neighbours(&cs->store, queue[head++], 0, list,
									  img->shape.m0, NULL);
		for (int i = 0; i < count; i++)
		{
			NodeInfo   *to = hash_search(img->nodes, &list[i], HASH_FIND, NULL);

			if (to != NULL && !to->reached)
			{
				to->reached = true;
				queue[tail++] = to->id;
			}
		}
	}
	pfree(queue);
}

typedef struct HeapCheckState
{
	CheckState *cs;
	HTAB	   *tids;			/* heap TIDs of live nodes */
	HTAB	   *rows;			/* heap TIDs of the rows the index should hold */
	MemoryContext row_cxt;		/* a row's vector, reset after each row */
} HeapCheckState;

static void
HeapCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			 bool tupleIsAlive, void *state)
{
	HeapCheckState *hs = state;

	if (isnull[0])
		return;
	if (hs->cs->img->shape.metric == VG_METRIC_COSINE)
	{
		MemoryContext old = MemoryContextSwitchTo(hs->row_cxt);
		bool		zero = VgValueToQuery(values[0], &hs->cs->img->shape, index) == NULL;

		MemoryContextSwitchTo(old);
		MemoryContextReset(hs->row_cxt);
		if (zero)
			return;				/* zero vectors are not indexed */
	}
	hash_search(hs->rows, tid, HASH_ENTER, NULL);
	if (hash_search(hs->tids, tid, HASH_FIND, NULL) == NULL)
		Report(hs->cs, "row (%u,%u) of the table is not in the index",
			   ItemPointerGetBlockNumber(tid), ItemPointerGetOffsetNumber(tid));
}

static HTAB *
MakeTidSet(const char *name)
{
	HASHCTL		ctl;

	ctl.keysize = sizeof(ItemPointerData);
	ctl.entrysize = sizeof(ItemPointerData);
	ctl.hcxt = CurrentMemoryContext;
	return hash_create(name, 1024, &ctl, HASH_ELEM | HASH_BLOBS | HASH_CONTEXT);
}

/*
 * Reports the rows of the table the index should hold and does not; returns
 * the set of those rows' TIDs.
 */
static HTAB *
CheckHeap(CheckState *cs, Relation heap)
{
	HeapCheckState hs;
	HASH_SEQ_STATUS seq;
	NodeInfo   *n;
	IndexInfo  *indexInfo = BuildIndexInfo(cs->img->index);

	hs.tids = MakeTidSet("vecgraph node tids");
	hs.rows = MakeTidSet("vecgraph table rows");
	hs.cs = cs;
	hs.row_cxt = AllocSetContextCreate(CurrentMemoryContext, "vecgraph check row",
									   ALLOCSET_DEFAULT_SIZES);
	hash_seq_init(&seq, cs->img->nodes);
	while ((n = hash_seq_search(&seq)) != NULL)
		if (!(n->flags & VG_NODE_DELETED))
			hash_search(hs.tids, &n->heaptid, HASH_ENTER, NULL);

	table_index_build_scan(heap, cs->img->index, indexInfo, true, false,
						   HeapCallback, &hs, NULL);
	MemoryContextDelete(hs.row_cxt);
	hash_destroy(hs.tids);
	return hs.rows;
}

PG_FUNCTION_INFO_V1(vecgraph_check);
Datum
vecgraph_check(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	index = OpenVecgraphIndex(PG_GETARG_OID(0));
	Relation	heap = table_open(index->rd_index->indrelid, AccessShareLock);
	IndexImage	img;
	CheckState	cs;
	VgNodeId   *list;
	HASH_SEQ_STATUS seq;
	NodeInfo   *n;
	HTAB	   *rows;

	InitMaterializedSRF(fcinfo, MAT_SRF_USE_EXPECTED_DESC);
	cs.out = rsinfo->setResult;
	cs.desc = rsinfo->setDesc;
	cs.problems = 0;
	cs.img = &img;
	ReadIndex(&img, index);
	VgStoreInit(&cs.store, index, false);
	list = palloc(sizeof(VgNodeId) * (img.shape.m0 + 1));

	hash_seq_init(&seq, img.nodes);
	while ((n = hash_seq_search(&seq)) != NULL)
	{
		CHECK_FOR_INTERRUPTS();
		CheckUpper(&cs, n);
		CheckLists(&cs, n, list);
	}
	for (int part = 0; part < img.shape.partitions; part++)
		MarkReachable(&cs, part, list);
	rows = CheckHeap(&cs, heap);

	/*
	 * A node whose row is not in the table is left over from an insert that
	 * never finished (a crash, an error): its row never committed, nothing
	 * links to it, and VACUUM removes it.
	 */
	hash_seq_init(&seq, img.nodes);
	while ((n = hash_seq_search(&seq)) != NULL)
		if (!n->reached && !(n->flags & VG_NODE_DELETED) &&
			hash_search(rows, &n->heaptid, HASH_FIND, NULL) != NULL)
			Report(&cs, "live node %u (row (%u,%u)) is not reachable from the entry point",
				   n->id, ItemPointerGetBlockNumberNoCheck(&n->heaptid),
				   ItemPointerGetOffsetNumberNoCheck(&n->heaptid));
	if (cs.problems > MAX_REPORTED_PROBLEMS)
		Report(&cs, "... and " INT64_FORMAT " more problems", cs.problems - MAX_REPORTED_PROBLEMS);

	VgStoreRelease(&cs.store);
	table_close(heap, AccessShareLock);
	index_close(index, AccessShareLock);
	return (Datum) 0;
}

/*
 * vecgraph_index_partitions(index): one row per partition of the index:
 * its live and deleted nodes, entry point and levels.
 */
PG_FUNCTION_INFO_V1(vecgraph_index_partitions);
Datum
vecgraph_index_partitions(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Relation	index = OpenVecgraphIndex(PG_GETARG_OID(0));
	IndexImage	img;

	InitMaterializedSRF(fcinfo, 0);
	ReadIndex(&img, index);
	for (int part = 0; part < img.shape.partitions; part++)
	{
		Datum		values[5];
		bool		nulls[5] = {0};

		values[0] = Int32GetDatum(part);
		values[1] = Int64GetDatum(img.part_live[part]);
		values[2] = Int64GetDatum(img.part_deleted[part]);
		if (img.meta.part[part].entry == VG_NO_NODE)
			nulls[3] = true;
		else
			values[3] = Int64GetDatum((int64) img.meta.part[part].entry);
		values[4] = Int32GetDatum(img.part_live[part] > 0 ? img.part_max_level[part] + 1 : 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	index_close(index, AccessShareLock);
	return (Datum) 0;
}

/*
 * vecgraph_index_format(index): the format version of the index's pages,
 * read from its metapage without requiring the version this build reads:
 * how to find the indexes an upgrade needs rebuilt.
 */
PG_FUNCTION_INFO_V1(vecgraph_index_format);
Datum
vecgraph_index_format(PG_FUNCTION_ARGS)
{
	Relation	index = OpenVecgraphIndex(PG_GETARG_OID(0));
	Buffer		buf = ReadBuffer(index, VG_METAPAGE_BLKNO);
	VgMetaPage	meta;
	uint32		magic;
	uint32		version;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	meta = VgPageGetMeta(BufferGetPage(buf));
	magic = meta->magic;
	version = meta->version;
	UnlockReleaseBuffer(buf);
	if (magic != VG_MAGIC)
		VgReportCorrupt(index, VG_METAPAGE_BLKNO,
						psprintf("The metapage has magic number 0x%08X, not 0x%08X.",
								 magic, VG_MAGIC));
	index_close(index, AccessShareLock);
	PG_RETURN_INT32((int32) version);
}
