/*
 * fdw_pushdown.c
 *	  Quals -> ParquetPredicate.  At plan time, pick the restriction clauses
 *	  of the form "column op value" (=, <, <=, >, >=, = ANY(array), IS [NOT]
 *	  NULL, a bare boolean column) whose value is a Const or a Param.  At
 *	  scan start (and rescan) evaluate the values; per file, express each in
 *	  the physical representation of the column's leaf, exactly or not at
 *	  all, so that parquet_reader_row_group_may_match can rule out row groups.
 *
 * Pushdown only skips row groups: every qual stays a local filter, so a
 * result never depends on it.  What is not pushed, and why:
 *   - floats: only col < c, col <= c, col = c and IN, with c neither NaN
 *     nor zero (PostgreSQL sorts NaN above everything, while writers leave
 *     NaN out of statistics; -0 and +0 are equal);
 *   - text ranges unless the collation is C (statistics are byte order),
 *     text equality unless the collation is deterministic;
 *   - bpchar (trailing blanks are insignificant), unsigned leaves, INT96,
 *     BYTE_ARRAY decimals, cross-type comparisons other than among integers
 *     and among floats.
 */
#include "postgres.h"

#include <math.h>

#include "access/nbtree.h"
#include "access/stratnum.h"
#include "catalog/pg_collation.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/executor.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "nodes/nodeFuncs.h"
#include "optimizer/clauses.h"
#include "optimizer/optimizer.h"
#include "utils/array.h"
#include "utils/date.h"
#include "utils/datum.h"
#include "utils/lsyscache.h"
#include "utils/pg_locale.h"
#include "utils/timestamp.h"
#include "utils/typcache.h"
#include "utils/uuid.h"

#include "lake_fdw.h"
#include "lake_pg.h"

/* at most this many values of an IN list are pushed */
#define LAKE_PUSHDOWN_MAX_IN 1000

#define LAKE_UNIX_TO_PG_DAYS	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))
#define LAKE_UNIX_TO_PG_USECS	(LAKE_UNIX_TO_PG_DAYS * USECS_PER_DAY)

/* helpers */
static Var *lake_pushdown_var(Node *node, Index relid);
static bool lake_pushdown_is_value(Node *node);
static int	lake_pushdown_class(Oid vartype, Oid valtype);
static bool lake_pushdown_strategy_ok(int vclass, int strategy, Oid inputcollid);
static void lake_pushdown_add(List **attnos, List **ops, List **classes, List **exprs,
							  AttrNumber attnum, LakeCompareOp op, int vclass, Expr *value);
static bool lake_pushdown_value(const LakePushdownQual *qual, Datum d, const LakeConv *conv,
								const ParquetSchemaElement *leaf, ParquetValue *pv);

/* ----------------------------------------------------------- plan time */

/* The Var of this rel under any binary-compatible relabelling, or NULL. */
static Var *
lake_pushdown_var(Node *node, Index relid)
{
	Var		   *var;

	while (node != NULL && IsA(node, RelabelType))
		node = (Node *) ((RelabelType *) node)->arg;
	if (node == NULL || !IsA(node, Var))
		return NULL;
	var = (Var *) node;
	if (var->varno != relid || var->varlevelsup != 0 || var->varattno <= 0)
		return NULL;
	return var;
}

static bool
lake_pushdown_is_value(Node *node)
{
	if (node == NULL)
		return false;
	if (IsA(node, Const))
		return true;
	if (IsA(node, Param))
	{
		Param	   *p = (Param *) node;

		return p->paramkind == PARAM_EXTERN || p->paramkind == PARAM_EXEC;
	}

	/*
	 * An expression of constants, parameters and stable functions (now(),
	 * timestamptz + interval): the scan evaluates it once when it starts.
	 */
	return !contain_var_clause(node) && !contain_volatile_functions(node) &&
		!contain_subplans(node);
}

/* The LakeValueClass for a column of vartype compared with valtype, or -1. */
static int
lake_pushdown_class(Oid vartype, Oid valtype)
{
	switch (vartype)
	{
		case BOOLOID:
			return valtype == BOOLOID ? LAKE_VAL_BOOL : -1;
		case INT2OID:
		case INT4OID:
		case INT8OID:
			return (valtype == INT2OID || valtype == INT4OID || valtype == INT8OID) ? LAKE_VAL_INT : -1;
		case FLOAT4OID:
		case FLOAT8OID:
			return (valtype == FLOAT4OID || valtype == FLOAT8OID) ? LAKE_VAL_FLOAT : -1;
		case NUMERICOID:
			return valtype == NUMERICOID ? LAKE_VAL_NUMERIC : -1;
		case TEXTOID:
		case VARCHAROID:
			return (valtype == TEXTOID || valtype == VARCHAROID) ? LAKE_VAL_TEXT : -1;
		case BYTEAOID:
			return valtype == BYTEAOID ? LAKE_VAL_BYTEA : -1;
		case DATEOID:
			return valtype == DATEOID ? LAKE_VAL_DATE : -1;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return valtype == vartype ? LAKE_VAL_TIMESTAMP : -1;
		case UUIDOID:
			return valtype == UUIDOID ? LAKE_VAL_UUID : -1;
		default:
			return -1;
	}
}

/* strategy is for "column op value" */
static bool
lake_pushdown_strategy_ok(int vclass, int strategy, Oid inputcollid)
{
	switch (vclass)
	{
		case LAKE_VAL_BOOL:
			return strategy == BTEqualStrategyNumber;
		case LAKE_VAL_FLOAT:
			return strategy == BTEqualStrategyNumber || strategy == BTLessStrategyNumber ||
				strategy == BTLessEqualStrategyNumber;
		case LAKE_VAL_TEXT:
			if (!OidIsValid(inputcollid))
				return false;
			if (strategy == BTEqualStrategyNumber)
				return get_collation_isdeterministic(inputcollid);
			return lc_collate_is_c(inputcollid);
		default:
			return true;
	}
}

static LakeCompareOp
lake_pushdown_op(int strategy)
{
	switch (strategy)
	{
		case BTLessStrategyNumber:
			return LAKE_OP_LT;
		case BTLessEqualStrategyNumber:
			return LAKE_OP_LE;
		case BTEqualStrategyNumber:
			return LAKE_OP_EQ;
		case BTGreaterEqualStrategyNumber:
			return LAKE_OP_GE;
		case BTGreaterStrategyNumber:
			return LAKE_OP_GT;
	}
	elog(ERROR, "unexpected btree strategy %d", strategy);
	pg_unreachable();
}

/* The btree strategy of opno for the column's type, 0 if none. */
static int
lake_pushdown_strategy(Oid opno, Oid vartype)
{
	TypeCacheEntry *tce = lookup_type_cache(vartype, TYPECACHE_BTREE_OPFAMILY);

	if (!OidIsValid(tce->btree_opf))
		return 0;
	return get_op_opfamily_strategy(opno, tce->btree_opf);
}

static void
lake_pushdown_add(List **attnos, List **ops, List **classes, List **exprs,
				  AttrNumber attnum, LakeCompareOp op, int vclass, Expr *value)
{
	*attnos = lappend_int(*attnos, attnum);
	*ops = lappend_int(*ops, op);
	*classes = lappend_int(*classes, vclass);
	*exprs = lappend(*exprs, value);
}

void
lake_pushdown_classify(PlannerInfo *root, RelOptInfo *baserel, List *clauses,
					   List **attnos, List **ops, List **classes, List **exprs)
{
	Index		relid = baserel->relid;
	ListCell   *lc;

	*attnos = *ops = *classes = *exprs = NIL;
	foreach(lc, clauses)
	{
		Node	   *clause = (Node *) lfirst(lc);
		Var		   *var;

		if (IsA(clause, RestrictInfo))
			clause = (Node *) ((RestrictInfo *) clause)->clause;

		if (IsA(clause, OpExpr) && list_length(((OpExpr *) clause)->args) == 2)
		{
			OpExpr	   *op = (OpExpr *) clause;
			Node	   *left = linitial(op->args);
			Node	   *right = lsecond(op->args);
			Node	   *value;
			bool		commuted = false;
			int			strategy;
			int			vclass;

			if ((var = lake_pushdown_var(left, relid)) != NULL && lake_pushdown_is_value(right))
				value = right;
			else if ((var = lake_pushdown_var(right, relid)) != NULL && lake_pushdown_is_value(left))
			{
				value = left;
				commuted = true;
			}
			else
				continue;

			strategy = lake_pushdown_strategy(op->opno, var->vartype);
			if (strategy == 0)
				continue;
			if (commuted)
				strategy = BTCommuteStrategyNumber(strategy);
			vclass = lake_pushdown_class(var->vartype, exprType(value));
			if (vclass < 0 || !lake_pushdown_strategy_ok(vclass, strategy, op->inputcollid))
				continue;
			lake_pushdown_add(attnos, ops, classes, exprs, var->varattno,
							  lake_pushdown_op(strategy), vclass, (Expr *) value);
		}
		else if (IsA(clause, ScalarArrayOpExpr))
		{
			ScalarArrayOpExpr *saop = (ScalarArrayOpExpr *) clause;
			Node	   *array = lsecond(saop->args);
			Oid			elemtype;
			int			vclass;

			if (!saop->useOr || (var = lake_pushdown_var(linitial(saop->args), relid)) == NULL ||
				!lake_pushdown_is_value(array))
				continue;
			elemtype = get_element_type(exprType(array));
			if (!OidIsValid(elemtype) ||
				lake_pushdown_strategy(saop->opno, var->vartype) != BTEqualStrategyNumber)
				continue;
			vclass = lake_pushdown_class(var->vartype, elemtype);
			if (vclass < 0 || !lake_pushdown_strategy_ok(vclass, BTEqualStrategyNumber, saop->inputcollid))
				continue;
			lake_pushdown_add(attnos, ops, classes, exprs, var->varattno, LAKE_OP_IN, vclass,
							  (Expr *) array);
		}
		else if (IsA(clause, NullTest))
		{
			NullTest   *nt = (NullTest *) clause;

			if (nt->argisrow || (var = lake_pushdown_var((Node *) nt->arg, relid)) == NULL)
				continue;
			lake_pushdown_add(attnos, ops, classes, exprs, var->varattno,
							  nt->nulltesttype == IS_NULL ? LAKE_OP_IS_NULL : LAKE_OP_IS_NOT_NULL,
							  LAKE_VAL_BOOL, (Expr *) makeBoolConst(true, false));
		}
		else if ((var = lake_pushdown_var(clause, relid)) != NULL && var->vartype == BOOLOID)
		{
			/* WHERE flag */
			lake_pushdown_add(attnos, ops, classes, exprs, var->varattno, LAKE_OP_EQ,
							  LAKE_VAL_BOOL, (Expr *) makeBoolConst(true, false));
		}
		else if (is_notclause(clause) &&
				 (var = lake_pushdown_var((Node *) get_notclausearg((Expr *) clause), relid)) != NULL &&
				 var->vartype == BOOLOID)
		{
			/* WHERE NOT flag */
			lake_pushdown_add(attnos, ops, classes, exprs, var->varattno, LAKE_OP_EQ,
							  LAKE_VAL_BOOL, (Expr *) makeBoolConst(false, false));
		}
	}
}

/* ----------------------------------------------------------- exec time */

void
lake_pushdown_evaluate(LakePushdownQual *quals, int num_quals, List *expr_states,
					   ExprContext *econtext, MemoryContext cxt)
{
	int			i;

	for (i = 0; i < num_quals; i++)
	{
		LakePushdownQual *q = &quals[i];
		ExprState  *es = list_nth(expr_states, i);
		Oid			type = exprType((Node *) es->expr);
		int16		typlen;
		bool		typbyval;
		char		typalign;
		Datum		d;
		bool		isnull;
		MemoryContext oldcxt;

		q->usable = false;
		q->num_values = 0;
		q->values = NULL;
		if (q->op == LAKE_OP_IS_NULL || q->op == LAKE_OP_IS_NOT_NULL)
		{
			q->usable = true;
			continue;
		}

		d = ExecEvalExprSwitchContext(es, econtext, &isnull);
		if (isnull)
			continue;			/* never true: the local filter sees to it */

		oldcxt = MemoryContextSwitchTo(cxt);
		if (q->op == LAKE_OP_IN)
		{
			ArrayType  *arr = DatumGetArrayTypeP(d);
			Datum	   *elems;
			bool	   *elem_nulls;
			int			n;
			int			j;

			q->valtype = ARR_ELEMTYPE(arr);
			get_typlenbyvalalign(q->valtype, &typlen, &typbyval, &typalign);
			deconstruct_array(arr, q->valtype, typlen, typbyval, typalign,
							  &elems, &elem_nulls, &n);
			if (n > 0 && n <= LAKE_PUSHDOWN_MAX_IN)
			{
				q->values = palloc(sizeof(Datum) * n);
				for (j = 0; j < n; j++)
				{
					if (!elem_nulls[j])
						q->values[q->num_values++] = datumCopy(elems[j], typbyval, typlen);
				}
				q->usable = q->num_values > 0;
			}
		}
		else
		{
			q->valtype = type;
			get_typlenbyvalalign(type, &typlen, &typbyval, &typalign);
			q->values = palloc(sizeof(Datum));
			q->values[0] = datumCopy(d, typbyval, typlen);
			q->num_values = 1;
			q->usable = true;
		}
		MemoryContextSwitchTo(oldcxt);
	}
}

static bool
lake_pushdown_fits_int32(int64 v)
{
	return v >= PG_INT32_MIN && v <= PG_INT32_MAX;
}

/* One value in the leaf's physical representation, if exact. */
static bool
lake_pushdown_value(const LakePushdownQual *qual, Datum d, const LakeConv *conv,
					const ParquetSchemaElement *leaf, ParquetValue *pv)
{
	switch (qual->vclass)
	{
		case LAKE_VAL_BOOL:
			if (conv->src != LAKE_SRC_BOOL)
				return false;
			pv->boolean = DatumGetBool(d);
			return true;

		case LAKE_VAL_INT:
			{
				int64		v;

				if (qual->valtype == INT2OID)
					v = DatumGetInt16(d);
				else if (qual->valtype == INT4OID)
					v = DatumGetInt32(d);
				else
					v = DatumGetInt64(d);
				if (conv->src == LAKE_SRC_I32 && lake_pushdown_fits_int32(v))
				{
					pv->i32 = (int32) v;
					return true;
				}
				if (conv->src == LAKE_SRC_I64)
				{
					pv->i64 = v;
					return true;
				}
				return false;
			}

		case LAKE_VAL_FLOAT:
			{
				double		v = qual->valtype == FLOAT4OID ? DatumGetFloat4(d) : DatumGetFloat8(d);

				if (isnan(v) || v == 0.0 || isinf(v))
					return false;
				if (conv->src == LAKE_SRC_FLOAT && (double) (float) v == v)
				{
					pv->f32 = (float) v;
					return true;
				}
				if (conv->src == LAKE_SRC_DOUBLE && conv->dst == LAKE_DST_FLOAT8)
				{
					pv->f64 = v;
					return true;
				}
				return false;
			}

		case LAKE_VAL_NUMERIC:
			{
				Numeric		num = DatumGetNumeric(d);
				int128		u;
				int			scale;

				/* numeric(p,s) rounds what it reads: statistics would not bound it */
				if (conv->typmod >= 0)
					return false;
				if (conv->src == LAKE_SRC_DEC32 || conv->src == LAKE_SRC_DEC64 ||
					conv->src == LAKE_SRC_DECBYTES)
					scale = conv->scale;
				else if (conv->src == LAKE_SRC_I32 || conv->src == LAKE_SRC_I64)
					scale = 0;
				else
					return false;
				if (lake_pg_numeric_to_unscaled(num, scale, 38, false, &u) != LAKE_NUMERIC_OK)
					return false;
				if (conv->src == LAKE_SRC_DEC32 || conv->src == LAKE_SRC_I32)
				{
					if (u < PG_INT32_MIN || u > PG_INT32_MAX)
						return false;
					pv->i32 = (int32) u;
					return true;
				}
				if (conv->src == LAKE_SRC_DEC64 || conv->src == LAKE_SRC_I64)
				{
					if (u < PG_INT64_MIN || u > PG_INT64_MAX)
						return false;
					pv->i64 = (int64) u;
					return true;
				}
				/* FIXED_LEN_BYTE_ARRAY: big-endian two's complement of type_length bytes */
				if (leaf->type == PQ_FIXED_LEN_BYTE_ARRAY && leaf->type_length > 0 &&
					leaf->type_length <= 16)
				{
					int			len = leaf->type_length;
					uint8	   *buf = palloc(len);
					int128		check;
					int			i;

					if (len < 16)
					{
						int128		limit = (int128) 1 << (8 * len - 1);

						if (u >= limit || u < -limit)
							return false;
					}
					check = u;
					for (i = len - 1; i >= 0; i--)
					{
						buf[i] = (uint8) (check & 0xff);
						check >>= 8;
					}
					pv->bytes.ptr = buf;
					pv->bytes.len = len;
					return true;
				}
				return false;
			}

		case LAKE_VAL_TEXT:
			{
				text	   *t;

				if (conv->src != LAKE_SRC_STRING || conv->dst != LAKE_DST_TEXT ||
					GetDatabaseEncoding() != PG_UTF8)
					return false;
				t = DatumGetTextPP(d);
				pv->bytes.ptr = (const uint8_t *) VARDATA_ANY(t);
				pv->bytes.len = VARSIZE_ANY_EXHDR(t);
				return true;
			}

		case LAKE_VAL_BYTEA:
			{
				bytea	   *b;

				if (conv->dst != LAKE_DST_BYTEA ||
					(conv->src != LAKE_SRC_STRING && conv->src != LAKE_SRC_BINARY))
					return false;
				b = DatumGetByteaPP(d);
				pv->bytes.ptr = (const uint8_t *) VARDATA_ANY(b);
				pv->bytes.len = VARSIZE_ANY_EXHDR(b);
				return true;
			}

		case LAKE_VAL_DATE:
			{
				DateADT		date = DatumGetDateADT(d);
				int64		days;

				if (conv->src != LAKE_SRC_DATE || DATE_NOT_FINITE(date))
					return false;
				days = (int64) date + LAKE_UNIX_TO_PG_DAYS;
				if (!lake_pushdown_fits_int32(days))
					return false;
				pv->i32 = (int32) days;
				return true;
			}

		case LAKE_VAL_TIMESTAMP:
			{
				Timestamp	ts = DatumGetTimestamp(d);
				int64		micros;

				if (TIMESTAMP_NOT_FINITE(ts) ||
					pg_add_s64_overflow(ts, LAKE_UNIX_TO_PG_USECS, &micros))
					return false;
				switch (conv->src)
				{
					case LAKE_SRC_TS_MICROS:
						pv->i64 = micros;
						return true;
					case LAKE_SRC_TS_MILLIS:
						if (micros % 1000 != 0)
							return false;
						pv->i64 = micros / 1000;
						return true;
					case LAKE_SRC_TS_NANOS:
						return !pg_mul_s64_overflow(micros, 1000, &pv->i64);
					default:
						return false;
				}
			}

		case LAKE_VAL_UUID:
			{
				pg_uuid_t  *u = DatumGetUUIDP(d);

				if (conv->src != LAKE_SRC_UUID || conv->dst != LAKE_DST_UUID)
					return false;
				pv->bytes.ptr = u->data;
				pv->bytes.len = UUID_LEN;
				return true;
			}
	}
	return false;
}

bool
lake_pushdown_to_parquet(const LakePushdownQual *qual, const LakeConv *conv,
						 const ParquetSchemaElement *leaf, ParquetValue **values,
						 int *num_values)
{
	ParquetValue *pv;
	int			i;

	*values = NULL;
	*num_values = 0;
	if (!qual->usable || conv->src == LAKE_SRC_NESTED || conv->src == LAKE_SRC_NONE)
		return false;
	if (qual->op == LAKE_OP_IS_NULL || qual->op == LAKE_OP_IS_NOT_NULL)
		return true;

	pv = palloc0(sizeof(ParquetValue) * qual->num_values);
	for (i = 0; i < qual->num_values; i++)
	{
		if (!lake_pushdown_value(qual, qual->values[i], conv, leaf, &pv[i]))
			return false;
	}
	*values = pv;
	*num_values = qual->num_values;
	return true;
}
