/*
 * bench_parquet_write.c
 *	  Write benchmark of the Parquet writer: N generated sensor rows (int32
 *	  device id, int64 timestamp in microseconds, two doubles, a
 *	  low-cardinality status string) to one file; prints rows per second.
 *
 *	  usage: bench_parquet_write [rows [path [codec]]]
 *	  defaults: 5000000 rows, /tmp/bench_parquet_write.parquet, snappy
 */
#include "lake/compression.h"
#include "lake/parquet_writer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static ParquetSchemaElement
leaf(const char *name, ParquetPhysicalType type, ParquetLogicalKind kind)
{
	ParquetSchemaElement e = parquet_writer_element_leaf(name, PQ_REQUIRED, type);

	e.logical.kind = kind;
	return e;
}

int
main(int argc, char **argv)
{
	int64_t		rows = argc > 1 ? atoll(argv[1]) : 5000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/bench_parquet_write.parquet";
	ParquetCodec codec = PQ_CODEC_SNAPPY;
	static const char *const status[] = {"ok", "ok", "ok", "warn", "error"};
	ParquetSchemaElement s[6];
	ParquetWriterOptions o;
	ParquetWriter *w = NULL;
	LakeOutput	out;
	LakeError	err;
	const LakeAllocator *a = &lake_malloc_allocator;
	uint64_t	rng = 88172645463325252ULL;
	double		t0,
				t1;
	int64_t		i;

	if (argc > 3 && !lake_codec_from_name(argv[3], &codec))
	{
		fprintf(stderr, "unknown codec \"%s\"\n", argv[3]);
		return 2;
	}
	s[0] = parquet_writer_element_group("schema", PQ_REQUIRED, 5);
	s[0].has_repetition = false;
	s[1] = leaf("device_id", PQ_INT32, PQ_LT_NONE);
	s[2] = leaf("ts", PQ_INT64, PQ_LT_TIMESTAMP);
	s[2].logical.unit = PQ_UNIT_MICROS;
	s[2].logical.is_adjusted_to_utc = true;
	s[3] = leaf("temperature", PQ_DOUBLE, PQ_LT_NONE);
	s[4] = leaf("humidity", PQ_DOUBLE, PQ_LT_NONE);
	s[5] = leaf("status", PQ_BYTE_ARRAY, PQ_LT_STRING);
	parquet_writer_options_init(&o);
	o.codec = codec;

	t0 = now();
	if (lake_output_open_file(a, path, &out, &err) != LAKE_OK ||
		parquet_writer_open(a, &out, s, 6, &o, &w, &err) != LAKE_OK)
	{
		fprintf(stderr, "open: %s\n", err.message);
		return 1;
	}
	for (i = 0; i < rows; i++)
	{
		ParquetValue v;
		uint64_t	r;

		rng ^= rng << 13;
		rng ^= rng >> 7;
		rng ^= rng << 17;
		r = rng;
		v.i32 = (int32_t) (i % 1000);
		if (parquet_writer_write_value(w, 0, &v, &err) != LAKE_OK)
			break;
		v.i64 = 1700000000000000LL + i * 1000;
		if (parquet_writer_write_value(w, 1, &v, &err) != LAKE_OK)
			break;
		v.f64 = 20.0 + (double) (r & 0xffff) / 6553.6;
		if (parquet_writer_write_value(w, 2, &v, &err) != LAKE_OK)
			break;
		v.f64 = 40.0 + (double) ((r >> 16) & 0xffff) / 3276.8;
		if (parquet_writer_write_value(w, 3, &v, &err) != LAKE_OK)
			break;
		v.bytes.ptr = (const uint8_t *) status[(r >> 32) % 5];
		v.bytes.len = (uint32_t) strlen(status[(r >> 32) % 5]);
		if (parquet_writer_write_value(w, 4, &v, &err) != LAKE_OK)
			break;
		if (parquet_writer_end_row(w, &err) != LAKE_OK)
			break;
	}
	if (i < rows || parquet_writer_finish(w, &err) != LAKE_OK || lake_output_commit(&out, &err) != LAKE_OK)
	{
		fprintf(stderr, "write: %s\n", err.message);
		parquet_writer_destroy(w);
		lake_output_abort(&out);
		return 1;
	}
	t1 = now();
	printf("parquet_write: %lld rows in %.3f s: %.0f rows/s (%s, %s)\n", (long long) rows, t1 - t0,
		   rows / (t1 - t0), parquet_codec_name(codec), path);
	parquet_writer_destroy(w);
	return 0;
}
