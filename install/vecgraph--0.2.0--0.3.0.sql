-- Update from vecgraph 0.2.0 to 0.3.0 (ALTER EXTENSION vecgraph UPDATE).

\echo Use "ALTER EXTENSION vecgraph UPDATE TO '0.3.0'" to load this file. \quit

-- Scan statistics (src/vgstats.c), counted in shared memory only when the
-- server preloads vecgraph (shared_preload_libraries); otherwise
-- vecgraph_stats() returns no rows and says so.  Volatile: other sessions
-- change the counters.  Parallel safe: a worker reads the same shared memory
-- and catalogs as its leader.  A caller sees the rows of the indexes whose
-- owner's privileges it has, or with the privileges of pg_read_all_stats
-- every index of this database; other rows are left out.

CREATE FUNCTION vecgraph_stats()
	RETURNS TABLE (index regclass, scans bigint, parallel_scans bigint,
				   workers_planned bigint, workers_launched bigint,
				   rounds bigint, rows_returned bigint)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;

-- Forgets every index's counts, in every database: superusers only unless
-- granted.
CREATE FUNCTION vecgraph_stats_reset() RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
REVOKE ALL ON FUNCTION vecgraph_stats_reset() FROM PUBLIC;
