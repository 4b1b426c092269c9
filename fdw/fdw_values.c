/*
 * fdw_values.c
 *	  PostgreSQL values -> Delta values for writes: which Delta type a
 *	  column is created with, which PostgreSQL types can fill a Delta
 *	  column, a Datum in the Parquet physical representation of its Delta
 *	  type, and a value as the text of a partition value in the log.
 *
 * Physical representations (delta_writer.h): long INT64; integer, short,
 * byte, date INT32 (days since 1970-01-01); float; double; boolean;
 * string, binary BYTE_ARRAY; decimal INT32 (p <= 9), INT64 (p <= 18) or a
 * big-endian FIXED_LEN_BYTE_ARRAY; timestamp and timestamp_ntz INT64
 * microseconds since 1970-01-01 00:00 (UTC for timestamp).
 */
#include "postgres.h"

#include <float.h>
#include <math.h>

#include "catalog/pg_type.h"
#include "common/int.h"
#include "common/shortest_dec.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "lake_fdw.h"
#include "lake_pg.h"

#define LAKE_UNIX_TO_PG_DAYS	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))
#define LAKE_UNIX_TO_PG_USECS	(LAKE_UNIX_TO_PG_DAYS * USECS_PER_DAY)

/* numeric without a typmod is created as decimal(38,18) */
#define LAKE_DEFAULT_PRECISION 38
#define LAKE_DEFAULT_SCALE 18

/* helpers */
static void lake_values_string(const char *s, size_t len, ParquetValue *pv);
static void lake_values_range_error(const LakeWriteColumn *wc, const char *what);

bool
lake_values_delta_type(Oid typid, int32 typmod, DeltaTypeKind *kind, int *precision, int *scale)
{
	*precision = 0;
	*scale = 0;
	switch (typid)
	{
		case INT8OID:
			*kind = DELTA_TYPE_LONG;
			return true;
		case INT4OID:
			*kind = DELTA_TYPE_INTEGER;
			return true;
		case INT2OID:
			*kind = DELTA_TYPE_SHORT;
			return true;
		case FLOAT8OID:
			*kind = DELTA_TYPE_DOUBLE;
			return true;
		case FLOAT4OID:
			*kind = DELTA_TYPE_FLOAT;
			return true;
		case BOOLOID:
			*kind = DELTA_TYPE_BOOLEAN;
			return true;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case JSONOID:
		case JSONBOID:
			*kind = DELTA_TYPE_STRING;
			return true;
		case BYTEAOID:
			*kind = DELTA_TYPE_BINARY;
			return true;
		case DATEOID:
			*kind = DELTA_TYPE_DATE;
			return true;
		case TIMESTAMPTZOID:
			*kind = DELTA_TYPE_TIMESTAMP;
			return true;
		case TIMESTAMPOID:
			*kind = DELTA_TYPE_TIMESTAMP_NTZ;
			return true;
		case NUMERICOID:
			*kind = DELTA_TYPE_DECIMAL;
			if (typmod < (int32) VARHDRSZ)
			{
				*precision = LAKE_DEFAULT_PRECISION;
				*scale = LAKE_DEFAULT_SCALE;
			}
			else
			{
				int			p = ((typmod - VARHDRSZ) >> 16) & 0xffff;
				int			s = (((typmod - VARHDRSZ) & 0x7ff) ^ 1024) - 1024;

				/* Delta needs 0 <= scale <= precision <= 38 */
				if (s < 0 || s > p || p > LAKE_DEFAULT_PRECISION)
					return false;
				*precision = p;
				*scale = s;
			}
			return true;
		default:
			return false;
	}
}

LakeWriteSrc
lake_values_source(Oid typid, const DeltaColumn *col)
{
	LakeWriteSrc src;

	switch (typid)
	{
		case BOOLOID:
			src = LAKE_WSRC_BOOL;
			break;
		case INT2OID:
			src = LAKE_WSRC_INT2;
			break;
		case INT4OID:
			src = LAKE_WSRC_INT4;
			break;
		case INT8OID:
			src = LAKE_WSRC_INT8;
			break;
		case FLOAT4OID:
			src = LAKE_WSRC_FLOAT4;
			break;
		case FLOAT8OID:
			src = LAKE_WSRC_FLOAT8;
			break;
		case NUMERICOID:
			src = LAKE_WSRC_NUMERIC;
			break;
		case TEXTOID:
		case VARCHAROID:
		case BPCHAROID:
		case JSONOID:
			src = LAKE_WSRC_TEXT;
			break;
		case JSONBOID:
			src = LAKE_WSRC_JSONB;
			break;
		case BYTEAOID:
			src = LAKE_WSRC_BYTEA;
			break;
		case DATEOID:
			src = LAKE_WSRC_DATE;
			break;
		case TIMESTAMPOID:
			src = LAKE_WSRC_TIMESTAMP;
			break;
		case TIMESTAMPTZOID:
			src = LAKE_WSRC_TIMESTAMPTZ;
			break;
		default:
			return LAKE_WSRC_NONE;
	}

	/* which sources fill which Delta type */
	switch (col->kind)
	{
		case DELTA_TYPE_LONG:
		case DELTA_TYPE_INTEGER:
		case DELTA_TYPE_SHORT:
		case DELTA_TYPE_BYTE:
			if (src == LAKE_WSRC_INT2 || src == LAKE_WSRC_INT4 || src == LAKE_WSRC_INT8)
				return src;
			break;
		case DELTA_TYPE_FLOAT:
		case DELTA_TYPE_DOUBLE:
			if (src == LAKE_WSRC_FLOAT4 || src == LAKE_WSRC_FLOAT8 || src == LAKE_WSRC_INT2 ||
				src == LAKE_WSRC_INT4 || src == LAKE_WSRC_INT8)
				return src;
			break;
		case DELTA_TYPE_DECIMAL:
			if (src == LAKE_WSRC_NUMERIC || src == LAKE_WSRC_INT2 || src == LAKE_WSRC_INT4 ||
				src == LAKE_WSRC_INT8)
				return src;
			break;
		case DELTA_TYPE_BOOLEAN:
			if (src == LAKE_WSRC_BOOL)
				return src;
			break;
		case DELTA_TYPE_STRING:
			if (src == LAKE_WSRC_TEXT || src == LAKE_WSRC_JSONB)
				return src;
			break;
		case DELTA_TYPE_BINARY:
			if (src == LAKE_WSRC_BYTEA)
				return src;
			break;
		case DELTA_TYPE_DATE:
			if (src == LAKE_WSRC_DATE)
				return src;
			break;
		case DELTA_TYPE_TIMESTAMP:
		case DELTA_TYPE_TIMESTAMP_NTZ:
			/* timestamp <-> timestamptz: the wall clock taken as UTC, as the reader does */
			if (src == LAKE_WSRC_TIMESTAMP || src == LAKE_WSRC_TIMESTAMPTZ)
				return src;
			break;
		default:
			break;
	}
	return LAKE_WSRC_NONE;
}

int
lake_values_decimal_bytes(int precision)
{
	int128		max = 1;
	int			k;
	int			len;

	for (k = 0; k < precision; k++)
		max *= 10;
	max -= 1;
	for (len = 1; len < 16; len++)
	{
		if (((int128) 1 << (8 * len - 1)) > max)
			break;
	}
	return len;
}

void
lake_values_set_decimal(const LakeWriteColumn *wc, int128 unscaled, ParquetValue *pv)
{
	if (wc->col->precision <= 9)
		pv->i32 = (int32) unscaled;
	else if (wc->col->precision <= 18)
		pv->i64 = (int64) unscaled;
	else
	{
		uint8	   *buf = palloc(wc->flba_len);
		int			k;

		for (k = wc->flba_len - 1; k >= 0; k--)
		{
			buf[k] = (uint8) (unscaled & 0xff);
			unscaled >>= 8;
		}
		pv->bytes.ptr = buf;
		pv->bytes.len = wc->flba_len;
	}
}

static void
lake_values_range_error(const LakeWriteColumn *wc, const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("value %s is out of range for Delta column \"%s\" of type %s",
					what, wc->col->name,
					lake_values_type_name(wc->col->kind, wc->col->precision, wc->col->scale))));
}

/* bytes of a string in UTF-8, valid while CurrentMemoryContext lives */
static void
lake_values_string(const char *s, size_t len, ParquetValue *pv)
{
	int			enc = GetDatabaseEncoding();

	if (enc != PG_UTF8 && enc != PG_SQL_ASCII)
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

void
lake_values_from_datum(const LakeWriteColumn *wc, Datum d, ParquetValue *pv)
{
	DeltaTypeKind kind = wc->col->kind;

	switch (wc->src)
	{
		case LAKE_WSRC_INT2:
		case LAKE_WSRC_INT4:
		case LAKE_WSRC_INT8:
			{
				int64		v = wc->src == LAKE_WSRC_INT2 ? DatumGetInt16(d) :
				wc->src == LAKE_WSRC_INT4 ? DatumGetInt32(d) : DatumGetInt64(d);

				switch (kind)
				{
					case DELTA_TYPE_LONG:
						pv->i64 = v;
						break;
					case DELTA_TYPE_INTEGER:
					case DELTA_TYPE_SHORT:
					case DELTA_TYPE_BYTE:
						{
							int64		lo = kind == DELTA_TYPE_INTEGER ? PG_INT32_MIN :
							kind == DELTA_TYPE_SHORT ? PG_INT16_MIN : -128;
							int64		hi = kind == DELTA_TYPE_INTEGER ? PG_INT32_MAX :
							kind == DELTA_TYPE_SHORT ? PG_INT16_MAX : 127;

							if (v < lo || v > hi)
								lake_values_range_error(wc, psprintf(INT64_FORMAT, v));
							pv->i32 = (int32) v;
							break;
						}
					case DELTA_TYPE_FLOAT:
						pv->f32 = (float) v;
						break;
					case DELTA_TYPE_DOUBLE:
						pv->f64 = (double) v;
						break;
					case DELTA_TYPE_DECIMAL:
						{
							int128		u = (int128) v;
							int128		limit = 1;
							int			k;

							for (k = 0; k < wc->col->scale; k++)
								u *= 10;
							for (k = 0; k < wc->col->precision; k++)
								limit *= 10;
							if (u >= limit || u <= -limit)
								lake_values_range_error(wc, psprintf(INT64_FORMAT, v));
							lake_values_set_decimal(wc, u, pv);
							break;
						}
					default:
						elog(ERROR, "unexpected Delta type %d for an integer", (int) kind);
				}
				break;
			}
		case LAKE_WSRC_FLOAT4:
		case LAKE_WSRC_FLOAT8:
			{
				double		v = wc->src == LAKE_WSRC_FLOAT4 ? DatumGetFloat4(d) : DatumGetFloat8(d);

				if (kind == DELTA_TYPE_FLOAT)
				{
					if (!isinf(v) && !isnan(v) && (v > FLT_MAX || v < -FLT_MAX))
						lake_values_range_error(wc, psprintf("%g", v));
					pv->f32 = (float) v;
				}
				else
					pv->f64 = v;
				break;
			}
		case LAKE_WSRC_BOOL:
			pv->boolean = DatumGetBool(d);
			break;
		case LAKE_WSRC_NUMERIC:
			{
				int128		u;
				LakeNumericStatus nst;

				nst = lake_pg_numeric_to_unscaled(DatumGetNumeric(d), wc->col->scale,
												  wc->col->precision, true, &u);
				if (nst == LAKE_NUMERIC_NOT_FINITE)
					ereport(ERROR,
							(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
							 errmsg("cannot write %s to Delta column \"%s\"",
									DatumGetCString(DirectFunctionCall1(numeric_out, d)),
									wc->col->name),
							 errdetail("Delta decimals have no NaN or infinity.")));
				if (nst != LAKE_NUMERIC_OK)
					lake_values_range_error(wc, DatumGetCString(DirectFunctionCall1(numeric_out, d)));
				lake_values_set_decimal(wc, u, pv);
				break;
			}
		case LAKE_WSRC_TEXT:
			{
				text	   *t = DatumGetTextPP(d);

				lake_values_string(VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t), pv);
				break;
			}
		case LAKE_WSRC_JSONB:
			{
				Jsonb	   *jb = DatumGetJsonbP(d);
				char	   *s = JsonbToCString(NULL, &jb->root, VARSIZE(jb));

				lake_values_string(s, strlen(s), pv);
				break;
			}
		case LAKE_WSRC_BYTEA:
			{
				bytea	   *b = DatumGetByteaPP(d);

				pv->bytes.ptr = (const uint8_t *) VARDATA_ANY(b);
				pv->bytes.len = VARSIZE_ANY_EXHDR(b);
				break;
			}
		case LAKE_WSRC_DATE:
			{
				DateADT		date = DatumGetDateADT(d);

				if (DATE_NOT_FINITE(date))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("cannot write an infinite date to Delta column \"%s\"",
									wc->col->name)));
				pv->i32 = (int32) ((int64) date + LAKE_UNIX_TO_PG_DAYS);
				break;
			}
		case LAKE_WSRC_TIMESTAMP:
		case LAKE_WSRC_TIMESTAMPTZ:
			{
				Timestamp	ts = DatumGetTimestamp(d);

				if (TIMESTAMP_NOT_FINITE(ts))
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("cannot write an infinite timestamp to Delta column \"%s\"",
									wc->col->name)));
				if (pg_add_s64_overflow(ts, LAKE_UNIX_TO_PG_USECS, &pv->i64))
					lake_values_range_error(wc, "(timestamp)");
				break;
			}
		case LAKE_WSRC_NONE:
			elog(ERROR, "no source for Delta column \"%s\"", wc->col->name);
	}
}

char *
lake_values_partition_text(const DeltaColumn *col, const ParquetValue *pv)
{
	switch (col->kind)
	{
		case DELTA_TYPE_STRING:
			/* as Spark: an empty string partition value is null */
			if (pv->bytes.len == 0)
				return NULL;
			return pnstrdup((const char *) pv->bytes.ptr, pv->bytes.len);
		case DELTA_TYPE_LONG:
			return psprintf(INT64_FORMAT, (int64) pv->i64);
		case DELTA_TYPE_INTEGER:
		case DELTA_TYPE_SHORT:
		case DELTA_TYPE_BYTE:
			return psprintf("%d", (int) pv->i32);
		case DELTA_TYPE_BOOLEAN:
			return pstrdup(pv->boolean ? "true" : "false");
		case DELTA_TYPE_FLOAT:
			return float_to_shortest_decimal(pv->f32);
		case DELTA_TYPE_DOUBLE:
			return double_to_shortest_decimal(pv->f64);
		case DELTA_TYPE_DATE:
			{
				int			y,
							m,
							dd;

				j2date((int) ((int64) pv->i32 + UNIX_EPOCH_JDATE), &y, &m, &dd);
				return psprintf("%04d-%02d-%02d", y, m, dd);
			}
		case DELTA_TYPE_TIMESTAMP:
		case DELTA_TYPE_TIMESTAMP_NTZ:
			{
				struct pg_tm tm;
				fsec_t		fsec;
				Timestamp	ts = pv->i64 - LAKE_UNIX_TO_PG_USECS;

				/* the protocol's form, in UTC: 1970-01-01 00:00:00[.123456] */
				if (timestamp2tm(ts, NULL, &tm, &fsec, NULL, NULL) != 0)
					ereport(ERROR,
							(errcode(ERRCODE_DATETIME_VALUE_OUT_OF_RANGE),
							 errmsg("timestamp out of range for partition column \"%s\"", col->name)));
				if (fsec != 0)
					return psprintf("%04d-%02d-%02d %02d:%02d:%02d.%06d", tm.tm_year, tm.tm_mon,
									tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int) fsec);
				return psprintf("%04d-%02d-%02d %02d:%02d:%02d", tm.tm_year, tm.tm_mon,
								tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec);
			}
		case DELTA_TYPE_DECIMAL:
			{
				int128		u;
				Numeric		n;

				if (col->precision <= 9)
					u = pv->i32;
				else if (col->precision <= 18)
					u = pv->i64;
				else
				{
					uint32		k;

					/* big-endian two's complement */
					u = (pv->bytes.len > 0 && (pv->bytes.ptr[0] & 0x80)) ? -1 : 0;
					for (k = 0; k < pv->bytes.len; k++)
						u = (int128) (((uint128) u << 8) | pv->bytes.ptr[k]);
				}
				n = lake_pg_numeric_from_unscaled(u, col->scale);
				return DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(n)));
			}
		default:
			ereport(ERROR,
					(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
					 errmsg("cannot write partition column \"%s\" of type %s",
							col->name, delta_type_name(col->kind))));
	}
	return NULL;				/* keep the compiler quiet */
}

char *
lake_values_type_name(DeltaTypeKind kind, int precision, int scale)
{
	switch (kind)
	{
		case DELTA_TYPE_DECIMAL:
			return psprintf("decimal(%d,%d)", precision, scale);
		case DELTA_TYPE_STRING:
			return pstrdup("string");
		case DELTA_TYPE_LONG:
			return pstrdup("long");
		case DELTA_TYPE_INTEGER:
			return pstrdup("integer");
		case DELTA_TYPE_SHORT:
			return pstrdup("short");
		case DELTA_TYPE_BYTE:
			return pstrdup("byte");
		case DELTA_TYPE_FLOAT:
			return pstrdup("float");
		case DELTA_TYPE_DOUBLE:
			return pstrdup("double");
		case DELTA_TYPE_BOOLEAN:
			return pstrdup("boolean");
		case DELTA_TYPE_BINARY:
			return pstrdup("binary");
		case DELTA_TYPE_DATE:
			return pstrdup("date");
		case DELTA_TYPE_TIMESTAMP:
			return pstrdup("timestamp");
		case DELTA_TYPE_TIMESTAMP_NTZ:
			return pstrdup("timestamp_ntz");
		default:
			return pstrdup(delta_type_name(kind));
	}
}
