-- Half-precision storage (storage = 'half') and indexes of halfvec columns.

-- the option and its errors
CREATE TABLE hv_opt (id int, v vector(3));
CREATE INDEX ON hv_opt USING vecgraph (v) WITH (storage = 'double');
CREATE INDEX ON hv_opt USING vecgraph (v) WITH (storage = '');
CREATE INDEX hv_opt_half ON hv_opt USING vecgraph (v) WITH (storage = 'half');
SELECT reloptions FROM pg_class WHERE relname = 'hv_opt_half';
DROP TABLE hv_opt;

-- dimensions: 2,000 with float storage, 4,000 with half (at the default m)
CREATE TABLE hv_wide (id int, v vector(3072));
CREATE INDEX ON hv_wide USING vecgraph (v);
CREATE INDEX hv_wide_half ON hv_wide USING vecgraph (v) WITH (storage = 'half');
CREATE TABLE hv_wider (id int, v vector(4001), w vector(4000));
CREATE INDEX ON hv_wider USING vecgraph (v) WITH (storage = 'half');
CREATE INDEX ON hv_wider USING vecgraph (w) WITH (storage = 'half');
-- ... and a node must still fit a page with the m asked for
CREATE INDEX ON hv_wider USING vecgraph (w) WITH (storage = 'half', m = 32);
INSERT INTO hv_wide SELECT i, array_fill(i / 7.0, ARRAY[3072])::vector FROM generate_series(1, 40) i;
SET enable_seqscan = off;
SELECT id FROM hv_wide ORDER BY v <-> array_fill(3.05, ARRAY[3072])::vector LIMIT 3;
RESET enable_seqscan;
SELECT count(*) FROM vecgraph_check('hv_wide_half');
DROP TABLE hv_wide, hv_wider;

-- a value half precision cannot hold is refused, not changed
CREATE TABLE hv_range (id int, v vector(2));
CREATE INDEX hv_range_half ON hv_range USING vecgraph (v) WITH (storage = 'half');
INSERT INTO hv_range VALUES (1, '[65504,-65504]');
INSERT INTO hv_range VALUES (2, '[70000,1]');
INSERT INTO hv_range VALUES (3, '[1e-9,1]');
SELECT id FROM hv_range ORDER BY id;
-- a query beyond half's range still works (queries stay in float)
SET enable_seqscan = off;
SELECT id, v <-> '[1e6,0]' AS d FROM hv_range ORDER BY v <-> '[1e6,0]' LIMIT 2;
RESET enable_seqscan;
DROP TABLE hv_range;

-- Rows come back in exact distance order even though the index ranks by
-- rounded copies: every query's rows come back in nondecreasing distance
-- order, and are those of a sequential scan (up to the order of ties).
CREATE TABLE hv (id int PRIMARY KEY, v vector(12));
SELECT setseed(0.25);
INSERT INTO hv SELECT i, (SELECT array_agg(random() * 4 - 2) FROM generate_series(1, 12) WHERE i > 0)
FROM generate_series(1, 3000) i;
-- near-duplicates whose half copies are equal: only the exact distance
-- tells them apart
INSERT INTO hv SELECT 10000 + id, (SELECT array_agg(x + 1e-5 * (1 + id % 3)) FROM unnest(v::real[]) x)
FROM hv WHERE id <= 40;
CREATE TABLE hv_queries AS SELECT id, v FROM hv WHERE id % 100 = 1;
ANALYZE hv;

-- Builds an index of table tbl on column col, then for each row of
-- tbl_queries compares the first 20 rows of an index scan with a sequential
-- scan's: the same rows with the same distances (ties in any order), and
-- index rows in nondecreasing distance.  Returns how many queries differ.
CREATE FUNCTION order_mismatches(tbl text, col text, op text, opclass text, options text)
RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	q record;
	bad int := 0;
	via_index text;
	disorder int;
	exact text;
	typ text := (SELECT format_type(atttypid, atttypmod) FROM pg_attribute
				 WHERE attrelid = tbl::regclass AND attname = col);
	-- the query as text, cast here: a record's field types may not change
	-- between calls of one session
	scan text := format('SELECT id, %I %s $1::%s AS d FROM %I ORDER BY %I %s $1::%s',
						col, op, typ, tbl, col, op, typ);
BEGIN
	EXECUTE format('CREATE INDEX order_idx ON %I USING vecgraph (%I %s) %s', tbl, col, opclass, options);
	FOR q IN EXECUTE format('SELECT id, %I::text AS v FROM %I', col, tbl || '_queries') LOOP
		SET LOCAL enable_seqscan = off;
		SET LOCAL vecgraph.ef_search = 400;
		EXECUTE format('SELECT string_agg(id || '':'' || d, '','' ORDER BY d, id), count(*) FILTER (WHERE d < prev) FROM (SELECT id, d, lag(d) OVER () AS prev FROM (%s LIMIT 20) s) s', scan)
			INTO via_index, disorder USING q.v;
		SET LOCAL enable_seqscan = on;
		SET LOCAL enable_indexscan = off;
		EXECUTE format('SELECT string_agg(id || '':'' || d, '','' ORDER BY d, id) FROM (%s, id LIMIT 20) s', scan)
			INTO exact USING q.v;
		SET LOCAL enable_indexscan = on;
		IF via_index IS DISTINCT FROM exact OR disorder > 0 THEN
			bad := bad + 1;
			RAISE NOTICE 'query %: index % exact %', q.id, via_index, exact;
		END IF;
	END LOOP;
	DROP INDEX order_idx;
	RETURN bad;
END
$$;
SELECT order_mismatches('hv', 'v', '<->', 'vector_l2_ops', 'WITH (storage = ''half'')') AS l2,
	   order_mismatches('hv', 'v', '<#>', 'vector_ip_ops', 'WITH (storage = ''half'')') AS ip,
	   order_mismatches('hv', 'v', '<=>', 'vector_cosine_ops', 'WITH (storage = ''half'')') AS cosine,
	   order_mismatches('hv', 'v', '<+>', 'vector_l1_ops', 'WITH (storage = ''half'')') AS l1;

-- half storage takes half the pages of float storage (784 dimensions)
CREATE TABLE hv_size (id int, v vector(784));
INSERT INTO hv_size SELECT i, array_fill((i % 256)::real, ARRAY[784])::vector FROM generate_series(1, 400) i;
CREATE INDEX hv_size_float ON hv_size USING vecgraph (v);
CREATE INDEX hv_size_half ON hv_size USING vecgraph (v) WITH (storage = 'half');
SELECT round(pg_relation_size('hv_size_half')::numeric / pg_relation_size('hv_size_float'), 2) AS ratio;
DROP TABLE hv_size;

-- inserts, deletes and VACUUM keep a half index sound
CREATE INDEX hv_l2 ON hv USING vecgraph (v) WITH (storage = 'half', m = 8);
INSERT INTO hv SELECT 20000 + i, (SELECT array_agg(random()) FROM generate_series(1, 12) WHERE i > 0)
FROM generate_series(1, 500) i;
DELETE FROM hv WHERE id % 3 = 0;
VACUUM hv;
SELECT count(*) FROM vecgraph_check('hv_l2');
SELECT storage FROM vecgraph_index_info('hv_l2');
SET enable_seqscan = off;
SELECT count(*), count(DISTINCT id) FROM (SELECT id FROM hv ORDER BY v <-> '[0,0,0,0,0,0,0,0,0,0,0,0]' LIMIT 100) s;
RESET enable_seqscan;
DROP TABLE hv, hv_queries;

-- halfvec columns: their operator classes keep half vectors by default
CREATE TABLE hh (id int PRIMARY KEY, h halfvec(12));
SELECT setseed(0.5);
INSERT INTO hh SELECT i, (SELECT array_agg(random() * 4 - 2) FROM generate_series(1, 12) WHERE i > 0)::real[]
FROM generate_series(1, 3000) i;
CREATE TABLE hh_queries AS SELECT id, h FROM hh WHERE id % 100 = 7;
SELECT order_mismatches('hh', 'h', '<->', 'halfvec_l2_ops', '') AS l2,
	   order_mismatches('hh', 'h', '<#>', 'halfvec_ip_ops', '') AS ip,
	   order_mismatches('hh', 'h', '<=>', 'halfvec_cosine_ops', '') AS cosine,
	   order_mismatches('hh', 'h', '<+>', 'halfvec_l1_ops', '') AS l1,
	   order_mismatches('hh', 'h', '<->', 'halfvec_l2_ops', 'WITH (storage = ''float'')') AS l2_float;
-- the default operator class, a query typed vector (cast implicitly), and
-- the size of a halfvec index against a float one of the same rows
CREATE INDEX hh_l2 ON hh USING vecgraph (h);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hh ORDER BY h <-> '[0,0,0,0,0,0,0,0,0,0,0,1]'::vector LIMIT 3;
SELECT id FROM hh ORDER BY h <-> '[0,0,0,0,0,0,0,0,0,0,0,1]'::vector LIMIT 3;
RESET enable_seqscan;
CREATE INDEX hh_l2_float ON hh USING vecgraph (h) WITH (storage = 'float');
SELECT pg_relation_size('hh_l2') < pg_relation_size('hh_l2_float') AS smaller;
SELECT i, storage, dimensions, metric FROM unnest(ARRAY['hh_l2', 'hh_l2_float']::regclass[]) i,
	LATERAL vecgraph_index_info(i) ORDER BY 1;
SELECT count(*) FROM vecgraph_check('hh_l2');
SELECT count(*) FROM vecgraph_check('hh_l2_float');
-- a halfvec index's dimensions and values
CREATE TABLE hh_wide (h halfvec(4000));
CREATE INDEX ON hh_wide USING vecgraph (h);
CREATE TABLE hh_wider (h halfvec(4001));
CREATE INDEX ON hh_wider USING vecgraph (h);
DROP FUNCTION order_mismatches(text, text, text, text, text);
DROP TABLE hh, hh_queries, hh_wide, hh_wider;
