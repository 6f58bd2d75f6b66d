/*-------------------------------------------------------------------------
 *
 * test_vamana.c
 *	  Unit tests of Vamana over the in-memory arena: RobustPrune with
 *	  alpha, the medoid, recall of serial and threaded builds against brute
 *	  force, graph invariants (degree, tree links spanning the graph), and
 *	  FreshDiskANN inserts.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vg_arena.h"
#include "vg_test.h"
#include "vg_vamana.h"

#define DIM 24
#define NODES 4000
#define QUERIES 100
#define K 10
#define DEGREE 24
#define LIST 48
#define ALPHA (1.2f * 1.2f)		/* squared L2 ranks: alpha 1.2 on distances */

static VgMetric
l2_metric(void)
{
	VgMetric	m = {vg_distance_kernels(VG_SIMD_SCALAR)->l2_squared, 1.0f, DIM, 0, 0};

	return m;
}

typedef struct Graph
{
	void	   *mem;
	VgArena    *arena;
	VgGraph		graph;
	VgVamanaParams params;
	VgVamanaBuild *build;
} Graph;

/* An arena of n nodes of data, no links yet, ready for a build. */
static Graph
load(const float *data, int n, int capacity, bool concurrent)
{
	Graph		g;
	size_t		size;

	g.params = vg_vamana_params(DEGREE, LIST, ALPHA, true);
	size = vg_arena_size(capacity, sizeof(float) * DIM, g.params.slack_degree, 2);
	g.mem = aligned_alloc(64, (size + 63) & ~(size_t) 63);
	g.arena = vg_arena_init(g.mem, capacity, sizeof(float) * DIM, g.params.slack_degree, 2,
							concurrent);
	g.graph = vg_arena_graph(g.arena, l2_metric());
	for (int i = 0; i < n; i++)
	{
		VgNodeId	id;

		CHECK_INT_EQ(vg_arena_add(g.arena, data + i * DIM, 0, 0, (uint64_t) i, &id), VG_OK);
	}
	g.build = malloc(vg_vamana_build_size(n, 1));
	vg_vamana_build_init(g.build, &g.params, g.arena, 1);
	return g;
}

static void
unload(Graph *g)
{
	free(g->build);
	free(g->mem);
}

static Graph
build_serial(const float *data, int n)
{
	Graph		g = load(data, n, n, false);
	VgVamanaScratch s;

	CHECK_INT_EQ(vg_vamana_scratch_init(&s, &g.params, &vg_malloc_allocator), VG_OK);
	CHECK_INT_EQ(vg_vamana_build_serial(g.build, &g.graph, &s), VG_OK);
	vg_vamana_scratch_free(&s);
	return g;
}

static double
recall_at_k(Graph *g, const float *data, int n, const float *queries, int ef)
{
	VgMetric	metric = l2_metric();
	VgSearchScratch s;
	VgCandidate *found = malloc(sizeof(VgCandidate) * (ef > K ? ef : K));
	VgCandidate *all = malloc(sizeof(VgCandidate) * n);
	int			hits = 0;

	vg_search_scratch_init(&s, g->params.slack_degree, ef, &vg_malloc_allocator);
	for (int q = 0; q < QUERIES; q++)
	{
		int			n_found;

		for (int i = 0; i < n; i++)
			all[i] = (VgCandidate) {vg_metric_distance(&metric, queries + q * DIM, data + i * DIM),
			(VgNodeId) i};
		vg_candidates_sort(all, n);
		CHECK_INT_EQ(vg_hnsw_search(&g->graph, queries + q * DIM, ef, K, &s, found, &n_found), VG_OK);
		CHECK_INT_EQ(n_found, K);
		for (int i = 0; i < n_found; i++)
			for (int j = 0; j < K; j++)
				hits += vg_arena_payload(g->arena, found[i].id) == all[j].id;
	}
	vg_search_scratch_free(&s);
	free(found);
	free(all);
	return (double) hits / (QUERIES * K);
}

/*
 * Lists of at most R links, no self-links or duplicates; tree links within
 * the tree degree, paired, and spanning every node from the entry point.
 */
static void
check_invariants(Graph *g)
{
	uint32_t	n = vg_arena_count(g->arena);
	char	   *seen = calloc(n, 1);
	VgNodeId   *queue = malloc(sizeof(VgNodeId) * n);
	VgNodeId	list[VG_VAMANA_MAX_DEGREE * 2],
				back[VG_VAMANA_MAX_DEGREE * 2];
	VgNodeId	entry;
	int			level;
	uint32_t	head = 0,
				tail = 0;

	for (VgNodeId id = 0; id < n; id++)
	{
		int			n_tree;
		int			cnt = vg_arena_ops.neighbours(g->arena, id, 0, list, 256, &n_tree);

		CHECK_MSG(cnt <= g->params.degree, "node %u has %d links", id, cnt);
		CHECK_MSG(n_tree <= g->params.tree_degree, "node %u has %d tree links", id, n_tree);
		for (int i = 0; i < cnt; i++)
		{
			CHECK(list[i] != id && list[i] < n);
			for (int j = 0; j < i; j++)
				CHECK(list[i] != list[j]);
		}
		for (int i = 0; i < n_tree; i++)
		{
			int			back_tree;

			vg_arena_ops.neighbours(g->arena, list[i], 0, back, 256, &back_tree);
			CHECK_MSG(vg_ids_contain(back, back_tree, id), "tree link %u -> %u unpaired", id, list[i]);
		}
	}
	vg_arena_ops.entry(g->arena, 0, &entry, &level);
	CHECK(entry != VG_NO_NODE && level == 0);
	seen[entry] = 1;
	queue[tail++] = entry;
	while (head < tail)
	{
		int			n_tree;
		VgNodeId	node = queue[head++];

		vg_arena_ops.neighbours(g->arena, node, 0, list, 256, &n_tree);
		for (int i = 0; i < n_tree; i++)
			if (!seen[list[i]])
			{
				seen[list[i]] = 1;
				queue[tail++] = list[i];
			}
	}
	CHECK_MSG(tail == n, "tree links reach %u of %u nodes", tail, n);
	free(seen);
	free(queue);
}

/*
 * Four points on a line at 0, 1, 2 and 2.2 from the base: with alpha 1 the
 * node at 1 covers both others (squared L2: 1 <= 4, 1.44 <= 4.84).  Alpha
 * grows in rounds (x1.2, as DiskANN's occlusion): at 3.58 the node at 2.2
 * is no longer covered by the one at 1 (3.58 * 1.44 > 4.84) while the one
 * at 2 still is (3.58 * 1 <= 4), so with alpha 4.5 the node at 2.2 is kept
 * and then covers the one at 2.
 */
static void
test_prune_alpha(void)
{
	float		pts[4][DIM] = {{0}};
	void	   *mem = aligned_alloc(64, (vg_arena_size(4, sizeof(float) * DIM, 8, 2) + 63) & ~(size_t) 63);
	VgArena    *arena = vg_arena_init(mem, 4, sizeof(float) * DIM, 8, 2, false);
	VgGraph		graph = vg_arena_graph(arena, l2_metric());
	VgCandidate cands[3];
	VgNodeId	out[3];
	const void *vectors[3];
	VgNodeId	id;

	pts[1][0] = 1.0f;
	pts[2][0] = 2.0f;
	pts[3][0] = 2.2f;
	for (int i = 0; i < 4; i++)
		vg_arena_add(arena, pts[i], 0, 0, (uint64_t) i, &id);
	for (int i = 0; i < 3; i++)
		cands[i] = (VgCandidate) {pts[i + 1][0] * pts[i + 1][0], (VgNodeId) (i + 1)};

	CHECK_INT_EQ(vg_prune_robust(&graph, cands, 3, 3, 1.0f, 0, out, vectors), 1);
	CHECK_INT_EQ(out[0], 1);
	CHECK_INT_EQ(vg_prune_robust(&graph, cands, 3, 3, 4.5f, 0, out, vectors), 2);
	CHECK(out[0] == 1 && out[1] == 3);
	/* with alpha 3 both stay covered by the node at 1 */
	CHECK_INT_EQ(vg_prune_robust(&graph, cands, 3, 3, 3.0f, 0, out, vectors), 1);
	/* alpha so large nothing covers: every candidate kept */
	CHECK_INT_EQ(vg_prune_robust(&graph, cands, 3, 3, 1000.0f, 0, out, vectors), 3);
	free(mem);
}

/* Below the sample size the sampled medoid is the exact one. */
static void
test_medoid(void)
{
	float	   *data = vg_test_clustered_data(600, 11);
	Graph		g = load(data, 600, 600, false);
	VgVamanaScratch s;
	VgNodeId	ids[600];
	VgNodeId	entry;
	int			level;

	for (int i = 0; i < 600; i++)
		ids[i] = (VgNodeId) i;
	vg_vamana_scratch_init(&s, &g.params, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_vamana_build_work(g.build, &g.graph, VG_VAMANA_INIT, &s), VG_OK);
	vg_vamana_build_medoids(g.build, &g.graph);
	vg_arena_ops.entry(g.arena, 0, &entry, &level);
	CHECK_INT_EQ(entry, vg_vamana_exact_medoid(&g.graph, ids, 600));
	vg_vamana_scratch_free(&s);
	unload(&g);
	free(data);
}

static void
test_serial_build(void)
{
	float	   *data = vg_test_clustered_data(NODES, 1);
	float	   *queries = vg_test_clustered_data(QUERIES, 2);
	Graph		g = build_serial(data, NODES);
	double		r50 = recall_at_k(&g, data, NODES, queries, 50);
	double		r100 = recall_at_k(&g, data, NODES, queries, 100);

	printf("    recall@10: ef 50 %.3f, ef 100 %.3f\n", r50, r100);
	check_invariants(&g);
	CHECK_MSG(r50 >= 0.98, "recall@10 at ef 50 is %.3f", r50);
	CHECK_MSG(r100 >= 0.995, "recall@10 at ef 100 is %.3f", r100);
	unload(&g);
	free(data);
	free(queries);
}

/* A build's participants, each a thread, with a barrier between steps. */
typedef struct Participant
{
	Graph	   *g;
	pthread_barrier_t *barrier;
} Participant;

static void *
participate(void *p)
{
	Participant *me = p;
	VgVamanaScratch s;

	vg_vamana_scratch_init(&s, &me->g->params, &vg_malloc_allocator);
	for (int step = VG_VAMANA_INIT; step < VG_VAMANA_STEPS; step++)
	{
		CHECK_INT_EQ(vg_vamana_build_work(me->g->build, &me->g->graph, (VgVamanaStep) step, &s), VG_OK);
		if (pthread_barrier_wait(me->barrier) == PTHREAD_BARRIER_SERIAL_THREAD &&
			step == VG_VAMANA_INIT)
			vg_vamana_build_medoids(me->g->build, &me->g->graph);
		pthread_barrier_wait(me->barrier);
	}
	vg_vamana_scratch_free(&s);
	return NULL;
}

static void
test_threaded_build(void)
{
	enum
	{
	THREADS = 4};
	float	   *data = vg_test_clustered_data(NODES, 1);
	float	   *queries = vg_test_clustered_data(QUERIES, 2);
	Graph		g = load(data, NODES, NODES, true);
	pthread_t	threads[THREADS];
	Participant parts[THREADS];
	pthread_barrier_t barrier;
	VgVamanaScratch s;
	uint32_t	attached;
	double		r50;

	pthread_barrier_init(&barrier, NULL, THREADS);
	for (int t = 0; t < THREADS; t++)
	{
		parts[t] = (Participant) {&g, &barrier};
		pthread_create(&threads[t], NULL, participate, &parts[t]);
	}
	for (int t = 0; t < THREADS; t++)
		pthread_join(threads[t], NULL);
	pthread_barrier_destroy(&barrier);
	vg_vamana_scratch_init(&s, &g.params, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_vamana_build_tree(g.build, &g.graph, &s, &attached), VG_OK);
	vg_vamana_scratch_free(&s);

	check_invariants(&g);
	r50 = recall_at_k(&g, data, NODES, queries, 50);
	printf("    recall@10 after a %d-thread build: ef 50 %.3f (%u nodes joined the tree by search)\n",
		   THREADS, r50, attached);
	CHECK_MSG(r50 >= 0.95, "recall@10 at ef 50 is %.3f", r50);
	unload(&g);
	free(data);
	free(queries);
}

/* Half built, half inserted one by one: the same recall and invariants. */
static void
test_insert(void)
{
	float	   *data = vg_test_clustered_data(NODES, 3);
	float	   *queries = vg_test_clustered_data(QUERIES, 4);
	Graph		g = load(data, NODES / 2, NODES, false);
	VgVamanaScratch s;
	double		r50;

	vg_vamana_scratch_init(&s, &g.params, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_vamana_build_serial(g.build, &g.graph, &s), VG_OK);
	for (int i = NODES / 2; i < NODES; i++)
	{
		VgNodeId	id;

		CHECK_INT_EQ(vg_arena_add(g.arena, data + i * DIM, 0, 0, (uint64_t) i, &id), VG_OK);
		CHECK_INT_EQ(vg_vamana_insert(&g.graph, &g.params, id, &s), VG_OK);
	}
	vg_vamana_scratch_free(&s);
	check_invariants(&g);
	r50 = recall_at_k(&g, data, NODES, queries, 50);
	printf("    recall@10 with half the nodes inserted: ef 50 %.3f\n", r50);
	CHECK_MSG(r50 >= 0.98, "recall@10 at ef 50 is %.3f", r50);
	unload(&g);
	free(data);
	free(queries);
}

/* An empty graph, and one node, insert and search like any other. */
static void
test_empty_and_single(void)
{
	float	   *data = vg_test_clustered_data(2, 5);
	Graph		g = load(data, 0, 2, false);
	VgVamanaScratch s;
	VgSearchScratch ss;
	VgCandidate found[K];
	int			n_found;
	VgNodeId	id;

	vg_vamana_scratch_init(&s, &g.params, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_vamana_build_serial(g.build, &g.graph, &s), VG_OK);
	vg_search_scratch_init(&ss, g.params.slack_degree, 10, &vg_malloc_allocator);
	CHECK_INT_EQ(vg_hnsw_search(&g.graph, data, 10, K, &ss, found, &n_found), VG_OK);
	CHECK_INT_EQ(n_found, 0);
	for (int i = 0; i < 2; i++)
	{
		CHECK_INT_EQ(vg_arena_add(g.arena, data + i * DIM, 0, 0, (uint64_t) i, &id), VG_OK);
		CHECK_INT_EQ(vg_vamana_insert(&g.graph, &g.params, id, &s), VG_OK);
	}
	CHECK_INT_EQ(vg_hnsw_search(&g.graph, data, 10, K, &ss, found, &n_found), VG_OK);
	CHECK_INT_EQ(n_found, 2);
	check_invariants(&g);
	vg_search_scratch_free(&ss);
	vg_vamana_scratch_free(&s);
	unload(&g);
	free(data);
}

const VgTestCase vg_test_suite_vamana[] = {
	VG_TEST(test_prune_alpha),
	VG_TEST(test_medoid),
	VG_TEST(test_serial_build),
	VG_TEST(test_threaded_build),
	VG_TEST(test_insert),
	VG_TEST(test_empty_and_single),
	VG_TEST_END
};
