-- Text, binary and typmod behaviour of the halfvec type, its casts, and
-- every input error.  (vector_io created the extension.)

SELECT '[1,2,3]'::halfvec;
SELECT '[1,2.5,-3e-2]'::halfvec;
SELECT '  [ 1 , 2 ,3 ]  '::halfvec;
SELECT vector_dims('[1,2,3]'::halfvec);
SELECT vector_dims(array_fill(1, ARRAY[16000])::halfvec);

-- Rounding to 11 significant bits, to nearest, ties to even: integers are
-- exact up to 2048; 2049 and 2051 are ties; 1 + 2^-11 and 1 + 3 * 2^-11 too.
SELECT '[2047,2048,2049,2050,2051,4097,1.00048828125,1.00146484375]'::halfvec;
-- output is the float4 of the half, shortest round-trip text
SELECT '[0.1,0.2,0.3,3.14159,-1e-3]'::halfvec;
-- range: the largest finite half, the edge of overflow, the smallest normal,
-- subnormals, and values that round to zero (silently, as in pgvector)
SELECT '[65504,-65504,65519.99,-65519.99]'::halfvec;
SELECT '[6.1035156e-05,5.9604645e-08,2.9802326e-08,2.9802322e-08,1e-8,-1e-8,1e-50]'::halfvec;
SELECT '[-0,0]'::halfvec;

-- Every finite half: made from its exact value (a double precision array),
-- it has the right bits, converts back exactly, and its text reads back as
-- the same bits.
CREATE TEMP TABLE all_halves AS
SELECT bits, h, (ARRAY[value]::halfvec) AS v
FROM (SELECT bits,
			 CASE WHEN bits >= 32768 THEN bits - 65536 ELSE bits END::int2 AS h,
			 CASE WHEN bits >= 32768 THEN -1 ELSE 1 END *
			 CASE WHEN e = 0 THEN m * 2.0::float8 ^ -24
				  ELSE (1 + m / 1024.0::float8) * 2.0::float8 ^ (e - 15) END AS value
	  FROM generate_series(0, 65535) bits,
		   LATERAL (SELECT (bits >> 10) & 31 AS e, bits & 1023 AS m) f
	  WHERE (bits >> 10) & 31 < 31) s;
SELECT count(*) AS finite_halves,
	   count(*) FILTER (WHERE halfvec_send(v) <> '\x00010000'::bytea || int2send(h)) AS wrong_bits,
	   count(*) FILTER (WHERE v::text::halfvec::text <> v::text
						   OR halfvec_send(v::text::halfvec) <> halfvec_send(v)) AS no_round_trip,
	   count(*) FILTER (WHERE v::vector::halfvec::text <> v::text) AS vector_round_trip_differs,
	   max((v::real[])[1]) AS largest, min((v::real[])[1]) AS smallest
FROM all_halves;

-- typmod
SELECT '[1,2,3]'::halfvec(3);
CREATE TABLE hitems (id int, v halfvec(3));
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'hitems'::regclass AND attname = 'v';
INSERT INTO hitems VALUES (1, '[1,2,3]'), (2, '[4,5,6]'), (3, NULL);
INSERT INTO hitems VALUES (4, ARRAY[7,8,9]);
INSERT INTO hitems VALUES (5, ARRAY[7.5,8,9]::real[]);
INSERT INTO hitems VALUES (6, '[0.1,0.2,0.3]'::vector);
SELECT * FROM hitems ORDER BY id;
UPDATE hitems SET v = v + '[1,1,1]' WHERE id = 1;
SELECT v FROM hitems WHERE id = 1;
-- a halfvec assigned to a vector column
CREATE TABLE vitems (id int, v vector(3));
INSERT INTO vitems SELECT id, v FROM hitems WHERE id = 6;
SELECT * FROM vitems;

-- storage: EXTERNAL like vector, 2 bytes a dimension plus the header
SELECT typstorage, typalign, typlen FROM pg_type WHERE typname = 'halfvec';
SELECT pg_column_size('[1,2,3]'::halfvec) AS three_dims,
	   pg_column_size(array_fill(0.5, ARRAY[768])::halfvec) AS d768;

-- binary send: pgvector's wire format (int16 dim, int16 0, uint16 halves)
SELECT halfvec_send('[1,2,3]');
SELECT halfvec_send('[-0.5,65504,-0,5.9604645e-08]');

-- binary receive, through COPY ... (FORMAT binary) files in the data
-- directory: a round trip keeps every bit, and malformed input is refused.
CREATE TEMP TABLE hbin_all (bits int, v halfvec);
CREATE TEMP TABLE hbin (v halfvec);
CREATE TEMP TABLE hbin3 (v halfvec(3));
CREATE FUNCTION copy_halfvec_file(tbl text, payload bytea) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	path text := current_setting('data_directory') || '/halfvec_io_regress.bin';
	lo oid;
BEGIN
	lo := lo_from_bytea(0, '\x5047434f50590aff0d0a00'::bytea || '\x0000000000000000'::bytea
		|| '\x0001'::bytea || int4send(length(payload)) || payload || '\xffff'::bytea);
	PERFORM lo_export(lo, path);
	PERFORM lo_unlink(lo);
	EXECUTE format('COPY %I FROM %L (FORMAT binary)', tbl, path);
END $$;
DO $$
DECLARE
	path text := current_setting('data_directory') || '/halfvec_io_regress.bin';
BEGIN
	EXECUTE format('COPY (SELECT bits, v FROM all_halves) TO %L (FORMAT binary)', path);
	EXECUTE format('COPY hbin_all FROM %L (FORMAT binary)', path);
END $$;
SELECT count(*) AS copied,
	   count(*) FILTER (WHERE halfvec_send(c.v) <> halfvec_send(a.v)) AS changed
FROM hbin_all c JOIN all_halves a USING (bits);
SELECT copy_halfvec_file('hbin', '\x000200003c00c000');
SELECT copy_halfvec_file('hbin3', '\x000300003c0040004200');
SELECT * FROM hbin UNION ALL SELECT * FROM hbin3;
\set VERBOSITY terse
SELECT copy_halfvec_file('hbin', '\x00000000');
SELECT copy_halfvec_file('hbin', '\x3e810000' || decode(repeat('3c00', 16001), 'hex'));
SELECT copy_halfvec_file('hbin', '\xffff00003c00');
SELECT copy_halfvec_file('hbin', '\x000100073c00');
SELECT copy_halfvec_file('hbin', '\x000300003c003c00');
SELECT copy_halfvec_file('hbin', '\x000100003c003c00');
SELECT copy_halfvec_file('hbin', '\x000200003c007e00');
SELECT copy_halfvec_file('hbin', '\x000200003c00fc00');
SELECT copy_halfvec_file('hbin3', '\x000200003c003c00');
\set VERBOSITY default
SELECT count(*) AS rows_after_errors FROM hbin;

-- casts
SELECT castsource::regtype, casttarget::regtype, castcontext, castfunc::regprocedure
FROM pg_cast WHERE 'halfvec'::regtype IN (castsource, casttarget)
ORDER BY castsource::regtype::text, casttarget::regtype::text;
SELECT ARRAY[1,2,3]::halfvec, ARRAY[1,2,3]::halfvec(3);
SELECT ARRAY[1.5,2.1]::real[]::halfvec;
SELECT ARRAY[1.5,2.1]::double precision[]::halfvec;
SELECT ARRAY[1.5,2.1]::numeric[]::halfvec;
SELECT ARRAY[1e-300, -1e-300]::double precision[]::halfvec, ARRAY[1e-46]::numeric[]::halfvec;
SELECT '[1,2.1,3]'::halfvec::real[];
SELECT '[1.1,2.2]'::vector::halfvec, '[1.1,2.2]'::halfvec::vector, '[1,2]'::vector::halfvec(2);
SELECT '[1.1,2.2]'::halfvec::vector(2);
-- vector to halfvec is implicit: a vector meets a halfvec operand
SELECT '[1,2,3]'::halfvec <-> '[1,2,4]'::vector AS mixed_operands;
-- halfvec to real[] and to vector are not implicit (vector to real[] is)
CREATE FUNCTION real_array_length(real[]) RETURNS int LANGUAGE sql AS 'SELECT array_length($1, 1)';
SELECT real_array_length('[1,2]'::vector);
SELECT real_array_length('[1,2]'::halfvec);
SELECT vector_norm('[3,4]'::halfvec);

-- Every bad input gets a clear error and nothing else.
-- text syntax
SELECT '[1,2'::halfvec;
SELECT '[]'::halfvec;
SELECT '[1,,2]'::halfvec;
SELECT '[a]'::halfvec;
SELECT '1,2'::halfvec;
SELECT '[1,2]x'::halfvec;
SELECT '[1 2]'::halfvec;
SELECT ''::halfvec;
-- non-finite and out-of-range elements
SELECT '[NaN]'::halfvec;
SELECT '[1,nan]'::halfvec;
SELECT '[Infinity]'::halfvec;
SELECT '[-inf,1]'::halfvec;
SELECT '[1,70000]'::halfvec;
SELECT '[65520]'::halfvec;
SELECT '[-65520]'::halfvec;
SELECT '[1e39]'::halfvec;
-- too many dimensions
SELECT vector_dims(('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::halfvec);
SELECT array_fill(1, ARRAY[16001])::halfvec;
-- typmods
SELECT '[1,2]'::halfvec(3);
SELECT '[1]'::halfvec(0);
SELECT '[1]'::halfvec(16001);
SELECT '[1]'::halfvec(2,3);
INSERT INTO hitems VALUES (7, '[1,2]');
INSERT INTO hitems VALUES (7, ARRAY[1,2,3,4]);
INSERT INTO hitems VALUES (7, '[1,2]'::vector);
SELECT '[1,2]'::halfvec::vector(3);
-- arrays
SELECT ARRAY[1,NULL,3]::halfvec;
SELECT ARRAY[[1,2],[3,4]]::halfvec;
SELECT '{}'::real[]::halfvec;
SELECT ARRAY[1,70000]::halfvec;
SELECT ARRAY[-65520]::real[]::halfvec;
SELECT ARRAY[1e300]::double precision[]::halfvec;
SELECT ARRAY[1e20]::numeric[]::halfvec;
SELECT ARRAY['NaN']::real[]::halfvec;
SELECT ARRAY['Infinity']::double precision[]::halfvec;
SELECT ARRAY['-Infinity']::numeric[]::halfvec;
SELECT ARRAY['NaN']::numeric[]::halfvec;
-- from vector
SELECT '[1,70000]'::vector::halfvec;
SELECT '[-1e38]'::vector::halfvec;
