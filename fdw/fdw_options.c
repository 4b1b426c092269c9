/*
 * fdw_options.c
 *	  The options of iot_lakehouse_fdw: the table of valid options, the
 *	  validator (with the pg_read_server_files check for path, as file_fdw
 *	  does for filename), and reading a foreign table's options back.
 */
#include "postgres.h"

#include "access/reloptions.h"
#include "catalog/pg_attribute.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_foreign_table.h"
#include "commands/defrem.h"
#include "foreign/foreign.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
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
	/* foreign table */
	{"format", ForeignTableRelationId},
	{"path", ForeignTableRelationId},
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

			/*
			 * Like file_fdw's filename: reading arbitrary server files is for
			 * superusers and members of pg_read_server_files only.  Checking
			 * here, where the option is set, is what makes the tables safe to
			 * grant to others.
			 */
			if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("permission denied to set option \"path\""),
						 errdetail("Only superusers and roles with privileges of the pg_read_server_files role may set the path of an iot_lakehouse_fdw foreign table.")));
			path = defGetString(def);
			if (path[0] == '\0')
				ereport(ERROR,
						(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
						 errmsg("option \"path\" must not be empty")));
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
	if (strcmp(format, "parquet") == 0)
		return;
	if (strcmp(format, "delta") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("format \"delta\" is not supported yet"),
				 errhint("Use format 'parquet' to read the table's Parquet files.")));
	ereport(ERROR,
			(errcode(ERRCODE_FDW_INVALID_ATTRIBUTE_VALUE),
			 errmsg("invalid value for option \"format\": \"%s\"", format),
			 errhint("The only format supported is \"parquet\".")));
}

void
lake_fdw_get_options(Oid foreigntableid, LakeFdwOptions *opts)
{
	ForeignTable *table = GetForeignTable(foreigntableid);
	ListCell   *lc;

	opts->format = "parquet";
	opts->path = NULL;
	foreach(lc, table->options)
	{
		DefElem    *def = (DefElem *) lfirst(lc);

		if (strcmp(def->defname, "format") == 0)
			opts->format = defGetString(def);
		else if (strcmp(def->defname, "path") == 0)
			opts->path = defGetString(def);
	}
	/* the validator guarantees this unless the catalog was edited by hand */
	if (opts->path == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_FDW_OPTION_NAME_NOT_FOUND),
				 errmsg("foreign table \"%s\" has no \"path\" option",
						get_rel_name(foreigntableid))));
	lake_fdw_check_format(opts->format);
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
