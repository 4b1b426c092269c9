/*
 * delta_functions.c
 *	  The SQL functions over Delta foreign tables: lakehouse.history(regclass)
 *	  (DESCRIBE HISTORY) and lakehouse.as_of(NULL::table, version, timestamp)
 *	  (the table's rows at a version, inline in any query).
 *
 * as_of runs "SELECT * FROM table" through SPI while an override tells the
 * FDW which version to read for that table (fdw_delta.c), so the scan is
 * the ordinary one: same pushdown, same errors, and the caller's SELECT
 * privilege is checked as for any query.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "../fdw/lake_fdw.h"
#include "lake_pg.h"

/* rows fetched from the SPI cursor at a time */
#define LAKE_AS_OF_FETCH 1000

/* SQL functions */
PG_FUNCTION_INFO_V1(lakehouse_history);
PG_FUNCTION_INFO_V1(lakehouse_as_of);
PG_FUNCTION_INFO_V1(lakehouse_table_changes);

/* helpers */
static char *lake_delta_table_dir(Oid relid, LakeFdwOptions *opts);
static Datum lake_json_datum(const char *text, bool *isnull);
static Datum lake_rows_at(FunctionCallInfo fcinfo, Oid relid, const LakeDeltaSpec *spec);
static Oid	lake_rows_relid(FunctionCallInfo fcinfo, const char *fname);

/* The directory of the Delta foreign table relid (an error for anything else). */
static char *
lake_delta_table_dir(Oid relid, LakeFdwOptions *opts)
{
	if (!lake_fdw_is_lake_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table of iot_lakehouse_fdw",
						get_rel_name(relid) != NULL ? get_rel_name(relid) : "?")));
	lake_fdw_get_options(relid, opts);
	lake_fdw_resolve(opts);
	if (!opts->is_delta)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("foreign table \"%s\" is not a Delta table", get_rel_name(relid)),
				 errdetail("\"%s\" holds no _delta_log directory.", opts->location)));
	return opts->location;
}

static Datum
lake_json_datum(const char *text, bool *isnull)
{
	*isnull = (text == NULL);
	if (text == NULL)
		return (Datum) 0;
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(text));
}

/*
 * lakehouse.history(regclass) RETURNS TABLE(version bigint, "timestamp"
 * timestamptz, operation text, operation_parameters jsonb,
 * operation_metrics jsonb, engine text), newest first.
 */
Datum
lakehouse_history(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	LakeFdwOptions opts;
	const char *dir;
	MemoryContext cxt;
	LakeAllocator alloc;
	LakeError	err;
	DeltaHistoryEntry *entries;
	int			n;
	int			i;
	AclResult	aclresult;

	dir = lake_delta_table_dir(relid, &opts);
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_SELECT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_TABLE, get_rel_name(relid));

	InitMaterializedSRF(fcinfo, 0);

	cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse history",
								ALLOCSET_DEFAULT_SIZES);
	lake_pg_allocator_init(&alloc, cxt);
	lake_pg_error_init(&err);
	if (delta_history(&alloc, dir, &entries, &n, &err) != LAKE_OK)
		lake_delta_report(&err, dir);

	for (i = 0; i < n; i++)
	{
		const DeltaHistoryEntry *e = &entries[i];
		Datum		values[6];
		bool		nulls[6];

		memset(nulls, false, sizeof(nulls));
		values[0] = Int64GetDatum(e->version);
		values[1] = TimestampTzGetDatum((TimestampTz) (e->timestamp_ms * 1000 -
													   (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY));
		nulls[2] = (e->operation == NULL);
		if (!nulls[2])
			values[2] = CStringGetTextDatum(e->operation);
		values[3] = lake_json_datum(e->operation_parameters, &nulls[3]);
		values[4] = lake_json_datum(e->operation_metrics, &nulls[4]);
		nulls[5] = (e->engine_info == NULL);
		if (!nulls[5])
			values[5] = CStringGetTextDatum(e->engine_info);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(cxt);
	return (Datum) 0;
}


/* The foreign table whose row type the first argument of fname is. */
static Oid
lake_rows_relid(FunctionCallInfo fcinfo, const char *fname)
{
	Oid			argtype = get_fn_expr_argtype(fcinfo->flinfo, 0);
	Oid			relid = OidIsValid(argtype) ? get_typ_typrelid(argtype) : InvalidOid;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("the first argument of lakehouse.%s must be the row type of a foreign table", fname),
				 errhint("Pass NULL::schema.table.")));
	return relid;
}

/*
 * The rows of relid read at spec, into the SRF's tuplestore: "SELECT * FROM
 * rel" through SPI while an override tells the scan which version (or
 * which changes) to read.
 */
static Datum
lake_rows_at(FunctionCallInfo fcinfo, Oid relid, const LakeDeltaSpec *spec)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	TupleDesc	tupdesc;
	Datum	   *values;
	bool	   *nulls;
	char	   *sql;
	Portal		portal;
	SPIPlanPtr	plan;

	InitMaterializedSRF(fcinfo, 0);
	tupdesc = rsinfo->setDesc;
	values = palloc(sizeof(Datum) * tupdesc->natts);
	nulls = palloc(sizeof(bool) * tupdesc->natts);

	sql = psprintf("SELECT * FROM %s",
				   quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
											  get_rel_name(relid)));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");
	lake_delta_push_override(relid, spec);
	PG_TRY();
	{
		plan = SPI_prepare(sql, 0, NULL);
		if (plan == NULL)
			elog(ERROR, "SPI_prepare(\"%s\") failed: %s", sql, SPI_result_code_string(SPI_result));
		portal = SPI_cursor_open(NULL, plan, NULL, NULL, true);
		for (;;)
		{
			uint64		r;

			SPI_cursor_fetch(portal, true, LAKE_AS_OF_FETCH);
			if (SPI_processed == 0)
				break;
			for (r = 0; r < SPI_processed; r++)
			{
				HeapTuple	tup = SPI_tuptable->vals[r];
				int			src = 0;
				int			a;

				/* the row type keeps dropped columns; SELECT * leaves them out */
				for (a = 0; a < tupdesc->natts; a++)
				{
					if (TupleDescAttr(tupdesc, a)->attisdropped)
					{
						values[a] = (Datum) 0;
						nulls[a] = true;
						continue;
					}
					src++;
					values[a] = SPI_getbinval(tup, SPI_tuptable->tupdesc, src, &nulls[a]);
				}
				tuplestore_putvalues(rsinfo->setResult, tupdesc, values, nulls);
			}
			SPI_freetuptable(SPI_tuptable);
		}
		SPI_cursor_close(portal);
	}
	PG_FINALLY();
	{
		lake_delta_pop_override();
	}
	PG_END_TRY();
	SPI_finish();
	return (Datum) 0;
}

/*
 * lakehouse.as_of(rel anyelement, version bigint DEFAULT NULL,
 * "timestamp" timestamptz DEFAULT NULL) RETURNS SETOF anyelement: the rows
 * of the foreign table whose row type rel is, at a version or as of an
 * instant.
 */
Datum
lakehouse_as_of(PG_FUNCTION_ARGS)
{
	Oid			relid = lake_rows_relid(fcinfo, "as_of");
	LakeFdwOptions opts;
	LakeDeltaSpec spec;
	const char *dir;

	dir = lake_delta_table_dir(relid, &opts);

	memset(&spec, 0, sizeof(spec));
	if (!PG_ARGISNULL(1) && !PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lakehouse.as_of takes a version or a timestamp, not both")));
	if (!PG_ARGISNULL(1))
	{
		spec.kind = LAKE_DELTA_VERSION;
		spec.version = PG_GETARG_INT64(1);
		if (spec.version < 0)
		{
			LakeDeltaSpec latest;
			const DeltaSnapshot *snap;

			memset(&latest, 0, sizeof(latest));
			latest.kind = LAKE_DELTA_LATEST;
			snap = lake_delta_acquire(dir, &latest, NULL);
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("Delta table \"%s\": version " INT64_FORMAT " does not exist: versions " INT64_FORMAT " to " INT64_FORMAT " can be read",
							dir, spec.version, snap->earliest_version, snap->version)));
		}
	}
	else if (!PG_ARGISNULL(2))
	{
		spec.kind = LAKE_DELTA_TIMESTAMP;
		spec.timestamp = PG_GETARG_TIMESTAMPTZ(2);
	}
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lakehouse.as_of needs a version or a timestamp"),
				 errhint("Call lakehouse.as_of(NULL::schema.table, version => 3) or lakehouse.as_of(NULL::schema.table, \"timestamp\" => '2024-01-01 00:00+00').")));

	return lake_rows_at(fcinfo, relid, &spec);
}

/*
 * lakehouse.table_changes(rel anyelement, from_version bigint, to_version
 * bigint DEFAULT NULL) RETURNS SETOF anyelement: the rows that versions
 * from_version..to_version (NULL: the latest) appended to the table, as
 * Databricks' table_changes for inserts: the data files those commits
 * added with dataChange, whatever became of them later (OPTIMIZE's
 * rewrites are not changes).  Updates and deletes are not reported.
 */
Datum
lakehouse_table_changes(PG_FUNCTION_ARGS)
{
	Oid			relid = lake_rows_relid(fcinfo, "table_changes");
	LakeFdwOptions opts;
	LakeDeltaSpec spec;

	(void) lake_delta_table_dir(relid, &opts);
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("lakehouse.table_changes needs the first version of the changes")));
	memset(&spec, 0, sizeof(spec));
	spec.kind = LAKE_DELTA_CHANGES;
	spec.from_version = PG_GETARG_INT64(1);
	spec.version = PG_ARGISNULL(2) ? -1 : PG_GETARG_INT64(2);
	if (spec.from_version < 0 || (!PG_ARGISNULL(2) && spec.version < 0))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table versions are not negative")));
	return lake_rows_at(fcinfo, relid, &spec);
}
