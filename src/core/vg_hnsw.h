/*-------------------------------------------------------------------------
 *
 * vg_hnsw.h
 *	  HNSW: hierarchical navigable small-world graphs (Malkov & Yashunin,
 *	  2016), over any storage that implements VgGraphOps.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_HNSW_H
#define VG_HNSW_H

#include "vg_graph.h"
#include "vg_visited.h"

typedef struct VgHnswParams
{
	int			m;				/* links chosen per level; cap above level 0 */
	int			m0;				/* cap of a level-0 list (2m, as in the paper) */
	int			ef_construction;
	double		level_mult;		/* 1 / ln(m): levels are floor(-ln(U) * mult) */
	bool		keep_pruned;	/* fill a new node's lists to m (see vg_prune_fill) */
} VgHnswParams;

/* m, m0 = 2m, ef_construction, the paper's level multiplier; keep_pruned off. */
extern VgHnswParams vg_hnsw_params(int m, int ef_construction);

/*
 * Working memory of one search, reusable across searches.  Not shared
 * between threads: each searcher owns one.
 */
typedef struct VgSearchScratch
{
	VgVisited	visited;
	VgHeap		candidates;		/* to expand, closest first */
	VgHeap		results;		/* best so far, negated: farthest first */
	VgNodeId   *ids;			/* one neighbour list */
	float	   *dists;			/* its distances */
	int			max_degree;
	const VgAllocator *allocator;
} VgSearchScratch;

extern VgStatus vg_search_scratch_init(VgSearchScratch *s, int max_degree,
									   int ef, const VgAllocator *allocator);
extern void vg_search_scratch_free(VgSearchScratch *s);

/*
 * Best-first search of one level from entries[0..n_entries) (distances
 * known).  Writes the best min(ef, found) into out[0..*n_out), ascending.
 * out must hold ef entries.
 */
extern VgStatus vg_hnsw_search_layer(const VgGraph *graph, const float *query,
									 const VgCandidate *entries, int n_entries,
									 int ef, int level, VgSearchScratch *s,
									 VgCandidate *out, int *n_out);

/*
 * A whole search: greedy descent from the entry point, then ef-wide search
 * of level 0.  Writes the best min(k, found) into out[0..*n_out); out must
 * hold max(ef, k) entries.
 */
extern VgStatus vg_hnsw_search(const VgGraph *graph, const float *query,
							   int ef, int k, VgSearchScratch *s,
							   VgCandidate *out, int *n_out);

/*
 * Greedy descent from the entry point through the levels above 'level'.
 * Sets *closest to the node found (VG_NO_NODE in an empty graph) and
 * *top_level to the entry point's level.
 */
extern VgStatus vg_hnsw_descend(const VgGraph *graph, const float *query,
								int level, VgSearchScratch *s,
								VgCandidate *closest, int *top_level);

/* A level drawn from the paper's distribution, using and advancing *rng. */
extern int	vg_hnsw_random_level(double level_mult, uint64_t *rng);

/* Working memory of one inserter. */
typedef struct VgInsertScratch
{
	VgSearchScratch search;
	VgCandidate *found;			/* ef_construction results of one level */
	VgCandidate *pool;			/* prune input: m0 + 1 candidates */
	VgNodeId   *chosen;			/* prune output */
	VgNodeId   *targets;		/* the new node's chosen neighbours */
	VgNodeId   *list;			/* a neighbour list read for update */
	const float **chosen_vectors;
} VgInsertScratch;

extern VgStatus vg_insert_scratch_init(VgInsertScratch *s, const VgHnswParams *params,
									   const VgAllocator *allocator);
extern void vg_insert_scratch_free(VgInsertScratch *s);

/*
 * Links node, already in storage with its vector and empty lists up to
 * level, into the graph: finds its neighbours at each level, chooses them
 * with the heuristic, adds reverse links (pruning full lists) and offers
 * the node as entry point.  Safe to run concurrently for different nodes
 * when the adapter's operations are atomic as documented.
 */
extern VgStatus vg_hnsw_insert(const VgGraph *graph, const VgHnswParams *params,
							   VgNodeId node, int level, VgInsertScratch *s);

/*
 * Makes every node of nodes[0..n_nodes) (or, when nodes is NULL, of dense
 * ids 0..n_nodes-1) reachable from the entry point.  The heuristic can leave a node with no in-links (all
 * pruned away by closer nodes); each such node is linked from the closest
 * reachable node found by a search, preferring one with room in its
 * level-0 list, else replacing that list's farthest entry.  Not for use
 * concurrently with inserts.  *linked counts the nodes linked.
 */
extern VgStatus vg_hnsw_link_orphans(const VgGraph *graph, const VgHnswParams *params,
									 const VgNodeId *nodes, uint32_t n_nodes,
									 VgInsertScratch *s, uint32_t *linked);

/*
 * RobustPrune (Vamana), which with alpha = 1 is HNSW's neighbour-selection
 * heuristic: walk candidates[0..n), sorted ascending by distance to the
 * base node, keeping one unless some kept node k is closer to it than the
 * base is, by the factor alpha: alpha * d(c, k) <= d(c, base).  Writes at
 * most max_out ids into out and returns how many.  vectors is scratch for
 * max_out pointers.
 */
extern int	vg_prune_robust(const VgGraph *graph, const VgCandidate *candidates,
							int n, int max_out, float alpha,
							VgNodeId *out, const float **vectors);

/*
 * The paper's keepPrunedConnections: after vg_prune_robust kept out[0..kept),
 * adds the candidates it pruned, nearest first, until max_out are kept.
 * Denser lists cost more distances per search step but find the true
 * neighbours at a smaller ef.  Returns the new count.
 */
extern int	vg_prune_fill(const VgGraph *graph, const VgCandidate *candidates,
						  int n, int max_out, int kept,
						  VgNodeId *out, const float **vectors);

#endif							/* VG_HNSW_H */
