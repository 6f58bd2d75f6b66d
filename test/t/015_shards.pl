# Scale-out over postgres_fdw (docs/scale-out.md): a coordinator with a
# table hash-partitioned over foreign tables on two shard servers, each
# shard with its own vecgraph index.  For 100 queries the coordinator's
# top-10 equals the merge of the shards' own top-10 lists at the same
# ef_search -- the coordinator's setting reaches the shards (src/vgfdw.c)
# -- and its recall is at least a single server's; the query form that
# limits each shard's part on the shard gives the same answers and ships
# fewer rows; a shard that is down gives a clear error.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $dim = 64;
my $rows = 20000;

my %nodes;
for my $name ('coord', 'shard1', 'shard2')
{
	my $n = PostgreSQL::Test::Cluster->new($name);
	$n->init;
	$n->append_conf('postgresql.conf', "autovacuum = off\nshared_buffers = '64MB'\n");
	# the shards count what their indexes return (vecgraph_stats)
	$n->append_conf('postgresql.conf', "shared_preload_libraries = 'vecgraph'\n") if $name ne 'coord';
	$n->start;
	$n->safe_psql('postgres', 'CREATE EXTENSION vecgraph');
	$nodes{$name} = $n;
}
my $coord = $nodes{coord};

# The same 100 query vectors on every node (same seed, same generator).
for my $n (values %nodes)
{
	$n->safe_psql('postgres', qq{
		SELECT setseed(0.3);
		CREATE TABLE q AS SELECT i AS qid,
			(SELECT array_agg(random()) FROM generate_series(1, $dim) WHERE i > 0)::vector($dim) AS v
		FROM generate_series(1, 100) i;
	});
}

for my $shard ('shard1', 'shard2')
{
	$nodes{$shard}->safe_psql('postgres', "CREATE TABLE items (id int PRIMARY KEY, v vector($dim))");
	my ($host, $port) = ($nodes{$shard}->host, $nodes{$shard}->port);
	$coord->safe_psql('postgres', qq{
		CREATE EXTENSION IF NOT EXISTS postgres_fdw;
		CREATE SERVER $shard FOREIGN DATA WRAPPER postgres_fdw
			OPTIONS (host '$host', port '$port', dbname 'postgres',
					 extensions 'vecgraph', batch_size '1000');
		CREATE USER MAPPING FOR CURRENT_USER SERVER $shard;
	});
}
$coord->safe_psql('postgres', qq{
	CREATE TABLE items (id int, v vector($dim)) PARTITION BY HASH (id);
	CREATE FOREIGN TABLE items_1 PARTITION OF items FOR VALUES WITH (MODULUS 2, REMAINDER 0)
		SERVER shard1 OPTIONS (table_name 'items');
	CREATE FOREIGN TABLE items_2 PARTITION OF items FOR VALUES WITH (MODULUS 2, REMAINDER 1)
		SERVER shard2 OPTIONS (table_name 'items');
	SELECT setseed(0.6);
	INSERT INTO items SELECT i, (SELECT array_agg(random()) FROM generate_series(1, $dim) WHERE i > 0)::vector
	FROM generate_series(1, $rows) i;
	-- the single server to compare with holds the same rows
	CREATE TABLE single AS SELECT * FROM items;
	CREATE INDEX ON single USING vecgraph (v);
});
my $on1 = $nodes{shard1}->safe_psql('postgres', 'SELECT count(*) FROM items');
my $on2 = $nodes{shard2}->safe_psql('postgres', 'SELECT count(*) FROM items');
is($on1 + $on2, $rows, "the coordinator routed the $rows rows to the shards ($on1 + $on2)");
$nodes{$_}->safe_psql('postgres', 'CREATE INDEX ON items USING vecgraph (v); ANALYZE items')
  for ('shard1', 'shard2');

my $knn = q{SELECT qid, string_agg(id || ':' || d, ' ' ORDER BY d) FROM q,
	LATERAL (SELECT id, (v <-> q.v)::numeric(20,6) AS d FROM %s ORDER BY v <-> q.v LIMIT 10) s
	GROUP BY qid ORDER BY qid};

# {qid => [ids nearest first]} from "qid|id:d id:d ..." lines.
sub lists
{
	my ($out) = @_;
	my %l;
	for my $line (split /\n/, $out)
	{
		my ($qid, $pairs) = split /\|/, $line;
		$l{$qid} = [ map { [ split /:/ ] } split / /, $pairs ];
	}
	return \%l;
}

sub shard_lists
{
	my ($settings, $table) = @_;
	return map { lists($nodes{$_}->safe_psql('postgres', $settings . sprintf($knn, $table))) }
	  ('shard1', 'shard2');
}

# The ten nearest of the shards' lists together, ids only.
sub merged
{
	my ($l1, $l2, $qid) = @_;
	my @all = sort { $a->[1] <=> $b->[1] } (@{ $l1->{$qid} }, @{ $l2->{$qid} });
	return join(' ', map { $_->[0] } @all[ 0 .. 9 ]);
}

sub ids { return join(' ', map { $_->[0] } @{ $_[0] }) }

my $plan = $coord->safe_psql('postgres',
	q{EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 1) LIMIT 10});
like($plan, qr/Merge Append.*Foreign Scan.*Remote SQL: SELECT id, v FROM public.items ORDER BY \(v OPERATOR\(public.<->\)/s,
	'the coordinator merges ordered scans that each shard runs with its index');

my ($x1, $x2) = shard_lists('SET enable_indexscan = off; SET enable_bitmapscan = off;', 'items');
my %exact = map { $_ => [ split / /, merged($x1, $x2, $_) ] } keys %$x1;

sub recall
{
	my ($l) = @_;
	my ($hit, $all) = (0, 0);
	for my $qid (keys %exact)
	{
		my %truth = map { $_ => 1 } @{ $exact{$qid} };
		$hit += grep { $truth{ $_->[0] } } @{ $l->{$qid} };
		$all += 10;
	}
	return $hit / $all;
}

for my $ef (10, 40)
{
	my $set = "SET vecgraph.ef_search = $ef;";
	my $coordinated = lists($coord->safe_psql('postgres', $set . sprintf($knn, 'items')));
	my ($s1, $s2) = shard_lists($set, 'items');
	my $same = grep { ids($coordinated->{$_}) eq merged($s1, $s2, $_) } keys %exact;
	is($same, 100, "ef_search $ef: the coordinator's top-10 is the merge of the shards' own for all 100 queries");
	my $single = lists($coord->safe_psql('postgres', $set . sprintf($knn, 'single')));
	my ($rc, $rs) = (recall($coordinated), recall($single));
	note sprintf('ef_search %d: recall@10 %.3f through the coordinator, %.3f on one server', $ef, $rc, $rs);
	cmp_ok($rc, '>=', $rs, "ef_search $ef: recall through the coordinator is at least one server's");
}

my $low = recall(lists($coord->safe_psql('postgres', 'SET vecgraph.ef_search = 4;' . sprintf($knn, 'items'))));
my $high = recall(lists($coord->safe_psql('postgres', 'SET vecgraph.ef_search = 200;' . sprintf($knn, 'items'))));
cmp_ok($high, '>', $low, sprintf('the coordinator\'s ef_search reaches the shards (recall %.3f at 4, %.3f at 200)', $low, $high));
my $off = recall(lists($coord->safe_psql('postgres',
	'SET vecgraph.fdw_settings = off; SET vecgraph.ef_search = 200;' . sprintf($knn, 'items'))));
cmp_ok($off, '<', $high, sprintf('... and not with vecgraph.fdw_settings off (%.3f)', $off));

# What the shards send back per query: rows their indexes returned (each
# row ships its id and its whole vector).
sub rows_shipped
{
	my ($sql) = @_;
	$nodes{$_}->safe_psql('postgres', 'SELECT vecgraph_stats_reset()') for ('shard1', 'shard2');
	$coord->safe_psql('postgres', "SET vecgraph.ef_search = 40; $sql");
	my $rows = 0;
	$rows += $nodes{$_}->safe_psql('postgres',
		q{SELECT coalesce(sum(rows_returned), 0) FROM vecgraph_stats()}) for ('shard1', 'shard2');
	return $rows / 100;
}

# The same query with each shard's part ordered and limited on the shard.
my $union = q{SELECT qid, string_agg(id || ':' || d, ' ' ORDER BY d) FROM q, LATERAL (
	SELECT * FROM (
		(SELECT id, (v <-> q.v)::numeric(20,6) AS d FROM items_1 ORDER BY v <-> q.v LIMIT 10)
		UNION ALL
		(SELECT id, (v <-> q.v)::numeric(20,6) AS d FROM items_2 ORDER BY v <-> q.v LIMIT 10)
	) parts ORDER BY d LIMIT 10) s GROUP BY qid ORDER BY qid};
like($coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $union"),
	qr/Remote SQL: SELECT id, v FROM public.items ORDER BY \(v OPERATOR\(public.<->\) .* LIMIT 10::bigint/,
	'the per-shard form runs LIMIT on the shards');
my $by_union = lists($coord->safe_psql('postgres', "SET vecgraph.ef_search = 40; $union"));
my $by_merge = lists($coord->safe_psql('postgres', 'SET vecgraph.ef_search = 40;' . sprintf($knn, 'items')));
is(scalar(grep { ids($by_union->{$_}) eq ids($by_merge->{$_}) } keys %exact), 100,
	'... and finds the same rows');

my $merge_rows = rows_shipped(sprintf($knn, 'items'));
my $union_rows = rows_shipped($union);
$coord->safe_psql('postgres', q{ALTER SERVER shard1 OPTIONS (ADD fetch_size '10');
	ALTER SERVER shard2 OPTIONS (ADD fetch_size '10')});
my $small_fetch_rows = rows_shipped(sprintf($knn, 'items'));
my $row_bytes = 4 + 8 + 4 * $dim;
note sprintf('rows (of about %d bytes) the shards send per LIMIT 10 query: %.1f through Merge Append '
	  . '(fetch_size 100), %.1f with fetch_size 10, %.1f with the per-shard LIMIT form',
	$row_bytes, $merge_rows, $small_fetch_rows, $union_rows);
cmp_ok($union_rows, '<=', 20, 'the per-shard form sends at most 10 rows per shard');
cmp_ok($small_fetch_rows, '<', $merge_rows, 'a smaller fetch_size sends fewer rows through Merge Append');

my $on_shard1 = $coord->safe_psql('postgres', 'SELECT min(id) FROM items_1');
$nodes{shard2}->stop;
my ($rc, $out, $err) = $coord->psql('postgres', 'SELECT id FROM items ORDER BY v <-> (SELECT v FROM q WHERE qid = 1) LIMIT 10');
like($err, qr/could not connect to server "shard2"/, 'a shard that is down gives a clear error');
is($coord->safe_psql('postgres', "SELECT count(*) FROM items WHERE id = $on_shard1"), '1',
	'a query pruned to the live shard still runs');

$_->stop for ($coord, $nodes{shard1});
done_testing();
