/*
 * test_parquet_value.c
 *	  Unit tests of lake/parquet_value.c: sort orders per physical and
 *	  logical type, statistics usability, and the statistics byte encoding.
 */
#include "lake/parquet_value.h"
#include "unit.h"

#include <math.h>

static ParquetSchemaElement
leaf(ParquetPhysicalType type)
{
	ParquetSchemaElement e;

	memset(&e, 0, sizeof(e));
	e.has_type = true;
	e.type = type;
	e.has_repetition = true;
	e.repetition = PQ_OPTIONAL;
	e.name = "x";
	e.converted_type = PQ_CT_NONE;
	e.logical.kind = PQ_LT_NONE;
	return e;
}

static ParquetValue
v32(int32_t x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.i32 = x;
	return v;
}

static ParquetValue
v64(int64_t x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.i64 = x;
	return v;
}

static ParquetValue
vd(double x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.f64 = x;
	return v;
}

static ParquetValue
vf(float x)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.f32 = x;
	return v;
}

static ParquetValue
vb(const void *p, uint32_t len)
{
	ParquetValue v;

	memset(&v, 0, sizeof(v));
	v.bytes.ptr = p;
	v.bytes.len = len;
	return v;
}

static int
cmp(const ParquetSchemaElement *e, ParquetValue a, ParquetValue b)
{
	int			c = parquet_value_compare(e, &a, &b);

	return c < 0 ? -1 : c > 0 ? 1 : 0;
}

static void
test_integers(void)
{
	ParquetSchemaElement e = leaf(PQ_INT32);

	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_INT32);
	CHECK(cmp(&e, v32(-1), v32(1)) == -1);
	CHECK(cmp(&e, v32(INT32_MIN), v32(INT32_MAX)) == -1);
	CHECK(cmp(&e, v32(5), v32(5)) == 0);

	/* unsigned through the logical type */
	e.logical.kind = PQ_LT_INTEGER;
	e.logical.bit_width = 32;
	e.logical.is_signed = false;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_UINT32);
	CHECK(cmp(&e, v32(-1), v32(1)) == 1);
	/* signed logical INTEGER wins over a contradicting converted type */
	e.logical.is_signed = true;
	e.converted_type = PQ_CT_UINT_32;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_INT32);
	/* unsigned through the converted type alone */
	e.logical.kind = PQ_LT_NONE;
	e.converted_type = PQ_CT_UINT_8;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_UINT32);
	CHECK(cmp(&e, v32(200), v32(100)) == 1);

	e = leaf(PQ_INT64);
	CHECK(cmp(&e, v64(INT64_MIN), v64(INT64_MAX)) == -1);
	e.converted_type = PQ_CT_UINT_64;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_UINT64);
	CHECK(cmp(&e, v64(INT64_MIN), v64(INT64_MAX)) == 1);
	CHECK(cmp(&e, v64(-1), v64(0)) == 1);

	/* DECIMAL on INT32/INT64 is signed */
	e = leaf(PQ_INT64);
	e.logical.kind = PQ_LT_DECIMAL;
	e.logical.precision = 18;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_INT64);
	CHECK(cmp(&e, v64(-5), v64(3)) == -1);
}

static void
test_floats(void)
{
	ParquetSchemaElement d = leaf(PQ_DOUBLE);
	ParquetSchemaElement f = leaf(PQ_FLOAT);

	CHECK(cmp(&d, vd(-0.0), vd(0.0)) == 0);
	CHECK(cmp(&d, vd(-INFINITY), vd(-1e308)) == -1);
	CHECK(cmp(&d, vd(INFINITY), vd(1e308)) == 1);
	CHECK(cmp(&d, vd(NAN), vd(INFINITY)) == 1);
	CHECK(cmp(&d, vd(1.0), vd(NAN)) == -1);
	CHECK(cmp(&d, vd(NAN), vd(NAN)) == 0);
	CHECK(cmp(&f, vf(-0.0f), vf(0.0f)) == 0);
	CHECK(cmp(&f, vf(1.5f), vf(2.5f)) == -1);
	CHECK(cmp(&f, vf(NAN), vf(-INFINITY)) == 1);
}

static void
test_bytes(void)
{
	ParquetSchemaElement s = leaf(PQ_BYTE_ARRAY);
	ParquetSchemaElement fl = leaf(PQ_FIXED_LEN_BYTE_ARRAY);
	const uint8_t hi[] = {0xff};
	const uint8_t lo[] = {0x01};
	const uint8_t abc[] = "abc";
	const uint8_t ab[] = "ab";

	s.logical.kind = PQ_LT_STRING;
	CHECK(parquet_value_sort_kind(&s) == PQ_SORT_BYTES);
	/* unsigned: 0xff sorts after 0x01 */
	CHECK(cmp(&s, vb(hi, 1), vb(lo, 1)) == 1);
	/* a prefix sorts first; empty sorts before everything */
	CHECK(cmp(&s, vb(ab, 2), vb(abc, 3)) == -1);
	CHECK(cmp(&s, vb(NULL, 0), vb(ab, 2)) == -1);
	CHECK(cmp(&s, vb(NULL, 0), vb("", 0)) == 0);
	CHECK(cmp(&s, vb(abc, 3), vb(abc, 3)) == 0);

	fl.type_length = 1;
	CHECK(cmp(&fl, vb(hi, 1), vb(lo, 1)) == 1);

	/* INTERVAL has no order */
	fl.type_length = 12;
	fl.converted_type = PQ_CT_INTERVAL;
	CHECK(parquet_value_sort_kind(&fl) == PQ_SORT_NONE);
}

static void
test_decimal_bytes(void)
{
	ParquetSchemaElement e = leaf(PQ_BYTE_ARRAY);
	const uint8_t m1[] = {0xff};		/* -1 */
	const uint8_t m1_long[] = {0xff, 0xff, 0xff};	/* -1, three bytes */
	const uint8_t p1[] = {0x01};
	const uint8_t p1_long[] = {0x00, 0x00, 0x01};
	const uint8_t m256[] = {0xff, 0x00};	/* -256 */
	const uint8_t p255[] = {0x00, 0xff};	/* 255 */
	const uint8_t big[] = {0x7f, 0xff, 0xff, 0xff, 0xff};
	const uint8_t small[] = {0x80, 0x00, 0x00, 0x00, 0x00};

	e.logical.kind = PQ_LT_DECIMAL;
	e.logical.precision = 20;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_DECIMAL_BYTES);
	CHECK(cmp(&e, vb(m1, 1), vb(p1, 1)) == -1);
	CHECK(cmp(&e, vb(m1, 1), vb(m1_long, 3)) == 0);
	CHECK(cmp(&e, vb(p1, 1), vb(p1_long, 3)) == 0);
	CHECK(cmp(&e, vb(m256, 2), vb(m1, 1)) == -1);
	CHECK(cmp(&e, vb(p255, 2), vb(p1, 1)) == 1);
	CHECK(cmp(&e, vb(small, 5), vb(m256, 2)) == -1);
	CHECK(cmp(&e, vb(big, 5), vb(p255, 2)) == 1);
	CHECK(cmp(&e, vb(NULL, 0), vb(m1, 1)) == 1);	/* empty is zero */
	CHECK(cmp(&e, vb(NULL, 0), vb(p1, 1)) == -1);

	/* converted type alone, FIXED_LEN_BYTE_ARRAY */
	e = leaf(PQ_FIXED_LEN_BYTE_ARRAY);
	e.type_length = 2;
	e.converted_type = PQ_CT_DECIMAL;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_DECIMAL_BYTES);
	CHECK(cmp(&e, vb(m256, 2), vb(p255, 2)) == -1);
}

static void
test_float16(void)
{
	ParquetSchemaElement e = leaf(PQ_FIXED_LEN_BYTE_ARRAY);
	const uint8_t one[] = {0x00, 0x3c};		/* 1.0 */
	const uint8_t mtwo[] = {0x00, 0xc0};	/* -2.0 */
	const uint8_t nan[] = {0x01, 0x7e};
	ParquetBytes s;
	ParquetValue v;

	e.type_length = 2;
	e.logical.kind = PQ_LT_FLOAT16;
	CHECK(parquet_value_sort_kind(&e) == PQ_SORT_FLOAT16);
	CHECK(cmp(&e, vb(mtwo, 2), vb(one, 2)) == -1);
	CHECK(cmp(&e, vb(nan, 2), vb(one, 2)) == 1);
	s.ptr = nan;
	s.len = 2;
	CHECK(!parquet_value_from_stat(&e, s, &v));
	s.ptr = one;
	CHECK(parquet_value_from_stat(&e, s, &v));
}

static void
test_stats_usable(void)
{
	ParquetSchemaElement e = leaf(PQ_INT32);
	ParquetStatistics st;

	memset(&st, 0, sizeof(st));
	CHECK(!parquet_value_stats_usable(&e, &st));	/* no min/max */
	st.has_min = st.has_max = true;
	CHECK(parquet_value_stats_usable(&e, &st));
	st.legacy_min_max = true;
	CHECK(parquet_value_stats_usable(&e, &st));
	e.converted_type = PQ_CT_UINT_32;
	CHECK(!parquet_value_stats_usable(&e, &st));	/* legacy signed order */
	st.legacy_min_max = false;
	CHECK(parquet_value_stats_usable(&e, &st));

	e = leaf(PQ_BYTE_ARRAY);
	st.legacy_min_max = true;
	CHECK(!parquet_value_stats_usable(&e, &st));
	st.legacy_min_max = false;
	CHECK(parquet_value_stats_usable(&e, &st));

	e = leaf(PQ_INT96);
	CHECK(!parquet_value_stats_usable(&e, &st));

	e = leaf(PQ_DOUBLE);
	st.legacy_min_max = true;
	CHECK(parquet_value_stats_usable(&e, &st));
	st.has_max = false;
	CHECK(!parquet_value_stats_usable(&e, &st));
	CHECK(!parquet_value_stats_usable(&e, NULL));
}

static void
test_stat_encoding(void)
{
	ParquetSchemaElement e = leaf(PQ_INT64);
	ParquetValue v = v64(INT64_MIN);
	ParquetValue back;
	uint8_t		buf[16];
	size_t		n;
	ParquetBytes s;
	const uint8_t le[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08};

	n = parquet_value_to_stat(&e, &v, buf, sizeof(buf));
	CHECK(n == 8);
	s.ptr = buf;
	s.len = (uint32_t) n;
	CHECK(parquet_value_from_stat(&e, s, &back) && back.i64 == INT64_MIN);
	/* little endian */
	s.ptr = le;
	CHECK(parquet_value_from_stat(&e, s, &back) && back.i64 == 0x0807060504030201LL);
	s.len = 4;
	CHECK(!parquet_value_from_stat(&e, s, &back));	/* wrong length */

	e = leaf(PQ_INT32);
	v = v32(-2);
	n = parquet_value_to_stat(&e, &v, buf, sizeof(buf));
	CHECK(n == 4 && buf[0] == 0xfe && buf[3] == 0xff);
	s.ptr = buf;
	s.len = 4;
	CHECK(parquet_value_from_stat(&e, s, &back) && back.i32 == -2);
	s.len = 8;
	CHECK(!parquet_value_from_stat(&e, s, &back));

	e = leaf(PQ_DOUBLE);
	v = vd(NAN);
	n = parquet_value_to_stat(&e, &v, buf, sizeof(buf));
	s.ptr = buf;
	s.len = (uint32_t) n;
	CHECK(n == 8 && !parquet_value_from_stat(&e, s, &back));
	v = vd(-0.0);
	n = parquet_value_to_stat(&e, &v, buf, sizeof(buf));
	CHECK(parquet_value_from_stat(&e, s, &back) && back.f64 == 0.0 && signbit(back.f64));

	e = leaf(PQ_FLOAT);
	v = vf(3.5f);
	n = parquet_value_to_stat(&e, &v, buf, sizeof(buf));
	s.len = (uint32_t) n;
	CHECK(n == 4 && parquet_value_from_stat(&e, s, &back) && back.f32 == 3.5f);

	e = leaf(PQ_BOOLEAN);
	v.boolean = true;
	n = parquet_value_to_stat(&e, &v, buf, sizeof(buf));
	s.len = (uint32_t) n;
	CHECK(n == 1 && buf[0] == 1 && parquet_value_from_stat(&e, s, &back) && back.boolean);
	buf[0] = 2;
	CHECK(!parquet_value_from_stat(&e, s, &back));

	e = leaf(PQ_BYTE_ARRAY);
	v = vb("hello world, long", 17);
	n = parquet_value_to_stat(&e, &v, buf, 4);
	CHECK(n == 17);				/* too small: length reported, nothing written */
	{
		uint8_t		big[32];

		n = parquet_value_to_stat(&e, &v, big, sizeof(big));
		CHECK(n == 17 && memcmp(big, "hello world, long", 17) == 0);
	}
	s.ptr = (const uint8_t *) "";
	s.len = 0;
	CHECK(parquet_value_from_stat(&e, s, &back) && back.bytes.len == 0);

	e = leaf(PQ_FIXED_LEN_BYTE_ARRAY);
	e.type_length = 3;
	s.ptr = le;
	s.len = 3;
	CHECK(parquet_value_from_stat(&e, s, &back) && back.bytes.len == 3);
	s.len = 2;
	CHECK(!parquet_value_from_stat(&e, s, &back));

	e = leaf(PQ_INT96);
	s.len = 12;
	s.ptr = (const uint8_t *) "0123456789ab";
	CHECK(parquet_value_from_stat(&e, s, &back) && back.bytes.len == 12);
	s.len = 8;
	CHECK(!parquet_value_from_stat(&e, s, &back));
}

int
main(void)
{
	test_integers();
	test_floats();
	test_bytes();
	test_decimal_bytes();
	test_float16();
	test_stats_usable();
	test_stat_encoding();
	return unit_finish("test_parquet_value");
}
