-- Update from vecgraph 0.2.0 to 0.3.0 (ALTER EXTENSION vecgraph UPDATE).

\echo Use "ALTER EXTENSION vecgraph UPDATE TO '0.3.0'" to load this file. \quit

-- Maintenance (docs/maintenance.md)

-- Members of this role may start, stop and configure the maintenance
-- worker.  Roles belong to the cluster, not to a database: another
-- database's CREATE EXTENSION may have made it already.
DO $$
BEGIN
	IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'vecgraph_maintainer') THEN
		CREATE ROLE vecgraph_maintainer NOLOGIN;
	END IF;
END
$$;

-- vecgraph_worker_config writes these the way ALTER SYSTEM does.
GRANT ALTER SYSTEM ON PARAMETER vecgraph.maintenance, vecgraph.worker_naptime,
	vecgraph.worker_cost_limit, vecgraph.worker_cost_delay,
	vecgraph.worker_prewarm, vecgraph.worker_recall_sample
	TO vecgraph_maintainer;

-- Start and stop change shared state: volatile, never in a parallel worker.
CREATE FUNCTION vecgraph_worker_start() RETURNS int
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
CREATE FUNCTION vecgraph_worker_stop() RETURNS boolean
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

-- Reads shared memory that changes under it: volatile.  Restricted: the
-- registry may have to be set up, which a parallel worker must not do.
CREATE FUNCTION vecgraph_worker_status(
	OUT pid int, OUT database text, OUT kind text, OUT state text,
	OUT index regclass, OUT passes bigint, OUT last_pass_end timestamptz,
	OUT nodes_repaired bigint)
	RETURNS SETOF record
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

-- Writes postgresql.auto.conf and signals the postmaster.  Not strict:
-- every argument left NULL leaves its setting alone.
CREATE FUNCTION vecgraph_worker_config(
	maintenance boolean DEFAULT NULL, naptime int DEFAULT NULL,
	cost_limit int DEFAULT NULL, cost_delay real DEFAULT NULL,
	prewarm boolean DEFAULT NULL, recall_sample int DEFAULT NULL)
	RETURNS void
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE PARALLEL UNSAFE;

REVOKE EXECUTE ON FUNCTION vecgraph_worker_start(), vecgraph_worker_stop(),
	vecgraph_worker_config(boolean, int, int, real, boolean, int) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION vecgraph_worker_start(), vecgraph_worker_stop(),
	vecgraph_worker_config(boolean, int, int, real, boolean, int) TO vecgraph_maintainer;

-- One maintenance pass now (writes the index): for the table's owner.
CREATE FUNCTION vecgraph_maintain(index regclass,
	OUT dead_marked bigint, OUT dead_unvacuumed bigint, OUT live_nodes bigint,
	OUT unreachable_found bigint, OUT unreachable_linked bigint,
	OUT duration interval)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;

-- Reads the index now, and with recall_sample > 0 runs queries through
-- SPI: volatile, restricted to the leader.
CREATE FUNCTION vecgraph_index_health(index regclass, recall_sample int DEFAULT 0,
	OUT live_nodes bigint, OUT dead_nodes bigint, OUT free_slots bigint,
	OUT mean_out_degree float8, OUT unreachable_found bigint,
	OUT unreachable_linked bigint, OUT passes bigint,
	OUT last_pass_start timestamptz, OUT last_pass_end timestamptz,
	OUT last_pass_duration interval, OUT recall float8,
	OUT recall_sample_size int, OUT recall_at timestamptz)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

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
