/*-------------------------------------------------------------------------
 *
 * vg_visited.c
 *	  Open-addressing hash set of node ids with linear probing.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "vg_visited.h"

static VgStatus
allocate_slots(VgVisited *set, uint32_t capacity)
{
	set->slots = vg_alloc(set->allocator, sizeof(VgNodeId) * capacity);
	if (set->slots == NULL)
		return VG_ERR_NO_MEMORY;
	memset(set->slots, 0xFF, sizeof(VgNodeId) * capacity);
	set->mask = capacity - 1;
	set->count = 0;
	return VG_OK;
}

VgStatus
vg_visited_init(VgVisited *set, uint32_t expected, const VgAllocator *allocator)
{
	uint32_t	capacity = 64;

	while (capacity < expected * 2 && capacity < (UINT32_C(1) << 30))
		capacity *= 2;
	set->allocator = allocator;
	return allocate_slots(set, capacity);
}

void
vg_visited_free(VgVisited *set)
{
	vg_release(set->allocator, set->slots);
	set->slots = NULL;
}

void
vg_visited_clear(VgVisited *set)
{
	memset(set->slots, 0xFF, sizeof(VgNodeId) * (set->mask + 1));
	set->count = 0;
}

/* Doubles the table; on failure it is left as it was. */
VgStatus
vg_visited_grow(VgVisited *set)
{
	VgNodeId   *old = set->slots;
	uint32_t	old_capacity = set->mask + 1;
	uint32_t	count = set->count;

	if (allocate_slots(set, old_capacity * 2) != VG_OK)
	{
		set->slots = old;
		set->mask = old_capacity - 1;
		return VG_ERR_NO_MEMORY;
	}
	for (uint32_t i = 0; i < old_capacity; i++)
		if (old[i] != VG_NO_NODE)
			set->slots[vg_visited_probe(set, old[i])] = old[i];
	set->count = count;
	vg_release(set->allocator, old);
	return VG_OK;
}
