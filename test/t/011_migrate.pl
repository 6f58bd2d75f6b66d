# Moving from pgvector, as docs/migrating-from-pgvector.md says: a plain
# dump of a database that uses pgvector (test/data/pgvector_dump.sql, an
# HNSW and an IVFFlat index) is edited with scripts/from-pgvector.sed and
# restored into a new database; the indexes are vecgraph indexes with the
# same options, sound, and answer nearest-neighbour queries as exact search
# does.  Unedited, the dump fails at its first line that needs pgvector.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = $ENV{VG_ROOT} or die 'VG_ROOT must name the source tree';
my $dump = "$root/test/data/pgvector_dump.sql";
my $edited = PostgreSQL::Test::Utils::tempdir() . '/vecgraph.sql';

my $node = PostgreSQL::Test::Cluster->new('migrate');
$node->init;
$node->start;

# pgvector is not installed here: the dump as it is cannot restore.
$node->safe_psql('postgres', 'CREATE DATABASE unedited');
my ($ret, $out, $err) = $node->psql('unedited', undef,
	extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', $dump ]);
isnt($ret, 0, 'the unedited dump does not restore');
like($err, qr/extension "vector" is not available|could not open extension control file/,
	'... because it asks for pgvector');

# Edited as the guide says, it does.
system_or_bail('sh', '-c', "sed -f '$root/scripts/from-pgvector.sed' '$dump' > '$edited'");
my $changed = `diff '$dump' '$edited' | grep -c '^>'`;
chomp $changed;
is($changed, 3, 'the guide\'s edit changes three lines (and drops one)');
$node->safe_psql('postgres', 'CREATE DATABASE migrated');
($ret, $out, $err) = $node->psql('migrated', undef,
	extra_params => [ '-v', 'ON_ERROR_STOP=1', '-f', $edited ]);
is($ret, 0, 'the edited dump restores') or diag($err);

is($node->safe_psql('migrated', 'SELECT count(*), max(id) FROM documents'), '200|200',
	'every row came over');
is($node->safe_psql('migrated', q{SELECT nextval('documents_id_seq')}), '201',
	'and the sequence');
is( $node->safe_psql('migrated', q{
		SELECT string_agg(c.relname || ' ' || a.amname || ' ' || coalesce(array_to_string(c.reloptions, ','), '-'),
						  '; ' ORDER BY c.relname)
		FROM pg_class c JOIN pg_am a ON a.oid = c.relam
		WHERE c.relname LIKE 'documents_embedding_idx%'}),
	'documents_embedding_idx vecgraph m=16,ef_construction=64; documents_embedding_idx1 vecgraph -',
	'both indexes are vecgraph indexes, with the HNSW options kept');
for my $index ('documents_embedding_idx', 'documents_embedding_idx1')
{
	is($node->safe_psql('migrated', "SELECT count(*) FROM vecgraph_check('$index')"), '0',
		"$index is sound");
}

# Nearest neighbours of 20 rows' vectors, through each index and exactly.
for my $op ('<=>', '<->')
{
	my $query = qq{
		SELECT string_agg(ids, ';' ORDER BY qid) FROM (
			SELECT q.id AS qid, (SELECT string_agg(d.id::text, ',') FROM (
					SELECT id FROM documents d ORDER BY d.embedding $op q.embedding LIMIT 5) d) AS ids
			FROM documents q WHERE q.id % 10 = 0) s;
	};
	my $exact = $node->safe_psql('migrated',
		"SET enable_indexscan = off; SET enable_bitmapscan = off; $query");
	my $plan = $node->safe_psql('migrated',
		"SET enable_seqscan = off; EXPLAIN (COSTS OFF) $query");
	like($plan, qr/Index Scan using documents_embedding_idx/, "queries by $op use the index");
	is($node->safe_psql('migrated', "SET enable_seqscan = off; SET vecgraph.ef_search = 100; $query"),
		$exact, "the index answers queries by $op as exact search does");
}

$node->stop;
done_testing();
