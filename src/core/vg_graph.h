/*-------------------------------------------------------------------------
 *
 * vg_graph.h
 *	  The graph algorithms' view of storage: node ids and an adapter.
 *
 * HNSW and Vamana are written once, against VgGraphOps; where the nodes
 * live is the adapter's business.  The in-memory arena (vg_arena.h) serves
 * builds and tests; the PostgreSQL glue implements the same operations over
 * index pages for scans and inserts.  The adapter also owns concurrency:
 * the algorithms never hold a lock across a distance loop.  They read a
 * neighbour list as a copy, compute without locks, and write a list back
 * with a compare-and-swap (update_lists), retrying when another writer
 * changed it in between -- the reverse-edge protocol of DiskANN.  Changes
 * that must land together (a new node's first link both ways) go in one
 * update_lists call.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_GRAPH_H
#define VG_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "vg_distance.h"
#include "vg_heap.h"

/* Levels are drawn with P(level >= l) = m^-l; beyond this they are clamped. */
#define VG_MAX_LEVEL 15

/*
 * A store may hold several graphs, partitions, each a complete graph with
 * its own entry point over its own nodes; links never cross partitions.
 */
#define VG_MAX_PARTITIONS 64

/*
 * The distance graphs rank by: smaller is closer.  kernel(a, b) * sign gives
 * squared L2, negative inner product, or L1; cosine indexes store
 * normalised vectors and rank by negative inner product.
 *
 * The algorithms never look inside a vector: a stored vector is whatever
 * the store keeps (float or half elements, after a header of offset bytes
 * that the kernel skips), and a query has the same form.
 */
typedef struct VgMetric
{
	VgPairKernel kernel;
	float		sign;
	int			dim;
	int			offset;			/* bytes before the elements */

	/*
	 * Added to ranking distances before RobustPrune scales them by alpha
	 * (vg_prune.c), so that they are never negative: 1 for cosine, whose
	 * ranking distance -ip of unit vectors plus 1 is the cosine distance.
	 */
	float		prune_shift;
} VgMetric;

static inline float
vg_metric_distance(const VgMetric *metric, const void *a, const void *b)
{
	return metric->sign * metric->kernel((const char *) a + metric->offset,
										 (const char *) b + metric->offset,
										 (size_t) metric->dim);
}

/*
 * One list change of an atomic group (VgGraphOps.update_lists): if node's
 * list at level still holds expected[0..n_expected) with the first
 * expected_tree of them tree links, it becomes ids[0..n) with the first
 * n_tree of them tree links.
 */
typedef struct VgListUpdate
{
	VgNodeId	node;
	int			level;
	const VgNodeId *expected;
	int			n_expected;
	int			expected_tree;
	const VgNodeId *ids;
	int			n;
	int			n_tree;
} VgListUpdate;

/* Most lists one update_lists call changes (a tree link swap: three). */
#define VG_MAX_LIST_UPDATES 3

typedef struct VgGraphOps
{
	/*
	 * Copies node's neighbour list at level into out[0..max) and returns its
	 * length.  A node without that level has an empty list.  When n_tree is
	 * not NULL it receives how many of the first entries are tree links
	 * (level 0 only; see vg_tree.c).
	 */
	int			(*neighbours) (void *store, VgNodeId node, int level,
							   VgNodeId *out, int max, int *n_tree);

	/*
	 * Applies updates[0..n) (n <= VG_MAX_LIST_UPDATES, distinct lists) all
	 * together or, when any list differs from what its update expects, none
	 * of them; returns whether it applied them.  Atomic with respect to other
	 * writers of the nodes, and to a crash: replay never shows some of the
	 * changes without the others.
	 */
	bool		(*update_lists) (void *store, const VgListUpdate *updates, int n);

	/*
	 * Distances by metric from query to ids[0..n) into out[0..n).  A store
	 * that deletes nodes may rank them infinitely far (for inserts): the
	 * algorithms then never link to them.
	 */
	void		(*distances) (void *store, const VgMetric *metric,
							  const void *query, const VgNodeId *ids, int n,
							  float *out);

	/*
	 * A node's stored vector.  The pointer stays valid until the core call
	 * that asked for it returns (an adapter over pages may copy).
	 */
	const void *(*vector) (void *store, VgNodeId node);

	/* The node's top level. */
	int			(*level) (void *store, VgNodeId node);

	/*
	 * The entry point of a partition and its level; VG_NO_NODE when that
	 * graph is empty.
	 */
	void		(*entry) (void *store, int partition, VgNodeId *node, int *level);

	/*
	 * Makes node the entry point if the graph has none, if level is above
	 * the current top level, or if the current entry point is still
	 * replace (VG_NO_NODE: never), a node the caller found deleted; atomic
	 * with respect to other callers.
	 */
	void		(*offer_entry) (void *store, int partition, VgNodeId node, int level,
								VgNodeId replace);

	/*
	 * Called in long loops; may not return (the glue maps it to
	 * CHECK_FOR_INTERRUPTS).  NULL when nothing needs checking.
	 */
	void		(*check_interrupts) (void *store);
} VgGraphOps;

/* One splitmix64 step: cheap, and well mixed for any seed. */
static inline uint64_t
vg_splitmix64(uint64_t *state)
{
	uint64_t	x = (*state += UINT64_C(0x9E3779B97F4A7C15));

	x = (x ^ (x >> 30)) * UINT64_C(0xBF58476D1CE4E5B9);
	x = (x ^ (x >> 27)) * UINT64_C(0x94D049BB133111EB);
	return x ^ (x >> 31);
}

/* One partition's graph: the algorithms see only its entry point. */
typedef struct VgGraph
{
	const VgGraphOps *ops;
	void	   *store;
	VgMetric	metric;
	int			partition;
} VgGraph;

/*
 * Compare-and-swap of one list that keeps its tree links: the common case
 * of update_lists.
 */
static inline bool
vg_replace_list(const VgGraph *graph, VgNodeId node, int level,
				const VgNodeId *expected, int n_expected, int n_tree,
				const VgNodeId *ids, int n)
{
	VgListUpdate u = {node, level, expected, n_expected, n_tree, ids, n, n_tree};

	return graph->ops->update_lists(graph->store, &u, 1);
}

#endif							/* VG_GRAPH_H */
