/*
 * guc.c
 *	  Every lakehouse.* setting, defined in one place, and the reservation
 *	  of the "lakehouse" prefix.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/datetime.h"
#include "pgtime.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "iot_lakehouse.h"

int			lakehouse_scan_batch_rows = 8192;
int			lakehouse_reader_memory_budget = 256 * 1024;
int			lakehouse_parquet_row_group_rows = 1024 * 1024;
int			lakehouse_parquet_row_group_size = 128 * 1024;
int			lakehouse_target_file_size = 128 * 1024;
int			lakehouse_optimize_interval = 0;
char	   *lakehouse_as_of_timestamp = NULL;

/* the streaming pipeline (worker/) */
bool		lakehouse_worker_enabled = true;
char	   *lakehouse_database = NULL;
char	   *lakehouse_root = NULL;
char	   *lakehouse_drop_dir = NULL;
int			lakehouse_poll_interval = 1000;
int			lakehouse_settle_ms = 1000;
char	   *lakehouse_source_timezone = NULL;
int			lakehouse_refresh_interval = 0;
double		lakehouse_temperature_min = -50;
double		lakehouse_temperature_max = 150;
double		lakehouse_humidity_min = 0;
double		lakehouse_humidity_max = 100;

static bool lakehouse_as_of_timestamp_check(char **newval, void **extra, GucSource source);
static bool lakehouse_dir_check(char **newval, void **extra, GucSource source);
static bool lakehouse_timezone_check(char **newval, void **extra, GucSource source);

/* '' (the default) or an absolute directory */
static bool
lakehouse_dir_check(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	if (!is_absolute_path(*newval))
	{
		GUC_check_errdetail("\"%s\" is not an absolute path.", *newval);
		return false;
	}
	return true;
}

/* a time zone name PostgreSQL knows */
static bool
lakehouse_timezone_check(char **newval, void **extra, GucSource source)
{
	if (*newval == NULL || (*newval)[0] == '\0')
	{
		GUC_check_errdetail("The time zone must not be empty.");
		return false;
	}
	/* too early to load time zones: checked when used */
	if (session_timezone == NULL)
		return true;
	if (pg_tzset(*newval) == NULL)
	{
		GUC_check_errdetail("Time zone \"%s\" is not recognized.", *newval);
		return false;
	}
	return true;
}

/* '' (off) or a timestamp with time zone; read with the session's TimeZone when used */
static bool
lakehouse_as_of_timestamp_check(char **newval, void **extra, GucSource source)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			tz;
	int			dterr;
	struct pg_tm tt;
	fsec_t		fsec;

	if (*newval == NULL || (*newval)[0] == '\0')
		return true;
	/* too early to decode (no time zone yet): checked when used */
	if (session_timezone == NULL)
		return true;
	dterr = ParseDateTime(*newval, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0)
		dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);
	if (dterr != 0 || dtype != DTK_DATE)
	{
		GUC_check_errdetail("\"%s\" is not a finite timestamp with time zone.", *newval);
		return false;
	}
	return true;
}

void
lakehouse_guc_init(void)
{
	DefineCustomIntVariable("lakehouse.scan_batch_rows",
							"Rows a Parquet scan decodes per batch.",
							"Each batch is decoded column by column into memory "
							"that is released when the next batch starts.",
							&lakehouse_scan_batch_rows,
							8192, 16, 1024 * 1024,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lakehouse.reader_memory_budget",
							"Memory one Parquet column reader may hold at once.",
							"A page that would need more than this to decode is "
							"refused rather than read.",
							&lakehouse_reader_memory_budget,
							256 * 1024, 1024, INT_MAX / 2,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lakehouse.parquet_row_group_rows",
							"Rows per row group in Parquet files written by the extension.",
							NULL,
							&lakehouse_parquet_row_group_rows,
							1024 * 1024, 1, INT_MAX,
							PGC_USERSET, 0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lakehouse.parquet_row_group_size",
							"Buffered data at which a row group of a written Parquet file is closed.",
							NULL,
							&lakehouse_parquet_row_group_size,
							128 * 1024, 64, INT_MAX / 2,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lakehouse.target_file_size",
							"Size at which a Delta data file being written is closed and the next one begun.",
							"Writes, and OPTIMIZE's rewrites, cut their output into files of about this size.",
							&lakehouse_target_file_size,
							128 * 1024, 8, INT_MAX / 2,
							PGC_USERSET, GUC_UNIT_KB,
							NULL, NULL, NULL);

	DefineCustomStringVariable("lakehouse.as_of_timestamp",
							   "Reads every Delta table as of this instant.",
							   "Each Delta table is read at its latest commit at or before the "
							   "instant, unless the table is pinned by its version or timestamp "
							   "option; empty means the latest version.",
							   &lakehouse_as_of_timestamp,
							   "",
							   PGC_USERSET, 0,
							   lakehouse_as_of_timestamp_check, NULL, NULL);

	DefineCustomBoolVariable("lakehouse.worker_enabled",
							 "Runs the streaming pipeline in the background worker.",
							 "Off: the worker idles; lakehouse.refresh() still runs the stages.",
							 &lakehouse_worker_enabled,
							 true,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	DefineCustomStringVariable("lakehouse.database",
							   "Database the pipeline worker connects to.",
							   "The database where CREATE EXTENSION iot_lakehouse was run.",
							   &lakehouse_database,
							   "postgres",
							   PGC_POSTMASTER, 0,
							   NULL, NULL, NULL);

	DefineCustomStringVariable("lakehouse.root",
							   "Directory under which CREATE EXTENSION places the medallion tables.",
							   "Empty means the directory \"lakehouse\" in the data directory.  "
							   "The server \"lakehouse\" takes it as its root when the extension is created.",
							   &lakehouse_root,
							   "",
							   PGC_SIGHUP, 0,
							   lakehouse_dir_check, NULL, NULL);

	DefineCustomStringVariable("lakehouse.drop_dir",
							   "Directory where gateways drop CSV files for the pipeline.",
							   "Empty means \"incoming\" under lakehouse.root.",
							   &lakehouse_drop_dir,
							   "",
							   PGC_SIGHUP, 0,
							   lakehouse_dir_check, NULL, NULL);

	DefineCustomIntVariable("lakehouse.poll_interval",
							"Time between two looks of the pipeline worker at the drop directory.",
							NULL,
							&lakehouse_poll_interval,
							1000, 10, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lakehouse.settle_ms",
							"Time a dropped file must stay unchanged before it is ingested.",
							"A file renamed into the drop directory is complete at once.",
							&lakehouse_settle_ms,
							1000, 0, 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomStringVariable("lakehouse.source_timezone",
							   "Time zone of dropped timestamps that carry no offset.",
							   NULL,
							   &lakehouse_source_timezone,
							   "UTC",
							   PGC_SIGHUP, 0,
							   lakehouse_timezone_check, NULL, NULL);

	DefineCustomIntVariable("lakehouse.refresh_interval",
							"Least time between two refreshes of Silver and of Gold by the worker.",
							"0 refreshes them as soon as their source has a new version.",
							&lakehouse_refresh_interval,
							0, 0, 24 * 3600 * 1000,
							PGC_SIGHUP, GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("lakehouse.optimize_interval",
							"Time between two OPTIMIZE runs of Silver and Gold by the pipeline worker.",
							"0 never optimizes them (pg_cron can run lakehouse.optimize() instead).",
							&lakehouse_optimize_interval,
							0, 0, 366 * 24 * 3600,
							PGC_SIGHUP, GUC_UNIT_S,
							NULL, NULL, NULL);

	DefineCustomRealVariable("lakehouse.temperature_min",
							 "Lowest valid temperature; readings below it are quarantined.",
							 NULL,
							 &lakehouse_temperature_min,
							 -50, -1e15, 1e15,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("lakehouse.temperature_max",
							 "Highest valid temperature; readings above it are quarantined.",
							 NULL,
							 &lakehouse_temperature_max,
							 150, -1e15, 1e15,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("lakehouse.humidity_min",
							 "Lowest valid humidity; readings below it are quarantined.",
							 NULL,
							 &lakehouse_humidity_min,
							 0, -1e15, 1e15,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);
	DefineCustomRealVariable("lakehouse.humidity_max",
							 "Highest valid humidity; readings above it are quarantined.",
							 NULL,
							 &lakehouse_humidity_max,
							 100, -1e15, 1e15,
							 PGC_SIGHUP, 0,
							 NULL, NULL, NULL);

	MarkGUCPrefixReserved("lakehouse");
}
