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
#include "vg_links.h"
#include "vg_visited.h"

typedef struct VgHnswParams
{
	int			m;				/* links chosen per level; cap above level 0 */
	int			m0;				/* cap of a level-0 list (2m, as in the paper) */
	int			ef_construction;
	double		level_mult;		/* 1 / ln(m): levels are floor(-ln(U) * mult) */
	bool		keep_pruned;	/* fill a new node's lists to m (see vg_prune_fill) */
	int			tree_degree;	/* tree links a new node may join (vg_links.h) */
} VgHnswParams;

/*
 * m, m0 = 2m, ef_construction, the paper's level multiplier, keep_pruned
 * off, the tree degree for lists of m0.
 */
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

	/*
	 * When not NULL, the nodes a layer search expands, with their distances,
	 * up to expanded_cap of them: Vamana chooses lists from this visited set.
	 */
	VgCandidate *expanded;
	int			n_expanded;
	int			expanded_cap;
} VgSearchScratch;

extern VgStatus vg_search_scratch_init(VgSearchScratch *s, int max_degree,
									   int ef, const VgAllocator *allocator);
extern void vg_search_scratch_free(VgSearchScratch *s);

/*
 * Best-first search of one level from entries[0..n_entries) (distances
 * known).  Writes the best min(ef, found) into out[0..*n_out), ascending.
 * out must hold ef entries.
 */
extern VgStatus vg_hnsw_search_layer(const VgGraph *graph, const void *query,
									 const VgCandidate *entries, int n_entries,
									 int ef, int level, VgSearchScratch *s,
									 VgCandidate *out, int *n_out);

/*
 * A whole search: greedy descent from the entry point, then ef-wide search
 * of level 0.  Writes the best min(k, found) into out[0..*n_out); out must
 * hold max(ef, k) entries.
 */
extern VgStatus vg_hnsw_search(const VgGraph *graph, const void *query,
							   int ef, int k, VgSearchScratch *s,
							   VgCandidate *out, int *n_out);

/*
 * Greedy descent from the entry point through the levels above 'level'.
 * Sets *closest to the node found (VG_NO_NODE in an empty graph) and
 * *top_level to the entry point's level.
 */
extern VgStatus vg_hnsw_descend(const VgGraph *graph, const void *query,
								int level, VgSearchScratch *s,
								VgCandidate *closest, int *top_level);

/* A level drawn from the paper's distribution, using and advancing *rng. */
extern int	vg_hnsw_random_level(double level_mult, uint64_t *rng);

/* Working memory of one inserter. */
typedef struct VgInsertScratch
{
	VgSearchScratch search;
	VgCandidate *found;			/* each level's search results, found_cap apart */
	int			found_cap;		/* results of one level: max(ef_construction, m0 + 1) */
	int			found_levels;	/* levels found has room for */
	VgNodeId   *targets;		/* the new node's chosen neighbours */
	const void **chosen_vectors;
	VgListScratch lists;
} VgInsertScratch;

extern VgStatus vg_insert_scratch_init(VgInsertScratch *s, const VgHnswParams *params,
									   const VgAllocator *allocator);
extern void vg_insert_scratch_free(VgInsertScratch *s);

/*
 * Links node, already in storage with its vector and empty lists up to
 * level, into the graph: searches every level for its neighbours, joins it
 * to the tree of tree links (its first link, see vg_tree.c), chooses its
 * neighbours with the heuristic, adds reverse links (pruning full lists)
 * and offers the node as entry point.  Safe to run concurrently for
 * different nodes when the adapter's operations are atomic as documented.
 */
extern VgStatus vg_hnsw_insert(const VgGraph *graph, const VgHnswParams *params,
							   VgNodeId node, int level, VgInsertScratch *s);

/*
 * Makes every node of nodes[0..n_nodes) (or, when nodes is NULL, of dense
 * ids 0..n_nodes-1) reachable at level 0 from the entry point: each one
 * that is not joins the tree through the nearest reachable node a search
 * finds (vg_tree_attach).  A node with no links at all is skipped: its
 * insert has not joined it to the tree yet, or never finished.  Tree links
 * make this a check that finds nothing.  Not for use concurrently with
 * inserts.  *linked counts the nodes linked.
 */
extern VgStatus vg_hnsw_link_orphans(const VgGraph *graph, const VgHnswParams *params,
									 const VgNodeId *nodes, uint32_t n_nodes,
									 VgInsertScratch *s, uint32_t *linked);

/*
 * Writes to out (room for n_nodes) the nodes of nodes[0..n_nodes) that one
 * walk from the entry point at level 0 does not reach; *n_out counts them.
 * Read-only, so it may run beside inserts: a node whose first (tree) link
 * landed before the walk began is reached (vg_tree.c), so only such nodes
 * missing from the walk are orphans.  max_degree is the longest level-0
 * list (m0).
 */
extern VgStatus vg_hnsw_unreached(const VgGraph *graph, int max_degree,
								  const VgNodeId *nodes, uint32_t n_nodes,
								  const VgAllocator *allocator, VgNodeId *out,
								  uint32_t *n_out);

#endif							/* VG_HNSW_H */
