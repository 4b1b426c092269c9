/*
 * bench_parquet_write.c
 *	  Write benchmark of the Parquet writer on rows shaped like the SQL
 *	  benchmark's (bench/gen_sensor_data.c, what lakehouse.write_parquet
 *	  writes): OPTIONAL int32 sensor_id (100 sensors, round robin), int64
 *	  timestamp in microseconds (5 s apart, all distinct), two doubles with
 *	  one decimal (per-sensor random walks) and a low-cardinality location
 *	  string (Room_A .. Room_Z).  Rows are generated in batches of 1024 and
 *	  written with parquet_writer_write_rows (what write_parquet uses) or, with
 *	  the api "values", one value at a time; prints rows per second, of the
 *	  whole loop and of the writer alone (generation time taken out).
 *
 *	  usage: bench_parquet_write [rows [path [codec [rows|values]]]]
 *	  defaults: 5000000 rows, /tmp/bench_parquet_write.parquet, snappy, rows
 */
#include "lake/compression.h"
#include "lake/parquet_writer.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BATCH 1024
#define SENSORS 100
#define NCOLS 5

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
	ParquetSchemaElement e = parquet_writer_element_leaf(name, PQ_OPTIONAL, type);

	e.logical.kind = kind;
	return e;
}

static uint64_t rng = 88172645463325252ULL;

/* uniform in [-1, 1) */
static double
step(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (double) (rng >> 11) / 4503599627370496.0 - 1.0;
}

int
main(int argc, char **argv)
{
	int64_t		rows = argc > 1 ? atoll(argv[1]) : 5000000;
	const char *path = argc > 2 ? argv[2] : "/tmp/bench_parquet_write.parquet";
	ParquetCodec codec = PQ_CODEC_SNAPPY;
	bool		per_value = argc > 4 && strcmp(argv[4], "values") == 0;
	static char rooms[26][8];
	double		temp[SENSORS],
				hum[SENSORS],
				temp_base[SENSORS],
				hum_base[SENSORS];
	static ParquetValue cols[NCOLS][BATCH];
	const ParquetValue *colp[NCOLS];
	ParquetSchemaElement s[NCOLS + 1];
	ParquetWriterOptions o;
	ParquetWriter *w = NULL;
	LakeOutput	out;
	LakeError	err;
	const LakeAllocator *a = &lake_malloc_allocator;
	double		t0,
				t1,
				gen = 0;
	int64_t		i = 0;
	int			k;

	if (argc > 3 && !lake_codec_from_name(argv[3], &codec))
	{
		fprintf(stderr, "unknown codec \"%s\"\n", argv[3]);
		return 2;
	}
	for (k = 0; k < 26; k++)
		snprintf(rooms[k], sizeof(rooms[k]), "Room_%c", 'A' + k);
	for (k = 0; k < SENSORS; k++)
	{
		temp_base[k] = 66.0 + 6.0 * (step() + 1.0);
		hum_base[k] = 30.0 + 15.0 * (step() + 1.0);
		temp[k] = temp_base[k];
		hum[k] = hum_base[k];
	}
	for (k = 0; k < NCOLS; k++)
		colp[k] = cols[k];
	s[0] = parquet_writer_element_group("schema", PQ_REQUIRED, NCOLS);
	s[0].has_repetition = false;
	s[1] = leaf("sensor_id", PQ_INT32, PQ_LT_NONE);
	s[2] = leaf("timestamp", PQ_INT64, PQ_LT_TIMESTAMP);
	s[2].logical.unit = PQ_UNIT_MICROS;
	s[2].logical.is_adjusted_to_utc = false;
	s[3] = leaf("temperature", PQ_DOUBLE, PQ_LT_NONE);
	s[4] = leaf("humidity", PQ_DOUBLE, PQ_LT_NONE);
	s[5] = leaf("location", PQ_BYTE_ARRAY, PQ_LT_STRING);
	parquet_writer_options_init(&o);
	o.codec = codec;

	t0 = now();
	if (lake_output_open_file(a, path, &out, &err) != LAKE_OK ||
		parquet_writer_open(a, &out, s, NCOLS + 1, &o, &w, &err) != LAKE_OK)
	{
		fprintf(stderr, "open: %s\n", err.message);
		return 1;
	}
	while (i < rows)
	{
		int			n = rows - i < BATCH ? (int) (rows - i) : BATCH;
		double		g0 = now();
		int			r;
		LakeStatus	st = LAKE_OK;

		for (r = 0; r < n; r++)
		{
			int64_t		row = i + r;
			int			sn = (int) (row % SENSORS);
			const char *room = rooms[sn % 26];

			temp[sn] += 0.3 * step() + 0.05 * (temp_base[sn] - temp[sn]);
			hum[sn] += 0.4 * step() + 0.05 * (hum_base[sn] - hum[sn]);
			cols[0][r].i32 = 1001 + sn;
			cols[1][r].i64 = 1746057600000000LL + row * 5000000LL;
			cols[2][r].f64 = round(temp[sn] * 10.0) / 10.0;
			cols[3][r].f64 = round(hum[sn] * 10.0) / 10.0;
			cols[4][r].bytes.ptr = (const uint8_t *) room;
			cols[4][r].bytes.len = (uint32_t) strlen(room);
		}
		gen += now() - g0;
		if (!per_value)
			st = parquet_writer_write_rows(w, colp, NULL, (size_t) n, &err);
		else
		{
			for (r = 0; r < n && st == LAKE_OK; r++)
			{
				for (k = 0; k < NCOLS && st == LAKE_OK; k++)
					st = parquet_writer_write_value(w, k, &cols[k][r], &err);
				if (st == LAKE_OK)
					st = parquet_writer_end_row(w, &err);
			}
		}
		if (st != LAKE_OK)
			break;
		i += n;
	}
	if (i < rows || parquet_writer_finish(w, &err) != LAKE_OK || lake_output_commit(&out, &err) != LAKE_OK)
	{
		fprintf(stderr, "write: %s\n", err.message);
		parquet_writer_destroy(w);
		lake_output_abort(&out);
		return 1;
	}
	t1 = now();
	printf("parquet_write: %lld rows in %.3f s: %.0f rows/s; writer alone %.3f s: %.0f rows/s (%s, %s api, %s)\n",
		   (long long) rows, t1 - t0, rows / (t1 - t0), t1 - t0 - gen, rows / (t1 - t0 - gen),
		   parquet_codec_name(codec), per_value ? "values" : "rows", path);
	parquet_writer_destroy(w);
	return 0;
}
