/*
 * copy_to.c
 *	  COPY lake_table TO ... and COPY view_over_lake_tables TO ...: a
 *	  ProcessUtility hook that rewrites such a statement into its query form
 *	  before PostgreSQL runs it.
 *
 * PostgreSQL copies out of plain tables only: "COPY foreign_table TO" and
 * "COPY view TO" are refused with a hint to use COPY (SELECT ...) TO.  That
 * breaks the most common way of exporting a table, psql's
 * "\copy schema.table TO 'file.csv' CSV HEADER" (sent as COPY ... TO STDOUT).
 * For a foreign table of iot_lakehouse_fdw, and for a view whose query reads
 * one (directly, in a subquery or through other views), the hook turns
 *
 *		COPY rel [(a, b)] TO ... WITH (options)
 * into
 *		COPY (SELECT a, b | * FROM ONLY schema.rel) TO ... WITH (options)
 *
 * building the raw SelectStmt exactly as DoCopy (commands/copy.c) does for a
 * table under row-level security, then hands the statement on.  Everything
 * else about the COPY is PostgreSQL's: writing to a server file or program
 * still needs pg_write_server_files or pg_execute_server_program, and the
 * SELECT checks the caller's privileges on the table or view as any query
 * does.  Time travel (table options, lakehouse.as_of_timestamp) applies
 * because the rows come from an ordinary scan.
 *
 * Every other statement, COPY FROM, COPY of a heap table and COPY of a view
 * that reads no lake table pass through untouched, so PostgreSQL's own
 * behaviour and messages are kept for them.
 */
#include "postgres.h"

#include "access/relation.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "miscadmin.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "nodes/plannodes.h"
#include "rewrite/rewriteHandler.h"
#include "storage/lockdefs.h"
#include "tcop/utility.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "../fdw/lake_fdw.h"
#include "iot_lakehouse.h"

/* the hook that was installed before ours (borrowed), or NULL */
static ProcessUtility_hook_type copy_to_prev_process_utility = NULL;

/* hook */
static void copy_to_process_utility(PlannedStmt *pstmt, const char *queryString,
									bool readOnlyTree, ProcessUtilityContext context,
									ParamListInfo params, QueryEnvironment *queryEnv,
									DestReceiver *dest, QueryCompletion *qc);

/* helpers */
static bool copy_to_wants_rewrite(Oid relid, char **nspname, char **relname);
static bool copy_to_view_reads_lake(Relation view, List **visited);
static bool copy_to_reads_lake_walker(Node *node, List **visited);
static ResTarget *copy_to_target(List *fields);
static PlannedStmt *copy_to_rewrite(PlannedStmt *pstmt, CopyStmt *stmt, char *nspname,
									char *relname);

void
lakehouse_copy_to_init(void)
{
	copy_to_prev_process_utility = ProcessUtility_hook;
	ProcessUtility_hook = copy_to_process_utility;
}

static void
copy_to_process_utility(PlannedStmt *pstmt, const char *queryString, bool readOnlyTree,
						ProcessUtilityContext context, ParamListInfo params,
						QueryEnvironment *queryEnv, DestReceiver *dest, QueryCompletion *qc)
{
	Node	   *parsetree = pstmt->utilityStmt;

	if (parsetree != NULL && IsA(parsetree, CopyStmt))
	{
		CopyStmt   *stmt = (CopyStmt *) parsetree;

		if (!stmt->is_from && stmt->relation != NULL && stmt->query == NULL)
		{
			Oid			relid = RangeVarGetRelid(stmt->relation, NoLock, true);
			char	   *nspname;
			char	   *relname;

			/* an unknown relation goes on to get PostgreSQL's own error */
			if (OidIsValid(relid) && copy_to_wants_rewrite(relid, &nspname, &relname))
				pstmt = copy_to_rewrite(pstmt, stmt, nspname, relname);
		}
	}

	if (copy_to_prev_process_utility)
		copy_to_prev_process_utility(pstmt, queryString, readOnlyTree, context, params,
									 queryEnv, dest, qc);
	else
		standard_ProcessUtility(pstmt, queryString, readOnlyTree, context, params,
								queryEnv, dest, qc);
}

/*
 * True if relid is a foreign table of ours or a view that reads one; then
 * *nspname and *relname (palloc'd) name it.  The relation is locked
 * (AccessShareLock, kept until the transaction ends, as DoCopy keeps it) so
 * that it cannot be dropped or renamed before the rewritten query opens it.
 */
static bool
copy_to_wants_rewrite(Oid relid, char **nspname, char **relname)
{
	char		relkind = get_rel_relkind(relid);
	Relation	rel;
	bool		result;

	/* heap tables and everything else: nothing to lock or look at */
	if (relkind != RELKIND_FOREIGN_TABLE && relkind != RELKIND_VIEW)
		return false;

	rel = try_relation_open(relid, AccessShareLock);
	if (rel == NULL)
		return false;			/* dropped meanwhile: PostgreSQL reports it */

	if (rel->rd_rel->relkind == RELKIND_FOREIGN_TABLE)
		result = lake_fdw_is_lake_table(relid);
	else if (rel->rd_rel->relkind == RELKIND_VIEW)
	{
		List	   *visited = NIL;

		result = copy_to_view_reads_lake(rel, &visited);
		list_free(visited);
	}
	else
		result = false;

	if (result)
	{
		*nspname = get_namespace_name(RelationGetNamespace(rel));
		*relname = pstrdup(RelationGetRelationName(rel));
	}
	relation_close(rel, NoLock);
	return result;
}

/*
 * True if the query of view (its _RETURN rule) reads a foreign table of
 * ours, anywhere: FROM, joins, subqueries, sublinks, CTEs, or another view
 * it reads.  visited holds the views already looked into (a view's rule
 * names the view itself in its OLD and NEW entries, and views may refer to
 * each other in a cycle that only the rewriter reports).
 */
static bool
copy_to_view_reads_lake(Relation view, List **visited)
{
	Query	   *query;

	check_stack_depth();

	if (list_member_oid(*visited, RelationGetRelid(view)))
		return false;
	*visited = lappend_oid(*visited, RelationGetRelid(view));

	/* borrowed from the relcache entry, which the caller keeps open */
	query = get_view_query(view);
	return copy_to_reads_lake_walker((Node *) query, visited);
}

static bool
copy_to_reads_lake_walker(Node *node, List **visited)
{
	if (node == NULL)
		return false;

	if (IsA(node, RangeTblEntry))
	{
		RangeTblEntry *rte = (RangeTblEntry *) node;
		Relation	view;
		bool		result;

		if (rte->rtekind != RTE_RELATION)
			return false;		/* subqueries are walked by range_table_walker */
		if (rte->relkind == RELKIND_FOREIGN_TABLE)
			return lake_fdw_is_lake_table(rte->relid);
		if (rte->relkind != RELKIND_VIEW || list_member_oid(*visited, rte->relid))
			return false;

		view = try_relation_open(rte->relid, AccessShareLock);
		if (view == NULL)
			return false;
		result = view->rd_rel->relkind == RELKIND_VIEW &&
			copy_to_view_reads_lake(view, visited);
		relation_close(view, NoLock);
		return result;
	}

	if (IsA(node, Query))
		return query_tree_walker((Query *) node, copy_to_reads_lake_walker, (void *) visited,
								 QTW_EXAMINE_RTES_BEFORE);

	return expression_tree_walker(node, copy_to_reads_lake_walker, (void *) visited);
}

/*
 * A new PlannedStmt like pstmt whose utility statement is a copy of stmt
 * in query form, built as DoCopy builds it for row-level security.  The
 * cached parse tree is left alone (it may be a plan cache's).
 */
/* One entry of the SELECT list: a ColumnRef of fields (a name, or A_Star). */
static ResTarget *
copy_to_target(List *fields)
{
	ColumnRef  *cr = makeNode(ColumnRef);
	ResTarget  *target = makeNode(ResTarget);

	cr->fields = fields;
	cr->location = -1;
	target->name = NULL;
	target->indirection = NIL;
	target->val = (Node *) cr;
	target->location = -1;
	return target;
}

static PlannedStmt *
copy_to_rewrite(PlannedStmt *pstmt, CopyStmt *stmt, char *nspname, char *relname)
{
	CopyStmt   *newstmt = copyObject(stmt);
	PlannedStmt *newpstmt;
	SelectStmt *select;
	RangeVar   *from;
	List	   *targetList = NIL;

	if (newstmt->attlist == NIL)
		targetList = list_make1(copy_to_target(list_make1(makeNode(A_Star))));	/* SELECT * */
	else
	{
		ListCell   *lc;

		/* SELECT a, b: one ColumnRef per name (a String node) of the list */
		foreach(lc, newstmt->attlist)
			targetList = lappend(targetList, copy_to_target(list_make1(lfirst(lc))));
	}

	/*
	 * FROM ONLY schema.rel, qualified by the relation found (and locked)
	 * above.  ONLY, which PostgreSQL 15's DoCopy leaves out but later
	 * releases add: COPY of a table never includes inheritance children.
	 */
	from = makeRangeVar(nspname, relname, -1);
	from->inh = false;

	select = makeNode(SelectStmt);
	select->targetList = targetList;
	select->fromClause = list_make1(from);

	newstmt->relation = NULL;
	newstmt->query = (Node *) select;
	newstmt->attlist = NIL;

	newpstmt = makeNode(PlannedStmt);
	memcpy(newpstmt, pstmt, sizeof(PlannedStmt));
	newpstmt->utilityStmt = (Node *) newstmt;
	return newpstmt;
}
