# iot_lakehouse: the two commands a user types are `make demo` and `make check`.
#
# This Makefile only drives; the extension itself is built by extension.mk
# through PGXS.  It cannot include PGXS directly because on a fresh machine
# pg_config does not exist until `make deps` has installed it.

PG_CONFIG ?= /usr/lib/postgresql/15/bin/pg_config
EXT_MAKE = $(MAKE) -f extension.mk PG_CONFIG=$(PG_CONFIG) autodepend=yes
CC ?= cc
LAKE_CFLAGS = -O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Iinclude $(EXTRA_CFLAGS)
LAKE_LIBS = -lsnappy -lzstd -lz -llz4 -lcsv -ljansson -lm
LAKE_SRCS = $(sort $(wildcard lake/*.c))
UNIT_SRCS = $(sort $(wildcard test/unit/test_*.c))
UNIT_BINS = $(patsubst test/unit/%.c,build/unit/%,$(UNIT_SRCS))

.PHONY: all deps build install check demo bench unit pgtap interop fuzz clean

all: build

deps:
	@bash scripts/install-deps.sh

build: deps
	$(EXT_MAKE)

install: build
	$(EXT_MAKE) install

# ---- the core alone (no PostgreSQL): unit tests, fuzzers, benchmarks ----
build/liblake.a: $(LAKE_SRCS) $(wildcard include/lake/*.h)
	@mkdir -p build/lake
	@set -e; for f in $(LAKE_SRCS); do \
		$(CC) $(LAKE_CFLAGS) -c $$f -o build/lake/$$(basename $$f .c).o; done
	@rm -f $@ && ar rcs $@ build/lake/*.o

build/unit/%: test/unit/%.c test/unit/unit.h test/unit/unit_delta.h build/liblake.a
	@mkdir -p build/unit
	$(CC) $(LAKE_CFLAGS) -Itest/unit $< build/liblake.a $(LAKE_LIBS) -o $@

# node deps of the tests (DuckDB as the oracle, node-postgres as a client)
test/node_modules/.installed: test/package.json test/package-lock.json
	cd test && npm ci --no-audit --no-fund --loglevel=error
	@touch $@

unit: deps test/node_modules/.installed $(UNIT_BINS)
	@bash test/unit/run.sh $(UNIT_BINS)

# ---- the whole suite ----
pgtap: install
	@bash test/run-pgtap.sh

interop: install
	@bash test/interop/run.sh

# libFuzzer harnesses of lake/: replay the seeds and saved crashes, then fuzz briefly
FUZZ_SECONDS ?= 15
fuzz: deps
	@bash test/fuzz/run.sh $(FUZZ_SECONDS)

check: deps
	$(MAKE) unit
	$(MAKE) fuzz
	$(MAKE) install build/gen_sensor_data
	@bash test/run-all.sh

build/gen_sensor_data: bench/gen_sensor_data.c
	@mkdir -p build
	$(CC) -O2 -std=gnu11 -Wall -Wextra $< -lm -o $@

demo: install build/gen_sensor_data
	@bash scripts/demo.sh

bench: install
	@bash bench/run.sh

clean:
	$(EXT_MAKE) clean
	rm -rf build
