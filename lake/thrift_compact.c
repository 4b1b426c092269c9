/*
 * thrift_compact.c
 *	  The Thrift compact protocol: a bounds-checked reader (varints, zigzag,
 *	  field headers with delta ids, bools in field headers, binary, list/set/
 *	  map headers, skipping of unknown values with a depth limit) and a writer
 *	  that appends to a LakeBuffer.
 */
#include "lake/thrift_compact.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

/* ---------------------------------------------------------------- reader */

void
thrift_reader_init(ThriftReader *r, const uint8_t *buf, size_t len, LakeError *err)
{
	memset(r, 0, sizeof(*r));
	r->start = buf;
	r->pos = buf;
	r->end = buf + len;
	r->status = LAKE_OK;
	r->err = err;
}

size_t
thrift_reader_offset(const ThriftReader *r)
{
	return (size_t) (r->pos - r->start);
}

LakeStatus
thrift_reader_fail(ThriftReader *r, const char *fmt,...)
{
	char		msg[LAKE_ERROR_MESSAGE_SIZE];
	va_list		ap;

	if (r->status != LAKE_OK)
		return r->status;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	r->status = LAKE_ERROR_CORRUPT;
	lake_error_set(r->err, LAKE_ERROR_CORRUPT, "%s at offset %zu", msg, thrift_reader_offset(r));
	return r->status;
}

static inline size_t
remaining(const ThriftReader *r)
{
	return (size_t) (r->end - r->pos);
}

LakeStatus
thrift_read_varint(ThriftReader *r, uint64_t *v)
{
	uint64_t	result = 0;
	int			shift = 0;

	if (r->status != LAKE_OK)
		return r->status;
	for (;;)
	{
		uint8_t		b;

		if (r->pos >= r->end)
			return thrift_reader_fail(r, "truncated varint");
		b = *r->pos++;
		if (shift == 63 && (b & 0x7e) != 0)
			return thrift_reader_fail(r, "varint overflows 64 bits");
		result |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 63)
			return thrift_reader_fail(r, "varint is longer than 10 bytes");
	}
	*v = result;
	return LAKE_OK;
}

static inline int64_t
zigzag_decode(uint64_t n)
{
	return (int64_t) (n >> 1) ^ -(int64_t) (n & 1);
}

static inline uint64_t
zigzag_encode(int64_t n)
{
	return ((uint64_t) n << 1) ^ (uint64_t) (n >> 63);
}

LakeStatus
thrift_read_i64(ThriftReader *r, int64_t *v)
{
	uint64_t	u = 0;

	if (thrift_read_varint(r, &u) != LAKE_OK)
		return r->status;
	*v = zigzag_decode(u);
	return LAKE_OK;
}

LakeStatus
thrift_read_i32(ThriftReader *r, int32_t *v)
{
	int64_t		x = 0;

	if (thrift_read_i64(r, &x) != LAKE_OK)
		return r->status;
	if (x < INT32_MIN || x > INT32_MAX)
		return thrift_reader_fail(r, "i32 value %lld is out of range", (long long) x);
	*v = (int32_t) x;
	return LAKE_OK;
}

LakeStatus
thrift_read_i16(ThriftReader *r, int16_t *v)
{
	int64_t		x = 0;

	if (thrift_read_i64(r, &x) != LAKE_OK)
		return r->status;
	if (x < INT16_MIN || x > INT16_MAX)
		return thrift_reader_fail(r, "i16 value %lld is out of range", (long long) x);
	*v = (int16_t) x;
	return LAKE_OK;
}

LakeStatus
thrift_read_i8(ThriftReader *r, int8_t *v)
{
	if (r->status != LAKE_OK)
		return r->status;
	if (r->pos >= r->end)
		return thrift_reader_fail(r, "truncated i8");
	*v = (int8_t) *r->pos++;
	return LAKE_OK;
}

LakeStatus
thrift_read_double(ThriftReader *r, double *v)
{
	uint64_t	bits = 0;
	int			i;

	if (r->status != LAKE_OK)
		return r->status;
	if (remaining(r) < 8)
		return thrift_reader_fail(r, "truncated double");
	for (i = 7; i >= 0; i--)
		bits = (bits << 8) | r->pos[i];
	r->pos += 8;
	memcpy(v, &bits, sizeof(*v));
	return LAKE_OK;
}

LakeStatus
thrift_read_bool(ThriftReader *r, bool *v)
{
	if (r->status != LAKE_OK)
		return r->status;
	if (r->bool_pending)
	{
		r->bool_pending = false;
		*v = r->bool_value;
		return LAKE_OK;
	}
	if (r->pos >= r->end)
		return thrift_reader_fail(r, "truncated bool");
	/* container elements: 1 is true; 0 and 2 are false */
	*v = (*r->pos++ == 1);
	return LAKE_OK;
}

LakeStatus
thrift_read_binary(ThriftReader *r, const uint8_t **ptr, uint32_t *len)
{
	uint64_t	n;

	if (thrift_read_varint(r, &n) != LAKE_OK)
		return r->status;
	if (n > remaining(r))
		return thrift_reader_fail(r, "binary of %llu bytes overruns the %zu bytes that remain",
								  (unsigned long long) n, remaining(r));
	if (n > UINT32_MAX)
		return thrift_reader_fail(r, "binary of %llu bytes is too long", (unsigned long long) n);
	*ptr = r->pos;
	*len = (uint32_t) n;
	r->pos += n;
	return LAKE_OK;
}

static LakeStatus
push_depth(ThriftReader *r)
{
	if (r->depth >= THRIFT_MAX_DEPTH)
		return thrift_reader_fail(r, "nesting deeper than %d", THRIFT_MAX_DEPTH);
	r->depth++;
	return LAKE_OK;
}

LakeStatus
thrift_read_struct_begin(ThriftReader *r)
{
	if (r->status != LAKE_OK)
		return r->status;
	if (push_depth(r) != LAKE_OK)
		return r->status;
	r->id_stack[r->depth] = r->last_id;
	r->last_id = 0;
	return LAKE_OK;
}

LakeStatus
thrift_read_struct_end(ThriftReader *r)
{
	if (r->status != LAKE_OK)
		return r->status;
	if (r->depth <= 0)
		return thrift_reader_fail(r, "struct end without a struct");
	r->last_id = r->id_stack[r->depth];
	r->depth--;
	return LAKE_OK;
}

static bool
valid_type(int t)
{
	return t >= THRIFT_BOOL_TRUE && t <= THRIFT_STRUCT;
}

LakeStatus
thrift_read_field_begin(ThriftReader *r, ThriftType *type, int16_t *id)
{
	uint8_t		b;
	int			t;
	int			delta;

	if (r->status != LAKE_OK)
		return r->status;
	r->bool_pending = false;
	if (r->pos >= r->end)
		return thrift_reader_fail(r, "truncated struct (no stop byte)");
	b = *r->pos++;
	if (b == 0)
	{
		*type = THRIFT_STOP;
		*id = 0;
		return LAKE_OK;
	}
	t = b & 0x0f;
	delta = b >> 4;
	if (!valid_type(t))
		return thrift_reader_fail(r, "invalid field type %d", t);
	if (delta != 0)
	{
		int			nid = r->last_id + delta;

		if (nid > INT16_MAX)
			return thrift_reader_fail(r, "field id overflows");
		*id = (int16_t) nid;
	}
	else
	{
		if (thrift_read_i16(r, id) != LAKE_OK)
			return r->status;
	}
	r->last_id = *id;
	*type = (ThriftType) t;
	if (THRIFT_IS_BOOL(t))
	{
		r->bool_pending = true;
		r->bool_value = (t == THRIFT_BOOL_TRUE);
	}
	return LAKE_OK;
}

/* smallest encoded size of one element of a type: bounds counts */
static size_t
min_size(ThriftType t)
{
	return t == THRIFT_DOUBLE ? 8 : 1;
}

LakeStatus
thrift_read_list_begin(ThriftReader *r, ThriftType *elem_type, uint32_t *count)
{
	uint8_t		b;
	uint64_t	n;
	int			t;

	if (r->status != LAKE_OK)
		return r->status;
	if (r->pos >= r->end)
		return thrift_reader_fail(r, "truncated list header");
	b = *r->pos++;
	t = b & 0x0f;
	n = b >> 4;
	if (!valid_type(t))
		return thrift_reader_fail(r, "invalid list element type %d", t);
	if (n == 15)
	{
		if (thrift_read_varint(r, &n) != LAKE_OK)
			return r->status;
	}
	if (n > remaining(r) / min_size((ThriftType) t))
		return thrift_reader_fail(r, "list of %llu elements overruns the %zu bytes that remain",
								  (unsigned long long) n, remaining(r));
	if (push_depth(r) != LAKE_OK)
		return r->status;
	*elem_type = (ThriftType) t;
	*count = (uint32_t) n;
	return LAKE_OK;
}

LakeStatus
thrift_read_list_end(ThriftReader *r)
{
	if (r->status != LAKE_OK)
		return r->status;
	if (r->depth <= 0)
		return thrift_reader_fail(r, "list end without a list");
	r->depth--;
	return LAKE_OK;
}

LakeStatus
thrift_read_map_begin(ThriftReader *r, ThriftType *key_type, ThriftType *value_type, uint32_t *count)
{
	uint64_t	n;

	if (thrift_read_varint(r, &n) != LAKE_OK)
		return r->status;
	*key_type = THRIFT_STOP;
	*value_type = THRIFT_STOP;
	if (n > 0)
	{
		uint8_t		b;
		int			kt;
		int			vt;

		if (r->pos >= r->end)
			return thrift_reader_fail(r, "truncated map header");
		b = *r->pos++;
		kt = b >> 4;
		vt = b & 0x0f;
		if (!valid_type(kt) || !valid_type(vt))
			return thrift_reader_fail(r, "invalid map key/value types %d/%d", kt, vt);
		if (n > remaining(r) / (min_size((ThriftType) kt) + min_size((ThriftType) vt)))
			return thrift_reader_fail(r, "map of %llu entries overruns the %zu bytes that remain",
									  (unsigned long long) n, remaining(r));
		*key_type = (ThriftType) kt;
		*value_type = (ThriftType) vt;
	}
	if (push_depth(r) != LAKE_OK)
		return r->status;
	*count = (uint32_t) n;
	return LAKE_OK;
}

LakeStatus
thrift_read_map_end(ThriftReader *r)
{
	return thrift_read_list_end(r);
}

LakeStatus
thrift_skip(ThriftReader *r, ThriftType type)
{
	if (r->status != LAKE_OK)
		return r->status;
	switch (type)
	{
		case THRIFT_BOOL_TRUE:
		case THRIFT_BOOL_FALSE:
			{
				bool		v;

				return thrift_read_bool(r, &v);
			}
		case THRIFT_I8:
			{
				int8_t		v;

				return thrift_read_i8(r, &v);
			}
		case THRIFT_I16:
		case THRIFT_I32:
		case THRIFT_I64:
			{
				uint64_t	v;

				return thrift_read_varint(r, &v);
			}
		case THRIFT_DOUBLE:
			{
				double		v;

				return thrift_read_double(r, &v);
			}
		case THRIFT_BINARY:
			{
				const uint8_t *p;
				uint32_t	n;

				return thrift_read_binary(r, &p, &n);
			}
		case THRIFT_LIST:
		case THRIFT_SET:
			{
				ThriftType	et;
				uint32_t	n;
				uint32_t	i;

				if (thrift_read_list_begin(r, &et, &n) != LAKE_OK)
					return r->status;
				for (i = 0; i < n; i++)
				{
					/* a bool element is a byte of its own */
					r->bool_pending = false;
					if (thrift_skip(r, et) != LAKE_OK)
						return r->status;
				}
				return thrift_read_list_end(r);
			}
		case THRIFT_MAP:
			{
				ThriftType	kt;
				ThriftType	vt;
				uint32_t	n;
				uint32_t	i;

				if (thrift_read_map_begin(r, &kt, &vt, &n) != LAKE_OK)
					return r->status;
				for (i = 0; i < n; i++)
				{
					r->bool_pending = false;
					if (thrift_skip(r, kt) != LAKE_OK)
						return r->status;
					r->bool_pending = false;
					if (thrift_skip(r, vt) != LAKE_OK)
						return r->status;
				}
				return thrift_read_map_end(r);
			}
		case THRIFT_STRUCT:
			{
				ThriftType	ft;
				int16_t		id;

				if (thrift_read_struct_begin(r) != LAKE_OK)
					return r->status;
				for (;;)
				{
					if (thrift_read_field_begin(r, &ft, &id) != LAKE_OK)
						return r->status;
					if (ft == THRIFT_STOP)
						break;
					if (thrift_skip(r, ft) != LAKE_OK)
						return r->status;
				}
				return thrift_read_struct_end(r);
			}
		case THRIFT_STOP:
			break;
	}
	return thrift_reader_fail(r, "cannot skip a value of type %d", (int) type);
}

/* ---------------------------------------------------------------- writer */

void
thrift_writer_init(ThriftWriter *w, LakeBuffer *out, LakeError *err)
{
	memset(w, 0, sizeof(*w));
	w->out = out;
	w->status = LAKE_OK;
	w->err = err;
}

static LakeStatus
put_bytes(ThriftWriter *w, const void *data, size_t len)
{
	if (w->status != LAKE_OK)
		return w->status;
	w->status = lake_buffer_append(w->out, data, len, w->err);
	return w->status;
}

static LakeStatus
put_byte(ThriftWriter *w, uint8_t b)
{
	return put_bytes(w, &b, 1);
}

static LakeStatus
writer_fail(ThriftWriter *w, const char *msg)
{
	if (w->status != LAKE_OK)
		return w->status;
	w->status = lake_error_set(w->err, LAKE_ERROR_INVALID, "thrift writer: %s", msg);
	return w->status;
}

LakeStatus
thrift_write_varint(ThriftWriter *w, uint64_t v)
{
	uint8_t		tmp[10];
	size_t		n = 0;

	while (v >= 0x80)
	{
		tmp[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t) v;
	return put_bytes(w, tmp, n);
}

LakeStatus
thrift_write_struct_begin(ThriftWriter *w)
{
	if (w->status != LAKE_OK)
		return w->status;
	if (w->depth >= THRIFT_MAX_DEPTH)
		return writer_fail(w, "nesting too deep");
	w->depth++;
	w->id_stack[w->depth] = w->last_id;
	w->last_id = 0;
	return LAKE_OK;
}

LakeStatus
thrift_write_struct_end(ThriftWriter *w)
{
	if (w->status != LAKE_OK)
		return w->status;
	if (w->depth <= 0)
		return writer_fail(w, "struct end without a struct");
	w->last_id = w->id_stack[w->depth];
	w->depth--;
	return put_byte(w, 0);
}

static LakeStatus
write_field_header(ThriftWriter *w, int type, int16_t id)
{
	if (w->status != LAKE_OK)
		return w->status;
	if (id > w->last_id && id - w->last_id <= 15)
		put_byte(w, (uint8_t) (((id - w->last_id) << 4) | type));
	else
	{
		put_byte(w, (uint8_t) type);
		thrift_write_varint(w, zigzag_encode(id));
	}
	w->last_id = id;
	return w->status;
}

LakeStatus
thrift_write_field_begin(ThriftWriter *w, ThriftType type, int16_t id)
{
	if (!valid_type(type) || THRIFT_IS_BOOL(type))
		return writer_fail(w, "invalid field type");
	return write_field_header(w, type, id);
}

LakeStatus
thrift_write_bool(ThriftWriter *w, bool v)
{
	return put_byte(w, v ? THRIFT_BOOL_TRUE : THRIFT_BOOL_FALSE);
}

LakeStatus
thrift_write_i8(ThriftWriter *w, int8_t v)
{
	return put_byte(w, (uint8_t) v);
}

LakeStatus
thrift_write_i16(ThriftWriter *w, int16_t v)
{
	return thrift_write_varint(w, zigzag_encode(v));
}

LakeStatus
thrift_write_i32(ThriftWriter *w, int32_t v)
{
	return thrift_write_varint(w, zigzag_encode(v));
}

LakeStatus
thrift_write_i64(ThriftWriter *w, int64_t v)
{
	return thrift_write_varint(w, zigzag_encode(v));
}

LakeStatus
thrift_write_double(ThriftWriter *w, double v)
{
	uint64_t	bits;
	uint8_t		tmp[8];
	int			i;

	memcpy(&bits, &v, sizeof(bits));
	for (i = 0; i < 8; i++)
		tmp[i] = (uint8_t) (bits >> (8 * i));
	return put_bytes(w, tmp, 8);
}

LakeStatus
thrift_write_binary(ThriftWriter *w, const void *data, uint32_t len)
{
	thrift_write_varint(w, len);
	return put_bytes(w, data, len);
}

LakeStatus
thrift_write_string(ThriftWriter *w, const char *s)
{
	size_t		len = s ? strlen(s) : 0;

	if (len > UINT32_MAX)
		return writer_fail(w, "string too long");
	return thrift_write_binary(w, s, (uint32_t) len);
}

LakeStatus
thrift_write_list_begin(ThriftWriter *w, ThriftType elem_type, uint32_t count)
{
	if (!valid_type(elem_type))
		return writer_fail(w, "invalid list element type");
	if (elem_type == THRIFT_BOOL_FALSE)
		elem_type = THRIFT_BOOL_TRUE;
	if (count < 15)
		return put_byte(w, (uint8_t) ((count << 4) | elem_type));
	put_byte(w, (uint8_t) (0xf0 | elem_type));
	return thrift_write_varint(w, count);
}

LakeStatus
thrift_write_map_begin(ThriftWriter *w, ThriftType key_type, ThriftType value_type, uint32_t count)
{
	if (!valid_type(key_type) || !valid_type(value_type))
		return writer_fail(w, "invalid map key/value type");
	thrift_write_varint(w, count);
	if (count == 0)
		return w->status;
	return put_byte(w, (uint8_t) ((key_type << 4) | value_type));
}

LakeStatus
thrift_write_field_bool(ThriftWriter *w, int16_t id, bool v)
{
	return write_field_header(w, v ? THRIFT_BOOL_TRUE : THRIFT_BOOL_FALSE, id);
}

LakeStatus
thrift_write_field_i8(ThriftWriter *w, int16_t id, int8_t v)
{
	write_field_header(w, THRIFT_I8, id);
	return thrift_write_i8(w, v);
}

LakeStatus
thrift_write_field_i16(ThriftWriter *w, int16_t id, int16_t v)
{
	write_field_header(w, THRIFT_I16, id);
	return thrift_write_i16(w, v);
}

LakeStatus
thrift_write_field_i32(ThriftWriter *w, int16_t id, int32_t v)
{
	write_field_header(w, THRIFT_I32, id);
	return thrift_write_i32(w, v);
}

LakeStatus
thrift_write_field_i64(ThriftWriter *w, int16_t id, int64_t v)
{
	write_field_header(w, THRIFT_I64, id);
	return thrift_write_i64(w, v);
}

LakeStatus
thrift_write_field_binary(ThriftWriter *w, int16_t id, const void *data, uint32_t len)
{
	write_field_header(w, THRIFT_BINARY, id);
	return thrift_write_binary(w, data, len);
}

LakeStatus
thrift_write_field_string(ThriftWriter *w, int16_t id, const char *s)
{
	write_field_header(w, THRIFT_BINARY, id);
	return thrift_write_string(w, s);
}

LakeStatus
thrift_write_field_struct_begin(ThriftWriter *w, int16_t id)
{
	write_field_header(w, THRIFT_STRUCT, id);
	return thrift_write_struct_begin(w);
}
