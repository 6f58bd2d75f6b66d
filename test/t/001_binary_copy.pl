# Binary COPY of vectors: a round trip returns identical rows, and malformed
# binary input is refused with a clear error without harming the server.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('main');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vecgraph');

# 10,000 seeded random 768-dimensional vectors.
$node->safe_psql('postgres', q{
	CREATE TABLE src (id int PRIMARY KEY, v vector(768));
	CREATE TABLE dst (LIKE src);
	SELECT setseed(0.25);
	INSERT INTO src
	SELECT i, (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, 768)
			   WHERE i > 0)::vector
	FROM generate_series(1, 10000) i;
});

my $dir = $node->basedir;
my $out1 = "$dir/src.bin";
my $out2 = "$dir/dst.bin";
$node->safe_psql('postgres', qq{
	COPY src TO '$out1' (FORMAT binary);
	COPY dst FROM '$out1' (FORMAT binary);
	COPY (SELECT * FROM dst ORDER BY id) TO '$out2' (FORMAT binary);
});

is($node->safe_psql('postgres', 'SELECT count(*) FROM dst'), '10000',
	'binary COPY loads every row');
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM src JOIN dst USING (id)
		WHERE vector_send(src.v) = vector_send(dst.v)}),
	'10000',
	'every vector is bit-for-bit identical after the binary round trip');
is( $node->safe_psql('postgres', q{
		SELECT count(*) FROM src
		WHERE vector_send(v::text::vector) = vector_send(v)}),
	'10000',
	'every vector is bit-for-bit identical after the text round trip');

# The source was written in id order by the heap's insertion order; compare
# the files only if that holds, else compare a sorted copy.
$node->safe_psql('postgres',
	"COPY (SELECT * FROM src ORDER BY id) TO '$out1' (FORMAT binary)");
is(slurp_file($out1), slurp_file($out2),
	'binary COPY out of the copied table gives the same bytes');

# Malformed binary input, one field per row.
sub binary_copy_file
{
	my ($field) = @_;
	my $data = "PGCOPY\n\377\r\n\0" . pack('NN', 0, 0);
	$data .= pack('n', 1) . pack('N', length($field)) . $field;
	$data .= pack('n', 0xFFFF);
	return $data;
}

$node->safe_psql('postgres', 'CREATE TABLE bad (v vector); CREATE TABLE bad3 (v vector(3))');

my @cases = (
	[ 'zero dimensions', 'bad', pack('nn', 0, 0),
		qr/binary vector has 0 dimensions, must be between 1 and 16000/ ],
	[ 'too many dimensions', 'bad', pack('nn', 16001, 0) . ("\0" x 64004),
		qr/binary vector has 16001 dimensions, must be between 1 and 16000/ ],
	[ 'negative dimensions', 'bad', pack('nn', 0xFFFF, 0),
		qr/binary vector has -1 dimensions/ ],
	[ 'reserved field set', 'bad', pack('nn', 1, 7) . pack('f>', 1),
		qr/binary vector has reserved field 7, must be 0/ ],
	[ 'data too short', 'bad', pack('nn', 3, 0) . pack('f>f>', 1, 2),
		qr/binary vector of 3 dimensions needs 12 bytes of data, got 8/ ],
	[ 'data too long', 'bad', pack('nn', 1, 0) . pack('f>f>', 1, 2),
		qr/binary vector of 1 dimensions needs 4 bytes of data, got 8/ ],
	[ 'truncated header', 'bad', pack('n', 1),
		qr/insufficient data left in message/ ],
	[ 'NaN element', 'bad', pack('nn', 2, 0) . pack('f>', 1) . pack('N', 0x7fc00000),
		qr/NaN not allowed in vector/ ],
	[ 'infinite element', 'bad', pack('nn', 1, 0) . pack('N', 0x7f800000),
		qr/infinite value not allowed in vector/ ],
	[ 'dimensions against the typmod', 'bad3', pack('nn', 2, 0) . pack('f>f>', 1, 2),
		qr/expected 3 dimensions, not 2/ ],
);

for my $case (@cases)
{
	my ($name, $table, $field, $expect) = @$case;
	my $file = "$dir/bad.bin";
	open(my $fh, '>:raw', $file) or die "cannot write $file: $!";
	print $fh binary_copy_file($field);
	close($fh);
	my ($ret, $stdout, $stderr) =
	  $node->psql('postgres', "COPY $table FROM '$file' (FORMAT binary)");
	isnt($ret, 0, "$name: COPY fails");
	like($stderr, $expect, "$name: error names the problem");
}

is($node->safe_psql('postgres', 'SELECT count(*) FROM bad'), '0',
	'no malformed row was stored');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');

$node->stop;
done_testing();
