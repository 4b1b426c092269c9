/*
 * duckdb_files.test.mjs
 *	  Files written by DuckDB, read through the foreign table: every codec,
 *	  both page versions (PARQUET_VERSION V1 / V2), dictionary on and off (so
 *	  PLAIN, PLAIN_DICTIONARY, RLE_DICTIONARY, DELTA_BINARY_PACKED,
 *	  DELTA_LENGTH_BYTE_ARRAY and BYTE_STREAM_SPLIT all occur), every type
 *	  including decimals stored as INT32 / INT64 / FIXED_LEN_BYTE_ARRAY,
 *	  timestamps in ms / us / ns, nested STRUCT / LIST / MAP (read as jsonb,
 *	  compared structurally), several row groups.  DuckDB's own read of the
 *	  same file is the oracle.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as L from './lib.mjs';

const SCHEMA = 'interop_duck';
const SERVER = 'interop_duck_srv';
const NROWS = 5000;

/*
 * A DECIMAL(p,s) column from an integer expression (the unscaled value),
 * exact (DuckDB's / would go through DOUBLE); the extremes at r = 1 and 2,
 * NULL where r % 97 = nullAt.
 */
function decimal(p, s, unscaled, nullAt)
{
	const max = '9'.repeat(p);
	const scale = s === 0 ? '1' : '0.' + '0'.repeat(s - 1) + '1';
	return `(CASE WHEN r = 1 THEN -${max}::HUGEINT WHEN r = 2 THEN ${max}::HUGEINT WHEN r % 97 = ${nullAt} THEN NULL
		ELSE (${unscaled})::HUGEINT END::DECIMAL(38,0) * ${scale})::DECIMAL(${p},${s})`;
}

/* name, DuckDB expression over `r` (0..NROWS-1), PostgreSQL type, kind */
const COLS = [
	['id', 'r::INTEGER', 'int4', 'int'],
	['b', 'CASE WHEN r % 11 = 0 THEN NULL ELSE r % 3 = 0 END', 'bool', 'bool'],
	['i1', 'CASE WHEN r % 13 = 1 THEN NULL ELSE (r % 256 - 128)::TINYINT END', 'int2', 'int'],
	['i2', `CASE WHEN r = 1 THEN -32768 WHEN r = 2 THEN 32767 WHEN r % 17 = 3 THEN NULL
		ELSE ((hash(r) % 65536)::INTEGER - 32768) END::SMALLINT`, 'int2', 'int'],
	['i4', `CASE WHEN r = 1 THEN -2147483648 WHEN r = 2 THEN 2147483647 WHEN r % 19 = 4 THEN NULL
		ELSE (hash(r) % 4294967296)::BIGINT - 2147483648 END::INTEGER`, 'int4', 'int'],
	['i8', `CASE WHEN r = 1 THEN -9223372036854775808 WHEN r = 2 THEN 9223372036854775807 WHEN r % 23 = 5 THEN NULL
		ELSE (hash(r + 1)::HUGEINT - 9223372036854775808) END::BIGINT`, 'int8', 'int'],
	['i4_low', 'CASE WHEN r % 29 = 6 THEN NULL ELSE r % 5 END::INTEGER', 'int4', 'int'],
	['f4', `CASE WHEN r = 1 THEN 'nan'::FLOAT WHEN r = 2 THEN 'inf'::FLOAT WHEN r = 3 THEN '-inf'::FLOAT
		WHEN r = 4 THEN '-0'::FLOAT WHEN r = 5 THEN '3.4028235e38'::FLOAT WHEN r = 6 THEN '1e-45'::FLOAT
		WHEN r % 31 = 7 THEN NULL ELSE (((hash(r) % 2000000)::FLOAT - 1000000) / 7)::FLOAT END`, 'float4', 'float4'],
	['f8', `CASE WHEN r = 1 THEN 'nan'::DOUBLE WHEN r = 2 THEN 'inf'::DOUBLE WHEN r = 3 THEN '-inf'::DOUBLE
		WHEN r = 4 THEN '-0'::DOUBLE WHEN r = 5 THEN '1.7976931348623157e308'::DOUBLE WHEN r = 6 THEN '5e-324'::DOUBLE
		WHEN r % 37 = 8 THEN NULL ELSE ((hash(r + 2) % 2000000000)::DOUBLE - 1000000000) / 3 * 1e-5 END`, 'float8', 'float8'],
	['f8_low', 'CASE WHEN r % 41 = 9 THEN NULL ELSE (r % 4) * 0.25 END::DOUBLE', 'float8', 'float8'],
	['dec4', decimal(4, 1, 'r % 19999 - 9999', 10), 'numeric(4,1)', 'numeric'],
	['dec9', decimal(9, 3, '(hash(r) % 1999999999)::HUGEINT - 999999999', 11), 'numeric(9,3)', 'numeric'],
	['dec18', decimal(18, 6, '(hash(r) % 1999999999999999999)::HUGEINT - 999999999999999999', 12), 'numeric(18,6)', 'numeric'],
	['dec20', decimal(20, 2, 'hash(r)::HUGEINT * 3 - 27670116110564327424', 13), 'numeric(20,2)', 'numeric'],
	['dec38', decimal(38, 12, 'hash(r)::HUGEINT * (hash(r + 3) % 5000000000000000000)::HUGEINT - 45000000000000000000000000000000000000', 14),
	'numeric(38,12)', 'numeric'],
	['s', `CASE WHEN r % 67 = 15 THEN NULL WHEN r % 10 = 0 THEN '' ELSE 'str-' || r || repeat('x', r % 30) END`, 'text', 'text'],
	['s_low', `CASE WHEN r % 71 = 16 THEN NULL ELSE 'v' || (r % 10) END`, 'text', 'text'],
	['s_uni', `CASE r % 5 WHEN 0 THEN 'é日本🎉' WHEN 1 THEN '' WHEN 2 THEN NULL WHEN 3 THEN 'Ω≈ç√∫ 𝄞 ' || r ELSE repeat('ü', r % 300) END`,
	'text', 'text'],
	['bl', `CASE WHEN r % 73 = 17 THEN NULL WHEN r % 9 = 0 THEN ''::BLOB ELSE unhex(md5(r::VARCHAR)) END`, 'bytea', 'bytea'],
	['dt', `CASE WHEN r = 1 THEN DATE '0001-01-01' WHEN r = 2 THEN DATE '9999-12-31' WHEN r % 79 = 18 THEN NULL
		ELSE DATE '2000-01-01' + ((hash(r) % 200000)::INTEGER - 100000) END`, 'date', 'date'],
	['ts', `CASE WHEN r = 1 THEN TIMESTAMP '0001-01-01 00:00:00' WHEN r = 2 THEN TIMESTAMP '9999-12-31 23:59:59.999999'
		WHEN r % 83 = 19 THEN NULL
		ELSE make_timestamp(((hash(r) % 20000000000000000)::BIGINT - 10000000000000000)) END`, 'timestamp', 'ts'],
	['ts_ms', `CASE WHEN r % 89 = 20 THEN NULL
		ELSE make_timestamp(((hash(r + 5) % 20000000000000000)::BIGINT - 10000000000000000))::TIMESTAMP_MS END`, 'timestamp', 'ts'],
	['ts_s', `CASE WHEN r % 97 = 21 THEN NULL
		ELSE make_timestamp(((hash(r + 6) % 20000000000000000)::BIGINT - 10000000000000000))::TIMESTAMP_S END`, 'timestamp', 'ts'],
	['ts_ns', `CASE WHEN r % 101 = 22 THEN NULL
		ELSE make_timestamp_ns(((hash(r + 7) % 18000000000000000000)::HUGEINT - 9000000000000000000)::BIGINT) END`,
	'timestamp', 'ts_ns'],
	['tstz', `CASE WHEN r % 103 = 23 THEN NULL
		ELSE make_timestamp(((hash(r + 8) % 20000000000000000)::BIGINT - 10000000000000000))::TIMESTAMPTZ END`, 'timestamptz', 'ts'],
	['u', `CASE WHEN r % 107 = 24 THEN NULL ELSE md5(r::VARCHAR)::UUID END`, 'uuid', 'uuid'],
	['js', `CASE WHEN r % 109 = 25 THEN NULL ELSE json_object('g', r, 's', 'x' || r, 'a', [r, NULL]) END`, 'jsonb', 'json'],
	['st', `CASE r % 7 WHEN 0 THEN NULL WHEN 1 THEN {'a': NULL, 'b': NULL, 'c': NULL}
		ELSE {'a': r::INTEGER, 'b': 'b' || r, 'c': [r * 0.5, NULL]} END::STRUCT(a INTEGER, b VARCHAR, c DOUBLE[])`, 'jsonb', 'nested'],
	['li', `CASE r % 6 WHEN 0 THEN NULL WHEN 1 THEN []::INTEGER[] WHEN 2 THEN [NULL]::INTEGER[]
		ELSE range(r::BIGINT, r + r % 5)::INTEGER[] END`, 'jsonb', 'nested'],
	['lil', `CASE r % 4 WHEN 0 THEN NULL WHEN 1 THEN [[], NULL, ['a', NULL]]
		ELSE [['x' || r], ['y', 'z' || (r % 3)]] END::VARCHAR[][]`, 'jsonb', 'nested'],
	['m', `CASE r % 5 WHEN 0 THEN NULL WHEN 1 THEN MAP {}::MAP(VARCHAR, BIGINT)
		ELSE MAP {'k' || (r % 3): r * 1000000000000, 'z': NULL}::MAP(VARCHAR, BIGINT) END`, 'jsonb', 'nested'],
	['sl', `CASE r % 3 WHEN 0 THEN NULL
		ELSE {'x': r::INTEGER, 'ys': [{'k': 'k' || r, 'v': r::BIGINT}, NULL, {'k': NULL, 'v': -r::BIGINT}]} END
		::STRUCT(x INTEGER, ys STRUCT(k VARCHAR, v BIGINT)[])`, 'jsonb', 'nested'],
].map(([name, expr, pgType, kind]) => ({ name, expr, pgType, kind }));

/* [label, COPY options, expected codec name in parquet_metadata] */
const VARIANTS = [
	['v1_uncompressed_plain', "COMPRESSION uncompressed, PARQUET_VERSION V1, DICTIONARY_SIZE_LIMIT 1", 'UNCOMPRESSED'],
	['v1_snappy', "COMPRESSION snappy, PARQUET_VERSION V1", 'SNAPPY'],
	['v1_gzip', "COMPRESSION gzip, PARQUET_VERSION V1", 'GZIP'],
	['v1_zstd_rowgroups', "COMPRESSION zstd, PARQUET_VERSION V1, ROW_GROUP_SIZE 1024", 'ZSTD'],
	['v1_lz4_raw', "COMPRESSION lz4_raw, PARQUET_VERSION V1", 'LZ4_RAW'],
	['v2_uncompressed', "COMPRESSION uncompressed, PARQUET_VERSION V2", 'UNCOMPRESSED'],
	['v2_snappy', "COMPRESSION snappy, PARQUET_VERSION V2", 'SNAPPY'],
	['v2_zstd_plain', "COMPRESSION zstd, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 1", 'ZSTD'],
	['v2_gzip_rowgroups', "COMPRESSION gzip, PARQUET_VERSION V2, ROW_GROUP_SIZE 1024", 'GZIP'],
	['v2_lz4_plain', "COMPRESSION lz4, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 1", 'LZ4_RAW'],
];

/* What the variants must cover between them (checked on the files). */
const REQUIRED_ENCODINGS = ['PLAIN', 'PLAIN_DICTIONARY', 'RLE_DICTIONARY', 'DELTA_BINARY_PACKED',
	'DELTA_LENGTH_BYTE_ARRAY', 'BYTE_STREAM_SPLIT'];

let pgc;
let duck;
let dir;
const seenEncodings = new Set();
const seenPhysical = new Set();

before(async () => {
	pgc = await L.pgConnect({ name: 'interop-duckdb-files', timezone: 'America/St_Johns' });
	duck = await L.duckConnect();
	dir = L.makeFilesSubdir('duckdb_files');
	await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${SCHEMA}`);
	await L.ensureServer(pgc, SERVER);
	await duck.run(`CREATE TABLE src AS SELECT ${COLS.map((c) => `${c.expr} AS ${L.quoteIdent(c.name)}`).join(',\n')}
		FROM (SELECT range AS r FROM range(${NROWS}))`);
});

after(async () => {
	if (pgc)
	{
		await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
		await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
		await pgc.end();
	}
	duck?.close();
});

async function writeVariant(label, options)
{
	const file = path.join(dir, `${label}.parquet`);
	await duck.run(`COPY src TO ${L.quoteLiteral(file)} (FORMAT parquet, ${options})`);
	L.shareWithServer(file);
	return file;
}

test('the DuckDB source table is what the columns say (sanity of the harness)', async () => {
	assert.equal(await duck.value('SELECT count(*) FROM src'), BigInt(NROWS));
	const types = Object.fromEntries((await duck.rows('SELECT column_name, data_type FROM information_schema.columns WHERE table_name = \'src\''))
		.map(([n, t]) => [n, t]));
	assert.equal(types.dec38, 'DECIMAL(38,12)');
	assert.equal(types.ts_ns, 'TIMESTAMP_NS');
	assert.equal(types.ts_ms, 'TIMESTAMP_MS');
	assert.match(types.m, /^MAP\(VARCHAR, BIGINT\)$/);
	const rows = await duck.rows(`SELECT ${L.duckSelectList(COLS)} FROM src WHERE id IN (1, 2, 4) ORDER BY id`);
	const canon = L.canonRows(rows, COLS);
	const col = (n) => COLS.findIndex((c) => c.name === n);
	assert.equal(canon[0][col('i8')], '-9223372036854775808');
	assert.equal(canon[1][col('i8')], '9223372036854775807');
	assert.equal(canon[0][col('f8')], 'NaN');
	assert.equal(canon[2][col('f4')], '-0');
	assert.equal(canon[1][col('dec38')], '99999999999999999999999999.999999999999');
	assert.equal(canon[0][col('st')], '{"a":null,"b":null,"c":null}');
	assert.equal(canon[1][col('m')], '{"k2":2000000000000,"z":null}');
	/* no null, empty or odd cell is rendered as a JS artefact */
	for (const r of canon)
		for (const v of r)
			assert.ok(!/undefined|\[object|<bad/.test(v), v);
});

for (const [label, options, codec] of VARIANTS)
{
	test(`DuckDB file ${label}: the foreign table reads what DuckDB reads`, async () => {
		const file = await writeVariant(label, options);
		const meta = await duck.rows(`SELECT DISTINCT compression, encodings, type, row_group_id
			FROM parquet_metadata(${L.quoteLiteral(file)})`);
		assert.deepEqual([...new Set(meta.map((m) => m[0]))], [codec], 'codec of every column chunk');
		for (const m of meta)
		{
			for (const e of String(m[1]).split(/,\s*/))
				seenEncodings.add(e);
			seenPhysical.add(m[2]);
		}
		if (/rowgroups/.test(label))
			assert.ok(new Set(meta.map((m) => m[3])).size >= 3, 'several row groups');

		const expected = await L.duckCanonRows(duck, file, COLS, 'id');
		assert.equal(expected.length, NROWS);
		const ft = `${SCHEMA}.${label}`;
		await L.createForeignTable(pgc, ft, COLS, file, SERVER);
		const got = await L.pgCanonRows(pgc, ft, COLS, 'id');
		L.assertRowsEqual(got, expected, COLS, `foreign table over DuckDB's ${label}`);
		if (/rowgroups/.test(label))
		{
			await L.forceParallel(pgc, true);
			try
			{
				assert.match(await L.explain(pgc, `SELECT * FROM ${ft}`), /Parallel Foreign Scan/, 'parallel plan');
				L.assertRowsEqual(await L.pgCanonRows(pgc, ft, COLS, 'id'), expected, COLS, `parallel scan of ${label}`);
			}
			finally
			{
				await L.forceParallel(pgc, false);
			}
		}
	});
}

test('the variants covered every encoding DuckDB writes', () => {
	for (const e of REQUIRED_ENCODINGS)
		assert.ok(seenEncodings.has(e), `encoding ${e} was not produced (seen: ${[...seenEncodings].join(' ')})`);
	for (const t of ['BOOLEAN', 'INT32', 'INT64', 'FLOAT', 'DOUBLE', 'BYTE_ARRAY', 'FIXED_LEN_BYTE_ARRAY'])
		assert.ok(seenPhysical.has(t), `physical type ${t} was not produced`);
});

test('each decimal width is stored as DuckDB says (INT32, INT64, FIXED_LEN_BYTE_ARRAY)', async () => {
	const file = path.join(dir, 'v1_snappy.parquet');
	const phys = Object.fromEntries(await duck.rows(`SELECT name, type FROM parquet_schema(${L.quoteLiteral(file)})
		WHERE name IN ('dec4', 'dec9', 'dec18', 'dec20', 'dec38', 'ts_ns', 'ts_ms')`));
	assert.deepEqual(phys, {
		dec4: 'INT32', dec9: 'INT32', dec18: 'INT64', dec20: 'FIXED_LEN_BYTE_ARRAY', dec38: 'FIXED_LEN_BYTE_ARRAY',
		ts_ns: 'INT64', ts_ms: 'INT64',
	});
});

test('a column pruned query and a filtered query on a nested file', async () => {
	const file = path.join(dir, 'v2_snappy.parquet');
	const ft = `${SCHEMA}.pruned`;
	const cols = ['sl', 'id', 'li'].map((n) => COLS.find((c) => c.name === n));
	await L.createForeignTable(pgc, ft, cols, file, SERVER);
	const expected = L.canonRows(await duck.rows(`SELECT ${L.duckSelectList(cols)} FROM read_parquet(${L.quoteLiteral(file)})
		WHERE id % 97 = 3 ORDER BY id`), cols);
	const got = await L.pgCanonRows(pgc, `${ft} WHERE id % 97 = 3`, cols, 'id');
	L.assertRowsEqual(got, expected, cols, 'nested columns, filtered');
	assert.ok(expected.length > 10);
});

test('brotli (not a codec we support) is refused by name, or read correctly', async () => {
	const file = await writeVariant('v1_brotli', 'COMPRESSION brotli');
	const ft = `${SCHEMA}.brotli`;
	const cols = COLS.filter((c) => ['id', 's', 'i8'].includes(c.name));
	await L.createForeignTable(pgc, ft, cols, file, SERVER);
	const r = await L.pgTry(pgc, `SELECT ${L.pgSelectList(cols)} FROM ${ft} ORDER BY id`);
	assert.ok(!r.lost, 'the connection survived');
	if (r.error)
		assert.match(L.describePgError(r.error), /brotli/i, 'the error names the codec');
	else
		L.assertRowsEqual(L.canonRows(r.rows, cols), await L.duckCanonRows(duck, file, cols, 'id'), cols, 'brotli file');
});

test('unsigned and other integers: exact or refused, never wrapped', async () => {
	const file = path.join(dir, 'unsigned.parquet');
	await duck.run(`COPY (SELECT 18446744073709551615::UBIGINT AS ub, 4294967295::UINTEGER AS ui, 65535::USMALLINT AS us,
		255::UTINYINT AS ut, 7::UBIGINT AS ub_small, 'x' AS "MixedCase") TO ${L.quoteLiteral(file)} (FORMAT parquet)`);
	L.shareWithServer(file);
	const read = async (col, pgType) => {
		await L.createForeignTable(pgc, `${SCHEMA}.uns`, [{ name: col, pgType }], file, SERVER);
		return L.pgTry(pgc, `SELECT ${L.quoteIdent(col)}::text FROM ${SCHEMA}.uns`);
	};
	const exact = [['ub', 'numeric', '18446744073709551615'], ['ui', 'int8', '4294967295'], ['us', 'int4', '65535'],
		['ut', 'int2', '255'], ['ub_small', 'int8', '7'], ['MixedCase', 'text', 'x'], ['mixedcase', 'text', 'x']];
	for (const [col, pgType, want] of exact)
	{
		const r = await read(col, pgType);
		assert.ok(r.rows, `${col} as ${pgType}: ${L.describePgError(r.error || r.lost)}`);
		assert.deepEqual(r.rows, [[want]], `${col} as ${pgType}`);
	}
	const refused = [['ub', 'int8', '22003'], ['ui', 'int4', '22003'], ['us', 'int2', '22003'],
		['ub', 'text', '42804'], ['ut', 'bool', '42804'], ['nosuch', 'int4', '42703']];
	for (const [col, pgType, code] of refused)
	{
		const r = await read(col, pgType);
		assert.ok(!r.lost, `${col} as ${pgType}: connection survived`);
		assert.ok(r.error, `${col} as ${pgType}: refused (got ${JSON.stringify(r.rows)})`);
		assert.equal(r.error.code, code, `${col} as ${pgType}: ${L.describePgError(r.error)}`);
	}
});

test('a missing file is an error naming it', async () => {
	const file = path.join(dir, 'does_not_exist.parquet');
	await L.createForeignTable(pgc, `${SCHEMA}.missing`, [{ name: 'id', pgType: 'int4' }], file, SERVER);
	const r = await L.pgTry(pgc, `SELECT * FROM ${SCHEMA}.missing`);
	assert.ok(r.error && !r.lost);
	assert.equal(r.error.code, '58P01');
	assert.ok(L.describePgError(r.error).includes('does_not_exist.parquet'));
});

test('deep nesting, huge records, huge values and all-null columns, in small and large scan batches', async () => {
	const cols = [
		['id', 'r::INTEGER', 'int4', 'int'],
		['deep', `CASE r % 5 WHEN 0 THEN NULL WHEN 1 THEN [[[]], NULL, [NULL, [1, NULL]]]::INTEGER[][][]
			ELSE [[[r::INTEGER]], [[r::INTEGER + 1, r::INTEGER + 2], []]] END`, 'jsonb', 'nested'],
		['ml', `CASE r % 4 WHEN 0 THEN NULL WHEN 1 THEN MAP {'e': []::INTEGER[], 'n': NULL}
			ELSE MAP {'a': [r::INTEGER, NULL], 'b': [7]} END`, 'jsonb', 'nested'],
		['sm', `CASE r % 3 WHEN 0 THEN NULL
			ELSE {'m': MAP {'k': {'x': r::INTEGER, 'y': ['p', NULL]}}, 'l': [{'a': r::INTEGER}, NULL, {'a': NULL}]} END`,
		'jsonb', 'nested'],
		['big', `CASE WHEN r = 3 THEN range(200000)::INTEGER[] WHEN r = 40 THEN range(70000)::INTEGER[]
			WHEN r % 2 = 0 THEN [r::INTEGER] ELSE NULL END`, 'jsonb', 'nested'],
		['bigstr', `CASE WHEN r = 5 THEN repeat('é', 1500000) WHEN r = 6 THEN '' ELSE 's' || r END`, 'text', 'text'],
		['allnull', 'NULL::INTEGER', 'int4', 'int'],
		['tail', `CASE WHEN r >= 90 THEN 'tail' || r END`, 'text', 'text'],
	].map(([name, expr, pgType, kind]) => ({ name, expr, pgType, kind }));
	const select = `SELECT ${cols.map((c) => `${c.expr} AS ${L.quoteIdent(c.name)}`).join(', ')} FROM (SELECT range AS r FROM range(100))`;
	for (const version of ['V1', 'V2'])
	{
		const file = path.join(dir, `deep_${version}.parquet`);
		await duck.run(`COPY (${select}) TO ${L.quoteLiteral(file)} (FORMAT parquet, PARQUET_VERSION ${version}, ROW_GROUP_SIZE 2048)`);
		L.shareWithServer(file);
		const expected = await L.duckCanonRows(duck, file, cols, 'id');
		assert.equal(expected.length, 100);
		const ft = `${SCHEMA}.deep_${version}`;
		await L.createForeignTable(pgc, ft, cols, file, SERVER);
		for (const batch of [16, 8192])
		{
			await pgc.query(`SET lakehouse.scan_batch_rows = ${batch}`);
			try
			{
				L.assertRowsEqual(await L.pgCanonRows(pgc, ft, cols, 'id'), expected, cols, `${version}, batches of ${batch}`);
			}
			finally
			{
				await pgc.query('RESET lakehouse.scan_batch_rows');
			}
		}
	}
});

test('lakehouse.reader_memory_budget refuses a page larger than it (54000), for that column only', async () => {
	const file = path.join(dir, 'big_page.parquet');
	await duck.run(`COPY (SELECT range::INTEGER AS id, CASE WHEN range = 5 THEN repeat('é', 1500000) ELSE 'x' END AS s
		FROM range(10)) TO ${L.quoteLiteral(file)} (FORMAT parquet)`);
	L.shareWithServer(file);
	const ft = `${SCHEMA}.big_page`;
	await L.createForeignTable(pgc, ft, [{ name: 'id', pgType: 'int4' }, { name: 's', pgType: 'text' }], file, SERVER);
	await pgc.query("SET lakehouse.reader_memory_budget = '1MB'");
	try
	{
		const r = await L.pgTry(pgc, `SELECT id, length(s) FROM ${ft}`);
		assert.ok(!r.lost, 'connection survived');
		assert.ok(r.error, 'a 3 MB page is refused under a 1 MB budget');
		assert.equal(r.error.code, '54000', L.describePgError(r.error));
		assert.ok(L.describePgError(r.error).includes('big_page.parquet'), 'the error names the file');
		assert.deepEqual(await L.pgRows(pgc, `SELECT string_agg(id::text, ',' ORDER BY id) FROM ${ft}`), [['0,1,2,3,4,5,6,7,8,9']],
			'the other column still reads');
	}
	finally
	{
		await pgc.query('RESET lakehouse.reader_memory_budget');
	}
	assert.deepEqual(await L.pgRows(pgc, `SELECT sum(length(s)) FROM ${ft}`), [['1500009']], 'within the default budget');
});
