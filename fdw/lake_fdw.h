/*
 * lake_fdw.h
 *	  Declarations shared by the files of the Parquet foreign data wrapper:
 *	  options (fdw_options.c), the files behind a table (fdw_files.c), type
 *	  conversion (fdw_types.c), qual pushdown (fdw_pushdown.c) and the scan
 *	  itself (fdw_scan.c).  The FDW callbacks are in fdw_handler.c.
 */
#ifndef LAKE_FDW_H
#define LAKE_FDW_H

#include "access/attnum.h"
#include "access/tupdesc.h"
#include "executor/tuptable.h"
#include "nodes/execnodes.h"
#include "nodes/pathnodes.h"
#include "nodes/pg_list.h"

#include "lake/parquet_reader.h"

/* ------------------------------------------------------ fdw_options.c */

/* The table options of one foreign table, validated. */
typedef struct LakeFdwOptions
{
	char	   *format;			/* "parquet" */
	char	   *path;			/* a file, or a directory of *.parquet files */
} LakeFdwOptions;

extern void lake_fdw_get_options(Oid foreigntableid, LakeFdwOptions *opts);

/* The name a column is looked up by in the files: column_name, else attname. */
extern char *lake_fdw_column_name(Oid foreigntableid, AttrNumber attnum, const char *attname);

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

/* ----------------------------------------------------------- fdw_scan.c */

typedef struct LakeScanState LakeScanState;

/* The plan-time information fdw_scan needs (from fdw_private). */
typedef struct LakeScanPlan
{
	char	   *path;			/* the table's path option */
	List	   *attnums;		/* IntList of the columns to read; NIL: none */
	List	   *push_attnos;	/* pushdown, parallel lists (see fdw_pushdown.c) */
	List	   *push_ops;
	List	   *push_classes;
} LakeScanPlan;

extern LakeScanState *lake_scan_begin(ForeignScanState *node, const LakeScanPlan *plan,
									  List *push_expr_states);
extern TupleTableSlot *lake_scan_next(LakeScanState *scan, TupleTableSlot *slot);
extern void lake_scan_rescan(LakeScanState *scan);
extern void lake_scan_end(LakeScanState *scan);

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

#endif							/* LAKE_FDW_H */
