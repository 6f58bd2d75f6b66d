/*-------------------------------------------------------------------------
 *
 * vg_heap.c
 *	  A binary min-heap of candidates, and candidate sorting.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>
#include <string.h>

#include "vg_heap.h"

VgStatus
vg_heap_init(VgHeap *heap, int capacity, const VgAllocator *allocator)
{
	heap->size = 0;
	heap->capacity = capacity < 16 ? 16 : capacity;
	heap->allocator = allocator;
	heap->items = vg_alloc(allocator, sizeof(VgCandidate) * heap->capacity);
	return heap->items ? VG_OK : VG_ERR_NO_MEMORY;
}

void
vg_heap_free(VgHeap *heap)
{
	vg_release(heap->allocator, heap->items);
	heap->items = NULL;
	heap->size = heap->capacity = 0;
}

static VgStatus
heap_grow(VgHeap *heap)
{
	int			capacity = heap->capacity * 2;
	VgCandidate *items = vg_alloc(heap->allocator, sizeof(VgCandidate) * capacity);

	if (items == NULL)
		return VG_ERR_NO_MEMORY;
	memcpy(items, heap->items, sizeof(VgCandidate) * heap->size);
	vg_release(heap->allocator, heap->items);
	heap->items = items;
	heap->capacity = capacity;
	return VG_OK;
}

VgStatus
vg_heap_push(VgHeap *heap, VgCandidate c)
{
	int			i;

	if (heap->size == heap->capacity && heap_grow(heap) != VG_OK)
		return VG_ERR_NO_MEMORY;

	/* sift up: move parents down until c's place is found */
	i = heap->size++;
	while (i > 0)
	{
		int			parent = (i - 1) / 2;

		if (!vg_candidate_less(c, heap->items[parent]))
			break;
		heap->items[i] = heap->items[parent];
		i = parent;
	}
	heap->items[i] = c;
	return VG_OK;
}

VgCandidate
vg_heap_pop(VgHeap *heap)
{
	VgCandidate top = heap->items[0];
	VgCandidate last = heap->items[--heap->size];
	int			n = heap->size;
	int			i = 0;

	/* sift down: move the smaller child up until last's place is found */
	for (;;)
	{
		int			child = 2 * i + 1;

		if (child >= n)
			break;
		if (child + 1 < n && vg_candidate_less(heap->items[child + 1], heap->items[child]))
			child++;
		if (!vg_candidate_less(heap->items[child], last))
			break;
		heap->items[i] = heap->items[child];
		i = child;
	}
	if (n > 0)
		heap->items[i] = last;
	return top;
}

static int
candidate_cmp(const void *a, const void *b)
{
	VgCandidate x = *(const VgCandidate *) a;
	VgCandidate y = *(const VgCandidate *) b;

	return vg_candidate_less(x, y) ? -1 : vg_candidate_less(y, x) ? 1 : 0;
}

void
vg_candidates_sort(VgCandidate *items, int n)
{
	if (n > 1)
		qsort(items, n, sizeof(VgCandidate), candidate_cmp);
}
