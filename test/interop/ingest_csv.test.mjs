/*
 * ingest_csv.test.mjs
 *	  lakehouse.ingest_csv(target, path, delimiter, header, null_string,
 *	  source_timezone) on clean and dirty files: a UTF-8 BOM, CRLF line
 *	  ends, quoted delimiters and embedded newlines, header columns in
 *	  another order, no header, another delimiter, null strings, naive
 *	  timestamps in a source time zone, an empty file, a header alone; rows
 *	  that do not fit (bad types, short rows, extra fields) rejected with
 *	  their line number and no version written, or kept with
 *	  _rescued_data (JSON) when the target has that column; a larger dirty
 *	  file from build/gen_sensor_data --dirt checked row by row against a
 *	  parse done here.  Clean files are compared with DuckDB's read_csv of
 *	  the same file; each ingest must be one commit whose add stats match
 *	  the data.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as W from './write_lib.mjs';

const SCHEMA = 'dingest';
const SERVER = 'dingest_srv';

let pgc;
let duck;
let root;
let csvDir;
let tableSerial = 0;

const READINGS = [
	W.column('sensor_id', 'integer'),
	W.column('timestamp', 'timestamptz'),
	W.column('temperature', 'double precision'),
	W.column('humidity', 'double precision'),
	W.column('location', 'text'),
];
const RESCUED = [...READINGS, W.column('_rescued_data', 'text')];

/* DuckDB read_csv columns of the readings (the timestamp naive, zoned in SQL), in the file's order */
const DUCK_TYPES = { sensor_id: 'INTEGER', timestamp: 'TIMESTAMP', temperature: 'DOUBLE', humidity: 'DOUBLE', location: 'VARCHAR' };
function duckColumns(order)
{
	return '{' + order.map((n) => `${L.quoteLiteral(n)}: ${L.quoteLiteral(DUCK_TYPES[n])}`).join(', ') + '}';
}

function writeCsv(name, text)
{
	const f = path.join(csvDir, name);
	fs.writeFileSync(f, text);
	fs.chmodSync(f, 0o644);
	return f;
}

/* A new Delta foreign table (created by its first write). */
async function newTable(cols = READINGS)
{
	const name = `t${++tableSerial}`;
	const rel = await W.createLakeTable(pgc, { schema: SCHEMA, server: SERVER, name, cols, options: "format 'delta'" });
	return { rel, dir: path.join(root, name), cols };
}

function ingestSql(rel, file, opts = {})
{
	const args = [`${L.quoteLiteral(rel)}::regclass`, L.quoteLiteral(file)];
	for (const k of ['delimiter', 'header', 'null_string', 'source_timezone'])
		if (opts[k] !== undefined)
			args.push(`${k} => ${typeof opts[k] === 'boolean' ? opts[k] : L.quoteLiteral(opts[k])}`);
	return `SELECT lakehouse.ingest_csv(${args.join(', ')})::text`;
}

async function ingest(t, file, opts = {})
{
	return Number(await L.pgValue(pgc, ingestSql(t.rel, file, opts)));
}

/* ingest_csv must fail naming line; no version may appear. */
async function ingestFails(t, file, line, opts = {}, label = '')
{
	const before = W.latestVersion(t.dir);
	const r = await L.pgTry(pgc, ingestSql(t.rel, file, opts));
	assert.ok(!r.lost, `${label}: an SQL error, not a lost connection`);
	assert.ok(r.error, `${label}: ingest_csv fails (it returned ${JSON.stringify(r.rows)})`);
	const text = L.describePgError(r.error);
	if (line !== null)
	{
		const lines = Array.isArray(line) ? line : [line];
		assert.ok(lines.some((n) => new RegExp(`line ${n}\\b`).test(text)), `${label}: the error names line ${lines.join(' or ')}: ${text}`);
	}
	assert.equal(W.latestVersion(t.dir), before, `${label}: a failed ingest writes no version`);
	return r.error;
}

/*
 * After an ingest of n rows: exactly one new version, a whole commit whose
 * adds hold n rows with stats true of the data, and its commitInfo.
 */
async function checkIngestCommit(t, before, n, label)
{
	const v = W.latestVersion(t.dir);
	assert.equal(v, before + 1, `${label}: one commit`);
	const actions = W.readCommit(t.dir, v);
	const adds = actions.filter((a) => a.add).map((a) => a.add);
	W.checkCommitInfo(actions, { version: v, numOutputRows: n, numFiles: adds.length, label });
	let rows = 0;
	for (const add of adds)
		rows += await W.checkAddStats(duck, t.dir, add, t.cols, [], label);
	assert.equal(rows, n, `${label}: the adds hold the rows ingested`);
	if (v === 0)
	{
		W.checkProtocol(actions.find((a) => a.protocol)?.protocol, t.cols, label);
		W.checkMetaData(actions.find((a) => a.metaData)?.metaData, t.cols, [], label);
	}
}

/* The table's rows vs DuckDB read_csv of the file (options: DuckDB's read_csv arguments). */
async function assertSameAsDuck(t, file, duckOpts, tz = 'UTC', label = '', order = READINGS.map((c) => c.name))
{
	const cols = READINGS;
	const tsExpr = `timezone(${L.quoteLiteral(tz)}, "timestamp")`;
	const sel = cols.map((c, j) => `${L.KINDS[c.kind].duck(c.name === 'timestamp' ? tsExpr : L.quoteIdent(c.name))} AS c${j}`).join(', ');
	const rows = await duck.rows(`SELECT ${sel} FROM read_csv(${L.quoteLiteral(file)}, columns = ${duckColumns(order)}, ${duckOpts})`);
	const expected = L.canonRows(rows, cols).map((r) => r.join('\u0001')).sort(L.compareBytes).map((s) => s.split('\u0001'));
	const actual = await W.pgRowsCanon(pgc, t.rel, cols);
	L.assertRowsEqual(actual, expected, cols, `${label}: ingest_csv vs DuckDB read_csv`);
	return expected.length;
}

before(async () => {
	pgc = await L.pgConnect({ name: 'ingest-csv', timezone: 'Asia/Tokyo' });
	duck = await L.duckConnect();
	root = await W.setupServer(pgc, { schema: SCHEMA, server: SERVER, dirName: 'ingest_csv' });
	csvDir = L.makeFilesSubdir('ingest_csv_files');
});

after(async () => {
	if (pgc)
	{
		await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
		await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
		await pgc.end();
	}
	if (duck)
		duck.close();
});

test('BOM, CRLF, quoted delimiters and newlines, header order: same rows as DuckDB read_csv', async () => {
	const text = '\uFEFFlocation,sensor_id,humidity,timestamp,temperature\r\n' +
		'"Room, A",1001,40.5,2025-05-01 00:00:00,71.5\r\n' +
		'"Room ""B""",1002,41,2025-05-01 00:00:05.25,-3\r\n' +
		'"two\r\nlines",1003,,2025-05-01 00:00:10,72.25\r\n' +
		',1004,42.5,,1e3\r\n' +
		'Zürich ✓,1005,43,2025-12-31 23:59:59.999999,0.1\r\n';
	const f = writeCsv('clean_bom_crlf.csv', text);
	const t = await newTable();
	const n = await ingest(t, f);
	assert.equal(n, 5, 'ingest_csv returns the rows ingested');
	await checkIngestCommit(t, -1, 5, 'bom/crlf');
	await assertSameAsDuck(t, f, "header = true, delim = ',', quote = '\"'", 'UTC', 'bom/crlf',
						   ['location', 'sensor_id', 'humidity', 'timestamp', 'temperature']);
	/* spot checks that do not rely on DuckDB */
	assert.deepEqual(await L.pgRows(pgc, `SELECT location, humidity::text FROM ${t.rel} WHERE sensor_id IN (1001, 1003) ORDER BY 1`),
					 [['Room, A', '40.5'], ['two\r\nlines', null]], 'a quoted delimiter and an embedded CRLF kept, an empty field NULL');
	assert.equal(await L.pgValue(pgc, `SELECT location FROM ${t.rel} WHERE sensor_id = 1002`), 'Room "B"');
	assert.equal(await L.pgValue(pgc, `SELECT location IS NULL FROM ${t.rel} WHERE sensor_id = 1004`), 't', 'an empty string field is the null string');
	/* a second ingest appends one more version */
	const n2 = await ingest(t, f);
	assert.equal(n2, 5);
	await checkIngestCommit(t, 0, 5, 'second ingest');
	assert.equal(await L.pgValue(pgc, `SELECT count(*)::text FROM ${t.rel}`), '10');
});

test('no header (columns by position), another delimiter, a null string', async () => {
	const text = '2001;2025-05-02 01:00:00;NA;55.5;Lab\n' +
		'2002;NA;20.5;NA;NA\n' +
		'2003;2025-05-02 01:00:10;21.5;56;"semi;colon"\n' +
		'2004;2025-05-02 01:00:15;-0.5;57;""\n';
	const f = writeCsv('semi_noheader.csv', text);
	const t = await newTable();
	const n = await ingest(t, f, { delimiter: ';', header: false, null_string: 'NA' });
	assert.equal(n, 4);
	await checkIngestCommit(t, -1, 4, 'semicolon');
	await assertSameAsDuck(t, f, "header = false, delim = ';', nullstr = 'NA'",
						   'UTC', 'semicolon');
	assert.deepEqual((await L.pgRows(pgc, `SELECT temperature::text, "timestamp" IS NULL, humidity IS NULL, location IS NULL
		FROM ${t.rel} WHERE sensor_id = 2002`))[0], ['20.5', 't', 't', 't'], "'NA' is NULL in every column type");
	assert.equal(await L.pgValue(pgc, `SELECT location FROM ${t.rel} WHERE sensor_id = 2003`), 'semi;colon', 'a quoted delimiter');
});

test('naive timestamps in source_timezone; explicit offsets kept', async () => {
	const text = 'sensor_id,timestamp,temperature,humidity,location\n' +
		'1,2025-05-01 00:00:00,1,1,summer\n' +
		'2,2025-01-15 00:00:00,1,1,winter\n' +
		'3,2025-03-09 03:30:00,1,1,after the spring gap\n' +
		'4,2025-05-01 00:00:00+02,1,1,explicit offset\n' +
		'5,2025-05-01T12:00:00Z,1,1,explicit Z\n';
	const f = writeCsv('tz.csv', text);
	const t = await newTable();
	assert.equal(await ingest(t, f, { source_timezone: 'America/New_York' }), 5);
	const got = await L.pgRows(pgc, `SELECT sensor_id::text, to_char("timestamp" AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') FROM ${t.rel} ORDER BY 1`);
	assert.deepEqual(got, [
		['1', '2025-05-01 04:00:00'],
		['2', '2025-01-15 05:00:00'],
		['3', '2025-03-09 07:30:00'],
		['4', '2025-04-30 22:00:00'],
		['5', '2025-05-01 12:00:00'],
	], 'naive times read in America/New_York (EDT, EST), offsets honoured');
	/* DuckDB agrees on the naive ones */
	const naive = writeCsv('tz_naive.csv', text.split('\n').slice(0, 4).join('\n') + '\n');
	const t2 = await newTable();
	assert.equal(await ingest(t2, naive, { source_timezone: 'Asia/Kolkata' }), 3);
	await assertSameAsDuck(t2, naive, 'header = true', 'Asia/Kolkata', 'Asia/Kolkata');
	/* the session's TimeZone plays no part: the default source zone is UTC */
	const t3 = await newTable();
	assert.equal(await ingest(t3, naive), 3);
	await assertSameAsDuck(t3, naive, 'header = true', 'UTC', 'default UTC');
	/* an unknown zone is an error, before anything is written */
	await ingestFails(t3, naive, null, { source_timezone: 'Mars/Olympus_Mons' }, 'unknown time zone');
});

test('an empty file and a header alone ingest nothing', async () => {
	const t = await newTable();
	await pgc.query(`INSERT INTO ${t.rel} VALUES (1, now(), 1, 1, 'seed')`);
	let v0 = W.latestVersion(t.dir);
	for (const [name, text, header] of [['empty.csv', '', true], ['empty_noheader.csv', '', false],
		['header_only.csv', 'sensor_id,timestamp,temperature,humidity,location\n', true],
		['header_only_crlf_bom.csv', '\uFEFFsensor_id,timestamp,temperature,humidity,location\r\n', true]])
	{
		const f = writeCsv(name, text);
		assert.equal(await ingest(t, f, { header }), 0, `${name}: 0 rows`);
		const v = W.latestVersion(t.dir);
		assert.ok(v === v0 || v === v0 + 1, `${name}: at most one version`);
		if (v === v0 + 1)
		{
			assert.ok(W.readCommit(t.dir, v).filter((a) => a.add).every((a) => JSON.parse(a.add.stats).numRecords === 0), `${name}: no rows added`);
			v0 = v;
		}
		assert.equal(await L.pgValue(pgc, `SELECT count(*)::text FROM ${t.rel}`), '1', `${name}: the rows are unchanged`);
	}
});

test('rows that do not fit: an error naming the line, no version written', async () => {
	const t = await newTable();
	const head = 'sensor_id,timestamp,temperature,humidity,location\n';
	const ok = '1001,2025-05-01 00:00:00,70.1,40.2,Room_A\n';
	const cases = [
		['bad double', head + ok + ok + '1002,2025-05-01 00:00:05,72..4,40,Room_B\n' + ok, 4],
		['bad integer', head + ok + 'abc,2025-05-01 00:00:05,72.4,40,Room_B\n' + ok, 3],
		['integer overflow', head + '99999999999,2025-05-01 00:00:05,72.4,40,Room_B\n', 2],
		['bad timestamp', head + ok + ok + ok + ok + '1002,2025-13-45 25:61:61,72.4,40,Room_B\n', 6],
		['short row', head + ok + '1002,2025-05-01 00:00:05,72.4\n' + ok, 3],
		['extra fields', head + ok + ok + '1002,2025-05-01 00:00:05,72.4,40,Room_B,extra0,extra1\n', 4],
		['CRLF, bad on line 3', (head + ok + '1002,2025-05-01 00:00:05,N/A,40,Room_B\n').replace(/\n/g, '\r\n'), 3],
		['BOM, bad on line 2', '\uFEFF' + head + '1002,x,1,1,y\n', 2],
		['unterminated quote', head + ok + '1002,2025-05-01 00:00:05,1,1,"Room\n', [3, 4]],
	];
	await pgc.query(`INSERT INTO ${t.rel} VALUES (1, now(), 1, 1, 'seed')`);
	for (const [label, text, line] of cases)
	{
		const f = writeCsv(`bad_${label.replace(/\W+/g, '_')}.csv`, text);
		await ingestFails(t, f, line, {}, label);
	}
	assert.equal(await L.pgValue(pgc, `SELECT count(*)::text FROM ${t.rel}`), '1', 'no failed ingest added rows');
	/* the file must exist and be readable */
	const missing = await L.pgTry(pgc, ingestSql(t.rel, path.join(csvDir, 'no_such_file.csv')));
	assert.ok(missing.error && missing.error.code === '58P01', `a missing file: undefined_file: ${L.describePgError(missing.error)}`);
});

/* Does the rescued JSON hold text somewhere among its values? */
function jsonMentions(v, text)
{
	if (typeof v === 'string')
		return v.includes(text);
	if (v && typeof v === 'object')
		return Object.values(v).some((x) => jsonMentions(x, text));
	return false;
}

test('_rescued_data keeps the rows that do not fit, as JSON', async () => {
	const t = await newTable(RESCUED);
	const text = 'sensor_id,timestamp,temperature,humidity,location\n' +
		'1,2025-05-01 00:00:00,70.5,40.5,clean\n' +
		'2,2025-05-01 00:00:05,abc,41.5,bad temperature\n' +
		'3,2025-05-01 99:00:00,71.5,42.5,bad timestamp\n' +
		'4,2025-05-01 00:00:15,72.5\n' +
		'5,2025-05-01 00:00:20,73.5,43.5,extra,extra0,extra1\n' +
		'six,2025-05-01 00:00:25,74.5,44.5,bad id\n' +
		'7,2025-05-01 00:00:30,75.5,45.5,"quoted, clean"\n';
	const f = writeCsv('rescued.csv', text);
	assert.equal(await ingest(t, f), 7, 'every row kept');
	await checkIngestCommit(t, -1, 7, 'rescued');
	const rows = await L.pgRows(pgc, `SELECT sensor_id::text, temperature::text, location, _rescued_data,
		("timestamp" IS NULL)::text FROM ${t.rel} ORDER BY location`);
	const by = Object.fromEntries(rows.map((r) => [r[2], r]));
	for (const clean of ['clean', 'quoted, clean'])
		assert.equal(by[clean] && by[clean][3], null, `${clean}: _rescued_data is NULL`);
	const check = (loc, raw, nullCol, label) => {
		const r = by[loc];
		assert.ok(r, `${label}: the row is kept (location ${loc})`);
		assert.ok(r[3] !== null, `${label}: _rescued_data is set`);
		let j;
		assert.doesNotThrow(() => { j = JSON.parse(r[3]); }, `${label}: _rescued_data is JSON: ${r[3]}`);
		assert.ok(jsonMentions(j, raw), `${label}: _rescued_data holds ${JSON.stringify(raw)}: ${r[3]}`);
		return r;
	};
	let r = check('bad temperature', 'abc', 'temperature', 'bad double');
	assert.equal(r[1], null, 'bad double: temperature is NULL');
	assert.equal(r[0], '2', 'bad double: the other columns keep their values');
	r = check('bad timestamp', '2025-05-01 99:00:00', 'timestamp', 'bad timestamp');
	assert.equal(r[4], 'true', 'bad timestamp: timestamp is NULL');
	assert.equal(r[1], '71.5');
	r = check('extra', 'extra0', null, 'extra fields');
	assert.equal(r[1], '73.5', 'extra fields: the columns keep their values');
	/* a bad id: location is still "bad id" */
	r = check('bad id', 'six', 'sensor_id', 'bad integer');
	assert.equal(r[0], null);
	/* the short row: kept, rescued, the missing columns NULL */
	const short = await L.pgRows(pgc, `SELECT temperature::text, humidity, location, _rescued_data FROM ${t.rel} WHERE sensor_id = 4`);
	assert.equal(short.length, 1, 'the short row is kept');
	assert.equal(short[0][0], '72.5');
	assert.equal(short[0][1], null);
	assert.ok(short[0][3] !== null, `the short row has _rescued_data: ${short[0][3]}`);
	assert.doesNotThrow(() => JSON.parse(short[0][3]), 'its _rescued_data is JSON');
});

/*
 * A line of gen_sensor_data output classified here: 'clean' (5 fields that
 * every reader parses alike; the expected canonical row), 'bad' (no reader
 * may accept it), 'unsure' (a value one PostgreSQL input function may
 * accept, e.g. 0x1F or 'yesterday').
 */
/* what gen_sensor_data's dirt writes that a PostgreSQL input function may accept */
const UNSURE_NUM = new Set(['0x1F']);
const UNSURE_TS = new Set(['yesterday', '2025/05/01 00:00:00', '2025-05-01T']);

function classify(line)
{
	const f = line.split(',');
	if (f.length !== 5)
		return { kind: 'bad' };
	/* null, the value, 'unsure', or undefined (bad) */
	const cell = (s, re, unsure) => (s === '' ? null : re.test(s) ? s : unsure.has(s) ? 'unsure' : undefined);
	const id = cell(f[0], /^\d+$/, UNSURE_NUM);
	const temp = cell(f[2], /^-?\d+(\.\d+)?$/, UNSURE_NUM);
	const hum = cell(f[3], /^-?\d+(\.\d+)?$/, UNSURE_NUM);
	let ts;
	const m = /^(\d{4})-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d)$/.exec(f[1]);
	if (f[1] === '')
		ts = null;
	else if (m && +m[4] < 24 && +m[5] < 60 && +m[6] < 60 && new Date(Date.UTC(+m[1], +m[2] - 1, +m[3])).getUTCDate() === +m[3] &&
			 +m[2] >= 1 && +m[2] <= 12)
		ts = String(BigInt(Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6])) * 1000n);
	else
		ts = UNSURE_TS.has(f[1]) ? 'unsure' : undefined;
	const vals = [id, ts, temp, hum];
	if (vals.includes(undefined))
		return { kind: 'bad' };
	if (vals.includes('unsure'))
		return { kind: 'unsure' };
	return {
		kind: 'clean',
		row: [id === null ? L.NULL_MARK : String(Number(id)), ts === null ? L.NULL_MARK : ts,
			temp === null ? L.NULL_MARK : L.canonFloat(temp), hum === null ? L.NULL_MARK : L.canonFloat(hum),
			f[4] === '' ? L.NULL_MARK : f[4]],
	};
}

test('a dirty file from gen_sensor_data --dirt: rescued row by row, or refused at its first bad line', async () => {
	const gen = path.join(L.repoRoot, 'build', 'gen_sensor_data');
	const genBench = path.join(L.repoRoot, 'build', 'bench', 'gen_sensor_data');
	const bin = fs.existsSync(gen) ? gen : genBench;
	assert.ok(fs.existsSync(bin), `the generator is built (${gen} or ${genBench})`);
	const f = path.join(csvDir, 'dirty.csv');
	execFileSync(bin, ['--rows', '20000', '--sensors', '25', '--seed', '7', '--dirt', '0.05', '--out', f]);
	fs.chmodSync(f, 0o644);
	const lines = fs.readFileSync(f, 'utf8').split('\n');
	assert.equal(lines.pop(), '', 'the file ends with a newline');
	const data = lines.slice(1);
	const kinds = data.map(classify);
	const count = (k) => kinds.filter((x) => x.kind === k).length;
	assert.ok(count('bad') > 100, `the generator made dirty rows (${count('bad')} bad, ${count('unsure')} unsure)`);

	/* with _rescued_data: every line kept; the clean ones exact and not rescued; the bad ones rescued */
	const t = await newTable(RESCUED);
	assert.equal(await ingest(t, f), data.length, 'every line is a row');
	await checkIngestCommit(t, -1, data.length, 'dirty, rescued');
	const clean = kinds.filter((x) => x.kind === 'clean').map((x) => x.row);
	const cleanSorted = clean.map((r) => r.join('\u0001')).sort(L.compareBytes).map((s) => s.split('\u0001'));
	const got = await W.pgRowsCanon(pgc, `(SELECT * FROM ${t.rel} WHERE _rescued_data IS NULL) x`, READINGS);
	/* unsure rows may or may not be rescued: take them out of what we got, by line content */
	const unsureSet = new Set(kinds.map((x, i) => (x.kind === 'unsure' ? i : -1)).filter((i) => i >= 0));
	const rescued = Number(await L.pgValue(pgc, `SELECT count(*) FROM ${t.rel} WHERE _rescued_data IS NOT NULL`));
	assert.ok(rescued >= count('bad') && rescued <= count('bad') + unsureSet.size,
			  `rescued rows: ${rescued}, expected ${count('bad')} bad lines (+ up to ${unsureSet.size} unsure)`);
	const notRescuedUnsure = got.length - clean.length;
	assert.ok(notRescuedUnsure >= 0 && notRescuedUnsure <= unsureSet.size, `rows not rescued: ${got.length}, clean lines ${clean.length}`);
	if (notRescuedUnsure === 0)
		L.assertRowsEqual(got, cleanSorted, READINGS, 'dirty file: the rows not rescued are the clean lines');
	else
	{
		/* every clean line is among the rows not rescued */
		const gotSet = new Map();
		for (const r of got)
			gotSet.set(r.join('\u0001'), (gotSet.get(r.join('\u0001')) || 0) + 1);
		let missing = 0;
		for (const r of clean)
		{
			const k = r.join('\u0001');
			if (gotSet.get(k))
				gotSet.set(k, gotSet.get(k) - 1);
			else
				missing++;
		}
		assert.equal(missing, 0, 'every clean line is a row without _rescued_data');
	}
	const badJson = Number(await L.pgValue(pgc, `SELECT count(*) FROM ${t.rel} WHERE _rescued_data IS NOT NULL
		AND NOT (_rescued_data::jsonb IS NOT NULL)`).catch(() => -1));
	assert.equal(badJson, 0, 'every _rescued_data parses as JSON');

	/* without _rescued_data: refused, naming the first bad line (or an unsure one before it) */
	const t2 = await newTable();
	const firstBad = kinds.findIndex((x) => x.kind === 'bad');
	const candidates = [firstBad + 2];
	for (const i of unsureSet)
		if (i < firstBad)
			candidates.push(i + 2);
	await ingestFails(t2, f, candidates, {}, 'dirty file without _rescued_data');

	/* the clean file (--dirt 0) of the same seed: DuckDB agrees */
	const cleanFile = path.join(csvDir, 'clean.csv');
	execFileSync(bin, ['--rows', '20000', '--sensors', '25', '--seed', '7', '--out', cleanFile]);
	fs.chmodSync(cleanFile, 0o644);
	const t3 = await newTable();
	assert.equal(await ingest(t3, cleanFile), 20000);
	await checkIngestCommit(t3, -1, 20000, 'clean generated file');
	await assertSameAsDuck(t3, cleanFile, 'header = true', 'UTC', 'clean generated file');
});
