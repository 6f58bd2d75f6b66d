/*-------------------------------------------------------------------------
 *
 * distance_impl.h
 *	  Internal declarations shared by the distance kernel files.
 *
 * Only the files of the distance module include this header; everyone else
 * reaches the kernels through vg_distance_kernels() in vg_distance.h, which
 * refuses to hand out a table the CPU cannot run.
 *
 *-------------------------------------------------------------------------
 */
#ifndef VG_DISTANCE_IMPL_H
#define VG_DISTANCE_IMPL_H

#include "vg_distance.h"

/*
 * The SIMD kernels are compiled with per-function target attributes rather
 * than global -mavx2 / -mavx512f flags, so that the rest of the build (and
 * the scalar kernel in particular) stays runnable on any x86 CPU.  That
 * needs an x86 target and a GCC-compatible compiler; elsewhere only the
 * scalar table exists.
 */
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define VG_HAVE_X86_SIMD 1
#endif

extern const VgDistanceKernels vg_distance_kernels_scalar;

#ifdef VG_HAVE_X86_SIMD
extern const VgDistanceKernels vg_distance_kernels_avx2;
extern const VgDistanceKernels vg_distance_kernels_avx512;
#endif

#endif							/* VG_DISTANCE_IMPL_H */
