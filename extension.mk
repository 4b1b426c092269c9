# PGXS build of the extension (driven by the top-level Makefile).
EXTENSION = iot_lakehouse
MODULE_big = iot_lakehouse
EXTVERSION = 0.2.0
DATA = $(wildcard sql/iot_lakehouse--*.sql)

OBJS = $(patsubst %.c,%.o,$(sort $(wildcard src/*.c lake/*.c fdw/*.c worker/*.c)))

PG_CPPFLAGS = -I$(CURDIR)/include -std=gnu11
SHLIB_LINK = -lsnappy -lzstd -lz -llz4 -lcsv -ljansson -lm
EXTRA_CLEAN = build

PG_CONFIG ?= pg_config
PGXS := $(shell $(PG_CONFIG) --pgxs)
include $(PGXS)
