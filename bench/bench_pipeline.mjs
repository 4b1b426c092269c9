// bench_pipeline.mjs
//   The streaming-pipeline part of `make bench` (worker/: Bronze, Silver,
//   Gold), run by bench/run.sh after bench.mjs (BENCH_PIPELINE=0 leaves it
//   out, BENCH_PIPELINE=only runs it alone on a cluster of its own), or by
//   hand on a cluster that preloads the extension (the worker connects to
//   database postgres):
//     PGHOST=... BENCH_DIR=<dir> BENCH_GEN=build/gen_sensor_data node bench/bench_pipeline.mjs
//   Measures, each figure side by side with an anchor taken in the same run:
//   1. Drop-to-Gold latency: the worker on, lakehouse.poll_interval 200 ms;
//      files of 100 readings of the current hour dropped one at a time as a
//      careful gateway does (written beside, renamed in), spaced out; the
//      latency runs from the rename to the NOTIFY lakehouse of the Gold
//      commit whose version holds them (checked with lakehouse.as_of).
//      p50 and p95 against the poll interval.  Also files written in place
//      (found by lakehouse.settle_ms alone), and renames into a drop
//      directory deleted and made again under the worker.
//   2. Sustained throughput: files of gen_sensor_data rows with dirt, each
//      but the first also repeating the end of the one before (a gateway
//      sending again: duplicates across files), all renamed in at once;
//      the time until every stage has caught up (the last Gold commit):
//      rows/s through the three layers, against DuckDB doing the same work
//      on the same files in one SQL script (read_csv, parsed as the
//      pipeline parses, quarantine with reasons, first-arrival dedup,
//      hourly aggregation, Parquet out, Silver and Gold partitioned by
//      date) with 1 and 2 threads; the row counts of every layer must
//      agree.  The run is capped (BENCH_PIPELINE_TIMEOUT_S); a run that
//      does not catch up reports how far each layer got.
//   3. Cost of one incremental refresh: the worker off; Silver loaded with a
//      history (100 sensors, one reading each every 5 minutes) of 100
//      thousand and of 10 million rows through lakehouse.refresh() in
//      batches of 50,000 (load time reported), then rounds of a new batch
//      (1000 readings of the hour after the history and 50 copies of
//      readings already in Silver) timing lakehouse.refresh('bronze'),
//      ('silver') and ('gold') apart: median of the rounds, and the ratio
//      10M / 100k.  One more round under auto_explain gives the plan of
//      each stage's statements (join kind, loops, files read).
//   Prints a markdown section, writes it to bench/results/pipeline.md and
//   appends it to $BENCH_REPORT when that file exists.
//
//   Knobs: BENCH_PIPELINE_PARTS (latency,sustained,refresh),
//   BENCH_PIPELINE_SAMPLES (latency samples, default 40),
//   BENCH_PIPELINE_FILES x BENCH_PIPELINE_FILE_ROWS (sustained: 20 x
//   250000), BENCH_PIPELINE_DIRT (0.02), BENCH_PIPELINE_RESEND (500 lines),
//   BENCH_PIPELINE_TIMEOUT_S (cap of the sustained run, 300),
//   BENCH_PIPELINE_SMALL / BENCH_PIPELINE_BIG (Silver sizes: 100000 /
//   10000000), BENCH_PIPELINE_LOAD_BATCH (rows per load batch: 50000),
//   BENCH_PIPELINE_ROUNDS (refresh rounds after a warm-up one: BENCH_RUNS,
//   default 5), KEEP_CLUSTER (keep the files).
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
const P = await import(pathToFileURL(path.join(here, '..', 'test', 'interop', 'pipeline_lib.mjs')).href);

const env = process.env;
const num = (v, d) => (v === undefined || v === '' ? d : Number(v));
const PARTS = (env.BENCH_PIPELINE_PARTS || 'latency,sustained,refresh').split(',').map((x) => x.trim());
const SAMPLES = num(env.BENCH_PIPELINE_SAMPLES, 40);
const NFILES = num(env.BENCH_PIPELINE_FILES, 20);
const FILE_ROWS = num(env.BENCH_PIPELINE_FILE_ROWS, 250000);
const DIRT = num(env.BENCH_PIPELINE_DIRT, 0.02);
const RESEND = num(env.BENCH_PIPELINE_RESEND, 500);
const TIMEOUT_S = num(env.BENCH_PIPELINE_TIMEOUT_S, 300);
const SIZES = [num(env.BENCH_PIPELINE_SMALL, 100000), num(env.BENCH_PIPELINE_BIG, 10000000)];
const LOAD_BATCH = num(env.BENCH_PIPELINE_LOAD_BATCH, 50000);
const ROUNDS = num(env.BENCH_PIPELINE_ROUNDS, num(env.BENCH_RUNS, 5));
const BATCH_ROWS = 1000;
const BATCH_DUPS = 50;
const POLL_MS = 200;
const SETTLE_MS = 300;
const GEN = env.BENCH_GEN || path.join(here, '..', 'build', 'gen_sensor_data');
const KEEP = !!env.KEEP_CLUSTER;
const HEADER = 'sensor_id,timestamp,temperature,humidity,location\n';
/* part 3: the history ends here; the new batches fall in the hours after */
const HISTORY_END = Date.UTC(2025, 5, 1);
const HISTORY_STEP_S = 3;				/* 100 sensors: each one reading every 5 minutes */
/* part 2: 100 sensors, one row a second (each sensor every 100 s) from here */
const SUSTAINED_START = Date.UTC(2025, 4, 1);
const STAGES = ['bronze', 'silver', 'gold'];

function median(a) {
	const s = [...a].sort((x, y) => x - y);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}
/* nearest rank */
function percentile(a, p) {
	const s = [...a].sort((x, y) => x - y);
	return s[Math.max(0, Math.ceil(p / 100 * s.length) - 1)];
}
const fmtMs = (ms) => (ms < 10 ? ms.toFixed(1) : ms.toFixed(0));
const fmtS = (ms) => (ms / 1000).toFixed(ms < 10000 ? 2 : 1);
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtRate = (rows, ms) => `${(rows / (ms / 1000) / 1e6).toFixed(2)} M`;
const sqlStr = (s) => "'" + s.replaceAll("'", "''") + "'";
const utc = (ms) => new Date(ms).toISOString().replace('T', ' ').replace(/\.\d+Z$/, '');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/* a small seeded PRNG (mulberry32): the spacing of the samples */
function prng(seed) {
	let a = seed >>> 0;
	return () => {
		a = (a + 0x6d2b79f5) >>> 0;
		let t = a;
		t = Math.imul(t ^ (t >>> 15), t | 1);
		t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
		return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
	};
}

function gen(out, { rows, start, step = 1, seed, dirt = 0, header = true }) {
	const args = ['--rows', String(rows), '--sensors', '100', '--start', utc(start),
		'--interval-seconds', String(step), '--seed', String(seed), '--out', out];
	if (dirt > 0)
		args.push('--dirt', String(dirt));
	if (!header)
		args.push('--no-header');
	execFileSync(GEN, args, { stdio: ['ignore', 'ignore', 'inherit'] });
	fs.chmodSync(out, 0o644);
}

/* the last n lines of a file (each with its newline) */
function tailLines(file, n) {
	const st = fs.statSync(file);
	const len = Math.min(st.size, 256 * n + 4096);
	const buf = Buffer.alloc(len);
	const fd = fs.openSync(file, 'r');
	fs.readSync(fd, buf, 0, len, st.size - len);
	fs.closeSync(fd);
	const lines = buf.toString('utf8').split('\n');
	lines.pop();
	return lines.slice(-n).map((l) => l + '\n').join('');
}

/*
 * Run the pipeline benchmark.  q(sql, params) runs a query on PostgreSQL
 * through client (a node-postgres client: notices, the pipeline helpers),
 * which also runs lakehouse.refresh(); listen is a second client (LISTEN
 * lakehouse); dq(sql) runs DuckDB; dir: a directory for scratch files.
 * Returns { lines, problems, notes }.
 */
export async function benchPipeline({ q, client, listen, dq, dir }) {
	const problems = [];
	const notes = [];
	const loadBefore = os.loadavg()[0];
	const t00 = performance.now();
	const workDir = path.join(dir, 'pipeline');
	fs.rmSync(workDir, { recursive: true, force: true });
	fs.mkdirSync(workDir, { recursive: true });

	await q('CREATE EXTENSION IF NOT EXISTS iot_lakehouse');
	if (!(await q(`SELECT 1 FROM pg_stat_activity WHERE backend_type = 'iot_lakehouse pipeline'`)).length)
		throw new Error('no pipeline worker: the server must preload iot_lakehouse (shared_preload_libraries)');
	const pgVersion = (await q('SHOW server_version'))[0].server_version;
	const pgSettings = Object.fromEntries((await q(
		`SELECT name, current_setting(name) AS value FROM pg_settings WHERE name IN
		 ('shared_buffers', 'work_mem', 'jit', 'fsync', 'max_parallel_workers_per_gather') ORDER BY name`))
		.map((r) => [r.name, r.value]));
	const duckVersion = (await dq('SELECT version()'))[0][0];

	// ------------------------------------------------------------ notifications
	const heard = [];
	let wake = null;
	listen.on('notification', (n) => {
		if (n.channel !== 'lakehouse')
			return;
		let payload;
		try {
			payload = JSON.parse(n.payload);
		} catch {
			return;
		}
		heard.push({ t: performance.now(), ...payload });
		if (wake) {
			const w = wake;
			wake = null;
			w();
		}
	});
	await listen.query('LISTEN lakehouse');
	/* the i-th notification heard, waiting for it until deadline (null then) */
	async function note(i, deadline) {
		while (heard.length <= i) {
			const left = deadline - performance.now();
			if (left <= 0)
				return null;
			await new Promise((r) => {
				wake = r;
				setTimeout(r, Math.min(left, 100));
			});
		}
		return heard[i];
	}

	// ------------------------------------------------------------ the pipeline
	// Each part takes a drop directory of a new name, which the worker must
	// start watching (resetPipeline removes the drop directory and makes it
	// again under the same name: the third latency case checks that one).
	let serial = 0;
	async function freshPipeline(settings = {}) {
		const p = await P.resetPipeline(client, settings);
		const drop = path.join(p.root, `incoming_bench_${serial++}`);
		fs.rmSync(drop, { recursive: true, force: true });
		fs.mkdirSync(drop, { recursive: true });
		fs.chmodSync(drop, 0o777);
		await P.setSettings(client, { 'lakehouse.drop_dir': drop });
		await sleep(3 * POLL_MS);		/* the worker reloads and watches the new directory */
		return { ...p, drop };
	}
	/* the worker off, and the stage it may be running cancelled (a capped run) */
	async function stopWorker() {
		await P.setSettings(client, { 'lakehouse.worker_enabled': 'off' });
		for (let i = 0; i < 600; i++) {
			const busy = await q(`SELECT pid FROM pg_stat_activity
				WHERE backend_type = 'iot_lakehouse pipeline' AND state = 'active'`);
			if (!busy.length)
				return;
			await q('SELECT pg_cancel_backend($1)', [busy[0].pid]);
			await sleep(200);
		}
		problems.push('could not stop the pipeline worker\'s stage');
	}
	async function layerCounts() {
		const r = (await q(`SELECT
			(SELECT count(*) FROM bronze.sensor_logs) AS bronze,
			(SELECT count(*) FROM silver.sensor_logs) AS silver,
			(SELECT count(*) FROM silver.sensor_logs_quarantine) AS quarantine,
			(SELECT count(*) FROM gold.sensor_hourly_avg) AS gold,
			(SELECT coalesce(sum(reading_count), 0) FROM gold.sensor_hourly_avg) AS "goldSum"`))[0];
		return Object.fromEntries(Object.entries(r).map(([k, v]) => [k, Number(v)]));
	}

	// ============================================================ 1. latency
	const latency = {};
	if (PARTS.includes('latency')) {
		console.error('bench: pipeline: latency');
		const rand = prng(20261206);
		let sensorSeq = 0;
		/* the current hour's readings of a new sensor: a file of 100 lines */
		const sampleFile = () => {
			const sensor = 50000 + sensorSeq++;
			const hour = Math.floor(Date.now() / 3600e3) * 3600e3;
			let csv = HEADER;
			for (let i = 0; i < 100; i++)
				csv += `${sensor},${utc(hour + i * 30e3)},${(60 + (i % 17) * 0.7).toFixed(1)},${(40 + (i % 11)).toFixed(1)},Room_Latency\n`;
			return { sensor, hour, csv, name: `latency_${sensor}.csv` };
		};
		const inGold = async (version, s) => {
			const r = await q(`SELECT reading_count FROM lakehouse.as_of(NULL::gold.sensor_hourly_avg, $1::int8)
				WHERE sensor_id = $2 AND hour = $3`, [version, s.sensor, new Date(s.hour)]);
			return r.length === 1 && Number(r[0].reading_count) === 100;
		};
		/* one sample: the file dropped (how), then when the Bronze, Silver and Gold commits holding it were heard */
		const sample = async (p, how) => {
			const s = sampleFile();
			const from = heard.length;
			let t0;
			if (how === 'rename') {
				const tmp = path.join(p.staging, s.name + '.part');
				fs.writeFileSync(tmp, s.csv);
				fs.chmodSync(tmp, 0o644);
				t0 = performance.now();
				fs.renameSync(tmp, path.join(p.drop, s.name));
			} else {
				fs.writeFileSync(path.join(p.drop, s.name), s.csv, { mode: 0o644 });
				t0 = performance.now();
			}
			const r = {};
			for (let i = from; ; i++) {
				const n = await note(i, t0 + 30000);
				if (n === null) {
					problems.push(`latency (${how}): ${s.name} not in Gold after 30 s`);
					return null;
				}
				if (n.table === 'bronze.sensor_logs' && r.bronze === undefined)
					r.bronze = n.t - t0;
				else if (n.table === 'silver.sensor_logs' && r.bronze !== undefined && r.silver === undefined)
					r.silver = n.t - t0;
				else if (n.table === 'gold.sensor_hourly_avg' && r.silver !== undefined && await inGold(n.version, s)) {
					r.gold = n.t - t0;
					return r;
				}
			}
		};
		const latencySet = async (key, p, how, n) => {
			const xs = [];
			for (let k = 0; k < n; k++) {
				const r = await sample(p, how);
				if (r)
					xs.push(r);
				await sleep(150 + rand() * 600);	/* spaced out: drops at random phases of the poll */
			}
			const g = xs.map((x) => x.gold);
			latency[key] = {
				n: xs.length, p50: percentile(g, 50), p95: percentile(g, 95), min: Math.min(...g), max: Math.max(...g),
				bronze: median(xs.map((x) => x.bronze)), silver: median(xs.map((x) => x.silver)),
				first: median(g.slice(0, Math.max(1, g.length >> 2))), last: median(g.slice(-Math.max(1, g.length >> 2))),
			};
		};
		const p = await freshPipeline({ 'lakehouse.poll_interval': `${POLL_MS}ms`, 'lakehouse.settle_ms': `${SETTLE_MS}ms` });
		await latencySet('rename', p, 'rename', SAMPLES);
		await latencySet('settle', p, 'settle', Math.max(5, SAMPLES >> 1));
		/* the drop directory deleted and made again at the same path, under the worker */
		fs.rmSync(p.drop, { recursive: true, force: true });
		fs.mkdirSync(p.drop, { recursive: true });
		fs.chmodSync(p.drop, 0o777);
		await sleep(3 * POLL_MS);
		await latencySet('stale', p, 'rename', Math.max(5, SAMPLES >> 2));
	}

	// ============================================================ 2. sustained
	const sustained = [];
	let duckRuns = [];
	let totalRows = 0, csvBytes = 0;
	if (PARTS.includes('sustained')) {
		console.error('bench: pipeline: sustained throughput');
		/* the gateway files, written in dir (staged: renamed into the drop directory later) */
		const makeFiles = (dest) => {
			const files = [];
			totalRows = 0;
			for (let f = 0; f < NFILES; f++) {
				const name = `gateway_${String(f).padStart(4, '0')}.csv`;
				const out = path.join(dest, name + '.part');
				gen(out, { rows: FILE_ROWS, start: SUSTAINED_START + f * FILE_ROWS * 1000, seed: 100 + f, dirt: DIRT });
				totalRows += FILE_ROWS;
				if (f > 0 && RESEND > 0) {
					/* a gateway sending the end of its previous file again */
					const prev = tailLines(files[f - 1].staged, RESEND);
					const own = fs.readFileSync(out);
					fs.writeFileSync(out, Buffer.concat([Buffer.from(HEADER), Buffer.from(prev), own.subarray(HEADER.length)]));
					totalRows += RESEND;
				}
				files.push({ name, staged: out, bytes: fs.statSync(out).size });
			}
			csvBytes = files.reduce((a, f) => a + f.bytes, 0);
			return files;
		};

		// DuckDB, on files of the same bytes (generated the same way)
		const duckIn = path.join(workDir, 'duck_in');
		const duckOut = path.join(workDir, 'duck_out');
		fs.mkdirSync(duckIn, { recursive: true });
		const duckFiles = makeFiles(duckIn);
		const now = new Date();
		for (const threads of [1, 2]) {
			fs.rmSync(duckOut, { recursive: true, force: true });
			fs.mkdirSync(duckOut, { recursive: true });
			await dq(`SET threads = ${threads}`);
			const t0 = performance.now();
			await dq(duckScript(duckFiles.map((f) => f.staged), duckOut, now));
			const ms = performance.now() - t0;
			const c = (await dq(`SELECT
				(SELECT count(*) FROM read_parquet(${sqlStr(duckOut + '/bronze.parquet')})),
				(SELECT count(*) FROM read_parquet(${sqlStr(duckOut + '/silver/*/*.parquet')})),
				(SELECT count(*) FROM read_parquet(${sqlStr(duckOut + '/quarantine.parquet')})),
				(SELECT count(*) FROM read_parquet(${sqlStr(duckOut + '/gold/*/*.parquet')})),
				(SELECT sum(reading_count) FROM read_parquet(${sqlStr(duckOut + '/gold/*/*.parquet')}))`))[0].map(Number);
			duckRuns.push({ threads, ms, counts: { bronze: c[0], silver: c[1], quarantine: c[2], gold: c[3], goldSum: c[4] } });
			await dq('DROP TABLE IF EXISTS raw; DROP TABLE IF EXISTS bronze; DROP TABLE IF EXISTS silver');
		}
		await dq('RESET threads');
		fs.rmSync(duckOut, { recursive: true, force: true });
		fs.rmSync(duckIn, { recursive: true, force: true });

		for (const v of [{ key: 'worker', label: 'pipeline (the worker)' }]) {
			const p = await freshPipeline({ 'lakehouse.poll_interval': `${POLL_MS}ms`, 'lakehouse.settle_ms': `${SETTLE_MS}ms` });
			const files = makeFiles(p.staging);
			const from = heard.length;
			const t0 = performance.now();
			for (const f of files)
				fs.renameSync(f.staged, path.join(p.drop, f.name));
			const renamedMs = performance.now() - t0;
			let caughtUp = true;
			try {
				await P.waitCaughtUp(client, TIMEOUT_S * 1000);
			} catch {
				caughtUp = false;
			}
			const polled = performance.now() - t0;
			if (!caughtUp)
				await stopWorker();		/* its tables are emptied before the next run */
			const got = heard.slice(from).filter((n) => n.t - t0 <= polled);
			const lastOf = (table) => {
				const xs = got.filter((n) => n.table === table);
				return xs.length ? { t: xs[xs.length - 1].t - t0, commits: xs.length } : null;
			};
			const counts = await layerCounts();
			const r = {
				...v, caughtUp, renamedMs, counts,
				bronze: lastOf('bronze.sensor_logs'), silver: lastOf('silver.sensor_logs'), gold: lastOf('gold.sensor_hourly_avg'),
			};
			r.ms = caughtUp && r.gold ? r.gold.t : polled;
			sustained.push(r);
			if (caughtUp) {
				if (counts.bronze !== totalRows)
					problems.push(`sustained (${v.key}): Bronze has ${counts.bronze} rows, the files ${totalRows}`);
				if (counts.goldSum !== counts.silver)
					problems.push(`sustained (${v.key}): Gold counts ${counts.goldSum} readings, Silver has ${counts.silver}`);
				for (const d of duckRuns)
					for (const k of Object.keys(counts))
						if (d.counts[k] !== counts[k])
							problems.push(`sustained (${v.key}): ${k}: pipeline ${counts[k]}, DuckDB (threads=${d.threads}) ${d.counts[k]}`);
			}
			if (!KEEP)
				fs.rmSync(path.join(p.drop, '_processed'), { recursive: true, force: true });
		}
	}

	// ============================================================ 3. incremental refresh
	const refresh = [];
	if (PARTS.includes('refresh')) {
		const refreshStage = async (stage) => {
			const t0 = performance.now();
			const r = (await q('SELECT * FROM lakehouse.refresh($1)', [stage]))[0];
			return { ms: performance.now() - t0, r };
		};
		for (const size of SIZES) {
			console.error(`bench: pipeline: incremental refresh, Silver of ${fmtInt(size)} rows`);
			const p = await freshPipeline({ 'lakehouse.worker_enabled': 'off', 'lakehouse.settle_ms': '0' });
			const start = HISTORY_END - size * HISTORY_STEP_S * 1000;
			const load = { ms: 0, gen: 0, batches: 0, stages: { bronze: 0, silver: 0, gold: 0 } };
			let tail = '';
			for (let done = 0, j = 0; done < size; j++) {
				const rows = Math.min(LOAD_BATCH, size - done);
				const name = `history_${String(j).padStart(5, '0')}.csv`;
				const tmp = path.join(p.staging, name + '.part');
				const g0 = performance.now();
				gen(tmp, { rows, start: start + done * HISTORY_STEP_S * 1000, step: HISTORY_STEP_S, seed: 1000 + j });
				load.gen += performance.now() - g0;
				if (done + rows === size)
					tail = tailLines(tmp, BATCH_DUPS);
				fs.renameSync(tmp, path.join(p.drop, name));
				for (const stage of STAGES) {
					const r = await refreshStage(stage);
					load.ms += r.ms;
					load.stages[stage] += r.ms;
				}
				load.batches++;
				done += rows;
				if (j % 20 === 19)
					console.error(`bench: pipeline: loaded ${fmtInt(done)} rows in ${fmtS(load.ms)} s`);
				/* the dropped files, now in _processed/, are not needed any more */
				if (!KEEP)
					fs.rmSync(path.join(p.drop, '_processed', name), { force: true });
			}
			const silverRows = Number((await q('SELECT count(*) AS n FROM silver.sensor_logs'))[0].n);
			if (silverRows !== size)
				problems.push(`refresh: Silver has ${silverRows} rows after loading ${size}`);

			/* one new batch: the hour after the previous one, and copies of readings already in Silver */
			let round = 0;
			const newBatch = () => {
				const hour = HISTORY_END + round * 3600e3;
				const name = `batch_${String(round).padStart(4, '0')}.csv`;
				const tmp = path.join(p.staging, name + '.part');
				gen(tmp, { rows: BATCH_ROWS, start: hour, step: HISTORY_STEP_S, seed: 5000 + round });
				const own = fs.readFileSync(tmp);
				const nextTail = tailLines(tmp, BATCH_DUPS);
				fs.writeFileSync(tmp, Buffer.concat([Buffer.from(HEADER), Buffer.from(tail), own.subarray(HEADER.length)]));
				fs.chmodSync(tmp, 0o644);
				tail = nextTail;
				fs.renameSync(tmp, path.join(p.drop, name));
				round++;
			};
			const rounds = async (label) => {
				const times = { bronze: [], silver: [], gold: [] };
				const goldOut = [];
				for (let i = -1; i < ROUNDS; i++) {
					newBatch();
					const res = {};
					for (const stage of STAGES)
						res[stage] = await refreshStage(stage);
					const b = res.bronze.r, s = res.silver.r, g = res.gold.r;
					if (Number(b.rows_out) !== BATCH_ROWS + BATCH_DUPS || Number(s.rows_out) !== BATCH_ROWS ||
						Number(s.rows_quarantined) !== 0 || !g.committed)
						problems.push(`refresh (${fmtInt(size)}, ${label}): round ${i}: Bronze ${b.rows_out} rows, Silver ${s.rows_out} out / ${s.rows_quarantined} quarantined, Gold committed ${g.committed} (expected ${BATCH_ROWS + BATCH_DUPS}, ${BATCH_ROWS}, 0, true)`);
					goldOut.push(Number(g.rows_out));
					if (i >= 0)
						for (const stage of STAGES)
							times[stage].push(res[stage].ms);
				}
				return {
					med: Object.fromEntries(STAGES.map((k) => [k, median(times[k])])),
					best: Object.fromEntries(STAGES.map((k) => [k, Math.min(...times[k])])),
					goldOut: median(goldOut),
				};
			};
			const timed = await rounds('rounds');
			const explained = await explainedRound(client, q, async (stage) => {
				if (stage === 'bronze')
					newBatch();
				await refreshStage(stage);
			});
			const status = await P.statusRows(client);
			refresh.push({
				size, load, timed, explained,
				versions: { bronze: status.bronze.table_version, silver: status.silver.table_version, gold: status.gold.table_version },
			});
			if (!KEEP)
				fs.rmSync(path.join(p.drop, '_processed'), { recursive: true, force: true });
		}
	}

	// ------------------------------------------------------------ settings back
	// empty tables (nothing left for the worker to do), then the settings
	if (!KEEP) {
		const last = await P.resetPipeline(client, { 'lakehouse.worker_enabled': 'off' });
		for (let i = 0; i < serial; i++)
			fs.rmSync(path.join(last.root, `incoming_bench_${i}`), { recursive: true, force: true });
	}
	await P.setSettings(client, { 'lakehouse.drop_dir': null });
	await P.restoreSettings(client);
	if (!KEEP)
		fs.rmSync(workDir, { recursive: true, force: true });

	const lines = report({
		latency, sustained, duckRuns, refresh, totalRows, csvBytes, pgVersion, pgSettings, duckVersion,
		loadBefore, seconds: (performance.now() - t00) / 1000,
	});
	return { lines, problems, notes };
}

/* one refresh of each stage under auto_explain (ANALYZE, JSON to the client as notices) */
async function explainedRound(client, q, run) {
	const plans = [];
	const onNotice = (m) => {
		const i = m.message.indexOf('{');
		if (m.message.includes('plan:') && i >= 0) {
			try {
				plans.push(JSON.parse(m.message.slice(i)));
			} catch { /* not a plan */ }
		}
	};
	client.on('notice', onNotice);
	await q("LOAD 'auto_explain'");
	await q(`SET auto_explain.log_min_duration = 0; SET auto_explain.log_analyze = on;
		SET auto_explain.log_nested_statements = on; SET auto_explain.log_format = 'json';
		SET auto_explain.log_level = 'notice'; SET auto_explain.log_timing = on`);
	const out = {};
	try {
		for (const stage of STAGES) {
			plans.length = 0;
			await run(stage);
			out[stage] = plans.map(summarizePlan).filter((s) => s.scans.length);
		}
	} finally {
		await q('SET auto_explain.log_min_duration = -1');
		client.removeListener('notice', onNotice);
	}
	return out;
}

/* the statement, its joins and its Delta scans, from an auto_explain JSON plan */
function summarizePlan(doc) {
	const plan = doc.Plan || {};
	const text = doc['Query Text'] || '';
	const m = /^\s*INSERT INTO (\S+)/i.exec(text);
	const kind = m ? `INSERT INTO ${m[1]}` : text.trim().split(/\s+/).slice(0, 2).join(' ');
	const scans = [];
	const joins = [];
	const walk = (n) => {
		const t = n['Node Type'] || '';
		if (t === 'Nested Loop' || t === 'Hash Join' || t === 'Merge Join')
			joins.push(`${t === 'Nested Loop' ? 'Nested Loop' : t.replace(' Join', '')} ${n['Join Type'] || ''} Join`.replace('Inner ', ''));
		if (n['Files Total'] !== undefined) {
			const loops = n['Actual Loops'] || 1;
			scans.push({
				rel: (n['Delta Table'] || '').split('/').slice(-2).join('.') || n['Relation Name'] || '?',
				loops, total: n['Files Total'], selected: n['Files Selected'], scanned: n['Files Scanned'],
				rows: Math.round(((n['Actual Rows'] || 0) + (n['Rows Removed by Filter'] || 0)) * loops),
				ms: (n['Actual Total Time'] || 0) * loops,
			});
		}
		(n.Plans || []).forEach(walk);
	};
	walk(plan);
	return { kind, ms: plan['Actual Total Time'] ?? 0, joins, scans };
}

/* the markdown section */
function report(R) {
	const L = [];
	const verdict = (ok) => (ok ? 'met' : 'NOT met');
	const cpu = (os.cpus()[0] || {}).model || 'unknown CPU';
	L.push('## Streaming pipeline (worker/)');
	L.push('');
	L.push(`- date: ${new Date().toISOString().replace('T', ' ').replace(/\..*/, '')} UTC; ${R.seconds.toFixed(0)} s for this part`);
	L.push(`- machine: ${cpu}, ${os.cpus().length} cores, ${(os.totalmem() / 2 ** 30).toFixed(0)} GB RAM, ${os.type()} ${os.release()}`);
	L.push(`- PostgreSQL ${R.pgVersion.split(' ')[0]} (${Object.entries(R.pgSettings).map(([k, v]) => `${k}=${v}`).join(', ')}; ` +
		'lake/ fsyncs the Delta files and logs whatever `fsync` says); DuckDB ' + R.duckVersion);
	let head = 'unknown';
	try {
		head = execFileSync('git', ['-C', path.join(here, '..'), 'log', '-1', '--format=%h %s'], { encoding: 'utf8' }).trim().slice(0, 100);
	} catch { /* not a git checkout */ }
	L.push(`- command: \`${env.BENCH_COMMAND || 'node bench/bench_pipeline.mjs'}\`; the tree at ${head}`);
	L.push(`- load average (1 min) before / after: ${R.loadBefore.toFixed(2)} / ${os.loadavg()[0].toFixed(2)} (other work on the machine skews the figures)`);

	const lat = R.latency;
	if (lat.rename) {
		L.push('');
		L.push('### Drop-to-Gold latency');
		L.push('');
		L.push(`The worker on, \`lakehouse.poll_interval\` = ${POLL_MS} ms, \`lakehouse.settle_ms\` = ${SETTLE_MS} ms. ` +
			'Each sample is a file of 100 readings of the current hour (a new sensor each time), dropped while the pipeline is idle, ' +
			'the next one 150-750 ms after the previous one reached Gold. The latency runs from the `rename(2)` into the drop directory ' +
			'(for a file written in place: from the end of the write) to the arrival of the `NOTIFY lakehouse` of the Gold commit ' +
			'whose version holds the file\'s hour with its 100 readings (checked with `lakehouse.as_of`); Bronze and Silver: their commits\' NOTIFY. ' +
			'All samples go to the same hour, so each one\'s Silver dedup finds the earlier ones\' files in its time range.');
		L.push('');
		L.push('| how the file arrives | samples | Bronze p50 ms | Silver p50 ms | **Gold p50 ms** | **Gold p95 ms** | min / max ms | first / last quarter p50 ms | p50 / poll interval |');
		L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
		const labels = {
			rename: 'written beside, renamed in (inotify `IN_MOVED_TO`)',
			settle: `written in place (complete when unchanged for settle_ms = ${SETTLE_MS} ms)`,
			stale: 'renamed in, after the drop directory was deleted and made again under the worker',
		};
		for (const [k, label] of Object.entries(labels)) {
			const x = lat[k];
			if (!x || !x.n)
				continue;
			L.push(`| ${label} | ${x.n} | ${fmtMs(x.bronze)} | ${fmtMs(x.silver)} | **${fmtMs(x.p50)}** | **${fmtMs(x.p95)}** | ${fmtMs(x.min)} / ${fmtMs(x.max)} | ${fmtMs(x.first)} / ${fmtMs(x.last)} | ${(x.p50 / POLL_MS).toFixed(2)}x |`);
		}
		L.push(`| anchor: \`lakehouse.poll_interval\` | | | | ${POLL_MS} | | | | 1.00x |`);
		L.push('');
		L.push(`Target: p50 under 1 s: **${fmtMs(lat.rename.p50)} ms** (${verdict(lat.rename.p50 < 1000)}), p95 ${fmtMs(lat.rename.p95)} ms.` +
			(lat.settle && lat.settle.n ? ` Written in place: p50 ${fmtMs(lat.settle.p50)} ms (settle_ms, then up to one poll, then the stages).` : '') +
			(lat.stale && lat.stale.n ? ` After the drop directory was deleted and made again: p50 ${fmtMs(lat.stale.p50)} ms, ` +
				(lat.stale.bronze < SETTLE_MS ? 'the worker watches the new directory (renames noticed at once).'
					: 'the renames go unnoticed (the worker\'s inotify watch is on the deleted directory): files wait for settle_ms like files written in place.') : ''));
	}

	if (R.sustained.length) {
		const d1 = R.duckRuns.find((d) => d.threads === 1), d2 = R.duckRuns.find((d) => d.threads === 2);
		L.push('');
		L.push('### Sustained throughput');
		L.push('');
		L.push(`${NFILES} files of ${fmtInt(FILE_ROWS)} rows from \`gen_sensor_data\` (100 sensors, one row a second: each file spans ${(FILE_ROWS / 3600).toFixed(0)} hours, the next file follows; \`--dirt ${DIRT}\`), ` +
			`each but the first starting with the last ${RESEND} lines of the one before (a gateway sending again: duplicates across files): ` +
			`${fmtInt(R.totalRows)} rows, ${(R.csvBytes / 1048576).toFixed(0)} MB of CSV, written beside the drop directory, then all renamed in at once. ` +
			`Time from the first rename to the NOTIFY of the last Gold commit, when every stage has caught up (\`waitCaughtUp\`); the run is stopped after ${TIMEOUT_S} s. ` +
			'DuckDB: one SQL script over the same files (read_csv all VARCHAR, parsed by the pipeline\'s rules, Bronze to Parquet, ' +
			'the quarantine with the first failing check, Silver deduplicated on (sensor_id, timestamp) first arrival first, Gold per sensor, location and hour; ' +
			'Silver and Gold written partitioned by date), one run per thread count, files in the page cache.');
		L.push('');
		L.push('| engine | s | rows/s | time vs DuckDB threads=1 | vs threads=2 | last Bronze / Silver / Gold commit s (commits) |');
		L.push('|---|---:|---:|---:|---:|---|');
		const at = (x) => (x ? `${fmtS(x.t)} (${x.commits})` : '- (0)');
		for (const s of R.sustained) {
			if (s.caughtUp)
				L.push(`| ${s.label} | **${fmtS(s.ms)}** | **${fmtRate(R.totalRows, s.ms)}** | ${(s.ms / d1.ms).toFixed(2)}x | ${(s.ms / d2.ms).toFixed(2)}x | ${at(s.bronze)} / ${at(s.silver)} / ${at(s.gold)} |`);
			else
				L.push(`| ${s.label} | **not caught up after ${fmtS(s.ms)}** | < ${fmtRate(R.totalRows, s.ms)} | > ${(s.ms / d1.ms).toFixed(0)}x | > ${(s.ms / d2.ms).toFixed(0)}x | ${at(s.bronze)} / ${at(s.silver)} / ${at(s.gold)} |`);
		}
		for (const d of R.duckRuns)
			L.push(`| DuckDB script, threads=${d.threads} | ${fmtS(d.ms)} | ${fmtRate(R.totalRows, d.ms)} | ${(d.ms / d1.ms).toFixed(2)}x | ${(d.ms / d2.ms).toFixed(2)}x | |`);
		L.push('');
		L.push('| rows in | Bronze | Silver | quarantine | Gold rows | Gold readings |');
		L.push('|---|---:|---:|---:|---:|---:|');
		for (const s of R.sustained)
			L.push(`| ${s.label}${s.caughtUp ? '' : `, when stopped at ${fmtS(s.ms)} s`} | ${fmtInt(s.counts.bronze)} | ${fmtInt(s.counts.silver)} | ${fmtInt(s.counts.quarantine)} | ${fmtInt(s.counts.gold)} | ${fmtInt(s.counts.goldSum)} |`);
		if (d1)
			L.push(`| DuckDB | ${fmtInt(d1.counts.bronze)} | ${fmtInt(d1.counts.silver)} | ${fmtInt(d1.counts.quarantine)} | ${fmtInt(d1.counts.gold)} | ${fmtInt(d1.counts.goldSum)} |`);
		L.push('');
		const best = R.sustained.filter((s) => s.caughtUp).sort((a, b) => a.ms - b.ms)[0];
		if (best)
			L.push(`Ratio rows/s pipeline / DuckDB (${best.label}): **${(d1.ms / best.ms).toFixed(2)}x** of threads=1, **${(d2.ms / best.ms).toFixed(2)}x** of threads=2.`);
		else
			L.push(`No pipeline run caught up within ${TIMEOUT_S} s: rows/s through the three layers below ${fmtRate(R.totalRows, TIMEOUT_S * 1000)} against DuckDB's ${fmtRate(R.totalRows, d1.ms)} (threads=1).`);
	}

	if (R.refresh.length) {
		L.push('');
		L.push('### Cost of one incremental refresh');
		L.push('');
		L.push(`The worker off. Silver loaded with a history of 100 sensors, each one reading every 5 minutes (28,800 rows a day), ending ${utc(HISTORY_END)} UTC, ` +
			`through \`lakehouse.refresh()\` (Bronze, Silver, Gold) in batches of ${fmtInt(LOAD_BATCH)} rows (one file each). ` +
			`Then ${ROUNDS} rounds after a warm-up one: a file of ${fmtInt(BATCH_ROWS)} readings in the hour after the previous batch ` +
			`and ${BATCH_DUPS} copies of readings already in Silver (the previous batch\'s last lines), then \`SELECT * FROM lakehouse.refresh(stage)\` ` +
			'for bronze, silver and gold, each timed alone (one statement, the client\'s time): median (best) ms. ' +
			'Silver and Gold files: Files Total of the scans of the round under auto_explain below.');
		L.push('');
		L.push('| rows in Silver | Silver / Gold files | load s (rows/s) | Bronze ms | **Silver ms** | **Gold ms** | Gold rows rewritten |');
		L.push('|---:|---:|---:|---:|---:|---:|---:|');
		const mb = (x, k) => `${fmtMs(x.med[k])} (${fmtMs(x.best[k])})`;
		const filesOf = (r, stage, rel) => {
			for (const st of r.explained[stage] || [])
				for (const sc of st.scans)
					if (sc.rel === rel && st.kind.startsWith('INSERT'))
						return sc.total;
			return '-';
		};
		for (const r of R.refresh)
			L.push(`| ${fmtInt(r.size)} | ${filesOf(r, 'gold', 'silver.sensor_logs')} / ${filesOf(r, 'gold', 'gold.sensor_hourly_avg')} | ` +
				`${fmtS(r.load.ms)} (${fmtRate(r.size, r.load.ms)}) | ${mb(r.timed, 'bronze')} | ` +
				`**${mb(r.timed, 'silver')}** | **${mb(r.timed, 'gold')}** | ${fmtInt(r.timed.goldOut)} |`);
		if (R.refresh.length === 2) {
			const [a, b] = R.refresh;
			const ratio = (k) => b.timed.med[k] / a.timed.med[k];
			L.push(`| **ratio ${fmtInt(b.size)} / ${fmtInt(a.size)}** | | | ${ratio('bronze').toFixed(2)}x | **${ratio('silver').toFixed(2)}x** | **${ratio('gold').toFixed(2)}x** | |`);
			L.push('');
			const ok = ratio('silver') < 1.5 && ratio('gold') < 1.5;
			L.push(`Target: the incremental refresh costs about the same at both sizes (taken as under 1.5x): Silver ${ratio('silver').toFixed(2)}x, ` +
				`Gold ${ratio('gold').toFixed(2)}x (**${verdict(ok)}**). ` +
				`Load: ${fmtInt(b.size)} rows in ${fmtS(b.load.ms)} s, ${b.load.batches} batches (Bronze ${fmtS(b.load.stages.bronze)} s, Silver ${fmtS(b.load.stages.silver)} s, Gold ${fmtS(b.load.stages.gold)} s; ` +
				`generating the CSV ${fmtS(b.load.gen)} s more); ${fmtInt(a.size)} rows in ${fmtS(a.load.ms)} s.`);
		}
		L.push('');
		L.push('One more round under `auto_explain` (ANALYZE): the Delta scans of each stage\'s statements; loops = times the scan ran, ' +
			'files and rows summed over the loops; statement ms as auto_explain timed it (the rest of a refresh is outside the statements: ' +
			'snapshot loads, the commit):');
		L.push('');
		L.push('| rows in Silver | statement | joins | scan | loops | Files Total | Files Selected / Scanned | rows read | statement ms |');
		L.push('|---:|---|---|---|---:|---:|---:|---:|---:|');
		for (const r of R.refresh)
			for (const stage of ['silver', 'gold'])
				for (const s of r.explained[stage] || [])
					for (const sc of s.scans)
						L.push(`| ${fmtInt(r.size)} | ${s.kind} | ${s.joins.join(', ') || '-'} | ${sc.rel} | ${fmtInt(sc.loops)} | ${sc.total ?? '-'} | ${sc.selected ?? '-'} / ${sc.scanned ?? '-'} | ${fmtInt(sc.rows)} | ${fmtMs(s.ms)} |`);
	}
	return L;
}

/*
 * The DuckDB script of part 2: the pipeline's work on the same files.
 * Parsing follows src/ingest_csv.c: an integer is [+-]digits between
 * blanks; a number what strtod takes whole (decimal with an exponent, hex,
 * inf, nan); a timestamp ISO or what PostgreSQL's date decoder takes,
 * except the words relative to the moment of reading (now, today,
 * tomorrow, yesterday), which are not a reading's time.
 */
export function duckScript(files, out, now) {
	const INT = (v) => `CASE WHEN regexp_full_match(${v}, '[ \\t]*[+-]?[0-9]+[ \\t]*') THEN TRY_CAST(trim(${v}, ' \t') AS INTEGER) END`;
	const DBL = (v) => `CASE WHEN regexp_full_match(lower(${v}), '[ \\t]*[+-]?(([0-9]+\\.?[0-9]*|\\.[0-9]+)(e[+-]?[0-9]+)?|inf|infinity|nan)[ \\t]*')
			THEN TRY_CAST(trim(${v}, ' \t') AS DOUBLE)
		WHEN regexp_full_match(${v}, '[ \\t]*0[xX][0-9a-fA-F]+[ \\t]*') THEN TRY_CAST(trim(${v}, ' \t') AS BIGINT)::DOUBLE END`;
	const TS = (v) => `CASE WHEN lower(trim(${v})) IN ('yesterday', 'today', 'tomorrow', 'now') THEN NULL
		ELSE TRY_CAST(${v} AS TIMESTAMP) END`;
	const J = (name, raw, typed) => `CASE WHEN ${typed} IS NULL AND ${raw} IS NOT NULL THEN '"${name}":' || to_json(${raw}) END`;
	const VALID = 'sensor_id IS NOT NULL AND "timestamp" IS NOT NULL AND temperature BETWEEN -50 AND 150 AND humidity BETWEEN 0 AND 100';
	const reason = (col, what) => `WHEN ${col === 'timestamp' ? '"timestamp"' : col} IS NULL THEN CASE WHEN _rescued_data LIKE '%"${col}"%' THEN '${col} is not ${what}' ELSE '${col} is missing' END`;
	return `
CREATE OR REPLACE TABLE raw AS SELECT * FROM read_csv([${files.map(sqlStr).join(', ')}], header = true, auto_detect = false,
	delim = ',', quote = '"', escape = '"', null_padding = true, strict_mode = false, filename = true,
	columns = {'sensor_id': 'VARCHAR', 'timestamp': 'VARCHAR', 'temperature': 'VARCHAR', 'humidity': 'VARCHAR', 'location': 'VARCHAR'});
CREATE OR REPLACE TABLE bronze AS
SELECT s AS sensor_id, t AS "timestamp", te AS temperature, hu AS humidity, location,
	NULLIF('{' || concat_ws(',', ${J('sensor_id', 'rs', 's')}, ${J('timestamp', 'rt', 't')}, ${J('temperature', 'rte', 'te')}, ${J('humidity', 'rhu', 'hu')}) || '}', '{}') AS _rescued_data,
	parse_filename(filename) AS _source_file, arrival AS _source_line, TIMESTAMP '${utc(now.getTime())}' AS _ingested_at
FROM (SELECT ${INT('sensor_id')} AS s, sensor_id AS rs, ${TS('"timestamp"')} AS t, "timestamp" AS rt,
		${DBL('temperature')} AS te, temperature AS rte, ${DBL('humidity')} AS hu, humidity AS rhu,
		location, filename, rowid AS arrival FROM raw);
COPY bronze TO ${sqlStr(out + '/bronze.parquet')} (FORMAT parquet, COMPRESSION snappy);
COPY (SELECT *, CASE ${reason('sensor_id', 'an integer')} ${reason('timestamp', 'a timestamp')}
		${reason('temperature', 'a number')} ${reason('humidity', 'a number')}
		WHEN NOT (temperature BETWEEN -50 AND 150) THEN 'temperature ' || temperature || ' is outside [-50, 150]'
		WHEN NOT (humidity BETWEEN 0 AND 100) THEN 'humidity ' || humidity || ' is outside [0, 100]' END AS reason,
		TIMESTAMP '${utc(now.getTime())}' AS _quarantined_at
	FROM bronze WHERE (${VALID}) IS NOT TRUE)
	TO ${sqlStr(out + '/quarantine.parquet')} (FORMAT parquet, COMPRESSION snappy);
CREATE OR REPLACE TABLE silver AS
SELECT sensor_id, "timestamp", temperature, humidity, location, "timestamp"::DATE AS reading_date, _source_file, _source_line, _ingested_at
FROM bronze WHERE ${VALID}
QUALIFY row_number() OVER (PARTITION BY sensor_id, "timestamp" ORDER BY _ingested_at, _source_file, _source_line) = 1;
COPY silver TO ${sqlStr(out + '/silver')} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (reading_date));
COPY (SELECT sensor_id, location, date_trunc('hour', "timestamp") AS hour,
		avg(temperature) AS avg_temperature, min(temperature) AS min_temperature, max(temperature) AS max_temperature,
		avg(humidity) AS avg_humidity, min(humidity) AS min_humidity, max(humidity) AS max_humidity,
		count(*) AS reading_count, reading_date
	FROM silver GROUP BY sensor_id, location, date_trunc('hour', "timestamp"), reading_date)
	TO ${sqlStr(out + '/gold')} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY (reading_date));
`;
}

// ---------------------------------------------------------------- alone
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const client = new pg.Client();
	await client.connect();
	const listen = new pg.Client();
	await listen.connect();
	const duck = await DuckDBInstance.create(':memory:');
	const dc = await duck.connect();
	const q = async (sql, params) => (await client.query(sql, params)).rows;
	const res = await benchPipeline({
		q, client, listen,
		dq: async (sql) => (await dc.runAndReadAll(sql)).getRows(),
		dir: env.BENCH_DIR || os.tmpdir(),
	});
	await client.end();
	await listen.end();
	const text = res.lines.join('\n') + '\n' +
		(res.problems.length ? '\n### Problems (pipeline)\n\n' + res.problems.map((x) => `- ${x}`).join('\n') + '\n' : '');
	process.stdout.write(text);
	const outFile = path.join(here, 'results', 'pipeline.md');
	fs.mkdirSync(path.dirname(outFile), { recursive: true });
	fs.writeFileSync(outFile, text);
	if (env.BENCH_REPORT && fs.existsSync(env.BENCH_REPORT) && path.resolve(env.BENCH_REPORT) !== outFile)
		fs.appendFileSync(env.BENCH_REPORT, '\n' + text);
	process.exit(res.problems.length ? 1 : 0);
}
