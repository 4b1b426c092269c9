/*
 * test_thrift.c
 *	  The Thrift compact protocol: every value type written and read back,
 *	  field-id deltas and the long form, bools in field headers, list/set
 *	  headers in both forms, maps, nesting, skipping, the depth limit, and
 *	  truncated or malformed input.
 */
#include "lake/thrift_compact.h"

#include <math.h>

#include "unit.h"

/* a struct exercising every type; returns its encoding in buf */
static void
write_sample(LakeBuffer *buf, LakeError *err)
{
	ThriftWriter w;
	int			i;

	thrift_writer_init(&w, buf, err);
	thrift_write_struct_begin(&w);
	thrift_write_field_bool(&w, 1, true);
	thrift_write_field_bool(&w, 2, false);
	thrift_write_field_i8(&w, 3, -128);
	thrift_write_field_i16(&w, 4, INT16_MIN);
	thrift_write_field_i32(&w, 5, INT32_MIN);
	thrift_write_field_i64(&w, 6, INT64_MIN);
	thrift_write_field_begin(&w, THRIFT_DOUBLE, 7);
	thrift_write_double(&w, -2.5);
	thrift_write_field_string(&w, 8, "hello");
	/* a big jump: long form */
	thrift_write_field_i64(&w, 100, INT64_MAX);
	/* going down: long form too */
	thrift_write_field_i32(&w, 9, INT32_MAX);
	/* short list of i32 */
	thrift_write_field_begin(&w, THRIFT_LIST, 10);
	thrift_write_list_begin(&w, THRIFT_I32, 3);
	thrift_write_i32(&w, 1);
	thrift_write_i32(&w, -1);
	thrift_write_i32(&w, 1 << 30);
	/* long list (>= 15) of binary */
	thrift_write_field_begin(&w, THRIFT_LIST, 11);
	thrift_write_list_begin(&w, THRIFT_BINARY, 20);
	for (i = 0; i < 20; i++)
		thrift_write_string(&w, "x");
	/* set of bools */
	thrift_write_field_begin(&w, THRIFT_SET, 12);
	thrift_write_list_begin(&w, THRIFT_BOOL_TRUE, 2);
	thrift_write_bool(&w, true);
	thrift_write_bool(&w, false);
	/* map<i32, struct> */
	thrift_write_field_begin(&w, THRIFT_MAP, 13);
	thrift_write_map_begin(&w, THRIFT_I32, THRIFT_STRUCT, 2);
	for (i = 0; i < 2; i++)
	{
		thrift_write_i32(&w, i);
		thrift_write_struct_begin(&w);
		thrift_write_field_string(&w, 1, "v");
		thrift_write_struct_end(&w);
	}
	/* empty map */
	thrift_write_field_begin(&w, THRIFT_MAP, 14);
	thrift_write_map_begin(&w, THRIFT_I32, THRIFT_I32, 0);
	/* nested struct with a bool and a negative field id */
	thrift_write_field_struct_begin(&w, 15);
	thrift_write_field_bool(&w, -3, true);
	thrift_write_field_i16(&w, 2, 7);
	thrift_write_struct_end(&w);
	thrift_write_field_i16(&w, 16, 42);
	thrift_write_struct_end(&w);
}

static void
test_round_trip(void)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	ThriftReader r;
	ThriftType	t;
	int16_t		id;
	bool		b;
	int8_t		i8;
	int16_t		i16;
	int32_t		i32;
	int64_t		i64;
	double		dbl;
	const uint8_t *p;
	uint32_t	len;
	uint32_t	n;
	ThriftType	et;
	ThriftType	kt;
	ThriftType	vt;
	int			i;

	lake_buffer_init(&buf, &lake_malloc_allocator);
	write_sample(&buf, &err);
	CHECK(buf.len > 0);

	thrift_reader_init(&r, buf.data, buf.len, &err);
	CHECK_OK(thrift_read_struct_begin(&r), &err);

	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(THRIFT_IS_BOOL(t) && id == 1);
	CHECK_OK(thrift_read_bool(&r, &b), &err);
	CHECK(b == true);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(THRIFT_IS_BOOL(t) && id == 2);
	CHECK_OK(thrift_read_bool(&r, &b), &err);
	CHECK(b == false);

	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I8 && id == 3);
	CHECK_OK(thrift_read_i8(&r, &i8), &err);
	CHECK(i8 == -128);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I16 && id == 4);
	CHECK_OK(thrift_read_i16(&r, &i16), &err);
	CHECK(i16 == INT16_MIN);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I32 && id == 5);
	CHECK_OK(thrift_read_i32(&r, &i32), &err);
	CHECK(i32 == INT32_MIN);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I64 && id == 6);
	CHECK_OK(thrift_read_i64(&r, &i64), &err);
	CHECK(i64 == INT64_MIN);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_DOUBLE && id == 7);
	CHECK_OK(thrift_read_double(&r, &dbl), &err);
	CHECK(dbl == -2.5);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_BINARY && id == 8);
	CHECK_OK(thrift_read_binary(&r, &p, &len), &err);
	CHECK(len == 5 && memcmp(p, "hello", 5) == 0);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I64 && id == 100);
	CHECK_OK(thrift_read_i64(&r, &i64), &err);
	CHECK(i64 == INT64_MAX);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I32 && id == 9);
	CHECK_OK(thrift_read_i32(&r, &i32), &err);
	CHECK(i32 == INT32_MAX);

	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_LIST && id == 10);
	CHECK_OK(thrift_read_list_begin(&r, &et, &n), &err);
	CHECK(et == THRIFT_I32 && n == 3);
	CHECK_OK(thrift_read_i32(&r, &i32), &err);
	CHECK(i32 == 1);
	CHECK_OK(thrift_read_i32(&r, &i32), &err);
	CHECK(i32 == -1);
	CHECK_OK(thrift_read_i32(&r, &i32), &err);
	CHECK(i32 == (1 << 30));
	CHECK_OK(thrift_read_list_end(&r), &err);

	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_LIST && id == 11);
	CHECK_OK(thrift_read_list_begin(&r, &et, &n), &err);
	CHECK(et == THRIFT_BINARY && n == 20);
	for (i = 0; i < 20; i++)
	{
		CHECK_OK(thrift_read_binary(&r, &p, &len), &err);
		CHECK(len == 1 && p[0] == 'x');
	}
	CHECK_OK(thrift_read_list_end(&r), &err);

	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_SET && id == 12);
	CHECK_OK(thrift_read_list_begin(&r, &et, &n), &err);
	CHECK(THRIFT_IS_BOOL(et) && n == 2);
	CHECK_OK(thrift_read_bool(&r, &b), &err);
	CHECK(b == true);
	CHECK_OK(thrift_read_bool(&r, &b), &err);
	CHECK(b == false);
	CHECK_OK(thrift_read_list_end(&r), &err);

	/* skip the map, the empty map, the nested struct */
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_MAP && id == 13);
	CHECK_OK(thrift_read_map_begin(&r, &kt, &vt, &n), &err);
	CHECK(kt == THRIFT_I32 && vt == THRIFT_STRUCT && n == 2);
	for (i = 0; i < 2; i++)
	{
		CHECK_OK(thrift_read_i32(&r, &i32), &err);
		CHECK(i32 == i);
		CHECK_OK(thrift_skip(&r, THRIFT_STRUCT), &err);
	}
	CHECK_OK(thrift_read_map_end(&r), &err);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_MAP && id == 14);
	CHECK_OK(thrift_skip(&r, t), &err);

	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_STRUCT && id == 15);
	CHECK_OK(thrift_read_struct_begin(&r), &err);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(THRIFT_IS_BOOL(t) && id == -3);
	CHECK_OK(thrift_skip(&r, t), &err);	/* skipping a header bool reads nothing */
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I16 && id == 2);
	CHECK_OK(thrift_read_i16(&r, &i16), &err);
	CHECK(i16 == 7);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_STOP);
	CHECK_OK(thrift_read_struct_end(&r), &err);

	/* the delta continues from the outer struct's last id (15) */
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_I16 && id == 16);
	CHECK_OK(thrift_read_i16(&r, &i16), &err);
	CHECK(i16 == 42);
	CHECK_OK(thrift_read_field_begin(&r, &t, &id), &err);
	CHECK(t == THRIFT_STOP);
	CHECK_OK(thrift_read_struct_end(&r), &err);
	CHECK(thrift_reader_offset(&r) == buf.len);

	/* the whole thing skips too */
	thrift_reader_init(&r, buf.data, buf.len, &err);
	CHECK_OK(thrift_skip(&r, THRIFT_STRUCT), &err);
	CHECK(thrift_reader_offset(&r) == buf.len);

	/* every truncation fails cleanly */
	{
		size_t		cut;

		for (cut = 0; cut < buf.len; cut++)
		{
			uint8_t    *copy = malloc(cut + 1);

			memcpy(copy, buf.data, cut);
			thrift_reader_init(&r, copy, cut, &err);
			CHECK(thrift_skip(&r, THRIFT_STRUCT) == LAKE_ERROR_CORRUPT);
			free(copy);
		}
	}
	/* single-byte corruptions never crash */
	{
		size_t		pos;
		int			v;

		for (pos = 0; pos < buf.len; pos++)
		{
			for (v = 0; v < 256; v += 7)
			{
				uint8_t    *copy = malloc(buf.len);
				LakeStatus	st;

				memcpy(copy, buf.data, buf.len);
				copy[pos] = (uint8_t) v;
				thrift_reader_init(&r, copy, buf.len, &err);
				st = thrift_skip(&r, THRIFT_STRUCT);
				CHECK(st == LAKE_OK || st == LAKE_ERROR_CORRUPT);
				free(copy);
			}
		}
	}
	lake_buffer_free(&buf);
}

static void
test_known_bytes(void)
{
	LakeError	err = {0};
	LakeBuffer	buf;
	ThriftWriter w;

	lake_buffer_init(&buf, &lake_malloc_allocator);
	thrift_writer_init(&w, &buf, &err);
	thrift_write_struct_begin(&w);
	thrift_write_field_i32(&w, 1, -1);	/* 0x15 0x01 */
	thrift_write_field_bool(&w, 2, true);	/* 0x11 */
	thrift_write_field_i32(&w, 20, 300);	/* delta 18: long form 0x05 0x28 0xd8 0x04 */
	thrift_write_struct_end(&w);		/* 0x00 */
	{
		static const uint8_t want[] = {0x15, 0x01, 0x11, 0x05, 0x28, 0xd8, 0x04, 0x00};

		CHECK(buf.len == sizeof(want) && memcmp(buf.data, want, sizeof(want)) == 0);
	}
	/* list of 15 uses the long form: 0xf5 0x0f */
	lake_buffer_reset(&buf);
	thrift_writer_init(&w, &buf, &err);
	thrift_write_list_begin(&w, THRIFT_I32, 15);
	CHECK(buf.len == 2 && buf.data[0] == 0xf5 && buf.data[1] == 0x0f);
	lake_buffer_free(&buf);
}

static void
test_malformed(void)
{
	LakeError	err = {0};
	ThriftReader r;
	ThriftType	t;
	int16_t		id;
	int32_t		i32;
	int16_t		i16;
	uint32_t	n;
	uint64_t	u;
	const uint8_t *p;

	/* varint longer than 10 bytes */
	{
		static const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01};

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_read_varint(&r, &u) == LAKE_ERROR_CORRUPT);
	}
	/* a 10th byte over 1 overflows */
	{
		static const uint8_t b[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02};

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_read_varint(&r, &u) == LAKE_ERROR_CORRUPT);
	}
	/* i32 out of range */
	{
		static const uint8_t b[] = {0x80, 0x80, 0x80, 0x80, 0x20};

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_read_i32(&r, &i32) == LAKE_ERROR_CORRUPT);
		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_read_i16(&r, &i16) == LAKE_ERROR_CORRUPT);
	}
	/* binary longer than the input */
	{
		static const uint8_t b[] = {0x05, 'a', 'b'};

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_read_binary(&r, &p, &n) == LAKE_ERROR_CORRUPT);
		CHECK(strstr(err.message, "offset") != NULL);
	}
	/* list claiming a billion elements */
	{
		static const uint8_t b[] = {0xf5, 0x80, 0x94, 0xeb, 0xdc, 0x03, 0x00};
		ThriftType	et;

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_read_list_begin(&r, &et, &n) == LAKE_ERROR_CORRUPT);
		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_skip(&r, THRIFT_LIST) == LAKE_ERROR_CORRUPT);
	}
	/* list of doubles: 8 bytes each */
	{
		static const uint8_t b[] = {0x27, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
		ThriftType	et;

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_read_list_begin(&r, &et, &n) == LAKE_ERROR_CORRUPT);
	}
	/* map claiming more entries than bytes */
	{
		static const uint8_t b[] = {0x7f, 0x55, 0x01};

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK(thrift_skip(&r, THRIFT_MAP) == LAKE_ERROR_CORRUPT);
	}
	/* invalid field type 13 */
	{
		static const uint8_t b[] = {0x1d, 0x00};

		thrift_reader_init(&r, b, sizeof(b), &err);
		CHECK_OK(thrift_read_struct_begin(&r), &err);
		CHECK(thrift_read_field_begin(&r, &t, &id) == LAKE_ERROR_CORRUPT);
	}
	/* errors are sticky */
	{
		static const uint8_t b[] = {0x1d, 0x15, 0x02, 0x00};

		thrift_reader_init(&r, b, sizeof(b), &err);
		thrift_read_struct_begin(&r);
		CHECK(thrift_read_field_begin(&r, &t, &id) == LAKE_ERROR_CORRUPT);
		CHECK(thrift_read_i32(&r, &i32) == LAKE_ERROR_CORRUPT);
	}
	/* nesting: 64 levels are fine, 65 are not */
	{
		uint8_t		b[200];
		int			depth;

		for (depth = 63; depth <= 66; depth++)
		{
			int			k;
			size_t		len = 0;
			LakeStatus	st;

			/* depth structs each holding field 1 of type struct, closed by stops */
			for (k = 0; k < depth - 1; k++)
				b[len++] = 0x1c;
			for (k = 0; k < depth; k++)
				b[len++] = 0x00;
			thrift_reader_init(&r, b, len, &err);
			st = thrift_skip(&r, THRIFT_STRUCT);
			if (depth <= THRIFT_MAX_DEPTH)
				CHECK_MSG(st == LAKE_OK, "depth %d: %s", depth, err.message);
			else
				CHECK_MSG(st == LAKE_ERROR_CORRUPT, "depth %d", depth);
		}
	}
	/* deep lists of lists are limited too */
	{
		uint8_t		b[300];
		size_t		len = 0;
		int			k;

		for (k = 0; k < 100; k++)
			b[len++] = 0x19;	/* list of 1 list */
		b[len++] = 0x05;		/* list of 0 i32 */
		thrift_reader_init(&r, b, len, &err);
		CHECK(thrift_skip(&r, THRIFT_LIST) == LAKE_ERROR_CORRUPT);
	}
	/* writer: depth limit and sticky failure */
	{
		LakeBuffer	buf;
		ThriftWriter w;
		int			k;

		lake_buffer_init(&buf, &lake_malloc_allocator);
		thrift_writer_init(&w, &buf, &err);
		for (k = 0; k < THRIFT_MAX_DEPTH; k++)
			CHECK_OK(thrift_write_struct_begin(&w), &err);
		CHECK(thrift_write_struct_begin(&w) == LAKE_ERROR_INVALID);
		CHECK(thrift_write_i32(&w, 1) == LAKE_ERROR_INVALID);
		lake_buffer_free(&buf);
	}
}

int
main(void)
{
	test_known_bytes();
	test_round_trip();
	test_malformed();
	return unit_finish("test_thrift");
}
