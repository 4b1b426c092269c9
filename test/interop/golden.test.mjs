/*
 * golden.test.mjs
 *	  Spark / Databricks / delta-rs data files of the shared golden Delta
 *	  tables, read through the foreign table, give the rows of
 *	  _expected/<table>@<version>.tsv (same sha256).  The Delta log is
 *	  replayed here, simply (add/remove by path, a checkpoint read with
 *	  DuckDB): what is under test is our Parquet reader on real files, not a
 *	  Delta reader.  Rows are normalised as the golden README says.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

const SCHEMA = 'interop_golden';
const SERVER = 'interop_golden_srv';

const golden = L.goldenDir();
const expectedDir = path.join(golden, '_expected');
const haveGolden = fs.existsSync(path.join(expectedDir, 'snapshots.jsonl'));

let pgc;
let duck;
let copyRoot;

/* Delta primitive type -> PostgreSQL type and README normalisation kind */
function deltaType(t)
{
	if (typeof t !== 'string')
		return null;		/* nested: left out of the expected rows */
	const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
	if (dec)
		return { pgType: `numeric(${dec[1]},${dec[2]})`, kind: 'decimal' };
	const map = {
		byte: ['int2', 'int'], short: ['int2', 'int'], integer: ['int4', 'int'], long: ['int8', 'int'],
		float: ['float4', 'float'], double: ['float8', 'float'],
		string: ['text', 'text'], binary: ['bytea', 'binary'], boolean: ['bool', 'bool'],
		date: ['date', 'date'], timestamp: ['timestamptz', 'ts'], timestamp_ntz: ['timestamp', 'ts'],
	};
	if (!map[t])
		throw new Error(`Delta type ${t} not handled by the test`);
	return { pgType: map[t][0], kind: map[t][1] };
}

/* SQL rendering of one column for the README normalisation (floats finish in JS). */
function pgRender(expr, kind)
{
	switch (kind)
	{
		case 'int': return `(${expr})::text`;
		case 'float': return `(${expr})::float8::text`;
		case 'decimal': return `(${expr})::text`;
		case 'text': return `(${expr})::text`;
		case 'binary': return `encode(${expr}, 'hex')`;
		case 'bool': return `CASE WHEN ${expr} THEN 't' WHEN NOT ${expr} THEN 'f' END`;
		case 'date': return `to_char(${expr}, 'YYYY-MM-DD')`;
		case 'ts': return `(extract(epoch FROM ${expr}) * 1000000)::bigint::text`;
		default: throw new Error(kind);
	}
}

function finishCell(v, kind)
{
	if (v === null)
		return L.NULL_MARK;
	if (kind === 'float')
		return L.formatG(parseFloat(v), 6);
	return v;
}

/* ------------------------------------------------------- log replay ------ */

function logFiles(table)
{
	return fs.readdirSync(path.join(golden, table, '_delta_log'));
}

async function readCheckpoint(file)
{
	const rows = await duck.rows(`SELECT to_json(t)::varchar FROM read_parquet(${L.quoteLiteral(file)}) t`);
	return rows.map((r) => JSON.parse(r[0]));
}

/*
 * The snapshot at version: { meta, files: Map(path -> add) }.  Starts from
 * the newest single-file checkpoint at or below version, if any, then
 * applies the JSON commits after it.
 */
async function replay(table, version)
{
	const names = logFiles(table);
	const checkpoints = names.map((n) => /^(\d{20})\.checkpoint\.parquet$/.exec(n)).filter(Boolean)
		.map((m) => Number(m[1])).filter((v) => v <= version).sort((a, b) => b - a);
	const files = new Map();
	let meta = null;
	let from = 0;
	const apply = (action) => {
		if (action.add)
			files.set(action.add.path, action.add);
		else if (action.remove)
			files.delete(action.remove.path);
		else if (action.metaData)
			meta = action.metaData;
	};
	if (checkpoints.length > 0)
	{
		const cp = checkpoints[0];
		const cpFile = path.join(golden, table, '_delta_log', `${String(cp).padStart(20, '0')}.checkpoint.parquet`);
		for (const row of await readCheckpoint(cpFile))
		{
			for (const key of ['add', 'remove', 'metaData'])
				if (row[key])
					apply({ [key]: row[key] });
		}
		from = cp + 1;
	}
	for (let v = from; v <= version; v++)
	{
		const f = path.join(golden, table, '_delta_log', `${String(v).padStart(20, '0')}.json`);
		for (const line of fs.readFileSync(f, 'utf8').split('\n'))
			if (line.trim())
				apply(JSON.parse(line));
	}
	if (meta && typeof meta.partitionColumns === 'string')
		meta.partitionColumns = JSON.parse(meta.partitionColumns);
	return { meta, files, usedCheckpoint: checkpoints.length > 0 ? checkpoints[0] : null };
}

/* Checkpoint maps come back from DuckDB's to_json as objects; JSON commits have objects too. */
function partitionValue(add, key)
{
	const pv = add.partitionValues || {};
	if (Array.isArray(pv))	/* a map rendered as a list of {key, value} */
	{
		const e = pv.find((kv) => kv.key === key);
		return e ? e.value : null;
	}
	return Object.prototype.hasOwnProperty.call(pv, key) ? pv[key] : null;
}

/* ---------------------------------------------------------- suite -------- */

const snapshots = haveGolden
	? fs.readFileSync(path.join(expectedDir, 'snapshots.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
	: [];

function skipReason(s)
{
	if (s.error)
		return `cannot be reconstructed: ${s.error}`;
	if (s.data !== 'present')
		return 'data files missing (log-only table)';
	if (s.unsupported && s.unsupported.length > 0)
		return `unsupported features: ${s.unsupported.join(', ')}`;
	return null;
}

before(async () => {
	if (!haveGolden)
		return;
	pgc = await L.pgConnect({ name: 'interop-golden', timezone: 'Pacific/Chatham' });
	duck = await L.duckConnect();
	copyRoot = L.makeFilesSubdir('golden');
	await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${SCHEMA}`);
	await L.ensureServer(pgc, SERVER);
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

test('the golden tables are there', { skip: haveGolden ? false : `no golden tables at ${golden}` }, () => {
	assert.ok(snapshots.length > 0);
	assert.ok(snapshots.filter((s) => !skipReason(s)).length >= 20, 'at least 20 readable table versions');
});

let serial = 0;

for (const snap of snapshots)
{
	const name = `${snap.table}@${snap.version}`;
	const reason = haveGolden ? skipReason(snap) : 'no golden tables';
	test(`golden ${name}`, { skip: reason || false }, async () => {
		const { meta, files, usedCheckpoint } = await replay(snap.table, snap.version);
		assert.ok(meta, 'the log has a metaData action');

		/* the replay itself must agree with the expected snapshot first */
		const paths = [...files.keys()].sort(L.compareBytes);
		assert.equal(paths.length, snap.files, `active files (checkpoint ${usedCheckpoint})`);
		assert.equal(L.sha256(paths.map((p) => p + '\n').join('')), snap.files_sha256, 'active paths');

		const fields = JSON.parse(meta.schemaString).fields;
		const partCols = new Set(meta.partitionColumns || []);
		const mapping = (meta.configuration || {})['delta.columnMapping.mode'];
		const physical = (f) => (mapping && mapping !== 'none' ? f.metadata['delta.columnMapping.physicalName'] : f.name);
		const cols = fields.map((f) => ({ field: f, type: deltaType(f.type), physical: physical(f), part: partCols.has(f.name) }))
			.filter((c) => c.type);	/* nested columns are left out */
		assert.deepEqual(cols.map((c) => c.field.name), snap.columns.map((c) => c.replace(/:[^:]*$/, '')), 'column order');

		const lines = [];
		for (const p of paths)
		{
			const add = files.get(p);
			const rel = decodeURIComponent(add.path);
			const src = path.join(golden, snap.table, rel);
			assert.ok(fs.existsSync(src), `data file ${rel} exists`);
			/* a copy the server can surely read (the golden dir may be anywhere) */
			const copy = path.join(copyRoot, `f${serial}.parquet`);
			const ft = `${SCHEMA}.f${serial}`;
			serial++;
			fs.copyFileSync(src, copy);
			L.shareWithServer(copy);
			const dataCols = cols.filter((c) => !c.part);
			await L.createForeignTable(pgc, ft, dataCols.map((c) => ({ name: c.physical, pgType: c.type.pgType })), copy, SERVER);
			const inner = cols.map((c, j) => {
				if (!c.part)
					return `${L.quoteIdent(c.physical)} AS c${j}`;
				const v = partitionValue(add, c.physical);
				const lit = v === null ? 'NULL' : L.quoteLiteral(v);
				/* Delta writes timestamp partition values in UTC */
				if (c.type.pgType === 'timestamptz')
					return `(${lit}::timestamp AT TIME ZONE 'UTC') AS c${j}`;
				return `${lit}::${c.type.pgType} AS c${j}`;
			}).join(', ');
			const outer = cols.map((c, j) => pgRender(`c${j}`, c.type.kind)).join(', ');
			const r = await L.pgTry(pgc, `SELECT ${outer} FROM (SELECT ${inner} FROM ${ft}) s`);
			assert.ok(!r.lost, `connection lost reading ${rel}`);
			assert.ok(r.rows, `reading ${rel} (${snap.table}): ${L.describePgError(r.error)}`);
			for (const row of r.rows)
				lines.push(row.map((v, j) => finishCell(v, cols[j].type.kind)).join('\t'));
		}
		lines.sort(L.compareBytes);
		const text = lines.map((l) => l + '\n').join('');
		assert.equal(lines.length, snap.rows, 'row count');
		if (L.sha256(text) !== snap.sha256)
		{
			const tsv = path.join(expectedDir, `${name}.tsv`);
			const want = fs.existsSync(tsv) ? fs.readFileSync(tsv, 'utf8') : '(no .tsv)';
			assert.equal(text, want, `rows of ${name} differ from _expected (sha256 ${L.sha256(text)} vs ${snap.sha256})`);
			assert.fail(`sha256 of ${name} differs though the text equals the .tsv`);
		}
	});
}
