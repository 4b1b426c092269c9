/*
 * test_rle.c
 *	  The RLE / bit-packed hybrid: round trips at every bit width with varied
 *	  run structure, the byte vectors of Encodings.md, truncated and
 *	  malformed input, and a throughput figure for dictionary indices.
 */
#include "lake/rle.h"

#include <time.h>

#include "unit.h"

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t) (rng_state >> 11);
}

static uint32_t
mask_of(int w)
{
	return w == 32 ? 0xffffffffu : ((1u << w) - 1);
}

/* values with a mix of long runs, short runs and noise */
static void
fill_values(uint32_t *v, size_t n, int w)
{
	size_t		i = 0;

	while (i < n)
	{
		int			kind = rnd() % 4;
		size_t		len;
		uint32_t	x = rnd() & mask_of(w);

		if (kind == 0)
			len = 1 + rnd() % 200;	/* a long repeat */
		else if (kind == 1)
			len = 1 + rnd() % 9;	/* a short repeat around the threshold */
		else
			len = 1 + rnd() % 30;	/* noise */
		while (len-- > 0 && i < n)
		{
			v[i++] = x;
			if (kind >= 2)
				x = rnd() & mask_of(w);
		}
	}
}

static LakeStatus
encode_all(const uint32_t *v, size_t n, int w, LakeBuffer *buf, LakeError *err)
{
	RleEncoder	e;
	size_t		i;
	LakeStatus	st;

	rle_encoder_init(&e, buf, w);
	for (i = 0; i < n; i++)
	{
		st = rle_encoder_put(&e, v[i], err);
		if (st != LAKE_OK)
			return st;
	}
	return rle_encoder_flush(&e, err);
}

static void
test_round_trip(void)
{
	LakeError	err = {0};
	int			w;
	int			rep;

	for (w = 0; w <= 32; w++)
	{
		for (rep = 0; rep < 4; rep++)
		{
			size_t		n = rep == 0 ? 1 + rnd() % 20 : 1 + rnd() % 5000;
			uint32_t   *v = malloc(n * sizeof(uint32_t));
			uint32_t   *got = malloc((n + 8) * sizeof(uint32_t));
			LakeBuffer	buf;
			RleDecoder	d;
			size_t		done = 0;
			bool		ok = true;

			if (w == 0)
				memset(v, 0, n * sizeof(uint32_t));
			else
				fill_values(v, n, w);
			lake_buffer_init(&buf, &lake_malloc_allocator);
			CHECK_OK(encode_all(v, n, w, &buf, &err), &err);

			/* decode in random slices, some skipped */
			rle_decoder_init(&d, buf.data, buf.len, w);
			memset(got, 0xee, n * sizeof(uint32_t));
			while (done < n)
			{
				size_t		k = 1 + rnd() % 70;

				if (k > n - done)
					k = n - done;
				if (rnd() % 5 == 0)
				{
					if (rle_skip(&d, k, &err) != LAKE_OK)
					{
						ok = false;
						break;
					}
					memcpy(got + done, v + done, k * sizeof(uint32_t));
				}
				else if (rle_decode_uint32(&d, got + done, k, &err) != LAKE_OK)
				{
					ok = false;
					break;
				}
				done += k;
			}
			CHECK_MSG(ok, "width %d: %s", w, err.message);
			CHECK_MSG(memcmp(got, v, n * sizeof(uint32_t)) == 0, "width %d n %zu: values differ", w, n);

			/* all at once too */
			rle_decoder_init(&d, buf.data, buf.len, w);
			CHECK_OK(rle_decode_uint32(&d, got, n, &err), &err);
			CHECK(memcmp(got, v, n * sizeof(uint32_t)) == 0);

			/* int16 for small widths */
			if (w <= 15)
			{
				int16_t    *g16 = malloc(n * sizeof(int16_t));
				size_t		i;
				bool		same = true;

				rle_decoder_init(&d, buf.data, buf.len, w);
				CHECK_OK(rle_decode_int16(&d, g16, n, &err), &err);
				for (i = 0; i < n; i++)
					same = same && g16[i] == (int16_t) v[i];
				CHECK(same);
				free(g16);
			}

			/* every truncation: CORRUPT, or OK with the right values */
			if (rep == 1 && w > 0)
			{
				size_t		cut;

				for (cut = 0; cut < buf.len; cut++)
				{
					LakeStatus	st;

					rle_decoder_init(&d, buf.data, cut, w);
					st = rle_decode_uint32(&d, got, n, &err);
					CHECK(st == LAKE_OK || st == LAKE_ERROR_CORRUPT);
					if (st == LAKE_OK)
						CHECK(memcmp(got, v, n * sizeof(uint32_t)) == 0);
				}
			}
			lake_buffer_free(&buf);
			free(v);
			free(got);
		}
	}
}

/* the examples of Encodings.md */
static void
test_known_vectors(void)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	RleDecoder	d;
	uint32_t	got[16];
	uint32_t	v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	int			i;
	static const uint8_t packed[] = {0x03, 0x88, 0xC6, 0xFA};	/* 0..7 in 3 bits */
	static const uint8_t rle[] = {0x14, 0x04};	/* 10 x 4, width 3 */
	static const uint8_t rle_wide[] = {0x06, 0x34, 0x12, 0x05};	/* 3 x 0x51234, width 19 */

	/* bit-packed 0..7 at width 3: header (1 group << 1) | 1, then 0x88 0xC6 0xFA */
	rle_decoder_init(&d, packed, sizeof(packed), 3);
	CHECK_OK(rle_decode_uint32(&d, got, 8, &err), &err);
	CHECK(memcmp(got, v, sizeof(v)) == 0);

	lake_buffer_init(&buf, &lake_malloc_allocator);
	CHECK_OK(encode_all(v, 8, 3, &buf, &err), &err);
	CHECK(buf.len == sizeof(packed) && memcmp(buf.data, packed, sizeof(packed)) == 0);
	lake_buffer_reset(&buf);

	rle_decoder_init(&d, rle, sizeof(rle), 3);
	CHECK_OK(rle_decode_uint32(&d, got, 10, &err), &err);
	for (i = 0; i < 10; i++)
		CHECK(got[i] == 4);
	{
		uint32_t	tens[10] = {4, 4, 4, 4, 4, 4, 4, 4, 4, 4};

		CHECK_OK(encode_all(tens, 10, 3, &buf, &err), &err);
		CHECK(buf.len == sizeof(rle) && memcmp(buf.data, rle, sizeof(rle)) == 0);
	}
	lake_buffer_free(&buf);

	rle_decoder_init(&d, rle_wide, sizeof(rle_wide), 19);
	CHECK_OK(rle_decode_uint32(&d, got, 3, &err), &err);
	CHECK(got[0] == 0x51234 && got[2] == 0x51234);

	/* asking for more than the runs hold */
	rle_decoder_init(&d, rle, sizeof(rle), 3);
	CHECK(rle_decode_uint32(&d, got, 11, &err) == LAKE_ERROR_CORRUPT);

	/* width 0 decodes zeros without reading */
	rle_decoder_init(&d, NULL, 0, 0);
	got[0] = 7;
	CHECK_OK(rle_decode_uint32(&d, got, 16, &err), &err);
	CHECK(got[0] == 0 && got[15] == 0);

	/* encoder: 8 repeats become an RLE run, 7 stay bit-packed */
	{
		uint32_t	ones[8] = {1, 1, 1, 1, 1, 1, 1, 1};

		lake_buffer_init(&buf, &lake_malloc_allocator);
		CHECK_OK(encode_all(ones, 8, 1, &buf, &err), &err);
		CHECK(buf.len == 2 && buf.data[0] == 0x10 && buf.data[1] == 0x01);
		lake_buffer_reset(&buf);
		CHECK_OK(encode_all(ones, 7, 1, &buf, &err), &err);
		CHECK(buf.len == 2 && buf.data[0] == 0x03 && buf.data[1] == 0x7f);
		lake_buffer_free(&buf);
	}
}

static void
test_malformed(void)
{
	LakeError	err = {0};
	RleDecoder	d;
	uint32_t	got[64];
	static const uint8_t long_varint[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
	static const uint8_t overflow[] = {0xff, 0xff, 0xff, 0xff, 0x7f, 0x00};
	static const uint8_t bad_value[] = {0x10, 0x09};	/* 9 does not fit in 3 bits */
	static const uint8_t short_value[] = {0x10, 0x01};	/* width 9 needs 2 value bytes */
	static const uint8_t huge_packed[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0xAA, 0xBB};
	static const uint8_t empty_runs[] = {0x01, 0x00, 0x00, 0x04, 0x03};
	uint8_t		wide[8];

	rle_decoder_init(&d, long_varint, sizeof(long_varint), 3);
	CHECK(rle_decode_uint32(&d, got, 1, &err) == LAKE_ERROR_CORRUPT);
	rle_decoder_init(&d, overflow, sizeof(overflow), 3);
	CHECK(rle_decode_uint32(&d, got, 1, &err) == LAKE_ERROR_CORRUPT);
	rle_decoder_init(&d, bad_value, sizeof(bad_value), 3);
	CHECK(rle_decode_uint32(&d, got, 1, &err) == LAKE_ERROR_CORRUPT);
	rle_decoder_init(&d, short_value, sizeof(short_value), 9);
	CHECK(rle_decode_uint32(&d, got, 1, &err) == LAKE_ERROR_CORRUPT);

	/* a bit-packed run claiming 2^31 groups: only the bytes present count */
	rle_decoder_init(&d, huge_packed, sizeof(huge_packed), 8);
	CHECK_OK(rle_decode_uint32(&d, got, 2, &err), &err);
	CHECK(got[0] == 0xAA && got[1] == 0xBB);
	rle_decoder_init(&d, huge_packed, sizeof(huge_packed), 8);
	CHECK(rle_decode_uint32(&d, got, 3, &err) == LAKE_ERROR_CORRUPT);
	rle_decoder_init(&d, huge_packed, sizeof(huge_packed), 8);
	CHECK(rle_skip(&d, 1u << 30, &err) == LAKE_ERROR_CORRUPT);

	/* empty runs (0 groups, 0 repeats) are skipped */
	rle_decoder_init(&d, empty_runs, sizeof(empty_runs), 3);
	CHECK_OK(rle_decode_uint32(&d, got, 2, &err), &err);
	CHECK(got[0] == 3 && got[1] == 3);

	/* a huge RLE run is produced on demand */
	{
		static const uint8_t big[] = {0xfe, 0xff, 0xff, 0xff, 0x0f, 0x01};

		rle_decoder_init(&d, big, sizeof(big), 1);
		CHECK_OK(rle_skip(&d, ((size_t) 1 << 31) - 100, &err), &err);
		CHECK_OK(rle_decode_uint32(&d, got, 64, &err), &err);
		CHECK(got[63] == 1);
	}

	/* int16 refuses values over 16 bits */
	wide[0] = 0x02;
	wide[1] = 0x00;
	wide[2] = 0x00;
	wide[3] = 0x01;
	{
		int16_t		l[1];

		rle_decoder_init(&d, wide, 4, 17);
		CHECK(rle_decode_int16(&d, l, 1, &err) == LAKE_ERROR_CORRUPT);
	}

	/* encoder refuses a value wider than its bit width */
	{
		LakeBuffer	buf;
		RleEncoder	e;

		lake_buffer_init(&buf, &lake_malloc_allocator);
		rle_encoder_init(&e, &buf, 2);
		CHECK(rle_encoder_put(&e, 4, &err) == LAKE_ERROR_INVALID);
		lake_buffer_free(&buf);
	}

	/* random garbage never crashes */
	{
		uint8_t		junk[64];
		int			t;
		int			i;

		for (t = 0; t < 20000; t++)
		{
			int			w = rnd() % 33;
			size_t		len = rnd() % sizeof(junk);
			LakeStatus	st;

			for (i = 0; i < (int) len; i++)
				junk[i] = (uint8_t) rnd();
			rle_decoder_init(&d, junk, len, w);
			st = rle_decode_uint32(&d, got, 1 + rnd() % 64, &err);
			CHECK(st == LAKE_OK || st == LAKE_ERROR_CORRUPT);
		}
	}
}

static void
test_throughput(void)
{
	const size_t n = 10 * 1000 * 1000;
	uint32_t   *v = malloc(n * sizeof(uint32_t));
	uint32_t   *got = malloc(n * sizeof(uint32_t));
	LakeBuffer	buf;
	LakeError	err = {0};
	RleDecoder	d;
	struct timespec t0,
				t1;
	size_t		i;
	double		secs;

	for (i = 0; i < n; i++)
		v[i] = rnd() & 0x3ff;
	lake_buffer_init(&buf, &lake_malloc_allocator);
	CHECK_OK(encode_all(v, n, 10, &buf, &err), &err);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rle_decoder_init(&d, buf.data, buf.len, 10);
	for (i = 0; i < n; i += 1024)
		CHECK_OK(rle_decode_uint32(&d, got + i, n - i < 1024 ? n - i : 1024, &err), &err);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(memcmp(got, v, n * sizeof(uint32_t)) == 0);
	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("rle: decoded %zu 10-bit indices in %.3f s (%.0f M values/s)\n", n, secs, n / secs / 1e6);
	lake_buffer_free(&buf);
	free(v);
	free(got);
}

int
main(void)
{
	test_known_vectors();
	test_malformed();
	test_round_trip();
	test_throughput();
	return unit_finish("test_rle");
}
