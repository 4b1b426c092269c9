/*
 * fuzz_delta_log.c
 *	  libFuzzer harness for the Delta log reader of lake/: the input becomes
 *	  a file of a Delta log in a temporary table directory, then the snapshot
 *	  is loaded (latest and version 0), history is read and a timestamp is
 *	  resolved.  The first input byte picks what the rest becomes:
 *	    0  commit 0 (the whole log)
 *	    1  commit 1, after a valid commit 0 (protocol, metaData, adds, stats)
 *	    2  _last_checkpoint, next to a valid log of two commits
 *	    3  checkpoint 00000000000000000001.checkpoint.parquet, then commit 2
 *	    4  the stats string of an add in a valid commit 0
 *
 * The same log is then read as the streaming pipeline and the maintenance
 * functions read it: the changes of a range of versions (with and without
 * the rewrites), a VACUUM plan and a RESTORE plan (plans only: nothing is
 * deleted), and the table's retention settings are parsed.
 *
 * Besides what the sanitizers catch, the harness checks the contract: a
 * failure has a status and a message; a snapshot's files are sorted by path
 * with as many partition values as partition columns.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lake/delta_maintenance.h"
#include "lake/delta_snapshot.h"

static char table_dir[256];
static char log_dir[300];

static const char commit0[] =
"{\"commitInfo\":{\"timestamp\":1000,\"operation\":\"WRITE\"}}\n"
"{\"protocol\":{\"minReaderVersion\":1,\"minWriterVersion\":2}}\n"
"{\"metaData\":{\"id\":\"f\",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":"
"\"{\\\"type\\\":\\\"struct\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"long\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}},"
"{\\\"name\\\":\\\"p\\\",\\\"type\\\":\\\"string\\\",\\\"nullable\\\":true,\\\"metadata\\\":{}}]}\","
"\"partitionColumns\":[\"p\"],\"configuration\":{}}}\n"
"{\"add\":{\"path\":\"p=a/x%201.parquet\",\"partitionValues\":{\"p\":\"a\"},\"size\":10,\"modificationTime\":1,\"dataChange\":true,"
"\"stats\":\"{\\\"numRecords\\\":2,\\\"minValues\\\":{\\\"id\\\":1},\\\"maxValues\\\":{\\\"id\\\":5},\\\"nullCount\\\":{\\\"id\\\":0}}\"}}\n";

static const char commit1[] =
"{\"commitInfo\":{\"timestamp\":2000,\"operation\":\"WRITE\"}}\n"
"{\"add\":{\"path\":\"p=b/y.parquet\",\"partitionValues\":{\"p\":null},\"size\":10,\"modificationTime\":1,\"dataChange\":true}}\n"
"{\"remove\":{\"path\":\"p=a/x%201.parquet\",\"dataChange\":true}}\n";

static const char *const log_files[] = {
	"00000000000000000000.json", "00000000000000000001.json", "00000000000000000002.json",
	"00000000000000000001.checkpoint.parquet", "_last_checkpoint", NULL
};

#define TRAP(msg) do { fprintf(stderr, "contract broken: %s\n", msg); __builtin_trap(); } while (0)

static void
put(const char *name, const void *data, size_t len)
{
	char		path[512];
	FILE	   *f;

	snprintf(path, sizeof(path), "%s/%s", log_dir, name);
	f = fopen(path, "wb");
	if (f == NULL)
		abort();
	if (len > 0 && fwrite(data, 1, len, f) != len)
		abort();
	fclose(f);
}

static void
check_failure(LakeStatus st, const LakeError *err)
{
	if (st != LAKE_OK && err->message[0] == '\0')
		TRAP("a failure without a message");
}

static void
check_snapshot(const DeltaSnapshot *s)
{
	for (int i = 0; i < s->num_files; i++)
	{
		const DeltaAddFile *f = &s->files[i];

		if (f->path == NULL || f->local_path == NULL)
			TRAP("a file without a path");
		if (i > 0 && strcmp(s->files[i - 1].path, f->path) > 0)
			TRAP("files not sorted by path");
		for (int p = 0; p < s->metadata.num_partition_columns; p++)
			if (f->partition_values == NULL)
				TRAP("partition values missing");
			else if (f->partition_values[p] != NULL)
				(void) strlen(f->partition_values[p]);
		if (f->stats)
			for (int c = 0; c < s->metadata.num_columns; c++)
			{
				if (f->stats[c].has_min)
					(void) strlen(f->stats[c].min);
				if (f->stats[c].has_max)
					(void) strlen(f->stats[c].max);
			}
	}
	for (int p = 0; p < s->metadata.num_partition_columns; p++)
	{
		int			c = s->metadata.partition_column_index[p];

		if (c < 0 || c >= s->metadata.num_columns || s->metadata.columns[c].partition_index != p)
			TRAP("partition column index");
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	snprintf(table_dir, sizeof(table_dir), "/tmp/fuzz_delta_log.XXXXXX");
	if (mkdtemp(table_dir) == NULL)
		abort();
	snprintf(log_dir, sizeof(log_dir), "%s/_delta_log", table_dir);
	mkdir(log_dir, 0755);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const LakeAllocator *a = &lake_malloc_allocator;
	DeltaSnapshot *s = NULL;
	DeltaHistoryEntry *h = NULL;
	int			nh = 0;
	int64_t		v;
	LakeError	err;
	LakeStatus	st;
	uint8_t		mode;
	char		path[512];

	if (size < 1)
		return 0;
	mode = data[0] % 5;
	data++;
	size--;
	for (int i = 0; log_files[i]; i++)
	{
		snprintf(path, sizeof(path), "%s/%s", log_dir, log_files[i]);
		unlink(path);
	}
	switch (mode)
	{
		case 0:
			put(log_files[0], data, size);
			break;
		case 1:
			put(log_files[0], commit0, sizeof(commit0) - 1);
			put(log_files[1], data, size);
			break;
		case 2:
			put(log_files[0], commit0, sizeof(commit0) - 1);
			put(log_files[1], commit1, sizeof(commit1) - 1);
			put(log_files[4], data, size);
			break;
		case 3:
			put(log_files[3], data, size);
			put(log_files[2], commit1, sizeof(commit1) - 1);
			break;
		case 4:
			{
				/* the input as the (JSON-escaped) stats string of the add */
				char	   *buf = malloc(sizeof(commit0) + size * 6 + 64);
				size_t		n = 0;
				const char *head = strstr(commit0, "\"stats\":\"");

				memcpy(buf, commit0, (size_t) (head - commit0) + 9);
				n = (size_t) (head - commit0) + 9;
				for (size_t i = 0; i < size; i++)
				{
					uint8_t		c = data[i];

					if (c == '"' || c == '\\')
					{
						buf[n++] = '\\';
						buf[n++] = (char) c;
					}
					else if (c < 0x20)
						n += (size_t) sprintf(buf + n, "\\u%04x", c);
					else
						buf[n++] = (char) c;
				}
				memcpy(buf + n, "\"}}\n", 4);
				n += 4;
				put(log_files[0], buf, n);
				free(buf);
			}
			break;
	}

	memset(&err, 0, sizeof(err));
	st = delta_snapshot_load(a, table_dir, -1, &s, &err);
	check_failure(st, &err);
	if (st == LAKE_OK)
	{
		check_snapshot(s);
		delta_snapshot_free(a, s);
		s = NULL;
	}
	else if (s != NULL)
		TRAP("a snapshot returned with a failure");
	memset(&err, 0, sizeof(err));
	st = delta_snapshot_load(a, table_dir, 0, &s, &err);
	check_failure(st, &err);
	if (st == LAKE_OK)
		check_snapshot(s);
	delta_snapshot_free(a, s);
	memset(&err, 0, sizeof(err));
	st = delta_history(a, table_dir, &h, &nh, &err);
	check_failure(st, &err);
	delta_history_free(a, h, nh);
	memset(&err, 0, sizeof(err));
	st = delta_version_at_timestamp(a, table_dir, 1500, &v, &err);
	check_failure(st, &err);

	/* the streaming reads: the changes of every version, then of the last one */
	for (int all = 0; all < 2; all++)
	{
		memset(&err, 0, sizeof(err));
		s = NULL;
		st = delta_changes_load_ex(a, table_dir, all ? 1 : 0, -1, all ? DELTA_LOAD_ALL_ADDS : 0, &s, &err);
		check_failure(st, &err);
		if (st == LAKE_OK)
		{
			check_snapshot(s);
			if (all == 0)
			{
				int64_t		ms;

				/* the retention settings of whatever metaData the log has */
				memset(&err, 0, sizeof(err));
				check_failure(delta_config_interval_ms(&s->metadata, DELTA_LOG_RETENTION_KEY,
													   DELTA_DEFAULT_LOG_RETENTION_MS, &ms, &err), &err);
			}
		}
		delta_snapshot_free(a, s);
	}
	/* the maintenance plans (read-only) */
	{
		DeltaVacuumPlan *vp = NULL;
		DeltaRestorePlan *rp = NULL;

		memset(&err, 0, sizeof(err));
		st = delta_vacuum_plan(a, table_dir, 4000000000000LL, 0, &vp, &err);
		check_failure(st, &err);
		if (st == LAKE_OK)
			delta_vacuum_plan_free(a, vp);
		memset(&err, 0, sizeof(err));
		st = delta_restore_plan(a, table_dir, 0, &rp, &err);
		check_failure(st, &err);
		if (st == LAKE_OK)
			delta_restore_plan_free(a, rp);
	}
	/* an interval as the table properties spell them */
	{
		char		text[256];
		int64_t		ms;
		size_t		n = size < sizeof(text) - 1 ? size : sizeof(text) - 1;

		memcpy(text, data, n);
		text[n] = '\0';
		memset(&err, 0, sizeof(err));
		check_failure(delta_interval_parse_ms("delta.logRetentionDuration", text, &ms, &err), &err);
	}
	return 0;
}
