/*
 * test_parquet_decode.c
 *	  Unit tests of the page value decoders (lake/parquet_decode.c) on
 *	  hand-built byte vectors, including every truncation of each vector.
 */
#include "lake/parquet_decode.h"

#include <math.h>

#include "unit.h"

static const LakeAllocator *A = &lake_malloc_allocator;

/* Decode n values of a vector; returns the status. */
static LakeStatus
decode(ParquetEncoding enc, ParquetPhysicalType type, int32_t tl, const uint8_t *data, size_t len,
	   const ParquetDictionary *dict, void *out, size_t n, LakeError *err)
{
	ParquetDecoder d;
	LakeStatus	st;

	st = parquet_decoder_init(&d, A, enc, type, tl, data, len, dict, 0, err);
	if (st == LAKE_OK)
		st = parquet_decoder_next(&d, out, n, err);
	parquet_decoder_release(&d);
	return st;
}

/* Every strict prefix of the vector must fail with CORRUPT (never crash). */
static void
check_truncations(ParquetEncoding enc, ParquetPhysicalType type, int32_t tl, const uint8_t *data,
				  size_t len, const ParquetDictionary *dict, size_t n, const char *what)
{
	uint8_t		out[64 * 16];
	size_t		cut;
	int			bad = 0;

	for (cut = 0; cut < len; cut++)
	{
		LakeError	err;
		uint8_t    *copy = malloc(cut ? cut : 1);
		LakeStatus	st;

		memcpy(copy, data, cut);
		st = decode(enc, type, tl, copy, cut, dict, out, n, &err);
		if (st != LAKE_ERROR_CORRUPT)
			bad++;
		free(copy);
	}
	CHECK_MSG(bad == 0, "%s: %d truncations did not fail as corrupt", what, bad);
}

static void
test_plain(void)
{
	LakeError	err;
	static const uint8_t i32[] = {1, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0x10, 0, 0, 0x80};
	static const uint8_t bools[] = {0x05, 0x01};
	static const uint8_t ba[] = {2, 0, 0, 0, 'h', 'i', 0, 0, 0, 0, 3, 0, 0, 0, 'a', 'b', 'c'};
	static const uint8_t bad_ba[] = {2, 0, 0, 0, 'h', 'i', 9, 0, 0, 0, 'a'};
	uint8_t		flba[6] = {'a', 'b', 'c', 'd', 'e', 'f'};
	uint8_t		i96[24];
	int32_t		v32[3];
	bool		vb[9];
	ParquetBytes vbytes[3];
	ParquetDecoder d;
	int			i;

	CHECK_OK(decode(PQ_ENC_PLAIN, PQ_INT32, 0, i32, sizeof(i32), NULL, v32, 3, &err), &err);
	CHECK(v32[0] == 1 && v32[1] == -1 && v32[2] == (int32_t) 0x80000010);
	check_truncations(PQ_ENC_PLAIN, PQ_INT32, 0, i32, sizeof(i32), NULL, 3, "plain int32");

	/* booleans across two batches: bit position carries over */
	CHECK_OK(parquet_decoder_init(&d, A, PQ_ENC_PLAIN, PQ_BOOLEAN, 0, bools, sizeof(bools), NULL, 0, &err), &err);
	CHECK_OK(parquet_decoder_next(&d, vb, 3, &err), &err);
	CHECK_OK(parquet_decoder_next(&d, vb + 3, 6, &err), &err);
	CHECK(vb[0] && !vb[1] && vb[2] && !vb[3] && !vb[7] && vb[8]);
	CHECK(parquet_decoder_next(&d, vb, 8, &err) == LAKE_ERROR_CORRUPT);
	parquet_decoder_release(&d);

	CHECK_OK(decode(PQ_ENC_PLAIN, PQ_BYTE_ARRAY, 0, ba, sizeof(ba), NULL, vbytes, 3, &err), &err);
	CHECK(vbytes[0].len == 2 && memcmp(vbytes[0].ptr, "hi", 2) == 0);
	CHECK(vbytes[1].len == 0);
	CHECK(vbytes[2].len == 3 && memcmp(vbytes[2].ptr, "abc", 3) == 0);
	check_truncations(PQ_ENC_PLAIN, PQ_BYTE_ARRAY, 0, ba, sizeof(ba), NULL, 3, "plain byte array");
	CHECK(decode(PQ_ENC_PLAIN, PQ_BYTE_ARRAY, 0, bad_ba, sizeof(bad_ba), NULL, vbytes, 2, &err) == LAKE_ERROR_CORRUPT);

	CHECK_OK(decode(PQ_ENC_PLAIN, PQ_FIXED_LEN_BYTE_ARRAY, 3, flba, 6, NULL, vbytes, 2, &err), &err);
	CHECK(vbytes[1].len == 3 && memcmp(vbytes[1].ptr, "def", 3) == 0);
	check_truncations(PQ_ENC_PLAIN, PQ_FIXED_LEN_BYTE_ARRAY, 3, flba, 6, NULL, 2, "plain flba");

	for (i = 0; i < 24; i++)
		i96[i] = (uint8_t) i;
	CHECK_OK(decode(PQ_ENC_PLAIN, PQ_INT96, 0, i96, 24, NULL, vbytes, 2, &err), &err);
	CHECK(vbytes[1].len == 12 && vbytes[1].ptr == i96 + 12);
	check_truncations(PQ_ENC_PLAIN, PQ_INT96, 0, i96, 24, NULL, 2, "plain int96");

	/* an encoding that does not apply to the type */
	CHECK(decode(PQ_ENC_DELTA_BINARY_PACKED, PQ_DOUBLE, 0, i32, sizeof(i32), NULL, v32, 1, &err) == LAKE_ERROR_CORRUPT);
	CHECK(decode((ParquetEncoding) 42, PQ_INT32, 0, i32, sizeof(i32), NULL, v32, 1, &err) == LAKE_ERROR_UNSUPPORTED);
}

static void
test_dictionary(void)
{
	LakeError	err;
	static const uint8_t dpage[] = {10, 0, 0, 0, 0, 0, 0, 0, 20, 0, 0, 0, 0, 0, 0, 0, 30, 0, 0, 0, 0, 0, 0, 0};
	/* bit width 2; RLE run of 4 x index 2; bit-packed run of 8: 0,1,2,0,1,2,0,1 */
	static const uint8_t idx[] = {2, 8, 2, 3, 0x24, 0x18 | (1 << 2) | 0x00, 0x00};
	static const uint8_t bad_idx[] = {2, 8, 3};
	static const uint8_t sdpage[] = {1, 0, 0, 0, 'x', 2, 0, 0, 0, 'y', 'z'};
	static const uint8_t sidx[] = {1, 4, 1};
	ParquetDictionary dict;
	ParquetDictionary sdict;
	int64_t		v[12];
	ParquetBytes sv[2];
	uint8_t		packed[2];

	/* values 0,1,2,0 | 1,2,0,1 at 2 bits LSB first */
	packed[0] = (uint8_t) (0 | (1 << 2) | (2 << 4) | (0 << 6));
	packed[1] = (uint8_t) (1 | (2 << 2) | (0 << 4) | (1 << 6));
	{
		uint8_t		idx2[7];

		memcpy(idx2, idx, sizeof(idx2));
		idx2[4] = packed[0];
		idx2[5] = packed[1];
		CHECK_OK(parquet_dictionary_decode(A, PQ_INT64, 0, dpage, sizeof(dpage), 3, &dict, &err), &err);
		CHECK(dict.num_values == 3);
		CHECK_OK(decode(PQ_ENC_RLE_DICTIONARY, PQ_INT64, 0, idx2, 6, &dict, v, 12, &err), &err);
		CHECK(v[0] == 30 && v[3] == 30 && v[4] == 10 && v[5] == 20 && v[6] == 30 && v[11] == 20);
		check_truncations(PQ_ENC_RLE_DICTIONARY, PQ_INT64, 0, idx2, 6, &dict, 12, "dictionary indices");
	}
	CHECK(decode(PQ_ENC_PLAIN_DICTIONARY, PQ_INT64, 0, bad_idx, sizeof(bad_idx), &dict, v, 4, &err) == LAKE_ERROR_CORRUPT);
	CHECK(strstr(err.message, "out of range") != NULL);
	/* no dictionary */
	CHECK(decode(PQ_ENC_PLAIN_DICTIONARY, PQ_INT64, 0, bad_idx, sizeof(bad_idx), NULL, v, 1, &err) == LAKE_ERROR_CORRUPT);
	/* a count the bytes cannot hold */
	CHECK(parquet_dictionary_decode(A, PQ_INT64, 0, dpage, sizeof(dpage), 4, &sdict, &err) == LAKE_ERROR_CORRUPT);
	CHECK(parquet_dictionary_decode(A, PQ_INT64, 0, dpage, sizeof(dpage), 1 << 30, &sdict, &err) == LAKE_ERROR_CORRUPT);
	parquet_dictionary_release(&dict);

	CHECK_OK(parquet_dictionary_decode(A, PQ_BYTE_ARRAY, 0, sdpage, sizeof(sdpage), 2, &sdict, &err), &err);
	CHECK_OK(decode(PQ_ENC_PLAIN_DICTIONARY, PQ_BYTE_ARRAY, 0, sidx, sizeof(sidx), &sdict, sv, 2, &err), &err);
	CHECK(sv[0].len == 2 && memcmp(sv[1].ptr, "yz", 2) == 0);
	parquet_dictionary_release(&sdict);
	CHECK(parquet_dictionary_decode(A, PQ_BYTE_ARRAY, 0, sdpage, sizeof(sdpage) - 1, 2, &sdict, &err) == LAKE_ERROR_CORRUPT);
}

static void
test_delta(void)
{
	LakeError	err;
	/* 1,2,3,4,5: block 128, 4 miniblocks, 5 values, first 1; min delta 1, widths 0 */
	static const uint8_t seq[] = {0x80, 0x01, 4, 5, 2, 2, 0, 0, 0, 0};
	/* 7,5,3,1,2,3,4,5: min delta -2, first miniblock width 2 */
	static const uint8_t spec[] = {0x80, 0x01, 4, 8, 14, 3, 2, 0, 0, 0,
	0xC0, 0x3F, 0, 0, 0, 0, 0, 0};
	/* INT64 wrapping: INT64_MAX then +1 */
	static const uint8_t wrap[] = {0x80, 0x01, 4, 2,
		0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
	2, 0, 0, 0, 0};
	/* DELTA_LENGTH_BYTE_ARRAY: lengths 2, 3 then "hiabc" */
	static const uint8_t dlba[] = {0x80, 0x01, 4, 2, 4, 2, 0, 0, 0, 0, 'h', 'i', 'a', 'b', 'c'};
	/* DELTA_BYTE_ARRAY: prefixes 0, 2; suffixes "hello", "p" */
	static const uint8_t dba[] = {0x80, 0x01, 4, 2, 0, 4, 0, 0, 0, 0,
		0x80, 0x01, 4, 2, 10, 7, 0, 0, 0, 0,
	'h', 'e', 'l', 'l', 'o', 'p'};
	static const uint8_t dba_bad[] = {0x80, 0x01, 4, 2, 0, 18, 0, 0, 0, 0,
		0x80, 0x01, 4, 2, 10, 7, 0, 0, 0, 0,
	'h', 'e', 'l', 'l', 'o', 'p'};
	static const uint8_t bad_block[] = {0x81, 0x01, 4, 2, 0};
	int32_t		v32[8];
	int64_t		v64[2];
	ParquetBytes vb[2];
	ParquetDecoder d;

	CHECK_OK(decode(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, seq, sizeof(seq), NULL, v32, 5, &err), &err);
	CHECK(v32[0] == 1 && v32[4] == 5);
	CHECK(decode(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, seq, sizeof(seq), NULL, v32, 6, &err) == LAKE_ERROR_CORRUPT);

	CHECK_OK(decode(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, spec, sizeof(spec), NULL, v32, 8, &err), &err);
	CHECK(v32[0] == 7 && v32[1] == 5 && v32[3] == 1 && v32[4] == 2 && v32[7] == 5);
	/* in batches of 3 */
	CHECK_OK(parquet_decoder_init(&d, A, PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, spec, sizeof(spec), NULL, 0, &err), &err);
	CHECK_OK(parquet_decoder_next(&d, v32, 3, &err), &err);
	CHECK_OK(parquet_decoder_next(&d, v32 + 3, 3, &err), &err);
	CHECK_OK(parquet_decoder_next(&d, v32 + 6, 2, &err), &err);
	CHECK(v32[2] == 3 && v32[5] == 3 && v32[6] == 4 && v32[7] == 5);
	parquet_decoder_release(&d);
	check_truncations(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT32, 0, spec, 11, NULL, 8, "delta binary packed");

	CHECK_OK(decode(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT64, 0, wrap, sizeof(wrap), NULL, v64, 2, &err), &err);
	CHECK(v64[0] == INT64_MAX && v64[1] == INT64_MIN);
	CHECK(decode(PQ_ENC_DELTA_BINARY_PACKED, PQ_INT64, 0, bad_block, sizeof(bad_block), NULL, v64, 1, &err) == LAKE_ERROR_CORRUPT);

	CHECK_OK(decode(PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, dlba, sizeof(dlba), NULL, vb, 2, &err), &err);
	CHECK(vb[0].len == 2 && memcmp(vb[0].ptr, "hi", 2) == 0 && vb[1].len == 3 && memcmp(vb[1].ptr, "abc", 3) == 0);
	check_truncations(PQ_ENC_DELTA_LENGTH_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, dlba, sizeof(dlba), NULL, 2, "delta length byte array");

	CHECK_OK(parquet_decoder_init(&d, A, PQ_ENC_DELTA_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, dba, sizeof(dba), NULL, 0, &err), &err);
	CHECK_OK(parquet_decoder_next(&d, vb, 1, &err), &err);
	parquet_decoder_begin_batch(&d);	/* the previous value must survive */
	CHECK_OK(parquet_decoder_next(&d, vb + 1, 1, &err), &err);
	CHECK(vb[1].len == 3 && memcmp(vb[1].ptr, "hep", 3) == 0);
	parquet_decoder_release(&d);
	check_truncations(PQ_ENC_DELTA_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, dba, sizeof(dba), NULL, 2, "delta byte array");
	CHECK(decode(PQ_ENC_DELTA_BYTE_ARRAY, PQ_BYTE_ARRAY, 0, dba_bad, sizeof(dba_bad), NULL, vb, 2, &err) == LAKE_ERROR_CORRUPT);
	CHECK(strstr(err.message, "prefix") != NULL);
	/* FLBA(3) through DELTA_BYTE_ARRAY: "hello" has the wrong length */
	CHECK(decode(PQ_ENC_DELTA_BYTE_ARRAY, PQ_FIXED_LEN_BYTE_ARRAY, 3, dba, sizeof(dba), NULL, vb, 1, &err) == LAKE_ERROR_CORRUPT);
}

static void
test_bss_rle(void)
{
	LakeError	err;
	static const uint8_t f[] = {0, 0, 0, 0, 0x80, 0, 0x3f, 0x40};
	static const uint8_t flba[] = {'a', 'd', 'b', 'e', 'c', 'f'};
	static const uint8_t rle[] = {2, 0, 0, 0, 6, 1};
	float		vf[2];
	int32_t		vi[2];
	bool		vb[3];
	ParquetBytes vfl[2];

	CHECK_OK(decode(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FLOAT, 0, f, sizeof(f), NULL, vf, 2, &err), &err);
	CHECK(vf[0] == 1.0f && vf[1] == 2.0f);
	CHECK_OK(decode(PQ_ENC_BYTE_STREAM_SPLIT, PQ_INT32, 0, f, sizeof(f), NULL, vi, 2, &err), &err);
	CHECK(vi[0] == 0x3f800000);
	CHECK(decode(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FLOAT, 0, f, 7, NULL, vf, 1, &err) == LAKE_ERROR_CORRUPT);
	CHECK(decode(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FLOAT, 0, f, sizeof(f), NULL, vf, 3, &err) == LAKE_ERROR_CORRUPT);
	CHECK_OK(decode(PQ_ENC_BYTE_STREAM_SPLIT, PQ_FIXED_LEN_BYTE_ARRAY, 3, flba, sizeof(flba), NULL, vfl, 2, &err), &err);
	/* (vfl points into a released arena here; only lengths are checked) */
	CHECK(vfl[0].len == 3);
	{
		ParquetDecoder d;

		CHECK_OK(parquet_decoder_init(&d, A, PQ_ENC_BYTE_STREAM_SPLIT, PQ_FIXED_LEN_BYTE_ARRAY, 3, flba, sizeof(flba), NULL, 0, &err), &err);
		CHECK_OK(parquet_decoder_next(&d, vfl, 2, &err), &err);
		CHECK(memcmp(vfl[0].ptr, "abc", 3) == 0 && memcmp(vfl[1].ptr, "def", 3) == 0);
		parquet_decoder_release(&d);
	}

	CHECK_OK(decode(PQ_ENC_RLE, PQ_BOOLEAN, 0, rle, sizeof(rle), NULL, vb, 3, &err), &err);
	CHECK(vb[0] && vb[1] && vb[2]);
	check_truncations(PQ_ENC_RLE, PQ_BOOLEAN, 0, rle, sizeof(rle), NULL, 3, "rle boolean");
	CHECK(decode(PQ_ENC_RLE, PQ_INT32, 0, rle, sizeof(rle), NULL, vi, 1, &err) == LAKE_ERROR_CORRUPT);
}

int
main(void)
{
	test_plain();
	test_dictionary();
	test_delta();
	test_bss_rle();
	return unit_finish("test_parquet_decode");
}
