// bench_zorder.mjs
//   The maintenance part of `make bench` (issue 6): the one-sensor-one-hour
//   query on BENCH_ZORDER_ROWS (default 10,000,000) sensor readings, three
//   ways, measured in one run:
//   - a heap table with a btree index on (sensor_id, "timestamp") (the anchor);
//   - a Delta table as the stream wrote it: files in arrival (time) order,
//     cut at lakehouse.target_file_size (BENCH_ZORDER_FILE_SIZE, default
//     4MB, so the table has tens of files, as a compacted stream would;
//     row groups of BENCH_ZORDER_ROW_GROUP_SIZE, default 512kB, so that
//     statistics skip inside a file too);
//   - the same table after lakehouse.optimize(..., ARRAY['sensor_id', 'timestamp']).
//   Also one sensor over all its history (where the arrival order cannot
//   skip and Z-order can), and the OPTIMIZE itself.  Median of BENCH_RUNS
//   (default 5) timed runs after a warm-up; Files Scanned from EXPLAIN
//   ANALYZE.  Every query's result is checked equal across the three.
//   Environment: BENCH_DIR (a directory the server can write), BENCH_GEN
//   (gen_sensor_data), BENCH_REPORT (a markdown report to append to),
//   PGHOST and friends.  Writes bench/results/zorder.md.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'test', 'package.json'));
const pg = require('pg');

const env = process.env;
const ROWS = Number(env.BENCH_ZORDER_ROWS || 10000000);
const RUNS = Number(env.BENCH_RUNS || 5);
const FILE_SIZE = env.BENCH_ZORDER_FILE_SIZE || '4MB';
const ROW_GROUP_SIZE = env.BENCH_ZORDER_ROW_GROUP_SIZE || '512kB';
const DIR = env.BENCH_DIR;
const GEN = env.BENCH_GEN;
const sqlStr = (s) => "'" + s.replaceAll("'", "''") + "'";
const fmt = (ms) => (ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : Math.round(ms).toString());

function median(a)
{
	const s = [...a].sort((x, y) => x - y);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const client = new pg.Client({ types: { getTypeParser: () => (v) => v } });
await client.connect();
const q = async (sql, params = []) => (await client.query({ text: sql, values: params, rowMode: 'array' })).rows;

const root = path.join(DIR, 'zorder');
fs.rmSync(root, { recursive: true, force: true });
fs.mkdirSync(root, { recursive: true });
fs.chmodSync(root, 0o777);
const csv = path.join(root, 'readings.csv');
const t0 = performance.now();
execFileSync(GEN, ['--rows', String(ROWS), '--sensors', '100', '--seed', '6', '--out', csv]);
fs.chmodSync(csv, 0o644);
console.log(`bench zorder: ${ROWS} rows generated in ${((performance.now() - t0) / 1000).toFixed(1)} s`);

await q('SET max_parallel_workers_per_gather = 0');
await q('DROP TABLE IF EXISTS zheap');
await q(`CREATE TABLE zheap (sensor_id int, "timestamp" timestamptz, temperature float8, humidity float8, location text)`);
await q(`COPY zheap FROM ${sqlStr(csv)} (FORMAT csv, HEADER)`);
await q('CREATE INDEX ON zheap (sensor_id, "timestamp")');
await q('VACUUM ANALYZE zheap');
await q('DROP SERVER IF EXISTS zsrv CASCADE');
await q(`CREATE SERVER zsrv FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root ${sqlStr(root)})`);
await q(`CREATE FOREIGN TABLE zdelta (sensor_id int, "timestamp" timestamptz, temperature float8, humidity float8,
	location text) SERVER zsrv OPTIONS (path 'readings')`);
await q(`SET lakehouse.target_file_size = ${sqlStr(FILE_SIZE)}`);
await q(`SET lakehouse.parquet_row_group_size = ${sqlStr(ROW_GROUP_SIZE)}`);
let t = performance.now();
await q(`SELECT lakehouse.ingest_csv('zdelta', ${sqlStr(csv)})`);
const loadMs = performance.now() - t;

// the instants: one hour in the middle of the data, one sensor
const [[minTs, maxTs]] = await q('SELECT min("timestamp")::text, max("timestamp")::text FROM zheap');
const [[hourStart]] = await q(`SELECT date_trunc('hour', $1::timestamptz + ($2::timestamptz - $1::timestamptz) / 2)::text`, [minTs, maxTs]);
const SENSOR = 1042;
const queries = [
	{ label: 'one sensor, one hour', sql: (t) => `SELECT count(*), avg(temperature), max(humidity) FROM ${t}
		WHERE sensor_id = ${SENSOR} AND "timestamp" >= '${hourStart}' AND "timestamp" < '${hourStart}'::timestamptz + interval '1 hour'` },
	{ label: 'one sensor, all of it', sql: (t) => `SELECT count(*), avg(temperature), max(humidity) FROM ${t} WHERE sensor_id = ${SENSOR}` },
	{ label: 'one hour, all sensors', sql: (t) => `SELECT count(*), avg(temperature), max(humidity) FROM ${t}
		WHERE "timestamp" >= '${hourStart}' AND "timestamp" < '${hourStart}'::timestamptz + interval '1 hour'` },
];

async function filesScanned(sql)
{
	const [[plan]] = await q(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`);
	const nodes = [JSON.parse(plan)[0].Plan];
	while (nodes.length)
	{
		const n = nodes.pop();
		if (n['Files Total'] !== undefined)
			return `${n['Files Scanned']} / ${n['Files Total']}`;
		nodes.push(...(n.Plans || []));
	}
	return '-';
}

async function time(sql)
{
	await q(sql);
	const ms = [];
	let result;
	for (let i = 0; i < RUNS; i++)
	{
		const s = performance.now();
		result = await q(sql);
		ms.push(performance.now() - s);
	}
	return { ms: median(ms), result: JSON.stringify(result) };
}

const measured = [];
for (const qq of queries)
	measured.push({ label: qq.label, heap: await time(qq.sql('zheap')), before: await time(qq.sql('zdelta')),
		beforeFiles: await filesScanned(qq.sql('zdelta')) });
t = performance.now();
const [opt] = await q(`SELECT files_removed, files_added, rows FROM lakehouse.optimize('zdelta', ARRAY['sensor_id', 'timestamp'])`);
const optMs = performance.now() - t;
const problems = [];
for (const m of measured)
{
	const qq = queries.find((x) => x.label === m.label);
	m.after = await time(qq.sql('zdelta'));
	m.afterFiles = await filesScanned(qq.sql('zdelta'));
	// avg() of the same floats summed in another order may differ in the last bits
	const norm = (r) => JSON.parse(r).map((row) => row.map((v) => (v === null ? v : Number(v).toPrecision(12))));
	for (const k of ['before', 'after'])
		if (JSON.stringify(norm(m[k].result)) !== JSON.stringify(norm(m.heap.result)))
			problems.push(`${m.label}: the Delta table ${k} Z-order returns ${m[k].result}, the heap ${m.heap.result}`);
}

const lines = [];
lines.push('## Z-order: one sensor over one hour (issue 6)');
lines.push('');
lines.push(`- date: ${new Date().toISOString().replace('T', ' ').slice(0, 19)} UTC; machine: ${os.cpus()[0].model}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GB; one backend, no parallel workers`);
lines.push(`- ${ROWS.toLocaleString('en-US')} readings (100 sensors, one every 5 s) from \`gen_sensor_data --seed 6\`; the Delta table written by \`ingest_csv\` in arrival order with \`lakehouse.target_file_size = '${FILE_SIZE}'\` and \`parquet_row_group_size = '${ROW_GROUP_SIZE}'\` (${(loadMs / 1000).toFixed(1)} s), then \`lakehouse.optimize('zdelta', ARRAY['sensor_id', 'timestamp'])\`: ${opt[0]} files into ${opt[1]}, ${Number(opt[2]).toLocaleString('en-US')} rows, ${(optMs / 1000).toFixed(1)} s`);
lines.push(`- anchor: a heap table with a btree index on (sensor_id, "timestamp"); median of ${RUNS} runs after a warm-up, ms; Files Scanned / Files Total from EXPLAIN ANALYZE`);
lines.push('');
lines.push('| query | heap + btree ms | Delta, arrival order ms (files) | Delta, Z-ordered ms (files) | Z-ordered / heap |');
lines.push('|---|---:|---:|---:|---:|');
for (const m of measured)
	lines.push(`| ${m.label} | ${fmt(m.heap.ms)} | ${fmt(m.before.ms)} (${m.beforeFiles}) | ${fmt(m.after.ms)} (${m.afterFiles}) | ${(m.after.ms / m.heap.ms).toFixed(2)}x |`);
lines.push('');
if (problems.length)
	lines.push('Problems: ' + problems.join('; '));
const text = lines.join('\n') + '\n';
console.log(text);
fs.mkdirSync(path.join(here, 'results'), { recursive: true });
fs.writeFileSync(path.join(here, 'results', 'zorder.md'), text);
if (env.BENCH_REPORT)
	fs.appendFileSync(env.BENCH_REPORT, '\n' + text);
await q('DROP FOREIGN TABLE zdelta');
await q('DROP TABLE zheap');
await client.end();
fs.rmSync(root, { recursive: true, force: true });
process.exit(problems.length ? 1 : 0);
