/*-------------------------------------------------------------------------
 *
 * vg_alloc.c
 *	  The malloc-backed allocator of tests, benchmarks and tools.
 *
 *-------------------------------------------------------------------------
 */
#include <stdlib.h>

#include "vg_alloc.h"

static void *
malloc_alloc(void *ctx, size_t size)
{
	(void) ctx;
	return malloc(size);
}

static void
malloc_release(void *ctx, void *ptr)
{
	(void) ctx;
	free(ptr);
}

const VgAllocator vg_malloc_allocator = {malloc_alloc, malloc_release, NULL};
