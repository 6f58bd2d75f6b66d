-- Every bad input gets a clear error and nothing else.
-- text syntax
SELECT '[1,2'::vector;
SELECT '[]'::vector;
SELECT '[ ]'::vector;
SELECT '[1,,2]'::vector;
SELECT '[a]'::vector;
SELECT '1,2'::vector;
SELECT '[1,2]x'::vector;
SELECT '[1,2] ]'::vector;
SELECT '[1 2]'::vector;
SELECT '[1,]'::vector;
SELECT '[,1]'::vector;
SELECT ''::vector;
SELECT '['::vector;
-- non-finite and out-of-range elements
SELECT '[NaN]'::vector;
SELECT '[1,nan]'::vector;
SELECT '[Infinity]'::vector;
SELECT '[-inf,1]'::vector;
SELECT '[1e39]'::vector;
SELECT '[1e-50]'::vector;	-- below float4's range: 0, as in pgvector
SELECT '[-1e-50, 1e-46]'::vector;
-- too many dimensions
SELECT vector_dims(('[' || array_to_string(array_fill(1, ARRAY[16001]), ',') || ']')::vector);
SELECT array_fill(1, ARRAY[16001])::vector;
SELECT array_fill(1, ARRAY[8000])::vector || array_fill(1, ARRAY[8001])::vector;
-- typmods
SELECT '[1,2]'::vector(3);
SELECT '[1]'::vector(0);
SELECT '[1]'::vector(16001);
SELECT '[1]'::vector(2,3);
CREATE TABLE t3 (v vector(3));
INSERT INTO t3 VALUES ('[1,2]');
INSERT INTO t3 VALUES (ARRAY[1,2,3,4]);
-- dimension mismatch between operands
SELECT '[1,2]'::vector <-> '[1,2,3]';
SELECT '[1,2]'::vector <#> '[1,2,3]';
SELECT '[1,2]'::vector <=> '[1,2,3]';
SELECT '[1,2]'::vector <+> '[1,2,3]';
SELECT '[1,2]'::vector + '[1,2,3]';
SELECT '[1,2]'::vector - '[1,2,3]';
SELECT '[1,2]'::vector * '[1,2,3]';
SELECT avg(v) FROM (VALUES ('[1,2]'::vector), ('[1,2,3]')) t(v);
-- arrays
SELECT ARRAY[1,NULL,3]::vector;
SELECT ARRAY[[1,2],[3,4]]::vector;
SELECT '{}'::real[]::vector;
SELECT ARRAY['NaN']::real[]::vector;
SELECT ARRAY['Infinity']::double precision[]::vector;
SELECT ARRAY[1e300]::double precision[]::vector;
SELECT ARRAY[1e-300]::double precision[]::vector;
SELECT '{1e-46,-1e-46}'::double precision[]::vector;
SELECT ARRAY[1e-46]::numeric[]::vector;
SELECT ARRAY[1e39]::numeric[]::vector;
SELECT ARRAY['NaN']::numeric[]::vector;
-- arithmetic overflow and underflow
SELECT '[3e38]'::vector + '[3e38]';
SELECT '[-3e38]'::vector - '[3e38]';
SELECT '[1e30]'::vector * '[1e30]';
SELECT '[1e-30]'::vector * '[1e-30]';
SELECT avg(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v);
SELECT sum(v) FROM (VALUES ('[3e38]'::vector), ('[3e38]')) t(v);
-- subvector
SELECT subvector('[1,2,3]'::vector, 4, 1);
SELECT subvector('[1,2,3]'::vector, 1, 0);
SELECT subvector('[1,2,3]'::vector, -5, 3);
-- malformed binary input is covered by test/t/001_binary_copy.pl
