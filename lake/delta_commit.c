/*
 * delta_commit.c
 *	  Delta commits (PROTOCOL.md: Actions, Optimistic concurrency): the
 *	  actions of a transaction as JSON lines (commitInfo, protocol,
 *	  metaData, txn, remove, add), written once to a temporary file in
 *	  _delta_log and linked into place as <version>.json with link(2),
 *	  which fails when the version exists (put-if-absent); the loser reads
 *	  the commits that won, applies the conflict rules and retries at the
 *	  next version.  Table creation (version 0 with protocol and metaData),
 *	  the checkpoint trigger (delta.checkpointInterval) with the expired-log
 *	  cleanup that follows a checkpoint, and the small JSON text writer,
 *	  UUIDs and clock the writer files share.
 */
#define _GNU_SOURCE
#include "delta_internal.h"
#include "delta_write_internal.h"
#include "lake/delta_maintenance.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#ifndef RENAME_NOREPLACE
#define RENAME_NOREPLACE (1 << 0)
#endif

#define COMMIT_DEFAULT_RETRIES 100
#define ENGINE_INFO_DEFAULT "iot_lakehouse"

/* ------------------------------------------------------------ JSON text */

void
dj_init(DeltaJson *j, const LakeAllocator *a, LakeError *err)
{
	lake_buffer_init(&j->buf, a);
	j->st = LAKE_OK;
	j->err = err;
}

void
dj_free(DeltaJson *j)
{
	lake_buffer_free(&j->buf);
}

void
dj_rawn(DeltaJson *j, const char *s, size_t len)
{
	if (j->st == LAKE_OK)
		j->st = lake_buffer_append(&j->buf, s, len, j->err);
}

void
dj_raw(DeltaJson *j, const char *s)
{
	dj_rawn(j, s, strlen(s));
}

bool
delta_utf8_valid(const char *str, size_t len)
{
	const uint8_t *s = (const uint8_t *) str;
	size_t		i = 0;

	while (i < len)
	{
		uint8_t		b = s[i];
		uint32_t	cp;
		size_t		n,
					k;

		if (b == 0)
			return false;
		if (b < 0x80)
		{
			i++;
			continue;
		}
		if ((b & 0xE0) == 0xC0)
		{
			n = 2;
			cp = b & 0x1F;
		}
		else if ((b & 0xF0) == 0xE0)
		{
			n = 3;
			cp = b & 0x0F;
		}
		else if ((b & 0xF8) == 0xF0)
		{
			n = 4;
			cp = b & 0x07;
		}
		else
			return false;
		if (i + n > len)
			return false;
		for (k = 1; k < n; k++)
		{
			if ((s[i + k] & 0xC0) != 0x80)
				return false;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) ||
			cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return false;
		i += n;
	}
	return true;
}

void
dj_strn(DeltaJson *j, const char *s, size_t len)
{
	size_t		i,
				run = 0;

	if (j->st != LAKE_OK)
		return;
	if (!delta_utf8_valid(s, len))
	{
		j->st = lake_error_set(j->err, LAKE_ERROR_INVALID, "a string written to the Delta log is not valid UTF-8");
		return;
	}
	dj_rawn(j, "\"", 1);
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];
		char		esc[8];

		if (c >= 0x20 && c != '"' && c != '\\')
			continue;
		dj_rawn(j, s + run, i - run);
		run = i + 1;
		switch (c)
		{
			case '"':
				dj_rawn(j, "\\\"", 2);
				break;
			case '\\':
				dj_rawn(j, "\\\\", 2);
				break;
			case '\n':
				dj_rawn(j, "\\n", 2);
				break;
			case '\r':
				dj_rawn(j, "\\r", 2);
				break;
			case '\t':
				dj_rawn(j, "\\t", 2);
				break;
			default:
				snprintf(esc, sizeof(esc), "\\u%04x", c);
				dj_rawn(j, esc, 6);
		}
	}
	dj_rawn(j, s + run, len - run);
	dj_rawn(j, "\"", 1);
}

void
dj_str(DeltaJson *j, const char *s)
{
	dj_strn(j, s, strlen(s));
}

void
dj_int(DeltaJson *j, int64_t v)
{
	char		b[32];

	snprintf(b, sizeof(b), "%lld", (long long) v);
	dj_raw(j, b);
}

void
dj_elem(DeltaJson *j)
{
	if (j->st == LAKE_OK && j->buf.len > 0)
	{
		char		last = (char) j->buf.data[j->buf.len - 1];

		if (last != '{' && last != '[' && last != ':' && last != ',')
			dj_rawn(j, ",", 1);
	}
}

void
dj_key(DeltaJson *j, const char *key)
{
	dj_elem(j);
	dj_str(j, key);
	dj_rawn(j, ":", 1);
}

char *
dj_finish(DeltaJson *j, size_t *len)
{
	char	   *out;

	dj_rawn(j, "", 1);
	if (j->st != LAKE_OK)
	{
		dj_free(j);
		return NULL;
	}
	out = (char *) j->buf.data;
	if (len)
		*len = j->buf.len - 1;
	j->buf.data = NULL;
	j->buf.len = j->buf.cap = 0;
	return out;
}

LakeStatus
delta_uuid4(char out[37], LakeError *err)
{
	uint8_t		b[16];
	size_t		got = 0;

	while (got < sizeof(b))
	{
		ssize_t		n = getrandom(b + got, sizeof(b) - got, 0);

		if (n < 0)
		{
			if (errno == EINTR)
				continue;
			return lake_error_set_errno(err, errno, "could not get random bytes for a UUID");
		}
		got += (size_t) n;
	}
	b[6] = (b[6] & 0x0F) | 0x40;
	b[8] = (b[8] & 0x3F) | 0x80;
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
			 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
			 b[14], b[15]);
	return LAKE_OK;
}

int64_t
delta_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
dj_column_type(DeltaJson *j, const DeltaColumn *c)
{
	char		b[64];

	if (c->type_json != NULL)
	{
		dj_raw(j, c->type_json);
		return;
	}
	switch (c->kind)
	{
		case DELTA_TYPE_DECIMAL:
			snprintf(b, sizeof(b), "\"decimal(%d,%d)\"", (int) c->precision, (int) c->scale);
			dj_raw(j, b);
			return;
		case DELTA_TYPE_TIMESTAMP_NTZ:
			dj_raw(j, "\"timestamp_ntz\"");
			return;
		case DELTA_TYPE_STRUCT:
		case DELTA_TYPE_ARRAY:
		case DELTA_TYPE_MAP:
			j->st = lake_error_set(j->err, LAKE_ERROR_INVALID, "column \"%s\": a complex type needs type_json",
								   c->name);
			return;
		default:
			dj_str(j, delta_type_name(c->kind));
	}
}

int64_t
delta_checkpoint_interval(const DeltaMetadata *md)
{
	int			i;

	for (i = 0; md && i < md->num_configuration; i++)
		if (strcmp(md->configuration[i].key, "delta.checkpointInterval") == 0 && md->configuration[i].value)
		{
			char	   *end;
			long long	v = strtoll(md->configuration[i].value, &end, 10);

			if (*end == '\0' && v > 0)
				return v;
		}
	return 10;
}

/* --------------------------------------------------------------- actions */

static void
write_string_list(DeltaJson *j, char *const *items, int n)
{
	int			i;

	dj_raw(j, "[");
	for (i = 0; i < n; i++)
	{
		dj_elem(j);
		dj_str(j, items[i]);
	}
	dj_raw(j, "]");
}

static void
write_schema_string(DeltaJson *outer, const DeltaMetadata *md, const LakeAllocator *a, LakeError *err)
{
	DeltaJson	j;
	char	   *text;
	size_t		len;
	int			i;

	if (md->schema_string != NULL)
	{
		dj_str(outer, md->schema_string);
		return;
	}
	dj_init(&j, a, err);
	dj_raw(&j, "{\"type\":\"struct\",\"fields\":[");
	for (i = 0; i < md->num_columns; i++)
	{
		const DeltaColumn *c = &md->columns[i];

		dj_elem(&j);
		dj_raw(&j, "{\"name\":");
		dj_str(&j, c->name);
		dj_raw(&j, ",\"type\":");
		dj_column_type(&j, c);
		dj_raw(&j, c->nullable ? ",\"nullable\":true,\"metadata\":{" : ",\"nullable\":false,\"metadata\":{");
		if (md->column_mapping_mode != 0)
		{
			dj_key(&j, "delta.columnMapping.id");
			dj_int(&j, c->field_id);
			dj_key(&j, "delta.columnMapping.physicalName");
			dj_str(&j, c->physical_name ? c->physical_name : c->name);
		}
		dj_raw(&j, "}}");
	}
	dj_raw(&j, "]}");
	text = dj_finish(&j, &len);
	if (text == NULL)
	{
		outer->st = j.st;
		return;
	}
	dj_strn(outer, text, len);
	lake_free(a, text);
}

static void
write_metadata(DeltaJson *j, const DeltaMetadata *md, const char *id, const LakeAllocator *a,
			   LakeError *err)
{
	int			i;

	dj_raw(j, "{\"metaData\":{\"id\":");
	dj_str(j, id);
	if (md->name)
	{
		dj_key(j, "name");
		dj_str(j, md->name);
	}
	if (md->description)
	{
		dj_key(j, "description");
		dj_str(j, md->description);
	}
	dj_raw(j, ",\"format\":{\"provider\":\"parquet\",\"options\":{}},\"schemaString\":");
	write_schema_string(j, md, a, err);
	dj_raw(j, ",\"partitionColumns\":");
	write_string_list(j, md->partition_columns, md->num_partition_columns);
	dj_raw(j, ",\"configuration\":{");
	for (i = 0; i < md->num_configuration; i++)
	{
		dj_key(j, md->configuration[i].key);
		if (md->configuration[i].value)
			dj_str(j, md->configuration[i].value);
		else
			dj_raw(j, "null");
	}
	dj_raw(j, "},\"createdTime\":");
	dj_int(j, md->created_time >= 0 ? md->created_time : delta_now_ms());
	dj_raw(j, "}}\n");
}

static void
write_protocol(DeltaJson *j, const DeltaProtocol *p)
{
	dj_raw(j, "{\"protocol\":{\"minReaderVersion\":");
	dj_int(j, p->min_reader_version);
	dj_raw(j, ",\"minWriterVersion\":");
	dj_int(j, p->min_writer_version);
	if (p->min_reader_version >= 3)
	{
		dj_raw(j, ",\"readerFeatures\":");
		write_string_list(j, p->reader_features, p->num_reader_features);
	}
	if (p->min_writer_version >= 7)
	{
		dj_raw(j, ",\"writerFeatures\":");
		write_string_list(j, p->writer_features, p->num_writer_features);
	}
	dj_raw(j, "}}\n");
}

/* partitionValues from an array and the table's partition columns */
static void
write_partition_values(DeltaJson *j, char *const *values, const DeltaMetadata *md)
{
	int			i;

	dj_raw(j, "{");
	for (i = 0; md && i < md->num_partition_columns; i++)
	{
		const DeltaColumn *c = &md->columns[md->partition_column_index[i]];

		dj_key(j, c->physical_name ? c->physical_name : c->name);
		if (values && values[i])
			dj_str(j, values[i]);
		else
			dj_raw(j, "null");
	}
	dj_raw(j, "}");
}

typedef struct CommitState
{
	const LakeAllocator *alloc;
	const char *table_dir;
	char	   *log_dir;
	const DeltaCommitRequest *req;
	const DeltaMetadata *names_md;	/* for partition column names (borrowed) */
	DeltaSnapshot *loaded;		/* a snapshot we loaded for names_md (owned) */
	bool		creating;		/* writes protocol + metaData at version 0 */
	bool		write_meta;		/* the payload holds metaData / protocol */
	bool		reads_all;		/* conflicts with any concurrent data change */
} CommitState;

static LakeStatus
build_payload(CommitState *cs, char **out, size_t *out_len, LakeError *err)
{
	const DeltaCommitRequest *req = cs->req;
	DeltaJson	j;
	int64_t		rows = 0,
				bytes = 0;
	int			i;
	char		uuid[37];
	LakeStatus	st;
	int64_t		ts = req->timestamp_ms > 0 ? req->timestamp_ms : delta_now_ms();

	if ((st = delta_uuid4(uuid, err)) != LAKE_OK)
		return st;
	for (i = 0; i < req->num_adds; i++)
	{
		rows += req->adds[i].num_records > 0 ? req->adds[i].num_records : 0;
		bytes += req->adds[i].size > 0 ? req->adds[i].size : 0;
	}
	dj_init(&j, cs->alloc, err);

	/* commitInfo first, as Spark writes it */
	dj_raw(&j, "{\"commitInfo\":{\"timestamp\":");
	dj_int(&j, ts);
	dj_raw(&j, ",\"operation\":");
	dj_str(&j, req->operation ? req->operation : (cs->creating ? "CREATE TABLE" : "WRITE"));
	dj_raw(&j, ",\"operationParameters\":");
	dj_raw(&j, req->operation_parameters_json ? req->operation_parameters_json : "{}");
	if (req->read_version >= 0)
	{
		dj_raw(&j, ",\"readVersion\":");
		dj_int(&j, req->read_version);
	}
	dj_raw(&j, ",\"isolationLevel\":\"WriteSerializable\",\"isBlindAppend\":");
	dj_raw(&j, req->blind_append && req->num_removes == 0 ? "true" : "false");
	dj_raw(&j, ",\"operationMetrics\":");
	if (req->operation_metrics_json)
		dj_raw(&j, req->operation_metrics_json);
	else
	{
		char		b[200];

		snprintf(b, sizeof(b), "{\"numFiles\":\"%d\",\"numOutputRows\":\"%lld\",\"numOutputBytes\":\"%lld\"",
				 req->num_adds, (long long) rows, (long long) bytes);
		dj_raw(&j, b);
		if (req->num_removes > 0)
		{
			snprintf(b, sizeof(b), ",\"numRemovedFiles\":\"%d\"", req->num_removes);
			dj_raw(&j, b);
		}
		dj_raw(&j, "}");
	}
	dj_raw(&j, ",\"engineInfo\":");
	dj_str(&j, req->engine_info ? req->engine_info : ENGINE_INFO_DEFAULT);
	dj_raw(&j, ",\"txnId\":");
	dj_str(&j, uuid);
	dj_raw(&j, "}}\n");

	if (cs->write_meta)
	{
		DeltaProtocol def;
		char	   *ntz[1] = {"timestampNtz"};
		const DeltaProtocol *p = req->protocol;

		if (p == NULL && cs->creating)
		{
			memset(&def, 0, sizeof(def));
			def.min_reader_version = 1;
			def.min_writer_version = 2;
			for (i = 0; req->metadata && i < req->metadata->num_columns; i++)
				if (req->metadata->columns[i].kind == DELTA_TYPE_TIMESTAMP_NTZ)
				{
					def.min_reader_version = 3;
					def.min_writer_version = 7;
					def.reader_features = def.writer_features = ntz;
					def.num_reader_features = def.num_writer_features = 1;
				}
			p = &def;
		}
		if (p != NULL)
			write_protocol(&j, p);
		if (req->metadata != NULL)
		{
			char		id[37];

			if (req->metadata->id == NULL && (st = delta_uuid4(id, err)) != LAKE_OK)
			{
				dj_free(&j);
				return st;
			}
			write_metadata(&j, req->metadata, req->metadata->id ? req->metadata->id : id, cs->alloc, err);
		}
	}
	if (req->txn_app_id != NULL)
	{
		dj_raw(&j, "{\"txn\":{\"appId\":");
		dj_str(&j, req->txn_app_id);
		dj_raw(&j, ",\"version\":");
		dj_int(&j, req->txn_version);
		dj_raw(&j, ",\"lastUpdated\":");
		dj_int(&j, ts);
		dj_raw(&j, "}}\n");
	}
	for (i = 0; i < req->num_removes; i++)
	{
		const DeltaRemoveFile *r = &req->removes[i];

		dj_raw(&j, "{\"remove\":{\"path\":");
		dj_str(&j, r->path);
		dj_raw(&j, ",\"deletionTimestamp\":");
		dj_int(&j, ts);
		dj_raw(&j, r->data_change ? ",\"dataChange\":true" : ",\"dataChange\":false");
		if (r->partition_values_json || r->partition_values)
		{
			dj_raw(&j, ",\"extendedFileMetadata\":true,\"partitionValues\":");
			if (r->partition_values_json)
				dj_raw(&j, r->partition_values_json);
			else
				write_partition_values(&j, r->partition_values, cs->names_md);
			if (r->size >= 0)
			{
				dj_raw(&j, ",\"size\":");
				dj_int(&j, r->size);
			}
		}
		dj_raw(&j, "}}\n");
	}
	for (i = 0; i < req->num_adds; i++)
	{
		const DeltaNewFile *f = &req->adds[i];

		dj_raw(&j, "{\"add\":{\"path\":");
		dj_str(&j, f->path);
		dj_raw(&j, ",\"partitionValues\":");
		if (f->partition_values_json)
			dj_raw(&j, f->partition_values_json);
		else
			write_partition_values(&j, f->partition_values, cs->names_md);
		dj_raw(&j, ",\"size\":");
		dj_int(&j, f->size);
		dj_raw(&j, ",\"modificationTime\":");
		dj_int(&j, f->modification_time);
		dj_raw(&j, req->adds_data_change ? ",\"dataChange\":true" : ",\"dataChange\":false");
		if (f->stats_json)
		{
			dj_raw(&j, ",\"stats\":");
			dj_str(&j, f->stats_json);
		}
		dj_raw(&j, "}}\n");
	}
	*out = dj_finish(&j, out_len);
	return *out ? LAKE_OK : j.st;
}

/* ------------------------------------------------------------- the log */

static int64_t
latest_version(const char *log_dir)
{
	DIR		   *d = opendir(log_dir);
	struct dirent *de;
	int64_t		best = -1;

	if (d == NULL)
		return -1;
	while ((de = readdir(d)) != NULL)
	{
		const char *n = de->d_name;
		int			k;

		if (strlen(n) != 25 || strcmp(n + 20, ".json") != 0)
			continue;
		for (k = 0; k < 20; k++)
			if (n[k] < '0' || n[k] > '9')
				break;
		if (k == 20)
		{
			int64_t		v = strtoll(n, NULL, 10);

			if (v > best)
				best = v;
		}
	}
	closedir(d);
	return best;
}

static LakeStatus
read_whole(const LakeAllocator *a, const char *path, char **data, size_t *len, LakeError *err)
{
	int			fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat sb;
	size_t		got = 0;

	if (fd < 0)
		return lake_error_set_errno(err, errno, "could not open \"%s\"", path);
	if (fstat(fd, &sb) != 0 || sb.st_size < 0 || (uint64_t) sb.st_size > DELTA_MAX_LOG_FILE_BYTES)
	{
		close(fd);
		return lake_error_set(err, LAKE_ERROR_LIMIT, "commit file \"%s\" is too large or unreadable", path);
	}
	*data = lake_alloc(a, (size_t) sb.st_size + 1, err);
	if (*data == NULL)
	{
		close(fd);
		return LAKE_ERROR_NOMEM;
	}
	while (got < (size_t) sb.st_size)
	{
		ssize_t		n = read(fd, *data + got, (size_t) sb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
		{
			int			e = n < 0 ? errno : EIO;

			close(fd);
			lake_free(a, *data);
			return lake_error_set_errno(err, e, "could not read \"%s\"", path);
		}
		got += (size_t) n;
	}
	close(fd);
	(*data)[got] = '\0';
	*len = got;
	return LAKE_OK;
}

typedef struct WinnerCheck
{
	CommitState *cs;
	int64_t		version;
	const char *name;
	bool		blind;			/* the winner says isBlindAppend */
	bool		data_adds;		/* the winner added files with dataChange */
} WinnerCheck;

static LakeStatus
winner_line(void *ctx, const char *line, size_t len, int64_t lineno, LakeError *err)
{
	WinnerCheck *wc = ctx;
	const DeltaCommitRequest *req = wc->cs->req;
	DeltaWhere	w = {wc->name, lineno, false};
	json_t	   *obj,
			   *act;
	LakeStatus	st;

	if ((st = delta_json_load(line, len, &w, &obj, err)) != LAKE_OK)
		return st;
	st = LAKE_OK;
	if (json_object_get(obj, "metaData") != NULL)
		st = lake_error_set(err, LAKE_ERROR_CONFLICT,
							"concurrent commit at version %lld changed the table's metadata",
							(long long) wc->version);
	else if (json_object_get(obj, "protocol") != NULL)
		st = lake_error_set(err, LAKE_ERROR_CONFLICT,
							"concurrent commit at version %lld changed the table's protocol",
							(long long) wc->version);
	else if ((act = json_object_get(obj, "txn")) != NULL)
	{
		const char *app = json_string_value(json_object_get(act, "appId"));

		if (req->txn_app_id && app && strcmp(app, req->txn_app_id) == 0)
			st = lake_error_set(err, LAKE_ERROR_CONFLICT,
								"concurrent commit at version %lld committed a transaction of application \"%s\"",
								(long long) wc->version, app);
	}
	else if ((act = json_object_get(obj, "remove")) != NULL)
	{
		const char *path = json_string_value(json_object_get(act, "path"));
		json_t	   *dc = json_object_get(act, "dataChange");
		int			i;

		for (i = 0; path && i < req->num_removes; i++)
			if (strcmp(req->removes[i].path, path) == 0)
			{
				st = lake_error_set(err, LAKE_ERROR_CONFLICT,
									"concurrent commit at version %lld removed file \"%s\", which this commit removes too",
									(long long) wc->version, path);
				break;
			}
		if (st == LAKE_OK && wc->cs->reads_all && (dc == NULL || json_is_true(dc)))
			st = lake_error_set(err, LAKE_ERROR_CONFLICT,
								"concurrent commit at version %lld removed file \"%s\", which this transaction read",
								(long long) wc->version, path ? path : "?");
	}
	else if ((act = json_object_get(obj, "add")) != NULL)
	{
		json_t	   *dc = json_object_get(act, "dataChange");

		if (dc == NULL || json_is_true(dc))
			wc->data_adds = true;
	}
	else if ((act = json_object_get(obj, "commitInfo")) != NULL)
		wc->blind = json_is_true(json_object_get(act, "isBlindAppend"));
	json_decref(obj);
	return st;
}

/* Check the commit that took version against ours (PROTOCOL.md, conflict rules). */
static LakeStatus
check_winner(CommitState *cs, int64_t version, LakeError *err)
{
	char		name[64];
	char		path[4200];
	char	   *data = NULL;
	size_t		len = 0;
	WinnerCheck wc;
	LakeStatus	st;

	delta_log_commit_name(version, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", cs->log_dir, name);
	if ((st = read_whole(cs->alloc, path, &data, &len, err)) != LAKE_OK)
		return st;
	memset(&wc, 0, sizeof(wc));
	wc.cs = cs;
	wc.version = version;
	wc.name = name;
	st = delta_log_for_each_line(data, len, winner_line, &wc, err);
	lake_free(cs->alloc, data);
	if (st == LAKE_OK && cs->reads_all && wc.data_adds && !wc.blind)
		st = lake_error_set(err, LAKE_ERROR_CONFLICT,
							"concurrent commit at version %lld added files this transaction should have read",
							(long long) version);
	return st;
}

static LakeStatus
fsync_dir(const char *dir, LakeError *err)
{
	int			fd = open(dir, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return lake_error_set_errno(err, errno, "could not open directory \"%s\"", dir);
	if (fsync(fd) != 0 && errno != EINVAL)
	{
		int			e = errno;

		close(fd);
		return lake_error_set_errno(err, e, "could not fsync directory \"%s\"", dir);
	}
	close(fd);
	return LAKE_OK;
}

static LakeStatus
write_temp(const char *tmp, const char *data, size_t len, LakeError *err)
{
	int			fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	size_t		done = 0;

	if (fd < 0)
		return lake_error_set_errno(err, errno, "could not create \"%s\"", tmp);
	while (done < len)
	{
		ssize_t		n = write(fd, data + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
		{
			int			e = errno;

			close(fd);
			unlink(tmp);
			return lake_error_set_errno(err, e, "could not write \"%s\"", tmp);
		}
		done += (size_t) n;
	}
	if (fsync(fd) != 0 || close(fd) != 0)
	{
		int			e = errno;

		unlink(tmp);
		return lake_error_set_errno(err, e, "could not fsync \"%s\"", tmp);
	}
	return LAKE_OK;
}

/*
 * Put-if-absent: link tmp to final.  *taken when final exists.  *consumed
 * when the fallback (renameat2 NOREPLACE, for file systems without hard
 * links) moved tmp.
 */
static LakeStatus
put_if_absent(const char *tmp, const char *final, bool *taken, bool *consumed, LakeError *err)
{
	*taken = false;
	*consumed = false;
	if (link(tmp, final) == 0)
		return LAKE_OK;
	if (errno == EEXIST)
	{
		*taken = true;
		return LAKE_OK;
	}
	if (errno == EPERM || errno == ENOTSUP || errno == EOPNOTSUPP || errno == ENOSYS || errno == EMLINK)
	{
		if (syscall(SYS_renameat2, AT_FDCWD, tmp, AT_FDCWD, final, RENAME_NOREPLACE) == 0)
		{
			*consumed = true;
			return LAKE_OK;
		}
		if (errno == EEXIST)
		{
			*taken = true;
			return LAKE_OK;
		}
	}
	return lake_error_set_errno(err, errno, "could not create commit \"%s\"", final);
}

static bool
metadata_matches(const DeltaMetadata *want, const DeltaMetadata *have)
{
	int			i,
				k;

	if (want->num_partition_columns != have->num_partition_columns || want->num_columns != have->num_columns)
		return false;
	for (i = 0; i < want->num_partition_columns; i++)
		if (strcmp(want->partition_columns[i], have->partition_columns[i]) != 0)
			return false;
	for (i = 0; i < want->num_columns; i++)
	{
		for (k = 0; k < have->num_columns; k++)
			if (strcmp(want->columns[i].name, have->columns[k].name) == 0)
				break;
		if (k == have->num_columns || want->columns[i].kind != have->columns[k].kind)
			return false;
	}
	return true;
}

LakeStatus
delta_commit(const LakeAllocator *a, const char *table_dir, const DeltaCommitRequest *req,
			 int64_t *version, LakeError *checkpoint_err, LakeError *err)
{
	CommitState cs;
	char	   *payload = NULL;
	size_t		payload_len;
	char		tmp[4200];
	char		final[4200];
	char		uuid[37];
	char		name[64];
	int64_t		v;
	int			retries = 0;
	int			max_retries = req->max_retries > 0 ? req->max_retries : COMMIT_DEFAULT_RETRIES;
	bool		have_tmp = false;
	LakeStatus	st;
	int			i;

	*version = -1;
	if (checkpoint_err)
	{
		checkpoint_err->status = LAKE_OK;
		checkpoint_err->sys_errno = 0;
		checkpoint_err->message[0] = '\0';
	}
	memset(&cs, 0, sizeof(cs));
	cs.alloc = a;
	cs.table_dir = table_dir;
	cs.req = req;
	cs.creating = req->read_version < 0 && req->metadata != NULL;
	cs.write_meta = req->metadata != NULL || req->protocol != NULL;
	cs.names_md = req->metadata ? req->metadata : req->table_metadata;
	if (!req->blind_append && req->read_version >= 0)
	{
		/* a transaction that changes data read the table (we do not know its predicates) */
		cs.reads_all = req->num_adds > 0 && req->adds_data_change;
		for (i = 0; i < req->num_removes; i++)
			if (req->removes[i].data_change)
				cs.reads_all = true;
	}
	if (strlen(table_dir) > 4000)
		return lake_error_set(err, LAKE_ERROR_INVALID, "table path too long");
	cs.log_dir = lake_alloc(a, strlen(table_dir) + 16, err);
	if (cs.log_dir == NULL)
		return LAKE_ERROR_NOMEM;
	sprintf(cs.log_dir, "%s/_delta_log", table_dir);

	if (cs.creating)
	{
		if (mkdir(table_dir, 0755) != 0 && errno != EEXIST)
		{
			st = lake_error_set_errno(err, errno, "could not create table directory \"%s\"", table_dir);
			goto done;
		}
		if (mkdir(cs.log_dir, 0755) != 0 && errno != EEXIST)
		{
			st = lake_error_set_errno(err, errno, "could not create \"%s\"", cs.log_dir);
			goto done;
		}
		v = 0;
	}
	else if (req->read_version >= 0)
		v = req->read_version + 1;
	else
	{
		v = latest_version(cs.log_dir) + 1;
		if (v == 0)
		{
			st = lake_error_set(err, LAKE_ERROR_INVALID, "\"%s\" is not a Delta table (no commits in _delta_log)",
								table_dir);
			goto done;
		}
	}

	/* partition column names for adds / removes that need them */
	if (cs.names_md == NULL)
	{
		bool		need = false;

		for (i = 0; i < req->num_adds; i++)
			need |= req->adds[i].partition_values_json == NULL;
		for (i = 0; i < req->num_removes; i++)
			need |= req->removes[i].partition_values_json == NULL && req->removes[i].partition_values != NULL;
		if (need)
		{
			if ((st = delta_snapshot_load(a, table_dir, -1, &cs.loaded, err)) != LAKE_OK)
				goto done;
			cs.names_md = &cs.loaded->metadata;
		}
	}

	if ((st = build_payload(&cs, &payload, &payload_len, err)) != LAKE_OK)
		goto done;
	if ((st = delta_uuid4(uuid, err)) != LAKE_OK)
		goto done;
	snprintf(tmp, sizeof(tmp), "%s/.%s.json.tmp", cs.log_dir, uuid);
	if ((st = write_temp(tmp, payload, payload_len, err)) != LAKE_OK)
		goto done;
	have_tmp = true;

	for (;;)
	{
		bool		taken,
					consumed;
		int64_t		latest,
					k;

		delta_log_commit_name(v, name, sizeof(name));
		snprintf(final, sizeof(final), "%s/%s", cs.log_dir, name);
		if ((st = put_if_absent(tmp, final, &taken, &consumed, err)) != LAKE_OK)
			goto done;
		if (!taken)
		{
			if (consumed)
				have_tmp = false;
			break;
		}
		/* lost the race for v */
		if (cs.creating)
		{
			DeltaSnapshot *snap = NULL;
			bool		ok;

			if (!req->blind_append)
			{
				st = lake_error_set(err, LAKE_ERROR_CONFLICT,
									"a Delta table was created concurrently at \"%s\"", table_dir);
				goto done;
			}
			if ((st = delta_snapshot_load(a, table_dir, -1, &snap, err)) != LAKE_OK)
				goto done;
			ok = metadata_matches(req->metadata, &snap->metadata);
			v = snap->version + 1;
			delta_snapshot_free(a, snap);
			if (!ok)
			{
				st = lake_error_set(err, LAKE_ERROR_CONFLICT,
									"a Delta table with a different schema or partitioning was created concurrently at \"%s\"",
									table_dir);
				goto done;
			}
			/* append to the table that now exists, without protocol / metaData */
			cs.creating = false;
			cs.write_meta = false;
			lake_free(a, payload);
			payload = NULL;
			unlink(tmp);
			have_tmp = false;
			if ((st = build_payload(&cs, &payload, &payload_len, err)) != LAKE_OK)
				goto done;
			if ((st = write_temp(tmp, payload, payload_len, err)) != LAKE_OK)
				goto done;
			have_tmp = true;
			continue;
		}
		if (++retries > max_retries)
		{
			st = lake_error_set(err, LAKE_ERROR_CONFLICT,
								"gave up committing to \"%s\" after %d concurrent commits won (last tried version %lld)",
								table_dir, max_retries, (long long) v);
			goto done;
		}
		latest = latest_version(cs.log_dir);
		if (latest < v)
			latest = v;
		for (k = v; k <= latest; k++)
			if ((st = check_winner(&cs, k, err)) != LAKE_OK)
				goto done;
		v = latest + 1;
	}
	if (have_tmp)
	{
		unlink(tmp);
		have_tmp = false;
	}
	if ((st = fsync_dir(cs.log_dir, err)) != LAKE_OK)
		goto done;
	*version = v;

	/* the checkpoint: its failure does not undo the commit */
	if (v > 0 && checkpoint_err != NULL)
	{
		const DeltaMetadata *md = req->metadata ? req->metadata : req->table_metadata;
		DeltaSnapshot *snap = NULL;
		int64_t		interval;

		if (md == NULL && cs.loaded)
			md = &cs.loaded->metadata;
		if (md == NULL && delta_snapshot_load(a, table_dir, v, &snap, checkpoint_err) == LAKE_OK)
			md = &snap->metadata;
		if (md != NULL)
		{
			interval = delta_checkpoint_interval(md);
			if (v % interval == 0 && delta_checkpoint_write(a, table_dir, v, checkpoint_err) == LAKE_OK)
			{
				int			removed;

				/*
				 * Expired log files go once a new checkpoint covers them
				 * (delta.enableExpiredLogCleanup, delta.logRetentionDuration);
				 * a failure is reported like the checkpoint's own.
				 */
				(void) delta_log_cleanup_auto(a, table_dir, md, delta_now_ms(), &removed, checkpoint_err);
			}
		}
		if (snap)
			delta_snapshot_free(a, snap);
	}
	st = LAKE_OK;

done:
	if (have_tmp)
		unlink(tmp);
	lake_free(a, payload);
	if (cs.loaded)
		delta_snapshot_free(a, cs.loaded);
	lake_free(a, cs.log_dir);
	return st;
}
