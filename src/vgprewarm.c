/*-------------------------------------------------------------------------
 *
 * vgprewarm.c
 *	  Warm start: after a restart, the maintenance worker reads into shared
 *	  buffers the pages every search begins with.
 *
 * NOTES
 *	  Every search descends the upper levels from its partition's entry
 *	  point and starts level 0 near it, so those pages are the hottest of
 *	  the index, and the first queries after a restart would otherwise
 *	  read them one by one.  autoprewarm restores what shared buffers held;
 *	  this needs no dump: it walks the upper levels from each entry point
 *	  (about one node in m has one), then level 0 two hops around the entry.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/memutils.h"
#include "utils/rel.h"

#include "vgam.h"
#include "vgworker.h"

/* Adds the neighbours of node at level to the queue; returns its new length. */
static uint32
Enqueue(VgStore store, VgNodeId node, int level, VgVisited *seen, VgNodeId *list,
		VgNodeId **queue, uint32 n, uint32 *cap)
{
	int			k = VgStoreOps.neighbours(store, node, level, list, store->shape.m0, NULL);
	VgStatus	st = VG_OK;

	for (int i = 0; i < k; i++)
	{
		if (!vg_visited_add(seen, list[i], &st))
			continue;
		if (n == *cap)
		{
			*cap *= 2;
			*queue = repalloc_huge(*queue, sizeof(VgNodeId) * *cap);
		}
		(*queue)[n++] = list[i];
	}
	return n;
}

/* Reads the pages of one partition's upper levels and entry region. */
static uint64
WarmPartition(VgStore store, VgNodeId entry)
{
	const VgAllocator *a = VgPallocAllocator(CurrentMemoryContext);
	VgNodeId   *list = palloc(sizeof(VgNodeId) * store->shape.m0);
	uint32		cap = 1024;
	VgNodeId   *queue = palloc(sizeof(VgNodeId) * cap);
	uint32		n = 0;
	uint32		head = 0;
	VgVisited	seen;
	VgStatus	st = VG_OK;

	vg_visited_init(&seen, 1024, a);
	vg_visited_add(&seen, entry, &st);
	queue[n++] = entry;
	/* every node with an upper level, through the upper lists */
	for (; head < n; head++)
	{
		int			level = VgStoreOps.level(store, queue[head]);

		VgDelayPoint();
		for (int lv = 1; lv <= level; lv++)
			n = Enqueue(store, queue[head], lv, &seen, list, &queue, n, &cap);
		VgStoreReset(store);
	}
	/* level 0 two hops around the entry point */
	{
		uint32		first = n;

		n = Enqueue(store, entry, 0, &seen, list, &queue, n, &cap);
		for (uint32 i = first, end = n; i < end; i++)
			n = Enqueue(store, queue[i], 0, &seen, list, &queue, n, &cap);
		for (uint32 i = first; i < n; i++)
			(void) VgStoreOps.level(store, queue[i]);
		VgStoreReset(store);
	}
	vg_visited_free(&seen);
	pfree(list);
	pfree(queue);
	return n;
}

/* Warms every partition of index; returns how many nodes it read. */
uint64
VgPrewarmIndex(Relation index)
{
	VgMetaPageData meta;
	VgStoreData store;
	uint64		nodes = 0;

	VgReadMeta(index, &meta);
	VgStoreInit(&store, index, false);
	for (int part = 0; part < meta.partitions; part++)
		if (meta.part[part].entry != VG_NO_NODE)
			nodes += WarmPartition(&store, meta.part[part].entry);
	VgStoreRelease(&store);
	return nodes;
}
