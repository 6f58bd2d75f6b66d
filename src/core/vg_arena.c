/*-------------------------------------------------------------------------
 *
 * vg_arena.c
 *	  An in-memory HNSW graph addressed by offsets; see vg_arena.h.
 *
 *-------------------------------------------------------------------------
 */
#include <stdatomic.h>
#include <string.h>

#include "vg_arena.h"

#define ALIGN64(x) (((x) + 63) & ~(size_t) 63)

typedef struct VgNodeHeader
{
	uint32_t	count0;
	uint8_t		level;
	atomic_flag lock;
	uint8_t		partition;
	uint8_t		n_tree;			/* tree links at the head of the level-0 list */
	uint32_t	upper;			/* offset in the pool, in uint32 units */
	uint64_t	payload;
} VgNodeHeader;

struct VgArena
{
	uint32_t	capacity;
	size_t		vector_bytes;
	int			m;
	int			m0;
	bool		concurrent;
	size_t		record_size;
	size_t		vector_offset;	/* within a record */
	size_t		records;		/* offset of the first record */
	size_t		pool;			/* offset of the upper-level pool */
	uint32_t	pool_capacity;	/* in uint32 units */
	_Atomic uint32_t count;
	_Atomic uint32_t pool_used;
	atomic_flag entry_lock;		/* guards both arrays */
	VgNodeId	entry[VG_MAX_PARTITIONS];
	int			entry_level[VG_MAX_PARTITIONS];
};

static size_t
record_size(size_t vector_bytes, int m0, size_t *vector_offset)
{
	size_t		head = sizeof(VgNodeHeader) + sizeof(uint32_t) * m0;

	*vector_offset = ALIGN64(head);
	return ALIGN64(*vector_offset + vector_bytes);
}

/*
 * A node has upper levels with probability 1/m, and 1/(m-1) of them on
 * average; twice the expectation plus slack makes running out a
 * vanishingly unlikely (and reported) event.
 */
static uint32_t
pool_capacity(uint32_t capacity, int m)
{
	uint64_t	levels = 2 * (uint64_t) capacity / (m - 1) + 4 * VG_MAX_LEVEL;

	return (uint32_t) (levels * (1 + m));
}

size_t
vg_arena_size(uint32_t capacity, size_t vector_bytes, int m0, int m)
{
	size_t		voff;

	return ALIGN64(sizeof(VgArena)) + record_size(vector_bytes, m0, &voff) * capacity +
		sizeof(uint32_t) * pool_capacity(capacity, m);
}

size_t
vg_arena_node_bytes(size_t vector_bytes, int m0, int m)
{
	size_t		voff;

	return record_size(vector_bytes, m0, &voff) + sizeof(uint32_t) * 2 * (1 + m) / (m - 1) + 1;
}

VgArena *
vg_arena_init(void *mem, uint32_t capacity, size_t vector_bytes, int m0, int m,
			  bool concurrent)
{
	VgArena    *a = mem;

	memset(a, 0, sizeof(VgArena));
	a->capacity = capacity;
	a->vector_bytes = vector_bytes;
	a->m = m;
	a->m0 = m0;
	a->concurrent = concurrent;
	a->record_size = record_size(vector_bytes, a->m0, &a->vector_offset);
	a->records = ALIGN64(sizeof(VgArena));
	a->pool = a->records + a->record_size * capacity;
	a->pool_capacity = pool_capacity(capacity, m);
	atomic_init(&a->count, 0);
	atomic_init(&a->pool_used, 0);
	atomic_flag_clear(&a->entry_lock);
	for (int p = 0; p < VG_MAX_PARTITIONS; p++)
	{
		a->entry[p] = VG_NO_NODE;
		a->entry_level[p] = -1;
	}
	return a;
}

size_t
vg_arena_bytes(const VgArena *a)
{
	return a->pool + sizeof(uint32_t) * a->pool_capacity;
}

VgArena *
vg_arena_grow(const VgArena *old, void *mem, uint32_t new_capacity)
{
	VgArena    *a = vg_arena_init(mem, new_capacity, old->vector_bytes, old->m0, old->m,
									old->concurrent);
	uint32_t	count = vg_arena_count(old);
	uint32_t	used = atomic_load(&((VgArena *) old)->pool_used);

	memcpy((char *) a + a->records, (const char *) old + old->records,
		   old->record_size * count);
	memcpy((char *) a + a->pool, (const char *) old + old->pool, sizeof(uint32_t) * used);
	atomic_store(&a->count, count);
	atomic_store(&a->pool_used, used);
	memcpy(a->entry, old->entry, sizeof(a->entry));
	memcpy(a->entry_level, old->entry_level, sizeof(a->entry_level));
	return a;
}

static inline VgNodeHeader *
node_header(const VgArena *a, VgNodeId id)
{
	return (VgNodeHeader *) ((char *) a + a->records + a->record_size * id);
}

static inline uint32_t *
pool_at(const VgArena *a, uint32_t offset)
{
	return (uint32_t *) ((char *) a + a->pool) + offset;
}

/* The count word and ids of node's list at level. */
static inline uint32_t *
list_count(const VgArena *a, VgNodeId id, int level)
{
	VgNodeHeader *h = node_header(a, id);

	if (level == 0)
		return &h->count0;
	return pool_at(a, h->upper + (uint32_t) (level - 1) * (1 + a->m));
}

static inline VgNodeId *
list_ids(const VgArena *a, VgNodeId id, int level)
{
	if (level == 0)
		return (VgNodeId *) (node_header(a, id) + 1);
	return list_count(a, id, level) + 1;
}

static inline void
spin_lock(const VgArena *a, atomic_flag *lock)
{
	if (a->concurrent)
		while (atomic_flag_test_and_set_explicit(lock, memory_order_acquire))
			;
}

static inline void
spin_unlock(const VgArena *a, atomic_flag *lock)
{
	if (a->concurrent)
		atomic_flag_clear_explicit(lock, memory_order_release);
}

VgStatus
vg_arena_add(VgArena *a, const void *vector, int level, int partition,
			 uint64_t payload, VgNodeId *id)
{
	uint32_t	upper_words = (uint32_t) level * (1 + a->m);
	uint32_t	upper = 0;
	VgNodeHeader *h;

	*id = atomic_fetch_add(&a->count, 1);
	if (*id >= a->capacity)
	{
		atomic_fetch_sub(&a->count, 1);
		return VG_ERR_FULL;
	}
	if (level > 0)
	{
		upper = atomic_fetch_add(&a->pool_used, upper_words);
		if (upper + upper_words > a->pool_capacity)
			return VG_ERR_FULL;
		memset(pool_at(a, upper), 0, sizeof(uint32_t) * upper_words);
	}

	h = node_header(a, *id);
	h->count0 = 0;
	h->level = (uint8_t) level;
	h->partition = (uint8_t) partition;
	h->n_tree = 0;
	atomic_flag_clear(&h->lock);
	h->upper = upper;
	h->payload = payload;
	memcpy((char *) h + a->vector_offset, vector, a->vector_bytes);
	return VG_OK;
}

uint32_t
vg_arena_count(const VgArena *a)
{
	uint32_t	n = atomic_load(&((VgArena *) a)->count);

	return n > a->capacity ? a->capacity : n;
}

int
vg_arena_level(const VgArena *a, VgNodeId id)
{
	return node_header(a, id)->level;
}

int
vg_arena_partition(const VgArena *a, VgNodeId id)
{
	return node_header(a, id)->partition;
}

uint64_t
vg_arena_payload(const VgArena *a, VgNodeId id)
{
	return node_header(a, id)->payload;
}

const void *
vg_arena_vector(const VgArena *a, VgNodeId id)
{
	return (const char *) node_header(a, id) + a->vector_offset;
}

static int
arena_neighbours(void *store, VgNodeId node, int level, VgNodeId *out, int max,
				 int *n_tree)
{
	VgArena    *a = store;
	VgNodeHeader *h = node_header(a, node);
	int			n;

	if (n_tree)
		*n_tree = 0;
	if (level > h->level)
		return 0;
	spin_lock(a, &h->lock);
	n = (int) *list_count(a, node, level);
	if (n > max)
		n = max;
	memcpy(out, list_ids(a, node, level), sizeof(VgNodeId) * n);
	if (n_tree && level == 0)
		*n_tree = h->n_tree < n ? h->n_tree : n;
	spin_unlock(a, &h->lock);
	return n;
}

/* Whether the list u names holds what u expects; its node is locked. */
static bool
list_matches(const VgArena *a, const VgListUpdate *u)
{
	const VgNodeHeader *h = node_header(a, u->node);
	uint32_t	count = *list_count(a, u->node, u->level);
	int			n_tree = u->level == 0 ? h->n_tree : 0;

	return u->level <= h->level && count == (uint32_t) u->n_expected &&
		n_tree == u->expected_tree &&
		(u->n_expected == 0 ||
		 memcmp(list_ids(a, u->node, u->level), u->expected,
				sizeof(VgNodeId) * u->n_expected) == 0);
}

/*
 * Locks the nodes of updates in ascending id order (so that two callers
 * never wait for each other), checks every list, then writes them all.
 */
static bool
arena_update_lists(void *store, const VgListUpdate *updates, int n)
{
	VgArena    *a = store;
	VgNodeId	nodes[VG_MAX_LIST_UPDATES];
	int			n_nodes = 0;
	bool		same = true;

	for (int i = 0; i < n; i++)
	{
		VgNodeId	id = updates[i].node;
		int			j = n_nodes;

		while (j > 0 && nodes[j - 1] > id)
			j--;
		if (j > 0 && nodes[j - 1] == id)
			continue;			/* two levels of one node: locked once */
		memmove(nodes + j + 1, nodes + j, sizeof(VgNodeId) * (n_nodes - j));
		nodes[j] = id;
		n_nodes++;
	}
	for (int i = 0; i < n_nodes; i++)
		spin_lock(a, &node_header(a, nodes[i])->lock);
	for (int i = 0; i < n && same; i++)
		same = list_matches(a, &updates[i]);
	for (int i = 0; i < n && same; i++)
	{
		const VgListUpdate *u = &updates[i];

		memcpy(list_ids(a, u->node, u->level), u->ids, sizeof(VgNodeId) * u->n);
		*list_count(a, u->node, u->level) = (uint32_t) u->n;
		if (u->level == 0)
			node_header(a, u->node)->n_tree = (uint8_t) u->n_tree;
	}
	for (int i = n_nodes - 1; i >= 0; i--)
		spin_unlock(a, &node_header(a, nodes[i])->lock);
	return same;
}

static void
arena_entry(void *store, int partition, VgNodeId *node, int *level)
{
	VgArena    *a = store;

	spin_lock(a, &a->entry_lock);
	*node = a->entry[partition];
	*level = a->entry_level[partition];
	spin_unlock(a, &a->entry_lock);
}

static void
arena_offer_entry(void *store, int partition, VgNodeId node, int level,
				  VgNodeId replace)
{
	VgArena    *a = store;

	spin_lock(a, &a->entry_lock);
	if (a->entry[partition] == VG_NO_NODE || level > a->entry_level[partition] ||
		(replace != VG_NO_NODE && a->entry[partition] == replace))
	{
		a->entry[partition] = node;
		a->entry_level[partition] = level;
	}
	spin_unlock(a, &a->entry_lock);
}

static int
arena_level(void *store, VgNodeId node)
{
	return vg_arena_level(store, node);
}

static const void *
arena_vector(void *store, VgNodeId node)
{
	return vg_arena_vector(store, node);
}

static void
arena_distances(void *store, const VgMetric *metric, const void *query,
				const VgNodeId *ids, int n, float *out)
{
	VgArena    *a = store;

	for (int i = 0; i < n; i++)
	{
		/* the next vector's first lines load while this one is computed */
		if (i + 1 < n)
			__builtin_prefetch(vg_arena_vector(a, ids[i + 1]));
		out[i] = vg_metric_distance(metric, query, vg_arena_vector(a, ids[i]));
	}
}

const VgGraphOps vg_arena_ops = {
	.neighbours = arena_neighbours,
	.update_lists = arena_update_lists,
	.distances = arena_distances,
	.vector = arena_vector,
	.level = arena_level,
	.entry = arena_entry,
	.offer_entry = arena_offer_entry,
	.check_interrupts = NULL
};

VgGraph
vg_arena_graph(VgArena *arena, VgMetric metric)
{
	VgGraph		g = {&vg_arena_ops, arena, metric, 0};

	return g;
}

/*
 * Breadth-first from each partition's entry point at level 0.  A node is
 * placed when it leaves the queue, unless already placed, and takes the
 * first group - 1 of its unplaced neighbours right after it (a list holds
 * its tree links, then the heuristic's choices nearest first), so that a
 * node and its near neighbours share a page; all its neighbours are then
 * queued.
 */
VgStatus
vg_arena_locality_order(const VgArena *a, uint32_t *out, int group,
						const VgAllocator *allocator)
{
	uint32_t	n = vg_arena_count(a);
	uint8_t    *state = vg_alloc(allocator, n + 1);	/* bit 1 queued, 2 placed */
	uint32_t   *queue = vg_alloc(allocator, sizeof(uint32_t) * (n + 1));
	uint32_t	placed = 0;

	if (state == NULL || queue == NULL)
	{
		vg_release(allocator, state);
		vg_release(allocator, queue);
		return VG_ERR_NO_MEMORY;
	}
	memset(state, 0, n + 1);
	for (int p = 0; p < VG_MAX_PARTITIONS; p++)
	{
		VgNodeId	entry = a->entry[p];
		uint32_t	head = 0;
		uint32_t	tail = 0;

		if (entry == VG_NO_NODE || entry >= n || state[entry])
			continue;
		state[entry] = 1;
		queue[tail++] = entry;
		while (head < tail)
		{
			VgNodeId	u = queue[head++];
			uint32_t	count = *list_count(a, u, 0);
			const VgNodeId *ids = list_ids(a, u, 0);

			if (!(state[u] & 2))
			{
				int			taken = 1;

				state[u] |= 2;
				out[placed++] = u;
				for (uint32_t j = 0; j < count && taken < group; j++)
					if (ids[j] < n && !(state[ids[j]] & 2))
					{
						state[ids[j]] |= 2;
						out[placed++] = ids[j];
						taken++;
					}
			}
			for (uint32_t j = 0; j < count; j++)
				if (ids[j] < n && !(state[ids[j]] & 1))
				{
					state[ids[j]] |= 1;
					queue[tail++] = ids[j];
				}
		}
	}
	for (uint32_t i = 0; i < n; i++)
		if (!(state[i] & 2))
			out[placed++] = i;
	vg_release(allocator, state);
	vg_release(allocator, queue);
	return VG_OK;
}
