-- Who may read and write server files through iot_lakehouse, as with
-- file_fdw and COPY: setting a foreign table's path takes superuser or the
-- privileges of pg_read_server_files (checked by the validator); scanning
-- takes SELECT on the table; write_parquet takes pg_write_server_files.
BEGIN;
SELECT plan(16);

CREATE EXTENSION iot_lakehouse;
SET LOCAL client_min_messages = warning;
CREATE SERVER regress_lake FOREIGN DATA WRAPPER iot_lakehouse_fdw;

CREATE ROLE regress_lake_user;
CREATE SCHEMA regress_lake_s;
GRANT USAGE, CREATE ON SCHEMA regress_lake_s TO regress_lake_user;
GRANT USAGE ON FOREIGN SERVER regress_lake TO regress_lake_user;

\set dir :files/permissions
\set mkdir 'mkdir -p ' :dir
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkdir';
\set data :dir/data.parquet
\set other :dir/other.parquet
SELECT is(lakehouse.write_parquet('SELECT g AS id FROM generate_series(1, 3) g', :'data'), 3::bigint,
		  'the superuser writes a file');

-- a table the superuser made
CREATE FOREIGN TABLE regress_lake_s.admin_table (id int) SERVER regress_lake OPTIONS (path :'data');

-- ---------------------------------------------------- without the roles
SET LOCAL ROLE regress_lake_user;
SELECT throws_ok(format('CREATE FOREIGN TABLE regress_lake_s.t1 (id int) SERVER regress_lake OPTIONS (path %L)', :'data'),
				 '42501', 'permission denied to set option "path"',
				 'without pg_read_server_files a role cannot create a table with a path');
SELECT throws_ok('SELECT * FROM regress_lake_s.admin_table', '42501', NULL,
				 'nor scan a table it was not granted');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', 'SELECT 1 AS a', :'other'), '42501', NULL,
				 'nor run write_parquet');
RESET ROLE;

-- granting SELECT on a table delegates reading that one file (file_fdw's rule)
GRANT SELECT ON regress_lake_s.admin_table TO regress_lake_user;
SET LOCAL ROLE regress_lake_user;
SELECT is((SELECT count(*) FROM regress_lake_s.admin_table), 3::bigint,
		  'a granted table can be scanned');
RESET ROLE;

-- EXECUTE alone is not enough: the C code checks pg_write_server_files
GRANT EXECUTE ON FUNCTION lakehouse.write_parquet(text, text, text) TO regress_lake_user;
SET LOCAL ROLE regress_lake_user;
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', 'SELECT 1 AS a', :'other'), '42501',
				 format('permission denied to write Parquet file "%s"', :'other'),
				 'write_parquet checks the role itself');
RESET ROLE;
REVOKE EXECUTE ON FUNCTION lakehouse.write_parquet(text, text, text) FROM regress_lake_user;

-- ---------------------------------------------------- with pg_read_server_files
GRANT pg_read_server_files TO regress_lake_user;
SET LOCAL ROLE regress_lake_user;
SELECT lives_ok(format('CREATE FOREIGN TABLE regress_lake_s.t2 (id int) SERVER regress_lake OPTIONS (path %L)', :'data'),
				'with pg_read_server_files a role can create a table with a path');
SELECT is((SELECT sum(id) FROM regress_lake_s.t2), 6::bigint, 'and scan it');
SELECT lives_ok(format('ALTER FOREIGN TABLE regress_lake_s.t2 OPTIONS (SET path %L)', :'dir'),
				'and change the path');
SELECT throws_ok(format('SELECT lakehouse.write_parquet(%L, %L)', 'SELECT 1 AS a', :'other'), '42501', NULL,
				 'reading is not writing');
RESET ROLE;

-- losing the role: the table stays readable by its owner, but its path cannot change
REVOKE pg_read_server_files FROM regress_lake_user;
SET LOCAL ROLE regress_lake_user;
SELECT throws_ok(format('ALTER FOREIGN TABLE regress_lake_s.t2 OPTIONS (SET path %L)', :'data'), '42501', NULL,
				 'without the role the path cannot be changed');
SELECT lives_ok('ALTER FOREIGN TABLE regress_lake_s.t2 ALTER COLUMN id OPTIONS (ADD column_name ''id'')',
				'column options need no role');
RESET ROLE;

-- ---------------------------------------------------- with pg_write_server_files
GRANT pg_write_server_files TO regress_lake_user;
SET LOCAL ROLE regress_lake_user;
SELECT is(lakehouse.write_parquet('SELECT 1 AS a', :'other'), 1::bigint,
		  'with pg_write_server_files a role can run write_parquet');
SELECT throws_ok(format('CREATE FOREIGN TABLE regress_lake_s.t3 (a int) SERVER regress_lake OPTIONS (path %L)', :'other'),
				 '42501', NULL, 'writing is not reading');
RESET ROLE;

SELECT is((SELECT count(*)::int FROM pg_ls_dir(:'dir') f WHERE f = 'other.parquet'), 1,
		  'the file is there');
SELECT ok(NOT has_function_privilege('public', 'lakehouse.write_parquet(text, text, text)', 'EXECUTE'),
		  'write_parquet is not executable by PUBLIC');

SELECT * FROM finish();
ROLLBACK;
