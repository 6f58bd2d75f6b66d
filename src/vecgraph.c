/*-------------------------------------------------------------------------
 *
 * vecgraph.c
 *	  Module entry point: load-time set-up and the extension's settings.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/guc.h"

#include "compat.h"
#include "vecgraph.h"
#include "vgam.h"
#include "vgsearch.h"
#include "vgstats.h"
#include "vgworker.h"

PG_MODULE_MAGIC;

const VgDistanceKernels *VgKernels = NULL;
const VgDistanceKernels *VgHalfKernels = NULL;
const VgDistanceKernels *VgMixedKernels = NULL;

/*
 * vecgraph.simd: "auto" picks the best level the CPU supports; the others
 * force a level, which the tests use to compare kernels and which lets a
 * user rule out a SIMD kernel when chasing a numerical question.
 */
#define VG_SIMD_AUTO (-1)

static int	vg_simd_setting = VG_SIMD_AUTO;

static const struct config_enum_entry vg_simd_options[] = {
	{"auto", VG_SIMD_AUTO, false},
	{"scalar", VG_SIMD_SCALAR, false},
	{"avx2", VG_SIMD_AVX2, false},
	{"avx512", VG_SIMD_AVX512, false},
	{NULL, 0, false}
};

static VgSimdLevel
SimdLevelFor(int setting)
{
	return setting == VG_SIMD_AUTO ? vg_simd_detect() : (VgSimdLevel) setting;
}

static bool
CheckSimdSetting(int *newval, void **extra, GucSource source)
{
	VgSimdLevel level = SimdLevelFor(*newval);

	if (vg_distance_kernels(level) == NULL)
	{
		GUC_check_errdetail("This CPU does not support %s; it supports up to %s.",
							vg_simd_level_name(level),
							vg_simd_level_name(vg_simd_detect()));
		return false;
	}
	return true;
}

/*
 * Half kernels at the same level, or the best one below it on a CPU with
 * AVX but without F16C.
 */
static VgSimdLevel
HalfLevelAt(VgSimdLevel level)
{
	while (vg_half_kernels(level) == NULL)
		level--;
	return level;
}

static void
SetKernels(VgSimdLevel level)
{
	VgKernels = vg_distance_kernels(level);
	VgHalfKernels = vg_half_kernels(HalfLevelAt(level));
	VgMixedKernels = vg_mixed_kernels(HalfLevelAt(level));
}

static void
AssignSimdSetting(int newval, void *extra)
{
	SetKernels(SimdLevelFor(newval));
}

void		_PG_init(void);

void
_PG_init(void)
{
	SetKernels(vg_simd_detect());

	DefineCustomEnumVariable("vecgraph.simd",
							 "Selects the instruction set of the distance kernels.",
							 "\"auto\" uses the best one this CPU supports.",
							 &vg_simd_setting,
							 VG_SIMD_AUTO,
							 vg_simd_options,
							 PGC_USERSET,
							 0,
							 CheckSimdSetting,
							 AssignSimdSetting,
							 NULL);

	VgDefineSettings();
	VgWorkerInit();
	VgSearchPoolInit();
	VgInitReloptions();
	VgInstallPlannerHook();
	VgInstallPathsHook();
	VgInstallFdwHook();
	VgInstallExplainHook();
	VgStatsInit();

	MarkGUCPrefixReserved("vecgraph");
}

PG_FUNCTION_INFO_V1(vecgraph_simd_level);

/*
 * vecgraph_simd_level() returns the kernels in force in this backend.
 */
Datum
vecgraph_simd_level(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(vg_simd_level_name(VgKernels->level)));
}
