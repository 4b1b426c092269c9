/*
 * fdw_modify.c
 *	  The FDW's insert callbacks: INSERT (row by row and batched), INSERT
 *	  ... SELECT and COPY FROM into a Delta foreign table.  Rows go to the
 *	  transaction's pending write of the table (fdw_write.c), which commits
 *	  them as one Delta version when the transaction commits.  UPDATE and
 *	  DELETE are not offered (the executor says the table does not allow
 *	  them).
 */
#include "postgres.h"

#include "foreign/fdwapi.h"
#include "nodes/execnodes.h"
#include "utils/memutils.h"
#include "utils/rel.h"

#include "lake_fdw.h"

/* rows ExecForeignBatchInsert is handed at once */
#define LAKE_INSERT_BATCH_SIZE 1000

/* Executor state of an insert into one foreign table (ri_FdwState). */
typedef struct LakeModifyState
{
	LakeWriteTable *wt;			/* the transaction's pending write of the table */
	MemoryContext rowcxt;		/* values converted for one row, reset per row */
} LakeModifyState;

/* FDW callbacks */
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
static LakeModifyState *lake_modify_begin(ResultRelInfo *rinfo, EState *estate);

/* Nothing to plan: the rows come from the subplan as they are. */
List *
lakePlanForeignModify(PlannerInfo *root, ModifyTable *plan, Index resultRelation, int subplan_index)
{
	if (plan->operation != CMD_INSERT)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("Delta foreign tables only support INSERT")));
	if (plan->onConflictAction != ONCONFLICT_NONE)
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("INSERT with ON CONFLICT is not supported on Delta foreign tables")));
	return NIL;
}

/* INSERT is the only modification (UPDATE and DELETE would need deletion vectors or rewrites). */
int
lakeIsForeignRelUpdatable(Relation rel)
{
	return (1 << CMD_INSERT);
}

static LakeModifyState *
lake_modify_begin(ResultRelInfo *rinfo, EState *estate)
{
	LakeModifyState *ms = palloc0(sizeof(LakeModifyState));

	ms->wt = lake_write_table(rinfo->ri_RelationDesc);
	ms->rowcxt = AllocSetContextCreate(estate->es_query_cxt, "iot_lakehouse insert row",
									   ALLOCSET_SMALL_SIZES);
	return ms;
}

void
lakeBeginForeignModify(ModifyTableState *mtstate, ResultRelInfo *rinfo, List *fdw_private,
					   int subplan_index, int eflags)
{
	if (eflags & EXEC_FLAG_EXPLAIN_ONLY)
		return;
	rinfo->ri_FdwState = lake_modify_begin(rinfo, mtstate->ps.state);
}

TupleTableSlot *
lakeExecForeignInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot *slot,
					  TupleTableSlot *planSlot)
{
	LakeModifyState *ms = (LakeModifyState *) rinfo->ri_FdwState;
	MemoryContext oldcxt = MemoryContextSwitchTo(ms->rowcxt);

	lake_write_slot(ms->wt, slot);
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(ms->rowcxt);
	return slot;
}

TupleTableSlot **
lakeExecForeignBatchInsert(EState *estate, ResultRelInfo *rinfo, TupleTableSlot **slots,
						   TupleTableSlot **planSlots, int *numSlots)
{
	LakeModifyState *ms = (LakeModifyState *) rinfo->ri_FdwState;
	MemoryContext oldcxt = MemoryContextSwitchTo(ms->rowcxt);
	int			i;

	for (i = 0; i < *numSlots; i++)
	{
		lake_write_slot(ms->wt, slots[i]);
		MemoryContextReset(ms->rowcxt);
	}
	MemoryContextSwitchTo(oldcxt);
	return slots;
}

/* Batches unless RETURNING or row triggers need each row back (as postgres_fdw decides). */
int
lakeGetForeignModifyBatchSize(ResultRelInfo *rinfo)
{
	if (rinfo->ri_projectReturning != NULL)
		return 1;
	if (rinfo->ri_TrigDesc != NULL &&
		(rinfo->ri_TrigDesc->trig_insert_after_row || rinfo->ri_TrigDesc->trig_insert_before_row))
		return 1;
	return LAKE_INSERT_BATCH_SIZE;
}

void
lakeEndForeignModify(EState *estate, ResultRelInfo *rinfo)
{
	/* the rows stay pending until the transaction commits */
	rinfo->ri_FdwState = NULL;
}

/* COPY FROM and tuple routing */
void
lakeBeginForeignInsert(ModifyTableState *mtstate, ResultRelInfo *rinfo)
{
	EState	   *estate = mtstate != NULL ? mtstate->ps.state : NULL;

	if (estate == NULL)
	{
		/* COPY FROM passes its own ModifyTableState; be safe without one */
		LakeModifyState *ms = palloc0(sizeof(LakeModifyState));

		ms->wt = lake_write_table(rinfo->ri_RelationDesc);
		ms->rowcxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse insert row",
										   ALLOCSET_SMALL_SIZES);
		rinfo->ri_FdwState = ms;
		return;
	}
	rinfo->ri_FdwState = lake_modify_begin(rinfo, estate);
}

void
lakeEndForeignInsert(EState *estate, ResultRelInfo *rinfo)
{
	rinfo->ri_FdwState = NULL;
}
