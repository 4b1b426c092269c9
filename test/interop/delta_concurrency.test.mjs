/*
 * delta_concurrency.test.mjs
 *	  4 sessions x 50 INSERT transactions at once into one Delta table
 *	  (after version 0 made by a first INSERT): blind appends never conflict,
 *	  so every transaction commits, and the log then holds exactly 200 new
 *	  versions, 1..200 with no gap and nothing beyond, each the rows of one
 *	  transaction; every row is there exactly once; each session's commits
 *	  are in its own order; the checkpoints made meanwhile (every 10
 *	  versions) are readable by DuckDB and agree with the JSON commits.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as W from './write_lib.mjs';

const SCHEMA = 'dconc';
const SERVER = 'dconc_srv';
const SESSIONS = 4;
const TXNS = 50;
const ROWS_PER_TXN = 3;

let pgc;
let duck;
let root;

before(async () => {
	pgc = await L.pgConnect({ name: 'delta-conc' });
	duck = await L.duckConnect();
	root = await W.setupServer(pgc, { schema: SCHEMA, server: SERVER, dirName: 'delta_concurrency' });
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

test(`${SESSIONS} sessions x ${TXNS} INSERT transactions at once: ${SESSIONS * TXNS} contiguous versions, every row once`, async () => {
	const cols = [W.column('session', 'integer'), W.column('seq', 'integer'), W.column('k', 'integer'), W.column('payload', 'text')];
	const rel = await W.createLakeTable(pgc, { schema: SCHEMA, server: SERVER, name: 'conc', cols, options: "format 'delta'" });
	const dir = path.join(root, 'conc');
	await pgc.query(`INSERT INTO ${rel} VALUES (-1, -1, -1, 'version 0')`);
	assert.equal(W.latestVersion(dir), 0, 'the first INSERT made version 0');

	const sessions = [];
	for (let s = 0; s < SESSIONS; s++)
		sessions.push(await L.pgConnect({ name: `delta-conc-${s}` }));
	const errors = [];
	const start = Date.now();
	try
	{
		/* all sessions start together; each runs its transactions back to back */
		await Promise.all(sessions.map(async (c, s) => {
			for (let i = 0; i < TXNS; i++)
			{
				try
				{
					await c.query('BEGIN');
					/* two statements per transaction: still one commit */
					await c.query(`INSERT INTO ${rel} VALUES (${s}, ${i}, 0, repeat('x', ${(s * 37 + i) % 50}))`);
					await c.query(`INSERT INTO ${rel} SELECT ${s}, ${i}, k, 'p' FROM generate_series(1, ${ROWS_PER_TXN - 1}) k`);
					await c.query('COMMIT');
				}
				catch (e)
				{
					errors.push(`session ${s} transaction ${i}: ${L.describePgError(e)}`);
					await c.query('ROLLBACK').catch(() => {});
				}
			}
		}));
	}
	finally
	{
		for (const c of sessions)
			await W.closeQuietly(c);
	}
	const seconds = (Date.now() - start) / 1000;
	assert.deepEqual(errors, [], 'blind appends never conflict: every transaction commits');

	/* the log: versions 0..200 exactly */
	const total = SESSIONS * TXNS;
	assert.deepEqual(W.logVersions(dir), [...Array(total + 1).keys()], `versions 0..${total}, contiguous, nothing beyond (${seconds.toFixed(1)} s)`);

	/* each commit: one commitInfo, adds only, the rows of one transaction */
	const owner = new Map();	/* "s/i" -> version */
	const lastBySession = new Array(SESSIONS).fill(0);
	for (let v = 1; v <= total; v++)
	{
		const actions = W.readCommit(dir, v);
		const adds = actions.filter((a) => a.add).map((a) => a.add);
		W.checkCommitInfo(actions, { version: v, operation: 'WRITE', numOutputRows: ROWS_PER_TXN, numFiles: adds.length, label: `conc@${v}` });
		assert.ok(!actions.some((a) => a.remove || a.metaData || a.protocol), `conc@${v}: adds only`);
		assert.ok(adds.length >= 1, `conc@${v}: at least one add`);
		const rows = [];
		for (const add of adds)
		{
			assert.equal(JSON.parse(add.stats).numRecords >= 0, true);
			const r = await duck.rows(`SELECT session, seq, k FROM read_parquet(${L.quoteLiteral(W.addFile(dir, add))})`);
			rows.push(...r);
		}
		assert.equal(rows.length, ROWS_PER_TXN, `conc@${v}: the rows of one transaction`);
		const keys = new Set(rows.map((r) => `${r[0]}/${r[1]}`));
		assert.equal(keys.size, 1, `conc@${v}: one transaction's rows, got ${[...keys].join(' ')}`);
		assert.deepEqual(rows.map((r) => r[2]).sort(), [0, 1, 2], `conc@${v}: k 0..2`);
		const key = [...keys][0];
		assert.ok(!owner.has(key), `transaction ${key} committed twice: versions ${owner.get(key)} and ${v}`);
		owner.set(key, v);
		const [s, i] = key.split('/').map(Number);
		assert.ok(v > lastBySession[s], `session ${s}: transaction ${i} (version ${v}) after its previous one (version ${lastBySession[s]})`);
		lastBySession[s] = v;
	}
	assert.equal(owner.size, total, 'every transaction has its version');

	/* through SQL: every row exactly once */
	const [cnt, distinct, txns] = (await L.pgRows(pgc, `SELECT count(*)::int, count(DISTINCT (session, seq, k))::int,
		count(DISTINCT (session, seq))::int FROM ${rel} WHERE session >= 0`))[0].map(Number);
	assert.deepEqual([cnt, distinct, txns], [total * ROWS_PER_TXN, total * ROWS_PER_TXN, total], 'rows, distinct rows, transactions');
	/* as_of agrees with the log at a few versions */
	for (const v of [1, 57, 100, 199, 200])
	{
		const n = Number(await L.pgValue(pgc, `SELECT count(*) FROM lakehouse.as_of(NULL::${rel}, version => ${v}) x`));
		assert.equal(n, 1 + v * ROWS_PER_TXN, `as_of version ${v}: row count`);
	}

	/* checkpoints written while others committed: readable, and right */
	const cps = W.checkpointVersions(dir);
	assert.deepEqual(cps, Array.from({ length: total / 10 }, (_, j) => (j + 1) * 10), 'a checkpoint every 10 versions');
	for (const cp of cps)
	{
		const viaCp = await W.replay(duck, dir, cp);
		const viaJson = await W.replay(duck, dir, cp, { useCheckpoint: false });
		assert.equal(viaCp.usedCheckpoint, cp);
		assert.deepEqual([...viaCp.files.keys()].sort(), [...viaJson.files.keys()].sort(), `checkpoint ${cp}: the active files of the JSON commits`);
	}
	const last = JSON.parse(fs.readFileSync(path.join(W.logDir(dir), '_last_checkpoint'), 'utf8'));
	assert.ok(cps.includes(last.version), `_last_checkpoint names a checkpoint: ${JSON.stringify(last)}`);
	assert.equal(last.version, total, `_last_checkpoint names the newest checkpoint: ${JSON.stringify(last)}`);
});
