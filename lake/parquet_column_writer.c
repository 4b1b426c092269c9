/*
 * parquet_column_writer.c
 *	  One leaf column of the Parquet writer: buffers the current page's
 *	  levels and values, dictionary-encodes values through an open-addressing
 *	  hash table (falling back to PLAIN when the dictionary grows past its
 *	  budget, when nearly every value of the first page is new, or when it
 *	  does not pay off on the first page), encodes data pages v1 (RLE levels
 *	  with a 4-byte length, then values), compresses them into the chunk
 *	  buffer, and keeps the chunk's statistics.
 *
 * Speed matters here (every value of a write goes through it):
 *	- definition levels are not stored until a page has a null: a page
 *	  without one has its levels written as a single RLE run;
 *	- levels and dictionary indices are kept in plain arrays and encoded in
 *	  bulk at page close (rle_encode_int16 / rle_encode_uint32);
 *	- the hash table's slots hold the value itself for fixed widths up to 8
 *	  bytes (multiply-shift hashing, no second lookup to compare) and a
 *	  64-bit hash plus length for byte strings;
 *	- parquet_column_writer_append_batch runs a loop specialised per
 *	  physical type over many records, with no call per value.
 * Nothing here allocates per value: arrays grow by doubling and are kept
 * across pages and row groups.
 */
#include "parquet_column_writer.h"

#include "lake/compression.h"

#include <math.h>
#include <string.h>

_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "lake/ writes PLAIN values in host order");

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

static inline uint64_t
load64(const uint8_t *p)
{
	uint64_t	v;

	memcpy(&v, p, 8);
	return v;
}

static inline uint32_t
load32(const uint8_t *p)
{
	uint32_t	v;

	memcpy(&v, p, 4);
	return v;
}

/* 64x64 -> 128-bit multiply, folded */
static inline uint64_t
mix64(uint64_t a, uint64_t b)
{
	unsigned __int128 m = (unsigned __int128) a * b;

	return (uint64_t) m ^ (uint64_t) (m >> 64);
}

/* A 64-bit hash of a byte string: overlapping loads, no loop below 17 bytes. */
static inline uint64_t
hash_bytes(const uint8_t *p, uint32_t len)
{
	uint64_t	seed = 0x9E3779B97F4A7C15ULL ^ ((uint64_t) len * 0xc2b2ae3d27d4eb4fULL);
	uint64_t	a,
				b;

	if (len <= 16)
	{
		if (len >= 8)
		{
			a = load64(p);
			b = load64(p + len - 8);
		}
		else if (len >= 4)
		{
			a = load32(p);
			b = load32(p + len - 4);
		}
		else if (len > 0)
		{
			a = ((uint64_t) p[0] << 16) | ((uint64_t) p[len >> 1] << 8) | p[len - 1];
			b = 0;
		}
		else
			a = b = 0;
	}
	else
	{
		const uint8_t *q = p;
		uint32_t	left = len;

		while (left > 16)
		{
			seed = mix64(load64(q) ^ 0xa0761d6478bd642fULL, load64(q + 8) ^ seed);
			q += 16;
			left -= 16;
		}
		a = load64(p + len - 16);
		b = load64(p + len - 8);
	}
	return mix64(a ^ 0xa0761d6478bd642fULL, b ^ seed ^ 0xe7037ed1a0b428dbULL);
}

static inline bool
bytes_equal(const uint8_t *a, const uint8_t *b, uint32_t len)
{
	if (len >= 8 && len <= 16)
		return load64(a) == load64(b) && load64(a + len - 8) == load64(b + len - 8);
	if (len >= 4 && len < 8)
		return load32(a) == load32(b) && load32(a + len - 4) == load32(b + len - 4);
	return len == 0 || memcmp(a, b, len) == 0;
}

/* the slot of a key: multiply-shift (the top bits of the product) */
static inline uint32_t
slot_of(uint64_t key, int shift)
{
	return (uint32_t) (((key ^ (key >> 32)) * 0x9E3779B97F4A7C15ULL) >> shift);
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

#define INITIAL_SLOT_BITS 10
#define DICT_EARLY_ENTRIES 8192		/* when to judge a first page that is nearly all new values */

static LakeStatus
dict_rehash(ColumnWriter *cw, int bits, LakeError *err)
{
	uint32_t	nslots = (uint32_t) 1 << bits;
	DictSlot   *slots = lake_alloc_array(cw->shared->alloc, nslots, sizeof(DictSlot), err);
	uint32_t	mask = nslots - 1;
	int			shift = 64 - bits;
	uint64_t	i;

	if (slots == NULL)
		return LAKE_ERROR_NOMEM;
	memset(slots, 0, (size_t) nslots * sizeof(DictSlot));
	for (i = 0; cw->slots != NULL && i <= cw->slot_mask; i++)
	{
		const DictSlot *old = &cw->slots[i];
		uint32_t	s;

		if (old->index1 == 0)
			continue;
		s = slot_of(old->key, shift);
		while (slots[s].index1 != 0)
			s = (s + 1) & mask;
		slots[s] = *old;
	}
	lake_free(cw->shared->alloc, cw->slots);
	cw->slots = slots;
	cw->slot_mask = mask;
	cw->slot_shift = shift;
	return LAKE_OK;
}

/* A new dictionary entry for the value v (PLAIN bytes p, len) in the empty slot sl. */
static __attribute__((noinline)) LakeStatus
dict_insert(ColumnWriter *cw, DictSlot *sl, uint64_t key, const uint8_t *p, uint32_t len,
			const ParquetValue *v, uint32_t *index, LakeError *err)
{
	size_t		off;
	uint32_t	e;
	LakeStatus	st;

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
	st = stats_update(cw, v, err);
	if (st != LAKE_OK)
		return st;
	e = cw->dict_count++;
	if (cw->width == 0)
		cw->dict_offsets[e] = (uint32_t) off;
	sl->key = key;
	sl->len = len;
	sl->index1 = e + 1;
	cw->shared->buffered += cw->dict_data.len - off;
	if ((uint64_t) cw->dict_count * 2 > (uint64_t) cw->slot_mask + 1)
	{
		st = dict_rehash(cw, 64 - cw->slot_shift + 1, err);
		if (st != LAKE_OK)
			return st;
	}
	if (cw->dict_data.len >= cw->shared->dictionary_bytes || cw->dict_count >= MAX_DICT_ENTRIES)
		cw->dict_full = true;
	/* nearly every value so far new, and no dictionary page yet: PLAIN from the next record */
	if (cw->dict_count == DICT_EARLY_ENTRIES && !cw->dict_pages &&
		(uint64_t) cw->page_values < (uint64_t) DICT_EARLY_ENTRIES * 8 / 7)
	{
		cw->dict_hopeless = true;
		cw->dict_full = true;
	}
	*index = e;
	return LAKE_OK;
}

/* Find or add a value whose key is the value itself (fixed width <= 8). */
static inline __attribute__((always_inline)) LakeStatus
dict_find_key(ColumnWriter *cw, uint64_t key, const uint8_t *p, const ParquetValue *v, uint32_t *index,
			  LakeError *err)
{
	uint32_t	s = slot_of(key, cw->slot_shift);

	for (;;)
	{
		DictSlot   *sl = &cw->slots[s];

		if (sl->key == key && sl->index1 != 0)
		{
			*index = sl->index1 - 1;
			return LAKE_OK;
		}
		if (sl->index1 == 0)
			return dict_insert(cw, sl, key, p, (uint32_t) cw->width, v, index, err);
		s = (s + 1) & cw->slot_mask;
	}
}

static inline const uint8_t *
dict_entry(const ColumnWriter *cw, uint32_t e)
{
	if (cw->width > 0)
		return cw->dict_data.data + (size_t) e * cw->width;
	return cw->dict_data.data + cw->dict_offsets[e] + 4;
}

/* Find or add a value known by its bytes (BYTE_ARRAY, wider fixed types). */
static inline __attribute__((always_inline)) LakeStatus
dict_find_bytes(ColumnWriter *cw, const uint8_t *p, uint32_t len, const ParquetValue *v, uint32_t *index,
				LakeError *err)
{
	uint64_t	h = hash_bytes(p, len);
	uint32_t	s = slot_of(h, cw->slot_shift);

	for (;;)
	{
		DictSlot   *sl = &cw->slots[s];

		if (sl->index1 == 0)
			return dict_insert(cw, sl, h, p, len, v, index, err);
		if (sl->key == h && sl->len == len && bytes_equal(dict_entry(cw, sl->index1 - 1), p, len))
		{
			*index = sl->index1 - 1;
			return LAKE_OK;
		}
		s = (s + 1) & cw->slot_mask;
	}
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

/* levels with their 4-byte length prefix (data page v1) */
static LakeStatus
encode_levels(LakeBuffer *page, const int16_t *levels, size_t n, bool all_max, int16_t max_level,
			  LakeError *err)
{
	size_t		pos = page->len;
	uint32_t	len;
	int			bw = rle_bit_width((uint32_t) max_level);
	LakeStatus	st;

	st = lake_buffer_reserve(page, 4, err);
	if (st != LAKE_OK)
		return st;
	page->len += 4;
	if (all_max)
		st = rle_encode_repeat(page, (uint32_t) max_level, n, bw, err);
	else
		st = rle_encode_int16(page, levels, n, bw, err);
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

		if (dict_cost >= cw->page_plain_bytes || cw->dict_hopeless)
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
		st = encode_levels(page, cw->rep, cw->num_levels, false, cw->max_rep, err);
		if (st != LAKE_OK)
			return st;
	}
	if (cw->max_def > 0)
	{
		st = encode_levels(page, cw->def, cw->num_levels, cw->page_nulls == 0, cw->max_def, err);
		if (st != LAKE_OK)
			return st;
	}
	if (use_dict)
	{
		int			bw = dict_bit_width(cw);
		uint8_t		b = (uint8_t) bw;

		st = lake_buffer_append(page, &b, 1, err);
		if (st != LAKE_OK)
			return st;
		st = rle_encode_uint32(page, cw->indices, cw->num_indices, bw, err);
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
	cw->page_nulls = 0;
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
	cw->dict_hopeless = false;
	return LAKE_OK;
}

/* ------------------------------------------------------------- values */

/* Room for need level entries in def[] and rep[] (those the column has). */
static inline LakeStatus
reserve_levels(ColumnWriter *cw, size_t need, LakeError *err)
{
	size_t		def_cap = cw->levels_cap;
	size_t		rep_cap = cw->levels_cap;
	LakeStatus	st;

	if (need <= cw->levels_cap)
		return LAKE_OK;
	if (cw->max_def > 0)
	{
		st = grow_array(cw->shared->alloc, (void **) &cw->def, &def_cap, sizeof(int16_t), need, err);
		if (st != LAKE_OK)
			return st;
	}
	if (cw->max_rep > 0)
	{
		st = grow_array(cw->shared->alloc, (void **) &cw->rep, &rep_cap, sizeof(int16_t), need, err);
		if (st != LAKE_OK)
			return st;
	}
	/* both grow the same way from the same capacity */
	cw->levels_cap = cw->max_def > 0 ? def_cap : rep_cap;
	return LAKE_OK;
}

/*
 * The definition level of the next entry (capacity reserved).  Until a page
 * has a null every level is max_def and def[] is not written: the page's
 * levels are then one RLE run.
 */
static inline void
push_def(ColumnWriter *cw, int16_t def)
{
	if (def < cw->max_def)
	{
		if (cw->page_nulls == 0)
		{
			size_t		i;

			for (i = 0; i < cw->num_levels; i++)
				cw->def[i] = cw->max_def;
		}
		cw->def[cw->num_levels] = def;
		cw->page_nulls++;
		cw->chunk_nulls++;
	}
	else if (cw->page_nulls > 0)
		cw->def[cw->num_levels] = def;
}

static inline LakeStatus
reserve_indices(ColumnWriter *cw, size_t more, LakeError *err)
{
	if (cw->indices_cap - cw->num_indices >= more)
		return LAKE_OK;
	return grow_array(cw->shared->alloc, (void **) &cw->indices, &cw->indices_cap,
					  sizeof(uint32_t), cw->num_indices + more, err);
}

static inline LakeStatus
ensure_slots(ColumnWriter *cw, LakeError *err)
{
	if (cw->slots != NULL)
		return LAKE_OK;
	return dict_rehash(cw, INITIAL_SLOT_BITS, err);
}

/* One non-null value, any type. */
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

		st = ensure_slots(cw, err);
		if (st == LAKE_OK)
			st = reserve_indices(cw, 1, err);
		if (st != LAKE_OK)
			return st;
		if (cw->key_is_value)
		{
			uint64_t	key = 0;

			memcpy(&key, p, cw->width);
			st = dict_find_key(cw, key, p, v, &index, err);
		}
		else
			st = dict_find_bytes(cw, p, len, v, &index, err);
		if (st != LAKE_OK)
			return st;
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

static inline bool
page_is_full(const ColumnWriter *cw)
{
	return cw->page_est >= cw->shared->page_bytes || cw->num_levels >= cw->shared->page_bytes ||
		cw->dict_full;
}

LakeStatus
parquet_column_writer_append(ColumnWriter *cw, int16_t def, int16_t rep, const ParquetValue *value,
							 LakeError *err)
{
	LakeStatus	st;

	if (rep == 0)
	{
		/* pages end at record boundaries */
		if (cw->num_levels > 0 && page_is_full(cw))
		{
			st = flush_page(cw, err);
			if (st != LAKE_OK)
				return st;
		}
		cw->rows++;
	}
	if (cw->max_def > 0 || cw->max_rep > 0)
	{
		st = reserve_levels(cw, cw->num_levels + 1, err);
		if (st != LAKE_OK)
			return st;
		if (cw->max_def > 0)
			push_def(cw, def);
		if (cw->rep != NULL)
			cw->rep[cw->num_levels] = rep;
	}
	cw->num_levels++;
	if (value == NULL)
		return LAKE_OK;
	return put_value(cw, value, err);
}

/* the specialised batch loops */
#define BATCH_4 1				/* INT32, FLOAT: 4 bytes, the dictionary key is the value */
#define BATCH_8 2				/* INT64, DOUBLE */
#define BATCH_BYTES 3			/* BYTE_ARRAY */

static inline __attribute__((always_inline)) LakeStatus
append_batch_kind(ColumnWriter *cw, const ParquetValue *values, const bool *nulls, size_t n,
				  const int kind, LakeError *err)
{
	ColumnWriterShared *sh = cw->shared;
	const int16_t null_def = cw->max_def - 1;
	size_t		r = 0;
	LakeStatus	st;

	while (r < n)
	{
		size_t		left;

		/* pages end at record boundaries: here every entry is one */
		if (cw->num_levels > 0 && page_is_full(cw))
		{
			st = flush_page(cw, err);
			if (st != LAKE_OK)
				return st;
		}
		left = n - r;
		if (cw->max_def > 0)
		{
			st = reserve_levels(cw, cw->num_levels + left, err);
			if (st != LAKE_OK)
				return st;
		}
		if (cw->dict_active)
		{
			st = ensure_slots(cw, err);
			if (st == LAKE_OK)
				st = reserve_indices(cw, left, err);
			if (st != LAKE_OK)
				return st;
			for (; r < n;)
			{
				const ParquetValue *v = &values[r++];
				uint32_t	index;

				cw->rows++;
				if (nulls != NULL && nulls[r - 1])
				{
					push_def(cw, null_def);
					cw->num_levels++;
				}
				else
				{
					if (cw->max_def > 0)
						push_def(cw, cw->max_def);
					cw->num_levels++;
					if (kind == BATCH_4)
						st = dict_find_key(cw, (uint32_t) v->i32, (const uint8_t *) &v->i32, v, &index, err);
					else if (kind == BATCH_8)
						st = dict_find_key(cw, (uint64_t) v->i64, (const uint8_t *) &v->i64, v, &index, err);
					else
						st = dict_find_bytes(cw, v->bytes.ptr, v->bytes.len, v, &index, err);
					if (st != LAKE_OK)
						return st;
					cw->indices[cw->num_indices++] = index;
					cw->page_values++;
					cw->page_plain_bytes += kind == BATCH_4 ? 4 : kind == BATCH_8 ? 8 : (uint64_t) v->bytes.len + 4;
					cw->page_est += 4;
					sh->buffered += 4;
				}
				if (page_is_full(cw))
					break;
			}
		}
		else
		{
			if (kind != BATCH_BYTES)
			{
				st = lake_buffer_reserve(&cw->values, left * (kind == BATCH_4 ? 4 : 8), err);
				if (st != LAKE_OK)
					return st;
			}
			for (; r < n;)
			{
				const ParquetValue *v = &values[r++];

				cw->rows++;
				if (nulls != NULL && nulls[r - 1])
				{
					push_def(cw, null_def);
					cw->num_levels++;
				}
				else
				{
					uint64_t	plain;

					if (cw->max_def > 0)
						push_def(cw, cw->max_def);
					cw->num_levels++;
					if (kind == BATCH_4)
					{
						memcpy(cw->values.data + cw->values.len, &v->i32, 4);
						cw->values.len += 4;
						plain = 4;
					}
					else if (kind == BATCH_8)
					{
						memcpy(cw->values.data + cw->values.len, &v->i64, 8);
						cw->values.len += 8;
						plain = 8;
					}
					else
					{
						uint32_t	len = v->bytes.len;

						st = lake_buffer_reserve(&cw->values, (size_t) len + 4, err);
						if (st != LAKE_OK)
							return st;
						memcpy(cw->values.data + cw->values.len, &len, 4);
						if (len > 0)
							memcpy(cw->values.data + cw->values.len + 4, v->bytes.ptr, len);
						cw->values.len += (size_t) len + 4;
						plain = (uint64_t) len + 4;
					}
					st = stats_update(cw, v, err);
					if (st != LAKE_OK)
						return st;
					cw->page_values++;
					cw->page_plain_bytes += plain;
					cw->page_est += plain;
					sh->buffered += plain;
				}
				if (page_is_full(cw))
					break;
			}
		}
	}
	return LAKE_OK;
}

LakeStatus
parquet_column_writer_append_batch(ColumnWriter *cw, const ParquetValue *values, const bool *nulls, size_t n,
								   LakeError *err)
{
	size_t		i;
	LakeStatus	st;

	switch (cw->type)
	{
		case PQ_INT32:
		case PQ_FLOAT:
			return append_batch_kind(cw, values, nulls, n, BATCH_4, err);
		case PQ_INT64:
		case PQ_DOUBLE:
			return append_batch_kind(cw, values, nulls, n, BATCH_8, err);
		case PQ_BYTE_ARRAY:
			return append_batch_kind(cw, values, nulls, n, BATCH_BYTES, err);
		default:
			break;
	}
	for (i = 0; i < n; i++)
	{
		bool		null = nulls != NULL && nulls[i];

		st = parquet_column_writer_append(cw, null ? cw->max_def - 1 : cw->max_def, 0,
										  null ? NULL : &values[i], err);
		if (st != LAKE_OK)
			return st;
	}
	return LAKE_OK;
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
	cw->key_is_value = cw->type != PQ_BOOLEAN && cw->width >= 1 && cw->width <= 8;
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
	cw->page_nulls = 0;
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
	cw->dict_hopeless = false;
	cw->dict_pages = false;
	cw->plain_pages = false;
	if (cw->slots != NULL)
		memset(cw->slots, 0, ((size_t) cw->slot_mask + 1) * sizeof(DictSlot));
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
