/*
 * pipeline.c
 *	  The streaming pipeline's entry points: the medallion tables, running
 *	  a stage (one at a time per stage, through an advisory lock, with its
 *	  result or error recorded for lakehouse.pipeline_status), the SQL
 *	  functions lakehouse.refresh(stage), lakehouse.create_delta_table() and
 *	  lakehouse.pipeline_root(), and the module's init (settings, shared
 *	  memory, the background worker).
 *
 * Each stage commits to its Delta table as soon as it has finished (not
 * when the calling transaction commits): the Delta log, not PostgreSQL,
 * holds the pipeline's progress (txn actions), so a stage is the same
 * whether the worker or lakehouse.refresh() in a session runs it, and a
 * crash anywhere replays the unfinished step exactly once.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/table.h"
#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid.h"
#include "common/file_perm.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "storage/lmgr.h"
#include "storage/lock.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/tuplestore.h"

#include "../fdw/lake_fdw.h"
#include "iot_lakehouse.h"
#include "lake_pg.h"
#include "pipeline.h"

/* first key of the advisory locks that keep two runs of a stage apart */
#define PIPELINE_LOCK_KEY 0x1a4e0501

PG_FUNCTION_INFO_V1(lakehouse_refresh);
PG_FUNCTION_INFO_V1(lakehouse_create_delta_table);
PG_FUNCTION_INFO_V1(lakehouse_pipeline_root);

static const char *const pipeline_stage_names[PIPELINE_NUM_STAGES] = {"bronze", "silver", "gold"};

static Oid	pipeline_table_oid(const char *schema, const char *name);
static char *pipeline_table_dir(Oid relid);
static void pipeline_mkdir_p(const char *dir);

void
lakehouse_pipeline_init(void)
{
	if (!process_shared_preload_libraries_in_progress)
		return;
	pipeline_status_shmem_request();
	pipeline_worker_register();
}

const char *
pipeline_stage_name(PipelineStage stage)
{
	return pipeline_stage_names[stage];
}

char *
pipeline_root_dir(void)
{
	if (lakehouse_root != NULL && lakehouse_root[0] != '\0')
		return pstrdup(lakehouse_root);
	return psprintf("%s/lakehouse", DataDir);
}

char *
pipeline_drop_dir(void)
{
	if (lakehouse_drop_dir != NULL && lakehouse_drop_dir[0] != '\0')
		return pstrdup(lakehouse_drop_dir);
	return psprintf("%s/incoming", pipeline_root_dir());
}

/* mkdir -p, as the server's files are created */
static void
pipeline_mkdir_p(const char *dir)
{
	char	   *path = pstrdup(dir);
	char	   *p;

	for (p = path + 1;; p++)
	{
		if (*p != '/' && *p != '\0')
			continue;
		{
			char		c = *p;

			*p = '\0';
			if (mkdir(path, pg_dir_create_mode) != 0 && errno != EEXIST)
				ereport(ERROR,
						(errcode_for_file_access(),
						 errmsg("could not create directory \"%s\": %m", path)));
			*p = c;
		}
		if (*p == '\0')
			break;
	}
	pfree(path);
}

static Oid
pipeline_table_oid(const char *schema, const char *name)
{
	Oid			nsp = get_namespace_oid(schema, true);
	Oid			relid = OidIsValid(nsp) ? get_relname_relid(name, nsp) : InvalidOid;

	if (!OidIsValid(relid) || !lake_fdw_is_lake_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the pipeline table %s.%s does not exist or is not a foreign table of iot_lakehouse_fdw",
						schema, name),
				 errhint("CREATE EXTENSION iot_lakehouse creates it in database \"%s\" (lakehouse.database).",
						 lakehouse_database)));
	return relid;
}

static char *
pipeline_table_dir(Oid relid)
{
	LakeFdwOptions opts;

	lake_fdw_get_options(relid, &opts);
	lake_fdw_resolve(&opts);
	return opts.location;
}

void
pipeline_tables_lookup(PipelineTables *t)
{
	t->bronze = pipeline_table_oid("bronze", "sensor_logs");
	t->silver = pipeline_table_oid("silver", "sensor_logs");
	t->quarantine = pipeline_table_oid("silver", "sensor_logs_quarantine");
	t->gold = pipeline_table_oid("gold", "sensor_hourly_avg");
	t->bronze_dir = pipeline_table_dir(t->bronze);
	t->silver_dir = pipeline_table_dir(t->silver);
	t->quarantine_dir = pipeline_table_dir(t->quarantine);
	t->gold_dir = pipeline_table_dir(t->gold);
}

/*
 * What the latest version of a table's log said, per table directory, so
 * that the worker's loop, which asks every poll_interval, reads a whole
 * snapshot only when a commit has landed.  The version's commit file is
 * remembered by inode and size: a table removed and created again is
 * noticed.
 */
typedef struct PipelineLogCache
{
	char	   *dir;
	int64		version;
	ino_t		ino;
	off_t		size;
	int			num_txns;
	char	  **app_ids;
	int64	   *txn_versions;
	struct PipelineLogCache *next;
} PipelineLogCache;

static PipelineLogCache *pipeline_log_cache = NULL;

static bool
pipeline_commit_stat(const char *dir, int64 version, struct stat *st)
{
	char		path[MAXPGPATH];

	snprintf(path, sizeof(path), "%s/_delta_log/%020lld.json", dir, (long long) version);
	return stat(path, st) == 0;
}

int64
pipeline_txn_version(const char *dir, const char *app_id, int64 *table_version)
{
	PipelineLogCache *c;
	struct stat st;
	int64		v = -1;
	int			i;

	for (c = pipeline_log_cache; c != NULL; c = c->next)
		if (strcmp(c->dir, dir) == 0)
			break;
	if (c == NULL || !pipeline_commit_stat(dir, c->version, &st) ||
		st.st_ino != c->ino || st.st_size != c->size ||
		pipeline_commit_stat(dir, c->version + 1, &st))
	{
		MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse txn lookup",
												  ALLOCSET_DEFAULT_SIZES);
		LakeAllocator alloc;
		LakeError	err;
		DeltaSnapshot *snap;

		lake_pg_allocator_init(&alloc, cxt);
		lake_pg_error_init(&err);
		if (delta_snapshot_load(&alloc, dir, -1, &snap, &err) != LAKE_OK)
		{
			MemoryContextDelete(cxt);
			lake_delta_report(&err, dir);
		}
		if (c == NULL)
		{
			c = MemoryContextAllocZero(TopMemoryContext, sizeof(PipelineLogCache));
			c->dir = MemoryContextStrdup(TopMemoryContext, dir);
			c->next = pipeline_log_cache;
			pipeline_log_cache = c;
		}
		for (i = 0; i < c->num_txns; i++)
			pfree(c->app_ids[i]);
		if (c->app_ids != NULL)
		{
			pfree(c->app_ids);
			pfree(c->txn_versions);
		}
		c->num_txns = snap->num_txns;
		c->app_ids = MemoryContextAlloc(TopMemoryContext, sizeof(char *) * Max(snap->num_txns, 1));
		c->txn_versions = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * Max(snap->num_txns, 1));
		for (i = 0; i < snap->num_txns; i++)
		{
			c->app_ids[i] = MemoryContextStrdup(TopMemoryContext, snap->txns[i].app_id);
			c->txn_versions[i] = snap->txns[i].version;
		}
		c->version = snap->version;
		MemoryContextDelete(cxt);
		/* a version whose commit file is gone (cleaned up): looked up again every time */
		if (pipeline_commit_stat(dir, c->version, &st))
		{
			c->ino = st.st_ino;
			c->size = st.st_size;
		}
		else
		{
			c->ino = 0;
			c->size = -1;
		}
	}
	for (i = 0; i < c->num_txns; i++)
		if (strcmp(c->app_ids[i], app_id) == 0)
			v = c->txn_versions[i];
	if (table_version != NULL)
		*table_version = c->version;
	return v;
}

void
pipeline_txn_committed(const char *dir, const char *app_id, int64 txn_version, int64 version)
{
	PipelineLogCache *c;
	struct stat st;
	int			i;

	for (c = pipeline_log_cache; c != NULL; c = c->next)
		if (strcmp(c->dir, dir) == 0)
			break;
	/* only a cache that knew the version before ours can follow it */
	if (c == NULL || c->version != version - 1 || !pipeline_commit_stat(dir, version, &st))
		return;
	for (i = 0; i < c->num_txns; i++)
		if (strcmp(c->app_ids[i], app_id) == 0)
			break;
	if (i == c->num_txns)
	{
		c->app_ids = repalloc(c->app_ids, sizeof(char *) * (c->num_txns + 1));
		c->txn_versions = repalloc(c->txn_versions, sizeof(int64) * (c->num_txns + 1));
		c->app_ids[i] = MemoryContextStrdup(TopMemoryContext, app_id);
		c->num_txns++;
	}
	c->txn_versions[i] = txn_version;
	c->version = version;
	c->ino = st.st_ino;
	c->size = st.st_size;
}

/*
 * Run a stage now.  One run of a stage at a time in the database: an
 * advisory lock (pg_locks shows it as advisory (0x1a4e0501, stage)) held
 * until the transaction ends serializes the worker and sessions.
 */
void
pipeline_run_stage(PipelineStage stage, PipelineRunResult *result)
{
	PipelineTables t;
	LOCKTAG		tag;
	MemoryContext oldcxt = CurrentMemoryContext;

	memset(result, 0, sizeof(*result));
	result->version = -1;
	result->source_version = -1;

	SET_LOCKTAG_ADVISORY(tag, MyDatabaseId, PIPELINE_LOCK_KEY, (uint32) stage, 2);
	(void) LockAcquire(&tag, ExclusiveLock, false, false);

	PG_TRY();
	{
		pipeline_tables_lookup(&t);
		switch (stage)
		{
			case PIPELINE_BRONZE:
				stage_bronze_run(&t, result);
				break;
			case PIPELINE_SILVER:
				stage_silver_run(&t, result);
				break;
			case PIPELINE_GOLD:
				stage_gold_run(&t, result);
				break;
			default:
				elog(ERROR, "unknown pipeline stage %d", (int) stage);
		}
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		pipeline_status_record_error(stage, edata->message);
		FreeErrorData(edata);
		PG_RE_THROW();
	}
	PG_END_TRY();
	pipeline_status_record_run(stage, result);
}

/*
 * lakehouse.refresh(stage text DEFAULT 'all') RETURNS TABLE(stage text,
 * committed boolean, version bigint, source_version bigint, rows_in
 * bigint, rows_out bigint, rows_quarantined bigint, files int,
 * files_rejected int): run stages now, in this session.
 */
Datum
lakehouse_refresh(PG_FUNCTION_ARGS)
{
	char	   *which = text_to_cstring(PG_GETARG_TEXT_PP(0));
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	int			first,
				last,
				s;

	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES) ||
		!has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to refresh the pipeline"),
				 errdetail("Only superusers and roles with privileges of both pg_read_server_files and pg_write_server_files may run the pipeline.")));
	if (pg_strcasecmp(which, "all") == 0)
	{
		first = PIPELINE_BRONZE;
		last = PIPELINE_GOLD;
	}
	else
	{
		for (s = 0; s < PIPELINE_NUM_STAGES; s++)
			if (pg_strcasecmp(which, pipeline_stage_names[s]) == 0)
				break;
		if (s == PIPELINE_NUM_STAGES)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unknown pipeline stage \"%s\"", which),
					 errhint("The stages are 'bronze', 'silver', 'gold' and 'all'.")));
		first = last = s;
	}

	InitMaterializedSRF(fcinfo, 0);
	for (s = first; s <= last; s++)
	{
		PipelineRunResult r;
		Datum		values[9];
		bool		nulls[9];

		pipeline_run_stage((PipelineStage) s, &r);
		memset(nulls, 0, sizeof(nulls));
		values[0] = CStringGetTextDatum(pipeline_stage_names[s]);
		values[1] = BoolGetDatum(r.committed);
		values[2] = Int64GetDatum(r.version);
		nulls[2] = (r.version < 0);
		values[3] = Int64GetDatum(r.source_version);
		nulls[3] = (r.source_version < 0);
		values[4] = Int64GetDatum(r.rows_in);
		values[5] = Int64GetDatum(r.rows_out);
		values[6] = Int64GetDatum(r.rows_quarantined);
		values[7] = Int32GetDatum(r.files);
		values[8] = Int32GetDatum(r.files_rejected);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
	}
	return (Datum) 0;
}

/*
 * lakehouse.create_delta_table(target regclass) RETURNS bigint: create the
 * Delta table of a foreign table that has none yet (version 0: protocol
 * and metaData, no data), so that it reads as empty before its first
 * write.  Returns 0, or NULL when the table existed.
 */
Datum
lakehouse_create_delta_table(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	Relation	rel;
	LakeWriteTable *wt;
	int64		version;
	AclResult	aclresult;

	if (!lake_fdw_is_lake_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table of iot_lakehouse_fdw",
						get_rel_name(relid) != NULL ? get_rel_name(relid) : "?")));
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_TABLE, get_rel_name(relid));
	rel = table_open(relid, RowExclusiveLock);
	wt = lake_write_table(rel);
	table_close(rel, NoLock);
	if (lake_write_read_version(wt) >= 0)
		PG_RETURN_NULL();
	lake_write_set_stream(wt, NULL, 0, "CREATE TABLE", NULL);
	version = lake_write_commit_now(wt);
	PG_RETURN_INT64(version);
}

/*
 * lakehouse.pipeline_root() RETURNS text: the directory lakehouse.root
 * names (default: "lakehouse" in the data directory), created when
 * missing.  CREATE EXTENSION gives it to the server "lakehouse".
 */
Datum
lakehouse_pipeline_root(PG_FUNCTION_ARGS)
{
	char	   *root = pipeline_root_dir();

	if (!superuser())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("only superusers may create the pipeline's root directory")));
	pipeline_mkdir_p(root);
	pipeline_mkdir_p(pipeline_drop_dir());
	PG_RETURN_TEXT_P(cstring_to_text(root));
}
