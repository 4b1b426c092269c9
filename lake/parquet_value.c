/*
 * parquet_value.c
 *	  The type-defined sort order of Parquet values and their encoding in
 *	  column statistics (min_value / max_value).  Used by the writer to compute
 *	  statistics and by the reader to skip row groups.
 */
#include "lake/parquet_value.h"

#include <math.h>
#include <string.h>

/* ------------------------------------------------------------ sort kinds */

static bool
leaf_is_unsigned(const ParquetSchemaElement *leaf)
{
	if (leaf->logical.kind == PQ_LT_INTEGER)
		return !leaf->logical.is_signed;
	if (leaf->logical.kind != PQ_LT_NONE)
		return false;
	return leaf->converted_type == PQ_CT_UINT_8 || leaf->converted_type == PQ_CT_UINT_16 ||
		leaf->converted_type == PQ_CT_UINT_32 || leaf->converted_type == PQ_CT_UINT_64;
}

static bool
leaf_is_decimal(const ParquetSchemaElement *leaf)
{
	if (leaf->logical.kind == PQ_LT_DECIMAL)
		return true;
	return leaf->logical.kind == PQ_LT_NONE && leaf->converted_type == PQ_CT_DECIMAL;
}

ParquetSortKind
parquet_value_sort_kind(const ParquetSchemaElement *leaf)
{
	if (leaf == NULL || !leaf->has_type)
		return PQ_SORT_NONE;
	switch (leaf->type)
	{
		case PQ_BOOLEAN:
			return PQ_SORT_BOOLEAN;
		case PQ_INT32:
			return leaf_is_unsigned(leaf) ? PQ_SORT_UINT32 : PQ_SORT_INT32;
		case PQ_INT64:
			return leaf_is_unsigned(leaf) ? PQ_SORT_UINT64 : PQ_SORT_INT64;
		case PQ_INT96:
			return PQ_SORT_INT96;
		case PQ_FLOAT:
			return PQ_SORT_FLOAT;
		case PQ_DOUBLE:
			return PQ_SORT_DOUBLE;
		case PQ_BYTE_ARRAY:
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (leaf->logical.kind == PQ_LT_NONE && leaf->converted_type == PQ_CT_INTERVAL)
				return PQ_SORT_NONE;
			if (leaf_is_decimal(leaf))
				return PQ_SORT_DECIMAL_BYTES;
			if (leaf->logical.kind == PQ_LT_FLOAT16)
			{
				if (leaf->type == PQ_FIXED_LEN_BYTE_ARRAY && leaf->type_length == 2)
					return PQ_SORT_FLOAT16;
				return PQ_SORT_NONE;
			}
			return PQ_SORT_BYTES;
	}
	return PQ_SORT_NONE;
}

/* ------------------------------------------------------------ comparison */

static int
compare_double(double a, double b)
{
	if (isnan(a))
		return isnan(b) ? 0 : 1;
	if (isnan(b))
		return -1;
	return (a > b) - (a < b);
}

/* IEEE 754 binary16, little endian, to float */
static float
half_to_float(const uint8_t *p)
{
	uint16_t	h = (uint16_t) (p[0] | (p[1] << 8));
	int			sign = (h >> 15) & 1;
	int			exp = (h >> 10) & 0x1f;
	int			mant = h & 0x3ff;
	float		v;

	if (exp == 0)
		v = ldexpf((float) mant, -24);
	else if (exp == 31)
		v = mant == 0 ? INFINITY : NAN;
	else
		v = ldexpf((float) (mant | 0x400), exp - 25);
	return sign ? -v : v;
}

static int
compare_unsigned_bytes(ParquetBytes a, ParquetBytes b)
{
	uint32_t	n = a.len < b.len ? a.len : b.len;
	int			c = n > 0 ? memcmp(a.ptr, b.ptr, n) : 0;

	if (c != 0)
		return c < 0 ? -1 : 1;
	return (a.len > b.len) - (a.len < b.len);
}

/*
 * Signed big-endian two's complement integers of possibly different
 * lengths: sign-extend the shorter one, then compare bytes unsigned (valid
 * once both have the same sign).  An empty string is zero.
 */
static int
compare_decimal_bytes(ParquetBytes a, ParquetBytes b)
{
	bool		aneg = a.len > 0 && (a.ptr[0] & 0x80) != 0;
	bool		bneg = b.len > 0 && (b.ptr[0] & 0x80) != 0;
	uint8_t		pad = aneg ? 0xff : 0x00;
	uint32_t	len = a.len > b.len ? a.len : b.len;
	uint32_t	i;

	if (aneg != bneg)
		return aneg ? -1 : 1;
	for (i = 0; i < len; i++)
	{
		uint8_t		x = i < len - a.len ? pad : a.ptr[i - (len - a.len)];
		uint8_t		y = i < len - b.len ? pad : b.ptr[i - (len - b.len)];

		if (x != y)
			return x < y ? -1 : 1;
	}
	return 0;
}

/* INT96 legacy timestamps: 8 bytes nanoseconds of day, then 4 bytes julian day (little endian) */
static int
compare_int96(ParquetBytes a, ParquetBytes b)
{
	int32_t		da,
				db;
	int64_t		na,
				nb;

	if (a.len != 12 || b.len != 12)
		return compare_unsigned_bytes(a, b);
	memcpy(&na, a.ptr, 8);
	memcpy(&da, a.ptr + 8, 4);
	memcpy(&nb, b.ptr, 8);
	memcpy(&db, b.ptr + 8, 4);
	if (da != db)
		return da < db ? -1 : 1;
	return (na > nb) - (na < nb);
}

int
parquet_value_compare(const ParquetSchemaElement *leaf, const ParquetValue *a, const ParquetValue *b)
{
	switch (parquet_value_sort_kind(leaf))
	{
		case PQ_SORT_BOOLEAN:
			return (a->boolean > b->boolean) - (a->boolean < b->boolean);
		case PQ_SORT_INT32:
			return (a->i32 > b->i32) - (a->i32 < b->i32);
		case PQ_SORT_UINT32:
			return ((uint32_t) a->i32 > (uint32_t) b->i32) - ((uint32_t) a->i32 < (uint32_t) b->i32);
		case PQ_SORT_INT64:
			return (a->i64 > b->i64) - (a->i64 < b->i64);
		case PQ_SORT_UINT64:
			return ((uint64_t) a->i64 > (uint64_t) b->i64) - ((uint64_t) a->i64 < (uint64_t) b->i64);
		case PQ_SORT_FLOAT:
			return compare_double(a->f32, b->f32);
		case PQ_SORT_DOUBLE:
			return compare_double(a->f64, b->f64);
		case PQ_SORT_FLOAT16:
			if (a->bytes.len != 2 || b->bytes.len != 2)
				return compare_unsigned_bytes(a->bytes, b->bytes);
			return compare_double(half_to_float(a->bytes.ptr), half_to_float(b->bytes.ptr));
		case PQ_SORT_DECIMAL_BYTES:
			return compare_decimal_bytes(a->bytes, b->bytes);
		case PQ_SORT_INT96:
			return compare_int96(a->bytes, b->bytes);
		case PQ_SORT_BYTES:
		case PQ_SORT_NONE:
			break;
	}
	/* bytes, and a deterministic fallback for types without an order */
	if (leaf != NULL && leaf->has_type &&
		(leaf->type == PQ_BYTE_ARRAY || leaf->type == PQ_FIXED_LEN_BYTE_ARRAY || leaf->type == PQ_INT96))
		return compare_unsigned_bytes(a->bytes, b->bytes);
	return 0;
}

/* ------------------------------------------------------------ statistics */

bool
parquet_value_stats_usable(const ParquetSchemaElement *leaf, const ParquetStatistics *stats)
{
	ParquetSortKind kind = parquet_value_sort_kind(leaf);

	if (stats == NULL || !stats->has_min || !stats->has_max)
		return false;
	if (kind == PQ_SORT_NONE || kind == PQ_SORT_INT96)
		return false;
	if (stats->legacy_min_max)
	{
		/* the deprecated pair was computed with signed comparisons */
		return kind == PQ_SORT_BOOLEAN || kind == PQ_SORT_INT32 || kind == PQ_SORT_INT64 ||
			kind == PQ_SORT_FLOAT || kind == PQ_SORT_DOUBLE;
	}
	return true;
}

bool
parquet_value_from_stat(const ParquetSchemaElement *leaf, ParquetBytes stat, ParquetValue *out)
{
	memset(out, 0, sizeof(*out));
	if (leaf == NULL || !leaf->has_type || (stat.ptr == NULL && stat.len > 0))
		return false;
	switch (leaf->type)
	{
		case PQ_BOOLEAN:
			if (stat.len != 1 || stat.ptr[0] > 1)
				return false;
			out->boolean = stat.ptr[0] == 1;
			return true;
		case PQ_INT32:
			if (stat.len != 4)
				return false;
			memcpy(&out->i32, stat.ptr, 4);
			return true;
		case PQ_INT64:
			if (stat.len != 8)
				return false;
			memcpy(&out->i64, stat.ptr, 8);
			return true;
		case PQ_FLOAT:
			if (stat.len != 4)
				return false;
			memcpy(&out->f32, stat.ptr, 4);
			return !isnan(out->f32);
		case PQ_DOUBLE:
			if (stat.len != 8)
				return false;
			memcpy(&out->f64, stat.ptr, 8);
			return !isnan(out->f64);
		case PQ_INT96:
			if (stat.len != 12)
				return false;
			out->bytes = stat;
			return true;
		case PQ_BYTE_ARRAY:
			out->bytes = stat;
			return true;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (leaf->type_length <= 0 || stat.len != (uint32_t) leaf->type_length)
				return false;
			out->bytes = stat;
			if (parquet_value_sort_kind(leaf) == PQ_SORT_FLOAT16 && isnan(half_to_float(stat.ptr)))
				return false;
			return true;
	}
	return false;
}

size_t
parquet_value_to_stat(const ParquetSchemaElement *leaf, const ParquetValue *value,
					  uint8_t *buf, size_t buf_size)
{
	size_t		len;
	const void *src;
	uint8_t		b;

	switch (leaf->type)
	{
		case PQ_BOOLEAN:
			b = value->boolean ? 1 : 0;
			src = &b;
			len = 1;
			break;
		case PQ_INT32:
			src = &value->i32;
			len = 4;
			break;
		case PQ_INT64:
			src = &value->i64;
			len = 8;
			break;
		case PQ_FLOAT:
			src = &value->f32;
			len = 4;
			break;
		case PQ_DOUBLE:
			src = &value->f64;
			len = 8;
			break;
		default:
			src = value->bytes.ptr;
			len = value->bytes.len;
			break;
	}
	/* numbers are stored in host order: lake/ targets little-endian hosts */
	if (len <= buf_size && len > 0)
		memcpy(buf, src, len);
	return len;
}
