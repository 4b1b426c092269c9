/*
 * delta_maintenance.c
 *	  Keeping a Delta table's storage in check: retention settings ("interval
 *	  <n> <unit>" text of delta.deletedFileRetentionDuration and
 *	  delta.logRetentionDuration), the VACUUM plan (a walk of the table
 *	  directory against the files the retention window needs) and its
 *	  execution, the cleanup of expired commits and checkpoints in
 *	  _delta_log (PROTOCOL.md, Metadata Cleanup), and the RESTORE plan (the
 *	  difference between the latest snapshot and an older one).
 *
 * The log is read through the snapshot reader and delta_log.c, so a corrupt
 * or incomplete log is an error before anything is deleted.  The clock is
 * the caller's (now_ms): tests and the extension decide what "now" is.
 */
#define _GNU_SOURCE
#include "delta_internal.h"
#include "delta_write_internal.h"
#include "lake/delta_maintenance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* Directory nesting VACUUM walks (partition columns are far fewer). */
#define VACUUM_MAX_DEPTH 64
#define MAINT_PATH_MAX 4096

/* ------------------------------------------------------------ retention */

typedef struct IntervalUnit
{
	const char *name;			/* singular; the plural adds an 's' */
	int64_t		ns;				/* nanoseconds per unit */
} IntervalUnit;

static const IntervalUnit interval_units[] = {
	{"nanosecond", 1},
	{"microsecond", 1000},
	{"millisecond", 1000000},
	{"second", 1000000000LL},
	{"minute", 60LL * 1000000000LL},
	{"hour", 3600LL * 1000000000LL},
	{"day", 86400LL * 1000000000LL},
	{"week", 7LL * 86400LL * 1000000000LL},
	{NULL, 0}
};

static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static LakeStatus
interval_error(const char *key, const char *text, const char *why, LakeError *err)
{
	return lake_error_set(err, LAKE_ERROR_INVALID,
						  "%s = \"%.200s\" is not a valid interval: %s (expected \"interval <n> <unit>\" with unit nanoseconds, microseconds, milliseconds, seconds, minutes, hours, days or weeks)",
						  key ? key : "interval", text, why);
}

LakeStatus
delta_interval_parse_ms(const char *key, const char *text, int64_t *out, LakeError *err)
{
	const char *p = text;
	int64_t		total_ms = 0;
	int64_t		rem_ns = 0;		/* below a millisecond, carried */
	int			components = 0;

	*out = 0;
	if (text == NULL)
		return interval_error(key, "", "it is null", err);
	while (is_space(*p))
		p++;
	if (strncasecmp(p, "interval", 8) == 0 && (is_space(p[8]) || p[8] == '\0'))
		p += 8;
	for (;;)
	{
		uint64_t	n = 0;
		const char *word;
		size_t		wl;
		const IntervalUnit *u;

		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		if (*p < '0' || *p > '9')
			return interval_error(key, text, *p == '-' ? "it is negative" : "a number is missing", err);
		while (*p >= '0' && *p <= '9')
		{
			if (n > (UINT64_MAX - 9) / 10)
				return interval_error(key, text, "a number is too large", err);
			n = n * 10 + (uint64_t) (*p - '0');
			p++;
		}
		while (is_space(*p))
			p++;
		word = p;
		while (is_alpha(*p))
			p++;
		wl = (size_t) (p - word);
		if (wl == 0)
			return interval_error(key, text, "a unit is missing", err);
		for (u = interval_units; u->name != NULL; u++)
		{
			size_t		nl = strlen(u->name);

			if ((wl == nl || (wl == nl + 1 && (word[nl] == 's' || word[nl] == 'S'))) &&
				strncasecmp(word, u->name, nl) == 0)
				break;
		}
		if (u->name == NULL)
			return interval_error(key, text, "the unit is unknown or has no fixed length (months, years)", err);
		{
			/* whole milliseconds of n units, and the nanoseconds left (below 1 ms) */
			uint64_t	whole,
						rest;

			if (u->ns >= 1000000)
			{
				uint64_t	per = (uint64_t) (u->ns / 1000000);

				if (n > (uint64_t) INT64_MAX / per)
					return interval_error(key, text, "it is too long", err);
				whole = n * per;
				rest = 0;
			}
			else
			{
				uint64_t	per_ms = (uint64_t) (1000000 / u->ns);

				whole = n / per_ms;
				rest = (n % per_ms) * (uint64_t) u->ns;
			}
			rem_ns += (int64_t) rest;
			whole += (uint64_t) (rem_ns / 1000000);
			rem_ns %= 1000000;
			if (whole > (uint64_t) (INT64_MAX - total_ms))
				return interval_error(key, text, "it is too long", err);
			total_ms += (int64_t) whole;
		}
		components++;
		if (*p != '\0' && !is_space(*p))
			return interval_error(key, text, "unexpected text after a unit", err);
	}
	if (components == 0)
		return interval_error(key, text, "it names no length", err);
	*out = total_ms;
	return LAKE_OK;
}

static const char *
config_value(const DeltaMetadata *md, const char *key)
{
	for (int i = 0; md != NULL && i < md->num_configuration; i++)
		if (md->configuration[i].key != NULL && strcmp(md->configuration[i].key, key) == 0)
			return md->configuration[i].value;
	return NULL;
}

LakeStatus
delta_config_interval_ms(const DeltaMetadata *md, const char *key, int64_t default_ms, int64_t *out,
						 LakeError *err)
{
	const char *v = config_value(md, key);

	if (v == NULL)
	{
		*out = default_ms;
		return LAKE_OK;
	}
	return delta_interval_parse_ms(key, v, out, err);
}

LakeStatus
delta_config_bool(const DeltaMetadata *md, const char *key, bool default_value, bool *out,
				  LakeError *err)
{
	const char *v = config_value(md, key);
	size_t		s = 0,
				e;

	*out = default_value;
	if (v == NULL)
		return LAKE_OK;
	e = strlen(v);
	while (s < e && is_space(v[s]))
		s++;
	while (e > s && is_space(v[e - 1]))
		e--;
	if (e - s == 4 && strncasecmp(v + s, "true", 4) == 0)
		*out = true;
	else if (e - s == 5 && strncasecmp(v + s, "false", 5) == 0)
		*out = false;
	else
		return lake_error_set(err, LAKE_ERROR_INVALID, "%s = \"%.200s\" is not a boolean (true or false)",
							  key, v);
	return LAKE_OK;
}

/* ---------------------------------------------------- commit timestamps */

static LakeStatus
check_clock(int64_t now_ms, int64_t retain_ms, int64_t *cutoff, LakeError *err)
{
	if (retain_ms < 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "the retention must not be negative (got %lld ms)",
							  (long long) retain_ms);
	if (now_ms < INT64_MIN + retain_ms)
		return lake_error_set(err, LAKE_ERROR_INVALID, "the retention of %lld ms reaches before any time",
							  (long long) retain_ms);
	*cutoff = now_ms - retain_ms;
	return LAKE_OK;
}

/*
 * Walk the commit timestamps ascending (made monotonic over the commit
 * files, as delta_commit_timestamps does) until the first after cutoff:
 * *at_or_before gets the newest commit >= min_version committed at or
 * before cutoff (-1: none), *first_after the first committed after it
 * (-1: none).  Only the commits up to that one are read.
 */
typedef struct CommitScan
{
	int64_t		cutoff;
	int64_t		min_version;
	int64_t		at_or_before;
	int64_t		first_after;
} CommitScan;

static LakeStatus
scan_commit(void *ctx, int64_t version, int64_t ts, const json_t *commit_info, bool *stop, LakeError *err)
{
	CommitScan *c = ctx;

	if (ts > c->cutoff)
	{
		c->first_after = version;
		*stop = true;
	}
	else if (version >= c->min_version)
		c->at_or_before = version;
	return LAKE_OK;
}

static LakeStatus
scan_commit_times(const LakeAllocator *a, const DeltaLogListing *l, int64_t cutoff, int64_t min_version,
				  int64_t *at_or_before, int64_t *first_after, LakeError *err)
{
	CommitScan	c = {cutoff, min_version, -1, -1};
	LakeStatus	st = delta_log_for_each_commit(a, l, scan_commit, &c, err);

	*at_or_before = c.at_or_before;
	*first_after = c.first_after;
	return st;
}

static int64_t
mtime_ms_of(const struct stat *sb)
{
	return (int64_t) sb->st_mtim.tv_sec * 1000 + sb->st_mtim.tv_nsec / 1000000;
}

/* --------------------------------------------------------------- VACUUM */

static bool
is_hidden(const char *name)
{
	return name[0] == '_' || name[0] == '.';
}

/*
 * A data file's local path (DeltaAddFile.local_path) as a canonical path
 * relative to the table directory, rewritten in place (never longer): '.'
 * and empty components dropped, '..' resolved.  An absolute path counts
 * when it lies under root (as given, or its realpath).  NULL: outside the
 * table, so no file the walk meets.
 */
static char *
canonical_relative(char *path, const char *root, const char *root_real)
{
	const char *src = path;
	char	   *out = path;
	size_t		o = 0;

	if (path[0] == '/')
	{
		const char *roots[2] = {root, root_real};
		bool		under = false;

		for (int i = 0; i < 2 && !under; i++)
		{
			size_t		n;

			if (roots[i] == NULL || roots[i][0] != '/')
				continue;
			n = strlen(roots[i]);
			while (n > 1 && roots[i][n - 1] == '/')
				n--;
			if (n == 1)
			{
				src = path + 1;
				under = true;
			}
			else if (strncmp(path, roots[i], n) == 0 && path[n] == '/')
			{
				src = path + n + 1;
				under = true;
			}
		}
		if (!under)
			return NULL;
	}
	while (*src != '\0')
	{
		const char *slash = strchr(src, '/');
		size_t		len = slash ? (size_t) (slash - src) : strlen(src);

		if (len == 0 || (len == 1 && src[0] == '.'))
		{
			/* an empty or "." component says nothing */
		}
		else if (len == 2 && src[0] == '.' && src[1] == '.')
		{
			if (o == 0)
				return NULL;
			while (o > 0 && out[o - 1] != '/')
				o--;
			if (o > 0)
				o--;			/* the separator */
		}
		else
		{
			if (o > 0)
				out[o++] = '/';
			memmove(out + o, src, len);
			o += len;
		}
		src += len;
		if (*src == '/')
			src++;
	}
	out[o] = '\0';
	return o > 0 ? out : NULL;
}

static int
cmp_str_ptr(const void *x, const void *y)
{
	return strcmp(*(const char *const *) x, *(const char *const *) y);
}

static int
cmp_vacuum_file(const void *x, const void *y)
{
	return strcmp(((const DeltaVacuumFile *) x)->path, ((const DeltaVacuumFile *) y)->path);
}

typedef struct VacuumWalk
{
	const LakeAllocator *a;
	DeltaVacuumPlan *plan;
	int			cap_files;
	const char **needed;		/* canonical relative paths, sorted (borrowed) */
	size_t		num_needed;
	int64_t		cutoff;
	char		rel[MAINT_PATH_MAX];	/* the path being walked, relative */
} VacuumWalk;

static LakeStatus
vacuum_take(VacuumWalk *w, size_t rel_len, const struct stat *sb, LakeError *err)
{
	DeltaVacuumPlan *p = w->plan;
	DeltaVacuumFile *f;

	if (p->num_files == w->cap_files)
	{
		int			ncap = w->cap_files ? w->cap_files * 2 : 64;
		DeltaVacuumFile *n;

		if (w->cap_files > INT32_MAX / 2)
			return lake_error_set(err, LAKE_ERROR_LIMIT, "too many files to vacuum in \"%s\"", p->table_dir);
		n = lake_alloc_array(w->a, (size_t) ncap, sizeof(DeltaVacuumFile), err);
		if (n == NULL)
			return LAKE_ERROR_NOMEM;
		if (p->num_files)
			memcpy(n, p->files, sizeof(DeltaVacuumFile) * (size_t) p->num_files);
		lake_free(w->a, p->files);
		p->files = n;
		w->cap_files = ncap;
	}
	f = &p->files[p->num_files];
	f->path = lake_strndup(w->a, w->rel, rel_len, err);
	if (f->path == NULL)
		return LAKE_ERROR_NOMEM;
	f->size = (int64_t) sb->st_size;
	f->mtime_ms = mtime_ms_of(sb);
	p->num_files++;
	p->total_bytes += f->size;
	return LAKE_OK;
}

/* Walk the directory open as fd (taken over and closed) whose relative path is rel[0..rel_len). */
static LakeStatus
vacuum_walk(VacuumWalk *w, int fd, size_t rel_len, int depth, LakeError *err)
{
	DIR		   *d = fdopendir(fd);
	struct dirent *de;
	LakeStatus	st = LAKE_OK;

	if (d == NULL)
	{
		int			e = errno;

		close(fd);
		return lake_error_set_errno(err, e, "could not read directory \"%s/%.*s\"", w->plan->table_dir,
									(int) rel_len, w->rel);
	}
	for (;;)
	{
		const char *name;
		size_t		nl,
					len;
		struct stat sb;

		errno = 0;
		if ((de = readdir(d)) == NULL)
		{
			if (errno != 0)
				st = lake_error_set_errno(err, errno, "could not read directory \"%s/%.*s\"",
										  w->plan->table_dir, (int) rel_len, w->rel);
			break;
		}
		name = de->d_name;
		if (is_hidden(name))	/* also . and .. */
			continue;
		nl = strlen(name);
		len = rel_len + (rel_len ? 1 : 0) + nl;
		if (len >= sizeof(w->rel))
		{
			st = lake_error_set(err, LAKE_ERROR_LIMIT, "a path under \"%s\" is longer than %d bytes",
								w->plan->table_dir, MAINT_PATH_MAX - 1);
			break;
		}
		if (fstatat(dirfd(d), name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		{
			if (errno == ENOENT)
				continue;		/* gone meanwhile */
			st = lake_error_set_errno(err, errno, "could not stat \"%s/%.*s/%s\"", w->plan->table_dir,
									  (int) rel_len, w->rel, name);
			break;
		}
		if (rel_len)
			w->rel[rel_len] = '/';
		memcpy(w->rel + rel_len + (rel_len ? 1 : 0), name, nl + 1);
		if (S_ISDIR(sb.st_mode))
		{
			int			sub;

			if (depth >= VACUUM_MAX_DEPTH)
			{
				st = lake_error_set(err, LAKE_ERROR_LIMIT, "directories under \"%s\" nest deeper than %d levels (at \"%s\")",
									w->plan->table_dir, VACUUM_MAX_DEPTH, w->rel);
				break;
			}
			/* O_NOFOLLOW: a directory swapped for a symbolic link meanwhile is not entered */
			sub = openat(dirfd(d), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
			if (sub < 0)
			{
				if (errno == ENOENT || errno == ELOOP || errno == ENOTDIR)
					continue;
				st = lake_error_set_errno(err, errno, "could not open directory \"%s/%s\"", w->plan->table_dir,
										  w->rel);
				break;
			}
			if ((st = vacuum_walk(w, sub, len, depth + 1, err)) != LAKE_OK)
				break;
		}
		else if (S_ISREG(sb.st_mode))
		{
			const char *key = w->rel;

			w->plan->num_files_scanned++;
			if (w->num_needed > 0 &&
				bsearch(&key, w->needed, w->num_needed, sizeof(char *), cmp_str_ptr) != NULL)
				w->plan->num_needed_kept++;
			else if (mtime_ms_of(&sb) >= w->cutoff)
				w->plan->num_young_kept++;
			else if ((st = vacuum_take(w, len, &sb, err)) != LAKE_OK)
				break;
		}
		/* symbolic links, sockets, ...: never ours to delete */
	}
	closedir(d);
	return st;
}

void
delta_vacuum_plan_free(const LakeAllocator *a, DeltaVacuumPlan *plan)
{
	if (plan == NULL)
		return;
	for (int i = 0; i < plan->num_files; i++)
		lake_free(a, plan->files[i].path);
	lake_free(a, plan->files);
	lake_free(a, plan->table_dir);
	lake_free(a, plan);
}

/* Add the canonical relative paths of snap's files to needed[*n] (rewriting their local_path). */
static void
collect_needed(DeltaSnapshot *snap, const char *root, const char *root_real, const char **needed, size_t *n)
{
	for (int i = 0; snap != NULL && i < snap->num_files; i++)
	{
		char	   *rel = canonical_relative(snap->files[i].local_path, root, root_real);

		if (rel != NULL)
			needed[(*n)++] = rel;
	}
}

LakeStatus
delta_vacuum_plan(const LakeAllocator *a, const char *table_dir, int64_t now_ms, int64_t retain_ms,
				  DeltaVacuumPlan **out, LakeError *err)
{
	DeltaLogListing l;
	bool		have_listing = false;
	DeltaSnapshot *base = NULL;
	DeltaSnapshot *added = NULL;
	DeltaVacuumPlan *plan = NULL;
	const char **needed = NULL;
	size_t		num_needed = 0;
	VacuumWalk *w = NULL;
	int64_t		cutoff = 0,
				earliest,
				latest,
				at_or_before,
				first_after,
				v0;
	char		real[PATH_MAX];
	const char *root_real = NULL;
	int			fd;
	LakeStatus	st;

	*out = NULL;
	if (table_dir == NULL || table_dir[0] == '\0' || strlen(table_dir) >= MAINT_PATH_MAX)
		return lake_error_set(err, LAKE_ERROR_INVALID, "the table directory is empty or too long");
	if ((st = check_clock(now_ms, retain_ms, &cutoff, err)) != LAKE_OK)
		return st;

	/* V0: the version as of the cutoff, and the commits after it must all be there */
	if ((st = delta_log_list(a, table_dir, &l, err)) != LAKE_OK)
		return st;
	have_listing = true;
	earliest = delta_log_earliest_version(&l);
	latest = delta_log_latest_version(&l);
	if (earliest < 0 || latest < 0)
	{
		st = lake_error_set(err, LAKE_ERROR_CORRUPT, "the Delta log \"%s\" holds no readable version",
							l.log_dir);
		goto done;
	}
	if ((st = scan_commit_times(a, &l, cutoff, earliest, &at_or_before, &first_after, err)) != LAKE_OK)
		goto done;
	v0 = at_or_before >= 0 ? at_or_before : earliest;
	for (int64_t v = v0 + 1; v <= latest; v++)
		if (!delta_log_has_commit(&l, v))
		{
			st = lake_error_set(err, LAKE_ERROR_INVALID,
								"cannot vacuum \"%s\": the commit of version %lld is no longer in the log, and VACUUM needs every commit after version %lld (the version as of the retention cutoff) to know which files they added",
								table_dir, (long long) v, (long long) v0);
			goto done;
		}
	delta_log_listing_free(a, &l);
	have_listing = false;

	if ((st = delta_snapshot_load_ex(a, table_dir, v0, DELTA_LOAD_SKIP_STATS, &base, err)) != LAKE_OK)
		goto done;
	/* to the latest version at this point: commits after the listing are included too */
	if ((st = delta_changes_load_ex(a, table_dir, v0 + 1, -1, DELTA_LOAD_SKIP_STATS | DELTA_LOAD_ALL_ADDS,
									&added, err)) != LAKE_OK)
		goto done;

	plan = lake_alloc0(a, sizeof(DeltaVacuumPlan), err);
	if (plan == NULL)
	{
		st = LAKE_ERROR_NOMEM;
		goto done;
	}
	plan->table_dir = lake_strndup(a, table_dir, strlen(table_dir), err);
	if (plan->table_dir == NULL)
	{
		st = LAKE_ERROR_NOMEM;
		goto done;
	}
	plan->latest_version = added->version;
	plan->retention_version = v0;
	plan->cutoff_ms = cutoff;

	/* the needed files, canonical and sorted (bounded by the files the snapshots hold) */
	if (base->num_files + added->num_files > 0)
	{
		needed = lake_alloc_array(a, (size_t) base->num_files + (size_t) added->num_files, sizeof(char *), err);
		if (needed == NULL)
		{
			st = LAKE_ERROR_NOMEM;
			goto done;
		}
	}
	if (realpath(table_dir, real) != NULL)
		root_real = real;
	collect_needed(base, table_dir, root_real, needed, &num_needed);
	collect_needed(added, table_dir, root_real, needed, &num_needed);
	if (num_needed > 1)
		qsort(needed, num_needed, sizeof(char *), cmp_str_ptr);

	w = lake_alloc0(a, sizeof(VacuumWalk), err);
	if (w == NULL)
	{
		st = LAKE_ERROR_NOMEM;
		goto done;
	}
	w->a = a;
	w->plan = plan;
	w->needed = needed;
	w->num_needed = num_needed;
	w->cutoff = cutoff;
	fd = open(table_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
	{
		st = lake_error_set_errno(err, errno, "could not open the table directory \"%s\"", table_dir);
		goto done;
	}
	if ((st = vacuum_walk(w, fd, 0, 0, err)) != LAKE_OK)
		goto done;
	if (plan->num_files > 1)
		qsort(plan->files, (size_t) plan->num_files, sizeof(DeltaVacuumFile), cmp_vacuum_file);

done:
	if (have_listing)
		delta_log_listing_free(a, &l);
	lake_free(a, w);
	lake_free(a, needed);
	delta_snapshot_free(a, base);
	delta_snapshot_free(a, added);
	if (st != LAKE_OK)
	{
		delta_vacuum_plan_free(a, plan);
		return st;
	}
	*out = plan;
	return LAKE_OK;
}

static void
note_error(LakeStatus *first, LakeError *err, LakeStatus st, const LakeError *e)
{
	if (*first == LAKE_OK && st != LAKE_OK)
	{
		*first = st;
		*err = *e;
	}
}

/*
 * Delete one planned file: its directories opened one by one without
 * following symbolic links (a directory swapped for a link since the plan
 * is not entered), then the directories it leaves empty, bottom up.
 */
static LakeStatus
vacuum_delete_one(const DeltaVacuumPlan *plan, int root, const char *path, bool *deleted,
				  int64_t *dirs_removed, LakeError *err)
{
	int			fds[VACUUM_MAX_DEPTH + 1];
	const char *names[VACUUM_MAX_DEPTH + 1];
	size_t		lens[VACUUM_MAX_DEPTH + 1];
	char		name[NAME_MAX + 1];
	int			depth = 0;
	const char *p = path;
	LakeStatus	st = LAKE_OK;

	*deleted = false;
	fds[0] = root;
	for (;;)
	{
		const char *slash = strchr(p, '/');
		size_t		len = slash ? (size_t) (slash - p) : strlen(p);

		if (len == 0 || len > NAME_MAX || is_hidden(p))
		{
			st = lake_error_set(err, LAKE_ERROR_INVALID,
								"vacuum plan path \"%.200s\" is not a plain relative path under the table",
								path);
			goto out;
		}
		if (slash == NULL)
			break;
		if (depth >= VACUUM_MAX_DEPTH)
		{
			st = lake_error_set(err, LAKE_ERROR_LIMIT, "vacuum plan path \"%.200s\" is too deep", path);
			goto out;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		fds[depth + 1] = openat(fds[depth], name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fds[depth + 1] < 0)
		{
			if (errno == ENOENT)
				goto out;		/* already gone with its directory */
			st = lake_error_set_errno(err, errno, "could not open directory of \"%s/%s\"", plan->table_dir, path);
			goto out;
		}
		names[depth] = p;
		lens[depth] = len;
		depth++;
		p = slash + 1;
	}
	if (unlinkat(fds[depth], p, 0) == 0)
		*deleted = true;
	else if (errno != ENOENT)
	{
		st = lake_error_set_errno(err, errno, "could not remove \"%s/%s\"", plan->table_dir, path);
		goto out;
	}
	/* directories left empty, bottom up; never the table directory itself */
	while (depth > 0)
	{
		memcpy(name, names[depth - 1], lens[depth - 1]);
		name[lens[depth - 1]] = '\0';
		close(fds[depth]);
		depth--;
		if (unlinkat(fds[depth], name, AT_REMOVEDIR) == 0)
		{
			(*dirs_removed)++;
			continue;
		}
		if (errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
			st = lake_error_set_errno(err, errno, "could not remove directory \"%s/%.*s\"", plan->table_dir,
									  (int) (names[depth] + lens[depth] - path), path);
		break;
	}
out:
	while (depth > 0)
		close(fds[depth--]);
	return st;
}

LakeStatus
delta_vacuum_execute(const DeltaVacuumPlan *plan, int64_t *num_deleted, int64_t *num_dirs_removed,
					 LakeError *err)
{
	LakeStatus	first = LAKE_OK;
	int			root;

	*num_deleted = 0;
	*num_dirs_removed = 0;
	if (plan == NULL || plan->table_dir == NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "no vacuum plan");
	root = open(plan->table_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (root < 0)
		return lake_error_set_errno(err, errno, "could not open the table directory \"%s\"", plan->table_dir);
	for (int i = 0; i < plan->num_files; i++)
	{
		LakeError	e;
		bool		deleted;
		LakeStatus	st;

		st = vacuum_delete_one(plan, root, plan->files[i].path, &deleted, num_dirs_removed, &e);
		if (deleted)
			(*num_deleted)++;
		note_error(&first, err, st, &e);
	}
	close(root);
	return first;
}

/* ---------------------------------------------------------- log cleanup */

typedef struct LogFile
{
	int64_t		version;
	int			order;			/* within a version: checkpoint parts, then the .crc, then the .json */
	char		name[64];
} LogFile;

static int
cmp_log_file(const void *x, const void *y)
{
	const LogFile *a = x,
			   *b = y;

	if (a->version != b->version)
		return a->version < b->version ? -1 : 1;
	if (a->order != b->order)
		return a->order - b->order;
	return strcmp(a->name, b->name);
}

static bool
digits(const char *s, int n, int64_t *out)
{
	int64_t		v = 0;

	for (int i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9' || v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return true;
}

/*
 * A name cleanup may remove: NNN.json, NNN.crc, NNN.checkpoint.parquet,
 * NNN.checkpoint.OOOOOOOOOO.PPPPPPPPPP.parquet.  order: 0 checkpoint, 1
 * crc, 2 json; -1 for anything else (UUID-named checkpoints, compacted
 * logs, _last_checkpoint, temporary files are left alone).
 */
static int
log_file_kind(const char *n, int64_t *version)
{
	size_t		nl = strlen(n);
	int64_t		x;

	if (nl < 24 || !digits(n, 20, version) || n[20] != '.')
		return -1;
	if (strcmp(n + 20, ".json") == 0)
		return 2;
	if (strcmp(n + 20, ".crc") == 0)
		return 1;
	if (strcmp(n + 20, ".checkpoint.parquet") == 0)
		return 0;
	if (nl == 20 + 12 + 29 && strncmp(n + 20, ".checkpoint.", 12) == 0 && digits(n + 32, 10, &x) &&
		n[42] == '.' && digits(n + 43, 10, &x) && strcmp(n + 53, ".parquet") == 0)
		return 0;
	return -1;
}

LakeStatus
delta_log_cleanup(const LakeAllocator *a, const char *table_dir, int64_t now_ms, int64_t retain_ms,
				  int *num_removed, LakeError *err)
{
	DeltaLogListing l;
	int64_t		cutoff = 0,
				latest,
				at_or_before,
				first_after,
				e_version,
				boundary = -1;
	LogFile    *files = NULL;
	size_t		num_files = 0,
				cap = 0;
	DIR		   *d = NULL;
	struct dirent *de;
	LakeStatus	st;

	*num_removed = 0;
	if (table_dir == NULL)
		return lake_error_set(err, LAKE_ERROR_INVALID, "no table directory");
	if ((st = check_clock(now_ms, retain_ms, &cutoff, err)) != LAKE_OK)
		return st;
	if ((st = delta_log_list(a, table_dir, &l, err)) != LAKE_OK)
		return st;
	latest = delta_log_latest_version(&l);
	if (latest < 0)
		goto done;				/* nothing there */
	if ((st = scan_commit_times(a, &l, cutoff, INT64_MIN, &at_or_before, &first_after, err)) != LAKE_OK)
		goto done;
	/*
	 * E: the version as of the cutoff instant (the latest committed at or
	 * before it: time travel to any instant of the window may resolve to
	 * it), else the earliest committed after it; C: the newest checkpoint
	 * at or below E.
	 */
	e_version = at_or_before >= 0 ? at_or_before : (first_after >= 0 ? first_after : latest);
	for (int i = l.num_checkpoints - 1; i >= 0; i--)
		if (l.checkpoints[i].version <= e_version)
		{
			boundary = l.checkpoints[i].version;
			break;
		}
	/* the checkpoint _last_checkpoint names stays, and with it everything after it */
	if (boundary >= 0 && l.has_last_checkpoint && l.last_checkpoint.version < boundary)
		boundary = l.last_checkpoint.version;
	if (boundary <= 0)
		goto done;				/* no checkpoint to start from: nothing can go */

	d = opendir(l.log_dir);
	if (d == NULL)
	{
		st = lake_error_set_errno(err, errno, "could not open the Delta log directory \"%s\"", l.log_dir);
		goto done;
	}
	for (;;)
	{
		int64_t		v;
		int			kind;

		errno = 0;
		if ((de = readdir(d)) == NULL)
		{
			if (errno != 0)
				st = lake_error_set_errno(err, errno, "could not read the Delta log directory \"%s\"", l.log_dir);
			break;
		}
		kind = log_file_kind(de->d_name, &v);
		if (kind < 0 || v >= boundary || strlen(de->d_name) >= sizeof(files[0].name))
			continue;
		if (num_files == cap)
		{
			/* bounded by the names in the directory */
			size_t		ncap = cap ? cap * 2 : 64;
			LogFile    *n = lake_alloc_array(a, ncap, sizeof(LogFile), err);

			if (n == NULL)
			{
				st = LAKE_ERROR_NOMEM;
				break;
			}
			if (num_files)
				memcpy(n, files, num_files * sizeof(LogFile));
			lake_free(a, files);
			files = n;
			cap = ncap;
		}
		files[num_files].version = v;
		files[num_files].order = kind;
		strcpy(files[num_files].name, de->d_name);
		num_files++;
	}
	if (st != LAKE_OK)
		goto done;
	if (num_files > 1)
		qsort(files, num_files, sizeof(LogFile), cmp_log_file);

	/*
	 * Oldest first, so that a crash (or the first file not yet expired)
	 * leaves a log whose versions are either readable or cleanly gone,
	 * never a gap below a checkpoint that is kept.
	 */
	for (size_t i = 0; i < num_files; i++)
	{
		struct stat sb;

		if (fstatat(dirfd(d), files[i].name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
		{
			if (errno == ENOENT)
				continue;
			st = lake_error_set_errno(err, errno, "could not stat \"%s/%s\"", l.log_dir, files[i].name);
			break;
		}
		if (!S_ISREG(sb.st_mode))
			continue;
		if (mtime_ms_of(&sb) >= cutoff)
			break;
		if (unlinkat(dirfd(d), files[i].name, 0) != 0)
		{
			if (errno == ENOENT)
				continue;
			st = lake_error_set_errno(err, errno, "could not remove \"%s/%s\"", l.log_dir, files[i].name);
			break;
		}
		(*num_removed)++;
	}

done:
	if (d != NULL)
		closedir(d);
	lake_free(a, files);
	delta_log_listing_free(a, &l);
	return st;
}

LakeStatus
delta_log_cleanup_auto(const LakeAllocator *a, const char *table_dir, const DeltaMetadata *md, int64_t now_ms,
					   int *num_removed, LakeError *err)
{
	bool		enabled;
	int64_t		retain;
	LakeStatus	st;

	*num_removed = 0;
	if ((st = delta_config_bool(md, DELTA_EXPIRED_LOG_CLEANUP_KEY, true, &enabled, err)) != LAKE_OK)
		return st;
	if (!enabled)
		return LAKE_OK;
	if ((st = delta_config_interval_ms(md, DELTA_LOG_RETENTION_KEY, DELTA_DEFAULT_LOG_RETENTION_MS, &retain,
									   err)) != LAKE_OK)
		return st;
	return delta_log_cleanup(a, table_dir, now_ms, retain, num_removed, err);
}

/* -------------------------------------------------------------- RESTORE */

static bool
str_eq(const char *x, const char *y)
{
	return x == y || (x != NULL && y != NULL && strcmp(x, y) == 0);
}

/* The same metaData for a RESTORE: schema, partitioning, configuration, name, description. */
static bool
metadata_same(const DeltaMetadata *x, const DeltaMetadata *y)
{
	if (!str_eq(x->schema_string, y->schema_string) || !str_eq(x->name, y->name) ||
		!str_eq(x->description, y->description) ||
		x->num_partition_columns != y->num_partition_columns ||
		x->num_configuration != y->num_configuration)
		return false;
	for (int i = 0; i < x->num_partition_columns; i++)
		if (!str_eq(x->partition_columns[i], y->partition_columns[i]))
			return false;
	for (int i = 0; i < x->num_configuration; i++)
	{
		const char *v = config_value(y, x->configuration[i].key);

		if (v == NULL || !str_eq(v, x->configuration[i].value))
			return false;
	}
	return true;
}

/* {"<physical name>":"value"|null,...} of a file under md */
static char *
partition_values_json(const LakeAllocator *a, const DeltaMetadata *md, const DeltaAddFile *f, LakeError *err)
{
	DeltaJson	j;

	dj_init(&j, a, err);
	dj_raw(&j, "{");
	for (int i = 0; i < md->num_partition_columns; i++)
	{
		const DeltaColumn *c = &md->columns[md->partition_column_index[i]];

		dj_key(&j, c->physical_name ? c->physical_name : c->name);
		if (f->partition_values != NULL && f->partition_values[i] != NULL)
			dj_str(&j, f->partition_values[i]);
		else
			dj_raw(&j, "null");
	}
	dj_raw(&j, "}");
	return dj_finish(&j, NULL);
}

void
delta_restore_plan_free(const LakeAllocator *a, DeltaRestorePlan *plan)
{
	if (plan == NULL)
		return;
	for (int i = 0; i < plan->num_adds; i++)
		lake_free(a, plan->adds[i].partition_values_json);
	for (int i = 0; i < plan->num_removes; i++)
		lake_free(a, plan->removes[i].partition_values_json);
	lake_free(a, plan->adds);
	lake_free(a, plan->removes);
	lake_free(a, plan->operation_parameters_json);
	lake_free(a, plan->operation_metrics_json);
	delta_snapshot_free(a, plan->latest);
	delta_snapshot_free(a, plan->target);
	lake_free(a, plan);
}

/* A file to re-add must still be there. */
static LakeStatus
check_file_exists(const char *table_dir, int64_t version, const DeltaAddFile *f, LakeError *err)
{
	char		path[MAINT_PATH_MAX + 256];
	struct stat sb;
	int			n;

	if (f->local_path[0] == '/')
		n = snprintf(path, sizeof(path), "%s", f->local_path);
	else
		n = snprintf(path, sizeof(path), "%s/%s", table_dir, f->local_path);
	if (n < 0 || (size_t) n >= sizeof(path))
		return lake_error_set(err, LAKE_ERROR_LIMIT, "the path of data file \"%.200s\" is too long", f->path);
	if (stat(path, &sb) == 0)
	{
		if (S_ISREG(sb.st_mode))
			return LAKE_OK;
		return lake_error_set(err, LAKE_ERROR_INVALID,
							  "version %lld cannot be restored: data file \"%.200s\" is not a regular file",
							  (long long) version, f->path);
	}
	if (errno == ENOENT || errno == ENOTDIR)
		return lake_error_set(err, LAKE_ERROR_INVALID,
							  "version %lld cannot be restored: data file \"%.200s\" was removed (by VACUUM?)",
							  (long long) version, f->path);
	return lake_error_set_errno(err, errno, "could not stat data file \"%s\"", path);
}

LakeStatus
delta_restore_plan(const LakeAllocator *a, const char *table_dir, int64_t target_version,
				   DeltaRestorePlan **out, LakeError *err)
{
	DeltaRestorePlan *plan;
	DeltaSnapshot *cur,
			   *tgt;
	int			i,
				k,
				na = 0,
				nr = 0;
	LakeStatus	st;
	char		buf[512];

	*out = NULL;
	if (table_dir == NULL || target_version < 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "version %lld is not a valid version to restore",
							  (long long) target_version);
	plan = lake_alloc0(a, sizeof(DeltaRestorePlan), err);
	if (plan == NULL)
		return LAKE_ERROR_NOMEM;
	if ((st = delta_snapshot_load_ex(a, table_dir, -1, DELTA_LOAD_SKIP_STATS, &plan->latest, err)) != LAKE_OK)
		goto fail;
	cur = plan->latest;
	if (target_version >= cur->version)
	{
		st = lake_error_set(err, LAKE_ERROR_INVALID,
							target_version == cur->version
							? "version %lld is the latest version of the table: there is nothing to restore"
							: "version %lld does not exist: the latest version is %lld",
							(long long) target_version, (long long) cur->version);
		goto fail;
	}
	if ((st = delta_snapshot_load_ex(a, table_dir, target_version, DELTA_LOAD_RAW_STATS, &plan->target,
									 err)) != LAKE_OK)
		goto fail;
	tgt = plan->target;
	plan->read_version = cur->version;
	plan->target_version = tgt->version;

	/* both sides are sorted by path: count, then fill */
	for (int pass = 0; pass < 2; pass++)
	{
		na = nr = 0;
		for (i = 0, k = 0; i < tgt->num_files || k < cur->num_files;)
		{
			int			c;

			if (i == tgt->num_files)
				c = 1;
			else if (k == cur->num_files)
				c = -1;
			else
				c = strcmp(tgt->files[i].path, cur->files[k].path);
			if (c == 0)
			{
				i++;
				k++;
				continue;
			}
			if (c < 0)
			{
				/* active at the target, not now: added again */
				const DeltaAddFile *f = &tgt->files[i++];

				if (pass == 1)
				{
					DeltaNewFile *nf = &plan->adds[na];

					if ((st = check_file_exists(table_dir, tgt->version, f, err)) != LAKE_OK)
						goto fail;
					nf->path = f->path;
					nf->size = f->size;
					nf->modification_time = f->modification_time;
					nf->num_records = f->num_records;
					nf->stats_json = f->stats_json;
					nf->partition_values_json = partition_values_json(a, &tgt->metadata, f, err);
					if (nf->partition_values_json == NULL)
					{
						st = err->status;
						goto fail;
					}
					plan->num_adds = na + 1;
					plan->restored_files_size += f->size;
				}
				na++;
			}
			else
			{
				/* active now, not at the target: removed */
				const DeltaAddFile *f = &cur->files[k++];

				if (pass == 1)
				{
					DeltaRemoveFile *rf = &plan->removes[nr];

					rf->path = f->path;
					rf->data_change = true;
					rf->size = f->size;
					rf->partition_values_json = partition_values_json(a, &cur->metadata, f, err);
					if (rf->partition_values_json == NULL)
					{
						st = err->status;
						goto fail;
					}
					plan->num_removes = nr + 1;
					plan->removed_files_size += f->size;
				}
				nr++;
			}
		}
		if (pass == 0)
		{
			if (na > 0 && (plan->adds = lake_alloc_array(a, (size_t) na, sizeof(DeltaNewFile), err)) == NULL)
			{
				st = LAKE_ERROR_NOMEM;
				goto fail;
			}
			if (nr > 0 && (plan->removes = lake_alloc_array(a, (size_t) nr, sizeof(DeltaRemoveFile), err)) == NULL)
			{
				st = LAKE_ERROR_NOMEM;
				goto fail;
			}
			if (na > 0)
				memset(plan->adds, 0, sizeof(DeltaNewFile) * (size_t) na);
			if (nr > 0)
				memset(plan->removes, 0, sizeof(DeltaRemoveFile) * (size_t) nr);
		}
	}
	plan->num_restored_files = plan->num_adds;
	plan->num_removed_files = plan->num_removes;
	plan->num_files_after_restore = tgt->num_files;
	for (i = 0; i < tgt->num_files; i++)
		plan->table_size_after_restore += tgt->files[i].size;
	if (!metadata_same(&tgt->metadata, &cur->metadata))
		plan->metadata = &tgt->metadata;

	snprintf(buf, sizeof(buf), "{\"version\":\"%lld\"}", (long long) tgt->version);
	plan->operation_parameters_json = lake_strndup(a, buf, strlen(buf), err);
	snprintf(buf, sizeof(buf),
			 "{\"numRestoredFiles\":\"%lld\",\"restoredFilesSize\":\"%lld\",\"numRemovedFiles\":\"%lld\",\"removedFilesSize\":\"%lld\",\"numOfFilesAfterRestore\":\"%lld\",\"tableSizeAfterRestore\":\"%lld\"}",
			 (long long) plan->num_restored_files, (long long) plan->restored_files_size,
			 (long long) plan->num_removed_files, (long long) plan->removed_files_size,
			 (long long) plan->num_files_after_restore, (long long) plan->table_size_after_restore);
	plan->operation_metrics_json = lake_strndup(a, buf, strlen(buf), err);
	if (plan->operation_parameters_json == NULL || plan->operation_metrics_json == NULL)
	{
		st = LAKE_ERROR_NOMEM;
		goto fail;
	}
	*out = plan;
	return LAKE_OK;

fail:
	delta_restore_plan_free(a, plan);
	return st;
}

void
delta_restore_commit_request(const DeltaRestorePlan *plan, DeltaCommitRequest *req)
{
	memset(req, 0, sizeof(*req));
	req->read_version = plan->read_version;
	req->blind_append = false;
	req->metadata = plan->metadata;
	req->adds = plan->adds;
	req->num_adds = plan->num_adds;
	req->adds_data_change = true;
	req->removes = plan->removes;
	req->num_removes = plan->num_removes;
	req->operation = "RESTORE";
	req->operation_parameters_json = plan->operation_parameters_json;
	req->operation_metrics_json = plan->operation_metrics_json;
	req->table_metadata = &plan->latest->metadata;
}
