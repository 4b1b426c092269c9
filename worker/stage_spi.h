/*
 * stage_spi.h
 *	  What the SQL-driven stages (Silver, Gold) share: running a statement
 *	  through SPI with typed parameters while one Delta table is read as
 *	  the changes of a range of its versions, taking values out of a
 *	  result, and committing a stage's write of a table.
 *
 * Parameters are typed (not text cast in SQL) so that the planner sees
 * them as constants: partition pruning and statistics skipping of the
 * foreign scans depend on it.
 */
#ifndef LAKEHOUSE_STAGE_SPI_H
#define LAKEHOUSE_STAGE_SPI_H

#include "executor/spi.h"

/* One parameter of a stage statement. */
typedef struct StageParam
{
	Oid			type;
	Datum		value;
	bool		isnull;
} StageParam;

/*
 * Run sql (SPI connected) with nparams parameters ($1..); while it runs,
 * the Delta foreign table changes_rel (unless InvalidOid) reads only the
 * rows its versions from..to appended.  Returns SPI_processed; SPI_tuptable
 * holds a SELECT's rows.
 */
extern uint64 stage_spi_exec(const char *sql, int nparams, const StageParam *params,
							 Oid changes_rel, int64 from_version, int64 to_version);

/*
 * Column col (1-based) of row 0 of the last SELECT, copied into cxt (which
 * outlives SPI_finish), as a parameter of its type.
 */
extern StageParam stage_spi_param(int col, MemoryContext cxt);

/* A float8 / timestamptz parameter. */
extern StageParam stage_param_float8(double v);
extern StageParam stage_param_timestamptz(TimestampTz v);

/*
 * Commit the stage's write of relid now, with txn (app_id, txn_version)
 * even when no row was written; replace: overwrite the partitions written.
 * Returns the version.
 */
extern int64 stage_commit(Oid relid, const char *app_id, int64 txn_version, bool replace);

#endif							/* LAKEHOUSE_STAGE_SPI_H */
