/*
 * lake_pg.c
 *	  The bridge between lake/ and the backend: a palloc-backed LakeAllocator,
 *	  LakeError -> ereport, and numeric <-> scaled integer conversions.
 */
#include "postgres.h"

#include <ctype.h>

#include "fmgr.h"
#include "utils/builtins.h"
#include "utils/memutils.h"
#include "utils/numeric.h"

#include "lake_pg.h"

/* ------------------------------------------------------------- allocator */

static void *
lake_pg_alloc(void *ctx, size_t size)
{
	/* MemoryContextAllocExtended would elog(ERROR) on a size it rejects */
	if (size > MaxAllocHugeSize)
		return NULL;
	return MemoryContextAllocExtended((MemoryContext) ctx, size == 0 ? 1 : size,
									  MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
}

static void
lake_pg_free(void *ctx, void *ptr)
{
	if (ptr != NULL)
		pfree(ptr);
}

void
lake_pg_allocator_init(LakeAllocator *a, MemoryContext cxt)
{
	a->alloc = lake_pg_alloc;
	a->free = lake_pg_free;
	a->ctx = cxt;
}

/* ----------------------------------------------------------------- errors */

void
lake_pg_error_init(LakeError *err)
{
	err->status = LAKE_OK;
	err->sys_errno = 0;
	err->message[0] = '\0';
}

int
lake_pg_errcode(const LakeError *err)
{
	switch (err->status)
	{
		case LAKE_ERROR_CORRUPT:
			return ERRCODE_DATA_CORRUPTED;
		case LAKE_ERROR_UNSUPPORTED:
			return ERRCODE_FEATURE_NOT_SUPPORTED;
		case LAKE_ERROR_NOMEM:
			return ERRCODE_OUT_OF_MEMORY;
		case LAKE_ERROR_LIMIT:
			return ERRCODE_PROGRAM_LIMIT_EXCEEDED;
		case LAKE_ERROR_INVALID:
			return ERRCODE_INVALID_PARAMETER_VALUE;
		case LAKE_ERROR_CONFLICT:
			return ERRCODE_T_R_SERIALIZATION_FAILURE;
		case LAKE_ERROR_IO:
			switch (err->sys_errno)
			{
				case ENOENT:
					return ERRCODE_UNDEFINED_FILE;
				case EACCES:
				case EPERM:
				case EROFS:
					return ERRCODE_INSUFFICIENT_PRIVILEGE;
				case EEXIST:
					return ERRCODE_DUPLICATE_FILE;
				case ENOTDIR:
				case EISDIR:
					return ERRCODE_WRONG_OBJECT_TYPE;
				case ENOSPC:
					return ERRCODE_DISK_FULL;
				case ENFILE:
				case EMFILE:
					return ERRCODE_INSUFFICIENT_RESOURCES;
				default:
					return ERRCODE_IO_ERROR;
			}
		case LAKE_OK:
			break;
	}
	return ERRCODE_INTERNAL_ERROR;
}

/* "bad page header at offset 4" -> "Bad page header at offset 4." */
static char *
lake_pg_sentence(const char *msg)
{
	size_t		len = strlen(msg);
	char	   *s = palloc(len + 2);

	memcpy(s, msg, len);
	if (len > 0)
		s[0] = pg_toupper((unsigned char) s[0]);
	s[len] = (len > 0 && s[len - 1] == '.') ? '\0' : '.';
	s[len + 1] = '\0';
	return s;
}

/* the lake message without a leading "file \"<path>\": ", which errmsg already says */
static const char *
lake_pg_strip_file(const char *msg, const char *path)
{
	char	   *prefix = psprintf("file \"%s\": ", path);
	size_t		len = strlen(prefix);

	if (pg_strncasecmp(msg, prefix, len) == 0 && msg[len] != '\0')
		msg += len;
	pfree(prefix);
	return msg;
}

void
lake_pg_report(const LakeError *err, const char *path)
{
	const char *msg = err->message[0] != '\0' ? err->message : lake_status_name(err->status);
	bool		named = (path == NULL || strstr(msg, path) != NULL);
	int			code = lake_pg_errcode(err);

	if (err->status == LAKE_ERROR_CORRUPT && path != NULL)
		ereport(ERROR,
				(errcode(code),
				 errmsg("invalid Parquet file \"%s\"", path),
				 errdetail("%s", lake_pg_sentence(lake_pg_strip_file(msg, path)))));
	else if (err->status == LAKE_ERROR_UNSUPPORTED && path != NULL)
		ereport(ERROR,
				(errcode(code),
				 errmsg("Parquet file \"%s\" uses a feature that is not supported", path),
				 errdetail("%s", lake_pg_sentence(lake_pg_strip_file(msg, path)))));
	else if (named)
		ereport(ERROR, (errcode(code), errmsg("%s", msg)));
	else
		ereport(ERROR, (errcode(code), errmsg("file \"%s\": %s", path, msg)));
	pg_unreachable();
}

/* ---------------------------------------------------------------- numeric */

/* 10^38 - 1 is the largest 38-digit value; 10^38 < 2^127 */
#define LAKE_MAX_DECIMAL_DIGITS 38

LakeNumericStatus
lake_pg_numeric_to_unscaled(Numeric num, int scale, int max_digits, bool round, int128 *out)
{
	char	   *text;
	const char *p;
	const char *int_start;
	const char *frac_start = NULL;
	int			int_len;
	int			frac_len = 0;
	bool		negative = false;
	bool		round_up = false;
	int128		value = 0;
	int128		limit = 1;
	int			digits = 0;
	int			i;

	Assert(scale >= 0 && max_digits <= LAKE_MAX_DECIMAL_DIGITS);
	if (numeric_is_nan(num) || numeric_is_inf(num))
		return LAKE_NUMERIC_NOT_FINITE;

	/* numeric_out never uses exponent notation: [-]digits[.digits] */
	text = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(num)));
	p = text;
	if (*p == '-')
	{
		negative = true;
		p++;
	}
	int_start = p;
	while (isdigit((unsigned char) *p))
		p++;
	int_len = p - int_start;
	if (*p == '.')
	{
		frac_start = ++p;
		while (isdigit((unsigned char) *p))
			p++;
		frac_len = p - frac_start;
	}

	/* digits past the scale: zero, rounded, or inexact */
	for (i = scale; i < frac_len; i++)
	{
		if (frac_start[i] != '0')
		{
			if (!round)
			{
				pfree(text);
				return LAKE_NUMERIC_INEXACT;
			}
			round_up = (frac_start[scale] >= '5');
			break;
		}
	}

	for (i = 0; i < max_digits; i++)
		limit *= 10;
	for (i = 0; i < int_len + scale; i++)
	{
		char		c;

		if (i < int_len)
			c = int_start[i];
		else if (i - int_len < frac_len)
			c = frac_start[i - int_len];
		else
			c = '0';
		if (value == 0 && c == '0')
			continue;			/* leading zeros */
		if (++digits > max_digits)
		{
			pfree(text);
			return LAKE_NUMERIC_OVERFLOW;
		}
		value = value * 10 + (c - '0');
	}
	pfree(text);
	if (round_up && ++value >= limit)
		return LAKE_NUMERIC_OVERFLOW;	/* 99.99 rounded to 100.0 */
	*out = negative ? -value : value;
	return LAKE_NUMERIC_OK;
}

Numeric
lake_pg_numeric_from_unscaled(int128 unscaled, int scale)
{
	char		buf[64];
	char		digits[48];
	int			nd = 0;
	int			pos = 0;
	uint128		mag;
	int			i;

	Assert(scale >= 0 && scale <= LAKE_MAX_DECIMAL_DIGITS);
	if (unscaled >= PG_INT64_MIN && unscaled <= PG_INT64_MAX)
		return int64_div_fast_to_numeric((int64) unscaled, scale);

	mag = unscaled < 0 ? (uint128) 0 - (uint128) unscaled : (uint128) unscaled;
	while (mag > 0)
	{
		digits[nd++] = '0' + (int) (mag % 10);
		mag /= 10;
	}
	while (nd <= scale)
		digits[nd++] = '0';
	if (unscaled < 0)
		buf[pos++] = '-';
	for (i = nd - 1; i >= 0; i--)
	{
		buf[pos++] = digits[i];
		if (i == scale && scale > 0)
			buf[pos++] = '.';
	}
	buf[pos] = '\0';
	return DatumGetNumeric(DirectFunctionCall3(numeric_in, CStringGetDatum(buf),
											   ObjectIdGetDatum(InvalidOid),
											   Int32GetDatum(-1)));
}
