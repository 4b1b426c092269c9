/*
 * delta_golden.test.mjs
 *	  The shared golden Delta tables (Spark, Databricks, delta-rs) read by
 *	  the extension's Delta reader, every table and version of
 *	  _expected/snapshots.jsonl, through every way of naming a version:
 *	    - a foreign table pinned with OPTIONS (version 'n'), and one pinned
 *	      with OPTIONS (timestamp '<the commit's timestamp>');
 *	    - SET LOCAL lakehouse.as_of_timestamp = <the commit's timestamp> on
 *	      the imported (unpinned) table;
 *	    - lakehouse.as_of(NULL::t, version => n) and
 *	      lakehouse.as_of(NULL::t, "timestamp" => <commit timestamp + 0.5 ms>).
 *	  Commit timestamps come from lakehouse.history.  Rows are normalised as
 *	  _expected/README says and compared by sha256 (a diff against the .tsv
 *	  on a mismatch).  The tables are created by IMPORT FOREIGN SCHEMA over
 *	  the golden root, which is tested too (names such as "Company Very
 *	  Short", LIMIT TO, EXCEPT, types from the latest schema).
 *
 * Expected errors: an `error` line must give an SQL error (22023) whose
 * text names the versions that can be read; a version with `unsupported`
 * features must give an error naming the feature (0A000), or, if the
 * extension implements the feature, the right rows.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as D from './delta_lib.mjs';

const SCHEMA = 'dgold';
const PIN = 'dgold_pin';
const SERVER = 'dgold_srv';

const golden = L.goldenDir();
const expectedDir = path.join(golden, '_expected');
const haveGolden = fs.existsSync(path.join(expectedDir, 'snapshots.jsonl'));

const snapshots = haveGolden
	? fs.readFileSync(path.join(expectedDir, 'snapshots.jsonl'), 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l))
	: [];
const tables = haveGolden
	? fs.readdirSync(golden).filter((d) => fs.existsSync(path.join(golden, d, '_delta_log'))).sort()
	: [];

let pgc;
let duck;
let goldenRoot;		/* the golden directory the server reads (the original, or a copy) */
let dirName;		/* its name under the server's root */
let importResult;
let importedTables = [];
const importNotices = [];
const histories = new Map();	/* table -> Map(version -> timestamptz text) */

/* ------------------------------------------------------ normalisation ---- */

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
		default: throw new Error(`kind ${kind} not handled by the test`);
	}
}

function snapColumns(snap)
{
	return snap.columns.map((c) => {
		const i = c.lastIndexOf(':');
		return { name: c.slice(0, i), kind: c.slice(i + 1) };
	});
}

/* The rows of relation, normalised, sorted, as the .tsv text. */
async function renderedText(relation, snap)
{
	const cols = snapColumns(snap);
	const rows = await L.pgRows(pgc, `SELECT ${cols.map((c) => pgRender(L.quoteIdent(c.name), c.kind)).join(', ')} FROM ${relation}`);
	const lines = rows.map((r) => r.map((v, j) => {
		if (v === null)
			return L.NULL_MARK;
		return cols[j].kind === 'float' ? L.formatG(parseFloat(v), 6) : v;
	}).join('\t'));
	lines.sort(L.compareBytes);
	return lines.map((l) => l + '\n').join('');
}

function expectedText(snap)
{
	const tsv = path.join(expectedDir, `${snap.table}@${snap.version}.tsv`);
	return fs.existsSync(tsv) ? fs.readFileSync(tsv, 'utf8') : null;
}

/* A short diff of two sorted .tsv texts (as multisets of lines). */
function diffLines(actual, expected)
{
	const count = (text) => {
		const m = new Map();
		for (const l of text.split('\n').filter((x) => x !== ''))
			m.set(l, (m.get(l) || 0) + 1);
		return m;
	};
	const a = count(actual);
	const e = count(expected || '');
	const missing = [];
	const extra = [];
	for (const [l, n] of e)
		for (let i = a.get(l) || 0; i < n; i++)
			missing.push(l);
	for (const [l, n] of a)
		for (let i = e.get(l) || 0; i < n; i++)
			extra.push(l);
	const show = (arr) => arr.slice(0, 10).map((l) => `    ${JSON.stringify(l)}`).join('\n') + (arr.length > 10 ? `\n    ... ${arr.length - 10} more` : '');
	return `${missing.length} expected lines not returned:\n${show(missing)}\n  ${extra.length} returned lines not expected:\n${show(extra)}`;
}

function assertRowsText(text, snap, label)
{
	if (L.sha256(text) === snap.sha256)
		return;
	const want = expectedText(snap);
	assert.fail(`${label}: the rows of ${snap.table}@${snap.version} differ from _expected ` +
				`(sha256 ${L.sha256(text)} vs ${snap.sha256}, ${text.split('\n').length - 1} rows vs ${snap.rows}):\n  ${diffLines(text, want)}`);
}

/* ---------------------------------------------------------- the log ------ */

function commitFiles(table)
{
	const dir = path.join(goldenRoot, table, '_delta_log');
	return fs.readdirSync(dir).map((n) => /^(\d{20})\.json$/.exec(n)).filter(Boolean)
		.map((m) => ({ version: Number(m[1]), file: path.join(dir, m[0]) })).sort((a, b) => a.version - b.version);
}

function actionsOf(file)
{
	return fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

/* The latest metaData action: from the JSON commits, else from the newest checkpoint (DuckDB). */
async function latestMetaData(table)
{
	for (const c of commitFiles(table).reverse())
	{
		const md = actionsOf(c.file).find((a) => a.metaData);
		if (md)
			return md.metaData;
	}
	const dir = path.join(goldenRoot, table, '_delta_log');
	const cps = fs.readdirSync(dir).filter((n) => /^\d{20}\.checkpoint\.parquet$/.test(n)).sort();
	assert.ok(cps.length > 0, `${table} has a metaData action`);
	const s = await duck.value(`SELECT metaData.schemaString FROM read_parquet(${L.quoteLiteral(path.join(dir, cps[cps.length - 1]))}) WHERE metaData IS NOT NULL`);
	return { schemaString: s };
}

/*
 * Replay the JSON commits 0..version: active adds by path (null when
 * commit 0 is gone: the version needs a checkpoint).
 */
function replayJson(table, version)
{
	const commits = commitFiles(table).filter((c) => c.version <= version);
	if (commits.length !== version + 1 || commits[0].version !== 0)
		return null;
	const files = new Map();
	for (const c of commits)
		for (const a of actionsOf(c.file))
		{
			if (a.add)
				files.set(a.add.path, a.add);
			else if (a.remove)
				files.delete(a.remove.path);
		}
	return files;
}

/* Sum of numRecords over the active files, or null when a file has none. */
function logRecordCount(files)
{
	let n = 0;
	for (const add of files.values())
	{
		const stats = add.stats ? JSON.parse(add.stats) : null;
		if (!stats || typeof stats.numRecords !== 'number')
			return null;
		n += stats.numRecords;
	}
	return n;
}

/* --------------------------------------------------------------- SQL ----- */

const imported = (table) => `${SCHEMA}.${L.quoteIdent(table)}`;

async function history(table)
{
	if (!histories.has(table))
	{
		const rows = await L.pgRows(pgc, `SELECT version::text, "timestamp"::text FROM lakehouse.history($1::regclass)`, [imported(table)]);
		histories.set(table, new Map(rows.map((r) => [Number(r[0]), r[1]])));
	}
	return histories.get(table);
}

async function commitTimestamp(table, version)
{
	const ts = (await history(table)).get(version);
	assert.ok(ts, `lakehouse.history(${table}) lists version ${version}`);
	return ts;
}

/* CREATE FOREIGN TABLE <PIN>."name" with the imported table's columns and extra options; { error } if refused. */
async function createPinned(name, table, options)
{
	const cols = await L.pgValue(pgc, `SELECT string_agg(quote_ident(attname) || ' ' || format_type(atttypid, atttypmod), ', ' ORDER BY attnum)
		FROM pg_attribute WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped`, [imported(table)]);
	const rel = `${PIN}.${L.quoteIdent(name)}`;
	await pgc.query(`DROP FOREIGN TABLE IF EXISTS ${rel}`);
	const r = await L.pgTry(pgc, `CREATE FOREIGN TABLE ${rel} (${cols}) SERVER ${SERVER}
		OPTIONS (path ${L.quoteLiteral(`${dirName}/${table}`)}, ${options})`);
	assert.ok(!r.lost, `connection lost creating ${rel}`);
	return r.error ? { error: r.error } : { rel };
}

/* Run fn inside BEGIN; SET LOCAL lakehouse.as_of_timestamp = ts; ... COMMIT. */
async function asOf(ts, fn)
{
	await pgc.query('BEGIN');
	try
	{
		await pgc.query(`SET LOCAL lakehouse.as_of_timestamp = ${L.quoteLiteral(ts)}`);
		return await fn();
	}
	finally
	{
		await pgc.query('ROLLBACK');
	}
}

/* The ways of reading one version: [{ label, run(sqlFn) }] where sqlFn(relation) gives the work. */
async function forms(snap)
{
	const t = snap.table;
	const v = snap.version;
	const out = [];
	const pinned = await createPinned(`${t}@${v}`, t, `version '${v}'`);
	out.push({ label: "OPTIONS (version)", relation: pinned.rel, createError: pinned.error, explain: true });
	let ts = null;
	try
	{
		ts = await commitTimestamp(t, v);
	}
	catch (e)
	{
		out.push({ label: 'lakehouse.history', failure: e });
	}
	if (ts)
	{
		const byTs = await createPinned(`${t}@ts${v}`, t, `timestamp ${L.quoteLiteral(ts)}`);
		out.push({ label: `OPTIONS (timestamp '${ts}')`, relation: byTs.rel, createError: byTs.error, explain: true });
		out.push({ label: `SET LOCAL lakehouse.as_of_timestamp = '${ts}'`, relation: imported(t), guc: ts, explain: true });
	}
	out.push({ label: `lakehouse.as_of(version => ${v})`, relation: `lakehouse.as_of(NULL::${imported(t)}, version => ${v}) x` });
	if (ts)
		out.push({ label: `lakehouse.as_of("timestamp" => '${ts}' + 0.5 ms)`,
				   relation: `lakehouse.as_of(NULL::${imported(t)}, "timestamp" => ${L.quoteLiteral(ts)}::timestamptz + interval '500 microseconds') x` });
	return out;
}

/* Run work(relation) for one form: under the GUC when the form says so. */
async function runForm(f, work)
{
	if (f.failure)
		throw f.failure;
	if (f.createError)
		return { error: f.createError, atCreate: true };
	const go = async () => {
		try
		{
			return { value: await work(f.relation) };
		}
		catch (e)
		{
			if (L.isConnectionLoss(e) || pgc.lostError)
				throw new Error(`${f.label}: connection lost: ${L.describePgError(e)}`);
			return { error: e };
		}
	};
	return f.guc ? asOf(f.guc, go) : go();
}

async function explainNode(relation, sql = `SELECT * FROM ${relation}`)
{
	return D.deltaScanNode(await D.explainJson(pgc, sql));
}

/* ------------------------------------------------------------ suite ------ */

before(async () => {
	if (!haveGolden)
		return;
	pgc = await L.pgConnect({ name: 'delta-golden', timezone: 'Pacific/Chatham' });
	duck = await L.duckConnect();
	/* the golden tables in place when the server can read them, else a copy it can */
	const r = await L.pgTry(pgc, 'SELECT count(*) FROM pg_ls_dir($1)', [path.join(golden, 'simple_table', '_delta_log')]);
	if (r.rows)
		goldenRoot = golden;
	else
	{
		const copyParent = L.makeFilesSubdir('delta_golden');
		goldenRoot = path.join(copyParent, path.basename(golden));
		fs.cpSync(golden, goldenRoot, { recursive: true, preserveTimestamps: true });
		L.shareWithServer(goldenRoot);
	}
	dirName = path.basename(goldenRoot);
	for (const s of [SCHEMA, PIN, `${SCHEMA}_limit`, `${SCHEMA}_except`, `${SCHEMA}_bad`])
	{
		await pgc.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
		await pgc.query(`CREATE SCHEMA ${s}`);
	}
	await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`);
	await pgc.query(`CREATE SERVER ${SERVER} FOREIGN DATA WRAPPER iot_lakehouse_fdw
		OPTIONS (root ${L.quoteLiteral(path.dirname(goldenRoot))})`);
	/* the import's own test checks it worked, and what it said */
	const onNotice = (n) => importNotices.push(n);
	pgc.on('notice', onNotice);
	importResult = await L.pgTry(pgc, `IMPORT FOREIGN SCHEMA ${L.quoteIdent(dirName)} FROM SERVER ${SERVER} INTO ${SCHEMA}`);
	pgc.off('notice', onNotice);
	importedTables = importResult.rows ? await foreignTablesIn(SCHEMA) : [];
	/*
	 * A table the import skipped (fdw/README: one whose latest version
	 * cannot be read, with a WARNING) is created by hand, columns from its
	 * latest metaData, so that its readable versions are still tested.
	 */
	for (const t of tables.filter((x) => !importedTables.includes(x)))
	{
		const fields = JSON.parse((await latestMetaData(t)).schemaString).fields;
		await L.pgTry(pgc, `CREATE FOREIGN TABLE ${imported(t)} (${fields.map((f) => `${L.quoteIdent(f.name)} ${D.deltaToPgType(f.type)}`).join(', ')})
			SERVER ${SERVER} OPTIONS (path ${L.quoteLiteral(`${dirName}/${t}`)})`);
	}
});

after(async () => {
	if (pgc)
	{
		for (const s of [SCHEMA, PIN, `${SCHEMA}_limit`, `${SCHEMA}_except`, `${SCHEMA}_bad`])
			await pgc.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`).catch(() => {});
		await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
		await pgc.end();
	}
	duck?.close();
});

const noGolden = haveGolden ? false : `no golden tables at ${golden}`;

async function foreignTablesIn(schema)
{
	return (await L.pgRows(pgc, `SELECT c.relname::text FROM pg_class c JOIN pg_foreign_table f ON f.ftrelid = c.oid
		WHERE c.relnamespace = $1::regnamespace ORDER BY c.relname::text COLLATE "C"`, [schema])).map((r) => r[0]);
}

test('IMPORT FOREIGN SCHEMA creates a foreign table per Delta table, names and types from the latest schema', { skip: noGolden }, async () => {
	assert.ok(importResult.rows, `IMPORT FOREIGN SCHEMA: ${L.describePgError(importResult.error)}`);
	/*
	 * One foreign table per directory holding _delta_log (not _expected),
	 * every one of them: a table whose latest version uses a reader feature
	 * we refuse (deletion vectors in use) is created too, with a WARNING
	 * that names the feature, so its older versions stay reachable.
	 */
	const latestSnap = (t) => snapshots.filter((s) => s.table === t && !s.error).sort((a, b) => b.version - a.version)[0];
	assert.deepEqual(tables.filter((x) => !importedTables.includes(x)), [], 'every Delta table is imported');
	for (const t of tables.filter((x) => (latestSnap(x)?.unsupported || []).some((u) => u.endsWith('(in use)'))))
	{
		const n = importNotices.find((x) => x.severity === 'WARNING' && x.message.includes(t));
		assert.ok(n, `a WARNING says ${t}'s latest version cannot be read: ${JSON.stringify(importNotices.map((x) => x.message))}`);
		assert.match(n.message, /deletion vectors/, 'the WARNING names the feature');
	}
	assert.deepEqual([...importedTables].sort(L.compareBytes), importedTables, 'sorted');
	assert.deepEqual(importedTables.filter((t) => !tables.includes(t)), [], 'no foreign table for a directory without _delta_log');
	for (const t of importedTables)
	{
		const md = await latestMetaData(t);
		const fields = JSON.parse(md.schemaString).fields;
		const cols = await L.pgRows(pgc, `SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
			WHERE attrelid = $1::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum`, [imported(t)]);
		assert.deepEqual(cols, fields.map((f) => [f.name, D.deltaToPgType(f.type)]), `columns of ${t}`);
	}
	/* a name with spaces, kept exactly, through column mapping */
	const cm = await L.pgRows(pgc, `SELECT "Company Very Short", "Super Name" FROM ${imported('table_with_column_mapping')} ORDER BY 1, 2`);
	assert.ok(cm.length > 0 && cm.every((r) => r[1] !== null), `"Super Name" read through its physical name: ${JSON.stringify(cm)}`);
});

test('IMPORT FOREIGN SCHEMA: LIMIT TO and EXCEPT; a directory outside the root is refused', { skip: noGolden }, async () => {
	const limit = ['delta-0.8.0', 'table_with_column_mapping'];
	await pgc.query(`IMPORT FOREIGN SCHEMA ${L.quoteIdent(dirName)} LIMIT TO (${limit.map(L.quoteIdent).join(', ')})
		FROM SERVER ${SERVER} INTO ${SCHEMA}_limit`);
	assert.deepEqual(await foreignTablesIn(`${SCHEMA}_limit`), limit);
	const except = ['delta-0.8.0', 'simple_table', 'table_with_column_mapping'];
	await pgc.query(`IMPORT FOREIGN SCHEMA ${L.quoteIdent(dirName)} EXCEPT (${except.map(L.quoteIdent).join(', ')})
		FROM SERVER ${SERVER} INTO ${SCHEMA}_except`);
	assert.deepEqual(await foreignTablesIn(`${SCHEMA}_except`), importedTables.filter((t) => !except.includes(t)));
	/* the imported table reads like the one of the full import */
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}_limit."delta-0.8.0"`), await L.pgValue(pgc, `SELECT count(*) FROM ${imported('delta-0.8.0')}`));
	for (const bad of ['no-such-directory', '../..', `${dirName}/../..`])
	{
		const r = await L.pgTry(pgc, `IMPORT FOREIGN SCHEMA ${L.quoteIdent(bad)} FROM SERVER ${SERVER} INTO ${SCHEMA}_bad`);
		assert.ok(r.error, `IMPORT FOREIGN SCHEMA "${bad}" is refused`);
		assert.ok(!L.isConnectionLoss(r.error) && r.error.code !== 'XX000', L.describePgError(r.error));
	}
});

test('the golden tables are there', { skip: noGolden }, () => {
	assert.ok(snapshots.length >= 50);
	assert.ok(tables.length >= 19);
});

const readable = (table) => snapshots.filter((s) => s.table === table && !s.error).map((s) => s.version);

for (const snap of snapshots)
{
	const name = `${snap.table}@${snap.version}`;
	const unsupported = snap.unsupported || [];

	if (snap.error)
	{
		test(`golden ${name}: the error "${snap.error}"`, { skip: noGolden }, async () => {
			const ok = readable(snap.table);
			assert.ok(ok.length > 0);
			const names = [new RegExp(`\\b${Math.min(...ok)}\\b`), new RegExp(`\\b${Math.max(...ok)}\\b`)];
			const check = (r, label, alsoInstant) => {
				assert.ok(r.error, `${label}: an error, got ${JSON.stringify(r.value)}`);
				assert.equal(r.error.code, '22023', `${label}: ${L.describePgError(r.error)}`);
				const text = D.errorText(r.error);
				for (const re of names)
					assert.ok(re.test(text) || (alsoInstant && /\d{4}-\d\d-\d\d/.test(text)),
							  `${label}: the error names the readable versions (${ok.join(', ')}): ${text}`);
			};
			for (const f of await forms(snap))
			{
				if (f.label === 'lakehouse.history')
					continue;	/* the version has no timestamp of its own: tested below */
				check(await runForm(f, (rel) => L.pgRows(pgc, `SELECT count(*) FROM ${rel}`)), f.label, f.guc || /timestamp/.test(f.label));
			}
			/* an instant just before the earliest readable version */
			const first = await commitTimestamp(snap.table, Math.min(...ok));
			const early = await L.pgValue(pgc, `SELECT ($1::timestamptz - interval '1 millisecond')::text`, [first]);
			check(await runForm({ relation: imported(snap.table), guc: early }, (rel) => L.pgRows(pgc, `SELECT count(*) FROM ${rel}`)), `GUC ${early}`, true);
			check(await runForm({ relation: `lakehouse.as_of(NULL::${imported(snap.table)}, "timestamp" => ${L.quoteLiteral(early)}) x` },
								(rel) => L.pgRows(pgc, `SELECT count(*) FROM ${rel}`)), `as_of "timestamp" => ${early}`, true);
		});
		continue;
	}

	if (snap.data !== 'present')
	{
		/*
		 * Log-only: the data files were never kept, so no rows can be
		 * compared.  What can be: the snapshot the log reconstructs (EXPLAIN's
		 * Delta Version and Files Total = snap.files, through the option and
		 * the GUC), and count(*) answered from the log's numRecords without
		 * opening a data file (when every active add has stats and the JSON
		 * commits from 0 are there for this test to sum them).  lakehouse.as_of
		 * is left out: it returns rows, which would need the data files.
		 */
		test(`golden ${name}: log only, the snapshot and count(*) from the log`, { skip: noGolden }, async () => {
			for (const f of await forms(snap))
			{
				if (!f.explain)
					continue;
				const r = await runForm(f, (rel) => explainNode(rel));
				assert.ok(!r.error, `${f.label}: EXPLAIN: ${L.describePgError(r.error)}`);
				assert.equal(D.numProp(r.value, 'Delta Version'), snap.version, `${f.label}: Delta Version`);
				assert.equal(D.numProp(r.value, 'Files Total'), snap.files, `${f.label}: Files Total`);
			}
			const files = replayJson(snap.table, snap.version);
			const n = files && files.size === snap.files ? logRecordCount(files) : null;
			if (n === null)
				return;		/* no numRecords (or only a checkpoint): count(*) would need the missing files */
			const pinned = `${PIN}.${L.quoteIdent(`${snap.table}@${snap.version}`)}`;
			const r = await L.pgTry(pgc, `SELECT count(*) FROM ${pinned}`);
			assert.ok(r.rows, `count(*) from the log, without the missing data files: ${L.describePgError(r.error)}`);
			assert.equal(Number(r.rows[0][0]), n, 'count(*) = sum of numRecords');
		});
		continue;
	}

	test(`golden ${name}${unsupported.length ? ` (unsupported: ${unsupported.join(', ')})` : ''}`, { skip: noGolden }, async () => {
		const inUse = unsupported.some((u) => /\(in use\)/.test(u));
		const features = unsupported.map((u) => u.replace(/\(in use\)$/, '')).filter((u, i, a) => a.indexOf(u) === i);
		/* rows a reader applying the feature gives: deletion vectors remove dv.cardinality rows */
		let deleted = 0;
		if (inUse)
		{
			const files = replayJson(snap.table, snap.version);
			assert.ok(files, 'the JSON commits are there');
			for (const add of files.values())
				deleted += add.deletionVector ? add.deletionVector.cardinality : 0;
		}
		const want = expectedText(snap);
		const checkRows = (text, label) => {
			if (!inUse)
				return assertRowsText(text, snap, label);
			/* the .tsv has the rows before the deletion vectors: a subset of it, minus the deleted ones */
			const lines = text.split('\n').filter((l) => l !== '');
			assert.equal(lines.length, snap.rows - deleted, `${label}: rows after applying deletion vectors`);
			const avail = new Map();
			for (const l of want.split('\n').filter((x) => x !== ''))
				avail.set(l, (avail.get(l) || 0) + 1);
			for (const l of lines)
			{
				assert.ok(avail.get(l) > 0, `${label}: row ${JSON.stringify(l)} is not in the table`);
				avail.set(l, avail.get(l) - 1);
			}
		};

		let refused = 0;
		for (const f of await forms(snap))
		{
			const r = await runForm(f, (rel) => renderedText(rel, snap));
			if (features.length > 0 && r.error)
			{
				/* refused: the error must name the feature */
				assert.equal(r.error.code, '0A000', `${f.label}: ${L.describePgError(r.error)}`);
				const text = D.errorText(r.error);
				assert.ok(features.some((ft) => text.includes(ft)), `${f.label}: the error names ${features.join(' or ')}: ${text}`);
				refused++;
				continue;
			}
			assert.ok(!r.error, `${f.label}${r.atCreate ? ' (CREATE FOREIGN TABLE)' : ''}: ${L.describePgError(r.error)}`);
			checkRows(r.value, f.label);
			if (f.explain && features.length === 0)
			{
				const e = await runForm(f, async (rel) => ({
					node: await explainNode(rel),
					count: await L.pgValue(pgc, `SELECT count(*) FROM ${rel}`),
				}));
				assert.ok(!e.error, `${f.label}: EXPLAIN / count(*): ${L.describePgError(e.error)}`);
				assert.equal(D.numProp(e.value.node, 'Delta Version'), snap.version, `${f.label}: Delta Version`);
				assert.equal(D.numProp(e.value.node, 'Files Total'), snap.files, `${f.label}: Files Total`);
				assert.equal(Number(e.value.count), snap.rows, `${f.label}: count(*)`);
			}
		}
		/* the latest version through the imported table, no time travel */
		const latest = Math.max(...readable(snap.table));
		if (snap.version === latest && refused === 0)
			checkRows(await renderedText(imported(snap.table), snap), 'the imported table (latest)');
	});
}
