-- Every function of the extension is declared parallel safe but those that
-- control the maintenance worker, write an index, or run queries (listed),
-- and every function is immutable except the one that reports a setting
-- and those that read an index, shared memory or what a scan left behind
-- (volatile: all change under them).
SELECT count(*) AS functions FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'vecgraph' AND d.deptype = 'e';

SELECT p.proname AS not_parallel_safe, p.proparallel FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'vecgraph' AND d.deptype = 'e' AND p.proparallel <> 's'
ORDER BY 1;

SELECT p.proname, p.provolatile FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'vecgraph' AND d.deptype = 'e' AND p.provolatile <> 'i'
ORDER BY 1;

-- Non-aggregate functions are strict: NULL in, NULL out, no C call.  The
-- exception (listed) takes NULL for "leave this setting alone".
SELECT p.proname AS not_strict FROM pg_proc p
JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
JOIN pg_extension e ON d.refclassid = 'pg_extension'::regclass AND d.refobjid = e.oid
WHERE e.extname = 'vecgraph' AND d.deptype = 'e' AND p.prokind = 'f' AND NOT p.proisstrict
ORDER BY 1;

-- The distance operators run inside parallel workers.
CREATE TABLE par AS SELECT i, ARRAY[i, 1, 2]::vector AS v FROM generate_series(1, 50000) i;
ANALYZE par;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT count(*) FROM par WHERE v <-> '[1,1,2]' < 100;
SELECT count(*) FROM par WHERE v <-> '[1,1,2]' < 100 AND v <=> '[1,1,2]' < 1 AND v <+> '[1,1,2]' < 200 AND v <#> '[1,1,2]' < 0;
RESET ALL;
