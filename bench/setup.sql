-- setup.sql
--   The benchmark's tables: the generated CSV loaded into a heap table
--   (VACUUM ANALYZE'd), a file_fdw table over the same CSV, and the
--   iot_lakehouse server that bench.mjs hangs its Parquet foreign tables on.
--   Run by bench/run.sh: psql -v csv=/abs/path.csv -f bench/setup.sql
\set ON_ERROR_STOP on

CREATE EXTENSION IF NOT EXISTS iot_lakehouse;
CREATE EXTENSION IF NOT EXISTS file_fdw;

DROP TABLE IF EXISTS public.bench_heap;
CREATE TABLE public.bench_heap (
	sensor_id integer,
	"timestamp" timestamp,
	temperature double precision,
	humidity double precision,
	location text
);
COPY public.bench_heap FROM :'csv' WITH (FORMAT csv, HEADER true);
VACUUM ANALYZE public.bench_heap;

DROP SERVER IF EXISTS bench_csv_server CASCADE;
CREATE SERVER bench_csv_server FOREIGN DATA WRAPPER file_fdw;
CREATE FOREIGN TABLE public.bench_csv (
	sensor_id integer,
	"timestamp" timestamp,
	temperature double precision,
	humidity double precision,
	location text
) SERVER bench_csv_server OPTIONS (filename :'csv', format 'csv', header 'true');

DROP SERVER IF EXISTS bench_lake_server CASCADE;
CREATE SERVER bench_lake_server FOREIGN DATA WRAPPER iot_lakehouse_fdw;
