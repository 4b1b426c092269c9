/*
 * fdw_handler.c
 *	  The FDW callbacks of iot_lakehouse_fdw: planning (size from the files'
 *	  footers, the columns a scan needs, the quals it can push down), the
 *	  executor entry points (delegating to fdw_scan.c), EXPLAIN, and the
 *	  parallel-scan hooks.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/sysattr.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/paths.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "utils/rel.h"

#include "lake_fdw.h"

/*
 * Planner state of one foreign table (baserel->fdw_private), from
 * GetForeignRelSize to GetForeignPlan.
 */
typedef struct LakeFdwPlanState
{
	LakeFdwOptions options;		/* the table's options */
	List	   *files;			/* the files at plan time (the scan lists them again) */
	LakeFilesEstimate est;		/* what their footers say */
	Bitmapset  *attrs_used;		/* columns referenced, offset by FirstLowInvalidHeapAttributeNumber */
	List	   *push_attnos;	/* quals to push down, see lake_pushdown_classify */
	List	   *push_ops;
	List	   *push_classes;
	List	   *push_exprs;
	double		pages;			/* compressed bytes of the columns read, in blocks */
} LakeFdwPlanState;

/* The members of a ForeignScan's fdw_private list. */
enum LakeFdwScanPrivateIndex
{
	LakeFdwPrivatePath,			/* String: the path option */
	LakeFdwPrivateAttnums,		/* IntList: the columns to read */
	LakeFdwPrivatePushAttnos,	/* IntList: column of each pushed qual */
	LakeFdwPrivatePushOps,		/* IntList: its LakeCompareOp */
	LakeFdwPrivatePushClasses,	/* IntList: its LakeValueClass */
	LakeFdwPrivateFilesTotal,	/* Integer: files at plan time */
	LakeFdwPrivateRowGroupsTotal	/* Integer: row groups at plan time */
};

/* SQL functions */
PG_FUNCTION_INFO_V1(lakehouse_fdw_handler);

/* FDW callbacks */
static void lakeGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
static void lakeGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid);
static ForeignScan *lakeGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
									   ForeignPath *best_path, List *tlist, List *scan_clauses,
									   Plan *outer_plan);
static void lakeExplainForeignScan(ForeignScanState *node, ExplainState *es);
static void lakeBeginForeignScan(ForeignScanState *node, int eflags);
static TupleTableSlot *lakeIterateForeignScan(ForeignScanState *node);
static void lakeReScanForeignScan(ForeignScanState *node);
static void lakeEndForeignScan(ForeignScanState *node);
static bool lakeIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte);
static Size lakeEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt);
static void lakeInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
										 void *coordinate);
static void lakeReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt,
										   void *coordinate);
static void lakeInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc,
											void *coordinate);
static void lakeShutdownForeignScan(ForeignScanState *node);

/* helpers */
static double lake_fdw_parallel_divisor(int workers);

Datum
lakehouse_fdw_handler(PG_FUNCTION_ARGS)
{
	FdwRoutine *routine = makeNode(FdwRoutine);

	routine->GetForeignRelSize = lakeGetForeignRelSize;
	routine->GetForeignPaths = lakeGetForeignPaths;
	routine->GetForeignPlan = lakeGetForeignPlan;
	routine->ExplainForeignScan = lakeExplainForeignScan;
	routine->BeginForeignScan = lakeBeginForeignScan;
	routine->IterateForeignScan = lakeIterateForeignScan;
	routine->ReScanForeignScan = lakeReScanForeignScan;
	routine->EndForeignScan = lakeEndForeignScan;
	routine->IsForeignScanParallelSafe = lakeIsForeignScanParallelSafe;
	routine->EstimateDSMForeignScan = lakeEstimateDSMForeignScan;
	routine->InitializeDSMForeignScan = lakeInitializeDSMForeignScan;
	routine->ReInitializeDSMForeignScan = lakeReInitializeDSMForeignScan;
	routine->InitializeWorkerForeignScan = lakeInitializeWorkerForeignScan;
	routine->ShutdownForeignScan = lakeShutdownForeignScan;

	PG_RETURN_POINTER(routine);
}

/*
 * Read the footers for the row count, work out which columns are needed
 * and which quals can be pushed down.
 */
static void
lakeGetForeignRelSize(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	LakeFdwPlanState *fpinfo = palloc0(sizeof(LakeFdwPlanState));
	ListCell   *lc;
	double		ntuples;
	double		fraction;
	int			ncols;
	int			natts;

	baserel->fdw_private = fpinfo;
	lake_fdw_get_options(foreigntableid, &fpinfo->options);
	fpinfo->files = lake_files_list(fpinfo->options.path, true);
	lake_files_estimate(fpinfo->files, &fpinfo->est);

	pull_varattnos((Node *) baserel->reltarget->exprs, baserel->relid, &fpinfo->attrs_used);
	foreach(lc, baserel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);

		pull_varattnos((Node *) rinfo->clause, baserel->relid, &fpinfo->attrs_used);
	}

	/* rows: what the footers say (a guess when some could not be read) */
	ntuples = (double) fpinfo->est.num_rows;
	if (!fpinfo->est.complete && ntuples == 0)
		ntuples = 1000;
	baserel->tuples = ntuples;
	baserel->rows = clamp_row_est(ntuples * clauselist_selectivity(root, baserel->baserestrictinfo,
																  0, JOIN_INNER, NULL));

	/* the bytes read scale with the share of the columns read */
	natts = Max(baserel->max_attr, 1);
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, fpinfo->attrs_used))
		ncols = natts;
	else
		ncols = bms_num_members(fpinfo->attrs_used);
	fraction = Min(1.0, (double) ncols / natts);
	fpinfo->pages = ceil((double) fpinfo->est.compressed_bytes * fraction / BLCKSZ);

	lake_pushdown_classify(root, baserel, baserel->baserestrictinfo,
						   &fpinfo->push_attnos, &fpinfo->push_ops,
						   &fpinfo->push_classes, &fpinfo->push_exprs);
}

/* the share of a parallel plan's rows one process handles, as the planner reckons it */
static double
lake_fdw_parallel_divisor(int workers)
{
	double		divisor = workers;

	if (parallel_leader_participation)
	{
		double		leader = 1.0 - (0.3 * workers);

		if (leader > 0)
			divisor += leader;
	}
	return divisor;
}

/* One sequential path, and a partial (parallel-aware) one when allowed. */
static void
lakeGetForeignPaths(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid)
{
	LakeFdwPlanState *fpinfo = (LakeFdwPlanState *) baserel->fdw_private;
	Cost		startup_cost = baserel->baserestrictcost.startup;
	Cost		cpu_per_tuple = cpu_tuple_cost + baserel->baserestrictcost.per_tuple;
	Cost		run_cost = seq_page_cost * fpinfo->pages + cpu_per_tuple * baserel->tuples;
	ForeignPath *path;

	path = create_foreignscan_path(root, baserel, NULL, baserel->rows,
								   startup_cost, startup_cost + run_cost,
								   NIL, NULL, NULL, NIL);
	add_path(baserel, (Path *) path);

	if (baserel->consider_parallel && fpinfo->est.num_row_groups > 1)
	{
		/* decoding costs per row: size the workers as for a heap of ~100 rows a page */
		int			workers = compute_parallel_worker(baserel,
													  Max(fpinfo->pages, baserel->tuples / 100.0),
													  -1, max_parallel_workers_per_gather);

		workers = Min(workers, (int) Min(fpinfo->est.num_row_groups, INT_MAX));
		if (workers > 0)
		{
			double		divisor = lake_fdw_parallel_divisor(workers);
			ForeignPath *ppath;

			ppath = create_foreignscan_path(root, baserel, NULL,
											clamp_row_est(baserel->rows / divisor),
											startup_cost,
											startup_cost + seq_page_cost * fpinfo->pages +
											cpu_per_tuple * baserel->tuples / divisor,
											NIL, NULL, NULL, NIL);
			ppath->path.parallel_aware = true;
			ppath->path.parallel_safe = true;
			ppath->path.parallel_workers = workers;
			add_partial_path(baserel, (Path *) ppath);
		}
	}
}

static ForeignScan *
lakeGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				   ForeignPath *best_path, List *tlist, List *scan_clauses,
				   Plan *outer_plan)
{
	LakeFdwPlanState *fpinfo = (LakeFdwPlanState *) baserel->fdw_private;
	List	   *attnums = NIL;
	List	   *fdw_private;
	int			attnum;

	/* every qual is checked locally: pushdown only skips row groups */
	scan_clauses = extract_actual_clauses(scan_clauses, false);

	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, fpinfo->attrs_used))
	{
		/* a whole-row reference: every column (dropped ones are skipped later) */
		for (attnum = 1; attnum <= baserel->max_attr; attnum++)
			attnums = lappend_int(attnums, attnum);
	}
	else
	{
		int			i = -1;

		while ((i = bms_next_member(fpinfo->attrs_used, i)) >= 0)
		{
			attnum = i + FirstLowInvalidHeapAttributeNumber;
			if (attnum > 0)
				attnums = lappend_int(attnums, attnum);
		}
	}

	fdw_private = list_make5(makeString(fpinfo->options.path),
							 attnums,
							 fpinfo->push_attnos,
							 fpinfo->push_ops,
							 fpinfo->push_classes);
	fdw_private = lappend(fdw_private, makeInteger(fpinfo->est.num_files));
	fdw_private = lappend(fdw_private,
						  makeInteger((int) Min(fpinfo->est.num_row_groups, INT_MAX)));

	return make_foreignscan(tlist, scan_clauses, baserel->relid,
							fpinfo->push_exprs, fdw_private,
							NIL, NIL, outer_plan);
}

static void
lakeExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	List	   *fdw_private = ((ForeignScan *) node->ss.ps.plan)->fdw_private;
	LakeScanState *scan = (LakeScanState *) node->fdw_state;
	const char *path = strVal(list_nth(fdw_private, LakeFdwPrivatePath));

	ExplainPropertyText("Parquet Path", path, es);
	if (es->verbose)
	{
		List	   *files = lake_files_list(path, true);

		ExplainPropertyList("Parquet Files", files, es);
	}
	if (es->analyze && scan != NULL)
	{
		LakeScanCounters c;

		lake_scan_counters(scan, &c);
		ExplainPropertyInteger("Files Total", NULL, c.files_total, es);
		ExplainPropertyInteger("Files Scanned", NULL, c.files_scanned, es);
		ExplainPropertyInteger("Row Groups Total", NULL, c.row_groups_total, es);
		ExplainPropertyInteger("Row Groups Scanned", NULL, c.row_groups_scanned, es);
	}
	else
	{
		ExplainPropertyInteger("Files Total", NULL,
							   intVal(list_nth(fdw_private, LakeFdwPrivateFilesTotal)), es);
		ExplainPropertyInteger("Row Groups Total", NULL,
							   intVal(list_nth(fdw_private, LakeFdwPrivateRowGroupsTotal)), es);
	}
}

static void
lakeBeginForeignScan(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	LakeScanPlan sp;
	List	   *qual_states;

	node->fdw_state = NULL;
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;

	sp.path = strVal(list_nth(plan->fdw_private, LakeFdwPrivatePath));
	sp.attnums = (List *) list_nth(plan->fdw_private, LakeFdwPrivateAttnums);
	sp.push_attnos = (List *) list_nth(plan->fdw_private, LakeFdwPrivatePushAttnos);
	sp.push_ops = (List *) list_nth(plan->fdw_private, LakeFdwPrivatePushOps);
	sp.push_classes = (List *) list_nth(plan->fdw_private, LakeFdwPrivatePushClasses);
	qual_states = ExecInitExprList(plan->fdw_exprs, (PlanState *) node);

	node->fdw_state = lake_scan_begin(node, &sp, qual_states);
}

static TupleTableSlot *
lakeIterateForeignScan(ForeignScanState *node)
{
	return lake_scan_next((LakeScanState *) node->fdw_state, node->ss.ss_ScanTupleSlot);
}

static void
lakeReScanForeignScan(ForeignScanState *node)
{
	if (node->fdw_state != NULL)
		lake_scan_rescan((LakeScanState *) node->fdw_state);
}

static void
lakeEndForeignScan(ForeignScanState *node)
{
	if (node->fdw_state != NULL)
		lake_scan_end((LakeScanState *) node->fdw_state);
	node->fdw_state = NULL;
}

/* Scans read files only, and share their work through DSM. */
static bool
lakeIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	return true;
}

static Size
lakeEstimateDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt)
{
	return lake_scan_parallel_size();
}

static void
lakeInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
	lake_scan_parallel_init((LakeScanState *) node->fdw_state, coordinate);
}

static void
lakeReInitializeDSMForeignScan(ForeignScanState *node, ParallelContext *pcxt, void *coordinate)
{
	lake_scan_parallel_reinit((LakeScanState *) node->fdw_state, coordinate);
}

static void
lakeInitializeWorkerForeignScan(ForeignScanState *node, shm_toc *toc, void *coordinate)
{
	lake_scan_parallel_attach((LakeScanState *) node->fdw_state, coordinate);
}

static void
lakeShutdownForeignScan(ForeignScanState *node)
{
	if (node->fdw_state != NULL)
		lake_scan_shutdown((LakeScanState *) node->fdw_state);
}
