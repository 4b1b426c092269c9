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
	uint64_t	row_group_bytes;	/* close a row group when its buffered data reaches this; default 128 MiB */
	int64_t		row_group_rows; /* ... or this many rows; default 1,048,576; 0 = unbounded */
	uint64_t	page_bytes;		/* target data page size (before compression); default 1 MiB */
	bool		dictionary;		/* try dictionary encoding; default true */
	uint64_t	dictionary_bytes;	/* fall back to PLAIN once a chunk's dictionary exceeds this; default 1 MiB */
	const char *created_by;		/* default "iot_lakehouse" */
	const ParquetKeyValue *key_value;	/* extra footer metadata (copied) */
	int			num_key_value;
} ParquetWriterOptions;

extern void parquet_writer_options_init(ParquetWriterOptions *opts);

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
 * Flat columns: append the next row's value of a leaf (value NULL for SQL
 * NULL; only for an optional leaf).  Bytes are copied.
 */
extern LakeStatus parquet_writer_write_value(ParquetWriter *w, int leaf, const ParquetValue *value,
											 LakeError *err);

/* Any column: append one level entry; value is non-NULL iff def == max_def. */
extern LakeStatus parquet_writer_write_levels(ParquetWriter *w, int leaf, int16_t def, int16_t rep,
											  const ParquetValue *value, LakeError *err);

/*
 * Close the current row (record).  Every leaf must have received the
 * row's entries.  Closes the row group when it reached its bounds.
 */
extern LakeStatus parquet_writer_end_row(ParquetWriter *w, LakeError *err);

/* Flush the last row group, write the footer and the closing magic. */
extern LakeStatus parquet_writer_finish(ParquetWriter *w, LakeError *err);

/* After finish: the footer as written (owned by the writer). */
extern const ParquetFileMetaData *parquet_writer_metadata(const ParquetWriter *w);
extern int64_t parquet_writer_num_rows(const ParquetWriter *w);

/*
 * Whole-file statistics of a leaf (for Delta's add.stats): min/max over
 * all row groups (has_min_max false if every value was null or the type has
 * no usable order), and the null count.  Valid until destroy.
 */
extern void parquet_writer_leaf_stats(const ParquetWriter *w, int leaf, bool *has_min_max,
									  ParquetValue *min, ParquetValue *max, int64_t *null_count);

/* Free everything (also after an error). */
extern void parquet_writer_destroy(ParquetWriter *w);

#endif							/* LAKE_PARQUET_WRITER_H */
