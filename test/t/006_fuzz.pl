# Hostile input never hurts: over 100,000 random and mutated inputs to the
# vector type's text input, binary receive (through COPY ... FORMAT binary),
# type modifier input, array casts and avg(vector)'s support functions.
# The server must not crash, and every error must carry a proper errcode
# (none of class XX, which elog(ERROR) and internal errors raise).
#
# The inputs are made and tried inside the server by PL/pgSQL, seeded, so a
# run is repeatable: each input runs in its own subtransaction and its
# SQLSTATE (or '00000') is counted.
use strict;
use warnings;

use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('fuzz');
$node->init;
$node->append_conf('postgresql.conf', q{
autovacuum = off
log_min_messages = warning
});
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION vecgraph;
CREATE TABLE fz_results (kind text, sqlstate text, n int);

-- Edits s one to four times: insert, delete or replace a token, truncate,
-- repeat a piece, or splice in more elements.
CREATE FUNCTION fz_mutate(s text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
	tokens text[] := ARRAY['[', ']', ',', '-', '+', '.', 'e', 'E', '0', '1', '9',
		' ', E'\t', E'\n', 'n', 'a', 'i', 'f', 'NaN', 'Infinity', 'x', 'é', '3e38',
		'3.5e38', '1e-46', '1e39', '-0', '16000', '65535', E'\\\\', '''', '"', '{', '}',
		'0x1p-150', '1e', '.e1', '--', ',,'];
	pos int;
	len int;
BEGIN
	FOR j IN 1 .. 1 + floor(random() * 4)::int LOOP
		len := length(s);
		pos := 1 + floor(random() * (len + 1))::int;
		CASE floor(random() * 6)::int
			WHEN 0 THEN
				s := overlay(s PLACING tokens[1 + floor(random() * array_length(tokens, 1))::int] FROM pos FOR 0);
			WHEN 1 THEN
				s := overlay(s PLACING '' FROM pos FOR 1 + floor(random() * 3)::int);
			WHEN 2 THEN
				s := overlay(s PLACING tokens[1 + floor(random() * array_length(tokens, 1))::int] FROM pos FOR 1);
			WHEN 3 THEN
				s := left(s, pos);
			WHEN 4 THEN
				s := s || substr(s, pos, 1 + floor(random() * 8)::int);
			ELSE
				s := left(s, pos) || repeat(',' || (random() * 10)::text, floor(random() * 20)::int) || substr(s, pos + 1);
		END CASE;
	END LOOP;
	RETURN s;
END $$;

CREATE FUNCTION fz_record(kind text, state text) RETURNS void LANGUAGE sql AS $$
	INSERT INTO fz_results VALUES (kind, state, 1);
$$;

-- Text input: valid vectors, mutated, against several type modifiers.
CREATE FUNCTION fz_text(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	corpus text[] := ARRAY['[1,2,3]', '[1.5, -2e-3, 3.4e38]', ' [ 1 ] ', '[0]', '[-0]',
		'[1e-45]', '[' || array_to_string(array_fill(0.25, ARRAY[100]), ',') || ']',
		'[' || array_to_string(array_fill(1, ARRAY[16000]), ',') || ']'];
	typmods int[] := ARRAY[-1, -1, 1, 3, 100, 16000, 16001, 0, -5];
	s text;
BEGIN
	PERFORM setseed(0.11);
	FOR i IN 1 .. n LOOP
		s := corpus[1 + floor(random() * (array_length(corpus, 1) - (CASE WHEN random() < 0.99 THEN 1 ELSE 0 END)))::int];
		s := fz_mutate(s);
		BEGIN
			PERFORM vector_in(s::cstring, 0::oid, typmods[1 + floor(random() * array_length(typmods, 1))::int]);
			PERFORM fz_record('text', '00000');
		EXCEPTION WHEN OTHERS THEN
			PERFORM fz_record('text', SQLSTATE);
		END;
	END LOOP;
	RETURN n;
END $$;

-- Type modifiers: one to three of numbers and junk.
CREATE FUNCTION fz_typmod(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	pieces text[] := ARRAY['1', '3', '16000', '16001', '0', '-1', '2147483647',
		'99999999999', 'abc', '', ' 5', '1.5', '1e3', '-2147483648'];
	mods cstring[];
BEGIN
	PERFORM setseed(0.22);
	FOR i IN 1 .. n LOOP
		mods := ARRAY[]::cstring[];
		FOR j IN 1 .. 1 + floor(random() * 3)::int LOOP
			mods := mods || fz_mutate(pieces[1 + floor(random() * array_length(pieces, 1))::int])::cstring;
		END LOOP;
		BEGIN
			PERFORM vector_typmod_in(mods);
			PERFORM fz_record('typmod', '00000');
		EXCEPTION WHEN OTHERS THEN
			PERFORM fz_record('typmod', SQLSTATE);
		END;
	END LOOP;
	RETURN n;
END $$;

-- A random float8 array: lengths from 0 to past 16,000, extreme values,
-- NULLs, now and then two dimensions.
CREATE FUNCTION fz_floats() RETURNS float8[] LANGUAGE plpgsql AS $$
DECLARE
	specials float8[] := ARRAY['NaN', 'Infinity', '-Infinity', 1e300, -1e300, 1e-300,
		1e-46, 3.5e38, -0.0, 0, 1, 2.5, 16000, -1];
	len int;
	a float8[] := ARRAY[]::float8[];
BEGIN
	len := CASE floor(random() * 10)::int
		WHEN 0 THEN 0 WHEN 1 THEN 1 WHEN 2 THEN 16000 + floor(random() * 4)::int
		ELSE 1 + floor(random() * 12)::int END;
	IF len >= 16000 THEN
		a := array_fill(1.0::float8, ARRAY[len]);
		a[1] := floor(random() * 3);
		RETURN a;
	END IF;
	FOR i IN 1 .. len LOOP
		a := a || CASE WHEN random() < 0.05 THEN NULL
			WHEN random() < 0.3 THEN specials[1 + floor(random() * array_length(specials, 1))::int]
			ELSE (random() * 20 - 10)::float8 END;
	END LOOP;
	IF random() < 0.05 AND len >= 2 THEN
		RETURN ARRAY[a[1:1], a[2:2]];
	END IF;
	RETURN a;
END $$;

-- Casts from every array type the vector accepts.
CREATE FUNCTION fz_arrays(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	a float8[];
BEGIN
	PERFORM setseed(0.33);
	FOR i IN 1 .. n LOOP
		a := fz_floats();
		BEGIN
			CASE i % 5
				WHEN 0 THEN PERFORM a::vector;
				WHEN 1 THEN PERFORM a::real[]::vector;
				WHEN 2 THEN PERFORM a::numeric[]::vector;
				WHEN 3 THEN PERFORM (SELECT array_agg(x::int) FROM unnest(a) x)::vector;
				ELSE PERFORM a::vector(3);
			END CASE;
			PERFORM fz_record('array', '00000');
		EXCEPTION WHEN OTHERS THEN
			PERFORM fz_record('array', SQLSTATE);
		END;
	END LOOP;
	RETURN n;
END $$;

-- avg(vector)'s support functions, called directly with random states.
CREATE FUNCTION fz_aggregates(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	vecs vector[] := ARRAY['[1,2]', '[1,2,3]', '[3e38,-3e38]', '[1]']::vector[];
BEGIN
	PERFORM setseed(0.44);
	FOR i IN 1 .. n LOOP
		BEGIN
			CASE i % 3
				WHEN 0 THEN PERFORM vector_avg(fz_floats());
				WHEN 1 THEN PERFORM vector_combine(fz_floats(), fz_floats());
				ELSE PERFORM vector_accum(fz_floats(), vecs[1 + floor(random() * 4)::int]);
			END CASE;
			PERFORM fz_record('aggregate', '00000');
		EXCEPTION WHEN OTHERS THEN
			PERFORM fz_record('aggregate', SQLSTATE);
		END;
	END LOOP;
	RETURN n;
END $$;

-- A COPY binary file of one row of one field: the header, the field's
-- declared length, its bytes, the trailer.
CREATE FUNCTION fz_copy_file(payload bytea, declared int) RETURNS bytea LANGUAGE sql AS $$
	SELECT '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
		|| '\x0001'::bytea || int4send(declared) || payload || '\xffff'::bytea;
$$;

-- Binary receive: valid wire-format vectors with bytes flipped, cut or
-- added, the dimension field rewritten, or the declared length wrong,
-- loaded with COPY ... FORMAT binary into vector and vector(3) columns.
CREATE TABLE fz_bin (v vector);
CREATE TABLE fz_bin3 (v vector(3));
CREATE FUNCTION fz_binary(n int) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	path text := current_setting('data_directory') || '/fz_copy.bin';
	dim int;
	payload bytea;
	declared int;
	lo oid;
BEGIN
	PERFORM setseed(0.55);
	FOR i IN 1 .. n LOOP
		dim := CASE WHEN random() < 0.1 THEN 16000 ELSE 1 + floor(random() * 6)::int END;
		payload := int2send(dim::int2) || int2send(0::int2) ||
			(SELECT string_agg(float4send((random() * 4 - 2)::float4), ''::bytea)
			 FROM generate_series(1, dim));
		FOR j IN 1 .. floor(random() * 4)::int LOOP
			CASE floor(random() * 5)::int
				WHEN 0 THEN
					IF length(payload) > 0 THEN
						payload := set_byte(payload, floor(random() * length(payload))::int,
											floor(random() * 256)::int);
					END IF;
				WHEN 1 THEN payload := substr(payload, 1, floor(random() * length(payload))::int);
				WHEN 2 THEN payload := payload || int4send(floor(random() * 2147483647)::int);
				WHEN 3 THEN payload := overlay(payload PLACING int2send((floor(random() * 65536) - 32768)::int2)
											   FROM 1 FOR 2);
				ELSE payload := overlay(payload PLACING int2send((floor(random() * 65536) - 32768)::int2)
										FROM 3 FOR 2);
			END CASE;
		END LOOP;
		declared := CASE WHEN random() < 0.05 THEN length(payload) + floor(random() * 9)::int - 4
			ELSE length(payload) END;
		lo := lo_from_bytea(0, fz_copy_file(payload, declared));
		PERFORM lo_export(lo, path);
		PERFORM lo_unlink(lo);
		BEGIN
			IF i % 4 = 0 THEN
				EXECUTE format('COPY fz_bin3 FROM %L (FORMAT binary)', path);
			ELSE
				EXECUTE format('COPY fz_bin FROM %L (FORMAT binary)', path);
			END IF;
			PERFORM fz_record('binary', '00000');
		EXCEPTION WHEN OTHERS THEN
			PERFORM fz_record('binary', SQLSTATE);
		END;
	END LOOP;
	RETURN n;
END $$;
});

my %inputs = (text => 50000, typmod => 10000, array => 20000, aggregate => 15000, binary => 10000);
my $total = 0;
for my $kind (sort keys %inputs)
{
	my $function = $kind eq 'array' ? 'fz_arrays' : $kind eq 'aggregate' ? 'fz_aggregates' : "fz_$kind";
	my $log_offset = -s $node->logfile;
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT $function($inputs{$kind})");
	is($ret, 0, "$inputs{$kind} $kind inputs ran to the end") or diag($err);
	ok(!$node->log_contains(qr/terminated by signal|server process .* was terminated/, $log_offset),
		"no backend crashed on the $kind inputs");
	$total += $inputs{$kind};
}
cmp_ok($total, '>=', 100000, "$total inputs in all");

my $tried = $node->safe_psql('postgres', 'SELECT sum(n) FROM fz_results');
is($tried, $total, 'every input was tried and its outcome recorded');
note $node->safe_psql('postgres', q{
	SELECT string_agg(kind || ' ' || sqlstate || ': ' || n, E'\n' ORDER BY kind, sqlstate)
	FROM (SELECT kind, sqlstate, sum(n) AS n FROM fz_results GROUP BY 1, 2) s
});
is( $node->safe_psql('postgres', q{
		SELECT coalesce(string_agg(DISTINCT kind || ' ' || sqlstate, ', '), '')
		FROM fz_results WHERE sqlstate LIKE 'XX%'
	}),
	'', 'no error lacks an errcode (none of class XX)');
cmp_ok( $node->safe_psql('postgres', q{
		SELECT count(DISTINCT sqlstate) FROM fz_results WHERE sqlstate <> '00000'
	}),
	'>=', 5, 'the inputs reached several distinct errors');
cmp_ok( $node->safe_psql('postgres', q{
		SELECT min(ok) FROM (SELECT kind, sum(n) FILTER (WHERE sqlstate = '00000') AS ok
			FROM fz_results GROUP BY kind) s
	}),
	'>', 0, 'every kind of input was also accepted now and then');
is($node->safe_psql('postgres', 'SELECT 1'), '1', 'the server is still up');

$node->stop;
done_testing();
