/*
 * fdw_scan.c
 *	  The executor side of a Parquet foreign scan: the files behind the table,
 *	  one at a time; per file, the columns matched by name and their
 *	  conversions checked; per row group, ruled out by statistics or read
 *	  column by column in batches into Datum arrays, from which rows are
 *	  handed out as virtual tuples.
 *
 * Memory: the scan context lives under the executor's query context; the
 * file context holds the open file's reader (reset per file); the batch
 * context holds the decoded values of one batch (reset per batch).  A reset
 * callback on the file context closes the file descriptor, so an error in
 * the middle of a scan leaks nothing.
 *
 * In a parallel scan the (file, row group) pairs are handed out through
 * shared memory (LakeScanShared); otherwise they are taken in order.
 *
 * A Delta table's files come from its snapshot (fdw_delta.c) instead of a
 * directory listing: at the first fetch they are pruned by the quals on
 * partition columns (evaluated exactly, on the file's partition values) and
 * skipped by the statistics in the log.  Partition columns, and columns an
 * older file does not have, are constant per file and never decoded; a file
 * from which no other column is needed is answered from the log's record
 * count without being opened.  Delta scans are not parallel.
 */
#include "postgres.h"

#include <limits.h>
#include <stdlib.h>

#include "access/tupdesc.h"
#include "catalog/pg_type.h"
#include "executor/executor.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/optimizer.h"
#include "port/atomics.h"
#include "storage/spin.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "iot_lakehouse.h"
#include "lake_fdw.h"
#include "lake_pg.h"

/* One column of the foreign table that the scan reads. */
typedef struct LakeScanColumn
{
	/* fixed for the scan */
	AttrNumber	attnum;			/* 1-based attribute number */
	char	   *attname;		/* the column's SQL name, for messages */
	char	   *field_name;		/* the name looked up in the files */
	Oid			typid;			/* the column's type */
	int32		typmod;			/* typmod to enforce (varchar, bpchar, numeric), else -1 */
	LakeDstKind dst;			/* how the type is filled */
	int			delta_column;	/* Delta: index in the snapshot's columns, else -1 */
	int			partition;		/* Delta: its partition index, or -1 */

	/* per file */
	bool		is_const;		/* one value for the whole file: a partition value, or NULL */
	Datum		const_value;	/* in file_cxt */
	bool		const_null;
	int			field;			/* top-level field in the open file */
	int			leaf;			/* its leaf for a flat field, else -1 */
	LakeConv	conv;			/* the conversion for this file */

	/* per row group: exactly one of the readers is open (owned) */
	ParquetColumnReader *reader;	/* flat field */
	ParquetFieldReader *field_reader;	/* nested field */
	ParquetColumnBatch batch;	/* the reader's current batch (borrowed) */
	size_t		level_pos;		/* next level entry of batch */
	size_t		value_pos;		/* next dense value of batch */
	size_t		json_rows;		/* records in the field reader's current output */
	size_t		json_pos;		/* next of them */
	const LakeBuffer *json;		/* borrowed from the field reader */
	const size_t *json_offsets;
	const bool *json_nulls;

	/* per batch (batch_rows entries, allocated once) */
	Datum	   *values;
	bool	   *nulls;
} LakeScanColumn;

/* Shared state of a parallel scan (in DSM). */
typedef struct LakeScanShared
{
	slock_t		mutex;
	bool		initialized;	/* the leader listed the files */
	int			num_files;
	pg_atomic_uint64 next_unit; /* next (file, row group) to hand out */
	pg_atomic_uint64 files_scanned;
	pg_atomic_uint64 row_groups_scanned;
	uint64		row_groups_total;
	/* then num_files int32 row-group counts, then NUL-terminated paths */
	char		data[FLEXIBLE_ARRAY_MEMBER];
} LakeScanShared;

/* bytes of DSM a parallel scan reserves: counts and paths of this many files */
#define LAKE_SCAN_SHARED_BYTES	(1024 * 1024)

struct LakeScanState
{
	ForeignScanState *node;		/* borrowed; NULL for ANALYZE */
	Oid			relid;
	char	   *relname;
	LakeFdwOptions opts;		/* resolved at scan start */
	char	   *path;			/* what the path resolves to */
	Index		scanrelid;		/* range table index, for the Vars of part_quals */

	/* Delta */
	bool		is_delta;
	LakeDeltaSpec delta_spec;	/* the version asked for */
	const DeltaSnapshot *snap;	/* a reference held for scan_cxt */
	int		   *file_delta;		/* per entry of files: index in snap->files */
	bool		needs_data;		/* some column is read from the data files */
	List	   *part_quals;		/* ExprStates (ExecQual) on partition columns only */
	TupleTableSlot *part_slot;	/* partition values of one file, for part_quals */
	bool		log_file;		/* the open file is answered from the log */
	bool		explain_only;
	LakeScanDeltaInfo delta_info;

	/* the files */
	List	   *files;			/* char *, in scan order */
	bool		files_listed;
	bool		file_open;		/* a file (or a log-answered one) is current */
	int			next_file;		/* serial: the next file to open */
	int			cur_file_index; /* index of the open file, -1 if none */
	const char *cur_file;		/* path of the open file, or NULL */
	bool		cur_file_scanned;	/* a row group of it was read */

	/* memory */
	MemoryContext scan_cxt;		/* this struct and everything per scan */
	MemoryContext file_cxt;		/* the open file: reader, predicates */
	MemoryContext batch_cxt;	/* decoded values of one batch */
	MemoryContext qual_cxt;		/* pushed-down values; reset when evaluated again */
	LakeAllocator file_alloc;	/* lake allocations in file_cxt */
	MemoryContextCallback file_cb;	/* closes the fd when file_cxt is reset */

	/* the open file */
	LakeInput	input;
	bool		input_open;
	ParquetReader *reader;		/* in file_cxt */
	const ParquetFileMetaData *md;	/* borrowed from reader */
	const ParquetSchema *schema;	/* borrowed from reader */
	int			cur_rg;			/* row group being read, -1 before the first */
	int64		rg_rows_left;	/* rows of it not yet in a batch */
	ParquetPredicate *preds;	/* pushdown for this file (file_cxt) */
	int			num_preds;

	/* columns */
	int			num_columns;
	LakeScanColumn *columns;
	int			batch_rows;		/* lakehouse.scan_batch_rows at scan start */

	/* pushdown */
	int			num_quals;
	LakePushdownQual *quals;
	List	   *qual_states;	/* ExprState per qual (borrowed) */
	bool		quals_evaluated;

	/* the current batch */
	int64		batch_n;
	int64		batch_pos;

	/* error context */
	ErrorContextCallback errcb;
	const char *err_column;		/* column being decoded, or NULL */
	const char *err_log_file;	/* Delta file whose partition values are being read, or NULL */

	/* EXPLAIN ANALYZE */
	LakeScanCounters counters;

	/* parallel scan, or NULL */
	LakeScanShared *shared;
	int32	   *shared_rg_counts;	/* in shared */
	char	  **shared_paths;	/* pointers into shared (local array) */
};

/* helpers */
static void lake_scan_file_reset_callback(void *arg);
static void lake_scan_error_callback(void *arg);
static void lake_scan_list_files(LakeScanState *scan);
static void lake_scan_open_file(LakeScanState *scan, int index);
static void lake_scan_close_file(LakeScanState *scan);
static void lake_scan_close_row_group(LakeScanState *scan);
static bool lake_scan_claim(LakeScanState *scan, int *file, int *rg);
static bool lake_scan_next_row_group(LakeScanState *scan);
static bool lake_scan_fetch_batch(LakeScanState *scan);
static void lake_scan_fill_column(LakeScanState *scan, LakeScanColumn *col, size_t n);
static void lake_scan_short_column(LakeScanState *scan, LakeScanColumn *col) pg_attribute_noreturn();
static void lake_scan_delta_select(LakeScanState *scan);
static void lake_scan_delta_constants(LakeScanState *scan, const DeltaAddFile *file);
static int	lake_scan_delta_find_field(LakeScanState *scan, const LakeScanColumn *col);
static bool lake_scan_has_exec_param(Node *node, void *context);

LakeScanState *
lake_scan_begin(Relation rel, MemoryContext parent, ForeignScanState *node,
				const LakeScanPlan *plan, List *qual_states, List *part_quals, bool explain_only)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	MemoryContext scan_cxt;
	MemoryContext oldcxt;
	LakeScanState *scan;
	Bitmapset  *part_attnos = NULL;
	ListCell   *lc;
	ListCell   *lc_op;
	ListCell   *lc_class;
	int			i;

	scan_cxt = AllocSetContextCreate(parent, "iot_lakehouse scan", ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(scan_cxt);

	scan = palloc0(sizeof(LakeScanState));
	scan->node = node;
	scan->relid = RelationGetRelid(rel);
	scan->relname = pstrdup(RelationGetRelationName(rel));
	scan->scanrelid = plan->scanrelid;
	scan->explain_only = explain_only;
	scan->cur_file_index = -1;
	scan->cur_rg = -1;
	scan->scan_cxt = scan_cxt;
	scan->file_cxt = AllocSetContextCreate(scan_cxt, "iot_lakehouse file",
										   ALLOCSET_DEFAULT_SIZES);
	scan->batch_cxt = AllocSetContextCreate(scan_cxt, "iot_lakehouse batch",
											ALLOCSET_DEFAULT_SIZES);
	scan->qual_cxt = AllocSetContextCreate(scan_cxt, "iot_lakehouse pushdown",
										   ALLOCSET_SMALL_SIZES);
	lake_pg_allocator_init(&scan->file_alloc, scan->file_cxt);
	scan->file_cb.func = lake_scan_file_reset_callback;
	scan->file_cb.arg = scan;
	scan->batch_rows = lakehouse_scan_batch_rows;
	scan->delta_info.files_selected = -1;

	/* the options again, and the path resolved again: it is checked when the files are opened */
	lake_fdw_get_options(scan->relid, &scan->opts);
	lake_fdw_resolve(&scan->opts);
	scan->path = scan->opts.location;
	scan->is_delta = scan->opts.is_delta;
	scan->needs_data = !scan->is_delta;
	if (scan->is_delta)
	{
		lake_delta_spec_for_table(scan->relid, &scan->opts, &scan->delta_spec);
		scan->snap = lake_delta_acquire(scan->path, &scan->delta_spec, scan_cxt);
		scan->delta_info.version = scan->snap->version;
		scan->delta_info.files_total = scan->snap->num_files;
	}

	/* the columns to read */
	scan->columns = palloc0(sizeof(LakeScanColumn) * Max(list_length(plan->attnums), 1));
	foreach(lc, plan->attnums)
	{
		AttrNumber	attnum = (AttrNumber) lfirst_int(lc);
		Form_pg_attribute att = TupleDescAttr(tupdesc, attnum - 1);
		LakeScanColumn *col;

		if (att->attisdropped)
			continue;
		col = &scan->columns[scan->num_columns++];
		col->attnum = attnum;
		col->attname = pstrdup(NameStr(att->attname));
		col->field_name = lake_fdw_column_name(scan->relid, attnum, col->attname);
		col->typid = att->atttypid;
		col->typmod = -1;
		if (att->atttypmod >= 0 &&
			(att->atttypid == VARCHAROID || att->atttypid == BPCHAROID ||
			 att->atttypid == NUMERICOID))
			col->typmod = att->atttypmod;
		col->dst = lake_conv_dst_kind(att->atttypid);
		col->delta_column = -1;
		col->partition = -1;
		if (scan->is_delta)
		{
			int			ci = lake_delta_find_column(scan->snap, col->field_name);
			const DeltaColumn *dc;

			if (ci < 0 && scan->delta_spec.kind != LAKE_DELTA_LATEST)
			{
				/* time travel to a version before the column was added: NULL */
				col->field = -1;
				col->leaf = -1;
				col->values = palloc(sizeof(Datum) * scan->batch_rows);
				col->nulls = palloc(sizeof(bool) * scan->batch_rows);
				continue;
			}
			if (ci < 0)
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of foreign table \"%s\" is not in Delta table \"%s\" at version " INT64_FORMAT,
								col->field_name, scan->relname, scan->path, scan->snap->version),
						 strcmp(col->field_name, col->attname) != 0 ?
						 errdetail("The column_name option of column \"%s\" names it.", col->attname) : 0,
						 errhint("Columns match the table's schema by name, exactly or else case-insensitively; the column option column_name gives another name.")));
			dc = &scan->snap->metadata.columns[ci];
			col->delta_column = ci;
			col->partition = dc->partition_index;
			if (col->partition >= 0)
			{
				/* a partition value is parsed by the column type's input function */
				if (col->partition >= scan->snap->metadata.num_partition_columns)
					elog(ERROR, "partition index %d out of range", col->partition);
				part_attnos = bms_add_member(part_attnos, attnum);
			}
			else
			{
				col->field_name = pstrdup(dc->physical_name != NULL ? dc->physical_name : dc->name);
				scan->needs_data = true;
			}
		}
		if (col->dst == LAKE_DST_NONE && col->partition < 0)
			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_DATA_TYPE),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s, which iot_lakehouse_fdw cannot read",
							col->attname, scan->relname, format_type_be(att->atttypid)),
					 errhint("Use boolean, smallint, integer, bigint, real, double precision, numeric, text, varchar, char, bytea, date, timestamp, timestamptz, uuid, json or jsonb.")));
		col->field = -1;
		col->leaf = -1;
		col->values = palloc(sizeof(Datum) * scan->batch_rows);
		col->nulls = palloc(sizeof(bool) * scan->batch_rows);
	}

	/* the pushed-down quals, evaluated at the first fetch */
	scan->num_quals = list_length(plan->push_attnos);
	scan->quals = palloc0(sizeof(LakePushdownQual) * Max(scan->num_quals, 1));
	i = 0;
	forthree(lc, plan->push_attnos, lc_op, plan->push_ops, lc_class, plan->push_classes)
	{
		scan->quals[i].attnum = (AttrNumber) lfirst_int(lc);
		scan->quals[i].op = (LakeCompareOp) lfirst_int(lc_op);
		scan->quals[i].vclass = (LakeValueClass) lfirst_int(lc_class);
		i++;
	}
	scan->qual_states = qual_states;

	/* quals on partition columns: only those whose columns still are partition columns */
	if (scan->is_delta && node != NULL)
	{
		foreach(lc, part_quals)
		{
			ExprState  *es = (ExprState *) lfirst(lc);
			Bitmapset  *attnos = NULL;
			int			k = -1;
			bool		ok = true;

			pull_varattnos((Node *) es->expr, scan->scanrelid, &attnos);
			while ((k = bms_next_member(attnos, k)) >= 0)
			{
				if (!bms_is_member(k + FirstLowInvalidHeapAttributeNumber, part_attnos))
					ok = false;
			}
			if (ok && !bms_is_empty(attnos))
				scan->part_quals = lappend(scan->part_quals, es);
		}
		if (scan->part_quals != NIL)
			scan->part_slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(tupdesc), &TTSOpsVirtual);
	}

	scan->errcb.callback = lake_scan_error_callback;
	scan->errcb.arg = scan;

	/* EXPLAIN without ANALYZE: show the files pruning leaves, when the values are known now */
	if (explain_only && scan->is_delta)
	{
		bool		exec_params = false;

		foreach(lc, qual_states)
			exec_params |= lake_scan_has_exec_param((Node *) ((ExprState *) lfirst(lc))->expr, NULL);
		foreach(lc, scan->part_quals)
			exec_params |= lake_scan_has_exec_param((Node *) ((ExprState *) lfirst(lc))->expr, NULL);
		if (!exec_params)
		{
			if (scan->num_quals > 0)
				lake_pushdown_evaluate(scan->quals, scan->num_quals, scan->qual_states,
									   node->ss.ps.ps_ExprContext, scan->qual_cxt);
			lake_scan_delta_select(scan);
		}
	}

	MemoryContextSwitchTo(oldcxt);
	return scan;
}

/* True if node holds a PARAM_EXEC Param or a SubPlan (not known before the scan runs). */
static bool
lake_scan_has_exec_param(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return ((Param *) node)->paramkind == PARAM_EXEC;
	if (IsA(node, SubPlan) || IsA(node, AlternativeSubPlan))
		return true;
	return expression_tree_walker(node, lake_scan_has_exec_param, context);
}

/* file_cxt is going away (reset, or deleted with the query on error): close the fd */
static void
lake_scan_file_reset_callback(void *arg)
{
	LakeScanState *scan = (LakeScanState *) arg;
	int			i;

	if (scan->input_open)
	{
		lake_input_close(&scan->input);
		scan->input_open = false;
	}
	/* the lake objects live in the context being reset */
	scan->reader = NULL;
	scan->md = NULL;
	scan->schema = NULL;
	scan->preds = NULL;
	scan->num_preds = 0;
	for (i = 0; i < scan->num_columns; i++)
	{
		scan->columns[i].reader = NULL;
		scan->columns[i].field_reader = NULL;
	}
}

static void
lake_scan_error_callback(void *arg)
{
	LakeScanState *scan = (LakeScanState *) arg;

	if (scan->err_log_file != NULL)
	{
		errcontext("partition values of data file \"%s\" of Delta table \"%s\"",
				   scan->err_log_file, scan->path);
		return;
	}
	if (scan->cur_file == NULL)
		return;
	if (scan->cur_rg >= 0 && scan->err_column != NULL)
		errcontext("Parquet file \"%s\", row group %d, column \"%s\"",
				   scan->cur_file, scan->cur_rg, scan->err_column);
	else if (scan->cur_rg >= 0)
		errcontext("Parquet file \"%s\", row group %d", scan->cur_file, scan->cur_rg);
	else
		errcontext("Parquet file \"%s\"", scan->cur_file);
}

static void
lake_scan_list_files(LakeScanState *scan)
{
	MemoryContext oldcxt;

	if (scan->files_listed)
		return;
	if (scan->is_delta)
		lake_scan_delta_select(scan);
	else
	{
		oldcxt = MemoryContextSwitchTo(scan->scan_cxt);
		scan->files = lake_files_list(scan->path, false);
		MemoryContextSwitchTo(oldcxt);
	}
	scan->files_listed = true;
	scan->counters.files_total = list_length(scan->files);
}

/*
 * A Delta scan's files: the snapshot's active files that the quals on
 * partition columns accept (evaluated on the file's partition values) and
 * that the statistics do not rule out.  The quals' values must have been
 * evaluated.
 */
static void
lake_scan_delta_select(LakeScanState *scan)
{
	const DeltaSnapshot *snap = scan->snap;
	ExprContext *econtext = scan->node != NULL ? scan->node->ss.ps.ps_ExprContext : NULL;
	MemoryContext oldcxt = MemoryContextSwitchTo(scan->scan_cxt);
	int			n = 0;
	int64		from_log = 0;
	int			i;

	scan->files = NIL;
	scan->file_delta = palloc(sizeof(int) * Max(snap->num_files, 1));
	for (i = 0; i < snap->num_files; i++)
	{
		const DeltaAddFile *f = &snap->files[i];
		bool		keep = true;
		int			q;

		if (scan->part_quals != NIL && econtext != NULL)
		{
			TupleTableSlot *slot = scan->part_slot;
			MemoryContext percxt;
			ListCell   *lc;
			int			c;

			ExecClearTuple(slot);
			memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
			scan->err_log_file = f->path;
			percxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
			for (c = 0; c < scan->num_columns; c++)
			{
				const LakeScanColumn *col = &scan->columns[c];

				if (col->partition < 0)
					continue;
				slot->tts_values[col->attnum - 1] =
					lake_delta_partition_datum(f->partition_values[col->partition],
											   &snap->metadata.columns[col->delta_column],
											   col->typid, col->typmod,
											   &slot->tts_isnull[col->attnum - 1]);
			}
			MemoryContextSwitchTo(percxt);
			scan->err_log_file = NULL;
			ExecStoreVirtualTuple(slot);
			econtext->ecxt_scantuple = slot;
			foreach(lc, scan->part_quals)
			{
				if (!ExecQual((ExprState *) lfirst(lc), econtext))
				{
					keep = false;
					break;
				}
			}
			ResetExprContext(econtext);
		}

		for (q = 0; keep && q < scan->num_quals; q++)
		{
			const LakePushdownQual *qual = &scan->quals[q];
			const LakeScanColumn *col = NULL;
			int			c;

			for (c = 0; c < scan->num_columns; c++)
			{
				if (scan->columns[c].attnum == qual->attnum)
					col = &scan->columns[c];
			}
			if (col == NULL || col->partition >= 0 || col->delta_column < 0)
				continue;
			if (!lake_delta_stats_may_match(f, &snap->metadata.columns[col->delta_column],
											col->delta_column, qual, col->typid))
				keep = false;
		}
		if (!keep)
			continue;
		scan->files = lappend(scan->files, lake_delta_file_path(scan->path, f));
		scan->file_delta[n++] = i;
		if (!scan->needs_data && f->num_records >= 0)
			from_log++;
	}
	scan->delta_info.files_selected = n;
	scan->delta_info.files_from_log = from_log;
	MemoryContextSwitchTo(oldcxt);
}

/* The partition columns' values of a Delta file, in file_cxt. */
static void
lake_scan_delta_constants(LakeScanState *scan, const DeltaAddFile *file)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(scan->file_cxt);
	int			c;

	scan->err_log_file = file->path;
	for (c = 0; c < scan->num_columns; c++)
	{
		LakeScanColumn *col = &scan->columns[c];

		if (col->delta_column < 0)
		{
			/* not in the schema of the version read */
			col->is_const = true;
			col->const_null = true;
			col->const_value = (Datum) 0;
			continue;
		}
		if (col->partition < 0)
			continue;
		col->is_const = true;
		col->const_value = lake_delta_partition_datum(file->partition_values[col->partition],
													  &scan->snap->metadata.columns[col->delta_column],
													  col->typid, col->typmod, &col->const_null);
	}
	scan->err_log_file = NULL;
	MemoryContextSwitchTo(oldcxt);
}

/* The top-level field of the open file holding a Delta column's data, or -1. */
static int
lake_scan_delta_find_field(LakeScanState *scan, const LakeScanColumn *col)
{
	const DeltaColumn *dc = &scan->snap->metadata.columns[col->delta_column];

	if (scan->snap->metadata.column_mapping_mode == 2 && dc->field_id >= 0)
	{
		int			f;

		for (f = 0; f < scan->schema->num_fields; f++)
		{
			const ParquetSchemaElement *el = scan->schema->fields[f].element;

			if (el->has_field_id && el->field_id == dc->field_id)
				return f;
		}
	}
	return parquet_schema_find_field(scan->schema, col->field_name);
}

static const char *
lake_scan_file_path(LakeScanState *scan, int index)
{
	if (scan->shared != NULL)
		return scan->shared_paths[index];
	return (const char *) list_nth(scan->files, index);
}

/* Open file number index, match the columns and build its predicates. */
static void
lake_scan_open_file(LakeScanState *scan, int index)
{
	const char *path = lake_scan_file_path(scan, index);
	ParquetReaderOptions opts;
	LakeError	err;
	MemoryContext oldcxt;
	int			i;

	lake_scan_close_file(scan);
	MemoryContextRegisterResetCallback(scan->file_cxt, &scan->file_cb);
	scan->cur_file_index = index;
	scan->cur_file = path;
	scan->cur_file_scanned = false;
	scan->cur_rg = -1;
	scan->err_column = NULL;
	scan->file_open = true;
	scan->log_file = false;
	for (i = 0; i < scan->num_columns; i++)
		scan->columns[i].is_const = false;

	if (scan->is_delta)
	{
		const DeltaAddFile *f = &scan->snap->files[scan->file_delta[index]];

		lake_scan_delta_constants(scan, f);
		if (!scan->needs_data && f->num_records >= 0)
		{
			/* nothing to decode: the log says how many rows */
			scan->log_file = true;
			return;
		}
	}

	/* a table under a server's root reads nothing outside it, whatever links or the log say */
	if (scan->opts.root_real != NULL)
	{
		char		real[PATH_MAX];

		if (realpath(path, real) == NULL)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not resolve data file \"%s\": %m", path)));
		if (!lake_fdw_path_within(real, scan->opts.root_real))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("data file \"%s\" of foreign table \"%s\" is outside the root of server \"%s\"",
							path, scan->relname, scan->opts.server_name),
					 errdetail("It resolves to \"%s\".", real)));
	}

	lake_pg_error_init(&err);
	lake_pg_check(lake_input_open_file(path, &scan->input, &err), &err, path);
	scan->input_open = true;

	parquet_reader_options_init(&opts);
	opts.memory_budget = (uint64) lakehouse_reader_memory_budget * 1024;
	lake_pg_check(parquet_reader_open(&scan->file_alloc, &scan->input, path, &opts,
									  &scan->reader, &err),
				  &err, path);
	scan->md = parquet_reader_metadata(scan->reader);
	scan->schema = parquet_reader_schema(scan->reader);
	if (scan->shared == NULL)
		scan->counters.row_groups_total += scan->md->num_row_groups;

	/* match the columns by name and check their conversions */
	for (i = 0; i < scan->num_columns; i++)
	{
		LakeScanColumn *col = &scan->columns[i];
		int			field;
		int			scale;
		LakeSrcKind src;

		col->field = -1;
		col->leaf = -1;
		if (col->is_const)
			continue;
		if (scan->is_delta)
		{
			field = col->delta_column >= 0 ? lake_scan_delta_find_field(scan, col) : -1;
			if (field < 0)
			{
				/* a column added after this file was written */
				col->is_const = true;
				col->const_null = true;
				col->const_value = (Datum) 0;
				continue;
			}
		}
		else
			field = parquet_schema_find_field(scan->schema, col->field_name);

		if (field < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of foreign table \"%s\" is not in Parquet file \"%s\"",
							col->field_name, scan->relname, path),
					 strcmp(col->field_name, col->attname) != 0 ?
					 errdetail("The column_name option of column \"%s\" names it.", col->attname) : 0,
					 errhint("Columns match the file's top-level fields by name, exactly or else case-insensitively; the column option column_name gives another name.")));
		src = lake_conv_src_kind(scan->schema, field, &scale);
		if (!lake_conv_allowed(src, col->dst))
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s, which cannot hold Parquet type %s of file \"%s\"",
							col->attname, scan->relname, format_type_be(col->typid),
							lake_conv_describe_field(scan->schema, field), path)));
		col->field = field;
		col->leaf = (src == LAKE_SRC_NESTED) ? -1 : scan->schema->fields[field].first_leaf;
		col->conv.src = src;
		col->conv.dst = col->dst;
		col->conv.max_def = col->leaf >= 0 ? scan->schema->leaves[col->leaf].max_def : 0;
		col->conv.scale = scale;
		col->conv.typid = col->typid;
		col->conv.typmod = col->typmod;
		col->conv.column = col->attname;
	}

	/* the pushed-down quals in this file's representation */
	oldcxt = MemoryContextSwitchTo(scan->file_cxt);
	scan->preds = palloc0(sizeof(ParquetPredicate) * Max(scan->num_quals, 1));
	scan->num_preds = 0;
	for (i = 0; i < scan->num_quals; i++)
	{
		const LakePushdownQual *q = &scan->quals[i];
		const LakeScanColumn *col = NULL;
		ParquetValue *values;
		int			num_values;
		int			c;

		for (c = 0; c < scan->num_columns; c++)
		{
			if (scan->columns[c].attnum == q->attnum)
				col = &scan->columns[c];
		}
		if (col == NULL || col->leaf < 0)
			continue;
		if (!lake_pushdown_to_parquet(q, &col->conv, scan->schema->leaves[col->leaf].element,
									  &values, &num_values))
			continue;
		scan->preds[scan->num_preds].leaf = col->leaf;
		scan->preds[scan->num_preds].op = q->op;
		scan->preds[scan->num_preds].values = values;
		scan->preds[scan->num_preds].num_values = num_values;
		scan->num_preds++;
	}
	MemoryContextSwitchTo(oldcxt);
}

static void
lake_scan_close_row_group(LakeScanState *scan)
{
	int			i;

	for (i = 0; i < scan->num_columns; i++)
	{
		LakeScanColumn *col = &scan->columns[i];

		if (col->reader != NULL)
			parquet_column_reader_close(col->reader);
		if (col->field_reader != NULL)
			parquet_field_reader_close(col->field_reader);
		col->reader = NULL;
		col->field_reader = NULL;
		memset(&col->batch, 0, sizeof(col->batch));
		col->level_pos = col->value_pos = 0;
		col->json_rows = col->json_pos = 0;
	}
	scan->rg_rows_left = 0;
}

static void
lake_scan_close_file(LakeScanState *scan)
{
	lake_scan_close_row_group(scan);
	if (scan->reader != NULL)
		parquet_reader_close(scan->reader);
	scan->reader = NULL;
	if (scan->input_open)
		lake_input_close(&scan->input);
	scan->input_open = false;
	/* runs the callback if it is still registered: nothing left to do */
	MemoryContextReset(scan->file_cxt);
	scan->cur_file_index = -1;
	scan->cur_file = NULL;
	scan->cur_rg = -1;
	scan->file_open = false;
	scan->log_file = false;
}

/* The next (file, row group) to read; rg may be past the file's last. */
static bool
lake_scan_claim(LakeScanState *scan, int *file, int *rg)
{
	if (scan->shared != NULL)
	{
		LakeScanShared *sh = scan->shared;
		uint64		unit = pg_atomic_fetch_add_u64(&sh->next_unit, 1);
		int			f;

		for (f = 0; f < sh->num_files; f++)
		{
			if (unit < (uint64) scan->shared_rg_counts[f])
			{
				*file = f;
				*rg = (int) unit;
				return true;
			}
			unit -= scan->shared_rg_counts[f];
		}
		return false;
	}

	if (scan->reader != NULL && scan->cur_rg + 1 < scan->md->num_row_groups)
	{
		*file = scan->cur_file_index;
		*rg = scan->cur_rg + 1;
		return true;
	}
	if (scan->next_file >= list_length(scan->files))
		return false;
	*file = scan->next_file++;
	*rg = 0;
	return true;
}

/* Open the column readers of the next row group that may match. */
static bool
lake_scan_next_row_group(LakeScanState *scan)
{
	int			file;
	int			rg;

	lake_scan_close_row_group(scan);
	while (lake_scan_claim(scan, &file, &rg))
	{
		const ParquetRowGroup *group;
		LakeError	err;
		int			i;

		if (file != scan->cur_file_index || !scan->file_open)
			lake_scan_open_file(scan, file);
		if (scan->log_file)
		{
			int64		rows = scan->snap->files[scan->file_delta[file]].num_records;

			if (rg > 0 || rows <= 0)
				continue;
			scan->rg_rows_left = rows;
			return true;
		}
		if (rg >= scan->md->num_row_groups)
		{
			if (scan->shared != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
						 errmsg("Parquet file \"%s\" changed during the scan", scan->cur_file)));
			continue;
		}
		scan->cur_rg = rg;
		group = &scan->md->row_groups[rg];
		if (group->num_rows == 0)
			continue;
		if (scan->num_preds > 0 &&
			!parquet_reader_row_group_may_match(scan->reader, rg, scan->preds, scan->num_preds))
			continue;

		lake_pg_error_init(&err);
		for (i = 0; i < scan->num_columns; i++)
		{
			LakeScanColumn *col = &scan->columns[i];
			LakeStatus	st;

			if (col->is_const)
				continue;
			scan->err_column = col->attname;
			if (col->leaf >= 0)
				st = parquet_column_reader_open(scan->reader, rg, col->leaf, scan->batch_rows,
												&col->reader, &err);
			else
				st = parquet_field_reader_open(scan->reader, rg, col->field, scan->batch_rows,
											   &col->field_reader, &err);
			lake_pg_check(st, &err, scan->cur_file);
		}
		scan->err_column = NULL;
		scan->rg_rows_left = group->num_rows;

		if (scan->shared != NULL)
		{
			pg_atomic_fetch_add_u64(&scan->shared->row_groups_scanned, 1);
			if (!scan->cur_file_scanned)
				pg_atomic_fetch_add_u64(&scan->shared->files_scanned, 1);
		}
		scan->counters.row_groups_scanned++;
		if (!scan->cur_file_scanned)
			scan->counters.files_scanned++;
		scan->cur_file_scanned = true;
		return true;
	}
	lake_scan_close_file(scan);
	return false;
}

static void
lake_scan_short_column(LakeScanState *scan, LakeScanColumn *col)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid Parquet file \"%s\"", scan->cur_file),
			 errdetail("Column \"%s\" of row group %d has fewer values than the row group's " INT64_FORMAT " rows.",
					   col->field_name, scan->cur_rg, scan->md->row_groups[scan->cur_rg].num_rows)));
}

/* Decode the next n rows of one column into col->values / col->nulls. */
static void
lake_scan_fill_column(LakeScanState *scan, LakeScanColumn *col, size_t n)
{
	size_t		filled = 0;
	LakeError	err;

	if (col->is_const)
	{
		size_t		k;

		for (k = 0; k < n; k++)
		{
			col->values[k] = col->const_value;
			col->nulls[k] = col->const_null;
		}
		return;
	}
	lake_pg_error_init(&err);
	scan->err_column = col->attname;
	while (filled < n)
	{
		size_t		m;

		if (col->leaf >= 0)
		{
			if (col->level_pos >= col->batch.num_levels)
			{
				lake_pg_check(parquet_column_reader_next(col->reader, &col->batch, &err),
							  &err, scan->cur_file);
				col->level_pos = 0;
				col->value_pos = 0;
				if (col->batch.num_levels == 0)
					lake_scan_short_column(scan, col);
			}
			m = Min(n - filled, col->batch.num_levels - col->level_pos);
			lake_conv_fill(&col->conv, &col->batch, col->level_pos, &col->value_pos, m,
						   col->values + filled, col->nulls + filled);
			col->level_pos += m;
		}
		else
		{
			if (col->json_pos >= col->json_rows)
			{
				lake_pg_check(parquet_field_reader_next(col->field_reader, &col->json_rows,
														&col->json, &col->json_offsets,
														&col->json_nulls, &err),
							  &err, scan->cur_file);
				col->json_pos = 0;
				if (col->json_rows == 0)
					lake_scan_short_column(scan, col);
			}
			m = Min(n - filled, col->json_rows - col->json_pos);
			lake_conv_fill_json(&col->conv, col->json, col->json_offsets, col->json_nulls,
								col->json_pos, m, col->values + filled, col->nulls + filled);
			col->json_pos += m;
		}
		filled += m;
	}
	scan->err_column = NULL;
}

/* Decode the next batch of rows; false at the end of the scan. */
static bool
lake_scan_fetch_batch(LakeScanState *scan)
{
	for (;;)
	{
		if (scan->rg_rows_left > 0)
		{
			int64		n = Min((int64) scan->batch_rows, scan->rg_rows_left);
			MemoryContext oldcxt;
			int			i;

			MemoryContextReset(scan->batch_cxt);
			oldcxt = MemoryContextSwitchTo(scan->batch_cxt);
			for (i = 0; i < scan->num_columns; i++)
				lake_scan_fill_column(scan, &scan->columns[i], (size_t) n);
			MemoryContextSwitchTo(oldcxt);
			scan->rg_rows_left -= n;
			scan->batch_n = n;
			scan->batch_pos = 0;
			return true;
		}
		if (!lake_scan_next_row_group(scan))
			return false;
	}
}

TupleTableSlot *
lake_scan_next(LakeScanState *scan, TupleTableSlot *slot)
{
	int64		row;
	int			i;

	ExecClearTuple(slot);
	if (scan->batch_pos >= scan->batch_n)
	{
		bool		found;

		scan->errcb.previous = error_context_stack;
		error_context_stack = &scan->errcb;

		if (!scan->quals_evaluated && scan->num_quals > 0)
		{
			MemoryContextReset(scan->qual_cxt);
			lake_pushdown_evaluate(scan->quals, scan->num_quals, scan->qual_states,
								   scan->node->ss.ps.ps_ExprContext, scan->qual_cxt);
			scan->quals_evaluated = true;
		}
		if (scan->shared == NULL)
			lake_scan_list_files(scan);
		found = lake_scan_fetch_batch(scan);

		error_context_stack = scan->errcb.previous;
		if (!found)
			return slot;
	}

	row = scan->batch_pos++;
	memset(slot->tts_isnull, true, sizeof(bool) * slot->tts_tupleDescriptor->natts);
	for (i = 0; i < scan->num_columns; i++)
	{
		const LakeScanColumn *col = &scan->columns[i];

		slot->tts_values[col->attnum - 1] = col->values[row];
		slot->tts_isnull[col->attnum - 1] = col->nulls[row];
	}
	return ExecStoreVirtualTuple(slot);
}

void
lake_scan_rescan(LakeScanState *scan)
{
	lake_scan_close_file(scan);
	scan->next_file = 0;
	scan->batch_n = 0;
	scan->batch_pos = 0;
	scan->quals_evaluated = false;
	if (scan->is_delta)
		scan->files_listed = false; /* parameters may have changed: prune again */
	MemoryContextReset(scan->batch_cxt);
}

void
lake_scan_end(LakeScanState *scan)
{
	lake_scan_close_file(scan);
	MemoryContextDelete(scan->scan_cxt);
}

bool
lake_scan_delta_info(LakeScanState *scan, LakeScanDeltaInfo *info)
{
	if (!scan->is_delta)
		return false;
	*info = scan->delta_info;
	return true;
}

void
lake_scan_counters(const LakeScanState *scan, LakeScanCounters *counters)
{
	*counters = scan->counters;
	if (scan->shared != NULL && scan->shared->initialized)
	{
		counters->files_total = scan->shared->num_files;
		counters->row_groups_total = scan->shared->row_groups_total;
		counters->files_scanned = pg_atomic_read_u64(&scan->shared->files_scanned);
		counters->row_groups_scanned = pg_atomic_read_u64(&scan->shared->row_groups_scanned);
	}
}

/* Before the DSM goes: keep the shared counters for EXPLAIN ANALYZE. */
void
lake_scan_shutdown(LakeScanState *scan)
{
	if (scan->shared != NULL)
	{
		lake_scan_counters(scan, &scan->counters);
		lake_scan_close_file(scan);
		scan->shared = NULL;
		scan->files_listed = true;	/* nothing more to scan */
		scan->next_file = list_length(scan->files);
	}
}

/* ------------------------------------------------------------ parallel */

Size
lake_scan_parallel_size(void)
{
	return offsetof(LakeScanShared, data) + LAKE_SCAN_SHARED_BYTES;
}

/* Attach the local arrays to what the leader wrote. */
static void
lake_scan_parallel_map(LakeScanState *scan, LakeScanShared *sh)
{
	char	   *p;
	int			i;

	scan->shared = sh;
	scan->shared_rg_counts = (int32 *) sh->data;
	scan->shared_paths = MemoryContextAlloc(scan->scan_cxt, sizeof(char *) * Max(sh->num_files, 1));
	p = sh->data + sizeof(int32) * sh->num_files;
	for (i = 0; i < sh->num_files; i++)
	{
		scan->shared_paths[i] = p;
		p += strlen(p) + 1;
	}
}

/*
 * Leader: list the files, count their row groups (reading the footers) and
 * publish both; workers then take units (file, row group) by number.
 */
void
lake_scan_parallel_init(LakeScanState *scan, void *shared)
{
	LakeScanShared *sh = (LakeScanShared *) shared;
	List	   *files;
	ListCell   *lc;
	Size		need;
	char	   *p;
	int			i;
	MemoryContext oldcxt;

	SpinLockInit(&sh->mutex);
	pg_atomic_init_u64(&sh->next_unit, 0);
	pg_atomic_init_u64(&sh->files_scanned, 0);
	pg_atomic_init_u64(&sh->row_groups_scanned, 0);
	sh->row_groups_total = 0;

	oldcxt = MemoryContextSwitchTo(scan->scan_cxt);
	files = lake_files_list(scan->path, false);
	MemoryContextSwitchTo(oldcxt);

	need = sizeof(int32) * list_length(files);
	foreach(lc, files)
		need += strlen((char *) lfirst(lc)) + 1;
	if (need > LAKE_SCAN_SHARED_BYTES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("foreign table \"%s\" has too many files for a parallel scan", scan->relname),
				 errhint("Set max_parallel_workers_per_gather to 0 for this query.")));

	sh->num_files = list_length(files);
	p = sh->data + sizeof(int32) * sh->num_files;
	i = 0;
	foreach(lc, files)
	{
		const char *path = lfirst(lc);
		int			groups = lake_files_row_groups(path);

		((int32 *) sh->data)[i++] = groups;
		sh->row_groups_total += groups;
		strcpy(p, path);
		p += strlen(path) + 1;
	}
	sh->initialized = true;
	lake_scan_parallel_map(scan, sh);
}

void
lake_scan_parallel_attach(LakeScanState *scan, void *shared)
{
	lake_scan_parallel_map(scan, (LakeScanShared *) shared);
}

void
lake_scan_parallel_reinit(LakeScanState *scan, void *shared)
{
	LakeScanShared *sh = (LakeScanShared *) shared;

	pg_atomic_write_u64(&sh->next_unit, 0);
}
