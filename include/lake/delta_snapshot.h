/*
 * delta_snapshot.h
 *	  Reading a Delta Lake table's transaction log (PROTOCOL.md in
 *	  delta-io/delta): the state of the table at a version (protocol,
 *	  metadata and schema, active data files with partition values and
 *	  statistics), timestamp -> version resolution, and history.
 *
 * A table is a directory holding _delta_log/.  The log is untrusted input:
 * malformed JSON, a missing commit in the middle of the range replayed, a
 * checkpoint that does not match _last_checkpoint, or a version that cannot
 * be reconstructed are LAKE_ERROR_CORRUPT (or LAKE_ERROR_INVALID for a
 * version out of range) with a message naming the file (and line) and what
 * is wrong, and for versions which versions can be read.  Reader features
 * we do not implement (deletionVectors in use, v2Checkpoint, ...) are
 * LAKE_ERROR_UNSUPPORTED naming the feature: never wrong rows.
 *
 * Everything a snapshot holds is allocated from the allocator passed to
 * delta_snapshot_load and lives until it is freed (or the context reset).
 */
#ifndef LAKE_DELTA_SNAPSHOT_H
#define LAKE_DELTA_SNAPSHOT_H

#include "lake/lake_common.h"

/* Delta primitive and complex types (schemaString) */
typedef enum DeltaTypeKind
{
	DELTA_TYPE_STRING,
	DELTA_TYPE_LONG,
	DELTA_TYPE_INTEGER,
	DELTA_TYPE_SHORT,
	DELTA_TYPE_BYTE,
	DELTA_TYPE_FLOAT,
	DELTA_TYPE_DOUBLE,
	DELTA_TYPE_DECIMAL,
	DELTA_TYPE_BOOLEAN,
	DELTA_TYPE_BINARY,
	DELTA_TYPE_DATE,
	DELTA_TYPE_TIMESTAMP,		/* microseconds, UTC-adjusted */
	DELTA_TYPE_TIMESTAMP_NTZ,	/* microseconds, local */
	DELTA_TYPE_STRUCT,
	DELTA_TYPE_ARRAY,
	DELTA_TYPE_MAP
} DeltaTypeKind;

/* A top-level column of the table's schema. */
typedef struct DeltaColumn
{
	char	   *name;			/* logical name, as in the schema */
	char	   *physical_name;	/* name in the Parquet files (column mapping), else = name */
	int32_t		field_id;		/* delta.columnMapping.id, or -1 */
	DeltaTypeKind kind;
	int32_t		precision;		/* DECIMAL */
	int32_t		scale;			/* DECIMAL */
	char	   *type_json;		/* the type as JSON text (complex types: the whole type) */
	bool		nullable;
	int			partition_index;	/* index in partition_columns, or -1 */
} DeltaColumn;

/*
 * Column statistics of one data file, for one top-level column (from the
 * add's "stats" JSON, or the checkpoint's stats / stats_parsed).  min/max
 * are the JSON scalar as text (numbers as written, strings unescaped,
 * timestamps as the ISO-8601 text, which Spark truncates to milliseconds:
 * a reader must widen max by 1 ms for timestamps).
 */
typedef struct DeltaColumnStats
{
	bool		has_min;
	bool		has_max;
	char	   *min;
	char	   *max;
	bool		has_null_count;
	int64_t		null_count;
} DeltaColumnStats;

typedef struct DeltaAddFile
{
	char	   *path;			/* as in the log (relative: percent-encoded; may be an absolute URI) */
	char	   *local_path;		/* decoded, relative to the table dir, or absolute for file:// URIs */
	char	  **partition_values;	/* per partition column; NULL element = null partition value */
	int64_t		size;
	int64_t		modification_time;
	int64_t		num_records;	/* -1 when the file has no stats */
	DeltaColumnStats *stats;	/* per DeltaColumn (num_columns of them), or NULL without stats */
	bool		tight_bounds;	/* stats.tightBounds (false only when DVs loosen them) */
	char	   *stats_json;		/* the add's statistics text as in the log (unescaped), or NULL;
								 * only with DELTA_LOAD_RAW_STATS */
} DeltaAddFile;

typedef struct DeltaKeyValue
{
	char	   *key;
	char	   *value;
} DeltaKeyValue;

typedef struct DeltaProtocol
{
	int32_t		min_reader_version;
	int32_t		min_writer_version;
	char	  **reader_features;
	int			num_reader_features;
	char	  **writer_features;
	int			num_writer_features;
} DeltaProtocol;

typedef struct DeltaMetadata
{
	char	   *id;
	char	   *name;			/* may be NULL */
	char	   *description;	/* may be NULL */
	char	   *schema_string;
	DeltaColumn *columns;
	int			num_columns;
	char	  **partition_columns;	/* names, in the log's order */
	int			num_partition_columns;
	int		   *partition_column_index; /* index into columns per partition column */
	DeltaKeyValue *configuration;
	int			num_configuration;
	int64_t		created_time;	/* -1 when absent */
	int			column_mapping_mode;	/* 0 none, 1 name, 2 id */
} DeltaMetadata;

/* An application's last committed transaction version (the txn action). */
typedef struct DeltaTxn
{
	char	   *app_id;
	int64_t		version;
	int64_t		last_updated;	/* -1 when absent */
} DeltaTxn;

typedef struct DeltaSnapshot
{
	char	   *table_dir;
	int64_t		version;
	int64_t		timestamp_ms;	/* the commit timestamp of this version (see delta_commit_timestamps) */
	DeltaProtocol protocol;
	DeltaMetadata metadata;
	DeltaAddFile *files;		/* active files, sorted by path */
	int			num_files;
	int64_t		num_records;	/* sum over files, or -1 if any file lacks numRecords */
	DeltaTxn   *txns;
	int			num_txns;
	int64_t		earliest_version;	/* the oldest version this log can reconstruct */
	bool		deletion_vectors_in_use;	/* only from delta_snapshot_load_metadata */
} DeltaSnapshot;

/*
 * Load the snapshot at version (-1: the latest).  Uses _last_checkpoint
 * when valid, else lists the log for the newest checkpoint at or below the
 * version (classic single- and multi-part checkpoints), then replays the
 * JSON commits after it.  A version above the latest, or below the earliest
 * reconstructable one, is LAKE_ERROR_INVALID whose message says which
 * versions can be read.
 */
extern LakeStatus delta_snapshot_load(const LakeAllocator *a, const char *table_dir, int64_t version,
									  DeltaSnapshot **out, LakeError *err);
/*
 * The same, for schema discovery (IMPORT FOREIGN SCHEMA): a version whose
 * files have deletion vectors in use loads, with deletion_vectors_in_use
 * set; its files must not be read as rows (delta_snapshot_load refuses it).
 */
extern LakeStatus delta_snapshot_load_metadata(const LakeAllocator *a, const char *table_dir,
											   int64_t version, DeltaSnapshot **out, LakeError *err);
extern void delta_snapshot_free(const LakeAllocator *a, DeltaSnapshot *snapshot);

/*
 * Options of delta_snapshot_load_ex and delta_changes_load_ex (bits).
 * DELTA_LOAD_RAW_STATS keeps each file's statistics text as the log holds
 * it in DeltaAddFile.stats_json (RESTORE re-adds files with it);
 * DELTA_LOAD_SKIP_STATS leaves statistics unparsed (stats NULL,
 * num_records -1: for callers that only need paths, such as VACUUM);
 * DELTA_LOAD_ALL_ADDS (changes only) also gives the files added with
 * dataChange false (rewrites such as OPTIMIZE).
 */
#define DELTA_LOAD_RAW_STATS	0x1
#define DELTA_LOAD_SKIP_STATS	0x2
#define DELTA_LOAD_ALL_ADDS		0x4

/* delta_snapshot_load with options; flags 0 is delta_snapshot_load. */
extern LakeStatus delta_snapshot_load_ex(const LakeAllocator *a, const char *table_dir, int64_t version,
										 unsigned flags, DeltaSnapshot **out, LakeError *err);

/*
 * The changes of an append-only stream: a snapshot of to_version (-1: the
 * latest; protocol, metadata, txns as delta_snapshot_load gives them)
 * whose files are instead every data file that versions from_version to
 * to_version added with dataChange true (rewrites such as OPTIMIZE are
 * not changes; removes are ignored), sorted by path.  from_version past
 * to_version gives no files.  A commit of the range that is no longer in
 * the log is LAKE_ERROR_INVALID.
 */
extern LakeStatus delta_changes_load(const LakeAllocator *a, const char *table_dir,
									 int64_t from_version, int64_t to_version,
									 DeltaSnapshot **out, LakeError *err);
/* The same with options (DELTA_LOAD_*); flags 0 is delta_changes_load. */
extern LakeStatus delta_changes_load_ex(const LakeAllocator *a, const char *table_dir,
										int64_t from_version, int64_t to_version, unsigned flags,
										DeltaSnapshot **out, LakeError *err);

/* True if dir holds a _delta_log directory. */
extern bool delta_is_table(const char *dir);

/*
 * The latest version whose commit timestamp is at or before timestamp_ms.
 * Commit timestamps: inCommitTimestamp when the table enables it, else
 * commitInfo.timestamp, else the commit file's modification time; made
 * monotonic (a timestamp not after its predecessor's counts as the
 * predecessor's + 1 ms), as Spark does.  An instant before the earliest
 * readable commit is LAKE_ERROR_INVALID saying the earliest instant.
 */
extern LakeStatus delta_version_at_timestamp(const LakeAllocator *a, const char *table_dir,
											 int64_t timestamp_ms, int64_t *version, LakeError *err);

/* One entry of the table's history (DESCRIBE HISTORY), newest first. */
typedef struct DeltaHistoryEntry
{
	int64_t		version;
	int64_t		timestamp_ms;
	char	   *operation;		/* may be NULL */
	char	   *operation_parameters;	/* JSON object text, may be NULL */
	char	   *operation_metrics;	/* JSON object text, may be NULL */
	char	   *engine_info;	/* may be NULL */
	char	   *commit_info;	/* the whole commitInfo JSON text, may be NULL */
} DeltaHistoryEntry;

extern LakeStatus delta_history(const LakeAllocator *a, const char *table_dir,
								DeltaHistoryEntry **entries, int *num_entries, LakeError *err);
/* Free what delta_history returned (for allocators whose free is not a no-op). */
extern void delta_history_free(const LakeAllocator *a, DeltaHistoryEntry *entries, int num_entries);

/*
 * The commit timestamps delta_version_at_timestamp uses: one per commit file
 * in _delta_log, ascending by version (two allocator-owned arrays of *num).
 */
extern LakeStatus delta_commit_timestamps(const LakeAllocator *a, const char *table_dir,
										  int64_t **versions, int64_t **timestamps_ms, int *num,
										  LakeError *err);

/* Names for messages */
extern const char *delta_type_name(DeltaTypeKind kind);

#endif							/* LAKE_DELTA_SNAPSHOT_H */
