/*
 * parquet_column_reader.c
 *	  Reading one leaf column of one row group: pages (header, size checks,
 *	  decompression within the budget), data pages v1 and v2, dictionary
 *	  pages, definition / repetition levels, and the batches of
 *	  parquet_column_reader_next (dense values, batches that end at record
 *	  boundaries for repeated leaves).
 *
 * Pages are streamed: only the current page is held decoded (plus, until the
 * next call, pages whose values a returned batch still points into).
 */
#include "parquet_reader_internal.h"

#include <string.h>

#include "lake/compression.h"

#define HEADER_WINDOW 4096

/* Definition or repetition levels of one page. */
typedef struct LevelDecoder
{
	int			kind;			/* LEVELS_NONE, LEVELS_RLE, LEVELS_BIT_PACKED */
	RleDecoder	rle;
	const uint8_t *data;		/* BIT_PACKED */
	size_t		len;
	uint64_t	bitpos;
	int			bit_width;
} LevelDecoder;

#define LEVELS_NONE 0
#define LEVELS_RLE 1
#define LEVELS_BIT_PACKED 2

/* A decoded data page and its value decoder. */
typedef struct PageState
{
	uint8_t    *buf;			/* the uncompressed page (owned) */
	size_t		buf_size;
	ParquetDecoder vdec;
	bool		vdec_ready;
} PageState;

struct ParquetColumnReader
{
	ParquetReader *r;
	const LakeAllocator *alloc;
	int			row_group;
	int			leaf_index;
	const ParquetLeaf *leaf;
	const ParquetSchemaElement *el;
	const ParquetColumnMetaData *cmd;
	ParquetPhysicalType type;
	int32_t		type_length;
	size_t		value_size;
	int16_t		max_def;
	int16_t		max_rep;
	bool		check_def;		/* levels can exceed max_def (not 2^n - 1) */
	bool		check_rep;
	bool		pointer_values; /* values point into pages */
	uint64_t	budget;
	uint64_t	held;			/* bytes of pages held (current + retired + dictionary) */

	/* the chunk */
	uint64_t	chunk_pos;		/* file offset of the next page header */
	uint64_t	chunk_end;
	int64_t		total_levels;	/* the chunk's num_values */
	int64_t		levels_loaded;	/* sum of num_values of the data pages loaded */
	int			page_number;	/* of the current page, for messages */
	uint64_t	page_offset;
	bool		chunk_done;

	/* buffers for headers and compressed bytes */
	uint8_t    *hdr_buf;
	size_t		hdr_cap;
	uint8_t    *cbuf;
	size_t		cbuf_cap;

	/* dictionary */
	bool		has_dict;
	ParquetDictionary dict;
	uint8_t    *dict_buf;
	size_t		dict_buf_size;

	/* the current data page */
	PageState  *page;
	int64_t		page_levels_left;	/* levels not yet taken from the rep (or def) decoder */
	LevelDecoder rep_dec;
	LevelDecoder def_dec;

	/* pages the last batch may point into: freed at the next call */
	PageState **retired;
	size_t		num_retired;
	size_t		retired_cap;

	/* the batch */
	size_t		max_levels;
	size_t		cap;			/* capacity of the arrays below (grows for huge records) */
	int16_t    *def;
	int16_t    *rep;
	void	   *values;
	/* repeated leaves: rep levels read ahead of the batch, of the current page */
	int16_t    *pending;
	size_t		num_pending;
	size_t		pending_cap;
};

/* ---------------------------------------------------------------- levels */

static LakeStatus
levels_init(LevelDecoder *ld, ParquetEncoding enc, int16_t max_level, const uint8_t *data,
			size_t len, int64_t num_values, bool v1, size_t *consumed, LakeError *err)
{
	int			bw = rle_bit_width((uint32_t) max_level);

	memset(ld, 0, sizeof(*ld));
	ld->bit_width = bw;
	*consumed = 0;
	if (max_level == 0)
	{
		ld->kind = LEVELS_NONE;
		return LAKE_OK;
	}
	if (!v1 || enc == PQ_ENC_RLE)
	{
		if (v1)
		{
			uint32_t	n;

			if (len < 4)
				return lake_error_set(err, LAKE_ERROR_CORRUPT, "levels lack their 4-byte length");
			n = (uint32_t) data[0] | ((uint32_t) data[1] << 8) | ((uint32_t) data[2] << 16) |
				((uint32_t) data[3] << 24);
			if (n > len - 4)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "levels length %u exceeds the %zu bytes left in the page", n, len - 4);
			data += 4;
			len = n;
			*consumed = 4 + (size_t) n;
		}
		else
			*consumed = len;
		ld->kind = LEVELS_RLE;
		rle_decoder_init(&ld->rle, data, len, bw);
		return LAKE_OK;
	}
	if (enc == PQ_ENC_BIT_PACKED)
	{
		uint64_t	bytes = ((uint64_t) num_values * (uint64_t) bw + 7) / 8;

		if (bytes > len)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "BIT_PACKED levels need %llu bytes, the page has %zu",
								  (unsigned long long) bytes, len);
		ld->kind = LEVELS_BIT_PACKED;
		ld->data = data;
		ld->len = (size_t) bytes;
		*consumed = (size_t) bytes;
		return LAKE_OK;
	}
	return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "level encoding %s is not supported",
						  parquet_encoding_name(enc));
}

static LakeStatus
levels_decode(LevelDecoder *ld, int16_t *out, size_t n, LakeError *err)
{
	size_t		i;

	switch (ld->kind)
	{
		case LEVELS_NONE:
			memset(out, 0, n * sizeof(int16_t));
			return LAKE_OK;
		case LEVELS_RLE:
			return rle_decode_int16(&ld->rle, out, n, err);
		default:
			{
				/* deprecated BIT_PACKED: most significant bit first */
				uint64_t	bp = ld->bitpos;
				int			bw = ld->bit_width;

				if (bp + (uint64_t) n * bw > (uint64_t) ld->len * 8)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "BIT_PACKED levels run past their bytes");
				for (i = 0; i < n; i++)
				{
					int			v = 0;
					int			b;

					for (b = 0; b < bw; b++, bp++)
						v = (v << 1) | ((ld->data[bp >> 3] >> (7 - (bp & 7))) & 1);
					out[i] = (int16_t) v;
				}
				ld->bitpos = bp;
				return LAKE_OK;
			}
	}
}

/* ----------------------------------------------------------------- pages */

static void
page_free(ParquetColumnReader *cr, PageState *p)
{
	if (p == NULL)
		return;
	if (p->vdec_ready)
		parquet_decoder_release(&p->vdec);
	if (p->buf != NULL)
	{
		cr->held -= p->buf_size;
		lake_free(cr->alloc, p->buf);
	}
	lake_free(cr->alloc, p);
}

static void
free_retired(ParquetColumnReader *cr)
{
	size_t		i;

	for (i = 0; i < cr->num_retired; i++)
		page_free(cr, cr->retired[i]);
	cr->num_retired = 0;
}

/* The current page is done: free it, or keep it until the next call when the batch may point into it. */
static LakeStatus
retire_page(ParquetColumnReader *cr, LakeError *err)
{
	PageState  *p = cr->page;

	cr->page = NULL;
	if (p == NULL)
		return LAKE_OK;
	if (!cr->pointer_values)
	{
		page_free(cr, p);
		return LAKE_OK;
	}
	if (cr->num_retired == cr->retired_cap)
	{
		size_t		ncap = cr->retired_cap == 0 ? 8 : cr->retired_cap * 2;
		PageState **n = lake_alloc_array(cr->alloc, ncap, sizeof(PageState *), err);

		if (n == NULL)
		{
			page_free(cr, p);
			return LAKE_ERROR_NOMEM;
		}
		if (cr->num_retired > 0)
			memcpy(n, cr->retired, cr->num_retired * sizeof(PageState *));
		lake_free(cr->alloc, cr->retired);
		cr->retired = n;
		cr->retired_cap = ncap;
	}
	cr->retired[cr->num_retired++] = p;
	return LAKE_OK;
}

static LakeStatus
budget_check(ParquetColumnReader *cr, uint64_t more, const char *what, LakeError *err)
{
	if (more > cr->budget || cr->held > cr->budget - more)
		return lake_error_set(err, LAKE_ERROR_LIMIT,
							  "%s of %llu bytes would exceed the memory budget of %llu bytes",
							  what, (unsigned long long) more, (unsigned long long) cr->budget);
	return LAKE_OK;
}

static LakeStatus
grow_bytes(ParquetColumnReader *cr, uint8_t **buf, size_t *cap, size_t need, LakeError *err)
{
	uint8_t    *p;

	if (*cap >= need)
		return LAKE_OK;
	p = lake_alloc(cr->alloc, need, err);
	if (p == NULL)
		return LAKE_ERROR_NOMEM;
	lake_free(cr->alloc, *buf);
	*buf = p;
	*cap = need;
	return LAKE_OK;
}

/* Decompress (or copy) src into dst of exactly dst_len bytes. */
static LakeStatus
page_decompress(ParquetColumnReader *cr, const uint8_t *src, size_t src_len, uint8_t *dst,
				size_t dst_len, bool compressed, LakeError *err)
{
	ParquetCodec codec = compressed ? cr->cmd->codec : PQ_CODEC_UNCOMPRESSED;

	if (codec == PQ_CODEC_UNCOMPRESSED)
	{
		if (src_len != dst_len)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "uncompressed page of %zu bytes claims %zu bytes", src_len, dst_len);
		if (dst_len > 0)
			memcpy(dst, src, dst_len);
		return LAKE_OK;
	}
	if ((uint64_t) dst_len > lake_codec_max_expansion(codec, src, src_len))
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "%zu compressed bytes cannot expand to the %zu bytes the page header claims under %s",
							  src_len, dst_len, parquet_codec_name(codec));
	return lake_decompress(codec, src, src_len, dst, dst_len, err);
}

/*
 * Read the next page header at chunk_pos into *h; *src points at the page's
 * compressed bytes (in hdr_buf or cbuf).
 */
static LakeStatus
read_page(ParquetColumnReader *cr, ParquetPageHeader *h, const uint8_t **src, LakeError *err)
{
	uint64_t	remaining = cr->chunk_end - cr->chunk_pos;
	size_t		window = remaining < HEADER_WINDOW ? (size_t) remaining : HEADER_WINDOW;
	size_t		hlen = 0;
	LakeStatus	st;

	for (;;)
	{
		st = grow_bytes(cr, &cr->hdr_buf, &cr->hdr_cap, window, err);
		if (st != LAKE_OK)
			return st;
		st = lake_input_read(cr->r->in, cr->chunk_pos, window, cr->hdr_buf, err);
		if (st != LAKE_OK)
			return st;
		st = parquet_page_header_decode(cr->hdr_buf, window, h, &hlen, err);
		if (st == LAKE_OK)
			break;
		if (st != LAKE_ERROR_CORRUPT || window == remaining)
			return st;
		/* perhaps a header larger than the window (big statistics): widen */
		if (window >= cr->budget / 4)
			return st;
		window = remaining < (uint64_t) window * 8 ? (size_t) remaining : window * 8;
	}
	if (h->compressed_page_size < 0 || h->uncompressed_page_size < 0)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "page header has a negative size");
	if ((uint64_t) h->compressed_page_size > remaining - hlen)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "page of %d bytes runs past the end of the column chunk (%llu bytes left)",
							  h->compressed_page_size, (unsigned long long) (remaining - hlen));
	if (hlen + (size_t) h->compressed_page_size <= window)
		*src = cr->hdr_buf + hlen;
	else
	{
		st = budget_check(cr, (uint64_t) h->compressed_page_size, "compressed page", err);
		if (st != LAKE_OK)
			return st;
		st = grow_bytes(cr, &cr->cbuf, &cr->cbuf_cap, (size_t) h->compressed_page_size, err);
		if (st != LAKE_OK)
			return st;
		st = lake_input_read(cr->r->in, cr->chunk_pos + hlen, (size_t) h->compressed_page_size,
							 cr->cbuf, err);
		if (st != LAKE_OK)
			return st;
		*src = cr->cbuf;
	}
	cr->page_offset = cr->chunk_pos;
	cr->chunk_pos += hlen + (uint64_t) h->compressed_page_size;
	return LAKE_OK;
}

static LakeStatus
load_dictionary(ParquetColumnReader *cr, const ParquetPageHeader *h, const uint8_t *src, LakeError *err)
{
	const ParquetDictionaryPageHeader *dh = &h->dictionary_page_header;
	size_t		usize = (size_t) h->uncompressed_page_size;
	LakeStatus	st;

	if (!h->has_dictionary_page_header)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "dictionary page without its header");
	if (cr->has_dict)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "second dictionary page in a column chunk");
	if (cr->levels_loaded > 0)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "dictionary page after data pages");
	if (dh->encoding != PQ_ENC_PLAIN && dh->encoding != PQ_ENC_PLAIN_DICTIONARY)
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "dictionary page encoding %s",
							  parquet_encoding_name(dh->encoding));
	st = budget_check(cr, usize, "dictionary page", err);
	if (st != LAKE_OK)
		return st;
	cr->dict_buf = lake_alloc(cr->alloc, usize == 0 ? 1 : usize, err);
	if (cr->dict_buf == NULL)
		return LAKE_ERROR_NOMEM;
	cr->dict_buf_size = usize;
	cr->held += usize;
	st = page_decompress(cr, src, (size_t) h->compressed_page_size, cr->dict_buf, usize, true, err);
	if (st != LAKE_OK)
		return st;
	st = parquet_dictionary_decode(cr->alloc, cr->type, cr->type_length, cr->dict_buf, usize,
								   dh->num_values, &cr->dict, err);
	if (st != LAKE_OK)
		return st;
	cr->has_dict = true;
	return LAKE_OK;
}

static LakeStatus
load_data_page(ParquetColumnReader *cr, const ParquetPageHeader *h, const uint8_t *src, LakeError *err)
{
	PageState  *p;
	size_t		usize = (size_t) h->uncompressed_page_size;
	size_t		csize = (size_t) h->compressed_page_size;
	int32_t		num_values;
	ParquetEncoding enc;
	size_t		pos = 0;
	size_t		used;
	LakeStatus	st;
	bool		v1 = h->type == PQ_PAGE_DATA;

	if (v1 && !h->has_data_page_header)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "data page without its header");
	if (!v1 && !h->has_data_page_header_v2)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "data page v2 without its header");
	num_values = v1 ? h->data_page_header.num_values : h->data_page_header_v2.num_values;
	enc = v1 ? h->data_page_header.encoding : h->data_page_header_v2.encoding;
	if (num_values < 0 || num_values > cr->total_levels - cr->levels_loaded)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "data page of %d values exceeds the %lld values left in the column chunk",
							  num_values, (long long) (cr->total_levels - cr->levels_loaded));
	st = budget_check(cr, usize, "data page", err);
	if (st != LAKE_OK)
		return st;
	p = lake_alloc0(cr->alloc, sizeof(PageState), err);
	if (p == NULL)
		return LAKE_ERROR_NOMEM;
	p->buf = lake_alloc(cr->alloc, usize == 0 ? 1 : usize, err);
	if (p->buf == NULL)
	{
		lake_free(cr->alloc, p);
		return LAKE_ERROR_NOMEM;
	}
	p->buf_size = usize;
	cr->held += usize;
	cr->page = p;

	if (v1)
	{
		st = page_decompress(cr, src, csize, p->buf, usize, true, err);
		if (st != LAKE_OK)
			return st;
		st = levels_init(&cr->rep_dec, h->data_page_header.repetition_level_encoding, cr->max_rep,
						 p->buf, usize, num_values, true, &used, err);
		if (st != LAKE_OK)
		{
			lake_error_prefix(err, "repetition levels: ");
			return st;
		}
		pos += used;
		st = levels_init(&cr->def_dec, h->data_page_header.definition_level_encoding, cr->max_def,
						 p->buf + pos, usize - pos, num_values, true, &used, err);
		if (st != LAKE_OK)
		{
			lake_error_prefix(err, "definition levels: ");
			return st;
		}
		pos += used;
	}
	else
	{
		const ParquetDataPageHeaderV2 *v2 = &h->data_page_header_v2;
		size_t		rl,
					dl;

		if (v2->repetition_levels_byte_length < 0 || v2->definition_levels_byte_length < 0)
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "data page v2 has negative level lengths");
		rl = (size_t) v2->repetition_levels_byte_length;
		dl = (size_t) v2->definition_levels_byte_length;
		if (rl + dl > csize || rl + dl > usize)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "data page v2 levels (%zu bytes) exceed the page (%zu bytes)", rl + dl, csize);
		if (v2->num_nulls < 0 || v2->num_nulls > num_values)
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "data page v2 has %d nulls of %d values",
								  v2->num_nulls, num_values);
		memcpy(p->buf, src, rl + dl);
		st = page_decompress(cr, src + rl + dl, csize - rl - dl, p->buf + rl + dl, usize - rl - dl,
							 v2->is_compressed, err);
		if (st != LAKE_OK)
			return st;
		st = levels_init(&cr->rep_dec, PQ_ENC_RLE, cr->max_rep, p->buf, rl, num_values, false, &used, err);
		if (st == LAKE_OK)
			st = levels_init(&cr->def_dec, PQ_ENC_RLE, cr->max_def, p->buf + rl, dl, num_values, false,
							 &used, err);
		if (st != LAKE_OK)
			return st;
		pos = rl + dl;
	}
	st = parquet_decoder_init(&p->vdec, cr->alloc, enc, cr->type, cr->type_length, p->buf + pos,
							  usize - pos, cr->has_dict ? &cr->dict : NULL, cr->budget, err);
	if (st != LAKE_OK)
		return st;
	p->vdec_ready = true;
	if (enc == PQ_ENC_DELTA_BYTE_ARRAY || enc == PQ_ENC_BYTE_STREAM_SPLIT)
		cr->pointer_values = cr->pointer_values || cr->type == PQ_FIXED_LEN_BYTE_ARRAY ||
			cr->type == PQ_BYTE_ARRAY;
	cr->page_levels_left = num_values;
	cr->levels_loaded += num_values;
	return LAKE_OK;
}

/*
 * Make a data page with levels left current.  Sets *have to false at the
 * end of the chunk (after checking the value count).
 */
static LakeStatus
next_page(ParquetColumnReader *cr, bool *have, LakeError *err)
{
	LakeStatus	st;

	*have = false;
	if (cr->page != NULL && cr->page_levels_left > 0)
	{
		*have = true;
		return LAKE_OK;
	}
	st = retire_page(cr, err);
	if (st != LAKE_OK)
		return st;
	while (!cr->chunk_done)
	{
		ParquetPageHeader h;
		const uint8_t *src = NULL;

		if (cr->levels_loaded == cr->total_levels)
		{
			/* all values read; trailing bytes (index pages) are ignored */
			cr->chunk_done = true;
			break;
		}
		if (cr->chunk_pos >= cr->chunk_end)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "column chunk ends after %lld of its %lld values",
								  (long long) cr->levels_loaded, (long long) cr->total_levels);
		cr->page_number++;
		st = read_page(cr, &h, &src, err);
		if (st != LAKE_OK)
			return st;
		switch (h.type)
		{
			case PQ_PAGE_DICTIONARY:
				st = load_dictionary(cr, &h, src, err);
				if (st != LAKE_OK)
					return st;
				break;
			case PQ_PAGE_DATA:
			case PQ_PAGE_DATA_V2:
				st = load_data_page(cr, &h, src, err);
				if (st != LAKE_OK)
					return st;
				if (cr->page_levels_left > 0)
				{
					*have = true;
					return LAKE_OK;
				}
				st = retire_page(cr, err);
				if (st != LAKE_OK)
					return st;
				break;
			default:
				/* index pages and unknown kinds: skip */
				break;
		}
	}
	return LAKE_OK;
}

/* ---------------------------------------------------------------- batches */

static LakeStatus
check_levels(const int16_t *lv, size_t n, int16_t max, const char *what, LakeError *err)
{
	size_t		i;
	int16_t		m = 0;

	for (i = 0; i < n; i++)
		m = lv[i] > m ? lv[i] : m;
	if (m > max)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "%s level %d exceeds the maximum %d", what, m, max);
	return LAKE_OK;
}

/*
 * Decode def levels and values of n levels of the current page into the
 * batch at level index at and value index *nvals.
 */
static LakeStatus
decode_levels_values(ParquetColumnReader *cr, size_t at, size_t n, size_t *nvals, LakeError *err)
{
	size_t		nn = n;
	LakeStatus	st;

	if (n == 0)
		return LAKE_OK;
	if (cr->max_def > 0)
	{
		int16_t    *d = cr->def + at;
		int16_t		md = cr->max_def;
		size_t		i;

		st = levels_decode(&cr->def_dec, d, n, err);
		if (st != LAKE_OK)
		{
			lake_error_prefix(err, "definition levels: ");
			return st;
		}
		if (cr->check_def)
		{
			st = check_levels(d, n, md, "definition", err);
			if (st != LAKE_OK)
				return st;
		}
		nn = 0;
		for (i = 0; i < n; i++)
			nn += d[i] == md;
	}
	st = parquet_decoder_next(&cr->page->vdec, (uint8_t *) cr->values + *nvals * cr->value_size, nn, err);
	if (st != LAKE_OK)
	{
		lake_error_prefix(err, "values: ");
		return st;
	}
	*nvals += nn;
	return LAKE_OK;
}

static void
batch_start(ParquetColumnReader *cr, ParquetColumnBatch *batch)
{
	memset(batch, 0, sizeof(*batch));
	free_retired(cr);
	if (cr->page != NULL && cr->page->vdec_ready)
		parquet_decoder_begin_batch(&cr->page->vdec);
}

static void
batch_finish(ParquetColumnReader *cr, ParquetColumnBatch *batch, size_t levels, size_t nvals)
{
	batch->num_levels = levels;
	batch->num_values = nvals;
	batch->values = cr->values;
	batch->def_levels = cr->max_def > 0 ? cr->def : NULL;
	batch->rep_levels = cr->max_rep > 0 ? cr->rep : NULL;
}

static LakeStatus
next_flat(ParquetColumnReader *cr, ParquetColumnBatch *batch, size_t limit, LakeError *err)
{
	size_t		filled = 0;
	size_t		nvals = 0;
	LakeStatus	st;

	batch_start(cr, batch);
	while (filled < limit)
	{
		bool		have;
		size_t		k;

		st = next_page(cr, &have, err);
		if (st != LAKE_OK)
			return st;
		if (!have)
			break;
		k = limit - filled;
		if ((int64_t) k > cr->page_levels_left)
			k = (size_t) cr->page_levels_left;
		st = decode_levels_values(cr, filled, k, &nvals, err);
		if (st != LAKE_OK)
			return st;
		filled += k;
		cr->page_levels_left -= k;
	}
	batch_finish(cr, batch, filled, nvals);
	return LAKE_OK;
}

static LakeStatus
grow_batch(ParquetColumnReader *cr, size_t used_levels, size_t used_values, LakeError *err)
{
	size_t		ncap = cr->cap * 2;
	uint64_t	per = 2 * sizeof(int16_t) + cr->value_size;
	int16_t    *nd,
			   *nr;
	void	   *nv;
	LakeStatus	st;

	if (ncap / 2 != cr->cap || ncap > cr->budget / per)
		return lake_error_set(err, LAKE_ERROR_LIMIT,
							  "a record of more than %zu levels exceeds the memory budget", cr->cap);
	st = budget_check(cr, (uint64_t) ncap * per, "record", err);
	if (st != LAKE_OK)
		return st;
	nd = lake_alloc_array(cr->alloc, ncap, sizeof(int16_t), err);
	nr = nd ? lake_alloc_array(cr->alloc, ncap, sizeof(int16_t), err) : NULL;
	nv = nr ? lake_alloc_array(cr->alloc, ncap, cr->value_size, err) : NULL;
	if (nv == NULL)
	{
		lake_free(cr->alloc, nd);
		lake_free(cr->alloc, nr);
		return LAKE_ERROR_NOMEM;
	}
	memcpy(nd, cr->def, used_levels * sizeof(int16_t));
	memcpy(nr, cr->rep, used_levels * sizeof(int16_t));
	memcpy(nv, cr->values, used_values * cr->value_size);
	lake_free(cr->alloc, cr->def);
	lake_free(cr->alloc, cr->rep);
	lake_free(cr->alloc, cr->values);
	cr->def = nd;
	cr->rep = nr;
	cr->values = nv;
	cr->cap = ncap;
	return LAKE_OK;
}

/* Keep rep levels [from, to) of the batch for the next call. */
static LakeStatus
keep_pending(ParquetColumnReader *cr, size_t from, size_t to, LakeError *err)
{
	size_t		n = to - from;

	if (n > cr->pending_cap)
	{
		int16_t    *p = lake_alloc_array(cr->alloc, n, sizeof(int16_t), err);

		if (p == NULL)
			return LAKE_ERROR_NOMEM;
		lake_free(cr->alloc, cr->pending);
		cr->pending = p;
		cr->pending_cap = n;
	}
	memcpy(cr->pending, cr->rep + from, n * sizeof(int16_t));
	cr->num_pending = n;
	return LAKE_OK;
}

/*
 * Repeated leaves.  Rep levels are read ahead to find record boundaries;
 * def levels and values are decoded only for levels known to be in the
 * batch.  [decoded, filled) are levels of the current page whose def levels
 * and values are still in the page's decoders.  The batch holds the records
 * that fit in max_levels, or the first record alone when it is longer (the
 * arrays grow for it).  When the page runs out in the middle of a record
 * that is not the batch's first, the batch ends before it and its levels
 * read so far stay pending (they belong to this page); the batch's first
 * record is followed into the next pages.  At most max_records records.
 */
static LakeStatus
next_repeated(ParquetColumnReader *cr, ParquetColumnBatch *batch, int64_t max_records,
			  int64_t *records_out, LakeError *err)
{
	size_t		filled = 0;
	size_t		decoded = 0;
	size_t		nvals = 0;
	size_t		last_start = 0; /* start of the last record seen */
	size_t		best = 0;		/* last record start in (0, max_levels] */
	size_t		second = 0;		/* first record start after 0 */
	int64_t		records = 0;
	size_t		cut = SIZE_MAX;
	size_t		scan_from = 0;
	LakeStatus	st;

	batch_start(cr, batch);
	if (cr->num_pending > 0)
	{
		memcpy(cr->rep, cr->pending, cr->num_pending * sizeof(int16_t));
		filled = cr->num_pending;
		cr->num_pending = 0;
	}
	for (;;)
	{
		size_t		i;

		/* find record starts among the levels just added */
		for (i = scan_from; i < filled; i++)
		{
			if (cr->rep[i] != 0)
				continue;
			if (records == max_records)
			{
				cut = i;
				break;
			}
			records++;
			last_start = i;
			if (i > 0)
			{
				if (second == 0)
					second = i;
				if (i <= cr->max_levels)
					best = i;
			}
		}
		if (filled > 0 && cr->rep[0] != 0)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "the column chunk's first repetition level is %d, not 0", cr->rep[0]);
		if (cut != SIZE_MAX)
			break;
		scan_from = filled;

		/* one level past max_levels tells whether a record ends exactly there */
		if (filled > cr->max_levels && (best > 0 || second > 0))
		{
			cut = best > 0 ? best : second;
			break;
		}
		if (filled == cr->cap)
		{
			/* a single record larger than the arrays */
			st = grow_batch(cr, filled, nvals, err);
			if (st != LAKE_OK)
				return st;
		}
		if (cr->page == NULL || cr->page_levels_left == 0)
		{
			bool		have;

			if (cr->page != NULL && filled > decoded)
			{
				if (last_start > 0)
				{
					cut = last_start;
					break;
				}
				/* one record continues into the next page: decode its levels here */
				st = decode_levels_values(cr, decoded, filled - decoded, &nvals, err);
				if (st != LAKE_OK)
					return st;
				decoded = filled;
			}
			st = next_page(cr, &have, err);
			if (st != LAKE_OK)
				return st;
			if (!have)
				break;			/* end of chunk: everything is complete */
		}
		{
			size_t		k = (filled <= cr->max_levels ? cr->max_levels + 1 : cr->cap) - filled;

			if ((int64_t) k > cr->page_levels_left)
				k = (size_t) cr->page_levels_left;
			st = levels_decode(&cr->rep_dec, cr->rep + filled, k, err);
			if (st != LAKE_OK)
			{
				lake_error_prefix(err, "repetition levels: ");
				return st;
			}
			if (cr->check_rep)
			{
				st = check_levels(cr->rep + filled, k, cr->max_rep, "repetition", err);
				if (st != LAKE_OK)
					return st;
			}
			filled += k;
			cr->page_levels_left -= k;
		}
	}

	if (cut == SIZE_MAX)
		cut = filled;
	else
	{
		st = keep_pending(cr, cut, filled, err);
		if (st != LAKE_OK)
			return st;
	}
	if (cut > decoded)
	{
		st = decode_levels_values(cr, decoded, cut - decoded, &nvals, err);
		if (st != LAKE_OK)
			return st;
	}
	batch_finish(cr, batch, cut, nvals);
	if (records_out != NULL)
	{
		size_t		i;

		records = 0;
		for (i = 0; i < cut; i++)
			records += cr->rep[i] == 0;
		*records_out = records;
	}
	return LAKE_OK;
}

/* ------------------------------------------------------------------- API */

static void
error_context(ParquetColumnReader *cr, LakeError *err)
{
	lake_error_prefix(err, "file \"%s\", row group %d, column \"%s\", page %d at offset %llu: ",
					  cr->r->name, cr->row_group, cr->leaf->path, cr->page_number,
					  (unsigned long long) cr->page_offset);
}

LakeStatus
parquet_column_reader_open(ParquetReader *r, int row_group, int leaf, size_t max_levels,
						   ParquetColumnReader **out, LakeError *err)
{
	ParquetColumnReader *cr;
	const ParquetColumnChunk *cc;
	uint64_t	start,
				len;
	uint64_t	per;
	int			bw;

	*out = NULL;
	if (row_group < 0 || row_group >= r->md.num_row_groups)
		return lake_error_set(err, LAKE_ERROR_INVALID, "row group %d does not exist", row_group);
	if (leaf < 0 || leaf >= r->schema.num_leaves)
		return lake_error_set(err, LAKE_ERROR_INVALID, "leaf column %d does not exist", leaf);
	if (max_levels == 0)
		return lake_error_set(err, LAKE_ERROR_INVALID, "batch size must be positive");
	cc = &r->md.row_groups[row_group].columns[leaf];
	if (cc->file_path != NULL)
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
							  "file \"%s\": column \"%s\" is stored in another file (\"%s\")",
							  r->name, r->schema.leaves[leaf].path, cc->file_path);
	if (!lake_codec_supported(cc->meta_data.codec))
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
							  "file \"%s\": column \"%s\" uses compression codec %s",
							  r->name, r->schema.leaves[leaf].path, parquet_codec_name(cc->meta_data.codec));
	per = 2 * sizeof(int16_t) + sizeof(ParquetBytes);
	if (max_levels > r->budget / per)
		return lake_error_set(err, LAKE_ERROR_LIMIT, "batch of %zu levels exceeds the memory budget", max_levels);

	cr = lake_alloc0(r->alloc, sizeof(ParquetColumnReader), err);
	if (cr == NULL)
		return LAKE_ERROR_NOMEM;
	cr->r = r;
	cr->alloc = r->alloc;
	cr->row_group = row_group;
	cr->leaf_index = leaf;
	cr->leaf = &r->schema.leaves[leaf];
	cr->el = cr->leaf->element;
	cr->cmd = &cc->meta_data;
	cr->type = cr->el->type;
	cr->type_length = cr->el->type_length;
	cr->value_size = parquet_value_size(cr->type);
	cr->max_def = cr->leaf->max_def;
	cr->max_rep = cr->leaf->max_rep;
	bw = rle_bit_width((uint32_t) cr->max_def);
	cr->check_def = cr->max_def != (int16_t) ((1 << bw) - 1);
	bw = rle_bit_width((uint32_t) cr->max_rep);
	cr->check_rep = cr->max_rep != (int16_t) ((1 << bw) - 1);
	cr->pointer_values = cr->type == PQ_BYTE_ARRAY || cr->type == PQ_FIXED_LEN_BYTE_ARRAY ||
		cr->type == PQ_INT96;
	cr->budget = r->budget;
	parquet_reader_chunk_range(cr->cmd, &start, &len);
	cr->chunk_pos = start;
	cr->chunk_end = start + len;
	cr->total_levels = cr->cmd->num_values;
	cr->max_levels = max_levels;
	cr->cap = cr->max_rep > 0 ? max_levels + 1 : max_levels;
	cr->def = lake_alloc_array(cr->alloc, cr->cap, sizeof(int16_t), err);
	cr->rep = cr->def ? lake_alloc_array(cr->alloc, cr->cap, sizeof(int16_t), err) : NULL;
	cr->values = cr->rep ? lake_alloc_array(cr->alloc, cr->cap, cr->value_size, err) : NULL;
	if (cr->values == NULL)
	{
		parquet_column_reader_close(cr);
		return LAKE_ERROR_NOMEM;
	}
	*out = cr;
	return LAKE_OK;
}

LakeStatus
parquet_column_reader_next(ParquetColumnReader *cr, ParquetColumnBatch *batch, LakeError *err)
{
	LakeStatus	st;

	if (cr->max_rep == 0)
		st = next_flat(cr, batch, cr->max_levels, err);
	else
		st = next_repeated(cr, batch, INT64_MAX, NULL, err);
	if (st != LAKE_OK)
	{
		memset(batch, 0, sizeof(*batch));
		error_context(cr, err);
	}
	return st;
}

LakeStatus
parquet_column_reader_skip(ParquetColumnReader *cr, int64_t num_rows, LakeError *err)
{
	ParquetColumnBatch batch;
	LakeStatus	st = LAKE_OK;

	while (num_rows > 0)
	{
		if (cr->max_rep == 0)
		{
			size_t		k = (uint64_t) num_rows < cr->max_levels ? (size_t) num_rows : cr->max_levels;

			st = next_flat(cr, &batch, k, err);
			if (st == LAKE_OK)
				num_rows -= (int64_t) batch.num_levels;
		}
		else
		{
			int64_t		recs = 0;

			st = next_repeated(cr, &batch, num_rows, &recs, err);
			if (st == LAKE_OK)
				num_rows -= recs;
		}
		if (st != LAKE_OK)
		{
			error_context(cr, err);
			return st;
		}
		if (batch.num_levels == 0)
			break;				/* fewer rows than asked: the caller sees the end */
	}
	return LAKE_OK;
}

void
parquet_column_reader_close(ParquetColumnReader *cr)
{
	if (cr == NULL)
		return;
	free_retired(cr);
	page_free(cr, cr->page);
	lake_free(cr->alloc, cr->retired);
	if (cr->has_dict)
		parquet_dictionary_release(&cr->dict);
	lake_free(cr->alloc, cr->dict_buf);
	lake_free(cr->alloc, cr->hdr_buf);
	lake_free(cr->alloc, cr->cbuf);
	lake_free(cr->alloc, cr->def);
	lake_free(cr->alloc, cr->rep);
	lake_free(cr->alloc, cr->values);
	lake_free(cr->alloc, cr->pending);
	lake_free(cr->alloc, cr);
}
