/*-------------------------------------------------------------------------
 *
 * vg_hnsw_insert.c
 *	  Linking a new node into an HNSW graph.
 *
 * NOTES
 *	  Algorithm 1 of Malkov & Yashunin with the heuristic of algorithm 4,
 *	  reordered so that the node's first link is a tree link (vg_tree.c):
 *	  every level is searched first, with the node still unreachable; then
 *	  the node joins the tree at level 0; only then do its other links and
 *	  the reverse links go in (vg_links_add, DiskANN's copy / decide /
 *	  compare-and-swap protocol).  Searching all levels before linking any
 *	  changes nothing in what each level's search finds: a level's search
 *	  starts from the results of the level above, never from the new node.
 *
 *	  A new node joins the tree through the nearest node it found that has
 *	  room.  When it found none that is not deleted, the graph holds no live
 *	  node it could join (the tree spans them all), and it takes over as the
 *	  entry point.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "vg_hnsw.h"

/*
 * Rounds an insert takes before it gives up: each round but the last lost
 * a race for the entry point, which takes an insert that completes.
 */
#define VG_INSERT_ROUNDS 100

VgStatus
vg_insert_scratch_init(VgInsertScratch *s, const VgHnswParams *params,
					   const VgAllocator *allocator)
{
	int			pool = params->m0 + 1;
	VgStatus	st;

	s->found_cap = params->ef_construction > pool ? params->ef_construction : pool;
	s->found_levels = 2;
	s->found = vg_alloc(allocator, sizeof(VgCandidate) * s->found_cap * s->found_levels);
	s->targets = vg_alloc(allocator, sizeof(VgNodeId) * pool);
	s->chosen_vectors = vg_alloc(allocator, sizeof(void *) * pool);
	if (!s->found || !s->targets || !s->chosen_vectors)
		return VG_ERR_NO_MEMORY;
	if ((st = vg_list_scratch_init(&s->lists, params->m0, allocator)) != VG_OK)
		return st;
	return vg_search_scratch_init(&s->search, params->m0, params->ef_construction, allocator);
}

void
vg_insert_scratch_free(VgInsertScratch *s)
{
	const VgAllocator *a = s->search.allocator;

	vg_release(a, s->found);
	vg_release(a, s->targets);
	vg_release(a, s->chosen_vectors);
	vg_list_scratch_free(&s->lists);
	vg_search_scratch_free(&s->search);
}

/* Makes s->found hold levels + 1 levels' results. */
static VgStatus
room_for_levels(VgInsertScratch *s, int levels)
{
	const VgAllocator *a = s->search.allocator;
	VgCandidate *found;

	if (levels + 1 <= s->found_levels)
		return VG_OK;
	found = vg_alloc(a, sizeof(VgCandidate) * s->found_cap * (levels + 1));
	if (found == NULL)
		return VG_ERR_NO_MEMORY;
	vg_release(a, s->found);
	s->found = found;
	s->found_levels = levels + 1;
	return VG_OK;
}

static inline VgCandidate *
found_at(VgInsertScratch *s, int level)
{
	return s->found + (size_t) level * s->found_cap;
}

/*
 * Searches levels top..0 for query, each from the previous level's results
 * (from closest at the top), into found_at(level); n_found[level] gets
 * their counts.
 */
static VgStatus
search_levels(const VgGraph *graph, const VgHnswParams *params, const void *query,
			  VgCandidate closest, int top, VgInsertScratch *s, int *n_found)
{
	const VgCandidate *entries = &closest;
	int			n_entries = 1;
	VgStatus	st;

	if ((st = room_for_levels(s, top)) != VG_OK)
		return st;
	for (int lv = top; lv >= 0; lv--)
	{
		st = vg_hnsw_search_layer(graph, query, entries, n_entries,
								  params->ef_construction, lv, &s->search,
								  found_at(s, lv), &n_found[lv]);
		if (st != VG_OK)
			return st;
		if (n_found[lv] > 0)
		{
			entries = found_at(s, lv);
			n_entries = n_found[lv];
		}
	}
	return VG_OK;
}

/*
 * Chooses node's neighbours at level from found[0..n_found) and links both
 * ways.  Deleted nodes (infinitely far) are never chosen.
 */
static void
connect_level(const VgGraph *graph, const VgHnswParams *params, VgNodeId node,
			  int level, VgCandidate *found, int n_found, VgInsertScratch *s)
{
	int			cap = level == 0 ? params->m0 : params->m;
	int			n_pool = 0;
	int			kept;

	for (int i = 0; i < n_found; i++)
		if (found[i].id != node && !isinf(found[i].distance))
			found[n_pool++] = found[i];

	kept = vg_prune_robust(graph, found, n_pool, params->m, 1.0f, 0,
						   s->targets, s->chosen_vectors);
	if (params->keep_pruned)
		kept = vg_prune_fill(graph, found, n_pool, params->m, kept,
							 s->targets, s->chosen_vectors);

	/* at level 0 the list already holds the tree link, maybe more by now */
	vg_links_add(graph, node, level, s->targets, kept, cap, 1.0f, &s->lists);
	for (int i = 0; i < kept; i++)
		vg_links_add(graph, s->targets[i], level, &node, 1, cap, 1.0f, &s->lists);
}

/*
 * Makes node, not linked yet, the entry point when the graph has none, or
 * when its entry point is replace (a deleted node).  Returns whether node
 * is the entry point now.
 */
static bool
take_entry(const VgGraph *graph, VgNodeId node, int level, VgNodeId replace)
{
	VgNodeId	entry;
	int			entry_level;

	graph->ops->offer_entry(graph->store, graph->partition, node, level, replace);
	graph->ops->entry(graph->store, graph->partition, &entry, &entry_level);
	return entry == node;
}

VgStatus
vg_hnsw_insert(const VgGraph *graph, const VgHnswParams *params,
			   VgNodeId node, int level, VgInsertScratch *s)
{
	const void *query = graph->ops->vector(graph->store, node);
	int			n_found[VG_MAX_LEVEL + 1];
	VgCandidate closest;
	VgNodeId	parent;
	int			top_level;
	int			top;
	int			rounds = 0;
	VgStatus	st;

	/* retried when another insert took over the entry point meanwhile */
	for (;;)
	{
		st = vg_hnsw_descend(graph, query, level, &s->search, &closest, &top_level);
		if (st != VG_OK)
			return st;
		if (closest.id == node)
			return VG_OK;		/* it took over the entry point before */
		if (closest.id == VG_NO_NODE)
		{
			if (take_entry(graph, node, level, VG_NO_NODE))
				return VG_OK;
			continue;
		}

		top = level < top_level ? level : top_level;
		if ((st = search_levels(graph, params, query, closest, top, s, n_found)) != VG_OK)
			return st;
		st = vg_tree_attach(graph, node, found_at(s, 0), n_found[0],
							params->tree_degree, &s->lists, &parent);
		if (st != VG_OK)
			return st;
		if (parent != VG_NO_NODE)
			break;

		/*
		 * Only deleted nodes in reach, and the tree spans the graph: so the
		 * entry point is deleted too, unless another insert just took it
		 * over (then the next round finds that one).
		 */
		{
			VgNodeId	entry;
			int			entry_level;
			float		d;

			graph->ops->entry(graph->store, graph->partition, &entry, &entry_level);
			graph->ops->distances(graph->store, &graph->metric, query, &entry, 1, &d);
			if (isinf(d) && take_entry(graph, node, level, entry))
				return VG_OK;
		}
		if (++rounds > VG_INSERT_ROUNDS)
			return VG_ERR_INVALID;
	}

	for (int lv = top; lv >= 0; lv--)
		connect_level(graph, params, node, lv, found_at(s, lv), n_found[lv], s);
	if (level > top_level)
		graph->ops->offer_entry(graph->store, graph->partition, node, level, VG_NO_NODE);
	return VG_OK;
}
