-- Delta tables as foreign tables: IMPORT FOREIGN SCHEMA (LIMIT TO, EXCEPT),
-- rows of golden tables and versions against _expected/*.tsv through the
-- three time-travel forms, history, partition pruning and statistics
-- skipping in EXPLAIN, count(*) from the log, one snapshot per statement,
-- ANALYZE, the server's root, and errors (version out of range, instant
-- before the first commit, deletion vectors in use).
BEGIN;
SELECT plan(59);

CREATE EXTENSION iot_lakehouse;
SET LOCAL client_min_messages = warning;
SET LOCAL timezone = 'UTC';

\set dir :files/delta_fdw
\set mkdir 'rm -rf ' :dir ' && mkdir -p ' :dir
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkdir';

CREATE SERVER regress_delta FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root :'golden');
CREATE SCHEMA regress_gold;
CREATE SCHEMA regress_some;
CREATE SCHEMA regress_few;

-- ------------------------------------------------------------ helpers

CREATE FUNCTION pg_temp.plan_json(q text, do_analyze bool) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	r json;
BEGIN
	EXECUTE format('EXPLAIN (ANALYZE %s, COSTS OFF, %s FORMAT JSON) %s',
				   CASE WHEN do_analyze THEN 'true' ELSE 'false' END,
				   CASE WHEN do_analyze THEN 'TIMING OFF,' ELSE '' END, q) INTO r;
	RETURN r -> 0 -> 'Plan';
END
$$;

-- the scan node of a plan (under an Aggregate or not)
CREATE FUNCTION pg_temp.scan_json(q text, do_analyze bool) RETURNS json LANGUAGE sql AS $$
	SELECT CASE WHEN p ->> 'Node Type' = 'Foreign Scan' THEN p ELSE p -> 'Plans' -> 0 END
	FROM pg_temp.plan_json(q, do_analyze) p
$$;

-- the lines of an _expected/<table>@<version>.tsv, as they stand
CREATE TEMP TABLE expected (name text, line text);
CREATE FUNCTION pg_temp.load_expected(name text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	CREATE TEMP TABLE IF NOT EXISTS expected_load (line text);
	TRUNCATE expected_load;
	EXECUTE format('COPY expected_load FROM %L WITH (FORMAT csv, DELIMITER E''\x01'', QUOTE E''\x02'')',
				   current_setting('regress.golden') || '/_expected/' || name || '.tsv');
	INSERT INTO expected SELECT name, line FROM expected_load;
END
$$;

-- a row rendered as the .tsv files do: tab-separated, \N for NULL, timestamps as epoch microseconds
CREATE FUNCTION pg_temp.cell(v anyelement) RETURNS text LANGUAGE plpgsql AS $$
BEGIN
	IF v IS NULL THEN
		RETURN '\N';
	ELSIF pg_typeof(v) IN ('timestamptz'::regtype, 'timestamp'::regtype) THEN
		RETURN (extract(epoch FROM v::timestamptz) * 1000000)::bigint::text;
	ELSIF pg_typeof(v) = 'boolean'::regtype THEN
		RETURN CASE WHEN v::text = 'true' THEN 't' ELSE 'f' END;
	END IF;
	RETURN v::text;
END
$$;

SELECT set_config('regress.golden', :'golden', true);
SELECT pg_temp.load_expected(n) FROM unnest(ARRAY[
	'simple_table@0', 'simple_table@1', 'simple_table@2', 'simple_table@3', 'simple_table@4',
	'simple_table_with_checkpoint@5', 'simple_table_with_checkpoint@10',
	'delta-0.8.0-partitioned@0', 'delta-0.8.0-null-partition@0', 'delta-0.8.0-date@0',
	'delta-0.8.0-numeric-partition@0', 'delta-0.8.0-special-partition@0',
	'delta-2.2.0-partitioned-types@0', 'table_with_column_mapping@0',
	'table_with_edge_timestamps@0', 'delta-0.8-empty@1', 'table-without-dv-small@0']) n;

-- ------------------------------------------------------------ IMPORT FOREIGN SCHEMA

SELECT lives_ok('IMPORT FOREIGN SCHEMA "." FROM SERVER regress_delta INTO regress_gold',
				'IMPORT FOREIGN SCHEMA imports the golden tables');
SELECT ok((SELECT count(*) FROM pg_foreign_table ft JOIN pg_class c ON c.oid = ft.ftrelid
		   WHERE c.relnamespace = 'regress_gold'::regnamespace) = 19,
		  'a foreign table for every Delta table under the root');
SELECT has_column('regress_gold', 'table_with_column_mapping', 'Company Very Short',
				  'column names are kept exactly');
SELECT col_type_is('regress_gold', 'delta-0.8.0-date', 'date', 'date', 'date is date');
SELECT col_type_is('regress_gold', 'table_with_edge_timestamps', 'BIG_DATE', 'timestamp with time zone',
				   'timestamp is timestamptz');
SELECT col_type_is('regress_gold', 'simple_table', 'id', 'bigint', 'long is bigint');
SELECT col_type_is('regress_gold', 'delta-0.8.0-numeric-partition', 'y', 'double precision', 'double is double precision');

SELECT lives_ok('IMPORT FOREIGN SCHEMA "." LIMIT TO (simple_table, "delta-0.8.0") FROM SERVER regress_delta INTO regress_some',
				'IMPORT with LIMIT TO');
SELECT is((SELECT string_agg(relname::text, ',' ORDER BY relname) FROM pg_class WHERE relnamespace = 'regress_some'::regnamespace),
		  'delta-0.8.0,simple_table', 'LIMIT TO imports only the tables named');
SELECT lives_ok('IMPORT FOREIGN SCHEMA "." EXCEPT (simple_table) FROM SERVER regress_delta INTO regress_few',
				'IMPORT with EXCEPT');
SELECT ok(to_regclass('regress_few.simple_table') IS NULL AND to_regclass('regress_few."delta-0.8.0"') IS NOT NULL,
		  'EXCEPT leaves out the tables named');

-- ------------------------------------------------------------ rows, latest version

SELECT set_eq($$SELECT pg_temp.cell(id) FROM regress_gold.simple_table$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table@4'$$,
			  'simple_table at its latest version');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell(value), pg_temp.cell(year), pg_temp.cell(month), pg_temp.cell(day))
				FROM regress_gold."delta-0.8.0-partitioned"$$,
			  $$SELECT line FROM expected WHERE name = 'delta-0.8.0-partitioned@0'$$,
			  'partition values as columns');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell(k), pg_temp.cell(v)) FROM regress_gold."delta-0.8.0-null-partition"$$,
			  $$SELECT line FROM expected WHERE name = 'delta-0.8.0-null-partition@0'$$,
			  'a null partition value is NULL');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell(date), pg_temp.cell("dayOfYear")) FROM regress_gold."delta-0.8.0-date"$$,
			  $$SELECT line FROM expected WHERE name = 'delta-0.8.0-date@0'$$,
			  'date partitions');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell(x), pg_temp.cell(y), pg_temp.cell(z)) FROM regress_gold."delta-0.8.0-numeric-partition"$$,
			  $$SELECT line FROM expected WHERE name = 'delta-0.8.0-numeric-partition@0'$$,
			  'numeric partitions');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell(x), pg_temp.cell(y)) FROM regress_gold."delta-0.8.0-special-partition"$$,
			  $$SELECT line FROM expected WHERE name = 'delta-0.8.0-special-partition@0'$$,
			  'percent-encoded partition paths');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell(c1), pg_temp.cell(c2), pg_temp.cell(c3)) FROM regress_gold."delta-2.2.0-partitioned-types"$$,
			  $$SELECT line FROM expected WHERE name = 'delta-2.2.0-partitioned-types@0'$$,
			  'typed partition columns');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell("Company Very Short"), pg_temp.cell("Super Name")) FROM regress_gold.table_with_column_mapping$$,
			  $$SELECT line FROM expected WHERE name = 'table_with_column_mapping@0'$$,
			  'column mapping: read by logical names');
SELECT set_eq($$SELECT concat_ws(E'\t', pg_temp.cell("BIG_DATE"), pg_temp.cell("NORMAL_DATE"), pg_temp.cell("SOME_VALUE")) FROM regress_gold.table_with_edge_timestamps$$,
			  $$SELECT line FROM expected WHERE name = 'table_with_edge_timestamps@0'$$,
			  'timestamps far from today');
SELECT is((SELECT count(*) FROM regress_gold."delta-0.8-empty"), 0::bigint, 'an emptied table has no rows');
SELECT set_eq($$SELECT pg_temp.cell(value) FROM regress_gold."table-without-dv-small"$$,
			  $$SELECT line FROM expected WHERE name = 'table-without-dv-small@0'$$,
			  'table-without-dv-small');

-- ------------------------------------------------------------ time travel

-- 1. table options
CREATE FOREIGN TABLE regress_gold.simple_v1 (id bigint) SERVER regress_delta OPTIONS (path 'simple_table', version '1');
CREATE FOREIGN TABLE regress_gold.simple_t2 (id bigint) SERVER regress_delta
	OPTIONS (path 'simple_table', timestamp '2020-04-27 06:23:24.143+00');
CREATE FOREIGN TABLE regress_gold.ckpt_v5 (version int) SERVER regress_delta
	OPTIONS (path 'simple_table_with_checkpoint', version '5');
SELECT set_eq($$SELECT pg_temp.cell(id) FROM regress_gold.simple_v1$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table@1'$$,
			  'table option version');
SELECT set_eq($$SELECT pg_temp.cell(id) FROM regress_gold.simple_t2$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table@2'$$,
			  'table option timestamp: the commit at that very instant');
SELECT set_eq($$SELECT pg_temp.cell(version) FROM regress_gold.ckpt_v5$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table_with_checkpoint@5'$$,
			  'a version before the checkpoint');
SELECT set_eq($$SELECT pg_temp.cell(version) FROM regress_gold.simple_table_with_checkpoint$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table_with_checkpoint@10'$$,
			  'the latest version from the checkpoint');

-- 2. lakehouse.as_of_timestamp
SET LOCAL lakehouse.as_of_timestamp = '2020-04-27 06:23:24.142+00';
SELECT set_eq($$SELECT pg_temp.cell(id) FROM regress_gold.simple_table$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table@1'$$,
			  'lakehouse.as_of_timestamp: the latest commit at or before the instant');
SELECT is((SELECT count(*) FROM regress_gold.simple_v1), 20::bigint,
		  'a table pinned by its options keeps its version under lakehouse.as_of_timestamp');
SET LOCAL lakehouse.as_of_timestamp = '2020-04-27 06:23:10+00';
SELECT set_eq($$SELECT pg_temp.cell(id) FROM regress_gold.simple_table$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table@0'$$,
			  'lakehouse.as_of_timestamp: version 0');
RESET lakehouse.as_of_timestamp;
SELECT throws_ok($$SET lakehouse.as_of_timestamp = 'yesterday-ish'$$, '22023', NULL,
				 'lakehouse.as_of_timestamp must be a timestamp');

-- 3. lakehouse.as_of()
SELECT set_eq($$SELECT pg_temp.cell(id) FROM lakehouse.as_of(NULL::regress_gold.simple_table, version => 3)$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table@3'$$,
			  'lakehouse.as_of(version => 3)');
SELECT set_eq($$SELECT pg_temp.cell(id) FROM lakehouse.as_of(NULL::regress_gold.simple_table, "timestamp" => '2020-04-27 06:23:20+00')$$,
			  $$SELECT line FROM expected WHERE name = 'simple_table@1'$$,
			  'lakehouse.as_of("timestamp" => ...)');
SELECT results_eq($$SELECT (SELECT count(*) FROM lakehouse.as_of(NULL::regress_gold.simple_table, version => 0)),
						   (SELECT count(*) FROM regress_gold.simple_table)$$,
				  $$VALUES (5::bigint, 3::bigint)$$,
				  'as_of and the latest version side by side in one query');

-- errors
SELECT throws_like($$SELECT * FROM lakehouse.as_of(NULL::regress_gold.simple_table, version => 99)$$,
				   '%versions 0 to 4 can be read%', 'a version that never existed says which versions can be read');
SELECT throws_ok($$SELECT * FROM lakehouse.as_of(NULL::regress_gold.simple_table, "timestamp" => '2001-01-01+00')$$,
				 '22023', NULL, 'an instant before the first commit is an error');
CREATE FOREIGN TABLE regress_gold.ckpt_part (id int, color text) SERVER regress_delta
	OPTIONS (path 'checkpoint_with_partitions', version '1');
SELECT throws_ok('SELECT * FROM regress_gold.ckpt_part', '22023', NULL,
				 'a version cleaned up from the log is an error');
SELECT throws_like('SELECT * FROM regress_gold."table-with-dv-small"', '%deletion vectors%',
				   'deletion vectors in use are refused, naming the feature');
CREATE FOREIGN TABLE regress_gold.dv0 (value int) SERVER regress_delta
	OPTIONS (path 'table-with-dv-small', version '0');
SELECT is((SELECT count(*) FROM regress_gold.dv0), 10::bigint,
		  'the version before deletion vectors were used reads through time travel');

-- ------------------------------------------------------------ history

SELECT results_eq($$SELECT version, operation FROM lakehouse.history('regress_gold.simple_table')$$,
				  $$VALUES (4::bigint, 'DELETE'), (3, 'UPDATE'), (2, 'WRITE'), (1, 'MERGE'), (0, 'WRITE')$$,
				  'history: versions and operations, newest first');
SELECT is((SELECT "timestamp" FROM lakehouse.history('regress_gold.simple_table') WHERE version = 0),
		  '2020-04-27 06:23:06.154+00'::timestamptz, 'history: commit timestamps');
SELECT is((SELECT operation_parameters ->> 'mode' FROM lakehouse.history('regress_gold.simple_table') WHERE version = 2),
		  'Overwrite', 'history: operation parameters as jsonb');

-- ------------------------------------------------------------ pushdown

SELECT ok((SELECT (p ->> 'Files Scanned')::int < (p ->> 'Files Total')::int AND (p ->> 'Files Scanned')::int = 3
		   FROM pg_temp.scan_json($$SELECT * FROM regress_gold."delta-0.8.0-partitioned" WHERE year = '2021'$$, false) p),
		  'partition pruning shows in EXPLAIN: Files Scanned < Files Total');
SELECT is((SELECT (p ->> 'Files Scanned')::int
		   FROM pg_temp.scan_json($$SELECT value FROM regress_gold."delta-0.8.0-partitioned" WHERE year = '2021' AND month IN ('4', '12') AND day <> '20'$$, true) p),
		  2, 'pruning with IN and <> on several partition columns');
SELECT is((SELECT (p ->> 'Delta Version')::int
		   FROM pg_temp.scan_json($$SELECT * FROM regress_gold.simple_table$$, false) p),
		  4, 'EXPLAIN shows the Delta Version');
SELECT is((SELECT (p ->> 'Files Scanned')::int
		   FROM pg_temp.scan_json($$SELECT * FROM regress_gold."delta-0.8.0" WHERE value > 3$$, true) p),
		  1, 'statistics skip files: value > 3');
SELECT is((SELECT (p ->> 'Files Scanned')::int
		   FROM pg_temp.scan_json($$SELECT * FROM regress_gold."delta-0.8.0" WHERE value IS NULL$$, true) p),
		  0, 'nullCount skips files: IS NULL');
SELECT results_eq($$SELECT value FROM regress_gold."delta-0.8.0" WHERE value BETWEEN 2 AND 4 ORDER BY 1$$,
				  $$VALUES (2), (4)$$, 'skipping never loses rows');
SELECT ok((SELECT (p ->> 'Files From Log')::int = 2 AND (p ->> 'Row Groups Scanned')::int = 0
		   FROM pg_temp.scan_json($$SELECT count(*) FROM regress_gold."delta-0.8.0"$$, true) p)
		  AND (SELECT count(*) FROM regress_gold."delta-0.8.0") = 4,
		  'count(*) is answered from the log without opening data files');

SELECT is((SELECT count(*) FROM regress_gold."delta-0.8.0-partitioned" WHERE year = '2021' AND month <> '4'), 3::bigint,
		  'count(*) with quals on partition columns');
SELECT ok((SELECT p ->> 'Node Type' = 'Foreign Scan' AND (p ->> 'Files Scanned')::int = 0
				  AND (p ->> 'Files Selected')::int = 3
		   FROM pg_temp.plan_json($$SELECT count(*) FROM regress_gold."delta-0.8.0-partitioned" WHERE year = '2021'$$, true) p),
		  'count(*) with quals on partition columns is one Foreign Scan that decodes no data');

-- ------------------------------------------------------------ one snapshot per statement

-- a copy of delta-0.8.0 to which a commit is added in the middle of a statement
\set live :dir/live
\set cp 'cp -r ' :golden/delta-0.8.0 ' ' :live ' && chmod -R u+w ' :live
COPY (SELECT 1 WHERE false) TO PROGRAM :'cp';
CREATE SERVER regress_live FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root :'dir');
CREATE FOREIGN TABLE regress_gold.live (value int) SERVER regress_live OPTIONS (path 'live');
SELECT set_config('regress.commit2', :'live' || '/_delta_log/00000000000000000002.json', true);
CREATE FUNCTION pg_temp.commit_now() RETURNS int LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('COPY (VALUES (%L), (%L)) TO %L',
				   '{"commitInfo":{"timestamp":1700000000000,"operation":"DELETE"}}',
				   '{"remove":{"path":"part-00000-04ec9591-0b73-459e-8d18-ba5711d6cbe1-c000.snappy.parquet","deletionTimestamp":1700000000000,"dataChange":true}}',
				   current_setting('regress.commit2'));
	RETURN 0;
END
$$;
SELECT results_eq($$SELECT (SELECT count(*) FROM regress_gold.live) AS before,
						   pg_temp.commit_now() AS commit,
						   (SELECT count(*) FROM regress_gold.live WHERE value IS NOT NULL) AS after$$,
				  $$VALUES (4::bigint, 0, 4::bigint)$$,
				  'a statement reading a table twice sees one version while a commit lands');
SELECT is((SELECT count(*) FROM regress_gold.live), 2::bigint, 'the next statement sees the new version');

-- ------------------------------------------------------------ the root

SELECT throws_ok($$CREATE FOREIGN TABLE regress_gold.esc (id bigint) SERVER regress_delta OPTIONS (path '../delta-golden/simple_table')$$,
				 'HV024', NULL, 'a relative path with ".." is refused');
\set ln 'ln -s ' :golden/simple_table ' ' :dir/link
COPY (SELECT 1 WHERE false) TO PROGRAM :'ln';
CREATE FOREIGN TABLE regress_gold.link (id bigint) SERVER regress_live OPTIONS (path 'link');
SELECT throws_ok('SELECT * FROM regress_gold.link', '42501', NULL,
				 'a symbolic link out of the root is refused when read');

-- a role without pg_read_server_files may use a relative path, not set a root
CREATE ROLE regress_delta_user;
GRANT USAGE ON FOREIGN SERVER regress_delta TO regress_delta_user;
GRANT USAGE ON FOREIGN DATA WRAPPER iot_lakehouse_fdw TO regress_delta_user;
GRANT USAGE, CREATE ON SCHEMA regress_gold TO regress_delta_user;
SET LOCAL ROLE regress_delta_user;
SELECT lives_ok($$CREATE FOREIGN TABLE regress_gold.mine (id bigint) SERVER regress_delta OPTIONS (path 'simple_table')$$,
				'a role with USAGE on the server may create a table under its root');
SELECT is((SELECT count(*) FROM regress_gold.mine), 3::bigint, 'and read it');
SELECT throws_ok($$CREATE SERVER regress_mine FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root '/')$$,
				 '42501', 'permission denied to set option "root"', 'setting a root takes pg_read_server_files');
RESET ROLE;

-- ------------------------------------------------------------ ANALYZE

SELECT lives_ok('ANALYZE regress_gold."delta-0.8.0-partitioned"', 'ANALYZE works');
SELECT ok(EXISTS (SELECT FROM pg_stats WHERE schemaname = 'regress_gold'
				  AND tablename = 'delta-0.8.0-partitioned' AND attname = 'year'),
		  'ANALYZE gathers column statistics');

SELECT * FROM finish();
ROLLBACK;
