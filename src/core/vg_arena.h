/*-------------------------------------------------------------------------
 *
 * vg_arena.h
 *	  An in-memory HNSW graph in one caller-provided block of memory.
 *
 * The arena is what builds insert into before pages are written, and what
 * the core's tests and benchmarks search.  Everything inside is addressed
 * by offsets from the block's start and nodes by dense ids, so the block
 * works unchanged in a DSM segment mapped at different addresses in
 * different processes.
 *
 * Layout: the header, then one fixed-size record per node, then a pool of
 * upper-level lists.  A record holds what one search step at level 0 needs
 * side by side (as hnswlib's level-0 records do):
 *
 *		uint32	level0 count | uint8 level | uint8 lock | uint16 partition
 *		uint32	upper-level lists' offset in the pool (levels >= 1)
 *		uint64	payload (the caller's: a heap TID, a row number)
 *		uint32	level-0 neighbours [m0]
 *		vector				vector_bytes of the caller's stored form (float or
 *							half elements; see VgMetric), 64-byte aligned
 *
 * Upper lists take (1 + m) uint32 per level: the count, then the ids.
 *
 * Concurrency: with 'concurrent' set, each node's lists are guarded by a
 * spinlock in its record (C11 atomics, so it works across processes) and
 * the entry point by one in the header.  A lock is held only to copy or
 * swap a list, never across a distance computation.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_ARENA_H
#define VG_ARENA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "vg_alloc.h"
#include "vg_graph.h"
#include "vg_hnsw.h"

typedef struct VgArena VgArena;

/*
 * Lists hold up to m0 links at level 0 and m above.  HNSW's m0 is 2m;
 * Vamana's is its degree with the build's slack (one level only).
 */

/* Bytes an arena for capacity nodes needs (header included). */
extern size_t vg_arena_size(uint32_t capacity, size_t vector_bytes, int m0, int m);

/* Bytes each node costs, for budgeting; the upper pool's share included. */
extern size_t vg_arena_node_bytes(size_t vector_bytes, int m0, int m);

/*
 * Formats mem (vg_arena_size bytes, 64-byte aligned) as an empty arena.
 */
extern VgArena *vg_arena_init(void *mem, uint32_t capacity, size_t vector_bytes, int m0,
							  int m, bool concurrent);

/*
 * Copies arena into mem (vg_arena_size(new_capacity, ...) bytes, 64-byte
 * aligned) with room for new_capacity nodes, and returns the copy; ids and
 * lists carry over unchanged.  Not concurrent with other use of arena.
 */
extern VgArena *vg_arena_grow(const VgArena *arena, void *mem, uint32_t new_capacity);

/*
 * Adds a node of a partition with its vector and payload, empty lists up to
 * level.  Returns its id in *id, or VG_ERR_FULL when the arena has no room.
 * Thread-safe when the arena is concurrent.
 */
extern VgStatus vg_arena_add(VgArena *arena, const void *vector, int level,
							 int partition, uint64_t payload, VgNodeId *id);

extern uint32_t vg_arena_count(const VgArena *arena);
/* The arena's bytes, from its start to the end of its capacity. */
extern size_t vg_arena_bytes(const VgArena *arena);
extern int	vg_arena_level(const VgArena *arena, VgNodeId id);
extern int	vg_arena_partition(const VgArena *arena, VgNodeId id);
extern uint64_t vg_arena_payload(const VgArena *arena, VgNodeId id);
extern const void *vg_arena_vector(const VgArena *arena, VgNodeId id);

/*
 * Every id of the arena once, in an order that keeps graph neighbours
 * together, for laying nodes out on pages of about group nodes: a
 * breadth-first walk of each partition at level 0 in which each node
 * brings its nearest unplaced neighbours along, then nodes no walk
 * reached, in id order.  out has vg_arena_count() entries.  Not
 * concurrent with changes to the arena.
 */
extern VgStatus vg_arena_locality_order(const VgArena *arena, uint32_t *out, int group,
										const VgAllocator *allocator);

/* The graph of partition 0 over the arena, ranking by metric; set .partition for others. */
extern VgGraph vg_arena_graph(VgArena *arena, VgMetric metric);

/* The adapter; exposed so that tests can wrap it. */
extern const VgGraphOps vg_arena_ops;

#endif							/* VG_ARENA_H */
