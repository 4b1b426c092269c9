/*
 * fuzz_parquet_metadata.c
 *	  libFuzzer harness for the Thrift-compact decoders of lake/: the file
 *	  footer (parquet_metadata_decode, then parquet_schema_build and the
 *	  statistics decoders) and page headers (parquet_page_header_decode).
 *
 * The input is decoded three ways: as footer bytes; as a run of page
 * headers, each followed by its compressed_page_size bytes of payload; and,
 * when it looks like a whole Parquet file ("PAR1" ... footer, length,
 * "PAR1"), its footer and its first page header.  So both footers and whole
 * files make useful seeds.
 *
 * Properties checked (a trap when broken): a failure sets a status and a
 * message; a decoded header length lies within the input; and a footer that
 * decodes re-encodes, decodes again to the same counts, and re-encodes to
 * the same bytes (encode is a fixed point after one round trip).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/lake_common.h"
#include "lake/parquet_metadata.h"
#include "lake/parquet_schema.h"
#include "lake/parquet_value.h"

#define FUZZ_ASSERT(cond) \
	do { \
		if (!(cond)) \
		{ \
			fprintf(stderr, "%s:%d: contract broken: %s\n", __FILE__, __LINE__, #cond); \
			__builtin_trap(); \
		} \
	} while (0)

#define FUZZ_MAX_PAGE_HEADERS 4096

static volatile uint64_t fuzz_sink;

/*
 * An allocator that records every block so that the metadata (which has no
 * free function: it is meant for a context that is reset as a whole) can be
 * released after each input.
 */
typedef struct TrackedBlock
{
	struct TrackedBlock *next;
	struct TrackedBlock *prev;
	/* the caller's bytes follow, maximally aligned */
	max_align_t align[];
} TrackedBlock;

static TrackedBlock tracked_head = {&tracked_head, &tracked_head};

static void *
tracked_alloc(void *ctx, size_t size)
{
	TrackedBlock *b;

	if (size > SIZE_MAX - sizeof(TrackedBlock))
		return NULL;
	b = malloc(sizeof(TrackedBlock) + size);
	if (b == NULL)
		return NULL;
	b->next = tracked_head.next;
	b->prev = &tracked_head;
	tracked_head.next->prev = b;
	tracked_head.next = b;
	return b->align;
}

static void
tracked_free(void *ctx, void *ptr)
{
	TrackedBlock *b;

	if (ptr == NULL)
		return;
	b = (TrackedBlock *) ((char *) ptr - offsetof(TrackedBlock, align));
	b->prev->next = b->next;
	b->next->prev = b->prev;
	free(b);
}

static void
tracked_reset(void)
{
	while (tracked_head.next != &tracked_head)
		tracked_free(NULL, tracked_head.next->align);
}

static const LakeAllocator tracked_allocator = {tracked_alloc, tracked_free, NULL};

static void
check_failure(LakeStatus st, const LakeError *err)
{
	FUZZ_ASSERT(st != LAKE_OK);
	FUZZ_ASSERT(memchr(err->message, '\0', sizeof(err->message)) != NULL);
	FUZZ_ASSERT(err->message[0] != '\0');
}

static void
touch_statistics(const ParquetStatistics *s)
{
	uint64_t	sum = 0;

	if (s->has_min)
		for (uint32_t i = 0; i < s->min.len; i++)
			sum += s->min.ptr[i];
	if (s->has_max)
		for (uint32_t i = 0; i < s->max.len; i++)
			sum += s->max.ptr[i];
	fuzz_sink += sum;
}

/* Walk everything a decoded footer owns (ASan sees a bad pointer). */
static void
touch_metadata(const ParquetFileMetaData *md)
{
	uint64_t	sum = 0;

	FUZZ_ASSERT(md->num_schema >= 0 && md->num_row_groups >= 0 && md->num_key_value >= 0);
	for (int i = 0; i < md->num_schema; i++)
		if (md->schema[i].name != NULL)
			sum += strlen(md->schema[i].name);
	for (int i = 0; i < md->num_key_value; i++)
	{
		FUZZ_ASSERT(md->key_value[i].key != NULL);
		sum += strlen(md->key_value[i].key);
		if (md->key_value[i].value != NULL)
			sum += strlen(md->key_value[i].value);
	}
	if (md->created_by != NULL)
		sum += strlen(md->created_by);
	for (int g = 0; g < md->num_row_groups; g++)
	{
		const ParquetRowGroup *rg = &md->row_groups[g];

		FUZZ_ASSERT(rg->num_columns >= 0 && rg->num_rows >= 0);
		for (int c = 0; c < rg->num_columns; c++)
		{
			const ParquetColumnChunk *cc = &rg->columns[c];

			if (cc->file_path != NULL)
				sum += strlen(cc->file_path);
			if (!cc->has_meta_data)
				continue;
			for (int p = 0; p < cc->meta_data.path_len; p++)
				sum += strlen(cc->meta_data.path_in_schema[p]);
			for (int e = 0; e < cc->meta_data.num_encodings; e++)
				sum += (uint32_t) cc->meta_data.encodings[e];
			if (cc->meta_data.has_statistics)
				touch_statistics(&cc->meta_data.statistics);
		}
	}
	fuzz_sink += sum;
}

/* Schema resolution and statistics decoding over a decoded footer. */
static void
check_schema_and_stats(const ParquetFileMetaData *md)
{
	ParquetSchema schema;
	LakeError	err;
	LakeStatus	st;

	st = parquet_schema_build(&tracked_allocator, md->schema, md->num_schema, &schema, &err);
	if (st != LAKE_OK)
	{
		check_failure(st, &err);
		return;
	}
	for (int l = 0; l < schema.num_leaves; l++)
	{
		const ParquetLeaf *leaf = &schema.leaves[l];

		FUZZ_ASSERT(leaf->max_def >= 0 && leaf->max_rep >= 0 && leaf->max_rep <= leaf->max_def);
		FUZZ_ASSERT(leaf->field >= 0 && leaf->field < schema.num_fields);
		fuzz_sink += strlen(leaf->path);
		fuzz_sink += (uint64_t) parquet_physical_width(leaf->element);
		for (int g = 0; g < md->num_row_groups; g++)
		{
			const ParquetColumnChunk *cc;
			const ParquetStatistics *s;
			ParquetValue min,
						max;
			uint8_t		buf[64];

			if (l >= md->row_groups[g].num_columns)
				break;
			cc = &md->row_groups[g].columns[l];
			if (!cc->has_meta_data || !cc->meta_data.has_statistics)
				continue;
			s = &cc->meta_data.statistics;
			fuzz_sink += parquet_value_stats_usable(leaf->element, s);
			if (s->has_min && s->has_max &&
				parquet_value_from_stat(leaf->element, s->min, &min) &&
				parquet_value_from_stat(leaf->element, s->max, &max))
			{
				int			width = parquet_physical_width(leaf->element);
				size_t		need = width > 0 ? (size_t) width : min.bytes.len;

				fuzz_sink += (uint64_t) (parquet_value_compare(leaf->element, &min, &max) + 1);
				if (need <= sizeof(buf))
					fuzz_sink += parquet_value_to_stat(leaf->element, &min, buf, sizeof(buf));
			}
		}
	}
	for (int f = 0; f < schema.num_fields; f++)
	{
		const char *name = schema.fields[f].element->name;

		if (name != NULL)
			FUZZ_ASSERT(parquet_schema_find_field(&schema, name) >= 0);
	}
}

static void
decode_footer(const uint8_t *data, size_t size)
{
	ParquetFileMetaData md,
				md2;
	LakeBuffer	enc1,
				enc2;
	LakeError	err;
	LakeStatus	st;

	memset(&md, 0, sizeof(md));
	st = parquet_metadata_decode(&tracked_allocator, data, size, &md, &err);
	if (st != LAKE_OK)
	{
		check_failure(st, &err);
		tracked_reset();
		return;
	}
	touch_metadata(&md);
	check_schema_and_stats(&md);

	/* round trip: encode, decode, encode again: the same bytes */
	lake_buffer_init(&enc1, &tracked_allocator);
	lake_buffer_init(&enc2, &tracked_allocator);
	st = parquet_metadata_encode(&md, &enc1, &err);
	if (st != LAKE_OK)
	{
		check_failure(st, &err);
		tracked_reset();
		return;
	}
	memset(&md2, 0, sizeof(md2));
	st = parquet_metadata_decode(&tracked_allocator, enc1.data, enc1.len, &md2, &err);
	if (st != LAKE_OK)
	{
		fprintf(stderr, "re-encoded footer does not decode: %s\n", err.message);
		FUZZ_ASSERT(st == LAKE_OK);
	}
	FUZZ_ASSERT(md2.num_rows == md.num_rows);
	FUZZ_ASSERT(md2.num_schema == md.num_schema);
	FUZZ_ASSERT(md2.num_row_groups == md.num_row_groups);
	FUZZ_ASSERT(md2.num_key_value == md.num_key_value);
	FUZZ_ASSERT(md2.version == md.version);
	st = parquet_metadata_encode(&md2, &enc2, &err);
	FUZZ_ASSERT(st == LAKE_OK);
	FUZZ_ASSERT(enc2.len == enc1.len && memcmp(enc1.data, enc2.data, enc1.len) == 0);
	tracked_reset();
}

/* Decode page headers back to back, each followed by its payload. */
static void
decode_page_headers(const uint8_t *data, size_t size)
{
	size_t		pos = 0;

	for (int n = 0; n < FUZZ_MAX_PAGE_HEADERS && pos < size; n++)
	{
		ParquetPageHeader h;
		size_t		header_len = 0;
		LakeError	err;
		LakeStatus	st;

		st = parquet_page_header_decode(data + pos, size - pos, &h, &header_len, &err);
		if (st != LAKE_OK)
		{
			check_failure(st, &err);
			return;
		}
		FUZZ_ASSERT(header_len > 0 && header_len <= size - pos);
		if (h.has_data_page_header && h.data_page_header.has_statistics)
			touch_statistics(&h.data_page_header.statistics);
		if (h.has_data_page_header_v2 && h.data_page_header_v2.has_statistics)
			touch_statistics(&h.data_page_header_v2.statistics);

		/* a decoded header re-encodes and decodes to the same length */
		{
			LakeBuffer	enc;
			ParquetPageHeader h2;
			size_t		len2 = 0;

			lake_buffer_init(&enc, &lake_malloc_allocator);
			st = parquet_page_header_encode(&h, &enc, &err);
			FUZZ_ASSERT(st == LAKE_OK);
			st = parquet_page_header_decode(enc.data, enc.len, &h2, &len2, &err);
			FUZZ_ASSERT(st == LAKE_OK);
			FUZZ_ASSERT(len2 == enc.len);
			FUZZ_ASSERT(h2.type == h.type);
			FUZZ_ASSERT(h2.compressed_page_size == h.compressed_page_size);
			FUZZ_ASSERT(h2.uncompressed_page_size == h.uncompressed_page_size);
			lake_buffer_free(&enc);
		}

		pos += header_len;
		if (h.compressed_page_size < 0 || (size_t) h.compressed_page_size > size - pos)
			return;
		pos += (size_t) h.compressed_page_size;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	decode_footer(data, size);
	decode_page_headers(data, size);

	/* a whole file: its footer and its first page header */
	if (size >= 12 && memcmp(data, "PAR1", 4) == 0 && memcmp(data + size - 4, "PAR1", 4) == 0)
	{
		uint32_t	footer_len = (uint32_t) data[size - 8] |
			((uint32_t) data[size - 7] << 8) |
			((uint32_t) data[size - 6] << 16) |
			((uint32_t) data[size - 5] << 24);

		if (footer_len <= size - 12)
			decode_footer(data + size - 8 - footer_len, footer_len);
		decode_page_headers(data + 4, size - 12);
	}
	return 0;
}
