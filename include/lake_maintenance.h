/*
 * lake_maintenance.h
 *	  Table maintenance of Delta foreign tables from C (src/optimize.c):
 *	  what lakehouse.optimize() does, for the pipeline worker's scheduled
 *	  OPTIMIZE of Silver and Gold.
 *
 * Include after postgres.h.
 */
#ifndef LAKE_MAINTENANCE_H
#define LAKE_MAINTENANCE_H

#include "nodes/pg_list.h"

/*
 * The Delta table directory of relid, after the checks every maintenance
 * operation makes (what names it in messages: "optimize", "vacuum", ...):
 * a Delta foreign table of the FDW, not pinned to a version or timestamp,
 * without rows this transaction wrote to it; with check_privileges also
 * ownership and pg_write_server_files.
 */
extern char *lake_maintenance_table_dir(Oid relid, const char *what, bool check_privileges);

/* What one OPTIMIZE did. */
typedef struct LakeOptimizeResult
{
	int64		version;		/* the commit, or -1 when there was nothing to rewrite */
	int64		files_removed;
	int64		files_added;
	int64		bytes_removed;
	int64		bytes_added;
	int64		rows;			/* rows rewritten */
	int64		partitions;		/* partitions rewritten (1 for an unpartitioned table) */
} LakeOptimizeResult;

/*
 * OPTIMIZE the Delta foreign table relid: with zorder_by (a List of column
 * names, String nodes) every file of the partitions in scope is rewritten
 * in Z-order of those columns, unless only_small; without, or with
 * only_small, the files smaller than 3/4 of lakehouse.target_file_size in
 * partitions holding two or more of them are compacted (in Z-order when
 * zorder_by is given).  where (NULL: every partition) is a predicate on
 * the partition columns.  One commit, OPTIMIZE, dataChange false.  The
 * caller checks privileges.
 */
extern void lake_optimize(Oid relid, List *zorder_by, const char *where, bool only_small,
						  LakeOptimizeResult *result);

#endif							/* LAKE_MAINTENANCE_H */
