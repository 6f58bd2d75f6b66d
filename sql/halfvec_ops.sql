-- Distances, norms, arithmetic and comparisons of halfvecs.
SELECT '[1,2,3]'::halfvec <-> '[4,5,6]', l2_distance('[1,2,3]'::halfvec, '[4,5,6]');
SELECT halfvec_l2_squared_distance('[1,2,3]', '[4,5,6]');
SELECT '[1,2,3]'::halfvec <#> '[4,5,6]', inner_product('[1,2,3]'::halfvec, '[4,5,6]'),
	   halfvec_negative_inner_product('[1,2,3]', '[4,5,6]');
SELECT '[1,2,3]'::halfvec <=> '[4,5,6]', cosine_distance('[1,2,3]'::halfvec, '[4,5,6]');
SELECT '[1,2,3]'::halfvec <+> '[4,5,6]', l1_distance('[1,2,3]'::halfvec, '[4,5,6]');
-- distances are of the rounded values: 0.1 is 0.0999755859375 as a half
SELECT '[0.1]'::halfvec <-> '[0]', '[0.1]'::halfvec <#> '[1]', '[0.1]'::halfvec <+> '[0]';
SELECT '[65504,65504]'::halfvec <-> '[-65504,-65504]' AS far, '[65504]'::halfvec <#> '[65504]' AS big_dot;
SELECT '[1,1]'::halfvec <=> '[-1,-1]' AS opposite, '[1,0]'::halfvec <=> '[0,1]' AS orthogonal,
	   '[3,4]'::halfvec <=> '[6,8]' AS parallel;
SELECT '[0,0]'::halfvec <=> '[1,1]' AS zero_norm_is_nan;
SELECT '[1,2,3]'::halfvec <-> NULL IS NULL AS strict;
-- the name alone is ambiguous between vector and halfvec, as in pgvector
SELECT l2_distance('[1,2,3]', '[4,5,6]');
SELECT vector_dims('[1,2,3]');

-- norms and normalisation
SELECT l2_norm('[3,4]'::halfvec), l2_norm('[0,0,0]'::halfvec), l2_norm('[65504,65504]'::halfvec);
SELECT l2_normalize('[3,4]'::halfvec), l2_normalize('[0,0]'::halfvec),
	   l2_normalize('[65504,1e-3]'::halfvec), l2_norm(l2_normalize('[1,2,3,4,5]'::halfvec));

-- element-wise arithmetic and concatenation, rounded to half
SELECT '[1,2,3]'::halfvec + '[4,5,6]', '[1,2,3]'::halfvec - '[4,5,6]', '[1,2,3]'::halfvec * '[4,5,6]';
SELECT '[2048,0.1]'::halfvec + '[1,0.2]' AS rounded_sum, '[1000,1e-3]'::halfvec * '[65,1e-3]' AS rounded_product;
SELECT '[32752]'::halfvec + '[32752]' AS largest_sum, '[-65504]'::halfvec - '[0.5]' AS tiny_difference;
SELECT '[1,2]'::halfvec || '[3]';
SELECT subvector('[1,2,3,4,5]'::halfvec, 2, 3), subvector('[1,2,3,4,5]'::halfvec, 4, 10),
	   subvector('[1,2,3]'::halfvec, 0, 2);
SELECT vector_dims(array_fill(1, ARRAY[8000])::halfvec || array_fill(1, ARRAY[8000])::halfvec);

-- comparisons and the btree operator class
SELECT '[1,2,3]'::halfvec < '[1,2,4]', '[1,2,3]'::halfvec = '[1,2,3]',
	   '[1,2]'::halfvec < '[1,2,3]', '[2]'::halfvec > '[1,9]',
	   '[1,2,3]'::halfvec <> '[1,2,3]', '[0]'::halfvec = '[-0]',
	   '[1,2]'::halfvec <= '[1,2]', '[1,2]'::halfvec >= '[1,3]';
-- equal after rounding: 2049 is 2048 as a half
SELECT '[2049]'::halfvec = '[2048]' AS rounded_equal, '[-1]'::halfvec < '[-0.5]' AS negatives;
SELECT halfvec_cmp('[1,2]', '[1,2]'), halfvec_cmp('[1,3]', '[1,2]'), halfvec_cmp('[1]', '[1,0]'),
	   halfvec_cmp('[-65504]', '[65504]');
CREATE TABLE hcmp (id int, v halfvec);
INSERT INTO hcmp VALUES (1, '[1,2]'), (2, '[-1,5]'), (3, '[1,2,0]'), (4, '[1,1.5]'),
	(5, '[0.5]'), (6, '[-0,0]'), (7, '[0,0]');
SELECT id, v FROM hcmp ORDER BY v, id;
CREATE INDEX ON hcmp USING btree (v);
SET enable_seqscan = off;
EXPLAIN (COSTS OFF) SELECT id FROM hcmp WHERE v = '[1,1.5]';
SELECT id FROM hcmp WHERE v = '[1,1.5]';
SELECT id FROM hcmp WHERE v < '[1]' ORDER BY v, id;
RESET enable_seqscan;
SELECT count(DISTINCT v) AS distinct_values FROM hcmp;
SELECT DISTINCT v FROM hcmp WHERE id <> 6 ORDER BY v;
CREATE UNIQUE INDEX ON hcmp (v) WHERE id <> 7;
INSERT INTO hcmp VALUES (8, '[1,2.0004]');

-- errors: dimensions, overflow, underflow, subvector
SELECT '[1,2]'::halfvec <-> '[1,2,3]';
SELECT '[1,2]'::halfvec <#> '[1,2,3]';
SELECT '[1,2]'::halfvec <=> '[1,2,3]';
SELECT '[1,2]'::halfvec <+> '[1,2,3]';
SELECT halfvec_l2_squared_distance('[1,2]', '[1,2,3]');
SELECT '[1,2]'::halfvec + '[1,2,3]';
SELECT '[1,2]'::halfvec - '[1,2,3]';
SELECT '[1,2]'::halfvec * '[1,2,3]';
SELECT '[1,2]'::halfvec < '[1,2,3]' AS shorter_first_not_an_error;
SELECT '[60000]'::halfvec + '[10000]';
SELECT '[-60000]'::halfvec - '[10000]';
SELECT '[32768]'::halfvec + '[32768]';
SELECT '[300]'::halfvec * '[300]';
SELECT '[1e-4]'::halfvec * '[1e-4]';
SELECT '[1e-4]'::halfvec * '[0]' AS zero_product_is_no_underflow;
SELECT array_fill(1, ARRAY[8000])::halfvec || array_fill(1, ARRAY[8001])::halfvec;
SELECT subvector('[1,2,3]'::halfvec, 4, 1);
SELECT subvector('[1,2,3]'::halfvec, 1, 0);
SELECT subvector('[1,2,3]'::halfvec, -5, 3);

-- Distances agree with the same values as vectors: every half is a float4,
-- and the half kernels accumulate as the float ones do, bit for bit at the
-- scalar level and for l2, inner product and l1 at every SIMD level this CPU
-- has; cosine's SIMD kernels keep fewer running sums for halves, so it only
-- agrees closely there.  Lengths cover the SIMD widths' tails; values are
-- seeded so the test is repeatable.
CREATE TABLE hpairs AS
SELECT n, i,
	   (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, n) WHERE i > 0)::halfvec AS a,
	   (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, n) WHERE i > 0)::halfvec AS b
FROM (SELECT setseed(0.42)) s,
	 (VALUES (1), (7), (8), (15), (16), (17), (31), (33), (100), (768), (784), (1536), (4100)) d(n),
	 generate_series(1, 3) i;
CREATE FUNCTION half_disagreements(OUT level text, OUT compared bigint,
								   OUT not_exact bigint, OUT cosine_not_exact bigint,
								   OUT cosine_not_close bigint)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
	FOREACH level IN ARRAY ARRAY['scalar', 'avx2', 'avx512'] LOOP
		BEGIN
			PERFORM set_config('vecgraph.simd', level, true);
		EXCEPTION WHEN invalid_parameter_value THEN
			CONTINUE;
		END;
		SELECT count(*),
			   count(*) FILTER (
				 WHERE a <-> b IS DISTINCT FROM a::vector <-> b::vector
					OR a <#> b IS DISTINCT FROM a::vector <#> b::vector
					OR a <+> b IS DISTINCT FROM a::vector <+> b::vector
					OR halfvec_l2_squared_distance(a, b) IS DISTINCT FROM
					   vector_l2_squared_distance(a::vector, b::vector)
					OR inner_product(a, b) IS DISTINCT FROM inner_product(a::vector, b::vector)),
			   count(*) FILTER (WHERE a <=> b IS DISTINCT FROM a::vector <=> b::vector),
			   count(*) FILTER (WHERE abs((a <=> b) - (a::vector <=> b::vector)) > 1e-6)
		INTO compared, not_exact, cosine_not_exact, cosine_not_close FROM hpairs;
		RETURN NEXT;
	END LOOP;
END $$;
SELECT compared, not_exact, cosine_not_exact FROM half_disagreements() WHERE level = 'scalar';
SELECT count(*) AS levels_checked_at_most_2, coalesce(sum(not_exact), 0) AS not_exact,
	   coalesce(sum(cosine_not_close), 0) AS cosine_not_close
FROM half_disagreements() WHERE level <> 'scalar' HAVING count(*) <= 2;
-- l2_norm in double precision agrees with vector_norm
SELECT count(*) FILTER (WHERE abs(l2_norm(a) - vector_norm(a::vector)) > 1e-12 * vector_norm(a::vector))
	   AS norm_disagreements
FROM hpairs;
