# The maintenance worker (src/vgworker.c, src/vgmaintain.c): preloaded, a
# launcher starts it; it marks the rows a DELETE left dead so that recall
# holds without VACUUM, and VACUUM still frees them; it links nodes no path
# reaches; control from SQL is for superusers and vecgraph_maintainer;
# stop, SIGTERM, DROP INDEX and DROP DATABASE during a pass and a server
# restart (with warm start) all behave; on a standby it does not run.
# Without preloading, vecgraph_worker_start() starts it.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);

my $node = PostgreSQL::Test::Cluster->new('maint');
$node->init(allows_streaming => 1);
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'vecgraph'
vecgraph.worker_naptime = 1
autovacuum = off
max_worker_processes = 16
shared_buffers = '64MB'
});
$node->start;

# Waits until $sql in $db returns $want; returns the seconds it took.
sub wait_for
{
	my ($n, $db, $sql, $want, $what) = @_;
	my $start = time;
	ok($n->poll_query_until($db, $sql, $want), $what);
	return time - $start;
}

# A table of $rows random vectors (16 dimensions) with a vecgraph index.
sub make_table
{
	my ($n, $db, $table, $rows) = @_;
	$n->safe_psql($db, qq{
		SELECT setseed(0.5);
		CREATE TABLE $table (id int PRIMARY KEY, v vector(16)) WITH (autovacuum_enabled = off);
		INSERT INTO $table
		SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
		FROM generate_series(1, $rows) i;
		CREATE INDEX ${table}_v_idx ON $table USING vecgraph (v);
	});
}

# recall@10 of $table's index at the default ef_search over the queries in
# table q, against an exact scan.
sub recall
{
	my ($table) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		CREATE TEMP TABLE approx AS
			SELECT q.id AS qid, s.id FROM q,
				LATERAL (SELECT id FROM $table t ORDER BY t.v <-> q.v LIMIT 10) s;
		SET enable_seqscan = on;
		SET enable_indexscan = off;
		SET enable_bitmapscan = off;
		CREATE TEMP TABLE exact AS
			SELECT q.id AS qid, s.id FROM q,
				LATERAL (SELECT id FROM $table t ORDER BY t.v <-> q.v LIMIT 10) s;
		SELECT round(count(*)::numeric / (SELECT count(*) FROM exact), 4)
		FROM approx JOIN exact USING (qid, id);
	});
}

my $worker_in = q{SELECT count(*) FROM vecgraph_worker_status() WHERE database = current_database() AND state IN ('sleeping', 'working')};

# --- the launcher and its worker

wait_for($node, 'postgres',
	q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'vecgraph maintenance launcher'},
	1, 'the launcher runs when vecgraph is preloaded');
$node->safe_psql('postgres', 'CREATE EXTENSION vecgraph; CREATE EXTENSION pg_buffercache');
make_table($node, 'postgres', 't', 4000);
wait_for($node, 'postgres', $worker_in, 1, 'the launcher started a worker in the database');
is($node->safe_psql('postgres',
	q{SELECT kind FROM vecgraph_worker_status() WHERE database = 'postgres'}),
	'worker (launcher)', 'status names who started it');

# --- dead rows

$node->safe_psql('postgres', q{
	SELECT setseed(0.75);
	CREATE TABLE q AS SELECT i AS id, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector(16) AS v
	FROM generate_series(1, 200) i;
	DELETE FROM t WHERE id % 10 < 3;
});
my $took = wait_for($node, 'postgres',
	q{SELECT dead_nodes FROM vecgraph_index_health('t_v_idx')}, 1200,
	'the worker marked the 1,200 deleted rows dead');
cmp_ok($took, '<', 60, sprintf('... within 60 s (%.1f s)', $took));

$node->safe_psql('postgres', q{
	CREATE TABLE fresh AS SELECT * FROM t;
	CREATE INDEX fresh_v_idx ON fresh USING vecgraph (v);
});
my $maintained = recall('t');
my $fresh = recall('fresh');
note "recall\@10 after 30% deletes, no VACUUM: $maintained with the worker, $fresh for a fresh build";
cmp_ok($fresh - $maintained, '<=', 0.01, 'recall is within 0.01 of a fresh build on the remaining rows');
wait_for($node, 'postgres',
	q{SELECT recall IS NOT NULL AND recall_sample_size > 0 FROM vecgraph_index_health('t_v_idx')},
	't', 'the worker recorded a recall estimate');

$node->safe_psql('postgres', 'VACUUM t');
is($node->safe_psql('postgres',
	q{SELECT live_nodes || ' ' || dead_nodes || ' ' || free_slots FROM vecgraph_index_health('t_v_idx')}),
	'2800 0 1200', 'a later VACUUM frees every slot the worker marked');
is($node->safe_psql('postgres', q{SELECT count(*) FROM vecgraph_check('t_v_idx')}), '0',
	'the index checks clean');

# --- nodes no path reaches (made by a function only test builds have)

my ($rc, $out, $err) = $node->psql('postgres',
	q{CREATE FUNCTION vecgraph_test_orphan(regclass, int) RETURNS int AS 'vecgraph' LANGUAGE C STRICT});
SKIP:
{
	skip 'this build has no test hooks (make VG_TEST_HOOKS=1)', 3 if $rc != 0;
	is($node->safe_psql('postgres', q{SELECT vecgraph_test_orphan('fresh_v_idx', 3)}), '3',
		'three nodes made unreachable');
	like($node->safe_psql('postgres', q{SELECT string_agg(c, ' ') FROM vecgraph_check('fresh_v_idx') c}),
		qr/not reachable|unreachable/, 'vecgraph_check sees them');
	wait_for($node, 'postgres',
		q{SELECT unreachable_linked >= 3 AND (SELECT count(*) = 0 FROM vecgraph_check('fresh_v_idx'))
		  FROM vecgraph_index_health('fresh_v_idx')},
		't', 'the worker linked them and the index checks clean');
}

# --- privileges

$node->safe_psql('postgres', q{
	CREATE ROLE alice LOGIN;
	CREATE ROLE bob LOGIN IN ROLE vecgraph_maintainer;
});
for my $call ('vecgraph_worker_start()', 'vecgraph_worker_stop()', 'vecgraph_worker_config(naptime => 5)')
{
	($rc, $out, $err) = $node->psql('postgres', "SET ROLE alice; SELECT $call");
	like($err, qr/permission denied for function/, "a non-superuser cannot call $call");
}
$node->safe_psql('postgres', 'GRANT EXECUTE ON FUNCTION vecgraph_worker_stop() TO alice');
($rc, $out, $err) = $node->psql('postgres', 'SET ROLE alice; SELECT vecgraph_worker_stop()');
like($err, qr/permission denied to stop the vecgraph maintenance worker.*\n.*vecgraph_maintainer/,
	'... nor with EXECUTE granted: the function checks the role itself');
for my $call (q{vecgraph_index_health('t_v_idx')}, q{vecgraph_maintain('t_v_idx')})
{
	($rc, $out, $err) = $node->psql('postgres', "SET ROLE alice; SELECT $call");
	like($err, qr/permission denied/, "a role that does not own the table cannot call $call");
}
$node->safe_psql('postgres', 'GRANT pg_read_all_stats TO alice');
is($node->safe_psql('postgres', q{SET ROLE alice; SELECT live_nodes FROM vecgraph_index_health('t_v_idx')}),
	'2800', 'pg_read_all_stats may read health');

$node->safe_psql('postgres', q{SET ROLE bob; SELECT vecgraph_worker_config(naptime => 2, cost_limit => 300)});
wait_for($node, 'postgres', q{SELECT current_setting('vecgraph.worker_naptime')}, '2s',
	'a maintainer configures the worker; the setting is written and reloaded');
like(slurp_file($node->data_dir . '/postgresql.auto.conf'), qr/vecgraph.worker_cost_limit = '300'/,
	'... in postgresql.auto.conf');
($rc, $out, $err) = $node->psql('postgres', q{SET ROLE bob; SELECT vecgraph_worker_config(naptime => 0)});
like($err, qr/0.*outside the valid range.*vecgraph.worker_naptime.*\(1 \.\. 86400\)/,
	'a value out of range is refused with its limits');
$node->safe_psql('postgres', q{SET ROLE bob; SELECT vecgraph_worker_config(naptime => 1, cost_limit => 200)});

# --- stop, start, SIGTERM

is($node->safe_psql('postgres', q{SET ROLE bob; SELECT vecgraph_worker_stop()}), 't',
	'a maintainer stops the worker');
wait_for($node, 'postgres',
	q{SELECT state FROM vecgraph_worker_status() WHERE database = 'postgres'}, 'held back',
	'status shows it held back');
sleep(3);
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'vecgraph maintenance worker' AND datname = 'postgres'}),
	'0', 'the launcher does not start it again');
my $pid = $node->safe_psql('postgres', q{SET ROLE bob; SELECT vecgraph_worker_start()});
like($pid, qr/^\d+$/, 'vecgraph_worker_start() returns the pid');
wait_for($node, 'postgres', $worker_in, 1, 'it runs again');

kill 'TERM', $pid;
$took = wait_for($node, 'postgres', qq{SELECT count(*) FROM pg_stat_activity WHERE pid = $pid}, 0,
	'SIGTERM ends the worker');
cmp_ok($took, '<', 1.0, sprintf('... within a second (%.2f s)', $took));
wait_for($node, 'postgres', $worker_in, 1, 'the launcher starts a new one');

# --- DROP INDEX, cancel and DROP DATABASE while it works

make_table($node, 'postgres', 'big', 30000);
# so slow that a pass over big takes minutes
$node->safe_psql('postgres', q{SELECT vecgraph_worker_config(cost_limit => 1, cost_delay => 20)});
wait_for($node, 'postgres',
	q{SELECT count(*) FROM vecgraph_worker_status() WHERE state = 'working' AND index = 'big_v_idx'::regclass},
	1, 'the worker is working on the big index');
my $start = time;
$node->safe_psql('postgres', q{SET statement_timeout = '30s'; DROP INDEX big_v_idx});
my $drop_took = time - $start;
cmp_ok($drop_took, '<', 5, sprintf('DROP INDEX during a pass waits at most a moment (%.2f s)', $drop_took));
$node->safe_psql('postgres', q{CREATE INDEX big_v_idx ON big USING vecgraph (v)});
wait_for($node, 'postgres',
	q{SELECT count(*) FROM vecgraph_worker_status() WHERE state = 'working' AND index = 'big_v_idx'::regclass},
	1, 'working on it again');
$pid = $node->safe_psql('postgres', q{SELECT pid FROM vecgraph_worker_status() WHERE database = 'postgres'});
$node->safe_psql('postgres', qq{SELECT pg_cancel_backend($pid)});
wait_for($node, 'postgres', q{SELECT count(*) FROM vecgraph_worker_status() WHERE state = 'working' AND index = 'big_v_idx'::regclass},
	0, 'a cancel ends the pass over the index');
is($node->safe_psql('postgres', q{SELECT pid FROM vecgraph_worker_status() WHERE database = 'postgres'}),
	$pid, '... and the worker goes on');
$start = time;
$node->safe_psql('postgres', q{SET statement_timeout = '30s'; DROP TABLE big});
cmp_ok(time - $start, '<', 5, 'DROP TABLE during a pass works');
$node->safe_psql('postgres', q{SELECT vecgraph_worker_config(cost_limit => 200, cost_delay => 2)});

$node->safe_psql('postgres', 'CREATE DATABASE other');
$node->safe_psql('other', 'CREATE EXTENSION vecgraph');
make_table($node, 'other', 't', 2000);
wait_for($node, 'other', $worker_in, 1, 'a worker runs in a second database');
$start = time;
$node->safe_psql('postgres', 'DROP DATABASE other');
my $dropdb_took = time - $start;
cmp_ok($dropdb_took, '<', 5, sprintf('DROP DATABASE makes the worker leave (%.2f s)', $dropdb_took));

# --- restart, warm start

my $index_buffers = q{SELECT count(*) FROM pg_buffercache b JOIN pg_class c ON b.relfilenode = pg_relation_filenode(c.oid) WHERE c.relname = 't_v_idx'};
my $index_pages = $node->safe_psql('postgres', q{SELECT pg_relation_size('t_v_idx') / 8192});
$node->safe_psql('postgres', q{SELECT vecgraph_worker_config(prewarm => false, recall_sample => 0)});
$node->restart;
wait_for($node, 'postgres', q{SELECT passes > 1 FROM vecgraph_worker_status() WHERE database = 'postgres'},
	't', 'after a restart the launcher starts the worker again');
my $cold = $node->safe_psql('postgres', $index_buffers);
$node->safe_psql('postgres', q{SELECT vecgraph_worker_config(prewarm => true)});
$node->restart;
wait_for($node, 'postgres', q{SELECT passes > 1 FROM vecgraph_worker_status() WHERE database = 'postgres'},
	't', 'and again');
my $warm = $node->safe_psql('postgres', $index_buffers);
note "index buffers after a restart and a pass: $cold without warm start, $warm with, of $index_pages pages";
cmp_ok($warm, '>', $cold + $index_pages / 4, 'warm start read the index into shared buffers');
$node->safe_psql('postgres', q{SELECT vecgraph_worker_config(recall_sample => 10)});

# --- a standby: replayed marks, no worker

$node->safe_psql('postgres', 'DELETE FROM t WHERE id % 10 = 5');
wait_for($node, 'postgres', q{SELECT dead_nodes FROM vecgraph_index_health('t_v_idx')}, 400,
	'the worker marked the new deletes');
$node->backup('b');
my $standby = PostgreSQL::Test::Cluster->new('maint_standby');
$standby->init_from_backup($node, 'b', has_streaming => 1);
$standby->start;
$node->wait_for_catchup($standby);
is($standby->safe_psql('postgres', q{SELECT dead_nodes FROM vecgraph_index_health('t_v_idx')}), '400',
	'the marks reached the standby through WAL');
sleep(2);
is($standby->safe_psql('postgres',
	q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'vecgraph maintenance%'}),
	'0', 'no launcher or worker runs on a standby');
($rc, $out, $err) = $standby->psql('postgres', 'SELECT vecgraph_worker_start()');
like($err, qr/does not run on a standby/, 'nor can one be started there');
$standby->stop;

# --- no errors in the log but those the test caused: a worker the launcher
# started as the database was dropped finds it gone, once

my $log = slurp_file($node->logfile);
my @errors = grep { !/canceling statement due to user request|permission denied|outside the valid range|does not run on a standby|terminating background worker|FATAL:  database \d+ does not exist/ }
	($log =~ /^.*(?:ERROR|PANIC|FATAL|server process .* was terminated by signal).*$/mg);
is(join("\n", @errors), '', 'the server log has no unexpected errors');
$node->stop;

# --- without preloading: vecgraph_worker_start()

my $dyn = PostgreSQL::Test::Cluster->new('maint_dyn');
$dyn->init;
$dyn->append_conf('postgresql.conf', q{
vecgraph.worker_naptime = 1
autovacuum = off
});
$dyn->start;
$dyn->safe_psql('postgres', 'CREATE EXTENSION vecgraph');
is($dyn->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type LIKE 'vecgraph maintenance%'}),
	'0', 'without preloading no worker starts by itself');
make_table($dyn, 'postgres', 't', 2000);
$pid = $dyn->safe_psql('postgres', 'SELECT vecgraph_worker_start()');
like($pid, qr/^\d+$/, 'vecgraph_worker_start() starts a worker');
($rc, $out, $err) = $dyn->psql('postgres', 'SELECT vecgraph_worker_start()');
is($out, $pid, 'a second call finds it running');
like($err, qr/running already/, '... and says so');
is($dyn->safe_psql('postgres', q{SELECT kind FROM vecgraph_worker_status() WHERE pid IS NOT NULL}),
	'worker (started by SQL)', 'status shows it');
$dyn->safe_psql('postgres', 'DELETE FROM t WHERE id <= 500');
wait_for($dyn, 'postgres', q{SELECT dead_nodes FROM vecgraph_index_health('t_v_idx')}, 500,
	'it marks dead rows');
is($dyn->safe_psql('postgres', 'SELECT vecgraph_worker_stop()'), 't', 'vecgraph_worker_stop() stops it');
wait_for($dyn, 'postgres', qq{SELECT count(*) FROM pg_stat_activity WHERE pid = $pid}, 0, '... and it is gone');
$pid = $dyn->safe_psql('postgres', 'SELECT vecgraph_worker_start()');
$dyn->safe_psql('postgres', 'DROP EXTENSION vecgraph CASCADE');
wait_for($dyn, 'postgres', qq{SELECT count(*) FROM pg_stat_activity WHERE pid = $pid}, 0,
	'DROP EXTENSION ends the worker');
$dyn->stop;

done_testing();
