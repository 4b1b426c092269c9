/*
 * test_schema.c
 *	  Schema resolution: leaves with dotted paths and max definition /
 *	  repetition levels, top-level fields, malformed trees, field lookup and
 *	  physical widths.
 */
#include "lake/parquet_schema.h"

#include "unit.h"

static ParquetSchemaElement
group(const char *name, ParquetRepetition rep, int children)
{
	ParquetSchemaElement e;

	memset(&e, 0, sizeof(e));
	e.name = (char *) name;
	e.has_repetition = true;
	e.repetition = rep;
	e.num_children = children;
	e.converted_type = PQ_CT_NONE;
	return e;
}

static ParquetSchemaElement
leaf(const char *name, ParquetRepetition rep, ParquetPhysicalType type)
{
	ParquetSchemaElement e = group(name, rep, 0);

	e.has_type = true;
	e.type = type;
	if (type == PQ_FIXED_LEN_BYTE_ARRAY)
		e.type_length = 16;
	return e;
}

/*
 * schema
 *   id: required int64
 *   tags: optional group (LIST) { repeated group list { optional binary element } }
 *   loc: optional group { required double lat; optional double lon }
 *   m: optional group (MAP) { repeated group key_value { required binary key; optional group value { repeated int32 xs } } }
 *   Name: optional fixed(16)
 */
static int
nested_schema(ParquetSchemaElement *e)
{
	int			n = 0;

	e[n] = group("schema", PQ_REQUIRED, 5);
	e[n++].has_repetition = false;
	e[n++] = leaf("id", PQ_REQUIRED, PQ_INT64);
	e[n++] = group("tags", PQ_OPTIONAL, 1);
	e[n++] = group("list", PQ_REPEATED, 1);
	e[n++] = leaf("element", PQ_OPTIONAL, PQ_BYTE_ARRAY);
	e[n++] = group("loc", PQ_OPTIONAL, 2);
	e[n++] = leaf("lat", PQ_REQUIRED, PQ_DOUBLE);
	e[n++] = leaf("lon", PQ_OPTIONAL, PQ_DOUBLE);
	e[n++] = group("m", PQ_OPTIONAL, 1);
	e[n++] = group("key_value", PQ_REPEATED, 2);
	e[n++] = leaf("key", PQ_REQUIRED, PQ_BYTE_ARRAY);
	e[n++] = group("value", PQ_OPTIONAL, 1);
	e[n++] = leaf("xs", PQ_REPEATED, PQ_INT32);
	e[n++] = leaf("Name", PQ_OPTIONAL, PQ_FIXED_LEN_BYTE_ARRAY);
	return n;
}

static void
test_nested(void)
{
	ParquetSchemaElement e[32];
	ParquetSchema s;
	LakeError	err = {0};
	int			n = nested_schema(e);

	CHECK_OK(parquet_schema_build(&lake_malloc_allocator, e, n, &s, &err), &err);
	CHECK(s.num_leaves == 7);
	CHECK(s.num_fields == 5);
	CHECK(s.num_elements == n);

	CHECK(strcmp(s.leaves[0].path, "id") == 0 && s.leaves[0].max_def == 0 && s.leaves[0].max_rep == 0);
	CHECK(strcmp(s.leaves[1].path, "tags.list.element") == 0);
	CHECK(s.leaves[1].max_def == 3 && s.leaves[1].max_rep == 1);
	CHECK(strcmp(s.leaves[2].path, "loc.lat") == 0 && s.leaves[2].max_def == 1 && s.leaves[2].max_rep == 0);
	CHECK(strcmp(s.leaves[3].path, "loc.lon") == 0 && s.leaves[3].max_def == 2 && s.leaves[3].max_rep == 0);
	CHECK(strcmp(s.leaves[4].path, "m.key_value.key") == 0 && s.leaves[4].max_def == 2 && s.leaves[4].max_rep == 1);
	CHECK(strcmp(s.leaves[5].path, "m.key_value.value.xs") == 0);
	CHECK(s.leaves[5].max_def == 4 && s.leaves[5].max_rep == 2);
	CHECK(strcmp(s.leaves[6].path, "Name") == 0 && s.leaves[6].max_def == 1);
	CHECK(s.leaves[5].schema_index == 12 && s.leaves[5].element == &e[12]);

	CHECK(s.leaves[0].field == 0 && s.leaves[1].field == 1 && s.leaves[2].field == 2 &&
		  s.leaves[3].field == 2 && s.leaves[4].field == 3 && s.leaves[5].field == 3 && s.leaves[6].field == 4);
	CHECK(s.fields[0].first_leaf == 0 && s.fields[0].num_leaves == 1 && !s.fields[0].is_nested);
	CHECK(s.fields[1].first_leaf == 1 && s.fields[1].num_leaves == 1 && s.fields[1].is_nested);
	CHECK(s.fields[2].first_leaf == 2 && s.fields[2].num_leaves == 2 && s.fields[2].is_nested);
	CHECK(s.fields[3].first_leaf == 4 && s.fields[3].num_leaves == 2);
	CHECK(s.fields[4].first_leaf == 6 && s.fields[4].num_leaves == 1 && !s.fields[4].is_nested);
	CHECK(s.fields[2].schema_index == 5 && s.fields[2].element == &e[5]);

	CHECK(s.parent[0] == -1 && s.parent[1] == 0 && s.parent[4] == 3 && s.parent[12] == 11 && s.parent[13] == 0);

	CHECK(parquet_schema_find_field(&s, "loc") == 2);
	CHECK(parquet_schema_find_field(&s, "LOC") == 2);
	CHECK(parquet_schema_find_field(&s, "name") == 4);
	CHECK(parquet_schema_find_field(&s, "nope") == -1);
	CHECK(parquet_physical_width(s.leaves[6].element) == 16);
	parquet_schema_free(&lake_malloc_allocator, &s);
	CHECK(s.leaves == NULL && s.num_leaves == 0);
}

static void
test_lookup_and_widths(void)
{
	ParquetSchemaElement e[4];
	ParquetSchema s;
	LakeError	err = {0};

	e[0] = group("root", PQ_REQUIRED, 3);
	e[0].has_repetition = false;
	e[1] = leaf("Temp", PQ_OPTIONAL, PQ_FLOAT);
	e[2] = leaf("temp", PQ_OPTIONAL, PQ_DOUBLE);
	e[3] = leaf("TEMP", PQ_OPTIONAL, PQ_INT96);
	CHECK_OK(parquet_schema_build(&lake_malloc_allocator, e, 4, &s, &err), &err);
	CHECK(parquet_schema_find_field(&s, "temp") == 1);	/* exact first */
	CHECK(parquet_schema_find_field(&s, "TEMP") == 2);
	CHECK(parquet_schema_find_field(&s, "tEmP") == -1);	/* ambiguous */
	parquet_schema_free(&lake_malloc_allocator, &s);

	{
		ParquetSchemaElement w = leaf("x", PQ_REQUIRED, PQ_BOOLEAN);

		CHECK(parquet_physical_width(&w) == 1);
		w.type = PQ_INT32;
		CHECK(parquet_physical_width(&w) == 4);
		w.type = PQ_INT64;
		CHECK(parquet_physical_width(&w) == 8);
		w.type = PQ_INT96;
		CHECK(parquet_physical_width(&w) == 12);
		w.type = PQ_FLOAT;
		CHECK(parquet_physical_width(&w) == 4);
		w.type = PQ_DOUBLE;
		CHECK(parquet_physical_width(&w) == 8);
		w.type = PQ_BYTE_ARRAY;
		CHECK(parquet_physical_width(&w) == 0);
		w.type = PQ_FIXED_LEN_BYTE_ARRAY;
		w.type_length = 5;
		CHECK(parquet_physical_width(&w) == 5);
	}

	/* a root without fields is a valid (empty) schema */
	CHECK(parquet_schema_build(&lake_malloc_allocator, e, 1, &s, &err) == LAKE_ERROR_CORRUPT);
	e[0].num_children = 0;
	CHECK_OK(parquet_schema_build(&lake_malloc_allocator, e, 1, &s, &err), &err);
	CHECK(s.num_leaves == 0 && s.num_fields == 0);
	parquet_schema_free(&lake_malloc_allocator, &s);
}

static void
expect_corrupt(ParquetSchemaElement *e, int n, const char *what)
{
	ParquetSchema s;
	LakeError	err = {0};
	LakeStatus	st = parquet_schema_build(&lake_malloc_allocator, e, n, &s, &err);

	CHECK_MSG(st == LAKE_ERROR_CORRUPT, "%s: %s", what, lake_status_name(st));
	CHECK_MSG(strlen(err.message) > 0, "%s: no message", what);
	if (st == LAKE_OK)
		parquet_schema_free(&lake_malloc_allocator, &s);
}

static void
test_malformed(void)
{
	ParquetSchemaElement e[80];
	int			n;
	int			i;

	n = nested_schema(e);
	e[0].num_children = 6;
	expect_corrupt(e, n, "root claims too many children");

	n = nested_schema(e);
	e[0].num_children = 4;
	expect_corrupt(e, n, "elements after the tree");

	n = nested_schema(e);
	e[5].num_children = 3;
	expect_corrupt(e, n, "group claims too many children");

	n = nested_schema(e);
	e[1].has_type = false;
	expect_corrupt(e, n, "leaf without a type");

	n = nested_schema(e);
	e[2].has_type = true;
	expect_corrupt(e, n, "group with a type");

	n = nested_schema(e);
	e[7].has_repetition = false;
	expect_corrupt(e, n, "no repetition");

	n = nested_schema(e);
	e[7].repetition = 3;
	expect_corrupt(e, n, "bad repetition");

	n = nested_schema(e);
	e[13].type_length = 0;
	expect_corrupt(e, n, "fixed without length");

	n = nested_schema(e);
	e[6].type = 9;
	expect_corrupt(e, n, "unknown type");

	n = nested_schema(e);
	e[3].num_children = -1;
	expect_corrupt(e, n, "negative children");

	n = nested_schema(e);
	e[0].has_type = true;
	expect_corrupt(e, n, "typed root");

	n = nested_schema(e);
	e[4].name = NULL;
	expect_corrupt(e, n, "no name");

	expect_corrupt(e, 0, "no root");

	/* depth: 64 levels below the root are fine, 65 are not */
	for (n = 64; n <= 65; n++)
	{
		ParquetSchema s;
		LakeError	err = {0};
		LakeStatus	st;

		e[0] = group("root", PQ_REQUIRED, 1);
		e[0].has_repetition = false;
		for (i = 1; i < n; i++)
			e[i] = group("g", PQ_OPTIONAL, 1);
		e[n] = leaf("x", PQ_OPTIONAL, PQ_INT32);
		st = parquet_schema_build(&lake_malloc_allocator, e, n + 1, &s, &err);
		if (n == 64)
		{
			CHECK_MSG(st == LAKE_OK, "depth 64: %s", err.message);
			CHECK(s.num_leaves == 1 && s.leaves[0].max_def == 64);
			parquet_schema_free(&lake_malloc_allocator, &s);
		}
		else
			CHECK_MSG(st == LAKE_ERROR_CORRUPT, "depth 65: %s", lake_status_name(st));
	}
}

int
main(void)
{
	test_nested();
	test_lookup_and_widths();
	test_malformed();
	return unit_finish("test_schema");
}
