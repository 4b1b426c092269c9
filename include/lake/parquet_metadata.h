/*
 * parquet_metadata.h
 *	  The Parquet footer and page headers as C structs (the subset of
 *	  parquet.thrift in apache/parquet-format that readers and writers use),
 *	  with their Thrift compact-protocol decoders and encoders.
 *
 * Decoders treat every byte as untrusted: list lengths are bounded by the
 * bytes that remain, nesting depth is bounded, unknown fields are skipped,
 * and a truncated or malformed structure is LAKE_ERROR_CORRUPT.
 */
#ifndef LAKE_PARQUET_METADATA_H
#define LAKE_PARQUET_METADATA_H

#include "lake/lake_common.h"

typedef enum ParquetPhysicalType
{
	PQ_BOOLEAN = 0,
	PQ_INT32 = 1,
	PQ_INT64 = 2,
	PQ_INT96 = 3,
	PQ_FLOAT = 4,
	PQ_DOUBLE = 5,
	PQ_BYTE_ARRAY = 6,
	PQ_FIXED_LEN_BYTE_ARRAY = 7
} ParquetPhysicalType;

/* ConvertedType (legacy annotations); PQ_CT_NONE when absent */
typedef enum ParquetConvertedType
{
	PQ_CT_NONE = -1,
	PQ_CT_UTF8 = 0,
	PQ_CT_MAP = 1,
	PQ_CT_MAP_KEY_VALUE = 2,
	PQ_CT_LIST = 3,
	PQ_CT_ENUM = 4,
	PQ_CT_DECIMAL = 5,
	PQ_CT_DATE = 6,
	PQ_CT_TIME_MILLIS = 7,
	PQ_CT_TIME_MICROS = 8,
	PQ_CT_TIMESTAMP_MILLIS = 9,
	PQ_CT_TIMESTAMP_MICROS = 10,
	PQ_CT_UINT_8 = 11,
	PQ_CT_UINT_16 = 12,
	PQ_CT_UINT_32 = 13,
	PQ_CT_UINT_64 = 14,
	PQ_CT_INT_8 = 15,
	PQ_CT_INT_16 = 16,
	PQ_CT_INT_32 = 17,
	PQ_CT_INT_64 = 18,
	PQ_CT_JSON = 19,
	PQ_CT_BSON = 20,
	PQ_CT_INTERVAL = 21
} ParquetConvertedType;

typedef enum ParquetRepetition
{
	PQ_REQUIRED = 0,
	PQ_OPTIONAL = 1,
	PQ_REPEATED = 2
} ParquetRepetition;

typedef enum ParquetEncoding
{
	PQ_ENC_PLAIN = 0,
	PQ_ENC_PLAIN_DICTIONARY = 2,
	PQ_ENC_RLE = 3,
	PQ_ENC_BIT_PACKED = 4,
	PQ_ENC_DELTA_BINARY_PACKED = 5,
	PQ_ENC_DELTA_LENGTH_BYTE_ARRAY = 6,
	PQ_ENC_DELTA_BYTE_ARRAY = 7,
	PQ_ENC_RLE_DICTIONARY = 8,
	PQ_ENC_BYTE_STREAM_SPLIT = 9
} ParquetEncoding;

typedef enum ParquetCodec
{
	PQ_CODEC_UNCOMPRESSED = 0,
	PQ_CODEC_SNAPPY = 1,
	PQ_CODEC_GZIP = 2,
	PQ_CODEC_LZO = 3,
	PQ_CODEC_BROTLI = 4,
	PQ_CODEC_LZ4 = 5,			/* deprecated Hadoop framing; not supported */
	PQ_CODEC_ZSTD = 6,
	PQ_CODEC_LZ4_RAW = 7
} ParquetCodec;

typedef enum ParquetPageType
{
	PQ_PAGE_DATA = 0,
	PQ_PAGE_INDEX = 1,
	PQ_PAGE_DICTIONARY = 2,
	PQ_PAGE_DATA_V2 = 3
} ParquetPageType;

/* LogicalType union member; values are the union's Thrift field ids */
typedef enum ParquetLogicalKind
{
	PQ_LT_NONE = 0,
	PQ_LT_STRING = 1,
	PQ_LT_MAP = 2,
	PQ_LT_LIST = 3,
	PQ_LT_ENUM = 4,
	PQ_LT_DECIMAL = 5,
	PQ_LT_DATE = 6,
	PQ_LT_TIME = 7,
	PQ_LT_TIMESTAMP = 8,
	PQ_LT_INTEGER = 10,
	PQ_LT_UNKNOWN = 11,			/* the "NullType": always null */
	PQ_LT_JSON = 12,
	PQ_LT_BSON = 13,
	PQ_LT_UUID = 14,
	PQ_LT_FLOAT16 = 15
} ParquetLogicalKind;

typedef enum ParquetTimeUnit
{
	PQ_UNIT_MILLIS = 1,			/* TimeUnit union field ids */
	PQ_UNIT_MICROS = 2,
	PQ_UNIT_NANOS = 3
} ParquetTimeUnit;

typedef struct ParquetLogicalType
{
	ParquetLogicalKind kind;
	int32_t		scale;			/* DECIMAL */
	int32_t		precision;		/* DECIMAL */
	bool		is_adjusted_to_utc; /* TIME, TIMESTAMP */
	ParquetTimeUnit unit;		/* TIME, TIMESTAMP */
	int8_t		bit_width;		/* INTEGER: 8, 16, 32, 64 */
	bool		is_signed;		/* INTEGER */
} ParquetLogicalType;

/* A byte string: borrowed or owned as each use says. */
typedef struct ParquetBytes
{
	const uint8_t *ptr;
	uint32_t	len;
} ParquetBytes;

typedef struct ParquetStatistics
{
	/*
	 * min/max come from min_value/max_value (fields 6/5) when present; else
	 * from the deprecated min/max (fields 2/1) with legacy_min_max set.  The
	 * legacy pair used signed byte comparison, so readers trust it only for
	 * BOOLEAN, INT32, INT64, FLOAT and DOUBLE.  Encoders write min_value and
	 * max_value only.
	 */
	bool		has_min;
	bool		has_max;
	bool		legacy_min_max;
	ParquetBytes min;
	ParquetBytes max;
	bool		has_null_count;
	int64_t		null_count;
	bool		has_distinct_count;
	int64_t		distinct_count;
} ParquetStatistics;

typedef struct ParquetSchemaElement
{
	bool		has_type;		/* false for groups */
	ParquetPhysicalType type;
	int32_t		type_length;	/* FIXED_LEN_BYTE_ARRAY */
	bool		has_repetition; /* false only for the root */
	ParquetRepetition repetition;
	char	   *name;
	int32_t		num_children;	/* 0 for leaves */
	int32_t		converted_type; /* ParquetConvertedType, PQ_CT_NONE if absent */
	int32_t		scale;
	int32_t		precision;
	bool		has_field_id;
	int32_t		field_id;
	ParquetLogicalType logical; /* kind PQ_LT_NONE if absent */
} ParquetSchemaElement;

typedef struct ParquetKeyValue
{
	char	   *key;
	char	   *value;			/* may be NULL */
} ParquetKeyValue;

typedef struct ParquetColumnMetaData
{
	ParquetPhysicalType type;
	int32_t    *encodings;
	int			num_encodings;
	char	  **path_in_schema;
	int			path_len;
	ParquetCodec codec;
	int64_t		num_values;
	int64_t		total_uncompressed_size;
	int64_t		total_compressed_size;
	int64_t		data_page_offset;
	bool		has_index_page_offset;
	int64_t		index_page_offset;
	bool		has_dictionary_page_offset;
	int64_t		dictionary_page_offset;
	bool		has_statistics;
	ParquetStatistics statistics;
} ParquetColumnMetaData;

typedef struct ParquetColumnChunk
{
	char	   *file_path;		/* NULL: same file (the only case we support) */
	int64_t		file_offset;
	bool		has_meta_data;
	ParquetColumnMetaData meta_data;
} ParquetColumnChunk;

typedef struct ParquetRowGroup
{
	ParquetColumnChunk *columns;
	int			num_columns;
	int64_t		total_byte_size;
	int64_t		num_rows;
	bool		has_file_offset;
	int64_t		file_offset;
	bool		has_total_compressed_size;
	int64_t		total_compressed_size;
	bool		has_ordinal;
	int16_t		ordinal;
} ParquetRowGroup;

typedef struct ParquetFileMetaData
{
	int32_t		version;
	ParquetSchemaElement *schema;	/* depth-first; schema[0] is the root */
	int			num_schema;
	int64_t		num_rows;
	ParquetRowGroup *row_groups;
	int			num_row_groups;
	ParquetKeyValue *key_value;
	int			num_key_value;
	char	   *created_by;		/* may be NULL */
	/* column_orders: encoders write TypeDefinedOrder for every leaf */
	bool		has_column_orders;
} ParquetFileMetaData;

typedef struct ParquetDataPageHeader
{
	int32_t		num_values;
	ParquetEncoding encoding;
	ParquetEncoding definition_level_encoding;
	ParquetEncoding repetition_level_encoding;
	bool		has_statistics;
	ParquetStatistics statistics;
} ParquetDataPageHeader;

typedef struct ParquetDictionaryPageHeader
{
	int32_t		num_values;
	ParquetEncoding encoding;
	bool		has_is_sorted;
	bool		is_sorted;
} ParquetDictionaryPageHeader;

typedef struct ParquetDataPageHeaderV2
{
	int32_t		num_values;
	int32_t		num_nulls;
	int32_t		num_rows;
	ParquetEncoding encoding;
	int32_t		definition_levels_byte_length;
	int32_t		repetition_levels_byte_length;
	bool		is_compressed;	/* defaults to true when absent */
	bool		has_statistics;
	ParquetStatistics statistics;
} ParquetDataPageHeaderV2;

typedef struct ParquetPageHeader
{
	ParquetPageType type;
	int32_t		uncompressed_page_size;
	int32_t		compressed_page_size;
	bool		has_crc;
	int32_t		crc;
	bool		has_data_page_header;
	ParquetDataPageHeader data_page_header;
	bool		has_dictionary_page_header;
	ParquetDictionaryPageHeader dictionary_page_header;
	bool		has_data_page_header_v2;
	ParquetDataPageHeaderV2 data_page_header_v2;
} ParquetPageHeader;

/*
 * Decode a FileMetaData from the footer bytes.  Strings and lists are
 * allocated from a (so out owns them; with a palloc-backed allocator they go
 * when the context is reset).  Statistics bytes are copied too.  Checks that
 * the schema tree is consistent (num_children adds up; every row group has
 * one chunk per leaf with meta_data; counts and offsets are not negative).
 */
extern LakeStatus parquet_metadata_decode(const LakeAllocator *a, const uint8_t *buf, size_t len,
										  ParquetFileMetaData *out, LakeError *err);

/*
 * Free what parquet_metadata_decode allocated (safe on a zeroed or partly
 * filled struct; a no-op-free allocator makes it a no-op).  Leaves md zeroed.
 */
extern void parquet_metadata_free(const LakeAllocator *a, ParquetFileMetaData *md);

/*
 * Encode a FileMetaData (Thrift compact) and append it to out.  Field ids go
 * in increasing order; a schema element with a logical type also gets the
 * matching legacy converted_type (and scale/precision for DECIMAL) unless it
 * sets converted_type itself; has_column_orders writes TypeDefinedOrder for
 * every leaf.
 */
extern LakeStatus parquet_metadata_encode(const ParquetFileMetaData *md, LakeBuffer *out, LakeError *err);

/*
 * Decode one page header at buf; *header_len gets its encoded length.
 * Allocates nothing: statistics bytes point into buf (borrowed).  Returns
 * LAKE_ERROR_CORRUPT if the header does not fit in len bytes.
 */
extern LakeStatus parquet_page_header_decode(const uint8_t *buf, size_t len, ParquetPageHeader *out,
											 size_t *header_len, LakeError *err);
extern LakeStatus parquet_page_header_encode(const ParquetPageHeader *h, LakeBuffer *out, LakeError *err);

/* Names for error messages: "SNAPPY", "INT64", "RLE_DICTIONARY", ... */
extern const char *parquet_codec_name(int codec);
extern const char *parquet_physical_type_name(int type);
extern const char *parquet_encoding_name(int encoding);

#endif							/* LAKE_PARQUET_METADATA_H */
