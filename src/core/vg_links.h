/*-------------------------------------------------------------------------
 *
 * vg_links.h
 *	  Neighbour lists for any graph kind: choosing them (RobustPrune),
 *	  adding links under a cap, and the spanning tree of tree links that
 *	  keeps every node reachable.
 *
 * A level-0 list starts with its node's tree links, the rest are ordinary
 * links.  Tree links pair up (a lists b as a tree link exactly when b lists
 * a), never form a cycle, and join every node of a partition into one tree,
 * so that every node can be reached from every other at level 0, whatever
 * the pruning does to ordinary links: pruning never removes a tree link.
 * vg_tree.c explains how inserts, crashes and VACUUM keep that true.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_LINKS_H
#define VG_LINKS_H

#include "vg_graph.h"
#include "vg_visited.h"

/*
 * Most tree links a node may hold, whatever the graph's cap: the page format
 * keeps the count in four bits.  Inserts keep to a smaller budget
 * (vg_tree_degree); only VACUUM, when a tree link has nowhere else to go,
 * goes past it.
 */
#define VG_MAX_TREE_LINKS 15

/* Most distances a list change asks of the adapter's batch call at once. */
#define VG_LIST_BATCH 32

/* Tree links an insert may give a node whose lists hold cap links. */
extern int	vg_tree_degree(int cap);

/*
 * Working memory for list changes of one caller: copies of up to three
 * lists and their replacements, and prune candidates.  Sized for lists of
 * up to cap links and for adding up to cap links at once.
 */
typedef struct VgListScratch
{
	int			cap;
	VgNodeId   *lists[VG_MAX_LIST_UPDATES];	/* 2 * cap + 1 each */
	VgNodeId   *out[VG_MAX_LIST_UPDATES];	/* cap + 1 each */
	VgCandidate *pool;			/* 2 * cap + 1 */
	const void **vectors;		/* 2 * cap + 1 */
	const VgAllocator *allocator;
} VgListScratch;

extern VgStatus vg_list_scratch_init(VgListScratch *s, int cap, const VgAllocator *allocator);
extern void vg_list_scratch_free(VgListScratch *s);

/*
 * RobustPrune (Vamana), which with alpha = 1 is HNSW's neighbour-selection
 * heuristic: walk candidates[0..n), sorted ascending by distance to the
 * base node, keeping one unless some kept node k is closer to it than the
 * base is, by the factor alpha: alpha * d(c, k) <= d(c, base) (shifted:
 * vg_prune_covers).  With alpha > 1 the walk is repeated with factors 1,
 * 1.2, 1.44, ... up to alpha while out has room (vg_prune.c).  out[0..kept)
 * and vectors[0..kept) hold nodes kept already (tree links), which cover
 * candidates like any other; no candidate may be one of them.  Writes up to
 * max_out ids into out and returns how many it holds.
 */
extern int	vg_prune_robust(const VgGraph *graph, const VgCandidate *candidates,
							int n, int max_out, float alpha, int kept,
							VgNodeId *out, const void **vectors);

/*
 * The paper's keepPrunedConnections: after vg_prune_robust kept out[0..kept),
 * adds the candidates it pruned, nearest first, until max_out are kept.
 * Denser lists cost more distances per search step but find the true
 * neighbours at a smaller ef.  Returns the new count.
 */
extern int	vg_prune_fill(const VgGraph *graph, const VgCandidate *candidates,
						  int n, int max_out, int kept,
						  VgNodeId *out, const void **vectors);

/* RobustPrune's test: does a kept node at d_kept from c cover c, at d_base from the base? */
static inline bool
vg_prune_covers(const VgMetric *metric, float alpha, float d_kept, float d_base)
{
	return alpha * (d_kept + metric->prune_shift) <= d_base + metric->prune_shift;
}

static inline bool
vg_ids_contain(const VgNodeId *ids, int n, VgNodeId id)
{
	for (int i = 0; i < n; i++)
		if (ids[i] == id)
			return true;
	return false;
}

/*
 * A list of at most cap links for node: its tree links out[0..n_tree),
 * kept, then what RobustPrune(alpha) keeps of ids[0..n) (sorted here by
 * distance to node; none of them a tree link; they may lie in out past the
 * tree links), then the nearest of the rest.  Writes out and returns its
 * length.
 */
extern int	vg_links_choose(const VgGraph *graph, VgNodeId node, VgNodeId *out,
							int n_tree, const VgNodeId *ids, int n, int cap,
							float alpha, VgListScratch *s);

/*
 * Adds ids[0..n) (n <= cap) to node's list at level, of at most cap links.  When the union is
 * longer than cap, node's new list is its tree links plus what
 * RobustPrune(alpha) keeps of the rest, filled up to cap with the nearest
 * of what it pruned: an overflow drops as few links as it can, so a node
 * rarely loses an in-link.  Retries until its compare-and-swap lands.
 */
extern void vg_links_add(const VgGraph *graph, VgNodeId node, int level,
						 const VgNodeId *ids, int n, int cap, float alpha,
						 VgListScratch *s);

/*
 * Gives node, which no list links to yet, its first link, a tree link both
 * ways to the nearest of candidates[0..n) (ascending; deleted ones, at
 * infinite distance, skipped) that has room for one, or else to a node
 * with room found along tree links from the nearest.  Both lists change in
 * one update_lists call, so that no crash leaves node linked one way only.
 * Sets *parent to the node linked to.
 */
extern VgStatus vg_tree_attach(const VgGraph *graph, VgNodeId node,
							   const VgCandidate *candidates, int n,
							   int max_tree, VgListScratch *s, VgNodeId *parent);

/*
 * Cuts the group of deleted nodes that start belongs to (deleted nodes
 * joined by tree links) out of the tree.  Its live tree neighbours but one
 * each move their tree link from the group to a live node on the first
 * one's side, in one update_lists call per move, so the live nodes stay
 * joined by tree links after every call.  The group is left hanging from
 * one live node by one tree link, which VACUUM may then drop with the
 * group's other links.  Adds the group's nodes to done.  Not for use
 * concurrently with another bypass of the same graph; inserts may run.
 */
extern VgStatus vg_tree_bypass(const VgGraph *graph, const VgVisited *deleted,
							   VgNodeId start, int max_tree, VgVisited *done,
							   VgListScratch *s);

#endif							/* VG_LINKS_H */
