-- Ordered scans of vecgraph indexes.
CREATE TABLE pts (id int PRIMARY KEY, v vector(2), tag int);
INSERT INTO pts SELECT i, ARRAY[i % 100, i / 100], i % 10 FROM generate_series(0, 9999) i;
INSERT INTO pts VALUES (-1, NULL, 0);
CREATE INDEX pts_l2 ON pts USING vecgraph (v) WITH (m = 8, ef_construction = 32);
ANALYZE pts;

-- the planner picks the index for ORDER BY distance LIMIT k ...
EXPLAIN (COSTS OFF) SELECT id FROM pts ORDER BY v <-> '[5,5]' LIMIT 5;
-- ... and not without an ordering it serves
EXPLAIN (COSTS OFF) SELECT id FROM pts WHERE v = '[5,5]';
EXPLAIN (COSTS OFF) SELECT id FROM pts ORDER BY v <#> '[5,5]' LIMIT 5;
-- ... and for a wide search with a large LIMIT: on Fashion-MNIST (60,000 x
-- 784) the index answers k = 1000 at ef_search 1000 in ~4 ms, a sequential
-- scan and sort in ~135 ms
SET vecgraph.ef_search = 1000;
EXPLAIN (COSTS OFF) SELECT id FROM pts ORDER BY v <-> '[5,5]' LIMIT 1000;
RESET vecgraph.ef_search;

SELECT id, v, v <-> '[5.2,5.1]' AS d FROM pts ORDER BY v <-> '[5.2,5.1]' LIMIT 5;

-- every row comes back, nearest first, with LIMIT far beyond ef_search
-- (given the memory: each wider round costs more, within work_mem)
SET work_mem = '64MB';
SET vecgraph.ef_search = 10;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM pts ORDER BY v <-> '[50,50]' LIMIT 10000) s;
-- filters that reject most rows still return LIMIT rows
SELECT count(*) FROM (SELECT id FROM pts WHERE tag = 3 AND id % 7 = 0 ORDER BY v <-> '[1,1]' LIMIT 30) s;
SELECT id FROM pts WHERE id IN (1234, 4321) ORDER BY v <-> '[0,0]' LIMIT 5;
-- the iterative scan stops at vecgraph.max_scan_tuples (rounds of 10, 20,
-- 40, 80, 160 rows: it stops after the round that passes 100)
SET enable_seqscan = off;
SET vecgraph.max_scan_tuples = 100;
EXPLAIN (COSTS OFF) SELECT id FROM pts WHERE tag = 3 ORDER BY v <-> '[1,1]' LIMIT 1000;
SELECT count(*) FROM (SELECT id FROM pts WHERE tag = 3 ORDER BY v <-> '[1,1]' LIMIT 1000) s;
RESET vecgraph.max_scan_tuples;
SELECT count(*) FROM (SELECT id FROM pts WHERE tag = 3 ORDER BY v <-> '[1,1]' LIMIT 1000) s;
-- ... and stops, saying so, when widening would pass work_mem
SET work_mem = '64kB';
SELECT count(*) < 1000 AS stopped_early FROM (SELECT id FROM pts WHERE tag = 3 ORDER BY v <-> '[1,1]' LIMIT 1000) s;
SET work_mem = '64MB';
RESET enable_seqscan;
RESET vecgraph.ef_search;

-- exact nearest neighbours where the answer is unambiguous
SELECT id FROM pts ORDER BY v <-> '[17,23]' LIMIT 1;
SELECT id FROM pts ORDER BY v <-> '[99,99]' LIMIT 1;

-- the query vector from a parameter, a subquery, a join, a cursor
PREPARE knn(vector) AS SELECT id FROM pts ORDER BY v <-> $1 LIMIT 3;
EXECUTE knn('[10,10]');
SELECT id FROM pts ORDER BY v <-> (SELECT v FROM pts WHERE id = 4242) LIMIT 1;
SELECT q.id AS query, n.id AS nearest
FROM pts q, LATERAL (SELECT id FROM pts p WHERE p.id <> q.id ORDER BY p.v <-> q.v LIMIT 1) n
WHERE q.id IN (101, 202, 303) ORDER BY q.id;
BEGIN;
DECLARE c CURSOR FOR SELECT id FROM pts ORDER BY v <-> '[42,42]';
FETCH 2 FROM c;
FETCH 2 FROM c;
CLOSE c;
COMMIT;

-- NULL query: rows come back (distances are NULL), NULL rows never do
SET enable_seqscan = off;
SET work_mem = '64MB';
SELECT count(*) FROM (SELECT id FROM pts ORDER BY v <-> NULL LIMIT 5) s;
SELECT count(*) FROM (SELECT id FROM pts ORDER BY v <-> '[0,0]' LIMIT 20000) s;
RESET enable_seqscan;

-- a query vector of the wrong dimension
SELECT id FROM pts ORDER BY v <-> '[1,2,3]' LIMIT 1;

-- the other metrics
CREATE INDEX pts_ip ON pts USING vecgraph (v vector_ip_ops);
CREATE INDEX pts_cos ON pts USING vecgraph (v vector_cosine_ops);
CREATE INDEX pts_l1 ON pts USING vecgraph (v vector_l1_ops);
SELECT id, v <#> '[1,1]' FROM pts ORDER BY v <#> '[1,1]' LIMIT 3;
SELECT id, v <+> '[3,4]' FROM pts ORDER BY v <+> '[3,4]' LIMIT 1;
-- cosine: the zero vector [0,0] (id 0) is not indexed, as its distance is NaN
SET enable_seqscan = off;
SET work_mem = '64MB';
SELECT count(*) FROM (SELECT id FROM pts ORDER BY v <=> '[1,1]' LIMIT 20000) s;
RESET enable_seqscan;
SELECT v <=> '[1,1]' < 1e-6 AS same_direction FROM pts ORDER BY v <=> '[1,1]' LIMIT 3;

-- The query's output reuses the distances the scan computed (L2, inner
-- product, L1), falling back to computing them when the row is not the
-- scan's last; the values are identical either way.
SET enable_seqscan = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, v <-> '[3,4]' FROM pts ORDER BY v <-> '[3,4]' LIMIT 2;
SELECT id, v <-> '[3.5,4]' AS d FROM pts ORDER BY v <-> '[3.5,4]' LIMIT 3;
SET vecgraph.reuse_distances = off;
EXPLAIN (VERBOSE, COSTS OFF) SELECT id, v <-> '[3,4]' FROM pts ORDER BY v <-> '[3,4]' LIMIT 2;
SELECT id, v <-> '[3.5,4]' AS d FROM pts ORDER BY v <-> '[3.5,4]' LIMIT 3;
RESET vecgraph.reuse_distances;
-- cosine distances are not reused: the index ranks normalised vectors
EXPLAIN (VERBOSE, COSTS OFF) SELECT id FROM pts ORDER BY v <=> '[3,4]' LIMIT 2;
-- the internal functions answer false/NULL outside a rewritten scan
SELECT vecgraph_last_distance_matches('pts_l2', '(0,1)', '[1,1]'), vecgraph_last_distance();
-- a self-join: the inner scan's rows are projected after other scans ran
SELECT a.id, b.id, round(b.d::numeric, 6) AS d, b.d = (a.v <-> b.v) AS same
FROM (SELECT id, v FROM pts ORDER BY v <-> '[7,7]' LIMIT 2) a,
     LATERAL (SELECT id, v, v <-> a.v AS d FROM pts ORDER BY v <-> a.v LIMIT 2) b
ORDER BY 1, 2;
-- queries stored out of line (TOAST): each is detoasted once for all of
-- its scan's rows, and the reused distances are the ones computed anew
CREATE TABLE wide_q (id int, v vector(600));
ALTER TABLE wide_q ALTER COLUMN v SET STORAGE EXTERNAL;
INSERT INTO wide_q
SELECT i, (SELECT array_agg(((i * 7 + k * 13) % 17)::real) FROM generate_series(1, 600) k)::vector
FROM generate_series(1, 30) i;
CREATE INDEX wide_q_v ON wide_q USING vecgraph (v);
SELECT pg_relation_size(reltoastrelid) > 0 AS toasted FROM pg_class WHERE relname = 'wide_q';
SELECT count(*) AS pairs, bool_and(b.d = (a.v <-> b.v)) AS same
FROM wide_q a, LATERAL (SELECT id, v, v <-> a.v AS d FROM wide_q ORDER BY v <-> a.v LIMIT 3) b;
DROP TABLE wide_q;
RESET enable_seqscan;
