/*
 * unit_delta.h
 *	  What the Delta unit tests share: a scratch directory that is removed at
 *	  the end unless a check failed (or KEEP_TMP is set), and a DeltaColumn
 *	  built the way a table's schema would give it (no column mapping).
 */
#ifndef LAKE_UNIT_DELTA_H
#define LAKE_UNIT_DELTA_H

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lake/delta_snapshot.h"
#include "unit.h"

/* mkdtemp of /tmp/<name>_XXXXXX into dir (at least 256 bytes); false on failure */
static inline bool
unit_tmpdir_make(char *dir, size_t size, const char *name)
{
	snprintf(dir, size, "/tmp/%s_XXXXXX", name);
	if (mkdtemp(dir) == NULL)
	{
		perror("mkdtemp");
		return false;
	}
	return true;
}

/* Remove dir when every check passed and KEEP_TMP is unset; else say where it is. */
static inline void
unit_tmpdir_finish(const char *dir)
{
	char		cmd[600];

	if (unit_failed == 0 && getenv("KEEP_TMP") == NULL)
	{
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd) != 0)
			fprintf(stderr, "could not remove %s\n", dir);
	}
	else
		fprintf(stderr, "left %s for inspection\n", dir);
}

/* A top-level column: name as its own physical name, no field id, not a partition column. */
static inline void
unit_delta_column(DeltaColumn *c, const char *name, DeltaTypeKind kind, bool nullable)
{
	memset(c, 0, sizeof(*c));
	c->name = (char *) name;
	c->physical_name = (char *) name;
	c->field_id = -1;
	c->kind = kind;
	c->nullable = nullable;
	c->partition_index = -1;
}

#endif							/* LAKE_UNIT_DELTA_H */
