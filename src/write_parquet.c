/*
 * write_parquet.c
 *	  lakehouse.write_parquet(query, path, compression): runs a query to
 *	  completion through SPI into our own DestReceiver, which converts each
 *	  row's Datums straight from the executor's slot (no tuple copies) into
 *	  column batches of LAKE_WRITE_BATCH_ROWS rows, and hands each batch to
 *	  lake's writer in one parquet_writer_write_rows call.  The result is
 *	  never held in memory beyond one batch.
 *
 * The file appears atomically: LakeOutput writes "<path>.tmp.<pid>" and
 * renames it into place once the footer is written; on any error the
 * temporary file is removed.
 *
 * Type mapping (every column OPTIONAL, names kept exactly):
 *   boolean BOOLEAN; smallint INT32 INT(16); integer INT32; bigint INT64;
 *   real FLOAT; double precision DOUBLE;
 *   numeric(p,s) DECIMAL(p,s) as INT32 (p <= 9), INT64 (p <= 18) or the
 *   smallest FIXED_LEN_BYTE_ARRAY; numeric without a typmod DECIMAL(38,18),
 *   values rounded to 18 decimals, an error when one has more than 20
 *   integer digits;
 *   date INT32 DATE; timestamp INT64 TIMESTAMP(MICROS, local); timestamptz
 *   INT64 TIMESTAMP(MICROS, UTC); text, varchar, char, name BYTE_ARRAY
 *   STRING; bytea BYTE_ARRAY; uuid FIXED_LEN_BYTE_ARRAY(16) UUID; json and
 *   jsonb BYTE_ARRAY JSON.  Domains are written as their base type.
 *   Infinite dates and timestamps, and NaN or infinite numerics, are errors.
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "iot_lakehouse.h"
#include "lake/compression.h"
#include "lake/parquet_writer.h"
#include "lake_pg.h"

/* rows converted before they go to the writer together */
#define LAKE_WRITE_BATCH_ROWS 1024

/*
 * Bytes of each batch's arena, where values that point into the executor's
 * tuples are copied (they do not outlive the row); a batch is written early
 * once half of it is used, and a value that does not fit is palloc'd.
 */
#define LAKE_WRITE_ARENA_BYTES (256 * 1024)

/* DECIMAL(38,18) for numeric without a typmod */
#define LAKE_WRITE_NUMERIC_PRECISION 38
#define LAKE_WRITE_NUMERIC_SCALE 18

#define LAKE_UNIX_TO_PG_DAYS	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))
#define LAKE_UNIX_TO_PG_USECS	(LAKE_UNIX_TO_PG_DAYS * USECS_PER_DAY)

/* How a column's values are written. */
typedef enum LakeWriteKind
{
	LAKE_WRITE_BOOL,
	LAKE_WRITE_INT2,
	LAKE_WRITE_INT4,
	LAKE_WRITE_INT8,
	LAKE_WRITE_FLOAT4,
	LAKE_WRITE_FLOAT8,
	LAKE_WRITE_NUMERIC,
	LAKE_WRITE_DATE,
	LAKE_WRITE_TIMESTAMP,
	LAKE_WRITE_TEXT,			/* text, varchar, bpchar, json */
	LAKE_WRITE_NAME,
	LAKE_WRITE_BYTEA,
	LAKE_WRITE_UUID,
	LAKE_WRITE_JSONB
} LakeWriteKind;

/* One column of the query's result. */
typedef struct LakeWriteColumn
{
	const char *name;			/* borrowed from the tuple descriptor */
	Oid			typid;			/* the base type */
	LakeWriteKind kind;
	ParquetPhysicalType physical;
	int			precision;		/* numeric */
	int			scale;
	bool		unconstrained;	/* numeric without a typmod */
	int			flba_len;		/* numeric as FIXED_LEN_BYTE_ARRAY */
} LakeWriteColumn;

/*
 * The DestReceiver the query's rows go to, and everything the write needs.
 * Lives in writecxt; memory of the current batch's values in batchcxt.
 */
typedef struct LakeWriteState
{
	DestReceiver pub;			/* the executor's interface; must be first */
	const char *path;			/* borrowed: the target file */
	ParquetCodec codec;
	MemoryContext writecxt;		/* the writer, columns and batch arrays */
	MemoryContext batchcxt;		/* values converted for the current batch */
	LakeAllocator *alloc;		/* lake's allocations, in writecxt */
	LakeOutput	out;			/* the temporary file, renamed at commit */
	bool		out_open;		/* out must be aborted on error */
	bool		started;		/* rStartup ran: the schema and writer exist */
	bool		convert_encoding;	/* the database encoding is not UTF-8 (or SQL_ASCII) */
	ParquetWriter *writer;
	LakeError	err;
	int			natts;
	LakeWriteColumn *cols;
	ParquetValue **values;		/* per column: the batch's values */
	bool	  **nulls;			/* per column: the batch's nulls */
	int			nrows;			/* rows in the batch */
	char	   *arena;			/* LAKE_WRITE_ARENA_BYTES */
	size_t		arena_used;
} LakeWriteState;

/* SQL functions */
PG_FUNCTION_INFO_V1(lakehouse_write_parquet);

/* the DestReceiver */
static void lake_write_startup(DestReceiver *self, int operation, TupleDesc typeinfo);
static bool lake_write_receive(TupleTableSlot *slot, DestReceiver *self);
static void lake_write_shutdown(DestReceiver *self);
static void lake_write_destroy(DestReceiver *self);

/* helpers */
static void lake_write_column_init(LakeWriteColumn *col, Form_pg_attribute att,
								   ParquetSchemaElement *e);
static void lake_write_flush(LakeWriteState *st);
static void lake_write_value(LakeWriteState *st, LakeWriteColumn *col, Datum d, ParquetValue *pv);
static void lake_write_string(LakeWriteState *st, const char *s, size_t len, bool owned,
							  ParquetValue *pv);
static const uint8 *lake_write_copy(LakeWriteState *st, const void *p, size_t len);

/*
 * write_parquet(query text, path text, compression text) returns bigint
 */
Datum
lakehouse_write_parquet(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *compression = text_to_cstring(PG_GETARG_TEXT_PP(2));
	ParquetCodec codec;
	MemoryContext writecxt;
	LakeWriteState *st;
	SPIPrepareOptions prep_opts;
	SPIExecuteOptions exec_opts;
	SPIPlanPtr	plan;
	int			rc;
	int64		rows = 0;

	/* like COPY TO a file */
	if (!has_privs_of_role(GetUserId(), ROLE_PG_WRITE_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to write Parquet file \"%s\"", path),
				 errdetail("Only superusers and roles with privileges of the pg_write_server_files role may write files on the server.")));
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("relative path not allowed for write_parquet: \"%s\"", path)));
	if (!lake_codec_from_name(compression, &codec))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("unknown Parquet compression \"%s\"", compression),
				 errhint("Valid compressions are \"snappy\", \"zstd\", \"gzip\", \"lz4_raw\" and \"none\" (or \"uncompressed\").")));

	writecxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse write_parquet",
									 ALLOCSET_DEFAULT_SIZES);
	st = MemoryContextAllocZero(writecxt, sizeof(LakeWriteState));
	st->pub.receiveSlot = lake_write_receive;
	st->pub.rStartup = lake_write_startup;
	st->pub.rShutdown = lake_write_shutdown;
	st->pub.rDestroy = lake_write_destroy;
	st->pub.mydest = DestNone;
	st->path = path;
	st->codec = codec;
	st->writecxt = writecxt;
	st->batchcxt = AllocSetContextCreate(writecxt, "iot_lakehouse write_parquet batch",
										 ALLOCSET_DEFAULT_SIZES);
	st->alloc = MemoryContextAlloc(writecxt, sizeof(LakeAllocator));
	lake_pg_allocator_init(st->alloc, writecxt);
	st->convert_encoding = GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII;
	lake_pg_error_init(&st->err);

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	/* one statement that returns rows; planned for all of them */
	memset(&prep_opts, 0, sizeof(prep_opts));
	prep_opts.parseMode = RAW_PARSE_DEFAULT;
	prep_opts.cursorOptions = CURSOR_OPT_PARALLEL_OK;
	plan = SPI_prepare_extended(query, &prep_opts);
	if (plan == NULL)
		elog(ERROR, "SPI_prepare_extended failed: %s", SPI_result_code_string(SPI_result));
	if (!SPI_is_cursor_plan(plan))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query for write_parquet must be a single statement that returns rows")));

	PG_TRY();
	{
		/* the rows go to lake_write_receive; lake_write_startup opens the file */
		memset(&exec_opts, 0, sizeof(exec_opts));
		exec_opts.read_only = false;
		exec_opts.tcount = 0;
		exec_opts.dest = &st->pub;
		rc = SPI_execute_plan_extended(plan, &exec_opts);
		if (rc < 0)
			elog(ERROR, "SPI_execute_plan_extended failed: %s", SPI_result_code_string(rc));
		if (!st->started)
			elog(ERROR, "write_parquet: the query sent no result description");

		lake_write_flush(st);
		lake_pg_check(parquet_writer_finish(st->writer, &st->err), &st->err, path);
		rows = parquet_writer_num_rows(st->writer);
		lake_pg_check(lake_output_commit(&st->out, &st->err), &st->err, path);
		st->out_open = false;
		parquet_writer_destroy(st->writer);
		st->writer = NULL;
	}
	PG_CATCH();
	{
		/* remove the temporary file; the memory goes with the contexts */
		if (st->out_open)
			lake_output_abort(&st->out);
		PG_RE_THROW();
	}
	PG_END_TRY();

	SPI_freeplan(plan);
	SPI_finish();
	MemoryContextDelete(writecxt);

	PG_RETURN_INT64(rows);
}

/*
 * The executor is about to send rows: build the Parquet schema from their
 * description, open the temporary file and the writer.
 */
static void
lake_write_startup(DestReceiver *self, int operation, TupleDesc typeinfo)
{
	LakeWriteState *st = (LakeWriteState *) self;
	MemoryContext oldcxt;
	ParquetSchemaElement *schema;
	ParquetWriterOptions wopts;
	int			natts = typeinfo->natts;
	int			i;

	if (st->started)
		elog(ERROR, "write_parquet: a second result description");
	if (natts == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query for write_parquet returns no columns")));
	oldcxt = MemoryContextSwitchTo(st->writecxt);

	/* the schema: the root, then one leaf per column */
	st->natts = natts;
	st->cols = palloc0(sizeof(LakeWriteColumn) * natts);
	schema = palloc0(sizeof(ParquetSchemaElement) * (natts + 1));
	schema[0] = parquet_writer_element_group("schema", PQ_REQUIRED, natts);
	schema[0].has_repetition = false;
	for (i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(typeinfo, i);
		int			j;

		for (j = 0; j < i; j++)
		{
			if (strcmp(NameStr(att->attname), st->cols[j].name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("query for write_parquet returns more than one column named \"%s\"",
								NameStr(att->attname)),
						 errhint("Give the columns distinct names with AS.")));
		}
		lake_write_column_init(&st->cols[i], att, &schema[i + 1]);
	}

	/* the batch */
	st->values = palloc(sizeof(ParquetValue *) * natts);
	st->nulls = palloc(sizeof(bool *) * natts);
	for (i = 0; i < natts; i++)
	{
		st->values[i] = palloc0(sizeof(ParquetValue) * LAKE_WRITE_BATCH_ROWS);
		st->nulls[i] = palloc0(sizeof(bool) * LAKE_WRITE_BATCH_ROWS);
	}
	st->arena = palloc(LAKE_WRITE_ARENA_BYTES);
	st->arena_used = 0;
	st->nrows = 0;
	MemoryContextSwitchTo(oldcxt);

	lake_pg_check(lake_output_open_file(st->alloc, st->path, &st->out, &st->err), &st->err, st->path);
	st->out_open = true;
	parquet_writer_options_init(&wopts);
	wopts.codec = st->codec;
	wopts.row_group_rows = lakehouse_parquet_row_group_rows;
	wopts.row_group_bytes = (uint64) lakehouse_parquet_row_group_size * 1024;
	lake_pg_check(parquet_writer_open(st->alloc, &st->out, schema, natts + 1, &wopts, &st->writer, &st->err),
				  &st->err, st->path);
	st->started = true;
}

/* One row: its values into the batch, converted now (the slot's memory does not last). */
static bool
lake_write_receive(TupleTableSlot *slot, DestReceiver *self)
{
	LakeWriteState *st = (LakeWriteState *) self;
	MemoryContext oldcxt = MemoryContextSwitchTo(st->batchcxt);
	int			r = st->nrows;
	int			i;

	slot_getallattrs(slot);
	for (i = 0; i < st->natts; i++)
	{
		if (slot->tts_isnull[i])
			st->nulls[i][r] = true;
		else
		{
			st->nulls[i][r] = false;
			lake_write_value(st, &st->cols[i], slot->tts_values[i], &st->values[i][r]);
		}
	}
	MemoryContextSwitchTo(oldcxt);
	st->nrows = r + 1;
	if (st->nrows == LAKE_WRITE_BATCH_ROWS || st->arena_used >= LAKE_WRITE_ARENA_BYTES / 2)
		lake_write_flush(st);
	return true;
}

static void
lake_write_shutdown(DestReceiver *self)
{
	/* the last batch is written by lakehouse_write_parquet */
}

static void
lake_write_destroy(DestReceiver *self)
{
	/* the state lives in writecxt */
}

/* Hand the batch to the writer and start the next one. */
static void
lake_write_flush(LakeWriteState *st)
{
	if (st->nrows == 0)
		return;
	lake_pg_check(parquet_writer_write_rows(st->writer, (const ParquetValue *const *) st->values,
											(const bool *const *) st->nulls, (size_t) st->nrows, &st->err),
				  &st->err, st->path);
	st->nrows = 0;
	st->arena_used = 0;
	MemoryContextReset(st->batchcxt);
	CHECK_FOR_INTERRUPTS();
}

/* A copy of a value that points into the executor's tuple, valid until the batch is written. */
static const uint8 *
lake_write_copy(LakeWriteState *st, const void *p, size_t len)
{
	uint8	   *dst;

	if (len <= LAKE_WRITE_ARENA_BYTES - st->arena_used)
	{
		dst = (uint8 *) st->arena + st->arena_used;
		st->arena_used += MAXALIGN(len);
		if (st->arena_used > LAKE_WRITE_ARENA_BYTES)
			st->arena_used = LAKE_WRITE_ARENA_BYTES;
	}
	else
		dst = palloc(Max(len, 1));	/* in batchcxt */
	if (len > 0)
		memcpy(dst, p, len);
	return dst;
}

/* Choose how a column is written and fill its schema element. */
static void
lake_write_column_init(LakeWriteColumn *col, Form_pg_attribute att, ParquetSchemaElement *e)
{
	int32		typmod = att->atttypmod;
	Oid			typid = getBaseTypeAndTypmod(att->atttypid, &typmod);

	col->name = pstrdup(NameStr(att->attname));
	col->typid = typid;

	switch (typid)
	{
		case BOOLOID:
			col->kind = LAKE_WRITE_BOOL;
			col->physical = PQ_BOOLEAN;
			break;
		case INT2OID:
			col->kind = LAKE_WRITE_INT2;
			col->physical = PQ_INT32;
			break;
		case INT4OID:
			col->kind = LAKE_WRITE_INT4;
			col->physical = PQ_INT32;
			break;
		case INT8OID:
			col->kind = LAKE_WRITE_INT8;
			col->physical = PQ_INT64;
			break;
		case FLOAT4OID:
			col->kind = LAKE_WRITE_FLOAT4;
			col->physical = PQ_FLOAT;
			break;
		case FLOAT8OID:
			col->kind = LAKE_WRITE_FLOAT8;
			col->physical = PQ_DOUBLE;
			break;
		case NUMERICOID:
			col->kind = LAKE_WRITE_NUMERIC;
			if (typmod < (int32) VARHDRSZ)
			{
				col->unconstrained = true;
				col->precision = LAKE_WRITE_NUMERIC_PRECISION;
				col->scale = LAKE_WRITE_NUMERIC_SCALE;
			}
			else
			{
				int			p = ((typmod - VARHDRSZ) >> 16) & 0xffff;
				int			s = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;

				/* Parquet needs 0 <= scale <= precision: widen numeric(5,-2) and numeric(3,5) */
				col->scale = Max(s, 0);
				col->precision = Max(p + (s < 0 ? -s : 0), col->scale);
				if (col->precision > LAKE_WRITE_NUMERIC_PRECISION)
					ereport(ERROR,
							(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
							 errmsg("column \"%s\" of type %s is too precise for a Parquet DECIMAL",
									col->name, format_type_with_typemod(typid, typmod)),
							 errdetail("Parquet decimals written by write_parquet have at most 38 digits."),
							 errhint("Cast the column to numeric(38,s) or to text.")));
			}
			if (col->precision <= 9)
				col->physical = PQ_INT32;
			else if (col->precision <= 18)
				col->physical = PQ_INT64;
			else
			{
				/* the fewest bytes whose two's complement holds 10^p - 1 */
				int128		max = 1;
				int			k;

				for (k = 0; k < col->precision; k++)
					max *= 10;
				max -= 1;
				for (col->flba_len = 1; col->flba_len < 16; col->flba_len++)
				{
					if (((int128) 1 << (8 * col->flba_len - 1)) > max)
						break;
				}
				col->physical = PQ_FIXED_LEN_BYTE_ARRAY;
			}
			break;
		case DATEOID:
			col->kind = LAKE_WRITE_DATE;
			col->physical = PQ_INT32;
			break;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			col->kind = LAKE_WRITE_TIMESTAMP;
			col->physical = PQ_INT64;
			break;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case JSONOID:
			col->kind = LAKE_WRITE_TEXT;
			col->physical = PQ_BYTE_ARRAY;
			break;
		case NAMEOID:
			col->kind = LAKE_WRITE_NAME;
			col->physical = PQ_BYTE_ARRAY;
			break;
		case BYTEAOID:
			col->kind = LAKE_WRITE_BYTEA;
			col->physical = PQ_BYTE_ARRAY;
			break;
		case UUIDOID:
			col->kind = LAKE_WRITE_UUID;
			col->physical = PQ_FIXED_LEN_BYTE_ARRAY;
			col->flba_len = UUID_LEN;
			break;
		case JSONBOID:
			col->kind = LAKE_WRITE_JSONB;
			col->physical = PQ_BYTE_ARRAY;
			break;
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("column \"%s\" has type %s, which write_parquet cannot write",
							col->name, format_type_be(att->atttypid)),
					 errhint("Cast the column to text, or to another supported type.")));
	}

	*e = parquet_writer_element_leaf(col->name, PQ_OPTIONAL, col->physical);
	if (col->physical == PQ_FIXED_LEN_BYTE_ARRAY)
		e->type_length = col->flba_len;
	switch (col->kind)
	{
		case LAKE_WRITE_INT2:
			e->logical.kind = PQ_LT_INTEGER;
			e->logical.bit_width = 16;
			e->logical.is_signed = true;
			break;
		case LAKE_WRITE_NUMERIC:
			e->logical.kind = PQ_LT_DECIMAL;
			e->logical.precision = col->precision;
			e->logical.scale = col->scale;
			e->converted_type = PQ_CT_DECIMAL;
			e->precision = col->precision;
			e->scale = col->scale;
			break;
		case LAKE_WRITE_DATE:
			e->logical.kind = PQ_LT_DATE;
			break;
		case LAKE_WRITE_TIMESTAMP:
			e->logical.kind = PQ_LT_TIMESTAMP;
			e->logical.unit = PQ_UNIT_MICROS;
			e->logical.is_adjusted_to_utc = (typid == TIMESTAMPTZOID);
			break;
		case LAKE_WRITE_TEXT:
		case LAKE_WRITE_NAME:
			if (typid == JSONOID)
				e->logical.kind = PQ_LT_JSON;
			else
				e->logical.kind = PQ_LT_STRING;
			break;
		case LAKE_WRITE_JSONB:
			e->logical.kind = PQ_LT_JSON;
			break;
		case LAKE_WRITE_UUID:
			e->logical.kind = PQ_LT_UUID;
			break;
		default:
			break;
	}
}

/*
 * bytes of a string in UTF-8 (converted when the database uses another
 * encoding); owned: s is in batchcxt already, else it is copied
 */
static void
lake_write_string(LakeWriteState *st, const char *s, size_t len, bool owned, ParquetValue *pv)
{
	if (st->convert_encoding)
	{
		char	   *utf8 = pg_server_to_any(s, (int) len, PG_UTF8);

		if (utf8 != s)
		{
			s = utf8;
			len = strlen(utf8);
			owned = true;
		}
	}
	pv->bytes.ptr = owned ? (const uint8_t *) s : lake_write_copy(st, s, len);
	pv->bytes.len = (uint32_t) len;
}

/*
 * One non-null value in its Parquet representation, valid until the batch
 * is written (memory in batchcxt or the arena).
 */
static void
lake_write_value(LakeWriteState *st, LakeWriteColumn *col, Datum d, ParquetValue *pv)
{
	switch (col->kind)
	{
		case LAKE_WRITE_BOOL:
			pv->boolean = DatumGetBool(d);
			break;
		case LAKE_WRITE_INT2:
			pv->i32 = DatumGetInt16(d);
			break;
		case LAKE_WRITE_INT4:
			pv->i32 = DatumGetInt32(d);
			break;
		case LAKE_WRITE_INT8:
			pv->i64 = DatumGetInt64(d);
			break;
		case LAKE_WRITE_FLOAT4:
			pv->f32 = DatumGetFloat4(d);
			break;
		case LAKE_WRITE_FLOAT8:
			pv->f64 = DatumGetFloat8(d);
			break;
		case LAKE_WRITE_NUMERIC:
			{
				int128		u;
				LakeNumericStatus nst;

				nst = lake_pg_numeric_to_unscaled(DatumGetNumeric(d), col->scale, col->precision,
												  true, &u);
				if (nst == LAKE_NUMERIC_NOT_FINITE)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("cannot write %s to Parquet column \"%s\"",
									DatumGetCString(DirectFunctionCall1(numeric_out, d)), col->name),
							 errdetail("Parquet decimals have no NaN or infinity.")));
				if (nst != LAKE_NUMERIC_OK)
					ereport(ERROR,
							(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
							 errmsg("value %s of column \"%s\" does not fit DECIMAL(%d,%d)",
									DatumGetCString(DirectFunctionCall1(numeric_out, d)), col->name,
									col->precision, col->scale),
							 col->unconstrained ?
							 errhint("numeric without precision and scale is written as DECIMAL(38,18): cast the column to numeric(p,s), or to text.") : 0));
				if (col->physical == PQ_INT32)
					pv->i32 = (int32) u;
				else if (col->physical == PQ_INT64)
					pv->i64 = (int64) u;
				else
				{
					uint8		buf[16];
					int			k;

					for (k = col->flba_len - 1; k >= 0; k--)
					{
						buf[k] = (uint8) (u & 0xff);
						u >>= 8;
					}
					pv->bytes.ptr = lake_write_copy(st, buf, col->flba_len);
					pv->bytes.len = col->flba_len;
				}
				break;
			}
		case LAKE_WRITE_DATE:
			{
				DateADT		date = DatumGetDateADT(d);

				if (DATE_NOT_FINITE(date))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("cannot write an infinite date to Parquet column \"%s\"", col->name),
							 errdetail("Parquet dates have no infinity.")));
				pv->i32 = (int32) ((int64) date + LAKE_UNIX_TO_PG_DAYS);
				break;
			}
		case LAKE_WRITE_TIMESTAMP:
			{
				Timestamp	ts = DatumGetTimestamp(d);

				if (TIMESTAMP_NOT_FINITE(ts))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("cannot write an infinite timestamp to Parquet column \"%s\"", col->name),
							 errdetail("Parquet timestamps have no infinity.")));
				if (pg_add_s64_overflow(ts, LAKE_UNIX_TO_PG_USECS, &pv->i64))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("timestamp of column \"%s\" is out of range for Parquet", col->name)));
				break;
			}
		case LAKE_WRITE_TEXT:
			{
				text	   *t = DatumGetTextPP(d);

				/* detoasted or decompressed: already a copy in batchcxt */
				lake_write_string(st, VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t),
								  (Pointer) t != DatumGetPointer(d), pv);
				break;
			}
		case LAKE_WRITE_NAME:
			{
				const char *s = NameStr(*DatumGetName(d));

				lake_write_string(st, s, strlen(s), false, pv);
				break;
			}
		case LAKE_WRITE_BYTEA:
			{
				bytea	   *b = DatumGetByteaPP(d);

				if ((Pointer) b != DatumGetPointer(d))
					pv->bytes.ptr = (const uint8_t *) VARDATA_ANY(b);
				else
					pv->bytes.ptr = lake_write_copy(st, VARDATA_ANY(b), VARSIZE_ANY_EXHDR(b));
				pv->bytes.len = VARSIZE_ANY_EXHDR(b);
				break;
			}
		case LAKE_WRITE_UUID:
			pv->bytes.ptr = lake_write_copy(st, DatumGetUUIDP(d)->data, UUID_LEN);
			pv->bytes.len = UUID_LEN;
			break;
		case LAKE_WRITE_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(d);
				char	   *s = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

				lake_write_string(st, s, strlen(s), true, pv);
				break;
			}
	}
}
