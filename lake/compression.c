/*
 * compression.c
 *	  Page codecs behind one interface keyed by the Parquet codec id: snappy
 *	  (libsnappy), gzip (zlib), zstd (libzstd) and lz4_raw (liblz4); and the
 *	  bound on how far a compressed page can honestly expand, which readers
 *	  check before trusting a page header's uncompressed size.
 *
 * Decompression must produce exactly the size the page header promised.
 * The libraries allocate their own small working state with malloc for the
 * duration of a call; nothing outlives it.
 */
#include "lake/compression.h"

#include <limits.h>
#include <string.h>
#include <strings.h>

#include <lz4.h>
#include <snappy-c.h>
#include <zlib.h>
#include <zstd.h>
#include <zstd_errors.h>

/* worst-case expansion ratios of the formats (see lake_codec_max_expansion) */
#define SNAPPY_MAX_RATIO 22		/* a 3-byte copy tag yields at most 64 bytes */
#define DEFLATE_MAX_RATIO 1032	/* deflate's documented limit */
#define LZ4_MAX_RATIO 256		/* each further 255 bytes of a match costs 1 byte */
#define ZSTD_MAX_RATIO 32768	/* an RLE block: 4 bytes for up to 128 KiB */

bool
lake_codec_supported(ParquetCodec codec)
{
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
		case PQ_CODEC_SNAPPY:
		case PQ_CODEC_GZIP:
		case PQ_CODEC_ZSTD:
		case PQ_CODEC_LZ4_RAW:
			return true;
		default:
			return false;
	}
}

static uint64_t
mul_sat(uint64_t a, uint64_t b, uint64_t add)
{
	if (a != 0 && b > (UINT64_MAX - add) / a)
		return UINT64_MAX;
	return a * b + add;
}

static uint64_t
zstd_max_expansion(const uint8_t *src, size_t src_len)
{
	size_t		pos = 0;
	uint64_t	total = 0;

	while (pos < src_len)
	{
		size_t		fsize = ZSTD_findFrameCompressedSize(src + pos, src_len - pos);
		unsigned long long content;
		uint64_t	frame_bound;

		if (ZSTD_isError(fsize) || fsize == 0)
			return mul_sat(src_len, ZSTD_MAX_RATIO, 131072);	/* decompression will say what is wrong */
		content = ZSTD_getFrameContentSize(src + pos, src_len - pos);
		if (content == ZSTD_CONTENTSIZE_ERROR)
			return mul_sat(src_len, ZSTD_MAX_RATIO, 131072);
		if (content == ZSTD_CONTENTSIZE_UNKNOWN)
			frame_bound = mul_sat(fsize, ZSTD_MAX_RATIO, 131072);
		else
			frame_bound = content;
		total = (total > UINT64_MAX - frame_bound) ? UINT64_MAX : total + frame_bound;
		pos += fsize;
	}
	return total;
}

uint64_t
lake_codec_max_expansion(ParquetCodec codec, const uint8_t *src, size_t src_len)
{
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			return src_len;
		case PQ_CODEC_SNAPPY:
			{
				size_t		stated;

				if (snappy_uncompressed_length((const char *) src, src_len, &stated) != SNAPPY_OK)
					return 0;
				if (stated > mul_sat(src_len, SNAPPY_MAX_RATIO, 64))
					return 0;
				return stated;
			}
		case PQ_CODEC_GZIP:
			return mul_sat(src_len, DEFLATE_MAX_RATIO, 64);
		case PQ_CODEC_ZSTD:
			return zstd_max_expansion(src, src_len);
		case PQ_CODEC_LZ4_RAW:
			return mul_sat(src_len, LZ4_MAX_RATIO, 64);
		default:
			return 0;
	}
}

/* ------------------------------------------------------------ decompression */

static LakeStatus
gzip_decompress(const uint8_t *src, size_t src_len, uint8_t *dst, size_t dst_len, LakeError *err)
{
	z_stream	zs;
	uint8_t		scratch;
	bool		in_scratch = false;
	int			ret;
	LakeStatus	st = LAKE_OK;

	if (src_len > UINT_MAX || dst_len > UINT_MAX)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "GZIP page of %zu bytes is too large", src_len);
	memset(&zs, 0, sizeof(zs));
	/* 32 + MAX_WBITS: gzip or zlib header, detected */
	if (inflateInit2(&zs, 32 + MAX_WBITS) != Z_OK)
		return lake_error_set(err, LAKE_ERROR_NOMEM, "could not initialise zlib");
	zs.next_in = (Bytef *) src;
	zs.avail_in = (uInt) src_len;
	zs.next_out = dst;
	zs.avail_out = (uInt) dst_len;
	if (dst_len == 0)
	{
		zs.next_out = &scratch;
		zs.avail_out = 1;
		in_scratch = true;
	}
	for (;;)
	{
		ret = inflate(&zs, Z_NO_FLUSH);
		if (in_scratch && zs.avail_out == 0)
		{
			st = lake_error_set(err, LAKE_ERROR_CORRUPT,
								"GZIP data decompresses to more than the %zu bytes the page header states",
								dst_len);
			break;
		}
		if (ret == Z_STREAM_END)
		{
			if (in_scratch || zs.avail_out == 0)
				break;			/* exactly dst_len bytes */
			/* another gzip member may follow while output is still missing */
			if (zs.avail_in > 0 && inflateReset(&zs) == Z_OK)
				continue;
			st = lake_error_set(err, LAKE_ERROR_CORRUPT,
								"GZIP data decompresses to %zu bytes, the page header states %zu",
								dst_len - zs.avail_out, dst_len);
			break;
		}
		if (ret == Z_OK)
		{
			if (!in_scratch && zs.avail_out == 0)
			{
				/* full: the stream must end without producing more */
				zs.next_out = &scratch;
				zs.avail_out = 1;
				in_scratch = true;
			}
			continue;
		}
		if (ret == Z_MEM_ERROR)
			st = lake_error_set(err, LAKE_ERROR_NOMEM, "zlib ran out of memory");
		else if (ret == Z_BUF_ERROR)
			st = lake_error_set(err, LAKE_ERROR_CORRUPT, "GZIP data is truncated");
		else
			st = lake_error_set(err, LAKE_ERROR_CORRUPT, "GZIP data is invalid: %s",
								zs.msg ? zs.msg : "unknown error");
		break;
	}
	inflateEnd(&zs);
	return st;
}

LakeStatus
lake_decompress(ParquetCodec codec, const uint8_t *src, size_t src_len,
				uint8_t *dst, size_t dst_len, LakeError *err)
{
	uint8_t		dummy[1];

	if (dst == NULL)
	{
		if (dst_len != 0)
			return lake_error_set(err, LAKE_ERROR_INVALID, "no output buffer for %zu bytes", dst_len);
		dst = dummy;
	}
	if (src == NULL)
	{
		if (src_len != 0)
			return lake_error_set(err, LAKE_ERROR_INVALID, "no input buffer for %zu bytes", src_len);
		src = dummy;
	}
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			if (src_len != dst_len)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "uncompressed page has %zu bytes, the page header states %zu",
									  src_len, dst_len);
			if (dst_len > 0)
				memcpy(dst, src, dst_len);
			return LAKE_OK;

		case PQ_CODEC_SNAPPY:
			{
				size_t		stated;
				size_t		out_len = dst_len;

				if (snappy_uncompressed_length((const char *) src, src_len, &stated) != SNAPPY_OK)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "SNAPPY data has an invalid length header");
				if (stated != dst_len)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "SNAPPY data decompresses to %zu bytes, the page header states %zu",
										  stated, dst_len);
				if (snappy_uncompress((const char *) src, src_len, (char *) dst, &out_len) != SNAPPY_OK)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "SNAPPY data is invalid");
				if (out_len != dst_len)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "SNAPPY data decompresses to %zu bytes, the page header states %zu",
										  out_len, dst_len);
				return LAKE_OK;
			}

		case PQ_CODEC_GZIP:
			return gzip_decompress(src, src_len, dst, dst_len, err);

		case PQ_CODEC_ZSTD:
			{
				/* ZSTD_decompress handles any number of concatenated frames */
				size_t		r = ZSTD_decompress(dst, dst_len, src, src_len);

				if (ZSTD_isError(r))
				{
					if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
						return lake_error_set(err, LAKE_ERROR_NOMEM, "zstd ran out of memory");
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "ZSTD data is invalid or larger than the %zu bytes the page header states: %s",
										  dst_len, ZSTD_getErrorName(r));
				}
				if (r != dst_len)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "ZSTD data decompresses to %zu bytes, the page header states %zu",
										  r, dst_len);
				return LAKE_OK;
			}

		case PQ_CODEC_LZ4_RAW:
			{
				int			r;

				if (src_len > INT_MAX || dst_len > INT_MAX)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "LZ4_RAW page is too large");
				r = LZ4_decompress_safe((const char *) src, (char *) dst, (int) src_len, (int) dst_len);
				if (r < 0)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "LZ4_RAW data is invalid or larger than the %zu bytes the page header states",
										  dst_len);
				if ((size_t) r != dst_len)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "LZ4_RAW data decompresses to %d bytes, the page header states %zu",
										  r, dst_len);
				return LAKE_OK;
			}

		case PQ_CODEC_LZ4:
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
								  "compression codec LZ4 (Hadoop-framed, deprecated) is not supported");
		case PQ_CODEC_LZO:
		case PQ_CODEC_BROTLI:
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "compression codec %s is not supported",
								  parquet_codec_name(codec));
	}
	return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "unknown compression codec %d", (int) codec);
}

/* ------------------------------------------------------------ compression */

size_t
lake_compress_bound(ParquetCodec codec, size_t src_len)
{
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			return src_len;
		case PQ_CODEC_SNAPPY:
			return snappy_max_compressed_length(src_len);
		case PQ_CODEC_GZIP:
			/* zlib's bound plus the difference of gzip's header and trailer */
			return (size_t) compressBound((uLong) src_len) + 32;
		case PQ_CODEC_ZSTD:
			return ZSTD_compressBound(src_len);
		case PQ_CODEC_LZ4_RAW:
			if (src_len > (size_t) LZ4_MAX_INPUT_SIZE)
				return 0;
			return (size_t) LZ4_compressBound((int) src_len);
		default:
			return 0;
	}
}

LakeStatus
lake_compress(ParquetCodec codec, int level, const uint8_t *src, size_t src_len,
			  uint8_t *dst, size_t dst_cap, size_t *dst_len, LakeError *err)
{
	size_t		bound;
	uint8_t		dummy[1];

	if (!lake_codec_supported(codec))
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "compression codec %s is not supported",
							  parquet_codec_name(codec));
	bound = lake_compress_bound(codec, src_len);
	if (bound == 0 && src_len > 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "%zu bytes are too many to compress with %s",
							  src_len, parquet_codec_name(codec));
	if (dst_cap < bound)
		return lake_error_set(err, LAKE_ERROR_INVALID,
							  "output buffer of %zu bytes is below the %s bound of %zu",
							  dst_cap, parquet_codec_name(codec), bound);
	if (src == NULL)
		src = dummy;
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			if (src_len > 0)
				memcpy(dst, src, src_len);
			*dst_len = src_len;
			return LAKE_OK;

		case PQ_CODEC_SNAPPY:
			{
				size_t		out_len = dst_cap;

				if (snappy_compress((const char *) src, src_len, (char *) dst, &out_len) != SNAPPY_OK)
					return lake_error_set(err, LAKE_ERROR_INVALID, "snappy compression failed");
				*dst_len = out_len;
				return LAKE_OK;
			}

		case PQ_CODEC_GZIP:
			{
				z_stream	zs;
				int			ret;
				int			zlevel = level <= 0 ? Z_DEFAULT_COMPRESSION : (level > 9 ? 9 : level);

				if (src_len > UINT_MAX || dst_cap > UINT_MAX)
					return lake_error_set(err, LAKE_ERROR_INVALID, "GZIP input of %zu bytes is too large", src_len);
				memset(&zs, 0, sizeof(zs));
				/* 31 = 16 + 15 window bits: gzip header and trailer */
				if (deflateInit2(&zs, zlevel, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) != Z_OK)
					return lake_error_set(err, LAKE_ERROR_NOMEM, "could not initialise zlib");
				zs.next_in = (Bytef *) src;
				zs.avail_in = (uInt) src_len;
				zs.next_out = dst;
				zs.avail_out = (uInt) dst_cap;
				ret = deflate(&zs, Z_FINISH);
				*dst_len = dst_cap - zs.avail_out;
				deflateEnd(&zs);
				if (ret != Z_STREAM_END)
					return lake_error_set(err, LAKE_ERROR_INVALID, "gzip compression failed (%d)", ret);
				return LAKE_OK;
			}

		case PQ_CODEC_ZSTD:
			{
				int			zlevel = level <= 0 ? ZSTD_CLEVEL_DEFAULT : level;
				size_t		r;

				if (zlevel > ZSTD_maxCLevel())
					zlevel = ZSTD_maxCLevel();
				r = ZSTD_compress(dst, dst_cap, src, src_len, zlevel);
				if (ZSTD_isError(r))
					return lake_error_set(err, LAKE_ERROR_INVALID, "zstd compression failed: %s",
										  ZSTD_getErrorName(r));
				*dst_len = r;
				return LAKE_OK;
			}

		case PQ_CODEC_LZ4_RAW:
			{
				int			cap = dst_cap > INT_MAX ? INT_MAX : (int) dst_cap;
				int			r;

				if (src_len == 0)
				{
					/* a single empty-literals token */
					dst[0] = 0;
					*dst_len = 1;
					return LAKE_OK;
				}
				r = LZ4_compress_default((const char *) src, (char *) dst, (int) src_len, cap);
				if (r <= 0)
					return lake_error_set(err, LAKE_ERROR_INVALID, "lz4 compression failed");
				*dst_len = (size_t) r;
				return LAKE_OK;
			}

		default:
			break;
	}
	return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "compression codec %d is not supported", (int) codec);
}

bool
lake_codec_from_name(const char *name, ParquetCodec *codec)
{
	static const struct
	{
		const char *name;
		ParquetCodec codec;
	}			names[] =
	{
		{"none", PQ_CODEC_UNCOMPRESSED},
		{"uncompressed", PQ_CODEC_UNCOMPRESSED},
		{"snappy", PQ_CODEC_SNAPPY},
		{"gzip", PQ_CODEC_GZIP},
		{"zstd", PQ_CODEC_ZSTD},
		{"lz4_raw", PQ_CODEC_LZ4_RAW},
		{"lz4", PQ_CODEC_LZ4_RAW},	/* as DuckDB and arrow name it: the raw block format */
		{NULL, 0}
	};
	int			i;

	if (name == NULL)
		return false;
	for (i = 0; names[i].name != NULL; i++)
	{
		if (strcasecmp(name, names[i].name) == 0)
		{
			*codec = names[i].codec;
			return true;
		}
	}
	return false;
}
