/*
 * test_parquet_reader.c
 *	  Unit tests of the Parquet reader (lake/parquet_reader.c,
 *	  parquet_column_reader.c, parquet_nested.c) on the DuckDB-written
 *	  fixtures of test/unit/fixtures (see generate.mjs: the values follow
 *	  formulas of the row number recomputed here), on Spark-written files of
 *	  the delta-golden tables, and a corruption loop (truncations and seeded
 *	  byte flips must give OK or an error, never a crash).
 */
#include "lake/parquet_reader.h"

#include <dirent.h>
#include <libgen.h>
#include <math.h>
#include <sys/stat.h>

#include "unit.h"
#include "lake/compression.h"
#include "lake/rle.h"

static void read_everything(const uint8_t *data, size_t len);

static const LakeAllocator *A = &lake_malloc_allocator;
static char fixture_dir[1024];

/* ------------------------------------------------------------- helpers */

typedef struct Opened
{
	LakeInput	in;
	ParquetReader *r;
} Opened;

static bool
open_path(const char *path, Opened *o, LakeError *err)
{
	o->r = NULL;
	if (lake_input_open_file(path, &o->in, err) != LAKE_OK)
		return false;
	if (parquet_reader_open(A, &o->in, path, NULL, &o->r, err) != LAKE_OK)
	{
		lake_input_close(&o->in);
		return false;
	}
	return true;
}

static bool
open_fixture(const char *name, Opened *o)
{
	char		path[2048];
	LakeError	err;
	bool		ok;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	ok = open_path(path, o, &err);
	CHECK_MSG(ok, "open %s: %s", name, err.message);
	return ok;
}

static void
close_opened(Opened *o)
{
	parquet_reader_close(o->r);
	lake_input_close(&o->in);
}

static int
find_leaf(const ParquetReader *r, const char *path)
{
	const ParquetSchema *s = parquet_reader_schema(r);
	int			i;

	for (i = 0; i < s->num_leaves; i++)
		if (strcmp(s->leaves[i].path, path) == 0)
			return i;
	return -1;
}

/* One flat column read whole: per row, null flag and value. */
typedef struct FlatColumn
{
	int64_t		num_rows;
	bool	   *is_null;
	ParquetValue *values;		/* bytes copied (owned) */
	int			num_batches;
} FlatColumn;

static void
flat_free(FlatColumn *c)
{
	int64_t		i;

	for (i = 0; i < c->num_rows; i++)
		if (!c->is_null[i] && c->values[i].bytes.ptr != NULL && c->values[i].bytes.len > 0)
			free((void *) c->values[i].bytes.ptr);
	free(c->is_null);
	free(c->values);
	memset(c, 0, sizeof(*c));
}

static bool
is_bytes_type(ParquetPhysicalType t)
{
	return t == PQ_BYTE_ARRAY || t == PQ_FIXED_LEN_BYTE_ARRAY || t == PQ_INT96;
}

/* Read leaf of every row group (or one, rg >= 0) with batches of max_levels. */
static LakeStatus
read_flat(ParquetReader *r, int rg, int leaf, size_t max_levels, FlatColumn *c, LakeError *err)
{
	const ParquetFileMetaData *md = parquet_reader_metadata(r);
	const ParquetSchema *s = parquet_reader_schema(r);
	ParquetPhysicalType type = s->leaves[leaf].element->type;
	int16_t		max_def = s->leaves[leaf].max_def;
	int64_t		total = 0;
	int			g;
	int			g0 = rg >= 0 ? rg : 0;
	int			g1 = rg >= 0 ? rg + 1 : md->num_row_groups;

	memset(c, 0, sizeof(*c));
	for (g = g0; g < g1; g++)
		total += md->row_groups[g].num_rows;
	c->is_null = calloc(total + 1, sizeof(bool));
	c->values = calloc(total + 1, sizeof(ParquetValue));
	for (g = g0; g < g1; g++)
	{
		ParquetColumnReader *cr;
		ParquetColumnBatch b;
		LakeStatus	st;

		st = parquet_column_reader_open(r, g, leaf, max_levels, &cr, err);
		if (st != LAKE_OK)
			return st;
		for (;;)
		{
			size_t		i,
						v = 0;

			st = parquet_column_reader_next(cr, &b, err);
			if (st != LAKE_OK)
			{
				parquet_column_reader_close(cr);
				return st;
			}
			if (b.num_levels == 0)
				break;
			c->num_batches++;
			if (b.num_levels > max_levels || c->num_rows + (int64_t) b.num_levels > total)
			{
				parquet_column_reader_close(cr);
				return lake_error_set(err, LAKE_ERROR_INVALID, "batch too large");
			}
			for (i = 0; i < b.num_levels; i++)
			{
				int64_t		row = c->num_rows++;

				if (max_def > 0 && b.def_levels[i] != max_def)
				{
					c->is_null[row] = true;
					continue;
				}
				if (v >= b.num_values)
				{
					parquet_column_reader_close(cr);
					return lake_error_set(err, LAKE_ERROR_INVALID, "more values than num_values");
				}
				switch (type)
				{
					case PQ_BOOLEAN:
						c->values[row].boolean = ((bool *) b.values)[v];
						break;
					case PQ_INT32:
						c->values[row].i32 = ((int32_t *) b.values)[v];
						break;
					case PQ_INT64:
						c->values[row].i64 = ((int64_t *) b.values)[v];
						break;
					case PQ_FLOAT:
						c->values[row].f32 = ((float *) b.values)[v];
						break;
					case PQ_DOUBLE:
						c->values[row].f64 = ((double *) b.values)[v];
						break;
					default:
						{
							ParquetBytes pb = ((ParquetBytes *) b.values)[v];
							uint8_t    *copy = pb.len ? malloc(pb.len) : NULL;

							if (pb.len)
								memcpy(copy, pb.ptr, pb.len);
							c->values[row].bytes.ptr = copy;
							c->values[row].bytes.len = pb.len;
						}
				}
				v++;
			}
			if (v != b.num_values)
			{
				parquet_column_reader_close(cr);
				return lake_error_set(err, LAKE_ERROR_INVALID, "num_values mismatch");
			}
		}
		parquet_column_reader_close(cr);
	}
	(void) is_bytes_type;
	return LAKE_OK;
}

static bool
bytes_eq(ParquetBytes b, const char *s)
{
	return b.len == strlen(s) && (b.len == 0 || memcmp(b.ptr, s, b.len) == 0);
}

static int64_t
be_int(ParquetBytes b)
{
	int64_t		v = (b.len > 0 && (b.ptr[0] & 0x80)) ? -1 : 0;
	uint32_t	i;

	for (i = 0; i < b.len; i++)
		v = (int64_t) (((uint64_t) v << 8) | b.ptr[i]);
	return v;
}

/* ------------------------------------------------------- flat fixtures */

static void
check_flat_file(const char *name, int64_t nrows, size_t max_levels)
{
	Opened		o;
	LakeError	err;
	const char *cols[] = {"id", "b", "i32", "i64", "f", "d", "s", "cat", "bl", "dec", "dt", "ts"};
	int			c;

	if (!open_fixture(name, &o))
		return;
	CHECK(parquet_reader_metadata(o.r)->num_rows == nrows);
	for (c = 0; c < 12; c++)
	{
		FlatColumn col;
		int			leaf = find_leaf(o.r, cols[c]);
		int64_t		i;
		int			bad = 0;
		char		buf[64];

		CHECK_MSG(leaf >= 0, "%s: no column %s", name, cols[c]);
		if (leaf < 0)
			continue;
		if (read_flat(o.r, -1, leaf, max_levels, &col, &err) != LAKE_OK)
		{
			CHECK_MSG(false, "%s.%s: %s", name, cols[c], err.message);
			flat_free(&col);
			continue;
		}
		CHECK_MSG(col.num_rows == nrows, "%s.%s: %lld rows", name, cols[c], (long long) col.num_rows);
		for (i = 0; i < col.num_rows && i < nrows; i++)
		{
			bool		null = col.is_null[i];
			ParquetValue *v = &col.values[i];
			bool		ok = true;

			switch (c)
			{
				case 0:
					ok = !null && v->i64 == i;
					break;
				case 1:
					ok = (i % 5 == 1) ? null : (!null && v->boolean == (i % 3 == 0));
					break;
				case 2:
					ok = (i % 5 == 2) ? null : (!null && v->i32 == i * 7 - 100);
					break;
				case 3:
					ok = (i % 7 == 3) ? null : (!null && v->i64 == i * 1000003 - 5000000000LL);
					break;
				case 4:
					ok = (i % 5 == 4) ? null : (!null && v->f32 == (float) (i * 0.5));
					break;
				case 5:
					ok = (i % 6 == 0) ? null : (!null && v->f64 == i * 0.25);
					break;
				case 6:
					snprintf(buf, sizeof(buf), "s%lld", (long long) i);
					ok = (i % 4 == 3) ? null : (!null && bytes_eq(v->bytes, buf));
					break;
				case 7:
					snprintf(buf, sizeof(buf), "cat%lld", (long long) (i % 4));
					ok = !null && bytes_eq(v->bytes, buf);
					break;
				case 8:
					snprintf(buf, sizeof(buf), "b%lld", (long long) i);
					ok = (i % 9 == 0) ? null : (!null && bytes_eq(v->bytes, buf));
					break;
				case 9:
					ok = !null && be_int(v->bytes) == i * 125;
					break;
				case 10:
					ok = !null && v->i32 == 18262 + i;
					break;
				case 11:
					ok = !null && v->i64 == 1577836800000000LL + i * 1000000LL;
					break;
			}
			if (!ok && bad++ < 3)
				fprintf(stderr, "%s.%s: row %lld wrong\n", name, cols[c], (long long) i);
		}
		CHECK_MSG(bad == 0, "%s.%s: %d wrong rows", name, cols[c], bad);
		flat_free(&col);
	}
	close_opened(&o);
}

static void
test_flat(void)
{
	const char *files[] = {"flat_uncompressed.parquet", "flat_snappy.parquet", "flat_gzip.parquet",
	"flat_zstd.parquet", "flat_lz4_raw.parquet", "flat_v2_uncompressed.parquet"};
	size_t		sizes[] = {1, 7, 64, 300, 4096};
	int			f,
				s;

	for (f = 0; f < 6; f++)
		for (s = 0; s < 5; s++)
			check_flat_file(files[f], 300, sizes[s]);
	check_flat_file("flat_v2.parquet", 1000, 100);
	check_flat_file("flat_v2.parquet", 1000, 1000);
}

/* ------------------------------------------- row groups, pushdown, skip */

static ParquetValue
v_i64(int64_t x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.i64 = x;
	return v;
}

static ParquetValue
v_i32(int32_t x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.i32 = x;
	return v;
}

static ParquetValue
v_str(const char *s)
{
	ParquetValue v;

	v.bytes.ptr = (const uint8_t *) s;
	v.bytes.len = (uint32_t) strlen(s);
	return v;
}

static bool
may(const ParquetReader *r, int rg, int leaf, LakeCompareOp op, const ParquetValue *vals, int n)
{
	ParquetPredicate p;

	p.leaf = leaf;
	p.op = op;
	p.values = vals;
	p.num_values = n;
	return parquet_reader_row_group_may_match(r, rg, &p, 1);
}

static void
test_row_groups(void)
{
	Opened		o;
	LakeError	err;
	const ParquetFileMetaData *md;
	int			id,
				small,
				grp;
	FlatColumn	col;
	ParquetValue v[2];
	int64_t		i;
	int			bad = 0;

	if (!open_fixture("flat_rowgroups.parquet", &o))
		return;
	md = parquet_reader_metadata(o.r);
	CHECK(md->num_row_groups == 3);
	CHECK(md->num_rows == 5000);
	id = find_leaf(o.r, "id");
	small = find_leaf(o.r, "small");
	grp = find_leaf(o.r, "grp");
	CHECK(id >= 0 && small >= 0 && grp >= 0);

	CHECK_OK(read_flat(o.r, -1, id, 1000, &col, &err), &err);
	CHECK(col.num_rows == 5000);
	for (i = 0; i < col.num_rows; i++)
		bad += col.is_null[i] || col.values[i].i64 != i;
	CHECK(bad == 0);
	flat_free(&col);
	CHECK_OK(read_flat(o.r, -1, small, 333, &col, &err), &err);
	for (i = 0, bad = 0; i < col.num_rows; i++)
		bad += i >= 4096 ? !col.is_null[i] : (col.is_null[i] || col.values[i].i32 != i % 100);
	CHECK(bad == 0);
	flat_free(&col);

	/* statistics pushdown */
	v[0] = v_i64(100);
	CHECK(may(o.r, 0, id, LAKE_OP_EQ, v, 1));
	CHECK(!may(o.r, 1, id, LAKE_OP_EQ, v, 1));
	CHECK(!may(o.r, 2, id, LAKE_OP_EQ, v, 1));
	v[0] = v_i64(4095);
	CHECK(!may(o.r, 0, id, LAKE_OP_GT, v, 1));
	CHECK(!may(o.r, 1, id, LAKE_OP_GT, v, 1));
	CHECK(may(o.r, 2, id, LAKE_OP_GT, v, 1));
	CHECK(may(o.r, 1, id, LAKE_OP_GE, v, 1));
	v[0] = v_i64(2048);
	CHECK(!may(o.r, 0, id, LAKE_OP_GE, v, 1));
	CHECK(may(o.r, 0, id, LAKE_OP_LT, v, 1));
	CHECK(!may(o.r, 1, id, LAKE_OP_LT, v, 1));
	CHECK(may(o.r, 1, id, LAKE_OP_LE, v, 1));
	CHECK(!may(o.r, 2, id, LAKE_OP_LE, v, 1));
	v[0] = v_i64(1);
	v[1] = v_i64(4500);
	CHECK(may(o.r, 0, id, LAKE_OP_IN, v, 2));
	CHECK(!may(o.r, 1, id, LAKE_OP_IN, v, 2));
	CHECK(may(o.r, 2, id, LAKE_OP_IN, v, 2));
	CHECK(!may(o.r, 0, small, LAKE_OP_IS_NULL, NULL, 0));
	CHECK(may(o.r, 2, small, LAKE_OP_IS_NULL, NULL, 0));
	CHECK(may(o.r, 0, small, LAKE_OP_IS_NOT_NULL, NULL, 0));
	CHECK(!may(o.r, 2, small, LAKE_OP_IS_NOT_NULL, NULL, 0));
	v[0] = v_i32(5);
	CHECK(may(o.r, 0, small, LAKE_OP_EQ, v, 1));
	CHECK(!may(o.r, 2, small, LAKE_OP_EQ, v, 1));
	v[0] = v_i32(100);
	CHECK(!may(o.r, 0, small, LAKE_OP_GE, v, 1));
	v[0] = v_str("g1");
	CHECK(!may(o.r, 0, grp, LAKE_OP_EQ, v, 1));
	CHECK(may(o.r, 1, grp, LAKE_OP_EQ, v, 1));
	v[0] = v_str("g10");
	CHECK(!may(o.r, 1, grp, LAKE_OP_EQ, v, 1));
	/* predicates are ANDed; a leaf out of range never skips */
	{
		ParquetPredicate p[2];

		v[0] = v_i64(100);
		p[0].leaf = id;
		p[0].op = LAKE_OP_EQ;
		p[0].values = v;
		p[0].num_values = 1;
		p[1].leaf = small;
		p[1].op = LAKE_OP_IS_NULL;
		p[1].values = NULL;
		p[1].num_values = 0;
		CHECK(!parquet_reader_row_group_may_match(o.r, 0, p, 2));
		CHECK(parquet_reader_row_group_may_match(o.r, 0, p, 1));
		p[0].leaf = 99;
		CHECK(parquet_reader_row_group_may_match(o.r, 1, p, 1));
	}

	/* a budget too small for a page is LAKE_ERROR_LIMIT, a batch too large for it too */
	{
		ParquetReaderOptions opts;
		ParquetReader *small_r;
		ParquetColumnReader *cr;
		ParquetColumnBatch b;

		parquet_reader_options_init(&opts);
		opts.memory_budget = 2000;
		CHECK_OK(parquet_reader_open(A, &o.in, "small budget", &opts, &small_r, &err), &err);
		if (small_r != NULL)
		{
			CHECK(parquet_column_reader_open(small_r, 0, id, 1000, &cr, &err) == LAKE_ERROR_LIMIT);
			CHECK_OK(parquet_column_reader_open(small_r, 0, id, 10, &cr, &err), &err);
			CHECK(parquet_column_reader_next(cr, &b, &err) == LAKE_ERROR_LIMIT);
			CHECK(strstr(err.message, "budget") != NULL && strstr(err.message, "column \"id\"") != NULL);
			parquet_column_reader_close(cr);
			parquet_reader_close(small_r);
		}
		CHECK(parquet_column_reader_open(o.r, 0, id, SIZE_MAX, &cr, &err) == LAKE_ERROR_LIMIT);
		CHECK(parquet_column_reader_open(o.r, 3, id, 10, &cr, &err) == LAKE_ERROR_INVALID);
		CHECK(parquet_column_reader_open(o.r, 0, 99, 10, &cr, &err) == LAKE_ERROR_INVALID);
	}

	/* skip */
	{
		ParquetColumnReader *cr;
		ParquetColumnBatch b;

		CHECK_OK(parquet_column_reader_open(o.r, 1, id, 100, &cr, &err), &err);
		CHECK_OK(parquet_column_reader_skip(cr, 1000, &err), &err);
		CHECK_OK(parquet_column_reader_next(cr, &b, &err), &err);
		CHECK(b.num_levels == 100 && ((int64_t *) b.values)[0] == 3048);
		CHECK_OK(parquet_column_reader_skip(cr, 5, &err), &err);
		CHECK_OK(parquet_column_reader_next(cr, &b, &err), &err);
		CHECK(b.num_levels == 100 && ((int64_t *) b.values)[0] == 3153);
		CHECK_OK(parquet_column_reader_skip(cr, 100000, &err), &err);
		CHECK_OK(parquet_column_reader_next(cr, &b, &err), &err);
		CHECK(b.num_levels == 0);
		parquet_column_reader_close(cr);
	}
	close_opened(&o);
}

/* ------------------------------------------------ repeated leaves (levels) */

/* li for row i: NULL if i%4==0, [] if i%4==1, else [i, NULL, i+1] */
static void
test_repeated_levels(void)
{
	Opened		o;
	LakeError	err;
	int			leaf;
	size_t		sizes[] = {1, 2, 4, 5, 1000};
	int			s;

	if (!open_fixture("nested.parquet", &o))
		return;
	leaf = find_leaf(o.r, "li.list.element");
	CHECK(leaf >= 0);
	if (leaf < 0)
	{
		close_opened(&o);
		return;
	}
	CHECK(parquet_reader_schema(o.r)->leaves[leaf].max_def == 3);
	CHECK(parquet_reader_schema(o.r)->leaves[leaf].max_rep == 1);
	for (s = 0; s < 5; s++)
	{
		ParquetColumnReader *cr;
		ParquetColumnBatch b;
		int			row = -1;
		int			pos = 0;
		int			bad = 0;

		CHECK_OK(parquet_column_reader_open(o.r, 0, leaf, sizes[s], &cr, &err), &err);
		for (;;)
		{
			size_t		i,
						v = 0;

			if (parquet_column_reader_next(cr, &b, &err) != LAKE_OK)
			{
				CHECK_MSG(false, "%s", err.message);
				break;
			}
			if (b.num_levels == 0)
				break;
			bad += b.rep_levels[0] != 0;
			/* at most max_levels unless the batch is a single record */
			if (b.num_levels > sizes[s])
			{
				for (i = 1; i < b.num_levels; i++)
					bad += b.rep_levels[i] == 0;
			}
			for (i = 0; i < b.num_levels; i++)
			{
				int			d = b.def_levels[i];

				if (b.rep_levels[i] == 0)
				{
					row++;
					pos = 0;
				}
				else
					pos++;
				if (row % 4 == 0)
					bad += !(d == 0 && b.rep_levels[i] == 0);
				else if (row % 4 == 1)
					bad += d != 1;
				else if (pos == 1)
					bad += d != 2;
				else
				{
					bad += d != 3;
					if (d == 3)
						bad += ((int32_t *) b.values)[v] != row + (pos == 2);
				}
				if (d == 3)
					v++;
			}
			bad += v != b.num_values;
		}
		CHECK_MSG(bad == 0 && row == 49, "max_levels %zu: %d bad, %d rows", sizes[s], bad, row + 1);
		parquet_column_reader_close(cr);

		/* skip records */
		CHECK_OK(parquet_column_reader_open(o.r, 0, leaf, sizes[s], &cr, &err), &err);
		CHECK_OK(parquet_column_reader_skip(cr, 6, &err), &err);
		CHECK_OK(parquet_column_reader_next(cr, &b, &err), &err);
		/* record 6 = [6, NULL, 7] */
		CHECK(b.num_levels >= 3 && b.rep_levels[0] == 0 && b.def_levels[0] == 3 &&
			  ((int32_t *) b.values)[0] == 6);
		parquet_column_reader_close(cr);
	}
	close_opened(&o);
}

/* ------------------------------------------------ nested fields as JSON */

/* All records of a field of row group 0 as "json" or "NULL" lines joined by '\n'. */
static bool
read_field(ParquetReader *r, int rg, const char *name, size_t max_rows, char *out, size_t outsize,
		   LakeError *err)
{
	ParquetFieldReader *fr;
	int			field = parquet_schema_find_field(parquet_reader_schema(r), name);
	size_t		used = 0;

	out[0] = '\0';
	if (field < 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "no field %s", name), false;
	if (parquet_field_reader_open(r, rg, field, max_rows, &fr, err) != LAKE_OK)
		return false;
	for (;;)
	{
		size_t		n,
					i;
		const LakeBuffer *json;
		const size_t *off;
		const bool *isnull;

		if (parquet_field_reader_next(fr, &n, &json, &off, &isnull, err) != LAKE_OK)
		{
			parquet_field_reader_close(fr);
			return false;
		}
		if (n == 0)
			break;
		if (n > max_rows)
		{
			parquet_field_reader_close(fr);
			return false;
		}
		for (i = 0; i < n; i++)
			used += snprintf(out + used, outsize - used, "%.*s\n",
							 isnull[i] ? 4 : (int) (off[i + 1] - off[i]),
							 isnull[i] ? "NULL" : (const char *) json->data + off[i]);
	}
	parquet_field_reader_close(fr);
	return true;
}

static void
test_nested(void)
{
	static char got[65536];
	static char want[65536];
	size_t		sizes[] = {1, 7, 50, 1000};
	Opened		o;
	LakeError	err;
	int			s,
				f;
	const char *fields[] = {"id", "st", "li", "mp", "ls", "ll"};

	if (!open_fixture("nested.parquet", &o))
		return;
	for (f = 0; f < 6; f++)
	{
		size_t		used = 0;
		int			i;

		for (i = 0; i < 50; i++)
		{
			char	   *w = want + used;
			size_t		room = sizeof(want) - used;

			switch (f)
			{
				case 0:
					used += snprintf(w, room, "%d\n", i);
					break;
				case 1:
					used += i % 5 == 0 ? snprintf(w, room, "NULL\n") :
						snprintf(w, room, "{\"a\":%d,\"b\":\"x%d\"}\n", i, i);
					break;
				case 2:
					used += i % 4 == 0 ? snprintf(w, room, "NULL\n") :
						i % 4 == 1 ? snprintf(w, room, "[]\n") :
						snprintf(w, room, "[%d,null,%d]\n", i, i + 1);
					break;
				case 3:
					used += i % 3 == 0 ? snprintf(w, room, "NULL\n") :
						snprintf(w, room, "{\"k%d\":%d,\"z\":null}\n", i, 2 * i);
					break;
				case 4:
					used += snprintf(w, room, "[{\"p\":%d,\"q\":[\"%d\"]}]\n", i, i);
					break;
				case 5:
					used += snprintf(w, room, "[[%d,%d],[],null]\n", i, i + 1);
					break;
			}
		}
		for (s = 0; s < 4; s++)
		{
			bool		ok = read_field(o.r, 0, fields[f], sizes[s], got, sizeof(got), &err);

			CHECK_MSG(ok, "field %s: %s", fields[f], err.message);
			CHECK_MSG(!ok || strcmp(got, want) == 0, "field %s, batches of %zu:\n%.300s\nexpected:\n%.300s",
					  fields[f], sizes[s], got, want);
		}
	}
	close_opened(&o);

	/* logical types of flat columns through the field reader */
	if (!open_fixture("flat_snappy.parquet", &o))
		return;
	CHECK(read_field(o.r, 0, "dt", 2, got, sizeof(got), &err) && strncmp(got, "\"2020-01-01\"\n\"2020-01-02\"\n", 26) == 0);
	CHECK(read_field(o.r, 0, "ts", 500, got, sizeof(got), &err) &&
		  strncmp(got, "\"2020-01-01T00:00:00.000000\"\n\"2020-01-01T00:00:01.000000\"\n", 58) == 0);
	CHECK(read_field(o.r, 0, "dec", 3, got, sizeof(got), &err) && strncmp(got, "0.00\n1.25\n2.50\n", 15) == 0);
	CHECK(read_field(o.r, 0, "bl", 3, got, sizeof(got), &err) && strncmp(got, "NULL\n\"\\\\x6231\"\n", 15) == 0);
	CHECK(read_field(o.r, 0, "b", 3, got, sizeof(got), &err) && strncmp(got, "true\nNULL\nfalse\n", 16) == 0);
	CHECK(read_field(o.r, 0, "f", 3, got, sizeof(got), &err) && strncmp(got, "0\n0.5\n1\n", 8) == 0);
	close_opened(&o);
}

/* ------------------------------------- hand-built files: pages v1 / v2 */

/*
 * A file built here with the metadata encoders, to reach what DuckDB does
 * not write: several pages per chunk, records spanning v1 pages, data pages
 * v2 (compressed or not), BIT_PACKED levels, a dictionary for a string
 * column.  Columns: id INT64 required; s BYTE_ARRAY optional UTF8 (NULL when
 * i%3==0, else "v<i>"); li optional LIST of optional INT32 (NULL when
 * i%5==0, [] when i%5==1, else i%7 elements i*10+k, NULL when k==1).
 */
#define HB_ROWS 200

typedef struct HbLevels
{
	int16_t		def[4096];
	int16_t		rep[4096];
	int32_t		val[4096];		/* per level (used when def == max) */
	int			n;
} HbLevels;

static void
hb_levels(int col, HbLevels *lv)
{
	int			i,
				k;

	lv->n = 0;
	for (i = 0; i < HB_ROWS; i++)
	{
		if (col == 0)
		{
			lv->def[lv->n] = 0;
			lv->rep[lv->n] = 0;
			lv->val[lv->n++] = i;
		}
		else if (col == 1)
		{
			lv->def[lv->n] = i % 3 == 0 ? 0 : 1;
			lv->rep[lv->n] = 0;
			lv->val[lv->n++] = i;
		}
		else if (i % 5 == 0 || i % 5 == 1 || i % 7 == 0)
		{
			lv->def[lv->n] = i % 5 == 0 ? 0 : 1;
			lv->rep[lv->n] = 0;
			lv->val[lv->n++] = 0;
		}
		else
			for (k = 0; k < i % 7; k++)
			{
				lv->def[lv->n] = k == 1 ? 2 : 3;
				lv->rep[lv->n] = k == 0 ? 0 : 1;
				lv->val[lv->n++] = i * 10 + k;
			}
	}
}

static void
hb_rle(LakeBuffer *out, const int16_t *lv, int n, int max, bool prefix)
{
	LakeBuffer	tmp;
	RleEncoder	e;
	LakeError	err;
	int			i;
	uint32_t	len;

	lake_buffer_init(&tmp, A);
	rle_encoder_init(&e, &tmp, rle_bit_width((uint32_t) max));
	for (i = 0; i < n; i++)
		rle_encoder_put(&e, (uint32_t) lv[i], &err);
	rle_encoder_flush(&e, &err);
	len = (uint32_t) tmp.len;
	if (prefix)
		lake_buffer_append(out, &len, 4, &err);
	lake_buffer_append(out, tmp.data, tmp.len, &err);
	lake_buffer_free(&tmp);
}

/* deprecated BIT_PACKED levels: most significant bit first */
static void
hb_bitpacked(LakeBuffer *out, const int16_t *lv, int n, int max)
{
	int			bw = rle_bit_width((uint32_t) max);
	uint8_t		bytes[4096];
	int			nbytes = (n * bw + 7) / 8;
	long		bit = 0;
	int			i,
				b;
	LakeError	err;

	memset(bytes, 0, sizeof(bytes));
	for (i = 0; i < n; i++)
		for (b = bw - 1; b >= 0; b--, bit++)
			if ((lv[i] >> b) & 1)
				bytes[bit >> 3] |= (uint8_t) (0x80 >> (bit & 7));
	lake_buffer_append(out, bytes, nbytes, &err);
}

static void
hb_values(LakeBuffer *out, int col, const HbLevels *lv, int from, int to, int max_def, bool dict)
{
	LakeError	err;
	int			i;

	if (dict)
	{
		/* indices into the dictionary of "v<i>" for i not a multiple of 3 (entry i - i/3 - 1) */
		RleEncoder	e;
		uint8_t		bw = 8;

		lake_buffer_append(out, &bw, 1, &err);
		rle_encoder_init(&e, out, 8);
		for (i = from; i < to; i++)
			if (lv->def[i] == max_def)
				rle_encoder_put(&e, (uint32_t) (lv->val[i] - lv->val[i] / 3 - 1), &err);
		rle_encoder_flush(&e, &err);
		return;
	}
	for (i = from; i < to; i++)
	{
		if (lv->def[i] != max_def)
			continue;
		if (col == 0)
		{
			int64_t		v = lv->val[i];

			lake_buffer_append(out, &v, 8, &err);
		}
		else if (col == 1)
		{
			char		buf[32];
			uint32_t	n = (uint32_t) snprintf(buf, sizeof(buf), "v%d", lv->val[i]);

			lake_buffer_append(out, &n, 4, &err);
			lake_buffer_append(out, buf, n, &err);
		}
		else
			lake_buffer_append(out, &lv->val[i], 4, &err);
	}
}

/* variant 0: v1 pages of 13 levels, RLE levels, snappy; 1: v2 pages of about 5 records, dictionary; 2: v1 BIT_PACKED levels, uncompressed */
static void
hb_build(int variant, LakeBuffer *file)
{
	static const int max_def[3] = {0, 1, 3};
	static const int max_rep[3] = {0, 0, 1};
	ParquetSchemaElement el[6];
	ParquetColumnChunk chunks[3];
	ParquetRowGroup rg;
	ParquetFileMetaData md;
	static int32_t encs[3] = {PQ_ENC_PLAIN, PQ_ENC_RLE, PQ_ENC_RLE_DICTIONARY};
	static char *paths[3][3] = {{"id"}, {"s"}, {"li", "list", "element"}};
	static const int path_len[3] = {1, 1, 3};
	ParquetCodec codec = variant == 0 ? PQ_CODEC_SNAPPY : variant == 1 ? PQ_CODEC_ZSTD : PQ_CODEC_UNCOMPRESSED;
	LakeError	err;
	int			col;
	uint32_t	flen;

	memset(el, 0, sizeof(el));
	el[0].name = "schema";
	el[0].num_children = 3;
	el[1].name = "id";
	el[1].has_type = true;
	el[1].type = PQ_INT64;
	el[1].has_repetition = true;
	el[1].repetition = PQ_REQUIRED;
	el[2].name = "s";
	el[2].has_type = true;
	el[2].type = PQ_BYTE_ARRAY;
	el[2].has_repetition = true;
	el[2].repetition = PQ_OPTIONAL;
	el[2].logical.kind = PQ_LT_STRING;
	el[3].name = "li";
	el[3].has_repetition = true;
	el[3].repetition = PQ_OPTIONAL;
	el[3].num_children = 1;
	el[3].logical.kind = PQ_LT_LIST;
	el[4].name = "list";
	el[4].has_repetition = true;
	el[4].repetition = PQ_REPEATED;
	el[4].num_children = 1;
	el[5].name = "element";
	el[5].has_type = true;
	el[5].type = PQ_INT32;
	el[5].has_repetition = true;
	el[5].repetition = PQ_OPTIONAL;
	for (col = 0; col < 6; col++)
		el[col].converted_type = PQ_CT_NONE;

	lake_buffer_init(file, A);
	lake_buffer_append(file, "PAR1", 4, &err);
	memset(chunks, 0, sizeof(chunks));
	for (col = 0; col < 3; col++)
	{
		HbLevels   *lv = malloc(sizeof(HbLevels));
		ParquetColumnMetaData *m = &chunks[col].meta_data;
		int			from = 0;
		bool		dict = variant == 1 && col == 1;
		size_t		start = file->len;

		hb_levels(col, lv);
		chunks[col].has_meta_data = true;
		m->type = col == 0 ? PQ_INT64 : col == 1 ? PQ_BYTE_ARRAY : PQ_INT32;
		m->encodings = encs;
		m->num_encodings = 3;
		m->path_in_schema = paths[col];
		m->path_len = path_len[col];
		m->codec = codec;
		m->num_values = lv->n;
		if (dict)
		{
			/* dictionary page: "v<i>" for every i not a multiple of 3 */
			LakeBuffer	body;
			ParquetPageHeader h;
			int			i,
						n = 0;

			lake_buffer_init(&body, A);
			for (i = 0; i < HB_ROWS; i++)
				if (i % 3 != 0)
				{
					char		buf[32];
					uint32_t	l = (uint32_t) snprintf(buf, sizeof(buf), "v%d", i);

					lake_buffer_append(&body, &l, 4, &err);
					lake_buffer_append(&body, buf, l, &err);
					n++;
				}
			memset(&h, 0, sizeof(h));
			h.type = PQ_PAGE_DICTIONARY;
			h.uncompressed_page_size = (int32_t) body.len;
			h.has_dictionary_page_header = true;
			h.dictionary_page_header.num_values = n;
			h.dictionary_page_header.encoding = PQ_ENC_PLAIN;
			{
				size_t		cap = lake_compress_bound(codec, body.len);
				uint8_t    *c = malloc(cap);
				size_t		clen;

				lake_compress(codec, 0, body.data, body.len, c, cap, &clen, &err);
				h.compressed_page_size = (int32_t) clen;
				m->has_dictionary_page_offset = true;
				m->dictionary_page_offset = (int64_t) file->len;
				parquet_page_header_encode(&h, file, &err);
				lake_buffer_append(file, c, clen, &err);
				free(c);
			}
			lake_buffer_free(&body);
		}
		m->data_page_offset = (int64_t) file->len;
		while (from < lv->n)
		{
			int			to;
			ParquetPageHeader h;
			LakeBuffer	levels,
						values;
			bool		compress_values = true;
			int			i,
						nulls = 0,
						rows = 0;

			if (variant == 1)
			{
				/* about 5 records per page, ending at a record boundary */
				int			recs = 0;

				to = from;
				while (to < lv->n && (recs < 5 || lv->rep[to] != 0))
				{
					to++;
					if (to < lv->n && lv->rep[to] == 0)
						recs++;
				}
				compress_values = (from / 7) % 2 == 0;
			}
			else
				to = from + 13 < lv->n ? from + 13 : lv->n;
			for (i = from; i < to; i++)
			{
				nulls += lv->def[i] != max_def[col];
				rows += lv->rep[i] == 0;
			}
			lake_buffer_init(&levels, A);
			lake_buffer_init(&values, A);
			memset(&h, 0, sizeof(h));
			if (variant == 1)
			{
				size_t		rl;

				if (max_rep[col] > 0)
					hb_rle(&levels, lv->rep + from, to - from, max_rep[col], false);
				rl = levels.len;
				if (max_def[col] > 0)
					hb_rle(&levels, lv->def + from, to - from, max_def[col], false);
				h.type = PQ_PAGE_DATA_V2;
				h.has_data_page_header_v2 = true;
				h.data_page_header_v2.num_values = to - from;
				h.data_page_header_v2.num_nulls = nulls;
				h.data_page_header_v2.num_rows = rows;
				h.data_page_header_v2.encoding = dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
				h.data_page_header_v2.repetition_levels_byte_length = (int32_t) rl;
				h.data_page_header_v2.definition_levels_byte_length = (int32_t) (levels.len - rl);
				h.data_page_header_v2.is_compressed = compress_values;
			}
			else
			{
				if (max_rep[col] > 0)
				{
					if (variant == 2)
						hb_bitpacked(&levels, lv->rep + from, to - from, max_rep[col]);
					else
						hb_rle(&levels, lv->rep + from, to - from, max_rep[col], true);
				}
				if (max_def[col] > 0)
				{
					if (variant == 2)
						hb_bitpacked(&levels, lv->def + from, to - from, max_def[col]);
					else
						hb_rle(&levels, lv->def + from, to - from, max_def[col], true);
				}
				h.type = PQ_PAGE_DATA;
				h.has_data_page_header = true;
				h.data_page_header.num_values = to - from;
				h.data_page_header.encoding = PQ_ENC_PLAIN;
				h.data_page_header.definition_level_encoding = variant == 2 ? PQ_ENC_BIT_PACKED : PQ_ENC_RLE;
				h.data_page_header.repetition_level_encoding = variant == 2 ? PQ_ENC_BIT_PACKED : PQ_ENC_RLE;
			}
			hb_values(&values, col, lv, from, to, max_def[col], dict);
			{
				/* v1: levels and values compressed together; v2: values only */
				LakeBuffer	body;
				size_t		cap;
				uint8_t    *c;
				size_t		clen;

				lake_buffer_init(&body, A);
				if (variant != 1)
					lake_buffer_append(&body, levels.data, levels.len, &err);
				lake_buffer_append(&body, values.data, values.len, &err);
				cap = lake_compress_bound(codec, body.len) + 16;
				c = malloc(cap);
				if (variant == 1 && !compress_values)
				{
					memcpy(c, body.data, body.len);
					clen = body.len;
				}
				else
					lake_compress(codec, 0, body.data, body.len, c, cap, &clen, &err);
				h.uncompressed_page_size = (int32_t) (body.len + (variant == 1 ? levels.len : 0));
				h.compressed_page_size = (int32_t) (clen + (variant == 1 ? levels.len : 0));
				parquet_page_header_encode(&h, file, &err);
				if (variant == 1)
					lake_buffer_append(file, levels.data, levels.len, &err);
				lake_buffer_append(file, c, clen, &err);
				free(c);
				lake_buffer_free(&body);
			}
			lake_buffer_free(&levels);
			lake_buffer_free(&values);
			from = to;
		}
		m->total_compressed_size = (int64_t) (file->len - start);
		m->total_uncompressed_size = m->total_compressed_size;
		free(lv);
	}
	memset(&rg, 0, sizeof(rg));
	rg.columns = chunks;
	rg.num_columns = 3;
	rg.num_rows = HB_ROWS;
	memset(&md, 0, sizeof(md));
	md.version = variant == 1 ? 2 : 1;
	md.schema = el;
	md.num_schema = 6;
	md.num_rows = HB_ROWS;
	md.row_groups = &rg;
	md.num_row_groups = 1;
	md.created_by = "test_parquet_reader";
	flen = (uint32_t) file->len;
	parquet_metadata_encode(&md, file, &err);
	flen = (uint32_t) (file->len - flen);
	lake_buffer_append(file, &flen, 4, &err);
	lake_buffer_append(file, "PAR1", 4, &err);
}

static void
test_hand_built(void)
{
	static char got[65536];
	static char want[65536];
	int			variant;

	for (variant = 0; variant < 3; variant++)
	{
		LakeBuffer	file;
		LakeInput	in;
		ParquetReader *r;
		LakeError	err;
		size_t		sizes[] = {1, 3, 16, 1000};
		int			s,
					i;
		size_t		used = 0;

		hb_build(variant, &file);
		if (getenv("LAKE_HB_DUMP") != NULL)
		{
			/* for checking the hand-built files with another reader */
			char		path[1100];
			FILE	   *fp;

			snprintf(path, sizeof(path), "%s/hand_built_%d.parquet", getenv("LAKE_HB_DUMP"), variant);
			if ((fp = fopen(path, "wb")) != NULL)
			{
				fwrite(file.data, 1, file.len, fp);
				fclose(fp);
			}
		}
		lake_input_open_memory(file.data, file.len, &in);
		if (parquet_reader_open(A, &in, "hand-built", NULL, &r, &err) != LAKE_OK)
		{
			CHECK_MSG(false, "variant %d: %s", variant, err.message);
			lake_buffer_free(&file);
			continue;
		}
		for (s = 0; s < 4; s++)
		{
			FlatColumn	c;
			int			bad = 0;

			CHECK_OK(read_flat(r, 0, 0, sizes[s], &c, &err), &err);
			for (i = 0; i < c.num_rows; i++)
				bad += c.is_null[i] || c.values[i].i64 != i;
			CHECK_MSG(bad == 0 && c.num_rows == HB_ROWS, "variant %d id", variant);
			flat_free(&c);
			CHECK_OK(read_flat(r, 0, 1, sizes[s], &c, &err), &err);
			for (i = 0, bad = 0; i < c.num_rows; i++)
			{
				char		buf[32];

				snprintf(buf, sizeof(buf), "v%d", i);
				bad += i % 3 == 0 ? !c.is_null[i] : (c.is_null[i] || !bytes_eq(c.values[i].bytes, buf));
			}
			CHECK_MSG(bad == 0 && c.num_rows == HB_ROWS, "variant %d s: %d bad", variant, bad);
			flat_free(&c);
		}
		used = 0;
		for (i = 0; i < HB_ROWS; i++)
		{
			int			k;

			if (i % 5 == 0)
				used += snprintf(want + used, sizeof(want) - used, "NULL\n");
			else if (i % 5 == 1 || i % 7 == 0)
				used += snprintf(want + used, sizeof(want) - used, "[]\n");
			else
			{
				used += snprintf(want + used, sizeof(want) - used, "[");
				for (k = 0; k < i % 7; k++)
				{
					if (k == 1)
						used += snprintf(want + used, sizeof(want) - used, ",null");
					else
						used += snprintf(want + used, sizeof(want) - used, "%s%d", k ? "," : "", i * 10 + k);
				}
				used += snprintf(want + used, sizeof(want) - used, "]\n");
			}
		}
		for (s = 0; s < 4; s++)
		{
			bool		ok = read_field(r, 0, "li", sizes[s], got, sizeof(got), &err);

			CHECK_MSG(ok, "variant %d li: %s", variant, err.message);
			CHECK_MSG(!ok || strcmp(got, want) == 0, "variant %d li, batches of %zu:\n%.200s\nexpected:\n%.200s",
					  variant, sizes[s], got, want);
		}
		/* skipping records of the list leaf across pages */
		{
			ParquetColumnReader *cr;
			ParquetColumnBatch b;

			CHECK_OK(parquet_column_reader_open(r, 0, 2, 4, &cr, &err), &err);
			CHECK_OK(parquet_column_reader_skip(cr, 102, &err), &err);
			CHECK_OK(parquet_column_reader_next(cr, &b, &err), &err);
			/* record 102 = [1020, NULL, 1022, 1023] (102 % 7 == 4) */
			CHECK(b.num_levels == 4 && b.num_values == 3 && ((int32_t *) b.values)[0] == 1020 &&
				  ((int32_t *) b.values)[2] == 1023);
			parquet_column_reader_close(cr);
		}
		parquet_reader_close(r);
		/* the hand-built file goes through the corruption loop too */
		{
			uint8_t    *copy = malloc(file.len);
			uint64_t	seed = 99 + variant;
			int			k;

			for (k = 0; k < 300; k++)
			{
				memcpy(copy, file.data, file.len);
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				copy[(seed >> 20) % file.len] ^= (uint8_t) (1 + ((seed >> 8) % 255));
				read_everything(copy, file.len);
			}
			free(copy);
		}
		lake_buffer_free(&file);
	}
}

/* ------------------------------------------------------- golden files */

static const char *
golden_dir(void)
{
	static char dir[2048];
	const char *env = getenv("LAKE_GOLDEN_DIR");
	struct stat st;

	if (env != NULL)
		snprintf(dir, sizeof(dir), "%s", env);
	else
		snprintf(dir, sizeof(dir), "%s/../../../../shared/delta-golden", fixture_dir);
	if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode))
		return NULL;
	return dir;
}

/* All .parquet files under dir (recursive), up to max. */
static int
list_parquet(const char *dir, char paths[][1024], int n, int max)
{
	DIR		   *d = opendir(dir);
	struct dirent *e;

	if (d == NULL)
		return n;
	while ((e = readdir(d)) != NULL && n < max)
	{
		char		p[1024];
		struct stat st;
		size_t		l = strlen(e->d_name);

		if (e->d_name[0] == '.' || e->d_name[0] == '_')
			continue;
		snprintf(p, sizeof(p), "%s/%s", dir, e->d_name);
		if (stat(p, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			n = list_parquet(p, paths, n, max);
		else if (l > 8 && strcmp(e->d_name + l - 8, ".parquet") == 0)
			snprintf(paths[n++], 1024, "%s", p);
	}
	closedir(d);
	return n;
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *) a, *(char *const *) b);
}

static int64_t
int96_micros(ParquetBytes b)
{
	uint64_t	nanos = 0;
	uint32_t	day = 0;
	int			i;

	for (i = 7; i >= 0; i--)
		nanos = (nanos << 8) | b.ptr[i];
	for (i = 11; i >= 8; i--)
		day = (day << 8) | b.ptr[i];
	return ((int64_t) day - 2440588) * 86400000000LL + (int64_t) (nanos / 1000);
}

static void
test_golden(void)
{
	const char *g = golden_dir();
	char		dir[2048];
	static char paths[64][1024];
	char	   *lines[64];
	int			nlines = 0;
	int			n,
				f;
	char		expect[4096];
	char		got[4096];
	FILE	   *fp;
	LakeError	err;

	if (g == NULL)
	{
		printf("test_parquet_reader: delta-golden not found (set LAKE_GOLDEN_DIR); golden checks skipped\n");
		return;
	}

	/* delta-0.8.0-partitioned: "value" strings, first column of the expected rows */
	snprintf(dir, sizeof(dir), "%s/delta-0.8.0-partitioned", g);
	n = list_parquet(dir, paths, 0, 64);
	CHECK(n == 6);
	for (f = 0; f < n; f++)
	{
		Opened		o;
		FlatColumn	col;
		int64_t		i;

		if (!open_path(paths[f], &o, &err))
		{
			CHECK_MSG(false, "%s: %s", paths[f], err.message);
			continue;
		}
		CHECK_OK(read_flat(o.r, -1, find_leaf(o.r, "value"), 64, &col, &err), &err);
		for (i = 0; i < col.num_rows && nlines < 64; i++)
		{
			lines[nlines] = calloc(1, col.values[i].bytes.len + 1);
			memcpy(lines[nlines], col.values[i].bytes.ptr, col.values[i].bytes.len);
			nlines++;
		}
		flat_free(&col);
		close_opened(&o);
	}
	qsort(lines, nlines, sizeof(char *), cmp_str);
	got[0] = '\0';
	for (f = 0; f < nlines; f++)
	{
		strcat(got, lines[f]);
		strcat(got, "\n");
		free(lines[f]);
	}
	snprintf(dir, sizeof(dir), "%s/_expected/delta-0.8.0-partitioned@0.tsv", g);
	expect[0] = '\0';
	if ((fp = fopen(dir, "r")) != NULL)
	{
		char		line[256];

		while (fgets(line, sizeof(line), fp))
		{
			line[strcspn(line, "\t\n")] = '\0';
			strcat(expect, line);
			strcat(expect, "\n");
		}
		fclose(fp);
	}
	CHECK_MSG(strcmp(got, expect) == 0, "delta-0.8.0-partitioned values:\n%s\nexpected:\n%s", got, expect);

	/* table_with_edge_timestamps: INT96 (dictionary-encoded) timestamps */
	snprintf(dir, sizeof(dir), "%s/table_with_edge_timestamps", g);
	n = list_parquet(dir, paths, 0, 64);
	nlines = 0;
	for (f = 0; f < n; f++)
	{
		Opened		o;
		FlatColumn	c1,
					c2,
					c3;
		int64_t		i;

		if (!open_path(paths[f], &o, &err))
		{
			CHECK_MSG(false, "%s: %s", paths[f], err.message);
			continue;
		}
		CHECK_OK(read_flat(o.r, -1, find_leaf(o.r, "BIG_DATE"), 64, &c1, &err), &err);
		CHECK_OK(read_flat(o.r, -1, find_leaf(o.r, "NORMAL_DATE"), 64, &c2, &err), &err);
		CHECK_OK(read_flat(o.r, -1, find_leaf(o.r, "SOME_VALUE"), 64, &c3, &err), &err);
		for (i = 0; i < c1.num_rows && nlines < 64; i++)
		{
			char		buf[256];

			snprintf(buf, sizeof(buf), "%lld\t%lld\t%d",
					 (long long) int96_micros(c1.values[i].bytes),
					 (long long) int96_micros(c2.values[i].bytes), c3.values[i].i32);
			lines[nlines++] = strdup(buf);
		}
		flat_free(&c1);
		flat_free(&c2);
		flat_free(&c3);
		close_opened(&o);
	}
	qsort(lines, nlines, sizeof(char *), cmp_str);
	got[0] = '\0';
	for (f = 0; f < nlines; f++)
	{
		strcat(got, lines[f]);
		strcat(got, "\n");
		free(lines[f]);
	}
	snprintf(dir, sizeof(dir), "%s/_expected/table_with_edge_timestamps@0.tsv", g);
	expect[0] = '\0';
	if ((fp = fopen(dir, "r")) != NULL)
	{
		size_t		k = fread(expect, 1, sizeof(expect) - 1, fp);

		expect[k] = '\0';
		fclose(fp);
	}
	CHECK_MSG(strcmp(got, expect) == 0, "edge timestamps:\n%s\nexpected:\n%s", got, expect);

	/* every Parquet file of every golden table opens and reads */
	{
		static char all[512][1024];
		int			na = list_parquet(g, all, 0, 512);
		int			bad = 0;

		for (f = 0; f < na; f++)
		{
			Opened		o;
			const ParquetSchema *s;
			int			leaf;

			if (!open_path(all[f], &o, &err))
			{
				fprintf(stderr, "%s: %s\n", all[f], err.message);
				bad++;
				continue;
			}
			s = parquet_reader_schema(o.r);
			for (leaf = 0; leaf < s->num_leaves; leaf++)
			{
				int			rg;

				for (rg = 0; rg < parquet_reader_metadata(o.r)->num_row_groups; rg++)
				{
					ParquetColumnReader *cr;
					ParquetColumnBatch b;
					LakeStatus	st = parquet_column_reader_open(o.r, rg, leaf, 100, &cr, &err);

					while (st == LAKE_OK)
					{
						st = parquet_column_reader_next(cr, &b, &err);
						if (st != LAKE_OK || b.num_levels == 0)
							break;
					}
					if (st != LAKE_OK)
					{
						fprintf(stderr, "%s: %s\n", all[f], err.message);
						bad++;
					}
					if (cr != NULL)
						parquet_column_reader_close(cr);
				}
			}
			close_opened(&o);
		}
		CHECK_MSG(bad == 0 && na > 10, "golden: %d of %d files failed", bad, na);
	}

	/* a Delta checkpoint (nested add/remove/metaData structs) through the field reader */
	{
		static char got2[65536];
		Opened		o;

		snprintf(dir, sizeof(dir), "%s/simple_table_with_checkpoint/_delta_log/00000000000000000010.checkpoint.parquet", g);
		if (open_path(dir, &o, &err))
		{
			CHECK_OK(read_field(o.r, 0, "add", 3, got2, sizeof(got2), &err) ? LAKE_OK : err.status, &err);
			CHECK(strstr(got2, "{\"path\":\"part-00000-") != NULL);
			CHECK(strstr(got2, "\"partitionValues\":{}") != NULL);
			CHECK_OK(read_field(o.r, 0, "metaData", 3, got2, sizeof(got2), &err) ? LAKE_OK : err.status, &err);
			CHECK(strstr(got2, "\"schemaString\":\"{\\\"type\\\":\\\"struct\\\"") != NULL);
			close_opened(&o);
		}
		else
			CHECK_MSG(false, "%s: %s", dir, err.message);
	}
}

/* ------------------------------------------------------ corruption loop */

/* Open and read every column (and field) of a file in memory; any status is fine. */
static void
read_everything(const uint8_t *data, size_t len)
{
	LakeInput	in;
	ParquetReader *r;
	LakeError	err;
	const ParquetSchema *s;
	const ParquetFileMetaData *md;
	int			leaf,
				rg,
				f;

	lake_input_open_memory(data, len, &in);
	if (parquet_reader_open(A, &in, "fuzz", NULL, &r, &err) != LAKE_OK)
		return;
	s = parquet_reader_schema(r);
	md = parquet_reader_metadata(r);
	for (rg = 0; rg < md->num_row_groups; rg++)
	{
		for (leaf = 0; leaf < s->num_leaves; leaf++)
		{
			ParquetColumnReader *cr;
			ParquetColumnBatch b;
			LakeStatus	st = parquet_column_reader_open(r, rg, leaf, 37, &cr, &err);
			int			guard = 0;

			while (st == LAKE_OK && guard++ < 100000)
			{
				st = parquet_column_reader_next(cr, &b, &err);
				if (st != LAKE_OK || b.num_levels == 0)
					break;
			}
			if (cr != NULL)
				parquet_column_reader_close(cr);
		}
		for (f = 0; f < s->num_fields; f++)
		{
			ParquetFieldReader *fr;
			size_t		nrows;
			const LakeBuffer *json;
			const size_t *offsets;
			const bool *is_null;
			LakeStatus	st = parquet_field_reader_open(r, rg, f, 17, &fr, &err);
			int			guard = 0;

			while (st == LAKE_OK && guard++ < 100000)
			{
				st = parquet_field_reader_next(fr, &nrows, &json, &offsets, &is_null, &err);
				if (st != LAKE_OK || nrows == 0)
					break;
			}
			if (st == LAKE_OK || fr != NULL)
				parquet_field_reader_close(fr);
		}
	}
	parquet_reader_close(r);
}

static uint8_t *
slurp(const char *name, size_t *len)
{
	char		path[2048];
	FILE	   *fp;
	uint8_t    *data;
	long		n;

	snprintf(path, sizeof(path), "%s/%s", fixture_dir, name);
	fp = fopen(path, "rb");
	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	data = malloc(n);
	*len = fread(data, 1, n, fp);
	fclose(fp);
	return data;
}

static void
test_corruption(void)
{
	const char *files[] = {"flat_snappy.parquet", "flat_v2.parquet", "nested.parquet",
	"flat_uncompressed.parquet"};
	int			f;
	uint64_t	seed = 12345;
	int			flips = getenv("LAKE_FUZZ_FLIPS") ? atoi(getenv("LAKE_FUZZ_FLIPS")) : 1000;

	for (f = 0; f < 4; f++)
	{
		size_t		len;
		uint8_t    *data = slurp(files[f], &len);
		uint8_t    *copy;
		size_t		cut;
		int			i;

		CHECK_MSG(data != NULL, "read %s", files[f]);
		if (data == NULL)
			continue;
		copy = malloc(len);
		/* every truncation (of the end, and of the start of the footer's view) */
		for (cut = 0; cut < len; cut++)
		{
			memcpy(copy, data, cut);
			read_everything(copy, cut);
		}
		/* seeded byte flips, one to four at a time */
		for (i = 0; i < flips; i++)
		{
			int			k,
						nflip;

			memcpy(copy, data, len);
			seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
			nflip = 1 + (int) ((seed >> 33) % 4);
			for (k = 0; k < nflip; k++)
			{
				seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
				copy[(seed >> 20) % len] ^= (uint8_t) (1 + ((seed >> 8) % 255));
			}
			read_everything(copy, len);
		}
		free(copy);
		free(data);
		CHECK(true);
	}
}

int
main(int argc, char **argv)
{
	char		src[1024];

	snprintf(src, sizeof(src), "%s", __FILE__);
	snprintf(fixture_dir, sizeof(fixture_dir), "%s/fixtures", dirname(src));
	if (getenv("LAKE_FIXTURE_DIR"))
		snprintf(fixture_dir, sizeof(fixture_dir), "%s", getenv("LAKE_FIXTURE_DIR"));

	test_flat();
	test_row_groups();
	test_repeated_levels();
	test_nested();
	test_hand_built();
	test_golden();
	test_corruption();
	return unit_finish("test_parquet_reader");
}
