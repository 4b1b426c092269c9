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
extern void lakehouse_copy_to_init(void);

/* lakehouse.* settings (src/guc.c) */
extern int	lakehouse_scan_batch_rows;	/* rows decoded per batch by a scan */
extern int	lakehouse_reader_memory_budget; /* kB one column reader may hold */
extern int	lakehouse_parquet_row_group_rows;	/* write_parquet: rows per row group */
extern int	lakehouse_parquet_row_group_size;	/* write_parquet: kB per row group */
extern int	lakehouse_target_file_size; /* kB of a Delta data file written */
extern int	lakehouse_optimize_interval;	/* s between the worker's OPTIMIZE runs (0 never) */
extern char *lakehouse_as_of_timestamp; /* '' or the instant every Delta table is read as of */

/* the streaming pipeline (worker/) */
extern bool lakehouse_worker_enabled;	/* the worker runs the stages */
extern char *lakehouse_database;	/* the database the worker connects to */
extern char *lakehouse_root;	/* '' or where CREATE EXTENSION puts the tables */
extern char *lakehouse_drop_dir;	/* '' or where CSV files are dropped */
extern int	lakehouse_poll_interval;	/* ms between looks at the drop directory */
extern int	lakehouse_settle_ms;	/* ms a file must stay unchanged */
extern char *lakehouse_source_timezone; /* zone of timestamps without offset */
extern int	lakehouse_refresh_interval; /* ms between Silver / Gold refreshes (0: on change) */
extern double lakehouse_temperature_min;	/* validation ranges of Silver */
extern double lakehouse_temperature_max;
extern double lakehouse_humidity_min;
extern double lakehouse_humidity_max;

/* worker/: shared memory, the background worker (from _PG_init) */
extern void lakehouse_pipeline_init(void);

#endif							/* IOT_LAKEHOUSE_H */
