/*-------------------------------------------------------------------------
 *
 * vg_hnsw_insert.c
 *	  Linking a new node into an HNSW graph.
 *
 * NOTES
 *	  Algorithm 1 of Malkov & Yashunin with the heuristic of algorithm 4.
 *	  Reverse links follow DiskANN's protocol: copy the neighbour's list,
 *	  decide the new list with no lock held (append, or prune the list plus
 *	  the new node), then write it back with the adapter's compare-and-swap;
 *	  when another inserter changed the list in between, start over from a
 *	  fresh copy.  The retry loop terminates because every failed swap means
 *	  another writer's swap succeeded.
 *
 *-------------------------------------------------------------------------
 */
#include "vg_hnsw.h"

VgStatus
vg_insert_scratch_init(VgInsertScratch *s, const VgHnswParams *params,
					   const VgAllocator *allocator)
{
	int			pool = params->m0 + 1;
	int			found = params->ef_construction > pool ? params->ef_construction : pool;

	s->found = vg_alloc(allocator, sizeof(VgCandidate) * found);
	s->pool = vg_alloc(allocator, sizeof(VgCandidate) * pool);
	s->chosen = vg_alloc(allocator, sizeof(VgNodeId) * pool);
	s->targets = vg_alloc(allocator, sizeof(VgNodeId) * pool);
	s->list = vg_alloc(allocator, sizeof(VgNodeId) * pool);
	s->chosen_vectors = vg_alloc(allocator, sizeof(float *) * pool);
	if (!s->found || !s->pool || !s->chosen || !s->targets || !s->list ||
		!s->chosen_vectors)
		return VG_ERR_NO_MEMORY;
	return vg_search_scratch_init(&s->search, params->m0, params->ef_construction, allocator);
}

void
vg_insert_scratch_free(VgInsertScratch *s)
{
	const VgAllocator *a = s->search.allocator;

	vg_release(a, s->found);
	vg_release(a, s->pool);
	vg_release(a, s->chosen);
	vg_release(a, s->targets);
	vg_release(a, s->list);
	vg_release(a, s->chosen_vectors);
	vg_search_scratch_free(&s->search);
}

/*
 * Adds node to target's list at level, pruning the list back to cap when
 * it is full.
 */
static void
add_reverse_link(const VgGraph *graph, VgNodeId target, VgNodeId node,
				 int level, int cap, VgInsertScratch *s)
{
	const VgGraphOps *ops = graph->ops;

	for (;;)
	{
		int			n = ops->neighbours(graph->store, target, level, s->list, cap);
		const float *tv;
		int			kept;

		for (int i = 0; i < n; i++)
			if (s->list[i] == node)
				return;			/* already linked */

		if (n < cap)
		{
			s->list[n] = node;
			if (ops->replace_neighbours(graph->store, target, level, s->list, n, s->list, n + 1))
				return;
			continue;
		}

		/* full: choose cap of the list plus node, as seen from target */
		tv = ops->vector(graph->store, target);
		s->list[n] = node;
		for (int i = 0; i <= n; i++)
		{
			s->pool[i].id = s->list[i];
			s->pool[i].distance =
				vg_metric_distance(&graph->metric, tv, ops->vector(graph->store, s->list[i]));
		}
		vg_candidates_sort(s->pool, n + 1);
		kept = vg_prune_robust(graph, s->pool, n + 1, cap, 1.0f, s->chosen, s->chosen_vectors);
		if (ops->replace_neighbours(graph->store, target, level, s->list, n, s->chosen, kept))
			return;
	}
}

/*
 * Chooses node's neighbours at level from s->found[0..n_found) and links
 * both ways.  Leaves in s->found the results other than node itself and
 * returns their count, the entries of the next level's search.
 */
static int
connect_level(const VgGraph *graph, const VgHnswParams *params, VgNodeId node,
			  int level, int n_found, VgInsertScratch *s)
{
	int			cap = level == 0 ? params->m0 : params->m;
	int			n_pool = 0;
	int			kept;

	/* the node itself is among the results once a concurrent insert linked it */
	for (int i = 0; i < n_found; i++)
		if (s->found[i].id != node)
			s->found[n_pool++] = s->found[i];

	kept = vg_prune_robust(graph, s->found, n_pool, params->m, 1.0f,
						   s->targets, s->chosen_vectors);
	if (params->keep_pruned)
		kept = vg_prune_fill(graph, s->found, n_pool, params->m, kept,
							 s->targets, s->chosen_vectors);

	/*
	 * Our list is empty unless a concurrent inserter that reached us through
	 * a higher level already linked to us; then merge instead of replacing.
	 */
	if (!graph->ops->replace_neighbours(graph->store, node, level, NULL, 0,
										s->targets, kept))
	{
		for (int i = 0; i < kept; i++)
			add_reverse_link(graph, node, s->targets[i], level, cap, s);
	}
	for (int i = 0; i < kept; i++)
		add_reverse_link(graph, s->targets[i], node, level, cap, s);
	return n_pool;
}

VgStatus
vg_hnsw_insert(const VgGraph *graph, const VgHnswParams *params,
			   VgNodeId node, int level, VgInsertScratch *s)
{
	const float *query = graph->ops->vector(graph->store, node);
	VgCandidate closest = {0, VG_NO_NODE};
	int			top_level;
	int			n_entries = 1;
	VgStatus	st;

	for (int attempt = 0;; attempt++)
	{
		VgNodeId	entry;
		int			entry_level;

		st = vg_hnsw_descend(graph, query, level, &s->search, &closest, &top_level);
		if (st != VG_OK)
			return st;
		if (closest.id != VG_NO_NODE && closest.id != node)
			break;
		graph->ops->offer_entry(graph->store, graph->partition, node, level);

		/*
		 * Two inserts into an empty graph both get here; the one whose offer
		 * lost must link to the winner like any other node, not stay alone
		 * (one more descent: the winner is in place before it is offered).
		 */
		graph->ops->entry(graph->store, graph->partition, &entry, &entry_level);
		if (entry == node || closest.id == node || attempt > 0)
			return VG_OK;
	}

	s->found[0] = closest;
	for (int lv = level < top_level ? level : top_level; lv >= 0; lv--)
	{
		int			n_found;
		int			n_next;

		/* the entries are read before the results overwrite them */
		st = vg_hnsw_search_layer(graph, query, s->found, n_entries,
								  params->ef_construction, lv, &s->search,
								  s->found, &n_found);
		if (st != VG_OK)
			return st;
		n_next = connect_level(graph, params, node, lv, n_found, s);
		if (n_next > 0)
			n_entries = n_next;
		else
		{
			s->found[0] = closest;
			n_entries = 1;
		}
	}

	if (level > top_level)
		graph->ops->offer_entry(graph->store, graph->partition, node, level);
	return VG_OK;
}
