/*
 * roundtrip.test.mjs
 *	  lakehouse.write_parquet against DuckDB: for every supported type and
 *	  every codec, the rows a query produces, the rows DuckDB reads from the
 *	  file, and the rows the file gives back through a foreign table are the
 *	  same canonical rows (see lib.mjs).  Also: the Parquet types the writer
 *	  declares, 0 rows, several row groups, a directory of files, column
 *	  subsets, and values that cannot be written.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const SCHEMA = 'interop_rt';
const SERVER = 'interop_rt_srv';

/* name, PostgreSQL type, canonical kind, the type DuckDB must read it as */
const COLS = [
	['id', 'int4', 'int', 'INTEGER'],
	['b', 'bool', 'bool', 'BOOLEAN'],
	['i2', 'int2', 'int', 'SMALLINT'],
	['i4', 'int4', 'int', 'INTEGER'],
	['i8', 'int8', 'int', 'BIGINT'],
	['f4', 'float4', 'float4', 'FLOAT'],
	['f8', 'float8', 'float8', 'DOUBLE'],
	['n41', 'numeric(4,1)', 'numeric', 'DECIMAL(4,1)'],
	['n92', 'numeric(9,2)', 'numeric', 'DECIMAL(9,2)'],
	['n184', 'numeric(18,4)', 'numeric', 'DECIMAL(18,4)'],
	['n3810', 'numeric(38,10)', 'numeric', 'DECIMAL(38,10)'],
	['n380', 'numeric(38,0)', 'numeric', 'DECIMAL(38,0)'],
	['t', 'text', 'text', 'VARCHAR'],
	['vc', 'varchar(20)', 'text', 'VARCHAR'],
	['by', 'bytea', 'bytea', 'BLOB'],
	['d', 'date', 'date', 'DATE'],
	['ts', 'timestamp', 'ts', 'TIMESTAMP'],
	['tstz', 'timestamptz', 'ts', 'TIMESTAMP WITH TIME ZONE'],
	['u', 'uuid', 'uuid', 'UUID'],
	['jb', 'jsonb', 'json', 'JSON'],
	['js', 'json', 'json', 'JSON'],
].map(([name, pgType, kind, duckType]) => ({ name, pgType, kind, duckType }));

/* The foreign table reads JSON back as jsonb (the FDW's JSON type). */
const FT_COLS = COLS.map((c) => ({ ...c, pgType: c.pgType === 'json' ? 'jsonb' : c.pgType }));

/* Hand-picked edge rows (ids below 100), then generated rows (ids 1000..). */
const EDGE_ROWS = [
	/* everything NULL */
	`(1, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`,
	/* zeros and empties */
	`(2, false, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, '', '', '\\x', '1970-01-01', '1970-01-01 00:00:00', '1970-01-01 00:00:00+00',
	  '00000000-0000-0000-0000-000000000000', '{}', '[]')`,
	/* maxima */
	`(3, true, 32767, 2147483647, 9223372036854775807, '3.4028235e38', '1.7976931348623157e308',
	  999.9, 9999999.99, 99999999999999.9999, 9999999999999999999999999999.9999999999,
	  99999999999999999999999999999999999999,
	  repeat('long é✓ text ', 20000), repeat('z', 20), decode(repeat('00ff7f80', 50000), 'hex'),
	  '5874897-12-31', '294246-12-31 23:59:59.999999', '294246-12-31 23:59:59.999999+00',
	  'ffffffff-ffff-ffff-ffff-ffffffffffff',
	  '{"deep": {"a": [1, [2, [3, {"b": null}]]], "big": 123456789012345678901234567890.5}}',
	  '{"a": [true, false, null], "n": -0.000001}')`,
	/* minima */
	`(4, false, -32768, -2147483648, -9223372036854775808, '-3.4028235e38', '-1.7976931348623157e308',
	  -999.9, -9999999.99, -99999999999999.9999, -9999999999999999999999999999.9999999999,
	  -99999999999999999999999999999999999999,
	  'a', '', '\\x00',
	  '4714-11-24 BC', '4714-11-24 00:00:00 BC', '4714-11-24 00:00:00+00 BC',
	  '12345678-9abc-def0-1234-56789abcdef0', 'null', '"just a string"')`,
	/* special floats, tiny numerics, awkward text */
	`(5, true, 1, 1, 1, 'NaN', 'NaN', 0.1, 0.01, 0.0001, 0.0000000001, 1,
	  E'tab\\there\\nnewline \\\\ backslash "quotes" ''apostrophe''', 'é', '\\xdeadbeef',
	  '2000-02-29', '1969-12-31 23:59:59.999999', '1969-12-31 23:59:59.999999+00',
	  '0a0b0c0d-0e0f-1011-1213-141516171819', '[1, "two", 3.0, {"four": 4}]', '123')`,
	`(6, false, -1, -1, -1, 'Infinity', 'Infinity', -0.1, -0.01, -0.0001, -0.0000000001, -1,
	  'héllo wörld ✓ 日本語 🎉 Ω≈ç√∫', '日本語テキスト', '\\x80',
	  '0001-01-01', '0001-01-01 00:00:00', '0001-01-01 00:00:00+00',
	  'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', '{"ü": "ß", "emoji": "🎉", "esc": "a\\"b\\\\c\\u0001"}', '{"a":1,"b":2}')`,
	`(7, true, 2, 2, 2, '-Infinity', '-Infinity', 0, 0.00, 0, 0, 0,
	  ' ', ' leading', '\\x0000',
	  '1969-12-31', '1900-01-01 12:34:56.789012', '1900-01-01 12:34:56.789012-03:30',
	  'ffffffff-0000-ffff-0000-ffffffffffff', 'true', 'false')`,
	`(8, false, 3, 3, 3, '-0', '-0', NULL, 1.5, NULL, 1.5, NULL,
	  NULL, 'x', NULL,
	  '9999-12-31', '9999-12-31 23:59:59.999999', '2262-04-11 23:47:16.854775+00',
	  NULL, '12345678901234567890', '-1.5e300')`,
	`(9, NULL, NULL, NULL, NULL, '1e-45', '5e-324', NULL, NULL, NULL, NULL, NULL,
	  '𝄞 supplementary plane', NULL, NULL,
	  '2024-02-29', '2024-02-29 12:00:00', '2024-02-29 12:00:00+14',
	  NULL, '{"a": {"a": {"a": {"a": {"a": {}}}}}}', NULL)`,
	`(10, true, 100, 100, 100, '1.1', '0.1', 12.3, 1234567.89, 1234567890.1234, 0.1234567891, 12345678901234567890123456789012345678,
	  'same', 'same', '\\x00ff',
	  '1582-10-15', '1582-10-04 23:59:59', '1582-10-04 23:59:59+00',
	  '00000000-0000-0000-0000-000000000001', '[]', '[]')`,
];

const GENERATED = `
SELECT g AS id,
	CASE WHEN g % 11 = 0 THEN NULL ELSE g % 3 = 0 END,
	CASE WHEN g % 13 = 1 THEN NULL ELSE ((g * 37) % 65536 - 32768)::int2 END,
	CASE WHEN g % 17 = 2 THEN NULL ELSE hashint4(g) END,
	CASE WHEN g % 19 = 3 THEN NULL ELSE (hashint8(g)::int8 << 31) # g END,
	CASE WHEN g % 23 = 4 THEN NULL ELSE (hashint4(g)::float8 / 7.0)::float4 END,
	CASE WHEN g % 29 = 5 THEN NULL ELSE hashint4(g + 1)::float8 / 3.0 * 1e10 END,
	CASE WHEN g % 31 = 6 THEN NULL ELSE ((g % 1000) - 500) / 10.0 END,
	CASE WHEN g % 37 = 7 THEN NULL ELSE (hashint4(g) % 100000000) / 100.0 END,
	CASE WHEN g % 41 = 8 THEN NULL ELSE hashint4(g)::numeric * 12.3456789 END,
	CASE WHEN g % 43 = 9 THEN NULL ELSE hashint4(g)::numeric * 1e17 + g + 0.123456789 END,
	CASE WHEN g % 47 = 10 THEN NULL ELSE hashint4(g)::numeric * 1e28 + g END,
	CASE WHEN g % 53 = 11 THEN NULL WHEN g % 5 = 0 THEN '' ELSE md5((g % 50)::text) END,
	CASE WHEN g % 59 = 12 THEN NULL ELSE left(md5(g::text), g % 21) END,
	CASE WHEN g % 61 = 13 THEN NULL WHEN g % 7 = 0 THEN '\\x'::bytea ELSE decode(md5(g::text), 'hex') END,
	CASE WHEN g % 67 = 14 THEN NULL ELSE DATE '2000-01-01' + (hashint4(g) % 1000000) END,
	CASE WHEN g % 71 = 15 THEN NULL
		ELSE TIMESTAMP '2000-01-01' + hashint4(g) * interval '10 seconds' + (g * 7919 % 1000000) * interval '1 microsecond' END,
	CASE WHEN g % 73 = 16 THEN NULL
		ELSE TIMESTAMPTZ '2000-01-01 00:00:00+00' + hashint4(g + 7) * interval '10 seconds' + (g * 104729 % 1000000) * interval '1 microsecond' END,
	CASE WHEN g % 79 = 17 THEN NULL ELSE md5(g::text)::uuid END,
	CASE WHEN g % 83 = 18 THEN NULL
		ELSE jsonb_build_object('g', g, 'arr', jsonb_build_array(g, g * 0.5, 'x' || g, g % 2 = 0, NULL),
								'nested', jsonb_build_object('k', repeat('y', g % 4))) END,
	CASE WHEN g % 89 = 19 THEN NULL ELSE ('{"g": ' || g || ', "s" : "' || md5(g::text) || '"}')::json END
FROM generate_series(1000, 3999) g`;

const CODECS = [
	['snappy', 'SNAPPY'],
	['zstd', 'ZSTD'],
	['gzip', 'GZIP'],
	['lz4_raw', 'LZ4_RAW'],
	['none', 'UNCOMPRESSED'],
];

let pgc;
let duck;
let dir;
let sourceRows;
let sourceCount;

async function writeParquet(query, file, codec)
{
	const sql = codec === undefined
		? 'SELECT lakehouse.write_parquet($1, $2)'
		: 'SELECT lakehouse.write_parquet($1, $2, $3)';
	const params = codec === undefined ? [query, file] : [query, file, codec];
	const n = await L.pgValue(pgc, sql, params);
	return Number(n);
}

before(async () => {
	/* a session time zone far from UTC, with a 45-minute offset */
	pgc = await L.pgConnect({ name: 'interop-roundtrip', timezone: 'Asia/Kathmandu' });
	duck = await L.duckConnect();
	dir = L.makeFilesSubdir('roundtrip');
	await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${SCHEMA}`);
	await L.ensureServer(pgc, SERVER);
	await pgc.query(`CREATE TABLE ${SCHEMA}.src (${COLS.map((c) => `${L.quoteIdent(c.name)} ${c.pgType}`).join(', ')})`);
	await pgc.query(`INSERT INTO ${SCHEMA}.src VALUES ${EDGE_ROWS.join(',\n')}`);
	await pgc.query(`INSERT INTO ${SCHEMA}.src ${GENERATED}`);
	sourceCount = Number(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.src`));
	sourceRows = await L.pgCanonRows(pgc, `${SCHEMA}.src`, COLS, 'id');
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

/* DuckDB's view of the file: column types, and the codec of every column chunk. */
async function duckDescribe(file)
{
	const types = await duck.rows(`SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${L.quoteLiteral(file)}))`);
	return Object.fromEntries(types.map(([n, t]) => [n, t]));
}

function assertDuckTypes(types, cols, label)
{
	const want = Object.fromEntries(cols.map((c) => [c.name, c.duckType]));
	assert.deepEqual(types, want, `${label}: column types as DuckDB reads them`);
}

test('the source rows render as expected (sanity of the harness)', () => {
	assert.equal(sourceRows.length, sourceCount);
	assert.equal(sourceCount, EDGE_ROWS.length + 3000);
	const byId = new Map(sourceRows.map((r) => [r[0], r]));
	const col = (name) => COLS.findIndex((c) => c.name === name);
	assert.equal(byId.get('1')[col('t')], L.NULL_MARK);
	assert.equal(byId.get('2')[col('t')], '');
	assert.equal(byId.get('3')[col('i8')], '9223372036854775807');
	assert.equal(byId.get('4')[col('i8')], '-9223372036854775808');
	assert.equal(byId.get('5')[col('f8')], 'NaN');
	assert.equal(byId.get('6')[col('f4')], 'Infinity');
	assert.equal(byId.get('8')[col('f8')], '-0');
	assert.equal(byId.get('3')[col('f4')], String(Math.fround(3.4028235e38)));
	assert.equal(byId.get('10')[col('f4')], String(Math.fround(1.1)));
	assert.equal(byId.get('3')[col('n3810')], '9999999999999999999999999999.9999999999');
	assert.equal(byId.get('7')[col('ts')], '-2208943503210988');
	assert.equal(byId.get('2')[col('by')], '');
	assert.equal(byId.get('4')[col('jb')], 'null');
	assert.equal(byId.get('2')[col('d')], '0');
});

for (const [codec, duckCodec] of CODECS)
{
	test(`write_parquet codec ${codec}: DuckDB and the foreign table read the source rows`, async () => {
		const file = path.join(dir, `all_types_${codec}.parquet`);
		const n = await writeParquet(`SELECT * FROM ${SCHEMA}.src`, file, codec);
		assert.equal(n, sourceCount, 'write_parquet returns the number of rows written');
		assert.ok(fs.existsSync(file), 'the file exists');

		const codecs = await duck.rows(`SELECT DISTINCT compression FROM parquet_metadata(${L.quoteLiteral(file)})`);
		assert.deepEqual(codecs.map((r) => r[0]), [duckCodec], 'every column chunk uses the codec asked for');
		assertDuckTypes(await duckDescribe(file), COLS, codec);

		const viaDuck = await L.duckCanonRows(duck, file, COLS, 'id');
		L.assertRowsEqual(viaDuck, sourceRows, COLS, `DuckDB reading the ${codec} file`);

		const ft = `${SCHEMA}.ft_${codec}`;
		await L.createForeignTable(pgc, ft, FT_COLS, file, SERVER);
		const viaFdw = await L.pgCanonRows(pgc, ft, FT_COLS, 'id');
		L.assertRowsEqual(viaFdw, sourceRows, COLS, `the foreign table over the ${codec} file`);
	});
}

test('write_parquet without a codec writes snappy', async () => {
	const file = path.join(dir, 'default_codec.parquet');
	const n = await writeParquet(`SELECT id, t FROM ${SCHEMA}.src WHERE id < 100`, file);
	assert.equal(n, EDGE_ROWS.length);
	const codecs = await duck.rows(`SELECT DISTINCT compression FROM parquet_metadata(${L.quoteLiteral(file)})`);
	assert.deepEqual(codecs.map((r) => r[0]), ['SNAPPY']);
});

test('the Parquet schema the writer declares', async () => {
	const file = path.join(dir, 'all_types_snappy.parquet');
	if (!fs.existsSync(file))
		await writeParquet(`SELECT * FROM ${SCHEMA}.src`, file, 'snappy');
	const rows = await duck.rows(`SELECT name, type, type_length, converted_type, logical_type, scale, precision
		FROM parquet_schema(${L.quoteLiteral(file)}) WHERE name <> 'schema' AND num_children IS NULL`);
	const schema = Object.fromEntries(rows.map(([name, type, len, conv, logical, scale, precision]) =>
		[name, { type, len, conv: conv || '', logical: logical || '', scale, precision }]));
	const expect = (name, type, check) => {
		const s = schema[name];
		assert.ok(s, `column ${name} is in the file`);
		assert.equal(s.type, type, `${name}: physical type`);
		if (check)
			assert.ok(check(s), `${name}: annotation ${JSON.stringify(s)}`);
	};
	expect('b', 'BOOLEAN');
	expect('i2', 'INT32', (s) => s.conv === 'INT_16' || /bitWidth=16/.test(s.logical));
	expect('i4', 'INT32', (s) => s.conv === '' || s.conv === 'INT_32');
	expect('i8', 'INT64', (s) => s.conv === '' || s.conv === 'INT_64');
	expect('f4', 'FLOAT');
	expect('f8', 'DOUBLE');
	for (const [name, p, sc] of [['n41', 4, 1], ['n92', 9, 2], ['n184', 18, 4], ['n3810', 38, 10], ['n380', 38, 0]])
	{
		const s = schema[name];
		assert.ok(['INT32', 'INT64', 'FIXED_LEN_BYTE_ARRAY', 'BYTE_ARRAY'].includes(s.type), `${name}: physical type ${s.type}`);
		assert.ok(s.conv === 'DECIMAL' || /Decimal/.test(s.logical), `${name}: DECIMAL annotation`);
		assert.equal(Number(s.precision), p, `${name}: precision`);
		assert.equal(Number(s.scale), sc, `${name}: scale`);
	}
	expect('t', 'BYTE_ARRAY', (s) => s.conv === 'UTF8' || /String/.test(s.logical));
	expect('vc', 'BYTE_ARRAY', (s) => s.conv === 'UTF8' || /String/.test(s.logical));
	expect('by', 'BYTE_ARRAY', (s) => s.conv === '' && !/String|Json/.test(s.logical));
	expect('d', 'INT32', (s) => s.conv === 'DATE' || /Date/.test(s.logical));
	expect('ts', 'INT64', (s) => /isAdjustedToUTC=0/.test(s.logical) && /MICROS=MicroSeconds/.test(s.logical));
	expect('tstz', 'INT64', (s) => /isAdjustedToUTC=1/.test(s.logical) && /MICROS=MicroSeconds/.test(s.logical));
	expect('u', 'FIXED_LEN_BYTE_ARRAY', (s) => Number(s.len) === 16 && /UUID/.test(s.logical));
	expect('jb', 'BYTE_ARRAY', (s) => s.conv === 'JSON' || /Json/.test(s.logical));
	expect('js', 'BYTE_ARRAY', (s) => s.conv === 'JSON' || /Json/.test(s.logical));
});

test('0 rows: a valid file with the schema and no rows', async () => {
	const file = path.join(dir, 'empty.parquet');
	const n = await writeParquet(`SELECT * FROM ${SCHEMA}.src WHERE false`, file, 'zstd');
	assert.equal(n, 0);
	assert.equal(await duck.value(`SELECT count(*) FROM read_parquet(${L.quoteLiteral(file)})`), 0n);
	assertDuckTypes(await duckDescribe(file), COLS, 'empty file');
	const ft = `${SCHEMA}.ft_empty`;
	await L.createForeignTable(pgc, ft, FT_COLS, file, SERVER);
	assert.deepEqual(await L.pgCanonRows(pgc, ft, FT_COLS, 'id'), []);
});

test('several row groups: 2.5M rows, in order, through DuckDB and the foreign table', async (t) => {
	/*
	 * t: nulls scattered; u: 400,000 rows of 10 distinct strings at the start
	 * of each row group, then distinct ones, so the chunk starts with
	 * dictionary pages and falls back to PLAIN when the dictionary
	 * overflows; z: NULL in the whole first row group.
	 */
	const file = path.join(dir, 'many_row_groups.parquet');
	const total = 2_500_000;
	const n = await writeParquet(
		`SELECT g::int8 AS g, CASE WHEN g % 7 = 0 THEN NULL ELSE (g % 1000)::text END AS t,
			md5(CASE WHEN g % 1048576 BETWEEN 1 AND 400000 THEN (g % 10)::text ELSE g::text END) AS u, CASE WHEN g > 1100000 THEN (g % 100)::int4 END AS z
		 FROM generate_series(1, ${total}) g`, file, 'snappy');
	assert.equal(n, total);
	const groups = await duck.rows(`SELECT row_group_id, max(row_group_num_rows) FROM parquet_metadata(${L.quoteLiteral(file)})
		GROUP BY 1 ORDER BY 1`);
	assert.ok(groups.length >= 3, `expected at least 3 row groups, got ${groups.length}`);
	assert.equal(groups.reduce((s, r) => s + Number(r[1]), 0), total, 'row group sizes add up');
	const enc = await duck.rows(`SELECT row_group_id, encodings FROM parquet_metadata(${L.quoteLiteral(file)})
		WHERE path_in_schema = 'u' ORDER BY 1`);
	t.diagnostic(`encodings of u per row group: ${enc.map((r) => r[1]).join(' / ')}`);
	assert.match(enc[0][1], /DICTIONARY/, 'u starts dictionary encoded');
	assert.match(enc[0][1], /PLAIN(,|$)/, 'u falls back to PLAIN');

	const checks = (textType) => `count(*), sum(g),
		count(*) FILTER (WHERE (t IS NULL) <> (g % 7 = 0) OR t <> (g % 1000)::${textType}),
		count(*) FILTER (WHERE u IS DISTINCT FROM
			md5(CASE WHEN g % 1048576 BETWEEN 1 AND 400000 THEN (g % 10)::${textType} ELSE g::${textType} END)),
		count(*) FILTER (WHERE (z IS NULL) <> (g <= 1100000) OR z <> g % 100)`;
	const want = [String(total), String(total * (total + 1) / 2), '0', '0', '0', '0'];
	const duckGot = (await duck.rows(`SELECT ${checks('varchar')}, count(*) FILTER (WHERE g <> file_row_number + 1)
		FROM read_parquet(${L.quoteLiteral(file)}, file_row_number = true)`))[0].map(String);
	assert.deepEqual(duckGot, want, 'DuckDB: count, sum, t, u, z, file order');

	const ft = `${SCHEMA}.ft_many`;
	await L.createForeignTable(pgc, ft, [{ name: 'g', pgType: 'int8' }, { name: 't', pgType: 'text' },
		{ name: 'u', pgType: 'text' }, { name: 'z', pgType: 'int4' }], file, SERVER);
	/* file order: only a plain (not parallel) scan promises it */
	await pgc.query('SET max_parallel_workers_per_gather = 0');
	let pgGot;
	try
	{
		pgGot = (await L.pgRows(pgc, `SELECT ${checks('text')}, count(*) FILTER (WHERE g <> rn)
			FROM (SELECT g, t, u, z, row_number() OVER () AS rn FROM ${ft}) s`))[0];
	}
	finally
	{
		await pgc.query('RESET max_parallel_workers_per_gather');
	}
	assert.deepEqual(pgGot, want, 'the foreign table: count, sum, t, u, z, file order');

	/* a parallel scan: every row exactly once */
	await L.forceParallel(pgc, true);
	try
	{
		const sql = `SELECT ${checks('text')}, count(DISTINCT g) FROM ${ft}`;
		assert.match(await L.explain(pgc, sql), /Parallel Foreign Scan/, 'the planner chose a parallel scan');
		assert.deepEqual((await L.pgRows(pgc, sql))[0], [...want.slice(0, 5), String(total)],
			'parallel scan: count, sum, t, u, z, distinct g');
	}
	finally
	{
		await L.forceParallel(pgc, false);
	}
});

test('every type across many small row groups (lakehouse.parquet_row_group_rows) and small scan batches', async () => {
	const file = path.join(dir, 'all_types_small_groups.parquet');
	await pgc.query('SET lakehouse.parquet_row_group_rows = 700');
	let n;
	try
	{
		n = await writeParquet(`SELECT * FROM ${SCHEMA}.src ORDER BY id`, file, 'zstd');
	}
	finally
	{
		await pgc.query('RESET lakehouse.parquet_row_group_rows');
	}
	assert.equal(n, sourceCount);
	const groups = await duck.rows(`SELECT DISTINCT row_group_id, row_group_num_rows FROM parquet_metadata(${L.quoteLiteral(file)}) ORDER BY 1`);
	assert.equal(groups.length, Math.ceil(sourceCount / 700), 'row groups of 700 rows');
	assert.ok(groups.slice(0, -1).every((g) => Number(g[1]) === 700), 'each full row group has 700 rows');
	L.assertRowsEqual(await L.duckCanonRows(duck, file, COLS, 'id'), sourceRows, COLS, 'DuckDB, small row groups');

	const ft = `${SCHEMA}.ft_small_groups`;
	await L.createForeignTable(pgc, ft, FT_COLS, file, SERVER);
	await L.forceParallel(pgc, true);
	try
	{
		assert.match(await L.explain(pgc, `SELECT * FROM ${ft}`), /Parallel Foreign Scan/, 'the planner chose a parallel scan');
		L.assertRowsEqual(await L.pgCanonRows(pgc, ft, FT_COLS, 'id'), sourceRows, COLS, 'parallel scan over 5 row groups');
	}
	finally
	{
		await L.forceParallel(pgc, false);
	}
	for (const batch of [16, 333, 8192])
	{
		await pgc.query(`SET lakehouse.scan_batch_rows = ${batch}`);
		try
		{
			L.assertRowsEqual(await L.pgCanonRows(pgc, ft, FT_COLS, 'id'), sourceRows, COLS,
				`foreign table, row groups of 700, scan batches of ${batch}`);
		}
		finally
		{
			await pgc.query('RESET lakehouse.scan_batch_rows');
		}
	}
});

test('a directory of files reads as their union; other files in it are ignored', async () => {
	const sub = L.makeFilesSubdir('roundtrip_dir');
	for (let k = 0; k < 3; k++)
		await writeParquet(`SELECT * FROM ${SCHEMA}.src WHERE id % 3 = ${k}`, path.join(sub, `part-${k}.parquet`),
			['zstd', 'snappy', 'none'][k]);
	fs.writeFileSync(path.join(sub, 'README.txt'), 'not parquet\n');
	fs.chmodSync(path.join(sub, 'README.txt'), 0o644);
	const ft = `${SCHEMA}.ft_dir`;
	await L.createForeignTable(pgc, ft, FT_COLS, sub, SERVER);
	L.assertRowsEqual(await L.pgCanonRows(pgc, ft, FT_COLS, 'id'), sourceRows, COLS, 'foreign table over a directory');
});

test('a foreign table with a subset of the columns, in another order', async () => {
	const file = path.join(dir, 'all_types_gzip.parquet');
	if (!fs.existsSync(file))
		await writeParquet(`SELECT * FROM ${SCHEMA}.src`, file, 'gzip');
	const pick = ['u', 'tstz', 'id', 'n3810', 't'];
	const cols = pick.map((n) => FT_COLS.find((c) => c.name === n));
	const ft = `${SCHEMA}.ft_subset`;
	await L.createForeignTable(pgc, ft, cols, file, SERVER);
	const expected = await L.pgCanonRows(pgc, `${SCHEMA}.src`, cols, 'id');
	L.assertRowsEqual(await L.pgCanonRows(pgc, ft, cols, 'id'), expected, cols, 'subset of columns');
	/* a query that needs one column only, and one with a filter */
	assert.equal(await L.pgValue(pgc, `SELECT count(t) FROM ${ft}`),
		await L.pgValue(pgc, `SELECT count(t) FROM ${SCHEMA}.src`));
	assert.equal(await L.pgValue(pgc, `SELECT string_agg(id::text, ',' ORDER BY id) FROM ${ft} WHERE id BETWEEN 3 AND 1005`),
		await L.pgValue(pgc, `SELECT string_agg(id::text, ',' ORDER BY id) FROM ${SCHEMA}.src WHERE id BETWEEN 3 AND 1005`));
});

test('values Parquet cannot hold are refused, not written wrong', async () => {
	const cases = [
		['numeric NaN into DECIMAL', `SELECT 'NaN'::numeric(9,2) AS n`],
		['timestamp past the int64 microsecond range', `SELECT TIMESTAMP '294270-01-01 00:00:00' AS ts`],
		['timestamptz past the int64 microsecond range', `SELECT TIMESTAMPTZ '294270-01-01 00:00:00+00' AS ts`],
	];
	for (const [what, query] of cases)
	{
		const file = path.join(dir, `refuse_${what.replace(/\W+/g, '_')}.parquet`);
		const r = await L.pgTry(pgc, 'SELECT lakehouse.write_parquet($1, $2)', [query, file]);
		assert.ok(!r.lost, `${what}: the connection survived`);
		if (r.rows)
		{
			/* written after all: then the file must hold the value exactly, which it cannot */
			const got = await duck.rows(`SELECT * FROM read_parquet(${L.quoteLiteral(file)})`).catch((e) => e.message);
			assert.fail(`${what}: write_parquet succeeded (DuckDB reads ${JSON.stringify(got, (k, v) => (typeof v === 'bigint' ? v.toString() : v))})`);
		}
	}
});

test('types write_parquet cannot write, and duplicate column names, are refused naming the column', async () => {
	const cases = [
		[`SELECT interval '1 day' AS iv`, '0A000', /"iv".*interval/],
		[`SELECT ARRAY[1, 2] AS arr`, '0A000', /"arr".*integer\[\]/],
		[`SELECT ROW(1, 2) AS rec`, '0A000', /"rec"/],
		[`SELECT 1::oid AS o`, '0A000', /"o".*oid/],
		[`SELECT 1 AS a, 2 AS a`, '42701', /"a"/],
		[`SELECT 1.5::numeric(40,2) AS wide`, null, /"wide"/],
		[`SELECT 'infinity'::timestamp AS t`, '22008', /"t"/],
		[`SELECT '-infinity'::timestamptz AS t`, '22008', /"t"/],
		[`SELECT 'infinity'::date AS d`, '22008', /"d"/],
	];
	for (const [query, code, re] of cases)
	{
		const file = path.join(dir, 'refused.parquet');
		const r = await L.pgTry(pgc, 'SELECT lakehouse.write_parquet($1, $2)', [query, file]);
		assert.ok(!r.lost, `${query}: connection survived`);
		assert.ok(r.error, `${query}: refused`);
		if (code)
			assert.equal(r.error.code, code, `${query}: SQLSTATE (${L.describePgError(r.error)})`);
		assert.match(r.error.message, re, query);
	}
});

test('unconstrained numeric is written as DECIMAL(38,18), exactly when it fits', async () => {
	const file = path.join(dir, 'numeric_unconstrained.parquet');
	const values = ['0', '1.5', '-1.5', '12345678901234567890.123456789012345678', '-0.000000000000000001',
		'99999999999999999999.999999999999999999'];
	const query = `SELECT v AS id, x::numeric AS n FROM unnest(ARRAY[${values.map((v) => `'${v}'`).join(', ')}]::numeric[]) WITH ORDINALITY AS u(x, v)`;
	assert.equal(await writeParquet(query, file, 'snappy'), values.length);
	const schema = await duck.rows(`SELECT precision, scale FROM parquet_schema(${L.quoteLiteral(file)}) WHERE name = 'n'`);
	assert.deepEqual(schema.map((r) => r.map(Number)), [[38, 18]]);
	const cols = [{ name: 'id', kind: 'int' }, { name: 'n', kind: 'numeric' }];
	const expected = values.map((v, i) => [String(i + 1), L.canonDecimal(v)]);
	L.assertRowsEqual(await L.duckCanonRows(duck, file, cols, 'id'), expected, cols, 'DuckDB');
	const ft = `${SCHEMA}.ft_numeric`;
	await L.createForeignTable(pgc, ft, [{ name: 'id', pgType: 'int8' }, { name: 'n', pgType: 'numeric' }], file, SERVER);
	L.assertRowsEqual(await L.pgCanonRows(pgc, ft, cols, 'id'), expected, cols, 'foreign table');
	/* past 38 digits: refused, not truncated */
	const r = await L.pgTry(pgc, 'SELECT lakehouse.write_parquet($1, $2)',
		['SELECT 123456789012345678901.5::numeric AS n', path.join(dir, 'numeric_too_big.parquet')]);
	assert.ok(r.error && !r.lost, 'a value needing 21 integer digits is refused');
});

test('column names that need quoting survive the round trip', async () => {
	const file = path.join(dir, 'odd_names.parquet');
	const names = ['Mixed Case', 'wéird "name"', 'tab\tname', '日本', 'a.b'];
	const query = `SELECT ${names.map((n, i) => `${i + 1} AS ${L.quoteIdent(n)}`).join(', ')}`;
	assert.equal(await writeParquet(query, file, 'none'), 1);
	const duckNames = (await duck.rows(`SELECT column_name FROM (DESCRIBE SELECT * FROM read_parquet(${L.quoteLiteral(file)}))`)).map((r) => r[0]);
	assert.deepEqual(duckNames, names);
	const ft = `${SCHEMA}.ft_names`;
	await L.createForeignTable(pgc, ft, names.map((n) => ({ name: n, pgType: 'int4' })), file, SERVER);
	assert.deepEqual(await L.pgRows(pgc, `SELECT * FROM ${ft}`), [['1', '2', '3', '4', '5']]);
});

test('a failing query leaves the file it would replace untouched, and no stray files', async () => {
	const sub = L.makeFilesSubdir('roundtrip_atomic');
	const file = path.join(sub, 'target.parquet');
	assert.equal(await writeParquet(`SELECT g FROM generate_series(1, 10) g`, file, 'snappy'), 10);
	const before = fs.readFileSync(file);
	const r = await L.pgTry(pgc, 'SELECT lakehouse.write_parquet($1, $2)',
		[`SELECT 10 / (g - 5000) AS x FROM generate_series(1, 100000) g`, file]);
	assert.ok(r.error && !r.lost, 'the query fails');
	assert.equal(r.error.code, '22012');
	assert.ok(fs.readFileSync(file).equals(before), 'the old file is intact');
	assert.deepEqual(fs.readdirSync(sub), ['target.parquet'], 'no temporary file left behind');
	const miss = await L.pgTry(pgc, 'SELECT lakehouse.write_parquet($1, $2)', ['SELECT 1 AS a', '/nonexistent/dir/x.parquet']);
	assert.ok(miss.error && !miss.lost);
	assert.equal(miss.error.code, '58P01');
});
