/*-------------------------------------------------------------------------
 *
 * vg_visited.h
 *	  The set of nodes a graph search has already seen.
 *
 * An open-addressing hash set of node ids.  A search touches a few
 * thousand nodes of graphs that may hold billions, so the set is sized to
 * the search, not to the graph (an array indexed by node id, as hnswlib
 * keeps, would cost every scan memory proportional to the index).  It grows
 * when half full; clearing costs one memset of the table.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_VISITED_H
#define VG_VISITED_H

#include <stdbool.h>
#include <stdint.h>

#include "vg_alloc.h"
#include "vg_heap.h"

typedef struct VgVisited
{
	VgNodeId   *slots;			/* VG_NO_NODE marks an empty slot */
	uint32_t	mask;			/* capacity - 1; capacity is a power of 2 */
	uint32_t	count;
	const VgAllocator *allocator;
} VgVisited;

extern VgStatus vg_visited_init(VgVisited *set, uint32_t expected, const VgAllocator *allocator);
extern void vg_visited_free(VgVisited *set);
extern void vg_visited_clear(VgVisited *set);

extern VgStatus vg_visited_grow(VgVisited *set);

/* Fibonacci hashing spreads consecutive ids over the table. */
static inline uint32_t
vg_visited_probe(const VgVisited *set, VgNodeId id)
{
	uint32_t	i = (uint32_t) ((id * UINT64_C(0x9E3779B97F4A7C15)) >> 32) & set->mask;

	while (set->slots[i] != VG_NO_NODE && set->slots[i] != id)
		i = (i + 1) & set->mask;
	return i;
}

/*
 * Adds id; returns true when it was not there before.  On VG_ERR_NO_MEMORY
 * while growing, *status is set and the id is reported as new.  Inline: a
 * search adds every neighbour it meets, about 2,000 ids a query.
 */
static inline bool
vg_visited_add(VgVisited *set, VgNodeId id, VgStatus *status)
{
	uint32_t	i = vg_visited_probe(set, id);

	if (set->slots[i] == id)
		return false;
	set->slots[i] = id;
	if (++set->count * 2 > set->mask + 1)
	{
		VgStatus	s = vg_visited_grow(set);

		if (s != VG_OK)
			*status = s;
	}
	return true;
}

static inline bool
vg_visited_contains(const VgVisited *set, VgNodeId id)
{
	return set->slots[vg_visited_probe(set, id)] == id;
}

#endif							/* VG_VISITED_H */
