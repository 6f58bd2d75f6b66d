-- Update from vecgraph 0.4.0 to 0.5.0 (ALTER EXTENSION vecgraph UPDATE).

\echo Use "ALTER EXTENSION vecgraph UPDATE TO '0.5.0'" to load this file. \quit

-- Vamana graphs (graph = 'vamana') need no new SQL object; the index's
-- build options, which differ by graph kind, are a new column at the end
-- of vecgraph_index_info.
DROP FUNCTION vecgraph_index_info(regclass);
CREATE FUNCTION vecgraph_index_info(index regclass,
	OUT graph text, OUT metric text, OUT dimensions int, OUT m int,
	OUT ef_construction int, OUT nodes bigint, OUT deleted_nodes bigint,
	OUT pages bigint, OUT levels int, OUT entry_point bigint,
	OUT mean_out_degree float8, OUT partitions int, OUT build_workers int,
	OUT storage text, OUT graph_options text)
	AS 'MODULE_PATHNAME' LANGUAGE C VOLATILE STRICT PARALLEL SAFE;
