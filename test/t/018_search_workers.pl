# Search workers (src/vgsearchpool.c): preloaded, the first scan that could
# use them starts them; scans through them return the serial scan's rows in
# the serial order (200 queries, with filters, widening and rescans), as
# Gather Merge does; EXPLAIN ANALYZE says so; max_parallel_workers_per_gather
# = 0 and vecgraph.enable_search_workers = off keep scans to themselves; a
# worker's error reaches the query, a cancelled or terminated query frees
# its job, a worker that dies mid-search leaves its search to the backend; and
# vecgraph.search_workers = 0 runs no worker.  Needs a test build
# (VG_TEST_HOOKS=1) for the settings that delay or fail a worker.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use IPC::Run;

my $node = PostgreSQL::Test::Cluster->new('pool');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'vecgraph'
vecgraph.search_workers = 2
vecgraph.maintenance = off
max_worker_processes = 16
shared_buffers = '64MB'
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION vecgraph;
	SELECT setseed(0.3);
	CREATE TABLE items (id int PRIMARY KEY, v vector(16));
	INSERT INTO items
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 20000) i;
	CREATE INDEX items_v ON items USING vecgraph (v) WITH (partitions = 4, m = 8, ef_construction = 32);
	CREATE TABLE q (qid int, v vector(16));
	INSERT INTO q
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 200) i;
	-- each query row rescans the index: 10 nearest, 50 nearest of every
	-- seventh row (the rounds widen), and 300 nearest (beyond ef_search)
	CREATE FUNCTION knn() RETURNS TABLE (shape text, qid int, ids int[]) LANGUAGE sql AS $$
		SELECT 'k10', q.qid, (SELECT array_agg(id) FROM
			(SELECT id FROM items ORDER BY v <-> q.v LIMIT 10) s) FROM q
		UNION ALL
		SELECT 'filter', q.qid, (SELECT array_agg(id) FROM
			(SELECT id FROM items WHERE id % 7 = 0 ORDER BY v <-> q.v LIMIT 50) s) FROM q
		UNION ALL
		SELECT 'k300', q.qid, (SELECT array_agg(id) FROM
			(SELECT id FROM items ORDER BY v <-> q.v LIMIT 300) s) FROM q
	$$;
});

my $workers_from = q{FROM pg_stat_activity WHERE backend_type = 'vecgraph search worker'};
my $workers_sql = "SELECT count(*) $workers_from";
my $workers_up = "SELECT count(*) >= 1 $workers_from";
is($node->safe_psql('postgres', $workers_sql), '0', 'no search worker before a scan');
$node->safe_psql('postgres', 'SELECT knn() LIMIT 1');
ok($node->poll_query_until('postgres', $workers_up),
	'the first scan that could use them starts search workers');
sleep 1;

# The three routes, in one session so that vecgraph_search_worker_rounds()
# (this backend's rounds searched by workers) tells whether the pool helped.
my $routes = $node->safe_psql('postgres', q{
	SET max_parallel_workers_per_gather = 0;
	CREATE TEMP TABLE r_serial AS SELECT * FROM knn();
	SELECT vecgraph_search_worker_rounds() AS before_pool \gset
	RESET max_parallel_workers_per_gather;
	CREATE TEMP TABLE r_pool AS SELECT * FROM knn();
	SELECT vecgraph_search_worker_rounds() > :before_pool AS pool_helped \gset
	SET vecgraph.enable_search_workers = off;
	SET parallel_setup_cost = 0;
	SET parallel_tuple_cost = 0;
	SET min_parallel_index_scan_size = 0;
	SET vecgraph.parallel_worker_start_cost = 0;
	CREATE TEMP TABLE r_gather AS SELECT * FROM knn();
	SELECT :'pool_helped',
		(SELECT count(*) FROM r_serial s JOIN r_pool p USING (shape, qid)
		 WHERE s.ids = p.ids AND s.ids IS NOT NULL),
		(SELECT count(*) FROM r_serial s JOIN r_gather g USING (shape, qid)
		 WHERE s.ids = g.ids AND s.ids IS NOT NULL),
		(SELECT count(*) FROM r_serial WHERE array_length(ids, 1) =
			CASE shape WHEN 'k10' THEN 10 WHEN 'filter' THEN 50 ELSE 300 END);
});
is($routes, 't|600|600|600',
	'search workers and Gather Merge return the serial rows in order for 200 queries x 3 shapes');

my $gather_plan = $node->safe_psql('postgres', q{
	SET parallel_setup_cost = 0;
	SET parallel_tuple_cost = 0;
	SET min_parallel_index_scan_size = 0;
	SET vecgraph.parallel_worker_start_cost = 0;
	EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 1) LIMIT 10;
});
like($gather_plan, qr/Gather Merge/, 'the Gather Merge route was a Gather Merge plan');

my $explain = $node->safe_psql('postgres', q{
	EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
	SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 2) LIMIT 10;
});
like($explain, qr/vecgraph Search Workers: [12], searched \d of 4 partition rounds/,
	'EXPLAIN ANALYZE names the search workers');
unlike($node->safe_psql('postgres', q{
	SET max_parallel_workers_per_gather = 0;
	EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF)
	SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 2) LIMIT 10;
}), qr/Search Workers/, 'max_parallel_workers_per_gather = 0 keeps the scan serial');
is($node->safe_psql('postgres', q{
	SET vecgraph.enable_search_workers = off;
	SELECT count(*) FROM knn();
	SELECT vecgraph_search_worker_rounds();
}), "600\n0", 'vecgraph.enable_search_workers = off keeps scans serial');

# A worker's error is the query's.
my ($ret, $out, $err) = $node->psql('postgres', q{
	SET vecgraph.test_leave_rounds_to_workers = on;
	SET vecgraph.test_search_worker_error = on;
	SELECT count(*) FROM knn();
});
isnt($ret, 0, 'a failing worker fails the query');
like($err, qr/vecgraph test: search worker fails in partition \d/, "with the worker's message");

# A cancelled query frees its job: later scans still get workers, more
# times than there are job slots.
($ret, $out, $err) = $node->psql('postgres', q{
	SET vecgraph.test_leave_rounds_to_workers = on;
	SET vecgraph.test_search_worker_delay = 5000;
	SET statement_timeout = '300ms';
	SELECT count(*) FROM knn();
});
like($err, qr/canceling statement due to statement timeout/, 'a query waiting on a worker can be cancelled');
for my $i (1 .. 6)
{
	($ret, $out, $err) = $node->psql('postgres', q{
		SET vecgraph.test_leave_rounds_to_workers = on;
		SET vecgraph.test_search_worker_delay = 5000;
		SET statement_timeout = '100ms';
		SELECT count(*) FROM knn();
	});
}
is($node->safe_psql('postgres', q{
	SET vecgraph.test_leave_rounds_to_workers = on;
	SELECT count(*) FROM knn();
	SELECT vecgraph_search_worker_rounds() > 0;
}), "600\nt", 'cancelled queries left no job slot taken');

# A backend terminated while it waits on a worker (FATAL: no error
# cleanup runs) frees its job slot too: more terminations than there are
# job slots (2 a worker), and scans still get workers.
my $backend_waiting = q{SELECT count(*) > 0 FROM pg_stat_activity
	WHERE wait_event = 'PgSleep' AND backend_type = 'vecgraph search worker'};
my $terminated = 0;
for my $i (1 .. 6)
{
	my ($tout, $terr) = ('', '');
	my $t = IPC::Run::start(
		[
			'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', q{
			SET application_name = 'terminate_me';
			SET vecgraph.test_leave_rounds_to_workers = on;
			SET vecgraph.test_search_worker_delay = 1000;
			SELECT count(*) FROM knn();
		}
		],
		'>', \$tout, '2>', \$terr);
	$node->poll_query_until('postgres', $backend_waiting);
	$node->safe_psql('postgres',
		q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'terminate_me'});
	$t->finish;
	$terminated++ if $terr =~ /terminating connection due to administrator command/;
	$node->poll_query_until('postgres', "SELECT NOT ($backend_waiting)");
}
is($terminated, 6, 'six backends were terminated while their workers searched');
is($node->safe_psql('postgres', q{
	SET vecgraph.test_leave_rounds_to_workers = on;
	SELECT count(*) FROM knn();
	SELECT vecgraph_search_worker_rounds() > 0;
}), "600\nt", 'terminated backends left no job slot taken');

# A worker that dies in the middle of a search leaves it to the backend.
my $serial_k10 = $node->safe_psql('postgres', q{
	SET max_parallel_workers_per_gather = 0;
	SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 3) LIMIT 10) s;
});
my ($stdout, $stderr) = ('', '');
my $h = IPC::Run::start(
	[
		'psql', '-XAtq', '-d', $node->connstr('postgres'), '-c', q{
		SET vecgraph.test_leave_rounds_to_workers = on;
		SET vecgraph.test_search_worker_delay = 3000;
		SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 3) LIMIT 10) s;
	}
	],
	'>', \$stdout, '2>', \$stderr);
ok($node->poll_query_until('postgres',
		q{SELECT count(*) > 0 FROM pg_stat_activity WHERE wait_event = 'PgSleep' AND backend_type = 'vecgraph search worker'}),
	'a worker is in the middle of a search');
$node->safe_psql('postgres',
	q{SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE backend_type = 'vecgraph search worker'});
$h->finish;
chomp $stdout;
is($stdout, $serial_k10, 'the query finished the dead worker\'s search itself, with the serial rows');
is($stderr, '', 'without an error');
$node->safe_psql('postgres',
	'SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 4) LIMIT 10');
ok($node->poll_query_until('postgres', $workers_up), 'the next scan starts workers again');

# Off: no worker runs.
$node->append_conf('postgresql.conf', 'vecgraph.search_workers = 0');
$node->restart;
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM knn();
	SELECT pg_sleep(1);
	SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'vecgraph search worker';
	SELECT vecgraph_search_worker_rounds();
}), "600\n\n0\n0", 'vecgraph.search_workers = 0 runs no worker');

$node->stop;
done_testing();
