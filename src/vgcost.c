/*-------------------------------------------------------------------------
 *
 * vgcost.c
 *	  Cost estimation of vecgraph index scans.
 *
 *	  The index serves only ORDER BY distance; without such an ordering the
 *	  path is given a prohibitive cost, since a graph cannot test a qual.
 *
 *	  For an ordered scan the work is a graph search, not a range read: a
 *	  search at breadth ef expands about ef nodes at level 0 and computes a
 *	  distance for each of their (up to 2m) unseen neighbours, plus a few
 *	  greedy steps per upper level.  Each distance reads one node page.
 *	  Visited nodes are bounded by the index size, so for small indexes the
 *	  estimate tends to a full read, and the planner prefers a sequential
 *	  scan and sort, which is what is faster there.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "utils/float.h"
#include "utils/rel.h"
#include "utils/selfuncs.h"

#include "vgam.h"

/* Distances a search at breadth ef computes in a graph of n nodes. */
static double
SearchVisits(double n, int ef, int m)
{
	double		levels = n > 1 ? log(n) / log((double) Max(m, 2)) : 1;
	double		visits = (double) ef * m * 1.5 + levels * m;

	return Min(visits, n);
}

void
vgcostestimate(PlannerInfo *root, IndexPath *path, double loop_count,
			   Cost *indexStartupCost, Cost *indexTotalCost,
			   Selectivity *indexSelectivity, double *indexCorrelation,
			   double *indexPages)
{
	GenericCosts costs;
	IndexOptInfo *info = path->indexinfo;
	Relation	index;
	int			m;
	int			dim;
	double		visits;
	double		per_distance;

	if (path->indexorderbys == NIL)
	{
		*indexStartupCost = get_float8_infinity();
		*indexTotalCost = get_float8_infinity();
		*indexSelectivity = 0;
		*indexCorrelation = 0;
		*indexPages = 0;
		return;
	}

	index = index_open(info->indexoid, NoLock);
	m = VgOptionM(index);
	dim = TupleDescAttr(index->rd_att, 0)->atttypmod;
	index_close(index, NoLock);
	if (dim <= 0)
		dim = 128;

	visits = SearchVisits(Max(info->tuples, 1), vg_ef_search, m);

	MemSet(&costs, 0, sizeof(costs));
	costs.numIndexTuples = visits;
	genericcostestimate(root, path, loop_count, &costs);

	/*
	 * A visit is a buffer access (the pages of a searched index are cached:
	 * a search keeps returning to the same neighbourhoods) and a distance,
	 * which with SIMD kernels costs about one operator call per 64
	 * dimensions.
	 */
	per_distance = cpu_operator_cost * Max(1.0, dim / 64.0);
	costs.indexTotalCost = visits * (cpu_index_tuple_cost + per_distance) * loop_count;

	/* the whole search happens before the first tuple comes out */
	*indexStartupCost = costs.indexTotalCost;
	*indexTotalCost = costs.indexTotalCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = Min(visits, costs.numIndexPages);
}
