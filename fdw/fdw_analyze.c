/*
 * fdw_analyze.c
 *	  ANALYZE of a lake foreign table: a full scan of the version the table
 *	  reads (the same scan as a query's, every column) with reservoir
 *	  sampling of its rows, as file_fdw does.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "commands/vacuum.h"
#include "executor/tuptable.h"
#include "foreign/fdwapi.h"
#include "utils/rel.h"
#include "utils/sampling.h"

#include "lake_fdw.h"

/* FDW callbacks */
extern bool lakeAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
									BlockNumber *totalpages);

/* helpers */
static int	lake_analyze_acquire(Relation relation, int elevel, HeapTuple *rows, int targrows,
								 double *totalrows, double *totaldeadrows);

bool
lakeAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func, BlockNumber *totalpages)
{
	LakeFdwOptions opts;
	double		bytes = 0;

	lake_fdw_get_options(RelationGetRelid(relation), &opts);
	lake_fdw_resolve(&opts);
	if (opts.is_delta)
	{
		LakeDeltaSpec spec;
		const DeltaSnapshot *snap;
		int			i;

		lake_delta_spec_for_table(RelationGetRelid(relation), &opts, &spec);
		snap = lake_delta_acquire(opts.location, &spec, NULL);
		for (i = 0; i < snap->num_files; i++)
			bytes += Max(snap->files[i].size, 0);
	}
	else
	{
		LakeFilesEstimate est;

		lake_files_estimate(lake_files_list(opts.location, true), &est);
		bytes = est.compressed_bytes;
	}
	*totalpages = (BlockNumber) Max(1, Min(bytes / BLCKSZ, (double) MaxBlockNumber));
	*func = lake_analyze_acquire;
	return true;
}

/* Every row read once; a reservoir of targrows kept (Vitter's algorithm Z). */
static int
lake_analyze_acquire(Relation relation, int elevel, HeapTuple *rows, int targrows,
					 double *totalrows, double *totaldeadrows)
{
	TupleDesc	tupdesc = RelationGetDescr(relation);
	LakeScanPlan plan;
	LakeScanState *scan;
	TupleTableSlot *slot;
	ReservoirStateData rstate;
	double		rowstoskip = -1;
	int			numrows = 0;
	int			i;

	memset(&plan, 0, sizeof(plan));
	for (i = 0; i < tupdesc->natts; i++)
	{
		if (!TupleDescAttr(tupdesc, i)->attisdropped)
			plan.attnums = lappend_int(plan.attnums, i + 1);
	}

	*totalrows = 0;
	*totaldeadrows = 0;
	reservoir_init_selection_state(&rstate, targrows);
	slot = MakeSingleTupleTableSlot(tupdesc, &TTSOpsVirtual);
	scan = lake_scan_begin(relation, CurrentMemoryContext, NULL, &plan, NIL, NIL, false);

	for (;;)
	{
		vacuum_delay_point();
		lake_scan_next(scan, slot);
		if (TupIsNull(slot))
			break;
		if (numrows < targrows)
			rows[numrows++] = ExecCopySlotHeapTuple(slot);
		else
		{
			if (rowstoskip < 0)
				rowstoskip = reservoir_get_next_S(&rstate, *totalrows, targrows);
			if (rowstoskip <= 0)
			{
				int			k = (int) (targrows * sampler_random_fract(&rstate.randstate));

				Assert(k >= 0 && k < targrows);
				heap_freetuple(rows[k]);
				rows[k] = ExecCopySlotHeapTuple(slot);
			}
			rowstoskip -= 1;
		}
		*totalrows += 1;
	}

	lake_scan_end(scan);
	ExecDropSingleTupleTableSlot(slot);
	ereport(elevel,
			(errmsg("\"%s\": %.0f rows read, %d rows in sample",
					RelationGetRelationName(relation), *totalrows, numrows)));
	return numrows;
}
