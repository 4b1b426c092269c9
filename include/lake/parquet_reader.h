/*
 * parquet_reader.h
 *	  Reading Parquet files: open a file (footer, schema), then read any leaf
 *	  column of any row group in batches of levels/values; row groups can be
 *	  ruled out by their statistics first.
 *
 * Every allocation is bounded by a trusted quantity: the batch size the
 * caller chose, or a page's compressed size times its codec's maximum
 * expansion, within the reader's memory budget.  Nothing is sized by a count
 * read from the file alone.
 */
#ifndef LAKE_PARQUET_READER_H
#define LAKE_PARQUET_READER_H

#include "lake/parquet_metadata.h"
#include "lake/parquet_schema.h"
#include "lake/parquet_value.h"

typedef struct ParquetReader ParquetReader;
typedef struct ParquetColumnReader ParquetColumnReader;

typedef struct ParquetReaderOptions
{
	uint64_t	memory_budget;	/* bytes one column reader may hold at once; 0 = 256 MiB */
} ParquetReaderOptions;

/*
 * One batch of a leaf column.  Values are dense: only non-null values are
 * stored (num_values of them), in the physical type:
 *   BOOLEAN bool; INT32 int32_t; INT64 int64_t; FLOAT float; DOUBLE double;
 *   INT96, BYTE_ARRAY, FIXED_LEN_BYTE_ARRAY ParquetBytes.
 * A level entry is a value when def_levels[i] == max_def (or when
 * def_levels is NULL, i.e. max_def == 0).  Everything in a batch, including
 * the bytes ParquetBytes point at, stays valid until the next call on the
 * same column reader.
 */
typedef struct ParquetColumnBatch
{
	size_t		num_levels;		/* 0 at the end of the column chunk */
	int16_t    *def_levels;		/* NULL when max_def == 0 */
	int16_t    *rep_levels;		/* NULL when max_rep == 0 */
	size_t		num_values;
	void	   *values;
} ParquetColumnBatch;

extern void parquet_reader_options_init(ParquetReaderOptions *opts);

/*
 * Open: check magic at both ends, read and decode the footer, resolve the
 * schema.  name is used in error messages ("file \"x\": ...").  The reader
 * borrows in; the caller closes it after parquet_reader_close.
 */
extern LakeStatus parquet_reader_open(const LakeAllocator *a, LakeInput *in, const char *name,
									  const ParquetReaderOptions *opts, ParquetReader **out,
									  LakeError *err);
extern void parquet_reader_close(ParquetReader *r);

extern const ParquetFileMetaData *parquet_reader_metadata(const ParquetReader *r);
extern const ParquetSchema *parquet_reader_schema(const ParquetReader *r);

/*
 * Read one leaf of one row group.  max_levels bounds every batch (the caller
 * sizes its own arrays by it).  For a leaf with max_rep > 0 a batch always
 * ends at a record boundary and holds at most max_levels levels and at least
 * one whole record (so a single huge record may exceed max_levels, within the
 * memory budget).  For a leaf with max_rep == 0 every batch holds exactly
 * max_levels levels except the last one of the chunk (which may be short),
 * so the flat columns of a row group read with the same max_levels stay
 * aligned batch by batch; then num_levels == 0 marks the end.  Opening
 * checks the chunk's codec (LAKE_ERROR_UNSUPPORTED) and max_levels against
 * the budget (LAKE_ERROR_LIMIT); pages are read and checked as the batches
 * need them, and a chunk whose pages hold more or fewer values than its
 * num_values is LAKE_ERROR_CORRUPT when that shows.
 */
extern LakeStatus parquet_column_reader_open(ParquetReader *r, int row_group, int leaf,
											 size_t max_levels, ParquetColumnReader **out,
											 LakeError *err);
extern LakeStatus parquet_column_reader_next(ParquetColumnReader *cr, ParquetColumnBatch *batch,
											 LakeError *err);
/*
 * Skip num_rows records (rows).  Decodes and discards; invalidates the last
 * batch.  Skipping past the end is not an error: the next batch is empty.
 */
extern LakeStatus parquet_column_reader_skip(ParquetColumnReader *cr, int64_t num_rows, LakeError *err);
extern void parquet_column_reader_close(ParquetColumnReader *cr);

/*
 * Statistics pushdown.  A predicate on one leaf (of a non-repeated field):
 * op with values in the leaf's physical representation (IN has n values).
 * parquet_reader_row_group_may_match returns false only when the row
 * group's statistics prove that no row satisfies all predicates.
 */
typedef enum LakeCompareOp
{
	LAKE_OP_EQ,
	LAKE_OP_LT,
	LAKE_OP_LE,
	LAKE_OP_GT,
	LAKE_OP_GE,
	LAKE_OP_IN,
	LAKE_OP_IS_NULL,
	LAKE_OP_IS_NOT_NULL
} LakeCompareOp;

typedef struct ParquetPredicate
{
	int			leaf;
	LakeCompareOp op;
	const ParquetValue *values;	/* 1 for comparisons, n for IN, 0 for IS [NOT] NULL */
	int			num_values;
} ParquetPredicate;

extern bool parquet_reader_row_group_may_match(const ParquetReader *r, int row_group,
											   const ParquetPredicate *preds, int num_preds);
/*
 * Notes on the pushdown: a row group of 0 rows never matches; a comparison or
 * IN never matches a row group whose null_count equals its row count; x IN ()
 * never matches.  For FLOAT/DOUBLE, GT and GE never skip (writers leave NaN,
 * which SQL sorts above every number, out of min/max), and a NaN predicate
 * value never skips.  Predicates on repeated leaves, or with a leaf out of
 * range, never skip.
 */

/*
 * Nested fields (groups, lists, maps) as JSON text per record: reads all
 * leaves of a top-level field and assembles each record as JSON (struct ->
 * object, LIST -> array, MAP -> object with string keys or an array of
 * {"key":..,"value":..} pairs otherwise).  Batches are aligned with flat
 * columns: each call yields up to max_rows records.
 */
typedef struct ParquetFieldReader ParquetFieldReader;

extern LakeStatus parquet_field_reader_open(ParquetReader *r, int row_group, int field,
											size_t max_rows, ParquetFieldReader **out, LakeError *err);
/*
 * Yields *num_rows (0 at end) records; record i is json->data[offsets[i]
 * .. offsets[i+1]) or SQL NULL when is_null[i].  Arrays owned by the field
 * reader, valid until the next call.  Every call but the last yields exactly
 * max_rows records.  The JSON is not NUL-terminated.  Values: numbers plain
 * (DECIMAL scaled, unsigned integers unsigned; float NaN/Infinity as the
 * strings "NaN", "Infinity", "-Infinity"), strings escaped (invalid UTF-8
 * replaced by U+FFFD; a NUL byte becomes \u0000), binary as "\\x<hex>"
 * (PostgreSQL's bytea text), DATE "YYYY-MM-DD", TIMESTAMP and INT96
 * "YYYY-MM-DDTHH:MM:SS.ffffff" (digits by unit; "Z" when adjusted to UTC;
 * INT96 always "Z"), TIME "HH:MM:SS.fff", UUID in its canonical form.  A
 * top-level field that is REPEATED (legacy) yields an array per record.
 */
extern LakeStatus parquet_field_reader_next(ParquetFieldReader *fr, size_t *num_rows,
											const LakeBuffer **json, const size_t **offsets,
											const bool **is_null, LakeError *err);
extern void parquet_field_reader_close(ParquetFieldReader *fr);

#endif							/* LAKE_PARQUET_READER_H */
