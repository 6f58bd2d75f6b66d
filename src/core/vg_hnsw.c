/*-------------------------------------------------------------------------
 *
 * vg_hnsw.c
 *	  HNSW search and insertion over a VgGraphOps adapter.
 *
 * NOTES
 *	  Malkov & Yashunin, "Efficient and robust approximate nearest neighbor
 *	  search using Hierarchical Navigable Small World graphs" (2016):
 *	  algorithm 1 (insert), 2 (search a layer), 4 (heuristic selection, here
 *	  vg_prune_robust with alpha = 1).  As in hnswlib, a new node chooses m
 *	  neighbours at every level, while level-0 lists may grow to m0 = 2m
 *	  through reverse links; a full list is pruned with the same heuristic,
 *	  but kept full (vg_links.c).
 *	  Unlike hnswlib, each level's search starts from all the previous
 *	  level's results rather than the single closest.
 *
 *	  Concurrency: no lock is held by this file.  Neighbour lists are read
 *	  as copies and written with the adapter's compare-and-swap; a reverse
 *	  link whose target changed in between is recomputed.  Inserting is in
 *	  vg_hnsw_insert.c.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "vg_hnsw.h"

VgHnswParams
vg_hnsw_params(int m, int ef_construction)
{
	VgHnswParams p;

	p.m = m;
	p.m0 = 2 * m;
	p.ef_construction = ef_construction;
	p.level_mult = 1.0 / log((double) m);
	p.keep_pruned = true;
	p.tree_degree = vg_tree_degree(p.m0);
	return p;
}

VgStatus
vg_search_scratch_init(VgSearchScratch *s, int max_degree, int ef,
					   const VgAllocator *allocator)
{
	VgStatus	st;

	s->allocator = allocator;
	s->max_degree = max_degree;
	s->expanded = NULL;
	s->n_expanded = 0;
	s->expanded_cap = 0;
	s->ids = vg_alloc(allocator, sizeof(VgNodeId) * max_degree);
	s->dists = vg_alloc(allocator, sizeof(float) * max_degree);
	if (s->ids == NULL || s->dists == NULL)
		return VG_ERR_NO_MEMORY;
	if ((st = vg_visited_init(&s->visited, (uint32_t) ef * max_degree, allocator)) != VG_OK)
		return st;
	if ((st = vg_heap_init(&s->candidates, ef * 2, allocator)) != VG_OK)
		return st;
	return vg_heap_init(&s->results, ef + 1, allocator);
}

void
vg_search_scratch_free(VgSearchScratch *s)
{
	vg_release(s->allocator, s->ids);
	vg_release(s->allocator, s->dists);
	vg_visited_free(&s->visited);
	vg_heap_free(&s->candidates);
	vg_heap_free(&s->results);
}

/* Offers a candidate to the search; keeps the result heap at ef. */
static inline VgStatus
consider(VgSearchScratch *s, VgCandidate c, int ef)
{
	VgStatus	st;

	if (s->results.size >= ef && c.distance >= -vg_heap_top(&s->results).distance)
		return VG_OK;
	if ((st = vg_heap_push(&s->candidates, c)) != VG_OK)
		return st;
	if ((st = vg_heap_push(&s->results, (VgCandidate) {-c.distance, c.id})) != VG_OK)
		return st;
	if (s->results.size > ef)
		vg_heap_pop(&s->results);
	return VG_OK;
}

/* Expands one node: offers its unvisited neighbours at level. */
static VgStatus
expand(const VgGraph *graph, const void *query, VgNodeId node, int level,
	   int ef, VgSearchScratch *s)
{
	VgStatus	st = VG_OK;
	int			n = graph->ops->neighbours(graph->store, node, level, s->ids,
											  s->max_degree, NULL);
	int			fresh = 0;

	for (int i = 0; i < n; i++)
		if (vg_visited_add(&s->visited, s->ids[i], &st))
			s->ids[fresh++] = s->ids[i];
	if (st != VG_OK || fresh == 0)
		return st;

	graph->ops->distances(graph->store, &graph->metric, query, s->ids, fresh, s->dists);
	for (int i = 0; i < fresh && st == VG_OK; i++)
		st = consider(s, (VgCandidate) {s->dists[i], s->ids[i]}, ef);
	return st;
}

VgStatus
vg_hnsw_search_layer(const VgGraph *graph, const void *query,
					 const VgCandidate *entries, int n_entries, int ef,
					 int level, VgSearchScratch *s, VgCandidate *out, int *n_out)
{
	VgStatus	st = VG_OK;
	int			expanded = 0;

	vg_visited_clear(&s->visited);
	vg_heap_clear(&s->candidates);
	vg_heap_clear(&s->results);
	s->n_expanded = 0;
	for (int i = 0; i < n_entries && st == VG_OK; i++)
		if (vg_visited_add(&s->visited, entries[i].id, &st))
			st = consider(s, entries[i], ef);

	while (st == VG_OK && s->candidates.size > 0)
	{
		VgCandidate c = vg_heap_pop(&s->candidates);

		if (s->results.size >= ef && c.distance > -vg_heap_top(&s->results).distance)
			break;
		if (s->expanded && s->n_expanded < s->expanded_cap)
			s->expanded[s->n_expanded++] = c;
		st = expand(graph, query, c.id, level, ef, s);
		if (graph->ops->check_interrupts && (++expanded & 63) == 0)
			graph->ops->check_interrupts(graph->store);
	}

	/* the result heap pops farthest first: fill out from the back */
	*n_out = s->results.size;
	for (int i = s->results.size - 1; i >= 0; i--)
	{
		VgCandidate r = vg_heap_pop(&s->results);

		out[i] = (VgCandidate) {-r.distance, r.id};
	}
	return st;
}

VgStatus
vg_hnsw_descend(const VgGraph *graph, const void *query, int level,
		VgSearchScratch *s, VgCandidate *closest, int *top_level)
{
	VgNodeId	entry;
	VgStatus	st = VG_OK;
	int			n;

	graph->ops->entry(graph->store, graph->partition, &entry, top_level);
	closest->id = entry;
	if (entry == VG_NO_NODE)
		return VG_OK;
	graph->ops->distances(graph->store, &graph->metric, query, &entry, 1,
						   &closest->distance);
	for (int lv = *top_level; lv > level && st == VG_OK; lv--)
		st = vg_hnsw_search_layer(graph, query, closest, 1, 1, lv, s, closest, &n);
	return st;
}

VgStatus
vg_hnsw_search(const VgGraph *graph, const void *query, int ef, int k,
			   VgSearchScratch *s, VgCandidate *out, int *n_out)
{
	VgCandidate closest = {0, VG_NO_NODE};
	int			top_level;
	VgStatus	st;

	*n_out = 0;
	st = vg_hnsw_descend(graph, query, 0, s, &closest, &top_level);
	if (st != VG_OK || closest.id == VG_NO_NODE)
		return st;
	st = vg_hnsw_search_layer(graph, query, &closest, 1, ef > k ? ef : k, 0, s, out, n_out);
	if (*n_out > k)
		*n_out = k;
	return st;
}

int
vg_hnsw_random_level(double level_mult, uint64_t *rng)
{
	uint64_t	x = vg_splitmix64(rng);
	double		u = ((double) (x >> 11) + 1.0) / 9007199254740993.0;	/* (0, 1] */
	double		level;

	level = floor(-log(u) * level_mult);
	return level > VG_MAX_LEVEL ? VG_MAX_LEVEL : (int) level;
}
