# Soak: four clients run a mix of 60% searches, 20% inserts, 10% updates of
# the vector and 10% deletes against an indexed table, with autovacuum
# cleaning it as eagerly as it can, for VG_SOAK_SECONDS (30 in make test,
# 300 in make soak).  Afterwards vecgraph_check finds nothing, recall@10
# over the live rows is within 0.01 of a fresh build on the same rows, and
# the log holds no ERROR but the serialization failures the mix can cause.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $seconds = $ENV{VG_SOAK_SECONDS} // 30;
my $dim = 16;

# exact answers over a table grown for minutes take minutes
$PostgreSQL::Test::Utils::timeout_default = 900;

my $node = PostgreSQL::Test::Cluster->new('soak');
$node->init;
$node->append_conf('postgresql.conf', q{
autovacuum = on
autovacuum_naptime = '1s'
autovacuum_vacuum_cost_delay = 0
log_autovacuum_min_duration = 0
shared_buffers = '256MB'
});
$node->start;

$node->safe_psql('postgres', qq{
	CREATE EXTENSION vecgraph;
	SELECT setseed(0.5);
	CREATE TABLE t (id bigserial PRIMARY KEY, v vector($dim))
		WITH (autovacuum_vacuum_scale_factor = 0, autovacuum_vacuum_threshold = 200,
			  autovacuum_vacuum_insert_scale_factor = 0, autovacuum_vacuum_insert_threshold = 1000);
	INSERT INTO t (v)
	SELECT (SELECT array_agg(random()) FROM generate_series(1, $dim) WHERE i > 0)::vector
	FROM generate_series(1, 10000) i;
	CREATE INDEX t_v_idx ON t USING vecgraph (v);
	-- the queries of the recall measurement
	CREATE TABLE queries AS
	SELECT i AS qid, (SELECT array_agg(random()) FROM generate_series(1, $dim) WHERE i > 0)::vector AS q
	FROM generate_series(1, 1000) i;
});

my $random_vector = "(SELECT array_agg(random())::vector FROM generate_series(1, $dim))";
my %scripts = (
	search => qq{SELECT id FROM t ORDER BY v <-> $random_vector LIMIT 10;},
	insert => qq{INSERT INTO t (v) SELECT $random_vector;},
	update => qq{\\set r random(1, 200000)
UPDATE t SET v = $random_vector WHERE id = (SELECT id FROM t WHERE id >= :r ORDER BY id LIMIT 1);},
	delete => q{\set r random(1, 200000)
DELETE FROM t WHERE id = (SELECT id FROM t WHERE id >= :r ORDER BY id LIMIT 1);},
);
my %weights = (search => 6, insert => 2, update => 1, delete => 1);
my @args;
for my $name (sort keys %scripts)
{
	my $file = $node->basedir . "/$name.sql";
	PostgreSQL::Test::Utils::append_to_file($file, $scripts{$name});
	push @args, '-f', "$file\@$weights{$name}";
}

my $log_offset = -s $node->logfile;
my ($out, $err) = run_command(
	[
		'pgbench', '--no-vacuum', '--client=4', '--jobs=2', "--time=$seconds",
		'-h', $node->host, '-p', $node->port, @args, 'postgres'
	]);
my ($tps) = $out =~ /tps = ([\d.]+) \(without initial connection time\)/;
my ($done) = $out =~ /number of transactions actually processed: (\d+)/;
ok(defined $tps, "the mix ran for $seconds s") or diag("$out\n$err");
note sprintf('soak: %d transactions in %d s, %.0f transactions/s with 4 clients',
	$done // 0, $seconds, $tps // 0);
my %per_script = $out =~ /SQL script \d+: \S+\/(\w+)\.sql\n - weight: \d+ \([^)]*\)\n - (\d+) transactions/g;
note "soak: $_ $per_script{$_} transactions" for sort keys %per_script;

my ($vacuums, $live, $dead) = split /\|/, $node->safe_psql('postgres',
	q{SELECT autovacuum_count, n_live_tup, n_dead_tup FROM pg_stat_user_tables WHERE relname = 't'});
cmp_ok($vacuums, '>', 0, "autovacuum ran $vacuums times on the table");

# vecgraph_check reads page after page and is meant for a quiet index: an
# autovacuum still cutting deleted nodes out of the tree as it reads would
# show it a tree link whose twin has moved on.  Let autovacuum finish.
$node->safe_psql('postgres', 'ALTER TABLE t SET (autovacuum_enabled = off)');
$node->poll_query_until('postgres',
	q{SELECT count(*) FROM pg_stat_progress_vacuum WHERE relid = 't'::regclass}, '0')
  or die 'autovacuum did not finish';
is($node->safe_psql('postgres', q{SELECT string_agg(p, E'\n') FROM vecgraph_check('t_v_idx') p}),
	'', 'vecgraph_check finds no problem after the soak');

# Exact answers for the queries over the rows after the soak (the fresh
# table holds the same rows), then recall@10 of an index against them.
sub exact_answers
{
	$node->safe_psql('postgres', q{
		SET work_mem = '64MB';
		SET max_parallel_workers_per_gather = 2;
		SET enable_indexscan = off;
		SET enable_bitmapscan = off;
		CREATE TABLE truth AS
		SELECT qid, (SELECT array_agg(id) FROM (
				SELECT id FROM t ORDER BY v <-> q, id LIMIT 10) s) AS ids
		FROM queries;
	});
}

sub recall
{
	my ($table, $ef) = @_;
	return $node->safe_psql('postgres', qq{
		SET enable_seqscan = off;
		SET vecgraph.ef_search = $ef;
		SELECT round(avg((SELECT count(*) FROM unnest(found.ids) f WHERE f = ANY (truth.ids)) / 10.0), 4)
		FROM queries JOIN truth USING (qid),
			LATERAL (SELECT array_agg(id) AS ids FROM (
				SELECT id FROM $table ORDER BY v <-> queries.q LIMIT 10) s) found;
	});
}

exact_answers();
$node->safe_psql('postgres', q{
	CREATE TABLE fresh AS SELECT * FROM t;
	CREATE INDEX fresh_v_idx ON fresh USING vecgraph (v);
	VACUUM ANALYZE fresh;
});
my %soaked = map { $_ => recall('t', $_) } (10, 40);
my %fresh = map { $_ => recall('fresh', $_) } (10, 40);
$dead = $node->safe_psql('postgres', q{SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 't'});
$node->safe_psql('postgres', 'VACUUM t');
my %vacuumed = map { $_ => recall('t', $_) } (10, 40);
note "soak: recall\@10 at ef_search $_: $soaked{$_} after the soak ($dead dead rows), "
  . "$vacuumed{$_} after a VACUUM, $fresh{$_} on a fresh build" for (10, 40);
# at the default search breadth; ef_search 10 is reported above
cmp_ok($soaked{40}, '>=', $fresh{40} - 0.01,
	"recall\@10 at ef_search 40 after the soak ($soaked{40}) is within 0.01 of a fresh build ($fresh{40})");

my $log = slurp_file($node->logfile, $log_offset);
my @errors = grep { !/could not serialize|deadlock detected/ } ($log =~ /^.*\bERROR:.*$/mg);
is(scalar(@errors), 0, 'no unexpected ERROR in the log') or diag(join("\n", @errors[0 .. 9]));
ok($log !~ /terminated by signal|PANIC/, 'no backend died');

$node->stop;
done_testing();
