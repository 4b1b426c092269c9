/*
 * parquet_writer.c
 *	  Writing Parquet files: the public API of include/lake/parquet_writer.h.
 *	  Owns the schema copy, row checks (every leaf gets each row), the batch
 *	  path (parquet_writer_write_rows: whole rows, column by column), row-group
 *	  boundaries, column chunk metadata, whole-file statistics and the footer.
 *	  The per-leaf work (pages, dictionary, codecs) is in
 *	  parquet_column_writer.c.
 *
 * Metadata that lives until destroy (schema copy, row groups, chunk
 * statistics bytes) comes from a small arena of blocks taken from the
 * caller's allocator, freed as a whole.
 */
#include "lake/parquet_writer.h"

#include "lake/compression.h"
#include "parquet_column_writer.h"

#include <string.h>

#define ARENA_BLOCK_SIZE (64 * 1024)
#define MAX_DICTIONARY_BYTES ((uint64_t) 1 << 30)
#define MAX_VALUE_BYTES ((uint32_t) INT32_MAX - 64)

typedef struct ArenaBlock
{
	struct ArenaBlock *next;
	size_t		used;
	size_t		cap;
	/* data follows, 16-byte aligned */
} ArenaBlock;

#define ARENA_HEADER (((sizeof(ArenaBlock) + 15) / 16) * 16)

/* Whole-file statistics of a leaf. */
typedef struct LeafFileStats
{
	bool		has_min_max;
	ParquetValue min;
	ParquetValue max;
	LakeBuffer	min_buf;		/* bytes of min / max for byte types */
	LakeBuffer	max_buf;
	int64_t		null_count;
} LeafFileStats;

struct ParquetWriter
{
	const LakeAllocator *alloc; /* the caller's */
	LakeAllocator arena_alloc;	/* the arena as an allocator (free is a no-op) */
	ArenaBlock *arena;
	LakeOutput *out;			/* borrowed */
	ParquetWriterOptions opts;	/* strings and key_value copied to the arena */

	ParquetSchemaElement *elements; /* copy, in the arena */
	int			num_elements;
	ParquetSchema schema;		/* built in the arena */
	char	 ***paths;			/* path_in_schema per leaf */
	int		   *path_lens;

	ColumnWriterShared shared;
	ColumnWriter *columns;		/* one per leaf */
	int			num_columns;	/* initialised so far */
	LeafFileStats *file_stats;	/* one per leaf */

	ParquetRowGroup *row_groups;
	int			num_row_groups;
	int			row_groups_cap;
	int64_t		num_rows;		/* rows ended, all row groups */
	int64_t		rg_rows;		/* rows ended in the current row group */

	bool		failed;			/* an error happened: only destroy is allowed */
	bool		finished;
	ParquetFileMetaData md;
	LakeBuffer	footer;
};

/* ---------------------------------------------------------------- arena */

static void *
arena_alloc(void *ctx, size_t size)
{
	ParquetWriter *w = ctx;
	ArenaBlock *b = w->arena;

	size = (size + 15) & ~(size_t) 15;
	if (size == 0)
		size = 16;
	if (b == NULL || b->cap - b->used < size)
	{
		size_t		cap = size > ARENA_BLOCK_SIZE / 4 ? size : ARENA_BLOCK_SIZE;

		b = w->alloc->alloc(w->alloc->ctx, ARENA_HEADER + cap);
		if (b == NULL)
			return NULL;
		b->used = 0;
		b->cap = cap;
		if (w->arena != NULL && size > ARENA_BLOCK_SIZE / 4)
		{
			/* a big one-off: keep the current block for small allocations */
			b->next = w->arena->next;
			w->arena->next = b;
			b->used = size;
			return (char *) b + ARENA_HEADER;
		}
		b->next = w->arena;
		w->arena = b;
	}
	b->used += size;
	return (char *) b + ARENA_HEADER + b->used - size;
}

static void
arena_free(void *ctx, void *ptr)
{
}

static void
arena_destroy(ParquetWriter *w)
{
	ArenaBlock *b = w->arena;

	while (b != NULL)
	{
		ArenaBlock *next = b->next;

		lake_free(w->alloc, b);
		b = next;
	}
	w->arena = NULL;
}

static char *
arena_strdup(ParquetWriter *w, const char *s, LakeError *err)
{
	if (s == NULL)
		return NULL;
	return lake_strndup(&w->arena_alloc, s, strlen(s), err);
}

/* -------------------------------------------------------------- options */

void
parquet_writer_options_init(ParquetWriterOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->codec = PQ_CODEC_SNAPPY;
	opts->compression_level = 0;
	opts->row_group_bytes = 128 * 1024 * 1024;
	opts->row_group_rows = 1024 * 1024;
	opts->page_bytes = 1024 * 1024;
	opts->dictionary = true;
	opts->dictionary_bytes = 1024 * 1024;
	opts->created_by = "iot_lakehouse";
	opts->key_value = NULL;
	opts->num_key_value = 0;
}

ParquetSchemaElement
parquet_writer_element_leaf(const char *name, ParquetRepetition repetition, ParquetPhysicalType type)
{
	ParquetSchemaElement e;

	memset(&e, 0, sizeof(e));
	e.name = (char *) name;
	e.has_type = true;
	e.type = type;
	e.has_repetition = true;
	e.repetition = repetition;
	e.converted_type = PQ_CT_NONE;
	e.logical.kind = PQ_LT_NONE;
	return e;
}

ParquetSchemaElement
parquet_writer_element_group(const char *name, ParquetRepetition repetition, int num_children)
{
	ParquetSchemaElement e;

	memset(&e, 0, sizeof(e));
	e.name = (char *) name;
	e.has_repetition = true;
	e.repetition = repetition;
	e.num_children = num_children;
	e.converted_type = PQ_CT_NONE;
	e.logical.kind = PQ_LT_NONE;
	return e;
}

/*
 * Older readers only know converted types: derive one from the logical type
 * when the caller gave none and an equivalent exists.
 */
static void
fill_converted_type(ParquetSchemaElement *e)
{
	const ParquetLogicalType *lt = &e->logical;

	if (e->converted_type != PQ_CT_NONE)
	{
		if (e->converted_type == PQ_CT_DECIMAL && lt->kind == PQ_LT_DECIMAL && e->precision == 0)
		{
			e->scale = lt->scale;
			e->precision = lt->precision;
		}
		return;
	}
	switch (lt->kind)
	{
		case PQ_LT_STRING:
			e->converted_type = PQ_CT_UTF8;
			break;
		case PQ_LT_MAP:
			e->converted_type = PQ_CT_MAP;
			break;
		case PQ_LT_LIST:
			e->converted_type = PQ_CT_LIST;
			break;
		case PQ_LT_ENUM:
			e->converted_type = PQ_CT_ENUM;
			break;
		case PQ_LT_DECIMAL:
			e->converted_type = PQ_CT_DECIMAL;
			e->scale = lt->scale;
			e->precision = lt->precision;
			break;
		case PQ_LT_DATE:
			e->converted_type = PQ_CT_DATE;
			break;
		case PQ_LT_TIME:
			if (lt->is_adjusted_to_utc && lt->unit == PQ_UNIT_MILLIS)
				e->converted_type = PQ_CT_TIME_MILLIS;
			else if (lt->is_adjusted_to_utc && lt->unit == PQ_UNIT_MICROS)
				e->converted_type = PQ_CT_TIME_MICROS;
			break;
		case PQ_LT_TIMESTAMP:
			if (lt->is_adjusted_to_utc && lt->unit == PQ_UNIT_MILLIS)
				e->converted_type = PQ_CT_TIMESTAMP_MILLIS;
			else if (lt->is_adjusted_to_utc && lt->unit == PQ_UNIT_MICROS)
				e->converted_type = PQ_CT_TIMESTAMP_MICROS;
			break;
		case PQ_LT_INTEGER:
			switch (lt->bit_width)
			{
				case 8:
					e->converted_type = lt->is_signed ? PQ_CT_INT_8 : PQ_CT_UINT_8;
					break;
				case 16:
					e->converted_type = lt->is_signed ? PQ_CT_INT_16 : PQ_CT_UINT_16;
					break;
				case 32:
					e->converted_type = lt->is_signed ? PQ_CT_INT_32 : PQ_CT_UINT_32;
					break;
				case 64:
					e->converted_type = lt->is_signed ? PQ_CT_INT_64 : PQ_CT_UINT_64;
					break;
			}
			break;
		case PQ_LT_JSON:
			e->converted_type = PQ_CT_JSON;
			break;
		case PQ_LT_BSON:
			e->converted_type = PQ_CT_BSON;
			break;
		default:
			break;
	}
}

/* ----------------------------------------------------------------- open */

static LakeStatus
copy_schema(ParquetWriter *w, const ParquetSchemaElement *schema, int num_schema, LakeError *err)
{
	int			i;

	w->elements = lake_alloc_array(&w->arena_alloc, num_schema, sizeof(ParquetSchemaElement), err);
	if (w->elements == NULL)
		return LAKE_ERROR_NOMEM;
	w->num_elements = num_schema;
	for (i = 0; i < num_schema; i++)
	{
		ParquetSchemaElement *e = &w->elements[i];

		*e = schema[i];
		if (schema[i].name == NULL)
			return lake_error_set(err, LAKE_ERROR_INVALID, "schema element %d has no name", i);
		e->name = arena_strdup(w, schema[i].name, err);
		if (e->name == NULL)
			return LAKE_ERROR_NOMEM;
		if (i > 0)
			fill_converted_type(e);
	}
	return LAKE_OK;
}

static LakeStatus
build_paths(ParquetWriter *w, LakeError *err)
{
	int			n = w->schema.num_leaves;
	int			i;

	w->paths = lake_alloc_array(&w->arena_alloc, n, sizeof(char **), err);
	w->path_lens = lake_alloc_array(&w->arena_alloc, n, sizeof(int), err);
	if (w->paths == NULL || w->path_lens == NULL)
		return LAKE_ERROR_NOMEM;
	for (i = 0; i < n; i++)
	{
		int			idx = w->schema.leaves[i].schema_index;
		int			depth = 0;
		int			j;

		for (j = idx; j > 0; j = w->schema.parent[j])
			depth++;
		w->paths[i] = lake_alloc_array(&w->arena_alloc, depth, sizeof(char *), err);
		if (w->paths[i] == NULL)
			return LAKE_ERROR_NOMEM;
		w->path_lens[i] = depth;
		for (j = idx; j > 0; j = w->schema.parent[j])
			w->paths[i][--depth] = w->elements[j].name;
	}
	return LAKE_OK;
}

static LakeStatus
writer_open(ParquetWriter *w, const ParquetSchemaElement *schema, int num_schema,
			const ParquetWriterOptions *opts, LakeError *err)
{
	LakeStatus	st;
	int			i;

	if (opts != NULL)
		w->opts = *opts;
	else
		parquet_writer_options_init(&w->opts);
	if (w->opts.page_bytes == 0)
		w->opts.page_bytes = 1024 * 1024;
	if (w->opts.row_group_bytes == 0)
		w->opts.row_group_bytes = 128 * 1024 * 1024;
	if (w->opts.row_group_rows < 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "row_group_rows must not be negative");
	if (w->opts.dictionary_bytes > MAX_DICTIONARY_BYTES)
		w->opts.dictionary_bytes = MAX_DICTIONARY_BYTES;
	if (w->opts.dictionary_bytes == 0)
		w->opts.dictionary = false;
	if (!lake_codec_supported(w->opts.codec))
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "compression codec %s is not supported for writing",
							  parquet_codec_name(w->opts.codec));
	if (w->opts.created_by == NULL)
		w->opts.created_by = "iot_lakehouse";
	w->opts.created_by = arena_strdup(w, w->opts.created_by, err);
	if (w->opts.created_by == NULL)
		return LAKE_ERROR_NOMEM;
	if (w->opts.num_key_value < 0 || (w->opts.num_key_value > 0 && w->opts.key_value == NULL))
		return lake_error_set(err, LAKE_ERROR_INVALID, "bad key_value list");
	if (w->opts.num_key_value > 0)
	{
		ParquetKeyValue *kv = lake_alloc_array(&w->arena_alloc, w->opts.num_key_value,
											   sizeof(ParquetKeyValue), err);

		if (kv == NULL)
			return LAKE_ERROR_NOMEM;
		for (i = 0; i < w->opts.num_key_value; i++)
		{
			if (opts->key_value[i].key == NULL)
				return lake_error_set(err, LAKE_ERROR_INVALID, "key_value entry %d has no key", i);
			kv[i].key = arena_strdup(w, opts->key_value[i].key, err);
			kv[i].value = NULL;
			if (kv[i].key == NULL)
				return LAKE_ERROR_NOMEM;
			if (opts->key_value[i].value != NULL)
			{
				kv[i].value = arena_strdup(w, opts->key_value[i].value, err);
				if (kv[i].value == NULL)
					return LAKE_ERROR_NOMEM;
			}
		}
		w->opts.key_value = kv;
	}

	if (schema == NULL || num_schema < 2)
		return lake_error_set(err, LAKE_ERROR_INVALID, "a schema needs a root and at least one column");
	st = copy_schema(w, schema, num_schema, err);
	if (st != LAKE_OK)
		return st;
	st = parquet_schema_build(&w->arena_alloc, w->elements, w->num_elements, &w->schema, err);
	if (st != LAKE_OK)
	{
		if (st == LAKE_ERROR_CORRUPT)
			err->status = st = LAKE_ERROR_INVALID;
		lake_error_prefix(err, "invalid schema: ");
		return st;
	}
	if (w->schema.num_leaves < 1)
		return lake_error_set(err, LAKE_ERROR_INVALID, "the schema has no leaf column");
	st = build_paths(w, err);
	if (st != LAKE_OK)
		return st;

	w->shared.alloc = w->alloc;
	w->shared.codec = w->opts.codec;
	w->shared.compression_level = w->opts.compression_level;
	w->shared.page_bytes = w->opts.page_bytes;
	w->shared.dictionary = w->opts.dictionary;
	w->shared.dictionary_bytes = w->opts.dictionary_bytes;
	lake_buffer_init(&w->shared.page, w->alloc);
	lake_buffer_init(&w->shared.compressed, w->alloc);
	lake_buffer_init(&w->shared.header, w->alloc);

	w->columns = lake_alloc0(w->alloc, sizeof(ColumnWriter) * (size_t) w->schema.num_leaves, err);
	w->file_stats = lake_alloc0(w->alloc, sizeof(LeafFileStats) * (size_t) w->schema.num_leaves, err);
	if (w->columns == NULL || w->file_stats == NULL)
		return LAKE_ERROR_NOMEM;
	for (i = 0; i < w->schema.num_leaves; i++)
	{
		const ParquetLeaf *leaf = &w->schema.leaves[i];

		lake_buffer_init(&w->file_stats[i].min_buf, w->alloc);
		lake_buffer_init(&w->file_stats[i].max_buf, w->alloc);
		if (leaf->element->type == PQ_FIXED_LEN_BYTE_ARRAY && leaf->element->type_length <= 0)
			return lake_error_set(err, LAKE_ERROR_INVALID,
								  "column \"%s\": FIXED_LEN_BYTE_ARRAY needs a positive type_length", leaf->path);
		st = parquet_column_writer_init(&w->columns[i], &w->shared, leaf, err);
		w->num_columns = i + 1;
		if (st != LAKE_OK)
			return st;
	}
	lake_buffer_init(&w->footer, w->alloc);
	return lake_output_write(w->out, "PAR1", 4, err);
}

LakeStatus
parquet_writer_open(const LakeAllocator *a, LakeOutput *out, const ParquetSchemaElement *schema,
					int num_schema, const ParquetWriterOptions *opts, ParquetWriter **wp,
					LakeError *err)
{
	ParquetWriter *w;
	LakeStatus	st;

	*wp = NULL;
	if (a == NULL || out == NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "parquet writer needs an allocator and an output");
	w = lake_alloc0(a, sizeof(ParquetWriter), err);
	if (w == NULL)
		return LAKE_ERROR_NOMEM;
	w->alloc = a;
	w->arena_alloc.alloc = arena_alloc;
	w->arena_alloc.free = arena_free;
	w->arena_alloc.ctx = w;
	w->out = out;
	st = writer_open(w, schema, num_schema, opts, err);
	if (st != LAKE_OK)
	{
		parquet_writer_destroy(w);
		return st;
	}
	*wp = w;
	return LAKE_OK;
}

const ParquetSchema *
parquet_writer_schema(const ParquetWriter *w)
{
	return &w->schema;
}

/* --------------------------------------------------------------- values */

static LakeStatus
check_writable(ParquetWriter *w, int leaf, LakeError *err)
{
	if (w->failed)
		return lake_error_set(err, LAKE_ERROR_INVALID, "parquet writer failed earlier and cannot continue");
	if (w->finished)
		return lake_error_set(err, LAKE_ERROR_INVALID, "parquet writer is already finished");
	if (leaf < 0 || leaf >= w->schema.num_leaves)
		return lake_error_set(err, LAKE_ERROR_INVALID, "leaf %d out of range (the schema has %d)",
							  leaf, w->schema.num_leaves);
	return LAKE_OK;
}

static LakeStatus
check_value(ParquetWriter *w, int leaf, const ParquetValue *v, LakeError *err)
{
	const ParquetSchemaElement *e = w->schema.leaves[leaf].element;

	switch (e->type)
	{
		case PQ_BYTE_ARRAY:
			if (v->bytes.len > MAX_VALUE_BYTES || (v->bytes.len > 0 && v->bytes.ptr == NULL))
				return lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\": bad byte array value of %u bytes",
									  w->schema.leaves[leaf].path, v->bytes.len);
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (v->bytes.len != (uint32_t) e->type_length || v->bytes.ptr == NULL)
				return lake_error_set(err, LAKE_ERROR_INVALID,
									  "column \"%s\": value of %u bytes for FIXED_LEN_BYTE_ARRAY(%d)",
									  w->schema.leaves[leaf].path, v->bytes.len, e->type_length);
			break;
		case PQ_INT96:
			if (v->bytes.len != 12 || v->bytes.ptr == NULL)
				return lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\": INT96 value of %u bytes",
									  w->schema.leaves[leaf].path, v->bytes.len);
			break;
		default:
			break;
	}
	return LAKE_OK;
}

static LakeStatus
fail(ParquetWriter *w, LakeStatus st)
{
	if (st != LAKE_OK)
		w->failed = true;
	return st;
}

LakeStatus
parquet_writer_write_value(ParquetWriter *w, int leaf, const ParquetValue *value, LakeError *err)
{
	ColumnWriter *cw;
	int16_t		def;
	LakeStatus	st;

	st = check_writable(w, leaf, err);
	if (st != LAKE_OK)
		return fail(w, st);
	cw = &w->columns[leaf];
	if (cw->max_rep > 0)
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
									  "column \"%s\" is repeated: write it with parquet_writer_write_levels",
									  w->schema.leaves[leaf].path));
	if (cw->rows != w->rg_rows)
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\" already has a value for row %lld",
									  w->schema.leaves[leaf].path, (long long) w->num_rows));
	if (value == NULL)
	{
		if (cw->max_def == 0)
			return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "null value for required column \"%s\"",
										  w->schema.leaves[leaf].path));
		def = cw->max_def - 1;
	}
	else
	{
		st = check_value(w, leaf, value, err);
		if (st != LAKE_OK)
			return fail(w, st);
		def = cw->max_def;
	}
	return fail(w, parquet_column_writer_append(cw, def, 0, value, err));
}

LakeStatus
parquet_writer_write_levels(ParquetWriter *w, int leaf, int16_t def, int16_t rep,
							const ParquetValue *value, LakeError *err)
{
	ColumnWriter *cw;
	LakeStatus	st;

	st = check_writable(w, leaf, err);
	if (st != LAKE_OK)
		return fail(w, st);
	cw = &w->columns[leaf];
	if (def < 0 || def > cw->max_def || rep < 0 || rep > cw->max_rep)
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
									  "column \"%s\": levels def %d rep %d out of range (max %d, %d)",
									  w->schema.leaves[leaf].path, def, rep, cw->max_def, cw->max_rep));
	if ((value != NULL) != (def == cw->max_def))
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
									  "column \"%s\": a value must be given exactly when def is %d",
									  w->schema.leaves[leaf].path, cw->max_def));
	if (rep == 0 && cw->rows != w->rg_rows)
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
									  "column \"%s\": a second record (rep 0) in row %lld",
									  w->schema.leaves[leaf].path, (long long) w->num_rows));
	if (rep > 0 && cw->rows != w->rg_rows + 1)
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
									  "column \"%s\": row %lld starts with repetition level %d, not 0",
									  w->schema.leaves[leaf].path, (long long) w->num_rows, rep));
	if (value != NULL)
	{
		st = check_value(w, leaf, value, err);
		if (st != LAKE_OK)
			return fail(w, st);
	}
	return fail(w, parquet_column_writer_append(cw, def, rep, value, err));
}

/* rows between checks of the row-group byte bound in parquet_writer_write_rows */
#define WRITE_ROWS_STEP 1024

static LakeStatus flush_row_group(ParquetWriter *w, LakeError *err);

LakeStatus
parquet_writer_write_rows(ParquetWriter *w, const ParquetValue *const *values, const bool *const *nulls,
						  size_t num_rows, LakeError *err)
{
	int			nleaves;
	int			j;
	size_t		done = 0;
	LakeStatus	st;

	st = check_writable(w, 0, err);
	if (st != LAKE_OK)
		return fail(w, st);
	if (num_rows == 0)
		return LAKE_OK;
	if (values == NULL)
		return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "parquet_writer_write_rows needs value arrays"));
	nleaves = w->schema.num_leaves;
	for (j = 0; j < nleaves; j++)
	{
		ColumnWriter *cw = &w->columns[j];
		const bool *nl = nulls != NULL ? nulls[j] : NULL;
		size_t		r;

		if (cw->max_rep > 0)
			return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
										  "column \"%s\" is repeated: write it with parquet_writer_write_levels",
										  w->schema.leaves[j].path));
		if (cw->rows != w->rg_rows)
			return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\" already has a value for row %lld",
										  w->schema.leaves[j].path, (long long) w->num_rows));
		if (values[j] == NULL)
			return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\": no values given",
										  w->schema.leaves[j].path));
		for (r = 0; nl != NULL && cw->max_def == 0 && r < num_rows; r++)
		{
			if (nl[r])
				return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "null value for required column \"%s\"",
											  w->schema.leaves[j].path));
		}
		if (cw->type == PQ_BYTE_ARRAY)
		{
			/* the common case without a call per value; check_value says what is wrong */
			for (r = 0; r < num_rows; r++)
			{
				const ParquetBytes *b = &values[j][r].bytes;

				if ((nl == NULL || !nl[r]) &&
					(b->len > MAX_VALUE_BYTES || (b->len > 0 && b->ptr == NULL)))
					return fail(w, check_value(w, j, &values[j][r], err));
			}
		}
		else if (cw->type == PQ_FIXED_LEN_BYTE_ARRAY || cw->type == PQ_INT96)
		{
			for (r = 0; r < num_rows; r++)
			{
				if (nl != NULL && nl[r])
					continue;
				st = check_value(w, j, &values[j][r], err);
				if (st != LAKE_OK)
					return fail(w, st);
			}
		}
	}

	while (done < num_rows)
	{
		size_t		n = num_rows - done;

		if (n > WRITE_ROWS_STEP)
			n = WRITE_ROWS_STEP;
		if (w->opts.row_group_rows > 0 && (int64_t) n > w->opts.row_group_rows - w->rg_rows)
			n = (size_t) (w->opts.row_group_rows - w->rg_rows);
		for (j = 0; j < nleaves; j++)
		{
			const bool *nl = nulls != NULL && nulls[j] != NULL ? nulls[j] + done : NULL;

			st = parquet_column_writer_append_batch(&w->columns[j], values[j] + done, nl, n, err);
			if (st != LAKE_OK)
			{
				lake_error_prefix(err, "column \"%s\": ", w->schema.leaves[j].path);
				return fail(w, st);
			}
		}
		w->rg_rows += (int64_t) n;
		w->num_rows += (int64_t) n;
		done += n;
		if ((w->opts.row_group_rows > 0 && w->rg_rows >= w->opts.row_group_rows) ||
			w->shared.buffered >= w->opts.row_group_bytes)
		{
			st = flush_row_group(w, err);
			if (st != LAKE_OK)
				return fail(w, st);
		}
	}
	return LAKE_OK;
}

/* ----------------------------------------------------------- row groups */

static bool
is_bytes_type(ParquetPhysicalType t)
{
	return t == PQ_BYTE_ARRAY || t == PQ_FIXED_LEN_BYTE_ARRAY || t == PQ_INT96;
}

static LakeStatus
stat_bytes(ParquetWriter *w, const ParquetSchemaElement *e, const ParquetValue *v, ParquetBytes *out,
		   LakeError *err)
{
	uint8_t		small[16];
	size_t		len = parquet_value_to_stat(e, v, small, sizeof(small));
	uint8_t    *p = lake_alloc(&w->arena_alloc, len, err);

	if (p == NULL)
		return LAKE_ERROR_NOMEM;
	if (len <= sizeof(small))
		memcpy(p, small, len);
	else
		parquet_value_to_stat(e, v, p, len);
	out->ptr = p;
	out->len = (uint32_t) len;
	return LAKE_OK;
}

static LakeStatus
copy_value(LakeBuffer *buf, ParquetValue *dst, const ParquetValue *src, bool bytes, LakeError *err)
{
	if (!bytes)
	{
		*dst = *src;
		return LAKE_OK;
	}
	lake_buffer_reset(buf);
	if (lake_buffer_append(buf, src->bytes.ptr, src->bytes.len, err) != LAKE_OK)
		return LAKE_ERROR_NOMEM;
	dst->bytes.ptr = buf->data;
	dst->bytes.len = src->bytes.len;
	return LAKE_OK;
}

static LakeStatus
merge_file_stats(ParquetWriter *w, int leaf, const ColumnChunkResult *res, LakeError *err)
{
	LeafFileStats *fs = &w->file_stats[leaf];
	const ParquetSchemaElement *e = w->schema.leaves[leaf].element;
	bool		bytes = is_bytes_type(e->type);
	LakeStatus	st;

	fs->null_count += res->null_count;
	if (!res->has_min_max)
		return LAKE_OK;
	if (!fs->has_min_max)
	{
		st = copy_value(&fs->min_buf, &fs->min, res->min, bytes, err);
		if (st == LAKE_OK)
			st = copy_value(&fs->max_buf, &fs->max, res->max, bytes, err);
		fs->has_min_max = st == LAKE_OK;
		return st;
	}
	if (parquet_value_compare(e, res->min, &fs->min) < 0)
	{
		st = copy_value(&fs->min_buf, &fs->min, res->min, bytes, err);
		if (st != LAKE_OK)
			return st;
	}
	if (parquet_value_compare(e, res->max, &fs->max) > 0)
	{
		st = copy_value(&fs->max_buf, &fs->max, res->max, bytes, err);
		if (st != LAKE_OK)
			return st;
	}
	return LAKE_OK;
}

static LakeStatus
flush_row_group(ParquetWriter *w, LakeError *err)
{
	ParquetRowGroup *rg;
	int			nleaves = w->schema.num_leaves;
	int			i;
	LakeStatus	st;

	if (w->rg_rows == 0)
		return LAKE_OK;
	if (w->num_row_groups == w->row_groups_cap)
	{
		int			cap = w->row_groups_cap < 8 ? 8 : w->row_groups_cap * 2;
		ParquetRowGroup *n = lake_alloc_array(w->alloc, cap, sizeof(ParquetRowGroup), err);

		if (n == NULL)
			return LAKE_ERROR_NOMEM;
		if (w->num_row_groups > 0)
			memcpy(n, w->row_groups, sizeof(ParquetRowGroup) * w->num_row_groups);
		lake_free(w->alloc, w->row_groups);
		w->row_groups = n;
		w->row_groups_cap = cap;
	}
	rg = &w->row_groups[w->num_row_groups];
	memset(rg, 0, sizeof(*rg));
	rg->columns = lake_alloc0(&w->arena_alloc, sizeof(ParquetColumnChunk) * (size_t) nleaves, err);
	if (rg->columns == NULL)
		return LAKE_ERROR_NOMEM;
	rg->num_columns = nleaves;
	rg->num_rows = w->rg_rows;

	for (i = 0; i < nleaves; i++)
	{
		ColumnWriter *cw = &w->columns[i];
		ParquetColumnChunk *cc = &rg->columns[i];
		ParquetColumnMetaData *md = &cc->meta_data;
		const ParquetSchemaElement *e = w->schema.leaves[i].element;
		ColumnChunkResult res;

		st = parquet_column_writer_write_chunk(cw, w->out, &res, err);
		if (st != LAKE_OK)
		{
			lake_error_prefix(err, "column \"%s\": ", w->schema.leaves[i].path);
			return st;
		}
		cc->file_path = NULL;
		cc->file_offset = res.start_offset;
		cc->has_meta_data = true;
		md->type = e->type;
		md->encodings = lake_alloc_array(&w->arena_alloc, res.num_encodings, sizeof(int32_t), err);
		if (md->encodings == NULL)
			return LAKE_ERROR_NOMEM;
		memcpy(md->encodings, res.encodings, sizeof(int32_t) * res.num_encodings);
		md->num_encodings = res.num_encodings;
		md->path_in_schema = w->paths[i];
		md->path_len = w->path_lens[i];
		md->codec = w->opts.codec;
		md->num_values = res.num_values;
		md->total_uncompressed_size = res.total_uncompressed_size;
		md->total_compressed_size = res.total_compressed_size;
		md->data_page_offset = res.data_page_offset;
		md->has_dictionary_page_offset = res.has_dictionary_page;
		md->dictionary_page_offset = res.dictionary_page_offset;
		md->has_statistics = true;
		md->statistics.has_null_count = true;
		md->statistics.null_count = res.null_count;
		if (res.has_min_max && cw->sort != PQ_SORT_INT96 && cw->sort != PQ_SORT_NONE)
		{
			st = stat_bytes(w, e, res.min, &md->statistics.min, err);
			if (st == LAKE_OK)
				st = stat_bytes(w, e, res.max, &md->statistics.max, err);
			if (st != LAKE_OK)
				return st;
			md->statistics.has_min = md->statistics.has_max = true;
		}
		st = merge_file_stats(w, i, &res, err);
		if (st != LAKE_OK)
			return st;

		if (i == 0)
		{
			rg->has_file_offset = true;
			rg->file_offset = res.start_offset;
		}
		rg->total_byte_size += res.total_uncompressed_size;
		rg->total_compressed_size += res.total_compressed_size;
	}
	rg->has_total_compressed_size = true;
	if (w->num_row_groups <= INT16_MAX)
	{
		rg->has_ordinal = true;
		rg->ordinal = (int16_t) w->num_row_groups;
	}
	w->num_row_groups++;
	for (i = 0; i < nleaves; i++)
		parquet_column_writer_reset(&w->columns[i]);
	w->shared.buffered = 0;
	w->rg_rows = 0;
	return LAKE_OK;
}

LakeStatus
parquet_writer_end_row(ParquetWriter *w, LakeError *err)
{
	int			i;

	if (w->failed || w->finished)
		return check_writable(w, 0, err);
	for (i = 0; i < w->schema.num_leaves; i++)
	{
		if (w->columns[i].rows != w->rg_rows + 1)
			return fail(w, lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\" has no value for row %lld",
										  w->schema.leaves[i].path, (long long) w->num_rows));
	}
	w->rg_rows++;
	w->num_rows++;
	if ((w->opts.row_group_rows > 0 && w->rg_rows >= w->opts.row_group_rows) ||
		w->shared.buffered >= w->opts.row_group_bytes)
		return fail(w, flush_row_group(w, err));
	return LAKE_OK;
}

/* --------------------------------------------------------------- footer */

LakeStatus
parquet_writer_finish(ParquetWriter *w, LakeError *err)
{
	ParquetFileMetaData *md = &w->md;
	uint8_t		tail[8];
	uint32_t	len;
	LakeStatus	st;
	int			i;

	if (w->failed || w->finished)
		return check_writable(w, 0, err);
	for (i = 0; i < w->schema.num_leaves; i++)
	{
		if (w->columns[i].rows != w->rg_rows)
			return fail(w, lake_error_set(err, LAKE_ERROR_INVALID,
										  "column \"%s\" has values for row %lld, which was not ended",
										  w->schema.leaves[i].path, (long long) w->num_rows));
	}
	st = flush_row_group(w, err);
	if (st != LAKE_OK)
		return fail(w, st);

	memset(md, 0, sizeof(*md));
	md->version = 1;
	md->schema = w->elements;
	md->num_schema = w->num_elements;
	md->num_rows = w->num_rows;
	md->row_groups = w->row_groups;
	md->num_row_groups = w->num_row_groups;
	md->key_value = (ParquetKeyValue *) w->opts.key_value;
	md->num_key_value = w->opts.num_key_value;
	md->created_by = (char *) w->opts.created_by;
	md->has_column_orders = true;

	lake_buffer_reset(&w->footer);
	st = parquet_metadata_encode(md, &w->footer, err);
	if (st != LAKE_OK)
		return fail(w, st);
	if (w->footer.len > UINT32_MAX)
		return fail(w, lake_error_set(err, LAKE_ERROR_LIMIT, "footer of %zu bytes is too large", w->footer.len));
	len = (uint32_t) w->footer.len;
	memcpy(tail, &len, 4);
	memcpy(tail + 4, "PAR1", 4);
	st = lake_output_write(w->out, w->footer.data, w->footer.len, err);
	if (st == LAKE_OK)
		st = lake_output_write(w->out, tail, 8, err);
	if (st != LAKE_OK)
		return fail(w, st);
	w->finished = true;
	return LAKE_OK;
}

const ParquetFileMetaData *
parquet_writer_metadata(const ParquetWriter *w)
{
	return w->finished ? &w->md : NULL;
}

int64_t
parquet_writer_num_rows(const ParquetWriter *w)
{
	return w->num_rows;
}

void
parquet_writer_leaf_stats(const ParquetWriter *w, int leaf, bool *has_min_max, ParquetValue *min,
						  ParquetValue *max, int64_t *null_count)
{
	const LeafFileStats *fs;

	*has_min_max = false;
	*null_count = 0;
	memset(min, 0, sizeof(*min));
	memset(max, 0, sizeof(*max));
	if (leaf < 0 || leaf >= w->schema.num_leaves)
		return;
	fs = &w->file_stats[leaf];
	*null_count = fs->null_count;
	if (fs->has_min_max && w->columns[leaf].sort != PQ_SORT_INT96 && w->columns[leaf].sort != PQ_SORT_NONE)
	{
		*has_min_max = true;
		*min = fs->min;
		*max = fs->max;
	}
}

void
parquet_writer_destroy(ParquetWriter *w)
{
	int			i;

	if (w == NULL)
		return;
	for (i = 0; i < w->num_columns; i++)
		parquet_column_writer_free(&w->columns[i]);
	if (w->file_stats != NULL)
	{
		for (i = 0; i < w->schema.num_leaves; i++)
		{
			lake_buffer_free(&w->file_stats[i].min_buf);
			lake_buffer_free(&w->file_stats[i].max_buf);
		}
	}
	lake_free(w->alloc, w->columns);
	lake_free(w->alloc, w->file_stats);
	lake_free(w->alloc, w->row_groups);
	if (w->shared.alloc != NULL)
	{
		lake_buffer_free(&w->shared.page);
		lake_buffer_free(&w->shared.compressed);
		lake_buffer_free(&w->shared.header);
	}
	if (w->footer.alloc != NULL)
		lake_buffer_free(&w->footer);
	arena_destroy(w);
	lake_free(w->alloc, w);
}
