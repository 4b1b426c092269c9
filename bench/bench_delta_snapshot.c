/*
 * bench_delta_snapshot.c
 *	  Micro-benchmark of the lake/ Delta log reader alone (no PostgreSQL):
 *	  the time delta_snapshot_load takes to reconstruct a table's state at
 *	  a version (list _delta_log, read the checkpoint if any, replay the
 *	  JSON commits after it, build the active files with their statistics)
 *	  and delta_snapshot_free.
 *
 * Usage: bench_delta_snapshot RUNS TABLE_DIR VERSION [VERSION ...]
 *	  VERSION is a number or "latest".  Each version is loaded once to warm
 *	  up (the log in the page cache), then RUNS times.  Prints one JSON
 *	  object per version on stdout:
 *	  {"table":..,"requested":..,"version":..,"files":..,"records":..,
 *	   "best_ms":..,"median_ms":..,"runs":..}
 *	  or {"table":..,"requested":..,"error":".."} when the load fails (the
 *	  exit status is then 1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "lake/lake_common.h"
#include "lake/delta_snapshot.h"

#define MAX_RUNS 1000

static double
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
compare_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* s as a JSON string body (the messages and paths we print are ASCII text) */
static void
print_json_string(const char *s)
{
	putchar('"');
	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if (c == '"' || c == '\\')
			printf("\\%c", c);
		else if (c < 0x20)
			printf("\\u%04x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* One load and free; fills *snap_version etc. from the snapshot. */
static LakeStatus
load_once(const char *dir, int64_t version, int64_t *snap_version, int *files, int64_t *records,
		  LakeError *err)
{
	DeltaSnapshot *snap = NULL;
	LakeStatus	st;

	st = delta_snapshot_load(&lake_malloc_allocator, dir, version, &snap, err);
	if (st != LAKE_OK)
		return st;
	*snap_version = snap->version;
	*files = snap->num_files;
	*records = snap->num_records;
	delta_snapshot_free(&lake_malloc_allocator, snap);
	return LAKE_OK;
}

int
main(int argc, char **argv)
{
	int			runs;
	const char *dir;
	int			failed = 0;

	if (argc < 4)
	{
		fprintf(stderr, "usage: bench_delta_snapshot RUNS TABLE_DIR VERSION [VERSION ...]\n");
		return 2;
	}
	runs = atoi(argv[1]);
	if (runs < 1 || runs > MAX_RUNS)
	{
		fprintf(stderr, "bench_delta_snapshot: RUNS must be between 1 and %d\n", MAX_RUNS);
		return 2;
	}
	dir = argv[2];

	for (int a = 3; a < argc; a++)
	{
		int64_t		version = -1;
		int64_t		snap_version = -1;
		int			files = 0;
		int64_t		records = -1;
		double		times[MAX_RUNS];
		LakeError	err;
		LakeStatus	st;

		if (strcmp(argv[a], "latest") != 0)
		{
			char	   *end;

			version = strtoll(argv[a], &end, 10);
			if (*end != '\0' || version < 0)
			{
				fprintf(stderr, "bench_delta_snapshot: bad version \"%s\"\n", argv[a]);
				return 2;
			}
		}

		memset(&err, 0, sizeof(err));
		st = load_once(dir, version, &snap_version, &files, &records, &err);	/* warm-up */
		for (int i = 0; st == LAKE_OK && i < runs; i++)
		{
			double		t0 = now_ms();

			st = load_once(dir, version, &snap_version, &files, &records, &err);
			times[i] = now_ms() - t0;
		}

		printf("{\"table\":");
		print_json_string(dir);
		printf(",\"requested\":");
		print_json_string(argv[a]);
		if (st != LAKE_OK)
		{
			printf(",\"error\":");
			print_json_string(err.message);
			printf("}\n");
			failed = 1;
			continue;
		}
		qsort(times, runs, sizeof(double), compare_double);
		printf(",\"version\":%lld,\"files\":%d,\"records\":%lld,\"best_ms\":%.3f,\"median_ms\":%.3f,\"runs\":%d}\n",
			   (long long) snap_version, files, (long long) records, times[0],
			   runs % 2 ? times[runs / 2] : (times[runs / 2 - 1] + times[runs / 2]) / 2, runs);
		fflush(stdout);
	}
	return failed;
}
