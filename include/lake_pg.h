/*
 * lake_pg.h
 *	  The bridge between the storage core (lake/, no PostgreSQL headers) and
 *	  the backend: a LakeAllocator backed by a memory context, the mapping of
 *	  a LakeError to one ereport, and the numeric <-> scaled-integer helpers
 *	  that the Parquet reader and writer glue share.
 *
 * Include after postgres.h.
 */
#ifndef LAKE_PG_H
#define LAKE_PG_H

#include "lake/lake_common.h"
#include "utils/numeric.h"

#ifndef HAVE_INT128
#error "iot_lakehouse needs a 128-bit integer type"
#endif

/*
 * Fill *a so that lake code allocates in cxt.  Allocations are "huge" and
 * never throw: a refused request comes back to lake code as NULL, which it
 * reports as LAKE_ERROR_NOMEM.  free is pfree.  a is borrowed by whatever
 * it is passed to, so it must live as long as cxt.
 */
extern void lake_pg_allocator_init(LakeAllocator *a, MemoryContext cxt);

/* Clear *err before a lake call. */
extern void lake_pg_error_init(LakeError *err);

/*
 * Raise err as one ERROR whose errcode follows its status (CORRUPT ->
 * data_corrupted, IO -> the errno's file-access code, UNSUPPORTED ->
 * feature_not_supported, NOMEM -> out_of_memory, LIMIT ->
 * program_limit_exceeded, INVALID -> invalid_parameter_value).  path names
 * the file in the message when the lake message does not already.
 */
extern void lake_pg_report(const LakeError *err, const char *path) pg_attribute_noreturn();

/* The errcode lake_pg_report would use. */
extern int	lake_pg_errcode(const LakeError *err);

/* Report unless st is LAKE_OK. */
static inline void
lake_pg_check(LakeStatus st, const LakeError *err, const char *path)
{
	if (unlikely(st != LAKE_OK))
		lake_pg_report(err, path);
}

/* Result of lake_pg_numeric_to_unscaled */
typedef enum LakeNumericStatus
{
	LAKE_NUMERIC_OK,
	LAKE_NUMERIC_INEXACT,		/* has more fractional digits than scale */
	LAKE_NUMERIC_OVERFLOW,		/* more than max_digits significant digits */
	LAKE_NUMERIC_NOT_FINITE		/* NaN or infinity */
} LakeNumericStatus;

/*
 * num * 10^scale as an integer of at most max_digits (<= 38) digits.  With
 * round, extra fractional digits are rounded half away from zero; without,
 * they make the result LAKE_NUMERIC_INEXACT unless they are all zero.
 */
extern LakeNumericStatus lake_pg_numeric_to_unscaled(Numeric num, int scale, int max_digits,
													 bool round, int128 *out);

/* unscaled / 10^scale as a numeric (0 <= scale <= 38) */
extern Numeric lake_pg_numeric_from_unscaled(int128 unscaled, int scale);

#endif							/* LAKE_PG_H */
