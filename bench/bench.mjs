// bench.mjs
//   The measurements of `make bench` (issue 2), side by side in one run:
//   write rows/s (lakehouse.write_parquet vs DuckDB COPY TO, threads=1),
//   full-scan rows/s of SELECT count(*), avg(temperature) over a Parquet
//   foreign table, the heap (parallel and not), file_fdw and DuckDB
//   read_parquet, and the sizes of CSV, heap and Parquet files.  Prints a
//   markdown report and writes it to $BENCH_REPORT.
//
//   Timing: performance.now() around each query in this one process:
//   PostgreSQL over its unix socket (node-postgres, one session), DuckDB
//   in-process.  Every query returns one row, so client overhead is a
//   fraction of a millisecond.  Each timed query runs once to warm up, then
//   BENCH_RUNS times; we report the best and the median.
//
//   Run by bench/run.sh, which starts the cluster, loads bench/setup.sql and
//   sets: PGHOST etc., BENCH_CSV, BENCH_DIR (a directory the server can
//   write), BENCH_ROWS, BENCH_RUNS, BENCH_REPORT, BENCH_LAKE_SCAN and
//   BENCH_PARQUET_WRITE (micro-benchmark binaries, optional), BENCH_COMMAND.
//   The Delta Lake part (issue 3) is bench/bench_delta.mjs, whose section
//   is appended to the report (BENCH_DELTA=0 leaves it out;
//   BENCH_DELTA_SNAPSHOT: its lake/-only micro-benchmark binary).  The
//   Delta write part (issue 4) is bench/bench_write.mjs (BENCH_WRITE=0
//   leaves it out).
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import fs from 'node:fs';
import os from 'node:os';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'test', 'package.json'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
const pg = require('pg');

const env = process.env;
const CSV = env.BENCH_CSV;
const DIR = env.BENCH_DIR;
const ROWS = Number(env.BENCH_ROWS || 5000000);
const RUNS = Number(env.BENCH_RUNS || 5);
const SLOW_RUNS = RUNS;		/* file_fdw and the writes (about a second each) */
const loadBefore = os.loadavg()[0];
const REPORT = env.BENCH_REPORT;
const SCAN_SQL = 'SELECT count(*), avg(temperature) FROM';

function median(a) {
	const s = [...a].sort((x, y) => x - y);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

// Run fn once to warm up (unless warm is false), then runs times; times in ms.
async function timeRuns(fn, runs, warm = true) {
	if (warm)
		await fn(-1);
	const times = [];
	let last;
	for (let i = 0; i < runs; i++) {
		const t0 = performance.now();
		last = await fn(i);
		times.push(performance.now() - t0);
	}
	return { best: Math.min(...times), median: median(times), runs, last };
}

const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtMs = (ms) => ms.toFixed(ms < 100 ? 1 : 0);
const fmtRate = (ms) => (ROWS / (ms / 1000) / 1e6).toFixed(2);
const fmtMB = (b) => (b / 1048576).toFixed(1);

const client = new pg.Client();
await client.connect();
const q = async (sql, params) => (await client.query(sql, params)).rows;

const pgVersion = (await q('SHOW server_version'))[0].server_version;
const settings = Object.fromEntries((await q(
	`SELECT name, current_setting(name) AS value FROM pg_settings WHERE name IN
	 ('shared_buffers', 'work_mem', 'max_parallel_workers_per_gather', 'jit', 'fsync') ORDER BY name`))
	.map((r) => [r.name, r.value]));

const notes = [];
const problems = [];

// ---------------------------------------------------------------- write
// write_parquet: each run writes a new file; the first one is scanned later.
const lakeFile = (i) => path.join(DIR, i < 0 ? 'lake_warm.parquet' : `lake_${i}.parquet`);
for (const i of [-1, ...Array(SLOW_RUNS).keys()])
	fs.rmSync(lakeFile(i), { force: true });
const lakeWrite = await timeRuns(async (i) =>
	Number((await q(`SELECT lakehouse.write_parquet('SELECT * FROM public.bench_heap', $1) AS n`,
		[lakeFile(i)]))[0].n), SLOW_RUNS);
if (lakeWrite.last !== ROWS)
	problems.push(`write_parquet returned ${lakeWrite.last} rows, expected ${ROWS}`);
const ourFile = lakeFile(0);

// DuckDB: load the same CSV, then time COPY TO alone with threads = 1.
const duck = await DuckDBInstance.create(':memory:');
const dc = await duck.connect();
const dq = async (sql) => (await dc.runAndReadAll(sql)).getRows();
const duckVersion = (await dq('SELECT version()'))[0][0];
const duckDefaultThreads = (await dq("SELECT current_setting('threads')"))[0][0];
await dq(`CREATE TABLE t AS SELECT * FROM read_csv('${CSV}', header = true, columns = {
	'sensor_id': 'INTEGER', 'timestamp': 'TIMESTAMP', 'temperature': 'DOUBLE',
	'humidity': 'DOUBLE', 'location': 'VARCHAR'})`);
await dq('SET threads = 1');
const duckFile = (i) => path.join(DIR, i < 0 ? 'duck_warm.parquet' : `duck_${i}.parquet`);
const duckWrite = await timeRuns(async (i) =>
	dq(`COPY t TO '${duckFile(i)}' (FORMAT parquet, COMPRESSION snappy)`), SLOW_RUNS);
await dq('DROP TABLE t');
const theirFile = duckFile(0);

// ---------------------------------------------------------------- scans
const cols = `sensor_id integer, "timestamp" timestamp, temperature double precision,
	humidity double precision, location text`;
await q('DROP FOREIGN TABLE IF EXISTS public.bench_pq, public.bench_pq_duck');
await q(`CREATE FOREIGN TABLE public.bench_pq (${cols}) SERVER bench_lake_server
	OPTIONS (format 'parquet', path '${ourFile}')`);
await q(`CREATE FOREIGN TABLE public.bench_pq_duck (${cols}) SERVER bench_lake_server
	OPTIONS (format 'parquet', path '${theirFile}')`);

// workers launched by the plan's Gather nodes (0 if none)
async function workersLaunched(table) {
	const plan = (await q(`EXPLAIN (ANALYZE, TIMING OFF, FORMAT JSON) ${SCAN_SQL} ${table}`))[0]['QUERY PLAN'];
	let planned = 0, launched = 0;
	const walk = (n) => {
		if (n['Workers Planned'] !== undefined) planned += n['Workers Planned'];
		if (n['Workers Launched'] !== undefined) launched += n['Workers Launched'];
		(n.Plans || []).forEach(walk);
	};
	walk(plan[0].Plan);
	return planned === 0 ? 'none' : `${launched} of ${planned}`;
}

const scans = [];
async function pgScan(label, table, runs, setup) {
	await q('RESET max_parallel_workers_per_gather');
	if (setup)
		await q(setup);
	const workers = await workersLaunched(table);
	const r = await timeRuns(async () => (await q(`${SCAN_SQL} ${table}`))[0], runs);
	scans.push({ label, workers, ...r, count: Number(r.last.count), avg: Number(r.last.avg) });
	await q('RESET max_parallel_workers_per_gather');
}
async function duckScan(label, file, threads) {
	await dq(threads ? `SET threads = ${threads}` : 'RESET threads');
	const r = await timeRuns(async () => {
		const row = (await dq(`${SCAN_SQL} read_parquet('${file}')`))[0];
		return { count: row[0], avg: row[1] };
	}, RUNS);
	scans.push({ label, workers: `threads=${threads || duckDefaultThreads}`, ...r,
		count: Number(r.last.count), avg: Number(r.last.avg) });
}

await pgScan('heap seq scan, default parallelism', 'public.bench_heap', RUNS);
await pgScan('heap seq scan, max_parallel_workers_per_gather = 0', 'public.bench_heap', RUNS,
	'SET max_parallel_workers_per_gather = 0');
await pgScan('Parquet foreign table (file by write_parquet)', 'public.bench_pq', RUNS);
await pgScan('Parquet foreign table (file by write_parquet), max_parallel_workers_per_gather = 0',
	'public.bench_pq', RUNS, 'SET max_parallel_workers_per_gather = 0');
await pgScan('Parquet foreign table (file by DuckDB)', 'public.bench_pq_duck', RUNS);
await pgScan('file_fdw over the CSV', 'public.bench_csv', SLOW_RUNS);
await duckScan('DuckDB read_parquet (file by write_parquet)', ourFile, 1);
await duckScan('DuckDB read_parquet (file by write_parquet)', ourFile, 0);
await duckScan('DuckDB read_parquet (file by DuckDB)', theirFile, 1);

// every source must agree with the heap
const ref = scans[0];
for (const s of scans) {
	if (s.count !== ROWS || Math.abs(s.avg - ref.avg) > 1e-9 * Math.abs(ref.avg))
		problems.push(`${s.label}: count ${s.count}, avg ${s.avg} (heap: ${ref.count}, ${ref.avg})`);
}

// ---------------------------------------------------------------- sizes
const heapBytes = Number((await q(`SELECT pg_total_relation_size('public.bench_heap') AS b`))[0].b);
const sizes = [
	['CSV', fs.statSync(CSV).size],
	['heap (pg_total_relation_size)', heapBytes],
	['Parquet by write_parquet (snappy)', fs.statSync(ourFile).size],
	['Parquet by DuckDB (snappy)', fs.statSync(theirFile).size],
];

// ---------------------------------------------------------------- lake/ alone
const micro = [];
function runMicro(label, bin, args) {
	if (!bin || !fs.existsSync(bin))
		return;
	try {
		const out = execFileSync(bin, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
		for (const line of out.split('\n').filter((l) => l.trim()))
			micro.push(`${label}: ${line.trim()}`);
	} catch (e) {
		micro.push(`${label}: failed: ${(e.stderr || e.message).toString().trim().split('\n')[0]}`);
	}
}
runMicro('bench_lake_scan', env.BENCH_LAKE_SCAN, [ourFile, String(RUNS)]);
// usage: bench_parquet_write [rows [path [codec]]] (its own generated rows)
runMicro('bench_parquet_write', env.BENCH_PARQUET_WRITE, [String(ROWS), path.join(DIR, 'micro_write.parquet')]);
fs.rmSync(path.join(DIR, 'micro_write.parquet'), { force: true });

// ---------------------------------------------------------------- Delta (issue 3)
let delta = null;
if (env.BENCH_DELTA !== '0') {
	console.error('bench: Delta tables (bench/bench_delta.mjs)');
	try {
		const { benchDelta } = await import('./bench_delta.mjs');
		delta = await benchDelta({ q, dq, dir: DIR, runs: RUNS, snapshotBin: env.BENCH_DELTA_SNAPSHOT,
			keep: !!env.KEEP_CLUSTER });
		problems.push(...delta.problems);
		notes.push(...delta.notes);
	} catch (e) {
		problems.push(`the Delta benchmark failed: ${e.message}`);
	}
}

// ---------------------------------------------------------------- Delta writes (issue 4)
let write = null;
if (env.BENCH_WRITE !== '0') {
	console.error('bench: writing Delta tables (bench/bench_write.mjs)');
	try {
		const { benchWrite } = await import('./bench_write.mjs');
		write = await benchWrite({ q, dq, csv: CSV, dir: DIR, rows: ROWS, runs: Math.min(RUNS, 3),
			keep: !!env.KEEP_CLUSTER });
		problems.push(...write.problems);
		notes.push(...write.notes);
	} catch (e) {
		problems.push(`the Delta write benchmark failed: ${e.message}`);
	}
}

await client.end();
for (const i of [-1, ...Array(SLOW_RUNS).keys()]) {
	if (i !== 0) {
		fs.rmSync(lakeFile(i), { force: true });
		fs.rmSync(duckFile(i), { force: true });
	}
}

// ---------------------------------------------------------------- report
const heapPar = scans[0], heapSeq = scans[1], pqOurs = scans[2], pqOursSeq = scans[3];
const writeRatio = lakeWrite.best / duckWrite.best;
const verdict = (ok) => (ok ? 'met' : 'NOT met');
const cpu = (os.cpus()[0] || {}).model || 'unknown CPU';
const L = [];
L.push('# iot_lakehouse benchmark (issues 2 and 3)');
L.push('');
L.push(`- date: ${new Date().toISOString().replace('T', ' ').replace(/\..*/, '')} UTC`);
L.push(`- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${os.type()} ${os.release()}`);
L.push(`- PostgreSQL ${pgVersion} (${Object.entries(settings).map(([k, v]) => `${k}=${v}`).join(', ')}); DuckDB ${duckVersion}`);
L.push(`- data: ${fmtInt(ROWS)} rows from bench/gen_sensor_data (no dirt), columns sensor_id int, timestamp, temperature double, humidity double, location text`);
L.push(`- command: \`${env.BENCH_COMMAND || 'make bench'}\``);
L.push(`- load average (1 min) before / after: ${loadBefore.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} (other work on the machine skews the figures)`);
L.push(`- timing: performance.now() around each query in one node process (PostgreSQL over a unix socket, one session; DuckDB in-process); one warm-up run, then best and median of ${RUNS} runs; warm cache`);
L.push('');
L.push('## Write');
L.push('');
L.push('| writer | best s | median s | rows/s (best) |');
L.push('|---|---:|---:|---:|');
L.push(`| \`lakehouse.write_parquet('SELECT * FROM bench_heap', ...)\` (snappy) | ${(lakeWrite.best / 1000).toFixed(2)} | ${(lakeWrite.median / 1000).toFixed(2)} | ${fmtInt(ROWS / (lakeWrite.best / 1000))} |`);
L.push(`| DuckDB \`COPY t TO ... (FORMAT parquet)\`, threads=1 (snappy) | ${(duckWrite.best / 1000).toFixed(2)} | ${(duckWrite.median / 1000).toFixed(2)} | ${fmtInt(ROWS / (duckWrite.best / 1000))} |`);
L.push('');
L.push(`write_parquet time / DuckDB time: **${writeRatio.toFixed(2)}x** (target: at most 2x: ${verdict(writeRatio <= 2)})`);
L.push('');
L.push('## Full scan: `SELECT count(*), avg(temperature)`');
L.push('');
L.push('| source | parallel | best ms | median ms | M rows/s (best) | time vs heap (default) | time vs heap (no parallel) |');
L.push('|---|---|---:|---:|---:|---:|---:|');
for (const s of scans)
	L.push(`| ${s.label} | ${s.workers} | ${fmtMs(s.best)} | ${fmtMs(s.median)} | ${fmtRate(s.best)} | ${(s.best / heapPar.best).toFixed(2)}x | ${(s.best / heapSeq.best).toFixed(2)}x |`);
L.push('');
L.push(`Parquet foreign table vs heap seq scan (target: at least as fast, i.e. time ratio <= 1):`);
L.push(`- vs heap with default parallelism (${heapPar.workers} workers): **${(pqOurs.best / heapPar.best).toFixed(2)}x** the time: ${verdict(pqOurs.best <= heapPar.best)}`);
L.push(`- vs heap without parallel workers: **${(pqOurs.best / heapSeq.best).toFixed(2)}x** the time: ${verdict(pqOurs.best <= heapSeq.best)}`);
L.push(`- both without parallel workers: **${(pqOursSeq.best / heapSeq.best).toFixed(2)}x** the time: ${verdict(pqOursSeq.best <= heapSeq.best)}`);
L.push('');
L.push('## Sizes');
L.push('');
L.push('| what | MB | vs CSV |');
L.push('|---|---:|---:|');
for (const [what, b] of sizes)
	L.push(`| ${what} | ${fmtMB(b)} | ${(b / sizes[0][1]).toFixed(3)} |`);
if (micro.length) {
	L.push('');
	L.push('## lake/ alone (no PostgreSQL)');
	L.push('');
	for (const m of micro)
		L.push(`- ${m}`);
}
if (delta) {
	L.push('');
	L.push(...delta.lines);
}
if (write) {
	L.push('');
	L.push(...write.lines);
}
if (notes.length || problems.length) {
	L.push('');
	L.push('## Problems');
	L.push('');
	for (const p of problems)
		L.push(`- ${p}`);
	for (const n of notes)
		L.push(`- ${n}`);
}
const text = L.join('\n') + '\n';
process.stdout.write(text);
if (REPORT) {
	fs.mkdirSync(path.dirname(REPORT), { recursive: true });
	fs.writeFileSync(REPORT, text);
}
process.exit(problems.length ? 1 : 0);
