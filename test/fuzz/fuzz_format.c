/*
 * fuzz_format.c
 *	  libFuzzer target for the Parquet format primitives: the footer decoder
 *	  (with schema resolution and re-encoding), the page header decoder, the
 *	  RLE / bit-packed decoder and the decompressors.  The first input byte
 *	  picks the target.
 *
 *	  clang -g -O1 -fsanitize=fuzzer,address,undefined -Iinclude \
 *		test/fuzz/fuzz_format.c lake/lake_common.c lake/thrift_compact.c \
 *		lake/parquet_metadata.c lake/parquet_schema.c lake/rle.c \
 *		lake/compression.c -lsnappy -lzstd -lz -llz4 -o build/fuzz_format
 */
#include <stdlib.h>
#include <string.h>

#include "lake/compression.h"
#include "lake/parquet_metadata.h"
#include "lake/parquet_schema.h"
#include "lake/rle.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_footer(const uint8_t *data, size_t size)
{
	const LakeAllocator *a = &lake_malloc_allocator;
	ParquetFileMetaData md;
	LakeError	err;

	if (parquet_metadata_decode(a, data, size, &md, &err) == LAKE_OK)
	{
		ParquetSchema s;
		LakeBuffer	buf;

		if (parquet_schema_build(a, md.schema, md.num_schema, &s, &err) != LAKE_OK)
			abort();			/* decode validated the schema */
		parquet_schema_free(a, &s);
		lake_buffer_init(&buf, a);
		if (parquet_metadata_encode(&md, &buf, &err) == LAKE_OK)
		{
			ParquetFileMetaData again;

			if (parquet_metadata_decode(a, buf.data, buf.len, &again, &err) != LAKE_OK)
				abort();		/* what we decoded must encode to something we decode */
			parquet_metadata_free(a, &again);
		}
		lake_buffer_free(&buf);
		parquet_metadata_free(a, &md);
	}
}

static void
fuzz_page_header(const uint8_t *data, size_t size)
{
	ParquetPageHeader h;
	LakeError	err;
	size_t		hl;

	if (parquet_page_header_decode(data, size, &h, &hl, &err) == LAKE_OK && hl > size)
		abort();
}

static void
fuzz_rle(const uint8_t *data, size_t size)
{
	RleDecoder	d;
	LakeError	err;
	uint32_t	out[1000];
	int			w;
	size_t		n;

	if (size < 3)
		return;
	w = data[0] % 33;
	n = ((size_t) data[1] << 2) % 1000;
	rle_decoder_init(&d, data + 2, size - 2, w);
	if (rle_decode_uint32(&d, out, n, &err) == LAKE_OK)
		(void) rle_skip(&d, 100, &err);
}

static void
fuzz_decompress(const uint8_t *data, size_t size)
{
	static const ParquetCodec codecs[] = {PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD, PQ_CODEC_LZ4_RAW};
	LakeError	err;
	ParquetCodec codec;
	uint64_t	bound;
	size_t		dst_len;
	uint8_t    *dst;

	if (size < 3)
		return;
	codec = codecs[data[0] % 4];
	dst_len = ((size_t) data[1] << 4) | (data[0] >> 4);
	bound = lake_codec_max_expansion(codec, data + 2, size - 2);
	if (dst_len > bound)
		return;
	dst = malloc(dst_len + 1);
	(void) lake_decompress(codec, data + 2, size - 2, dst, dst_len, &err);
	free(dst);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4)
	{
		case 0:
			fuzz_footer(data + 1, size - 1);
			break;
		case 1:
			fuzz_page_header(data + 1, size - 1);
			break;
		case 2:
			fuzz_rle(data + 1, size - 1);
			break;
		case 3:
			fuzz_decompress(data + 1, size - 1);
			break;
	}
	return 0;
}
