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

/*
 * Adds id; returns true when it was not there before.  On VG_ERR_NO_MEMORY
 * while growing, *status is set and the id is reported as new.
 */
extern bool vg_visited_add(VgVisited *set, VgNodeId id, VgStatus *status);
extern bool vg_visited_contains(const VgVisited *set, VgNodeId id);

#endif							/* VG_VISITED_H */
