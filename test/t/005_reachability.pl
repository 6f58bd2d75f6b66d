# Every committed row stays findable: four clients insert one row per
# transaction into an indexed table, the server is stopped with
# -m immediate at a random moment, and after the restart vecgraph_check
# finds nothing (every live node reachable from its entry point) and every
# row -- every acknowledged insert among them -- is found by its own vector.
# Three rounds, each on top of the last.  VACUUM never runs here: the index
# must be sound right away, not after a repair.
use strict;
use warnings;

use IPC::Run;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);

my $seed = $ENV{VG_TEST_SEED} // time;
srand($seed);
note "random seed $seed (set VG_TEST_SEED to repeat a run)";

my $node = PostgreSQL::Test::Cluster->new('reach');
$node->init;
$node->append_conf('postgresql.conf', q{
synchronous_commit = on
autovacuum = off
checkpoint_timeout = '1h'
max_wal_size = '4GB'
});
$node->start;

my $dim = 16;
$node->safe_psql('postgres', qq{
	CREATE EXTENSION vecgraph;
	CREATE TABLE t (id bigserial PRIMARY KEY, v vector($dim));
	INSERT INTO t (v)
	SELECT (SELECT array_agg(random()) FROM generate_series(1, $dim) WHERE i > 0)::vector
	FROM generate_series(1, 5000) i;
	CREATE INDEX t_v_idx ON t USING vecgraph (v);
	CHECKPOINT;
});

my $script = $node->basedir . '/insert.sql';
PostgreSQL::Test::Utils::append_to_file($script, qq{
INSERT INTO t (v) SELECT array_agg(random())::vector FROM generate_series(1, $dim);
});

# Rows that are not their own nearest neighbour through the index.
my $lost_query = q{
	SELECT count(*) FROM t,
		LATERAL (SELECT id AS nearest FROM t t2 ORDER BY t2.v <-> t.v LIMIT 1) s
	WHERE s.nearest <> t.id;
};
my $settings = 'SET enable_seqscan = off; SET vecgraph.ef_search = 200;';
like( $node->safe_psql('postgres', "$settings EXPLAIN (COSTS OFF) $lost_query"),
	qr/Index Scan using t_v_idx/, 'the check searches through the index');

my $unreachable = 0;
for my $round (1 .. 3)
{
	my $rows_before = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
	my ($out, $err) = ('', '');
	my $bench = IPC::Run::start(
		[
			'pgbench', '--no-vacuum', '--client=4', '--jobs=2', '--time=15',
			'-h', $node->host, '-p', $node->port, '-f', $script, 'postgres'
		],
		'>', \$out, '2>', \$err);
	my $pause = 2 + rand(11);
	sleep($pause);
	$node->stop('immediate');
	$bench->finish;
	my ($acknowledged) = $out =~ /number of transactions actually processed: (\d+)/;
	$acknowledged //= 0;
	note sprintf('round %d: crashed after %.1f s, %d inserts acknowledged',
		$round, $pause, $acknowledged);
	$node->start;

	my $rows = $node->safe_psql('postgres', 'SELECT count(*) FROM t');
	cmp_ok($rows, '>', $rows_before, "round $round: the inserts went in");
	cmp_ok($rows, '>=', $rows_before + $acknowledged,
		"round $round: every acknowledged insert survived the crash");

	my $problems = $node->safe_psql('postgres',
		q{SELECT string_agg(p, E'\n') FROM vecgraph_check('t_v_idx') p});
	$unreachable += () = $problems =~ /not reachable/g;
	is($problems, '', "round $round: vecgraph_check finds no problem after the crash");
	is($node->safe_psql('postgres', "$settings $lost_query"), '0',
		"round $round: each of $rows rows is found by its own vector at ef_search 200");
}
is($unreachable, 0, 'no node was unreachable in any round');

$node->stop;
done_testing();
