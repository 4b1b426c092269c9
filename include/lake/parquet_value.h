/*
 * parquet_value.h
 *	  One physical Parquet value, its type-defined sort order, and its
 *	  encoding in column statistics (min_value / max_value).
 */
#ifndef LAKE_PARQUET_VALUE_H
#define LAKE_PARQUET_VALUE_H

#include "lake/parquet_metadata.h"

typedef union ParquetValue
{
	bool		boolean;
	int32_t		i32;
	int64_t		i64;
	float		f32;
	double		f64;
	ParquetBytes bytes;			/* BYTE_ARRAY; FIXED_LEN_BYTE_ARRAY (len = type_length); INT96 (len 12) */
} ParquetValue;

/*
 * The order statistics of a leaf follow, from its physical and logical (or
 * converted) type.  PQ_SORT_NONE: no defined order (INTERVAL, unknown types):
 * min/max must not be used or written.
 */
typedef enum ParquetSortKind
{
	PQ_SORT_NONE = 0,
	PQ_SORT_BOOLEAN,			/* false < true */
	PQ_SORT_INT32,
	PQ_SORT_UINT32,				/* INTEGER(8/16/32, unsigned), UINT_8/16/32 */
	PQ_SORT_INT64,
	PQ_SORT_UINT64,				/* INTEGER(64, unsigned), UINT_64 */
	PQ_SORT_FLOAT,
	PQ_SORT_DOUBLE,
	PQ_SORT_FLOAT16,			/* FIXED_LEN_BYTE_ARRAY(2) little-endian half */
	PQ_SORT_BYTES,				/* unsigned lexicographic */
	PQ_SORT_DECIMAL_BYTES,		/* signed big-endian two's complement */
	PQ_SORT_INT96				/* compared as (julian day, nanos); never trusted in stats */
} ParquetSortKind;

extern ParquetSortKind parquet_value_sort_kind(const ParquetSchemaElement *leaf);

/*
 * Compare two values of a leaf by the type-defined order of the Parquet spec:
 * signed for INT32/INT64 (unsigned when the logical/converted type says so),
 * IEEE for FLOAT/DOUBLE, unsigned lexicographic bytes for BYTE_ARRAY and
 * FIXED_LEN_BYTE_ARRAY, except DECIMAL in bytes, compared as signed
 * big-endian integers.  Returns <0, 0, >0.
 *
 * Floating point: -0.0 and +0.0 compare equal; NaN compares equal to NaN and
 * greater than every other value (a total order, so sorting is safe; writers
 * leave NaN out of min/max and readers must not compare NaN against stats).
 */
extern int	parquet_value_compare(const ParquetSchemaElement *leaf, const ParquetValue *a, const ParquetValue *b);

/*
 * True if the min/max of these statistics can be trusted for skipping:
 * false when either is absent, for INT96, for legacy (deprecated min/max)
 * statistics on types whose order is not signed-numeric (so also unsigned
 * integers), and for a sort order we do not know.  The null count does not
 * depend on an order: use it whenever has_null_count is set.
 */
extern bool parquet_value_stats_usable(const ParquetSchemaElement *leaf, const ParquetStatistics *stats);

/*
 * Decode a statistics byte string into a value (bytes borrowed from stat).
 * False when its length does not fit the type (then it must not be used).
 * A NaN float/double min or max also returns false.
 */
extern bool parquet_value_from_stat(const ParquetSchemaElement *leaf, ParquetBytes stat, ParquetValue *out);

/*
 * Encode a value as a statistics byte string (its PLAIN encoding: little
 * endian numbers, 1 byte for BOOLEAN, the raw bytes otherwise) into buf;
 * returns its length.  When that exceeds buf_size nothing is written (call
 * again with a buffer of the returned length); 8 bytes always suffice for
 * BOOLEAN, INT32, INT64, FLOAT and DOUBLE.
 */
extern size_t parquet_value_to_stat(const ParquetSchemaElement *leaf, const ParquetValue *value,
									uint8_t *buf, size_t buf_size);

#endif							/* LAKE_PARQUET_VALUE_H */
