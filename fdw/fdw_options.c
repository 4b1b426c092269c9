/*
 * fdw_options.c
 *	  The options of iot_lakehouse_fdw: the table of valid options, the
 *	  validator (with the pg_read_server_files check for an absolute path
 *	  and for a server's root, as file_fdw does for filename), reading a
 *	  foreign table's options back, and resolving its path: a relative path
 *	  lives under the server's root and may not leave it.
 */
#include "postgres.h"

#include <limits.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "access/reloptions.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_class.h"
#include "catalog/pg_foreign_data_wrapper.h"
#include "catalog/pg_foreign_server.h"
#include "catalog/pg_foreign_table.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/lsyscache.h"
#include "utils/varlena.h"

#include "lake_fdw.h"

/* A valid option and the catalog it belongs to. */
typedef struct LakeFdwOption
{
	const char *optname;
	Oid			optcontext;		/* ForeignTableRelationId, AttributeRelationId, ... */
} LakeFdwOption;

/* Every option the validator accepts; ends with a NULL name. */
static const LakeFdwOption lake_fdw_options[] = {
	/* server */
	{"root", ForeignServerRelationId},
	/* foreign table */
	{"format", ForeignTableRelationId},
	{"path", ForeignTableRelationId},
	{"version", ForeignTableRelationId},
	{"timestamp", ForeignTableRelationId},
	{"partition_by", ForeignTableRelationId},
	/* column */
	{"column_name", AttributeRelationId},
	/* sentinel */
	{NULL, InvalidOid}
};

/* SQL functions */
PG_FUNCTION_INFO_V1(lakehouse_fdw_validator);

/* helpers */
static bool lake_fdw_is_valid_option(const char *option, Oid context);
static const char *lake_fdw_closest_option(const char *option, Oid context);
static void lake_fdw_check_format(const char *format);
static bool lake_fdw_has_dotdot(const char *path);
static void lake_fdw_require_file_role(const char *option, const char *what);

/*
 * Validate the options given to a CREATE or ALTER of a server, user mapping,
 * foreign table or column of this wrapper.
 */
Datum
lakehouse_fdw_validator(PG_FUNCTION_ARGS)
{
	List	   *options = untransformRelOptions(PG_GETARG_DATUM(0));
	Oid			catalog = PG_GETARG_OID(1);
	char	   *format = NULL;
	char	   *path = NULL;
	char	   *column_name = NULL;
	char	   *root = NULL;
	char	   *version = NULL;
	char	   *timestamp = NULL;
	char	   *partition_by = NULL;
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (!lake_fdw_is_valid_option(def->defname, catalog))
		{
			const char *closest = lake_fdw_closest_option(def->defname, catalog);

			ereport(ERROR,
					(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
					 errmsg("invalid option \"%s\"", def->defname),
					 closest != NULL ?
					 errhint("Perhaps you meant the option \"%s\".", closest) :
					 errhint("There are no valid options in this context.")));
		}

		if (strcmp(def->defname, "format") == 0)
		{
			if (format != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options")));
			format = defGetString(def);
			lake_fdw_check_format(format);
		}
		else if (strcmp(def->defname, "path") == 0)
		{
			if (path != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options")));
			path = defGetString(def);
			if (path[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"path\" must not be empty")));

			/*
			 * Like file_fdw's filename: reading arbitrary server files is for
			 * superusers and members of pg_read_server_files only.  Checking
			 * here, where the option is set, is what makes the tables safe to
			 * grant to others.  A relative path names a table under the
			 * server's root, which only such a role can set: anyone with
			 * USAGE on the server may read below it.
			 */
			if (is_absolute_path(path))
				lake_fdw_require_file_role("path", "an absolute path");
			else if (lake_fdw_has_dotdot(path))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"path\" must not leave the server's root"),
						 errdetail("A relative path may not contain a \"..\" component.")));
		}
		else if (strcmp(def->defname, "root") == 0)
		{
			if (root != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options")));
			root = defGetString(def);
			lake_fdw_require_file_role("root", "a root directory");
			if (!is_absolute_path(root))
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"root\" must be an absolute path")));
		}
		else if (strcmp(def->defname, "version") == 0)
		{
			char	   *end;
			long long	v;

			if (version != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options")));
			version = defGetString(def);
			errno = 0;
			v = strtoll(version, &end, 10);
			if (version[0] == '\0' || *end != '\0' || errno != 0 || v < 0)
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("invalid value for option \"version\": \"%s\"", version),
						 errhint("A version is a table version number: 0, 1, 2, ...")));
		}
		else if (strcmp(def->defname, "timestamp") == 0)
		{
			if (timestamp != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options")));
			timestamp = defGetString(def);
			/* raises the input function's own error for a bad value */
			(void) DirectFunctionCall3(timestamptz_in, CStringGetDatum(timestamp),
									   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
		}
		else if (strcmp(def->defname, "partition_by") == 0)
		{
			List	   *names;
			ListCell   *nc;

			if (partition_by != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options")));
			partition_by = defGetString(def);

			/*
			 * The validator does not see the table's columns: that each name
			 * is a column is checked when the first write creates the table.
			 */
			names = lake_write_partition_names(partition_by);
			foreach(nc, names)
			{
				const char *name = (const char *) lfirst(nc);
				ListCell   *oc;

				if (name[0] == '\0')
					ereport(ERROR,
							(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
							 errmsg("invalid value for option \"partition_by\": \"%s\"", partition_by),
							 errhint("List column names separated by commas, as in 'device, day'.")));
				foreach(oc, names)
				{
					if (oc == nc)
						break;
					if (pg_strcasecmp((const char *) lfirst(oc), name) == 0)
						ereport(ERROR,
								(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
								 errmsg("column \"%s\" is listed twice in option \"partition_by\"", name)));
				}
			}
		}
		else if (strcmp(def->defname, "column_name") == 0)
		{
			if (column_name != NULL)
				ereport(ERROR,
						(errcode(ERRCODE_SYNTAX_ERROR),
						 errmsg("conflicting or redundant options")));
			column_name = defGetString(def);
			if (column_name[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"column_name\" must not be empty")));
		}
	}

	if (catalog == ForeignTableRelationId && path == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("option \"path\" is required for iot_lakehouse_fdw foreign tables")));
	if (version != NULL && timestamp != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"version\" and \"timestamp\" cannot both be set"),
				 errhint("Pin the table to a version or to an instant, not both.")));
	if (partition_by != NULL && format != NULL && strcmp(format, "parquet") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("option \"partition_by\" is for format \"delta\"")));
	if ((version != NULL || timestamp != NULL) && format != NULL && strcmp(format, "parquet") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"version\" and \"timestamp\" are for format \"delta\"")));

	PG_RETURN_VOID();
}

static bool
lake_fdw_is_valid_option(const char *option, Oid context)
{
	const LakeFdwOption *opt;

	for (opt = lake_fdw_options; opt->optname != NULL; opt++)
	{
		if (context == opt->optcontext && strcmp(opt->optname, option) == 0)
			return true;
	}
	return false;
}

/* The valid option of this context nearest to a misspelt one, or NULL. */
static const char *
lake_fdw_closest_option(const char *option, Oid context)
{
	const LakeFdwOption *opt;
	const char *best = NULL;
	int			best_distance = INT_MAX;
	int			len = strlen(option);

	for (opt = lake_fdw_options; opt->optname != NULL; opt++)
	{
		int			d;

		if (opt->optcontext != context)
			continue;
		d = varstr_levenshtein(option, len, opt->optname, strlen(opt->optname), 1, 1, 1, false);
		if (d < best_distance)
		{
			best_distance = d;
			best = opt->optname;
		}
	}
	/* the list is short: name the nearest even when it is far off */
	return best;
}

static void
lake_fdw_check_format(const char *format)
{
	if (strcmp(format, "parquet") == 0 || strcmp(format, "delta") == 0)
		return;
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"format\": \"%s\"", format),
			 errhint("Valid formats are \"delta\" and \"parquet\".")));
}

/* True if path has a ".." component. */
static bool
lake_fdw_has_dotdot(const char *path)
{
	const char *p = path;

	while (*p != '\0')
	{
		const char *end = strchr(p, '/');
		size_t		len = end != NULL ? (size_t) (end - p) : strlen(p);

		if (len == 2 && p[0] == '.' && p[1] == '.')
			return true;
		if (end == NULL)
			break;
		p = end + 1;
	}
	return false;
}

static void
lake_fdw_require_file_role(const char *option, const char *what)
{
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to set option \"%s\"", option),
				 errdetail("Only superusers and roles with privileges of the pg_read_server_files role may set %s for iot_lakehouse_fdw.", what)));
}

void
lake_fdw_get_options(Oid foreigntableid, LakeFdwOptions *opts)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ForeignServer *server = GetForeignServer(table->serverid);
	ListCell   *lc;

	memset(opts, 0, sizeof(*opts));
	opts->server_name = server->servername;
	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "root") == 0)
			opts->root = defGetString(def);
	}
	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "format") == 0)
			opts->format = defGetString(def);
		else if (strcmp(def->defname, "path") == 0)
			opts->path = defGetString(def);
		else if (strcmp(def->defname, "version") == 0)
			opts->version = defGetString(def);
		else if (strcmp(def->defname, "timestamp") == 0)
			opts->timestamp = defGetString(def);
		else if (strcmp(def->defname, "partition_by") == 0)
			opts->partition_by = defGetString(def);
	}
	/* the validator guarantees this unless the catalog was edited by hand */
	if (opts->path == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" has no \"path\" option",
						get_rel_name(foreigntableid))));
	if (opts->format != NULL)
		lake_fdw_check_format(opts->format);
}

char *
lake_fdw_server_root(Oid serverid)
{
	ForeignServer *server = GetForeignServer(serverid);
	ListCell   *lc;

	foreach(lc, server->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "root") == 0)
			return defGetString(def);
	}
	return NULL;
}

bool
lake_fdw_path_within(const char *real, const char *root_real)
{
	size_t		len = strlen(root_real);

	/* root "/" contains everything */
	if (len == 1 && root_real[0] == '/')
		return true;
	return strncmp(real, root_real, len) == 0 && (real[len] == '\0' || real[len] == '/');
}

char *
lake_fdw_resolve_under(const char *root, const char *rel, const char *server_name,
					   char **root_real_out)
{
	char		buf[PATH_MAX];
	char	   *root_real;
	char	   *full;

	if (root == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("relative path \"%s\" needs the option \"root\" of server \"%s\"",
						rel, server_name),
				 errhint("Set the server's root directory, or give an absolute path.")));
	if (realpath(root, buf) == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not resolve root \"%s\" of server \"%s\": %m", root, server_name)));
	root_real = pstrdup(buf);
	full = psprintf("%s/%s", root_real, rel);
	if (realpath(full, buf) == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not resolve path \"%s\" under root \"%s\": %m", rel, root)));
	if (!lake_fdw_path_within(buf, root_real))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("path \"%s\" leaves the root of server \"%s\"", rel, server_name),
				 errdetail("It resolves to \"%s\", which is not under \"%s\".", buf, root_real)));
	pfree(full);
	if (root_real_out != NULL)
		*root_real_out = root_real;
	return pstrdup(buf);
}

void
lake_fdw_resolve(LakeFdwOptions *opts)
{
	if (is_absolute_path(opts->path))
	{
		opts->location = opts->path;
		opts->root_real = NULL;
	}
	else
		opts->location = lake_fdw_resolve_under(opts->root, opts->path, opts->server_name,
												&opts->root_real);

	if (opts->format != NULL)
		opts->is_delta = strcmp(opts->format, "delta") == 0;
	else
		opts->is_delta = delta_is_table(opts->location);

	if (!opts->is_delta && (opts->version != NULL || opts->timestamp != NULL))
		ereport(ERROR,
				(errcode(ERRCODE_FDW_INVALID_OPTION_NAME),
				 errmsg("options \"version\" and \"timestamp\" are for Delta tables"),
				 errdetail("\"%s\" holds no _delta_log directory.", opts->location)));
}

bool
lake_fdw_is_lake_table(Oid relid)
{
	ForeignTable *table;
	ForeignServer *server;
	ForeignDataWrapper *fdw;

	if (get_rel_relkind(relid) != RELKIND_FOREIGN_TABLE)
		return false;
	table = GetForeignTable(relid);
	server = GetForeignServer(table->serverid);
	fdw = GetForeignDataWrapper(server->fdwid);
	return strcmp(fdw->fdwname, "iot_lakehouse_fdw") == 0;
}

char *
lake_fdw_column_name(Oid foreigntableid, AttrNumber attnum, const char *attname)
{
	List	   *options = GetForeignColumnOptions(foreigntableid, attnum);
	ListCell   *lc;

	foreach(lc, options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "column_name") == 0)
			return defGetString(def);
	}
	return pstrdup(attname);
}
