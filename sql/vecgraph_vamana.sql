-- Vamana graphs (graph = 'vamana'): options, builds, scans, inserts,
-- deletes and VACUUM, inspection.

-- the options and their errors
CREATE TABLE vm_opt (id int, v vector(3));
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'diskann');
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', m = 8);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', ef_construction = 80);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', keep_pruned = off);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (degree = 24);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'hnsw', alpha = 1.1);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', degree = 4);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', degree = 129);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', alpha = 0.9);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', alpha = 4.5);
CREATE INDEX ON vm_opt USING vecgraph (v) WITH (graph = 'vamana', build_list_size = 2);
CREATE INDEX vm_opt_idx ON vm_opt USING vecgraph (v)
	WITH (graph = 'vamana', degree = 16, build_list_size = 40, alpha = 1.3, two_pass = off);
SELECT reloptions FROM pg_class WHERE relname = 'vm_opt_idx';
ALTER INDEX vm_opt_idx SET (m = 8);
SELECT graph, m, ef_construction, levels, graph_options FROM vecgraph_index_info('vm_opt_idx');
-- an empty index takes inserts: the first row becomes the entry point
INSERT INTO vm_opt VALUES (1, '[1,2,3]'), (2, '[3,2,1]'), (3, '[1,1,1]');
SET enable_seqscan = off;
SELECT id FROM vm_opt ORDER BY v <-> '[1,1,1]' LIMIT 3;
RESET enable_seqscan;
-- a node must fit a page with the degree asked for
CREATE TABLE vm_wide (v vector(2000));
CREATE INDEX ON vm_wide USING vecgraph (v) WITH (graph = 'vamana', degree = 64);
DROP TABLE vm_opt, vm_wide;

-- Builds an index and compares its first 10 rows for each query with a
-- sequential scan's (the same rows, in nondecreasing distance); returns how
-- many queries of tbl_queries differ.
CREATE FUNCTION vamana_mismatches(tbl text, op text, opclass text, options text)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	q record;
	bad int := 0;
	via_index text;
	exact text;
	scan text := format('SELECT id, v %s $1::vector(8) AS d FROM %I ORDER BY v %s $1::vector(8)',
						op, tbl, op);
BEGIN
	EXECUTE format('CREATE INDEX vm_order_idx ON %I USING vecgraph (v %s) %s', tbl, opclass, options);
	FOR q IN EXECUTE format('SELECT id, v::text AS v FROM %I', tbl || '_queries') LOOP
		SET LOCAL enable_seqscan = off;
		SET LOCAL vecgraph.ef_search = 200;
		EXECUTE format('SELECT string_agg(id::text, '','' ORDER BY d, id) FROM (%s LIMIT 10) s', scan)
			INTO via_index USING q.v;
		SET LOCAL enable_seqscan = on;
		SET LOCAL enable_indexscan = off;
		EXECUTE format('SELECT string_agg(id::text, '','' ORDER BY d, id) FROM (%s, id LIMIT 10) s', scan)
			INTO exact USING q.v;
		SET LOCAL enable_indexscan = on;
		IF via_index IS DISTINCT FROM exact THEN
			bad := bad + 1;
			RAISE NOTICE 'query %: index % exact %', q.id, via_index, exact;
		END IF;
	END LOOP;
	DROP INDEX vm_order_idx;
	RETURN bad;
END
$$;

CREATE TABLE vm (id int PRIMARY KEY, v vector(8));
SELECT setseed(0.75);
INSERT INTO vm SELECT i, (SELECT array_agg(round((random() * 8 - 4)::numeric, 3)) FROM generate_series(1, 8) WHERE i > 0)::real[]
FROM generate_series(1, 4000) i;
CREATE TABLE vm_queries AS SELECT id, v FROM vm WHERE id % 200 = 3;
ANALYZE vm;

-- every metric ranks as a sequential scan does
SELECT vamana_mismatches('vm', '<->', 'vector_l2_ops', 'WITH (graph = ''vamana'')') AS l2,
	   vamana_mismatches('vm', '<#>', 'vector_ip_ops', 'WITH (graph = ''vamana'')') AS ip,
	   vamana_mismatches('vm', '<=>', 'vector_cosine_ops', 'WITH (graph = ''vamana'')') AS cosine,
	   vamana_mismatches('vm', '<+>', 'vector_l1_ops', 'WITH (graph = ''vamana'')') AS l1,
	   vamana_mismatches('vm', '<->', 'vector_l2_ops',
						 'WITH (graph = ''vamana'', storage = ''half'', partitions = 3)') AS half_3parts;

CREATE INDEX vm_idx ON vm USING vecgraph (v) WITH (graph = 'vamana', degree = 16);
SELECT graph, nodes, levels, entry_point IS NOT NULL AS has_entry, graph_options
FROM vecgraph_index_info('vm_idx');
SELECT count(*) FROM vecgraph_check('vm_idx');
SET enable_seqscan = off;
-- a filter that keeps one row in ten: the scan widens until it has 10
EXPLAIN (COSTS OFF) SELECT id FROM vm WHERE id % 10 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10;
SELECT count(*) FROM (SELECT id FROM vm WHERE id % 10 = 0 ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 10) s;
-- the whole table through the index: every row once
SET work_mem = '64MB';
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM vm ORDER BY v <-> '[1,0,0,0,0,0,0,0]') s;
RESET enable_seqscan;
RESET work_mem;

-- inserts, then deletes of a third and of the medoid, then VACUUM
INSERT INTO vm SELECT 10000 + i, (SELECT array_agg(random() * 8 - 4) FROM generate_series(1, 8) WHERE i > 0)::real[]
FROM generate_series(1, 1000) i;
SELECT count(*) FROM vecgraph_check('vm_idx');
CREATE TEMP TABLE vm_entry AS SELECT entry_point FROM vecgraph_index_info('vm_idx');
DELETE FROM vm WHERE id % 3 = 0;
-- the medoid of uniform data is near the centre: the 400 rows nearest it go
DELETE FROM vm WHERE id IN (SELECT id FROM vm ORDER BY v <-> '[0,0,0,0,0,0,0,0]' LIMIT 400);
VACUUM vm;
SET work_mem = '64MB';
SELECT entry_point IS NOT NULL AS has_entry,
	   entry_point IS DISTINCT FROM (SELECT entry_point FROM vm_entry) AS new_entry,
	   nodes, deleted_nodes FROM vecgraph_index_info('vm_idx');
SELECT count(*) FROM vecgraph_check('vm_idx');
SET enable_seqscan = off;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM vm ORDER BY v <-> '[1,0,0,0,0,0,0,0]') s;
RESET enable_seqscan;
RESET work_mem;
-- freed slots are reused by later inserts
INSERT INTO vm SELECT 20000 + i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::real[]
FROM generate_series(1, 300) i;
SELECT count(*) FROM vecgraph_check('vm_idx');
DROP TABLE vm, vm_queries;
DROP FUNCTION vamana_mismatches;

-- a graph larger than maintenance_work_mem: the rows loaded are linked and
-- written, the rest inserted on disk
CREATE TABLE vm_big (id int, v vector(32));
INSERT INTO vm_big
SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 32) WHERE i > 0)::vector
FROM generate_series(1, 6000) i;
SET maintenance_work_mem = '1MB';
CREATE INDEX vm_big_v ON vm_big USING vecgraph (v) WITH (graph = 'vamana', degree = 16);
RESET maintenance_work_mem;
SELECT nodes FROM vecgraph_index_info('vm_big_v');
SELECT count(*) FROM vecgraph_check('vm_big_v');
DROP TABLE vm_big;

-- partitions and a parallel scan: the serial scan's rows in the same order
CREATE TABLE vm_p (id int PRIMARY KEY, v vector(8));
INSERT INTO vm_p
SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
FROM (SELECT setseed(0.31)) s, generate_series(1, 8000) i;
ANALYZE vm_p;
CREATE INDEX vm_p_v ON vm_p USING vecgraph (v) WITH (graph = 'vamana', partitions = 4, degree = 16);
SELECT partition, nodes BETWEEN 1700 AND 2300 AS balanced, entry_point IS NOT NULL AS has_entry
FROM vecgraph_index_partitions('vm_p_v') ORDER BY partition;
CREATE TABLE vm_pq (qid int, q vector(8));
INSERT INTO vm_pq SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 8) WHERE i > 0)::vector
FROM (SELECT setseed(0.12)) s, generate_series(1, 100) i;
CREATE FUNCTION vm_knn(query vector) RETURNS int[] LANGUAGE sql STABLE PARALLEL RESTRICTED AS
$$ SELECT array_agg(id) FROM (SELECT id FROM vm_p ORDER BY v <-> query LIMIT 20) s $$;
SET vecgraph.enable_parallel_scan = off;
CREATE TEMP TABLE vm_serial AS SELECT qid, vm_knn(q) AS ids FROM vm_pq;
RESET vecgraph.enable_parallel_scan;
SET parallel_setup_cost = 0;
SET vecgraph.parallel_worker_start_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_index_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET plan_cache_mode = force_custom_plan;
EXPLAIN (COSTS OFF)
SELECT array_agg(id) FROM (SELECT id FROM vm_p ORDER BY v <-> (SELECT q FROM vm_pq WHERE qid = 1) LIMIT 20) s;
CREATE TEMP TABLE vm_parallel AS SELECT qid, vm_knn(q) AS ids FROM vm_pq;
SELECT count(*) AS queries, count(*) FILTER (WHERE s.ids = p.ids) AS identical
FROM vm_serial s JOIN vm_parallel p USING (qid);
RESET plan_cache_mode;
RESET max_parallel_workers_per_gather;
RESET min_parallel_index_scan_size;
RESET parallel_tuple_cost;
RESET parallel_setup_cost;
DROP TABLE vm_p, vm_pq;
DROP FUNCTION vm_knn;
