/*-------------------------------------------------------------------------
 *
 * vgutils.c
 *	  Page and metapage helpers and metric handling of the vecgraph index.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/detoast.h"
#include "access/genam.h"
#include "access/generic_xlog.h"
#include "access/heaptoast.h"
#include "access/htup_details.h"
#include "catalog/index.h"
#include "catalog/pg_authid.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "optimizer/plancat.h"
#include "storage/bufpage.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "halfvec.h"
#include "vecgraph.h"
#include "vector.h"
#include "vgam.h"

void
VgInitPage(Page page, uint16 flags)
{
	VgPageOpaque opaque;

	PageInit(page, BLCKSZ, sizeof(VgPageOpaqueData));
	opaque = VgPageGetOpaque(page);
	opaque->flags = flags;
	opaque->page_id = VG_PAGE_ID;
}

/*
 * Bits of a node id that name the item on its page: enough for as many of
 * the smallest tuples (an upper tuple of one level) as fit a page.
 */
int
VgSlotBits(const VgShape *shape)
{
	Size		smallest = Min(VgNodeTupleSize(shape), VgUpperTupleSize(shape, 1));
	Size		items = (VG_MAX_ITEM_SIZE + sizeof(ItemIdData)) / (smallest + sizeof(ItemIdData));
	int			bits = 0;

	while (((Size) 1 << bits) < items)
		bits++;
	return bits;
}

/* Blocks whose node ids fit 32 bits (the all-ones id is VG_NO_NODE). */
BlockNumber
VgMaxNodeBlocks(const VgShape *shape)
{
	return (BlockNumber) ((UINT64CONST(0xFFFFFFFF) >> shape->slot_bits));
}

/*
 * The size of rel's main fork when it is known to hold block blkno, else
 * its size now.  A search checks each block it reads against the size, and
 * asking the kernel (lseek) costs microseconds per query on a virtual
 * machine; smgr keeps the count it last read, which can only be low --
 * others extend without telling, and a truncation invalidates every
 * backend's smgr entry -- so a block below it exists.
 */
BlockNumber
VgBlocksCovering(Relation rel, BlockNumber blkno)
{
	BlockNumber known = RelationGetSmgr(rel)->smgr_cached_nblocks[MAIN_FORKNUM];

	if (known != InvalidBlockNumber && blkno < known)
		return known;
	return RelationGetNumberOfBlocks(rel);
}

void
VgReadMeta(Relation index, VgMetaPageData *meta)
{
	Buffer		buf = ReadBuffer(index, VG_METAPAGE_BLKNO);
	Page		page;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	page = BufferGetPage(buf);
	memcpy(meta, VgPageGetMeta(page), sizeof(VgMetaPageData));
	UnlockReleaseBuffer(buf);

	if (meta->magic != VG_MAGIC)
		VgReportCorrupt(index, VG_METAPAGE_BLKNO,
						psprintf("The metapage has magic number 0x%08X, not 0x%08X.",
								 meta->magic, VG_MAGIC));
	if (meta->version != VG_FORMAT_VERSION)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("index \"%s\" has format version %u, this version of vecgraph reads format %u",
						RelationGetRelationName(index), meta->version, VG_FORMAT_VERSION),
				 meta->version < VG_FORMAT_VERSION ?
				 errdetail("The index was built by an older version of vecgraph.") :
				 errdetail("The index was built by a newer version of vecgraph."),
				 errhint("Rebuild it with REINDEX INDEX %s.",
						 quote_qualified_identifier(get_namespace_name(RelationGetNamespace(index)),
													RelationGetRelationName(index)))));
	VgCheckMeta(index, meta);
}

/* A Vamana index's alpha, from its metapage. */
static float
VgReadAlpha(Relation index)
{
	Buffer		buf = ReadBuffer(index, VG_METAPAGE_BLKNO);
	VgVamanaRecord rec;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	memcpy(&rec, VgPageGetVamana(BufferGetPage(buf)), sizeof(rec));
	UnlockReleaseBuffer(buf);
	if (rec.magic != VG_VAMANA_MAGIC || !(rec.alpha >= 1.0f && rec.alpha <= VG_MAX_ALPHA))
		VgReportCorrupt(index, VG_METAPAGE_BLKNO,
						"The metapage of a Vamana index has no valid alpha.");
	return rec.alpha;
}

/*
 * The shape of an index's tuples.  It never changes for a given relfilenode,
 * so it is kept in the relcache entry (rd_amcache, dropped with the entry on
 * invalidation, as by REINDEX) and the metapage is read once per backend.
 */
void
VgReadShape(Relation index, VgShape *shape)
{
	if (index->rd_amcache == NULL)
	{
		VgMetaPageData meta;
		VgShape    *cached = MemoryContextAlloc(index->rd_indexcxt, sizeof(VgShape));

		VgReadMeta(index, &meta);
		cached->graph = (VgGraphKind) meta.graph;
		cached->dim = meta.dim;
		cached->m = meta.m;
		cached->m0 = VgM0(cached->graph, meta.m);
		cached->alpha = cached->graph == VG_GRAPH_VAMANA ? VgReadAlpha(index) : 1.0f;
		cached->two_pass = (meta.flags & VG_META_TWO_PASS) != 0;
		cached->slot_bits = meta.slot_bits;
		cached->partitions = Max(meta.partitions, 1);
		cached->metric = (VgMetricKind) meta.metric;
		cached->keep_pruned = (meta.flags & VG_META_KEEP_PRUNED) != 0;
		cached->storage = (meta.flags & VG_META_HALF) ? VG_STORAGE_HALF : VG_STORAGE_FLOAT;
		cached->half_input = VgIndexTakesHalfvec(index);
		index->rd_amcache = cached;
	}
	memcpy(shape, index->rd_amcache, sizeof(VgShape));
}

/*
 * The operator classes, told apart by their distance function (support
 * function 1): the metric, and whether the column is halfvec.
 */
static const struct
{
	PGFunction	fn;
	VgMetricKind metric;
	bool		half;
}			vg_opclasses[] = {
	{vector_l2_squared_distance, VG_METRIC_L2, false},
	{vector_negative_inner_product, VG_METRIC_IP, false},
	{cosine_distance, VG_METRIC_COSINE, false},
	{l1_distance, VG_METRIC_L1, false},
	{halfvec_l2_squared_distance, VG_METRIC_L2, true},
	{halfvec_negative_inner_product, VG_METRIC_IP, true},
	{halfvec_cosine_distance, VG_METRIC_COSINE, true},
	{halfvec_l1_distance, VG_METRIC_L1, true},
};

static int
IndexOpclass(Relation index)
{
	FmgrInfo   *proc = index_getprocinfo(index, 1, VG_DISTANCE_PROC);

	for (int i = 0; i < lengthof(vg_opclasses); i++)
		if (proc->fn_addr == vg_opclasses[i].fn)
			return i;
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_OBJECT_DEFINITION),
			 errmsg("operator class of index \"%s\" has an unsupported distance function",
					RelationGetRelationName(index)),
			 errhint("Use vector_l2_ops, vector_ip_ops, vector_cosine_ops or vector_l1_ops, or their halfvec_ counterparts.")));
	pg_unreachable();
}

VgMetricKind
VgIndexMetric(Relation index)
{
	return vg_opclasses[IndexOpclass(index)].metric;
}

bool
VgIndexTakesHalfvec(Relation index)
{
	return vg_opclasses[IndexOpclass(index)].half;
}

/* The ranking distance of an index's metric with kernels k. */
static VgMetric
KernelMetric(const VgShape *shape, const VgDistanceKernels *k)
{
	VgMetric	m;

	m.dim = shape->dim;
	m.offset = shape->storage == VG_STORAGE_HALF ? offsetof(VgHalfVector, x) : 0;
	m.sign = 1.0f;
	m.prune_shift = shape->metric == VG_METRIC_COSINE ? 1.0f : 0.0f;
	switch (shape->metric)
	{
		case VG_METRIC_L2:
			m.kernel = k->l2_squared;
			break;
		case VG_METRIC_IP:
		case VG_METRIC_COSINE:
			m.kernel = k->inner_product;
			m.sign = -1.0f;
			break;
		case VG_METRIC_L1:
			m.kernel = k->l1;
			break;
	}
	return m;
}

/*
 * The core's ranking distance between an index's stored vectors (builds,
 * inserts, repairs): smaller is closer.
 */
VgMetric
VgCoreMetric(const VgShape *shape)
{
	return KernelMetric(shape, shape->storage == VG_STORAGE_HALF ? VgHalfKernels : VgKernels);
}

/*
 * The same between a scan's query (VgValueToQuery) and stored vectors:
 * mixed float-half kernels for half storage.
 */
VgMetric
VgQueryMetric(const VgShape *shape)
{
	return KernelMetric(shape, shape->storage == VG_STORAGE_HALF ? VgMixedKernels : VgKernels);
}

/*
 * Opens relid under AccessShareLock for the SQL functions that read an
 * index, or raises an error: it must be a vecgraph index with storage, and
 * the caller must be allowed to read its table (SELECT on it), or hold the
 * privileges of pg_stat_scan_tables, as pgstattuple's pgstatindex asks.
 */
Relation
OpenVecgraphIndex(Oid relid)
{
	char	   *name = get_rel_name(relid);
	Oid			heapid;
	Relation	index;

	if (name == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	heapid = IndexGetRelation(relid, true);
	if (!OidIsValid(heapid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not an index", name)));

	/* checked before the lock, so that nobody can hold up others' DDL */
	if (pg_class_aclcheck(heapid, GetUserId(), ACL_SELECT) != ACLCHECK_OK &&
		!has_privs_of_role(GetUserId(), ROLE_PG_STAT_SCAN_TABLES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read index \"%s\"", name),
				 errdetail("Reading an index takes SELECT on its table \"%s\", or the privileges of pg_stat_scan_tables.",
						   get_rel_name(heapid))));

	index = index_open(relid, AccessShareLock);
	if (index->rd_rel->relam != get_index_am_oid("vecgraph", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a vecgraph index", name)));
	if (index->rd_rel->relkind != RELKIND_INDEX)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is a partitioned index, which holds no graph", name),
				 errhint("Name the index of one of its partitions.")));
	return index;
}

/*
 * The core's HNSW parameters for a graph of this shape.  Vamana graphs use
 * them too where the code is shared (linking orphans): one level, lists of
 * R.
 */
VgHnswParams
VgHnswParamsOf(const VgShape *shape, int ef_construction)
{
	VgHnswParams p = vg_hnsw_params(shape->m, ef_construction);

	p.keep_pruned = shape->keep_pruned;
	p.m0 = shape->m0;
	p.tree_degree = vg_tree_degree(p.m0);
	return p;
}

/*
 * RobustPrune's alpha on the ranking distances of shape's metric, from the
 * user's alpha on distances: squared for L2 and cosine (whose shifted
 * ranking distance, the cosine distance, is half the squared L2 distance
 * of unit vectors), as is for L1.  Inner products are no distance: alpha
 * has no meaning there and is 1 (HNSW's heuristic; docs/index.md), as it is
 * for HNSW graphs.
 */
float
VgPruneAlpha(const VgShape *shape)
{
	if (shape->graph != VG_GRAPH_VAMANA)
		return 1.0f;
	switch (shape->metric)
	{
		case VG_METRIC_L2:
		case VG_METRIC_COSINE:
			return shape->alpha * shape->alpha;
		case VG_METRIC_L1:
			return shape->alpha;
		case VG_METRIC_IP:
			break;
	}
	return 1.0f;
}

/* The core's Vamana parameters for a graph of this shape. */
VgVamanaParams
VgVamanaParamsOf(const VgShape *shape, int build_list_size)
{
	return vg_vamana_params(shape->m0, build_list_size, VgPruneAlpha(shape), shape->two_pass);
}

/*
 * Prepares a vector for the index in place: cosine indexes store unit
 * vectors, so that ranking by inner product ranks by cosine.  Returns false
 * for a vector the metric cannot rank (a zero vector under cosine, whose
 * cosine distance is NaN to everything); such rows are not indexed.
 */
bool
VgPrepareVector(VgMetricKind metric, float *x, int dim)
{
	double		norm = 0.0;

	if (metric != VG_METRIC_COSINE)
		return true;
	for (int i = 0; i < dim; i++)
		norm += (double) x[i] * x[i];
	if (norm == 0.0)
		return false;
	norm = sqrt(norm);
	for (int i = 0; i < dim; i++)
		x[i] = (float) (x[i] / norm);
	return true;
}

/*
 * The most nodes an in-memory arena of shape can hold within budget bytes,
 * counting the 64 bytes its allocation spends on alignment: the arena of a
 * serial build (palloc) and of a parallel build (a DSM segment) alike.
 */
uint32
VgArenaCapacityWithin(const VgShape *shape, Size budget)
{
	Size		vector_bytes = VgVectorBytes(shape);
	Size		fixed = vg_arena_size(0, vector_bytes, VgArenaM0(shape), shape->m) + 64;
	uint32		capacity;

	if (budget <= fixed)
		return 0;
	capacity = (uint32) Min((budget - fixed) / vg_arena_node_bytes(vector_bytes, VgArenaM0(shape),
															   shape->m),
							(Size) PG_UINT32_MAX - 1);
	/* node_bytes rounds the pool's share of a node down: step back to fit */
	while (capacity > 0 && vg_arena_size(capacity, vector_bytes, VgArenaM0(shape), shape->m) + 64 > budget)
		capacity -= Max(capacity / 1024, 1);
	return capacity;
}

/*
 * Rows a table probably holds now: the planner's estimate, which scales the
 * last ANALYZE's density by the table's current size (reltuples alone is
 * stale after a bulk load into an analysed table, and a parallel build
 * sized by it fills up and starts over).
 */
double
VgEstimateRows(Relation heap)
{
	BlockNumber pages;
	double		tuples;
	double		allvisfrac;

	estimate_rel_size(heap, NULL, &pages, &tuples, &allvisfrac);
	return Max(tuples, heap->rd_rel->reltuples);
}

/*
 * At most how many rows of heap the index on it can get, from the table's
 * pages, or -1 when the index is not on a plain vector column.  Each such
 * row takes a line pointer and a tuple of at least a header, the vector in
 * its smallest stored form -- a TOAST pointer when a tuple of it would be
 * toasted, else the vector itself -- and the fixed-width NOT NULL columns.
 * Unlike the planner's estimate, which guesses 32 bytes for a vector
 * column nobody analyzed (too many rows of 128 dimensions a page, too few
 * of 784), it is never below the truth, unless a user had the vectors
 * compressed in place; for tables of little else than vectors it is close.
 */
double
VgIndexedRowsBound(Relation heap, Relation index, const VgShape *shape)
{
	TupleDesc	desc = RelationGetDescr(heap);
	AttrNumber	key = index->rd_index->indkey.values[0];
	Size		fixed = 0;
	Size		element = shape->half_input ? sizeof(VgHalf) : sizeof(float);
	Size		vector = offsetof(Vector, x) + element * shape->dim - (VARHDRSZ - VARHDRSZ_SHORT);
	Size		tuple;
	Size		per_page;

	if (key == 0 || TupleDescAttr(desc, key - 1)->atttypid !=
		TupleDescAttr(RelationGetDescr(index), 0)->atttypid)
		return -1;
	for (int i = 0; i < desc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(desc, i);

		if (!att->attisdropped && att->attnotnull && att->attlen > 0)
			fixed = att_align_nominal(fixed, att->attalign) + att->attlen;
	}
	tuple = SizeofHeapTupleHeader + fixed;
	tuple += tuple + vector > TOAST_TUPLE_THRESHOLD ? TOAST_POINTER_SIZE : vector;
	per_page = (BLCKSZ - SizeOfPageHeaderData) / (MAXALIGN(tuple) + sizeof(ItemIdData));
	return (double) RelationGetNumberOfBlocks(heap) * Min(per_page, MaxHeapTuplesPerPage);
}

/*
 * Sets one of the metapage's page hints (where inserts go first, or the
 * lowest page with a free slot), WAL-logged.  Takes the metapage's lock
 * alone: callers hold no node page lock.
 */
void
VgSetMetaHint(Relation index, VgMetaHint hint, BlockNumber blkno)
{
	Buffer		buf = ReadBuffer(index, VG_METAPAGE_BLKNO);
	GenericXLogState *state;
	VgMetaPage	meta;

	LockBuffer(buf, BUFFER_LOCK_EXCLUSIVE);
	state = GenericXLogStart(index);
	meta = VgPageGetMeta(GenericXLogRegisterBuffer(state, buf, 0));
	if (hint == VG_HINT_INSERT_PAGE)
		meta->insert_page = blkno;
	else
		meta->free_page = blkno;
	GenericXLogFinish(state);
	UnlockReleaseBuffer(buf);
}
