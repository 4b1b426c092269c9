/*
 * delta_schema.c
 *	  A Delta table's schemaString (PROTOCOL.md, Schema Serialization Format)
 *	  as top-level DeltaColumns: primitive types, decimal(p,s), complex types
 *	  kept as their JSON, and column mapping (physical names and field ids
 *	  from the field metadata, in name or id mode).
 */
#include "delta_internal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct
{
	const char *name;
	DeltaTypeKind kind;
}			primitive_types[] =
{
	{"string", DELTA_TYPE_STRING},
	{"long", DELTA_TYPE_LONG},
	{"integer", DELTA_TYPE_INTEGER},
	{"short", DELTA_TYPE_SHORT},
	{"byte", DELTA_TYPE_BYTE},
	{"float", DELTA_TYPE_FLOAT},
	{"double", DELTA_TYPE_DOUBLE},
	{"boolean", DELTA_TYPE_BOOLEAN},
	{"binary", DELTA_TYPE_BINARY},
	{"date", DELTA_TYPE_DATE},
	{"timestamp", DELTA_TYPE_TIMESTAMP},
	{"timestamp_ntz", DELTA_TYPE_TIMESTAMP_NTZ},
	{NULL, 0}
};

const char *
delta_type_name(DeltaTypeKind kind)
{
	switch (kind)
	{
		case DELTA_TYPE_DECIMAL:
			return "decimal";
		case DELTA_TYPE_STRUCT:
			return "struct";
		case DELTA_TYPE_ARRAY:
			return "array";
		case DELTA_TYPE_MAP:
			return "map";
		default:
			for (int i = 0; primitive_types[i].name; i++)
				if (primitive_types[i].kind == kind)
					return primitive_types[i].name;
	}
	return "unknown";
}

int
delta_mapping_mode_parse(const char *mode)
{
	if (mode == NULL || strcmp(mode, "none") == 0)
		return DELTA_MAPPING_NONE;
	if (strcmp(mode, "name") == 0)
		return DELTA_MAPPING_NAME;
	if (strcmp(mode, "id") == 0)
		return DELTA_MAPPING_ID;
	return -1;
}

/* "decimal(p,s)" (spaces allowed) or "decimal" (= decimal(10,0)) */
static bool
parse_decimal(const char *s, int32_t *precision, int32_t *scale)
{
	const char *p = s + 7;
	long		prec,
				sc;
	char	   *end;

	while (*p == ' ')
		p++;
	if (*p == '\0')
	{
		*precision = 10;
		*scale = 0;
		return true;
	}
	if (*p++ != '(')
		return false;
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char) *p))
		return false;
	prec = strtol(p, &end, 10);
	p = end;
	while (*p == ' ')
		p++;
	if (*p++ != ',')
		return false;
	while (*p == ' ')
		p++;
	if (!isdigit((unsigned char) *p))
		return false;
	sc = strtol(p, &end, 10);
	p = end;
	while (*p == ' ')
		p++;
	if (*p++ != ')' || *p != '\0')
		return false;
	if (prec < 1 || prec > 38 || sc < 0 || sc > prec)
		return false;
	*precision = (int32_t) prec;
	*scale = (int32_t) sc;
	return true;
}

static LakeStatus
parse_field(const LakeAllocator *a, const json_t *field, int index, int mapping_mode,
			DeltaColumn *col, LakeError *err)
{
	DeltaWhere	w = {0};
	char		ctx[64];
	const char *name;
	size_t		name_len;
	json_t	   *type;
	json_t	   *meta;
	bool		nullable = true;
	const char *physical = NULL;
	size_t		physical_len = 0;
	int64_t		id = -1;
	bool		has_id = false;
	LakeStatus	st;

	snprintf(ctx, sizeof(ctx), "schema field %d", index);
	if (!json_is_object(field))
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "schemaString: %s is not an object", ctx);
	if ((st = delta_json_string(field, "name", true, ctx, &w, &name, &name_len, err)) != LAKE_OK)
		return st;
	if (name_len == 0 || strlen(name) != name_len)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "schemaString: %s has an empty name or one holding NUL", ctx);
	if ((st = delta_json_bool(field, "nullable", false, ctx, &w, &nullable, NULL, err)) != LAKE_OK)
		return st;
	if ((st = delta_json_object(field, "metadata", false, ctx, &w, &meta, err)) != LAKE_OK)
		return st;
	if (meta != NULL)
	{
		if ((st = delta_json_string(meta, "delta.columnMapping.physicalName", false, ctx, &w,
									&physical, &physical_len, err)) != LAKE_OK)
			return st;
		if ((st = delta_json_int64(meta, "delta.columnMapping.id", false, ctx, &w, &id, &has_id,
								   err)) != LAKE_OK)
			return st;
	}
	if (mapping_mode != DELTA_MAPPING_NONE && (physical == NULL || physical_len == 0 ||
											   strlen(physical) != physical_len))
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "schemaString: column \"%s\" has no delta.columnMapping.physicalName although column mapping is on",
							  name);
	if (mapping_mode == DELTA_MAPPING_ID && !has_id)
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "schemaString: column \"%s\" has no delta.columnMapping.id although column mapping mode is id",
							  name);
	if (has_id && (id < 0 || id > INT32_MAX))
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "schemaString: column \"%s\" has delta.columnMapping.id %lld out of range",
							  name, (long long) id);

	type = json_object_get(field, "type");
	if (type == NULL || json_is_null(type))
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "schemaString: column \"%s\" has no type", name);

	col->precision = 0;
	col->scale = 0;
	if (json_is_string(type))
	{
		const char *t = json_string_value(type);
		bool		found = false;

		for (int i = 0; primitive_types[i].name; i++)
			if (strcmp(t, primitive_types[i].name) == 0)
			{
				col->kind = primitive_types[i].kind;
				found = true;
				break;
			}
		if (!found && strncmp(t, "decimal", 7) == 0)
		{
			if (!parse_decimal(t, &col->precision, &col->scale))
				return lake_error_set(err, LAKE_ERROR_CORRUPT,
									  "schemaString: column \"%s\" has an invalid decimal type \"%.64s\"",
									  name, t);
			col->kind = DELTA_TYPE_DECIMAL;
			found = true;
		}
		if (!found)
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
								  "column \"%s\" has Delta type \"%.64s\", which is not supported",
								  name, t);
	}
	else if (json_is_object(type))
	{
		const char *t = NULL;

		if ((st = delta_json_string(type, "type", true, "column type", &w, &t, NULL, err)) != LAKE_OK)
		{
			lake_error_prefix(err, "schemaString: column \"%s\": ", name);
			return st;
		}
		if (strcmp(t, "struct") == 0)
			col->kind = DELTA_TYPE_STRUCT;
		else if (strcmp(t, "array") == 0)
			col->kind = DELTA_TYPE_ARRAY;
		else if (strcmp(t, "map") == 0)
			col->kind = DELTA_TYPE_MAP;
		else
			return lake_error_set(err, LAKE_ERROR_UNSUPPORTED,
								  "column \"%s\" has Delta type \"%.64s\", which is not supported",
								  name, t);
	}
	else
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "schemaString: column \"%s\" has a type that is neither a string nor an object",
							  name);

	col->name = lake_strndup(a, name, name_len, err);
	if (col->name == NULL)
		return LAKE_ERROR_NOMEM;
	if (mapping_mode != DELTA_MAPPING_NONE)
		col->physical_name = lake_strndup(a, physical, physical_len, err);
	else
		col->physical_name = lake_strndup(a, name, name_len, err);
	if (col->physical_name == NULL)
		return LAKE_ERROR_NOMEM;
	if ((st = delta_json_dumps(a, type, &col->type_json, err)) != LAKE_OK)
		return st;
	col->field_id = has_id ? (int32_t) id : -1;
	col->nullable = nullable;
	col->partition_index = -1;
	return LAKE_OK;
}

LakeStatus
delta_schema_parse(const LakeAllocator *a, const char *schema_string, size_t len, int mapping_mode,
				   DeltaColumn **columns, int *num_columns, LakeError *err)
{
	json_t	   *root;
	json_t	   *fields;
	json_error_t jerr;
	const char *type;
	DeltaColumn *cols = NULL;
	size_t		n;
	LakeStatus	st = LAKE_OK;
	DeltaWhere	w = {0};

	*columns = NULL;
	*num_columns = 0;
	root = json_loadb(schema_string, len, 0, &jerr);
	if (root == NULL)
		return lake_error_set(err, LAKE_ERROR_CORRUPT, "schemaString is not valid JSON (column %d): %s",
							  jerr.column, jerr.text);
	if (!json_is_object(root) ||
		delta_json_string(root, "type", true, "schemaString", &w, &type, NULL, err) != LAKE_OK ||
		strcmp(type, "struct") != 0 ||
		delta_json_array(root, "fields", true, "schemaString", &w, &fields, err) != LAKE_OK)
	{
		json_decref(root);
		return lake_error_set(err, LAKE_ERROR_CORRUPT,
							  "schemaString is not a struct type with a \"fields\" array");
	}
	n = json_array_size(fields);
	if (n > 10000)
	{
		json_decref(root);
		return lake_error_set(err, LAKE_ERROR_LIMIT, "schemaString has %zu columns, more than 10000", n);
	}
	if (n > 0)
	{
		cols = lake_alloc_array(a, n, sizeof(DeltaColumn), err);
		if (cols == NULL)
		{
			json_decref(root);
			return LAKE_ERROR_NOMEM;
		}
		memset(cols, 0, n * sizeof(DeltaColumn));
	}
	for (size_t i = 0; i < n; i++)
	{
		if ((st = parse_field(a, json_array_get(fields, i), (int) i, mapping_mode, &cols[i], err)) != LAKE_OK)
			break;
		for (size_t k = 0; k < i; k++)
			if (strcmp(cols[k].name, cols[i].name) == 0)
			{
				st = lake_error_set(err, LAKE_ERROR_CORRUPT, "schemaString has column \"%s\" twice",
									cols[i].name);
				break;
			}
		if (st != LAKE_OK)
			break;
	}
	json_decref(root);
	if (st != LAKE_OK)
	{
		delta_columns_free(a, cols, (int) n);
		return st;
	}
	*columns = cols;
	*num_columns = (int) n;
	return LAKE_OK;
}

void
delta_columns_free(const LakeAllocator *a, DeltaColumn *columns, int num_columns)
{
	if (columns == NULL)
		return;
	for (int i = 0; i < num_columns; i++)
	{
		lake_free(a, columns[i].name);
		lake_free(a, columns[i].physical_name);
		lake_free(a, columns[i].type_json);
	}
	lake_free(a, columns);
}
