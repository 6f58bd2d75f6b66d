-- Building vecgraph indexes: options, limits and errors.
CREATE TABLE items (id int PRIMARY KEY, v vector(3));
INSERT INTO items SELECT i, ARRAY[i % 31, i % 17, i % 7] FROM generate_series(1, 3000) i;
INSERT INTO items VALUES (0, NULL);

CREATE INDEX items_v_idx ON items USING vecgraph (v);
SELECT amname FROM pg_class c JOIN pg_am a ON a.oid = c.relam WHERE relname = 'items_v_idx';
DROP INDEX items_v_idx;
CREATE INDEX ON items USING vecgraph (v vector_l2_ops) WITH (graph = 'hnsw', m = 4, ef_construction = 8);
CREATE INDEX ON items USING vecgraph (v vector_ip_ops) WITH (m = 100, ef_construction = 1000);
CREATE INDEX ON items USING vecgraph (v vector_cosine_ops);
CREATE INDEX ON items USING vecgraph (v vector_l1_ops);
SELECT relname, reloptions FROM pg_class WHERE relname LIKE 'items_v_idx%' ORDER BY relname;

-- keep_pruned (on by default) fills each new node's lists to m with the
-- candidates the heuristic pruned: denser lists, when rows are inserted (the
-- option is in the metapage) and when the index is built
CREATE TABLE dense (id int, v vector(8));
CREATE INDEX dense_kept ON dense USING vecgraph (v) WITH (m = 8, ef_construction = 32);
CREATE INDEX dense_plain ON dense USING vecgraph (v) WITH (m = 8, ef_construction = 32, keep_pruned = off);
INSERT INTO dense SELECT i, (SELECT array_agg(sin(i * j * 0.37)) FROM generate_series(1, 8) j)::vector
FROM generate_series(1, 2000) i;
SELECT k.mean_out_degree > 2 * p.mean_out_degree AS denser
FROM vecgraph_index_info('dense_kept') k, vecgraph_index_info('dense_plain') p;
REINDEX TABLE dense;
SELECT k.mean_out_degree > 2 * p.mean_out_degree AS denser
FROM vecgraph_index_info('dense_kept') k, vecgraph_index_info('dense_plain') p;
SELECT count(*) AS problems FROM vecgraph_check('dense_kept');
DROP TABLE dense;

-- The functions that read an index name it by regclass: what else they get,
-- and who may read an index
SELECT * FROM vecgraph_index_info('items');
CREATE INDEX items_id_btree ON items (id);
SELECT * FROM vecgraph_index_info('items_id_btree');
SELECT * FROM vecgraph_index_info(NULL);
SELECT * FROM vecgraph_index_info(0);
SELECT * FROM vecgraph_check('items');
SELECT * FROM vecgraph_index_partitions('items_id_btree');
DROP INDEX items_id_btree;
SELECT vecgraph_estimate_workers('items', 10, 40);
CREATE TABLE parted (v vector(2)) PARTITION BY RANGE (v);
CREATE INDEX parted_v ON parted USING vecgraph (v);
SELECT * FROM vecgraph_index_info('parted_v');
DROP TABLE parted;
CREATE ROLE regress_vecgraph_reader;
SET ROLE regress_vecgraph_reader;
SELECT nodes > 0 AS readable FROM vecgraph_index_info('items_v_idx1');
SELECT * FROM vecgraph_check('items_v_idx1');
RESET ROLE;
GRANT SELECT ON items TO regress_vecgraph_reader;
GRANT EXECUTE ON FUNCTION vecgraph_check(regclass) TO regress_vecgraph_reader;
SET ROLE regress_vecgraph_reader;
SELECT nodes > 0 AS readable FROM vecgraph_index_info('items_v_idx1');
SELECT count(*) FROM vecgraph_check('items_v_idx1');
RESET ROLE;
REVOKE SELECT ON items FROM regress_vecgraph_reader;
GRANT pg_stat_scan_tables TO regress_vecgraph_reader;
SET ROLE regress_vecgraph_reader;
SELECT nodes > 0 AS readable FROM vecgraph_index_info('items_v_idx1');
RESET ROLE;
DROP OWNED BY regress_vecgraph_reader;
DROP ROLE regress_vecgraph_reader;

-- bad options
CREATE INDEX ON items USING vecgraph (v) WITH (graph = 'vamana2');
CREATE INDEX ON items USING vecgraph (v) WITH (m = 1);
CREATE INDEX ON items USING vecgraph (v) WITH (m = 101);
CREATE INDEX ON items USING vecgraph (v) WITH (ef_construction = 3);
CREATE INDEX ON items USING vecgraph (v) WITH (ef_construction = 1001);
CREATE INDEX ON items USING vecgraph (v) WITH (m = 16, ef_construction = 31);
CREATE INDEX ON items USING vecgraph (v) WITH (keep_pruned = maybe);
CREATE INDEX ON items USING vecgraph (v) WITH (nonsense = 1);

-- what cannot be indexed
CREATE TABLE untyped (v vector);
CREATE INDEX ON untyped USING vecgraph (v);
CREATE TABLE wide (v vector(2001));
CREATE INDEX ON wide USING vecgraph (v);
CREATE TABLE wide_m (v vector(1990));
CREATE INDEX ON wide_m USING vecgraph (v) WITH (m = 48, ef_construction = 96);
CREATE INDEX ON wide_m USING vecgraph (v) WITH (m = 16);
CREATE TABLE twocol (a vector(2), b vector(2));
CREATE INDEX ON twocol USING vecgraph (a, b);
CREATE INDEX ON items USING vecgraph (id);

-- an empty table, and an unlogged one
CREATE TABLE empty (v vector(4));
CREATE INDEX ON empty USING vecgraph (v);
SELECT * FROM empty ORDER BY v <-> '[1,2,3,4]' LIMIT 1;
CREATE UNLOGGED TABLE unlogged_items (v vector(2));
CREATE INDEX ON unlogged_items USING vecgraph (v);
INSERT INTO unlogged_items VALUES ('[1,2]');

-- settings
SHOW vecgraph.ef_search;
SET vecgraph.ef_search = 0;
SET vecgraph.ef_search = 1001;
SET vecgraph.max_scan_tuples = 0;
BEGIN;
SET LOCAL vecgraph.ef_search = 100;
SHOW vecgraph.ef_search;
COMMIT;
SHOW vecgraph.ef_search;

-- the operator classes are valid
SELECT opcname, amvalidate(c.oid) FROM pg_opclass c JOIN pg_am a ON a.oid = c.opcmethod
WHERE amname = 'vecgraph' ORDER BY opcname;

-- a build can be cancelled: statement_timeout interrupts it mid-graph
CREATE TABLE slow (v vector(64));
INSERT INTO slow
SELECT (SELECT array_agg(random()) FROM generate_series(1, 64) WHERE i > 0)::vector
FROM generate_series(1, 20000) i;
SET statement_timeout = '300ms';
CREATE INDEX slow_v ON slow USING vecgraph (v) WITH (m = 32, ef_construction = 400);
RESET statement_timeout;
SELECT count(*) FROM pg_class WHERE relname = 'slow_v';

-- amvalidate reports what is wrong with an operator class
CREATE OPERATOR FAMILY bad_vg_ops USING vecgraph;
CREATE OPERATOR CLASS bad_vg_ops FOR TYPE vector USING vecgraph FAMILY bad_vg_ops AS
	OPERATOR 1 < (vector, vector),
	FUNCTION 1 vector_dims(vector);
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'bad_vg_ops';
CREATE OPERATOR CLASS empty_vg_ops FOR TYPE vector USING vecgraph AS
	FUNCTION 1 l1_distance(vector, vector);
SELECT amvalidate(oid) FROM pg_opclass WHERE opcname = 'empty_vg_ops';
CREATE TABLE bad_opclass (v vector(2));
CREATE INDEX ON bad_opclass USING vecgraph (v empty_vg_ops);
CREATE OPERATOR CLASS nofunc_vg_ops FOR TYPE vector USING vecgraph AS
	OPERATOR 1 <-> (vector, vector) FOR ORDER BY float_ops,
	FUNCTION 1 l2_distance(vector, vector);
CREATE INDEX ON bad_opclass USING vecgraph (v nofunc_vg_ops);
DROP TABLE bad_opclass;
DROP OPERATOR CLASS bad_vg_ops USING vecgraph;
DROP OPERATOR FAMILY bad_vg_ops USING vecgraph;
DROP OPERATOR CLASS empty_vg_ops USING vecgraph;
DROP OPERATOR CLASS nofunc_vg_ops USING vecgraph;
