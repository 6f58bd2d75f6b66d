/*-------------------------------------------------------------------------
 *
 * vg_loser_tree.c
 *	  Merging ordered candidate streams with a tournament (loser) tree.
 *
 *-------------------------------------------------------------------------
 */
#include <limits.h>
#include <stdint.h>

#include "vg_loser_tree.h"

/*
 * Does stream a's head come before stream b's?  Exhausted streams act as
 * +infinity, and ties (including two exhausted streams) go to the lower
 * index: that makes this a total order over streams, which is what lets a
 * match's loser stay valid until one of its two players changes.
 */
static inline bool
head_less(VgLoserTree *tree, int a, int b)
{
	const VgLoserTreeHead *ha = &tree->heads[a];
	const VgLoserTreeHead *hb = &tree->heads[b];

	tree->comparisons++;
	if (ha->exhausted || hb->exhausted)
	{
		if (ha->exhausted && hb->exhausted)
			return a < b;
		return hb->exhausted;
	}
	if (vg_candidate_less(ha->candidate, hb->candidate))
		return true;
	if (vg_candidate_less(hb->candidate, ha->candidate))
		return false;
	return a < b;
}

/*
 * Pulls stream s's next head.  Once a stream has reported its end it is not
 * asked again: a scan's stream may be a suspended graph search whose state
 * is released when it reports the end.
 */
static void
refill(VgLoserTree *tree, int s)
{
	VgLoserTreeHead *h = &tree->heads[s];

	if (h->exhausted)
		return;
	if (!tree->next(tree->arg, s, &h->candidate))
		h->exhausted = true;
}

VgStatus
vg_loser_tree_init(VgLoserTree *tree, int nstreams, VgStreamNext next,
				   void *arg, const VgAllocator *allocator)
{
	int			s;

	tree->nstreams = 0;
	tree->winner = 0;
	tree->pending = -1;
	tree->losers = NULL;
	tree->heads = NULL;
	tree->next = next;
	tree->arg = arg;
	tree->allocator = allocator;
	tree->comparisons = 0;

	/* leaf positions run up to 2 * nstreams - 1, which must fit in an int */
	if (nstreams < 1 || nstreams > INT_MAX / 2 ||
		(size_t) nstreams > SIZE_MAX / sizeof(VgLoserTreeHead))
		return VG_ERR_INVALID;

	/*
	 * One slot more than there are internal nodes keeps the root at 1, so
	 * that parent and leaf arithmetic needs no offsets; it also spares P = 1
	 * a zero-byte allocation.
	 */
	tree->losers = vg_alloc(allocator, sizeof(int) * (size_t) nstreams);
	tree->heads = vg_alloc(allocator, sizeof(VgLoserTreeHead) * (size_t) nstreams);
	if (tree->losers == NULL || tree->heads == NULL)
	{
		vg_loser_tree_free(tree);
		return VG_ERR_NO_MEMORY;
	}
	tree->nstreams = nstreams;

	for (s = 0; s < nstreams; s++)
	{
		tree->heads[s].exhausted = false;
		refill(tree, s);
	}

	/*
	 * Build by sending each leaf up the tree.  An empty node (-1) means the
	 * winner of its other subtree has not arrived yet, so the arriving stream
	 * waits there; the second arrival plays it, the loser stays and the
	 * winner climbs on.  Each internal node thus sees exactly the winners of
	 * its two subtrees, as after a bottom-up build, but needs no scratch
	 * array of subtree winners; and exactly one stream leaves the root.
	 */
	for (s = 1; s < nstreams; s++)
		tree->losers[s] = -1;
	for (s = 0; s < nstreams; s++)
	{
		int			cur = s;
		int			node;

		for (node = (nstreams + s) / 2; node >= 1; node /= 2)
		{
			int			waiting = tree->losers[node];

			if (waiting < 0)
			{
				tree->losers[node] = cur;
				cur = -1;
				break;
			}
			if (head_less(tree, waiting, cur))
			{
				tree->losers[node] = cur;
				cur = waiting;
			}
		}
		if (cur >= 0)
			tree->winner = cur;
	}
	return VG_OK;
}

/*
 * Refills the stream popped last and replays its path, finding the new
 * winner.  Deferred from the pop to the next peek or pop, so a consumer
 * that stops after a pop (a LIMIT) never makes a stream produce a head
 * nobody will read -- for a scan, a wider search round nobody needs.
 */
static void
settle(VgLoserTree *tree)
{
	int			cur = tree->pending;
	int			node;

	if (cur < 0)
		return;
	tree->pending = -1;
	refill(tree, cur);

	/*
	 * Only the old winner's head changed, and every match off its path was
	 * between streams whose heads did not, so those results still hold.
	 * Replaying the path against the stored losers finds the new winner.
	 */
	for (node = (tree->nstreams + cur) / 2; node >= 1; node /= 2)
	{
		int			loser = tree->losers[node];

		if (head_less(tree, loser, cur))
		{
			tree->losers[node] = cur;
			cur = loser;
		}
	}
	tree->winner = cur;
}

bool
vg_loser_tree_peek(VgLoserTree *tree, VgCandidate *out, int *stream)
{
	const VgLoserTreeHead *h;

	settle(tree);
	h = &tree->heads[tree->winner];
	/* the winner is the smallest head, so if it is exhausted all are */
	if (h->exhausted)
		return false;
	*out = h->candidate;
	if (stream != NULL)
		*stream = tree->winner;
	return true;
}

/* A peek whose stream refills (lazily, at the next call) before the next. */
bool
vg_loser_tree_pop(VgLoserTree *tree, VgCandidate *out, int *stream)
{
	if (!vg_loser_tree_peek(tree, out, stream))
		return false;
	tree->pending = tree->winner;
	return true;
}

void
vg_loser_tree_free(VgLoserTree *tree)
{
	vg_release(tree->allocator, tree->losers);
	vg_release(tree->allocator, tree->heads);
	tree->losers = NULL;
	tree->heads = NULL;
	tree->nstreams = 0;
}
