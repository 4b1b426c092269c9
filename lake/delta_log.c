/*
 * delta_log.c
 *	  The files of _delta_log: listing commits (NNNNNNNNNNNNNNNNNNNN.json)
 *	  and classic checkpoints (single NNN.checkpoint.parquet and multi-part
 *	  NNN.checkpoint.OOOOOOOOOO.PPPPPPPPPP.parquet, incomplete sets ignored),
 *	  _last_checkpoint as a hint checked against the listing, planning which
 *	  checkpoint and commits rebuild a version (gaps are CORRUPT, versions
 *	  out of range INVALID with the readable range), reading log files, and
 *	  a commit's commitInfo.
 */
#include "delta_internal.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

typedef struct PartFile
{
	int64_t		version;
	int64_t		part;
	int64_t		num_parts;
	uint64_t	bytes;
} PartFile;

/* A growable array in allocator memory. */
typedef struct Vec
{
	void	   *data;
	size_t		len;
	size_t		cap;
	size_t		elem;
} Vec;

static LakeStatus
vec_push(const LakeAllocator *a, Vec *v, const void *item, LakeError *err)
{
	if (v->len == v->cap)
	{
		size_t		ncap = v->cap ? v->cap * 2 : 64;
		void	   *n = lake_alloc_array(a, ncap, v->elem, err);

		if (n == NULL)
			return LAKE_ERROR_NOMEM;
		if (v->len)
			memcpy(n, v->data, v->len * v->elem);
		lake_free(a, v->data);
		v->data = n;
		v->cap = ncap;
	}
	memcpy((char *) v->data + v->len * v->elem, item, v->elem);
	v->len++;
	return LAKE_OK;
}

/* n digits exactly, value <= INT64_MAX */
static bool
parse_digits(const char *s, int n, int64_t *out)
{
	uint64_t	v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return false;
		if (v > (uint64_t) (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (uint64_t) (s[i] - '0');
	}
	*out = (int64_t) v;
	return true;
}

static bool
is_uuid_like(const char *s, size_t n)
{
	if (n < 8)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f') ||
			  (s[i] >= 'A' && s[i] <= 'F') || s[i] == '-'))
			return false;
	return true;
}

static int
cmp_int64(const void *x, const void *y)
{
	int64_t		a = *(const int64_t *) x,
				b = *(const int64_t *) y;

	return a < b ? -1 : a > b;
}

static int
cmp_part(const void *x, const void *y)
{
	const PartFile *a = x,
			   *b = y;

	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	if (a->num_parts != b->num_parts)
		return a->num_parts < b->num_parts ? -1 : 1;
	return a->part < b->part ? -1 : a->part > b->part;
}

void
delta_log_commit_name(int64_t version, char *buf, size_t size)
{
	snprintf(buf, size, "%020lld.json", (long long) version);
}

void
delta_log_checkpoint_name(int64_t version, int part, int num_parts, char *buf, size_t size)
{
	if (num_parts == 0)
		snprintf(buf, size, "%020lld.checkpoint.parquet", (long long) version);
	else
		snprintf(buf, size, "%020lld.checkpoint.%010d.%010d.parquet", (long long) version, part,
				 num_parts);
}

static char *
join_path(const LakeAllocator *a, const char *dir, const char *name, LakeError *err)
{
	size_t		dl = strlen(dir),
				nl = strlen(name);
	char	   *p = lake_alloc(a, dl + nl + 2, err);

	if (p == NULL)
		return NULL;
	memcpy(p, dir, dl);
	p[dl] = '/';
	memcpy(p + dl + 1, name, nl + 1);
	return p;
}

LakeStatus
delta_log_file_mtime(const DeltaLogListing *l, const char *name, int64_t *mtime_ms, LakeError *err)
{
	char		path[4096];
	struct stat st;

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", l->log_dir, name) >= sizeof(path))
		return lake_error_set(err, LAKE_ERROR_INVALID, "path of \"%s\" is too long", name);
	if (stat(path, &st) != 0)
		return lake_error_set_errno(err, errno, "could not stat \"%s\"", path);
	*mtime_ms = (int64_t) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	return LAKE_OK;
}

LakeStatus
delta_log_read_file(const LakeAllocator *a, const DeltaLogListing *l, const char *name,
					size_t max_bytes, char **data, size_t *len, int64_t *mtime_ms, LakeError *err)
{
	char		path[4096];
	struct stat st;
	int			fd;
	char	   *buf;
	size_t		size,
				got = 0;

	*data = NULL;
	*len = 0;
	if ((size_t) snprintf(path, sizeof(path), "%s/%s", l->log_dir, name) >= sizeof(path))
		return lake_error_set(err, LAKE_ERROR_INVALID, "path of \"%s\" is too long", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lake_error_set_errno(err, errno, "could not open \"%s\"", path);
	if (fstat(fd, &st) != 0)
	{
		int			e = errno;

		close(fd);
		return lake_error_set_errno(err, e, "could not stat \"%s\"", path);
	}
	if (!S_ISREG(st.st_mode))
	{
		close(fd);
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "\"%s\" is not a regular file", path);
	}
	if ((uint64_t) st.st_size > max_bytes)
	{
		close(fd);
		return lake_error_set(err, LAKE_ERROR_LIMIT, "delta log file \"%s\" has %lld bytes, more than %zu",
							  name, (long long) st.st_size, max_bytes);
	}
	size = (size_t) st.st_size;
	if (mtime_ms)
		*mtime_ms = (int64_t) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	/* sized by the bytes that exist, bounded above */
	buf = lake_alloc(a, size + 1, err);
	if (buf == NULL)
	{
		close(fd);
		return LAKE_ERROR_NOMEM;
	}
	while (got < size)
	{
		ssize_t		n = read(fd, buf + got, size - got);

		if (n < 0)
		{
			int			e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			lake_free(a, buf);
			return lake_error_set_errno(err, e, "could not read \"%s\"", path);
		}
		if (n == 0)
			break;				/* shrank meanwhile: take what is there */
		got += (size_t) n;
	}
	close(fd);
	buf[got] = '\0';
	*data = buf;
	*len = got;
	return LAKE_OK;
}

LakeStatus
delta_log_for_each_line(const char *data, size_t len, DeltaLineFn fn, void *ctx, LakeError *err)
{
	size_t		pos = 0;
	int64_t		lineno = 0;

	while (pos < len)
	{
		const char *nl = memchr(data + pos, '\n', len - pos);
		size_t		end = nl ? (size_t) (nl - data) : len;
		size_t		s = pos,
					e = end;
		LakeStatus	st;

		lineno++;
		while (s < e && (data[s] == ' ' || data[s] == '\t' || data[s] == '\r'))
			s++;
		while (e > s && (data[e - 1] == ' ' || data[e - 1] == '\t' || data[e - 1] == '\r'))
			e--;
		if (e > s && (st = fn(ctx, data + s, e - s, lineno, err)) != LAKE_OK)
			return st;
		pos = end + 1;
	}
	return LAKE_OK;
}

/* _last_checkpoint: absent, unreadable or not JSON is just no hint. */
static void
read_last_checkpoint(const LakeAllocator *a, DeltaLogListing *l)
{
	char	   *data;
	size_t		len;
	LakeError	e;
	json_t	   *j;
	json_t	   *v;
	DeltaLastCheckpoint *lc = &l->last_checkpoint;

	l->has_last_checkpoint = false;
	if (delta_log_read_file(a, l, "_last_checkpoint", DELTA_MAX_LAST_CHECKPOINT_BYTES, &data, &len,
							NULL, &e) != LAKE_OK)
		return;
	j = json_loadb(data, len, 0, NULL);
	lake_free(a, data);
	if (j == NULL)
		return;
	memset(lc, 0, sizeof(*lc));
	v = json_object_get(j, "version");
	if (!json_is_integer(v) || json_integer_value(v) < 0)
	{
		json_decref(j);
		return;
	}
	lc->version = json_integer_value(v);
	v = json_object_get(j, "size");
	lc->size = json_is_integer(v) ? json_integer_value(v) : -1;
	v = json_object_get(j, "parts");
	if (json_is_integer(v))
	{
		lc->has_parts = true;
		lc->parts = json_integer_value(v);
	}
	v = json_object_get(j, "sizeInBytes");
	if (json_is_integer(v))
	{
		lc->has_size_in_bytes = true;
		lc->size_in_bytes = json_integer_value(v);
	}
	v = json_object_get(j, "numOfAddFiles");
	if (json_is_integer(v))
	{
		lc->has_num_add_files = true;
		lc->num_add_files = json_integer_value(v);
	}
	json_decref(j);
	l->has_last_checkpoint = true;
}

/*
 * Check _last_checkpoint against the listing.  parts lists every
 * (version, part, of) seen, sorted.
 */
static LakeStatus
check_last_checkpoint(DeltaLogListing *l, const PartFile *parts, size_t nparts, LakeError *err)
{
	DeltaLastCheckpoint *lc = &l->last_checkpoint;
	const DeltaCheckpointRef *cp = NULL;
	bool		any_part = false;
	char		name[64];
	int64_t		want_parts = lc->has_parts ? lc->parts : 0;

	if (!l->has_last_checkpoint)
		return LAKE_OK;
	for (int i = 0; i < l->num_checkpoints; i++)
		if (l->checkpoints[i].version == lc->version)
			cp = &l->checkpoints[i];
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].version == lc->version)
			any_part = true;
	if (cp == NULL && !any_part)
	{
		/* names a checkpoint that is not there (cleaned up, or never written): fall back to listing */
		l->has_last_checkpoint = false;
		return LAKE_OK;
	}
	delta_log_checkpoint_name(lc->version, 0, 0, name, sizeof(name));
	if (want_parts == 1)
		want_parts = 0;			/* "parts": 1 is a single file too */
	if (cp == NULL || cp->num_parts != want_parts)
	{
		/* the checkpoint exists but not in the shape _last_checkpoint states */
		if (want_parts > 0)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "_last_checkpoint names a checkpoint of version %lld in %lld parts, but _delta_log holds %s",
								  (long long) lc->version, (long long) want_parts,
								  cp ? (cp->num_parts == 0 ? "a single-file checkpoint" : "a checkpoint with another number of parts")
								  : "an incomplete set of parts");
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "_last_checkpoint names the single-file checkpoint \"%s\", but _delta_log holds %s for version %lld",
							  name, cp ? "a multi-part checkpoint" : "only an incomplete multi-part checkpoint",
							  (long long) lc->version);
	}
	if (lc->has_size_in_bytes && (uint64_t) lc->size_in_bytes != cp->total_bytes)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "_last_checkpoint says the checkpoint of version %lld has %lld bytes, but its file%s \"%s\"%s ha%s %llu",
							  (long long) lc->version, (long long) lc->size_in_bytes,
							  cp->num_parts ? "s" : "", name, cp->num_parts ? " and its other parts" : "",
							  cp->num_parts ? "ve" : "s", (unsigned long long) cp->total_bytes);
	return LAKE_OK;
}

LakeStatus
delta_log_list(const LakeAllocator *a, const char *table_dir, DeltaLogListing *out, LakeError *err)
{
	DIR		   *d;
	struct dirent *de;
	Vec			commits = {.elem = sizeof(int64_t)};
	Vec			singles = {.elem = sizeof(PartFile)};
	Vec			parts = {.elem = sizeof(PartFile)};
	Vec			uuids = {.elem = sizeof(int64_t)};
	Vec			cps = {.elem = sizeof(DeltaCheckpointRef)};
	LakeStatus	st = LAKE_OK;
	size_t		i;

	memset(out, 0, sizeof(*out));
	out->log_dir = join_path(a, table_dir, "_delta_log", err);
	if (out->log_dir == NULL)
		return LAKE_ERROR_NOMEM;
	d = opendir(out->log_dir);
	if (d == NULL)
	{
		int			e = errno;

		st = lake_error_set_errno(err, e, "could not open the Delta log directory \"%s\"", out->log_dir);
		lake_free(a, out->log_dir);
		out->log_dir = NULL;
		return st;
	}
	while ((de = readdir(d)) != NULL)
	{
		const char *n = de->d_name;
		size_t		nl = strlen(n);
		int64_t		v;

		if (nl < 25 || !parse_digits(n, 20, &v) || n[20] != '.')
			continue;
		if (nl == 25 && strcmp(n + 20, ".json") == 0)
			st = vec_push(a, &commits, &v, err);
		else if (strncmp(n + 20, ".checkpoint.", 12) == 0)
		{
			const char *rest = n + 32;
			size_t		rl = nl - 32;
			PartFile	pf = {.version = v};
			struct stat sb;
			char		path[4096];

			if (strcmp(rest, "parquet") == 0)
			{
				pf.part = 1;
				pf.num_parts = 0;
			}
			else if (rl == 29 && rest[10] == '.' && strcmp(rest + 21, ".parquet") == 0 &&
					 parse_digits(rest, 10, &pf.part) && parse_digits(rest + 11, 10, &pf.num_parts))
			{
				if (pf.num_parts < 1 || pf.part < 1 || pf.part > pf.num_parts || pf.num_parts > 100000)
					continue;
			}
			else
			{
				/* V2 UUID-named checkpoint: noted, not read */
				const char *dot = strrchr(rest, '.');

				if (dot && (strcmp(dot, ".json") == 0 || strcmp(dot, ".parquet") == 0) &&
					is_uuid_like(rest, (size_t) (dot - rest)))
					st = vec_push(a, &uuids, &v, err);
				if (st != LAKE_OK)
					break;
				continue;
			}
			if ((size_t) snprintf(path, sizeof(path), "%s/%s", out->log_dir, n) < sizeof(path) &&
				stat(path, &sb) == 0 && S_ISREG(sb.st_mode))
				pf.bytes = (uint64_t) sb.st_size;
			else
				continue;
			st = vec_push(a, pf.num_parts == 0 ? &singles : &parts, &pf, err);
		}
		if (st != LAKE_OK)
			break;
	}
	closedir(d);
	if (st != LAKE_OK)
		goto fail;

	if (commits.len > 1)
		qsort(commits.data, commits.len, sizeof(int64_t), cmp_int64);
	if (singles.len > 1)
		qsort(singles.data, singles.len, sizeof(PartFile), cmp_part);
	if (parts.len > 1)
		qsort(parts.data, parts.len, sizeof(PartFile), cmp_part);
	if (uuids.len > 1)
		qsort(uuids.data, uuids.len, sizeof(int64_t), cmp_int64);

	/* complete checkpoints, one per version (a single file wins) */
	{
		const PartFile *s = singles.data;
		const PartFile *p = parts.data;
		size_t		si = 0,
					pi = 0;

		while (si < singles.len || pi < parts.len)
		{
			DeltaCheckpointRef ref = {0};
			bool		have = false;
			int64_t		v;

			v = (si < singles.len && (pi >= parts.len || s[si].version <= p[pi].version))
				? s[si].version : p[pi].version;
			if (si < singles.len && s[si].version == v)
			{
				ref.version = v;
				ref.num_parts = 0;
				ref.total_bytes = s[si].bytes;
				have = true;
				while (si < singles.len && s[si].version == v)
					si++;
			}
			/* each group (version, num_parts): complete when parts 1..n are all there */
			while (pi < parts.len && p[pi].version == v)
			{
				size_t		g = pi;
				int64_t		np = p[pi].num_parts;
				int64_t		expect = 1;
				uint64_t	bytes = 0;
				bool		complete = true;

				while (g < parts.len && p[g].version == v && p[g].num_parts == np)
				{
					if (p[g].part == expect)
					{
						expect++;
						bytes += p[g].bytes;
					}
					else if (p[g].part > expect)
						complete = false;
					g++;
				}
				if (expect != np + 1)
					complete = false;
				if (complete && !have)
				{
					ref.version = v;
					ref.num_parts = (int) np;
					ref.total_bytes = bytes;
					have = true;
				}
				pi = g;
			}
			if (have && (st = vec_push(a, &cps, &ref, err)) != LAKE_OK)
				goto fail;
		}
	}

	/* unique commits */
	{
		int64_t    *c = commits.data;
		size_t		k = 0;

		for (i = 0; i < commits.len; i++)
			if (k == 0 || c[k - 1] != c[i])
				c[k++] = c[i];
		commits.len = k;
	}
	out->commits = commits.data;
	out->num_commits = (int) commits.len;
	out->checkpoints = cps.data;
	out->num_checkpoints = (int) cps.len;
	out->uuid_checkpoints = uuids.data;
	out->num_uuid_checkpoints = (int) uuids.len;
	commits.data = cps.data = uuids.data = NULL;
	if (commits.len > INT32_MAX || cps.len > INT32_MAX)
	{
		st = lake_error_set(err, LAKE_ERROR_LIMIT, "_delta_log holds too many files");
		goto fail;
	}

	read_last_checkpoint(a, out);
	if ((st = check_last_checkpoint(out, parts.data, parts.len, err)) != LAKE_OK)
		goto fail;
	lake_free(a, singles.data);
	lake_free(a, parts.data);
	return LAKE_OK;

fail:
	lake_free(a, commits.data);
	lake_free(a, singles.data);
	lake_free(a, parts.data);
	lake_free(a, uuids.data);
	lake_free(a, cps.data);
	delta_log_listing_free(a, out);
	return st;
}

void
delta_log_listing_free(const LakeAllocator *a, DeltaLogListing *l)
{
	lake_free(a, l->log_dir);
	lake_free(a, l->commits);
	lake_free(a, l->checkpoints);
	lake_free(a, l->uuid_checkpoints);
	memset(l, 0, sizeof(*l));
}

int64_t
delta_log_latest_version(const DeltaLogListing *l)
{
	int64_t		v = -1;

	if (l->num_commits > 0)
		v = l->commits[l->num_commits - 1];
	if (l->num_checkpoints > 0 && l->checkpoints[l->num_checkpoints - 1].version > v)
		v = l->checkpoints[l->num_checkpoints - 1].version;
	return v;
}

bool
delta_log_has_commit(const DeltaLogListing *l, int64_t version)
{
	int			lo = 0,
				hi = l->num_commits;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (l->commits[mid] < version)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < l->num_commits && l->commits[lo] == version;
}

int64_t
delta_log_earliest_version(const DeltaLogListing *l)
{
	if (delta_log_has_commit(l, 0))
		return 0;
	if (l->num_checkpoints > 0)
		return l->checkpoints[0].version;
	return -1;
}

LakeStatus
delta_log_plan(const DeltaLogListing *l, int64_t version, const DeltaCheckpointRef **checkpoint,
			   int64_t *target, LakeError *err)
{
	int64_t		latest = delta_log_latest_version(l);
	int64_t		earliest = delta_log_earliest_version(l);
	const DeltaCheckpointRef *cp = NULL;
	int64_t		start;
	int			lo,
				hi;

	*checkpoint = NULL;
	if (latest < 0)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "the Delta log \"%s\" holds no commit and no checkpoint", l->log_dir);
	if (version == -1)
		version = latest;
	if (version < 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "version %lld is not a valid table version",
							  (long long) version);
	if (version > latest)
	{
		if (earliest >= 0)
			return lake_error_set(err, LAKE_ERROR_INVALID,
								  "version %lld does not exist: the latest version is %lld, and versions %lld to %lld can be read",
								  (long long) version, (long long) latest, (long long) earliest,
								  (long long) latest);
		return lake_error_set(err, LAKE_ERROR_INVALID,
							  "version %lld does not exist: the latest version is %lld",
							  (long long) version, (long long) latest);
	}
	for (int i = l->num_checkpoints - 1; i >= 0; i--)
		if (l->checkpoints[i].version <= version)
		{
			cp = &l->checkpoints[i];
			break;
		}
	if (cp == NULL && !delta_log_has_commit(l, 0))
	{
		for (int i = l->num_uuid_checkpoints - 1; i >= 0; i--)
			if (l->uuid_checkpoints[i] <= version)
				return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
									  "version %lld can only be reconstructed from a UUID-named checkpoint (reader feature v2Checkpoint), which is not supported",
									  (long long) version);
		if (earliest >= 0)
			return lake_error_set(err, LAKE_ERROR_INVALID,
								  "version %lld cannot be reconstructed: no checkpoint at or below it and no commit 0 (it was cleaned up); versions %lld to %lld can be read",
								  (long long) version, (long long) earliest, (long long) latest);
		return lake_error_set(err, LAKE_ERROR_INVALID,
							  "version %lld cannot be reconstructed: no checkpoint at or below it and no commit 0",
							  (long long) version);
	}
	/* every commit after the checkpoint up to version must be there */
	start = cp ? cp->version + 1 : 0;
	lo = 0;
	hi = l->num_commits;
	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (l->commits[mid] < start)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (int64_t v = start; v <= version; v++, lo++)
	{
		if (lo >= l->num_commits || l->commits[lo] != v)
		{
			char		name[64];

			delta_log_commit_name(v, name, sizeof(name));
			if (v > 0 && lo < l->num_commits)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "the Delta log has a gap: commit file \"%s\" (version %lld) is missing although version %lld exists, so version %lld cannot be reconstructed",
									  name, (long long) v, (long long) l->commits[lo], (long long) version);
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "the Delta log has a gap: commit file \"%s\" (version %lld) is missing, so version %lld cannot be reconstructed",
								  name, (long long) v, (long long) version);
		}
	}
	*checkpoint = cp;
	*target = version;
	return LAKE_OK;
}

/* ---- commitInfo ---- */

/* The first key of a line's top-level object, without a tree. */
static bool
first_key_is(const char *line, size_t len, const char *key)
{
	DeltaScan	s;
	DeltaTok	t;
	DeltaTok	k;
	bool		first = true;
	bool		done;
	size_t		kl = strlen(key);

	delta_scan_init(&s, line, len);
	if (!delta_scan_value(&s, &t) || t.kind != DELTA_TOK_OBJECT)
		return true;			/* let the parser report it */
	if (!delta_scan_member(&s, &first, &k, &done) || done)
		return true;
	return k.escaped || (k.len == kl && memcmp(k.start, key, kl) == 0);
}

typedef struct CommitInfoScan
{
	const char *file;
	json_t	   *found;
} CommitInfoScan;

static LakeStatus
commit_info_line(void *ctx, const char *line, size_t len, int64_t lineno, LakeError *err)
{
	CommitInfoScan *c = ctx;
	DeltaWhere	w = {c->file, lineno, false};
	json_t	   *j;
	json_t	   *ci;
	LakeStatus	st;

	if (c->found != NULL || !first_key_is(line, len, "commitInfo"))
		return LAKE_OK;
	if ((st = delta_json_load(line, len, &w, &j, err)) != LAKE_OK)
		return st;
	ci = json_object_get(j, "commitInfo");
	if (json_is_object(ci))
	{
		json_incref(ci);
		c->found = ci;
	}
	json_decref(j);
	return LAKE_OK;
}

/* Read up to max bytes of the head of a log file. */
static LakeStatus
read_head(const DeltaLogListing *l, const char *name, char *buf, size_t max, size_t *got,
		  uint64_t *file_size, int64_t *mtime_ms, LakeError *err)
{
	char		path[4096];
	struct stat st;
	int			fd;

	*got = 0;
	if ((size_t) snprintf(path, sizeof(path), "%s/%s", l->log_dir, name) >= sizeof(path))
		return lake_error_set(err, LAKE_ERROR_INVALID, "path of \"%s\" is too long", name);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return lake_error_set_errno(err, errno, "could not open \"%s\"", path);
	if (fstat(fd, &st) != 0)
	{
		int			e = errno;

		close(fd);
		return lake_error_set_errno(err, e, "could not stat \"%s\"", path);
	}
	if (!S_ISREG(st.st_mode))
	{
		close(fd);
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "\"%s\" is not a regular file", path);
	}
	*file_size = (uint64_t) st.st_size;
	if (mtime_ms)
		*mtime_ms = (int64_t) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000;
	while (*got < max)
	{
		ssize_t		n = read(fd, buf + *got, max - *got);

		if (n < 0)
		{
			int			e = errno;

			if (e == EINTR)
				continue;
			close(fd);
			return lake_error_set_errno(err, e, "could not read \"%s\"", path);
		}
		if (n == 0)
			break;
		*got += (size_t) n;
	}
	close(fd);
	return LAKE_OK;
}

#define COMMIT_HEAD_BYTES 65536

LakeStatus
delta_log_read_commit_info(const LakeAllocator *a, const DeltaLogListing *l, int64_t version,
						   DeltaCommitInfo *info, int64_t *mtime_ms, LakeError *err)
{
	char		name[64];
	char	   *data;
	size_t		len;
	CommitInfoScan c = {name, NULL};
	LakeStatus	st;
	json_t	   *v;
	uint64_t	file_size = 0;

	memset(info, 0, sizeof(*info));
	delta_log_commit_name(version, name, sizeof(name));

	/*
	 * commitInfo is almost always among the first lines: look at the
	 * complete lines of the head first, and read the whole file only when
	 * it is not there.
	 */
	data = lake_alloc(a, COMMIT_HEAD_BYTES, err);
	if (data == NULL)
		return LAKE_ERROR_NOMEM;
	st = read_head(l, name, data, COMMIT_HEAD_BYTES, &len, &file_size, mtime_ms, err);
	if (st == LAKE_OK)
	{
		size_t		complete = len;

		if (len < file_size)
		{
			/* only whole lines */
			while (complete > 0 && data[complete - 1] != '\n')
				complete--;
		}
		st = delta_log_for_each_line(data, complete, commit_info_line, &c, err);
	}
	lake_free(a, data);
	if (st == LAKE_OK && c.found == NULL && len < file_size)
	{
		if ((st = delta_log_read_file(a, l, name, DELTA_MAX_LOG_FILE_BYTES, &data, &len, mtime_ms, err)) != LAKE_OK)
			return st;
		st = delta_log_for_each_line(data, len, commit_info_line, &c, err);
		lake_free(a, data);
	}
	if (st != LAKE_OK)
	{
		if (c.found)
			json_decref(c.found);
		return st;
	}
	if (c.found)
	{
		v = json_object_get(c.found, "inCommitTimestamp");
		if (!json_is_integer(v))
			v = json_object_get(c.found, "timestamp");
		if (json_is_integer(v))
		{
			info->has_timestamp = true;
			info->timestamp_ms = json_integer_value(v);
		}
	}
	info->commit_info = c.found;
	return LAKE_OK;
}
