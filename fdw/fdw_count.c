/*
 * fdw_count.c
 *	  count(*) of a Delta table answered from its log: an upper path for
 *	  "SELECT count(*) FROM t [WHERE <quals on partition columns>]" (no
 *	  GROUP BY, no HAVING, only count(*) aggregates), whose ForeignScan
 *	  (scanrelid 0) returns one row: the sum of numRecords over the files
 *	  the quals accept.  The quals are evaluated exactly on each file's
 *	  partition values; a file without numRecords has its footer read (its
 *	  num_rows), never its data.
 *
 * The quals travel in fdw_private (a scanrelid-0 plan has no scan tuple for
 * fdw_exprs to refer to), so only quals of Vars, Consts, extern Params and
 * stable functions are accepted: nothing setrefs would have to adjust.
 */
#include "postgres.h"

#include <limits.h>
#include <stdlib.h>

#include "access/table.h"
#include "catalog/pg_aggregate.h"
#include "catalog/pg_type.h"
#include "common/int.h"
#include "commands/explain.h"
#include "executor/executor.h"
#include "foreign/fdwapi.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/cost.h"
#include "optimizer/optimizer.h"
#include "optimizer/pathnode.h"
#include "optimizer/planmain.h"
#include "optimizer/restrictinfo.h"
#include "optimizer/tlist.h"
#include "utils/fmgroids.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "lake_fdw.h"
#include "lake_pg.h"

/* upper rel's fdw_private: marks our path */
typedef struct LakeCountPlanState
{
	Oid			relid;			/* the foreign table */
	Index		rti;			/* its range table index (the quals' varno) */
	List	   *quals;			/* its restriction clauses (Exprs) */
} LakeCountPlanState;

/* The members of the ForeignScan's fdw_private list. */
enum LakeCountPrivateIndex
{
	LakeCountPrivateMarker,		/* String "count" */
	LakeCountPrivateRelid,		/* Integer: the table's Oid */
	LakeCountPrivateRti,		/* Integer: its range table index */
	LakeCountPrivateQuals		/* List of Exprs */
};

/* Executor state. */
typedef struct LakeCountState
{
	MemoryContext cxt;			/* everything of this scan */
	Relation	rel;			/* opened NoLock: the executor holds the lock */
	LakeFdwOptions opts;
	const DeltaSnapshot *snap;	/* a reference held for cxt */
	List	   *quals;			/* ExprStates (ExecQual) */
	Bitmapset  *attnos;			/* columns the quals use */
	int		   *attr_column;	/* per attribute: Delta column index, or -1 */
	TupleTableSlot *part_slot;
	int64		total;
	int64		files_selected;
	int64		files_from_log;
	int64		footers_read;
	bool		counted;
	bool		returned;
} LakeCountState;

/* helpers */
static bool lake_count_is_count_star(Node *node);
static bool lake_count_target_ok(Node *node, void *context);
static bool lake_count_qual_ok(Node *node, void *context);
static void lake_count_compute(ForeignScanState *node, LakeCountState *st);

/* count(*): no arguments, no FILTER, no DISTINCT/ORDER BY */
static bool
lake_count_is_count_star(Node *node)
{
	Aggref	   *agg;

	if (!IsA(node, Aggref))
		return false;
	agg = (Aggref *) node;
	return agg->aggfnoid == F_COUNT_ && agg->aggstar && agg->aggfilter == NULL &&
		agg->aggdistinct == NIL && agg->aggorder == NIL && agg->agglevelsup == 0 &&
		agg->aggkind == AGGKIND_NORMAL && agg->args == NIL;
}

/* a target with no Var and only count(*) aggregates (walker: true = not ok) */
static bool
lake_count_target_ok(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Var) || IsA(node, PlaceHolderVar) || IsA(node, GroupingFunc) ||
		IsA(node, WindowFunc) || IsA(node, SubLink) || IsA(node, SubPlan))
		return true;
	if (IsA(node, Aggref))
		return !lake_count_is_count_star(node);
	return expression_tree_walker(node, lake_count_target_ok, context);
}

/* quals: Vars, Consts, extern Params and functions (walker: true = not ok) */
static bool
lake_count_qual_ok(Node *node, void *context)
{
	if (node == NULL)
		return false;
	if (IsA(node, Param))
		return ((Param *) node)->paramkind != PARAM_EXTERN;
	if (IsA(node, SubLink) || IsA(node, SubPlan) || IsA(node, AlternativeSubPlan) ||
		IsA(node, PlaceHolderVar) || IsA(node, Aggref) || IsA(node, WindowFunc))
		return true;
	if (IsA(node, Var) && ((Var *) node)->varlevelsup != 0)
		return true;
	return expression_tree_walker(node, lake_count_qual_ok, context);
}

void
lake_count_add_path(PlannerInfo *root, RelOptInfo *input_rel, RelOptInfo *output_rel,
					void *extra, Bitmapset *part_attnos, Oid relid)
{
	Query	   *parse = root->parse;
	GroupPathExtraData *gextra = (GroupPathExtraData *) extra;
	PathTarget *target = output_rel->reltarget;
	LakeCountPlanState *cps;
	List	   *quals = NIL;
	ListCell   *lc;
	ForeignPath *path;

	if (parse->groupClause != NIL || parse->groupingSets != NIL || parse->havingQual != NULL ||
		parse->hasWindowFuncs || parse->hasTargetSRFs || root->hasHavingQual ||
		gextra == NULL || gextra->patype != PARTITIONWISE_AGGREGATE_NONE ||
		input_rel->lateral_relids != NULL || output_rel->fdw_private != NULL)
		return;
	foreach(lc, target->exprs)
	{
		if (lake_count_target_ok((Node *) lfirst(lc), NULL))
			return;
	}
	foreach(lc, input_rel->baserestrictinfo)
	{
		RestrictInfo *rinfo = lfirst_node(RestrictInfo, lc);
		Bitmapset  *attnos = NULL;
		int			k = -1;

		pull_varattnos((Node *) rinfo->clause, input_rel->relid, &attnos);
		while ((k = bms_next_member(attnos, k)) >= 0)
		{
			if (!bms_is_member(k + FirstLowInvalidHeapAttributeNumber, part_attnos))
				return;			/* a qual on data: the files must be read */
		}
		if (contain_volatile_functions((Node *) rinfo->clause) ||
			lake_count_qual_ok((Node *) rinfo->clause, NULL))
			return;
		quals = lappend(quals, rinfo->clause);
	}

	cps = palloc0(sizeof(LakeCountPlanState));
	cps->relid = relid;
	cps->rti = input_rel->relid;
	cps->quals = quals;
	output_rel->fdw_private = cps;

	/* one row, no data read: cheaper than any aggregate over a scan */
	path = create_foreign_upper_path(root, output_rel, target, 1,
									 0, cpu_operator_cost * (1 + list_length(quals)),
									 NIL, NULL, NIL);
	path->path.parallel_safe = false;	/* as_of() overrides live in the leader */
	add_path(output_rel, (Path *) path);
}

bool
lake_count_is_upper(RelOptInfo *rel)
{
	return IS_UPPER_REL(rel) && rel->fdw_private != NULL;
}

ForeignScan *
lake_count_plan(PlannerInfo *root, RelOptInfo *rel, List *tlist, Plan *outer_plan)
{
	LakeCountPlanState *cps = (LakeCountPlanState *) rel->fdw_private;
	List	   *aggs = pull_var_clause((Node *) rel->reltarget->exprs, PVC_INCLUDE_AGGREGATES);
	List	   *scan_tlist = add_to_flat_tlist(NIL, aggs);
	List	   *fdw_private;

	fdw_private = list_make4(makeString("count"), makeInteger((int) cps->relid),
							 makeInteger((int) cps->rti), cps->quals);
	return make_foreignscan(tlist, NIL, 0, NIL, fdw_private, scan_tlist, NIL, outer_plan);
}

bool
lake_count_is_plan(ForeignScan *plan)
{
	return plan->scan.scanrelid == 0 && plan->fdw_private != NIL &&
		IsA(linitial(plan->fdw_private), String) &&
		strcmp(strVal(linitial(plan->fdw_private)), "count") == 0;
}

void *
lake_count_begin(ForeignScanState *node, int eflags)
{
	ForeignScan *plan = (ForeignScan *) node->ss.ps.plan;
	Oid			relid = (Oid) intVal(list_nth(plan->fdw_private, LakeCountPrivateRelid));
	Index		rti = (Index) intVal(list_nth(plan->fdw_private, LakeCountPrivateRti));
	List	   *quals = (List *) list_nth(plan->fdw_private, LakeCountPrivateQuals);
	MemoryContext cxt;
	MemoryContext oldcxt;
	LakeCountState *st;
	LakeDeltaSpec spec;
	TupleDesc	tupdesc;
	ListCell   *lc;
	int			i;

	cxt = AllocSetContextCreate(node->ss.ps.state->es_query_cxt, "iot_lakehouse count",
								ALLOCSET_SMALL_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	st = palloc0(sizeof(LakeCountState));
	st->cxt = cxt;
	st->rel = table_open(relid, NoLock);
	tupdesc = RelationGetDescr(st->rel);

	lake_fdw_get_options(relid, &st->opts);
	lake_fdw_resolve(&st->opts);
	if (!st->opts.is_delta)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("foreign table \"%s\" is no longer a Delta table", RelationGetRelationName(st->rel)),
				 errhint("Run the query again.")));
	lake_delta_spec_for_table(relid, &st->opts, &spec);
	st->snap = lake_delta_acquire(st->opts.location, &spec, cxt);

	foreach(lc, quals)
	{
		Expr	   *q = (Expr *) lfirst(lc);

		pull_varattnos((Node *) q, rti, &st->attnos);
		st->quals = lappend(st->quals, ExecInitQual(list_make1(q), (PlanState *) node));
	}

	/* the columns of the quals must (still) be partition columns */
	st->attr_column = palloc(sizeof(int) * tupdesc->natts);
	for (i = 0; i < tupdesc->natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);

		st->attr_column[i] = -1;
		if (att->attisdropped ||
			!bms_is_member(att->attnum - FirstLowInvalidHeapAttributeNumber, st->attnos))
			continue;
		st->attr_column[i] = lake_delta_find_column(st->snap,
													lake_fdw_column_name(relid, att->attnum, NameStr(att->attname)));
		if (st->attr_column[i] < 0 || st->snap->metadata.columns[st->attr_column[i]].partition_index < 0)
			ereport(ERROR,
					(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
					 errmsg("column \"%s\" of foreign table \"%s\" is no longer a partition column",
							NameStr(att->attname), RelationGetRelationName(st->rel)),
					 errhint("Run the query again.")));
	}
	if (st->quals != NIL)
		st->part_slot = MakeSingleTupleTableSlot(CreateTupleDescCopy(tupdesc), &TTSOpsVirtual);

	/* EXPLAIN without ANALYZE shows what would be read, when the quals can be evaluated now */
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		lake_count_compute(node, st);
	MemoryContextSwitchTo(oldcxt);
	return st;
}

/* Sum the record counts of the files the quals accept. */
static void
lake_count_compute(ForeignScanState *node, LakeCountState *st)
{
	const DeltaSnapshot *snap = st->snap;
	ExprContext *econtext = node->ss.ps.ps_ExprContext;
	TupleDesc	tupdesc = RelationGetDescr(st->rel);
	int			i;

	st->total = 0;
	st->files_selected = st->files_from_log = st->footers_read = 0;
	for (i = 0; i < snap->num_files; i++)
	{
		const DeltaAddFile *f = &snap->files[i];

		if (st->quals != NIL)
		{
			TupleTableSlot *slot = st->part_slot;
			MemoryContext oldcxt;
			bool		keep = true;
			ListCell   *lc;
			int			a;

			ExecClearTuple(slot);
			memset(slot->tts_isnull, true, sizeof(bool) * tupdesc->natts);
			oldcxt = MemoryContextSwitchTo(econtext->ecxt_per_tuple_memory);
			for (a = 0; a < tupdesc->natts; a++)
			{
				const DeltaColumn *dc;
				Form_pg_attribute att = TupleDescAttr(tupdesc, a);

				if (st->attr_column[a] < 0)
					continue;
				dc = &snap->metadata.columns[st->attr_column[a]];
				slot->tts_values[a] = lake_delta_partition_datum(f->partition_values[dc->partition_index],
																 dc, att->atttypid, att->atttypmod,
																 &slot->tts_isnull[a]);
			}
			MemoryContextSwitchTo(oldcxt);
			ExecStoreVirtualTuple(slot);
			econtext->ecxt_scantuple = slot;
			foreach(lc, st->quals)
			{
				if (!ExecQual((ExprState *) lfirst(lc), econtext))
				{
					keep = false;
					break;
				}
			}
			ResetExprContext(econtext);
			if (!keep)
				continue;
		}
		st->files_selected++;
		if (f->num_records >= 0)
		{
			st->files_from_log++;
			if (pg_add_s64_overflow(st->total, f->num_records, &st->total))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("the record counts in the log of Delta table \"%s\" add up past the range of bigint",
								st->opts.location),
						 errdetail("Data file \"%s\" claims " INT64_FORMAT " records.", f->path, f->num_records)));
		}
		else
		{
			/* no statistics: the footer says (data pages are never read) */
			char	   *path = lake_delta_file_path(st->opts.location, f);

			if (st->opts.root_real != NULL)
			{
				char		real[PATH_MAX];

				if (realpath(path, real) == NULL)
					ereport(ERROR,
							(errcode_for_file_access(),
							 errmsg("could not resolve data file \"%s\": %m", path)));
				if (!lake_fdw_path_within(real, st->opts.root_real))
					ereport(ERROR,
							(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
							 errmsg("data file \"%s\" of foreign table \"%s\" is outside the root of server \"%s\"",
									path, RelationGetRelationName(st->rel), st->opts.server_name)));
			}
			if (pg_add_s64_overflow(st->total, lake_files_num_rows(path), &st->total))
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("the row counts of Delta table \"%s\" add up past the range of bigint",
								st->opts.location)));
			st->footers_read++;
			pfree(path);
		}
	}
	st->counted = true;
}

TupleTableSlot *
lake_count_next(ForeignScanState *node, void *state)
{
	LakeCountState *st = (LakeCountState *) state;
	TupleTableSlot *slot = node->ss.ss_ScanTupleSlot;
	int			i;

	ExecClearTuple(slot);
	if (st->returned)
		return slot;
	if (!st->counted)
		lake_count_compute(node, st);
	for (i = 0; i < slot->tts_tupleDescriptor->natts; i++)
	{
		slot->tts_values[i] = Int64GetDatum(st->total);
		slot->tts_isnull[i] = false;
	}
	st->returned = true;
	return ExecStoreVirtualTuple(slot);
}

void
lake_count_rescan(void *state)
{
	LakeCountState *st = (LakeCountState *) state;

	st->returned = false;
	st->counted = false;		/* parameters may have changed */
}

void
lake_count_end(void *state)
{
	LakeCountState *st = (LakeCountState *) state;

	table_close(st->rel, NoLock);
	MemoryContextDelete(st->cxt);
}

void
lake_count_explain(ForeignScanState *node, void *state, ExplainState *es)
{
	LakeCountState *st = (LakeCountState *) state;

	if (st == NULL)
		return;
	ExplainPropertyText("Delta Table", st->opts.location, es);
	ExplainPropertyInteger("Delta Version", NULL, st->snap->version, es);
	ExplainPropertyInteger("Files Total", NULL, st->snap->num_files, es);
	if (st->counted)
	{
		ExplainPropertyInteger("Files Scanned", NULL, 0, es);
		ExplainPropertyInteger("Row Groups Scanned", NULL, 0, es);
		ExplainPropertyInteger("Files Selected", NULL, st->files_selected, es);
		ExplainPropertyInteger("Files From Log", NULL, st->files_from_log, es);
		ExplainPropertyInteger("Footers Read", NULL, st->footers_read, es);
	}
}
