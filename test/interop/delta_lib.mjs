/*
 * delta_lib.mjs
 *	  Helpers of the Delta suites (delta_*.test.mjs): Delta tables made by
 *	  hand (data files written by lakehouse.write_parquet, commits written
 *	  here as JSON, with the statistics computed by the server from the same
 *	  query), the expected rows of any version as SQL, EXPLAIN (FORMAT JSON)
 *	  properties, a reader of a portal a few rows at a time over the extended
 *	  protocol (Execute with a row limit, as pg-cursor does), and the checks
 *	  that a server survived.
 *
 * Nothing here changes lib.mjs: it builds on it.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

/* 2024-01-01 00:00:00 UTC: hand-made commits are made at T0 + v hours */
export const T0_MS = Date.UTC(2024, 0, 1);
export const HOUR_MS = 3600 * 1000;

/* ------------------------------------------------------------ the log ---- */

export function commitFileName(version)
{
	return `${String(version).padStart(20, '0')}.json`;
}

export function logDir(tableDir)
{
	return path.join(tableDir, '_delta_log');
}

/* An instant as timestamptz text PostgreSQL reads back exactly (UTC, ms). */
export function isoMs(ms)
{
	return new Date(ms).toISOString().replace('T', ' ').replace('Z', '+00');
}

/*
 * Write commit <version> of tableDir: actions are objects (one JSON line
 * each) or raw strings (written as they are, for corrupt logs).  Written to
 * a temporary name first, then renamed, so that a reader never sees half a
 * commit.  mtimeMs sets the file's modification time (the commit timestamp
 * of last resort).
 */
export function writeCommit(tableDir, version, actions, opts = {})
{
	const dir = logDir(tableDir);
	fs.mkdirSync(dir, { recursive: true });
	fs.chmodSync(dir, 0o777);
	const text = actions.map((a) => (typeof a === 'string' ? a : JSON.stringify(a)) + '\n').join('');
	const final = path.join(dir, opts.fileName || commitFileName(version));
	const tmp = path.join(dir, `.tmp-${process.pid}-${crypto.randomBytes(4).toString('hex')}`);
	fs.writeFileSync(tmp, text);
	fs.chmodSync(tmp, 0o666);
	if (opts.mtimeMs !== undefined)
		fs.utimesSync(tmp, new Date(opts.mtimeMs), new Date(opts.mtimeMs));
	fs.renameSync(tmp, final);
	return final;
}

export function protocolAction(minReader = 1, minWriter = 2, readerFeatures, writerFeatures)
{
	const p = { minReaderVersion: minReader, minWriterVersion: minWriter };
	if (readerFeatures)
		p.readerFeatures = readerFeatures;
	if (writerFeatures)
		p.writerFeatures = writerFeatures;
	return { protocol: p };
}

/* fields: [{ name, type, nullable?, metadata? }] */
export function metaDataAction({ id, fields, partitionColumns = [], configuration = {}, createdTime = T0_MS, name })
{
	const schema = {
		type: 'struct',
		fields: fields.map((f) => ({ name: f.name, type: f.type, nullable: f.nullable ?? true, metadata: f.metadata || {} })),
	};
	const md = {
		id: id || crypto.randomUUID(),
		format: { provider: 'parquet', options: {} },
		schemaString: JSON.stringify(schema),
		partitionColumns,
		configuration,
		createdTime,
	};
	if (name)
		md.name = name;
	return { metaData: md };
}

export function commitInfoAction({ timestamp, operation = 'WRITE', parameters = {}, metrics, engine = 'iot_lakehouse-interop/1.0', inCommitTimestamp })
{
	const ci = {};
	if (inCommitTimestamp !== undefined)
		ci.inCommitTimestamp = inCommitTimestamp;
	ci.timestamp = timestamp;
	ci.operation = operation;
	ci.operationParameters = parameters;
	if (metrics)
		ci.operationMetrics = metrics;
	ci.engineInfo = engine;
	ci.isBlindAppend = operation === 'WRITE';
	return { commitInfo: ci };
}

export function removeAction(p, deletionTimestamp)
{
	return { remove: { path: p, deletionTimestamp, dataChange: true } };
}

/* ---------------------------------------------------- hand-made tables ---- */

/* Delta primitive type -> PostgreSQL type, as the issue maps them */
export function deltaToPgType(t)
{
	if (typeof t !== 'string')
		return 'jsonb';
	const dec = /^decimal\((\d+),\s*(\d+)\)$/.exec(t);
	if (dec)
		return `numeric(${dec[1]},${dec[2]})`;
	const map = {
		long: 'bigint', integer: 'integer', short: 'smallint', byte: 'smallint',
		double: 'double precision', float: 'real', boolean: 'boolean', string: 'text',
		binary: 'bytea', date: 'date', timestamp: 'timestamp with time zone',
		timestamp_ntz: 'timestamp without time zone',
	};
	if (!map[t])
		throw new Error(`Delta type ${t} not mapped by the test`);
	return map[t];
}

/*
 * A Delta table written by hand under dir.  fields: the schema (Delta
 * types); partitionColumns: names among fields.  Data files are written by
 * lakehouse.write_parquet from a query producing the non-partition columns;
 * their stats are computed by the server from the same query, the way
 * Spark writes them (timestamps truncated to milliseconds).  The table keeps
 * the active files of every version so that expectedSql(v) gives the rows
 * of version v as SQL.
 */
export class HandTable
{
	constructor(pgc, dir, { fields, partitionColumns = [], configuration = {}, protocol, rowGroupRows, statsColumns })
	{
		this.pgc = pgc;
		this.dir = dir;
		this.fields = fields;
		this.partitionColumns = partitionColumns;
		this.configuration = configuration;
		this.protocol = protocol || protocolAction(1, 2);
		this.rowGroupRows = rowGroupRows;
		this.statsColumns = statsColumns;	/* undefined: every data column */
		this.versions = [];		/* per version: Map(path -> { add, query }) */
		this.files = new Map();	/* the active files of the newest version */
		this.serial = 0;
		fs.mkdirSync(dir, { recursive: true });
		fs.chmodSync(dir, 0o777);
	}

	/* the columns the data files hold (absent: in the schema only, reads as NULL) */
	get dataFields()
	{
		return this.fields.filter((f) => !this.partitionColumns.includes(f.name) && !f.absent);
	}

	get version()
	{
		return this.versions.length - 1;
	}

	metaData()
	{
		return metaDataAction({ id: this.id || (this.id = crypto.randomUUID()), fields: this.fields, partitionColumns: this.partitionColumns, configuration: this.configuration });
	}

	/*
	 * Write a data file: partition: { col: value|null }; query: SQL giving
	 * the data columns by name.  Returns the add action (not yet committed).
	 */
	async addFile(partition, query, opts = {})
	{
		const parts = this.partitionColumns.map((c) => {
			const v = partition[c];
			if (v === null || v === undefined)
				return `${c}=__HIVE_DEFAULT_PARTITION__`;
			/* values that need neither Hive nor URI escaping (the golden tables cover those) */
			assert.match(String(v), /^[A-Za-z0-9_.-]+$/, 'a simple partition value');
			return `${c}=${v}`;
		});
		const base = opts.name || `part-${String(this.serial++).padStart(5, '0')}-${crypto.randomUUID()}.c000.snappy.parquet`;
		const rel = [...parts, base].join('/');
		const abs = path.join(this.dir, ...rel.split('/'));
		fs.mkdirSync(path.dirname(abs), { recursive: true });
		for (let d = path.dirname(abs); d.startsWith(this.dir); d = path.dirname(d))
			fs.chmodSync(d, 0o777);
		const cols = this.dataFields.map((f) => L.quoteIdent(f.name)).join(', ');
		const fileQuery = `SELECT ${cols} FROM (${query}) q`;
		await this.pgc.query('BEGIN');
		try
		{
			if (this.rowGroupRows)
				await this.pgc.query(`SET LOCAL lakehouse.parquet_row_group_rows = ${this.rowGroupRows}`);
			await this.pgc.query('SELECT lakehouse.write_parquet($1, $2)', [fileQuery, abs]);
			await this.pgc.query('COMMIT');
		}
		catch (e)
		{
			await this.pgc.query('ROLLBACK');
			throw e;
		}
		const size = fs.statSync(abs).size;
		const pv = {};
		for (const c of this.partitionColumns)
			pv[c] = partition[c] === undefined ? null : partition[c];
		const add = {
			path: rel,
			partitionValues: pv,
			size,
			modificationTime: opts.modificationTime ?? T0_MS,
			dataChange: true,
		};
		if (opts.stats !== false)
			add.stats = JSON.stringify(await this.stats(query));
		return { add, query, partition: pv, abs };
	}

	/* Delta stats of a query's rows, computed by the server. */
	async stats(query)
	{
		const cols = this.dataFields.filter((f) => !this.statsColumns || this.statsColumns.includes(f.name));
		const agg = (fn) => cols.map((f) => {
			const c = L.quoteIdent(f.name);
			let e;
			if (f.type === 'timestamp')
				e = `to_char(${fn}(${c}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;
			else if (f.type === 'timestamp_ntz')
				e = `to_char(${fn}(${c}), 'YYYY-MM-DD"T"HH24:MI:SS.MS')`;
			else
				e = `${fn}(${c})`;
			return `${L.quoteLiteral(f.name)}, ${e}`;
		}).join(', ');
		const nulls = cols.map((f) => `${L.quoteLiteral(f.name)}, count(*) - count(${L.quoteIdent(f.name)})`).join(', ');
		const sql = `SELECT count(*)::text,
			json_strip_nulls(json_build_object(${agg('min')}))::text,
			json_strip_nulls(json_build_object(${agg('max')}))::text,
			json_build_object(${nulls})::text
			FROM (${query}) q`;
		const [r] = await L.pgRows(this.pgc, sql);
		return {
			numRecords: Number(r[0]),
			minValues: JSON.parse(r[1]),
			maxValues: JSON.parse(r[2]),
			nullCount: JSON.parse(r[3]),
		};
	}

	/*
	 * Commit the next version: adds (from addFile), removes (paths), the
	 * protocol and metaData on version 0 (or when opts.metaData), a
	 * commitInfo unless opts.commitInfo === false.  Returns the version.
	 */
	commit(adds = [], removes = [], opts = {})
	{
		const version = this.versions.length;
		const timestamp = opts.timestamp ?? (T0_MS + version * HOUR_MS);
		const actions = [];
		if (opts.commitInfo !== false)
			actions.push(commitInfoAction({
				timestamp,
				inCommitTimestamp: opts.inCommitTimestamp,
				operation: opts.operation || (version === 0 ? 'CREATE TABLE AS SELECT' : 'WRITE'),
				parameters: opts.parameters || { mode: 'Append', partitionBy: JSON.stringify(this.partitionColumns) },
				metrics: opts.metrics || { numFiles: String(adds.length), numRemovedFiles: String(removes.length) },
				engine: opts.engine,
			}));
		if (version === 0 || opts.protocol)
			actions.push(opts.protocol || this.protocol);
		if (version === 0 || opts.metaData)
			actions.push(opts.metaData || this.metaData());
		const files = new Map(this.files);
		for (const p of removes)
		{
			assert.ok(files.has(p), `remove of an inactive file ${p}`);
			files.delete(p);
			actions.push(removeAction(p, timestamp));
		}
		for (const a of adds)
		{
			files.set(a.add.path, a);
			actions.push({ add: a.add });
		}
		if (opts.extraActions)
			actions.push(...opts.extraActions);
		writeCommit(this.dir, version, actions, { mtimeMs: opts.mtimeMs ?? timestamp });
		this.files = files;
		this.versions.push(files);
		this.timestamps = this.timestamps || [];
		this.timestamps.push(opts.inCommitTimestamp ?? timestamp);
		return version;
	}

	/* The rows of version v (every column of the schema, in order) as SQL. */
	expectedSql(v)
	{
		const files = [...this.versions[v].values()];
		const typed = (f) => deltaToPgType(f.type);
		if (files.length === 0)
			return `SELECT ${this.fields.map((f) => `NULL::${typed(f)} AS ${L.quoteIdent(f.name)}`).join(', ')} WHERE false`;
		return files.map((file) => {
			const cols = this.fields.map((f) => {
				if (f.absent)
					return `NULL::${typed(f)} AS ${L.quoteIdent(f.name)}`;
				if (this.partitionColumns.includes(f.name))
				{
					const v = file.partition[f.name];
					return `${v === null ? 'NULL' : L.quoteLiteral(v)}::${typed(f)} AS ${L.quoteIdent(f.name)}`;
				}
				return `(${L.quoteIdent(f.name)})::${typed(f)} AS ${L.quoteIdent(f.name)}`;
			});
			return `SELECT ${cols.join(', ')} FROM (${file.query}) q`;
		}).join(' UNION ALL ');
	}

	numRecords(v)
	{
		let n = 0;
		for (const f of this.versions[v].values())
			n += JSON.parse(f.add.stats).numRecords;
		return n;
	}
}

/*
 * Rows of relation vs the rows of expected (both SQL), as multisets: returns
 * { actual, missing, extra } counts; columns: the names to compare.
 */
export async function compareWithSql(pgc, relation, expectedSql, columns)
{
	const cols = columns.map(L.quoteIdent).join(', ');
	const a = `SELECT ${cols} FROM ${relation}`;
	const e = `SELECT ${cols} FROM (${expectedSql}) e`;
	const [r] = await L.pgRows(pgc, `SELECT (SELECT count(*) FROM (${a}) a)::int,
		(SELECT count(*) FROM ((${e}) EXCEPT ALL (${a})) m)::int,
		(SELECT count(*) FROM ((${a}) EXCEPT ALL (${e})) x)::int`);
	return { actual: Number(r[0]), missing: Number(r[1]), extra: Number(r[2]) };
}

export async function assertSameRows(pgc, relation, expectedSql, columns, expectedCount, label)
{
	const r = await compareWithSql(pgc, relation, expectedSql, columns);
	assert.deepEqual(r, { actual: expectedCount, missing: 0, extra: 0 },
					 `${label}: rows of ${relation} (missing: expected rows not returned; extra: returned rows not expected)`);
}

/* ----------------------------------------------------------- EXPLAIN ---- */

/* The plan of EXPLAIN (FORMAT JSON[, ANALYZE]) sql, parsed. */
export async function explainJson(pgc, sql, { analyze = false, params = [] } = {})
{
	const opts = analyze ? 'ANALYZE, TIMING OFF, ' : '';
	const text = await L.pgValue(pgc, `EXPLAIN (${opts}FORMAT JSON) ${sql}`, params);
	return JSON.parse(text)[0].Plan;
}

/* Every plan node (depth first) */
export function planNodes(plan)
{
	const out = [plan];
	for (const p of plan.Plans || [])
		out.push(...planNodes(p));
	return out;
}

/*
 * The one plan node carrying the Delta properties (the Delta scan); fails
 * with the plan when there is none or several.
 */
export function deltaScanNode(plan)
{
	const nodes = planNodes(plan).filter((n) => Object.prototype.hasOwnProperty.call(n, 'Delta Version'));
	assert.equal(nodes.length, 1, `one plan node with "Delta Version" in\n${JSON.stringify(plan, null, 1).slice(0, 3000)}`);
	return nodes[0];
}

/* A property as a number (EXPLAIN may give integers as numbers or text). */
export function numProp(node, key)
{
	assert.ok(Object.prototype.hasOwnProperty.call(node, key), `plan node has "${key}": ${JSON.stringify(node).slice(0, 2000)}`);
	const v = Number(node[key]);
	assert.ok(Number.isFinite(v), `"${key}" is a number: ${JSON.stringify(node[key])}`);
	return v;
}

/* ------------------------------------------------------ portal reader ---- */

/*
 * A query run through the extended protocol as an unnamed portal, read a
 * few rows at a time (Execute with a row limit, PortalSuspended in
 * between), as pg-cursor does.  A submittable for client.query(); rows are
 * arrays of text.
 *
 *   const r = new PortalReader(sql, params);
 *   client.query(r);
 *   const rows = await r.read(10); ... await r.close();
 */
export class PortalReader
{
	constructor(text, values = [])
	{
		this.text = text;
		this.values = values;
		this.rows = [];
		this.pending = null;	/* { resolve, reject } of the read in flight */
		this.done = false;
		this.error = null;
		this.ready = new Promise((resolve, reject) => { this.readyFns = { resolve, reject }; });
		this.ended = new Promise((resolve) => { this.endFn = resolve; });
	}

	submit(connection)
	{
		this.connection = connection;
		connection.parse({ text: this.text, types: [] }, true);
		connection.bind({ portal: '', statement: '', values: this.values.map((v) => (v === null ? null : String(v))) }, true);
		connection.describe({ type: 'P', name: '' }, true);
		connection.flush();
		connection.once('noData', () => this.readyFns.resolve());
	}

	handleRowDescription()
	{
		this.readyFns.resolve();
	}

	handleDataRow(msg)
	{
		this.rows.push(msg.fields);
	}

	settle()
	{
		if (!this.pending)
			return;
		const p = this.pending;
		this.pending = null;
		const rows = this.rows;
		this.rows = [];
		if (this.error)
			p.reject(this.error);
		else
			p.resolve(rows);
	}

	handlePortalSuspended()
	{
		this.settle();
	}

	handleCommandComplete()
	{
		this.done = true;
		this.connection.sync();
		this.settle();
	}

	handleEmptyQuery()
	{
		this.done = true;
		this.connection.sync();
	}

	/*
	 * node-postgres drops its active query on an ErrorResponse: the
	 * ReadyForQuery that follows our Sync is not delivered here, so this is
	 * the end of the portal.
	 */
	handleError(err)
	{
		this.error = err;
		this.done = true;
		this.readyFns.reject(err);
		this.ready.catch(() => {});
		this.connection.sync();
		this.settle();
		this.endFn();
		if (typeof this.callback === 'function')
			this.callback(err, null);
	}

	handleReadyForQuery()
	{
		this.done = true;
		this.settle();
		this.endFn();
		/* node-postgres' query_timeout timer is cleared by the callback */
		if (typeof this.callback === 'function')
			this.callback(this.error, null);
	}

	/* The next n rows (fewer at the end). */
	async read(n)
	{
		await this.ready;
		if (this.done)
		{
			if (this.error)
				throw this.error;
			return [];
		}
		return new Promise((resolve, reject) => {
			this.pending = { resolve, reject };
			this.connection.execute({ portal: '', rows: n });
			this.connection.flush();
		});
	}

	/* End the portal's transaction (Sync) and wait for ReadyForQuery. */
	async close()
	{
		if (!this.done)
		{
			this.done = true;
			this.connection.sync();
		}
		await this.ended;
	}
}

/* ------------------------------------------------ a server that lives ---- */

/* Returns a function that asserts the postmaster is the same and no backend died of a signal. */
export function watchServer()
{
	const pid = L.postmasterPid();
	const logStart = (L.serverLog() || '').length;
	return (label) => {
		if (pid)
			assert.equal(L.postmasterPid(), pid, `${label}: the postmaster restarted`);
		const log = (L.serverLog() || '').slice(logStart);
		const m = /.*terminated by signal.*/.exec(log);
		assert.ok(!m, `${label}: server log: ${m && m[0]}`);
	};
}

/* The text of an error with its detail and hint, for "names X" checks. */
export function errorText(e)
{
	return [e.message, e.detail, e.hint].filter(Boolean).join(' | ');
}

/* Wait until cond() is true (polling every 20 ms), or fail after ms. */
export async function waitFor(cond, ms, what)
{
	const end = Date.now() + ms;
	for (;;)
	{
		if (await cond())
			return;
		if (Date.now() > end)
			assert.fail(`timed out waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

/* True while the backend with application_name app is inside pg_sleep. */
export async function isSleeping(observer, app)
{
	return (await L.pgValue(observer,
		"SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND wait_event = 'PgSleep'", [app])) === '1';
}

/* Wait until the backend with application_name app is inside pg_sleep. */
export async function waitForSleep(observer, app, ms = 20000)
{
	await waitFor(() => isSleeping(observer, app), ms, `${app} to sleep`);
}
