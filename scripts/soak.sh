#!/usr/bin/env bash
# make soak: the soak test (test/t/008_soak.pl) for five minutes -- four
# clients searching, inserting, updating and deleting with autovacuum on --
# then its checks: vecgraph_check clean, recall within 0.01 of a fresh
# build, no unexpected ERROR.  make test runs the same test for 30 s.
set -euo pipefail
. "$(dirname "$0")/common.sh"

vg_require_packages "${VG_BASE_PACKAGES[@]}"
vg_say "building and installing the extension"
vg_build_and_install
vg_ensure_test_user
dir=$(mktemp -d /tmp/vecgraph-soak.XXXXXX)
chmod 755 "$dir"
trap 'rm -rf "$dir"' EXIT
export VG_SOAK_SECONDS=${VG_SOAK_SECONDS:-300}
vg_say "soak for $VG_SOAK_SECONDS s"
PROVE_FLAGS=-v vg_run_tap "$dir" "$VG_ROOT/test/t/008_soak.pl" 2>&1 | tee "$dir/soak.log" | grep -E '^(ok|not ok|#)'
grep -q '^Result: PASS' "$dir/soak.log"
