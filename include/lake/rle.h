/*
 * rle.h
 *	  Parquet's RLE / bit-packed hybrid encoding (definition and repetition
 *	  levels, dictionary indices, RLE booleans), both directions.
 *
 * The decoder never reads past the bytes it was given: running out of input
 * before the requested values are produced is LAKE_ERROR_CORRUPT.  It
 * allocates nothing; callers pass output arrays they sized themselves.
 */
#ifndef LAKE_RLE_H
#define LAKE_RLE_H

#include "lake/lake_common.h"

typedef struct RleDecoder
{
	const uint8_t *start;		/* for offsets in messages */
	const uint8_t *pos;			/* next run header, or next group of the open bit-packed run */
	const uint8_t *end;
	int			bit_width;		/* 0..32 */
	/* current run (private) */
	uint64_t	rle_remaining;	/* values left in the RLE run */
	uint32_t	rle_value;
	uint64_t	packed_remaining;	/* values of the bit-packed run still in bytes at pos */
	const uint8_t *packed_end;	/* where the bit-packed run's bytes end */
	uint32_t	group[8];		/* an unpacked group being served */
	int			group_pos;		/* next value in group[] */
	int			group_len;		/* values in group[] */
} RleDecoder;

/*
 * bit_width 0 decodes zeros forever (a column whose max level is 0).
 * A bit-packed run whose last groups were cut off by the end of the input is
 * accepted as far as its bytes go: only asking for a value whose bits are
 * missing is LAKE_ERROR_CORRUPT.  The hybrid's length prefix (for levels in
 * data page v1) is the caller's: pass the bytes after it.
 */
extern void rle_decoder_init(RleDecoder *d, const uint8_t *data, size_t len, int bit_width);

/* Decode exactly count values. */
extern LakeStatus rle_decode_uint32(RleDecoder *d, uint32_t *out, size_t count, LakeError *err);
extern LakeStatus rle_decode_int16(RleDecoder *d, int16_t *out, size_t count, LakeError *err);
/* Skip count values. */
extern LakeStatus rle_skip(RleDecoder *d, size_t count, LakeError *err);

/* Smallest bit width that holds max_value (0 for 0). */
extern int	rle_bit_width(uint32_t max_value);

/* Encoder: buffers values and appends runs to out. */
typedef struct RleEncoder
{
	LakeBuffer *out;
	int			bit_width;
	uint32_t	buffered[8];	/* values not yet emitted */
	int			num_buffered;
	uint32_t	repeat_value;
	uint32_t	repeat_count;
	size_t		packed_header_pos;	/* offset of the open bit-packed run's header, or SIZE_MAX */
	uint32_t	packed_groups;	/* groups of 8 in the open bit-packed run */
} RleEncoder;

extern void rle_encoder_init(RleEncoder *e, LakeBuffer *out, int bit_width);
extern LakeStatus rle_encoder_put(RleEncoder *e, uint32_t value, LakeError *err);
/* Emit everything buffered; the encoder may then be re-initialised. */
extern LakeStatus rle_encoder_flush(RleEncoder *e, LakeError *err);

/*
 * Bulk encoders: append count values to out in one call (runs of 8 or more
 * equal values as RLE runs, everything else bit-packed in runs of at most 63
 * groups, the last group padded with zeros); the same format as the
 * streaming encoder, several times faster.  A value that does not fit
 * bit_width (or a negative level) is LAKE_ERROR_INVALID.  rle_encode_int16
 * takes bit widths up to 16.
 */
extern LakeStatus rle_encode_uint32(LakeBuffer *out, const uint32_t *values, size_t count, int bit_width,
									LakeError *err);
extern LakeStatus rle_encode_int16(LakeBuffer *out, const int16_t *values, size_t count, int bit_width,
								   LakeError *err);
/* count copies of value as RLE runs (nothing for count 0). */
extern LakeStatus rle_encode_repeat(LakeBuffer *out, uint32_t value, size_t count, int bit_width,
									LakeError *err);

#endif							/* LAKE_RLE_H */
