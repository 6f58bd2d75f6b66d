/*-------------------------------------------------------------------------
 *
 * vgstats.c
 *	  Cumulative per-index scan statistics in shared memory:
 *	  vecgraph_stats() and vecgraph_stats_reset().
 *
 * NOTES
 *	  Each index's counters -- scans, parallel scans, the workers of its
 *	  parallel scans planned and launched, iterative rounds, rows returned
 *	  -- live in a fixed-size hash table in shared memory, keyed by
 *	  (database, index), in the manner of pg_stat_statements.  Only a
 *	  library the postmaster loads at start can set up shared memory, so
 *	  without vecgraph in shared_preload_libraries nothing is counted and
 *	  vecgraph_stats() says so.
 *
 *	  A scan counts in backend-local VgStatsCounts (vgscan.c) and flushes
 *	  them here once, at rescan or end, so the rows it returns cost no
 *	  shared-memory traffic.  Workers are not the scan's to see: an
 *	  ExecutorEnd hook walks the finished plan and adds the workers of each
 *	  Gather or Gather Merge to the vecgraph indexes scanned in parallel
 *	  below it.
 *
 *	  Locking: one LWLock guards which entries exist.  A flush finds its
 *	  entry under the shared lock and adds with atomic operations, so the
 *	  flushes of different backends never wait for one another; only the
 *	  first flush for an index takes the lock exclusively, to enter it, and
 *	  so does vecgraph_stats_reset(), to empty the table.
 *
 *	  The table holds vecgraph.stats_max_indexes entries.  When it is full,
 *	  indexes not yet in it are not counted; the updates so lost are
 *	  counted in "dropped", and vecgraph_stats() reports them in a NOTICE.
 *	  Entries of dropped indexes stay until vecgraph_stats_reset().  Counts
 *	  start from zero at each server start (nothing is saved at shutdown),
 *	  and a scan that ends in an error never flushes, so what it counted is
 *	  lost.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/amapi.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "commands/defrem.h"
#include "executor/executor.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "port/atomics.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "utils/acl.h"
#include "utils/guc.h"
#include "utils/hsearch.h"
#include "utils/rel.h"
#include "utils/syscache.h"
#include "utils/tuplestore.h"

#include "vgam.h"
#include "vgstats.h"

/* Indexes are counted per database: an index OID is unique only there. */
typedef struct VgStatsKey
{
	Oid			dbid;
	Oid			indexid;
} VgStatsKey;

typedef struct VgStatsEntry
{
	VgStatsKey	key;			/* the hash key: first */
	pg_atomic_uint64 counters[VG_STAT_NCOUNTERS];
} VgStatsEntry;

/*
 * What lives beside the hash table.  lock is set at start-up and never
 * changes; it guards which entries exist, not their counters, which are
 * atomic, as is dropped.
 */
typedef struct VgStatsSharedData
{
	LWLock	   *lock;
	pg_atomic_uint64 dropped;	/* updates lost to a full table */
} VgStatsSharedData;

#define VG_STATS_TRANCHE	"vecgraph_stats"

static int	vg_stats_max_indexes = 1000;

/* Both NULL unless vecgraph was preloaded: then counting is a no-op. */
static VgStatsSharedData *vg_stats = NULL;
static HTAB *vg_stats_hash = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;
static ExecutorEnd_hook_type prev_ExecutorEnd_hook = NULL;

static void StatsShmemRequest(void);
static void StatsShmemStartup(void);
static void StatsExecutorEnd(QueryDesc *queryDesc);

/*
 * When the postmaster is loading vecgraph from shared_preload_libraries,
 * defines vecgraph.stats_max_indexes and installs the hooks that set up the
 * table and count workers.  Loaded later, vecgraph counts nothing, and the
 * setting does not exist: a backend may not create a PGC_POSTMASTER
 * setting.
 */
void
VgStatsInit(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("vecgraph.stats_max_indexes",
							"Sets how many indexes vecgraph_stats() can count.",
							"Indexes past this many are not counted.",
							&vg_stats_max_indexes, 1000, 10, 1000000,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = StatsShmemRequest;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = StatsShmemStartup;
	prev_ExecutorEnd_hook = ExecutorEnd_hook;
	ExecutorEnd_hook = StatsExecutorEnd;
}

static Size
StatsShmemSize(void)
{
	return add_size(MAXALIGN(sizeof(VgStatsSharedData)),
					hash_estimate_size(vg_stats_max_indexes, sizeof(VgStatsEntry)));
}

static void
StatsShmemRequest(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(StatsShmemSize());
	RequestNamedLWLockTranche(VG_STATS_TRANCHE, 1);
}

/*
 * Creates the table in the postmaster, whose children inherit the pointers;
 * EXEC_BACKEND builds run it in every child too, and then attach.
 */
static void
StatsShmemStartup(void)
{
	HASHCTL		ctl;
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	vg_stats = ShmemInitStruct("vecgraph stats", sizeof(VgStatsSharedData), &found);
	if (!found)
	{
		vg_stats->lock = &(GetNamedLWLockTranche(VG_STATS_TRANCHE))->lock;
		pg_atomic_init_u64(&vg_stats->dropped, 0);
	}
	ctl.keysize = sizeof(VgStatsKey);
	ctl.entrysize = sizeof(VgStatsEntry);
	vg_stats_hash = ShmemInitHash("vecgraph stats table",
								  vg_stats_max_indexes, vg_stats_max_indexes,
								  &ctl, HASH_ELEM | HASH_BLOBS);
	LWLockRelease(AddinShmemInitLock);
}

/*
 * The entry of key, entered with zero counts if the table has room; NULL
 * when it is full.  The caller holds the lock exclusively.
 */
static VgStatsEntry *
EnterEntry(const VgStatsKey *key)
{
	VgStatsEntry *entry;

	/* another backend may have entered it while we waited for the lock */
	entry = hash_search(vg_stats_hash, key, HASH_FIND, NULL);
	if (entry != NULL)
		return entry;
	/* a shared hash table would take spare shared memory past its size */
	if (hash_get_num_entries(vg_stats_hash) >= vg_stats_max_indexes)
		return NULL;
	entry = hash_search(vg_stats_hash, key, HASH_ENTER_NULL, NULL);
	if (entry != NULL)
		for (int i = 0; i < VG_STAT_NCOUNTERS; i++)
			pg_atomic_init_u64(&entry->counters[i], 0);
	return entry;
}

/*
 * Adds counts to the entry of index indexid of this database, entering it
 * if need be, or counts them dropped.  Takes and releases the lock.
 */
static void
AddCounts(Oid indexid, const VgStatsCounts *counts)
{
	VgStatsKey	key;
	VgStatsEntry *entry;

	MemSet(&key, 0, sizeof(key));
	key.dbid = MyDatabaseId;
	key.indexid = indexid;

	LWLockAcquire(vg_stats->lock, LW_SHARED);
	entry = hash_search(vg_stats_hash, &key, HASH_FIND, NULL);
	/* a full table stays full until a reset: no exclusive lock for nothing */
	if (entry == NULL &&
		hash_get_num_entries(vg_stats_hash) < vg_stats_max_indexes)
	{
		LWLockRelease(vg_stats->lock);
		LWLockAcquire(vg_stats->lock, LW_EXCLUSIVE);
		entry = EnterEntry(&key);
	}
	if (entry == NULL)
		pg_atomic_fetch_add_u64(&vg_stats->dropped, 1);
	else
	{
		for (int i = 0; i < VG_STAT_NCOUNTERS; i++)
			if (counts->n[i] != 0)
				pg_atomic_fetch_add_u64(&entry->counters[i], (int64) counts->n[i]);
	}
	LWLockRelease(vg_stats->lock);
}

/*
 * Adds what a scan of index indexid counted to its entry, and zeroes the
 * counts.  Without shared memory it only zeroes them; a scan with nothing
 * counted (a rescan before any search) takes no lock.
 */
void
VgStatsFlush(Oid indexid, VgStatsCounts *counts)
{
	bool		any = false;

	for (int i = 0; i < VG_STAT_NCOUNTERS; i++)
		any |= counts->n[i] != 0;
	if (vg_stats != NULL && any)
		AddCounts(indexid, counts);
	MemSet(counts, 0, sizeof(VgStatsCounts));
}

/* Is index, opened or NULL, a vecgraph index?  Then its AM is this library's. */
static bool
IsVecgraphIndex(Relation index)
{
	return index != NULL && index->rd_indam != NULL &&
		index->rd_indam->amgettuple == vggettuple;
}

/*
 * planstate_tree_walker callback: adds to the List * at context the
 * vecgraph indexes that ps and its subtree scan in parallel.  A scan that
 * is not parallel-aware below a Gather -- the inner side of a join, or
 * force_parallel_mode's Gather -- runs whole in each participant: the
 * workers are not its.
 */
static bool
CollectParallelIndexes(PlanState *ps, void *context)
{
	List	  **indexes = context;
	Relation	index = NULL;

	if (IsA(ps, IndexScanState))
		index = ((IndexScanState *) ps)->iss_RelationDesc;
	else if (IsA(ps, IndexOnlyScanState))
		index = ((IndexOnlyScanState *) ps)->ioss_RelationDesc;
	if (ps->plan->parallel_aware && IsVecgraphIndex(index))
		*indexes = list_append_unique_oid(*indexes, RelationGetRelid(index));
	return planstate_tree_walker(ps, CollectParallelIndexes, context);
}

/*
 * The workers a Gather or Gather Merge planned and launched; false for any
 * other node and for one that never ran.  A rescanned one launches its
 * workers again each time, and only the last launch is left to read, as
 * EXPLAIN ANALYZE shows.
 *
 * XXX: so a rescanned Gather counts its workers once per execution of the
 * statement.  Counting each launch would take a hook inside the executor
 * node, which PostgreSQL does not offer.
 */
static bool
GatherWorkers(PlanState *ps, int *planned, int *launched)
{
	if (IsA(ps, GatherState))
	{
		GatherState *gs = (GatherState *) ps;

		*planned = ((Gather *) ps->plan)->num_workers;
		*launched = gs->nworkers_launched;
		return gs->initialized || gs->nworkers_launched > 0;
	}
	if (IsA(ps, GatherMergeState))
	{
		GatherMergeState *gms = (GatherMergeState *) ps;

		*planned = ((GatherMerge *) ps->plan)->num_workers;
		*launched = gms->nworkers_launched;
		return gms->initialized || gms->nworkers_launched > 0;
	}
	return false;
}

/*
 * planstate_tree_walker callback: adds the workers of every Gather and
 * Gather Merge in ps's subtree to the vecgraph indexes scanned in parallel
 * below it.
 */
static bool
CountGatherWorkers(PlanState *ps, void *context)
{
	int			planned;
	int			launched;
	List	   *indexes = NIL;
	ListCell   *lc;

	if (!GatherWorkers(ps, &planned, &launched))
		return planstate_tree_walker(ps, CountGatherWorkers, context);

	CollectParallelIndexes(ps, &indexes);
	foreach(lc, indexes)
	{
		VgStatsCounts counts = {0};

		counts.n[VG_STAT_WORKERS_PLANNED] = planned;
		counts.n[VG_STAT_WORKERS_LAUNCHED] = launched;
		AddCounts(lfirst_oid(lc), &counts);
	}
	list_free(indexes);
	return false;				/* Gathers do not nest */
}

/*
 * Counts workers before the plan's state is freed.  Only a plan with a
 * Gather needs parallel mode, so other plans cost one test; EXPLAIN
 * without ANALYZE ran nothing.  Parallel workers never see a Gather: theirs
 * is the plan below it.
 */
static void
StatsExecutorEnd(QueryDesc *queryDesc)
{
	if (vg_stats != NULL && queryDesc->planstate != NULL &&
		queryDesc->plannedstmt->parallelModeNeeded &&
		(queryDesc->estate->es_top_eflags & EXEC_FLAG_EXPLAIN_ONLY) == 0)
		CountGatherWorkers(queryDesc->planstate, NULL);

	if (prev_ExecutorEnd_hook)
		prev_ExecutorEnd_hook(queryDesc);
	else
		standard_ExecutorEnd(queryDesc);
}

/* Says that nothing is counted, and what would make it so. */
static void
ReportNotPreloaded(void)
{
	ereport(NOTICE,
			(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
			 errmsg("vecgraph index statistics are not kept: vecgraph was not loaded at server start"),
			 errdetail("Scans, parallel scans, workers planned and launched, iterative rounds and rows returned are counted in shared memory, which only a library in shared_preload_libraries can set up."),
			 errhint("Add vecgraph to shared_preload_libraries and restart the server.")));
}

/* Says that indexes went uncounted, if any did. */
static void
ReportDropped(void)
{
	uint64		dropped = pg_atomic_read_u64(&vg_stats->dropped);

	if (dropped == 0)
		return;
	ereport(NOTICE,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("vecgraph index statistics are missing some indexes: the table of vecgraph.stats_max_indexes (%d) entries is full",
					vg_stats_max_indexes),
			 errdetail_plural("%llu update of the counts of indexes not in the table was dropped since the server started or the statistics were reset.",
							  "%llu updates of the counts of indexes not in the table were dropped since the server started or the statistics were reset.",
							  (unsigned long) dropped,
							  (unsigned long long) dropped),
			 errhint("Raise vecgraph.stats_max_indexes and restart the server, or call vecgraph_stats_reset() to forget dropped indexes.")));
}

/* One entry as vecgraph_stats() copied it. */
typedef struct StatsRow
{
	Oid			indexid;
	uint64		n[VG_STAT_NCOUNTERS];
} StatsRow;

/*
 * Copies this database's entries into *rows, palloc'd, and returns how
 * many: the catalog lookups that decide who sees them must not run under
 * the lock.
 */
static int
CopyEntries(StatsRow **rows)
{
	HASH_SEQ_STATUS seq;
	VgStatsEntry *entry;
	int			n = 0;

	LWLockAcquire(vg_stats->lock, LW_SHARED);
	*rows = palloc(sizeof(StatsRow) * Max(hash_get_num_entries(vg_stats_hash), 1));
	hash_seq_init(&seq, vg_stats_hash);
	while ((entry = hash_seq_search(&seq)) != NULL)
	{
		if (entry->key.dbid != MyDatabaseId)
			continue;
		(*rows)[n].indexid = entry->key.indexid;
		for (int i = 0; i < VG_STAT_NCOUNTERS; i++)
			(*rows)[n].n[i] = pg_atomic_read_u64(&entry->counters[i]);
		n++;
	}
	LWLockRelease(vg_stats->lock);
	return n;
}

/*
 * May the current user see the counts of index indexid?  Its owner (an
 * index's owner is always its table's) and members of pg_read_all_stats
 * (read_all; superusers too) may.  An index dropped since it was counted,
 * or whose OID now names another relation, is seen by nobody.
 */
static bool
MaySeeStats(Oid indexid, Oid vecgraph_am, bool read_all)
{
	HeapTuple	tup = SearchSysCache1(RELOID, ObjectIdGetDatum(indexid));
	Form_pg_class rel;
	bool		result;

	if (!HeapTupleIsValid(tup))
		return false;
	rel = (Form_pg_class) GETSTRUCT(tup);
	result = rel->relam == vecgraph_am &&
		(read_all || has_privs_of_role(GetUserId(), rel->relowner));
	ReleaseSysCache(tup);
	return result;
}

/*
 * vecgraph_stats(): one row per vecgraph index of this database that was
 * scanned since the server started or the statistics were reset, and that
 * the caller may see (MaySeeStats); the rows of others are left out.
 */
PG_FUNCTION_INFO_V1(vecgraph_stats);
Datum
vecgraph_stats(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Oid			am;
	bool		read_all;
	StatsRow   *rows;
	int			nrows;

	InitMaterializedSRF(fcinfo, 0);
	if (rsinfo->setDesc->natts != 1 + VG_STAT_NCOUNTERS)
		elog(ERROR, "vecgraph_stats() is declared with %d columns, expected %d",
			 rsinfo->setDesc->natts, 1 + VG_STAT_NCOUNTERS);
	if (vg_stats == NULL)
	{
		ReportNotPreloaded();
		return (Datum) 0;
	}
	am = get_index_am_oid("vecgraph", true);
	read_all = has_privs_of_role(GetUserId(), ROLE_PG_READ_ALL_STATS);
	nrows = CopyEntries(&rows);
	for (int r = 0; r < nrows; r++)
	{
		Datum		values[1 + VG_STAT_NCOUNTERS];
		bool		nulls[1 + VG_STAT_NCOUNTERS] = {0};

		if (!MaySeeStats(rows[r].indexid, am, read_all))
			continue;
		values[0] = ObjectIdGetDatum(rows[r].indexid);
		for (int i = 0; i < VG_STAT_NCOUNTERS; i++)
			values[1 + i] = Int64GetDatum((int64) rows[r].n[i]);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	ReportDropped();
	return (Datum) 0;
}

/*
 * vecgraph_stats_reset(): forgets the counts of every index of every
 * database, and the dropped updates, freeing the whole table.  EXECUTE is
 * revoked from PUBLIC by the install script.
 */
PG_FUNCTION_INFO_V1(vecgraph_stats_reset);
Datum
vecgraph_stats_reset(PG_FUNCTION_ARGS)
{
	HASH_SEQ_STATUS seq;
	VgStatsEntry *entry;

	if (vg_stats == NULL)
	{
		ReportNotPreloaded();
		PG_RETURN_VOID();
	}
	LWLockAcquire(vg_stats->lock, LW_EXCLUSIVE);
	hash_seq_init(&seq, vg_stats_hash);
	/* dynahash lets a sequential scan remove the entry it just returned */
	while ((entry = hash_seq_search(&seq)) != NULL)
		hash_search(vg_stats_hash, &entry->key, HASH_REMOVE, NULL);
	pg_atomic_write_u64(&vg_stats->dropped, 0);
	LWLockRelease(vg_stats->lock);
	PG_RETURN_VOID();
}
