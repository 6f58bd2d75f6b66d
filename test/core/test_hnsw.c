/*-------------------------------------------------------------------------
 *
 * test_hnsw.c
 *	  Unit tests of HNSW over the in-memory arena: recall against brute
 *	  force, graph invariants, pruning, and concurrent insertion.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_arena.h"
#include "vg_hnsw.h"
#include "vg_test.h"
#include "vg_test_rng.h"

#define DIM 24
#define NODES 4000
#define QUERIES 100
#define K 10

/*
 * Clustered data: recall on uniform noise says little about real use.
 * The cluster centres are fixed, so that queries (another seed) come from
 * the same distribution as the data.
 */
float *
vg_test_clustered_data(int n, uint64_t seed)
{
	float	   *data = malloc(sizeof(float) * DIM * n);
	float		centres[16][DIM];
	VgTestRng	rng;

	vg_rng_seed(&rng, 12345);
	for (int c = 0; c < 16; c++)
		for (int d = 0; d < DIM; d++)
			centres[c][d] = vg_rng_float(&rng, -10, 10);
	vg_rng_seed(&rng, seed);
	for (int i = 0; i < n; i++)
	{
		int			c = (int) (vg_rng_next(&rng) % 16);

		for (int d = 0; d < DIM; d++)
			data[i * DIM + d] = centres[c][d] + vg_rng_float(&rng, -3, 3);
	}
	return data;
}

static VgMetric
l2_metric(void)
{
	VgMetric	m = {vg_distance_kernels(VG_SIMD_SCALAR)->l2_squared, 1.0f, DIM, 0, 0};

	return m;
}

typedef struct Built
{
	void	   *mem;
	VgArena    *arena;
	VgGraph		graph;
	VgHnswParams params;
} Built;

static Built
build(const float *data, int n, int m, int efc)
{
	Built		b;
	VgInsertScratch s;
	uint64_t	rng = 42;

	b.params = vg_hnsw_params(m, efc);
	b.mem = aligned_alloc(64, (vg_arena_size(n, sizeof(float) * DIM, 2 * m, m) + 63) & ~(size_t) 63);
	b.arena = vg_arena_init(b.mem, n, sizeof(float) * DIM, 2 * m, m, false);
	b.graph = vg_arena_graph(b.arena, l2_metric());
	vg_insert_scratch_init(&s, &b.params, &vg_malloc_allocator);
	for (int i = 0; i < n; i++)
	{
		VgNodeId	id;
		int			level = vg_hnsw_random_level(b.params.level_mult, &rng);

		CHECK_INT_EQ(vg_arena_add(b.arena, data + i * DIM, level, 0, (uint64_t) i, &id), VG_OK);
		CHECK_INT_EQ(vg_hnsw_insert(&b.graph, &b.params, id, level, &s), VG_OK);
	}
	vg_insert_scratch_free(&s);
	return b;
}

/* Exact k nearest of query among data[0..n), ascending. */
static void
brute_force(const float *data, int n, const float *query, VgCandidate *out)
{
	VgMetric	metric = l2_metric();
	VgCandidate *all = malloc(sizeof(VgCandidate) * n);

	for (int i = 0; i < n; i++)
		all[i] = (VgCandidate) {vg_metric_distance(&metric, query, data + i * DIM), (VgNodeId) i};
	vg_candidates_sort(all, n);
	memcpy(out, all, sizeof(VgCandidate) * K);
	free(all);
}

static double
recall_at_k(Built *b, const float *data, int n, const float *queries, int ef)
{
	VgSearchScratch s;
	VgCandidate *found = malloc(sizeof(VgCandidate) * (ef > K ? ef : K));
	VgCandidate truth[K];
	int			hits = 0;

	vg_search_scratch_init(&s, b->params.m0, ef, &vg_malloc_allocator);
	for (int q = 0; q < QUERIES; q++)
	{
		int			n_found;

		brute_force(data, n, queries + q * DIM, truth);
		CHECK_INT_EQ(vg_hnsw_search(&b->graph, queries + q * DIM, ef, K, &s, found, &n_found), VG_OK);
		CHECK_INT_EQ(n_found, K);
		for (int i = 0; i < n_found; i++)
			for (int j = 0; j < K; j++)
				hits += vg_arena_payload(b->arena, found[i].id) == truth[j].id;
	}
	vg_search_scratch_free(&s);
	free(found);
	return (double) hits / (QUERIES * K);
}

static void
test_recall(void)
{
	float	   *data = vg_test_clustered_data(NODES, 1);
	float	   *queries = vg_test_clustered_data(QUERIES, 2);
	Built		b = build(data, NODES, 12, 64);
	double		r40 = recall_at_k(&b, data, NODES, queries, 40);
	double		r200 = recall_at_k(&b, data, NODES, queries, 200);

	printf("    recall@10: ef 40 %.3f, ef 200 %.3f\n", r40, r200);
	CHECK_MSG(r40 >= 0.95, "recall@10 at ef 40 is %.3f", r40);
	CHECK_MSG(r200 >= 0.995, "recall@10 at ef 200 is %.3f", r200);
	CHECK(r200 >= r40);
	free(b.mem);
	free(data);
	free(queries);
}

/* Distinct pages of PER_PAGE nodes a node's level-0 list spans, averaged. */
static double
pages_per_list(Built *b, const uint32_t *position)
{
	enum
	{
		PER_PAGE = 4
	};
	VgNodeId	ids[64];
	double		total = 0.0;

	for (uint32_t u = 0; u < NODES; u++)
	{
		int			n = vg_arena_ops.neighbours(b->arena, u, 0, ids, 64, NULL);
		uint32_t	pages[64];
		int			distinct = 0;

		for (int i = 0; i < n; i++)
		{
			uint32_t	page = position[ids[i]] / PER_PAGE;
			int			j = 0;

			while (j < distinct && pages[j] != page)
				j++;
			if (j == distinct)
				pages[distinct++] = page;
		}
		total += distinct;
	}
	return total / NODES;
}

/*
 * The locality order is a permutation that starts at the entry point and
 * puts each list on fewer pages than the insertion order does.
 */
static void
test_locality_order(void)
{
	float	   *data = vg_test_clustered_data(NODES, 5);
	Built		b = build(data, NODES, 12, 64);
	uint32_t   *order = malloc(sizeof(uint32_t) * NODES);
	uint32_t   *position = malloc(sizeof(uint32_t) * NODES);
	uint32_t   *identity = malloc(sizeof(uint32_t) * NODES);
	VgNodeId	entry;
	int			level;
	double		before;
	double		after;

	CHECK_INT_EQ(vg_arena_locality_order(b.arena, order, 4, &vg_malloc_allocator), VG_OK);
	for (uint32_t i = 0; i < NODES; i++)
		position[i] = identity[i] = UINT32_MAX;
	for (uint32_t k = 0; k < NODES; k++)
	{
		CHECK_MSG(order[k] < NODES && position[order[k]] == UINT32_MAX,
				  "order[%u] = %u repeats or is out of range", k, order[k]);
		if (order[k] < NODES)
			position[order[k]] = k;
		identity[k] = k;
	}
	vg_arena_ops.entry(b.arena, 0, &entry, &level);
	CHECK_INT_EQ(order[0], entry);
	before = pages_per_list(&b, identity);
	after = pages_per_list(&b, position);
	printf("    pages a level-0 list spans (4 nodes a page): %.1f in insertion order, %.1f in locality order\n",
		   before, after);
	CHECK_MSG(after < 0.9 * before, "%.1f pages a list, %.1f before", after, before);
	free(order);
	free(position);
	free(identity);
	free(b.mem);
	free(data);
}

/*
 * Checks the tree links of node's level-0 list list[0..n) (n_tree of them):
 * within the budget, each one paired with a tree link back.
 */
static void
check_tree_links(Built *b, VgNodeId node, const VgNodeId *list, int n_tree)
{
	VgNodeId	back[64];
	int			back_tree;

	CHECK_MSG(n_tree <= b->params.tree_degree, "node %u has %d tree links", node, n_tree);
	for (int i = 0; i < n_tree; i++)
	{
		bool		paired = false;

		vg_arena_ops.neighbours(b->arena, list[i], 0, back, 64, &back_tree);
		for (int j = 0; j < back_tree; j++)
			paired = paired || back[j] == node;
		CHECK_MSG(paired, "tree link %u -> %u has no twin", node, list[i]);
	}
}

/*
 * Nodes reached from the entry point at level 0, following every link, or
 * only tree links.
 */
static uint32_t
count_reachable(Built *b, bool tree_only)
{
	uint32_t	n = vg_arena_count(b->arena);
	char	   *seen = calloc(n, 1);
	VgNodeId   *queue = malloc(sizeof(VgNodeId) * n);
	VgNodeId	list[64];
	VgNodeId	entry;
	int			top;
	uint32_t	head = 0,
				tail = 0;

	vg_arena_ops.entry(b->arena, 0, &entry, &top);
	CHECK(entry != VG_NO_NODE);
	queue[tail++] = entry;
	seen[entry] = 1;
	while (head < tail)
	{
		VgNodeId	node = queue[head++];
		int			n_tree;
		int			cnt = vg_arena_ops.neighbours(b->arena, node, 0, list, 64, &n_tree);

		for (int i = 0; i < (tree_only ? n_tree : cnt); i++)
			if (!seen[list[i]])
			{
				seen[list[i]] = 1;
				queue[tail++] = list[i];
			}
	}
	free(seen);
	free(queue);
	return tail;
}

/*
 * Lists within caps, no self-links, no duplicates, ids in range, tree
 * links paired; every node reachable from the entry point at level 0, and
 * over tree links alone, which join n nodes with n - 1 pairs.
 */
static void
check_invariants(Built *b)
{
	uint32_t	n = vg_arena_count(b->arena);
	VgNodeId	list[64];
	VgNodeId	entry;
	int			top;
	uint64_t	tree_links = 0;

	for (VgNodeId id = 0; id < n; id++)
		for (int lv = 0; lv <= vg_arena_level(b->arena, id); lv++)
		{
			int			n_tree;
			int			cnt = vg_arena_ops.neighbours(b->arena, id, lv, list, 64, &n_tree);

			CHECK(cnt <= (lv == 0 ? b->params.m0 : b->params.m));
			for (int i = 0; i < cnt; i++)
			{
				CHECK(list[i] != id && list[i] < n);
				CHECK(lv <= vg_arena_level(b->arena, list[i]));
				for (int j = 0; j < i; j++)
					CHECK(list[i] != list[j]);
			}
			if (lv == 0)
			{
				check_tree_links(b, id, list, n_tree);
				tree_links += n_tree;
			}
		}

	vg_arena_ops.entry(b->arena, 0, &entry, &top);
	for (VgNodeId id = 0; id < n; id++)
		CHECK(vg_arena_level(b->arena, id) <= top);
	CHECK_MSG(tree_links == 2 * (uint64_t) (n - 1), "%llu tree links among %u nodes",
			  (unsigned long long) tree_links, n);
	CHECK_MSG(count_reachable(b, false) == n, "%u of %u nodes reachable from the entry point",
			  count_reachable(b, false), n);
	CHECK_MSG(count_reachable(b, true) == n, "%u of %u nodes reachable over tree links",
			  count_reachable(b, true), n);
}

/*
 * A sparse graph (m = 4) over duplicated points, where the heuristic alone
 * orphans nodes: tree links keep every one reachable, so the repair pass
 * finds nothing to link.
 */
static void
test_invariants_and_orphans(void)
{
	float	   *data = vg_test_clustered_data(NODES, 3);
	Built		b;
	VgInsertScratch s;
	uint32_t	linked;

	for (int i = NODES / 2; i < NODES; i++)	/* half the points twice */
		memcpy(data + i * DIM, data + (i - NODES / 2) * DIM, sizeof(float) * DIM);
	b = build(data, NODES, 4, 16);
	check_invariants(&b);
	vg_insert_scratch_init(&s, &b.params, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_hnsw_link_orphans(&b.graph, &b.params, NULL, NODES, &s, &linked), VG_OK);
	CHECK_INT_EQ(linked, 0);
	vg_insert_scratch_free(&s);
	free(b.mem);
	free(data);
}

/* Removes every link to victim, at every level, as a lost write would. */
static void
cut_in_links(Built *b, int n, VgNodeId victim)
{
	VgNodeId	list[2 * 16],
				kept[2 * 16];

	for (VgNodeId id = 0; id < (VgNodeId) n; id++)
		for (int lv = 0; lv <= vg_arena_level(b->arena, id); lv++)
		{
			int			n_tree = 0;
			int			len = b->graph.ops->neighbours(b->graph.store, id, lv, list, 32, &n_tree);
			int			k = 0,
						k_tree = 0;

			for (int i = 0; i < len; i++)
				if (list[i] != victim)
				{
					kept[k++] = list[i];
					k_tree += i < n_tree;
				}
			if (k < len)
			{
				VgListUpdate u = {id, lv, list, len, n_tree, kept, k, k_tree};

				CHECK(b->graph.ops->update_lists(b->graph.store, &u, 1));
			}
		}
}

/*
 * Nodes whose in-links were all lost are found by one walk and joined
 * again by the repair; afterwards the walk finds nothing.
 */
static void
test_unreached_and_relinked(void)
{
	float	   *data = vg_test_clustered_data(NODES, 5);
	Built		b = build(data, NODES, 8, 32);
	VgNodeId   *all = malloc(sizeof(VgNodeId) * NODES);
	VgNodeId   *out = malloc(sizeof(VgNodeId) * NODES);
	VgNodeId	entry;
	VgInsertScratch s;
	uint32_t	n_out,
				linked;
	int			top,
				cut = 0;

	for (VgNodeId id = 0; id < NODES; id++)
		all[id] = id;
	CHECK_INT_EQ(vg_hnsw_unreached(&b.graph, b.params.m0, all, NODES, &vg_malloc_allocator,
								   out, &n_out), VG_OK);
	CHECK_INT_EQ(n_out, 0);

	vg_arena_ops.entry(b.arena, 0, &entry, &top);
	for (VgNodeId id = 17; cut < 3; id += 101)
		if (id != entry && vg_arena_level(b.arena, id) == 0)
		{
			cut_in_links(&b, NODES, id);
			cut++;
		}
	CHECK_INT_EQ(vg_hnsw_unreached(&b.graph, b.params.m0, all, NODES, &vg_malloc_allocator,
								   out, &n_out), VG_OK);
	CHECK_MSG(n_out >= 3, "%u nodes unreached after cutting 3", n_out);

	vg_insert_scratch_init(&s, &b.params, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_hnsw_link_orphans(&b.graph, &b.params, out, n_out, &s, &linked), VG_OK);
	CHECK(linked >= 3 && linked <= n_out);
	CHECK_INT_EQ(vg_hnsw_unreached(&b.graph, b.params.m0, all, NODES, &vg_malloc_allocator,
								   out, &n_out), VG_OK);
	CHECK_INT_EQ(n_out, 0);
	vg_insert_scratch_free(&s);
	free(all);
	free(out);
	free(b.mem);
	free(data);
}

static void
test_empty_and_single(void)
{
	float		v[DIM] = {0};
	Built		b = build(v, 0, 8, 16);
	VgSearchScratch s;
	VgCandidate out[16];
	VgInsertScratch is;
	VgNodeId	id;
	int			n;

	vg_search_scratch_init(&s, b.params.m0, 16, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_hnsw_search(&b.graph, v, 16, 5, &s, out, &n), VG_OK);
	CHECK_INT_EQ(n, 0);
	free(b.mem);

	b.mem = aligned_alloc(64, (vg_arena_size(1, sizeof(float) * DIM, 16, 8) + 63) & ~(size_t) 63);
	b.arena = vg_arena_init(b.mem, 1, sizeof(float) * DIM, 16, 8, false);
	b.graph = vg_arena_graph(b.arena, l2_metric());
	vg_insert_scratch_init(&is, &b.params, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_arena_add(b.arena, v, 2, 0, 77, &id), VG_OK);
	CHECK_INT_EQ(vg_hnsw_insert(&b.graph, &b.params, id, 2, &is), VG_OK);
	CHECK_INT_EQ(vg_arena_add(b.arena, v, 0, 0, 78, &id), VG_ERR_FULL);
	CHECK_INT_EQ(vg_hnsw_search(&b.graph, v, 16, 5, &s, out, &n), VG_OK);
	CHECK_INT_EQ(n, 1);
	CHECK_INT_EQ(vg_arena_payload(b.arena, out[0].id), 77);
	vg_insert_scratch_free(&is);
	vg_search_scratch_free(&s);
	free(b.mem);
}

/* base at the origin; a and b on one ray, c on the other side. */
static void
test_prune_heuristic(void)
{
	float		pts[4][DIM] = {{0}};
	void	   *mem = aligned_alloc(64, (vg_arena_size(4, sizeof(float) * DIM, 8, 4) + 63) & ~(size_t) 63);
	VgArena    *arena = vg_arena_init(mem, 4, sizeof(float) * DIM, 8, 4, false);
	VgGraph		g = vg_arena_graph(arena, l2_metric());
	VgCandidate cands[3];
	VgNodeId	out[3],
				id;
	const void *vecs[3];

	pts[1][0] = 1.0f;			/* a */
	pts[2][0] = 2.0f;			/* b: behind a, as seen from the base */
	pts[3][0] = -1.5f;			/* c */
	for (int i = 0; i < 4; i++)
		vg_arena_add(arena, pts[i], 0, 0, i, &id);
	cands[0] = (VgCandidate) {1.0f, 1};
	cands[1] = (VgCandidate) {2.25f, 3};
	cands[2] = (VgCandidate) {4.0f, 2};
	CHECK_INT_EQ(vg_prune_robust(&g, cands, 3, 3, 1.0f, 0, out, vecs), 2);
	CHECK(out[0] == 1 && out[1] == 3);
	/* alpha large enough keeps b: 4 * d(b, a) = 4 > d(b, base) = 4 fails, 5 passes */
	CHECK_INT_EQ(vg_prune_robust(&g, cands, 3, 3, 5.0f, 0, out, vecs), 3);
	/* max_out caps the result */
	CHECK_INT_EQ(vg_prune_robust(&g, cands, 3, 1, 1.0f, 0, out, vecs), 1);
	/* keeping the pruned: b comes back after a and c, never twice */
	CHECK_INT_EQ(vg_prune_robust(&g, cands, 3, 3, 1.0f, 0, out, vecs), 2);
	CHECK_INT_EQ(vg_prune_fill(&g, cands, 3, 3, 2, out, vecs), 3);
	CHECK(out[0] == 1 && out[1] == 3 && out[2] == 2 && vecs[2] == vg_arena_vector(arena, 2));
	CHECK_INT_EQ(vg_prune_fill(&g, cands, 3, 2, 2, out, vecs), 2);
	/* a kept tree link covers like any kept node: b, already kept, covers a */
	out[0] = 2;
	vecs[0] = vg_arena_vector(arena, 2);
	CHECK_INT_EQ(vg_prune_robust(&g, cands, 2, 3, 1.0f, 1, out, vecs), 2);
	CHECK(out[0] == 2 && out[1] == 3);
	free(mem);
}

/*
 * An overflowing level-0 list (cap 8 at m = 4) drops a link that a nearer
 * link covers, keeps its tree link even when covered, and drops the
 * farthest ordinary link when nothing else is covered.  Node i of 1..8 lies
 * on axis i at about 1 from node 0: none covers another.
 */
static void
test_overflow_trim(void)
{
	enum {N = 12};
	float		pts[N][DIM] = {{0}};
	void	   *mem = aligned_alloc(64, (vg_arena_size(N, sizeof(float) * DIM, 8, 4) + 63) & ~(size_t) 63);
	VgArena    *arena = vg_arena_init(mem, N, sizeof(float) * DIM, 8, 4, false);
	VgGraph		g = vg_arena_graph(arena, l2_metric());
	VgListScratch ls;
	VgNodeId	list[8] = {3, 1, 2, 4, 5, 6, 7, 8},
				got[16],
				id;
	VgListUpdate u = {0, 0, NULL, 0, 0, list, 8, 1};	/* 3 is a tree link */
	int			n,
				n_tree;

	for (int i = 1; i <= 8; i++)
		pts[i][i] = 1.0f + 0.01f * i;
	pts[9][1] = 2.0f;			/* behind 1: covered by it */
	pts[10][3] = 0.5f;			/* in front of the tree link 3: covers it */
	pts[11][2] = 0.5f;			/* in front of 2 */
	for (int i = 0; i < N; i++)
		vg_arena_add(arena, pts[i], 0, 0, i, &id);
	CHECK(g.ops->update_lists(g.store, &u, 1));
	vg_list_scratch_init(&ls, 8, &vg_malloc_allocator);

	id = 9;						/* the covered newcomer itself goes */
	vg_links_add(&g, 0, 0, &id, 1, 8, 1.0f, &ls);
	n = g.ops->neighbours(g.store, 0, 0, got, 16, &n_tree);
	CHECK_INT_EQ(n, 8);
	CHECK_INT_EQ(n_tree, 1);
	CHECK(got[0] == 3 && !vg_ids_contain(got, n, 9));

	id = 10;					/* 3 is covered but a tree link: 8, the farthest, goes */
	vg_links_add(&g, 0, 0, &id, 1, 8, 1.0f, &ls);
	n = g.ops->neighbours(g.store, 0, 0, got, 16, &n_tree);
	CHECK_INT_EQ(n, 8);
	CHECK(got[0] == 3 && vg_ids_contain(got, n, 10) && !vg_ids_contain(got, n, 8));

	id = 11;					/* 11 covers 2, which goes */
	vg_links_add(&g, 0, 0, &id, 1, 8, 1.0f, &ls);
	n = g.ops->neighbours(g.store, 0, 0, got, 16, &n_tree);
	CHECK_INT_EQ(n, 8);
	CHECK(vg_ids_contain(got, n, 11) && !vg_ids_contain(got, n, 2) && vg_ids_contain(got, n, 7));
	vg_list_scratch_free(&ls);
	free(mem);
}

/* The arena's distances, with node 5 ranked as a deleted node is by inserts. */
static void (*arena_distances) (void *, const VgMetric *, const void *, const VgNodeId *, int, float *);

static void
distances_5_deleted(void *store, const VgMetric *metric, const void *query,
					const VgNodeId *ids, int n, float *out)
{
	arena_distances(store, metric, query, ids, n, out);
	for (int i = 0; i < n; i++)
		if (ids[i] == 5)
			out[i] = INFINITY;
}

/*
 * An overflowing list drops a link its store ranks infinitely far (a
 * deleted node) before any other, even one the newcomer would cover.
 */
static void
test_overflow_drops_deleted_first(void)
{
	enum {N = 10};
	float		pts[N][DIM] = {{0}};
	void	   *mem = aligned_alloc(64, (vg_arena_size(N, sizeof(float) * DIM, 8, 4) + 63) & ~(size_t) 63);
	VgArena    *arena = vg_arena_init(mem, N, sizeof(float) * DIM, 8, 4, false);
	VgGraph		g = vg_arena_graph(arena, l2_metric());
	VgGraphOps	ops = *g.ops;
	VgListScratch ls;
	VgNodeId	list[8] = {3, 1, 2, 4, 5, 6, 7, 8},
				got[16],
				id;
	VgListUpdate u = {0, 0, NULL, 0, 0, list, 8, 1};
	int			n,
				n_tree;

	for (int i = 1; i <= 8; i++)
		pts[i][i] = 1.0f + 0.01f * i;
	pts[9][1] = 2.0f;			/* covered by 1: would go if 5 did not */
	for (int i = 0; i < N; i++)
		vg_arena_add(arena, pts[i], 0, 0, i, &id);
	CHECK(g.ops->update_lists(g.store, &u, 1));
	arena_distances = ops.distances;
	ops.distances = distances_5_deleted;
	g.ops = &ops;
	vg_list_scratch_init(&ls, 8, &vg_malloc_allocator);

	id = 9;
	vg_links_add(&g, 0, 0, &id, 1, 8, 1.0f, &ls);
	n = g.ops->neighbours(g.store, 0, 0, got, 16, &n_tree);
	CHECK_INT_EQ(n, 8);
	CHECK_INT_EQ(n_tree, 1);
	CHECK(got[0] == 3 && vg_ids_contain(got, n, 9) && !vg_ids_contain(got, n, 5));
	vg_list_scratch_free(&ls);
	free(mem);
}

typedef struct ThreadArg
{
	Built	   *b;
	const float *data;
	int			first;
	int			count;
	uint64_t	seed;
} ThreadArg;

static void *
insert_range(void *p)
{
	ThreadArg  *arg = p;
	VgInsertScratch s;

	vg_insert_scratch_init(&s, &arg->b->params, &vg_malloc_allocator);
	for (int i = arg->first; i < arg->first + arg->count; i++)
	{
		VgNodeId	id;
		int			level = vg_hnsw_random_level(arg->b->params.level_mult, &arg->seed);

		if (vg_arena_add(arg->b->arena, arg->data + i * DIM, level, 0, (uint64_t) i, &id) == VG_OK)
			vg_hnsw_insert(&arg->b->graph, &arg->b->params, id, level, &s);
	}
	vg_insert_scratch_free(&s);
	return NULL;
}

static void
test_concurrent_insert(void)
{
	enum
	{
	THREADS = 4};
	float	   *data = vg_test_clustered_data(NODES, 5);
	float	   *queries = vg_test_clustered_data(QUERIES, 6);
	Built		b;
	pthread_t	threads[THREADS];
	ThreadArg	args[THREADS];
	double		recall;

	b.params = vg_hnsw_params(12, 64);
	b.mem = aligned_alloc(64, (vg_arena_size(NODES, sizeof(float) * DIM, 24, 12) + 63) & ~(size_t) 63);
	b.arena = vg_arena_init(b.mem, NODES, sizeof(float) * DIM, 24, 12, true);
	b.graph = vg_arena_graph(b.arena, l2_metric());
	for (int t = 0; t < THREADS; t++)
	{
		args[t] = (ThreadArg) {&b, data, t * (NODES / THREADS), NODES / THREADS, 100 + t};
		pthread_create(&threads[t], NULL, insert_range, &args[t]);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);

	CHECK_INT_EQ(vg_arena_count(b.arena), NODES);
	check_invariants(&b);
	recall = recall_at_k(&b, data, NODES, queries, 40);
	printf("    recall@10 after %d-thread build: ef 40 %.3f\n", THREADS, recall);
	CHECK_MSG(recall >= 0.95, "recall@10 at ef 40 is %.3f", recall);
	free(b.mem);
	free(data);
	free(queries);
}

const VgTestCase vg_test_suite_hnsw[] = {
	VG_TEST(test_recall),
	VG_TEST(test_invariants_and_orphans),
	VG_TEST(test_unreached_and_relinked),
	VG_TEST(test_empty_and_single),
	VG_TEST(test_prune_heuristic),
	VG_TEST(test_overflow_trim),
	VG_TEST(test_overflow_drops_deleted_first),
	VG_TEST(test_concurrent_insert),
	VG_TEST(test_locality_order),
	VG_TEST_END
};
