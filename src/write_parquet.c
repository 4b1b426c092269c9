/*
 * write_parquet.c
 *	  lakehouse.write_parquet(query, path, compression): runs a query through
 *	  an SPI cursor, fetching rows in chunks so the result is never held in
 *	  memory, and writes them to one Parquet file with lake's writer.
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

/* rows fetched from the cursor at a time */
#define LAKE_WRITE_FETCH_ROWS 1000

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
	uint8		buf[16];		/* the current numeric value's bytes */
} LakeWriteColumn;

/* SQL functions */
PG_FUNCTION_INFO_V1(lakehouse_write_parquet);

/* helpers */
static void lake_write_column_init(LakeWriteColumn *col, Form_pg_attribute att,
								   ParquetSchemaElement *e);
static void lake_write_value(LakeWriteColumn *col, Datum d, ParquetValue *pv);
static void lake_write_string(const char *s, size_t len, ParquetValue *pv);

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
	MemoryContext callercxt = CurrentMemoryContext;
	MemoryContext writecxt;
	MemoryContext rowcxt;
	LakeAllocator *alloc;
	LakeOutput *out;
	bool	   *out_open;
	SPIParseOpenOptions spi_opts;
	Portal		portal;
	TupleDesc	tupdesc;
	int			natts;
	LakeWriteColumn *cols;
	ParquetSchemaElement *schema;
	int64		rows = 0;
	int			i;

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

	writecxt = AllocSetContextCreate(callercxt, "iot_lakehouse write_parquet",
									 ALLOCSET_DEFAULT_SIZES);
	rowcxt = AllocSetContextCreate(writecxt, "iot_lakehouse write_parquet rows",
								   ALLOCSET_DEFAULT_SIZES);
	alloc = MemoryContextAlloc(writecxt, sizeof(LakeAllocator));
	lake_pg_allocator_init(alloc, writecxt);
	out = MemoryContextAllocZero(writecxt, sizeof(LakeOutput));
	out_open = MemoryContextAllocZero(writecxt, sizeof(bool));

	if (SPI_connect() != SPI_OK_CONNECT)
		elog(ERROR, "SPI_connect failed");

	memset(&spi_opts, 0, sizeof(spi_opts));
	spi_opts.cursorOptions = CURSOR_OPT_NO_SCROLL;
	spi_opts.read_only = false;
	portal = SPI_cursor_parse_open(NULL, query, &spi_opts);
	tupdesc = portal->tupDesc;
	natts = tupdesc->natts;

	/* the schema: the root, then one leaf per column */
	cols = MemoryContextAllocZero(writecxt, sizeof(LakeWriteColumn) * Max(natts, 1));
	schema = MemoryContextAllocZero(writecxt, sizeof(ParquetSchemaElement) * (natts + 1));
	schema[0] = parquet_writer_element_group("schema", PQ_REQUIRED, natts);
	schema[0].has_repetition = false;
	if (natts == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("query for write_parquet returns no columns")));
	for (i = 0; i < natts; i++)
	{
		Form_pg_attribute att = TupleDescAttr(tupdesc, i);
		int			j;

		for (j = 0; j < i; j++)
		{
			if (strcmp(NameStr(att->attname), cols[j].name) == 0)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("query for write_parquet returns more than one column named \"%s\"",
								NameStr(att->attname)),
						 errhint("Give the columns distinct names with AS.")));
		}
		lake_write_column_init(&cols[i], att, &schema[i + 1]);
	}

	PG_TRY();
	{
		ParquetWriterOptions wopts;
		ParquetWriter *writer;
		LakeError	err;
		Datum	   *values = MemoryContextAlloc(writecxt, sizeof(Datum) * natts);
		bool	   *nulls = MemoryContextAlloc(writecxt, sizeof(bool) * natts);

		lake_pg_error_init(&err);
		lake_pg_check(lake_output_open_file(alloc, path, out, &err), &err, path);
		*out_open = true;

		parquet_writer_options_init(&wopts);
		wopts.codec = codec;
		wopts.row_group_rows = lakehouse_parquet_row_group_rows;
		wopts.row_group_bytes = (uint64) lakehouse_parquet_row_group_size * 1024;
		lake_pg_check(parquet_writer_open(alloc, out, schema, natts + 1, &wopts, &writer, &err),
					  &err, path);

		for (;;)
		{
			uint64		n;
			uint64		r;
			MemoryContext oldcxt;

			SPI_cursor_fetch(portal, true, LAKE_WRITE_FETCH_ROWS);
			n = SPI_processed;
			if (n == 0)
				break;
			oldcxt = MemoryContextSwitchTo(rowcxt);
			for (r = 0; r < n; r++)
			{
				heap_deform_tuple(SPI_tuptable->vals[r], tupdesc, values, nulls);
				for (i = 0; i < natts; i++)
				{
					ParquetValue pv;

					if (nulls[i])
						lake_pg_check(parquet_writer_write_value(writer, i, NULL, &err), &err, path);
					else
					{
						lake_write_value(&cols[i], values[i], &pv);
						lake_pg_check(parquet_writer_write_value(writer, i, &pv, &err), &err, path);
					}
				}
				lake_pg_check(parquet_writer_end_row(writer, &err), &err, path);
				CHECK_FOR_INTERRUPTS();
			}
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(rowcxt);
			SPI_freetuptable(SPI_tuptable);
		}

		lake_pg_check(parquet_writer_finish(writer, &err), &err, path);
		rows = parquet_writer_num_rows(writer);
		lake_pg_check(lake_output_commit(out, &err), &err, path);
		*out_open = false;
		parquet_writer_destroy(writer);
	}
	PG_CATCH();
	{
		/* remove the temporary file; the memory goes with the contexts */
		if (*out_open)
			lake_output_abort(out);
		PG_RE_THROW();
	}
	PG_END_TRY();

	SPI_cursor_close(portal);
	SPI_finish();
	MemoryContextDelete(writecxt);

	PG_RETURN_INT64(rows);
}

/* Choose how a column is written and fill its schema element. */
static void
lake_write_column_init(LakeWriteColumn *col, Form_pg_attribute att, ParquetSchemaElement *e)
{
	int32		typmod = att->atttypmod;
	Oid			typid = getBaseTypeAndTypmod(att->atttypid, &typmod);

	col->name = NameStr(att->attname);
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

/* bytes of a string in UTF-8 (converted when the database uses another encoding) */
static void
lake_write_string(const char *s, size_t len, ParquetValue *pv)
{
	if (GetDatabaseEncoding() != PG_UTF8 && GetDatabaseEncoding() != PG_SQL_ASCII)
	{
		char	   *utf8 = pg_server_to_any(s, (int) len, PG_UTF8);

		if (utf8 != s)
		{
			s = utf8;
			len = strlen(utf8);
		}
	}
	pv->bytes.ptr = (const uint8_t *) s;
	pv->bytes.len = (uint32_t) len;
}

/* One non-null value in its Parquet representation (memory in the row context). */
static void
lake_write_value(LakeWriteColumn *col, Datum d, ParquetValue *pv)
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
				LakeNumericStatus st;

				st = lake_pg_numeric_to_unscaled(DatumGetNumeric(d), col->scale, col->precision,
												 true, &u);
				if (st == LAKE_NUMERIC_NOT_FINITE)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("cannot write %s to Parquet column \"%s\"",
									DatumGetCString(DirectFunctionCall1(numeric_out, d)), col->name),
							 errdetail("Parquet decimals have no NaN or infinity.")));
				if (st != LAKE_NUMERIC_OK)
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
					int			k;

					for (k = col->flba_len - 1; k >= 0; k--)
					{
						col->buf[k] = (uint8) (u & 0xff);
						u >>= 8;
					}
					pv->bytes.ptr = col->buf;
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

				lake_write_string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), pv);
				break;
			}
		case LAKE_WRITE_NAME:
			{
				const char *s = NameStr(*DatumGetName(d));

				lake_write_string(s, strlen(s), pv);
				break;
			}
		case LAKE_WRITE_BYTEA:
			{
				bytea	   *b = DatumGetByteaPP(d);

				pv->bytes.ptr = (const uint8_t *) VARDATA_ANY(b);
				pv->bytes.len = VARSIZE_ANY_EXHDR(b);
				break;
			}
		case LAKE_WRITE_UUID:
			pv->bytes.ptr = DatumGetUUIDP(d)->data;
			pv->bytes.len = UUID_LEN;
			break;
		case LAKE_WRITE_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(d);
				char	   *s = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

				lake_write_string(s, strlen(s), pv);
				break;
			}
	}
}
