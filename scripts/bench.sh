#!/usr/bin/env bash
# make bench: the benchmarks, kept out of make test because they measure
# speed on a shared machine.  Results go to stdout; docs/benchmarks.md keeps
# the latest tables with the commands that produced them.
set -euo pipefail
. "$(dirname "$0")/common.sh"

vg_require_packages make gcc libc6-dev

vg_say "distance kernels (test/bench/kernel_bench)"
make -C "$VG_ROOT/test/bench" -s kernel-bench
"$VG_ROOT/test/bench/kernel_bench"
