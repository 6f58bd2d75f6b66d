/*-------------------------------------------------------------------------
 *
 * vgplanner.c
 *	  Reusing the distances a vecgraph index scan computed, instead of
 *	  computing them again for the query's output.
 *
 * NOTES
 *	  In SELECT id FROM t ORDER BY v <-> $1 LIMIT k, the planner keeps the
 *	  ORDER BY expression in the index scan's target list, so the executor
 *	  evaluates v <-> $1 for every row the scan returns: it fetches v from
 *	  the heap -- for vectors wide enough to be TOASTed, several buffer
 *	  reads and a copy -- only to recompute a distance the index already
 *	  computed from its own copy of the vector.  That can cost as much as
 *	  the search itself.
 *
 *	  A planner hook rewrites each such target-list entry of a vecgraph
 *	  index scan into
 *
 *		CASE WHEN vecgraph_last_distance_matches(index, ctid, $1)
 *			 THEN vecgraph_last_distance() ELSE v <-> $1 END
 *
 *	  The scan records, for the row it last returned, the index, heap TID,
 *	  query and distance (vgscan.c); the test checks all three against the
 *	  row being projected, so any other interleaving -- a HOT chain whose
 *	  visible version has another TID, another scan running in between --
 *	  falls back to computing the distance.  Only metrics whose index
 *	  distance is bit for bit the operator's are rewritten (L2, inner
 *	  product, L1: same kernel, same float inputs); cosine is not, because
 *	  the index ranks normalised vectors.
 *
 *	  vecgraph.reuse_distances (default on) turns the rewrite off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/sysattr.h"
#include "catalog/namespace.h"
#include "catalog/pg_am.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "commands/defrem.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/planner.h"
#include "parser/parse_func.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"

#include "vector.h"
#include "vgam.h"

bool		vg_reuse_distances = true;

static planner_hook_type prev_planner_hook = NULL;

/*
 * What a rewrite needs, looked up when the plan's first index scan is met
 * (most plans have none, and pay nothing).
 */
typedef enum ContextState
{
	CONTEXT_UNKNOWN,
	CONTEXT_READY,
	CONTEXT_UNAVAILABLE			/* the extension is not in this database */
} ContextState;

typedef struct RewriteContext
{
	ContextState state;
	Oid			am;				/* the vecgraph AM */
	Oid			matches_fn;
	Oid			last_fn;
	Oid			vector_type;
} RewriteContext;

static Oid
ExtensionFunction(Oid schema, const char *name, int nargs, Oid *argtypes)
{
	List	   *qualified = list_make2(makeString(get_namespace_name(schema)),
									   makeString(pstrdup(name)));

	return LookupFuncName(qualified, nargs, argtypes, true);
}

/* Fills ctx; false when the extension is not installed in this database. */
static bool
InitContext(RewriteContext *ctx)
{
	Oid			schema;
	Oid			handler;
	HeapTuple	tup;
	Oid			args[3];

	if (ctx->state != CONTEXT_UNKNOWN)
		return ctx->state == CONTEXT_READY;
	ctx->state = CONTEXT_UNAVAILABLE;

	/* the extension's schema is its AM handler's: syscache lookups only */
	ctx->am = get_index_am_oid("vecgraph", true);
	if (!OidIsValid(ctx->am))
		return false;
	tup = SearchSysCache1(AMOID, ObjectIdGetDatum(ctx->am));
	if (!HeapTupleIsValid(tup))
		return false;
	handler = ((Form_pg_am) GETSTRUCT(tup))->amhandler;
	ReleaseSysCache(tup);
	schema = get_func_namespace(handler);
	ctx->vector_type = GetSysCacheOid2(TYPENAMENSP, Anum_pg_type_oid,
									   CStringGetDatum("vector"), ObjectIdGetDatum(schema));
	args[0] = REGCLASSOID;
	args[1] = TIDOID;
	args[2] = ctx->vector_type;
	ctx->matches_fn = ExtensionFunction(schema, "vecgraph_last_distance_matches", 3, args);
	ctx->last_fn = ExtensionFunction(schema, "vecgraph_last_distance", 0, args);
	if (OidIsValid(ctx->am) && OidIsValid(ctx->matches_fn) && OidIsValid(ctx->last_fn))
		ctx->state = CONTEXT_READY;
	return ctx->state == CONTEXT_READY;
}

static bool
IsVecgraphIndex(Oid indexoid, Oid am)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexoid));
	bool		result;

	if (!HeapTupleIsValid(tup))
		return false;
	result = ((Form_pg_class) GETSTRUCT(tup))->relam == am;
	ReleaseSysCache(tup);
	return result;
}

/*
 * The query side of "column <op> query" when op's function is one whose
 * index distance equals the operator's result; else NULL.
 */
static Expr *
ReusableQuery(Expr *orderby, Index scanrelid)
{
	OpExpr	   *op;
	Node	   *left,
			   *right;
	Oid			fn;

	if (!IsA(orderby, OpExpr))
		return NULL;
	op = (OpExpr *) orderby;
	fn = op->opfuncid ? op->opfuncid : get_opcode(op->opno);
	if (list_length(op->args) != 2)
		return NULL;
	{
		const char *name = get_func_name(fn);

		if (name == NULL || (strcmp(name, "l2_distance") != 0 &&
							 strcmp(name, "vector_negative_inner_product") != 0 &&
							 strcmp(name, "l1_distance") != 0))
			return NULL;
	}
	left = linitial(op->args);
	right = lsecond(op->args);
	if (IsA(left, Var) && ((Var *) left)->varno == scanrelid)
		return (Expr *) right;
	if (IsA(right, Var) && ((Var *) right)->varno == scanrelid)
		return (Expr *) left;
	return NULL;
}

static Expr *
ReuseExpression(RewriteContext *ctx, IndexScan *scan, Expr *orig, Expr *query)
{
	CaseExpr   *c = makeNode(CaseExpr);
	CaseWhen   *w = makeNode(CaseWhen);
	Var		   *ctid = makeVar(scan->scan.scanrelid, SelfItemPointerAttributeNumber,
							   TIDOID, -1, InvalidOid, 0);
	Const	   *index = makeConst(REGCLASSOID, -1, InvalidOid, sizeof(Oid),
								  ObjectIdGetDatum(scan->indexid), false, true);

	w->expr = (Expr *) makeFuncExpr(ctx->matches_fn, BOOLOID,
									list_make3(index, ctid, copyObject(query)),
									InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	w->result = (Expr *) makeFuncExpr(ctx->last_fn, FLOAT8OID, NIL,
									  InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
	w->location = -1;
	c->casetype = FLOAT8OID;
	c->casecollid = InvalidOid;
	c->arg = NULL;
	c->args = list_make1(w);
	c->defresult = orig;
	c->location = -1;
	return (Expr *) c;
}

static void
RewriteIndexScan(RewriteContext *ctx, IndexScan *scan)
{
	Expr	   *orderby;
	Expr	   *query;
	ListCell   *lc;

	if (list_length(scan->indexorderbyorig) != 1 || !InitContext(ctx) ||
		!IsVecgraphIndex(scan->indexid, ctx->am))
		return;
	orderby = linitial(scan->indexorderbyorig);
	query = ReusableQuery(orderby, scan->scan.scanrelid);
	if (query == NULL || exprType((Node *) query) != ctx->vector_type)
		return;
	foreach(lc, scan->scan.plan.targetlist)
	{
		TargetEntry *tle = lfirst(lc);

		if (equal(tle->expr, orderby))
			tle->expr = ReuseExpression(ctx, scan, tle->expr, query);
	}
}

static void RewritePlan(RewriteContext *ctx, Plan *plan);

static void
RewritePlans(RewriteContext *ctx, List *plans)
{
	ListCell   *lc;

	foreach(lc, plans)
		RewritePlan(ctx, lfirst(lc));
}

static void
RewritePlan(RewriteContext *ctx, Plan *plan)
{
	if (plan == NULL)
		return;
	check_stack_depth();
	switch (nodeTag(plan))
	{
		case T_IndexScan:
			RewriteIndexScan(ctx, (IndexScan *) plan);
			break;
		case T_Append:
			RewritePlans(ctx, ((Append *) plan)->appendplans);
			break;
		case T_MergeAppend:
			RewritePlans(ctx, ((MergeAppend *) plan)->mergeplans);
			break;
		case T_SubqueryScan:
			RewritePlan(ctx, ((SubqueryScan *) plan)->subplan);
			break;
		case T_CustomScan:
			RewritePlans(ctx, ((CustomScan *) plan)->custom_plans);
			break;
		default:
			break;
	}
	RewritePlan(ctx, plan->lefttree);
	RewritePlan(ctx, plan->righttree);
}

static PlannedStmt *
VgPlanner(Query *parse, const char *query_string, int cursorOptions,
		  ParamListInfo boundParams)
{
	PlannedStmt *stmt;
	RewriteContext ctx;

	if (prev_planner_hook)
		stmt = prev_planner_hook(parse, query_string, cursorOptions, boundParams);
	else
		stmt = standard_planner(parse, query_string, cursorOptions, boundParams);

	ctx.state = CONTEXT_UNKNOWN;
	if (vg_reuse_distances)
	{
		RewritePlan(&ctx, stmt->planTree);
		RewritePlans(&ctx, stmt->subplans);
	}
	return stmt;
}

void
VgInstallPlannerHook(void)
{
	prev_planner_hook = planner_hook;
	planner_hook = VgPlanner;
}
