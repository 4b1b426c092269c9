/*
 * fdw_files.c
 *	  The Parquet files behind a foreign table's path (one file, or the
 *	  *.parquet files of a directory in name order), and what their footers
 *	  say for planning.
 */
#include "postgres.h"

#include <sys/stat.h>

#include "storage/fd.h"
#include "utils/memutils.h"

#include "lake/parquet_reader.h"
#include "lake_fdw.h"
#include "lake_pg.h"

/* helpers */
static int	lake_files_compare(const ListCell *a, const ListCell *b);
static void lake_files_close_input(void *arg);
static bool lake_files_is_data_file(const char *name);
static void lake_files_footer_counts(const char *path, int *row_groups, int64 *rows);

List *
lake_files_list(const char *path, bool missing_ok)
{
	struct stat st;
	DIR		   *dir;
	struct dirent *de;
	List	   *files = NIL;

	if (stat(path, &st) != 0)
	{
		if (missing_ok)
			return NIL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not stat file \"%s\": %m", path)));
	}
	if (S_ISREG(st.st_mode))
		return list_make1(pstrdup(path));
	if (!S_ISDIR(st.st_mode))
	{
		if (missing_ok)
			return NIL;
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is neither a file nor a directory", path)));
	}

	dir = AllocateDir(path);
	if (dir == NULL)
	{
		if (missing_ok)
			return NIL;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open directory \"%s\": %m", path)));
	}
	while ((de = ReadDirExtended(dir, path, missing_ok ? LOG : ERROR)) != NULL)
	{
		char	   *file;

		if (!lake_files_is_data_file(de->d_name))
			continue;
		file = psprintf("%s/%s", path, de->d_name);
		/* only regular files (a directory may be named x.parquet too) */
		if (stat(file, &st) != 0 || !S_ISREG(st.st_mode))
		{
			pfree(file);
			continue;
		}
		files = lappend(files, file);
	}
	FreeDir(dir);

	list_sort(files, lake_files_compare);
	return files;
}

/* "*.parquet", not hidden, not Spark's/Delta's "_" files */
static bool
lake_files_is_data_file(const char *name)
{
	size_t		len = strlen(name);
	static const char suffix[] = ".parquet";

	if (name[0] == '.' || name[0] == '_')
		return false;
	return len > sizeof(suffix) - 1 &&
		strcmp(name + len - (sizeof(suffix) - 1), suffix) == 0;
}

static int
lake_files_compare(const ListCell *a, const ListCell *b)
{
	return strcmp((const char *) lfirst(a), (const char *) lfirst(b));
}

static void
lake_files_close_input(void *arg)
{
	lake_input_close((LakeInput *) arg);
}

void
lake_files_estimate(List *files, LakeFilesEstimate *est)
{
	MemoryContext cxt;
	MemoryContext oldcxt;
	LakeAllocator alloc;
	ParquetReaderOptions opts;
	ListCell   *lc;

	memset(est, 0, sizeof(*est));
	est->num_files = list_length(files);
	est->complete = true;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse footers",
								ALLOCSET_DEFAULT_SIZES);
	oldcxt = MemoryContextSwitchTo(cxt);
	lake_pg_allocator_init(&alloc, cxt);
	parquet_reader_options_init(&opts);

	foreach(lc, files)
	{
		const char *file = lfirst(lc);
		LakeInput	in;
		LakeError	err;
		ParquetReader *reader = NULL;
		const ParquetFileMetaData *md;
		int			i;

		lake_pg_error_init(&err);
		if (lake_input_open_file(file, &in, &err) != LAKE_OK)
		{
			est->complete = false;
			continue;
		}
		if (parquet_reader_open(&alloc, &in, file, &opts, &reader, &err) != LAKE_OK)
		{
			lake_input_close(&in);
			est->complete = false;
			MemoryContextReset(cxt);
			continue;
		}
		md = parquet_reader_metadata(reader);
		est->num_rows += md->num_rows;
		est->num_row_groups += md->num_row_groups;
		for (i = 0; i < md->num_row_groups; i++)
		{
			const ParquetRowGroup *rg = &md->row_groups[i];

			est->compressed_bytes += rg->has_total_compressed_size ?
				rg->total_compressed_size : rg->total_byte_size;
		}
		parquet_reader_close(reader);
		lake_input_close(&in);
		MemoryContextReset(cxt);
	}

	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(cxt);
}

/*
 * Open one file's footer and return its row-group and row counts; the
 * descriptor is closed even when the footer is bad.
 */
static void
lake_files_footer_counts(const char *path, int *row_groups, int64 *rows)
{
	MemoryContext cxt;
	MemoryContextCallback cb;
	LakeAllocator alloc;
	ParquetReaderOptions opts;
	LakeInput	in;
	LakeError	err;
	ParquetReader *reader;

	cxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse footer",
								ALLOCSET_SMALL_SIZES);
	lake_pg_allocator_init(&alloc, cxt);
	parquet_reader_options_init(&opts);
	lake_pg_error_init(&err);

	lake_pg_check(lake_input_open_file(path, &in, &err), &err, path);
	cb.func = lake_files_close_input;
	cb.arg = &in;
	MemoryContextRegisterResetCallback(cxt, &cb);
	lake_pg_check(parquet_reader_open(&alloc, &in, path, &opts, &reader, &err), &err, path);
	*row_groups = parquet_reader_metadata(reader)->num_row_groups;
	*rows = parquet_reader_metadata(reader)->num_rows;
	parquet_reader_close(reader);
	MemoryContextDelete(cxt);
}

int
lake_files_row_groups(const char *path)
{
	int			groups;
	int64		rows;

	lake_files_footer_counts(path, &groups, &rows);
	return groups;
}

int64
lake_files_num_rows(const char *path)
{
	int			groups;
	int64		rows;

	lake_files_footer_counts(path, &groups, &rows);
	if (rows < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("invalid Parquet file \"%s\"", path),
				 errdetail("The footer gives a negative row count.")));
	return rows;
}
