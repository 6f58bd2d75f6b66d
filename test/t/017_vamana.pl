# Vamana indexes (graph = 'vamana'): a parallel build launches workers and
# builds a sound graph that finds what a serial build finds; a Vamana index
# survives an immediate shutdown after inserts, deletes and a VACUUM past
# the last checkpoint, and replays on a streaming standby to the same
# graph: the same ordered scans, the same rows in the same order.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('vamana_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', q{
autovacuum = off
checkpoint_timeout = '1h'
max_wal_size = '4GB'
max_worker_processes = 8
max_parallel_workers = 8
maintenance_work_mem = '256MB'
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION vecgraph');
$primary->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v vector(24));
	SELECT setseed(0.25);
	INSERT INTO t
	SELECT i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 24) WHERE i > 0)
	FROM generate_series(1, 6000) i;
	ANALYZE t;
});

# Rows of the 10 nearest of each probe found through an index, by the
# probes' ids: how many of the exact answers it found.
sub found_of_exact
{
	my ($node, $index) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 40;
		SELECT sum((SELECT count(*) FROM
			(SELECT id FROM t ORDER BY v <-> p.v LIMIT 10) i
			JOIN (SELECT id FROM t ORDER BY v <-> p.v, id OFFSET 0 LIMIT 10) e USING (id)))
		FROM t p WHERE p.id % 60 = 1;
	});
}

# --- a parallel build with workers, against a serial one
my ($ret, $out, $err) = $primary->psql('postgres', q{
	SET client_min_messages = debug1;
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	CREATE INDEX t_par ON t USING vecgraph (v) WITH (graph = 'vamana', degree = 16);
});
is($ret, 0, 'the parallel Vamana build succeeds') or diag $err;
my $workers = $primary->safe_psql('postgres',
	q{SELECT build_workers FROM vecgraph_index_info('t_par')});
cmp_ok($workers, '>=', 1, "the parallel Vamana build launched workers ($workers)");
unlike($err, qr/NOTICE|WARNING/, 'the parallel build gives no notice or warning');
is($primary->safe_psql('postgres', q{SELECT count(*) FROM vecgraph_check('t_par')}),
	'0', 'vecgraph_check finds the parallel-built graph sound');
my $parallel_found = found_of_exact($primary, 't_par');
$primary->safe_psql('postgres', q{
	DROP INDEX t_par;
	SET max_parallel_maintenance_workers = 0;
	CREATE INDEX t_ser ON t USING vecgraph (v) WITH (graph = 'vamana', degree = 16);
});
is($primary->safe_psql('postgres', q{SELECT build_workers FROM vecgraph_index_info('t_ser')}),
	'0', 'the serial build used no worker');
my $serial_found = found_of_exact($primary, 't_ser');
cmp_ok($parallel_found, '>=', 0.97 * $serial_found,
	"the parallel build finds what the serial one does ($parallel_found and $serial_found of 1000)");

# A table so small that the leader loads it before a worker starts: the
# worker joins a later step (and ends the heap scan it never ran).
($ret, $out, $err) = $primary->psql('postgres', q{
	CREATE TABLE small (id int, v vector(4));
	INSERT INTO small SELECT i, ARRAY[i, i % 7, i % 11, 1]::real[] FROM generate_series(1, 300) i;
	SET max_parallel_maintenance_workers = 2;
	SET min_parallel_table_scan_size = 0;
	ALTER TABLE small SET (parallel_workers = 2);
	CREATE INDEX small_v ON small USING vecgraph (v) WITH (graph = 'vamana', degree = 8);
});
is($ret, 0, 'a parallel Vamana build of a tiny table succeeds') or diag $err;
unlike($err, qr/WARNING/, '... without warnings');
is($primary->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM vecgraph_check('small_v')) || ' ' ||
			   (SELECT nodes FROM vecgraph_index_info('small_v'))}),
	'0 300', '... and its graph holds every row, sound');
$primary->safe_psql('postgres', 'DROP TABLE small');
# Whichever participant joined after the load, none leaked what the heap
# scan opens (workers' warnings reach only the server log).
unlike(slurp_file($primary->logfile), qr/reference leak/,
	'no participant of the parallel builds leaked a reference');

# --- crash recovery and a standby
$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('vamana_standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

$primary->safe_psql('postgres', 'CHECKPOINT');
# Past the checkpoint: inserts (which rewrite lists of existing nodes),
# deletes and a VACUUM that frees slots, then inserts that reuse them.
$primary->safe_psql('postgres', q{
	INSERT INTO t
	SELECT 6000 + i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 24) WHERE i > 0)
	FROM generate_series(1, 1500) i;
	DELETE FROM t WHERE id % 7 = 0;
	VACUUM t;
	INSERT INTO t
	SELECT 8000 + i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 24) WHERE i > 0)
	FROM generate_series(1, 500) i;
});

sub knn
{
	my ($node, $probe) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 20;
		SELECT string_agg(id || ':' || d, ' ') FROM (
			SELECT id, round((v <-> q)::numeric, 5) AS d
			FROM t, (SELECT v AS q FROM t WHERE id = $probe) p
			ORDER BY v <-> q LIMIT 30) s;
	});
}

my @probes = (1, 1234, 5998, 6502, 8401);	# none a multiple of 7 (deleted)
my %before;
for my $p (@probes)
{
	$before{$p} = knn($primary, $p);
	isnt($before{$p}, '', "probe $p finds rows through the Vamana index");
}

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
for my $p (@probes)
{
	is(knn($standby, $p), $before{$p}, "standby: probe $p gets the same rows in order");
}
is($standby->safe_psql('postgres', q{SELECT count(*) FROM vecgraph_check('t_ser')}),
	'0', 'vecgraph_check finds the index sound on the standby');

$primary->stop('immediate');
$primary->start;
for my $p (@probes)
{
	is(knn($primary, $p), $before{$p}, "after the crash: probe $p gets the same rows in order");
}
is($primary->safe_psql('postgres', q{SELECT count(*) FROM vecgraph_check('t_ser')}),
	'0', 'vecgraph_check finds the index sound after recovery');
is($primary->safe_psql('postgres', q{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 1000;
		SET vecgraph.max_scan_tuples = 100000;
		SET work_mem = '256MB';
		SELECT count(DISTINCT id) FROM (
			SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT 100000) s}),
	$primary->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'every row comes back from a full scan of the index after recovery');
# inserts still work after recovery
$primary->safe_psql('postgres', q{
	INSERT INTO t
	SELECT 9000 + i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 24) WHERE i > 0)
	FROM generate_series(1, 200) i;
});
is($primary->safe_psql('postgres', q{SELECT count(*) FROM vecgraph_check('t_ser')}),
	'0', 'and so it stays after inserts following recovery');

$standby->stop;
$primary->stop;
done_testing();
