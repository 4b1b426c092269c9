-- lakehouse.ingest_csv: the lineage columns (_source_file, _source_line,
-- _ingested_at: filled for every row, rescued ones too, with or without a
-- header, never taken from the file), gzip-compressed files (read like
-- their plain twin, told by their magic; truncated, corrupt and garbage
-- streams are XX001 and leave nothing behind) and headers that are not
-- text (22P04).  The C API's own options (required_columns, source_name,
-- ingested_at) cannot be reached from SQL: the pipeline's tests cover them.
--
-- Like delta_write.sql this suite cannot run inside one transaction that is
-- rolled back (a write commits when its transaction commits): it runs in a
-- database of its own, dropped at the end, statement by statement.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
DROP DATABASE IF EXISTS regress_ingest_csv;
CREATE DATABASE regress_ingest_csv;
\c regress_ingest_csv
SET client_min_messages = warning;
SET timezone = 'UTC';
CREATE EXTENSION pgtap;
CREATE EXTENSION iot_lakehouse;

SELECT plan(37);

\set dir :files/ingest_csv
\set mkdir 'rm -rf ' :dir ' && mkdir -p ' :dir
COPY (SELECT 1 WHERE false) TO PROGRAM :'mkdir';
SELECT set_config('regress.dir', :'dir', false) IS NOT NULL AS dir_set \gset

CREATE SERVER regress_i FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root :'dir');

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

-- the path of a file of the suite's directory
CREATE FUNCTION f(name text) RETURNS text LANGUAGE sql AS $$
	SELECT current_setting('regress.dir') || '/' || name
$$;

-- a shell command run by the server in the suite's directory (it reads
-- COPY's row first: a command that exits before COPY writes is EPIPE)
CREATE FUNCTION sh(cmd text) RETURNS void LANGUAGE plpgsql AS $$
BEGIN
	EXECUTE format('COPY (SELECT 1 WHERE false) TO PROGRAM %L',
				   'cat > /dev/null && cd ' || current_setting('regress.dir') || ' && ' || cmd);
END
$$;

SELECT sh($$printf 'id,name\n1,a\n2,"two\nlines"\n3,c\n' > lin.csv$$);
SELECT sh($$printf '\357\273\277id,name\r\n1,a\r\n2,"x\r\ny"\r\n\r\n3,c\r\n' > crlf.csv$$);
SELECT sh($$printf '1,a,1.5\n2,b,2.5\n' > nohdr.csv$$);
SELECT sh($$printf 'id,_source_file\n1,x\n' > named.csv$$);
SELECT sh($$printf 'id,v,_source_file\n1,1.5,fake\n2,"bad\nvalue",\n3,3.5,\n' > resc.csv$$);
SELECT sh($$printf 'id,_source_line\n1,x\n' > texttyped.csv$$);
SELECT sh($$printf 'id,day\n1,a\n2,b\n3,a\n' > part.csv$$);
SELECT sh($$printf 'id,name\n1,a\n2,b\n' | gzip -c > small.dat$$);
SELECT sh($$printf 'id,name\n1,a\n' | gzip -c > multi.csv.gz && printf '2,b\n' | gzip -c >> multi.csv.gz$$);
SELECT sh($$printf '' | gzip -c > empty.csv.gz$$);
SELECT sh($$printf 'id,na\000me\n1,a\n' > nul.csv$$);
SELECT sh($$printf 'id,n\377me\n1,a\n' > latin.csv$$);
SELECT sh($$printf '1,n\377me,1.5\n' > latin_data.csv$$);

-- ------------------------------------------------------ lineage columns

CREATE FOREIGN TABLE lin (id int, name text, _source_file text, _source_line bigint, _ingested_at timestamptz)
	SERVER regress_i OPTIONS (path 'lin');
SELECT clock_timestamp() AS before_lin \gset
SELECT is(lakehouse.ingest_csv('lin', f('lin.csv')), 3::bigint, 'ingest_csv with lineage columns returns the rows');
SELECT clock_timestamp() AS after_lin \gset
SELECT results_eq($$SELECT id, name, _source_file, _source_line FROM lin ORDER BY id$$,
	$$VALUES (1, 'a'::text, f('lin.csv'), 2::bigint), (2, E'two\nlines', f('lin.csv'), 3),
			 (3, 'c', f('lin.csv'), 5)$$,
	'_source_file is the path, _source_line the line a record starts on (after a quoted line break too)');
SELECT results_eq(format($$SELECT count(*), count(DISTINCT _ingested_at),
								 bool_and(_ingested_at BETWEEN %L AND %L) FROM lin$$, :'before_lin', :'after_lin'),
	$$VALUES (3::bigint, 1::bigint, true)$$,
	'_ingested_at: the instant of the call, the same in every row');

CREATE FOREIGN TABLE crlf (id int, name text, _source_line integer, _source_file varchar(200))
	SERVER regress_i OPTIONS (path 'crlf');
SELECT is(lakehouse.ingest_csv('crlf', f('crlf.csv')), 3::bigint, 'a CRLF file with a BOM');
SELECT results_eq($$SELECT id, name, _source_line, _source_file::text FROM crlf ORDER BY id$$,
	$$VALUES (1, 'a'::text, 2, f('crlf.csv')), (2, E'x\r\ny', 3, f('crlf.csv')), (3, 'c', 6, f('crlf.csv'))$$,
	'CRLF lines, a quoted CRLF and a blank line counted; integer and varchar lineage columns');

-- without a header, fields go to the other columns in order
CREATE FOREIGN TABLE nohdr (id int, _source_file text, name text, _ingested_at timestamp, _source_line bigint,
							v float8)
	SERVER regress_i OPTIONS (path 'nohdr');
SET timezone = 'Asia/Tokyo';
SELECT clock_timestamp() AS before_nohdr \gset
SELECT is(lakehouse.ingest_csv('nohdr', f('nohdr.csv'), header => false), 2::bigint,
	'a file without a header into a table with lineage columns among the others');
SELECT clock_timestamp() AS after_nohdr \gset
RESET timezone;
SET timezone = 'UTC';
SELECT results_eq($$SELECT id, name, v, _source_file, _source_line FROM nohdr ORDER BY id$$,
	$$VALUES (1, 'a'::text, 1.5::float8, f('nohdr.csv'), 1::bigint), (2, 'b', 2.5, f('nohdr.csv'), 2)$$,
	'... fields by position, skipping the lineage columns; lines from 1');
SELECT results_eq(format($$SELECT bool_and(_ingested_at BETWEEN (%L::timestamptz AT TIME ZONE 'UTC')
											AND (%L::timestamptz AT TIME ZONE 'UTC')) FROM nohdr$$,
						 :'before_nohdr', :'after_nohdr'),
	$$VALUES (true)$$,
	'... an _ingested_at of type timestamp is the UTC wall clock, whatever the session time zone');

-- lineage columns are never taken from the file
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('lin', %L)$$, f('named.csv')), '42703',
	format('column "_source_file" of the header of file "%s" is not a column of the table', f('named.csv')),
	'a header naming a lineage column: not matched');

CREATE FOREIGN TABLE resc (id int, v float8, _rescued_data jsonb, _source_file text, _source_line bigint,
						   _ingested_at timestamptz)
	SERVER regress_i OPTIONS (path 'resc');
SELECT is(lakehouse.ingest_csv('resc', f('resc.csv')), 3::bigint, 'lineage columns with _rescued_data');
SELECT results_eq($$SELECT id, v, _rescued_data, _source_file, _source_line, _ingested_at IS NOT NULL
					FROM resc ORDER BY id$$,
	$$VALUES (1, 1.5::float8, '{"_source_file": "fake", "_line": 2}'::jsonb, f('resc.csv'), 2::bigint, true),
			 (2, NULL, E'{"v": "bad\\nvalue", "_line": 3}', f('resc.csv'), 3, true),
			 (3, 3.5, NULL, f('resc.csv'), 5, true)$$,
	'... the file''s _source_file is rescued; rescued rows get the lineage, _line = _source_line');

CREATE FOREIGN TABLE texttyped (id int, _source_line text) SERVER regress_i OPTIONS (path 'texttyped');
SELECT is(lakehouse.ingest_csv('texttyped', f('texttyped.csv')), 1::bigint,
	'a lineage name of another type is an ordinary column');
SELECT results_eq($$SELECT id, _source_line FROM texttyped$$, $$VALUES (1, 'x'::text)$$,
	'... filled from the file');

CREATE FOREIGN TABLE part (id int, day text, _source_file text, _source_line int)
	SERVER regress_i OPTIONS (path 'part', partition_by 'day');
SELECT is(lakehouse.ingest_csv('part', f('part.csv')), 3::bigint, 'lineage columns in a partitioned table');
SELECT results_eq($$SELECT id, day, _source_file, _source_line FROM part ORDER BY id$$,
	$$VALUES (1, 'a'::text, f('part.csv'), 2), (2, 'b', f('part.csv'), 3), (3, 'a', f('part.csv'), 4)$$,
	'... read back by partition');

-- ------------------------------------------------------------ gzip

-- 60000 rows (2.7 MB: several read buffers), a quoted two-line field every 1000
\set big :dir/big.csv
COPY (SELECT g AS id,
			 CASE WHEN g % 1000 = 0 THEN E'multi\nline "q", ' || g ELSE 'name-' || g || repeat('x', 20) END AS name,
			 g / 8.0 AS v
	  FROM generate_series(1, 60000) g) TO :'big' (FORMAT csv, HEADER);
SELECT sh('gzip -c big.csv > big.csv.gz && cp big.csv.gz disguised.csv'
		  ' && head -c $(( $(stat -c %s big.csv.gz) / 2 )) big.csv.gz > trunc.csv.gz'
		  ' && cp big.csv.gz badcrc.csv.gz'
		  ' && printf ''\377\377\377\377'' | dd of=badcrc.csv.gz bs=1 seek=$(( $(stat -c %s big.csv.gz) - 8 )) conv=notrunc 2>/dev/null'
		  ' && gzip -c big.csv.gz > double.csv.gz');
SELECT sh($$printf '\037\213\010\000\000\000\000\000\000\003\377\377\377garbage' > garbage.csv.gz$$);
SELECT sh($$printf '\037\213' > magic.csv.gz$$);

CREATE FOREIGN TABLE big (id int, name text, v float8, _source_line bigint, _source_file text)
	SERVER regress_i OPTIONS (path 'big');
CREATE FOREIGN TABLE bigz (id int, name text, v float8, _source_line bigint, _source_file text,
						   _ingested_at timestamptz)
	SERVER regress_i OPTIONS (path 'bigz');
SELECT is(lakehouse.ingest_csv('big', f('big.csv')), 60000::bigint, 'the plain file');
SELECT is(lakehouse.ingest_csv('bigz', f('big.csv.gz')), 60000::bigint, 'its gzip twin');
SELECT results_eq($$SELECT id, name, v, _source_line FROM bigz ORDER BY id$$,
	$$SELECT id, name, v, _source_line FROM big ORDER BY id$$,
	'... reads the same rows with the same line numbers');
SELECT is((SELECT count(*) FROM bigz WHERE _source_line IS DISTINCT FROM 1 + id + (id - 1) / 1000), 0::bigint,
	'... line numbers count the quoted line breaks');
SELECT results_eq($$SELECT count(DISTINCT _source_file), min(_source_file), count(DISTINCT _ingested_at) FROM bigz$$,
	format($$VALUES (1::bigint, %L::text, 1::bigint)$$, f('big.csv.gz')),
	'... _source_file is the .gz path, one _ingested_at over many batches');

CREATE FOREIGN TABLE misc (id int, name text, v float8, _source_line bigint) SERVER regress_i OPTIONS (path 'misc');
SELECT is(lakehouse.ingest_csv('misc', f('small.dat')), 2::bigint, 'gzip is told by its magic, not its name');
SELECT is(lakehouse.ingest_csv('misc', f('disguised.csv')), 60000::bigint, '... a large one too');
SELECT is(lakehouse.ingest_csv('misc', f('multi.csv.gz')), 2::bigint, 'a gzip file of two members');
SELECT results_eq($$SELECT id, name, _source_line FROM misc WHERE name IN ('a', 'b') ORDER BY _source_line, id$$,
	$$VALUES (1, 'a'::text, 2::bigint), (1, 'a', 2), (2, 'b', 3), (2, 'b', 3)$$,
	'... read as one stream');
SELECT is(lakehouse.ingest_csv('misc', f('empty.csv.gz')), 0::bigint, 'an empty gzip file is no rows');

SELECT nfiles('bigz') AS bigz_files \gset
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('bigz', %L)$$, f('trunc.csv.gz')), 'XX001',
	format('could not decompress file "%s": unexpected end of file', f('trunc.csv.gz')),
	'a truncated gzip file: XX001 naming the file, after rows were written');
SELECT results_eq($$SELECT (SELECT count(*) FROM bigz), (SELECT count(*) FROM lakehouse.history('bigz'))$$,
	$$VALUES (60000::bigint, 1::bigint)$$,
	'... no row and no version was added');
SELECT is(nfiles('bigz'), :bigz_files, '... and no data file is left behind');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('bigz', %L)$$, f('badcrc.csv.gz')), 'XX001',
	format('could not decompress file "%s": incorrect data check', f('badcrc.csv.gz')),
	'a gzip file whose CRC does not match');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('bigz', %L)$$, f('garbage.csv.gz')), 'XX001',
	format('could not decompress file "%s": invalid block type', f('garbage.csv.gz')),
	'a gzip header followed by garbage');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('bigz', %L)$$, f('magic.csv.gz')), 'XX001',
	format('could not decompress file "%s": unexpected end of file', f('magic.csv.gz')),
	'the gzip magic alone');

-- ------------------------------------------------------ not text

SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('misc', %L)$$, f('nul.csv')), '22P04',
	format('file "%s" is not a CSV file: its header is not text', f('nul.csv')),
	'a header holding a NUL byte');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('misc', %L)$$, f('latin.csv')), '22P04',
	format('file "%s" is not a CSV file: its header is not text', f('latin.csv')),
	'a header that is not UTF-8');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('misc', %L)$$, f('double.csv.gz')), '22P04',
	format('file "%s" is not a CSV file: its header is not text', f('double.csv.gz')),
	'a file compressed twice: binary once decompressed');
SELECT throws_ok(format($$SELECT lakehouse.ingest_csv('misc', %L, header => false)$$, f('latin_data.csv')),
	'22P02', format('line 1 of file "%s": invalid byte sequence for encoding "UTF8"', f('latin_data.csv')),
	'without a header the first line is data, checked as data');

-- ------------------------------------------ times relative to the reading

SELECT sh($$printf 'id,ts,d\n1,yesterday,today\n2,2024-05-01 10:00,May 3 2024\n3,Now,TOMORROW\n' > rel.csv$$);
CREATE FOREIGN TABLE rel (id int, ts timestamptz, d date, _rescued_data jsonb)
	SERVER regress_i OPTIONS (path 'rel');
SELECT is(lakehouse.ingest_csv('rel', f('rel.csv')), 3::bigint, 'a file with now/today/yesterday/tomorrow ingests');
SELECT results_eq($$SELECT id, ts, d, _rescued_data - '_line' FROM rel ORDER BY id$$,
	$$VALUES (1, NULL::timestamptz, NULL::date, '{"d": "today", "ts": "yesterday"}'::jsonb),
			 (2, '2024-05-01 10:00+00', '2024-05-03', NULL),
			 (3, NULL, NULL, '{"d": "TOMORROW", "ts": "Now"}')$$,
	'times relative to the moment of reading are not readings: rescued, not guessed');

SELECT * FROM finish();

\c postgres
SET client_min_messages = warning;
DROP DATABASE regress_ingest_csv;
