/*
 * delta_crash.test.mjs
 *	  kill -9 of a backend in the middle of a big INSERT ... SELECT into a
 *	  Delta table, or while its transaction commits, many times at seeded
 *	  random moments (LAKE_CRASH_SEED, LAKE_CRASH_ROUNDS).  The postmaster
 *	  then restarts every backend (expected: that is what PostgreSQL does
 *	  when a backend dies abnormally); the test waits for it and reconnects.
 *	  After each kill the table must be at the version before or the one
 *	  after: no other new version, each JSON commit whole, the rows of every
 *	  round present entirely or not at all, the row count equal to the
 *	  version's numRecords, DuckDB able to read every active file and every
 *	  checkpoint, and the next INSERT must still commit.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as W from './write_lib.mjs';

const SCHEMA = 'dcrash';
const SERVER = 'dcrash_srv';
const SEED = Number(process.env.LAKE_CRASH_SEED || 20241126);
const ROUNDS = Number(process.env.LAKE_CRASH_ROUNDS || 30);

let pgc;
let duck;
let root;
let dir;
const REL = `${SCHEMA}.crash`;

async function reconnect()
{
	await W.closeQuietly(pgc);
	pgc = await W.connectWhenReady({ name: 'delta-crash' });
	await pgc.query('SET max_parallel_workers_per_gather = 0');
}

before(async () => {
	pgc = await L.pgConnect({ name: 'delta-crash' });
	duck = await L.duckConnect();
	root = await W.setupServer(pgc, { schema: SCHEMA, server: SERVER, dirName: 'delta_crash' });
	dir = path.join(root, 'crash');
});

after(async () => {
	if (pgc)
	{
		await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
		await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
		await W.closeQuietly(pgc);
	}
	if (duck)
		duck.close();
});

/* The rows of round r: n rows (round, g, payload). */
function roundInsert(r, n)
{
	return `INSERT INTO ${REL} SELECT ${r}, g, md5(g::text) || repeat('y', g % 40), g * 0.5
		FROM generate_series(1, ${n}) g`;
}

/* Everything that must hold after a kill; returns the state { version, rows }. */
async function checkTable(prev, round, n, label)
{
	const latest = W.latestVersion(dir);
	assert.ok(latest === prev.version || latest === prev.version + 1,
			  `${label}: the latest version ${latest} is the previous one (${prev.version}) or the next`);
	assert.deepEqual(W.logVersions(dir), [...Array(latest + 1).keys()], `${label}: versions 0..${latest}, no gap`);
	const actions = W.readCommit(dir, latest);	/* whole: every line JSON */
	assert.equal(actions.filter((a) => a.commitInfo).length, 1, `${label}: the newest commit has its commitInfo`);
	const committed = latest === prev.version + 1;

	/* the independent reader: the log replayed, every active file read by DuckDB */
	const snap = await W.replay(duck, dir, latest);
	let logRows = 0;
	for (const add of snap.files.values())
	{
		const file = W.addFile(dir, add);
		const n2 = Number(await duck.value(`SELECT count(*) FROM read_parquet(${L.quoteLiteral(file)})`));
		assert.equal(n2, JSON.parse(add.stats).numRecords, `${label}: ${add.path} holds numRecords rows`);
		logRows += n2;
	}
	for (const cp of W.checkpointVersions(dir))
		await duck.rows(`SELECT count(*) FROM read_parquet(${L.quoteLiteral(W.checkpointFile(dir, cp))})`);
	if (fs.existsSync(path.join(W.logDir(dir), '_last_checkpoint')))
	{
		const last = JSON.parse(fs.readFileSync(path.join(W.logDir(dir), '_last_checkpoint'), 'utf8'));
		assert.ok(W.checkpointVersions(dir).includes(last.version), `${label}: _last_checkpoint names a checkpoint that exists: ${JSON.stringify(last)}`);
	}

	const expected = prev.rows + (committed ? n : 0);
	assert.equal(logRows, expected, `${label}: rows of the latest version by the log (${committed ? 'committed' : 'not committed'})`);
	const [count, roundRows, roundDistinct] = (await L.pgRows(pgc, `SELECT count(*)::int,
		count(*) FILTER (WHERE round = ${round})::int, count(DISTINCT g) FILTER (WHERE round = ${round})::int FROM ${REL}`))[0].map(Number);
	assert.equal(count, expected, `${label}: SELECT count(*)`);
	assert.ok((roundRows === 0 && !committed) || (roundRows === n && roundDistinct === n && committed),
			  `${label}: round ${round} has all its ${n} rows or none, as the log says (got ${roundRows}, ${roundDistinct} distinct; committed ${committed})`);
	const asOf = Number(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${REL}, version => ${latest}) x`));
	assert.equal(asOf, expected, `${label}: as_of(${latest})`);
	if (latest > 0)
	{
		const before = Number(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${REL}, version => ${latest - 1}) x`));
		assert.ok(before < expected || expected === 0, `${label}: as_of(${latest - 1}) is older`);
	}
	return { version: latest, rows: expected, committed };
}

test(`kill -9 of a backend during INSERT or COMMIT, ${ROUNDS} times (seed ${SEED}): previous or next version, never partial`, async () => {
	const cols = [W.column('round', 'integer'), W.column('g', 'integer'), W.column('payload', 'text'), W.column('x', 'double precision')];
	await W.createLakeTable(pgc, { schema: SCHEMA, server: SERVER, name: 'crash', cols, options: "format 'delta'" });
	await pgc.query(`INSERT INTO ${REL} VALUES (0, 0, 'version 0', 0)`);
	let state = { version: 0, rows: 1 };

	/* calibrate: rows for an INSERT of 300-1500 ms, and how long a COMMIT takes */
	let n = 100000;
	let insertMs = 0;
	let commitMs = 0;
	for (let attempt = 0; attempt < 4; attempt++)
	{
		const r = -1 - attempt;
		await pgc.query('BEGIN');
		const t0 = Date.now();
		await pgc.query(roundInsert(r, n));
		const t1 = Date.now();
		await pgc.query('COMMIT');
		insertMs = Date.now() - t0;
		commitMs = Date.now() - t1;
		state = { version: state.version + 1, rows: state.rows + n };
		assert.equal(W.latestVersion(dir), state.version, 'calibration commit');
		if (insertMs >= 300 || n >= 3200000)
			break;
		n *= 4;
	}
	const rnd = L.prng(SEED);
	const outcomes = { committed: 0, notCommitted: 0, inCommit: 0, inInsert: 0 };
	const watch = { postmaster: L.postmasterPid() };

	for (let round = 1; round <= ROUNDS; round++)
	{
		const victim = await L.pgConnect({ name: `delta-crash-victim-${round}` });
		const pid = Number(await L.pgValue(victim, 'SELECT pg_backend_pid()'));
		/* half the rounds: kill during the INSERT (autocommit, so the commit follows at once) */
		const duringCommit = rnd.next() < 0.5;
		let work;
		let delay;
		if (duringCommit)
		{
			await victim.query('BEGIN');
			await victim.query(roundInsert(round, n));
			delay = rnd.next() * (commitMs * 1.5 + 5);
			work = victim.query('COMMIT');
			outcomes.inCommit++;
		}
		else
		{
			delay = rnd.next() * insertMs * 1.2;
			work = victim.query(roundInsert(round, n));
			outcomes.inInsert++;
		}
		const settled = work.then(() => 'done', (e) => e);
		await new Promise((r) => setTimeout(r, delay));
		try
		{
			process.kill(pid, 'SIGKILL');
		}
		catch (e)
		{
			assert.fail(`round ${round}: kill ${pid}: ${e.message}`);
		}
		const result = await Promise.race([settled, new Promise((r) => setTimeout(() => r('timeout'), 60000))]);
		assert.notEqual(result, 'timeout', `round ${round}: the killed session's query ended`);
		await W.closeQuietly(victim);
		/* every backend is restarted after a kill -9: wait, reconnect */
		await new Promise((r) => setTimeout(r, 200));
		await reconnect();
		const label = `round ${round} (${duringCommit ? 'COMMIT' : 'INSERT'}, killed after ${delay.toFixed(0)} ms, client saw ${result === 'done' ? 'success' : L.describePgError(result)})`;
		if (result === 'done')
		{
			/* the client was told it committed before the kill: it must be there */
			assert.equal(W.latestVersion(dir), state.version + 1, `${label}: a commit the client saw is in the log`);
		}
		state = await checkTable(state, round, n, label);
		if (state.committed)
			outcomes.committed++;
		else
			outcomes.notCommitted++;
	}
	assert.equal(L.postmasterPid(), watch.postmaster, 'the postmaster itself survived (only backends were restarted)');

	/* the table still takes writes, at the next version */
	await pgc.query(roundInsert(ROUNDS + 1, 10));
	assert.equal(W.latestVersion(dir), state.version + 1, 'an INSERT after the crashes commits the next version');
	assert.equal(Number(await L.pgValue(pgc, `SELECT count(*) FROM ${REL}`)), state.rows + 10, 'and its rows are there');
	console.log(`# delta_crash: n=${n}, INSERT ${insertMs} ms, COMMIT ${commitMs} ms, ${JSON.stringify(outcomes)}`);
});
