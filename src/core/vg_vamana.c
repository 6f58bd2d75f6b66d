/*-------------------------------------------------------------------------
 *
 * vg_vamana.c
 *	  Vamana graphs: building (DiskANN) and inserting (FreshDiskANN).
 *
 * NOTES
 *	  Subramanya et al., "DiskANN: Fast Accurate Billion-point Nearest
 *	  Neighbor Search on a Single Node" (NeurIPS 2019), algorithm 3, and
 *	  Singh et al., "FreshDiskANN" (2021) for inserts and deletes.
 *
 *	  The build starts from an empty graph and visits every node in a well
 *	  spread order: a search for the node's own vector from the medoid
 *	  (which reaches the nodes already visited), then RobustPrune(alpha) of
 *	  every node that search expanded plus the node's current links, then
 *	  reverse links.  A reverse link may grow a list to the slack degree
 *	  (1.3 R, as DiskANN) before the list is pruned back to R, so that most
 *	  reverse links cost no prune.  The first pass uses alpha = 1, the
 *	  second the user's alpha; a last step prunes lists still longer than R.
 *	  DiskANN starts the first pass from R random links per node instead;
 *	  searching that graph costs more, and what it adds the second pass
 *	  redoes: on Fashion-MNIST the empty start built 14% faster with recall
 *	  no lower (docs/benchmarks.md).  The first pass is then FreshDiskANN's
 *	  insert of each node in turn, less the tree links.
 *
 *	  Concurrency is the adapter's, as for HNSW: a list is read as a copy,
 *	  the new one decided with no lock held and written by compare-and-swap,
 *	  decided again when another participant changed it meanwhile.
 *	  Participants see the graph in different states, so a parallel build
 *	  is not deterministic; its recall is measured (docs/benchmarks.md).
 *
 *	  Tree links (vg_tree.c), which inserts and VACUUM rely on, come last:
 *	  a breadth-first walk from the medoid adopts each node it reaches
 *	  through a link of the final graph as a tree neighbour of the node it
 *	  came from, within the tree degree; the few nodes no adoption reached
 *	  join through the nearest tree node a search finds, as an insert does.
 *	  Building the passes without tree links keeps them DiskANN's: a tree
 *	  link chosen early would hold a list slot through both passes.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "vg_vamana.h"

/* Nodes a participant claims at once. */
#define VG_VAMANA_CHUNK 32

/* Rounds an insert takes before it gives up (see vg_hnsw_insert.c). */
#define VG_INSERT_ROUNDS 100

VgVamanaParams
vg_vamana_params(int degree, int list_size, float alpha, bool two_pass)
{
	VgVamanaParams p;

	p.degree = degree;
	p.slack_degree = degree + (3 * degree + 9) / 10;
	p.list_size = list_size;
	p.alpha = alpha;
	p.two_pass = two_pass;
	p.tree_degree = vg_tree_degree(degree);
	return p;
}

VgStatus
vg_vamana_scratch_init(VgVamanaScratch *s, const VgVamanaParams *params,
					   const VgAllocator *allocator)
{
	int			slack = params->slack_degree;
	int			expanded_cap = 2 * params->list_size;
	VgStatus	st;

	memset(s, 0, sizeof(VgVamanaScratch));
	s->pool_cap = params->list_size + expanded_cap + slack + 1;
	s->found = vg_alloc(allocator, sizeof(VgCandidate) * params->list_size);
	s->expanded = vg_alloc(allocator, sizeof(VgCandidate) * expanded_cap);
	s->pool = vg_alloc(allocator, sizeof(VgCandidate) * s->pool_cap);
	s->list = vg_alloc(allocator, sizeof(VgNodeId) * (slack + 1));
	s->chosen = vg_alloc(allocator, sizeof(VgNodeId) * (slack + 1));
	s->vectors = vg_alloc(allocator, sizeof(void *) * (slack + 1));
	s->dists = vg_alloc(allocator, sizeof(float) * (slack + 1));
	if (!s->found || !s->expanded || !s->pool || !s->list || !s->chosen || !s->vectors ||
		!s->dists)
		return VG_ERR_NO_MEMORY;
	if ((st = vg_list_scratch_init(&s->lists, params->degree, allocator)) != VG_OK)
		return st;
	if ((st = vg_search_scratch_init(&s->search, slack, params->list_size, allocator)) != VG_OK)
		return st;
	s->search.expanded = s->expanded;
	s->search.expanded_cap = expanded_cap;
	return VG_OK;
}

void
vg_vamana_scratch_free(VgVamanaScratch *s)
{
	const VgAllocator *a = s->search.allocator;

	vg_release(a, s->found);
	vg_release(a, s->expanded);
	vg_release(a, s->pool);
	vg_release(a, s->list);
	vg_release(a, s->chosen);
	vg_release(a, s->vectors);
	vg_release(a, s->dists);
	vg_list_scratch_free(&s->lists);
	vg_search_scratch_free(&s->search);
}

/*
 * Searches the graph for node's vector from the entry point; the visited
 * set lands in s->search.expanded, the best in s->found.  Returns the
 * number found; 0 in an empty graph.
 */
static int
search_for(const VgGraph *graph, const VgVamanaParams *params, const void *nv,
		   VgNodeId entry, VgVamanaScratch *s, VgStatus *st)
{
	VgCandidate start = {0, entry};
	int			n_found = 0;

	s->search.n_expanded = 0;
	if (entry == VG_NO_NODE)
		return 0;
	graph->ops->distances(graph->store, &graph->metric, nv, &entry, 1, &start.distance);
	*st = vg_hnsw_search_layer(graph, nv, &start, 1, params->list_size, 0,
							   &s->search, s->found, &n_found);
	return n_found;
}

/*
 * s->pool = the first n_found of what the last search found and the first
 * n_expanded of what it expanded (0, 0: none), and extra[0..n_extra)
 * (distances from nv computed here), without exclude[0..n_exclude) and
 * without nodes the store ranks infinitely far (deleted); sorted, each node
 * once.  Returns the count.
 */
static int
gather(const VgGraph *graph, const void *nv, VgVamanaScratch *s, int n_found,
	   int n_expanded, const VgNodeId *extra, int n_extra, const VgNodeId *exclude,
	   int n_exclude)
{
	int			n = 0;
	int			unique = 0;

	for (int i = 0; i < n_found; i++)
		s->pool[n++] = s->found[i];
	for (int i = 0; i < n_expanded; i++)
		s->pool[n++] = s->search.expanded[i];
	if (n_extra > 0)
		graph->ops->distances(graph->store, &graph->metric, nv, extra, n_extra, s->dists);
	for (int i = 0; i < n_extra; i++)
		s->pool[n++] = (VgCandidate) {s->dists[i], extra[i]};
	vg_candidates_sort(s->pool, n);

	/* a node's copies have equal distances: look back over equal ones */
	for (int i = 0; i < n; i++)
	{
		VgCandidate c = s->pool[i];
		bool		seen = isinf(c.distance) || vg_ids_contain(exclude, n_exclude, c.id);

		for (int j = unique - 1; j >= 0 && !seen && s->pool[j].distance == c.distance; j--)
			seen = s->pool[j].id == c.id;
		if (!seen)
			s->pool[unique++] = c;
	}
	return unique;
}

/*
 * The prune of one list: chosen[0..n_tree) = the tree links of list (kept),
 * then what RobustPrune(alpha) keeps of pool[0..n) up to degree.
 */
static int
prune_into(const VgGraph *graph, const VgNodeId *list, int n_tree, const VgCandidate *pool,
		   int n, int degree, float alpha, VgVamanaScratch *s)
{
	for (int i = 0; i < n_tree; i++)
	{
		s->chosen[i] = list[i];
		s->vectors[i] = graph->ops->vector(graph->store, list[i]);
	}
	return vg_prune_robust(graph, pool, n, degree, alpha, n_tree, s->chosen, s->vectors);
}

/*
 * Replaces node's list, read as list[0..n) with n_tree tree links, by its
 * tree links and what RobustPrune(alpha) keeps, up to R, of its other links,
 * add (VG_NO_NODE: none) and the last search's first n_found found and
 * n_expanded expanded nodes.  Returns whether the compare-and-swap landed;
 * the list written is then s->chosen[0..*kept).
 */
static bool
replace_pruned(const VgGraph *graph, const VgVamanaParams *params, VgNodeId node,
			   const VgNodeId *list, int n, int n_tree, VgNodeId add, int n_found,
			   int n_expanded, float alpha, VgVamanaScratch *s, int *kept)
{
	const void *nv = graph->ops->vector(graph->store, node);
	VgNodeId   *exclude = s->lists.out[1];	/* node and its tree links */
	VgNodeId   *extra = s->lists.lists[2];	/* its other links, and add */
	int			n_extra = n - n_tree;
	int			count;

	exclude[0] = node;
	memcpy(exclude + 1, list, sizeof(VgNodeId) * n_tree);
	memcpy(extra, list + n_tree, sizeof(VgNodeId) * n_extra);
	if (add != VG_NO_NODE)
		extra[n_extra++] = add;
	count = gather(graph, nv, s, n_found, n_expanded, extra, n_extra, exclude, n_tree + 1);
	*kept = prune_into(graph, list, n_tree, s->pool, count, params->degree, alpha, s);
	return vg_replace_list(graph, node, 0, list, n, n_tree, s->chosen, *kept);
}

/*
 * Adds a link to from to node's list during a build: appended while the
 * list is under the slack degree, else the list and from pruned to R.
 */
static void
add_reverse(const VgGraph *graph, const VgVamanaParams *params, VgNodeId node,
			VgNodeId from, float alpha, VgVamanaScratch *s)
{
	VgNodeId   *list = s->lists.lists[0];
	VgNodeId   *appended = s->lists.lists[1];

	for (;;)
	{
		int			n_tree;
		int			n = graph->ops->neighbours(graph->store, node, 0, list,
											   params->slack_degree, &n_tree);
		int			kept;

		if (vg_ids_contain(list, n, from))
			return;
		if (n >= params->slack_degree)
		{
			if (replace_pruned(graph, params, node, list, n, n_tree, from, 0, 0, alpha, s, &kept))
				return;
			continue;
		}
		memcpy(appended, list, sizeof(VgNodeId) * n);
		appended[n] = from;
		if (vg_replace_list(graph, node, 0, list, n, n_tree, appended, n + 1))
			return;
	}
}

/*
 * One pass step for node: search for it, prune what the search visited
 * together with its current list, write the list, add reverse links.
 */
static VgStatus
link_node(const VgGraph *graph, const VgVamanaParams *params, VgNodeId node,
		  float alpha, VgVamanaScratch *s)
{
	const void *nv = graph->ops->vector(graph->store, node);
	VgNodeId	entry;
	int			entry_level;
	VgStatus	st = VG_OK;
	int			n_found;
	int			kept;
	VgNodeId   *targets = s->lists.out[0];

	graph->ops->entry(graph->store, graph->partition, &entry, &entry_level);
	n_found = search_for(graph, params, nv, entry, s, &st);
	if (st != VG_OK)
		return st;
	for (;;)
	{
		int			n_tree;
		int			n = graph->ops->neighbours(graph->store, node, 0, s->list,
											   params->slack_degree, &n_tree);

		if (replace_pruned(graph, params, node, s->list, n, n_tree, VG_NO_NODE, n_found,
						   s->search.n_expanded, alpha, s, &kept))
			break;
	}
	memcpy(targets, s->chosen, sizeof(VgNodeId) * kept);
	for (int i = 0; i < kept; i++)
		add_reverse(graph, params, targets[i], node, alpha, s);
	return VG_OK;
}

/* Prunes node's list to R if it is longer. */
static void
trim_node(const VgGraph *graph, const VgVamanaParams *params, VgNodeId node,
		  VgVamanaScratch *s)
{
	for (;;)
	{
		int			n_tree;
		int			n = graph->ops->neighbours(graph->store, node, 0, s->list,
											   params->slack_degree, &n_tree);
		int			kept;

		if (n <= params->degree ||
			replace_pruned(graph, params, node, s->list, n, n_tree, VG_NO_NODE, 0, 0,
						   params->alpha, s, &kept))
			return;
	}
}

VgStatus
vg_vamana_insert(const VgGraph *graph, const VgVamanaParams *params, VgNodeId node,
				 VgVamanaScratch *s)
{
	const void *nv = graph->ops->vector(graph->store, node);
	VgNodeId	parent = VG_NO_NODE;
	VgNodeId   *targets = s->lists.out[2];
	int			count = 0;
	int			kept;
	VgStatus	st = VG_OK;

	for (int round = 0; parent == VG_NO_NODE; round++)
	{
		VgNodeId	entry;
		int			entry_level;
		int			n_found;
		float		d;

		graph->ops->entry(graph->store, graph->partition, &entry, &entry_level);
		if (entry == node)
			return VG_OK;
		if (entry == VG_NO_NODE)
		{
			graph->ops->offer_entry(graph->store, graph->partition, node, 0, VG_NO_NODE);
			continue;
		}
		if (round > VG_INSERT_ROUNDS)
			return VG_ERR_INVALID;
		n_found = search_for(graph, params, nv, entry, s, &st);
		if (st != VG_OK)
			return st;
		count = gather(graph, nv, s, n_found, s->search.n_expanded, NULL, 0, &node, 1);
		if ((st = vg_tree_attach(graph, node, s->pool, count, params->tree_degree,
								 &s->lists, &parent)) != VG_OK)
			return st;

		/*
		 * No live node with room in reach: the tree spans the live nodes, so
		 * the entry point is deleted; take it over (vg_hnsw_insert.c).
		 */
		graph->ops->distances(graph->store, &graph->metric, nv, &entry, 1, &d);
		if (parent == VG_NO_NODE && isinf(d))
			graph->ops->offer_entry(graph->store, graph->partition, node, 0, entry);
	}

	/* the pool without the tree neighbour, which the list holds already */
	{
		int			n = 0;

		for (int i = 0; i < count; i++)
			if (s->pool[i].id != parent)
				s->pool[n++] = s->pool[i];
		count = n;
	}
	kept = prune_into(graph, &parent, 1, s->pool, count, params->degree, params->alpha, s);
	memcpy(targets, s->chosen + 1, sizeof(VgNodeId) * (kept - 1));
	vg_links_add(graph, node, 0, targets, kept - 1, params->degree, params->alpha, &s->lists);
	for (int i = 0; i < kept - 1; i++)
		vg_links_add(graph, targets[i], 0, &node, 1, params->degree, params->alpha, &s->lists);
	return VG_OK;
}

/* The build's arrays, after its header. */
static inline uint32_t *
members_of(VgVamanaBuild *b)
{
	return (uint32_t *) (b + 1);
}

static inline float *
sums_of(VgVamanaBuild *b)
{
	return (float *) (members_of(b) + b->n);
}

size_t
vg_vamana_build_size(uint32_t n, int partitions)
{
	return sizeof(VgVamanaBuild) + sizeof(uint32_t) * (size_t) n +
		sizeof(float) * (size_t) partitions * VG_VAMANA_SAMPLE;
}

static uint32_t
gcd32(uint32_t a, uint32_t b)
{
	while (b != 0)
	{
		uint32_t	t = a % b;

		a = b;
		b = t;
	}
	return a;
}

void
vg_vamana_build_init(VgVamanaBuild *b, const VgVamanaParams *params, const VgArena *arena,
					 int partitions)
{
	uint32_t	n = vg_arena_count(arena);
	uint32_t	fill[VG_MAX_PARTITIONS] = {0};
	uint32_t   *members;

	memset(b, 0, sizeof(VgVamanaBuild));
	b->params = *params;
	b->n = n;
	b->partitions = partitions;
	for (int i = 0; i < VG_VAMANA_STEPS; i++)
		atomic_init(&b->claimed[i], 0);

	/* members grouped by partition: a counting sort */
	for (VgNodeId id = 0; id < n; id++)
		b->part_start[vg_arena_partition(arena, id) + 1]++;
	for (int p = 0; p < partitions; p++)
		b->part_start[p + 1] += b->part_start[p];
	members = members_of(b);
	for (VgNodeId id = 0; id < n; id++)
	{
		int			p = vg_arena_partition(arena, id);

		members[b->part_start[p] + fill[p]++] = id;
	}
	for (int p = 0; p < partitions; p++)
	{
		uint32_t	size = b->part_start[p + 1] - b->part_start[p];

		b->samples[p] = size < VG_VAMANA_SAMPLE ? size : VG_VAMANA_SAMPLE;
	}

	/* a stride near n / golden ratio, coprime to n: a well spread order */
	b->stride = (uint32_t) ((double) n * 0.6180339887) | 1;
	while (n > 1 && gcd32(b->stride, n) != 1)
		b->stride += 2;
}

/* The partition of members[j]. */
static int
partition_at(const VgVamanaBuild *b, uint32_t j)
{
	int			p = 0;

	while (p + 1 < b->partitions && b->part_start[p + 1] <= j)
		p++;
	return p;
}

/* Sample t of partition p: evenly spread over the partition's members. */
static inline VgNodeId
sample_member(VgVamanaBuild *b, int p, uint32_t t)
{
	uint32_t	size = b->part_start[p + 1] - b->part_start[p];

	return members_of(b)[b->part_start[p] + (uint64_t) t * size / b->samples[p]];
}

/* Sample t's summed distance to the other samples of its partition. */
static void
sample_row(VgVamanaBuild *b, const VgGraph *graph, uint32_t t)
{
	int			p = 0;
	const void *v;
	double		sum = 0;

	while (t >= b->samples[p])
		t -= b->samples[p++];
	v = graph->ops->vector(graph->store, sample_member(b, p, t));
	for (uint32_t k = 0; k < b->samples[p]; k++)
		sum += vg_metric_distance(&graph->metric, v,
								  graph->ops->vector(graph->store, sample_member(b, p, k)));
	sums_of(b)[p * VG_VAMANA_SAMPLE + t] = (float) sum;
}

static uint32_t
step_items(const VgVamanaBuild *b, VgVamanaStep step)
{
	uint32_t	total = 0;

	if (step != VG_VAMANA_INIT)
		return b->n;
	for (int p = 0; p < b->partitions; p++)
		total += b->samples[p];
	return total;
}

VgStatus
vg_vamana_build_work(VgVamanaBuild *b, const VgGraph *graph, VgVamanaStep step,
					 VgVamanaScratch *s)
{
	const VgVamanaParams *params = &b->params;
	uint32_t	total = step_items(b, step);
	float		alpha = step == VG_VAMANA_PASS1 ? 1.0f : params->alpha;
	VgGraph		g = *graph;

	if (step == VG_VAMANA_PASS1 && !params->two_pass)
		return VG_OK;
	for (;;)
	{
		uint32_t	from = atomic_fetch_add(&b->claimed[step], VG_VAMANA_CHUNK);
		uint32_t	to = from + VG_VAMANA_CHUNK < total ? from + VG_VAMANA_CHUNK : total;

		if (from >= total)
			return VG_OK;
		if (graph->ops->check_interrupts)
			graph->ops->check_interrupts(graph->store);
		for (uint32_t i = from; i < to; i++)
		{
			uint32_t	j;
			VgStatus	st = VG_OK;

			if (step == VG_VAMANA_INIT)
			{
				sample_row(b, graph, i);
				continue;
			}
			j = (uint32_t) ((uint64_t) i * b->stride % b->n);	/* i < n: n > 0 */
			g.partition = partition_at(b, j);
			if (step == VG_VAMANA_TRIM)
				trim_node(&g, params, members_of(b)[j], s);
			else
				st = link_node(&g, params, members_of(b)[j], alpha, s);
			if (st != VG_OK)
				return st;
		}
	}
}

void
vg_vamana_build_medoids(VgVamanaBuild *b, const VgGraph *graph)
{
	for (int p = 0; p < b->partitions; p++)
	{
		const float *sums = sums_of(b) + p * VG_VAMANA_SAMPLE;
		uint32_t	best = 0;

		if (b->samples[p] == 0)
			continue;
		for (uint32_t t = 1; t < b->samples[p]; t++)
			if (sums[t] < sums[best])
				best = t;
		graph->ops->offer_entry(graph->store, p, sample_member(b, p, best), 0, VG_NO_NODE);
	}
}

/*
 * Adopts what p links to into the tree, breadth first; queue[*tail..] gets
 * the adopted nodes.
 */
static VgStatus
adopt_links(const VgGraph *graph, const VgVamanaParams *params, VgNodeId p,
			uint8_t *in_tree, VgNodeId *queue, uint32_t *tail, VgVamanaScratch *s)
{
	int			n_tree;
	int			n = graph->ops->neighbours(graph->store, p, 0, s->list, params->degree, &n_tree);

	memcpy(s->chosen, s->list, sizeof(VgNodeId) * n);
	for (int i = n_tree; i < n && n_tree < params->tree_degree; i++)
	{
		VgNodeId	c = s->chosen[i];
		VgCandidate only = {0, p};
		VgNodeId	parent;
		VgStatus	st;

		if (in_tree[c])
			continue;
		if ((st = vg_tree_attach(graph, c, &only, 1, params->tree_degree, &s->lists,
								 &parent)) != VG_OK)
			return st;
		if (parent == VG_NO_NODE)
			continue;
		n_tree += parent == p;
		in_tree[c] = 1;
		queue[(*tail)++] = c;
	}
	return VG_OK;
}

/* Joins a node no adoption reached through the nearest tree node a search finds. */
static VgStatus
attach_stray(const VgGraph *graph, const VgVamanaParams *params, VgNodeId node,
			 VgNodeId entry, const uint8_t *in_tree, VgVamanaScratch *s, VgNodeId *parent)
{
	const void *nv = graph->ops->vector(graph->store, node);
	VgStatus	st = VG_OK;
	int			n_found = search_for(graph, params, nv, entry, s, &st);
	int			n = 0;

	if (st != VG_OK)
		return st;
	for (int i = 0; i < n_found; i++)
		if (in_tree[s->found[i].id] && s->found[i].id != node)
			s->pool[n++] = s->found[i];
	if (n == 0)
		s->pool[n++] = (VgCandidate) {0, entry};
	return vg_tree_attach(graph, node, s->pool, n, params->tree_degree, &s->lists, parent);
}

VgStatus
vg_vamana_build_tree(VgVamanaBuild *b, const VgGraph *graph, VgVamanaScratch *s,
					 uint32_t *attached)
{
	const VgAllocator *a = s->search.allocator;
	uint32_t   *members = members_of(b);
	uint8_t    *in_tree = vg_alloc(a, b->n ? b->n : 1);
	VgNodeId   *queue = vg_alloc(a, sizeof(VgNodeId) * (b->n ? b->n : 1));
	VgStatus	st = VG_OK;
	VgGraph		g = *graph;

	*attached = 0;
	if (in_tree == NULL || queue == NULL)
		return VG_ERR_NO_MEMORY;
	memset(in_tree, 0, b->n);
	for (int p = 0; p < b->partitions && st == VG_OK; p++)
	{
		VgNodeId	entry;
		int			level;
		uint32_t	head = 0,
					tail = 0;

		g.partition = p;
		graph->ops->entry(graph->store, p, &entry, &level);
		if (entry == VG_NO_NODE)
			continue;
		in_tree[entry] = 1;
		queue[tail++] = entry;
		while (head < tail && st == VG_OK)
		{
			if (graph->ops->check_interrupts && (head & 1023) == 0)
				graph->ops->check_interrupts(graph->store);
			st = adopt_links(&g, &b->params, queue[head++], in_tree, queue, &tail, s);
		}
		for (uint32_t j = b->part_start[p]; j < b->part_start[p + 1] && st == VG_OK; j++)
		{
			VgNodeId	node = members[j];
			VgNodeId	parent = VG_NO_NODE;

			if (in_tree[node])
				continue;
			st = attach_stray(&g, &b->params, node, entry, in_tree, s, &parent);
			if (parent != VG_NO_NODE)
			{
				in_tree[node] = 1;
				(*attached)++;
			}
		}
	}
	vg_release(a, in_tree);
	vg_release(a, queue);
	return st;
}

VgStatus
vg_vamana_build_serial(VgVamanaBuild *b, const VgGraph *graph, VgVamanaScratch *s)
{
	uint32_t	attached;
	VgStatus	st;

	if ((st = vg_vamana_build_work(b, graph, VG_VAMANA_INIT, s)) != VG_OK)
		return st;
	vg_vamana_build_medoids(b, graph);
	for (int step = VG_VAMANA_PASS1; step <= VG_VAMANA_TRIM; step++)
		if ((st = vg_vamana_build_work(b, graph, (VgVamanaStep) step, s)) != VG_OK)
			return st;
	return vg_vamana_build_tree(b, graph, s, &attached);
}

VgNodeId
vg_vamana_exact_medoid(const VgGraph *graph, const VgNodeId *ids, uint32_t n)
{
	VgNodeId	best = VG_NO_NODE;
	double		best_sum = INFINITY;

	for (uint32_t i = 0; i < n; i++)
	{
		const void *v = graph->ops->vector(graph->store, ids[i]);
		double		sum = 0;

		for (uint32_t k = 0; k < n; k++)
			sum += vg_metric_distance(&graph->metric, v, graph->ops->vector(graph->store, ids[k]));
		if (sum < best_sum)
		{
			best_sum = sum;
			best = ids[i];
		}
	}
	return best;
}
