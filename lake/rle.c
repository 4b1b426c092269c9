/*
 * rle.c
 *	  The RLE / bit-packed hybrid of Parquet's Encodings.md for bit widths
 *	  0..32: a bounds-checked decoder with fast paths for RLE runs (fill) and
 *	  bit-packed groups (8 values at a time, specialised per bit width), and
 *	  encoders that write RLE runs for 8 or more repeats and bit-packed runs
 *	  otherwise, as parquet-mr and arrow do: a streaming one (one value per
 *	  call) and bulk ones over whole arrays (the writer's levels and
 *	  dictionary indices, encoded at page close).
 */
#include "lake/rle.h"

#include <string.h>

/* bytes we may read from a group start with unaligned 64-bit loads (7*32/8 + 8) */
#define RLE_SAFE_READ 36

/* ------------------------------------------------------------ unpacking */

static inline uint64_t
load_le64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, sizeof(v));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

/*
 * Unpack ngroups groups of 8 w-bit values from in to out.  Reads never go
 * past end: groups near it are copied into a zero-padded buffer first (the
 * caller guarantees that the values it will use have their bits before end).
 */
static inline __attribute__((always_inline)) void
unpack_groups_w(const uint8_t *in, const uint8_t *end, uint32_t *out, size_t ngroups, const int w)
{
	const uint64_t mask = (w == 32) ? 0xffffffffu : ((UINT64_C(1) << w) - 1);
	size_t		g;

	for (g = 0; g < ngroups; g++)
	{
		const uint8_t *p = in + g * (size_t) w;
		uint8_t		tmp[RLE_SAFE_READ + 8];
		int			i;

		if (end - p < RLE_SAFE_READ)
		{
			size_t		avail = (size_t) (end - p);

			memset(tmp, 0, sizeof(tmp));
			memcpy(tmp, p, avail < (size_t) w ? avail : (size_t) w);
			p = tmp;
		}
		for (i = 0; i < 8; i++)
		{
			const int	bit = i * w;

			out[g * 8 + i] = (uint32_t) ((load_le64(p + (bit >> 3)) >> (bit & 7)) & mask);
		}
	}
}

#define RLE_UNPACK_CASE(W) \
	case W: \
		unpack_groups_w(in, end, out, ngroups, W); \
		break

static void
unpack_groups(const uint8_t *in, const uint8_t *end, uint32_t *out, size_t ngroups, int w)
{
	switch (w)
	{
			RLE_UNPACK_CASE(1);
			RLE_UNPACK_CASE(2);
			RLE_UNPACK_CASE(3);
			RLE_UNPACK_CASE(4);
			RLE_UNPACK_CASE(5);
			RLE_UNPACK_CASE(6);
			RLE_UNPACK_CASE(7);
			RLE_UNPACK_CASE(8);
			RLE_UNPACK_CASE(9);
			RLE_UNPACK_CASE(10);
			RLE_UNPACK_CASE(11);
			RLE_UNPACK_CASE(12);
			RLE_UNPACK_CASE(13);
			RLE_UNPACK_CASE(14);
			RLE_UNPACK_CASE(15);
			RLE_UNPACK_CASE(16);
			RLE_UNPACK_CASE(17);
			RLE_UNPACK_CASE(18);
			RLE_UNPACK_CASE(19);
			RLE_UNPACK_CASE(20);
			RLE_UNPACK_CASE(21);
			RLE_UNPACK_CASE(22);
			RLE_UNPACK_CASE(23);
			RLE_UNPACK_CASE(24);
			RLE_UNPACK_CASE(25);
			RLE_UNPACK_CASE(26);
			RLE_UNPACK_CASE(27);
			RLE_UNPACK_CASE(28);
			RLE_UNPACK_CASE(29);
			RLE_UNPACK_CASE(30);
			RLE_UNPACK_CASE(31);
			RLE_UNPACK_CASE(32);
		default:
			memset(out, 0, ngroups * 8 * sizeof(uint32_t));
			break;
	}
}

/* ------------------------------------------------------------ decoder */

void
rle_decoder_init(RleDecoder *d, const uint8_t *data, size_t len, int bit_width)
{
	memset(d, 0, sizeof(*d));
	d->start = data;
	d->pos = data;
	d->end = data + len;
	d->bit_width = bit_width;
	d->packed_end = d->end;
}

static LakeStatus
rle_corrupt(RleDecoder *d, LakeError *err, const char *what)
{
	return lake_error_set(err, LAKE_ERROR_CORRUPT, "rle/bit-packed data: %s at offset %zu of %zu",
						  what, (size_t) (d->pos - d->start), (size_t) (d->end - d->start));
}

/* Read the next run header and set up the run. */
static LakeStatus
next_run(RleDecoder *d, LakeError *err)
{
	uint64_t	header = 0;
	int			shift = 0;
	const int	w = d->bit_width;

	if (w < 0 || w > 32)
		return lake_error_set(err, LAKE_ERROR_INVALID, "rle bit width %d is not in 0..32", w);
	for (;;)
	{
		uint8_t		b;

		if (d->pos >= d->end)
			return rle_corrupt(d, err, "input ends before the values asked for");
		b = *d->pos++;
		header |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
			break;
		shift += 7;
		if (shift > 28)
			return rle_corrupt(d, err, "run header varint is longer than 5 bytes");
	}
	if (header > UINT32_MAX)
		return rle_corrupt(d, err, "run header overflows 32 bits");

	if (header & 1)
	{
		uint64_t	groups = header >> 1;
		uint64_t	bytes = groups * (uint64_t) w;
		size_t		avail = (size_t) (d->end - d->pos);

		if (bytes <= avail)
		{
			d->packed_remaining = groups * 8;
			d->packed_end = d->pos + bytes;
		}
		else
		{
			/* cut short: the values whose bits are all present */
			d->packed_remaining = ((uint64_t) avail * 8) / (uint64_t) w;
			d->packed_end = d->end;
		}
		if (d->packed_remaining == 0)
			d->pos = d->packed_end;
	}
	else
	{
		int			nbytes = (w + 7) / 8;
		uint32_t	value = 0;
		int			i;

		if (d->end - d->pos < nbytes)
			return rle_corrupt(d, err, "RLE run value is truncated");
		for (i = 0; i < nbytes; i++)
			value |= (uint32_t) d->pos[i] << (8 * i);
		if (w < 32 && (value >> w) != 0)
			return rle_corrupt(d, err, "RLE run value does not fit the bit width");
		d->pos += nbytes;
		d->rle_value = value;
		d->rle_remaining = header >> 1;
	}
	return LAKE_OK;
}

/* Unpack the next group of the bit-packed run into d->group. */
static void
load_group(RleDecoder *d)
{
	const int	w = d->bit_width;
	size_t		avail = (size_t) (d->end - d->pos);
	int			n = d->packed_remaining < 8 ? (int) d->packed_remaining : 8;

	unpack_groups(d->pos, d->end, d->group, 1, w);
	d->pos += avail < (size_t) w ? avail : (size_t) w;
	d->group_pos = 0;
	d->group_len = n;
	d->packed_remaining -= n;
	if (d->packed_remaining == 0)
		d->pos = d->packed_end;
}

/*
 * The core: produce count values into out (or skip them when out is NULL).
 */
static LakeStatus
rle_decode_core(RleDecoder *d, uint32_t *out, size_t count, LakeError *err)
{
	const int	w = d->bit_width;

	if (w == 0)
	{
		if (out != NULL)
			memset(out, 0, count * sizeof(uint32_t));
		return LAKE_OK;
	}
	while (count > 0)
	{
		size_t		n;

		if (d->group_pos < d->group_len)
		{
			n = (size_t) (d->group_len - d->group_pos);
			if (n > count)
				n = count;
			if (out != NULL)
			{
				memcpy(out, d->group + d->group_pos, n * sizeof(uint32_t));
				out += n;
			}
			d->group_pos += (int) n;
			count -= n;
			continue;
		}
		if (d->rle_remaining > 0)
		{
			n = d->rle_remaining < count ? (size_t) d->rle_remaining : count;
			if (out != NULL)
			{
				uint32_t	v = d->rle_value;
				size_t		i;

				for (i = 0; i < n; i++)
					out[i] = v;
				out += n;
			}
			d->rle_remaining -= n;
			count -= n;
			continue;
		}
		if (d->packed_remaining > 0)
		{
			size_t		groups = count / 8;

			if (groups > d->packed_remaining / 8)
				groups = (size_t) (d->packed_remaining / 8);
			if (groups > 0)
			{
				/* whole groups straight to the output */
				if (out != NULL)
				{
					unpack_groups(d->pos, d->end, out, groups, w);
					out += groups * 8;
				}
				d->pos += groups * (size_t) w;
				d->packed_remaining -= groups * 8;
				if (d->packed_remaining == 0)
					d->pos = d->packed_end;
				count -= groups * 8;
			}
			else
				load_group(d);
			continue;
		}
		{
			LakeStatus	st = next_run(d, err);

			if (st != LAKE_OK)
				return st;
		}
	}
	return LAKE_OK;
}

LakeStatus
rle_decode_uint32(RleDecoder *d, uint32_t *out, size_t count, LakeError *err)
{
	return rle_decode_core(d, out, count, err);
}

LakeStatus
rle_decode_int16(RleDecoder *d, int16_t *out, size_t count, LakeError *err)
{
	uint32_t	tmp[512];

	while (count > 0)
	{
		size_t		n = count < 512 ? count : 512;
		size_t		i;
		LakeStatus	st = rle_decode_core(d, tmp, n, err);

		if (st != LAKE_OK)
			return st;
		if (d->bit_width > 15)
		{
			for (i = 0; i < n; i++)
				if (tmp[i] > INT16_MAX)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "rle/bit-packed data: level %u does not fit in 16 bits", tmp[i]);
		}
		for (i = 0; i < n; i++)
			out[i] = (int16_t) tmp[i];
		out += n;
		count -= n;
	}
	return LAKE_OK;
}

LakeStatus
rle_skip(RleDecoder *d, size_t count, LakeError *err)
{
	return rle_decode_core(d, NULL, count, err);
}

int
rle_bit_width(uint32_t max_value)
{
	int			w = 0;

	while (max_value != 0)
	{
		w++;
		max_value >>= 1;
	}
	return w;
}

/* ------------------------------------------------------------ encoder */

void
rle_encoder_init(RleEncoder *e, LakeBuffer *out, int bit_width)
{
	memset(e, 0, sizeof(*e));
	e->out = out;
	e->bit_width = bit_width;
	e->packed_header_pos = SIZE_MAX;
}

static LakeStatus
put_varint(LakeBuffer *out, uint32_t v, LakeError *err)
{
	uint8_t		tmp[5];
	int			n = 0;

	while (v >= 0x80)
	{
		tmp[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	tmp[n++] = (uint8_t) v;
	return lake_buffer_append(out, tmp, n, err);
}

static void
end_packed_run(RleEncoder *e)
{
	if (e->packed_header_pos == SIZE_MAX)
		return;
	e->out->data[e->packed_header_pos] = (uint8_t) ((e->packed_groups << 1) | 1);
	e->packed_header_pos = SIZE_MAX;
	e->packed_groups = 0;
}

/* pack the 8 buffered values onto the open bit-packed run */
static LakeStatus
append_packed_group(RleEncoder *e, LakeError *err)
{
	uint8_t		bytes[32];
	uint64_t	acc = 0;
	int			bits = 0;
	int			n = 0;
	int			i;
	LakeStatus	st;

	if (e->packed_groups >= 63)
		end_packed_run(e);		/* a one-byte header holds at most 63 groups */
	if (e->packed_header_pos == SIZE_MAX)
	{
		uint8_t		zero = 0;

		st = lake_buffer_append(e->out, &zero, 1, err);
		if (st != LAKE_OK)
			return st;
		e->packed_header_pos = e->out->len - 1;
	}
	for (i = 0; i < 8; i++)
	{
		acc |= (uint64_t) e->buffered[i] << bits;
		bits += e->bit_width;
		while (bits >= 8)
		{
			bytes[n++] = (uint8_t) acc;
			acc >>= 8;
			bits -= 8;
		}
	}
	/* 8 values of w bits are exactly w bytes: nothing is left over */
	st = lake_buffer_append(e->out, bytes, n, err);
	if (st != LAKE_OK)
		return st;
	e->num_buffered = 0;
	e->repeat_count = 0;
	e->packed_groups++;
	return LAKE_OK;
}

static LakeStatus
write_rle_run(RleEncoder *e, LakeError *err)
{
	uint8_t		bytes[4];
	int			nbytes = (e->bit_width + 7) / 8;
	int			i;
	LakeStatus	st;

	end_packed_run(e);
	st = put_varint(e->out, e->repeat_count << 1, err);
	if (st != LAKE_OK)
		return st;
	for (i = 0; i < nbytes; i++)
		bytes[i] = (uint8_t) (e->repeat_value >> (8 * i));
	st = lake_buffer_append(e->out, bytes, nbytes, err);
	if (st != LAKE_OK)
		return st;
	e->repeat_count = 0;
	e->num_buffered = 0;
	return LAKE_OK;
}

LakeStatus
rle_encoder_put(RleEncoder *e, uint32_t value, LakeError *err)
{
	LakeStatus	st;

	if (e->bit_width < 32 && (value >> e->bit_width) != 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "value %u does not fit in %d bits",
							  value, e->bit_width);
	if (value == e->repeat_value && e->repeat_count > 0)
	{
		e->repeat_count++;
		if (e->repeat_count >= 8)
		{
			/* certainly an RLE run: only count (the buffer holds only repeats) */
			if (e->repeat_count == (UINT32_MAX >> 1))
				return write_rle_run(e, err);
			return LAKE_OK;
		}
	}
	else
	{
		if (e->repeat_count >= 8)
		{
			st = write_rle_run(e, err);
			if (st != LAKE_OK)
				return st;
		}
		e->repeat_count = 1;
		e->repeat_value = value;
	}
	e->buffered[e->num_buffered++] = value;
	if (e->num_buffered == 8)
		return append_packed_group(e, err);
	return LAKE_OK;
}

LakeStatus
rle_encoder_flush(RleEncoder *e, LakeError *err)
{
	LakeStatus	st = LAKE_OK;

	if (e->repeat_count >= 8)
		st = write_rle_run(e, err);
	else if (e->num_buffered > 0)
	{
		int			i;

		for (i = e->num_buffered; i < 8; i++)
			e->buffered[i] = 0;
		st = append_packed_group(e, err);
		end_packed_run(e);
	}
	else
		end_packed_run(e);
	e->repeat_count = 0;
	e->num_buffered = 0;
	return st;
}

/* ------------------------------------------------------- bulk encoder */

static inline void
store_le32(uint8_t *p, uint32_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	v = __builtin_bswap32(v);
#endif
	memcpy(p, &v, 4);
}

/*
 * Pack ngroups groups of 8 values of w bits (each group is w bytes).
 * elem is the size of an input value: 4 (uint32_t) or 2 (int16_t, >= 0).
 */
static inline __attribute__((always_inline)) void
pack_groups_w(uint8_t *dst, const void *src, size_t ngroups, const int w, const int elem)
{
	size_t		g;

	for (g = 0; g < ngroups; g++)
	{
		uint8_t    *d = dst + g * (size_t) w;
		uint64_t	acc = 0;
		int			bits = 0;
		int			i;

		for (i = 0; i < 8; i++)
		{
			uint64_t	v = elem == 4 ? ((const uint32_t *) src)[g * 8 + i]
				: (uint16_t) ((const int16_t *) src)[g * 8 + i];

			acc |= v << bits;
			bits += w;
			if (bits >= 32)
			{
				store_le32(d, (uint32_t) acc);
				d += 4;
				acc >>= 32;
				bits -= 32;
			}
		}
		/* 8 * w bits in all: what is left is a whole number of bytes */
		for (i = 0; i < bits / 8; i++)
		{
			d[i] = (uint8_t) acc;
			acc >>= 8;
		}
	}
}

#define RLE_PACK_CASE(W) \
	case W: \
		pack_groups_w(dst, src, ngroups, W, elem); \
		break

static void
pack_groups(uint8_t *dst, const void *src, size_t ngroups, int w, int elem)
{
	if (elem == 2)
	{
		/* levels: up to 16 bits */
		switch (w)
		{
				RLE_PACK_CASE(1);
				RLE_PACK_CASE(2);
				RLE_PACK_CASE(3);
				RLE_PACK_CASE(4);
			default:
				pack_groups_w(dst, src, ngroups, w, 2);
				break;
		}
		return;
	}
	switch (w)
	{
			RLE_PACK_CASE(1);
			RLE_PACK_CASE(2);
			RLE_PACK_CASE(3);
			RLE_PACK_CASE(4);
			RLE_PACK_CASE(5);
			RLE_PACK_CASE(6);
			RLE_PACK_CASE(7);
			RLE_PACK_CASE(8);
			RLE_PACK_CASE(9);
			RLE_PACK_CASE(10);
			RLE_PACK_CASE(11);
			RLE_PACK_CASE(12);
			RLE_PACK_CASE(13);
			RLE_PACK_CASE(14);
			RLE_PACK_CASE(15);
			RLE_PACK_CASE(16);
		default:
			pack_groups_w(dst, src, ngroups, w, 4);
			break;
	}
}

static inline uint32_t
bulk_value(const void *values, size_t i, int elem)
{
	return elem == 4 ? ((const uint32_t *) values)[i] : (uint32_t) (uint16_t) ((const int16_t *) values)[i];
}

/* put a varint into dst; returns its length */
static inline int
varint_to(uint8_t *dst, uint32_t v)
{
	int			n = 0;

	while (v >= 0x80)
	{
		dst[n++] = (uint8_t) (v | 0x80);
		v >>= 7;
	}
	dst[n++] = (uint8_t) v;
	return n;
}

/* one RLE run of count (1 .. 2^31 - 1) copies of value */
static LakeStatus
bulk_rle_run(LakeBuffer *out, uint32_t value, uint32_t count, int w, LakeError *err)
{
	int			nbytes = (w + 7) / 8;
	uint8_t    *d;
	int			i;
	LakeStatus	st = lake_buffer_reserve(out, 5 + 4, err);

	if (st != LAKE_OK)
		return st;
	d = out->data + out->len;
	d += varint_to(d, count << 1);
	for (i = 0; i < nbytes; i++)
		*d++ = (uint8_t) (value >> (8 * i));
	out->len = (size_t) (d - out->data);
	return LAKE_OK;
}

/* does a run of at least 8 equal values start at i? */
static inline bool
bulk_run8(const void *values, size_t i, size_t count, int elem)
{
	uint32_t	v;
	int			k;

	if (count - i < 8)
		return false;
	v = bulk_value(values, i, elem);
	for (k = 1; k < 8; k++)
		if (bulk_value(values, i + k, elem) != v)
			return false;
	return true;
}

#define RLE_MAX_RUN ((uint32_t) 1 << 30)
#define RLE_MAX_PACKED_GROUPS 63	/* a one-byte run header, as parquet-mr writes */

static LakeStatus
rle_encode_bulk(LakeBuffer *out, const void *values, size_t count, int w, int elem, LakeError *err)
{
	size_t		i = 0;
	LakeStatus	st;

	if (w < 0 || w > 32 || (elem == 2 && w > 16))
		return lake_error_set(err, LAKE_ERROR_INVALID, "rle bit width %d is not supported here", w);
	if (w < 32)
	{
		uint32_t	all = 0;
		size_t		k;

		for (k = 0; k < count; k++)
			all |= bulk_value(values, k, elem);
		if ((all >> w) != 0)
			return lake_error_set(err, LAKE_ERROR_INVALID, "a value does not fit in %d bits", w);
	}
	if (w == 0)
	{
		/* every value is 0: one run (or several for huge counts) */
		while (i < count)
		{
			uint32_t	n = count - i > RLE_MAX_RUN ? RLE_MAX_RUN : (uint32_t) (count - i);

			st = bulk_rle_run(out, 0, n, w, err);
			if (st != LAKE_OK)
				return st;
			i += n;
		}
		return LAKE_OK;
	}
	while (i < count)
	{
		uint32_t	v = bulk_value(values, i, elem);
		size_t		j = i + 1;
		size_t		start;
		size_t		groups;
		size_t		nvals;
		size_t		full;
		uint8_t    *d;

		while (j < count && j - i < RLE_MAX_RUN && bulk_value(values, j, elem) == v)
			j++;
		if (j - i >= 8)
		{
			st = bulk_rle_run(out, v, (uint32_t) (j - i), w, err);
			if (st != LAKE_OK)
				return st;
			i = j;
			continue;
		}

		/* bit-packed groups up to the next group that starts a run of 8 */
		start = i;
		groups = 0;
		do
		{
			i += 8;
			groups++;
		} while (i < count && groups < RLE_MAX_PACKED_GROUPS && !bulk_run8(values, i, count, elem));
		if (i > count)
			i = count;
		nvals = i - start;
		st = lake_buffer_reserve(out, 1 + groups * (size_t) w, err);
		if (st != LAKE_OK)
			return st;
		d = out->data + out->len;
		*d++ = (uint8_t) ((groups << 1) | 1);
		full = nvals / 8;
		pack_groups(d, (const uint8_t *) values + start * elem, full, w, elem);
		if (nvals % 8 != 0)
		{
			/* the last group, padded with zeros */
			uint32_t	tmp[8] = {0};
			size_t		k;

			for (k = 0; k < nvals % 8; k++)
				tmp[k] = bulk_value(values, start + full * 8 + k, elem);
			pack_groups(d + full * w, tmp, 1, w, 4);
		}
		out->len += 1 + groups * (size_t) w;
	}
	return LAKE_OK;
}

LakeStatus
rle_encode_uint32(LakeBuffer *out, const uint32_t *values, size_t count, int bit_width, LakeError *err)
{
	return rle_encode_bulk(out, values, count, bit_width, 4, err);
}

LakeStatus
rle_encode_int16(LakeBuffer *out, const int16_t *values, size_t count, int bit_width, LakeError *err)
{
	size_t		k;

	for (k = 0; k < count; k++)
		if (values[k] < 0)
			return lake_error_set(err, LAKE_ERROR_INVALID, "negative level %d", values[k]);
	return rle_encode_bulk(out, values, count, bit_width, 2, err);
}

LakeStatus
rle_encode_repeat(LakeBuffer *out, uint32_t value, size_t count, int bit_width, LakeError *err)
{
	if (bit_width < 0 || bit_width > 32)
		return lake_error_set(err, LAKE_ERROR_INVALID, "rle bit width %d is not in 0..32", bit_width);
	if (bit_width < 32 && (value >> bit_width) != 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "value %u does not fit in %d bits", value, bit_width);
	while (count > 0)
	{
		uint32_t	n = count > RLE_MAX_RUN ? RLE_MAX_RUN : (uint32_t) count;
		LakeStatus	st = bulk_rle_run(out, value, n, bit_width, err);

		if (st != LAKE_OK)
			return st;
		count -= n;
	}
	return LAKE_OK;
}
