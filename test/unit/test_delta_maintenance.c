/*
 * test_delta_maintenance.c
 *	  Table maintenance (lake/delta_maintenance.c): retention intervals and
 *	  settings; VACUUM plans against synthetic commit timestamps and file
 *	  ages (set with utimensat): the retention boundary, files a version in
 *	  the window needs, uncommitted files young and old, hidden and
 *	  underscore directories, symbolic links, partitioned tables and their
 *	  empty directories, missing commits; log cleanup keeping every version
 *	  inside the retention readable, the checkpoint it starts from,
 *	  _last_checkpoint, nothing without a checkpoint, and delta_commit's
 *	  automatic cleanup (delta.enableExpiredLogCleanup,
 *	  delta.logRetentionDuration); RESTORE plans committed and read back
 *	  (after appends, after a rewrite, to version 0, with another schema, a
 *	  partitioned table, a file vacuumed away).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "unit.h"
#include "unit_delta.h"
#include "lake/delta_maintenance.h"
#include "lake/delta_writer.h"

static const LakeAllocator *A = &lake_malloc_allocator;
static char tmpdir[256];
static int64_t NOW;				/* the wall clock at start, whole seconds */

#define DAY DELTA_MS_PER_DAY
#define HOUR ((int64_t) 3600000)

/* --------------------------------------------------------------- tables */

typedef struct TestTable
{
	DeltaMetadata md;
	DeltaColumn cols[4];
	char	   *pcols[1];
	int			pidx[1];
	DeltaKeyValue conf[4];
} TestTable;

static void
col(TestTable *t, int i, const char *name, DeltaTypeKind kind)
{
	unit_delta_column(&t->cols[i], name, kind, true);
}

/* id long, name string [, device string partition] */
static void
table_init(TestTable *t, bool partitioned)
{
	memset(t, 0, sizeof(*t));
	col(t, 0, "id", DELTA_TYPE_LONG);
	col(t, 1, "name", DELTA_TYPE_STRING);
	t->md.columns = t->cols;
	t->md.num_columns = 2;
	t->md.created_time = -1;
	t->md.configuration = t->conf;
	if (partitioned)
	{
		col(t, 2, "device", DELTA_TYPE_STRING);
		t->cols[2].partition_index = 0;
		t->md.num_columns = 3;
		t->pcols[0] = "device";
		t->pidx[0] = 2;
		t->md.partition_columns = t->pcols;
		t->md.partition_column_index = t->pidx;
		t->md.num_partition_columns = 1;
	}
}

static void
table_conf(TestTable *t, const char *key, const char *value)
{
	t->conf[t->md.num_configuration].key = (char *) key;
	t->conf[t->md.num_configuration].value = (char *) value;
	t->md.num_configuration++;
}

typedef struct Commit
{
	bool		create;
	int64_t		read_version;	/* -1: blind append */
	int64_t		first;			/* rows first .. first + n - 1 */
	int			n;				/* 0: no data file */
	const char *part;			/* partitioned tables */
	int64_t		ts;				/* commit timestamp (0: now) */
	const DeltaRemoveFile *removes;
	int			num_removes;
	bool		no_data_change; /* a rewrite (OPTIMIZE) */
	const DeltaMetadata *metadata;	/* a metaData change */
	char	   *added;			/* out (may be NULL): the new file's path as in the log */
	LakeError	cperr;			/* out: the checkpoint's error */
} Commit;

/* Write c->n rows into one file and commit it with c's removes.  Returns the version or -1. */
static int64_t
commit(const char *dir, TestTable *t, Commit *c, LakeError *err)
{
	DeltaFileWriter *w = NULL;
	DeltaFileWriterOptions o;
	DeltaNewFile *files = NULL;
	int			nfiles = 0;
	DeltaCommitRequest req;
	int64_t		version = -1;
	const char *pv[1] = {c->part};
	const DeltaMetadata *md = c->metadata ? c->metadata : &t->md;

	delta_file_writer_options_init(&o);
	if (c->n > 0)
	{
		if (delta_file_writer_open(A, dir, md, &o, &w, err) != LAKE_OK)
			return -1;
		for (int i = 0; i < c->n; i++)
		{
			ParquetValue v;
			char		name[32];

			snprintf(name, sizeof(name), "n%lld", (long long) (c->first + i));
			if (delta_file_writer_begin_row(w, md->num_partition_columns ? pv : NULL, err) != LAKE_OK)
				goto fail;
			v.i64 = c->first + i;
			if (delta_file_writer_value(w, 0, &v, err) != LAKE_OK)
				goto fail;
			v.bytes.ptr = (const uint8_t *) name;
			v.bytes.len = (uint32_t) strlen(name);
			if (delta_file_writer_value(w, 1, &v, err) != LAKE_OK ||
				delta_file_writer_end_row(w, err) != LAKE_OK)
				goto fail;
		}
		if (delta_file_writer_finish(w, &files, &nfiles, err) != LAKE_OK)
			goto fail;
	}
	memset(&req, 0, sizeof(req));
	req.read_version = c->create ? -1 : c->read_version;
	req.blind_append = c->num_removes == 0 && c->metadata == NULL && !c->no_data_change;
	req.metadata = c->create ? &t->md : c->metadata;
	req.adds = files;
	req.num_adds = nfiles;
	req.adds_data_change = !c->no_data_change;
	req.removes = c->removes;
	req.num_removes = c->num_removes;
	req.operation = c->create ? "CREATE TABLE" : c->no_data_change ? "OPTIMIZE" : c->num_removes ? "DELETE" : "WRITE";
	req.engine_info = "iot_lakehouse/test";
	req.timestamp_ms = c->ts;
	if (delta_commit(A, dir, &req, &version, &c->cperr, err) != LAKE_OK)
		goto fail;
	if (c->added != NULL)
		snprintf(c->added, 512, "%s", nfiles > 0 ? files[0].path : "");
	if (w != NULL)
		delta_file_writer_free(w);
	return version;

fail:
	if (w != NULL)
		delta_file_writer_abort(w);
	return -1;
}

/* An append of n rows at ts (a blind append); the new file's log path into added. */
static int64_t
append_at(const char *dir, TestTable *t, bool create, int64_t first, int n, const char *part, int64_t ts,
		  char *added)
{
	Commit		c = {0};
	LakeError	err;
	int64_t		v;

	c.create = create;
	c.read_version = -1;
	c.first = first;
	c.n = n;
	c.part = part;
	c.ts = ts;
	c.added = added;
	v = commit(dir, t, &c, &err);
	CHECK_MSG(v >= 0, "append to %s: %s", dir, err.message);
	return v;
}

/* The log's percent-encoded relative path as the local relative path. */
static void
decode(const char *in, char *out)
{
	while (*in)
	{
		if (in[0] == '%' && in[1] && in[2])
		{
			char		hex[3] = {in[1], in[2], 0};

			*out++ = (char) strtol(hex, NULL, 16);
			in += 3;
		}
		else
			*out++ = *in++;
	}
	*out = '\0';
}

static void
full_path(const char *dir, const char *log_path, char *out, size_t size)
{
	char		local[512];

	decode(log_path, local);
	snprintf(out, size, "%s/%s", dir, local);
}

static bool
exists(const char *dir, const char *log_path)
{
	char		path[1024];
	struct stat sb;

	full_path(dir, log_path, path, sizeof(path));
	return stat(path, &sb) == 0;
}

static bool
exists_raw(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static int64_t
size_of(const char *path)
{
	struct stat sb;

	return stat(path, &sb) == 0 ? (int64_t) sb.st_size : -1;
}

static void
set_mtime(const char *path, int64_t ms)
{
	struct timespec ts[2];

	ts[0].tv_sec = ts[1].tv_sec = (time_t) (ms / 1000);
	ts[0].tv_nsec = ts[1].tv_nsec = (long) (ms % 1000) * 1000000L;
	CHECK_MSG(utimensat(AT_FDCWD, path, ts, AT_SYMLINK_NOFOLLOW) == 0, "utimensat %s: %s", path, strerror(errno));
}

static void
age_data_file(const char *dir, const char *log_path, int64_t ms)
{
	char		path[1024];

	full_path(dir, log_path, path, sizeof(path));
	set_mtime(path, ms);
}

/* A file with some bytes at path, last modified at ms. */
static void
make_file(const char *path, int64_t ms)
{
	FILE	   *f = fopen(path, "w");

	CHECK_MSG(f != NULL, "create %s", path);
	if (f == NULL)
		return;
	fputs("not a parquet file, but a file\n", f);
	fclose(f);
	set_mtime(path, ms);
}

static void
make_dir(const char *path)
{
	CHECK_MSG(mkdir(path, 0755) == 0 || errno == EEXIST, "mkdir %s", path);
}

static void
log_name(const char *dir, int64_t v, const char *suffix, char *out, size_t size)
{
	snprintf(out, size, "%s/_delta_log/%020lld%s", dir, (long long) v, suffix);
}

static void
age_log(const char *dir, int64_t v, const char *suffix, int64_t ms)
{
	char		path[1024];

	log_name(dir, v, suffix, path, sizeof(path));
	set_mtime(path, ms);
}

static bool
log_exists(const char *dir, int64_t v, const char *suffix)
{
	char		path[1024];

	log_name(dir, v, suffix, path, sizeof(path));
	return exists_raw(path);
}

/* Is path (relative, as in a plan) in the plan? */
static bool
planned(const DeltaVacuumPlan *p, const char *rel)
{
	for (int i = 0; p != NULL && i < p->num_files; i++)
		if (strcmp(p->files[i].path, rel) == 0)
			return true;
	return false;
}

static bool
planned_log(const DeltaVacuumPlan *p, const char *log_path)
{
	char		local[512];

	decode(log_path, local);
	return planned(p, local);
}

/* Every version from..to loads and its files are all on disk. */
static void
check_readable(const char *dir, int64_t from, int64_t to)
{
	for (int64_t v = from; v <= to; v++)
	{
		DeltaSnapshot *s = NULL;
		LakeError	err;

		CHECK_OK(delta_snapshot_load(A, dir, v, &s, &err), &err);
		if (s == NULL)
			continue;
		CHECK(s->version == v);
		for (int i = 0; i < s->num_files; i++)
		{
			char		path[1024];
			struct stat sb;

			snprintf(path, sizeof(path), "%s/%s", dir, s->files[i].local_path);
			CHECK_MSG(stat(path, &sb) == 0, "version %lld: %s is gone", (long long) v, path);
		}
		delta_snapshot_free(A, s);
	}
}

static DeltaRemoveFile
remove_of(const char *dir, const char *log_path, bool data_change, const char *pv_json)
{
	DeltaRemoveFile r;
	char		path[1024];

	memset(&r, 0, sizeof(r));
	r.path = (char *) log_path;
	r.data_change = data_change;
	full_path(dir, log_path, path, sizeof(path));
	r.size = size_of(path);
	r.partition_values_json = (char *) pv_json;
	return r;
}

/* ------------------------------------------------------------ intervals */

static void
test_intervals(void)
{
	static const struct
	{
		const char *text;
		int64_t		ms;
	}			good[] = {
		{"interval 1 week", 7 * DAY},
		{"interval 30 days", 30 * DAY},
		{"7 days", 7 * DAY},
		{"1 day", DAY},
		{"INTERVAL 2 Hours", 2 * HOUR},
		{"  interval   3   minutes  ", 180000},
		{"interval 1 day 12 hours", DAY + 12 * HOUR},
		{"interval 1 second", 1000},
		{"interval 500 milliseconds", 500},
		{"interval 1500 microseconds", 1},
		{"interval 2000000 nanoseconds", 2},
		{"interval 0 seconds", 0},
		{"interval 2 weeks", 14 * DAY},
		{"1week", 7 * DAY},
		{"interval 600 microseconds 600 microseconds", 1},
		{"interval 15250 weeks", 15250 * 7 * DAY},
	};
	static const char *const bad[] = {
		"", "interval", "week", "interval -1 day", "interval 1 month", "interval 1 year",
		"interval 1.5 days", "interval 1 fortnight", "1 week ago", "interval 1", "interval day 1",
		"interval 99999999999999999999 weeks", "interval 9999999999999999 weeks", "7days!", "intervals 7 days",
		"interval 15300000000 weeks", "interval 9223372036854775807 milliseconds 1 day",
	};
	LakeError	err;
	int64_t		ms;
	TestTable	t;
	bool		b;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
	{
		ms = -1;
		CHECK_OK(delta_interval_parse_ms("k", good[i].text, &ms, &err), &err);
		CHECK_MSG(ms == good[i].ms, "\"%s\": %lld ms, want %lld", good[i].text, (long long) ms,
				  (long long) good[i].ms);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
	{
		LakeStatus	st = delta_interval_parse_ms("delta.logRetentionDuration", bad[i], &ms, &err);

		CHECK_MSG(st == LAKE_ERROR_INVALID, "\"%s\" accepted (%lld ms)", bad[i], (long long) ms);
		CHECK_MSG(st != LAKE_ERROR_INVALID || strstr(err.message, "delta.logRetentionDuration") != NULL,
				  "%s", err.message);
	}

	/* settings: defaults, a value, a malformed value naming key and value */
	table_init(&t, false);
	CHECK_OK(delta_config_interval_ms(&t.md, DELTA_DELETED_FILE_RETENTION_KEY,
									  DELTA_DEFAULT_DELETED_FILE_RETENTION_MS, &ms, &err), &err);
	CHECK(ms == 7 * DAY);
	CHECK_OK(delta_config_interval_ms(NULL, DELTA_LOG_RETENTION_KEY, DELTA_DEFAULT_LOG_RETENTION_MS, &ms, &err),
			 &err);
	CHECK(ms == 30 * DAY);
	table_conf(&t, DELTA_LOG_RETENTION_KEY, "interval 2 days");
	table_conf(&t, DELTA_DELETED_FILE_RETENTION_KEY, "interval 1 fortnight");
	table_conf(&t, DELTA_EXPIRED_LOG_CLEANUP_KEY, "FALSE");
	CHECK_OK(delta_config_interval_ms(&t.md, DELTA_LOG_RETENTION_KEY, DELTA_DEFAULT_LOG_RETENTION_MS, &ms, &err),
			 &err);
	CHECK(ms == 2 * DAY);
	CHECK(delta_config_interval_ms(&t.md, DELTA_DELETED_FILE_RETENTION_KEY, 0, &ms, &err) == LAKE_ERROR_INVALID);
	CHECK_MSG(strstr(err.message, "delta.deletedFileRetentionDuration") != NULL &&
			  strstr(err.message, "interval 1 fortnight") != NULL, "%s", err.message);
	CHECK_OK(delta_config_bool(&t.md, DELTA_EXPIRED_LOG_CLEANUP_KEY, true, &b, &err), &err);
	CHECK(b == false);
	CHECK_OK(delta_config_bool(&t.md, "delta.appendOnly", true, &b, &err), &err);
	CHECK(b == true);
	t.conf[2].value = "maybe";
	CHECK(delta_config_bool(&t.md, DELTA_EXPIRED_LOG_CLEANUP_KEY, true, &b, &err) == LAKE_ERROR_INVALID);
}

/* ------------------------------------------------- snapshot load options */

static void
test_load_options(void)
{
	char		dir[400];
	char		f0[512],
				f1[512];
	TestTable	t;
	LakeError	err;
	DeltaSnapshot *s = NULL;
	Commit		c = {0};
	DeltaRemoveFile rm;
	int64_t		v;

	snprintf(dir, sizeof(dir), "%s/options", tmpdir);
	table_init(&t, false);
	append_at(dir, &t, true, 0, 5, NULL, 0, f0);

	/* raw statistics only when asked */
	CHECK_OK(delta_snapshot_load(A, dir, -1, &s, &err), &err);
	CHECK(s != NULL && s->num_files == 1 && s->files[0].stats_json == NULL && s->files[0].num_records == 5);
	delta_snapshot_free(A, s);
	CHECK_OK(delta_snapshot_load_ex(A, dir, -1, DELTA_LOAD_RAW_STATS, &s, &err), &err);
	CHECK(s != NULL && s->num_files == 1 && s->files[0].stats_json != NULL &&
		  strncmp(s->files[0].stats_json, "{\"numRecords\":5", 15) == 0 && s->files[0].stats != NULL);
	delta_snapshot_free(A, s);
	CHECK_OK(delta_snapshot_load_ex(A, dir, -1, DELTA_LOAD_SKIP_STATS, &s, &err), &err);
	CHECK(s != NULL && s->num_files == 1 && s->files[0].stats == NULL && s->files[0].num_records == -1);
	delta_snapshot_free(A, s);

	/* a rewrite: the changes leave its add out, DELTA_LOAD_ALL_ADDS keeps it */
	rm = remove_of(dir, f0, false, "{}");
	c.read_version = 0;
	c.first = 0;
	c.n = 5;
	c.removes = &rm;
	c.num_removes = 1;
	c.no_data_change = true;
	c.added = f1;
	v = commit(dir, &t, &c, &err);
	CHECK_MSG(v == 1, "rewrite: %s", err.message);
	CHECK_OK(delta_changes_load(A, dir, 1, -1, &s, &err), &err);
	CHECK(s != NULL && s->num_files == 0);
	delta_snapshot_free(A, s);
	CHECK_OK(delta_changes_load_ex(A, dir, 0, -1, DELTA_LOAD_ALL_ADDS, &s, &err), &err);
	CHECK(s != NULL && s->num_files == 2);
	delta_snapshot_free(A, s);

	/* from a checkpoint: the checkpoint's statistics text */
	CHECK_OK(delta_checkpoint_write(A, dir, 1, &err), &err);
	CHECK_OK(delta_snapshot_load_ex(A, dir, 1, DELTA_LOAD_RAW_STATS, &s, &err), &err);
	CHECK(s != NULL && s->num_files == 1 && strcmp(s->files[0].path, f1) == 0 && s->files[0].stats_json != NULL &&
		  strstr(s->files[0].stats_json, "\"numRecords\":5") != NULL);
	delta_snapshot_free(A, s);
}

/* --------------------------------------------------------------- VACUUM */

/*
 * v0 (-20d) adds A; v1 (-15d) adds B; v2 (-10d) removes A, adds C;
 * v3 (-5d) rewrites B as D (dataChange false); v4 (-1d) removes D, adds E.
 * Every data file is 30 days old.  With 7 days, V0 = v2: A is the only
 * unneeded logged file.
 */
static void
test_vacuum(void)
{
	char		dir[400],
				path[1024],
				outside[600];
	char		fa[512],
				fb[512],
				fc[512],
				fd[512],
				fe[512];
	TestTable	t;
	LakeError	err;
	Commit		c;
	DeltaRemoveFile rm;
	DeltaVacuumPlan *p = NULL;
	int64_t		cutoff = NOW - 7 * DAY;
	int64_t		ndel,
				ndirs,
				bytes;

	snprintf(dir, sizeof(dir), "%s/vacuum", tmpdir);
	table_init(&t, false);
	CHECK(append_at(dir, &t, true, 0, 10, NULL, NOW - 20 * DAY, fa) == 0);
	CHECK(append_at(dir, &t, false, 10, 10, NULL, NOW - 15 * DAY, fb) == 1);

	memset(&c, 0, sizeof(c));
	rm = remove_of(dir, fa, true, "{}");
	c.read_version = 1;
	c.first = 20;
	c.n = 10;
	c.removes = &rm;
	c.num_removes = 1;
	c.ts = NOW - 10 * DAY;
	c.added = fc;
	CHECK_MSG(commit(dir, &t, &c, &err) == 2, "v2: %s", err.message);

	memset(&c, 0, sizeof(c));
	rm = remove_of(dir, fb, false, "{}");
	c.read_version = 2;
	c.first = 10;
	c.n = 10;
	c.removes = &rm;
	c.num_removes = 1;
	c.no_data_change = true;
	c.ts = NOW - 5 * DAY;
	c.added = fd;
	CHECK_MSG(commit(dir, &t, &c, &err) == 3, "v3: %s", err.message);

	memset(&c, 0, sizeof(c));
	rm = remove_of(dir, fd, true, "{}");
	c.read_version = 3;
	c.first = 40;
	c.n = 10;
	c.removes = &rm;
	c.num_removes = 1;
	c.ts = NOW - 1 * DAY;
	c.added = fe;
	CHECK_MSG(commit(dir, &t, &c, &err) == 4, "v4: %s", err.message);

	age_data_file(dir, fa, NOW - 30 * DAY);
	age_data_file(dir, fb, NOW - 30 * DAY);
	age_data_file(dir, fc, NOW - 30 * DAY);
	age_data_file(dir, fd, NOW - 30 * DAY);
	age_data_file(dir, fe, NOW - 30 * DAY);

	/* files no commit names: old, young, and on either side of the boundary */
	snprintf(path, sizeof(path), "%s/orphan-old.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/orphan-young.parquet", dir);
	make_file(path, NOW - HOUR);
	snprintf(path, sizeof(path), "%s/edge-old.parquet", dir);
	make_file(path, cutoff - 1);
	snprintf(path, sizeof(path), "%s/edge-at.parquet", dir);
	make_file(path, cutoff);
	snprintf(path, sizeof(path), "%s/edge-young.parquet", dir);
	make_file(path, cutoff + 1);
	/* hidden and underscore files and directories are never touched */
	snprintf(path, sizeof(path), "%s/_tmp", dir);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/_tmp/old.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/.hidden", dir);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/.hidden/old.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/_change_data", dir);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/_change_data/cdc-old.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/.part-old.parquet.crc", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/_delta_log/orphan-old.json", dir);
	make_file(path, NOW - 30 * DAY);
	/* symbolic links: neither followed nor removed */
	snprintf(outside, sizeof(outside), "%s/outside", tmpdir);
	make_dir(outside);
	snprintf(path, sizeof(path), "%s/outside/old.parquet", tmpdir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/link-dir", dir);
	CHECK(symlink(outside, path) == 0);
	snprintf(path, sizeof(path), "%s/link-file.parquet", dir);
	snprintf(outside, sizeof(outside), "%s/outside/old.parquet", tmpdir);
	CHECK(symlink(outside, path) == 0);

	/* 7 days: V0 = v2 */
	CHECK_OK(delta_vacuum_plan(A, dir, NOW, 7 * DAY, &p, &err), &err);
	if (p != NULL)
	{
		CHECK(p->retention_version == 2 && p->latest_version == 4 && p->cutoff_ms == cutoff);
		CHECK_MSG(p->num_files == 3, "%d files planned", p->num_files);
		CHECK(planned_log(p, fa));
		CHECK(planned(p, "orphan-old.parquet"));
		CHECK(planned(p, "edge-old.parquet"));
		CHECK(!planned(p, "edge-at.parquet") && !planned(p, "edge-young.parquet"));
		CHECK(!planned(p, "orphan-young.parquet"));
		CHECK(!planned_log(p, fb) && !planned_log(p, fc) && !planned_log(p, fd) && !planned_log(p, fe));
		CHECK(p->num_needed_kept == 4);	/* B, C (V0), D, E (added after) */
		CHECK(p->num_young_kept == 3);
		CHECK(p->num_files_scanned == 10);
		full_path(dir, fa, path, sizeof(path));
		bytes = size_of(path);
		snprintf(path, sizeof(path), "%s/orphan-old.parquet", dir);
		bytes += 2 * size_of(path);
		CHECK(p->total_bytes == bytes);
		for (int i = 1; i < p->num_files; i++)
			CHECK(strcmp(p->files[i - 1].path, p->files[i].path) < 0);
	}

	/* the default of 1 week from the table's settings, and other retentions */
	{
		DeltaVacuumPlan *q = NULL;
		int64_t		ret;

		CHECK_OK(delta_config_interval_ms(&t.md, DELTA_DELETED_FILE_RETENTION_KEY,
										  DELTA_DEFAULT_DELETED_FILE_RETENTION_MS, &ret, &err), &err);
		CHECK(ret == 7 * DAY);
		/* 12 days: V0 = v1 (A and B active), C, D, E added after: only the orphans */
		CHECK_OK(delta_vacuum_plan(A, dir, NOW, 12 * DAY, &q, &err), &err);
		CHECK(q != NULL && q->retention_version == 1 && q->num_files == 1 && planned(q, "orphan-old.parquet"));
		delta_vacuum_plan_free(A, q);
		/* before the first commit: V0 = the earliest, every logged file kept */
		CHECK_OK(delta_vacuum_plan(A, dir, NOW, 25 * DAY, &q, &err), &err);
		CHECK(q != NULL && q->retention_version == 0 && q->num_files == 1 && q->num_needed_kept == 5);
		delta_vacuum_plan_free(A, q);
		/* no retention: only the latest version's files (C, E) stay, and what is younger than now */
		CHECK_OK(delta_vacuum_plan(A, dir, NOW, 0, &q, &err), &err);
		CHECK(q != NULL && q->retention_version == 4 && q->num_files == 8 && q->num_needed_kept == 2);
		CHECK(q != NULL && planned_log(q, fb) && planned_log(q, fd) && planned(q, "orphan-young.parquet") &&
			  planned(q, "edge-young.parquet"));
		delta_vacuum_plan_free(A, q);
		CHECK(delta_vacuum_plan(A, dir, NOW, -1, &q, &err) == LAKE_ERROR_INVALID && q == NULL);
	}

	/* execute */
	if (p != NULL)
	{
		CHECK_OK(delta_vacuum_execute(p, &ndel, &ndirs, &err), &err);
		CHECK(ndel == 3 && ndirs == 0);
		CHECK(!exists(dir, fa));
		CHECK(exists(dir, fb) && exists(dir, fc) && exists(dir, fd) && exists(dir, fe));
		snprintf(path, sizeof(path), "%s/orphan-old.parquet", dir);
		CHECK(!exists_raw(path));
		snprintf(path, sizeof(path), "%s/orphan-young.parquet", dir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/edge-at.parquet", dir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/_tmp/old.parquet", dir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/.hidden/old.parquet", dir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/_change_data/cdc-old.parquet", dir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/.part-old.parquet.crc", dir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/_delta_log/orphan-old.json", dir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/outside/old.parquet", tmpdir);
		CHECK(exists_raw(path));
		snprintf(path, sizeof(path), "%s/link-file.parquet", dir);
		CHECK(exists_raw(path));
		/* every version inside the window still reads */
		check_readable(dir, 2, 4);
		/* a second run: a file already gone is fine */
		CHECK_OK(delta_vacuum_execute(p, &ndel, &ndirs, &err), &err);
		CHECK(ndel == 0);
		delta_vacuum_plan_free(A, p);
		p = NULL;
	}
	CHECK_OK(delta_vacuum_plan(A, dir, NOW, 7 * DAY, &p, &err), &err);
	CHECK(p != NULL && p->num_files == 0 && p->total_bytes == 0);
	delta_vacuum_plan_free(A, p);

	/* a plan path that leaves the table is refused */
	{
		DeltaVacuumPlan bad = {0};
		DeltaVacuumFile f = {"../outside/old.parquet", 1, 0};

		bad.table_dir = dir;
		bad.files = &f;
		bad.num_files = 1;
		CHECK(delta_vacuum_execute(&bad, &ndel, &ndirs, &err) == LAKE_ERROR_INVALID && ndel == 0);
		f.path = "_tmp/old.parquet";
		CHECK(delta_vacuum_execute(&bad, &ndel, &ndirs, &err) == LAKE_ERROR_INVALID && ndel == 0);
		snprintf(path, sizeof(path), "%s/outside/old.parquet", tmpdir);
		CHECK(exists_raw(path));
	}
}

/*
 * Partitioned: v0 (-20d) adds a/F1, b/F2 and "a b%c"/F3; v1 (-10d)
 * deletes b/F2; v2 (-1d) adds a/F4.  With 7 days V0 = v1: b/F2 goes, and
 * its directory with it; an old uncommitted file in a new partition goes
 * with its directory; a young one stays.
 */
static void
test_vacuum_partitioned(void)
{
	char		dir[400],
				path[1024];
	char		f1[512],
				f2[512],
				f3[512],
				f4[512];
	TestTable	t;
	LakeError	err;
	Commit		c;
	DeltaRemoveFile rm;
	DeltaVacuumPlan *p = NULL;
	int64_t		ndel,
				ndirs;

	snprintf(dir, sizeof(dir), "%s/vacuum_parted", tmpdir);
	table_init(&t, true);
	CHECK(append_at(dir, &t, true, 0, 10, "a", NOW - 20 * DAY, f1) == 0);
	CHECK(append_at(dir, &t, false, 10, 10, "b", NOW - 20 * DAY + 1000, f2) == 1);
	CHECK(append_at(dir, &t, false, 20, 10, "a b%c", NOW - 20 * DAY + 2000, f3) == 2);
	CHECK(strstr(f3, "device=a%20b%2525c/") == f3 || strstr(f3, "device=a b%2525c/") == f3);
	memset(&c, 0, sizeof(c));
	rm = remove_of(dir, f2, true, "{\"device\":\"b\"}");
	c.read_version = 2;
	c.removes = &rm;
	c.num_removes = 1;
	c.ts = NOW - 10 * DAY;
	CHECK_MSG(commit(dir, &t, &c, &err) == 3, "delete: %s", err.message);
	CHECK(append_at(dir, &t, false, 30, 10, "a", NOW - DAY, f4) == 4);
	age_data_file(dir, f1, NOW - 30 * DAY);
	age_data_file(dir, f2, NOW - 30 * DAY);
	age_data_file(dir, f3, NOW - 30 * DAY);
	age_data_file(dir, f4, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/device=c", dir);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/device=c/part-uncommitted-old.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/device=a/part-uncommitted-young.parquet", dir);
	make_file(path, NOW - 60000);
	snprintf(path, sizeof(path), "%s/device=empty", dir);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/_device=z", dir);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/_device=z/old.parquet", dir);
	make_file(path, NOW - 30 * DAY);

	CHECK_OK(delta_vacuum_plan(A, dir, NOW, 7 * DAY, &p, &err), &err);
	if (p == NULL)
		return;
	CHECK(p->retention_version == 3);
	CHECK_MSG(p->num_files == 2, "%d planned", p->num_files);
	CHECK(planned_log(p, f2));
	CHECK(planned(p, "device=c/part-uncommitted-old.parquet"));
	CHECK(!planned_log(p, f3));	/* percent-encoded in the log, decoded on disk */
	CHECK(p->num_needed_kept == 3 && p->num_young_kept == 1);
	CHECK_OK(delta_vacuum_execute(p, &ndel, &ndirs, &err), &err);
	CHECK(ndel == 2 && ndirs == 2);
	snprintf(path, sizeof(path), "%s/device=b", dir);
	CHECK(!exists_raw(path));
	snprintf(path, sizeof(path), "%s/device=c", dir);
	CHECK(!exists_raw(path));
	snprintf(path, sizeof(path), "%s/device=a/part-uncommitted-young.parquet", dir);
	CHECK(exists_raw(path));
	snprintf(path, sizeof(path), "%s/device=empty", dir);
	CHECK(exists_raw(path));	/* not left empty by this vacuum */
	snprintf(path, sizeof(path), "%s/_device=z/old.parquet", dir);
	CHECK(exists_raw(path));
	CHECK(exists(dir, f1) && exists(dir, f3) && exists(dir, f4));
	check_readable(dir, 3, 4);
	delta_vacuum_plan_free(A, p);
}

/* Commits after V0 that were cleaned up: VACUUM cannot know what they added. */
static void
test_vacuum_missing_commits(void)
{
	char		dir[400],
				path[1024];
	TestTable	t;
	LakeError	err;
	DeltaVacuumPlan *p = NULL;

	snprintf(dir, sizeof(dir), "%s/vacuum_gap", tmpdir);
	table_init(&t, false);
	for (int v = 0; v <= 4; v++)
		CHECK(append_at(dir, &t, v == 0, v * 10, 5, NULL, NOW - (20 - 4 * v) * DAY, NULL) == v);
	CHECK_OK(delta_checkpoint_write(A, dir, 4, &err), &err);
	log_name(dir, 2, ".json", path, sizeof(path));
	CHECK(unlink(path) == 0);
	/* cutoff between v1 (-16d) and v2 (-12d): V0 = 1, commit 2 is gone */
	CHECK(delta_vacuum_plan(A, dir, NOW, 14 * DAY, &p, &err) == LAKE_ERROR_INVALID && p == NULL);
	CHECK_MSG(strstr(err.message, "version 2") != NULL, "%s", err.message);
	/* V0 = 4 (from the checkpoint): fine */
	CHECK_OK(delta_vacuum_plan(A, dir, NOW, 0, &p, &err), &err);
	CHECK(p != NULL && p->retention_version == 4 && p->num_files == 0 && p->num_needed_kept == 5);
	delta_vacuum_plan_free(A, p);
	/* a corrupt commit after V0 is an error, not a deletion */
	snprintf(dir, sizeof(dir), "%s/vacuum_corrupt", tmpdir);
	for (int v = 0; v <= 2; v++)
		CHECK(append_at(dir, &t, v == 0, v * 10, 5, NULL, NOW - (20 - 4 * v) * DAY, NULL) == v);
	log_name(dir, 2, ".json", path, sizeof(path));
	{
		FILE	   *f = fopen(path, "a");

		fputs("{not json\n", f);
		fclose(f);
	}
	p = NULL;
	CHECK(delta_vacuum_plan(A, dir, NOW, 18 * DAY, &p, &err) == LAKE_ERROR_CORRUPT && p == NULL);
	CHECK_MSG(strstr(err.message, "00000000000000000002.json") != NULL, "%s", err.message);
	snprintf(path, sizeof(path), "%s/nothing_here", tmpdir);
	CHECK(delta_vacuum_plan(A, path, NOW, 0, &p, &err) == LAKE_ERROR_IO && p == NULL);
}

/*
 * Paths the log writes otherwise: an absolute file:// URI under the table,
 * and a relative one with "." and empty segments and a percent-escape.
 */
static void
test_vacuum_paths(void)
{
	char		dir[400],
				path[1024],
				line[2048];
	TestTable	t;
	LakeError	err;
	DeltaVacuumPlan *p = NULL;
	FILE	   *f;

	snprintf(dir, sizeof(dir), "%s/vacuum_paths", tmpdir);
	table_init(&t, false);
	CHECK(append_at(dir, &t, true, 0, 5, NULL, NOW - 20 * DAY, NULL) == 0);
	snprintf(path, sizeof(path), "%s/sub", dir);
	make_dir(path);
	snprintf(path, sizeof(path), "%s/sub/abs.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/sub/rel x.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	snprintf(path, sizeof(path), "%s/sub/gone.parquet", dir);
	make_file(path, NOW - 30 * DAY);
	log_name(dir, 1, ".json", path, sizeof(path));
	f = fopen(path, "w");
	CHECK(f != NULL);
	if (f == NULL)
		return;
	fprintf(f, "{\"commitInfo\":{\"timestamp\":%lld,\"operation\":\"WRITE\"}}\n", (long long) (NOW - 10 * DAY));
	snprintf(line, sizeof(line), "{\"add\":{\"path\":\"file://%s/sub/abs.parquet\",\"partitionValues\":{},\"size\":31,\"modificationTime\":0,\"dataChange\":true}}\n", dir);
	fputs(line, f);
	fputs("{\"add\":{\"path\":\"sub/.//rel%20x.parquet\",\"partitionValues\":{},\"size\":31,\"modificationTime\":0,\"dataChange\":false}}\n", f);
	fclose(f);

	CHECK_OK(delta_vacuum_plan(A, dir, NOW, 0, &p, &err), &err);
	CHECK(p != NULL && p->num_files == 1 && planned(p, "sub/gone.parquet") && p->num_needed_kept == 3);
	delta_vacuum_plan_free(A, p);
}

/* ---------------------------------------------------------- log cleanup */

static int64_t
lts(int64_t v)
{
	return NOW - 40 * DAY + v * 4 * DAY;
}

static void
copy_file(const char *from, const char *to)
{
	char		buf[4096];
	FILE	   *in = fopen(from, "rb"),
			   *out = fopen(to, "wb");
	size_t		n;

	CHECK(in != NULL && out != NULL);
	if (in == NULL || out == NULL)
	{
		if (in)
			fclose(in);
		if (out)
			fclose(out);
		return;
	}
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		fwrite(buf, 1, n, out);
	fclose(in);
	fclose(out);
}

/*
 * v0..v9 committed at -40d + 4d*v (v3 at -28d, v8 at -8d); checkpoints
 * at 3 and 6; every log file as old as its commit.
 */
static void
test_log_cleanup(void)
{
	char		dir[400],
				path[1024],
				lc[1024],
				lc3[1024],
				lc6[1024];
	TestTable	t;
	LakeError	err;
	int			n;
	int64_t		v;

	snprintf(dir, sizeof(dir), "%s/cleanup", tmpdir);
	table_init(&t, false);
	table_conf(&t, "delta.checkpointInterval", "1000");
	snprintf(lc, sizeof(lc), "%s/_delta_log/_last_checkpoint", dir);
	snprintf(lc3, sizeof(lc3), "%s/last_checkpoint_3", tmpdir);
	snprintf(lc6, sizeof(lc6), "%s/last_checkpoint_6", tmpdir);
	for (v = 0; v <= 9; v++)
	{
		CHECK(append_at(dir, &t, v == 0, v * 10, 5, NULL, lts(v), NULL) == v);
		if (v == 3 || v == 6)
		{
			CHECK_OK(delta_checkpoint_write(A, dir, v, &err), &err);
			copy_file(lc, v == 3 ? lc3 : lc6);
		}
	}
	/* nothing can go while no checkpoint exists */
	{
		char		d2[400];

		snprintf(d2, sizeof(d2), "%s/cleanup_nocp", tmpdir);
		for (v = 0; v <= 3; v++)
		{
			CHECK(append_at(d2, &t, v == 0, v, 1, NULL, lts(v), NULL) == v);
			age_log(d2, v, ".json", lts(v));
		}
		CHECK_OK(delta_log_cleanup(A, d2, NOW, 0, &n, &err), &err);
		CHECK(n == 0 && log_exists(d2, 0, ".json"));
		/* a checkpoint, but a commit whose commitInfo is not JSON: an error, nothing removed */
		CHECK_OK(delta_checkpoint_write(A, d2, 3, &err), &err);
		log_name(d2, 1, ".json", path, sizeof(path));
		{
			FILE	   *f = fopen(path, "w");

			fputs("{\"commitInfo\":{\"timestamp\":12,,}}\n", f);
			fclose(f);
			set_mtime(path, lts(1));
		}
		CHECK(delta_log_cleanup(A, d2, NOW, 0, &n, &err) == LAKE_ERROR_CORRUPT && n == 0);
		CHECK(log_exists(d2, 0, ".json") && log_exists(d2, 1, ".json"));
	}
	for (v = 0; v <= 9; v++)
	{
		age_log(dir, v, ".json", lts(v));
		if (v == 3 || v == 6)
			age_log(dir, v, ".checkpoint.parquet", lts(v) + 60000);
	}
	/* a .crc of two versions and a partial multi-part checkpoint; a temporary file */
	log_name(dir, 1, ".crc", path, sizeof(path));
	make_file(path, lts(1));
	log_name(dir, 4, ".crc", path, sizeof(path));
	make_file(path, lts(4));
	log_name(dir, 2, ".checkpoint.0000000001.0000000002.parquet", path, sizeof(path));
	make_file(path, lts(2));
	snprintf(path, sizeof(path), "%s/_delta_log/.0123abcd.json.tmp", dir);
	make_file(path, lts(0));

	/* 38 days: E = 1, no checkpoint at or below it */
	CHECK_OK(delta_log_cleanup(A, dir, NOW, 38 * DAY, &n, &err), &err);
	CHECK(n == 0 && log_exists(dir, 0, ".json"));

	/* _last_checkpoint naming checkpoint 3: kept, and the boundary */
	copy_file(lc3, lc);
	CHECK_OK(delta_log_cleanup(A, dir, NOW, 10 * DAY, &n, &err), &err);
	CHECK_MSG(n == 5, "removed %d", n);	/* 0, 1, 1.crc, 2, 2's part */
	CHECK(!log_exists(dir, 0, ".json") && !log_exists(dir, 1, ".json") && !log_exists(dir, 1, ".crc") &&
		  !log_exists(dir, 2, ".json") && !log_exists(dir, 2, ".checkpoint.0000000001.0000000002.parquet"));
	CHECK(log_exists(dir, 3, ".json") && log_exists(dir, 3, ".checkpoint.parquet") && exists_raw(lc));
	snprintf(path, sizeof(path), "%s/_delta_log/.0123abcd.json.tmp", dir);
	CHECK(exists_raw(path));
	check_readable(dir, 3, 9);
	copy_file(lc6, lc);

	/* 30 days: E = 3 (-28d), C = 3: nothing older is left */
	CHECK_OK(delta_log_cleanup(A, dir, NOW, 30 * DAY, &n, &err), &err);
	CHECK(n == 0);

	/* a log file younger than the cutoff ends the cleanup: commit 4 */
	age_log(dir, 4, ".json", NOW - 10 * DAY + 1);
	CHECK_OK(delta_log_cleanup(A, dir, NOW, 10 * DAY, &n, &err), &err);
	CHECK_MSG(n == 3, "removed %d", n);	/* checkpoint 3, commit 3, 4.crc */
	CHECK(!log_exists(dir, 3, ".checkpoint.parquet") && !log_exists(dir, 3, ".json") &&
		  !log_exists(dir, 4, ".crc"));
	CHECK(log_exists(dir, 4, ".json") && log_exists(dir, 5, ".json"));
	check_readable(dir, 6, 9);

	/* 10 days: E = 8 (-8d), C = 6: everything below 6 goes */
	age_log(dir, 4, ".json", lts(4));
	CHECK_OK(delta_log_cleanup(A, dir, NOW, 10 * DAY, &n, &err), &err);
	CHECK_MSG(n == 2, "removed %d", n);	/* 4, 5 */
	CHECK(!log_exists(dir, 4, ".json") && !log_exists(dir, 5, ".json"));
	CHECK(log_exists(dir, 6, ".json") && log_exists(dir, 6, ".checkpoint.parquet") && exists_raw(lc));
	/* time travel to every version inside the retention (8, 9) and down to the checkpoint */
	check_readable(dir, 6, 9);
	for (v = 6; v <= 9; v++)
	{
		int64_t		at = -1;

		CHECK_OK(delta_version_at_timestamp(A, dir, lts(v), &at, &err), &err);
		CHECK_MSG(at == v, "at %lld: version %lld", (long long) v, (long long) at);
	}
	{
		DeltaSnapshot *s = NULL;

		CHECK(delta_snapshot_load(A, dir, 5, &s, &err) == LAKE_ERROR_INVALID && s == NULL);
	}
	/* every commit is old: E = the latest (9), C = 6 again: nothing more */
	CHECK_OK(delta_log_cleanup(A, dir, NOW + 100 * DAY, 0, &n, &err), &err);
	CHECK(n == 0);
	CHECK(delta_log_cleanup(A, dir, NOW, -5, &n, &err) == LAKE_ERROR_INVALID);
}

/* The cleanup delta_commit runs after a checkpoint, with the wall clock. */
static void
test_auto_cleanup(void)
{
	static const struct
	{
		const char *name;
		const char *enable;		/* delta.enableExpiredLogCleanup */
		const char *retention;	/* delta.logRetentionDuration */
		int			removed;	/* commits 0..4 removed */
		bool		error;
	}			cases[] = {
		{"auto_default", NULL, NULL, 5, false},
		{"auto_disabled", "false", NULL, 0, false},
		{"auto_enabled", "true", "interval 40 days", 5, false},
		{"auto_long", NULL, "interval 1000 days", 0, false},
		{"auto_malformed", NULL, "forever", 0, true},
	};

	for (size_t k = 0; k < sizeof(cases) / sizeof(cases[0]); k++)
	{
		char		dir[400];
		TestTable	t;
		LakeError	err;
		Commit		c = {0};
		int64_t		v;
		int			left = 0;

		snprintf(dir, sizeof(dir), "%s/%s", tmpdir, cases[k].name);
		table_init(&t, false);
		table_conf(&t, "delta.checkpointInterval", "5");
		if (cases[k].enable)
			table_conf(&t, DELTA_EXPIRED_LOG_CLEANUP_KEY, cases[k].enable);
		if (cases[k].retention)
			table_conf(&t, DELTA_LOG_RETENTION_KEY, cases[k].retention);
		for (v = 0; v <= 4; v++)
		{
			CHECK(append_at(dir, &t, v == 0, v, 1, NULL, NOW - 60 * DAY + v * DAY, NULL) == v);
			age_log(dir, v, ".json", NOW - 60 * DAY + v * DAY);
		}
		c.read_version = -1;
		c.first = 5;
		c.n = 1;
		c.ts = NOW - 55 * DAY;
		v = commit(dir, &t, &c, &err);
		CHECK_MSG(v == 5, "%s: %s", cases[k].name, err.message);
		CHECK(log_exists(dir, 5, ".checkpoint.parquet") && log_exists(dir, 5, ".json"));
		if (cases[k].error)
			CHECK_MSG(c.cperr.status == LAKE_ERROR_INVALID && strstr(c.cperr.message, "forever") != NULL,
					  "%s: %s", cases[k].name, c.cperr.message);
		else
			CHECK_MSG(c.cperr.status == LAKE_OK, "%s: %s", cases[k].name, c.cperr.message);
		for (v = 0; v <= 4; v++)
			left += log_exists(dir, v, ".json");
		CHECK_MSG(left == 5 - cases[k].removed, "%s: %d commits left", cases[k].name, left);
		check_readable(dir, 5, 5);
	}
}

/* -------------------------------------------------------------- RESTORE */

/* The paths of a version's files, sorted, joined by '\n'. */
static void
paths_of(const char *dir, int64_t version, char *out, size_t size)
{
	DeltaSnapshot *s = NULL;
	LakeError	err;
	size_t		o = 0;

	out[0] = '\0';
	CHECK_OK(delta_snapshot_load(A, dir, version, &s, &err), &err);
	for (int i = 0; s != NULL && i < s->num_files; i++)
		o += (size_t) snprintf(out + o, size - o, "%s\n", s->files[i].path);
	delta_snapshot_free(A, s);
}

/* Plan and commit a restore; returns the new version or -1. */
static int64_t
restore(const char *dir, int64_t target, DeltaRestorePlan **plan_out, LakeError *err)
{
	DeltaRestorePlan *plan = NULL;
	DeltaCommitRequest req;
	LakeError	cperr;
	int64_t		v = -1;

	if (delta_restore_plan(A, dir, target, &plan, err) != LAKE_OK)
		return -1;
	delta_restore_commit_request(plan, &req);
	req.engine_info = "iot_lakehouse/test";
	if (delta_commit(A, dir, &req, &v, &cperr, err) != LAKE_OK)
		v = -1;
	if (plan_out)
		*plan_out = plan;
	else
		delta_restore_plan_free(A, plan);
	return v;
}

/* The restored version has the target's files, with the target's statistics text. */
static void
check_restored(const char *dir, int64_t restored, int64_t target)
{
	char		want[8192],
				got[8192];
	DeltaSnapshot *s = NULL,
			   *r = NULL;
	LakeError	err;

	paths_of(dir, target, want, sizeof(want));
	paths_of(dir, restored, got, sizeof(got));
	CHECK_MSG(strcmp(want, got) == 0, "restored %lld:\n%s\ntarget %lld:\n%s", (long long) restored, got,
			  (long long) target, want);
	CHECK_OK(delta_snapshot_load_ex(A, dir, target, DELTA_LOAD_RAW_STATS, &s, &err), &err);
	CHECK_OK(delta_snapshot_load_ex(A, dir, restored, DELTA_LOAD_RAW_STATS, &r, &err), &err);
	if (s != NULL && r != NULL && s->num_files == r->num_files)
	{
		CHECK(s->num_records == r->num_records);
		for (int i = 0; i < s->num_files; i++)
		{
			CHECK(s->files[i].size == r->files[i].size);
			CHECK(s->files[i].modification_time == r->files[i].modification_time);
			CHECK(s->files[i].stats_json != NULL && r->files[i].stats_json != NULL &&
				  strcmp(s->files[i].stats_json, r->files[i].stats_json) == 0);
			if (s->metadata.num_partition_columns == 1 && r->files[i].partition_values != NULL &&
				s->files[i].partition_values != NULL)
			{
				const char *x = r->files[i].partition_values[0];
				const char *y = s->files[i].partition_values[0];

				CHECK((x == NULL && y == NULL) || (x != NULL && y != NULL && strcmp(x, y) == 0));
			}
		}
	}
	delta_snapshot_free(A, s);
	delta_snapshot_free(A, r);
}

static char *
read_text(const char *path)
{
	FILE	   *f = fopen(path, "rb");
	static char buf[65536];
	size_t		n;

	buf[0] = '\0';
	if (f == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

static int
count_of(const char *s, const char *what)
{
	int			n = 0;

	while ((s = strstr(s, what)) != NULL)
	{
		n++;
		s += strlen(what);
	}
	return n;
}

/*
 * v0..v2 append F0..F2; v3 rewrites F0, F1 as F01 (dataChange false); v4
 * deletes F2.  Restores to 2 (after the rewrite), to 0, after appends,
 * to a version with another schema; then a file vacuumed away.
 */
static void
test_restore(void)
{
	char		dir[400],
				path[1024],
				f[3][512],
				f01[512];
	TestTable	t;
	LakeError	err;
	Commit		c;
	DeltaRemoveFile rms[2];
	DeltaRestorePlan *plan = NULL;
	DeltaHistoryEntry *h = NULL;
	int			nh = 0;
	int64_t		v;
	char	   *text;

	snprintf(dir, sizeof(dir), "%s/restore", tmpdir);
	table_init(&t, false);
	for (v = 0; v <= 2; v++)
		CHECK(append_at(dir, &t, v == 0, v * 10, 10, NULL, 0, f[v]) == v);
	memset(&c, 0, sizeof(c));
	rms[0] = remove_of(dir, f[0], false, "{}");
	rms[1] = remove_of(dir, f[1], false, "{}");
	c.read_version = 2;
	c.first = 0;
	c.n = 20;
	c.removes = rms;
	c.num_removes = 2;
	c.no_data_change = true;
	c.added = f01;
	CHECK_MSG(commit(dir, &t, &c, &err) == 3, "rewrite: %s", err.message);
	memset(&c, 0, sizeof(c));
	rms[0] = remove_of(dir, f[2], true, "{}");
	c.read_version = 3;
	c.removes = rms;
	c.num_removes = 1;
	CHECK_MSG(commit(dir, &t, &c, &err) == 4, "delete: %s", err.message);

	/* refused: the latest, beyond it, negative */
	CHECK(delta_restore_plan(A, dir, 4, &plan, &err) == LAKE_ERROR_INVALID && plan == NULL);
	CHECK(delta_restore_plan(A, dir, 9, &plan, &err) == LAKE_ERROR_INVALID && plan == NULL);
	CHECK(delta_restore_plan(A, dir, -1, &plan, &err) == LAKE_ERROR_INVALID && plan == NULL);

	/* to 2: F0, F1, F2 back, F01 removed */
	CHECK_OK(delta_restore_plan(A, dir, 2, &plan, &err), &err);
	if (plan != NULL)
	{
		char		p01[1024];

		full_path(dir, f01, p01, sizeof(p01));
		CHECK(plan->read_version == 4 && plan->target_version == 2);
		CHECK(plan->num_adds == 3 && plan->num_removes == 1 && plan->metadata == NULL);
		CHECK(plan->num_removes == 1 && strcmp(plan->removes[0].path, f01) == 0 && plan->removes[0].data_change &&
			  plan->removes[0].size == size_of(p01));
		CHECK(plan->num_restored_files == 3 && plan->num_removed_files == 1 && plan->num_files_after_restore == 3);
		CHECK(plan->removed_files_size == size_of(p01) && plan->restored_files_size > 0 &&
			  plan->table_size_after_restore == plan->restored_files_size);
		for (int i = 0; i < plan->num_adds; i++)
			CHECK(plan->adds[i].stats_json != NULL && plan->adds[i].partition_values_json != NULL &&
				  strcmp(plan->adds[i].partition_values_json, "{}") == 0 && plan->adds[i].num_records == 10);
		CHECK(strstr(plan->operation_metrics_json, "\"numRestoredFiles\":\"3\"") != NULL);
		CHECK(strstr(plan->operation_metrics_json, "\"numRemovedFiles\":\"1\"") != NULL);
		CHECK(strcmp(plan->operation_parameters_json, "{\"version\":\"2\"}") == 0);
		delta_restore_plan_free(A, plan);
		plan = NULL;
	}
	v = restore(dir, 2, NULL, &err);
	CHECK_MSG(v == 5, "restore to 2: %s", err.message);
	check_restored(dir, 5, 2);
	log_name(dir, 5, ".json", path, sizeof(path));
	text = read_text(path);
	CHECK(count_of(text, "{\"add\":") == 3 && count_of(text, "{\"remove\":") == 1);
	CHECK(count_of(text, "\"dataChange\":true") == 4 && count_of(text, "\"dataChange\":false") == 0);
	CHECK(strstr(text, "\"operation\":\"RESTORE\"") != NULL && strstr(text, "\"size\":") != NULL);
	CHECK(strstr(text, "\"metaData\"") == NULL && strstr(text, "\"protocol\"") == NULL);
	CHECK_OK(delta_history(A, dir, &h, &nh, &err), &err);
	CHECK(nh == 6 && h[0].version == 5 && h[0].operation && strcmp(h[0].operation, "RESTORE") == 0 &&
		  h[0].operation_metrics && strstr(h[0].operation_metrics, "\"restoredFilesSize\"") != NULL &&
		  h[0].operation_parameters && strstr(h[0].operation_parameters, "\"version\":\"2\"") != NULL);
	delta_history_free(A, h, nh);

	/* to 0: F1 and F2 removed, nothing added */
	CHECK_OK(delta_restore_plan(A, dir, 0, &plan, &err), &err);
	CHECK(plan != NULL && plan->num_adds == 0 && plan->num_removes == 2);
	delta_restore_plan_free(A, plan);
	plan = NULL;
	v = restore(dir, 0, NULL, &err);
	CHECK_MSG(v == 6, "restore to 0: %s", err.message);
	check_restored(dir, 6, 0);

	/* after appends: back to 6 */
	CHECK(append_at(dir, &t, false, 100, 10, NULL, 0, NULL) == 7);
	CHECK(append_at(dir, &t, false, 110, 10, NULL, 0, NULL) == 8);
	CHECK_OK(delta_restore_plan(A, dir, 6, &plan, &err), &err);
	CHECK(plan != NULL && plan->num_adds == 0 && plan->num_removes == 2);
	delta_restore_plan_free(A, plan);
	plan = NULL;
	v = restore(dir, 6, NULL, &err);
	CHECK_MSG(v == 9, "restore to 6: %s", err.message);
	check_restored(dir, 9, 6);
	/* and forward again, to 8 */
	v = restore(dir, 8, NULL, &err);
	CHECK_MSG(v == 10, "restore to 8: %s", err.message);
	check_restored(dir, 10, 8);

	/* another schema: v11 adds a column, restoring 10 commits 10's metaData */
	{
		TestTable	t2 = t;
		DeltaSnapshot *s = NULL,
				   *s10 = NULL;

		t2.md.columns = t2.cols;
		t2.md.configuration = t2.conf;
		col(&t2, 2, "extra", DELTA_TYPE_INTEGER);
		t2.md.num_columns = 3;
		CHECK_OK(delta_snapshot_load(A, dir, 10, &s10, &err), &err);
		t2.md.id = s10 ? s10->metadata.id : NULL;
		memset(&c, 0, sizeof(c));
		c.read_version = 10;
		c.metadata = &t2.md;
		CHECK_MSG(commit(dir, &t, &c, &err) == 11, "schema change: %s", err.message);
		CHECK_OK(delta_restore_plan(A, dir, 10, &plan, &err), &err);
		CHECK(plan != NULL && plan->metadata != NULL && plan->num_adds == 0 && plan->num_removes == 0 &&
			  s10 != NULL && strcmp(plan->metadata->schema_string, s10->metadata.schema_string) == 0);
		delta_restore_plan_free(A, plan);
		plan = NULL;
		v = restore(dir, 10, NULL, &err);
		CHECK_MSG(v == 12, "restore schema: %s", err.message);
		CHECK_OK(delta_snapshot_load(A, dir, 12, &s, &err), &err);
		CHECK(s != NULL && s10 != NULL && s->metadata.num_columns == 2 &&
			  strcmp(s->metadata.schema_string, s10->metadata.schema_string) == 0 &&
			  strcmp(s->metadata.id, s10->metadata.id) == 0);
		check_restored(dir, 12, 10);
		delta_snapshot_free(A, s);
		delta_snapshot_free(A, s10);
	}

	/* a file vacuumed away: F1 (removed since 6) goes with no retention */
	{
		DeltaVacuumPlan *vp = NULL;
		int64_t		nd,
					ndirs;
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		CHECK_OK(delta_vacuum_plan(A, dir, (int64_t) ts.tv_sec * 1000 + 60000, 0, &vp, &err), &err);
		CHECK(vp != NULL && planned_log(vp, f[1]) && planned_log(vp, f01) && !planned_log(vp, f[0]));
		if (vp != NULL)
			CHECK_OK(delta_vacuum_execute(vp, &nd, &ndirs, &err), &err);
		delta_vacuum_plan_free(A, vp);
		CHECK(delta_restore_plan(A, dir, 5, &plan, &err) == LAKE_ERROR_INVALID && plan == NULL);
		CHECK_MSG(strstr(err.message, "version 5 cannot be restored: data file") != NULL &&
				  strstr(err.message, "was removed (by VACUUM?)") != NULL, "%s", err.message);
		/* versions whose files are still there restore fine */
		CHECK_OK(delta_restore_plan(A, dir, 6, &plan, &err), &err);
		delta_restore_plan_free(A, plan);
		plan = NULL;
	}
}

/* A partitioned table: removes and re-adds carry their partition values. */
static void
test_restore_partitioned(void)
{
	char		dir[400],
				fa[512],
				fb[512];
	TestTable	t;
	LakeError	err;
	Commit		c;
	DeltaRemoveFile rm;
	DeltaRestorePlan *plan = NULL;
	int64_t		v;

	snprintf(dir, sizeof(dir), "%s/restore_parted", tmpdir);
	table_init(&t, true);
	CHECK(append_at(dir, &t, true, 0, 10, "a b%c", 0, fa) == 0);
	CHECK(append_at(dir, &t, false, 10, 10, NULL, 0, fb) == 1);
	memset(&c, 0, sizeof(c));
	rm = remove_of(dir, fa, true, "{\"device\":\"a b%c\"}");
	c.read_version = 1;
	c.removes = &rm;
	c.num_removes = 1;
	CHECK_MSG(commit(dir, &t, &c, &err) == 2, "delete: %s", err.message);
	CHECK(append_at(dir, &t, false, 20, 10, "z", 0, NULL) == 3);

	CHECK_OK(delta_restore_plan(A, dir, 1, &plan, &err), &err);
	if (plan != NULL)
	{
		CHECK(plan->num_adds == 1 && strcmp(plan->adds[0].path, fa) == 0 &&
			  strcmp(plan->adds[0].partition_values_json, "{\"device\":\"a b%c\"}") == 0);
		CHECK(plan->num_removes == 1 && strcmp(plan->removes[0].partition_values_json, "{\"device\":\"z\"}") == 0);
		delta_restore_plan_free(A, plan);
	}
	v = restore(dir, 1, NULL, &err);
	CHECK_MSG(v == 4, "restore: %s", err.message);
	check_restored(dir, 4, 1);
	/* the null partition value stays null */
	v = restore(dir, 3, NULL, &err);
	CHECK_MSG(v == 5, "restore: %s", err.message);
	{
		DeltaSnapshot *s = NULL;
		int			nulls = 0;

		CHECK_OK(delta_snapshot_load(A, dir, 5, &s, &err), &err);
		for (int i = 0; s != NULL && i < s->num_files; i++)
			nulls += s->files[i].partition_values[0] == NULL;
		CHECK(s != NULL && s->num_files == 2 && nulls == 1);
		delta_snapshot_free(A, s);
	}
}

int
main(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	NOW = (int64_t) ts.tv_sec * 1000;
	if (!unit_tmpdir_make(tmpdir, sizeof(tmpdir), "test_delta_maintenance"))
		return 1;
	test_intervals();
	test_load_options();
	test_vacuum();
	test_vacuum_partitioned();
	test_vacuum_missing_commits();
	test_vacuum_paths();
	test_log_cleanup();
	test_auto_cleanup();
	test_restore();
	test_restore_partitioned();
	unit_tmpdir_finish(tmpdir);
	return unit_finish("test_delta_maintenance");
}
