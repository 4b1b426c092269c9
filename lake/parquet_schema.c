/*
 * parquet_schema.c
 *	  Resolves a Parquet schema (the depth-first SchemaElement array of the
 *	  footer) into top-level fields and leaf columns with dotted paths and
 *	  maximum definition / repetition levels, checking that the tree is
 *	  well formed.
 */
#include "lake/parquet_schema.h"

#include <string.h>
#include <strings.h>

#define SCHEMA_MAX_DEPTH 64

typedef struct SchemaFrame
{
	int			index;			/* element index of the open group */
	int32_t		remaining;		/* children still to come */
} SchemaFrame;

static LakeStatus
schema_corrupt_at(LakeError *err, const ParquetSchemaElement *elements, int i, const char *what)
{
	const char *name = elements[i].name ? elements[i].name : "";

	return lake_error_set(err, LAKE_ERROR_CORRUPT, "invalid parquet schema: element %d (\"%s\") %s",
						  i, name, what);
}

/* Pass 1: check the tree and fill parent[]; count the leaves. */
static LakeStatus
schema_check_tree(const ParquetSchemaElement *elements, int n, int16_t *parent,
				  int *num_leaves, LakeError *err)
{
	SchemaFrame stack[SCHEMA_MAX_DEPTH + 1];
	int			sp = 0;
	int			i = 1;

	*num_leaves = 0;
	if (elements[0].has_type)
		return schema_corrupt_at(err, elements, 0, "is the root but has a physical type");
	if (elements[0].num_children < 0)
		return schema_corrupt_at(err, elements, 0, "has a negative number of children");
	parent[0] = -1;
	stack[0].index = 0;
	stack[0].remaining = elements[0].num_children;

	while (sp >= 0)
	{
		const ParquetSchemaElement *e;

		if (stack[sp].remaining == 0)
		{
			sp--;
			continue;
		}
		if (i >= n)
			return schema_corrupt_at(err, elements, stack[sp].index,
									 "claims more children than the schema has elements");
		stack[sp].remaining--;
		e = &elements[i];
		parent[i] = (int16_t) stack[sp].index;

		if (e->name == NULL)
			return lake_error_set(err, LAKE_ERROR_CORRUPT, "invalid parquet schema: element %d has no name", i);
		if (!e->has_repetition)
			return schema_corrupt_at(err, elements, i, "has no repetition type");
		if (e->repetition != PQ_REQUIRED && e->repetition != PQ_OPTIONAL && e->repetition != PQ_REPEATED)
			return schema_corrupt_at(err, elements, i, "has an unknown repetition type");
		if (e->num_children < 0)
			return schema_corrupt_at(err, elements, i, "has a negative number of children");
		if (sp + 1 > SCHEMA_MAX_DEPTH)
			return schema_corrupt_at(err, elements, i, "is nested more than 64 levels deep");

		if (e->num_children > 0)
		{
			if (e->has_type)
				return schema_corrupt_at(err, elements, i, "has children and a physical type");
			sp++;
			stack[sp].index = i;
			stack[sp].remaining = e->num_children;
		}
		else
		{
			if (!e->has_type)
				return schema_corrupt_at(err, elements, i, "is a group without children");
			if (e->type < PQ_BOOLEAN || e->type > PQ_FIXED_LEN_BYTE_ARRAY)
				return schema_corrupt_at(err, elements, i, "has an unknown physical type");
			if (e->type == PQ_FIXED_LEN_BYTE_ARRAY && e->type_length <= 0)
				return schema_corrupt_at(err, elements, i, "is a FIXED_LEN_BYTE_ARRAY without a positive type_length");
			(*num_leaves)++;
		}
		i++;
	}
	if (i != n)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "invalid parquet schema: %d elements follow the end of the schema tree",
							  n - i);
	return LAKE_OK;
}

/* dotted path of element idx (below the root) and its levels */
static char *
schema_leaf_path(const LakeAllocator *a, const ParquetSchemaElement *elements, const int16_t *parent,
				 int idx, int16_t *max_def, int16_t *max_rep, LakeError *err)
{
	size_t		len = 0;
	int			k;
	char	   *path;
	size_t		pos;

	*max_def = 0;
	*max_rep = 0;
	for (k = idx; k > 0; k = parent[k])
	{
		len += strlen(elements[k].name) + 1;
		if (elements[k].repetition != PQ_REQUIRED)
			(*max_def)++;
		if (elements[k].repetition == PQ_REPEATED)
			(*max_rep)++;
	}
	path = lake_alloc(a, len, err);
	if (path == NULL)
		return NULL;
	pos = len - 1;
	path[pos] = '\0';
	for (k = idx; k > 0; k = parent[k])
	{
		size_t		nl = strlen(elements[k].name);

		pos -= nl;
		memcpy(path + pos, elements[k].name, nl);
		if (pos > 0)
			path[--pos] = '.';
	}
	return path;
}

void
parquet_schema_free(const LakeAllocator *a, ParquetSchema *schema)
{
	int			i;

	if (schema == NULL)
		return;
	if (schema->leaves != NULL)
	{
		for (i = 0; i < schema->num_leaves; i++)
			lake_free(a, schema->leaves[i].path);
		lake_free(a, schema->leaves);
	}
	lake_free(a, schema->fields);
	lake_free(a, schema->parent);
	memset(schema, 0, sizeof(*schema));
}

LakeStatus
parquet_schema_build(const LakeAllocator *a, const ParquetSchemaElement *elements,
					 int num_elements, ParquetSchema *out, LakeError *err)
{
	LakeStatus	st;
	int			num_leaves;
	int			num_fields;
	int			i;
	int			leaf = 0;
	int			field = -1;

	memset(out, 0, sizeof(*out));
	if (num_elements < 1 || elements == NULL)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "invalid parquet schema: no root element");
	if (num_elements > INT16_MAX)
		return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
							  "parquet schemas of more than %d elements are not supported (this one has %d)",
							  INT16_MAX, num_elements);
	out->elements = elements;
	out->num_elements = num_elements;
	out->parent = lake_alloc_array(a, (size_t) num_elements, sizeof(int16_t), err);
	if (out->parent == NULL)
		return LAKE_ERROR_NOMEM;
	st = schema_check_tree(elements, num_elements, out->parent, &num_leaves, err);
	if (st != LAKE_OK)
	{
		parquet_schema_free(a, out);
		return st;
	}
	num_fields = elements[0].num_children;

	out->leaves = lake_alloc_array(a, (size_t) num_leaves, sizeof(ParquetLeaf), err);
	out->fields = lake_alloc_array(a, (size_t) num_fields, sizeof(ParquetField), err);
	if (out->leaves == NULL || out->fields == NULL)
	{
		parquet_schema_free(a, out);
		return LAKE_ERROR_NOMEM;
	}
	memset(out->leaves, 0, (size_t) num_leaves * sizeof(ParquetLeaf));
	memset(out->fields, 0, (size_t) num_fields * sizeof(ParquetField));
	out->num_leaves = num_leaves;
	out->num_fields = num_fields;

	for (i = 1; i < num_elements; i++)
	{
		const ParquetSchemaElement *e = &elements[i];

		if (out->parent[i] == 0)
		{
			ParquetField *f = &out->fields[++field];

			f->schema_index = i;
			f->element = e;
			f->first_leaf = leaf;
			f->num_leaves = 0;
			f->is_nested = e->num_children > 0 || e->repetition == PQ_REPEATED;
		}
		if (e->num_children == 0)
		{
			ParquetLeaf *l = &out->leaves[leaf];

			l->schema_index = i;
			l->element = e;
			l->field = field;
			l->path = schema_leaf_path(a, elements, out->parent, i, &l->max_def, &l->max_rep, err);
			if (l->path == NULL)
			{
				parquet_schema_free(a, out);
				return LAKE_ERROR_NOMEM;
			}
			out->fields[field].num_leaves++;
			leaf++;
		}
	}
	return LAKE_OK;
}

int
parquet_schema_find_field(const ParquetSchema *schema, const char *name)
{
	int			i;
	int			found = -1;

	for (i = 0; i < schema->num_fields; i++)
		if (strcmp(schema->fields[i].element->name, name) == 0)
			return i;
	for (i = 0; i < schema->num_fields; i++)
	{
		if (strcasecmp(schema->fields[i].element->name, name) == 0)
		{
			if (found >= 0)
				return -1;		/* ambiguous */
			found = i;
		}
	}
	return found;
}

int
parquet_physical_width(const ParquetSchemaElement *leaf)
{
	switch (leaf->type)
	{
		case PQ_BOOLEAN:
			return 1;
		case PQ_INT32:
		case PQ_FLOAT:
			return 4;
		case PQ_INT64:
		case PQ_DOUBLE:
			return 8;
		case PQ_INT96:
			return 12;
		case PQ_FIXED_LEN_BYTE_ARRAY:
			return leaf->type_length;
		case PQ_BYTE_ARRAY:
			return 0;
	}
	return 0;
}
