# Upgrading: a database that installed vecgraph 0.1.0 (its install script
# is kept in the repository) runs ALTER EXTENSION vecgraph UPDATE; the
# update ends up with the same objects as a fresh install of the current
# version, names the indexes whose pages are of an older format, and
# queries, inserts and VACUUM keep working.  An index of an older format
# raises a clear error naming the REINDEX that fixes it, on every access.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade');
$node->init;
$node->append_conf('postgresql.conf', 'autovacuum = off');
$node->start;

my $current = $node->safe_psql('postgres',
	q{SELECT default_version FROM pg_available_extensions WHERE name = 'vecgraph'});
$node->safe_psql('postgres', q{
	CREATE EXTENSION vecgraph VERSION '0.1.0';
	SELECT setseed(0.1);
	CREATE TABLE items (id int PRIMARY KEY, v vector(8));
	INSERT INTO items
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(1, 2000) i;
	CREATE INDEX items_l2 ON items USING vecgraph (v) WITH (m = 8, ef_construction = 32);
	CREATE INDEX items_cos ON items USING vecgraph (v vector_cosine_ops) WITH (partitions = 2);
	CREATE TABLE old_items AS SELECT * FROM items;
	CREATE INDEX old_l2 ON old_items USING vecgraph (v);
});
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'vecgraph'}),
	'0.1.0', 'version 0.1.0 is installed');

# An index as 0.1.0 wrote it: format 1 in the metapage (contents start at
# byte 24 of block 0: magic, then the format version).
my $old_file = $node->data_dir . '/' .
  $node->safe_psql('postgres', q{SELECT pg_relation_filepath('old_l2')});
$node->stop;
open(my $fh, '+<', $old_file) or die "cannot open $old_file: $!";
binmode $fh;
seek($fh, 28, 0);
print $fh pack('V', 1);
close $fh;
$node->start;

my $query = q{
	SET enable_seqscan = off;
	SELECT string_agg(id::text, ',') FROM (
		SELECT id FROM %s ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 5) s;
};
my ($ret, $out, $err) = $node->psql('postgres', sprintf($query, 'old_items'));
like($err, qr/index "old_l2" has format version 1, this version of vecgraph reads format 2/,
	'an index of an older format is refused');
like($err, qr/HINT:  Rebuild it with REINDEX INDEX public\.old_l2\./, '... with the REINDEX to run');
($ret, $out, $err) = $node->psql('postgres',
	q{INSERT INTO old_items VALUES (0, '[1,1,1,1,1,1,1,1]')});
like($err, qr/format version 1/, 'inserts are refused too');

my $before = $node->safe_psql('postgres', sprintf($query, 'items'));
($ret, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION vecgraph UPDATE');
is($ret, 0, 'ALTER EXTENSION vecgraph UPDATE runs');
like($err, qr/WARNING:  index old_l2 was built by vecgraph 0\.1\.0 and must be rebuilt/,
	'the update names the index to rebuild');
unlike($err, qr/index items_/, 'and only that one');
is($node->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'vecgraph'}),
	$current, "the extension is at $current");
is($node->safe_psql('postgres', sprintf($query, 'items')), $before,
	'queries give the same answers after the update');
is($node->safe_psql('postgres', q{
		SELECT string_agg(vecgraph_index_format(i)::text, ',' ORDER BY i::text)
		FROM unnest(ARRAY['items_cos', 'items_l2', 'old_l2']::regclass[]) i}),
	'2,2,1', 'vecgraph_index_format tells the formats apart');

# The updated extension has exactly the objects of a fresh install.
my $objects = q{
	SELECT string_agg(pg_describe_object(classid, objid, objsubid), E'\n'
					  ORDER BY pg_describe_object(classid, objid, objsubid))
	FROM pg_depend WHERE refclassid = 'pg_extension'::regclass AND deptype = 'e'
	  AND refobjid = (SELECT oid FROM pg_extension WHERE extname = 'vecgraph');
};
$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION vecgraph');
is($node->safe_psql('postgres', $objects), $node->safe_psql('fresh', $objects),
	'the updated extension has the objects of a fresh install');

$node->safe_psql('postgres', 'REINDEX INDEX old_l2');
is($node->safe_psql('postgres', q{SELECT vecgraph_index_format('old_l2')}), '2',
	'REINDEX rebuilds the old index in the current format');
like($node->safe_psql('postgres', sprintf($query, 'old_items')), qr/^\d+(,\d+){4}$/,
	'the rebuilt index answers queries');

# Inserts and VACUUM on the indexes the update kept.
$node->safe_psql('postgres', q{
	INSERT INTO items
	SELECT 10000 + i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
	FROM generate_series(1, 500) i;
	DELETE FROM items WHERE id % 3 = 0;
	VACUUM items;
	INSERT INTO old_items SELECT * FROM items WHERE id > 10000;
});
for my $index ('items_l2', 'items_cos', 'old_l2')
{
	is($node->safe_psql('postgres', "SELECT count(*) FROM vecgraph_check('$index')"), '0',
		"$index is sound after inserts and VACUUM");
}
is( $node->safe_psql('postgres', q{
		SET enable_seqscan = off;
		SELECT count(*) FROM items WHERE id > 10000 AND id = (
			SELECT i2.id FROM items i2 ORDER BY i2.v <-> items.v LIMIT 1)}),
	$node->safe_psql('postgres', 'SELECT count(*) FROM items WHERE id > 10000'),
	'every row inserted after the update is found by its own vector');

$node->stop;
done_testing();
