/*
 * delta_file_writer.c
 *	  The data files of a Delta commit: the table's columns as a Parquet
 *	  schema (physical names, Spark's physical types), one open Parquet file
 *	  per partition value tuple in a Hive-style directory (Spark's escaping),
 *	  unique file names, rolling past a target size, and each file's
 *	  statistics (numRecords, minValues, maxValues, nullCount) as the JSON
 *	  text Delta stores in add.stats.  Files are written to temporary names
 *	  and renamed into place (fsync'd) when they are complete; abort removes
 *	  every file this writer created.
 */
#include "delta_write_internal.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define DFW_DEFAULT_TARGET_BYTES ((uint64_t) 128 * 1024 * 1024)
#define DFW_DEFAULT_MAX_OPEN 64
#define DFW_STRING_STATS_CHARS 32
#define DFW_HIVE_NULL "__HIVE_DEFAULT_PARTITION__"

/* One partition value tuple with its open file (if any). */
typedef struct DfwSlot
{
	char	  **values;			/* per partition column; NULL = null (owned) */
	uint64_t	hash;
	char	   *dir_rel;		/* "col=val/col2=val2/" escaped, "" unpartitioned (owned) */
	char	   *pv_json;		/* the add's partitionValues JSON (owned) */
	bool		open;
	LakeOutput	out;
	ParquetWriter *pw;
	char	   *file_rel;		/* relative path of the open file, unescaped (owned) */
} DfwSlot;

struct DeltaFileWriter
{
	const LakeAllocator *alloc;
	char	   *table_dir;		/* owned */
	const DeltaMetadata *md;	/* borrowed */
	DeltaFileWriterOptions opts;
	const char *codec_ext;
	ParquetSchemaElement *schema;	/* root + one leaf per data column */
	int			num_schema;
	int		   *col_leaf;		/* per md column: its leaf, or -1 for partition columns */
	int		   *leaf_col;		/* per leaf: its md column */
	int			num_leaves;
	const ParquetValue **leaf_values;	/* per leaf: the batch of write_rows */
	const bool **leaf_nulls;
	bool	   *seen;			/* per leaf, in the current row */
	DfwSlot    *slots;
	int			num_slots;
	int			max_slots;
	DfwSlot    *cur;			/* the current row's slot, NULL outside a row */
	int			file_seq;
	DeltaNewFile *files;		/* finished files */
	int			num_files;
	int			cap_files;
	char	  **written;		/* full paths of committed files (for abort) */
	bool		failed;
};

/* ---------------------------------------------------------------- escaping */

/* Spark's ExternalCatalogUtils.escapePathName: these become %XX */
static bool
spark_needs_escape(unsigned char c)
{
	if (c < 0x20 || c == 0x7f)
		return true;
	return strchr("\"#%'*/:=?\\{[]^", c) != NULL && c != '\0';
}

char *
delta_escape_partition_value(const LakeAllocator *a, const char *value, LakeError *err)
{
	size_t		n = 0;
	const char *p;
	char	   *out,
			   *q;

	if (value == NULL || value[0] == '\0')
		return lake_strndup(a, DFW_HIVE_NULL, strlen(DFW_HIVE_NULL), err);
	for (p = value; *p; p++)
		n += spark_needs_escape((unsigned char) *p) ? 3 : 1;
	out = lake_alloc(a, n + 1, err);
	if (out == NULL)
		return NULL;
	for (p = value, q = out; *p; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (spark_needs_escape(c))
		{
			snprintf(q, 4, "%%%02X", c);
			q += 3;
		}
		else
			*q++ = (char) c;
	}
	*q = '\0';
	return out;
}

/* URI path encoding for the log's add.path ('%' of the directory names too) */
static bool
uri_needs_escape(unsigned char c)
{
	if (c <= 0x20 || c >= 0x7f)
		return true;
	return strchr("%\"#<>?[\\]^`{|}", c) != NULL;
}

static char *
uri_encode(const LakeAllocator *a, const char *s, LakeError *err)
{
	size_t		n = 0;
	const char *p;
	char	   *out,
			   *q;

	for (p = s; *p; p++)
		n += uri_needs_escape((unsigned char) *p) ? 3 : 1;
	out = lake_alloc(a, n + 1, err);
	if (out == NULL)
		return NULL;
	for (p = s, q = out; *p; p++)
	{
		if (uri_needs_escape((unsigned char) *p))
		{
			snprintf(q, 4, "%%%02X", (unsigned char) *p);
			q += 3;
		}
		else
			*q++ = *p;
	}
	*q = '\0';
	return out;
}

/* ------------------------------------------------------------------ schema */

static int
decimal_flba_length(int precision)
{
	int			n;

	for (n = 1; n < 32; n++)
		if ((int) floor((8.0 * n - 1) * 0.30102999566398120) >= precision)
			return n;
	return 32;
}

static LakeStatus
column_element(const DeltaColumn *c, ParquetSchemaElement *e, LakeError *err)
{
	ParquetPhysicalType t;
	ParquetLogicalType lt;

	memset(&lt, 0, sizeof(lt));
	lt.kind = PQ_LT_NONE;
	switch (c->kind)
	{
		case DELTA_TYPE_LONG:
			t = PQ_INT64;
			break;
		case DELTA_TYPE_INTEGER:
			t = PQ_INT32;
			break;
		case DELTA_TYPE_SHORT:
		case DELTA_TYPE_BYTE:
			t = PQ_INT32;
			lt.kind = PQ_LT_INTEGER;
			lt.bit_width = c->kind == DELTA_TYPE_SHORT ? 16 : 8;
			lt.is_signed = true;
			break;
		case DELTA_TYPE_FLOAT:
			t = PQ_FLOAT;
			break;
		case DELTA_TYPE_DOUBLE:
			t = PQ_DOUBLE;
			break;
		case DELTA_TYPE_BOOLEAN:
			t = PQ_BOOLEAN;
			break;
		case DELTA_TYPE_STRING:
			t = PQ_BYTE_ARRAY;
			lt.kind = PQ_LT_STRING;
			break;
		case DELTA_TYPE_BINARY:
			t = PQ_BYTE_ARRAY;
			break;
		case DELTA_TYPE_DATE:
			t = PQ_INT32;
			lt.kind = PQ_LT_DATE;
			break;
		case DELTA_TYPE_TIMESTAMP:
		case DELTA_TYPE_TIMESTAMP_NTZ:
			t = PQ_INT64;
			lt.kind = PQ_LT_TIMESTAMP;
			lt.unit = PQ_UNIT_MICROS;
			lt.is_adjusted_to_utc = c->kind == DELTA_TYPE_TIMESTAMP;
			break;
		case DELTA_TYPE_DECIMAL:
			if (c->precision < 1 || c->precision > 38 || c->scale < 0 || c->scale > c->precision)
				return lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\": decimal(%d,%d) is not valid",
									  c->name, (int) c->precision, (int) c->scale);
			t = c->precision <= 9 ? PQ_INT32 : c->precision <= 18 ? PQ_INT64 : PQ_FIXED_LEN_BYTE_ARRAY;
			lt.kind = PQ_LT_DECIMAL;
			lt.precision = c->precision;
			lt.scale = c->scale;
			break;
		default:
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
								  "column \"%s\": writing columns of type %s is not supported",
								  c->name, delta_type_name(c->kind));
	}
	*e = parquet_writer_element_leaf(c->physical_name ? c->physical_name : c->name, PQ_OPTIONAL, t);
	e->logical = lt;
	if (t == PQ_FIXED_LEN_BYTE_ARRAY)
		e->type_length = decimal_flba_length(c->precision);
	if (c->field_id >= 0)
	{
		e->has_field_id = true;
		e->field_id = c->field_id;
	}
	return LAKE_OK;
}

void
delta_file_writer_options_init(DeltaFileWriterOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	parquet_writer_options_init(&opts->parquet);
}

static const char *
codec_extension(ParquetCodec c)
{
	switch (c)
	{
		case PQ_CODEC_SNAPPY:
			return ".snappy";
		case PQ_CODEC_GZIP:
			return ".gz";
		case PQ_CODEC_ZSTD:
			return ".zstd";
		case PQ_CODEC_LZ4_RAW:
			return ".lz4raw";
		default:
			return "";
	}
}

LakeStatus
delta_file_writer_open(const LakeAllocator *a, const char *table_dir, const DeltaMetadata *md,
					   const DeltaFileWriterOptions *opts, DeltaFileWriter **out, LakeError *err)
{
	DeltaFileWriter *w;
	int			i,
				leaf;

	*out = NULL;
	if (md == NULL || table_dir == NULL || md->num_columns <= 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "delta_file_writer_open: no table metadata or columns");
	w = lake_alloc0(a, sizeof(*w), err);
	if (w == NULL)
		return LAKE_ERROR_NOMEM;
	w->alloc = a;
	w->md = md;
	if (opts)
		w->opts = *opts;
	else
		delta_file_writer_options_init(&w->opts);
	if (w->opts.target_file_bytes == 0)
		w->opts.target_file_bytes = DFW_DEFAULT_TARGET_BYTES;
	if (w->opts.max_open_partitions <= 0)
		w->opts.max_open_partitions = DFW_DEFAULT_MAX_OPEN;
	/* a row group never outgrows the file it belongs to */
	if (w->opts.parquet.row_group_bytes == 0 || w->opts.parquet.row_group_bytes > w->opts.target_file_bytes)
		w->opts.parquet.row_group_bytes = w->opts.target_file_bytes;
	w->codec_ext = codec_extension(w->opts.parquet.codec);
	w->table_dir = lake_strndup(a, table_dir, strlen(table_dir), err);
	w->schema = lake_alloc_array(a, md->num_columns + 1, sizeof(ParquetSchemaElement), err);
	w->col_leaf = lake_alloc_array(a, md->num_columns, sizeof(int), err);
	w->leaf_col = lake_alloc_array(a, md->num_columns, sizeof(int), err);
	w->seen = lake_alloc0(a, md->num_columns + 1, err);
	w->leaf_values = lake_alloc_array(a, md->num_columns, sizeof(ParquetValue *), err);
	w->leaf_nulls = lake_alloc_array(a, md->num_columns, sizeof(bool *), err);
	w->max_slots = w->opts.max_open_partitions;
	w->slots = lake_alloc_array(a, w->max_slots, sizeof(DfwSlot), err);
	if (!w->table_dir || !w->schema || !w->col_leaf || !w->leaf_col || !w->seen || !w->slots ||
		!w->leaf_values || !w->leaf_nulls)
	{
		delta_file_writer_abort(w);
		return LAKE_ERROR_NOMEM;
	}
	leaf = 0;
	for (i = 0; i < md->num_columns; i++)
	{
		const DeltaColumn *c = &md->columns[i];
		LakeStatus	st;

		if (c->partition_index >= 0)
		{
			w->col_leaf[i] = -1;
			continue;
		}
		if ((st = column_element(c, &w->schema[leaf + 1], err)) != LAKE_OK)
		{
			delta_file_writer_abort(w);
			return st;
		}
		w->col_leaf[i] = leaf;
		w->leaf_col[leaf] = i;
		leaf++;
	}
	if (leaf == 0)
	{
		delta_file_writer_abort(w);
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
							  "a table whose every column is a partition column cannot be written");
	}
	w->num_leaves = leaf;
	w->schema[0] = parquet_writer_element_group("spark_schema", PQ_REQUIRED, leaf);
	w->schema[0].has_repetition = false;
	w->num_schema = leaf + 1;
	*out = w;
	return LAKE_OK;
}

/* ------------------------------------------------------------------ slots */

static uint64_t
hash_values(const char *const *values, int n)
{
	uint64_t	h = 1469598103934665603ULL;
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *p = values ? values[i] : NULL;

		if (p == NULL || *p == '\0')
			h = (h ^ 0xff) * 1099511628211ULL;
		else
			for (; *p; p++)
				h = (h ^ (unsigned char) *p) * 1099511628211ULL;
		h = (h ^ 0xfe) * 1099511628211ULL;
	}
	return h;
}

static bool
values_equal(char *const *a, const char *const *b, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		const char *x = a[i],
				   *y = b ? b[i] : NULL;
		bool		xn = x == NULL || *x == '\0',
					yn = y == NULL || *y == '\0';

		if (xn != yn || (!xn && strcmp(x, y) != 0))
			return false;
	}
	return true;
}

static const char *
partition_key(const DeltaMetadata *md, int i)
{
	const DeltaColumn *c = &md->columns[md->partition_column_index[i]];

	return c->physical_name ? c->physical_name : c->name;
}

static LakeStatus
slot_create(DeltaFileWriter *w, const char *const *values, uint64_t hash, DfwSlot **out, LakeError *err)
{
	const DeltaMetadata *md = w->md;
	int			np = md->num_partition_columns;
	DfwSlot    *s;
	LakeBuffer	dir;
	DeltaJson	j;
	int			i;

	if (w->num_slots >= w->max_slots)
		return lake_error_set(err, LAKE_ERROR_LIMIT,
							  "more than %d partitions written at once (max_open_partitions)", w->max_slots);
	s = &w->slots[w->num_slots];
	memset(s, 0, sizeof(*s));
	s->hash = hash;
	s->values = lake_alloc0(w->alloc, sizeof(char *) * (np + 1), err);
	if (s->values == NULL)
		return LAKE_ERROR_NOMEM;
	lake_buffer_init(&dir, w->alloc);
	dj_init(&j, w->alloc, err);
	dj_raw(&j, "{");
	for (i = 0; i < np; i++)
	{
		const char *v = values ? values[i] : NULL;
		const char *key = partition_key(md, i);
		char	   *ek,
				   *ev;
		LakeStatus	st;

		if (v != NULL && *v != '\0')
		{
			if (!delta_utf8_valid(v, strlen(v)))
			{
				lake_buffer_free(&dir);
				dj_free(&j);
				return lake_error_set(err, LAKE_ERROR_INVALID,
									  "partition value of column \"%s\" is not valid UTF-8", key);
			}
			s->values[i] = lake_strndup(w->alloc, v, strlen(v), err);
			if (s->values[i] == NULL)
			{
				lake_buffer_free(&dir);
				dj_free(&j);
				return LAKE_ERROR_NOMEM;
			}
		}
		dj_key(&j, key);
		if (s->values[i])
			dj_str(&j, s->values[i]);
		else
			dj_raw(&j, "null");
		ek = delta_escape_partition_value(w->alloc, key, err);
		ev = delta_escape_partition_value(w->alloc, s->values[i], err);
		st = (ek && ev) ? LAKE_OK : LAKE_ERROR_NOMEM;
		if (st == LAKE_OK)
			st = lake_buffer_append(&dir, ek, strlen(ek), err);
		if (st == LAKE_OK)
			st = lake_buffer_append(&dir, "=", 1, err);
		if (st == LAKE_OK)
			st = lake_buffer_append(&dir, ev, strlen(ev), err);
		if (st == LAKE_OK)
			st = lake_buffer_append(&dir, "/", 1, err);
		lake_free(w->alloc, ek);
		lake_free(w->alloc, ev);
		if (st != LAKE_OK)
		{
			lake_buffer_free(&dir);
			dj_free(&j);
			return st;
		}
	}
	dj_raw(&j, "}");
	s->pv_json = dj_finish(&j, NULL);
	if (s->pv_json == NULL)
	{
		lake_buffer_free(&dir);
		return j.st;
	}
	s->dir_rel = lake_strndup(w->alloc, dir.len ? (const char *) dir.data : "", dir.len, err);
	lake_buffer_free(&dir);
	if (s->dir_rel == NULL)
		return LAKE_ERROR_NOMEM;
	w->num_slots++;
	*out = s;
	return LAKE_OK;
}

/* mkdir -p of table_dir/rel (rel ends with '/') */
static LakeStatus
make_dirs(const char *table_dir, const char *rel, LakeError *err)
{
	char		path[4096];
	size_t		base = strlen(table_dir);
	const char *p;

	if (base + strlen(rel) + 2 >= sizeof(path))
		return lake_error_set(err, LAKE_ERROR_LIMIT, "partition directory path too long under \"%s\"", table_dir);
	if (mkdir(table_dir, 0755) != 0 && errno != EEXIST)
		return lake_error_set_errno(err, errno, "could not create table directory \"%s\"", table_dir);
	memcpy(path, table_dir, base);
	path[base] = '/';
	for (p = rel; *p; p++)
	{
		path[base + 1 + (p - rel)] = *p;
		if (*p == '/')
		{
			path[base + 1 + (p - rel)] = '\0';
			if (mkdir(path, 0755) != 0 && errno != EEXIST)
				return lake_error_set_errno(err, errno, "could not create directory \"%s\"", path);
			path[base + 1 + (p - rel)] = '/';
		}
	}
	return LAKE_OK;
}

static LakeStatus
slot_open_file(DeltaFileWriter *w, DfwSlot *s, LakeError *err)
{
	char		uuid[37];
	char		name[128];
	char	   *full;
	size_t		flen;
	LakeStatus	st;

	if ((st = delta_uuid4(uuid, err)) != LAKE_OK)
		return st;
	if ((st = make_dirs(w->table_dir, s->dir_rel, err)) != LAKE_OK)
		return st;
	snprintf(name, sizeof(name), "part-%05d-%s-c000%s.parquet", w->file_seq++ % 100000, uuid, w->codec_ext);
	flen = strlen(s->dir_rel) + strlen(name) + 1;
	s->file_rel = lake_alloc(w->alloc, flen, err);
	if (s->file_rel == NULL)
		return LAKE_ERROR_NOMEM;
	snprintf(s->file_rel, flen, "%s%s", s->dir_rel, name);
	flen = strlen(w->table_dir) + 1 + strlen(s->file_rel) + 1;
	full = lake_alloc(w->alloc, flen, err);
	if (full == NULL)
		return LAKE_ERROR_NOMEM;
	snprintf(full, flen, "%s/%s", w->table_dir, s->file_rel);
	st = lake_output_open_file(w->alloc, full, &s->out, err);
	lake_free(w->alloc, full);
	if (st != LAKE_OK)
		return st;
	st = parquet_writer_open(w->alloc, &s->out, w->schema, w->num_schema, &w->opts.parquet, &s->pw, err);
	if (st != LAKE_OK)
	{
		lake_output_abort(&s->out);
		return st;
	}
	s->open = true;
	return LAKE_OK;
}

/* ------------------------------------------------------------------ stats */

static void
civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	int64_t		era;
	unsigned	doe,
				yoe,
				doy,
				mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (unsigned) (z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t) yoe + era * 400 + (*m <= 2);
}

static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* false when the date is outside 0001..9999 (then no statistic) */
static bool
format_date(int64_t days, char *buf, size_t n)
{
	int64_t		y;
	unsigned	m,
				d;

	civil_from_days(days, &y, &m, &d);
	if (y < 1 || y > 9999)
		return false;
	snprintf(buf, n, "%04d-%02u-%02u", (int) y, m, d);
	return true;
}

static bool
format_timestamp(int64_t micros, bool round_up, bool utc, char *buf, size_t n)
{
	int64_t		ms = floor_div(micros, 1000);
	int64_t		days,
				rem;
	char		date[16];

	if (round_up && ms * 1000 != micros)
	{
		if (ms == INT64_MAX)
			return false;
		ms++;
	}
	days = floor_div(ms, 86400000);
	rem = ms - days * 86400000;
	if (!format_date(days, date, sizeof(date)))
		return false;
	snprintf(buf, n, "%sT%02d:%02d:%02d.%03d%s", date, (int) (rem / 3600000), (int) (rem / 60000 % 60),
			 (int) (rem / 1000 % 60), (int) (rem % 1000), utc ? "Z" : "");
	return true;
}

static void
format_decimal(__int128 v, int scale, char *buf, size_t n)
{
	char		digits[64];
	int			nd = 0,
				pos = 0;
	bool		neg = v < 0;
	unsigned __int128 u = neg ? (unsigned __int128) (-(v + 1)) + 1 : (unsigned __int128) v;

	do
	{
		digits[nd++] = (char) ('0' + (int) (u % 10));
		u /= 10;
	} while (u != 0);
	while (nd <= scale)
		digits[nd++] = '0';
	if (neg)
		buf[pos++] = '-';
	while (nd > 0 && pos < (int) n - 2)
	{
		if (nd == scale)
			buf[pos++] = '.';
		buf[pos++] = digits[--nd];
	}
	buf[pos] = '\0';
}

static __int128
decimal_value(const ParquetSchemaElement *e, const ParquetValue *v)
{
	__int128	r = 0;
	uint32_t	i;

	if (e->type == PQ_INT32)
		return v->i32;
	if (e->type == PQ_INT64)
		return v->i64;
	for (i = 0; i < v->bytes.len && i < 16; i++)
		r = (__int128) (((unsigned __int128) r << 8) | v->bytes.ptr[i]);
	/* sign-extend from len bytes */
	if (v->bytes.len > 0 && v->bytes.len < 16 && (v->bytes.ptr[0] & 0x80))
		r -= (__int128) ((unsigned __int128) 1 << (8 * v->bytes.len));
	return r;
}

/* Byte length of the first max_chars UTF-8 characters of s */
static size_t
utf8_prefix(const uint8_t *s, size_t len, int max_chars, int *chars)
{
	size_t		i = 0;
	int			c = 0;

	while (i < len && c < max_chars)
	{
		uint8_t		b = s[i];
		size_t		w = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : 4;

		i += w;
		c++;
	}
	if (i > len)
		i = len;
	*chars = c;
	return i;
}

/*
 * One column's min or max into the stats JSON; false when there is none to
 * write (no order in Delta stats, out of range, not representable).
 */
static bool
stat_value(DeltaJson *j, const DeltaColumn *c, const ParquetSchemaElement *e, const ParquetValue *v,
		   bool is_max)
{
	char		buf[96];

	switch (c->kind)
	{
		case DELTA_TYPE_LONG:
			snprintf(buf, sizeof(buf), "%lld", (long long) v->i64);
			dj_raw(j, buf);
			return true;
		case DELTA_TYPE_INTEGER:
		case DELTA_TYPE_SHORT:
		case DELTA_TYPE_BYTE:
			snprintf(buf, sizeof(buf), "%d", (int) v->i32);
			dj_raw(j, buf);
			return true;
		case DELTA_TYPE_FLOAT:
			if (!isfinite(v->f32))
				return false;
			snprintf(buf, sizeof(buf), "%.9g", (double) v->f32);
			dj_raw(j, buf);
			return true;
		case DELTA_TYPE_DOUBLE:
			if (!isfinite(v->f64))
				return false;
			snprintf(buf, sizeof(buf), "%.17g", v->f64);
			dj_raw(j, buf);
			return true;
		case DELTA_TYPE_DECIMAL:
			format_decimal(decimal_value(e, v), c->scale, buf, sizeof(buf));
			dj_raw(j, buf);
			return true;
		case DELTA_TYPE_DATE:
			if (!format_date(v->i32, buf, sizeof(buf)))
				return false;
			dj_str(j, buf);
			return true;
		case DELTA_TYPE_TIMESTAMP:
		case DELTA_TYPE_TIMESTAMP_NTZ:
			if (!format_timestamp(v->i64, is_max, c->kind == DELTA_TYPE_TIMESTAMP, buf, sizeof(buf)))
				return false;
			dj_str(j, buf);
			return true;
		case DELTA_TYPE_STRING:
			{
				const uint8_t *s = v->bytes.ptr;
				size_t		len = v->bytes.len;
				int			chars;
				size_t		pre;

				if (!delta_utf8_valid((const char *) s, len))
					return false;
				pre = utf8_prefix(s, len, DFW_STRING_STATS_CHARS, &chars);
				if (pre == len)
				{
					dj_strn(j, (const char *) s, len);
					return true;
				}
				if (!is_max)
				{
					dj_strn(j, (const char *) s, pre);
					return true;
				}
				/* max: prefix + U+FFFF, only when that still sorts at or after the value */
				{
					static const uint8_t tie[3] = {0xEF, 0xBF, 0xBF};
					size_t		k;
					int			cmp = 0;

					for (k = 0; k < 3 && pre + k < len; k++)
						if (tie[k] != s[pre + k])
						{
							cmp = tie[k] < s[pre + k] ? -1 : 1;
							break;
						}
					if (cmp == 0 && pre + 3 < len)
						cmp = -1;
					if (cmp < 0)
						return false;
					dj_strn(j, (const char *) s, pre);
					if (j->st == LAKE_OK && j->buf.len > 0)
					{
						j->buf.len--;	/* reopen the string */
						dj_rawn(j, "\xEF\xBF\xBF\"", 4);
					}
					return true;
				}
			}
		default:
			return false;
	}
}

static LakeStatus
build_stats(DeltaFileWriter *w, DfwSlot *s, int64_t num_records, char **out, LakeError *err)
{
	DeltaJson	j;
	int			pass,
				l;

	dj_init(&j, w->alloc, err);
	dj_raw(&j, "{\"numRecords\":");
	dj_int(&j, num_records);
	for (pass = 0; pass < 3; pass++)
	{
		dj_raw(&j, pass == 0 ? ",\"minValues\":{" : pass == 1 ? ",\"maxValues\":{" : ",\"nullCount\":{");
		for (l = 0; l < w->num_leaves; l++)
		{
			const DeltaColumn *c = &w->md->columns[w->leaf_col[l]];
			const ParquetSchemaElement *e = &w->schema[l + 1];
			bool		has;
			ParquetValue mn,
						mx;
			int64_t		nulls;
			size_t		mark;

			parquet_writer_leaf_stats(s->pw, l, &has, &mn, &mx, &nulls);
			if (pass == 2)
			{
				dj_key(&j, e->name);
				dj_int(&j, nulls);
				continue;
			}
			if (!has)
				continue;
			mark = j.buf.len;
			dj_key(&j, e->name);
			if (!stat_value(&j, c, e, pass == 0 ? &mn : &mx, pass == 1) && j.st == LAKE_OK)
				j.buf.len = mark;	/* no statistic for this column */
		}
		dj_raw(&j, "}");
	}
	dj_raw(&j, "}");
	*out = dj_finish(&j, NULL);
	return *out ? LAKE_OK : j.st;
}

/* Finish the slot's open file: footer, fsync + rename, its DeltaNewFile. */
static LakeStatus
slot_close_file(DeltaFileWriter *w, DfwSlot *s, LakeError *err)
{
	DeltaNewFile *f;
	LakeStatus	st;
	char	   *full;
	size_t		flen;
	struct stat sb;
	int			np = w->md->num_partition_columns;
	int			i;

	if (!s->open)
		return LAKE_OK;
	if (w->num_files == w->cap_files)
	{
		int			nc = w->cap_files ? w->cap_files * 2 : 8;
		DeltaNewFile *nf = lake_alloc_array(w->alloc, nc, sizeof(DeltaNewFile), err);
		char	  **nw = lake_alloc_array(w->alloc, nc, sizeof(char *), err);

		if (nf == NULL || nw == NULL)
		{
			lake_free(w->alloc, nf);
			lake_free(w->alloc, nw);
			return LAKE_ERROR_NOMEM;
		}
		if (w->num_files)
		{
			memcpy(nf, w->files, sizeof(DeltaNewFile) * w->num_files);
			memcpy(nw, w->written, sizeof(char *) * w->num_files);
		}
		lake_free(w->alloc, w->files);
		lake_free(w->alloc, w->written);
		w->files = nf;
		w->written = nw;
		w->cap_files = nc;
	}
	if ((st = parquet_writer_finish(s->pw, err)) != LAKE_OK)
		return st;
	f = &w->files[w->num_files];
	memset(f, 0, sizeof(*f));
	f->num_records = parquet_writer_num_rows(s->pw);
	f->size = (int64_t) s->out.offset;
	if ((st = build_stats(w, s, f->num_records, &f->stats_json, err)) != LAKE_OK)
		return st;
	flen = strlen(w->table_dir) + 1 + strlen(s->file_rel) + 1;
	full = lake_alloc(w->alloc, flen, err);
	if (full == NULL)
		return LAKE_ERROR_NOMEM;
	snprintf(full, flen, "%s/%s", w->table_dir, s->file_rel);
	parquet_writer_destroy(s->pw);
	s->pw = NULL;
	s->open = false;
	st = lake_output_commit(&s->out, err);
	if (st != LAKE_OK)
	{
		lake_output_abort(&s->out);
		unlink(full);
		lake_free(w->alloc, full);
		return st;
	}
	w->written[w->num_files] = full;
	f->modification_time = stat(full, &sb) == 0
		? (int64_t) sb.st_mtim.tv_sec * 1000 + sb.st_mtim.tv_nsec / 1000000 : delta_now_ms();
	f->path = uri_encode(w->alloc, s->file_rel, err);
	f->partition_values_json = lake_strndup(w->alloc, s->pv_json, strlen(s->pv_json), err);
	f->partition_values = lake_alloc0(w->alloc, sizeof(char *) * (np + 1), err);
	w->num_files++;
	if (f->path == NULL || f->partition_values_json == NULL || f->partition_values == NULL)
		return LAKE_ERROR_NOMEM;
	for (i = 0; i < np; i++)
		if (s->values[i])
		{
			f->partition_values[i] = lake_strndup(w->alloc, s->values[i], strlen(s->values[i]), err);
			if (f->partition_values[i] == NULL)
				return LAKE_ERROR_NOMEM;
		}
	lake_free(w->alloc, s->file_rel);
	s->file_rel = NULL;
	return LAKE_OK;
}

/* ------------------------------------------------------------------- rows */

static LakeStatus
fail(DeltaFileWriter *w, LakeStatus st)
{
	w->failed = true;
	return st;
}

/* The slot of a partition value tuple, its file open. */
static LakeStatus
slot_for(DeltaFileWriter *w, const char *const *partition_values, DfwSlot **out, LakeError *err)
{
	int			np = w->md->num_partition_columns;
	uint64_t	h = hash_values(partition_values, np);
	DfwSlot    *s = NULL;
	int			i;
	LakeStatus	st;

	for (i = 0; i < w->num_slots; i++)
		if (w->slots[i].hash == h && values_equal(w->slots[i].values, partition_values, np))
		{
			s = &w->slots[i];
			break;
		}
	if (s == NULL && (st = slot_create(w, partition_values, h, &s, err)) != LAKE_OK)
		return st;
	if (!s->open && (st = slot_open_file(w, s, err)) != LAKE_OK)
		return st;
	*out = s;
	return LAKE_OK;
}

LakeStatus
delta_file_writer_begin_row(DeltaFileWriter *w, const char *const *partition_values, LakeError *err)
{
	int			np = w->md->num_partition_columns;
	DfwSlot    *s = NULL;
	LakeStatus	st;

	if (w->failed)
		return lake_error_set(err, LAKE_ERROR_INVALID, "the Delta file writer failed before: abort it");
	if (w->cur != NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "delta_file_writer_begin_row inside a row");
	if (np > 0 && partition_values == NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "a row of a partitioned table needs partition values");
	if ((st = slot_for(w, partition_values, &s, err)) != LAKE_OK)
		return fail(w, st);
	memset(w->seen, 0, w->num_leaves);
	w->cur = s;
	return LAKE_OK;
}

LakeStatus
delta_file_writer_value(DeltaFileWriter *w, int column, const ParquetValue *value, LakeError *err)
{
	int			leaf;
	LakeStatus	st;
	const DeltaColumn *c;

	if (w->cur == NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "delta_file_writer_value outside a row");
	if (column < 0 || column >= w->md->num_columns)
		return lake_error_set(err, LAKE_ERROR_INVALID, "column %d out of range", column);
	c = &w->md->columns[column];
	leaf = w->col_leaf[column];
	if (leaf < 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\" is a partition column: pass it to begin_row",
							  c->name);
	if (w->seen[leaf])
		return lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\" given twice in one row", c->name);
	if (value == NULL && !c->nullable)
		return lake_error_set(err, LAKE_ERROR_INVALID, "null value in column \"%s\", which is not nullable", c->name);
	if (value != NULL && c->kind == DELTA_TYPE_STRING && !delta_utf8_valid((const char *) value->bytes.ptr, value->bytes.len))
		return lake_error_set(err, LAKE_ERROR_INVALID, "value of column \"%s\" is not valid UTF-8", c->name);
	st = parquet_writer_write_value(w->cur->pw, leaf, value, err);
	if (st != LAKE_OK)
	{
		lake_error_prefix(err, "column \"%s\": ", c->name);
		return fail(w, st);
	}
	w->seen[leaf] = 1;
	return LAKE_OK;
}

LakeStatus
delta_file_writer_end_row(DeltaFileWriter *w, LakeError *err)
{
	DfwSlot    *s = w->cur;
	LakeStatus	st;
	int			l;

	if (s == NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "delta_file_writer_end_row outside a row");
	for (l = 0; l < w->num_leaves; l++)
		if (!w->seen[l])
		{
			const DeltaColumn *c = &w->md->columns[w->leaf_col[l]];

			if (!c->nullable)
				return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
											  "no value for column \"%s\", which is not nullable", c->name));
			if ((st = parquet_writer_write_value(s->pw, l, NULL, err)) != LAKE_OK)
				return fail(w, st);
		}
	if ((st = parquet_writer_end_row(s->pw, err)) != LAKE_OK)
		return fail(w, st);
	w->cur = NULL;
	if (s->out.offset >= w->opts.target_file_bytes && (st = slot_close_file(w, s, err)) != LAKE_OK)
		return fail(w, st);
	return LAKE_OK;
}

LakeStatus
delta_file_writer_write_rows(DeltaFileWriter *w, const char *const *partition_values,
							 const ParquetValue *const *values, const bool *const *nulls,
							 size_t num_rows, LakeError *err)
{
	int			np = w->md->num_partition_columns;
	DfwSlot    *s = NULL;
	LakeStatus	st;
	int			l;

	if (w->failed)
		return lake_error_set(err, LAKE_ERROR_INVALID, "the Delta file writer failed before: abort it");
	if (w->cur != NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "delta_file_writer_write_rows inside a row");
	if (np > 0 && partition_values == NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "a row of a partitioned table needs partition values");
	if (num_rows == 0)
		return LAKE_OK;
	for (l = 0; l < w->num_leaves; l++)
	{
		int			c = w->leaf_col[l];
		const DeltaColumn *col = &w->md->columns[c];
		const ParquetValue *v = values[c];
		const bool *nl = nulls != NULL ? nulls[c] : NULL;
		size_t		r;

		if (v == NULL)
			return lake_error_set(err, LAKE_ERROR_INVALID, "delta_file_writer_write_rows: no values for column \"%s\"",
								  col->name);
		if (!col->nullable && nl != NULL)
			for (r = 0; r < num_rows; r++)
				if (nl[r])
					return lake_error_set(err, LAKE_ERROR_INVALID,
										  "column \"%s\": null value in column \"%s\", which is not nullable",
										  col->name, col->name);
		if (col->kind == DELTA_TYPE_STRING)
			for (r = 0; r < num_rows; r++)
				if ((nl == NULL || !nl[r]) &&
					!delta_utf8_valid((const char *) v[r].bytes.ptr, v[r].bytes.len))
					return lake_error_set(err, LAKE_ERROR_INVALID,
										  "column \"%s\": value of column \"%s\" is not valid UTF-8",
										  col->name, col->name);
		w->leaf_values[l] = v;
		w->leaf_nulls[l] = nl;
	}
	if ((st = slot_for(w, partition_values, &s, err)) != LAKE_OK)
		return fail(w, st);
	if ((st = parquet_writer_write_rows(s->pw, w->leaf_values, w->leaf_nulls, num_rows, err)) != LAKE_OK)
		return fail(w, st);
	if (s->out.offset >= w->opts.target_file_bytes && (st = slot_close_file(w, s, err)) != LAKE_OK)
		return fail(w, st);
	return LAKE_OK;
}

LakeStatus
delta_file_writer_finish(DeltaFileWriter *w, DeltaNewFile **files, int *num_files, LakeError *err)
{
	int			i;
	LakeStatus	st;

	*files = NULL;
	*num_files = 0;
	if (w->failed)
		return lake_error_set(err, LAKE_ERROR_INVALID, "the Delta file writer failed before: abort it");
	if (w->cur != NULL)
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "delta_file_writer_finish inside a row"));
	for (i = 0; i < w->num_slots; i++)
		if ((st = slot_close_file(w, &w->slots[i], err)) != LAKE_OK)
			return fail(w, st);
	*files = w->files;
	*num_files = w->num_files;
	return LAKE_OK;
}

/*
 * Remove every file written (committed or not) and free the writer.  After
 * a successful finish + commit, call delta_file_writer_free instead.
 */
static void
writer_release(DeltaFileWriter *w, bool unlink_files)
{
	int			i;

	for (i = 0; i < w->num_slots; i++)
	{
		DfwSlot    *s = &w->slots[i];

		if (s->pw)
			parquet_writer_destroy(s->pw);
		if (s->open)
			lake_output_abort(&s->out);
		if (s->values)
		{
			int			k;

			for (k = 0; k < w->md->num_partition_columns; k++)
				lake_free(w->alloc, s->values[k]);
			lake_free(w->alloc, s->values);
		}
		lake_free(w->alloc, s->dir_rel);
		lake_free(w->alloc, s->pv_json);
		lake_free(w->alloc, s->file_rel);
	}
	for (i = 0; i < w->num_files; i++)
	{
		DeltaNewFile *f = &w->files[i];

		if (unlink_files && w->written[i])
			unlink(w->written[i]);
		lake_free(w->alloc, w->written[i]);
		lake_free(w->alloc, f->path);
		lake_free(w->alloc, f->stats_json);
		lake_free(w->alloc, f->partition_values_json);
		if (f->partition_values)
		{
			int			k;

			for (k = 0; k < w->md->num_partition_columns; k++)
				lake_free(w->alloc, f->partition_values[k]);
			lake_free(w->alloc, f->partition_values);
		}
	}
	lake_free(w->alloc, w->files);
	lake_free(w->alloc, w->written);
	lake_free(w->alloc, w->slots);
	lake_free(w->alloc, w->schema);
	lake_free(w->alloc, w->col_leaf);
	lake_free(w->alloc, w->leaf_col);
	lake_free(w->alloc, w->seen);
	lake_free(w->alloc, w->leaf_values);
	lake_free(w->alloc, w->leaf_nulls);
	lake_free(w->alloc, w->table_dir);
	lake_free(w->alloc, w);
}

void
delta_file_writer_abort(DeltaFileWriter *w)
{
	if (w != NULL)
		writer_release(w, true);
}

void
delta_file_writer_free(DeltaFileWriter *w)
{
	if (w != NULL)
		writer_release(w, false);
}
