#!/usr/bin/env bash
# make demo: a throwaway cluster with iot_lakehouse preloaded.  First the
# streaming pipeline: sensor CSV files dropped into the drop directory flow
# through Bronze, Silver and Gold in the background worker; the demo waits
# for Gold and prints it with the pipeline's status.  Then the building
# blocks: readings written to Parquet and queried back, a Delta table
# written by INSERT and ingest_csv, history and time travel.
# KEEP_CLUSTER=1 leaves the cluster running and prints how to connect.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
source "$root/test/lib/cluster.sh"
cluster_start "lakehouse.poll_interval = '200ms'" "lakehouse.settle_ms = '500ms'"
if [ -z "${KEEP_CLUSTER:-}" ]; then trap cluster_stop EXIT; fi

gen="$root/build/gen_sensor_data"

echo "== the streaming pipeline: CREATE EXTENSION makes bronze, silver and gold (empty Delta tables)"
psql -X -q -v ON_ERROR_STOP=1 -c "CREATE EXTENSION iot_lakehouse"
drop=$(psql -X -At -c "SELECT lakehouse.pipeline_root() || '/incoming'")
staging="$LAKE_TEST_FILES/staging"
mkdir -p "$staging"
echo "   a gateway drops three CSV files into $drop (written beside it, renamed in);"
echo "   5% of their rows are dirty (bad values, out of range, duplicates, short rows)"
for i in 1 2 3; do
	"$gen" --rows 20000 --sensors 8 --seed "$i" --dirt 0.05 \
		--start "2025-05-0$i 00:00:00" --interval-seconds 4 --out "$staging/gateway-$i.csv"
	chmod 644 "$staging/gateway-$i.csv"
	[ "$(id -u)" -eq 0 ] && chown "$CLUSTER_USER" "$staging/gateway-$i.csv"
	mv "$staging/gateway-$i.csv" "$drop/gateway-$i.csv"
done
printf 'not a sensor file\n' >"$staging/notes.csv"
chmod 644 "$staging/notes.csv"
mv "$staging/notes.csv" "$drop/notes.csv"

echo "== waiting for Gold"
for _ in $(seq 1 300); do
	done_=$(psql -X -At -c "SELECT bool_and(files_pending = 0) AND
		(SELECT source_version FROM lakehouse.pipeline_status WHERE stage = 'gold') =
		(SELECT table_version FROM lakehouse.pipeline_status WHERE stage = 'silver') AND
		(SELECT source_version FROM lakehouse.pipeline_status WHERE stage = 'silver') =
		(SELECT table_version FROM lakehouse.pipeline_status WHERE stage = 'bronze')
		FROM lakehouse.pipeline_status")
	[ "$done_" = t ] && break
	sleep 0.2
done

psql -X -v ON_ERROR_STOP=1 -v files="$LAKE_TEST_FILES" <<'SQL'
\echo '== Gold: hourly temperature and humidity per sensor (first rows)'
SELECT sensor_id, location, hour, round(avg_temperature::numeric, 2) AS avg_temp,
       round(min_temperature::numeric, 1) AS min_temp, round(max_temperature::numeric, 1) AS max_temp,
       round(avg_humidity::numeric, 1) AS avg_hum, reading_count
  FROM gold.sensor_hourly_avg ORDER BY hour, sensor_id, location LIMIT 8;
\echo '== the pipeline status'
SELECT stage, table_name, table_version, source_version, files_pending, rows_in, rows_out,
       rows_quarantined, files_rejected, last_error IS NULL AS healthy
  FROM lakehouse.pipeline_status;
\echo '== why rows were quarantined'
SELECT reason, count(*) FROM silver.sensor_logs_quarantine
 GROUP BY reason ORDER BY count(*) DESC, reason LIMIT 6;
\echo '== each layer is a Delta table: its history, and time travel'
SELECT version, operation, operation_parameters->>'epochId' AS epoch,
       operation_metrics->>'numOutputRows' AS rows
  FROM lakehouse.history('silver.sensor_logs') LIMIT 4;
SELECT (SELECT count(*) FROM silver.sensor_logs) AS silver_rows_now,
       (SELECT count(*) FROM lakehouse.as_of(NULL::silver.sensor_logs, version => 1)) AS at_version_1;
\set gold_parquet :files '/iot_gold_export.parquet'
\echo '== export Gold to Parquet: lakehouse.write_parquet'
SELECT lakehouse.write_parquet('SELECT * FROM gold.sensor_hourly_avg', :'gold_parquet', 'zstd') AS rows_exported;
SQL
echo "== export Gold to CSV as the source project did: \\copy gold.sensor_hourly_avg TO 'iot_gold_export.csv' CSV HEADER"
(cd "$LAKE_TEST_FILES" && psql -X -v ON_ERROR_STOP=1 -c "\\copy gold.sensor_hourly_avg TO 'iot_gold_export.csv' CSV HEADER")
ls -l "$drop/_processed" "$drop/_rejected" | sed 's/^/   /'
head -3 "$LAKE_TEST_FILES/iot_gold_export.csv" | sed 's/^/   /'

echo
echo "== the building blocks: Parquet files and Delta tables written from SQL"
gen="$root/build/gen_sensor_data"
csv="$LAKE_TEST_FILES/readings.csv"
"$gen" --rows 200000 --sensors 20 --seed 7 --out "$csv"
chmod 644 "$csv"
echo "== sample readings (first lines of $csv)"
head -4 "$csv"

psql -X -v ON_ERROR_STOP=1 -v files="$LAKE_TEST_FILES" <<'SQL'
\set QUIET on
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
