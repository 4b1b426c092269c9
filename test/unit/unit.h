/*
 * unit.h
 *	  A minimal test harness for the C unit tests of lake/: CHECK records a
 *	  failure and goes on; every binary ends with the plain summary line
 *	  "N passed, N failed" and exits non-zero on any failure.
 */
#ifndef LAKE_UNIT_H
#define LAKE_UNIT_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int	unit_passed;
static int	unit_failed;

#define CHECK(cond) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, #cond); \
		} \
	} while (0)

#define CHECK_MSG(cond, ...) \
	do { \
		if (cond) \
			unit_passed++; \
		else \
		{ \
			unit_failed++; \
			fprintf(stderr, "%s:%d: check failed: %s: ", __FILE__, __LINE__, #cond); \
			fprintf(stderr, __VA_ARGS__); \
			fputc('\n', stderr); \
		} \
	} while (0)

/* a LakeStatus call that must succeed; prints the lake error otherwise */
#define CHECK_OK(call, errp) \
	do { \
		LakeStatus unit_st_ = (call); \
		CHECK_MSG(unit_st_ == LAKE_OK, "%s -> %s: %s", #call, lake_status_name(unit_st_), (errp)->message); \
	} while (0)

static inline int
unit_finish(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, unit_passed, unit_failed);
	return unit_failed == 0 ? 0 : 1;
}

#endif							/* LAKE_UNIT_H */
