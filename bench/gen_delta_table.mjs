// gen_delta_table.mjs
//   Writes a synthetic Delta Lake table for the benchmarks (issue 3): a
//   _delta_log of N JSON commits, each adding F Parquet data files written
//   by DuckDB, with or without classic checkpoints every K commits (plus
//   _last_checkpoint), in the shape Spark writes: commit 0 holds
//   commitInfo, protocol (reader 1, writer 2), metaData; every commit holds
//   commitInfo and its add actions, each with size, modificationTime and
//   stats (numRecords, minValues, maxValues, nullCount of every column).
//
//   Usage: node bench/gen_delta_table.mjs DIR [--commits N] [--files-per-commit F]
//            [--rows-per-file R] [--checkpoint-interval K] [--data link|distinct]
//            [--sensors-per-file S] [--row-group-rows G]
//   Defaults: 100 commits, 1 file per commit, 10 rows per file, no
//   checkpoints, link, 10 sensors per file, DuckDB's row-group size.
//   DIR must not exist yet (or be empty).  Prints one JSON line describing
//   the table (commits, latest version, files, rows, checkpoints, bytes).
//
//   Schema: sensor_id integer, timestamp timestamp (Parquet INT64 micros,
//   UTC-adjusted), temperature double, humidity double, location string;
//   not partitioned.  Data file g (0-based, over the whole table) holds
//   sensors g*S+1 .. g*S+S, R/S readings each, 5 s apart from 2025-05-01
//   00:00 UTC, sorted by sensor then time: every file covers its own range
//   of sensor_id, so statistics can single out one file of the table.
//
//   --data distinct writes every file (R rows each).  --data link writes
//   file 0 only and makes every other file a hard link of it: for tables
//   whose contents do not matter (snapshot loading, count(*) from the log),
//   this keeps 10,000 files or 100 million rows to the disk space of one
//   file.  The stats of a linked file are file 0's, so they describe its
//   bytes exactly (its sensor range is 1..S, like file 0's).
//
//   Checkpoints (K > 0): at every version v with v % K == 0 and v > 0, as
//   Spark does with delta.checkpointInterval = K (also set in the table's
//   configuration): one Parquet file v.checkpoint.parquet with one row per
//   action (protocol, metaData, then the adds of versions 0..v) in the
//   top-level struct columns txn, add, remove, metaData, protocol, as in
//   test/unit/make_delta_checkpoint.mjs.  _last_checkpoint names the last
//   one, with size (actions), sizeInBytes and numOfAddFiles.
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'test', 'package.json'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

function usage(msg) {
	if (msg)
		console.error(`gen_delta_table: ${msg}`);
	console.error('usage: gen_delta_table.mjs DIR [--commits N] [--files-per-commit F] [--rows-per-file R]\n' +
		'         [--checkpoint-interval K] [--data link|distinct] [--sensors-per-file S] [--row-group-rows G]');
	process.exit(2);
}

const opt = { commits: 100, filesPerCommit: 1, rowsPerFile: 10, checkpointInterval: 0,
	data: 'link', sensorsPerFile: 10, rowGroupRows: 0 };
const names = { '--commits': 'commits', '--files-per-commit': 'filesPerCommit',
	'--rows-per-file': 'rowsPerFile', '--checkpoint-interval': 'checkpointInterval',
	'--sensors-per-file': 'sensorsPerFile', '--row-group-rows': 'rowGroupRows' };
const argv = process.argv.slice(2);
let dir = null;
for (let i = 0; i < argv.length; i++) {
	const a = argv[i];
	if (a === '--data') {
		opt.data = argv[++i];
		if (opt.data !== 'link' && opt.data !== 'distinct')
			usage('--data is link or distinct');
	} else if (names[a]) {
		const v = Number(argv[++i]);
		if (!Number.isSafeInteger(v) || v < 0)
			usage(`${a} needs a non-negative integer`);
		opt[names[a]] = v;
	} else if (a.startsWith('--') || dir !== null)
		usage(`unexpected argument ${a}`);
	else
		dir = a;
}
if (dir === null)
	usage('no directory');
if (opt.commits < 1 || opt.filesPerCommit < 1 || opt.rowsPerFile < 1 || opt.sensorsPerFile < 1)
	usage('commits, files per commit, rows per file and sensors per file must be at least 1');
if (opt.rowsPerFile % opt.sensorsPerFile !== 0)
	usage('rows per file must be a multiple of sensors per file');
if (fs.existsSync(dir) && fs.readdirSync(dir).length)
	usage(`${dir} is not empty`);

const logDir = path.join(dir, '_delta_log');
fs.mkdirSync(logDir, { recursive: true });

const START_S = 1746057600;		/* 2025-05-01 00:00:00 UTC */
const COMMIT_MS0 = START_S * 1000;
const commitMs = (v) => COMMIT_MS0 + v * 60000;	/* one commit a minute */
const pad = (n, w) => String(n).padStart(w, '0');
const sqlStr = (s) => "'" + s.replaceAll("'", "''") + "'";
/* a stable uuid-like name, like Spark's part-NNNNN-<uuid>-c000.snappy.parquet */
const hex = (n, w) => (n >>> 0).toString(16).padStart(w, '0').slice(-w);
const fileUuid = (g) => `${hex(g * 2654435761, 8)}-${hex(g, 4)}-4${hex(g >> 4, 3)}-8${hex(g * 40503, 3)}-${hex(g * 69069, 8)}${hex(g, 4)}`;
const fileName = (g) => `part-${pad(g % 100000, 5)}-${fileUuid(g)}-c000.snappy.parquet`;

const columns = [
	['sensor_id', 'integer'], ['timestamp', 'timestamp'], ['temperature', 'double'],
	['humidity', 'double'], ['location', 'string'],
];
const schemaString = JSON.stringify({
	type: 'struct',
	fields: columns.map(([name, type]) => ({ name, type, nullable: true, metadata: {} })),
});
const configuration = opt.checkpointInterval ? { 'delta.checkpointInterval': String(opt.checkpointInterval) } : {};
const tableId = `${hex(opt.commits * 7919 + opt.rowsPerFile, 8)}-0000-4000-8000-${hex(opt.filesPerCommit, 4)}${hex(opt.checkpointInterval, 8)}`;
const protocol = { minReaderVersion: 1, minWriterVersion: 2 };
const metaData = {
	id: tableId, format: { provider: 'parquet', options: {} }, schemaString,
	partitionColumns: [], configuration, createdTime: COMMIT_MS0,
};

const inst = await DuckDBInstance.create(':memory:', { threads: String(Math.min(4, os.cpus().length)) });
const con = await inst.connect();
const dq = async (sql) => (await con.runAndReadAll(sql)).getRows();

// ---------------------------------------------------------------- data files
const numFiles = opt.commits * opt.filesPerCommit;
const perSensor = opt.rowsPerFile / opt.sensorsPerFile;
function fileSql(g) {
	const s0 = g * opt.sensorsPerFile + 1;
	return `SELECT (${s0} + i // ${perSensor})::INTEGER AS sensor_id,
		to_timestamp(${START_S} + (i % ${perSensor}) * 5) AS "timestamp",
		round(55 + ((${s0} + i // ${perSensor}) % 97) / 10 + ((i % ${perSensor}) * 7 % 200) / 10, 1)::DOUBLE AS temperature,
		round(30 + ((${s0} + i // ${perSensor}) * 13 % 300) / 10 + ((i % ${perSensor}) * 3 % 100) / 10, 1)::DOUBLE AS humidity,
		'Room_' || chr(65 + ((${s0} + i // ${perSensor}) % 26)::INTEGER) AS location
		FROM range(${opt.rowsPerFile}) t(i)`;
}
const copyOpts = `FORMAT parquet, COMPRESSION snappy${opt.rowGroupRows ? `, ROW_GROUP_SIZE ${opt.rowGroupRows}` : ''}`;
const written = opt.data === 'link' ? 1 : numFiles;
for (let g = 0; g < written; g++)
	await con.run(`COPY (${fileSql(g)}) TO ${sqlStr(path.join(dir, fileName(g)))} (${copyOpts})`);
for (let g = written; g < numFiles; g++)
	fs.linkSync(path.join(dir, fileName(0)), path.join(dir, fileName(g)));

/* statistics of the written files, from the files themselves */
const statsOf = new Map();
const list = `[${Array.from({ length: written }, (_, g) => sqlStr(path.join(dir, fileName(g)))).join(', ')}]`;
const rows = await dq(`SELECT filename, count(*), min(sensor_id), max(sensor_id),
	epoch_ms(min("timestamp")), epoch_ms(max("timestamp")), min(temperature), max(temperature),
	min(humidity), max(humidity), min(location), max(location),
	count(*) - count(sensor_id), count(*) - count("timestamp"), count(*) - count(temperature),
	count(*) - count(humidity), count(*) - count(location)
	FROM read_parquet(${list}, filename = true) GROUP BY filename`);
for (const r of rows) {
	const iso = (ms) => new Date(Number(ms)).toISOString();
	const num = (x) => Number(x);
	const stats = {
		numRecords: num(r[1]),
		minValues: { sensor_id: num(r[2]), timestamp: iso(r[4]), temperature: num(r[6]), humidity: num(r[8]), location: r[10] },
		maxValues: { sensor_id: num(r[3]), timestamp: iso(r[5]), temperature: num(r[7]), humidity: num(r[9]), location: r[11] },
		nullCount: { sensor_id: num(r[12]), timestamp: num(r[13]), temperature: num(r[14]), humidity: num(r[15]), location: num(r[16]) },
	};
	statsOf.set(path.basename(r[0]), JSON.stringify(stats));
}
const size0 = fs.statSync(path.join(dir, fileName(0))).size;
const adds = [];				/* per file g: its add action (in the commit's JSON) */
for (let g = 0; g < numFiles; g++) {
	const v = Math.floor(g / opt.filesPerCommit);
	const src = opt.data === 'link' ? fileName(0) : fileName(g);
	adds.push({
		path: fileName(g), partitionValues: {},
		size: opt.data === 'link' ? size0 : fs.statSync(path.join(dir, src)).size,
		modificationTime: commitMs(v), dataChange: true, stats: statsOf.get(src),
	});
}

// ---------------------------------------------------------------- commits
for (let v = 0; v < opt.commits; v++) {
	const mine = adds.slice(v * opt.filesPerCommit, (v + 1) * opt.filesPerCommit);
	const commitInfo = {
		timestamp: commitMs(v), operation: 'WRITE',
		operationParameters: { mode: v === 0 ? 'ErrorIfExists' : 'Append', partitionBy: '[]' },
		readVersion: v === 0 ? undefined : v - 1,
		isolationLevel: 'Serializable', isBlindAppend: true,
		operationMetrics: {
			numFiles: String(mine.length),
			numOutputRows: String(mine.reduce((s, a) => s + JSON.parse(a.stats).numRecords, 0)),
			numOutputBytes: String(mine.reduce((s, a) => s + a.size, 0)),
		},
		engineInfo: 'iot_lakehouse bench/gen_delta_table.mjs',
		txnId: `${hex(v * 2246822519, 8)}-${hex(v, 4)}-4000-8000-${hex(v * 3266489917, 12)}`,
	};
	const lines = [JSON.stringify({ commitInfo })];
	if (v === 0) {
		lines.push(JSON.stringify({ protocol }));
		lines.push(JSON.stringify({ metaData }));
	}
	for (const add of mine)
		lines.push(JSON.stringify({ add }));
	fs.writeFileSync(path.join(logDir, `${pad(v, 20)}.json`), lines.join('\n') + '\n');
}

// ---------------------------------------------------------------- checkpoints
let checkpoints = 0;
let checkpointBytes = 0;
if (opt.checkpointInterval > 0 && opt.commits > opt.checkpointInterval) {
	const MAP = 'MAP(VARCHAR, VARCHAR)';
	const T_TXN = 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)';
	const T_ADD = `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, tags ${MAP}, stats VARCHAR)`;
	const T_REMOVE = `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT)`;
	const T_META = `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)`;
	const T_PROTO = 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)';

	/* the adds, into a DuckDB table through a temporary NDJSON file */
	const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'gen_delta_'));
	const nd = path.join(tmp, 'adds.json');
	fs.writeFileSync(nd, adds.map((a, g) => JSON.stringify({ g, v: Math.floor(g / opt.filesPerCommit),
		path: a.path, size: a.size, mtime: a.modificationTime, stats: a.stats })).join('\n') + '\n');
	await con.run(`CREATE TABLE adds AS SELECT * FROM read_json(${sqlStr(nd)}, format = 'newline_delimited',
		columns = {'g': 'BIGINT', 'v': 'BIGINT', 'path': 'VARCHAR', 'size': 'BIGINT', 'mtime': 'BIGINT', 'stats': 'VARCHAR'})`);
	fs.rmSync(tmp, { recursive: true, force: true });
	const confMap = Object.keys(configuration).length
		? `MAP {${Object.entries(configuration).map(([k, v]) => `${sqlStr(k)}: ${sqlStr(v)}`).join(', ')}}`
		: 'MAP {}';
	let last = null;
	for (let v = opt.checkpointInterval; v < opt.commits; v += opt.checkpointInterval) {
		const file = path.join(logDir, `${pad(v, 20)}.checkpoint.parquet`);
		const sql = `
			SELECT -2 AS k, NULL::${T_TXN} AS txn, NULL::${T_ADD} AS add, NULL::${T_REMOVE} AS remove,
				NULL::${T_META} AS metaData,
				{'minReaderVersion': ${protocol.minReaderVersion}, 'minWriterVersion': ${protocol.minWriterVersion}}::${T_PROTO} AS protocol
			UNION ALL
			SELECT -1, NULL, NULL, NULL,
				{'id': ${sqlStr(tableId)}, 'name': NULL, 'description': NULL,
				 'format': {'provider': 'parquet', 'options': MAP {}},
				 'schemaString': ${sqlStr(schemaString)}, 'partitionColumns': []::VARCHAR[],
				 'configuration': ${confMap}, 'createdTime': ${COMMIT_MS0}}::${T_META},
				NULL
			UNION ALL
			SELECT g, NULL,
				{'path': path, 'partitionValues': MAP {}, 'size': size, 'modificationTime': mtime,
				 'dataChange': false, 'tags': NULL, 'stats': stats}::${T_ADD},
				NULL, NULL, NULL
			FROM adds WHERE v <= ${v}`;
		await con.run(`COPY (SELECT txn, add, remove, metaData, protocol FROM (${sql}) ORDER BY k)
			TO ${sqlStr(file)} (FORMAT parquet, COMPRESSION snappy)`);
		const nadds = Math.min(numFiles, (v + 1) * opt.filesPerCommit);
		const bytes = fs.statSync(file).size;
		last = { version: v, size: nadds + 2, sizeInBytes: bytes, numOfAddFiles: nadds };
		checkpoints++;
		checkpointBytes += bytes;
	}
	fs.writeFileSync(path.join(logDir, '_last_checkpoint'), JSON.stringify(last) + '\n');
}

let logBytes = 0;
for (const f of fs.readdirSync(logDir))
	logBytes += fs.statSync(path.join(logDir, f)).size;
const dataBytes = opt.data === 'link' ? size0 : adds.reduce((s, a) => s + a.size, 0);
console.log(JSON.stringify({
	dir, commits: opt.commits, latest: opt.commits - 1, files: numFiles,
	rows: adds.reduce((s, a) => s + JSON.parse(a.stats).numRecords, 0),
	rows_per_file: opt.rowsPerFile, data: opt.data, checkpoint_interval: opt.checkpointInterval,
	checkpoints, log_bytes: logBytes, checkpoint_bytes: checkpointBytes, data_bytes_on_disk: dataBytes,
}));
