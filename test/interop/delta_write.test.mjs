/*
 * delta_write.test.mjs
 *	  Delta tables written from SQL (issue 4), read back by an independent
 *	  reader: this file replays _delta_log itself (JSON commits, and the
 *	  checkpoints read with DuckDB), reads every active file with DuckDB, and
 *	  compares the rows of every version with lakehouse.as_of at that version
 *	  and with a heap table that received the same rows in the same
 *	  transactions (the truth).  It checks the actions too: commitInfo
 *	  (operation, metrics, engineInfo), protocol, metaData (schemaString
 *	  types, partition columns), add stats (numRecords, min/max, nullCount
 *	  against the data), Hive-style partition directories, checkpoints and
 *	  _last_checkpoint.  Covers: the table created by its first INSERT, INSERT
 *	  VALUES / SELECT, COPY FROM, several statements in one transaction,
 *	  ROLLBACK, a failed transaction, a rolled-back savepoint, partitioned
 *	  tables, timestamp_ntz, 25 commits across checkpoints at 10 and 20, and
 *	  the pg_write_server_files requirement.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as W from './write_lib.mjs';

const SCHEMA = 'dwrite';
const SERVER = 'dwrite_srv';

let pgc;
let duck;
let root;

const TYPED = [
	W.column('id', 'bigint'),
	W.column('i', 'integer'),
	W.column('s', 'smallint'),
	W.column('f8', 'double precision'),
	W.column('f4', 'real'),
	W.column('n', 'numeric(12,3)'),
	W.column('flag', 'boolean'),
	W.column('txt', 'text'),
	W.column('bin', 'bytea'),
	W.column('d', 'date'),
	W.column('ts', 'timestamptz'),
];

/*
 * A Delta table written through SQL together with a heap "shadow" table
 * that gets the same rows in the same transactions; after each commit the
 * shadow is copied to <shadow>_v<N>, the truth of version N.
 */
class Written
{
	constructor(name, cols, partitionColumns = [])
	{
		this.name = name;
		this.cols = cols;
		this.partitionColumns = partitionColumns;
		this.rel = `${SCHEMA}.${name}`;
		this.shadow = `${SCHEMA}.${name}_shadow`;
		this.dir = path.join(root, name);
		this.expected = [];	/* per version: { rows, operation } */
	}

	async create(options = '')
	{
		await W.createLakeTable(pgc, { schema: SCHEMA, server: SERVER, name: this.name, cols: this.cols, options });
		await pgc.query(`DROP TABLE IF EXISTS ${this.shadow}`);
		await pgc.query(`CREATE TABLE ${this.shadow} (${W.columnsSql(this.cols)})`);
	}

	/*
	 * Run statements (each a function of the target relation) in one
	 * transaction against both tables; commit or roll back.  Returns the
	 * rows the lake statements reported.
	 */
	async transaction(stmts, { commit = true } = {})
	{
		let rows = 0;
		await pgc.query('BEGIN');
		try
		{
			for (const s of stmts)
			{
				const r = await pgc.query(s(this.rel));
				rows += r.rowCount || 0;
				await pgc.query(s(this.shadow));
			}
		}
		catch (e)
		{
			await pgc.query('ROLLBACK');
			throw e;
		}
		await pgc.query(commit ? 'COMMIT' : 'ROLLBACK');
		return rows;
	}

	/* After a commit: the table must be at version expectedVersion. */
	async committed(expectedVersion, { rows, operation })
	{
		assert.equal(W.latestVersion(this.dir), expectedVersion, `${this.name}: the latest version after the commit`);
		await pgc.query(`DROP TABLE IF EXISTS ${this.shadow}_v${expectedVersion}`);
		await pgc.query(`CREATE TABLE ${this.shadow}_v${expectedVersion} AS SELECT * FROM ${this.shadow}`);
		this.expected[expectedVersion] = { rows, operation };
		await this.verify(expectedVersion);
	}

	/* Everything about version v. */
	async verify(v)
	{
		const label = `${this.name}@${v}`;
		const actions = W.readCommit(this.dir, v);
		const adds = actions.filter((a) => a.add).map((a) => a.add);
		const exp = this.expected[v];
		W.checkCommitInfo(actions, {
			version: v,
			operation: exp.operation || (v === 0 ? /^(WRITE|CREATE TABLE.*)$/ : 'WRITE'),
			numOutputRows: exp.rows,
			numFiles: adds.length,
			label,
		});
		if (v === 0)
		{
			const p = actions.find((a) => a.protocol);
			const m = actions.find((a) => a.metaData);
			W.checkProtocol(p && p.protocol, this.cols, label);
			W.checkMetaData(m && m.metaData, this.cols, this.partitionColumns, label);
		}
		else
			assert.ok(!actions.some((a) => a.metaData || a.protocol), `${label}: an append changes neither metaData nor protocol`);
		assert.ok(!actions.some((a) => a.remove), `${label}: an append removes nothing`);

		/* add stats against the data, partition directories */
		let added = 0;
		for (const add of adds)
		{
			added += await W.checkAddStats(duck, this.dir, add, this.cols, this.partitionColumns, label);
			if (this.partitionColumns.length)
				W.checkPartitionPath(add, this.partitionColumns, label);
			else
				assert.deepEqual(add.partitionValues, {}, `${label}: partitionValues of an unpartitioned table`);
		}
		assert.equal(added, exp.rows, `${label}: the adds of the commit hold the rows inserted`);

		/* the snapshot: JSON only, and through the newest checkpoint */
		const snap = await W.replay(duck, this.dir, v, { useCheckpoint: false });
		const viaCp = await W.replay(duck, this.dir, v);
		assert.deepEqual([...viaCp.files.keys()].sort(), [...snap.files.keys()].sort(),
						 `${label}: the active files through checkpoint ${viaCp.usedCheckpoint} and through the JSON commits`);
		/* a checkpoint is Parquet: an optional field the JSON leaves out (name, description) reads as null */
		const dropNulls = (o) => Object.fromEntries(Object.entries(o).filter(([, x]) => x !== null));
		assert.deepEqual(dropNulls(viaCp.meta), dropNulls(snap.meta), `${label}: metaData through the checkpoint`);
		assert.deepEqual(dropNulls(viaCp.protocol), dropNulls(snap.protocol), `${label}: protocol through the checkpoint`);
		for (const [p, add] of viaCp.files)
			assert.deepEqual(JSON.parse(add.stats), JSON.parse(snap.files.get(p).stats), `${label}: stats of ${p} in the checkpoint`);

		/* rows: DuckDB over the active files = as_of(v) = the shadow of v */
		const truth = await W.pgRowsCanon(pgc, `${this.shadow}_v${v}`, this.cols);
		const duckRows = await W.duckSnapshotRows(duck, this.dir, viaCp, this.cols);
		L.assertRowsEqual(duckRows, truth, this.cols, `${label}: DuckDB reading the active files vs the rows inserted`);
		const asOf = await W.asOfRows(pgc, this.rel, v, this.cols);
		L.assertRowsEqual(asOf, truth, this.cols, `${label}: lakehouse.as_of vs the rows inserted`);
		let sum = 0;
		for (const add of viaCp.files.values())
			sum += JSON.parse(add.stats).numRecords;
		assert.equal(sum, truth.length, `${label}: the sum of numRecords`);
	}

	async verifyAll()
	{
		const latest = W.latestVersion(this.dir);
		assert.deepEqual(W.logVersions(this.dir), [...Array(latest + 1).keys()], `${this.name}: versions 0..${latest}, no gap`);
		for (let v = 0; v <= latest; v++)
			await this.verify(v);
		/* the latest version read plainly, and history */
		const truth = await W.pgRowsCanon(pgc, this.shadow, this.cols);
		L.assertRowsEqual(await W.pgRowsCanon(pgc, this.rel, this.cols), truth, this.cols, `${this.name}: SELECT * at the latest version`);
		const hist = await L.pgRows(pgc, `SELECT h.version::text, h.operation, h.engine FROM lakehouse.history(${L.quoteLiteral(this.rel)}::regclass) h ORDER BY h.version`);
		assert.deepEqual(hist.map((h) => Number(h[0])), [...Array(latest + 1).keys()], `${this.name}: lakehouse.history lists every version`);
		for (const h of hist)
			assert.match(String(h[2]), W.ENGINE_RE, `${this.name}: history engine of version ${h[0]}`);
	}
}

function typedValues(lo, hi)
{
	/* every type, nulls in every column now and then, sub-ms timestamps */
	return (rel) => `INSERT INTO ${rel} SELECT g::bigint, (g * 7 - 3000)::int, (g % 300 - 150)::smallint,
		CASE WHEN g % 11 = 0 THEN NULL ELSE g * 1.25 - 0.1 END, (g * 0.5)::real,
		(g * 1.001)::numeric(12,3), CASE WHEN g % 13 = 0 THEN NULL ELSE g % 2 = 0 END,
		CASE WHEN g % 17 = 0 THEN NULL ELSE 'row ' || lpad(g::text, 6, '0') || ' é' END,
		CASE WHEN g % 19 = 0 THEN NULL ELSE int8send(g) END,
		DATE '2024-02-29' + (g % 500), TIMESTAMPTZ '2024-01-01 00:00:00.123456+00' + g * interval '1.000001 s'
		FROM generate_series(${lo}, ${hi}) g`;
}

before(async () => {
	pgc = await L.pgConnect({ name: 'delta-write', timezone: 'Europe/Berlin' });
	await pgc.query('SET max_parallel_workers_per_gather = 0');
	duck = await L.duckConnect();
	root = await W.setupServer(pgc, { schema: SCHEMA, server: SERVER, dirName: 'delta_write' });
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

test('the first INSERT creates the table; appends, COPY FROM, transactions, rollbacks', async () => {
	/* the spec's spelling: path only, no format, nothing at the path yet */
	const t = new Written('typed', TYPED);
	await t.create();
	assert.equal(fs.existsSync(path.join(t.dir, '_delta_log')), false, 'no log before the first write');

	/* v0: a few rows with edge values and nulls in every column */
	let n = await t.transaction([(rel) => `INSERT INTO ${rel} VALUES
		(1, 2147483647, 32767, -0.0, 3.4e38, 123456789.123, true, '', '\\x00ff', '0001-01-01', '1900-01-01 00:00:00+00'),
		(2, -2147483648, -32768, 1e300, -1.5, -999999999.999, false, 'ünïcødé ✓ "quoted", comma', '\\x', '9999-12-31', '2262-04-11 23:47:16.854775+00'),
		(3, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL)`]);
	assert.equal(n, 3, 'INSERT reports 3 rows');
	await t.committed(0, { rows: 3 });

	/* v1: INSERT ... SELECT, 20,000 rows */
	n = await t.transaction([typedValues(10, 20009)]);
	assert.equal(n, 20000);
	await t.committed(1, { rows: 20000 });

	/* v2: two statements in one transaction: one version */
	n = await t.transaction([typedValues(30000, 30099), typedValues(40000, 40049)]);
	await t.committed(2, { rows: 150 });

	/* ROLLBACK leaves no version */
	await t.transaction([typedValues(50000, 50999)], { commit: false });
	assert.equal(W.latestVersion(t.dir), 2, 'ROLLBACK: no version');

	/* a failed statement: no version */
	await pgc.query('BEGIN');
	await pgc.query(typedValues(60000, 60099)(t.rel));
	await assert.rejects(pgc.query(`INSERT INTO ${t.rel} (id, i) SELECT g, 1 / (g - 60150) FROM generate_series(60100, 60200) g`),
						 (e) => e.code === '22012', 'division by zero');
	await pgc.query('ROLLBACK');
	assert.equal(W.latestVersion(t.dir), 2, 'a failed transaction: no version');
	/* an error in the middle of an autocommit INSERT ... SELECT: no version */
	await assert.rejects(pgc.query(`INSERT INTO ${t.rel} (id, i) SELECT g, 1 / (g - 60150) FROM generate_series(60100, 60200) g`),
						 (e) => e.code === '22012');
	assert.equal(W.latestVersion(t.dir), 2, 'a failed autocommit INSERT: no version');

	/* v3: COPY FROM a server file (CSV with quotes, commas, newlines) */
	const csv = path.join(L.filesDir(), 'delta_write_copy.csv');
	fs.writeFileSync(csv, 'id,txt,f8,ts\n' +
		'70001,"a, b",1.5,2024-05-01 10:00:00+00\n' +
		'70002,"line\nbreak",,2024-05-01 11:00:00.5+00\n' +
		'70003,"""quoted""",-2.25,\n');
	L.shareWithServer(csv);
	n = await t.transaction([(rel) => `COPY ${rel} (id, txt, f8, ts) FROM ${L.quoteLiteral(csv)} WITH (FORMAT csv, HEADER true)`]);
	assert.equal(n, 3, 'COPY reports 3 rows');
	await t.committed(3, { rows: 3 });

	/* v4: INSERT with a column list (others NULL) and RETURNING-free VALUES */
	await t.transaction([(rel) => `INSERT INTO ${rel} (txt, id) VALUES ('only two', 80001)`]);
	await t.committed(4, { rows: 1 });

	/* an INSERT of no rows: no version, or a version adding nothing */
	const before0 = W.latestVersion(t.dir);
	await t.transaction([(rel) => `INSERT INTO ${rel} SELECT * FROM ${rel.endsWith('_shadow') ? rel : SCHEMA + '.typed_shadow'} WHERE false`]);
	const after0 = W.latestVersion(t.dir);
	assert.ok(after0 === before0 || after0 === before0 + 1, 'an empty INSERT makes at most one version');
	if (after0 === before0 + 1)
	{
		const actions = W.readCommit(t.dir, after0);
		assert.ok(actions.filter((a) => a.add).every((a) => JSON.parse(a.add.stats).numRecords === 0), 'an empty INSERT adds no rows');
		await t.committed(after0, { rows: 0 });
	}

	await t.verifyAll();
});

test('a rolled-back savepoint leaves its rows out of the commit', async () => {
	const t = new Written('savepoint', [W.column('id', 'bigint'), W.column('what', 'text')]);
	await t.create("format 'delta'");
	await t.transaction([(rel) => `INSERT INTO ${rel} VALUES (0, 'first commit')`]);
	await t.committed(0, { rows: 1 });
	await pgc.query('BEGIN');
	await pgc.query(`INSERT INTO ${t.rel} VALUES (1, 'kept')`);
	await pgc.query(`INSERT INTO ${t.shadow} VALUES (1, 'kept')`);
	await pgc.query('SAVEPOINT s1');
	await pgc.query(`INSERT INTO ${t.rel} SELECT g, 'rolled back' FROM generate_series(2, 1000) g`);
	await pgc.query('ROLLBACK TO SAVEPOINT s1');
	await pgc.query(`INSERT INTO ${t.rel} VALUES (1001, 'kept after the savepoint')`);
	await pgc.query(`INSERT INTO ${t.shadow} VALUES (1001, 'kept after the savepoint')`);
	await pgc.query('COMMIT');
	await t.committed(1, { rows: 2 });
	await t.verifyAll();
});

test('partitioned tables: Hive directories, partition values, one file per partition', async () => {
	const cols = [W.column('site', 'text'), W.column('day', 'date'), W.column('id', 'bigint'),
		W.column('temp', 'double precision'), W.column('ts', 'timestamptz')];
	const t = new Written('parted', cols, ['site', 'day']);
	await t.create("format 'delta', partition_by 'site,day'");
	const ins = (lo, hi, siteExpr) => (rel) => `INSERT INTO ${rel} SELECT ${siteExpr}, DATE '2024-03-01' + (g % 3), g, g * 0.25,
		TIMESTAMPTZ '2024-03-01 00:00:00+00' + g * interval '1 min' FROM generate_series(${lo}, ${hi}) g`;
	/* v0: sites A and B (and a null site), 3 days each */
	const site0 = "CASE g % 3 WHEN 0 THEN 'A' WHEN 1 THEN 'B' ELSE NULL END";
	await t.transaction([ins(1, 3000, site0)]);
	await t.committed(0, { rows: 3000 });
	/* v1: values that need escaping: a space, a slash, an equals sign, a percent, non-ASCII */
	const site1 = "(ARRAY['x y', 'a/b', 'k=v', '50%', 'Zürich'])[1 + g % 5]";
	await t.transaction([ins(5001, 6000, site1)]);
	await t.committed(1, { rows: 1000 });

	/* one open file per partition: as many adds as partitions written */
	for (const [v, lo, hi, siteExpr] of [[0, 1, 3000, site0], [1, 5001, 6000, site1]])
	{
		const parts = Number(await L.pgValue(pgc, `SELECT count(DISTINCT (${siteExpr}, g % 3)) FROM generate_series(${lo}, ${hi}) g`));
		const adds = W.readCommit(t.dir, v).filter((a) => a.add);
		assert.equal(adds.length, parts, `parted@${v}: one file per partition (${parts})`);
	}
	/* partition pruning over what we wrote */
	assert.equal(await L.pgValue(pgc, `SELECT count(*)::text FROM ${t.rel} WHERE site = 'a/b'`), '200');
	assert.equal(await L.pgValue(pgc, `SELECT count(*)::text FROM ${t.rel} WHERE site IS NULL`), '1000');
	await t.verifyAll();
});

test('partition_by naming no column is refused, and leaves no table', async () => {
	const cols = [W.column('id', 'bigint')];
	let err = null;
	try
	{
		await W.createLakeTable(pgc, { schema: SCHEMA, server: SERVER, name: 'badpart', cols, options: "format 'delta', partition_by 'nope'" });
		await pgc.query(`INSERT INTO ${SCHEMA}.badpart VALUES (1)`);
	}
	catch (e)
	{
		err = e;
	}
	assert.ok(err, 'an error at CREATE FOREIGN TABLE or at the first INSERT');
	assert.ok(!L.isConnectionLoss(err), `an SQL error, not a lost connection: ${L.describePgError(err)}`);
	assert.match([err.message, err.detail, err.hint].filter(Boolean).join(' | '), /nope/, 'the error names the column');
	assert.equal(W.latestVersion(path.join(root, 'badpart')), -1, 'no version written');
});

test('timestamp without time zone: timestamp_ntz with its table feature', async () => {
	const t = new Written('ntz', [W.column('id', 'integer'), W.column('t', 'timestamp')]);
	await t.create("format 'delta'");
	await t.transaction([(rel) => `INSERT INTO ${rel} SELECT g, TIMESTAMP '2024-06-30 23:59:59.999999' + g * interval '1 hour 1 us' FROM generate_series(1, 500) g`]);
	await t.committed(0, { rows: 500 });
	await t.transaction([(rel) => `INSERT INTO ${rel} VALUES (501, NULL), (502, '1970-01-01 00:00:00')`]);
	await t.committed(1, { rows: 2 });
	await t.verifyAll();
});

test('25 commits: checkpoints at 10 and 20 that DuckDB reads, _last_checkpoint, every version', async () => {
	const t = new Written('many', [W.column('id', 'bigint'), W.column('v', 'integer'), W.column('label', 'text')]);
	await t.create("format 'delta'");
	for (let v = 0; v < 25; v++)
	{
		const rows = 1 + (v % 4) * 10;
		await t.transaction([(rel) => `INSERT INTO ${rel} SELECT ${v * 1000} + g, ${v}, 'commit ' || ${v} FROM generate_series(1, ${rows}) g`]);
		await t.committed(v, { rows });
	}
	assert.deepEqual(W.checkpointVersions(t.dir), [10, 20], 'classic checkpoints at versions 10 and 20');
	const last = JSON.parse(fs.readFileSync(path.join(W.logDir(t.dir), '_last_checkpoint'), 'utf8'));
	assert.equal(last.version, 20, `_last_checkpoint names version 20: ${JSON.stringify(last)}`);
	for (const cp of [10, 20])
	{
		const file = W.checkpointFile(t.dir, cp);
		const names = new Set((await duck.rows(`SELECT name FROM parquet_schema(${L.quoteLiteral(file)})`)).map((r) => r[0]));
		for (const n of ['add', 'remove', 'metaData', 'protocol', 'path', 'partitionValues', 'size', 'modificationTime',
			'dataChange', 'stats', 'minReaderVersion', 'minWriterVersion', 'schemaString', 'partitionColumns'])
			assert.ok(names.has(n), `checkpoint ${cp} has a column ${n} (Spark's layout): ${[...names].join(', ')}`);
		const [row] = await duck.rows(`SELECT count(*)::int, count(add)::int, count(metaData)::int, count(protocol)::int
			FROM read_parquet(${L.quoteLiteral(file)})`);
		assert.deepEqual(row.slice(1), [cp + 1, 1, 1], `checkpoint ${cp}: ${cp + 1} adds, one metaData, one protocol`);
		if (cp === 20)
			assert.equal(Number(last.size), row[0], '_last_checkpoint.size is the number of actions of the checkpoint');
	}
	/* a reader that only has the checkpoint: delete nothing, but replay from it */
	await t.verifyAll();
});

test('writing needs pg_write_server_files (or superuser)', async () => {
	const t = new Written('priv', [W.column('id', 'bigint')]);
	await t.create("format 'delta'");
	await t.transaction([(rel) => `INSERT INTO ${rel} VALUES (1)`]);
	await t.committed(0, { rows: 1 });
	await pgc.query('DROP ROLE IF EXISTS regress_dwrite_user');
	await pgc.query('CREATE ROLE regress_dwrite_user');
	await pgc.query(`GRANT USAGE ON SCHEMA ${SCHEMA} TO regress_dwrite_user`);
	await pgc.query(`GRANT SELECT, INSERT ON ${t.rel} TO regress_dwrite_user`);
	try
	{
		await pgc.query('SET ROLE regress_dwrite_user');
		await assert.rejects(pgc.query(`INSERT INTO ${t.rel} VALUES (2)`), (e) => e.code === '42501',
							 'INSERT without pg_write_server_files: insufficient_privilege');
		await pgc.query('RESET ROLE');
		assert.equal(W.latestVersion(t.dir), 0, 'the refused INSERT wrote no version');
		await pgc.query('GRANT pg_write_server_files TO regress_dwrite_user');
		await pgc.query('SET ROLE regress_dwrite_user');
		await pgc.query(`INSERT INTO ${t.rel} VALUES (2)`);
		await pgc.query('RESET ROLE');
		await pgc.query(`INSERT INTO ${t.shadow} VALUES (2)`);
		await t.committed(1, { rows: 1 });
	}
	finally
	{
		await pgc.query('RESET ROLE');
		await pgc.query(`REVOKE ALL ON ${t.rel} FROM regress_dwrite_user`);
		await pgc.query(`REVOKE ALL ON SCHEMA ${SCHEMA} FROM regress_dwrite_user`);
		await pgc.query('DROP ROLE regress_dwrite_user');
	}
});
