/*
 * hnswlib_ref: the hnswlib reference run of vecgraph's ANN benchmark.
 *
 * A small driver over Debian's header-only hnswlib (libhnswlib-dev), built
 * with -O3 -march=native so that hnswlib gets its AVX/AVX-512 distance
 * kernels (the Python module of Debian is built for SSE only).  It reads raw
 * little-endian files written by test/bench/ann_bench.py:
 *
 *   base      n  x dim float32
 *   queries   nq x dim float32
 *   gt        nq x gt_k int32: the exact nearest neighbours (row numbers of
 *             base), nearest first; the first k of them are used
 *
 * builds an L2 HNSW index with the given M, ef_construction and seed (with
 * 1 thread unless told otherwise), times the build (--builds B: B fresh
 * builds, the median time reported, the last index kept), and then for every ef of
 * a list runs the queries one at a time on one thread: a warm-up pass and R
 * timed passes.  For each ef it prints recall@k, the median QPS over the R
 * passes and the p50/p99 per-query latency of the median pass (the pass
 * whose QPS is the median), plus every pass's numbers.
 *
 * --save FILE writes the index built to FILE (hnswlib's saveIndex); --load
 * FILE reads one instead of building, so that later search passes can run
 * between other measurements (ann_bench.py's work per query) without a
 * build each time.
 *
 * Output: one JSON object per line on stdout ("build" unless --load, then
 * one "search" per ef).  Errors go to stderr with exit status 1 (2 for bad
 * usage).
 *
 *   hnswlib_ref --base F --queries F --gt F --n N --nq NQ --dim D --k K
 *               [--gt-k GK] [--m 16] [--ef-construction 64] [--seed 100]
 *               [--threads 1] [--builds 1] [--ef 10,20,40] [--repeats 3]
 *               [--warmup 1] [--save FILE | --load FILE]
 */

#include <hnswlib/hnswlib.h>

#include "hnswlib_driver.h"

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace
{

const char *
synopsis()
{
	return "usage: hnswlib_ref --base FILE --queries FILE --gt FILE --n N --nq NQ\n"
		"                   --dim D --k K [--gt-k GK] [--m 16] [--ef-construction 64]\n"
		"                   [--seed 100] [--threads 1] [--builds 1] [--ef 10,20,40,...]\n"
		"                   [--repeats 3] [--warmup 1] [--save FILE | --load FILE]\n";
}

/* Nearest-rank percentile of sorted values: the ceil(p/100 * n)-th one. */
double
percentile(const std::vector<double> &sorted, double p)
{
	if (sorted.empty())
		return NAN;
	size_t		rank = (size_t) std::ceil(p / 100.0 * (double) sorted.size());

	if (rank < 1)
		rank = 1;
	if (rank > sorted.size())
		rank = sorted.size();
	return sorted[rank - 1];
}

std::string
json_num(double v)
{
	char		buf[64];

	if (!std::isfinite(v))
		return "null";
	std::snprintf(buf, sizeof(buf), "%.6g", v);
	return buf;
}

std::string
json_array(const std::vector<double> &v)
{
	std::string s = "[";

	for (size_t i = 0; i < v.size(); i++)
		s += (i ? "," : "") + json_num(v[i]);
	return s + "]";
}

const char *
simd_level()
{
#if defined(USE_AVX512)
	return "avx512";
#elif defined(USE_AVX)
	return "avx";
#elif defined(USE_SSE)
	return "sse";
#else
	return "none";
#endif
}

struct Pass
{
	double		seconds;
	double		recall;
	double		p50_ms;
	double		p99_ms;
	double		mean_ms;
};

/* Prints the "build" record: the median build time and the graph's memory. */
void
report_build(hnswlib::HierarchicalNSW<float> &index, const std::vector<double> &build_runs,
			 long n, long dim, long m, long ef_construction, long seed, long threads)
{
	std::vector<double> build_sorted(build_runs);

	std::sort(build_sorted.begin(), build_sorted.end());
	double		build_s = build_sorted[(build_sorted.size() - 1) / 2];

	/* Memory of the graph: vectors, layer-0 links and upper-layer links. */
	double		bytes = (double) index.max_elements_ * index.size_data_per_element_;
	long		max_level = 0;

	for (long i = 0; i < n; i++)
	{
		int			lvl = index.element_levels_[i];

		bytes += (double) lvl * index.size_links_per_element_;
		max_level = std::max<long>(max_level, lvl);
	}

	std::printf("{\"type\":\"build\",\"library\":\"hnswlib\",\"n\":%ld,\"dim\":%ld,"
				"\"m\":%ld,\"ef_construction\":%ld,\"seed\":%ld,\"threads\":%ld,"
				"\"build_s\":%s,\"build_s_runs\":%s,\"index_mib\":%s,\"max_level\":%ld,"
				"\"simd\":\"%s\"}\n",
				n, dim, m, ef_construction, seed, threads,
				json_num(build_s).c_str(), json_array(build_runs).c_str(),
				json_num(bytes / 1048576.0).c_str(),
				max_level, simd_level());
	std::fflush(stdout);
}

}							/* namespace */

int
main(int argc, char **argv)
{
	std::string base_path, query_path, gt_path, save_path, load_path;
	long		n = -1, nq = -1, dim = -1, k = -1, gt_k = -1;
	GraphOptions g;
	long		threads = 1;
	long		repeats = 3, warmup = 1, builds = 1;
	std::vector<size_t> efs = {10, 20, 40, 80, 160, 320};

	for (int i = 1; i < argc; i++)
	{
		std::string opt = argv[i];
		const char *val = option_value(argc, argv, i);

		if (graph_option(opt, val, g) || base_option(opt, val, base_path, n, dim))
			continue;
		if (opt == "--queries")
			query_path = val;
		else if (opt == "--gt")
			gt_path = val;
		else if (opt == "--nq")
			nq = parse_long(opt, val, 1, 1L << 31);
		else if (opt == "--k")
			k = parse_long(opt, val, 1, 10000);
		else if (opt == "--gt-k")
			gt_k = parse_long(opt, val, 1, 10000);
		else if (opt == "--threads")
			threads = parse_long(opt, val, 1, 1024);
		else if (opt == "--builds")
			builds = parse_long(opt, val, 1, 100);
		else if (opt == "--ef")
			efs = parse_list(opt, val);
		else if (opt == "--repeats")
			repeats = parse_long(opt, val, 1, 1000);
		else if (opt == "--save")
			save_path = val;
		else if (opt == "--load")
			load_path = val;
		else if (opt == "--warmup")
			warmup = parse_long(opt, val, 0, 1000);
		else
			usage("unknown option " + opt);
	}
	if (base_path.empty() || query_path.empty() || gt_path.empty())
		usage("--base, --queries and --gt are required");
	if (n < 0 || nq < 0 || dim < 0 || k < 0)
		usage("--n, --nq, --dim and --k are required");
	if (gt_k < 0)
		gt_k = k;
	if (gt_k < k)
		usage("--gt-k must be at least --k");
	if (k > n)
		usage("--k must not exceed --n");

	std::vector<float> base = read_raw<float>(base_path, (size_t) n * dim, "base");
	std::vector<float> queries = read_raw<float>(query_path, (size_t) nq * dim, "query");
	std::vector<int32_t> gt = read_raw<int32_t>(gt_path, (size_t) nq * gt_k, "ground-truth");

	for (size_t i = 0; i < gt.size(); i++)
		if (gt[i] < 0 || gt[i] >= n)
			die("ground-truth file " + gt_path + " holds id " +
				std::to_string(gt[i]) + ", outside 0.." + std::to_string(n - 1));

	try
	{
		hnswlib::L2Space space((size_t) dim);
		std::unique_ptr<hnswlib::HierarchicalNSW<float>> built;
		std::vector<double> build_runs;

		if (!load_path.empty())
		{
			built.reset(new hnswlib::HierarchicalNSW<float>(&space, load_path));
			builds = 0;
		}
		for (long b = 0; b < builds; b++)
		{
			/* The previous index is freed before the next is allocated. */
			built.reset();
			built.reset(new hnswlib::HierarchicalNSW<float>(&space, (size_t) n, (size_t) g.m,
															(size_t) g.ef_construction,
															(size_t) g.seed));
			hnswlib::HierarchicalNSW<float> &idx = *built;

			/* Build: points in row order, labels = row numbers. */
			Clock::time_point t0 = Clock::now();

			add_rows(idx, base, dim, 0, n, threads);
			build_runs.push_back(seconds_since(t0));
		}
		hnswlib::HierarchicalNSW<float> &index = *built;

		if (!save_path.empty())
			index.saveIndex(save_path);
		if (load_path.empty())
			report_build(index, build_runs, n, dim, g.m, g.ef_construction, g.seed, threads);

		std::vector<double> lat_ms((size_t) nq);
		std::vector<hnswlib::labeltype> found((size_t) k);

		for (size_t ef : efs)
		{
			index.setEf(ef);
			std::vector<Pass> passes;

			for (long pass = 0; pass < warmup + repeats; pass++)
			{
				long		hits = 0;
				Clock::time_point start = Clock::now();

				for (long q = 0; q < nq; q++)
				{
					Clock::time_point qs = Clock::now();
					auto		res = index.searchKnn(&queries[(size_t) q * dim], (size_t) k);
					size_t		nfound = 0;

					/* The queue pops farthest first; order does not matter here. */
					while (!res.empty() && nfound < (size_t) k)
					{
						found[nfound++] = res.top().second;
						res.pop();
					}
					lat_ms[(size_t) q] =
						std::chrono::duration<double, std::milli>(Clock::now() - qs).count();

					const int32_t *truth = &gt[(size_t) q * gt_k];

					for (size_t j = 0; j < nfound; j++)
						for (long t = 0; t < k; t++)
							if ((hnswlib::labeltype) truth[t] == found[j])
							{
								hits++;
								break;
							}
				}
				double		secs = seconds_since(start);

				if (pass < warmup)
					continue;

				std::vector<double> sorted(lat_ms);
				double		sum = 0;

				std::sort(sorted.begin(), sorted.end());
				for (double v : sorted)
					sum += v;
				passes.push_back({secs, (double) hits / ((double) nq * k),
								  percentile(sorted, 50), percentile(sorted, 99),
								  sum / (double) nq});
			}

			/* The median pass by wall time (the lower middle one if even). */
			std::vector<size_t> order(passes.size());

			for (size_t i = 0; i < order.size(); i++)
				order[i] = i;
			std::sort(order.begin(), order.end(), [&](size_t a, size_t b) {
				return passes[a].seconds < passes[b].seconds;
			});
			const Pass &med = passes[order[(order.size() - 1) / 2]];

			std::vector<double> qps_runs, p50_runs, p99_runs;

			for (const Pass &p : passes)
			{
				qps_runs.push_back((double) nq / p.seconds);
				p50_runs.push_back(p.p50_ms);
				p99_runs.push_back(p.p99_ms);
			}

			std::printf("{\"type\":\"search\",\"library\":\"hnswlib\",\"ef\":%zu,\"k\":%ld,"
						"\"queries\":%ld,\"recall\":%s,\"qps\":%s,\"p50_ms\":%s,"
						"\"p99_ms\":%s,\"mean_ms\":%s,\"qps_runs\":%s,\"p50_ms_runs\":%s,"
						"\"p99_ms_runs\":%s}\n",
						ef, k, nq, json_num(med.recall).c_str(),
						json_num((double) nq / med.seconds).c_str(),
						json_num(med.p50_ms).c_str(), json_num(med.p99_ms).c_str(),
						json_num(med.mean_ms).c_str(), json_array(qps_runs).c_str(),
						json_array(p50_runs).c_str(), json_array(p99_runs).c_str());
			std::fflush(stdout);
		}
	}
	catch (const std::exception &e)
	{
		die(std::string("hnswlib failed: ") + e.what());
	}
	return 0;
}
