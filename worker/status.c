/*
 * status.c
 *	  The pipeline's state for DBAs: per stage, counters and the last run
 *	  and error, kept in shared memory by whoever runs the stage (the
 *	  worker or lakehouse.refresh() in a session), and the function behind
 *	  the view lakehouse.pipeline_status, which adds what the Delta logs
 *	  and the drop directory say now (table versions, the source version
 *	  each stage has processed, what is pending).
 *
 * Shared memory needs shared_preload_libraries; without it the counters
 * read as NULL and the live columns are still right.  Counters restart
 * with the server; the progress itself lives in the Delta logs.
 */
#include "postgres.h"

#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "../fdw/lake_fdw.h"
#include "lake_pg.h"
#include "pipeline.h"

typedef struct PipelineStageStatus
{
	int64		rows_in;		/* since the server started */
	int64		rows_out;
	int64		rows_quarantined;
	int64		files;
	int64		files_rejected;
	int64		runs;
	int64		commits;
	int64		errors;
	TimestampTz last_run;		/* 0: never */
	TimestampTz last_commit;
	TimestampTz last_error_at;
	char		last_error[512];	/* '' after a successful run */
} PipelineStageStatus;

typedef struct PipelineShared
{
	slock_t		mutex;
	int			worker_pid;		/* 0: not running */
	PipelineStageStatus stages[PIPELINE_NUM_STAGES];
} PipelineShared;

static PipelineShared *pipeline_shared = NULL;
static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

PG_FUNCTION_INFO_V1(lakehouse_pipeline_status);

static void pipeline_status_request(void);
static void pipeline_status_startup(void);
static int64 pipeline_status_pending_files(const char *dir, int64 after_version);

static void
pipeline_status_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(PipelineShared)));
}

static void
pipeline_status_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();
	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	pipeline_shared = ShmemInitStruct("iot_lakehouse pipeline status", sizeof(PipelineShared), &found);
	if (!found)
	{
		memset(pipeline_shared, 0, sizeof(PipelineShared));
		SpinLockInit(&pipeline_shared->mutex);
	}
	LWLockRelease(AddinShmemInitLock);
}

void
pipeline_status_shmem_request(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = pipeline_status_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = pipeline_status_startup;
}

void
pipeline_status_record_run(PipelineStage stage, const PipelineRunResult *r)
{
	PipelineStageStatus *s;
	TimestampTz now = GetCurrentTimestamp();

	if (pipeline_shared == NULL)
		return;
	s = &pipeline_shared->stages[stage];
	SpinLockAcquire(&pipeline_shared->mutex);
	s->rows_in += r->rows_in;
	s->rows_out += r->rows_out;
	s->rows_quarantined += r->rows_quarantined;
	s->files += r->files;
	s->files_rejected += r->files_rejected;
	s->runs++;
	s->last_run = now;
	if (r->committed)
	{
		s->commits++;
		s->last_commit = now;
	}
	s->last_error[0] = '\0';
	SpinLockRelease(&pipeline_shared->mutex);
}

void
pipeline_status_record_error(PipelineStage stage, const char *message)
{
	PipelineStageStatus *s;
	TimestampTz now = GetCurrentTimestamp();

	if (pipeline_shared == NULL)
		return;
	s = &pipeline_shared->stages[stage];
	SpinLockAcquire(&pipeline_shared->mutex);
	s->runs++;
	s->errors++;
	s->last_run = now;
	s->last_error_at = now;
	strlcpy(s->last_error, message != NULL ? message : "(no message)", sizeof(s->last_error));
	SpinLockRelease(&pipeline_shared->mutex);
}

void
pipeline_status_set_worker_pid(int pid)
{
	if (pipeline_shared == NULL)
		return;
	SpinLockAcquire(&pipeline_shared->mutex);
	pipeline_shared->worker_pid = pid;
	SpinLockRelease(&pipeline_shared->mutex);
}

/* Data files the versions after after_version of the table in dir added. */
static int64
pipeline_status_pending_files(const char *dir, int64 after_version)
{
	MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse status",
											  ALLOCSET_SMALL_SIZES);
	LakeAllocator alloc;
	LakeError	err;
	DeltaSnapshot *snap;
	int64		n;

	lake_pg_allocator_init(&alloc, cxt);
	lake_pg_error_init(&err);
	if (delta_changes_load(&alloc, dir, after_version + 1, -1, &snap, &err) != LAKE_OK)
	{
		MemoryContextDelete(cxt);
		lake_delta_report(&err, dir);
	}
	n = snap->num_files;
	MemoryContextDelete(cxt);
	return n;
}

/*
 * lakehouse.pipeline_status() RETURNS TABLE(stage text, table_name text,
 * table_version bigint, source_version bigint, files_pending bigint,
 * rows_in bigint, rows_out bigint, rows_quarantined bigint, files bigint,
 * files_rejected bigint, runs bigint, commits bigint, errors bigint,
 * last_run timestamptz, last_commit timestamptz, last_error text,
 * last_error_at timestamptz, worker_pid int)
 */
Datum
lakehouse_pipeline_status(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	PipelineTables t;
	PipelineStageStatus copy[PIPELINE_NUM_STAGES];
	int			worker_pid = 0;
	int			s;

	pipeline_tables_lookup(&t);
	if (pipeline_shared != NULL)
	{
		SpinLockAcquire(&pipeline_shared->mutex);
		memcpy(copy, pipeline_shared->stages, sizeof(copy));
		worker_pid = pipeline_shared->worker_pid;
		SpinLockRelease(&pipeline_shared->mutex);
	}
	InitMaterializedSRF(fcinfo, 0);
	for (s = 0; s < PIPELINE_NUM_STAGES; s++)
	{
		Datum		values[18];
		bool		nulls[18];
		int64		table_version = -1;
		int64		source_version = -1;
		int64		pending = 0;
		const char *table_name = NULL;

		memset(nulls, 0, sizeof(nulls));
		switch ((PipelineStage) s)
		{
			case PIPELINE_BRONZE:
				table_name = "bronze.sensor_logs";
				source_version = pipeline_txn_version(t.bronze_dir, PIPELINE_APP_BRONZE, &table_version);
				pending = drop_dir_count_pending(pipeline_drop_dir());
				break;
			case PIPELINE_SILVER:
				{
					int64		q = pipeline_txn_version(t.quarantine_dir, PIPELINE_APP_QUARANTINE, NULL);

					table_name = "silver.sensor_logs";
					source_version = pipeline_txn_version(t.silver_dir, PIPELINE_APP_SILVER, &table_version);
					source_version = Min(source_version, q);
					pending = pipeline_status_pending_files(t.bronze_dir, source_version);
					break;
				}
			case PIPELINE_GOLD:
				table_name = "gold.sensor_hourly_avg";
				source_version = pipeline_txn_version(t.gold_dir, PIPELINE_APP_GOLD, &table_version);
				pending = pipeline_status_pending_files(t.silver_dir, source_version);
				break;
			default:
				break;
		}
		values[0] = CStringGetTextDatum(pipeline_stage_name((PipelineStage) s));
		values[1] = CStringGetTextDatum(table_name);
		values[2] = Int64GetDatum(table_version);
		values[3] = Int64GetDatum(source_version);
		nulls[3] = (source_version < 0);
		values[4] = Int64GetDatum(pending);
		if (pipeline_shared != NULL)
		{
			const PipelineStageStatus *st = &copy[s];

			values[5] = Int64GetDatum(st->rows_in);
			values[6] = Int64GetDatum(st->rows_out);
			values[7] = Int64GetDatum(st->rows_quarantined);
			values[8] = Int64GetDatum(st->files);
			values[9] = Int64GetDatum(st->files_rejected);
			values[10] = Int64GetDatum(st->runs);
			values[11] = Int64GetDatum(st->commits);
			values[12] = Int64GetDatum(st->errors);
			values[13] = TimestampTzGetDatum(st->last_run);
			nulls[13] = (st->last_run == 0);
			values[14] = TimestampTzGetDatum(st->last_commit);
			nulls[14] = (st->last_commit == 0);
			values[15] = CStringGetTextDatum(st->last_error);
			nulls[15] = (st->last_error[0] == '\0');
			values[16] = TimestampTzGetDatum(st->last_error_at);
			nulls[16] = (st->last_error_at == 0);
		}
		else
		{
			int			k;

			for (k = 5; k <= 16; k++)
				nulls[k] = true;
		}
		values[17] = Int32GetDatum(worker_pid);
		nulls[17] = (worker_pid == 0);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}
