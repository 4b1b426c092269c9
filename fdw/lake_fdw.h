/*
 * lake_fdw.h
 *	  Declarations shared by the files of the Delta and Parquet foreign data
 *	  wrapper: options and paths (fdw_options.c), the files behind a table
 *	  (fdw_files.c), type conversion (fdw_types.c), qual pushdown
 *	  (fdw_pushdown.c), Delta snapshots and time travel (fdw_delta.c),
 *	  count(*) from the log (fdw_count.c) and the scan itself (fdw_scan.c).
 *	  The FDW callbacks are in fdw_handler.c, IMPORT FOREIGN SCHEMA in
 *	  fdw_import.c, ANALYZE in fdw_analyze.c.
 */
#ifndef LAKE_FDW_H
#define LAKE_FDW_H

#include "access/attnum.h"
#include "access/tupdesc.h"
#include "commands/explain.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/plannodes.h"
#include "nodes/pg_list.h"
#include "utils/relcache.h"

#include "datatype/timestamp.h"
#include "lake/delta_snapshot.h"
#include "lake/delta_writer.h"
#include "lake/parquet_reader.h"
#include "lake/parquet_value.h"

/* ------------------------------------------------------ fdw_options.c */

/* The options of one foreign table (and its server), validated. */
typedef struct LakeFdwOptions
{
	char	   *format;			/* the format option, or NULL when not given */
	char	   *path;			/* the path option as written */
	char	   *root;			/* the server's root option, or NULL */
	char	   *version;		/* the version option (time travel), or NULL */
	char	   *timestamp;		/* the timestamp option (time travel), or NULL */
	char	   *server_name;	/* for messages */
	char	   *partition_by;	/* the partition_by option (tables created by a write), or NULL */

	/* filled by lake_fdw_resolve */
	char	   *location;		/* what path names: realpath'd under root when relative */
	char	   *root_real;		/* realpath of root when path is relative, else NULL */
	bool		is_delta;		/* format 'delta', or no format and a _delta_log there */
} LakeFdwOptions;

extern void lake_fdw_get_options(Oid foreigntableid, LakeFdwOptions *opts);

/*
 * Resolve opts->path: an absolute path is taken as it is; a relative one is
 * resolved under the server's root with realpath, and must stay inside it
 * (no "..", no symbolic link out).  Then decide the format.  Called at plan
 * time and again at scan start.
 */
extern void lake_fdw_resolve(LakeFdwOptions *opts);

/* realpath of rel under root, which it must not leave; what names it in messages. */
extern char *lake_fdw_resolve_under(const char *root, const char *rel, const char *server_name,
									char **root_real);

/* True if real (a realpath) is root_real or inside it. */
extern bool lake_fdw_path_within(const char *real, const char *root_real);

/* The server's root option, or NULL. */
extern char *lake_fdw_server_root(Oid serverid);

/* The name a column is looked up by in the files: column_name, else attname. */
extern char *lake_fdw_column_name(Oid foreigntableid, AttrNumber attnum, const char *attname);

/* True if relid is a foreign table of iot_lakehouse_fdw. */
extern bool lake_fdw_is_lake_table(Oid relid);

/* ---------------------------------------------------------- fdw_files.c */

/*
 * The Parquet files behind path, as palloc'd strings in name order: path
 * itself when it is a file, else every regular "*.parquet" file directly in
 * the directory (not recursive; names starting with "." or "_" are left
 * out, as Spark's and Delta's own files are).  With missing_ok, a path that
 * cannot be read yields NIL instead of an error.
 */
extern List *lake_files_list(const char *path, bool missing_ok);

/* What the footers of a set of files say, for planning. */
typedef struct LakeFilesEstimate
{
	int			num_files;		/* files listed */
	bool		complete;		/* every footer could be read */
	int64		num_rows;		/* over the footers read */
	int64		num_row_groups;
	int64		compressed_bytes;
} LakeFilesEstimate;

/* Reads every footer; never throws for a bad or missing file. */
extern void lake_files_estimate(List *files, LakeFilesEstimate *est);

/* The number of row groups of one file (reads its footer; errors are raised). */
extern int	lake_files_row_groups(const char *path);

/* The number of rows of one file, from its footer (errors are raised). */
extern int64 lake_files_num_rows(const char *path);

/* ---------------------------------------------------------- fdw_types.c */

/* How a Parquet leaf (or nested field) is read. */
typedef enum LakeSrcKind
{
	LAKE_SRC_NONE,				/* nothing we convert from */
	LAKE_SRC_BOOL,				/* BOOLEAN */
	LAKE_SRC_I32,				/* INT32, signed */
	LAKE_SRC_U32,				/* INT32 annotated unsigned */
	LAKE_SRC_I64,				/* INT64, signed */
	LAKE_SRC_U64,				/* INT64 annotated unsigned */
	LAKE_SRC_FLOAT,				/* FLOAT */
	LAKE_SRC_DOUBLE,			/* DOUBLE */
	LAKE_SRC_DEC32,				/* DECIMAL stored as INT32 */
	LAKE_SRC_DEC64,				/* DECIMAL stored as INT64 */
	LAKE_SRC_DECBYTES,			/* DECIMAL as big-endian FLBA / BYTE_ARRAY */
	LAKE_SRC_STRING,			/* BYTE_ARRAY: STRING, ENUM, JSON or unannotated */
	LAKE_SRC_BINARY,			/* FIXED_LEN_BYTE_ARRAY or BSON: bytes only */
	LAKE_SRC_UUID,				/* FIXED_LEN_BYTE_ARRAY(16) UUID */
	LAKE_SRC_DATE,				/* INT32 DATE: days since 1970-01-01 */
	LAKE_SRC_TS_MILLIS,			/* INT64 TIMESTAMP(MILLIS) */
	LAKE_SRC_TS_MICROS,			/* INT64 TIMESTAMP(MICROS) */
	LAKE_SRC_TS_NANOS,			/* INT64 TIMESTAMP(NANOS) */
	LAKE_SRC_INT96,				/* INT96 timestamp: nanos of day, Julian day */
	LAKE_SRC_NESTED				/* a group or repeated field, read as JSON */
} LakeSrcKind;

/* What a column of the foreign table holds. */
typedef enum LakeDstKind
{
	LAKE_DST_NONE,
	LAKE_DST_BOOL,
	LAKE_DST_INT2,
	LAKE_DST_INT4,
	LAKE_DST_INT8,
	LAKE_DST_FLOAT4,
	LAKE_DST_FLOAT8,
	LAKE_DST_NUMERIC,
	LAKE_DST_TEXT,				/* text, varchar, bpchar */
	LAKE_DST_BYTEA,
	LAKE_DST_DATE,
	LAKE_DST_TIMESTAMP,			/* timestamp and timestamptz: the instant as UTC */
	LAKE_DST_UUID,
	LAKE_DST_JSON,
	LAKE_DST_JSONB
} LakeDstKind;

/* The conversion of one column for one file. */
typedef struct LakeConv
{
	LakeSrcKind src;
	LakeDstKind dst;
	int16		max_def;		/* flat leaves: a value where def == max_def */
	int			scale;			/* DECIMAL scale */
	Oid			typid;			/* the column's type */
	int32		typmod;			/* >= 0: varchar/bpchar length to enforce */
	const char *column;			/* the column's name (borrowed), for messages */
} LakeConv;

extern LakeDstKind lake_conv_dst_kind(Oid typid);
extern LakeSrcKind lake_conv_src_kind(const ParquetSchema *schema, int field, int *scale);

/* True when a column of dst can be read from src. */
extern bool lake_conv_allowed(LakeSrcKind src, LakeDstKind dst);

/* "INT64 (TIMESTAMP(MICROS, UTC))", "BYTE_ARRAY (STRING)", "group (LIST)" */
extern char *lake_conv_describe_field(const ParquetSchema *schema, int field);

/*
 * Convert m level entries of a flat leaf's batch, from level lpos and value
 * *vpos (advanced), into out/nulls.  Memory for by-reference datums comes
 * from CurrentMemoryContext (the scan's batch context).
 */
extern void lake_conv_fill(const LakeConv *conv, const ParquetColumnBatch *batch,
						   size_t lpos, size_t *vpos, size_t m, Datum *out, bool *nulls);

/* Convert m JSON records of a nested field, from record pos. */
extern void lake_conv_fill_json(const LakeConv *conv, const LakeBuffer *json,
								const size_t *offsets, const bool *is_null, size_t pos,
								size_t m, Datum *out, bool *nulls);

/* ------------------------------------------------------- fdw_pushdown.c */

/* The class of a pushed-down constant, fixed at plan time by the column's type. */
typedef enum LakeValueClass
{
	LAKE_VAL_BOOL,
	LAKE_VAL_INT,				/* int2/int4/int8 constant for an integer column */
	LAKE_VAL_FLOAT,				/* float4/float8 constant for a float column */
	LAKE_VAL_NUMERIC,
	LAKE_VAL_TEXT,				/* text/varchar under a collation that allows it */
	LAKE_VAL_BYTEA,
	LAKE_VAL_DATE,
	LAKE_VAL_TIMESTAMP,			/* same type on both sides */
	LAKE_VAL_UUID
} LakeValueClass;

/*
 * Plan time: pick the quals of baserel that can rule out row groups.  For
 * each, *attnos gets the column, *ops the LakeCompareOp, *classes the
 * LakeValueClass and *exprs the Const or Param to compare with (a dummy
 * Const for IS [NOT] NULL).  All quals stay local filters too.
 */
extern void lake_pushdown_classify(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
								   List **attnos, List **ops, List **classes, List **exprs);

/* Exec time: one pushed qual with its value(s) evaluated. */
typedef struct LakePushdownQual
{
	AttrNumber	attnum;
	LakeCompareOp op;
	LakeValueClass vclass;
	Oid			valtype;		/* type of the values (the element type for IN) */
	bool		usable;			/* false: the value was NULL or otherwise unusable */
	int			num_values;
	Datum	   *values;			/* copied into the scan context */
} LakePushdownQual;

/* Evaluate the value expressions (at scan start and on every rescan). */
extern void lake_pushdown_evaluate(LakePushdownQual *quals, int num_quals, List *expr_states,
								   ExprContext *econtext, MemoryContext cxt);

/*
 * The value of a qual in the physical representation of a leaf read with
 * conv, if exact; false means the qual is not pushed for this file.
 * Memory from CurrentMemoryContext.
 */
extern bool lake_pushdown_to_parquet(const LakePushdownQual *qual, const LakeConv *conv,
									 const ParquetSchemaElement *leaf, ParquetValue **values,
									 int *num_values);

/* ---------------------------------------------------------- fdw_delta.c */

/* Which version of a Delta table a scan reads. */
typedef enum LakeDeltaSpecKind
{
	LAKE_DELTA_LATEST,
	LAKE_DELTA_VERSION,
	LAKE_DELTA_TIMESTAMP,
	LAKE_DELTA_CHANGES			/* the files versions from_version..version added */
} LakeDeltaSpecKind;

typedef struct LakeDeltaSpec
{
	LakeDeltaSpecKind kind;
	int64		version;		/* LAKE_DELTA_VERSION; LAKE_DELTA_CHANGES: the last (-1 latest) */
	TimestampTz timestamp;		/* LAKE_DELTA_TIMESTAMP */
	int64		from_version;	/* LAKE_DELTA_CHANGES: the first */
	/* LAKE_DELTA_VERSION: read only these of its files (paths as in the log, sorted), unless NULL */
	const char *const *only_paths;
	int			num_only_paths;
} LakeDeltaSpec;

/*
 * The version a scan of relid reads: lakehouse.as_of() (an override while
 * it runs its query), else the table's version or timestamp option, else
 * lakehouse.as_of_timestamp, else the latest.
 */
extern void lake_delta_spec_for_table(Oid relid, const LakeFdwOptions *opts, LakeDeltaSpec *spec);

/* lakehouse.as_of(): read relid at spec while its query runs (nestable). */
extern void lake_delta_push_override(Oid relid, const LakeDeltaSpec *spec);
extern void lake_delta_pop_override(void);

/*
 * The snapshot of the Delta table in dir at spec, shared by everything the
 * current statement reads (one snapshot per statement: the latest version
 * is resolved once).  With owner, a reference is held until owner is reset
 * or deleted, so the snapshot outlives the statement (cursors); without,
 * the pointer is valid until the statement ends.  Errors are raised.
 */
extern const DeltaSnapshot *lake_delta_acquire(const char *dir, const LakeDeltaSpec *spec,
											   MemoryContext owner);

/* Drop the statement's cached snapshots of dir (after a commit inside the statement). */
extern void lake_delta_forget(const char *dir);

/* Raise a lake error about the Delta table in dir. */
extern void lake_delta_report(const LakeError *err, const char *dir) pg_attribute_noreturn();

/* The PostgreSQL type of a Delta column (typmod for decimals), and its SQL spelling. */
extern Oid	lake_delta_column_type(const DeltaColumn *col, int32 *typmod);

/* Index of the column named name (exact, else a unique case-insensitive match), or -1. */
extern int	lake_delta_find_column(const DeltaSnapshot *snap, const char *name);

/* A partition value (text from the log, NULL for null) as a Datum of typid. */
extern Datum lake_delta_partition_datum(const char *value, const DeltaColumn *col, Oid typid,
										int32 typmod, bool *isnull);

/*
 * False only if the file's statistics for column col (index ci in the
 * snapshot) prove that no row satisfies qual; coltype is the foreign
 * table column's type.
 */
extern bool lake_delta_stats_may_match(const DeltaAddFile *file, const DeltaColumn *col, int ci,
									   const LakePushdownQual *qual, Oid coltype);

/* A data file's path: local_path under dir unless it is absolute.  palloc'd. */
extern char *lake_delta_file_path(const char *dir, const DeltaAddFile *file);

/* ---------------------------------------------------------- fdw_count.c */

/* count(*) of a Delta table from its log: the upper path, its plan, its execution. */
extern void lake_count_add_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
								void *extra, Bitmapset *part_attnos, Oid relid);
extern bool lake_count_is_upper(RelOptInfo *rel);
extern ForeignScan *lake_count_plan(PlannerInfo *root, RelOptInfo *rel, List *tlist, Plan *outer_plan);
extern bool lake_count_is_plan(ForeignScan *plan);
extern void *lake_count_begin(ForeignScanState *node, int eflags);
extern TupleTableSlot *lake_count_next(ForeignScanState *node, void *state);
extern void lake_count_rescan(void *state);
extern void lake_count_end(void *state);
extern void lake_count_explain(ForeignScanState *node, void *state, ExplainState *es);

/* ----------------------------------------------------------- fdw_scan.c */

typedef struct LakeScanState LakeScanState;

/* The plan-time information fdw_scan needs (from fdw_private). */
typedef struct LakeScanPlan
{
	List	   *attnums;		/* IntList of the columns to read; NIL: none */
	List	   *push_attnos;	/* pushdown, parallel lists (see fdw_pushdown.c) */
	List	   *push_ops;
	List	   *push_classes;
	Index		scanrelid;		/* the range table index of the relation scanned */
} LakeScanPlan;

/*
 * Start a scan of rel.  node is the executor node (NULL for ANALYZE, which
 * has no quals); push_expr_states evaluates the pushed-down values and
 * part_quals (ExprStates for ExecQual) are restriction clauses on partition
 * columns only, used to prune a Delta table's files.  The options are read
 * and the path resolved again here: a path is checked when the files are
 * opened, not only when it was set.
 */
extern LakeScanState *lake_scan_begin(Relation rel, MemoryContext parent, ForeignScanState *node,
									  const LakeScanPlan *plan, List *push_expr_states,
									  List *part_quals, bool explain_only);
extern TupleTableSlot *lake_scan_next(LakeScanState *scan, TupleTableSlot *slot);
extern void lake_scan_rescan(LakeScanState *scan);
extern void lake_scan_end(LakeScanState *scan);

/* What EXPLAIN shows of a Delta scan; false for a Parquet scan. */
typedef struct LakeScanDeltaInfo
{
	int64		version;
	int64		files_total;	/* active files of the version */
	int64		files_selected; /* after partition pruning and statistics skipping; -1 if not yet known */
	int64		files_from_log; /* selected files answered from the log's record counts */
} LakeScanDeltaInfo;

extern bool lake_scan_delta_info(LakeScanState *scan, LakeScanDeltaInfo *info);

/* For EXPLAIN ANALYZE. */
typedef struct LakeScanCounters
{
	int64		files_total;
	int64		files_scanned;	/* files with at least one row group read */
	int64		row_groups_total;
	int64		row_groups_scanned;
} LakeScanCounters;

extern void lake_scan_counters(const LakeScanState *scan, LakeScanCounters *counters);

/* Parallel scans: files and row groups are handed out through shared memory. */
extern Size lake_scan_parallel_size(void);
extern void lake_scan_parallel_init(LakeScanState *scan, void *shared);
extern void lake_scan_parallel_attach(LakeScanState *scan, void *shared);
extern void lake_scan_parallel_reinit(LakeScanState *scan, void *shared);
extern void lake_scan_shutdown(LakeScanState *scan);


/* ---------------------------------------------------------- fdw_write.c */

/*
 * Writing a Delta table from SQL (INSERT, COPY FROM, ingest_csv): the rows
 * of one table in one transaction go to DeltaFileWriters, one per
 * subtransaction that wrote (discarded when it aborts, handed to its parent
 * when it commits), and become one Delta commit (a blind append, operation
 * WRITE) at XACT_EVENT_PRE_COMMIT; on abort their files are removed.
 */

/* What a PostgreSQL column's values are, as a write reads them. */
typedef enum LakeWriteSrc
{
	LAKE_WSRC_NONE,				/* not in the foreign table: always NULL */
	LAKE_WSRC_BOOL,
	LAKE_WSRC_INT2,
	LAKE_WSRC_INT4,
	LAKE_WSRC_INT8,
	LAKE_WSRC_FLOAT4,
	LAKE_WSRC_FLOAT8,
	LAKE_WSRC_NUMERIC,
	LAKE_WSRC_TEXT,				/* text, varchar, bpchar, json */
	LAKE_WSRC_JSONB,
	LAKE_WSRC_BYTEA,
	LAKE_WSRC_DATE,
	LAKE_WSRC_TIMESTAMP,		/* timestamp */
	LAKE_WSRC_TIMESTAMPTZ		/* timestamptz */
} LakeWriteSrc;

/* One column of the Delta table and where its values come from. */
typedef struct LakeWriteColumn
{
	const DeltaColumn *col;		/* borrowed from the table's metadata */
	AttrNumber	attnum;			/* the foreign table's column, or 0 (NULL in every row) */
	Oid			typid;			/* its base type */
	int32		typmod;
	LakeWriteSrc src;
	int			flba_len;		/* decimal with precision > 18: bytes of its FIXED_LEN_BYTE_ARRAY */
} LakeWriteColumn;

/* commitInfo.engineInfo of every commit the extension makes */
#define LAKE_ENGINE_INFO "iot_lakehouse/0.2.0"

typedef struct LakeWriteTable LakeWriteTable;

/*
 * The pending write of rel in the current transaction, started when
 * needed: checks the role (pg_write_server_files), the options (not pinned
 * by version or timestamp, not a Parquet directory), creates the directory
 * of a table that does not exist yet and maps the foreign table's columns
 * to the Delta schema (the existing one, or the one the first commit will
 * create from the foreign table's columns and partition_by).
 */
extern LakeWriteTable *lake_write_table(Relation rel);

/* The Delta columns of a pending write (num_columns of them). */
extern const LakeWriteColumn *lake_write_columns(const LakeWriteTable *wt, int *num_columns);
extern const char *lake_write_dir(const LakeWriteTable *wt);

/* Write the row in slot (memory: CurrentMemoryContext, a per-row context). */
extern void lake_write_slot(LakeWriteTable *wt, TupleTableSlot *slot);

/*
 * Write one row given per Delta column as a value in its physical
 * representation (nulls[i]: SQL NULL).  Partition columns are given as
 * values too and turned into the log's text here.
 */
extern void lake_write_values(LakeWriteTable *wt, const ParquetValue *values, const bool *nulls);

/* Rows written to wt in this transaction (including rolled-back subtransactions: no). */
extern int64 lake_write_rows(const LakeWriteTable *wt);

/* The names of a partition_by option ("a, b"), without surrounding blanks. */
extern List *lake_write_partition_names(const char *partition_by);

/*
 * A streaming write (worker/): the commit carries the txn action (app_id,
 * txn_version; app_id NULL: none) that makes it exactly-once, its
 * operation is operation ("STREAMING UPDATE", "CREATE TABLE") with
 * parameters_json (a JSON object, may be NULL), and it is made even when
 * no row was written, to record the progress (or create the table).
 */
extern void lake_write_set_stream(LakeWriteTable *wt, const char *app_id, int64 txn_version,
								  const char *operation, const char *parameters_json);

/*
 * The commit replaces the partitions it writes (dynamic partition
 * overwrite): every file of the version the write read that lies in a
 * partition the write adds to is removed in the same commit.  Only for
 * partitioned tables; the commit is then not a blind append, so a
 * concurrent change of the table conflicts (40001).
 */
extern void lake_write_set_replace_partitions(LakeWriteTable *wt);

/*
 * A rewrite (OPTIMIZE): the commit adds the files written with dataChange
 * false and removes removes (num_removes; borrowed until the commit), as
 * a transaction that read read_version.  It is not a blind append, but it
 * changes no data: only a concurrent commit that removed one of the same
 * files conflicts with it, so appends go on meanwhile.
 */
extern void lake_write_set_rewrite(LakeWriteTable *wt, int64 read_version,
								   const DeltaRemoveFile *removes, int num_removes,
								   const char *operation, const char *parameters_json);

/* The version the pending write read (-1: the table does not exist yet). */
extern int64 lake_write_read_version(const LakeWriteTable *wt);

/*
 * Commit the pending write of wt now instead of at the transaction's
 * commit; it is then no longer pending (a later write of the same table in
 * this transaction starts a new one).  Not undone if the transaction
 * aborts.  Returns the version committed, or -1 when there was nothing to
 * commit.
 */
extern int64 lake_write_commit_now(LakeWriteTable *wt);
/* The same, also saying how many data files (and bytes) the commit added. */
extern int64 lake_write_commit_now_files(LakeWriteTable *wt, int *num_files, int64 *bytes);

/* NOTIFY lakehouse of a commit of relid made outside a pending write (RESTORE). */
extern void lake_write_notify_commit(Oid relid, int64 version, int64 rows, const char *operation);

/* Rows of relid's pending write in this transaction, or -1 when it has none. */
extern int64 lake_write_pending_rows(Oid relid);

/* ---------------------------------------------------------- fdw_values.c */

/* The Delta type a column of type typid (typmod) is created with; false if none. */
extern bool lake_values_delta_type(Oid typid, int32 typmod, DeltaTypeKind *kind, int *precision,
								   int *scale);

/* How a column of typid is read for Delta column col; LAKE_WSRC_NONE if it cannot be. */
extern LakeWriteSrc lake_values_source(Oid typid, const DeltaColumn *col);

/* A Datum of wc's column in the physical representation of its Delta type (errors raised). */
extern void lake_values_from_datum(const LakeWriteColumn *wc, Datum d, ParquetValue *pv);

/* A value as a partition value of the log (palloc'd; NULL for an empty string). */
extern char *lake_values_partition_text(const DeltaColumn *col, const ParquetValue *pv);

/* Bytes of the FIXED_LEN_BYTE_ARRAY of a decimal of precision p (> 18). */
extern int	lake_values_decimal_bytes(int precision);

/* Store unscaled into pv for a decimal column (FLBA bytes palloc'd). */
extern void lake_values_set_decimal(const LakeWriteColumn *wc, int128 unscaled, ParquetValue *pv);

/* The Delta type name in a schema ("long", "decimal(10,2)", ...), palloc'd. */
extern char *lake_values_type_name(DeltaTypeKind kind, int precision, int scale);

#endif							/* LAKE_FDW_H */
