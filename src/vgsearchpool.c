/*-------------------------------------------------------------------------
 *
 * vgsearchpool.c
 *	  Search workers: background workers, already running, that search a
 *	  serial scan's partitions beside the backend.
 *
 * NOTES
 *	  A PostgreSQL parallel worker is a new process per query: it costs
 *	  milliseconds to start and faults on every shared buffer it touches
 *	  first, more than a whole search takes.  With vecgraph preloaded and
 *	  vecgraph.search_workers > 0, a pool of that many worker slots lives
 *	  in shared memory; a worker serves one database, is started by the
 *	  first scan there that could use it, waits on its latch between jobs
 *	  (its process and caches warm), and leaves after five idle minutes or
 *	  when DROP DATABASE and the like want the database.
 *
 *	  A scan with two or more rounds to search (the partitions at
 *	  ef_search, or wider rounds when a filter or LIMIT drains them) posts
 *	  a job: the prepared query and one work item per round, in a job slot
 *	  of the pool's shared memory.  It assigns idle workers of its database
 *	  (at most rounds - 1 and max_parallel_workers_per_gather, which at 0
 *	  turns the pool off) and sets their latches; then it claims items
 *	  itself from the job's atomic counter, as the workers do, so a worker
 *	  that comes late or not at all only leaves more to the backend.  A
 *	  worker writes an item's results into the job slot and sets the
 *	  backend's latch; the backend copies them out and merges all rounds
 *	  with its loser tree as a serial scan does, so results and order are
 *	  those of a serial scan at the same ef_search.
 *
 *	  A worker opens the index in a transaction of its own with a
 *	  conditional AccessShareLock (the backend holds its lock already; a
 *	  worker never waits behind one) and only if the relation has the
 *	  relfilenode the backend scans, so that it never reads another
 *	  version of the index than the backend's (REINDEX, TRUNCATE in the
 *	  backend's open transaction); otherwise it leaves the job to the
 *	  backend.  Temporary indexes, whose buffers are the backend's own,
 *	  are never shared.
 *
 *	  Failure: a worker's error is written into the job and raised by the
 *	  backend.  A worker that exits mid-item (a cancel or terminate of the
 *	  worker makes it exit) gives the item back from its exit callback; the
 *	  backend also checks, every 100 ms of waiting, that the workers it
 *	  waits on are alive.  A cancelled or failing backend closes its job,
 *	  and the job slot is free again when the last worker assigned to it
 *	  has left (PG_ENSURE_ERROR_CLEANUP: a backend that exits with FATAL
 *	  closes it too).  Workers stop taking items of a closed job.
 *
 *	  Lock order: the pool's spinlock guards the worker slots and the
 *	  jobs' bookkeeping (in use, closed, workers assigned); an item's state
 *	  is an atomic, written by its claimer, and its results are published
 *	  by a write barrier before the state says done.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

#include "access/parallel.h"
#include "access/relation.h"
#include "access/xact.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "optimizer/cost.h"
#include "pgstat.h"
#include "port/atomics.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "storage/lmgr.h"
#include "storage/proc.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "vgam.h"
#include "vgsearch.h"
#include "vgworker.h"

int			vg_search_workers = 2;
bool		vg_enable_search_workers = true;
int			vg_search_worker_spin = 1000;
VgPoolTally vg_pool_tally;

/* Room for a job's query and results: 64 kB of query, 40,000 results. */
#define VG_POOL_JOB_BYTES	(1024 * 1024)
#define VG_POOL_IDLE_EXIT_MS	(5 * 60 * 1000)
/* a worker not running this long after its start was asked for failed */
#define VG_POOL_START_TIMEOUT_MS	10000
/* after a failed start, none is tried for this long */
#define VG_POOL_RETRY_MS	10000
/* how often a waiting backend makes sure its workers are alive */
#define VG_POOL_CHECK_MS	100
/* how long a backend polls for its workers' results before sleeping */
#define VG_POOL_BACKEND_SPIN_US	1000

typedef enum ItemState
{
	ITEM_OPEN,					/* not claimed, or claimed a moment ago */
	ITEM_CLAIMED,				/* by a worker, searching */
	ITEM_DONE,					/* by a worker: results in the job slot */
	ITEM_FAILED,				/* by a worker: the job's error says why */
	ITEM_GIVEN_BACK,			/* a worker left it: the backend searches it */
	ITEM_LOCAL					/* searched by the backend */
} ItemState;

typedef struct PoolItem
{
	int			partition;
	int			ef;
	Size		offset;			/* of its results in the job's data */
	int			n_results;
	bool		final;
	int			worker;			/* the slot of the worker that claimed it */
	pid_t		worker_pid;
	pg_atomic_uint32 state;		/* ItemState */
} PoolItem;

typedef struct PoolJob
{
	/* under the pool's mutex */
	bool		in_use;
	bool		closed;			/* the backend has gone: take no more items */
	int			assigned;		/* workers given the job and not yet left */
	/* written by the backend before any worker is given the job */
	Oid			dboid;
	Oid			index;
	RelFileNode node;
	int			backend_procno;
	Size		query_bytes;
	int			nitems;
	TimestampTz posted_at;
	TimestampTz first_claim_at; /* by a worker; 0 before */
	pg_atomic_uint32 next_item;
#ifdef VG_TEST_HOOKS
	int			test_delay_ms;
	bool		test_error;
#endif
	/* the first error a worker met, under the pool's mutex */
	int			sqlerrcode;
	char		message[256];
	PoolItem	items[VG_MAX_PARTITIONS];
} PoolJob;

typedef struct PoolWorker
{
	Oid			dboid;			/* InvalidOid: slot free */
	pid_t		pid;			/* 0 until the worker runs */
	bool		ready;			/* connected, with procno set */
	int			procno;
	int			job;			/* assigned job, or -1 */
	bool		retire;			/* another database needs the slot */
	TimestampTz asked_at;		/* when its start was asked for */
} PoolWorker;

typedef struct PoolShared
{
	slock_t		mutex;
	TimestampTz start_failed_at;
	PoolWorker	workers[FLEXIBLE_ARRAY_MEMBER];
} PoolShared;

#ifdef VG_TEST_HOOKS
/*
 * Test builds only: the backend leaves every round, even a single one, to
 * the workers (taking only what they give back or leave), so that the
 * regression suites run their scans through the workers; and a worker can
 * be made to wait before an item or to fail in it.
 */
static bool test_leave_to_workers = false;
static int	test_worker_delay_ms = 0;
static bool test_worker_error = false;
#else
#define test_leave_to_workers false
#endif

static bool pool_requested = false; /* preloaded with search_workers > 0 */
static int	pool_slots = 0;
static PoolShared *pool = NULL;
static PoolJob *pool_jobs = NULL;
static char *pool_data = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;

/* in a worker: its slot, and the item it is searching (for its exit) */
static int	my_slot = -1;
static int	my_item = -1;

PGDLLEXPORT void VgSearchWorkerMain(Datum arg);

/* Two jobs a worker: a backend keeps its job until it has read every result. */
static int
JobCount(void)
{
	return 2 * pool_slots;
}

static Size
PoolSize(void)
{
	Size		size = MAXALIGN(add_size(offsetof(PoolShared, workers),
										 mul_size(sizeof(PoolWorker), pool_slots)));

	size = add_size(size, MAXALIGN(mul_size(sizeof(PoolJob), JobCount())));
	return add_size(size, mul_size(VG_POOL_JOB_BYTES, JobCount()));
}

static void
RequestShmem(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(PoolSize());
}

/* The pool's shared memory, attached on first use; NULL without a pool. */
static PoolShared *
Pool(void)
{
	bool		found;
	char	   *base;

	if (pool != NULL || !pool_requested)
		return pool;
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	base = ShmemInitStruct("vecgraph search workers", PoolSize(), &found);
	pool = (PoolShared *) base;
	pool_jobs = (PoolJob *) (base + MAXALIGN(offsetof(PoolShared, workers) +
											 sizeof(PoolWorker) * pool_slots));
	pool_data = (char *) pool_jobs + MAXALIGN(sizeof(PoolJob) * JobCount());
	if (!found)
	{
		memset(base, 0, (char *) pool_data - base);
		SpinLockInit(&pool->mutex);
		for (int i = 0; i < pool_slots; i++)
			pool->workers[i].job = -1;
	}
	LWLockRelease(AddinShmemInitLock);
	return pool;
}

static char *
JobData(int jobno)
{
	return pool_data + (Size) jobno * VG_POOL_JOB_BYTES;
}

static Latch *
LatchOf(int procno)
{
	return &ProcGlobal->allProcs[procno].procLatch;
}

/* Called from _PG_init. */
void
VgSearchPoolInit(void)
{
	DefineCustomBoolVariable("vecgraph.enable_search_workers",
							 "Lets scans share their partition searches with the search workers.",
							 NULL, &vg_enable_search_workers, true,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vecgraph.search_worker_spin",
							"Sets how long, in microseconds, a search worker polls for the next job before it sleeps.",
							"Polling saves the wake-up of a sleeping process (about 0.1 ms) "
							"when queries follow each other closely, at the cost of that much CPU time "
							"after each job; 0 turns polling off.",
							&vg_search_worker_spin, 1000, 0, 100000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
#ifdef VG_TEST_HOOKS
	DefineCustomBoolVariable("vecgraph.test_leave_rounds_to_workers",
							 "Test builds: scans leave their rounds to the search workers.",
							 NULL, &test_leave_to_workers, false,
							 PGC_USERSET, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("vecgraph.test_search_worker_delay",
							"Test builds: a search worker waits this long before each item.",
							NULL, &test_worker_delay_ms, 0, 0, 600000,
							PGC_USERSET, GUC_UNIT_MS, NULL, NULL, NULL);
	DefineCustomBoolVariable("vecgraph.test_search_worker_error",
							 "Test builds: a search worker fails in each item.",
							 NULL, &test_worker_error, false,
							 PGC_USERSET, 0, NULL, NULL, NULL);
#endif
	/* a PGC_POSTMASTER setting can only be defined while preloading */
	if (!process_shared_preload_libraries_in_progress)
		return;
	DefineCustomIntVariable("vecgraph.search_workers",
							"Sets how many search workers the server may run (needs vecgraph preloaded).",
							"Search workers search a scan's partitions beside the backend; 0 turns them off.",
							&vg_search_workers, 2, 0, 64,
							PGC_POSTMASTER, 0, NULL, NULL, NULL);
	if (vg_search_workers == 0)
		return;
	pool_requested = true;
	pool_slots = vg_search_workers;
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = RequestShmem;
}

/* The fewest rounds worth a job: two (the backend searches one itself). */
static int
MinRounds(void)
{
	return test_leave_to_workers ? 1 : 2;
}

/* May this backend share a scan of index with the pool at all? */
static bool
Usable(Relation index)
{
	return pool_requested && vg_enable_search_workers &&
		max_parallel_workers_per_gather > 0 && MyBackendType == B_BACKEND &&
		!IsInParallelMode() &&
		index->rd_rel->relpersistence != RELPERSISTENCE_TEMP;
}

/* Is a worker of this database idle now?  (A hint: read without the lock.) */
bool
VgSearchPoolMayHelp(Relation index, int nrounds)
{
	PoolShared *p;

	if (nrounds < MinRounds() || !Usable(index) || (p = Pool()) == NULL)
		return false;
	for (int i = 0; i < pool_slots; i++)
		if (p->workers[i].ready && p->workers[i].dboid == MyDatabaseId &&
			p->workers[i].job < 0)
			return true;
	return false;
}

/* ---- starting workers ---- */

/*
 * Reserves a free slot for a new worker of this database; -1 if none.
 * Where none is free, asks an idle worker of another database to retire:
 * *retiring is its procno (whose latch the caller sets once the spinlock
 * is released), else -1.  Called under the pool's spinlock.
 */
static int
ReserveSlot(TimestampTz now, int *retiring)
{
	*retiring = -1;
	for (int i = 0; i < pool_slots; i++)
	{
		PoolWorker *w = &pool->workers[i];
		bool		stale = w->dboid != InvalidOid && w->pid == 0 &&
			TimestampDifferenceExceeds(w->asked_at, now, VG_POOL_START_TIMEOUT_MS);

		if (w->dboid == InvalidOid || stale)
		{
			w->dboid = MyDatabaseId;
			w->pid = 0;
			w->ready = false;
			w->job = -1;
			w->retire = false;
			w->asked_at = now;
			return i;
		}
	}
	/* none free: an idle worker of another database makes room */
	for (int i = 0; i < pool_slots; i++)
	{
		PoolWorker *w = &pool->workers[i];

		if (w->dboid != MyDatabaseId && w->ready && w->job < 0 && !w->retire)
		{
			w->retire = true;
			*retiring = w->procno;
			break;
		}
	}
	return -1;
}

static void
StartWorker(int slot)
{
	BackgroundWorker bgw = {0};
	Oid			dboid = MyDatabaseId;

	bgw.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	bgw.bgw_start_time = BgWorkerStart_ConsistentState;
	bgw.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(bgw.bgw_library_name, BGW_MAXLEN, "vecgraph");
	snprintf(bgw.bgw_function_name, BGW_MAXLEN, "VgSearchWorkerMain");
	snprintf(bgw.bgw_name, BGW_MAXLEN, "vecgraph search worker");
	snprintf(bgw.bgw_type, BGW_MAXLEN, "vecgraph search worker");
	bgw.bgw_main_arg = Int32GetDatum(slot);
	memcpy(bgw.bgw_extra, &dboid, sizeof(Oid));
	if (RegisterDynamicBackgroundWorker(&bgw, NULL))
		return;
	SpinLockAcquire(&pool->mutex);
	if (pool->workers[slot].pid == 0)
		pool->workers[slot].dboid = InvalidOid;
	pool->start_failed_at = GetCurrentTimestamp();
	SpinLockRelease(&pool->mutex);
}

/* ---- the backend's side ---- */

/* Does the job fit a job slot?  Then sets each item's offset. */
static bool
Fits(PoolJob *job, Size query_bytes, const VgRound *rounds, int n)
{
	Size		used = MAXALIGN(query_bytes);

	if (n > VG_MAX_PARTITIONS)
		return false;
	for (int i = 0; i < n; i++)
	{
		job->items[i].offset = used;
		used += MAXALIGN(sizeof(VgRoundResult) * rounds[i].ef);
		if (used > VG_POOL_JOB_BYTES)
			return false;
	}
	return true;
}

/* A free job slot, marked in use; -1 if none. */
static int
TakeJobSlot(void)
{
	int			jobno = -1;

	SpinLockAcquire(&pool->mutex);
	for (int j = 0; j < JobCount() && jobno < 0; j++)
		if (!pool_jobs[j].in_use)
		{
			pool_jobs[j].in_use = true;
			pool_jobs[j].closed = false;
			pool_jobs[j].assigned = 0;
			jobno = j;
		}
	SpinLockRelease(&pool->mutex);
	return jobno;
}

static void
WriteJob(PoolJob *job, int jobno, Relation index, const void *query, Size query_bytes,
		 const VgRound *rounds, int n)
{
	job->dboid = MyDatabaseId;
	job->index = RelationGetRelid(index);
	job->node = index->rd_node;
	job->backend_procno = MyProc->pgprocno;
	job->query_bytes = query_bytes;
	job->nitems = n;
	job->sqlerrcode = 0;
	job->message[0] = '\0';
	job->first_claim_at = 0;
#ifdef VG_TEST_HOOKS
	job->test_delay_ms = test_worker_delay_ms;
	job->test_error = test_worker_error;
#endif
	pg_atomic_init_u32(&job->next_item, 0);
	for (int i = 0; i < n; i++)
	{
		job->items[i].partition = rounds[i].partition;
		job->items[i].ef = rounds[i].ef;
		job->items[i].worker = -1;
		job->items[i].worker_pid = 0;
		pg_atomic_init_u32(&job->items[i].state, ITEM_OPEN);
	}
	memcpy(JobData(jobno), query, query_bytes);
}

/*
 * Gives job jobno to up to want idle workers of this database and wakes
 * them; returns how many.  Asks for one more worker when the database has
 * fewer than want.
 */
static int
AssignWorkers(int jobno, int want)
{
	int			assigned[VG_MAX_PARTITIONS];
	int			n = 0;
	int			ours = 0;
	int			start = -1;
	int			retiring = -1;
	TimestampTz now = GetCurrentTimestamp();

	SpinLockAcquire(&pool->mutex);
	for (int i = 0; i < pool_slots; i++)
	{
		PoolWorker *w = &pool->workers[i];

		if (w->dboid != MyDatabaseId)
			continue;
		ours++;
		if (w->ready && w->job < 0 && n < want)
		{
			w->job = jobno;
			assigned[n++] = w->procno;
		}
	}
	pool_jobs[jobno].assigned = n;
	pool_jobs[jobno].posted_at = now;
	if (ours < want &&
		TimestampDifferenceExceeds(pool->start_failed_at, now, VG_POOL_RETRY_MS))
		start = ReserveSlot(now, &retiring);
	SpinLockRelease(&pool->mutex);
	for (int i = 0; i < n; i++)
		SetLatch(LatchOf(assigned[i]));
	if (retiring >= 0)
		SetLatch(LatchOf(retiring));
	if (start >= 0)
		StartWorker(start);
	return n;
}

/* The backend is done with the job; the last of it to leave frees the slot. */
static void
CloseJob(int jobno)
{
	PoolJob    *job = &pool_jobs[jobno];

	SpinLockAcquire(&pool->mutex);
	job->closed = true;
	if (job->assigned == 0)
		job->in_use = false;
	SpinLockRelease(&pool->mutex);
}

/*
 * VgSearchRounds' error cleanup: on ERROR, and on FATAL too
 * (pg_terminate_backend, a lost client), which exits without unwinding to
 * a PG_TRY block -- a job slot left open would never be freed.
 */
static void
CloseJobAtError(int code, Datum arg)
{
	CloseJob(DatumGetInt32(arg));
}

/*
 * Searches round i in the backend if the caller needs it; a round the
 * caller only offered to idle workers (i >= required) is dropped instead,
 * its ef set to 0, so that the backend never does speculative work.
 */
static void
SearchHere(VgStore store, const void *query, VgRound *rounds, int i, int required)
{
	if (i < required)
		VgSearchRound(store, query, &rounds[i]);
	else
		rounds[i].ef = 0;
}

/* Claims items until none is left, searching or dropping each (SearchHere). */
static void
SearchOwnShare(PoolJob *job, VgStore store, const void *query, VgRound *rounds,
			   int required)
{
	uint32		i;

	while ((i = pg_atomic_fetch_add_u32(&job->next_item, 1)) < (uint32) job->nitems)
	{
		SearchHere(store, query, rounds, (int) i, required);
		pg_atomic_write_u32(&job->items[i].state, ITEM_LOCAL);
	}
}

/* Is the worker that claimed item still there? */
static bool
ClaimerAlive(const PoolItem *item)
{
	pid_t		pid = item->worker_pid;

	if (item->worker < 0 || pid == 0)
		return true;			/* claimed a moment ago: not yet known */
	return pool->workers[item->worker].pid == pid && kill(pid, 0) == 0;
}

/*
 * Item i as it stands: copies a worker's results, searches an item given
 * back, raises a worker's error.  True when the item is settled.
 */
static bool
SettleItem(PoolJob *job, int jobno, int i, VgStore store, const void *query,
		   VgRound *rounds, int required, bool check_alive)
{
	PoolItem   *item = &job->items[i];
	uint32		state = pg_atomic_read_u32(&item->state);

	switch (state)
	{
		case ITEM_LOCAL:
			return true;
		case ITEM_DONE:
			pg_read_barrier();
			memcpy(rounds[i].results, JobData(jobno) + item->offset,
				   sizeof(VgRoundResult) * item->n_results);
			rounds[i].n_results = item->n_results;
			rounds[i].final = item->final;
			pg_atomic_write_u32(&item->state, ITEM_LOCAL);
			vg_pool_tally.rounds_by_workers++;
			return true;
		case ITEM_FAILED:
			{
				int			code;
				char		message[sizeof(job->message)];

				SpinLockAcquire(&pool->mutex);
				code = job->sqlerrcode;
				strlcpy(message, job->message, sizeof(message));
				SpinLockRelease(&pool->mutex);
				ereport(ERROR,
						(errcode(code ? code : ERRCODE_INTERNAL_ERROR),
						 errmsg("%s", message),
						 errcontext("vecgraph search worker searching partition %d",
									item->partition)));
			}
			break;
		case ITEM_CLAIMED:
			if (check_alive && !ClaimerAlive(item) &&
				pg_atomic_compare_exchange_u32(&item->state, &state, ITEM_GIVEN_BACK))
				return SettleItem(job, jobno, i, store, query, rounds, required, false);
			return false;
		case ITEM_GIVEN_BACK:
			SearchHere(store, query, rounds, i, required);
			pg_atomic_write_u32(&item->state, ITEM_LOCAL);
			return true;
	}
	return false;				/* ITEM_OPEN: its claimer is about to say so */
}

/*
 * Waits until every item is settled: polling for a millisecond first, as
 * the workers' items are about as long as the backend's own were and a
 * sleeping backend wakes a tenth of a millisecond late; then on the latch.
 */
static void
AwaitItems(PoolJob *job, int jobno, VgStore store, const void *query, VgRound *rounds,
		   int required)
{
	TimestampTz poll_until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), 1);
	bool		check_alive = false;
	int			polls = 0;

	for (;;)
	{
		bool		pending = false;
		int			rc;

		for (int i = 0; i < job->nitems; i++)
			if (!SettleItem(job, jobno, i, store, query, rounds, required, check_alive))
				pending = true;
		if (!pending)
			return;
		/* workers that could not open the index leave their items unclaimed */
		if (((volatile PoolJob *) job)->assigned == 0)
			SearchOwnShare(job, store, query, rounds, required);
		if (++polls % 64 != 0 || GetCurrentTimestamp() < poll_until)
		{
			pg_spin_delay();
			continue;
		}
		rc = WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
					   VG_POOL_CHECK_MS, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		check_alive = (rc & WL_TIMEOUT) != 0;
	}
}

static void
SearchAllHere(VgStore store, const void *query, VgRound *rounds, int nrounds, int required)
{
	for (int i = 0; i < nrounds; i++)
		SearchHere(store, query, rounds, i, required);
}

/*
 * Searches rounds, sharing them with idle search workers of this database
 * when share is true and there are any, in this process otherwise.  Each
 * round's results go to its results array, as VgSearchRound would leave
 * them.  The first required rounds are always searched; the others are
 * speculative, searched only by workers that would otherwise be idle, and
 * a round left unsearched comes back with ef 0.
 */
void
VgSearchRounds(Relation index, VgStore store, const void *query, Size query_bytes,
			   VgRound *rounds, int nrounds, int required, bool share)
{
	volatile int jobno;		/* read after the longjmp of an error */
	int			workers = 0;
	PoolJob    *job;

	Assert(required >= 1 && required <= nrounds);
	if (!share || nrounds < MinRounds() || !Usable(index) || Pool() == NULL ||
		(jobno = TakeJobSlot()) < 0)
	{
		SearchAllHere(store, query, rounds, nrounds, required);
		return;
	}
	job = &pool_jobs[jobno];
	PG_ENSURE_ERROR_CLEANUP(CloseJobAtError, Int32GetDatum(jobno));
	{
		if (Fits(job, query_bytes, rounds, nrounds))
		{
			WriteJob(job, jobno, index, query, query_bytes, rounds, nrounds);
			workers = AssignWorkers(jobno, Min(Max(nrounds - 1, 1), max_parallel_workers_per_gather));
		}
		if (workers == 0)
			SearchAllHere(store, query, rounds, nrounds, required);
		else
		{
			if (!test_leave_to_workers)
				SearchOwnShare(job, store, query, rounds, required);
			AwaitItems(job, jobno, store, query, rounds, required);
			if (job->first_claim_at != 0)
			{
				vg_pool_tally.dispatch_us += job->first_claim_at - job->posted_at;
				vg_pool_tally.claimed++;
			}
			vg_pool_tally.dispatches++;
			for (int i = 0; i < nrounds; i++)
				vg_pool_tally.rounds += rounds[i].ef > 0;
			vg_pool_tally.max_workers = Max(vg_pool_tally.max_workers, workers);
		}
	}
	PG_END_ENSURE_ERROR_CLEANUP(CloseJobAtError, Int32GetDatum(jobno));
	CloseJob(jobno);
}

/* ---- the worker ---- */

/* Leaves the job the worker was given, freeing it if the backend has gone. */
static void
LeaveJob(PoolWorker *me)
{
	PoolJob    *job;

	if (me->job < 0)
		return;
	job = &pool_jobs[me->job];
	if (--job->assigned == 0 && job->closed)
		job->in_use = false;
	me->job = -1;
}

/* Exit callback: gives back the item at hand and frees the slot. */
static void
LeavePool(int code, Datum arg)
{
	PoolWorker *me = &pool->workers[my_slot];
	int			waiting = -1;

	SpinLockAcquire(&pool->mutex);
	if (me->job >= 0 && my_item >= 0)
	{
		PoolJob    *job = &pool_jobs[me->job];

		pg_atomic_write_u32(&job->items[my_item].state, ITEM_GIVEN_BACK);
		waiting = job->backend_procno;
	}
	LeaveJob(me);
	if (me->pid == MyProcPid)
	{
		me->dboid = InvalidOid;
		me->pid = 0;
		me->ready = false;
	}
	SpinLockRelease(&pool->mutex);
	if (waiting >= 0)
		SetLatch(LatchOf(waiting));
}

/*
 * Opens the index the job scans, if this worker may search it now: the
 * same relfilenode as the backend's, a lock had without waiting.
 */
static Relation
OpenJobIndex(PoolJob *job)
{
	Relation	rel;

	if (!ConditionalLockRelationOid(job->index, AccessShareLock))
		return NULL;
	rel = try_relation_open(job->index, NoLock);
	if (rel == NULL)
		return NULL;
	if (rel->rd_rel->relkind != RELKIND_INDEX || rel->rd_indam == NULL ||
		rel->rd_indam->amgettuple != vggettuple ||
		!RelFileNodeEquals(rel->rd_node, job->node))
	{
		relation_close(rel, NoLock);
		return NULL;
	}
	return rel;
}

/* Claims and searches the job's items until none is left or it closes. */
static void
SearchItems(PoolJob *job, int jobno, MemoryContext cxt)
{
	Relation	index = OpenJobIndex(job);
	VgStoreData store;
	const void *query = JobData(jobno);
	uint32		i;

	if (index == NULL)
		return;
	VgStoreInitScan(&store, index);
	while (!job->closed &&
		   (i = pg_atomic_fetch_add_u32(&job->next_item, 1)) < (uint32) job->nitems)
	{
		PoolItem   *item = &job->items[i];
		VgRound		r;

		my_item = i;
		if (job->first_claim_at == 0)
			job->first_claim_at = GetCurrentTimestamp();
		item->worker = my_slot;
		item->worker_pid = MyProcPid;
		pg_atomic_write_u32(&item->state, ITEM_CLAIMED);
#ifdef VG_TEST_HOOKS
		for (int ms = 0; ms < job->test_delay_ms && !job->closed; ms++)
		{
			CHECK_FOR_INTERRUPTS();
			pgstat_report_wait_start(WAIT_EVENT_PG_SLEEP);
			pg_usleep(1000);
			pgstat_report_wait_end();
		}
		if (job->test_error)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("vecgraph test: search worker fails in partition %d", item->partition)));
#endif
		r.partition = item->partition;
		r.ef = item->ef;
		r.results = (VgRoundResult *) (JobData(jobno) + item->offset);
		VgSearchRound(&store, query, &r);
		item->n_results = r.n_results;
		item->final = r.final;
		pg_write_barrier();
		pg_atomic_write_u32(&item->state, ITEM_DONE);
		my_item = -1;
		SetLatch(LatchOf(job->backend_procno));
		MemoryContextReset(cxt);
	}
	VgStoreRelease(&store);
	relation_close(index, NoLock);
}

/*
 * After an error: a cancel gives the item back to the backend; any other
 * error is the query's, recorded for the backend to raise.
 */
static void
RecordFailure(PoolJob *job, MemoryContext cxt)
{
	ErrorData  *e;

	MemoryContextSwitchTo(cxt);
	e = CopyErrorData();
	if (my_item >= 0)
	{
		ItemState	state = e->sqlerrcode == ERRCODE_QUERY_CANCELED ?
			ITEM_GIVEN_BACK : ITEM_FAILED;

		SpinLockAcquire(&pool->mutex);
		if (state == ITEM_FAILED && job->sqlerrcode == 0)
		{
			job->sqlerrcode = e->sqlerrcode;
			strlcpy(job->message, e->message ? e->message : "search failed",
					sizeof(job->message));
		}
		SpinLockRelease(&pool->mutex);
		pg_atomic_write_u32(&job->items[my_item].state, state);
		SetLatch(LatchOf(job->backend_procno));
		my_item = -1;
	}
	FreeErrorData(e);
}

/* Serves job jobno, in a transaction of its own, and leaves it. */
static void
ServeJob(int jobno, MemoryContext cxt)
{
	PoolJob    *job = &pool_jobs[jobno];

	if (!job->closed && job->dboid == MyDatabaseId)
	{
		StartTransactionCommand();
		PG_TRY();
		{
			MemoryContextSwitchTo(cxt);
			SearchItems(job, jobno, cxt);
			CommitTransactionCommand();
		}
		PG_CATCH();
		{
			HOLD_INTERRUPTS();
			RecordFailure(job, cxt);
			EmitErrorReport();
			AbortOutOfAnyTransaction();
			FlushErrorState();
			RESUME_INTERRUPTS();
		}
		PG_END_TRY();
		MemoryContextSwitchTo(TopMemoryContext);
		MemoryContextReset(cxt);
	}
	SpinLockAcquire(&pool->mutex);
	LeaveJob(&pool->workers[my_slot]);
	SpinLockRelease(&pool->mutex);
}

/*
 * Polls for the next job for vecgraph.search_worker_spin microseconds
 * after one, or until an interrupt is pending: a scan that follows closely
 * then finds the worker awake.
 */
static void
PollForJob(volatile PoolWorker *me, TimestampTz since)
{
	TimestampTz until = since + vg_search_worker_spin;
	int			polls = 0;

	while (me->job < 0 && !INTERRUPTS_PENDING_CONDITION())
	{
		pg_spin_delay();
		if (++polls % 64 == 0 && GetCurrentTimestamp() >= until)
			return;
	}
}

/* Takes the slot reserved for this worker; false if it is not ours. */
static bool
ClaimSlot(int slot, Oid dboid)
{
	PoolWorker *me = &pool->workers[slot];
	bool		ok;

	SpinLockAcquire(&pool->mutex);
	ok = me->dboid == dboid && me->pid == 0;
	if (ok)
		me->pid = MyProcPid;
	SpinLockRelease(&pool->mutex);
	return ok;
}

void
VgSearchWorkerMain(Datum arg)
{
	int			slot = DatumGetInt32(arg);
	Oid			dboid;
	PoolWorker *me;
	MemoryContext cxt;
	TimestampTz idle_since;

	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(Oid));
	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	if (Pool() == NULL || slot < 0 || slot >= pool_slots || !ClaimSlot(slot, dboid))
		proc_exit(0);
	my_slot = slot;
	me = &pool->workers[slot];
	before_shmem_exit(LeavePool, (Datum) 0);
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	pgstat_report_appname("vecgraph search worker");
	cxt = AllocSetContextCreate(TopMemoryContext, "vecgraph search worker",
								ALLOCSET_DEFAULT_SIZES);
	SpinLockAcquire(&pool->mutex);
	me->procno = MyProc->pgprocno;
	me->ready = true;
	SpinLockRelease(&pool->mutex);

	idle_since = GetCurrentTimestamp();
	for (;;)
	{
		int			jobno;

		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		SpinLockAcquire(&pool->mutex);
		jobno = me->job;
		SpinLockRelease(&pool->mutex);
		if (jobno >= 0)
		{
			ServeJob(jobno, cxt);
			idle_since = GetCurrentTimestamp();
			PollForJob(me, idle_since);
			continue;
		}
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		if (me->retire || VgDatabaseWanted() ||
			TimestampDifferenceExceeds(idle_since, GetCurrentTimestamp(), VG_POOL_IDLE_EXIT_MS))
			proc_exit(0);
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 500, PG_WAIT_EXTENSION);
	}
}
