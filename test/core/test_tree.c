/*-------------------------------------------------------------------------
 *
 * test_tree.c
 *	  Unit tests of tree links (vg_tree.c): every node stays reachable
 *	  under concurrent inserts, and when deleted nodes are cut out.
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

#define DIM 8
#define MAX_LIST 64

/*
 * Clustered points with many exact duplicates: the heuristic prunes hardest
 * where points coincide, so this is where nodes lost their last in-link.
 */
static float *
make_points(uint32_t n, uint64_t seed)
{
	float	   *data = malloc(sizeof(float) * DIM * n);
	VgTestRng	rng;

	vg_rng_seed(&rng, seed);
	for (uint32_t i = 0; i < n; i++)
	{
		float		centre = (float) (vg_rng_next(&rng) % 32);

		if (i > 0 && vg_rng_next(&rng) % 4 == 0)
			memcpy(data + i * DIM, data + (vg_rng_next(&rng) % i) * DIM, sizeof(float) * DIM);
		else
			for (int d = 0; d < DIM; d++)
				data[i * DIM + d] = centre + vg_rng_float(&rng, -1, 1);
	}
	return data;
}

/*
 * A graph with deleted nodes: the arena's operations, except that deleted
 * nodes are infinitely far and refuse new tree links, as index pages do.
 */
typedef struct DelStore
{
	VgArena    *arena;
	const char *deleted;		/* by id; NULL: none */
} DelStore;

static int
del_neighbours(void *store, VgNodeId node, int level, VgNodeId *out, int max, int *n_tree)
{
	return vg_arena_ops.neighbours(((DelStore *) store)->arena, node, level, out, max, n_tree);
}

static bool
del_update_lists(void *store, const VgListUpdate *u, int n)
{
	DelStore   *ds = store;

	for (int i = 0; i < n; i++)
		if (ds->deleted && ds->deleted[u[i].node] && u[i].n_tree > u[i].expected_tree)
			return false;
	return vg_arena_ops.update_lists(ds->arena, u, n);
}

static void
del_distances(void *store, const VgMetric *metric, const void *query,
			  const VgNodeId *ids, int n, float *out)
{
	DelStore   *ds = store;

	vg_arena_ops.distances(ds->arena, metric, query, ids, n, out);
	for (int i = 0; i < n; i++)
		if (ds->deleted && ds->deleted[ids[i]])
			out[i] = INFINITY;
}

static const void *
del_vector(void *store, VgNodeId node)
{
	return vg_arena_ops.vector(((DelStore *) store)->arena, node);
}

static int
del_level(void *store, VgNodeId node)
{
	return vg_arena_ops.level(((DelStore *) store)->arena, node);
}

static void
del_entry(void *store, int partition, VgNodeId *node, int *level)
{
	vg_arena_ops.entry(((DelStore *) store)->arena, partition, node, level);
}

static void
del_offer_entry(void *store, int partition, VgNodeId node, int level, VgNodeId replace)
{
	vg_arena_ops.offer_entry(((DelStore *) store)->arena, partition, node, level, replace);
}

static const VgGraphOps del_ops = {
	.neighbours = del_neighbours,
	.update_lists = del_update_lists,
	.distances = del_distances,
	.vector = del_vector,
	.level = del_level,
	.entry = del_entry,
	.offer_entry = del_offer_entry,
	.check_interrupts = NULL
};

typedef struct Graph
{
	void	   *mem;
	DelStore	store;
	VgGraph		graph;
	VgHnswParams params;
	const float *data;
} Graph;

static void
graph_init(Graph *g, uint32_t capacity, int m, int efc, const float *data)
{
	VgMetric	metric = {vg_distance_kernels(VG_SIMD_SCALAR)->l2_squared, 1.0f, DIM, 0, 0};

	g->params = vg_hnsw_params(m, efc);
	g->mem = aligned_alloc(64, (vg_arena_size(capacity, sizeof(float) * DIM, 2 * m, m) + 63) & ~(size_t) 63);
	g->store.arena = vg_arena_init(g->mem, capacity, sizeof(float) * DIM, 2 * m, m, true);
	g->store.deleted = NULL;
	g->graph = (VgGraph) {&del_ops, &g->store, metric, 0};
	g->data = data;
}

typedef struct Inserter
{
	Graph	   *g;
	uint32_t	first;
	uint32_t	count;
	uint64_t	seed;
} Inserter;

static void *
insert_rows(void *p)
{
	Inserter   *ins = p;
	VgInsertScratch s;

	vg_insert_scratch_init(&s, &ins->g->params, &vg_malloc_allocator);
	for (uint32_t i = ins->first; i < ins->first + ins->count; i++)
	{
		VgNodeId	id;
		int			level = vg_hnsw_random_level(ins->g->params.level_mult, &ins->seed);

		CHECK_INT_EQ(vg_arena_add(ins->g->store.arena, ins->g->data + (size_t) i * DIM,
								  level, 0, i, &id), VG_OK);
		CHECK_INT_EQ(vg_hnsw_insert(&ins->g->graph, &ins->g->params, id, level, &s), VG_OK);
	}
	vg_insert_scratch_free(&s);
	return NULL;
}

/* Inserts rows [first, first + count) with threads threads. */
static void
insert_concurrently(Graph *g, uint32_t first, uint32_t count, int threads, uint64_t seed)
{
	pthread_t	tid[8];
	Inserter	ins[8];

	for (int t = 0; t < threads; t++)
	{
		uint32_t	share = count / threads;

		ins[t] = (Inserter) {g, first + t * share,
			t == threads - 1 ? count - t * share : share, seed * 31 + t};
		pthread_create(&tid[t], NULL, insert_rows, &ins[t]);
	}
	for (int t = 0; t < threads; t++)
		pthread_join(tid[t], NULL);
}

/*
 * Live nodes reachable at level 0 from start, over every link or over tree
 * links alone; never through a deleted node.
 */
static uint32_t
reachable_from(Graph *g, VgNodeId start, bool tree_only)
{
	uint32_t	n = vg_arena_count(g->store.arena);
	char	   *seen = calloc(n, 1);
	VgNodeId   *queue = malloc(sizeof(VgNodeId) * n);
	uint32_t	head = 0,
				tail = 0;

	seen[start] = 1;
	queue[tail++] = start;
	while (head < tail)
	{
		VgNodeId	list[MAX_LIST];
		int			n_tree;
		int			cnt = vg_arena_ops.neighbours(g->store.arena, queue[head++], 0,
												  list, MAX_LIST, &n_tree);

		for (int i = 0; i < (tree_only ? n_tree : cnt); i++)
			if (!seen[list[i]] && !(g->store.deleted && g->store.deleted[list[i]]))
			{
				seen[list[i]] = 1;
				queue[tail++] = list[i];
			}
	}
	free(seen);
	free(queue);
	return tail;
}

static VgNodeId
entry_of(Graph *g)
{
	VgNodeId	entry;
	int			level;

	vg_arena_ops.entry(g->store.arena, 0, &entry, &level);
	return entry;
}

/*
 * Issue 8's core check: threads insert 100,000 clustered, partly duplicated
 * points into one arena with a sparse graph (m = 4), seeds 1 to 3; every
 * node is reachable from the entry point afterwards, over tree links alone.
 */
static void
test_concurrent_reachability(void)
{
	enum
	{
	ROWS = 100000};

	for (uint64_t seed = 1; seed <= 3; seed++)
	{
		float	   *data = make_points(ROWS, seed);
		Graph		g;
		uint32_t	all,
					tree;

		graph_init(&g, ROWS, 4, 16, data);
		insert_concurrently(&g, 0, ROWS, 4, seed);
		all = reachable_from(&g, entry_of(&g), false);
		tree = reachable_from(&g, entry_of(&g), true);
		printf("    seed %llu: %u of %u nodes reachable, %u over tree links\n",
			   (unsigned long long) seed, all, ROWS, tree);
		CHECK_INT_EQ(all, ROWS);
		CHECK_INT_EQ(tree, ROWS);
		free(g.mem);
		free(data);
	}
}

typedef struct Bypasser
{
	Graph	   *g;
	const VgVisited *deleted;
	uint32_t	n;
} Bypasser;

/* VACUUM's tree pass: bypass every group of deleted nodes. */
static void *
bypass_all(void *p)
{
	Bypasser   *bp = p;
	VgListScratch s;
	VgVisited	done;

	vg_list_scratch_init(&s, bp->g->params.m0, &vg_malloc_allocator);
	vg_visited_init(&done, 1024, &vg_malloc_allocator);
	for (VgNodeId id = 0; id < bp->n; id++)
		if (vg_visited_contains(bp->deleted, id) && !vg_visited_contains(&done, id))
			CHECK_INT_EQ(vg_tree_bypass(&bp->g->graph, bp->deleted, id,
										bp->g->params.tree_degree, &done, &s), VG_OK);
	vg_visited_free(&done);
	vg_list_scratch_free(&s);
	return NULL;
}

/* VACUUM's repair, reduced to what matters here: live lists forget deleted nodes. */
static void
drop_deleted_links(Graph *g)
{
	uint32_t	n = vg_arena_count(g->store.arena);

	for (VgNodeId id = 0; id < n; id++)
	{
		VgNodeId	list[MAX_LIST],
					kept[MAX_LIST];
		int			n_tree,
					new_tree = 0,
					k = 0;
		int			cnt;

		if (g->store.deleted[id])
			continue;
		cnt = vg_arena_ops.neighbours(g->store.arena, id, 0, list, MAX_LIST, &n_tree);
		for (int i = 0; i < cnt; i++)
			if (!g->store.deleted[list[i]])
			{
				kept[k++] = list[i];
				new_tree += i < n_tree;
			}
		CHECK(vg_arena_ops.update_lists(g->store.arena, &(VgListUpdate) {
			id, 0, list, cnt, n_tree, kept, k, new_tree}, 1));
	}
}

/*
 * Deletes 40% of 20,000 nodes (in runs, so deleted nodes form groups),
 * cuts them out of the tree while 2 threads insert 5,000 more, then drops
 * every link to a deleted node: the live nodes are still one tree.
 */
static void
test_bypass_deleted(void)
{
	enum
	{
	BUILT = 20000, ADDED = 5000};
	float	   *data = make_points(BUILT + ADDED, 7);
	char	   *deleted = calloc(BUILT + ADDED, 1);
	Graph		g;
	VgVisited	set;
	VgTestRng	rng;
	VgStatus	st = VG_OK;
	pthread_t	tid;
	Bypasser	bp;
	uint32_t	live = 0;
	VgNodeId	start = VG_NO_NODE;

	graph_init(&g, BUILT + ADDED, 6, 24, data);
	insert_concurrently(&g, 0, BUILT, 2, 7);
	vg_rng_seed(&rng, 99);
	vg_visited_init(&set, BUILT, &vg_malloc_allocator);
	for (VgNodeId id = 0; id < BUILT; id++)
		if (vg_rng_next(&rng) % 10 < 4)
		{
			deleted[id] = 1;
			vg_visited_add(&set, id, &st);
		}
	g.store.deleted = deleted;

	bp = (Bypasser) {&g, &set, BUILT};
	pthread_create(&tid, NULL, bypass_all, &bp);
	insert_concurrently(&g, BUILT, ADDED, 2, 8);
	pthread_join(tid, NULL);
	drop_deleted_links(&g);

	for (VgNodeId id = 0; id < BUILT + ADDED; id++)
		if (!deleted[id])
		{
			live++;
			if (start == VG_NO_NODE)
				start = id;
		}
	CHECK_INT_EQ(reachable_from(&g, start, true), live);
	CHECK_INT_EQ(reachable_from(&g, start, false), live);
	printf("    %u live nodes of %u joined by tree links after the bypass\n",
		   reachable_from(&g, start, true), live);
	vg_visited_free(&set);
	free(deleted);
	free(g.mem);
	free(data);
}

/*
 * An insert that finds only deleted nodes takes over the entry point, and
 * the next insert joins it.
 */
static void
test_insert_among_deleted(void)
{
	float	   *data = make_points(300, 11);
	char	   *deleted = calloc(300, 1);
	Graph		g;
	VgNodeId	first_new;

	graph_init(&g, 300, 4, 16, data);
	insert_concurrently(&g, 0, 200, 1, 11);
	memset(deleted, 1, 200);
	g.store.deleted = deleted;
	insert_concurrently(&g, 200, 1, 1, 12);
	first_new = entry_of(&g);
	CHECK_INT_EQ(first_new, 200);
	insert_concurrently(&g, 201, 99, 1, 13);
	CHECK_INT_EQ(reachable_from(&g, entry_of(&g), true), 100);
	free(deleted);
	free(g.mem);
	free(data);
}

const VgTestCase vg_test_suite_tree[] = {
	VG_TEST(test_concurrent_reachability),
	VG_TEST(test_bypass_deleted),
	VG_TEST(test_insert_among_deleted),
	VG_TEST_END
};
