# A vecgraph index on a streaming standby: after each kind of change on the
# primary -- CREATE INDEX over existing rows, inserts, deletes and VACUUM,
# inserts that reuse the slots VACUUM freed, concurrent inserts -- the
# standby, once caught up, holds the same graph: the same ordered index
# scans give the same rows in the same order, vecgraph_index_info agrees,
# and vecgraph_check (which only reads) finds nothing wrong there.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', 'autovacuum = off');
$primary->start;

$primary->safe_psql('postgres', q{
	CREATE EXTENSION vecgraph;
	CREATE TABLE t (id int PRIMARY KEY, v vector(16));
	SELECT setseed(0.125);
	INSERT INTO t
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 2000) i;
});

$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

# Query vectors, fixed by the seed (each stage adds the vectors of a few
# rows to them).
my @queries = split /\n/, $primary->safe_psql('postgres', q{
	SELECT setseed(0.75);
	SELECT (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 4) i;
});
shift @queries if $queries[0] eq '';	# setseed's empty row

# The ordered index scan, as "id:distance" lines; LIMIT 60 beyond
# ef_search 10 takes the scan through several search rounds.
sub knn
{
	my ($node, $q) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 10;
		SELECT string_agg(id || ':' || d, ' ') FROM (
			SELECT id, round((v <-> '$q')::numeric, 6) AS d
			FROM t ORDER BY v <-> '$q' LIMIT 60) s;
	});
}

# Waits for the standby, then compares the ordered scans of the random
# query vectors and of the probe rows' vectors, and vecgraph_index_info.
sub compare_nodes
{
	my ($stage, $probe_ids) = @_;

	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));

	my @q = @queries;
	push @q, map {
		$primary->safe_psql('postgres', "SELECT v FROM t WHERE id = $_")
	} @$probe_ids;
	my $n = 0;
	for my $q (@q)
	{
		$n++;
		my $on_primary = knn($primary, $q);
		isnt($on_primary, '', "$stage: query $n finds rows on the primary");
		is(knn($standby, $q), $on_primary,
			"$stage: query $n gives the same rows in the same order on the standby");
	}

	my $info = q{SELECT nodes, deleted_nodes, pages, levels, entry_point, mean_out_degree
		FROM vecgraph_index_info('t_v_idx')};
	is($standby->safe_psql('postgres', $info), $primary->safe_psql('postgres', $info),
		"$stage: vecgraph_index_info agrees");
}

# The standby's index is sound and finds every row.  Inserts can leave a
# node without in-links until VACUUM links it, so after inserts the
# callers VACUUM the primary first.
sub check_standby
{
	my ($stage, $probe_ids) = @_;

	$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
	is( $standby->safe_psql('postgres',
			q{SELECT string_agg(p, E'\n') FROM vecgraph_check('t_v_idx') p}),
		'', "$stage: vecgraph_check on the standby finds no problem");

	my $rows = $standby->safe_psql('postgres', 'SELECT count(*) FROM t');
	is( $standby->safe_psql('postgres', qq{
			SET enable_seqscan = off;
			SET vecgraph.ef_search = 10;
			SET vecgraph.max_scan_tuples = 100000;
			SET work_mem = '256MB';
			SELECT count(DISTINCT id) FROM (
				SELECT id FROM t ORDER BY v <-> '$queries[0]' LIMIT $rows) s;
		}),
		$rows, "$stage: an index scan on the standby returns all $rows rows");

	# A row's own vector finds it first.  The search is approximate: in
	# uniform 16-dimensional data a node now and then has in-links only
	# from far away and takes a wide search to find, so search wide.
	for my $id (@$probe_ids)
	{
		my $v = $primary->safe_psql('postgres', "SELECT v FROM t WHERE id = $id");
		is( $standby->safe_psql('postgres', qq{
				SET enable_seqscan = off;
				SET vecgraph.ef_search = 1000;
				SELECT id || ' ' || (v <-> '$v') FROM t ORDER BY v <-> '$v' LIMIT 1;
			}),
			"$id 0", "$stage: row $id is its own nearest neighbour on the standby");
	}
}

sub vacuum_primary
{
	$primary->safe_psql('postgres', 'VACUUM t');
}

sub info
{
	my ($node, $col) = @_;
	return $node->safe_psql('postgres',
		"SELECT $col FROM vecgraph_index_info('t_v_idx')");
}

# 1. CREATE INDEX over the existing rows.
$primary->safe_psql('postgres',
	'CREATE INDEX t_v_idx ON t USING vecgraph (v) WITH (m = 8, ef_construction = 32)');
compare_nodes('create index', [ 1, 777, 2000 ]);
check_standby('create index', [ 1, 777, 2000 ]);
like( $standby->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <-> '$queries[0]' LIMIT 5;
	}),
	qr/Index Scan using t_v_idx/, 'the standby scans the index');

# 2. Inserts: one large statement and many one-row transactions.
$primary->safe_psql('postgres', q{
	INSERT INTO t
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(2001, 3000) i;
});
for my $i (3001 .. 3050)
{
	$primary->safe_psql('postgres', qq{
		INSERT INTO t SELECT $i, (SELECT array_agg(random()) FROM generate_series(1, 16))::vector;
	});
}
compare_nodes('inserts', [ 5, 2500, 3050 ]);
vacuum_primary();
compare_nodes('inserts, after VACUUM', [ 5, 2500, 3050 ]);
check_standby('inserts', [ 5, 2500, 3050 ]);

# 3. Deletes and VACUUM: the deleted rows' nodes become free slots.
my $pages_before = info($primary, 'pages');
$primary->safe_psql('postgres', q{
	DELETE FROM t WHERE id % 7 = 0;
	VACUUM t;
});
cmp_ok(info($standby, 'deleted_nodes'), '>', 0,
	'deletes + vacuum: the standby sees the freed slots');
compare_nodes('deletes + vacuum', [ 1, 2001, 3050 ]);
check_standby('deletes + vacuum', [ 1, 2001, 3050 ]);

# 4. Inserts that reuse the freed slots: the index does not grow.
my $free = info($primary, 'deleted_nodes');
$primary->safe_psql('postgres', qq{
	INSERT INTO t
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(4001, 4000 + $free) i;
});
is(info($primary, 'pages'), $pages_before, 'slot reuse: the index did not grow');
cmp_ok(info($primary, 'deleted_nodes'), '<', $free, 'slot reuse: free slots were taken');
compare_nodes('slot reuse', [ 4001, 4000 + $free, 13 ]);
vacuum_primary();
compare_nodes('slot reuse, after VACUUM', [ 4001, 4000 + $free, 13 ]);
check_standby('slot reuse', [ 4001, 4000 + $free, 13 ]);

# 5. Concurrent inserts and deletes on the primary while the standby, as it
# replays them, answers ordered scans; then VACUUM (which links any node
# that concurrent inserts left without an in-link).
$primary->safe_psql('postgres', 'CREATE SEQUENCE vg_ids');
my $dir = $primary->basedir;
PostgreSQL::Test::Utils::append_to_file("$dir/vg_insert", q{
INSERT INTO t
SELECT 10000 + nextval('vg_ids'), (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE g > 0)::vector
FROM generate_series(1, 5) g;
});
PostgreSQL::Test::Utils::append_to_file("$dir/vg_delete", q{
\set d random(1, 4000)
DELETE FROM t WHERE id = :d;
});
my ($bench_out, $bench_err) = ('', '');
my $bench = IPC::Run::start(
	[
		'pgbench', '--no-vacuum', '--client=4', '--jobs=2',
		'--transactions=100', '--rate=200', '-h', $primary->host,
		'-p', $primary->port, '-f', "$dir/vg_insert\@4",
		'-f', "$dir/vg_delete\@1", 'postgres'
	],
	'>', \$bench_out, '2>', \$bench_err);
my ($scans, $scan_errors) = (0, '');
while ($bench->pumpable)
{
	$bench->pump_nb;
	my ($ret, $out, $err) = $standby->psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 10;
		SELECT count(*) FROM (SELECT id FROM t ORDER BY v <-> '$queries[1]' LIMIT 50) s;
	});
	$scans++;
	$scan_errors .= "$ret: $out $err\n" if $ret != 0 || $out ne '50';
}
$bench->finish;
like($bench_out, qr{processed: 400/400}, 'concurrent inserts on the primary');
is($bench_err, '', 'pgbench reports no error');
is($scan_errors, '', "$scans scans on the standby during replay all returned 50 rows");
my @probes = (10001, $primary->safe_psql('postgres', 'SELECT max(id) FROM t'));
compare_nodes('concurrent inserts', \@probes);
vacuum_primary();
compare_nodes('concurrent inserts, after VACUUM', \@probes);
check_standby('concurrent inserts', \@probes);

is($standby->safe_psql('postgres', 'SELECT count(*) FROM t'),
	$primary->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'the standby has every row');

$standby->stop;
$primary->stop;
done_testing();
