/*
 * hnswlib_grow: native hnswlib's insertion rate as its index grows, the
 * reference of vecgraph's INSERT benchmark (test/bench/insert_bench.py).
 *
 * For each size S of a list: an L2 HNSW index of the first S rows of a raw
 * little-endian float32 file (built on --build-threads threads, not
 * timed) and saved beside the file, then --repeats rounds in which, for
 * each thread count of a list, the saved index is loaded again and
 * --grow-by rows of the file's tail (the rows past the largest size, as
 * insert_bench.py's pgbench picks its rows from; each round other rows)
 * are added on that many threads and timed.  So every round starts from
 * the same index of S rows.  Built with -O3 -march=native, as hnswlib_ref.
 *
 * Output: one JSON line per size and thread count: the inserts a second of
 * each round and their median.
 *
 *   hnswlib_grow --base FILE --n N --dim D --sizes 10000,1000000
 *                [--grow-by 10000] [--threads 1,2] [--repeats 3]
 *                [--build-threads 2] [--m 16] [--ef-construction 64]
 *                [--seed 100]
 */

#include <hnswlib/hnswlib.h>

#include "hnswlib_driver.h"

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace
{

const char *
synopsis()
{
	return "usage: hnswlib_grow --base FILE --n N --dim D --sizes S1,S2,...\n"
		"                    [--grow-by 10000] [--threads 1,2] [--repeats 3]\n"
		"                    [--build-threads 2] [--m 16] [--ef-construction 64]\n"
		"                    [--seed 100]\n";
}

}							/* namespace */

int
main(int argc, char **argv)
{
	std::string base_path;
	long		n = -1, dim = -1, grow_by = 10000, repeats = 3, build_threads = 2;
	GraphOptions g;
	std::vector<size_t> sizes, thread_counts = {1, 2};

	for (int i = 1; i < argc; i++)
	{
		std::string opt = argv[i];
		const char *val = option_value(argc, argv, i);

		if (graph_option(opt, val, g) || base_option(opt, val, base_path, n, dim))
			continue;
		if (opt == "--sizes")
			sizes = parse_list(opt, val, 1L << 31);
		else if (opt == "--grow-by")
			grow_by = parse_long(opt, val, 1, 1L << 30);
		else if (opt == "--threads")
			thread_counts = parse_list(opt, val, 1024);
		else if (opt == "--repeats")
			repeats = parse_long(opt, val, 1, 1000);
		else if (opt == "--build-threads")
			build_threads = parse_long(opt, val, 1, 1024);
		else
			usage("unknown option " + opt);
	}
	if (base_path.empty() || n < 0 || dim < 0 || sizes.empty())
		usage("--base, --n, --dim and --sizes are required");

	long		largest = (long) *std::max_element(sizes.begin(), sizes.end());
	long		added = repeats * (long) thread_counts.size() * grow_by;

	if (largest + added > n)
		usage("the file has " + std::to_string(n) + " rows; the largest size and the rows added need " +
			  std::to_string(largest + added));

	std::vector<float> base = read_raw<float>(base_path, (size_t) n * dim, "base");
	hnswlib::L2Space space((size_t) dim);
	std::string saved = base_path + ".hnswlib";

	try
	{
		for (long size : sizes)
		{
			std::vector<std::vector<double>> rates(thread_counts.size());
			long		next = largest;

			{
				hnswlib::HierarchicalNSW<float> built(&space, (size_t) size, (size_t) g.m,
													  (size_t) g.ef_construction, (size_t) g.seed);

				add_rows(built, base, dim, 0, size, build_threads);
				built.saveIndex(saved);
			}
			for (long r = 0; r < repeats; r++)
				for (size_t t = 0; t < thread_counts.size(); t++)
				{
					hnswlib::HierarchicalNSW<float> index(&space, saved, false,
														  (size_t) (size + grow_by));
					Clock::time_point t0 = Clock::now();

					add_rows(index, base, dim, next, next + grow_by, (long) thread_counts[t]);
					double		s = seconds_since(t0);

					next += grow_by;
					rates[t].push_back(grow_by / s);
				}
			for (size_t t = 0; t < thread_counts.size(); t++)
			{
				std::vector<double> sorted(rates[t]);
				std::string runs;

				std::sort(sorted.begin(), sorted.end());
				for (double v : rates[t])
					runs += (runs.empty() ? "" : ",") + std::to_string((long) v);
				std::printf("{\"size\":%ld,\"threads\":%ld,\"grow_by\":%ld,\"rate\":%.0f,\"runs\":[%s]}\n",
							size, (long) thread_counts[t], grow_by, sorted[(sorted.size() - 1) / 2], runs.c_str());
				std::fflush(stdout);
			}
		}
	}
	catch (const std::exception &e)
	{
		std::remove(saved.c_str());
		die(std::string("hnswlib failed: ") + e.what());
	}
	std::remove(saved.c_str());
	return 0;
}
