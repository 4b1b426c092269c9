// bench_delta.mjs
//   The Delta Lake part of `make bench` (issue 3), imported by bench.mjs
//   (which appends the section it returns to the report), or run alone:
//     PGHOST=... BENCH_DIR=/dir/the/server/can/read node bench/bench_delta.mjs
//   Measures:
//   - snapshot load (log replay) of tables of 100, 1,000 and 10,000 commits,
//     without checkpoints and with one every 10 commits, at the latest
//     version and two older ones: through lake/ alone
//     (bench_delta_snapshot, $BENCH_DELTA_SNAPSHOT) and through SQL
//     (SELECT count(*) on a foreign table pinned to the version: the
//     statement's fixed cost, since every statement loads its snapshot);
//   - a selective query (one sensor_id) on a 10-million-row table of 100
//     files, one sensor range per file, with statistics skipping, the same
//     query with skipping defeated (sensor_id + 0), and a full scan,
//     with Files Scanned etc. from EXPLAIN (ANALYZE, FORMAT JSON), against
//     DuckDB read_parquet over the same files;
//   - count(*) on a 100-million-row table (100 hard links of one file of
//     1,000,000 rows), against DuckDB read_parquet over the 100 files.
//   Tables are written by bench/gen_delta_table.mjs under
//   $BENCH_DIR/delta and removed at the end (unless KEEP_CLUSTER is set).
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { execFileSync } from 'node:child_process';
import { performance } from 'node:perf_hooks';
import path from 'node:path';
import fs from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'test', 'package.json'));

const COLS = `sensor_id integer, "timestamp" timestamptz, temperature double precision,
	humidity double precision, location text`;
const SNAP_COMMITS = [100, 1000, 10000];
const CHECKPOINT_INTERVAL = 10;		/* Spark's default delta.checkpointInterval */
const ANCHOR_MS = 125;				/* issue 3: count(*) through DuckDB-based extensions */

function median(a) {
	const s = [...a].sort((x, y) => x - y);
	const m = s.length >> 1;
	return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

async function timeRuns(fn, runs) {
	await fn();
	const times = [];
	let last;
	for (let i = 0; i < runs; i++) {
		const t0 = performance.now();
		last = await fn();
		times.push(performance.now() - t0);
	}
	return { best: Math.min(...times), median: median(times), runs, last };
}

const fmtMs = (ms) => (ms < 1 ? ms.toFixed(2) : ms.toFixed(ms < 100 ? 1 : 0));
const fmtInt = (n) => Math.round(n).toLocaleString('en-US');
const fmtMB = (b) => (b / 1048576).toFixed(1);
const sqlStr = (s) => "'" + s.replaceAll("'", "''") + "'";

// The foreign-scan nodes of an EXPLAIN (FORMAT JSON) plan, merged: the
// Delta properties of the first node that has them.
function deltaProps(plan) {
	let found = null;
	const walk = (n) => {
		if (!found && n['Delta Version'] !== undefined)
			found = n;
		(n.Plans || []).forEach(walk);
	};
	walk(plan[0].Plan);
	if (!found)
		return {};
	const pick = ['Delta Version', 'Files Total', 'Files Selected', 'Files Scanned', 'Files From Log',
		'Row Groups Scanned', 'Footers Read', 'Actual Rows'];
	return Object.fromEntries(pick.filter((k) => found[k] !== undefined).map((k) => [k, found[k]]));
}

/*
 * Run the Delta benchmark.  q(sql, params) runs a query on PostgreSQL and
 * returns rows; dq(sql) runs DuckDB and returns rows (row arrays); dir is a
 * directory the server can read.  Returns { lines, problems, notes }.
 */
export async function benchDelta({ q, dq, dir, runs, snapshotBin, keep }) {
	const lines = [];
	const problems = [];
	const notes = [];
	const fastRuns = Math.max(runs, 10);	/* queries of a few ms: more runs, steadier figures */
	await dq('RESET threads');
	const root = path.join(dir, 'delta');
	fs.rmSync(root, { recursive: true, force: true });
	fs.mkdirSync(root, { recursive: true });

	// ------------------------------------------------------------ tables
	const tables = {};
	const genStart = performance.now();
	function gen(name, args) {
		const out = execFileSync(process.execPath, [path.join(here, 'gen_delta_table.mjs'), path.join(root, name), ...args],
			{ encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
		tables[name] = JSON.parse(out.trim().split('\n').pop());
	}
	for (const n of SNAP_COMMITS) {
		gen(`snap_${n}`, ['--commits', String(n)]);
		gen(`snap_${n}_cp`, ['--commits', String(n), '--checkpoint-interval', String(CHECKPOINT_INTERVAL)]);
	}
	gen('skip_10m', ['--commits', '100', '--rows-per-file', '100000', '--data', 'distinct',
		'--sensors-per-file', '10', '--row-group-rows', '10000',
		'--checkpoint-interval', String(CHECKPOINT_INTERVAL)]);
	gen('count_100m', ['--commits', '100', '--rows-per-file', '1000000', '--data', 'link',
		'--sensors-per-file', '10', '--checkpoint-interval', String(CHECKPOINT_INTERVAL)]);
	const genSeconds = (performance.now() - genStart) / 1000;
	const du = Number(execFileSync('du', ['-sk', root], { encoding: 'utf8' }).split('\t')[0]) * 1024;

	await q('DROP SERVER IF EXISTS bench_delta_server CASCADE');
	await q(`CREATE SERVER bench_delta_server FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root ${sqlStr(root)})`);
	const foreign = async (name, tpath, extra = '') =>
		q(`CREATE FOREIGN TABLE public.${name} (${COLS}) SERVER bench_delta_server
			OPTIONS (path ${sqlStr(tpath)}${extra})`);

	// ------------------------------------------------------------ snapshot load
	const roundTrip = await timeRuns(() => q('SELECT 1'), fastRuns);
	const snapRows = [];
	for (const n of SNAP_COMMITS) {
		const versions = [n - 1, Math.floor(n / 2) + CHECKPOINT_INTERVAL - 1, CHECKPOINT_INTERVAL - 1];
		for (const cp of [false, true]) {
			const name = `snap_${n}${cp ? '_cp' : ''}`;
			const t = tables[name];
			let lake = [];
			if (snapshotBin && fs.existsSync(snapshotBin)) {
				try {
					const out = execFileSync(snapshotBin, [String(fastRuns), path.join(root, name),
						'latest', ...versions.slice(1).map(String)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
					lake = out.trim().split('\n').map((l) => JSON.parse(l));
				} catch (e) {
					problems.push(`bench_delta_snapshot ${name}: ${(e.stdout || '') + (e.stderr || e.message)}`.trim());
				}
			}
			for (let i = 0; i < versions.length; i++) {
				const v = versions[i];
				const expect = (v + 1) * t.rows_per_file;
				const row = { name, commits: n, cp, version: v, latest: i === 0, files: v + 1, expect };
				const l = lake[i];
				if (l && l.error === undefined) {
					row.lake = l;
					if (l.version !== v || l.records !== expect || l.files !== v + 1)
						problems.push(`lake/ ${name} at ${i === 0 ? 'latest' : v}: version ${l.version}, ${l.files} files, ${l.records} records (expected ${v}, ${v + 1}, ${expect})`);
				} else if (l)
					problems.push(`lake/ ${name} at ${v}: ${l.error}`);
				const ft = `bench_${name}_${i === 0 ? 'latest' : `v${v}`}`;
				try {
					await foreign(ft, name, i === 0 ? '' : `, version '${v}'`);
					row.sql = await timeRuns(async () => Number((await q(`SELECT count(*) AS n FROM public.${ft}`))[0].n), fastRuns);
					if (row.sql.last !== expect)
						problems.push(`SQL count(*) on ${name} at ${v}: ${row.sql.last}, expected ${expect}`);
				} catch (e) {
					problems.push(`SQL ${name} at ${v}: ${e.message}`);
				}
				snapRows.push(row);
			}
		}
	}

	// ------------------------------------------------------------ skipping
	const skip = tables.skip_10m;
	const skipPaths = fs.readdirSync(path.join(root, 'skip_10m')).filter((f) => f.endsWith('.parquet'))
		.map((f) => path.join(root, 'skip_10m', f));
	const SENSOR = 427;			/* in file 42: sensors 421..430 */
	const skipQueries = [];
	try {
		await foreign('bench_delta_skip', 'skip_10m');
		const variants = [
			['selective, statistics skip files', `WHERE sensor_id = ${SENSOR}`],
			['same rows, skipping defeated (`sensor_id + 0 = ...`)', `WHERE sensor_id + 0 = ${SENSOR}`],
			['full scan, no WHERE', ''],
		];
		for (const [label, where] of variants) {
			const sql = `SELECT count(*) AS n, avg(temperature) AS a FROM public.bench_delta_skip ${where}`;
			const plan = (await q(`EXPLAIN (ANALYZE, FORMAT JSON) ${sql}`))[0]['QUERY PLAN'];
			const r = await timeRuns(async () => (await q(sql))[0], runs);
			skipQueries.push({ label, sql: `${where || '(none)'}`, props: deltaProps(plan), ...r,
				count: Number(r.last.n), avg: Number(r.last.a) });
		}
	} catch (e) {
		problems.push(`skipping: ${e.message}`);
	}
	const duckSkip = [];
	const list = `[${skipPaths.map(sqlStr).join(', ')}]`;
	const duckThreads = (await dq("SELECT current_setting('threads')"))[0][0];
	for (const threads of [1, 0]) {
		await dq(threads ? `SET threads = ${threads}` : 'RESET threads');
		for (const [label, where] of [['selective', `WHERE sensor_id = ${SENSOR}`], ['full scan', '']]) {
			const r = await timeRuns(async () => (await dq(`SELECT count(*), avg(temperature) FROM read_parquet(${list}) ${where}`))[0], runs);
			duckSkip.push({ label: `DuckDB read_parquet (100 files), ${label}, threads=${threads || duckThreads}`,
				...r, count: Number(r.last[0]), avg: Number(r.last[1]), where: where || '(none)' });
		}
	}
	await dq('RESET threads');
	if (skipQueries.length === 3) {
		const [sel, defeated, full] = skipQueries;
		const dSel = duckSkip[0], dFull = duckSkip[1];
		if (sel.count !== skip.rows / skip.files / 10 || sel.count !== defeated.count || sel.count !== dSel.count ||
			Math.abs(sel.avg - dSel.avg) > 1e-9 * Math.abs(dSel.avg) || Math.abs(defeated.avg - dSel.avg) > 1e-9 * Math.abs(dSel.avg))
			problems.push(`selective query: count ${sel.count} / ${defeated.count} / DuckDB ${dSel.count}, avg ${sel.avg} / ${defeated.avg} / DuckDB ${dSel.avg}`);
		if (full.count !== skip.rows || full.count !== dFull.count || Math.abs(full.avg - dFull.avg) > 1e-9 * Math.abs(dFull.avg))
			problems.push(`full scan: count ${full.count} (DuckDB ${dFull.count}), avg ${full.avg} (DuckDB ${dFull.avg})`);
	}

	// ------------------------------------------------------------ count(*)
	const cnt = tables.count_100m;
	const cntPaths = fs.readdirSync(path.join(root, 'count_100m')).filter((f) => f.endsWith('.parquet'))
		.map((f) => path.join(root, 'count_100m', f));
	let pgCount = null, pgCountProps = {};
	try {
		await foreign('bench_delta_count', 'count_100m');
		pgCountProps = deltaProps((await q('EXPLAIN (ANALYZE, FORMAT JSON) SELECT count(*) FROM public.bench_delta_count'))[0]['QUERY PLAN']);
		pgCount = await timeRuns(async () => Number((await q('SELECT count(*) AS n FROM public.bench_delta_count'))[0].n), fastRuns);
		if (pgCount.last !== cnt.rows)
			problems.push(`count(*) on count_100m: ${pgCount.last}, expected ${cnt.rows}`);
	} catch (e) {
		problems.push(`count(*) on count_100m: ${e.message}`);
	}
	const duckCount = [];
	const cntList = `[${cntPaths.map(sqlStr).join(', ')}]`;
	for (const threads of [1, 0]) {
		await dq(threads ? `SET threads = ${threads}` : 'RESET threads');
		const r = await timeRuns(async () => Number((await dq(`SELECT count(*) FROM read_parquet(${cntList})`))[0][0]), fastRuns);
		duckCount.push({ label: `DuckDB \`SELECT count(*) FROM read_parquet([...100 files])\`, threads=${threads || duckThreads}`, ...r });
		if (r.last !== cnt.rows)
			problems.push(`DuckDB count(*) over count_100m: ${r.last}, expected ${cnt.rows}`);
	}
	await dq('RESET threads');
	let duckDelta = null;
	try {
		await dq('LOAD delta');
		const r = await timeRuns(async () => Number((await dq(`SELECT count(*) FROM delta_scan(${sqlStr(path.join(root, 'count_100m'))})`))[0][0]), fastRuns);
		duckCount.push({ label: 'DuckDB delta extension `delta_scan`', ...r });
	} catch (e) {
		duckDelta = e.message.split('\n')[0];
	}

	if (!keep)
		fs.rmSync(root, { recursive: true, force: true });

	// ------------------------------------------------------------ report
	const verdict = (ok) => (ok ? 'met' : 'NOT met');
	const pct = (ms) => `${(100 * ms / ANCHOR_MS).toFixed(ms < 2 ? 2 : 0)}%`;
	const L = lines;
	L.push('## Delta Lake tables (issue 3)');
	L.push('');
	L.push(`Tables written by \`bench/gen_delta_table.mjs\` (DuckDB writes the Parquet data files and checkpoints) in ${genSeconds.toFixed(0)} s, ${fmtMB(du)} MB on disk (removed afterwards). ` +
		'Schema sensor_id integer, timestamp, temperature double, humidity double, location string; not partitioned; one commit a minute; every add carries stats. ' +
		'Snapshot tables: one file of 10 rows per commit, every file a hard link of the first one (their contents do not matter for log replay). ' +
		`Checkpoints: classic single-file, at every ${CHECKPOINT_INTERVAL}th version (Spark's default \`delta.checkpointInterval\`), plus \`_last_checkpoint\`.`);
	L.push('');
	L.push('### Snapshot load (log replay)');
	L.push('');
	L.push(`lake/ alone: \`delta_snapshot_load\` + \`delta_snapshot_free\` (\`bench/bench_delta_snapshot.c\`). ` +
		`SQL: \`SELECT count(*)\` on a foreign table over the table (pinned with \`version\` for older versions), ` +
		`answered from the log's numRecords, so the statement's whole fixed cost: parse, plan (which loads the snapshot), execute, one row back. ` +
		`The round trip of \`SELECT 1\` on the same session is ${fmtMs(roundTrip.best)} ms. Best and median of ${fastRuns} runs after a warm-up.`);
	L.push('');
	L.push('| commits | checkpoints | version | JSON commits replayed | active files | lake/ best ms | lake/ median ms | SQL count(*) best ms | SQL median ms |');
	L.push('|---:|---|---:|---:|---:|---:|---:|---:|---:|');
	for (const r of snapRows) {
		const replay = r.cp && r.version >= CHECKPOINT_INTERVAL ? r.version % CHECKPOINT_INTERVAL : r.version + 1;
		const cpText = r.cp ? (r.version >= CHECKPOINT_INTERVAL ? `every ${CHECKPOINT_INTERVAL} (from v${r.version - r.version % CHECKPOINT_INTERVAL})` : `every ${CHECKPOINT_INTERVAL} (none yet)`) : 'none';
		L.push(`| ${fmtInt(r.commits)} | ${cpText} | ${r.version}${r.latest ? ' (latest)' : ''} | ${fmtInt(replay)} | ${fmtInt(r.files)} | ` +
			`${r.lake ? fmtMs(r.lake.best_ms) : '-'} | ${r.lake ? fmtMs(r.lake.median_ms) : '-'} | ` +
			`${r.sql ? fmtMs(r.sql.best) : '-'} | ${r.sql ? fmtMs(r.sql.median) : '-'} |`);
	}
	const big = snapRows.filter((r) => r.commits === 10000 && r.cp);
	const worstLake = Math.max(...big.map((r) => (r.lake ? r.lake.best_ms : Infinity)));
	const worstSql = Math.max(...big.map((r) => (r.sql ? r.sql.best : Infinity)));
	L.push('');
	L.push(`Target: any version of a 10,000-commit table opens in under 50 ms with checkpoints: slowest version measured ` +
		`${fmtMs(worstLake)} ms in lake/ alone (**${verdict(worstLake < 50)}**), ${fmtMs(worstSql)} ms for the whole SQL statement (**${verdict(worstSql < 50)}**).`);
	L.push('');
	L.push('### Selective query with statistics skipping');
	L.push('');
	L.push(`\`SELECT count(*), avg(temperature) FROM t WHERE ...\` on ${fmtInt(skip.rows)} rows in ${skip.files} files of ${fmtInt(skip.rows_per_file)} rows ` +
		`(${skip.commits} commits of one file, checkpoints every ${CHECKPOINT_INTERVAL}); file g holds sensors 10g+1..10g+10 (10,000 readings each, sorted by sensor and time, ` +
		`asked for row groups of 10,000 rows, DuckDB cuts them at 10,240, a multiple of its 2,048-row vectors, so one sensor spans 2 row groups), ` +
		`so sensor ${SENSOR} is in one file of ${skip.files}. Data ${fmtMB(skip.data_bytes_on_disk)} MB. ` +
		`Files and row groups from \`EXPLAIN (ANALYZE, FORMAT JSON)\`; best and median of ${runs} runs after a warm-up (files in the page cache). Delta scans are not parallel.`);
	L.push('');
	L.push('| query | WHERE | Files Total | Files Selected | Files Scanned | Row Groups Scanned | rows counted | best ms | median ms |');
	L.push('|---|---|---:|---:|---:|---:|---:|---:|---:|');
	for (const s of skipQueries) {
		const p = s.props;
		L.push(`| Delta foreign table: ${s.label} | \`${s.sql}\` | ${p['Files Total'] ?? '-'} | ${p['Files Selected'] ?? '-'} | ${p['Files Scanned'] ?? '-'} | ${p['Row Groups Scanned'] ?? '-'} | ${fmtInt(s.count)} | ${fmtMs(s.best)} | ${fmtMs(s.median)} |`);
	}
	for (const s of duckSkip)
		L.push(`| ${s.label} | \`${s.where}\` | ${skip.files} | - | - | - | ${fmtInt(s.count)} | ${fmtMs(s.best)} | ${fmtMs(s.median)} |`);
	if (skipQueries.length === 3) {
		const [sel, defeated, full] = skipQueries;
		const ok = sel.props['Files Scanned'] === 1;
		L.push('');
		L.push(`Target: a query that statistics can answer from 1 file of ${skip.files} reads only that file: Files Scanned = ${sel.props['Files Scanned']} ` +
			`(**${verdict(ok)}**); ${fmtMs(sel.best)} ms against ${fmtMs(defeated.best)} ms with skipping defeated ` +
			`(${(defeated.best / sel.best).toFixed(0)}x) and ${fmtMs(full.best)} ms for the full scan.`);
	}
	L.push('');
	L.push('### `count(*)` on a 100-million-row table');
	L.push('');
	L.push(`${fmtInt(cnt.rows)} rows in ${cnt.files} files of ${fmtInt(cnt.rows_per_file)} rows (${cnt.commits} commits, checkpoints every ${CHECKPOINT_INTERVAL}); ` +
		`the files are ${cnt.files} hard links of one real ${fmtMB(cnt.data_bytes_on_disk)} MB Parquet file written by DuckDB (what a count needs is the same; the disk holds one copy). ` +
		`Best and median of ${fastRuns} runs after a warm-up.`);
	L.push('');
	L.push('| source | best ms | median ms | share of the 125 ms anchor (best) |');
	L.push('|---|---:|---:|---:|');
	if (pgCount) {
		const p = pgCountProps;
		L.push(`| Delta foreign table \`SELECT count(*)\` (Files Scanned ${p['Files Scanned'] ?? '?'}, Files From Log ${p['Files From Log'] ?? '?'}, Footers Read ${p['Footers Read'] ?? '?'}) | ${fmtMs(pgCount.best)} | ${fmtMs(pgCount.median)} | ${pct(pgCount.best)} |`);
	}
	for (const d of duckCount)
		L.push(`| ${d.label} | ${fmtMs(d.best)} | ${fmtMs(d.median)} | ${pct(d.best)} |`);
	L.push(`| anchor: PostgreSQL extensions reading Parquet through DuckDB (the issue's figure, not measured here: they cannot be installed on this machine) | ~${ANCHOR_MS} | | 100% |`);
	L.push('');
	if (pgCount)
		L.push(`Target: \`count(*)\` on 100 million rows in under 20 ms: ${fmtMs(pgCount.best)} ms best, ${fmtMs(pgCount.median)} ms median (**${verdict(pgCount.best < 20)}**).`);
	if (duckDelta)
		L.push(`DuckDB's delta extension (\`delta_scan\`) could not be loaded here, the machine is offline: ${duckDelta.replace(/\|/g, '\\|')}`);
	return { lines, problems, notes };
}

// ---------------------------------------------------------------- alone
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
	const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);
	const pg = require('pg');
	const client = new pg.Client();
	await client.connect();
	const duck = await DuckDBInstance.create(':memory:');
	const dc = await duck.connect();
	const res = await benchDelta({
		q: async (sql, params) => (await client.query(sql, params)).rows,
		dq: async (sql) => (await dc.runAndReadAll(sql)).getRows(),
		dir: process.env.BENCH_DIR, runs: Number(process.env.BENCH_RUNS || 5),
		snapshotBin: process.env.BENCH_DELTA_SNAPSHOT, keep: !!process.env.KEEP_CLUSTER,
	});
	await client.end();
	process.stdout.write(res.lines.join('\n') + '\n');
	for (const p of res.problems)
		console.log(`- problem: ${p}`);
	process.exit(res.problems.length ? 1 : 0);
}
