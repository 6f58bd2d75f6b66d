# Dump and restore: a database with vecgraph indexes of every operator
# class and option goes through pg_dump -Fc and pg_restore into a new
# database.  The restored indexes are valid and sound, and answer the same
# 100 queries with the same ids.  Builds are serial here, so that the same
# rows in the same order give the same graph.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', q{
autovacuum = off
max_parallel_maintenance_workers = 0
});
$node->start;

# One table per index, each a copy of the same rows, so that each query
# can only use its own index.
my %indexes = (
	items_l2 => ['vector_l2_ops', '', '<->', ''],
	items_ip => ['vector_ip_ops', 'WITH (m = 8, ef_construction = 40)', '<#>', ''],
	items_cos => ['vector_cosine_ops', 'WITH (partitions = 3)', '<=>', ''],
	items_l1 => ['vector_l1_ops', 'WITH (keep_pruned = on)', '<+>', ''],
	items_part => ['vector_l2_ops', 'WITH (m = 12) WHERE id % 2 = 0', '<->', 'WHERE id % 2 = 0'],
);
$node->safe_psql('postgres', 'CREATE DATABASE source');
$node->safe_psql('source', q{
	CREATE EXTENSION vecgraph;
	SELECT setseed(0.2);
	CREATE TABLE rows AS
	SELECT i AS id, (SELECT array_agg(random() - 0.5) FROM generate_series(1, 12) WHERE i > 0)::vector(12) AS v,
		'row ' || i AS note
	FROM generate_series(1, 3000) i;
	CREATE TABLE queries AS
	SELECT i AS qid, (SELECT array_agg(random() - 0.5) FROM generate_series(1, 12) WHERE i > 0)::vector AS q
	FROM generate_series(1, 100) i;
});
for my $table (sort keys %indexes)
{
	my ($opclass, $options) = @{ $indexes{$table} };
	$node->safe_psql('source', qq{
		CREATE TABLE $table (id int PRIMARY KEY, v vector(12), note text);
		INSERT INTO $table SELECT * FROM rows ORDER BY id;
		CREATE INDEX ${table}_v ON $table USING vecgraph (v $opclass) $options;
	});
}

# The 100 queries' top-10 ids through the index of a table.
sub answers
{
	my ($db, $table) = @_;
	my (undef, undef, $op, $where) = @{ $indexes{$table} };
	return $node->safe_psql($db, qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = 60;
		SELECT string_agg(ids, E'\n' ORDER BY qid) FROM (
			SELECT qid, (SELECT string_agg(id::text, ',') FROM (
					SELECT id FROM $table $where ORDER BY v $op q LIMIT 10) s) AS ids
			FROM queries) a;
	});
}
my %before = map { $_ => answers('source', $_) } keys %indexes;
like($before{items_l2}, qr/^(\d+(,\d+){9}\n){99}\d+(,\d+){9}$/, 'each query gets ten rows');

my $dump = $node->basedir . '/source.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-h', $node->host, '-p', $node->port, '-f', $dump, 'source' ],
	'pg_dump -Fc of the database');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok(
	[ 'pg_restore', '--exit-on-error', '-h', $node->host, '-p', $node->port, '-d', 'restored', $dump ],
	'pg_restore into a new database');

is( $node->safe_psql('restored', q{
		SELECT string_agg(c.relname || ' ' || i.indisvalid || ' ' || i.indisready, ', ' ORDER BY c.relname)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_am a ON a.oid = c.relam
		WHERE a.amname = 'vecgraph'}),
	join(', ', map { "${_}_v true true" } sort keys %indexes),
	'every vecgraph index is restored, valid and ready');
is( $node->safe_psql('restored', q{
		SELECT string_agg(c.relname || ' ' || coalesce(array_to_string(c.reloptions, ','), ''), '; ' ORDER BY c.relname)
		FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'vecgraph'}),
	$node->safe_psql('source', q{
		SELECT string_agg(c.relname || ' ' || coalesce(array_to_string(c.reloptions, ','), ''), '; ' ORDER BY c.relname)
		FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE a.amname = 'vecgraph'}),
	'with the same options');
for my $table (sort keys %indexes)
{
	is($node->safe_psql('restored', "SELECT count(*) FROM vecgraph_check('${table}_v')"), '0',
		"${table}_v is sound after the restore");
	is(answers('restored', $table), $before{$table},
		"${table}_v answers the 100 queries with the same ids");
}

$node->stop;
done_testing();
