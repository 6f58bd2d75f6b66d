#!/usr/bin/env bash
# make bench: the benchmarks, kept out of make test because they measure
# speed on a shared machine.  Results go to stdout; docs/benchmarks.md keeps
# the latest tables with the commands that produced them.
#
#   VG_BENCH=kernels|ann|scan|build|insert|maintenance|shards|half|vamana|all
#                              which benchmarks to run
#                              (default kernels, ann and build; scan takes
#                              ~15 min, insert ~30 min)
#     kernels  the distance-kernel micro-benchmark (test/bench/kernel_bench)
#     ann      the ANN benchmark (test/bench/ann_bench.py): builds and
#              installs the extension, starts a throwaway cluster, builds
#              test/bench/hnswlib_ref, and compares the vecgraph index with
#              hnswlib on the same data
#   VG_BENCH_ARGS="..."        arguments of ann_bench.py, split on blanks
#                              (default: the Fashion-MNIST run, 1,000
#                              queries; e.g. "--queries 200 --repeats 5" or
#                              "--markdown docs/benchmarks.md")
#     build    the core's standalone HNSW build on 1 .. nproc threads
#              (test/bench/build_bench, Fashion-MNIST)
#     scan     serial scans against Gather Merge and the search workers
#              over partitioned indexes (test/bench/scan_bench.py;
#              VG_SCAN_ARGS passes arguments, default 1,000,000 x 128); the
#              cluster preloads vecgraph with as many search workers as the
#              largest --workers value, and the maintenance worker off;
#              shared_buffers 3GB, table and index prewarmed
#     insert   single-row INSERT throughput as the index grows to 1,000,000
#              rows (test/bench/insert_bench.py; VG_INSERT_ARGS passes
#              arguments), beside native hnswlib's insertion rate at the
#              same sizes (test/bench/hnswlib_grow); as root the cluster's
#              shared memory is on huge pages unless VG_HUGE_PAGES=off
#   VG_HUGE_PAGES=on|off       shared memory of the throwaway cluster on 2 MB
#                              huge pages (root only: reserves them with
#                              sysctl vm.nr_hugepages and gives them back);
#                              on by default as root for ann and insert
#     maintenance  the maintenance worker on Fashion-MNIST: a pass, queries
#              with and without it, recall after deletes without VACUUM
#              (test/bench/maint_bench.py; VG_MAINT_ARGS passes arguments)
#     shards   one server against two postgres_fdw shards, 200,000 x 128
#              (test/bench/shard_bench.py; VG_SHARD_ARGS passes arguments)
#     half     half-precision storage against float storage on
#              Fashion-MNIST, and a 100,000 x 3,072 index with half storage
#              (test/bench/half_bench.py; VG_HALF_ARGS passes arguments;
#              ~25 min; shared_buffers 4GB)
#     vamana   Vamana graphs against HNSW graphs on Fashion-MNIST: serial
#              and parallel builds, recall/QPS curves with native hnswlib's,
#              parallel builds' recall, recall after deletes and VACUUM
#              (test/bench/vamana_bench.py; VG_VAMANA_ARGS passes arguments,
#              e.g. "--dataset synthetic" for 1,000,000 x 128 or "--smoke";
#              shared_buffers 4GB)
set -euo pipefail
. "$(dirname "$0")/common.sh"

PY=/usr/bin/python3				# Debian's, which sees python3-numpy etc.
VG_BENCH=${VG_BENCH:-all}

case $VG_BENCH in
	kernels | ann | scan | build | insert | maintenance | shards | half | vamana | all) ;;
	*) vg_die "VG_BENCH must be kernels, ann, scan, build, insert, maintenance, shards, half, vamana or all (got '$VG_BENCH')" ;;
esac

# The core build's scaling: the same insertion code a parallel CREATE INDEX
# runs, on 1 .. nproc threads, three runs each.
bench_build()
{
	local tmp
	vg_require_packages make gcc libc6-dev python3 python3-numpy dataset-fashion-mnist
	make -C "$VG_ROOT/test/bench" -s build-bench
	tmp=$(mktemp -d)
	(cd "$VG_ROOT" && "$PY" -c "
import sys; sys.path.insert(0, 'test/bench'); import datasets, numpy as np
tr, te = datasets.load_fashion_mnist()
tr.astype(np.float32).tofile('$tmp/base.f32'); te[:1000].astype(np.float32).tofile('$tmp/query.f32')
datasets.exact_ground_truth(tr, te[:1000], 10, 'fashion-mnist-1000').astype(np.int32).tofile('$tmp/gt.i32')")
	vg_say "core HNSW build, Fashion-MNIST, nproc = $(nproc)"
	for t in $(seq 1 "$(nproc)"); do
		for run in 1 2 3; do
			"$VG_ROOT/test/bench/build_bench" "$tmp/base.f32" 60000 "$tmp/query.f32" 1000 \
				"$tmp/gt.i32" 784 -t "$t" -s 40 -r 1
		done
	done
	rm -rf "$tmp"
}

bench_scan()
{
	local args=() workers=1 pool=0 i w
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy python3-psycopg2 \
		python3-faiss libopenblas0-pthread
	[ -n "${VG_SCAN_ARGS:-}" ] && read -r -a args <<<"$VG_SCAN_ARGS"
	# the search workers' pool exists only with vecgraph preloaded; it gets
	# as many workers as the largest --workers value (scan_bench.py's default 1)
	for i in "${!args[@]}"; do
		case ${args[$i]} in
			--workers) workers=${args[$((i + 1))]:-1} ;;
			--workers=*) workers=${args[$i]#--workers=} ;;
		esac
	done
	for w in ${workers//,/ }; do
		[ "$w" -gt "$pool" ] && pool=$w
	done
	vg_build_and_install
	# 1,000,000 x 128 is about 1.3 GB of table and index, prewarmed into
	# shared buffers (scan_bench.py): the figures are of searches, not reads
	VG_SHARED_BUFFERS=${VG_SHARED_BUFFERS:-3GB} VG_EXTRA_CONF="shared_preload_libraries = 'vecgraph'
vecgraph.search_workers = $pool
vecgraph.maintenance = off" vg_start_cluster
	"$PY" "$VG_ROOT/test/bench/scan_bench.py" "${args[@]}"
}

bench_insert()
{
	local args=()
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy python3-psycopg2 \
		libhnswlib-dev g++
	[ -n "${VG_INSERT_ARGS:-}" ] && read -r -a args <<<"$VG_INSERT_ARGS"
	vg_say "building test/bench/hnswlib_grow (hnswlib, g++ -O3 -march=native)"
	make -C "$VG_ROOT/test/bench" -s hnswlib-grow
	vg_build_and_install
	# 1,000,000 x 128 is about 1.3 GB of table and index: kept in memory, so
	# that the figures are the index's, not the page cache's; on 4 kB pages
	# every backend pgbench starts would fault in each buffer it touches and
	# miss the TLB on most, which a server holding such an index avoids with
	# huge pages (docs/benchmarks.md, "INSERT as the index grows")
	vg_is_root && VG_HUGE_PAGES=${VG_HUGE_PAGES:-on}
	VG_SHARED_BUFFERS=${VG_SHARED_BUFFERS:-4GB} vg_start_cluster
	"$PY" "$VG_ROOT/test/bench/insert_bench.py" "${args[@]}"
}

bench_maintenance()
{
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy python3-psycopg2
	vg_is_root && vg_require_packages dataset-fashion-mnist
	vg_build_and_install
	vg_start_cluster
	vg_say "the maintenance worker: test/bench/maint_bench.py ${VG_MAINT_ARGS:-}"
	# shellcheck disable=SC2086
	"$PY" "$VG_ROOT/test/bench/maint_bench.py" ${VG_MAINT_ARGS:-}
}

bench_shards()
{
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy python3-psycopg2
	vg_build_and_install
	vg_start_cluster
	vg_say "one server against two postgres_fdw shards: test/bench/shard_bench.py ${VG_SHARD_ARGS:-}"
	# shellcheck disable=SC2086
	"$PY" "$VG_ROOT/test/bench/shard_bench.py" ${VG_SHARD_ARGS:-}
}

bench_half()
{
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy python3-psycopg2 \
		python3-faiss libopenblas0-pthread
	vg_is_root && vg_require_packages dataset-fashion-mnist
	vg_build_and_install
	# the 3,072-dimension index (about 800 MB) and its table stay in memory
	VG_SHARED_BUFFERS=${VG_SHARED_BUFFERS:-4GB} vg_start_cluster
	vg_say "half against float storage: test/bench/half_bench.py ${VG_HALF_ARGS:-}"
	# shellcheck disable=SC2086
	"$PY" "$VG_ROOT/test/bench/half_bench.py" ${VG_HALF_ARGS:-}
}

bench_vamana()
{
	vg_require_packages "${VG_BASE_PACKAGES[@]}" python3 python3-numpy python3-psycopg2 \
		python3-faiss libopenblas0-pthread libhnswlib-dev g++
	vg_is_root && vg_require_packages dataset-fashion-mnist
	vg_say "building test/bench/hnswlib_ref (hnswlib, g++ -O3 -march=native)"
	make -C "$VG_ROOT/test/bench" -s hnswlib-ref
	vg_build_and_install
	# two tables of 1,000,000 x 128 (--dataset synthetic) and their indexes
	# stay in memory
	VG_SHARED_BUFFERS=${VG_SHARED_BUFFERS:-4GB} vg_start_cluster
	vg_say "Vamana against HNSW graphs: test/bench/vamana_bench.py ${VG_VAMANA_ARGS:-}"
	# shellcheck disable=SC2086
	"$PY" "$VG_ROOT/test/bench/vamana_bench.py" ${VG_VAMANA_ARGS:-}
}

bench_kernels()
{
	vg_require_packages make gcc libc6-dev
	vg_say "distance kernels (test/bench/kernel_bench)"
	make -C "$VG_ROOT/test/bench" -s kernel-bench
	"$VG_ROOT/test/bench/kernel_bench"
}

bench_ann()
{
	local ann_pkgs=(python3 python3-numpy python3-psycopg2 python3-faiss python3-matplotlib
		python3-hnswlib libhnswlib-dev g++ libopenblas0-pthread)
	local args has_am

	if vg_is_root; then
		vg_require_packages "${VG_BASE_PACKAGES[@]}" "${ann_pkgs[@]}" \
			dataset-fashion-mnist
	else
		# The data set is optional for a user who cannot install it.
		vg_require_packages "${VG_BASE_PACKAGES[@]}" "${ann_pkgs[@]}"
	fi

	if [ -n "${VG_BENCH_ARGS:-}" ]; then
		read -r -a args <<<"$VG_BENCH_ARGS"
	elif [ -r /usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz ]; then
		args=(--dataset fashion-mnist)
	else
		vg_say "Fashion-MNIST is not installed (sudo apt-get install dataset-fashion-mnist);"
		vg_say "using 20,000 synthetic clustered vectors of 128 dimensions instead"
		args=(--dataset synthetic --n 20000 --dim 128)
	fi

	vg_say "building test/bench/hnswlib_ref (hnswlib, g++ -O3 -march=native)"
	make -C "$VG_ROOT/test/bench" -s hnswlib-ref
	vg_say "building and installing the extension"
	vg_build_and_install
	# As root, shared memory on huge pages, the parallel build's graph too
	# (min_dynamic_shared_memory: parallel workers' shared memory comes from
	# there first), and hnswlib_ref's memory on transparent huge pages
	# (ann_bench.py --hnswlib-huge-pages), so that neither side pays a TLB
	# miss the other does not.  VG_HUGE_PAGES=off for 4 kB pages on both.
	vg_is_root && VG_HUGE_PAGES=${VG_HUGE_PAGES:-on}
	export VG_HUGE_PAGES=${VG_HUGE_PAGES:-off}
	vg_say "starting a throwaway cluster"
	if [ "$VG_HUGE_PAGES" = on ]; then
		VG_EXTRA_CONF="min_dynamic_shared_memory = '1GB'" vg_start_cluster
	else
		vg_start_cluster
	fi

	vg_say "ANN benchmark: test/bench/ann_bench.py ${args[*]}"
	"$PY" "$VG_ROOT/test/bench/ann_bench.py" "${args[@]}"
}

if [ "$VG_BENCH" = kernels ] || [ "$VG_BENCH" = all ]; then
	bench_kernels
fi
if [ "$VG_BENCH" = ann ] || [ "$VG_BENCH" = all ]; then
	bench_ann
fi
if [ "$VG_BENCH" = build ] || [ "$VG_BENCH" = all ]; then
	bench_build
fi
if [ "$VG_BENCH" = scan ]; then
	bench_scan
fi
if [ "$VG_BENCH" = shards ]; then
	bench_shards
fi
if [ "$VG_BENCH" = maintenance ]; then
	bench_maintenance
fi
if [ "$VG_BENCH" = insert ]; then
	bench_insert
fi
if [ "$VG_BENCH" = half ]; then
	bench_half
fi
if [ "$VG_BENCH" = vamana ]; then
	bench_vamana
fi
