/*
 * guc.c
 *	  Every lakehouse.* setting, defined in one place, and the reservation
 *	  of the "lakehouse" prefix.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/datetime.h"
#include "utils/guc.h"

#include "iot_lakehouse.h"

int			lakehouse_scan_batch_rows = 8192;
int			lakehouse_reader_memory_budget = 256 * 1024;
int			lakehouse_parquet_row_group_rows = 1024 * 1024;
int			lakehouse_parquet_row_group_size = 128 * 1024;
char	   *lakehouse_as_of_timestamp = NULL;

static bool lakehouse_as_of_timestamp_check(char **newval, void **extra, GucSource source);

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

	DefineCustomStringVariable("lakehouse.as_of_timestamp",
							   "Reads every Delta table as of this instant.",
							   "Each Delta table is read at its latest commit at or before the "
							   "instant, unless the table is pinned by its version or timestamp "
							   "option; empty means the latest version.",
							   &lakehouse_as_of_timestamp,
							   "",
							   PGC_USERSET, 0,
							   lakehouse_as_of_timestamp_check, NULL, NULL);

	MarkGUCPrefixReserved("lakehouse");
}
