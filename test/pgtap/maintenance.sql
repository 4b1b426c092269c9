-- Table maintenance from SQL: OPTIMIZE after hundreds of small commits
-- (file count cut, same rows, one OPTIMIZE commit without dataChange that
-- table_changes does not report), OPTIMIZE ZORDER BY (sensor_id, ts) and
-- what statistics skipping then reads for one sensor over one hour and for
-- either column alone, the partition predicate, and what is refused.
--
-- Writes commit when their transaction commits, so this suite runs
-- statement by statement in a database of its own (dropped at the end).
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_maintenance;
DROP ROLE IF EXISTS regress_mt_user;
CREATE DATABASE regress_maintenance;
CREATE ROLE regress_mt_user;
\c regress_maintenance
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION pgtap;
CREATE EXTENSION iot_lakehouse;

SELECT plan(34);

\set dir :files/maintenance
\set mkdir 'rm -rf ' :dir ' && mkdir -p ' :dir
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkdir';
CREATE SERVER regress_m FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root :'dir');

-- "Files Scanned" / "Files Total" of a query's plan (with ANALYZE)
CREATE FUNCTION files_scanned(q text, OUT scanned int, OUT total int) LANGUAGE plpgsql AS $$
DECLARE
	plan json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, FORMAT JSON) ' || q INTO plan;
	WITH RECURSIVE nodes(n) AS (
		SELECT plan -> 0 -> 'Plan'
		UNION ALL
		SELECT p FROM nodes, json_array_elements(nodes.n -> 'Plans') p)
	SELECT (n ->> 'Files Scanned')::int, (n ->> 'Files Total')::int INTO scanned, total
	  FROM nodes WHERE n ->> 'Files Total' IS NOT NULL LIMIT 1;
END
$$;

CREATE FUNCTION data_files(sub text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	n int;
BEGIN
	CREATE TEMP TABLE IF NOT EXISTS data_files_out (n int);
	TRUNCATE data_files_out;
	EXECUTE format('COPY data_files_out FROM PROGRAM %L',
				   'cat >/dev/null; find ' || current_setting('regress.dir') || '/' || sub || ' -name "*.parquet" -not -path "*/_delta_log/*" | wc -l');
	SELECT data_files_out.n INTO n FROM data_files_out;
	RETURN n;
END
$$;
SELECT set_config('regress.dir', :'dir', false) IS NOT NULL AS dir_set \gset

-- ------------------------------------------------------ compaction

CREATE FOREIGN TABLE readings (sensor_id int, ts timestamptz, temperature float8, d date)
	SERVER regress_m OPTIONS (path 'readings', partition_by 'd');
-- 480 small commits of 100 readings over 2 partitions: 48 sensors, 20 days
DO $$
BEGIN
	FOR i IN 0..479 LOOP
		INSERT INTO readings
		SELECT 1000 + (g * 7 + i) % 48, '2024-05-01 00:00+00'::timestamptz + ((i * 100 + g) * 36) * interval '1 second',
			   ((g * 31 + i * 17) % 400) / 10.0, ('2024-05-01'::date + (i % 2))
		  FROM generate_series(0, 99) g;
		COMMIT;
	END LOOP;
END
$$;
CREATE TABLE before AS SELECT * FROM readings;
SELECT is((SELECT count(*) FROM before), 48000::bigint, '480 commits of 100 rows');
SELECT is((files_scanned('SELECT * FROM readings')).total, 480, 'one data file per commit');

SET lakehouse.target_file_size = '256kB';
SELECT results_eq($$SELECT files_removed, files_added, rows, partitions FROM lakehouse.optimize('readings')$$,
	$$VALUES (480::bigint, 2::bigint, 48000::bigint, 2::bigint)$$,
	'OPTIMIZE compacts the small files of each partition');
SELECT ok((files_scanned('SELECT * FROM readings')).total * 10 <= 480, 'the file count is cut at least tenfold');
SELECT is_empty($$(SELECT * FROM readings EXCEPT ALL SELECT * FROM before)
				  UNION ALL (SELECT * FROM before EXCEPT ALL SELECT * FROM readings)$$,
	'after OPTIMIZE every row reads back once');
SELECT results_eq($$SELECT operation, operation_parameters FROM lakehouse.history('readings') LIMIT 1$$,
	$$VALUES ('OPTIMIZE'::text, '{"predicate": "[]", "zOrderBy": "[]"}'::jsonb)$$,
	'one OPTIMIZE commit');
SELECT ok(pg_read_file(current_setting('regress.dir') || '/readings/_delta_log/00000000000000000480.json')
		  !~ '"dataChange":true', 'OPTIMIZE adds and removes without dataChange');
SELECT is((SELECT count(*) FROM lakehouse.table_changes(NULL::readings, 480)), 0::bigint,
	'a stream reading the table sees no change in OPTIMIZE');
SELECT results_eq($$SELECT files_removed, version FROM lakehouse.optimize('readings')$$,
	$$VALUES (0::bigint, NULL::bigint)$$, 'nothing left to compact: no commit');
SELECT is((SELECT count(*) FROM lakehouse.as_of(NULL::readings, version => 479)), 48000::bigint,
	'time travel before OPTIMIZE reads the old files');

-- ------------------------------------------------------ Z-order

SET lakehouse.target_file_size = '8kB';
SET lakehouse.parquet_row_group_rows = 250;
SELECT results_eq($$SELECT files_removed, rows FROM lakehouse.optimize('readings', ARRAY['sensor_id', 'ts'])$$,
	$$VALUES (2::bigint, 48000::bigint)$$, 'OPTIMIZE ZORDER BY rewrites every file in scope');
RESET lakehouse.target_file_size;
RESET lakehouse.parquet_row_group_rows;
SELECT is_empty($$(SELECT * FROM readings EXCEPT ALL SELECT * FROM before)
				  UNION ALL (SELECT * FROM before EXCEPT ALL SELECT * FROM readings)$$,
	'after Z-ordering every row reads back once');
SELECT ok((SELECT total >= 40 FROM files_scanned('SELECT * FROM readings')), 'small files: many of them');
SELECT ok((SELECT scanned * 10 <= total FROM files_scanned($$SELECT avg(temperature) FROM readings
		   WHERE sensor_id = 1007 AND ts >= '2024-05-04 10:00+00' AND ts < '2024-05-04 11:00+00'$$)),
	'one sensor over one hour reads at most a tenth of the files');
SELECT ok((SELECT scanned < total FROM files_scanned($$SELECT avg(temperature) FROM readings WHERE sensor_id = 1007$$)),
	'one sensor alone skips files');
SELECT ok((SELECT scanned < total FROM files_scanned($$SELECT avg(temperature) FROM readings
		   WHERE ts >= '2024-05-04 10:00+00' AND ts < '2024-05-04 11:00+00'$$)),
	'one hour alone skips files');

-- ------------------------------------------------ predicate, refusals

SELECT results_eq($$SELECT partitions FROM lakehouse.optimize('readings', ARRAY['sensor_id'], 'd = ''2024-05-02''')$$,
	$$VALUES (1::bigint)$$, 'the predicate selects partitions');
SELECT throws_ok($$SELECT * FROM lakehouse.optimize('readings', ARRAY['d'])$$, '22023', NULL,
	'Z-order by a partition column is refused');
SELECT throws_ok($$SELECT * FROM lakehouse.optimize('readings', ARRAY['nope'])$$, '42703', NULL,
	'Z-order by an unknown column is refused');
GRANT SELECT ON readings TO regress_mt_user;
SET ROLE regress_mt_user;
SELECT throws_ok($$SELECT * FROM lakehouse.optimize('readings')$$, '42501', NULL,
	'only the table''s owner may optimize it');
RESET ROLE;

-- ------------------------------------------------------------ RESTORE

CREATE TABLE at_100 AS SELECT * FROM lakehouse.as_of(NULL::readings, version => 100);
SELECT results_eq($$SELECT restored_version, files_restored FROM lakehouse.restore('readings', version => 100)$$,
	$$VALUES (100::bigint, 101::bigint)$$, 'RESTORE re-adds the files of version 100');
SELECT is_empty($$(SELECT * FROM readings EXCEPT ALL SELECT * FROM at_100)
				  UNION ALL (SELECT * FROM at_100 EXCEPT ALL SELECT * FROM readings)$$,
	'after RESTORE the table holds exactly the rows of that version');
SELECT results_eq($$SELECT operation, operation_parameters FROM lakehouse.history('readings') LIMIT 1$$,
	$$VALUES ('RESTORE'::text, '{"version": "100"}'::jsonb)$$, 'one RESTORE commit');
SELECT results_eq($$SELECT restored_version FROM lakehouse.restore('readings',
					  "timestamp" => (SELECT "timestamp" FROM lakehouse.history('readings') WHERE version = 482))$$,
	$$VALUES (482::bigint)$$,
	'RESTORE as of an instant: the version committed at or before it');
SELECT is((SELECT count(*) FROM readings), 48000::bigint, 'restoring the Z-ordered version brings its rows back');
SELECT throws_ok($$SELECT * FROM lakehouse.restore('readings')$$, '22023', NULL,
	'RESTORE needs a version or a timestamp');

-- ------------------------------------------------------------- VACUUM

SELECT is_empty($$SELECT * FROM lakehouse.vacuum('readings')$$,
	'VACUUM with the default retention (7 days) keeps every file written today');
SELECT throws_ok($$SELECT * FROM lakehouse.vacuum('readings', '1 hour')$$, '22023', NULL,
	'a retention below delta.deletedFileRetentionDuration is refused');
SELECT is((SELECT count(*)::int FROM lakehouse.vacuum('readings', '0 seconds', dry_run => true, retention_check => false)),
	data_files('readings') - (files_scanned('SELECT * FROM readings')).total,
	'a dry run lists every data file the latest version does not use');
SELECT is(data_files('readings') > (files_scanned('SELECT * FROM readings')).total, true,
	'... and deletes nothing');
SELECT lives_ok($$SELECT * FROM lakehouse.vacuum('readings', '0 seconds', retention_check => false)$$,
	'VACUUM with retention 0');
SELECT is(data_files('readings'), (files_scanned('SELECT * FROM readings')).total,
	'only the latest version''s files are left');
SELECT is((SELECT count(*) FROM readings), 48000::bigint, 'the latest version reads whole');
SELECT throws_ok($$SELECT * FROM lakehouse.restore('readings', version => 100)$$, '22023', NULL,
	'a version whose files were vacuumed cannot be restored');

SELECT * FROM finish();

\c postgres
SET client_min_messages = warning;
DROP DATABASE regress_maintenance;
DROP ROLE regress_mt_user;
