/*
 * delta_maintenance.h
 *	  Keeping a Delta table's storage in check (PROTOCOL.md of delta-io/delta:
 *	  Add File and Remove File, Metadata Cleanup, Table Properties): the
 *	  retention settings (delta.deletedFileRetentionDuration,
 *	  delta.logRetentionDuration as Delta's "interval <n> <unit>" text),
 *	  VACUUM (the data files no version inside the retention window needs),
 *	  the cleanup of expired commits and checkpoints from _delta_log, and the
 *	  plan of a RESTORE (the removes and re-adds that make the latest
 *	  version's files exactly those of an older version).
 *
 * Nothing here decides policy: the caller passes the clock (now_ms) and
 * the retention, and commits or executes the plans.  Time is milliseconds
 * since the epoch; "older than the retention" means strictly before
 * now_ms - retain_ms.  The log is read through the snapshot reader, so a
 * corrupt log is the reader's LAKE_ERROR_CORRUPT, never a deletion.
 */
#ifndef LAKE_DELTA_MAINTENANCE_H
#define LAKE_DELTA_MAINTENANCE_H

#include "lake/delta_snapshot.h"
#include "lake/delta_writer.h"

/* ------------------------------------------------------------ retention */

#define DELTA_DELETED_FILE_RETENTION_KEY "delta.deletedFileRetentionDuration"
#define DELTA_LOG_RETENTION_KEY "delta.logRetentionDuration"
#define DELTA_EXPIRED_LOG_CLEANUP_KEY "delta.enableExpiredLogCleanup"

#define DELTA_MS_PER_DAY ((int64_t) 86400000)
#define DELTA_DEFAULT_DELETED_FILE_RETENTION_MS (7 * DELTA_MS_PER_DAY)	/* 1 week */
#define DELTA_DEFAULT_LOG_RETENTION_MS (30 * DELTA_MS_PER_DAY)	/* 30 days */

/*
 * Parse an interval as Delta writes its retention properties: an optional
 * "interval" followed by one or more "<n> <unit>" (n a non-negative
 * integer; unit nanosecond, microsecond, millisecond, second, minute,
 * hour, day or week, singular or plural, any case): "interval 1 week",
 * "interval 30 days", "7 days", "interval 1 day 12 hours".  Anything else
 * (months and years have no fixed length) is LAKE_ERROR_INVALID; key
 * names the setting in the message.
 */
extern LakeStatus delta_interval_parse_ms(const char *key, const char *text, int64_t *out,
										  LakeError *err);

/*
 * The interval setting key of the table's configuration (md may be NULL),
 * or default_ms when the table does not set it.  A malformed value is
 * LAKE_ERROR_INVALID naming the key and the value.
 */
extern LakeStatus delta_config_interval_ms(const DeltaMetadata *md, const char *key, int64_t default_ms,
										   int64_t *out, LakeError *err);

/* A boolean setting ("true" / "false", any case), or default_value when absent; else INVALID. */
extern LakeStatus delta_config_bool(const DeltaMetadata *md, const char *key, bool default_value,
									bool *out, LakeError *err);

/* --------------------------------------------------------------- VACUUM */

/* A data file VACUUM may delete. */
typedef struct DeltaVacuumFile
{
	char	   *path;			/* relative to the table directory, '/'-separated */
	int64_t		size;
	int64_t		mtime_ms;
} DeltaVacuumFile;

typedef struct DeltaVacuumPlan
{
	char	   *table_dir;		/* owned copy */
	int64_t		latest_version; /* the version the plan read */
	int64_t		retention_version;	/* V0: the version as of cutoff_ms (or the earliest) */
	int64_t		cutoff_ms;		/* now_ms - retain_ms */
	DeltaVacuumFile *files;		/* sorted by path */
	int			num_files;
	int64_t		total_bytes;	/* sum of files[].size */
	int64_t		num_files_scanned;	/* regular files seen under the table */
	int64_t		num_needed_kept;	/* of those, needed by a version in the window */
	int64_t		num_young_kept; /* of those, unneeded but not older than the cutoff */
} DeltaVacuumPlan;

/*
 * The data files VACUUM may delete: every regular file under table_dir
 * (recursively; names starting with '_' or '.' are skipped, files and
 * directories alike, and symbolic links are never followed) that no
 * version inside the retention window needs and whose modification time
 * is before now_ms - retain_ms (so a writer's file not yet committed is
 * never taken).  Needed: the active files of V0, the latest version
 * committed at or before now_ms - retain_ms (the earliest readable version
 * when the instant precedes it), and every file any commit after V0 added
 * (dataChange true or false).  Commits after V0 that are no longer in the
 * log are LAKE_ERROR_INVALID.  The plan is the caller's to free.
 */
extern LakeStatus delta_vacuum_plan(const LakeAllocator *a, const char *table_dir, int64_t now_ms,
									int64_t retain_ms, DeltaVacuumPlan **out, LakeError *err);
extern void delta_vacuum_plan_free(const LakeAllocator *a, DeltaVacuumPlan *plan);

/*
 * Delete the plan's files (one already gone is fine) and then the
 * directories under the table that this left empty (never the table
 * directory, never a '_' or '.' one).  Goes on after a failure: *num_deleted
 * files and *num_dirs_removed directories were removed, and the first
 * failure is returned (LAKE_ERROR_IO with errno).
 */
extern LakeStatus delta_vacuum_execute(const DeltaVacuumPlan *plan, int64_t *num_deleted,
									   int64_t *num_dirs_removed, LakeError *err);

/* ---------------------------------------------------------- log cleanup */

/*
 * Remove expired log files (PROTOCOL.md, Metadata Cleanup) while every
 * version committed after now_ms - retain_ms stays readable, and so does
 * the version as of that instant: E is that version (the latest committed
 * at or before it; none: the earliest after it, or the latest), C the
 * newest classic checkpoint at or below E; the commits
 * (NNN.json, NNN.crc) and classic checkpoints (single and multi-part) of
 * versions below C are removed, oldest first, as long as their files were
 * last modified before the instant (the first that was not ends the
 * cleanup, so what is left is always a contiguous log).  Without a
 * checkpoint at or below E nothing is removed; _last_checkpoint and the
 * checkpoint it names are never removed.  *num_removed: files removed.
 */
extern LakeStatus delta_log_cleanup(const LakeAllocator *a, const char *table_dir, int64_t now_ms,
									int64_t retain_ms, int *num_removed, LakeError *err);

/*
 * The cleanup that follows a checkpoint: unless md sets
 * delta.enableExpiredLogCleanup to false, delta_log_cleanup with md's
 * delta.logRetentionDuration (default 30 days).  delta_commit calls it
 * after every checkpoint it wrote.
 */
extern LakeStatus delta_log_cleanup_auto(const LakeAllocator *a, const char *table_dir,
										 const DeltaMetadata *md, int64_t now_ms, int *num_removed,
										 LakeError *err);

/* -------------------------------------------------------------- RESTORE */

/*
 * What a RESTORE commits, compared with the latest snapshot: removes
 * (files active now but not at the target; dataChange true, with size and
 * partition values) and adds (files active at the target but not now,
 * added again with dataChange true, their size, modification time,
 * partition values and statistics text as the log held them), so that the
 * committed version has exactly the target version's files.  Every file
 * re-added exists on disk (else LAKE_ERROR_INVALID naming it).  When the
 * target's metadata (schema, partitioning, configuration, name or
 * description) differs from the latest, metadata is the target's, to be
 * committed with it; the protocol is never downgraded (none is
 * committed).  Restoring the latest version itself is LAKE_ERROR_INVALID,
 * as in Spark.
 */
typedef struct DeltaRestorePlan
{
	int64_t		read_version;	/* the latest version the plan was computed against */
	int64_t		target_version;
	DeltaNewFile *adds;			/* strings borrowed from target / owned by the plan */
	int			num_adds;
	DeltaRemoveFile *removes;	/* strings borrowed from latest / owned by the plan */
	int			num_removes;
	const DeltaMetadata *metadata;	/* the target's metadata when it differs, else NULL (borrowed) */

	/* the metrics Spark records for RESTORE */
	int64_t		num_restored_files;
	int64_t		restored_files_size;
	int64_t		num_removed_files;
	int64_t		removed_files_size;
	int64_t		num_files_after_restore;
	int64_t		table_size_after_restore;
	char	   *operation_parameters_json;	/* {"version":"N"} */
	char	   *operation_metrics_json; /* the six metrics above, values as strings */

	DeltaSnapshot *latest;		/* owned */
	DeltaSnapshot *target;		/* owned (loaded with DELTA_LOAD_RAW_STATS) */
} DeltaRestorePlan;

extern LakeStatus delta_restore_plan(const LakeAllocator *a, const char *table_dir, int64_t target_version,
									 DeltaRestorePlan **out, LakeError *err);
extern void delta_restore_plan_free(const LakeAllocator *a, DeltaRestorePlan *plan);

/*
 * Fill a commit request from the plan (borrowing from it): read_version,
 * the target's metadata when it differs, removes, adds with dataChange,
 * operation "RESTORE" with its parameters and metrics.  The caller may set
 * engine_info, timestamp_ms, and operation_parameters_json (for a RESTORE
 * asked by timestamp: {"timestamp":"..."}) afterwards.
 */
extern void delta_restore_commit_request(const DeltaRestorePlan *plan, DeltaCommitRequest *req);

#endif							/* LAKE_DELTA_MAINTENANCE_H */
