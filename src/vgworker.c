/*-------------------------------------------------------------------------
 *
 * vgworker.c
 *	  The maintenance worker: a launcher when vecgraph is preloaded, one
 *	  worker per database, and their shared registry.
 *
 * NOTES
 *	  In the manner of autovacuum: with vecgraph in shared_preload_libraries
 *	  and vecgraph.maintenance on, a launcher started with the server starts
 *	  a worker in every database that allows connections (templates
 *	  excepted) and has none; a worker in a database without the extension
 *	  leaves at once, and the launcher looks again a naptime later.
 *	  Without preloading, vecgraph_worker_start() starts the same worker
 *	  for the current database.
 *
 *	  A worker makes a pass over its database's vecgraph indexes every
 *	  vecgraph.worker_naptime seconds, each index in its own transaction
 *	  (vgmaintain.c), throttled by the cost-based delay with its own limit
 *	  and delay.  An error is logged and the worker goes on with the next
 *	  index; the index is tried again next pass, so a persistent failure
 *	  costs one log line per naptime, never a loop.  SIGTERM ends it at the
 *	  next interrupt check (the die handler), SIGINT cancels the index at
 *	  hand.  It never runs on a standby: it starts when recovery has
 *	  finished.
 *
 *	  A worker is connected to its database, which would make DROP
 *	  DATABASE, ALTER DATABASE ... RENAME and CREATE DATABASE ... TEMPLATE
 *	  fail ("being accessed by other users").  Those take a lock on the
 *	  database that conflicts with a connection's, then wait five seconds
 *	  for other sessions to leave; the worker looks for such a lock every
 *	  100 ms while working and every 500 ms while sleeping, and leaves.
 *
 *	  The registry (one slot per database: the worker's pid, state, index
 *	  at hand and counts) lives in shared memory: reserved at start-up when
 *	  preloaded, otherwise taken from the small reserve PostgreSQL keeps for
 *	  late arrivals when first needed.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <signal.h>

#include "access/genam.h"
#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/xact.h"
#include "access/xlogutils.h"
#include "catalog/index.h"
#include "commands/defrem.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "commands/dbcommands.h"
#include "commands/extension.h"
#include "commands/vacuum.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "nodes/parsenodes.h"
#include "postmaster/postmaster.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "vgam.h"
#include "vgworker.h"

bool		vg_maintenance = true;
int			vg_worker_naptime = 30;
int			vg_worker_cost_limit = 200;
double		vg_worker_cost_delay = 2;
bool		vg_worker_prewarm = true;
int			vg_worker_recall_sample = 10;

#define VG_WORKER_SLOTS 64

typedef enum VgWorkerState
{
	VG_WORKER_GONE,				/* no worker in the database now */
	VG_WORKER_STARTING,
	VG_WORKER_SLEEPING,
	VG_WORKER_WORKING
} VgWorkerState;

static const char *const state_names[] = {"stopped", "starting", "sleeping", "working"};

typedef struct VgWorkerSlot
{
	Oid			dboid;			/* InvalidOid: slot unused */
	pid_t		pid;			/* 0 when no worker runs */
	bool		from_launcher;
	bool		held_back;		/* stopped by vecgraph_worker_stop() */
	bool		warmed;			/* warm start done since the server started */
	VgWorkerState state;
	Oid			index;			/* being worked on, or InvalidOid */
	uint64		passes;
	TimestampTz last_pass_end;
	uint64		nodes_repaired; /* dead nodes marked + orphans linked */
} VgWorkerSlot;

typedef struct VgWorkerShared
{
	slock_t		mutex;
	pid_t		launcher_pid;
	VgWorkerSlot slots[VG_WORKER_SLOTS];
} VgWorkerShared;

static VgWorkerShared *shared = NULL;
static VgWorkerSlot *my_slot = NULL;	/* in a worker: its database's */
static char my_dbname[NAMEDATALEN];	/* for messages outside transactions */

static shmem_request_hook_type prev_shmem_request_hook = NULL;

PGDLLEXPORT void VgLauncherMain(Datum arg);
PGDLLEXPORT void VgWorkerMain(Datum arg);

static VgWorkerShared *
Registry(void)
{
	bool		found;

	if (shared != NULL)
		return shared;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	shared = ShmemInitStruct("vecgraph maintenance workers", sizeof(VgWorkerShared), &found);
	if (!found)
	{
		memset(shared, 0, sizeof(VgWorkerShared));
		SpinLockInit(&shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
	return shared;
}

static void
RequestShmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(VgWorkerShared)));
}

/* The slot of database dboid, taken if it has none; NULL when all are. */
static VgWorkerSlot *
SlotFor(VgWorkerShared *reg, Oid dboid)
{
	VgWorkerSlot *empty = NULL;

	for (int i = 0; i < VG_WORKER_SLOTS; i++)
	{
		if (reg->slots[i].dboid == dboid)
			return &reg->slots[i];
		if (empty == NULL && reg->slots[i].dboid == InvalidOid)
			empty = &reg->slots[i];
	}
	if (empty != NULL)
	{
		memset(empty, 0, sizeof(VgWorkerSlot));
		empty->dboid = dboid;
	}
	return empty;
}

/* Does a live worker hold the slot? (A crashed one leaves its pid.) */
static bool
SlotBusy(const VgWorkerSlot *slot)
{
	return slot->pid != 0 && kill(slot->pid, 0) == 0;
}

static void
DefineSettings(void)
{
	DefineCustomBoolVariable("vecgraph.maintenance",
							 "Starts maintenance workers in every database (needs vecgraph preloaded).",
							 NULL, &vg_maintenance, true, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vecgraph.worker_naptime",
							"Time between maintenance passes over a database's vecgraph indexes.",
							NULL, &vg_worker_naptime, 30, 1, 86400, PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);
	DefineCustomIntVariable("vecgraph.worker_cost_limit",
							"Cost of page accesses after which a maintenance worker sleeps.",
							"In the manner of autovacuum_vacuum_cost_limit.",
							&vg_worker_cost_limit, 200, 1, 10000, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomRealVariable("vecgraph.worker_cost_delay",
							 "How long a maintenance worker sleeps when it reaches the cost limit; 0 turns the delay off.",
							 NULL, &vg_worker_cost_delay, 2, 0, 100, PGC_SIGHUP, GUC_UNIT_MS,
							 NULL, NULL, NULL);
	DefineCustomBoolVariable("vecgraph.worker_prewarm",
							 "Reads the upper levels and entry regions of every index into shared buffers after a restart.",
							 NULL, &vg_worker_prewarm, true, PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vecgraph.worker_recall_sample",
							"Queries with which the worker estimates an index's recall, every ten naptimes; 0 turns the estimate off.",
							NULL, &vg_worker_recall_sample, 10, 0, 1000, PGC_SIGHUP, 0,
							NULL, NULL, NULL);
}

static void
RegisterLauncher(void)
{
	BackgroundWorker bgw = {0};

	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = 10;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "vecgraph");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "VgLauncherMain");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "vecgraph maintenance launcher");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "vecgraph maintenance launcher");
	RegisterBackgroundWorker(&bgw);
}

/* Called from _PG_init. */
void
VgWorkerInit(void)
{
	DefineSettings();
	if (!process_shared_preload_libraries_in_progress)
		return;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = RequestShmem;
	RegisterLauncher();
}

/*
 * Does another session hold a lock on this database that a new connection
 * would wait for?  DROP DATABASE and the like take one, then wait for the
 * other sessions to leave.  Reads the lock table only.
 */
bool
VgDatabaseWanted(void)
{
	LOCKTAG		tag;
	VirtualTransactionId *conflicts;
	int			n = 0;

	SET_LOCKTAG_OBJECT(tag, InvalidOid, DatabaseRelationId, MyDatabaseId, 0);
	conflicts = GetLockConflicts(&tag, RowExclusiveLock, &n);
	/* palloc'd (static only in the startup process); workers ask for hours */
	if (!InHotStandby)
		pfree(conflicts);
	return n > 0;
}

/* In a maintenance worker, leaves the database when another session wants it. */
void
VgLeaveIfDatabaseWanted(void)
{
	if (my_slot == NULL || !VgDatabaseWanted())
		return;
	ereport(LOG,
			(errmsg("vecgraph maintenance worker leaves database \"%s\": another session wants it to itself",
					my_dbname)));
	proc_exit(0);
}

/* Superusers and members of vecgraph_maintainer control the worker. */
bool
VgIsMaintainer(void)
{
	Oid			role = get_role_oid(VG_MAINTAINER_ROLE, true);

	return superuser() || (OidIsValid(role) && has_privs_of_role(GetUserId(), role));
}

/* Health and statistics: the table's owner and pg_read_all_stats. */
bool
VgCanSeeIndexStats(Oid heapoid)
{
	return pg_class_ownercheck(heapoid, GetUserId()) ||
		has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
}

static void
RequireMaintainer(const char *what)
{
	if (!VgIsMaintainer())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s", what),
				 errdetail("Only superusers and members of role \"%s\" may control the vecgraph maintenance worker.",
						   VG_MAINTAINER_ROLE)));
}

/* ---- the worker ---- */

static void
ReleaseSlot(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	if (my_slot->pid == MyProcPid)
	{
		my_slot->pid = 0;
		my_slot->state = VG_WORKER_GONE;
		my_slot->index = InvalidOid;
	}
	SpinLockRelease(&shared->mutex);
}

/* Takes the database's slot; false when another worker has it. */
static bool
ClaimSlot(Oid dboid, bool from_launcher)
{
	VgWorkerShared *reg = Registry();
	VgWorkerSlot *slot;
	bool		ok = false;

	SpinLockAcquire(&reg->mutex);
	slot = SlotFor(reg, dboid);
	if (slot != NULL && !SlotBusy(slot))
	{
		slot->pid = MyProcPid;
		slot->from_launcher = from_launcher;
		slot->state = VG_WORKER_STARTING;
		slot->index = InvalidOid;
		ok = true;
	}
	SpinLockRelease(&reg->mutex);
	if (ok)
	{
		my_slot = slot;
		before_shmem_exit(ReleaseSlot, (Datum) 0);
	}
	return ok;
}

static void
SetState(VgWorkerState state, Oid index)
{
	SpinLockAcquire(&shared->mutex);
	my_slot->state = state;
	my_slot->index = index;
	SpinLockRelease(&shared->mutex);
}

/* Is the extension installed here?  Notes the database's name too. */
static bool
ExtensionInstalled(void)
{
	bool		installed;
	char	   *name;

	StartTransactionCommand();
	installed = OidIsValid(get_extension_oid("vecgraph", true));
	name = get_database_name(MyDatabaseId);
	strlcpy(my_dbname, name ? name : "?", sizeof(my_dbname));
	CommitTransactionCommand();
	return installed;
}

/* The valid vecgraph indexes of this database. */
static List *
ListIndexes(void)
{
	List	   *result = NIL;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;
	MemoryContext outer = CurrentMemoryContext;
	Oid			am;

	StartTransactionCommand();
	am = get_index_am_oid("vecgraph", true);
	if (OidIsValid(am))
	{
		rel = table_open(RelationRelationId, AccessShareLock);
		scan = table_beginscan_catalog(rel, 0, NULL);
		while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
		{
			Form_pg_class c = (Form_pg_class) GETSTRUCT(tup);

			/* other sessions' temporary tables are out of reach */
			if (c->relkind == RELKIND_INDEX && c->relam == am &&
				c->relpersistence != RELPERSISTENCE_TEMP)
			{
				MemoryContext old = MemoryContextSwitchTo(outer);

				result = lappend_oid(result, c->oid);
				MemoryContextSwitchTo(old);
			}
		}
		table_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	CommitTransactionCommand();
	return result;
}

/*
 * Locks and opens an index and its table; NULL when a lock is taken or the
 * index is gone, invalid or not ours any more.
 */
static Relation
OpenForPass(Oid indexoid, Relation *heap)
{
	Oid			heapoid = IndexGetRelation(indexoid, true);
	Relation	index;

	*heap = NULL;
	if (!OidIsValid(heapoid) || !ConditionalLockRelationOid(heapoid, RowExclusiveLock))
		return NULL;
	if (!ConditionalLockRelationOid(indexoid, RowExclusiveLock))
		return NULL;
	/* dropped between the listing and the locks? */
	*heap = try_relation_open(heapoid, NoLock);
	index = try_relation_open(indexoid, NoLock);
	if (*heap != NULL && index != NULL &&
		index->rd_rel->relam == get_index_am_oid("vecgraph", false) &&
		index->rd_index->indisvalid && index->rd_index->indisready)
		return index;
	if (index != NULL)
		relation_close(index, NoLock);
	if (*heap != NULL)
		relation_close(*heap, NoLock);
	return NULL;
}

static void
UseWorkerCostSettings(void)
{
	VacuumCostLimit = vg_worker_cost_limit;
	VacuumCostDelay = vg_worker_cost_delay;
	VacuumCostActive = vg_worker_cost_delay > 0;
	VacuumCostBalance = 0;
	VacuumPageHit = VacuumPageMiss = VacuumPageDirty = 0;
}

/*
 * The recall estimate, when the worker takes one and the last is old: an
 * exact answer scans the whole table, so it is taken again only every ten
 * naptimes (recall drifts slowly, and on a large table ten exact scans per
 * pass would cost more than the pass).
 */
static void
EstimateRecallIfDue(Relation heap, Relation index)
{
	VgMaintRecord rec;
	double		recall;

	if (vg_worker_recall_sample == 0)
		return;
	VgReadMaintRecord(index, &rec);
	if (rec.recall_sample > 0 &&
		!TimestampDifferenceExceeds(rec.recall_at, GetCurrentTimestamp(),
									10 * vg_worker_naptime * 1000))
		return;
	recall = VgEstimateRecall(heap, index, vg_worker_recall_sample, 10);
	if (!isnan(recall))
		VgWriteRecall(index, recall, vg_worker_recall_sample);
}

/*
 * One index in one transaction: the pass, under the repair lock (skipped
 * when a VACUUM holds it), then the recall estimate.
 */
static void
MaintainOne(Oid indexoid, bool warm)
{
	Relation	heap = NULL;
	Relation	index;
	VgMaintResult res;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	index = OpenForPass(indexoid, &heap);
	if (index == NULL)
	{
		CommitTransactionCommand();
		return;
	}
	if (VgTryLockRepair(index))
	{
		SetState(VG_WORKER_WORKING, indexoid);
		pgstat_report_activity(STATE_RUNNING,
							   psprintf("maintaining index %s", RelationGetRelationName(index)));
		UseWorkerCostSettings();
		VgMaintainIndex(heap, index, true, warm, &res);
		VgUnlockRepair(index);
		SpinLockAcquire(&shared->mutex);
		my_slot->nodes_repaired += res.dead_marked + res.unreachable_linked;
		SpinLockRelease(&shared->mutex);
		EstimateRecallIfDue(heap, index);
	}
	relation_close(index, NoLock);
	relation_close(heap, NoLock);
	CommitTransactionCommand();
}

/*
 * An index's failure is logged and the pass goes on.  A pass that gave
 * way to a waiting session is no failure: that goes to the log quietly.
 */
static void
ReportIndexError(Oid indexoid)
{
	MemoryContext old = MemoryContextSwitchTo(TopMemoryContext);
	ErrorData  *edata = CopyErrorData();

	MemoryContextSwitchTo(old);
	FlushErrorState();
	if (edata->sqlerrcode == ERRCODE_LOCK_NOT_AVAILABLE)
		ereport(DEBUG1, (errmsg_internal("%s", edata->message)));
	else
		ereport(LOG,
				(errcode(edata->sqlerrcode),
				 errmsg("vecgraph maintenance of index %u failed: %s", indexoid, edata->message),
				 edata->detail ? errdetail_internal("%s", edata->detail) : 0,
				 errhint("The worker tries again after vecgraph.worker_naptime.")));
	FreeErrorData(edata);
}

/* MaintainOne, with an error logged rather than ending the worker. */
static void
MaintainOneGuarded(Oid indexoid, bool warm)
{
	PG_TRY();
	{
		MaintainOne(indexoid, warm);
	}
	PG_CATCH();
	{
		HOLD_INTERRUPTS();
		ReportIndexError(indexoid);
		/* releases the locks, the repair lock included */
		AbortOutOfAnyTransaction();
		RESUME_INTERRUPTS();
	}
	PG_END_TRY();
}

static void
MaintainDatabase(void)
{
	List	   *indexes;
	bool		warm = vg_worker_prewarm && !my_slot->warmed;
	ListCell   *lc;

	/* DROP EXTENSION ends the worker (the launcher looks again later) */
	if (!ExtensionInstalled())
		proc_exit(0);
	indexes = ListIndexes();
	foreach(lc, indexes)
	{
		MaintainOneGuarded(lfirst_oid(lc), warm);
		CHECK_FOR_INTERRUPTS();
	}
	list_free(indexes);
	SpinLockAcquire(&shared->mutex);
	my_slot->warmed |= warm;
	my_slot->passes++;
	my_slot->last_pass_end = GetCurrentTimestamp();
	my_slot->state = VG_WORKER_SLEEPING;
	my_slot->index = InvalidOid;
	SpinLockRelease(&shared->mutex);
	pgstat_report_activity(STATE_IDLE, NULL);
}

static void
ReloadIfAsked(void)
{
	if (ConfigReloadPending)
	{
		ConfigReloadPending = false;
		ProcessConfigFile(PGC_SIGHUP);
	}
}

/* Sleeps for the naptime, looking out for the things that end a worker. */
static void
Nap(void)
{
	TimestampTz until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(),
													vg_worker_naptime * 1000L);

	for (;;)
	{
		long		left = TimestampDifferenceMilliseconds(GetCurrentTimestamp(), until);

		CHECK_FOR_INTERRUPTS();
		VgLeaveIfDatabaseWanted();
		ReloadIfAsked();
		if (my_slot->from_launcher && !vg_maintenance)
			proc_exit(0);
		if (left <= 0)
			return;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 Min(left, 500), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

void
VgWorkerMain(Datum arg)
{
	Oid			dboid = DatumGetObjectId(arg);
	bool		from_launcher = MyBgworkerEntry->bgw_extra[0] == 'L';

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	pqsignal(SIGINT, StatementCancelHandler);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	if (!ClaimSlot(dboid, from_launcher))
		proc_exit(0);
	pgstat_report_appname("vecgraph maintenance worker");
	for (;;)
	{
		MaintainDatabase();
		Nap();
	}
}

/*
 * Starts a worker for dboid; false when no background worker slot is free.
 * With pid, waits for it to start and returns its pid there (0 if it did
 * not).
 */
static bool
StartWorker(Oid dboid, bool from_launcher, pid_t *pid, BackgroundWorkerHandle **handle)
{
	BackgroundWorker bgw = {0};

	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_RecoveryFinished;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "vecgraph");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "VgWorkerMain");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "vecgraph maintenance worker");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "vecgraph maintenance worker");
	bgw.bgw_main_arg = ObjectIdGetDatum(dboid);
	bgw.bgw_extra[0] = from_launcher ? 'L' : 'S';
	bgw.bgw_notify_pid = MyProcPid;
	if (!RegisterDynamicBackgroundWorker(&bgw, handle))
		return false;
	if (pid != NULL && WaitForBackgroundWorkerStartup(*handle, pid) != BGWH_STARTED)
		*pid = 0;
	return true;
}

/* ---- the launcher ---- */

static List *
ConnectableDatabases(void)
{
	List	   *result = NIL;
	MemoryContext outer = CurrentMemoryContext;
	Relation	rel;
	TableScanDesc scan;
	HeapTuple	tup;

	StartTransactionCommand();
	rel = table_open(DatabaseRelationId, AccessShareLock);
	scan = table_beginscan_catalog(rel, 0, NULL);
	while ((tup = heap_getnext(scan, ForwardScanDirection)) != NULL)
	{
		Form_pg_database db = (Form_pg_database) GETSTRUCT(tup);

		/* a worker in a template would stop CREATE DATABASE from copying it */
		if (db->datallowconn && !db->datistemplate)
		{
			MemoryContext old = MemoryContextSwitchTo(outer);

			result = lappend_oid(result, db->oid);
			MemoryContextSwitchTo(old);
		}
	}
	table_endscan(scan);
	table_close(rel, AccessShareLock);
	CommitTransactionCommand();
	return result;
}

/*
 * The workers the launcher started, until they end: a worker claims its
 * slot only once it has connected, and until then the launcher must not
 * start another.
 */
static BackgroundWorkerHandle *started[VG_WORKER_SLOTS];
static Oid	started_db[VG_WORKER_SLOTS];

static bool
StartedAndAlive(Oid dboid)
{
	for (int i = 0; i < VG_WORKER_SLOTS; i++)
	{
		pid_t		pid;

		if (started[i] == NULL)
			continue;
		if (GetBackgroundWorkerPid(started[i], &pid) == BGWH_STOPPED)
		{
			pfree(started[i]);
			started[i] = NULL;
		}
		else if (started_db[i] == dboid)
			return true;
	}
	return false;
}

static void
RememberStarted(Oid dboid, BackgroundWorkerHandle *handle)
{
	for (int i = 0; i < VG_WORKER_SLOTS; i++)
		if (started[i] == NULL)
		{
			started[i] = handle;
			started_db[i] = dboid;
			return;
		}
	pfree(handle);
}

static void
StartMissingWorkers(void)
{
	List	   *dbs = ConnectableDatabases();
	ListCell   *lc;

	foreach(lc, dbs)
	{
		Oid			dboid = lfirst_oid(lc);
		VgWorkerSlot *slot;
		BackgroundWorkerHandle *handle;
		bool		start;

		if (StartedAndAlive(dboid))
			continue;
		SpinLockAcquire(&shared->mutex);
		slot = SlotFor(shared, dboid);
		start = slot != NULL && !slot->held_back && !SlotBusy(slot);
		SpinLockRelease(&shared->mutex);
		if (!start)
			continue;
		if (!StartWorker(dboid, true, NULL, &handle))
		{
			ereport(LOG,
					(errmsg("vecgraph maintenance launcher could not start a worker"),
					 errhint("Raise max_worker_processes (%d now).", max_worker_processes)));
			break;
		}
		RememberStarted(dboid, handle);
	}
	list_free(dbs);
}

static void
ForgetLauncher(int code, Datum arg)
{
	SpinLockAcquire(&shared->mutex);
	shared->launcher_pid = 0;
	SpinLockRelease(&shared->mutex);
}

void
VgLauncherMain(Datum arg)
{
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(NULL, NULL, 0);
	Registry();
	SpinLockAcquire(&shared->mutex);
	shared->launcher_pid = MyProcPid;
	SpinLockRelease(&shared->mutex);
	before_shmem_exit(ForgetLauncher, (Datum) 0);
	for (;;)
	{
		CHECK_FOR_INTERRUPTS();
		ReloadIfAsked();
		if (vg_maintenance)
			StartMissingWorkers();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 vg_worker_naptime * 1000L, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/* ---- SQL ---- */

PG_FUNCTION_INFO_V1(vecgraph_worker_start);

/*
 * vecgraph_worker_start(): starts the worker for the current database, or
 * finds it running; returns its pid.
 */
Datum
vecgraph_worker_start(PG_FUNCTION_ARGS)
{
	VgWorkerShared *reg;
	VgWorkerSlot *slot;
	pid_t		running = 0;
	pid_t		pid = 0;
	BackgroundWorkerHandle *handle;

	RequireMaintainer("start the vecgraph maintenance worker");
	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("the vecgraph maintenance worker does not run on a standby"),
				 errhint("It starts on the primary; its changes reach the standby through WAL.")));
	reg = Registry();
	SpinLockAcquire(&reg->mutex);
	slot = SlotFor(reg, MyDatabaseId);
	if (slot != NULL)
	{
		slot->held_back = false;
		if (SlotBusy(slot))
			running = slot->pid;
	}
	SpinLockRelease(&reg->mutex);
	if (slot == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("vecgraph keeps maintenance workers for at most %d databases", VG_WORKER_SLOTS)));
	if (running != 0)
	{
		ereport(NOTICE,
				(errmsg("the vecgraph maintenance worker of database \"%s\" is running already",
						get_database_name(MyDatabaseId))));
		PG_RETURN_INT32(running);
	}
	if (!StartWorker(MyDatabaseId, false, &pid, &handle) || pid == 0)
		ereport(ERROR,
				(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
				 errmsg("could not start the vecgraph maintenance worker"),
				 errhint("Every background worker slot may be in use: raise max_worker_processes (%d now).",
						 max_worker_processes)));
	PG_RETURN_INT32(pid);
}

PG_FUNCTION_INFO_V1(vecgraph_worker_stop);

/*
 * vecgraph_worker_stop(): stops the current database's worker and keeps
 * the launcher from starting another until vecgraph_worker_start() or a
 * restart.  Returns whether a worker was running.
 */
Datum
vecgraph_worker_stop(PG_FUNCTION_ARGS)
{
	VgWorkerShared *reg;
	VgWorkerSlot *slot;
	pid_t		pid = 0;

	RequireMaintainer("stop the vecgraph maintenance worker");
	reg = Registry();
	SpinLockAcquire(&reg->mutex);
	slot = SlotFor(reg, MyDatabaseId);
	if (slot != NULL)
	{
		slot->held_back = true;
		if (SlotBusy(slot))
			pid = slot->pid;
	}
	SpinLockRelease(&reg->mutex);
	if (pid != 0)
		kill(pid, SIGTERM);
	PG_RETURN_BOOL(pid != 0);
}

PG_FUNCTION_INFO_V1(vecgraph_worker_status);

/*
 * vecgraph_worker_status(): one row per database the registry knows, and
 * one for the launcher.  The index at hand is shown to those who may see
 * its statistics.
 */
Datum
vecgraph_worker_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	VgWorkerShared *reg = Registry();
	VgWorkerShared copy;

	InitMaterializedSRF(fcinfo, 0);
	SpinLockAcquire(&reg->mutex);
	memcpy(&copy, reg, sizeof(VgWorkerShared));
	SpinLockRelease(&reg->mutex);

	if (copy.launcher_pid != 0)
	{
		Datum		values[8] = {0};
		bool		nulls[8] = {false, true, false, false, true, true, true, true};

		values[0] = Int32GetDatum(copy.launcher_pid);
		values[2] = CStringGetTextDatum("launcher");
		values[3] = CStringGetTextDatum(vg_maintenance ? "running" : "paused");
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	for (int i = 0; i < VG_WORKER_SLOTS; i++)
	{
		VgWorkerSlot *s = &copy.slots[i];
		Datum		values[8] = {0};
		bool		nulls[8] = {0};
		char	   *dbname;
		Oid			heapoid;

		if (s->dboid == InvalidOid || (dbname = get_database_name(s->dboid)) == NULL)
			continue;
		if (s->pid == 0 || kill(s->pid, 0) != 0)
			s->state = VG_WORKER_GONE;
		nulls[0] = s->state == VG_WORKER_GONE;
		values[0] = Int32GetDatum(s->pid);
		values[1] = CStringGetTextDatum(dbname);
		values[2] = CStringGetTextDatum(s->from_launcher ? "worker (launcher)" : "worker (started by SQL)");
		values[3] = CStringGetTextDatum(s->held_back && s->state == VG_WORKER_GONE ?
										"held back" : state_names[s->state]);
		heapoid = OidIsValid(s->index) && s->dboid == MyDatabaseId ?
			IndexGetRelation(s->index, true) : InvalidOid;
		nulls[4] = !OidIsValid(heapoid) || !VgCanSeeIndexStats(heapoid);
		values[4] = ObjectIdGetDatum(s->index);
		values[5] = Int64GetDatum((int64) s->passes);
		nulls[6] = s->last_pass_end == 0;
		values[6] = TimestampTzGetDatum(s->last_pass_end);
		values[7] = Int64GetDatum((int64) s->nodes_repaired);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/* ALTER SYSTEM SET name = value, as the statement would do it. */
static void
AlterSystemSet(const char *name, const char *value)
{
	AlterSystemStmt *stmt = makeNode(AlterSystemStmt);
	VariableSetStmt *set = makeNode(VariableSetStmt);
	A_Const    *arg = makeNode(A_Const);

	arg->val.sval.type = T_String;
	arg->val.sval.sval = pstrdup(value);
	arg->location = -1;
	set->kind = VAR_SET_VALUE;
	set->name = pstrdup(name);
	set->args = list_make1(arg);
	stmt->setstmt = set;
	AlterSystemSetConfigFile(stmt);
}

PG_FUNCTION_INFO_V1(vecgraph_worker_config);

/*
 * vecgraph_worker_config(maintenance, naptime, cost_limit, cost_delay,
 * prewarm, recall_sample): writes each argument given to
 * postgresql.auto.conf, checked as ALTER SYSTEM checks it, and reloads the
 * configuration.
 */
Datum
vecgraph_worker_config(PG_FUNCTION_ARGS)
{
	static const char *const names[] = {
		"vecgraph.maintenance", "vecgraph.worker_naptime", "vecgraph.worker_cost_limit",
		"vecgraph.worker_cost_delay", "vecgraph.worker_prewarm", "vecgraph.worker_recall_sample"
	};
	bool		any = false;

	RequireMaintainer("configure the vecgraph maintenance worker");
	for (int i = 0; i < lengthof(names); i++)
	{
		char	   *value;

		if (PG_ARGISNULL(i))
			continue;
		switch (i)
		{
			case 0:
			case 4:
				value = PG_GETARG_BOOL(i) ? "on" : "off";
				break;
			case 3:
				value = psprintf("%g", (double) PG_GETARG_FLOAT4(i));
				break;
			default:
				value = psprintf("%d", PG_GETARG_INT32(i));
				break;
		}
		AlterSystemSet(names[i], value);
		any = true;
	}
	if (any && kill(PostmasterPid, SIGHUP) != 0)
		ereport(WARNING,
				(errmsg("could not signal the postmaster to reload the configuration: %m")));
	PG_RETURN_VOID();
}
