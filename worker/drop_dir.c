/*
 * drop_dir.c
 *	  The drop directory of the pipeline: which dropped files are complete
 *	  (renamed in, or unchanged for lakehouse.settle_ms), the durable record
 *	  of each Bronze batch (its files before it is ingested, then which of
 *	  them were rejected and why, before it commits), and moving a committed
 *	  batch's files to _processed/ or _rejected/ (with a .error file).
 *	  Nothing is ever deleted.
 *
 * The records live in the Bronze table's directory under _stream/ (a
 * directory Delta readers and VACUUM of any engine leave alone, as its name
 * starts with an underscore):
 *
 *	_stream/batches/<20-digit id>.batch	  "iot_lakehouse batch <id>", then
 *										  "<size>\t<mtime_us>\t<name>" per file
 *	_stream/batches/<20-digit id>.outcome "iot_lakehouse outcome <id>", then
 *										  "<name>\t<reason>" per rejected file
 *
 * Both are written to a temporary name, fsync'd and renamed (durable_rename),
 * so a crash leaves the old state or the new one.  They are read back
 * defensively: a malformed record is an error naming the file and line.
 */
#include "postgres.h"

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/file_perm.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "nodes/pg_list.h"
#include "storage/fd.h"
#include "utils/memutils.h"
#include "utils/timestamp.h"

#include "iot_lakehouse.h"
#include "pipeline.h"

/* longest record line we read back (a file name is at most NAME_MAX) */
#define DROP_RECORD_LINE 8192

/*
 * Files renamed into the drop directory, noted by the worker's inotify
 * watch with what the file was just after (inode, size, mtime): complete
 * while it is still that file, unchanged.  A later file of the same name,
 * or the same one written to again, must settle.
 */
typedef struct DropMovedIn
{
	char	   *name;
	ino_t		ino;
	off_t		size;
	int64		mtime_us;
} DropMovedIn;

static List *drop_moved_in = NIL;

static bool drop_is_candidate(const char *name);
static int	drop_file_cmp(const void *a, const void *b);
static char *drop_batch_path(const char *state_dir, int64 id, const char *suffix);
static void drop_write_durably(const char *path, const char *data, int len);
static void drop_mkdir(const char *dir);
static char *drop_read_file(const char *path);
static bool drop_moved_in_has(const char *name, const struct stat *st);
static int64 drop_mtime_us(const struct stat *st);

/* *.csv or *.csv.gz (any case), not hidden, not ours (_processed, ...) */
static bool
drop_is_candidate(const char *name)
{
	size_t		len = strlen(name);
	const char *p;

	if (name[0] == '.' || name[0] == '_')
		return false;
	for (p = name; *p; p++)
		if ((unsigned char) *p < 0x20)
			return false;		/* control characters: cannot be recorded, left alone */
	return (len > 4 && pg_strcasecmp(name + len - 4, ".csv") == 0) ||
		(len > 7 && pg_strcasecmp(name + len - 7, ".csv.gz") == 0);
}

/* oldest first, then by name */
static int
drop_file_cmp(const void *a, const void *b)
{
	const DropFile *x = (const DropFile *) a;
	const DropFile *y = (const DropFile *) b;

	if (x->mtime_us != y->mtime_us)
		return x->mtime_us < y->mtime_us ? -1 : 1;
	return strcmp(x->name, y->name);
}

static int64
drop_mtime_us(const struct stat *st)
{
	return (int64) st->st_mtim.tv_sec * 1000000 + st->st_mtim.tv_nsec / 1000;
}

/* st: the file now; true when it is the file that was renamed in, unchanged */
static bool
drop_moved_in_has(const char *name, const struct stat *st)
{
	ListCell   *lc;

	foreach(lc, drop_moved_in)
	{
		DropMovedIn *m = (DropMovedIn *) lfirst(lc);

		if (strcmp(m->name, name) == 0)
			return m->ino == st->st_ino && m->size == st->st_size && m->mtime_us == drop_mtime_us(st);
	}
	return false;
}

void
drop_dir_note_moved_in(const char *dir, const char *name)
{
	MemoryContext old;
	DropMovedIn *m = NULL;
	ListCell   *lc;
	struct stat st;
	char	   *path;

	if (!drop_is_candidate(name))
		return;
	path = psprintf("%s/%s", dir, name);
	if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
	{
		pfree(path);
		return;
	}
	pfree(path);
	foreach(lc, drop_moved_in)
		if (strcmp(((DropMovedIn *) lfirst(lc))->name, name) == 0)
			m = (DropMovedIn *) lfirst(lc);
	if (m == NULL)
	{
		if (list_length(drop_moved_in) >= 100000)
			return;
		old = MemoryContextSwitchTo(TopMemoryContext);
		m = palloc(sizeof(DropMovedIn));
		m->name = pstrdup(name);
		drop_moved_in = lappend(drop_moved_in, m);
		MemoryContextSwitchTo(old);
	}
	m->ino = st.st_ino;
	m->size = st.st_size;
	m->mtime_us = drop_mtime_us(&st);
}

void
drop_dir_forget_moved_in(void)
{
	ListCell   *lc;

	foreach(lc, drop_moved_in)
	{
		DropMovedIn *m = (DropMovedIn *) lfirst(lc);

		pfree(m->name);
		pfree(m);
	}
	list_free(drop_moved_in);
	drop_moved_in = NIL;
}

/* Forget the noted names that are no longer in the directory (moved away, or gone). */
static void
drop_moved_in_prune(const char *dir)
{
	ListCell   *lc;

	foreach(lc, drop_moved_in)
	{
		DropMovedIn *m = (DropMovedIn *) lfirst(lc);
		char	   *path = psprintf("%s/%s", dir, m->name);
		struct stat st;

		if (lstat(path, &st) != 0 || st.st_ino != m->ino)
		{
			pfree(m->name);
			pfree(m);
			drop_moved_in = foreach_delete_current(drop_moved_in, lc);
		}
		pfree(path);
	}
}

DropFile *
drop_dir_discover(const char *dir, int max, int *num_files)
{
	DIR		   *d;
	struct dirent *de;
	DropFile   *files = NULL;
	int			n = 0;
	int			cap = 0;
	struct timespec now;
	int64		now_us;
	int64		settle_us = (int64) lakehouse_settle_ms * 1000;
	DropFile	oldest_pending = {NULL, 0, 0, NULL};

	*num_files = 0;
	d = AllocateDir(dir);
	if (d == NULL)
	{
		if (errno == ENOENT)
			return NULL;		/* nothing dropped yet */
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open drop directory \"%s\": %m", dir)));
	}
	clock_gettime(CLOCK_REALTIME, &now);
	now_us = (int64) now.tv_sec * 1000000 + now.tv_nsec / 1000;
	while ((de = ReadDir(d, dir)) != NULL)
	{
		struct stat st;
		char	   *path;
		int64		mtime_us;

		if (!drop_is_candidate(de->d_name))
			continue;
		path = psprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		{
			pfree(path);
			continue;			/* gone, or not a regular file (symbolic links are not followed) */
		}
		pfree(path);
		mtime_us = drop_mtime_us(&st);
		/* complete: renamed in (and unchanged since), or not modified for settle_ms */
		if (!drop_moved_in_has(de->d_name, &st) && now_us - mtime_us < settle_us)
		{
			/* the oldest file still settling: nothing newer may overtake it */
			DropFile	pending = {de->d_name, (int64) st.st_size, mtime_us, NULL};

			if (oldest_pending.name == NULL || drop_file_cmp(&pending, &oldest_pending) < 0)
			{
				oldest_pending = pending;
				oldest_pending.name = pstrdup(de->d_name);
			}
			continue;
		}
		if (n == cap)
		{
			cap = cap ? cap * 2 : 64;
			files = files ? repalloc(files, sizeof(DropFile) * cap) : palloc(sizeof(DropFile) * cap);
		}
		files[n].name = pstrdup(de->d_name);
		files[n].size = (int64) st.st_size;
		files[n].mtime_us = mtime_us;
		files[n].rejected = NULL;
		n++;
	}
	FreeDir(d);
	drop_moved_in_prune(dir);
	if (n > 1)
		qsort(files, n, sizeof(DropFile), drop_file_cmp);

	/*
	 * Arrival order is kept: a complete file newer than one still settling
	 * (say, renamed in while the watch was being set up, so only settle_ms
	 * tells) waits for it, so that "first arrival wins" means the order in
	 * which the gateway dropped them.
	 */
	if (oldest_pending.name != NULL)
	{
		int			k = 0;

		while (k < n && drop_file_cmp(&files[k], &oldest_pending) < 0)
			k++;
		n = k;
	}
	*num_files = Min(n, max);
	return files;
}

int
drop_dir_count_pending(const char *dir)
{
	DIR		   *d = AllocateDir(dir);
	struct dirent *de;
	int			n = 0;

	if (d == NULL)
		return 0;
	while ((de = ReadDir(d, dir)) != NULL)
	{
		char	   *path;
		struct stat st;

		if (!drop_is_candidate(de->d_name))
			continue;
		/* what discovery takes: regular files, not symbolic links or directories */
		path = psprintf("%s/%s", dir, de->d_name);
		if (lstat(path, &st) == 0 && S_ISREG(st.st_mode))
			n++;
		pfree(path);
	}
	FreeDir(d);
	return n;
}

static char *
drop_batch_path(const char *state_dir, int64 id, const char *suffix)
{
	return psprintf("%s/batches/%020lld.%s", state_dir, (long long) id, suffix);
}

static void
drop_mkdir(const char *dir)
{
	if (mkdir(dir, pg_dir_create_mode) != 0 && errno != EEXIST)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create directory \"%s\": %m", dir)));
}

/* write data to path: a temporary file, fsync'd, renamed over path, directory fsync'd */
static void
drop_write_durably(const char *path, const char *data, int len)
{
	char	   *tmp = psprintf("%s.tmp", path);
	int			fd;

	fd = OpenTransientFile(tmp, O_WRONLY | O_CREAT | O_TRUNC | PG_BINARY);
	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not create file \"%s\": %m", tmp)));
	errno = 0;
	if (write(fd, data, len) != len)
	{
		int			save = errno ? errno : ENOSPC;

		CloseTransientFile(fd);
		unlink(tmp);
		errno = save;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not write file \"%s\": %m", tmp)));
	}
	if (CloseTransientFile(fd) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not close file \"%s\": %m", tmp)));
	durable_rename(tmp, path, ERROR);
	pfree(tmp);
}

/* a whole small state file, NUL-terminated (bounded: records are ours and small) */
static char *
drop_read_file(const char *path)
{
	int			fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
	struct stat st;
	char	   *buf;
	ssize_t		n;

	if (fd < 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\": %m", path)));
	if (fstat(fd, &st) != 0)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	if (st.st_size > 64 * 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("stream state file \"%s\" is too large (%lld bytes)", path, (long long) st.st_size)));
	buf = palloc(st.st_size + 1);
	n = read(fd, buf, st.st_size);
	if (n != st.st_size)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", path)));
	buf[n] = '\0';
	CloseTransientFile(fd);
	return buf;
}

bool
drop_batch_latest(const char *state_dir, DropBatch *batch)
{
	char	   *dir = psprintf("%s/batches", state_dir);
	DIR		   *d;
	struct dirent *de;
	int64		best = -1;
	char	   *path;
	char	   *text;
	char	   *line;
	char	   *next;
	int			lineno = 0;
	int			cap = 0;

	memset(batch, 0, sizeof(*batch));
	batch->id = -1;
	d = AllocateDir(dir);
	if (d == NULL)
	{
		if (errno == ENOENT)
			return false;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", dir)));
	}
	while ((de = ReadDir(d, dir)) != NULL)
	{
		size_t		len = strlen(de->d_name);
		char	   *end;
		long long	id;

		if (len != 26 || strcmp(de->d_name + 20, ".batch") != 0)
			continue;
		id = strtoll(de->d_name, &end, 10);
		if (end == de->d_name + 20 && id > best)
			best = id;
	}
	FreeDir(d);
	if (best < 0)
		return false;

	path = drop_batch_path(state_dir, best, "batch");
	text = drop_read_file(path);
	batch->id = best;
	for (line = text; line != NULL && *line != '\0'; line = next)
	{
		char	   *tab1,
				   *tab2;

		next = strchr(line, '\n');
		if (next == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("stream state file \"%s\" is truncated at line %d", path, lineno + 1)));
		*next++ = '\0';
		lineno++;
		if (lineno == 1)
		{
			long long	id;

			if (sscanf(line, "iot_lakehouse batch %lld", &id) != 1 || id != best)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("stream state file \"%s\" does not start with \"iot_lakehouse batch %lld\"",
								path, (long long) best)));
			continue;
		}
		tab1 = strchr(line, '\t');
		tab2 = tab1 ? strchr(tab1 + 1, '\t') : NULL;
		if (tab2 == NULL || tab2[1] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("line %d of stream state file \"%s\" is not \"size<tab>mtime<tab>name\"",
							lineno, path)));
		if (batch->num_files == cap)
		{
			cap = cap ? cap * 2 : 16;
			batch->files = batch->files ? repalloc(batch->files, sizeof(DropFile) * cap) :
				palloc(sizeof(DropFile) * cap);
		}
		batch->files[batch->num_files].size = strtoll(line, NULL, 10);
		batch->files[batch->num_files].mtime_us = strtoll(tab1 + 1, NULL, 10);
		batch->files[batch->num_files].name = pstrdup(tab2 + 1);
		batch->files[batch->num_files].rejected = NULL;
		batch->num_files++;
	}
	pfree(path);

	/* the outcome, when it was recorded */
	path = drop_batch_path(state_dir, best, "outcome");
	if (access(path, F_OK) == 0)
	{
		text = drop_read_file(path);
		lineno = 0;
		for (line = text; line != NULL && *line != '\0'; line = next)
		{
			char	   *tab;
			int			i;

			next = strchr(line, '\n');
			if (next == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("stream state file \"%s\" is truncated at line %d", path, lineno + 1)));
			*next++ = '\0';
			if (++lineno == 1)
				continue;
			tab = strchr(line, '\t');
			if (tab == NULL)
				ereport(ERROR,
						(errcode(ERRCODE_DATA_CORRUPTED),
						 errmsg("line %d of stream state file \"%s\" is not \"name<tab>reason\"",
								lineno, path)));
			*tab = '\0';
			for (i = 0; i < batch->num_files; i++)
				if (strcmp(batch->files[i].name, line) == 0)
					batch->files[i].rejected = pstrdup(tab + 1);
		}
	}
	pfree(path);
	return true;
}

void
drop_batch_record(const char *state_dir, const DropBatch *batch)
{
	StringInfoData buf;
	char	   *dir = psprintf("%s/batches", state_dir);
	int			i;

	drop_mkdir(state_dir);
	drop_mkdir(dir);
	initStringInfo(&buf);
	appendStringInfo(&buf, "iot_lakehouse batch %lld\n", (long long) batch->id);
	for (i = 0; i < batch->num_files; i++)
		appendStringInfo(&buf, "%lld\t%lld\t%s\n", (long long) batch->files[i].size,
						 (long long) batch->files[i].mtime_us, batch->files[i].name);
	drop_write_durably(drop_batch_path(state_dir, batch->id, "batch"), buf.data, buf.len);
	pfree(buf.data);
}

void
drop_batch_record_outcome(const char *state_dir, const DropBatch *batch)
{
	StringInfoData buf;
	int			i;

	initStringInfo(&buf);
	appendStringInfo(&buf, "iot_lakehouse outcome %lld\n", (long long) batch->id);
	for (i = 0; i < batch->num_files; i++)
	{
		const char *r = batch->files[i].rejected;

		if (r == NULL)
			continue;
		appendStringInfo(&buf, "%s\t", batch->files[i].name);
		/* one line per file: line breaks and tabs of the reason become blanks */
		for (; *r; r++)
			appendStringInfoChar(&buf, (*r == '\n' || *r == '\t' || *r == '\r') ? ' ' : *r);
		appendStringInfoChar(&buf, '\n');
	}
	drop_write_durably(drop_batch_path(state_dir, batch->id, "outcome"), buf.data, buf.len);
	pfree(buf.data);
}

void
drop_batch_finish(const char *dir, const DropBatch *batch)
{
	char	   *processed = psprintf("%s/_processed", dir);
	char	   *rejected = psprintf("%s/_rejected", dir);
	bool		moved = false;
	int			i;

	for (i = 0; i < batch->num_files; i++)
	{
		const DropFile *f = &batch->files[i];
		char	   *src = psprintf("%s/%s", dir, f->name);
		const char *to = f->rejected ? rejected : processed;
		char	   *dst;
		struct stat st;
		int			k;

		if (lstat(src, &st) != 0)
			continue;			/* moved already */
		if ((int64) st.st_size != f->size ||
			drop_mtime_us(&st) != f->mtime_us)
			continue;			/* another file of the same name, dropped since: not ours */
		drop_mkdir(to);
		dst = psprintf("%s/%s", to, f->name);
		/* never overwrite an earlier file of the same name */
		for (k = 1; lstat(dst, &st) == 0; k++)
			dst = psprintf("%s/%s.%d", to, f->name, k);
		if (f->rejected)
		{
			StringInfoData msg;

			initStringInfo(&msg);
			appendStringInfo(&msg, "%s\n", f->rejected);
			drop_write_durably(psprintf("%s.error", dst), msg.data, msg.len);
		}
		/*
		 * rename(2) only: the file is the gateway's (we may not be allowed
		 * to open it for writing, which durable_rename does to fsync it);
		 * the two directories are fsync'd below.
		 */
		if (rename(src, dst) != 0)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not move dropped file \"%s\" to \"%s\": %m", src, dst)));
		moved = true;
	}
	if (moved)
	{
		drop_mkdir(processed);
		drop_mkdir(rejected);
		fsync_fname(processed, true);
		fsync_fname(rejected, true);
		fsync_fname(dir, true);
	}
}
