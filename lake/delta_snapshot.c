/*
 * delta_snapshot.c
 *	  The state of a Delta table at a version (PROTOCOL.md, Action
 *	  Reconciliation): replay of the newest checkpoint at or below the
 *	  version and the JSON commits after it; add/remove reconciled by (path,
 *	  deletion vector id) in a hash table; the newest protocol and metaData
 *	  win; txn per appId.  Then the snapshot: reader protocol checks, the
 *	  schema, active files sorted by path with their partition values
 *	  (percent-decoded local paths) and per-file statistics parsed against
 *	  the final schema.
 *
 * Statistics and partition values are kept raw during the replay and only
 * interpreted for the files still active at the end, against the schema of
 * the version read (a file added before a column was added simply has no
 * statistics for it).
 */
#include "delta_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A logical file met during the replay. */
typedef struct ReplayFile
{
	char	   *key;			/* path '\0' dv_id '\0' (owned) */
	size_t		path_len;
	size_t		dv_len;			/* 0: no deletion vector */
	uint32_t	hash;
	bool		active;
	int64_t		size;
	int64_t		modification_time;
	void	   *data;			/* owned block holding what follows */
	const char *stats;			/* raw statistics JSON, or NULL */
	size_t		stats_len;
	int			num_pv;
	const char **pv_keys;
	const char **pv_values;		/* NULL element: null */
} ReplayFile;

typedef struct ReplayTxn
{
	char	   *app_id;
	int64_t		version;
	int64_t		last_updated;
} ReplayTxn;

struct DeltaReplay
{
	const LakeAllocator *a;
	ReplayFile *files;
	size_t		num_files;
	size_t		cap_files;
	uint32_t   *slots;			/* index + 1 into files, 0 = empty */
	size_t		cap_slots;		/* power of two */
	ReplayTxn  *txns;
	size_t		num_txns;
	size_t		cap_txns;
	json_t	   *protocol;		/* the newest protocol action (a reference we own) */
	json_t	   *metadata;		/* the newest metaData action */
	/* the commitInfo timestamp of the commit being replayed */
	bool		has_commit_ts;
	int64_t		commit_ts;
	/* scratch of delta_replay_add_text: the partition values of one add */
	DeltaSpan  *pv_keys;
	DeltaSpan  *pv_values;
	int			pv_cap;
	/*
	 * Changes mode (delta_changes_load): only adds with dataChange are kept,
	 * removes are ignored: the files that commits added, whatever happened
	 * to them later.  all_adds: with changes_only, the adds without
	 * dataChange too (DELTA_LOAD_ALL_ADDS: every file a commit wrote).
	 */
	bool		changes_only;
	bool		all_adds;
};

static uint32_t
hash_bytes(const char *s, size_t len, uint32_t h)
{
	for (size_t i = 0; i < len; i++)
	{
		h ^= (unsigned char) s[i];
		h *= 16777619u;
	}
	return h;
}

static uint32_t
file_key_hash(const char *path, size_t path_len, const char *dv, size_t dv_len)
{
	uint32_t	h = hash_bytes(path, path_len, 2166136261u);

	h = hash_bytes("\0", 1, h);
	return hash_bytes(dv, dv_len, h);
}

static void
replay_init(DeltaReplay *r, const LakeAllocator *a)
{
	memset(r, 0, sizeof(*r));
	r->a = a;
}

static void
replay_file_clear(const LakeAllocator *a, ReplayFile *f)
{
	lake_free(a, f->data);
	f->data = NULL;
	f->stats = NULL;
	f->num_pv = 0;
	f->pv_keys = NULL;
	f->pv_values = NULL;
}

static void
replay_free(DeltaReplay *r)
{
	for (size_t i = 0; i < r->num_files; i++)
	{
		replay_file_clear(r->a, &r->files[i]);
		lake_free(r->a, r->files[i].key);
	}
	lake_free(r->a, r->files);
	lake_free(r->a, r->slots);
	for (size_t i = 0; i < r->num_txns; i++)
		lake_free(r->a, r->txns[i].app_id);
	lake_free(r->a, r->txns);
	lake_free(r->a, r->pv_keys);
	if (r->protocol)
		json_decref(r->protocol);
	if (r->metadata)
		json_decref(r->metadata);
	memset(r, 0, sizeof(*r));
}

static LakeStatus
grow_slots(DeltaReplay *r, LakeError *err)
{
	size_t		ncap = r->cap_slots ? r->cap_slots * 2 : 1024;
	uint32_t   *ns;

	if (ncap > ((size_t) 1 << 31))
		return lake_error_set(err, LAKE_ERROR_LIMIT, "too many data files in the Delta log");
	ns = lake_alloc_array(r->a, ncap, sizeof(uint32_t), err);
	if (ns == NULL)
		return LAKE_ERROR_NOMEM;
	memset(ns, 0, ncap * sizeof(uint32_t));
	for (size_t i = 0; i < r->num_files; i++)
	{
		size_t		s = r->files[i].hash & (ncap - 1);

		while (ns[s] != 0)
			s = (s + 1) & (ncap - 1);
		ns[s] = (uint32_t) (i + 1);
	}
	lake_free(r->a, r->slots);
	r->slots = ns;
	r->cap_slots = ncap;
	return LAKE_OK;
}

/* The file with this key, or NULL; *slot gets where it is or would go. */
static ReplayFile *
find_file(DeltaReplay *r, const char *path, size_t path_len, const char *dv, size_t dv_len,
		  uint32_t hash, size_t *slot)
{
	size_t		s;

	if (r->cap_slots == 0)
		return NULL;
	s = hash & (r->cap_slots - 1);
	while (r->slots[s] != 0)
	{
		ReplayFile *f = &r->files[r->slots[s] - 1];

		if (f->hash == hash && f->path_len == path_len && f->dv_len == dv_len &&
			memcmp(f->key, path, path_len) == 0 &&
			(dv_len == 0 || memcmp(f->key + path_len + 1, dv, dv_len) == 0))
		{
			*slot = s;
			return f;
		}
		s = (s + 1) & (r->cap_slots - 1);
	}
	*slot = s;
	return NULL;
}

/* The deletion vector's unique id: storageType + pathOrInlineDv [+ "@" + offset]. */
static LakeStatus
dv_unique_id(const json_t *action, const char *ctx, const DeltaWhere *w, char *buf, size_t size,
			 size_t *len, LakeError *err)
{
	json_t	   *dv;
	const char *storage;
	const char *where;
	size_t		sl,
				wl;
	int64_t		offset;
	bool		has_offset;
	LakeStatus	st;
	int			n;

	*len = 0;
	if ((st = delta_json_object(action, "deletionVector", false, ctx, w, &dv, err)) != LAKE_OK || dv == NULL)
		return st;
	if ((st = delta_json_string(dv, "storageType", true, "deletionVector", w, &storage, &sl, err)) != LAKE_OK ||
		(st = delta_json_string(dv, "pathOrInlineDv", true, "deletionVector", w, &where, &wl, err)) != LAKE_OK ||
		(st = delta_json_int64(dv, "offset", false, "deletionVector", w, &offset, &has_offset, err)) != LAKE_OK)
		return st;
	if (has_offset)
		n = snprintf(buf, size, "%.*s%.*s@%lld", (int) sl, storage, (int) wl, where, (long long) offset);
	else
		n = snprintf(buf, size, "%.*s%.*s", (int) sl, storage, (int) wl, where);
	if (n <= 0 || (size_t) n >= size || sl + wl >= size)
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "%s.deletionVector is too long", ctx);
	*len = (size_t) n;
	return LAKE_OK;
}

#define DV_ID_MAX 4096

static LakeStatus
file_key(const json_t *action, const char *ctx, const DeltaWhere *w, const char **path,
		 size_t *path_len, char *dv, size_t *dv_len, LakeError *err)
{
	LakeStatus	st;

	if ((st = delta_json_string(action, "path", true, ctx, w, path, path_len, err)) != LAKE_OK)
		return st;
	if (*path_len == 0 || strlen(*path) != *path_len)
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "%s.path is empty or holds a NUL", ctx);
	return dv_unique_id(action, ctx, w, dv, DV_ID_MAX, dv_len, err);
}

/* Copy a span into p (unescaping); returns the bytes written, or -1 on a bad escape. */
static long
span_copy(char *p, const DeltaSpan *sp)
{
	size_t		n = sp->len;

	if (sp->escaped)
	{
		if (!delta_json_unescape(sp->ptr, sp->len, p, &n))
			return -1;
	}
	else
		memcpy(p, sp->ptr, n);
	p[n] = '\0';
	return (long) n;
}

LakeStatus
delta_replay_add_action(DeltaReplay *r, const DeltaAddAction *add, const DeltaWhere *w,
						LakeError *err)
{
	char		pathbuf[1024];
	char	   *path_alloc = NULL;
	const char *path = add->path.ptr;
	size_t		path_len = add->path.len;
	const char *dv = add->dv_id ? add->dv_id : "";
	size_t		dv_len = add->dv_id ? add->dv_len : 0;
	uint32_t	hash;
	size_t		slot;
	ReplayFile *f;
	size_t		block;
	char	   *p;
	LakeStatus	st = LAKE_OK;

	if (path == NULL)
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "add has no \"path\"");
	if (r->changes_only && add->no_data_change && !r->all_adds)
		return LAKE_OK;
	if (add->path.escaped)
	{
		char	   *buf = pathbuf;

		if (path_len >= sizeof(pathbuf))
		{
			/* bounded by the record's length */
			path_alloc = lake_alloc(r->a, path_len + 1, err);
			if (path_alloc == NULL)
				return LAKE_ERROR_NOMEM;
			buf = path_alloc;
		}
		if (span_copy(buf, &add->path) < 0)
		{
			lake_free(r->a, path_alloc);
			return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "add.path has an invalid escape");
		}
		path = buf;
		path_len = strlen(buf);
	}
	if (path_len == 0 || memchr(path, '\0', path_len) != NULL)
	{
		lake_free(r->a, path_alloc);
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "add.path is empty or holds a NUL");
	}
	if (add->size < 0)
	{
		lake_free(r->a, path_alloc);
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "add.size is negative");
	}

	/* one block: key/value pointer arrays, then the strings (unescaped is never longer) */
	block = (size_t) add->num_pv * 2 * sizeof(char *) + (add->stats.ptr ? add->stats.len + 1 : 0);
	for (int i = 0; i < add->num_pv; i++)
		block += add->pv_keys[i].len + 1 + (add->pv_values[i].ptr ? add->pv_values[i].len + 1 : 0);

	hash = file_key_hash(path, path_len, dv, dv_len);
	f = find_file(r, path, path_len, dv, dv_len, hash, &slot);
	if (f == NULL)
	{
		ReplayFile	nf = {0};

		if (r->num_files == r->cap_files)
		{
			size_t		ncap = r->cap_files ? r->cap_files * 2 : 256;
			ReplayFile *nfiles = lake_alloc_array(r->a, ncap, sizeof(ReplayFile), err);

			if (nfiles == NULL)
			{
				st = LAKE_ERROR_NOMEM;
				goto out;
			}
			if (r->num_files)
				memcpy(nfiles, r->files, r->num_files * sizeof(ReplayFile));
			lake_free(r->a, r->files);
			r->files = nfiles;
			r->cap_files = ncap;
		}
		if ((r->num_files + 1) * 2 > r->cap_slots)
		{
			if ((st = grow_slots(r, err)) != LAKE_OK)
				goto out;
			(void) find_file(r, path, path_len, dv, dv_len, hash, &slot);
		}
		nf.key = lake_alloc(r->a, path_len + dv_len + 2, err);
		if (nf.key == NULL)
		{
			st = LAKE_ERROR_NOMEM;
			goto out;
		}
		memcpy(nf.key, path, path_len);
		nf.key[path_len] = '\0';
		if (dv_len)
			memcpy(nf.key + path_len + 1, dv, dv_len);
		nf.key[path_len + 1 + dv_len] = '\0';
		nf.path_len = path_len;
		nf.dv_len = dv_len;
		nf.hash = hash;
		r->files[r->num_files] = nf;
		r->slots[slot] = (uint32_t) (r->num_files + 1);
		f = &r->files[r->num_files++];
	}
	else
		replay_file_clear(r->a, f);	/* the newest add replaces the older one */

	f->active = true;
	f->size = add->size;
	f->modification_time = add->modification_time;
	if (block > 0)
	{
		f->data = lake_alloc(r->a, block, err);
		if (f->data == NULL)
		{
			f->active = false;
			st = LAKE_ERROR_NOMEM;
			goto out;
		}
		f->pv_keys = (const char **) f->data;
		f->pv_values = f->pv_keys + add->num_pv;
		p = (char *) (f->pv_values + add->num_pv);
		for (int i = 0; i < add->num_pv; i++)
		{
			long		n = span_copy(p, &add->pv_keys[i]);

			if (n < 0)
				goto bad_escape;
			f->pv_keys[i] = p;
			p += add->pv_keys[i].len + 1;
			if (add->pv_values[i].ptr)
			{
				if (span_copy(p, &add->pv_values[i]) < 0)
					goto bad_escape;
				f->pv_values[i] = p;
				p += add->pv_values[i].len + 1;
			}
			else
				f->pv_values[i] = NULL;
		}
		f->num_pv = add->num_pv;
		if (add->stats.ptr)
		{
			long		n = span_copy(p, &add->stats);

			if (n < 0)
				goto bad_escape;
			f->stats = p;
			f->stats_len = (size_t) n;
		}
	}
	goto out;

bad_escape:
	f->active = false;
	replay_file_clear(r->a, f);
	st = delta_where_error(err, LAKE_ERROR_CORRUPT, w, "add has a string with an invalid escape");
out:
	lake_free(r->a, path_alloc);
	return st;
}

LakeStatus
delta_replay_add(DeltaReplay *r, const json_t *add, const char *stats, size_t stats_len,
				 const DeltaWhere *w, LakeError *err)
{
	DeltaAddAction aa = {0};
	const char *path;
	size_t		path_len;
	char		dv[DV_ID_MAX];
	size_t		dv_len;
	json_t	   *pv;
	bool		has;
	LakeStatus	st;
	const char *key;
	json_t	   *val;
	DeltaSpan	keys_local[16],
				vals_local[16];
	DeltaSpan  *keys = keys_local,
			   *vals = vals_local;
	size_t		npv;
	int			i = 0;

	if (!json_is_object(add))
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "add is not an object");
	if ((st = file_key(add, "add", w, &path, &path_len, dv, &dv_len, err)) != LAKE_OK)
		return st;
	if ((st = delta_json_int64(add, "size", true, "add", w, &aa.size, NULL, err)) != LAKE_OK)
		return st;
	if ((st = delta_json_int64(add, "modificationTime", false, "add", w, &aa.modification_time, &has, err)) != LAKE_OK)
		return st;
	if ((st = delta_json_object(add, "partitionValues", false, "add", w, &pv, err)) != LAKE_OK)
		return st;
	if (stats == NULL &&
		(st = delta_json_string(add, "stats", false, "add", w, &stats, &stats_len, err)) != LAKE_OK)
		return st;
	{
		bool		dc = true;

		if ((st = delta_json_bool(add, "dataChange", false, "add", w, &dc, &has, err)) != LAKE_OK)
			return st;
		aa.no_data_change = has && !dc;
	}
	aa.path.ptr = path;
	aa.path.len = path_len;
	aa.dv_id = dv_len ? dv : NULL;
	aa.dv_len = dv_len;
	aa.stats.ptr = stats;
	aa.stats.len = stats_len;

	npv = pv ? json_object_size(pv) : 0;
	if (npv > 16)
	{
		/* bounded by the parsed text */
		keys = lake_alloc_array(r->a, npv * 2, sizeof(DeltaSpan), err);
		if (keys == NULL)
			return LAKE_ERROR_NOMEM;
		vals = keys + npv;
	}
	json_object_foreach(pv, key, val)
	{
		if (!json_is_string(val) && !json_is_null(val))
		{
			st = delta_where_error(err, LAKE_ERROR_CORRUPT, w,
								   "add.partitionValues.%.100s is not a string or null", key);
			break;
		}
		if ((size_t) i >= npv)
			break;
		keys[i].ptr = key;
		keys[i].len = strlen(key);
		keys[i].escaped = false;
		vals[i].ptr = json_is_string(val) ? json_string_value(val) : NULL;
		vals[i].len = json_is_string(val) ? json_string_length(val) : 0;
		vals[i].escaped = false;
		i++;
	}
	if (st == LAKE_OK)
	{
		aa.num_pv = i;
		aa.pv_keys = keys;
		aa.pv_values = vals;
		st = delta_replay_add_action(r, &aa, w, err);
	}
	if (keys != keys_local)
		lake_free(r->a, keys);
	return st;
}

static LakeStatus
bad_add(const DeltaWhere *w, const char *what, LakeError *err)
{
	return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "add: %s", what);
}

static inline bool
key_is(const DeltaTok *k, const char *lit, size_t n)
{
	return !k->escaped && k->len == n && memcmp(k->start, lit, n) == 0;
}
#define KEY_IS(k, lit) key_is(k, lit, sizeof(lit) - 1)

/*
 * An add object taken apart with the raw scanner: building a jansson tree
 * for each of 100,000 adds costs more than everything else together.
 */
LakeStatus
delta_replay_add_text(DeltaReplay *r, const char *text, size_t len, const DeltaWhere *w,
					  LakeError *err)
{
	DeltaScan	s;
	DeltaTok	t;
	bool		first = true;
	DeltaAddAction aa = {0};
	bool		has_size = false;
	const char *stats_parsed = NULL;
	size_t		stats_parsed_len = 0;
	char		dv[4096];

	delta_scan_init(&s, text, len);
	if (!delta_scan_value(&s, &t) || t.kind != DELTA_TOK_OBJECT)
		return bad_add(w, "not a JSON object", err);
	for (;;)
	{
		DeltaTok	k;
		bool		done;
		const char *vstart;

		if (!delta_scan_member(&s, &first, &k, &done))
			return bad_add(w, "malformed JSON", err);
		if (done)
			break;
		while (s.p < s.end && (*s.p == ' ' || *s.p == '\n' || *s.p == '\t' || *s.p == '\r'))
			s.p++;
		vstart = s.p;
		if (!delta_scan_value(&s, &t))
			return bad_add(w, "malformed JSON", err);
		if (t.kind == DELTA_TOK_NULL)
			continue;
		if (KEY_IS(&k, "path"))
		{
			if (t.kind != DELTA_TOK_STRING)
				return bad_add(w, "path is not a string", err);
			aa.path.ptr = t.start;
			aa.path.len = t.len;
			aa.path.escaped = t.escaped;
		}
		else if (KEY_IS(&k, "size"))
		{
			if (!delta_tok_int64(&t, &aa.size))
				return bad_add(w, "size is not an integer", err);
			has_size = true;
		}
		else if (KEY_IS(&k, "modificationTime"))
		{
			if (!delta_tok_int64(&t, &aa.modification_time))
				return bad_add(w, "modificationTime is not an integer", err);
		}
		else if (KEY_IS(&k, "dataChange"))
		{
			if (t.kind != DELTA_TOK_TRUE && t.kind != DELTA_TOK_FALSE)
				return bad_add(w, "dataChange is not a boolean", err);
			aa.no_data_change = (t.kind == DELTA_TOK_FALSE);
		}
		else if (KEY_IS(&k, "stats"))
		{
			if (t.kind != DELTA_TOK_STRING)
				return bad_add(w, "stats is not a string", err);
			aa.stats.ptr = t.start;
			aa.stats.len = t.len;
			aa.stats.escaped = t.escaped;
		}
		else if (KEY_IS(&k, "stats_parsed") && t.kind == DELTA_TOK_OBJECT)
		{
			if (!delta_scan_skip(&s, &t))
				return bad_add(w, "malformed JSON", err);
			stats_parsed = vstart;
			stats_parsed_len = (size_t) (s.p - vstart);
		}
		else if (KEY_IS(&k, "partitionValues"))
		{
			bool		f2 = true;

			if (t.kind != DELTA_TOK_OBJECT)
				return bad_add(w, "partitionValues is not an object", err);
			for (;;)
			{
				DeltaTok	pk,
							pv;
				bool		d2;

				if (!delta_scan_member(&s, &f2, &pk, &d2))
					return bad_add(w, "malformed JSON", err);
				if (d2)
					break;
				if (!delta_scan_value(&s, &pv) ||
					(pv.kind != DELTA_TOK_STRING && pv.kind != DELTA_TOK_NULL))
					return bad_add(w, "a partition value is not a string or null", err);
				if (aa.num_pv == r->pv_cap)
				{
					/* bounded: every member takes bytes of the record */
					int			ncap = r->pv_cap ? r->pv_cap * 2 : 16;
					DeltaSpan  *nk = lake_alloc_array(r->a, (size_t) ncap * 2, sizeof(DeltaSpan), err);

					if (nk == NULL)
						return LAKE_ERROR_NOMEM;
					if (aa.num_pv)
					{
						memcpy(nk, r->pv_keys, sizeof(DeltaSpan) * (size_t) aa.num_pv);
						memcpy(nk + ncap, r->pv_values, sizeof(DeltaSpan) * (size_t) aa.num_pv);
					}
					lake_free(r->a, r->pv_keys);
					r->pv_keys = nk;
					r->pv_values = nk + ncap;
					r->pv_cap = ncap;
				}
				r->pv_keys[aa.num_pv].ptr = pk.start;
				r->pv_keys[aa.num_pv].len = pk.len;
				r->pv_keys[aa.num_pv].escaped = pk.escaped;
				r->pv_values[aa.num_pv].ptr = pv.kind == DELTA_TOK_STRING ? pv.start : NULL;
				r->pv_values[aa.num_pv].len = pv.len;
				r->pv_values[aa.num_pv].escaped = pv.escaped;
				aa.num_pv++;
			}
		}
		else if (KEY_IS(&k, "deletionVector"))
		{
			bool		f2 = true;
			DeltaTok	storage = {0},
						where = {0};
			int64_t		offset = 0;
			bool		has_offset = false;
			size_t		sl,
						wl;
			int			n;

			if (t.kind != DELTA_TOK_OBJECT)
				return bad_add(w, "deletionVector is not an object", err);
			for (;;)
			{
				DeltaTok	dk,
							dvt;
				bool		d2;

				if (!delta_scan_member(&s, &f2, &dk, &d2))
					return bad_add(w, "malformed JSON", err);
				if (d2)
					break;
				if (!delta_scan_value(&s, &dvt) || !delta_scan_skip(&s, &dvt))
					return bad_add(w, "malformed JSON", err);
				if (KEY_IS(&dk, "storageType") && dvt.kind == DELTA_TOK_STRING)
					storage = dvt;
				else if (KEY_IS(&dk, "pathOrInlineDv") && dvt.kind == DELTA_TOK_STRING)
					where = dvt;
				else if (KEY_IS(&dk, "offset") && dvt.kind == DELTA_TOK_NUMBER)
					has_offset = delta_tok_int64(&dvt, &offset);
			}
			if (storage.start == NULL || where.start == NULL)
				return bad_add(w, "deletionVector lacks storageType or pathOrInlineDv", err);
			if (storage.len + where.len + 32 > sizeof(dv) ||
				!delta_json_unescape(storage.start, storage.len, dv, &sl) ||
				!delta_json_unescape(where.start, where.len, dv + sl, &wl))
				return bad_add(w, "deletionVector is too long or badly escaped", err);
			n = (int) (sl + wl);
			if (has_offset)
				n += snprintf(dv + n, sizeof(dv) - (size_t) n, "@%lld", (long long) offset);
			aa.dv_id = dv;
			aa.dv_len = (size_t) n;
		}
		else if (!delta_scan_skip(&s, &t))
			return bad_add(w, "malformed JSON", err);
	}
	if (!has_size)
		return bad_add(w, "no \"size\"", err);
	aa.pv_keys = r->pv_keys;
	aa.pv_values = r->pv_values;
	/* without the stats string, the parsed struct's text serves (numbers as written) */
	if (aa.stats.ptr == NULL && stats_parsed != NULL)
	{
		aa.stats.ptr = stats_parsed;
		aa.stats.len = stats_parsed_len;
		aa.stats.escaped = false;
	}
	return delta_replay_add_action(r, &aa, w, err);
}

static LakeStatus
replay_remove(DeltaReplay *r, const json_t *rm, const DeltaWhere *w, LakeError *err)
{
	const char *path;
	size_t		path_len;
	char		dv[DV_ID_MAX];
	size_t		dv_len;
	size_t		slot;
	ReplayFile *f;
	LakeStatus	st;

	if (!json_is_object(rm))
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "remove is not an object");
	if (r->changes_only)
		return LAKE_OK;
	if ((st = file_key(rm, "remove", w, &path, &path_len, dv, &dv_len, err)) != LAKE_OK)
		return st;
	f = find_file(r, path, path_len, dv, dv_len, file_key_hash(path, path_len, dv, dv_len), &slot);
	if (f != NULL && f->active)
	{
		f->active = false;
		replay_file_clear(r->a, f);
	}
	return LAKE_OK;
}

static LakeStatus
replay_txn(DeltaReplay *r, const json_t *txn, const DeltaWhere *w, LakeError *err)
{
	const char *app;
	size_t		app_len;
	int64_t		version,
				last = -1;
	bool		has_last;
	LakeStatus	st;
	ReplayTxn  *t = NULL;

	if (!json_is_object(txn))
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "txn is not an object");
	if ((st = delta_json_string(txn, "appId", true, "txn", w, &app, &app_len, err)) != LAKE_OK ||
		(st = delta_json_int64(txn, "version", true, "txn", w, &version, NULL, err)) != LAKE_OK ||
		(st = delta_json_int64(txn, "lastUpdated", false, "txn", w, &last, &has_last, err)) != LAKE_OK)
		return st;
	if (!has_last)
		last = -1;
	/* applications are few: a linear search, newest first */
	for (size_t i = r->num_txns; i-- > 0;)
		if (strlen(r->txns[i].app_id) == app_len && memcmp(r->txns[i].app_id, app, app_len) == 0)
		{
			t = &r->txns[i];
			break;
		}
	if (t == NULL)
	{
		if (r->num_txns >= 100000)
			return delta_where_error(err, LAKE_ERROR_LIMIT, w, "more than 100000 txn application ids");
		if (r->num_txns == r->cap_txns)
		{
			size_t		ncap = r->cap_txns ? r->cap_txns * 2 : 8;
			ReplayTxn  *n = lake_alloc_array(r->a, ncap, sizeof(ReplayTxn), err);

			if (n == NULL)
				return LAKE_ERROR_NOMEM;
			if (r->num_txns)
				memcpy(n, r->txns, r->num_txns * sizeof(ReplayTxn));
			lake_free(r->a, r->txns);
			r->txns = n;
			r->cap_txns = ncap;
		}
		t = &r->txns[r->num_txns];
		t->app_id = lake_strndup(r->a, app, app_len, err);
		if (t->app_id == NULL)
			return LAKE_ERROR_NOMEM;
		r->num_txns++;
	}
	t->version = version;
	t->last_updated = last;
	return LAKE_OK;
}

LakeStatus
delta_replay_action(DeltaReplay *r, json_t *action, const DeltaWhere *w, LakeError *err)
{
	const char *key;
	json_t	   *val;
	LakeStatus	st = LAKE_OK;

	if (!json_is_object(action))
		return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "an action is not a JSON object");
	json_object_foreach(action, key, val)
	{
		if (strcmp(key, "add") == 0)
			st = delta_replay_add(r, val, NULL, 0, w, err);
		else if (strcmp(key, "remove") == 0)
			st = replay_remove(r, val, w, err);
		else if (strcmp(key, "metaData") == 0 || strcmp(key, "protocol") == 0)
		{
			json_t	  **slot = key[0] == 'm' ? &r->metadata : &r->protocol;

			if (!json_is_object(val))
				return delta_where_error(err, LAKE_ERROR_CORRUPT, w, "%s is not an object", key);
			if (*slot)
				json_decref(*slot);
			json_incref(val);
			*slot = val;
		}
		else if (strcmp(key, "txn") == 0)
			st = replay_txn(r, val, w, err);
		else if (strcmp(key, "commitInfo") == 0)
		{
			json_t	   *ts;

			if (!json_is_object(val))
				continue;
			ts = json_object_get(val, "inCommitTimestamp");
			if (!json_is_integer(ts))
				ts = json_object_get(val, "timestamp");
			if (json_is_integer(ts))
			{
				r->has_commit_ts = true;
				r->commit_ts = json_integer_value(ts);
			}
		}
		else if (strcmp(key, "checkpointMetadata") == 0 || strcmp(key, "sidecar") == 0)
		{
			if (!json_is_null(val))
				return delta_where_error(err, LAKE_ERROR_UNSUPPORTED, w,
										 "the log uses V2 checkpoints (reader feature v2Checkpoint), which are not supported");
		}
		/* cdc, domainMetadata and actions we do not know: ignored, as the protocol asks */
		if (st != LAKE_OK)
			return st;
	}
	return LAKE_OK;
}

/* ---- replaying commits ---- */

typedef struct CommitCtx
{
	DeltaReplay *r;
	const char *file;
} CommitCtx;

/*
 * The fast paths of a commit line: {"add":{...}} through the raw scanner,
 * and the timestamp of {"commitInfo":{...}}.  Returns false when the line
 * is something else or not well-formed, for jansson to handle (and name
 * the error precisely).
 */
static bool
commit_line_fast(DeltaReplay *r, const char *line, size_t len, const DeltaWhere *w,
				 LakeStatus *st, LakeError *err)
{
	DeltaScan	s;
	DeltaTok	t,
				k,
				v;
	bool		first = true,
				done;
	const char *vstart;

	delta_scan_init(&s, line, len);
	if (!delta_scan_value(&s, &t) || t.kind != DELTA_TOK_OBJECT ||
		!delta_scan_member(&s, &first, &k, &done) || done || k.escaped)
		return false;
	while (s.p < s.end && (*s.p == ' ' || *s.p == '\t'))
		s.p++;
	vstart = s.p;
	if (KEY_IS(&k, "add"))
	{
		size_t		vlen;

		if (!delta_scan_value(&s, &v) || v.kind != DELTA_TOK_OBJECT || !delta_scan_skip(&s, &v))
			return false;
		vlen = (size_t) (s.p - vstart);
		if (!delta_scan_member(&s, &first, &k, &done) || !done || !delta_scan_at_end(&s))
			return false;
		*st = delta_replay_add_text(r, vstart, vlen, w, err);
		return true;
	}
	if (KEY_IS(&k, "commitInfo"))
	{
		bool		f2 = true;
		bool		has_ict = false,
					has_ts = false;
		int64_t		ict = 0,
					ts = 0;

		if (!delta_scan_value(&s, &v) || v.kind != DELTA_TOK_OBJECT)
			return false;
		for (;;)
		{
			DeltaTok	ck,
						cv;
			bool		d2;

			if (!delta_scan_member(&s, &f2, &ck, &d2))
				return false;
			if (d2)
				break;
			if (!delta_scan_value(&s, &cv))
				return false;
			if (KEY_IS(&ck, "inCommitTimestamp") && cv.kind == DELTA_TOK_NUMBER)
				has_ict = delta_tok_int64(&cv, &ict);
			else if (KEY_IS(&ck, "timestamp") && cv.kind == DELTA_TOK_NUMBER)
				has_ts = delta_tok_int64(&cv, &ts);
			else if (!delta_scan_skip(&s, &cv))
				return false;
		}
		if (!delta_scan_member(&s, &first, &k, &done) || !done || !delta_scan_at_end(&s))
			return false;
		if (has_ict || has_ts)
		{
			r->has_commit_ts = true;
			r->commit_ts = has_ict ? ict : ts;
		}
		*st = LAKE_OK;
		return true;
	}
	return false;
}

static LakeStatus
commit_line(void *ctx, const char *line, size_t len, int64_t lineno, LakeError *err)
{
	CommitCtx  *c = ctx;
	DeltaWhere	w = {c->file, lineno, false};
	json_t	   *j;
	LakeStatus	st;

	if (commit_line_fast(c->r, line, len, &w, &st, err))
		return st;
	if ((st = delta_json_load(line, len, &w, &j, err)) != LAKE_OK)
		return st;
	st = delta_replay_action(c->r, j, &w, err);
	json_decref(j);
	return st;
}

static LakeStatus
replay_commit(const LakeAllocator *a, const DeltaLogListing *l, DeltaReplay *r, int64_t version,
			  int64_t *mtime_ms, LakeError *err)
{
	char		name[64];
	char	   *data;
	size_t		len;
	CommitCtx	c = {r, name};
	LakeStatus	st;

	delta_log_commit_name(version, name, sizeof(name));
	if ((st = delta_log_read_file(a, l, name, DELTA_MAX_LOG_FILE_BYTES, &data, &len, mtime_ms, err)) != LAKE_OK)
		return st;
	r->has_commit_ts = false;
	st = delta_log_for_each_line(data, len, commit_line, &c, err);
	lake_free(a, data);
	return st;
}

/* ---- building the snapshot ---- */

static LakeStatus
build_protocol(const LakeAllocator *a, const json_t *p, DeltaProtocol *out, LakeError *err)
{
	DeltaWhere	w = {0};
	int64_t		rv,
				wv = 0;
	json_t	   *arr;
	LakeStatus	st;

	if ((st = delta_json_int64(p, "minReaderVersion", true, "protocol", &w, &rv, NULL, err)) != LAKE_OK ||
		(st = delta_json_int64(p, "minWriterVersion", false, "protocol", &w, &wv, NULL, err)) != LAKE_OK)
		return st;
	if (rv < 1 || rv > INT32_MAX || wv < 0 || wv > INT32_MAX)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "protocol has minReaderVersion %lld, out of range",
							  (long long) rv);
	out->min_reader_version = (int32_t) rv;
	out->min_writer_version = (int32_t) wv;
	if ((st = delta_json_array(p, "readerFeatures", false, "protocol", &w, &arr, err)) != LAKE_OK)
		return st;
	if (arr && (st = delta_json_string_array(a, arr, "protocol.readerFeatures", &w,
											 &out->reader_features, &out->num_reader_features, err)) != LAKE_OK)
		return st;
	if ((st = delta_json_array(p, "writerFeatures", false, "protocol", &w, &arr, err)) != LAKE_OK)
		return st;
	if (arr && (st = delta_json_string_array(a, arr, "protocol.writerFeatures", &w,
											 &out->writer_features, &out->num_writer_features, err)) != LAKE_OK)
		return st;
	return LAKE_OK;
}

/* The reader protocol we implement; deletion vectors only while none is in use. */
static LakeStatus
check_protocol(const DeltaProtocol *p, int64_t version, LakeError *err)
{
	if (p->min_reader_version > 3)
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
							  "version %lld of the table needs Delta reader version %d; reader versions 1 to 3 are supported",
							  (long long) version, p->min_reader_version);
	if (p->min_reader_version < 3)
		return LAKE_OK;
	for (int i = 0; i < p->num_reader_features; i++)
	{
		const char *f = p->reader_features[i];

		if (strcmp(f, "columnMapping") == 0 || strcmp(f, "timestampNtz") == 0 ||
			strcmp(f, "deletionVectors") == 0)
			continue;
		if (strcmp(f, "v2Checkpoint") == 0)
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
								  "the table uses the Delta reader feature \"v2Checkpoint\" (V2 checkpoints), which is not supported");
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
							  "the table uses the Delta reader feature \"%.100s\", which is not supported", f);
	}
	return LAKE_OK;
}

static LakeStatus
build_metadata(const LakeAllocator *a, const json_t *m, DeltaMetadata *out, LakeError *err)
{
	DeltaWhere	w = {0};
	const char *s;
	size_t		len;
	json_t	   *fmt,
			   *arr,
			   *conf;
	int64_t		created;
	bool		has;
	LakeStatus	st;
	const char *mode = NULL;

	out->created_time = -1;
	if ((st = delta_json_string(m, "id", false, "metaData", &w, &s, &len, err)) != LAKE_OK)
		return st;
	if (s && (out->id = lake_strndup(a, s, len, err)) == NULL)
		return LAKE_ERROR_NOMEM;
	if ((st = delta_json_string(m, "name", false, "metaData", &w, &s, &len, err)) != LAKE_OK)
		return st;
	if (s && (out->name = lake_strndup(a, s, len, err)) == NULL)
		return LAKE_ERROR_NOMEM;
	if ((st = delta_json_string(m, "description", false, "metaData", &w, &s, &len, err)) != LAKE_OK)
		return st;
	if (s && (out->description = lake_strndup(a, s, len, err)) == NULL)
		return LAKE_ERROR_NOMEM;
	if ((st = delta_json_object(m, "format", false, "metaData", &w, &fmt, err)) != LAKE_OK)
		return st;
	if (fmt)
	{
		if ((st = delta_json_string(fmt, "provider", false, "metaData.format", &w, &s, NULL, err)) != LAKE_OK)
			return st;
		if (s && strcmp(s, "parquet") != 0)
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
								  "the table's data files are in format \"%.64s\"; only parquet is supported", s);
	}
	if ((st = delta_json_int64(m, "createdTime", false, "metaData", &w, &created, &has, err)) != LAKE_OK)
		return st;
	if (has)
		out->created_time = created;

	/* configuration */
	if ((st = delta_json_object(m, "configuration", false, "metaData", &w, &conf, err)) != LAKE_OK)
		return st;
	if (conf && json_object_size(conf) > 0)
	{
		const char *key;
		json_t	   *val;
		size_t		n = json_object_size(conf);

		out->configuration = lake_alloc_array(a, n, sizeof(DeltaKeyValue), err);
		if (out->configuration == NULL)
			return LAKE_ERROR_NOMEM;
		json_object_foreach(conf, key, val)
		{
			DeltaKeyValue *kv;

			if (json_is_null(val))
				continue;
			if (!json_is_string(val))
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "metaData.configuration.%s is not a string", key);
			kv = &out->configuration[out->num_configuration];
			kv->key = lake_strndup(a, key, strlen(key), err);
			kv->value = kv->key ? lake_strndup(a, json_string_value(val), json_string_length(val), err) : NULL;
			if (kv->value == NULL)
			{
				lake_free(a, kv->key);
				return LAKE_ERROR_NOMEM;
			}
			out->num_configuration++;
			if (strcmp(key, "delta.columnMapping.mode") == 0)
				mode = kv->value;
		}
	}
	out->column_mapping_mode = delta_mapping_mode_parse(mode);
	if (out->column_mapping_mode < 0)
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
							  "column mapping mode \"%.64s\" is not supported", mode);

	/* schema */
	if ((st = delta_json_string(m, "schemaString", true, "metaData", &w, &s, &len, err)) != LAKE_OK)
		return st;
	if ((out->schema_string = lake_strndup(a, s, len, err)) == NULL)
		return LAKE_ERROR_NOMEM;
	if ((st = delta_schema_parse(a, s, len, out->column_mapping_mode, &out->columns, &out->num_columns,
								 err)) != LAKE_OK)
		return st;

	/* partition columns */
	if ((st = delta_json_array(m, "partitionColumns", false, "metaData", &w, &arr, err)) != LAKE_OK)
		return st;
	if (arr && (st = delta_json_string_array(a, arr, "metaData.partitionColumns", &w,
											 &out->partition_columns, &out->num_partition_columns,
											 err)) != LAKE_OK)
		return st;
	if (out->num_partition_columns > 0)
	{
		out->partition_column_index = lake_alloc_array(a, out->num_partition_columns, sizeof(int), err);
		if (out->partition_column_index == NULL)
			return LAKE_ERROR_NOMEM;
	}
	for (int i = 0; i < out->num_partition_columns; i++)
	{
		int			found = -1;

		for (int c = 0; c < out->num_columns && found < 0; c++)
			if (strcmp(out->columns[c].name, out->partition_columns[i]) == 0)
				found = c;
		for (int c = 0; c < out->num_columns && found < 0; c++)
			if (strcasecmp(out->columns[c].name, out->partition_columns[i]) == 0)
				found = c;
		if (found < 0)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "partition column \"%.100s\" is not in the table's schema",
								  out->partition_columns[i]);
		if (out->columns[found].partition_index >= 0)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "partition column \"%.100s\" is listed twice", out->partition_columns[i]);
		out->partition_column_index[i] = found;
		out->columns[found].partition_index = i;
	}
	return LAKE_OK;
}

static int
hexdigit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * The data file's local path: the log's path is a URI (RFC 2396), relative
 * to the table directory or absolute (file: URIs, or a plain absolute path).
 */
static LakeStatus
local_path_of(const LakeAllocator *a, const char *path, char **out, LakeError *err)
{
	const char *p = path;
	const char *colon;
	size_t		len;
	char	   *o;
	size_t		k = 0;

	*out = NULL;
	/* a scheme: letters, digits, + - . before the first ':' that precedes any '/' */
	colon = strchr(path, ':');
	if (colon != NULL && colon > path && (strchr(path, '/') == NULL || colon < strchr(path, '/')))
	{
		bool		scheme = (path[0] >= 'a' && path[0] <= 'z') || (path[0] >= 'A' && path[0] <= 'Z');

		for (const char *q = path; scheme && q < colon; q++)
			if (!((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z') || (*q >= '0' && *q <= '9') ||
				  *q == '+' || *q == '-' || *q == '.'))
				scheme = false;
		if (scheme)
		{
			if ((size_t) (colon - path) != 4 || strncasecmp(path, "file", 4) != 0)
				return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
									  "data file \"%.200s\" is not on the local file system (scheme \"%.*s\"); only local paths are supported",
									  path, (int) (colon - path), path);
			p = colon + 1;
			if (strncmp(p, "//", 2) == 0)
			{
				p += 2;
				if (strncmp(p, "localhost/", 10) == 0)
					p += 9;
				else if (*p != '/')
					return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
										  "data file \"%.200s\" names a remote host; only local paths are supported", path);
			}
			if (*p != '/')
				return lake_error_set(err, LAKE_ERROR_CORRUPT, "data file URI \"%.200s\" is not absolute", path);
		}
	}
	len = strlen(p);
	o = lake_alloc(a, len + 1, err);
	if (o == NULL)
		return LAKE_ERROR_NOMEM;
	for (size_t i = 0; i < len; i++)
	{
		if (p[i] == '%')
		{
			int			h1 = i + 2 < len ? hexdigit(p[i + 1]) : -1;
			int			h2 = h1 >= 0 ? hexdigit(p[i + 2]) : -1;

			if (h1 < 0 || h2 < 0 || (h1 == 0 && h2 == 0))
			{
				lake_free(a, o);
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "data file path \"%.200s\" has an invalid percent-escape at offset %zu",
									  path, (size_t) (p - path) + i);
			}
			o[k++] = (char) (h1 * 16 + h2);
			i += 2;
		}
		else
			o[k++] = p[i];
	}
	o[k] = '\0';
	*out = o;
	return LAKE_OK;
}

/* ---- statistics ---- */

typedef struct StatSpan
{
	const char *min;
	size_t		min_len;
	bool		min_escaped;
	bool		has_min;
	const char *max;
	size_t		max_len;
	bool		max_escaped;
	bool		has_max;
	bool		has_null_count;
	int64_t		null_count;
} StatSpan;

/* Physical name -> column index, open addressing. */
typedef struct ColumnIndex
{
	int		   *slots;			/* column + 1 */
	size_t		cap;
	const DeltaColumn *columns;
} ColumnIndex;

static LakeStatus
column_index_build(const LakeAllocator *a, const DeltaColumn *cols, int n, ColumnIndex *ci, LakeError *err)
{
	size_t		cap = 16;

	while (cap < (size_t) n * 2)
		cap *= 2;
	ci->columns = cols;
	ci->cap = cap;
	ci->slots = lake_alloc_array(a, cap, sizeof(int), err);
	if (ci->slots == NULL)
		return LAKE_ERROR_NOMEM;
	memset(ci->slots, 0, cap * sizeof(int));
	for (int i = 0; i < n; i++)
	{
		const char *name = cols[i].physical_name;
		size_t		s = hash_bytes(name, strlen(name), 2166136261u) & (cap - 1);

		while (ci->slots[s] != 0)
			s = (s + 1) & (cap - 1);
		ci->slots[s] = i + 1;
	}
	return LAKE_OK;
}

static int
column_index_find(const ColumnIndex *ci, const char *name, size_t len)
{
	size_t		s = hash_bytes(name, len, 2166136261u) & (ci->cap - 1);

	while (ci->slots[s] != 0)
	{
		const char *cn = ci->columns[ci->slots[s] - 1].physical_name;

		if (strncmp(cn, name, len) == 0 && cn[len] == '\0')
			return ci->slots[s] - 1;
		s = (s + 1) & (ci->cap - 1);
	}
	return -1;
}

/* A key span as a column index (unescaping into buf when needed). */
static int
stat_key_column(const ColumnIndex *ci, const DeltaTok *k, char *buf, size_t bufsize)
{
	size_t		len;

	if (!k->escaped)
		return column_index_find(ci, k->start, k->len);
	if (k->len >= bufsize || !delta_json_unescape(k->start, k->len, buf, &len))
		return -1;
	return column_index_find(ci, buf, len);
}

static bool
parse_int64_span(const char *s, size_t len, int64_t *out)
{
	char		buf[32];
	char	   *end;
	long long	v;

	if (len == 0 || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno != 0 || *end != '\0')
		return false;
	*out = v;
	return true;
}

typedef struct StatsOut
{
	DeltaColumnStats *stats;	/* one block, or NULL */
	int64_t		num_records;
	bool		tight_bounds;
} StatsOut;

static LakeStatus
stats_error(const char *path, size_t offset, LakeError *err)
{
	return lake_error_set(err, LAKE_ERROR_CORRUPT,
						  "the statistics of data file \"%.200s\" are not valid JSON (offset %zu)",
						  path, offset);
}

/* {"numRecords":n,"minValues":{..},"maxValues":{..},"nullCount":{..},"tightBounds":b} */
static LakeStatus
parse_stats(const LakeAllocator *a, const char *path, const char *text, size_t len,
			const ColumnIndex *ci, int ncols, StatSpan *spans, StatsOut *out, LakeError *err)
{
	DeltaScan	s;
	DeltaTok	t;
	bool		first = true;
	char		keybuf[1024];
	size_t		bytes;
	char	   *p;

	out->stats = NULL;
	out->num_records = -1;
	out->tight_bounds = true;
	memset(spans, 0, sizeof(StatSpan) * (size_t) ncols);
	delta_scan_init(&s, text, len);
	if (!delta_scan_value(&s, &t) || t.kind != DELTA_TOK_OBJECT)
		return stats_error(path, (size_t) (s.p - text), err);
	for (;;)
	{
		DeltaTok	k;
		bool		done;
		int			which = 0;

		if (!delta_scan_member(&s, &first, &k, &done))
			return stats_error(path, (size_t) (s.p - text), err);
		if (done)
			break;
		if (!delta_scan_value(&s, &t))
			return stats_error(path, (size_t) (s.p - text), err);
#define STAT_KEY_IS(lit) (!k.escaped && k.len == sizeof(lit) - 1 && memcmp(k.start, lit, k.len) == 0)
		if (STAT_KEY_IS("numRecords") && t.kind == DELTA_TOK_NUMBER)
		{
			int64_t		v;

			if (parse_int64_span(t.start, t.len, &v) && v >= 0)
				out->num_records = v;
			continue;
		}
		if (STAT_KEY_IS("tightBounds") && (t.kind == DELTA_TOK_TRUE || t.kind == DELTA_TOK_FALSE))
		{
			out->tight_bounds = t.kind == DELTA_TOK_TRUE;
			continue;
		}
		if (STAT_KEY_IS("minValues"))
			which = 1;
		else if (STAT_KEY_IS("maxValues"))
			which = 2;
		else if (STAT_KEY_IS("nullCount"))
			which = 3;
#undef STAT_KEY_IS
		if (which == 0 || t.kind != DELTA_TOK_OBJECT)
		{
			if (!delta_scan_skip(&s, &t))
				return stats_error(path, (size_t) (s.p - text), err);
			continue;
		}
		{
			bool		f2 = true;

			for (;;)
			{
				DeltaTok	ck,
							v;
				bool		d2;
				int			col;

				if (!delta_scan_member(&s, &f2, &ck, &d2))
					return stats_error(path, (size_t) (s.p - text), err);
				if (d2)
					break;
				if (!delta_scan_value(&s, &v))
					return stats_error(path, (size_t) (s.p - text), err);
				if (v.kind == DELTA_TOK_OBJECT || v.kind == DELTA_TOK_ARRAY)
				{
					/* nested statistics of a struct column: not used */
					if (!delta_scan_skip(&s, &v))
						return stats_error(path, (size_t) (s.p - text), err);
					continue;
				}
				col = stat_key_column(ci, &ck, keybuf, sizeof(keybuf));
				if (col < 0 || v.kind == DELTA_TOK_NULL)
					continue;
				if (which == 3)
				{
					int64_t		nc;

					if (v.kind == DELTA_TOK_NUMBER && parse_int64_span(v.start, v.len, &nc) && nc >= 0)
					{
						spans[col].has_null_count = true;
						spans[col].null_count = nc;
					}
				}
				else if (which == 1)
				{
					spans[col].has_min = true;
					spans[col].min = v.start;
					spans[col].min_len = v.len;
					spans[col].min_escaped = v.escaped;
				}
				else
				{
					spans[col].has_max = true;
					spans[col].max = v.start;
					spans[col].max_len = v.len;
					spans[col].max_escaped = v.escaped;
				}
			}
		}
	}
	if (!delta_scan_at_end(&s))
		return stats_error(path, (size_t) (s.p - text), err);
	if (ncols == 0)
		return LAKE_OK;

	/* one block: the stats array, then the min/max texts */
	bytes = sizeof(DeltaColumnStats) * (size_t) ncols;
	for (int c = 0; c < ncols; c++)
	{
		if (spans[c].has_min)
			bytes += spans[c].min_len + 1;
		if (spans[c].has_max)
			bytes += spans[c].max_len + 1;
	}
	out->stats = lake_alloc(a, bytes, err);
	if (out->stats == NULL)
		return LAKE_ERROR_NOMEM;
	p = (char *) (out->stats + ncols);
	for (int c = 0; c < ncols; c++)
	{
		DeltaColumnStats *cs = &out->stats[c];
		StatSpan   *sp = &spans[c];

		memset(cs, 0, sizeof(*cs));
		cs->has_null_count = sp->has_null_count;
		cs->null_count = sp->null_count;
		for (int m = 0; m < 2; m++)
		{
			bool		has = m == 0 ? sp->has_min : sp->has_max;
			const char *src = m == 0 ? sp->min : sp->max;
			size_t		sl = m == 0 ? sp->min_len : sp->max_len;
			bool		esc = m == 0 ? sp->min_escaped : sp->max_escaped;
			size_t		ol = sl;

			if (!has)
				continue;
			if (esc)
			{
				if (!delta_json_unescape(src, sl, p, &ol))
					continue;	/* not representable (e.g. \u0000): no bound, never a wrong one */
			}
			else
				memcpy(p, src, sl);
			p[ol] = '\0';
			if (m == 0)
			{
				cs->has_min = true;
				cs->min = p;
			}
			else
			{
				cs->has_max = true;
				cs->max = p;
			}
			p += sl + 1;
		}
	}
	return LAKE_OK;
}

/* ---- the snapshot ---- */

static int
cmp_add_path(const void *x, const void *y)
{
	return strcmp(((const DeltaAddFile *) x)->path, ((const DeltaAddFile *) y)->path);
}

static const char *
find_partition_value(const ReplayFile *f, const char *name, bool *found)
{
	for (int i = 0; i < f->num_pv; i++)
		if (strcmp(f->pv_keys[i], name) == 0)
		{
			*found = true;
			return f->pv_values[i];
		}
	*found = false;
	return NULL;
}

static LakeStatus
build_files(const LakeAllocator *a, DeltaReplay *r, DeltaSnapshot *snap, bool allow_dv, unsigned flags,
			LakeError *err)
{
	DeltaMetadata *m = &snap->metadata;
	size_t		n = 0;
	size_t		k = 0;
	ColumnIndex ci = {0};
	StatSpan   *spans = NULL;
	LakeStatus	st = LAKE_OK;
	int64_t		total = 0;
	bool		all_counted = true;

	for (size_t i = 0; i < r->num_files; i++)
		if (r->files[i].active)
		{
			n++;
			if (r->files[i].dv_len > 0 && allow_dv)
				snap->deletion_vectors_in_use = true;
			else if (r->files[i].dv_len > 0)
				return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
									  "version %lld of the table has deletion vectors in use (data file \"%.200s\"): reader feature deletionVectors with deletion vectors is not supported",
									  (long long) snap->version, r->files[i].key);
		}
	snap->num_files = 0;
	if (n == 0)
	{
		snap->num_records = 0;
		return LAKE_OK;
	}
	if (n > INT32_MAX)
		return lake_error_set(err, LAKE_ERROR_LIMIT, "too many active data files");
	snap->files = lake_alloc_array(a, n, sizeof(DeltaAddFile), err);
	if (snap->files == NULL)
		return LAKE_ERROR_NOMEM;
	memset(snap->files, 0, n * sizeof(DeltaAddFile));
	snap->num_files = (int) n;
	if (m->num_columns > 0)
	{
		if ((st = column_index_build(a, m->columns, m->num_columns, &ci, err)) != LAKE_OK)
			return st;
		spans = lake_alloc_array(a, (size_t) m->num_columns, sizeof(StatSpan), err);
		if (spans == NULL)
		{
			lake_free(a, ci.slots);
			return LAKE_ERROR_NOMEM;
		}
	}

	for (size_t i = 0; i < r->num_files && st == LAKE_OK; i++)
	{
		ReplayFile *f = &r->files[i];
		DeltaAddFile *df;

		if (!f->active)
			continue;
		df = &snap->files[k++];
		df->size = f->size;
		df->modification_time = f->modification_time;
		df->num_records = -1;
		df->tight_bounds = true;
		df->path = lake_strndup(a, f->key, f->path_len, err);
		if (df->path == NULL)
		{
			st = LAKE_ERROR_NOMEM;
			break;
		}
		if ((st = local_path_of(a, df->path, &df->local_path, err)) != LAKE_OK)
			break;

		/* partition values, by physical name under column mapping, else by name */
		if (m->num_partition_columns > 0)
		{
			size_t		bytes = sizeof(char *) * (size_t) m->num_partition_columns;
			const char *vals[1024];
			const char **v = vals;
			char	   *p;

			if (m->num_partition_columns > 1024)
			{
				st = lake_error_set(err, LAKE_ERROR_LIMIT, "more than 1024 partition columns");
				break;
			}
			for (int pc = 0; pc < m->num_partition_columns; pc++)
			{
				const DeltaColumn *col = &m->columns[m->partition_column_index[pc]];
				bool		found;
				const char *val = find_partition_value(f, col->physical_name, &found);

				if (!found)
					val = find_partition_value(f, col->name, &found);
				/* an empty value is null, except for strings */
				if (val != NULL && val[0] == '\0' && col->kind != DELTA_TYPE_STRING)
					val = NULL;
				v[pc] = val;
				if (val)
					bytes += strlen(val) + 1;
			}
			df->partition_values = lake_alloc(a, bytes, err);
			if (df->partition_values == NULL)
			{
				st = LAKE_ERROR_NOMEM;
				break;
			}
			p = (char *) (df->partition_values + m->num_partition_columns);
			for (int pc = 0; pc < m->num_partition_columns; pc++)
			{
				if (v[pc] == NULL)
				{
					df->partition_values[pc] = NULL;
					continue;
				}
				strcpy(p, v[pc]);
				df->partition_values[pc] = p;
				p += strlen(p) + 1;
			}
		}

		/* the statistics text as the log holds it (a checkpoint's stats_parsed: that struct's text) */
		if (f->stats != NULL && (flags & DELTA_LOAD_RAW_STATS) != 0)
		{
			df->stats_json = lake_strndup(a, f->stats, f->stats_len, err);
			if (df->stats_json == NULL)
			{
				st = LAKE_ERROR_NOMEM;
				break;
			}
		}
		if (f->stats != NULL && (flags & DELTA_LOAD_SKIP_STATS) == 0)
		{
			StatsOut	so;

			if ((st = parse_stats(a, df->path, f->stats, f->stats_len, &ci, m->num_columns, spans,
								  &so, err)) != LAKE_OK)
				break;
			df->stats = so.stats;
			df->num_records = so.num_records;
			df->tight_bounds = so.tight_bounds;
		}
		if (df->num_records < 0)
			all_counted = false;
		else
			total += df->num_records;
		/* the raw form is no longer needed */
		replay_file_clear(a, f);
	}
	lake_free(a, ci.slots);
	lake_free(a, spans);
	if (st != LAKE_OK)
		return st;
	snap->num_records = all_counted ? total : -1;
	qsort(snap->files, n, sizeof(DeltaAddFile), cmp_add_path);
	return LAKE_OK;
}

static LakeStatus
build_txns(const LakeAllocator *a, DeltaReplay *r, DeltaSnapshot *snap, LakeError *err)
{
	if (r->num_txns == 0)
		return LAKE_OK;
	snap->txns = lake_alloc_array(a, r->num_txns, sizeof(DeltaTxn), err);
	if (snap->txns == NULL)
		return LAKE_ERROR_NOMEM;
	for (size_t i = 0; i < r->num_txns; i++)
	{
		/* the app id moves from the replay to the snapshot */
		snap->txns[i].app_id = r->txns[i].app_id;
		snap->txns[i].version = r->txns[i].version;
		snap->txns[i].last_updated = r->txns[i].last_updated;
		r->txns[i].app_id = NULL;
	}
	snap->num_txns = (int) r->num_txns;
	return LAKE_OK;
}

static LakeStatus
snapshot_load(const LakeAllocator *a, const char *table_dir, int64_t version, bool allow_dv,
			  unsigned flags, DeltaSnapshot **out, LakeError *err)
{
	DeltaLogListing l;
	const DeltaCheckpointRef *cp;
	int64_t		target;
	DeltaReplay r;
	DeltaSnapshot *snap = NULL;
	LakeStatus	st;
	int64_t		ts = -1;
	int64_t		prev_ts = INT64_MIN;

	*out = NULL;
	if (table_dir == NULL || version < -1)
		return lake_error_set(err, LAKE_ERROR_INVALID, "version %lld is not a valid table version",
							  (long long) version);
	if ((st = delta_log_list(a, table_dir, &l, err)) != LAKE_OK)
		return st;
	if ((st = delta_log_plan(&l, version, &cp, &target, err)) != LAKE_OK)
	{
		delta_log_listing_free(a, &l);
		return st;
	}
	replay_init(&r, a);
	if (cp != NULL)
		st = delta_checkpoint_read(a, &l, cp, &r, err);
	for (int64_t v = cp ? cp->version + 1 : 0; st == LAKE_OK && v <= target; v++)
	{
		int64_t		mtime = 0;

		st = replay_commit(a, &l, &r, v, &mtime, err);
		if (st != LAKE_OK)
			break;
		/* commit timestamps, monotonic over the commits replayed */
		ts = r.has_commit_ts ? r.commit_ts : mtime;
		if (prev_ts != INT64_MIN && ts <= prev_ts)
			ts = prev_ts + 1;
		prev_ts = ts;
	}
	if (st == LAKE_OK && cp != NULL && target == cp->version)
	{
		/* the checkpoint's own version: its commit's timestamp when the commit is still there */
		DeltaCommitInfo info;
		int64_t		mtime = 0;
		char		name[64];

		if (delta_log_has_commit(&l, target))
		{
			st = delta_log_read_commit_info(a, &l, target, &info, &mtime, err);
			if (st == LAKE_OK)
			{
				ts = info.has_timestamp ? info.timestamp_ms : mtime;
				if (info.commit_info)
					json_decref(info.commit_info);
			}
		}
		else
		{
			delta_log_checkpoint_name(target, cp->num_parts ? 1 : 0, cp->num_parts, name, sizeof(name));
			st = delta_log_file_mtime(&l, name, &ts, err);
		}
	}
	if (st != LAKE_OK)
		goto done;
	if (r.protocol == NULL)
	{
		st = lake_error_set(err, LAKE_ERROR_CORRUPT,
							"the Delta log has no protocol action at or before version %lld", (long long) target);
		goto done;
	}
	if (r.metadata == NULL)
	{
		st = lake_error_set(err, LAKE_ERROR_CORRUPT,
							"the Delta log has no metaData action at or before version %lld", (long long) target);
		goto done;
	}

	snap = lake_alloc0(a, sizeof(DeltaSnapshot), err);
	if (snap == NULL)
	{
		st = LAKE_ERROR_NOMEM;
		goto done;
	}
	snap->version = target;
	snap->timestamp_ms = ts;
	snap->earliest_version = delta_log_earliest_version(&l);
	snap->num_records = -1;
	snap->table_dir = lake_strndup(a, table_dir, strlen(table_dir), err);
	if (snap->table_dir == NULL)
	{
		st = LAKE_ERROR_NOMEM;
		goto done;
	}
	if ((st = build_protocol(a, r.protocol, &snap->protocol, err)) != LAKE_OK)
		goto done;
	if ((st = check_protocol(&snap->protocol, target, err)) != LAKE_OK)
		goto done;
	if ((st = build_metadata(a, r.metadata, &snap->metadata, err)) != LAKE_OK)
		goto done;
	if ((st = build_files(a, &r, snap, allow_dv, flags, err)) != LAKE_OK)
		goto done;
	st = build_txns(a, &r, snap, err);

done:
	replay_free(&r);
	delta_log_listing_free(a, &l);
	if (st != LAKE_OK)
	{
		delta_snapshot_free(a, snap);
		return st;
	}
	*out = snap;
	return LAKE_OK;
}

static void
free_strings(const LakeAllocator *a, char **v, int n)
{
	if (v == NULL)
		return;
	for (int i = 0; i < n; i++)
		lake_free(a, v[i]);
	lake_free(a, v);
}

/* Free the snapshot's files (the snapshot then has none). */
static void
snapshot_free_files(const LakeAllocator *a, DeltaSnapshot *snap)
{
	for (int i = 0; i < snap->num_files; i++)
	{
		lake_free(a, snap->files[i].path);
		lake_free(a, snap->files[i].local_path);
		lake_free(a, snap->files[i].partition_values);
		lake_free(a, snap->files[i].stats);
		lake_free(a, snap->files[i].stats_json);
	}
	lake_free(a, snap->files);
	snap->files = NULL;
	snap->num_files = 0;
}

void
delta_snapshot_free(const LakeAllocator *a, DeltaSnapshot *snap)
{
	DeltaMetadata *m;

	if (snap == NULL)
		return;
	m = &snap->metadata;
	snapshot_free_files(a, snap);
	for (int i = 0; i < snap->num_txns; i++)
		lake_free(a, snap->txns[i].app_id);
	lake_free(a, snap->txns);
	free_strings(a, snap->protocol.reader_features, snap->protocol.num_reader_features);
	free_strings(a, snap->protocol.writer_features, snap->protocol.num_writer_features);
	lake_free(a, m->id);
	lake_free(a, m->name);
	lake_free(a, m->description);
	lake_free(a, m->schema_string);
	delta_columns_free(a, m->columns, m->num_columns);
	free_strings(a, m->partition_columns, m->num_partition_columns);
	lake_free(a, m->partition_column_index);
	for (int i = 0; i < m->num_configuration; i++)
	{
		lake_free(a, m->configuration[i].key);
		lake_free(a, m->configuration[i].value);
	}
	lake_free(a, m->configuration);
	lake_free(a, snap->table_dir);
	lake_free(a, snap);
}

bool
delta_is_table(const char *dir)
{
	char		path[4096];
	struct stat st;

	if (dir == NULL || (size_t) snprintf(path, sizeof(path), "%s/_delta_log", dir) >= sizeof(path))
		return false;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

LakeStatus
delta_snapshot_load(const LakeAllocator *a, const char *table_dir, int64_t version,
					DeltaSnapshot **out, LakeError *err)
{
	return snapshot_load(a, table_dir, version, false, 0, out, err);
}

LakeStatus
delta_snapshot_load_ex(const LakeAllocator *a, const char *table_dir, int64_t version, unsigned flags,
					   DeltaSnapshot **out, LakeError *err)
{
	return snapshot_load(a, table_dir, version, false, flags & ~(unsigned) DELTA_LOAD_ALL_ADDS, out, err);
}

LakeStatus
delta_snapshot_load_metadata(const LakeAllocator *a, const char *table_dir, int64_t version,
							 DeltaSnapshot **out, LakeError *err)
{
	return snapshot_load(a, table_dir, version, true, 0, out, err);
}

/*
 * The files that versions from_version..to_version added with dataChange
 * (what a streaming reader of an append-only table consumes), with the
 * schema of to_version.  Removes in the range are ignored: a file added
 * and later removed is still returned, as long as the commits are in the
 * log.
 */
LakeStatus
delta_changes_load(const LakeAllocator *a, const char *table_dir, int64_t from_version,
				   int64_t to_version, DeltaSnapshot **out, LakeError *err)
{
	return delta_changes_load_ex(a, table_dir, from_version, to_version, 0, out, err);
}

LakeStatus
delta_changes_load_ex(const LakeAllocator *a, const char *table_dir, int64_t from_version,
					  int64_t to_version, unsigned flags, DeltaSnapshot **out, LakeError *err)
{
	DeltaSnapshot *snap = NULL;
	DeltaLogListing l;
	DeltaReplay r;
	LakeStatus	st;

	*out = NULL;
	if (from_version < 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "version %lld is not a valid table version",
							  (long long) from_version);
	/* the base snapshot gives metadata, protocol, txns: its files' statistics are not needed */
	if ((st = snapshot_load(a, table_dir, to_version, false, DELTA_LOAD_SKIP_STATS, &snap, err)) != LAKE_OK)
		return st;
	snapshot_free_files(a, snap);
	snap->num_records = 0;
	if (from_version > snap->version)
	{
		*out = snap;
		return LAKE_OK;
	}
	if ((st = delta_log_list(a, table_dir, &l, err)) != LAKE_OK)
	{
		delta_snapshot_free(a, snap);
		return st;
	}
	replay_init(&r, a);
	r.changes_only = true;
	r.all_adds = (flags & DELTA_LOAD_ALL_ADDS) != 0;
	for (int64_t v = from_version; v <= snap->version && st == LAKE_OK; v++)
	{
		int64_t		mtime = 0;

		if (!delta_log_has_commit(&l, v))
		{
			st = lake_error_set(err, LAKE_ERROR_INVALID,
								"the commit of version %lld is no longer in the log: changes can only be read from versions whose commits are kept",
								(long long) v);
			break;
		}
		st = replay_commit(a, &l, &r, v, &mtime, err);
	}
	if (st == LAKE_OK)
		st = build_files(a, &r, snap, false, flags, err);
	replay_free(&r);
	delta_log_listing_free(a, &l);
	if (st != LAKE_OK)
	{
		delta_snapshot_free(a, snap);
		return st;
	}
	*out = snap;
	return LAKE_OK;
}
