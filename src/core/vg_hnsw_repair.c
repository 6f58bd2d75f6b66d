/*-------------------------------------------------------------------------
 *
 * vg_hnsw_repair.c
 *	  Linking nodes that no path from the entry point reaches.
 *
 * NOTES
 *	  HNSW's heuristic keeps a list diverse by dropping candidates that a
 *	  kept neighbour covers; the same rule, applied when reverse links
 *	  overflow a list, can remove a node's last in-link.  Such a node is
 *	  never returned by any search.  hnswlib accepts this; vecgraph keeps
 *	  a tree of links that pruning never drops (vg_tree.c), so a node is
 *	  unreachable only when its insert never finished.  This pass is the
 *	  check, and the repair should anything else ever leave one so: builds
 *	  and VACUUM end with it, and report what it linked.
 *
 *-------------------------------------------------------------------------
 */
#include "vg_hnsw.h"

/*
 * Marks everything reachable from start at level 0, where every search
 * ends: a node reachable only through upper-level links can be missed.
 */
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
		int			n;

		/* a walk over a large index takes seconds: stay cancellable */
		if (graph->ops->check_interrupts && (++walked & 1023) == 0)
			graph->ops->check_interrupts(graph->store);

		n = graph->ops->neighbours(graph->store, node, 0, list, max_degree, NULL);
		for (int i = 0; i < n && st == VG_OK; i++)
			if (vg_visited_add(seen, list[i], &st))
				st = vg_heap_push(queue, (VgCandidate) {0, list[i]});
	}
	return st;
}

/*
 * Joins orphan to the tree through the nearest reachable node among
 * found[0..n_found) with room (or one found along tree links from it).
 */
static VgStatus
link_from_reachable(const VgGraph *graph, const VgHnswParams *params,
					VgNodeId orphan, VgCandidate *found, int n_found,
					const VgVisited *seen, VgInsertScratch *s)
{
	VgNodeId	parent;
	int			n = 0;

	for (int i = 0; i < n_found; i++)
		if (found[i].id != orphan && vg_visited_contains(seen, found[i].id))
			found[n++] = found[i];
	return vg_tree_attach(graph, orphan, found, n, params->tree_degree,
						  &s->lists, &parent);
}

VgStatus
vg_hnsw_unreached(const VgGraph *graph, int max_degree, const VgNodeId *nodes,
				  uint32_t n_nodes, const VgAllocator *a, VgNodeId *out,
				  uint32_t *n_out)
{
	VgVisited	seen;
	VgHeap		queue;
	VgNodeId	entry;
	VgNodeId   *list;
	int			top;
	VgStatus	st;

	*n_out = 0;
	graph->ops->entry(graph->store, graph->partition, &entry, &top);
	if (entry == VG_NO_NODE)
		return VG_OK;
	list = vg_alloc(a, sizeof(VgNodeId) * (size_t) max_degree);
	if (list == NULL)
		return VG_ERR_NO_MEMORY;
	if ((st = vg_visited_init(&seen, n_nodes, a)) != VG_OK)
	{
		vg_release(a, list);
		return st;
	}
	if ((st = vg_heap_init(&queue, 1024, a)) == VG_OK)
	{
		st = mark_reachable(graph, entry, &seen, &queue, list, max_degree);
		vg_heap_free(&queue);
	}
	for (uint32_t i = 0; i < n_nodes && st == VG_OK; i++)
		if (!vg_visited_contains(&seen, nodes[i]))
			out[(*n_out)++] = nodes[i];
	vg_visited_free(&seen);
	vg_release(a, list);
	return st;
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
	st = mark_reachable(graph, entry, &seen, &queue, s->lists.lists[0], params->m0);

	for (uint32_t i = 0; i < n_nodes && st == VG_OK; i++)
	{
		VgNodeId	u = nodes ? nodes[i] : (VgNodeId) i;
		int			n_found;

		if (vg_visited_contains(&seen, u))
			continue;
		/* never linked: its insert has not reached its tree link yet */
		if (graph->ops->neighbours(graph->store, u, 0, s->lists.lists[0], 1, NULL) == 0)
			continue;
		st = vg_hnsw_search(graph, graph->ops->vector(graph->store, u),
							params->ef_construction, params->ef_construction,
							&s->search, s->found, &n_found);
		if (st != VG_OK)
			break;
		st = link_from_reachable(graph, params, u, s->found, n_found, &seen, s);
		if (st == VG_OK)
			st = mark_reachable(graph, u, &seen, &queue, s->lists.lists[0], params->m0);
		(*linked)++;
	}
	vg_heap_free(&queue);
	vg_visited_free(&seen);
	return st;
}
