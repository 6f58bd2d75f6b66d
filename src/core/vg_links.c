/*-------------------------------------------------------------------------
 *
 * vg_links.c
 *	  Adding links to a neighbour list under its cap.
 *
 * NOTES
 *	  DiskANN's reverse-edge protocol: copy the list, decide the new one with
 *	  no lock held, write it back with the adapter's compare-and-swap, and
 *	  start over from a fresh copy when another writer changed it in
 *	  between.  The loop terminates because every failed swap means another
 *	  writer's swap succeeded.
 *
 *	  When a list overflows, hnswlib and the paper keep only what the
 *	  heuristic keeps, which can shrink a full list of 2m links to a handful
 *	  and cut the in-links of every node dropped.  Here the list stays
 *	  nearly full: an overflow drops the farthest links that a nearer link
 *	  of the list covers (is nearer to them than the node is: a search
 *	  reaches them through it), at most an eighth of the cap, and only when
 *	  none is covered the farthest ones.  Running the whole heuristic
 *	  instead, then refilling with the nearest of what it pruned, drops
 *	  nearly the same links, but costs a distance between most pairs of
 *	  the list; with full lists every reverse link overflows one, and on
 *	  Fashion-MNIST that made builds 1.3x slower.  Dropping a few at once
 *	  lets the next reverse links in for free.  Tree links are never
 *	  dropped.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdbool.h>
#include <string.h>

#include "vg_links.h"

VgStatus
vg_list_scratch_init(VgListScratch *s, int cap, const VgAllocator *allocator)
{
	bool		ok = true;

	s->cap = cap;
	s->allocator = allocator;
	for (int i = 0; i < VG_MAX_LIST_UPDATES; i++)
	{
		s->lists[i] = vg_alloc(allocator, sizeof(VgNodeId) * (2 * cap + 1));
		s->out[i] = vg_alloc(allocator, sizeof(VgNodeId) * (cap + 1));
		ok = ok && s->lists[i] != NULL && s->out[i] != NULL;
	}
	s->pool = vg_alloc(allocator, sizeof(VgCandidate) * (2 * cap + 1));
	s->vectors = vg_alloc(allocator, sizeof(void *) * (2 * cap + 1));
	return ok && s->pool != NULL && s->vectors != NULL ? VG_OK : VG_ERR_NO_MEMORY;
}

void
vg_list_scratch_free(VgListScratch *s)
{
	for (int i = 0; i < VG_MAX_LIST_UPDATES; i++)
	{
		vg_release(s->allocator, s->lists[i]);
		vg_release(s->allocator, s->out[i]);
	}
	vg_release(s->allocator, s->pool);
	vg_release(s->allocator, s->vectors);
}

int
vg_links_choose(const VgGraph *graph, VgNodeId node, VgNodeId *out, int n_tree,
				const VgNodeId *ids, int n, int cap, float alpha, VgListScratch *s)
{
	const VgGraphOps *ops = graph->ops;
	const void *base = ops->vector(graph->store, node);
	int			kept;

	for (int i = 0; i < n; i++)
	{
		s->pool[i].id = ids[i];
		s->pool[i].distance = vg_metric_distance(&graph->metric, base,
												 ops->vector(graph->store, ids[i]));
	}
	vg_candidates_sort(s->pool, n);
	for (int i = 0; i < n_tree; i++)
		s->vectors[i] = ops->vector(graph->store, out[i]);
	kept = vg_prune_robust(graph, s->pool, n, cap, alpha, n_tree, out, s->vectors);
	return vg_prune_fill(graph, s->pool, n, cap, kept, out, s->vectors);
}

/*
 * Distances from base to ids[0..n) into pool, through the adapter's batch
 * call: a page adapter overlaps the cache misses of a batch, and the
 * members of a list are seldom in the CPU caches.  A store that deletes
 * nodes may rank them infinitely far.
 */
static void
pool_distances(const VgGraph *graph, const void *base, const VgNodeId *ids,
			   int n, VgListScratch *s)
{
	float		d[VG_LIST_BATCH];

	for (int from = 0; from < n; from += VG_LIST_BATCH)
	{
		int			len = n - from < VG_LIST_BATCH ? n - from : VG_LIST_BATCH;

		graph->ops->distances(graph->store, &graph->metric, base, ids + from, len, d);
		for (int i = 0; i < len; i++)
		{
			s->pool[from + i].id = ids[from + i];
			s->pool[from + i].distance = d[i];
		}
	}
}

/* The vector of pool[i], asked of the adapter once per trim. */
static const void *
pool_vector(const VgGraph *graph, VgListScratch *s, int i)
{
	if (s->vectors[i] == NULL)
		s->vectors[i] = graph->ops->vector(graph->store, s->pool[i].id);
	return s->vectors[i];
}

/*
 * The ordinary links of an overflowing list, ids[0..n) (more than cap -
 * n_tree of them), trimmed as the header says into out after its n_tree
 * tree links.  A link to a deleted node (infinitely far) goes first.
 * Returns the new count.
 */
static int
trim_list(const VgGraph *graph, VgNodeId node, VgNodeId *out, int n_tree,
		  const VgNodeId *ids, int n, int cap, float alpha, VgListScratch *s)
{
	int			must = n_tree + n - cap;
	int			want = must > cap / 8 ? must : cap / 8;
	int			dropped = 0;

	pool_distances(graph, graph->ops->vector(graph->store, node), ids, n, s);
	vg_candidates_sort(s->pool, n);
	for (int i = 0; i < n; i++)
	{
		s->vectors[i] = NULL;
		dropped += isinf(s->pool[i].distance);
	}

	/*
	 * Farthest first, so every nearer candidate is still in the list and may
	 * cover; a dropped one is marked by an infinite distance.
	 */
	for (int i = n - 1; i > 0 && dropped < want; i--)
	{
		bool		covered = false;

		if (isinf(s->pool[i].distance))
			continue;
		for (int j = 0; j < i && !covered; j++)
			covered = vg_prune_covers(&graph->metric, alpha,
									  vg_metric_distance(&graph->metric,
														 pool_vector(graph, s, i),
														 pool_vector(graph, s, j)),
									  s->pool[i].distance);
		if (covered)
		{
			s->pool[i].distance = INFINITY;
			dropped++;
		}
	}
	for (int i = n - 1; i >= 0 && dropped < must; i--)
		if (!isinf(s->pool[i].distance))
		{
			s->pool[i].distance = INFINITY;
			dropped++;
		}
	for (int i = 0; i < n; i++)
		if (!isinf(s->pool[i].distance))
			out[n_tree++] = s->pool[i].id;
	return n_tree;
}

/* Whether out[0..n_out) holds any of ids[0..n). */
static bool
any_kept(const VgNodeId *ids, int n, const VgNodeId *out, int n_out)
{
	for (int i = 0; i < n; i++)
		if (vg_ids_contain(out, n_out, ids[i]))
			return true;
	return false;
}

void
vg_links_add(const VgGraph *graph, VgNodeId node, int level,
			 const VgNodeId *ids, int n, int cap, float alpha, VgListScratch *s)
{
	VgNodeId   *list = s->lists[0];
	VgNodeId   *merged = s->lists[1];

	for (;;)
	{
		int			n_tree = 0;
		int			have = graph->ops->neighbours(graph->store, node, level, list,
												  cap, &n_tree);
		int			total = have;
		int			count;

		/* merged = the list, then what ids add to it */
		for (int i = 0; i < have; i++)
			merged[i] = list[i];
		for (int i = 0; i < n; i++)
			if (ids[i] != node && !vg_ids_contain(merged, total, ids[i]))
				merged[total++] = ids[i];
		if (total == have)
			return;				/* linked already */

		if (total <= cap)
		{
			if (vg_replace_list(graph, node, level, list, have, n_tree, merged, total))
				return;
			continue;
		}
		memcpy(s->out[0], list, sizeof(VgNodeId) * n_tree);
		count = trim_list(graph, node, s->out[0], n_tree, merged + n_tree,
						  total - n_tree, cap, alpha, s);
		if (!any_kept(merged + have, total - have, s->out[0], count))
			return;				/* every link offered was dropped: no change to write */
		if (vg_replace_list(graph, node, level, list, have, n_tree, s->out[0], count))
			return;
	}
}
