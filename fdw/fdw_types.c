/*
 * fdw_types.c
 *	  Parquet -> Datum: which Parquet leaves a column of each PostgreSQL type
 *	  can be read from, and the batch conversion loops themselves.
 *
 * The loops run once per type per chunk of a batch, not once per value:
 * fixed-width values are stored straight into the Datum array, and the
 * varlenas of a chunk of text or bytea share one allocation in the batch
 * context.  Values that do not fit the column (a narrowing integer
 * conversion, a date or timestamp outside PostgreSQL's range, invalid
 * UTF-8) are errors; the scan's error context names file, row group and
 * column.
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "datatype/timestamp.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/fmgrprotos.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/uuid.h"

#include "lake_fdw.h"
#include "lake_pg.h"

/* days and microseconds between 1970-01-01 and 2000-01-01 */
#define LAKE_UNIX_TO_PG_DAYS	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))
#define LAKE_UNIX_TO_PG_USECS	(LAKE_UNIX_TO_PG_DAYS * USECS_PER_DAY)

/* helpers */
static void lake_conv_out_of_range(const LakeConv *conv, const char *type, int128 value) pg_attribute_noreturn();
static void lake_conv_bad_utf8(const LakeConv *conv) pg_attribute_noreturn();
static void lake_conv_corrupt(const LakeConv *conv, const char *what) pg_attribute_noreturn();
static Datum lake_conv_int_datum(const LakeConv *conv, int64 x);
static Datum lake_conv_uint64_datum(const LakeConv *conv, uint64 x);
static Datum lake_conv_ts_datum(const LakeConv *conv, int64 unix_micros);
static Datum lake_conv_int96_datum(const LakeConv *conv, const ParquetBytes *b);
static Datum lake_conv_decbytes_datum(const LakeConv *conv, const ParquetBytes *b);
static Datum lake_conv_bytes_datum(const LakeConv *conv, const ParquetBytes *b);
static Datum lake_conv_text_datum(const LakeConv *conv, const char *s, size_t len);
static void lake_conv_fill_varlena(const LakeConv *conv, const ParquetColumnBatch *batch,
								   size_t lpos, size_t *vpos, size_t m, Datum *out, bool *nulls);

/* ------------------------------------------------------------ choosing */

LakeDstKind
lake_conv_dst_kind(Oid typid)
{
	switch (typid)
	{
		case BOOLOID:
			return LAKE_DST_BOOL;
		case INT2OID:
			return LAKE_DST_INT2;
		case INT4OID:
			return LAKE_DST_INT4;
		case INT8OID:
			return LAKE_DST_INT8;
		case FLOAT4OID:
			return LAKE_DST_FLOAT4;
		case FLOAT8OID:
			return LAKE_DST_FLOAT8;
		case NUMERICOID:
			return LAKE_DST_NUMERIC;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
			return LAKE_DST_TEXT;
		case BYTEAOID:
			return LAKE_DST_BYTEA;
		case DATEOID:
			return LAKE_DST_DATE;
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return LAKE_DST_TIMESTAMP;
		case UUIDOID:
			return LAKE_DST_UUID;
		case JSONOID:
			return LAKE_DST_JSON;
		case JSONBOID:
			return LAKE_DST_JSONB;
		default:
			return LAKE_DST_NONE;
	}
}

static bool
lake_leaf_is_unsigned(const ParquetSchemaElement *e)
{
	if (e->logical.kind == PQ_LT_INTEGER)
		return !e->logical.is_signed;
	return e->converted_type == PQ_CT_UINT_8 || e->converted_type == PQ_CT_UINT_16 ||
		e->converted_type == PQ_CT_UINT_32 || e->converted_type == PQ_CT_UINT_64;
}

static bool
lake_leaf_decimal(const ParquetSchemaElement *e, int *scale)
{
	if (e->logical.kind == PQ_LT_DECIMAL)
	{
		*scale = e->logical.scale;
		return true;
	}
	if (e->converted_type == PQ_CT_DECIMAL)
	{
		*scale = e->scale;
		return true;
	}
	return false;
}

LakeSrcKind
lake_conv_src_kind(const ParquetSchema *schema, int field, int *scale)
{
	const ParquetField *f = &schema->fields[field];
	const ParquetSchemaElement *e;

	*scale = 0;
	if (f->is_nested || f->num_leaves != 1)
		return LAKE_SRC_NESTED;
	e = schema->leaves[f->first_leaf].element;
	if (e->logical.kind == PQ_LT_UNKNOWN)
		return LAKE_SRC_NONE;

	switch (e->type)
	{
		case PQ_BOOLEAN:
			return LAKE_SRC_BOOL;
		case PQ_INT32:
			if (lake_leaf_decimal(e, scale))
				return (*scale >= 0 && *scale <= 38) ? LAKE_SRC_DEC32 : LAKE_SRC_NONE;
			if (e->logical.kind == PQ_LT_DATE || e->converted_type == PQ_CT_DATE)
				return LAKE_SRC_DATE;
			if (e->logical.kind == PQ_LT_TIME || e->converted_type == PQ_CT_TIME_MILLIS)
				return LAKE_SRC_NONE;
			return lake_leaf_is_unsigned(e) ? LAKE_SRC_U32 : LAKE_SRC_I32;
		case PQ_INT64:
			if (lake_leaf_decimal(e, scale))
				return (*scale >= 0 && *scale <= 38) ? LAKE_SRC_DEC64 : LAKE_SRC_NONE;
			if (e->logical.kind == PQ_LT_TIMESTAMP)
			{
				switch (e->logical.unit)
				{
					case PQ_UNIT_MILLIS:
						return LAKE_SRC_TS_MILLIS;
					case PQ_UNIT_MICROS:
						return LAKE_SRC_TS_MICROS;
					case PQ_UNIT_NANOS:
						return LAKE_SRC_TS_NANOS;
				}
				return LAKE_SRC_NONE;
			}
			if (e->converted_type == PQ_CT_TIMESTAMP_MILLIS)
				return LAKE_SRC_TS_MILLIS;
			if (e->converted_type == PQ_CT_TIMESTAMP_MICROS)
				return LAKE_SRC_TS_MICROS;
			if (e->logical.kind == PQ_LT_TIME || e->converted_type == PQ_CT_TIME_MICROS)
				return LAKE_SRC_NONE;
			return lake_leaf_is_unsigned(e) ? LAKE_SRC_U64 : LAKE_SRC_I64;
		case PQ_INT96:
			return LAKE_SRC_INT96;
		case PQ_FLOAT:
			return LAKE_SRC_FLOAT;
		case PQ_DOUBLE:
			return LAKE_SRC_DOUBLE;
		case PQ_BYTE_ARRAY:
			if (lake_leaf_decimal(e, scale))
				return (*scale >= 0 && *scale <= 38) ? LAKE_SRC_DECBYTES : LAKE_SRC_NONE;
			if (e->logical.kind == PQ_LT_BSON || e->converted_type == PQ_CT_BSON)
				return LAKE_SRC_BINARY;
			return LAKE_SRC_STRING;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (lake_leaf_decimal(e, scale))
				return (*scale >= 0 && *scale <= 38) ? LAKE_SRC_DECBYTES : LAKE_SRC_NONE;
			if (e->logical.kind == PQ_LT_UUID && e->type_length == 16)
				return LAKE_SRC_UUID;
			if (e->logical.kind == PQ_LT_FLOAT16)
				return LAKE_SRC_NONE;
			return LAKE_SRC_BINARY;
	}
	return LAKE_SRC_NONE;
}

bool
lake_conv_allowed(LakeSrcKind src, LakeDstKind dst)
{
	switch (src)
	{
		case LAKE_SRC_NONE:
			return false;
		case LAKE_SRC_BOOL:
			return dst == LAKE_DST_BOOL;
		case LAKE_SRC_I32:
		case LAKE_SRC_U32:
		case LAKE_SRC_I64:
		case LAKE_SRC_U64:
			return dst == LAKE_DST_INT2 || dst == LAKE_DST_INT4 || dst == LAKE_DST_INT8 ||
				dst == LAKE_DST_FLOAT4 || dst == LAKE_DST_FLOAT8 || dst == LAKE_DST_NUMERIC;
		case LAKE_SRC_FLOAT:
		case LAKE_SRC_DOUBLE:
			return dst == LAKE_DST_FLOAT4 || dst == LAKE_DST_FLOAT8 || dst == LAKE_DST_NUMERIC;
		case LAKE_SRC_DEC32:
		case LAKE_SRC_DEC64:
		case LAKE_SRC_DECBYTES:
			return dst == LAKE_DST_NUMERIC;
		case LAKE_SRC_STRING:
			return dst == LAKE_DST_TEXT || dst == LAKE_DST_BYTEA ||
				dst == LAKE_DST_JSON || dst == LAKE_DST_JSONB;
		case LAKE_SRC_BINARY:
			return dst == LAKE_DST_BYTEA;
		case LAKE_SRC_UUID:
			return dst == LAKE_DST_UUID || dst == LAKE_DST_BYTEA;
		case LAKE_SRC_DATE:
			return dst == LAKE_DST_DATE;
		case LAKE_SRC_TS_MILLIS:
		case LAKE_SRC_TS_MICROS:
		case LAKE_SRC_TS_NANOS:
		case LAKE_SRC_INT96:
			return dst == LAKE_DST_TIMESTAMP;
		case LAKE_SRC_NESTED:
			return dst == LAKE_DST_JSON || dst == LAKE_DST_JSONB || dst == LAKE_DST_TEXT;
	}
	return false;
}

static const char *
lake_unit_name(ParquetTimeUnit unit)
{
	switch (unit)
	{
		case PQ_UNIT_MILLIS:
			return "MILLIS";
		case PQ_UNIT_MICROS:
			return "MICROS";
		case PQ_UNIT_NANOS:
			return "NANOS";
	}
	return "?";
}

char *
lake_conv_describe_field(const ParquetSchema *schema, int field)
{
	const ParquetField *f = &schema->fields[field];
	const ParquetSchemaElement *e = f->element;
	const char *repeated = (e->has_repetition && e->repetition == PQ_REPEATED) ? "repeated " : "";
	const char *annotation = NULL;
	char	   *buf = NULL;

	switch (e->logical.kind)
	{
		case PQ_LT_NONE:
			break;
		case PQ_LT_STRING:
			annotation = "STRING";
			break;
		case PQ_LT_MAP:
			annotation = "MAP";
			break;
		case PQ_LT_LIST:
			annotation = "LIST";
			break;
		case PQ_LT_ENUM:
			annotation = "ENUM";
			break;
		case PQ_LT_DECIMAL:
			buf = psprintf("DECIMAL(%d,%d)", e->logical.precision, e->logical.scale);
			break;
		case PQ_LT_DATE:
			annotation = "DATE";
			break;
		case PQ_LT_TIME:
			buf = psprintf("TIME(%s)", lake_unit_name(e->logical.unit));
			break;
		case PQ_LT_TIMESTAMP:
			buf = psprintf("TIMESTAMP(%s, %s)", lake_unit_name(e->logical.unit),
						   e->logical.is_adjusted_to_utc ? "UTC" : "local");
			break;
		case PQ_LT_INTEGER:
			buf = psprintf("INT(%d, %s)", e->logical.bit_width,
						   e->logical.is_signed ? "signed" : "unsigned");
			break;
		case PQ_LT_UNKNOWN:
			annotation = "NULL";
			break;
		case PQ_LT_JSON:
			annotation = "JSON";
			break;
		case PQ_LT_BSON:
			annotation = "BSON";
			break;
		case PQ_LT_UUID:
			annotation = "UUID";
			break;
		case PQ_LT_FLOAT16:
			annotation = "FLOAT16";
			break;
	}
	if (buf != NULL)
		annotation = buf;
	else if (annotation == NULL && e->converted_type != PQ_CT_NONE)
	{
		switch (e->converted_type)
		{
			case PQ_CT_UTF8:
				annotation = "UTF8";
				break;
			case PQ_CT_DECIMAL:
				annotation = psprintf("DECIMAL(%d,%d)", e->precision, e->scale);
				break;
			case PQ_CT_LIST:
				annotation = "LIST";
				break;
			case PQ_CT_MAP:
				annotation = "MAP";
				break;
			default:
				annotation = psprintf("converted type %d", e->converted_type);
				break;
		}
	}

	if (!e->has_type)
		return annotation ? psprintf("%sgroup (%s)", repeated, annotation) :
			psprintf("%sgroup", repeated);
	if (e->type == PQ_FIXED_LEN_BYTE_ARRAY)
		return annotation ?
			psprintf("%sFIXED_LEN_BYTE_ARRAY(%d) (%s)", repeated, e->type_length, annotation) :
			psprintf("%sFIXED_LEN_BYTE_ARRAY(%d)", repeated, e->type_length);
	return annotation ?
		psprintf("%s%s (%s)", repeated, parquet_physical_type_name(e->type), annotation) :
		psprintf("%s%s", repeated, parquet_physical_type_name(e->type));
}

/* --------------------------------------------------------------- errors */

static void
lake_conv_out_of_range(const LakeConv *conv, const char *type, int128 value)
{
	char		buf[48];
	char	   *p = buf + sizeof(buf) - 1;
	uint128		mag = value < 0 ? (uint128) 0 - (uint128) value : (uint128) value;

	*p = '\0';
	do
	{
		*--p = '0' + (int) (mag % 10);
		mag /= 10;
	} while (mag > 0);
	if (value < 0)
		*--p = '-';
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value %s of column \"%s\" is out of range for type %s",
					p, conv->column, type)));
}

static void
lake_conv_bad_utf8(const LakeConv *conv)
{
	ereport(ERROR,
			(errcode(ERRCODE_CHARACTER_NOT_IN_REPERTOIRE),
			 errmsg("invalid UTF-8 in column \"%s\"", conv->column),
			 errdetail("Parquet strings must be valid UTF-8 without NUL bytes.")));
}

static void
lake_conv_corrupt(const LakeConv *conv, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("invalid value in column \"%s\": %s", conv->column, what)));
}

/* ------------------------------------------------------ value helpers */

static inline int16
lake_to_int2(const LakeConv *conv, int64 x)
{
	if (unlikely(x < PG_INT16_MIN || x > PG_INT16_MAX))
		lake_conv_out_of_range(conv, "smallint", x);
	return (int16) x;
}

static inline int32
lake_to_int4(const LakeConv *conv, int64 x)
{
	if (unlikely(x < PG_INT32_MIN || x > PG_INT32_MAX))
		lake_conv_out_of_range(conv, "integer", x);
	return (int32) x;
}

static inline float4
lake_to_float4(const LakeConv *conv, double x)
{
	float4		f = (float4) x;

	if (unlikely(isinf(f) && !isinf(x)))
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("value of column \"%s\" is out of range for type real", conv->column)));
	return f;
}

/* an integer of any source into the column's type (the less common pairs) */
static Datum
lake_conv_int_datum(const LakeConv *conv, int64 x)
{
	switch (conv->dst)
	{
		case LAKE_DST_INT2:
			return Int16GetDatum(lake_to_int2(conv, x));
		case LAKE_DST_INT4:
			return Int32GetDatum(lake_to_int4(conv, x));
		case LAKE_DST_INT8:
			return Int64GetDatum(x);
		case LAKE_DST_FLOAT4:
			return Float4GetDatum((float4) x);
		case LAKE_DST_FLOAT8:
			return Float8GetDatum((float8) x);
		case LAKE_DST_NUMERIC:
			return NumericGetDatum(int64_to_numeric(x));
		default:
			elog(ERROR, "unexpected integer conversion %d", (int) conv->dst);
	}
	pg_unreachable();
}

static Datum
lake_conv_uint64_datum(const LakeConv *conv, uint64 x)
{
	if (x <= (uint64) PG_INT64_MAX)
		return lake_conv_int_datum(conv, (int64) x);
	switch (conv->dst)
	{
		case LAKE_DST_FLOAT4:
			return Float4GetDatum((float4) x);
		case LAKE_DST_FLOAT8:
			return Float8GetDatum((float8) x);
		case LAKE_DST_NUMERIC:
			return NumericGetDatum(lake_pg_numeric_from_unscaled((int128) x, 0));
		default:
			lake_conv_out_of_range(conv, format_type_be(conv->typid), (int128) x);
	}
	pg_unreachable();
}

static inline Datum
lake_conv_float_datum(const LakeConv *conv, double x)
{
	switch (conv->dst)
	{
		case LAKE_DST_FLOAT4:
			return Float4GetDatum(lake_to_float4(conv, x));
		case LAKE_DST_FLOAT8:
			return Float8GetDatum(x);
		case LAKE_DST_NUMERIC:
			return DirectFunctionCall1(float8_numeric, Float8GetDatum(x));
		default:
			elog(ERROR, "unexpected float conversion %d", (int) conv->dst);
	}
	pg_unreachable();
}

static inline Datum
lake_conv_date_datum(const LakeConv *conv, int32 unix_days)
{
	int64		d = (int64) unix_days - LAKE_UNIX_TO_PG_DAYS;

	if (unlikely(!IS_VALID_DATE(d)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("date of column \"%s\" is out of range", conv->column),
				 errdetail("The file holds %d days since 1970-01-01.", unix_days)));
	return DateADTGetDatum((DateADT) d);
}

static Datum
lake_conv_ts_datum(const LakeConv *conv, int64 unix_micros)
{
	int64		t;

	if (unlikely(pg_sub_s64_overflow(unix_micros, LAKE_UNIX_TO_PG_USECS, &t) ||
				 !IS_VALID_TIMESTAMP(t)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp of column \"%s\" is out of range", conv->column),
				 errdetail("The file holds " INT64_FORMAT " microseconds since 1970-01-01.",
						   unix_micros)));
	return TimestampGetDatum(t);
}

static inline Datum
lake_conv_ts_millis_datum(const LakeConv *conv, int64 millis)
{
	int64		micros;

	if (unlikely(pg_mul_s64_overflow(millis, 1000, &micros)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp of column \"%s\" is out of range", conv->column)));
	return lake_conv_ts_datum(conv, micros);
}

static inline Datum
lake_conv_ts_nanos_datum(const LakeConv *conv, int64 nanos)
{
	/* floor division: -1 ns is the microsecond before the epoch */
	int64		micros = nanos / 1000 - ((nanos % 1000) < 0 ? 1 : 0);

	return lake_conv_ts_datum(conv, micros);
}

/* INT96 as Spark and Impala write it: 8 bytes nanos of day, 4 bytes Julian day, little-endian */
static Datum
lake_conv_int96_datum(const LakeConv *conv, const ParquetBytes *b)
{
	const uint8_t *p = b->ptr;
	uint64		nanos_u = 0;
	uint32		jd_u = 0;
	int64		nanos;
	int64		micros;
	int			i;

	if (unlikely(b->len != 12))
		lake_conv_corrupt(conv, "INT96 value is not 12 bytes");
	for (i = 7; i >= 0; i--)
		nanos_u = (nanos_u << 8) | p[i];
	for (i = 11; i >= 8; i--)
		jd_u = (jd_u << 8) | p[i];
	nanos = (int64) nanos_u;
	if (unlikely(pg_mul_s64_overflow((int64) (int32) jd_u - UNIX_EPOCH_JDATE, USECS_PER_DAY, &micros) ||
				 pg_add_s64_overflow(micros, nanos / 1000 - ((nanos % 1000) < 0 ? 1 : 0), &micros)))
		ereport(ERROR,
				(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
				 errmsg("timestamp of column \"%s\" is out of range", conv->column)));
	return lake_conv_ts_datum(conv, micros);
}

/* a big-endian two's complement DECIMAL of up to 16 bytes */
static Datum
lake_conv_decbytes_datum(const LakeConv *conv, const ParquetBytes *b)
{
	int128		v;
	uint32		i;

	if (unlikely(b->len == 0 || b->len > 16))
	{
		if (b->len == 0)
			lake_conv_corrupt(conv, "DECIMAL value has no bytes");
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("DECIMAL values of more than 16 bytes are not supported (column \"%s\")",
						conv->column)));
	}
	v = (b->ptr[0] & 0x80) ? -1 : 0;
	for (i = 0; i < b->len; i++)
		v = (int128) (((uint128) v << 8) | b->ptr[i]);
	return NumericGetDatum(lake_pg_numeric_from_unscaled(v, conv->scale));
}

static void
lake_conv_check_utf8(const LakeConv *conv, const char *s, size_t len)
{
	if (unlikely(!pg_verifymbstr(s, (int) len, true)))
		lake_conv_bad_utf8(conv);
}

/* text of a string value, converted to the database encoding if that is not UTF-8 */
static Datum
lake_conv_text_datum(const LakeConv *conv, const char *s, size_t len)
{
	Datum		d;

	if (unlikely(len > MaxAllocSize - VARHDRSZ))
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("value of column \"%s\" is too long (%zu bytes)", conv->column, len)));
	if (GetDatabaseEncoding() == PG_UTF8)
	{
		lake_conv_check_utf8(conv, s, len);
		d = PointerGetDatum(cstring_to_text_with_len(s, (int) len));
	}
	else
	{
		char	   *server;

		if (memchr(s, '\0', len) != NULL)
			lake_conv_bad_utf8(conv);
		server = pg_any_to_server(s, (int) len, PG_UTF8);
		d = PointerGetDatum(cstring_to_text_with_len(server, server == s ? (int) len : (int) strlen(server)));
	}
	return d;
}

/* one string value into a json/jsonb column */
static Datum
lake_conv_json_datum(const LakeConv *conv, const char *s, size_t len)
{
	char	   *cstr;

	if (GetDatabaseEncoding() == PG_UTF8)
	{
		lake_conv_check_utf8(conv, s, len);
		cstr = pnstrdup(s, len);
	}
	else
		cstr = text_to_cstring(DatumGetTextPP(lake_conv_text_datum(conv, s, len)));
	if (conv->dst == LAKE_DST_JSONB)
		return DirectFunctionCall1(jsonb_in, CStringGetDatum(cstr));
	return DirectFunctionCall1(json_in, CStringGetDatum(cstr));
}

/* varchar(n) / bpchar(n): the length check an assignment would make */
static inline Datum
lake_conv_apply_typmod(const LakeConv *conv, Datum d)
{
	if (conv->typmod < 0)
		return d;
	if (conv->typid == BPCHAROID)
		return DirectFunctionCall3(bpchar, d, Int32GetDatum(conv->typmod), BoolGetDatum(false));
	if (conv->typid == VARCHAROID)
		return DirectFunctionCall3(varchar, d, Int32GetDatum(conv->typmod), BoolGetDatum(false));
	return d;
}

static Datum
lake_conv_bytes_datum(const LakeConv *conv, const ParquetBytes *b)
{
	switch (conv->dst)
	{
		case LAKE_DST_JSON:
		case LAKE_DST_JSONB:
			return lake_conv_json_datum(conv, (const char *) b->ptr, b->len);
		case LAKE_DST_UUID:
			{
				pg_uuid_t  *u;

				if (unlikely(b->len != UUID_LEN))
					lake_conv_corrupt(conv, "UUID value is not 16 bytes");
				u = palloc(sizeof(pg_uuid_t));
				memcpy(u->data, b->ptr, UUID_LEN);
				return UUIDPGetDatum(u);
			}
		default:
			return lake_conv_text_datum(conv, (const char *) b->ptr, b->len);
	}
}

/* ---------------------------------------------------------------- loops */

/*
 * Run EXPR for each of the m level entries from lpos, with x the next dense
 * value of type CTYPE; nulls where the definition level is short.
 */
#define LAKE_FILL_LOOP(CTYPE, EXPR) \
	do { \
		const CTYPE *src_ = (const CTYPE *) batch->values; \
		size_t		v_ = *vpos; \
		size_t		i_; \
		if (def == NULL) \
		{ \
			for (i_ = 0; i_ < m; i_++) \
			{ \
				CTYPE		x = src_[v_++]; \
				nulls[i_] = false; \
				out[i_] = (EXPR); \
			} \
		} \
		else \
		{ \
			for (i_ = 0; i_ < m; i_++) \
			{ \
				if (def[lpos + i_] != max_def) \
				{ \
					nulls[i_] = true; \
					out[i_] = (Datum) 0; \
				} \
				else \
				{ \
					CTYPE		x = src_[v_++]; \
					nulls[i_] = false; \
					out[i_] = (EXPR); \
				} \
			} \
		} \
		*vpos = v_; \
	} while (0)

void
lake_conv_fill(const LakeConv *conv, const ParquetColumnBatch *batch,
			   size_t lpos, size_t *vpos, size_t m, Datum *out, bool *nulls)
{
	const int16_t *def = batch->def_levels;
	const int16 max_def = conv->max_def;
	size_t		needed;

	/* the dense values must cover every non-null entry: check once */
	if (def == NULL)
		needed = m;
	else
	{
		size_t		i;

		needed = 0;
		for (i = 0; i < m; i++)
			needed += (def[lpos + i] == max_def);
	}
	if (unlikely(lpos + m > batch->num_levels || needed > batch->num_values - *vpos ||
				 *vpos > batch->num_values))
		lake_conv_corrupt(conv, "column batch has fewer values than its definition levels promise");

	switch (conv->src)
	{
		case LAKE_SRC_BOOL:
			LAKE_FILL_LOOP(bool, BoolGetDatum(x));
			break;
		case LAKE_SRC_I32:
			if (conv->dst == LAKE_DST_INT4)
				LAKE_FILL_LOOP(int32_t, Int32GetDatum(x));
			else if (conv->dst == LAKE_DST_INT8)
				LAKE_FILL_LOOP(int32_t, Int64GetDatum(x));
			else if (conv->dst == LAKE_DST_FLOAT8)
				LAKE_FILL_LOOP(int32_t, Float8GetDatum((float8) x));
			else
				LAKE_FILL_LOOP(int32_t, lake_conv_int_datum(conv, x));
			break;
		case LAKE_SRC_U32:
			LAKE_FILL_LOOP(int32_t, lake_conv_int_datum(conv, (int64) (uint32) x));
			break;
		case LAKE_SRC_I64:
			if (conv->dst == LAKE_DST_INT8)
				LAKE_FILL_LOOP(int64_t, Int64GetDatum(x));
			else if (conv->dst == LAKE_DST_INT4)
				LAKE_FILL_LOOP(int64_t, Int32GetDatum(lake_to_int4(conv, x)));
			else
				LAKE_FILL_LOOP(int64_t, lake_conv_int_datum(conv, x));
			break;
		case LAKE_SRC_U64:
			LAKE_FILL_LOOP(int64_t, lake_conv_uint64_datum(conv, (uint64) x));
			break;
		case LAKE_SRC_FLOAT:
			if (conv->dst == LAKE_DST_FLOAT4)
				LAKE_FILL_LOOP(float, Float4GetDatum(x));
			else
				LAKE_FILL_LOOP(float, lake_conv_float_datum(conv, (double) x));
			break;
		case LAKE_SRC_DOUBLE:
			if (conv->dst == LAKE_DST_FLOAT8)
				LAKE_FILL_LOOP(double, Float8GetDatum(x));
			else
				LAKE_FILL_LOOP(double, lake_conv_float_datum(conv, x));
			break;
		case LAKE_SRC_DEC32:
			LAKE_FILL_LOOP(int32_t, NumericGetDatum(int64_div_fast_to_numeric(x, conv->scale)));
			break;
		case LAKE_SRC_DEC64:
			LAKE_FILL_LOOP(int64_t, NumericGetDatum(int64_div_fast_to_numeric(x, conv->scale)));
			break;
		case LAKE_SRC_DECBYTES:
			LAKE_FILL_LOOP(ParquetBytes, lake_conv_decbytes_datum(conv, &x));
			break;
		case LAKE_SRC_DATE:
			LAKE_FILL_LOOP(int32_t, lake_conv_date_datum(conv, x));
			break;
		case LAKE_SRC_TS_MICROS:
			LAKE_FILL_LOOP(int64_t, lake_conv_ts_datum(conv, x));
			break;
		case LAKE_SRC_TS_MILLIS:
			LAKE_FILL_LOOP(int64_t, lake_conv_ts_millis_datum(conv, x));
			break;
		case LAKE_SRC_TS_NANOS:
			LAKE_FILL_LOOP(int64_t, lake_conv_ts_nanos_datum(conv, x));
			break;
		case LAKE_SRC_INT96:
			LAKE_FILL_LOOP(ParquetBytes, lake_conv_int96_datum(conv, &x));
			break;
		case LAKE_SRC_STRING:
		case LAKE_SRC_BINARY:
		case LAKE_SRC_UUID:
			if ((conv->dst == LAKE_DST_TEXT && conv->typmod < 0 &&
				 GetDatabaseEncoding() == PG_UTF8) || conv->dst == LAKE_DST_BYTEA)
				lake_conv_fill_varlena(conv, batch, lpos, vpos, m, out, nulls);
			else if (conv->dst == LAKE_DST_TEXT)
				LAKE_FILL_LOOP(ParquetBytes, lake_conv_apply_typmod(conv, lake_conv_bytes_datum(conv, &x)));
			else
				LAKE_FILL_LOOP(ParquetBytes, lake_conv_bytes_datum(conv, &x));
			break;
		case LAKE_SRC_NONE:
		case LAKE_SRC_NESTED:
			elog(ERROR, "unexpected conversion from source kind %d", (int) conv->src);
	}

	/* numeric(p,s): round to the scale and check the precision, as a cast would */
	if (conv->dst == LAKE_DST_NUMERIC && conv->typmod >= 0)
	{
		size_t		i;

		for (i = 0; i < m; i++)
		{
			if (!nulls[i])
				out[i] = DirectFunctionCall2(numeric, out[i], Int32GetDatum(conv->typmod));
		}
	}
}

/*
 * text (UTF-8 database) and bytea: the varlenas of the whole chunk in one
 * allocation.
 */
static void
lake_conv_fill_varlena(const LakeConv *conv, const ParquetColumnBatch *batch,
					   size_t lpos, size_t *vpos, size_t m, Datum *out, bool *nulls)
{
	const ParquetBytes *src = (const ParquetBytes *) batch->values;
	const int16_t *def = batch->def_levels;
	const int16 max_def = conv->max_def;
	bool		is_text = (conv->dst == LAKE_DST_TEXT);
	size_t		total = 0;
	size_t		v = *vpos;
	size_t		i;
	char	   *buf;

	for (i = 0; i < m; i++)
	{
		if (def == NULL || def[lpos + i] == max_def)
		{
			size_t		len = src[v++].len;

			if (unlikely(len > MaxAllocSize - VARHDRSZ))
				ereport(ERROR,
						(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
						 errmsg("value of column \"%s\" is too long (%zu bytes)",
								conv->column, len)));
			total += MAXALIGN(VARHDRSZ + len);
		}
	}
	buf = MemoryContextAllocHuge(CurrentMemoryContext, total == 0 ? 1 : total);

	v = *vpos;
	for (i = 0; i < m; i++)
	{
		const ParquetBytes *b;
		struct varlena *t;

		if (def != NULL && def[lpos + i] != max_def)
		{
			nulls[i] = true;
			out[i] = (Datum) 0;
			continue;
		}
		b = &src[v++];
		if (is_text)
			lake_conv_check_utf8(conv, (const char *) b->ptr, b->len);
		t = (struct varlena *) buf;
		SET_VARSIZE(t, VARHDRSZ + b->len);
		if (b->len > 0)
			memcpy(VARDATA(t), b->ptr, b->len);
		buf += MAXALIGN(VARHDRSZ + b->len);
		nulls[i] = false;
		out[i] = PointerGetDatum(t);
	}
	*vpos = v;
}

void
lake_conv_fill_json(const LakeConv *conv, const LakeBuffer *json, const size_t *offsets,
					const bool *is_null, size_t pos, size_t m, Datum *out, bool *nulls)
{
	size_t		i;

	for (i = 0; i < m; i++)
	{
		size_t		start = offsets[pos + i];
		size_t		end = offsets[pos + i + 1];
		const char *s;

		if (is_null[pos + i])
		{
			nulls[i] = true;
			out[i] = (Datum) 0;
			continue;
		}
		if (unlikely(start > end || end > json->len))
			lake_conv_corrupt(conv, "nested value offsets are out of order");
		s = (const char *) json->data + start;
		nulls[i] = false;
		if (conv->dst == LAKE_DST_TEXT)
			out[i] = lake_conv_apply_typmod(conv, lake_conv_text_datum(conv, s, end - start));
		else
			out[i] = lake_conv_json_datum(conv, s, end - start);
	}
}
