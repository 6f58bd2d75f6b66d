/*-------------------------------------------------------------------------
 *
 * vg_alloc.h
 *	  How the core gets memory and reports failure.
 *
 * The core never calls malloc directly: the caller passes an allocator, so
 * the PostgreSQL glue allocates in a memory context (freed wholesale on
 * error) and the standalone tests use malloc.  An allocator may also never
 * return NULL (palloc raises an error instead); the core still checks, so
 * that a malloc-backed caller gets VG_ERR_NO_MEMORY rather than a crash.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_ALLOC_H
#define VG_ALLOC_H

#include <stddef.h>

typedef struct VgAllocator
{
	void	   *(*alloc) (void *ctx, size_t size);
	void		(*release) (void *ctx, void *ptr);
	void	   *ctx;
} VgAllocator;

/* Results of core operations; the glue maps each to one error message. */
typedef enum VgStatus
{
	VG_OK = 0,
	VG_ERR_NO_MEMORY,
	VG_ERR_FULL,				/* a fixed-capacity store has no room */
	VG_ERR_INVALID				/* an argument outside its documented range */
} VgStatus;

static inline void *
vg_alloc(const VgAllocator *a, size_t size)
{
	return a->alloc(a->ctx, size);
}

static inline void
vg_release(const VgAllocator *a, void *ptr)
{
	if (ptr != NULL)
		a->release(a->ctx, ptr);
}

/* An allocator over malloc/free, for tests, benchmarks and tools. */
extern const VgAllocator vg_malloc_allocator;

#endif							/* VG_ALLOC_H */
