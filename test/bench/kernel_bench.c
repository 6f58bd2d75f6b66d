/*-------------------------------------------------------------------------
 *
 * kernel_bench.c
 *	  Micro-benchmark of the distance kernels at every SIMD level this CPU
 *	  supports.
 *
 * For each kernel, dimension and level it times batches of calls over a
 * small working set of vector pairs (so that the data stays in cache and
 * the numbers measure arithmetic, not memory), takes the median of several
 * batches, and prints a markdown table of ns/call, GFLOP/s and speedup over
 * the scalar kernel.
 *
 * The core is compiled at -O2 with no -march flag, as PostgreSQL builds it:
 * the scalar row is the plain loop the way an extension build would run it,
 * and the SIMD rows are what run-time dispatch picks.
 *
 * Usage: make -C test/bench kernel-bench && test/bench/kernel_bench
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vg_distance.h"

/*
 * Vector pairs cycled through: up to MAX_PAIRS, but no more than fit in
 * WORKING_SET bytes, which is below the L1 data cache of current x86 cores
 * (32-48 kB).  With more data the SIMD kernels at large dimensions wait on
 * L2 and the table would measure cache bandwidth rather than the kernels.
 * Cycling through several pairs rather than repeating one is closer to a
 * search, which visits a different vector at every call.
 */
#define MAX_PAIRS 64
#define WORKING_SET (32 * 1024)

/* Batches timed per configuration; the median is reported. */
#define NSAMPLES 9

/* Each batch is sized to run for about this long. */
#define TARGET_NS 20000000.0

typedef enum KernelKind
{
	KERNEL_L2,
	KERNEL_IP,
	KERNEL_L1,
	KERNEL_COSINE,
	KERNEL_COUNT
} KernelKind;

typedef struct KernelInfo
{
	const char *name;
	int			flops_per_element;
} KernelInfo;

/*
 * Floating-point operations per element, counting each FMA as two:
 * l2 = sub, mul, add; ip = mul, add; l1 = sub, abs, add; cosine parts =
 * three multiply-adds.
 */
static const KernelInfo kernels[KERNEL_COUNT] = {
	{"l2_squared", 3},
	{"inner_product", 2},
	{"l1", 3},
	{"cosine_parts", 6},
};

static const size_t dims[] = {96, 128, 768, 784, 1536};

#define NDIMS (sizeof(dims) / sizeof(dims[0]))

/* Results of calls end here so that the compiler cannot drop the calls. */
static volatile float sink;

static double
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec * 1e9 + (double) ts.tv_nsec;
}

static size_t
pairs_for(size_t dim)
{
	size_t		fit = WORKING_SET / (2 * dim * sizeof(float));

	if (fit < 1)
		return 1;
	return fit < MAX_PAIRS ? fit : MAX_PAIRS;
}

/*
 * Runs "calls" kernel calls cycling through the pairs and returns the
 * elapsed nanoseconds.  The results are summed locally and stored to the
 * volatile sink once, so that the sink adds no per-call memory dependency.
 */
static double
time_calls(const VgDistanceKernels *k, KernelKind kind, const float *a,
		   const float *b, size_t dim, long calls)
{
	size_t		end = pairs_for(dim) * dim;
	size_t		off = 0;
	float		acc = 0.0f;
	double		start = now_ns();
	long		c;

	/* Wrapping by compare, not %, keeps a division out of the loop. */
	for (c = 0; c < calls; c++, off = (off + dim == end) ? 0 : off + dim)
	{

		switch (kind)
		{
			case KERNEL_L2:
				acc += k->l2_squared(a + off, b + off, dim);
				break;
			case KERNEL_IP:
				acc += k->inner_product(a + off, b + off, dim);
				break;
			case KERNEL_L1:
				acc += k->l1(a + off, b + off, dim);
				break;
			case KERNEL_COSINE:
				{
					VgCosineParts p = k->cosine_parts(a + off, b + off, dim);

					acc += p.dot + p.norm_a + p.norm_b;
				}
				break;
			case KERNEL_COUNT:
				break;
		}
	}
	sink = acc;
	return now_ns() - start;
}

static int
compare_doubles(const void *x, const void *y)
{
	double		dx = *(const double *) x;
	double		dy = *(const double *) y;

	return (dx > dy) - (dx < dy);
}

/* Median ns per call of one kernel at one dimension and level. */
static double
measure(const VgDistanceKernels *k, KernelKind kind, const float *a,
		const float *b, size_t dim)
{
	double		samples[NSAMPLES];
	double		elapsed;
	long		calls = MAX_PAIRS;
	int			s;

	/* Grow the batch until it is long enough to scale reliably. */
	while ((elapsed = time_calls(k, kind, a, b, dim, calls)) < 2e6)
		calls *= 2;
	calls = (long) (calls * (TARGET_NS / elapsed)) + 1;

	for (s = 0; s < NSAMPLES; s++)
		samples[s] = time_calls(k, kind, a, b, dim, calls) / (double) calls;
	qsort(samples, NSAMPLES, sizeof(double), compare_doubles);
	return samples[NSAMPLES / 2];
}

static void
print_machine(void)
{
	FILE	   *f = fopen("/proc/cpuinfo", "r");
	char		line[512];
	const char *model = "unknown";

	if (f != NULL)
	{
		while (fgets(line, sizeof(line), f) != NULL)
		{
			if (strncmp(line, "model name", 10) == 0)
			{
				char	   *colon = strchr(line, ':');

				line[strcspn(line, "\n")] = '\0';
				if (colon != NULL)
					model = colon + 2;
				break;
			}
		}
		fclose(f);
	}
	printf("nproc: %ld\n", sysconf(_SC_NPROCESSORS_ONLN));
	printf("cpu: %s\n", model);
	printf("detected SIMD level: %s\n", vg_simd_level_name(vg_simd_detect()));
}

/*
 * n random floats in [-1, 1), starting 64 bytes into a 64-byte aligned
 * allocation so that callers can also place vectors just past an alignment
 * boundary.  n * sizeof(float) must be a multiple of 64.
 */
static float *
random_floats(size_t n, uint64_t *state)
{
	float	   *v = aligned_alloc(64, n * sizeof(float) + 64);
	size_t		i;

	if (v == NULL)
	{
		fprintf(stderr, "out of memory\n");
		exit(EXIT_FAILURE);
	}
	/* A 64-bit LCG is plenty for benchmark input. */
	for (i = 0; i < n + 16; i++)
	{
		*state = *state * UINT64_C(6364136223846793005) +
			UINT64_C(1442695040888963407);
		v[i] = (float) ((double) (*state >> 11) / 9007199254740992.0 * 2.0 -
						1.0);
	}
	return v;
}

/*
 * One markdown table: every kernel and dimension at every level, with the
 * vectors starting "shift" floats past a 64-byte boundary.  All dimensions
 * measured are multiples of 16, so every vector of the working set has the
 * same alignment.
 */
static void
print_table(const VgDistanceKernels *const *levels, int nlevels,
			const float *abase, const float *bbase, size_t shift)
{
	const float *a = abase + shift;
	const float *b = bbase + shift;
	int			kind;
	int			l;
	size_t		d;

	printf("| kernel | dim |");
	for (l = 0; l < nlevels; l++)
	{
		const char *name = vg_simd_level_name(levels[l]->level);

		printf(" %s ns/call | %s GFLOP/s |", name, name);
		if (l > 0)
			printf(" %s speedup |", name);
	}
	printf("\n|---|--:|");
	for (l = 0; l < nlevels; l++)
		printf("--:|--:|%s", l > 0 ? "--:|" : "");
	printf("\n");

	for (kind = 0; kind < KERNEL_COUNT; kind++)
	{
		for (d = 0; d < NDIMS; d++)
		{
			size_t		dim = dims[d];
			double		scalar_ns = 0.0;

			printf("| %s | %zu |", kernels[kind].name, dim);
			for (l = 0; l < nlevels; l++)
			{
				double		ns = measure(levels[l], (KernelKind) kind, a, b,
										 dim);
				double		gflops = kernels[kind].flops_per_element *
					(double) dim / ns;

				if (l == 0)
					scalar_ns = ns;
				printf(" %.1f | %.2f |", ns, gflops);
				if (l > 0)
					printf(" %.1fx |", scalar_ns / ns);
			}
			printf("\n");
			fflush(stdout);
		}
	}
}

int
main(void)
{
	const VgDistanceKernels *levels[VG_SIMD_LEVEL_COUNT];
	int			nlevels = 0;
	int			l;
	uint64_t	state = 42;
	float	   *a = random_floats(MAX_PAIRS * dims[NDIMS - 1], &state);
	float	   *b = random_floats(MAX_PAIRS * dims[NDIMS - 1], &state);

	for (l = 0; l < VG_SIMD_LEVEL_COUNT; l++)
	{
		const VgDistanceKernels *k = vg_distance_kernels((VgSimdLevel) l);

		if (k != NULL)
			levels[nlevels++] = k;
	}

	print_machine();
	printf("median of %d batches of ~%.0f ms; up to %d vector pairs cycled, "
		   "at most %d kB in all (in L1)\n",
		   NSAMPLES, TARGET_NS / 1e6, MAX_PAIRS, WORKING_SET / 1024);
	printf("flops/element: l2_squared 3 (sub, mul, add), inner_product 2 "
		   "(mul, add), l1 3 (sub, abs, add), cosine_parts 6 (3 mul-adds)\n");

	printf("\n### Vectors 64-byte aligned\n\n");
	print_table(levels, nlevels, a, b, 0);

	/*
	 * A vector's data in a PostgreSQL tuple follows an 8-byte header at a
	 * MAXALIGN'd address, so 8-byte alignment is all the server promises;
	 * wide loads then straddle cache lines.
	 */
	printf("\n### Vectors 8 bytes past a 64-byte boundary "
		   "(the alignment a PostgreSQL tuple guarantees)\n\n");
	print_table(levels, nlevels, a, b, 2);

	free(a);
	free(b);
	return 0;
}
