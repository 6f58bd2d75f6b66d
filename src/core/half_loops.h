/*-------------------------------------------------------------------------
 *
 * half_loops.h
 *	  The loops of the half-precision kernels, written once for both SIMD
 *	  widths (half_avx2.c, half_avx512.c).
 *
 * The including file defines its vector type and primitives -- VG_VEC,
 * VG_TARGET, LANES, BLOCK, vec_zero(), vec_add(), vec_sum() -- and a
 * loader pair for each element type: load(p) reads LANES elements as
 * floats, load_tail(p, rem) the last rem of them, zero beyond.  A kernel
 * then names the loaders of its first operand (float for mixed kernels,
 * half otherwise); the second is always half.
 *
 * The scheme is the float kernels' (distance_avx2.c): four accumulators
 * over blocks of four registers, single registers into the first, the tail
 * into the second, summed in the same order -- so that on values exact in
 * half every kernel gives the float kernel's bits.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_HALF_LOOPS_H
#define VG_HALF_LOOPS_H

#define VG_PAIR_KERNEL(name, TypeA, load_a, tail_a, step) \
static VG_TARGET float \
name(const void *va, const void *vb, size_t n) \
{ \
	const TypeA *a = va; \
	const VgHalf *b = vb; \
	VG_VEC		acc0 = vec_zero(); \
	VG_VEC		acc1 = vec_zero(); \
	VG_VEC		acc2 = vec_zero(); \
	VG_VEC		acc3 = vec_zero(); \
	size_t		i = 0; \
\
	for (; i + BLOCK <= n; i += BLOCK) \
	{ \
		acc0 = step(acc0, load_a(a + i), load_half(b + i)); \
		acc1 = step(acc1, load_a(a + i + LANES), load_half(b + i + LANES)); \
		acc2 = step(acc2, load_a(a + i + 2 * LANES), load_half(b + i + 2 * LANES)); \
		acc3 = step(acc3, load_a(a + i + 3 * LANES), load_half(b + i + 3 * LANES)); \
	} \
	for (; i + LANES <= n; i += LANES) \
		acc0 = step(acc0, load_a(a + i), load_half(b + i)); \
	if (i < n) \
		acc1 = step(acc1, tail_a(a + i, n - i), tail_half(b + i, n - i)); \
	return vec_sum(vec_add(vec_add(acc0, acc1), vec_add(acc2, acc3))); \
}

typedef struct CosAcc
{
	VG_VEC		dot;
	VG_VEC		norm_a;
	VG_VEC		norm_b;
} CosAcc;

static inline VG_TARGET void
cos_step(CosAcc *acc, VG_VEC x, VG_VEC y)
{
	acc->dot = vec_fma(x, y, acc->dot);
	acc->norm_a = vec_fma(x, x, acc->norm_a);
	acc->norm_b = vec_fma(y, y, acc->norm_b);
}

static inline VG_TARGET void
cos_merge(CosAcc *dst, const CosAcc *src)
{
	dst->dot = vec_add(dst->dot, src->dot);
	dst->norm_a = vec_add(dst->norm_a, src->norm_a);
	dst->norm_b = vec_add(dst->norm_b, src->norm_b);
}

#define VG_COSINE_KERNEL(name, TypeA, load_a, tail_a) \
static VG_TARGET VgCosineParts \
name(const void *va, const void *vb, size_t n) \
{ \
	const TypeA *a = va; \
	const VgHalf *b = vb; \
	CosAcc		acc0 = {vec_zero(), vec_zero(), vec_zero()}; \
	CosAcc		acc1 = acc0; \
	CosAcc		acc2 = acc0; \
	CosAcc		acc3 = acc0; \
	VgCosineParts parts; \
	size_t		i = 0; \
\
	for (; i + BLOCK <= n; i += BLOCK) \
	{ \
		cos_step(&acc0, load_a(a + i), load_half(b + i)); \
		cos_step(&acc1, load_a(a + i + LANES), load_half(b + i + LANES)); \
		cos_step(&acc2, load_a(a + i + 2 * LANES), load_half(b + i + 2 * LANES)); \
		cos_step(&acc3, load_a(a + i + 3 * LANES), load_half(b + i + 3 * LANES)); \
	} \
	for (; i + LANES <= n; i += LANES) \
		cos_step(&acc0, load_a(a + i), load_half(b + i)); \
	if (i < n) \
		cos_step(&acc1, tail_a(a + i, n - i), tail_half(b + i, n - i)); \
	cos_merge(&acc0, &acc1); \
	cos_merge(&acc2, &acc3); \
	cos_merge(&acc0, &acc2); \
	parts.dot = vec_sum(acc0.dot); \
	parts.norm_a = vec_sum(acc0.norm_a); \
	parts.norm_b = vec_sum(acc0.norm_b); \
	return parts; \
}

static inline VG_TARGET VG_VEC
l2_step(VG_VEC acc, VG_VEC x, VG_VEC y)
{
	VG_VEC		d = vec_sub(x, y);

	return vec_fma(d, d, acc);
}

static inline VG_TARGET VG_VEC
ip_step(VG_VEC acc, VG_VEC x, VG_VEC y)
{
	return vec_fma(x, y, acc);
}

static inline VG_TARGET VG_VEC
l1_step(VG_VEC acc, VG_VEC x, VG_VEC y)
{
	return vec_add(acc, vec_abs(vec_sub(x, y)));
}

/* The half and the mixed kernel tables of a level. */
#define VG_HALF_KERNEL_TABLES(suffix, level_value) \
VG_PAIR_KERNEL(half_l2_squared, VgHalf, load_half, tail_half, l2_step) \
VG_PAIR_KERNEL(half_inner_product, VgHalf, load_half, tail_half, ip_step) \
VG_PAIR_KERNEL(half_l1, VgHalf, load_half, tail_half, l1_step) \
VG_COSINE_KERNEL(half_cosine_parts, VgHalf, load_half, tail_half) \
VG_PAIR_KERNEL(mixed_l2_squared, float, load_float, tail_float, l2_step) \
VG_PAIR_KERNEL(mixed_inner_product, float, load_float, tail_float, ip_step) \
VG_PAIR_KERNEL(mixed_l1, float, load_float, tail_float, l1_step) \
VG_COSINE_KERNEL(mixed_cosine_parts, float, load_float, tail_float) \
const VgDistanceKernels vg_half_kernels_##suffix = { \
	.level = level_value, \
	.l2_squared = half_l2_squared, \
	.inner_product = half_inner_product, \
	.l1 = half_l1, \
	.cosine_parts = half_cosine_parts, \
}; \
const VgDistanceKernels vg_mixed_kernels_##suffix = { \
	.level = level_value, \
	.l2_squared = mixed_l2_squared, \
	.inner_product = mixed_inner_product, \
	.l1 = mixed_l1, \
	.cosine_parts = mixed_cosine_parts, \
};

#endif							/* VG_HALF_LOOPS_H */
