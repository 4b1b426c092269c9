/*
 * delta_writer.h
 *	  Writing Delta Lake tables (PROTOCOL.md of delta-io/delta): data files
 *	  (Parquet, one open file per partition, Hive-style directories, with
 *	  per-file statistics), atomic commits with optimistic concurrency, and
 *	  checkpoints with _last_checkpoint.
 *
 * Commits: the JSON of version N is written to a temporary file, fsync'd,
 * and linked into place as _delta_log/<N>.json with link(2) (fails with
 * EEXIST if another writer took N: put-if-absent), then the directory is
 * fsync'd.  On EEXIST the writer reads the commits in between and applies
 * the protocol's conflict rules: blind appends never conflict with each
 * other; a concurrent commit that removed a file we remove, changed the
 * metadata or protocol, or recorded a txn for our app id conflicts
 * (LAKE_ERROR_CONFLICT naming the version); otherwise it retries at the
 * next version.  A crash at any point leaves the table at the previous or
 * the next version, never a partial one: data files not named by a commit
 * are invisible (VACUUM removes them later).
 */
#ifndef LAKE_DELTA_WRITER_H
#define LAKE_DELTA_WRITER_H

#include "lake/delta_snapshot.h"
#include "lake/parquet_value.h"
#include "lake/parquet_writer.h"

/* ------------------------------------------------------------ data files */

typedef struct DeltaFileWriter DeltaFileWriter;

typedef struct DeltaFileWriterOptions
{
	ParquetWriterOptions parquet;	/* codec, row group bounds, ... */
	uint64_t	target_file_bytes;	/* roll to a new file past this; 0 = 128 MiB */
	int			max_open_partitions;	/* 0 = 64; more at once is LAKE_ERROR_LIMIT */
} DeltaFileWriterOptions;

extern void delta_file_writer_options_init(DeltaFileWriterOptions *opts);

/*
 * Write rows for a table whose metadata is md (borrowed: columns, partition
 * columns, column mapping: files use physical names).  Data files are
 * written under table_dir (partitioned: <col>=<escaped value>/...) with
 * unique names (part-00000-<uuid>-c000.<codec>.parquet, as Spark names
 * them).  A null or empty partition value is the directory
 * <col>=__HIVE_DEFAULT_PARTITION__ and null in the log.  Only primitive
 * column types are writable (others: LAKE_ERROR_UNSUPPORTED at open).
 */
extern LakeStatus delta_file_writer_open(const LakeAllocator *a, const char *table_dir,
										 const DeltaMetadata *md, const DeltaFileWriterOptions *opts,
										 DeltaFileWriter **out, LakeError *err);

/*
 * One row: begin with the row's partition values (one per partition
 * column, NULL element = null; NULL array for unpartitioned tables), then a
 * value for every non-partition column (index into md->columns; value
 * NULL = SQL NULL) in any order, then end.  Values use the Parquet physical
 * representation of the column's Delta type: long INT64; integer, short,
 * byte, date INT32; float; double; boolean; string, binary BYTE_ARRAY;
 * decimal INT32 (p <= 9) / INT64 (p <= 18) / FIXED_LEN_BYTE_ARRAY
 * (big-endian two's complement, minimal length for p); timestamp and
 * timestamp_ntz INT64 microseconds.
 */
extern LakeStatus delta_file_writer_begin_row(DeltaFileWriter *w, const char *const *partition_values,
											  LakeError *err);
extern LakeStatus delta_file_writer_value(DeltaFileWriter *w, int column, const ParquetValue *value,
										  LakeError *err);
extern LakeStatus delta_file_writer_end_row(DeltaFileWriter *w, LakeError *err);

/*
 * Many complete rows of one partition at once (the fast path): row r of
 * column c (index into md->columns) is values[c][r], null when nulls[c] is
 * non-NULL and nulls[c][r] is true; values[c] is not read for partition
 * columns (may be NULL there).
 * partition_values as for begin_row.  Not inside a row.  The same checks
 * as delta_file_writer_value (not nullable, UTF-8 of strings); bytes are
 * copied.  Rolls to a new file past target_file_bytes after the batch.
 */
extern LakeStatus delta_file_writer_write_rows(DeltaFileWriter *w, const char *const *partition_values,
											   const ParquetValue *const *values, const bool *const *nulls,
											   size_t num_rows, LakeError *err);

/*
 * Close every file (fsync'd) and return the add actions for them: path
 * relative to the table (percent-encoded as the log wants), partition
 * values, size, modification time, dataChange true, and stats (numRecords,
 * minValues, maxValues, nullCount) as JSON text in *stats_json[i].
 * Arrays are allocated from the writer's allocator.
 */
typedef struct DeltaNewFile
{
	char	   *path;			/* as it goes into the log */
	char	  **partition_values;	/* per partition column, NULL = null */
	int64_t		size;
	int64_t		modification_time;
	int64_t		num_records;
	char	   *stats_json;		/* {"numRecords":..,"minValues":{..},"maxValues":{..},"nullCount":{..}} */
	char	   *partition_values_json;	/* the add's partitionValues object ({"col":"v",..}, keys
										 * physical names); NULL: built from partition_values and
										 * the table's metadata at commit */
} DeltaNewFile;

extern LakeStatus delta_file_writer_finish(DeltaFileWriter *w, DeltaNewFile **files, int *num_files,
										   LakeError *err);
/*
 * Remove every file this writer wrote (after an error or a rollback) and
 * free the writer (and the DeltaNewFile array finish returned).
 */
extern void delta_file_writer_abort(DeltaFileWriter *w);
/* Free the writer and what finish returned, keeping the files (after the commit). */
extern void delta_file_writer_free(DeltaFileWriter *w);

/* --------------------------------------------------------------- commits */

typedef struct DeltaRemoveFile
{
	char	   *path;			/* as in the log */
	bool		data_change;
	int64_t		size;			/* -1 unknown */
	char	  **partition_values;	/* may be NULL */
	char	   *partition_values_json;	/* or the partitionValues object as JSON text; may be NULL */
} DeltaRemoveFile;

typedef struct DeltaCommitRequest
{
	/*
	 * The version the transaction read (its snapshot), or -1 when it read
	 * nothing (a blind append, or the table's creation).  Conflicts are
	 * checked against every commit after it.
	 */
	int64_t		read_version;
	bool		blind_append;	/* only adds, read nothing: never conflicts with other appends */

	/* For creating a table (version 0) or changing it: a new metaData / protocol */
	const DeltaMetadata *metadata;	/* NULL: unchanged; id generated when NULL */
	const DeltaProtocol *protocol;	/* NULL: unchanged; default (1, 2) at creation */

	const DeltaNewFile *adds;
	int			num_adds;
	bool		adds_data_change;	/* false for OPTIMIZE rewrites */
	const DeltaRemoveFile *removes;
	int			num_removes;

	/* txn action: exactly-once for streams (app_id NULL: none) */
	const char *txn_app_id;
	int64_t		txn_version;

	/* commitInfo */
	const char *operation;		/* "WRITE", "CREATE TABLE", "STREAMING UPDATE", "OPTIMIZE", ... */
	const char *operation_parameters_json;	/* JSON object text, or NULL */
	const char *operation_metrics_json; /* JSON object text, or NULL (numFiles, numOutputRows, ...) computed when NULL */
	const char *engine_info;	/* "iot_lakehouse/<version>" */
	int64_t		timestamp_ms;	/* commit timestamp; 0 = now */
	int			max_retries;	/* 0 = 100 */

	/*
	 * The table's metadata as the transaction read it (borrowed; may be
	 * NULL): gives the partition column names of removes without
	 * partition_values_json and delta.checkpointInterval.  When NULL (and no
	 * metadata is given) the latest snapshot is loaded when needed.
	 */
	const DeltaMetadata *table_metadata;
} DeltaCommitRequest;

/*
 * Commit.  On success *version is the committed version.  Creating a table
 * (read_version -1 with metadata) takes version 0; if the table exists
 * meanwhile, that is LAKE_ERROR_CONFLICT unless the request is a blind
 * append whose metadata matches.  After a successful commit, if version is
 * a multiple of the table's delta.checkpointInterval (default 10), a
 * checkpoint is written; a checkpoint failure does not undo the commit: it
 * is reported in *checkpoint_err (status LAKE_OK when none or fine;
 * checkpoint_err NULL: no checkpoint is attempted).
 *
 * Conflict rules (a concurrent commit C after read_version, or one that
 * took the version we tried): C with metaData or protocol always
 * conflicts; C with a txn of our txn_app_id conflicts; C removing a path we
 * remove conflicts.  A transaction that is not a blind append and changes
 * data (read_version >= 0) is taken to have read the whole table: C
 * removing any file with dataChange, or C adding files with dataChange
 * without isBlindAppend, conflicts too.  Blind appends (also with a txn)
 * conflict with none of the others, so they just retry at the next
 * version.  The JSON is written once to _delta_log/.<uuid>.json.tmp and
 * linked to each version tried; a crash leaves at most that temporary
 * file, which readers ignore.
 */
extern LakeStatus delta_commit(const LakeAllocator *a, const char *table_dir,
							   const DeltaCommitRequest *req, int64_t *version,
							   LakeError *checkpoint_err, LakeError *err);

/*
 * Write a classic single-part checkpoint of version (its Parquet file
 * as Spark writes it: add, remove, metaData, protocol, txn columns, with
 * add.stats as JSON text) and then _last_checkpoint (atomically).
 */
extern LakeStatus delta_checkpoint_write(const LakeAllocator *a, const char *table_dir, int64_t version,
										 LakeError *err);

/* Percent-encode a partition value for a Hive-style directory name (as Spark does). */
extern char *delta_escape_partition_value(const LakeAllocator *a, const char *value, LakeError *err);

#endif							/* LAKE_DELTA_WRITER_H */
