/*
 * delta_internal.h
 *	  What the files of the Delta log reader share and nobody else sees:
 *	  bounded, checked access to jansson trees and a raw JSON scanner
 *	  (delta_json.c), schemaString parsing (delta_schema.c), the listing of
 *	  _delta_log and _last_checkpoint (delta_log.c), checkpoint reading
 *	  (delta_checkpoint.c) and the replay state the checkpoint reader feeds
 *	  (delta_snapshot.c).
 *
 * jansson allocates with malloc: its trees are transient and freed before a
 * function returns.  Everything handed to a caller comes from the
 * LakeAllocator.
 */
#ifndef LAKE_DELTA_INTERNAL_H
#define LAKE_DELTA_INTERNAL_H

#include <jansson.h>

#include "lake/delta_snapshot.h"

/* The largest log file we read into memory (a commit, _last_checkpoint). */
#define DELTA_MAX_LOG_FILE_BYTES ((size_t) 1 << 30)
#define DELTA_MAX_LAST_CHECKPOINT_BYTES ((size_t) 1 << 20)
/* Nesting depth the raw scanner accepts (jansson has its own limit). */
#define DELTA_JSON_MAX_DEPTH 64

/* Where an action came from, for error messages. */
typedef struct DeltaWhere
{
	const char *file;			/* a name in _delta_log */
	int64_t		line;			/* 1-based line of a commit, row of a checkpoint; 0: none */
	bool		is_row;			/* line counts checkpoint rows */
} DeltaWhere;

/* ---- delta_json.c: jansson with checks ---- */

/* Set a LAKE_ERROR_CORRUPT (or other status) prefixed with where. */
extern LakeStatus delta_where_error(LakeError *err, LakeStatus status, const DeltaWhere *w,
									const char *fmt,...) LAKE_PRINTF(4, 5);

/* Parse one JSON value (an object for actions); CORRUPT names where and the column. */
extern LakeStatus delta_json_load(const char *text, size_t len, const DeltaWhere *w,
								  json_t **out, LakeError *err);

/*
 * Member getters.  ctx names the enclosing object in messages ("add").
 * Absent members and JSON null give NULL / present = false, which is an
 * error only when required; a member of the wrong type is always CORRUPT.
 */
extern LakeStatus delta_json_string(const json_t *obj, const char *key, bool required,
									const char *ctx, const DeltaWhere *w,
									const char **value, size_t *len, LakeError *err);
extern LakeStatus delta_json_int64(const json_t *obj, const char *key, bool required,
								   const char *ctx, const DeltaWhere *w,
								   int64_t *value, bool *present, LakeError *err);
extern LakeStatus delta_json_bool(const json_t *obj, const char *key, bool required,
								  const char *ctx, const DeltaWhere *w,
								  bool *value, bool *present, LakeError *err);
extern LakeStatus delta_json_object(const json_t *obj, const char *key, bool required,
									const char *ctx, const DeltaWhere *w,
									json_t **value, LakeError *err);
extern LakeStatus delta_json_array(const json_t *obj, const char *key, bool required,
								   const char *ctx, const DeltaWhere *w,
								   json_t **value, LakeError *err);
/* A JSON string array as allocator-owned C strings (NULL elements refused). */
extern LakeStatus delta_json_string_array(const LakeAllocator *a, const json_t *arr,
										  const char *ctx, const DeltaWhere *w,
										  char ***out, int *n, LakeError *err);
/* Serialize a tree (compact) into allocator memory. */
extern LakeStatus delta_json_dumps(const LakeAllocator *a, const json_t *j, char **out,
								   LakeError *err);

/*
 * The raw scanner: reads JSON text in place, for the per-file statistics,
 * whose numbers must stay as written (decimals, 64-bit integers beyond a
 * double) and which are too many to build trees for.
 */
typedef enum DeltaTokKind
{
	DELTA_TOK_STRING,			/* start/len: the content between the quotes, still escaped */
	DELTA_TOK_NUMBER,			/* start/len: the number as written */
	DELTA_TOK_TRUE,
	DELTA_TOK_FALSE,
	DELTA_TOK_NULL,
	DELTA_TOK_OBJECT,			/* after the '{' */
	DELTA_TOK_ARRAY				/* after the '[' */
} DeltaTokKind;

typedef struct DeltaTok
{
	DeltaTokKind kind;
	const char *start;
	size_t		len;
	bool		escaped;		/* a string holding backslashes */
} DeltaTok;

typedef struct DeltaScan
{
	const char *base;
	const char *p;
	const char *end;
} DeltaScan;

extern void delta_scan_init(DeltaScan *s, const char *text, size_t len);
/* Read the start of a value (the whole value for scalars). false on malformed input. */
extern bool delta_scan_value(DeltaScan *s, DeltaTok *tok);
/* After delta_scan_value gave an object or array: skip to its end. */
extern bool delta_scan_skip(DeltaScan *s, const DeltaTok *tok);
/*
 * Object members: call with *first = true right after the '{'.  Gives the
 * next key (escaped span) with the ':' consumed, or *done at the '}'.
 */
extern bool delta_scan_member(DeltaScan *s, bool *first, DeltaTok *key, bool *done);
/* A number token that is an integer within int64 */
extern bool delta_tok_int64(const DeltaTok *tok, int64_t *out);
/* true when only whitespace is left */
extern bool delta_scan_at_end(DeltaScan *s);
/* Unescape a string token's span into out (at least len bytes); false on bad escapes or \u0000. */
extern bool delta_json_unescape(const char *s, size_t len, char *out, size_t *out_len);
/* The span of the value of top-level member key of the object text; false if absent. */
extern bool delta_scan_find_member(const char *text, size_t len, const char *key,
								   const char **value, size_t *value_len);

/* ---- delta_schema.c ---- */

/* column mapping modes (DeltaMetadata.column_mapping_mode) */
#define DELTA_MAPPING_NONE 0
#define DELTA_MAPPING_NAME 1
#define DELTA_MAPPING_ID 2

extern LakeStatus delta_schema_parse(const LakeAllocator *a, const char *schema_string, size_t len,
									 int mapping_mode, DeltaColumn **columns, int *num_columns,
									 LakeError *err);
extern void delta_columns_free(const LakeAllocator *a, DeltaColumn *columns, int num_columns);
/* "none", "name", "id" (NULL = none); -1 for anything else */
extern int	delta_mapping_mode_parse(const char *mode);

/* ---- delta_log.c ---- */

typedef struct DeltaCheckpointRef
{
	int64_t		version;
	int			num_parts;		/* 0: a classic single file; else parts 1..num_parts */
	uint64_t	total_bytes;	/* sum of the files' sizes */
} DeltaCheckpointRef;

typedef struct DeltaLastCheckpoint
{
	int64_t		version;
	int64_t		size;			/* number of actions */
	bool		has_parts;
	int64_t		parts;
	bool		has_size_in_bytes;
	int64_t		size_in_bytes;
	bool		has_num_add_files;
	int64_t		num_add_files;
} DeltaLastCheckpoint;

typedef struct DeltaLogListing
{
	char	   *log_dir;		/* <table_dir>/_delta_log */
	int64_t    *commits;		/* versions with a NNN.json, ascending */
	int			num_commits;
	DeltaCheckpointRef *checkpoints;	/* complete classic checkpoints, ascending, one per version */
	int			num_checkpoints;
	int64_t    *uuid_checkpoints;	/* versions of V2 UUID-named checkpoints (not read) */
	int			num_uuid_checkpoints;
	bool		has_last_checkpoint;	/* a valid _last_checkpoint naming a checkpoint that exists */
	DeltaLastCheckpoint last_checkpoint;
} DeltaLogListing;

/*
 * List _delta_log and check _last_checkpoint against it: a stale one (an
 * older version) or one naming a checkpoint that is not there is ignored;
 * one whose checkpoint exists in another shape (parts, bytes) is CORRUPT.
 */
extern LakeStatus delta_log_list(const LakeAllocator *a, const char *table_dir,
								 DeltaLogListing *out, LakeError *err);
extern void delta_log_listing_free(const LakeAllocator *a, DeltaLogListing *l);
extern int64_t delta_log_latest_version(const DeltaLogListing *l);
/* 0 when commit 0 exists, else the oldest checkpoint's version, else -1 */
extern int64_t delta_log_earliest_version(const DeltaLogListing *l);
extern bool delta_log_has_commit(const DeltaLogListing *l, int64_t version);

/*
 * Plan the replay of version: the newest checkpoint at or below it (NULL:
 * replay from commit 0) and a check that every commit after it up to the
 * version exists.  version -1 means the latest; *target gets the version.
 */
extern LakeStatus delta_log_plan(const DeltaLogListing *l, int64_t version,
								 const DeltaCheckpointRef **checkpoint, int64_t *target,
								 LakeError *err);

/* File names in _delta_log (buf of at least 64 bytes) */
extern void delta_log_commit_name(int64_t version, char *buf, size_t size);
extern void delta_log_checkpoint_name(int64_t version, int part, int num_parts, char *buf, size_t size);

/* Read a whole file of _delta_log (bounded by max_bytes); mtime in ms. */
extern LakeStatus delta_log_read_file(const LakeAllocator *a, const DeltaLogListing *l,
									  const char *name, size_t max_bytes, char **data, size_t *len,
									  int64_t *mtime_ms, LakeError *err);
extern LakeStatus delta_log_file_mtime(const DeltaLogListing *l, const char *name,
									   int64_t *mtime_ms, LakeError *err);

/*
 * Split a commit file into lines: calls fn for each non-empty line with its
 * 1-based number.  A line that is not complete JSON is the callback's to
 * report.
 */
typedef LakeStatus (*DeltaLineFn) (void *ctx, const char *line, size_t len, int64_t lineno,
								   LakeError *err);
extern LakeStatus delta_log_for_each_line(const char *data, size_t len, DeltaLineFn fn, void *ctx,
										  LakeError *err);

/* The commitInfo of a commit: timestamp (ICT first), and the object itself */
typedef struct DeltaCommitInfo
{
	bool		has_timestamp;
	int64_t		timestamp_ms;
	json_t	   *commit_info;	/* borrowed reference owned by the caller: json_decref it */
} DeltaCommitInfo;

/*
 * Walk the commits ascending with their timestamps (inCommitTimestamp, else
 * commitInfo.timestamp, else the file's mtime), made monotonic: a
 * timestamp not after its predecessor's counts as the predecessor's + 1 ms.
 * commit_info is borrowed for the call (may be NULL); fn may set *stop.
 */
typedef LakeStatus (*DeltaCommitFn) (void *ctx, int64_t version, int64_t timestamp_ms,
									 const json_t *commit_info, bool *stop, LakeError *err);
extern LakeStatus delta_log_for_each_commit(const LakeAllocator *a, const DeltaLogListing *l,
											DeltaCommitFn fn, void *ctx, LakeError *err);

/* Read a commit file's commitInfo (only that line is parsed). */
extern LakeStatus delta_log_read_commit_info(const LakeAllocator *a, const DeltaLogListing *l,
											 int64_t version, DeltaCommitInfo *info,
											 int64_t *mtime_ms, LakeError *err);

/* ---- delta_snapshot.c: the replay the checkpoint reader feeds ---- */

typedef struct DeltaReplay DeltaReplay;

/*
 * One action object ({"add": {...}}, {"metaData": ...}, ...).  Unknown
 * actions are ignored, as the protocol asks.
 */
extern LakeStatus delta_replay_action(DeltaReplay *r, json_t *action, const DeltaWhere *w,
									  LakeError *err);
/*
 * An add whose raw statistics text comes from elsewhere (a checkpoint's
 * stats_parsed): stats/stats_len override the add's "stats" member.
 */
extern LakeStatus delta_replay_add(DeltaReplay *r, const json_t *add, const char *stats,
								   size_t stats_len, const DeltaWhere *w, LakeError *err);

/* A string of JSON text, still escaped when escaped is set. */
typedef struct DeltaSpan
{
	const char *ptr;			/* NULL: JSON null / absent */
	size_t		len;
	bool		escaped;
} DeltaSpan;

/* An add action taken apart without a tree (the checkpoint's fast path). */
typedef struct DeltaAddAction
{
	DeltaSpan	path;
	const char *dv_id;			/* deletion vector unique id, or NULL */
	size_t		dv_len;
	int64_t		size;
	int64_t		modification_time;
	int			num_pv;
	const DeltaSpan *pv_keys;
	const DeltaSpan *pv_values; /* ptr NULL: null */
	DeltaSpan	stats;			/* ptr NULL: none */
	bool		no_data_change; /* dataChange: false (a rewrite, e.g. OPTIMIZE) */
} DeltaAddAction;

extern LakeStatus delta_replay_add_action(DeltaReplay *r, const DeltaAddAction *add,
										  const DeltaWhere *w, LakeError *err);
/* The add object's JSON text (the value of "add"), taken apart without a tree. */
extern LakeStatus delta_replay_add_text(DeltaReplay *r, const char *text, size_t len,
										const DeltaWhere *w, LakeError *err);

/* ---- delta_checkpoint.c ---- */

/*
 * Feed a classic (single or multi-part) checkpoint into the replay: its
 * add, metaData, protocol and txn actions (remove tombstones do not change
 * the active files).  Counts are checked against _last_checkpoint when it
 * names this checkpoint and states them.
 */
extern LakeStatus delta_checkpoint_read(const LakeAllocator *a, const DeltaLogListing *l,
										const DeltaCheckpointRef *cp, DeltaReplay *r,
										LakeError *err);

#endif							/* LAKE_DELTA_INTERNAL_H */
