/*
 * fdw_delta.c
 *	  The PostgreSQL side of Delta tables: which version a scan reads (time
 *	  travel: lakehouse.as_of(), the table's version/timestamp options,
 *	  lakehouse.as_of_timestamp), the statement's snapshot cache (one
 *	  snapshot per table and version per statement), Delta types as
 *	  PostgreSQL types, partition values as Datums, and skipping files by
 *	  the statistics in the log.
 *
 * The log itself is read by lake/ (delta_snapshot.h).  A snapshot lives in
 * a memory context of its own under TopMemoryContext, with a reference
 * count: the cache holds it for the statement that loaded it, and each scan
 * that uses it holds a reference (a reset callback on the scan's memory
 * releases it), so a cursor fetched in later statements keeps its version.
 */
#include "postgres.h"

#include <ctype.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "storage/proc.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"

#include "iot_lakehouse.h"
#include "lake_fdw.h"
#include "lake_pg.h"

/* microseconds between 1970-01-01 and 2000-01-01 */
#define LAKE_DELTA_UNIX_TO_PG_USECS \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

/* A snapshot loaded during some statement. */
typedef struct LakeDeltaCacheEntry
{
	MemoryContext cxt;			/* owns the entry and the snapshot */
	LakeAllocator alloc;		/* lake allocations in cxt */
	char	   *dir;			/* the table directory (resolved) */
	LakeDeltaSpec spec;			/* how the version was asked for */
	DeltaSnapshot *snap;
	int			refcount;		/* scans holding it */
	bool		cached;			/* still in the current statement's cache */
	struct LakeDeltaCacheEntry *next;
} LakeDeltaCacheEntry;

/* A reference held for an owner memory context (allocated in it). */
typedef struct LakeDeltaRef
{
	MemoryContextCallback cb;
	LakeDeltaCacheEntry *entry;
} LakeDeltaRef;

/* The statement's cache: entries, and the statement they belong to. */
static LakeDeltaCacheEntry *lake_delta_cache = NULL;
static TimestampTz lake_delta_cache_stmt = 0;
static LocalTransactionId lake_delta_cache_lxid = InvalidLocalTransactionId;

/* lakehouse.as_of() overrides, innermost last */
#define LAKE_DELTA_MAX_OVERRIDES 32
typedef struct LakeDeltaOverride
{
	Oid			relid;
	LakeDeltaSpec spec;
} LakeDeltaOverride;

static LakeDeltaOverride lake_delta_overrides[LAKE_DELTA_MAX_OVERRIDES];
static int	lake_delta_num_overrides = 0;

/* helpers */
static void lake_delta_cache_new_statement(void);
static void lake_delta_entry_free(LakeDeltaCacheEntry *entry);
static void lake_delta_release(void *arg);
static bool lake_delta_spec_equal(const LakeDeltaSpec *a, const LakeDeltaSpec *b);
static void lake_delta_keep_only(DeltaSnapshot *snap, const char *const *paths, int num_paths);
static TimestampTz lake_delta_parse_timestamptz(const char *text);
static bool lake_delta_stat_bound(const LakePushdownQual *qual, const DeltaColumn *col, Oid coltype,
								  const char *text, bool is_max, Datum *out);
static int	lake_delta_stat_cmp(const LakePushdownQual *qual, Datum value, Datum bound);

/* ------------------------------------------------------- time travel */

void
lake_delta_push_override(Oid relid, const LakeDeltaSpec *spec)
{
	if (lake_delta_num_overrides >= LAKE_DELTA_MAX_OVERRIDES)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("lakehouse.as_of() is nested too deeply")));
	lake_delta_overrides[lake_delta_num_overrides].relid = relid;
	lake_delta_overrides[lake_delta_num_overrides].spec = *spec;
	lake_delta_num_overrides++;
}

void
lake_delta_pop_override(void)
{
	if (lake_delta_num_overrides > 0)
		lake_delta_num_overrides--;
}

static TimestampTz
lake_delta_parse_timestamptz(const char *text)
{
	return DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(text),
												   ObjectIdGetDatum(InvalidOid),
												   Int32GetDatum(-1)));
}

void
lake_delta_spec_for_table(Oid relid, const LakeFdwOptions *opts, LakeDeltaSpec *spec)
{
	int			i;

	memset(spec, 0, sizeof(*spec));
	for (i = lake_delta_num_overrides - 1; i >= 0; i--)
	{
		if (lake_delta_overrides[i].relid == relid)
		{
			*spec = lake_delta_overrides[i].spec;
			return;
		}
	}
	if (opts->version != NULL)
	{
		spec->kind = LAKE_DELTA_VERSION;
		spec->version = strtoll(opts->version, NULL, 10);
	}
	else if (opts->timestamp != NULL)
	{
		spec->kind = LAKE_DELTA_TIMESTAMP;
		spec->timestamp = lake_delta_parse_timestamptz(opts->timestamp);
	}
	else if (lakehouse_as_of_timestamp != NULL && lakehouse_as_of_timestamp[0] != '\0')
	{
		spec->kind = LAKE_DELTA_TIMESTAMP;
		spec->timestamp = lake_delta_parse_timestamptz(lakehouse_as_of_timestamp);
	}
	else
		spec->kind = LAKE_DELTA_LATEST;
}

/* ------------------------------------------------------------ the cache */

static bool
lake_delta_spec_equal(const LakeDeltaSpec *a, const LakeDeltaSpec *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind)
	{
		case LAKE_DELTA_LATEST:
			return true;
		case LAKE_DELTA_VERSION:
			return a->version == b->version && a->only_paths == b->only_paths &&
				a->num_only_paths == b->num_only_paths;
		case LAKE_DELTA_TIMESTAMP:
			return a->timestamp == b->timestamp;
		case LAKE_DELTA_CHANGES:
			return a->version == b->version && a->from_version == b->from_version;
	}
	return false;
}

static void
lake_delta_entry_free(LakeDeltaCacheEntry *entry)
{
	MemoryContextDelete(entry->cxt);
}

/* A new statement: forget the last one's snapshots (those in use stay alive). */
static void
lake_delta_cache_new_statement(void)
{
	TimestampTz stmt = GetCurrentStatementStartTimestamp();
	LocalTransactionId lxid = MyProc != NULL ? MyProc->lxid : InvalidLocalTransactionId;
	LakeDeltaCacheEntry *entry;

	if (stmt == lake_delta_cache_stmt && lxid == lake_delta_cache_lxid)
		return;
	entry = lake_delta_cache;
	while (entry != NULL)
	{
		LakeDeltaCacheEntry *next = entry->next;

		entry->cached = false;
		entry->next = NULL;
		if (entry->refcount == 0)
			lake_delta_entry_free(entry);
		entry = next;
	}
	lake_delta_cache = NULL;
	lake_delta_cache_stmt = stmt;
	lake_delta_cache_lxid = lxid;
}

/* The owner's memory is going away: drop its reference. */
static void
lake_delta_release(void *arg)
{
	LakeDeltaRef *ref = (LakeDeltaRef *) arg;
	LakeDeltaCacheEntry *entry = ref->entry;

	ref->entry = NULL;
	if (entry == NULL)
		return;
	entry->refcount--;
	if (entry->refcount == 0 && !entry->cached)
		lake_delta_entry_free(entry);
}

static int
lake_delta_path_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *) a, *(const char *const *) b);
}

/* Keep only the snapshot's files named in paths (sorted); the rest are not read. */
static void
lake_delta_keep_only(DeltaSnapshot *snap, const char *const *paths, int num_paths)
{
	int			kept = 0;
	int64		records = 0;
	int			i;

	for (i = 0; i < snap->num_files; i++)
	{
		const char *p = snap->files[i].path;

		if (bsearch(&p, paths, num_paths, sizeof(char *), lake_delta_path_cmp) == NULL)
			continue;
		snap->files[kept++] = snap->files[i];
		if (records >= 0 && snap->files[i].num_records >= 0)
			records += snap->files[i].num_records;
		else
			records = -1;
	}
	snap->num_files = kept;
	snap->num_records = records;
}

const DeltaSnapshot *
lake_delta_acquire(const char *dir, const LakeDeltaSpec *spec, MemoryContext owner)
{
	LakeDeltaCacheEntry *entry;
	MemoryContext cxt;
	LakeError	err;
	LakeStatus	st;
	int64		version = -1;

	lake_delta_cache_new_statement();
	for (entry = lake_delta_cache; entry != NULL; entry = entry->next)
	{
		if (strcmp(entry->dir, dir) == 0 && lake_delta_spec_equal(&entry->spec, spec))
			break;
	}

	if (entry == NULL)
	{
		cxt = AllocSetContextCreate(TopMemoryContext, "iot_lakehouse Delta snapshot",
									ALLOCSET_DEFAULT_SIZES);
		entry = MemoryContextAllocZero(cxt, sizeof(LakeDeltaCacheEntry));
		entry->cxt = cxt;
		entry->dir = MemoryContextStrdup(cxt, dir);
		entry->spec = *spec;
		lake_pg_allocator_init(&entry->alloc, cxt);
		lake_pg_error_init(&err);

		st = LAKE_OK;
		if (spec->kind == LAKE_DELTA_VERSION)
			version = spec->version;
		else if (spec->kind == LAKE_DELTA_TIMESTAMP)
		{
			/* the latest commit at or before the instant: floor to milliseconds */
			int64		us = spec->timestamp + LAKE_DELTA_UNIX_TO_PG_USECS;
			int64		ms = us >= 0 ? us / 1000 : -((-us + 999) / 1000);

			if (TIMESTAMP_NOT_FINITE(spec->timestamp))
			{
				MemoryContextDelete(cxt);
				ereport(ERROR,
						(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
						 errmsg("cannot read Delta table \"%s\" as of an infinite timestamp", dir)));
			}
			st = delta_version_at_timestamp(&entry->alloc, dir, ms, &version, &err);
		}
		if (st == LAKE_OK && spec->kind == LAKE_DELTA_CHANGES)
			st = delta_changes_load(&entry->alloc, dir, spec->from_version, spec->version,
									&entry->snap, &err);
		else if (st == LAKE_OK)
			st = delta_snapshot_load(&entry->alloc, dir, version, &entry->snap, &err);
		if (st != LAKE_OK)
		{
			MemoryContextDelete(cxt);
			lake_delta_report(&err, dir);
		}
		if (spec->kind == LAKE_DELTA_VERSION && spec->only_paths != NULL)
			lake_delta_keep_only(entry->snap, spec->only_paths, spec->num_only_paths);
		entry->cached = true;
		entry->next = lake_delta_cache;
		lake_delta_cache = entry;
	}

	if (owner != NULL)
	{
		LakeDeltaRef *ref = MemoryContextAllocZero(owner, sizeof(LakeDeltaRef));

		ref->entry = entry;
		ref->cb.func = lake_delta_release;
		ref->cb.arg = ref;
		entry->refcount++;
		MemoryContextRegisterResetCallback(owner, &ref->cb);
	}
	return entry->snap;
}

/*
 * Forget the statement's snapshots of the table in dir (its latest version
 * moved under the statement: a stage committed it), so that the next scan
 * in the same statement reads the new version.
 */
void
lake_delta_forget(const char *dir)
{
	LakeDeltaCacheEntry **link = &lake_delta_cache;

	while (*link != NULL)
	{
		LakeDeltaCacheEntry *entry = *link;

		if (strcmp(entry->dir, dir) != 0)
		{
			link = &entry->next;
			continue;
		}
		*link = entry->next;
		entry->cached = false;
		entry->next = NULL;
		if (entry->refcount == 0)
			lake_delta_entry_free(entry);
	}
}

void
lake_delta_report(const LakeError *err, const char *dir)
{
	const char *msg = err->message[0] != '\0' ? err->message : lake_status_name(err->status);

	ereport(ERROR,
			(errcode(lake_pg_errcode(err)),
			 errmsg("Delta table \"%s\": %s", dir, msg)));
	pg_unreachable();
}

/* ---------------------------------------------------------------- types */

Oid
lake_delta_column_type(const DeltaColumn *col, int32 *typmod)
{
	*typmod = -1;
	switch (col->kind)
	{
		case DELTA_TYPE_STRING:
			return TEXTOID;
		case DELTA_TYPE_LONG:
			return INT8OID;
		case DELTA_TYPE_INTEGER:
			return INT4OID;
		case DELTA_TYPE_SHORT:
		case DELTA_TYPE_BYTE:
			return INT2OID;
		case DELTA_TYPE_FLOAT:
			return FLOAT4OID;
		case DELTA_TYPE_DOUBLE:
			return FLOAT8OID;
		case DELTA_TYPE_DECIMAL:
			if (col->precision >= 1 && col->precision <= NUMERIC_MAX_PRECISION &&
				col->scale >= 0 && col->scale <= col->precision)
				*typmod = ((col->precision << 16) | col->scale) + VARHDRSZ;
			return NUMERICOID;
		case DELTA_TYPE_BOOLEAN:
			return BOOLOID;
		case DELTA_TYPE_BINARY:
			return BYTEAOID;
		case DELTA_TYPE_DATE:
			return DATEOID;
		case DELTA_TYPE_TIMESTAMP:
			return TIMESTAMPTZOID;
		case DELTA_TYPE_TIMESTAMP_NTZ:
			return TIMESTAMPOID;
		case DELTA_TYPE_STRUCT:
		case DELTA_TYPE_ARRAY:
		case DELTA_TYPE_MAP:
			return JSONBOID;
	}
	return JSONBOID;
}

int
lake_delta_find_column(const DeltaSnapshot *snap, const char *name)
{
	int			found = -1;
	int			i;

	for (i = 0; i < snap->metadata.num_columns; i++)
	{
		if (strcmp(snap->metadata.columns[i].name, name) == 0)
			return i;
	}
	for (i = 0; i < snap->metadata.num_columns; i++)
	{
		if (pg_strcasecmp(snap->metadata.columns[i].name, name) == 0)
		{
			if (found >= 0)
				return -1;		/* ambiguous */
			found = i;
		}
	}
	return found;
}

char *
lake_delta_file_path(const char *dir, const DeltaAddFile *file)
{
	if (is_absolute_path(file->local_path))
		return pstrdup(file->local_path);
	return psprintf("%s/%s", dir, file->local_path);
}

/* True if a partition timestamp's text names its zone (Z or an offset after the time). */
static bool
lake_delta_has_zone(const char *s)
{
	size_t		len = strlen(s);
	size_t		i;

	if (len > 0 && (s[len - 1] == 'Z' || s[len - 1] == 'z'))
		return true;
	for (i = 10; i < len; i++)
	{
		if (s[i] == '+' || s[i] == '-')
			return true;
	}
	return false;
}

Datum
lake_delta_partition_datum(const char *value, const DeltaColumn *col, Oid typid, int32 typmod,
						   bool *isnull)
{
	Oid			typinput;
	Oid			typioparam;

	*isnull = false;
	if (value == NULL || (value[0] == '\0' && col->kind != DELTA_TYPE_STRING))
	{
		*isnull = true;
		return (Datum) 0;
	}

	if (col->kind == DELTA_TYPE_STRING && (typid == TEXTOID || typid == VARCHAROID))
	{
		size_t		len = strlen(value);

		(void) pg_verify_mbstr(GetDatabaseEncoding(), value, len, false);
		if (typid == VARCHAROID && typmod >= 0)
			return DirectFunctionCall3(varcharin, CStringGetDatum(value),
									   ObjectIdGetDatum(InvalidOid), Int32GetDatum(typmod));
		return PointerGetDatum(cstring_to_text_with_len(value, len));
	}
	if (col->kind == DELTA_TYPE_BINARY && typid == BYTEAOID)
	{
		size_t		len = strlen(value);
		bytea	   *b = palloc(VARHDRSZ + len);

		SET_VARSIZE(b, VARHDRSZ + len);
		memcpy(VARDATA(b), value, len);
		return PointerGetDatum(b);
	}
	if (col->kind == DELTA_TYPE_TIMESTAMP && typid == TIMESTAMPTZOID && !lake_delta_has_zone(value))
	{
		/* the protocol writes timestamp partitions in UTC */
		char	   *utc = psprintf("%s+00", value);

		return DirectFunctionCall3(timestamptz_in, CStringGetDatum(utc),
								   ObjectIdGetDatum(InvalidOid), Int32GetDatum(typmod));
	}
	getTypeInputInfo(typid, &typinput, &typioparam);
	return OidInputFunctionCall(typinput, (char *) value, typioparam, typmod);
}

/* ----------------------------------------------------------- statistics */

/* "[-]digits", at most 19 of them, into *out */
static bool
lake_delta_parse_int(const char *s, int64 *out)
{
	const char *p = s;
	int			digits = 0;
	char	   *end;
	long long	v;

	if (*p == '-')
		p++;
	while (isdigit((unsigned char) *p))
	{
		p++;
		digits++;
	}
	if (digits == 0 || digits > 19 || *p != '\0')
		return false;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = (int64) v;
	return true;
}

/* "[-]digits[.digits][(e|E)[+-]digits]", as JSON writes numbers */
static bool
lake_delta_is_number(const char *s)
{
	const char *p = s;
	int			digits = 0;

	if (strlen(s) > 100)
		return false;
	if (*p == '-')
		p++;
	while (isdigit((unsigned char) *p))
		p++, digits++;
	if (*p == '.')
	{
		p++;
		while (isdigit((unsigned char) *p))
			p++, digits++;
	}
	if (digits == 0)
		return false;
	if (*p == 'e' || *p == 'E')
	{
		int			exp_digits = 0;

		p++;
		if (*p == '+' || *p == '-')
			p++;
		while (isdigit((unsigned char) *p))
			p++, exp_digits++;
		if (exp_digits == 0 || exp_digits > 3)
			return false;
	}
	return *p == '\0';
}

static bool
lake_delta_digits(const char *s, int n)
{
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!isdigit((unsigned char) s[i]))
			return false;
	}
	return true;
}

/* "YYYY-MM-DD" at the start of s */
static bool
lake_delta_date_prefix(const char *s)
{
	return lake_delta_digits(s, 4) && s[4] == '-' &&
		lake_delta_digits(s + 5, 2) && s[7] == '-' && lake_delta_digits(s + 8, 2);
}

/* exactly "YYYY-MM-DD" */
static bool
lake_delta_is_date(const char *s)
{
	return strlen(s) == 10 && lake_delta_date_prefix(s);
}

/*
 * "YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}]" then nothing (zone == 0), or "Z" or
 * "+HH:MM"/"-HH:MM" (zone == 1).  *zone says which.
 */
static bool
lake_delta_is_timestamp(const char *s, bool *zone)
{
	const char *p;

	if (strlen(s) < 19 || !lake_delta_date_prefix(s) ||
		(s[10] != 'T' && s[10] != ' ') ||
		!lake_delta_digits(s + 11, 2) || s[13] != ':' || !lake_delta_digits(s + 14, 2) ||
		s[16] != ':' || !lake_delta_digits(s + 17, 2))
		return false;
	p = s + 19;
	if (*p == '.')
	{
		int			n = 0;

		p++;
		while (isdigit((unsigned char) *p))
			p++, n++;
		if (n == 0 || n > 9)
			return false;
	}
	if (*p == '\0')
	{
		*zone = false;
		return true;
	}
	*zone = true;
	if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
		return true;
	if ((*p == '+' || *p == '-') && lake_delta_digits(p + 1, 2))
	{
		p += 3;
		if (*p == ':')
			p++;
		if (*p == '\0')
			return true;
		return lake_delta_digits(p, 2) && p[2] == '\0';
	}
	return false;
}

/*
 * A statistics bound for a qual of class qual->vclass on a column of Delta
 * type col->kind, as a Datum comparable by lake_delta_stat_cmp.  False
 * when the text or the pairing of types is not one we can trust.
 */
static bool
lake_delta_stat_bound(const LakePushdownQual *qual, const DeltaColumn *col, Oid coltype,
					  const char *text, bool is_max, Datum *out)
{
	switch (qual->vclass)
	{
		case LAKE_VAL_INT:
			{
				int64		v;

				if (col->kind != DELTA_TYPE_LONG && col->kind != DELTA_TYPE_INTEGER &&
					col->kind != DELTA_TYPE_SHORT && col->kind != DELTA_TYPE_BYTE)
					return false;
				if (!lake_delta_parse_int(text, &v))
					return false;
				*out = Int64GetDatum(v);
				return true;
			}
		case LAKE_VAL_NUMERIC:
			if (col->kind != DELTA_TYPE_DECIMAL && col->kind != DELTA_TYPE_LONG &&
				col->kind != DELTA_TYPE_INTEGER && col->kind != DELTA_TYPE_SHORT &&
				col->kind != DELTA_TYPE_BYTE)
				return false;
			if (!lake_delta_is_number(text))
				return false;
			*out = DirectFunctionCall3(numeric_in, CStringGetDatum(text),
									   ObjectIdGetDatum(InvalidOid), Int32GetDatum(-1));
			return true;
		case LAKE_VAL_DATE:
			if (col->kind != DELTA_TYPE_DATE || !lake_delta_is_date(text))
				return false;
			*out = DirectFunctionCall1(date_in, CStringGetDatum(text));
			return true;
		case LAKE_VAL_TIMESTAMP:
			{
				bool		zone;
				int64		ts;

				if (!lake_delta_is_timestamp(text, &zone))
					return false;
				if (coltype == TIMESTAMPTZOID && col->kind == DELTA_TYPE_TIMESTAMP && zone)
					ts = DatumGetTimestampTz(DirectFunctionCall3(timestamptz_in, CStringGetDatum(text),
																 ObjectIdGetDatum(InvalidOid),
																 Int32GetDatum(-1)));
				else if (coltype == TIMESTAMPOID && col->kind == DELTA_TYPE_TIMESTAMP_NTZ && !zone)
					ts = DatumGetTimestamp(DirectFunctionCall3(timestamp_in, CStringGetDatum(text),
															   ObjectIdGetDatum(InvalidOid),
															   Int32GetDatum(-1)));
				else
					return false;
				if (TIMESTAMP_NOT_FINITE(ts))
					return false;

				/*
				 * Writers truncate statistics to milliseconds (toward zero
				 * for instants before 1970): widen both ends by 1 ms.
				 */
				ts += is_max ? 1000 : -1000;
				*out = Int64GetDatum(ts);
				return true;
			}
		case LAKE_VAL_TEXT:

			/*
			 * Writers may truncate string statistics to a prefix: a prefix of
			 * the minimum is still a lower bound (byte order), but a prefix
			 * of the maximum is no upper bound.
			 */
			if (col->kind != DELTA_TYPE_STRING || is_max || GetDatabaseEncoding() != PG_UTF8)
				return false;
			*out = CStringGetDatum(text);
			return true;
		default:
			return false;
	}
}

/* value (the qual's class and type) compared with a bound from lake_delta_stat_bound */
static int
lake_delta_stat_cmp(const LakePushdownQual *qual, Datum value, Datum bound)
{
	switch (qual->vclass)
	{
		case LAKE_VAL_INT:
			{
				int64		v;
				int64		b = DatumGetInt64(bound);

				if (qual->valtype == INT2OID)
					v = DatumGetInt16(value);
				else if (qual->valtype == INT4OID)
					v = DatumGetInt32(value);
				else
					v = DatumGetInt64(value);
				return v < b ? -1 : (v > b ? 1 : 0);
			}
		case LAKE_VAL_NUMERIC:
			return DatumGetInt32(DirectFunctionCall2(numeric_cmp, value, bound));
		case LAKE_VAL_DATE:
			{
				DateADT		v = DatumGetDateADT(value);
				DateADT		b = DatumGetDateADT(bound);

				return v < b ? -1 : (v > b ? 1 : 0);
			}
		case LAKE_VAL_TIMESTAMP:
			{
				int64		v = DatumGetTimestamp(value);
				int64		b = DatumGetInt64(bound);

				return v < b ? -1 : (v > b ? 1 : 0);
			}
		case LAKE_VAL_TEXT:
			{
				text	   *t = DatumGetTextPP(value);
				const char *b = DatumGetCString(bound);
				size_t		vlen = VARSIZE_ANY_EXHDR(t);
				size_t		blen = strlen(b);
				int			c = memcmp(VARDATA_ANY(t), b, Min(vlen, blen));

				if (c != 0)
					return c < 0 ? -1 : 1;
				return vlen < blen ? -1 : (vlen > blen ? 1 : 0);
			}
		default:
			elog(ERROR, "unexpected value class %d", (int) qual->vclass);
	}
	return 0;
}

bool
lake_delta_stats_may_match(const DeltaAddFile *file, const DeltaColumn *col, int ci,
						   const LakePushdownQual *qual, Oid coltype)
{
	const DeltaColumnStats *st;
	Datum		min = (Datum) 0;
	Datum		max = (Datum) 0;
	bool		has_min;
	bool		has_max;
	int			i;

	if (file->stats == NULL || !qual->usable)
		return true;
	st = &file->stats[ci];

	if (qual->op == LAKE_OP_IS_NULL)
		return !(st->has_null_count && st->null_count == 0);

	/* a column that is null in every row matches no comparison */
	if (st->has_null_count && file->num_records >= 0 && st->null_count >= file->num_records)
		return false;
	if (qual->op == LAKE_OP_IS_NOT_NULL)
		return true;

	has_min = st->has_min && st->min != NULL &&
		lake_delta_stat_bound(qual, col, coltype, st->min, false, &min);
	has_max = st->has_max && st->max != NULL &&
		lake_delta_stat_bound(qual, col, coltype, st->max, true, &max);
	if (!has_min && !has_max)
		return true;

	switch (qual->op)
	{
		case LAKE_OP_EQ:
		case LAKE_OP_IN:
			for (i = 0; i < qual->num_values; i++)
			{
				Datum		v = qual->values[i];

				if ((!has_min || lake_delta_stat_cmp(qual, v, min) >= 0) &&
					(!has_max || lake_delta_stat_cmp(qual, v, max) <= 0))
					return true;
			}
			return false;
		case LAKE_OP_LT:
			/* col < v: no row when min >= v */
			return !(has_min && lake_delta_stat_cmp(qual, qual->values[0], min) <= 0);
		case LAKE_OP_LE:
			return !(has_min && lake_delta_stat_cmp(qual, qual->values[0], min) < 0);
		case LAKE_OP_GT:
			/* col > v: no row when max <= v */
			return !(has_max && lake_delta_stat_cmp(qual, qual->values[0], max) >= 0);
		case LAKE_OP_GE:
			return !(has_max && lake_delta_stat_cmp(qual, qual->values[0], max) > 0);
		default:
			return true;
	}
}
