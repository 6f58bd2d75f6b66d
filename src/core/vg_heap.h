/*-------------------------------------------------------------------------
 *
 * vg_heap.h
 *	  A binary min-heap of (distance, node) candidates.
 *
 * Graph search keeps two heaps: the candidates still to expand, closest
 * first, and the best results so far, farthest first so the worst can be
 * dropped.  Both are this min-heap; the second stores negated distances.
 * The array grows through the allocator, so ef has no fixed bound.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_HEAP_H
#define VG_HEAP_H

#include <stdbool.h>
#include <stdint.h>

#include "vg_alloc.h"

typedef uint32_t VgNodeId;

#define VG_NO_NODE ((VgNodeId) 0xFFFFFFFFu)

typedef struct VgCandidate
{
	float		distance;
	VgNodeId	id;
} VgCandidate;

typedef struct VgHeap
{
	VgCandidate *items;
	int			size;
	int			capacity;
	const VgAllocator *allocator;
} VgHeap;

/* Ties are broken by node id, so that every search order is deterministic. */
static inline bool
vg_candidate_less(VgCandidate a, VgCandidate b)
{
	return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
}

extern VgStatus vg_heap_init(VgHeap *heap, int capacity, const VgAllocator *allocator);
extern void vg_heap_free(VgHeap *heap);
extern VgStatus vg_heap_push(VgHeap *heap, VgCandidate c);
extern VgCandidate vg_heap_pop(VgHeap *heap);

static inline void
vg_heap_clear(VgHeap *heap)
{
	heap->size = 0;
}

/* The smallest candidate; the heap must not be empty. */
static inline VgCandidate
vg_heap_top(const VgHeap *heap)
{
	return heap->items[0];
}

/* Sorts candidates ascending by (distance, id). */
extern void vg_candidates_sort(VgCandidate *items, int n);

#endif							/* VG_HEAP_H */
