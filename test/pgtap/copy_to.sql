-- COPY lake_table TO ... and COPY view_over_lake_tables TO ... (src/copy_to.c):
-- to a server file in CSV with a header, with a column list, to STDOUT
-- (psql's \copy, as users export), views over lake tables (directly, in a
-- sublink, through another view), time travel (a table pinned to a
-- version, lakehouse.as_of_timestamp), a cached statement in PL/pgSQL,
-- privileges (SELECT on the table, its columns or the view; a file still
-- takes pg_write_server_files), and what keeps PostgreSQL's own behaviour:
-- heap tables, views over heap tables only, foreign tables of another
-- wrapper, COPY FROM.
--
-- Like delta_write.sql this runs in a database of its own, statement by
-- statement: Delta writes commit when their transaction commits.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_copy_to;
DROP ROLE IF EXISTS regress_ct_user;
DROP ROLE IF EXISTS regress_ct_nofile;
CREATE DATABASE regress_copy_to;
CREATE ROLE regress_ct_user;
CREATE ROLE regress_ct_nofile;
\c regress_copy_to
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION pgtap;
CREATE EXTENSION iot_lakehouse;

SELECT plan(41);

\set dir :files/copy_to
\set mkdir 'rm -rf ' :dir ' && mkdir -p ' :dir/out
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkdir';
SELECT set_config('regress.dir', :'dir', false) IS NOT NULL AS dir_set \gset

CREATE SERVER regress_ct FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root :'dir');

-- where a test writes its file, and what it holds (NULL when missing)
CREATE FUNCTION out_path(name text) RETURNS text LANGUAGE sql AS $$
	SELECT current_setting('regress.dir') || '/out/' || name
$$;
CREATE FUNCTION file_text(name text) RETURNS text LANGUAGE sql AS $$
	SELECT pg_read_file(out_path(name), 0, 10000000, true)
$$;
-- the lines of a file after the first skip ones, in byte order
CREATE FUNCTION file_lines(name text, skip int DEFAULT 0) RETURNS SETOF text LANGUAGE sql AS $$
	SELECT l FROM unnest(string_to_array(rtrim(file_text(name), E'\n'), E'\n')) WITH ORDINALITY AS u(l, n)
	WHERE n > skip ORDER BY l COLLATE "C"
$$;

CREATE SCHEMA regress_gold;
CREATE FOREIGN TABLE regress_gold.readings (id int, name text, v double precision)
	SERVER regress_ct OPTIONS (path 'readings');
-- version 0, then version 1 a moment later
INSERT INTO regress_gold.readings VALUES (1, 'a', 1.5), (2, 'b,c', NULL);
SELECT pg_sleep(0.05);
SELECT clock_timestamp() AS between_versions \gset
SELECT pg_sleep(0.05);
INSERT INTO regress_gold.readings VALUES (3, 'c', 3.5);

-- ------------------------------------------------------------ a lake table

SELECT lives_ok(format('COPY regress_gold.readings TO %L (FORMAT csv, HEADER)', out_path('readings.csv')),
	'COPY lake_table TO a server file');
SELECT is(split_part(file_text('readings.csv'), E'\n', 1), 'id,name,v', '... starts with the header');
SELECT results_eq($$SELECT * FROM file_lines('readings.csv', 1)$$,
	$$VALUES ('1,a,1.5'), ('2,"b,c",'), ('3,c,3.5')$$,
	'... then every row of the latest version once, quoted and with NULLs as CSV has them');

CREATE TEMP TABLE back (id int, name text, v double precision);
SELECT lives_ok(format('COPY back FROM %L (FORMAT csv, HEADER)', out_path('readings.csv')),
	'the file reads back with COPY FROM');
SELECT results_eq($$SELECT * FROM back ORDER BY id$$, $$SELECT * FROM regress_gold.readings ORDER BY id$$,
	'... into exactly the rows of the table');

SELECT lives_ok(format('COPY regress_gold.readings (v, id) TO %L (FORMAT csv)', out_path('columns.csv')),
	'COPY lake_table (columns) TO');
SELECT results_eq($$SELECT * FROM file_lines('columns.csv')$$,
	$$VALUES (',2'), ('1.5,1'), ('3.5,3')$$,
	'... writes only those columns, in the order of the list');

SELECT lives_ok(format('COPY regress_gold.readings TO %L', out_path('text.txt')),
	'COPY lake_table TO in the text format');
SELECT results_eq($$SELECT * FROM file_lines('text.txt')$$,
	$$VALUES (E'1\ta\t1.5'), (E'2\tb,c\t\\N'), (E'3\tc\t3.5')$$,
	'... tab-separated, NULL as \N');

SELECT throws_ok(format('COPY regress_gold.readings (nope) TO %L', out_path('nope.csv')), '42703', NULL,
	'an unknown column in the list is an error');

CREATE FOREIGN TABLE regress_gold."Mixed Case" (id int) SERVER regress_ct OPTIONS (path 'readings');
SELECT lives_ok(format('COPY regress_gold."Mixed Case" TO %L', out_path('mixed.txt')),
	'a table whose name needs quoting');
SELECT results_eq($$SELECT * FROM file_lines('mixed.txt')$$, $$VALUES ('1'), ('2'), ('3')$$,
	'... copies its rows');

-- ------------------------------------------------------------ views

CREATE VIEW regress_gold.sensor_hourly_avg AS
	SELECT id, upper(name) AS name FROM regress_gold.readings WHERE id < 3;
SELECT lives_ok(format('COPY regress_gold.sensor_hourly_avg TO %L (FORMAT csv, HEADER)', out_path('view.csv')),
	'COPY view_over_a_lake_table TO');
SELECT results_eq($$SELECT * FROM file_lines('view.csv')$$,
	$$VALUES ('1,A'), ('2,"B,C"'), ('id,name')$$,
	'... writes the header and the rows of the view');

CREATE VIEW regress_gold.over_view AS SELECT name FROM regress_gold.sensor_hourly_avg WHERE id = 2;
SELECT lives_ok(format('COPY regress_gold.over_view TO %L (FORMAT csv)', out_path('over_view.csv')),
	'a view over that view');
SELECT results_eq($$SELECT * FROM file_lines('over_view.csv')$$, $$VALUES ('"B,C"')$$,
	'... copies its rows');

CREATE TABLE heap_t (id int, note text);
INSERT INTO heap_t VALUES (1, 'one'), (3, 'three'), (5, 'five');
CREATE VIEW in_lake AS SELECT id, note FROM heap_t WHERE id IN (SELECT id FROM regress_gold.readings);
SELECT lives_ok(format('COPY in_lake TO %L (FORMAT csv)', out_path('in_lake.csv')),
	'a view that reads the lake table only in a sublink');
SELECT results_eq($$SELECT * FROM file_lines('in_lake.csv')$$, $$VALUES ('1,one'), ('3,three')$$,
	'... copies its rows');

-- ------------------------------------------------------------ to STDOUT

-- what users type: psql's \copy sends COPY ... TO STDOUT and writes the file itself
\cd :dir/out
\set ON_ERROR_STOP 0
\copy regress_gold.sensor_hourly_avg TO 'iot_gold_export.csv' CSV HEADER
\o :dir/out/stdout.txt
COPY regress_gold.readings (id, name) TO STDOUT;
\o
\set ON_ERROR_STOP 1
SELECT results_eq($$SELECT * FROM file_lines('iot_gold_export.csv')$$,
	$$VALUES ('1,A'), ('2,"B,C"'), ('id,name')$$,
	'\copy view TO file CSV HEADER (COPY view TO STDOUT)');
SELECT results_eq($$SELECT * FROM file_lines('stdout.txt')$$,
	$$VALUES (E'1\ta'), (E'2\tb,c'), (E'3\tc')$$,
	'COPY lake_table (columns) TO STDOUT');

-- ------------------------------------------------------------ time travel

CREATE FOREIGN TABLE regress_gold.readings_v0 (id int, name text, v double precision)
	SERVER regress_ct OPTIONS (path 'readings', version '0');
SELECT lives_ok(format('COPY regress_gold.readings_v0 TO %L (FORMAT csv)', out_path('v0.csv')),
	'COPY of a table pinned to version 0');
SELECT results_eq($$SELECT * FROM file_lines('v0.csv')$$, $$VALUES ('1,a,1.5'), ('2,"b,c",')$$,
	'... writes the rows of version 0');

SELECT set_config('lakehouse.as_of_timestamp', :'between_versions', false) IS NOT NULL AS as_of_set \gset
SELECT lives_ok(format('COPY regress_gold.readings TO %L (FORMAT csv)', out_path('as_of.csv')),
	'COPY lake_table TO under lakehouse.as_of_timestamp');
SELECT results_eq($$SELECT * FROM file_lines('as_of.csv')$$, $$VALUES ('1,a,1.5'), ('2,"b,c",')$$,
	'... writes the rows as of that instant');
SELECT lives_ok(format('COPY regress_gold.sensor_hourly_avg TO %L (FORMAT csv)', out_path('as_of_view.csv')),
	'... and so does a view');
SELECT results_eq($$SELECT * FROM file_lines('as_of_view.csv')$$, $$VALUES ('1,A'), ('2,"B,C"')$$,
	'... over the table as of that instant');
RESET lakehouse.as_of_timestamp;

-- ------------------------------------------------------------ a cached statement

-- a static COPY in PL/pgSQL runs from a saved plan (a read-only parse tree)
CREATE FUNCTION copy_twice() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	COPY regress_gold.readings (id) TO '/dev/null';
	COPY regress_gold.readings (id) TO '/dev/null';
END
$$;
SELECT lives_ok('SELECT copy_twice(); SELECT copy_twice()', 'a COPY TO in PL/pgSQL, run four times from its plan');

-- ------------------------------------------------------------ PostgreSQL's behaviour kept

SELECT lives_ok(format('COPY heap_t TO %L (FORMAT csv)', out_path('heap.csv')), 'COPY heap_table TO');
SELECT results_eq($$SELECT * FROM file_lines('heap.csv')$$,
	$$VALUES ('1,one'), ('3,three'), ('5,five')$$,
	'... copies it as before');

CREATE VIEW heap_v AS SELECT id FROM heap_t;
SELECT throws_ok(format('COPY heap_v TO %L', out_path('heap_v.txt')), '42809', 'cannot copy from view "heap_v"',
	'a view over heap tables only is refused as PostgreSQL refuses it');

CREATE FOREIGN DATA WRAPPER regress_other;
CREATE SERVER regress_other_srv FOREIGN DATA WRAPPER regress_other;
CREATE FOREIGN TABLE other_t (id int) SERVER regress_other_srv;
SELECT throws_ok(format('COPY other_t TO %L', out_path('other.txt')), '42809',
	'cannot copy from foreign table "other_t"',
	'a foreign table of another wrapper is refused as PostgreSQL refuses it');

SELECT throws_ok(format('COPY regress_gold.no_such_table TO %L', out_path('none.txt')), '42P01',
	'relation "regress_gold.no_such_table" does not exist', 'an unknown table keeps PostgreSQL''s error');

-- ------------------------------------------------------------ privileges

GRANT USAGE ON SCHEMA regress_gold TO regress_ct_user, regress_ct_nofile;
GRANT pg_write_server_files TO regress_ct_user;
SET ROLE regress_ct_user;
SELECT throws_ok(format('COPY regress_gold.readings TO %L', out_path('denied.txt')), '42501',
	'permission denied for foreign table readings',
	'without SELECT on the table COPY TO is denied');
SELECT throws_ok(format('COPY regress_gold.sensor_hourly_avg TO %L', out_path('denied.txt')), '42501',
	'permission denied for view sensor_hourly_avg',
	'without SELECT on the view COPY TO is denied');
RESET ROLE;

GRANT SELECT (id) ON regress_gold.readings TO regress_ct_user;
GRANT SELECT ON regress_gold.sensor_hourly_avg TO regress_ct_user;
SET ROLE regress_ct_user;
SELECT throws_ok(format('COPY regress_gold.readings TO %L', out_path('denied.txt')), '42501',
	'permission denied for foreign table readings',
	'with SELECT on one column only, COPY of every column is denied');
SELECT lives_ok(format('COPY regress_gold.readings (id) TO %L', out_path('granted_id.txt')),
	'... and COPY of that column works');
SELECT lives_ok(format('COPY regress_gold.sensor_hourly_avg TO %L (FORMAT csv)', out_path('granted_view.csv')),
	'SELECT on the view is enough to copy it (its owner reads the table)');
RESET ROLE;
SELECT results_eq($$SELECT * FROM file_lines('granted_view.csv')$$, $$VALUES ('1,A'), ('2,"B,C"')$$,
	'... with its rows');

GRANT SELECT ON regress_gold.readings TO regress_ct_nofile;
SET ROLE regress_ct_nofile;
SELECT throws_ok(format('COPY regress_gold.readings TO %L', out_path('nofile.txt')), '42501', NULL,
	'COPY TO a server file still takes pg_write_server_files');
RESET ROLE;

-- ------------------------------------------------------------ COPY FROM untouched

SELECT lives_ok(format('COPY regress_gold.readings FROM %L (FORMAT csv, HEADER)', out_path('readings.csv')),
	'COPY lake_table FROM still writes the table');
SELECT results_eq($$SELECT count(*), count(DISTINCT id) FROM regress_gold.readings$$, $$VALUES (6::bigint, 3::bigint)$$,
	'... every row of the file appended');

SELECT * FROM finish();

\c postgres
SET client_min_messages = warning;
DROP DATABASE regress_copy_to;
DROP ROLE regress_ct_user;
DROP ROLE regress_ct_nofile;
