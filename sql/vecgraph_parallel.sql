-- Partitions and parallel scans.
CREATE TABLE pitems (id int PRIMARY KEY, v vector(8));
INSERT INTO pitems
SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
FROM (SELECT setseed(0.77)) s, generate_series(1, 20000) i;
ANALYZE pitems;
CREATE INDEX pitems_v ON pitems USING vecgraph (v) WITH (partitions = 4, m = 8, ef_construction = 32);
SELECT partitions FROM vecgraph_index_info('pitems_v');
SELECT partition, nodes BETWEEN 4500 AND 5500 AS balanced, deleted_nodes, entry_point IS NOT NULL AS has_entry
FROM vecgraph_index_partitions('pitems_v') ORDER BY partition;
SELECT * FROM vecgraph_check('pitems_v');

-- automatic partitions: one graph for a small table
CREATE INDEX pitems_auto ON pitems USING vecgraph (v);
SELECT partitions FROM vecgraph_index_info('pitems_auto');
DROP INDEX pitems_auto;
CREATE INDEX ON pitems USING vecgraph (v) WITH (partitions = 0);
CREATE INDEX ON pitems USING vecgraph (v) WITH (partitions = 65);
CREATE INDEX ON pitems USING vecgraph (v) WITH (partitions = 'many');

-- With the default costs, no query shape of the calibration (docs/index.md,
-- "Parallel scans") is planned in parallel: starting a worker costs more
-- than it saves.  20,000 rows cost as 1,000,000 would at these breadths.
SET max_parallel_workers_per_gather = 2;
SET min_parallel_index_scan_size = 0;
SELECT ef, k, e.workers, e.parallel_cost > e.serial_cost AS serial_cheaper
FROM (VALUES (40, 10), (200, 100), (1000, 1000)) s(ef, k), vecgraph_explain_parallel('pitems_v', k, ef) e;
SET vecgraph.ef_search = 40;
EXPLAIN (COSTS OFF) SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10;
EXPLAIN (COSTS OFF) SELECT id FROM pitems WHERE id % 100 = 0 ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10;
SET vecgraph.ef_search = 200;
EXPLAIN (COSTS OFF) SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 100;
SET vecgraph.ef_search = 1000;
EXPLAIN (COSTS OFF) SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 1000;
-- ... not even with PostgreSQL's parallel costs at zero: the worker start
-- (vecgraph.parallel_worker_start_cost) is still priced
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
EXPLAIN (COSTS OFF) SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 1000;
SELECT parallel_cost > serial_cost AS parallel_dearer FROM vecgraph_explain_parallel('pitems_v', 1000, 1000);
RESET ALL;

-- with parallel costs forced down, a Gather Merge over a Parallel Index Scan
SET vecgraph.parallel_worker_start_cost = 0;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_index_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
EXPLAIN (COSTS OFF) SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10;
SELECT vecgraph_estimate_workers('pitems_v', 10, 40);
SELECT partitions, workers, participants, parallel_cost < serial_cost AS cheaper, estimated_speedup > 1 AS faster
FROM vecgraph_explain_parallel('pitems_v', 10, 40);
-- ... and a plain Index Scan when turned off, or with one partition
SET vecgraph.enable_parallel_scan = off;
EXPLAIN (COSTS OFF) SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10;
SELECT vecgraph_estimate_workers('pitems_v', 10, 40);
RESET vecgraph.enable_parallel_scan;
-- the table's parallel_workers caps the workers
ALTER TABLE pitems SET (parallel_workers = 1);
SELECT vecgraph_estimate_workers('pitems_v', 10, 40);
EXPLAIN (COSTS OFF) SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 10;
ALTER TABLE pitems RESET (parallel_workers);

-- the parallel plan returns exactly the serial plan's rows in the same
-- order, for 200 queries
CREATE TABLE pq (qid int, q vector(8));
INSERT INTO pq SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
FROM (SELECT setseed(0.11)) s, generate_series(1, 200) i;
CREATE FUNCTION knn_ids(query vector) RETURNS int[] LANGUAGE sql STABLE PARALLEL RESTRICTED AS
$$ SELECT array_agg(id) FROM (SELECT id FROM pitems ORDER BY v <-> query LIMIT 20) s $$;
SET vecgraph.enable_parallel_scan = off;
CREATE TEMP TABLE serial_ids AS SELECT qid, knn_ids(q) AS ids FROM pq;
RESET vecgraph.enable_parallel_scan;
SET plan_cache_mode = force_custom_plan;
-- the function's query, as it is planned for each call
EXPLAIN (COSTS OFF)
SELECT array_agg(id) FROM (SELECT id FROM pitems ORDER BY v <-> (SELECT q FROM pq WHERE qid = 1) LIMIT 20) s;
CREATE TEMP TABLE parallel_ids AS SELECT qid, knn_ids(q) AS ids FROM pq;
SELECT count(*) AS queries, count(*) FILTER (WHERE s.ids = p.ids) AS identical
FROM serial_ids s JOIN parallel_ids p USING (qid);
RESET plan_cache_mode;

-- rescans: a LATERAL join runs the scan once per query row, inside
-- parallel workers too; same rows either way
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
CREATE TEMP TABLE lateral_serial AS
SELECT q.qid, n.id, n.rank FROM pq q,
LATERAL (SELECT id, row_number() OVER () AS rank FROM (SELECT id FROM pitems ORDER BY v <-> q.q LIMIT 5) x) n
WHERE q.qid <= 50;
SET force_parallel_mode = on;
CREATE TEMP TABLE lateral_parallel AS
SELECT q.qid, n.id, n.rank FROM pq q,
LATERAL (SELECT id, row_number() OVER () AS rank FROM (SELECT id FROM pitems ORDER BY v <-> q.q LIMIT 5) x) n
WHERE q.qid <= 50;
RESET force_parallel_mode;
SELECT count(*) AS rows, count(*) FILTER (WHERE p.id IS NOT DISTINCT FROM s.id) AS same
FROM lateral_serial s FULL JOIN lateral_parallel p USING (qid, rank);
-- a rescanned Gather Merge: as the inner side of a nested loop (a LEFT JOIN
-- keeps it there) it starts its workers again for each outer row, and the
-- partitions claimed in the shared state must be free again each time
SET enable_material = off;
SET max_parallel_workers_per_gather = 1;
EXPLAIN (COSTS OFF)
SELECT o.x, s.id FROM (VALUES (1), (2), (3)) o(x) LEFT JOIN
(SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 5) s ON true;
CREATE TEMP TABLE rescanned AS
SELECT o.x, s.id FROM (VALUES (1), (2), (3)) o(x) LEFT JOIN
(SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 5) s ON true;
SET vecgraph.enable_parallel_scan = off;
CREATE TEMP TABLE once AS
SELECT id FROM pitems ORDER BY v <-> '[0.5,0.5,0.5,0.5,0.5,0.5,0.5,0.5]' LIMIT 5;
SELECT x, count(r.id) AS found, count(r.id) FILTER (WHERE r.id IN (SELECT id FROM once)) AS as_serial
FROM rescanned r GROUP BY x ORDER BY x;
RESET ALL;

-- inserts and VACUUM keep every partition sound
INSERT INTO pitems SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
FROM generate_series(20001, 21000) i;
DELETE FROM pitems WHERE id % 5 = 0;
VACUUM pitems;
SELECT count(*) FROM vecgraph_check('pitems_v');
SELECT sum(nodes) = (SELECT count(*) FROM pitems) AS counts_match FROM vecgraph_index_partitions('pitems_v');
