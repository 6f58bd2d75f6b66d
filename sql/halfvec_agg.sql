-- avg and sum over halfvecs, serial and in parallel plans.
SELECT avg(v), sum(v) FROM (VALUES ('[1,2,3]'::halfvec), ('[3,4,5]'), (NULL)) t(v);
SELECT avg(v), sum(v) FROM (VALUES (NULL::halfvec)) t(v);
SELECT avg(v) FROM (SELECT '[1,2]'::halfvec AS v WHERE false) t;
-- avg sums in double precision and rounds once: 5/3 is 1.6669922 as a half
SELECT avg(v) FROM (VALUES ('[1,60000]'::halfvec), ('[2,60000]'), ('[2,60000]')) t(v);
-- sum adds halves, rounding each partial sum: past 65504 it overflows, as
-- vector's sum past float4, and ones stop adding up at 2048 (2048 + 1 is a
-- tie that rounds to even), where avg stays exact.
SELECT sum(v) FROM (VALUES ('[1,60000]'::halfvec), ('[2,60000]')) t(v);
SELECT sum(v), avg(v) FROM (SELECT '[1,0.5]'::halfvec AS v FROM generate_series(1, 3000)) t;
SELECT avg(v) FROM (VALUES ('[1,2]'::halfvec), ('[1,2,3]')) t(v);
SELECT sum(v) FROM (VALUES ('[1,2]'::halfvec), ('[1,2,3]')) t(v);

-- The support functions, called directly: the state is avg(vector)'s
SELECT halfvec_avg('{0}');
SELECT halfvec_accum(halfvec_accum('{0}', '[1,2]'), '[2,4.5]');
SELECT halfvec_avg(halfvec_accum(halfvec_accum('{0}', '[1,2]'), '[2,4.5]'));
SELECT halfvec_avg(vector_combine(halfvec_accum('{0}', '[1,2]'), halfvec_accum('{0}', '[3,4]')));
SELECT halfvec_avg('{2,1,3}');
SELECT halfvec_avg('{1,65519}'), halfvec_avg('{2,131000}');
SELECT halfvec_avg('{1,65520}');
SELECT halfvec_avg('{1,NaN}');
SELECT halfvec_avg('{1,Infinity}');
SELECT halfvec_avg('{1}');
SELECT halfvec_avg('{1.5,2}');
SELECT halfvec_avg('{{1,2}}');
SELECT halfvec_accum('{1}', '[1,2]');
SELECT halfvec_accum('{1,2,3}', '[1,2,3]');
SELECT vector_dims(halfvec_avg(array_prepend(1::float8, array_fill(1::float8, ARRAY[16000]))));

CREATE TABLE hagg_items AS
-- small integers and halves: the sums in double precision are exact
SELECT i, i % 10 AS grp, ARRAY[i % 100, (i % 7) * 0.5, 1]::halfvec AS v FROM generate_series(1, 100000) i;
ANALYZE hagg_items;
SELECT avg(v) FROM hagg_items;
SELECT grp, avg(v) FROM hagg_items GROUP BY grp ORDER BY grp LIMIT 3;
-- sum over 100 rows whose partial sums are all exact halves (below 1024 in
-- steps of 0.5), whatever the order
SELECT sum(v) FROM hagg_items WHERE i % 1000 = 0;

-- The same in a parallel plan: the combine functions merge the workers.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(v) FROM hagg_items;
SELECT avg(v) FROM hagg_items;
SELECT grp, avg(v) FROM hagg_items GROUP BY grp ORDER BY grp LIMIT 3;
EXPLAIN (COSTS OFF) SELECT sum(v) FROM hagg_items WHERE i % 1000 = 0;
SELECT sum(v) FROM hagg_items WHERE i % 1000 = 0;
RESET ALL;
