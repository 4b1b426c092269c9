-- The Parquet foreign data wrapper and write_parquet: round trips of every
-- supported type, directories, name matching, errors (each with its
-- SQLSTATE), corrupt files, pushdown with EXPLAIN, nested fields, files
-- written by Spark (golden) and by DuckDB (fixtures).
BEGIN;
SELECT plan(78);

CREATE EXTENSION iot_lakehouse;
CREATE SERVER regress_lake FOREIGN DATA WRAPPER iot_lakehouse_fdw;
SET LOCAL client_min_messages = warning;
SET LOCAL timezone = 'UTC';

-- the files this suite writes go to their own directory
\set dir :files/parquet_fdw
\set mkdir 'mkdir -p ' :dir '/multi'
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkdir';

-- ------------------------------------------------------------ setup
CREATE FUNCTION pg_temp.explain_json(q text) RETURNS json LANGUAGE plpgsql AS $$
DECLARE
	r json;
BEGIN
	EXECUTE 'EXPLAIN (ANALYZE, COSTS OFF, TIMING OFF, FORMAT JSON) ' || q INTO r;
	RETURN r -> 0 -> 'Plan';
END
$$;

SELECT ok(EXISTS (SELECT FROM pg_foreign_data_wrapper WHERE fdwname = 'iot_lakehouse_fdw'), 'the FDW exists');
SELECT has_function('lakehouse', 'write_parquet', ARRAY['text', 'text', 'text'], 'write_parquet exists');

-- every supported type, with extremes, empty values and a row of nulls
CREATE TEMP TABLE src (
	id int, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
	n52 numeric(5,2), n184 numeric(18,4), n389 numeric(38,9), n numeric,
	d date, ts timestamp, tstz timestamptz,
	t text, vc varchar(10), c char(3), nm name, by bytea, u uuid, j json, jb jsonb
);
INSERT INTO src VALUES
	(1, true, 32767, 2147483647, 9223372036854775807, 3.4e38, 1.7976931348623157e308,
	 999.99, 99999999999999.9999, 99999999999999999999999999999.999999999, 1.5,
	 '2024-02-29', '2024-02-29 12:34:56.789012', '2024-02-29 12:34:56.789012+00',
	 'héllo wörld ✓', 'v', 'c', 'nm', '\x00ff', 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11',
	 '{"a": [1, 2]}', '{"b": {"c": null}}'),
	(2, false, -32768, -2147483648, -9223372036854775808, -3.4e38, '-Infinity',
	 -999.99, -99999999999999.9999, -99999999999999999999999999999.999999999, -0.000000000000000001,
	 '4713-11-24 BC', '4713-11-24 00:00:00 BC', '200000-01-01 00:00:00+00',
	 '', '', '', '', '\x', '00000000-0000-0000-0000-000000000000', '[]', '{}'),
	(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
	 NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL),
	(4, true, 0, 0, 0, 'NaN', 'Infinity', 0, 0, 0, 12345678901234567890.123456789012345678,
	 '1970-01-01', '1969-12-31 23:59:59.999999', '1970-01-01 00:00:00+00',
	 E'tab\there', 'ten chars!', 'abc', 'x', '\xdeadbeef', 'ffffffff-ffff-ffff-ffff-ffffffffffff',
	 '"s"', '[1, "2", 3.5]');

\set types :dir/types.parquet
SELECT is(lakehouse.write_parquet('SELECT * FROM src ORDER BY id', :'types'), 4::bigint,
		  'write_parquet returns the number of rows');

CREATE FOREIGN TABLE types (
	id int, b bool, i2 int2, i4 int4, i8 int8, f4 float4, f8 float8,
	n52 numeric(5,2), n184 numeric(18,4), n389 numeric(38,9), n numeric,
	d date, ts timestamp, tstz timestamptz,
	t text, vc varchar(10), c char(3), nm text, by bytea, u uuid, j json, jb jsonb
) SERVER regress_lake OPTIONS (format 'parquet', path :'types');

SELECT results_eq(
	$$SELECT id, b, i2, i4, i8, f4, f8, n52, n184, n389, n, d, ts, tstz, t, vc, c, nm,
			 by, u, j::text, jb FROM types ORDER BY id$$,
	$$SELECT id, b, i2, i4, i8, f4, f8, n52, n184, n389, n, d, ts, tstz, t, vc, c, nm::text COLLATE "default",
			 by, u, j::text, jb FROM src ORDER BY id$$,
	'every supported type round trips, with nulls, empty values and extremes');

SELECT is((SELECT n FROM types WHERE id = 4)::text, '12345678901234567890.123456789012345678',
		  'unconstrained numeric keeps 18 decimals');
SELECT is((SELECT count(*) FROM types), 4::bigint, 'count(*) reads no column');
SELECT is((SELECT count(*) FROM types WHERE t IS NULL), 1::bigint, 'nulls come back as nulls');
SELECT is((SELECT octet_length(t) FROM types WHERE id = 2), 0, 'empty strings stay empty, not null');

-- compressions
\set zstd :dir/zstd.parquet
\set gzip :dir/gzip.parquet
\set lz4 :dir/lz4.parquet
\set none :dir/none.parquet
SELECT is(lakehouse.write_parquet('SELECT * FROM src', :'zstd', 'zstd'), 4::bigint, 'zstd');
SELECT is(lakehouse.write_parquet('SELECT * FROM src', :'gzip', 'gzip'), 4::bigint, 'gzip');
SELECT is(lakehouse.write_parquet('SELECT * FROM src', :'lz4', 'lz4_raw'), 4::bigint, 'lz4_raw');
SELECT is(lakehouse.write_parquet('SELECT * FROM src', :'none', 'none'), 4::bigint, 'uncompressed');
CREATE FOREIGN TABLE zstd (id int, t text, n389 numeric) SERVER regress_lake OPTIONS (path :'zstd');
CREATE FOREIGN TABLE gzip (id int, t text, n389 numeric) SERVER regress_lake OPTIONS (path :'gzip');
CREATE FOREIGN TABLE lz4 (id int, t text, n389 numeric) SERVER regress_lake OPTIONS (path :'lz4');
CREATE FOREIGN TABLE none (id int, t text, n389 numeric) SERVER regress_lake OPTIONS (path :'none');
SELECT results_eq('SELECT id, t, n389 FROM zstd ORDER BY id', 'SELECT id, t, n389 FROM src ORDER BY id', 'zstd reads back');
SELECT results_eq('SELECT id, t, n389 FROM gzip ORDER BY id', 'SELECT id, t, n389 FROM src ORDER BY id', 'gzip reads back');
SELECT results_eq('SELECT id, t, n389 FROM lz4 ORDER BY id', 'SELECT id, t, n389 FROM src ORDER BY id', 'lz4_raw reads back');
SELECT results_eq('SELECT id, t, n389 FROM none ORDER BY id', 'SELECT id, t, n389 FROM src ORDER BY id', 'uncompressed reads back');

-- ------------------------------------------------------------ 0 rows
\set empty :dir/empty.parquet
SELECT is(lakehouse.write_parquet('SELECT 1::int AS a, ''x''::text AS b WHERE false', :'empty'), 0::bigint,
		  'a query without rows writes a file of 0 rows');
CREATE FOREIGN TABLE empty (a int, b text) SERVER regress_lake OPTIONS (path :'empty');
SELECT is((SELECT count(*) FROM empty), 0::bigint, 'a file of 0 rows scans as empty');

-- ------------------------------------------------------------ directories
\set m1 :dir/multi/part-1.parquet
\set m2 :dir/multi/part-2.parquet
\set m3 :dir/multi/part-3.parquet
\set mnot :dir/multi/not-parquet.txt
\set multi :dir/multi
SELECT FROM lakehouse.write_parquet('SELECT g AS id FROM generate_series(1, 10) g', :'m1');
SELECT FROM lakehouse.write_parquet('SELECT g AS id FROM generate_series(11, 15) g', :'m2');
SELECT FROM lakehouse.write_parquet('SELECT g AS id FROM generate_series(16, 16) g', :'m3');
COPY (SELECT 'not parquet') TO :'mnot';
CREATE FOREIGN TABLE multi (id bigint) SERVER regress_lake OPTIONS (path :'multi');
SELECT results_eq('SELECT id FROM multi', 'SELECT g::bigint FROM generate_series(1, 16) g',
				  'a directory scans every *.parquet file in name order');
SELECT is((pg_temp.explain_json('SELECT * FROM multi') ->> 'Files Total')::int, 3,
		  'EXPLAIN shows Files Total');

\set golden080 :golden/delta-0.8.0
-- format 'parquet': the directory's files themselves (without it the Delta log decides)
CREATE FOREIGN TABLE golden080 (value int) SERVER regress_lake OPTIONS (path :'golden080', format 'parquet');
SELECT results_eq('SELECT count(*), sum(value) FROM golden080', 'VALUES (7::bigint, 16::bigint)',
				  'Spark-written files of delta-0.8.0 (as DuckDB reads them)');
\set simple :golden/simple_table
CREATE FOREIGN TABLE simple (id bigint) SERVER regress_lake OPTIONS (path :'simple', format 'parquet');
SELECT results_eq('SELECT count(*), count(DISTINCT id) FROM simple', 'VALUES (32::bigint, 22::bigint)',
				  'a directory of Spark files, some of them empty');

\set edge :golden/table_with_edge_timestamps
CREATE FOREIGN TABLE edge ("BIG_DATE" timestamptz, "NORMAL_DATE" timestamp, "SOME_VALUE" int)
	SERVER regress_lake OPTIONS (path :'edge');
SELECT results_eq(
	$$SELECT (extract(epoch FROM "BIG_DATE") * 1000000)::bigint,
			 (extract(epoch FROM "NORMAL_DATE") * 1000000)::bigint, "SOME_VALUE" FROM edge ORDER BY 3$$,
	$$VALUES (253402214400000000, 1640995200000000, 1), (253402128000000000, 1643673600000000, 2)$$,
	'INT96 timestamps as Spark writes them, at year 9999');

\set dated :golden/delta-0.8.0-date
CREATE FOREIGN TABLE dated (date date, "dayOfYear" int) SERVER regress_lake OPTIONS (path :'dated');
SELECT results_eq('SELECT date, "dayOfYear" FROM dated ORDER BY 2',
				  $$SELECT '2021-01-01'::date + g - 1, g FROM generate_series(1, 5) g$$,
				  'INT32 DATE from Spark');

-- ------------------------------------------------------------ name matching
\set names :dir/names.parquet
SELECT FROM lakehouse.write_parquet('SELECT 1 AS "MixedCase", 2 AS lower, 3 AS "UPPER", 4 AS "a", 5 AS "A"', :'names');
CREATE FOREIGN TABLE names (mixedcase int, "LOWER" int, upper int, "A" int, renamed int OPTIONS (column_name 'MixedCase'))
	SERVER regress_lake OPTIONS (path :'names');
SELECT results_eq('SELECT mixedcase, "LOWER", upper, "A", renamed FROM names', 'VALUES (1, 2, 3, 5, 1)',
				  'columns match exactly first, then case-insensitively, or by column_name');
CREATE FOREIGN TABLE names_ambiguous2 (b int) SERVER regress_lake OPTIONS (path :'names');
SELECT throws_ok('SELECT b FROM names_ambiguous2', '42703', NULL, 'a column missing from the file is an error');
SELECT throws_like('SELECT b FROM names_ambiguous2', '%column "b" of foreign table "names_ambiguous2" is not in Parquet file%',
				   'the error names the column and the file');

-- ------------------------------------------------------------ conversion errors
CREATE FOREIGN TABLE wrong_type (id int, t int) SERVER regress_lake OPTIONS (path :'types');
SELECT throws_ok('SELECT * FROM wrong_type', '42804', NULL, 'an unconvertible column is an error');
SELECT throws_like('SELECT * FROM wrong_type',
				   '%column "t" of foreign table "wrong_type" has type integer, which cannot hold Parquet type BYTE_ARRAY (STRING) of file "%types.parquet"',
				   'the error names the column, both types and the file');
CREATE FOREIGN TABLE wrong_type2 (id int, p point) SERVER regress_lake OPTIONS (path :'types');
SELECT throws_ok('SELECT * FROM wrong_type2', 'HV004', NULL, 'a column type the FDW cannot fill is an error');
CREATE FOREIGN TABLE narrow (i4 int2, i8 int4) SERVER regress_lake OPTIONS (path :'types');
SELECT throws_ok('SELECT i4 FROM narrow', '22003', NULL, 'narrowing out of range is an error');
SELECT throws_ok('SELECT i8 FROM narrow', '22003', NULL, 'narrowing int64 out of range is an error');
CREATE FOREIGN TABLE short_vc (vc varchar(3)) SERVER regress_lake OPTIONS (path :'types');
SELECT throws_ok('SELECT * FROM short_vc', '22001', NULL, 'varchar(n) is enforced');
\set badutf8 :dir/badutf8.parquet
SELECT FROM lakehouse.write_parquet($$SELECT '\xc328'::bytea AS s$$, :'badutf8');
CREATE FOREIGN TABLE badutf8 (s text) SERVER regress_lake OPTIONS (path :'badutf8');
SELECT throws_ok('SELECT * FROM badutf8', '22021', 'invalid UTF-8 in column "s"', 'invalid UTF-8 is an error naming the column');
CREATE FOREIGN TABLE badutf8_bytea (s bytea) SERVER regress_lake OPTIONS (path :'badutf8');
SELECT is((SELECT s FROM badutf8_bytea), '\xc328'::bytea, 'the same bytes read fine as bytea');

-- ------------------------------------------------------------ missing and corrupt files
CREATE FOREIGN TABLE missing (a int) SERVER regress_lake OPTIONS (path '/nonexistent/regress_lake.parquet');
SELECT throws_ok('SELECT * FROM missing', '58P01', NULL, 'a missing file is an error');
\set garbage :dir/garbage.parquet
COPY (SELECT 'this is not a parquet file') TO :'garbage';
CREATE FOREIGN TABLE garbage (a int) SERVER regress_lake OPTIONS (path :'garbage');
SELECT throws_ok('SELECT * FROM garbage', 'XX001', NULL, 'a file that is not Parquet is data_corrupted');
SELECT throws_like('SELECT * FROM garbage', '%garbage.parquet%', 'the error names the file');
\set truncated :dir/truncated.parquet
\set truncate 'head -c 300 ' :types ' > ' :truncated
COPY (SELECT 1 WHERE false) TO PROGRAM :'truncate';
CREATE FOREIGN TABLE truncated (id int) SERVER regress_lake OPTIONS (path :'truncated');
SELECT throws_ok('SELECT * FROM truncated', 'XX001', NULL, 'a truncated file is data_corrupted');
\set flipped :dir/flipped.parquet
\set flip 'python3 -c "import sys; d=bytearray(open(sys.argv[1],''rb'').read()); d[len(d)-5]^=0x7f; open(sys.argv[2],''wb'').write(d)" ' :types ' ' :flipped
COPY (SELECT 1 WHERE false) TO PROGRAM :'flip';
CREATE FOREIGN TABLE flipped (id int) SERVER regress_lake OPTIONS (path :'flipped');
SELECT throws_ok('SELECT * FROM flipped', 'XX001', NULL, 'a footer length past the start of the file is data_corrupted');

-- ------------------------------------------------------------ write_parquet errors
\set bad :dir/bad.parquet
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L, %L)', 'SELECT 1 AS a', :'bad', 'brotli'),
				 '22023', NULL, 'an unknown compression is an error');
SELECT throws_like(format('SELECT lakehouse.write_parquet(%L, %L, %L)', 'SELECT 1 AS a', :'bad', 'brotli'),
				   'unknown Parquet compression "brotli"', 'naming it');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', 'SELECT point(1, 2) AS p', :'bad'),
				 '0A000', 'column "p" has type point, which write_parquet cannot write',
				 'an unsupported type is an error naming the column and type');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)',
						$$SELECT g, CASE WHEN g = 500 THEN 'infinity'::timestamptz ELSE now() END AS ts FROM generate_series(1, 1000) g$$, :'bad'),
				 '22008', 'cannot write an infinite timestamp to Parquet column "ts"',
				 'an infinite timestamp is an error naming the column');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', $$SELECT 'infinity'::date AS d$$, :'bad'),
				 '22008', NULL, 'an infinite date is an error');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', $$SELECT 'NaN'::numeric AS n$$, :'bad'),
				 '22023', NULL, 'a NaN numeric is an error');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', $$SELECT 1e30::numeric AS n$$, :'bad'),
				 '22003', NULL, 'an unconstrained numeric beyond DECIMAL(38,18) is an error');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', 'SELECT 1 AS a, 2 AS a', :'bad'),
				 '42701', NULL, 'duplicate column names are an error');
SELECT throws_ok($$SELECT lakehouse.write_parquet('SELECT 1 AS a', 'relative.parquet')$$,
				 '42602', NULL, 'a relative path is an error');
SELECT is((SELECT count(*)::int FROM pg_ls_dir(:'dir') f WHERE f LIKE 'bad.parquet%'), 0,
		  'a failed write leaves no file and no temporary file');
\set nodir :dir/no/such/dir.parquet
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', 'SELECT 1 AS a', :'nodir'),
				 '58P01', NULL, 'writing into a missing directory is an error');

-- ------------------------------------------------------------ options
SELECT throws_ok(format('CREATE FOREIGN TABLE o1 (a int) SERVER regress_lake OPTIONS (pth %L)', :'types'),
				 'HV00D', 'invalid option "pth"', 'an unknown option is an error');
SELECT throws_ok('CREATE FOREIGN TABLE o2 (a int) SERVER regress_lake', 'HV00J', NULL, 'path is required');
SELECT throws_ok(format('CREATE FOREIGN TABLE o3 (a int) SERVER regress_lake OPTIONS (path %L, format %L)', :'types', 'csv'),
				 'HV024', NULL, 'an unknown format is an error');
CREATE FOREIGN TABLE o4 (a int) SERVER regress_lake OPTIONS (path :'types', format 'delta');
SELECT throws_ok('SELECT * FROM o4', '42809', NULL, 'format delta on a path that is no Delta table fails when read');
SELECT throws_ok('CREATE SERVER o5 FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (path ''/tmp'')',
				 'HV00D', NULL, 'path is a table option, not a server option');

-- ------------------------------------------------------------ pushdown
SET LOCAL lakehouse.parquet_row_group_rows = 1000;
SET LOCAL max_parallel_workers_per_gather = 0;
CREATE TEMP TABLE big AS
	SELECT g AS id, g / 10.0 AS reading, (g % 7)::float8 AS f,
		   '2024-01-01'::timestamptz + g * interval '1 minute' AS ts,
		   '2024-01-01'::date + g / 1000 AS day, 'k' || lpad(g::text, 5, '0') AS k,
		   CASE WHEN g % 1000 = 0 THEN NULL ELSE g END AS sparse, g > 5000 AS flag,
		   CASE WHEN g <= 2000 THEN NULL ELSE g END AS late
	FROM generate_series(1, 10000) g;
\set bigfile :dir/big.parquet
SELECT is(lakehouse.write_parquet('SELECT * FROM big ORDER BY id', :'bigfile'), 10000::bigint, 'big written');
CREATE FOREIGN TABLE bigf (id int, reading numeric, f float8, ts timestamptz, day date, k text,
						   sparse bigint, flag bool, late int)
	SERVER regress_lake OPTIONS (path :'bigfile');

SELECT is((pg_temp.explain_json('SELECT * FROM bigf') ->> 'Row Groups Total')::int, 10,
		  'lakehouse.parquet_row_group_rows bounds row groups');
SELECT is((pg_temp.explain_json('SELECT * FROM bigf WHERE id BETWEEN 2500 AND 2600') ->> 'Row Groups Scanned')::int, 1,
		  'a selective WHERE scans fewer row groups (EXPLAIN JSON: Row Groups Scanned)');
SELECT results_eq('SELECT id FROM bigf WHERE id BETWEEN 2500 AND 2600', 'SELECT id FROM big WHERE id BETWEEN 2500 AND 2600',
				  'and returns the right rows');

-- every pushed-down form returns what the heap returns
CREATE FUNCTION pg_temp.same(q text) RETURNS TABLE (fdw bigint, heap bigint, groups int) LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('SELECT count(*) * 1000003 + coalesce(sum(hashtext(t::text)), 0) FROM (%s) t',
				   replace(q, '$T', 'bigf')) INTO fdw;
	EXECUTE format('SELECT count(*) * 1000003 + coalesce(sum(hashtext(t::text)), 0) FROM (%s) t',
				   replace(q, '$T', 'big')) INTO heap;
	groups := (pg_temp.explain_json(replace(q, '$T', 'bigf')) ->> 'Row Groups Scanned')::int;
	RETURN NEXT;
END
$$;
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE id = 7777')$$,
				  'VALUES (true, 1)', 'int =');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE id IN (5, 9999)')$$,
				  'VALUES (true, 2)', 'IN list');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE 9500 < id')$$,
				  'VALUES (true, 1)', 'const op column');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same($q$SELECT id FROM $T WHERE ts >= '2024-01-07 20:00+00'$q$)$$,
				  'VALUES (true, 1)', 'timestamptz');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same($q$SELECT id FROM $T WHERE day = '2024-01-03'$q$)$$,
				  'VALUES (true, 2)', 'date');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE reading > 999.9')$$,
				  'VALUES (true, 1)', 'numeric as DECIMAL');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same($q$SELECT id FROM $T WHERE k = 'k04242'$q$)$$,
				  'VALUES (true, 1)', 'text =');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE late IS NULL')$$,
				  'VALUES (true, 2)', 'IS NULL');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE NOT flag')$$,
				  'VALUES (true, 5)', 'boolean column');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE f < 1')$$,
				  'VALUES (true, 10)', 'float: correct even when nothing can be skipped');
SELECT results_eq($$SELECT fdw = heap, groups FROM pg_temp.same('SELECT id FROM $T WHERE id > 20000')$$,
				  'VALUES (true, 0)', 'nothing matches');
SELECT results_eq($$SELECT fdw = heap FROM pg_temp.same('SELECT id FROM $T WHERE sparse IS NOT NULL AND id < 3500')$$,
				  'VALUES (true)', 'IS NOT NULL with another qual');

SET LOCAL plan_cache_mode = force_generic_plan;
PREPARE regress_by_id(int) AS SELECT count(*) FROM bigf WHERE id >= $1;
SELECT results_eq('EXECUTE regress_by_id(9001)', 'VALUES (1000::bigint)', 'a Param is pushed down');
SELECT results_eq(
	'SELECT g, (SELECT count(*) FROM bigf WHERE id = g) FROM generate_series(1, 3) g',
	'SELECT g, 1::bigint FROM generate_series(1, 3) g',
	'rescans re-evaluate the pushed-down values');

-- parallel scan (units of work are row groups)
SET LOCAL max_parallel_workers_per_gather = 2;
SET LOCAL parallel_setup_cost = 0;
SET LOCAL parallel_tuple_cost = 0;
SET LOCAL min_parallel_table_scan_size = 0;
SELECT results_eq('SELECT count(*), sum(id), count(k) FROM bigf', 'SELECT count(*), sum(id), count(k) FROM big',
				  'a parallel scan returns every row once');
SET LOCAL max_parallel_workers_per_gather = 0;

-- ------------------------------------------------------------ nested fields (DuckDB-written)
\set nested :fixtures/fdw_nested.parquet
CREATE FOREIGN TABLE nested (id int, s jsonb, l json, m text) SERVER regress_lake OPTIONS (path :'nested');
SELECT results_eq('SELECT id, s, l::text, m FROM nested ORDER BY id',
				  $$VALUES (1, '{"a": 1, "b": "x"}'::jsonb, '[1,2,3]', '{"k1":10,"k2":20}'),
						   (2, NULL, '[]', '{}'),
						   (3, '{"a": null, "b": "y\"z"}', '[null,4]', NULL),
						   (4, '{"a": 4, "b": null}', NULL, '{"k":null}')$$,
				  'structs, lists and maps as jsonb, json and text');

\set dtypes :fixtures/fdw_types.parquet
CREATE FOREIGN TABLE dtypes (id int, d5 numeric, d15 numeric, d38 numeric, u uuid,
							 small_unsigned int2, big_unsigned int8, ts_ns timestamp)
	SERVER regress_lake OPTIONS (path :'dtypes');
SELECT results_eq('SELECT * FROM dtypes ORDER BY id',
				  $$VALUES (1, 1.50, 12345678.123, 12345678901234567890.123456789, 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'::uuid,
							200::int2, 4000000000::int8, '2024-01-02 03:04:05.123456'::timestamp),
						   (2, -0.01, -99999999.999, -1.000000001, NULL, NULL, NULL, '1969-12-31 23:59:59.999999'),
						   (3, NULL, NULL, NULL, '00000000-0000-0000-0000-000000000000', 0::int2, 0::int8, NULL)$$,
				  'DuckDB decimals (INT32, INT64, FLBA), UUID, unsigned ints, nanosecond timestamps');
SELECT results_eq($$SELECT id FROM dtypes WHERE d38 > 1000 AND u = 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11'$$,
				  'VALUES (1)', 'pushdown on FLBA decimals and UUIDs');

SELECT * FROM finish();
ROLLBACK;
