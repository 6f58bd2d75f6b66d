# A damaged index never takes the server down: with the server stopped, a
# vecgraph index file is damaged (a zeroed page, flipped bytes in node
# tuples, links past the end, bad heap TIDs, a bad metapage), then scans,
# inserts, VACUUM and vecgraph_check run on it.  Each either works or fails
# with ERRCODE_INDEX_CORRUPTED (XX002) naming the index and the block; no
# backend dies.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('corrupt');
$node->init;
$node->append_conf('postgresql.conf', q{
autovacuum = off
shared_buffers = '16MB'
});
$node->start;

$node->safe_psql('postgres', 'CREATE EXTENSION vecgraph');

# A fresh table and index; returns the index's file, with the server stopped.
sub fresh_index
{
	$node->safe_psql('postgres', q{
		DROP TABLE IF EXISTS t;
		SELECT setseed(0.75);
		CREATE TABLE t (id int PRIMARY KEY, v vector(8));
		INSERT INTO t
		SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
		FROM generate_series(1, 3000) i;
		CREATE INDEX t_v_idx ON t USING vecgraph (v) WITH (m = 8, ef_construction = 32);
	});
	my $file = $node->data_dir . '/' .
	  $node->safe_psql('postgres', q{SELECT pg_relation_filepath('t_v_idx')});
	$node->stop;
	return $file;
}

# The node tuples of a page image: their byte offsets, and each one's level.
sub node_tuples
{
	my ($page) = @_;
	my $lower = unpack('v', substr($page, 12, 2));
	my @tuples;
	for (my $lp = 24; $lp < $lower; $lp += 4)
	{
		my $word = unpack('V', substr($page, $lp, 4));
		my ($off, $flags) = ($word & 0x7FFF, ($word >> 15) & 3);
		next unless $flags == 1;    # LP_NORMAL
		my $tflags = ord(substr($page, $off + 7, 1));
		next if $tflags & 0x80;     # an upper tuple
		push @tuples, { off => $off, level => ord(substr($page, $off + 6, 1)) };
	}
	return @tuples;
}

# Applies $edit->(\$page, $tuple) to every node tuple of blocks 1 and 2.
sub edit_nodes
{
	my ($image, $edit) = @_;
	for my $blk (1, 2)
	{
		my $page = substr($$image, $blk * 8192, 8192);
		$edit->(\$page, $_) for node_tuples($page);
		substr($$image, $blk * 8192, 8192) = $page;
	}
}

# Node tuple fields: heap TID at 0, level 6, flags 7, count0 8, partition
# 10, tree0 11, upper 12, links0 16.  Metapage contents start at 24:
# partitions at +20, part[0].entry at +56, part[0].entry_level at +60.
my %damage = (
	'no damage' => sub { },
	'a zeroed page' => sub { substr(${$_[0]}, 2 * 8192, 8192) = "\0" x 8192 },
	'a level of 255' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off} + 6, 1) = "\xFF" });
	},
	'a list longer than its cap' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off} + 8, 2) = pack('v', 0xFFFF) });
	},
	'more tree links than links' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off} + 11, 1) = "\x40" });
	},
	'links past the end' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off} + 16, 8) = pack('VV', 0x7FFFFFF0, 0xFFFFFFFE) });
	},
	'links to the metapage' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off} + 16, 4) = pack('V', 3) });
	},
	'line pointers past the page' => sub {
		for my $lp (24, 28, 32)
		{
			my $word = unpack('V', substr(${$_[0]}, 8192 + $lp, 4));
			substr(${$_[0]}, 8192 + $lp, 4) = pack('V', ($word & ~0x7FFF) | 0x7F00);
		}
	},
	'bad upper tuple ids' => sub {
		edit_nodes($_[0], sub {
			substr(${$_[0]}, $_[1]{off} + 12, 4) = pack('V', 0x00000017) if $_[1]{level} > 0;
			substr(${$_[0]}, $_[1]{off} + 6, 1) = "\x03";
		});
	},
	'heap TIDs past the table' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off}, 6) = pack('vvv', 0x7FFF, 0xFFFF, 7) });
	},
	'bad heap offsets' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off} + 4, 2) = pack('v', 0) });
	},
	'vectors of NaN' => sub {
		edit_nodes($_[0], sub { substr(${$_[0]}, $_[1]{off} + 16 + 4 * 16, 32) = "\xFF" x 32 });
	},
	'a metapage with a bad magic number' => sub { substr(${$_[0]}, 24, 4) = "\0\0\0\0" },
	'a metapage with 200 partitions' => sub { substr(${$_[0]}, 24 + 20, 2) = pack('v', 200) },
	'a metapage with an entry point past the end' => sub {
		substr(${$_[0]}, 24 + 56, 4) = pack('V', 0x7FFFFFF0);
	},
	'a metapage with an entry level of 200' => sub { substr(${$_[0]}, 24 + 60, 1) = "\xC8" },
);

my @operations = (
	[ 'scan' => q{SET enable_seqscan = off;
		SELECT count(*) FROM (SELECT id FROM t ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10) s;} ],
	[ 'wide scan' => q{SET enable_seqscan = off; SET vecgraph.ef_search = 400;
		SELECT count(*) FROM (SELECT id FROM t ORDER BY v <-> '[0,1,0,1,0,1,0,1]' LIMIT 1000) s;} ],
	[ 'insert' => q{INSERT INTO t
		SELECT 10000 + i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
		FROM generate_series(1, 50) i;} ],
	[ 'vacuum' => q{DELETE FROM t WHERE id % 7 = 0; VACUUM t;} ],
	[ 'check' => q{SELECT count(*) FROM vecgraph_check('t_v_idx');} ],
	[ 'index info' => q{SELECT nodes >= 0 FROM vecgraph_index_info('t_v_idx');} ],
);

my $corrupt_errors = 0;
for my $case (sort keys %damage)
{
	my $file = fresh_index();
	my $image = slurp_file($file);
	$damage{$case}->(\$image);
	open(my $fh, '>', $file) or die "cannot write $file: $!";
	binmode $fh;
	print $fh $image;
	close $fh;

	$node->start;
	my $log_offset = -s $node->logfile;
	my @outcomes;
	for my $op (@operations)
	{
		my ($name, $sql) = @$op;
		my ($ret, $out, $err) = $node->psql('postgres', "\\set VERBOSITY verbose\n$sql");
		if ($ret == 0)
		{
			push @outcomes, "$name ok";
			next;
		}
		$corrupt_errors++;
		like($err, qr/ERROR:  XX002: index "t_v_idx" is corrupt at block \d+/,
			"$case: $name fails as index corruption, naming the block")
		  or diag($err);
		push @outcomes, "$name: " . ($err =~ /(block \d+)/)[0];
	}
	ok(!$node->log_contains(qr/terminated by signal|was terminated|PANIC/, $log_offset),
		"$case: no backend died") or diag(slurp_file($node->logfile, $log_offset));
	is($node->safe_psql('postgres', 'SELECT 1'), '1', "$case: the server is up");
	is(join(', ', @outcomes), join(', ', map { "$_->[0] ok" } @operations),
		'every operation works on the undamaged index') if $case eq 'no damage';
	note "$case: " . join(', ', @outcomes);
}
cmp_ok($corrupt_errors, '>=', 15, "$corrupt_errors operations stopped at the damage");
$node->stop;
done_testing();
