/*
 * parquet_column_writer.c
 *	  One leaf column of the Parquet writer: buffers the current page's
 *	  levels and values, dictionary-encodes values through an open-addressing
 *	  hash table (falling back to PLAIN when the dictionary grows past its
 *	  budget or does not pay off on the first page), encodes data pages v1
 *	  (RLE levels with a 4-byte length, then values), compresses them into
 *	  the chunk buffer, and keeps the chunk's statistics.
 *
 * Nothing here allocates per value: arrays grow by doubling and are kept
 * across pages and row groups.
 */
#include "parquet_column_writer.h"

#include "lake/compression.h"

#include <math.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "lake/ writes PLAIN values in host order");

#define INITIAL_SLOTS 1024
#define MAX_DICT_ENTRIES (1u << 24)

/* ------------------------------------------------------------- helpers */

static LakeStatus
grow_array(const LakeAllocator *a, void **arr, size_t *cap, size_t elem, size_t need, LakeError *err)
{
	size_t		ncap = *cap < 1024 ? 1024 : *cap;
	void	   *n;

	while (ncap < need)
		ncap *= 2;
	n = lake_alloc_array(a, ncap, elem, err);
	if (n == NULL)
		return LAKE_ERROR_NOMEM;
	if (*arr != NULL && *cap > 0)
		memcpy(n, *arr, *cap * elem);
	lake_free(a, *arr);
	*arr = n;
	*cap = ncap;
	return LAKE_OK;
}

static inline uint32_t
hash_u64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (uint32_t) x;
}

static inline uint32_t
hash_bytes(const uint8_t *p, uint32_t len)
{
	uint64_t	h = 0x9E3779B97F4A7C15ULL ^ ((uint64_t) len * 0xc2b2ae3d27d4eb4fULL);
	uint64_t	w;

	while (len >= 8)
	{
		memcpy(&w, p, 8);
		w *= 0x87c37b91114253d5ULL;
		w = (w << 31) | (w >> 33);
		h ^= w * 0x4cf5ad432745937fULL;
		h = ((h << 27) | (h >> 37)) * 5 + 0x52dce729;
		p += 8;
		len -= 8;
	}
	if (len > 0)
	{
		w = 0;
		memcpy(&w, p, len);
		w *= 0x87c37b91114253d5ULL;
		w = (w << 31) | (w >> 33);
		h ^= w * 0x4cf5ad432745937fULL;
	}
	return hash_u64(h);
}

static inline uint32_t
value_hash(const ColumnWriter *cw, const uint8_t *p, uint32_t len)
{
	uint32_t	u32;
	uint64_t	u64;

	if (cw->width == 4)
	{
		memcpy(&u32, p, 4);
		return hash_u64(u32);
	}
	if (cw->width == 8)
	{
		memcpy(&u64, p, 8);
		return hash_u64(u64);
	}
	return hash_bytes(p, len);
}

static int
dict_bit_width(const ColumnWriter *cw)
{
	int			bw = cw->dict_count <= 1 ? 1 : rle_bit_width(cw->dict_count - 1);

	return bw < 1 ? 1 : bw;
}

/* --------------------------------------------------------- statistics */

static LakeStatus
set_bytes(LakeBuffer *buf, ParquetValue *v, ParquetBytes src, LakeError *err)
{
	lake_buffer_reset(buf);
	if (lake_buffer_append(buf, src.ptr, src.len, err) != LAKE_OK)
		return err->status;
	v->bytes.ptr = buf->data;
	v->bytes.len = src.len;
	return LAKE_OK;
}

static inline int
compare_bytes(ParquetBytes a, ParquetBytes b)
{
	uint32_t	n = a.len < b.len ? a.len : b.len;
	int			c = n > 0 ? memcmp(a.ptr, b.ptr, n) : 0;

	if (c != 0)
		return c;
	return (a.len > b.len) - (a.len < b.len);
}

static bool
float16_is_nan(const uint8_t *p)
{
	uint16_t	h = (uint16_t) (p[0] | (p[1] << 8));

	return (h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0;
}

#define UPDATE_SCALAR(field, T) \
	do { \
		T x_ = (T) v->field; \
		if (!cw->has_min_max) \
		{ \
			cw->min.field = v->field; \
			cw->max.field = v->field; \
			cw->has_min_max = true; \
		} \
		else if (x_ < (T) cw->min.field) \
			cw->min.field = v->field; \
		else if (x_ > (T) cw->max.field) \
			cw->max.field = v->field; \
	} while (0)

static LakeStatus
stats_update(ColumnWriter *cw, const ParquetValue *v, LakeError *err)
{
	int			cmin,
				cmax;

	switch (cw->sort)
	{
		case PQ_SORT_BOOLEAN:
			UPDATE_SCALAR(boolean, int);
			return LAKE_OK;
		case PQ_SORT_INT32:
			UPDATE_SCALAR(i32, int32_t);
			return LAKE_OK;
		case PQ_SORT_UINT32:
			UPDATE_SCALAR(i32, uint32_t);
			return LAKE_OK;
		case PQ_SORT_INT64:
			UPDATE_SCALAR(i64, int64_t);
			return LAKE_OK;
		case PQ_SORT_UINT64:
			UPDATE_SCALAR(i64, uint64_t);
			return LAKE_OK;
		case PQ_SORT_FLOAT:
			if (isnan(v->f32))
				return LAKE_OK;
			UPDATE_SCALAR(f32, float);
			return LAKE_OK;
		case PQ_SORT_DOUBLE:
			if (isnan(v->f64))
				return LAKE_OK;
			UPDATE_SCALAR(f64, double);
			return LAKE_OK;
		case PQ_SORT_FLOAT16:
			if (v->bytes.len == 2 && float16_is_nan(v->bytes.ptr))
				return LAKE_OK;
			/* FALLTHROUGH */
		case PQ_SORT_BYTES:
		case PQ_SORT_DECIMAL_BYTES:
			if (!cw->has_min_max)
			{
				if (set_bytes(&cw->min_buf, &cw->min, v->bytes, err) != LAKE_OK ||
					set_bytes(&cw->max_buf, &cw->max, v->bytes, err) != LAKE_OK)
					return err->status;
				cw->has_min_max = true;
				return LAKE_OK;
			}
			if (cw->sort == PQ_SORT_BYTES)
			{
				cmin = compare_bytes(v->bytes, cw->min.bytes);
				cmax = cmin < 0 ? 0 : compare_bytes(v->bytes, cw->max.bytes);
			}
			else
			{
				cmin = parquet_value_compare(cw->element, v, &cw->min);
				cmax = cmin < 0 ? 0 : parquet_value_compare(cw->element, v, &cw->max);
			}
			if (cmin < 0)
				return set_bytes(&cw->min_buf, &cw->min, v->bytes, err);
			if (cmax > 0)
				return set_bytes(&cw->max_buf, &cw->max, v->bytes, err);
			return LAKE_OK;
		case PQ_SORT_INT96:
		case PQ_SORT_NONE:
			return LAKE_OK;
	}
	return LAKE_OK;
}

/* --------------------------------------------------------- dictionary */

static inline bool
dict_entry_equals(const ColumnWriter *cw, uint32_t e, const uint8_t *p, uint32_t len)
{
	uint32_t	elen;
	const uint8_t *ep;

	if (cw->width == 8)
	{
		uint64_t	x,
					y;

		memcpy(&x, cw->dict_data.data + (size_t) e * 8, 8);
		memcpy(&y, p, 8);
		return x == y;
	}
	if (cw->width == 4)
	{
		uint32_t	x,
					y;

		memcpy(&x, cw->dict_data.data + (size_t) e * 4, 4);
		memcpy(&y, p, 4);
		return x == y;
	}
	if (cw->width > 0)
		return memcmp(cw->dict_data.data + (size_t) e * cw->width, p, cw->width) == 0;
	ep = cw->dict_data.data + cw->dict_offsets[e];
	memcpy(&elen, ep, 4);
	return elen == len && memcmp(ep + 4, p, len) == 0;
}

static LakeStatus
dict_rehash(ColumnWriter *cw, uint32_t nslots, LakeError *err)
{
	uint64_t   *slots = lake_alloc_array(cw->shared->alloc, nslots, sizeof(uint64_t), err);
	uint32_t	mask = nslots - 1;
	uint64_t	i;

	if (slots == NULL)
		return LAKE_ERROR_NOMEM;
	memset(slots, 0, (size_t) nslots * sizeof(uint64_t));
	for (i = 0; cw->slots != NULL && i <= cw->slot_mask; i++)
	{
		uint64_t	slot = cw->slots[i];
		uint32_t	s;

		if (slot == 0)
			continue;
		s = (uint32_t) (slot >> 32) & mask;
		while (slots[s] != 0)
			s = (s + 1) & mask;
		slots[s] = slot;
	}
	lake_free(cw->shared->alloc, cw->slots);
	cw->slots = slots;
	cw->slot_mask = mask;
	return LAKE_OK;
}

/* Find or add a value; *is_new tells whether it was added. */
static inline LakeStatus
dict_put(ColumnWriter *cw, const uint8_t *p, uint32_t len, uint32_t *index, bool *is_new,
		 LakeError *err)
{
	uint32_t	h = value_hash(cw, p, len);
	uint32_t	s = h & cw->slot_mask;
	uint32_t	e;
	uint64_t	slot;
	size_t		off;
	LakeStatus	st;

	for (;;)
	{
		slot = cw->slots[s];
		if (slot == 0)
			break;
		e = (uint32_t) slot - 1;
		if ((uint32_t) (slot >> 32) == h && dict_entry_equals(cw, e, p, len))
		{
			*index = e;
			*is_new = false;
			return LAKE_OK;
		}
		s = (s + 1) & cw->slot_mask;
	}

	/* a new entry */
	if (cw->width == 0 && cw->dict_count == cw->dict_entries_cap)
	{
		size_t		cap = cw->dict_entries_cap;

		st = grow_array(cw->shared->alloc, (void **) &cw->dict_offsets, &cap,
						sizeof(uint32_t), cap + 1, err);
		if (st != LAKE_OK)
			return st;
		cw->dict_entries_cap = (uint32_t) cap;
	}
	off = cw->dict_data.len;
	if (cw->width > 0)
		st = lake_buffer_append(&cw->dict_data, p, cw->width, err);
	else
	{
		st = lake_buffer_reserve(&cw->dict_data, (size_t) len + 4, err);
		if (st == LAKE_OK)
		{
			memcpy(cw->dict_data.data + off, &len, 4);
			if (len > 0)
				memcpy(cw->dict_data.data + off + 4, p, len);
			cw->dict_data.len += (size_t) len + 4;
		}
	}
	if (st != LAKE_OK)
		return st;
	e = cw->dict_count++;
	if (cw->width == 0)
		cw->dict_offsets[e] = (uint32_t) off;
	cw->slots[s] = ((uint64_t) h << 32) | (uint64_t) (e + 1);
	cw->shared->buffered += cw->dict_data.len - off;
	if ((uint64_t) cw->dict_count * 2 > (uint64_t) cw->slot_mask + 1)
	{
		st = dict_rehash(cw, (cw->slot_mask + 1) * 2, err);
		if (st != LAKE_OK)
			return st;
	}
	if (cw->dict_data.len >= cw->shared->dictionary_bytes || cw->dict_count >= MAX_DICT_ENTRIES)
		cw->dict_full = true;
	*index = e;
	*is_new = true;
	return LAKE_OK;
}

/* Rewrite the current page's dictionary indices as PLAIN values. */
static LakeStatus
indices_to_plain(ColumnWriter *cw, LakeError *err)
{
	size_t		i;
	LakeStatus	st;

	lake_buffer_reset(&cw->values);
	if (cw->width > 0)
	{
		st = lake_buffer_reserve(&cw->values, cw->num_indices * cw->width, err);
		if (st != LAKE_OK)
			return st;
		for (i = 0; i < cw->num_indices; i++)
			memcpy(cw->values.data + i * cw->width,
				   cw->dict_data.data + (size_t) cw->indices[i] * cw->width, cw->width);
		cw->values.len = cw->num_indices * cw->width;
		return LAKE_OK;
	}
	st = lake_buffer_reserve(&cw->values, cw->page_plain_bytes, err);
	if (st != LAKE_OK)
		return st;
	for (i = 0; i < cw->num_indices; i++)
	{
		const uint8_t *ep = cw->dict_data.data + cw->dict_offsets[cw->indices[i]];
		uint32_t	len;

		memcpy(&len, ep, 4);
		memcpy(cw->values.data + cw->values.len, ep, (size_t) len + 4);
		cw->values.len += (size_t) len + 4;
	}
	return LAKE_OK;
}

/* -------------------------------------------------------------- pages */

/*
 * Compress payload and append its page header and the compressed bytes to
 * dest.  *uncompressed gets header + payload length.
 */
static LakeStatus
emit_page(ColumnWriter *cw, LakeBuffer *dest, ParquetPageHeader *h, const uint8_t *payload,
		  size_t len, int64_t *uncompressed, LakeError *err)
{
	ColumnWriterShared *sh = cw->shared;
	const uint8_t *body = payload;
	size_t		body_len = len;
	size_t		before = dest->len;
	size_t		header_len;
	LakeStatus	st;

	if (len > INT32_MAX)
		return lake_error_set(err, LAKE_ERROR_LIMIT, "page of %zu bytes exceeds the Parquet limit of 2 GiB", len);
	if (sh->codec != PQ_CODEC_UNCOMPRESSED)
	{
		size_t		bound = lake_compress_bound(sh->codec, len);

		lake_buffer_reset(&sh->compressed);
		st = lake_buffer_reserve(&sh->compressed, bound, err);
		if (st != LAKE_OK)
			return st;
		st = lake_compress(sh->codec, sh->compression_level, payload, len,
						   sh->compressed.data, sh->compressed.cap, &body_len, err);
		if (st != LAKE_OK)
			return st;
		if (body_len > INT32_MAX)
			return lake_error_set(err, LAKE_ERROR_LIMIT, "compressed page of %zu bytes exceeds 2 GiB", body_len);
		body = sh->compressed.data;
	}
	h->uncompressed_page_size = (int32_t) len;
	h->compressed_page_size = (int32_t) body_len;
	st = parquet_page_header_encode(h, dest, err);
	if (st != LAKE_OK)
		return st;
	header_len = dest->len - before;
	st = lake_buffer_append(dest, body, body_len, err);
	if (st != LAKE_OK)
		return st;
	*uncompressed = (int64_t) (header_len + len);
	return LAKE_OK;
}

static LakeStatus
encode_levels(LakeBuffer *page, const int16_t *levels, size_t n, int16_t max_level, LakeError *err)
{
	size_t		pos = page->len;
	uint32_t	len;
	RleEncoder	enc;
	size_t		i;
	LakeStatus	st;

	st = lake_buffer_reserve(page, 4, err);
	if (st != LAKE_OK)
		return st;
	page->len += 4;
	rle_encoder_init(&enc, page, rle_bit_width((uint32_t) max_level));
	for (i = 0; i < n; i++)
	{
		st = rle_encoder_put(&enc, (uint32_t) levels[i], err);
		if (st != LAKE_OK)
			return st;
	}
	st = rle_encoder_flush(&enc, err);
	if (st != LAKE_OK)
		return st;
	len = (uint32_t) (page->len - pos - 4);
	memcpy(page->data + pos, &len, 4);
	return LAKE_OK;
}

/* Encode, compress and append the current page to the chunk; then start a new page. */
static LakeStatus
flush_page(ColumnWriter *cw, LakeError *err)
{
	ColumnWriterShared *sh = cw->shared;
	LakeBuffer *page = &sh->page;
	bool		use_dict = cw->dict_active && cw->page_values > 0;
	const uint8_t *payload;
	size_t		payload_len;
	size_t		chunk_before = cw->chunk.len;
	ParquetPageHeader h;
	int64_t		uncompressed;
	size_t		i;
	LakeStatus	st;

	if (cw->num_levels == 0)
		goto done;

	/* the first page decides whether the dictionary pays off */
	if (use_dict && !cw->dict_pages)
	{
		uint64_t	dict_cost = cw->dict_data.len +
			((uint64_t) cw->page_values * dict_bit_width(cw) + 7) / 8;

		if (dict_cost >= cw->page_plain_bytes)
		{
			st = indices_to_plain(cw, err);
			if (st != LAKE_OK)
				return st;
			cw->dict_active = false;
			cw->dict_full = false;
			cw->dict_count = 0;
			sh->buffered -= cw->dict_data.len < sh->buffered ? cw->dict_data.len : sh->buffered;
			lake_buffer_reset(&cw->dict_data);
			use_dict = false;
		}
	}

	lake_buffer_reset(page);
	if (cw->max_rep > 0)
	{
		st = encode_levels(page, cw->rep, cw->num_levels, cw->max_rep, err);
		if (st != LAKE_OK)
			return st;
	}
	if (cw->max_def > 0)
	{
		st = encode_levels(page, cw->def, cw->num_levels, cw->max_def, err);
		if (st != LAKE_OK)
			return st;
	}
	if (use_dict)
	{
		int			bw = dict_bit_width(cw);
		uint8_t		b = (uint8_t) bw;
		RleEncoder	enc;

		st = lake_buffer_append(page, &b, 1, err);
		if (st != LAKE_OK)
			return st;
		rle_encoder_init(&enc, page, bw);
		for (i = 0; i < cw->num_indices; i++)
		{
			st = rle_encoder_put(&enc, cw->indices[i], err);
			if (st != LAKE_OK)
				return st;
		}
		st = rle_encoder_flush(&enc, err);
		if (st != LAKE_OK)
			return st;
	}
	else if (cw->type == PQ_BOOLEAN)
	{
		size_t		nbytes = (cw->values.len + 7) / 8;
		uint8_t    *dst;

		st = lake_buffer_reserve(page, nbytes, err);
		if (st != LAKE_OK)
			return st;
		dst = page->data + page->len;
		memset(dst, 0, nbytes);
		for (i = 0; i < cw->values.len; i++)
			if (cw->values.data[i])
				dst[i >> 3] |= (uint8_t) (1u << (i & 7));
		page->len += nbytes;
	}
	else if (page->len > 0)
	{
		st = lake_buffer_append(page, cw->values.data, cw->values.len, err);
		if (st != LAKE_OK)
			return st;
	}
	if (!use_dict && cw->type != PQ_BOOLEAN && page->len == 0)
	{
		/* no levels: the PLAIN values are the page */
		payload = cw->values.data;
		payload_len = cw->values.len;
	}
	else
	{
		payload = page->data;
		payload_len = page->len;
	}

	memset(&h, 0, sizeof(h));
	h.type = PQ_PAGE_DATA;
	h.has_data_page_header = true;
	h.data_page_header.num_values = (int32_t) cw->num_levels;
	h.data_page_header.encoding = use_dict ? PQ_ENC_RLE_DICTIONARY : PQ_ENC_PLAIN;
	h.data_page_header.definition_level_encoding = PQ_ENC_RLE;
	h.data_page_header.repetition_level_encoding = PQ_ENC_RLE;
	st = emit_page(cw, &cw->chunk, &h, payload, payload_len, &uncompressed, err);
	if (st != LAKE_OK)
		return st;

	cw->chunk_uncompressed += uncompressed;
	cw->chunk_levels += (int64_t) cw->num_levels;
	cw->chunk_pages++;
	if (use_dict)
		cw->dict_pages = true;
	else
		cw->plain_pages = true;
	sh->buffered += cw->chunk.len - chunk_before;
	sh->buffered -= cw->page_est < sh->buffered ? cw->page_est : sh->buffered;

	cw->num_levels = 0;
	cw->num_indices = 0;
	cw->page_values = 0;
	cw->page_plain_bytes = 0;
	cw->page_est = 0;
	lake_buffer_reset(&cw->values);

done:
	if (cw->dict_full)
	{
		cw->dict_active = false;
		cw->dict_full = false;
	}
	return LAKE_OK;
}

/* ------------------------------------------------------------- values */

static LakeStatus
put_value(ColumnWriter *cw, const ParquetValue *v, LakeError *err)
{
	const uint8_t *p;
	uint32_t	len;
	uint8_t		b;
	uint64_t	plain;
	LakeStatus	st;

	switch (cw->type)
	{
		case PQ_BOOLEAN:
			b = v->boolean ? 1 : 0;
			p = &b;
			len = 1;
			break;
		case PQ_INT32:
		case PQ_FLOAT:
			p = (const uint8_t *) &v->i32;
			len = 4;
			break;
		case PQ_INT64:
		case PQ_DOUBLE:
			p = (const uint8_t *) &v->i64;
			len = 8;
			break;
		default:
			p = v->bytes.ptr;
			len = v->bytes.len;
			break;
	}
	plain = cw->width > 0 ? (uint64_t) cw->width : (uint64_t) len + 4;

	if (cw->dict_active)
	{
		uint32_t	index;
		bool		is_new;

		if (cw->slots == NULL)
		{
			st = dict_rehash(cw, INITIAL_SLOTS, err);
			if (st != LAKE_OK)
				return st;
		}
		st = dict_put(cw, p, len, &index, &is_new, err);
		if (st != LAKE_OK)
			return st;
		if (is_new)
		{
			st = stats_update(cw, v, err);
			if (st != LAKE_OK)
				return st;
		}
		if (cw->num_indices == cw->indices_cap)
		{
			st = grow_array(cw->shared->alloc, (void **) &cw->indices, &cw->indices_cap,
							sizeof(uint32_t), cw->num_indices + 1, err);
			if (st != LAKE_OK)
				return st;
		}
		cw->indices[cw->num_indices++] = index;
		cw->page_est += 4;
		cw->shared->buffered += 4;
	}
	else
	{
		if (cw->width > 0)
		{
			if (cw->values.cap - cw->values.len < (size_t) cw->width)
			{
				st = lake_buffer_reserve(&cw->values, cw->width, err);
				if (st != LAKE_OK)
					return st;
			}
			memcpy(cw->values.data + cw->values.len, p, cw->width);
			cw->values.len += cw->width;
		}
		else
		{
			st = lake_buffer_reserve(&cw->values, (size_t) len + 4, err);
			if (st != LAKE_OK)
				return st;
			memcpy(cw->values.data + cw->values.len, &len, 4);
			if (len > 0)
				memcpy(cw->values.data + cw->values.len + 4, p, len);
			cw->values.len += (size_t) len + 4;
		}
		st = stats_update(cw, v, err);
		if (st != LAKE_OK)
			return st;
		cw->page_est += plain;
		cw->shared->buffered += plain;
	}
	cw->page_plain_bytes += plain;
	cw->page_values++;
	return LAKE_OK;
}

LakeStatus
parquet_column_writer_append(ColumnWriter *cw, int16_t def, int16_t rep, const ParquetValue *value,
							 LakeError *err)
{
	LakeStatus	st;

	if (rep == 0)
	{
		/* pages end at record boundaries */
		if (cw->num_levels > 0 &&
			(cw->page_est >= cw->shared->page_bytes || cw->num_levels >= cw->shared->page_bytes ||
			 cw->dict_full))
		{
			st = flush_page(cw, err);
			if (st != LAKE_OK)
				return st;
		}
		cw->rows++;
	}
	if (cw->max_def > 0 || cw->max_rep > 0)
	{
		if (cw->num_levels == cw->levels_cap)
		{
			size_t		def_cap = cw->levels_cap;
			size_t		rep_cap = cw->levels_cap;

			if (cw->max_def > 0)
			{
				st = grow_array(cw->shared->alloc, (void **) &cw->def, &def_cap, sizeof(int16_t),
								cw->num_levels + 1, err);
				if (st != LAKE_OK)
					return st;
			}
			if (cw->max_rep > 0)
			{
				st = grow_array(cw->shared->alloc, (void **) &cw->rep, &rep_cap, sizeof(int16_t),
								cw->num_levels + 1, err);
				if (st != LAKE_OK)
					return st;
			}
			/* both grow the same way from the same capacity */
			cw->levels_cap = cw->max_def > 0 ? def_cap : rep_cap;
		}
		if (cw->def != NULL)
			cw->def[cw->num_levels] = def;
		if (cw->rep != NULL)
			cw->rep[cw->num_levels] = rep;
	}
	cw->num_levels++;
	if (value == NULL)
	{
		cw->chunk_nulls++;
		return LAKE_OK;
	}
	return put_value(cw, value, err);
}

/* -------------------------------------------------------------- chunks */

LakeStatus
parquet_column_writer_init(ColumnWriter *cw, ColumnWriterShared *shared, const ParquetLeaf *leaf,
						   LakeError *err)
{
	memset(cw, 0, sizeof(*cw));
	cw->shared = shared;
	cw->element = leaf->element;
	cw->type = leaf->element->type;
	cw->width = 0;
	if (cw->type == PQ_INT32 || cw->type == PQ_FLOAT)
		cw->width = 4;
	else if (cw->type == PQ_INT64 || cw->type == PQ_DOUBLE)
		cw->width = 8;
	else if (cw->type == PQ_INT96)
		cw->width = 12;
	else if (cw->type == PQ_BOOLEAN)
		cw->width = 1;
	else if (cw->type == PQ_FIXED_LEN_BYTE_ARRAY)
		cw->width = leaf->element->type_length;
	cw->max_def = leaf->max_def;
	cw->max_rep = leaf->max_rep;
	cw->sort = parquet_value_sort_kind(leaf->element);
	lake_buffer_init(&cw->values, shared->alloc);
	lake_buffer_init(&cw->chunk, shared->alloc);
	lake_buffer_init(&cw->dict_data, shared->alloc);
	lake_buffer_init(&cw->min_buf, shared->alloc);
	lake_buffer_init(&cw->max_buf, shared->alloc);
	if (cw->type == PQ_FIXED_LEN_BYTE_ARRAY && cw->width <= 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "column \"%s\": FIXED_LEN_BYTE_ARRAY needs a type_length",
							  leaf->path);
	parquet_column_writer_reset(cw);
	return LAKE_OK;
}

LakeStatus
parquet_column_writer_write_chunk(ColumnWriter *cw, LakeOutput *out, ColumnChunkResult *res,
								  LakeError *err)
{
	ColumnWriterShared *sh = cw->shared;
	LakeStatus	st;

	memset(res, 0, sizeof(*res));
	st = flush_page(cw, err);
	if (st != LAKE_OK)
		return st;
	res->start_offset = (int64_t) out->offset;
	if (cw->dict_pages)
	{
		ParquetPageHeader h;
		int64_t		uncompressed;

		memset(&h, 0, sizeof(h));
		h.type = PQ_PAGE_DICTIONARY;
		h.has_dictionary_page_header = true;
		h.dictionary_page_header.num_values = (int32_t) cw->dict_count;
		h.dictionary_page_header.encoding = PQ_ENC_PLAIN;
		lake_buffer_reset(&sh->header);
		st = emit_page(cw, &sh->header, &h, cw->dict_data.data, cw->dict_data.len, &uncompressed, err);
		if (st != LAKE_OK)
			return st;
		st = lake_output_write(out, sh->header.data, sh->header.len, err);
		if (st != LAKE_OK)
			return st;
		res->has_dictionary_page = true;
		res->dictionary_page_offset = res->start_offset;
		res->total_uncompressed_size += uncompressed;
		res->total_compressed_size += (int64_t) sh->header.len;
		res->encodings[res->num_encodings++] = PQ_ENC_PLAIN;
		res->encodings[res->num_encodings++] = PQ_ENC_RLE_DICTIONARY;
	}
	res->data_page_offset = (int64_t) out->offset;
	st = lake_output_write(out, cw->chunk.data, cw->chunk.len, err);
	if (st != LAKE_OK)
		return st;
	res->total_uncompressed_size += cw->chunk_uncompressed;
	res->total_compressed_size += (int64_t) cw->chunk.len;
	if (cw->plain_pages && !cw->dict_pages)
		res->encodings[res->num_encodings++] = PQ_ENC_PLAIN;
	if (cw->max_def > 0 || cw->max_rep > 0)
		res->encodings[res->num_encodings++] = PQ_ENC_RLE;
	res->num_values = cw->chunk_levels;
	res->null_count = cw->chunk_nulls;

	/* writers put -0.0 in min and +0.0 in max so readers need no care */
	if (cw->has_min_max && cw->sort == PQ_SORT_FLOAT)
	{
		if (cw->min.f32 == 0.0f)
			cw->min.f32 = -0.0f;
		if (cw->max.f32 == 0.0f)
			cw->max.f32 = 0.0f;
	}
	if (cw->has_min_max && cw->sort == PQ_SORT_DOUBLE)
	{
		if (cw->min.f64 == 0.0)
			cw->min.f64 = -0.0;
		if (cw->max.f64 == 0.0)
			cw->max.f64 = 0.0;
	}
	res->has_min_max = cw->has_min_max;
	res->min = &cw->min;
	res->max = &cw->max;
	return LAKE_OK;
}

void
parquet_column_writer_reset(ColumnWriter *cw)
{
	lake_buffer_reset(&cw->chunk);
	lake_buffer_reset(&cw->values);
	lake_buffer_reset(&cw->dict_data);
	cw->num_levels = 0;
	cw->num_indices = 0;
	cw->page_values = 0;
	cw->page_plain_bytes = 0;
	cw->page_est = 0;
	cw->rows = 0;
	cw->chunk_levels = 0;
	cw->chunk_nulls = 0;
	cw->chunk_uncompressed = 0;
	cw->chunk_pages = 0;
	cw->dict_active = cw->shared->dictionary && cw->type != PQ_BOOLEAN;
	cw->dict_full = false;
	cw->dict_pages = false;
	cw->plain_pages = false;
	if (cw->slots != NULL)
		memset(cw->slots, 0, ((size_t) cw->slot_mask + 1) * sizeof(uint64_t));
	cw->dict_count = 0;
	cw->has_min_max = false;
	memset(&cw->min, 0, sizeof(cw->min));
	memset(&cw->max, 0, sizeof(cw->max));
}

void
parquet_column_writer_free(ColumnWriter *cw)
{
	const LakeAllocator *a = cw->shared != NULL ? cw->shared->alloc : NULL;

	if (a == NULL)
		return;
	lake_free(a, cw->def);
	lake_free(a, cw->rep);
	lake_free(a, cw->indices);
	lake_free(a, cw->dict_offsets);
	lake_free(a, cw->slots);
	lake_buffer_free(&cw->values);
	lake_buffer_free(&cw->chunk);
	lake_buffer_free(&cw->dict_data);
	lake_buffer_free(&cw->min_buf);
	lake_buffer_free(&cw->max_buf);
	cw->def = cw->rep = NULL;
	cw->indices = cw->dict_offsets = NULL;
	cw->slots = NULL;
}
