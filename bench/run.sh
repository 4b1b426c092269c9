#!/usr/bin/env bash
# The benchmarks of issues 2 and 3 (`make bench`, after `make install`): generates
# BENCH_ROWS (default 5,000,000) clean sensor rows, starts a throwaway
# cluster, loads them (bench/setup.sql) and runs bench/bench.mjs, which times
# everything side by side and writes bench/results/latest.md.  Also builds
# the lake/-only micro-benchmarks (bench/bench_lake_scan.c, and
# bench/bench_parquet_write.c when present).  Not a test: it fails only when
# something does not run or sources disagree on the result.
#
# Environment: BENCH_ROWS, BENCH_RUNS (default 5), BENCH_SHARED_BUFFERS
# (default 2GB), KEEP_CLUSTER=1 to keep the cluster for inspection,
# BENCH_DELTA=0 to leave out the Delta Lake part (issue 3: bench/bench_delta.mjs
# writes synthetic Delta tables with bench/gen_delta_table.mjs in the
# cluster's directory, about 400 MB, removed with it, and times snapshot
# loads, statistics skipping and count(*); bench/bench_delta_snapshot.c is
# its lake/-only micro-benchmark); BENCH_WRITE=0 to leave out the Delta
# write part (issue 4: bench/bench_write.mjs, ingest_csv vs COPY vs DuckDB,
# INSERT ... SELECT); BENCH_PIPELINE=0 to leave out the streaming pipeline
# (bench/bench_pipeline.mjs: Drop-to-Gold latency, sustained rows/s against
# DuckDB, incremental refresh with 100 thousand and 10 million rows in
# Silver; about 2.5 minutes), BENCH_PIPELINE=only to run
# that part alone (no heap table, report in bench/results/pipeline.md);
# its own knobs (BENCH_PIPELINE_*) are listed at the top of the script;
# BENCH_ZORDER=0 to leave out the Z-order part (issue 6: bench/bench_zorder.mjs,
# one sensor over one hour on BENCH_ZORDER_ROWS (10,000,000) readings against
# a heap table with a btree index, before and after OPTIMIZE ZORDER BY;
# about 3 minutes).
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
COMMAND="make bench"
[ -z "${BENCH_ROWS:-}" ] || COMMAND="BENCH_ROWS=$BENCH_ROWS $COMMAND"
[ -z "${BENCH_RUNS:-}" ] || COMMAND="BENCH_RUNS=$BENCH_RUNS $COMMAND"
[ -z "${BENCH_DELTA:-}" ] || COMMAND="BENCH_DELTA=$BENCH_DELTA $COMMAND"
[ -z "${BENCH_WRITE:-}" ] || COMMAND="BENCH_WRITE=$BENCH_WRITE $COMMAND"
[ -z "${BENCH_PIPELINE:-}" ] || COMMAND="BENCH_PIPELINE=$BENCH_PIPELINE $COMMAND"
BENCH_PIPELINE=${BENCH_PIPELINE:-1}
BENCH_ROWS=${BENCH_ROWS:-5000000}
BENCH_RUNS=${BENCH_RUNS:-5}
BENCH_SHARED_BUFFERS=${BENCH_SHARED_BUFFERS:-2GB}
CC=${CC:-cc}
CFLAGS="-O2 -g -std=gnu11 -Wall -Wextra -Wno-unused-parameter -Wno-sign-compare -Iinclude"
LIBS="-lsnappy -lzstd -lz -llz4 -lcsv -ljansson -lm"
B=build/bench
mkdir -p "$B" bench/results

# ---- the C tools ----
$CC $CFLAGS bench/gen_sensor_data.c -o "$B/gen_sensor_data" -lm
bash bench/test_gen_sensor_data.sh "$B/gen_sensor_data"
# the micro-benchmarks are optional: the SQL benchmark runs without them
if make -s build/liblake.a &&
	$CC $CFLAGS bench/bench_lake_scan.c build/liblake.a $LIBS -o "$B/bench_lake_scan"; then
	export BENCH_LAKE_SCAN="$ROOT/$B/bench_lake_scan"
	# issue 3: the Delta log reader alone (snapshot load)
	$CC $CFLAGS bench/bench_delta_snapshot.c build/liblake.a $LIBS -o "$B/bench_delta_snapshot" &&
		export BENCH_DELTA_SNAPSHOT="$ROOT/$B/bench_delta_snapshot" ||
		echo "bench: warning: bench/bench_delta_snapshot.c does not build (skipped)"
	if [ -f bench/bench_parquet_write.c ]; then
		$CC $CFLAGS bench/bench_parquet_write.c build/liblake.a $LIBS -o "$B/bench_parquet_write" &&
			export BENCH_PARQUET_WRITE="$ROOT/$B/bench_parquet_write" ||
			echo "bench: warning: bench/bench_parquet_write.c does not build (skipped)"
	fi
else
	echo "bench: warning: the lake/ micro-benchmark does not build (skipped)"
fi

# ---- node dependencies (DuckDB, node-postgres) live in test/ ----
if [ ! -d test/node_modules/@duckdb/node-api ] || [ ! -d test/node_modules/pg ]; then
	(cd test && npm install --no-audit --no-fund --loglevel=error)
fi

# ---- cluster and data ----
. test/lib/cluster.sh
trap cluster_stop EXIT
cluster_start "shared_buffers = '$BENCH_SHARED_BUFFERS'" "jit = off" "max_wal_size = '4GB'"

status=0
REPORT="$ROOT/bench/results/latest.md"
if [ "$BENCH_PIPELINE" != only ]; then
	CSV="$LAKE_TEST_FILES/sensor_${BENCH_ROWS}.csv"
	echo "bench: generating $BENCH_ROWS rows"
	"$B/gen_sensor_data" --rows "$BENCH_ROWS" --sensors 100 --seed 42 --out "$CSV"
	chmod 644 "$CSV"
	echo "bench: loading the heap table"
	psql -X -q -v ON_ERROR_STOP=1 -v csv="$CSV" -f bench/setup.sql

	echo "bench: measuring"
	BENCH_CSV="$CSV" BENCH_DIR="$LAKE_TEST_FILES" BENCH_ROWS="$BENCH_ROWS" BENCH_RUNS="$BENCH_RUNS" \
		BENCH_REPORT="$REPORT" \
		BENCH_COMMAND="$COMMAND" BENCH_DELTA="${BENCH_DELTA:-1}" BENCH_WRITE="${BENCH_WRITE:-1}" \
		node bench/bench.mjs || status=$?
	echo "bench: report written to bench/results/latest.md"
fi

# ---- the streaming pipeline (worker/): its section is appended to the report ----
if [ "$BENCH_PIPELINE" != 0 ]; then
	echo "bench: the streaming pipeline (bench/bench_pipeline.mjs)"
	psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS iot_lakehouse"
	[ "$BENCH_PIPELINE" != only ] || REPORT=
	BENCH_DIR="$LAKE_TEST_FILES" BENCH_GEN="$ROOT/$B/gen_sensor_data" BENCH_RUNS="$BENCH_RUNS" \
		BENCH_REPORT="$REPORT" BENCH_COMMAND="$COMMAND" \
		node bench/bench_pipeline.mjs || status=$?
	echo "bench: pipeline report written to bench/results/pipeline.md"
fi

# ---- table maintenance (issue 6): one sensor over one hour before and after Z-order ----
if [ "${BENCH_ZORDER:-1}" != 0 ] && [ "$BENCH_PIPELINE" != only ]; then
	echo "bench: Z-order (bench/bench_zorder.mjs)"
	psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION IF NOT EXISTS iot_lakehouse"
	BENCH_DIR="$LAKE_TEST_FILES" BENCH_GEN="$ROOT/$B/gen_sensor_data" BENCH_RUNS="$BENCH_RUNS" \
		BENCH_REPORT="$REPORT" node bench/bench_zorder.mjs || status=$?
	echo "bench: Z-order report written to bench/results/zorder.md"
fi
exit $status
