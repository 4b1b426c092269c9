/*
 * optimize.c
 *	  OPTIMIZE of Delta foreign tables: lakehouse.optimize(target,
 *	  zorder_by, "where") and its C entry lake_optimize() (the pipeline
 *	  worker's scheduled runs), and lakehouse.zorder_key(float8[]).
 *
 * The files to rewrite are chosen from the latest snapshot (version V):
 * without ZORDER BY the small ones (under 3/4 of lakehouse.target_file_size)
 * of each partition holding two or more; with it every file of the
 * partitions in scope.  Their rows are read back through the ordinary
 * scan, pinned to V and to exactly those files, and written again through
 * the ordinary pending write (fdw_write.c), which cuts files of about
 * lakehouse.target_file_size; with ZORDER BY the rows go in Z-order of the
 * columns' ranks (percent_rank, so any orderable type and any skew), so
 * each new file covers a narrow range of every such column.  One commit:
 * operation OPTIMIZE, the new files added and the old ones removed with
 * dataChange false, read version V.  Concurrent appends do not conflict
 * with it; a concurrent commit that removed one of the same files does
 * (40001), and nothing is lost either way.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "../fdw/lake_fdw.h"
#include "iot_lakehouse.h"
#include "lake/zorder.h"
#include "lake_maintenance.h"
#include "lake_pg.h"

PG_FUNCTION_INFO_V1(lakehouse_optimize);
PG_FUNCTION_INFO_V1(lakehouse_zorder_key);

/* The state of one OPTIMIZE. */
typedef struct OptimizeState
{
	Oid			relid;
	Relation	rel;
	const DeltaSnapshot *snap;
	int			npc;			/* partition columns */
	int		   *order;			/* file indexes sorted by partition tuple, then path */
} OptimizeState;

static OptimizeState *optimize_sort_state = NULL;

static int	optimize_partition_cmp(const DeltaAddFile *a, const DeltaAddFile *b, int npc);
static int	optimize_order_cmp(const void *x, const void *y);
static bool optimize_partition_selected(OptimizeState *os, const DeltaAddFile *f, const char *where);
static char *optimize_json_array(List *names);
static int	optimize_int_cmp(const void *x, const void *y);

/* Partition tuples compared value by value, NULL first. */
static int
optimize_partition_cmp(const DeltaAddFile *a, const DeltaAddFile *b, int npc)
{
	int			i;

	for (i = 0; i < npc; i++)
	{
		const char *x = a->partition_values[i];
		const char *y = b->partition_values[i];
		int			c;

		if (x == NULL || y == NULL)
		{
			if (x != y)
				return x == NULL ? -1 : 1;
			continue;
		}
		if ((c = strcmp(x, y)) != 0)
			return c;
	}
	return 0;
}

static int
optimize_order_cmp(const void *x, const void *y)
{
	int			a = *(const int *) x;
	int			b = *(const int *) y;
	int			c = optimize_partition_cmp(&optimize_sort_state->snap->files[a],
										   &optimize_sort_state->snap->files[b],
										   optimize_sort_state->npc);

	return c != 0 ? c : (a < b ? -1 : a > b);
}

/*
 * Whether where holds for the partition of f: evaluated by SPI over the
 * partition values, typed as the foreign table's columns.
 */
static bool
optimize_partition_selected(OptimizeState *os, const DeltaAddFile *f, const char *where)
{
	const DeltaMetadata *md = &os->snap->metadata;
	StringInfoData sql;
	Oid		   *types = palloc(sizeof(Oid) * os->npc);
	Datum	   *values = palloc(sizeof(Datum) * os->npc);
	char	   *nulls = palloc(sizeof(char) * os->npc);
	bool		isnull;
	bool		result;
	int			i;

	initStringInfo(&sql);
	appendStringInfoString(&sql, "SELECT (");
	appendStringInfoString(&sql, where);
	appendStringInfoString(&sql, ")::pg_catalog.bool FROM (SELECT ");
	for (i = 0; i < os->npc; i++)
	{
		const DeltaColumn *col = &md->columns[md->partition_column_index[i]];
		int32		typmod;
		Oid			typid = lake_delta_column_type(col, &typmod);

		types[i] = TEXTOID;
		values[i] = f->partition_values[i] != NULL ? CStringGetTextDatum(f->partition_values[i]) : (Datum) 0;
		nulls[i] = f->partition_values[i] != NULL ? ' ' : 'n';
		appendStringInfo(&sql, "%s$%d::%s AS %s", i > 0 ? ", " : "", i + 1,
						 format_type_with_typemod(typid, typmod), quote_identifier(col->name));
	}
	appendStringInfoString(&sql, ") AS partition_values");
	if (SPI_execute_with_args(sql.data, os->npc, types, values, nulls, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not evaluate the OPTIMIZE predicate");
	result = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	return !isnull && result;
}

static int
optimize_int_cmp(const void *x, const void *y)
{
	int			a = *(const int *) x;
	int			b = *(const int *) y;

	return a < b ? -1 : a > b;
}

/* ["a","b"] as the JSON text of a string (how Spark records zOrderBy and predicate) */
static char *
optimize_json_array(List *names)
{
	StringInfoData arr;
	StringInfoData out;
	ListCell   *lc;

	initStringInfo(&arr);
	appendStringInfoChar(&arr, '[');
	foreach(lc, names)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoChar(&arr, ',');
		escape_json(&arr, strVal(lfirst(lc)));
	}
	appendStringInfoChar(&arr, ']');
	initStringInfo(&out);
	escape_json(&out, arr.data);
	return out.data;
}

void
lake_optimize(Oid relid, List *zorder_by, const char *where, bool only_small, LakeOptimizeResult *res)
{
	OptimizeState os;
	char	   *dir;
	MemoryContext cxt;
	MemoryContext oldcxt;
	LakeAllocator alloc;
	LakeError	err;
	DeltaSnapshot *snap;
	LakeWriteTable *wt;
	const LakeWriteColumn *cols;
	int			ncols;
	int			i,
				g;
	int64		small = (int64) lakehouse_target_file_size * 1024 * 3 / 4;
	int		   *chosen;
	int			nchosen = 0;
	DeltaRemoveFile *removes;
	const char **paths;
	StringInfoData sql;
	StringInfoData collist;
	StringInfoData params;
	ListCell   *lc;
	TupleDesc	tupdesc;
	LakeDeltaSpec spec;
	int			nadded = 0;
	int64		bytes_added = 0;
	char	   *relname;

	memset(res, 0, sizeof(*res));
	res->version = -1;
	dir = lake_maintenance_table_dir(relid, "optimize", false);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse optimize", ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	lake_pg_allocator_init(&alloc, cxt);
	lake_pg_error_init(&err);
	if (delta_snapshot_load(&alloc, dir, -1, &snap, &err) != LAKE_OK)
		lake_delta_report(&err, dir);

	memset(&os, 0, sizeof(os));
	os.relid = relid;
	os.snap = snap;
	os.npc = snap->metadata.num_partition_columns;
	os.rel = table_open(relid, RowExclusiveLock);
	relname = quote_qualified_identifier(get_namespace_name(RelationGetNamespace(os.rel)),
										 RelationGetRelationName(os.rel));

	/* the rewrite must carry every column of the Delta table */
	wt = lake_write_table(os.rel);
	cols = lake_write_columns(wt, &ncols);
	for (i = 0; i < ncols; i++)
		if (cols[i].attnum == 0)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot optimize \"%s\": column \"%s\" of its Delta table is not a column of the foreign table",
							RelationGetRelationName(os.rel), cols[i].col->name),
					 errhint("OPTIMIZE rewrites rows through the foreign table: it must have every column.")));
	tupdesc = RelationGetDescr(os.rel);

	/* ZORDER BY: columns of the foreign table, not partition columns */
	foreach(lc, zorder_by)
	{
		const char *name = strVal(lfirst(lc));
		AttrNumber	attnum = get_attnum(relid, name);

		if (attnum == InvalidAttrNumber)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of ZORDER BY is not a column of \"%s\"", name,
							RelationGetRelationName(os.rel))));
		for (i = 0; i < ncols; i++)
			if (cols[i].attnum == attnum && cols[i].col->partition_index >= 0)
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cannot Z-order by partition column \"%s\"", name),
						 errdetail("Files hold one value of a partition column each: ordering by it gains nothing.")));
	}
	if (list_length(zorder_by) > ZORDER_MAX_DIMS)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("ZORDER BY takes at most %d columns", ZORDER_MAX_DIMS)));
	if (where != NULL && os.npc == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the \"where\" of OPTIMIZE selects partitions, and \"%s\" is not partitioned",
						RelationGetRelationName(os.rel))));

	/* group the files by partition; choose what to rewrite */
	os.order = palloc(sizeof(int) * Max(snap->num_files, 1));
	for (i = 0; i < snap->num_files; i++)
		os.order[i] = i;
	optimize_sort_state = &os;
	qsort(os.order, snap->num_files, sizeof(int), optimize_order_cmp);
	optimize_sort_state = NULL;
	chosen = palloc(sizeof(int) * Max(snap->num_files, 1));
	if (where != NULL && SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	for (g = 0; g < snap->num_files;)
	{
		int			end = g + 1;
		int			nsmall = 0;
		int			k;

		while (end < snap->num_files &&
			   optimize_partition_cmp(&snap->files[os.order[g]], &snap->files[os.order[end]], os.npc) == 0)
			end++;
		if (where == NULL || optimize_partition_selected(&os, &snap->files[os.order[g]], where))
		{
			for (k = g; k < end; k++)
				nsmall += snap->files[os.order[k]].size < small;
			if (zorder_by != NIL && !only_small)
			{
				for (k = g; k < end; k++)
					chosen[nchosen++] = os.order[k];
				res->partitions++;
			}
			else if (nsmall >= 2)
			{
				for (k = g; k < end; k++)
					if (snap->files[os.order[k]].size < small)
						chosen[nchosen++] = os.order[k];
				res->partitions++;
			}
		}
		g = end;
	}
	if (where != NULL)
		SPI_finish();
	if (nchosen == 0)
	{
		table_close(os.rel, NoLock);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextDelete(cxt);
		return;
	}

	/* the files to read (sorted by path, as the scan's filter wants) and to remove */
	qsort(chosen, nchosen, sizeof(int), optimize_int_cmp);
	paths = palloc(sizeof(char *) * nchosen);
	removes = palloc0(sizeof(DeltaRemoveFile) * nchosen);
	for (i = 0; i < nchosen; i++)
	{
		const DeltaAddFile *f = &snap->files[chosen[i]];

		paths[i] = f->path;
		removes[i].path = f->path;
		removes[i].data_change = false;
		removes[i].size = f->size;
		removes[i].partition_values = f->partition_values;
		res->files_removed++;
		res->bytes_removed += f->size;
	}

	/* read them back and write them again, in Z-order if asked */
	initStringInfo(&collist);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		if (att->attisdropped)
			continue;
		appendStringInfo(&collist, "%s%s", collist.len > 0 ? ", " : "", quote_identifier(NameStr(att->attname)));
	}
	initStringInfo(&sql);
	if (zorder_by == NIL)
		appendStringInfo(&sql, "INSERT INTO %s (%s) SELECT %s FROM %s", relname, collist.data, collist.data,
						 relname);
	else
	{
		appendStringInfo(&sql, "INSERT INTO %s (%s) SELECT %s FROM (SELECT %s", relname, collist.data,
						 collist.data, collist.data);
		foreach(lc, zorder_by)
			appendStringInfo(&sql, ", pg_catalog.percent_rank() OVER (ORDER BY %s) AS __zorder_%d",
							 quote_identifier(strVal(lfirst(lc))), foreach_current_index(lc));
		appendStringInfo(&sql, " FROM %s) AS __zorder ORDER BY lakehouse.zorder_key(ARRAY[", relname);
		foreach(lc, zorder_by)
			appendStringInfo(&sql, "%s__zorder_%d", foreach_current_index(lc) > 0 ? ", " : "",
							 foreach_current_index(lc));
		appendStringInfoString(&sql, "])");
	}
	memset(&spec, 0, sizeof(spec));
	spec.kind = LAKE_DELTA_VERSION;
	spec.version = snap->version;
	spec.only_paths = paths;
	spec.num_only_paths = nchosen;
	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lake_delta_push_override(relid, &spec);
	PG_TRY();
	{
		if (SPI_execute(sql.data, false, 0) != SPI_OK_INSERT)
			elog(ERROR, "OPTIMIZE could not rewrite \"%s\"", relname);
		res->rows = (int64) SPI_processed;
	}
	PG_FINALLY();
	{
		lake_delta_pop_override();
	}
	PG_END_TRY();
	SPI_finish();

	/* one commit: the new files without dataChange, the old ones removed */
	initStringInfo(&params);
	appendStringInfoString(&params, "{\"predicate\":");
	if (where != NULL)
	{
		StringInfoData pred;

		initStringInfo(&pred);
		appendStringInfoChar(&pred, '[');
		escape_json(&pred, where);
		appendStringInfoChar(&pred, ']');
		escape_json(&params, pred.data);
	}
	else
		appendStringInfoString(&params, "\"[]\"");
	appendStringInfo(&params, ",\"zOrderBy\":%s}", optimize_json_array(zorder_by));
	wt = lake_write_table(os.rel);
	lake_write_set_rewrite(wt, snap->version, removes, nchosen, "OPTIMIZE", params.data);
	res->version = lake_write_commit_now_files(wt, &nadded, &bytes_added);
	res->files_added = nadded;
	res->bytes_added = bytes_added;
	table_close(os.rel, NoLock);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
}

/*
 * lakehouse.optimize(target regclass, zorder_by text[] DEFAULT NULL,
 * "where" text DEFAULT NULL) RETURNS TABLE(version bigint, files_removed
 * bigint, files_added bigint, bytes_removed bigint, bytes_added bigint,
 * rows bigint, partitions bigint)
 */
Datum
lakehouse_optimize(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	List	   *zorder_by = NIL;
	char	   *where = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	LakeOptimizeResult r;
	Datum		values[7];
	bool		nulls[7];

	if (!pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	if (!PG_ARGISNULL(1))
	{
		ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(1);
		Datum	   *elems;
		bool	   *elnulls;
		int			n;
		int			i;

		deconstruct_array(arr, TEXTOID, -1, false, TYPALIGN_INT, &elems, &elnulls, &n);
		for (i = 0; i < n; i++)
		{
			if (elnulls[i])
				ereport(ERROR,
						(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
						 errmsg("ZORDER BY column names must not be null")));
			zorder_by = lappend(zorder_by, makeString(TextDatumGetCString(elems[i])));
		}
	}
	lake_optimize(relid, zorder_by, where, false, &r);

	InitMaterializedSRF(fcinfo, 0);
	memset(nulls, 0, sizeof(nulls));
	values[0] = Int64GetDatum(r.version);
	nulls[0] = (r.version < 0);
	values[1] = Int64GetDatum(r.files_removed);
	values[2] = Int64GetDatum(r.files_added);
	values[3] = Int64GetDatum(r.bytes_removed);
	values[4] = Int64GetDatum(r.bytes_added);
	values[5] = Int64GetDatum(r.rows);
	values[6] = Int64GetDatum(r.partitions);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	return (Datum) 0;
}

/*
 * lakehouse.zorder_key(float8[]) RETURNS bigint: the Z-order key of
 * coordinates in [0, 1] (NULL counts as 1: last), lake/zorder.c.
 */
Datum
lakehouse_zorder_key(PG_FUNCTION_ARGS)
{
	ArrayType  *arr = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *elnulls;
	int			n;
	double		coords[ZORDER_MAX_DIMS];
	int			i;

	deconstruct_array(arr, FLOAT8OID, sizeof(float8), FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  &elems, &elnulls, &n);
	if (n < 1 || n > ZORDER_MAX_DIMS)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("a Z-order key takes 1 to %d coordinates, not %d", ZORDER_MAX_DIMS, n)));
	for (i = 0; i < n; i++)
		coords[i] = elnulls[i] ? 1.0 : DatumGetFloat8(elems[i]);
	PG_RETURN_INT64((int64) zorder_key(coords, n));
}
