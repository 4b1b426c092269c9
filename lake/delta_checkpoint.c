/*
 * delta_checkpoint.c
 *	  Reading classic Delta checkpoints (PROTOCOL.md, Checkpoints): one
 *	  Parquet file NNN.checkpoint.parquet, or the parts of a multi-part one,
 *	  read with the lake Parquet reader.  Each row holds one action in one of
 *	  the top-level struct columns add, remove, metaData, protocol, txn, ...;
 *	  we assemble the add, metaData, protocol and txn structs as JSON records
 *	  (parquet_field_reader) and feed them to the same replay as the JSON
 *	  commits.  remove rows are tombstones and do not change the active
 *	  files, so they are not read.  A checkpoint holding V2 actions
 *	  (checkpointMetadata, sidecar) is refused as v2Checkpoint.
 */
#include "delta_internal.h"

#include <stdio.h>
#include <string.h>

#include "lake/parquet_reader.h"

#define CHECKPOINT_BATCH_ROWS 4096

typedef enum CheckpointField
{
	CP_ADD,
	CP_METADATA,
	CP_PROTOCOL,
	CP_TXN,
	CP_CHECKPOINT_METADATA,
	CP_SIDECAR,
	CP_NUM_FIELDS
} CheckpointField;

static const char *const checkpoint_field_names[CP_NUM_FIELDS] = {
	"add", "metaData", "protocol", "txn", "checkpointMetadata", "sidecar"
};

/* One assembled record of one action column. */
static LakeStatus
checkpoint_record(DeltaReplay *r, CheckpointField which, const char *text, size_t len,
				  const DeltaWhere *w, int64_t *adds, LakeError *err)
{
	json_t	   *obj;
	json_t	   *action;
	LakeStatus	st;

	if (which == CP_CHECKPOINT_METADATA || which == CP_SIDECAR)
		return delta_where_error(err, LAKE_ERROR_UNSUPPORTED, w,
								 "the checkpoint holds V2 checkpoint actions (reader feature v2Checkpoint), which are not supported");
	if (which == CP_ADD)
	{
		(*adds)++;
		return delta_replay_add_text(r, text, len, w, err);
	}
	if ((st = delta_json_load(text, len, w, &obj, err)) != LAKE_OK)
		return st;
	action = json_object();
	if (action == NULL)
	{
		json_decref(obj);
		return lake_error_set(err, LAKE_ERROR_NOMEM, "out of memory building a checkpoint action");
	}
	json_object_set(action, checkpoint_field_names[which], obj);
	st = delta_replay_action(r, action, w, err);
	json_decref(action);
	json_decref(obj);
	return st;
}

static LakeStatus
read_part(const LakeAllocator *a, const DeltaLogListing *l, const char *name, DeltaReplay *r,
		  int64_t *rows, int64_t *adds, LakeError *err)
{
	char		path[4096];
	LakeInput	in;
	ParquetReader *pr = NULL;
	const ParquetFileMetaData *meta;
	const ParquetSchema *schema;
	int			fields[CP_NUM_FIELDS];
	LakeStatus	st;
	int64_t		row_base = 0;

	if ((size_t) snprintf(path, sizeof(path), "%s/%s", l->log_dir, name) >= sizeof(path))
		return lake_error_set(err, LAKE_ERROR_INVALID, "path of checkpoint \"%s\" is too long", name);
	if ((st = lake_input_open_file(path, &in, err)) != LAKE_OK)
		return st;
	if ((st = parquet_reader_open(a, &in, name, NULL, &pr, err)) != LAKE_OK)
	{
		lake_input_close(&in);
		lake_error_prefix(err, "checkpoint: ");
		return st;
	}
	meta = parquet_reader_metadata(pr);
	schema = parquet_reader_schema(pr);
	for (int f = 0; f < CP_NUM_FIELDS; f++)
	{
		fields[f] = -1;
		for (int i = 0; i < schema->num_fields; i++)
			if (strcmp(schema->fields[i].element->name, checkpoint_field_names[f]) == 0)
				fields[f] = i;
	}
	*rows += meta->num_rows;

	for (int rg = 0; rg < meta->num_row_groups && st == LAKE_OK; rg++)
	{
		for (int f = 0; f < CP_NUM_FIELDS && st == LAKE_OK; f++)
		{
			ParquetFieldReader *fr;
			int64_t		row = row_base;

			if (fields[f] < 0)
				continue;
			if ((st = parquet_field_reader_open(pr, rg, fields[f], CHECKPOINT_BATCH_ROWS, &fr, err)) != LAKE_OK)
				break;
			for (;;)
			{
				size_t		n;
				const LakeBuffer *json;
				const size_t *offsets;
				const bool *is_null;

				if ((st = parquet_field_reader_next(fr, &n, &json, &offsets, &is_null, err)) != LAKE_OK)
					break;
				if (n == 0)
					break;
				for (size_t i = 0; i < n && st == LAKE_OK; i++)
				{
					DeltaWhere	w = {name, row + (int64_t) i + 1, true};

					if (is_null[i])
						continue;
					st = checkpoint_record(r, (CheckpointField) f, (const char *) json->data + offsets[i],
										   offsets[i + 1] - offsets[i], &w, adds, err);
				}
				row += (int64_t) n;
				if (st != LAKE_OK)
					break;
			}
			parquet_field_reader_close(fr);
		}
		row_base += meta->row_groups[rg].num_rows;
	}
	parquet_reader_close(pr);
	lake_input_close(&in);
	return st;
}

LakeStatus
delta_checkpoint_read(const LakeAllocator *a, const DeltaLogListing *l, const DeltaCheckpointRef *cp,
					  DeltaReplay *r, LakeError *err)
{
	int			nparts = cp->num_parts ? cp->num_parts : 1;
	int64_t		rows = 0,
				adds = 0;
	char		name[96];
	LakeStatus	st;

	for (int part = 1; part <= nparts; part++)
	{
		delta_log_checkpoint_name(cp->version, part, cp->num_parts, name, sizeof(name));
		if ((st = read_part(a, l, name, r, &rows, &adds, err)) != LAKE_OK)
			return st;
	}
	delta_log_checkpoint_name(cp->version, 1, cp->num_parts, name, sizeof(name));

	/*
	 * _last_checkpoint's counts.  Older writers put other numbers in "size"
	 * (delta-rs wrote the byte size), so it is checked only when the file
	 * also carries sizeInBytes, the mark of a writer following the current
	 * protocol.
	 */
	if (l->has_last_checkpoint && l->last_checkpoint.version == cp->version)
	{
		const DeltaLastCheckpoint *lc = &l->last_checkpoint;

		if (lc->has_size_in_bytes && lc->size >= 0 && lc->size != rows)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "_last_checkpoint says the checkpoint of version %lld holds %lld actions, but checkpoint \"%s\"%s holds %lld",
								  (long long) cp->version, (long long) lc->size, name,
								  cp->num_parts ? " and its other parts" : "", (long long) rows);
		if (lc->has_num_add_files && lc->num_add_files != adds)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "_last_checkpoint says the checkpoint of version %lld holds %lld add actions, but checkpoint \"%s\"%s holds %lld",
								  (long long) cp->version, (long long) lc->num_add_files, name,
								  cp->num_parts ? " and its other parts" : "", (long long) adds);
	}
	return LAKE_OK;
}
