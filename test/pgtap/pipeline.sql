-- The streaming pipeline from SQL: what CREATE EXTENSION creates (schemas,
-- foreign tables over empty Delta tables, BI views, the server, settings),
-- the upgrade from 0.1.0, lakehouse.refresh() stage by stage on dropped
-- files (Bronze, Silver with quarantine and deduplication, Gold), a second
-- refresh that has nothing to do, lakehouse.table_changes(),
-- lakehouse.create_delta_table(), lakehouse.pipeline_status, and the roles
-- refresh takes.
--
-- Stages commit to their Delta tables as they finish, so this suite runs
-- statement by statement in a database of its own (dropped at the end).
-- The worker of the test cluster runs in database postgres, where the
-- extension is not created, so it stays idle: every stage here is ours.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_pipeline;
DROP ROLE IF EXISTS regress_pl_user;
CREATE DATABASE regress_pipeline;
CREATE ROLE regress_pl_user;
\c regress_pipeline
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION pgtap;

SELECT plan(39);

-- ------------------------------------------------------------ upgrade

-- medallion tables other suites of this cluster created: a clean start
SELECT format('rm -rf %s/lakehouse', current_setting('data_directory')) AS rmroot \gset
COPY (SELECT 1 WHERE false) TO PROGRAM :'rmroot';

CREATE EXTENSION iot_lakehouse VERSION '0.1.0';
SELECT hasnt_schema('bronze', '0.1.0 has no pipeline');
SELECT lives_ok($$ALTER EXTENSION iot_lakehouse UPDATE$$, 'ALTER EXTENSION UPDATE from 0.1.0');
SELECT is((SELECT extversion FROM pg_extension WHERE extname = 'iot_lakehouse'), '0.2.0',
	'the update reaches the default version');
SELECT has_function('lakehouse', 'refresh', ARRAY['text'], 'the update adds lakehouse.refresh');
DROP EXTENSION iot_lakehouse;
SELECT hasnt_schema('bronze', 'DROP EXTENSION removes the pipeline''s schemas');

-- ------------------------------------------------- what CREATE creates

CREATE EXTENSION iot_lakehouse;
SELECT set_config('regress.root', lakehouse.pipeline_root(), false) IS NOT NULL AS root_set \gset
SELECT set_config('regress.drop', lakehouse.pipeline_root() || '/incoming', false) IS NOT NULL AS drop_set \gset

SELECT schemas_are(ARRAY['public', 'lakehouse', 'bronze', 'silver', 'gold'], 'the layers have schemas');
SELECT foreign_tables_are('bronze', ARRAY['sensor_logs'], 'Bronze''s foreign table');
SELECT foreign_tables_are('silver', ARRAY['sensor_logs', 'sensor_logs_quarantine'], 'Silver''s foreign tables');
SELECT foreign_tables_are('gold', ARRAY['sensor_hourly_avg'], 'Gold''s foreign table');
SELECT columns_are('gold', 'sensor_hourly_avg',
	ARRAY['sensor_id', 'location', 'hour', 'avg_temperature', 'min_temperature', 'max_temperature',
		  'avg_humidity', 'min_humidity', 'max_humidity', 'reading_count', 'reading_date'],
	'Gold''s columns');
SELECT results_eq($$SELECT table_schema || '.' || table_name FROM information_schema.tables
					WHERE table_schema IN ('bronze', 'silver', 'gold') AND table_type IN ('BASE TABLE', 'VIEW')
					ORDER BY 1$$,
	$$VALUES ('bronze.sensor_logs_view'::information_schema.sql_identifier::text),
			 ('gold.sensor_hourly_avg_view'), ('silver.sensor_logs_quarantine_view'), ('silver.sensor_logs_view')$$,
	'a tool that lists only tables and views finds every layer');
SELECT results_eq($$SELECT (SELECT count(*) FROM bronze.sensor_logs), (SELECT count(*) FROM silver.sensor_logs),
						   (SELECT count(*) FROM silver.sensor_logs_quarantine),
						   (SELECT count(*) FROM gold.sensor_hourly_avg_view)$$,
	$$VALUES (0::bigint, 0::bigint, 0::bigint, 0::bigint)$$,
	'the layers exist and are empty before the first drop');
SELECT results_eq($$SELECT version, operation FROM lakehouse.history('silver.sensor_logs')$$,
	$$VALUES (0::bigint, 'CREATE TABLE'::text)$$,
	'each Delta table is created empty (version 0)');
SELECT is(lakehouse.create_delta_table('gold.sensor_hourly_avg'), NULL,
	'create_delta_table leaves an existing table alone');
SELECT is((SELECT srvoptions FROM pg_foreign_server WHERE srvname = 'lakehouse'),
	ARRAY['root=' || current_setting('regress.root')], 'the server lakehouse has the pipeline''s root');
SELECT results_eq($$SELECT current_setting('lakehouse.poll_interval'), current_setting('lakehouse.temperature_min'),
						   current_setting('lakehouse.humidity_max'), current_setting('lakehouse.source_timezone'),
						   current_setting('lakehouse.worker_enabled')$$,
	$$VALUES ('1s'::text, '-50'::text, '100'::text, 'UTC'::text, 'on'::text)$$,
	'the pipeline''s settings and their defaults');

-- ------------------------------------------------------------ refresh

SELECT throws_ok($$SELECT * FROM lakehouse.refresh('platinum')$$, '22023', NULL, 'an unknown stage is refused');

-- a dropped file, its time set back past lakehouse.settle_ms (1 s), renamed in
CREATE FUNCTION drop_file(name text, body text) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
	tmp text := current_setting('regress.drop') || '/' || name || '.tmp';
	lo oid := lo_from_bytea(0, convert_to(body, 'UTF8'));
BEGIN
	PERFORM lo_export(lo, tmp);
	PERFORM lo_unlink(lo);
	EXECUTE format('COPY (SELECT 1 WHERE false) TO PROGRAM %L',
				   format('touch -d "1 minute ago" %s && mv %s %s/%s', tmp, tmp,
						  current_setting('regress.drop'), name));
END
$$;
SELECT drop_file('a.csv', E'sensor_id,timestamp,temperature,humidity,location\n'
	'1,2024-05-01 10:00:00,21.5,40,lab\n'
	'1,2024-05-01 10:00:00,99,99,lab\n'
	'2,2024-05-01 10:30:00,500,41,roof\n'
	'x,2024-05-01 10:40:00,20,41,roof\n'
	'3,2024-05-01 11:10:00,20,50');
SELECT drop_file('b.csv', E'not,a,sensor,file\n1,2,3,4');

SELECT results_eq($$SELECT stage_name, committed, rows_in, rows_out, files, files_rejected
					FROM lakehouse.refresh('bronze')$$,
	$$VALUES ('bronze'::text, true, 5::bigint, 5::bigint, 1, 1)$$,
	'Bronze ingests the readable file, every line, and rejects the other');
SELECT results_eq($$SELECT sensor_id, temperature, _rescued_data, _source_file, _source_line
					FROM bronze.sensor_logs ORDER BY _source_line$$,
	$$VALUES (1, 21.5::float8, NULL::jsonb, 'a.csv'::text, 2::bigint),
			 (1, 99, NULL, 'a.csv', 3),
			 (2, 500, NULL, 'a.csv', 4),
			 (NULL, 20, '{"_line": 5, "sensor_id": "x"}', 'a.csv', 5),
			 (3, 20, '{"_line": 6}', 'a.csv', 6)$$,
	'Bronze keeps every line, typed where it parses, the rest in _rescued_data');
SELECT is((SELECT count(*) FROM pg_ls_dir(current_setting('regress.drop') || '/_processed') f WHERE f = 'a.csv'),
	1::bigint, 'the ingested file moved to _processed');
SELECT ok((SELECT pg_read_file(current_setting('regress.drop') || '/_rejected/b.csv.error') LIKE '%no column "sensor_id"%'),
	'the rejected file moved to _rejected, with a .error saying why');
SELECT results_eq($$SELECT stage_name, committed, rows_in, rows_out, rows_quarantined FROM lakehouse.refresh('silver')$$,
	$$VALUES ('silver'::text, true, 5::bigint, 2::bigint, 2::bigint)$$,
	'Silver: 5 rows in, 2 valid and new, 2 quarantined, 1 duplicate dropped');
SELECT results_eq($$SELECT sensor_id, "timestamp", temperature, location, reading_date FROM silver.sensor_logs ORDER BY 1$$,
	$$VALUES (1, '2024-05-01 10:00:00+00'::timestamptz, 21.5::float8, 'lab'::text, '2024-05-01'::date),
			 (3, '2024-05-01 11:10:00+00', 20, NULL, '2024-05-01')$$,
	'Silver keeps the first arrival of a reading, and a reading without location');
SELECT results_eq($$SELECT _source_line, reason FROM silver.sensor_logs_quarantine ORDER BY 1$$,
	$$VALUES (4::bigint, 'temperature 500 is outside [-50, 150]'::text), (5, 'sensor_id is not an integer')$$,
	'the invalid rows are quarantined with their reason');
SELECT results_eq($$SELECT stage_name, committed, rows_out FROM lakehouse.refresh('gold')$$,
	$$VALUES ('gold'::text, true, 2::bigint)$$, 'Gold writes the touched hours');
SELECT results_eq($$SELECT sensor_id, hour, avg_temperature, reading_count FROM gold.sensor_hourly_avg ORDER BY 1$$,
	$$VALUES (1, '2024-05-01 10:00:00+00'::timestamptz, 21.5::float8, 1::bigint),
			 (3, '2024-05-01 11:00:00+00', 20, 1)$$,
	'Gold: the hourly aggregates of Silver');
SELECT results_eq($$SELECT stage_name, committed FROM lakehouse.refresh()$$,
	$$VALUES ('bronze'::text, false), ('silver', false), ('gold', false)$$,
	'a refresh with nothing new commits nothing');

-- a second drop: a duplicate of a Silver reading, and a new reading in a Gold hour
SELECT drop_file('c.csv', E'sensor_id,timestamp,temperature,humidity,location\n'
	'1,2024-05-01 10:00:00,30,40,lab\n'
	'1,2024-05-01 10:20:00,23.5,42,lab');
SELECT results_eq($$SELECT stage_name, rows_out FROM lakehouse.refresh()$$,
	$$VALUES ('bronze'::text, 2::bigint), ('silver', 1::bigint), ('gold', 2::bigint)$$,
	'refresh(''all'') runs the three stages');
SELECT results_eq($$SELECT sensor_id, hour, avg_temperature, min_temperature, max_temperature, reading_count
					FROM gold.sensor_hourly_avg ORDER BY 1$$,
	$$VALUES (1, '2024-05-01 10:00:00+00'::timestamptz, 22.5::float8, 21.5::float8, 23.5::float8, 2::bigint),
			 (3, '2024-05-01 11:00:00+00', 20, 20, 20, 1)$$,
	'Gold recomputes the touched hour; the duplicate is not counted');
SELECT results_eq($$SELECT sensor_id, avg_temperature FROM lakehouse.as_of(NULL::gold.sensor_hourly_avg, version => 1)
					ORDER BY 1$$,
	$$VALUES (1, 21.5::float8), (3, 20)$$, 'time travel on a layer');

-- ------------------------------------------------------ table_changes

SELECT results_eq($$SELECT _source_file, count(*) FROM lakehouse.table_changes(NULL::bronze.sensor_logs, 2)
					GROUP BY 1$$,
	$$VALUES ('c.csv'::text, 2::bigint)$$,
	'table_changes: the rows the versions from 2 on appended');
SELECT results_eq($$SELECT count(*) FROM lakehouse.table_changes(NULL::bronze.sensor_logs, 0, 1)$$,
	$$VALUES (5::bigint)$$, 'table_changes of a closed range');
SELECT throws_ok($$SELECT * FROM lakehouse.table_changes(NULL::bronze.sensor_logs, 1, 99)$$, '22023', NULL,
	'table_changes past the latest version is an error');

-- ------------------------------------------------------ pipeline_status

SELECT results_eq($$SELECT stage, table_version, source_version, files_pending FROM lakehouse.pipeline_status$$,
	$$VALUES ('bronze'::text, 2::bigint, 1::bigint, 0::bigint), ('silver', 2, 2, 0), ('gold', 2, 2, 0)$$,
	'pipeline_status: versions, what each stage processed, nothing pending');
SELECT ok((SELECT rows_quarantined >= 2 AND runs >= 3 AND last_error IS NULL
		   FROM lakehouse.pipeline_status WHERE stage = 'silver'),
	'pipeline_status counts this session''s runs');
SELECT drop_file('d.csv', E'sensor_id,timestamp,temperature,humidity,location\n4,2024-05-02 00:00:00,1,1,x');
SELECT is((SELECT files_pending FROM lakehouse.pipeline_status WHERE stage = 'bronze'), 1::bigint,
	'a dropped file is pending until Bronze runs');

-- ---------------------------------------------------------------- roles

SET ROLE regress_pl_user;
SELECT throws_ok($$SELECT * FROM lakehouse.refresh()$$, '42501', NULL, 'refresh is not for everyone');
SELECT throws_ok($$SELECT * FROM lakehouse.pipeline_status$$, '42501', NULL, 'neither is pipeline_status');
RESET ROLE;
GRANT pg_read_server_files, pg_write_server_files TO regress_pl_user;
GRANT EXECUTE ON FUNCTION lakehouse.refresh(text) TO regress_pl_user;
GRANT USAGE ON SCHEMA bronze, silver, gold TO regress_pl_user;
GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA bronze, silver, gold TO regress_pl_user;
SET ROLE regress_pl_user;
SELECT results_eq($$SELECT stage_name, rows_out FROM lakehouse.refresh('bronze')$$,
	$$VALUES ('bronze'::text, 1::bigint)$$,
	'with the file roles and EXECUTE, a role may refresh');
RESET ROLE;

SELECT * FROM finish();

\c postgres
SET client_min_messages = warning;
DROP DATABASE regress_pipeline;
DROP ROLE regress_pl_user;
