/*
 * test_compression.c
 *	  Page codecs: round trips of every supported codec, exact-size checks,
 *	  truncated and garbage input, multi-frame zstd and multi-member gzip,
 *	  the expansion bound, unsupported codecs and codec names.
 */
#include "lake/compression.h"

#include <zlib.h>
#include <zstd.h>

#include "unit.h"

static const ParquetCodec codecs[] = {
	PQ_CODEC_UNCOMPRESSED, PQ_CODEC_SNAPPY, PQ_CODEC_GZIP, PQ_CODEC_ZSTD, PQ_CODEC_LZ4_RAW
};
#define NUM_CODECS ((int) (sizeof(codecs) / sizeof(codecs[0])))

static uint32_t rng = 12345;

static uint8_t
rnd8(void)
{
	rng = rng * 1103515245u + 12345u;
	return (uint8_t) (rng >> 16);
}

static void
fill(uint8_t *p, size_t n, int kind)
{
	size_t		i;

	for (i = 0; i < n; i++)
	{
		if (kind == 0)
			p[i] = rnd8();		/* incompressible */
		else if (kind == 1)
			p[i] = (uint8_t) ("sensor-42,temperature,"[i % 22]);	/* repetitive */
		else
			p[i] = 0;			/* extreme */
	}
}

static void
test_round_trips(void)
{
	static const size_t sizes[] = {0, 1, 7, 100, 4096, 65537, 1 << 20};
	LakeError	err = {0};
	int			c;
	size_t		s;
	int			kind;

	for (c = 0; c < NUM_CODECS; c++)
	{
		ParquetCodec codec = codecs[c];

		CHECK(lake_codec_supported(codec));
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++)
		{
			for (kind = 0; kind < 3; kind++)
			{
				size_t		n = sizes[s];
				size_t		bound = lake_compress_bound(codec, n);
				uint8_t    *src = malloc(n + 1);
				uint8_t    *cmp = malloc(bound + 1);
				uint8_t    *out = malloc(n + 2);
				size_t		clen = 0;
				LakeStatus	st;

				fill(src, n, kind);
				CHECK_OK(lake_compress(codec, 0, src, n, cmp, bound, &clen, &err), &err);
				CHECK(clen <= bound);
				CHECK_OK(lake_decompress(codec, cmp, clen, out, n, &err), &err);
				CHECK_MSG(memcmp(out, src, n) == 0, "%s size %zu kind %d", parquet_codec_name(codec), n, kind);
				CHECK_MSG(lake_codec_max_expansion(codec, cmp, clen) >= n, "%s bound below %zu",
						  parquet_codec_name(codec), n);
				if (codec == PQ_CODEC_SNAPPY || codec == PQ_CODEC_ZSTD || codec == PQ_CODEC_UNCOMPRESSED)
					CHECK(lake_codec_max_expansion(codec, cmp, clen) == n);

				/* the wrong size is corrupt, both ways */
				st = lake_decompress(codec, cmp, clen, out, n + 1, &err);
				CHECK_MSG(st == LAKE_ERROR_CORRUPT, "%s size %zu+1: %s", parquet_codec_name(codec), n,
						  lake_status_name(st));
				if (n > 0)
				{
					st = lake_decompress(codec, cmp, clen, out, n - 1, &err);
					CHECK_MSG(st == LAKE_ERROR_CORRUPT, "%s size %zu-1: %s", parquet_codec_name(codec), n,
							  lake_status_name(st));
				}

				/* truncations never succeed (a few cut points) */
				if (n > 0 && codec != PQ_CODEC_UNCOMPRESSED)
				{
					size_t		cuts[4] = {0, 1, clen / 2, clen - 1};
					int			k;

					for (k = 0; k < 4; k++)
					{
						if (cuts[k] >= clen)
							continue;
						st = lake_decompress(codec, cmp, cuts[k], out, n, &err);
						CHECK_MSG(st == LAKE_ERROR_CORRUPT, "%s size %zu cut %zu: %s",
								  parquet_codec_name(codec), n, cuts[k], lake_status_name(st));
					}
				}
				free(src);
				free(cmp);
				free(out);
			}
		}
	}
}

static void
test_garbage(void)
{
	LakeError	err = {0};
	uint8_t		junk[512];
	uint8_t		out[4096];
	int			c;
	int			t;

	for (c = 1; c < NUM_CODECS; c++)
	{
		for (t = 0; t < 200; t++)
		{
			size_t		len = 1 + rnd8() % sizeof(junk);
			size_t		dlen = 1 + ((size_t) rnd8() << 4);
			size_t		i;
			LakeStatus	st;

			for (i = 0; i < len; i++)
				junk[i] = rnd8();
			st = lake_decompress(codecs[c], junk, len, out, dlen, &err);
			CHECK_MSG(st == LAKE_ERROR_CORRUPT, "%s garbage: %s", parquet_codec_name(codecs[c]),
					  lake_status_name(st));
			(void) lake_codec_max_expansion(codecs[c], junk, len);
		}
	}
	/* snappy stating an impossible length is bounded to 0 */
	{
		static const uint8_t liar[] = {0xff, 0xff, 0xff, 0xff, 0x0f, 0x00};

		CHECK(lake_codec_max_expansion(PQ_CODEC_SNAPPY, liar, sizeof(liar)) == 0);
	}
}

static void
test_multi_frame(void)
{
	LakeError	err = {0};
	uint8_t		a[3000];
	uint8_t		b[5000];
	uint8_t		both[8000];
	uint8_t		cmp[20000];
	uint8_t		out[8000];
	size_t		n1;
	size_t		n2;

	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 0);
	memcpy(both, a, sizeof(a));
	memcpy(both + sizeof(a), b, sizeof(b));

	/* zstd: two frames, the second without a content size */
	{
		ZSTD_CCtx  *cctx = ZSTD_createCCtx();
		ZSTD_inBuffer in = {b, sizeof(b), 0};
		ZSTD_outBuffer o;

		n1 = ZSTD_compress(cmp, sizeof(cmp), a, sizeof(a), 3);
		CHECK(!ZSTD_isError(n1));
		o.dst = cmp + n1;
		o.size = sizeof(cmp) - n1;
		o.pos = 0;
		ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
		CHECK(ZSTD_compressStream2(cctx, &o, &in, ZSTD_e_end) == 0);
		n2 = o.pos;
		ZSTD_freeCCtx(cctx);
		CHECK_OK(lake_decompress(PQ_CODEC_ZSTD, cmp, n1 + n2, out, sizeof(both), &err), &err);
		CHECK(memcmp(out, both, sizeof(both)) == 0);
		CHECK(lake_codec_max_expansion(PQ_CODEC_ZSTD, cmp, n1 + n2) >= sizeof(both));
		CHECK(lake_decompress(PQ_CODEC_ZSTD, cmp, n1 + n2, out, sizeof(both) - 1, &err) == LAKE_ERROR_CORRUPT);
		CHECK(lake_decompress(PQ_CODEC_ZSTD, cmp, n1, out, sizeof(both), &err) == LAKE_ERROR_CORRUPT);
	}

	/* gzip: two members; and a zlib-wrapped stream */
	{
		size_t		total = 0;
		int			part;

		for (part = 0; part < 2; part++)
		{
			z_stream	zs;

			memset(&zs, 0, sizeof(zs));
			CHECK(deflateInit2(&zs, 6, Z_DEFLATED, 31, 8, Z_DEFAULT_STRATEGY) == Z_OK);
			zs.next_in = part == 0 ? a : b;
			zs.avail_in = part == 0 ? sizeof(a) : sizeof(b);
			zs.next_out = cmp + total;
			zs.avail_out = sizeof(cmp) - total;
			CHECK(deflate(&zs, Z_FINISH) == Z_STREAM_END);
			total += zs.total_out;
			deflateEnd(&zs);
		}
		CHECK_OK(lake_decompress(PQ_CODEC_GZIP, cmp, total, out, sizeof(both), &err), &err);
		CHECK(memcmp(out, both, sizeof(both)) == 0);

		{
			uLongf		zlen = sizeof(cmp);

			CHECK(compress(cmp, &zlen, a, sizeof(a)) == Z_OK);
			CHECK_OK(lake_decompress(PQ_CODEC_GZIP, cmp, zlen, out, sizeof(a), &err), &err);
			CHECK(memcmp(out, a, sizeof(a)) == 0);
		}
	}
}

static void
test_unsupported_and_names(void)
{
	LakeError	err = {0};
	uint8_t		in[4] = {1, 2, 3, 4};
	uint8_t		out[16];
	ParquetCodec c;
	size_t		n;

	CHECK(lake_decompress(PQ_CODEC_LZ4, in, 4, out, 16, &err) == LAKE_ERROR_UNSUPPORTED);
	CHECK(strstr(err.message, "LZ4") != NULL);
	CHECK(lake_decompress(PQ_CODEC_BROTLI, in, 4, out, 16, &err) == LAKE_ERROR_UNSUPPORTED);
	CHECK(strstr(err.message, "BROTLI") != NULL);
	CHECK(lake_decompress(PQ_CODEC_LZO, in, 4, out, 16, &err) == LAKE_ERROR_UNSUPPORTED);
	CHECK(strstr(err.message, "LZO") != NULL);
	CHECK(lake_decompress((ParquetCodec) 42, in, 4, out, 16, &err) == LAKE_ERROR_UNSUPPORTED);
	CHECK(lake_compress(PQ_CODEC_BROTLI, 0, in, 4, out, 16, &n, &err) == LAKE_ERROR_UNSUPPORTED);
	CHECK(!lake_codec_supported(PQ_CODEC_LZ4));
	CHECK(lake_codec_max_expansion(PQ_CODEC_BROTLI, in, 4) == 0);
	CHECK(lake_compress(PQ_CODEC_ZSTD, 0, in, 4, out, 1, &n, &err) == LAKE_ERROR_INVALID);

	CHECK(lake_codec_from_name("SNAPPY", &c) && c == PQ_CODEC_SNAPPY);
	CHECK(lake_codec_from_name("zstd", &c) && c == PQ_CODEC_ZSTD);
	CHECK(lake_codec_from_name("Gzip", &c) && c == PQ_CODEC_GZIP);
	CHECK(lake_codec_from_name("lz4_raw", &c) && c == PQ_CODEC_LZ4_RAW);
	CHECK(lake_codec_from_name("none", &c) && c == PQ_CODEC_UNCOMPRESSED);
	CHECK(lake_codec_from_name("uncompressed", &c) && c == PQ_CODEC_UNCOMPRESSED);
	CHECK(!lake_codec_from_name("brotli", &c));
	CHECK(!lake_codec_from_name("", &c));

	/* levels are accepted and clamped */
	{
		uint8_t		src[1000];
		uint8_t		cmp[2000];
		uint8_t		back[1000];

		fill(src, sizeof(src), 1);
		CHECK_OK(lake_compress(PQ_CODEC_ZSTD, 99, src, sizeof(src), cmp, sizeof(cmp), &n, &err), &err);
		CHECK_OK(lake_decompress(PQ_CODEC_ZSTD, cmp, n, back, sizeof(back), &err), &err);
		CHECK_OK(lake_compress(PQ_CODEC_GZIP, 12, src, sizeof(src), cmp, sizeof(cmp), &n, &err), &err);
		CHECK_OK(lake_decompress(PQ_CODEC_GZIP, cmp, n, back, sizeof(back), &err), &err);
		CHECK(memcmp(back, src, sizeof(src)) == 0);
	}
}

int
main(void)
{
	test_round_trips();
	test_garbage();
	test_multi_frame();
	test_unsupported_and_names();
	return unit_finish("test_compression");
}
