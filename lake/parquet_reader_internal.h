/*
 * parquet_reader_internal.h
 *	  The reader's structs, shared by parquet_reader.c (open, pushdown),
 *	  parquet_column_reader.c (pages, levels, batches) and parquet_nested.c
 *	  (record assembly).  Not part of the contract.
 */
#ifndef LAKE_PARQUET_READER_INTERNAL_H
#define LAKE_PARQUET_READER_INTERNAL_H

#include "lake/parquet_decode.h"
#include "lake/parquet_reader.h"

struct ParquetReader
{
	const LakeAllocator *alloc;
	LakeInput  *in;				/* borrowed */
	char	   *name;			/* owned, for messages */
	uint64_t	budget;
	ParquetFileMetaData md;
	ParquetSchema schema;
	uint64_t	footer_start;	/* file offset where the footer begins */
};

/* Chunk byte range after validation at open. */
extern void parquet_reader_chunk_range(const ParquetColumnMetaData *cmd, uint64_t *start, uint64_t *len);

#endif							/* LAKE_PARQUET_READER_INTERNAL_H */
