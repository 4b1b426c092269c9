/*
 * parquet_decode.c
 *	  Value decoders over one page's bytes (see parquet_decode.h): PLAIN,
 *	  dictionaries and dictionary indices, RLE booleans, the three delta
 *	  encodings and BYTE_STREAM_SPLIT.  Every read is bounds-checked against
 *	  the page; allocation is bounded by the caller's batch size or the budget.
 */
#include "lake/parquet_decode.h"

#include <string.h>

#define DEFAULT_BUDGET ((uint64_t) 256 * 1024 * 1024)
#define ARENA_BLOCK_MIN (64 * 1024)

struct ParquetArenaBlock
{
	ParquetArenaBlock *next;
	size_t		size;
	size_t		used;
	uint8_t		data[];
};

size_t
parquet_value_size(ParquetPhysicalType type)
{
	switch (type)
	{
		case PQ_BOOLEAN:
			return sizeof(bool);
		case PQ_INT32:
			return sizeof(int32_t);
		case PQ_INT64:
			return sizeof(int64_t);
		case PQ_FLOAT:
			return sizeof(float);
		case PQ_DOUBLE:
			return sizeof(double);
		case PQ_INT96:
		case PQ_BYTE_ARRAY:
		case PQ_FIXED_LEN_BYTE_ARRAY:
			return sizeof(ParquetBytes);
	}
	return sizeof(ParquetBytes);
}

static inline uint32_t
read_le32(const uint8_t *p)
{
	return (uint32_t) p[0] | ((uint32_t) p[1] << 8) | ((uint32_t) p[2] << 16) | ((uint32_t) p[3] << 24);
}

/* ------------------------------------------------------------------ arena */

static void *
arena_alloc(ParquetDecoder *d, size_t size, LakeError *err)
{
	ParquetArenaBlock *b = d->arena;
	size_t		bsize;

	if (b != NULL && b->size - b->used >= size)
	{
		void	   *p = b->data + b->used;

		b->used += size;
		return p;
	}
	bsize = size < ARENA_BLOCK_MIN ? ARENA_BLOCK_MIN : size;
	if (bsize > d->budget || d->arena_bytes > d->budget - bsize)
	{
		lake_error_set(err, LAKE_ERROR_LIMIT,
					   "decoded values need more than the memory budget of %llu bytes",
					   (unsigned long long) d->budget);
		return NULL;
	}
	b = lake_alloc(d->alloc, sizeof(ParquetArenaBlock) + bsize, err);
	if (b == NULL)
		return NULL;
	b->next = d->arena;
	b->size = bsize;
	b->used = size;
	d->arena = b;
	d->arena_bytes += bsize;
	return b->data;
}

static void
arena_free(ParquetDecoder *d)
{
	while (d->arena != NULL)
	{
		ParquetArenaBlock *next = d->arena->next;

		lake_free(d->alloc, d->arena);
		d->arena = next;
	}
	d->arena_bytes = 0;
}

static LakeStatus
ensure_scratch(ParquetDecoder *d, uint32_t **buf, size_t *cap, size_t n, LakeError *err)
{
	uint32_t   *p;

	if (*cap >= n)
		return LAKE_OK;
	p = lake_alloc_array(d->alloc, n, sizeof(uint32_t), err);
	if (p == NULL)
		return LAKE_ERROR_NOMEM;
	lake_free(d->alloc, *buf);
	*buf = p;
	*cap = n;
	return LAKE_OK;
}

/* ------------------------------------------------------------------ PLAIN */

/*
 * PLAIN decoding of n values from [*pos, end).  Shared by data pages and
 * dictionary pages.  *bit_index is for BOOLEAN (bits consumed at *pos).
 */
static LakeStatus
plain_decode(ParquetPhysicalType type, int32_t type_length, const uint8_t **posp,
			 const uint8_t *end, uint64_t *bit_index, void *out, size_t n, LakeError *err)
{
	const uint8_t *pos = *posp;
	size_t		avail = (size_t) (end - pos);
	size_t		i;

	switch (type)
	{
		case PQ_BOOLEAN:
			{
				bool	   *o = out;
				uint64_t	bi = *bit_index;

				/* bits available: avail * 8; bi counts bits consumed from pos */
				if ((uint64_t) n > (uint64_t) avail * 8 - bi)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "PLAIN BOOLEAN values run past the end of the page");
				for (i = 0; i < n; i++, bi++)
					o[i] = (pos[bi >> 3] >> (bi & 7)) & 1;
				*posp = pos + (bi >> 3);
				*bit_index = bi & 7;
				return LAKE_OK;
			}
		case PQ_INT32:
		case PQ_FLOAT:
			if (n > avail / 4)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "PLAIN %s values run past the end of the page",
									  parquet_physical_type_name(type));
			memcpy(out, pos, n * 4);
			*posp = pos + n * 4;
			return LAKE_OK;
		case PQ_INT64:
		case PQ_DOUBLE:
			if (n > avail / 8)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "PLAIN %s values run past the end of the page",
									  parquet_physical_type_name(type));
			memcpy(out, pos, n * 8);
			*posp = pos + n * 8;
			return LAKE_OK;
		case PQ_INT96:
		case PQ_FIXED_LEN_BYTE_ARRAY:
			{
				ParquetBytes *o = out;
				size_t		w = type == PQ_INT96 ? 12 : (size_t) type_length;

				if (w == 0 || n > avail / w)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "PLAIN %s values run past the end of the page",
										  parquet_physical_type_name(type));
				for (i = 0; i < n; i++)
				{
					o[i].ptr = pos;
					o[i].len = (uint32_t) w;
					pos += w;
				}
				*posp = pos;
				return LAKE_OK;
			}
		case PQ_BYTE_ARRAY:
			{
				ParquetBytes *o = out;

				for (i = 0; i < n; i++)
				{
					uint32_t	len;

					if (end - pos < 4)
						return lake_error_set(err, LAKE_ERROR_CORRUPT,
											  "PLAIN BYTE_ARRAY length runs past the end of the page (value %zu)", i);
					len = read_le32(pos);
					pos += 4;
					if (len > (size_t) (end - pos))
						return lake_error_set(err, LAKE_ERROR_CORRUPT,
											  "PLAIN BYTE_ARRAY value of %u bytes runs past the end of the page (value %zu)",
											  len, i);
					o[i].ptr = pos;
					o[i].len = len;
					pos += len;
				}
				*posp = pos;
				return LAKE_OK;
			}
	}
	return lake_error_set(err, LAKE_ERROR_CORRUPT, "unknown physical type %d", (int) type);
}

/* ------------------------------------------------------------- dictionary */

LakeStatus
parquet_dictionary_decode(const LakeAllocator *a, ParquetPhysicalType type, int32_t type_length,
						  const uint8_t *data, size_t len, int32_t num_values,
						  ParquetDictionary *out, LakeError *err)
{
	size_t		min_size;
	const uint8_t *pos = data;
	uint64_t	bi = 0;
	LakeStatus	st;

	memset(out, 0, sizeof(*out));
	out->type = type;
	out->type_length = type_length;
	out->alloc = a;
	if (num_values < 0)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "dictionary page has %d values", num_values);
	/* bound the count by the bytes: every value takes at least min_size bytes */
	switch (type)
	{
		case PQ_BOOLEAN:
			min_size = 0;
			if ((uint64_t) num_values > (uint64_t) len * 8)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "dictionary page of %zu bytes cannot hold %d values", len, num_values);
			break;
		case PQ_INT32:
		case PQ_FLOAT:
			min_size = 4;
			break;
		case PQ_INT64:
		case PQ_DOUBLE:
			min_size = 8;
			break;
		case PQ_INT96:
			min_size = 12;
			break;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			if (type_length <= 0)
				return lake_error_set(err, LAKE_ERROR_CORRUPT, "FIXED_LEN_BYTE_ARRAY with length %d", type_length);
			min_size = (size_t) type_length;
			break;
		case PQ_BYTE_ARRAY:
			min_size = 4;
			break;
		default:
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "unknown physical type %d", (int) type);
	}
	if (min_size > 0 && (size_t) num_values > len / min_size)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "dictionary page of %zu bytes cannot hold %d %s values",
							  len, num_values, parquet_physical_type_name(type));
	out->values = lake_alloc_array(a, num_values == 0 ? 1 : (size_t) num_values, parquet_value_size(type), err);
	if (out->values == NULL)
		return LAKE_ERROR_NOMEM;
	st = plain_decode(type, type_length, &pos, data + len, &bi, out->values, (size_t) num_values, err);
	if (st != LAKE_OK)
	{
		lake_error_prefix(err, "dictionary page: ");
		lake_free(a, out->values);
		out->values = NULL;
		return st;
	}
	out->num_values = (uint32_t) num_values;
	return LAKE_OK;
}

void
parquet_dictionary_release(ParquetDictionary *dict)
{
	if (dict->values != NULL && dict->alloc != NULL)
		lake_free(dict->alloc, dict->values);
	dict->values = NULL;
	dict->num_values = 0;
}

static LakeStatus
dict_decode(ParquetDecoder *d, void *out, size_t n, LakeError *err)
{
	const ParquetDictionary *dict = d->dict;
	uint32_t   *idx;
	uint32_t	maxidx = 0;
	size_t		i;
	LakeStatus	st;

	st = ensure_scratch(d, &d->scratch, &d->scratch_cap, n, err);
	if (st != LAKE_OK)
		return st;
	idx = d->scratch;
	st = rle_decode_uint32(&d->rle, idx, n, err);
	if (st != LAKE_OK)
	{
		lake_error_prefix(err, "dictionary indices: ");
		return st;
	}
	for (i = 0; i < n; i++)
		maxidx = idx[i] > maxidx ? idx[i] : maxidx;
	if (n > 0 && maxidx >= dict->num_values)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "dictionary index %u is out of range (dictionary has %u values)",
							  maxidx, dict->num_values);
	switch (d->type)
	{
		case PQ_BOOLEAN:
			{
				const bool *v = dict->values;
				bool	   *o = out;

				for (i = 0; i < n; i++)
					o[i] = v[idx[i]];
				break;
			}
		case PQ_INT32:
		case PQ_FLOAT:
			{
				const uint32_t *v = dict->values;
				uint32_t   *o = out;

				for (i = 0; i < n; i++)
					o[i] = v[idx[i]];
				break;
			}
		case PQ_INT64:
		case PQ_DOUBLE:
			{
				const uint64_t *v = dict->values;
				uint64_t   *o = out;

				for (i = 0; i < n; i++)
					o[i] = v[idx[i]];
				break;
			}
		default:
			{
				const ParquetBytes *v = dict->values;
				ParquetBytes *o = out;

				for (i = 0; i < n; i++)
					o[i] = v[idx[i]];
				break;
			}
	}
	return LAKE_OK;
}

/* ------------------------------------------------------ bit/varint helpers */

static bool
read_uleb(const uint8_t **posp, const uint8_t *end, uint64_t *out)
{
	const uint8_t *pos = *posp;
	uint64_t	v = 0;
	int			shift = 0;

	while (pos < end && shift < 70)
	{
		uint8_t		b = *pos++;

		if (shift == 63 && (b & 0x7e) != 0)
			return false;		/* does not fit 64 bits */
		v |= (uint64_t) (b & 0x7f) << shift;
		if ((b & 0x80) == 0)
		{
			*posp = pos;
			*out = v;
			return true;
		}
		shift += 7;
	}
	return false;
}

static inline uint64_t
zigzag_decode(uint64_t v)
{
	return (v >> 1) ^ (uint64_t) (-(int64_t) (v & 1));
}

/*
 * Read width bits (0..64) at bit offset bitpos of base, LSB first, where
 * nbytes bytes are readable at base.  The caller checked bitpos + width <=
 * nbytes * 8.
 */
static inline uint64_t
read_bits(const uint8_t *base, size_t nbytes, uint64_t bitpos, int width)
{
	size_t		byte = (size_t) (bitpos >> 3);
	int			shift = (int) (bitpos & 7);
	uint64_t	word = 0;
	uint64_t	v;
	size_t		avail = nbytes - byte;

	if (width == 0)
		return 0;
	if (avail >= 8)
		memcpy(&word, base + byte, 8);
	else
	{
		size_t		k;

		for (k = 0; k < avail; k++)
			word |= (uint64_t) base[byte + k] << (8 * k);
	}
	v = word >> shift;
	if (shift + width > 64 && avail > 8)
		v |= (uint64_t) base[byte + 8] << (64 - shift);
	if (width < 64)
		v &= ((uint64_t) 1 << width) - 1;
	return v;
}

/* ------------------------------------------------ DELTA_BINARY_PACKED core */

static LakeStatus
delta_init(ParquetDeltaState *s, const uint8_t *pos, const uint8_t *end, LakeError *err)
{
	uint64_t	first;

	memset(s, 0, sizeof(*s));
	if (!read_uleb(&pos, end, &s->block_size) ||
		!read_uleb(&pos, end, &s->miniblocks) ||
		!read_uleb(&pos, end, &s->total) ||
		!read_uleb(&pos, end, &first))
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "DELTA_BINARY_PACKED header is truncated");
	if (s->block_size == 0 || s->block_size % 128 != 0 || s->block_size > ((uint64_t) 1 << 31))
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "DELTA_BINARY_PACKED block size %llu is not a positive multiple of 128",
							  (unsigned long long) s->block_size);
	if (s->miniblocks == 0 || s->block_size % s->miniblocks != 0 ||
		(s->block_size / s->miniblocks) % 32 != 0)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "DELTA_BINARY_PACKED block of %llu values cannot have %llu miniblocks",
							  (unsigned long long) s->block_size, (unsigned long long) s->miniblocks);
	s->per_miniblock = s->block_size / s->miniblocks;
	s->last = zigzag_decode(first);
	s->first_pending = s->total > 0;
	s->mb_index = s->miniblocks;	/* no block read yet */
	s->pos = pos;
	s->end = end;
	return LAKE_OK;
}

/* Move to the next miniblock (reading a block header when needed). */
static LakeStatus
delta_next_miniblock(ParquetDeltaState *s, LakeError *err)
{
	uint64_t	mbbytes;

	if (s->mb_data != NULL)
	{
		/* step over the miniblock just finished (its full padded size) */
		mbbytes = s->per_miniblock * (uint64_t) s->mb_width / 8;
		if (mbbytes > (uint64_t) (s->end - s->mb_data))
			s->pos = s->end;
		else
			s->pos = s->mb_data + mbbytes;
		s->mb_data = NULL;
		s->mb_index++;
	}
	if (s->mb_index >= s->miniblocks)
	{
		uint64_t	md;

		if (!read_uleb(&s->pos, s->end, &md))
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "DELTA_BINARY_PACKED block header is truncated");
		s->min_delta = zigzag_decode(md);
		if (s->miniblocks > (uint64_t) (s->end - s->pos))
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "DELTA_BINARY_PACKED miniblock widths run past the end of the page");
		s->widths = s->pos;
		s->pos += s->miniblocks;
		s->mb_index = 0;
	}
	s->mb_width = s->widths[s->mb_index];
	if (s->mb_width > 64)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "DELTA_BINARY_PACKED miniblock bit width %d is over 64", s->mb_width);
	s->mb_data = s->pos;
	s->mb_bitpos = 0;
	s->mb_left = s->per_miniblock;
	return LAKE_OK;
}

/* Produce n values (wrapping 64-bit arithmetic; INT32 callers truncate). */
static LakeStatus
delta_decode(ParquetDeltaState *s, uint64_t *out, size_t n, LakeError *err)
{
	size_t		i = 0;
	LakeStatus	st;

	if ((uint64_t) n > s->total - s->produced)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "DELTA_BINARY_PACKED stream holds %llu values, %llu more are needed",
							  (unsigned long long) (s->total - s->produced),
							  (unsigned long long) n);
	if (n > 0 && s->first_pending)
	{
		out[i++] = s->last;
		s->first_pending = false;
	}
	while (i < n)
	{
		size_t		nbytes;
		size_t		k;
		size_t		take;
		int			w;

		if (s->mb_data == NULL || s->mb_left == 0)
		{
			st = delta_next_miniblock(s, err);
			if (st != LAKE_OK)
				return st;
		}
		w = s->mb_width;
		take = n - i;
		if (take > s->mb_left)
			take = (size_t) s->mb_left;
		nbytes = (size_t) (s->end - s->mb_data);
		if (s->mb_bitpos + (uint64_t) take * w > (uint64_t) nbytes * 8)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "DELTA_BINARY_PACKED miniblock runs past the end of the page");
		if (w == 0)
		{
			for (k = 0; k < take; k++)
			{
				s->last += s->min_delta;
				out[i + k] = s->last;
			}
		}
		else
		{
			uint64_t	bp = s->mb_bitpos;

			for (k = 0; k < take; k++, bp += w)
			{
				s->last += s->min_delta + read_bits(s->mb_data, nbytes, bp, w);
				out[i + k] = s->last;
			}
			s->mb_bitpos = bp;
		}
		s->mb_left -= take;
		i += take;
	}
	s->produced += n;
	return LAKE_OK;
}

/*
 * Where the stream ends (for the delta byte-array encodings, whose data
 * follows the lengths), without decoding: walks the block headers.
 */
static LakeStatus
delta_stream_end(const ParquetDeltaState *s0, const uint8_t **end_out, LakeError *err)
{
	const uint8_t *pos = s0->pos;
	const uint8_t *end = s0->end;
	uint64_t	left = s0->total > 0 ? s0->total - 1 : 0;

	while (left > 0)
	{
		uint64_t	md;
		const uint8_t *widths;
		uint64_t	m;

		if (!read_uleb(&pos, end, &md))
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "DELTA_BINARY_PACKED block header is truncated");
		if (s0->miniblocks > (uint64_t) (end - pos))
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "DELTA_BINARY_PACKED miniblock widths run past the end of the page");
		widths = pos;
		pos += s0->miniblocks;
		for (m = 0; m < s0->miniblocks && left > 0; m++)
		{
			uint64_t	mbbytes;

			if (widths[m] > 64)
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "DELTA_BINARY_PACKED miniblock bit width %d is over 64", widths[m]);
			mbbytes = s0->per_miniblock * widths[m] / 8;
			if (mbbytes > (uint64_t) (end - pos))
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "DELTA_BINARY_PACKED miniblock runs past the end of the page");
			pos += mbbytes;
			left -= left < s0->per_miniblock ? left : s0->per_miniblock;
		}
	}
	*end_out = pos;
	return LAKE_OK;
}

/* Lengths (DELTA_LENGTH_BYTE_ARRAY, prefixes): n values that must fit uint32. */
static LakeStatus
delta_decode_lengths(ParquetDecoder *d, ParquetDeltaState *s, uint32_t *out, size_t n, LakeError *err)
{
	uint64_t	tmp[256];
	size_t		done = 0;
	LakeStatus	st;

	while (done < n)
	{
		size_t		k = n - done < 256 ? n - done : 256;
		size_t		j;

		st = delta_decode(s, tmp, k, err);
		if (st != LAKE_OK)
			return st;
		for (j = 0; j < k; j++)
		{
			int64_t		v = (int64_t) tmp[j];

			if (v < 0 || v > (int64_t) UINT32_MAX)
				return lake_error_set(err, LAKE_ERROR_CORRUPT, "byte array length %lld is out of range",
									  (long long) v);
			out[done + j] = (uint32_t) v;
		}
		done += k;
	}
	return LAKE_OK;
}

/* ------------------------------------------------------------------- init */

static bool
encoding_applies(ParquetEncoding enc, ParquetPhysicalType type)
{
	switch (enc)
	{
		case PQ_ENC_PLAIN:
		case PQ_ENC_PLAIN_DICTIONARY:
		case PQ_ENC_RLE_DICTIONARY:
			return true;
		case PQ_ENC_RLE:
			return type == PQ_BOOLEAN;
		case PQ_ENC_DELTA_BINARY_PACKED:
			return type == PQ_INT32 || type == PQ_INT64;
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
			return type == PQ_BYTE_ARRAY;
		case PQ_ENC_DELTA_BYTE_ARRAY:
			return type == PQ_BYTE_ARRAY || type == PQ_FIXED_LEN_BYTE_ARRAY;
		case PQ_ENC_BYTE_STREAM_SPLIT:
			return type == PQ_FLOAT || type == PQ_DOUBLE || type == PQ_INT32 ||
				type == PQ_INT64 || type == PQ_FIXED_LEN_BYTE_ARRAY;
		default:
			return false;
	}
}

LakeStatus
parquet_decoder_init(ParquetDecoder *d, const LakeAllocator *a, ParquetEncoding encoding,
					 ParquetPhysicalType type, int32_t type_length, const uint8_t *data, size_t len,
					 const ParquetDictionary *dict, uint64_t budget, LakeError *err)
{
	LakeStatus	st;

	memset(d, 0, sizeof(*d));
	d->encoding = encoding;
	d->type = type;
	d->type_length = type_length;
	d->data = data;
	d->pos = data;
	d->end = data + len;
	d->dict = dict;
	d->alloc = a;
	d->budget = budget == 0 ? DEFAULT_BUDGET : budget;

	switch (encoding)
	{
		case PQ_ENC_PLAIN:
		case PQ_ENC_PLAIN_DICTIONARY:
		case PQ_ENC_RLE_DICTIONARY:
		case PQ_ENC_RLE:
		case PQ_ENC_DELTA_BINARY_PACKED:
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
		case PQ_ENC_DELTA_BYTE_ARRAY:
		case PQ_ENC_BYTE_STREAM_SPLIT:
			break;
		default:
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "value encoding %s (%d) is not supported",
								  parquet_encoding_name(encoding), (int) encoding);
	}
	if (!encoding_applies(encoding, type))
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "encoding %s does not apply to physical type %s",
							  parquet_encoding_name(encoding), parquet_physical_type_name(type));
	if (type == PQ_FIXED_LEN_BYTE_ARRAY && type_length <= 0)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "FIXED_LEN_BYTE_ARRAY with length %d", type_length);

	switch (encoding)
	{
		case PQ_ENC_PLAIN_DICTIONARY:
		case PQ_ENC_RLE_DICTIONARY:
			{
				int			bw;

				if (dict == NULL)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "dictionary-encoded page without a dictionary page");
				if (dict->type != type)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "dictionary type does not match the column");
				if (len < 1)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "dictionary indices lack their bit width");
				bw = data[0];
				if (bw > 32)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "dictionary index bit width %d is over 32", bw);
				rle_decoder_init(&d->rle, data + 1, len - 1, bw);
				return LAKE_OK;
			}
		case PQ_ENC_RLE:
			{
				uint32_t	rlen;

				if (len < 4)
					return lake_error_set(err, LAKE_ERROR_CORRUPT, "RLE boolean values lack their length");
				rlen = read_le32(data);
				if (rlen > len - 4)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "RLE boolean length %u exceeds the %zu bytes of the page", rlen, len - 4);
				rle_decoder_init(&d->rle, data + 4, rlen, 1);
				return LAKE_OK;
			}
		case PQ_ENC_DELTA_BINARY_PACKED:
			return delta_init(&d->delta, data, data + len, err);
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
			st = delta_init(&d->delta, data, data + len, err);
			if (st != LAKE_OK)
				return st;
			return delta_stream_end(&d->delta, &d->suffix_pos, err);
		case PQ_ENC_DELTA_BYTE_ARRAY:
			{
				const uint8_t *p;

				st = delta_init(&d->prefix, data, data + len, err);
				if (st != LAKE_OK)
					return st;
				st = delta_stream_end(&d->prefix, &p, err);
				if (st != LAKE_OK)
					return st;
				st = delta_init(&d->delta, p, data + len, err);
				if (st != LAKE_OK)
					return st;
				st = delta_stream_end(&d->delta, &d->suffix_pos, err);
				if (st != LAKE_OK)
					return st;
				d->prev = (const uint8_t *) "";
				d->prev_len = 0;
				return LAKE_OK;
			}
		case PQ_ENC_BYTE_STREAM_SPLIT:
			{
				size_t		w = type == PQ_FIXED_LEN_BYTE_ARRAY ? (size_t) type_length : parquet_value_size(type);

				if (len % w != 0)
					return lake_error_set(err, LAKE_ERROR_CORRUPT,
										  "BYTE_STREAM_SPLIT data of %zu bytes is not a multiple of the %zu-byte value",
										  len, w);
				d->bss_count = len / w;
				return LAKE_OK;
			}
		default:
			return LAKE_OK;
	}
}

/* ------------------------------------------------------------------- next */

static LakeStatus
delta_values(ParquetDecoder *d, void *out, size_t n, LakeError *err)
{
	LakeStatus	st;

	if (d->type == PQ_INT64)
		return delta_decode(&d->delta, (uint64_t *) out, n, err);
	else
	{
		uint64_t	tmp[256];
		int32_t    *o = out;
		size_t		done = 0;

		while (done < n)
		{
			size_t		k = n - done < 256 ? n - done : 256;
			size_t		j;

			st = delta_decode(&d->delta, tmp, k, err);
			if (st != LAKE_OK)
				return st;
			for (j = 0; j < k; j++)
				o[done + j] = (int32_t) (uint32_t) tmp[j];
			done += k;
		}
		return LAKE_OK;
	}
}

static LakeStatus
delta_length_values(ParquetDecoder *d, void *out, size_t n, LakeError *err)
{
	ParquetBytes *o = out;
	uint32_t   *lens;
	size_t		i;
	LakeStatus	st;

	st = ensure_scratch(d, &d->scratch, &d->scratch_cap, n, err);
	if (st != LAKE_OK)
		return st;
	lens = d->scratch;
	st = delta_decode_lengths(d, &d->delta, lens, n, err);
	if (st != LAKE_OK)
		return st;
	for (i = 0; i < n; i++)
	{
		if (lens[i] > (size_t) (d->end - d->suffix_pos))
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "DELTA_LENGTH_BYTE_ARRAY value of %u bytes runs past the end of the page",
								  lens[i]);
		o[i].ptr = d->suffix_pos;
		o[i].len = lens[i];
		d->suffix_pos += lens[i];
	}
	return LAKE_OK;
}

static LakeStatus
delta_byte_array_values(ParquetDecoder *d, void *out, size_t n, LakeError *err)
{
	ParquetBytes *o = out;
	uint32_t   *sfx;
	uint32_t   *pfx;
	size_t		i;
	LakeStatus	st;

	st = ensure_scratch(d, &d->scratch, &d->scratch_cap, n, err);
	if (st == LAKE_OK)
		st = ensure_scratch(d, &d->scratch2, &d->scratch2_cap, n, err);
	if (st != LAKE_OK)
		return st;
	sfx = d->scratch;
	pfx = d->scratch2;
	st = delta_decode_lengths(d, &d->prefix, pfx, n, err);
	if (st == LAKE_OK)
		st = delta_decode_lengths(d, &d->delta, sfx, n, err);
	if (st != LAKE_OK)
		return st;
	for (i = 0; i < n; i++)
	{
		uint8_t    *v;
		size_t		vlen;

		if (pfx[i] > d->prev_len)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "DELTA_BYTE_ARRAY prefix of %u bytes is longer than the previous value (%zu bytes)",
								  pfx[i], d->prev_len);
		if (sfx[i] > (size_t) (d->end - d->suffix_pos))
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "DELTA_BYTE_ARRAY suffix of %u bytes runs past the end of the page", sfx[i]);
		vlen = (size_t) pfx[i] + sfx[i];
		if (vlen > UINT32_MAX)
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "DELTA_BYTE_ARRAY value is too long");
		if (d->type == PQ_FIXED_LEN_BYTE_ARRAY && vlen != (size_t) d->type_length)
			return lake_error_set(err, LAKE_ERROR_CORRUPT,
								  "DELTA_BYTE_ARRAY value of %zu bytes in a FIXED_LEN_BYTE_ARRAY(%d) column",
								  vlen, d->type_length);
		if (pfx[i] == 0)
		{
			/* no prefix: point into the page */
			o[i].ptr = d->suffix_pos;
			o[i].len = (uint32_t) vlen;
		}
		else
		{
			v = arena_alloc(d, vlen, err);
			if (v == NULL)
				return err->status;
			memcpy(v, d->prev, pfx[i]);
			memcpy(v + pfx[i], d->suffix_pos, sfx[i]);
			o[i].ptr = v;
			o[i].len = (uint32_t) vlen;
		}
		d->suffix_pos += sfx[i];
		d->prev = o[i].ptr;
		d->prev_len = vlen;
	}
	return LAKE_OK;
}

static LakeStatus
bss_values(ParquetDecoder *d, void *out, size_t n, LakeError *err)
{
	size_t		w = d->type == PQ_FIXED_LEN_BYTE_ARRAY ? (size_t) d->type_length : parquet_value_size(d->type);
	uint64_t	count = d->bss_count;
	uint64_t	start = d->bss_index;
	uint8_t    *dst;
	size_t		i,
				b;

	if ((uint64_t) n > count - start)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "BYTE_STREAM_SPLIT page holds %llu values, %zu more are needed",
							  (unsigned long long) (count - start), n);
	if (d->type == PQ_FIXED_LEN_BYTE_ARRAY)
	{
		ParquetBytes *o = out;

		if (n > 0 && w > SIZE_MAX / n)
			return lake_error_set(err, LAKE_ERROR_LIMIT, "BYTE_STREAM_SPLIT batch too large");
		dst = n == 0 ? NULL : arena_alloc(d, n * w, err);
		if (n > 0 && dst == NULL)
			return err->status;
		for (i = 0; i < n; i++)
		{
			o[i].ptr = dst + i * w;
			o[i].len = (uint32_t) w;
		}
	}
	else
		dst = out;
	for (b = 0; b < w; b++)
	{
		const uint8_t *src = d->data + b * count + start;

		for (i = 0; i < n; i++)
			dst[i * w + b] = src[i];
	}
	d->bss_index += n;
	return LAKE_OK;
}

static LakeStatus
rle_boolean_values(ParquetDecoder *d, void *out, size_t n, LakeError *err)
{
	bool	   *o = out;
	size_t		i;
	LakeStatus	st;

	st = ensure_scratch(d, &d->scratch, &d->scratch_cap, n, err);
	if (st != LAKE_OK)
		return st;
	st = rle_decode_uint32(&d->rle, d->scratch, n, err);
	if (st != LAKE_OK)
	{
		lake_error_prefix(err, "RLE boolean values: ");
		return st;
	}
	for (i = 0; i < n; i++)
		o[i] = d->scratch[i] != 0;
	return LAKE_OK;
}

LakeStatus
parquet_decoder_next(ParquetDecoder *d, void *out, size_t n, LakeError *err)
{
	LakeStatus	st;

	if (n == 0)
		return LAKE_OK;
	switch (d->encoding)
	{
		case PQ_ENC_PLAIN:
			st = plain_decode(d->type, d->type_length, &d->pos, d->end, &d->bit_index, out, n, err);
			if (st != LAKE_OK)
				lake_error_prefix(err, "at offset %zu: ", (size_t) (d->pos - d->data));
			return st;
		case PQ_ENC_PLAIN_DICTIONARY:
		case PQ_ENC_RLE_DICTIONARY:
			return dict_decode(d, out, n, err);
		case PQ_ENC_RLE:
			return rle_boolean_values(d, out, n, err);
		case PQ_ENC_DELTA_BINARY_PACKED:
			return delta_values(d, out, n, err);
		case PQ_ENC_DELTA_LENGTH_BYTE_ARRAY:
			return delta_length_values(d, out, n, err);
		case PQ_ENC_DELTA_BYTE_ARRAY:
			return delta_byte_array_values(d, out, n, err);
		case PQ_ENC_BYTE_STREAM_SPLIT:
			return bss_values(d, out, n, err);
		default:
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED, "value encoding %d is not supported",
								  (int) d->encoding);
	}
}

LakeStatus
parquet_decoder_skip(ParquetDecoder *d, size_t n, LakeError *err)
{
	uint8_t		tmp[256 * sizeof(ParquetBytes)];
	size_t		per = sizeof(tmp) / parquet_value_size(d->type);
	LakeStatus	st;

	while (n > 0)
	{
		size_t		k = n < per ? n : per;

		st = parquet_decoder_next(d, tmp, k, err);
		if (st != LAKE_OK)
			return st;
		n -= k;
	}
	return LAKE_OK;
}

void
parquet_decoder_begin_batch(ParquetDecoder *d)
{
	if (d->arena == NULL)
		return;
	/* keep DELTA_BYTE_ARRAY's previous value: it may live in the arena */
	if (d->encoding == PQ_ENC_DELTA_BYTE_ARRAY && d->prev_len > 0 &&
		d->prev != d->prev_own)
	{
		if (d->prev_cap < d->prev_len)
		{
			uint8_t    *p = d->alloc->alloc(d->alloc->ctx, d->prev_len);

			if (p == NULL)
				return;			/* keep the arena; memory stays valid */
			lake_free(d->alloc, d->prev_own);
			d->prev_own = p;
			d->prev_cap = d->prev_len;
		}
		memmove(d->prev_own, d->prev, d->prev_len);
		d->prev = d->prev_own;
	}
	arena_free(d);
}

void
parquet_decoder_release(ParquetDecoder *d)
{
	if (d->alloc == NULL)
		return;
	arena_free(d);
	lake_free(d->alloc, d->scratch);
	lake_free(d->alloc, d->scratch2);
	lake_free(d->alloc, d->prev_own);
	d->scratch = NULL;
	d->scratch2 = NULL;
	d->prev_own = NULL;
	d->scratch_cap = 0;
	d->scratch2_cap = 0;
	d->prev_cap = 0;
}
