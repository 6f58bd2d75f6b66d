/*-------------------------------------------------------------------------
 *
 * test_graph_support.c
 *	  Unit tests of the candidate heap and the visited set.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "vg_heap.h"
#include "vg_test.h"
#include "vg_test_rng.h"
#include "vg_visited.h"

static void
test_heap_pops_in_order(void)
{
	VgHeap		heap;
	VgTestRng	rng;
	VgCandidate prev = {-1.0f, 0};

	vg_rng_seed(&rng, 7);
	CHECK_INT_EQ(vg_heap_init(&heap, 4, &vg_malloc_allocator), VG_OK);
	for (int i = 0; i < 5000; i++)	/* far past the initial capacity */
		CHECK_INT_EQ(vg_heap_push(&heap, (VgCandidate) {(float) (vg_rng_next(&rng) % 100), (VgNodeId) i}), VG_OK);
	CHECK_INT_EQ(heap.size, 5000);
	while (heap.size > 0)
	{
		VgCandidate c = vg_heap_pop(&heap);

		CHECK(!vg_candidate_less(c, prev));
		prev = c;
	}
	vg_heap_free(&heap);
}

static void
test_heap_ties_by_id(void)
{
	VgHeap		heap;

	vg_heap_init(&heap, 16, &vg_malloc_allocator);
	vg_heap_push(&heap, (VgCandidate) {1.0f, 9});
	vg_heap_push(&heap, (VgCandidate) {1.0f, 3});
	vg_heap_push(&heap, (VgCandidate) {0.5f, 12});
	CHECK_INT_EQ(vg_heap_pop(&heap).id, 12);
	CHECK_INT_EQ(vg_heap_pop(&heap).id, 3);
	CHECK_INT_EQ(vg_heap_pop(&heap).id, 9);
	vg_heap_free(&heap);
}

static void
test_sort_candidates(void)
{
	VgCandidate c[] = {{3, 1}, {1, 5}, {2, 2}, {1, 4}};

	vg_candidates_sort(c, 4);
	CHECK(c[0].id == 4 && c[1].id == 5 && c[2].id == 2 && c[3].id == 1);
}

static void
test_visited_set(void)
{
	VgVisited	set;
	VgStatus	st = VG_OK;

	CHECK_INT_EQ(vg_visited_init(&set, 8, &vg_malloc_allocator), VG_OK);
	for (VgNodeId i = 0; i < 20000; i += 2)		/* forces several doublings */
		CHECK(vg_visited_add(&set, i * 7919u, &st));
	CHECK_INT_EQ(st, VG_OK);
	for (VgNodeId i = 0; i < 20000; i++)
	{
		bool		expect = (i % 2) == 0;

		CHECK(vg_visited_contains(&set, i * 7919u) == expect);
	}
	CHECK(!vg_visited_add(&set, 0, &st));
	vg_visited_clear(&set);
	CHECK(!vg_visited_contains(&set, 2 * 7919u));
	CHECK(vg_visited_add(&set, 2 * 7919u, &st));
	vg_visited_free(&set);
}

const VgTestCase vg_test_suite_graph_support[] = {
	VG_TEST(test_heap_pops_in_order),
	VG_TEST(test_heap_ties_by_id),
	VG_TEST(test_sort_candidates),
	VG_TEST(test_visited_set),
	VG_TEST_END
};
