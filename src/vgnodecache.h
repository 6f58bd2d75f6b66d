/*-------------------------------------------------------------------------
 *
 * vgnodecache.h
 *	  A scan's copies of the nodes it has read: heap TID, flags, level-0
 *	  list and, for half storage, the vector's rounding error and norm, by
 *	  node id.  See vgnodecache.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VGNODECACHE_H
#define VGNODECACHE_H

#include "postgres.h"

#include "storage/itemptr.h"

#include "core/vg_heap.h"

typedef struct VgCachedNode
{
	ItemPointerData heaptid;
	uint8		flags;
	uint16		count0;			/* VG_CACHED_NO_LIST: links not copied */
	float		error;			/* half storage: the VgHalfVector's; else 0 */
	float		norm;
	VgNodeId	links[FLEXIBLE_ARRAY_MEMBER];
} VgCachedNode;

/* A scan reading under a pin alone copies no list: it may be changing. */
#define VG_CACHED_NO_LIST	0xFFFF

typedef struct VgNodeCache
{
	Size		stride;			/* bytes per entry */
	uint32		mask;			/* table size - 1 */
	VgNodeId   *keys;			/* VG_NO_NODE when empty */
	uint32	   *slots;			/* entry index of each key */
	char	   *entries;
	uint32		count;
	uint32		capacity;		/* entries allocated: half the table */
} VgNodeCache;

static inline VgCachedNode *
VgNodeCacheEntry(const VgNodeCache *c, uint32 slot)
{
	return (VgCachedNode *) (c->entries + c->stride * slot);
}

extern VgNodeCache *VgNodeCacheCreate(int m0, int expected);

/* The entry for id, added (contents undefined) if absent. */
extern VgCachedNode *VgNodeCachePut(VgNodeCache *c, VgNodeId id);

extern void VgNodeCacheFree(VgNodeCache *c);

/* The entry for id, or NULL. */
extern VgCachedNode *VgNodeCacheGet(const VgNodeCache *c, VgNodeId id);

#endif							/* VGNODECACHE_H */
