/*-------------------------------------------------------------------------
 *
 * vg_vamana.h
 *	  Vamana (DiskANN): one flat graph of degree R entered at the medoid,
 *	  over any storage that implements VgGraphOps.
 *
 * A Vamana graph lives in the same store as an HNSW graph: every node at
 * level 0 only, lists of up to R links (tree links first, vg_tree.c), the
 * medoid as each partition's entry point.  Searches are HNSW's level-0
 * search (vg_hnsw_search finds no upper level to descend).  What differs
 * is how lists are chosen: RobustPrune with alpha > 1 over every node a
 * search for the node expanded, which keeps long links where HNSW keeps
 * upper levels.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_VAMANA_H
#define VG_VAMANA_H

#include <stdatomic.h>

#include "vg_arena.h"
#include "vg_graph.h"
#include "vg_hnsw.h"
#include "vg_links.h"

/* Limits of the degree R. */
#define VG_VAMANA_MIN_DEGREE	8
#define VG_VAMANA_MAX_DEGREE	128

typedef struct VgVamanaParams
{
	int			degree;			/* R: the most links a list keeps */
	int			slack_degree;	/* a build lets lists grow to this before pruning */
	int			list_size;		/* L: the build's search list */
	float		alpha;			/* RobustPrune's, on ranking distances */
	bool		two_pass;		/* a first pass with alpha = 1, as DiskANN */
	int			tree_degree;	/* tree links an insert may give a node */
} VgVamanaParams;

/* alpha is on ranking distances (the glue converts: VgPruneAlpha). */
extern VgVamanaParams vg_vamana_params(int degree, int list_size, float alpha,
									   bool two_pass);

/* Working memory of one builder or inserter. */
typedef struct VgVamanaScratch
{
	VgSearchScratch search;
	VgCandidate *found;			/* list_size */
	VgCandidate *expanded;		/* the search's visited set */
	VgCandidate *pool;			/* candidates of one list */
	int			pool_cap;
	VgNodeId   *list;			/* a copy of one list (slack_degree) */
	VgNodeId   *chosen;			/* its replacement */
	const void **vectors;
	float	   *dists;			/* distances of one list's links */
	VgListScratch lists;		/* lists of R, for tree links and inserts */
} VgVamanaScratch;

extern VgStatus vg_vamana_scratch_init(VgVamanaScratch *s, const VgVamanaParams *params,
									   const VgAllocator *allocator);
extern void vg_vamana_scratch_free(VgVamanaScratch *s);

/*
 * Links node, already in storage with its vector and an empty list, into
 * the graph as FreshDiskANN inserts: searches from the entry point with
 * list_size, joins the tree of tree links through the nearest node with
 * room, keeps what RobustPrune(alpha) keeps of the visited set, and adds
 * reverse links (pruning a list that overflows R).  Safe to run
 * concurrently for different nodes.
 */
extern VgStatus vg_vamana_insert(const VgGraph *graph, const VgVamanaParams *params,
								 VgNodeId node, VgVamanaScratch *s);

/*
 * Building a Vamana graph over an arena holding every node (and no links),
 * as DiskANN does but from an empty graph (vg_vamana.c), by any number of
 * participants (threads or processes) sharing this state:
 *
 *	vg_vamana_build_init		one participant; the others wait for it
 *	VG_VAMANA_INIT				the medoid samples' distances to each other
 *	vg_vamana_build_medoids		one participant: entry points
 *	VG_VAMANA_PASS1				alpha = 1 (when two_pass)
 *	VG_VAMANA_PASS2				the user's alpha
 *	VG_VAMANA_TRIM				lists longer than R pruned to R
 *	vg_vamana_build_tree		one participant: the tree of tree links
 *
 * Every participant calls vg_vamana_build_work for each parallel step, and
 * all of them must be done with a step before any starts the next (the
 * caller's barrier).  Work is claimed in small chunks from an atomic
 * counter, so participants that start late or run slow share what is
 * left.  The state holds no pointers: it works in shared memory mapped at
 * different addresses.
 */
typedef enum VgVamanaStep
{
	VG_VAMANA_INIT,
	VG_VAMANA_PASS1,
	VG_VAMANA_PASS2,
	VG_VAMANA_TRIM,
	VG_VAMANA_STEPS
} VgVamanaStep;

/* Nodes whose mean distance to each other picks the medoid, per partition. */
#define VG_VAMANA_SAMPLE 1000

typedef struct VgVamanaBuild
{
	VgVamanaParams params;
	uint32_t	n;				/* nodes */
	int			partitions;
	uint32_t	stride;			/* pass order: i * stride mod n, coprime to n */
	_Atomic uint32_t claimed[VG_VAMANA_STEPS];
	uint32_t	part_start[VG_MAX_PARTITIONS + 1];	/* into members */
	uint32_t	samples[VG_MAX_PARTITIONS];
	/* then uint32_t members[n], grouped by partition; float sums[P * SAMPLE] */
} VgVamanaBuild;

extern size_t vg_vamana_build_size(uint32_t n, int partitions);
extern void vg_vamana_build_init(VgVamanaBuild *b, const VgVamanaParams *params,
								 const VgArena *arena, int partitions);
extern VgStatus vg_vamana_build_work(VgVamanaBuild *b, const VgGraph *graph,
									 VgVamanaStep step, VgVamanaScratch *s);
extern void vg_vamana_build_medoids(VgVamanaBuild *b, const VgGraph *graph);
extern VgStatus vg_vamana_build_tree(VgVamanaBuild *b, const VgGraph *graph,
									 VgVamanaScratch *s, uint32_t *attached);

/* All of it, by one participant (serial builds, tests). */
extern VgStatus vg_vamana_build_serial(VgVamanaBuild *b, const VgGraph *graph,
									   VgVamanaScratch *s);

/*
 * The node whose ranking distance to the others of ids[0..n) is least on
 * average: the exact medoid (tests).
 */
extern VgNodeId vg_vamana_exact_medoid(const VgGraph *graph, const VgNodeId *ids, uint32_t n);

#endif							/* VG_VAMANA_H */
