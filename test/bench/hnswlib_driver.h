/*
 * hnswlib_driver.h: what the hnswlib drivers of the benchmarks
 * (hnswlib_ref.cpp, hnswlib_grow.cpp) share: errors, option values, the
 * graph's options and raw input files.  Each driver defines synopsis(),
 * its usage lines, which usage() prints.
 */
#ifndef HNSWLIB_DRIVER_H
#define HNSWLIB_DRIVER_H

#include <hnswlib/hnswlib.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <exception>
#include <sys/stat.h>
#include <thread>
#include <vector>

namespace
{

using Clock = std::chrono::steady_clock;

const char *synopsis();

double
seconds_since(Clock::time_point t0)
{
	return std::chrono::duration<double>(Clock::now() - t0).count();
}

[[noreturn]] void
die(const std::string &msg, int status = 1)
{
	std::fprintf(stderr, "%s: %s\n", program_invocation_short_name, msg.c_str());
	std::exit(status);
}

/* A bad command line: what is wrong, the synopsis, exit status 2. */
[[noreturn]] void
usage(const std::string &msg)
{
	std::fprintf(stderr, "%s: %s\n%s", program_invocation_short_name, msg.c_str(), synopsis());
	std::exit(2);
}

long
parse_long(const std::string &opt, const char *s, long min, long max)
{
	char	   *end;

	errno = 0;
	long		v = std::strtol(s, &end, 10);

	if (errno != 0 || end == s || *end != '\0' || v < min || v > max)
		usage(opt + ": expected an integer in " + std::to_string(min) + ".." +
			  std::to_string(max) + ", got '" + s + "'");
	return v;
}

std::vector<size_t>
parse_list(const std::string &opt, const char *s, long max = 1000000)
{
	std::vector<size_t> out;
	std::string all(s);
	size_t		pos = 0;

	while (pos <= all.size())
	{
		size_t		comma = all.find(',', pos);

		if (comma == std::string::npos)
			comma = all.size();
		std::string item = all.substr(pos, comma - pos);

		if (item.empty())
			usage(opt + ": empty item in '" + all + "'");
		out.push_back((size_t) parse_long(opt, item.c_str(), 1, max));
		pos = comma + 1;
	}
	return out;
}

/* Reads a whole file that must hold exactly `count` items of `size` bytes. */
template <typename T>
std::vector<T>
read_raw(const std::string &path, size_t count, const char *what)
{
	struct stat st;

	if (stat(path.c_str(), &st) != 0)
		die(std::string("cannot open ") + what + " file " + path + ": " +
			std::strerror(errno));
	if ((uint64_t) st.st_size != (uint64_t) count * sizeof(T))
		die(std::string(what) + " file " + path + " has " +
			std::to_string((long long) st.st_size) + " bytes, expected " +
			std::to_string((unsigned long long) count * sizeof(T)) +
			" (check the row counts and dimensions given)");

	std::vector<T> buf(count);
	FILE	   *f = std::fopen(path.c_str(), "rb");

	if (f == nullptr)
		die(std::string("cannot open ") + what + " file " + path + ": " +
			std::strerror(errno));
	size_t		got = count ? std::fread(buf.data(), sizeof(T), count, f) : 0;
	bool		err = std::ferror(f) != 0;

	std::fclose(f);
	if (got != count || err)
		die(std::string("cannot read ") + what + " file " + path);
	return buf;
}

/*
 * Adds rows [from, to) of base (dim floats each, labels = row numbers) on
 * `threads` threads, each taking the next row; the first failure stops
 * them all and is thrown again here.
 */
void
add_rows(hnswlib::HierarchicalNSW<float> &index, const std::vector<float> &base,
		 long dim, long from, long to, long threads)
{
	std::atomic<long> next(from);
	std::atomic<bool> failed(false);
	std::exception_ptr failure;
	std::vector<std::thread> pool;

	if (threads == 1)
	{
		for (long i = from; i < to; i++)
			index.addPoint(&base[(size_t) i * dim], (hnswlib::labeltype) i);
		return;
	}
	for (long t = 0; t < threads; t++)
		pool.emplace_back([&]() {
			try
			{
				for (long i = next++; i < to && !failed; i = next++)
					index.addPoint(&base[(size_t) i * dim], (hnswlib::labeltype) i);
			}
			catch (...)
			{
				if (!failed.exchange(true))
					failure = std::current_exception();
			}
		});
	for (auto &th : pool)
		th.join();
	if (failure)
		std::rethrow_exception(failure);
}

/* The value of option argv[i]; i moves on to it.  --help is no option. */
const char *
option_value(int argc, char **argv, int &i)
{
	std::string opt = argv[i];

	if (opt == "-h" || opt == "--help")
		usage("help");
	if (i + 1 >= argc)
		usage(opt + " needs a value");
	return argv[++i];
}

/* hnswlib's graph options, as both drivers take them. */
struct GraphOptions
{
	long		m = 16;
	long		ef_construction = 64;
	long		seed = 100;
};

/* Takes opt's value into g when opt is one of the graph's options. */
bool
graph_option(const std::string &opt, const char *val, GraphOptions &g)
{
	if (opt == "--m")
		g.m = parse_long(opt, val, 2, 10000);
	else if (opt == "--ef-construction")
		g.ef_construction = parse_long(opt, val, 1, 1000000);
	else if (opt == "--seed")
		g.seed = parse_long(opt, val, 0, 1L << 62);
	else
		return false;
	return true;
}

/* Takes opt's value when opt names the base vectors' file or shape. */
bool
base_option(const std::string &opt, const char *val, std::string &path, long &n, long &dim)
{
	if (opt == "--base")
		path = val;
	else if (opt == "--n")
		n = parse_long(opt, val, 1, 1L << 31);
	else if (opt == "--dim")
		dim = parse_long(opt, val, 1, 1L << 16);
	else
		return false;
	return true;
}

}							/* namespace */

#endif							/* HNSWLIB_DRIVER_H */
