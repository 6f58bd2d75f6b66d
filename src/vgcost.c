/*-------------------------------------------------------------------------
 *
 * vgcost.c
 *	  Cost estimation of vecgraph index scans.
 *
 *	  The index serves only ORDER BY distance; without such an ordering the
 *	  path is given a prohibitive cost, since a graph cannot test a qual.
 *
 *	  For an ordered scan the work is a graph search, not a range read: a
 *	  search at breadth ef computes distances for the unseen neighbours of
 *	  the nodes it expands, a number that grows more slowly than ef because
 *	  a wider frontier mostly meets nodes already seen, plus a few greedy
 *	  steps per upper level.  Each distance reads one node page.  Visited
 *	  nodes are bounded by the index size, so for small indexes the
 *	  estimate tends to a walk over the whole graph, which costs about what
 *	  a sequential scan and sort does -- and measures so (200 rows: 0.115
 *	  ms against 0.128 ms; 10,000 rows at ef_search 1000: 1.9 against 2.1).
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

/*
 * Distances a search at breadth ef computes in a graph of n nodes.  Counted
 * on Fashion-MNIST (m = 16): 187, 391, 694, 1,706 and 3,131 a query at ef
 * 10, 40, 100, 400 and 1,000 -- the breadth grows the frontier, but more and
 * more of what it reaches was seen already -- which 2.2 m ef^0.65 follows
 * within 15%; the greedy descent adds about m per level.
 */
static double
SearchVisits(double n, int ef, int m)
{
	double		levels = n > 1 ? log(n) / log((double) Max(m, 2)) : 1;
	double		visits = 2.2 * m * pow((double) Max(ef, 1), 0.65) + levels * m;

	return Min(visits, n);
}

/*
 * The cost of searching an index of rows rows split into partitions graphs
 * at breadth ef: every partition is searched.  A visit is a buffer access
 * (a pin, a share lock, a line pointer: an index tuple's worth) and a
 * distance, about one operator call per 128 dimensions with SIMD kernels;
 * measured, a visit of a 784-d node costs a tenth of what a sequential scan
 * pays for a row with its TOASTed vector, which the planner does not see
 * (it charges such a row cpu_tuple_cost plus one operator call), so these
 * costs stay on the low side of that.
 */
Cost
VgSearchCost(double rows, int partitions, int m, int dim, int ef)
{
	double		per_partition = rows / Max(partitions, 1);
	double		visits = partitions * SearchVisits(Max(per_partition, 1), ef, m);
	double		per_visit = cpu_index_tuple_cost +
		cpu_operator_cost * Max(1.0, dim / 128.0);

	return visits * per_visit;
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
	VgShape		shape;
	int			ef;

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
	VgReadShape(index, &shape);
	index_close(index, NoLock);

	/* a LIMIT beyond ef_search widens the search to it */
	ef = vg_ef_search;
	if (root->limit_tuples > 0 && root->limit_tuples < 1e6)
		ef = Max(ef, (int) root->limit_tuples);

	MemSet(&costs, 0, sizeof(costs));
	costs.numIndexTuples = Min(info->tuples, (double) ef);
	genericcostestimate(root, path, loop_count, &costs);
	costs.indexTotalCost = VgSearchCost(Max(info->tuples, 1), shape.partitions, shape.m0 / 2,
										shape.dim, ef) * loop_count;
	/* the whole search happens before the first tuple comes out */
	*indexStartupCost = costs.indexTotalCost;
	*indexTotalCost = costs.indexTotalCost;
	*indexSelectivity = costs.indexSelectivity;
	*indexCorrelation = 0;
	*indexPages = costs.numIndexPages;
}
