/*
 * fdw_import.c
 *	  IMPORT FOREIGN SCHEMA "<dir>" FROM SERVER s INTO local_schema: a
 *	  foreign table for every Delta table directly under <root>/<dir>, named
 *	  after its directory, with the columns and types of its latest schema
 *	  (names kept exactly).  LIMIT TO and EXCEPT name directories.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "foreign/fdwapi.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "storage/fd.h"
#include "utils/builtins.h"
#include "utils/memutils.h"

#include "lake_fdw.h"
#include "lake_pg.h"

/* FDW callbacks */
extern List *lakeImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);

/* helpers */
static bool lake_import_wanted(ImportForeignSchemaStmt *stmt, const char *name);
static int	lake_import_compare(const ListCell *a, const ListCell *b);
static char *lake_import_table_sql(ImportForeignSchemaStmt *stmt, ForeignServer *server,
								   const char *relpath, const char *name,
								   const DeltaSnapshot *snap);

/* LIMIT TO / EXCEPT, by table (directory) name */
static bool
lake_import_wanted(ImportForeignSchemaStmt *stmt, const char *name)
{
	ListCell   *lc;
	bool		listed = false;

	if (stmt->list_type == FDW_IMPORT_SCHEMA_ALL)
		return true;
	foreach(lc, stmt->table_list)
	{
		RangeVar   *rv = (RangeVar *) lfirst(lc);

		if (strcmp(rv->relname, name) == 0)
			listed = true;
	}
	return stmt->list_type == FDW_IMPORT_SCHEMA_LIMIT_TO ? listed : !listed;
}

static int
lake_import_compare(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

static char *
lake_import_table_sql(ImportForeignSchemaStmt *stmt, ForeignServer *server, const char *relpath,
					  const char *name, const DeltaSnapshot *snap)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "CREATE FOREIGN TABLE %s (",
					 quote_qualified_identifier(stmt->local_schema, name));
	for (i = 0; i < snap->metadata.num_columns; i++)
	{
		const DeltaColumn *col = &snap->metadata.columns[i];
		int32		typmod;
		Oid			typid = lake_delta_column_type(col, &typmod);

		if (i > 0)
			appendStringInfoString(&buf, ", ");
		appendStringInfo(&buf, "\n\t%s %s", quote_identifier(col->name),
						 format_type_with_typemod(typid, typmod));
		/* a name longer than NAMEDATALEN - 1 bytes is cut: the option keeps it whole */
		if (strlen(col->name) >= NAMEDATALEN)
			appendStringInfo(&buf, " OPTIONS (column_name %s)", quote_literal_cstr(col->name));
	}
	appendStringInfo(&buf, "\n) SERVER %s OPTIONS (format 'delta', path %s)",
					 quote_identifier(server->servername), quote_literal_cstr(relpath));
	return buf.data;
}

List *
lakeImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid)
{
	ForeignServer *server = GetForeignServer(serverOid);
	char	   *root = lake_fdw_server_root(serverOid);
	const char *remote = stmt->remote_schema;
	bool		at_root = (remote[0] == '\0' || strcmp(remote, ".") == 0);
	char	   *base;
	DIR		   *dir;
	struct dirent *de;
	List	   *names = NIL;
	List	   *commands = NIL;
	ListCell   *lc;
	MemoryContext cxt;
	LakeAllocator alloc;

	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("IMPORT FOREIGN SCHEMA needs the option \"root\" of server \"%s\"",
						server->servername),
				 errhint("The remote schema names a directory under the server's root.")));
	if (is_absolute_path(remote))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("remote schema \"%s\" must be a directory relative to the server's root", remote)));
	{
		char	   *full = psprintf("%s/%s", root, at_root ? "." : remote);
		struct stat st;

		if (stat(full, &st) != 0 || !S_ISDIR(st.st_mode))
			ereport(ERROR,
					(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
					 errmsg("remote schema \"%s\" is not a directory under the root of server \"%s\"",
							remote, server->servername)));
		pfree(full);
	}
	base = lake_fdw_resolve_under(root, at_root ? "." : remote, server->servername, NULL);

	dir = AllocateDir(base);
	if (dir == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_SCHEMA_NOT_FOUND),
				 errmsg("could not open directory \"%s\": %m", base)));
	while ((de = ReadDir(dir, base)) != NULL)
	{
		char	   *sub;
		struct stat st;

		if (de->d_name[0] == '.' || de->d_name[0] == '_')
			continue;
		if (!lake_import_wanted(stmt, de->d_name))
			continue;
		sub = psprintf("%s/%s", base, de->d_name);
		if (stat(sub, &st) == 0 && S_ISDIR(st.st_mode) && delta_is_table(sub))
			names = lappend(names, pstrdup(de->d_name));
		pfree(sub);
	}
	FreeDir(dir);
	list_sort(names, lake_import_compare);

	/*
	 * A table whose latest version cannot be read (a feature we do not
	 * support, a damaged log) is left out with a warning saying why, so one
	 * such table does not stop the others.
	 */
	cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse import",
								ALLOCSET_DEFAULT_SIZES);
	lake_pg_allocator_init(&alloc, cxt);
	foreach(lc, names)
	{
		const char *name = lfirst(lc);
		char	   *relpath = at_root ? pstrdup(name) : psprintf("%s/%s", remote, name);
		char	   *tabledir = lake_fdw_resolve_under(root, relpath, server->servername, NULL);
		DeltaSnapshot *snap;
		LakeError	err;

		lake_pg_error_init(&err);
		if (delta_snapshot_load_metadata(&alloc, tabledir, -1, &snap, &err) != LAKE_OK)
		{
			ereport(WARNING,
					(errcode(lake_pg_errcode(&err)),
					 errmsg("skipping Delta table \"%s\": %s", tabledir, err.message)));
			MemoryContextReset(cxt);
			continue;
		}
		/*
		 * Its schema is known even when its latest version cannot be read
		 * (deletion vectors in use): the table is created, and older versions
		 * stay reachable through time travel.
		 */
		if (snap->deletion_vectors_in_use)
			ereport(WARNING,
					(errmsg("Delta table \"%s\" has deletion vectors in use at version %lld",
							tabledir, (long long) snap->version),
					 errdetail("Reading that version is refused until deletion vectors are supported; versions without them can be read with time travel.")));
		commands = lappend(commands, lake_import_table_sql(stmt, server, relpath, name, snap));
		MemoryContextReset(cxt);
	}
	MemoryContextDelete(cxt);
	return commands;
}
