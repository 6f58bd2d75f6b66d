# Shared shell functions of vecgraph's test, demo and benchmark scripts.
# Source it; it expects bash with `set -euo pipefail`.

VG_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VG_TEST_USER=${VG_TEST_USER:-vecgraph}
PG_CONFIG=${PG_CONFIG:-pg_config}

vg_say() { printf '== %s\n' "$*" >&2; }
vg_die() { printf 'error: %s\n' "$*" >&2; exit 1; }

vg_is_root() { [ "$(id -u)" -eq 0 ]; }

# Run a command as the unprivileged user PostgreSQL insists on (ourselves
# unless we are root).
vg_as_user()
{
	if vg_is_root; then
		runuser -u "$VG_TEST_USER" -- "$@"
	else
		"$@"
	fi
}

# vg_missing_packages PKG...: prints those of the Debian packages that are
# not installed, one a line.
vg_missing_packages()
{
	local p
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
			echo "$p"
	done
}

# vg_require_packages PKG...: installs the Debian packages that are missing
# when root, otherwise says exactly what to run and fails.
vg_require_packages()
{
	local missing
	mapfile -t missing < <(vg_missing_packages "$@")
	[ ${#missing[@]} -eq 0 ] && return 0
	if vg_is_root; then
		vg_say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
	else
		vg_die "missing packages; run: sudo apt-get update && sudo apt-get install -y ${missing[*]}"
	fi
}

# vg_offer_packages PKG...: like vg_require_packages for what only some
# tests need: installs what is missing when root, otherwise (or when the
# install fails) says what to install and goes on; those tests skip.
vg_offer_packages()
{
	local missing
	mapfile -t missing < <(vg_missing_packages "$@")
	[ ${#missing[@]} -eq 0 ] && return 0
	if vg_is_root; then
		vg_say "installing ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >/dev/null 2>&1 &&
			return 0
	fi
	vg_say "the tests that need ${missing[*]} will be skipped; to run them: sudo apt-get install -y ${missing[*]}"
}

# The packages every entry point needs: compiler, server, headers, TAP.
VG_BASE_PACKAGES=(make gcc libc6-dev postgresql-15 postgresql-server-dev-15
	libipc-run-perl perl)

vg_build_and_install()
{
	local bindir
	make -C "$VG_ROOT" -s WERROR="${WERROR:-0}" VG_TEST_HOOKS="${VG_TEST_HOOKS:-0}" >/dev/null
	if [ -w "$("$PG_CONFIG" --pkglibdir)" ]; then
		make -C "$VG_ROOT" -s install >/dev/null
	elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then
		sudo make -C "$VG_ROOT" -s install PG_CONFIG="$(command -v "$PG_CONFIG")" >/dev/null
	else
		vg_die "cannot write $("$PG_CONFIG" --pkglibdir); run: sudo make install"
	fi
	bindir=$("$PG_CONFIG" --bindir)
	export PATH="$bindir:$PATH"
}

vg_ensure_test_user()
{
	vg_is_root || return 0
	id "$VG_TEST_USER" >/dev/null 2>&1 ||
		useradd --system --no-create-home --shell /bin/sh "$VG_TEST_USER"
}

# vg_start_cluster: a throwaway cluster in a new temporary directory,
# reachable only through a Unix socket there (so it cannot clash with any
# other server's port).  Sets VG_TMP, PGHOST, PGPORT, PGUSER, PGDATABASE and
# arranges for the cluster to be stopped and removed on exit.  VG_EXTRA_CONF,
# when set, is appended to postgresql.conf (lines such as
# "shared_preload_libraries = 'vecgraph'"); VG_HUGE_PAGES=on puts shared
# memory on huge pages (vg_reserve_huge_pages).
vg_start_cluster()
{
	vg_ensure_test_user
	VG_TMP=$(mktemp -d /tmp/vecgraph.XXXXXX)
	chmod 755 "$VG_TMP"
	vg_is_root && chown "$VG_TEST_USER" "$VG_TMP"
	trap vg_stop_cluster EXIT
	vg_as_user initdb -D "$VG_TMP/data" -U postgres -A trust -E UTF8 \
		--locale=C --no-sync >"$VG_TMP/initdb.log" 2>&1 ||
		{ cat "$VG_TMP/initdb.log" >&2; vg_die "initdb failed"; }
	cat >>"$VG_TMP/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$VG_TMP'
port = 5432
fsync = off
shared_buffers = '${VG_SHARED_BUFFERS:-512MB}'
maintenance_work_mem = '1GB'
max_worker_processes = 16
CONF
	[ -z "${VG_EXTRA_CONF:-}" ] || printf '%s\n' "$VG_EXTRA_CONF" >>"$VG_TMP/data/postgresql.conf"
	[ "${VG_HUGE_PAGES:-off}" = on ] && vg_reserve_huge_pages "$VG_TMP/data"
	vg_as_user pg_ctl -D "$VG_TMP/data" -l "$VG_TMP/server.log" -w start >/dev/null ||
		{ cat "$VG_TMP/server.log" >&2; vg_die "the test server did not start"; }
	export PGHOST="$VG_TMP" PGPORT=5432 PGUSER=postgres PGDATABASE=postgres
}

vg_stop_cluster()
{
	local rc=$?
	if [ -n "${VG_TMP:-}" ] && [ -d "$VG_TMP/data" ]; then
		vg_as_user pg_ctl -D "$VG_TMP/data" -m fast -w stop >/dev/null 2>&1 || true
		[ "${VG_KEEP_TMP:-0}" = 1 ] || rm -rf "$VG_TMP"
	fi
	[ -z "${VG_HUGE_PAGES_BEFORE:-}" ] || sysctl -q vm.nr_hugepages="$VG_HUGE_PAGES_BEFORE" || true
	return $rc
}

# vg_reserve_huge_pages DATADIR: (VG_HUGE_PAGES=on) reserves the 2 MB huge
# pages the cluster in DATADIR asks for and sets huge_pages = on there, so
# that no backend faults in or misses the TLB on every 4 kB page of shared
# buffers; vg_stop_cluster gives them back.  Root only: the count is a
# kernel setting (vm.nr_hugepages).
vg_reserve_huge_pages()
{
	local data=$1 need before total
	vg_is_root || vg_die "VG_HUGE_PAGES=on reserves huge pages (sysctl vm.nr_hugepages) and needs root; run as root or with VG_HUGE_PAGES=off"
	need=$(vg_as_user "$("$PG_CONFIG" --bindir)/postgres" -D "$data" -C shared_memory_size_in_huge_pages)
	before=$(cat /proc/sys/vm/nr_hugepages)
	VG_HUGE_PAGES_BEFORE=$before
	sysctl -q vm.nr_hugepages=$((before + need))
	total=$(awk '/^HugePages_Total:/ { print $2 }' /proc/meminfo)
	[ "$total" -ge $((before + need)) ] ||
		vg_die "the kernel reserved $total huge pages of the $((before + need)) asked for (memory too fragmented?); run with VG_HUGE_PAGES=off"
	echo "huge_pages = on" >>"$data/postgresql.conf"
	vg_say "huge pages: $need reserved for the cluster (vm.nr_hugepages $before -> $total)"
}

# vg_run_tap DIR FILE...: runs TAP test files with prove from a copy in DIR
# (owned by the test user); on failure prints the tail of every server log.
# The files the tests read from the tree are copied too: as root the checkout
# may sit where the test user cannot read it (/root is mode 700).
vg_run_tap()
{
	local dir=$1 pgxs_dir rc=0
	shift
	mkdir -p "$dir/t" "$dir/tree/test" "$dir/tree/scripts"
	cp "$@" "$dir/t/"
	cp -r "$VG_ROOT/test/data" "$VG_ROOT/test/clients" "$dir/tree/test/"
	cp "$VG_ROOT/scripts/from-pgvector.sed" "$dir/tree/scripts/"
	vg_is_root && chown -R "$VG_TEST_USER" "$dir"
	pgxs_dir=$(dirname "$("$PG_CONFIG" --pgxs)")/..
	(cd "$dir" && vg_as_user env PATH="$PATH" TESTDIR="$dir" VG_ROOT="$dir/tree" \
		VG_SOAK_SECONDS="${VG_SOAK_SECONDS:-30}" \
		PG_REGRESS="$pgxs_dir/test/regress/pg_regress" \
		prove ${PROVE_FLAGS:-} -I "$pgxs_dir/test/perl" t/*.pl) || rc=$?
	if [ "$rc" -ne 0 ]; then
		for f in "$dir"/tmp_check/log/*; do
			[ -f "$f" ] && { echo "--- $f"; tail -50 "$f"; }
		done
	fi
	return $rc
}
