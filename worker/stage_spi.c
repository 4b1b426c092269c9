/*
 * stage_spi.c
 *	  SPI helpers of the SQL-driven stages: statements with text
 *	  parameters, reading a Delta table's changes (an override of the
 *	  version a scan reads, fdw_delta.c), and the stage's commit.
 */
#include "postgres.h"

#include "access/table.h"
#include "catalog/pg_type.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"
#include "utils/rel.h"

#include "../fdw/lake_fdw.h"
#include "pipeline.h"
#include "stage_spi.h"

uint64
stage_spi_exec(const char *sql, int nparams, const StageParam *params, Oid changes_rel,
			   int64 from_version, int64 to_version)
{
	Oid			types[16];
	Datum		values[16];
	char		nulls[16];
	int			i;
	int			rc;
	int			save_nestlevel;

	Assert(nparams <= 16);
	for (i = 0; i < nparams; i++)
	{
		types[i] = params[i].type;
		values[i] = params[i].value;
		nulls[i] = params[i].isnull ? 'n' : ' ';
	}
	if (OidIsValid(changes_rel))
	{
		LakeDeltaSpec spec;

		memset(&spec, 0, sizeof(spec));
		spec.kind = LAKE_DELTA_CHANGES;
		spec.from_version = from_version;
		spec.version = to_version;
		lake_delta_push_override(changes_rel, &spec);
	}
	/*
	 * Joins between a batch and a Delta table by hash, never by nested loop:
	 * a foreign scan under a nested loop is read again for every outer row
	 * (the estimates after pushdown are small enough to tempt the planner).
	 * Undone below, or by the abort on error.
	 */
	save_nestlevel = NewGUCNestLevel();
	(void) set_config_option("enable_nestloop", "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	PG_TRY();
	{
		rc = SPI_execute_with_args(sql, nparams, types, values, nulls, false, 0);
		if (rc < 0)
			elog(ERROR, "SPI_execute_with_args failed (%s): %s", SPI_result_code_string(rc), sql);
	}
	PG_FINALLY();
	{
		if (OidIsValid(changes_rel))
			lake_delta_pop_override();
	}
	PG_END_TRY();
	AtEOXact_GUC(true, save_nestlevel);
	return SPI_processed;
}

StageParam
stage_spi_param(int col, MemoryContext cxt)
{
	StageParam	p;
	MemoryContext old;
	int16		typlen;
	bool		typbyval;

	p.type = InvalidOid;
	p.isnull = true;
	p.value = (Datum) 0;
	if (SPI_tuptable == NULL || SPI_processed == 0)
		return p;
	p.type = SPI_gettypeid(SPI_tuptable->tupdesc, col);
	p.value = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, col, &p.isnull);
	if (p.isnull)
		return p;
	get_typlenbyval(p.type, &typlen, &typbyval);
	old = MemoryContextSwitchTo(cxt);
	p.value = datumCopy(p.value, typbyval, typlen);
	MemoryContextSwitchTo(old);
	return p;
}

StageParam
stage_param_float8(double v)
{
	StageParam	p;

	p.type = FLOAT8OID;
	p.value = Float8GetDatum(v);
	p.isnull = false;
	return p;
}

StageParam
stage_param_timestamptz(TimestampTz v)
{
	StageParam	p;

	p.type = TIMESTAMPTZOID;
	p.value = TimestampTzGetDatum(v);
	p.isnull = false;
	return p;
}

int64
stage_commit(Oid relid, const char *app_id, int64 txn_version, bool replace)
{
	Relation	rel = table_open(relid, RowExclusiveLock);
	LakeWriteTable *wt = lake_write_table(rel);
	char	   *params;
	char	   *dir;
	int64		version;

	table_close(rel, NoLock);
	if (replace)
		lake_write_set_replace_partitions(wt);
	params = psprintf("{\"outputMode\":\"%s\",\"queryId\":\"%s\",\"epochId\":\"%lld\"}",
					  replace ? "Update" : "Append", app_id, (long long) txn_version);
	lake_write_set_stream(wt, app_id, txn_version, "STREAMING UPDATE", params);
	dir = pstrdup(lake_write_dir(wt));
	version = lake_write_commit_now(wt);
	pipeline_txn_committed(dir, app_id, txn_version, version);
	return version;
}
