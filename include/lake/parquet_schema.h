/*
 * parquet_schema.h
 *	  The schema tree of a Parquet file resolved into top-level fields and
 *	  leaf columns with their maximum definition and repetition levels.
 *	  Shared by the reader and the writer.
 */
#ifndef LAKE_PARQUET_SCHEMA_H
#define LAKE_PARQUET_SCHEMA_H

#include "lake/parquet_metadata.h"

/* A leaf (primitive) column: one column chunk per row group. */
typedef struct ParquetLeaf
{
	int			schema_index;	/* index into the element array */
	const ParquetSchemaElement *element;	/* borrowed from the element array */
	char	   *path;			/* dotted path, e.g. "add.stats" (owned by the schema) */
	int16_t		max_def;
	int16_t		max_rep;
	int			field;			/* the top-level field this leaf belongs to */
} ParquetLeaf;

/* A top-level field: a child of the root, primitive or group. */
typedef struct ParquetField
{
	int			schema_index;
	const ParquetSchemaElement *element;
	int			first_leaf;		/* leaves of a field are contiguous */
	int			num_leaves;
	bool		is_nested;		/* a group, or repeated */
} ParquetField;

typedef struct ParquetSchema
{
	const ParquetSchemaElement *elements;	/* borrowed */
	int			num_elements;
	ParquetLeaf *leaves;
	int			num_leaves;
	ParquetField *fields;
	int			num_fields;
	int16_t    *parent;			/* parent element index per element (-1 for root) */
} ParquetSchema;

/*
 * Resolve the depth-first element array (root first).  Checks the tree:
 * num_children adds up exactly, leaves have a physical type, groups do not,
 * depth at most 64, FIXED_LEN_BYTE_ARRAY has 0 < type_length, repetition is
 * present below the root.  Errors are LAKE_ERROR_CORRUPT.
 */
extern LakeStatus parquet_schema_build(const LakeAllocator *a, const ParquetSchemaElement *elements,
									   int num_elements, ParquetSchema *out, LakeError *err);

/* Free what parquet_schema_build allocated; leaves out zeroed. */
extern void parquet_schema_free(const LakeAllocator *a, ParquetSchema *schema);

/* Top-level field by name: exact match first, then a unique case-insensitive one; -1 if none. */
extern int	parquet_schema_find_field(const ParquetSchema *schema, const char *name);

/* Width in bytes of a fixed-width physical type's value (BOOLEAN 1, INT96 12, FLBA type_length), 0 for BYTE_ARRAY. */
extern int	parquet_physical_width(const ParquetSchemaElement *leaf);

#endif							/* LAKE_PARQUET_SCHEMA_H */
