/*
 * fdw_handler.c
 *	  The FDW callbacks of iot_lakehouse_fdw: planning (size from the files'
 *	  footers or the Delta log's record counts, the columns a scan needs,
 *	  the quals it can push down or prune Delta files with), the executor
 *	  entry points (delegating to fdw_scan.c), EXPLAIN, the parallel-scan
 *	  hooks (Parquet only), ANALYZE (fdw_analyze.c) and IMPORT FOREIGN
 *	  SCHEMA (fdw_import.c); INSERT and COPY FROM are fdw_modify.c's.
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "access/parallel.h"
#include "access/sysattr.h"
#include "access/table.h"
#include "commands/explain.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "optimizer/cost.h"
#include "optimizer/clauses.h"
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
	bool		is_delta;		/* a Delta table */
	int64		delta_version;	/* Delta: the version planned with */
	Bitmapset  *part_attnos;	/* Delta: the columns that are partition columns */
	Oid			relid;			/* the foreign table */
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
	LakeFdwPrivateRowGroupsTotal,	/* Integer: row groups at plan time */
	LakeFdwPrivateIsDelta,		/* Boolean: a Delta table at plan time */
	LakeFdwPrivateNumPushExprs	/* Integer: fdw_exprs holds this many pushdown values, then the
								 * quals on partition columns */
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
static void lakeGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
									 RelOptInfo *input_rel, RelOptInfo *output_rel, void *extra);
extern bool lakeAnalyzeForeignTable(Relation relation, AcquireSampleRowsFunc *func,
									BlockNumber *totalpages);
extern List *lakeImportForeignSchema(ImportForeignSchemaStmt *stmt, Oid serverOid);
/* inserts: fdw_modify.c */
extern List *lakePlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation,
								   int subplan_index);
extern void lakeBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo,
								   List *fdw_private, int subplan_index, int eflags);
extern TupleTableSlot *lakeExecForeignInsert(EState *estate, ResultRelInfo *rinfo,
											 TupleTableSlot *slot, TupleTableSlot *planSlot);
extern TupleTableSlot **lakeExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo,
												   TupleTableSlot **slots, TupleTableSlot **planSlots,
												   int *numSlots);
extern int	lakeGetForeignModifyBatchSize(ResultRelInfo *rinfo);
extern void lakeEndForeignModify(EState *estate, ResultRelInfo *rinfo);
extern void lakeBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo);
extern void lakeEndForeignInsert(EState *estate, ResultRelInfo *rinfo);
extern int	lakeIsForeignRelUpdatable(Relation rel);

/* helpers */
static double lake_fdw_parallel_divisor(int workers);
static void lake_fdw_delta_size(LakeFdwPlanState *fpinfo, Oid foreigntableid);

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
	routine->GetForeignUpperPaths = lakeGetForeignUpperPaths;
	routine->AnalyzeForeignTable = lakeAnalyzeForeignTable;
	routine->ImportForeignSchema = lakeImportForeignSchema;
	routine->PlanForeignModify = lakePlanForeignModify;
	routine->BeginForeignModify = lakeBeginForeignModify;
	routine->ExecForeignInsert = lakeExecForeignInsert;
	routine->ExecForeignBatchInsert = lakeExecForeignBatchInsert;
	routine->GetForeignModifyBatchSize = lakeGetForeignModifyBatchSize;
	routine->EndForeignModify = lakeEndForeignModify;
	routine->BeginForeignInsert = lakeBeginForeignInsert;
	routine->EndForeignInsert = lakeEndForeignInsert;
	routine->IsForeignRelUpdatable = lakeIsForeignRelUpdatable;

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
	fpinfo->relid = foreigntableid;
	lake_fdw_get_options(foreigntableid, &fpinfo->options);
	lake_fdw_resolve(&fpinfo->options);
	fpinfo->is_delta = fpinfo->options.is_delta;
	if (fpinfo->is_delta)
		lake_fdw_delta_size(fpinfo, foreigntableid);
	else
	{
		fpinfo->files = lake_files_list(fpinfo->options.location, true);
		lake_files_estimate(fpinfo->files, &fpinfo->est);
	}

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

	/* the bytes read scale with the share of the columns read (partition columns are free) */
	natts = Max(baserel->max_attr, 1);
	if (bms_is_member(0 - FirstLowInvalidHeapAttributeNumber, fpinfo->attrs_used))
		ncols = natts;
	else
	{
		int			k = -1;

		ncols = 0;
		while ((k = bms_next_member(fpinfo->attrs_used, k)) >= 0)
		{
			if (!bms_is_member(k + FirstLowInvalidHeapAttributeNumber, fpinfo->part_attnos))
				ncols++;
		}
	}
	fraction = Min(1.0, (double) ncols / natts);
	fpinfo->pages = ceil((double) fpinfo->est.compressed_bytes * fraction / BLCKSZ);

	lake_pushdown_classify(root, baserel, baserel->baserestrictinfo,
						   &fpinfo->push_attnos, &fpinfo->push_ops,
						   &fpinfo->push_classes, &fpinfo->push_exprs);
}

/*
 * A Delta table at plan time: the snapshot of the version the statement
 * reads (cached for the executor), its record counts and sizes, and which
 * columns are partition columns.
 */
static void
lake_fdw_delta_size(LakeFdwPlanState *fpinfo, Oid foreigntableid)
{
	LakeDeltaSpec spec;
	const DeltaSnapshot *snap;
	Relation	rel;
	TupleDesc	tupdesc;
	double		rows = 0;
	double		bytes = 0;
	int			i;

	lake_delta_spec_for_table(foreigntableid, &fpinfo->options, &spec);
	snap = lake_delta_acquire(fpinfo->options.location, &spec, NULL);
	fpinfo->delta_version = snap->version;

	for (i = 0; i < snap->num_files; i++)
	{
		const DeltaAddFile *f = &snap->files[i];

		bytes += (double) Max(f->size, 0);
		/* without statistics, guess from the size: some 16 bytes a row */
		rows += f->num_records >= 0 ? (double) f->num_records : (double) Max(f->size, 0) / 16;
	}
	/* (doubles: a log may claim anything) */
	fpinfo->est.num_files = snap->num_files;
	fpinfo->est.complete = true;
	fpinfo->est.num_rows = (int64) Min(rows, 1e15);
	fpinfo->est.num_row_groups = 0;		/* not parallel */
	fpinfo->est.compressed_bytes = (int64) Min(bytes, 1e15);

	rel = table_open(foreigntableid, NoLock);
	tupdesc = RelationGetDescr(rel);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		char	   *name;
		int			ci;

		if (att->attisdropped)
			continue;
		name = lake_fdw_column_name(foreigntableid, att->attnum, NameStr(att->attname));
		ci = lake_delta_find_column(snap, name);
		if (ci >= 0 && snap->metadata.columns[ci].partition_index >= 0)
			fpinfo->part_attnos = bms_add_member(fpinfo->part_attnos, att->attnum);
	}
	table_close(rel, NoLock);
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

	if (baserel->consider_parallel && !fpinfo->is_delta && fpinfo->est.num_row_groups > 1)
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

/* count(*) of a Delta table: answered from the log (fdw_count.c) */
static void
lakeGetForeignUpperPaths(PlannerInfo *root, UpperRelationKind stage,
						 RelOptInfo *input_rel, RelOptInfo *output_rel, void *extra)
{
	LakeFdwPlanState *fpinfo;

	if (stage != UPPERREL_GROUP_AGG || input_rel->reloptkind != RELOPT_BASEREL)
		return;
	fpinfo = (LakeFdwPlanState *) input_rel->fdw_private;
	if (fpinfo == NULL || !fpinfo->is_delta)
		return;
	lake_count_add_path(root, input_rel, output_rel, extra, fpinfo->part_attnos, fpinfo->relid);
}

static ForeignScan *
lakeGetForeignPlan(PlannerInfo *root, RelOptInfo *baserel, Oid foreigntableid,
				   ForeignPath *best_path, List *tlist, List *scan_clauses,
				   Plan *outer_plan)
{
	LakeFdwPlanState *fpinfo;
	List	   *attnums = NIL;
	List	   *fdw_private;
	List	   *fdw_exprs;
	List	   *part_quals = NIL;
	ListCell   *lc;
	int			attnum;

	if (lake_count_is_upper(baserel))
		return lake_count_plan(root, baserel, tlist, outer_plan);
	fpinfo = (LakeFdwPlanState *) baserel->fdw_private;

	/*
	 * Delta: the quals on partition columns only prune files, evaluated on
	 * each file's partition values.  Not volatile ones (they would be
	 * evaluated once per file, not per row) nor subplans.
	 */
	if (fpinfo->is_delta && !bms_is_empty(fpinfo->part_attnos))
	{
		foreach(lc, scan_clauses)
		{
			RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
			Bitmapset  *attnos = NULL;
			bool		ok = true;
			int			k = -1;

			if (rinfo->pseudoconstant)
				continue;
			pull_varattnos((Node *) rinfo->clause, baserel->relid, &attnos);
			if (bms_is_empty(attnos))
				continue;
			while ((k = bms_next_member(attnos, k)) >= 0)
			{
				if (!bms_is_member(k + FirstLowInvalidHeapAttributeNumber, fpinfo->part_attnos))
					ok = false;
			}
			if (ok && !contain_volatile_functions((Node *) rinfo->clause) &&
				!contain_subplans((Node *) rinfo->clause))
				part_quals = lappend(part_quals, rinfo->clause);
		}
	}

	/* every qual is checked locally: pushdown only skips row groups and files */
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

	fdw_private = list_make5(makeString(fpinfo->options.location),
							 attnums,
							 fpinfo->push_attnos,
							 fpinfo->push_ops,
							 fpinfo->push_classes);
	fdw_private = lappend(fdw_private, makeInteger(fpinfo->est.num_files));
	fdw_private = lappend(fdw_private,
						  makeInteger((int) Min(fpinfo->est.num_row_groups, INT_MAX)));
	fdw_private = lappend(fdw_private, makeBoolean(fpinfo->is_delta));
	fdw_private = lappend(fdw_private, makeInteger(list_length(fpinfo->push_exprs)));
	fdw_exprs = list_concat(list_copy(fpinfo->push_exprs), part_quals);

	return make_foreignscan(tlist, scan_clauses, baserel->relid,
							fdw_exprs, fdw_private,
							NIL, NIL, outer_plan);
}

static void
lakeExplainForeignScan(ForeignScanState *node, ExplainState *es)
{
	List	   *fdw_private = ((ForeignScan *) node->ss.ps.plan)->fdw_private;
	LakeScanState *scan = (LakeScanState *) node->fdw_state;
	const char *path;
	LakeScanDeltaInfo info;

	if (lake_count_is_plan((ForeignScan *) node->ss.ps.plan))
	{
		lake_count_explain(node, node->fdw_state, es);
		return;
	}
	path = strVal(list_nth(fdw_private, LakeFdwPrivatePath));

	if (scan != NULL && lake_scan_delta_info(scan, &info))
	{
		ExplainPropertyText("Delta Table", path, es);
		ExplainPropertyInteger("Delta Version", NULL, info.version, es);
		ExplainPropertyInteger("Files Total", NULL, info.files_total, es);
		if (es->analyze)
		{
			LakeScanCounters c;

			/* what was read: files of which a row group was decoded */
			lake_scan_counters(scan, &c);
			ExplainPropertyInteger("Files Scanned", NULL, c.files_scanned, es);
			ExplainPropertyInteger("Row Groups Scanned", NULL, c.row_groups_scanned, es);
			ExplainPropertyInteger("Files Selected", NULL, Max(info.files_selected, 0), es);
			ExplainPropertyInteger("Files From Log", NULL, info.files_from_log, es);
		}
		else if (info.files_selected >= 0)
		{
			/* what will be read, as far as the log tells */
			ExplainPropertyInteger("Files Scanned", NULL, info.files_selected - info.files_from_log, es);
		}
		return;
	}

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
	List	   *qual_states = NIL;
	List	   *part_quals = NIL;
	bool		explain_only = (eflags & EXEC_FLAG_EXPLAIN_ONLY) != 0;
	bool		is_delta;
	int			num_push;
	ListCell   *lc;
	int			i = 0;

	node->fdw_state = NULL;
	if (lake_count_is_plan(plan))
	{
		node->fdw_state = lake_count_begin(node, eflags);
		return;
	}
	is_delta = boolVal(list_nth(plan->fdw_private, LakeFdwPrivateIsDelta));
	num_push = intVal(list_nth(plan->fdw_private, LakeFdwPrivateNumPushExprs));
	/* EXPLAIN shows a Delta table's version and the files pruning leaves */
	if (explain_only && !is_delta)
		return;

	sp.attnums = (List *) list_nth(plan->fdw_private, LakeFdwPrivateAttnums);
	sp.push_attnos = (List *) list_nth(plan->fdw_private, LakeFdwPrivatePushAttnos);
	sp.push_ops = (List *) list_nth(plan->fdw_private, LakeFdwPrivatePushOps);
	sp.push_classes = (List *) list_nth(plan->fdw_private, LakeFdwPrivatePushClasses);
	sp.scanrelid = plan->scan.scanrelid;
	foreach(lc, plan->fdw_exprs)
	{
		Expr	   *e = (Expr *) lfirst(lc);

		if (i++ < num_push)
			qual_states = lappend(qual_states, ExecInitExpr(e, (PlanState *) node));
		else
			part_quals = lappend(part_quals, ExecInitQual(list_make1(e), (PlanState *) node));
	}

	node->fdw_state = lake_scan_begin(node->ss.ss_currentRelation, node->ss.ps.state->es_query_cxt,
									  node, &sp, qual_states, part_quals, explain_only);
}

static TupleTableSlot *
lakeIterateForeignScan(ForeignScanState *node)
{
	if (lake_count_is_plan((ForeignScan *) node->ss.ps.plan))
		return lake_count_next(node, node->fdw_state);
	return lake_scan_next((LakeScanState *) node->fdw_state, node->ss.ss_ScanTupleSlot);
}

static void
lakeReScanForeignScan(ForeignScanState *node)
{
	if (node->fdw_state == NULL)
		return;
	if (lake_count_is_plan((ForeignScan *) node->ss.ps.plan))
		lake_count_rescan(node->fdw_state);
	else
		lake_scan_rescan((LakeScanState *) node->fdw_state);
}

static void
lakeEndForeignScan(ForeignScanState *node)
{
	if (node->fdw_state != NULL)
	{
		if (lake_count_is_plan((ForeignScan *) node->ss.ps.plan))
			lake_count_end(node->fdw_state);
		else
			lake_scan_end((LakeScanState *) node->fdw_state);
	}
	node->fdw_state = NULL;
}

/*
 * Parquet scans read files only, and share their work through DSM.  Delta
 * scans are not parallel-safe: a worker would resolve the version on its
 * own (and lakehouse.as_of() overrides live in the leader only).
 */
static bool
lakeIsForeignScanParallelSafe(PlannerInfo *root, RelOptInfo *rel, RangeTblEntry *rte)
{
	LakeFdwOptions opts;

	/* called before GetForeignRelSize: look at the options */
	lake_fdw_get_options(rte->relid, &opts);
	lake_fdw_resolve(&opts);
	return !opts.is_delta;
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
	if (node->fdw_state != NULL && !lake_count_is_plan((ForeignScan *) node->ss.ps.plan))
		lake_scan_shutdown((LakeScanState *) node->fdw_state);
}
