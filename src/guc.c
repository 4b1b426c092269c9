/*
 * guc.c
 *	  Every lakehouse.* setting, defined in one place, and the reservation
 *	  of the "lakehouse" prefix.
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "iot_lakehouse.h"

int			lakehouse_scan_batch_rows = 8192;
int			lakehouse_reader_memory_budget = 256 * 1024;
int			lakehouse_parquet_row_group_rows = 1024 * 1024;
int			lakehouse_parquet_row_group_size = 128 * 1024;

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

	MarkGUCPrefixReserved("lakehouse");
}
