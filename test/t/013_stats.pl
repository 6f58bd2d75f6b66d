# vecgraph_stats(): cumulative per-index scan statistics in shared memory
# (src/vgstats.c).  With vecgraph preloaded: serial scans count their scans
# and exactly the rows they return; parallel scans count once each, with the
# workers their Gather Merge planned and launched; a selective filter counts
# iterative rounds; owners and members of pg_read_all_stats see an index's
# row, other roles do not; a full table says what it dropped until a reset.
# Without preloading: no rows, and a NOTICE that says why.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('stats');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'vecgraph'
vecgraph.stats_max_indexes = 10
max_worker_processes = 8
max_parallel_workers = 8
autovacuum = off
});
$node->start;

$node->safe_psql('postgres', q{
	CREATE EXTENSION vecgraph;
	SELECT setseed(0.5);
	CREATE TABLE t (id int PRIMARY KEY, v vector(16));
	INSERT INTO t
	SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 16) WHERE i > 0)::vector
	FROM generate_series(1, 3000) i;
	ANALYZE t;
	CREATE INDEX t_idx ON t USING vecgraph (v) WITH (partitions = 4);
});

srand(13);

# A random 16-dimensional query vector, as a literal.
sub query_vector
{
	return '[' . join(',', map { sprintf '%.4f', rand() } 1 .. 16) . ']';
}

my @columns =
  qw(scans parallel_scans workers_planned workers_launched rounds rows_returned);

# The row of vecgraph_stats() for $index as a hash, or undef when the caller
# ($role, or the superuser) sees none.
sub stats
{
	my ($index, $role) = @_;
	my $set_role = defined $role ? "SET ROLE $role;" : '';
	my $row = $node->safe_psql('postgres', qq{
		$set_role
		SELECT } . join(', ', @columns) . qq{ FROM vecgraph_stats()
		WHERE index = '$index'::regclass});
	return undef if $row eq '';
	my %s;
	@s{@columns} = split /\|/, $row;
	return \%s;
}

# Runs $query after $settings; the number of rows it returned.
sub fetch
{
	my ($settings, $query) = @_;
	my $out = $node->safe_psql('postgres', "$settings\n$query");
	return scalar(() = $out =~ /^\d+$/mg);
}

sub reset_stats
{
	$node->safe_psql('postgres', 'SELECT vecgraph_stats_reset()');
}

#
# 1. Serial scans: every scan counted, and exactly the rows they returned.
#
my $serial = q{
	SET enable_seqscan = off;
	SET max_parallel_workers_per_gather = 0;
};
like( $node->safe_psql('postgres', "$serial EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <-> '"
		  . query_vector() . "' LIMIT 10"),
	qr/^Limit\n\s+->  Index Scan using t_idx on t/,
	'the serial queries are plain index scans');
reset_stats();
is(stats('t_idx'), undef, 'after a reset the index has no row');
my $K = 20;
my $fetched = 0;
for my $i (1 .. $K)
{
	$fetched += fetch($serial,
		"SELECT id FROM t ORDER BY v <-> '" . query_vector() . "' LIMIT $i");
}
is($fetched, $K * ($K + 1) / 2, "the $K queries fetched $fetched rows");
my $s = stats('t_idx');
is($s->{scans}, $K, "scans counts the $K scans");
is($s->{rows_returned}, $fetched, 'rows_returned equals the rows fetched');
is($s->{parallel_scans}, '0', 'no parallel scan is counted');
is($s->{workers_planned} . ' ' . $s->{workers_launched}, '0 0', 'nor any worker');
is($s->{rounds}, '0', 'no round past the first, with LIMIT within ef_search');

#
# 2. Parallel scans: each counted once, with its Gather Merge's workers.
#
my $parallel = q{
	SET enable_seqscan = off;
	SET parallel_setup_cost = 0;
	SET vecgraph.parallel_worker_start_cost = 0;
	SET parallel_tuple_cost = 0;
	SET min_parallel_index_scan_size = 0;
	SET max_parallel_workers_per_gather = 2;
};
my $plan = $node->safe_psql('postgres', "$parallel EXPLAIN (COSTS OFF) SELECT id FROM t ORDER BY v <-> '"
	  . query_vector() . "' LIMIT 10");
like($plan, qr/Gather Merge.*Parallel Index Scan using t_idx on t/s,
	'the parallel queries are parallel index scans under a Gather Merge');
my ($planned) = $plan =~ /Workers Planned: (\d+)/;
$planned //= 0;
cmp_ok($planned, '>', 0, "the Gather Merge plans $planned workers");
reset_stats();
my $N = 5;
$fetched = 0;
for my $i (1 .. $N)
{
	$fetched += fetch($parallel,
		"SELECT id FROM t ORDER BY v <-> '" . query_vector() . "' LIMIT 10");
}
is($fetched, $N * 10, "the $N parallel queries fetched $fetched rows");
$s = stats('t_idx');
is($s->{parallel_scans}, $N, "parallel_scans counts each of the $N parallel scans once");
is($s->{scans}, $N, 'scans counts them once too, not once per participant');
is($s->{workers_planned}, $N * $planned, "workers_planned adds $planned for each");
cmp_ok($s->{workers_launched}, '>', 0, "workers were launched ($s->{workers_launched})");
cmp_ok($s->{workers_launched}, '<=', $s->{workers_planned},
	'no more workers launched than planned');
cmp_ok($s->{rows_returned}, '>=', $fetched,
	"the participants returned at least the rows fetched ($s->{rows_returned})");

# EXPLAIN without ANALYZE runs nothing, so counts nothing.
$node->safe_psql('postgres', "$parallel EXPLAIN SELECT id FROM t ORDER BY v <-> '"
	  . query_vector() . "' LIMIT 10");
is(stats('t_idx')->{workers_planned}, $N * $planned, 'EXPLAIN alone counts no workers');

#
# 3. A filter that rejects most rows: the partitions are searched again,
# wider, and the rows the index returned outnumber those fetched.
#
reset_stats();
my $filtered = "SELECT id FROM t WHERE id % 100 = 0 ORDER BY v <-> '"
  . query_vector() . "' LIMIT 10";
like($node->safe_psql('postgres', "$serial EXPLAIN (COSTS OFF) $filtered"),
	qr/Index Scan using t_idx on t\n.*\n\s+Filter: \(\(id % 100\) = 0\)/,
	'the filtered query is an index scan with a filter');
is(fetch("$serial SET work_mem = '64MB';", $filtered), 10,
	'the filtered query finds its 10 rows');
$s = stats('t_idx');
is($s->{scans}, '1', 'the filtered query is one scan');
cmp_ok($s->{rounds}, '>', 0, "it searched again in $s->{rounds} rounds");
cmp_ok($s->{rows_returned}, '>', 10,
	"the index returned $s->{rows_returned} rows for the filter to reject");

#
# 4. Who sees the row: the owner and members of pg_read_all_stats.
#
$node->safe_psql('postgres', q{
	CREATE ROLE stranger;
	CREATE ROLE watcher IN ROLE pg_read_all_stats;
	CREATE ROLE keeper;
	ALTER TABLE t OWNER TO keeper;
});
ok(defined stats('t_idx'), 'a superuser sees the row');
is(stats('t_idx', 'stranger'), undef, 'a role that neither owns the index nor reads all stats does not');
is($node->safe_psql('postgres', 'SET ROLE stranger; SELECT count(*) FROM vecgraph_stats()'),
	'0', 'nor any other row');
ok(defined stats('t_idx', 'watcher'), 'a member of pg_read_all_stats sees it');
ok(defined stats('t_idx', 'keeper'), 'the owner sees it');
my ($ret, $out, $err) =
  $node->psql('postgres', 'SET ROLE stranger; SELECT vecgraph_stats_reset()');
like($err, qr/permission denied for function vecgraph_stats_reset/,
	'only a superuser may reset by default');

#
# 5. A full table: counts of indexes past vecgraph.stats_max_indexes are
# dropped, and vecgraph_stats() says so; a reset frees the table.
#
reset_stats();
my $make = '';
my $scan = "SET enable_seqscan = off;\n";
for my $i (1 .. 11)
{
	$make .= qq{
		CREATE TABLE f$i (v vector(2));
		INSERT INTO f$i SELECT ARRAY[i, $i]::vector FROM generate_series(1, 20) i;
		CREATE INDEX f${i}_idx ON f$i USING vecgraph (v);
	};
	$scan .= "SELECT count(*) FROM (SELECT v FROM f$i ORDER BY v <-> '[0,0]' LIMIT 1) s;\n";
}
$node->safe_psql('postgres', $make);
$node->safe_psql('postgres', $scan);
($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM vecgraph_stats()');
is($out, '10', 'the table holds vecgraph.stats_max_indexes = 10 indexes');
like( $err,
	qr/NOTICE:  vecgraph index statistics are missing some indexes: the table of vecgraph.stats_max_indexes \(10\) entries is full/,
	'vecgraph_stats() says the table is full');
like($err, qr/DETAIL:  1 update of the counts of indexes not in the table was dropped/,
	'... and how many updates it dropped');
reset_stats();
($ret, $out, $err) = $node->psql('postgres', qq{
	SET enable_seqscan = off;
	SELECT count(*) FROM (SELECT v FROM f11 ORDER BY v <-> '[0,0]' LIMIT 1) s;
	SELECT index, scans FROM vecgraph_stats();
});
is($out, "1\nf11_idx|1", 'after a reset a new index is counted again');
is($err, '', 'with no notice');

$node->stop;

#
# 6. Without preloading there is no shared memory: scans count nothing,
# and vecgraph_stats() returns no rows and says why.
#
my $plain = PostgreSQL::Test::Cluster->new('stats_plain');
$plain->init;
$plain->start;
$plain->safe_psql('postgres', q{
	CREATE EXTENSION vecgraph;
	CREATE TABLE p (v vector(2));
	INSERT INTO p SELECT ARRAY[i, i]::vector FROM generate_series(1, 100) i;
	CREATE INDEX p_idx ON p USING vecgraph (v);
});
($ret, $out, $err) = $plain->psql('postgres', q{
	SET enable_seqscan = off;
	SELECT count(*) FROM (SELECT v FROM p ORDER BY v <-> '[0,0]' LIMIT 5) s;
	SELECT count(*) FROM vecgraph_stats();
});
is($ret, 0, 'scans and vecgraph_stats() run without preloading');
is($out, "5\n0", 'the scan returns its rows, vecgraph_stats() none');
like( $err,
	qr/NOTICE:  vecgraph index statistics are not kept: vecgraph was not loaded at server start/,
	'vecgraph_stats() says it counts nothing');
like($err, qr/DETAIL:  Scans, parallel scans, workers planned and launched, iterative rounds and rows returned are counted in shared memory/,
	'... names what it cannot count');
like($err, qr/HINT:  Add vecgraph to shared_preload_libraries and restart the server\./,
	'... and how to count it');
($ret, $out, $err) = $plain->psql('postgres', 'SELECT vecgraph_stats_reset()');
is($ret, 0, 'vecgraph_stats_reset() runs without preloading');
like($err, qr/NOTICE:  vecgraph index statistics are not kept/, '... and says so too');
$plain->stop;

done_testing();
