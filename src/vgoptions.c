/*-------------------------------------------------------------------------
 *
 * vgoptions.c
 *	  Reloptions and settings of the vecgraph index.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "access/reloptions.h"
#include "nodes/parsenodes.h"
#include "utils/guc.h"
#include "utils/rel.h"

#include "vgam.h"

int			vg_ef_search = 40;
int			vg_max_scan_tuples = 20000;

static relopt_kind vg_relopt_kind;

static void
ValidateGraphKind(const char *value)
{
	if (value != NULL && strcmp(value, "hnsw") != 0 && strcmp(value, "vamana") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"graph\": \"%s\"", value),
				 errhint("Valid values are \"hnsw\" and \"vamana\".")));
}

static void
ValidateStorage(const char *value)
{
	if (value != NULL && strcmp(value, "float") != 0 && strcmp(value, "half") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"storage\": \"%s\"", value),
				 errhint("Valid values are \"float\" and \"half\".")));
}

/* "auto", or a whole number of partitions from 1 to VG_MAX_PARTITIONS. */
static int
ParsePartitions(const char *value)
{
	char	   *end;
	long		n;

	if (value == NULL || pg_strcasecmp(value, "auto") == 0)
		return 0;
	n = strtol(value, &end, 10);
	if (end == value || *end != '\0' || n < 1 || n > VG_MAX_PARTITIONS)
		return -1;
	return (int) n;
}

static void
ValidatePartitions(const char *value)
{
	if (ParsePartitions(value) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid value for parameter \"partitions\": \"%s\"", value),
				 errhint("Use a whole number from 1 to %d, or auto.", VG_MAX_PARTITIONS)));
}

void
VgInitReloptions(void)
{
	vg_relopt_kind = add_reloption_kind();
	add_string_reloption(vg_relopt_kind, "graph",
						 "Kind of graph the index builds",
						 "hnsw", ValidateGraphKind, AccessExclusiveLock);
	add_int_reloption(vg_relopt_kind, "m",
					  "Neighbours each node links to per level (2m at level 0)",
					  VG_DEFAULT_M, VG_MIN_M, VG_MAX_M, AccessExclusiveLock);
	add_string_reloption(vg_relopt_kind, "partitions",
						 "Graphs the index is split into (searched by parallel scans), or auto",
						 "auto", ValidatePartitions, AccessExclusiveLock);
	add_int_reloption(vg_relopt_kind, "ef_construction",
					  "Candidates considered per insertion while building",
					  VG_DEFAULT_EF_CONSTRUCTION, VG_MIN_EF_CONSTRUCTION,
					  VG_MAX_EF_CONSTRUCTION, AccessExclusiveLock);
	add_bool_reloption(vg_relopt_kind, "keep_pruned",
					   "Fills each new node's neighbour lists to m with candidates the heuristic pruned",
					   true, AccessExclusiveLock);
	add_int_reloption(vg_relopt_kind, "degree",
					  "Vamana: most links of a node (R)",
					  VG_DEFAULT_DEGREE, VG_VAMANA_MIN_DEGREE, VG_VAMANA_MAX_DEGREE,
					  AccessExclusiveLock);
	add_int_reloption(vg_relopt_kind, "build_list_size",
					  "Vamana: candidates a build or insert search keeps (L)",
					  VG_DEFAULT_BUILD_LIST_SIZE, VG_MIN_BUILD_LIST_SIZE,
					  VG_MAX_BUILD_LIST_SIZE, AccessExclusiveLock);
	add_real_reloption(vg_relopt_kind, "alpha",
					   "Vamana: how much longer a kept link may be than the link that covers it",
					   VG_DEFAULT_ALPHA, 1.0, VG_MAX_ALPHA, AccessExclusiveLock);
	add_bool_reloption(vg_relopt_kind, "two_pass",
					   "Vamana: build with a first pass at alpha 1, as DiskANN does",
					   true, AccessExclusiveLock);
	/* no default value: unset means the column type's own precision */
	add_string_reloption(vg_relopt_kind, "storage",
						 "Precision of the vectors the index keeps: float or half",
						 NULL, ValidateStorage, AccessExclusiveLock);
}

void
VgDefineSettings(void)
{
	DefineCustomIntVariable("vecgraph.ef_search",
							"Sets the breadth of a vecgraph index search.",
							"Larger values find more of the true nearest neighbours, more slowly.",
							&vg_ef_search, 40, 1, 1000,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vecgraph.max_scan_tuples",
							"Sets how many rows a scan may return to satisfy a filter or LIMIT.",
							"A scan whose results a WHERE clause rejects keeps searching until "
							"the query has its rows or this many tuples were returned.",
							&vg_max_scan_tuples, 20000, 1, INT_MAX,
							PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("vecgraph.enable_parallel_scan",
							 "Lets the planner use parallel scans of partitioned vecgraph indexes.",
							 NULL,
							 &vg_enable_parallel_scan, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("vecgraph.parallel_worker_start_cost",
							 "Sets the planner's estimate of starting one parallel worker for a vecgraph scan.",
							 "In the units of a vecgraph search's cost; added per worker to parallel_setup_cost.",
							 &vg_parallel_worker_start_cost, 350, 0, 1e9,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomBoolVariable("vecgraph.reuse_distances",
							 "Lets queries reuse the distances a vecgraph index scan computed.",
							 "When off, ORDER BY distance expressions are computed again for each row returned.",
							 &vg_reuse_distances, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
}

/* Options that only one graph kind takes. */
static const struct
{
	const char *name;
	VgGraphKind graph;
}			graph_only_options[] = {
	{"m", VG_GRAPH_HNSW},
	{"ef_construction", VG_GRAPH_HNSW},
	{"keep_pruned", VG_GRAPH_HNSW},
	{"degree", VG_GRAPH_VAMANA},
	{"build_list_size", VG_GRAPH_VAMANA},
	{"alpha", VG_GRAPH_VAMANA},
	{"two_pass", VG_GRAPH_VAMANA},
};

static VgGraphKind
GraphOf(const VgOptions *opts)
{
	if (opts != NULL && opts->graph_offset != 0 &&
		strcmp((const char *) opts + opts->graph_offset, "vamana") == 0)
		return VG_GRAPH_VAMANA;
	return VG_GRAPH_HNSW;
}

/*
 * Refuses an option of the other graph kind: it would be silently ignored,
 * and a user who sets m on a Vamana index expects it to mean something.
 */
static void
CheckGraphOptions(Datum reloptions, const VgOptions *opts)
{
	VgGraphKind graph = GraphOf(opts);
	ListCell   *lc;

	foreach(lc, untransformRelOptions(reloptions))
	{
		DefElem    *def = lfirst(lc);

		for (int i = 0; i < lengthof(graph_only_options); i++)
			if (strcmp(def->defname, graph_only_options[i].name) == 0 &&
				graph_only_options[i].graph != graph)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("parameter \"%s\" applies to %s graphs, not to %s graphs",
								def->defname,
								graph == VG_GRAPH_HNSW ? "vamana" : "hnsw",
								graph == VG_GRAPH_HNSW ? "hnsw" : "vamana"),
						 graph == VG_GRAPH_HNSW ?
						 errhint("Add graph = 'vamana' to build a Vamana graph.") :
						 errhint("Vamana graphs take degree, build_list_size, alpha and two_pass.")));
	}
}

bytea *
vgoptions(Datum reloptions, bool validate)
{
	static const relopt_parse_elt tab[] = {
		{"graph", RELOPT_TYPE_STRING, offsetof(VgOptions, graph_offset)},
		{"m", RELOPT_TYPE_INT, offsetof(VgOptions, m)},
		{"ef_construction", RELOPT_TYPE_INT, offsetof(VgOptions, ef_construction)},
		{"partitions", RELOPT_TYPE_STRING, offsetof(VgOptions, partitions_offset)},
		{"keep_pruned", RELOPT_TYPE_BOOL, offsetof(VgOptions, keep_pruned)},
		{"storage", RELOPT_TYPE_STRING, offsetof(VgOptions, storage_offset)},
		{"degree", RELOPT_TYPE_INT, offsetof(VgOptions, degree)},
		{"build_list_size", RELOPT_TYPE_INT, offsetof(VgOptions, build_list_size)},
		{"alpha", RELOPT_TYPE_REAL, offsetof(VgOptions, alpha)},
		{"two_pass", RELOPT_TYPE_BOOL, offsetof(VgOptions, two_pass)},
	};
	bytea	   *opts = (bytea *) build_reloptions(reloptions, validate, vg_relopt_kind,
												  sizeof(VgOptions), tab, lengthof(tab));

	if (validate && opts != NULL)
		CheckGraphOptions(reloptions, (VgOptions *) opts);
	return opts;
}

int
VgOptionM(Relation index)
{
	VgOptions  *opts = (VgOptions *) index->rd_options;

	return opts ? opts->m : VG_DEFAULT_M;
}

VgGraphKind
VgOptionGraph(Relation index)
{
	return GraphOf((VgOptions *) index->rd_options);
}

void
VgOptionsVamana(Relation index, int *degree, int *build_list_size, double *alpha,
				bool *two_pass)
{
	VgOptions  *opts = (VgOptions *) index->rd_options;

	*degree = opts ? opts->degree : VG_DEFAULT_DEGREE;
	*build_list_size = opts ? opts->build_list_size : VG_DEFAULT_BUILD_LIST_SIZE;
	*alpha = opts ? opts->alpha : VG_DEFAULT_ALPHA;
	*two_pass = opts ? opts->two_pass : true;
}

int
VgOptionEfConstruction(Relation index)
{
	VgOptions  *opts = (VgOptions *) index->rd_options;

	return opts ? opts->ef_construction : VG_DEFAULT_EF_CONSTRUCTION;
}

bool
VgOptionKeepPruned(Relation index)
{
	VgOptions  *opts = (VgOptions *) index->rd_options;

	return opts ? opts->keep_pruned : true;
}

/*
 * The storage reloption; unset, the precision of the column: half for
 * halfvec, float for vector.
 */
VgStorage
VgOptionStorage(Relation index, bool half_input)
{
	VgOptions  *opts = (VgOptions *) index->rd_options;

	if (opts == NULL || opts->storage_offset == 0)
		return half_input ? VG_STORAGE_HALF : VG_STORAGE_FLOAT;
	return strcmp((char *) opts + opts->storage_offset, "half") == 0 ?
		VG_STORAGE_HALF : VG_STORAGE_FLOAT;
}

/*
 * Rows per partition that the automatic choice aims for.  Below it, one
 * graph: more partitions only add work to every search.  Above, a search
 * of a partition of this size costs little more than of a larger one (the
 * cost grows with the logarithm of the size), so splitting lets parallel
 * scans share the work with little extra.
 */
#define VG_ROWS_PER_PARTITION 250000

/*
 * The partitions of an index about to hold rows rows: the reloption if
 * given, else one per VG_ROWS_PER_PARTITION rows, rounded down to a power
 * of two (so that partitions divide evenly among 2, 4, ... participants).
 */
int
VgOptionPartitions(Relation index, double rows)
{
	VgOptions  *opts = (VgOptions *) index->rd_options;
	int			n = 0;
	int			automatic = 1;

	if (opts != NULL && opts->partitions_offset != 0)
		n = ParsePartitions((char *) opts + opts->partitions_offset);
	if (n > 0)
		return n;
	while (automatic * 2 <= VG_MAX_PARTITIONS &&
		   rows >= (double) VG_ROWS_PER_PARTITION * automatic * 2)
		automatic *= 2;
	return automatic;
}
