/*
 * test_rle_bulk.c
 *	  The bulk RLE / bit-packed encoders (rle_encode_uint32, rle_encode_int16,
 *	  rle_encode_repeat): round trips through the decoder at every bit width
 *	  with varied run structure, agreement in size with the streaming
 *	  encoder, rejected values, and a throughput figure.
 */
#include "lake/rle.h"

#include <time.h>

#include "unit.h"

static uint64_t rng_state = 0x2545f4914f6cdd1dull;

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

/* long runs, runs around the threshold of 8, and noise */
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
			len = 1 + rnd() % 300;
		else if (kind == 1)
			len = 6 + rnd() % 4;
		else
			len = 1 + rnd() % 40;
		while (len-- > 0 && i < n)
		{
			v[i++] = x;
			if (kind >= 2)
				x = rnd() & mask_of(w);
		}
	}
}

static size_t
stream_size(const uint32_t *v, size_t n, int w)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	RleEncoder	e;
	size_t		i,
				len;

	lake_buffer_init(&buf, &lake_malloc_allocator);
	rle_encoder_init(&e, &buf, w);
	for (i = 0; i < n; i++)
		rle_encoder_put(&e, v[i], &err);
	rle_encoder_flush(&e, &err);
	len = buf.len;
	lake_buffer_free(&buf);
	return len;
}

static void
test_round_trip(void)
{
	LakeError	err = {0};
	int			w;
	int			rep;

	for (w = 0; w <= 32; w++)
	{
		for (rep = 0; rep < 6; rep++)
		{
			size_t		n = rep == 0 ? 1 + rnd() % 20 : (rep == 1 ? 8 * (1 + rnd() % 100) : 1 + rnd() % 20000);
			uint32_t   *v = malloc(n * sizeof(uint32_t));
			uint32_t   *got = malloc(n * sizeof(uint32_t));
			LakeBuffer	buf;
			RleDecoder	d;
			size_t		prefix;

			if (w == 0)
				memset(v, 0, n * sizeof(uint32_t));
			else
				fill_values(v, n, w);
			lake_buffer_init(&buf, &lake_malloc_allocator);
			/* something before, to check appending */
			CHECK_OK(lake_buffer_append(&buf, "xyz", 3, &err), &err);
			prefix = buf.len;
			CHECK_OK(rle_encode_uint32(&buf, v, n, w, &err), &err);
			CHECK(memcmp(buf.data, "xyz", 3) == 0);
			rle_decoder_init(&d, buf.data + prefix, buf.len - prefix, w);
			memset(got, 0xee, n * sizeof(uint32_t));
			CHECK_OK(rle_decode_uint32(&d, got, n, &err), &err);
			CHECK_MSG(memcmp(got, v, n * sizeof(uint32_t)) == 0, "width %d n %zu: values differ", w, n);
			/* no bigger than the streaming encoder's output, give or take a few headers */
			CHECK_MSG(buf.len - prefix <= stream_size(v, n, w) + 2 + n / 256,
					  "width %d n %zu: %zu bytes vs %zu streaming", w, n, buf.len - prefix, stream_size(v, n, w));

			if (w <= 15)
			{
				int16_t    *l = malloc(n * sizeof(int16_t));
				int16_t    *l2 = malloc(n * sizeof(int16_t));
				size_t		i;

				for (i = 0; i < n; i++)
					l[i] = (int16_t) v[i];
				lake_buffer_reset(&buf);
				CHECK_OK(rle_encode_int16(&buf, l, n, w, &err), &err);
				rle_decoder_init(&d, buf.data, buf.len, w);
				CHECK_OK(rle_decode_int16(&d, l2, n, &err), &err);
				CHECK_MSG(memcmp(l, l2, n * sizeof(int16_t)) == 0, "int16 width %d n %zu: levels differ", w, n);
				free(l);
				free(l2);
			}
			lake_buffer_free(&buf);
			free(v);
			free(got);
		}
	}
}

static void
test_repeat_and_errors(void)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	RleDecoder	d;
	uint32_t	got[1000];
	uint32_t	bad[9] = {1, 2, 3, 4, 5, 6, 7, 8, 9};
	int16_t		neg[2] = {0, -1};
	int			i;
	bool		ok = true;

	lake_buffer_init(&buf, &lake_malloc_allocator);
	CHECK_OK(rle_encode_repeat(&buf, 3, 1000, 2, &err), &err);
	CHECK(buf.len == 3);		/* varint(2000) = 2 bytes, then the value */
	rle_decoder_init(&d, buf.data, buf.len, 2);
	CHECK_OK(rle_decode_uint32(&d, got, 1000, &err), &err);
	for (i = 0; i < 1000; i++)
		ok = ok && got[i] == 3;
	CHECK(ok);
	lake_buffer_reset(&buf);
	CHECK_OK(rle_encode_repeat(&buf, 1, 0, 1, &err), &err);
	CHECK(buf.len == 0);
	CHECK(rle_encode_repeat(&buf, 4, 10, 2, &err) == LAKE_ERROR_INVALID);
	CHECK(rle_encode_uint32(&buf, bad, 9, 3, &err) == LAKE_ERROR_INVALID);
	CHECK(rle_encode_int16(&buf, neg, 2, 1, &err) == LAKE_ERROR_INVALID);
	CHECK(rle_encode_int16(&buf, neg, 1, 17, &err) == LAKE_ERROR_INVALID);
	lake_buffer_free(&buf);
}

/* the first groups of Encodings.md's example: 0..7 at width 3 */
static void
test_spec_vector(void)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	uint32_t	v[8] = {0, 1, 2, 3, 4, 5, 6, 7};
	static const uint8_t want[4] = {0x03, 0x88, 0xc6, 0xfa};

	lake_buffer_init(&buf, &lake_malloc_allocator);
	CHECK_OK(rle_encode_uint32(&buf, v, 8, 3, &err), &err);
	CHECK(buf.len == 4 && memcmp(buf.data, want, 4) == 0);
	lake_buffer_free(&buf);
}

static void
test_throughput(void)
{
	LakeError	err = {0};
	size_t		n = 1 << 20;
	uint32_t   *v = malloc(n * sizeof(uint32_t));
	LakeBuffer	buf;
	struct timespec t0,
				t1;
	size_t		i;
	int			r;

	for (i = 0; i < n; i++)
		v[i] = rnd() % 100;
	lake_buffer_init(&buf, &lake_malloc_allocator);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (r = 0; r < 10; r++)
	{
		lake_buffer_reset(&buf);
		CHECK_OK(rle_encode_uint32(&buf, v, n, 7, &err), &err);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("rle bulk encode: %.0f M values/s (width 7)\n",
		   10.0 * n / ((t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9) / 1e6);
	lake_buffer_free(&buf);
	free(v);
}

int
main(void)
{
	test_round_trip();
	test_repeat_and_errors();
	test_spec_vector();
	test_throughput();
	return unit_finish("test_rle_bulk");
}
