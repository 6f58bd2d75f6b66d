-- Deletes, VACUUM, slot reuse, inspection and checking.
CREATE TABLE docs (id int PRIMARY KEY, v vector(8));
INSERT INTO docs
SELECT i, (SELECT array_agg(round((random() * 10)::numeric, 1)) FROM generate_series(1, 8) WHERE i > 0)::vector
FROM (SELECT setseed(0.5)) s, generate_series(1, 3000) i;
CREATE INDEX docs_v ON docs USING vecgraph (v) WITH (m = 8, ef_construction = 32);
SELECT graph, metric, dimensions, m, ef_construction, nodes, deleted_nodes, partitions,
       pages > 0 AS has_pages, levels > 0 AS has_levels, entry_point IS NOT NULL AS has_entry,
       mean_out_degree BETWEEN 1 AND 16 AS degree_in_range
FROM vecgraph_index_info('docs_v');
SELECT * FROM vecgraph_check('docs_v');

-- every row is found through the index
SET enable_seqscan = off;
SET work_mem = '64MB';
SELECT count(*) = (SELECT count(*) FROM docs) AS all_found
FROM (SELECT id FROM docs ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 5000) s;

-- delete 30%, vacuum: deleted rows never come back, the graph stays sound
DELETE FROM docs WHERE id % 10 < 3;
VACUUM docs;
SELECT nodes, deleted_nodes FROM vecgraph_index_info('docs_v');
SELECT * FROM vecgraph_check('docs_v');
SELECT count(*) AS found, count(*) FILTER (WHERE id % 10 < 3) AS deleted_found
FROM (SELECT id FROM docs ORDER BY v <-> '[5,5,5,5,5,5,5,5]' LIMIT 5000) s;

-- inserts reuse the freed slots: the index does not grow
SELECT pg_relation_size('docs_v') AS size_before \gset
INSERT INTO docs
SELECT i, (SELECT array_agg(round((random() * 10)::numeric, 1)) FROM generate_series(1, 8) WHERE i > 0)::vector
FROM generate_series(3001, 3800) i;
SELECT pg_relation_size('docs_v') = :size_before AS same_size;
SELECT nodes, deleted_nodes FROM vecgraph_index_info('docs_v');
VACUUM docs;
SELECT * FROM vecgraph_check('docs_v');
SELECT count(*) = (SELECT count(*) FROM docs) AS all_found
FROM (SELECT id FROM docs ORDER BY v <-> '[1,2,3,4,5,6,7,8]' LIMIT 5000) s;
-- a row's own vector finds it first
SELECT (SELECT id FROM docs ORDER BY v <-> d.v LIMIT 1) = d.id AS finds_itself
FROM docs d WHERE id IN (3500, 3777);
RESET enable_seqscan;

-- a graph larger than maintenance_work_mem: the rest goes in on disk
CREATE TABLE big (id int, v vector(32));
INSERT INTO big
SELECT i, (SELECT array_agg(random()) FROM generate_series(1, 32) WHERE i > 0)::vector
FROM generate_series(1, 6000) i;
SET maintenance_work_mem = '1MB';
CREATE INDEX big_v ON big USING vecgraph (v) WITH (m = 8, ef_construction = 16);
RESET maintenance_work_mem;
VACUUM big;
SELECT nodes FROM vecgraph_index_info('big_v');
SELECT * FROM vecgraph_check('big_v');

-- A free slot is taken over only under a cleanup lock, since scans read
-- nodes under a pin alone: while a cursor's scan holds a pin on the one
-- page of nodes (here this backend's own, as another reader's would be),
-- inserts add new nodes instead; once the pin is gone, they reuse slots.
CREATE TABLE tiny (id int, v vector(4));
INSERT INTO tiny SELECT i, ARRAY[i, i % 7, i % 5, 1]::vector FROM generate_series(1, 40) i;
CREATE INDEX tiny_v ON tiny USING vecgraph (v) WITH (m = 4, ef_construction = 16);
SELECT pg_relation_size('tiny_v') / 8192 AS pages;  -- the metapage and one
DELETE FROM tiny WHERE id % 2 = 0;
VACUUM tiny;
SET enable_seqscan = off;
SET vecgraph.enable_search_workers = off;  -- the pin is this backend's
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM tiny ORDER BY v <-> '[3,3,3,1]';
FETCH 1 FROM c;
INSERT INTO tiny SELECT i, ARRAY[i, i % 7, i % 5, 1]::vector FROM generate_series(101, 105) i;
SELECT nodes, deleted_nodes AS free_or_deleted FROM vecgraph_index_info('tiny_v');
CLOSE c;
COMMIT;
INSERT INTO tiny SELECT i, ARRAY[i, i % 7, i % 5, 1]::vector FROM generate_series(201, 205) i;
SELECT nodes, deleted_nodes AS free_or_deleted FROM vecgraph_index_info('tiny_v');
SELECT * FROM vecgraph_check('tiny_v');
SELECT count(*) = (SELECT count(*) FROM tiny) AS all_found
FROM (SELECT id FROM tiny ORDER BY v <-> '[1,2,3,1]' LIMIT 100) s;
RESET enable_seqscan;
RESET vecgraph.enable_search_workers;
DROP TABLE tiny;

-- errors
SELECT * FROM vecgraph_index_info('docs_pkey');
SELECT * FROM vecgraph_check('docs');
CREATE ROLE vecgraph_nobody;
SET ROLE vecgraph_nobody;
SELECT * FROM vecgraph_check('docs_v');
RESET ROLE;
DROP ROLE vecgraph_nobody;
