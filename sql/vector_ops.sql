-- Distances, norms and arithmetic.
SELECT '[1,2,3]'::vector <-> '[4,5,6]';
SELECT l2_distance('[1,2,3]'::vector, '[4,5,6]');
SELECT vector_l2_squared_distance('[1,2,3]', '[4,5,6]');
SELECT '[1,2,3]'::vector <#> '[4,5,6]', inner_product('[1,2,3]'::vector, '[4,5,6]');
SELECT '[1,2,3]'::vector <=> '[4,5,6]', cosine_distance('[1,2,3]'::vector, '[4,5,6]');
SELECT '[1,2,3]'::vector <+> '[4,5,6]', l1_distance('[1,2,3]'::vector, '[4,5,6]');
SELECT '[1,1]'::vector <=> '[-1,-1]' AS opposite, '[1,0]'::vector <=> '[0,1]' AS orthogonal,
       '[3,4]'::vector <=> '[6,8]' AS parallel;
SELECT '[0,0]'::vector <=> '[1,1]' AS zero_norm_is_nan;
SELECT '[1,2,3]'::vector <-> NULL IS NULL AS strict;

-- norms and normalisation
SELECT vector_norm('[3,4]'), vector_norm('[0,0,0]');
SELECT l2_normalize('[3,4]'::vector), l2_normalize('[0,0]'::vector), vector_norm(l2_normalize('[1,2,3,4,5]'::vector));

-- element-wise arithmetic and concatenation
SELECT '[1,2,3]'::vector + '[4,5,6]', '[1,2,3]'::vector - '[4,5,6]', '[1,2,3]'::vector * '[4,5,6]';
SELECT '[1,2]'::vector || '[3]';
SELECT subvector('[1,2,3,4,5]'::vector, 2, 3), subvector('[1,2,3,4,5]'::vector, 4, 10), subvector('[1,2,3]'::vector, 0, 2);

-- Every SIMD kernel agrees with the scalar one.  Lengths cover the SIMD
-- widths' tails; values are seeded so the test is repeatable.
CREATE TABLE pairs AS
SELECT n, i,
       (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, n) WHERE i > 0)::vector AS a,
       (SELECT array_agg(random() * 2 - 1) FROM generate_series(1, n) WHERE i > 0)::vector AS b
FROM (SELECT setseed(0.42)) s,
     (VALUES (1), (7), (8), (15), (16), (17), (31), (33), (100), (768), (784), (1536), (4100)) d(n),
     generate_series(1, 3) i;
CREATE FUNCTION all_distances(OUT n int, OUT i int, OUT l2 float8, OUT ip float8, OUT cos float8, OUT l1 float8)
RETURNS SETOF record LANGUAGE sql AS
$$ SELECT n, i, a <-> b, a <#> b, a <=> b, a <+> b FROM pairs $$;
SET vecgraph.simd = scalar;
SELECT vecgraph_simd_level();
CREATE TEMP TABLE scalar_results AS SELECT * FROM all_distances();
RESET vecgraph.simd;
SELECT vecgraph_simd_level() IN ('scalar', 'avx2', 'avx512') AS known_level;

-- Compare each level this CPU supports with scalar.  Levels the CPU lacks
-- are refused by the setting's check, which is what the EXCEPTION catches.
CREATE FUNCTION kernel_disagreements(OUT level text, OUT disagreements bigint)
RETURNS SETOF record LANGUAGE plpgsql AS $$
BEGIN
	FOREACH level IN ARRAY ARRAY['avx2', 'avx512'] LOOP
		BEGIN
			PERFORM set_config('vecgraph.simd', level, true);
		EXCEPTION WHEN invalid_parameter_value THEN
			CONTINUE;
		END;
		SELECT count(*) INTO disagreements
		FROM all_distances() r JOIN scalar_results s USING (n, i)
		WHERE abs(r.l2 - s.l2) > 1e-5 * greatest(s.l2, 1e-6)
		   OR abs(r.ip - s.ip) > 1e-5 * greatest(abs(s.ip), sqrt(s.n))
		   OR abs(r.cos - s.cos) > 1e-5 * greatest(s.cos, 1)
		   OR abs(r.l1 - s.l1) > 1e-5 * greatest(s.l1, 1e-6);
		RETURN NEXT;
	END LOOP;
END $$;
SELECT count(*) AS levels_checked_at_most_2, coalesce(sum(disagreements), 0) AS disagreements
FROM kernel_disagreements() HAVING count(*) <= 2;
SELECT count(*) AS compared_pairs FROM scalar_results;
