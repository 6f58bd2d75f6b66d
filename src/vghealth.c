/*-------------------------------------------------------------------------
 *
 * vghealth.c
 *	  How healthy an index is: vecgraph_index_health(index) and the sampled
 *	  recall estimate the maintenance worker records.
 *
 * NOTES
 *	  The recall estimate asks the questions a user would: for a sample of
 *	  the index's own vectors, the k nearest rows through the index and by
 *	  an exact scan of the table, as SQL through SPI, so that it measures
 *	  the whole path (partitions, iterative rounds, vecgraph.ef_search)
 *	  rather than the graph alone.  An answer through the index counts as
 *	  right when it is no farther than the exact k-th distance, so that
 *	  ties do not count against it (as ann-benchmarks counts).  Indexes on
 *	  expressions or with a predicate have no estimate.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/index.h"
#include "commands/defrem.h"
#include "catalog/pg_operator.h"
#include "common/pg_prng.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "vector.h"
#include "vgam.h"
#include "vgworker.h"

/* "OPERATOR(schema.op)" of the index's ordering operator. */
static char *
OrderingOperator(Relation index)
{
	Oid			type = index->rd_opcintype[0];
	Oid			op = get_opfamily_member(index->rd_opfamily[0], type, type, 1);
	HeapTuple	tup = SearchSysCache1(OPEROID, ObjectIdGetDatum(op));
	Form_pg_operator form;
	char	   *result;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for operator %u", op);
	form = (Form_pg_operator) GETSTRUCT(tup);
	result = psprintf("OPERATOR(%s.%s)", quote_identifier(get_namespace_name(form->oprnamespace)),
					  NameStr(form->oprname));
	ReleaseSysCache(tup);
	return result;
}

/* The stored vector of the first live node of a random page, or NULL. */
static Vector *
SampleVector(Relation index, const VgShape *shape, BlockNumber nblocks)
{
	BlockNumber blkno = 1 + (BlockNumber) pg_prng_uint64_range(&pg_global_prng_state, 0, nblocks - 2);
	Buffer		buf = ReadBuffer(index, blkno);
	OffsetNumber off = InvalidOffsetNumber;
	VgNodeTuple t;
	Vector	   *v = NULL;

	LockBuffer(buf, BUFFER_LOCK_SHARE);
	while ((t = VgNextNodeOnPage(index, shape, BufferGetPage(buf), blkno, &off)) != NULL)
		if (!(t->flags & (VG_NODE_DELETED | VG_NODE_FREE)))
		{
			float	   *x = palloc(sizeof(float) * shape->dim);

			VgStoredToFloats(shape, VgNodeVector(t, shape), x);
			v = VgFloatsToValue(shape, x);
			break;
		}
	UnlockReleaseBuffer(buf);
	return v;
}

/* Runs sql with $1 = query under the given settings; the distances found. */
static int
Distances(const char *sql, Oid type, Vector *query, const char *const *settings,
		  double *out, int k)
{
	int			level = NewGUCNestLevel();
	Datum		arg = PointerGetDatum(query);
	int			n;

	for (int i = 0; settings[i] != NULL; i += 2)
		(void) set_config_option(settings[i], settings[i + 1], PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	if (SPI_execute_with_args(sql, 1, &type, &arg, NULL, false, k) != SPI_OK_SELECT)
		elog(ERROR, "SPI_execute_with_args failed for \"%s\"", sql);
	n = (int) SPI_processed;
	for (int i = 0; i < n; i++)
	{
		bool		isnull;

		out[i] = DatumGetFloat8(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc,
											  1, &isnull));
	}
	AtEOXact_GUC(true, level);
	return n;
}

static const char *const through_index[] = {
	"enable_seqscan", "off", "max_parallel_workers_per_gather", "0", NULL
};
static const char *const exact_scan[] = {
	"enable_indexscan", "off", "enable_indexonlyscan", "off", "enable_bitmapscan", "off",
	"max_parallel_workers_per_gather", "0", NULL
};

/*
 * Mean recall@k of index over sample of its own vectors (see the top of the
 * file); NaN when it cannot be estimated.  The caller holds a lock on both.
 */
double
VgEstimateRecall(Relation heap, Relation index, int sample, int k)
{
	AttrNumber	key = index->rd_index->indkey.values[0];
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	double	   *approx = palloc(sizeof(double) * k);
	double	   *exact = palloc(sizeof(double) * k);
	double		sum = 0;
	int			asked = 0;
	VgShape		shape;
	char	   *sql;
	Oid			type;

	if (key == 0 || RelationGetIndexPredicate(index) != NIL || nblocks < 2 || sample <= 0)
		return NAN;
	VgReadShape(index, &shape);
	type = TupleDescAttr(RelationGetDescr(heap), key - 1)->atttypid;
	{
		const char *column = quote_identifier(NameStr(TupleDescAttr(RelationGetDescr(heap), key - 1)->attname));
		char	   *op = OrderingOperator(index);

		sql = psprintf("SELECT (%s %s $1)::float8 FROM %s ORDER BY %s %s $1 LIMIT %d",
					   column, op,
					   quote_qualified_identifier(get_namespace_name(RelationGetNamespace(heap)),
												  RelationGetRelationName(heap)),
					   column, op, k);
	}
	SPI_connect();
	for (int i = 0; i < sample; i++)
	{
		Vector	   *query = SampleVector(index, &shape, nblocks);
		int			n_approx,
					n_exact,
					right = 0;
		double		bound;
		bool		own_snapshot = !ActiveSnapshotSet();

		CHECK_FOR_INTERRUPTS();
		if (query == NULL)
			continue;
		/* the worker has no snapshot: one per query pair, held briefly */
		if (own_snapshot)
			PushActiveSnapshot(GetTransactionSnapshot());
		n_exact = Distances(sql, type, query, exact_scan, exact, k);
		n_approx = n_exact > 0 ? Distances(sql, type, query, through_index, approx, k) : 0;
		if (own_snapshot)
			PopActiveSnapshot();
		if (n_exact == 0)
			continue;
		bound = exact[n_exact - 1] + 1e-6 * Max(1.0, fabs(exact[n_exact - 1]));
		for (int j = 0; j < n_approx; j++)
			right += approx[j] <= bound;
		sum += (double) right / n_exact;
		asked++;
	}
	SPI_finish();
	return asked > 0 ? sum / asked : NAN;
}

/* Live, dead and free nodes and the live nodes' level-0 links. */
typedef struct NodeCounts
{
	int64		live;
	int64		dead;
	int64		free;
	int64		links;
} NodeCounts;

static void
CountNodes(Relation index, NodeCounts *c)
{
	BlockNumber nblocks = RelationGetNumberOfBlocks(index);
	VgShape		shape;

	VgReadShape(index, &shape);
	memset(c, 0, sizeof(NodeCounts));
	for (BlockNumber blkno = 1; blkno < nblocks; blkno++)
	{
		Buffer		buf = ReadBuffer(index, blkno);
		OffsetNumber off = InvalidOffsetNumber;
		VgNodeTuple t;

		CHECK_FOR_INTERRUPTS();
		LockBuffer(buf, BUFFER_LOCK_SHARE);
		while ((t = VgNextNodeOnPage(index, &shape, BufferGetPage(buf), blkno, &off)) != NULL)
		{
			if (t->flags & VG_NODE_FREE)
				c->free++;
			else if (t->flags & VG_NODE_DELETED)
				c->dead++;
			else
			{
				c->live++;
				c->links += t->count0;
			}
		}
		UnlockReleaseBuffer(buf);
	}
}

/* Opens a vecgraph index and its table for reading its health. */
static Relation
OpenForHealth(Oid indexoid, Relation *heap)
{
	Oid			heapoid = IndexGetRelation(indexoid, true);
	Relation	index;

	if (!OidIsValid(heapoid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("relation with OID %u is not an index", indexoid)));
	if (!VgCanSeeIndexStats(heapoid))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read the health of index \"%s\"", get_rel_name(indexoid)),
				 errdetail("Index health is shown to the owner of table \"%s\" and to members of pg_read_all_stats.",
						   get_rel_name(heapoid))));
	*heap = table_open(heapoid, AccessShareLock);
	index = relation_open(indexoid, AccessShareLock);
	if (index->rd_rel->relam != get_index_am_oid("vecgraph", false))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a vecgraph index", RelationGetRelationName(index))));
	return index;
}

PG_FUNCTION_INFO_V1(vecgraph_index_health);

/*
 * vecgraph_index_health(index, recall_sample): node counts read now, what
 * the last maintenance pass recorded, and the recall estimate: taken now
 * over recall_sample queries when that is above 0, else the worker's last.
 */
Datum
vecgraph_index_health(PG_FUNCTION_ARGS)
{
	Oid			indexoid = PG_GETARG_OID(0);
	int32		sample = PG_GETARG_INT32(1);
	Relation	heap;
	Relation	index;
	NodeCounts	c;
	VgMaintRecord rec;
	TupleDesc	desc;
	Datum		values[13] = {0};
	bool		nulls[13] = {0};
	double		recall;

	if (sample < 0 || sample > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("recall_sample must be between 0 and 10000, not %d", sample)));
	if (get_call_result_type(fcinfo, NULL, &desc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	index = OpenForHealth(indexoid, &heap);
	CountNodes(index, &c);
	VgReadMaintRecord(index, &rec);
	values[0] = Int64GetDatum(c.live);
	values[1] = Int64GetDatum(c.dead);
	values[2] = Int64GetDatum(c.free);
	values[3] = Float8GetDatum(c.live > 0 ? (double) c.links / c.live : 0);
	values[4] = Int64GetDatum((int64) rec.unreachable_found);
	values[5] = Int64GetDatum((int64) rec.unreachable_linked);
	values[6] = Int64GetDatum((int64) rec.passes);
	nulls[7] = nulls[8] = nulls[9] = rec.passes == 0;
	values[7] = TimestampTzGetDatum(rec.last_start);
	values[8] = TimestampTzGetDatum(rec.last_end);
	values[9] = DirectFunctionCall2(timestamp_mi, TimestampTzGetDatum(rec.last_end),
									TimestampTzGetDatum(rec.last_start));
	if (sample > 0)
	{
		recall = VgEstimateRecall(heap, index, sample, 10);
		values[11] = Int32GetDatum(sample);
		values[12] = TimestampTzGetDatum(GetCurrentTimestamp());
	}
	else
	{
		recall = rec.recall_sample > 0 ? rec.recall : NAN;
		values[11] = Int32GetDatum((int32) rec.recall_sample);
		values[12] = TimestampTzGetDatum(rec.recall_at);
	}
	nulls[10] = nulls[11] = nulls[12] = isnan(recall);
	values[10] = Float8GetDatum(recall);
	relation_close(index, AccessShareLock);
	table_close(heap, AccessShareLock);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(desc, values, nulls)));
}
