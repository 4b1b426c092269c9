/*
 * test_delta_file_writer_batch.c
 *	  delta_file_writer_write_rows (the batch path of lake/delta_file_writer.c)
 *	  against the row path: the same rows written both ways give
 *	  byte-identical Parquet files and the same add.stats (with nulls); with
 *	  a small target size both roll to several files holding every row
 *	  (the batch path rolls between batches, so the files differ); a partitioned batch goes to its partition's
 *	  directory; a null in a non-nullable column and a string that is not
 *	  UTF-8 are refused.
 */
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "unit_delta.h"
#include "lake/delta_writer.h"

#define NROWS 5000
#define BATCH 700

static const LakeAllocator *A = &lake_malloc_allocator;

typedef struct TestTable
{
	DeltaMetadata md;
	DeltaColumn cols[5];
	char	   *pcols[1];
	int			pidx[1];
} TestTable;

static void
col(TestTable *t, int i, const char *name, DeltaTypeKind kind, bool nullable)
{
	unit_delta_column(&t->cols[i], name, kind, nullable);
}

/* id long not null, name string, value double, ts timestamp [, part string] */
static void
table_init(TestTable *t, bool partitioned)
{
	memset(t, 0, sizeof(*t));
	col(t, 0, "id", DELTA_TYPE_LONG, false);
	col(t, 1, "name", DELTA_TYPE_STRING, true);
	col(t, 2, "value", DELTA_TYPE_DOUBLE, true);
	col(t, 3, "ts", DELTA_TYPE_TIMESTAMP, true);
	t->md.columns = t->cols;
	t->md.num_columns = 4;
	t->md.created_time = -1;
	if (partitioned)
	{
		col(t, 4, "part", DELTA_TYPE_STRING, true);
		t->cols[4].partition_index = 0;
		t->md.num_columns = 5;
		t->pcols[0] = "part";
		t->pidx[0] = 4;
		t->md.partition_columns = t->pcols;
		t->md.partition_column_index = t->pidx;
		t->md.num_partition_columns = 1;
	}
}

static char names[NROWS][16];
static ParquetValue vals[4][NROWS];
static bool nulls[4][NROWS];

static void
make_rows(void)
{
	int			r;

	for (r = 0; r < NROWS; r++)
	{
		snprintf(names[r], sizeof(names[r]), "n%d", r % 313);
		memset(&vals[0][r], 0, sizeof(ParquetValue));
		vals[0][r].i64 = r * 3 - 100;
		vals[1][r].bytes.ptr = (const uint8_t *) names[r];
		vals[1][r].bytes.len = (uint32_t) strlen(names[r]);
		nulls[1][r] = r % 7 == 3;
		vals[2][r].f64 = r * 0.25;
		nulls[2][r] = r % 11 == 0;
		vals[3][r].i64 = 1700000000000000LL + r * 1001;
		nulls[3][r] = false;
	}
}

static char *
read_all(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	char	   *b;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	b = malloc(n > 0 ? n : 1);
	if (fread(b, 1, n, f) != (size_t) n)
		n = 0;
	fclose(f);
	*len = (size_t) n;
	return b;
}

/* Write every row, by rows (batch false) or in batches; finish. */
static DeltaFileWriter *
write_table(const char *dir, TestTable *t, bool batch, uint64_t target, DeltaNewFile **files, int *nfiles)
{
	DeltaFileWriter *w = NULL;
	DeltaFileWriterOptions o;
	LakeError	err;
	int			r,
				c;

	delta_file_writer_options_init(&o);
	o.parquet.row_group_rows = 400;
	o.target_file_bytes = target;
	mkdir(dir, 0755);
	CHECK_OK(delta_file_writer_open(A, dir, &t->md, &o, &w, &err), &err);
	if (w == NULL)
		return NULL;
	if (batch)
	{
		for (r = 0; r < NROWS; r += BATCH)
		{
			const ParquetValue *v[4];
			const bool *n[4];
			size_t		k = NROWS - r < BATCH ? NROWS - r : BATCH;

			for (c = 0; c < 4; c++)
			{
				v[c] = &vals[c][r];
				n[c] = &nulls[c][r];
			}
			CHECK_OK(delta_file_writer_write_rows(w, NULL, v, n, k, &err), &err);
		}
	}
	else
	{
		for (r = 0; r < NROWS; r++)
		{
			CHECK_OK(delta_file_writer_begin_row(w, NULL, &err), &err);
			for (c = 0; c < 4; c++)
				CHECK_OK(delta_file_writer_value(w, c, nulls[c][r] ? NULL : &vals[c][r], &err), &err);
			CHECK_OK(delta_file_writer_end_row(w, &err), &err);
		}
	}
	CHECK_OK(delta_file_writer_finish(w, files, nfiles, &err), &err);
	return w;
}

static void
test_same_files(uint64_t target)
{
	char		d1[256],
				d2[256];
	TestTable	t;
	DeltaFileWriter *w1,
			   *w2;
	DeltaNewFile *f1 = NULL,
			   *f2 = NULL;
	int			n1 = 0,
				n2 = 0;
	int			i;
	int64_t		total = 0;

	snprintf(d1, sizeof(d1), "/tmp/test_dfw_batch_%d_rows_%llu", (int) getpid(), (unsigned long long) target);
	snprintf(d2, sizeof(d2), "/tmp/test_dfw_batch_%d_batch_%llu", (int) getpid(), (unsigned long long) target);
	table_init(&t, false);
	w1 = write_table(d1, &t, false, target, &f1, &n1);
	w2 = write_table(d2, &t, true, target, &f2, &n2);
	if (w1 == NULL || w2 == NULL)
		return;
	if (target != 0)
	{
		for (i = 0; i < n2; i++)
			total += f2[i].num_records;
		CHECK_MSG(n1 > 1 && n2 > 1, "a small target rolls files (%d, %d)", n1, n2);
		CHECK(total == NROWS);
		delta_file_writer_abort(w1);
		delta_file_writer_abort(w2);
		rmdir(d1);
		rmdir(d2);
		return;
	}
	CHECK_MSG(n1 == n2 && n1 == 1, "files: rows %d, batch %d", n1, n2);
	for (i = 0; i < n1 && i < n2; i++)
	{
		char		p1[600],
					p2[600];
		size_t		l1 = 0,
					l2 = 0;
		char	   *b1,
				   *b2;

		total += f2[i].num_records;
		CHECK(f1[i].num_records == f2[i].num_records);
		CHECK_MSG(strcmp(f1[i].stats_json, f2[i].stats_json) == 0, "stats %s vs %s", f1[i].stats_json,
				  f2[i].stats_json);
		snprintf(p1, sizeof(p1), "%s/%s", d1, f1[i].path);
		snprintf(p2, sizeof(p2), "%s/%s", d2, f2[i].path);
		b1 = read_all(p1, &l1);
		b2 = read_all(p2, &l2);
		CHECK(b1 != NULL && b2 != NULL);
		CHECK_MSG(l1 == l2 && l1 > 0 && memcmp(b1, b2, l1) == 0, "file %d differs (%zu vs %zu bytes)", i, l1, l2);
		free(b1);
		free(b2);
	}
	CHECK(total == NROWS);
	delta_file_writer_abort(w1);
	delta_file_writer_abort(w2);
	rmdir(d1);
	rmdir(d2);
}

static void
test_partitioned_and_errors(void)
{
	char		dir[256];
	TestTable	t;
	DeltaFileWriter *w = NULL;
	DeltaNewFile *files;
	int			n = 0;
	LakeError	err;
	const ParquetValue *v[5];
	const bool *nl[5];
	const char *pv[1] = {"p=1"};
	ParquetValue bad;
	bool		yes = true;
	int			c;

	snprintf(dir, sizeof(dir), "/tmp/test_dfw_batch_%d_part", (int) getpid());
	mkdir(dir, 0755);
	table_init(&t, true);
	CHECK_OK(delta_file_writer_open(A, dir, &t.md, NULL, &w, &err), &err);
	if (w == NULL)
		return;
	for (c = 0; c < 4; c++)
	{
		v[c] = vals[c];
		nl[c] = nulls[c];
	}
	v[4] = NULL;
	nl[4] = NULL;
	/* a partitioned table needs the partition values */
	CHECK(delta_file_writer_write_rows(w, NULL, v, nl, 10, &err) == LAKE_ERROR_INVALID);
	CHECK_OK(delta_file_writer_write_rows(w, pv, v, nl, 100, &err), &err);
	CHECK_OK(delta_file_writer_write_rows(w, pv, v, nl, 0, &err), &err);
	/* a null id (not nullable) */
	nl[0] = &yes;
	CHECK(delta_file_writer_write_rows(w, pv, v, nl, 1, &err) == LAKE_ERROR_INVALID);
	CHECK_MSG(strstr(err.message, "not nullable") != NULL, "%s", err.message);
	nl[0] = nulls[0];
	/* a string that is not UTF-8 */
	bad.bytes.ptr = (const uint8_t *) "\xff\xfe";
	bad.bytes.len = 2;
	v[1] = &bad;
	CHECK(delta_file_writer_write_rows(w, pv, v, nl, 1, &err) == LAKE_ERROR_INVALID);
	CHECK_MSG(strstr(err.message, "UTF-8") != NULL, "%s", err.message);
	v[1] = vals[1];
	/* refused before writing: the writer is still usable */
	CHECK_OK(delta_file_writer_write_rows(w, pv, v, nl, 50, &err), &err);
	CHECK_OK(delta_file_writer_finish(w, &files, &n, &err), &err);
	CHECK(n == 1);
	if (n == 1)
	{
		CHECK_MSG(strncmp(files[0].path, "part=p%253D1/part-", 18) == 0, "%s", files[0].path);
		CHECK(files[0].num_records == 150);
	}
	delta_file_writer_abort(w);
	{
		char		cmd[300];

		snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
}

int
main(void)
{
	make_rows();
	test_same_files(0);
	test_same_files(8192);
	test_partitioned_and_errors();
	return unit_finish("test_delta_file_writer_batch");
}
