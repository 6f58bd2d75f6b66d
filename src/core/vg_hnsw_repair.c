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

#include "vg_hnsw.h"

/* Marks everything reachable from start over all levels; returns the count. */
static uint32_t
mark_reachable(const VgGraph *graph, VgNodeId start, uint8_t *seen,
			   VgNodeId *queue, VgNodeId *list, int max_degree)
{
	uint32_t	head = 0,
				tail = 0;

	if (seen[start])
		return 0;
	seen[start] = 1;
	queue[tail++] = start;
	while (head < tail)
	{
		VgNodeId	node = queue[head++];
		int			top = graph->ops->level(graph->store, node);

		for (int lv = 0; lv <= top; lv++)
		{
			int			n = graph->ops->neighbours(graph->store, node, lv, list, max_degree);

			for (int i = 0; i < n; i++)
				if (!seen[list[i]])
				{
					seen[list[i]] = 1;
					queue[tail++] = list[i];
				}
		}
	}
	return tail;
}

/*
 * Adds orphan to the level-0 list of the best reachable node among found:
 * the first with room, else the first, whose farthest neighbour (the list
 * is not sorted, so measured) gives way.
 */
static void
link_from_reachable(const VgGraph *graph, const VgHnswParams *params,
					VgNodeId orphan, const VgCandidate *found, int n_found,
					const uint8_t *seen, VgInsertScratch *s)
{
	const VgGraphOps *ops = graph->ops;
	VgNodeId	fallback = VG_NO_NODE;

	for (int i = 0; i < n_found; i++)
	{
		VgNodeId	r = found[i].id;
		int			n;

		if (r == orphan || !seen[r])
			continue;
		if (fallback == VG_NO_NODE)
			fallback = r;
		n = ops->neighbours(graph->store, r, 0, s->list, params->m0);
		if (n < params->m0)
		{
			s->list[n] = orphan;
			ops->replace_neighbours(graph->store, r, 0, s->list, n, s->list, n + 1);
			return;
		}
	}
	if (fallback != VG_NO_NODE)
	{
		const float *fv = ops->vector(graph->store, fallback);
		int			n = ops->neighbours(graph->store, fallback, 0, s->list, params->m0);
		int			worst = 0;
		float		worst_d = -1.0f;

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
					 uint32_t n_nodes, VgInsertScratch *s, uint32_t *linked)
{
	const VgAllocator *a = s->search.allocator;
	uint8_t    *seen = vg_alloc(a, n_nodes ? n_nodes : 1);
	VgNodeId   *queue = vg_alloc(a, sizeof(VgNodeId) * (n_nodes ? n_nodes : 1));
	VgNodeId	entry;
	int			top;
	VgStatus	st = VG_OK;

	*linked = 0;
	if (seen == NULL || queue == NULL)
	{
		vg_release(a, seen);
		vg_release(a, queue);
		return VG_ERR_NO_MEMORY;
	}
	memset(seen, 0, n_nodes);
	graph->ops->entry(graph->store, &entry, &top);
	if (entry != VG_NO_NODE)
		mark_reachable(graph, entry, seen, queue, s->list, params->m0);

	for (VgNodeId u = 0; u < n_nodes && st == VG_OK && entry != VG_NO_NODE; u++)
	{
		int			n_found;

		if (seen[u])
			continue;
		st = vg_hnsw_search(graph, graph->ops->vector(graph->store, u),
							params->ef_construction, params->ef_construction,
							&s->search, s->found, &n_found);
		link_from_reachable(graph, params, u, s->found, n_found, seen, s);
		mark_reachable(graph, u, seen, queue, s->list, params->m0);
		(*linked)++;
	}
	vg_release(a, seen);
	vg_release(a, queue);
	return st;
}
