/*-------------------------------------------------------------------------
 *
 * build_bench.c
 *	  The core's HNSW build and search, standalone: no PostgreSQL, the same
 *	  code CREATE INDEX runs over its in-memory arena.
 *
 *	  build_bench BASE.f32 N QUERIES.f32 NQ GT.i32 DIM [options]
 *		-m M -e EF_CONSTRUCTION -t THREADS -s EF_SEARCH[,EF...] -r REPEATS
 *		-k on|off (keep_pruned: fill new nodes' lists to m; on by default,
 *		as in the index)
 *
 *	  Files are raw little-endian float32 vectors and int32 ground-truth
 *	  ids (k = 10 per query).  Prints build time, vectors/s, and per
 *	  ef_search recall@10 and single-thread QPS (median of the repeats).
 *	  With several threads, inserts run concurrently on a concurrent arena,
 *	  as a parallel build's workers would.
 *
 *-------------------------------------------------------------------------
 */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "vg_arena.h"
#include "vg_distance.h"
#include "vg_hnsw.h"

#define K 10

typedef struct Shared
{
	VgArena    *arena;
	VgGraph		graph;
	VgHnswParams params;
	const float *base;
	int			n;
	int			dim;
	int			threads;
} Shared;

typedef struct Worker
{
	Shared	   *sh;
	int			index;
} Worker;

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void *
read_file(const char *path, size_t bytes)
{
	FILE	   *f = fopen(path, "rb");
	void	   *p = malloc(bytes);

	if (f == NULL || fread(p, 1, bytes, f) != bytes)
	{
		fprintf(stderr, "cannot read %zu bytes from %s\n", bytes, path);
		exit(1);
	}
	fclose(f);
	return p;
}

/* Each worker inserts rows i = index, index + threads, ... */
static void *
insert_rows(void *arg)
{
	Worker	   *w = arg;
	Shared	   *sh = w->sh;
	VgInsertScratch s;
	uint64_t	rng = 0x5eed + (uint64_t) w->index;

	vg_insert_scratch_init(&s, &sh->params, &vg_malloc_allocator);
	for (int i = w->index; i < sh->n; i += sh->threads)
	{
		int			level = vg_hnsw_random_level(sh->params.level_mult, &rng);
		VgNodeId	id;

		if (vg_arena_add(sh->arena, sh->base + (size_t) i * sh->dim, level, 0, (uint64_t) i, &id) != VG_OK ||
			vg_hnsw_insert(&sh->graph, &sh->params, id, level, &s) != VG_OK)
		{
			fprintf(stderr, "insert failed\n");
			exit(1);
		}
	}
	vg_insert_scratch_free(&s);
	return NULL;
}

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a,
				y = *(const double *) b;

	return (x > y) - (x < y);
}

int
main(int argc, char **argv)
{
	Shared		sh;
	int			m = 16,
				efc = 64,
				repeats = 3,
				nq,
				opt;
	const char *efs = "10,20,40,80,160";
	bool		keep_pruned = vg_hnsw_params(16, 64).keep_pruned;
	const VgDistanceKernels *k = vg_distance_kernels(vg_simd_detect());
	VgMetric	metric;
	float	   *queries;
	int		   *gt;
	void	   *mem;
	pthread_t  *tids;
	Worker	   *workers;
	double		t0,
				build_s;

	if (argc < 7)
	{
		fprintf(stderr, "usage: %s BASE N QUERIES NQ GT DIM [-m M] [-e EFC] [-t THREADS] [-s EFS] [-r REPEATS] [-k on|off]\n", argv[0]);
		return 2;
	}
	sh.n = atoi(argv[2]);
	nq = atoi(argv[4]);
	sh.dim = atoi(argv[6]);
	sh.threads = 1;
	optind = 7;
	while ((opt = getopt(argc, argv, "m:e:t:s:r:k:")) != -1)
	{
		switch (opt)
		{
			case 'm': m = atoi(optarg); break;
			case 'e': efc = atoi(optarg); break;
			case 't': sh.threads = atoi(optarg); break;
			case 's': efs = optarg; break;
			case 'r': repeats = atoi(optarg); break;
			case 'k': keep_pruned = strcmp(optarg, "off") != 0; break;
			default: return 2;
		}
	}
	sh.base = read_file(argv[1], sizeof(float) * sh.n * sh.dim);
	queries = read_file(argv[3], sizeof(float) * nq * sh.dim);
	gt = read_file(argv[5], sizeof(int) * nq * K);

	metric = (VgMetric) {k->l2_squared, 1.0f, sh.dim, 0, 0};
	sh.params = vg_hnsw_params(m, efc);
	sh.params.keep_pruned = keep_pruned;
	mem = aligned_alloc(64, (vg_arena_size(sh.n, sizeof(float) * sh.dim, 2 * m, m) + 63) & ~(size_t) 63);
	sh.arena = vg_arena_init(mem, sh.n, sizeof(float) * sh.dim, 2 * m, m, sh.threads > 1);
	sh.graph = vg_arena_graph(sh.arena, metric);

	tids = malloc(sizeof(pthread_t) * sh.threads);
	workers = malloc(sizeof(Worker) * sh.threads);
	t0 = now();
	for (int t = 0; t < sh.threads; t++)
	{
		workers[t] = (Worker) {&sh, t};
		pthread_create(&tids[t], NULL, insert_rows, &workers[t]);
	}
	for (int t = 0; t < sh.threads; t++)
		pthread_join(tids[t], NULL);
	build_s = now() - t0;
	printf("{\"kernel\": \"%s\", \"m\": %d, \"ef_construction\": %d, \"threads\": %d, "
		   "\"keep_pruned\": %s, \"build_s\": %.3f, \"vectors_per_s\": %.0f}\n",
		   vg_simd_level_name(k->level), m, efc, sh.threads,
		   keep_pruned ? "true" : "false", build_s, sh.n / build_s);

	for (const char *p = efs; *p;)
	{
		int			ef = atoi(p);
		VgSearchScratch s;
		VgCandidate *out = malloc(sizeof(VgCandidate) * (ef > K ? ef : K));
		double	   *qps = malloc(sizeof(double) * repeats);
		int			hits = 0;

		vg_search_scratch_init(&s, sh.params.m0, ef, &vg_malloc_allocator);
		for (int r = 0; r < repeats; r++)
		{
			double		t = now();

			hits = 0;
			for (int q = 0; q < nq; q++)
			{
				int			n;

				vg_hnsw_search(&sh.graph, queries + (size_t) q * sh.dim, ef, K, &s, out, &n);
				for (int i = 0; i < n; i++)
					for (int j = 0; j < K; j++)
						hits += (int) vg_arena_payload(sh.arena, out[i].id) == gt[q * K + j];
			}
			qps[r] = nq / (now() - t);
		}
		qsort(qps, repeats, sizeof(double), cmp_double);
		printf("{\"ef\": %d, \"recall\": %.4f, \"qps\": %.0f}\n", ef, (double) hits / (nq * K), qps[repeats / 2]);
		vg_search_scratch_free(&s);
		free(out);
		free(qps);
		while (*p && *p != ',')
			p++;
		if (*p == ',')
			p++;
	}
	return 0;
}
