/*
 * bench_lake_scan.c
 *	  Micro-benchmark of the lake/ Parquet reader alone (no PostgreSQL):
 *	  decode one column (default "temperature") of every row group of a
 *	  file, and then every leaf column, and report rows per second.
 *
 * Usage: bench_lake_scan FILE [runs [column [batch]]]
 * Prints one line per measurement (best of runs, after one warm-up run,
 * so the file is in the page cache): what was read, rows, best seconds,
 * M rows/s.  For a DOUBLE/FLOAT/INT column it also prints the average, a
 * check against the SQL figures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lake/lake_common.h"
#include "lake/parquet_reader.h"

typedef struct ScanResult
{
	int64_t		rows;			/* level entries of the first leaf read */
	int64_t		values;			/* non-null values summed */
	double		sum;			/* of the first leaf's values */
	double		others;			/* of the other leaves' (so they are read) */
} ScanResult;

static double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static double
sum_values(ParquetPhysicalType type, const ParquetColumnBatch *b)
{
	double		sum = 0;

	switch (type)
	{
		case PQ_DOUBLE:
			for (size_t i = 0; i < b->num_values; i++)
				sum += ((const double *) b->values)[i];
			break;
		case PQ_FLOAT:
			for (size_t i = 0; i < b->num_values; i++)
				sum += ((const float *) b->values)[i];
			break;
		case PQ_INT32:
			for (size_t i = 0; i < b->num_values; i++)
				sum += ((const int32_t *) b->values)[i];
			break;
		case PQ_INT64:
			for (size_t i = 0; i < b->num_values; i++)
				sum += (double) ((const int64_t *) b->values)[i];
			break;
		case PQ_BYTE_ARRAY:
			for (size_t i = 0; i < b->num_values; i++)
				sum += ((const ParquetBytes *) b->values)[i].len;
			break;
		default:
			break;
	}
	return sum;
}

/* Read leaves [first, first + n) of every row group; the first leaf's rows count. */
static int
scan(ParquetReader *r, int first, int n, size_t batch, ScanResult *res)
{
	const ParquetFileMetaData *md = parquet_reader_metadata(r);
	const ParquetSchema *schema = parquet_reader_schema(r);
	LakeError	err;

	memset(res, 0, sizeof(*res));
	for (int rg = 0; rg < md->num_row_groups; rg++)
	{
		for (int l = first; l < first + n; l++)
		{
			ParquetColumnReader *cr;
			ParquetColumnBatch b;
			ParquetPhysicalType type = schema->leaves[l].element->type;

			if (parquet_column_reader_open(r, rg, l, batch, &cr, &err) != LAKE_OK)
			{
				fprintf(stderr, "bench_lake_scan: %s\n", err.message);
				return 1;
			}
			for (;;)
			{
				if (parquet_column_reader_next(cr, &b, &err) != LAKE_OK)
				{
					fprintf(stderr, "bench_lake_scan: %s\n", err.message);
					parquet_column_reader_close(cr);
					return 1;
				}
				if (b.num_levels == 0)
					break;
				if (l == first)
				{
					res->rows += (int64_t) b.num_levels;
					res->values += (int64_t) b.num_values;
					res->sum += sum_values(type, &b);
				}
				else
					res->others += sum_values(type, &b);
			}
			parquet_column_reader_close(cr);
		}
	}
	return 0;
}

static int
measure(ParquetReader *r, const char *what, int first, int n, size_t batch, int runs, bool show_avg)
{
	ScanResult	res;
	double		best = 1e30;

	for (int i = -1; i < runs; i++)
	{
		double		t0 = now_seconds(),
					t;

		if (scan(r, first, n, batch, &res) != 0)
			return 1;
		t = now_seconds() - t0;
		if (i >= 0 && t < best)
			best = t;
	}
	printf("%s: %lld rows, best %.3f s of %d, %.1f M rows/s",
		   what, (long long) res.rows, best, runs, res.rows / best / 1e6);
	if (show_avg && res.values > 0)
		printf(" (avg %.6f)", res.sum / res.values);
	printf("\n");
	return 0;
}

int
main(int argc, char **argv)
{
	const char *path;
	int			runs = 5;
	const char *column = "temperature";
	size_t		batch = 8192;
	LakeInput	in;
	LakeError	err;
	ParquetReaderOptions opts;
	ParquetReader *r;
	const ParquetSchema *schema;
	int			field;
	char		what[256];

	if (argc < 2)
	{
		fprintf(stderr, "usage: bench_lake_scan FILE [runs [column [batch]]]\n");
		return 2;
	}
	path = argv[1];
	if (argc > 2)
		runs = atoi(argv[2]) > 0 ? atoi(argv[2]) : 1;
	if (argc > 3)
		column = argv[3];
	if (argc > 4 && atol(argv[4]) > 0)
		batch = (size_t) atol(argv[4]);

	if (lake_input_open_file(path, &in, &err) != LAKE_OK)
	{
		fprintf(stderr, "bench_lake_scan: %s\n", err.message);
		return 1;
	}
	parquet_reader_options_init(&opts);
	if (parquet_reader_open(&lake_malloc_allocator, &in, path, &opts, &r, &err) != LAKE_OK)
	{
		fprintf(stderr, "bench_lake_scan: %s\n", err.message);
		return 1;
	}
	schema = parquet_reader_schema(r);
	field = parquet_schema_find_field(schema, column);
	if (field < 0 || schema->fields[field].num_leaves != 1)
	{
		fprintf(stderr, "bench_lake_scan: no flat column \"%s\"\n", column);
		return 1;
	}
	snprintf(what, sizeof(what), "column \"%s\" (batch %zu)", column, batch);
	if (measure(r, what, schema->fields[field].first_leaf, 1, batch, runs, true) != 0)
		return 1;
	snprintf(what, sizeof(what), "all %d leaf columns (batch %zu)", schema->num_leaves, batch);
	if (measure(r, what, 0, schema->num_leaves, batch, runs, false) != 0)
		return 1;

	parquet_reader_close(r);
	lake_input_close(&in);
	return 0;
}
