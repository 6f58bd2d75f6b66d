/*-------------------------------------------------------------------------
 *
 * vgbuild.c
 *	  CREATE INDEX for vecgraph: build the graph in memory, write it once.
 *
 * NOTES
 *	  The heap is scanned once; each row's vector is inserted into an HNSW
 *	  graph held in a core arena (vg_arena.h) in backend memory, so the
 *	  build runs at in-memory speed with no buffer locking.  The arena
 *	  starts small and doubles, never beyond maintenance_work_mem.  When
 *	  the graph would outgrow it, the graph built so far is written out and
 *	  the remaining rows are inserted on disk through the same path as
 *	  INSERT (slower; a NOTICE names the setting to raise).
 *
 *	  Every node joins the graph through a tree link (core/vg_tree.c), so
 *	  none is left unreachable; an in-memory build still ends by checking
 *	  that (vg_hnsw_link_orphans, which would link any it found), then
 *	  writes pages in order and WAL-logs them in bulk.
 *
 *	  The level generator has a fixed seed: building the same rows in the
 *	  same order gives the same graph.
 *
 *	  When workers are planned, vgparallel.c builds the same graph in shared
 *	  memory with them instead, and falls back to this serial path when it
 *	  cannot.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <sys/mman.h>
#include <unistd.h>

#include "access/tableam.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "portability/instr_time.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "core/vg_arena.h"
#include "vecgraph.h"
#include "vgam.h"
#include "vgbuild.h"

#define VG_INITIAL_CAPACITY 1024

typedef struct VgBuildState
{
	Relation	heap;
	Relation	index;
	VgShape		shape;
	VgHnswParams params;
	Size		budget;			/* maintenance_work_mem in bytes */
	MemoryContext tuple_cxt;	/* reset after every row */

	/* the in-memory graph */
	void	   *arena_mem;		/* unaligned allocation holding the arena */
	VgArena    *arena;
	uint32		capacity;
	VgGraphOps	ops;			/* arena ops with interrupt checks */
	VgGraph		graph;
	VgInsertScratch scratch;
	uint64		rng;

	/* once the graph outgrew the budget: inserts through pages */
	bool		on_disk;
	VgStoreData store;

	double		heap_tuples;
	double		index_tuples;
} VgBuildState;

static void
CheckInterrupts(void *store)
{
	CHECK_FOR_INTERRUPTS();
}

/* The arena's graph under shape's metric, its operations (ops) checking for interrupts. */
static VgGraph
ArenaGraph(VgArena *arena, const VgShape *shape, VgGraphOps *ops)
{
	VgGraph		graph = vg_arena_graph(arena, VgCoreMetric(shape));

	*ops = vg_arena_ops;
	ops->check_interrupts = CheckInterrupts;
	graph.ops = ops;
	return graph;
}

/*
 * Rows the index will probably hold, for the automatic partition count: the
 * planner's estimate, but never more than the table's pages can hold.  A
 * table loaded without ANALYZE is estimated at 32 bytes a vector, which for
 * vectors stored in line (halfvec(784), vector(384)) is thirty times too
 * many rows, and would split a 60,000-row index into 4 partitions.
 */
static double
ExpectedRows(Relation heap, Relation index, const VgShape *shape)
{
	double		rows = VgEstimateRows(heap);
	double		bound = VgIndexedRowsBound(heap, index, shape);

	return bound >= 0 ? Min(rows, bound) : rows;
}

/* The shape an index of heap will have, checked against the limits. */
static void
InitShape(Relation heap, Relation index, VgShape *shape, int *ef_construction)
{
	int			typmod = TupleDescAttr(RelationGetDescr(index), 0)->atttypmod;

	MemSet(shape, 0, sizeof(VgShape));
	shape->graph = VgOptionGraph(index);
	shape->metric = VgIndexMetric(index);
	shape->half_input = VgIndexTakesHalfvec(index);
	shape->storage = VgOptionStorage(index, shape->half_input);
	if (shape->graph == VG_GRAPH_VAMANA)
	{
		double		alpha;

		VgOptionsVamana(index, &shape->m, ef_construction, &alpha, &shape->two_pass);
		shape->alpha = (float) alpha;
	}
	else
	{
		shape->m = VgOptionM(index);
		shape->keep_pruned = VgOptionKeepPruned(index);
		shape->alpha = 1.0f;
		*ef_construction = VgOptionEfConstruction(index);
	}
	shape->m0 = VgM0(shape->graph, shape->m);

	if (shape->graph == VG_GRAPH_HNSW && *ef_construction < 2 * shape->m)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("ef_construction must be at least twice m: ef_construction is %d, m is %d",
						*ef_construction, shape->m),
				 errhint("Set ef_construction to %d or more.", 2 * shape->m)));
	if (typmod < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("column does not have dimensions"),
				 errhint("Declare the column with a dimension count, as in vector(3).")));
	shape->dim = typmod;
	if (shape->dim > (shape->storage == VG_STORAGE_HALF ? VG_MAX_DIM_HALF : VG_MAX_DIM_FLOAT))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("vecgraph indexes with %s storage hold at most %d dimensions, the column has %d",
						shape->storage == VG_STORAGE_HALF ? "half" : "float",
						shape->storage == VG_STORAGE_HALF ? VG_MAX_DIM_HALF : VG_MAX_DIM_FLOAT,
						shape->dim),
				 shape->storage == VG_STORAGE_FLOAT && shape->dim <= VG_MAX_DIM_HALF ?
				 errhint("Build the index WITH (storage = 'half') to index up to %d dimensions.",
						 VG_MAX_DIM_HALF) : 0));
	if (VgNodeTupleSize(shape) > VG_MAX_ITEM_SIZE)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("a node of %d dimensions with %s = %d needs %zu bytes, more than the %zu an index page holds",
						shape->dim, shape->graph == VG_GRAPH_VAMANA ? "degree" : "m",
						shape->m, VgNodeTupleSize(shape), (Size) VG_MAX_ITEM_SIZE),
				 errhint("Use a smaller %s.", shape->graph == VG_GRAPH_VAMANA ? "degree" : "m")));
	shape->slot_bits = VgSlotBits(shape);
	shape->partitions = VgOptionPartitions(index, heap ? ExpectedRows(heap, index, shape) : 0);
}

/*
 * Maps the pages of [start, start + len) into this process now, writable.
 * A build touches every page of its arena, and each first touch by a
 * process is a page fault -- on a virtual machine often a trap to the
 * hypervisor: 47,000 of them per process for Fashion-MNIST's 190 MB.
 * One madvise maps many at once (Linux 5.14 and later; elsewhere it fails
 * and the pages fault in as before); in steps of 64 MB, so that a cancel
 * is seen between them.  A DSM segment's pages exist already
 * (posix_fallocate): a parallel participant only maps them.
 */
void
VgPrefault(void *start, Size len)
{
#ifdef MADV_POPULATE_WRITE
	const Size	step = (Size) 64 << 20;
	Size		page = (Size) sysconf(_SC_PAGESIZE);
	uintptr_t	lo = TYPEALIGN(page, (uintptr_t) start);
	uintptr_t	hi = TYPEALIGN_DOWN(page, (uintptr_t) start + len);

	for (uintptr_t at = lo; at < hi; at += step)
	{
		CHECK_FOR_INTERRUPTS();
		if (madvise((void *) at, Min(step, hi - at), MADV_POPULATE_WRITE) != 0)
			return;
	}
#endif
}

/* Allocates an arena for capacity nodes, copying the current one if any. */
static void
ResizeArena(VgBuildState *bs, uint32 capacity)
{
	Size		size = vg_arena_size(capacity, VgVectorBytes(&bs->shape), VgArenaM0(&bs->shape),
								 bs->shape.m);
	void	   *mem = MemoryContextAllocHuge(CurrentMemoryContext, size + 64);
	void	   *aligned = (void *) TYPEALIGN(64, mem);

	VgPrefault(mem, size + 64);
	if (bs->arena == NULL)
		bs->arena = vg_arena_init(aligned, capacity, VgVectorBytes(&bs->shape),
								  VgArenaM0(&bs->shape), bs->shape.m, false);
	else
	{
		bs->arena = vg_arena_grow(bs->arena, aligned, capacity);
		pfree(bs->arena_mem);
	}
	bs->arena_mem = mem;
	bs->capacity = capacity;
	bs->graph.store = bs->arena;
}

/*
 * Makes room for one more node: doubles the arena within the budget.
 * Returns false when the budget is spent.
 */
static bool
GrowArena(VgBuildState *bs)
{
	uint32		limit = VgArenaCapacityWithin(&bs->shape, bs->budget);
	uint32		want = bs->capacity * 2;

	if (want > limit)
		want = limit;
	if (want <= bs->capacity)
		return false;
	ResizeArena(bs, want);
	return true;
}

/* Writes the graph built so far and continues on disk. */
static void
SpillToDisk(VgBuildState *bs)
{
	ereport(NOTICE,
			(errmsg("vecgraph graph no longer fits into maintenance_work_mem after %.0f rows",
					bs->index_tuples),
			 errdetail("The remaining rows are inserted into the index on disk, which is much slower."),
			 errhint("Increase maintenance_work_mem to build the index faster.")));
	if (bs->shape.graph == VG_GRAPH_VAMANA)
		VgBuildVamanaInArena(&bs->shape, bs->params.ef_construction, bs->arena);
	VgWriteArena(bs->index, &bs->shape, bs->params.ef_construction, bs->arena, 0, 0);
	vg_insert_scratch_free(&bs->scratch);
	pfree(bs->arena_mem);
	bs->arena_mem = NULL;
	bs->arena = NULL;
	bs->on_disk = true;
	VgStoreInit(&bs->store, bs->index, true);
}

/*
 * Adds a row to the in-memory graph: an HNSW insert, or for Vamana only
 * the node, linked once all are loaded.
 */
static void
AddInMemory(VgBuildState *bs, ItemPointer tid, const void *vector)
{
	bool		vamana = bs->shape.graph == VG_GRAPH_VAMANA;
	int			level = vamana ? 0 : vg_hnsw_random_level(bs->params.level_mult, &bs->rng);
	int			partition = VgPartitionOf(tid, bs->shape.partitions);
	VgNodeId	id;
	VgStatus	st;

	st = vg_arena_add(bs->arena, vector, level, partition, VgTidToPayload(tid), &id);
	if (st == VG_ERR_FULL)
	{
		if (!GrowArena(bs))
		{
			SpillToDisk(bs);
			VgInsertVector(&bs->store, tid, vector);
			return;
		}
		st = vg_arena_add(bs->arena, vector, level, partition, VgTidToPayload(tid), &id);
	}
	bs->graph.partition = partition;
	if (st == VG_OK && !vamana)
		st = vg_hnsw_insert(&bs->graph, &bs->params, id, level, &bs->scratch);
	if (st != VG_OK)
		elog(ERROR, "vecgraph build failed with status %d", (int) st);
}

static void
BuildCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
			  bool tupleIsAlive, void *state)
{
	VgBuildState *bs = state;
	MemoryContext old;
	void	   *vector;

	bs->heap_tuples++;
	if (isnull[0])
		return;

	old = MemoryContextSwitchTo(bs->tuple_cxt);
	vector = VgValueToStored(values[0], &bs->shape, index);
	if (vector != NULL)
	{
		if (bs->on_disk)
			VgInsertVector(&bs->store, tid, vector);
		else
		{
			/* the arena outlives the row: grow it outside the row's context */
			MemoryContextSwitchTo(old);
			AddInMemory(bs, tid, vector);
		}
		bs->index_tuples++;
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE, (int64) bs->index_tuples);
	}
	MemoryContextSwitchTo(old);
	MemoryContextReset(bs->tuple_cxt);
}

static void
InitBuildState(VgBuildState *bs, Relation heap, Relation index,
			   const VgShape *shape, int ef_construction)
{
	double		bound = VgIndexedRowsBound(heap, index, shape);
	double		rows = bound >= 0 ? bound : heap->rd_rel->reltuples;
	uint32		fits;

	MemSet(bs, 0, sizeof(VgBuildState));
	bs->heap = heap;
	bs->index = index;
	bs->shape = *shape;
	bs->params = VgHnswParamsOf(&bs->shape, ef_construction);
	bs->budget = (Size) maintenance_work_mem * 1024;
	bs->rng = VG_BUILD_SEED;
	bs->tuple_cxt = AllocSetContextCreate(CurrentMemoryContext, "vecgraph build row",
										  ALLOCSET_DEFAULT_SIZES);
	bs->ops = vg_arena_ops;
	bs->ops.check_interrupts = CheckInterrupts;
	bs->graph.ops = &bs->ops;
	bs->graph.metric = VgCoreMetric(&bs->shape);

	/* start near the table's size when it is known, within the budget */
	fits = VgArenaCapacityWithin(&bs->shape, bs->budget);
	if (rows > fits)
		ereport(NOTICE,
				(errmsg("vecgraph index \"%s\" may not fit into maintenance_work_mem: the table can hold up to %.0f rows, the graph of %u fits",
						RelationGetRelationName(index), rows, fits),
				 errdetail("Rows past that are inserted into the index on disk, which is much slower."),
				 errhint("Set maintenance_work_mem to %zu MB or more to build the index in memory.",
						 (vg_arena_size((uint32) Min(rows, (double) (PG_UINT32_MAX - 1)),
										VgVectorBytes(shape), VgArenaM0(shape), shape->m) >> 20) + 1)));
	ResizeArena(bs, (uint32) Max(VG_INITIAL_CAPACITY,
								 Min(rows > 0 ? rows * 1.05 : 0, (double) fits)));
	if (vg_insert_scratch_init(&bs->scratch, &bs->params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
}

/*
 * Links the nodes loaded into arena into a Vamana graph, as one
 * participant (vgparallel.c runs the same steps with workers).
 */
void
VgBuildVamanaInArena(const VgShape *shape, int build_list_size, VgArena *arena)
{
	VgVamanaParams params = VgVamanaParamsOf(shape, build_list_size);
	uint32		n = vg_arena_count(arena);
	VgVamanaBuild *b = palloc_extended(vg_vamana_build_size(n, shape->partitions),
									   MCXT_ALLOC_HUGE);
	VgGraphOps	ops;
	VgGraph		graph = ArenaGraph(arena, shape, &ops);
	VgVamanaScratch s;

	if (vg_vamana_scratch_init(&s, &params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	vg_vamana_build_init(b, &params, arena, shape->partitions);
	for (int step = VG_VAMANA_INIT; step < VG_VAMANA_STEPS; step++)
	{
		instr_time	start,
					end;

		INSTR_TIME_SET_CURRENT(start);
		pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, VgVamanaPhase(step));
		if (vg_vamana_build_work(b, &graph, (VgVamanaStep) step, &s) != VG_OK)
			elog(ERROR, "vecgraph build failed");
		if (step == VG_VAMANA_INIT)
			vg_vamana_build_medoids(b, &graph);
		INSTR_TIME_SET_CURRENT(end);
		INSTR_TIME_SUBTRACT(end, start);
		elog(DEBUG1, "vecgraph Vamana build: %s took %.3f s",
			 vgbuildphasename(VgVamanaPhase(step)), INSTR_TIME_GET_DOUBLE(end));
	}
	vg_vamana_scratch_free(&s);
	VgVamanaTreeLinks(shape, build_list_size, arena, b);
	pfree(b);
}

/*
 * The last step of a Vamana build, by one participant: tree links over the
 * finished graph (core/vg_vamana.c), which inserts and VACUUM rely on.
 */
void
VgVamanaTreeLinks(const VgShape *shape, int build_list_size, VgArena *arena,
				  VgVamanaBuild *b)
{
	VgVamanaParams params = VgVamanaParamsOf(shape, build_list_size);
	VgGraphOps	ops;
	VgGraph		graph = ArenaGraph(arena, shape, &ops);
	VgVamanaScratch s;
	uint32		attached;

	instr_time	start,
				end;

	INSTR_TIME_SET_CURRENT(start);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, VG_PHASE_VAMANA_TREE);
	if (vg_vamana_scratch_init(&s, &params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK ||
		vg_vamana_build_tree(b, &graph, &s, &attached) != VG_OK)
		elog(ERROR, "out of memory");
	INSTR_TIME_SET_CURRENT(end);
	INSTR_TIME_SUBTRACT(end, start);
	elog(DEBUG1, "vecgraph Vamana build: tree links in %.3f s, %u of %u nodes joined the tree by search",
		 INSTR_TIME_GET_DOUBLE(end), attached, vg_arena_count(arena));
	vg_vamana_scratch_free(&s);
}

/*
 * Links unreachable nodes of a finished in-memory graph and writes it out;
 * shared by the serial and the parallel build.
 */
void
VgFinishArena(Relation index, const VgShape *shape, int ef_construction,
			  VgArena *arena, int workers)
{
	VgHnswParams params = VgHnswParamsOf(shape, ef_construction);
	VgGraphOps	ops;
	VgGraph		graph = ArenaGraph(arena, shape, &ops);
	VgInsertScratch scratch;
	uint32		linked = 0;
	instr_time	start,
				linked_at,
				written;

	INSTR_TIME_SET_CURRENT(start);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, VG_PHASE_LINK);
	if (vg_insert_scratch_init(&scratch, &params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	for (int part = 0; part < shape->partitions; part++)
	{
		uint32		n = vg_arena_count(arena);
		VgNodeId   *ids = palloc_extended(sizeof(VgNodeId) * Max(n, 1), MCXT_ALLOC_HUGE);
		uint32		count = 0;
		uint32		part_linked;

		/* with one partition, every node: the dense ids need no list */
		if (shape->partitions > 1)
			for (VgNodeId id = 0; id < n; id++)
				if (vg_arena_partition(arena, id) == part)
					ids[count++] = id;
		graph.partition = part;
		if (vg_hnsw_link_orphans(&graph, &params, shape->partitions > 1 ? ids : NULL,
								 shape->partitions > 1 ? count : n,
								 &scratch, &part_linked) != VG_OK)
			elog(ERROR, "out of memory");
		linked += part_linked;
		pfree(ids);
	}
	vg_insert_scratch_free(&scratch);
	INSTR_TIME_SET_CURRENT(linked_at);

	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, VG_PHASE_WRITE);
	VgWriteArena(index, shape, ef_construction, arena, linked, workers);
	INSTR_TIME_SET_CURRENT(written);
	INSTR_TIME_SUBTRACT(written, linked_at);
	INSTR_TIME_SUBTRACT(linked_at, start);
	elog(DEBUG1, "vecgraph build of \"%s\": linked %u unreachable nodes in %.3f s, wrote %u blocks in %.3f s",
		 RelationGetRelationName(index), linked, INSTR_TIME_GET_DOUBLE(linked_at),
		 RelationGetNumberOfBlocks(index), INSTR_TIME_GET_DOUBLE(written));
}

static void
BuildSerial(Relation heap, Relation index, IndexInfo *indexInfo, const VgShape *shape,
			int ef_construction, double *reltuples, double *indtuples)
{
	VgBuildState bs;

	InitBuildState(&bs, heap, index, shape, ef_construction);
	table_index_build_scan(heap, index, indexInfo, true, true, BuildCallback, &bs, NULL);
	if (bs.on_disk)
		VgStoreRelease(&bs.store);
	else
	{
		vg_insert_scratch_free(&bs.scratch);
		if (shape->graph == VG_GRAPH_VAMANA)
			VgBuildVamanaInArena(&bs.shape, ef_construction, bs.arena);
		VgFinishArena(index, &bs.shape, ef_construction, bs.arena, 0);
		pfree(bs.arena_mem);
	}
	MemoryContextDelete(bs.tuple_cxt);
	*reltuples = bs.heap_tuples;
	*indtuples = bs.index_tuples;
}

IndexBuildResult *
vgbuild(Relation heap, Relation index, IndexInfo *indexInfo)
{
	IndexBuildResult *result = palloc(sizeof(IndexBuildResult));
	VgShape		shape;
	int			ef_construction;
	int			workers;
	int			launched = 0;
	instr_time	start;

	if (RelationGetNumberOfBlocks(index) != 0)
		elog(ERROR, "index \"%s\" already contains data", RelationGetRelationName(index));
	InitShape(heap, index, &shape, &ef_construction);
	INSTR_TIME_SET_CURRENT(start);
	pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, VG_PHASE_LOAD);
	if (heap->rd_rel->reltuples > 0)
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_TOTAL,
									 (int64) heap->rd_rel->reltuples);

	workers = VgPlanBuildWorkers(heap, index);
	if (workers == 0 ||
		!VgBuildParallel(heap, index, indexInfo, &shape, ef_construction, workers,
						 &result->heap_tuples, &result->index_tuples, &launched))
	{
		launched = 0;
		BuildSerial(heap, index, indexInfo, &shape, ef_construction,
					&result->heap_tuples, &result->index_tuples);
	}
	{
		instr_time	now;

		INSTR_TIME_SET_CURRENT(now);
		INSTR_TIME_SUBTRACT(now, start);
		elog(DEBUG1, "vecgraph build of \"%s\": %.0f rows with %d parallel workers in %.3f s",
			 RelationGetRelationName(index), result->index_tuples, launched,
			 INSTR_TIME_GET_DOUBLE(now));
	}
	return result;
}

/* An unlogged index's init fork: an empty graph. */
void
vgbuildempty(Relation index)
{
	VgShape		shape;
	int			ef_construction;
	VgMetaPageData meta;

	InitShape(NULL, index, &shape, &ef_construction);
	VgInitMeta(&meta, &shape, ef_construction);
	VgWriteInitMetaPage(index, &meta, &shape);
}

char *
vgbuildphasename(int64 phasenum)
{
	switch (phasenum)
	{
		case PROGRESS_CREATEIDX_SUBPHASE_INITIALIZE:
			return "initializing";
		case VG_PHASE_LOAD:
			return "loading tuples into the graph";
		case VG_PHASE_LINK:
			return "linking unreachable nodes";
		case VG_PHASE_WRITE:
			return "writing index pages";
		case VG_PHASE_VAMANA_INIT:
			return "Vamana: choosing the medoid";
		case VG_PHASE_VAMANA_PASS1:
			return "Vamana: first pass (alpha 1)";
		case VG_PHASE_VAMANA_PASS2:
			return "Vamana: linking pass";
		case VG_PHASE_VAMANA_TRIM:
			return "Vamana: pruning long lists";
		case VG_PHASE_VAMANA_TREE:
			return "Vamana: tree links";
		default:
			return NULL;
	}
}
