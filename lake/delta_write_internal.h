/*
 * delta_write_internal.h
 *	  What the files of the Delta writer share (delta_file_writer.c,
 *	  delta_commit.c, delta_checkpoint_writer.c) and nobody else sees: a
 *	  small JSON text writer into a LakeBuffer (we never build jansson trees
 *	  when writing), random UUIDs, the wall clock, and the JSON form of a
 *	  Delta type.
 */
#ifndef LAKE_DELTA_WRITE_INTERNAL_H
#define LAKE_DELTA_WRITE_INTERNAL_H

#include "lake/delta_writer.h"

/*
 * JSON text with a sticky status: after the first failure every call is a
 * no-op and st / err keep the first error.  Commas are inserted by
 * dj_key / dj_elem from the last byte written.
 */
typedef struct DeltaJson
{
	LakeBuffer	buf;
	LakeStatus	st;
	LakeError  *err;
} DeltaJson;

extern void dj_init(DeltaJson *j, const LakeAllocator *a, LakeError *err);
extern void dj_free(DeltaJson *j);
extern void dj_raw(DeltaJson *j, const char *s);
extern void dj_rawn(DeltaJson *j, const char *s, size_t len);
/* A JSON string; invalid UTF-8 is LAKE_ERROR_INVALID. */
extern void dj_str(DeltaJson *j, const char *s);
extern void dj_strn(DeltaJson *j, const char *s, size_t len);
extern void dj_int(DeltaJson *j, int64_t v);
/* ,"key": (the comma only when needed) */
extern void dj_key(DeltaJson *j, const char *key);
/* the comma before an array element, when needed */
extern void dj_elem(DeltaJson *j);
/* NUL-terminate and hand the text over (allocator memory); NULL on error */
extern char *dj_finish(DeltaJson *j, size_t *len);

/* True when s[0..len) is valid UTF-8 without NUL bytes */
extern bool delta_utf8_valid(const char *s, size_t len);

/* A random (version 4) UUID as 36 characters plus NUL */
extern LakeStatus delta_uuid4(char out[37], LakeError *err);

/* Milliseconds since the epoch */
extern int64_t delta_now_ms(void);

/* The type of a column as JSON text ("\"long\"", ...) into j */
extern void dj_column_type(DeltaJson *j, const DeltaColumn *col);

/* The interval of delta.checkpointInterval in md (default 10) */
extern int64_t delta_checkpoint_interval(const DeltaMetadata *md);

#endif							/* LAKE_DELTA_WRITE_INTERNAL_H */
