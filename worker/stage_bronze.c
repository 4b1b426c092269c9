/*
 * stage_bronze.c
 *	  Bronze: the dropped CSV files, every line, into bronze.sensor_logs.
 *
 * One batch at a time, exactly once:
 *	1. If the newest recorded batch was committed (Bronze's txn action for
 *	   iot_lakehouse.bronze has its id), its files are moved away (again:
 *	   the moves are idempotent) and a new batch starts; if it was recorded
 *	   but not committed (a crash), the same batch is ingested again.
 *	2. A new batch: the complete files of the drop directory, oldest
 *	   first, recorded durably with their sizes and times before anything
 *	   is read.
 *	3. Each file is ingested in a subtransaction (lake_csv_ingest: typed
 *	   where a value parses, _rescued_data for the rest, _source_file,
 *	   _source_line, _ingested_at).  A file that cannot be read as the
 *	   sensor CSV at all (unreadable, not text, a header without the
 *	   reading's columns, broken gzip, a line beyond the limits) is rolled
 *	   back alone and marked rejected; any other error (disk full, a
 *	   conflicting commit) fails the whole batch, which is retried.
 *	4. The outcome (which files were rejected, why) is recorded, then the
 *	   batch is one Delta commit with txn (iot_lakehouse.bronze, id).
 *	5. The files move to _processed/ or _rejected/ (+ .error).
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/table.h"
#include "access/xact.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "../fdw/lake_fdw.h"
#include "iot_lakehouse.h"
#include "lake_ingest.h"
#include "pipeline.h"

/* files ingested in one batch (one Bronze commit) at most */
#define BRONZE_MAX_FILES 1000

/* what a sensor file's header must name */
static const char *const bronze_required_columns[] = {
	"sensor_id", "timestamp", "temperature", "humidity", NULL
};

static bool bronze_input_error(int sqlerrcode);
static void bronze_ingest_file(const PipelineTables *t, const char *drop, DropFile *f,
							   const LakeCsvOptions *base, PipelineRunResult *result);

/*
 * Errors that say the file itself cannot be read as the sensor CSV (it is
 * rejected), as opposed to errors of the system (retried).
 */
static bool
bronze_input_error(int sqlerrcode)
{
	if (ERRCODE_TO_CATEGORY(sqlerrcode) == ERRCODE_DATA_EXCEPTION)
		return true;			/* class 22: bad format, encoding, values, gzip */
	return sqlerrcode == ERRCODE_UNDEFINED_COLUMN ||
		sqlerrcode == ERRCODE_DUPLICATE_COLUMN ||
		sqlerrcode == ERRCODE_AMBIGUOUS_COLUMN ||
		sqlerrcode == ERRCODE_PROGRAM_LIMIT_EXCEEDED ||
		sqlerrcode == ERRCODE_DATA_CORRUPTED;
}

static void
bronze_ingest_file(const PipelineTables *t, const char *drop, DropFile *f,
				   const LakeCsvOptions *base, PipelineRunResult *result)
{
	char	   *path = psprintf("%s/%s", drop, f->name);
	struct stat st;
	LakeCsvOptions opts = *base;
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	volatile int64 rows = 0;

	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode) || (int64) st.st_size != f->size ||
		(int64) st.st_mtim.tv_sec * 1000000 + st.st_mtim.tv_nsec / 1000 != f->mtime_us)
	{
		/* gone, or replaced since it was recorded: not this batch's file any more */
		ereport(LOG,
				(errmsg("dropped file \"%s\" changed or disappeared after its batch was recorded; it is left for a later batch",
						path)));
		return;
	}
	if (access(path, R_OK) != 0)
	{
		f->rejected = psprintf("could not open file \"%s\" for reading: %s", f->name, strerror(errno));
		return;
	}

	opts.source_name = f->name;
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		rows = lake_csv_ingest(t->bronze, path, &opts);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (!bronze_input_error(edata->sqlerrcode))
			ReThrowError(edata);
		f->rejected = edata->detail != NULL ?
			psprintf("%s (%s)", edata->message, edata->detail) : pstrdup(edata->message);
		FreeErrorData(edata);
		result->files_rejected++;
		return;
	}
	PG_END_TRY();
	result->files++;
	result->rows_in += rows;
	result->rows_out += rows;
}

void
stage_bronze_run(const PipelineTables *t, PipelineRunResult *result)
{
	char	   *drop = pipeline_drop_dir();
	char	   *state = psprintf("%s/_stream", t->bronze_dir);
	int64		committed = pipeline_txn_version(t->bronze_dir, PIPELINE_APP_BRONZE, NULL);
	DropBatch	batch;
	bool		replay;
	LakeCsvOptions opts;
	Relation	rel;
	LakeWriteTable *wt;
	char	   *params;
	int			i;

	result->source_version = committed;
	replay = drop_batch_latest(state, &batch);
	if (replay && batch.id <= committed)
	{
		/* committed: its files may still wait to be moved (a crash after the commit) */
		if (batch.id == committed)
			drop_batch_finish(drop, &batch);
		replay = false;
	}
	if (!replay)
	{
		int64		next = Max(committed, batch.id) + 1;
		int			n;
		DropFile   *files = drop_dir_discover(drop, BRONZE_MAX_FILES, &n);

		if (n == 0)
			return;
		memset(&batch, 0, sizeof(batch));
		batch.id = next;
		batch.files = files;
		batch.num_files = n;
		drop_batch_record(state, &batch);
	}
	else
	{
		/* ingested again from the start: earlier rejections are decided anew */
		for (i = 0; i < batch.num_files; i++)
			batch.files[i].rejected = NULL;
	}

	/* the table's pending write first: its errors are the stage's, not a file's */
	rel = table_open(t->bronze, RowExclusiveLock);
	wt = lake_write_table(rel);
	table_close(rel, NoLock);

	lake_csv_options_init(&opts);
	opts.source_timezone = lakehouse_source_timezone;
	opts.ingested_at = GetCurrentTimestamp();
	opts.required_columns = bronze_required_columns;
	for (i = 0; i < batch.num_files; i++)
	{
		CHECK_FOR_INTERRUPTS();
		bronze_ingest_file(t, drop, &batch.files[i], &opts, result);
	}

	drop_batch_record_outcome(state, &batch);
	params = psprintf("{\"outputMode\":\"Append\",\"queryId\":\"%s\",\"epochId\":\"%lld\"}",
					  PIPELINE_APP_BRONZE, (long long) batch.id);
	lake_write_set_stream(wt, PIPELINE_APP_BRONZE, batch.id, "STREAMING UPDATE", params);
	result->version = lake_write_commit_now(wt);
	pipeline_txn_committed(t->bronze_dir, PIPELINE_APP_BRONZE, batch.id, result->version);
	result->committed = true;
	result->source_version = batch.id;

	drop_batch_finish(drop, &batch);
}
