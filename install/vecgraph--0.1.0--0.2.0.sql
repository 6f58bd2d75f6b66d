-- Update from vecgraph 0.1.0 to 0.2.0 (ALTER EXTENSION vecgraph UPDATE).

\echo Use "ALTER EXTENSION vecgraph UPDATE TO '0.2.0'" to load this file. \quit

-- The format of an index's pages (2 since vecgraph 0.2.0): older ones need
-- a REINDEX.
CREATE FUNCTION vecgraph_index_format(index regclass) RETURNS int
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

-- 0.2.0 indexes keep tree links in their pages (format 2), so indexes built
-- by 0.1.0 (format 1) raise an error until rebuilt.  Rebuilding is left to
-- the user, who may prefer REINDEX CONCURRENTLY: name each one here.
DO $$
DECLARE
	idx regclass;
	format int;
BEGIN
	FOR idx IN
		SELECT c.oid::regclass FROM pg_class c JOIN pg_am a ON a.oid = c.relam
		WHERE a.amname = 'vecgraph' AND c.relkind = 'i'
	LOOP
		BEGIN
			format := vecgraph_index_format(idx);
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'could not read the format of index %: %', idx, SQLERRM;
			CONTINUE;
		END;
		IF format < 2 THEN
			RAISE WARNING 'index % was built by vecgraph 0.1.0 and must be rebuilt', idx
				USING HINT = format('REINDEX INDEX %s;  -- or REINDEX INDEX CONCURRENTLY', idx);
		END IF;
	END LOOP;
END
$$;
