/*-------------------------------------------------------------------------
 *
 * vgfdw.c
 *	  Search settings that follow a query to its postgres_fdw shards.
 *
 * NOTES
 *	  Sharded, a table is partitioned over postgres_fdw foreign tables, and
 *	  each shard's index searches with the vecgraph settings of the shard's
 *	  session -- the session postgres_fdw opened, which never saw the SET
 *	  the user gave the coordinator.  So once the executor has started a
 *	  query (postgres_fdw has its connections then, but has sent nothing),
 *	  this sends the coordinator session's vecgraph.ef_search and
 *	  vecgraph.max_scan_tuples to every postgres_fdw server the query reads
 *	  a table with a vector column from, as SET LOCAL in the remote
 *	  transaction postgres_fdw keeps for the local one: one round trip per
 *	  server and query, through postgres_fdw's own connection functions,
 *	  looked up in its library (which the query has loaded).
 *	  vecgraph.fdw_settings = off turns it off.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "libpq-fe.h"

#include "access/tupdesc.h"
#include "executor/executor.h"
#include "foreign/foreign.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "catalog/pg_type.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "vgam.h"

bool		vg_fdw_settings = true;

static ExecutorStart_hook_type prev_executor_start = NULL;

/* postgres_fdw's connection functions (its connection.c). */
typedef PGconn *(*GetConnectionFn) (UserMapping *user, bool will_prep_stmt, void **state);
typedef PGresult *(*ExecQueryFn) (PGconn *conn, const char *query, void *state);
typedef void (*ReportErrorFn) (int elevel, PGresult *res, PGconn *conn, bool clear,
							   const char *sql);

static GetConnectionFn get_connection;
static ExecQueryFn exec_query;
static ReportErrorFn report_error;

static void
LookUpPostgresFdw(void)
{
	if (get_connection != NULL)
		return;
	get_connection = (GetConnectionFn)
		load_external_function("$libdir/postgres_fdw", "GetConnection", true, NULL);
	exec_query = (ExecQueryFn)
		load_external_function("$libdir/postgres_fdw", "pgfdw_exec_query", true, NULL);
	report_error = (ReportErrorFn)
		load_external_function("$libdir/postgres_fdw", "pgfdw_report_error", true, NULL);
}

/* Servers (and users) already sent the settings during this ExecutorStart. */
typedef struct SentTo
{
	List	   *servers;
	List	   *users;
} SentTo;

static bool
ServedByPostgresFdw(Oid serverid)
{
	ForeignServer *server = GetForeignServer(serverid);
	ForeignDataWrapper *fdw = GetForeignDataWrapper(server->fdwid);
	char	   *handler = OidIsValid(fdw->fdwhandler) ? get_func_name(fdw->fdwhandler) : NULL;

	return handler != NULL && strcmp(handler, "postgres_fdw_handler") == 0;
}

/* Is the type this extension's vector, whatever schema holds it? */
static bool
IsVectorType(Oid type)
{
	Oid			input;
	Oid			ioparam;
	char	   *name;

	if (get_typtype(type) != TYPTYPE_BASE)
		return false;
	getTypeInputInfo(type, &input, &ioparam);
	name = get_func_name(input);
	return name != NULL && strcmp(name, "vector_in") == 0;
}

static bool
HasVectorColumn(Relation rel)
{
	TupleDesc	desc = RelationGetDescr(rel);

	for (int i = 0; i < desc->natts; i++)
		if (!TupleDescAttr(desc, i)->attisdropped && IsVectorType(TupleDescAttr(desc, i)->atttypid))
			return true;
	return false;
}

static void
SendSettings(Oid serverid, Oid userid)
{
	UserMapping *user = GetUserMapping(userid, serverid);
	void	   *state = NULL;
	PGconn	   *conn;
	PGresult   *res;
	char	   *sql = psprintf("SET LOCAL vecgraph.ef_search = %d; SET LOCAL vecgraph.max_scan_tuples = %d",
							   vg_ef_search, vg_max_scan_tuples);

	LookUpPostgresFdw();
	conn = get_connection(user, false, &state);
	res = exec_query(conn, sql, state);
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		report_error(ERROR, res, conn, true, sql);
	PQclear(res);
}

/* The user postgres_fdw connects as for this scan (as it decides it). */
static Oid
ScanUser(ForeignScan *plan, EState *estate)
{
	Index		rtindex = plan->scan.scanrelid > 0 ? plan->scan.scanrelid :
		(Index) bms_next_member(plan->fs_relids, -1);
	RangeTblEntry *rte = exec_rt_fetch(rtindex, estate);

	return OidIsValid(rte->checkAsUser) ? rte->checkAsUser : GetUserId();
}

static bool
SendToForeignScans(PlanState *ps, void *context)
{
	SentTo	   *sent = context;

	if (ps == NULL)
		return false;
	if (IsA(ps, ForeignScanState))
	{
		ForeignScan *plan = (ForeignScan *) ps->plan;
		Relation	rel = ((ForeignScanState *) ps)->ss.ss_currentRelation;
		Oid			userid = ScanUser(plan, ps->state);
		bool		done = false;
		ListCell   *s,
				   *u;

		forboth(s, sent->servers, u, sent->users)
			done |= lfirst_oid(s) == plan->fs_server && lfirst_oid(u) == userid;
		if (!done && rel != NULL && HasVectorColumn(rel) && ServedByPostgresFdw(plan->fs_server))
		{
			SendSettings(plan->fs_server, userid);
			sent->servers = lappend_oid(sent->servers, plan->fs_server);
			sent->users = lappend_oid(sent->users, userid);
		}
	}
	return planstate_tree_walker(ps, SendToForeignScans, context);
}

static void
ExecutorStartSendSettings(QueryDesc *queryDesc, int eflags)
{
	SentTo		sent = {NIL, NIL};

	if (prev_executor_start)
		prev_executor_start(queryDesc, eflags);
	else
		standard_ExecutorStart(queryDesc, eflags);
	if (vg_fdw_settings && (eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0)
		SendToForeignScans(queryDesc->planstate, &sent);
}

void
VgInstallFdwHook(void)
{
	DefineCustomBoolVariable("vecgraph.fdw_settings",
							 "Sends this session's vecgraph search settings to the postgres_fdw servers a query reads vectors from.",
							 NULL, &vg_fdw_settings, true, PGC_USERSET, 0, NULL, NULL, NULL);
	prev_executor_start = ExecutorStart_hook;
	ExecutorStart_hook = ExecutorStartSendSettings;
}
