/*
 * fdw_write.c
 *	  The pending Delta writes of the current transaction: per foreign
 *	  table, the DeltaFileWriters its rows go to (one per subtransaction
 *	  that wrote), and the one Delta commit they become when the
 *	  transaction commits.  Also creating a table on its first write: the
 *	  directory, and the schema from the foreign table's columns.
 *
 * Transaction rules.  A row goes to the writer of the current
 * subtransaction (opened on its first row).  When a subtransaction
 * commits, its writers pass to its parent; when it aborts, their files are
 * removed and its rows are gone.  At XACT_EVENT_PRE_COMMIT (the last point
 * where an error still aborts the transaction) every writer of a table is
 * finished and its files become one blind-append commit (operation WRITE),
 * creating the table when it did not exist.  On abort (also after a
 * failed commit) every file written is removed.  PREPARE TRANSACTION with
 * pending writes is refused.  All of this lives in a memory context under
 * TopMemoryContext, deleted when the transaction ends.
 *
 * Rows of an unpartitioned table are gathered column by column (values
 * that point into the caller's row copied to an arena) and written
 * LAKE_WRITE_BATCH at a time with delta_file_writer_write_rows, the fast
 * path; the batch is written before a row of another subtransaction's
 * writer and before the commit, and dropped with an aborted
 * subtransaction's writer.  Partitioned tables write row by row.
 */
#include "postgres.h"

#include <sys/stat.h>
#include <unistd.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "commands/async.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "common/file_perm.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "iot_lakehouse.h"
#include "lake/delta_writer.h"
#include "lake_fdw.h"
#include "lake_pg.h"


/* The files one subtransaction wrote to one table. */
typedef struct LakeWriteFile
{
	SubTransactionId subid;		/* the subtransaction that owns it (moves up at subcommit) */
	MemoryContext cxt;			/* the writer's memory (child of the table's) */
	LakeAllocator alloc;		/* palloc in cxt */
	DeltaFileWriter *writer;
	int64		rows;
	bool		finished;		/* delta_file_writer_finish ran */
	DeltaNewFile *files;		/* after finish */
	int			num_files;
} LakeWriteFile;

/* The pending write of one foreign table in this transaction. */
struct LakeWriteTable
{
	Oid			relid;
	char	   *relname;		/* for messages */
	char	   *dir;			/* the table directory (resolved) */
	MemoryContext cxt;			/* everything below; child of lake_write_cxt */
	LakeAllocator alloc;		/* palloc in cxt */
	bool		create;			/* no table yet: the commit creates it */
	int64		read_version;	/* the version whose schema we write (-1 when creating) */
	const DeltaSnapshot *snapshot;	/* the table as read (NULL when creating); the statement's, referenced */
	DeltaMetadata *md;			/* borrowed from snapshot, or built for creation */
	DeltaProtocol protocol;		/* for creation */
	int			ncols;
	LakeWriteColumn *cols;		/* per Delta column */
	ParquetValue *values;		/* per Delta column: the row being written */
	bool	   *nulls;
	char	  **partvals;		/* per partition column */
	List	   *files;			/* LakeWriteFile *, newest first */
	int64		rows;			/* rows in the live writers (and the batch) */

	/*
	 * Rows of an unpartitioned table gather here, column by column, and go
	 * to their writer in one delta_file_writer_write_rows call.
	 */
	bool		batched;		/* unpartitioned: rows are batched */
	LakeWriteFile *batch_wf;	/* the writer the batch's rows belong to */
	ParquetValue **batch_values;	/* per Delta column, LAKE_WRITE_BATCH rows */
	bool	  **batch_nulls;
	int			batch_rows;
	char	   *arena;			/* bytes of the batch's values (LAKE_WRITE_ARENA) */
	size_t		arena_used;
	MemoryContext batch_cxt;	/* values that do not fit the arena; reset per batch */

	/* a streaming write (lake_write_set_stream): committed even without rows */
	bool		force_commit;	/* commit even without rows */
	char	   *txn_app_id;		/* NULL: no txn action */
	int64		txn_version;
	char	   *operation;		/* "STREAMING UPDATE" */
	char	   *operation_parameters;	/* JSON object text, or NULL */
	bool		replace_partitions; /* remove the read version's files in written partitions */
	bool		rewrite;		/* OPTIMIZE: adds without dataChange, removes given */
	const DeltaRemoveFile *rewrite_removes;
	int			rewrite_num_removes;
	int64		rewrite_read_version;
	int64		committed_version;	/* set by lake_write_commit_table; -1 none */
	int			committed_files;	/* ... and the data files it added */
	int64		committed_bytes;
};

/* rows per batch, and the bytes of its arena (written early when half full) */
#define LAKE_WRITE_BATCH 1024
#define LAKE_WRITE_ARENA (256 * 1024)

/* every pending table of the transaction (LakeWriteTable *) */
static List *lake_write_tables = NIL;
static MemoryContext lake_write_cxt = NULL;
static bool lake_write_callbacks_registered = false;

/* helpers */
static void lake_write_xact_callback(XactEvent event, void *arg);
static void lake_write_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
										SubTransactionId parentSubid, void *arg);
static void lake_write_commit_all(void);
static void lake_write_commit_table(LakeWriteTable *wt);
static DeltaRemoveFile *lake_write_partition_removes(LakeWriteTable *wt, const DeltaNewFile *adds,
													 int num_adds, int *num_removes);
static void lake_write_abort_all(void);
static void lake_write_reset(void);
static char *lake_write_resolve(LakeFdwOptions *opts);
static void lake_write_build_metadata(LakeWriteTable *wt, Relation rel, const LakeFdwOptions *opts);
static void lake_write_map_columns(LakeWriteTable *wt, Relation rel);
static LakeWriteFile *lake_write_current_file(LakeWriteTable *wt);
static void lake_write_flush(LakeWriteTable *wt);
static void lake_write_discard_batch(LakeWriteTable *wt);
static void lake_write_json_string(StringInfo buf, const char *s);
static char *lake_write_uuid(void);

/* ---------------------------------------------------------- the table */

LakeWriteTable *
lake_write_table(Relation rel)
{
	Oid			relid = RelationGetRelid(rel);
	LakeFdwOptions opts;
	LakeWriteTable *wt;
	MemoryContext oldcxt;
	ListCell   *lc;
	char	   *dir;

	foreach(lc, lake_write_tables)
	{
		wt = (LakeWriteTable *) lfirst(lc);
		if (wt->relid == relid)
			return wt;
	}

	/* like COPY TO a file: the files are the server's */
	if (!has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to write to Delta table \"%s\"", RelationGetRelationName(rel)),
				 errdetail("Only superusers and roles with privileges of the pg_write_server_files role may write files on the server.")));

	lake_fdw_get_options(relid, &opts);
	if (opts.version != NULL || opts.timestamp != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("cannot write to foreign table \"%s\": it is pinned to a %s",
						RelationGetRelationName(rel), opts.version != NULL ? "version" : "timestamp"),
				 errdetail("A table with the option \"version\" or \"timestamp\" reads an old version and is read-only."),
				 errhint("Write through a foreign table on the same path without time travel options.")));
	if (opts.format != NULL && strcmp(opts.format, "parquet") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot write to foreign table \"%s\": format \"parquet\" is read-only",
						RelationGetRelationName(rel)),
				 errhint("Writes go to Delta tables (format \"delta\").")));

	dir = lake_write_resolve(&opts);

	if (!lake_write_callbacks_registered)
	{
		RegisterXactCallback(lake_write_xact_callback, NULL);
		RegisterSubXactCallback(lake_write_subxact_callback, NULL);
		lake_write_callbacks_registered = true;
	}
	if (lake_write_cxt == NULL)
		lake_write_cxt = AllocSetContextCreate(TopMemoryContext, "iot_lakehouse pending writes",
											   ALLOCSET_DEFAULT_SIZES);

	oldcxt = MemoryContextSwitchTo(lake_write_cxt);
	wt = palloc0(sizeof(LakeWriteTable));
	wt->cxt = AllocSetContextCreate(lake_write_cxt, "iot_lakehouse pending table",
									ALLOCSET_DEFAULT_SIZES);
	lake_pg_allocator_init(&wt->alloc, wt->cxt);
	wt->relid = relid;
	wt->committed_version = -1;
	MemoryContextSwitchTo(wt->cxt);
	wt->relname = pstrdup(RelationGetRelationName(rel));
	wt->dir = pstrdup(dir);
	/* (an error below leaves wt off the list; its memory goes at the transaction's end) */

	if (delta_is_table(wt->dir))
	{
		LakeDeltaSpec latest;

		/*
		 * The latest version as the statement reads it (one snapshot per
		 * statement, fdw_delta.c): an INSERT ... SELECT, or a stage that
		 * read the table first, loads the log once; held until the write
		 * is committed or dropped.
		 */
		memset(&latest, 0, sizeof(latest));
		latest.kind = LAKE_DELTA_LATEST;
		wt->snapshot = lake_delta_acquire(wt->dir, &latest, wt->cxt);
		wt->read_version = wt->snapshot->version;
		wt->md = (DeltaMetadata *) &wt->snapshot->metadata;
		/* writer features we do not honour (CHECK constraints, generated columns, ...) */
		if (wt->snapshot->protocol.min_writer_version > 2 &&
			wt->snapshot->protocol.min_writer_version != 7)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot write to Delta table \"%s\": writer version %d is not supported",
							wt->dir, (int) wt->snapshot->protocol.min_writer_version),
					 errdetail("Writer versions 1, 2 and 7 (with known features) are supported.")));
		if (wt->snapshot->protocol.min_writer_version == 7)
		{
			int			i;

			for (i = 0; i < wt->snapshot->protocol.num_writer_features; i++)
			{
				const char *f = wt->snapshot->protocol.writer_features[i];

				if (strcmp(f, "appendOnly") != 0 && strcmp(f, "timestampNtz") != 0 &&
					strcmp(f, "invariants") != 0 && strcmp(f, "columnMapping") != 0 &&
					strcmp(f, "deletionVectors") != 0 && strcmp(f, "domainMetadata") != 0 &&
					strcmp(f, "v2Checkpoint") != 0 && strcmp(f, "vacuumProtocolCheck") != 0)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("cannot write to Delta table \"%s\": writer feature \"%s\" is not supported",
									wt->dir, f)));
			}
		}
	}
	else
	{
		wt->create = true;
		wt->read_version = -1;
		lake_write_build_metadata(wt, rel, &opts);
	}
	lake_write_map_columns(wt, rel);

	wt->values = palloc0(sizeof(ParquetValue) * wt->ncols);
	wt->nulls = palloc0(sizeof(bool) * wt->ncols);
	wt->partvals = palloc0(sizeof(char *) * Max(wt->md->num_partition_columns, 1));
	if (wt->md->num_partition_columns == 0)
	{
		int			i;

		wt->batched = true;
		wt->batch_values = palloc(sizeof(ParquetValue *) * wt->ncols);
		wt->batch_nulls = palloc(sizeof(bool *) * wt->ncols);
		for (i = 0; i < wt->ncols; i++)
		{
			wt->batch_values[i] = palloc0(sizeof(ParquetValue) * LAKE_WRITE_BATCH);
			wt->batch_nulls[i] = palloc0(sizeof(bool) * LAKE_WRITE_BATCH);
		}
		wt->arena = palloc(LAKE_WRITE_ARENA);
		wt->batch_cxt = AllocSetContextCreate(wt->cxt, "iot_lakehouse write batch",
											  ALLOCSET_DEFAULT_SIZES);
	}
	MemoryContextSwitchTo(lake_write_cxt);
	lake_write_tables = lappend(lake_write_tables, wt);
	MemoryContextSwitchTo(oldcxt);
	return wt;
}

const LakeWriteColumn *
lake_write_columns(const LakeWriteTable *wt, int *num_columns)
{
	*num_columns = wt->ncols;
	return wt->cols;
}

const char *
lake_write_dir(const LakeWriteTable *wt)
{
	return wt->dir;
}

int64
lake_write_rows(const LakeWriteTable *wt)
{
	return wt->rows;
}

/*
 * The table's directory, created when it does not exist: under the
 * server's root for a relative path (which may not leave it), anywhere for
 * an absolute one (writing already takes pg_write_server_files).  A
 * directory of Parquet files without a Delta log is not turned into a
 * Delta table.
 */
static char *
lake_write_resolve(LakeFdwOptions *opts)
{
	char	   *full;
	struct stat st;

	if (is_absolute_path(opts->path))
		full = pstrdup(opts->path);
	else
	{
		char	   *root_real;

		/* checks the root; the path itself may not exist yet */
		if (opts->root == NULL)
			(void) lake_fdw_resolve_under(NULL, opts->path, opts->server_name, NULL);
		root_real = lake_fdw_resolve_under(opts->root, ".", opts->server_name, NULL);
		full = psprintf("%s/%s", root_real, opts->path);
	}
	if (stat(full, &st) != 0)
	{
		if (errno != ENOENT)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not stat directory \"%s\": %m", full)));
		if (pg_mkdir_p(full, pg_dir_create_mode) != 0 && errno != EEXIST)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create directory \"%s\": %m", full)));
	}
	else if (!S_ISDIR(st.st_mode))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a directory", full),
				 errdetail("A Delta table is a directory.")));

	/* now resolve it as a read does: realpath, and inside the root */
	lake_fdw_resolve(opts);
	if (!delta_is_table(opts->location) && opts->format == NULL &&
		lake_files_list(opts->location, true) != NIL)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot create a Delta table in \"%s\": it holds Parquet files", opts->location),
				 errhint("Write to an empty or new directory, or set the option format 'delta' to add a Delta log to it.")));
	return opts->location;
}

/* ---------------------------------------------------------- the schema */

/* Split partition_by ("a, b") into names without surrounding blanks (palloc'd). */
List *
lake_write_partition_names(const char *partition_by)
{
	List	   *names = NIL;
	const char *p = partition_by;

	for (;;)
	{
		const char *comma = strchr(p, ',');
		const char *end = comma != NULL ? comma : p + strlen(p);

		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		while (end > p && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		names = lappend(names, pnstrdup(p, end - p));
		if (comma == NULL)
			break;
		p = comma + 1;
	}
	return names;
}

/* The metadata a table created by this write gets: the foreign table's columns. */
static void
lake_write_build_metadata(LakeWriteTable *wt, Relation rel, const LakeFdwOptions *opts)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	DeltaMetadata *md = palloc0(sizeof(DeltaMetadata));
	StringInfoData schema;
	List	   *parts = NIL;
	ListCell   *lc;
	bool		ntz = false;
	int			n = 0;
	int			i;

	md->columns = palloc0(sizeof(DeltaColumn) * Max(tupdesc->natts, 1));
	initStringInfo(&schema);
	appendStringInfoString(&schema, "{\"type\":\"struct\",\"fields\":[");
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		DeltaColumn *col;
		int32		typmod = att->atttypmod;
		Oid			typid;
		DeltaTypeKind kind;
		int			precision;
		int			scale;
		char	   *tname;
		int			j;

		if (att->attisdropped)
			continue;
		typid = getBaseTypeAndTypmod(att->atttypid, &typmod);
		col = &md->columns[n];
		col->name = lake_fdw_column_name(RelationGetRelid(rel), att->attnum, NameStr(att->attname));
		for (j = 0; j < n; j++)
		{
			if (pg_strcasecmp(md->columns[j].name, col->name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("cannot create Delta table \"%s\": columns \"%s\" and \"%s\" differ only in case",
								wt->dir, md->columns[j].name, col->name),
						 errdetail("Delta column names are case-insensitive.")));
		}
		if (!lake_values_delta_type(typid, typmod, &kind, &precision, &scale))
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot create Delta table \"%s\": column \"%s\" has type %s, which has no Delta type",
							wt->dir, col->name, format_type_with_typemod(att->atttypid, att->atttypmod)),
					 errhint("Use bigint, integer, smallint, double precision, real, boolean, text, varchar, json, jsonb, bytea, date, timestamptz, timestamp or numeric(p,s) with 0 <= s <= p <= 38.")));
		col->physical_name = col->name;
		col->field_id = -1;
		col->kind = kind;
		col->precision = precision;
		col->scale = scale;
		col->nullable = true;
		col->partition_index = -1;
		tname = lake_values_type_name(kind, precision, scale);
		{
			StringInfoData tj;

			initStringInfo(&tj);
			lake_write_json_string(&tj, tname);
			col->type_json = tj.data;
		}
		if (kind == DELTA_TYPE_TIMESTAMP_NTZ)
			ntz = true;
		if (n > 0)
			appendStringInfoChar(&schema, ',');
		appendStringInfoString(&schema, "{\"name\":");
		lake_write_json_string(&schema, col->name);
		appendStringInfo(&schema, ",\"type\":%s,\"nullable\":true,\"metadata\":{}}", col->type_json);
		n++;
	}
	appendStringInfoString(&schema, "]}");
	if (n == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot create Delta table \"%s\" without columns", wt->dir)));
	md->num_columns = n;
	md->schema_string = schema.data;

	if (opts->partition_by != NULL)
		parts = lake_write_partition_names(opts->partition_by);
	md->partition_columns = palloc0(sizeof(char *) * Max(list_length(parts), 1));
	md->partition_column_index = palloc0(sizeof(int) * Max(list_length(parts), 1));
	foreach(lc, parts)
	{
		const char *name = (const char *) lfirst(lc);
		int			found = -1;
		int			k = foreach_current_index(lc);

		for (i = 0; i < n; i++)
		{
			if (strcmp(md->columns[i].name, name) == 0)
				found = i;
		}
		for (i = 0; found < 0 && i < n; i++)
		{
			if (pg_strcasecmp(md->columns[i].name, name) == 0)
				found = i;
		}
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("partition column \"%s\" of option \"partition_by\" is not a column of foreign table \"%s\"",
							name, RelationGetRelationName(rel))));
		if (md->columns[found].partition_index >= 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("partition column \"%s\" is listed twice in option \"partition_by\"", name)));
		if (md->columns[found].kind == DELTA_TYPE_BINARY)
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("partition column \"%s\" cannot be of type bytea", name)));
		md->columns[found].partition_index = k;
		md->partition_columns[k] = md->columns[found].name;
		md->partition_column_index[k] = found;
	}
	md->num_partition_columns = list_length(parts);
	if (md->num_partition_columns == n)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("cannot create Delta table \"%s\": every column is a partition column", wt->dir),
				 errdetail("A Delta table needs at least one column that is not a partition column.")));

	md->id = lake_write_uuid();
	md->created_time = (GetCurrentTimestamp() / 1000) + (int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * 86400 * 1000;
	md->column_mapping_mode = 0;
	wt->md = md;

	/* timestamp_ntz is a table feature: reader 3, writer 7 */
	memset(&wt->protocol, 0, sizeof(wt->protocol));
	if (ntz)
	{
		static char *features[] = {"timestampNtz"};

		wt->protocol.min_reader_version = 3;
		wt->protocol.min_writer_version = 7;
		wt->protocol.reader_features = features;
		wt->protocol.num_reader_features = 1;
		wt->protocol.writer_features = features;
		wt->protocol.num_writer_features = 1;
	}
	else
	{
		wt->protocol.min_reader_version = 1;
		wt->protocol.min_writer_version = 2;
	}
}

/*
 * Match the foreign table's columns to the Delta columns (the column_name
 * option or the name: exactly, else one case-insensitive match).  Every
 * foreign column must be in the table; a Delta column the foreign table
 * lacks is written NULL.
 */
static void
lake_write_map_columns(LakeWriteTable *wt, Relation rel)
{
	TupleDesc	tupdesc = RelationGetDescr(rel);
	DeltaMetadata *md = wt->md;
	int			i;

	wt->ncols = md->num_columns;
	wt->cols = palloc0(sizeof(LakeWriteColumn) * Max(md->num_columns, 1));
	for (i = 0; i < md->num_columns; i++)
		wt->cols[i].col = &md->columns[i];

	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		char	   *name;
		int			found = -1;
		int			matches = 0;
		int			k;
		LakeWriteColumn *wc;
		int32		typmod = att->atttypmod;
		Oid			typid;

		if (att->attisdropped)
			continue;
		name = lake_fdw_column_name(RelationGetRelid(rel), att->attnum, NameStr(att->attname));
		for (k = 0; k < md->num_columns; k++)
		{
			if (strcmp(md->columns[k].name, name) == 0)
				found = k;
		}
		if (found < 0)
		{
			for (k = 0; k < md->num_columns; k++)
			{
				if (pg_strcasecmp(md->columns[k].name, name) == 0)
				{
					found = k;
					matches++;
				}
			}
			if (matches > 1)
				found = -1;
		}
		if (found < 0)
			ereport(ERROR,
					(errcode(ERRCODE_UNDEFINED_COLUMN),
					 errmsg("column \"%s\" of foreign table \"%s\" is not a column of Delta table \"%s\"",
							name, RelationGetRelationName(rel), wt->dir)));
		wc = &wt->cols[found];
		if (wc->attnum != 0)
			ereport(ERROR,
					(errcode(ERRCODE_DUPLICATE_COLUMN),
					 errmsg("two columns of foreign table \"%s\" write Delta column \"%s\"",
							RelationGetRelationName(rel), md->columns[found].name)));
		typid = getBaseTypeAndTypmod(att->atttypid, &typmod);
		wc->attnum = att->attnum;
		wc->typid = typid;
		wc->typmod = typmod;
		wc->src = lake_values_source(typid, wc->col);
		if (wc->src == LAKE_WSRC_NONE)
			ereport(ERROR,
					(errcode(ERRCODE_DATATYPE_MISMATCH),
					 errmsg("column \"%s\" of foreign table \"%s\" has type %s, which cannot be written to Delta column \"%s\" of type %s",
							NameStr(att->attname), RelationGetRelationName(rel),
							format_type_be(att->atttypid), wc->col->name,
							lake_values_type_name(wc->col->kind, wc->col->precision, wc->col->scale))));
	}
	for (i = 0; i < md->num_columns; i++)
	{
		if (wt->cols[i].col->kind == DELTA_TYPE_DECIMAL && wt->cols[i].col->precision > 18)
			wt->cols[i].flba_len = lake_values_decimal_bytes(wt->cols[i].col->precision);
		if (wt->cols[i].attnum == 0 && !wt->cols[i].col->nullable)
			ereport(ERROR,
					(errcode(ERRCODE_NOT_NULL_VIOLATION),
					 errmsg("Delta column \"%s\" is not nullable, and foreign table \"%s\" has no column for it",
							wt->cols[i].col->name, RelationGetRelationName(rel))));
	}
}

/* ------------------------------------------------------------- rows */

/* The writer of the current subtransaction, opened on its first row. */
static LakeWriteFile *
lake_write_current_file(LakeWriteTable *wt)
{
	SubTransactionId subid = GetCurrentSubTransactionId();
	LakeWriteFile *wf;
	DeltaFileWriterOptions wopts;
	LakeError	err;
	MemoryContext oldcxt;

	if (wt->files != NIL)
	{
		wf = (LakeWriteFile *) linitial(wt->files);
		if (wf->subid == subid && !wf->finished)
			return wf;
	}

	oldcxt = MemoryContextSwitchTo(wt->cxt);
	wf = palloc0(sizeof(LakeWriteFile));
	wf->subid = subid;
	wf->cxt = AllocSetContextCreate(wt->cxt, "iot_lakehouse Delta file writer",
									ALLOCSET_DEFAULT_SIZES);
	lake_pg_allocator_init(&wf->alloc, wf->cxt);
	wt->files = lcons(wf, wt->files);
	MemoryContextSwitchTo(oldcxt);

	delta_file_writer_options_init(&wopts);
	wopts.parquet.row_group_rows = lakehouse_parquet_row_group_rows;
	wopts.parquet.row_group_bytes = (uint64) lakehouse_parquet_row_group_size * 1024;
	wopts.target_file_bytes = (uint64) lakehouse_target_file_size * 1024;
	lake_pg_error_init(&err);
	if (delta_file_writer_open(&wf->alloc, wt->dir, wt->md, &wopts, &wf->writer, &err) != LAKE_OK)
	{
		wf->writer = NULL;
		lake_delta_report(&err, wt->dir);
	}
	return wf;
}

/* Write the batched rows to their writer. */
static void
lake_write_flush(LakeWriteTable *wt)
{
	LakeError	err;

	if (wt->batch_rows == 0)
		return;
	lake_pg_error_init(&err);
	if (delta_file_writer_write_rows(wt->batch_wf->writer, NULL, (const ParquetValue *const *) wt->batch_values,
									 (const bool *const *) wt->batch_nulls, (size_t) wt->batch_rows,
									 &err) != LAKE_OK)
		lake_delta_report(&err, wt->dir);
	lake_write_discard_batch(wt);
}

/* Forget the batched rows (written, or rolled back). */
static void
lake_write_discard_batch(LakeWriteTable *wt)
{
	wt->batch_rows = 0;
	wt->batch_wf = NULL;
	if (wt->arena_used > 0 || wt->batch_cxt->mem_allocated > 0)
		MemoryContextReset(wt->batch_cxt);
	wt->arena_used = 0;
}

/* A copy of a value's bytes that lives until the batch is written. */
static const uint8_t *
lake_write_copy(LakeWriteTable *wt, const uint8_t *p, size_t len)
{
	uint8_t    *q;

	if (len <= LAKE_WRITE_ARENA - wt->arena_used)
	{
		q = (uint8_t *) wt->arena + wt->arena_used;
		wt->arena_used += MAXALIGN(len);
		if (wt->arena_used > LAKE_WRITE_ARENA)
			wt->arena_used = LAKE_WRITE_ARENA;
	}
	else
		q = MemoryContextAlloc(wt->batch_cxt, Max(len, 1));
	if (len > 0)
		memcpy(q, p, len);
	return q;
}

/* One row into the batch of an unpartitioned table. */
static void
lake_write_batch_row(LakeWriteTable *wt, LakeWriteFile *wf, const ParquetValue *values, const bool *nulls)
{
	int			r;
	int			i;

	if (wt->batch_rows > 0 && wt->batch_wf != wf)
		lake_write_flush(wt);
	r = wt->batch_rows;
	for (i = 0; i < wt->ncols; i++)
	{
		const DeltaColumn *col = wt->cols[i].col;
		ParquetValue *v = &wt->batch_values[i][r];

		if (nulls[i])
		{
			if (!col->nullable)
			{
				LakeError	err;

				lake_pg_error_init(&err);
				lake_error_set(&err, LAKE_ERROR_INVALID, "null value in column \"%s\", which is not nullable",
							   col->name);
				lake_error_prefix(&err, "column \"%s\": ", col->name);
				lake_delta_report(&err, wt->dir);
			}
			wt->batch_nulls[i][r] = true;
			continue;
		}
		wt->batch_nulls[i][r] = false;
		*v = values[i];
		if (col->kind == DELTA_TYPE_STRING || col->kind == DELTA_TYPE_BINARY ||
			(col->kind == DELTA_TYPE_DECIMAL && col->precision > 18))
			v->bytes.ptr = lake_write_copy(wt, values[i].bytes.ptr, values[i].bytes.len);
	}
	wt->batch_wf = wf;
	wt->batch_rows++;
	wf->rows++;
	wt->rows++;
	if (wt->batch_rows == LAKE_WRITE_BATCH || wt->arena_used > LAKE_WRITE_ARENA / 2)
		lake_write_flush(wt);
}

void
lake_write_values(LakeWriteTable *wt, const ParquetValue *values, const bool *nulls)
{
	LakeWriteFile *wf = lake_write_current_file(wt);
	DeltaMetadata *md = wt->md;
	LakeError	err;
	int			i;

	if (wt->batched)
	{
		lake_write_batch_row(wt, wf, values, nulls);
		return;
	}

	for (i = 0; i < md->num_partition_columns; i++)
	{
		int			ci = md->partition_column_index[i];

		wt->partvals[i] = nulls[ci] ? NULL : lake_values_partition_text(&md->columns[ci], &values[ci]);
	}
	lake_pg_error_init(&err);
	if (delta_file_writer_begin_row(wf->writer,
									md->num_partition_columns > 0 ? (const char *const *) wt->partvals : NULL,
									&err) != LAKE_OK)
		lake_delta_report(&err, wt->dir);
	for (i = 0; i < wt->ncols; i++)
	{
		if (md->columns[i].partition_index >= 0)
			continue;
		if (delta_file_writer_value(wf->writer, i, nulls[i] ? NULL : &values[i], &err) != LAKE_OK)
		{
			lake_error_prefix(&err, "column \"%s\": ", md->columns[i].name);
			lake_delta_report(&err, wt->dir);
		}
	}
	if (delta_file_writer_end_row(wf->writer, &err) != LAKE_OK)
		lake_delta_report(&err, wt->dir);
	wf->rows++;
	wt->rows++;
}

void
lake_write_slot(LakeWriteTable *wt, TupleTableSlot *slot)
{
	int			i;

	slot_getallattrs(slot);
	for (i = 0; i < wt->ncols; i++)
	{
		LakeWriteColumn *wc = &wt->cols[i];

		if (wc->attnum == 0 || slot->tts_isnull[wc->attnum - 1])
			wt->nulls[i] = true;
		else
		{
			wt->nulls[i] = false;
			lake_values_from_datum(wc, slot->tts_values[wc->attnum - 1], &wt->values[i]);
		}
	}
	lake_write_values(wt, wt->values, wt->nulls);
}

/* ------------------------------------------------------- transactions */

static void
lake_write_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_PRE_COMMIT:
			lake_write_commit_all();
			break;
		case XACT_EVENT_PRE_PREPARE:
			if (lake_write_tables != NIL)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("cannot prepare a transaction that wrote to a Delta table")));
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			lake_write_abort_all();
			break;
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
		case XACT_EVENT_PREPARE:
			/* committed (or nothing to do): forget the state, keep the files */
			lake_write_reset();
			break;
		default:
			break;
	}
}

static void
lake_write_subxact_callback(SubXactEvent event, SubTransactionId mySubid,
							SubTransactionId parentSubid, void *arg)
{
	ListCell   *lc;

	if (event != SUBXACT_EVENT_ABORT_SUB && event != SUBXACT_EVENT_COMMIT_SUB)
		return;
	foreach(lc, lake_write_tables)
	{
		LakeWriteTable *wt = (LakeWriteTable *) lfirst(lc);
		ListCell   *fc;

		foreach(fc, wt->files)
		{
			LakeWriteFile *wf = (LakeWriteFile *) lfirst(fc);

			if (wf->subid != mySubid)
				continue;
			if (event == SUBXACT_EVENT_COMMIT_SUB)
				wf->subid = parentSubid;
			else
			{
				/* its rows are rolled back: remove its files */
				if (wt->batch_wf == wf)
					lake_write_discard_batch(wt);
				if (wf->writer != NULL)
					delta_file_writer_abort(wf->writer);
				wt->rows -= wf->rows;
				MemoryContextDelete(wf->cxt);
				wt->files = foreach_delete_current(wt->files, fc);
			}
		}
	}
}

/* Every pending table becomes one commit (tables one after the other). */
static void
lake_write_commit_all(void)
{
	while (lake_write_tables != NIL)
	{
		LakeWriteTable *wt = (LakeWriteTable *) linitial(lake_write_tables);

		lake_write_commit_table(wt);
		/* committed: its files are the table's now, never to be removed */
		lake_write_tables = list_delete_first(lake_write_tables);
		MemoryContextDelete(wt->cxt);
	}
	lake_write_reset();
}

static void
lake_write_commit_table(LakeWriteTable *wt)
{
	DeltaCommitRequest req;
	DeltaNewFile *adds;
	int			num_adds = 0;
	int64		version;
	LakeError	err;
	LakeError	cp_err;
	ListCell   *lc;
	StringInfoData params;
	char	   *logdir;
	int			i;

	if (wt->rows == 0 && !wt->force_commit)
		return;					/* nothing written (or all of it rolled back): no commit */
	if (wt->batched)
		lake_write_flush(wt);

	/* finish every file (fsync'd) */
	foreach(lc, wt->files)
	{
		LakeWriteFile *wf = (LakeWriteFile *) lfirst(lc);

		if (wf->finished || wf->writer == NULL)
			continue;
		lake_pg_error_init(&err);
		if (delta_file_writer_finish(wf->writer, &wf->files, &wf->num_files, &err) != LAKE_OK)
			lake_delta_report(&err, wt->dir);
		wf->finished = true;
		num_adds += wf->num_files;
	}
	adds = MemoryContextAlloc(wt->cxt, sizeof(DeltaNewFile) * Max(num_adds, 1));
	num_adds = 0;
	foreach(lc, wt->files)
	{
		LakeWriteFile *wf = (LakeWriteFile *) lfirst(lc);

		for (i = 0; i < wf->num_files; i++)
			adds[num_adds++] = wf->files[i];
	}

	/* operationParameters as Spark writes them for an append */
	initStringInfo(&params);
	if (wt->operation_parameters != NULL)
		appendStringInfoString(&params, wt->operation_parameters);
	else
	{
		StringInfoData cols;

		appendStringInfo(&params, "{\"mode\":\"%s\",\"partitionBy\":",
						 wt->replace_partitions ? "Overwrite" : "Append");
		initStringInfo(&cols);
		appendStringInfoChar(&cols, '[');
		for (i = 0; i < wt->md->num_partition_columns; i++)
		{
			if (i > 0)
				appendStringInfoChar(&cols, ',');
			lake_write_json_string(&cols, wt->md->partition_columns[i]);
		}
		appendStringInfoChar(&cols, ']');
		lake_write_json_string(&params, cols.data);
		if (wt->replace_partitions)
			appendStringInfoString(&params, ",\"partitionOverwriteMode\":\"DYNAMIC\"");
		appendStringInfoChar(&params, '}');
	}

	/* the log directory of a new table */
	logdir = psprintf("%s/_delta_log", wt->dir);
	if (wt->create && mkdir(logdir, pg_dir_create_mode) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", logdir)));

	memset(&req, 0, sizeof(req));
	req.read_version = wt->create ? -1 : wt->read_version;
	req.blind_append = true;
	req.metadata = wt->create ? wt->md : NULL;
	req.protocol = wt->create ? &wt->protocol : NULL;
	req.adds = adds;
	req.num_adds = num_adds;
	req.adds_data_change = true;
	if (wt->replace_partitions && !wt->create)
	{
		req.removes = lake_write_partition_removes(wt, adds, num_adds, &req.num_removes);
		req.blind_append = false;
		req.table_metadata = wt->md;
	}
	if (wt->rewrite)
	{
		int64		added_bytes = 0;
		int64		removed_bytes = 0;

		req.read_version = wt->rewrite_read_version;
		req.blind_append = false;
		req.adds_data_change = false;
		req.removes = wt->rewrite_removes;
		req.num_removes = wt->rewrite_num_removes;
		req.table_metadata = wt->md;
		/* the metrics Spark records for OPTIMIZE */
		for (i = 0; i < num_adds; i++)
			added_bytes += adds[i].size;
		for (i = 0; i < req.num_removes; i++)
			removed_bytes += Max(req.removes[i].size, 0);
		req.operation_metrics_json =
			psprintf("{\"numAddedFiles\":\"%d\",\"numRemovedFiles\":\"%d\",\"numAddedBytes\":\"" INT64_FORMAT
					 "\",\"numRemovedBytes\":\"" INT64_FORMAT "\",\"numOutputRows\":\"" INT64_FORMAT "\"}",
					 num_adds, req.num_removes, added_bytes, removed_bytes, wt->rows);
	}
	if (!wt->create)
		req.table_metadata = wt->md;	/* partition names without loading the log again */
	req.txn_app_id = wt->txn_app_id;
	req.txn_version = wt->txn_version;
	req.operation = wt->operation != NULL ? wt->operation : "WRITE";
	req.operation_parameters_json = params.data;
	req.operation_metrics_json = NULL;
	req.engine_info = LAKE_ENGINE_INFO;
	req.timestamp_ms = 0;
	req.max_retries = 0;

	lake_pg_error_init(&err);
	lake_pg_error_init(&cp_err);
	if (delta_commit(&wt->alloc, wt->dir, &req, &version, &cp_err, &err) != LAKE_OK)
		lake_delta_report(&err, wt->dir);
	wt->committed_version = version;
	wt->committed_files = num_adds;
	for (i = 0; i < num_adds; i++)
		wt->committed_bytes += adds[i].size;
	lake_write_notify_commit(wt->relid, version, wt->rows, req.operation);
	if (cp_err.status != LAKE_OK)
		ereport(WARNING,
				(errcode(lake_pg_errcode(&cp_err)),
				 errmsg("Delta table \"%s\": committed version " INT64_FORMAT ", but its checkpoint failed: %s",
						wt->dir, (int64) version, cp_err.message)));
}

/*
 * The files of the version wt read that lie in a partition one of adds
 * lies in (dynamic partition overwrite), as removes with dataChange.
 */
static DeltaRemoveFile *
lake_write_partition_removes(LakeWriteTable *wt, const DeltaNewFile *adds, int num_adds,
							 int *num_removes)
{
	const DeltaSnapshot *snap = wt->snapshot;
	int			npc = wt->md->num_partition_columns;
	DeltaRemoveFile *removes;
	int			n = 0;
	int			i,
				j,
				k;

	*num_removes = 0;
	if (snap == NULL || snap->num_files == 0 || npc == 0)
		return NULL;
	removes = MemoryContextAllocZero(wt->cxt, sizeof(DeltaRemoveFile) * snap->num_files);
	for (i = 0; i < snap->num_files; i++)
	{
		const DeltaAddFile *f = &snap->files[i];

		for (j = 0; j < num_adds; j++)
		{
			bool		same = true;

			for (k = 0; k < npc && same; k++)
			{
				const char *a = f->partition_values[k];
				const char *b = adds[j].partition_values[k];

				if (a != NULL && a[0] == '\0')
					a = NULL;
				if (b != NULL && b[0] == '\0')
					b = NULL;
				same = (a == NULL) ? (b == NULL) : (b != NULL && strcmp(a, b) == 0);
			}
			if (same)
				break;
		}
		if (j == num_adds)
			continue;
		removes[n].path = f->path;
		removes[n].data_change = true;
		removes[n].size = f->size;
		removes[n].partition_values = f->partition_values;
		n++;
	}
	*num_removes = n;
	return removes;
}

/*
 * NOTIFY lakehouse, '{"table": ..., "version": ..., "rows": ...}' for a
 * commit: listeners (dashboards, the next stage) learn of new data when
 * the transaction commits.
 */
void
lake_write_notify_commit(Oid relid, int64 version, int64 rows, const char *operation)
{
	StringInfoData payload;
	char	   *nspname = get_namespace_name(get_rel_namespace(relid));
	char	   *relname = get_rel_name(relid);

	initStringInfo(&payload);
	appendStringInfoString(&payload, "{\"table\":");
	lake_write_json_string(&payload, quote_qualified_identifier(nspname != NULL ? nspname : "",
																relname != NULL ? relname : "?"));
	appendStringInfo(&payload, ",\"version\":" INT64_FORMAT ",\"rows\":" INT64_FORMAT ",\"operation\":",
					 version, rows);
	lake_write_json_string(&payload, operation);
	appendStringInfoChar(&payload, '}');
	if (payload.len < NAMEDATALEN * 100)
		Async_Notify("lakehouse", payload.data);
	pfree(payload.data);
}

/* ---------------------------------------------------- streaming writes */

void
lake_write_set_stream(LakeWriteTable *wt, const char *app_id, int64 txn_version,
					  const char *operation, const char *parameters_json)
{
	wt->force_commit = true;
	wt->txn_app_id = app_id != NULL ? MemoryContextStrdup(wt->cxt, app_id) : NULL;
	wt->txn_version = txn_version;
	wt->operation = MemoryContextStrdup(wt->cxt, operation);
	wt->operation_parameters = parameters_json != NULL ?
		MemoryContextStrdup(wt->cxt, parameters_json) : NULL;
}

void
lake_write_set_replace_partitions(LakeWriteTable *wt)
{
	if (wt->md->num_partition_columns == 0)
		elog(ERROR, "a partition overwrite needs a partitioned table");
	wt->replace_partitions = true;
}

int64
lake_write_pending_rows(Oid relid)
{
	ListCell   *lc;

	foreach(lc, lake_write_tables)
	{
		LakeWriteTable *wt = (LakeWriteTable *) lfirst(lc);

		if (wt->relid == relid)
			return wt->rows;
	}
	return -1;
}

void
lake_write_set_rewrite(LakeWriteTable *wt, int64 read_version, const DeltaRemoveFile *removes,
					   int num_removes, const char *operation, const char *parameters_json)
{
	lake_write_set_stream(wt, NULL, 0, operation, parameters_json);
	wt->rewrite = true;
	wt->rewrite_read_version = read_version;
	wt->rewrite_removes = removes;
	wt->rewrite_num_removes = num_removes;
}

int64
lake_write_read_version(const LakeWriteTable *wt)
{
	return wt->create ? -1 : wt->read_version;
}

int64
lake_write_commit_now(LakeWriteTable *wt)
{
	return lake_write_commit_now_files(wt, NULL, NULL);
}

int64
lake_write_commit_now_files(LakeWriteTable *wt, int *num_files, int64 *bytes)
{
	int64		version;

	lake_write_commit_table(wt);
	version = wt->committed_version;
	if (num_files != NULL)
		*num_files = wt->committed_files;
	if (bytes != NULL)
		*bytes = wt->committed_bytes;
	/* later scans of this statement read the new version */
	lake_delta_forget(wt->dir);
	/* committed: its files are the table's now, never to be removed */
	lake_write_tables = list_delete_ptr(lake_write_tables, wt);
	MemoryContextDelete(wt->cxt);
	return version;
}

/* Remove every file the transaction wrote. */
static void
lake_write_abort_all(void)
{
	ListCell   *lc;

	foreach(lc, lake_write_tables)
	{
		LakeWriteTable *wt = (LakeWriteTable *) lfirst(lc);
		ListCell   *fc;

		foreach(fc, wt->files)
		{
			LakeWriteFile *wf = (LakeWriteFile *) lfirst(fc);

			if (wf->writer != NULL)
				delta_file_writer_abort(wf->writer);
			wf->writer = NULL;
		}
	}
	lake_write_reset();
}

static void
lake_write_reset(void)
{
	lake_write_tables = NIL;
	if (lake_write_cxt != NULL)
	{
		MemoryContextDelete(lake_write_cxt);
		lake_write_cxt = NULL;
	}
}

/* ------------------------------------------------------------ helpers */

static void
lake_write_json_string(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s != '\0'; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
		{
			appendStringInfoChar(buf, '\\');
			appendStringInfoChar(buf, c);
		}
		else if (c < 0x20)
			appendStringInfo(buf, "\\u%04x", c);
		else
			appendStringInfoChar(buf, c);
	}
	appendStringInfoChar(buf, '"');
}

/* A random (version 4) UUID for the table's id. */
static char *
lake_write_uuid(void)
{
	uint8		b[16];

	if (!pg_strong_random(b, sizeof(b)))
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not generate a random table id")));
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	return psprintf("%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
					b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7],
					b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}
