# Parallel CREATE INDEX of a vecgraph index (src/vgparallel.c): workers are
# launched and build a sound graph; the worker count follows the settings,
# the table's parallel_workers option and the size of the TOAST table; the
# build backs out to a serial one when the graph would not fit into
# maintenance_work_mem; a cancel or a statement timeout stops the leader
# and its workers at once and leaves nothing behind; an error raised in a
# worker reaches the leader.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $test_start = time;

my $node = PostgreSQL::Test::Cluster->new('parallel_build');
$node->init;
$node->append_conf('postgresql.conf', q{
max_worker_processes = 8
max_parallel_workers = 8
autovacuum = off
});
$node->start;

# A table of $rows random vectors of $dim dimensions.
sub make_table
{
	my ($table, $dim, $rows, $no_analyze) = @_;
	my $analyze = $no_analyze ? '' : "ANALYZE $table;";
	$node->safe_psql('postgres', qq{
		SELECT setseed(0.25);
		CREATE TABLE $table (id int PRIMARY KEY, v vector($dim));
		INSERT INTO $table
		SELECT i, (SELECT array_agg(random()) FROM generate_series(1, $dim) WHERE i > 0)::vector
		FROM generate_series(1, $rows) i;
		$analyze
	});
}

sub build_workers
{
	my ($index) = @_;
	return $node->safe_psql('postgres',
		"SELECT build_workers FROM vecgraph_index_info('$index')");
}

sub problems
{
	my ($index) = @_;
	return $node->safe_psql('postgres',
		"SELECT string_agg(p, E'\\n') FROM vecgraph_check('$index') p");
}

my $count_workers =
  q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'parallel worker'};

# Polls $sql through $session until it returns 't'; the seconds that took,
# or undef after $limit seconds.
sub wait_for
{
	my ($session, $sql, $limit) = @_;
	my $start = time;
	for (;;)
	{
		return time - $start if $session->query_safe($sql) eq 't';
		return undef if time - $start > $limit;
		sleep 0.01;
	}
}

# Pumps $session until its stderr matches $re; the seconds that took, or
# undef after $limit seconds.
sub wait_for_stderr
{
	my ($session, $re, $limit) = @_;
	my $start = time;
	for (;;)
	{
		$session->{run}->pump_nb;
		return time - $start if $session->{stderr} =~ $re;
		return undef if time - $start > $limit;
		sleep 0.002;
	}
}

$node->safe_psql('postgres', 'CREATE EXTENSION vecgraph');

#
# 1. Workers are launched, and the graph they build together is sound.
#
make_table('t1', 32, 10000);
my ($ret, $stdout, $stderr) = $node->psql('postgres', q{
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	SET client_min_messages = debug1;
	CREATE INDEX t1_idx ON t1 USING vecgraph (v);
});
is($ret, 0, 'the parallel build succeeds') or diag $stderr;
my $workers = build_workers('t1_idx');
cmp_ok($workers, '>=', 1, "the build launched workers ($workers)");
like($stderr, qr/vecgraph build of "t1_idx" using $workers parallel workers/,
	'the leader logs the workers it launched');
like($stderr, qr/vecgraph build of "t1_idx": 10000 rows with $workers parallel workers in /,
	'the build logs 10000 rows inserted with those workers');
unlike($stderr, qr/NOTICE/, 'the parallel build gives no notice');
is(problems('t1_idx'), '', 'vecgraph_check finds no problem in the parallel-built index');
like( $node->safe_psql('postgres', q{
		SET enable_seqscan = off;
		EXPLAIN (COSTS OFF) SELECT id FROM t1 ORDER BY v <-> (SELECT v FROM t1 WHERE id = 1) LIMIT 10;
	}),
	qr/Index Scan using t1_idx/, 'the nearest-neighbour queries use the index');
is( $node->safe_psql('postgres', q{
		SET enable_seqscan = off;
		SET vecgraph.max_scan_tuples = 1000000;
		SET work_mem = '256MB';
		SELECT count(*) || ' ' || count(DISTINCT id) FROM (
			SELECT id FROM t1 ORDER BY v <-> (SELECT v FROM t1 WHERE id = 1)
			LIMIT (SELECT count(*) FROM t1)) s;
	}),
	'10000 10000',
	'an index scan returns every row exactly once');
for my $id (1, 2345, 5000, 7777, 10000)
{
	is( $node->safe_psql('postgres', qq{
			SET enable_seqscan = off;
			SET vecgraph.ef_search = 400;
			SELECT id || ' ' || (v <-> (SELECT v FROM t1 WHERE id = $id)) FROM t1
			ORDER BY v <-> (SELECT v FROM t1 WHERE id = $id) LIMIT 1;
		}),
		"$id 0",
		"row $id is its own nearest neighbour");
}

#
# 2. With the default settings, a table whose vectors live in TOAST gets
# workers: the worker plan counts the TOAST pages, not only the main heap.
#
make_table('t2', 784, 6000);
my ($main_size, $table_size) = split /\|/, $node->safe_psql('postgres',
	q{SELECT pg_relation_size('t2', 'main'), pg_table_size('t2')});
my $threshold = 8 * 1024 * 1024;
is( $node->safe_psql('postgres', 'SHOW min_parallel_table_scan_size'), '8MB',
	'min_parallel_table_scan_size has its default');
cmp_ok($main_size, '<', $threshold,
	"the main heap ($main_size bytes) is under min_parallel_table_scan_size");
cmp_ok($table_size, '>', $threshold,
	"the table with TOAST ($table_size bytes) is over min_parallel_table_scan_size");
$node->safe_psql('postgres', q{
	SET max_parallel_maintenance_workers = 2;
	CREATE INDEX t2_idx ON t2 USING vecgraph (v);
});
$workers = build_workers('t2_idx');
cmp_ok($workers, '>=', 1, "the TOAST-heavy table is built with workers ($workers)");
is(problems('t2_idx'), '', 'vecgraph_check finds no problem in the TOAST-heavy index');

#
# 3. max_parallel_maintenance_workers = 0 builds serially; the table's
# parallel_workers option overrides the size rule (which would give 2).
#
$node->safe_psql('postgres', q{
	DROP INDEX t1_idx;
	SET max_parallel_maintenance_workers = 0;
	SET min_parallel_table_scan_size = 0;
	CREATE INDEX t1_idx ON t1 USING vecgraph (v);
});
is(build_workers('t1_idx'), '0',
	'max_parallel_maintenance_workers = 0 gives a serial build');
$node->safe_psql('postgres', q{
	DROP INDEX t1_idx;
	ALTER TABLE t1 SET (parallel_workers = 1);
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	CREATE INDEX t1_idx ON t1 USING vecgraph (v);
});
is(build_workers('t1_idx'), '1', 'parallel_workers = 1 on the table gives one worker');
is(problems('t1_idx'), '', 'vecgraph_check finds no problem in the one-worker index');
$node->safe_psql('postgres', 'ALTER TABLE t1 RESET (parallel_workers)');

#
# 4. A graph larger than maintenance_work_mem is built serially instead.
# The table is not analyzed: the planner then guesses 32 bytes a vector
# and about eight times the rows, which the notice must not repeat.
#
make_table('t4', 128, 3000, 1);
($ret, $stdout, $stderr) = $node->psql('postgres', q{
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	SET maintenance_work_mem = '1MB';
	CREATE INDEX t4_idx ON t4 USING vecgraph (v);
});
is($ret, 0, 'the build over maintenance_work_mem succeeds') or diag $stderr;
like( $stderr,
	qr/NOTICE:  vecgraph index "t4_idx" is built without parallel workers: the graph of about \d+ rows needs \d+ MB, more than maintenance_work_mem/,
	'the build says why it goes without workers');
my ($said_rows) = $stderr =~ /the graph of about (\d+) rows/;
ok( defined $said_rows && $said_rows >= 3000 && $said_rows <= 3000 + 1024 + 100,
	'the notice counts the rows the table can hold, not the planner\'s guess for a table nobody analyzed'
) or diag $stderr;
is(build_workers('t4_idx'), '0', 'the index over maintenance_work_mem was built serially');
is(problems('t4_idx'), '', 'vecgraph_check finds no problem in the serially built index');
is( $node->safe_psql('postgres', q{
		SET enable_seqscan = off;
		SET vecgraph.max_scan_tuples = 1000000;
		SET work_mem = '256MB';
		SELECT count(*) || ' ' || count(DISTINCT id) FROM (
			SELECT id FROM t4 ORDER BY v <-> (SELECT v FROM t4 WHERE id = 1) LIMIT 3000) s;
	}),
	'3000 3000',
	'an index scan of the serially built index returns every row exactly once');

#
# 5. A cancel, and a statement timeout, stop a parallel build midway.
#
make_table('t5', 128, 20000);
my $slow_build =
  'CREATE INDEX t5_idx ON t5 USING vecgraph (v) WITH (m = 32, ef_construction = 400);';
my $monitor = $node->background_psql('postgres');
my $build = $node->background_psql('postgres', on_error_stop => 0);
my $leader = $build->query_safe(q{
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	SELECT pg_backend_pid();
});
my $workers_of_leader = qq{
	SELECT count(*) > 0 FROM pg_stat_activity
	WHERE backend_type = 'parallel worker' AND leader_pid = $leader};
my $no_workers = "SELECT ($count_workers) = 0";
my $index_exists = q{SELECT count(*) FROM pg_class WHERE relname = 't5_idx'};

is($monitor->query_safe($count_workers), '0', 'no parallel worker runs before the build');
$build->query_until(qr/build starts/, "\\echo 'build starts'\n$slow_build\n");
my $seen = wait_for($monitor, $workers_of_leader, 30);
ok(defined $seen, 'parallel workers of the build show in pg_stat_activity');
note sprintf 'workers seen %.3f s after the build started', $seen // -1;
# Cancel once the graph has rows in it, well before it is done.
ok( defined wait_for($monitor, qq{
		SELECT coalesce(max(tuples_done), 0) >= 500 FROM pg_stat_progress_create_index
		WHERE pid = $leader}, 30),
	'the build reports rows inserted');
my $done = $monitor->query_safe(qq{
	SELECT coalesce(max(tuples_done), -1) FROM pg_stat_progress_create_index
	WHERE pid = $leader});
ok($done >= 500 && $done < 10000, "the build is canceled midway ($done of 20000 rows inserted)");
my $cancel_at = time;
is($monitor->query_safe("SELECT pg_cancel_backend($leader)"), 't', 'the leader is sent a cancel');
wait_for_stderr($build, qr/ERROR/, 30);
my $cancel_took = time - $cancel_at;
$build->query('SELECT 1');
like($build->{stderr}, qr/ERROR:  canceling statement due to user request/,
	'the build fails with the cancel');
diag sprintf 'cancel to error: %.3f s', $cancel_took;
cmp_ok($cancel_took, '<', 2, 'the cancel stops the build within 2 s');
my $gone = wait_for($monitor, $no_workers, 5);
ok(defined $gone, 'no parallel worker remains after the cancel');
note sprintf 'workers gone %.3f s after the error', $gone // -1;
is($monitor->query_safe($index_exists), '0', 'the canceled index does not exist');
is( $monitor->query_safe(q{
		INSERT INTO t5 VALUES (20001, (SELECT v FROM t5 WHERE id = 1));
		SELECT count(*) FROM t5;
	}),
	'20001', 'the table is usable after the cancel');

# The same build under a statement timeout.
$build->{stderr} = '';
$build->query_until(qr/timed build starts/,
	"SET statement_timeout = '1500ms';\n\\echo 'timed build starts'\n$slow_build\n");
my $timed_at = time;
$seen = wait_for($monitor, $workers_of_leader, 30);
ok(defined $seen, 'parallel workers of the timed build show in pg_stat_activity');
wait_for_stderr($build, qr/ERROR/, 30);
my $timed_took = time - $timed_at;
$build->query('RESET statement_timeout');
like($build->{stderr}, qr/ERROR:  canceling statement due to statement timeout/,
	'the build fails with the statement timeout');
diag sprintf 'statement_timeout 1.5 s: error after %.3f s', $timed_took;
cmp_ok($timed_took, '<', 1.5 + 2, 'the timeout stops the build within 2 s');
$gone = wait_for($monitor, $no_workers, 5);
ok(defined $gone, 'no parallel worker remains after the statement timeout');
is($monitor->query_safe($index_exists), '0', 'the timed-out index does not exist');

# A build with lighter parameters goes through, with workers.
$build->{stderr} = '';
$build->query('CREATE INDEX t5_idx ON t5 USING vecgraph (v);');
is($build->{stderr}, '', 'a second CREATE INDEX succeeds after the cancels');
cmp_ok(build_workers('t5_idx'), '>=', 1, 'the second build used workers');
is(problems('t5_idx'), '', 'vecgraph_check finds no problem in the second build');
$build->quit;

#
# 6. An error raised in a worker fails the build in the leader.  The
# function refuses in every process but the session's own backend, so only
# a worker can raise it.
#
$node->safe_psql('postgres', q{
	CREATE FUNCTION refuse_in_worker(v vector) RETURNS vector
	LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE AS $$
	BEGIN
		IF current_setting('vgtest.leader')::int <> pg_backend_pid() THEN
			RAISE EXCEPTION 'vecgraph test: refused in a parallel worker';
		END IF;
		RETURN v;
	END
	$$;
});
make_table('t6', 8, 20000);
$node->safe_psql('postgres', 'ALTER TABLE t6 SET (parallel_workers = 1)');
my $refused = 0;
for my $attempt (1 .. 3)
{
	is($monitor->query_safe($count_workers), '0',
		"no parallel worker runs before attempt $attempt");
	($ret, $stdout, $stderr) = $node->psql('postgres', q{
		SELECT set_config('vgtest.leader', pg_backend_pid()::text, false);
		SET max_parallel_maintenance_workers = 2;
		SET min_parallel_table_scan_size = 0;
		SET client_min_messages = debug1;
		CREATE INDEX t6_idx ON t6 USING vecgraph ((refuse_in_worker(v)::vector(8)));
	});
	if ($ret != 0)
	{
		$refused = 1;
		last;
	}
	# Built: no worker started, or the one that did found no block left
	# to scan.  Try again; the assertions below fail if it never raises.
	note "attempt $attempt built the index: $stderr";
	$node->safe_psql('postgres', 'DROP INDEX IF EXISTS t6_idx');
}
ok($refused, 'the build with a refusing worker fails');
like($stderr, qr/vecgraph build of "t6_idx" using 1 parallel workers/,
	'the build of the expression index launched one worker');
like($stderr, qr/ERROR:  vecgraph test: refused in a parallel worker/,
	'the worker\'s error reaches the client');
like( $stderr,
	qr/CONTEXT:  PL\/pgSQL function refuse_in_worker\(vector\)[^\n]*\nparallel worker/,
	'the error is reported as a worker\'s');
ok(defined wait_for($monitor, $no_workers, 5),
	'no parallel worker remains after the worker\'s error');
is($monitor->query_safe(q{SELECT count(*) FROM pg_class WHERE relname = 't6_idx'}),
	'0', 'the failed index does not exist');
# Without workers the same index builds: only the worker refused.  (The
# function needs the setting wherever it runs, vecgraph_check included.)
is( $node->safe_psql('postgres', q{
		SELECT set_config('vgtest.leader', pg_backend_pid()::text, false) IS NULL;
		SET max_parallel_maintenance_workers = 0;
		CREATE INDEX t6_idx ON t6 USING vecgraph ((refuse_in_worker(v)::vector(8)));
		SELECT count(*) FROM vecgraph_check('t6_idx');
	}),
	"f\n0", 'the expression index builds serially, and soundly');

$monitor->quit;
# 7. A table analysed while small and then bulk-loaded: the shared graph is
# sized by the current size, not the stale row count, so the build stays
# parallel instead of filling up and starting over serially.
$node->safe_psql('postgres', q{
	CREATE TABLE t7 (id int, v vector(16));
	INSERT INTO t7 SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 1000) i;
	ANALYZE t7;
	INSERT INTO t7 SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1001, 30000) i;
});
my ($ret7, $out7, $err7) = $node->psql('postgres', q{
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	CREATE INDEX t7_idx ON t7 USING vecgraph (v);
	SELECT nodes, build_workers > 0 FROM vecgraph_index_info('t7_idx');
});
is($ret7, 0, 'the bulk-loaded table builds');
is($out7, '30000|t', 'with workers, every row indexed');
unlike($err7, qr/more rows than estimated/, 'without starting over serially');

# 8. COPY into a new table of wide vectors (out of line, in TOAST) and
# CREATE INDEX with no ANALYZE in between, the most common way to load:
# the planner's estimate of such a table is short (it guesses 32 bytes a
# vector), the bound on the rows its pages hold is not, so the build stays
# parallel.
my $copy_file = $node->basedir . '/t8.copy';
$node->safe_psql('postgres', qq{
	COPY (SELECT i, (SELECT array_agg(round(random()::numeric, 2)) FROM generate_series(1, 520)
					 WHERE i > 0)::vector
		  FROM generate_series(1, 20000) i) TO '$copy_file';
	CREATE TABLE t8 (id int, v vector(520));
	COPY t8 FROM '$copy_file';
});
is($node->safe_psql('postgres', q{SELECT reltuples FROM pg_class WHERE relname = 't8'}), '-1',
	'the loaded table was never analyzed');
my ($ret8, $out8, $err8) = $node->psql('postgres', q{
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	SET client_min_messages = notice;
	CREATE INDEX t8_idx ON t8 USING vecgraph (v);
	SELECT nodes, build_workers > 0 FROM vecgraph_index_info('t8_idx');
});
is($ret8, 0, 'COPY then CREATE INDEX builds');
is($out8, '20000|t', 'in parallel, every row indexed');
is($err8, '', 'with no NOTICE: neither starting over nor spilling');

$node->stop;
note sprintf 'total %.1f s', time - $test_start;
done_testing();
