/*
 * worker.c
 *	  The pipeline's background worker: started with the server when
 *	  iot_lakehouse is in shared_preload_libraries, connected to
 *	  lakehouse.database, it runs Bronze, Silver and Gold in turn, each in
 *	  a transaction of its own, then sleeps for lakehouse.poll_interval or
 *	  until a file is renamed into the drop directory (an inotify watch).
 *
 * Signals: SIGHUP reloads the settings; SIGTERM stops it between two
 * stages (a stage's Delta commit is never cut); the postmaster starts it
 * again unless the server is shutting down.  An error in a stage (a
 * bad file is not one: Bronze rejects it) is caught: logged, recorded for
 * lakehouse.pipeline_status, the transaction rolled back, and the stage
 * is retried after a back-off that doubles up to a minute.  The worker
 * exits only at shutdown, or with FATAL when it cannot connect (the
 * postmaster starts it again after bgw_restart_time).
 */
#include "postgres.h"

#include <limits.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "access/xact.h"
#include "commands/extension.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/guc.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "iot_lakehouse.h"
#include "lake_maintenance.h"
#include "pipeline.h"

/* the longest back-off after errors */
#define WORKER_MAX_BACKOFF_MS (60 * 1000)

PGDLLEXPORT void lakehouse_pipeline_worker_main(Datum main_arg);

typedef struct WorkerStep WorkerStep;
static bool worker_run_step(WorkerStep *step, MemoryContext loop_cxt);
static void worker_optimize(void);
static void worker_watch(int *fd, char **watched, ino_t *watched_ino);
static bool worker_drain(int fd, const char *dir);
static void worker_exit(int code, Datum arg);

/* at exit: the status no longer names this process */
static void
worker_exit(int code, Datum arg)
{
	pipeline_status_set_worker_pid(0);
}

void
pipeline_worker_register(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 5;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, "iot_lakehouse");
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "lakehouse_pipeline_worker_main");
	snprintf(worker.bgw_name, BGW_MAXLEN, "iot_lakehouse pipeline worker");
	snprintf(worker.bgw_type, BGW_MAXLEN, "iot_lakehouse pipeline");
	RegisterBackgroundWorker(&worker);
}

/* A step of the loop: a stage, or the scheduled OPTIMIZE. */
struct WorkerStep
{
	bool		is_stage;
	PipelineStage stage;		/* is_stage */
	PipelineRunResult result;	/* is_stage */
};

/*
 * The scheduled OPTIMIZE (lakehouse.optimize_interval): compact the small
 * files the stream left in Silver and Gold, in Z-order of (sensor_id,
 * timestamp) and (sensor_id, hour).
 */
static void
worker_optimize(void)
{
	PipelineTables t;
	LakeOptimizeResult rs,
				rg;

	pipeline_tables_lookup(&t);
	lake_optimize(t.silver, list_make2(makeString("sensor_id"), makeString("timestamp")), NULL, true, &rs);
	lake_optimize(t.gold, list_make2(makeString("sensor_id"), makeString("hour")), NULL, true, &rg);
	if (rs.version >= 0 || rg.version >= 0)
		ereport(LOG,
				(errmsg("iot_lakehouse pipeline optimized Silver (%lld files into %lld) and Gold (%lld files into %lld)",
						(long long) rs.files_removed, (long long) rs.files_added,
						(long long) rg.files_removed, (long long) rg.files_added)));
}

/*
 * One step in its own transaction, once CREATE EXTENSION has run in this
 * database.  False after an error (logged, and for a stage recorded in
 * the status; the transaction is rolled back).
 */
static bool
worker_run_step(WorkerStep *step, MemoryContext loop_cxt)
{
	volatile bool ok = true;

	memset(&step->result, 0, sizeof(step->result));
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	PushActiveSnapshot(GetTransactionSnapshot());
	pgstat_report_activity(STATE_RUNNING, step->is_stage ? pipeline_stage_name(step->stage) : "optimize");
	PG_TRY();
	{
		if (OidIsValid(get_extension_oid("iot_lakehouse", true)))
		{
			if (step->is_stage)
				pipeline_run_stage(step->stage, &step->result);
			else
				worker_optimize();
		}
		PopActiveSnapshot();
		CommitTransactionCommand();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(loop_cxt);
		EmitErrorReport();
		FlushErrorState();
		AbortCurrentTransaction();
		ok = false;
	}
	PG_END_TRY();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
	return ok;
}

/*
 * Watch the drop directory for files renamed in: (re)started when the
 * setting names another directory, or the directory was removed and made
 * again (another inode), or it appears at last.
 */
static void
worker_watch(int *fd, char **watched, ino_t *watched_ino)
{
	char	   *dir = pipeline_drop_dir();
	struct stat st;
	bool		exists = (stat(dir, &st) == 0 && S_ISDIR(st.st_mode));

	if (*fd >= 0 && *watched != NULL && strcmp(*watched, dir) == 0 && exists && st.st_ino == *watched_ino)
		return;
	if (*fd >= 0)
	{
		close(*fd);
		*fd = -1;
		drop_dir_forget_moved_in();
	}
	if (*watched != NULL)
	{
		pfree(*watched);
		*watched = NULL;
	}
	if (!exists)
		return;					/* not there yet: settle_ms alone until it is */
	*fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	if (*fd < 0)
		return;					/* no inotify: settle_ms alone tells complete files */
	if (inotify_add_watch(*fd, dir, IN_MOVED_TO | IN_CLOSE_WRITE | IN_DELETE_SELF | IN_MOVE_SELF) < 0)
	{
		close(*fd);
		*fd = -1;
		return;
	}
	*watched = MemoryContextStrdup(TopMemoryContext, dir);
	*watched_ino = st.st_ino;
}

/*
 * Read the pending events: files renamed in are complete at once.  False
 * when the watch is gone (the directory was removed: IN_IGNORED).
 */
static bool
worker_drain(int fd, const char *dir)
{
	bool		alive = true;

	char		buf[16 * (sizeof(struct inotify_event) + NAME_MAX + 1)]
				pg_attribute_aligned(__alignof__(struct inotify_event));

	for (;;)
	{
		ssize_t		n = read(fd, buf, sizeof(buf));
		char	   *p;

		if (n <= 0)
			return alive;
		for (p = buf; p < buf + n;)
		{
			const struct inotify_event *ev = (const struct inotify_event *) p;

			if ((ev->mask & IN_MOVED_TO) && ev->len > 0)
				drop_dir_note_moved_in(dir, ev->name);
			if (ev->mask & (IN_IGNORED | IN_DELETE_SELF | IN_MOVE_SELF))
				alive = false;
			p += sizeof(struct inotify_event) + ev->len;
		}
	}
}

void
lakehouse_pipeline_worker_main(Datum main_arg)
{
	MemoryContext loop_cxt;
	int			backoff_ms = 0;
	int			inotify_fd = -1;
	char	   *watched = NULL;
	ino_t		watched_ino = 0;
	TimestampTz last_refresh[PIPELINE_NUM_STAGES] = {0};
	TimestampTz last_optimize = GetCurrentTimestamp();

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, SignalHandlerForShutdownRequest);
	BackgroundWorkerUnblockSignals();
	BackgroundWorkerInitializeConnection(lakehouse_database, NULL, 0);
	/* the stages' SQL names every table by schema: nothing from other schemas is picked up */
	SetConfigOption("search_path", "pg_catalog, pg_temp", PGC_SUSET, PGC_S_OVERRIDE);
	SetConfigOption("application_name", "iot_lakehouse pipeline", PGC_USERSET, PGC_S_SESSION);
	pipeline_status_set_worker_pid(MyProcPid);
	before_shmem_exit(worker_exit, (Datum) 0);
	ereport(LOG,
			(errmsg("iot_lakehouse pipeline worker started in database \"%s\"", lakehouse_database)));

	loop_cxt = AllocSetContextCreate(TopMemoryContext, "iot_lakehouse pipeline loop",
									 ALLOCSET_DEFAULT_SIZES);
	while (!ShutdownRequestPending)
	{
		long		timeout = lakehouse_poll_interval;
		int			events = WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH;

		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}
		MemoryContextReset(loop_cxt);
		MemoryContextSwitchTo(loop_cxt);

		if (lakehouse_worker_enabled)
		{
			bool		failed = false;
			bool		more = false;
			int			s;

			worker_watch(&inotify_fd, &watched, &watched_ino);
			if (inotify_fd >= 0 && !worker_drain(inotify_fd, watched))
			{
				/* the directory went away (and may be back): watch it afresh */
				watched_ino = 0;
				worker_watch(&inotify_fd, &watched, &watched_ino);
				if (inotify_fd >= 0)
					(void) worker_drain(inotify_fd, watched);
			}
			for (s = 0; s < PIPELINE_NUM_STAGES && !ShutdownRequestPending; s++)
			{
				WorkerStep	step = {true, (PipelineStage) s};
				TimestampTz now = GetCurrentTimestamp();

				if (s != PIPELINE_BRONZE && lakehouse_refresh_interval > 0 &&
					!TimestampDifferenceExceeds(last_refresh[s], now, lakehouse_refresh_interval))
					continue;
				if (!worker_run_step(&step, loop_cxt))
				{
					failed = true;
					continue;
				}
				if (step.result.committed)
					last_refresh[s] = now;
				/* a full batch may have left files behind: look again at once */
				if (s == PIPELINE_BRONZE && step.result.committed)
					more = true;
			}
			if (lakehouse_optimize_interval > 0 && !ShutdownRequestPending &&
				TimestampDifferenceExceeds(last_optimize, GetCurrentTimestamp(),
										   lakehouse_optimize_interval * 1000))
			{
				WorkerStep	step = {false};

				last_optimize = GetCurrentTimestamp();
				if (!worker_run_step(&step, loop_cxt))
					failed = true;
			}
			if (failed)
			{
				backoff_ms = Min(Max(backoff_ms * 2, lakehouse_poll_interval), WORKER_MAX_BACKOFF_MS);
				timeout = backoff_ms;
			}
			else
			{
				backoff_ms = 0;
				if (more)
					timeout = 0;
			}
		}
		MemoryContextSwitchTo(TopMemoryContext);
		if (timeout > 0 && !ShutdownRequestPending)
		{
			if (inotify_fd >= 0 && lakehouse_worker_enabled)
				events |= WL_SOCKET_READABLE;
			(void) WaitLatchOrSocket(MyLatch, events, inotify_fd, timeout, PG_WAIT_EXTENSION);
			ResetLatch(MyLatch);
		}
		/* procsignal barriers (DROP DATABASE waits for them), not SIGTERM: that is ours */
		CHECK_FOR_INTERRUPTS();
	}
	if (inotify_fd >= 0)
		close(inotify_fd);

	/*
	 * Exit code 1: the postmaster starts us again after bgw_restart_time
	 * when someone ended us alone (pg_terminate_backend); at shutdown it
	 * does not.  With 0 the pipeline would stop until the next restart.
	 */
	proc_exit(1);
}
