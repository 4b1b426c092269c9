/*
 * parquet_metadata.c
 *	  Decoding and encoding of the Parquet footer (FileMetaData) and of page
 *	  headers with the Thrift compact protocol, following parquet.thrift of
 *	  apache/parquet-format; and the enum names used in messages.
 *
 * The footer decoder copies everything it keeps into memory from the caller's
 * allocator and frees it again on failure (parquet_metadata_free).  The page
 * header decoder allocates nothing: statistics point into the input.
 */
#include "lake/parquet_metadata.h"

#include <string.h>

#include "lake/parquet_schema.h"
#include "lake/thrift_compact.h"

/*
 * The smallest encoding of one list element of a struct type that can pass
 * validation (field headers, lengths and the stop byte of required fields).
 * Counts are bounded by remaining bytes / this before allocating arrays.
 */
#define MIN_SCHEMA_ELEMENT_BYTES 3	/* name + stop */
#define MIN_ROW_GROUP_BYTES 7	/* columns, total_byte_size, num_rows, stop */
#define MIN_COLUMN_CHUNK_BYTES 16	/* meta_data with its required fields */
#define MIN_KEY_VALUE_BYTES 3	/* key + stop */

typedef struct MdDecoder
{
	ThriftReader r;
	const LakeAllocator *a;		/* NULL: borrow bytes, allocate nothing */
	LakeError  *err;
} MdDecoder;

/* ---------------------------------------------------------------- helpers */

static const char *
thrift_type_name(ThriftType t)
{
	switch (t)
	{
		case THRIFT_STOP:
			return "stop";
		case THRIFT_BOOL_TRUE:
		case THRIFT_BOOL_FALSE:
			return "bool";
		case THRIFT_I8:
			return "i8";
		case THRIFT_I16:
			return "i16";
		case THRIFT_I32:
			return "i32";
		case THRIFT_I64:
			return "i64";
		case THRIFT_DOUBLE:
			return "double";
		case THRIFT_BINARY:
			return "binary";
		case THRIFT_LIST:
			return "list";
		case THRIFT_SET:
			return "set";
		case THRIFT_MAP:
			return "map";
		case THRIFT_STRUCT:
			return "struct";
	}
	return "invalid";
}

static LakeStatus
bad_type(MdDecoder *d, const char *field, ThriftType got, ThriftType want)
{
	return thrift_reader_fail(&d->r, "%s has thrift type %s, expected %s",
							  field, thrift_type_name(got), thrift_type_name(want));
}

static bool
type_is(ThriftType got, ThriftType want)
{
	if (THRIFT_IS_BOOL(want))
		return THRIFT_IS_BOOL(got);
	return got == want;
}

/* Fail on a second occurrence of a known field (it would leak or confuse). */
static LakeStatus
check_dup(MdDecoder *d, uint32_t *seen, int16_t id, const char *strct)
{
	if (id >= 0 && id < 32)
	{
		if (*seen & (1u << id))
			return thrift_reader_fail(&d->r, "%s field %d appears twice", strct, id);
		*seen |= 1u << id;
	}
	return LAKE_OK;
}

static LakeStatus
nomem(MdDecoder *d)
{
	if (d->r.status == LAKE_OK)
		d->r.status = LAKE_ERROR_NOMEM;
	return d->r.status;
}

static LakeStatus
get_i32(MdDecoder *d, ThriftType t, const char *field, int32_t *v)
{
	if (!type_is(t, THRIFT_I32))
		return bad_type(d, field, t, THRIFT_I32);
	return thrift_read_i32(&d->r, v);
}

static LakeStatus
get_nonneg_i32(MdDecoder *d, ThriftType t, const char *field, int32_t *v)
{
	if (get_i32(d, t, field, v) != LAKE_OK)
		return d->r.status;
	if (*v < 0)
		return thrift_reader_fail(&d->r, "%s is negative (%d)", field, *v);
	return LAKE_OK;
}

static LakeStatus
get_i64(MdDecoder *d, ThriftType t, const char *field, int64_t *v)
{
	if (!type_is(t, THRIFT_I64))
		return bad_type(d, field, t, THRIFT_I64);
	return thrift_read_i64(&d->r, v);
}

static LakeStatus
get_nonneg_i64(MdDecoder *d, ThriftType t, const char *field, int64_t *v)
{
	if (get_i64(d, t, field, v) != LAKE_OK)
		return d->r.status;
	if (*v < 0)
		return thrift_reader_fail(&d->r, "%s is negative (%lld)", field, (long long) *v);
	return LAKE_OK;
}

static LakeStatus
get_bool(MdDecoder *d, ThriftType t, const char *field, bool *v)
{
	if (!type_is(t, THRIFT_BOOL_TRUE))
		return bad_type(d, field, t, THRIFT_BOOL_TRUE);
	return thrift_read_bool(&d->r, v);
}

static LakeStatus
get_binary(MdDecoder *d, ThriftType t, const char *field, ParquetBytes *v)
{
	if (!type_is(t, THRIFT_BINARY))
		return bad_type(d, field, t, THRIFT_BINARY);
	return thrift_read_binary(&d->r, &v->ptr, &v->len);
}

static LakeStatus
get_string(MdDecoder *d, ThriftType t, const char *field, char **v)
{
	ParquetBytes b;

	if (get_binary(d, t, field, &b) != LAKE_OK)
		return d->r.status;
	*v = lake_strndup(d->a, (const char *) b.ptr, b.len, d->err);
	if (*v == NULL)
		return nomem(d);
	return LAKE_OK;
}

/* list header of the wanted element type, count bounded by min_bytes each */
static LakeStatus
get_list(MdDecoder *d, ThriftType t, const char *field, ThriftType elem_want,
		 size_t min_bytes, uint32_t *count)
{
	ThriftType	et;
	size_t		left;

	if (!type_is(t, THRIFT_LIST))
		return bad_type(d, field, t, THRIFT_LIST);
	if (thrift_read_list_begin(&d->r, &et, count) != LAKE_OK)
		return d->r.status;
	if (*count > 0 && !type_is(et, elem_want))
		return thrift_reader_fail(&d->r, "%s has elements of thrift type %s, expected %s",
								  field, thrift_type_name(et), thrift_type_name(elem_want));
	left = (size_t) (d->r.end - d->r.pos);
	if (min_bytes > 1 && *count > left / min_bytes)
		return thrift_reader_fail(&d->r, "%s claims %u elements but only %zu bytes remain",
								  field, *count, left);
	return LAKE_OK;
}

static void *
alloc_array(MdDecoder *d, uint32_t n, size_t size)
{
	void	   *p = lake_alloc_array(d->a, n, size, d->err);

	if (p == NULL)
		nomem(d);
	else
		memset(p, 0, (size_t) n * size);
	return p;
}

static LakeStatus
skip_field(MdDecoder *d, ThriftType t)
{
	return thrift_skip(&d->r, t);
}

/* copy borrowed bytes into memory from the allocator */
static LakeStatus
own_bytes(MdDecoder *d, ParquetBytes *b)
{
	uint8_t    *copy;

	if (d->a == NULL)
		return LAKE_OK;
	copy = lake_alloc(d->a, b->len == 0 ? 1 : b->len, d->err);
	if (copy == NULL)
	{
		b->ptr = NULL;
		b->len = 0;
		return nomem(d);
	}
	if (b->len > 0)
		memcpy(copy, b->ptr, b->len);
	b->ptr = copy;
	return LAKE_OK;
}

/* ------------------------------------------------------------ decoders */

static LakeStatus
decode_statistics(MdDecoder *d, ParquetStatistics *s)
{
	ParquetBytes val[4];		/* max, min, max_value, min_value */
	bool		has[4] = {false, false, false, false};
	int			lo;
	uint32_t	seen = 0;
	ThriftType	t;
	int16_t		id;

	/* min/max stay unset until owned: a failure never leaves a borrowed pointer */
	memset(s, 0, sizeof(*s));
	memset(val, 0, sizeof(val));
	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "Statistics") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
			case 2:
			case 5:
			case 6:
				{
					int			k = id <= 2 ? id - 1 : id - 3;

					get_binary(d, t, "Statistics min/max", &val[k]);
					has[k] = true;
					break;
				}
			case 3:
				get_nonneg_i64(d, t, "Statistics.null_count", &s->null_count);
				s->has_null_count = true;
				break;
			case 4:
				get_nonneg_i64(d, t, "Statistics.distinct_count", &s->distinct_count);
				s->has_distinct_count = true;
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;

	/* min_value/max_value win; the legacy pair is used only on its own */
	lo = (has[2] || has[3]) ? 2 : 0;
	if (has[lo + 1])
	{
		if (own_bytes(d, &val[lo + 1]) != LAKE_OK)
			return d->r.status;
		s->min = val[lo + 1];
		s->has_min = true;
	}
	if (has[lo])
	{
		if (own_bytes(d, &val[lo]) != LAKE_OK)
			return d->r.status;
		s->max = val[lo];
		s->has_max = true;
	}
	s->legacy_min_max = (lo == 0 && (s->has_min || s->has_max));
	return LAKE_OK;
}

/* an empty struct (or one whose fields we ignore) */
static LakeStatus
skip_struct_value(MdDecoder *d)
{
	return thrift_skip(&d->r, THRIFT_STRUCT);
}

static LakeStatus
decode_time_unit(MdDecoder *d, ParquetTimeUnit *unit)
{
	ThriftType	t;
	int16_t		id;

	*unit = 0;
	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (id >= PQ_UNIT_MILLIS && id <= PQ_UNIT_NANOS && t == THRIFT_STRUCT)
			*unit = (ParquetTimeUnit) id;
		if (skip_field(d, t) != LAKE_OK)
			return d->r.status;
	}
	return thrift_read_struct_end(&d->r);
}

/* TimeType and TimestampType: {1: bool isAdjustedToUTC, 2: TimeUnit unit} */
static LakeStatus
decode_time_type(MdDecoder *d, ParquetLogicalType *lt, const char *what)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, what) != LAKE_OK)
			return d->r.status;
		if (id == 1)
			get_bool(d, t, "isAdjustedToUTC", &lt->is_adjusted_to_utc);
		else if (id == 2)
		{
			if (t != THRIFT_STRUCT)
				return bad_type(d, "TimeUnit", t, THRIFT_STRUCT);
			decode_time_unit(d, &lt->unit);
		}
		else
			skip_field(d, t);
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if (lt->unit == 0)
		return thrift_reader_fail(&d->r, "%s logical type has no known time unit", what);
	return LAKE_OK;
}

static LakeStatus
decode_logical_type(MdDecoder *d, ParquetLogicalType *lt)
{
	ThriftType	t;
	int16_t		id;

	memset(lt, 0, sizeof(*lt));
	lt->kind = PQ_LT_NONE;
	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (t != THRIFT_STRUCT)
			return bad_type(d, "LogicalType member", t, THRIFT_STRUCT);
		if (lt->kind != PQ_LT_NONE)
			return thrift_reader_fail(&d->r, "LogicalType union has more than one member");
		switch (id)
		{
			case PQ_LT_DECIMAL:
				{
					uint32_t	seen = 0;
					ThriftType	ft;
					int16_t		fid;

					lt->kind = PQ_LT_DECIMAL;
					if (thrift_read_struct_begin(&d->r) != LAKE_OK)
						return d->r.status;
					for (;;)
					{
						if (thrift_read_field_begin(&d->r, &ft, &fid) != LAKE_OK)
							return d->r.status;
						if (ft == THRIFT_STOP)
							break;
						if (check_dup(d, &seen, fid, "DecimalType") != LAKE_OK)
							return d->r.status;
						if (fid == 1)
							get_i32(d, ft, "DecimalType.scale", &lt->scale);
						else if (fid == 2)
							get_i32(d, ft, "DecimalType.precision", &lt->precision);
						else
							skip_field(d, ft);
						if (d->r.status != LAKE_OK)
							return d->r.status;
					}
					if (thrift_read_struct_end(&d->r) != LAKE_OK)
						return d->r.status;
					if ((seen & 6) != 6)
						return thrift_reader_fail(&d->r, "DecimalType lacks scale or precision");
					break;
				}
			case PQ_LT_TIME:
			case PQ_LT_TIMESTAMP:
				lt->kind = (ParquetLogicalKind) id;
				if (decode_time_type(d, lt, id == PQ_LT_TIME ? "TIME" : "TIMESTAMP") != LAKE_OK)
					return d->r.status;
				break;
			case PQ_LT_INTEGER:
				{
					uint32_t	seen = 0;
					ThriftType	ft;
					int16_t		fid;
					int8_t		bw = 0;

					lt->kind = PQ_LT_INTEGER;
					if (thrift_read_struct_begin(&d->r) != LAKE_OK)
						return d->r.status;
					for (;;)
					{
						if (thrift_read_field_begin(&d->r, &ft, &fid) != LAKE_OK)
							return d->r.status;
						if (ft == THRIFT_STOP)
							break;
						if (check_dup(d, &seen, fid, "IntType") != LAKE_OK)
							return d->r.status;
						if (fid == 1)
						{
							if (ft != THRIFT_I8)
								return bad_type(d, "IntType.bitWidth", ft, THRIFT_I8);
							thrift_read_i8(&d->r, &bw);
						}
						else if (fid == 2)
							get_bool(d, ft, "IntType.isSigned", &lt->is_signed);
						else
							skip_field(d, ft);
						if (d->r.status != LAKE_OK)
							return d->r.status;
					}
					if (thrift_read_struct_end(&d->r) != LAKE_OK)
						return d->r.status;
					if (bw != 8 && bw != 16 && bw != 32 && bw != 64)
						return thrift_reader_fail(&d->r, "IntType has bit width %d", bw);
					lt->bit_width = bw;
					break;
				}
			case PQ_LT_STRING:
			case PQ_LT_MAP:
			case PQ_LT_LIST:
			case PQ_LT_ENUM:
			case PQ_LT_DATE:
			case PQ_LT_UNKNOWN:
			case PQ_LT_JSON:
			case PQ_LT_BSON:
			case PQ_LT_UUID:
			case PQ_LT_FLOAT16:
				lt->kind = (ParquetLogicalKind) id;
				if (skip_struct_value(d) != LAKE_OK)
					return d->r.status;
				break;
			default:
				/* a logical type newer than us: leave kind NONE */
				if (skip_struct_value(d) != LAKE_OK)
					return d->r.status;
				break;
		}
	}
	return thrift_read_struct_end(&d->r);
}

static LakeStatus
decode_schema_element(MdDecoder *d, ParquetSchemaElement *e)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	int32_t		v;

	e->converted_type = PQ_CT_NONE;
	e->logical.kind = PQ_LT_NONE;
	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "SchemaElement") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				if (get_i32(d, t, "SchemaElement.type", &v) != LAKE_OK)
					return d->r.status;
				if (v < PQ_BOOLEAN || v > PQ_FIXED_LEN_BYTE_ARRAY)
					return thrift_reader_fail(&d->r, "unknown physical type %d", v);
				e->has_type = true;
				e->type = (ParquetPhysicalType) v;
				break;
			case 2:
				get_i32(d, t, "SchemaElement.type_length", &e->type_length);
				break;
			case 3:
				if (get_i32(d, t, "SchemaElement.repetition_type", &v) != LAKE_OK)
					return d->r.status;
				if (v < PQ_REQUIRED || v > PQ_REPEATED)
					return thrift_reader_fail(&d->r, "unsupported repetition type %d", v);
				e->has_repetition = true;
				e->repetition = (ParquetRepetition) v;
				break;
			case 4:
				get_string(d, t, "SchemaElement.name", &e->name);
				break;
			case 5:
				get_nonneg_i32(d, t, "SchemaElement.num_children", &e->num_children);
				break;
			case 6:
				if (get_i32(d, t, "SchemaElement.converted_type", &v) != LAKE_OK)
					return d->r.status;
				if (v < PQ_CT_UTF8 || v > PQ_CT_INTERVAL)
					return thrift_reader_fail(&d->r, "unknown converted type %d", v);
				e->converted_type = v;
				break;
			case 7:
				get_i32(d, t, "SchemaElement.scale", &e->scale);
				break;
			case 8:
				get_i32(d, t, "SchemaElement.precision", &e->precision);
				break;
			case 9:
				get_i32(d, t, "SchemaElement.field_id", &e->field_id);
				e->has_field_id = true;
				break;
			case 10:
				if (t != THRIFT_STRUCT)
					return bad_type(d, "SchemaElement.logicalType", t, THRIFT_STRUCT);
				decode_logical_type(d, &e->logical);
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if (e->name == NULL)
		return thrift_reader_fail(&d->r, "SchemaElement has no name");
	return LAKE_OK;
}

static LakeStatus
decode_key_value(MdDecoder *d, ParquetKeyValue *kv)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "KeyValue") != LAKE_OK)
			return d->r.status;
		if (id == 1)
			get_string(d, t, "KeyValue.key", &kv->key);
		else if (id == 2)
			get_string(d, t, "KeyValue.value", &kv->value);
		else
			skip_field(d, t);
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if (kv->key == NULL)
		return thrift_reader_fail(&d->r, "KeyValue has no key");
	return LAKE_OK;
}

static LakeStatus
decode_column_metadata(MdDecoder *d, ParquetColumnMetaData *m)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	uint32_t	n;
	uint32_t	i;
	int32_t		v;
	const uint32_t required = (1u << 1) | (1u << 3) | (1u << 4) | (1u << 5) |
		(1u << 6) | (1u << 7) | (1u << 9);

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "ColumnMetaData") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				if (get_i32(d, t, "ColumnMetaData.type", &v) != LAKE_OK)
					return d->r.status;
				if (v < PQ_BOOLEAN || v > PQ_FIXED_LEN_BYTE_ARRAY)
					return thrift_reader_fail(&d->r, "unknown physical type %d", v);
				m->type = (ParquetPhysicalType) v;
				break;
			case 2:
				if (get_list(d, t, "ColumnMetaData.encodings", THRIFT_I32, 1, &n) != LAKE_OK)
					return d->r.status;
				m->encodings = alloc_array(d, n, sizeof(int32_t));
				if (m->encodings == NULL)
					return d->r.status;
				m->num_encodings = (int) n;
				for (i = 0; i < n; i++)
					if (thrift_read_i32(&d->r, &m->encodings[i]) != LAKE_OK)
						return d->r.status;
				thrift_read_list_end(&d->r);
				break;
			case 3:
				if (get_list(d, t, "ColumnMetaData.path_in_schema", THRIFT_BINARY, 1, &n) != LAKE_OK)
					return d->r.status;
				m->path_in_schema = alloc_array(d, n, sizeof(char *));
				if (m->path_in_schema == NULL)
					return d->r.status;
				m->path_len = (int) n;
				for (i = 0; i < n; i++)
					if (get_string(d, THRIFT_BINARY, "path_in_schema", &m->path_in_schema[i]) != LAKE_OK)
						return d->r.status;
				thrift_read_list_end(&d->r);
				break;
			case 4:
				if (get_i32(d, t, "ColumnMetaData.codec", &v) != LAKE_OK)
					return d->r.status;
				m->codec = (ParquetCodec) v;
				break;
			case 5:
				get_nonneg_i64(d, t, "ColumnMetaData.num_values", &m->num_values);
				break;
			case 6:
				get_nonneg_i64(d, t, "ColumnMetaData.total_uncompressed_size", &m->total_uncompressed_size);
				break;
			case 7:
				get_nonneg_i64(d, t, "ColumnMetaData.total_compressed_size", &m->total_compressed_size);
				break;
			case 9:
				get_nonneg_i64(d, t, "ColumnMetaData.data_page_offset", &m->data_page_offset);
				break;
			case 10:
				get_nonneg_i64(d, t, "ColumnMetaData.index_page_offset", &m->index_page_offset);
				m->has_index_page_offset = true;
				break;
			case 11:
				get_nonneg_i64(d, t, "ColumnMetaData.dictionary_page_offset", &m->dictionary_page_offset);
				m->has_dictionary_page_offset = true;
				break;
			case 12:
				if (t != THRIFT_STRUCT)
					return bad_type(d, "ColumnMetaData.statistics", t, THRIFT_STRUCT);
				m->has_statistics = true;
				decode_statistics(d, &m->statistics);
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if ((seen & required) != required)
		return thrift_reader_fail(&d->r, "ColumnMetaData lacks required fields");
	return LAKE_OK;
}

static LakeStatus
decode_column_chunk(MdDecoder *d, ParquetColumnChunk *c)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "ColumnChunk") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				get_string(d, t, "ColumnChunk.file_path", &c->file_path);
				break;
			case 2:
				get_nonneg_i64(d, t, "ColumnChunk.file_offset", &c->file_offset);
				break;
			case 3:
				if (t != THRIFT_STRUCT)
					return bad_type(d, "ColumnChunk.meta_data", t, THRIFT_STRUCT);
				c->has_meta_data = true;
				decode_column_metadata(d, &c->meta_data);
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	return thrift_read_struct_end(&d->r);
}

static LakeStatus
decode_row_group(MdDecoder *d, ParquetRowGroup *rg)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	uint32_t	n;
	uint32_t	i;

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "RowGroup") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				if (get_list(d, t, "RowGroup.columns", THRIFT_STRUCT, MIN_COLUMN_CHUNK_BYTES, &n) != LAKE_OK)
					return d->r.status;
				rg->columns = alloc_array(d, n, sizeof(ParquetColumnChunk));
				if (rg->columns == NULL)
					return d->r.status;
				rg->num_columns = (int) n;
				for (i = 0; i < n; i++)
					if (decode_column_chunk(d, &rg->columns[i]) != LAKE_OK)
						return d->r.status;
				thrift_read_list_end(&d->r);
				break;
			case 2:
				get_nonneg_i64(d, t, "RowGroup.total_byte_size", &rg->total_byte_size);
				break;
			case 3:
				get_nonneg_i64(d, t, "RowGroup.num_rows", &rg->num_rows);
				break;
			case 5:
				get_nonneg_i64(d, t, "RowGroup.file_offset", &rg->file_offset);
				rg->has_file_offset = true;
				break;
			case 6:
				get_nonneg_i64(d, t, "RowGroup.total_compressed_size", &rg->total_compressed_size);
				rg->has_total_compressed_size = true;
				break;
			case 7:
				if (t != THRIFT_I16)
					return bad_type(d, "RowGroup.ordinal", t, THRIFT_I16);
				thrift_read_i16(&d->r, &rg->ordinal);
				rg->has_ordinal = true;
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if ((seen & 0xe) != 0xe)
		return thrift_reader_fail(&d->r, "RowGroup lacks columns, total_byte_size or num_rows");
	return LAKE_OK;
}

static LakeStatus
decode_file_metadata(MdDecoder *d, ParquetFileMetaData *md)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	uint32_t	n;
	uint32_t	i;

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "FileMetaData") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				get_i32(d, t, "FileMetaData.version", &md->version);
				break;
			case 2:
				if (get_list(d, t, "FileMetaData.schema", THRIFT_STRUCT, MIN_SCHEMA_ELEMENT_BYTES, &n) != LAKE_OK)
					return d->r.status;
				if (n > INT16_MAX)
					return thrift_reader_fail(&d->r, "schema has %u elements (at most %d supported)",
											  n, INT16_MAX);
				md->schema = alloc_array(d, n, sizeof(ParquetSchemaElement));
				if (md->schema == NULL)
					return d->r.status;
				md->num_schema = (int) n;
				for (i = 0; i < n; i++)
				{
					md->schema[i].converted_type = PQ_CT_NONE;
					if (decode_schema_element(d, &md->schema[i]) != LAKE_OK)
						return d->r.status;
				}
				thrift_read_list_end(&d->r);
				break;
			case 3:
				get_nonneg_i64(d, t, "FileMetaData.num_rows", &md->num_rows);
				break;
			case 4:
				if (get_list(d, t, "FileMetaData.row_groups", THRIFT_STRUCT, MIN_ROW_GROUP_BYTES, &n) != LAKE_OK)
					return d->r.status;
				md->row_groups = alloc_array(d, n, sizeof(ParquetRowGroup));
				if (md->row_groups == NULL)
					return d->r.status;
				md->num_row_groups = (int) n;
				for (i = 0; i < n; i++)
					if (decode_row_group(d, &md->row_groups[i]) != LAKE_OK)
						return d->r.status;
				thrift_read_list_end(&d->r);
				break;
			case 5:
				if (get_list(d, t, "FileMetaData.key_value_metadata", THRIFT_STRUCT, MIN_KEY_VALUE_BYTES, &n) != LAKE_OK)
					return d->r.status;
				md->key_value = alloc_array(d, n, sizeof(ParquetKeyValue));
				if (md->key_value == NULL)
					return d->r.status;
				md->num_key_value = (int) n;
				for (i = 0; i < n; i++)
					if (decode_key_value(d, &md->key_value[i]) != LAKE_OK)
						return d->r.status;
				thrift_read_list_end(&d->r);
				break;
			case 6:
				get_string(d, t, "FileMetaData.created_by", &md->created_by);
				break;
			case 7:
				if (!type_is(t, THRIFT_LIST))
					return bad_type(d, "FileMetaData.column_orders", t, THRIFT_LIST);
				md->has_column_orders = true;
				skip_field(d, t);
				break;
			case 8:
				d->r.status = LAKE_ERROR_UNSUPPORTED;
				return lake_error_set(d->err, LAKE_ERROR_UNSUPPORTED,
									  "encrypted parquet files are not supported");
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if ((seen & ((1u << 2) | (1u << 3) | (1u << 4))) != ((1u << 2) | (1u << 3) | (1u << 4)))
		return thrift_reader_fail(&d->r, "FileMetaData lacks schema, num_rows or row_groups");
	return LAKE_OK;
}

/* ------------------------------------------------------------ validation */

/* Does a chunk's path_in_schema name the leaf's chain of elements? */
static bool
path_matches(const ParquetSchema *s, int leaf_index, const ParquetColumnMetaData *m)
{
	int			idx = s->leaves[leaf_index].schema_index;
	int			depth = 0;
	int			k;

	for (k = idx; k > 0; k = s->parent[k])
		depth++;
	if (depth != m->path_len)
		return false;
	for (k = idx; k > 0; k = s->parent[k])
	{
		depth--;
		if (m->path_in_schema[depth] == NULL ||
			strcmp(m->path_in_schema[depth], s->elements[k].name) != 0)
			return false;
	}
	return true;
}

static LakeStatus
validate_file_metadata(const LakeAllocator *a, const ParquetFileMetaData *md, LakeError *err)
{
	ParquetSchema schema;
	LakeStatus	st;
	int			g;
	int			c;

	if (md->num_schema < 1)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "the schema has no root element");
	st = parquet_schema_build(a, md->schema, md->num_schema, &schema, err);
	if (st != LAKE_OK)
		return st;
	for (g = 0; g < md->num_row_groups && st == LAKE_OK; g++)
	{
		const ParquetRowGroup *rg = &md->row_groups[g];

		if (rg->num_columns != schema.num_leaves)
		{
			st = lake_error_set(err, LAKE_ERROR_CORRUPT,
								"row group %d has %d column chunks but the schema has %d leaf columns",
								g, rg->num_columns, schema.num_leaves);
			break;
		}
		for (c = 0; c < rg->num_columns; c++)
		{
			const ParquetColumnChunk *cc = &rg->columns[c];
			const ParquetLeaf *leaf = &schema.leaves[c];

			if (!cc->has_meta_data)
			{
				st = lake_error_set(err, LAKE_ERROR_CORRUPT,
									"row group %d, column \"%s\": the column chunk has no meta_data",
									g, leaf->path);
				break;
			}
			if (cc->meta_data.type != leaf->element->type)
			{
				st = lake_error_set(err, LAKE_ERROR_CORRUPT,
									"row group %d, column \"%s\": the chunk's type %s differs from the schema's %s",
									g, leaf->path, parquet_physical_type_name(cc->meta_data.type),
									parquet_physical_type_name(leaf->element->type));
				break;
			}
			if (!path_matches(&schema, c, &cc->meta_data))
			{
				st = lake_error_set(err, LAKE_ERROR_CORRUPT,
									"row group %d, column %d: path_in_schema does not match the schema leaf \"%s\"",
									g, c, leaf->path);
				break;
			}
		}
	}
	parquet_schema_free(a, &schema);
	return st;
}

/* ------------------------------------------------------------ free */

static void
free_statistics(const LakeAllocator *a, ParquetStatistics *s)
{
	if (s->has_min)
		lake_free(a, (void *) s->min.ptr);
	if (s->has_max)
		lake_free(a, (void *) s->max.ptr);
	s->min.ptr = NULL;
	s->max.ptr = NULL;
	s->has_min = s->has_max = false;
}

void
parquet_metadata_free(const LakeAllocator *a, ParquetFileMetaData *md)
{
	int			i;
	int			g;
	int			c;

	if (md == NULL)
		return;
	if (md->schema != NULL)
	{
		for (i = 0; i < md->num_schema; i++)
			lake_free(a, md->schema[i].name);
		lake_free(a, md->schema);
	}
	if (md->row_groups != NULL)
	{
		for (g = 0; g < md->num_row_groups; g++)
		{
			ParquetRowGroup *rg = &md->row_groups[g];

			if (rg->columns == NULL)
				continue;
			for (c = 0; c < rg->num_columns; c++)
			{
				ParquetColumnChunk *cc = &rg->columns[c];
				ParquetColumnMetaData *m = &cc->meta_data;

				lake_free(a, cc->file_path);
				lake_free(a, m->encodings);
				if (m->path_in_schema != NULL)
				{
					for (i = 0; i < m->path_len; i++)
						lake_free(a, m->path_in_schema[i]);
					lake_free(a, m->path_in_schema);
				}
				if (m->has_statistics)
					free_statistics(a, &m->statistics);
			}
			lake_free(a, rg->columns);
		}
		lake_free(a, md->row_groups);
	}
	if (md->key_value != NULL)
	{
		for (i = 0; i < md->num_key_value; i++)
		{
			lake_free(a, md->key_value[i].key);
			lake_free(a, md->key_value[i].value);
		}
		lake_free(a, md->key_value);
	}
	lake_free(a, md->created_by);
	memset(md, 0, sizeof(*md));
}

LakeStatus
parquet_metadata_decode(const LakeAllocator *a, const uint8_t *buf, size_t len,
						ParquetFileMetaData *out, LakeError *err)
{
	MdDecoder	d;
	LakeStatus	st;

	memset(out, 0, sizeof(*out));
	thrift_reader_init(&d.r, buf, len, err);
	d.a = a;
	d.err = err;
	st = decode_file_metadata(&d, out);
	if (st == LAKE_OK)
		st = validate_file_metadata(a, out, err);
	if (st != LAKE_OK)
	{
		if (st == LAKE_ERROR_CORRUPT)
			lake_error_prefix(err, "invalid parquet footer: ");
		parquet_metadata_free(a, out);
	}
	return st;
}

/* ------------------------------------------------------------ page headers */

static LakeStatus
decode_data_page_header(MdDecoder *d, ParquetDataPageHeader *h)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	int32_t		v;

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "DataPageHeader") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				get_nonneg_i32(d, t, "DataPageHeader.num_values", &h->num_values);
				break;
			case 2:
				get_i32(d, t, "DataPageHeader.encoding", &v);
				h->encoding = (ParquetEncoding) v;
				break;
			case 3:
				get_i32(d, t, "DataPageHeader.definition_level_encoding", &v);
				h->definition_level_encoding = (ParquetEncoding) v;
				break;
			case 4:
				get_i32(d, t, "DataPageHeader.repetition_level_encoding", &v);
				h->repetition_level_encoding = (ParquetEncoding) v;
				break;
			case 5:
				if (t != THRIFT_STRUCT)
					return bad_type(d, "DataPageHeader.statistics", t, THRIFT_STRUCT);
				h->has_statistics = true;
				decode_statistics(d, &h->statistics);
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if ((seen & 0x1e) != 0x1e)
		return thrift_reader_fail(&d->r, "DataPageHeader lacks required fields");
	return LAKE_OK;
}

static LakeStatus
decode_dictionary_page_header(MdDecoder *d, ParquetDictionaryPageHeader *h)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	int32_t		v;

	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "DictionaryPageHeader") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				get_nonneg_i32(d, t, "DictionaryPageHeader.num_values", &h->num_values);
				break;
			case 2:
				get_i32(d, t, "DictionaryPageHeader.encoding", &v);
				h->encoding = (ParquetEncoding) v;
				break;
			case 3:
				get_bool(d, t, "DictionaryPageHeader.is_sorted", &h->is_sorted);
				h->has_is_sorted = true;
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if ((seen & 0x6) != 0x6)
		return thrift_reader_fail(&d->r, "DictionaryPageHeader lacks required fields");
	return LAKE_OK;
}

static LakeStatus
decode_data_page_header_v2(MdDecoder *d, ParquetDataPageHeaderV2 *h)
{
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	int32_t		v;

	h->is_compressed = true;
	if (thrift_read_struct_begin(&d->r) != LAKE_OK)
		return d->r.status;
	for (;;)
	{
		if (thrift_read_field_begin(&d->r, &t, &id) != LAKE_OK)
			return d->r.status;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(d, &seen, id, "DataPageHeaderV2") != LAKE_OK)
			return d->r.status;
		switch (id)
		{
			case 1:
				get_nonneg_i32(d, t, "DataPageHeaderV2.num_values", &h->num_values);
				break;
			case 2:
				get_nonneg_i32(d, t, "DataPageHeaderV2.num_nulls", &h->num_nulls);
				break;
			case 3:
				get_nonneg_i32(d, t, "DataPageHeaderV2.num_rows", &h->num_rows);
				break;
			case 4:
				get_i32(d, t, "DataPageHeaderV2.encoding", &v);
				h->encoding = (ParquetEncoding) v;
				break;
			case 5:
				get_nonneg_i32(d, t, "DataPageHeaderV2.definition_levels_byte_length",
							   &h->definition_levels_byte_length);
				break;
			case 6:
				get_nonneg_i32(d, t, "DataPageHeaderV2.repetition_levels_byte_length",
							   &h->repetition_levels_byte_length);
				break;
			case 7:
				get_bool(d, t, "DataPageHeaderV2.is_compressed", &h->is_compressed);
				break;
			case 8:
				if (t != THRIFT_STRUCT)
					return bad_type(d, "DataPageHeaderV2.statistics", t, THRIFT_STRUCT);
				h->has_statistics = true;
				decode_statistics(d, &h->statistics);
				break;
			default:
				skip_field(d, t);
				break;
		}
		if (d->r.status != LAKE_OK)
			return d->r.status;
	}
	if (thrift_read_struct_end(&d->r) != LAKE_OK)
		return d->r.status;
	if ((seen & 0x7e) != 0x7e)
		return thrift_reader_fail(&d->r, "DataPageHeaderV2 lacks required fields");
	if (h->num_nulls > h->num_values)
		return thrift_reader_fail(&d->r, "DataPageHeaderV2 has %d nulls among %d values",
								  h->num_nulls, h->num_values);
	return LAKE_OK;
}

LakeStatus
parquet_page_header_decode(const uint8_t *buf, size_t len, ParquetPageHeader *out,
						   size_t *header_len, LakeError *err)
{
	MdDecoder	d;
	ThriftType	t;
	int16_t		id;
	uint32_t	seen = 0;
	int32_t		v;
	LakeStatus	st = LAKE_OK;

	memset(out, 0, sizeof(*out));
	out->data_page_header_v2.is_compressed = true;
	thrift_reader_init(&d.r, buf, len, err);
	d.a = NULL;
	d.err = err;

	if (thrift_read_struct_begin(&d.r) != LAKE_OK)
		goto done;
	for (;;)
	{
		if (thrift_read_field_begin(&d.r, &t, &id) != LAKE_OK)
			goto done;
		if (t == THRIFT_STOP)
			break;
		if (check_dup(&d, &seen, id, "PageHeader") != LAKE_OK)
			goto done;
		switch (id)
		{
			case 1:
				if (get_i32(&d, t, "PageHeader.type", &v) != LAKE_OK)
					goto done;
				if (v < PQ_PAGE_DATA || v > PQ_PAGE_DATA_V2)
				{
					thrift_reader_fail(&d.r, "unknown page type %d", v);
					goto done;
				}
				out->type = (ParquetPageType) v;
				break;
			case 2:
				get_nonneg_i32(&d, t, "PageHeader.uncompressed_page_size", &out->uncompressed_page_size);
				break;
			case 3:
				get_nonneg_i32(&d, t, "PageHeader.compressed_page_size", &out->compressed_page_size);
				break;
			case 4:
				get_i32(&d, t, "PageHeader.crc", &out->crc);
				out->has_crc = true;
				break;
			case 5:
				if (t != THRIFT_STRUCT)
				{
					bad_type(&d, "PageHeader.data_page_header", t, THRIFT_STRUCT);
					goto done;
				}
				out->has_data_page_header = true;
				decode_data_page_header(&d, &out->data_page_header);
				break;
			case 7:
				if (t != THRIFT_STRUCT)
				{
					bad_type(&d, "PageHeader.dictionary_page_header", t, THRIFT_STRUCT);
					goto done;
				}
				out->has_dictionary_page_header = true;
				decode_dictionary_page_header(&d, &out->dictionary_page_header);
				break;
			case 8:
				if (t != THRIFT_STRUCT)
				{
					bad_type(&d, "PageHeader.data_page_header_v2", t, THRIFT_STRUCT);
					goto done;
				}
				out->has_data_page_header_v2 = true;
				decode_data_page_header_v2(&d, &out->data_page_header_v2);
				break;
			default:
				skip_field(&d, t);
				break;
		}
		if (d.r.status != LAKE_OK)
			goto done;
	}
	if (thrift_read_struct_end(&d.r) != LAKE_OK)
		goto done;
	if ((seen & 0xe) != 0xe)
	{
		thrift_reader_fail(&d.r, "PageHeader lacks type or page sizes");
		goto done;
	}
	if ((out->type == PQ_PAGE_DATA && !out->has_data_page_header) ||
		(out->type == PQ_PAGE_DICTIONARY && !out->has_dictionary_page_header) ||
		(out->type == PQ_PAGE_DATA_V2 && !out->has_data_page_header_v2))
	{
		thrift_reader_fail(&d.r, "%s page has no matching page header",
						   out->type == PQ_PAGE_DATA ? "data" :
						   out->type == PQ_PAGE_DICTIONARY ? "dictionary" : "data v2");
		goto done;
	}
	if (out->type == PQ_PAGE_DATA_V2)
	{
		const ParquetDataPageHeaderV2 *h2 = &out->data_page_header_v2;
		int64_t		levels = (int64_t) h2->definition_levels_byte_length +
			h2->repetition_levels_byte_length;

		if (levels > out->compressed_page_size || levels > out->uncompressed_page_size)
		{
			thrift_reader_fail(&d.r, "data page v2 levels (%lld bytes) exceed the page size",
							   (long long) levels);
			goto done;
		}
	}
	*header_len = thrift_reader_offset(&d.r);

done:
	st = d.r.status;
	if (st == LAKE_ERROR_CORRUPT)
		lake_error_prefix(err, "invalid page header: ");
	return st;
}

/* ------------------------------------------------------------ encoders */

static void
encode_statistics(ThriftWriter *w, int16_t field, const ParquetStatistics *s)
{
	thrift_write_field_struct_begin(w, field);
	if (s->has_null_count)
		thrift_write_field_i64(w, 3, s->null_count);
	if (s->has_distinct_count)
		thrift_write_field_i64(w, 4, s->distinct_count);
	if (s->has_max)
		thrift_write_field_binary(w, 5, s->max.ptr, s->max.len);
	if (s->has_min)
		thrift_write_field_binary(w, 6, s->min.ptr, s->min.len);
	thrift_write_struct_end(w);
}

/* The legacy ConvertedType that goes with a logical type (as parquet-mr writes). */
static int32_t
converted_from_logical(const ParquetLogicalType *lt)
{
	switch (lt->kind)
	{
		case PQ_LT_STRING:
			return PQ_CT_UTF8;
		case PQ_LT_MAP:
			return PQ_CT_MAP;
		case PQ_LT_LIST:
			return PQ_CT_LIST;
		case PQ_LT_ENUM:
			return PQ_CT_ENUM;
		case PQ_LT_DECIMAL:
			return PQ_CT_DECIMAL;
		case PQ_LT_DATE:
			return PQ_CT_DATE;
		case PQ_LT_TIME:
			/*
			 * The legacy TIME_* and TIMESTAMP_* types mean UTC-adjusted
			 * (LogicalTypes.md); a local time or timestamp gets none, as
			 * arrow writes it.
			 */
			if (!lt->is_adjusted_to_utc)
				return PQ_CT_NONE;
			if (lt->unit == PQ_UNIT_MILLIS)
				return PQ_CT_TIME_MILLIS;
			if (lt->unit == PQ_UNIT_MICROS)
				return PQ_CT_TIME_MICROS;
			return PQ_CT_NONE;
		case PQ_LT_TIMESTAMP:
			if (!lt->is_adjusted_to_utc)
				return PQ_CT_NONE;
			if (lt->unit == PQ_UNIT_MILLIS)
				return PQ_CT_TIMESTAMP_MILLIS;
			if (lt->unit == PQ_UNIT_MICROS)
				return PQ_CT_TIMESTAMP_MICROS;
			return PQ_CT_NONE;
		case PQ_LT_INTEGER:
			switch (lt->bit_width)
			{
				case 8:
					return lt->is_signed ? PQ_CT_INT_8 : PQ_CT_UINT_8;
				case 16:
					return lt->is_signed ? PQ_CT_INT_16 : PQ_CT_UINT_16;
				case 32:
					return lt->is_signed ? PQ_CT_INT_32 : PQ_CT_UINT_32;
				case 64:
					return lt->is_signed ? PQ_CT_INT_64 : PQ_CT_UINT_64;
			}
			return PQ_CT_NONE;
		case PQ_LT_JSON:
			return PQ_CT_JSON;
		case PQ_LT_BSON:
			return PQ_CT_BSON;
		default:
			return PQ_CT_NONE;
	}
}

static void
encode_empty_member(ThriftWriter *w, int16_t id)
{
	thrift_write_field_struct_begin(w, id);
	thrift_write_struct_end(w);
}

static void
encode_logical_type(ThriftWriter *w, const ParquetLogicalType *lt)
{
	thrift_write_field_struct_begin(w, 10);
	switch (lt->kind)
	{
		case PQ_LT_DECIMAL:
			thrift_write_field_struct_begin(w, PQ_LT_DECIMAL);
			thrift_write_field_i32(w, 1, lt->scale);
			thrift_write_field_i32(w, 2, lt->precision);
			thrift_write_struct_end(w);
			break;
		case PQ_LT_TIME:
		case PQ_LT_TIMESTAMP:
			thrift_write_field_struct_begin(w, (int16_t) lt->kind);
			thrift_write_field_bool(w, 1, lt->is_adjusted_to_utc);
			thrift_write_field_struct_begin(w, 2);
			encode_empty_member(w, (int16_t) lt->unit);
			thrift_write_struct_end(w);
			thrift_write_struct_end(w);
			break;
		case PQ_LT_INTEGER:
			thrift_write_field_struct_begin(w, PQ_LT_INTEGER);
			thrift_write_field_i8(w, 1, lt->bit_width);
			thrift_write_field_bool(w, 2, lt->is_signed);
			thrift_write_struct_end(w);
			break;
		default:
			encode_empty_member(w, (int16_t) lt->kind);
			break;
	}
	thrift_write_struct_end(w);
}

static LakeStatus
encode_schema_element(ThriftWriter *w, const ParquetSchemaElement *e)
{
	int32_t		converted = e->converted_type;
	bool		is_group = !e->has_type;

	if (converted == PQ_CT_NONE && e->logical.kind != PQ_LT_NONE)
		converted = converted_from_logical(&e->logical);

	thrift_write_struct_begin(w);
	if (e->has_type)
		thrift_write_field_i32(w, 1, e->type);
	if (e->has_type && (e->type == PQ_FIXED_LEN_BYTE_ARRAY || e->type_length > 0))
		thrift_write_field_i32(w, 2, e->type_length);
	if (e->has_repetition)
		thrift_write_field_i32(w, 3, e->repetition);
	thrift_write_field_string(w, 4, e->name ? e->name : "");
	if (is_group)
		thrift_write_field_i32(w, 5, e->num_children);
	if (converted != PQ_CT_NONE)
		thrift_write_field_i32(w, 6, converted);
	if (converted == PQ_CT_DECIMAL)
	{
		bool		from_logical = e->logical.kind == PQ_LT_DECIMAL;

		thrift_write_field_i32(w, 7, from_logical ? e->logical.scale : e->scale);
		thrift_write_field_i32(w, 8, from_logical ? e->logical.precision : e->precision);
	}
	if (e->has_field_id)
		thrift_write_field_i32(w, 9, e->field_id);
	if (e->logical.kind != PQ_LT_NONE)
		encode_logical_type(w, &e->logical);
	return thrift_write_struct_end(w);
}

static void
encode_column_chunk(ThriftWriter *w, const ParquetColumnChunk *cc)
{
	const ParquetColumnMetaData *m = &cc->meta_data;
	int			i;

	thrift_write_struct_begin(w);
	if (cc->file_path != NULL)
		thrift_write_field_string(w, 1, cc->file_path);
	thrift_write_field_i64(w, 2, cc->file_offset);
	if (cc->has_meta_data)
	{
		thrift_write_field_struct_begin(w, 3);
		thrift_write_field_i32(w, 1, m->type);
		thrift_write_field_begin(w, THRIFT_LIST, 2);
		thrift_write_list_begin(w, THRIFT_I32, (uint32_t) m->num_encodings);
		for (i = 0; i < m->num_encodings; i++)
			thrift_write_i32(w, m->encodings[i]);
		thrift_write_field_begin(w, THRIFT_LIST, 3);
		thrift_write_list_begin(w, THRIFT_BINARY, (uint32_t) m->path_len);
		for (i = 0; i < m->path_len; i++)
			thrift_write_string(w, m->path_in_schema[i]);
		thrift_write_field_i32(w, 4, m->codec);
		thrift_write_field_i64(w, 5, m->num_values);
		thrift_write_field_i64(w, 6, m->total_uncompressed_size);
		thrift_write_field_i64(w, 7, m->total_compressed_size);
		thrift_write_field_i64(w, 9, m->data_page_offset);
		if (m->has_index_page_offset)
			thrift_write_field_i64(w, 10, m->index_page_offset);
		if (m->has_dictionary_page_offset)
			thrift_write_field_i64(w, 11, m->dictionary_page_offset);
		if (m->has_statistics)
			encode_statistics(w, 12, &m->statistics);
		thrift_write_struct_end(w);
	}
	thrift_write_struct_end(w);
}

LakeStatus
parquet_metadata_encode(const ParquetFileMetaData *md, LakeBuffer *out, LakeError *err)
{
	ThriftWriter w;
	int			i;
	int			g;
	uint32_t	num_leaves = 0;

	if (md->num_schema < 1 || md->schema == NULL || md->num_row_groups < 0 ||
		md->num_key_value < 0 || (md->num_row_groups > 0 && md->row_groups == NULL))
		return lake_error_set(err, LAKE_ERROR_INVALID, "file metadata to encode is incomplete");

	thrift_writer_init(&w, out, err);
	thrift_write_struct_begin(&w);
	thrift_write_field_i32(&w, 1, md->version);

	thrift_write_field_begin(&w, THRIFT_LIST, 2);
	thrift_write_list_begin(&w, THRIFT_STRUCT, (uint32_t) md->num_schema);
	for (i = 0; i < md->num_schema; i++)
	{
		encode_schema_element(&w, &md->schema[i]);
		if (i > 0 && md->schema[i].num_children == 0)
			num_leaves++;
	}

	thrift_write_field_i64(&w, 3, md->num_rows);

	thrift_write_field_begin(&w, THRIFT_LIST, 4);
	thrift_write_list_begin(&w, THRIFT_STRUCT, (uint32_t) md->num_row_groups);
	for (g = 0; g < md->num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &md->row_groups[g];

		thrift_write_struct_begin(&w);
		thrift_write_field_begin(&w, THRIFT_LIST, 1);
		thrift_write_list_begin(&w, THRIFT_STRUCT, (uint32_t) rg->num_columns);
		for (i = 0; i < rg->num_columns; i++)
			encode_column_chunk(&w, &rg->columns[i]);
		thrift_write_field_i64(&w, 2, rg->total_byte_size);
		thrift_write_field_i64(&w, 3, rg->num_rows);
		if (rg->has_file_offset)
			thrift_write_field_i64(&w, 5, rg->file_offset);
		if (rg->has_total_compressed_size)
			thrift_write_field_i64(&w, 6, rg->total_compressed_size);
		if (rg->has_ordinal)
			thrift_write_field_i16(&w, 7, rg->ordinal);
		thrift_write_struct_end(&w);
	}

	if (md->num_key_value > 0)
	{
		thrift_write_field_begin(&w, THRIFT_LIST, 5);
		thrift_write_list_begin(&w, THRIFT_STRUCT, (uint32_t) md->num_key_value);
		for (i = 0; i < md->num_key_value; i++)
		{
			thrift_write_struct_begin(&w);
			thrift_write_field_string(&w, 1, md->key_value[i].key ? md->key_value[i].key : "");
			if (md->key_value[i].value != NULL)
				thrift_write_field_string(&w, 2, md->key_value[i].value);
			thrift_write_struct_end(&w);
		}
	}
	if (md->created_by != NULL)
		thrift_write_field_string(&w, 6, md->created_by);
	if (md->has_column_orders)
	{
		uint32_t	k;

		thrift_write_field_begin(&w, THRIFT_LIST, 7);
		thrift_write_list_begin(&w, THRIFT_STRUCT, num_leaves);
		for (k = 0; k < num_leaves; k++)
		{
			/* ColumnOrder union { 1: TypeDefinedOrder TYPE_ORDER } */
			thrift_write_struct_begin(&w);
			encode_empty_member(&w, 1);
			thrift_write_struct_end(&w);
		}
	}
	return thrift_write_struct_end(&w);
}

LakeStatus
parquet_page_header_encode(const ParquetPageHeader *h, LakeBuffer *out, LakeError *err)
{
	ThriftWriter w;

	thrift_writer_init(&w, out, err);
	thrift_write_struct_begin(&w);
	thrift_write_field_i32(&w, 1, h->type);
	thrift_write_field_i32(&w, 2, h->uncompressed_page_size);
	thrift_write_field_i32(&w, 3, h->compressed_page_size);
	if (h->has_crc)
		thrift_write_field_i32(&w, 4, h->crc);
	if (h->has_data_page_header)
	{
		const ParquetDataPageHeader *d = &h->data_page_header;

		thrift_write_field_struct_begin(&w, 5);
		thrift_write_field_i32(&w, 1, d->num_values);
		thrift_write_field_i32(&w, 2, d->encoding);
		thrift_write_field_i32(&w, 3, d->definition_level_encoding);
		thrift_write_field_i32(&w, 4, d->repetition_level_encoding);
		if (d->has_statistics)
			encode_statistics(&w, 5, &d->statistics);
		thrift_write_struct_end(&w);
	}
	if (h->has_dictionary_page_header)
	{
		const ParquetDictionaryPageHeader *d = &h->dictionary_page_header;

		thrift_write_field_struct_begin(&w, 7);
		thrift_write_field_i32(&w, 1, d->num_values);
		thrift_write_field_i32(&w, 2, d->encoding);
		if (d->has_is_sorted)
			thrift_write_field_bool(&w, 3, d->is_sorted);
		thrift_write_struct_end(&w);
	}
	if (h->has_data_page_header_v2)
	{
		const ParquetDataPageHeaderV2 *d = &h->data_page_header_v2;

		thrift_write_field_struct_begin(&w, 8);
		thrift_write_field_i32(&w, 1, d->num_values);
		thrift_write_field_i32(&w, 2, d->num_nulls);
		thrift_write_field_i32(&w, 3, d->num_rows);
		thrift_write_field_i32(&w, 4, d->encoding);
		thrift_write_field_i32(&w, 5, d->definition_levels_byte_length);
		thrift_write_field_i32(&w, 6, d->repetition_levels_byte_length);
		thrift_write_field_bool(&w, 7, d->is_compressed);
		if (d->has_statistics)
			encode_statistics(&w, 8, &d->statistics);
		thrift_write_struct_end(&w);
	}
	return thrift_write_struct_end(&w);
}

/* ------------------------------------------------------------ names */

const char *
parquet_codec_name(int codec)
{
	switch (codec)
	{
		case PQ_CODEC_UNCOMPRESSED:
			return "UNCOMPRESSED";
		case PQ_CODEC_SNAPPY:
			return "SNAPPY";
		case PQ_CODEC_GZIP:
			return "GZIP";
		case PQ_CODEC_LZO:
			return "LZO";
		case PQ_CODEC_BROTLI:
			return "BROTLI";
		case PQ_CODEC_LZ4:
			return "LZ4";
		case PQ_CODEC_ZSTD:
			return "ZSTD";
		case PQ_CODEC_LZ4_RAW:
			return "LZ4_RAW";
	}
	return "UNKNOWN_CODEC";
}

const char *
parquet_physical_type_name(int type)
{
	switch (type)
	{
		case PQ_BOOLEAN:
			return "BOOLEAN";
		case PQ_INT32:
			return "INT32";
		case PQ_INT64:
			return "INT64";
		case PQ_INT96:
			return "INT96";
		case PQ_FLOAT:
			return "FLOAT";
		case PQ_DOUBLE:
			return "DOUBLE";
		case PQ_BYTE_ARRAY:
			return "BYTE_ARRAY";
		case PQ_FIXED_LEN_BYTE_ARRAY:
			return "FIXED_LEN_BYTE_ARRAY";
	}
	return "UNKNOWN_TYPE";
}

const char *
parquet_encoding_name(int encoding)
{
	switch (encoding)
	{
		case PQ_ENC_PLAIN:
			return "PLAIN";
		case PQ_ENC_PLAIN_DICTIONARY:
			return "PLAIN_DICTIONARY";
		case PQ_ENC_RLE:
			return "RLE";
		case PQ_ENC_BIT_PACKED:
			return "BIT_PACKED";
		case PQ_ENC_DELTA_BINARY_PACKED:
			return "DELTA_BINARY_PACKED";
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
			return "DELTA_LENGTH_BYTE_ARRAY";
		case PQ_ENC_DELTA_BYTE_ARRAY:
			return "DELTA_BYTE_ARRAY";
		case PQ_ENC_RLE_DICTIONARY:
			return "RLE_DICTIONARY";
		case PQ_ENC_BYTE_STREAM_SPLIT:
			return "BYTE_STREAM_SPLIT";
	}
	return "UNKNOWN_ENCODING";
}
