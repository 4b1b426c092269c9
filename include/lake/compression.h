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
 * The largest uncompressed size that src_len compressed bytes can honestly
 * expand to under this codec (snappy: the length its header states, checked;
 * lz4: 255x; gzip/deflate: 1032x; zstd: the frame's content size when stated,
 * else 1032x... with saturation).  Readers refuse a page header whose
 * uncompressed size exceeds this before allocating anything.
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

/* Parse "snappy", "zstd", "gzip", "lz4_raw", "none"/"uncompressed" (case-insensitive). */
extern bool lake_codec_from_name(const char *name, ParquetCodec *codec);

#endif							/* LAKE_COMPRESSION_H */
