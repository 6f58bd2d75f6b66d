/*-------------------------------------------------------------------------
 *
 * vgparallel.c
 *	  Parallel CREATE INDEX for vecgraph through a ParallelContext.
 *
 * NOTES
 *	  The skeleton is nbtree's sorted build (nbtsort.c): the leader plans
 *	  the workers, sets up a DSM segment, launches the workers, takes part
 *	  as one more participant, waits, and then finishes alone.  What the
 *	  participants share is one HNSW graph: a core arena (vg_arena.h) in the
 *	  DSM segment, addressed by offsets and node ids so that every process
 *	  maps it where it likes, with a spinlock per node and one for the entry
 *	  point (C11 atomics, held only to copy or swap a list).  Each
 *	  participant scans its share of the heap (a parallel table scan) and
 *	  inserts what it reads with the same vg_hnsw_insert as a serial build;
 *	  the reverse-link compare-and-swap keeps concurrent inserts correct.
 *	  Then the leader links unreachable nodes and writes the pages, as a
 *	  serial build does, straight from the shared arena.
 *
 *	  Memory is sized to the data: the arena holds as many rows as the
 *	  table's pages can hold (VgIndexedRowsBound; the planner's estimate
 *	  of a table loaded and never analyzed is often short, and an arena
 *	  that fills up means building again), within maintenance_work_mem.
 *	  When the estimate cannot fit,
 *	  when /dev/shm cannot hold the segment, when no worker starts, or when
 *	  the table turns out larger than estimated (the arena fills up), the
 *	  build backs out to the serial path -- which degrades gracefully past
 *	  the budget -- with a NOTICE or DEBUG1 line saying why.  It never fails
 *	  for lack of shared memory.
 *
 *	  Workers: the table's parallel_workers option if set, else one worker
 *	  once the table (heap and TOAST together: wide vectors live in TOAST,
 *	  where the core planner does not look) reaches
 *	  min_parallel_table_scan_size, and one more for each tripling, within
 *	  max_parallel_maintenance_workers.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <sys/statvfs.h>

#include "access/parallel.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "catalog/index.h"
#include "commands/progress.h"
#include "executor/instrument.h"
#include "miscadmin.h"
#include "optimizer/optimizer.h"
#include "optimizer/paths.h"
#include "optimizer/plancat.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "storage/barrier.h"
#include "storage/dsm_impl.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "core/vg_arena.h"
#include "vgam.h"
#include "vgbuild.h"

/* Keys of the shm_toc. */
#define VG_KEY_SHARED		UINT64CONST(0xA000000000000001)
#define VG_KEY_ARENA		UINT64CONST(0xA000000000000002)
#define VG_KEY_QUERY_TEXT	UINT64CONST(0xA000000000000003)
#define VG_KEY_WAL_USAGE	UINT64CONST(0xA000000000000004)
#define VG_KEY_BUFFER_USAGE UINT64CONST(0xA000000000000005)
#define VG_KEY_VAMANA		UINT64CONST(0xA000000000000006)

/*
 * A Vamana build's phases (the shared barrier's): the heap scan loads the
 * nodes, then one participant sets up the build, all take the random-list
 * step, one picks the medoids, all take the passes and the trim.  A worker
 * that starts late joins at whatever phase is running.
 */
enum
{
	VAMANA_LOAD,
	VAMANA_PREPARE,				/* serial */
	VAMANA_INIT,
	VAMANA_MEDOIDS,				/* serial */
	VAMANA_PASS1,
	VAMANA_PASS2,
	VAMANA_TRIM,
	VAMANA_DONE
};

/* The arena holds the estimated rows times this, plus VG_ROWS_SLACK. */
#define VG_ROWS_MARGIN		1.15
#define VG_ROWS_SLACK		1024

typedef struct VgBuildShared
{
	/* Set by the leader before launch, then read-only. */
	Oid			heaprelid;
	Oid			indexrelid;
	bool		isconcurrent;
	uint64		queryid;
	VgShape		shape;
	int			ef_construction;

	/* Protected by mutex: what the participants report when done. */
	slock_t		mutex;
	int			nparticipantsdone;
	double		reltuples;		/* heap tuples seen */
	double		indtuples;		/* rows inserted into the graph */
	bool		arena_full;		/* a row found no room: back out */

	/* Lock-free: rows inserted so far, for progress reporting. */
	pg_atomic_uint64 inserted;

	/* Vamana: the phases, and whether they were given up (arena full) */
	Barrier		barrier;
	bool		abandon;

	/* The parallel heap scan descriptor follows, BUFFERALIGNed. */
} VgBuildShared;

#define ParallelTableScanFromShared(shared) \
	(ParallelTableScanDesc) ((char *) (shared) + BUFFERALIGN(sizeof(VgBuildShared)))

/* One participant's state while scanning. */
typedef struct VgParticipant
{
	VgBuildShared *shared;
	VgArena    *arena;
	VgGraphOps	ops;
	VgGraph		graph;
	VgHnswParams params;
	VgInsertScratch scratch;
	VgVamanaBuild *vamana;		/* the shared build state, for Vamana */
	uint64		rng;
	bool		leader;
	MemoryContext tuple_cxt;
	double		indtuples;
	bool		full;
} VgParticipant;

static void
CheckInterrupts(void *store)
{
	CHECK_FOR_INTERRUPTS();
}

/* Pages of the table, its TOAST table included. */
static BlockNumber
TablePages(Relation heap)
{
	BlockNumber pages = RelationGetNumberOfBlocks(heap);

	if (OidIsValid(heap->rd_rel->reltoastrelid))
	{
		Relation	toast = table_open(heap->rd_rel->reltoastrelid, AccessShareLock);

		pages += RelationGetNumberOfBlocks(toast);
		table_close(toast, AccessShareLock);
	}
	return pages;
}

/* How many workers to ask for; see the NOTES. */
int
VgPlanBuildWorkers(Relation heap, Relation index)
{
	int			workers;
	double		pages;
	double		threshold = Max(min_parallel_table_scan_size, 1);

	if (max_parallel_maintenance_workers == 0 || !IsUnderPostmaster ||
		IsParallelWorker() || heap->rd_rel->relpersistence == RELPERSISTENCE_TEMP)
		return 0;
	/* expressions and predicates: the core planner knows their safety */
	if (RelationGetIndexExpressions(index) != NIL || RelationGetIndexPredicate(index) != NIL)
		return plan_create_index_workers(RelationGetRelid(heap), RelationGetRelid(index));

	workers = RelationGetParallelWorkers(heap, -1);
	if (workers < 0)
	{
		pages = TablePages(heap);
		workers = 0;
		for (double t = threshold; pages >= t && workers < INT_MAX / 2; t *= 3)
			workers++;
	}
	return Min(workers, max_parallel_maintenance_workers);
}

/*
 * Can /dev/shm hold a segment of size bytes?  Containers often give it
 * 64 MB; POSIX shared memory past that fails the build at allocation.
 */
static bool
DsmCanHold(Size size)
{
	struct statvfs st;

	if (dynamic_shared_memory_type != DSM_IMPL_POSIX)
		return true;
	if (statvfs("/dev/shm", &st) != 0)
		return true;			/* cannot tell; let PostgreSQL try */
	return (double) st.f_bavail * st.f_frsize > (double) size * 1.05;
}

/* Inserts one prepared vector into the shared graph. */
static void
InsertShared(VgParticipant *p, ItemPointer tid, const void *vector)
{
	bool		vamana = p->shared->shape.graph == VG_GRAPH_VAMANA;
	int			level = vamana ? 0 : vg_hnsw_random_level(p->params.level_mult, &p->rng);
	int			partition = VgPartitionOf(tid, p->shared->shape.partitions);
	VgNodeId	id;
	VgStatus	st = vg_arena_add(p->arena, vector, level, partition, VgTidToPayload(tid), &id);

	if (st == VG_ERR_FULL)
	{
		p->full = true;
		return;
	}
	p->graph.partition = partition;
	if (st == VG_OK && !vamana)
		st = vg_hnsw_insert(&p->graph, &p->params, id, level, &p->scratch);
	if (st != VG_OK)
		elog(ERROR, "vecgraph parallel build failed with status %d", (int) st);
	p->indtuples++;
	pg_atomic_fetch_add_u64(&p->shared->inserted, 1);
}

static void
ParallelCallback(Relation index, ItemPointer tid, Datum *values, bool *isnull,
				 bool tupleIsAlive, void *state)
{
	VgParticipant *p = state;
	MemoryContext old;
	void	   *vector;

	if (isnull[0] || p->full)
		return;
	old = MemoryContextSwitchTo(p->tuple_cxt);
	vector = VgValueToStored(values[0], &p->shared->shape, index);
	if (vector != NULL)
		InsertShared(p, tid, vector);
	MemoryContextSwitchTo(old);
	MemoryContextReset(p->tuple_cxt);

	if (p->leader && ((int64) p->indtuples & 255) == 0)
		pgstat_progress_update_param(PROGRESS_CREATEIDX_TUPLES_DONE,
									 (int64) pg_atomic_read_u64(&p->shared->inserted));
}

/* Vamana phases of parallel work: the core's step. */
static int
VamanaStepOf(int phase)
{
	switch (phase)
	{
		case VAMANA_INIT:
			return VG_VAMANA_INIT;
		case VAMANA_PASS1:
			return VG_VAMANA_PASS1;
		case VAMANA_PASS2:
			return VG_VAMANA_PASS2;
		case VAMANA_TRIM:
			return VG_VAMANA_TRIM;
	}
	return -1;
}

/*
 * One participant's Vamana build: the phases in order, from the one
 * running when it arrives; the heap scan is the first.  Returns the heap
 * tuples its scan saw.
 */
static double
ParticipateVamana(VgParticipant *p, Relation heap, Relation index, IndexInfo *indexInfo,
				  TableScanDesc scan)
{
	VgBuildShared *shared = p->shared;
	VgVamanaParams params = VgVamanaParamsOf(&shared->shape, shared->ef_construction);
	VgVamanaScratch s;
	double		reltuples = 0;
	bool		scanned = false;
	int			phase = BarrierAttach(&shared->barrier);

	if (vg_vamana_scratch_init(&s, &params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");
	while (phase < VAMANA_DONE)
	{
		int			step = VamanaStepOf(phase);
		bool		elected;
		instr_time	start,
					end;

		INSTR_TIME_SET_CURRENT(start);

		if (p->leader && step >= 0)
			pgstat_progress_update_param(PROGRESS_CREATEIDX_SUBPHASE, VgVamanaPhase(step));
		if (phase == VAMANA_LOAD)
		{
			reltuples = table_index_build_scan(heap, index, indexInfo, true, p->leader,
											   ParallelCallback, p, scan);
			scanned = true;
			SpinLockAcquire(&shared->mutex);
			shared->arena_full |= p->full;
			SpinLockRelease(&shared->mutex);
		}
		else if (step >= 0 && !shared->abandon &&
				 vg_vamana_build_work(p->vamana, &p->graph, (VgVamanaStep) step, &s) != VG_OK)
			elog(ERROR, "vecgraph parallel build failed");

		elected = BarrierArriveAndWait(&shared->barrier, PG_WAIT_EXTENSION);
		INSTR_TIME_SET_CURRENT(end);
		INSTR_TIME_SUBTRACT(end, start);
		if (p->leader)
			elog(DEBUG1, "vecgraph parallel Vamana build: phase %d took %.3f s",
				 phase, INSTR_TIME_GET_DOUBLE(end));
		phase = BarrierPhase(&shared->barrier);
		/* the serial phases: the others wait for the elected one to arrive */
		if (elected && phase == VAMANA_PREPARE)
		{
			shared->abandon = shared->arena_full;
			if (!shared->abandon)
				vg_vamana_build_init(p->vamana, &params, p->arena, shared->shape.partitions);
		}
		if (elected && phase == VAMANA_MEDOIDS && !shared->abandon)
			vg_vamana_build_medoids(p->vamana, &p->graph);
	}
	BarrierDetach(&shared->barrier);
	vg_vamana_scratch_free(&s);
	/* a participant that came after the load ends the scan it never ran */
	if (!scanned)
		table_endscan(scan);
	return reltuples;
}

/*
 * One participant's share: scan the heap in parallel, insert into the
 * shared graph (for Vamana, then link it: ParticipateVamana), report.
 * Runs in workers and in the leader.
 */
static void
Participate(VgBuildShared *shared, VgArena *arena, VgVamanaBuild *vamana, Relation heap,
			Relation index, bool leader)
{
	VgParticipant p;
	IndexInfo  *indexInfo = BuildIndexInfo(index);
	TableScanDesc scan;
	double		reltuples;

	MemSet(&p, 0, sizeof(p));
	p.shared = shared;
	p.arena = arena;
	p.vamana = vamana;
	p.leader = leader;
	p.params = VgHnswParamsOf(&shared->shape, shared->ef_construction);
	p.ops = vg_arena_ops;
	p.ops.check_interrupts = CheckInterrupts;
	p.graph = vg_arena_graph(arena, VgCoreMetric(&shared->shape));
	p.graph.ops = &p.ops;
	/* each participant draws its own levels */
	p.rng = VG_BUILD_SEED ^ ((uint64) (ParallelWorkerNumber + 2) * UINT64CONST(0x9E3779B97F4A7C15));
	p.tuple_cxt = AllocSetContextCreate(CurrentMemoryContext, "vecgraph parallel build row",
										ALLOCSET_DEFAULT_SIZES);
	if (vg_insert_scratch_init(&p.scratch, &p.params, VgPallocAllocator(CurrentMemoryContext)) != VG_OK)
		elog(ERROR, "out of memory");

	indexInfo->ii_Concurrent = shared->isconcurrent;
	VgPrefault(arena, vg_arena_bytes(arena));
	scan = table_beginscan_parallel(heap, ParallelTableScanFromShared(shared));
	if (shared->shape.graph == VG_GRAPH_VAMANA)
		reltuples = ParticipateVamana(&p, heap, index, indexInfo, scan);
	else
		reltuples = table_index_build_scan(heap, index, indexInfo, true, leader,
										   ParallelCallback, &p, scan);

	SpinLockAcquire(&shared->mutex);
	shared->nparticipantsdone++;
	shared->reltuples += reltuples;
	shared->indtuples += p.indtuples;
	shared->arena_full |= p.full;
	SpinLockRelease(&shared->mutex);

	vg_insert_scratch_free(&p.scratch);
	MemoryContextDelete(p.tuple_cxt);
}

/* The workers' entry point, named in CreateParallelContext. */
PGDLLEXPORT void VgParallelBuildMain(dsm_segment *seg, shm_toc *toc);

void
VgParallelBuildMain(dsm_segment *seg, shm_toc *toc)
{
	VgBuildShared *shared = shm_toc_lookup(toc, VG_KEY_SHARED, false);
	VgArena    *arena = (VgArena *) TYPEALIGN(64, shm_toc_lookup(toc, VG_KEY_ARENA, false));
	VgVamanaBuild *vamana = shm_toc_lookup(toc, VG_KEY_VAMANA, true);
	char	   *query = shm_toc_lookup(toc, VG_KEY_QUERY_TEXT, true);
	LOCKMODE	heap_lockmode = shared->isconcurrent ? ShareUpdateExclusiveLock : ShareLock;
	LOCKMODE	index_lockmode = shared->isconcurrent ? RowExclusiveLock : AccessExclusiveLock;
	Relation	heap;
	Relation	index;
	BufferUsage *buffer_usage;
	WalUsage   *wal_usage;

	debug_query_string = query;
	pgstat_report_activity(STATE_RUNNING, debug_query_string);
	pgstat_report_query_id(shared->queryid, false);

	/* the leader holds these locks: these opens wait on nothing */
	heap = table_open(shared->heaprelid, heap_lockmode);
	index = index_open(shared->indexrelid, index_lockmode);

	InstrStartParallelQuery();
	Participate(shared, arena, vamana, heap, index, false);
	buffer_usage = shm_toc_lookup(toc, VG_KEY_BUFFER_USAGE, false);
	wal_usage = shm_toc_lookup(toc, VG_KEY_WAL_USAGE, false);
	InstrEndParallelQuery(&buffer_usage[ParallelWorkerNumber], &wal_usage[ParallelWorkerNumber]);

	index_close(index, index_lockmode);
	table_close(heap, heap_lockmode);
}

/* Leader's state of a parallel build, for setting up and tearing down. */
typedef struct VgLeader
{
	ParallelContext *pcxt;
	Snapshot	snapshot;
	VgBuildShared *shared;
	VgArena    *arena;
	VgVamanaBuild *vamana;		/* NULL for HNSW */
	BufferUsage *buffer_usage;
	WalUsage   *wal_usage;
} VgLeader;

static void
EndParallel(VgLeader *leader)
{
	DestroyParallelContext(leader->pcxt);
	if (IsMVCCSnapshot(leader->snapshot))
		UnregisterSnapshot(leader->snapshot);
	ExitParallelMode();
}

/* Fills the DSM segment: shared state, parallel scan, arena, query text. */
static void
FillSegment(VgLeader *leader, Relation heap, Relation index, IndexInfo *indexInfo,
			const VgShape *shape, int ef_construction, Size shared_size,
			uint32 capacity, Size arena_size)
{
	ParallelContext *pcxt = leader->pcxt;
	VgBuildShared *shared = shm_toc_allocate(pcxt->toc, shared_size);
	char	   *arena_mem = shm_toc_allocate(pcxt->toc, arena_size);

	MemSet(shared, 0, sizeof(VgBuildShared));
	shared->heaprelid = RelationGetRelid(heap);
	shared->indexrelid = RelationGetRelid(index);
	shared->isconcurrent = indexInfo->ii_Concurrent;
	shared->queryid = pgstat_get_my_query_id();
	shared->shape = *shape;
	shared->ef_construction = ef_construction;
	SpinLockInit(&shared->mutex);
	pg_atomic_init_u64(&shared->inserted, 0);
	BarrierInit(&shared->barrier, 0);
	table_parallelscan_initialize(heap, ParallelTableScanFromShared(shared), leader->snapshot);
	shm_toc_insert(pcxt->toc, VG_KEY_SHARED, shared);

	leader->arena = vg_arena_init((void *) TYPEALIGN(64, arena_mem), capacity,
								  VgVectorBytes(shape), VgArenaM0(shape), shape->m, true);
	shm_toc_insert(pcxt->toc, VG_KEY_ARENA, arena_mem);
	leader->vamana = NULL;
	if (shape->graph == VG_GRAPH_VAMANA)
	{
		leader->vamana = shm_toc_allocate(pcxt->toc,
										  vg_vamana_build_size(capacity, shape->partitions));
		shm_toc_insert(pcxt->toc, VG_KEY_VAMANA, leader->vamana);
	}

	if (debug_query_string)
	{
		char	   *query = shm_toc_allocate(pcxt->toc, strlen(debug_query_string) + 1);

		strcpy(query, debug_query_string);
		shm_toc_insert(pcxt->toc, VG_KEY_QUERY_TEXT, query);
	}
	leader->wal_usage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(WalUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, VG_KEY_WAL_USAGE, leader->wal_usage);
	leader->buffer_usage = shm_toc_allocate(pcxt->toc, mul_size(sizeof(BufferUsage), pcxt->nworkers));
	shm_toc_insert(pcxt->toc, VG_KEY_BUFFER_USAGE, leader->buffer_usage);
	leader->shared = shared;
}

/*
 * Rows the shared arena should hold: the bound on the rows the table can
 * have when there is one (an arena that fills up means building again), or
 * the estimate with a margin; within maintenance_work_mem.  0 when even the
 * smaller of the two cannot fit; *least is set to that smaller one.
 */
static uint32
ArenaCapacity(const VgShape *shape, double estimate, double bound, double *least)
{
	double		with_margin = estimate * VG_ROWS_MARGIN + VG_ROWS_SLACK;
	double		want = bound >= 0 ? bound + VG_ROWS_SLACK : with_margin;
	uint32		fits = VgArenaCapacityWithin(shape, (Size) maintenance_work_mem * 1024);

	*least = Min(want, with_margin);
	if (fits < *least)
		return 0;
	return (uint32) Min(want, (double) fits);
}

/*
 * Builds the index with nworkers workers and the leader.  Returns false,
 * having built nothing, when the build should go serial instead (see the
 * NOTES); otherwise sets the tuple counts and the workers launched.
 */
bool
VgBuildParallel(Relation heap, Relation index, IndexInfo *indexInfo,
				const VgShape *shape, int ef_construction, int nworkers,
				double *reltuples, double *indtuples, int *launched)
{
	double		rows = VgEstimateRows(heap);
	double		bound = VgIndexedRowsBound(heap, index, shape);
	double		least;
	uint32		capacity = ArenaCapacity(shape, rows, bound, &least);
	Size		arena_size = vg_arena_size(capacity, VgVectorBytes(shape), VgArenaM0(shape),
									  shape->m) + 64;
	Size		shared_size;
	VgLeader	leader;
	ParallelContext *pcxt;

	if (capacity == 0)
	{
		uint32		needed = (uint32) Min(least, (double) (PG_UINT32_MAX - 1));

		ereport(NOTICE,
				(errmsg("vecgraph index \"%s\" is built without parallel workers: the graph of about %.0f rows needs %zu MB, more than maintenance_work_mem",
						RelationGetRelationName(index), least,
						(vg_arena_size(needed, VgVectorBytes(shape), VgArenaM0(shape),
										 shape->m) + 64) >> 20),
				 errhint("Increase maintenance_work_mem to build in parallel.")));
		return false;
	}

	EnterParallelMode();
	pcxt = CreateParallelContext("vecgraph", "VgParallelBuildMain", nworkers);
	leader.pcxt = pcxt;
	leader.snapshot = indexInfo->ii_Concurrent ?
		RegisterSnapshot(GetTransactionSnapshot()) : SnapshotAny;
	shared_size = add_size(BUFFERALIGN(sizeof(VgBuildShared)),
						   table_parallelscan_estimate(heap, leader.snapshot));
	shm_toc_estimate_chunk(&pcxt->estimator, shared_size);
	shm_toc_estimate_chunk(&pcxt->estimator, arena_size);
	shm_toc_estimate_chunk(&pcxt->estimator, shape->graph == VG_GRAPH_VAMANA ?
						   vg_vamana_build_size(capacity, shape->partitions) : 0);
	shm_toc_estimate_chunk(&pcxt->estimator,
						   debug_query_string ? strlen(debug_query_string) + 1 : 0);
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(WalUsage), nworkers));
	shm_toc_estimate_chunk(&pcxt->estimator, mul_size(sizeof(BufferUsage), nworkers));
	shm_toc_estimate_keys(&pcxt->estimator, 6);

	if (!DsmCanHold(shm_toc_estimate(&pcxt->estimator)))
	{
		ereport(NOTICE,
				(errmsg("vecgraph index \"%s\" is built without parallel workers: /dev/shm cannot hold the %zu MB graph",
						RelationGetRelationName(index),
						shm_toc_estimate(&pcxt->estimator) >> 20),
				 errhint("Give the server more shared memory (/dev/shm), or lower max_parallel_maintenance_workers to 0 to silence this.")));
		EndParallel(&leader);
		return false;
	}

	InitializeParallelDSM(pcxt);
	if (pcxt->seg == NULL)
	{
		EndParallel(&leader);
		return false;
	}
	FillSegment(&leader, heap, index, indexInfo, shape, ef_construction,
				shared_size, capacity, arena_size);
	LaunchParallelWorkers(pcxt);
	*launched = pcxt->nworkers_launched;
	if (*launched == 0)
	{
		EndParallel(&leader);
		return false;
	}
	ereport(DEBUG1,
			(errmsg_internal("vecgraph build of \"%s\" using %d parallel workers",
							 RelationGetRelationName(index), *launched)));

	Participate(leader.shared, leader.arena, leader.vamana, heap, index, true);
	WaitForParallelWorkersToFinish(pcxt);
	for (int i = 0; i < pcxt->nworkers_launched; i++)
		InstrAccumParallelQuery(&leader.buffer_usage[i], &leader.wal_usage[i]);

	if (leader.shared->arena_full)
	{
		ereport(NOTICE,
				(errmsg("vecgraph index \"%s\" has more rows than estimated (%.0f); building it again without parallel workers",
						RelationGetRelationName(index), rows),
				 errhint("ANALYZE the table before building the index.")));
		EndParallel(&leader);
		return false;
	}
	*reltuples = leader.shared->reltuples;
	*indtuples = leader.shared->indtuples;
	if (shape->graph == VG_GRAPH_VAMANA)
		VgVamanaTreeLinks(shape, ef_construction, leader.arena, leader.vamana);
	VgFinishArena(index, shape, ef_construction, leader.arena, *launched);
	EndParallel(&leader);
	return true;
}
