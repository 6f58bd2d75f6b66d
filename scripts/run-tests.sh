#!/usr/bin/env bash
# make test: build, install, then run every test suite on a throwaway
# cluster -- core unit tests (sanitizers), pg_regress, TAP -- and finish with
# one tally line.  Exits non-zero when anything fails.
set -euo pipefail
. "$(dirname "$0")/common.sh"

vg_require_packages "${VG_BASE_PACKAGES[@]}"
# the client libraries of test/t/012_clients.pl: skipped when missing
vg_offer_packages python3-psycopg2 python3-psycopg
command -v npm >/dev/null || vg_offer_packages nodejs npm
if command -v npm >/dev/null && [ ! -d "$VG_ROOT/test/clients/node_modules/pgvector" ]; then
	vg_say "installing node-postgres and pgvector (npm)"
	(cd "$VG_ROOT/test/clients" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
		vg_say "npm install failed in test/clients: the node-postgres test will be skipped"
fi

passed=0
failed=0
tally() { passed=$((passed + $1)); failed=$((failed + $2)); }

vg_say "core unit tests (ASan + UBSan)"
core_log=$(mktemp)
core_rc=0
make -C "$VG_ROOT/test/core" -s check >"$core_log" 2>&1 || core_rc=$?
cat "$core_log"
core_line=$(grep -E '^[0-9]+ passed, [0-9]+ failed' "$core_log" | tail -1 || true)
core_failed=1					# the suite did not build or crashed
if [ -n "$core_line" ]; then
	core_failed=$(echo "$core_line" | cut -d' ' -f3)
	tally "$(echo "$core_line" | cut -d' ' -f1)" "$core_failed"
fi
# a failing exit with no failure counted: no test ran, or a sanitizer
# reported at exit, after the summary line
if [ "$core_rc" -ne 0 ] && [ "$core_failed" -eq 0 ] || [ -z "$core_line" ]; then
	tally 0 1
fi
rm -f "$core_log"

vg_say "building and installing the extension"
# with the functions only tests may call (src/vgtesthooks.c)
WERROR=1 VG_TEST_HOOKS=1 vg_build_and_install
vg_start_cluster

# run_regress NAME [PGOPTIONS]: pg_regress and isolation suites, tallied.
run_regress()
{
	# not named "failed": tally must update the global count, not a local
	local out="$VG_TMP/$1" log="$VG_TMP/$1.log" rc=0 nfail
	mkdir -p "$out"
	PGOPTIONS="${2:-}" make -C "$VG_ROOT" -s installcheck REGRESS_OUTDIR="$out" >"$log" 2>&1 || rc=$?
	cat "$log"
	nfail=$(grep -cE '\.\.\. FAILED|^not ok ' "$log" || true)
	tally "$(grep -cE '^test .* \.\.\. ok|^ok ' "$log" || true)" "$nfail"
	# pg_regress itself failing (no server, a diff error) counts as a failure
	if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then tally 0 1; fi
	for diffs in "$out/regression.diffs" "$out/isolation/regression.diffs"; do
		if [ -f "$diffs" ]; then cat "$diffs"; fi
	done
}

vg_say "pg_regress"
run_regress regress
# Every query again with a Gather forced on top where it is parallel safe
# (hidden from EXPLAIN): the functions and scans must behave the same in a
# parallel worker.
vg_say "pg_regress with force_parallel_mode = regress"
run_regress regress-parallel "-c force_parallel_mode=regress"
# And again with vecgraph preloaded and its search workers taking every
# round of every scan they can (a test build's setting), so that the suites'
# scans run through the pool (src/vgsearchpool.c).
vg_say "pg_regress with search workers"
cat >>"$VG_TMP/data/postgresql.conf" <<CONF
shared_preload_libraries = 'vecgraph'
vecgraph.search_workers = 2
vecgraph.maintenance = off
CONF
vg_as_user pg_ctl -D "$VG_TMP/data" -l "$VG_TMP/server.log" -w restart >/dev/null ||
	{ cat "$VG_TMP/server.log" >&2; vg_die "the test server did not restart"; }
run_regress regress-workers "-c vecgraph.test_leave_rounds_to_workers=on"

if compgen -G "$VG_ROOT/test/t/*.pl" >/dev/null; then
	vg_say "TAP tests"
	tap_log="$VG_TMP/tap.log"
	tap_rc=0
	vg_run_tap "$VG_TMP/tap" "$VG_ROOT"/test/t/*.pl >"$tap_log" 2>&1 || tap_rc=$?
	cat "$tap_log"
	tap_failed=$(grep -cE '\.\. (Failed|Dubious)' "$tap_log" || true)
	# prove's lines only: on failure the log also holds the servers' logs,
	# whose initdb lines end in "... ok" too
	tally "$(grep -cE '^t/[^ ]+ \.+ ok$' "$tap_log" || true)" "$tap_failed"
	# prove failing (or never starting) with no failed script counted
	if [ "$tap_rc" -ne 0 ] && [ "$tap_failed" -eq 0 ]; then
		tally 0 1
	fi
fi

echo "vecgraph: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
