/*-------------------------------------------------------------------------
 *
 * vgpaths.c
 *	  Planning parallel vecgraph scans, and the SQL functions that show
 *	  that planning: vecgraph_estimate_workers, vecgraph_explain_parallel,
 *	  vecgraph_parallel_info.
 *
 * NOTES
 *	  PostgreSQL builds a partial (parallel) index path for an index whose
 *	  AM can scan in parallel, but cost_index divides only its own heap
 *	  costs among the workers, never the AM's, and picks the worker count
 *	  from page counts.  Neither fits a partitioned graph, where each
 *	  participant searches whole partitions: with P partitions and W workers
 *	  plus the leader, the busiest participant searches ceil(P / (W + 1)) of
 *	  them.  A set_rel_pathlist_hook therefore replaces each partial vecgraph
 *	  path by one with that worker count and that share of the search cost,
 *	  so that Gather Merge wins exactly when splitting the partitions saves
 *	  more than starting the workers costs -- and never for a single
 *	  partition, where one participant would do all the work.
 *
 *	  Starting the workers is priced twice over: parallel_setup_cost, which
 *	  the core planner adds in its own units, and
 *	  vecgraph.parallel_worker_start_cost per worker, in the units of the
 *	  search cost (vgcost.c), since Gather Merge waits for every launched
 *	  worker's first row.  Calibrated on a 2-core virtual machine (1,000,000
 *	  x 128, 2 partitions, prewarmed): a search costs 0.06 - 0.08 ms per
 *	  unit (ef_search 40, 200 and 1,000: 6.9, 17.7 and 48.2 units, 0.42,
 *	  1.5 and 3.1 ms), and a parallel worker takes 24 - 26 ms to start (a
 *	  forced-parallel count(*) of 1,000 rows against 0.08 ms serially):
 *	  350 units.  A machine that starts workers faster can lower it.
 *
 *	  Workers: enough that every participant gets a partition (P - 1 when
 *	  the leader takes part), within max_parallel_workers_per_gather and the
 *	  table's parallel_workers, and none below min_parallel_index_scan_size
 *	  or with vecgraph.enable_parallel_scan off.  vecgraph_estimate_workers
 *	  runs the same code.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/relation.h"
#include "access/table.h"
#include "catalog/pg_am.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "vecgraph.h"
#include "vgam.h"

bool		vg_enable_parallel_scan = true;
double		vg_parallel_worker_start_cost = 350;

static set_rel_pathlist_hook_type prev_set_rel_pathlist_hook = NULL;

/* Participants of a scan with workers workers. */
static int
Participants(int workers)
{
	return workers + (parallel_leader_participation || workers == 0 ? 1 : 0);
}

/*
 * Workers for a parallel scan of an index of partitions partitions and
 * index_pages pages over a table whose parallel_workers option is
 * table_workers (-1 unset).
 */
int
VgScanWorkers(int partitions, BlockNumber index_pages, int table_workers)
{
	int			workers;

	if (!vg_enable_parallel_scan || partitions < 2 ||
		index_pages < (BlockNumber) min_parallel_index_scan_size)
		return 0;
	workers = parallel_leader_participation ? partitions - 1 : partitions;
	workers = Min(workers, max_parallel_workers_per_gather);
	if (table_workers >= 0)
		workers = Min(workers, table_workers);
	return Max(workers, 0);
}

/* The share of a serial scan's search cost its busiest participant pays. */
double
VgParallelShare(int partitions, int workers)
{
	int			participants = Participants(workers);
	int			busiest = (partitions + participants - 1) / participants;

	return (double) busiest / Max(partitions, 1);
}

/*
 * A partial (parallel) twin of a serial vecgraph path with our worker count
 * and share of the search cost; NULL when no worker would help.
 */
static Path *
PartialTwin(PlannerInfo *root, RelOptInfo *rel, IndexPath *path)
{
	Relation	index = index_open(path->indexinfo->indexoid, NoLock);
	Relation	heap = table_open(index->rd_index->indrelid, NoLock);
	VgShape		shape;
	int			workers;
	double		share;
	IndexPath  *twin;
	Cost		heap_part;

	VgReadShape(index, &shape);
	workers = VgScanWorkers(shape.partitions, RelationGetNumberOfBlocks(index),
							RelationGetParallelWorkers(heap, -1));
	table_close(heap, NoLock);
	index_close(index, NoLock);
	if (workers == 0)
		return NULL;

	share = VgParallelShare(shape.partitions, workers);
	twin = makeNode(IndexPath);
	memcpy(twin, path, sizeof(IndexPath));
	heap_part = path->path.total_cost - path->path.startup_cost;
	twin->indextotalcost = path->indextotalcost * share;
	twin->path.startup_cost = path->path.startup_cost * share +
		vg_parallel_worker_start_cost * workers;
	twin->path.total_cost = twin->path.startup_cost + heap_part;
	twin->path.parallel_workers = workers;
	twin->path.parallel_aware = true;
	twin->path.parallel_safe = true;
	return (Path *) twin;
}

/* Is path an unparameterized ordered scan of a vecgraph index? */
static bool
IsOrderedVecgraphPath(Path *path)
{
	return IsA(path, IndexPath) && path->param_info == NULL &&
		((IndexPath *) path)->indexorderbys != NIL &&
		((IndexPath *) path)->indexinfo->amcostestimate == (void (*) ()) vgcostestimate;
}

/*
 * Replaces whatever partial vecgraph paths the core planner made (it
 * usually makes none: it sizes workers by the few heap pages a k-NN query
 * reads) with twins of the serial ones, sized our way.
 */
static void
VgSetRelPathlist(PlannerInfo *root, RelOptInfo *rel, Index rti, RangeTblEntry *rte)
{
	List	   *twins = NIL;
	List	   *theirs = NIL;
	ListCell   *lc;

	if (prev_set_rel_pathlist_hook)
		prev_set_rel_pathlist_hook(root, rel, rti, rte);
	if (!rel->consider_parallel)
		return;

	foreach(lc, rel->partial_pathlist)
		if (IsOrderedVecgraphPath(lfirst(lc)))
			theirs = lappend(theirs, lfirst(lc));
	foreach(lc, theirs)
		rel->partial_pathlist = list_delete_ptr(rel->partial_pathlist, lfirst(lc));

	foreach(lc, rel->pathlist)
	{
		Path	   *path = lfirst(lc);
		Path	   *twin;

		if (!IsOrderedVecgraphPath(path) || !path->parallel_safe ||
			!is_parallel_safe(root, (Node *) ((IndexPath *) path)->indexorderbys))
			continue;
		if ((twin = PartialTwin(root, rel, (IndexPath *) path)) != NULL)
			twins = lappend(twins, twin);
	}
	foreach(lc, twins)
		add_partial_path(rel, lfirst(lc));
	list_free(twins);
	list_free(theirs);
}

void
VgInstallPathsHook(void)
{
	prev_set_rel_pathlist_hook = set_rel_pathlist_hook;
	set_rel_pathlist_hook = VgSetRelPathlist;
}

/* What the planner would decide for a k-NN query at ef_search on index. */
typedef struct ParallelEstimate
{
	int			partitions;
	int			workers;
	Cost		serial_cost;
	Cost		parallel_cost;
} ParallelEstimate;

static ParallelEstimate
Estimate(Relation index, int k, int ef_search)
{
	Relation	heap = table_open(index->rd_index->indrelid, AccessShareLock);
	VgShape		shape;
	ParallelEstimate e;

	VgReadShape(index, &shape);
	e.partitions = shape.partitions;
	e.workers = VgScanWorkers(shape.partitions, RelationGetNumberOfBlocks(index),
							  RelationGetParallelWorkers(heap, -1));
	e.serial_cost = VgSearchCost(Max(heap->rd_rel->reltuples, 1), shape.partitions,
								 shape.m0 / 2, shape.dim, Max(ef_search, k));
	e.parallel_cost = e.serial_cost * VgParallelShare(shape.partitions, e.workers);
	if (e.workers > 0)
		e.parallel_cost += parallel_setup_cost + parallel_tuple_cost * k +
			vg_parallel_worker_start_cost * e.workers;
	table_close(heap, AccessShareLock);
	return e;
}

PG_FUNCTION_INFO_V1(vecgraph_estimate_workers);
Datum
vecgraph_estimate_workers(PG_FUNCTION_ARGS)
{
	Relation	index = OpenVecgraphIndex(PG_GETARG_OID(0));
	ParallelEstimate e = Estimate(index, PG_GETARG_INT32(1), PG_GETARG_INT32(2));

	index_close(index, AccessShareLock);
	PG_RETURN_INT32(e.workers);
}

PG_FUNCTION_INFO_V1(vecgraph_explain_parallel);
Datum
vecgraph_explain_parallel(PG_FUNCTION_ARGS)
{
	Relation	index = OpenVecgraphIndex(PG_GETARG_OID(0));
	ParallelEstimate e = Estimate(index, PG_GETARG_INT32(1), PG_GETARG_INT32(2));
	TupleDesc	tupdesc;
	Datum		values[6];
	bool		nulls[6] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = Int32GetDatum(e.partitions);
	values[1] = Int32GetDatum(e.workers);
	values[2] = Int32GetDatum(Participants(e.workers));
	values[3] = Float8GetDatum(e.serial_cost);
	values[4] = Float8GetDatum(e.parallel_cost);
	values[5] = Float8GetDatum(e.parallel_cost > 0 ? e.serial_cost / e.parallel_cost : 1.0);
	index_close(index, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}

PG_FUNCTION_INFO_V1(vecgraph_parallel_info);
Datum
vecgraph_parallel_info(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[9];
	bool		nulls[9] = {0};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	values[0] = CStringGetTextDatum(vg_simd_level_name(VgKernels->level));
	values[1] = Int32GetDatum(VG_MAX_PARTITIONS);
	values[2] = BoolGetDatum(vg_enable_parallel_scan);
	values[3] = Int32GetDatum(max_parallel_workers_per_gather);
	values[4] = Int32GetDatum(max_parallel_maintenance_workers);
	values[5] = Int32GetDatum(max_parallel_workers);
	values[6] = BoolGetDatum(parallel_leader_participation);
	values[7] = Int32GetDatum(vg_ef_search);
	values[8] = Int32GetDatum(vg_max_scan_tuples);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
