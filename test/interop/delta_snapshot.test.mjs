/*
 * delta_snapshot.test.mjs
 *	  Delta tables made by hand (data files from lakehouse.write_parquet,
 *	  commits written here with protocol, metaData, add actions carrying
 *	  stats, removes and commitInfo) read through the Delta foreign table:
 *	  - one snapshot per statement while this process commits a new version
 *	    in the middle of the statement (two scans of one statement, a
 *	    rescanned subplan, a portal read in steps); the next statement sees
 *	    the new version;
 *	  - lakehouse.history lists the hand-made commits;
 *	  - time travel to every version through the table options version and
 *	    timestamp, the lakehouse.as_of_timestamp GUC and lakehouse.as_of;
 *	    commit timestamps from inCommitTimestamp, commitInfo, file mtime,
 *	    made monotonic;
 *	  - EXPLAIN (FORMAT JSON): Delta Version, Files Total, Files Scanned,
 *	    Row Groups Scanned under partition pruning and statistics skipping,
 *	    with counts this file predicts exactly; count(*) from the log;
 *	  - schema evolution (a column added later reads as NULL).
 *	Every result is compared with the rows of the same version computed by
 *	the server from the queries that wrote the files (EXCEPT ALL both ways).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as D from './delta_lib.mjs';

const SCHEMA = 'dsnap';
const SERVER = 'dsnap_srv';
const APP_A = 'delta-snap-a';

let pgc;		/* setup, checks */
let pga;		/* the session whose statements span a commit */
let root;
let sensors;	/* HandTable */
let live;		/* HandTable for the rescan / portal cases */

const COLS = ['id', 'site', 'temp', 'ts'];

/* rows id in [lo, hi] of one data file; ts carries sub-millisecond digits */
function rowsQuery(lo, hi, temp = 'id * 0.5')
{
	return `SELECT id::bigint AS id, (${temp})::float8 AS temp,
		TIMESTAMPTZ '2024-01-01 00:00:00+00' + id * interval '1.000123 second' AS ts
		FROM generate_series(${lo}, ${hi}) id`;
}

async function createTable(name, tablePath, extraOptions = '', columns = 'id bigint, site text, temp float8, ts timestamptz')
{
	await pgc.query(`DROP FOREIGN TABLE IF EXISTS ${SCHEMA}.${name}`);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.${name} (${columns}) SERVER ${SERVER}
		OPTIONS (path ${L.quoteLiteral(tablePath)}${extraOptions})`);
}

/* A table of n rows per version: version v adds ids [100 v, 100 v + 99]. */
async function makeCountingTable(name, opts = {})
{
	const t = new D.HandTable(pgc, path.join(root, name), {
		fields: [{ name: 'id', type: 'long' }, { name: 'v', type: 'long' }],
		protocol: opts.protocol,
		configuration: opts.configuration,
	});
	for (let v = 0; v < (opts.versions || 3); v++)
	{
		const f = await t.addFile({}, `SELECT id::bigint AS id, ${v}::bigint AS v FROM generate_series(${100 * v}, ${100 * v + 99}) id`);
		t.commit([f], [], opts.commitOpts ? opts.commitOpts(v) : {});
	}
	await pgc.query(`DROP FOREIGN TABLE IF EXISTS ${SCHEMA}.${name}`);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.${name} (id bigint, v bigint) SERVER ${SERVER} OPTIONS (path ${L.quoteLiteral(name)})`);
	return t;
}

before(async () => {
	pgc = await L.pgConnect({ name: 'delta-snap', timezone: 'America/St_Johns' });
	pga = await L.pgConnect({ name: APP_A, timezone: 'Asia/Kathmandu' });
	for (const c of [pgc, pga])
		await c.query('SET max_parallel_workers_per_gather = 0');
	root = L.makeFilesSubdir('delta_snapshot');
	await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${SCHEMA}`);
	await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`);
	await pgc.query(`CREATE SERVER ${SERVER} FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root ${L.quoteLiteral(root)})`);

	/*
	 * sensors, partitioned by site, 25 rows per row group, 100 rows per file:
	 *   v0: f0 site=a ids 0..99, f1 site=b ids 100..199
	 *   v1: f2 site=a ids 200..299 (temp NULL when id % 10 = 0), f3 site=c ids 300..399
	 *   v2: f1 replaced by f4 (site=b ids 100..199, other temps)
	 *   v3: f5 site=NULL ids 500..599
	 *   v4 (committed by the snapshot test): f0 removed, f6 site=d ids 600..799
	 */
	sensors = new D.HandTable(pgc, path.join(root, 'sensors'), {
		fields: [
			{ name: 'id', type: 'long' },
			{ name: 'site', type: 'string' },
			{ name: 'temp', type: 'double' },
			{ name: 'ts', type: 'timestamp' },
		],
		partitionColumns: ['site'],
		rowGroupRows: 25,
	});
	const f0 = await sensors.addFile({ site: 'a' }, rowsQuery(0, 99));
	const f1 = await sensors.addFile({ site: 'b' }, rowsQuery(100, 199));
	sensors.commit([f0, f1]);
	const f2 = await sensors.addFile({ site: 'a' }, rowsQuery(200, 299, 'CASE WHEN id % 10 = 0 THEN NULL ELSE id * 0.5 END'));
	const f3 = await sensors.addFile({ site: 'c' }, rowsQuery(300, 399));
	sensors.commit([f2, f3]);
	const f4 = await sensors.addFile({ site: 'b' }, rowsQuery(100, 199, 'id * 0.25'));
	sensors.commit([f4], [f1.add.path], { operation: 'UPDATE', parameters: { predicate: "site = 'b'" }, metrics: { numUpdatedRows: '100' } });
	const f5 = await sensors.addFile({ site: null }, rowsQuery(500, 599));
	sensors.commit([f5]);
	sensors.f0 = f0;
	await createTable('sensors', 'sensors');
});

after(async () => {
	for (const c of [pga, pgc])
	{
		if (!c)
			continue;
		if (c === pgc)
		{
			await c.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
			await c.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
		}
		await c.end();
	}
});

/* ------------------------------------------------------------ latest ---- */

test('the latest version (3) reads the rows the files were written from', async () => {
	await D.assertSameRows(pgc, `${SCHEMA}.sensors`, sensors.expectedSql(3), COLS, 500, 'v3');
	/* a null partition reads as NULL, partition columns anywhere in the schema */
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.sensors WHERE site IS NULL`), '100');
	assert.equal(await L.pgValue(pgc, `SELECT string_agg(DISTINCT site, ',' ORDER BY site) FROM ${SCHEMA}.sensors`), 'a,b,c');
	/* a foreign table with fewer columns in another order: columns matched by name */
	await createTable('sensors_sub', 'sensors', '', 'ts timestamptz, site text, id bigint');
	await D.assertSameRows(pgc, `${SCHEMA}.sensors_sub`, sensors.expectedSql(3), ['ts', 'site', 'id'], 500, 'column subset');
});

test('EXPLAIN shows Delta Version and Files Total, the estimate comes from numRecords', async () => {
	const plan = await D.explainJson(pgc, `SELECT * FROM ${SCHEMA}.sensors`);
	const node = D.deltaScanNode(plan);
	assert.equal(D.numProp(node, 'Delta Version'), 3);
	assert.equal(D.numProp(node, 'Files Total'), 5);
	assert.equal(D.numProp(node, 'Plan Rows'), 500, 'row estimate = sum of numRecords');
	/* the text form names the version too */
	const text = await L.explain(pgc, `SELECT * FROM ${SCHEMA}.sensors`);
	assert.match(text, /Delta Version: 3/);
});

/* -------------------------------------------------- pruning, skipping ---- */

/*
 * At version 3: f0 (a, 0..99), f2 (a, 200..299, 10 NULL temps), f3 (c,
 * 300..399), f4 (b, 100..199), f5 (NULL, 500..599); 4 row groups of 25 ids
 * per file.  files/rgs: what must be scanned, exactly.
 */
/* the earliest instant of sensors, in UTC, in the session's zone (St John's) or as epoch */
const EARLIEST = /2024-01-01 00:00|2024-01-01T00:00|2023-12-31 20:30|1704067200/;

const tsOf = (id) => `TIMESTAMPTZ '2024-01-01 00:00:00+00' + ${id} * interval '1.000123 second'`;
const SKIP_CASES = [
	{ where: "site = 'a'", files: 2, rgs: 8, rows: 200 },
	{ where: "site IN ('b', 'c')", files: 2, rgs: 8, rows: 200 },
	{ where: 'site IS NULL', files: 1, rgs: 4, rows: 100 },
	{ where: "site > 'a'", files: 2, rgs: 8, rows: 200 },
	{ where: 'id BETWEEN 210 AND 215', files: 1, rgs: 1, rows: 6 },
	{ where: 'id = 150', files: 1, rgs: 1, rows: 1 },
	{ where: 'id IN (5, 305)', files: 2, rgs: 2, rows: 2 },
	{ where: 'id < 0', files: 0, rgs: 0, rows: 0 },
	{ where: 'id >= 590', files: 1, rgs: 1, rows: 10 },
	{ where: 'id <= 24', files: 1, rgs: 1, rows: 25 },
	{ where: 'id > 398 AND id < 501', files: 2, rgs: 2, rows: 2 },
	{ where: 'temp IS NULL', files: 1, rgs: 4, rows: 10 },
	{ where: "site = 'a' AND id > 250", files: 1, rgs: 2, rows: 49 },
	{ where: "site = 'c' AND id < 300", files: 0, rgs: 0, rows: 0 },
	/* Spark truncates timestamp stats to ms: the max of f4 is below ts(199); widened, f4 is kept */
	{ where: `ts = ${tsOf(199)}`, files: 1, rgs: 1, rows: 1 },
	{ where: `ts >= ${tsOf(599)}`, files: 1, rgs: 1, rows: 1 },
];

for (const c of SKIP_CASES)
{
	test(`pruning and skipping: WHERE ${c.where.slice(0, 60)}`, async () => {
		const sql = `SELECT * FROM ${SCHEMA}.sensors WHERE ${c.where}`;
		await D.assertSameRows(pgc, `${SCHEMA}.sensors WHERE ${c.where}`,
							   `SELECT * FROM (${sensors.expectedSql(3)}) e WHERE ${c.where}`, COLS, c.rows, c.where);
		const node = D.deltaScanNode(await D.explainJson(pgc, sql, { analyze: true }));
		assert.equal(D.numProp(node, 'Delta Version'), 3);
		assert.equal(D.numProp(node, 'Files Total'), 5, 'Files Total');
		assert.equal(D.numProp(node, 'Files Scanned'), c.files, 'Files Scanned');
		assert.equal(D.numProp(node, 'Row Groups Scanned'), c.rgs, 'Row Groups Scanned');
	});
}

test('pruning with a parameter (generic plan of a prepared statement)', async () => {
	await pgc.query(`PREPARE dsnap_p(text, bigint) AS SELECT * FROM ${SCHEMA}.sensors WHERE site = $1 AND id >= $2`);
	try
	{
		await pgc.query('SET plan_cache_mode = force_generic_plan');
		const node = D.deltaScanNode(await D.explainJson(pgc, `EXECUTE dsnap_p('b', 180)`, { analyze: true }));
		assert.equal(D.numProp(node, 'Files Scanned'), 1);
		assert.equal(D.numProp(node, 'Row Groups Scanned'), 1);
		const rows = await L.pgRows(pgc, `EXECUTE dsnap_p('b', 180)`);
		assert.deepEqual(rows.map((r) => Number(r[0])).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => 180 + i));
	}
	finally
	{
		await pgc.query('RESET plan_cache_mode');
		await pgc.query('DEALLOCATE dsnap_p');
	}
});

test('count(*) is answered from the log', async () => {
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.sensors`), '500');
	const node = D.deltaScanNode(await D.explainJson(pgc, `SELECT count(*) FROM ${SCHEMA}.sensors`, { analyze: true }));
	assert.equal(D.numProp(node, 'Files Scanned'), 0, 'no data file opened for count(*)');
	assert.equal(D.numProp(node, 'Row Groups Scanned'), 0);

	/* the proof: a copy of the log without any data file still counts */
	const bare = path.join(root, 'sensors_log_only');
	fs.rmSync(bare, { recursive: true, force: true });
	fs.cpSync(path.join(sensors.dir, '_delta_log'), path.join(bare, '_delta_log'), { recursive: true, preserveTimestamps: true });
	L.shareWithServer(bare);
	await createTable('sensors_log_only', 'sensors_log_only');
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.sensors_log_only`), '500');
	/* and reading rows names the missing file */
	const r = await L.pgTry(pgc, `SELECT * FROM ${SCHEMA}.sensors_log_only WHERE site = 'c'`);
	assert.ok(r.error, 'reading a missing data file fails');
	assert.ok(!['XX000'].includes(r.error.code) && !L.isConnectionLoss(r.error), L.describePgError(r.error));
	assert.match(D.errorText(r.error), /site=c\/part-/, 'the error names the file');
});

/* ------------------------------------------- one snapshot per statement -- */

test('one snapshot per statement: two scans of one statement, a commit between them', async () => {
	/* c1 runs, pg_sleep runs (we commit v4 then), then c2 and s2 start their scans */
	const f6 = await sensors.addFile({ site: 'd' }, rowsQuery(600, 799));	/* invisible until committed */
	const query = pga.query({
		text: `SELECT (SELECT count(*) FROM ${SCHEMA}.sensors)::text AS c1,
					  pg_sleep(1.5)::text AS s,
					  (SELECT count(*) FROM ${SCHEMA}.sensors WHERE id >= 0)::text AS c2,
					  (SELECT sum(id) FROM ${SCHEMA}.sensors)::text AS s2,
					  (SELECT count(*) FROM ${SCHEMA}.sensors WHERE site = 'd')::text AS d`,
		rowMode: 'array',
	});
	await D.waitForSleep(pgc, APP_A);
	const v = sensors.commit([f6], [sensors.f0.add.path]);
	assert.equal(v, 4);
	assert.ok(await D.isSleeping(pgc, APP_A), 'the commit landed while the statement ran');
	const res = await query;
	const sumV3 = (0 + 99) * 50 + (100 + 199) * 50 + (200 + 299) * 50 + (300 + 399) * 50 + (500 + 599) * 50;
	assert.deepEqual(res.rows[0], ['500', '', '500', String(sumV3), '0'],
					 'every scan of the statement reads version 3, though version 4 was committed during it');

	/* the next statement sees version 4 */
	assert.equal(await L.pgValue(pga, `SELECT count(*) FROM ${SCHEMA}.sensors`), '600');
	await D.assertSameRows(pga, `${SCHEMA}.sensors`, sensors.expectedSql(4), COLS, 600, 'v4');
	const node = D.deltaScanNode(await D.explainJson(pga, `SELECT * FROM ${SCHEMA}.sensors`));
	assert.equal(D.numProp(node, 'Delta Version'), 4);
});

test('one snapshot per statement: a rescanned subplan keeps its version', async () => {
	live = await makeCountingTable('live', { versions: 2 });
	const f = await live.addFile({}, 'SELECT id::bigint AS id, 2::bigint AS v FROM generate_series(200, 299) id');
	const query = pga.query({
		text: `SELECT g::text, (SELECT count(*) FROM ${SCHEMA}.live WHERE id > -g)::text AS n,
					  pg_sleep(CASE WHEN g = 1 THEN 1.5 ELSE 0 END)::text
			   FROM generate_series(1, 3) g`,
		rowMode: 'array',
	});
	await D.waitForSleep(pgc, APP_A);
	live.commit([f]);
	assert.ok(await D.isSleeping(pgc, APP_A), 'the commit landed while the statement ran');
	const res = await query;
	assert.deepEqual(res.rows.map((r) => r.slice(0, 2)), [['1', '200'], ['2', '200'], ['3', '200']],
					 'the subplan rescanned after the commit still reads the version of the statement');
	assert.equal(await L.pgValue(pga, `SELECT count(*) FROM ${SCHEMA}.live WHERE id > -1`), '300', 'the next statement');
});

test('one snapshot per statement: a portal read in steps over the extended protocol', async () => {
	/* live is at version 2: ids 0..299 */
	const reader = new D.PortalReader(`SELECT id::text, v::text FROM ${SCHEMA}.live`);
	pga.query(reader);
	const first = await reader.read(10);
	assert.equal(first.length, 10);
	/* replace every file: a scan that re-read the log would see ids >= 100000 */
	const f = await live.addFile({}, 'SELECT id::bigint AS id, 3::bigint AS v FROM generate_series(100000, 100049) id');
	live.commit([f], [...live.files.keys()], { operation: 'WRITE', parameters: { mode: 'Overwrite' } });
	const rest = [];
	for (;;)
	{
		const rows = await reader.read(37);
		if (rows.length === 0)
			break;
		rest.push(...rows);
	}
	await reader.close();
	const ids = [...first, ...rest].map((r) => Number(r[0])).sort((a, b) => a - b);
	assert.equal(ids.length, 300);
	assert.deepEqual(ids, Array.from({ length: 300 }, (_, i) => i), 'the rows of version 2, each once');
	assert.equal(await L.pgValue(pga, `SELECT count(*) FROM ${SCHEMA}.live`), '50', 'the next statement reads version 3');
});

test('a transaction sees each statement at the latest version (per statement, not per transaction)', async () => {
	await pga.query('BEGIN');
	try
	{
		assert.equal(await L.pgValue(pga, `SELECT count(*) FROM ${SCHEMA}.live WHERE id >= 0`), '50');
		const f = await live.addFile({}, 'SELECT id::bigint AS id, 4::bigint AS v FROM generate_series(100050, 100059) id');
		live.commit([f]);
		assert.equal(await L.pgValue(pga, `SELECT count(*) FROM ${SCHEMA}.live WHERE id >= 0`), '60');
	}
	finally
	{
		await pga.query('COMMIT');
	}
});

test('one snapshot per statement: queries a function plans and runs inside the statement (SPI)', async () => {
	/* live is at version 4: 60 rows; EXECUTE plans the query anew at each call */
	await pgc.query(`CREATE FUNCTION ${SCHEMA}.live_count() RETURNS bigint LANGUAGE plpgsql VOLATILE AS $$
		DECLARE n bigint;
		BEGIN
			EXECUTE 'SELECT count(*) FROM ${SCHEMA}.live WHERE id >= 0' INTO n;
			RETURN n;
		END $$`);
	const f = await live.addFile({}, 'SELECT id::bigint AS id, 5::bigint AS v FROM generate_series(100060, 100069) id');
	const query = pga.query({
		text: `SELECT ${SCHEMA}.live_count()::text, pg_sleep(1.5)::text, ${SCHEMA}.live_count()::text`,
		rowMode: 'array',
	});
	await D.waitForSleep(pgc, APP_A);
	live.commit([f]);
	assert.ok(await D.isSleeping(pgc, APP_A), 'the commit landed while the statement ran');
	assert.deepEqual((await query).rows, [['60', '', '60']], 'both calls read the version of the statement');
	assert.equal(await L.pgValue(pga, `SELECT ${SCHEMA}.live_count()::text`), '70', 'the next statement');
});

/* ------------------------------------------------------------ history ---- */

test('lakehouse.history lists the hand-made commits, newest first', async () => {
	const rows = await L.pgRows(pgc, `SELECT version::text, (extract(epoch FROM "timestamp") * 1000)::bigint::text,
			operation, operation_parameters::text, operation_metrics::text, engine
		FROM lakehouse.history('${SCHEMA}.sensors'::regclass)`);
	assert.deepEqual(rows.map((r) => Number(r[0])), [4, 3, 2, 1, 0], 'versions, newest first');
	for (const r of rows)
	{
		const v = Number(r[0]);
		const ci = JSON.parse(fs.readFileSync(path.join(sensors.dir, '_delta_log', D.commitFileName(v)), 'utf8').split('\n')[0]).commitInfo;
		assert.equal(Number(r[1]), D.T0_MS + v * D.HOUR_MS, `timestamp of ${v}`);
		assert.equal(r[2], ci.operation, `operation of ${v}`);
		assert.deepEqual(JSON.parse(r[3]), ci.operationParameters, `operation_parameters of ${v}`);
		assert.deepEqual(JSON.parse(r[4]), ci.operationMetrics, `operation_metrics of ${v}`);
		assert.equal(r[5], ci.engineInfo, `engine of ${v}`);
	}
	/* the column types */
	const types = await L.pgRows(pgc, `SELECT pg_typeof(version)::text, pg_typeof("timestamp")::text, pg_typeof(operation)::text,
			pg_typeof(operation_parameters)::text, pg_typeof(operation_metrics)::text, pg_typeof(engine)::text
		FROM lakehouse.history('${SCHEMA}.sensors'::regclass) LIMIT 1`);
	assert.deepEqual(types, [['bigint', 'timestamp with time zone', 'text', 'jsonb', 'jsonb', 'text']]);
});

/* -------------------------------------------------------- time travel ---- */

test('time travel to every version, four ways', async () => {
	for (let v = 0; v <= 4; v++)
	{
		const n = sensors.numRecords(v);
		const exp = sensors.expectedSql(v);
		const at = D.isoMs(D.T0_MS + v * D.HOUR_MS);
		const between = D.isoMs(D.T0_MS + v * D.HOUR_MS + 30 * 60 * 1000);

		/* 1. table options */
		await createTable(`sensors_v${v}`, 'sensors', `, version '${v}'`);
		await D.assertSameRows(pgc, `${SCHEMA}.sensors_v${v}`, exp, COLS, n, `option version ${v}`);
		const node = D.deltaScanNode(await D.explainJson(pgc, `SELECT * FROM ${SCHEMA}.sensors_v${v}`));
		assert.equal(D.numProp(node, 'Delta Version'), v, `EXPLAIN of version ${v}`);
		assert.equal(D.numProp(node, 'Files Total'), sensors.versions[v].size);
		await createTable(`sensors_t${v}`, 'sensors', `, timestamp ${L.quoteLiteral(between)}`);
		await D.assertSameRows(pgc, `${SCHEMA}.sensors_t${v}`, exp, COLS, n, `option timestamp ${between}`);
		await createTable(`sensors_te${v}`, 'sensors', `, format 'delta', timestamp ${L.quoteLiteral(at)}`);
		await D.assertSameRows(pgc, `${SCHEMA}.sensors_te${v}`, exp, COLS, n, `option timestamp ${at} (exact)`);

		/* 2. the GUC, SET LOCAL and SET */
		await pgc.query('BEGIN');
		try
		{
			await pgc.query(`SET LOCAL lakehouse.as_of_timestamp = ${L.quoteLiteral(at)}`);
			await D.assertSameRows(pgc, `${SCHEMA}.sensors`, exp, COLS, n, `SET LOCAL as_of_timestamp ${at}`);
		}
		finally
		{
			await pgc.query('COMMIT');
		}
		await pgc.query(`SET lakehouse.as_of_timestamp = ${L.quoteLiteral(between)}`);
		try
		{
			await D.assertSameRows(pgc, `${SCHEMA}.sensors`, exp, COLS, n, `SET as_of_timestamp ${between}`);
			const gnode = D.deltaScanNode(await D.explainJson(pgc, `SELECT * FROM ${SCHEMA}.sensors`));
			assert.equal(D.numProp(gnode, 'Delta Version'), v, 'EXPLAIN under the GUC');
		}
		finally
		{
			await pgc.query('RESET lakehouse.as_of_timestamp');
		}

		/* 3. lakehouse.as_of */
		await D.assertSameRows(pgc, `lakehouse.as_of(NULL::${SCHEMA}.sensors, version => ${v}) x`, exp, COLS, n, `as_of version ${v}`);
		await D.assertSameRows(pgc, `lakehouse.as_of(NULL::${SCHEMA}.sensors, "timestamp" => ${L.quoteLiteral(between)}) x`,
							   exp, COLS, n, `as_of timestamp ${between}`);
		await D.assertSameRows(pgc, `lakehouse.as_of(NULL::${SCHEMA}.sensors, "timestamp" => ${L.quoteLiteral(at)}) x`,
							   exp, COLS, n, `as_of timestamp ${at}`);
	}
	/* the GUC is reset: latest again */
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.sensors`), '600');
});

test('time travel inline: two versions of one table in one query', async () => {
	const r = await L.pgRows(pgc, `SELECT
		(SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.sensors, version => 0) a)::text,
		(SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.sensors, version => 3) b)::text,
		(SELECT count(*) FROM ${SCHEMA}.sensors)::text,
		(SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.sensors, version => 1) c
			JOIN lakehouse.as_of(NULL::${SCHEMA}.sensors, version => 2) d USING (id) WHERE c.temp IS DISTINCT FROM d.temp)::text`);
	/* v1 vs v2: the 100 rows of site b changed temp */
	assert.deepEqual(r[0], ['200', '500', '600', '100']);
});

test('the GUC makes every lake table of a query read as of the instant', async () => {
	await pgc.query('BEGIN');
	try
	{
		await pgc.query(`SET LOCAL lakehouse.as_of_timestamp = ${L.quoteLiteral(D.isoMs(D.T0_MS + 90 * 60 * 1000))}`);
		/* sensors@1 has 400 rows, live@1 200 */
		const r = await L.pgRows(pgc, `SELECT (SELECT count(*) FROM ${SCHEMA}.sensors)::text, (SELECT count(*) FROM ${SCHEMA}.live)::text,
			(SELECT count(*) FROM ${SCHEMA}.sensors s JOIN ${SCHEMA}.live l USING (id))::text`);
		assert.deepEqual(r[0], ['400', '200', '200']);
	}
	finally
	{
		await pgc.query('COMMIT');
	}
});

test('versions and instants out of range are errors that say what can be read', async () => {
	const cases = [
		{ sql: `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.sensors, version => 5) x`, want: [/\b0\b/, /\b4\b/] },
		{ sql: `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.sensors, version => -1) x`, want: [/\b0\b/, /\b4\b/] },
		{ sql: `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.sensors, "timestamp" => '2023-12-31 23:59:59+00') x`, want: [EARLIEST] },
	];
	await createTable('sensors_v99', 'sensors', ", version '99'");
	cases.push({ sql: `SELECT * FROM ${SCHEMA}.sensors_v99`, want: [/\b0\b/, /\b4\b/] });
	await createTable('sensors_early', 'sensors', ", timestamp '2023-06-01 00:00:00+00'");
	cases.push({ sql: `SELECT * FROM ${SCHEMA}.sensors_early`, want: [EARLIEST] });
	for (const c of cases)
	{
		const r = await L.pgTry(pgc, c.sql);
		assert.ok(r.error, `${c.sql}: an error, got ${JSON.stringify(r.rows)}`);
		assert.equal(r.error.code, '22023', `${c.sql}: ${L.describePgError(r.error)}`);
		for (const re of c.want)
			assert.match(D.errorText(r.error), re, `${c.sql}: the error says what can be read`);
	}
	/* the GUC too */
	await pgc.query('BEGIN');
	await pgc.query("SET LOCAL lakehouse.as_of_timestamp = '2000-01-01 00:00:00+00'");
	const r = await L.pgTry(pgc, `SELECT count(*) FROM ${SCHEMA}.sensors`);
	await pgc.query('ROLLBACK');
	assert.ok(r.error, 'an instant before the first commit');
	assert.equal(r.error.code, '22023', L.describePgError(r.error));
	/* a bad option value is refused when the table is created */
	for (const opt of [", version 'x'", ", version '-3'", ", timestamp 'yesterday-ish'", ", version '1', timestamp '2024-01-01 00:00:00+00'"])
	{
		const c = await L.pgTry(pgc, `CREATE FOREIGN TABLE ${SCHEMA}.bad_opt (id bigint) SERVER ${SERVER} OPTIONS (path 'sensors'${opt})`);
		assert.ok(c.error, `option${opt} refused`);
		assert.ok(!L.isConnectionLoss(c.error) && c.error.code !== 'XX000', L.describePgError(c.error));
	}
});

/* ---------------------------------------------------- commit timestamps -- */

test('commit timestamps: inCommitTimestamp over commitInfo.timestamp', async () => {
	/* commitInfo.timestamp runs backwards in days; inCommitTimestamp is T0 + v hours */
	const t = await makeCountingTable('ict', {
		protocol: D.protocolAction(1, 7, undefined, ['inCommitTimestamp']),
		configuration: { 'delta.enableInCommitTimestamps': 'true' },
		commitOpts: (v) => ({ timestamp: D.T0_MS + (10 - v) * 24 * D.HOUR_MS, inCommitTimestamp: D.T0_MS + v * D.HOUR_MS }),
	});
	for (const [ms, want] of [[0, 100], [D.HOUR_MS - 1, 100], [D.HOUR_MS, 200], [2 * D.HOUR_MS + 1, 300], [20 * 24 * D.HOUR_MS, 300]])
		assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.ict, "timestamp" => $1::timestamptz) x`,
									 [D.isoMs(D.T0_MS + ms)]), String(want), `as of T0 + ${ms} ms`);
	const h = await L.pgRows(pgc, `SELECT version::text, (extract(epoch FROM "timestamp") * 1000)::bigint::text FROM lakehouse.history('${SCHEMA}.ict'::regclass) ORDER BY version`);
	assert.deepEqual(h, [0, 1, 2].map((v) => [String(v), String(D.T0_MS + v * D.HOUR_MS)]), 'history shows the in-commit timestamps');
	assert.ok(t);
});

test('commit timestamps: the commit file mtime when there is no commitInfo', async () => {
	await makeCountingTable('mtime', { commitOpts: (v) => ({ commitInfo: false, mtimeMs: D.T0_MS + v * D.HOUR_MS }) });
	for (const [ms, want] of [[0, 100], [D.HOUR_MS + 1, 200], [3 * D.HOUR_MS, 300]])
		assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.mtime, "timestamp" => $1::timestamptz) x`,
									 [D.isoMs(D.T0_MS + ms)]), String(want), `as of T0 + ${ms} ms`);
	const r = await L.pgTry(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.mtime, "timestamp" => $1::timestamptz) x`, [D.isoMs(D.T0_MS - 1)]);
	assert.equal(r.error?.code, '22023', 'before the first commit');
});

test('commit timestamps are made monotonic (a clock that went backwards)', async () => {
	/* v1 claims 10 minutes before v0: it counts as T0 + 1 ms */
	const ts = [D.T0_MS, D.T0_MS - 10 * 60 * 1000, D.T0_MS + D.HOUR_MS];
	await makeCountingTable('skew', { commitOpts: (v) => ({ timestamp: ts[v] }) });
	for (const [ms, want] of [[0, 100], [1, 200], [30 * 60 * 1000, 200], [D.HOUR_MS, 300]])
		assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.skew, "timestamp" => $1::timestamptz) x`,
									 [D.isoMs(D.T0_MS + ms)]), String(want), `as of T0 + ${ms} ms`);
	const r = await L.pgTry(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${SCHEMA}.skew, "timestamp" => $1::timestamptz) x`, [D.isoMs(D.T0_MS - 5 * 60 * 1000)]);
	assert.equal(r.error?.code, '22023', `v1's own claimed instant is before the first commit: ${L.describePgError(r.error)}`);
});

/* ---------------------------------------------------- schema evolution --- */

test('schema evolution: a column added later reads as NULL in older files', async () => {
	fs.mkdirSync(path.join(root, 'evo'));
	fs.chmodSync(path.join(root, 'evo'), 0o777);
	const t = new D.HandTable(pgc, path.join(root, 'evo', 'evolve'), { fields: [{ name: 'id', type: 'long' }, { name: 'name', type: 'string' }] });
	const a = await t.addFile({}, "SELECT id::bigint AS id, 'n' || id AS name FROM generate_series(1, 3) id");
	t.commit([a]);
	t.fields = [...t.fields, { name: 'humidity', type: 'double' }];
	const b = await t.addFile({}, "SELECT id::bigint AS id, 'n' || id AS name, id * 1.5::float8 AS humidity FROM generate_series(4, 5) id");
	t.commit([b], [], { metaData: t.metaData(), operation: 'ADD COLUMNS' });
	await pgc.query(`IMPORT FOREIGN SCHEMA evo LIMIT TO (evolve) FROM SERVER ${SERVER} INTO ${SCHEMA}`);
	const cols = await L.pgRows(pgc, `SELECT attname::text, format_type(atttypid, atttypmod) FROM pg_attribute
		WHERE attrelid = '${SCHEMA}.evolve'::regclass AND attnum > 0 ORDER BY attnum`);
	assert.deepEqual(cols, [['id', 'bigint'], ['name', 'text'], ['humidity', 'double precision']]);
	const rows = await L.pgRows(pgc, `SELECT id::text, name, humidity::text FROM ${SCHEMA}.evolve ORDER BY id`);
	assert.deepEqual(rows, [['1', 'n1', null], ['2', 'n2', null], ['3', 'n3', null], ['4', 'n4', '6'], ['5', 'n5', '7.5']]);
	/* version 0 through the table of the latest schema: the new column is NULL */
	const old = await L.pgRows(pgc, `SELECT id::text, humidity::text FROM lakehouse.as_of(NULL::${SCHEMA}.evolve, version => 0) x ORDER BY id`);
	assert.deepEqual(old, [['1', null], ['2', null], ['3', null]]);
	/* statistics on the new column skip the old file (no stats for it there: it must still be read) */
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.evolve WHERE humidity IS NULL`), '3');
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.evolve WHERE humidity > 6.5`), '1');
});
