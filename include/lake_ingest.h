/*
 * lake_ingest.h
 *	  The internal C API of CSV ingestion (src/ingest_csv.c): what
 *	  lakehouse.ingest_csv() does, for C callers such as the streaming
 *	  pipeline, with the options the SQL function does not expose.
 *
 * Include after postgres.h.
 */
#ifndef LAKE_INGEST_H
#define LAKE_INGEST_H

#include "datatype/timestamp.h"

/* How a CSV file is read; lake_csv_options_init gives the SQL function's defaults. */
typedef struct LakeCsvOptions
{
	char		delimiter;		/* ',' */
	bool		header;			/* first record names the columns */
	const char *null_string;	/* "" = empty unquoted field is NULL */
	const char *source_timezone;	/* time zone name for timestamps without a
									 * zone, e.g. "UTC" */
	const char *source_name;	/* recorded in a _source_file column; NULL =
								 * the path */
	TimestampTz ingested_at;	/* recorded in an _ingested_at column; 0 =
								 * GetCurrentTimestamp() at the call */
	const char *const *required_columns;	/* NULL-terminated names the
											 * header must contain
											 * (case-insensitive), or NULL */
} LakeCsvOptions;

/* The SQL function's defaults: ',', header, "", "UTC", the path, now, none required. */
extern void lake_csv_options_init(LakeCsvOptions *opts);

/*
 * Append every row of the CSV file at path (absolute; gzip-compressed or
 * not, told by its first bytes) to the pending write of the Delta foreign
 * table relid in the current transaction; returns the rows written.  No
 * role checks (callers do them; the pending write itself still requires
 * pg_write_server_files).  Errors are raised; pointers in opts are
 * borrowed for the call only.
 */
extern int64 lake_csv_ingest(Oid relid, const char *path, const LakeCsvOptions *opts);

#endif							/* LAKE_INGEST_H */
