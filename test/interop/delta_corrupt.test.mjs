/*
 * delta_corrupt.test.mjs
 *	  Corrupt Delta logs, in copies of golden tables and in hand-made tables:
 *	  a truncated JSON line, a line that is not JSON, JSON nested too deep, a
 *	  commit missing in the middle, a checkpoint that does not match
 *	  _last_checkpoint (missing, other size, other part count, a version past
 *	  the log), a garbage / truncated / foreign checkpoint parquet, a
 *	  _last_checkpoint holding garbage, unknown reader features and reader
 *	  versions, huge claimed sizes, record counts and versions.
 *
 *	Each case gives a clear SQL error (SQLSTATE checked, never XX000; the
 *	text names the file or version) or, where a reader may legitimately
 *	recover (a stale or garbage _last_checkpoint with the whole log still
 *	there), exactly the right rows.  Never wrong rows, never a crash or a
 *	hang: after every case the postmaster is the same process and the server
 *	log reports no backend terminated by a signal.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as D from './delta_lib.mjs';

const SCHEMA = 'dcorrupt';
const SERVER = 'dcorrupt_srv';

const golden = L.goldenDir();
const haveGolden = fs.existsSync(path.join(golden, 'simple_table', '_delta_log'));
const noGolden = haveGolden ? false : `no golden tables at ${golden}`;

let pgc;
let root;
let watch;
let serial = 0;

/* the rows of simple_table@4 and simple_table_with_checkpoint@10 (from _expected) */
function tsvSum(name)
{
	const lines = fs.readFileSync(path.join(golden, '_expected', `${name}.tsv`), 'utf8').split('\n').filter((l) => l !== '');
	return { count: lines.length, sum: lines.reduce((s, l) => s + Number(l), 0) };
}

/* A copy of a golden table under root, and a foreign table on it (before any damage). */
async function copyGolden(table, columns)
{
	const name = `c${serial++}_${table.replace(/[^a-z0-9]/gi, '_')}`;
	const dir = path.join(root, name);
	fs.cpSync(path.join(golden, table), dir, { recursive: true, preserveTimestamps: true });
	L.shareWithServer(dir);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.${name} (${columns}) SERVER ${SERVER} OPTIONS (path ${L.quoteLiteral(name)})`);
	return { name, dir, rel: `${SCHEMA}.${name}`, log: path.join(dir, '_delta_log') };
}

async function pinned(copy, version, columns)
{
	const rel = `${copy.rel}_v${version}`;
	await pgc.query(`CREATE FOREIGN TABLE ${rel} (${columns}) SERVER ${SERVER} OPTIONS (path ${L.quoteLiteral(copy.name)}, version '${version}')`);
	return rel;
}

const cpName = (v) => `${String(v).padStart(20, '0')}.checkpoint.parquet`;

/*
 * Run sql; it must fail with one of codes, and the error's text must match
 * names.  Returns the error.
 */
async function expectError(sql, codes, names, label)
{
	const r = await L.pgTry(pgc, sql);
	assert.ok(!r.lost, `${label}: connection lost: ${L.describePgError(r.lost)}`);
	assert.ok(r.error, `${label}: an error, got rows ${String(JSON.stringify(r.rows)).slice(0, 200)}`);
	assert.ok(codes.includes(r.error.code), `${label}: SQLSTATE ${r.error.code} not in ${codes.join(', ')}: ${L.describePgError(r.error)}`);
	assert.match(D.errorText(r.error), names, `${label}: the error names the file or version: ${D.errorText(r.error)}`);
	return r.error;
}

/* sql gives exactly want (rows as text), or an error as expectError wants. */
async function expectRowsOrError(sql, want, codes, names, label)
{
	const r = await L.pgTry(pgc, sql);
	assert.ok(!r.lost, `${label}: connection lost: ${L.describePgError(r.lost)}`);
	if (r.rows)
	{
		assert.deepEqual(r.rows, want, `${label}: recovered, so the rows must be right`);
		return 'rows';
	}
	assert.ok(codes.includes(r.error.code), `${label}: SQLSTATE ${r.error.code} not in ${codes.join(', ')}: ${L.describePgError(r.error)}`);
	assert.match(D.errorText(r.error), names, `${label}: the error names the file or version: ${D.errorText(r.error)}`);
	return 'error';
}

before(async () => {
	pgc = await L.pgConnect({ name: 'delta-corrupt', statementTimeout: '30s' });
	root = L.makeFilesSubdir('delta_corrupt');
	await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${SCHEMA}`);
	await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`);
	await pgc.query(`CREATE SERVER ${SERVER} FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root ${L.quoteLiteral(root)})`);
	watch = D.watchServer();
});

after(async () => {
	if (pgc)
	{
		await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
		await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
		await pgc.end();
	}
});

/* every test ends by checking the server survived */
function ctest(name, opts, fn)
{
	test(name, opts, async (t) => {
		try
		{
			await fn(t);
		}
		finally
		{
			watch(name);
			assert.equal(await L.pgValue(pgc, 'SELECT 1'), '1', `${name}: the session still works`);
		}
	});
}

const CORRUPT = ['XX001'];
const v = (n) => new RegExp(`${String(n).padStart(20, '0')}\\.json|version ${n}\\b|\\b${n}\\b`);

/* ------------------------------------------------------- JSON commits ---- */

ctest('a truncated JSON line in a commit', { skip: noGolden }, async () => {
	const c = await copyGolden('simple_table', 'id bigint');
	const f = path.join(c.log, '00000000000000000003.json');
	const text = fs.readFileSync(f, 'utf8');
	fs.writeFileSync(f, text.slice(0, Math.floor(text.length * 0.6)));	/* ends inside a line */
	await expectError(`SELECT * FROM ${c.rel}`, CORRUPT, /00000000000000000003\.json/, 'latest');
	await expectError(`SELECT count(*) FROM ${c.rel}`, CORRUPT, /00000000000000000003\.json/, 'count(*)');
	/* history needs only each commit's commitInfo (intact here): its rows, or the error */
	const h = await L.pgTry(pgc, `SELECT version::text FROM lakehouse.history('${c.rel}'::regclass)`);
	if (h.rows)
		assert.deepEqual(h.rows, [['4'], ['3'], ['2'], ['1'], ['0']], 'history');
	else
		assert.ok(h.error.code === 'XX001' && /00000000000000000003\.json/.test(D.errorText(h.error)), `history: ${L.describePgError(h.error)}`);
	/* version 2 does not need commit 3 */
	const p = await pinned(c, 2, 'id bigint');
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${p}`), '5', 'version 2 still reads');
});

ctest('the last commit truncated to half a line', { skip: noGolden }, async () => {
	const c = await copyGolden('simple_table', 'id bigint');
	const f = path.join(c.log, '00000000000000000004.json');
	const text = fs.readFileSync(f, 'utf8');
	fs.writeFileSync(f, text.slice(0, text.indexOf('\n') + 20));
	await expectError(`SELECT * FROM ${c.rel}`, CORRUPT, /00000000000000000004\.json/, 'latest');
});

ctest('a line that is not JSON, an action of the wrong shape, JSON nested too deep', { skip: noGolden }, async () => {
	const bad = [
		['not json', (t) => t.replace('\n', '\n{"add": this is not json}\n')],
		['not an object', (t) => t + '[1, 2, 3]\n'],
		['add without path', (t) => t + '{"add":{"size":5,"partitionValues":{},"modificationTime":1,"dataChange":true}}\n'],
		['add.path not a string', (t) => t + '{"add":{"path":12,"size":5,"partitionValues":{},"modificationTime":1,"dataChange":true}}\n'],
		['deep nesting', (t) => t + '{"commitInfo":' + '['.repeat(200000) + ']'.repeat(200000) + '}\n'],
		['NUL bytes', (t) => t.slice(0, 40) + '\0\0\0' + t.slice(40)],
		['invalid UTF-8', (t) => Buffer.concat([Buffer.from(t.slice(0, 30)), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from(t.slice(30))])],
	];
	for (const [label, damage] of bad)
	{
		const c = await copyGolden('simple_table', 'id bigint');
		const f = path.join(c.log, '00000000000000000002.json');
		fs.writeFileSync(f, damage(fs.readFileSync(f, 'utf8')));
		await expectError(`SELECT count(*) FROM ${c.rel}`, CORRUPT, /00000000000000000002\.json/, label);
		watch(label);
	}
});

ctest('a commit missing in the middle of the log', { skip: noGolden }, async () => {
	const c = await copyGolden('simple_table', 'id bigint');
	fs.rmSync(path.join(c.log, '00000000000000000002.json'));
	await expectError(`SELECT * FROM ${c.rel}`, CORRUPT, v(2), 'latest');
	await expectError(`SELECT count(*) FROM ${c.rel}`, CORRUPT, v(2), 'count(*)');
	const p3 = await pinned(c, 3, 'id bigint');
	await expectError(`SELECT * FROM ${p3}`, CORRUPT, v(2), 'version 3');
	await expectError(`SELECT count(*) FROM lakehouse.as_of(NULL::${c.rel}, version => 4) x`, CORRUPT, v(2), 'as_of version 4');
	const p1 = await pinned(c, 1, 'id bigint');
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${p1}`), '20', 'version 1 does not need commit 2');
});

ctest('a huge gap between commits (no loop over the missing versions)', { skip: noGolden }, async () => {
	const c = await copyGolden('simple_table', 'id bigint');
	fs.copyFileSync(path.join(c.log, '00000000000000000004.json'), path.join(c.log, '09000000000000000000.json'));
	const start = Date.now();
	await expectError(`SELECT count(*) FROM ${c.rel}`, CORRUPT, /\b5\b|00000000000000000005|9000000000000000000/, 'a gap from 5 to 9e18');
	await expectError(`SELECT * FROM ${c.rel}`, CORRUPT, /\b5\b|00000000000000000005|9000000000000000000/, 'a gap from 5 to 9e18');
	assert.ok(Date.now() - start < 10000, 'fails fast');
	/*
	 * Names at the very end of int64 or past it: lake/delta_log.c takes them
	 * for non-log files (its bound stops short of INT64_MAX); that, or a
	 * clear error.
	 */
	for (const name of ['09223372036854775806.json', '99999999999999999999.json'])
	{
		const d = await copyGolden('simple_table', 'id bigint');
		fs.copyFileSync(path.join(d.log, '00000000000000000004.json'), path.join(d.log, name));
		await expectRowsOrError(`SELECT count(*)::text FROM ${d.rel}`, [['3']], CORRUPT, /\b5\b|00000000000000000005|922337203685477580|99999999999999999999/, name);
	}
});

/* --------------------------------------------------------- checkpoints --- */

const CP_COLS = 'version integer';

ctest('_last_checkpoint that does not match the checkpoints (whole log still there: error or the right rows)', { skip: noGolden }, async (t) => {
	const want = tsvSum('simple_table_with_checkpoint@10');
	const cases = [
		['names a checkpoint that does not exist', { version: 8, size: 9 }],
		['another size than the checkpoint', { version: 10, size: 99 }],
		['two parts for a single-part checkpoint', { version: 10, size: 13, parts: 2 }],
		['a version past the log', { version: 12, size: 13 }],
		['a negative version', { version: -3, size: 13 }],
	];
	const outcomes = [];
	for (const [label, content] of cases)
	{
		const c = await copyGolden('simple_table_with_checkpoint', CP_COLS);
		fs.writeFileSync(path.join(c.log, '_last_checkpoint'), JSON.stringify(content));
		outcomes.push(label + ': ' + await expectRowsOrError(`SELECT count(*)::text, sum(version)::text FROM ${c.rel}`,
				[[String(want.count), String(want.sum)]], CORRUPT.concat(['22023']), /_last_checkpoint|checkpoint/, label));
		watch(label);
	}
	t.diagnostic(outcomes.join('; '));
});

ctest('_last_checkpoint names a checkpoint that is gone, and the commits before it were cleaned up', { skip: noGolden }, async () => {
	const c = await copyGolden('simple_table_with_checkpoint', CP_COLS);
	for (let i = 0; i < 10; i++)
		fs.rmSync(path.join(c.log, `${String(i).padStart(20, '0')}.json`));
	fs.rmSync(path.join(c.log, cpName(10)));
	await expectError(`SELECT count(*) FROM ${c.rel}`, CORRUPT.concat(['22023', '58P01']), /00000000000000000010\.checkpoint\.parquet|checkpoint|version 10|\b10\b/, 'checkpoint gone');
});

ctest('a checkpoint parquet holding garbage, truncated, or another parquet file', { skip: noGolden }, async () => {
	const damages = [
		['garbage', (f) => fs.writeFileSync(f, Buffer.from(Array.from({ length: fs.statSync(f).size }, (_, i) => (i * 7919 + 13) & 0xff)))],
		['truncated', (f) => fs.truncateSync(f, Math.floor(fs.statSync(f).size / 2))],
		['empty', (f) => fs.truncateSync(f, 0)],
		['a data file, not a checkpoint', (f, c) => {
			const data = fs.readdirSync(c.dir).find((n) => n.endsWith('.parquet'));
			fs.copyFileSync(path.join(c.dir, data), f);
		}],
		['footer length pointing before the file', (f) => {
			const b = fs.readFileSync(f);
			b.writeUInt32LE(0x7fffffff, b.length - 8);
			fs.writeFileSync(f, b);
		}],
	];
	for (const [label, damage] of damages)
	{
		/* the commits before the checkpoint are gone: the checkpoint is needed */
		const c = await copyGolden('simple_table_with_checkpoint', CP_COLS);
		for (let i = 0; i < 10; i++)
			fs.rmSync(path.join(c.log, `${String(i).padStart(20, '0')}.json`));
		damage(path.join(c.log, cpName(10)), c);
		/* the file, or (a valid Parquet file without checkpoint columns) the version it should have given */
		await expectError(`SELECT count(*) FROM ${c.rel}`, CORRUPT, /00000000000000000010\.checkpoint\.parquet|version 10\b/, `${label} (needed)`);
		await expectError(`SELECT * FROM ${c.rel}`, CORRUPT, /00000000000000000010\.checkpoint\.parquet|version 10\b/, `${label} (needed, rows)`);
		watch(label);
		/* with every commit there, a reader may replay them instead: the right rows or the error */
		const d = await copyGolden('simple_table_with_checkpoint', CP_COLS);
		damage(path.join(d.log, cpName(10)), d);
		const want = tsvSum('simple_table_with_checkpoint@10');
		await expectRowsOrError(`SELECT count(*)::text, sum(version)::text FROM ${d.rel}`, [[String(want.count), String(want.sum)]],
								CORRUPT, /00000000000000000010\.checkpoint\.parquet|version 10\b/, `${label} (commits there)`);
		watch(`${label} (commits there)`);
	}
});

ctest('_last_checkpoint holding garbage', { skip: noGolden }, async () => {
	const want = tsvSum('simple_table_with_checkpoint@10');
	for (const [label, content] of [
		['garbage', Buffer.from('\x00\x01garbage{{{"version":')],
		['empty', Buffer.alloc(0)],
		['not an object', Buffer.from('[10, 13]')],
		['version as text', Buffer.from('{"version":"ten","size":13}')],
		['huge', Buffer.from('{"version":10,"size":13,"pad":"' + 'x'.repeat(4 << 20) + '"}')],
	])
	{
		const c = await copyGolden('simple_table_with_checkpoint', CP_COLS);
		fs.writeFileSync(path.join(c.log, '_last_checkpoint'), content);
		await expectRowsOrError(`SELECT count(*)::text, sum(version)::text FROM ${c.rel}`, [[String(want.count), String(want.sum)]],
								CORRUPT, /_last_checkpoint/, label);
		watch(label);
	}
});

ctest('huge sizes and part counts claimed by _last_checkpoint', { skip: noGolden }, async () => {
	const want = tsvSum('simple_table_with_checkpoint@10');
	for (const content of [
		{ version: 10, size: 1e18, parts: 1000000000 },
		{ version: 10, size: 13, parts: 2147483647, sizeInBytes: 9e18, numOfAddFiles: 9e18 },
		{ version: 9223372036854775807, size: 13 },
		{ version: 10, size: 13, parts: -1 },
	])
	{
		const c = await copyGolden('simple_table_with_checkpoint', CP_COLS);
		fs.writeFileSync(path.join(c.log, '_last_checkpoint'), JSON.stringify(content));
		const start = Date.now();
		await expectRowsOrError(`SELECT count(*)::text, sum(version)::text FROM ${c.rel}`, [[String(want.count), String(want.sum)]],
								CORRUPT.concat(['22023', '54000']), /_last_checkpoint|checkpoint/, JSON.stringify(content));
		assert.ok(Date.now() - start < 10000, `${JSON.stringify(content)}: no hang`);
		watch(JSON.stringify(content));
	}
});

/* ---------------------------------------------- hand-made: protocol etc. -- */

async function handTable(name, protocol, opts = {})
{
	const t = new D.HandTable(pgc, path.join(root, name), { fields: [{ name: 'id', type: 'long' }], protocol });
	const f = await t.addFile({}, 'SELECT id::bigint AS id FROM generate_series(1, 10) id');
	t.commit([f], [], opts);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.${name} (id bigint) SERVER ${SERVER} OPTIONS (path ${L.quoteLiteral(name)})`);
	return t;
}

ctest('an unknown reader feature, a reader version from the future', async () => {
	await handTable('future_feature', D.protocolAction(3, 7, ['someFutureFeature'], ['someFutureFeature']));
	await expectError(`SELECT * FROM ${SCHEMA}.future_feature`, ['0A000'], /someFutureFeature/, 'unknown reader feature');
	await expectError(`SELECT count(*) FROM ${SCHEMA}.future_feature`, ['0A000'], /someFutureFeature/, 'count(*)');
	await handTable('future_version', D.protocolAction(4, 8));
	await expectError(`SELECT * FROM ${SCHEMA}.future_version`, ['0A000'], /\b4\b/, 'reader version 4');
	/* a writer-only feature does not stop a reader */
	await handTable('writer_feature', D.protocolAction(1, 7, undefined, ['someWriterOnlyFeature']));
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.writer_feature WHERE id > 0`), '10');
	/* v2Checkpoint: read fully or refused by name */
	await handTable('v2_checkpoint', D.protocolAction(3, 7, ['v2Checkpoint'], ['v2Checkpoint']));
	await expectRowsOrError(`SELECT count(*)::text FROM ${SCHEMA}.v2_checkpoint WHERE id > 0`, [['10']], ['0A000'], /v2Checkpoint/, 'v2Checkpoint');
	/* a later commit that raises the protocol: old versions still read, the latest is refused */
	const t = await handTable('raised', D.protocolAction(1, 2));
	const f = await t.addFile({}, 'SELECT id::bigint AS id FROM generate_series(11, 12) id');
	t.commit([f], [], { protocol: D.protocolAction(3, 7, ['someFutureFeature'], ['someFutureFeature']) });
	await expectError(`SELECT * FROM ${SCHEMA}.raised`, ['0A000'], /someFutureFeature/, 'raised protocol');
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.raised, version => 0) x`), '10');
});

ctest('deletion vectors in use are refused by name (or applied), never ignored', async () => {
	const t = new D.HandTable(pgc, path.join(root, 'dv'), {
		fields: [{ name: 'id', type: 'long' }],
		protocol: D.protocolAction(3, 7, ['deletionVectors'], ['deletionVectors']),
		configuration: { 'delta.enableDeletionVectors': 'true' },
	});
	const f = await t.addFile({}, 'SELECT id::bigint AS id FROM generate_series(1, 10) id');
	t.commit([f]);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.dv (id bigint) SERVER ${SERVER} OPTIONS (path 'dv')`);
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.dv WHERE id > 0`), '10', 'enabled, not in use');
	/* an inline DV that would delete rows: the same file re-added with a deletionVector */
	const add = { ...f.add, deletionVector: { storageType: 'i', pathOrInlineDv: 'wi5b=000010000siXQKl0rr91000f55c8Xg0@@D72lkbi5=-{L', sizeInBytes: 40, cardinality: 6 } };
	t.commit([{ ...f, add }], [f.add.path], { operation: 'DELETE' });
	await expectRowsOrError(`SELECT count(*)::text FROM ${SCHEMA}.dv WHERE id > 0`, [['4']], ['0A000', 'XX001'], /deletionVectors|deletion vector/i, 'DV in use');
	/* count(*) from the log must not ignore the DV either (numRecords still says 10) */
	await expectRowsOrError(`SELECT count(*)::text FROM ${SCHEMA}.dv`, [['4']], ['0A000', 'XX001'], /deletionVectors|deletion vector/i, 'count(*) with a DV');
});

ctest('huge and negative sizes and record counts in add actions', async () => {
	const t = new D.HandTable(pgc, path.join(root, 'huge'), { fields: [{ name: 'id', type: 'long' }] });
	const a = await t.addFile({}, 'SELECT id::bigint AS id FROM generate_series(1, 10) id');
	const b = await t.addFile({}, 'SELECT id::bigint AS id FROM generate_series(11, 20) id');
	for (const x of [a, b])
	{
		x.add.size = 9223372036854775807;
		x.add.stats = JSON.stringify({ ...JSON.parse(x.add.stats), numRecords: 9223372036854775807 });
	}
	/* the JSON numbers as written (JSON.stringify would round 2^63 - 1) */
	t.commit([a, b]);
	const f = path.join(root, 'huge', '_delta_log', D.commitFileName(0));
	fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace(/9223372036854776000/g, '9223372036854775807'));
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.huge (id bigint) SERVER ${SERVER} OPTIONS (path 'huge')`);
	/* reading rows: the files are read by their real size */
	await expectRowsOrError(`SELECT count(*)::text, sum(id)::text FROM ${SCHEMA}.huge WHERE id > 0`, [['20', '210']], ['XX001'], /part-0000/, 'size past the file');

	const n = new D.HandTable(pgc, path.join(root, 'negative'), { fields: [{ name: 'id', type: 'long' }] });
	const c = await n.addFile({}, 'SELECT id::bigint AS id FROM generate_series(1, 10) id');
	c.add.size = -5;
	c.add.stats = JSON.stringify({ ...JSON.parse(c.add.stats), numRecords: -5 });
	n.commit([c]);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.negative (id bigint) SERVER ${SERVER} OPTIONS (path 'negative')`);
	await expectRowsOrError(`SELECT count(*)::text FROM ${SCHEMA}.negative`, [['10']], ['XX001'], /numRecords|negative|size|part-0000/i, 'negative numRecords');
	await expectRowsOrError(`SELECT count(*)::text FROM ${SCHEMA}.negative WHERE id > 0`, [['10']], ['XX001'], /size|part-0000/i, 'negative size');

	/* last (it fails today): count(*) from the log, 2 * (2^63 - 1) overflows; an error, or the true count */
	await expectRowsOrError(`SELECT count(*)::text FROM ${SCHEMA}.huge`, [['20']], ['XX001', '22003'], /numRecords|overflow|out of range|huge/i, 'sum of numRecords overflows');
});

ctest('a schemaString that is not a schema, a partition value that is not of its type', async () => {
	const t = new D.HandTable(pgc, path.join(root, 'badschema'), { fields: [{ name: 'id', type: 'long' }] });
	const f = await t.addFile({}, 'SELECT id::bigint AS id FROM generate_series(1, 3) id');
	const md = t.metaData();
	md.metaData.schemaString = '{"type":"struct","fields":[{"name":"id","type":{"type":"struct"}}';	/* truncated */
	t.commit([f], [], { metaData: md });
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.badschema (id bigint) SERVER ${SERVER} OPTIONS (path 'badschema')`);
	await expectError(`SELECT * FROM ${SCHEMA}.badschema`, CORRUPT, /schema|00000000000000000000\.json/i, 'truncated schemaString');

	const p = new D.HandTable(pgc, path.join(root, 'badpart'), { fields: [{ name: 'id', type: 'long' }, { name: 'n', type: 'integer' }], partitionColumns: ['n'] });
	const g = await p.addFile({ n: '7' }, 'SELECT id::bigint AS id FROM generate_series(1, 3) id');
	g.add.partitionValues = { n: 'seven' };
	p.commit([g]);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.badpart (id bigint, n integer) SERVER ${SERVER} OPTIONS (path 'badpart')`);
	await expectError(`SELECT * FROM ${SCHEMA}.badpart`, CORRUPT.concat(['22P02']), /seven/, 'partition value "seven" for an integer');
	/* a data file path that leaves the server's root through .. (a real Parquet file there) */
	const outside = L.makeFilesSubdir('delta_corrupt_outside');
	await pgc.query(`SELECT lakehouse.write_parquet('SELECT 42::bigint AS id', ${L.quoteLiteral(path.join(outside, 'secret.parquet'))})`);
	const e = new D.HandTable(pgc, path.join(root, 'escape'), { fields: [{ name: 'id', type: 'long' }] });
	const h = await e.addFile({}, 'SELECT id::bigint AS id FROM generate_series(1, 3) id');
	h.add.path = '../../delta_corrupt_outside/secret.parquet';
	e.commit([h]);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.escape (id bigint) SERVER ${SERVER} OPTIONS (path 'escape')`);
	const r = await L.pgTry(pgc, `SELECT * FROM ${SCHEMA}.escape WHERE id > 0`);
	assert.ok(!r.rows, `a data file outside the server's root must not be read: got ${JSON.stringify(r.rows)}`);
	assert.ok(!L.isConnectionLoss(r.error) && r.error.code !== 'XX000', L.describePgError(r.error));
	assert.match(D.errorText(r.error), /secret\.parquet|\.\./, 'the error names the path');
});

ctest('table paths that leave the server root: .., a symbolic link, a link swapped in after CREATE', async () => {
	/* a valid Delta table outside the root */
	const outsideRoot = L.makeFilesSubdir('delta_corrupt_outside_table');
	const t = new D.HandTable(pgc, path.join(outsideRoot, 'secret'), { fields: [{ name: 'id', type: 'long' }] });
	t.commit([await t.addFile({}, 'SELECT 7::bigint AS id')]);
	const refused = (r, label) => {
		assert.ok(!r.rows, `${label}: must not read a table outside the root, got ${JSON.stringify(r.rows)}`);
		assert.ok(!r.lost && !L.isConnectionLoss(r.error) && r.error.code !== 'XX000', `${label}: ${L.describePgError(r.error || r.lost)}`);
	};
	/* .. : refused when the table is created, or when it is read */
	const c = await L.pgTry(pgc, `CREATE FOREIGN TABLE ${SCHEMA}.dotdot (id bigint) SERVER ${SERVER} OPTIONS (path '../delta_corrupt_outside_table/secret')`);
	if (!c.error)
		refused(await L.pgTry(pgc, `SELECT * FROM ${SCHEMA}.dotdot`), '..');
	/* a symbolic link under the root to the table outside */
	fs.symlinkSync(path.join(outsideRoot, 'secret'), path.join(root, 'link_out'));
	const l = await L.pgTry(pgc, `CREATE FOREIGN TABLE ${SCHEMA}.link_out (id bigint) SERVER ${SERVER} OPTIONS (path 'link_out')`);
	if (!l.error)
		refused(await L.pgTry(pgc, `SELECT * FROM ${SCHEMA}.link_out`), 'symbolic link');
	/* fine at CREATE time, then the directory is swapped for a link: the scan checks again */
	const inside = new D.HandTable(pgc, path.join(root, 'swapped'), { fields: [{ name: 'id', type: 'long' }] });
	inside.commit([await inside.addFile({}, 'SELECT 1::bigint AS id')]);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.swapped (id bigint) SERVER ${SERVER} OPTIONS (path 'swapped')`);
	assert.equal(await L.pgValue(pgc, `SELECT id::text FROM ${SCHEMA}.swapped`), '1');
	fs.renameSync(path.join(root, 'swapped'), path.join(root, 'swapped_old'));
	fs.symlinkSync(path.join(outsideRoot, 'secret'), path.join(root, 'swapped'));
	refused(await L.pgTry(pgc, `SELECT * FROM ${SCHEMA}.swapped`), 'swapped for a link after CREATE');
	refused(await L.pgTry(pgc, `SELECT count(*) FROM ${SCHEMA}.swapped`), 'swapped, count(*)');
});
