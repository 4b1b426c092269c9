/*
 * fuzz_parquet_reader.c
 *	  libFuzzer harness for the Parquet reader of lake/: open the input as a
 *	  Parquet file from memory, then read every leaf column of every row
 *	  group (flat and nested leaves), assemble every nested field as JSON,
 *	  skip rows, and evaluate statistics predicates.
 *
 * Besides what the sanitizers catch, the harness checks the reader's
 * contract and traps when it is broken: a failure returns a status other
 * than LAKE_OK with a message; a batch holds no more values than levels,
 * exactly as many values as levels at max_def, levels within their bounds,
 * at most max_levels levels for a flat leaf, and a repeated leaf's batch
 * starts a record.  Every value byte is read, so a dangling or
 * out-of-bounds ParquetBytes shows up under ASan.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_common.h"
#include "lake/parquet_reader.h"

#define FUZZ_MAX_LEVELS 1024
#define FUZZ_MAX_ROWS 512
#define FUZZ_MEMORY_BUDGET (32u << 20)
/*
 * Stop reading after this many levels per input: a small file may claim
 * billions of (RLE-run) levels, which is slow but not a bug.
 */
#define FUZZ_LEVEL_BUDGET (1 << 22)

/*
 * The nested-field reader may land after the flat one: weak references let
 * the harness build (and skip nested fields) until it does.
 */
#pragma weak parquet_field_reader_open
#pragma weak parquet_field_reader_next
#pragma weak parquet_field_reader_close

/* Trap (a crash libFuzzer records) with a message naming the broken rule. */
#define FUZZ_ASSERT(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
			__builtin_trap(); \
		} \
	} while (0)

/* Defeats the optimiser: the sum of every value byte read. */
static volatile uint64_t fuzz_sink;

/* Levels (or rows) still to read for the current input. */
static int64_t fuzz_levels_left;

static void
check_failure(LakeStatus st, const LakeError *err)
{
	FUZZ_ASSERT(st != LAKE_OK);
	FUZZ_ASSERT(st != LAKE_ERROR_IO);	/* memory inputs do no I/O */
	FUZZ_ASSERT(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	FUZZ_ASSERT(err->message[0] != '\0');
}

static void
touch_values(const ParquetLeaf *leaf, const ParquetColumnBatch *b)
{
	uint64_t	sum = 0;
	ParquetPhysicalType type = leaf->element->type;

	if (b->num_values == 0)
		return;
	FUZZ_ASSERT(b->values != NULL);
	switch (type)
	{
		case PQ_BOOLEAN:
			for (size_t i = 0; i < b->num_values; i++)
				sum += ((const bool *) b->values)[i];
			break;
		case PQ_INT32:
		case PQ_FLOAT:
			for (size_t i = 0; i < b->num_values; i++)
				sum += ((const uint32_t *) b->values)[i];
			break;
		case PQ_INT64:
		case PQ_DOUBLE:
			for (size_t i = 0; i < b->num_values; i++)
				sum += ((const uint64_t *) b->values)[i];
			break;
		case PQ_INT96:
		case PQ_BYTE_ARRAY:
		case PQ_FIXED_LEN_BYTE_ARRAY:
			for (size_t i = 0; i < b->num_values; i++)
			{
				const ParquetBytes *v = &((const ParquetBytes *) b->values)[i];

				if (type == PQ_INT96)
					FUZZ_ASSERT(v->len == 12);
				else if (type == PQ_FIXED_LEN_BYTE_ARRAY)
					FUZZ_ASSERT(v->len == (uint32_t) leaf->element->type_length);
				FUZZ_ASSERT(v->len == 0 || v->ptr != NULL);
				for (uint32_t j = 0; j < v->len; j++)
					sum += v->ptr[j];
			}
			break;
	}
	fuzz_sink += sum;
}

static void
check_batch(const ParquetLeaf *leaf, const ParquetColumnBatch *b)
{
	size_t		defined = 0;

	FUZZ_ASSERT(b->num_values <= b->num_levels);
	if (leaf->max_rep == 0)
		FUZZ_ASSERT(b->num_levels <= FUZZ_MAX_LEVELS);
	if (leaf->max_def == 0)
		FUZZ_ASSERT(b->num_values == b->num_levels);
	else
	{
		FUZZ_ASSERT(b->def_levels != NULL);
		for (size_t i = 0; i < b->num_levels; i++)
		{
			FUZZ_ASSERT(b->def_levels[i] >= 0 && b->def_levels[i] <= leaf->max_def);
			if (b->def_levels[i] == leaf->max_def)
				defined++;
		}
		FUZZ_ASSERT(defined == b->num_values);
	}
	if (leaf->max_rep > 0)
	{
		FUZZ_ASSERT(b->rep_levels != NULL);
		FUZZ_ASSERT(b->rep_levels[0] == 0);
		for (size_t i = 0; i < b->num_levels; i++)
			FUZZ_ASSERT(b->rep_levels[i] >= 0 && b->rep_levels[i] <= leaf->max_rep);
	}
	touch_values(leaf, b);
}

/* Read a whole column chunk, optionally after skipping some rows first. */
static void
read_leaf(ParquetReader *r, int rg, int leaf_index, int64_t skip_rows)
{
	const ParquetSchema *schema = parquet_reader_schema(r);
	const ParquetLeaf *leaf = &schema->leaves[leaf_index];
	ParquetColumnReader *cr;
	ParquetColumnBatch batch;
	LakeError	err;
	LakeStatus	st;

	if (fuzz_levels_left <= 0)
		return;
	st = parquet_column_reader_open(r, rg, leaf_index, FUZZ_MAX_LEVELS, &cr, &err);
	if (st != LAKE_OK)
	{
		check_failure(st, &err);
		return;
	}
	if (skip_rows > 0)
	{
		st = parquet_column_reader_skip(cr, skip_rows, &err);
		if (st != LAKE_OK)
		{
			check_failure(st, &err);
			parquet_column_reader_close(cr);
			return;
		}
	}
	for (;;)
	{
		memset(&batch, 0, sizeof(batch));
		st = parquet_column_reader_next(cr, &batch, &err);
		if (st != LAKE_OK)
		{
			check_failure(st, &err);
			break;
		}
		if (batch.num_levels == 0)
			break;
		check_batch(leaf, &batch);
		fuzz_levels_left -= (int64_t) batch.num_levels;
		if (fuzz_levels_left <= 0)
			break;
	}
	parquet_column_reader_close(cr);
}

static void
read_field(ParquetReader *r, int rg, int field)
{
	ParquetFieldReader *fr;
	LakeError	err;
	LakeStatus	st;

	if (fuzz_levels_left <= 0 || parquet_field_reader_open == NULL)
		return;
	st = parquet_field_reader_open(r, rg, field, FUZZ_MAX_ROWS, &fr, &err);
	if (st != LAKE_OK)
	{
		check_failure(st, &err);
		return;
	}
	for (;;)
	{
		size_t		num_rows = 0;
		const LakeBuffer *json = NULL;
		const size_t *offsets = NULL;
		const bool *is_null = NULL;
		uint64_t	sum = 0;

		st = parquet_field_reader_next(fr, &num_rows, &json, &offsets, &is_null, &err);
		if (st != LAKE_OK)
		{
			check_failure(st, &err);
			break;
		}
		if (num_rows == 0)
			break;
		FUZZ_ASSERT(num_rows <= FUZZ_MAX_ROWS);
		FUZZ_ASSERT(json != NULL && offsets != NULL && is_null != NULL);
		for (size_t i = 0; i < num_rows; i++)
		{
			FUZZ_ASSERT(offsets[i] <= offsets[i + 1]);
			FUZZ_ASSERT(offsets[i + 1] <= json->len);
			if (is_null[i])
				continue;
			/* a JSON text is never empty */
			FUZZ_ASSERT(offsets[i + 1] > offsets[i]);
			for (size_t j = offsets[i]; j < offsets[i + 1]; j++)
				sum += json->data[j];
		}
		fuzz_sink += sum;
		fuzz_levels_left -= (int64_t) num_rows;
		if (fuzz_levels_left <= 0)
			break;
	}
	parquet_field_reader_close(fr);
}

/* Predicates of every kind on every non-repeated leaf: must not crash. */
static void
check_predicates(ParquetReader *r, int rg)
{
	const ParquetSchema *schema = parquet_reader_schema(r);
	ParquetValue values[2];
	static const uint8_t some_bytes[16] = "Room_A\0\0\0\0\0\0\0\0\0";

	for (int l = 0; l < schema->num_leaves; l++)
	{
		const ParquetLeaf *leaf = &schema->leaves[l];
		ParquetPredicate pred;

		if (leaf->max_rep > 0)
			continue;
		memset(values, 0, sizeof(values));
		switch (leaf->element->type)
		{
			case PQ_INT96:
				values[0].bytes.ptr = some_bytes;
				values[0].bytes.len = 12;
				break;
			case PQ_BYTE_ARRAY:
				values[0].bytes.ptr = some_bytes;
				values[0].bytes.len = 6;
				break;
			case PQ_FIXED_LEN_BYTE_ARRAY:
				if (leaf->element->type_length > (int32_t) sizeof(some_bytes))
					continue;
				values[0].bytes.ptr = some_bytes;
				values[0].bytes.len = (uint32_t) leaf->element->type_length;
				break;
			default:
				break;
		}
		values[1] = values[0];
		for (int op = LAKE_OP_EQ; op <= LAKE_OP_IS_NOT_NULL; op++)
		{
			pred.leaf = l;
			pred.op = (LakeCompareOp) op;
			pred.values = values;
			pred.num_values = op == LAKE_OP_IN ? 2 :
				(op == LAKE_OP_IS_NULL || op == LAKE_OP_IS_NOT_NULL) ? 0 : 1;
			fuzz_sink += parquet_reader_row_group_may_match(r, rg, &pred, 1);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	LakeInput	in;
	LakeError	err;
	LakeStatus	st;
	ParquetReaderOptions opts;
	ParquetReader *r;
	const ParquetFileMetaData *md;
	const ParquetSchema *schema;

	fuzz_levels_left = FUZZ_LEVEL_BUDGET;
	lake_input_open_memory(data, size, &in);
	parquet_reader_options_init(&opts);
	opts.memory_budget = FUZZ_MEMORY_BUDGET;
	st = parquet_reader_open(&lake_malloc_allocator, &in, "fuzz.parquet", &opts, &r, &err);
	if (st != LAKE_OK)
	{
		check_failure(st, &err);
		lake_input_close(&in);
		return 0;
	}
	md = parquet_reader_metadata(r);
	schema = parquet_reader_schema(r);
	FUZZ_ASSERT(md != NULL && schema != NULL);

	for (int rg = 0; rg < md->num_row_groups; rg++)
	{
		int64_t		rows = md->row_groups[rg].num_rows;

		for (int l = 0; l < schema->num_leaves; l++)
		{
			read_leaf(r, rg, l, 0);
			/* skipping: half the rows, then everything and one more */
			if (rows > 1)
				read_leaf(r, rg, l, rows / 2);
			if (rows >= 0 && rows < INT64_MAX)
				read_leaf(r, rg, l, rows + 1);
		}
		for (int f = 0; f < schema->num_fields; f++)
			if (schema->fields[f].is_nested)
				read_field(r, rg, f);
		check_predicates(r, rg);
	}

	parquet_reader_close(r);
	lake_input_close(&in);
	return 0;
}
