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
 * Compare two values of a leaf by the type-defined order of the Parquet spec:
 * signed for INT32/INT64 (unsigned when the logical/converted type says so),
 * IEEE for FLOAT/DOUBLE, unsigned lexicographic bytes for BYTE_ARRAY and
 * FIXED_LEN_BYTE_ARRAY, except DECIMAL in bytes, compared as signed
 * big-endian integers.  Returns <0, 0, >0.
 */
extern int	parquet_value_compare(const ParquetSchemaElement *leaf, const ParquetValue *a, const ParquetValue *b);

/*
 * True if statistics of this leaf can be trusted for skipping: false for
 * INT96, for legacy (deprecated min/max) statistics on types whose order is
 * not signed-numeric, and for a column order we do not know.
 */
extern bool parquet_value_stats_usable(const ParquetSchemaElement *leaf, const ParquetStatistics *stats);

/*
 * Decode a statistics byte string into a value (bytes borrowed from stat).
 * False when its length does not fit the type (then it must not be used).
 * A NaN float/double min or max also returns false.
 */
extern bool parquet_value_from_stat(const ParquetSchemaElement *leaf, ParquetBytes stat, ParquetValue *out);

/* Encode a value as a statistics byte string into buf (at least 8 bytes, or the value's length); returns its length. */
extern size_t parquet_value_to_stat(const ParquetSchemaElement *leaf, const ParquetValue *value,
									uint8_t *buf, size_t buf_size);

#endif							/* LAKE_PARQUET_VALUE_H */
