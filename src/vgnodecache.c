/*-------------------------------------------------------------------------
 *
 * vgnodecache.c
 *	  What a scan learned about nodes while computing their distances.
 *
 *	  Reading a node's vector puts its page under the scan's hand; copying
 *	  the node's heap TID and level-0 list at that moment (a few hundred
 *	  bytes beside the vector) spares a second buffer access when the
 *	  search later expands the node or returns it.  One cache lives for one
 *	  search round; it is an open-addressing table of node ids pointing
 *	  into an append-only array of entries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "vgnodecache.h"

static inline uint32
HashId(VgNodeId id)
{
	return (uint32) ((id * UINT64CONST(0x9E3779B97F4A7C15)) >> 32);
}

VgNodeCache *
VgNodeCacheCreate(int m0, int expected)
{
	VgNodeCache *c = palloc(sizeof(VgNodeCache));
	uint32		cap = 256;

	while (cap < (uint32) expected * 2)
		cap *= 2;
	c->stride = MAXALIGN(offsetof(VgCachedNode, links) + sizeof(VgNodeId) * m0);
	c->mask = cap - 1;
	c->keys = palloc(sizeof(VgNodeId) * cap);
	c->slots = palloc(sizeof(uint32) * cap);
	memset(c->keys, 0xFF, sizeof(VgNodeId) * cap);
	c->count = 0;
	c->capacity = cap / 2;
	c->entries = palloc(c->stride * c->capacity);
	return c;
}

static inline uint32
Probe(const VgNodeCache *c, VgNodeId id)
{
	uint32		i = HashId(id) & c->mask;

	while (c->keys[i] != VG_NO_NODE && c->keys[i] != id)
		i = (i + 1) & c->mask;
	return i;
}

static void
Grow(VgNodeCache *c)
{
	VgNodeId   *old_keys = c->keys;
	uint32	   *old_slots = c->slots;
	uint32		old_cap = c->mask + 1;
	uint32		cap = old_cap * 2;

	c->mask = cap - 1;
	c->keys = palloc(sizeof(VgNodeId) * cap);
	c->slots = palloc(sizeof(uint32) * cap);
	memset(c->keys, 0xFF, sizeof(VgNodeId) * cap);
	for (uint32 i = 0; i < old_cap; i++)
		if (old_keys[i] != VG_NO_NODE)
		{
			uint32		j = Probe(c, old_keys[i]);

			c->keys[j] = old_keys[i];
			c->slots[j] = old_slots[i];
		}
	pfree(old_keys);
	pfree(old_slots);
	c->capacity = cap / 2;
	c->entries = repalloc_huge(c->entries, c->stride * c->capacity);
}

VgCachedNode *
VgNodeCachePut(VgNodeCache *c, VgNodeId id)
{
	uint32		i = Probe(c, id);

	if (c->keys[i] == id)
		return VgNodeCacheEntry(c, c->slots[i]);
	if (c->count >= c->capacity)
	{
		Grow(c);
		i = Probe(c, id);
	}
	c->keys[i] = id;
	c->slots[i] = c->count;
	return VgNodeCacheEntry(c, c->count++);
}

VgCachedNode *
VgNodeCacheGet(const VgNodeCache *c, VgNodeId id)
{
	uint32		i = Probe(c, id);

	return c->keys[i] == id ? VgNodeCacheEntry(c, c->slots[i]) : NULL;
}

void
VgNodeCacheFree(VgNodeCache *c)
{
	pfree(c->keys);
	pfree(c->slots);
	pfree(c->entries);
	pfree(c);
}
