/*
 * maintenance.test.mjs
 *	  Table maintenance (src/optimize.c, src/maintenance.c) checked against
 *	  an independent reader: the _delta_log replayed here (write_lib.mjs
 *	  replay(): JSON commits, and the checkpoints read with DuckDB), the
 *	  active files read by DuckDB, rows captured before each operation.
 *
 *	  - OPTIMIZE after 300 small INSERT transactions: file count cut at least
 *	    tenfold, the same answers to a full scan, per-sensor aggregates, a
 *	    range of timestamps and count(*); DuckDB over the active files (JSON
 *	    replay and checkpoint) returns the same rows; the commit holds only
 *	    add / remove with dataChange false and commitInfo OPTIMIZE.
 *	  - Z-order with small files: Files Scanned of one sensor over one hour,
 *	    one sensor, one hour, against the files whose rows match (DuckDB) and
 *	    the files the log's statistics allow, compared with the same rows
 *	    compacted without Z-order.
 *	  - OPTIMIZE racing with appends from two sessions (and with a second
 *	    OPTIMIZE): no row lost or doubled, contiguous versions, the outcome
 *	    of each OPTIMIZE (committed or 40001), what it removed exactly the
 *	    files of its read version, no file left by the one that failed.
 *	  - VACUUM with the retention window starting between two versions:
 *	    time travel inside it intact, older versions an error, the files
 *	    deleted exactly those no retained version references (computed
 *	    here), dry_run deletes nothing, the retention check (22023).
 *	  - RESTORE by version and by timestamp after appends and an OPTIMIZE:
 *	    the rows of that version, the commit Spark would write, replay and
 *	    DuckDB agree; restoring a vacuumed version fails naming the file.
 *	  - The pipeline worker's scheduled OPTIMIZE of Silver and Gold
 *	    (lakehouse.optimize_interval): each OPTIMIZE changes no row and cuts
 *	    the files; Silver's files fewer.  Gold overwrites the dates it
 *	    touches (one file each), so its OPTIMIZE (small files only) never
 *	    has anything to do: checked as that invariant.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as W from './write_lib.mjs';
import * as D from './delta_lib.mjs';
import * as P from './pipeline_lib.mjs';

const SCHEMA = 'maint';
const SERVER = 'maint_srv';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const COLS = [W.column('sensor_id', 'integer'), W.column('ts', 'timestamptz'),
	W.column('temperature', 'double precision'), W.column('humidity', 'double precision'), W.column('d', 'date')];

let pgc;
let duck;
let root;
let watch;
const figures = [];	/* measured figures, printed at the end */

function note(s)
{
	figures.push(s);
	console.log(s);
}

before(async () => {
	pgc = await L.pgConnect({ name: 'maintenance', timezone: 'UTC' });
	duck = await L.duckConnect();
	root = await W.setupServer(pgc, { schema: SCHEMA, server: SERVER, dirName: 'maintenance' });
	watch = D.watchServer();
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
	if (figures.length)
		console.log(`figures:\n  ${figures.join('\n  ')}`);
});

/* ------------------------------------------------------------ helpers --- */

/* A Delta foreign table of COLS partitioned by d, created by its first INSERT. */
async function makeTable(name)
{
	const rel = await W.createLakeTable(pgc, { schema: SCHEMA, server: SERVER, name, cols: COLS, options: "partition_by 'd'" });
	return { rel, dir: path.join(root, name) };
}

/*
 * SELECT of generated readings k = lo .. hi (SQL expressions): sensor
 * 1000 + k % sensors, one reading every stepMs from base, d the UTC date.
 */
function gen(lo, hi, { stepMs = 3600, sensors = 48, base = '2024-05-01 00:00+00' } = {})
{
	return `SELECT 1000 + k % ${sensors} AS sensor_id, ts, ((k * 31) % 400) / 10.0 - 5 AS temperature,
			((k * 13) % 1000) / 10.0 AS humidity, (ts AT TIME ZONE 'UTC')::date AS d
		FROM (SELECT k, timestamptz '${base}' + k * interval '${stepMs} milliseconds' AS ts
			  FROM generate_series(${lo}, ${hi}) k) s`;
}

/* The rows of a query as their text, sorted (PostgreSQL against PostgreSQL). */
async function textRows(sql)
{
	return (await L.pgRows(pgc, `SELECT q::text FROM (${sql}) q ORDER BY 1`)).map((r) => r[0]);
}

async function asOfText(rel, v)
{
	return textRows(`SELECT * FROM lakehouse.as_of(NULL::${rel}, version => ${v})`);
}

/* The same rows, compared without printing 10^4 lines. */
function assertSameText(actual, expected, label)
{
	if (actual.length === expected.length && actual.every((r, i) => r === expected[i]))
		return;
	const a = new Set(actual);
	const e = new Set(expected);
	const missing = expected.filter((r) => !a.has(r)).slice(0, 5);
	const extra = actual.filter((r) => !e.has(r)).slice(0, 5);
	assert.fail(`${label}: ${actual.length} rows, expected ${expected.length}; missing ${JSON.stringify(missing)}; extra ${JSON.stringify(extra)}`);
}

/* Both relations hold the same multiset of rows (compared in the server). */
async function assertSameRelRows(a, b, label)
{
	const diff = await L.pgRows(pgc, `SELECT 'extra' AS side, x::text FROM (SELECT * FROM ${a} EXCEPT ALL SELECT * FROM ${b}) x
		UNION ALL SELECT 'missing', x::text FROM (SELECT * FROM ${b} EXCEPT ALL SELECT * FROM ${a}) x LIMIT 10`);
	assert.deepEqual(diff, [], `${label}: rows of ${a} against ${b}`);
}

/* The snapshot of a version replayed from the JSON commits alone (no checkpoint): .files maps path -> add. */
async function activeFiles(dir, v)
{
	return W.replay(duck, dir, v, { useCheckpoint: false });
}

function commitInfoOf(dir, v)
{
	const ci = W.readCommit(dir, v).find((a) => a.commitInfo);
	assert.ok(ci, `commit ${v} of ${dir} has a commitInfo`);
	return ci.commitInfo;
}

function sortedKeys(map)
{
	return [...map.keys()].sort();
}

/* "Files Scanned" and "Files Total" of EXPLAIN ANALYZE sql. */
async function filesScanned(sql)
{
	const node = D.deltaScanNode(await D.explainJson(pgc, sql, { analyze: true }));
	return { scanned: D.numProp(node, 'Files Scanned'), total: D.numProp(node, 'Files Total') };
}

/* A DuckDB table of a snapshot's rows, each with the path of its file. */
async function duckLoad(name, dir, snap)
{
	await duck.run(`CREATE OR REPLACE TABLE ${name} (sensor_id INTEGER, ts TIMESTAMPTZ, temperature DOUBLE,
		humidity DOUBLE, d DATE, file VARCHAR)`);
	for (const add of snap.files.values())
		await duck.run(`INSERT INTO ${name} SELECT sensor_id, ts, temperature, humidity,
			CAST(${L.quoteLiteral(add.partitionValues.d)} AS DATE), ${L.quoteLiteral(add.path)}
			FROM read_parquet(${L.quoteLiteral(W.addFile(dir, add))})`);
}

/* Every regular file under a table directory (names starting with _ or . skipped), relative. */
function walkData(dir, rel = '')
{
	const out = [];
	for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true }))
	{
		if (e.name.startsWith('_') || e.name.startsWith('.'))
			continue;
		const r = rel ? `${rel}/${e.name}` : e.name;
		if (e.isDirectory())
			out.push(...walkData(dir, r));
		else if (e.isFile())
			out.push(r);
	}
	return out.sort();
}

/* ---------------------------------------------------- 1. compaction ---- */

test('OPTIMIZE after 300 small INSERT transactions: files cut tenfold, same rows, a dataChange-free commit', async () => {
	const { rel, dir } = await makeTable('compact');
	const shadow = `${SCHEMA}.compact_shadow`;
	await pgc.query(`CREATE TABLE ${shadow} (${W.columnsSql(COLS)})`);
	const ROWS = 50;
	const TXNS = 300;
	const g = (lo, hi) => gen(lo, hi, { stepMs: 17000 });
	/* 300 transactions of 50 readings, 17 s apart: 3 days; every 5th in two statements */
	await pgc.query(`DO $$
		BEGIN
			FOR i IN 0..${TXNS - 1} LOOP
				IF i % 5 = 0 THEN
					INSERT INTO ${rel} ${g(`i * ${ROWS}`, `i * ${ROWS} + 19`)};
					INSERT INTO ${rel} ${g(`i * ${ROWS} + 20`, `i * ${ROWS} + ${ROWS - 1}`)};
				ELSE
					INSERT INTO ${rel} ${g(`i * ${ROWS}`, `i * ${ROWS} + ${ROWS - 1}`)};
				END IF;
				INSERT INTO ${shadow} ${g(`i * ${ROWS}`, `i * ${ROWS} + ${ROWS - 1}`)};
				COMMIT;
			END LOOP;
		END $$`);
	assert.deepEqual(W.logVersions(dir), [...Array(TXNS).keys()], `versions 0..${TXNS - 1}: one per transaction`);
	const beforeSnap = await activeFiles(dir, TXNS - 1);
	const nBefore = beforeSnap.files.size;
	assert.ok(nBefore >= TXNS, `at least one file per commit: ${nBefore}`);

	const queries = {
		'full scan': (r) => `SELECT * FROM ${r}`,
		'per sensor': (r) => `SELECT sensor_id, count(*), sum(temperature::numeric), min(temperature), max(temperature),
			sum(humidity::numeric), min(ts), max(ts), count(DISTINCT d) FROM ${r} GROUP BY sensor_id`,
		'range of timestamps': (r) => `SELECT * FROM ${r} WHERE ts >= '2024-05-02 06:00+00' AND ts < '2024-05-02 09:30+00'`,
		'count(*)': (r) => `SELECT count(*) FROM ${r}`,
		'count(*) of a day': (r) => `SELECT count(*) FROM ${r} WHERE d = '2024-05-03'`,
		'per day': (r) => `SELECT d, count(*), min(ts), max(ts) FROM ${r} GROUP BY d`,
	};
	const truth = {};
	const beforeRes = {};
	for (const [name, q] of Object.entries(queries))
	{
		truth[name] = await textRows(q(shadow));
		beforeRes[name] = await textRows(q(rel));
		assertSameText(beforeRes[name], truth[name], `before OPTIMIZE, ${name}: the heap table's answer`);
	}
	assert.deepEqual(truth['count(*)'], [`(${TXNS * ROWS})`]);
	assert.equal(truth['per day'].length, 3, 'three days of readings');

	const [res] = (await pgc.query(`SELECT * FROM lakehouse.optimize('${rel}')`)).rows;
	const v = TXNS;
	assert.equal(Number(res.version), v, `OPTIMIZE committed version ${v}: ${JSON.stringify(res)}`);
	assert.deepEqual(W.logVersions(dir), [...Array(TXNS + 1).keys()], 'one new version');

	const afterSnap = await activeFiles(dir, v);
	const nAfter = afterSnap.files.size;
	note(`compaction: ${nBefore} files after ${TXNS} commits -> ${nAfter} after OPTIMIZE`);
	assert.ok(nAfter * 10 <= nBefore, `the file count drops at least tenfold: ${nBefore} -> ${nAfter}`);
	assert.equal(Number(res.files_removed), nBefore, 'files_removed: every small file');
	assert.equal(Number(res.files_added), nAfter, 'files_added: the active files that are new');
	assert.equal(Number(res.rows), TXNS * ROWS, 'rows rewritten');
	assert.equal(Number(res.partitions), 3, 'partitions');
	const bytesRemoved = [...beforeSnap.files.values()].reduce((s, a) => s + a.size, 0);
	const bytesAdded = [...afterSnap.files.values()].reduce((s, a) => s + a.size, 0);
	assert.equal(Number(res.bytes_removed), bytesRemoved, 'bytes_removed: the sizes the log gives');
	assert.equal(Number(res.bytes_added), bytesAdded, 'bytes_added: the sizes the log gives');

	for (const [name, q] of Object.entries(queries))
		assertSameText(await textRows(q(rel)), beforeRes[name], `after OPTIMIZE, ${name}: the same answer as before`);
	/* count(*) from the log's statistics: the new adds' numRecords */
	const plan = await D.explainJson(pgc, `SELECT count(*) FROM ${rel}`, { analyze: true });
	assert.equal(D.numProp(D.deltaScanNode(plan), 'Files Total'), nAfter, 'EXPLAIN: Files Total is the replayed count');

	/* the commit: add / remove without dataChange, commitInfo OPTIMIZE */
	const actions = W.readCommit(dir, v);
	for (const a of actions)
		assert.ok(a.add || a.remove || a.commitInfo, `OPTIMIZE commit holds only add, remove, commitInfo: ${JSON.stringify(a).slice(0, 300)}`);
	const adds = actions.filter((a) => a.add).map((a) => a.add);
	const removes = actions.filter((a) => a.remove).map((a) => a.remove);
	for (const a of adds)
		assert.strictEqual(a.dataChange, false, `add ${a.path}: dataChange false`);
	for (const r of removes)
	{
		assert.strictEqual(r.dataChange, false, `remove ${r.path}: dataChange false`);
		const was = beforeSnap.files.get(r.path);
		assert.ok(was, `remove ${r.path}: a file active at version ${v - 1}`);
		assert.equal(r.size, was.size, `remove ${r.path}: its size`);
		assert.deepEqual(r.partitionValues, was.partitionValues, `remove ${r.path}: its partition values`);
		assert.equal(typeof r.deletionTimestamp, 'number', `remove ${r.path}: deletionTimestamp`);
	}
	assert.deepEqual(removes.map((r) => r.path).sort(), sortedKeys(beforeSnap.files), 'removes: every file active before');
	assert.deepEqual(adds.map((a) => a.path).sort(), sortedKeys(afterSnap.files), 'adds: every file active after');
	let records = 0;
	for (const a of adds)
	{
		assert.ok(fs.existsSync(W.addFile(dir, a)), `add ${a.path} exists`);
		assert.equal(a.size, fs.statSync(W.addFile(dir, a)).size, `add ${a.path}: size`);
		records += JSON.parse(a.stats).numRecords;
		W.checkPartitionPath(a, ['d'], 'optimize');
	}
	assert.equal(records, TXNS * ROWS, 'the adds\' numRecords add up to every row');
	const ci = commitInfoOf(dir, v);
	assert.equal(ci.operation, 'OPTIMIZE', 'commitInfo.operation');
	assert.strictEqual(ci.isBlindAppend, false, `commitInfo.isBlindAppend false: ${JSON.stringify(ci)}`);
	assert.strictEqual(ci.readVersion, v - 1, `commitInfo.readVersion: ${JSON.stringify(ci)}`);
	assert.deepEqual(ci.operationParameters, { predicate: '[]', zOrderBy: '[]' }, 'commitInfo.operationParameters');
	assert.equal(Number(ci.operationMetrics.numRemovedFiles), nBefore, `operationMetrics: ${JSON.stringify(ci.operationMetrics)}`);

	/* DuckDB over the active files: the JSON replay, and the checkpoint of version 300 */
	const pgCanon = await W.pgRowsCanon(pgc, rel, COLS);
	L.assertRowsEqual(await W.duckSnapshotRows(duck, dir, afterSnap, COLS), pgCanon, COLS,
		'DuckDB over the active files of the JSON replay vs PostgreSQL');
	assert.ok(W.checkpointVersions(dir).includes(v), `a checkpoint at version ${v} (every 10 commits): ${W.checkpointVersions(dir)}`);
	const cpSnap = await W.replay(duck, dir, v);
	assert.equal(cpSnap.usedCheckpoint, v, 'the replay started from the checkpoint');
	assert.deepEqual(sortedKeys(cpSnap.files), sortedKeys(afterSnap.files), 'the checkpoint holds the active files of the JSON replay');
	L.assertRowsEqual(await W.duckSnapshotRows(duck, dir, cpSnap, COLS), pgCanon, COLS,
		'DuckDB over the active files of the checkpoint vs PostgreSQL');

	/* time travel before the OPTIMIZE still reads the old files */
	assertSameText(await asOfText(rel, v - 1), truth['full scan'], `as_of version ${v - 1}`);
	watch('compaction');
});

/* ------------------------------------------------------- 2. Z-order ---- */

function sortCanon(rows)
{
	return rows.map((r) => r.join('\u0001')).sort(L.compareBytes).map((s) => s.split('\u0001'));
}

/* Whether the statistics of an add allow rows of { sensor, from, to, day } (each optional). */
function statsAllow(add, { sensor, fromUs, toUs, day })
{
	const st = JSON.parse(add.stats);
	if (day !== undefined && add.partitionValues.d !== day)
		return false;
	if (sensor !== undefined && (st.minValues.sensor_id > sensor || st.maxValues.sensor_id < sensor))
		return false;
	if (fromUs !== undefined && W.isoToMicros(st.maxValues.ts) < fromUs)
		return false;
	if (toUs !== undefined && W.isoToMicros(st.minValues.ts) >= toUs)
		return false;
	return true;
}

test('OPTIMIZE ZORDER BY (sensor_id, ts) with 8kB files: one sensor over one hour reads a tenth of the files, unlike plain compaction', async () => {
	const z = await makeTable('zorder');
	const p = await makeTable('plain');
	const truth = `${SCHEMA}.zorder_truth`;
	const COMMITS = 300;
	const ROWS = 160;
	await pgc.query(`CREATE TABLE ${truth} AS ${gen(0, COMMITS * ROWS - 1)}`);
	/*
	 * 300 commits of 160 readings 3.6 s apart (48 sensors in turn): two
	 * days, 150 commits each; the second table is a copy of the first
	 */
	await pgc.query(`DO $$
		BEGIN
			FOR i IN 0..${COMMITS - 1} LOOP
				INSERT INTO ${z.rel} ${gen(`i * ${ROWS}`, `i * ${ROWS} + ${ROWS - 1}`)};
				COMMIT;
			END LOOP;
		END $$`);
	fs.cpSync(z.dir, p.dir, { recursive: true });
	L.shareWithServer(p.dir);
	assert.equal((await activeFiles(z.dir, COMMITS - 1)).files.size, COMMITS, 'one file per commit');
	assert.ok([...(await activeFiles(z.dir, COMMITS - 1)).files.values()].every((a) => a.size < 6144),
		'every file is below 3/4 of 8kB: plain compaction takes them all');

	let zres;
	let pres;
	await pgc.query("SET lakehouse.target_file_size = '8kB'");
	await pgc.query('SET lakehouse.parquet_row_group_rows = 250');
	try
	{
		[zres] = (await pgc.query(`SELECT * FROM lakehouse.optimize('${z.rel}', ARRAY['sensor_id', 'ts'])`)).rows;
		[pres] = (await pgc.query(`SELECT * FROM lakehouse.optimize('${p.rel}')`)).rows;
	}
	finally
	{
		await pgc.query('RESET lakehouse.target_file_size');
		await pgc.query('RESET lakehouse.parquet_row_group_rows');
	}
	assert.deepEqual([zres.version, zres.files_removed, zres.rows, zres.partitions].map(Number), [COMMITS, COMMITS, COMMITS * ROWS, 2],
		`Z-order: version, files removed, rows, partitions: ${JSON.stringify(zres)}`);
	assert.deepEqual([pres.version, pres.files_removed, pres.rows, pres.partitions].map(Number), [COMMITS, COMMITS, COMMITS * ROWS, 2],
		`plain compaction: version, files removed, rows, partitions: ${JSON.stringify(pres)}`);
	const zci = commitInfoOf(z.dir, COMMITS);
	assert.deepEqual(zci.operationParameters, { predicate: '[]', zOrderBy: '["sensor_id","ts"]' }, 'Z-order operationParameters');

	const zsnap = await activeFiles(z.dir, COMMITS);
	const psnap = await activeFiles(p.dir, COMMITS);
	assert.equal(Number(zres.files_added), zsnap.files.size, 'files_added: the replayed count');
	assert.ok(zsnap.files.size >= 50, `small target files: 50+ files after Z-ordering (${zsnap.files.size})`);
	assert.ok(psnap.files.size >= 50, `small target files: 50+ files after plain compaction (${psnap.files.size})`);

	/* every row once in both */
	await assertSameRelRows(z.rel, truth, 'Z-ordered table: every row once');
	await assertSameRelRows(p.rel, truth, 'compacted table: every row once');
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${z.rel}`), String(COMMITS * ROWS), 'Z-ordered table: count(*)');

	await duckLoad('zt', z.dir, zsnap);
	await duckLoad('pt', p.dir, psnap);
	const H0 = '2024-05-02 13:00:00+00';
	const H1 = '2024-05-02 14:00:00+00';
	const h0us = W.isoToMicros(H0.replace(' ', 'T').replace('+00', 'Z'));
	const h1us = W.isoToMicros(H1.replace(' ', 'T').replace('+00', 'Z'));
	const hour = `ts >= TIMESTAMPTZ '${H0}' AND ts < TIMESTAMPTZ '${H1}'`;
	const preds = {
		'one sensor over one hour': { sql: `sensor_id = 1007 AND ${hour}`, stats: { sensor: 1007, fromUs: h0us, toUs: h1us } },
		'one sensor': { sql: 'sensor_id = 1007', stats: { sensor: 1007 } },
		'one hour': { sql: hour, stats: { fromUs: h0us, toUs: h1us } },
	};
	const dayFiles = (snap) => [...snap.files.values()].filter((a) => a.partitionValues.d === '2024-05-02').length;
	const got = {};
	for (const [tname, t, snap, dt] of [['zorder', z, zsnap, 'zt'], ['plain', p, psnap, 'pt']])
	{
		got[tname] = {};
		for (const [pname, pr] of Object.entries(preds))
		{
			const label = `${tname}, ${pname}`;
			const { scanned, total } = await filesScanned(`SELECT * FROM ${t.rel} WHERE ${pr.sql}`);
			assert.equal(total, snap.files.size, `${label}: Files Total is the replayed count`);
			const matching = Number(await duck.value(`SELECT count(DISTINCT file) FROM ${dt} WHERE ${pr.sql}`));
			const allowed = [...snap.files.values()].filter((a) => statsAllow(a, pr.stats)).length;
			assert.ok(matching > 0, `${label}: some rows match`);
			assert.ok(matching <= scanned && scanned <= allowed,
				`${label}: files holding matching rows (${matching}) <= Files Scanned (${scanned}) <= files the log's statistics allow (${allowed})`);
			got[tname][pname] = { scanned, total, matching, allowed };
			note(`${label}: Files Scanned ${scanned} of ${total} (matching rows in ${matching}, statistics allow ${allowed}; ${dayFiles(snap)} files that day)`);

			/* the same rows as DuckDB over the same files, and as the truth */
			const pgRows = sortCanon(await L.pgCanonRows(pgc, `(SELECT * FROM ${t.rel} WHERE ${pr.sql}) x`, COLS));
			const dRows = sortCanon(L.canonRows(await duck.rows(`SELECT ${L.duckSelectList(COLS)} FROM ${dt} WHERE ${pr.sql}`), COLS));
			L.assertRowsEqual(pgRows, dRows, COLS, `${label}: PostgreSQL vs DuckDB over the active files`);
			const tRows = sortCanon(await L.pgCanonRows(pgc, `(SELECT * FROM ${truth} WHERE ${pr.sql}) x`, COLS));
			L.assertRowsEqual(pgRows, tRows, COLS, `${label}: PostgreSQL vs the generated rows`);
		}
	}
	const zg = got.zorder;
	const pg_ = got.plain;
	assert.ok(zg['one sensor over one hour'].scanned * 10 <= zg['one sensor over one hour'].total,
		`Z-order: one sensor over one hour reads at most a tenth of the files (${JSON.stringify(zg['one sensor over one hour'])})`);
	assert.ok(zg['one sensor over one hour'].scanned * 5 <= dayFiles(zsnap),
		`Z-order: one sensor over one hour reads at most a fifth of that day's ${dayFiles(zsnap)} files`);
	assert.ok(zg['one sensor'].scanned < zg['one sensor'].total, `Z-order: one sensor alone skips files (${JSON.stringify(zg['one sensor'])})`);
	assert.ok(zg['one hour'].scanned < dayFiles(zsnap), `Z-order: one hour alone skips files of its day (${JSON.stringify(zg['one hour'])})`);
	assert.ok(pg_['one sensor'].scanned * 10 >= pg_['one sensor'].total * 9,
		`plain compaction: one sensor reads (nearly) every file (${JSON.stringify(pg_['one sensor'])})`);
	assert.ok(zg['one sensor'].scanned * 2 <= pg_['one sensor'].scanned,
		`one sensor: Z-order reads at most half the files plain compaction does (${zg['one sensor'].scanned} vs ${pg_['one sensor'].scanned})`);
	assert.ok(zg['one sensor over one hour'].scanned < pg_['one sensor over one hour'].scanned,
		`one sensor over one hour: Z-order reads fewer files than plain compaction (${zg['one sensor over one hour'].scanned} vs ${pg_['one sensor over one hour'].scanned})`);

	/* "where" selects partitions: Z-order day 1 of the plain table only */
	const pv = W.latestVersion(p.dir);
	const [wres] = (await pgc.query(`SELECT * FROM lakehouse.optimize('${p.rel}', ARRAY['sensor_id', 'ts'], $$d = '2024-05-01'$$)`)).rows;
	assert.deepEqual([wres.version, wres.partitions].map(Number), [pv + 1, 1], `OPTIMIZE with "where": one partition: ${JSON.stringify(wres)}`);
	const wactions = W.readCommit(p.dir, pv + 1);
	const day1 = [...psnap.files.values()].filter((a) => a.partitionValues.d === '2024-05-01').map((a) => a.path).sort();
	assert.deepEqual(wactions.filter((a) => a.remove).map((a) => a.remove.path).sort(), day1, '"where": removes exactly the files of the partition');
	assert.ok(wactions.filter((a) => a.add).every((a) => a.add.partitionValues.d === '2024-05-01'), '"where": adds only to that partition');
	assert.deepEqual(commitInfoOf(p.dir, pv + 1).operationParameters,
		{ predicate: JSON.stringify(["d = '2024-05-01'"]), zOrderBy: '["sensor_id","ts"]' }, '"where": operationParameters as Spark records them');
	await assertSameRelRows(p.rel, truth, 'after OPTIMIZE with "where": every row once');
	watch('zorder');
});

/* ---------------------------------------------- 3. OPTIMIZE and appends - */

const RACE_DAY = '2024-05-02 00:00:00+00';

/* count, sums and distinct keys of rows: the same in both engines when the rows are */
function fingerprintPg(rel, where)
{
	return `SELECT count(*)::text, sum((extract(epoch FROM ts) * 1000)::bigint)::text,
		sum(round(temperature * 10)::bigint)::text, sum(round(humidity * 10)::bigint)::text,
		count(DISTINCT sensor_id::text || '/' || (extract(epoch FROM ts) * 1000)::bigint::text)::text,
		sum(d - DATE '1970-01-01')::text, sum(sensor_id::bigint)::text FROM ${rel} WHERE ${where}`;
}

function fingerprintDuck(table, where)
{
	return `SELECT count(*)::varchar, sum(epoch_ms(ts))::varchar,
		sum(round(temperature * 10)::BIGINT)::varchar, sum(round(humidity * 10)::BIGINT)::varchar,
		count(DISTINCT sensor_id::varchar || '/' || epoch_ms(ts)::varchar)::varchar,
		sum(d - DATE '1970-01-01')::varchar, sum(sensor_id::BIGINT)::varchar FROM ${table} WHERE ${where}`;
}

/*
 * Append in a loop until state.stop (and at least 3 transactions): kind
 * 'single' one-row autocommit INSERTs (sensor 2001), 'multi' transactions
 * of two statements and 5 rows (sensor 2002).  Keys: "sensor/offset ms"
 * from RACE_DAY; offsets unique per round.
 */
async function appender(c, rel, kind, round, state, delayMs)
{
	const out = { keys: [], txns: 0, errors: [] };
	if (delayMs)
		await sleep(delayMs);
	for (let seq = 1; !state.stop || seq <= 3; seq++)
	{
		const off = round * 1000000 + seq * 10;
		const ts = (k) => `timestamptz '${RACE_DAY}' + interval '${off + k} milliseconds'`;
		try
		{
			if (kind === 'single')
			{
				await c.query(`INSERT INTO ${rel} VALUES (2001, ${ts(0)}, ${seq % 50}, 0, DATE '2024-05-02')`);
				out.keys.push(`2001/${off}`);
			}
			else
			{
				await c.query('BEGIN');
				await c.query(`INSERT INTO ${rel} VALUES (2002, ${ts(0)}, ${seq % 50}, 0, DATE '2024-05-02'),
					(2002, ${ts(1)}, ${seq % 50}, 1, DATE '2024-05-02'), (2002, ${ts(2)}, ${seq % 50}, 2, DATE '2024-05-02')`);
				await c.query(`INSERT INTO ${rel} SELECT 2002, timestamptz '${RACE_DAY}' + (${off} + k) * interval '1 millisecond',
					${seq % 50}, k, DATE '2024-05-02' FROM generate_series(3, 4) k`);
				await c.query('COMMIT');
				for (let k = 0; k < 5; k++)
					out.keys.push(`2002/${off + k}`);
			}
			out.txns++;
		}
		catch (e)
		{
			out.errors.push(`${kind} ${seq}: ${L.describePgError(e)}`);
			await c.query('ROLLBACK').catch(() => {});
		}
	}
	return out;
}

test('OPTIMIZE ZORDER BY racing with appends from two sessions, 4 rounds: every row once, contiguous versions', async () => {
	const { rel, dir } = await makeTable('race');
	const PRELOAD = 300000;
	await pgc.query(`INSERT INTO ${rel} ${gen(0, PRELOAD - 1, { stepMs: 1000 })}`);
	const preload = (await L.pgRows(pgc, fingerprintPg(rel, 'sensor_id < 2000')))[0];
	assert.equal(preload[0], String(PRELOAD));
	const sessions = [];
	for (const name of ['opt1', 'opt2', 'single', 'multi'])
		sessions.push(await L.pgConnect({ name: `race-${name}`, timezone: 'UTC' }));
	const [opt1, opt2, single, multi] = sessions;
	const rounds = [
		{ name: 'appends and OPTIMIZE start together', optDelay: 0, appDelay: 0, optimizers: [opt1] },
		{ name: 'appends first, OPTIMIZE 300 ms later', optDelay: 300, appDelay: 0, optimizers: [opt1] },
		{ name: 'OPTIMIZE first, appends 200 ms later', optDelay: 0, appDelay: 200, optimizers: [opt1] },
		{ name: 'two OPTIMIZEs at once, with appends', optDelay: 0, appDelay: 0, optimizers: [opt1, opt2] },
	];
	const expected = [];	/* every appended key so far */
	try
	{
		for (let r = 0; r < rounds.length; r++)
		{
			const round = rounds[r];
			const label = `round ${r + 1} (${round.name})`;
			const vStart = W.latestVersion(dir);
			const state = { stop: false };
			const apps = [appender(single, rel, 'single', r, state, round.appDelay),
				appender(multi, rel, 'multi', r, state, round.appDelay)];
			const outcomes = await Promise.all(round.optimizers.map(async (c) => {
				await sleep(round.optDelay);
				const t = Date.now();
				try
				{
					const [row] = (await c.query(`SELECT * FROM lakehouse.optimize('${rel}', ARRAY['sensor_id', 'ts'])`)).rows;
					return { version: Number(row.version), ms: Date.now() - t, row };
				}
				catch (e)
				{
					return { error: e, ms: Date.now() - t };
				}
			}));
			state.stop = true;
			const appended = await Promise.all(apps);
			assert.deepEqual(appended.flatMap((a) => a.errors), [], `${label}: appends never fail`);
			const txns = appended.reduce((s, a) => s + a.txns, 0);
			for (const a of appended)
				expected.push(...a.keys);

			/* each OPTIMIZE committed, or failed with 40001 */
			const committed = outcomes.filter((o) => !o.error);
			for (const o of outcomes)
				if (o.error)
					assert.equal(o.error.code, '40001', `${label}: an OPTIMIZE that fails is a serialization failure: ${L.describePgError(o.error)}`);
			if (round.optimizers.length === 1)
				assert.equal(committed.length, 1, `${label}: appends do not conflict with OPTIMIZE: ${outcomes.map((o) => o.error ? L.describePgError(o.error) : 'committed').join('; ')}`);
			else
				assert.ok(committed.length >= 1, `${label}: one of two OPTIMIZEs commits`);

			/* contiguous versions: one per append transaction and per OPTIMIZE committed */
			const latest = W.latestVersion(dir);
			assert.deepEqual(W.logVersions(dir), [...Array(latest + 1).keys()], `${label}: versions 0..${latest} with no gap`);
			assert.equal(latest - vStart, txns + committed.length,
				`${label}: ${txns} append transactions and ${committed.length} OPTIMIZE made the new versions`);

			/* each new commit: an append, or the OPTIMIZE that removed exactly the files of its read version */
			const optVersions = committed.map((o) => o.version).sort((a, b) => a - b);
			const writeAdds = new Map();	/* version -> adds */
			const report = [];
			for (let v = vStart + 1; v <= latest; v++)
			{
				const actions = W.readCommit(dir, v);
				const ci = actions.find((a) => a.commitInfo).commitInfo;
				if (ci.operation === 'WRITE')
				{
					assert.ok(!actions.some((a) => a.remove || a.metaData), `${label}: append ${v} only adds`);
					assert.ok(actions.filter((a) => a.add).every((a) => a.add.dataChange === true), `${label}: append ${v}: dataChange true`);
					writeAdds.set(v, actions.filter((a) => a.add).map((a) => a.add.path));
					continue;
				}
				assert.equal(ci.operation, 'OPTIMIZE', `${label}: version ${v} is an append or the OPTIMIZE`);
				assert.ok(optVersions.includes(v), `${label}: OPTIMIZE at version ${v} is the one a session reported (${optVersions})`);
				const R = ci.readVersion;
				assert.ok(Number.isInteger(R) && R >= vStart && R < v, `${label}: readVersion ${R} of OPTIMIZE ${v}`);
				const atR = await activeFiles(dir, R);
				const removes = actions.filter((a) => a.remove).map((a) => a.remove);
				assert.deepEqual(removes.map((x) => x.path).sort(), sortedKeys(atR.files),
					`${label}: OPTIMIZE ${v} removes exactly the files of its read version ${R}`);
				assert.ok(removes.every((x) => x.dataChange === false) &&
					actions.filter((a) => a.add).every((a) => a.add.dataChange === false), `${label}: OPTIMIZE ${v}: dataChange false`);
				report.push(`OPTIMIZE read ${R}, committed ${v} (${v - R - 1} commits landed in between)`);
			}
			if (optVersions.length === 2)
			{
				/* both committed: the second must have read what the first wrote */
				const ci2 = commitInfoOf(dir, optVersions[1]);
				assert.ok(ci2.readVersion >= optVersions[0],
					`${label}: two OPTIMIZEs both committed, the second (${optVersions[1]}) read version ${ci2.readVersion} before the first committed at ${optVersions[0]}`);
			}
			/* an append's file stays active unless an OPTIMIZE read it (then it removed it, as checked) */
			const final = await activeFiles(dir, latest);
			const readVersions = optVersions.map((o) => commitInfoOf(dir, o).readVersion);
			for (const [v, paths] of writeAdds)
				for (const pth of paths)
					assert.ok(final.files.has(pth) || readVersions.some((rv) => rv >= v),
						`${label}: the file of append ${v} is still active (${pth})`);
			note(`race ${label}: ${txns} append transactions; ${outcomes.map((o) => o.error ? `OPTIMIZE failed ${o.error.code} after ${o.ms} ms` : `OPTIMIZE committed ${o.version} after ${o.ms} ms`).join(', ')}; ${report.join('; ')}`);

			/* every appended row exactly once, the preloaded rows intact: PostgreSQL and DuckDB */
			const pgKeys = (await L.pgRows(pgc, `SELECT sensor_id::text || '/' ||
				(extract(epoch FROM ts - timestamptz '${RACE_DAY}') * 1000)::bigint::text FROM ${rel} WHERE sensor_id > 2000`)).map((x) => x[0]).sort();
			assert.deepEqual(pgKeys, [...expected].sort(), `${label}: every appended row once (PostgreSQL)`);
			assert.deepEqual((await L.pgRows(pgc, fingerprintPg(rel, 'sensor_id < 2000')))[0], preload, `${label}: the preloaded rows (PostgreSQL)`);
			await duckLoad('race', dir, final);
			const dKeys = (await duck.rows(`SELECT sensor_id::varchar || '/' || (epoch_ms(ts) - epoch_ms(TIMESTAMPTZ '${RACE_DAY}'))::varchar
				FROM race WHERE sensor_id > 2000`)).map((x) => x[0]).sort();
			assert.deepEqual(dKeys, [...expected].sort(), `${label}: every appended row once (DuckDB over the active files)`);
			assert.deepEqual((await duck.rows(fingerprintDuck('race', 'sensor_id < 2000')))[0], preload, `${label}: the preloaded rows (DuckDB)`);
			assert.deepEqual((await duck.rows(fingerprintDuck('race', 'sensor_id > 2000')))[0],
				(await L.pgRows(pgc, fingerprintPg(rel, 'sensor_id > 2000')))[0], `${label}: the appended rows, DuckDB vs PostgreSQL`);
		}
		/* the checkpoint agrees with the JSON commits */
		const latest = W.latestVersion(dir);
		/* an OPTIMIZE that failed (40001) leaves no data file behind, as a rolled-back write does */
		const ever = new Set();
		for (let v = 0; v <= latest; v++)
			for (const a of W.readCommit(dir, v))
				if (a.add)
					ever.add(decodeURIComponent(a.add.path));
		const orphans = walkData(dir).filter((f) => !ever.has(f));
		assert.deepEqual(orphans, [], 'every data file on disk was committed by some version');
		const viaCp = await W.replay(duck, dir, latest);
		assert.ok(viaCp.usedCheckpoint !== null, 'a checkpoint was written meanwhile');
		assert.deepEqual(sortedKeys(viaCp.files), sortedKeys((await activeFiles(dir, latest)).files), 'checkpoint + commits = JSON commits');
	}
	finally
	{
		for (const c of sessions)
			await W.closeQuietly(c);
	}
	watch('race');
});

/* ------------------------------------------------------------ 4. VACUUM - */

/* The commit timestamps (commitInfo.timestamp, ms) of versions 0..latest. */
function commitTimes(dir)
{
	return W.logVersions(dir).map((v) => commitInfoOf(dir, v).timestamp);
}

/*
 * What VACUUM with the window starting at cutoffMs must delete, computed
 * here: the files on disk (outside _ and . names) that no version from V0
 * (the latest committed at or before the cutoff) to the latest references,
 * last modified before the cutoff.
 */
async function expectedVacuum(dir, cutoffMs)
{
	const times = commitTimes(dir);
	const latest = times.length - 1;
	let v0 = 0;
	for (let v = 0; v <= latest; v++)
		if (times[v] <= cutoffMs)
			v0 = v;
	const referenced = new Set();
	for (let v = v0; v <= latest; v++)
		for (const p of (await activeFiles(dir, v)).files.keys())
			referenced.add(decodeURIComponent(p));
	const files = walkData(dir).filter((f) => !referenced.has(f) && fs.statSync(path.join(dir, f)).mtimeMs < cutoffMs);
	return { v0, files };
}

test('VACUUM: time travel inside the retention intact, older versions an error, exactly the unreferenced files deleted', async () => {
	const { rel, dir } = await makeTable('vac');
	const day = (k0, n, dayNo) => gen(k0, k0 + n - 1, { stepMs: 60000, base: `2024-05-0${dayNo} 00:00+00` });
	const steps = [
		`INSERT INTO ${rel} ${day(0, 50, 1)} UNION ALL ${day(0, 50, 2)}`,
		`INSERT INTO ${rel} ${day(50, 50, 1)} UNION ALL ${day(50, 50, 2)}`,
		`SELECT * FROM lakehouse.optimize('${rel}')`,
		`INSERT INTO ${rel} ${day(100, 50, 1)}`,
		`SELECT * FROM lakehouse.optimize('${rel}', ARRAY['sensor_id', 'ts'])`,
		`INSERT INTO ${rel} ${day(0, 50, 3)}`,
	];
	const rows = [];
	for (let v = 0; v < steps.length; v++)
	{
		if (v > 0)
			await sleep(600);
		await pgc.query(steps[v]);
		assert.equal(W.latestVersion(dir), v, `step ${v} made version ${v}`);
		rows.push(await asOfText(rel, v));
	}
	assert.deepEqual(commitTimes(dir).map((t, v, a) => v === 0 || t - a[v - 1] >= 500), steps.map(() => true),
		`commits at least 500 ms apart: ${commitTimes(dir)}`);
	assert.deepEqual(rows.map((r) => r.length), [100, 200, 200, 250, 250, 300], 'the rows of each version');

	/* files no version will reference: an old orphan in a directory of its own, a young one, hidden ones */
	const old = new Date(Date.now() - 3600 * 1000);
	const orphanDir = path.join(dir, 'd=1999-01-01');
	fs.mkdirSync(orphanDir);
	fs.chmodSync(orphanDir, 0o777);
	const placed = {
		oldOrphan: 'd=1999-01-01/part-orphan-old.snappy.parquet',
		youngOrphan: 'd=2024-05-01/part-orphan-young.snappy.parquet',
		hiddenDot: 'd=2024-05-01/.part-hidden.parquet.crc',
		hiddenUnderscore: '_tmp_writes/part-hidden.parquet',
	};
	fs.mkdirSync(path.join(dir, '_tmp_writes'));
	for (const [k, f] of Object.entries(placed))
	{
		fs.writeFileSync(path.join(dir, f), `not parquet: ${k}\n`);
		fs.chmodSync(path.join(dir, f), 0o666);
		if (k !== 'youngOrphan')
			fs.utimesSync(path.join(dir, f), old, old);
	}

	const times = commitTimes(dir);
	const vacuum = async (cutoffMs, extra) => (await L.pgRows(pgc, `SELECT path, size::text,
			(extract(epoch FROM modified) * 1000)::bigint::text
		FROM lakehouse.vacuum('${rel}', clock_timestamp() - to_timestamp(${cutoffMs} / 1000.0)${extra})`))
		.sort((a, b) => L.compareBytes(a[0], b[0]));
	const statAll = () => new Map(walkData(dir).map((f) => [f, fs.statSync(path.join(dir, f))]));
	const checkListed = (listed, exp, stats, label) => {
		assert.deepEqual(listed.map((r) => r[0]), exp.files, `${label}: the files listed are those no retained version references`);
		for (const [f, size, mtime] of listed)
		{
			const st = stats.get(f);
			assert.equal(Number(size), st.size, `${label}: size of ${f}`);
			assert.ok(Math.abs(Number(mtime) - st.mtimeMs) < 1, `${label}: modified of ${f}: ${mtime} vs ${st.mtimeMs}`);
		}
	};

	/* the retention check */
	const short = await L.pgTry(pgc, `SELECT * FROM lakehouse.vacuum('${rel}', interval '1 hour')`);
	assert.equal(short.error && short.error.code, '22023', `a retention below 7 days is refused: ${L.describePgError(short.error)}`);
	const months = await L.pgTry(pgc, `SELECT * FROM lakehouse.vacuum('${rel}', interval '1 month', retention_check => false)`);
	assert.equal(months.error && months.error.code, '22023', 'a retention in months is refused');
	assert.deepEqual(await L.pgRows(pgc, `SELECT * FROM lakehouse.vacuum('${rel}')`), [], 'the default retention (7 days) deletes nothing here');
	const disk0 = walkData(dir);

	/* pass 1: the window starts between versions 2 and 3 */
	const cut1 = Math.round((times[2] + times[3]) / 2);
	const exp1 = await expectedVacuum(dir, cut1);
	assert.equal(exp1.v0, 2, 'the version current at the window start is 2');
	const removedAt2 = W.readCommit(dir, 2).filter((a) => a.remove).map((a) => decodeURIComponent(a.remove.path));
	assert.deepEqual(exp1.files, [...removedAt2, placed.oldOrphan].sort(),
		'(the independent list: the files OPTIMIZE 2 removed and the old orphan)');
	const stats1 = statAll();
	const dry = await vacuum(cut1, ', dry_run => true, retention_check => false');
	checkListed(dry, exp1, stats1, 'dry run');
	assert.deepEqual(walkData(dir), disk0, 'a dry run deletes nothing');
	assertSameText(await asOfText(rel, 0), rows[0], 'after the dry run version 0 still reads');

	const done = await vacuum(cut1, ', retention_check => false');
	checkListed(done, exp1, stats1, 'VACUUM');
	assert.deepEqual(walkData(dir), disk0.filter((f) => !exp1.files.includes(f)), 'exactly the listed files were deleted');
	assert.ok(!fs.existsSync(orphanDir), 'the directory the orphan left empty was removed');
	for (const k of ['youngOrphan', 'hiddenDot', 'hiddenUnderscore'])
		assert.ok(fs.existsSync(path.join(dir, placed[k])), `${k} is kept`);
	for (let v = 2; v <= 5; v++)
		assertSameText(await asOfText(rel, v), rows[v], `after VACUUM, version ${v} (inside the retention) reads the same rows`);
	assertSameText(await textRows(`SELECT * FROM lakehouse.as_of(NULL::${rel}, "timestamp" => to_timestamp(${cut1} / 1000.0))`),
		rows[2], 'as of the window start: version 2');
	for (const v of [0, 1])
	{
		const r = await L.pgTry(pgc, `SELECT * FROM lakehouse.as_of(NULL::${rel}, version => ${v})`);
		assert.ok(!r.lost, `version ${v}: the session survives`);
		assert.ok(r.error, `version ${v}, whose files VACUUM deleted, is an error, not rows: ${JSON.stringify(r.rows && r.rows.length)}`);
		assert.ok(exp1.files.some((f) => D.errorText(r.error).includes(f)),
			`version ${v}: the error names a deleted file: ${L.describePgError(r.error)}`);
		if (v === 0)
			note(`vacuum: as_of a version whose files were deleted: ${r.error.code}: ${r.error.message.replace(root, '<root>')}`);
	}

	/* pass 2: the window starts between versions 4 and 5 */
	const cut2 = Math.round((times[4] + times[5]) / 2);
	const exp2 = await expectedVacuum(dir, cut2);
	assert.equal(exp2.v0, 4, 'the version current at the second window start is 4');
	const removedAt4 = W.readCommit(dir, 4).filter((a) => a.remove).map((a) => decodeURIComponent(a.remove.path));
	assert.deepEqual(exp2.files, removedAt4.sort(), '(the independent list: the files OPTIMIZE 4 removed)');
	const disk1 = walkData(dir);
	const stats2 = statAll();
	const done2 = await vacuum(cut2, ', retention_check => false');
	checkListed(done2, exp2, stats2, 'second VACUUM');
	assert.deepEqual(walkData(dir), disk1.filter((f) => !exp2.files.includes(f)), 'second VACUUM: exactly the listed files were deleted');
	for (const v of [4, 5])
		assertSameText(await asOfText(rel, v), rows[v], `after the second VACUUM, version ${v} reads the same rows`);
	for (const v of [2, 3])
	{
		const r = await L.pgTry(pgc, `SELECT * FROM lakehouse.as_of(NULL::${rel}, version => ${v})`);
		assert.ok(r.error && !r.lost, `after the second VACUUM, version ${v} is an error`);
	}
	note(`vacuum: pass 1 deleted ${done.length} files (window from version 2), pass 2 ${done2.length} (from version 4)`);
	watch('vacuum');
});

/* ----------------------------------------------------------- 5. RESTORE - */

/* Sizes and counts of what a RESTORE from the files of `from` to those of `to` must do (replayed maps). */
function restoreDiff(from, to)
{
	const restored = [...to.files.values()].filter((a) => !from.files.has(a.path));
	const removed = [...from.files.values()].filter((a) => !to.files.has(a.path));
	const sum = (xs) => xs.reduce((s, a) => s + a.size, 0);
	return {
		restored, removed,
		metrics: {
			numRestoredFiles: restored.length, restoredFilesSize: sum(restored),
			numRemovedFiles: removed.length, removedFilesSize: sum(removed),
			numOfFilesAfterRestore: to.files.size, tableSizeAfterRestore: sum([...to.files.values()]),
		},
	};
}

test('RESTORE by version and by timestamp: that version\'s rows, one RESTORE commit as Spark writes it; a vacuumed version refused', async () => {
	const { rel, dir } = await makeTable('rest');
	const day = (k0, n, dayNo) => gen(k0, k0 + n - 1, { stepMs: 60000, base: `2024-05-0${dayNo} 00:00+00` });
	const steps = [
		`INSERT INTO ${rel} ${day(0, 30, 1)}`,
		`INSERT INTO ${rel} ${day(30, 30, 1)} UNION ALL ${day(0, 30, 2)}`,
		`INSERT INTO ${rel} ${day(30, 30, 2)}`,
		`SELECT * FROM lakehouse.optimize('${rel}')`,
		`INSERT INTO ${rel} ${day(0, 30, 3)}`,
		`INSERT INTO ${rel} ${day(60, 30, 1)}`,
	];
	const rows = [];
	const snaps = [];
	for (let v = 0; v < steps.length; v++)
	{
		if (v > 0)
			await sleep(v === 5 ? 400 : 50);
		await pgc.query(steps[v]);
		assert.equal(W.latestVersion(dir), v, `step ${v} made version ${v}`);
		rows.push(await asOfText(rel, v));
		snaps.push(await activeFiles(dir, v));
	}
	assert.equal(commitInfoOf(dir, 3).operation, 'OPTIMIZE');
	assert.deepEqual(rows.map((r) => r.length), [30, 90, 120, 120, 150, 180], 'rows per version');

	/* one RESTORE commit: checked against the replay of the two versions */
	const checkRestore = async (committed, target, params, label) => {
		const v = committed;
		const diff = restoreDiff(snaps[v - 1], snaps[target]);
		const actions = W.readCommit(dir, v);
		for (const a of actions)
			assert.ok(a.add || a.remove || a.commitInfo, `${label}: only add, remove and commitInfo: ${JSON.stringify(a).slice(0, 200)}`);
		const adds = actions.filter((a) => a.add).map((a) => a.add);
		const removes = actions.filter((a) => a.remove).map((a) => a.remove);
		assert.deepEqual(adds.map((a) => a.path).sort(), diff.restored.map((a) => a.path).sort(),
			`${label}: re-adds the files of version ${target} not active at ${v - 1}`);
		assert.deepEqual(removes.map((a) => a.path).sort(), diff.removed.map((a) => a.path).sort(),
			`${label}: removes the files active at ${v - 1} not at ${target}`);
		for (const a of adds)
		{
			const orig = snaps[target].files.get(a.path);
			assert.strictEqual(a.dataChange, true, `${label}: add ${a.path} dataChange true`);
			assert.equal(a.size, orig.size, `${label}: add ${a.path}: the size of the original add`);
			assert.deepEqual(a.partitionValues, orig.partitionValues, `${label}: add ${a.path}: partition values`);
			assert.deepEqual(JSON.parse(a.stats), JSON.parse(orig.stats), `${label}: add ${a.path}: the original statistics`);
			assert.ok(fs.existsSync(W.addFile(dir, a)), `${label}: add ${a.path} exists`);
		}
		for (const r of removes)
		{
			assert.strictEqual(r.dataChange, true, `${label}: remove ${r.path} dataChange true`);
			assert.equal(r.size, snaps[v - 1].files.get(r.path).size, `${label}: remove ${r.path}: size`);
			assert.equal(typeof r.deletionTimestamp, 'number', `${label}: remove ${r.path}: deletionTimestamp`);
		}
		const ci = commitInfoOf(dir, v);
		assert.equal(ci.operation, 'RESTORE', `${label}: commitInfo.operation`);
		assert.strictEqual(ci.readVersion, v - 1, `${label}: commitInfo.readVersion`);
		assert.strictEqual(ci.isBlindAppend, false, `${label}: commitInfo.isBlindAppend`);
		assert.deepEqual(ci.operationParameters, params, `${label}: commitInfo.operationParameters`);
		const m = ci.operationMetrics || {};
		assert.deepEqual(Object.keys(m).sort(), Object.keys(diff.metrics).sort(), `${label}: the metrics Spark records: ${JSON.stringify(m)}`);
		for (const [k, x] of Object.entries(diff.metrics))
		{
			assert.equal(typeof m[k], 'string', `${label}: operationMetrics.${k} is a string, as Spark writes it`);
			assert.equal(Number(m[k]), x, `${label}: operationMetrics.${k}`);
		}
		/* the replay and DuckDB agree with PostgreSQL and with the rows captured at the target */
		const snap = await activeFiles(dir, v);
		snaps[v] = snap;
		assert.deepEqual(sortedKeys(snap.files), sortedKeys(snaps[target].files), `${label}: the replay holds the files of version ${target}`);
		assertSameText(await textRows(`SELECT * FROM ${rel}`), rows[target], `${label}: the rows of version ${target}`);
		assert.equal(Number(await L.pgValue(pgc, `SELECT count(*) FROM ${rel}`)), rows[target].length,
			`${label}: count(*) (from the log's record counts)`);
		rows[v] = rows[target];
		L.assertRowsEqual(await W.duckSnapshotRows(duck, dir, snap, COLS), await W.pgRowsCanon(pgc, rel, COLS), COLS,
			`${label}: DuckDB over the replayed files vs PostgreSQL`);
		const [h] = await L.pgRows(pgc, `SELECT version::text, operation FROM lakehouse.history('${rel}') LIMIT 1`);
		assert.deepEqual(h, [String(v), 'RESTORE'], `${label}: history`);
		return diff;
	};
	const restore = async (args) => (await pgc.query(`SELECT * FROM lakehouse.restore('${rel}', ${args})`)).rows[0];

	/* by version, to before the OPTIMIZE */
	let r = await restore('version => 1');
	let diff = await checkRestore(6, 1, { version: '1' }, 'RESTORE version 1');
	assert.deepEqual([r.committed_version, r.restored_version, r.files_removed, r.files_restored, r.bytes_removed, r.bytes_restored].map(Number),
		[6, 1, diff.metrics.numRemovedFiles, diff.metrics.numRestoredFiles, diff.metrics.removedFilesSize, diff.metrics.restoredFilesSize],
		`RESTORE version 1: what it returns: ${JSON.stringify(r)}`);

	/* by timestamp: between versions 4 and 5 is version 4; exactly version 2's instant is version 2 */
	const t4 = commitInfoOf(dir, 4).timestamp;
	const t5 = commitInfoOf(dir, 5).timestamp;
	const t2 = commitInfoOf(dir, 2).timestamp;
	const at = (ms) => `timestamptz 'epoch' + ${ms} * interval '1 millisecond'`;
	const tsText = async (ms) => L.pgValue(pgc, `SELECT (${at(ms)})::text`);
	r = await restore(`"timestamp" => ${at(Math.round((t4 + t5) / 2))}`);
	assert.equal(Number(r.restored_version), 4, 'RESTORE as of an instant between versions 4 and 5: version 4');
	await checkRestore(7, 4, { timestamp: await tsText(Math.round((t4 + t5) / 2)), version: '4' }, 'RESTORE as of a timestamp (version 4)');
	r = await restore(`"timestamp" => ${at(t2)}`);
	assert.equal(Number(r.restored_version), 2, 'RESTORE as of the instant of version 2: version 2');
	await checkRestore(8, 2, { timestamp: await tsText(t2), version: '2' }, 'RESTORE as of version 2\'s timestamp');

	/* refusals */
	for (const [args, what] of [['version => 8', 'the latest version'], ['version => 99', 'a version that does not exist'],
		[`"timestamp" => ${at(commitInfoOf(dir, 0).timestamp - 60000)}`, 'an instant before the first commit']])
	{
		const e = await L.pgTry(pgc, `SELECT * FROM lakehouse.restore('${rel}', ${args})`);
		assert.ok(e.error && !e.lost, `RESTORE to ${what} is refused`);
		if (what !== 'an instant before the first commit')
			assert.equal(e.error.code, '22023', `RESTORE to ${what}: ${L.describePgError(e.error)}`);
		assert.equal(W.latestVersion(dir), 8, `RESTORE to ${what} commits nothing`);
	}

	/* VACUUM keeping only the latest version's files, then a version whose files it deleted */
	const deleted = (await L.pgRows(pgc, `SELECT path FROM lakehouse.vacuum('${rel}', interval '0 seconds', retention_check => false)`)).map((x) => x[0]);
	const gone = [...snaps[4].files.keys()].filter((p) => !snaps[8].files.has(p));
	assert.ok(gone.length > 0 && gone.every((p) => deleted.includes(decodeURIComponent(p))), 'VACUUM deleted the files of version 4 that version 8 does not use');
	const e = await L.pgTry(pgc, `SELECT * FROM lakehouse.restore('${rel}', version => 4)`);
	assert.equal(e.error && e.error.code, '22023', `RESTORE of a vacuumed version is refused: ${L.describePgError(e.error)}`);
	assert.ok(gone.some((p) => D.errorText(e.error).includes(p) || D.errorText(e.error).includes(decodeURIComponent(p))),
		`the error names a deleted file: ${D.errorText(e.error)}`);
	note(`restore: of a vacuumed version: ${e.error.message}`);
	assert.equal(W.latestVersion(dir), 8, 'the refused RESTORE commits nothing');
	assertSameText(await textRows(`SELECT * FROM ${rel}`), rows[2], 'the table still holds version 8 (= 2)');
	/* a version whose files all survived still restores */
	await restore('version => 0');
	await checkRestore(9, 0, { version: '0' }, 'RESTORE version 0 after VACUUM');
	/* a RESTORE that lands on a checkpoint version: the checkpoint holds the re-added files and their statistics */
	await restore('version => 8');
	await checkRestore(10, 8, { version: '8' }, 'RESTORE version 8 as version 10');
	const viaCp = await W.replay(duck, dir, 10);
	assert.equal(viaCp.usedCheckpoint, 10, 'a checkpoint at version 10');
	assert.deepEqual(sortedKeys(viaCp.files), sortedKeys(snaps[10].files), 'the checkpoint holds the files of the JSON replay');
	for (const a of viaCp.files.values())
		assert.deepEqual(JSON.parse(a.stats), JSON.parse(snaps[10].files.get(a.path).stats), `checkpoint: the statistics of ${a.path}`);
	L.assertRowsEqual(await W.duckSnapshotRows(duck, dir, viaCp, COLS), await W.pgRowsCanon(pgc, rel, COLS), COLS,
		'DuckDB over the checkpoint\'s files vs PostgreSQL');
	watch('restore');
});

/* ------------------------------------------- 6. the pipeline's OPTIMIZE - */

const SILVER_WCOLS = [W.column('sensor_id', 'integer'), W.column('timestamp', 'timestamptz'),
	W.column('temperature', 'float8'), W.column('humidity', 'float8'), W.column('location', 'text'),
	W.column('reading_date', 'date'), W.column('_source_file', 'text'), W.column('_source_line', 'bigint'),
	W.column('_ingested_at', 'timestamptz')];
const GOLD_WCOLS = [W.column('sensor_id', 'integer'), W.column('location', 'text'), W.column('hour', 'timestamptz'),
	W.column('avg_temperature', 'float8'), W.column('min_temperature', 'float8'), W.column('max_temperature', 'float8'),
	W.column('avg_humidity', 'float8'), W.column('min_humidity', 'float8'), W.column('max_humidity', 'float8'),
	W.column('reading_count', 'bigint'), W.column('reading_date', 'date')];

/* Replay a table's JSON commits once: per version, the most files any partition holds. */
function maxFilesPerPartition(dir)
{
	const files = new Map();
	const out = [];
	for (const v of W.logVersions(dir))
	{
		for (const a of W.readCommit(dir, v))
			if (a.add)
				files.set(a.add.path, JSON.stringify(a.add.partitionValues));
			else if (a.remove)
				files.delete(a.remove.path);
		const per = new Map();
		for (const part of files.values())
			per.set(part, (per.get(part) || 0) + 1);
		out.push(Math.max(0, ...per.values()));
	}
	return out;
}

test('the pipeline worker\'s scheduled OPTIMIZE (optimize_interval 2s) compacts Silver without changing a row of Silver or Gold', async (t) => {
	t.after(async () => {
		await P.restoreSettings(pgc).catch(() => {});
		await pgc.query('ALTER SYSTEM RESET lakehouse.optimize_interval').catch(() => {});
		await pgc.query('SELECT pg_reload_conf()').catch(() => {});
	});
	const DROPS = 24;
	const PER = 10;
	const logStart = (L.serverLog() || '').length;
	const p = await P.resetPipeline(pgc, { 'lakehouse.optimize_interval': '2s' });
	await P.waitCaughtUp(pgc);
	const tables = {
		silver: { rel: 'silver.sensor_logs', dir: path.join(p.root, 'silver/sensor_logs'), cols: SILVER_WCOLS },
		gold: { rel: 'gold.sensor_hourly_avg', dir: path.join(p.root, 'gold/sensor_hourly_avg'), cols: GOLD_WCOLS },
	};
	const head = 'sensor_id,timestamp,temperature,humidity,location\n';
	const pad = (n) => String(n).padStart(2, '0');
	for (let f = 0; f < DROPS; f++)
	{
		let csv = head;
		for (let j = 0; j < PER; j++)
		{
			/* two days (two Silver partitions), minutes unique per drop and line */
			const dayNo = 1 + (j % 2);
			const minute = f * PER + j;
			csv += `${1001 + (j % 5)},2024-07-0${dayNo} ${pad(Math.floor(minute / 60))}:${pad(minute % 60)}:00,${20 + j + f / 10},${40 + (f % 10)},lab_${'abcde'[j % 5]}\n`;
		}
		P.dropFile(p, `opt_${pad(f)}.csv`, csv);
		await D.waitFor(async () => Number(await L.pgValue(pgc, 'SELECT count(*) FROM silver.sensor_logs')) === (f + 1) * PER,
			30000, `drop ${f} in Silver`);
		await P.waitCaughtUp(pgc);
		await sleep(200);	/* spread the drops over a few optimize intervals */
	}
	/* the rows now, before the OPTIMIZE that follows the last drop */
	const ops = async (rel) => L.pgRows(pgc, `SELECT version::int, operation FROM lakehouse.history('${rel}') ORDER BY version`);
	const before = {};
	for (const [k, tb] of Object.entries(tables))
		before[k] = await textRows(`SELECT * FROM ${tb.rel}`);
	assert.equal(before.silver.length, DROPS * PER, 'every reading in Silver');
	const silverWrites = Number(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.history('silver.sensor_logs')
		WHERE operation <> 'OPTIMIZE' AND (operation_metrics ->> 'numOutputRows')::int = ${PER}`));
	assert.equal(silverWrites, DROPS, 'each drop its own Silver commit');

	/* an OPTIMIZE newest in Silver (the worker runs one every 2 s; after it nothing is small twice) */
	await D.waitFor(async () => {
		const h = await ops('silver.sensor_logs');
		return h[h.length - 1][1] === 'OPTIMIZE';
	}, 20000, 'an OPTIMIZE commit as the newest version of Silver');
	await P.waitCaughtUp(pgc);
	for (const [k, tb] of Object.entries(tables))
	{
		const h = await ops(tb.rel);
		const optimizes = h.filter((r) => r[1] === 'OPTIMIZE').map((r) => r[0]);
		assertSameText(await textRows(`SELECT * FROM ${tb.rel}`), before[k], `${k}: the rows after the worker's OPTIMIZE are those before`);
		const counts = [];
		for (const v of optimizes)
		{
			/* each OPTIMIZE: the rows of the version before it, fewer files, dataChange false */
			assertSameText(await asOfText(tb.rel, v), await asOfText(tb.rel, v - 1), `${k}: OPTIMIZE ${v} changes no row`);
			const n0 = (await activeFiles(tb.dir, v - 1)).files.size;
			const n1 = (await activeFiles(tb.dir, v)).files.size;
			assert.ok(n1 < n0, `${k}: OPTIMIZE ${v} cuts the files: ${n0} -> ${n1}`);
			const actions = W.readCommit(tb.dir, v);
			assert.ok(actions.every((a) => (a.add && a.add.dataChange === false) || (a.remove && a.remove.dataChange === false) || a.commitInfo),
				`${k}: OPTIMIZE ${v}: only adds and removes without dataChange`);
			assert.deepEqual(commitInfoOf(tb.dir, v).operationParameters.zOrderBy,
				k === 'silver' ? '["sensor_id","timestamp"]' : '["sensor_id","hour"]', `${k}: OPTIMIZE ${v}: its Z-order`);
			counts.push(`${v}: ${n0} -> ${n1}`);
		}
		const latest = W.latestVersion(tb.dir);
		const snap = await activeFiles(tb.dir, latest);
		let added = 0;
		for (let v = 0; v <= latest; v++)
			added += W.readCommit(tb.dir, v).filter((a) => a.add && a.add.dataChange).length;
		if (k === 'silver')
		{
			assert.ok(optimizes.length >= 1, `Silver: OPTIMIZE commits in its history: ${JSON.stringify(h.slice(-5))}`);
			assert.ok(snap.files.size * 5 <= added, `Silver: ${snap.files.size} active files, of ${added} the stream wrote`);
		}
		else if (optimizes.length === 0)
		{
			/*
			 * Gold overwrites the partitions (dates) it touches, one file
			 * each: no version has two small files in a partition, so the
			 * worker's OPTIMIZE of Gold (small files only) has nothing to do.
			 */
			const most = Math.max(...maxFilesPerPartition(tb.dir));
			assert.ok(most <= 1, `Gold has no OPTIMIZE commit, so no version may hold two files in a partition (most: ${most})`);
			counts.push('none: Gold never holds two files in a partition');
		}
		note(`pipeline ${k}: ${added} files written by the stream, ${snap.files.size} active at the end; OPTIMIZE commits (version: files before -> after) ${counts.join(', ')}`);
		L.assertRowsEqual(await W.duckSnapshotRows(duck, tb.dir, snap, tb.cols), await W.pgRowsCanon(pgc, tb.rel, tb.cols), tb.cols,
			`${k}: DuckDB over the active files after the OPTIMIZE vs PostgreSQL`);
	}
	assert.ok(!(await ops('bronze.sensor_logs')).some((r) => r[1] === 'OPTIMIZE'), 'Bronze is not optimized');
	const log = (L.serverLog() || '').slice(logStart);
	const runs = log.split('\n').filter((l) => /pipeline optimized/.test(l));
	note(`pipeline: the worker logged ${runs.length} OPTIMIZE runs: ${runs.map((l) => l.replace(/^.*optimized /, '')).join('; ')}`);
	assert.ok(!/ERROR:.*optimi/i.test(log), `no OPTIMIZE error in the server log: ${(/.*ERROR:.*optimi.*/i.exec(log) || [''])[0]}`);
	watch('pipeline optimize');
});

/* ------------------------------------------- 7. inside a rolled-back transaction */

test('OPTIMIZE and RESTORE inside a transaction that rolls back: the table stays whole (every file it references is there)', async () => {
	const { rel, dir } = await makeTable('rollback');
	for (let i = 0; i < 3; i++)
		await pgc.query(`INSERT INTO ${rel} ${gen(i * 20, i * 20 + 19)}`);
	const rowsV0 = await asOfText(rel, 0);
	const rowsV2 = await textRows(`SELECT * FROM ${rel}`);
	const whole = async (label) => {
		const latest = W.latestVersion(dir);
		const snap = await activeFiles(dir, latest);
		for (const a of snap.files.values())
			assert.ok(fs.existsSync(W.addFile(dir, a)), `${label}: the file of active add ${a.path} exists`);
		L.assertRowsEqual(await W.duckSnapshotRows(duck, dir, snap, COLS), await W.pgRowsCanon(pgc, rel, COLS), COLS,
			`${label}: DuckDB over the replayed files vs PostgreSQL`);
		return { latest, op: commitInfoOf(dir, latest).operation };
	};
	const outcome = [];

	await pgc.query('BEGIN');
	await pgc.query(`SELECT * FROM lakehouse.optimize('${rel}')`);
	await pgc.query('ROLLBACK');
	let w = await whole('OPTIMIZE then ROLLBACK');
	assertSameText(await textRows(`SELECT * FROM ${rel}`), rowsV2, 'OPTIMIZE then ROLLBACK: the rows');
	outcome.push(`OPTIMIZE then ROLLBACK: ${w.op === 'OPTIMIZE' ? `version ${w.latest} OPTIMIZE stands` : 'no version'}`);

	await pgc.query(`INSERT INTO ${rel} ${gen(60, 79)}`);
	await pgc.query(`INSERT INTO ${rel} ${gen(80, 99)}`);
	const rowsNow = await textRows(`SELECT * FROM ${rel}`);
	await pgc.query('BEGIN');
	await pgc.query(`SELECT * FROM lakehouse.optimize('${rel}', ARRAY['sensor_id', 'ts'])`);
	const err = await L.pgTry(pgc, 'SELECT 1 / 0');
	assert.equal(err.error && err.error.code, '22012');
	await pgc.query('ROLLBACK');
	w = await whole('Z-order OPTIMIZE, an error, ROLLBACK');
	assertSameText(await textRows(`SELECT * FROM ${rel}`), rowsNow, 'Z-order OPTIMIZE, an error, ROLLBACK: the rows');
	outcome.push(`Z-order OPTIMIZE, an error, ROLLBACK: ${w.op === 'OPTIMIZE' ? `version ${w.latest} OPTIMIZE stands` : 'no version'}`);

	const vBefore = W.latestVersion(dir);
	await pgc.query('BEGIN');
	await pgc.query(`SELECT * FROM lakehouse.restore('${rel}', version => 0)`);
	await pgc.query('ROLLBACK');
	w = await whole('RESTORE then ROLLBACK');
	if (w.latest > vBefore)
	{
		assert.equal(w.op, 'RESTORE', 'RESTORE then ROLLBACK: the version that stands is the RESTORE');
		assertSameText(await textRows(`SELECT * FROM ${rel}`), rowsV0, 'RESTORE then ROLLBACK: the RESTORE stood: the rows of version 0');
		outcome.push(`RESTORE then ROLLBACK: version ${w.latest} RESTORE stands (the table is at version 0's rows)`);
	}
	else
	{
		assertSameText(await textRows(`SELECT * FROM ${rel}`), rowsNow, 'RESTORE then ROLLBACK: rolled back: the rows before');
		outcome.push('RESTORE then ROLLBACK: no version');
	}
	note(`rollback: ${outcome.join('; ')}`);
	watch('rollback');
});
