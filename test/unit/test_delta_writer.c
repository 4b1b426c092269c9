/*
 * test_delta_writer.c
 *	  The Delta writer (lake/delta_file_writer.c, delta_commit.c,
 *	  delta_checkpoint_writer.c): tables created and appended to (partitioned
 *	  and not), every version read back with delta_snapshot_load (files,
 *	  partition values, statistics, numRecords) and the rows with the Parquet
 *	  reader; checkpoints at 10 and 20 read by delta_snapshot_load and by
 *	  DuckDB; 4 processes x 25 concurrent blind appends; conflicts (remove /
 *	  remove, txn / txn, metadata); a crash leaving a temporary commit file;
 *	  abort.  DuckDB (duckdb_expect.mjs) checks the data and checkpoint files.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "unit_delta.h"
#include "lake/delta_writer.h"
#include "lake/parquet_reader.h"

static const LakeAllocator *A = &lake_malloc_allocator;
static char tmpdir[256];
static FILE *duck;				/* the DuckDB expectations file */
static int	num_duck;

/* --------------------------------------------------------------- tables */

typedef struct TestTable
{
	DeltaMetadata md;
	DeltaColumn cols[8];
	char	   *pcols[2];
	int			pidx[2];
	DeltaKeyValue conf[1];
} TestTable;

static void
col(TestTable *t, int i, const char *name, DeltaTypeKind kind, bool nullable)
{
	unit_delta_column(&t->cols[i], name, kind, nullable);
	if (kind == DELTA_TYPE_DECIMAL)
	{
		t->cols[i].precision = 10;
		t->cols[i].scale = 2;
	}
}

/* id long not null, name string, value double, ts timestamp, d date, amount decimal(10,2) [, part string] */
static void
table_init(TestTable *t, bool partitioned)
{
	memset(t, 0, sizeof(*t));
	col(t, 0, "id", DELTA_TYPE_LONG, false);
	col(t, 1, "name", DELTA_TYPE_STRING, true);
	col(t, 2, "value", DELTA_TYPE_DOUBLE, true);
	col(t, 3, "ts", DELTA_TYPE_TIMESTAMP, true);
	col(t, 4, "d", DELTA_TYPE_DATE, true);
	col(t, 5, "amount", DELTA_TYPE_DECIMAL, true);
	t->md.columns = t->cols;
	t->md.num_columns = 6;
	t->md.created_time = -1;
	if (partitioned)
	{
		col(t, 6, "device", DELTA_TYPE_STRING, true);
		t->cols[6].partition_index = 0;
		t->md.num_columns = 7;
		t->pcols[0] = "device";
		t->pidx[0] = 6;
		t->md.partition_columns = t->pcols;
		t->md.partition_column_index = t->pidx;
		t->md.num_partition_columns = 1;
	}
}

static ParquetValue
vi64(int64_t x)
{
	ParquetValue v;

	v.i64 = x;
	return v;
}

static ParquetValue
vi32(int32_t x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.i32 = x;
	return v;
}

static ParquetValue
vstr(const char *s)
{
	ParquetValue v;

	v.bytes.ptr = (const uint8_t *) s;
	v.bytes.len = (uint32_t) strlen(s);
	return v;
}

static ParquetValue
vf64(double x)
{
	ParquetValue v;

	v.f64 = x;
	return v;
}

/* row i: id, name "n<i>" (null every 7th), value i*0.5, ts, d, amount */
static bool
write_row(DeltaFileWriter *w, int64_t id, bool partitioned, const char *part, LakeError *err)
{
	char		name[64];
	ParquetValue v;
	const char *pv[1] = {part};

	if (delta_file_writer_begin_row(w, partitioned ? pv : NULL, err) != LAKE_OK)
		return false;
	v = vi64(id);
	if (delta_file_writer_value(w, 0, &v, err) != LAKE_OK)
		return false;
	snprintf(name, sizeof(name), "n%lld", (long long) id);
	v = vstr(name);
	if (delta_file_writer_value(w, 1, id % 7 == 3 ? NULL : &v, err) != LAKE_OK)
		return false;
	v = vf64(id * 0.5);
	if (delta_file_writer_value(w, 2, &v, err) != LAKE_OK)
		return false;
	v = vi64(1700000000000000LL + id * 1001);	/* microseconds: max is rounded up */
	if (delta_file_writer_value(w, 3, &v, err) != LAKE_OK)
		return false;
	v = vi32(19000 + (int32_t) (id % 400));
	if (delta_file_writer_value(w, 4, &v, err) != LAKE_OK)
		return false;
	v = vi64(id * 7 - 50);		/* decimal(10,2): INT64 unscaled */
	if (delta_file_writer_value(w, 5, &v, err) != LAKE_OK)
		return false;
	return delta_file_writer_end_row(w, err) == LAKE_OK;
}

/*
 * Write rows [first, first+n) (partitioned: part = parts[id % nparts]) and
 * commit them.  Returns the version or -1.
 */
static int64_t
append(const char *dir, TestTable *t, bool create, int64_t first, int n, const char *const *parts, int nparts,
	   int64_t read_version, const char *app_id, int64_t txn_version, LakeError *err, LakeStatus *st_out)
{
	DeltaFileWriter *w = NULL;
	DeltaFileWriterOptions o;
	DeltaNewFile *files;
	int			nfiles;
	DeltaCommitRequest req;
	LakeError	cperr;
	int64_t		version = -1;
	int			i;
	LakeStatus	st;

	delta_file_writer_options_init(&o);
	o.parquet.row_group_rows = 50;
	o.target_file_bytes = 4096;	/* roll often */
	if ((st = delta_file_writer_open(A, dir, &t->md, &o, &w, err)) != LAKE_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (!write_row(w, first + i, nparts > 0, nparts ? parts[(first + i) % nparts] : NULL, err))
		{
			st = err->status;
			delta_file_writer_abort(w);
			goto out;
		}
	if ((st = delta_file_writer_finish(w, &files, &nfiles, err)) != LAKE_OK)
	{
		delta_file_writer_abort(w);
		goto out;
	}
	memset(&req, 0, sizeof(req));
	req.read_version = create ? -1 : read_version;
	req.blind_append = true;	/* also with a txn: a stream's append reads nothing */
	req.metadata = create ? &t->md : NULL;
	req.adds = files;
	req.num_adds = nfiles;
	req.adds_data_change = true;
	req.txn_app_id = app_id;
	req.txn_version = txn_version;
	req.operation = create ? "CREATE TABLE AS SELECT" : "WRITE";
	req.operation_parameters_json = "{\"mode\":\"Append\"}";
	req.engine_info = "iot_lakehouse/test";
	st = delta_commit(A, dir, &req, &version, &cperr, err);
	if (st != LAKE_OK)
		delta_file_writer_abort(w);
	else
	{
		delta_file_writer_free(w);
		if (cperr.status != LAKE_OK)
			fprintf(stderr, "checkpoint at %lld: %s\n", (long long) version, cperr.message);
		CHECK_MSG(cperr.status == LAKE_OK, "checkpoint: %s", cperr.message);
	}
out:
	if (st_out)
		*st_out = st;
	return st == LAKE_OK ? version : -1;
}

/* Sum and count of the id column (leaf 0) of a data file, by the Parquet reader */
static bool
read_ids(const char *path, int64_t *count, int64_t *sum)
{
	LakeInput	in;
	LakeError	err;
	ParquetReader *r = NULL;
	const ParquetFileMetaData *m;
	int			rg;
	bool		ok = true;

	*count = *sum = 0;
	if (lake_input_open_file(path, &in, &err) != LAKE_OK)
		return false;
	if (parquet_reader_open(A, &in, path, NULL, &r, &err) != LAKE_OK)
	{
		lake_input_close(&in);
		return false;
	}
	m = parquet_reader_metadata(r);
	for (rg = 0; rg < m->num_row_groups && ok; rg++)
	{
		ParquetColumnReader *cr;
		ParquetColumnBatch b;

		if (parquet_column_reader_open(r, rg, 0, 1024, &cr, &err) != LAKE_OK)
		{
			ok = false;
			break;
		}
		for (;;)
		{
			size_t		k;

			if (parquet_column_reader_next(cr, &b, &err) != LAKE_OK)
			{
				ok = false;
				break;
			}
			if (b.num_levels == 0)
				break;
			for (k = 0; k < b.num_values; k++)
				*sum += ((int64_t *) b.values)[k];
			*count += (int64_t) b.num_values;
		}
		parquet_column_reader_close(cr);
	}
	parquet_reader_close(r);
	lake_input_close(&in);
	return ok;
}

/* Check a snapshot: rows, id sum (by reading the files), per-file numRecords */
static void
check_version(const char *dir, int64_t version, int64_t want_rows, int64_t want_sum)
{
	DeltaSnapshot *s = NULL;
	LakeError	err;
	int64_t		rows = 0,
				sum = 0;
	int			i;

	CHECK_OK(delta_snapshot_load(A, dir, version, &s, &err), &err);
	if (s == NULL)
		return;
	CHECK(s->version == version);
	CHECK_MSG(s->num_records == want_rows, "version %lld: %lld records, want %lld", (long long) version,
			  (long long) s->num_records, (long long) want_rows);
	for (i = 0; i < s->num_files; i++)
	{
		char		path[1024];
		int64_t		c,
					x;

		snprintf(path, sizeof(path), "%s/%s", dir, s->files[i].local_path);
		CHECK_MSG(read_ids(path, &c, &x), "read %s", path);
		CHECK(c == s->files[i].num_records);
		CHECK(s->files[i].stats != NULL && s->files[i].stats[0].has_min && s->files[i].stats[0].has_max);
		rows += c;
		sum += x;
	}
	CHECK_MSG(rows == want_rows && sum == want_sum, "version %lld: read %lld rows sum %lld, want %lld sum %lld",
			  (long long) version, (long long) rows, (long long) sum, (long long) want_rows, (long long) want_sum);
	delta_snapshot_free(A, s);
}

static void
duck_expect(const char *expect, const char *fmt, ...) LAKE_PRINTF(2, 3);

static void
duck_expect(const char *expect, const char *fmt,...)
{
	va_list		ap;

	fprintf(duck, "%s\t", expect);
	va_start(ap, fmt);
	vfprintf(duck, fmt, ap);
	va_end(ap);
	fputc('\n', duck);
	num_duck++;
}

/* DuckDB: the active files of the snapshot hold want_rows rows summing to want_sum */
static void
duck_check_data(const char *dir, int64_t version, int64_t want_rows, int64_t want_sum)
{
	DeltaSnapshot *s = NULL;
	LakeError	err;
	char		want[64];
	int			i;

	if (delta_snapshot_load(A, dir, version, &s, &err) != LAKE_OK)
		return;
	snprintf(want, sizeof(want), "%lld %lld", (long long) want_rows, (long long) want_sum);
	fprintf(duck, "%s\tSELECT count(*) || ' ' || sum(id) FROM read_parquet([", want);
	for (i = 0; i < s->num_files; i++)
		fprintf(duck, "%s'%s/%s'", i ? "," : "", dir, s->files[i].local_path);
	fprintf(duck, "])\n");
	num_duck++;
	delta_snapshot_free(A, s);
}

/* ---------------------------------------------------------------- tests */

static int64_t
sum_range(int64_t first, int64_t n)
{
	return n * first + n * (n - 1) / 2;
}

static void
test_unpartitioned(void)
{
	char		dir[512];
	TestTable	t;
	LakeError	err;
	int64_t		v,
				rows = 0,
				sum = 0;
	int			k;
	DeltaSnapshot *s = NULL;
	char		path[1024];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/plain", tmpdir);
	table_init(&t, false);
	v = append(dir, &t, true, 0, 300, NULL, 0, -1, NULL, 0, &err, NULL);
	CHECK_MSG(v == 0, "create: %s", err.message);
	rows = 300;
	sum = sum_range(0, 300);
	check_version(dir, 0, rows, sum);

	/* stats of version 0's first file, protocol, metadata */
	CHECK_OK(delta_snapshot_load(A, dir, 0, &s, &err), &err);
	if (s)
	{
		CHECK(s->protocol.min_reader_version == 1 && s->protocol.min_writer_version == 2);
		CHECK(s->metadata.num_columns == 6 && s->metadata.columns[5].kind == DELTA_TYPE_DECIMAL);
		CHECK(s->num_files > 1);	/* rolled at 4 KiB */
		CHECK(strcmp(s->files[0].stats[4].min, "2022-01-08") <= 0 || s->files[0].stats[4].has_min);
		delta_snapshot_free(A, s);
	}

	for (k = 1; k <= 25; k++)
	{
		int			n = 10 + k;

		v = append(dir, &t, false, rows, n, NULL, 0, -1, NULL, 0, &err, NULL);
		CHECK_MSG(v == k, "append %d: version %lld: %s", k, (long long) v, err.message);
		rows += n;
		sum += sum_range(rows - n, n);
		check_version(dir, k, rows, sum);
		if (k == 10 || k == 20)
			duck_check_data(dir, k, rows, sum);
	}
	/* checkpoints at 10 and 20, _last_checkpoint at 20 */
	snprintf(path, sizeof(path), "%s/_delta_log/00000000000000000010.checkpoint.parquet", dir);
	CHECK_MSG(stat(path, &sb) == 0, "%s missing", path);
	duck_expect("1", "SELECT count(*) FROM read_parquet('%s') WHERE protocol.minReaderVersion = 1", path);
	duck_expect("1", "SELECT count(*) FROM read_parquet('%s') WHERE metaData.id IS NOT NULL "
				"AND len(metaData.partitionColumns) = 0", path);
	snprintf(path, sizeof(path), "%s/_delta_log/00000000000000000020.checkpoint.parquet", dir);
	CHECK_MSG(stat(path, &sb) == 0, "%s missing", path);
	{
		char		want[64];

		/* numRecords summed from add.stats equals the rows of version 20 */
		snprintf(want, sizeof(want), "%lld", (long long) (300 + 20 * 10 + 20 * 21 / 2));
		duck_expect(want, "SELECT sum((add.stats::JSON->>'numRecords')::BIGINT) FROM read_parquet('%s')", path);
		duck_expect("0", "SELECT count(*) FROM read_parquet('%s') WHERE add.path IS NOT NULL "
					"AND (add.stats::JSON->'minValues'->>'id') IS NULL", path);
	}
	snprintf(path, sizeof(path), "%s/_delta_log/_last_checkpoint", dir);
	{
		FILE	   *f = fopen(path, "r");
		char		buf[256] = "";

		CHECK(f != NULL);
		if (f)
		{
			if (fgets(buf, sizeof(buf), f) == NULL)
				buf[0] = '\0';
			fclose(f);
		}
		CHECK_MSG(strncmp(buf, "{\"version\":20,", 14) == 0, "_last_checkpoint: %s", buf);
	}
	/* versions before, at and after the checkpoints still read the same */
	{
		int64_t		r = 300,
					x = sum_range(0, 300);

		for (k = 1; k <= 25; k++)
		{
			r += 10 + k;
			x += sum_range(r - (10 + k), 10 + k);
			if (k == 9 || k == 10 || k == 11 || k == 20 || k == 25)
				check_version(dir, k, r, x);
		}
	}
}

static void
test_partitioned(void)
{
	char		dir[512];
	TestTable	t;
	LakeError	err;
	const char *parts[4] = {"dev/1", "a b%c", NULL, "x=y"};
	int64_t		v,
				rows = 0,
				sum = 0;
	int			k;
	DeltaSnapshot *s = NULL;
	char		path[1024];
	struct stat sb;

	snprintf(dir, sizeof(dir), "%s/parted", tmpdir);
	table_init(&t, true);
	v = append(dir, &t, true, 0, 100, parts, 4, -1, NULL, 0, &err, NULL);
	CHECK_MSG(v == 0, "create partitioned: %s", err.message);
	rows = 100;
	sum = sum_range(0, 100);
	check_version(dir, 0, rows, sum);
	for (k = 1; k <= 10; k++)
	{
		v = append(dir, &t, false, rows, 40, parts, 4, -1, NULL, 0, &err, NULL);
		CHECK_MSG(v == k, "append partitioned %d: %s", k, err.message);
		rows += 40;
		sum += sum_range(rows - 40, 40);
		check_version(dir, k, rows, sum);
	}
	CHECK_OK(delta_snapshot_load(A, dir, -1, &s, &err), &err);
	if (s)
	{
		int			seen[4] = {0};
		int			i;

		CHECK(s->metadata.num_partition_columns == 1);
		for (i = 0; i < s->num_files; i++)
		{
			const char *p = s->files[i].partition_values[0];
			const char *lp = s->files[i].local_path;

			if (p == NULL)
			{
				seen[2]++;
				CHECK_MSG(strncmp(lp, "device=__HIVE_DEFAULT_PARTITION__/", 34) == 0, "%s", lp);
			}
			else if (strcmp(p, "dev/1") == 0)
			{
				seen[0]++;
				CHECK_MSG(strncmp(lp, "device=dev%2F1/", 15) == 0, "%s", lp);
				CHECK_MSG(strncmp(s->files[i].path, "device=dev%252F1/", 17) == 0, "%s", s->files[i].path);
			}
			else if (strcmp(p, "a b%c") == 0)
			{
				seen[1]++;
				CHECK_MSG(strncmp(lp, "device=a b%25c/", 15) == 0, "%s", lp);
			}
			else if (strcmp(p, "x=y") == 0)
			{
				seen[3]++;
				CHECK_MSG(strncmp(lp, "device=x%3Dy/", 13) == 0, "%s", lp);
			}
			else
				CHECK_MSG(false, "unexpected partition value %s", p);
			/* the partition column is not in the data file */
			snprintf(path, sizeof(path), "%s/%s", dir, lp);
			CHECK(stat(path, &sb) == 0);
		}
		CHECK(seen[0] > 0 && seen[1] > 0 && seen[2] > 0 && seen[3] > 0);
		delta_snapshot_free(A, s);
	}
	snprintf(path, sizeof(path), "%s/_delta_log/00000000000000000010.checkpoint.parquet", dir);
	CHECK_MSG(stat(path, &sb) == 0, "%s missing", path);
	duck_expect("true", "SELECT count(*) > 0 FROM read_parquet('%s') WHERE add.partitionValues['device'] = 'dev/1'", path);
	duck_expect("true", "SELECT count(*) > 0 FROM read_parquet('%s') WHERE add.path IS NOT NULL "
				"AND add.partitionValues['device'] IS NULL", path);
	duck_expect("device", "SELECT metaData.partitionColumns[1] FROM read_parquet('%s') WHERE metaData IS NOT NULL", path);
	duck_check_data(dir, 10, rows, sum);
	/* delete the checkpoint's _last_checkpoint: a listing finds the checkpoint */
	check_version(dir, 10, rows, sum);
}

static void
test_stats(void)
{
	char		dir[512];
	TestTable	t;
	LakeError	err;
	DeltaFileWriter *w = NULL;
	DeltaNewFile *files;
	int			n;
	ParquetValue v;
	const char *longs = "abcdefghijklmnopqrstuvwxyz0123456789-long-string";
	const char *maxs = "zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz";

	snprintf(dir, sizeof(dir), "%s/stats", tmpdir);
	mkdir(dir, 0755);
	table_init(&t, false);
	CHECK_OK(delta_file_writer_open(A, dir, &t.md, NULL, &w, &err), &err);
	if (w == NULL)
		return;
	for (int i = 0; i < 2; i++)
	{
		CHECK_OK(delta_file_writer_begin_row(w, NULL, &err), &err);
		v = vi64(i);
		CHECK_OK(delta_file_writer_value(w, 0, &v, &err), &err);
		v = vstr(i ? maxs : longs);
		CHECK_OK(delta_file_writer_value(w, 1, &v, &err), &err);
		v = vi64(i ? 1700000000123456LL : -86400000000LL);	/* max rounds up to .124; min 1969-12-31 */
		CHECK_OK(delta_file_writer_value(w, 3, &v, &err), &err);
		v = vi64(i ? 12345 : -5);
		CHECK_OK(delta_file_writer_value(w, 5, &v, &err), &err);
		CHECK_OK(delta_file_writer_end_row(w, &err), &err);
	}
	/* errors: a partition column, a missing non-null column */
	CHECK_OK(delta_file_writer_begin_row(w, NULL, &err), &err);
	CHECK(delta_file_writer_value(w, 0, NULL, &err) == LAKE_ERROR_INVALID);
	CHECK(delta_file_writer_end_row(w, &err) == LAKE_ERROR_INVALID);
	delta_file_writer_abort(w);
	w = NULL;

	CHECK_OK(delta_file_writer_open(A, dir, &t.md, NULL, &w, &err), &err);
	for (int i = 0; i < 2; i++)
	{
		CHECK_OK(delta_file_writer_begin_row(w, NULL, &err), &err);
		v = vi64(i);
		CHECK_OK(delta_file_writer_value(w, 0, &v, &err), &err);
		v = vstr(i ? maxs : longs);
		CHECK_OK(delta_file_writer_value(w, 1, &v, &err), &err);
		v = vi64(i ? 1700000000123456LL : -86400000000LL);
		CHECK_OK(delta_file_writer_value(w, 3, &v, &err), &err);
		v = vi64(i ? 12345 : -5);
		CHECK_OK(delta_file_writer_value(w, 5, &v, &err), &err);
		CHECK_OK(delta_file_writer_end_row(w, &err), &err);
	}
	CHECK_OK(delta_file_writer_finish(w, &files, &n, &err), &err);
	CHECK(n == 1);
	if (n == 1)
	{
		const char *s = files[0].stats_json;

		CHECK_MSG(strstr(s, "\"minValues\":{\"id\":0,\"name\":\"abcdefghijklmnopqrstuvwxyz012345\"") != NULL, "%s", s);
		CHECK_MSG(strstr(s, "\"ts\":\"1969-12-31T00:00:00.000Z\"") != NULL, "%s", s);
		CHECK_MSG(strstr(s, "\"ts\":\"2023-11-14T22:13:20.124Z\"") != NULL, "%s", s);
		CHECK_MSG(strstr(s, "\"amount\":-0.05") != NULL && strstr(s, "\"amount\":123.45") != NULL, "%s", s);
		CHECK_MSG(strstr(s, "\"name\":\"zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\xef\xbf\xbf\"") != NULL, "%s", s);
		CHECK_MSG(strstr(s, "\"nullCount\":{\"id\":0,\"name\":0,\"value\":2,\"ts\":0,\"d\":2,\"amount\":0}") != NULL,
				  "%s", s);
		CHECK_MSG(strncmp(s, "{\"numRecords\":2,", 16) == 0, "%s", s);
		{
			char		path[1024];
			struct stat sb;

			snprintf(path, sizeof(path), "%s/%s", dir, files[0].path);
			CHECK(stat(path, &sb) == 0 && sb.st_size == files[0].size);
			delta_file_writer_abort(w);
			CHECK(stat(path, &sb) != 0);	/* abort removed it */
		}
	}
	else
		delta_file_writer_abort(w);
}

#define NPROC 4
#define NPER 25

static void
test_concurrent(void)
{
	char		dir[512];
	TestTable	t;
	LakeError	err;
	int64_t		v;
	pid_t		pids[NPROC];
	int			p,
				k;
	DeltaSnapshot *s = NULL;
	int64_t		want = 0;

	snprintf(dir, sizeof(dir), "%s/conc", tmpdir);
	table_init(&t, false);
	v = append(dir, &t, true, 0, 1, NULL, 0, -1, NULL, 0, &err, NULL);
	CHECK_MSG(v == 0, "create: %s", err.message);
	for (p = 0; p < NPROC; p++)
	{
		pids[p] = fork();
		if (pids[p] == 0)
		{
			int			bad = 0;

			for (k = 0; k < NPER; k++)
			{
				LakeError	e;
				int64_t		id = 1000 * (p + 1) + k;

				if (append(dir, &t, false, id, 1, NULL, 0, -1, NULL, 0, &e, NULL) < 0)
				{
					fprintf(stderr, "child %d commit %d: %s\n", p, k, e.message);
					bad++;
				}
			}
			_exit(bad ? 1 : 0);
		}
	}
	for (p = 0; p < NPROC; p++)
	{
		int			status = 0;

		waitpid(pids[p], &status, 0);
		CHECK_MSG(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d failed", p);
	}
	for (p = 0; p < NPROC; p++)
		for (k = 0; k < NPER; k++)
			want += 1000 * (p + 1) + k;
	CHECK_OK(delta_snapshot_load(A, dir, -1, &s, &err), &err);
	if (s)
	{
		int64_t		sum = 0;

		CHECK_MSG(s->version == NPROC * NPER, "latest version %lld", (long long) s->version);
		CHECK(s->num_files == NPROC * NPER + 1);
		CHECK(s->num_records == NPROC * NPER + 1);
		for (k = 0; k < s->num_files; k++)
		{
			char		path[1024];
			int64_t		c,
						x;

			snprintf(path, sizeof(path), "%s/%s", dir, s->files[k].local_path);
			if (read_ids(path, &c, &x))
				sum += x;
			if (k > 0)
				CHECK(strcmp(s->files[k - 1].path, s->files[k].path) < 0);	/* each file once */
		}
		CHECK_MSG(sum == want, "sum %lld want %lld", (long long) sum, (long long) want);
		delta_snapshot_free(A, s);
	}
	/* every version 1..100 holds exactly one add */
	for (k = 1; k <= NPROC * NPER; k++)
	{
		DeltaSnapshot *a = NULL,
				   *b = NULL;

		if (delta_snapshot_load(A, dir, k - 1, &a, &err) == LAKE_OK &&
			delta_snapshot_load(A, dir, k, &b, &err) == LAKE_OK)
			CHECK_MSG(b->num_files == a->num_files + 1, "version %d", k);
		else
			CHECK_MSG(false, "version %d: %s", k, err.message);
		if (a)
			delta_snapshot_free(A, a);
		if (b)
			delta_snapshot_free(A, b);
	}
	duck_check_data(dir, -1, NPROC * NPER + 1, want);
}

static int64_t
commit_remove(const char *dir, int64_t read_version, const DeltaAddFile *f, LakeError *err, LakeStatus *st)
{
	DeltaRemoveFile r;
	DeltaCommitRequest req;
	LakeError	cperr;
	int64_t		v = -1;

	memset(&r, 0, sizeof(r));
	r.path = f->path;
	r.data_change = true;
	r.size = f->size;
	memset(&req, 0, sizeof(req));
	req.read_version = read_version;
	req.removes = &r;
	req.num_removes = 1;
	req.operation = "DELETE";
	*st = delta_commit(A, dir, &req, &v, &cperr, err);
	return v;
}

static void
test_conflicts(void)
{
	char		dir[512];
	char		path[1024];
	TestTable	t;
	LakeError	err;
	LakeStatus	st;
	int64_t		v,
				base;
	DeltaSnapshot *s = NULL;
	FILE	   *f;

	snprintf(dir, sizeof(dir), "%s/confl", tmpdir);
	table_init(&t, false);
	v = append(dir, &t, true, 0, 10, NULL, 0, -1, NULL, 0, &err, NULL);
	CHECK(v == 0);
	v = append(dir, &t, false, 10, 10, NULL, 0, -1, NULL, 0, &err, NULL);
	CHECK(v == 1);
	CHECK_OK(delta_snapshot_load(A, dir, 1, &s, &err), &err);
	if (s == NULL)
		return;

	/* two removes of the same file, both read version 1 */
	v = commit_remove(dir, 1, &s->files[0], &err, &st);
	CHECK_MSG(st == LAKE_OK && v == 2, "first remove: %s", err.message);
	v = commit_remove(dir, 1, &s->files[0], &err, &st);
	CHECK_MSG(st == LAKE_ERROR_CONFLICT, "second remove: %s %s", lake_status_name(st), err.message);
	CHECK(strstr(err.message, "version 2") != NULL);
	/* removing another file after that read the table: conflicts too (it read the removed file) */
	v = commit_remove(dir, 1, &s->files[1], &err, &st);
	CHECK_MSG(st == LAKE_ERROR_CONFLICT, "remove other: %s", lake_status_name(st));
	/* but a blind append at read version 1 goes through */
	v = append(dir, &t, false, 100, 5, NULL, 0, 1, NULL, 0, &err, &st);
	CHECK_MSG(st == LAKE_OK && v == 3, "blind append after: %s", err.message);
	delta_snapshot_free(A, s);

	/* txn: two commits of app "stream-1" reading the same version */
	base = 3;
	v = append(dir, &t, false, 200, 5, NULL, 0, base, "stream-1", 1, &err, &st);
	CHECK_MSG(st == LAKE_OK && v == 4, "txn 1: %s", err.message);
	v = append(dir, &t, false, 300, 5, NULL, 0, base, "stream-1", 1, &err, &st);
	CHECK_MSG(st == LAKE_ERROR_CONFLICT, "txn 2: %s", lake_status_name(st));
	/* another app id does not conflict */
	v = append(dir, &t, false, 400, 5, NULL, 0, base, "stream-2", 1, &err, &st);
	CHECK_MSG(st == LAKE_OK && v == 5, "txn other app: %s", err.message);
	CHECK_OK(delta_snapshot_load(A, dir, -1, &s, &err), &err);
	if (s)
	{
		CHECK(s->num_txns == 2);
		delta_snapshot_free(A, s);
	}

	/* metadata changed concurrently: a blind append that read before conflicts */
	{
		DeltaCommitRequest req;
		LakeError	cperr;
		DeltaSnapshot *cur = NULL;

		CHECK_OK(delta_snapshot_load(A, dir, -1, &cur, &err), &err);
		if (cur)
		{
			DeltaKeyValue kv = {"delta.checkpointInterval", "5"};
			DeltaMetadata md = cur->metadata;

			md.configuration = &kv;
			md.num_configuration = 1;
			memset(&req, 0, sizeof(req));
			req.read_version = cur->version;
			req.metadata = &md;
			req.operation = "SET TBLPROPERTIES";
			CHECK_OK(delta_commit(A, dir, &req, &v, &cperr, &err), &err);
			CHECK(v == 6);
			v = append(dir, &t, false, 500, 5, NULL, 0, 5, NULL, 0, &err, &st);
			CHECK_MSG(st == LAKE_ERROR_CONFLICT && strstr(err.message, "metadata"), "md: %s", err.message);
			delta_snapshot_free(A, cur);
		}
	}

	/* crash: a temporary commit file never linked, and an orphan data file */
	snprintf(path, sizeof(path), "%s/_delta_log/.0a1b2c3d-crash.json.tmp", dir);
	f = fopen(path, "w");
	if (f)
	{
		fputs("{\"commitInfo\":{\"timestamp\":1}}\n{\"remove\":{\"path\":\"x\",\"dataChange\":true}}\n{\"add\":{\"pa", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/00000000000000000007.json.tmp.99999", dir);
	f = fopen(path, "w");
	if (f)
	{
		fputs("garbage", f);
		fclose(f);
	}
	CHECK_OK(delta_snapshot_load(A, dir, -1, &s, &err), &err);
	if (s)
	{
		CHECK(s->version == 6);
		delta_snapshot_free(A, s);
	}
	v = append(dir, &t, false, 600, 5, NULL, 0, -1, NULL, 0, &err, &st);
	CHECK_MSG(st == LAKE_OK && v == 7, "after crash: %lld %s", (long long) v, err.message);
	/* interval 5 now: version 10 checkpoints */
	for (int k = 0; k < 3; k++)
		v = append(dir, &t, false, 700 + 10 * k, 5, NULL, 0, -1, NULL, 0, &err, &st);
	CHECK(v == 10);
	snprintf(path, sizeof(path), "%s/_delta_log/00000000000000000010.checkpoint.parquet", dir);
	{
		struct stat sb;

		CHECK(stat(path, &sb) == 0);
	}
	CHECK_OK(delta_snapshot_load(A, dir, 10, &s, &err), &err);
	if (s)
	{
		CHECK(s->num_txns == 2);
		CHECK(s->metadata.num_configuration == 1);
		delta_snapshot_free(A, s);
	}
	duck_expect("2", "SELECT count(*) FROM read_parquet('%s') WHERE txn.appId LIKE 'stream-%%'", path);

	/* "creating" a table that exists with the same schema: a blind append */
	v = append(dir, &t, true, 0, 1, NULL, 0, -1, NULL, 0, &err, &st);
	CHECK_MSG(st == LAKE_OK && v == 11, "create over same: %s %s", lake_status_name(st), err.message);
	/* with another schema (partitioned): conflict, and the table stays at 11 */
	{
		TestTable	t2;
		const char *parts[1] = {"p"};

		table_init(&t2, true);
		v = append(dir, &t2, true, 0, 1, parts, 1, -1, NULL, 0, &err, &st);
		CHECK_MSG(st == LAKE_ERROR_CONFLICT, "create over other: %s", lake_status_name(st));
		CHECK_OK(delta_snapshot_load(A, dir, -1, &s, &err), &err);
		if (s)
		{
			CHECK(s->version == 11);
			delta_snapshot_free(A, s);
		}
	}
}

static void
test_escape(void)
{
	LakeError	err;
	char	   *e = delta_escape_partition_value(A, "a/b:c=d%e f#", &err);

	CHECK(e && strcmp(e, "a%2Fb%3Ac%3Dd%25e f%23") == 0);
	free(e);
	e = delta_escape_partition_value(A, NULL, &err);
	CHECK(e && strcmp(e, "__HIVE_DEFAULT_PARTITION__") == 0);
	free(e);
}

static void
run_duckdb(void)
{
	char		script[512];
	char		cmd[1400];
	char		line[4096];
	FILE	   *p;
	int			ok = 0;
	const char *here = __FILE__;
	const char *slash = strrchr(here, '/');

	fclose(duck);
	snprintf(script, sizeof(script), "%.*sduckdb_expect.mjs", slash ? (int) (slash - here + 1) : 0, here);
	snprintf(cmd, sizeof(cmd), "node %s %s/duck.txt 2>&1", script, tmpdir);
	p = popen(cmd, "r");
	if (p == NULL)
	{
		CHECK_MSG(false, "cannot run %s", cmd);
		return;
	}
	while (fgets(line, sizeof(line), p) != NULL)
	{
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "ok ", 3) == 0)
			ok++;
		else
			CHECK_MSG(false, "duckdb: %s", line);
	}
	pclose(p);
	CHECK_MSG(ok == num_duck, "duckdb confirmed %d of %d checks (is @duckdb/node-api installed? cd test && npm install)",
			  ok, num_duck);
}


/* The records of the files delta_changes_load gives for from..to (-1 on error). */
static int64_t
changes_records(const char *dir, int64_t from, int64_t to, int *num_files, LakeError *err)
{
	DeltaSnapshot *s = NULL;
	int64_t		n = 0;
	int			i;

	if (delta_changes_load(A, dir, from, to, &s, err) != LAKE_OK)
		return -1;
	for (i = 0; i < s->num_files; i++)
		n += s->files[i].num_records;
	*num_files = s->num_files;
	delta_snapshot_free(A, s);
	return n;
}

/*
 * Streaming reads of an append-only table: the files a range of versions
 * added with dataChange, also when a later commit removed them; an
 * OPTIMIZE-like rewrite (dataChange false) is no change; a range whose
 * commits were cleaned up is refused.
 */
static void
test_changes(void)
{
	TestTable	t;
	char		dir[400];
	char		path[512];
	LakeError	err;
	DeltaSnapshot *s = NULL;
	DeltaRemoveFile rm;
	DeltaCommitRequest req;
	DeltaNewFile copy;
	LakeError	cperr;
	int64_t		v;
	int			nf = 0;

	table_init(&t, false);
	snprintf(dir, sizeof(dir), "%s/changes", tmpdir);
	CHECK(append(dir, &t, true, 0, 10, NULL, 0, -1, NULL, 0, &err, NULL) == 0);
	CHECK(append(dir, &t, false, 10, 20, NULL, 0, 0, "app", 1, &err, NULL) == 1);
	CHECK(append(dir, &t, false, 30, 20, NULL, 0, 1, "app", 2, &err, NULL) == 2);

	CHECK(changes_records(dir, 1, 2, &nf, &err) == 40);
	CHECK(changes_records(dir, 0, -1, &nf, &err) == 50);
	CHECK(changes_records(dir, 2, 2, &nf, &err) == 20);
	CHECK(changes_records(dir, 3, -1, &nf, &err) == 0 && nf == 0);
	CHECK(changes_records(dir, 2, 1, &nf, &err) == 0 && nf == 0);
	CHECK(changes_records(dir, 0, 7, &nf, &err) == -1 && err.status == LAKE_ERROR_INVALID);
	CHECK(changes_records(dir, -1, 2, &nf, &err) == -1 && err.status == LAKE_ERROR_INVALID);

	/* v3: a rewrite of one of v1's files (removed, added again without dataChange) */
	CHECK_OK(delta_snapshot_load(A, dir, 2, &s, &err), &err);
	if (s == NULL || s->num_files == 0)
		return;
	memset(&rm, 0, sizeof(rm));
	rm.path = s->files[0].path;
	rm.data_change = false;
	rm.size = s->files[0].size;
	memset(&copy, 0, sizeof(copy));
	snprintf(path, sizeof(path), "%s/%s", dir, s->files[0].local_path);
	copy.path = "rewritten.parquet";
	copy.size = s->files[0].size;
	copy.num_records = s->files[0].num_records;
	copy.stats_json = NULL;
	{
		char		cmd[1200];

		snprintf(cmd, sizeof(cmd), "cp '%s' '%s/rewritten.parquet'", path, dir);
		CHECK(system(cmd) == 0);
	}
	memset(&req, 0, sizeof(req));
	req.read_version = 2;
	req.adds = &copy;
	req.num_adds = 1;
	req.adds_data_change = false;
	req.removes = &rm;
	req.num_removes = 1;
	req.operation = "OPTIMIZE";
	req.engine_info = "iot_lakehouse/test";
	req.table_metadata = &s->metadata;
	CHECK_OK(delta_commit(A, dir, &req, &v, &cperr, &err), &err);
	CHECK(v == 3);
	delta_snapshot_free(A, s);
	CHECK(changes_records(dir, 3, 3, &nf, &err) == 0 && nf == 0);
	/* the removed file is still a change of its version */
	CHECK(changes_records(dir, 0, 3, &nf, &err) == 50);
	CHECK(changes_records(dir, 1, -1, &nf, &err) == 40);
	/* the txn survives in the changes snapshot */
	CHECK_OK(delta_changes_load(A, dir, 1, -1, &s, &err), &err);
	CHECK(s != NULL && s->num_txns == 1 && s->txns[0].version == 2 && s->version == 3);
	delta_snapshot_free(A, s);

	/* commits cleaned up below a checkpoint: their changes cannot be read */
	for (v = 4; v <= 10; v++)
		CHECK(append(dir, &t, false, 100 + v, 2, NULL, 0, v - 1, NULL, 0, &err, NULL) == v);
	snprintf(path, sizeof(path), "%s/_delta_log/00000000000000000001.json", dir);
	CHECK(unlink(path) == 0);
	CHECK(changes_records(dir, 1, 10, &nf, &err) == -1 && err.status == LAKE_ERROR_INVALID &&
		  strstr(err.message, "version 1") != NULL);
	CHECK(changes_records(dir, 9, 10, &nf, &err) == 4);
}

int
main(void)
{
	char		path[512];

	if (!unit_tmpdir_make(tmpdir, sizeof(tmpdir), "test_delta_writer"))
		return 1;
	snprintf(path, sizeof(path), "%s/duck.txt", tmpdir);
	duck = fopen(path, "w");
	test_escape();
	test_stats();
	test_unpartitioned();
	test_partitioned();
	test_conflicts();
	test_concurrent();
	test_changes();
	run_duckdb();
	unit_tmpdir_finish(tmpdir);
	return unit_finish("test_delta_writer");
}
