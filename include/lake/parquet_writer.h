/*
 * parquet_writer.h
 *	  Writing Parquet files: a schema (flat or nested), values appended per
 *	  leaf with their levels, row groups bounded by size, dictionary encoding
 *	  with fallback to PLAIN, page compression, statistics, and a footer that
 *	  parquet-mr, arrow and DuckDB accept.
 */
#ifndef LAKE_PARQUET_WRITER_H
#define LAKE_PARQUET_WRITER_H

#include "lake/parquet_metadata.h"
#include "lake/parquet_schema.h"
#include "lake/parquet_value.h"

typedef struct ParquetWriter ParquetWriter;

typedef struct ParquetWriterOptions
{
	ParquetCodec codec;			/* default SNAPPY */
	int			compression_level;	/* 0: the codec's default */
	uint64_t	row_group_bytes;	/* close a row group when its buffered data reaches this; default 128 MiB (0: default) */
	int64_t		row_group_rows; /* ... or this many rows; default 1,048,576; 0 = unbounded */
	uint64_t	page_bytes;		/* target data page size (before compression); default 1 MiB (0: default) */
	bool		dictionary;		/* try dictionary encoding (not for BOOLEAN); default true */
	uint64_t	dictionary_bytes;	/* fall back to PLAIN once a chunk's dictionary exceeds this; default 1 MiB;
									 * 0 disables the dictionary; at most 1 GiB */
	const char *created_by;		/* default "iot_lakehouse" */
	const ParquetKeyValue *key_value;	/* extra footer metadata (copied) */
	int			num_key_value;
} ParquetWriterOptions;

extern void parquet_writer_options_init(ParquetWriterOptions *opts);

/*
 * Schema elements with every optional field absent (converted_type
 * PQ_CT_NONE, no logical type): set logical, type_length, ... afterwards.
 * name is borrowed until parquet_writer_open copies it.  The writer fills in
 * the converted type (and decimal scale/precision) equivalent to a logical
 * type when there is one and none was given, for older readers.
 */
extern ParquetSchemaElement parquet_writer_element_leaf(const char *name, ParquetRepetition repetition,
														ParquetPhysicalType type);
extern ParquetSchemaElement parquet_writer_element_group(const char *name, ParquetRepetition repetition,
														 int num_children);

/*
 * schema: depth-first element array, root first (copied).  The writer
 * writes through out (borrowed) and does not commit or close it.
 */
extern LakeStatus parquet_writer_open(const LakeAllocator *a, LakeOutput *out,
									  const ParquetSchemaElement *schema, int num_schema,
									  const ParquetWriterOptions *opts, ParquetWriter **w,
									  LakeError *err);
extern const ParquetSchema *parquet_writer_schema(const ParquetWriter *w);

/*
 * Columns that are not repeated: append the next row's value of a leaf
 * (value NULL for SQL NULL, written with def = max_def - 1, so only for a
 * leaf with max_def > 0).  Bytes are copied.  A FIXED_LEN_BYTE_ARRAY value
 * must have exactly type_length bytes, INT96 12.
 */
extern LakeStatus parquet_writer_write_value(ParquetWriter *w, int leaf, const ParquetValue *value,
											 LakeError *err);

/*
 * Any column: append one level entry; value is non-NULL iff def == max_def.
 * rep == 0 starts the row's record for this leaf (exactly one per row);
 * rep > 0 continues it.  Levels are range-checked, not checked for full
 * Dremel consistency with the schema: the caller produces valid levels.
 */
extern LakeStatus parquet_writer_write_levels(ParquetWriter *w, int leaf, int16_t def, int16_t rep,
											  const ParquetValue *value, LakeError *err);

/*
 * Many complete rows at once, column by column, for a schema without
 * repeated leaves: row r of leaf j is values[j][r], or null when nulls !=
 * NULL, nulls[j] != NULL and nulls[j][r].  No row may be partly written
 * before.  The rows are ended as parquet_writer_end_row does; a row group
 * closes exactly at row_group_rows (in the middle of the batch if need be),
 * while the row_group_bytes bound is checked every 1024 rows.  Bytes are
 * copied; the same checks as parquet_writer_write_value.  The fast path of
 * the writer: type-specialised loops, no per-value calls.
 */
extern LakeStatus parquet_writer_write_rows(ParquetWriter *w, const ParquetValue *const *values,
											const bool *const *nulls, size_t num_rows, LakeError *err);

/*
 * Close the current row (record).  Every leaf must have received the
 * row's entries.  Closes the row group when it reached its bounds.
 */
extern LakeStatus parquet_writer_end_row(ParquetWriter *w, LakeError *err);

/* Flush the last row group, write the footer and the closing magic. */
extern LakeStatus parquet_writer_finish(ParquetWriter *w, LakeError *err);

/* After finish: the footer as written (owned by the writer); NULL before. */
extern const ParquetFileMetaData *parquet_writer_metadata(const ParquetWriter *w);
extern int64_t parquet_writer_num_rows(const ParquetWriter *w);

/*
 * Whole-file statistics of a leaf (for Delta's add.stats): min/max over
 * all row groups (has_min_max false if every value was null or NaN, or the
 * type has no usable order: INT96, INTERVAL), and the null count (entries
 * with def < max_def).  Call after finish; bytes are owned by the writer and
 * valid until destroy.  Values are complete, never truncated.
 */
extern void parquet_writer_leaf_stats(const ParquetWriter *w, int leaf, bool *has_min_max,
									  ParquetValue *min, ParquetValue *max, int64_t *null_count);

/*
 * Free everything (also after an error).  After any error from a write,
 * end_row or finish the writer refuses further calls: destroy it and abort
 * the output.
 */
extern void parquet_writer_destroy(ParquetWriter *w);

#endif							/* LAKE_PARQUET_WRITER_H */
