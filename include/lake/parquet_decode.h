/*
 * parquet_decode.h
 *	  Value decoders over the bytes of one Parquet page: PLAIN for every
 *	  physical type, dictionary pages and dictionary-index data pages, RLE
 *	  booleans, DELTA_BINARY_PACKED, DELTA_LENGTH_BYTE_ARRAY,
 *	  DELTA_BYTE_ARRAY and BYTE_STREAM_SPLIT.
 *
 * A decoder streams: parquet_decoder_next produces the next n values of the
 * page into an array the caller sized for n.  Values are in the physical
 * representation of parquet_reader.h (BOOLEAN bool, INT32 int32_t, INT64
 * int64_t, FLOAT float, DOUBLE double, INT96 / BYTE_ARRAY /
 * FIXED_LEN_BYTE_ARRAY ParquetBytes).  ParquetBytes point into the page
 * (borrowed: valid while the page bytes are) or, for DELTA_BYTE_ARRAY and
 * BYTE_STREAM_SPLIT of FIXED_LEN_BYTE_ARRAY, into the decoder's arena, which
 * is valid until parquet_decoder_begin_batch or parquet_decoder_release.
 *
 * Every read is bounds-checked: running out of page bytes, a dictionary
 * index out of range, or a malformed header is LAKE_ERROR_CORRUPT.  Memory
 * is allocated only for scratch sized by n (the caller's batch) and for the
 * arena, which is bounded by the budget given at init (LAKE_ERROR_LIMIT).
 */
#ifndef LAKE_PARQUET_DECODE_H
#define LAKE_PARQUET_DECODE_H

#include "lake/parquet_metadata.h"
#include "lake/rle.h"

/* Size of one value in the physical representation (bool for BOOLEAN). */
extern size_t parquet_value_size(ParquetPhysicalType type);

/*
 * A dictionary: the values of a dictionary page (PLAIN-encoded), decoded
 * once.  ParquetBytes point into the page bytes given to
 * parquet_dictionary_decode, which the caller keeps alive with it.
 */
typedef struct ParquetDictionary
{
	ParquetPhysicalType type;
	int32_t		type_length;
	uint32_t	num_values;
	void	   *values;			/* owned: num_values values */
	const LakeAllocator *alloc;
} ParquetDictionary;

extern LakeStatus parquet_dictionary_decode(const LakeAllocator *a, ParquetPhysicalType type,
											int32_t type_length, const uint8_t *data, size_t len,
											int32_t num_values, ParquetDictionary *out, LakeError *err);
extern void parquet_dictionary_release(ParquetDictionary *dict);

/* The arena of materialised byte strings (a list of blocks). */
typedef struct ParquetArenaBlock ParquetArenaBlock;

/* DELTA_BINARY_PACKED stream state (also used for lengths of the delta byte-array encodings). */
typedef struct ParquetDeltaState
{
	const uint8_t *pos;			/* next unread byte */
	const uint8_t *end;
	uint64_t	block_size;
	uint64_t	miniblocks;		/* per block */
	uint64_t	per_miniblock;	/* values per miniblock */
	uint64_t	total;			/* values in the stream (header) */
	uint64_t	produced;		/* values handed out so far */
	uint64_t	last;			/* last value (wrapping) */
	uint64_t	min_delta;
	uint64_t	mb_index;		/* miniblock within the block */
	uint64_t	mb_left;		/* values left in the current miniblock */
	const uint8_t *mb_data;		/* start of the current miniblock's bits */
	uint64_t	mb_bitpos;		/* bit offset within it */
	int			mb_width;
	const uint8_t *widths;		/* the block's bit widths */
	bool		first_pending;	/* the first value is still to be returned */
} ParquetDeltaState;

typedef struct ParquetDecoder
{
	ParquetEncoding encoding;
	ParquetPhysicalType type;
	int32_t		type_length;
	const uint8_t *data;		/* the page's value bytes (borrowed) */
	const uint8_t *pos;
	const uint8_t *end;
	const ParquetDictionary *dict;	/* for dictionary indices (borrowed) */
	const LakeAllocator *alloc;
	uint64_t	budget;			/* arena bytes allowed */

	/* PLAIN BOOLEAN */
	uint64_t	bit_index;
	/* dictionary indices, RLE booleans */
	RleDecoder	rle;
	/* scratch (indices, lengths), sized by the largest n asked for */
	uint32_t   *scratch;
	size_t		scratch_cap;
	/* delta encodings */
	ParquetDeltaState delta;	/* values or (byte arrays) lengths */
	ParquetDeltaState prefix;	/* DELTA_BYTE_ARRAY prefix lengths */
	const uint8_t *suffix_pos;	/* DELTA_LENGTH/DELTA_BYTE_ARRAY: the bytes */
	const uint8_t *prev;		/* DELTA_BYTE_ARRAY: previous value (arena or prev_own) */
	size_t		prev_len;
	uint8_t    *prev_own;		/* owned copy kept across parquet_decoder_begin_batch */
	size_t		prev_cap;
	uint32_t   *scratch2;		/* DELTA_BYTE_ARRAY: prefix lengths */
	size_t		scratch2_cap;
	/* BYTE_STREAM_SPLIT */
	uint64_t	bss_count;		/* values in the page */
	uint64_t	bss_index;		/* next value */
	/* arena for materialised bytes */
	ParquetArenaBlock *arena;
	uint64_t	arena_bytes;
} ParquetDecoder;

/*
 * Initialise a decoder over len bytes of data (borrowed) for encoding and
 * type.  dict is required for PLAIN_DICTIONARY / RLE_DICTIONARY.  budget
 * bounds the arena (0: 256 MiB).  An encoding that does not apply to the
 * type is LAKE_ERROR_CORRUPT; one we do not know LAKE_ERROR_UNSUPPORTED.
 */
extern LakeStatus parquet_decoder_init(ParquetDecoder *d, const LakeAllocator *a,
									   ParquetEncoding encoding, ParquetPhysicalType type,
									   int32_t type_length, const uint8_t *data, size_t len,
									   const ParquetDictionary *dict, uint64_t budget,
									   LakeError *err);

/* Decode the next n values into out (room for n values). */
extern LakeStatus parquet_decoder_next(ParquetDecoder *d, void *out, size_t n, LakeError *err);

/* Decode and discard n values. */
extern LakeStatus parquet_decoder_skip(ParquetDecoder *d, size_t n, LakeError *err);

/* Free the arena: values materialised before this call become invalid. */
extern void parquet_decoder_begin_batch(ParquetDecoder *d);

/* Free everything the decoder allocated. */
extern void parquet_decoder_release(ParquetDecoder *d);

#endif							/* LAKE_PARQUET_DECODE_H */
