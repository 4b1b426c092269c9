// bench_write.mjs
//   The Delta write part of `make bench` (issue 4), imported by bench.mjs
//   (which appends the section it returns to the report).  On the CSV the
//   bench generated (BENCH_CSV, ROWS rows with a header), measures:
//   - lakehouse.ingest_csv into a new Delta foreign table (one commit);
//   - COPY FROM the same CSV into a heap table (emptied before each run,
//     not timed);
//   - DuckDB COPY (SELECT * FROM read_csv(...)) TO parquet with threads=1;
//   - INSERT INTO a new Delta foreign table SELECT * FROM the heap table
//     (bench_heap, loaded by bench/setup.sql).
//   Target (issue 4): ingest_csv at least 2x the rows/s of COPY into a heap.
//   Every Delta table is checked: its row count must be ROWS.  Tables are
//   written under $BENCH_DIR/write and removed at the end.
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import fs from 'node:fs';

const COLS = `sensor_id integer, "timestamp" timestamp, temperature double precision,
	humidity double precision, location text`;

function median(a) {
	const s = [...a].sort((x, y) => x - y);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

const sqlStr = (s) => "'" + s.replaceAll("'", "''") + "'";
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');

/*
 * Run the write benchmark.  q(sql, params) runs a query on PostgreSQL and
 * returns rows; dq(sql) runs DuckDB; csv: the generated file; dir: a
 * directory the server can write; rows: the CSV's data rows; runs: timed
 * runs of each (after one warm-up).  Returns { lines, problems, notes }.
 */
export async function benchWrite({ q, dq, csv, dir, rows, runs, keep }) {
	const lines = [];
	const problems = [];
	const notes = [];
	const root = path.join(dir, 'write');
	fs.rmSync(root, { recursive: true, force: true });
	fs.mkdirSync(root, { recursive: true });
	fs.chmodSync(root, 0o777);
	await q('DROP SERVER IF EXISTS bench_write_server CASCADE');
	await q(`CREATE SERVER bench_write_server FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root ${sqlStr(root)})`);
	let serial = 0;
	const newLakeTable = async () => {
		const name = `w${serial++}`;
		await q(`CREATE FOREIGN TABLE public.bench_${name} (${COLS}) SERVER bench_write_server
			OPTIONS (format 'delta', path ${sqlStr(name)})`);
		return { rel: `public.bench_${name}`, dir: path.join(root, name) };
	};
	const dropLakeTable = async (t) => {
		await q(`DROP FOREIGN TABLE IF EXISTS ${t.rel}`);
		if (!keep)
			fs.rmSync(t.dir, { recursive: true, force: true });
	};

	// each measure: one warm-up, then runs; setup() before each run is not timed
	async function measure(label, setup, fn, check) {
		const times = [];
		for (let i = -1; i < runs; i++) {
			const ctx = setup ? await setup() : null;
			const t0 = performance.now();
			const r = await fn(ctx);
			const ms = performance.now() - t0;
			if (i >= 0)
				times.push(ms);
			if (check)
				await check(ctx, r, label);
		}
		return { label, best: Math.min(...times), median: median(times) };
	}
	const checkLake = async (t, r, label) => {
		const n = Number((await q(`SELECT count(*) AS n FROM ${t.rel}`))[0].n);
		if (n !== rows)
			problems.push(`${label}: the Delta table has ${n} rows, expected ${rows}`);
		if (r !== undefined && r !== null && Number(r) !== rows)
			problems.push(`${label}: returned ${r}, expected ${rows}`);
		await dropLakeTable(t);
	};

	const results = [];
	try {
		results.push(await measure('`lakehouse.ingest_csv` into a Delta foreign table', newLakeTable,
			async (t) => (await q(`SELECT lakehouse.ingest_csv(${sqlStr(t.rel)}::regclass, $1) AS n`, [csv]))[0].n,
			checkLake));
	} catch (e) {
		problems.push(`ingest_csv failed: ${e.message}`);
	}

	await q('DROP TABLE IF EXISTS public.bench_copy');
	await q(`CREATE TABLE public.bench_copy (${COLS})`);
	results.push(await measure('`COPY FROM` the CSV into a heap table', async () => { await q('TRUNCATE public.bench_copy'); },
		async () => (await q(`COPY public.bench_copy FROM ${sqlStr(csv)} WITH (FORMAT csv, HEADER true)`)),
		async () => {
			const n = Number((await q('SELECT count(*) AS n FROM public.bench_copy'))[0].n);
			if (n !== rows)
				problems.push(`COPY: ${n} rows, expected ${rows}`);
		}));
	await q('DROP TABLE public.bench_copy');

	await dq('SET threads = 1');
	const duckOut = (i) => path.join(root, `duck_${i}.parquet`);
	let duckRun = 0;
	results.push(await measure('DuckDB `COPY (SELECT * FROM read_csv(...)) TO` parquet, threads=1', null,
		async () => dq(`COPY (SELECT * FROM read_csv(${sqlStr(csv)}, header = true, columns = {
			'sensor_id': 'INTEGER', 'timestamp': 'TIMESTAMP', 'temperature': 'DOUBLE',
			'humidity': 'DOUBLE', 'location': 'VARCHAR'})) TO ${sqlStr(duckOut(duckRun++))} (FORMAT parquet, COMPRESSION snappy)`),
		async () => {
			const f = duckOut(duckRun - 1);
			const n = Number((await dq(`SELECT count(*) FROM read_parquet(${sqlStr(f)})`))[0][0]);
			if (n !== rows)
				problems.push(`DuckDB: ${n} rows, expected ${rows}`);
			fs.rmSync(f, { force: true });
		}));
	await dq('RESET threads');

	try {
		results.push(await measure('`INSERT INTO` a Delta foreign table `SELECT * FROM` the heap', newLakeTable,
			async (t) => (await q(`INSERT INTO ${t.rel} SELECT * FROM public.bench_heap`)),
			(t, r, label) => checkLake(t, null, label)));
	} catch (e) {
		problems.push(`INSERT ... SELECT failed: ${e.message}`);
	}
	await q('DROP SERVER IF EXISTS bench_write_server CASCADE');
	if (!keep)
		fs.rmSync(root, { recursive: true, force: true });

	lines.push('## Writing Delta tables (issue 4)');
	lines.push('');
	lines.push(`${fmtInt(rows)} rows of the generated CSV (${(fs.statSync(csv).size / 1048576).toFixed(1)} MB); one warm-up, then best and median of ${runs} runs; each Delta run writes a new table (one commit).`);
	lines.push('');
	lines.push('| writer | best s | median s | rows/s (best) | vs COPY into heap |');
	lines.push('|---|---:|---:|---:|---:|');
	const copy = results.find((r) => r.label.startsWith('`COPY FROM'));
	for (const r of results)
		lines.push(`| ${r.label} | ${(r.best / 1000).toFixed(2)} | ${(r.median / 1000).toFixed(2)} | ${fmtInt(rows / (r.best / 1000))} | ${copy ? (copy.best / r.best).toFixed(2) + 'x' : '-'} |`);
	lines.push('');
	const ing = results.find((r) => r.label.includes('ingest_csv'));
	if (ing && copy) {
		const ratio = copy.best / ing.best;
		lines.push(`ingest_csv rows/s / COPY-into-heap rows/s: **${ratio.toFixed(2)}x** (target: at least 2x: ${ratio >= 2 ? 'met' : 'NOT met'})`);
	} else
		lines.push('ingest_csv vs COPY: not measured (see Problems)');
	return { lines, problems, notes };
}
