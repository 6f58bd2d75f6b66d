# Crash recovery of a vecgraph index: a graph built by CREATE INDEX, then
# grown by concurrent inserts (with deletes, a VACUUM that frees slots and
# inserts that reuse them) after the last checkpoint, survives an immediate
# shutdown.  Everything after the checkpoint reaches the index only through
# WAL replay, so the checks after the restart test the WAL records.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('crash');
$node->init;
# No checkpoint may happen between the explicit one below and the crash.
$node->append_conf('postgresql.conf', q{
checkpoint_timeout = '1h'
max_wal_size = '4GB'
autovacuum = off
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION vecgraph;
	CREATE TABLE t (id int PRIMARY KEY, v vector(16));
	CREATE SEQUENCE t_id START 2001;
	SELECT setseed(0.5);
	INSERT INTO t
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 2000) i;
	CREATE INDEX t_v_idx ON t USING vecgraph (v) WITH (m = 8, ef_construction = 32);
	CHECKPOINT;
});
is($node->safe_psql('postgres', q{SELECT count(*) FROM vecgraph_check('t_v_idx')}),
	'0', 'the freshly built index is sound');

# Concurrent inserts, five rows a transaction, with a few deletes mixed in.
my $insert = q{
INSERT INTO t
SELECT nextval('t_id'), (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE g > 0)::vector
FROM generate_series(1, 5) g;
};
my $delete = q{
\set d random(1, 2000)
DELETE FROM t WHERE id = :d;
};
$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --transactions=100',
	0,
	[qr{processed: 400/400}],
	[qr{^$}],
	'concurrent inserts and deletes',
	{ 'vg_insert@9' => $insert, 'vg_delete@1' => $delete });

# VACUUM marks the deleted rows' nodes free; the next inserts reuse them.
$node->safe_psql('postgres', q{
	DELETE FROM t WHERE id % 50 = 0 AND id <= 2000;
	VACUUM t;
});
$node->pgbench(
	'--no-vacuum --client=4 --jobs=2 --transactions=100',
	0,
	[qr{processed: 400/400}],
	[qr{^$}],
	'concurrent inserts after VACUUM',
	{ 'vg_insert2' => $insert });
$node->safe_psql('postgres', 'DELETE FROM t WHERE id % 97 = 0');

# A transaction still open at the crash: its rows are in the index but
# must not come back.
my $open = $node->background_psql('postgres');
$open->query_safe(q{
	BEGIN;
	INSERT INTO t
	SELECT 100000 + i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 300) i;
});

my $rows_before = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
my $sum_before = $node->safe_psql('postgres', 'SELECT sum(id) FROM t');
my $max_before = $node->safe_psql('postgres', 'SELECT max(id) FROM t');
my $nodes_before = $node->safe_psql('postgres',
	q{SELECT nodes + deleted_nodes FROM vecgraph_index_info('t_v_idx')});
cmp_ok($max_before, '>', 5000, 'the concurrent inserts went in');
cmp_ok($rows_before, '>', 5000, 'the table has the inserted rows');

# Ordered scans before the crash, to be compared after recovery.
my @probes = (17, 1999, 2500, 3333, $max_before);
my $knn = sub {
	my ($id) = @_;
	return qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 40;
		SELECT string_agg(id::text, ',') FROM (
			SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = $id) LIMIT 10) s;
	};
};
my %knn_before = map { $_ => $node->safe_psql('postgres', $knn->($_)) } @probes;

# Reads the whole index in one ordered scan of $rows rows: "count distinct".
my $scan_all = sub {
	my ($rows) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 10;
		SET vecgraph.max_scan_tuples = 100000;
		SET work_mem = '256MB';
		SELECT count(*) || ' ' || count(DISTINCT id) FROM (
			SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT $rows) s;
	});
};

my $log_offset = -s $node->logfile;
$node->stop('immediate');
$open->quit;					# its server is gone
$node->start;

is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server came back');
ok($node->log_contains(qr/redo starts at/, $log_offset),
	'the restart replayed WAL');

is($node->safe_psql('postgres', 'SELECT count(*) FROM t'), $rows_before,
	'every committed row survived the crash');
is($node->safe_psql('postgres', 'SELECT sum(id) FROM t'), $sum_before,
	'the same rows survived the crash');
is($node->safe_psql('postgres', 'SELECT count(*) FROM t WHERE id > 100000'), '0',
	'the open transaction\'s rows are gone');
is( $node->safe_psql('postgres',
		q{SELECT nodes + deleted_nodes FROM vecgraph_index_info('t_v_idx')}),
	$nodes_before,
	'the index has as many nodes as before the crash');

# The replayed index pages are those the scans read before the crash.
for my $id (@probes)
{
	is($node->safe_psql('postgres', $knn->($id)), $knn_before{$id},
		"the ten nearest neighbours of row $id are unchanged by recovery");
}

$node->safe_psql('postgres', 'VACUUM t');
is($node->safe_psql('postgres', q{SELECT string_agg(p, E'\n') FROM vecgraph_check('t_v_idx') p}),
	'', 'vecgraph_check finds no problem after recovery and VACUUM');

my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
is($scan_all->($rows), "$rows $rows", 'an index scan returns every row exactly once');

like( $node->safe_psql('postgres', q{
		SET enable_seqscan = off;
		EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <-> '[0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0]' LIMIT 1;
	}),
	qr/Index Scan using t_v_idx/, 'the nearest-neighbour queries use the index');

# Each row is its own nearest neighbour: rows from the build, rows inserted
# before and after the VACUUM, and the last row inserted.  The search is
# approximate: in uniform 16-dimensional data a node now and then has
# in-links only from far away and takes a wide search to find, so search
# wide.
for my $id (1, 1234, 2001, 3000, 4500, $max_before)
{
	my $vec = $node->safe_psql('postgres', "SELECT v FROM t WHERE id = $id");
	next if $vec eq '';			# deleted by the random deletes
	is( $node->safe_psql('postgres', qq{
			SET enable_seqscan = off;
			SET vecgraph.ef_search = 1000;
			SELECT id || ' ' || (v <-> '$vec') FROM t ORDER BY v <-> '$vec' LIMIT 1;
		}),
		"$id 0",
		"row $id is its own nearest neighbour");
}

# The index keeps working after recovery.
$node->safe_psql('postgres', q{
	INSERT INTO t
	SELECT 0, (SELECT array_agg(random()) FROM generate_series(1, 16))::vector;
	VACUUM t;
});
my $zero = $node->safe_psql('postgres', 'SELECT v FROM t WHERE id = 0');
is( $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 1000;
		SELECT id FROM t ORDER BY v <-> '$zero' LIMIT 1;
	}),
	'0', 'a row inserted after recovery is found');

# A second crash, this time in the middle of concurrent inserts: pages
# half-way through a multi-page change must come back consistent.
my $committed = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
my $bench_script = $node->basedir . '/vg_insert_running';
PostgreSQL::Test::Utils::append_to_file($bench_script, $insert);
my ($bench_out, $bench_err) = ('', '');
my $bench = IPC::Run::start(
	[
		'pgbench', '--no-vacuum', '--client=4', '--jobs=2',
		'--transactions=250', '--rate=400', '-h', $node->host, '-p', $node->port,
		'-f', $bench_script, 'postgres'
	],
	'>', \$bench_out, '2>', \$bench_err);
# Ordered scans run beside the inserts until 2,500 rows have gone in.
my ($scans, $scan_errors) = (0, '');
my $deadline = time + $PostgreSQL::Test::Utils::timeout_default;
for (;;)
{
	die 'the inserts did not go in' if time > $deadline;
	my ($ret, $out, $err) = $node->psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 10;
		SELECT count(*) || ' ' || count(DISTINCT id) FROM (
			SELECT id FROM t ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]'
			LIMIT 200) s;
		SELECT count(*) >= $committed + 2500 FROM t;
	});
	$scans++;
	$scan_errors .= "$ret: $out $err\n" if $ret != 0 || $out !~ /^200 200\n/;
	last if $out =~ /\nt$/;
}
is($scan_errors, '', "$scans ordered scans beside the inserts returned 200 distinct rows each");
my $seen = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
$node->stop('immediate');
$bench->finish;
note "pgbench after the crash: $bench_err";
unlike($bench_out, qr{processed: 1000/1000}, 'the crash interrupted the inserts');
$node->start;

my $after = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
cmp_ok($after, '>=', $seen, 'rows committed before the second crash survived it');
$node->safe_psql('postgres', 'VACUUM t');
is($node->safe_psql('postgres', q{SELECT string_agg(p, E'\n') FROM vecgraph_check('t_v_idx') p}),
	'', 'vecgraph_check finds no problem after a crash during inserts');
is($scan_all->($after), "$after $after",
	'after the second crash an index scan returns every row exactly once');
my $last = $node->safe_psql('postgres', 'SELECT v FROM t ORDER BY id DESC LIMIT 1');
is( $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 1000;
		SELECT v <-> '$last' FROM t ORDER BY v <-> '$last' LIMIT 1;
	}),
	'0', 'the last row committed before the second crash is found by its vector');

$node->stop;
done_testing();
