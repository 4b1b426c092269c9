/*
 * iot_lakehouse.h
 *	  What the PostgreSQL side of the extension shares: each module's init
 *	  function (called from _PG_init) and the lakehouse.* settings, which are
 *	  all defined in src/guc.c.
 */
#ifndef IOT_LAKEHOUSE_H
#define IOT_LAKEHOUSE_H

/* module initialisation, called once from _PG_init */
extern void lakehouse_guc_init(void);

/* lakehouse.* settings (src/guc.c) */
extern int	lakehouse_scan_batch_rows;	/* rows decoded per batch by a scan */
extern int	lakehouse_reader_memory_budget; /* kB one column reader may hold */
extern int	lakehouse_parquet_row_group_rows;	/* write_parquet: rows per row group */
extern int	lakehouse_parquet_row_group_size;	/* write_parquet: kB per row group */
extern char *lakehouse_as_of_timestamp; /* '' or the instant every Delta table is read as of */

#endif							/* IOT_LAKEHOUSE_H */
