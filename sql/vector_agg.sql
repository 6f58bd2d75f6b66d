-- avg and sum over vectors, serial and in parallel plans.
SELECT avg(v), sum(v) FROM (VALUES ('[1,2,3]'::vector), ('[3,4,5]'), (NULL)) t(v);
SELECT avg(v), sum(v) FROM (VALUES (NULL::vector)) t(v);
SELECT avg(v) FROM (SELECT '[1,2]'::vector AS v WHERE false) t;
SELECT vector_avg('{0}');
SELECT vector_avg(vector_accum(vector_accum('{0}', '[1,2]'), '[2,4]'));
SELECT vector_combine(vector_accum('{0}', '[1,2]'), vector_accum('{0}', '[3,4]'));
SELECT vector_combine('{0}', vector_accum('{0}', '[3,4]')), vector_combine(vector_accum('{0}', '[3,4]'), '{0}');

-- The support functions are callable with any array: every state is checked.
SELECT vector_avg('{1}');
SELECT vector_avg('{0,5}');
SELECT vector_avg('{-1,2}');
SELECT vector_avg('{1.5,2}');
SELECT vector_avg('{NaN,2}');
SELECT vector_avg('{1,NaN}');
SELECT vector_avg('{1,Infinity}');
SELECT vector_avg('{}');
SELECT vector_avg('{{1,2}}');
SELECT vector_avg('{1,NULL}');
SELECT vector_avg(array_prepend(1::float8, array_fill(1::float8, ARRAY[16001])));
SELECT vector_dims(vector_avg(array_prepend(1::float8, array_fill(1::float8, ARRAY[16000]))));
SELECT vector_combine('{1,2}', array_prepend(1::float8, array_fill(1::float8, ARRAY[16001])));
SELECT vector_combine(array_prepend(1::float8, array_fill(1::float8, ARRAY[16001])), '{0}') IS NULL;
SELECT vector_combine('{1,2}', '{1,2,3}');
SELECT vector_combine('{1}', '{1,2}');
SELECT vector_accum('{1}', '[1,2]');
SELECT vector_accum('{1,2,3}', '[1,2]');
SELECT vector_avg('{2,1e308,1e308}');

CREATE TABLE agg_items AS
-- small integers and halves: float4 sums stay exact whatever the order
SELECT i % 10 AS grp, ARRAY[i % 100, (i % 7) * 0.5, 1]::vector AS v FROM generate_series(1, 100000) i;
ANALYZE agg_items;
SELECT avg(v), sum(v) FROM agg_items;
SELECT grp, avg(v) FROM agg_items GROUP BY grp ORDER BY grp LIMIT 3;

-- The same in a parallel plan: the combine functions merge the workers.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT avg(v), sum(v) FROM agg_items;
SELECT avg(v), sum(v) FROM agg_items;
RESET ALL;
