/*
 * write_lib.mjs
 *	  Helpers of the write suites (delta_write, delta_concurrency,
 *	  delta_crash, ingest_csv): an independent reader of the Delta tables
 *	  the extension writes (the _delta_log replayed here: JSON commits, and
 *	  a classic checkpoint read with DuckDB), the active files read with
 *	  DuckDB and rendered canonically, the rows of lakehouse.as_of at a
 *	  version rendered the same way, checks of the actions a writer must
 *	  produce (commitInfo, protocol, metaData, add stats against the data),
 *	  and waiting for a server that restarts after a crashed backend.
 *
 * Nothing here changes lib.mjs or delta_lib.mjs: it builds on them.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';
import * as D from './delta_lib.mjs';

/* ----------------------------------------------------------- columns ---- */

/*
 * A column of a test table: name, PostgreSQL type, the Delta type the
 * writer must record for it, the canonical kind (lib.mjs KINDS), and the
 * DuckDB type a partition value is cast to.
 */
const PG_TO_DELTA = [
	[/^bigint$|^int8$/, 'long', 'int', 'BIGINT'],
	[/^integer$|^int4?$/, 'integer', 'int', 'INTEGER'],
	[/^smallint$|^int2$/, 'short', 'int', 'SMALLINT'],
	[/^double precision$|^float8$/, 'double', 'float8', 'DOUBLE'],
	[/^real$|^float4$/, 'float', 'float4', 'FLOAT'],
	[/^boolean$|^bool$/, 'boolean', 'bool', 'BOOLEAN'],
	[/^text$|^varchar$/, 'string', 'text', 'VARCHAR'],
	[/^bytea$/, 'binary', 'bytea', 'BLOB'],
	[/^date$/, 'date', 'date', 'DATE'],
	[/^timestamptz$|^timestamp with time zone$/, 'timestamp', 'ts', 'TIMESTAMPTZ'],
	[/^timestamp$|^timestamp without time zone$/, 'timestamp_ntz', 'ts', 'TIMESTAMP'],
];

export function column(name, pgType)
{
	const dec = /^numeric\((\d+),\s*(\d+)\)$/.exec(pgType);
	if (dec)
		return { name, pgType, deltaType: `decimal(${dec[1]},${dec[2]})`, kind: 'numeric', duckType: `DECIMAL(${dec[1]},${dec[2]})` };
	for (const [re, deltaType, kind, duckType] of PG_TO_DELTA)
		if (re.test(pgType))
			return { name, pgType, deltaType, kind, duckType };
	throw new Error(`type ${pgType} not handled by write_lib`);
}

export function columnsSql(cols)
{
	return cols.map((c) => `${L.quoteIdent(c.name)} ${c.pgType}`).join(', ');
}

/* -------------------------------------------------------------- the log --- */

export function logDir(tableDir)
{
	return D.logDir(tableDir);
}

/* The versions with a JSON commit, ascending. */
export function logVersions(tableDir)
{
	let names;
	try
	{
		names = fs.readdirSync(logDir(tableDir));
	}
	catch (e)
	{
		if (e.code === 'ENOENT')
			return [];
		throw e;
	}
	return names.map((n) => /^(\d{20})\.json$/.exec(n)).filter(Boolean).map((m) => Number(m[1])).sort((a, b) => a - b);
}

/* The newest version, or -1 when there is no commit. */
export function latestVersion(tableDir)
{
	const v = logVersions(tableDir);
	return v.length ? v[v.length - 1] : -1;
}

/* The versions with a classic single-file checkpoint, ascending. */
export function checkpointVersions(tableDir)
{
	let names;
	try
	{
		names = fs.readdirSync(logDir(tableDir));
	}
	catch (e)
	{
		return [];
	}
	return names.map((n) => /^(\d{20})\.checkpoint\.parquet$/.exec(n)).filter(Boolean).map((m) => Number(m[1])).sort((a, b) => a - b);
}

export function checkpointFile(tableDir, version)
{
	return path.join(logDir(tableDir), `${String(version).padStart(20, '0')}.checkpoint.parquet`);
}

/* The actions of JSON commit version: every line must be one JSON object. */
export function readCommit(tableDir, version)
{
	const f = path.join(logDir(tableDir), D.commitFileName(version));
	const text = fs.readFileSync(f, 'utf8');
	assert.ok(text.length > 0, `commit ${version} is not empty`);
	assert.ok(text.endsWith('\n') || !text.slice(0, -1).includes('\n'), `commit ${version} ends with a newline or is one line`);
	const actions = [];
	const lines = text.split('\n').filter((l) => l.trim() !== '');
	for (let i = 0; i < lines.length; i++)
	{
		let a;
		try
		{
			a = JSON.parse(lines[i]);
		}
		catch (e)
		{
			assert.fail(`commit ${version}, line ${i + 1} is not JSON (${e.message}): ${lines[i].slice(0, 200)}`);
		}
		assert.equal(typeof a, 'object', `commit ${version} line ${i + 1} is an object`);
		assert.equal(Object.keys(a).length, 1, `commit ${version} line ${i + 1} holds one action: ${lines[i].slice(0, 200)}`);
		actions.push(a);
	}
	return actions;
}

/* The rows of a checkpoint as objects (DuckDB to_json: maps become objects). */
export async function readCheckpoint(duck, file)
{
	const rows = await duck.rows(`SELECT to_json(t)::varchar FROM read_parquet(${L.quoteLiteral(file)}) t`);
	return rows.map((r) => JSON.parse(r[0]));
}

/*
 * The snapshot at version: { protocol, meta, files: Map(path -> add),
 * usedCheckpoint }.  With useCheckpoint, starts from the newest classic
 * checkpoint at or below version (read with DuckDB), then applies the JSON
 * commits after it; otherwise replays JSON commits 0..version.
 */
export async function replay(duck, tableDir, version, { useCheckpoint = true } = {})
{
	const cps = useCheckpoint ? checkpointVersions(tableDir).filter((v) => v <= version) : [];
	const files = new Map();
	let meta = null;
	let protocol = null;
	const txns = new Map();
	const apply = (a, where) => {
		if (a.add)
			files.set(a.add.path, a.add);
		else if (a.remove)
		{
			files.delete(a.remove.path);
		}
		else if (a.metaData)
			meta = a.metaData;
		else if (a.protocol)
			protocol = a.protocol;
		else if (a.txn)
			txns.set(a.txn.appId, a.txn.version);
	};
	let from = 0;
	let usedCheckpoint = null;
	if (cps.length)
	{
		usedCheckpoint = cps[cps.length - 1];
		for (const row of await readCheckpoint(duck, checkpointFile(tableDir, usedCheckpoint)))
			for (const key of ['protocol', 'metaData', 'add', 'remove', 'txn'])
				if (row[key])
					apply({ [key]: row[key] }, 'checkpoint');
		from = usedCheckpoint + 1;
	}
	for (let v = from; v <= version; v++)
		for (const a of readCommit(tableDir, v))
			apply(a, `commit ${v}`);
	if (meta && typeof meta.partitionColumns === 'string')
		meta.partitionColumns = JSON.parse(meta.partitionColumns);
	return { protocol, meta, files, txns, usedCheckpoint };
}

/* The schema's fields of a metaData action. */
export function schemaFields(meta)
{
	const s = JSON.parse(meta.schemaString);
	assert.equal(s.type, 'struct', 'schemaString is a struct');
	return s.fields;
}

/* Hive unescaping of a directory name segment (%XX -> the byte). */
export function hiveUnescape(s)
{
	return decodeURIComponent(s.replace(/%(?![0-9A-Fa-f]{2})/g, '%25'));
}

/* The absolute file of an add (its path is a URI relative to the table). */
export function addFile(tableDir, add)
{
	assert.ok(!/^[a-z]+:/i.test(add.path) && !add.path.startsWith('/'), `add path is relative: ${add.path}`);
	return path.join(tableDir, ...decodeURIComponent(add.path).split('/'));
}

/* --------------------------------------------------------- rows compared -- */

function sortCanon(rows)
{
	return rows.map((r) => r.join('\u0001')).sort(L.compareBytes).map((s) => s.split('\u0001'));
}

/*
 * The rows of a snapshot read by DuckDB from its active files (the data
 * columns from the file, the partition columns from the log), canonical and
 * sorted.
 */
export async function duckSnapshotRows(duck, tableDir, snap, cols)
{
	const parts = snap.meta.partitionColumns || [];
	const out = [];
	for (const add of snap.files.values())
	{
		const file = addFile(tableDir, add);
		const select = cols.map((c, j) => {
			let expr;
			if (parts.includes(c.name))
			{
				const v = add.partitionValues ? add.partitionValues[c.name] : null;
				expr = v === null || v === undefined ? `NULL::${c.duckType}` : `CAST(${L.quoteLiteral(v)} AS ${c.duckType})`;
			}
			else
				expr = L.quoteIdent(c.name);
			return `${L.KINDS[c.kind].duck(expr)} AS c${j}`;
		}).join(', ');
		const rows = await duck.rows(`SELECT ${select} FROM read_parquet(${L.quoteLiteral(file)})`);
		out.push(...L.canonRows(rows, cols));
	}
	return sortCanon(out);
}

/* The rows of a relation in PostgreSQL, canonical and sorted. */
export async function pgRowsCanon(pgc, relation, cols)
{
	return sortCanon(await L.pgCanonRows(pgc, relation, cols));
}

/* lakehouse.as_of(NULL::table, version => v), canonical and sorted. */
export async function asOfRows(pgc, table, version, cols)
{
	return pgRowsCanon(pgc, `lakehouse.as_of(NULL::${table}, version => ${Number(version)}) x`, cols);
}

/* --------------------------------------------------------- the actions --- */

export const ENGINE_RE = /^iot_lakehouse\/\S+$/;

/*
 * The commitInfo of a commit: timestamp (ms, near now), operation,
 * operationParameters (an object), operationMetrics with numFiles and
 * numOutputRows as given, engineInfo iot_lakehouse/<version>.
 */
export function checkCommitInfo(actions, { version, operation, numOutputRows, numFiles, label })
{
	const cis = actions.filter((a) => a.commitInfo);
	assert.equal(cis.length, 1, `${label}: commit ${version} has one commitInfo`);
	const ci = cis[0].commitInfo;
	assert.equal(typeof ci.timestamp, 'number', `${label}: commitInfo.timestamp is a number: ${JSON.stringify(ci)}`);
	assert.ok(Math.abs(ci.timestamp - Date.now()) < 3600 * 1000,
			  `${label}: commitInfo.timestamp ${ci.timestamp} is within an hour of now (${Date.now()})`);
	if (operation instanceof RegExp)
		assert.match(String(ci.operation), operation, `${label}: commitInfo.operation`);
	else if (operation)
		assert.equal(ci.operation, operation, `${label}: commitInfo.operation`);
	assert.ok(ci.operationParameters && typeof ci.operationParameters === 'object',
			  `${label}: commitInfo.operationParameters is an object: ${JSON.stringify(ci)}`);
	assert.ok(ci.operationMetrics && typeof ci.operationMetrics === 'object',
			  `${label}: commitInfo.operationMetrics is an object: ${JSON.stringify(ci)}`);
	if (numFiles !== undefined)
		assert.equal(Number(ci.operationMetrics.numFiles), numFiles, `${label}: operationMetrics.numFiles of ${JSON.stringify(ci.operationMetrics)}`);
	if (numOutputRows !== undefined)
		assert.equal(Number(ci.operationMetrics.numOutputRows), numOutputRows,
					 `${label}: operationMetrics.numOutputRows of ${JSON.stringify(ci.operationMetrics)}`);
	assert.match(String(ci.engineInfo), ENGINE_RE, `${label}: commitInfo.engineInfo`);
	return ci;
}

/* The protocol a table of these columns needs: (1, 2), or (3, 7) with timestampNtz. */
export function checkProtocol(protocol, cols, label)
{
	assert.ok(protocol, `${label}: a protocol action`);
	if (cols.some((c) => c.deltaType === 'timestamp_ntz'))
	{
		assert.equal(protocol.minReaderVersion, 3, `${label}: timestamp_ntz needs minReaderVersion 3: ${JSON.stringify(protocol)}`);
		assert.equal(protocol.minWriterVersion, 7, `${label}: timestamp_ntz needs minWriterVersion 7: ${JSON.stringify(protocol)}`);
		assert.ok((protocol.readerFeatures || []).includes('timestampNtz'), `${label}: readerFeatures has timestampNtz: ${JSON.stringify(protocol)}`);
		assert.ok((protocol.writerFeatures || []).includes('timestampNtz'), `${label}: writerFeatures has timestampNtz: ${JSON.stringify(protocol)}`);
	}
	else
	{
		assert.equal(protocol.minReaderVersion, 1, `${label}: minReaderVersion: ${JSON.stringify(protocol)}`);
		assert.equal(protocol.minWriterVersion, 2, `${label}: minWriterVersion: ${JSON.stringify(protocol)}`);
	}
}

/* metaData: Parquet format, the schema's names, types and order, partition columns. */
export function checkMetaData(meta, cols, partitionColumns, label)
{
	assert.ok(meta, `${label}: a metaData action`);
	assert.match(String(meta.id), /^[0-9a-f-]{36}$/i, `${label}: metaData.id is a UUID`);
	assert.equal(meta.format && meta.format.provider, 'parquet', `${label}: metaData.format.provider`);
	const fields = schemaFields(meta);
	assert.deepEqual(fields.map((f) => [f.name, f.type]), cols.map((c) => [c.name, c.deltaType]),
					 `${label}: schemaString names and types`);
	for (const f of fields)
	{
		assert.equal(typeof f.nullable, 'boolean', `${label}: field ${f.name} nullable is a boolean`);
		assert.ok(f.metadata && typeof f.metadata === 'object', `${label}: field ${f.name} has metadata`);
	}
	assert.deepEqual(meta.partitionColumns, partitionColumns, `${label}: partitionColumns`);
	assert.ok(meta.configuration && typeof meta.configuration === 'object', `${label}: metaData.configuration is an object`);
}

/* Microseconds since the epoch of a stats timestamp (ISO, UTC when no zone). */
export function isoToMicros(s)
{
	const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d):(\d\d)(?:\.(\d{1,9}))?(Z|[+-]\d\d:?\d\d)?$/.exec(String(s));
	assert.ok(m, `a timestamp in ISO form: ${JSON.stringify(s)}`);
	const d = new Date(0);
	d.setUTCFullYear(+m[1], +m[2] - 1, +m[3]);	/* Date.UTC maps years 0..99 to 19xx */
	d.setUTCHours(+m[4], +m[5], +m[6], 0);
	const ms = d.getTime();
	let us = BigInt(ms) * 1000n + BigInt(((m[7] || '') + '000000').slice(0, 6));
	if (m[8] && m[8] !== 'Z')
	{
		const z = /^([+-])(\d\d):?(\d\d)$/.exec(m[8]);
		const off = BigInt((Number(z[2]) * 60 + Number(z[3])) * 60) * 1000000n;
		us = z[1] === '+' ? us - off : us + off;
	}
	return us;
}

const MINMAX_KINDS = new Set(['int', 'float8', 'float4', 'numeric', 'text', 'date', 'ts']);

/*
 * The stats of an add against the file's data read by DuckDB: numRecords
 * the file's row count; nullCount of every data column exact; minValues and
 * maxValues of every column with a value whose type has an order Delta
 * records (numbers, strings, dates, timestamps), exact (timestamps within
 * the millisecond writers truncate to).  Returns numRecords.
 */
export async function checkAddStats(duck, tableDir, add, cols, partitionColumns, label)
{
	assert.equal(typeof add.stats, 'string', `${label}: add ${add.path} has stats (JSON text)`);
	const st = JSON.parse(add.stats);
	const file = addFile(tableDir, add);
	assert.ok(fs.existsSync(file), `${label}: the file of add ${add.path} exists`);
	assert.equal(add.size, fs.statSync(file).size, `${label}: add.size of ${add.path} is the file's size`);
	assert.equal(add.dataChange, true, `${label}: add.dataChange`);
	assert.equal(typeof add.modificationTime, 'number', `${label}: add.modificationTime`);
	const data = cols.filter((c) => !partitionColumns.includes(c.name));
	const aggs = data.map((c) => {
		const q = L.quoteIdent(c.name);
		return `${L.KINDS[c.kind].duck(`min(${q})`)}, ${L.KINDS[c.kind].duck(`max(${q})`)}, (count(*) - count(${q}))::varchar`;
	});
	const [row] = await duck.rows(`SELECT count(*)::varchar${aggs.length ? ', ' + aggs.join(', ') : ''}
		FROM read_parquet(${L.quoteLiteral(file)})`);
	const n = Number(row[0]);
	assert.equal(st.numRecords, n, `${label}: stats.numRecords of ${add.path}: ${add.stats}`);
	for (let j = 0; j < data.length; j++)
	{
		const c = data[j];
		const dmin = L.canonCell(c.kind, row[1 + 3 * j]);
		const dmax = L.canonCell(c.kind, row[2 + 3 * j]);
		const nulls = Number(row[3 + 3 * j]);
		assert.ok(st.nullCount && Object.prototype.hasOwnProperty.call(st.nullCount, c.name),
				  `${label}: stats.nullCount has ${c.name}: ${add.stats}`);
		assert.equal(Number(st.nullCount[c.name]), nulls, `${label}: stats.nullCount.${c.name} of ${add.path}`);
		if (!MINMAX_KINDS.has(c.kind) || nulls === n)
			continue;
		for (const [which, actual] of [['minValues', dmin], ['maxValues', dmax]])
		{
			assert.ok(st[which] && Object.prototype.hasOwnProperty.call(st[which], c.name),
					  `${label}: stats.${which} has ${c.name}: ${add.stats}`);
			const sv = st[which][c.name];
			const what = `${label}: stats.${which}.${c.name} of ${add.path} (${JSON.stringify(sv)}) vs the data (${actual})`;
			switch (c.kind)
			{
				case 'ts':
				{
					const d = isoToMicros(sv) - BigInt(actual);
					assert.ok(d > -1000n && d < 1000n, what);
					break;
				}
				case 'date':
				{
					assert.match(String(sv), /^\d{4}-\d\d-\d\d$/, what);
					const dd = new Date(0);
					dd.setUTCFullYear(+sv.slice(0, 4), +sv.slice(5, 7) - 1, +sv.slice(8, 10));
					const days = Math.round(dd.getTime() / 86400000);
					assert.equal(String(days), actual, what);
					break;
				}
				case 'numeric':
					assert.equal(L.canonDecimal(String(sv)), actual, what);
					break;
				case 'float8':
				case 'float4':
					/* -0 and 0 are the same bound */
					assert.equal(L.canonFloat(Number(sv), c.kind === 'float4').replace(/^-0$/, '0'), actual.replace(/^-0$/, '0'), what);
					break;
				case 'text':
					/* writers may truncate long strings: a prefix of the minimum, a string above the maximum */
					if (which === 'minValues')
						assert.ok(sv === actual || (sv.length >= 16 && actual.startsWith(sv)), what);
					else
						assert.ok(sv === actual || (sv.length >= 16 && L.compareBytes(sv, actual) > 0 && sv.length < actual.length), what);
					break;
				default:
					assert.equal(String(sv), actual, what);
			}
		}
	}
	return n;
}

/*
 * The partition directories of an add: one segment per partition column,
 * <col>=<Hive-escaped value> (__HIVE_DEFAULT_PARTITION__ for null), in
 * order, then the file name.
 */
export function checkPartitionPath(add, partitionColumns, label)
{
	const segs = decodeURIComponent(add.path).split('/');
	assert.equal(segs.length, partitionColumns.length + 1, `${label}: ${add.path} has one directory per partition column`);
	for (let i = 0; i < partitionColumns.length; i++)
	{
		const c = partitionColumns[i];
		const v = add.partitionValues[c];
		assert.ok(Object.prototype.hasOwnProperty.call(add.partitionValues, c), `${label}: partitionValues has ${c}`);
		assert.ok(segs[i].startsWith(`${c}=`), `${label}: segment ${segs[i]} names ${c}`);
		const dirValue = segs[i].slice(c.length + 1);
		if (v === null)
			assert.equal(dirValue, '__HIVE_DEFAULT_PARTITION__', `${label}: a null partition value`);
		else
			assert.equal(hiveUnescape(dirValue), v, `${label}: directory ${segs[i]} holds partition value ${JSON.stringify(v)}`);
	}
	assert.match(segs[segs.length - 1], /\.parquet$/, `${label}: a Parquet file name`);
}

/* -------------------------------------------------- a restarting server -- */

/*
 * Connect, retrying while the server restarts (after a backend was killed
 * the postmaster ends every session and recovers), up to ms.
 */
export async function connectWhenReady(opts = {}, ms = 60000)
{
	const end = Date.now() + ms;
	let last;
	for (;;)
	{
		try
		{
			const c = await L.pgConnect(opts);
			await c.query('SELECT 1');
			return c;
		}
		catch (e)
		{
			last = e;
		}
		if (Date.now() > end)
			assert.fail(`the server did not accept connections within ${ms} ms: ${last && last.message}`);
		await new Promise((r) => setTimeout(r, 100));
	}
}

/* Close a client that may already be dead. */
export async function closeQuietly(c)
{
	if (!c)
		return;
	try
	{
		await Promise.race([c.end(), new Promise((r) => setTimeout(r, 2000))]);
	}
	catch (e)
	{
		/* already gone */
	}
}

/* A server (root) over a fresh directory, and a schema, for a suite. */
export async function setupServer(pgc, { schema, server, dirName })
{
	const root = L.makeFilesSubdir(dirName);
	await pgc.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${schema}`);
	await pgc.query(`DROP SERVER IF EXISTS ${server} CASCADE`);
	await pgc.query(`CREATE SERVER ${server} FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root ${L.quoteLiteral(root)})`);
	return root;
}

/* CREATE FOREIGN TABLE schema.name (cols) SERVER s OPTIONS (path rel[, more]). */
export async function createLakeTable(pgc, { schema, server, name, cols, rel, options = '' })
{
	await pgc.query(`DROP FOREIGN TABLE IF EXISTS ${schema}.${name}`);
	await pgc.query(`CREATE FOREIGN TABLE ${schema}.${name} (${columnsSql(cols)}) SERVER ${server}
		OPTIONS (path ${L.quoteLiteral(rel || name)}${options ? ', ' + options : ''})`);
	return `${schema}.${name}`;
}
