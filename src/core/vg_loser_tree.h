/*-------------------------------------------------------------------------
 *
 * vg_loser_tree.h
 *	  A tournament (loser) tree merging ordered candidate streams.
 *
 * An index scan over a partitioned vecgraph index gets one ordered stream
 * of (distance, node) candidates per partition, in one process or in each
 * participant of a parallel scan, and must return them as one ordered
 * stream.  A loser tree does that with at most ceil(log2 P) comparisons per
 * candidate for P streams, where a binary heap of the heads needs up to
 * twice that to sift a replaced head down (two children to compare at each
 * level): each internal node remembers the loser of its last match, so
 * replacing the winner replays only the path from its leaf to the root, one
 * comparison per level.
 *
 * Streams are pulled lazily: a stream is asked for its next candidate only
 * once its current head has been returned, because asking for more resumes
 * that partition's graph search, which a scan stopped by LIMIT should never
 * pay for.
 *
 * The order is vg_candidate_less, and a full tie (the same node at the same
 * distance from two overlapping streams) goes to the lower stream index, so
 * that the merged order never depends on timing or memory layout.  A NaN
 * distance is neither less nor greater than anything, so where one appears
 * the merged order is well defined only up to stream index.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_LOSER_TREE_H
#define VG_LOSER_TREE_H

#include <stdbool.h>
#include <stdint.h>

#include "vg_alloc.h"
#include "vg_heap.h"

/*
 * Fills *out with stream's next candidate and returns true, or returns false
 * when the stream has no more (now).  Streams must yield ascending
 * (distance, id) order; the tree does not check.
 */
typedef bool (*VgStreamNext) (void *arg, int stream, VgCandidate *out);

/* One stream's current head; an exhausted stream sorts after everything. */
typedef struct VgLoserTreeHead
{
	VgCandidate candidate;
	bool		exhausted;
} VgLoserTreeHead;

/*
 * The tree is implicit, as in a binary heap: internal node i has children
 * 2i and 2i + 1, the root is node 1, and stream s is the leaf at nstreams + s.
 * Any nstreams works, not only powers of two: every internal node still has
 * exactly two children, leaves just sit at two neighbouring depths.
 */
typedef struct VgLoserTree
{
	int			nstreams;
	int			winner;			/* stream holding the smallest head */
	int			pending;		/* stream popped and not yet refilled, or -1 */
	int		   *losers;			/* [1 .. nstreams - 1]: stream that lost the
								 * match at that internal node; [0] unused */
	VgLoserTreeHead *heads;		/* [nstreams] */
	VgStreamNext next;
	void	   *arg;
	const VgAllocator *allocator;

	/*
	 * Statistics only: head comparisons made so far, setup included.  Tests
	 * and benchmarks read it to confirm the O(log P) cost of a pop.
	 */
	uint64_t	comparisons;
} VgLoserTree;

/*
 * Sets up a tree over nstreams (>= 1) streams, pulling each stream's first
 * candidate, in stream order.  Returns VG_ERR_INVALID for nstreams < 1 or
 * too large to index, VG_ERR_NO_MEMORY when an allocation fails; on any
 * error nothing stays allocated (vg_loser_tree_free is still harmless).
 */
extern VgStatus vg_loser_tree_init(VgLoserTree *tree, int nstreams,
								   VgStreamNext next, void *arg,
								   const VgAllocator *allocator);

/*
 * The smallest head among the streams: writes it to *out (and its stream to
 * *stream, if stream != NULL) and returns true; false when every stream is
 * exhausted.  The popped stream is refilled at the next peek or pop, not
 * now, so that a consumer that stops never makes a stream produce a head it
 * will not read.  O(log P) comparisons.
 */
extern bool vg_loser_tree_pop(VgLoserTree *tree, VgCandidate *out, int *stream);

/* The smallest head without removing it; false when every stream is exhausted. */
extern bool vg_loser_tree_peek(VgLoserTree *tree, VgCandidate *out,
							   int *stream);

extern void vg_loser_tree_free(VgLoserTree *tree);

#endif							/* VG_LOSER_TREE_H */
