/*-------------------------------------------------------------------------
 *
 * test_loser_tree.c
 *	  Unit tests of the loser tree that merges candidate streams.
 *
 * The streams are arrays behind a next() callback that also counts its
 * calls, so the tests can check the merge against sorting everything, and
 * that the tree pulls each stream lazily and never past its end.
 *
 *-------------------------------------------------------------------------
 */
#include <stdint.h>
#include <stdlib.h>

#include "vg_heap.h"
#include "vg_loser_tree.h"
#include "vg_test.h"
#include "vg_test_rng.h"

/* Streams as arrays, with a record of how next() was called. */
typedef struct TestStreams
{
	int			nstreams;
	VgCandidate **items;
	int		   *len;
	int		   *pos;			/* candidates handed out so far */
	int		   *calls;			/* next() calls, the false one included */
	bool	   *ended;			/* next() has returned false */
	int			calls_after_end;
} TestStreams;

/* A merged candidate with its stream, for the expected order. */
typedef struct TaggedCandidate
{
	VgCandidate c;
	int			stream;
} TaggedCandidate;

static bool
array_next(void *arg, int stream, VgCandidate *out)
{
	TestStreams *ts = arg;

	ts->calls[stream]++;
	if (ts->ended[stream])
	{
		ts->calls_after_end++;
		return false;
	}
	if (ts->pos[stream] == ts->len[stream])
	{
		ts->ended[stream] = true;
		return false;
	}
	*out = ts->items[stream][ts->pos[stream]++];
	return true;
}

static void
streams_alloc(TestStreams *ts, int nstreams)
{
	ts->nstreams = nstreams;
	ts->items = calloc(nstreams, sizeof(VgCandidate *));
	ts->len = calloc(nstreams, sizeof(int));
	ts->pos = calloc(nstreams, sizeof(int));
	ts->calls = calloc(nstreams, sizeof(int));
	ts->ended = calloc(nstreams, sizeof(bool));
	ts->calls_after_end = 0;
}

static void
streams_free(TestStreams *ts)
{
	for (int s = 0; s < ts->nstreams; s++)
		free(ts->items[s]);
	free(ts->items);
	free(ts->len);
	free(ts->pos);
	free(ts->calls);
	free(ts->ended);
}

/*
 * Random sorted streams of very unequal lengths: about a quarter empty, a
 * few long, the rest short.  Distances and ids come from small ranges so
 * that equal distances, and whole duplicate candidates across streams, are
 * common, which is where merge order goes wrong.
 */
static void
streams_random(TestStreams *ts, int nstreams, VgTestRng *rng)
{
	streams_alloc(ts, nstreams);
	for (int s = 0; s < nstreams; s++)
	{
		int			kind = (int) vg_rng_below(rng, 8);
		int			n;

		if (kind < 2)
			n = 0;
		else if (kind == 2)
			n = 200 + (int) vg_rng_below(rng, 800);
		else
			n = 1 + (int) vg_rng_below(rng, 40);

		ts->len[s] = n;
		ts->items[s] = malloc(sizeof(VgCandidate) * (n > 0 ? n : 1));
		for (int i = 0; i < n; i++)
		{
			ts->items[s][i].distance = (float) vg_rng_below(rng, 50) * 0.25f;
			ts->items[s][i].id = (VgNodeId) vg_rng_below(rng, 64);
		}
		vg_candidates_sort(ts->items[s], n);
	}
}

/* Streams given literally; the arrays are copied. */
static void
streams_fixed(TestStreams *ts, int nstreams, const VgCandidate *const *items,
			  const int *len)
{
	streams_alloc(ts, nstreams);
	for (int s = 0; s < nstreams; s++)
	{
		ts->len[s] = len[s];
		ts->items[s] = malloc(sizeof(VgCandidate) * (len[s] > 0 ? len[s] : 1));
		for (int i = 0; i < len[s]; i++)
			ts->items[s][i] = items[s][i];
	}
}

static int
tagged_cmp(const void *a, const void *b)
{
	const TaggedCandidate *x = a;
	const TaggedCandidate *y = b;

	if (vg_candidate_less(x->c, y->c))
		return -1;
	if (vg_candidate_less(y->c, x->c))
		return 1;
	return (x->stream > y->stream) - (x->stream < y->stream);
}

/* Every candidate of every stream, in the order the merge must produce. */
static TaggedCandidate *
expected_order(const TestStreams *ts, int *total)
{
	TaggedCandidate *all;
	int			n = 0;
	int			k = 0;

	for (int s = 0; s < ts->nstreams; s++)
		n += ts->len[s];
	all = malloc(sizeof(TaggedCandidate) * (n > 0 ? n : 1));
	for (int s = 0; s < ts->nstreams; s++)
		for (int i = 0; i < ts->len[s]; i++)
			all[k++] = (TaggedCandidate) {ts->items[s][i], s};
	qsort(all, n, sizeof(TaggedCandidate), tagged_cmp);
	*total = n;
	return all;
}

static bool
same_candidate(VgCandidate a, VgCandidate b)
{
	return a.distance == b.distance && a.id == b.id;
}

/*
 * Pops everything and checks it against the sorted concatenation, with
 * peek agreeing before every pop, and the laziness contract: between pops
 * every stream has been called exactly once more than it has had heads
 * popped (for its current head, or for the false that ended it).
 */
static void
check_merge(TestStreams *ts)
{
	VgLoserTree tree;
	TaggedCandidate *expect;
	int			total;
	int		   *popped = calloc(ts->nstreams, sizeof(int));
	int			k = 0;
	VgCandidate c;
	int			stream;

	expect = expected_order(ts, &total);
	CHECK_INT_EQ(vg_loser_tree_init(&tree, ts->nstreams, array_next, ts,
									&vg_malloc_allocator), VG_OK);
	for (;;)
	{
		VgCandidate pc;
		int			pstream = -1;
		bool		peeked = vg_loser_tree_peek(&tree, &pc, &pstream);

		for (int s = 0; s < ts->nstreams; s++)
			CHECK_MSG(ts->calls[s] == popped[s] + 1,
					  "stream %d: %d calls after %d pops", s, ts->calls[s],
					  popped[s]);

		stream = -1;
		if (!vg_loser_tree_pop(&tree, &c, &stream))
		{
			CHECK(!peeked);
			break;
		}
		CHECK(peeked);
		CHECK(same_candidate(pc, c) && pstream == stream);
		CHECK(stream >= 0 && stream < ts->nstreams);
		if (stream >= 0 && stream < ts->nstreams)
			popped[stream]++;

		CHECK(k < total);
		if (k < total)
			CHECK_MSG(same_candidate(c, expect[k].c) && stream == expect[k].stream,
					  "pop %d: (%g, %u) from %d, expected (%g, %u) from %d",
					  k, c.distance, c.id, stream, expect[k].c.distance,
					  expect[k].c.id, expect[k].stream);
		k++;
		if (vg_test_failures() > 0)
			break;
	}
	CHECK_INT_EQ(k, total);

	/* Popping an empty tree again neither succeeds nor pulls any stream. */
	CHECK(!vg_loser_tree_pop(&tree, &c, NULL));
	CHECK(!vg_loser_tree_peek(&tree, &c, NULL));
	for (int s = 0; s < ts->nstreams; s++)
	{
		CHECK(ts->ended[s]);
		CHECK_INT_EQ(ts->calls[s], ts->len[s] + 1);
	}
	CHECK_INT_EQ(ts->calls_after_end, 0);

	vg_loser_tree_free(&tree);
	free(expect);
	free(popped);
}

static void
test_merge_random_streams(void)
{
	static const int counts[] = {1, 2, 3, 5, 8, 13, 64};
	VgTestRng	rng;

	vg_rng_seed(&rng, 20240611);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
	{
		/* several draws per count, so each sees empty and long streams */
		for (int round = 0; round < 6; round++)
		{
			TestStreams ts;

			streams_random(&ts, counts[i], &rng);
			check_merge(&ts);
			streams_free(&ts);
			if (vg_test_failures() > 0)
				return;
		}
	}
}

static void
test_single_stream(void)
{
	static const VgCandidate s0[] = {{0.5f, 3}, {0.5f, 4}, {1.0f, 1}};
	const VgCandidate *const items[] = {s0};
	const int	len[] = {3};
	TestStreams ts;

	streams_fixed(&ts, 1, items, len);
	check_merge(&ts);
	streams_free(&ts);
}

static void
test_all_streams_empty(void)
{
	const VgCandidate *const items[] = {NULL, NULL, NULL, NULL, NULL};
	const int	len[] = {0, 0, 0, 0, 0};

	for (int p = 1; p <= 5; p++)
	{
		TestStreams ts;
		VgLoserTree tree;
		VgCandidate c;
		int			stream = -7;

		streams_fixed(&ts, p, items, len);
		CHECK_INT_EQ(vg_loser_tree_init(&tree, p, array_next, &ts,
										&vg_malloc_allocator), VG_OK);
		CHECK(!vg_loser_tree_peek(&tree, &c, &stream));
		CHECK(!vg_loser_tree_pop(&tree, &c, &stream));
		CHECK(!vg_loser_tree_pop(&tree, &c, &stream));
		CHECK_INT_EQ(stream, -7);
		for (int s = 0; s < p; s++)
			CHECK_INT_EQ(ts.calls[s], 1);
		CHECK_INT_EQ(ts.calls_after_end, 0);
		vg_loser_tree_free(&tree);
		streams_free(&ts);
	}
}

/*
 * Equal distances are ordered by id; the same candidate in several streams
 * comes out once per stream, lowest stream first.
 */
static void
test_ties_across_streams(void)
{
	static const VgCandidate s0[] = {{1.0f, 5}, {2.0f, 3}};
	static const VgCandidate s1[] = {{1.0f, 5}, {1.0f, 7}};
	static const VgCandidate s2[] = {{1.0f, 4}, {1.0f, 5}, {2.0f, 3}};
	static const VgCandidate s3[] = {{1.0f, 5}};
	const VgCandidate *const items[] = {s0, s1, s2, s3};
	const int	len[] = {2, 2, 3, 1};
	static const TaggedCandidate expect[] = {
		{{1.0f, 4}, 2},
		{{1.0f, 5}, 0},
		{{1.0f, 5}, 1},
		{{1.0f, 5}, 2},
		{{1.0f, 5}, 3},
		{{1.0f, 7}, 1},
		{{2.0f, 3}, 0},
		{{2.0f, 3}, 2},
	};
	const int	nexpect = (int) (sizeof(expect) / sizeof(expect[0]));
	TestStreams ts;
	VgLoserTree tree;
	VgCandidate c;
	int			stream;
	int			k = 0;

	streams_fixed(&ts, 4, items, len);
	CHECK_INT_EQ(vg_loser_tree_init(&tree, 4, array_next, &ts,
									&vg_malloc_allocator), VG_OK);
	while (vg_loser_tree_pop(&tree, &c, &stream))
	{
		if (k < nexpect)
			CHECK_MSG(same_candidate(c, expect[k].c) && stream == expect[k].stream,
					  "pop %d: (%g, %u) from %d, expected (%g, %u) from %d",
					  k, c.distance, c.id, stream, expect[k].c.distance,
					  expect[k].c.id, expect[k].stream);
		k++;
	}
	CHECK_INT_EQ(k, nexpect);
	vg_loser_tree_free(&tree);
	streams_free(&ts);

	/* and the general checker agrees on the same input */
	streams_fixed(&ts, 4, items, len);
	check_merge(&ts);
	streams_free(&ts);
}

/*
 * A stream that ends early, while others still run, stays out of the way:
 * its sentinel never wins and its next() is never called again.
 */
static void
test_unequal_lengths(void)
{
	static const VgCandidate s0[] = {{0.0f, 0}};
	static VgCandidate s1[3000];
	static const VgCandidate s3[] = {{5000.0f, 1}, {5000.0f, 2}};
	const VgCandidate *const items[] = {s0, s1, NULL, s3, NULL};
	const int	len[] = {1, 3000, 0, 2, 0};
	TestStreams ts;

	for (int i = 0; i < 3000; i++)
		s1[i] = (VgCandidate) {(float) i, (VgNodeId) (i + 10)};
	streams_fixed(&ts, 5, items, len);
	check_merge(&ts);
	streams_free(&ts);
}

static int
ceil_log2(int n)
{
	int			bits = 0;

	while ((1 << bits) < n)
		bits++;
	return bits;
}

/*
 * A pop replays one leaf-to-root path: never more than ceil(log2 P)
 * comparisons, and setup is one comparison per internal node.
 */
static void
test_pop_cost_is_logarithmic(void)
{
	static const int counts[] = {64, 13, 2, 1};
	VgTestRng	rng;

	vg_rng_seed(&rng, 99);
	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
	{
		int			p = counts[i];
		int			bound = ceil_log2(p);
		TestStreams ts;
		VgLoserTree tree;
		VgCandidate c;
		uint64_t	before;
		uint64_t	worst = 0;
		int			pops = 0;

		streams_alloc(&ts, p);
		for (int s = 0; s < p; s++)
		{
			/* enough for 10,000 pops, unevenly spread over the streams */
			int			n = 10000 / p + 1 + (int) vg_rng_below(&rng, 400);

			ts.len[s] = n;
			ts.items[s] = malloc(sizeof(VgCandidate) * n);
			for (int k = 0; k < n; k++)
				ts.items[s][k] = (VgCandidate) {vg_rng_float(&rng, 0.0f, 100.0f),
				(VgNodeId) vg_rng_below(&rng, 1000000)};
			vg_candidates_sort(ts.items[s], n);
		}

		CHECK_INT_EQ(vg_loser_tree_init(&tree, p, array_next, &ts,
										&vg_malloc_allocator), VG_OK);
		CHECK_INT_EQ(tree.comparisons, p - 1);
		before = tree.comparisons;
		for (; pops < 10000; pops++)
		{
			uint64_t	start = tree.comparisons;

			if (!vg_loser_tree_pop(&tree, &c, NULL))
				break;
			if (tree.comparisons - start > worst)
				worst = tree.comparisons - start;
		}
		CHECK_INT_EQ(pops, 10000);
		CHECK_MSG(worst <= (uint64_t) bound,
				  "P = %d: a pop made %llu comparisons, bound %d",
				  p, (unsigned long long) worst, bound);
		CHECK_MSG(tree.comparisons - before <= (uint64_t) pops * (bound + 1),
				  "P = %d: %llu comparisons over %d pops",
				  p, (unsigned long long) (tree.comparisons - before), pops);
		vg_loser_tree_free(&tree);
		streams_free(&ts);
	}
}

static void
test_invalid_stream_count(void)
{
	VgLoserTree tree;
	TestStreams ts;

	streams_alloc(&ts, 1);
	CHECK_INT_EQ(vg_loser_tree_init(&tree, 0, array_next, &ts,
									&vg_malloc_allocator), VG_ERR_INVALID);
	vg_loser_tree_free(&tree);
	CHECK_INT_EQ(vg_loser_tree_init(&tree, -3, array_next, &ts,
									&vg_malloc_allocator), VG_ERR_INVALID);
	CHECK_INT_EQ(ts.calls[0], 0);
	streams_free(&ts);
}

/* An allocator that fails after a given number of allocations. */
typedef struct FailingAllocator
{
	int			allowed;
	int			live;
} FailingAllocator;

static void *
failing_alloc(void *ctx, size_t size)
{
	FailingAllocator *fa = ctx;
	void	   *p;

	if (fa->allowed == 0)
		return NULL;
	fa->allowed--;
	p = malloc(size);
	if (p != NULL)
		fa->live++;
	return p;
}

static void
failing_release(void *ctx, void *ptr)
{
	FailingAllocator *fa = ctx;

	fa->live--;
	free(ptr);
}

/* Running out of memory is reported, leaves nothing allocated and pulls no stream. */
static void
test_out_of_memory(void)
{
	for (int allowed = 0; allowed < 2; allowed++)
	{
		FailingAllocator fa = {allowed, 0};
		VgAllocator a = {failing_alloc, failing_release, &fa};
		VgLoserTree tree;
		TestStreams ts;

		streams_alloc(&ts, 7);
		CHECK_INT_EQ(vg_loser_tree_init(&tree, 7, array_next, &ts, &a),
					 VG_ERR_NO_MEMORY);
		CHECK_INT_EQ(fa.live, 0);
		vg_loser_tree_free(&tree);
		CHECK_INT_EQ(fa.live, 0);
		for (int s = 0; s < 7; s++)
			CHECK_INT_EQ(ts.calls[s], 0);
		streams_free(&ts);
	}
}

const VgTestCase vg_test_suite_loser_tree[] = {
	VG_TEST(test_merge_random_streams),
	VG_TEST(test_single_stream),
	VG_TEST(test_all_streams_empty),
	VG_TEST(test_ties_across_streams),
	VG_TEST(test_unequal_lengths),
	VG_TEST(test_pop_cost_is_logarithmic),
	VG_TEST(test_invalid_stream_count),
	VG_TEST(test_out_of_memory),
	VG_TEST_END
};
