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
	return 0;
}
