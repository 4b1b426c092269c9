/*
 * ingest_csv.c
 *	  lakehouse.ingest_csv(target, path, delimiter, header, null_string,
 *	  source_timezone): every row of a CSV file into a Delta foreign table,
 *	  as part of the transaction's pending write of that table (one Delta
 *	  commit when the transaction commits, fdw/fdw_write.c); and
 *	  lake_csv_ingest(), the same for C callers (include/lake_ingest.h).
 *
 * A file starting with the gzip magic (1f 8b) is read through zlib
 * (gzread over a dup of its descriptor), any other with stdio as before:
 * the bytes that reach the parser are the same.  A corrupt or truncated
 * gzip stream is XX001 naming the file and zlib's message.
 *
 * The file is parsed with libcsv (quoted delimiters and line breaks, CRLF,
 * lenient about stray quotes), fed one physical line at a time so that
 * every record knows the line it starts on; a UTF-8 byte order mark is
 * skipped.  A whole record on one line with no quote or carriage return
 * inside (nearly every line of a sensor file) is split at the delimiter
 * here instead, giving exactly libcsv's fields: libcsv's per-byte state
 * machine was the largest cost of an ingest.  Each field is parsed straight into the physical representation
 * of its Delta column (integers, floats and decimals by hand, dates and
 * timestamps by the backend's datetime decoder, booleans as boolin does),
 * without Datums, SPI or per-row allocations that outlive the row (a row
 * context is reset per record).
 *
 * A row that does not fit (a value that does not parse, too few or too
 * many fields) is an ERROR naming the file, the line and the reason,
 * unless the table has a column "_rescued_data" (text, varchar or jsonb):
 * then the row is kept, the fields that did not parse are NULL, and
 * _rescued_data holds a JSON object of their original text, of fields
 * beyond the table's columns (by header name, or "_c<N>" with N the
 * 0-based field position), and "_line" (the line number); it is NULL for
 * rows that fitted.
 *
 * Lineage columns, like Auto Loader's file metadata: a column
 * "_source_file" (text, varchar) gets the source name (the path unless the
 * caller names it), "_source_line" (bigint, integer) the line the record
 * starts on (the "_line" of _rescued_data), "_ingested_at" (timestamptz,
 * timestamp: the UTC wall clock) the instant of the call, the same for
 * every row.  Like _rescued_data they are never matched by a header name
 * nor filled by position.
 *
 * With a header, a first record holding a NUL byte or invalid UTF-8 is
 * refused as "not text" (a binary or otherwise compressed file), and the
 * caller's required_columns must all be in it.
 */
#include "postgres.h"

#include <csv.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <unistd.h>
#include <zlib.h>

#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/pg_authid.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "miscadmin.h"
#include "pgtime.h"
#include "storage/fd.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/timestamp.h"

#include "../fdw/lake_fdw.h"
#include "lake_ingest.h"
#include "lake_pg.h"

#define LAKE_CSV_READ_BYTES (1024 * 1024)

/* zlib's input buffer for a gzip file (its output buffer is twice that) */
#define LAKE_CSV_GZ_BUFFER (128 * 1024)

/* the largest field libcsv may gather (as rowbuf: a field is copied there) */
#define LAKE_CSV_MAX_FIELD ((size_t) (MaxAllocSize / 2))

/* the header's fields shown in the detail of a missing required column */
#define LAKE_CSV_DETAIL_FIELDS 20
#define LAKE_CSV_DETAIL_NAME_BYTES 64

#define LAKE_UNIX_TO_PG_DAYS	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE))
#define LAKE_UNIX_TO_PG_USECS	(LAKE_UNIX_TO_PG_DAYS * USECS_PER_DAY)

/* Where a field of the file goes. */
typedef struct LakeCsvTarget
{
	int			col;			/* Delta column index, or -1: an extra field */
	char	   *name;			/* header name (or "_c<N>"), for _rescued_data */
} LakeCsvTarget;

/* The state of one ingest_csv call. */
typedef struct LakeCsvState
{
	const char *path;			/* the file, for messages */
	LakeWriteTable *wt;			/* the pending write of the target */
	const LakeWriteColumn *cols;	/* per Delta column (borrowed from wt) */
	int			ncols;
	int			rescue_col;		/* Delta column of _rescued_data, or -1 */
	int			source_file_col;	/* Delta column of _source_file, or -1 */
	int			source_line_col;	/* Delta column of _source_line, or -1 */
	int			ingested_at_col;	/* Delta column of _ingested_at, or -1 */
	const char *const *required;	/* names the header must have (borrowed), or NULL */
	FILE	   *file;			/* the file, when read as it is */
	gzFile		gz;				/* the file, when gzip-compressed (owns a dup of its fd) */
	char		delimiter;		/* the field delimiter */
	bool		header;			/* the first record names the columns */
	bool		header_done;
	const char *null_string;	/* unquoted fields equal to it are NULL; '' = empty unquoted field */
	pg_tz	   *source_tz;		/* naive timestamps into timestamp columns */
	bool		source_fixed;	/* source_tz has one offset (UTC, ...) */
	int			source_offset;	/* that offset, seconds west of UTC as pg_tm wants */

	LakeCsvTarget *targets;		/* per field position */
	int			ntargets;
	int			nexpected;		/* fields a row should have (header's, or the columns') */

	/* the record being read */
	StringInfoData rowbuf;		/* field text, each NUL-terminated */
	int		   *field_off;		/* offset in rowbuf, -1 = null (empty unquoted field) */
	int		   *field_len;
	int			nfields;
	int			fields_cap;
	int64		line;			/* physical line being fed */
	int64		record_line;	/* line the current record started on */

	ParquetValue *values;		/* per Delta column */
	bool	   *nulls;
	bool	   *supplied;		/* per Delta column: a field of this row went there */
	MemoryContext rowcxt;		/* reset per record */
	int64		rows;			/* rows written */
} LakeCsvState;

/* SQL functions */
PG_FUNCTION_INFO_V1(lakehouse_ingest_csv);

/* helpers */
static void lake_csv_check_target(Oid relid);
static void lake_csv_check_delimiter(const char *delimiter);
static void lake_csv_open(LakeCsvState *st);
static size_t lake_csv_read(LakeCsvState *st, char *buf, size_t len);
static void lake_csv_close(LakeCsvState *st);
static void *lake_csv_realloc(void *ptr, size_t size);
static void lake_csv_field_cb(void *s, size_t len, void *data);
static void lake_csv_row_cb(int c, void *data);
static void lake_csv_grow_fields(LakeCsvState *st);
static void lake_csv_plain_line(LakeCsvState *st, const char *line, size_t len);
static bool lake_csv_double(const char *s, double *out);
static void lake_csv_header(LakeCsvState *st);
static void lake_csv_header_required(LakeCsvState *st);
static void lake_csv_row(LakeCsvState *st);
static bool lake_csv_parse(LakeCsvState *st, const LakeWriteColumn *wc, char *s, int len,
						   ParquetValue *pv, const char **reason);
static bool lake_csv_int(const char *s, int64 lo, int64 hi, int64 *out, const char **reason);
static bool lake_csv_decimal(const char *s, int precision, int scale, int128 *out, const char **reason);
static bool lake_csv_timestamp(LakeCsvState *st, char *s, bool with_zone, int64 *out,
							   const char **reason);
static bool lake_csv_date(char *s, int32 *out, const char **reason);
static bool lake_csv_timestamp_iso(LakeCsvState *st, const char *s, bool with_zone, int64 *out);
static int	lake_csv_no_space(unsigned char c);
static void lake_csv_json_value(StringInfo buf, const char *s, int len);
static void lake_csv_error_callback(void *arg);
static int	lake_csv_hex(char c);
static bool lake_csv_relative_word(char **field, const int *ftype, int nf);

/*
 * ingest_csv(target regclass, path text, delimiter text, header boolean,
 *			  null_string text, source_timezone text) returns bigint
 */
Datum
lakehouse_ingest_csv(PG_FUNCTION_ARGS)
{
	Oid			relid = PG_GETARG_OID(0);
	char	   *path = text_to_cstring(PG_GETARG_TEXT_PP(1));
	char	   *delimiter = text_to_cstring(PG_GETARG_TEXT_PP(2));
	LakeCsvOptions opts;
	AclResult	aclresult;

	/* like COPY FROM a file */
	if (!has_privs_of_role(GetUserId(), ROLE_PG_READ_SERVER_FILES))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("permission denied to read file \"%s\"", path),
				 errdetail("Only superusers and roles with privileges of the pg_read_server_files role may read files on the server.")));
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("relative path not allowed for ingest_csv: \"%s\"", path)));
	lake_csv_check_delimiter(delimiter);
	lake_csv_check_target(relid);
	aclresult = pg_class_aclcheck(relid, GetUserId(), ACL_INSERT);
	if (aclresult != ACLCHECK_OK)
		aclcheck_error(aclresult, OBJECT_FOREIGN_TABLE, get_rel_name(relid));

	lake_csv_options_init(&opts);
	opts.delimiter = delimiter[0];
	opts.header = PG_GETARG_BOOL(3);
	opts.null_string = text_to_cstring(PG_GETARG_TEXT_PP(4));
	opts.source_timezone = text_to_cstring(PG_GETARG_TEXT_PP(5));
	PG_RETURN_INT64(lake_csv_ingest(relid, path, &opts));
}

/* ---------------------------------------------------------- the C API */

void
lake_csv_options_init(LakeCsvOptions *opts)
{
	memset(opts, 0, sizeof(LakeCsvOptions));
	opts->delimiter = ',';
	opts->header = true;
	opts->null_string = "";
	opts->source_timezone = "UTC";
	opts->source_name = NULL;
	opts->ingested_at = 0;
	opts->required_columns = NULL;
}

int64
lake_csv_ingest(Oid relid, const char *path, const LakeCsvOptions *opts)
{
	LakeCsvState st;
	Relation	rel;
	TupleDesc	tupdesc;
	struct csv_parser parser;
	char	   *buf;
	char		delimiter[2];
	const char *tzname = opts->source_timezone != NULL ? opts->source_timezone : "UTC";
	TimestampTz ingested_at;
	bool		first = true;
	int			i;
	ErrorContextCallback errcallback;
	pg_tz	   *saved_tz;

	/* the SQL function's checks, bar the roles: cheap, and a C caller may pass anything */
	if (!is_absolute_path(path))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_NAME),
				 errmsg("relative path not allowed for ingest_csv: \"%s\"", path)));
	delimiter[0] = opts->delimiter;
	delimiter[1] = '\0';
	lake_csv_check_delimiter(delimiter);
	lake_csv_check_target(relid);

	memset(&st, 0, sizeof(st));
	st.source_tz = pg_tzset(tzname);
	if (st.source_tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" not recognized", tzname)));

	{
		long int	gmtoff;

		if (pg_get_timezone_offset(st.source_tz, &gmtoff))
		{
			st.source_fixed = true;
			st.source_offset = (int) -gmtoff;
		}
	}
	ingested_at = opts->ingested_at != 0 ? opts->ingested_at : GetCurrentTimestamp();
	if (TIMESTAMP_NOT_FINITE(ingested_at))
		elog(ERROR, "ingested_at of an ingest must be finite");

	rel = table_open(relid, RowExclusiveLock);
	tupdesc = RelationGetDescr(rel);
	st.wt = lake_write_table(rel);
	st.path = path;
	st.header = opts->header;
	st.delimiter = opts->delimiter;
	st.null_string = opts->null_string != NULL ? opts->null_string : "";
	st.required = opts->header ? opts->required_columns : NULL;
	st.cols = lake_write_columns(st.wt, &st.ncols);
	st.rescue_col = -1;
	st.source_file_col = -1;
	st.source_line_col = -1;
	st.ingested_at_col = -1;
	for (i = 0; i < st.ncols; i++)
	{
		const LakeWriteColumn *wc = &st.cols[i];
		const char *attname;
		DeltaTypeKind kind = wc->col->kind;

		if (wc->attnum == 0)
			continue;
		attname = NameStr(TupleDescAttr(tupdesc, wc->attnum - 1)->attname);
		if (strcmp(attname, "_rescued_data") == 0 &&
			(wc->typid == TEXTOID || wc->typid == VARCHAROID || wc->typid == JSONBOID))
			st.rescue_col = i;
		else if (strcmp(attname, "_source_file") == 0 && kind == DELTA_TYPE_STRING &&
				 (wc->typid == TEXTOID || wc->typid == VARCHAROID))
			st.source_file_col = i;
		else if (strcmp(attname, "_source_line") == 0 &&
				 (kind == DELTA_TYPE_LONG || kind == DELTA_TYPE_INTEGER) &&
				 (wc->typid == INT8OID || wc->typid == INT4OID))
			st.source_line_col = i;
		else if (strcmp(attname, "_ingested_at") == 0 &&
				 (kind == DELTA_TYPE_TIMESTAMP || kind == DELTA_TYPE_TIMESTAMP_NTZ) &&
				 (wc->typid == TIMESTAMPTZOID || wc->typid == TIMESTAMPOID))
			st.ingested_at_col = i;
	}

	/*
	 * Without a header, fields go to the columns in order (not
	 * _rescued_data nor the lineage columns, which ingest_csv fills).
	 */
	{
		int			n = 0;

		st.targets = palloc0(sizeof(LakeCsvTarget) * Max(tupdesc->natts, 1));
		for (i = 0; i < tupdesc->natts; i++)
		{
			Form_pg_attribute att = TupleDescAttr(tupdesc, i);
			int			k;

			if (att->attisdropped)
				continue;
			for (k = 0; k < st.ncols; k++)
			{
				if (st.cols[k].attnum == att->attnum && k != st.rescue_col &&
					k != st.source_file_col && k != st.source_line_col && k != st.ingested_at_col)
				{
					st.targets[n].col = k;
					st.targets[n].name = pstrdup(NameStr(att->attname));
					n++;
				}
			}
		}
		st.ntargets = n;
		st.nexpected = n;
	}
	table_close(rel, NoLock);

	st.values = palloc0(sizeof(ParquetValue) * Max(st.ncols, 1));
	st.nulls = palloc0(sizeof(bool) * Max(st.ncols, 1));
	st.supplied = palloc0(sizeof(bool) * Max(st.ncols, 1));

	/* the lineage values are the same in every row (lake_csv_row sets their nulls) */
	if (st.source_file_col >= 0)
	{
		const char *name = opts->source_name != NULL ? opts->source_name : path;
		char	   *utf8 = pg_server_to_any(name, strlen(name), PG_UTF8);

		st.values[st.source_file_col].bytes.ptr = (const uint8_t *) utf8;
		st.values[st.source_file_col].bytes.len = strlen(utf8);
	}
	if (st.ingested_at_col >= 0)
		st.values[st.ingested_at_col].i64 = ingested_at + LAKE_UNIX_TO_PG_USECS;

	initStringInfo(&st.rowbuf);
	st.fields_cap = 64;
	st.field_off = palloc(sizeof(int) * st.fields_cap);
	st.field_len = palloc(sizeof(int) * st.fields_cap);
	st.rowcxt = AllocSetContextCreate(CurrentMemoryContext, "iot_lakehouse ingest_csv row",
									  ALLOCSET_DEFAULT_SIZES);
	st.line = 1;
	st.record_line = 1;
	buf = palloc(LAKE_CSV_READ_BYTES);

	if (csv_init(&parser, CSV_APPEND_NULL | CSV_EMPTY_IS_NULL) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	csv_set_delim(&parser, (unsigned char) st.delimiter);
	/* keep blanks around unquoted fields, as COPY does */
	csv_set_space_func(&parser, lake_csv_no_space);
	/* grow a long field's buffer by 1 MB steps, not libcsv's 128 bytes */
	csv_set_blk_size(&parser, 1024 * 1024);
	/* a field of more than LAKE_CSV_MAX_FIELD bytes is refused, not gathered */
	csv_set_realloc_func(&parser, lake_csv_realloc);

	/* (closed at abort by fd.c; the gzip stream over it by PG_FINALLY) */
	st.file = AllocateFile(path, PG_BINARY_R);
	if (st.file == NULL)
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not open file \"%s\" for reading: %m", path)));

	errcallback.callback = lake_csv_error_callback;
	errcallback.arg = &st;
	errcallback.previous = error_context_stack;
	error_context_stack = &errcallback;

	/*
	 * While the file is read, session_timezone is the source time zone:
	 * DecodeDateTime reads a timestamp without a zone in it.
	 */
	saved_tz = session_timezone;
	session_timezone = st.source_tz;
	PG_TRY();
	{
		size_t		carry = 0;	/* bytes of an unfinished line at the start of buf */

		lake_csv_open(&st);
		for (;;)
		{
			size_t		n = lake_csv_read(&st, buf + carry, LAKE_CSV_READ_BYTES - carry);
			size_t		avail = carry + n;
			size_t		pos = 0;
			bool		eof = (n == 0);

			if (first && avail >= 3 && (uint8) buf[0] == 0xEF && (uint8) buf[1] == 0xBB &&
				(uint8) buf[2] == 0xBF)
				pos = 3;
			if (avail > 0)
				first = false;

			/* feed whole lines; keep a partial last line for the next read */
			while (pos < avail)
			{
				char	   *nl = memchr(buf + pos, '\n', avail - pos);
				size_t		len;

				if (nl == NULL)
				{
					if (!eof && (pos > 0 || avail < LAKE_CSV_READ_BYTES))
						break;	/* read more first */
					len = avail - pos;	/* a line longer than the buffer, or the last one */
				}
				else
					len = (size_t) (nl - (buf + pos)) + 1;

				/*
				 * The header's lines: a NUL byte is a binary file, refused
				 * before libcsv gathers it (lake_csv_header checks the rest).
				 */
				if (st.header && !st.header_done && memchr(buf + pos, '\0', len) != NULL)
					ereport(ERROR,
							(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
							 errmsg("file \"%s\" is not a CSV file: its header is not text", path),
							 errdetail("Line " INT64_FORMAT " holds a NUL byte.", st.line),
							 errhint("Only CSV files, plain or compressed with gzip, can be ingested.")));

				/* libcsv between records: the next record starts on this line */
				if (parser.pstate == 0)
				{
					size_t		plain = len;

					st.record_line = st.line;

					/*
					 * A whole line without quotes or carriage returns
					 * inside (the common case) is split right here:
					 * libcsv would give the same fields, NULL for an
					 * empty one, and then be between records again.
					 */
					if (nl != NULL)
					{
						plain--;
						if (plain > 0 && buf[pos + plain - 1] == '\r')
							plain--;
					}
					if (nl != NULL && plain > 0 && memchr(buf + pos, '"', plain) == NULL &&
						memchr(buf + pos, '\r', plain) == NULL)
					{
						lake_csv_plain_line(&st, buf + pos, plain);
						pos += len;
						st.line++;
						continue;
					}
				}
				if (csv_parse(&parser, buf + pos, len, lake_csv_field_cb, lake_csv_row_cb, &st) != len)
				{
					int			cerr = csv_error(&parser);

					if ((cerr == CSV_ENOMEM || cerr == CSV_ETOOBIG) &&
						parser.entry_size + parser.blk_size > LAKE_CSV_MAX_FIELD)
						ereport(ERROR,
								(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
								 errmsg("line " INT64_FORMAT " of file \"%s\" is too long",
										st.record_line, path),
								 errdetail("A field may hold at most %zu bytes.", LAKE_CSV_MAX_FIELD)));
					ereport(ERROR,
							(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
							 errmsg("could not parse line " INT64_FORMAT " of file \"%s\": %s",
									st.line, path, csv_strerror(cerr))));
				}
				pos += len;
				if (nl != NULL)
					st.line++;
			}
			carry = avail - pos;
			if (carry > 0 && pos > 0)
				memmove(buf, buf + pos, carry);
			if (eof)
				break;
			CHECK_FOR_INTERRUPTS();
		}
		if (parser.pstate == 0)
			st.record_line = st.line;

		/*
		 * A quoted field still open at the end (libcsv's FIELD_BEGUN, 2,
		 * inside quotes): the file was cut short.  libcsv would end the
		 * field at the end of the file.
		 */
		if (parser.pstate == 2 && parser.quoted)
			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("line " INT64_FORMAT " of file \"%s\": unterminated quoted field at the end of the file",
							st.record_line, path)));
		csv_fini(&parser, lake_csv_field_cb, lake_csv_row_cb, &st);
	}
	PG_FINALLY();
	{
		session_timezone = saved_tz;
		csv_free(&parser);
		lake_csv_close(&st);
	}
	PG_END_TRY();
	error_context_stack = errcallback.previous;

	MemoryContextDelete(st.rowcxt);
	pfree(buf);
	return st.rows;
}

/* The target must be a foreign table of iot_lakehouse_fdw. */
static void
lake_csv_check_target(Oid relid)
{
	if (!lake_fdw_is_lake_table(relid))
		ereport(ERROR,
				(errcode(ERRCODE_WRONG_OBJECT_TYPE),
				 errmsg("\"%s\" is not a foreign table of iot_lakehouse_fdw",
						get_rel_name(relid) != NULL ? get_rel_name(relid) : "?")));
}

static void
lake_csv_check_delimiter(const char *delimiter)
{
	if (strlen(delimiter) != 1 || delimiter[0] == '"' || delimiter[0] == '\n' || delimiter[0] == '\r')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid delimiter \"%s\"", delimiter),
				 errdetail("The delimiter must be one single-byte character other than a quote or a line break.")));
}

/* ----------------------------------------------------------- the file */

/*
 * st->file (opened, nothing read yet) starts with the gzip magic: read it
 * through zlib, over a dup of its descriptor that the gzFile owns (an
 * external FD to fd.c).  A file whose first bytes cannot be read with
 * pread (a pipe) is read as it is.
 */
static void
lake_csv_open(LakeCsvState *st)
{
	unsigned char magic[2];
	int			fd;

	if (pread(fileno(st->file), magic, 2, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b)
		return;

	ReserveExternalFD();
	fd = dup(fileno(st->file));
	if (fd < 0)
	{
		int			save_errno = errno;

		ReleaseExternalFD();
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not duplicate the descriptor of file \"%s\": %m", st->path)));
	}
	st->gz = gzdopen(fd, "rb");
	if (st->gz == NULL)
	{
		close(fd);
		ReleaseExternalFD();
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Could not start decompressing file \"%s\".", st->path)));
	}
	/* before the first read; zlib allocates twice this for its output */
	if (gzbuffer(st->gz, LAKE_CSV_GZ_BUFFER) != 0)
		elog(ERROR, "could not set the gzip buffer size of file \"%s\"", st->path);
}

/*
 * Up to len bytes of the file (decompressed) into buf; 0 at its end.  A
 * gzip stream that is corrupt or ends early is XX001 with zlib's message
 * (without the "<fd:N>: " zlib puts before it).
 */
static size_t
lake_csv_read(LakeCsvState *st, char *buf, size_t len)
{
	int			n;
	int			zerr;
	int			save_errno;
	const char *msg;

	if (st->gz == NULL)
	{
		size_t		got = fread(buf, 1, len, st->file);

		if (got == 0 && ferror(st->file))
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not read file \"%s\": %m", st->path)));
		return got;
	}

	n = gzread(st->gz, buf, (unsigned) len);
	save_errno = errno;
	msg = gzerror(st->gz, &zerr);
	if (n >= 0 && zerr == Z_OK)
		return (size_t) n;

	if (msg != NULL && strncmp(msg, "<fd:", 4) == 0 && strstr(msg, ">: ") != NULL)
		msg = strstr(msg, ">: ") + 3;
	if (msg == NULL || msg[0] == '\0')
		msg = "unknown zlib error";
	if (zerr == Z_ERRNO)
	{
		errno = save_errno;
		ereport(ERROR,
				(errcode_for_file_access(),
				 errmsg("could not read file \"%s\": %m", st->path)));
	}
	if (zerr == Z_MEM_ERROR)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory"),
				 errdetail("Failed while decompressing file \"%s\".", st->path)));
	ereport(ERROR,
			(errcode(ERRCODE_DATA_CORRUPTED),
			 errmsg("could not decompress file \"%s\": %s", st->path, msg),
			 zerr == Z_BUF_ERROR ?
			 errdetail("The file ends inside its gzip stream: it was cut short.") :
			 errdetail("The gzip stream of the file is corrupt.")));
	return 0;					/* keep the compiler quiet */
}

/* PG_FINALLY: the gzip stream (and its descriptor), then the file. */
static void
lake_csv_close(LakeCsvState *st)
{
	if (st->gz != NULL)
	{
		gzclose(st->gz);
		st->gz = NULL;
		ReleaseExternalFD();
	}
	if (st->file != NULL)
	{
		FreeFile(st->file);
		st->file = NULL;
	}
}

/* libcsv's allocator: malloc's, refusing a field larger than LAKE_CSV_MAX_FIELD. */
static void *
lake_csv_realloc(void *ptr, size_t size)
{
	if (size > LAKE_CSV_MAX_FIELD + 1)
		return NULL;
	return realloc(ptr, size);
}

/* Room for one more field of the current record. */
static void
lake_csv_grow_fields(LakeCsvState *st)
{
	if (st->fields_cap >= 1024 * 1024)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("line " INT64_FORMAT " of file \"%s\" has too many fields",
						st->record_line, st->path)));
	st->fields_cap *= 2;
	st->field_off = repalloc(st->field_off, sizeof(int) * st->fields_cap);
	st->field_len = repalloc(st->field_len, sizeof(int) * st->fields_cap);
}

/*
 * A whole record on one line (len bytes without its line end, no quote or
 * carriage return in it, libcsv between records): its fields as libcsv
 * gives them (split at the delimiter, an empty one NULL), then the record.
 * The line is copied into rowbuf once, delimiters becoming NULs.
 */
static void
lake_csv_plain_line(LakeCsvState *st, const char *line, size_t len)
{
	char	   *d;
	size_t		start = 0;
	size_t		i;

	Assert(st->nfields == 0 && st->rowbuf.len == 0);
	enlargeStringInfo(&st->rowbuf, (int) len + 1);
	d = st->rowbuf.data;
	memcpy(d, line, len);
	d[len] = '\0';
	st->rowbuf.len = (int) len + 1;
	for (i = 0; i <= len; i++)
	{
		if (i < len && d[i] != st->delimiter)
			continue;
		if (st->nfields == st->fields_cap)
			lake_csv_grow_fields(st);
		d[i] = '\0';
		st->field_off[st->nfields] = i > start ? (int) start : -1;
		st->field_len[st->nfields] = (int) (i - start);
		st->nfields++;
		start = i + 1;
	}
	lake_csv_row_cb('\n', st);
}

/* libcsv: one field of the current record (s NULL: an empty unquoted field) */
static void
lake_csv_field_cb(void *s, size_t len, void *data)
{
	LakeCsvState *st = (LakeCsvState *) data;

	if (st->nfields == st->fields_cap)
		lake_csv_grow_fields(st);
	if (s == NULL)
	{
		st->field_off[st->nfields] = -1;
		st->field_len[st->nfields] = 0;
	}
	else
	{
		if (len > (size_t) (MaxAllocSize / 2) || st->rowbuf.len + len + 1 > MaxAllocSize / 2)
			ereport(ERROR,
					(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
					 errmsg("line " INT64_FORMAT " of file \"%s\" is too long",
							st->record_line, st->path)));
		st->field_off[st->nfields] = st->rowbuf.len;
		st->field_len[st->nfields] = (int) len;
		appendBinaryStringInfoNT(&st->rowbuf, s, (int) len);
		appendStringInfoChar(&st->rowbuf, '\0');
	}
	st->nfields++;
}

/* libcsv: the end of a record */
static void
lake_csv_row_cb(int c, void *data)
{
	LakeCsvState *st = (LakeCsvState *) data;

	if (st->header && !st->header_done)
		lake_csv_header(st);
	else
	{
		MemoryContext oldcxt = MemoryContextSwitchTo(st->rowcxt);

		lake_csv_row(st);
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(st->rowcxt);
	}
	st->nfields = 0;
	resetStringInfo(&st->rowbuf);
}

/* The header: which column each field goes to (case-insensitive, unique). */
static void
lake_csv_header(LakeCsvState *st)
{
	LakeCsvTarget *by_position = st->targets;
	int			nby = st->ntargets;
	int			i;

	/* text (no NUL byte: the caller has checked the raw lines), UTF-8 */
	for (i = 0; i < st->nfields; i++)
	{
		if (st->field_off[i] >= 0 &&
			!pg_verify_mbstr(PG_UTF8, st->rowbuf.data + st->field_off[i], st->field_len[i], true))
			ereport(ERROR,
					(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
					 errmsg("file \"%s\" is not a CSV file: its header is not text", st->path),
					 errdetail("Field %d of the header is not valid UTF-8.", i + 1),
					 errhint("Only CSV files, plain or compressed with gzip, can be ingested.")));
	}
	if (st->required != NULL)
		lake_csv_header_required(st);

	st->targets = palloc0(sizeof(LakeCsvTarget) * Max(st->nfields, 1));
	st->ntargets = st->nfields;
	st->nexpected = st->nfields;
	for (i = 0; i < st->nfields; i++)
	{
		const char *name = st->field_off[i] < 0 ? "" : st->rowbuf.data + st->field_off[i];
		int			found = -1;
		int			matches = 0;
		int			k;

		for (k = 0; k < nby; k++)
		{
			if (strcmp(by_position[k].name, name) == 0)
			{
				found = k;
				matches = 1;
				break;
			}
			if (pg_strcasecmp(by_position[k].name, name) == 0)
			{
				found = k;
				matches++;
			}
		}
		if (matches > 1)
			ereport(ERROR,
					(errcode(ERRCODE_AMBIGUOUS_COLUMN),
					 errmsg("column \"%s\" of the header of file \"%s\" matches more than one column of the table",
							name, st->path)));
		st->targets[i].name = pstrdup(name[0] != '\0' ? name : psprintf("_c%d", i));
		if (found < 0)
		{
			if (st->rescue_col < 0)
			{
				const char *filled = NULL;	/* the lineage column it names */

				if (st->source_file_col >= 0 && pg_strcasecmp(name, "_source_file") == 0)
					filled = "_source_file";
				else if (st->source_line_col >= 0 && pg_strcasecmp(name, "_source_line") == 0)
					filled = "_source_line";
				else if (st->ingested_at_col >= 0 && pg_strcasecmp(name, "_ingested_at") == 0)
					filled = "_ingested_at";
				ereport(ERROR,
						(errcode(ERRCODE_UNDEFINED_COLUMN),
						 errmsg("column \"%s\" of the header of file \"%s\" is not a column of the table",
								name, st->path),
						 filled != NULL ?
						 errdetail("Column \"%s\" of the table is filled by ingest_csv, never from the file.", filled) : 0,
						 errhint("Add the column to the table, or add a column \"_rescued_data\" of type text or jsonb to keep unknown columns there.")));
			}
			st->targets[i].col = -1;
			continue;
		}
		for (k = 0; k < i; k++)
		{
			if (st->targets[k].col == by_position[found].col)
				ereport(ERROR,
						(errcode(ERRCODE_DUPLICATE_COLUMN),
						 errmsg("column \"%s\" appears twice in the header of file \"%s\"",
								name, st->path)));
		}
		st->targets[i].col = by_position[found].col;
	}
	st->header_done = true;
}

/*
 * The header must name every required column (case-insensitively): else
 * 22P04, with the header's fields (the first LAKE_CSV_DETAIL_FIELDS, each
 * cut at LAKE_CSV_DETAIL_NAME_BYTES) in the detail.  The header is valid
 * UTF-8 here.
 */
static void
lake_csv_header_required(LakeCsvState *st)
{
	const char *const *req;

	for (req = st->required; *req != NULL; req++)
	{
		StringInfoData list;
		int			i;

		for (i = 0; i < st->nfields; i++)
		{
			if (st->field_off[i] >= 0 &&
				pg_strcasecmp(st->rowbuf.data + st->field_off[i], *req) == 0)
				break;
		}
		if (i < st->nfields)
			continue;

		initStringInfo(&list);
		for (i = 0; i < st->nfields && i < LAKE_CSV_DETAIL_FIELDS; i++)
		{
			const char *name = st->field_off[i] < 0 ? "" : st->rowbuf.data + st->field_off[i];
			int			len = st->field_off[i] < 0 ? 0 : st->field_len[i];

			if (i > 0)
				appendStringInfoString(&list, ", ");
			appendStringInfoChar(&list, '"');
			if (len > LAKE_CSV_DETAIL_NAME_BYTES)
			{
				len = pg_encoding_mbcliplen(PG_UTF8, name, len, LAKE_CSV_DETAIL_NAME_BYTES);
				appendBinaryStringInfo(&list, name, len);
				appendStringInfoString(&list, "...");
			}
			else
				appendBinaryStringInfo(&list, name, len);
			appendStringInfoChar(&list, '"');
		}
		if (st->nfields > LAKE_CSV_DETAIL_FIELDS)
			appendStringInfo(&list, " and %d more", st->nfields - LAKE_CSV_DETAIL_FIELDS);
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("file \"%s\" has no column \"%s\" in its header", st->path, *req),
				 errdetail_plural("The header has %d field: %s.",
								  "The header has %d fields: %s.",
								  st->nfields, st->nfields, list.data)));
	}
}

/* One record: parse its fields into the columns and write the row. */
static void
lake_csv_row(LakeCsvState *st)
{
	StringInfoData rescued;
	bool		rescue = false;
	int			i;

	/* a record of one empty field is an empty line (libcsv skips most of them) */
	if (st->nfields == 1 && st->field_off[0] < 0 && st->nexpected > 1)
		return;

	for (i = 0; i < st->ncols; i++)
	{
		st->nulls[i] = true;
		st->supplied[i] = false;
	}
	rescued.data = NULL;

	/* the lineage columns (their values but the line were set once) */
	if (st->source_file_col >= 0)
		st->nulls[st->source_file_col] = false;
	if (st->ingested_at_col >= 0)
		st->nulls[st->ingested_at_col] = false;
	if (st->source_line_col >= 0)
	{
		ParquetValue *pv = &st->values[st->source_line_col];

		if (st->cols[st->source_line_col].col->kind == DELTA_TYPE_LONG)
			pv->i64 = st->record_line;
		else if (st->record_line <= PG_INT32_MAX)
			pv->i32 = (int32) st->record_line;
		else
			ereport(ERROR,
					(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
					 errmsg("line " INT64_FORMAT " of file \"%s\" is out of range for column \"_source_line\" of type integer",
							st->record_line, st->path)));
		st->nulls[st->source_line_col] = false;
	}

	if (st->nfields != st->nexpected && st->rescue_col < 0)
		ereport(ERROR,
				(errcode(ERRCODE_BAD_COPY_FILE_FORMAT),
				 errmsg("line " INT64_FORMAT " of file \"%s\" has %d fields, expected %d",
						st->record_line, st->path, st->nfields, st->nexpected)));
	if (st->nfields != st->nexpected)
		rescue = true;

	for (i = 0; i < st->nfields; i++)
	{
		int			off = st->field_off[i];
		int			len = st->field_len[i];
		char	   *s = off < 0 ? NULL : st->rowbuf.data + off;
		int			ci = i < st->ntargets ? st->targets[i].col : -1;
		const char *reason = NULL;

		if (ci < 0)
		{
			/* an extra field: kept in _rescued_data (header names checked before) */
			if (s == NULL || len == 0)
				continue;
			if (rescued.data == NULL)
			{
				initStringInfo(&rescued);
				appendStringInfoChar(&rescued, '{');
			}
			else
				appendStringInfoChar(&rescued, ',');
			escape_json(&rescued, i < st->ntargets ? st->targets[i].name : psprintf("_c%d", i));
			appendStringInfoChar(&rescued, ':');
			lake_csv_json_value(&rescued, s, len);
			continue;
		}
		st->supplied[ci] = true;
		if (s == NULL || (st->null_string[0] != '\0' && strcmp(s, st->null_string) == 0))
			continue;			/* NULL */
		if (lake_csv_parse(st, &st->cols[ci], s, len, &st->values[ci], &reason))
		{
			st->nulls[ci] = false;
			continue;
		}
		if (st->rescue_col < 0)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
					 errmsg("line " INT64_FORMAT " of file \"%s\": %s", st->record_line, st->path, reason),
					 errdetail("Column \"%s\", value \"%s\".", st->cols[ci].col->name,
							   pg_verifymbstr(s, len, true) ? s : "(not valid in the database encoding)")));
		if (rescued.data == NULL)
		{
			initStringInfo(&rescued);
			appendStringInfoChar(&rescued, '{');
		}
		else
			appendStringInfoChar(&rescued, ',');
		escape_json(&rescued, st->targets[i].name);
		appendStringInfoChar(&rescued, ':');
		lake_csv_json_value(&rescued, s, len);
	}

	if (st->rescue_col >= 0 && (rescue || rescued.data != NULL))
	{
		if (rescued.data == NULL)
		{
			initStringInfo(&rescued);
			appendStringInfoChar(&rescued, '{');
		}
		else
			appendStringInfoChar(&rescued, ',');
		appendStringInfo(&rescued, "\"_line\":" INT64_FORMAT "}", st->record_line);
		st->values[st->rescue_col].bytes.ptr = (const uint8_t *) rescued.data;
		st->values[st->rescue_col].bytes.len = rescued.len;
		st->nulls[st->rescue_col] = false;
	}

	lake_write_values(st->wt, st->values, st->nulls);
	st->rows++;
}

/* A JSON string of a field's text (hex "\x..." when it is not valid UTF-8). */
static void
lake_csv_json_value(StringInfo buf, const char *s, int len)
{
	if (pg_verify_mbstr(PG_UTF8, s, len, true) && GetDatabaseEncoding() == PG_UTF8)
		escape_json(buf, s);
	else
	{
		int			i;

		appendStringInfoString(buf, "\"\\\\x");
		for (i = 0; i < len; i++)
			appendStringInfo(buf, "%02x", (unsigned char) s[i]);
		appendStringInfoChar(buf, '"');
	}
}

/* ---------------------------------------------------------- parsing */

static int
lake_csv_no_space(unsigned char c)
{
	return 0;
}

/* Parse field s (NUL-terminated, len bytes) for column wc. */
static bool
lake_csv_parse(LakeCsvState *st, const LakeWriteColumn *wc, char *s, int len, ParquetValue *pv,
			   const char **reason)
{
	const DeltaColumn *col = wc->col;
	int64		v;

	switch (col->kind)
	{
		case DELTA_TYPE_LONG:
			if (!lake_csv_int(s, PG_INT64_MIN, PG_INT64_MAX, &v, reason))
				return false;
			pv->i64 = v;
			return true;
		case DELTA_TYPE_INTEGER:
			if (!lake_csv_int(s, PG_INT32_MIN, PG_INT32_MAX, &v, reason))
				return false;
			pv->i32 = (int32) v;
			return true;
		case DELTA_TYPE_SHORT:
			if (!lake_csv_int(s, PG_INT16_MIN, PG_INT16_MAX, &v, reason))
				return false;
			pv->i32 = (int32) v;
			return true;
		case DELTA_TYPE_BYTE:
			if (!lake_csv_int(s, -128, 127, &v, reason))
				return false;
			pv->i32 = (int32) v;
			return true;
		case DELTA_TYPE_FLOAT:
		case DELTA_TYPE_DOUBLE:
			{
				char	   *end;
				double		d;

				if (lake_csv_double(s, &d))
				{
					if (col->kind == DELTA_TYPE_FLOAT)
						pv->f32 = (float) d;
					else
						pv->f64 = d;
					return true;
				}
				while (*s == ' ' || *s == '\t')
					s++;
				errno = 0;
				d = strtod(s, &end);
				while (*end == ' ' || *end == '\t')
					end++;
				if (end == s || *end != '\0')
				{
					*reason = psprintf("invalid input syntax for type %s",
									   col->kind == DELTA_TYPE_FLOAT ? "real" : "double precision");
					return false;
				}
				if ((errno == ERANGE && (d == 0 || isinf(d))) ||
					(col->kind == DELTA_TYPE_FLOAT && !isinf(d) && !isnan(d) && fabs(d) > FLT_MAX))
				{
					*reason = psprintf("value out of range for type %s",
									   col->kind == DELTA_TYPE_FLOAT ? "real" : "double precision");
					return false;
				}
				if (col->kind == DELTA_TYPE_FLOAT)
					pv->f32 = (float) d;
				else
					pv->f64 = d;
				return true;
			}
		case DELTA_TYPE_DECIMAL:
			{
				int128		u;

				if (!lake_csv_decimal(s, col->precision, col->scale, &u, reason))
					return false;
				lake_values_set_decimal(wc, u, pv);
				return true;
			}
		case DELTA_TYPE_BOOLEAN:
			{
				bool		b;
				int			l = len;

				while (*s == ' ' || *s == '\t')
				{
					s++;
					l--;
				}
				while (l > 0 && (s[l - 1] == ' ' || s[l - 1] == '\t'))
					l--;
				if (!parse_bool_with_len(s, l, &b))
				{
					*reason = "invalid input syntax for type boolean";
					return false;
				}
				pv->boolean = b;
				return true;
			}
		case DELTA_TYPE_STRING:
			if (memchr(s, '\0', len) != NULL || !pg_verify_mbstr(PG_UTF8, s, len, true))
			{
				*reason = "invalid byte sequence for encoding \"UTF8\"";
				return false;
			}
			pv->bytes.ptr = (const uint8_t *) s;
			pv->bytes.len = len;
			return true;
		case DELTA_TYPE_BINARY:
			if (len >= 2 && s[0] == '\\' && s[1] == 'x')
			{
				int			n = (len - 2) / 2;
				uint8	   *out;
				int			i;

				if ((len - 2) % 2 != 0)
				{
					*reason = "invalid hexadecimal data: odd number of digits";
					return false;
				}
				out = palloc(Max(n, 1));
				for (i = 0; i < n; i++)
				{
					int			hi = lake_csv_hex(s[2 + 2 * i]);
					int			lo = lake_csv_hex(s[3 + 2 * i]);

					if (hi < 0 || lo < 0)
					{
						*reason = "invalid hexadecimal digit";
						return false;
					}
					out[i] = (uint8) (hi * 16 + lo);
				}
				pv->bytes.ptr = out;
				pv->bytes.len = n;
				return true;
			}
			pv->bytes.ptr = (const uint8_t *) s;
			pv->bytes.len = len;
			return true;
		case DELTA_TYPE_DATE:
			return lake_csv_date(s, &pv->i32, reason);
		case DELTA_TYPE_TIMESTAMP:
			return lake_csv_timestamp(st, s, true, &pv->i64, reason);
		case DELTA_TYPE_TIMESTAMP_NTZ:
			return lake_csv_timestamp(st, s, false, &pv->i64, reason);
		default:
			*reason = psprintf("cannot write column \"%s\" of type %s", col->name,
							   delta_type_name(col->kind));
			return false;
	}
}

/*
 * [+-]digits[.digits] with at most 15 significant digits and at most 22
 * after the point: the mantissa and the power of ten are exact doubles, so
 * one division is the correctly rounded value, what strtod returns.  False
 * for anything else (the caller uses strtod).
 */
static bool
lake_csv_double(const char *s, double *out)
{
	static const double pow10[] = {
		1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
		1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
	};
	const char *p = s;
	bool		neg = false;
	uint64		m = 0;
	int			digits = 0;
	int			frac = 0;
	bool		any = false;
	double		d;

	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	for (; *p >= '0' && *p <= '9'; p++)
	{
		any = true;
		if (m == 0 && *p == '0')
			continue;			/* leading zeros */
		if (++digits > 15)
			return false;
		m = m * 10 + (uint64) (*p - '0');
	}
	if (*p == '.')
	{
		for (p++; *p >= '0' && *p <= '9'; p++)
		{
			any = true;
			if (++frac > 22)
				return false;
			if (m == 0 && *p == '0')
				continue;
			if (++digits > 15)
				return false;
			m = m * 10 + (uint64) (*p - '0');
		}
	}
	if (!any || *p != '\0')
		return false;
	d = (double) m / pow10[frac];
	*out = neg ? -d : d;
	return true;
}

static bool
lake_csv_int(const char *s, int64 lo, int64 hi, int64 *out, const char **reason)
{
	uint64		acc = 0;
	bool		neg = false;
	const char *p = s;
	uint64		limit;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	if (!isdigit((unsigned char) *p))
	{
		*reason = "invalid input syntax for an integer";
		return false;
	}
	limit = neg ? (uint64) (-(lo + 1)) + 1 : (uint64) hi;
	while (isdigit((unsigned char) *p))
	{
		acc = acc * 10 + (uint64) (*p - '0');
		if (acc > limit)
		{
			*reason = "value out of range for the column's integer type";
			return false;
		}
		p++;
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
	{
		*reason = "invalid input syntax for an integer";
		return false;
	}
	*out = neg ? (int64) (0 - acc) : (int64) acc;
	return true;
}

/* [+-]digits[.digits][e[+-]digits], rounded half away from zero to scale */
static bool
lake_csv_decimal(const char *s, int precision, int scale, int128 *out, const char **reason)
{
	const char *p = s;
	bool		neg = false;
	char		digits[128];
	int			nd = 0;
	int			point = -1;		/* digits before the point */
	int			exp10 = 0;
	int128		acc = 0;
	int128		limit = 1;
	int			keep;
	int			i;
	bool		any = false;

	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '-' || *p == '+')
		neg = (*p++ == '-');
	for (; *p != '\0'; p++)
	{
		if (isdigit((unsigned char) *p))
		{
			any = true;
			if (nd == 0 && *p == '0' && point < 0)
				continue;		/* leading zeros of the integer part */
			if (nd >= (int) sizeof(digits))
			{
				*reason = "numeric value out of range";
				return false;
			}
			digits[nd++] = *p;
		}
		else if (*p == '.' && point < 0)
			point = nd;
		else
			break;
	}
	if (point < 0)
		point = nd;
	if (!any)
	{
		*reason = "invalid input syntax for type numeric";
		return false;
	}
	if (*p == 'e' || *p == 'E')
	{
		int64		e;

		if (!lake_csv_int(p + 1, -1000, 1000, &e, reason))
		{
			*reason = "invalid input syntax for type numeric";
			return false;
		}
		exp10 = (int) e;
		p += strlen(p);
	}
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p != '\0')
	{
		*reason = "invalid input syntax for type numeric";
		return false;
	}

	/* value = 0.digits * 10^(point + exp10); keep point + exp10 + scale digits */
	keep = point + exp10 + scale;
	for (i = 0; i < precision; i++)
		limit *= 10;
	for (i = 0; i < keep; i++)
	{
		int			d = i < nd ? digits[i] - '0' : 0;

		if (i >= 40)
		{
			*reason = "numeric field overflow";
			return false;
		}
		acc = acc * 10 + d;
		if (acc >= limit)
		{
			*reason = psprintf("numeric field overflow: the value does not fit decimal(%d,%d)",
							   precision, scale);
			return false;
		}
	}
	if (keep >= 0 && keep < nd && digits[keep] >= '5')
	{
		if (++acc >= limit)
		{
			*reason = psprintf("numeric field overflow: the value does not fit decimal(%d,%d)",
							   precision, scale);
			return false;
		}
	}
	*out = neg ? -acc : acc;
	return true;
}

static bool
lake_csv_date(char *s, int32 *out, const char **reason)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			tz;
	struct pg_tm tt;
	fsec_t		fsec;
	int			dterr;

	/* the common form: YYYY-MM-DD */
	if (strlen(s) == 10 && s[4] == '-' && s[7] == '-' &&
		isdigit((unsigned char) s[0]) && isdigit((unsigned char) s[1]) &&
		isdigit((unsigned char) s[2]) && isdigit((unsigned char) s[3]) &&
		isdigit((unsigned char) s[5]) && isdigit((unsigned char) s[6]) &&
		isdigit((unsigned char) s[8]) && isdigit((unsigned char) s[9]))
	{
		int			y = (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0');
		int			m = (s[5] - '0') * 10 + (s[6] - '0');
		int			d = (s[8] - '0') * 10 + (s[9] - '0');

		if (m >= 1 && m <= 12 && d >= 1 && d <= day_tab[isleap(y)][m - 1])
		{
			*out = (int32) (date2j(y, m, d) - UNIX_EPOCH_JDATE);
			return true;
		}
		*reason = "date out of range";
		return false;
	}
	if (strlen(s) >= MAXDATELEN)
	{
		*reason = "invalid input syntax for type date";
		return false;
	}
	dterr = ParseDateTime(s, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	if (dterr == 0 && lake_csv_relative_word(field, ftype, nf))
	{
		*reason = "a date relative to the moment of reading (now, today, tomorrow, yesterday) is not a reading's date";
		return false;
	}
	if (dterr == 0)
		dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);
	if (dterr != 0 || dtype != DTK_DATE)
	{
		*reason = "invalid input syntax for type date";
		return false;
	}
	if (!IS_VALID_JULIAN(tt.tm_year, tt.tm_mon, tt.tm_mday))
	{
		*reason = "date out of range";
		return false;
	}
	*out = (int32) (date2j(tt.tm_year, tt.tm_mon, tt.tm_mday) - UNIX_EPOCH_JDATE);
	return true;
}

/* n digits at s as a number, or -1 */
static inline int
lake_csv_digits(const char *s, int n)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/*
 * YYYY-MM-DD[ T]HH:MM:SS[.ffffff][Z|+HH[:MM]|-HH[:MM]]: the form nearly
 * every CSV writer uses, parsed without the general decoder.  False when
 * the text is anything else (the caller then uses the decoder).
 */
static bool
lake_csv_timestamp_iso(LakeCsvState *st, const char *s, bool with_zone, int64 *out)
{
	struct pg_tm tt;
	fsec_t		fsec = 0;
	int			tz = 0;
	bool		has_zone = false;
	const char *p;
	Timestamp	ts;

	memset(&tt, 0, sizeof(tt));
	if ((tt.tm_year = lake_csv_digits(s, 4)) < 0 || s[4] != '-' ||
		(tt.tm_mon = lake_csv_digits(s + 5, 2)) < 0 || s[7] != '-' ||
		(tt.tm_mday = lake_csv_digits(s + 8, 2)) < 0 || (s[10] != ' ' && s[10] != 'T') ||
		(tt.tm_hour = lake_csv_digits(s + 11, 2)) < 0 || s[13] != ':' ||
		(tt.tm_min = lake_csv_digits(s + 14, 2)) < 0 || s[16] != ':' ||
		(tt.tm_sec = lake_csv_digits(s + 17, 2)) < 0)
		return false;
	p = s + 19;
	if (*p == '.')
	{
		int			n = 0;

		p++;
		while (*p >= '0' && *p <= '9')
		{
			if (n < 6)
				fsec = fsec * 10 + (*p - '0');
			n++;
			p++;
		}
		if (n == 0 || n > 6)
			return false;		/* rounding of more digits: the decoder's business */
		for (; n < 6; n++)
			fsec *= 10;
	}
	if (*p == 'Z')
	{
		has_zone = true;
		p++;
	}
	else if (*p == '+' || *p == '-')
	{
		int			sign = (*p == '-') ? -1 : 1;
		int			hh = lake_csv_digits(p + 1, 2);
		int			mm = 0;

		if (hh < 0)
			return false;
		p += 3;
		if (*p == ':')
			p++;
		if (*p >= '0' && *p <= '9')
		{
			if ((mm = lake_csv_digits(p, 2)) < 0)
				return false;
			p += 2;
		}
		has_zone = true;
		tz = -sign * (hh * SECS_PER_HOUR + mm * SECS_PER_MINUTE);
	}
	if (*p != '\0')
		return false;
	if (tt.tm_mon < 1 || tt.tm_mon > 12 || tt.tm_mday < 1 ||
		tt.tm_mday > day_tab[isleap(tt.tm_year)][tt.tm_mon - 1] ||
		tt.tm_hour > 23 || tt.tm_min > 59 || tt.tm_sec > 59)
		return false;
	if (with_zone && !has_zone)
	{
		if (st->source_fixed)
			tz = st->source_offset;
		else
			tz = DetermineTimeZoneOffset(&tt, st->source_tz);
	}
	if (tm2timestamp(&tt, fsec, with_zone ? &tz : NULL, &ts) != 0 || !IS_VALID_TIMESTAMP(ts))
		return false;
	*out = ts + LAKE_UNIX_TO_PG_USECS;
	return true;
}

/*
 * A timestamp: with_zone (a timestamp column) takes the zone in the text,
 * else source_tz; without (timestamp_ntz) the wall clock, a zone ignored.
 */
static bool
lake_csv_timestamp(LakeCsvState *st, char *s, bool with_zone, int64 *out, const char **reason)
{
	char		workbuf[MAXDATELEN + MAXDATEFIELDS];
	char	   *field[MAXDATEFIELDS];
	int			ftype[MAXDATEFIELDS];
	int			nf;
	int			dtype;
	int			tz = 0;
	struct pg_tm tt;
	fsec_t		fsec;
	int			dterr;
	Timestamp	ts;

	/* the common ISO form first, else the backend's decoder */
	if (lake_csv_timestamp_iso(st, s, with_zone, out))
		return true;
	if (strlen(s) >= MAXDATELEN)
	{
		*reason = "invalid input syntax for type timestamp";
		return false;
	}
	dterr = ParseDateTime(s, workbuf, sizeof(workbuf), field, ftype, MAXDATEFIELDS, &nf);
	/*
	 * now, today, tomorrow, yesterday: the decoder takes them relative to
	 * the moment of reading, so the same file would give other readings on
	 * another day (or when replayed after a crash): not a timestamp here.
	 */
	if (dterr == 0 && lake_csv_relative_word(field, ftype, nf))
	{
		*reason = "a time relative to the moment of reading (now, today, tomorrow, yesterday) is not a reading's time";
		return false;
	}
	/* a text without a zone is read in session_timezone: the source time zone here */
	if (dterr == 0)
		dterr = DecodeDateTime(field, ftype, nf, &dtype, &tt, &fsec, &tz);
	if (dterr != 0 || dtype != DTK_DATE)
	{
		*reason = with_zone ? "invalid input syntax for type timestamp with time zone" :
			"invalid input syntax for type timestamp";
		return false;
	}
	if (tm2timestamp(&tt, fsec, with_zone ? &tz : NULL, &ts) != 0 || !IS_VALID_TIMESTAMP(ts))
	{
		*reason = "timestamp out of range";
		return false;
	}
	*out = ts + LAKE_UNIX_TO_PG_USECS;
	return true;
}

/*
 * now, today, tomorrow, yesterday among the parsed fields: the decoder
 * takes them relative to the moment of reading, so the same file would
 * give other values on another day (or when replayed after a crash).
 */
static bool
lake_csv_relative_word(char **field, const int *ftype, int nf)
{
	int			i;

	for (i = 0; i < nf; i++)
		if (ftype[i] == DTK_STRING &&
			(strcmp(field[i], "now") == 0 || strcmp(field[i], "today") == 0 ||
			 strcmp(field[i], "tomorrow") == 0 || strcmp(field[i], "yesterday") == 0))
			return true;
	return false;
}

static int
lake_csv_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void
lake_csv_error_callback(void *arg)
{
	LakeCsvState *st = (LakeCsvState *) arg;

	errcontext("ingest_csv of file \"%s\", line " INT64_FORMAT, st->path, st->record_line);
}
