/*
 * fuzz_parquet_decode.c
 *	  libFuzzer harness for the page-level value decoders of lake/
 *	  (parquet_decode.c: PLAIN, dictionaries, RLE booleans, the delta
 *	  encodings, BYTE_STREAM_SPLIT) and the RLE/bit-packed hybrid decoder
 *	  (rle.c) on their own, without a file around them.
 *
 * Input layout (little-endian):
 *	byte 0		encoding (any value: unknown ones must be refused cleanly)
 *	byte 1		physical type (mod 8)
 *	byte 2		FIXED_LEN_BYTE_ARRAY type_length (mod 40)
 *	byte 3		batch size - 1; its top bit: alternate skip and next
 *	bytes 4-5	dictionary page length D
 *	bytes 6-7	dictionary value count
 *	then D bytes of dictionary page, the rest is the data page.
 * The same data page is also decoded as RLE levels with bit width
 * (byte 2 mod 33).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_common.h"
#include "lake/parquet_decode.h"
#include "lake/rle.h"

#define FUZZ_ASSERT(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
			__builtin_trap(); \
		} \
	} while (0)

#define FUZZ_MAX_VALUES (1 << 16)
#define FUZZ_BUDGET (16u << 20)

static volatile uint64_t fuzz_sink;

static void
check_failure(LakeStatus st, const LakeError *err)
{
	FUZZ_ASSERT(st != LAKE_OK);
	FUZZ_ASSERT(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	FUZZ_ASSERT(err->message[0] != '\0');
}

static void
touch(ParquetPhysicalType type, int32_t type_length, const void *values, size_t n)
{
	uint64_t	sum = 0;

	switch (type)
	{
		case PQ_BOOLEAN:
			for (size_t i = 0; i < n; i++)
				sum += ((const bool *) values)[i];
			break;
		case PQ_INT32:
		case PQ_FLOAT:
			for (size_t i = 0; i < n; i++)
				sum += ((const uint32_t *) values)[i];
			break;
		case PQ_INT64:
		case PQ_DOUBLE:
			for (size_t i = 0; i < n; i++)
				sum += ((const uint64_t *) values)[i];
			break;
		default:
			for (size_t i = 0; i < n; i++)
			{
				const ParquetBytes *v = &((const ParquetBytes *) values)[i];

				if (type == PQ_INT96)
					FUZZ_ASSERT(v->len == 12);
				if (type == PQ_FIXED_LEN_BYTE_ARRAY)
					FUZZ_ASSERT(v->len == (uint32_t) type_length);
				for (uint32_t j = 0; j < v->len; j++)
					sum += v->ptr[j];
			}
			break;
	}
	fuzz_sink += sum;
}

static void
fuzz_rle(const uint8_t *data, size_t len, int bit_width)
{
	RleDecoder	d;
	uint32_t	out[256];
	LakeError	err;
	size_t		total = 0;

	rle_decoder_init(&d, data, len, bit_width);
	while (total < FUZZ_MAX_VALUES)
	{
		LakeStatus	st = rle_decode_uint32(&d, out, 256, &err);

		if (st != LAKE_OK)
		{
			check_failure(st, &err);
			break;
		}
		for (int i = 0; i < 256; i++)
			FUZZ_ASSERT(bit_width == 32 || out[i] < ((uint32_t) 1 << bit_width) || (bit_width == 0 && out[i] == 0));
		total += 256;
		if (bit_width == 0)
			break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ParquetEncoding encoding;
	ParquetPhysicalType type;
	int32_t		type_length;
	size_t		batch;
	bool		alternate;
	size_t		dict_len;
	int32_t		dict_count;
	const uint8_t *page;
	size_t		page_len;
	ParquetDictionary dict;
	bool		have_dict = false;
	ParquetDecoder d;
	LakeError	err;
	LakeStatus	st;
	void	   *out;
	size_t		total = 0;

	if (size < 8)
		return 0;
	encoding = (ParquetEncoding) data[0];
	type = (ParquetPhysicalType) (data[1] % 8);
	type_length = data[2] % 40;
	batch = (size_t) (data[3] & 0x7f) + 1;
	alternate = (data[3] & 0x80) != 0;
	dict_len = (size_t) data[4] | ((size_t) data[5] << 8);
	dict_count = (int32_t) ((uint32_t) data[6] | ((uint32_t) data[7] << 8));
	if (dict_len > size - 8)
		dict_len = size - 8;
	page = data + 8 + dict_len;
	page_len = size - 8 - dict_len;

	fuzz_rle(page, page_len, data[2] % 33);

	if (encoding == PQ_ENC_PLAIN_DICTIONARY || encoding == PQ_ENC_RLE_DICTIONARY)
	{
		memset(&dict, 0, sizeof(dict));
		st = parquet_dictionary_decode(&lake_malloc_allocator, type, type_length, data + 8, dict_len,
									   dict_count, &dict, &err);
		if (st != LAKE_OK)
		{
			check_failure(st, &err);
			return 0;
		}
		FUZZ_ASSERT(dict.num_values == (uint32_t) dict_count);
		touch(type, type_length, dict.values, dict.num_values);
		have_dict = true;
	}

	memset(&d, 0, sizeof(d));
	st = parquet_decoder_init(&d, &lake_malloc_allocator, encoding, type, type_length, page, page_len,
							  have_dict ? &dict : NULL, FUZZ_BUDGET, &err);
	if (st != LAKE_OK)
	{
		check_failure(st, &err);
		if (have_dict)
			parquet_dictionary_release(&dict);
		return 0;
	}
	out = malloc(batch * parquet_value_size(type));
	FUZZ_ASSERT(out != NULL);
	for (int i = 0; total < FUZZ_MAX_VALUES; i++)
	{
		if (alternate && i % 2 == 1)
			st = parquet_decoder_skip(&d, batch, &err);
		else
		{
			if (i % 4 == 0)
				parquet_decoder_begin_batch(&d);
			st = parquet_decoder_next(&d, out, batch, &err);
			if (st == LAKE_OK)
				touch(type, type_length, out, batch);
		}
		if (st != LAKE_OK)
		{
			check_failure(st, &err);
			break;
		}
		total += batch;
	}
	free(out);
	parquet_decoder_release(&d);
	if (have_dict)
		parquet_dictionary_release(&dict);
	return 0;
}
