/*
 * corruption.test.mjs
 *	  A few hundred truncated and byte-flipped copies (seeded PRNG, so a run
 *	  is reproducible: LAKE_CORRUPTION_SEED) of valid Parquet files, written
 *	  by lakehouse.write_parquet in every codec and by DuckDB (v1 and v2
 *	  pages, dictionary and delta encodings, nested columns), each read in
 *	  full through a foreign table.  Every query must give rows or an SQL
 *	  error (XX001 data_corrupted naming the file is expected; any error class
 *	  is accepted except a lost connection or a hang), and the server must
 *	  stay up: same postmaster, no backend terminated by a signal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as L from './lib.mjs';

const SCHEMA = 'interop_corrupt';
const SERVER = 'interop_corrupt_srv';
const SEED = Number(process.env.LAKE_CORRUPTION_SEED || 20241125);
const PER_FILE = Number(process.env.LAKE_CORRUPTION_PER_FILE || 50);
const FAILURE_DIR = path.join(os.tmpdir(), 'iot_lakehouse-corruption-failures');

/* PostgreSQL-written sources: one query, every codec */
const PG_QUERY = `
SELECT g AS id, g % 3 = 0 AS b, (g * 7919)::int8 * 1000003 AS i8, g / 7.0::float8 AS f8,
	CASE WHEN g % 5 = 0 THEN NULL ELSE md5(g::text) END AS t,
	decode(md5((g % 17)::text), 'hex') AS by,
	(g * 1.0001)::numeric(18,4) AS n18, (g::numeric * 1e20 + 0.5)::numeric(38,10) AS n38,
	DATE '2000-01-01' + g AS d, TIMESTAMPTZ '2020-01-01 00:00:00+00' + g * interval '1 minute' AS tstz,
	md5(g::text)::uuid AS u, jsonb_build_object('g', g, 'a', jsonb_build_array(g, 'x')) AS j
FROM generate_series(1, 2000) g`;
const PG_COLS = [
	['id', 'int4'], ['b', 'bool'], ['i8', 'int8'], ['f8', 'float8'], ['t', 'text'], ['by', 'bytea'],
	['n18', 'numeric(18,4)'], ['n38', 'numeric(38,10)'], ['d', 'date'], ['tstz', 'timestamptz'], ['u', 'uuid'], ['j', 'jsonb'],
].map(([name, pgType]) => ({ name, pgType }));

/* DuckDB-written sources */
const DUCK_SELECT = `
SELECT range::INTEGER AS id, 'v' || (range % 10) AS s_low, 'str' || range AS s,
	(range * 0.37)::DOUBLE AS d, (range % 4)::DOUBLE AS d_low,
	(range::DECIMAL(38,0) * 1234567.000000000001)::DECIMAL(38,12) AS dec,
	make_timestamp(range::BIGINT * 1000003) AS ts,
	CASE range % 5 WHEN 0 THEN NULL ELSE {'a': range::INTEGER, 'b': [range::BIGINT, NULL]} END AS st,
	CASE range % 4 WHEN 0 THEN NULL WHEN 1 THEN []::INTEGER[] ELSE [range::INTEGER, NULL, 7] END AS li,
	CASE range % 3 WHEN 0 THEN NULL ELSE MAP {'k': range::BIGINT} END AS m
FROM range(3000)`;
const DUCK_COLS = [
	['id', 'int4'], ['s_low', 'text'], ['s', 'text'], ['d', 'float8'], ['d_low', 'float8'], ['dec', 'numeric(38,12)'],
	['ts', 'timestamp'], ['st', 'jsonb'], ['li', 'jsonb'], ['m', 'jsonb'],
].map(([name, pgType]) => ({ name, pgType }));
const DUCK_VARIANTS = [
	['duck_v1_plain', 'COMPRESSION uncompressed, PARQUET_VERSION V1, DICTIONARY_SIZE_LIMIT 1'],
	['duck_v2_dict_snappy', 'COMPRESSION snappy, PARQUET_VERSION V2'],
	['duck_v2_delta_zstd', 'COMPRESSION zstd, PARQUET_VERSION V2, DICTIONARY_SIZE_LIMIT 1, ROW_GROUP_SIZE 1024'],
	['duck_v1_gzip_rowgroups', 'COMPRESSION gzip, PARQUET_VERSION V1, ROW_GROUP_SIZE 1024'],
];

/* [label, path under the golden dir, columns, an integer column for the filtered query] */
const SPARK_FILES = [
	['spark_int96', 'table_with_edge_timestamps/part-00000-a9dd181d-61aa-491d-b3c9-3eea548de6cb-c000.snappy.parquet',
		[['BIG_DATE', 'timestamptz'], ['NORMAL_DATE', 'timestamptz'], ['SOME_VALUE', 'int4']], 'SOME_VALUE'],
	['spark_zstd', 'table_with_column_mapping/BH/part-00000-4d6e745c-8e04-48d9-aa60-438228358f1a.c000.zstd.parquet',
		[['col-3877fd94-0973-4941-ac6b-646849a1ff65', 'text']], null],
	['spark_dates', 'delta-0.8.0-date/part-00000-d22c627d-9655-4153-9527-f8995620fa42-c000.snappy.parquet',
		[['date', 'date'], ['dayOfYear', 'int4']], 'dayOfYear'],
].map(([label, rel, cols, key]) => [label, rel, cols.map(([name, pgType]) => ({ name, pgType })), key]);

let pgc;
let duck;
let dir;
const bases = [];	/* { label, file, bytes, cols, rows } */

before(async () => {
	pgc = await L.pgConnect({ name: 'interop-corruption', statementTimeout: '30s', queryTimeoutMs: 90000 });
	duck = await L.duckConnect();
	dir = L.makeFilesSubdir('corruption');
	await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${SCHEMA}`);
	await L.ensureServer(pgc, SERVER);

	for (const codec of ['snappy', 'zstd', 'gzip', 'lz4_raw', 'none'])
	{
		const file = path.join(dir, `pg_${codec}.parquet`);
		const n = await L.pgValue(pgc, 'SELECT lakehouse.write_parquet($1, $2, $3)', [PG_QUERY, file, codec]);
		bases.push({ label: `pg_${codec}`, file, cols: PG_COLS, rows: Number(n), key: 'id' });
	}
	for (const [label, options] of DUCK_VARIANTS)
	{
		const file = path.join(dir, `${label}.parquet`);
		await duck.run(`COPY (${DUCK_SELECT}) TO ${L.quoteLiteral(file)} (FORMAT parquet, ${options})`);
		L.shareWithServer(file);
		bases.push({ label, file, cols: DUCK_COLS, rows: 3000, key: 'id' });
	}
	/* Spark-written files of the golden tables, when they are there: INT96, zstd, parquet-mr pages */
	for (const [label, rel, cols, key] of SPARK_FILES)
	{
		const src = path.join(L.goldenDir(), rel);
		if (!fs.existsSync(src))
			continue;
		const file = path.join(dir, `${label}.parquet`);
		fs.copyFileSync(src, file);
		L.shareWithServer(file);
		const rows = Number(await duck.value(`SELECT count(*) FROM read_parquet(${L.quoteLiteral(file)})`));
		bases.push({ label, file, cols, rows, key });
	}
	for (const b of bases)
	{
		b.rowGroups = Number(await duck.value(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${L.quoteLiteral(b.file)})`));
		b.bytes = fs.readFileSync(b.file);
		b.table = `${SCHEMA}.${b.label}`;
		await L.createForeignTable(pgc, b.table, b.cols, b.file, SERVER);
	}
});

after(async () => {
	if (pgc && !pgc.lostError)
	{
		await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
		await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
	}
	await pgc?.end().catch(() => {});
	duck?.close();
});

/* Read every column of every row: a whole-row reference needs them all. */
function fullReadSql(table)
{
	return `SELECT count(*), md5(coalesce(string_agg(x::text, '|'), '')) FROM ${table} x`;
}

/*
 * What is asked of each corrupted file: everything (every column decoded),
 * the row count alone (the footer may be enough), and a filter that row
 * group statistics may answer.
 */
function mutantQueries(b)
{
	const q = [{ sql: fullReadSql(b.table) }, { sql: `SELECT count(*) FROM ${b.table}` }];
	if (b.key !== null)
	{
		const k = L.quoteIdent(b.key);
		q.push({ sql: `SELECT count(*), min(${k}), max(${k}) FROM ${b.table} WHERE ${k} BETWEEN 2 AND 1500` });
	}
	/* files of several row groups: also through parallel workers */
	if (b.rowGroups > 1)
		q.push({ sql: fullReadSql(b.table), parallel: true });
	return q;
}

/* The Parquet footer length from the last 8 bytes, when they look sane. */
function footerStart(bytes)
{
	if (bytes.length < 12)
		return 0;
	const len = bytes.readUInt32LE(bytes.length - 8);
	return len + 8 <= bytes.length ? bytes.length - 8 - len : 0;
}

/*
 * One corruption of bytes, described in words: truncations (anywhere, in the
 * footer, tiny), single and multiple byte flips (half of them in the footer,
 * where the Thrift structures live), runs of 0xff / 0x7f (huge lengths and
 * varints) and runs of zeros.
 */
function mutate(bytes, rnd)
{
	const len = bytes.length;
	const fstart = footerStart(bytes);
	const pos = (inFooterBias) => (inFooterBias && rnd.next() < 0.5
		? fstart + rnd.int(len - fstart)
		: rnd.int(len));
	const kind = rnd.int(7);
	const out = Buffer.from(bytes);
	switch (kind)
	{
		case 0:
		{
			const n = rnd.int(len);
			return { bytes: out.subarray(0, n), what: `truncated to ${n} of ${len} bytes`, truncated: true };
		}
		case 1:
		{
			const n = fstart + rnd.int(len - fstart);
			return { bytes: out.subarray(0, n), what: `truncated in the footer to ${n} of ${len} bytes`, truncated: true };
		}
		case 2:
		{
			const n = rnd.int(17);
			return { bytes: out.subarray(0, n), what: `truncated to ${n} bytes`, truncated: true };
		}
		case 3:
		{
			const p = pos(true);
			const x = 1 + rnd.int(255);
			out[p] ^= x;
			return { bytes: out, what: `byte ${p} xor 0x${x.toString(16)}` };
		}
		case 4:
		{
			const k = 2 + rnd.int(7);
			const where = [];
			for (let i = 0; i < k; i++)
			{
				const p = pos(true);
				out[p] ^= 1 << rnd.int(8);
				where.push(p);
			}
			return { bytes: out, what: `bit flips at ${where.join(',')}` };
		}
		case 5:
		{
			const p = pos(true);
			const v = rnd.pick([0xff, 0x7f, 0x80]);
			const n = 1 + rnd.int(6);
			out.fill(v, p, Math.min(len, p + n));
			return { bytes: out, what: `${n} bytes at ${p} set to 0x${v.toString(16)}` };
		}
		default:
		{
			const p = pos(false);
			const n = 1 + rnd.int(64);
			out.fill(0, p, Math.min(len, p + n));
			return { bytes: out, what: `${n} bytes at ${p} zeroed` };
		}
	}
}

test('the unmodified files read in full', async () => {
	assert.ok(bases.length >= 9, `${bases.length} base files`);
	for (const b of bases)
	{
		const r = await L.pgTry(pgc, fullReadSql(b.table));
		assert.ok(r.rows, `${b.label}: ${L.describePgError(r.error || r.lost)}`);
		assert.equal(Number(r.rows[0][0]), b.rows, `${b.label}: row count`);
		b.md5 = r.rows[0][1];
	}
	const multi = bases.filter((b) => b.rowGroups > 1);
	assert.ok(multi.length >= 2, 'some originals have several row groups');
	await L.forceParallel(pgc, true);
	try
	{
		for (const b of multi)
		{
			assert.match(await L.explain(pgc, fullReadSql(b.table)), /Parallel Foreign Scan/, `${b.label}: parallel plan`);
			assert.deepEqual((await L.pgRows(pgc, `SELECT count(*) FROM ${b.table}`))[0], [String(b.rows)], `${b.label}: parallel count`);
		}
	}
	finally
	{
		await L.forceParallel(pgc, false);
	}
});

test(`corrupted files give rows or an SQL error, never a crash (seed ${SEED}, ${PER_FILE} per file)`, async (t) => {
	const rnd = L.prng(SEED);
	const pidBefore = L.postmasterPid();
	const startBefore = await L.pgValue(pgc, 'SELECT pg_postmaster_start_time()::text');
	const logBefore = (L.serverLog() || '').length;
	const outcomes = new Map();
	const unnamed = [];
	const hangs = [];
	const truncatedRead = [];
	let lost = null;
	let n = 0;
	let queries = 0;

	outer:
	for (const b of bases)
	{
		for (let i = 0; i < PER_FILE; i++)
		{
			const m = mutate(b.bytes, rnd);
			const name = `m${String(n).padStart(4, '0')}_${b.label}.parquet`;
			const file = path.join(dir, name);
			n++;
			fs.writeFileSync(file, m.bytes);
			fs.chmodSync(file, 0o644);
			await pgc.query(`ALTER FOREIGN TABLE ${b.table} OPTIONS (SET path ${L.quoteLiteral(file)})`);
			for (const { sql, parallel } of mutantQueries(b))
			{
				if (parallel)
					await L.forceParallel(pgc, true);
				const r = await L.pgTry(pgc, sql);
				if (parallel && !r.lost)
					await L.forceParallel(pgc, false);
				let key;
				if (r.lost)
				{
					fs.mkdirSync(FAILURE_DIR, { recursive: true });
					fs.copyFileSync(file, path.join(FAILURE_DIR, name));
					lost = `${name} (${b.label}: ${m.what}; kept in ${FAILURE_DIR}) by ${sql}: ${r.lost.message}`;
					break outer;
				}
				else if (r.error)
				{
					key = r.error.code;
					if (key === '57014')
					{
						fs.mkdirSync(FAILURE_DIR, { recursive: true });
						fs.copyFileSync(file, path.join(FAILURE_DIR, name));
						hangs.push(`${name} (${b.label}: ${m.what}) by ${sql}`);
					}
					if (key === 'XX001')
					{
						const text = [r.error.message, r.error.detail, r.error.where, r.error.hint].join(' ');
						if (!text.includes(name))
							unnamed.push(`${name}: ${L.describePgError(r.error)}`);
					}
				}
				else
				{
					key = 'rows';
					/* a prefix of a file has no footer: nothing in it can be read */
					if (m.truncated)
						truncatedRead.push(`${name} (${b.label}: ${m.what}) by ${sql}: ${JSON.stringify(r.rows)}`);
				}
				outcomes.set(key, (outcomes.get(key) || 0) + 1);
				queries++;
			}
			fs.rmSync(file);
		}
	}

	const summary = [...outcomes.entries()].sort((a, b) => b[1] - a[1]).map(([k, v]) => `${k}: ${v}`).join(', ');
	t.diagnostic(`${n} corrupted files, ${queries} queries: ${summary}`);
	const log = (L.serverLog() || '').slice(logBefore);
	const bad = log.split('\n').filter((l) => /terminated by signal|was terminated|PANIC|server process .* exited with exit code [^0]/.test(l));
	assert.equal(lost, null, `connection lost at ${lost}\nserver log: ${bad.join('\n')}`);
	assert.deepEqual(hangs, [], 'queries that hit the statement timeout (a hang)');
	assert.deepEqual(truncatedRead.slice(0, 10), [], `truncated files that gave rows (${truncatedRead.length} in all)`);
	assert.equal(n, bases.length * PER_FILE);

	/* the server stayed up */
	assert.equal(L.postmasterPid(), pidBefore, 'postmaster PID unchanged');
	assert.equal(await L.pgValue(pgc, 'SELECT pg_postmaster_start_time()::text'), startBefore, 'postmaster start time unchanged');
	assert.deepEqual(bad, [], 'server log: no backend crash');

	assert.ok((outcomes.get('XX001') || 0) > 0, 'corrupt files raise data_corrupted (XX001)');
	assert.deepEqual(unnamed.slice(0, 10), [], `XX001 errors whose message does not name the file (${unnamed.length} in all)`);
});

test('after the loop the originals still read the same', async () => {
	for (const b of bases)
	{
		await pgc.query(`ALTER FOREIGN TABLE ${b.table} OPTIONS (SET path ${L.quoteLiteral(b.file)})`);
		const r = await L.pgTry(pgc, fullReadSql(b.table));
		assert.ok(r.rows, `${b.label}: ${L.describePgError(r.error || r.lost)}`);
		assert.equal(Number(r.rows[0][0]), b.rows, `${b.label}: row count`);
		if (b.md5)
			assert.equal(r.rows[0][1], b.md5, `${b.label}: same content as before the loop`);
	}
});
