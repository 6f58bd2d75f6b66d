/*-------------------------------------------------------------------------
 *
 * vg_hnsw_repair.c
 *	  Linking nodes that no path from the entry point reaches.
 *
 * NOTES
 *	  HNSW's heuristic keeps a list diverse by dropping candidates that a
 *	  kept neighbour covers; the same rule, applied when reverse links
 *	  overflow a list, can remove a node's last in-link.  Such a node is
 *	  never returned by any search.  hnswlib accepts this; vecgraph promises
 *	  that every indexed row can be found, so builds end with this pass.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include <math.h>

#include "vg_hnsw.h"

/* Marks everything reachable from start over all levels. */
static VgStatus
mark_reachable(const VgGraph *graph, VgNodeId start, VgVisited *seen,
			   VgHeap *queue, VgNodeId *list, int max_degree)
{
	VgStatus	st = VG_OK;
	uint32_t	walked = 0;

	if (!vg_visited_add(seen, start, &st))
		return st;
	vg_heap_clear(queue);
	if ((st = vg_heap_push(queue, (VgCandidate) {0, start})) != VG_OK)
		return st;
	while (queue->size > 0 && st == VG_OK)
	{
		VgNodeId	node = vg_heap_pop(queue).id;
		int			top = graph->ops->level(graph->store, node);

		/* a walk over a large index takes seconds: stay cancellable */
		if (graph->ops->check_interrupts && (++walked & 1023) == 0)
			graph->ops->check_interrupts(graph->store);

		for (int lv = 0; lv <= top && st == VG_OK; lv++)
		{
			int			n = graph->ops->neighbours(graph->store, node, lv, list, max_degree);

			for (int i = 0; i < n && st == VG_OK; i++)
				if (vg_visited_add(seen, list[i], &st))
					st = vg_heap_push(queue, (VgCandidate) {0, list[i]});
		}
	}
	return st;
}

/*
 * Adds orphan to the level-0 list of the best reachable node among found:
 * the first with room, else the first, whose farthest neighbour (the list
 * is not sorted, so measured) gives way.
 */
static void
link_from_reachable(const VgGraph *graph, const VgHnswParams *params,
					VgNodeId orphan, const VgCandidate *found, int n_found,
					const VgVisited *seen, VgInsertScratch *s)
{
	const VgGraphOps *ops = graph->ops;
	VgNodeId	fallback = VG_NO_NODE;

	for (int i = 0; i < n_found; i++)
	{
		VgNodeId	r = found[i].id;
		int			n;

		if (r == orphan || !vg_visited_contains(seen, r))
			continue;
		if (fallback == VG_NO_NODE)
			fallback = r;
		n = ops->neighbours(graph->store, r, 0, s->list, params->m0);
		if (n < params->m0)
		{
			s->list[n] = orphan;
			if (ops->replace_neighbours(graph->store, r, 0, s->list, n, s->list, n + 1))
				return;
		}
	}
	if (fallback != VG_NO_NODE)
	{
		const float *fv = ops->vector(graph->store, fallback);
		int			n = ops->neighbours(graph->store, fallback, 0, s->list, params->m0);
		int			worst = 0;
		float		worst_d = -INFINITY;	/* inner-product distances are negative */

		memcpy(s->chosen, s->list, sizeof(VgNodeId) * n);
		for (int i = 0; i < n; i++)
		{
			float		d = vg_metric_distance(&graph->metric, fv,
											   ops->vector(graph->store, s->list[i]));

			if (d > worst_d)
			{
				worst_d = d;
				worst = i;
			}
		}
		s->chosen[worst] = orphan;
		ops->replace_neighbours(graph->store, fallback, 0, s->list, n, s->chosen, n);
	}
}

VgStatus
vg_hnsw_link_orphans(const VgGraph *graph, const VgHnswParams *params,
					 const VgNodeId *nodes, uint32_t n_nodes,
					 VgInsertScratch *s, uint32_t *linked)
{
	const VgAllocator *a = s->search.allocator;
	VgVisited	seen;
	VgHeap		queue;
	VgNodeId	entry;
	int			top;
	VgStatus	st;

	*linked = 0;
	graph->ops->entry(graph->store, graph->partition, &entry, &top);
	if (entry == VG_NO_NODE)
		return VG_OK;
	if ((st = vg_visited_init(&seen, n_nodes, a)) != VG_OK)
		return st;
	if ((st = vg_heap_init(&queue, 1024, a)) != VG_OK)
	{
		vg_visited_free(&seen);
		return st;
	}
	st = mark_reachable(graph, entry, &seen, &queue, s->list, params->m0);

	for (uint32_t i = 0; i < n_nodes && st == VG_OK; i++)
	{
		VgNodeId	u = nodes ? nodes[i] : (VgNodeId) i;
		int			n_found;

		if (vg_visited_contains(&seen, u))
			continue;
		st = vg_hnsw_search(graph, graph->ops->vector(graph->store, u),
							params->ef_construction, params->ef_construction,
							&s->search, s->found, &n_found);
		if (st != VG_OK)
			break;
		link_from_reachable(graph, params, u, s->found, n_found, &seen, s);
		st = mark_reachable(graph, u, &seen, &queue, s->list, params->m0);
		(*linked)++;
	}
	vg_heap_free(&queue);
	vg_visited_free(&seen);
	return st;
}
