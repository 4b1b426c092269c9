/*
 * delta_history.c
 *	  Commit timestamps and history of a Delta table: each commit's
 *	  timestamp (commitInfo.inCommitTimestamp, else commitInfo.timestamp,
 *	  else the commit file's modification time) made monotonic as Spark does
 *	  (a timestamp not after its predecessor's counts as the predecessor's
 *	  + 1 ms); timestamp -> version resolution (the latest readable version
 *	  committed at or before the instant); and DESCRIBE HISTORY entries.
 */
#include "delta_internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

LakeStatus
delta_log_for_each_commit(const LakeAllocator *a, const DeltaLogListing *l, DeltaCommitFn fn, void *ctx,
						  LakeError *err)
{
	int64_t		prev = INT64_MIN;
	bool		stop = false;

	for (int i = 0; i < l->num_commits && !stop; i++)
	{
		DeltaCommitInfo info;
		int64_t		mtime = 0;
		int64_t		ts;
		LakeStatus	st;

		if ((st = delta_log_read_commit_info(a, l, l->commits[i], &info, &mtime, err)) != LAKE_OK)
			return st;
		ts = info.has_timestamp ? info.timestamp_ms : mtime;
		if (prev != INT64_MIN && ts <= prev)
			ts = prev + 1;
		prev = ts;
		st = fn(ctx, l->commits[i], ts, info.commit_info, &stop, err);
		if (info.commit_info)
			json_decref(info.commit_info);
		if (st != LAKE_OK)
			return st;
	}
	return LAKE_OK;
}

static void
format_ms(int64_t ms, char *buf, size_t size)
{
	time_t		secs = (time_t) (ms >= 0 ? ms / 1000 : -((-ms + 999) / 1000));
	int			frac = (int) (ms - (int64_t) secs * 1000);
	struct tm	tm;

	if (gmtime_r(&secs, &tm) == NULL)
	{
		snprintf(buf, size, "%lld ms since 1970-01-01", (long long) ms);
		return;
	}
	snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02d.%03d UTC", tm.tm_year + 1900, tm.tm_mon + 1,
			 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, frac);
}

/* ---- timestamps ---- */

typedef struct TsCollect
{
	const LakeAllocator *a;
	int64_t    *versions;
	int64_t    *ts;
	int			n;
} TsCollect;

static LakeStatus
collect_ts(void *ctx, int64_t version, int64_t ts, const json_t *ci, bool *stop, LakeError *err)
{
	TsCollect  *c = ctx;

	c->versions[c->n] = version;
	c->ts[c->n] = ts;
	c->n++;
	return LAKE_OK;
}

LakeStatus
delta_commit_timestamps(const LakeAllocator *a, const char *table_dir, int64_t **versions,
						int64_t **timestamps_ms, int *num, LakeError *err)
{
	DeltaLogListing l;
	TsCollect	c = {a, NULL, NULL, 0};
	LakeStatus	st;

	*versions = NULL;
	*timestamps_ms = NULL;
	*num = 0;
	if ((st = delta_log_list(a, table_dir, &l, err)) != LAKE_OK)
		return st;
	if (l.num_commits > 0)
	{
		c.versions = lake_alloc_array(a, (size_t) l.num_commits, sizeof(int64_t), err);
		c.ts = c.versions ? lake_alloc_array(a, (size_t) l.num_commits, sizeof(int64_t), err) : NULL;
		if (c.ts == NULL)
		{
			lake_free(a, c.versions);
			delta_log_listing_free(a, &l);
			return LAKE_ERROR_NOMEM;
		}
		st = delta_log_for_each_commit(a, &l, collect_ts, &c, err);
	}
	delta_log_listing_free(a, &l);
	if (st != LAKE_OK)
	{
		lake_free(a, c.versions);
		lake_free(a, c.ts);
		return st;
	}
	*versions = c.versions;
	*timestamps_ms = c.ts;
	*num = c.n;
	return LAKE_OK;
}

LakeStatus
delta_version_at_timestamp(const LakeAllocator *a, const char *table_dir, int64_t timestamp_ms,
						   int64_t *version, LakeError *err)
{
	DeltaLogListing l;
	TsCollect	c = {a, NULL, NULL, 0};
	LakeStatus	st = LAKE_OK;
	int64_t		earliest,
				latest;
	int64_t		found = -1;
	int64_t		first_v = -1,
				first_ts = 0;
	char		when[64],
				first_when[64];

	*version = -1;
	if ((st = delta_log_list(a, table_dir, &l, err)) != LAKE_OK)
		return st;
	earliest = delta_log_earliest_version(&l);
	latest = delta_log_latest_version(&l);
	if (latest < 0 || earliest < 0)
	{
		st = lake_error_set(err, LAKE_ERROR_CORRUPT, "the Delta log \"%s\" holds no readable version",
							l.log_dir);
		goto done;
	}
	if (l.num_commits > 0)
	{
		c.versions = lake_alloc_array(a, (size_t) l.num_commits, sizeof(int64_t), err);
		c.ts = c.versions ? lake_alloc_array(a, (size_t) l.num_commits, sizeof(int64_t), err) : NULL;
		if (c.ts == NULL)
		{
			st = LAKE_ERROR_NOMEM;
			goto done;
		}
		if ((st = delta_log_for_each_commit(a, &l, collect_ts, &c, err)) != LAKE_OK)
			goto done;
	}

	/* the earliest readable version may be a checkpoint whose commit was cleaned up */
	if (!delta_log_has_commit(&l, earliest))
	{
		const DeltaCheckpointRef *cp = NULL;
		char		name[96];

		for (int i = 0; i < l.num_checkpoints; i++)
			if (l.checkpoints[i].version == earliest)
				cp = &l.checkpoints[i];
		if (cp != NULL)
		{
			delta_log_checkpoint_name(earliest, cp->num_parts ? 1 : 0, cp->num_parts, name, sizeof(name));
			if ((st = delta_log_file_mtime(&l, name, &first_ts, err)) != LAKE_OK)
				goto done;
			first_v = earliest;
			if (first_ts <= timestamp_ms)
				found = earliest;
		}
	}
	for (int i = 0; i < c.n; i++)
	{
		if (c.versions[i] < earliest)
			continue;
		if (first_v < 0)
		{
			first_v = c.versions[i];
			first_ts = c.ts[i];
		}
		if (c.ts[i] <= timestamp_ms)
			found = c.versions[i];
		else
			break;				/* monotonic: nothing later can qualify */
	}
	if (found < 0)
	{
		format_ms(timestamp_ms, when, sizeof(when));
		format_ms(first_ts, first_when, sizeof(first_when));
		if (first_v >= 0)
			st = lake_error_set(err, LAKE_ERROR_INVALID,
								"timestamp %s is before the earliest commit that can be read: version %lld, committed at %s",
								when, (long long) first_v, first_when);
		else
			st = lake_error_set(err, LAKE_ERROR_INVALID, "timestamp %s is before every readable version", when);
		goto done;
	}
	*version = found;

done:
	lake_free(a, c.versions);
	lake_free(a, c.ts);
	delta_log_listing_free(a, &l);
	return st;
}

/* ---- history ---- */

typedef struct HistCollect
{
	const LakeAllocator *a;
	DeltaHistoryEntry *entries;
	int			n;
} HistCollect;

static LakeStatus
dup_member_string(const LakeAllocator *a, const json_t *obj, const char *key, char **out, LakeError *err)
{
	json_t	   *v = obj ? json_object_get(obj, key) : NULL;

	*out = NULL;
	if (!json_is_string(v))
		return LAKE_OK;
	*out = lake_strndup(a, json_string_value(v), json_string_length(v), err);
	return *out ? LAKE_OK : LAKE_ERROR_NOMEM;
}

static LakeStatus
dup_member_json(const LakeAllocator *a, const json_t *obj, const char *key, char **out, LakeError *err)
{
	json_t	   *v = obj ? json_object_get(obj, key) : NULL;

	*out = NULL;
	if (v == NULL || json_is_null(v))
		return LAKE_OK;
	return delta_json_dumps(a, v, out, err);
}

static LakeStatus
collect_history(void *ctx, int64_t version, int64_t ts, const json_t *ci, bool *stop, LakeError *err)
{
	HistCollect *c = ctx;
	DeltaHistoryEntry *e = &c->entries[c->n++];
	LakeStatus	st;

	memset(e, 0, sizeof(*e));
	e->version = version;
	e->timestamp_ms = ts;
	if (ci == NULL)
		return LAKE_OK;
	if ((st = dup_member_string(c->a, ci, "operation", &e->operation, err)) != LAKE_OK ||
		(st = dup_member_json(c->a, ci, "operationParameters", &e->operation_parameters, err)) != LAKE_OK ||
		(st = dup_member_json(c->a, ci, "operationMetrics", &e->operation_metrics, err)) != LAKE_OK ||
		(st = dup_member_string(c->a, ci, "engineInfo", &e->engine_info, err)) != LAKE_OK)
		return st;
	/* delta-rs names its engine clientVersion */
	if (e->engine_info == NULL &&
		(st = dup_member_string(c->a, ci, "clientVersion", &e->engine_info, err)) != LAKE_OK)
		return st;
	return delta_json_dumps(c->a, ci, &e->commit_info, err);
}

void
delta_history_free(const LakeAllocator *a, DeltaHistoryEntry *entries, int num_entries)
{
	if (entries == NULL)
		return;
	for (int i = 0; i < num_entries; i++)
	{
		lake_free(a, entries[i].operation);
		lake_free(a, entries[i].operation_parameters);
		lake_free(a, entries[i].operation_metrics);
		lake_free(a, entries[i].engine_info);
		lake_free(a, entries[i].commit_info);
	}
	lake_free(a, entries);
}

LakeStatus
delta_history(const LakeAllocator *a, const char *table_dir, DeltaHistoryEntry **entries,
			  int *num_entries, LakeError *err)
{
	DeltaLogListing l;
	HistCollect c = {a, NULL, 0};
	LakeStatus	st = LAKE_OK;

	*entries = NULL;
	*num_entries = 0;
	if ((st = delta_log_list(a, table_dir, &l, err)) != LAKE_OK)
		return st;
	if (l.num_commits > 0)
	{
		c.entries = lake_alloc_array(a, (size_t) l.num_commits, sizeof(DeltaHistoryEntry), err);
		if (c.entries == NULL)
			st = LAKE_ERROR_NOMEM;
		else
			st = delta_log_for_each_commit(a, &l, collect_history, &c, err);
	}
	delta_log_listing_free(a, &l);
	if (st != LAKE_OK)
	{
		delta_history_free(a, c.entries, c.n);
		return st;
	}
	/* newest first */
	for (int i = 0, j = c.n - 1; i < j; i++, j--)
	{
		DeltaHistoryEntry t = c.entries[i];

		c.entries[i] = c.entries[j];
		c.entries[j] = t;
	}
	*entries = c.entries;
	*num_entries = c.n;
	return LAKE_OK;
}
