/*
 * lib.mjs
 *	  Shared helpers of the interop suites: a node-postgres client from the
 *	  environment test/lib/cluster.sh exports, a DuckDB connection (our
 *	  independent oracle), the canonical rendering of values of every column
 *	  kind on both sides, and a row comparison that reports what differs.
 *
 * Rendering rule: each side turns a value into a canonical string, partly in
 * SQL (so that nothing passes through a lossy JavaScript type) and partly
 * here (floats, decimals and JSON, whose text forms differ between engines):
 *   bool      t / f
 *   int       exact decimal digits
 *   float4/8  the shortest text that reads back to the same float (JS
 *             String()), NaN, Infinity, -Infinity, -0; float4 values are
 *             first rounded to single precision on both sides
 *   numeric   exact decimal, trailing fractional zeros dropped (1.50 = 1.5)
 *   text      the string itself (JSON-quoted in diffs)
 *   bytea     lower-case hex
 *   date      days since 1970-01-01
 *   ts        microseconds since 1970-01-01 (UTC for timestamptz, the
 *             nominal wall clock for timestamp)
 *   ts_ns     DuckDB side nanoseconds, PostgreSQL side microseconds: equal
 *             when they differ by less than one microsecond
 *   uuid      lower-case 8-4-4-4-12
 *   json      keys sorted, numbers as exact decimals, no spaces
 *   NULL      \N
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { DuckDBInstance } from '@duckdb/node-api';

export const NULL_MARK = '\\N';

/* ---------------------------------------------------------------- env ---- */

const here = path.dirname(fileURLToPath(import.meta.url));
export const repoRoot = path.resolve(here, '..', '..');

/* The directory both the server and this process may write. */
export function filesDir()
{
	const dir = process.env.LAKE_TEST_FILES;
	if (!dir)
		throw new Error('LAKE_TEST_FILES is not set: run the suites through test/interop/run.sh');
	return dir;
}

/* A fresh sub-directory of filesDir() the server can read and write. */
export function makeFilesSubdir(name)
{
	const dir = path.join(filesDir(), name);
	fs.rmSync(dir, { recursive: true, force: true });
	fs.mkdirSync(dir, { recursive: true });
	fs.chmodSync(dir, 0o777);
	return dir;
}

/* Make a file (or every file under a directory) readable by the server. */
export function shareWithServer(p)
{
	const st = fs.statSync(p);
	if (st.isDirectory())
	{
		fs.chmodSync(p, 0o777);
		for (const e of fs.readdirSync(p))
			shareWithServer(path.join(p, e));
	}
	else
		fs.chmodSync(p, 0o666);
}

export function goldenDir()
{
	if (process.env.LAKE_GOLDEN_DIR)
		return process.env.LAKE_GOLDEN_DIR;
	return path.resolve(repoRoot, '..', 'shared', 'delta-golden');
}

/* The cluster's data directory and log (see test/lib/cluster.sh). */
export function clusterDir()
{
	return process.env.CLUSTER_DIR || null;
}

export function postmasterPid()
{
	const dir = clusterDir();
	if (!dir)
		return null;
	return fs.readFileSync(path.join(dir, 'data', 'postmaster.pid'), 'utf8').split('\n')[0].trim();
}

export function serverLog()
{
	const dir = clusterDir();
	if (!dir)
		return null;
	try
	{
		return fs.readFileSync(path.join(dir, 'server.log'), 'utf8');
	}
	catch (e)
	{
		return null;
	}
}

/* ----------------------------------------------------------- postgres ---- */

/* Every value comes back as the server's text: nothing is parsed in JS. */
const rawTypes = { getTypeParser: () => (v) => v };

export async function pgConnect(opts = {})
{
	const client = new pg.Client({
		types: rawTypes,
		application_name: opts.name || 'interop',
		/* a client-side bound too, for a backend that never checks for interrupts */
		query_timeout: opts.queryTimeoutMs || 600000,
	});
	/* a lost connection must fail the query in flight, not crash node */
	client.on('error', (e) => { client.lostError = e; });
	await client.connect();
	await client.query(`SET statement_timeout = '${opts.statementTimeout || '120s'}'`);
	await client.query("SET client_min_messages = warning");
	await client.query("SET extra_float_digits = 1");	/* shortest exact */
	await client.query("SET DateStyle = 'ISO, YMD'");
	await client.query("SET IntervalStyle = 'postgres'");
	if (opts.timezone)
		await client.query(`SET TimeZone = ${quoteLiteral(opts.timezone)}`);
	return client;
}

/* Rows as arrays of text (or null). */
export async function pgRows(client, sql, params = [])
{
	const res = await client.query({ text: sql, values: params, rowMode: 'array' });
	return res.rows;
}

export async function pgValue(client, sql, params = [])
{
	const rows = await pgRows(client, sql, params);
	return rows.length ? rows[0][0] : undefined;
}

/*
 * Run sql and return { rows } or { error } (a node-postgres error with
 * .code, .message, .detail, .where); a lost connection is reported as
 * { lost: error }.
 */
export async function pgTry(client, sql, params = [])
{
	try
	{
		return { rows: await pgRows(client, sql, params) };
	}
	catch (e)
	{
		if (isConnectionLoss(e) || client.lostError)
			return { lost: e };
		return { error: e };
	}
}

/*
 * A connection loss: no SQLSTATE at all (socket closed), a connection
 * exception (08xxx) or an operator intervention that ends the session
 * (57P01..57P03: admin or crash shutdown, the server restarting after a
 * crashed backend).
 */
export function isConnectionLoss(e)
{
	if (!e || !e.code)
		return true;
	return e.code.startsWith('08') || /^57P0[1-3]$/.test(e.code);
}

/* Make the planner choose a parallel plan wherever one is allowed (or stop it). */
export async function forceParallel(client, on)
{
	if (on)
		await client.query(`SET parallel_setup_cost = 0; SET parallel_tuple_cost = 0;
			SET min_parallel_table_scan_size = 0; SET max_parallel_workers_per_gather = 2`);
	else
		await client.query(`RESET parallel_setup_cost; RESET parallel_tuple_cost;
			RESET min_parallel_table_scan_size; RESET max_parallel_workers_per_gather`);
}

/* The text of EXPLAIN (COSTS OFF) sql. */
export async function explain(client, sql)
{
	return (await pgRows(client, `EXPLAIN (COSTS OFF) ${sql}`)).map((r) => r[0]).join('\n');
}

export function quoteIdent(name)
{
	return '"' + String(name).replace(/"/g, '""') + '"';
}

export function quoteLiteral(s)
{
	return "'" + String(s).replace(/'/g, "''") + "'";
}

/*
 * CREATE FOREIGN TABLE name (cols) SERVER server OPTIONS (format 'parquet',
 * path ...); cols: [{ name, pgType }].
 */
export async function createForeignTable(client, name, cols, filePath, server)
{
	const colSql = cols.map((c) => `${quoteIdent(c.name)} ${c.pgType}`).join(', ');
	await client.query(`DROP FOREIGN TABLE IF EXISTS ${name}`);
	await client.query(`CREATE FOREIGN TABLE ${name} (${colSql}) SERVER ${server} ` +
					   `OPTIONS (format 'parquet', path ${quoteLiteral(filePath)})`);
}

export async function ensureServer(client, server)
{
	await client.query(`DROP SERVER IF EXISTS ${server} CASCADE`);
	await client.query(`CREATE SERVER ${server} FOREIGN DATA WRAPPER iot_lakehouse_fdw`);
}

/* A one-line description of a PostgreSQL error for messages. */
export function describePgError(e)
{
	if (!e)
		return '(none)';
	let s = `${e.code || 'no SQLSTATE'}: ${e.message}`;
	if (e.detail)
		s += ` DETAIL: ${e.detail}`;
	if (e.where)
		s += ` CONTEXT: ${e.where}`;
	return s;
}

/* ------------------------------------------------------------- duckdb ---- */

export async function duckConnect()
{
	const instance = await DuckDBInstance.create(':memory:');
	const conn = await instance.connect();
	await conn.run("SET TimeZone = 'UTC'");
	return {
		instance,
		conn,
		async run(sql)
		{
			await conn.run(sql);
		},
		/* rows as arrays: VARCHAR -> string, DOUBLE/FLOAT -> number, BIGINT -> bigint */
		async rows(sql)
		{
			const reader = await conn.runAndReadAll(sql);
			return reader.getRows();
		},
		async value(sql)
		{
			const rows = await this.rows(sql);
			return rows.length ? rows[0][0] : undefined;
		},
		close()
		{
			conn.closeSync?.();
			instance.closeSync?.();
		},
	};
}

/* -------------------------------------------------------- canonical form - */

/* Exact decimal text: trailing fractional zeros dropped, no exponent for sane magnitudes. */
export function canonDecimal(text)
{
	const s = String(text).trim();
	if (/^[+-]?nan$/i.test(s))
		return 'NaN';
	if (/^\+?inf(inity)?$/i.test(s))
		return 'Infinity';
	if (/^-inf(inity)?$/i.test(s))
		return '-Infinity';
	const m = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(s);
	if (!m || (m[2] === '' && (m[3] === undefined || m[3] === '')))
		return `<bad decimal ${JSON.stringify(s)}>`;
	const neg = m[1] === '-';
	const frac = m[3] || '';
	let digits = (m[2] + frac).replace(/^0+/, '');
	let exp = Number(m[4] || 0) - frac.length;
	if (digits === '')
		return '0';
	while (digits.endsWith('0'))
	{
		digits = digits.slice(0, -1);
		exp++;
	}
	let out;
	if (exp >= 0)
		out = exp <= 60 ? digits + '0'.repeat(exp) : `${digits}e${exp}`;
	else
	{
		const point = digits.length + exp;
		if (point > 0)
			out = digits.slice(0, point) + '.' + digits.slice(point);
		else if (point > -60)
			out = '0.' + '0'.repeat(-point) + digits;
		else
			out = `${digits}e${exp}`;
	}
	return (neg ? '-' : '') + out;
}

/* A float (number, or the server's text) as the shortest exact text. */
export function canonFloat(v, single)
{
	let x = typeof v === 'number' ? v : parseFloat(v);
	if (typeof v === 'string' && Number.isNaN(x) && !/^\s*[+-]?nan\s*$/i.test(v))
		return `<bad float ${JSON.stringify(v)}>`;
	if (single)
		x = Math.fround(x);
	if (Number.isNaN(x))
		return 'NaN';
	if (Object.is(x, -0))
		return '-0';
	return String(x);
}

/*
 * JSON text in canonical form: object keys sorted (by code point), numbers
 * through canonDecimal, strings re-escaped by JSON.stringify.  Our own small
 * parser, because JSON.parse rounds big numbers to doubles.
 */
export function canonJson(text)
{
	const s = String(text);
	let i = 0;
	const ws = () => { while (i < s.length && ' \t\r\n'.includes(s[i])) i++; };
	const fail = (what) => { throw new Error(`bad JSON (${what}) at ${i}: ${s.slice(0, 200)}`); };
	function value()
	{
		ws();
		const c = s[i];
		if (c === '{')
		{
			i++;
			const members = [];
			ws();
			if (s[i] === '}')
			{
				i++;
				return '{}';
			}
			for (;;)
			{
				ws();
				if (s[i] !== '"')
					fail('key');
				const key = string();
				ws();
				if (s[i++] !== ':')
					fail('colon');
				members.push([key, value()]);
				ws();
				if (s[i] === ',')
				{
					i++;
					continue;
				}
				if (s[i++] !== '}')
					fail('object end');
				break;
			}
			members.sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
			return '{' + members.map(([k, v]) => JSON.stringify(k) + ':' + v).join(',') + '}';
		}
		if (c === '[')
		{
			i++;
			const items = [];
			ws();
			if (s[i] === ']')
			{
				i++;
				return '[]';
			}
			for (;;)
			{
				items.push(value());
				ws();
				if (s[i] === ',')
				{
					i++;
					continue;
				}
				if (s[i++] !== ']')
					fail('array end');
				break;
			}
			return '[' + items.join(',') + ']';
		}
		if (c === '"')
			return JSON.stringify(string());
		for (const lit of ['true', 'false', 'null'])
			if (s.startsWith(lit, i))
			{
				i += lit.length;
				return lit;
			}
		const m = /^-?\d+(\.\d+)?([eE][+-]?\d+)?/.exec(s.slice(i, i + 400));
		if (!m)
			fail('value');
		i += m[0].length;
		return canonDecimal(m[0]);
	}
	function string()
	{
		const start = i;
		i++;
		while (i < s.length && s[i] !== '"')
			i += s[i] === '\\' ? 2 : 1;
		if (i >= s.length)
			fail('string end');
		i++;
		return JSON.parse(s.slice(start, i));
	}
	const out = value();
	ws();
	if (i !== s.length)
		fail('trailing text');
	return out;
}

/*
 * Column kinds: how each side renders a column in SQL, and how the result
 * becomes canonical here.  pg(expr) / duck(expr) give SQL expressions; canon
 * turns what the driver returned into the canonical string; match (optional)
 * compares an expected (DuckDB or source) cell with an actual one.
 */
export const KINDS = {
	bool: {
		pg: (c) => `CASE WHEN ${c} THEN 't' WHEN NOT ${c} THEN 'f' END`,
		duck: (c) => `CASE WHEN ${c} THEN 't' WHEN NOT ${c} THEN 'f' END`,
	},
	int: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `(${c})::varchar`,
	},
	float4: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `(${c})::float`,
		canon: (v) => canonFloat(v, true),
	},
	float8: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `(${c})::double`,
		canon: (v) => canonFloat(v, false),
	},
	numeric: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `(${c})::varchar`,
		canon: canonDecimal,
	},
	text: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `(${c})::varchar`,
	},
	bytea: {
		pg: (c) => `encode(${c}, 'hex')`,
		duck: (c) => `lower(hex(${c}))`,
	},
	date: {
		pg: (c) => `((${c}) - DATE '1970-01-01')::text`,
		duck: (c) => `((${c}) - DATE '1970-01-01')::varchar`,
	},
	ts: {
		pg: (c) => `(extract(epoch FROM ${c}) * 1000000)::bigint::text`,
		duck: (c) => `epoch_us(${c})::varchar`,
	},
	ts_ns: {
		pg: (c) => `(extract(epoch FROM ${c}) * 1000000)::bigint::text`,
		duck: (c) => `epoch_ns(${c})::varchar`,
		/* expected: ns; actual: us; the reader may truncate or round */
		match: (ns, us) => {
			const d = BigInt(us) * 1000n - BigInt(ns);
			return d > -1000n && d < 1000n;
		},
	},
	uuid: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `(${c})::varchar`,
		canon: (v) => v.toLowerCase(),
	},
	/* a JSON-typed column (PostgreSQL json/jsonb, DuckDB JSON) */
	json: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `(${c})::varchar`,
		canon: canonJson,
	},
	/* DuckDB STRUCT / LIST / MAP read as jsonb */
	nested: {
		pg: (c) => `(${c})::text`,
		duck: (c) => `to_json(${c})::varchar`,
		canon: canonJson,
	},
};

export function canonCell(kind, v)
{
	if (v === null || v === undefined)
		return NULL_MARK;
	const k = KINDS[kind];
	if (!k)
		throw new Error(`unknown kind ${kind}`);
	if (k.canon)
		return k.canon(v);
	return typeof v === 'bigint' ? v.toString() : String(v);
}

/*
 * cols: [{ name, kind }]; returns the SELECT list for each engine.  Output
 * columns are named c0, c1, ... so that an ORDER BY on a column name sorts
 * by the column itself, not by its text rendering.
 */
export function pgSelectList(cols)
{
	return cols.map((c, j) => `${KINDS[c.kind].pg(quoteIdent(c.name))} AS c${j}`).join(', ');
}

export function duckSelectList(cols)
{
	return cols.map((c, j) => `${KINDS[c.kind].duck(quoteIdent(c.name))} AS c${j}`).join(', ');
}

export function canonRows(rows, cols)
{
	return rows.map((r) => r.map((v, j) => canonCell(cols[j].kind, v)));
}

/* Read a Parquet file (or glob) with DuckDB, rendered, ordered by orderBy. */
export async function duckCanonRows(duck, fileOrGlob, cols, orderBy)
{
	const order = orderBy ? ` ORDER BY ${orderBy}` : '';
	const rows = await duck.rows(`SELECT ${duckSelectList(cols)} FROM read_parquet(${quoteLiteral(fileOrGlob)})${order}`);
	return canonRows(rows, cols);
}

/* Read a relation (table, foreign table, subquery in parentheses AS x) in PostgreSQL. */
export async function pgCanonRows(client, relation, cols, orderBy)
{
	const order = orderBy ? ` ORDER BY ${orderBy}` : '';
	const rows = await pgRows(client, `SELECT ${pgSelectList(cols)} FROM ${relation}${order}`);
	return canonRows(rows, cols);
}

function showCell(v)
{
	if (v === NULL_MARK)
		return 'NULL';
	const s = JSON.stringify(v);
	return s.length > 120 ? s.slice(0, 100) + `...(${v.length} chars)` : s;
}

/*
 * Assert two lists of canonical rows are equal: same count, and cell by cell
 * (kind.match where defined).  The message lists the first differences.
 */
export function assertRowsEqual(actual, expected, cols, label)
{
	const problems = [];
	if (actual.length !== expected.length)
		problems.push(`row count: got ${actual.length}, expected ${expected.length}`);
	const n = Math.min(actual.length, expected.length);
	let differing = 0;
	for (let i = 0; i < n; i++)
	{
		for (let j = 0; j < cols.length; j++)
		{
			const a = actual[i][j];
			const e = expected[i][j];
			const k = KINDS[cols[j].kind];
			let same = a === e;
			if (!same && k.match && a !== NULL_MARK && e !== NULL_MARK)
				same = k.match(e, a);
			if (!same)
			{
				differing++;
				if (problems.length < 12)
					problems.push(`row ${i} column ${cols[j].name} (${cols[j].kind}): got ${showCell(a)}, expected ${showCell(e)}`);
			}
		}
	}
	if (differing > 0)
		problems.push(`${differing} differing cells in all`);
	assert.ok(problems.length === 0, `${label}:\n  ${problems.join('\n  ')}`);
}

/* ------------------------------------------------------------- misc ------ */

export function sha256(text)
{
	return crypto.createHash('sha256').update(text).digest('hex');
}

/* Byte-wise (C locale) string comparison for sorting lines. */
export function compareBytes(a, b)
{
	return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/* C printf("%.*g", prec, x). */
export function formatG(x, prec = 6)
{
	if (Number.isNaN(x))
		return 'nan';
	if (!Number.isFinite(x))
		return x < 0 ? '-inf' : 'inf';
	if (x === 0)
		return Object.is(x, -0) ? '-0' : '0';
	const p = prec === 0 ? 1 : prec;
	const [mant, expStr] = x.toExponential(p - 1).split('e');
	const exp = Number(expStr);
	const strip = (s) => (s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s);
	if (exp < -4 || exp >= p)
		return `${strip(mant)}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
	return strip(x.toFixed(p - 1 - exp));
}

/* A small seeded PRNG (mulberry32): reproducible corruptions. */
export function prng(seed)
{
	let a = seed >>> 0;
	const next = () => {
		a = (a + 0x6D2B79F5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
	return {
		next,
		int: (n) => Math.floor(next() * n),	/* 0 .. n-1 */
		pick: (arr) => arr[Math.floor(next() * arr.length)],
	};
}
