/*
 * test_parquet_writer.c
 *	  Unit tests of the Parquet writer (lake/parquet_writer.c and
 *	  lake/parquet_column_writer.c).  Files of every physical type and
 *	  logical annotation, nulls, extreme values, zero rows, many row groups,
 *	  dictionary fallback, every codec and a nested Delta-like schema are
 *	  written to a temporary directory, each with a JSON file of what it must
 *	  contain; DuckDB, the independent oracle, then checks them all through
 *	  check_parquet_with_duckdb.mjs.  Statistics details, argument checks and
 *	  the read-back through our own reader are checked here in C.
 */
#include "lake/compression.h"
#include "lake/parquet_reader.h"
#include "lake/parquet_writer.h"
#include "unit.h"

#include <dirent.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <unistd.h>

static char tmpdir[] = "/tmp/lake_parquet_writer_XXXXXX";
static int	num_files;
static const LakeAllocator *A = &lake_malloc_allocator;

/* ------------------------------------------------- expectation files */

typedef struct Exp
{
	FILE	   *f;
	bool		in_list;
	int			items;
	int			cells;
} Exp;

static void
json_strn(FILE *f, const char *s, size_t len)
{
	size_t		i;

	fputc('"', f);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c == '\n')
			fputs("\\n", f);
		else if (c == '\t')
			fputs("\\t", f);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void
json_str(FILE *f, const char *s)
{
	if (s == NULL)
		fputs("null", f);
	else
		json_strn(f, s, strlen(s));
}

static void
exp_begin(Exp *e, const char *file)
{
	char		path[512];

	snprintf(path, sizeof(path), "%s/%s.json", tmpdir, file);
	memset(e, 0, sizeof(*e));
	e->f = fopen(path, "w");
	if (e->f == NULL)
	{
		perror(path);
		exit(1);
	}
	fputs("{\"file\": ", e->f);
	json_str(e->f, file);
	num_files++;
}

static void
exp_close_list(Exp *e)
{
	if (e->in_list)
		fputs("]", e->f);
	e->in_list = false;
}

static void
exp_list(Exp *e, const char *name)
{
	exp_close_list(e);
	fprintf(e->f, ",\n \"%s\": [", name);
	e->in_list = true;
	e->items = 0;
}

static void
exp_item(Exp *e)
{
	if (e->items++ > 0)
		fputs(",\n  ", e->f);
}

static void
exp_column(Exp *e, const char *name, const char *type, const char *expr, const char *kind)
{
	exp_item(e);
	fputs("{\"name\": ", e->f);
	json_str(e->f, name);
	fputs(", \"type\": ", e->f);
	json_str(e->f, type);
	fputs(", \"expr\": ", e->f);
	json_str(e->f, expr);
	fputs(", \"kind\": ", e->f);
	json_str(e->f, kind);
	fputs("}", e->f);
}

static void
exp_row_begin(Exp *e)
{
	exp_item(e);
	fputs("[", e->f);
	e->cells = 0;
}

static void
exp_cell(Exp *e, const char *s)
{
	if (e->cells++ > 0)
		fputs(", ", e->f);
	json_str(e->f, s);
}

static void
exp_row_end(Exp *e)
{
	fputs("]", e->f);
}

static void
exp_stat(Exp *e, const char *column, int rg, const char *min, const char *max, int64_t nulls)
{
	exp_item(e);
	fputs("{\"column\": ", e->f);
	json_str(e->f, column);
	fprintf(e->f, ", \"row_group\": %d, \"min\": ", rg);
	json_str(e->f, min);
	fputs(", \"max\": ", e->f);
	json_str(e->f, max);
	if (nulls >= 0)
		fprintf(e->f, ", \"nulls\": %lld", (long long) nulls);
	fputs("}", e->f);
}

static void
exp_check(Exp *e, const char *sql, const char *expect)
{
	exp_item(e);
	fputs("{\"sql\": ", e->f);
	json_str(e->f, sql);
	fputs(", \"expect\": ", e->f);
	json_str(e->f, expect);
	fputs("}", e->f);
}

static void
exp_int(Exp *e, const char *key, int64_t v)
{
	exp_close_list(e);
	fprintf(e->f, ",\n \"%s\": %lld", key, (long long) v);
}

static void
exp_end(Exp *e)
{
	exp_close_list(e);
	fputs("}\n", e->f);
	fclose(e->f);
	e->f = NULL;
}

/* ------------------------------------------------------- file helpers */

typedef struct TFile
{
	LakeOutput	out;
	ParquetWriter *w;
	LakeError	err;
	char		path[512];
	bool		ok;
} TFile;

static bool
tf_open(TFile *t, const char *name, const ParquetSchemaElement *schema, int n, const ParquetWriterOptions *o)
{
	memset(t, 0, sizeof(*t));
	snprintf(t->path, sizeof(t->path), "%s/%s", tmpdir, name);
	CHECK_OK(lake_output_open_file(A, t->path, &t->out, &t->err), &t->err);
	if (t->err.status != LAKE_OK)
		return false;
	CHECK_OK(parquet_writer_open(A, &t->out, schema, n, o, &t->w, &t->err), &t->err);
	if (t->w == NULL)
	{
		lake_output_abort(&t->out);
		return false;
	}
	t->ok = true;
	return true;
}

/* record a failed call once per file, not once per value */
static void
tf_ok(TFile *t, LakeStatus st, const char *what)
{
	if (st != LAKE_OK && t->ok)
	{
		CHECK_MSG(st == LAKE_OK, "%s: %s: %s", t->path, what, t->err.message);
		t->ok = false;
	}
}

static bool
tf_finish(TFile *t)
{
	if (t->w == NULL)
		return false;
	if (t->ok)
		tf_ok(t, parquet_writer_finish(t->w, &t->err), "finish");
	if (t->ok)
		tf_ok(t, lake_output_commit(&t->out, &t->err), "commit");
	else
		lake_output_abort(&t->out);
	return t->ok;
}

static void
tf_close(TFile *t)
{
	parquet_writer_destroy(t->w);
	t->w = NULL;
}

static ParquetSchemaElement
root(int n)
{
	ParquetSchemaElement e = parquet_writer_element_group("schema", PQ_REQUIRED, n);

	e.has_repetition = false;
	return e;
}

static ParquetSchemaElement
leaf_lt(const char *name, ParquetRepetition rep, ParquetPhysicalType type, ParquetLogicalKind kind)
{
	ParquetSchemaElement e = parquet_writer_element_leaf(name, rep, type);

	e.logical.kind = kind;
	return e;
}

static ParquetSchemaElement
leaf_int(const char *name, ParquetPhysicalType type, int bits, bool is_signed)
{
	ParquetSchemaElement e = leaf_lt(name, PQ_OPTIONAL, type, PQ_LT_INTEGER);

	e.logical.bit_width = (int8_t) bits;
	e.logical.is_signed = is_signed;
	return e;
}

static ParquetSchemaElement
leaf_decimal(const char *name, ParquetPhysicalType type, int len, int precision, int scale)
{
	ParquetSchemaElement e = leaf_lt(name, PQ_OPTIONAL, type, PQ_LT_DECIMAL);

	e.type_length = len;
	e.logical.precision = precision;
	e.logical.scale = scale;
	return e;
}

static ParquetSchemaElement
leaf_ts(const char *name, ParquetTimeUnit unit, bool utc)
{
	ParquetSchemaElement e = leaf_lt(name, PQ_OPTIONAL, PQ_INT64, PQ_LT_TIMESTAMP);

	e.logical.unit = unit;
	e.logical.is_adjusted_to_utc = utc;
	return e;
}

static ParquetValue
pv_i32(int32_t x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.i32 = x;
	return v;
}

static ParquetValue
pv_i64(int64_t x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.i64 = x;
	return v;
}

static ParquetValue
pv_f64(double x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.f64 = x;
	return v;
}

static ParquetValue
pv_str(const char *s)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.bytes.ptr = (const uint8_t *) s;
	v.bytes.len = (uint32_t) strlen(s);
	return v;
}

static void
render_double(char *buf, size_t n, double d, bool is_float)
{
	if (isnan(d))
		snprintf(buf, n, "nan");
	else if (isinf(d))
		snprintf(buf, n, d > 0 ? "inf" : "-inf");
	else
		snprintf(buf, n, is_float ? "%.9g" : "%.17g", d);
}

/* unscaled 128-bit integer with scale digits after the point, as DuckDB prints DECIMAL */
static void
render_decimal(char *buf, size_t n, __int128 v, int scale)
{
	char		digits[64];
	int			nd = 0;
	unsigned __int128 u = v < 0 ? -(unsigned __int128) v : (unsigned __int128) v;
	size_t		pos = 0;
	int			i;

	do
	{
		digits[nd++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u > 0);
	while (nd <= scale)
		digits[nd++] = '0';
	if (v < 0)
		buf[pos++] = '-';
	for (i = nd - 1; i >= 0 && pos + 2 < n; i--)
	{
		buf[pos++] = digits[i];
		if (i == scale && scale > 0)
			buf[pos++] = '.';
	}
	buf[pos] = '\0';
}

static void
hex_render(char *buf, const uint8_t *p, size_t len)
{
	size_t		i;

	for (i = 0; i < len; i++)
		sprintf(buf + 2 * i, "%02X", p[i]);
	buf[2 * len] = '\0';
}

/* big-endian two's complement of v in exactly len bytes */
static void
int128_be(uint8_t *out, __int128 v, int len)
{
	int			i;

	for (i = len - 1; i >= 0; i--)
	{
		out[i] = (uint8_t) (v & 0xff);
		v >>= 8;
	}
}

/* shortest big-endian two's complement of v */
static int
int128_be_min(uint8_t *out, __int128 v)
{
	uint8_t		full[16];
	int			start = 0;

	int128_be(full, v, 16);
	while (start < 15 &&
		   ((full[start] == 0x00 && (full[start + 1] & 0x80) == 0) ||
			(full[start] == 0xff && (full[start + 1] & 0x80) != 0)))
		start++;
	memcpy(out, full + start, 16 - start);
	return 16 - start;
}

/* ------------------------------------------------ every type, one file */

enum
{
	C_B, C_I8, C_I16, C_I32, C_I64, C_U8, C_U32, C_U64, C_F, C_D, C_DEC9, C_DEC18, C_DEC38, C_DECBA,
	C_DATE, C_TSMS, C_TSUS, C_TSLOCAL, C_S, C_BIN, C_UUID, C_I96, C_REQ, NCOLS
};

#define NT 8
/* "ünïcödé ✓" in UTF-8 */
#define UNICODE_TEXT "\xc3\xbc" "n" "\xc3\xaf" "c" "\xc3\xb6" "d" "\xc3\xa9" " " "\xe2\x9c\x93"
#define P10_38 ((__int128) 10000000000000000000ULL * (__int128) 10000000000000000000ULL)

static const int types_null_row = 3;

static int
types_schema(ParquetSchemaElement *s)
{
	int			n = 0;

	s[n++] = root(NCOLS);
	s[n++] = leaf_lt("b", PQ_OPTIONAL, PQ_BOOLEAN, PQ_LT_NONE);
	s[n++] = leaf_int("i8", PQ_INT32, 8, true);
	s[n++] = leaf_int("i16", PQ_INT32, 16, true);
	s[n++] = leaf_lt("i32", PQ_OPTIONAL, PQ_INT32, PQ_LT_NONE);
	s[n++] = leaf_int("i64", PQ_INT64, 64, true);
	s[n++] = leaf_int("u8", PQ_INT32, 8, false);
	s[n++] = leaf_int("u32", PQ_INT32, 32, false);
	s[n++] = leaf_int("u64", PQ_INT64, 64, false);
	s[n++] = leaf_lt("f", PQ_OPTIONAL, PQ_FLOAT, PQ_LT_NONE);
	s[n++] = leaf_lt("d", PQ_OPTIONAL, PQ_DOUBLE, PQ_LT_NONE);
	s[n++] = leaf_decimal("dec9", PQ_INT32, 0, 9, 2);
	s[n++] = leaf_decimal("dec18", PQ_INT64, 0, 18, 4);
	s[n++] = leaf_decimal("dec38", PQ_FIXED_LEN_BYTE_ARRAY, 16, 38, 6);
	s[n++] = leaf_decimal("decba", PQ_BYTE_ARRAY, 0, 20, 2);
	s[n++] = leaf_lt("dt", PQ_OPTIONAL, PQ_INT32, PQ_LT_DATE);
	s[n++] = leaf_ts("ts_ms", PQ_UNIT_MILLIS, true);
	s[n++] = leaf_ts("ts_us", PQ_UNIT_MICROS, true);
	s[n++] = leaf_ts("ts_local", PQ_UNIT_MICROS, false);
	s[n++] = leaf_lt("s", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[n++] = leaf_lt("bin", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_NONE);
	s[n] = leaf_lt("uuid", PQ_OPTIONAL, PQ_FIXED_LEN_BYTE_ARRAY, PQ_LT_UUID);
	s[n++].type_length = 16;
	s[n++] = leaf_lt("i96", PQ_OPTIONAL, PQ_INT96, PQ_LT_NONE);
	s[n++] = leaf_lt("req", PQ_REQUIRED, PQ_INT32, PQ_LT_NONE);
	return n;
}

static const char *const types_duck[NCOLS][3] = {
	/* DESCRIBE type, SQL rendering, kind */
	{"BOOLEAN", "b::VARCHAR", "text"},
	{"TINYINT", "i8::VARCHAR", "text"},
	{"SMALLINT", "i16::VARCHAR", "text"},
	{"INTEGER", "i32::VARCHAR", "text"},
	{"BIGINT", "i64::VARCHAR", "text"},
	{"UTINYINT", "u8::VARCHAR", "text"},
	{"UINTEGER", "u32::VARCHAR", "text"},
	{"UBIGINT", "u64::VARCHAR", "text"},
	{"FLOAT", "f", "float"},
	{"DOUBLE", "d", "double"},
	{"DECIMAL(9,2)", "dec9::VARCHAR", "text"},
	{"DECIMAL(18,4)", "dec18::VARCHAR", "text"},
	{"DECIMAL(38,6)", "dec38::VARCHAR", "text"},
	{"DECIMAL(20,2)", "decba::VARCHAR", "text"},
	{"DATE", "(dt - DATE '1970-01-01')::VARCHAR", "text"},
	{"TIMESTAMP WITH TIME ZONE", "epoch_ms(ts_ms)::VARCHAR", "text"},
	{"TIMESTAMP WITH TIME ZONE", "epoch_us(ts_us)::VARCHAR", "text"},
	{"TIMESTAMP", "epoch_us(ts_local)::VARCHAR", "text"},
	{"VARCHAR", "s", "text"},
	{"BLOB", "hex(bin)", "text"},
	{"UUID", "uuid::VARCHAR", "text"},
	{NULL, "epoch_us(i96)::VARCHAR", "text"},
	{"INTEGER", "req::VARCHAR", "text"},
};

static const char *const types_names[NCOLS] = {
	"b", "i8", "i16", "i32", "i64", "u8", "u32", "u64", "f", "d", "dec9", "dec18", "dec38", "decba",
	"dt", "ts_ms", "ts_us", "ts_local", "s", "bin", "uuid", "i96", "req"
};

/*
 * The value of (col, row): false for NULL.  render gets DuckDB's expected
 * rendering; scratch holds bytes the value points at.
 */
static bool
types_cell(int col, int row, ParquetValue *v, uint8_t *scratch, char *render, size_t rn)
{
	static const int b[NT] = {1, 0, 1, 0, 0, 1, 0, 1};
	static const int32_t i8[NT] = {5, -128, 127, 0, 0, 1, -1, 5};
	static const int32_t i16[NT] = {300, -32768, 32767, 0, 0, 1, -1, 300};
	static const int32_t i32[NT] = {7, INT32_MIN, INT32_MAX, 0, 0, 1, -1, 7};
	static const int64_t i64[NT] = {9, INT64_MIN, INT64_MAX, 0, 0, 1, -1, 9};
	static const uint32_t u8[NT] = {200, 0, 255, 0, 0, 1, 128, 200};
	static const uint32_t u32[NT] = {3000000000u, 0, 4294967295u, 0, 0, 1, 2147483648u, 3000000000u};
	static const uint64_t u64[NT] = {10000000000000000000ull, 0, UINT64_MAX, 0, 0, 1,
	9223372036854775808ull, 10000000000000000000ull};
	const float f[NT] = {1.5f, -FLT_MAX, FLT_MAX, 0, -0.0f, NAN, INFINITY, 1.5f};
	const double d[NT] = {2.25, -INFINITY, DBL_MAX, 0, -0.0, NAN, INFINITY, 0.1};
	static const int32_t dec9[NT] = {12345, -999999999, 999999999, 0, 0, -1, 1, 12345};
	static const int64_t dec18[NT] = {123456789, -999999999999999999LL, 999999999999999999LL, 0, 0, -1, 50000,
	123456789};
	const __int128 dec38[NT] = {(__int128) 123456789012345678ULL * 1000000000000ULL + 901234567890ULL,
		-(P10_38 - 1), P10_38 - 1, 0, 0, -1, 1000000, 42};
	const __int128 decba[NT] = {(__int128) 12345678901234567890ULL, -((__int128) 10000000000000000000ULL * 10 - 1),
		(__int128) 10000000000000000000ULL * 10 - 1, 0, 0, -1, 127, -128};
	static const int32_t dt[NT] = {19000, -719162, 2932896, 0, 0, -1, 1, 19000};
	static const int64_t ts_ms[NT] = {1700000000123LL, -62135596800000LL, 253402300799999LL, 0, 0, -1, 1,
	1700000000123LL};
	static const int64_t ts_us[NT] = {1700000000123456LL, -62135596800000000LL, 253402300799999999LL, 0, 0, -1,
	1, 1700000000123456LL};
	static const char *const s[NT] = {"hello", "", UNICODE_TEXT, NULL, "",
	"quote\" back\\ tab\t nl\n", "zzz", "hello"};
	static const char *const bin[NT] = {"\x00\xff\x10", "", "\xff\xff", NULL, "\x00", "abc", "\x80", "\x00\xff\x10"};
	static const int binlen[NT] = {3, 0, 2, 0, 1, 3, 1, 3};
	static const int32_t i96_day[NT] = {2440588, 2440587, 2488069, 0, 2440588, 2460000, 2440589, 2440588};
	static const int64_t i96_nanos[NT] = {123456000, 86399999999000LL, 0, 0, 0, 1000, 5000000, 123456000};

	memset(v, 0, sizeof(*v));
	render[0] = '\0';
	if (col == C_REQ)
	{
		v->i32 = row * 10;
		snprintf(render, rn, "%d", row * 10);
		return true;
	}
	if (row == types_null_row)
		return false;
	switch (col)
	{
		case C_B:
			v->boolean = b[row];
			snprintf(render, rn, "%s", b[row] ? "true" : "false");
			break;
		case C_I8:
			v->i32 = i8[row];
			snprintf(render, rn, "%d", i8[row]);
			break;
		case C_I16:
			v->i32 = i16[row];
			snprintf(render, rn, "%d", i16[row]);
			break;
		case C_I32:
			v->i32 = i32[row];
			snprintf(render, rn, "%d", i32[row]);
			break;
		case C_I64:
			v->i64 = i64[row];
			snprintf(render, rn, "%lld", (long long) i64[row]);
			break;
		case C_U8:
			v->i32 = (int32_t) u8[row];
			snprintf(render, rn, "%u", u8[row]);
			break;
		case C_U32:
			v->i32 = (int32_t) u32[row];
			snprintf(render, rn, "%u", u32[row]);
			break;
		case C_U64:
			v->i64 = (int64_t) u64[row];
			snprintf(render, rn, "%llu", (unsigned long long) u64[row]);
			break;
		case C_F:
			v->f32 = f[row];
			render_double(render, rn, f[row], true);
			break;
		case C_D:
			v->f64 = d[row];
			render_double(render, rn, d[row], false);
			break;
		case C_DEC9:
			v->i32 = dec9[row];
			render_decimal(render, rn, dec9[row], 2);
			break;
		case C_DEC18:
			v->i64 = dec18[row];
			render_decimal(render, rn, dec18[row], 4);
			break;
		case C_DEC38:
			int128_be(scratch, dec38[row], 16);
			v->bytes.ptr = scratch;
			v->bytes.len = 16;
			render_decimal(render, rn, dec38[row], 6);
			break;
		case C_DECBA:
			v->bytes.len = (uint32_t) int128_be_min(scratch, decba[row]);
			v->bytes.ptr = scratch;
			render_decimal(render, rn, decba[row], 2);
			break;
		case C_DATE:
			v->i32 = dt[row];
			snprintf(render, rn, "%d", dt[row]);
			break;
		case C_TSMS:
			v->i64 = ts_ms[row];
			snprintf(render, rn, "%lld", (long long) ts_ms[row]);
			break;
		case C_TSUS:
		case C_TSLOCAL:
			v->i64 = ts_us[row] + (col == C_TSLOCAL ? 7 : 0);
			snprintf(render, rn, "%lld", (long long) v->i64);
			break;
		case C_S:
			*v = pv_str(s[row]);
			snprintf(render, rn, "%s", s[row]);
			break;
		case C_BIN:
			memcpy(scratch, bin[row], binlen[row]);
			v->bytes.ptr = scratch;
			v->bytes.len = (uint32_t) binlen[row];
			hex_render(render, scratch, binlen[row]);
			break;
		case C_UUID:
			{
				int			i;

				for (i = 0; i < 16; i++)
					scratch[i] = (uint8_t) (row == 1 ? 0 : row == 2 ? 0xff : row * 16 + i);
				v->bytes.ptr = scratch;
				v->bytes.len = 16;
				snprintf(render, rn,
						 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
						 scratch[0], scratch[1], scratch[2], scratch[3], scratch[4], scratch[5],
						 scratch[6], scratch[7], scratch[8], scratch[9], scratch[10], scratch[11],
						 scratch[12], scratch[13], scratch[14], scratch[15]);
				break;
			}
		case C_I96:
			memcpy(scratch, &i96_nanos[row], 8);
			memcpy(scratch + 8, &i96_day[row], 4);
			v->bytes.ptr = scratch;
			v->bytes.len = 12;
			snprintf(render, rn, "%lld",
					 (long long) ((int64_t) (i96_day[row] - 2440588) * 86400000000LL + i96_nanos[row] / 1000));
			break;
	}
	return true;
}

static void
write_types_file(ParquetCodec codec, bool dictionary, const char *name, bool with_stats)
{
	ParquetSchemaElement schema[NCOLS + 1];
	int			n = types_schema(schema);
	ParquetWriterOptions o;
	TFile		t;
	Exp			e;
	int			row,
				col;
	ParquetKeyValue kv[2] = {{"writer.test", "types"}, {"empty", NULL}};

	parquet_writer_options_init(&o);
	o.codec = codec;
	o.dictionary = dictionary;
	o.key_value = kv;
	o.num_key_value = 2;
	o.created_by = "iot_lakehouse test";
	if (!tf_open(&t, name, schema, n, &o))
		return;
	exp_begin(&e, name);
	exp_list(&e, "columns");
	for (col = 0; col < NCOLS; col++)
		exp_column(&e, types_names[col], types_duck[col][0], types_duck[col][1], types_duck[col][2]);
	exp_list(&e, "rows");
	/* the 8 rows twice, so the dictionary sees repeats */
	for (row = 0; row < 2 * NT; row++)
	{
		exp_row_begin(&e);
		for (col = 0; col < NCOLS; col++)
		{
			ParquetValue v;
			uint8_t		scratch[32];
			char		render[128];
			bool		present = types_cell(col, row % NT, &v, scratch, render, sizeof(render));

			tf_ok(&t, parquet_writer_write_value(t.w, col, present ? &v : NULL, &t.err), types_names[col]);
			exp_cell(&e, present ? render : NULL);
		}
		exp_row_end(&e);
		tf_ok(&t, parquet_writer_end_row(t.w, &t.err), "end_row");
	}
	if (with_stats)
	{
		exp_list(&e, "stats");
		exp_stat(&e, "b", 0, "false", "true", 2);
		exp_stat(&e, "i8", 0, "-128", "127", 2);
		exp_stat(&e, "i32", 0, "-2147483648", "2147483647", 2);
		exp_stat(&e, "i64", 0, "-9223372036854775808", "9223372036854775807", 2);
		exp_stat(&e, "u8", 0, "0", "255", 2);
		exp_stat(&e, "u32", 0, "0", "4294967295", 2);
		exp_stat(&e, "u64", 0, "0", "18446744073709551615", 2);
		exp_stat(&e, "dec9", 0, "-9999999.99", "9999999.99", 2);
		exp_stat(&e, "dec38", 0, "-99999999999999999999999999999999.999999",
				 "99999999999999999999999999999999.999999", 2);
		exp_stat(&e, "decba", 0, "-999999999999999999.99", "999999999999999999.99", 2);
		exp_stat(&e, "dt", 0, "0001-01-01", "9999-12-31", 2);
		exp_stat(&e, "s", 0, "", UNICODE_TEXT, 2);
		exp_stat(&e, "i96", 0, NULL, NULL, 2);
		exp_stat(&e, "req", 0, "0", "70", 0);
		exp_list(&e, "checks");
		exp_check(&e, "SELECT value FROM parquet_kv_metadata({F}) WHERE key = 'writer.test'", "types");
		exp_check(&e, "SELECT created_by FROM parquet_file_metadata({F})", "iot_lakehouse test");
		exp_check(&e, "SELECT count(*) FROM {F} WHERE d = 'nan'::DOUBLE", "2");
		exp_check(&e, "SELECT count(*) FROM {F} WHERE f > 1e38 AND NOT isnan(f)", "4");
	}
	exp_int(&e, "num_rows", 2 * NT);
	exp_int(&e, "row_groups", 1);
	exp_end(&e);
	tf_finish(&t);
	tf_close(&t);
}

static void
test_types_and_codecs(void)
{
	static const struct
	{
		ParquetCodec codec;
		const char *name;
	}			codecs[] = {
		{PQ_CODEC_UNCOMPRESSED, "uncompressed"},
		{PQ_CODEC_SNAPPY, "snappy"},
		{PQ_CODEC_GZIP, "gzip"},
		{PQ_CODEC_ZSTD, "zstd"},
		{PQ_CODEC_LZ4_RAW, "lz4_raw"},
	};
	size_t		i;
	char		name[64];

	for (i = 0; i < sizeof(codecs) / sizeof(codecs[0]); i++)
	{
		snprintf(name, sizeof(name), "types_%s_dict.parquet", codecs[i].name);
		write_types_file(codecs[i].codec, true, name, true);
		snprintf(name, sizeof(name), "types_%s_plain.parquet", codecs[i].name);
		write_types_file(codecs[i].codec, false, name, i == 0);
	}
}

/* --------------------------------------------------------- zero rows */

static void
test_zero_rows(void)
{
	ParquetSchemaElement s[3];
	TFile		t;
	Exp			e;

	s[0] = root(2);
	s[1] = leaf_lt("id", PQ_REQUIRED, PQ_INT64, PQ_LT_NONE);
	s[2] = leaf_lt("name", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	if (!tf_open(&t, "zero_rows.parquet", s, 3, NULL))
		return;
	exp_begin(&e, "zero_rows.parquet");
	exp_list(&e, "columns");
	exp_column(&e, "id", "BIGINT", "id", "text");
	exp_column(&e, "name", "VARCHAR", "name", "text");
	exp_list(&e, "rows");
	exp_int(&e, "num_rows", 0);
	exp_end(&e);
	tf_finish(&t);
	CHECK(parquet_writer_num_rows(t.w) == 0);
	CHECK(parquet_writer_metadata(t.w) != NULL && parquet_writer_metadata(t.w)->num_row_groups == 0);
	tf_close(&t);
}

/* ------------------------------------------------- many row groups */

static void
test_many_row_groups(void)
{
	ParquetSchemaElement s[4];
	ParquetWriterOptions o;
	TFile		t;
	Exp			e;
	int64_t		i;
	int64_t		n = 10500;
	char		buf[64];
	int64_t		nonnull = 0;

	s[0] = root(3);
	s[1] = leaf_lt("id", PQ_REQUIRED, PQ_INT64, PQ_LT_NONE);
	s[2] = leaf_lt("s", PQ_REQUIRED, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[3] = leaf_lt("d", PQ_OPTIONAL, PQ_DOUBLE, PQ_LT_NONE);
	parquet_writer_options_init(&o);
	o.row_group_rows = 1000;
	o.page_bytes = 1000;
	o.codec = PQ_CODEC_ZSTD;
	if (!tf_open(&t, "many_row_groups.parquet", s, 4, &o))
		return;
	for (i = 0; i < n && t.ok; i++)
	{
		ParquetValue v = pv_i64(i);

		tf_ok(&t, parquet_writer_write_value(t.w, 0, &v, &t.err), "id");
		snprintf(buf, sizeof(buf), "v%lld", (long long) (i % 50));
		v = pv_str(buf);
		tf_ok(&t, parquet_writer_write_value(t.w, 1, &v, &t.err), "s");
		v = pv_f64(i * 0.5);
		tf_ok(&t, parquet_writer_write_value(t.w, 2, i % 7 == 0 ? NULL : &v, &t.err), "d");
		nonnull += i % 7 != 0;
		tf_ok(&t, parquet_writer_end_row(t.w, &t.err), "end_row");
	}
	tf_finish(&t);
	exp_begin(&e, "many_row_groups.parquet");
	exp_int(&e, "num_rows", n);
	exp_int(&e, "row_groups", 11);
	exp_list(&e, "stats");
	exp_stat(&e, "id", 0, "0", "999", 0);
	exp_stat(&e, "id", 10, "10000", "10499", 0);
	exp_stat(&e, "s", 3, "v0", "v9", 0);
	exp_stat(&e, "d", 0, "0.5", "499.5", 143);
	exp_list(&e, "checks");
	exp_check(&e, "SELECT count(*) FROM read_parquet({F}, file_row_number=true) WHERE id <> file_row_number"
			  " OR s <> 'v' || (id % 50) OR d IS DISTINCT FROM (CASE WHEN id % 7 = 0 THEN NULL ELSE id * 0.5 END)",
			  "0");
	snprintf(buf, sizeof(buf), "%lld", (long long) nonnull);
	exp_check(&e, "SELECT count(d) FROM {F}", buf);
	exp_end(&e);

	/* whole-file statistics over all row groups */
	{
		bool		has;
		ParquetValue min,
					max;
		int64_t		nulls;

		parquet_writer_leaf_stats(t.w, 0, &has, &min, &max, &nulls);
		CHECK(has && min.i64 == 0 && max.i64 == n - 1 && nulls == 0);
		parquet_writer_leaf_stats(t.w, 1, &has, &min, &max, &nulls);
		CHECK(has && min.bytes.len == 2 && memcmp(min.bytes.ptr, "v0", 2) == 0);
		CHECK(has && max.bytes.len == 2 && memcmp(max.bytes.ptr, "v9", 2) == 0);
		parquet_writer_leaf_stats(t.w, 2, &has, &min, &max, &nulls);
		CHECK(has && min.f64 == 0.5 && max.f64 == (n - 1) * 0.5 && nulls == n - nonnull);
		CHECK(parquet_writer_num_rows(t.w) == n);
	}
	tf_close(&t);
}

/* row groups closed by size */
static void
test_row_group_bytes(void)
{
	ParquetSchemaElement s[3];
	ParquetWriterOptions o;
	TFile		t;
	Exp			e;
	int64_t		i;
	int64_t		n = 100000;
	const ParquetFileMetaData *md;
	char		buf[64];

	s[0] = root(2);
	s[1] = leaf_lt("id", PQ_REQUIRED, PQ_INT64, PQ_LT_NONE);
	s[2] = leaf_lt("x", PQ_REQUIRED, PQ_DOUBLE, PQ_LT_NONE);
	parquet_writer_options_init(&o);
	o.row_group_bytes = 256 * 1024;
	o.row_group_rows = 0;
	o.page_bytes = 64 * 1024;
	o.dictionary = false;
	if (!tf_open(&t, "row_group_bytes.parquet", s, 3, &o))
		return;
	for (i = 0; i < n && t.ok; i++)
	{
		ParquetValue v = pv_i64(i * 7919);

		tf_ok(&t, parquet_writer_write_value(t.w, 0, &v, &t.err), "id");
		v = pv_f64(i / 3.0);
		tf_ok(&t, parquet_writer_write_value(t.w, 1, &v, &t.err), "x");
		tf_ok(&t, parquet_writer_end_row(t.w, &t.err), "end_row");
	}
	tf_finish(&t);
	md = parquet_writer_metadata(t.w);
	CHECK_MSG(md != NULL && md->num_row_groups >= 5 && md->num_row_groups <= 8, "%d row groups",
			  md ? md->num_row_groups : -1);
	exp_begin(&e, "row_group_bytes.parquet");
	exp_int(&e, "num_rows", n);
	if (md != NULL)
		exp_int(&e, "row_groups", md->num_row_groups);
	exp_list(&e, "checks");
	exp_check(&e, "SELECT count(*) FROM read_parquet({F}, file_row_number=true) WHERE id <> file_row_number * 7919"
			  " OR x <> file_row_number / 3.0", "0");
	snprintf(buf, sizeof(buf), "%lld", (long long) (n * (n - 1) / 2 * 7919));
	exp_check(&e, "SELECT sum(id)::VARCHAR FROM {F}", buf);
	exp_end(&e);
	tf_close(&t);
}

/* ------------------------------------------- dictionary and fallback */

static void
test_dictionary_fallback(void)
{
	ParquetSchemaElement s[5];
	ParquetWriterOptions o;
	TFile		t;
	Exp			e;
	int64_t		i;
	int64_t		n = 20000;
	char		buf[64];
	const ParquetFileMetaData *md;

	s[0] = root(4);
	s[1] = leaf_lt("id", PQ_REQUIRED, PQ_INT64, PQ_LT_NONE);
	s[2] = leaf_lt("s", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[3] = leaf_lt("c", PQ_REQUIRED, PQ_INT32, PQ_LT_NONE);
	s[4] = leaf_lt("u", PQ_REQUIRED, PQ_BYTE_ARRAY, PQ_LT_STRING);
	parquet_writer_options_init(&o);
	o.page_bytes = 4096;
	o.dictionary_bytes = 16384;
	if (!tf_open(&t, "dictionary_fallback.parquet", s, 5, &o))
		return;
	for (i = 0; i < n && t.ok; i++)
	{
		ParquetValue v = pv_i64(i);

		tf_ok(&t, parquet_writer_write_value(t.w, 0, &v, &t.err), "id");
		/* low cardinality first, then distinct values overflow the dictionary */
		if (i < 3000)
			snprintf(buf, sizeof(buf), "k%d", (int) (i % 10));
		else
			snprintf(buf, sizeof(buf), "distinct-value-%08d-xxxxxxxx", (int) i);
		v = pv_str(buf);
		tf_ok(&t, parquet_writer_write_value(t.w, 1, i % 11 == 5 ? NULL : &v, &t.err), "s");
		v = pv_i32((int32_t) (i % 3) - 1);
		tf_ok(&t, parquet_writer_write_value(t.w, 2, &v, &t.err), "c");
		/* distinct from the start: the dictionary never pays off */
		snprintf(buf, sizeof(buf), "u%lld", (long long) (i * 7));
		v = pv_str(buf);
		tf_ok(&t, parquet_writer_write_value(t.w, 3, &v, &t.err), "u");
		tf_ok(&t, parquet_writer_end_row(t.w, &t.err), "end_row");
	}
	tf_finish(&t);
	md = parquet_writer_metadata(t.w);
	if (md != NULL && md->num_row_groups == 1)
	{
		const ParquetColumnMetaData *id = &md->row_groups[0].columns[0].meta_data;
		const ParquetColumnMetaData *sm = &md->row_groups[0].columns[1].meta_data;
		const ParquetColumnMetaData *cm = &md->row_groups[0].columns[2].meta_data;
		const ParquetColumnMetaData *um = &md->row_groups[0].columns[3].meta_data;

		CHECK(!id->has_dictionary_page_offset);
		CHECK(sm->has_dictionary_page_offset && sm->dictionary_page_offset < sm->data_page_offset);
		CHECK(sm->num_encodings == 3 && sm->encodings[0] == PQ_ENC_PLAIN &&
			  sm->encodings[1] == PQ_ENC_RLE_DICTIONARY && sm->encodings[2] == PQ_ENC_RLE);
		CHECK(cm->has_dictionary_page_offset && cm->num_encodings == 2);
		CHECK(!um->has_dictionary_page_offset && um->num_encodings == 1 && um->encodings[0] == PQ_ENC_PLAIN);
		CHECK(sm->statistics.has_null_count && sm->statistics.null_count == (n + 5) / 11);
		CHECK(sm->num_values == n);
	}
	else
		CHECK(md != NULL && md->num_row_groups == 1);
	exp_begin(&e, "dictionary_fallback.parquet");
	exp_int(&e, "num_rows", n);
	exp_list(&e, "stats");
	exp_stat(&e, "s", 0, "distinct-value-00003000-xxxxxxxx", "k9", (n + 5) / 11);
	exp_stat(&e, "c", 0, "-1", "1", 0);
	exp_list(&e, "checks");
	exp_check(&e, "SELECT count(*) FROM {F} WHERE s IS DISTINCT FROM CASE WHEN id % 11 = 5 THEN NULL"
			  " WHEN id < 3000 THEN 'k' || (id % 10) ELSE printf('distinct-value-%08d-xxxxxxxx', id) END"
			  " OR c <> (id % 3) - 1 OR u <> 'u' || (id * 7)", "0");
	exp_check(&e, "SELECT encodings FROM parquet_metadata({F}) WHERE path_in_schema = 'u'", "PLAIN");
	exp_end(&e);
	tf_close(&t);
}

/* ----------------------------------- nested: a Delta add action, a list */

typedef struct KV
{
	const char *key;
	const char *value;
} KV;

typedef struct AddRec
{
	const char *path;
	const KV   *pv;				/* NULL map when pv_n < 0 */
	int			pv_n;
	int64_t		size;
	int64_t		mtime;
	bool		data_change;
	const char *stats;
	const KV   *tags;
	int			tags_n;
} AddRec;

enum
{
	L_PATH, L_PV_KEY, L_PV_VALUE, L_SIZE, L_MTIME, L_DC, L_STATS, L_TAG_KEY, L_TAG_VALUE, L_NAME
};

static int
nested_schema(ParquetSchemaElement *s)
{
	int			n = 0;

	s[n++] = root(2);
	s[n++] = parquet_writer_element_group("add", PQ_OPTIONAL, 7);
	s[n++] = leaf_lt("path", PQ_REQUIRED, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[n] = parquet_writer_element_group("partitionValues", PQ_OPTIONAL, 1);
	s[n++].logical.kind = PQ_LT_MAP;
	s[n++] = parquet_writer_element_group("key_value", PQ_REPEATED, 2);
	s[n++] = leaf_lt("key", PQ_REQUIRED, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[n++] = leaf_lt("value", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[n++] = leaf_lt("size", PQ_REQUIRED, PQ_INT64, PQ_LT_NONE);
	s[n++] = leaf_lt("modificationTime", PQ_REQUIRED, PQ_INT64, PQ_LT_NONE);
	s[n++] = leaf_lt("dataChange", PQ_REQUIRED, PQ_BOOLEAN, PQ_LT_NONE);
	s[n++] = leaf_lt("stats", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[n] = parquet_writer_element_group("tags", PQ_OPTIONAL, 1);
	s[n++].logical.kind = PQ_LT_MAP;
	s[n++] = parquet_writer_element_group("key_value", PQ_REPEATED, 2);
	s[n++] = leaf_lt("key", PQ_REQUIRED, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[n++] = leaf_lt("value", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	s[n] = parquet_writer_element_group("names", PQ_OPTIONAL, 1);
	s[n++].logical.kind = PQ_LT_LIST;
	s[n++] = parquet_writer_element_group("list", PQ_REPEATED, 1);
	s[n++] = leaf_lt("element", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	return n;
}

/* a map<string,string> below the optional "add" (def 1 when add is present) */
static void
write_map(TFile *t, int key_leaf, const KV *kv, int n, bool add_present)
{
	int			j;

	if (!add_present || n < 0)
	{
		int16_t		def = add_present ? 1 : 0;

		tf_ok(t, parquet_writer_write_levels(t->w, key_leaf, def, 0, NULL, &t->err), "map key");
		tf_ok(t, parquet_writer_write_levels(t->w, key_leaf + 1, def, 0, NULL, &t->err), "map value");
		return;
	}
	if (n == 0)
	{
		tf_ok(t, parquet_writer_write_levels(t->w, key_leaf, 2, 0, NULL, &t->err), "map key");
		tf_ok(t, parquet_writer_write_levels(t->w, key_leaf + 1, 2, 0, NULL, &t->err), "map value");
		return;
	}
	for (j = 0; j < n; j++)
	{
		ParquetValue k = pv_str(kv[j].key);
		ParquetValue v;

		tf_ok(t, parquet_writer_write_levels(t->w, key_leaf, 3, j > 0, &k, &t->err), "map key");
		if (kv[j].value != NULL)
		{
			v = pv_str(kv[j].value);
			tf_ok(t, parquet_writer_write_levels(t->w, key_leaf + 1, 4, j > 0, &v, &t->err), "map value");
		}
		else
			tf_ok(t, parquet_writer_write_levels(t->w, key_leaf + 1, 3, j > 0, NULL, &t->err), "map value");
	}
}

/* the rows of nested.parquet as JSON ("" for NULL), for the read-back */
#define NESTED_ROWS 2000
static char *nested_json[2][NESTED_ROWS];
static int	nested_count[2];

static void
nested_remember(int field, const char *json)
{
	if (nested_count[field] < NESTED_ROWS)
		nested_json[field][nested_count[field]++] = strdup(json);
}

static void
json_map(char *out, size_t n, const KV *kv, int count)
{
	size_t		pos;
	int			j;

	if (count < 0)
	{
		snprintf(out, n, "null");
		return;
	}
	pos = (size_t) snprintf(out, n, "{");
	for (j = 0; j < count; j++)
	{
		if (kv[j].value != NULL)
			pos += snprintf(out + pos, n - pos, "%s\"%s\":\"%s\"", j ? "," : "", kv[j].key, kv[j].value);
		else
			pos += snprintf(out + pos, n - pos, "%s\"%s\":null", j ? "," : "", kv[j].key);
	}
	snprintf(out + pos, n - pos, "}");
}

static void
write_nested_row(TFile *t, Exp *e, const AddRec *a, const char *const *names, int names_n)
{
	char		json[2048];
	char		pv[512];
	char		tags[512];
	char		stats[512];
	ParquetValue v;
	int			j;

	if (a == NULL)
	{
		int			l;

		for (l = L_PATH; l <= L_TAG_VALUE; l++)
			tf_ok(t, parquet_writer_write_levels(t->w, l, 0, 0, NULL, &t->err), "null add");
		json[0] = '\0';
	}
	else
	{
		v = pv_str(a->path);
		tf_ok(t, parquet_writer_write_levels(t->w, L_PATH, 1, 0, &v, &t->err), "path");
		write_map(t, L_PV_KEY, a->pv, a->pv_n, true);
		v = pv_i64(a->size);
		tf_ok(t, parquet_writer_write_levels(t->w, L_SIZE, 1, 0, &v, &t->err), "size");
		v = pv_i64(a->mtime);
		tf_ok(t, parquet_writer_write_levels(t->w, L_MTIME, 1, 0, &v, &t->err), "mtime");
		memset(&v, 0, sizeof(v));
		v.boolean = a->data_change;
		tf_ok(t, parquet_writer_write_levels(t->w, L_DC, 1, 0, &v, &t->err), "dataChange");
		if (a->stats != NULL)
		{
			v = pv_str(a->stats);
			tf_ok(t, parquet_writer_write_levels(t->w, L_STATS, 2, 0, &v, &t->err), "stats");
			/* the stats strings hold quotes: escaped as JSON */
			{
				size_t		p = 0;
				const char *c;

				stats[p++] = '"';
				for (c = a->stats; *c; c++)
				{
					if (*c == '"' || *c == '\\')
						stats[p++] = '\\';
					stats[p++] = *c;
				}
				stats[p++] = '"';
				stats[p] = '\0';
			}
		}
		else
		{
			tf_ok(t, parquet_writer_write_levels(t->w, L_STATS, 1, 0, NULL, &t->err), "stats");
			snprintf(stats, sizeof(stats), "null");
		}
		write_map(t, L_TAG_KEY, a->tags, a->tags_n, true);
		json_map(pv, sizeof(pv), a->pv, a->pv_n);
		json_map(tags, sizeof(tags), a->tags, a->tags_n);
		snprintf(json, sizeof(json),
				 "{\"path\":\"%s\",\"partitionValues\":%s,\"size\":%lld,\"modificationTime\":%lld,"
				 "\"dataChange\":%s,\"stats\":%s,\"tags\":%s}",
				 a->path, pv, (long long) a->size, (long long) a->mtime, a->data_change ? "true" : "false",
				 stats, tags);
	}
	exp_row_begin(e);
	exp_cell(e, json[0] ? json : NULL);
	nested_remember(0, json);

	/* names: list<string> */
	if (names_n < 0)
	{
		tf_ok(t, parquet_writer_write_levels(t->w, L_NAME, 0, 0, NULL, &t->err), "names");
		json[0] = '\0';
	}
	else if (names_n == 0)
	{
		tf_ok(t, parquet_writer_write_levels(t->w, L_NAME, 1, 0, NULL, &t->err), "names");
		snprintf(json, sizeof(json), "[]");
	}
	else
	{
		size_t		pos = (size_t) snprintf(json, sizeof(json), "[");

		for (j = 0; j < names_n; j++)
		{
			if (names[j] != NULL)
			{
				v = pv_str(names[j]);
				tf_ok(t, parquet_writer_write_levels(t->w, L_NAME, 3, j > 0, &v, &t->err), "name");
				pos += snprintf(json + pos, sizeof(json) - pos, "%s\"%s\"", j ? "," : "", names[j]);
			}
			else
			{
				tf_ok(t, parquet_writer_write_levels(t->w, L_NAME, 2, j > 0, NULL, &t->err), "name");
				pos += snprintf(json + pos, sizeof(json) - pos, "%snull", j ? "," : "");
			}
		}
		snprintf(json + pos, sizeof(json) - pos, "]");
	}
	exp_cell(e, json[0] ? json : NULL);
	nested_remember(1, json);
	exp_row_end(e);
	tf_ok(t, parquet_writer_end_row(t->w, &t->err), "end_row");
}

static void
test_nested(void)
{
	ParquetSchemaElement s[32];
	int			n = nested_schema(s);
	ParquetWriterOptions o;
	TFile		t;
	Exp			e;
	const ParquetSchema *schema;
	static const KV pv0[] = {{"date", "2024-01-01"}, {"region", NULL}};
	static const KV tags2[] = {{"k", "v"}};
	static const KV many[] = {{"a", "1"}, {"b", "2"}, {"c", "3"}, {"d", NULL}, {"e", ""}};
	const char *names0[] = {"x", NULL, "z"};
	const char *names3[] = {NULL};
	const char *names_many[] = {"n0", "n1", "n2", "n3", "n4", "n5", "n6", "n7"};
	int			i;

	parquet_writer_options_init(&o);
	o.page_bytes = 300;			/* many pages: they must end at record boundaries */
	o.row_group_rows = 700;
	if (!tf_open(&t, "nested.parquet", s, n, &o))
		return;
	schema = parquet_writer_schema(t.w);
	CHECK(schema->num_leaves == 10);
	CHECK(schema->leaves[L_PV_VALUE].max_def == 4 && schema->leaves[L_PV_VALUE].max_rep == 1);
	CHECK(schema->leaves[L_NAME].max_def == 3 && schema->leaves[L_NAME].max_rep == 1);
	CHECK(schema->leaves[L_STATS].max_def == 2 && schema->leaves[L_STATS].max_rep == 0);
	exp_begin(&e, "nested.parquet");
	exp_list(&e, "columns");
	exp_column(&e, "add", NULL, "to_json(add)::VARCHAR", "text");
	exp_column(&e, "names", NULL, "to_json(names)::VARCHAR", "text");
	exp_list(&e, "rows");
	for (i = 0; i < 2000 && t.ok; i++)
	{
		AddRec		a;
		char		path[64];

		memset(&a, 0, sizeof(a));
		snprintf(path, sizeof(path), "part-%05d.parquet", i);
		a.path = path;
		a.size = i * 1000;
		a.mtime = 1700000000000LL + i;
		a.data_change = i % 2 == 0;
		a.pv_n = -1;
		a.tags_n = -1;
		switch (i % 5)
		{
			case 0:
				a.pv = pv0;
				a.pv_n = 2;
				a.stats = "{\"numRecords\":5,\"minValues\":{\"a\":1}}";
				write_nested_row(&t, &e, &a, names0, 3);
				break;
			case 1:
				write_nested_row(&t, &e, NULL, NULL, -1);
				break;
			case 2:
				a.path = "";
				a.pv_n = 0;
				a.size = -1;
				a.tags = tags2;
				a.tags_n = 1;
				write_nested_row(&t, &e, &a, NULL, 0);
				break;
			case 3:
				a.size = INT64_MAX;
				a.tags_n = 0;
				write_nested_row(&t, &e, &a, names3, 1);
				break;
			case 4:
				a.pv = many;
				a.pv_n = 5;
				a.tags = many;
				a.tags_n = 3;
				a.stats = "";
				write_nested_row(&t, &e, &a, names_many, 8);
				break;
		}
	}
	exp_list(&e, "checks");
	exp_check(&e, "SELECT typeof(add.partitionValues) FROM {F} LIMIT 1", "MAP(VARCHAR, VARCHAR)");
	exp_check(&e, "SELECT typeof(names) FROM {F} LIMIT 1", "VARCHAR[]");
	exp_check(&e, "SELECT count(*) FROM {F} WHERE add.partitionValues['date'] = '2024-01-01'", "400");
	exp_check(&e, "SELECT sum(len(names)) FROM {F}", "4800");
	exp_int(&e, "num_rows", 2000);
	exp_int(&e, "row_groups", 3);
	exp_end(&e);
	tf_finish(&t);

	/* chunk statistics of a repeated leaf count null entries of every level */
	{
		const ParquetFileMetaData *md = parquet_writer_metadata(t.w);

		if (md != NULL)
		{
			const ParquetColumnMetaData *pk = &md->row_groups[0].columns[L_PV_KEY].meta_data;

			CHECK(pk->path_len == 4 && strcmp(pk->path_in_schema[0], "add") == 0 &&
				  strcmp(pk->path_in_schema[3], "key") == 0);
			/* per 5 rows: 2 + 1 (null add) + 1 (empty) + 1 (null map) + 5 entries */
			CHECK(pk->num_values == 700 / 5 * 10);
			CHECK(pk->statistics.null_count == 700 / 5 * 3);
		}
	}
	tf_close(&t);
}

/* ---------------------------------- statistics details, in C (memory output) */

static void
test_stats_details(void)
{
	ParquetSchemaElement s[7];
	LakeBuffer	buf;
	LakeOutput	out;
	ParquetWriter *w = NULL;
	LakeError	err;
	ParquetWriterOptions o;
	int			i;
	const ParquetFileMetaData *md;

	s[0] = root(6);
	s[1] = leaf_lt("z", PQ_OPTIONAL, PQ_DOUBLE, PQ_LT_NONE);
	s[2] = leaf_lt("allnan", PQ_OPTIONAL, PQ_DOUBLE, PQ_LT_NONE);
	s[3] = leaf_lt("allnull", PQ_OPTIONAL, PQ_INT32, PQ_LT_NONE);
	s[4] = leaf_lt("i96", PQ_REQUIRED, PQ_INT96, PQ_LT_NONE);
	s[5] = leaf_lt("fz", PQ_REQUIRED, PQ_FLOAT, PQ_LT_NONE);
	s[6] = leaf_int("u", PQ_INT32, 32, false);
	lake_buffer_init(&buf, A);
	lake_output_open_memory(&buf, &out);
	parquet_writer_options_init(&o);
	o.row_group_rows = 3;
	CHECK_OK(parquet_writer_open(A, &out, s, 7, &o, &w, &err), &err);
	if (w == NULL)
		return;
	for (i = 0; i < 6; i++)
	{
		ParquetValue v = pv_f64(i % 2 ? NAN : (i % 4 ? -0.0 : 0.0));
		uint8_t		i96[12] = {0};
		float		fz = i == 1 ? -0.0f : 0.0f;

		CHECK_OK(parquet_writer_write_value(w, 0, &v, &err), &err);
		v = pv_f64(NAN);
		CHECK_OK(parquet_writer_write_value(w, 1, &v, &err), &err);
		CHECK_OK(parquet_writer_write_value(w, 2, NULL, &err), &err);
		memset(&v, 0, sizeof(v));
		i96[8] = (uint8_t) i;
		v.bytes.ptr = i96;
		v.bytes.len = 12;
		CHECK_OK(parquet_writer_write_value(w, 3, &v, &err), &err);
		memset(&v, 0, sizeof(v));
		v.f32 = fz;
		CHECK_OK(parquet_writer_write_value(w, 4, &v, &err), &err);
		v = pv_i32(i == 2 ? -1 : i);	/* -1 is UINT32_MAX */
		CHECK_OK(parquet_writer_write_value(w, 5, &v, &err), &err);
		CHECK_OK(parquet_writer_end_row(w, &err), &err);
	}
	CHECK_OK(parquet_writer_finish(w, &err), &err);
	md = parquet_writer_metadata(w);
	CHECK(md != NULL && md->num_row_groups == 2 && md->num_rows == 6 && md->has_column_orders);
	if (md != NULL && md->num_row_groups == 2)
	{
		const ParquetStatistics *z = &md->row_groups[0].columns[0].meta_data.statistics;
		const ParquetStatistics *an = &md->row_groups[0].columns[1].meta_data.statistics;
		const ParquetStatistics *nl = &md->row_groups[1].columns[2].meta_data.statistics;
		const ParquetStatistics *i96 = &md->row_groups[0].columns[3].meta_data.statistics;
		const ParquetStatistics *fz = &md->row_groups[0].columns[4].meta_data.statistics;
		const ParquetStatistics *u = &md->row_groups[0].columns[5].meta_data.statistics;
		double		d;
		float		f;
		uint32_t	x;

		/* zeros: min is -0.0 and max +0.0 whatever was written; NaN left out */
		CHECK(z->has_min && z->has_max && z->min.len == 8 && z->max.len == 8);
		memcpy(&d, z->min.ptr, 8);
		CHECK(d == 0.0 && signbit(d));
		memcpy(&d, z->max.ptr, 8);
		CHECK(d == 0.0 && !signbit(d));
		CHECK(z->has_null_count && z->null_count == 0);
		CHECK(!an->has_min && !an->has_max && an->null_count == 0);
		CHECK(!nl->has_min && !nl->has_max && nl->has_null_count && nl->null_count == 3);
		CHECK(!i96->has_min && !i96->has_max);
		memcpy(&f, fz->min.ptr, 4);
		CHECK(fz->has_min && f == 0.0f && signbit(f));
		memcpy(&f, fz->max.ptr, 4);
		CHECK(fz->has_max && f == 0.0f && !signbit(f));
		/* unsigned order: 0 .. 4294967295 */
		memcpy(&x, u->min.ptr, 4);
		CHECK(u->has_min && x == 0);
		memcpy(&x, u->max.ptr, 4);
		CHECK(u->has_max && x == UINT32_MAX);
	}
	{
		bool		has;
		ParquetValue min,
					max;
		int64_t		nulls;

		parquet_writer_leaf_stats(w, 2, &has, &min, &max, &nulls);
		CHECK(!has && nulls == 6);
		parquet_writer_leaf_stats(w, 1, &has, &min, &max, &nulls);
		CHECK(!has && nulls == 0);
		parquet_writer_leaf_stats(w, 3, &has, &min, &max, &nulls);
		CHECK(!has);
		parquet_writer_leaf_stats(w, 5, &has, &min, &max, &nulls);
		CHECK(has && min.i32 == 0 && (uint32_t) max.i32 == UINT32_MAX);
	}
	/* the bytes start and end with the magic, and end with the footer length */
	CHECK(buf.len > 12 && memcmp(buf.data, "PAR1", 4) == 0 && memcmp(buf.data + buf.len - 4, "PAR1", 4) == 0);
	parquet_writer_destroy(w);
	lake_buffer_free(&buf);
}

/* -------------------------------------------------- misuse is refused */

static void
test_errors(void)
{
	ParquetSchemaElement s[4];
	LakeBuffer	buf;
	LakeOutput	out;
	ParquetWriter *w = NULL;
	LakeError	err;
	ParquetWriterOptions o;
	ParquetValue v = pv_i64(1);
	ParquetValue bad;

	s[0] = root(3);
	s[1] = leaf_lt("id", PQ_REQUIRED, PQ_INT64, PQ_LT_NONE);
	s[2] = leaf_lt("fl", PQ_OPTIONAL, PQ_FIXED_LEN_BYTE_ARRAY, PQ_LT_NONE);
	s[2].type_length = 4;
	s[3] = leaf_lt("s", PQ_OPTIONAL, PQ_BYTE_ARRAY, PQ_LT_STRING);
	lake_buffer_init(&buf, A);
	lake_output_open_memory(&buf, &out);

	/* a codec we cannot write */
	parquet_writer_options_init(&o);
	o.codec = PQ_CODEC_LZ4;
	CHECK(parquet_writer_open(A, &out, s, 4, &o, &w, &err) == LAKE_ERROR_UNSUPPORTED && w == NULL);
	/* a broken schema */
	s[0].num_children = 5;
	CHECK(parquet_writer_open(A, &out, s, 4, NULL, &w, &err) != LAKE_OK && w == NULL);
	s[0].num_children = 3;
	s[2].type_length = 0;
	CHECK(parquet_writer_open(A, &out, s, 4, NULL, &w, &err) != LAKE_OK && w == NULL);
	s[2].type_length = 4;

#define FRESH() \
	do { \
		parquet_writer_destroy(w); \
		w = NULL; \
		lake_buffer_reset(&buf); \
		lake_output_open_memory(&buf, &out); \
		CHECK_OK(parquet_writer_open(A, &out, s, 4, NULL, &w, &err), &err); \
	} while (0)

	FRESH();
	if (w == NULL)
		return;
	/* null in a required column */
	CHECK(parquet_writer_write_value(w, 0, NULL, &err) == LAKE_ERROR_INVALID);
	/* after an error the writer refuses to go on */
	CHECK(parquet_writer_write_value(w, 0, &v, &err) == LAKE_ERROR_INVALID);

	FRESH();
	/* a row without every column */
	CHECK_OK(parquet_writer_write_value(w, 0, &v, &err), &err);
	CHECK(parquet_writer_end_row(w, &err) == LAKE_ERROR_INVALID);
	CHECK(strstr(err.message, "fl") != NULL);

	FRESH();
	/* two values for one column in a row */
	CHECK_OK(parquet_writer_write_value(w, 0, &v, &err), &err);
	CHECK(parquet_writer_write_value(w, 0, &v, &err) == LAKE_ERROR_INVALID);

	FRESH();
	/* wrong FLBA length; leaf out of range */
	bad = pv_str("abc");
	CHECK(parquet_writer_write_value(w, 1, &bad, &err) == LAKE_ERROR_INVALID);
	FRESH();
	CHECK(parquet_writer_write_value(w, 3, &v, &err) == LAKE_ERROR_INVALID);
	FRESH();
	CHECK(parquet_writer_write_value(w, -1, &v, &err) == LAKE_ERROR_INVALID);

	FRESH();
	/* levels out of range; a value where def says null; rep > 0 on a flat column */
	CHECK(parquet_writer_write_levels(w, 2, 2, 0, NULL, &err) == LAKE_ERROR_INVALID);
	FRESH();
	CHECK(parquet_writer_write_levels(w, 2, 0, 0, &v, &err) == LAKE_ERROR_INVALID);
	FRESH();
	CHECK(parquet_writer_write_levels(w, 2, 0, 1, NULL, &err) == LAKE_ERROR_INVALID);

	FRESH();
	/* finish with a row not ended */
	CHECK_OK(parquet_writer_write_value(w, 0, &v, &err), &err);
	CHECK(parquet_writer_finish(w, &err) == LAKE_ERROR_INVALID);

	FRESH();
	/* a good row, finish, then nothing more */
	bad = pv_str("abcd");
	CHECK_OK(parquet_writer_write_value(w, 0, &v, &err), &err);
	CHECK_OK(parquet_writer_write_value(w, 1, &bad, &err), &err);
	CHECK_OK(parquet_writer_write_value(w, 2, NULL, &err), &err);
	CHECK_OK(parquet_writer_end_row(w, &err), &err);
	CHECK_OK(parquet_writer_finish(w, &err), &err);
	CHECK(parquet_writer_write_value(w, 0, &v, &err) == LAKE_ERROR_INVALID);
	CHECK(parquet_writer_finish(w, &err) == LAKE_ERROR_INVALID);
	CHECK(parquet_writer_num_rows(w) == 1);
	parquet_writer_destroy(w);
	lake_buffer_free(&buf);
#undef FRESH
}

/* ------------------------------------ an allocator that refuses, in turn */

typedef struct FailingAlloc
{
	int			left;			/* allocations still granted */
	int			live;			/* allocations not yet freed */
} FailingAlloc;

static void *
failing_alloc(void *ctx, size_t size)
{
	FailingAlloc *f = ctx;
	void	   *p;

	if (f->left-- <= 0)
		return NULL;
	p = malloc(size == 0 ? 1 : size);
	if (p != NULL)
		f->live++;
	return p;
}

static void
failing_free(void *ctx, void *ptr)
{
	FailingAlloc *f = ctx;

	f->live--;
	free(ptr);
}

/* every allocation failure is reported as LAKE_ERROR_NOMEM, and destroy frees everything */
static void
test_out_of_memory(void)
{
	ParquetSchemaElement s[32];
	int			ns = nested_schema(s);
	int			limit;
	int			completed = 0;
	int			leaks = 0;
	int			bad_status = 0;

	for (limit = 0; limit < 400; limit++)
	{
		FailingAlloc fa = {limit, 0};
		LakeAllocator a = {failing_alloc, failing_free, &fa};
		LakeBuffer	buf;
		LakeOutput	out;
		ParquetWriter *w = NULL;
		ParquetWriterOptions o;
		LakeError	err;
		LakeStatus	st;
		int			row;

		lake_buffer_init(&buf, &lake_malloc_allocator);
		lake_output_open_memory(&buf, &out);
		parquet_writer_options_init(&o);
		o.row_group_rows = 7;
		o.page_bytes = 64;
		st = parquet_writer_open(&a, &out, s, ns, &o, &w, &err);
		for (row = 0; st == LAKE_OK && row < 20; row++)
		{
			char		text[32];
			ParquetValue v;
			int			l;

			snprintf(text, sizeof(text), "value-%d", row % 4);
			v = pv_str(text);
			st = parquet_writer_write_levels(w, L_PATH, 1, 0, &v, &err);
			for (l = L_PV_KEY; st == LAKE_OK && l <= L_PV_VALUE; l++)
				st = parquet_writer_write_levels(w, l, 1, 0, NULL, &err);
			v = pv_i64(row);
			for (l = L_SIZE; st == LAKE_OK && l <= L_MTIME; l++)
				st = parquet_writer_write_levels(w, l, 1, 0, &v, &err);
			v.boolean = true;
			if (st == LAKE_OK)
				st = parquet_writer_write_levels(w, L_DC, 1, 0, &v, &err);
			v = pv_str(text);
			if (st == LAKE_OK)
				st = parquet_writer_write_levels(w, L_STATS, 2, 0, &v, &err);
			for (l = L_TAG_KEY; st == LAKE_OK && l <= L_TAG_VALUE; l++)
				st = parquet_writer_write_levels(w, l, 0, 0, NULL, &err);
			if (st == LAKE_OK)
				st = parquet_writer_write_levels(w, L_NAME, 3, 0, &v, &err);
			if (st == LAKE_OK)
				st = parquet_writer_write_levels(w, L_NAME, 3, 1, &v, &err);
			if (st == LAKE_OK)
				st = parquet_writer_end_row(w, &err);
		}
		if (st == LAKE_OK)
			st = parquet_writer_finish(w, &err);
		if (st == LAKE_OK)
			completed++;
		else if (st != LAKE_ERROR_NOMEM)
		{
			if (bad_status++ == 0)
				fprintf(stderr, "limit %d: %s: %s\n", limit, lake_status_name(st), err.message);
		}
		parquet_writer_destroy(w);
		leaks += fa.live != 0;
		lake_buffer_free(&buf);
	}
	CHECK(completed > 0);
	CHECK_MSG(bad_status == 0, "%d failures were not LAKE_ERROR_NOMEM", bad_status);
	CHECK_MSG(leaks == 0, "%d runs leaked", leaks);
}

/* ------------------------------------------- a sensor file, larger */

static void
test_sensor(void)
{
	ParquetSchemaElement s[6];
	TFile		t;
	Exp			e;
	int64_t		i;
	int64_t		n = 300000;
	static const char *const status[] = {"ok", "warn", "error", "ok", "ok"};

	s[0] = root(5);
	s[1] = leaf_lt("id", PQ_REQUIRED, PQ_INT32, PQ_LT_NONE);
	s[2] = leaf_ts("ts", PQ_UNIT_MICROS, true);
	s[2].repetition = PQ_REQUIRED;
	s[3] = leaf_lt("temp", PQ_OPTIONAL, PQ_DOUBLE, PQ_LT_NONE);
	s[4] = leaf_lt("hum", PQ_REQUIRED, PQ_DOUBLE, PQ_LT_NONE);
	s[5] = leaf_lt("status", PQ_REQUIRED, PQ_BYTE_ARRAY, PQ_LT_STRING);
	if (!tf_open(&t, "sensor.parquet", s, 6, NULL))
		return;
	for (i = 0; i < n && t.ok; i++)
	{
		ParquetValue v = pv_i32((int32_t) (i % 1000));

		tf_ok(&t, parquet_writer_write_value(t.w, 0, &v, &t.err), "id");
		v = pv_i64(1700000000000000LL + i * 1000);
		tf_ok(&t, parquet_writer_write_value(t.w, 1, &v, &t.err), "ts");
		v = pv_f64(i * 0.25);
		tf_ok(&t, parquet_writer_write_value(t.w, 2, i % 100 == 0 ? NULL : &v, &t.err), "temp");
		v = pv_f64((double) (i % 97) / 8);
		tf_ok(&t, parquet_writer_write_value(t.w, 3, &v, &t.err), "hum");
		v = pv_str(status[i % 5]);
		tf_ok(&t, parquet_writer_write_value(t.w, 4, &v, &t.err), "status");
		tf_ok(&t, parquet_writer_end_row(t.w, &t.err), "end_row");
	}
	tf_finish(&t);
	tf_close(&t);
	exp_begin(&e, "sensor.parquet");
	exp_int(&e, "num_rows", n);
	exp_list(&e, "stats");
	exp_stat(&e, "id", 0, "0", "999", 0);
	exp_stat(&e, "status", 0, "error", "warn", 0);
	exp_list(&e, "checks");
	exp_check(&e, "SELECT count(*) FROM read_parquet({F}, file_row_number=true) AS t(id, ts, temp, hum, status, r)"
			  " WHERE id <> r % 1000 OR epoch_us(ts) <> 1700000000000000 + r * 1000"
			  " OR temp IS DISTINCT FROM (CASE WHEN r % 100 = 0 THEN NULL ELSE r * 0.25 END)"
			  " OR hum <> (r % 97) / 8 OR status <> ['ok','warn','error','ok','ok'][r % 5 + 1]", "0");
	exp_end(&e);
}

/* --------------------------------------------- read back with our reader */

static void
test_read_back(void)
{
	/* the nested and typed files are checked by DuckDB; here a flat file round-trips */
	char		path[512];
	LakeInput	in;
	LakeError	err;
	ParquetReader *r = NULL;
	int			rg,
				leaf;
	int64_t		seen_ids = 0;
	int64_t		id_sum = 0;
	int64_t		nulls = 0;

	snprintf(path, sizeof(path), "%s/many_row_groups.parquet", tmpdir);
	if (lake_input_open_file(path, &in, &err) != LAKE_OK)
	{
		CHECK_MSG(false, "open %s: %s", path, err.message);
		return;
	}
	CHECK_OK(parquet_reader_open(A, &in, "many_row_groups.parquet", NULL, &r, &err), &err);
	if (r == NULL)
	{
		lake_input_close(&in);
		return;
	}
	CHECK(parquet_reader_metadata(r)->num_rows == 10500 && parquet_reader_metadata(r)->num_row_groups == 11);
	for (rg = 0; rg < parquet_reader_metadata(r)->num_row_groups; rg++)
	{
		for (leaf = 0; leaf < 3; leaf += 2)
		{
			ParquetColumnReader *cr = NULL;
			ParquetColumnBatch b;

			CHECK_OK(parquet_column_reader_open(r, rg, leaf, 256, &cr, &err), &err);
			if (cr == NULL)
				continue;
			for (;;)
			{
				size_t		k;

				if (parquet_column_reader_next(cr, &b, &err) != LAKE_OK)
				{
					CHECK_MSG(false, "read rg %d leaf %d: %s", rg, leaf, err.message);
					break;
				}
				if (b.num_levels == 0)
					break;
				if (leaf == 0)
				{
					for (k = 0; k < b.num_values; k++)
					{
						if (((int64_t *) b.values)[k] != seen_ids)
							break;
						id_sum += ((int64_t *) b.values)[k];
						seen_ids++;
					}
				}
				else
					nulls += (int64_t) (b.num_levels - b.num_values);
			}
			parquet_column_reader_close(cr);
		}
	}
	CHECK(seen_ids == 10500 && id_sum == 10500LL * 10499 / 2);
	CHECK(nulls == (10500 + 6) / 7);
	parquet_reader_close(r);
	lake_input_close(&in);
}

/* every type read back through our reader: levels and values as written */
static void
test_read_back_types(const char *name)
{
	char		path[512];
	LakeInput	in;
	LakeError	err;
	ParquetReader *r = NULL;
	int			col;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	if (lake_input_open_file(path, &in, &err) != LAKE_OK)
	{
		CHECK_MSG(false, "open %s: %s", path, err.message);
		return;
	}
	CHECK_OK(parquet_reader_open(A, &in, name, NULL, &r, &err), &err);
	if (r == NULL)
	{
		lake_input_close(&in);
		return;
	}
	CHECK(parquet_reader_schema(r)->num_leaves == NCOLS);
	for (col = 0; col < NCOLS; col++)
	{
		ParquetColumnReader *cr = NULL;
		ParquetColumnBatch b;
		int			row = 0;
		int			mismatches = 0;
		LakeStatus	st;

		CHECK_OK(parquet_column_reader_open(r, 0, col, 5, &cr, &err), &err);
		if (cr == NULL)
			continue;

		while ((st = parquet_column_reader_next(cr, &b, &err)) == LAKE_OK && b.num_levels > 0)
		{
			size_t		k,
						vi = 0;

			for (k = 0; k < b.num_levels; k++, row++)
			{
				ParquetValue want;
				uint8_t		scratch[32];
				char		render[128];
				bool		present = types_cell(col, row % NT, &want, scratch, render, sizeof(render));
				bool		got_present = b.def_levels == NULL || b.def_levels[k] == 1;
				bool		same = present == got_present;

				if (same && present)
				{
					switch (parquet_reader_schema(r)->leaves[col].element->type)
					{
						case PQ_BOOLEAN:
							same = ((bool *) b.values)[vi] == want.boolean;
							break;
						case PQ_INT32:
						case PQ_FLOAT:
							same = memcmp((int32_t *) b.values + vi, &want.i32, 4) == 0;
							break;
						case PQ_INT64:
						case PQ_DOUBLE:
							same = memcmp((int64_t *) b.values + vi, &want.i64, 8) == 0;
							break;
						default:
							{
								ParquetBytes g = ((ParquetBytes *) b.values)[vi];

								same = g.len == want.bytes.len &&
									(g.len == 0 || memcmp(g.ptr, want.bytes.ptr, g.len) == 0);
							}
					}
				}
				if (present && got_present)
					vi++;
				if (!same)
					mismatches++;
			}
		}
		CHECK_MSG(st == LAKE_OK, "read %s column %s: %s", name, types_names[col], err.message);
		CHECK_MSG(row == 2 * NT && mismatches == 0, "%s column %s: %d rows read, %d mismatches", name,
				  types_names[col], row, mismatches);
		parquet_column_reader_close(cr);
	}
	parquet_reader_close(r);
	lake_input_close(&in);
}

/* nested fields read back as JSON by our reader match what was written */
static void
test_read_back_nested(void)
{
	char		path[512];
	LakeInput	in;
	LakeError	err;
	ParquetReader *r = NULL;
	int			field,
				rg;

	snprintf(path, sizeof(path), "%s/nested.parquet", tmpdir);
	if (lake_input_open_file(path, &in, &err) != LAKE_OK)
	{
		CHECK_MSG(false, "open %s: %s", path, err.message);
		return;
	}
	CHECK_OK(parquet_reader_open(A, &in, "nested.parquet", NULL, &r, &err), &err);
	for (field = 0; r != NULL && field < 2; field++)
	{
		int			row = 0;
		int			mismatches = 0;

		for (rg = 0; rg < parquet_reader_metadata(r)->num_row_groups; rg++)
		{
			ParquetFieldReader *fr = NULL;
			size_t		n,
						i;
			const LakeBuffer *json;
			const size_t *off;
			const bool *is_null;
			LakeStatus	st;

			CHECK_OK(parquet_field_reader_open(r, rg, field, 64, &fr, &err), &err);
			if (fr == NULL)
				break;
			while ((st = parquet_field_reader_next(fr, &n, &json, &off, &is_null, &err)) == LAKE_OK && n > 0)
			{
				for (i = 0; i < n; i++, row++)
				{
					const char *want = row < nested_count[field] ? nested_json[field][row] : "?";
					size_t		len = off[i + 1] - off[i];
					bool		same = is_null[i] ? want[0] == '\0' :
						strlen(want) == len && memcmp(json->data + off[i], want, len) == 0;

					if (!same && mismatches++ == 0)
						fprintf(stderr, "nested row %d field %d: got %.*s, expected %s\n", row, field,
								is_null[i] ? 4 : (int) len, is_null[i] ? "NULL" : (const char *) json->data + off[i],
								want);
				}
			}
			CHECK_MSG(st == LAKE_OK, "nested field %d row group %d: %s", field, rg, err.message);
			parquet_field_reader_close(fr);
		}
		CHECK_MSG(row == nested_count[field] && mismatches == 0, "nested field %d: %d rows, %d mismatches",
				  field, row, mismatches);
	}
	if (r != NULL)
		parquet_reader_close(r);
	lake_input_close(&in);
	for (field = 0; field < 2; field++)
		while (nested_count[field] > 0)
			free(nested_json[field][--nested_count[field]]);
}

/* ------------------------------------------------------ the oracle */

static void
run_duckdb(void)
{
	char		script[512];
	char		cmd[1200];
	char		line[4096];
	FILE	   *p;
	int			ok = 0;
	const char *here = __FILE__;
	const char *slash = strrchr(here, '/');

	snprintf(script, sizeof(script), "%.*scheck_parquet_with_duckdb.mjs",
			 slash ? (int) (slash - here + 1) : 0, here);
	if (access(script, R_OK) != 0)
	{
		CHECK_MSG(false, "cannot find %s (run from the repository root)", script);
		return;
	}
	snprintf(cmd, sizeof(cmd), "node %s %s 2>&1", script, tmpdir);
	p = popen(cmd, "r");
	if (p == NULL)
	{
		CHECK_MSG(false, "cannot run %s", cmd);
		return;
	}
	while (fgets(line, sizeof(line), p) != NULL)
	{
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "ok ", 3) == 0)
		{
			ok++;
			CHECK(true);
		}
		else
			CHECK_MSG(false, "duckdb: %s", line);
	}
	pclose(p);
	CHECK_MSG(ok == num_files, "duckdb confirmed %d of %d files (is @duckdb/node-api installed? cd test && npm install)",
			  ok, num_files);
}

static void
remove_tmpdir(void)
{
	DIR		   *d = opendir(tmpdir);
	struct dirent *de;
	char		path[1024];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
	{
		perror("mkdtemp");
		return 1;
	}
	test_stats_details();
	test_errors();
	test_out_of_memory();
	test_types_and_codecs();
	test_zero_rows();
	test_many_row_groups();
	test_row_group_bytes();
	test_dictionary_fallback();
	test_nested();
	test_sensor();
	test_read_back();
	test_read_back_types("types_snappy_dict.parquet");
	test_read_back_types("types_zstd_plain.parquet");
	test_read_back_types("types_lz4_raw_dict.parquet");
	test_read_back_nested();
	run_duckdb();
	if (unit_failed == 0 && getenv("LAKE_TEST_KEEP") == NULL)
		remove_tmpdir();
	else
		fprintf(stderr, "test_parquet_writer: files kept in %s\n", tmpdir);
	return unit_finish("test_parquet_writer");
}
