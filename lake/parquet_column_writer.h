/*
 * parquet_column_writer.h
 *	  Internal to the Parquet writer (lake/parquet_writer.c): one leaf
 *	  column's state while a row group is buffered: the current page's levels
 *	  and values, the chunk's dictionary and encoded pages, and the chunk's
 *	  statistics.
 */
#ifndef LAKE_PARQUET_COLUMN_WRITER_H
#define LAKE_PARQUET_COLUMN_WRITER_H

#include "lake/parquet_writer.h"
#include "lake/rle.h"

/* What all column writers of one file share: settings and scratch buffers. */
typedef struct ColumnWriterShared
{
	const LakeAllocator *alloc;
	ParquetCodec codec;
	int			compression_level;
	uint64_t	page_bytes;
	bool		dictionary;
	uint64_t	dictionary_bytes;
	uint64_t	buffered;		/* bytes held by all column writers for the row group */
	LakeBuffer	page;			/* the page being encoded (uncompressed) */
	LakeBuffer	compressed;		/* the page after compression */
	LakeBuffer	header;			/* a page header */
} ColumnWriterShared;

/*
 * A slot of the dictionary's hash table (open addressing, linear probing,
 * a power-of-two size at most half full).
 */
typedef struct DictSlot
{
	uint64_t	key;			/* the value itself (fixed width <= 8), else its 64-bit hash */
	uint32_t	index1;			/* entry index + 1; 0: empty */
	uint32_t	len;			/* BYTE_ARRAY: the value's length */
} DictSlot;

typedef struct ColumnWriter
{
	/* fixed for the writer's life */
	ColumnWriterShared *shared; /* borrowed */
	const ParquetSchemaElement *element;	/* borrowed */
	ParquetPhysicalType type;
	int			width;			/* bytes of a fixed-width value; 0 for BYTE_ARRAY */
	bool		key_is_value;	/* width 2..8: dictionary keys are the values themselves */
	int16_t		max_def;
	int16_t		max_rep;
	ParquetSortKind sort;

	/* the current page */
	int16_t    *def;			/* NULL when max_def == 0; filled only once the page has a null */
	int16_t    *rep;			/* NULL when max_rep == 0 */
	size_t		num_levels;
	size_t		levels_cap;
	size_t		page_nulls;		/* entries with def < max_def (until one, def[] is not kept) */
	LakeBuffer	values;			/* PLAIN values (BOOLEAN: one byte each) */
	uint32_t   *indices;		/* dictionary indices */
	size_t		num_indices;
	size_t		indices_cap;
	size_t		page_values;	/* non-null values */
	uint64_t	page_plain_bytes;	/* their PLAIN size */
	uint64_t	page_est;		/* estimated encoded size */

	/* the column chunk of the current row group */
	LakeBuffer	chunk;			/* encoded data pages (headers and payloads) */
	int64_t		rows;			/* records begun */
	int64_t		chunk_levels;	/* level entries in finished pages */
	int64_t		chunk_nulls;	/* entries with def < max_def, all pages */
	int64_t		chunk_uncompressed; /* headers + uncompressed payloads */
	int			chunk_pages;
	bool		dict_active;	/* values go to the dictionary */
	bool		dict_full;		/* switch to PLAIN at the next record */
	bool		dict_hopeless;	/* nearly every value of the first page is new: give up */
	bool		dict_pages;		/* a data page of this chunk uses the dictionary */
	bool		plain_pages;	/* a data page of this chunk is PLAIN */

	/* the dictionary: PLAIN-encoded entries and an open-addressing hash table */
	LakeBuffer	dict_data;
	uint32_t   *dict_offsets;	/* BYTE_ARRAY: offset of each entry's length prefix */
	uint32_t	dict_count;
	uint32_t	dict_entries_cap;	/* of dict_offsets */
	DictSlot   *slots;
	uint32_t	slot_mask;
	int			slot_shift;		/* 64 - log2(slots) */

	/* chunk statistics */
	bool		has_min_max;
	ParquetValue min;
	ParquetValue max;
	LakeBuffer	min_buf;		/* bytes of min / max for byte types */
	LakeBuffer	max_buf;
} ColumnWriter;

/* Where a chunk went, for its ColumnMetaData (pointers valid until the next reset). */
typedef struct ColumnChunkResult
{
	int64_t		start_offset;
	bool		has_dictionary_page;
	int64_t		dictionary_page_offset;
	int64_t		data_page_offset;
	int64_t		num_values;
	int64_t		null_count;
	int64_t		total_uncompressed_size;
	int64_t		total_compressed_size;
	int32_t		encodings[4];
	int			num_encodings;
	bool		has_min_max;
	const ParquetValue *min;
	const ParquetValue *max;
} ColumnChunkResult;

extern LakeStatus parquet_column_writer_init(ColumnWriter *cw, ColumnWriterShared *shared,
											 const ParquetLeaf *leaf, LakeError *err);

/*
 * Append one level entry (value non-NULL iff def == max_def; the caller has
 * checked levels and the value's size).
 */
extern LakeStatus parquet_column_writer_append(ColumnWriter *cw, int16_t def, int16_t rep,
											   const ParquetValue *value, LakeError *err);

/*
 * Append n records of a leaf that is not repeated: values[i], or null when
 * nulls != NULL and nulls[i] (the caller has checked nulls against max_def
 * and the values' sizes).  The fast path: type-specialised loops.
 */
extern LakeStatus parquet_column_writer_append_batch(ColumnWriter *cw, const ParquetValue *values,
													 const bool *nulls, size_t n, LakeError *err);

/* Flush the last page and write the chunk (dictionary page, data pages) to out. */
extern LakeStatus parquet_column_writer_write_chunk(ColumnWriter *cw, LakeOutput *out,
													ColumnChunkResult *res, LakeError *err);

/* Start the next row group's chunk; keeps memory. */
extern void parquet_column_writer_reset(ColumnWriter *cw);
extern void parquet_column_writer_free(ColumnWriter *cw);

#endif							/* LAKE_PARQUET_COLUMN_WRITER_H */
