#!/usr/bin/env bash
# make demo: a throwaway cluster with iot_lakehouse preloaded, sample sensor
# readings written to Parquet and queried back through a foreign table.
# KEEP_CLUSTER=1 leaves the cluster running and prints how to connect.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/test/lib/cluster.sh"
cluster_start
if [ -z "${KEEP_CLUSTER:-}" ]; then trap cluster_stop EXIT; fi

gen="$root/build/gen_sensor_data"
csv="$LAKE_TEST_FILES/readings.csv"
"$gen" --rows 200000 --sensors 20 --seed 7 --out "$csv"
chmod 644 "$csv"
echo "== sample readings (first lines of $csv)"
head -4 "$csv"

psql -X -v ON_ERROR_STOP=1 -v files="$LAKE_TEST_FILES" <<'SQL'
\set QUIET on
CREATE EXTENSION iot_lakehouse;
CREATE TABLE readings (sensor_id int, "timestamp" timestamp, temperature float8,
                       humidity float8, location text);
\set csv :files '/readings.csv'
COPY readings FROM :'csv' (FORMAT csv, HEADER);
\set parquet :files '/readings.parquet'
\set QUIET off
\echo '== write the readings to Parquet (zstd), one sensor per row group of 10,000 readings'
SET lakehouse.parquet_row_group_rows = 10000;
SELECT lakehouse.write_parquet('SELECT * FROM readings ORDER BY sensor_id, "timestamp"',
                               :'parquet', 'zstd') AS rows_written;
\set QUIET on
CREATE SERVER lake FOREIGN DATA WRAPPER iot_lakehouse_fdw;
CREATE FOREIGN TABLE readings_parquet (sensor_id int, "timestamp" timestamp,
       temperature float8, humidity float8, location text)
    SERVER lake OPTIONS (format 'parquet', path :'parquet');
\set QUIET off
\echo '== query it back through the foreign table'
SELECT location, count(*) AS readings, round(avg(temperature)::numeric, 2) AS avg_temp,
       round(avg(humidity)::numeric, 2) AS avg_humidity
  FROM readings_parquet GROUP BY location ORDER BY location;
\echo '== one sensor: row groups its statistics rule out are skipped'
EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, SUMMARY OFF)
SELECT count(*), round(avg(temperature)::numeric, 2) FROM readings_parquet WHERE sensor_id = 1005;
SELECT count(*), round(avg(temperature)::numeric, 2) AS avg_temp FROM readings_parquet WHERE sensor_id = 1005;
SQL

echo
echo "== the same readings as a Delta Lake table: two commits, history, time travel"
psql -X -v ON_ERROR_STOP=1 -v files="$LAKE_TEST_FILES" <<'SQL'
\set QUIET on
CREATE SERVER delta_lake FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root :'files');
CREATE FOREIGN TABLE readings_delta (sensor_id int, "timestamp" timestamptz, temperature float8,
       humidity float8, location text)
    SERVER delta_lake OPTIONS (path 'sensor_readings', partition_by 'location');
\set QUIET off
\echo '-- version 0: sensors 1001 to 1009, written by INSERT ... SELECT (one commit per transaction)'
INSERT INTO readings_delta SELECT * FROM readings WHERE sensor_id < 1010;
\set csv :files '/readings.csv'
\echo '-- version 1: the whole CSV again through lakehouse.ingest_csv'
SELECT lakehouse.ingest_csv('readings_delta', :'csv') AS rows_ingested;
SELECT version, operation, operation_metrics->>'numOutputRows' AS rows, engine
  FROM lakehouse.history('readings_delta');
SELECT (SELECT count(*) FROM readings_delta) AS rows_now,
       (SELECT count(*) FROM lakehouse.as_of(NULL::readings_delta, version => 0)) AS rows_at_version_0;
\echo '-- one location: partition pruning reads only its files'
EXPLAIN (COSTS OFF) SELECT avg(temperature) FROM readings_delta WHERE location = 'Room_C';
SQL
if [ -n "${KEEP_CLUSTER:-}" ]; then
	echo "cluster left running: PGHOST=$PGHOST psql -U postgres"
fi
