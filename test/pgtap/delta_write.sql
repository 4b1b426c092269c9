-- Writing Delta tables from SQL: a table created by its first INSERT
-- (partitioned and not), INSERT VALUES, INSERT ... SELECT, COPY FROM into
-- the foreign table, one commit per transaction (operation WRITE in the
-- history), rollback and a failed statement leave no version and no data
-- file, savepoint rollback, time travel tables are read-only, UPDATE is
-- refused, ingest_csv (BOM, CRLF, quoted delimiters and line breaks, bad
-- values with their line numbers, short and long rows, _rescued_data) and
-- the roles writing takes.
--
-- Unlike the other suites this one cannot run inside one transaction that
-- is rolled back at the end: a write commits when its transaction commits.
-- So it runs in a database of its own (dropped at the end), statement by
-- statement.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_delta_write;
DROP ROLE IF EXISTS regress_dw_user;
CREATE DATABASE regress_delta_write;
CREATE ROLE regress_dw_user;
\c regress_delta_write
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION pgtap;
CREATE EXTENSION iot_lakehouse;

SELECT plan(41);

\set dir :files/delta_write
\set mkdir 'rm -rf ' :dir ' && mkdir -p ' :dir
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkdir';
SELECT set_config('regress.dir', :'dir', false) IS NOT NULL AS dir_set \gset

CREATE SERVER regress_w FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root :'dir');

-- data files (*.parquet) under a table's directory
CREATE FUNCTION nfiles(sub text) RETURNS int LANGUAGE plpgsql AS $$
DECLARE
	n int;
BEGIN
	CREATE TEMP TABLE IF NOT EXISTS nfiles_out (n int);
	TRUNCATE nfiles_out;
	EXECUTE format('COPY nfiles_out FROM PROGRAM %L',
				   'find ' || current_setting('regress.dir') || '/' || sub || ' -name "*.parquet" | wc -l');
	SELECT nfiles_out.n INTO n FROM nfiles_out;
	RETURN n;
END
$$;

CREATE FUNCTION versions(rel regclass) RETURNS bigint LANGUAGE sql AS $$
	SELECT count(*) FROM lakehouse.history(rel)
$$;

-- ------------------------------------------------------------ INSERT

CREATE FOREIGN TABLE t (id bigint, name text, v double precision, r real, i integer, s smallint,
						ok boolean, b bytea, d date, ts timestamptz, ntz timestamp, n numeric(10,2),
						big numeric(30,5), u numeric)
	SERVER regress_w OPTIONS (path 'plain/t');

SELECT lives_ok($$INSERT INTO t VALUES
	(1, 'one', 1.5, 2.5, 7, 3, true, '\x0102', '2024-05-01', '2024-05-01 12:00:00.123456+00',
	 '2024-05-01 12:00', 12.34, 123456789012345678901234.5, 1.000000000000000001),
	(2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)$$,
	'the first INSERT creates the Delta table');
SELECT results_eq($$SELECT id, name, v, r, i, s, ok, b, d, ts, ntz, n, big, u FROM t ORDER BY id$$,
	$$VALUES (1::bigint, 'one'::text, 1.5::float8, 2.5::real, 7, 3::smallint, true, '\x0102'::bytea,
			  '2024-05-01'::date, '2024-05-01 12:00:00.123456+00'::timestamptz,
			  '2024-05-01 12:00'::timestamp, 12.34::numeric, 123456789012345678901234.5::numeric,
			  1.000000000000000001::numeric),
			 (2, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)$$,
	'every type reads back as written');
SELECT results_eq($$SELECT version, operation, operation_parameters, engine FROM lakehouse.history('t')$$,
	$$VALUES (0::bigint, 'WRITE'::text, '{"mode": "Append", "partitionBy": "[]"}'::jsonb,
			  'iot_lakehouse/0.2.0'::text)$$,
	'the creating INSERT is version 0, a WRITE');

SELECT lives_ok($$INSERT INTO t (id, name, v) SELECT g, 'row ' || g, g / 4.0 FROM generate_series(10, 1009) g$$,
	'INSERT ... SELECT');
SELECT results_eq($$SELECT count(*), sum(id), count(DISTINCT name) FROM t$$,
	$$VALUES (1002::bigint, 509503::numeric, 1001::bigint)$$,
	'INSERT ... SELECT wrote every row once');

COPY t (id, name) FROM STDIN WITH (FORMAT csv);
2001,copied
2002,"with, comma"
\.
SELECT results_eq($$SELECT id, name FROM t WHERE id > 2000 ORDER BY id$$,
	$$VALUES (2001::bigint, 'copied'::text), (2002, 'with, comma')$$,
	'COPY FROM into the foreign table');
SELECT results_eq($$SELECT array_agg(version ORDER BY version), array_agg(DISTINCT operation) FROM lakehouse.history('t')$$,
	$$VALUES ('{0,1,2}'::bigint[], '{WRITE}'::text[])$$,
	'one version per transaction');
SELECT is(nfiles('plain/t'), 3, 'one data file per commit');

-- several statements in one transaction: one commit
BEGIN;
INSERT INTO t (id) VALUES (3001);
INSERT INTO t (id) VALUES (3002);
INSERT INTO t (id) SELECT 3003;
COMMIT;
SELECT is(versions('t'), 4::bigint, 'three INSERTs in one transaction make one commit');
SELECT results_eq($$SELECT count(*) FROM t WHERE id BETWEEN 3001 AND 3003$$, $$VALUES (3::bigint)$$,
	'... with all their rows');

-- ------------------------------------------------------------ rollback

BEGIN;
INSERT INTO t (id) VALUES (4001);
ROLLBACK;
SELECT is(versions('t'), 4::bigint, 'a rolled-back transaction leaves no version');
SELECT is(nfiles('plain/t'), 4, '... and no data file');

SELECT throws_ok($$DO 'BEGIN INSERT INTO t (id) VALUES (4002); PERFORM 1 / 0; END'$$, '22012', NULL,
	'a failing statement after an INSERT');
SELECT is(versions('t'), 4::bigint, 'the failed statement left no version');
SELECT is(nfiles('plain/t'), 4, '... and no data file');

BEGIN;
INSERT INTO t (id) VALUES (5001);
SAVEPOINT a;
INSERT INTO t (id) VALUES (5002);
ROLLBACK TO a;
INSERT INTO t (id) VALUES (5003);
SAVEPOINT b;
INSERT INTO t (id) VALUES (5004);
RELEASE b;
COMMIT;
SELECT results_eq($$SELECT id FROM t WHERE id BETWEEN 5001 AND 5004 ORDER BY id$$,
	$$VALUES (5001::bigint), (5003), (5004)$$,
	'rows of a rolled-back savepoint are not committed, released ones are');
SELECT is(versions('t'), 5::bigint, 'the savepoint transaction is one commit');

-- ------------------------------------------------------------ refusals

CREATE FOREIGN TABLE t_v0 (id bigint) SERVER regress_w OPTIONS (path 'plain/t', version '0');
SELECT throws_ok($$INSERT INTO t_v0 VALUES (1)$$, '25006', NULL,
	'a table pinned to a version is read-only');
SELECT results_eq($$SELECT count(*) FROM t_v0$$, $$VALUES (2::bigint)$$, '... and still reads its version');
SELECT throws_ok($$UPDATE t SET name = 'x'$$, '0A000', NULL, 'UPDATE is refused');
SELECT throws_ok($$DELETE FROM t$$, '0A000', NULL, 'DELETE is refused');

CREATE FOREIGN TABLE t_point (id int, p point) SERVER regress_w OPTIONS (path 'plain/point');
SELECT throws_ok($$INSERT INTO t_point VALUES (1, '(1,2)')$$, '0A000',
	NULL, 'a column without a Delta type is named');

CREATE FOREIGN TABLE t_extra (id bigint, nope int) SERVER regress_w OPTIONS (path 'plain/t');
SELECT throws_ok($$INSERT INTO t_extra VALUES (1, 2)$$, '42703', NULL,
	'a foreign column that the Delta table does not have');

SELECT throws_ok($$CREATE FOREIGN TABLE t_bad (id int) SERVER regress_w OPTIONS (path 'x', partition_by 'id,')$$,
	'HV024', NULL, 'partition_by is checked by the validator');
CREATE FOREIGN TABLE t_nopart (id int, v int) SERVER regress_w OPTIONS (path 'plain/nopart', partition_by 'day');
SELECT throws_ok($$INSERT INTO t_nopart VALUES (1, 2)$$, '42703',
	'partition column "day" of option "partition_by" is not a column of foreign table "t_nopart"',
	'a partition column that is not a column');

-- ------------------------------------------------------------ partitioned

CREATE FOREIGN TABLE p (dev text, day date, temp real)
	SERVER regress_w OPTIONS (path 'part/p', partition_by 'dev, day');
SELECT lives_ok($$INSERT INTO p VALUES ('a', '2024-01-01', 1), ('b', '2024-01-02', 2), (NULL, NULL, 3),
	('a', '2024-01-01', 4)$$, 'a partitioned table created by its first INSERT');
SELECT results_eq($$SELECT dev, day, temp FROM p ORDER BY temp$$,
	$$VALUES ('a'::text, '2024-01-01'::date, 1::real), ('b', '2024-01-02', 2), (NULL, NULL, 3),
			 ('a', '2024-01-01', 4)$$,
	'partitioned rows read back, null partitions too');
SELECT is(operation_parameters ->> 'partitionBy', '["dev","day"]', 'the commit names the partition columns')
	FROM lakehouse.history('p');
SELECT ok((pg_stat_file(current_setting('regress.dir') || '/part/p/dev=a/day=2024-01-01')).isdir,
	'Hive-style partition directories');
SELECT results_eq($$SELECT count(*) FROM p WHERE dev = 'b'$$, $$VALUES (1::bigint)$$,
	'partition pruning on the written table');

-- ------------------------------------------------------------ ingest_csv

\set csv1 :dir/one.csv
\set mkcsv1 'printf ''\357\273\277id,Name,temp,ts\r\n1,"a,b",1.5,2024-01-01 10:00:00\r\n2,"multi\nline",2.5,2024-01-01T11:00:00+02:00\r\n3,,x,2024-01-01\r\n4,d,4.5\r\n5,e,5.5,2024-01-02 00:00,extra\r\n'' > ' :csv1
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkcsv1';
\set csv2 :dir/two.csv
\set mkcsv2 'printf ''id;name;temp;ts\n1;"x;y";NULL;2024-03-01 00:00:00\n2;;7;\n'' > ' :csv2
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkcsv2';
\set csv3 :dir/three.csv
\set mkcsv3 'printf ''1,a,1.5,2024-01-01 00:00:00+00\n2,b\n'' > ' :csv3
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkcsv3';
\set csv4 :dir/four.csv
\set mkcsv4 'printf ''id,colour\n1,red\n'' > ' :csv4
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkcsv4';
SELECT set_config('regress.csv1', :'csv1', false) IS NOT NULL AS x \gset
SELECT set_config('regress.csv2', :'csv2', false) IS NOT NULL AS x \gset
SELECT set_config('regress.csv3', :'csv3', false) IS NOT NULL AS x \gset
SELECT set_config('regress.csv4', :'csv4', false) IS NOT NULL AS x \gset

CREATE FOREIGN TABLE c (id int, name text, temp float8, ts timestamptz) SERVER regress_w OPTIONS (path 'csv/c');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('c', %L)$$, current_setting('regress.csv1')), '22P02',
	format('line 5 of file "%s": invalid input syntax for type double precision', current_setting('regress.csv1')),
	'a bad value: its line (after a quoted line break) and the reason');
SELECT is(nfiles('csv/c'), 0, '... and nothing is left behind');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('c', %L, header => false)$$, current_setting('regress.csv3')),
	'22P04', format('line 2 of file "%s" has 2 fields, expected 4', current_setting('regress.csv3')),
	'a short row');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('c', %L)$$, current_setting('regress.csv4')), '42703',
	format('column "colour" of the header of file "%s" is not a column of the table', current_setting('regress.csv4')),
	'an unknown header column');
SELECT is(lakehouse.ingest_csv('c', current_setting('regress.csv2'), delimiter => ';', null_string => 'NULL',
							   source_timezone => 'America/New_York'),
	2::bigint, 'ingest_csv returns the rows written');
SELECT results_eq($$SELECT id, name, temp, ts FROM c ORDER BY id$$,
	$$VALUES (1, 'x;y'::text, NULL::float8, '2024-03-01 05:00:00+00'::timestamptz), (2, NULL, 7, NULL)$$,
	'delimiter, quoted delimiter, null string, source time zone');

CREATE FOREIGN TABLE cr (id int, name text, temp float8, ts timestamptz, _rescued_data jsonb)
	SERVER regress_w OPTIONS (path 'csv/cr');
SELECT is(lakehouse.ingest_csv('cr', current_setting('regress.csv1'), source_timezone => 'Europe/Paris'),
	5::bigint, 'with _rescued_data every row is kept');
SELECT results_eq($$SELECT id, name, temp, ts, _rescued_data FROM cr ORDER BY id$$,
	$$VALUES (1, 'a,b'::text, 1.5::float8, '2024-01-01 09:00:00+00'::timestamptz, NULL::jsonb),
			 (2, E'multi\nline', 2.5, '2024-01-01 09:00:00+00', NULL),
			 (3, NULL, NULL, '2023-12-31 23:00:00+00', '{"temp": "x", "_line": 5}'),
			 (4, 'd', 4.5, NULL, '{"_line": 6}'),
			 (5, 'e', 5.5, '2024-01-01 23:00:00+00', '{"_c4": "extra", "_line": 7}')$$,
	'BOM, CRLF, quoted line breaks; bad values, short and long rows rescued');

-- ------------------------------------------------------------ roles

GRANT USAGE ON SCHEMA lakehouse TO regress_dw_user;
GRANT SELECT, INSERT ON t TO regress_dw_user;
SET ROLE regress_dw_user;
SELECT throws_ok($$INSERT INTO t (id) VALUES (9001)$$, '42501', NULL,
	'INSERT needs pg_write_server_files');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('c', %L)$$, current_setting('regress.csv2')), '42501', NULL,
	'ingest_csv needs pg_read_server_files');
RESET ROLE;
GRANT pg_write_server_files TO regress_dw_user;
SET ROLE regress_dw_user;
SELECT lives_ok($$INSERT INTO t (id) VALUES (9002)$$, 'with pg_write_server_files INSERT works');
RESET ROLE;

SELECT * FROM finish();

\c postgres
SET client_min_messages = warning;
DROP DATABASE regress_delta_write;
DROP ROLE regress_dw_user;
