/*
 * delta_checkpoint_writer.c
 *	  Writing classic single-part Delta checkpoints (PROTOCOL.md,
 *	  Checkpoints): the snapshot of a version as one Parquet file
 *	  <version>.checkpoint.parquet whose rows each hold one action in one of
 *	  the struct columns txn, add, remove, metaData, protocol, with the
 *	  nested schema Spark writes (add.partitionValues map<string,string>,
 *	  add.stats JSON text, metaData.partitionColumns array<string>, ...), and
 *	  then _last_checkpoint, both written atomically (temp file, fsync,
 *	  rename).
 */
#include "delta_internal.h"
#include "delta_write_internal.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The leaves of the checkpoint schema, depth first */
enum
{
	L_TXN_APP, L_TXN_VERSION, L_TXN_UPDATED,
	L_ADD_PATH, L_ADD_PV_KEY, L_ADD_PV_VALUE, L_ADD_SIZE, L_ADD_MTIME, L_ADD_DC,
	L_ADD_TAGS_KEY, L_ADD_TAGS_VALUE, L_ADD_STATS,
	L_RM_PATH, L_RM_DELTS, L_RM_DC, L_RM_EXT, L_RM_PV_KEY, L_RM_PV_VALUE, L_RM_SIZE,
	L_MD_ID, L_MD_NAME, L_MD_DESC, L_MD_PROVIDER, L_MD_OPT_KEY, L_MD_OPT_VALUE, L_MD_SCHEMA,
	L_MD_PCOLS, L_MD_CONF_KEY, L_MD_CONF_VALUE, L_MD_CREATED,
	L_PR_READER, L_PR_WRITER, L_PR_RFEAT, L_PR_WFEAT,
	L_NUM
};

#define MAX_ELEMENTS 64

typedef struct CpSchema
{
	ParquetSchemaElement e[MAX_ELEMENTS];
	int			n;
} CpSchema;

static void
add_leaf(CpSchema *s, const char *name, ParquetRepetition rep, ParquetPhysicalType t, bool string)
{
	s->e[s->n] = parquet_writer_element_leaf(name, rep, t);
	if (string)
		s->e[s->n].logical.kind = PQ_LT_STRING;
	s->n++;
}

static void
add_group(CpSchema *s, const char *name, int children, ParquetLogicalKind kind)
{
	s->e[s->n] = parquet_writer_element_group(name, PQ_OPTIONAL, children);
	s->e[s->n].logical.kind = kind;
	s->n++;
}

static void
add_map(CpSchema *s, const char *name)
{
	add_group(s, name, 1, PQ_LT_MAP);
	s->e[s->n] = parquet_writer_element_group("key_value", PQ_REPEATED, 2);
	s->n++;
	add_leaf(s, "key", PQ_REQUIRED, PQ_BYTE_ARRAY, true);
	add_leaf(s, "value", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
}

static void
add_list(CpSchema *s, const char *name)
{
	add_group(s, name, 1, PQ_LT_LIST);
	s->e[s->n] = parquet_writer_element_group("list", PQ_REPEATED, 1);
	s->n++;
	add_leaf(s, "element", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
}

static void
build_schema(CpSchema *s)
{
	s->n = 0;
	s->e[s->n] = parquet_writer_element_group("spark_schema", PQ_REQUIRED, 5);
	s->e[s->n].has_repetition = false;
	s->n++;
	add_group(s, "txn", 3, PQ_LT_NONE);
	add_leaf(s, "appId", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_leaf(s, "version", PQ_OPTIONAL, PQ_INT64, false);
	add_leaf(s, "lastUpdated", PQ_OPTIONAL, PQ_INT64, false);
	add_group(s, "add", 7, PQ_LT_NONE);
	add_leaf(s, "path", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_map(s, "partitionValues");
	add_leaf(s, "size", PQ_OPTIONAL, PQ_INT64, false);
	add_leaf(s, "modificationTime", PQ_OPTIONAL, PQ_INT64, false);
	add_leaf(s, "dataChange", PQ_OPTIONAL, PQ_BOOLEAN, false);
	add_map(s, "tags");
	add_leaf(s, "stats", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_group(s, "remove", 6, PQ_LT_NONE);
	add_leaf(s, "path", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_leaf(s, "deletionTimestamp", PQ_OPTIONAL, PQ_INT64, false);
	add_leaf(s, "dataChange", PQ_OPTIONAL, PQ_BOOLEAN, false);
	add_leaf(s, "extendedFileMetadata", PQ_OPTIONAL, PQ_BOOLEAN, false);
	add_map(s, "partitionValues");
	add_leaf(s, "size", PQ_OPTIONAL, PQ_INT64, false);
	add_group(s, "metaData", 8, PQ_LT_NONE);
	add_leaf(s, "id", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_leaf(s, "name", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_leaf(s, "description", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_group(s, "format", 2, PQ_LT_NONE);
	add_leaf(s, "provider", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_map(s, "options");
	add_leaf(s, "schemaString", PQ_OPTIONAL, PQ_BYTE_ARRAY, true);
	add_list(s, "partitionColumns");
	add_map(s, "configuration");
	add_leaf(s, "createdTime", PQ_OPTIONAL, PQ_INT64, false);
	add_group(s, "protocol", 4, PQ_LT_NONE);
	add_leaf(s, "minReaderVersion", PQ_OPTIONAL, PQ_INT32, false);
	add_leaf(s, "minWriterVersion", PQ_OPTIONAL, PQ_INT32, false);
	add_list(s, "readerFeatures");
	add_list(s, "writerFeatures");
}

/* Levels helper with a sticky status */
typedef struct CpWriter
{
	ParquetWriter *w;
	LakeStatus	st;
	LakeError  *err;
} CpWriter;

static void
put(CpWriter *c, int leaf, int def, int rep, const ParquetValue *v)
{
	if (c->st == LAKE_OK)
		c->st = parquet_writer_write_levels(c->w, leaf, (int16_t) def, (int16_t) rep, v, c->err);
}

static void
nulls(CpWriter *c, int first, int last)
{
	int			l;

	for (l = first; l <= last; l++)
		put(c, l, 0, 0, NULL);
}

static ParquetValue
str_value(const char *s)
{
	ParquetValue v;

	v.bytes.ptr = (const uint8_t *) (s ? s : "");
	v.bytes.len = s ? (uint32_t) strlen(s) : 0;
	return v;
}

/* An optional string leaf at depth base (def base+1 when present) */
static void
put_str(CpWriter *c, int leaf, int base, const char *s)
{
	ParquetValue v = str_value(s);

	put(c, leaf, s ? base + 1 : base, 0, s ? &v : NULL);
}

static void
put_i64(CpWriter *c, int leaf, int base, int64_t x)
{
	ParquetValue v;

	v.i64 = x;
	put(c, leaf, base + 1, 0, &v);
}

static void
put_bool(CpWriter *c, int leaf, int base, bool b)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.boolean = b;
	put(c, leaf, base + 1, 0, &v);
}

/*
 * A map<string,string> whose optional map group sits at depth base+1 (def
 * base when the map is null).  keys/values: n entries (values may be NULL).
 */
static void
put_map(CpWriter *c, int key_leaf, int base, char *const *keys, char *const *values, int n, bool is_null)
{
	int			i;

	if (is_null)
	{
		put(c, key_leaf, base, 0, NULL);
		put(c, key_leaf + 1, base, 0, NULL);
		return;
	}
	if (n == 0)
	{
		put(c, key_leaf, base + 1, 0, NULL);
		put(c, key_leaf + 1, base + 1, 0, NULL);
		return;
	}
	for (i = 0; i < n; i++)
	{
		ParquetValue k = str_value(keys[i]);
		ParquetValue v = str_value(values ? values[i] : NULL);

		put(c, key_leaf, base + 2, i > 0, &k);
		if (values && values[i])
			put(c, key_leaf + 1, base + 3, i > 0, &v);
		else
			put(c, key_leaf + 1, base + 2, i > 0, NULL);
	}
}

/* A list<string> at depth base+1, like put_map */
static void
put_list(CpWriter *c, int leaf, int base, char *const *items, int n, bool is_null)
{
	int			i;

	if (is_null)
	{
		put(c, leaf, base, 0, NULL);
		return;
	}
	if (n == 0)
	{
		put(c, leaf, base + 1, 0, NULL);
		return;
	}
	for (i = 0; i < n; i++)
	{
		ParquetValue v = str_value(items[i]);

		put(c, leaf, items[i] ? base + 3 : base + 2, i > 0, items[i] ? &v : NULL);
	}
}

static void
end_row(CpWriter *c)
{
	if (c->st == LAKE_OK)
		c->st = parquet_writer_end_row(c->w, c->err);
}

/* JSON scalar kinds of statistics: numbers are written bare */
static bool
stat_is_number(DeltaTypeKind k)
{
	return k == DELTA_TYPE_LONG || k == DELTA_TYPE_INTEGER || k == DELTA_TYPE_SHORT || k == DELTA_TYPE_BYTE ||
		k == DELTA_TYPE_FLOAT || k == DELTA_TYPE_DOUBLE || k == DELTA_TYPE_DECIMAL;
}

/* add.stats rebuilt from the snapshot's parsed statistics */
static char *
stats_text(const LakeAllocator *a, const DeltaMetadata *md, const DeltaAddFile *f, LakeError *err,
		   LakeStatus *st)
{
	DeltaJson	j;
	int			pass,
				i;
	char	   *out;

	*st = LAKE_OK;
	if (f->num_records < 0 && f->stats == NULL)
		return NULL;
	dj_init(&j, a, err);
	dj_raw(&j, "{\"numRecords\":");
	dj_int(&j, f->num_records);
	if (f->stats != NULL)
	{
		for (pass = 0; pass < 3; pass++)
		{
			dj_raw(&j, pass == 0 ? ",\"minValues\":{" : pass == 1 ? ",\"maxValues\":{" : ",\"nullCount\":{");
			for (i = 0; i < md->num_columns; i++)
			{
				const DeltaColumn *c = &md->columns[i];
				const DeltaColumnStats *s = &f->stats[i];
				const char *key = c->physical_name ? c->physical_name : c->name;

				if (pass == 2)
				{
					if (!s->has_null_count)
						continue;
					dj_key(&j, key);
					dj_int(&j, s->null_count);
					continue;
				}
				if (pass == 0 ? !s->has_min : !s->has_max)
					continue;
				dj_key(&j, key);
				if (stat_is_number(c->kind))
					dj_raw(&j, pass == 0 ? s->min : s->max);
				else
					dj_str(&j, pass == 0 ? s->min : s->max);
			}
			dj_raw(&j, "}");
		}
		if (!f->tight_bounds)
			dj_raw(&j, ",\"tightBounds\":false");
	}
	dj_raw(&j, "}");
	out = dj_finish(&j, NULL);
	if (out == NULL)
		*st = j.st;
	return out;
}

static LakeStatus
write_last_checkpoint(const LakeAllocator *a, const char *log_dir, int64_t version, int64_t size,
					  int64_t bytes, int64_t num_adds, LakeError *err)
{
	char		path[4200];
	char		text[256];
	LakeOutput	out;
	LakeStatus	st;
	int			n;

	snprintf(path, sizeof(path), "%s/_last_checkpoint", log_dir);
	n = snprintf(text, sizeof(text),
				 "{\"version\":%lld,\"size\":%lld,\"sizeInBytes\":%lld,\"numOfAddFiles\":%lld}\n",
				 (long long) version, (long long) size, (long long) bytes, (long long) num_adds);
	if ((st = lake_output_open_file(a, path, &out, err)) != LAKE_OK)
		return st;
	if ((st = lake_output_write(&out, text, (size_t) n, err)) != LAKE_OK ||
		(st = lake_output_commit(&out, err)) != LAKE_OK)
	{
		lake_output_abort(&out);
		return st;
	}
	return LAKE_OK;
}

LakeStatus
delta_checkpoint_write(const LakeAllocator *a, const char *table_dir, int64_t version, LakeError *err)
{
	DeltaSnapshot *snap = NULL;
	CpSchema	schema;
	CpWriter	c;
	LakeOutput	out;
	ParquetWriterOptions po;
	ParquetWriter *pw = NULL;
	char		log_dir[4100];
	char		path[4200];
	char		name[64];
	int64_t		rows = 0,
				bytes;
	const DeltaMetadata *md;
	const DeltaProtocol *pr;
	LakeStatus	st;
	int			i;
	bool		out_open = false;

	if (strlen(table_dir) > 4000)
		return lake_error_set(err, LAKE_ERROR_INVALID, "table path too long");
	if ((st = delta_snapshot_load(a, table_dir, version, &snap, err)) != LAKE_OK)
		return st;
	md = &snap->metadata;
	pr = &snap->protocol;
	snprintf(log_dir, sizeof(log_dir), "%s/_delta_log", table_dir);
	delta_log_checkpoint_name(snap->version, 0, 0, name, sizeof(name));
	snprintf(path, sizeof(path), "%s/%s", log_dir, name);

	build_schema(&schema);
	parquet_writer_options_init(&po);
	po.codec = PQ_CODEC_SNAPPY;
	if ((st = lake_output_open_file(a, path, &out, err)) != LAKE_OK)
		goto done;
	out_open = true;
	if ((st = parquet_writer_open(a, &out, schema.e, schema.n, &po, &pw, err)) != LAKE_OK)
		goto done;
	c.w = pw;
	c.st = LAKE_OK;
	c.err = err;

	/* protocol */
	nulls(&c, L_TXN_APP, L_MD_CREATED);
	{
		ParquetValue v;

		v.i32 = pr->min_reader_version;
		put(&c, L_PR_READER, 2, 0, &v);
		v.i32 = pr->min_writer_version;
		put(&c, L_PR_WRITER, 2, 0, &v);
		put_list(&c, L_PR_RFEAT, 1, pr->reader_features, pr->num_reader_features,
				 pr->min_reader_version < 3);
		put_list(&c, L_PR_WFEAT, 1, pr->writer_features, pr->num_writer_features,
				 pr->min_writer_version < 7);
	}
	end_row(&c);
	rows++;

	/* metaData */
	nulls(&c, L_TXN_APP, L_RM_SIZE);
	put_str(&c, L_MD_ID, 1, md->id);
	put_str(&c, L_MD_NAME, 1, md->name);
	put_str(&c, L_MD_DESC, 1, md->description);
	{
		ParquetValue v = str_value("parquet");

		put(&c, L_MD_PROVIDER, 3, 0, &v);
	}
	put_map(&c, L_MD_OPT_KEY, 2, NULL, NULL, 0, false);
	put_str(&c, L_MD_SCHEMA, 1, md->schema_string);
	put_list(&c, L_MD_PCOLS, 1, md->partition_columns, md->num_partition_columns, false);
	{
		char	  **keys = NULL,
				  **vals = NULL;

		if (md->num_configuration > 0)
		{
			keys = lake_alloc_array(a, md->num_configuration, sizeof(char *), err);
			vals = lake_alloc_array(a, md->num_configuration, sizeof(char *), err);
			if (keys == NULL || vals == NULL)
			{
				lake_free(a, keys);
				lake_free(a, vals);
				st = LAKE_ERROR_NOMEM;
				goto done;
			}
			for (i = 0; i < md->num_configuration; i++)
			{
				keys[i] = md->configuration[i].key;
				vals[i] = md->configuration[i].value;
			}
		}
		put_map(&c, L_MD_CONF_KEY, 1, keys, vals, md->num_configuration, false);
		lake_free(a, keys);
		lake_free(a, vals);
	}
	if (md->created_time >= 0)
		put_i64(&c, L_MD_CREATED, 1, md->created_time);
	else
		put(&c, L_MD_CREATED, 1, 0, NULL);
	nulls(&c, L_PR_READER, L_PR_WFEAT);
	end_row(&c);
	rows++;

	/* txn */
	for (i = 0; i < snap->num_txns; i++)
	{
		const DeltaTxn *t = &snap->txns[i];

		put_str(&c, L_TXN_APP, 1, t->app_id);
		put_i64(&c, L_TXN_VERSION, 1, t->version);
		if (t->last_updated >= 0)
			put_i64(&c, L_TXN_UPDATED, 1, t->last_updated);
		else
			put(&c, L_TXN_UPDATED, 1, 0, NULL);
		nulls(&c, L_ADD_PATH, L_PR_WFEAT);
		end_row(&c);
		rows++;
	}

	/* add */
	{
		char	  **keys = NULL;
		int			np = md->num_partition_columns;

		if (np > 0)
		{
			keys = lake_alloc_array(a, np, sizeof(char *), err);
			if (keys == NULL)
			{
				st = LAKE_ERROR_NOMEM;
				goto done;
			}
			for (i = 0; i < np; i++)
			{
				const DeltaColumn *col = &md->columns[md->partition_column_index[i]];

				keys[i] = col->physical_name ? col->physical_name : col->name;
			}
		}
		for (i = 0; i < snap->num_files && c.st == LAKE_OK; i++)
		{
			const DeltaAddFile *f = &snap->files[i];
			char	   *stats = stats_text(a, md, f, err, &c.st);

			if (c.st != LAKE_OK)
				break;
			nulls(&c, L_TXN_APP, L_TXN_UPDATED);
			put_str(&c, L_ADD_PATH, 1, f->path);
			put_map(&c, L_ADD_PV_KEY, 1, keys, f->partition_values, np, false);
			put_i64(&c, L_ADD_SIZE, 1, f->size);
			put_i64(&c, L_ADD_MTIME, 1, f->modification_time);
			put_bool(&c, L_ADD_DC, 1, false);
			put_map(&c, L_ADD_TAGS_KEY, 1, NULL, NULL, 0, true);
			put_str(&c, L_ADD_STATS, 1, stats);
			nulls(&c, L_RM_PATH, L_PR_WFEAT);
			end_row(&c);
			lake_free(a, stats);
			rows++;
		}
		lake_free(a, keys);
	}
	if ((st = c.st) != LAKE_OK)
		goto done;
	if ((st = parquet_writer_finish(pw, err)) != LAKE_OK)
		goto done;
	bytes = (int64_t) out.offset;
	parquet_writer_destroy(pw);
	pw = NULL;
	out_open = false;
	if ((st = lake_output_commit(&out, err)) != LAKE_OK)
	{
		lake_output_abort(&out);
		goto done;
	}
	st = write_last_checkpoint(a, log_dir, snap->version, rows, bytes, snap->num_files, err);

done:
	if (pw)
		parquet_writer_destroy(pw);
	if (out_open)
		lake_output_abort(&out);
	delta_snapshot_free(a, snap);
	return st;
}
