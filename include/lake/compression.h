/*
 * compression.h
 *	  Page compression codecs: snappy, gzip (zlib), zstd and lz4_raw, behind
 *	  one interface keyed by the Parquet codec id.
 */
#ifndef LAKE_COMPRESSION_H
#define LAKE_COMPRESSION_H

#include "lake/lake_common.h"
#include "lake/parquet_metadata.h"

/* True for the codecs we can read and write. */
extern bool lake_codec_supported(ParquetCodec codec);

/*
 * The largest size that src (the compressed part of a page: for data page v2
 * the part after the levels) can honestly decompress to under this codec, so
 * that a reader can refuse a page header claiming more before allocating:
 * UNCOMPRESSED: src_len.  SNAPPY: the length its header states (0 if the
 * header is unreadable or states more than snappy can expand to, ~21x).
 * ZSTD: the sum of the frames' stated content sizes, with 32768x a frame of
 * unstated size.  GZIP: 1032x (deflate's limit).  LZ4_RAW: 256x.  Saturates
 * at UINT64_MAX.  0 for codecs we do not support (check lake_codec_supported
 * first to report those as unsupported).
 */
extern uint64_t lake_codec_max_expansion(ParquetCodec codec, const uint8_t *src, size_t src_len);

/*
 * Decompress src into dst, which holds exactly dst_len bytes: the size the
 * page header promised.  Producing fewer or more bytes is LAKE_ERROR_CORRUPT.
 * UNCOMPRESSED copies (src_len must equal dst_len).
 */
extern LakeStatus lake_decompress(ParquetCodec codec, const uint8_t *src, size_t src_len,
								  uint8_t *dst, size_t dst_len, LakeError *err);

/* Upper bound of the compressed size of src_len bytes. */
extern size_t lake_compress_bound(ParquetCodec codec, size_t src_len);

/*
 * Compress src into dst (capacity dst_cap >= lake_compress_bound); *dst_len
 * gets the size.  level 0 means the codec's default.
 */
extern LakeStatus lake_compress(ParquetCodec codec, int level, const uint8_t *src, size_t src_len,
								uint8_t *dst, size_t dst_cap, size_t *dst_len, LakeError *err);

/*
 * Parse "snappy", "zstd", "gzip", "lz4_raw", "none"/"uncompressed"
 * (case-insensitive); "lz4" means LZ4_RAW, as in DuckDB and arrow.
 */
extern bool lake_codec_from_name(const char *name, ParquetCodec *codec);

#endif							/* LAKE_COMPRESSION_H */
