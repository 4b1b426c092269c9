/*
 * thrift_compact.h
 *	  The Thrift compact protocol (apache/thrift doc/specs/
 *	  thrift-compact-protocol.md): a bounds-checked reader over a byte range
 *	  and a writer that appends to a LakeBuffer.  Parquet's footer and page
 *	  headers are encoded with it.
 *
 * The reader never reads past end, bounds every list/map/binary length by the
 * bytes that remain, limits struct/container nesting to THRIFT_MAX_DEPTH and
 * can skip a value of any type.  The first error is kept in the reader (and
 * in err); later calls fail with the same status.
 *
 * The writer is likewise sticky: once an append fails every later call
 * returns that status, so an encoder may check only at the end.
 */
#ifndef LAKE_THRIFT_COMPACT_H
#define LAKE_THRIFT_COMPACT_H

#include "lake/lake_common.h"

#define THRIFT_MAX_DEPTH 64

/* Compact-protocol type codes (field headers and container headers) */
typedef enum ThriftType
{
	THRIFT_STOP = 0,
	THRIFT_BOOL_TRUE = 1,		/* also "bool" as a container element type */
	THRIFT_BOOL_FALSE = 2,
	THRIFT_I8 = 3,
	THRIFT_I16 = 4,
	THRIFT_I32 = 5,
	THRIFT_I64 = 6,
	THRIFT_DOUBLE = 7,
	THRIFT_BINARY = 8,
	THRIFT_LIST = 9,
	THRIFT_SET = 10,
	THRIFT_MAP = 11,
	THRIFT_STRUCT = 12
} ThriftType;

/* true for either bool type code */
#define THRIFT_IS_BOOL(t) ((t) == THRIFT_BOOL_TRUE || (t) == THRIFT_BOOL_FALSE)

typedef struct ThriftReader
{
	const uint8_t *start;		/* for offsets in messages */
	const uint8_t *pos;
	const uint8_t *end;
	int			depth;			/* structs and containers currently open */
	int16_t		last_id;		/* last field id of the innermost struct */
	int16_t		id_stack[THRIFT_MAX_DEPTH + 1];
	bool		bool_pending;	/* a bool field header carried its value */
	bool		bool_value;
	LakeStatus	status;			/* first error, LAKE_OK if none */
	LakeError  *err;			/* borrowed, may be NULL */
} ThriftReader;

extern void thrift_reader_init(ThriftReader *r, const uint8_t *buf, size_t len, LakeError *err);
/* bytes consumed so far */
extern size_t thrift_reader_offset(const ThriftReader *r);
/* Fail with LAKE_ERROR_CORRUPT: message gets " at offset N" appended. */
extern LakeStatus thrift_reader_fail(ThriftReader *r, const char *fmt,...) LAKE_PRINTF(2, 3);

extern LakeStatus thrift_read_struct_begin(ThriftReader *r);
extern LakeStatus thrift_read_struct_end(ThriftReader *r);

/*
 * Next field header of the current struct: *type is THRIFT_STOP at the end
 * of the struct (then call thrift_read_struct_end).  A bool field carries its
 * value in the header; read it with thrift_read_bool.
 */
extern LakeStatus thrift_read_field_begin(ThriftReader *r, ThriftType *type, int16_t *id);

extern LakeStatus thrift_read_bool(ThriftReader *r, bool *v);
extern LakeStatus thrift_read_i8(ThriftReader *r, int8_t *v);
extern LakeStatus thrift_read_i16(ThriftReader *r, int16_t *v);
extern LakeStatus thrift_read_i32(ThriftReader *r, int32_t *v);
extern LakeStatus thrift_read_i64(ThriftReader *r, int64_t *v);
extern LakeStatus thrift_read_double(ThriftReader *r, double *v);
extern LakeStatus thrift_read_varint(ThriftReader *r, uint64_t *v);

/* binary/string: *ptr points into the buffer (borrowed), *len <= remaining */
extern LakeStatus thrift_read_binary(ThriftReader *r, const uint8_t **ptr, uint32_t *len);

/*
 * List or set header.  *count is at most the bytes that remain (every
 * element takes at least one byte), so it can size an allocation.  Call
 * thrift_read_list_end after the elements.
 */
extern LakeStatus thrift_read_list_begin(ThriftReader *r, ThriftType *elem_type, uint32_t *count);
extern LakeStatus thrift_read_list_end(ThriftReader *r);
/* Map header; *count is bounded the same way.  End with thrift_read_map_end. */
extern LakeStatus thrift_read_map_begin(ThriftReader *r, ThriftType *key_type, ThriftType *value_type,
										uint32_t *count);
extern LakeStatus thrift_read_map_end(ThriftReader *r);

/* Skip one value of the given type (any nesting, up to the depth limit). */
extern LakeStatus thrift_skip(ThriftReader *r, ThriftType type);

/* ------------------------------------------------------------ writer */

typedef struct ThriftWriter
{
	LakeBuffer *out;			/* borrowed */
	int			depth;
	int16_t		last_id;
	int16_t		id_stack[THRIFT_MAX_DEPTH + 1];
	LakeStatus	status;			/* sticky first error */
	LakeError  *err;			/* borrowed, may be NULL */
} ThriftWriter;

extern void thrift_writer_init(ThriftWriter *w, LakeBuffer *out, LakeError *err);

extern LakeStatus thrift_write_struct_begin(ThriftWriter *w);
/* writes the stop byte */
extern LakeStatus thrift_write_struct_end(ThriftWriter *w);
/* Not for bools: use thrift_write_field_bool. */
extern LakeStatus thrift_write_field_begin(ThriftWriter *w, ThriftType type, int16_t id);

extern LakeStatus thrift_write_bool(ThriftWriter *w, bool v);	/* container element */
extern LakeStatus thrift_write_i8(ThriftWriter *w, int8_t v);
extern LakeStatus thrift_write_i16(ThriftWriter *w, int16_t v);
extern LakeStatus thrift_write_i32(ThriftWriter *w, int32_t v);
extern LakeStatus thrift_write_i64(ThriftWriter *w, int64_t v);
extern LakeStatus thrift_write_double(ThriftWriter *w, double v);
extern LakeStatus thrift_write_varint(ThriftWriter *w, uint64_t v);
extern LakeStatus thrift_write_binary(ThriftWriter *w, const void *data, uint32_t len);
extern LakeStatus thrift_write_string(ThriftWriter *w, const char *s);
extern LakeStatus thrift_write_list_begin(ThriftWriter *w, ThriftType elem_type, uint32_t count);
extern LakeStatus thrift_write_map_begin(ThriftWriter *w, ThriftType key_type, ThriftType value_type,
										 uint32_t count);

/* Field header + value in one call */
extern LakeStatus thrift_write_field_bool(ThriftWriter *w, int16_t id, bool v);
extern LakeStatus thrift_write_field_i8(ThriftWriter *w, int16_t id, int8_t v);
extern LakeStatus thrift_write_field_i16(ThriftWriter *w, int16_t id, int16_t v);
extern LakeStatus thrift_write_field_i32(ThriftWriter *w, int16_t id, int32_t v);
extern LakeStatus thrift_write_field_i64(ThriftWriter *w, int16_t id, int64_t v);
extern LakeStatus thrift_write_field_binary(ThriftWriter *w, int16_t id, const void *data, uint32_t len);
extern LakeStatus thrift_write_field_string(ThriftWriter *w, int16_t id, const char *s);
/* field header of type STRUCT, then struct_begin */
extern LakeStatus thrift_write_field_struct_begin(ThriftWriter *w, int16_t id);

#endif							/* LAKE_THRIFT_COMPACT_H */
