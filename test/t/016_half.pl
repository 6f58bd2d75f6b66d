# Half precision: a binary COPY round trip of 10,000 random 3,072-dimension
# halfvec rows; and indexes with half storage (a vector column WITH
# (storage = 'half'), a halfvec column) that survive an immediate shutdown
# after inserts past the last checkpoint, and replay on a streaming standby
# to the same graph: the same ordered scans, the same rows in the same order.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $primary = PostgreSQL::Test::Cluster->new('half_primary');
$primary->init(allows_streaming => 1);
$primary->append_conf('postgresql.conf', q{
autovacuum = off
checkpoint_timeout = '1h'
max_wal_size = '4GB'
});
$primary->start;
$primary->safe_psql('postgres', 'CREATE EXTENSION vecgraph');

# --- binary COPY of wide halfvec rows
$primary->safe_psql('postgres', q{
	CREATE TABLE src (id int PRIMARY KEY, v halfvec(3072));
	CREATE TABLE dst (LIKE src);
	SELECT setseed(0.5);
	INSERT INTO src
	SELECT i, (SELECT array_agg(random() * 200 - 100) FROM generate_series(1, 3072)
			   WHERE i > 0)::real[]::halfvec
	FROM generate_series(1, 10000) i;
});
my $dir = $primary->basedir;
$primary->safe_psql('postgres', qq{
	COPY src TO '$dir/src.bin' (FORMAT binary);
	COPY dst FROM '$dir/src.bin' (FORMAT binary);
	COPY (SELECT * FROM dst ORDER BY id) TO '$dir/dst.bin' (FORMAT binary);
	COPY (SELECT * FROM src ORDER BY id) TO '$dir/src_sorted.bin' (FORMAT binary);
});
is($primary->safe_psql('postgres', q{
		SELECT count(*) FROM src JOIN dst USING (id) WHERE halfvec_send(src.v) = halfvec_send(dst.v)}),
	'10000', 'binary COPY round trip: 10,000 halfvec(3072) rows bit for bit');
is(slurp_file("$dir/src_sorted.bin"), slurp_file("$dir/dst.bin"),
	'... and the copy writes the same bytes');
is(-s "$dir/dst.bin", 10000 * (2 + 4 + 4 + 4 + 4 + 2 * 3072) + 19 + 2,
	'each value is 2 bytes an element in the binary form');
$primary->safe_psql('postgres', 'DROP TABLE src, dst');

# --- indexes with half storage: crash recovery and a standby
$primary->safe_psql('postgres', q{
	CREATE TABLE t (id int PRIMARY KEY, v vector(24), h halfvec(24));
	SELECT setseed(0.25);
	INSERT INTO t (id, v)
	SELECT i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 24) WHERE i > 0)
	FROM generate_series(1, 3000) i;
	UPDATE t SET h = v::halfvec;
	CREATE INDEX t_v_half ON t USING vecgraph (v) WITH (storage = 'half', m = 8);
	CREATE INDEX t_h ON t USING vecgraph (h halfvec_cosine_ops) WITH (m = 8);
});
$primary->backup('backup');
my $standby = PostgreSQL::Test::Cluster->new('half_standby');
$standby->init_from_backup($primary, 'backup', has_streaming => 1);
$standby->start;

$primary->safe_psql('postgres', 'CHECKPOINT');
# Past the checkpoint: inserts (which rewrite lists of existing nodes),
# deletes and a VACUUM that frees slots, then inserts that reuse them.
$primary->safe_psql('postgres', q{
	INSERT INTO t (id, v)
	SELECT 3000 + i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 24) WHERE i > 0)
	FROM generate_series(1, 1500) i;
	DELETE FROM t WHERE id % 7 = 0;
	VACUUM t;
	INSERT INTO t (id, v)
	SELECT 5000 + i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 24) WHERE i > 0)
	FROM generate_series(1, 500) i;
	UPDATE t SET h = v::halfvec WHERE id > 3000;
});

sub knn
{
	my ($node, $column, $op, $probe) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 20;
		SELECT string_agg(id || ':' || d, ' ') FROM (
			SELECT id, round(($column $op q)::numeric, 5) AS d
			FROM t, (SELECT $column AS q FROM t WHERE id = $probe) p
			ORDER BY $column $op q LIMIT 30) s;
	});
}

my @probes = (1, 1234, 2999, 3502, 5401);	# none a multiple of 7 (deleted)
my %before;
for my $p (@probes)
{
	$before{"v$p"} = knn($primary, 'v', '<->', $p);
	$before{"h$p"} = knn($primary, 'h', '<=>', $p);
	isnt($before{"v$p"}, '', "probe $p finds rows through the half-storage index");
}

$primary->wait_for_catchup($standby, 'replay', $primary->lsn('insert'));
for my $p (@probes)
{
	is(knn($standby, 'v', '<->', $p), $before{"v$p"},
		"standby: the vector column's half index gives probe $p the same rows in order");
	is(knn($standby, 'h', '<=>', $p), $before{"h$p"},
		"standby: the halfvec index gives probe $p the same rows in order");
}
is($standby->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM vecgraph_check('t_v_half')) + (SELECT count(*) FROM vecgraph_check('t_h'))}),
	'0', 'vecgraph_check finds both indexes sound on the standby');

$primary->stop('immediate');
$primary->start;
for my $p (@probes)
{
	is(knn($primary, 'v', '<->', $p), $before{"v$p"},
		"after the crash: the vector column's half index gives probe $p the same rows");
	is(knn($primary, 'h', '<=>', $p), $before{"h$p"},
		"after the crash: the halfvec index gives probe $p the same rows");
}
is($primary->safe_psql('postgres', q{
		SELECT (SELECT count(*) FROM vecgraph_check('t_v_half')) + (SELECT count(*) FROM vecgraph_check('t_h'))}),
	'0', 'vecgraph_check finds both indexes sound after recovery');
is($primary->safe_psql('postgres', q{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 1000;
		SET vecgraph.max_scan_tuples = 100000;
		SET work_mem = '256MB';
		SELECT count(DISTINCT id) FROM (
			SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 1) LIMIT 100000) s}),
	$primary->safe_psql('postgres', 'SELECT count(*) FROM t'),
	'every row comes back from a full scan of the index after recovery');

# The exact order of a half-storage scan of a vector column holds after
# recovery: the rows of the index come nearest first by the float distance,
# although the graph ranks them by their half copies (the executor rechecks).
# At ef_search 1000 of about 4,000 rows the search also finds the true 15
# nearest; at 200 it does not always (recall@15 0.998 on this data, where
# the graph depends on random node levels), so the breadth is the maximum.
my $near_43 = 'SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 43) LIMIT 100';
my $full_breadth = 'SET enable_seqscan = off; SET vecgraph.ef_search = 1000;';
is($primary->safe_psql('postgres', qq{
		$full_breadth
		SELECT string_agg(id::text, ',') FROM ($near_43) s}),
	$primary->safe_psql('postgres', qq{
		$full_breadth
		CREATE TEMP TABLE found AS $near_43;
		SET enable_indexscan = off;
		SET enable_bitmapscan = off;
		SET enable_seqscan = on;
		SELECT string_agg(id::text, ',' ORDER BY t.v <-> (SELECT v FROM t WHERE id = 43), id)
		FROM t WHERE id IN (SELECT id FROM found)}),
	'a half-storage scan returns its 100 rows in exact distance order');
is($primary->safe_psql('postgres', q{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 1000;
		SELECT string_agg(id::text, ',') FROM (
			SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 43) LIMIT 15) s}),
	$primary->safe_psql('postgres', q{
		SET enable_indexscan = off;
		SELECT string_agg(id::text, ',') FROM (
			SELECT id FROM t ORDER BY v <-> (SELECT v FROM t WHERE id = 43), id LIMIT 15) s}),
	'... and at full breadth the 15 nearest rows, as a sequential scan finds them');

$standby->stop;
$primary->stop;
done_testing();
