/*
 * test_parquet_write_rows.c
 *	  parquet_writer_write_rows, the writer's batch path: for many shapes of
 *	  data (nulls here and there, whole null pages, unique values that make
 *	  the dictionary give up, a dictionary that fills up, no dictionary, small
 *	  pages, row groups that close in the middle of a batch, every physical
 *	  type, a leaf under an optional group) the file must be byte for byte
 *	  the one that parquet_writer_write_value + parquet_writer_end_row
 *	  write, and DuckDB must read the values back (aggregates computed here).
 *	  Also the argument checks of write_rows.
 */
#include "lake/compression.h"
#include "lake/parquet_writer.h"

#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>

#include "unit.h"

static char tmpdir[] = "/tmp/lake_write_rows_XXXXXX";
static int	num_files;

#define NCOLS 10

static uint64_t rng_state = 0x853c49e6748fea9bull;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t) (rng_state >> 11);
}

/*
 * The schema: optional leaves of every physical type, a required int64 and
 * an optional int32 under an optional group (max_def 2).
 */
static int
make_schema(ParquetSchemaElement *s)
{
	int			n = 0;

	s[n] = parquet_writer_element_group("schema", PQ_REQUIRED, 10);
	s[n++].has_repetition = false;
	s[n++] = parquet_writer_element_leaf("b", PQ_OPTIONAL, PQ_BOOLEAN);
	s[n++] = parquet_writer_element_leaf("i32", PQ_OPTIONAL, PQ_INT32);
	s[n++] = parquet_writer_element_leaf("i64", PQ_OPTIONAL, PQ_INT64);
	s[n++] = parquet_writer_element_leaf("f32", PQ_OPTIONAL, PQ_FLOAT);
	s[n++] = parquet_writer_element_leaf("f64", PQ_OPTIONAL, PQ_DOUBLE);
	s[n] = parquet_writer_element_leaf("s", PQ_OPTIONAL, PQ_BYTE_ARRAY);
	s[n++].logical.kind = PQ_LT_STRING;
	s[n] = parquet_writer_element_leaf("fl", PQ_OPTIONAL, PQ_FIXED_LEN_BYTE_ARRAY);
	s[n++].type_length = 3;
	s[n++] = parquet_writer_element_leaf("i96", PQ_OPTIONAL, PQ_INT96);
	s[n++] = parquet_writer_element_leaf("req", PQ_REQUIRED, PQ_INT64);
	s[n++] = parquet_writer_element_group("g", PQ_OPTIONAL, 1);
	s[n++] = parquet_writer_element_leaf("x", PQ_OPTIONAL, PQ_INT32);
	return n;
}

typedef struct Scenario
{
	const char *name;
	int			rows;
	int			null_pct;		/* per value; 100: every nullable column all null */
	int			null_run;		/* nulls come in runs of this length (0: scattered) */
	int			distinct;		/* values per column; 0: all distinct */
	uint64_t	page_bytes;
	uint64_t	dictionary_bytes;
	int64_t		row_group_rows;
	ParquetCodec codec;
} Scenario;

/* the columns of all rows */
typedef struct Data
{
	ParquetValue *v[NCOLS];
	bool	   *null[NCOLS];
	uint8_t    *bytes;			/* strings, FLBA and INT96 bytes */
} Data;

static void
make_data(const Scenario *sc, Data *d)
{
	int			n = sc->rows;
	int			r,
				c;
	size_t		off = 0;

	d->bytes = malloc((size_t) n * 40);
	for (c = 0; c < NCOLS; c++)
	{
		d->v[c] = calloc(n, sizeof(ParquetValue));
		d->null[c] = calloc(n, sizeof(bool));
	}
	for (r = 0; r < n; r++)
	{
		uint32_t	k = sc->distinct > 0 ? rnd() % sc->distinct : (uint32_t) r;
		bool		in_null_run = sc->null_run > 0 && (r / sc->null_run) % 3 == 1;

		for (c = 0; c < NCOLS; c++)
		{
			if (c == 8)
				continue;		/* required */
			if (sc->null_pct >= 100 || in_null_run ||
				(sc->null_run == 0 && (int) (rnd() % 100) < sc->null_pct))
				d->null[c][r] = true;
		}
		d->v[0][r].boolean = (k & 1) != 0;
		d->v[1][r].i32 = (int32_t) (k * 7919u) - 5000;
		d->v[2][r].i64 = (int64_t) k * 1000003 - 77;
		d->v[3][r].f32 = (float) k / 4.0f - 3.0f;
		d->v[4][r].f64 = (double) k / 10.0 - 0.5;
		{
			int			len = snprintf((char *) d->bytes + off, 24, "v%u%s", k, (k % 3) ? "_long_suffix" : "");

			d->v[5][r].bytes.ptr = d->bytes + off;
			d->v[5][r].bytes.len = (uint32_t) len;
			off += 24;
		}
		d->bytes[off] = (uint8_t) k;
		d->bytes[off + 1] = (uint8_t) (k >> 8);
		d->bytes[off + 2] = (uint8_t) (k >> 16);
		d->v[6][r].bytes.ptr = d->bytes + off;
		d->v[6][r].bytes.len = 3;
		off += 4;
		memset(d->bytes + off, 0, 12);
		memcpy(d->bytes + off, &k, 4);
		d->bytes[off + 8] = (uint8_t) (2440588 + k % 1000);
		d->v[7][r].bytes.ptr = d->bytes + off;
		d->v[7][r].bytes.len = 12;
		off += 12;
		d->v[8][r].i64 = r;
		d->v[9][r].i32 = (int32_t) k;
	}
}

static void
free_data(Data *d)
{
	int			c;

	for (c = 0; c < NCOLS; c++)
	{
		free(d->v[c]);
		free(d->null[c]);
	}
	free(d->bytes);
}

static uint8_t *
read_all(const char *path, size_t *len)
{
	FILE	   *f = fopen(path, "rb");
	uint8_t    *buf;
	long		n;

	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc(n > 0 ? n : 1);
	if (fread(buf, 1, n, f) != (size_t) n)
		n = 0;
	fclose(f);
	*len = (size_t) n;
	return buf;
}

/* write the data one value at a time (by_rows false) or in random batches */
static bool
write_file(const Scenario *sc, const Data *d, bool by_rows, const char *path)
{
	ParquetSchemaElement s[16];
	int			ns = make_schema(s);
	ParquetWriterOptions o;
	ParquetWriter *w = NULL;
	LakeOutput	out;
	LakeError	err = {0};
	LakeStatus	st;
	int			r = 0;

	parquet_writer_options_init(&o);
	o.codec = sc->codec;
	o.page_bytes = sc->page_bytes;
	o.dictionary_bytes = sc->dictionary_bytes;
	o.dictionary = sc->dictionary_bytes > 0;
	o.row_group_rows = sc->row_group_rows;
	o.row_group_bytes = (uint64_t) 1 << 40;
	st = lake_output_open_file(&lake_malloc_allocator, path, &out, &err);
	if (st == LAKE_OK)
		st = parquet_writer_open(&lake_malloc_allocator, &out, s, ns, &o, &w, &err);
	while (st == LAKE_OK && r < sc->rows)
	{
		if (by_rows)
		{
			int			n = 1 + (int) (rnd() % 3000);
			const ParquetValue *vp[NCOLS];
			const bool *np[NCOLS];
			int			c;

			if (n > sc->rows - r)
				n = sc->rows - r;
			for (c = 0; c < NCOLS; c++)
			{
				vp[c] = d->v[c] + r;
				np[c] = c == 8 ? NULL : d->null[c] + r;
			}
			st = parquet_writer_write_rows(w, vp, np, (size_t) n, &err);
			r += n;
		}
		else
		{
			int			c;

			for (c = 0; c < NCOLS && st == LAKE_OK; c++)
				st = parquet_writer_write_value(w, c, d->null[c][r] ? NULL : &d->v[c][r], &err);
			if (st == LAKE_OK)
				st = parquet_writer_end_row(w, &err);
			r++;
		}
	}
	if (st == LAKE_OK)
		st = parquet_writer_finish(w, &err);
	if (st == LAKE_OK)
		st = lake_output_commit(&out, &err);
	else
		lake_output_abort(&out);
	CHECK_MSG(st == LAKE_OK, "%s (%s): %s", sc->name, by_rows ? "rows" : "values", err.message);
	parquet_writer_destroy(w);
	return st == LAKE_OK;
}

static void
add_check(FILE *f, bool *first, const char *sql, const char *expect)
{
	fprintf(f, "%s{\"sql\": \"%s\", \"expect\": \"%s\"}", *first ? "" : ", ", sql, expect);
	*first = false;
}

/* what DuckDB must find in the file: counts and sums computed from the data */
static void
write_expectations(const Scenario *sc, const Data *d, const char *file)
{
	char		path[512];
	char		buf[128];
	FILE	   *f;
	bool		first = true;
	int64_t		cnt[NCOLS] = {0};
	int64_t		sum32 = 0,
				sum64 = 0,
				sumx = 0,
				trues = 0,
				slen = 0;
	int			r,
				c;
	static const char *const names[NCOLS] = {"b", "i32", "i64", "f32", "f64", "s", "fl", "i96", "req", "g.x"};

	for (r = 0; r < sc->rows; r++)
	{
		for (c = 0; c < NCOLS; c++)
			cnt[c] += !d->null[c][r];
		if (!d->null[0][r])
			trues += d->v[0][r].boolean;
		if (!d->null[1][r])
			sum32 += d->v[1][r].i32;
		if (!d->null[2][r])
			sum64 += d->v[2][r].i64;
		if (!d->null[5][r])
			slen += d->v[5][r].bytes.len;
		if (!d->null[9][r])
			sumx += d->v[9][r].i32;
	}
	snprintf(path, sizeof(path), "%s/%s.json", tmpdir, sc->name);
	f = fopen(path, "w");
	if (f == NULL)
	{
		CHECK_MSG(false, "cannot write %s", path);
		return;
	}
	fprintf(f, "{\"file\": \"%s\", \"num_rows\": %d, \"checks\": [", file, sc->rows);
	for (c = 0; c < NCOLS; c++)
	{
		char		sql[200];

		if (c == 9)
			snprintf(sql, sizeof(sql), "SELECT count(g.x) FROM read_parquet({F})");
		else
			snprintf(sql, sizeof(sql), "SELECT count(%s) FROM read_parquet({F})", names[c]);
		snprintf(buf, sizeof(buf), "%lld", (long long) cnt[c]);
		add_check(f, &first, sql, buf);
	}
	snprintf(buf, sizeof(buf), "%lld", (long long) trues);
	add_check(f, &first, "SELECT count(*) FROM read_parquet({F}) WHERE b", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long) sum32);
	add_check(f, &first, "SELECT coalesce(sum(i32), 0)::BIGINT FROM read_parquet({F})", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long) sum64);
	add_check(f, &first, "SELECT coalesce(sum(i64), 0)::BIGINT FROM read_parquet({F})", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long) slen);
	add_check(f, &first, "SELECT coalesce(sum(length(s)), 0)::BIGINT FROM read_parquet({F})", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long) sumx);
	add_check(f, &first, "SELECT coalesce(sum(g.x), 0)::BIGINT FROM read_parquet({F})", buf);
	snprintf(buf, sizeof(buf), "%lld", (long long) sc->rows * (sc->rows - 1) / 2);
	add_check(f, &first, "SELECT sum(req)::BIGINT FROM read_parquet({F})", buf);
	/* row order kept: req is the row number */
	add_check(f, &first, "SELECT count(*) FROM (SELECT req, row_number() OVER () - 1 AS rn FROM read_parquet({F})) WHERE req <> rn", "0");
	fprintf(f, "]}\n");
	fclose(f);
	num_files++;
}

static void
run_scenario(const Scenario *sc)
{
	Data		d;
	char		pa[512],
				pb[512],
				name[256];
	uint8_t    *a,
			   *b;
	size_t		la = 0,
				lb = 0;

	make_data(sc, &d);
	snprintf(pa, sizeof(pa), "%s/%s_values.parquet", tmpdir, sc->name);
	snprintf(name, sizeof(name), "%s_rows.parquet", sc->name);
	snprintf(pb, sizeof(pb), "%s/%s", tmpdir, name);
	if (write_file(sc, &d, false, pa) && write_file(sc, &d, true, pb))
	{
		a = read_all(pa, &la);
		b = read_all(pb, &lb);
		CHECK_MSG(a != NULL && b != NULL && la == lb && memcmp(a, b, la) == 0,
				  "%s: write_rows wrote %zu bytes, write_value %zu, or they differ", sc->name, lb, la);
		free(a);
		free(b);
		write_expectations(sc, &d, name);
	}
	free_data(&d);
}

static void
test_scenarios(void)
{
	static const Scenario sc[] = {
		/* name, rows, null %, null run, distinct, page bytes, dict bytes, rg rows, codec */
		{"scattered_nulls", 40000, 10, 0, 300, 4096, 1 << 20, 7000, PQ_CODEC_SNAPPY},
		{"no_nulls_small_pages", 30000, 0, 0, 50, 2000, 1 << 20, 0, PQ_CODEC_SNAPPY},
		{"null_runs", 30000, 0, 500, 20, 8192, 1 << 20, 9999, PQ_CODEC_ZSTD},
		{"all_null", 5000, 100, 0, 10, 1024, 1 << 20, 1000, PQ_CODEC_UNCOMPRESSED},
		{"unique_values", 50000, 0, 0, 0, 1 << 20, 1 << 20, 20000, PQ_CODEC_SNAPPY},
		{"unique_with_nulls", 30000, 30, 0, 0, 65536, 1 << 20, 0, PQ_CODEC_SNAPPY},
		{"dictionary_fills", 40000, 5, 0, 5000, 16384, 4096, 15000, PQ_CODEC_SNAPPY},
		{"no_dictionary", 20000, 5, 0, 40, 8192, 0, 6000, PQ_CODEC_GZIP},
		{"one_row", 1, 0, 0, 1, 1 << 20, 1 << 20, 0, PQ_CODEC_SNAPPY},
		{"rows_per_group_1", 50, 20, 0, 3, 1 << 20, 1 << 20, 1, PQ_CODEC_SNAPPY},
	};
	size_t		i;

	for (i = 0; i < sizeof(sc) / sizeof(sc[0]); i++)
		run_scenario(&sc[i]);
}

/* the argument checks */
static void
test_checks(void)
{
	ParquetSchemaElement s[16];
	int			ns = make_schema(s);
	LakeBuffer	mem;
	LakeOutput	out;
	ParquetWriter *w = NULL;
	LakeError	err = {0};
	Data		d;
	Scenario	sc = {"checks", 10, 0, 0, 5, 1 << 20, 1 << 20, 0, PQ_CODEC_SNAPPY};
	const ParquetValue *vp[NCOLS];
	const bool *np[NCOLS];
	bool		nulls[10] = {false, true};
	ParquetValue bad;
	int			c;

	make_data(&sc, &d);
	for (c = 0; c < NCOLS; c++)
	{
		vp[c] = d.v[c];
		np[c] = NULL;
	}
	lake_buffer_init(&mem, &lake_malloc_allocator);
	lake_output_open_memory(&mem, &out);
	CHECK_OK(parquet_writer_open(&lake_malloc_allocator, &out, s, ns, NULL, &w, &err), &err);
	if (w == NULL)
		return;
	CHECK_OK(parquet_writer_write_rows(w, vp, NULL, 0, &err), &err);
	CHECK_OK(parquet_writer_write_rows(w, vp, np, 3, &err), &err);
	CHECK(parquet_writer_num_rows(w) == 3);
	/* a null for the required column */
	np[8] = nulls;
	CHECK(parquet_writer_write_rows(w, vp, np, 2, &err) == LAKE_ERROR_INVALID);
	CHECK(strstr(err.message, "req") != NULL);
	parquet_writer_destroy(w);

	/* a row partly written */
	lake_buffer_reset(&mem);
	lake_output_open_memory(&mem, &out);
	CHECK_OK(parquet_writer_open(&lake_malloc_allocator, &out, s, ns, NULL, &w, &err), &err);
	np[8] = NULL;
	CHECK_OK(parquet_writer_write_value(w, 0, NULL, &err), &err);
	CHECK(parquet_writer_write_rows(w, vp, np, 2, &err) == LAKE_ERROR_INVALID);
	parquet_writer_destroy(w);

	/* a FIXED_LEN_BYTE_ARRAY value of the wrong size, a missing array */
	lake_buffer_reset(&mem);
	lake_output_open_memory(&mem, &out);
	CHECK_OK(parquet_writer_open(&lake_malloc_allocator, &out, s, ns, NULL, &w, &err), &err);
	bad.bytes.ptr = (const uint8_t *) "abcd";
	bad.bytes.len = 4;
	vp[6] = &bad;
	CHECK(parquet_writer_write_rows(w, vp, np, 1, &err) == LAKE_ERROR_INVALID);
	/* the writer refuses to go on after an error */
	vp[6] = d.v[6];
	CHECK(parquet_writer_write_rows(w, vp, np, 1, &err) == LAKE_ERROR_INVALID);
	parquet_writer_destroy(w);

	lake_buffer_reset(&mem);
	lake_output_open_memory(&mem, &out);
	CHECK_OK(parquet_writer_open(&lake_malloc_allocator, &out, s, ns, NULL, &w, &err), &err);
	vp[3] = NULL;
	CHECK(parquet_writer_write_rows(w, vp, np, 1, &err) == LAKE_ERROR_INVALID);
	parquet_writer_destroy(w);
	lake_buffer_free(&mem);
	free_data(&d);
}

static void
run_duckdb(void)
{
	char		script[512];
	char		cmd[1200];
	char		line[4096];
	FILE	   *p;
	int			ok = 0;
	const char *here = __FILE__;
	const char *slash = strrchr(here, '/');

	snprintf(script, sizeof(script), "%.*scheck_parquet_with_duckdb.mjs",
			 slash ? (int) (slash - here + 1) : 0, here);
	if (access(script, R_OK) != 0)
	{
		CHECK_MSG(false, "cannot find %s (run from the repository root)", script);
		return;
	}
	snprintf(cmd, sizeof(cmd), "node %s %s 2>&1", script, tmpdir);
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
		{
			CHECK(true);
			ok++;
		}
		else
			CHECK_MSG(false, "duckdb: %s", line);
	}
	pclose(p);
	CHECK_MSG(ok == num_files, "duckdb confirmed %d of %d files (is @duckdb/node-api installed? cd test && npm install)",
			  ok, num_files);
}

static void
remove_tmpdir(void)
{
	DIR		   *d = opendir(tmpdir);
	struct dirent *de;
	char		path[1024];

	if (d == NULL)
		return;
	while ((de = readdir(d)) != NULL)
	{
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", tmpdir, de->d_name);
		unlink(path);
	}
	closedir(d);
	rmdir(tmpdir);
}

int
main(void)
{
	if (mkdtemp(tmpdir) == NULL)
	{
		CHECK_MSG(false, "mkdtemp failed");
		return unit_finish("test_parquet_write_rows");
	}
	test_scenarios();
	test_checks();
	run_duckdb();
	remove_tmpdir();
	return unit_finish("test_parquet_write_rows");
}
