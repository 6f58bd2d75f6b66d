# Real client libraries against vecgraph, as applications use them
# (test/clients/): psycopg2 with text parameters and binary COPY, psycopg 3
# with binary parameters and results, node-postgres with the pgvector npm
# package and binary COPY.  make test installs them when run as root; a
# client that is missing is skipped with the reason.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $root = $ENV{VG_ROOT} or die 'VG_ROOT must name the source tree';
my $clients = "$root/test/clients";

my $node = PostgreSQL::Test::Cluster->new('clients');
$node->init;
$node->start;
$node->safe_psql('postgres', 'CREATE EXTENSION vecgraph');

local $ENV{PGHOST} = $node->host;
local $ENV{PGPORT} = $node->port;
local $ENV{PGDATABASE} = 'postgres';

# Runs a client script; passes when it exits 0, and shows what it printed.
sub client_ok
{
	my ($name, @command) = @_;
	my ($stdout, $stderr) = run_command([@command]);
	my $ok = $? == 0;
	ok($ok, $name) or diag("$stdout\n$stderr");
	note $stdout if $ok;
}

my $python = '/usr/bin/python3';
SKIP:
{
	skip 'psycopg2 is not installed (apt-get install python3-psycopg2)', 1
	  if system($python, '-c', 'import psycopg2') != 0;
	client_ok('psycopg2: text parameters, nearest neighbours, binary COPY',
		$python, "$clients/psycopg2_client.py");
}
SKIP:
{
	skip 'psycopg 3 is not installed (apt-get install python3-psycopg)', 1
	  if system($python, '-c', 'import psycopg') != 0;
	client_ok('psycopg 3: binary parameters and results',
		$python, "$clients/psycopg3_client.py");
}
SKIP:
{
	skip 'node is not installed (apt-get install nodejs)', 1
	  if system('sh', '-c', 'command -v node >/dev/null') != 0;
	skip 'the npm packages are not installed (cd test/clients && npm install)', 1
	  unless -d "$clients/node_modules/pgvector" && -d "$clients/node_modules/pg-copy-streams";
	client_ok('node-postgres with pgvector: toSql, registerTypes, binary COPY',
		'node', "$clients/node_client.js");
}

$node->stop;
done_testing();
