/*-------------------------------------------------------------------------
 *
 * vgexplain.c
 *	  EXPLAIN ANALYZE says when vecgraph scans shared their searches with
 *	  the search workers.
 *
 * NOTES
 *	  PostgreSQL 15 gives an index access method no say in EXPLAIN's
 *	  output, so an ExplainOneQuery hook plans and explains the query as
 *	  PostgreSQL does, then adds a line (text format) with what the
 *	  query's vecgraph scans got from the pool: the most workers one
 *	  search had, the partition searches they did, and the mean time from
 *	  posting a search to a worker starting on it.  EXPLAIN EXECUTE does
 *	  not pass through the hook.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "commands/explain.h"
#include "fmgr.h"
#include "executor/instrument.h"
#include "optimizer/planner.h"
#include "portability/instr_time.h"
#include "tcop/tcopprot.h"

#include "vgsearch.h"

static ExplainOneQuery_hook_type prev_explain_hook = NULL;

/* What PostgreSQL's own ExplainOneQuery does for a planned statement. */
static void
PlanAndExplain(Query *query, int cursorOptions, IntoClause *into, ExplainState *es,
			   const char *queryString, ParamListInfo params, QueryEnvironment *queryEnv)
{
	PlannedStmt *plan;
	instr_time	planstart,
				planduration;
	BufferUsage bufusage_start,
				bufusage;

	if (es->buffers)
		bufusage_start = pgBufferUsage;
	INSTR_TIME_SET_CURRENT(planstart);
	plan = pg_plan_query(query, queryString, cursorOptions, params);
	INSTR_TIME_SET_CURRENT(planduration);
	INSTR_TIME_SUBTRACT(planduration, planstart);
	if (es->buffers)
	{
		memset(&bufusage, 0, sizeof(BufferUsage));
		BufferUsageAccumDiff(&bufusage, &pgBufferUsage, &bufusage_start);
	}
	ExplainOnePlan(plan, into, es, queryString, params, queryEnv, &planduration,
				   es->buffers ? &bufusage : NULL);
}

static void
VgExplainOneQuery(Query *query, int cursorOptions, IntoClause *into, ExplainState *es,
				  const char *queryString, ParamListInfo params, QueryEnvironment *queryEnv)
{
	VgPoolTally before = vg_pool_tally;
	int64		rounds,
				by_workers,
				claimed;

	vg_pool_tally.max_workers = 0;
	if (prev_explain_hook)
		prev_explain_hook(query, cursorOptions, into, es, queryString, params, queryEnv);
	else
		PlanAndExplain(query, cursorOptions, into, es, queryString, params, queryEnv);
	if (!es->analyze || es->format != EXPLAIN_FORMAT_TEXT ||
		vg_pool_tally.dispatches == before.dispatches)
		return;
	rounds = vg_pool_tally.rounds - before.rounds;
	by_workers = vg_pool_tally.rounds_by_workers - before.rounds_by_workers;
	claimed = vg_pool_tally.claimed - before.claimed;
	appendStringInfo(es->str,
					 "vecgraph Search Workers: %d, searched %lld of %lld partition rounds",
					 vg_pool_tally.max_workers, (long long) by_workers, (long long) rounds);
	if (claimed > 0)
		appendStringInfo(es->str, ", dispatch %.3f ms",
						 (vg_pool_tally.dispatch_us - before.dispatch_us) / 1000.0 / claimed);
	appendStringInfoChar(es->str, '\n');
	vg_pool_tally.max_workers = Max(before.max_workers, vg_pool_tally.max_workers);
}

void
VgInstallExplainHook(void)
{
	prev_explain_hook = ExplainOneQuery_hook;
	ExplainOneQuery_hook = VgExplainOneQuery;
}

/*
 * vecgraph_search_worker_rounds(): partition rounds the search workers
 * searched for this backend's scans since it started;
 * vecgraph_benchmark_parallel() tells by it whether the pool took part.
 */
PG_FUNCTION_INFO_V1(vecgraph_search_worker_rounds);
Datum
vecgraph_search_worker_rounds(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(vg_pool_tally.rounds_by_workers);
}
