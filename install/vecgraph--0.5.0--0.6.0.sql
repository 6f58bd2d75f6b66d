-- Update from vecgraph 0.5.0 to 0.6.0 (ALTER EXTENSION vecgraph UPDATE).

\echo Use "ALTER EXTENSION vecgraph UPDATE TO '0.6.0'" to load this file. \quit

-- Search workers and parallel scans, measured (docs/index.md, "Search
-- workers").
CREATE FUNCTION vecgraph_search_worker_rounds() RETURNS bigint
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;

CREATE FUNCTION vecgraph_benchmark_parallel(index regclass, query vector, k int,
	OUT route text, OUT workers int, OUT time_ms float8, OUT agrees bool)
	RETURNS SETOF record
	LANGUAGE plpgsql VOLATILE STRICT PARALLEL UNSAFE
	SET max_parallel_workers_per_gather FROM CURRENT
	SET parallel_setup_cost FROM CURRENT
	SET parallel_tuple_cost FROM CURRENT
	SET min_parallel_index_scan_size FROM CURRENT
	SET vecgraph.enable_search_workers FROM CURRENT
	SET vecgraph.parallel_worker_start_cost FROM CURRENT
AS $$
DECLARE
	allowed int := current_setting('max_parallel_workers_per_gather')::int;
	stmt text;
	plan text;
	serial_rows tid[];
	got tid[];
	times float8[];
	started timestamptz;
	rounds_before bigint;
BEGIN
	IF k < 1 OR k > 100000 THEN
		RAISE EXCEPTION 'k must be between 1 and 100000, not %', k
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT format('SELECT array_agg(c) FROM (SELECT ctid AS c FROM ONLY %s ORDER BY %I OPERATOR(%I.%s) $1::%s LIMIT %s) s',
				  i.indrelid::regclass, a.attname, n.nspname, o.oprname,
				  format_type(o.oprright, NULL), k)
		INTO stmt
		FROM pg_index i
		JOIN pg_class c ON c.oid = i.indexrelid
		JOIN pg_am am ON am.oid = c.relam AND am.amname = 'vecgraph'
		JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
		JOIN pg_opclass oc ON oc.oid = i.indclass[0]
		JOIN pg_amop ao ON ao.amopfamily = oc.opcfamily AND ao.amoppurpose = 'o'
			AND ao.amoplefttype = oc.opcintype
		JOIN pg_operator o ON o.oid = ao.amopopr
		JOIN pg_namespace n ON n.oid = o.oprnamespace
		WHERE i.indexrelid = index AND i.indkey[0] <> 0;
	IF stmt IS NULL THEN
		RAISE EXCEPTION '"%" is not a vecgraph index on a table column', index
			USING ERRCODE = 'wrong_object_type';
	END IF;
	-- Gather Merge last: its cost settings stay until the function returns
	FOREACH route IN ARRAY ARRAY['serial', 'search workers', 'Gather Merge'] LOOP
		workers := 0;
		IF route = 'serial' THEN
			PERFORM set_config('max_parallel_workers_per_gather', '0', true);
		ELSE
			CONTINUE WHEN allowed = 0;
			PERFORM set_config('max_parallel_workers_per_gather', allowed::text, true);
		END IF;
		PERFORM set_config('vecgraph.enable_search_workers',
						   CASE WHEN route = 'search workers' THEN 'on' ELSE 'off' END, true);
		IF route = 'Gather Merge' THEN
			PERFORM set_config('parallel_setup_cost', '0', true);
			PERFORM set_config('parallel_tuple_cost', '0', true);
			PERFORM set_config('min_parallel_index_scan_size', '0', true);
			PERFORM set_config('vecgraph.parallel_worker_start_cost', '0', true);
			FOR plan IN EXECUTE 'EXPLAIN ' || stmt USING query LOOP
				workers := coalesce(substring(plan FROM 'Workers Planned: (\d+)')::int, workers);
			END LOOP;
			CONTINUE WHEN workers = 0;
		END IF;
		-- a warm-up run, then the median of five
		EXECUTE stmt INTO got USING query;
		times := '{}';
		rounds_before := vecgraph_search_worker_rounds();
		FOR i IN 1 .. 5 LOOP
			started := clock_timestamp();
			EXECUTE stmt INTO got USING query;
			times := times || 1000 * extract(epoch FROM clock_timestamp() - started)::float8;
		END LOOP;
		IF route = 'search workers' THEN
			CONTINUE WHEN vecgraph_search_worker_rounds() = rounds_before;
			SELECT count(*) INTO workers FROM pg_stat_activity
				WHERE backend_type = 'vecgraph search worker' AND datname = current_database();
			workers := least(workers, allowed);
		END IF;
		IF route = 'serial' THEN
			serial_rows := got;
		END IF;
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY t) INTO time_ms FROM unnest(times) t;
		agrees := got IS NOT DISTINCT FROM serial_rows;
		RETURN NEXT;
	END LOOP;
END
$$;
