/*
 * pipeline.h
 *	  What the files of the streaming pipeline (worker/) share: the
 *	  medallion tables, the stages, the drop directory and the status kept
 *	  in shared memory.  See worker/README.md for the design.
 */
#ifndef LAKEHOUSE_PIPELINE_H
#define LAKEHOUSE_PIPELINE_H

#include "datatype/timestamp.h"

/* The stages, in the order data flows through them. */
typedef enum PipelineStage
{
	PIPELINE_BRONZE,
	PIPELINE_SILVER,
	PIPELINE_GOLD,
	PIPELINE_NUM_STAGES
} PipelineStage;

/* txn appIds of the streams (the Delta txn action makes each commit exactly-once) */
#define PIPELINE_APP_BRONZE "iot_lakehouse.bronze"
#define PIPELINE_APP_SILVER "iot_lakehouse.silver"
#define PIPELINE_APP_QUARANTINE "iot_lakehouse.silver_quarantine"
#define PIPELINE_APP_GOLD "iot_lakehouse.gold"

/* The foreign tables of the medallion layers, resolved in the current database. */
typedef struct PipelineTables
{
	Oid			bronze;
	Oid			silver;
	Oid			quarantine;
	Oid			gold;
	char	   *bronze_dir;		/* their Delta table directories */
	char	   *silver_dir;
	char	   *quarantine_dir;
	char	   *gold_dir;
} PipelineTables;

/* What one run of a stage did. */
typedef struct PipelineRunResult
{
	bool		committed;		/* made a commit */
	int64		version;		/* the version it committed (the target's), or -1 */
	int64		source_version; /* what it processed up to (Bronze: the batch id) */
	int64		rows_in;		/* lines read / source rows read */
	int64		rows_out;		/* rows written to the target */
	int64		rows_quarantined;	/* Silver: rows sent to quarantine */
	int			files;			/* Bronze: files ingested; Silver/Gold: source files read */
	int			files_rejected; /* Bronze: files moved to _rejected */
} PipelineRunResult;

/* ---- pipeline.c ---- */

/* Look up the medallion tables (an error naming what is missing). */
extern void pipeline_tables_lookup(PipelineTables *t);
/* Run one stage now, in the current transaction (locks, status, errors raised). */
extern void pipeline_run_stage(PipelineStage stage, PipelineRunResult *result);
extern const char *pipeline_stage_name(PipelineStage stage);
/* The root and drop directory the settings name (resolved defaults). */
extern char *pipeline_root_dir(void);
extern char *pipeline_drop_dir(void);
/* The txn version of app_id in the latest snapshot of the Delta table in dir (-1: none). */
extern int64 pipeline_txn_version(const char *dir, const char *app_id, int64 *table_version);
/* We just committed version of dir with txn (app_id, txn_version): no need to read it back. */
extern void pipeline_txn_committed(const char *dir, const char *app_id, int64 txn_version, int64 version);

/* ---- stage_bronze.c, stage_silver.c, stage_gold.c ---- */

extern void stage_bronze_run(const PipelineTables *t, PipelineRunResult *result);
extern void stage_silver_run(const PipelineTables *t, PipelineRunResult *result);
extern void stage_gold_run(const PipelineTables *t, PipelineRunResult *result);

/* ---- drop_dir.c: discovery, batch records, moving files away ---- */

typedef struct DropFile
{
	char	   *name;			/* in the drop directory */
	int64		size;
	int64		mtime_us;		/* modification time, microseconds since the Unix epoch */
	char	   *rejected;		/* why it was rejected, or NULL (ingested) */
} DropFile;

typedef struct DropBatch
{
	int64		id;				/* the batch number (the Bronze txn version) */
	DropFile   *files;
	int			num_files;
} DropBatch;

/* The complete *.csv and *.csv.gz files of dir, oldest first (at most max). */
extern DropFile *drop_dir_discover(const char *dir, int max, int *num_files);
/* Count the files discovery would see, complete or not. */
extern int	drop_dir_count_pending(const char *dir);
/* The newest batch recorded under state_dir (false: none). */
extern bool drop_batch_latest(const char *state_dir, DropBatch *batch);
/* Record batch (its files) durably before it is ingested. */
extern void drop_batch_record(const char *state_dir, const DropBatch *batch);
/* Record its outcome (which files were rejected and why) before the commit. */
extern void drop_batch_record_outcome(const char *state_dir, const DropBatch *batch);
/*
 * After the batch's commit: move each of its files still in dir (same size
 * and mtime) to _processed/, or to _rejected/ with a .error file beside it.
 */
extern void drop_batch_finish(const char *dir, const DropBatch *batch);
/* A file just renamed into the drop directory dir (from the worker's inotify watch). */
extern void drop_dir_note_moved_in(const char *dir, const char *name);
extern void drop_dir_forget_moved_in(void);

/* ---- status.c: shared memory ---- */

extern void pipeline_status_shmem_request(void);
/* Record a finished run (ok) or an error (message) of stage. */
extern void pipeline_status_record_run(PipelineStage stage, const PipelineRunResult *r);
extern void pipeline_status_record_error(PipelineStage stage, const char *message);
/* The pid of the worker, 0 when none is running. */
extern void pipeline_status_set_worker_pid(int pid);

/* ---- worker.c ---- */

extern void pipeline_worker_register(void);

#endif							/* LAKEHOUSE_PIPELINE_H */
