/*-------------------------------------------------------------------------
 *
 * half_impl.h
 *	  Internal declarations shared by the half-precision files.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_HALF_IMPL_H
#define VG_HALF_IMPL_H

#include "distance_impl.h"
#include "vg_half.h"

extern const VgDistanceKernels vg_half_kernels_scalar;
extern const VgDistanceKernels vg_mixed_kernels_scalar;

#ifdef VG_HAVE_X86_SIMD
extern int	vg_cpu_has_f16c(void);
extern void vg_f16c_half_to_floats(float *out, const VgHalf *in, size_t n);
extern void vg_f16c_floats_to_half(VgHalf *out, const float *in, size_t n);
extern const VgDistanceKernels vg_half_kernels_avx2;
extern const VgDistanceKernels vg_half_kernels_avx512;
extern const VgDistanceKernels vg_mixed_kernels_avx2;
extern const VgDistanceKernels vg_mixed_kernels_avx512;
#endif

#endif							/* VG_HALF_IMPL_H */
