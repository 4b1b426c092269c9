/*
 * test_metadata.c
 *	  The Parquet footer and page headers: a rich FileMetaData and every kind
 *	  of page header encoded and decoded back; every truncation and many
 *	  single-byte corruptions of an encoded footer; the validation of the
 *	  schema / chunk consistency; legacy statistics; and real footers written
 *	  by Spark (delta-golden) and DuckDB (test/unit/fixtures).
 */
#include "lake/parquet_metadata.h"

#include <dirent.h>
#include <sys/stat.h>

#include "lake/parquet_schema.h"
#include "lake/thrift_compact.h"
#include "unit.h"

static const LakeAllocator *A = &lake_malloc_allocator;

/* ---------------------------------------------------------------- a rich footer */

typedef struct Rich
{
	ParquetSchemaElement schema[16];
	ParquetRowGroup rg[2];
	ParquetColumnChunk cols[2][16];
	char	   *paths[16][4];
	int32_t		encodings[3];
	ParquetKeyValue kv[2];
	ParquetFileMetaData md;
	int			num_leaves;
} Rich;

static ParquetSchemaElement
el(const char *name, int rep, int type, int children)
{
	ParquetSchemaElement e;

	memset(&e, 0, sizeof(e));
	e.name = (char *) name;
	e.has_repetition = rep >= 0;
	e.repetition = rep >= 0 ? rep : 0;
	e.has_type = type >= 0;
	e.type = type >= 0 ? type : 0;
	e.num_children = children;
	e.converted_type = PQ_CT_NONE;
	return e;
}

static void
build_rich(Rich *r)
{
	ParquetSchemaElement *s = r->schema;
	int			n = 0;
	int			g;
	int			c;
	/* leaf schema index, path components */
	static const int leaf_index[] = {1, 2, 3, 4, 7, 9, 10, 11, 12, 13};
	static const char *leaf_path[][3] = {
		{"id"}, {"name"}, {"ts"}, {"amount"}, {"tags", "list", "element"},
		{"loc", "lat"}, {"loc", "lon"}, {"small"}, {"t"}, {"uuid"}
	};
	static const int leaf_depth[] = {1, 1, 1, 1, 3, 2, 2, 1, 1, 1};
	static uint8_t min_bytes[8] = {1, 0, 0, 0, 0, 0, 0, 0};
	static uint8_t max_bytes[8] = {0xff, 0xff, 0, 0, 0, 0, 0, 0x7f};

	memset(r, 0, sizeof(*r));
	s[n] = el("spark_schema", -1, -1, 9);
	n++;
	s[n] = el("id", PQ_REQUIRED, PQ_INT64, 0);
	s[n].has_field_id = true;
	s[n++].field_id = 1;
	s[n] = el("name", PQ_OPTIONAL, PQ_BYTE_ARRAY, 0);
	s[n++].logical.kind = PQ_LT_STRING;
	s[n] = el("ts", PQ_OPTIONAL, PQ_INT64, 0);
	s[n].logical.kind = PQ_LT_TIMESTAMP;
	s[n].logical.unit = PQ_UNIT_MICROS;
	s[n++].logical.is_adjusted_to_utc = true;
	s[n] = el("amount", PQ_OPTIONAL, PQ_FIXED_LEN_BYTE_ARRAY, 0);
	s[n].type_length = 16;
	s[n].logical.kind = PQ_LT_DECIMAL;
	s[n].logical.precision = 38;
	s[n++].logical.scale = 4;
	s[n] = el("tags", PQ_OPTIONAL, -1, 1);
	s[n++].logical.kind = PQ_LT_LIST;
	s[n++] = el("list", PQ_REPEATED, -1, 1);
	s[n] = el("element", PQ_OPTIONAL, PQ_BYTE_ARRAY, 0);
	s[n++].converted_type = PQ_CT_UTF8;	/* legacy annotation only */
	s[n++] = el("loc", PQ_OPTIONAL, -1, 2);
	s[n++] = el("lat", PQ_REQUIRED, PQ_DOUBLE, 0);
	s[n++] = el("lon", PQ_OPTIONAL, PQ_DOUBLE, 0);
	s[n] = el("small", PQ_OPTIONAL, PQ_INT32, 0);
	s[n].logical.kind = PQ_LT_INTEGER;
	s[n].logical.bit_width = 8;
	s[n++].logical.is_signed = true;
	s[n] = el("t", PQ_OPTIONAL, PQ_INT32, 0);
	s[n].logical.kind = PQ_LT_TIME;
	s[n++].logical.unit = PQ_UNIT_MILLIS;
	s[n] = el("uuid", PQ_OPTIONAL, PQ_FIXED_LEN_BYTE_ARRAY, 0);
	s[n].type_length = 16;
	s[n++].logical.kind = PQ_LT_UUID;
	r->num_leaves = 10;

	r->encodings[0] = PQ_ENC_PLAIN;
	r->encodings[1] = PQ_ENC_RLE;
	r->encodings[2] = PQ_ENC_RLE_DICTIONARY;
	for (c = 0; c < r->num_leaves; c++)
		for (g = 0; g < leaf_depth[c]; g++)
			r->paths[c][g] = (char *) leaf_path[c][g];

	for (g = 0; g < 2; g++)
	{
		ParquetRowGroup *rg = &r->rg[g];

		rg->columns = r->cols[g];
		rg->num_columns = r->num_leaves;
		rg->num_rows = 1000 + g;
		rg->total_byte_size = 123456 + g;
		rg->has_file_offset = true;
		rg->file_offset = 4 + g * 100000;
		rg->has_total_compressed_size = true;
		rg->total_compressed_size = 99999;
		rg->has_ordinal = true;
		rg->ordinal = (int16_t) g;
		for (c = 0; c < r->num_leaves; c++)
		{
			ParquetColumnChunk *cc = &r->cols[g][c];
			ParquetColumnMetaData *m = &cc->meta_data;

			cc->file_offset = 0;
			cc->has_meta_data = true;
			m->type = s[leaf_index[c]].type;
			m->encodings = r->encodings;
			m->num_encodings = 3;
			m->path_in_schema = r->paths[c];
			m->path_len = leaf_depth[c];
			m->codec = (ParquetCodec) (c % 3 == 0 ? PQ_CODEC_ZSTD : PQ_CODEC_SNAPPY);
			m->num_values = 1000 + c;
			m->total_uncompressed_size = 5000 + c;
			m->total_compressed_size = 3000 + c;
			m->data_page_offset = 100000LL * g + 1000 * c + 4;
			if (c % 2 == 0)
			{
				m->has_dictionary_page_offset = true;
				m->dictionary_page_offset = m->data_page_offset - 1;
			}
			if (c == 3)
			{
				m->has_index_page_offset = true;
				m->index_page_offset = (int64_t) 1 << 40;
			}
			if (c != 5)
			{
				m->has_statistics = true;
				m->statistics.has_min = true;
				m->statistics.min.ptr = min_bytes;
				m->statistics.min.len = c == 1 ? 0 : 8;
				m->statistics.has_max = true;
				m->statistics.max.ptr = max_bytes;
				m->statistics.max.len = 8;
				m->statistics.has_null_count = true;
				m->statistics.null_count = c;
				m->statistics.has_distinct_count = c == 0;
				m->statistics.distinct_count = 77;
			}
		}
	}
	r->kv[0].key = "org.apache.spark.version";
	r->kv[0].value = "3.5.0";
	r->kv[1].key = "no-value";
	r->kv[1].value = NULL;

	r->md.version = 2;
	r->md.schema = s;
	r->md.num_schema = n;
	r->md.num_rows = 2001;
	r->md.row_groups = r->rg;
	r->md.num_row_groups = 2;
	r->md.key_value = r->kv;
	r->md.num_key_value = 2;
	r->md.created_by = "iot_lakehouse test";
	r->md.has_column_orders = true;
}

static bool
bytes_eq(ParquetBytes a, ParquetBytes b)
{
	return a.len == b.len && (a.len == 0 || memcmp(a.ptr, b.ptr, a.len) == 0);
}

static bool
stats_eq(const ParquetStatistics *a, const ParquetStatistics *b)
{
	return a->has_min == b->has_min && a->has_max == b->has_max &&
		(!a->has_min || bytes_eq(a->min, b->min)) && (!a->has_max || bytes_eq(a->max, b->max)) &&
		a->has_null_count == b->has_null_count && (!a->has_null_count || a->null_count == b->null_count) &&
		a->has_distinct_count == b->has_distinct_count &&
		(!a->has_distinct_count || a->distinct_count == b->distinct_count) &&
		!b->legacy_min_max;
}

static void
compare_rich(const Rich *r, const ParquetFileMetaData *d)
{
	const ParquetFileMetaData *m = &r->md;
	int			i;
	int			g;
	int			c;

	CHECK(d->version == 2);
	CHECK(d->num_rows == 2001);
	CHECK(d->num_schema == m->num_schema);
	CHECK(d->created_by && strcmp(d->created_by, m->created_by) == 0);
	CHECK(d->has_column_orders);
	CHECK(d->num_key_value == 2);
	CHECK(strcmp(d->key_value[0].key, "org.apache.spark.version") == 0);
	CHECK(d->key_value[0].value && strcmp(d->key_value[0].value, "3.5.0") == 0);
	CHECK(strcmp(d->key_value[1].key, "no-value") == 0 && d->key_value[1].value == NULL);

	for (i = 0; i < m->num_schema && i < d->num_schema; i++)
	{
		const ParquetSchemaElement *a = &m->schema[i];
		const ParquetSchemaElement *b = &d->schema[i];

		CHECK_MSG(strcmp(a->name, b->name) == 0, "element %d", i);
		CHECK_MSG(a->has_type == b->has_type && (!a->has_type || a->type == b->type), "element %d type", i);
		CHECK_MSG(a->has_repetition == b->has_repetition && a->repetition == b->repetition, "element %d rep", i);
		CHECK_MSG(a->num_children == b->num_children, "element %d children", i);
		CHECK_MSG(a->has_field_id == b->has_field_id && (!a->has_field_id || a->field_id == b->field_id),
				  "element %d field id", i);
		CHECK_MSG(memcmp(&a->logical, &b->logical, sizeof(a->logical)) == 0 ||
				  (a->logical.kind == b->logical.kind && a->logical.kind != PQ_LT_TIME &&
				   a->logical.kind != PQ_LT_TIMESTAMP && a->logical.kind != PQ_LT_DECIMAL &&
				   a->logical.kind != PQ_LT_INTEGER), "element %d logical", i);
		if (a->type == PQ_FIXED_LEN_BYTE_ARRAY && a->has_type)
			CHECK(b->type_length == a->type_length);
	}
	/* the legacy converted types derived from the logical ones */
	CHECK(d->schema[1].converted_type == PQ_CT_NONE);
	CHECK(d->schema[2].converted_type == PQ_CT_UTF8);
	CHECK(d->schema[3].converted_type == PQ_CT_TIMESTAMP_MICROS);
	CHECK(d->schema[4].converted_type == PQ_CT_DECIMAL);
	CHECK(d->schema[4].scale == 4 && d->schema[4].precision == 38);
	CHECK(d->schema[4].logical.scale == 4 && d->schema[4].logical.precision == 38);
	CHECK(d->schema[5].converted_type == PQ_CT_LIST);
	CHECK(d->schema[7].converted_type == PQ_CT_UTF8 && d->schema[7].logical.kind == PQ_LT_NONE);
	CHECK(d->schema[11].converted_type == PQ_CT_INT_8);
	CHECK(d->schema[11].logical.bit_width == 8 && d->schema[11].logical.is_signed);
	/* a local (not UTC-adjusted) time carries no legacy converted type (LogicalTypes.md) */
	CHECK(d->schema[12].converted_type == PQ_CT_NONE);
	CHECK(d->schema[3].converted_type == PQ_CT_TIMESTAMP_MICROS);
	CHECK(d->schema[12].logical.unit == PQ_UNIT_MILLIS && !d->schema[12].logical.is_adjusted_to_utc);
	CHECK(d->schema[3].logical.unit == PQ_UNIT_MICROS && d->schema[3].logical.is_adjusted_to_utc);
	CHECK(d->schema[13].converted_type == PQ_CT_NONE && d->schema[13].logical.kind == PQ_LT_UUID);

	CHECK(d->num_row_groups == 2);
	for (g = 0; g < 2 && g < d->num_row_groups; g++)
	{
		const ParquetRowGroup *a = &m->row_groups[g];
		const ParquetRowGroup *b = &d->row_groups[g];

		CHECK(a->num_rows == b->num_rows && a->total_byte_size == b->total_byte_size);
		CHECK(b->has_file_offset && a->file_offset == b->file_offset);
		CHECK(b->has_total_compressed_size && a->total_compressed_size == b->total_compressed_size);
		CHECK(b->has_ordinal && b->ordinal == g);
		CHECK(b->num_columns == a->num_columns);
		for (c = 0; c < a->num_columns && c < b->num_columns; c++)
		{
			const ParquetColumnMetaData *x = &a->columns[c].meta_data;
			const ParquetColumnMetaData *y = &b->columns[c].meta_data;
			int			k;

			CHECK(b->columns[c].has_meta_data && b->columns[c].file_path == NULL);
			CHECK(x->type == y->type && x->codec == y->codec && x->num_values == y->num_values);
			CHECK(x->total_uncompressed_size == y->total_uncompressed_size);
			CHECK(x->total_compressed_size == y->total_compressed_size);
			CHECK(x->data_page_offset == y->data_page_offset);
			CHECK(x->has_dictionary_page_offset == y->has_dictionary_page_offset &&
				  x->dictionary_page_offset == y->dictionary_page_offset);
			CHECK(x->has_index_page_offset == y->has_index_page_offset &&
				  x->index_page_offset == y->index_page_offset);
			CHECK(x->num_encodings == y->num_encodings);
			for (k = 0; k < x->num_encodings && k < y->num_encodings; k++)
				CHECK(x->encodings[k] == y->encodings[k]);
			CHECK(x->path_len == y->path_len);
			for (k = 0; k < x->path_len && k < y->path_len; k++)
				CHECK(strcmp(x->path_in_schema[k], y->path_in_schema[k]) == 0);
			CHECK(x->has_statistics == y->has_statistics);
			if (x->has_statistics)
				CHECK_MSG(stats_eq(&x->statistics, &y->statistics), "rg %d col %d stats", g, c);
		}
	}
}

static LakeStatus
encode_rich(Rich *r, LakeBuffer *buf, LakeError *err)
{
	build_rich(r);
	lake_buffer_init(buf, A);
	return parquet_metadata_encode(&r->md, buf, err);
}

static void
test_footer_round_trip(void)
{
	Rich		r;
	LakeBuffer	buf;
	LakeBuffer	again;
	LakeError	err = {0};
	ParquetFileMetaData d;

	CHECK_OK(encode_rich(&r, &buf, &err), &err);
	CHECK_OK(parquet_metadata_decode(A, buf.data, buf.len, &d, &err), &err);
	compare_rich(&r, &d);

	/* decoding then encoding again gives the same bytes */
	lake_buffer_init(&again, A);
	CHECK_OK(parquet_metadata_encode(&d, &again, &err), &err);
	CHECK(again.len == buf.len && memcmp(again.data, buf.data, buf.len) == 0);
	lake_buffer_free(&again);

	/* the schema resolves */
	{
		ParquetSchema s;

		CHECK_OK(parquet_schema_build(A, d.schema, d.num_schema, &s, &err), &err);
		CHECK(s.num_leaves == r.num_leaves);
		CHECK(strcmp(s.leaves[4].path, "tags.list.element") == 0 && s.leaves[4].max_def == 3);
		parquet_schema_free(A, &s);
	}
	parquet_metadata_free(A, &d);
	CHECK(d.schema == NULL && d.row_groups == NULL);

	/* trailing bytes after the struct are ignored */
	{
		uint8_t    *more = malloc(buf.len + 5);

		memcpy(more, buf.data, buf.len);
		memset(more + buf.len, 0xab, 5);
		CHECK_OK(parquet_metadata_decode(A, more, buf.len + 5, &d, &err), &err);
		parquet_metadata_free(A, &d);
		free(more);
	}
	lake_buffer_free(&buf);
}

/* decode every prefix and many single-byte corruptions of an encoded footer */
static void
fuzz_footer(const uint8_t *data, size_t len, const char *what, int value_step)
{
	LakeError	err = {0};
	ParquetFileMetaData d;
	size_t		cut;
	size_t		pos;
	int			bad = 0;
	uint8_t    *copy = malloc(len + 1);

	for (cut = 0; cut < len; cut++)
	{
		LakeStatus	st;

		memcpy(copy, data, cut);
		st = parquet_metadata_decode(A, copy, cut, &d, &err);
		if (st != LAKE_ERROR_CORRUPT)
			bad++;
		if (st == LAKE_OK)
			parquet_metadata_free(A, &d);
	}
	CHECK_MSG(bad == 0, "%s: %d truncations were not corrupt", what, bad);

	bad = 0;
	for (pos = 0; pos < len; pos++)
	{
		int			v;

		for (v = 0; v < 256; v += value_step)
		{
			LakeStatus	st;

			memcpy(copy, data, len);
			if (copy[pos] == (uint8_t) v)
				continue;
			copy[pos] = (uint8_t) v;
			st = parquet_metadata_decode(A, copy, len, &d, &err);
			/* UNSUPPORTED: a corruption can create an encryption_algorithm field */
			if (st != LAKE_OK && st != LAKE_ERROR_CORRUPT && st != LAKE_ERROR_UNSUPPORTED)
				bad++;
			if (st == LAKE_OK)
			{
				/* what decodes must be consistent enough to resolve */
				ParquetSchema s;

				if (parquet_schema_build(A, d.schema, d.num_schema, &s, &err) != LAKE_OK)
					bad++;
				else
					parquet_schema_free(A, &s);
				parquet_metadata_free(A, &d);
			}
		}
	}
	CHECK_MSG(bad == 0, "%s: %d corruptions gave another status", what, bad);
	free(copy);
}

static void
test_footer_fuzz(void)
{
	Rich		r;
	LakeBuffer	buf;
	LakeError	err = {0};

	CHECK_OK(encode_rich(&r, &buf, &err), &err);
	fuzz_footer(buf.data, buf.len, "rich footer", 3);
	lake_buffer_free(&buf);
}

static void
expect_corrupt(Rich *r, const char *what, const char *needle)
{
	LakeBuffer	buf;
	LakeError	err = {0};
	ParquetFileMetaData d;
	LakeStatus	st;

	lake_buffer_init(&buf, A);
	CHECK_OK(parquet_metadata_encode(&r->md, &buf, &err), &err);
	st = parquet_metadata_decode(A, buf.data, buf.len, &d, &err);
	CHECK_MSG(st == LAKE_ERROR_CORRUPT, "%s: %s", what, lake_status_name(st));
	CHECK_MSG(needle == NULL || strstr(err.message, needle) != NULL, "%s: message \"%s\"", what, err.message);
	if (st == LAKE_OK)
		parquet_metadata_free(A, &d);
	lake_buffer_free(&buf);
}

static void
test_validation(void)
{
	Rich		r;
	char	   *wrong_path[3] = {"tags", "list", "elem"};

	build_rich(&r);
	r.rg[1].num_columns = 9;
	expect_corrupt(&r, "missing chunk", "column chunks");

	build_rich(&r);
	r.cols[0][3].has_meta_data = false;
	expect_corrupt(&r, "no meta_data", "meta_data");

	build_rich(&r);
	r.cols[1][0].meta_data.type = PQ_INT32;
	expect_corrupt(&r, "type mismatch", "id");

	build_rich(&r);
	r.cols[0][4].meta_data.path_in_schema = wrong_path;
	expect_corrupt(&r, "path mismatch", "path_in_schema");

	build_rich(&r);
	r.cols[0][4].meta_data.path_len = 2;
	expect_corrupt(&r, "path too short", "path_in_schema");

	build_rich(&r);
	r.md.num_rows = -1;
	expect_corrupt(&r, "negative rows", "negative");

	build_rich(&r);
	r.rg[0].num_rows = -5;
	expect_corrupt(&r, "negative row group rows", "negative");

	build_rich(&r);
	r.cols[0][2].meta_data.data_page_offset = -4;
	expect_corrupt(&r, "negative offset", "negative");

	build_rich(&r);
	r.cols[0][2].meta_data.statistics.null_count = -4;
	expect_corrupt(&r, "negative null count", "negative");

	build_rich(&r);
	r.schema[0].num_children = 8;
	expect_corrupt(&r, "schema children", "schema");

	build_rich(&r);
	r.schema[9].has_type = false;
	expect_corrupt(&r, "leaf without type", "schema");

	build_rich(&r);
	r.schema[9].type = 8;
	expect_corrupt(&r, "unknown physical type", "physical type");

	build_rich(&r);
	r.schema[3].logical.unit = 0;
	r.schema[3].converted_type = PQ_CT_TIMESTAMP_MICROS;
	expect_corrupt(&r, "timestamp without unit", "unit");

	build_rich(&r);
	r.schema[11].logical.bit_width = 12;
	r.schema[11].converted_type = PQ_CT_INT_8;
	expect_corrupt(&r, "integer width", "bit width");

	/* a file with no row groups is fine */
	{
		LakeBuffer	buf;
		LakeError	err = {0};
		ParquetFileMetaData d;

		build_rich(&r);
		r.md.num_row_groups = 0;
		r.md.num_rows = 0;
		lake_buffer_init(&buf, A);
		CHECK_OK(parquet_metadata_encode(&r.md, &buf, &err), &err);
		CHECK_OK(parquet_metadata_decode(A, buf.data, buf.len, &d, &err), &err);
		CHECK(d.num_row_groups == 0);
		parquet_metadata_free(A, &d);
		lake_buffer_free(&buf);
	}
}

/* Statistics written by hand: legacy min/max, and both kinds present */
static void
test_statistics_variants(void)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	ThriftWriter w;
	ParquetPageHeader h;
	size_t		hl;
	int			variant;

	for (variant = 0; variant < 3; variant++)
	{
		lake_buffer_init(&buf, A);
		thrift_writer_init(&w, &buf, &err);
		thrift_write_struct_begin(&w);
		thrift_write_field_i32(&w, 1, PQ_PAGE_DATA);
		thrift_write_field_i32(&w, 2, 10);
		thrift_write_field_i32(&w, 3, 10);
		thrift_write_field_struct_begin(&w, 5);
		thrift_write_field_i32(&w, 1, 3);
		thrift_write_field_i32(&w, 2, PQ_ENC_PLAIN);
		thrift_write_field_i32(&w, 3, PQ_ENC_RLE);
		thrift_write_field_i32(&w, 4, PQ_ENC_RLE);
		thrift_write_field_struct_begin(&w, 5);
		if (variant != 1)
		{
			thrift_write_field_binary(&w, 1, "MAX", 3);
			thrift_write_field_binary(&w, 2, "MIN", 3);
		}
		thrift_write_field_i64(&w, 3, 0);
		if (variant != 0)
		{
			thrift_write_field_binary(&w, 5, "max_value", 9);
			thrift_write_field_binary(&w, 6, "min_value", 9);
		}
		/* an unknown field: skipped */
		thrift_write_field_i64(&w, 9, 5);
		thrift_write_struct_end(&w);
		thrift_write_struct_end(&w);
		/* an unknown page header field with nested content: skipped */
		thrift_write_field_begin(&w, THRIFT_LIST, 20);
		thrift_write_list_begin(&w, THRIFT_STRUCT, 1);
		thrift_write_struct_begin(&w);
		thrift_write_field_string(&w, 1, "future");
		thrift_write_struct_end(&w);
		thrift_write_struct_end(&w);
		CHECK_OK(parquet_page_header_decode(buf.data, buf.len, &h, &hl, &err), &err);
		CHECK(hl == buf.len);
		CHECK(h.has_data_page_header && h.data_page_header.has_statistics);
		{
			const ParquetStatistics *s = &h.data_page_header.statistics;

			CHECK(s->has_min && s->has_max && s->has_null_count && s->null_count == 0);
			if (variant == 0)
			{
				CHECK(s->legacy_min_max);
				CHECK(s->min.len == 3 && memcmp(s->min.ptr, "MIN", 3) == 0);
				CHECK(s->max.len == 3 && memcmp(s->max.ptr, "MAX", 3) == 0);
			}
			else
			{
				CHECK(!s->legacy_min_max);
				CHECK(s->min.len == 9 && memcmp(s->min.ptr, "min_value", 9) == 0);
				CHECK(s->max.len == 9 && memcmp(s->max.ptr, "max_value", 9) == 0);
			}
			/* borrowed: points into the buffer */
			CHECK(s->min.ptr >= buf.data && s->min.ptr < buf.data + buf.len);
		}
		lake_buffer_free(&buf);
	}
}

static void
test_page_headers(void)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	ParquetPageHeader h;
	ParquetPageHeader d;
	size_t		hl;
	static const uint8_t mn[4] = {1, 0, 0, 0};
	static const uint8_t mx[4] = {9, 0, 0, 0};
	int			kind;

	for (kind = 0; kind < 4; kind++)
	{
		memset(&h, 0, sizeof(h));
		h.uncompressed_page_size = 1000;
		h.compressed_page_size = 600;
		if (kind == 0)
		{
			h.type = PQ_PAGE_DATA;
			h.has_crc = true;
			h.crc = -12345;
			h.has_data_page_header = true;
			h.data_page_header.num_values = 77;
			h.data_page_header.encoding = PQ_ENC_RLE_DICTIONARY;
			h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
			h.data_page_header.repetition_level_encoding = PQ_ENC_BIT_PACKED;
			h.data_page_header.has_statistics = true;
			h.data_page_header.statistics.has_min = true;
			h.data_page_header.statistics.min.ptr = mn;
			h.data_page_header.statistics.min.len = 4;
			h.data_page_header.statistics.has_max = true;
			h.data_page_header.statistics.max.ptr = mx;
			h.data_page_header.statistics.max.len = 4;
			h.data_page_header.statistics.has_null_count = true;
			h.data_page_header.statistics.null_count = 3;
		}
		else if (kind == 1)
		{
			h.type = PQ_PAGE_DICTIONARY;
			h.has_dictionary_page_header = true;
			h.dictionary_page_header.num_values = 12;
			h.dictionary_page_header.encoding = PQ_ENC_PLAIN;
			h.dictionary_page_header.has_is_sorted = true;
			h.dictionary_page_header.is_sorted = true;
		}
		else
		{
			h.type = PQ_PAGE_DATA_V2;
			h.has_data_page_header_v2 = true;
			h.data_page_header_v2.num_values = 100;
			h.data_page_header_v2.num_nulls = 10;
			h.data_page_header_v2.num_rows = 50;
			h.data_page_header_v2.encoding = PQ_ENC_DELTA_BINARY_PACKED;
			h.data_page_header_v2.definition_levels_byte_length = 20;
			h.data_page_header_v2.repetition_levels_byte_length = 30;
			h.data_page_header_v2.is_compressed = kind == 2;
		}
		lake_buffer_init(&buf, A);
		CHECK_OK(parquet_page_header_encode(&h, &buf, &err), &err);
		/* page data follows the header */
		CHECK_OK(lake_buffer_append(&buf, "PAGEDATA", 8, &err), &err);
		CHECK_OK(parquet_page_header_decode(buf.data, buf.len, &d, &hl, &err), &err);
		CHECK(hl == buf.len - 8);
		CHECK(d.type == h.type && d.uncompressed_page_size == 1000 && d.compressed_page_size == 600);
		CHECK(d.has_crc == h.has_crc && d.crc == h.crc);
		CHECK(d.has_data_page_header == h.has_data_page_header);
		CHECK(d.has_dictionary_page_header == h.has_dictionary_page_header);
		CHECK(d.has_data_page_header_v2 == h.has_data_page_header_v2);
		if (kind == 0)
		{
			CHECK(d.data_page_header.num_values == 77);
			CHECK(d.data_page_header.encoding == PQ_ENC_RLE_DICTIONARY);
			CHECK(d.data_page_header.definition_level_encoding == PQ_ENC_RLE);
			CHECK(d.data_page_header.repetition_level_encoding == PQ_ENC_BIT_PACKED);
			CHECK(stats_eq(&h.data_page_header.statistics, &d.data_page_header.statistics));
		}
		else if (kind == 1)
		{
			CHECK(d.dictionary_page_header.num_values == 12);
			CHECK(d.dictionary_page_header.encoding == PQ_ENC_PLAIN);
			CHECK(d.dictionary_page_header.has_is_sorted && d.dictionary_page_header.is_sorted);
		}
		else
		{
			const ParquetDataPageHeaderV2 *v = &d.data_page_header_v2;

			CHECK(v->num_values == 100 && v->num_nulls == 10 && v->num_rows == 50);
			CHECK(v->encoding == PQ_ENC_DELTA_BINARY_PACKED);
			CHECK(v->definition_levels_byte_length == 20 && v->repetition_levels_byte_length == 30);
			CHECK(v->is_compressed == (kind == 2));
		}
		/* every truncation of the header is corrupt */
		{
			size_t		cut;
			int			bad = 0;

			for (cut = 0; cut < hl; cut++)
				if (parquet_page_header_decode(buf.data, cut, &d, &hl, &err) != LAKE_ERROR_CORRUPT)
					bad++;
			CHECK_MSG(bad == 0, "page kind %d: %d truncations not corrupt", kind, bad);
			CHECK(strstr(err.message, "page header") != NULL);
		}
		/* byte corruptions: OK or CORRUPT */
		{
			size_t		pos;
			int			v;
			int			bad = 0;
			uint8_t    *copy = malloc(buf.len);

			for (pos = 0; pos < buf.len - 8; pos++)
				for (v = 0; v < 256; v++)
				{
					LakeStatus	st;

					memcpy(copy, buf.data, buf.len);
					copy[pos] = (uint8_t) v;
					st = parquet_page_header_decode(copy, buf.len, &d, &hl, &err);
					if (st != LAKE_OK && st != LAKE_ERROR_CORRUPT)
						bad++;
					if (st == LAKE_OK && hl > buf.len)
						bad++;
				}
			CHECK_MSG(bad == 0, "page kind %d: %d corruptions misbehaved", kind, bad);
			free(copy);
		}
		lake_buffer_free(&buf);
	}

	/* v2 without is_compressed defaults to compressed; levels longer than the page are corrupt */
	{
		ThriftWriter w;
		int			variant;

		for (variant = 0; variant < 3; variant++)
		{
			lake_buffer_init(&buf, A);
			thrift_writer_init(&w, &buf, &err);
			thrift_write_struct_begin(&w);
			thrift_write_field_i32(&w, 1, variant == 2 ? PQ_PAGE_DATA : PQ_PAGE_DATA_V2);
			thrift_write_field_i32(&w, 2, 100);
			thrift_write_field_i32(&w, 3, 100);
			thrift_write_field_struct_begin(&w, 8);
			thrift_write_field_i32(&w, 1, 10);
			thrift_write_field_i32(&w, 2, 0);
			thrift_write_field_i32(&w, 3, 10);
			thrift_write_field_i32(&w, 4, 0);
			thrift_write_field_i32(&w, 5, variant == 1 ? 90 : 5);
			thrift_write_field_i32(&w, 6, variant == 1 ? 20 : 0);
			thrift_write_struct_end(&w);
			thrift_write_struct_end(&w);
			if (variant == 0)
			{
				CHECK_OK(parquet_page_header_decode(buf.data, buf.len, &d, &hl, &err), &err);
				CHECK(d.data_page_header_v2.is_compressed);
			}
			else
				CHECK(parquet_page_header_decode(buf.data, buf.len, &d, &hl, &err) == LAKE_ERROR_CORRUPT);
			lake_buffer_free(&buf);
		}
	}
}

static void
test_names(void)
{
	CHECK(strcmp(parquet_codec_name(PQ_CODEC_SNAPPY), "SNAPPY") == 0);
	CHECK(strcmp(parquet_codec_name(PQ_CODEC_LZ4_RAW), "LZ4_RAW") == 0);
	CHECK(strcmp(parquet_codec_name(99), "UNKNOWN_CODEC") == 0);
	CHECK(strcmp(parquet_physical_type_name(PQ_INT64), "INT64") == 0);
	CHECK(strcmp(parquet_physical_type_name(PQ_FIXED_LEN_BYTE_ARRAY), "FIXED_LEN_BYTE_ARRAY") == 0);
	CHECK(strcmp(parquet_encoding_name(PQ_ENC_RLE_DICTIONARY), "RLE_DICTIONARY") == 0);
	CHECK(strcmp(parquet_encoding_name(1), "UNKNOWN_ENCODING") == 0);
}

/* ---------------------------------------------------------------- real files */

static uint8_t *
read_file(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	long		n;
	uint8_t    *b;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(n > 0 ? n : 1);
	if (n < 0 || fread(b, 1, n, f) != (size_t) n)
	{
		free(b);
		fclose(f);
		return NULL;
	}
	fclose(f);
	*len = (size_t) n;
	return b;
}

static int	files_checked;

/* decode a file's footer, resolve its schema and decode each chunk's first page header */
static void
check_real_file(const char *path, bool fuzz)
{
	size_t		len;
	uint8_t    *b = read_file(path, &len);
	uint32_t	flen;
	ParquetFileMetaData md;
	ParquetSchema s;
	LakeError	err = {0};
	int			g;
	int			c;

	if (b == NULL || len < 12 || memcmp(b + len - 4, "PAR1", 4) != 0)
	{
		CHECK_MSG(false, "%s: not a parquet file", path);
		free(b);
		return;
	}
	memcpy(&flen, b + len - 8, 4);
	CHECK_MSG(flen <= len - 12, "%s: footer length", path);
	if (flen > len - 12)
	{
		free(b);
		return;
	}
	files_checked++;
	CHECK_OK(parquet_metadata_decode(A, b + len - 8 - flen, flen, &md, &err), &err);
	if (err.status != LAKE_OK && md.schema == NULL)
	{
		fprintf(stderr, "  in %s\n", path);
		free(b);
		return;
	}
	CHECK_OK(parquet_schema_build(A, md.schema, md.num_schema, &s, &err), &err);
	for (g = 0; g < md.num_row_groups; g++)
	{
		for (c = 0; c < md.row_groups[g].num_columns; c++)
		{
			const ParquetColumnMetaData *m = &md.row_groups[g].columns[c].meta_data;
			int64_t		off = m->data_page_offset;
			ParquetPageHeader h;
			size_t		hl;

			if (m->has_dictionary_page_offset && m->dictionary_page_offset > 0 &&
				m->dictionary_page_offset < off)
				off = m->dictionary_page_offset;
			CHECK_MSG(off >= 4 && (size_t) off < len, "%s: chunk offset %lld", path, (long long) off);
			if (off < 4 || (size_t) off >= len)
				continue;
			CHECK_OK(parquet_page_header_decode(b + off, len - off, &h, &hl, &err), &err);
			CHECK(h.compressed_page_size >= 0 && (size_t) off + hl + h.compressed_page_size <= len);
		}
	}
	parquet_schema_free(A, &s);
	parquet_metadata_free(A, &md);
	if (fuzz)
		fuzz_footer(b + len - 8 - flen, flen, path, 37);
	free(b);
}

static void
walk_dir(const char *dir, int depth, int *fuzzed)
{
	DIR		   *dp;
	struct dirent *de;

	if (depth > 4 || (dp = opendir(dir)) == NULL)
		return;
	while ((de = readdir(dp)) != NULL)
	{
		char		path[4096];
		struct stat st;
		size_t		nl = strlen(de->d_name);

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (stat(path, &st) != 0)
			continue;
		if (S_ISDIR(st.st_mode))
			walk_dir(path, depth + 1, fuzzed);
		else if (nl > 8 && strcmp(de->d_name + nl - 8, ".parquet") == 0)
		{
			/* fuzz one multi-column checkpoint footer and one data file */
			bool		fuzz = (*fuzzed < 2 && strstr(path, "checkpoint") != NULL) ||
				(*fuzzed == 0 && strstr(path, "simple_table/") != NULL);

			if (fuzz)
				(*fuzzed)++;
			check_real_file(path, fuzz);
		}
	}
	closedir(dp);
}

static void
test_real_files(void)
{
	const char *golden = getenv("LAKE_GOLDEN_DIR");
	struct stat st;
	int			fuzzed = 0;

	if (golden == NULL)
		golden = "../shared/delta-golden";
	if (stat(golden, &st) != 0 || !S_ISDIR(st.st_mode))
		printf("test_metadata: %s is absent: Spark-written footers not checked\n", golden);
	else
	{
		files_checked = 0;
		walk_dir(golden, 0, &fuzzed);
		CHECK(files_checked > 10);
		printf("test_metadata: decoded %d Spark/delta-golden footers\n", files_checked);
	}
	files_checked = 0;
	fuzzed = 2;
	walk_dir("test/unit/fixtures", 0, &fuzzed);
	printf("test_metadata: decoded %d fixture footers (DuckDB-written)\n", files_checked);
}

int
main(void)
{
	test_names();
	test_footer_round_trip();
	test_validation();
	test_statistics_variants();
	test_page_headers();
	test_footer_fuzz();
	test_real_files();
	return unit_finish("test_metadata");
}
