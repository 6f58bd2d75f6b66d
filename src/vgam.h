/*-------------------------------------------------------------------------
 *
 * vgam.h
 *	  The vecgraph index access method: on-disk format and shared
 *	  declarations of its callbacks.
 *
 *	  Block 0 is the metapage.  Every other block is a node page: a
 *	  standard page whose items are node tuples, one per indexed heap row,
 *	  and upper tuples, one per node that has levels above 0.  A node tuple
 *	  has one size in an index and keeps together what one level-0 search
 *	  step needs:
 *
 *		ItemPointerData heaptid		the row
 *		uint8	level				top HNSW level of the node
 *		uint8	flags				VG_NODE_DELETED, ...
 *		uint16	count0				length of the level-0 list
 *		uint8	partition			which graph of the index it belongs to
 *		uint8	tree0				how many of links0 are tree links
 *		VgNodeId upper				its upper tuple, or VG_NO_NODE
 *		VgNodeId links0[m0]			level-0 neighbours (m0 = 2m), tree
 *									links first (core/vg_tree.c)
 *		vector						normalised for cosine: float4[dim], or
 *									with storage = 'half' a VgHalfVector
 *
 *	  An upper tuple holds the lists of levels 1..level, each a uint32 count
 *	  and m ids.  Only about one node in m has one, and a search reads them
 *	  only while descending, so keeping them apart leaves level-0 tuples
 *	  small; they go on the node's page when they fit.
 *
 *	  Tuples are named by 32-bit ids: the block number shifted left by the
 *	  metapage's slot_bits, or'd with the item offset minus one.  Ids cost 4
 *	  bytes in a list (a TID costs 6) and map to a page with a shift.  Tuples
 *	  never move, so an id stays valid until vacuum frees the node.
 *
 *	  Locking: every access to a node page takes the buffer's content lock
 *	  (share to read, exclusive to write) for the duration of one copy or
 *	  one distance computation.  Only a change of several lists at once
 *	  (vgstore.c's update_lists) holds more than one node page, locked in
 *	  ascending block order; the metapage is locked while no node page is.
 *	  See vgstore.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VGAM_H
#define VGAM_H

#include "postgres.h"

#include "access/amapi.h"
#include "access/genam.h"
#include "access/generic_xlog.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "storage/bufmgr.h"
#include "utils/relcache.h"

#include "core/vg_graph.h"
#include "core/vg_arena.h"
#include "core/vg_half.h"
#include "core/vg_hnsw.h"
#include "core/vg_vamana.h"

#define VG_MAGIC			0x56474931	/* "VGI1" */

/*
 * Format 2 (vecgraph 0.2.0) adds tree links.  Format 1 indexes lack the
 * tree that inserts and VACUUM now rely on: they must be rebuilt.
 */
#define VG_FORMAT_VERSION	2
#define VG_METAPAGE_BLKNO	0

/* Graph kinds (reloption "graph"). */
typedef enum VgGraphKind
{
	VG_GRAPH_HNSW = 1,
	VG_GRAPH_VAMANA = 2			/* one level, lists of m links, medoid entry */
} VgGraphKind;

/* Metrics, decided by the operator class's support function 1. */
typedef enum VgMetricKind
{
	VG_METRIC_L2 = 1,			/* ranks by squared L2 */
	VG_METRIC_IP,				/* ranks by negative inner product */
	VG_METRIC_COSINE,			/* normalised vectors, negative inner product */
	VG_METRIC_L1
} VgMetricKind;

/* Support function numbers. */
#define VG_DISTANCE_PROC	1
#define VG_NPROCS			1

/*
 * How node tuples keep vectors (reloption "storage"): float4 elements, or
 * half precision, half the bytes, ranked by half-precision distances.
 */
typedef enum VgStorage
{
	VG_STORAGE_FLOAT = 0,
	VG_STORAGE_HALF = 1
} VgStorage;

/*
 * A half-storage vector: what rounding to half lost and the norm of the
 * vector as indexed (for lower bounds of exact distances, vgvector.c),
 * then the elements.  error is an L1 norm in L1 indexes, else an L2 norm.
 */
typedef struct VgHalfVector
{
	float		error;
	float		norm;
	VgHalf		x[FLEXIBLE_ARRAY_MEMBER];
} VgHalfVector;

/*
 * A scan's query of a half-storage index: float elements, ranked against
 * the stored halves by mixed kernels (no rounding of the query), after a
 * header the size of VgHalfVector's, so that one offset serves both.
 */
typedef struct VgHalfQuery
{
	float		unused;
	float		norm;
	float		x[FLEXIBLE_ARRAY_MEMBER];
} VgHalfQuery;

/*
 * Limits.  Dimensions: a node with its lists must fit a page, which at the
 * default m leaves room for 2,000 float or 4,000 half elements.
 */
#define VG_MAX_DIM_FLOAT	2000
#define VG_MAX_DIM_HALF		4000
#define VG_MAX_DIM			VG_MAX_DIM_HALF
#define VG_MIN_M			2
#define VG_MAX_M			100
#define VG_DEFAULT_M		16
#define VG_MIN_EF_CONSTRUCTION		4
#define VG_MAX_EF_CONSTRUCTION		1000
#define VG_DEFAULT_EF_CONSTRUCTION	64

/* Vamana's options (docs/index.md says how the defaults were chosen). */
#define VG_DEFAULT_DEGREE			32
#define VG_MIN_BUILD_LIST_SIZE		8
#define VG_MAX_BUILD_LIST_SIZE		1000
#define VG_DEFAULT_BUILD_LIST_SIZE	48
#define VG_DEFAULT_ALPHA			1.2
#define VG_MAX_ALPHA				4.0

/* One partition's graph: its entry point and size. */
typedef struct VgPartitionMeta
{
	VgNodeId	entry;			/* VG_NO_NODE when the partition is empty */
	uint8		entry_level;
	uint8		unused[3];
	uint64		nodes;			/* live nodes, as of the last build or VACUUM */
} VgPartitionMeta;

typedef struct VgMetaPageData
{
	uint32		magic;
	uint32		version;
	uint8		graph;			/* VgGraphKind */
	uint8		metric;			/* VgMetricKind */
	uint16		dim;
	uint16		m;
	uint16		ef_construction;
	uint8		slot_bits;		/* node id = block << slot_bits | (offset - 1) */
	uint8		flags;			/* VG_META_* */
	uint16		build_workers;	/* parallel workers the build launched */
	uint16		partitions;		/* graphs in the index, 1 .. VG_MAX_PARTITIONS */
	BlockNumber insert_page;	/* last page, where new nodes go first */
	BlockNumber free_page;		/* lowest page with a free node slot, if any */
	uint64		live_nodes;
	uint64		deleted_nodes;
	uint64		build_orphans_linked;	/* for vecgraph_index_info */
	VgPartitionMeta part[VG_MAX_PARTITIONS];
} VgMetaPageData;

typedef VgMetaPageData *VgMetaPage;

#define VG_META_KEEP_PRUNED 0x01	/* inserts fill new lists to m */
#define VG_META_HALF		0x02	/* storage = 'half' (format 2 still) */
#define VG_META_TWO_PASS	0x04	/* Vamana: built with a first alpha-1 pass */

#define VgPageGetMeta(page) ((VgMetaPage) PageGetContents(page))

/*
 * What maintenance passes (vgmaintain.c) recorded, on the metapage after
 * its VgMetaPageData.  All zero on an index no pass has touched: the page
 * was zeroed when built, and the record has its own magic.
 */
typedef struct VgMaintRecord
{
	uint32		magic;			/* VG_MAINT_MAGIC once written */
	uint32		recall_sample;	/* queries the recall estimate took; 0: none yet */
	uint64		passes;
	int64		last_start;		/* TimestampTz */
	int64		last_end;
	uint64		unreachable_found;	/* all passes */
	uint64		unreachable_linked;
	double		recall;			/* sampled recall@10 estimate */
	int64		recall_at;
} VgMaintRecord;

#define VG_MAINT_MAGIC	0x564D4E31	/* "VMN1" */

#define VgPageGetMaint(page) \
	((VgMaintRecord *) (PageGetContents(page) + MAXALIGN(sizeof(VgMetaPageData))))

/*
 * A Vamana index's alpha, after the maintenance record (VgMetaPageData
 * keeps its size, so that older indexes read as before).  For Vamana,
 * VgMetaPageData.m is the degree R and ef_construction the build's list
 * size L.
 */
typedef struct VgVamanaRecord
{
	uint32		magic;			/* VG_VAMANA_MAGIC */
	float		alpha;			/* as the user gave it, on distances */
} VgVamanaRecord;

#define VG_VAMANA_MAGIC	0x56414D31	/* "VAM1" */

#define VgPageGetVamana(page) \
	((VgVamanaRecord *) (PageGetContents(page) + MAXALIGN(sizeof(VgMetaPageData)) + \
						 MAXALIGN(sizeof(VgMaintRecord))))

/* Special space of every page: what the page holds. */
typedef struct VgPageOpaqueData
{
	uint16		flags;
	uint16		page_id;		/* VG_PAGE_ID, for tools such as pg_filedump */
} VgPageOpaqueData;

typedef VgPageOpaqueData *VgPageOpaque;

#define VG_PAGE_META		(1 << 0)
#define VG_PAGE_NODES		(1 << 1)
#define VG_PAGE_ID			0xFF91

#define VgPageGetOpaque(page) ((VgPageOpaque) PageGetSpecialPointer(page))

/* Node tuple header; the variable part follows (see above). */
typedef struct VgNodeTupleData
{
	ItemPointerData heaptid;
	uint8		level;
	uint8		flags;
	uint16		count0;
	uint8		partition;
	uint8		tree0;
	VgNodeId	upper;
	VgNodeId	links0[FLEXIBLE_ARRAY_MEMBER];
} VgNodeTupleData;

typedef VgNodeTupleData *VgNodeTuple;

#define VG_NODE_DELETED		(1 << 0)	/* heap row gone; links still valid */
#define VG_NODE_FREE		(1 << 1)	/* deleted and unlinked: slot reusable */
#define VG_TUPLE_UPPER		(1 << 7)	/* an upper tuple, not a node */

/* Node and upper tuples share their first 8 bytes' layout. */
#define VgTupleFlags(item)	(((VgNodeTuple) (item))->flags)
#define VgTupleIsNode(item)	((VgTupleFlags(item) & VG_TUPLE_UPPER) == 0)

/* Shape of node tuples of one index; derived from the metapage. */
typedef struct VgShape
{
	VgGraphKind graph;
	int			dim;
	int			m;				/* HNSW: m; Vamana: the degree R */
	int			m0;				/* longest level-0 list: 2m, or R */
	int			slot_bits;
	int			partitions;
	VgMetricKind metric;
	bool		keep_pruned;	/* the keep_pruned reloption, as built */
	VgStorage	storage;
	bool		half_input;		/* the column is halfvec, not vector */
	float		alpha;			/* Vamana: RobustPrune's, on distances */
	bool		two_pass;		/* Vamana: the build's first alpha-1 pass */
} VgShape;

/* Level-0 list length of a graph kind with this m. */
static inline int
VgM0(VgGraphKind graph, int m)
{
	return graph == VG_GRAPH_VAMANA ? m : 2 * m;
}

/*
 * Level-0 room of a build's in-memory lists: a Vamana build lets lists
 * grow past R before pruning them back (core/vg_vamana.c).
 */
static inline int
VgArenaM0(const VgShape *s)
{
	return s->graph == VG_GRAPH_VAMANA ? s->m0 + (3 * s->m0 + 9) / 10 : s->m0;
}

/*
 * The partition a row belongs to: a hash of its heap TID, so partitions are
 * unbiased samples of the table of nearly equal size, and a row's partition
 * never changes.
 */
static inline int
VgPartitionOf(ItemPointer tid, int partitions)
{
	uint64		x = ((uint64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(tid);

	if (partitions <= 1)
		return 0;
	x *= UINT64CONST(0x9E3779B97F4A7C15);
	return (int) ((x >> 32) % (uint64) partitions);
}

/* Bytes of one stored vector. */
static inline Size
VgVectorBytes(const VgShape *s)
{
	if (s->storage == VG_STORAGE_HALF)
		return offsetof(VgHalfVector, x) + sizeof(VgHalf) * s->dim;
	return sizeof(float) * s->dim;
}

static inline void *
VgNodeVector(VgNodeTuple t, const VgShape *s)
{
	return t->links0 + s->m0;
}

static inline Size
VgNodeTupleSize(const VgShape *s)
{
	return MAXALIGN(offsetof(VgNodeTupleData, links0) +
					sizeof(VgNodeId) * s->m0 + VgVectorBytes(s));
}

/*
 * The lists of levels 1..level of one node.  Its header mirrors a node
 * tuple's, so that the flags byte tells the two kinds apart.
 */
typedef struct VgUpperTupleData
{
	ItemPointerData unused;		/* invalid */
	uint8		level;
	uint8		flags;			/* VG_TUPLE_UPPER */
	uint32		lists[FLEXIBLE_ARRAY_MEMBER];
} VgUpperTupleData;

typedef VgUpperTupleData *VgUpperTuple;

/* The count word of level's list (level >= 1); the ids follow it. */
static inline uint32 *
VgUpperList(VgUpperTuple t, const VgShape *s, int level)
{
	return t->lists + (Size) (level - 1) * (1 + s->m);
}

static inline Size
VgUpperTupleSize(const VgShape *s, int level)
{
	return MAXALIGN(offsetof(VgUpperTupleData, lists) +
					sizeof(uint32) * (Size) level * (1 + s->m));
}

/* Room for one item on an otherwise empty node page. */
#define VG_MAX_ITEM_SIZE \
	(BLCKSZ - MAXALIGN(SizeOfPageHeaderData) - MAXALIGN(sizeof(VgPageOpaqueData)) - \
	 sizeof(ItemIdData))

static inline BlockNumber
VgNodeBlock(VgNodeId id, const VgShape *s)
{
	return (BlockNumber) (id >> s->slot_bits);
}

static inline OffsetNumber
VgNodeOffset(VgNodeId id, const VgShape *s)
{
	return (OffsetNumber) ((id & ((1u << s->slot_bits) - 1)) + 1);
}

static inline VgNodeId
VgMakeNodeId(BlockNumber blkno, OffsetNumber offnum, const VgShape *s)
{
	return ((VgNodeId) blkno << s->slot_bits) | (VgNodeId) (offnum - 1);
}

/* vgutils.c */
extern void VgInitPage(Page page, uint16 flags);
extern int	VgSlotBits(const VgShape *shape);
extern Relation OpenVecgraphIndex(Oid relid);
extern void VgReadShape(Relation index, VgShape *shape);
extern void VgReadMeta(Relation index, VgMetaPageData *meta);
extern VgMetricKind VgIndexMetric(Relation index);
extern VgMetric VgCoreMetric(const VgShape *shape);
extern VgMetric VgQueryMetric(const VgShape *shape);
extern VgHnswParams VgHnswParamsOf(const VgShape *shape, int ef_construction);
extern VgVamanaParams VgVamanaParamsOf(const VgShape *shape, int build_list_size);
extern float VgPruneAlpha(const VgShape *shape);
extern bool VgPrepareVector(VgMetricKind metric, float *x, int dim);
extern BlockNumber VgMaxNodeBlocks(const VgShape *shape);
extern BlockNumber VgBlocksCovering(Relation rel, BlockNumber blkno);
extern double VgEstimateRows(Relation heap);
extern double VgIndexedRowsBound(Relation heap, Relation index, const VgShape *shape);
extern uint32 VgArenaCapacityWithin(const VgShape *shape, Size budget);

/* vgtuple.c: tuples of a page, checked (see there) */
extern void VgReportCorrupt(Relation index, BlockNumber blkno, const char *detail) pg_attribute_noreturn();
extern void VgCheckItemBounds(Relation index, BlockNumber blkno, OffsetNumber off,
							  ItemId itemid);
extern VgNodeTuple VgNodeOnPage(Relation index, const VgShape *shape, Page page, VgNodeId id);
extern VgNodeTuple VgNodeOnPinnedPage(Relation index, const VgShape *shape, Page page, VgNodeId id);
extern VgUpperTuple VgUpperOnPage(Relation index, const VgShape *shape, Page page,
								  VgNodeId id, int level);
extern VgNodeTuple VgNextNodeOnPage(Relation index, const VgShape *shape, Page page,
									BlockNumber blkno, OffsetNumber *off);
extern void VgCheckMeta(Relation index, const VgMetaPageData *meta);

typedef enum VgMetaHint
{
	VG_HINT_INSERT_PAGE,
	VG_HINT_FREE_PAGE
} VgMetaHint;

extern void VgSetMetaHint(Relation index, VgMetaHint hint, BlockNumber blkno);

/* vgvacuum.c: shared with maintenance passes */
extern void VgLockRepair(Relation index);
extern bool VgTryLockRepair(Relation index);
extern void VgUnlockRepair(Relation index);
extern bool VgRepairLockHasWaiters(Relation index);
extern void VgRepairDeletedNodes(Relation index, BufferAccessStrategy strategy);

/* vgmaintain.c */
typedef struct VgMaintResult
{
	uint32		dead_marked;	/* nodes of dead rows this pass marked */
	uint32		dead_unvacuumed;	/* marked nodes VACUUM has yet to free */
	double		live;
	uint32		unreachable_found;
	uint32		unreachable_linked;
	int64		start;			/* TimestampTz */
	int64		end;
} VgMaintResult;

extern void VgDelayPoint(void);
extern void VgMaintainIndex(Relation heap, Relation index, bool yield, bool warm,
							VgMaintResult *res);
extern void VgReadMaintRecord(Relation index, VgMaintRecord *rec);
extern void VgWriteRecall(Relation index, double recall, int sample);

/* options */
typedef struct VgOptions
{
	int32		vl_len_;		/* varlena header (do not touch directly!) */
	int			graph_offset;	/* offset of the "graph" string */
	int			m;
	int			ef_construction;
	int			partitions_offset;	/* "auto" or 1 .. 64 */
	bool		keep_pruned;
	int			storage_offset; /* "float" or "half"; 0: by column type */
	int			degree;			/* Vamana */
	int			build_list_size;
	double		alpha;
	bool		two_pass;
} VgOptions;

extern bytea *vgoptions(Datum reloptions, bool validate);
extern int	VgOptionM(Relation index);
extern int	VgOptionEfConstruction(Relation index);
extern bool VgOptionKeepPruned(Relation index);
extern VgStorage VgOptionStorage(Relation index, bool half_input);
extern int	VgOptionPartitions(Relation index, double rows);
extern VgGraphKind VgOptionGraph(Relation index);
extern void VgOptionsVamana(Relation index, int *degree, int *build_list_size,
							double *alpha, bool *two_pass);
extern void VgInitReloptions(void);
extern void VgDefineSettings(void);

extern int	vg_ef_search;
extern int	vg_max_scan_tuples;
extern bool vg_reuse_distances;
extern bool vg_enable_parallel_scan;
extern double vg_parallel_worker_start_cost;
extern void VgInstallPlannerHook(void);
extern void VgInstallPathsHook(void);
extern void VgInstallFdwHook(void);
extern Cost VgSearchCost(double rows, int partitions, int m, int dim, int ef);
extern int	VgScanWorkers(int partitions, BlockNumber index_pages, int table_workers);
extern double VgParallelShare(int partitions, int workers);

/* AM callbacks */
extern IndexBuildResult *vgbuild(Relation heap, Relation index, IndexInfo *indexInfo);
extern void vgbuildempty(Relation index);
extern char *vgbuildphasename(int64 phasenum);
extern bool vginsert(Relation index, Datum *values, bool *isnull, ItemPointer heap_tid,
					 Relation heap, IndexUniqueCheck checkUnique,
					 bool indexUnchanged, IndexInfo *indexInfo);
extern IndexBulkDeleteResult *vgbulkdelete(IndexVacuumInfo *info,
										   IndexBulkDeleteResult *stats,
										   IndexBulkDeleteCallback callback,
										   void *callback_state);
extern IndexBulkDeleteResult *vgvacuumcleanup(IndexVacuumInfo *info,
											  IndexBulkDeleteResult *stats);
extern void vgcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
						   Cost *indexStartupCost, Cost *indexTotalCost,
						   Selectivity *indexSelectivity, double *indexCorrelation,
						   double *indexPages);
extern bool vgvalidate(Oid opclassoid);
extern IndexScanDesc vgbeginscan(Relation index, int nkeys, int norderbys);
extern void vgrescan(IndexScanDesc scan, ScanKey keys, int nkeys,
					 ScanKey orderbys, int norderbys);
extern bool vggettuple(IndexScanDesc scan, ScanDirection dir);
extern void vgendscan(IndexScanDesc scan);
extern Size vgestimateparallelscan(void);
extern void vginitparallelscan(void *target);
extern void vgparallelrescan(IndexScanDesc scan);

/* vgstore.c: the graph adapter over index pages */
typedef struct VgStoreData
{
	Relation	index;
	VgShape		shape;
	VgMetric	metric;
	bool		skip_deleted;	/* rank deleted nodes infinitely far (inserts) */
	bool		pin_only;		/* distances read nodes under a pin alone
								 * (scans; see vgstore.c) */
	Buffer		buf;			/* kept pinned between calls, or InvalidBuffer */
	MemoryContext vector_cxt;	/* copies handed out by the vector operation */
	struct HTAB *vectors;		/* node id -> copy, until VgStoreReset */
	struct VgNodeCache *cache;	/* scans: what distances() saw, or NULL */
	struct RecentBuffers *recent;	/* this backend's recent buffers of the
									 * index, a slot its stores share */
	int			partition;		/* the graph entry and offer_entry act on */
	BlockNumber nblocks;		/* the index's size when last looked at */
	BufferAccessStrategy strategy;	/* for whole-index walks; NULL: normal */
} VgStoreData;

typedef VgStoreData *VgStore;

extern const VgGraphOps VgStoreOps;
extern const VgAllocator *VgPallocAllocator(MemoryContext cxt);
extern void VgStoreInit(VgStore store, Relation index, bool skip_deleted);
extern void VgStoreInitScan(VgStore store, Relation index);
extern VgGraph VgStoreGraph(VgStore store);
extern void VgStoreReset(VgStore store);
extern void VgStoreRelease(VgStore store);
extern VgNodeTuple VgStoreLockNode(VgStore store, VgNodeId id, int mode);
extern Page VgStoreLockPage(VgStore store, BlockNumber blkno, int mode);
extern void VgStoreUnlock(VgStore store);
extern VgNodeId VgStoreAddNode(VgStore store, ItemPointer heaptid,
							   const void *vector, int level);

/* vginsert.c */
extern int	VgRandomLevel(int m);
extern void VgInsertVector(VgStore store, ItemPointer heaptid, const void *vector);

/* vgvector.c: vectors as the index keeps them */
extern bool VgIndexTakesHalfvec(Relation index);
extern void *VgValueToStored(Datum value, const VgShape *shape, Relation index);
extern void VgStoredToFloats(const VgShape *shape, const void *stored, float *out);
extern struct Vector *VgFloatsToValue(const VgShape *shape, const float *x);
extern void *VgValueToQuery(Datum value, const VgShape *shape, Relation index);
extern Size VgQueryBytes(const VgShape *shape);
extern double VgHalfLowerBound(const VgShape *shape, float ranking, float query_norm,
							   float error, float norm);

/* vgwrite.c */
extern void VgWriteInitMetaPage(Relation index, const VgMetaPageData *meta,
								const VgShape *shape);
extern void VgInitMeta(VgMetaPageData *meta, const VgShape *shape, int ef_construction);
extern void VgWriteArena(Relation index, const VgShape *shape, int ef_construction,
						 VgArena *arena, uint64 orphans_linked, int workers);

/* Heap TIDs travel through the core as 64-bit payloads. */
static inline uint64
VgTidToPayload(ItemPointer tid)
{
	return ((uint64) ItemPointerGetBlockNumberNoCheck(tid) << 16) |
		ItemPointerGetOffsetNumberNoCheck(tid);
}

static inline void
VgPayloadToTid(uint64 payload, ItemPointer tid)
{
	ItemPointerSet(tid, (BlockNumber) (payload >> 16), (OffsetNumber) (payload & 0xFFFF));
}

#endif							/* VGAM_H */
