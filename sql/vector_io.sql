-- Text, binary and typmod behaviour of the vector type.
CREATE EXTENSION vecgraph;

SELECT '[1,2,3]'::vector;
SELECT '[1,2.5,-3e-2]'::vector;
SELECT '  [ 1 , 2 ,3 ]  '::vector;
SELECT '[1.23456789,0.1,-0,1e-38,3.4e38]'::vector;
SELECT '[1e-45]'::vector;	-- denormal, accepted as float4 accepts it
SELECT vector_dims('[1,2,3]'::vector);
SELECT vector_dims(array_fill(1, ARRAY[16000])::vector);

-- shortest round-trip output: text out and in gives the same floats
SELECT v::text::vector = v AS round_trips, v::text
FROM (VALUES ('[0.1,0.2,0.30000001,1.1754944e-38,16777217]'::vector)) t(v);

-- typmod
SELECT '[1,2,3]'::vector(3);
CREATE TABLE items (id int, v vector(3));
SELECT format_type(atttypid, atttypmod) FROM pg_attribute
WHERE attrelid = 'items'::regclass AND attname = 'v';
INSERT INTO items VALUES (1, '[1,2,3]'), (2, '[4,5,6]'), (3, NULL);
SELECT * FROM items ORDER BY id;
UPDATE items SET v = v + '[1,1,1]' WHERE id = 1;
SELECT v FROM items WHERE id = 1;

-- storage: EXTERNAL (no compression), 4 bytes a dimension plus the header
SELECT typstorage, typalign FROM pg_type WHERE typname = 'vector';
SELECT pg_column_size('[1,2,3]'::vector) AS three_dims,
       pg_column_size(array_fill(0.5, ARRAY[768])::vector) AS d768;
CREATE TABLE wide (v vector(768));
INSERT INTO wide SELECT array_fill(0.5, ARRAY[768])::vector FROM generate_series(1, 3);
SELECT pg_column_size(v) FROM wide LIMIT 1;
SELECT pg_column_compression(v) FROM wide LIMIT 1;	-- not compressed

-- binary send/recv: pgvector's wire format
SELECT vector_send('[1,2,3]');
SELECT vector_send('[-0.5]');

-- casts
SELECT ARRAY[1,2,3]::vector;
SELECT ARRAY[1.5,2.5]::real[]::vector;
SELECT ARRAY[1.5,2.5]::double precision[]::vector;
SELECT ARRAY[1.5,2.25]::numeric[]::vector;
SELECT '[1,2,3]'::vector::real[];
SELECT ARRAY[1,2,3]::vector(3);
INSERT INTO items VALUES (4, ARRAY[7,8,9]);
INSERT INTO items VALUES (5, ARRAY[7.5,8,9]::real[]);
SELECT * FROM items WHERE id >= 4 ORDER BY id;

-- comparisons and the btree operator class
SELECT '[1,2,3]'::vector < '[1,2,4]', '[1,2,3]'::vector = '[1,2,3]',
       '[1,2]'::vector < '[1,2,3]', '[2]'::vector > '[1,9]',
       '[1,2,3]'::vector <> '[1,2,3]', '[0]'::vector = '[-0]';
SELECT vector_cmp('[1,2]', '[1,2]'), vector_cmp('[1,3]', '[1,2]'), vector_cmp('[1]', '[1,0]');
CREATE INDEX ON items USING btree (v);
SET enable_seqscan = off;
SELECT id FROM items WHERE v = '[4,5,6]';
RESET enable_seqscan;
SELECT DISTINCT v FROM (VALUES ('[1,1]'::vector), ('[1,1]'), ('[0,1]')) t(v) ORDER BY v;
