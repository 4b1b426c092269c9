/*
 * maintenance.c
 *	  VACUUM and RESTORE of Delta foreign tables: lakehouse.vacuum(target,
 *	  retain, dry_run, retention_check) and lakehouse.restore(target,
 *	  version, "timestamp").  The plans are lake/'s (delta_maintenance.h);
 *	  this file checks roles and arguments, turns intervals and instants
 *	  into milliseconds, commits the RESTORE and reports.
 *
 * Both need ownership of the table and pg_write_server_files (they delete
 * or rewrite the server's files).  VACUUM refuses a retention shorter than
 * the table's delta.deletedFileRetentionDuration (default 1 week) unless
 * retention_check is false: a shorter one can delete files that a reader
 * time-travelling inside the table's stated retention still needs.
 */
#include "postgres.h"

#include "catalog/pg_authid.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

#include "../fdw/lake_fdw.h"
#include "lake/delta_maintenance.h"
#include "lake_maintenance.h"
#include "lake_pg.h"

/* microseconds between 1970-01-01 and 2000-01-01 */
#define MAINT_UNIX_TO_PG_USECS ((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

PG_FUNCTION_INFO_V1(lakehouse_vacuum);
PG_FUNCTION_INFO_V1(lakehouse_restore);

static int64 maintenance_now_ms(void);

/*
 * The Delta table directory of relid, after the checks every maintenance
 * operation needs: a Delta foreign table, not pinned to a version, no rows
 * of this transaction pending for it; with check_privileges also
 * ownership and pg_write_server_files.
 */
char *
lake_maintenance_table_dir(Oid relid, const char *what, bool check_privileges)
{
	LakeFdwOptions opts;

	if (!lake_fdw_is_lake_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table of iot_lakehouse_fdw",
						get_rel_name(relid) != NULL ? get_rel_name(relid) : "?")));
	if (check_privileges && !pg_class_ownercheck(relid, GetUserId()))
		aclcheck_error(ACLCHECK_NOT_OWNER, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	if (check_privileges && !has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to %s Delta table \"%s\"", what, get_rel_name(relid)),
				 errdetail("Only superusers and roles with privileges of the pg_write_server_files role may change files on the server.")));
	if (lake_write_pending_rows(relid) > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("cannot %s \"%s\": this transaction has written rows to it", what, get_rel_name(relid)),
				 errhint("Commit the transaction first.")));
	lake_fdw_get_options(relid, &opts);
	if (opts.version != NULL || opts.timestamp != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot %s foreign table \"%s\": it is pinned to a %s", what, get_rel_name(relid),
						opts.version != NULL ? "version" : "timestamp"),
				 errhint("Use a foreign table on the same path without time travel options.")));
	lake_fdw_resolve(&opts);
	if (!opts.is_delta)
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("foreign table \"%s\" is not a Delta table", get_rel_name(relid))));
	return opts.location;
}

static int64
maintenance_now_ms(void)
{
	return (GetCurrentTimestamp() + MAINT_UNIX_TO_PG_USECS) / 1000;
}

/*
 * lakehouse.vacuum(target regclass, retain interval DEFAULT '7 days',
 * dry_run boolean DEFAULT false, retention_check boolean DEFAULT true)
 * RETURNS TABLE(path text, size bigint, modified timestamptz): the data
 * files deleted (with dry_run: that would be).
 */
Datum
lakehouse_vacuum(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Interval   *retain = PG_GETARG_INTERVAL_P(1);
	bool		dry_run = PG_GETARG_BOOL(2);
	bool		retention_check = PG_GETARG_BOOL(3);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *dir = lake_maintenance_table_dir(relid, "vacuum", true);
	MemoryContext cxt;
	LakeAllocator alloc;
	LakeError	err;
	DeltaSnapshot *snap;
	DeltaVacuumPlan *plan;
	int64		retain_ms;
	int64		table_ms;
	int64		deleted = 0;
	int64		dirs = 0;
	int			i;

	if (retain->month != 0 || retain->day < 0 || retain->time < 0 ||
		retain->day > 100 * 365 || retain->time > (int64) 100 * 365 * USECS_PER_DAY)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the retention of VACUUM must be a non-negative interval of days, hours, minutes or seconds"),
				 errhint("Months have no fixed length: write 30 days.")));
	retain_ms = ((int64) retain->day * USECS_PER_DAY + retain->time) / 1000;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse vacuum", ALLOCSET_DEFAULT_SIZES);
	lake_pg_allocator_init(&alloc, cxt);
	lake_pg_error_init(&err);
	if (delta_snapshot_load(&alloc, dir, -1, &snap, &err) != LAKE_OK ||
		delta_config_interval_ms(&snap->metadata, DELTA_DELETED_FILE_RETENTION_KEY,
								 DELTA_DEFAULT_DELETED_FILE_RETENTION_MS, &table_ms, &err) != LAKE_OK)
		lake_delta_report(&err, dir);
	if (retention_check && retain_ms < table_ms)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot vacuum Delta table \"%s\" with a retention of %s", dir,
						DatumGetCString(DirectFunctionCall1(interval_out, IntervalPGetDatum(retain)))),
				 errdetail("Its delta.deletedFileRetentionDuration is " INT64_FORMAT " hours: files that time travel inside it needs would be deleted.",
						   table_ms / 3600000),
				 errhint("Pass retention_check => false if no reader needs versions older than the retention.")));

	if (delta_vacuum_plan(&alloc, dir, maintenance_now_ms(), retain_ms, &plan, &err) != LAKE_OK)
		lake_delta_report(&err, dir);
	if (!dry_run && delta_vacuum_execute(plan, &deleted, &dirs, &err) != LAKE_OK)
		lake_delta_report(&err, dir);
	if (!dry_run)
		ereport(DEBUG1,
				(errmsg("VACUUM of Delta table \"%s\" deleted " INT64_FORMAT " files and " INT64_FORMAT " directories",
						dir, deleted, dirs)));

	InitMaterializedSRF(fcinfo, 0);
	for (i = 0; i < plan->num_files; i++)
	{
		Datum		values[3];
		bool		nulls[3] = {false, false, false};

		values[0] = CStringGetTextDatum(plan->files[i].path);
		values[1] = Int64GetDatum(plan->files[i].size);
		values[2] = TimestampTzGetDatum(plan->files[i].mtime_ms * 1000 - MAINT_UNIX_TO_PG_USECS);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	MemoryContextDelete(cxt);
	return (Datum) 0;
}

/*
 * lakehouse.restore(target regclass, version bigint DEFAULT NULL,
 * "timestamp" timestamptz DEFAULT NULL) RETURNS TABLE(version bigint,
 * restored_version bigint, files_removed bigint, files_restored bigint,
 * bytes_removed bigint, bytes_restored bigint): one commit that makes the
 * table's files those of the version (or of the version as of the
 * instant).
 */
Datum
lakehouse_restore(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	char	   *dir;
	MemoryContext cxt;
	LakeAllocator alloc;
	LakeError	err;
	LakeError	cp_err;
	DeltaRestorePlan *plan;
	DeltaCommitRequest req;
	int64		target;
	int64		version;
	Datum		values[6];
	bool		nulls[6] = {false, false, false, false, false, false};

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	if (PG_ARGISNULL(1) == PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lakehouse.restore takes a version or a timestamp (one of them)")));
	dir = lake_maintenance_table_dir(relid, "restore", true);
	cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse restore", ALLOCSET_DEFAULT_SIZES);
	lake_pg_allocator_init(&alloc, cxt);
	lake_pg_error_init(&err);
	if (!PG_ARGISNULL(1))
		target = PG_GETARG_INT64(1);
	else
	{
		TimestampTz ts = PG_GETARG_TIMESTAMPTZ(2);
		int64		us = ts + MAINT_UNIX_TO_PG_USECS;

		if (TIMESTAMP_NOT_FINITE(ts))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("cannot restore Delta table \"%s\" as of an infinite timestamp", dir)));
		if (delta_version_at_timestamp(&alloc, dir, us >= 0 ? us / 1000 : -((-us + 999) / 1000),
									   &target, &err) != LAKE_OK)
			lake_delta_report(&err, dir);
	}
	if (target < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("table versions are not negative")));
	if (delta_restore_plan(&alloc, dir, target, &plan, &err) != LAKE_OK)
		lake_delta_report(&err, dir);

	memset(&req, 0, sizeof(req));
	delta_restore_commit_request(plan, &req);
	req.engine_info = LAKE_ENGINE_INFO;
	if (!PG_ARGISNULL(2))
		req.operation_parameters_json =
			psprintf("{\"timestamp\":\"%s\",\"version\":\"" INT64_FORMAT "\"}",
					 DatumGetCString(DirectFunctionCall1(timestamptz_out, PG_GETARG_DATUM(2))), target);
	lake_pg_error_init(&cp_err);
	if (delta_commit(&alloc, dir, &req, &version, &cp_err, &err) != LAKE_OK)
		lake_delta_report(&err, dir);
	if (cp_err.status != LAKE_OK)
		ereport(WARNING,
				(errcode(lake_pg_errcode(&cp_err)),
				 errmsg("Delta table \"%s\": committed version " INT64_FORMAT ", but its checkpoint failed: %s",
						dir, version, cp_err.message)));
	lake_delta_forget(dir);
	lake_write_notify_commit(relid, version, 0, "RESTORE");

	InitMaterializedSRF(fcinfo, 0);
	values[0] = Int64GetDatum(version);
	values[1] = Int64GetDatum(target);
	values[2] = Int64GetDatum(plan->num_removed_files);
	values[3] = Int64GetDatum(plan->num_restored_files);
	values[4] = Int64GetDatum(plan->removed_files_size);
	values[5] = Int64GetDatum(plan->restored_files_size);
	tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	MemoryContextDelete(cxt);
	return (Datum) 0;
}
