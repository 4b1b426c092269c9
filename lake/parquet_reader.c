/*
 * parquet_reader.c
 *	  Opening a Parquet file (magic, footer, schema, chunk ranges checked
 *	  against the file size) and statistics pushdown over row groups.  Column
 *	  reading is in parquet_column_reader.c, record assembly of nested fields
 *	  in parquet_nested.c.
 */
#include "parquet_reader_internal.h"

#include <math.h>
#include <string.h>

#include "lake/compression.h"

#define DEFAULT_BUDGET ((uint64_t) 256 * 1024 * 1024)

void
parquet_reader_options_init(ParquetReaderOptions *opts)
{
	memset(opts, 0, sizeof(*opts));
	opts->memory_budget = DEFAULT_BUDGET;
}

void
parquet_reader_chunk_range(const ParquetColumnMetaData *cmd, uint64_t *start, uint64_t *len)
{
	int64_t		s = cmd->data_page_offset;

	/* a dictionary page comes first; some writers leave 0 for "none" */
	if (cmd->has_dictionary_page_offset && cmd->dictionary_page_offset > 0 &&
		cmd->dictionary_page_offset < s)
		s = cmd->dictionary_page_offset;
	*start = (uint64_t) s;
	*len = (uint64_t) cmd->total_compressed_size;
}

static LakeStatus
check_chunks(ParquetReader *r, LakeError *err)
{
	const ParquetFileMetaData *md = &r->md;
	int			g,
				c;

	if (md->num_rows < 0)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "file has %lld rows", (long long) md->num_rows);
	for (g = 0; g < md->num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &md->row_groups[g];

		if (rg->num_rows < 0)
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "row group %d has %lld rows",
								  g, (long long) rg->num_rows);
		if (rg->num_columns != r->schema.num_leaves)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "row group %d has %d column chunks, the schema %d leaf columns",
								  g, rg->num_columns, r->schema.num_leaves);
		for (c = 0; c < rg->num_columns; c++)
		{
			const ParquetColumnChunk *cc = &rg->columns[c];
			const ParquetColumnMetaData *cmd = &cc->meta_data;
			const ParquetLeaf *leaf = &r->schema.leaves[c];
			uint64_t	start,
						len;

			if (!cc->has_meta_data)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "row group %d, column \"%s\" has no metadata", g, leaf->path);
			if (cc->file_path != NULL)
				continue;		/* refused when read */
			if (cmd->type != leaf->element->type)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "row group %d, column \"%s\": chunk type %s differs from the schema's %s",
									  g, leaf->path, parquet_physical_type_name(cmd->type),
									  parquet_physical_type_name(leaf->element->type));
			if (cmd->num_values < 0 || cmd->total_compressed_size < 0 || cmd->data_page_offset < 0)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "row group %d, column \"%s\": negative count, size or offset",
									  g, leaf->path);
			if (leaf->max_rep == 0 && cmd->num_values != rg->num_rows)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "row group %d, column \"%s\" has %lld values for %lld rows",
									  g, leaf->path, (long long) cmd->num_values, (long long) rg->num_rows);
			parquet_reader_chunk_range(cmd, &start, &len);
			if (start < 4 || start > r->footer_start || len > r->footer_start - start)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "row group %d, column \"%s\": chunk of %llu bytes at offset %llu lies outside the data of the file (%llu bytes)",
									  g, leaf->path, (unsigned long long) len, (unsigned long long) start,
									  (unsigned long long) r->footer_start);
		}
	}
	return LAKE_OK;
}

LakeStatus
parquet_reader_open(const LakeAllocator *a, LakeInput *in, const char *name,
					const ParquetReaderOptions *opts, ParquetReader **out, LakeError *err)
{
	ParquetReader *r;
	uint8_t		tail[8];
	uint8_t		head[4];
	uint32_t	footer_len;
	uint8_t    *footer;
	LakeStatus	st;

	*out = NULL;
	if (name == NULL)
		name = "(input)";
	r = lake_alloc0(a, sizeof(ParquetReader), err);
	if (r == NULL)
		return LAKE_ERROR_NOMEM;
	r->alloc = a;
	r->in = in;
	r->budget = (opts != NULL && opts->memory_budget > 0) ? opts->memory_budget : DEFAULT_BUDGET;
	r->name = lake_strndup(a, name, strlen(name), err);
	if (r->name == NULL)
	{
		lake_free(a, r);
		return LAKE_ERROR_NOMEM;
	}

	if (in->size < 12)
	{
		st = lake_error_set(err, LAKE_ERROR_CORRUPT, "file of %llu bytes is too small to be Parquet",
							(unsigned long long) in->size);
		goto fail;
	}
	st = lake_input_read(in, 0, 4, head, err);
	if (st == LAKE_OK)
		st = lake_input_read(in, in->size - 8, 8, tail, err);
	if (st != LAKE_OK)
		goto fail;
	if (memcmp(tail + 4, "PARE", 4) == 0)
	{
		st = lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "encrypted Parquet files are not supported");
		goto fail;
	}
	if (memcmp(head, "PAR1", 4) != 0 || memcmp(tail + 4, "PAR1", 4) != 0)
	{
		st = lake_error_set(err, LAKE_ERROR_CORRUPT, "not a Parquet file (magic \"PAR1\" missing at %s)",
							memcmp(head, "PAR1", 4) != 0 ? "the start" : "the end");
		goto fail;
	}
	footer_len = (uint32_t) tail[0] | ((uint32_t) tail[1] << 8) | ((uint32_t) tail[2] << 16) |
		((uint32_t) tail[3] << 24);
	if (footer_len == 0 || footer_len > in->size - 12)
	{
		st = lake_error_set(err, LAKE_ERROR_CORRUPT, "footer length %u does not fit a file of %llu bytes",
							footer_len, (unsigned long long) in->size);
		goto fail;
	}
	r->footer_start = in->size - 8 - footer_len;
	footer = lake_alloc(a, footer_len, err);
	if (footer == NULL)
	{
		st = LAKE_ERROR_NOMEM;
		goto fail;
	}
	st = lake_input_read(in, r->footer_start, footer_len, footer, err);
	if (st == LAKE_OK)
	{
		st = parquet_metadata_decode(a, footer, footer_len, &r->md, err);
		if (st != LAKE_OK)
			lake_error_prefix(err, "footer at offset %llu: ", (unsigned long long) r->footer_start);
	}
	lake_free(a, footer);
	if (st != LAKE_OK)
		goto fail;
	st = parquet_schema_build(a, r->md.schema, r->md.num_schema, &r->schema, err);
	if (st != LAKE_OK)
	{
		lake_error_prefix(err, "schema: ");
		goto fail;
	}
	st = check_chunks(r, err);
	if (st != LAKE_OK)
		goto fail;
	*out = r;
	return LAKE_OK;

fail:
	lake_error_prefix(err, "file \"%s\": ", r->name);
	parquet_schema_free(a, &r->schema);
	parquet_metadata_free(a, &r->md);
	lake_free(a, r->name);
	lake_free(a, r);
	return st;
}

void
parquet_reader_close(ParquetReader *r)
{
	if (r == NULL)
		return;
	parquet_schema_free(r->alloc, &r->schema);
	parquet_metadata_free(r->alloc, &r->md);
	lake_free(r->alloc, r->name);
	lake_free(r->alloc, r);
}

const ParquetFileMetaData *
parquet_reader_metadata(const ParquetReader *r)
{
	return &r->md;
}

const ParquetSchema *
parquet_reader_schema(const ParquetReader *r)
{
	return &r->schema;
}

/* ------------------------------------------------------------- pushdown */

static bool
value_is_nan(const ParquetSchemaElement *el, const ParquetValue *v)
{
	if (el->type == PQ_FLOAT)
		return isnan(v->f32);
	if (el->type == PQ_DOUBLE)
		return isnan(v->f64);
	return false;
}

/* False only if the statistics prove no row satisfies pred. */
static bool
predicate_may_match(const ParquetReader *r, const ParquetRowGroup *rg, const ParquetPredicate *p)
{
	const ParquetLeaf *leaf;
	const ParquetSchemaElement *el;
	const ParquetColumnMetaData *cmd;
	const ParquetStatistics *st;
	ParquetValue min,
				max;
	bool		have_min = false,
				have_max = false;
	bool		all_null;
	bool		is_float;
	int			i;

	if (p->leaf < 0 || p->leaf >= r->schema.num_leaves || p->leaf >= rg->num_columns)
		return true;
	leaf = &r->schema.leaves[p->leaf];
	if (leaf->max_rep > 0)
		return true;
	el = leaf->element;
	cmd = &rg->columns[p->leaf].meta_data;
	if (!rg->columns[p->leaf].has_meta_data || !cmd->has_statistics)
		return true;
	st = &cmd->statistics;
	all_null = st->has_null_count && st->null_count >= rg->num_rows;

	switch (p->op)
	{
		case LAKE_OP_IS_NULL:
			return !(st->has_null_count && st->null_count == 0);
		case LAKE_OP_IS_NOT_NULL:
			return !all_null;
		default:
			break;
	}
	/* a comparison is never true of NULL */
	if (all_null)
		return false;
	if (p->op == LAKE_OP_IN && p->num_values == 0)
		return false;			/* x IN () is never true */
	if (p->values == NULL)
		return true;
	if (p->op != LAKE_OP_IN && p->num_values < 1)
		return true;
	if (!parquet_value_stats_usable(el, st))
		return true;
	if (st->has_min && parquet_value_from_stat(el, st->min, &min))
		have_min = true;
	if (st->has_max && parquet_value_from_stat(el, st->max, &max))
		have_max = true;
	/*
	 * Writers leave NaN out of float statistics, and NaN sorts above every
	 * number in SQL: a maximum does not bound FLOAT/DOUBLE values from above.
	 */
	is_float = el->type == PQ_FLOAT || el->type == PQ_DOUBLE;
	if (is_float)
	{
		int			n = p->op == LAKE_OP_IN ? p->num_values : 1;

		for (i = 0; i < n; i++)
			if (value_is_nan(el, &p->values[i]))
				return true;
	}

	switch (p->op)
	{
		case LAKE_OP_EQ:
			if (have_min && parquet_value_compare(el, &p->values[0], &min) < 0)
				return false;
			if (have_max && parquet_value_compare(el, &p->values[0], &max) > 0)
				return false;
			return true;
		case LAKE_OP_LT:
			return !(have_min && parquet_value_compare(el, &min, &p->values[0]) >= 0);
		case LAKE_OP_LE:
			return !(have_min && parquet_value_compare(el, &min, &p->values[0]) > 0);
		case LAKE_OP_GT:
			if (is_float)
				return true;
			return !(have_max && parquet_value_compare(el, &max, &p->values[0]) <= 0);
		case LAKE_OP_GE:
			if (is_float)
				return true;
			return !(have_max && parquet_value_compare(el, &max, &p->values[0]) < 0);
		case LAKE_OP_IN:
			for (i = 0; i < p->num_values; i++)
			{
				if (have_min && parquet_value_compare(el, &p->values[i], &min) < 0)
					continue;
				if (have_max && parquet_value_compare(el, &p->values[i], &max) > 0)
					continue;
				return true;
			}
			return false;
		default:
			return true;
	}
}

bool
parquet_reader_row_group_may_match(const ParquetReader *r, int row_group,
								   const ParquetPredicate *preds, int num_preds)
{
	const ParquetRowGroup *rg;
	int			i;

	if (r == NULL || row_group < 0 || row_group >= r->md.num_row_groups)
		return true;
	rg = &r->md.row_groups[row_group];
	if (rg->num_rows == 0)
		return false;
	for (i = 0; i < num_preds; i++)
		if (!predicate_may_match(r, rg, &preds[i]))
			return false;
	return true;
}
