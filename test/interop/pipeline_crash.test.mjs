/*
 * pipeline_crash.test.mjs
 *	  kill -9 of the pipeline's background worker while sensor files keep
 *	  arriving, LAKE_PIPELINE_CRASH_ROUNDS (12) times, the moments drawn
 *	  from LAKE_PIPELINE_CRASH_SEED: while Bronze ingests a burst of files
 *	  (one big batch), right after that batch's outcome is recorded (before
 *	  its commit) or right after its commit (while its files move); during
 *	  a Silver run, or right after the quarantine's commit (before
 *	  Silver's); during a Gold run; right after Bronze's or Silver's NOTIFY
 *	  (between two stages); at a random instant.  The postmaster then
 *	  restarts every backend (expected: that is what PostgreSQL does when a
 *	  backend dies abnormally); the test reconnects and the worker comes
 *	  back by itself.  Each round prints where the kill left the pipeline,
 *	  read from the files at once (e.g. "Bronze batch 14 recorded, being
 *	  ingested", "quarantine at Bronze 9, Silver at 8").
 *
 * A generator drops CSV files (2k-20k rows, some .csv.gz, some CRLF) all
 * along, also while the server recovers.  It knows every line it wrote:
 * valid readings, exact copies of earlier ones (within a file and across
 * files: the copies have the same values, so which copy wins only shows in
 * the lineage columns), and invalid lines of every kind the quarantine
 * names.  Once the pipeline has caught up after the last kill:
 *	- Bronze holds every line of every file exactly once, with the values
 *	  the line says ((_source_file, _source_line) complete and unique, one
 *	  _ingested_at per file); the drop directory is empty and every file is
 *	  in _processed/ exactly once, unchanged; nothing is rejected.
 *	- Bronze's log: every batch id is the txn of exactly one commit; the
 *	  batch records agree (every file in exactly one committed batch, one
 *	  _ingested_at per batch, increasing with the id).  Silver, quarantine
 *	  and Gold never record the same source version twice.  Every table's
 *	  versions have no gap, every JSON commit is whole, every checkpoint
 *	  reads in DuckDB.
 *	- Silver is the valid readings deduplicated on (sensor_id, timestamp),
 *	  the first arrival winning (_ingested_at, then _source_file, then
 *	  _source_line), computed here; no key twice.
 *	- The quarantine has every invalid line exactly once, with its reason.
 *	- Gold is the hourly aggregation of Silver: against the expectation
 *	  computed here, and against SQL over silver.sensor_logs; no
 *	  (sensor_id, location, hour) twice.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import * as L from './lib.mjs';
import * as W from './write_lib.mjs';
import * as P from './pipeline_lib.mjs';

const SEED = Number(process.env.LAKE_PIPELINE_CRASH_SEED || 20241207);
const ROUNDS = Number(process.env.LAKE_PIPELINE_CRASH_ROUNDS || 12);
/* how long the pipeline may take to catch up after the last kill (ms) */
const CATCHUP_MS = Number(process.env.LAKE_PIPELINE_CRASH_CATCHUP_MS || 180000);
/*
 * Extra settings for the worker, "name=value,name=value" (ALTER SYSTEM, reset
 * at the end), e.g. enable_nestloop=off to look past a slow plan.
 */
const EXTRA_SETTINGS = Object.fromEntries((process.env.LAKE_PIPELINE_CRASH_SETTINGS || '')
	.split(',').filter((x) => x.includes('=')).map((x) => x.split('=').map((y) => y.trim())));

const N = '\\N';
const WORKER_SQL = "SELECT pid, state, query FROM pg_stat_activity WHERE backend_type = 'iot_lakehouse pipeline'";
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let pgc;
let duck;
let paths;
let gen;
let logStart = 0;

/* ------------------------------------------------------- the generator --- */

const HEADER = 'sensor_id,timestamp,temperature,humidity,location';
const DATA_T0 = Date.UTC(2024, 2, 1);
const DATA_DAYS = 40;
const SENSORS = 48;
const POOL_MAX = 5000;

/* integer hundredths as the CSV text and the canonical float text */
function hundredths(v)
{
	const a = Math.abs(v);
	const text = (v < 0 ? '-' : '') + Math.floor(a / 100) + '.' + String(a % 100).padStart(2, '0');
	return [text, String(v / 100)];
}

/* the timestamp text of epoch ms: ISO with Z, with an offset, or with no offset (UTC) */
function tsText(ms, style, offHours)
{
	const trim = (iso) => (ms % 1000 === 0 ? iso.slice(0, 19) : iso.slice(0, 23));
	if (style === 'offset')
	{
		const local = trim(new Date(ms + offHours * 3600000).toISOString());
		return `${local}${offHours < 0 ? '-' : '+'}${String(Math.abs(offHours)).padStart(2, '0')}:00`;
	}
	const iso = trim(new Date(ms).toISOString());
	return style === 'plain' ? iso.replace('T', ' ') : iso + 'Z';
}

/* the canonical _rescued_data: keys in byte order, key=value;... */
function rescued(obj)
{
	return Object.keys(obj).sort(L.compareBytes).map((k) => `${k}=${obj[k]}`).join(';');
}

const INVALID_KINDS = ['sid', 'ts', 'tmiss', 'ttext', 'thigh', 'tlow', 'tnan', 'hhigh', 'hlow', 'hmiss', 'short'];

/*
 * Files made from a seeded PRNG (their contents depend only on the seed and
 * their order), dropped as P.dropFile does (written beside, renamed in).
 */
class Generator
{
	constructor(p, seed)
	{
		this.p = p;
		this.rnd = L.prng(seed);
		this.pace = L.prng(seed ^ 0x5bd1e995);
		this.files = [];		/* { name, sha, gz, crlf, canon: [], invalid: [], rows } */
		this.byName = new Map();
		this.keys = new Map();	/* sensor|us -> { sensor, us, ms, vals, date, loc, t, h, cands: [fileIdx, line, ...] } */
		this.used = new Set();	/* every key any line used (valid or not) */
		this.pool = [];			/* earlier valid lines to copy: { text, key } */
		this.running = false;
		this.quota = 0;
		this.rows = 0;
	}

	freshKey(startMs, spanS)
	{
		const r = this.rnd;
		for (;;)
		{
			const sensor = 1 + r.int(SENSORS);
			const ms = startMs + r.int(spanS) * 1000 + (r.next() < 0.1 ? r.int(1000) : 0);
			const key = `${sensor}|${ms * 1000}`;
			if (!this.used.has(key))
			{
				this.used.add(key);
				return { sensor, ms, key };
			}
		}
	}

	makeFile()
	{
		const r = this.rnd;
		const idx = this.files.length;
		const gz = r.next() < 0.12;
		const crlf = r.next() < 0.06;
		const prefix = r.pick(['gw', 'edge', 'a', 'z', 'node', 'm']) + r.int(10);
		const name = `${prefix}-${String(idx).padStart(4, '0')}.csv${gz ? '.gz' : ''}`;
		const rows = Math.round(2000 * Math.pow(10, r.next()));	/* 2k .. 20k, log-uniform */
		const startMs = DATA_T0 + r.int(DATA_DAYS * 24) * 3600000;
		const spanS = (1 + r.int(48)) * 3600;
		const lines = [HEADER];
		const canon = [];
		const invalid = [];
		for (let k = 0; k < rows; k++)
		{
			const line = k + 2;
			const u = r.next();
			if (u < 0.03)
			{
				const { text, c, reason } = this.invalidLine(r.pick(INVALID_KINDS), line, startMs, spanS);
				lines.push(text);
				canon.push(c);
				invalid.push({ line, reason });
			}
			else if (u < 0.08 && this.pool.length > 0)
			{
				/* an exact copy of an earlier valid line (same values, maybe the same file) */
				const e = this.pool[r.int(this.pool.length)];
				lines.push(e.text);
				canon.push(this.validCanon(e.key, e.extra, line));
				this.keys.get(e.key).cands.push(idx, line);
			}
			else
			{
				const { text, key, extra } = this.validLine(startMs, spanS);
				lines.push(text);
				canon.push(this.validCanon(key, extra, line));
				this.keys.get(key).cands.push(idx, line);
				const entry = { text, key, extra };
				if (this.pool.length < POOL_MAX)
					this.pool.push(entry);
				else if (r.next() < 0.2)
					this.pool[r.int(POOL_MAX)] = entry;
			}
		}
		let content = Buffer.from(lines.join(crlf ? '\r\n' : '\n') + (crlf ? '\r\n' : '\n'));
		if (gz)
			content = zlib.gzipSync(content);
		const f = { idx, name, gz, crlf, rows, canon, invalid,
			sha: crypto.createHash('sha256').update(content).digest('hex') };
		this.files.push(f);
		this.byName.set(name, f);
		this.rows += rows;
		return { f, content };
	}

	location(sensor)
	{
		const u = this.rnd.next();
		if (u < 0.02)
			return { text: '', value: null };
		if (u < 0.03)
			return { text: `"dock ""${sensor % 3}"", north"`, value: `dock "${sensor % 3}", north` };
		return { text: `site-${sensor % 7}`, value: `site-${sensor % 7}` };
	}

	tsStyle()
	{
		const u = this.rnd.next();
		return u < 0.7 ? ['z', 0] : u < 0.85 ? ['offset', this.rnd.pick([-7, -3, 1, 2, 5, 9])] : ['plain', 0];
	}

	validLine(startMs, spanS)
	{
		const r = this.rnd;
		const { sensor, ms, key } = this.freshKey(startMs, spanS);
		let tv = Math.round(-2000 + r.next() * 6000);
		let hv = Math.round(r.next() * 10000);
		if (r.next() < 0.005)
			tv = r.pick([-5000, 15000]);		/* the bounds are valid */
		if (r.next() < 0.005)
			hv = r.pick([0, 10000]);
		const [tt, tc] = hundredths(tv);
		const [ht, hc] = hundredths(hv);
		const loc = this.location(sensor);
		const [style, off] = this.tsStyle();
		const extra = r.next() < 0.01 ? `x${r.int(9)}` : null;	/* a sixth field: rescued, still valid */
		const text = [String(sensor), tsText(ms, style, off), tt, ht, loc.text].join(',') + (extra ? `,${extra}` : '');
		const date = new Date(ms).toISOString().slice(0, 10);
		this.keys.set(key, {
			sensor, us: ms * 1000, ms, date, loc: loc.value, t: tv / 100, h: hv / 100,
			vals: [String(sensor), String(ms * 1000), tc, hc, loc.value === null ? N : loc.value].join('|'),
			cands: [],
		});
		return { text, key, extra };
	}

	validCanon(key, extra, line)
	{
		const k = this.keys.get(key);
		return `${k.vals}|${extra ? rescued({ _c5: extra, _line: line }) : N}|${line}`;
	}

	/* an invalid line of the given kind: { text, c (canonical Bronze row), reason } */
	invalidLine(kind, line, startMs, spanS)
	{
		const r = this.rnd;
		const { sensor, ms } = this.freshKey(startMs, spanS);
		let [tt, tc] = hundredths(Math.round(r.next() * 3000));
		let [ht, hc] = hundredths(Math.round(r.next() * 10000));
		let sid = String(sensor);
		let sidc = sid;
		let ts = tsText(ms, 'z', 0);
		let tsc = String(ms * 1000);
		let loc = `site-${sensor % 7}`;
		let locc = loc;
		const resc = { _line: line };
		let reason;
		let short = false;
		switch (kind)
		{
			case 'sid':
				sid = `S-${sensor}`;
				sidc = N;
				resc.sensor_id = sid;
				reason = 'sensor_id is not an integer';
				break;
			case 'ts':
				ts = 'not a time';
				tsc = N;
				resc.timestamp = ts;
				reason = 'timestamp is not a timestamp';
				break;
			case 'tmiss':
				tt = '';
				tc = N;
				reason = 'temperature is missing';
				break;
			case 'ttext':
				tt = 'hot';
				tc = N;
				resc.temperature = tt;
				reason = 'temperature is not a number';
				break;
			case 'thigh':
			case 'tlow':
				[tt, tc] = hundredths(kind === 'thigh' ? 15001 + r.int(5000) : -5001 - r.int(4000));
				reason = `temperature ${tc} is outside [-50, 150]`;
				break;
			case 'tnan':
				tt = 'NaN';
				tc = 'NaN';
				reason = 'temperature NaN is outside [-50, 150]';
				break;
			case 'hhigh':
			case 'hlow':
				[ht, hc] = hundredths(kind === 'hhigh' ? 10001 + r.int(3000) : -1 - r.int(2000));
				reason = `humidity ${hc} is outside [0, 100]`;
				break;
			case 'hmiss':
				ht = '';
				hc = N;
				reason = 'humidity is missing';
				break;
			case 'short':
				/* three fields: humidity and location missing */
				short = true;
				hc = N;
				locc = N;
				reason = 'humidity is missing';
				break;
			default:
				throw new Error(kind);
		}
		const text = short ? [sid, ts, tt].join(',') : [sid, ts, tt, ht, loc].join(',');
		const hasRescue = Object.keys(resc).length > 1 || short;
		const c = [sidc, tsc, tc, hc, locc, hasRescue ? rescued(resc) : N, String(line)].join('|');
		return { text, c, reason };
	}

	/*
	 * n files dropped as P.dropFile does (written beside the drop directory,
	 * renamed in), all written first, then all renamed in at once (a burst
	 * the worker finds whole).
	 */
	drop(n = 1)
	{
		const names = [];
		for (let i = 0; i < n; i++)
		{
			const { f, content } = this.makeFile();
			const tmp = path.join(this.p.staging, f.name + '.part');
			fs.writeFileSync(tmp, content);
			fs.chmodSync(tmp, 0o644);
			names.push(f.name);
		}
		for (const name of names)
			fs.renameSync(path.join(this.p.staging, name + '.part'), path.join(this.p.drop, name));
		return names;
	}

	/* files to drop from now on, one every 200-600 ms (the volume of a round) */
	allow(n)
	{
		this.quota += n;
	}

	start()
	{
		this.running = true;
		this.loop = (async () => {
			while (this.running)
			{
				if (this.quota > 0)
				{
					this.drop(1);
					this.quota--;
				}
				await sleep(200 + this.pace.int(400));
			}
		})();
	}

	async stop()
	{
		this.running = false;
		await this.loop;
	}
}

/* -------------------------------------------------------- the worker ----- */

async function workerRow(c)
{
	const rows = (await c.query(WORKER_SQL)).rows;
	return rows.length ? { pid: Number(rows[0].pid), state: rows[0].state, query: rows[0].query } : null;
}

/* Wait for the pipeline worker (another one than notPid). */
async function waitWorker(c, notPid, ms = 30000)
{
	const end = Date.now() + ms;
	for (;;)
	{
		const w = await workerRow(c);
		if (w && w.pid !== notPid)
			return w;
		if (Date.now() > end)
			assert.fail(`no pipeline worker (other than ${notPid}) within ${ms} ms`);
		await sleep(20);
	}
}

/*
 * Watch the worker (tight polling of pg_stat_activity) for ms or until
 * until(row) is true; records the durations of the stage runs seen whole
 * in spans.  Returns the row that matched, or null.
 */
async function watch(c, pid, ms, spans, until = null)
{
	const end = Date.now() + ms;
	let cur = null;
	let since = 0;
	while (Date.now() < end)
	{
		const w = await workerRow(c);
		if (!w || w.pid !== pid)
			return null;
		const now = Date.now();
		const stage = w.state === 'active' ? w.query : null;
		if (stage !== cur)
		{
			/* runs with nothing to do take well under a millisecond: not counted */
			if (cur && since && now - since >= 3)
				(spans[cur] ||= []).push(now - since);
			cur = stage;
			since = now;
		}
		if (until && until(w))
			return w;
	}
	return null;
}

/* a typical duration of a stage run (the 75th percentile of the last ones seen) */
function estimate(spans, stage, dflt)
{
	const s = (spans[stage] || []).slice(-20).sort((a, b) => a - b);
	return s.length ? Math.max(s[Math.floor(s.length * 0.75)], 5) : dflt;
}

/* ----------------------------------------------------------- checks ------ */

const TS_US = (col) => `((extract(epoch FROM ${col}) * 1000000)::bigint)::text`;
const BRONZE_CANON = `concat_ws('|', coalesce(sensor_id::text, '${N}'), coalesce(${TS_US('"timestamp"')}, '${N}'),
	coalesce(temperature::text, '${N}'), coalesce(humidity::text, '${N}'), coalesce(location, '${N}'),
	coalesce((SELECT string_agg(key || '=' || value, ';' ORDER BY key) FROM jsonb_each_text(_rescued_data)), '${N}'),
	coalesce(_source_line::text, '${N}'))`;
const SILVER_CANON = `concat_ws('|', coalesce(sensor_id::text, '${N}'), coalesce(${TS_US('"timestamp"')}, '${N}'),
	coalesce(temperature::text, '${N}'), coalesce(humidity::text, '${N}'), coalesce(location, '${N}'),
	coalesce(reading_date::text, '${N}'), coalesce(_source_file, '${N}'), coalesce(_source_line::text, '${N}'),
	coalesce(${TS_US('_ingested_at')}, '${N}'))`;

const md5 = (s) => crypto.createHash('md5').update(s).digest('hex');

/* the first differences of two sorted lists of strings */
function listDiff(actual, expected, max = 10)
{
	const a = new Set(actual);
	const e = new Set(expected);
	const missing = expected.filter((x) => !a.has(x)).slice(0, max);
	const extra = actual.filter((x) => !e.has(x)).slice(0, max);
	const dupA = actual.length - a.size;
	return `got ${actual.length} (${dupA} repeated), expected ${expected.length}; ` +
		`missing: ${JSON.stringify(missing)}; unexpected: ${JSON.stringify(extra)}`;
}

/* the batch records of _stream/batches: id -> { files: [name], outcome: Map(name -> reason) | null } */
function readBatchRecords(bronzeDir)
{
	const dir = path.join(bronzeDir, '_stream', 'batches');
	const out = new Map();
	let tmp = 0;
	for (const n of fs.existsSync(dir) ? fs.readdirSync(dir) : [])
	{
		if (n.endsWith('.tmp'))
		{
			tmp++;
			continue;
		}
		const m = /^(\d{20})\.batch$/.exec(n);
		if (!m)
			continue;
		const id = Number(m[1]);
		const lines = fs.readFileSync(path.join(dir, n), 'utf8').split('\n');
		assert.equal(lines[0], `iot_lakehouse batch ${id}`, `batch record ${n} header`);
		assert.equal(lines[lines.length - 1], '', `batch record ${n} ends with a newline`);
		const files = lines.slice(1, -1).map((l) => l.split('\t')[2]);
		let outcome = null;
		const o = path.join(dir, `${m[1]}.outcome`);
		if (fs.existsSync(o))
		{
			const ol = fs.readFileSync(o, 'utf8').split('\n');
			assert.equal(ol[0], `iot_lakehouse outcome ${id}`, `outcome record of ${id}`);
			outcome = new Map(ol.slice(1).filter((l) => l !== '').map((l) => l.split('\t')));
		}
		out.set(id, { files, outcome });
	}
	return { batches: out, tmp };
}

/*
 * The txn actions of each commit of a table: [{ version, txns: [{appId,
 * version}], dataChange (an add or remove that changes data) }]
 */
function commitTxns(tableDir)
{
	const versions = W.logVersions(tableDir);
	assert.deepEqual(versions, [...Array(versions.length).keys()], `${tableDir}: versions 0..${versions.length - 1}, no gap`);
	return versions.map((v) => {
		const actions = W.readCommit(tableDir, v);
		return {
			version: v,
			txns: actions.filter((a) => a.txn).map((a) => a.txn),
			dataChange: actions.some((a) => (a.add && a.add.dataChange !== false) || (a.remove && a.remove.dataChange !== false)),
		};
	});
}

/* the txn version of appId in a table's newest commit that has one (-1: none) */
function latestTxn(tableDir, appId)
{
	for (let v = W.latestVersion(tableDir); v >= 0; v--)
	{
		const t = W.readCommit(tableDir, v).find((a) => a.txn && a.txn.appId === appId);
		if (t)
			return Number(t.txn.version);
	}
	return -1;
}

/* the newest Bronze batch record's id (-1: none) */
function newestBatch(p)
{
	const batchDir = path.join(p.root, 'bronze/sensor_logs', '_stream', 'batches');
	let best = -1;
	for (const n of fs.existsSync(batchDir) ? fs.readdirSync(batchDir) : [])
	{
		const m = /^(\d{20})\.batch$/.exec(n);
		if (m && Number(m[1]) > best)
			best = Number(m[1]);
	}
	return best;
}

/* whether Silver and Gold have source versions they have not processed */
function pendingWork(p)
{
	const dir = (d) => path.join(p.root, d);
	const silverDone = Math.min(latestTxn(dir('silver/sensor_logs'), 'iot_lakehouse.silver'),
		latestTxn(dir('silver/sensor_logs_quarantine'), 'iot_lakehouse.silver_quarantine'));
	return {
		silver: silverDone < W.latestVersion(dir('bronze/sensor_logs')),
		gold: latestTxn(dir('gold/sensor_hourly_avg'), 'iot_lakehouse.gold') < W.latestVersion(dir('silver/sensor_logs')),
	};
}

/*
 * Where the kill left the pipeline, read from the files at once (before the
 * restarted worker repairs anything): a Bronze batch recorded but not
 * committed (and whether its outcome was recorded), a committed batch whose
 * files were not all moved yet, the quarantine ahead of Silver, Gold behind.
 */
function stateAfterKill(p)
{
	const dir = (d) => path.join(p.root, d);
	const bronze = latestTxn(dir('bronze/sensor_logs'), 'iot_lakehouse.bronze');
	const batchDir = path.join(dir('bronze/sensor_logs'), '_stream', 'batches');
	const ids = (fs.existsSync(batchDir) ? fs.readdirSync(batchDir) : [])
		.map((n) => /^(\d{20})\.batch$/.exec(n)).filter(Boolean).map((m) => Number(m[1]));
	const newest = ids.length ? Math.max(...ids) : -1;
	const out = [];
	if (newest > bronze)
	{
		const outcome = fs.existsSync(path.join(batchDir, `${String(newest).padStart(20, '0')}.outcome`));
		out.push(outcome ? `Bronze batch ${newest} ingested, not committed` : `Bronze batch ${newest} recorded, being ingested`);
	}
	else if (newest >= 0)
	{
		const text = fs.readFileSync(path.join(batchDir, `${String(newest).padStart(20, '0')}.batch`), 'utf8');
		const names = text.split('\n').slice(1).filter((l) => l).map((l) => l.split('\t')[2]);
		const left = names.filter((n) => fs.existsSync(path.join(p.drop, n))).length;
		if (left > 0)
			out.push(`Bronze batch ${newest} committed, ${left} of its ${names.length} files not moved yet`);
	}
	const silver = latestTxn(dir('silver/sensor_logs'), 'iot_lakehouse.silver');
	const quarantine = latestTxn(dir('silver/sensor_logs_quarantine'), 'iot_lakehouse.silver_quarantine');
	if (quarantine > silver)
		out.push(`quarantine at Bronze ${quarantine}, Silver at ${silver}`);
	return out.length ? out.join('; ') : 'no stage half done';
}

/* ------------------------------------------------------------- setup ----- */

before(async () => {
	pgc = await L.pgConnect({ name: 'pipeline-crash' });
	duck = await L.duckConnect();
	const log = L.serverLog();
	logStart = log ? log.length : 0;
});

after(async () => {
	if (gen && gen.running)
		await gen.stop();
	try
	{
		await W.closeQuietly(pgc);
		pgc = await W.connectWhenReady({ name: 'pipeline-crash' });
		await P.restoreSettings(pgc);
		await P.setSettings(pgc, Object.fromEntries(Object.keys(EXTRA_SETTINGS).map((k) => [k, null])));
	}
	finally
	{
		await W.closeQuietly(pgc);
		if (duck)
			duck.close();
	}
});

async function reconnect()
{
	await W.closeQuietly(pgc);
	pgc = await W.connectWhenReady({ name: 'pipeline-crash' });
	await pgc.query('LISTEN lakehouse');
}

/* After the kill: wait until this session is ended by the restart, then reconnect. */
async function awaitRestart(label)
{
	const end = Date.now() + 20000;
	for (;;)
	{
		const r = await L.pgTry(pgc, 'SELECT 1');
		if (r.lost || pgc.lostError)
			break;
		if (r.error)
			assert.fail(`${label}: unexpected error while the server restarts: ${L.describePgError(r.error)}`);
		if (Date.now() > end)
			assert.fail(`${label}: the server did not restart its backends within 20 s of the kill`);
		await sleep(5);
	}
	await reconnect();
}

/* --------------------------------------------------------------- test ---- */

test(`kill -9 of the pipeline worker during a stream of drops, ${ROUNDS} rounds (seed ${SEED}): exactly once`, async (t) => {
	const t0 = Date.now();
	paths = await P.resetPipeline(pgc, {
		'lakehouse.source_timezone': 'UTC',
		'lakehouse.temperature_min': '-50', 'lakehouse.temperature_max': '150',
		'lakehouse.humidity_min': '0', 'lakehouse.humidity_max': '100',
		...EXTRA_SETTINGS,
	});
	await pgc.query('LISTEN lakehouse');
	const postmaster = L.postmasterPid();
	const kr = L.prng(SEED ^ 0x2545f491);
	const MODES = ['bronze', 'silver', 'bronze', 'gold', 'notify', 'random'];
	let notifies = 0;
	const modes = Array.from({ length: ROUNDS }, (_, i) => MODES[i % MODES.length])
		.map((m) => (m === 'notify' ? (notifies++ % 2 ? 'silver-notify' : 'bronze-notify') : m));
	for (let i = modes.length - 1; i > 0; i--)
	{
		const j = kr.int(i + 1);
		[modes[i], modes[j]] = [modes[j], modes[i]];
	}
	const spans = {};
	const rounds = [];
	const workerPids = new Set();

	gen = new Generator(paths, SEED);
	gen.start();
	let killed = null;
	for (let round = 1; round <= ROUNDS; round++)
	{
		const mode = modes[round - 1];
		const refresh = kr.pick([0, 0, 300, 1000]);
		gen.allow(5 + kr.int(5));
		await P.setSettings(pgc, { 'lakehouse.refresh_interval': `${refresh}ms` });
		const w = await waitWorker(pgc, killed);
		const pid = w.pid;
		workerPids.add(pid);
		/* let files come and the stages run a while (and time them) */
		await watch(pgc, pid, 300 + kr.int(900), spans);
		let seen = null;
		let delay = 0;
		let note = '';
		if (mode === 'random')
		{
			delay = kr.int(1500);
			await sleep(delay);
			seen = await workerRow(pgc);
		}
		else if (mode === 'bronze')
		{
			/*
			 * A burst of files while the worker is busy elsewhere (one big
			 * batch next), then the kill while Bronze ingests it (a moment
			 * after its batch record appears), right after its outcome is
			 * recorded (before the commit) or right after its commit (while
			 * its files are moved): each watched in the files, busily.
			 */
			const target = kr.pick(['ingest', 'ingest', 'outcome', 'commit']);
			const frac = kr.next();
			await watch(pgc, pid, 3000, spans, (x) => x.state === 'active' && x.query !== 'bronze');
			const burst = 4 + kr.int(8);
			const before = gen.rows;
			const names = new Set(gen.drop(burst));
			const burstRows = gen.rows - before;
			note = `${target}, burst of ${burst} files (${burstRows} rows), `;
			const bronzeDir = path.join(paths.root, 'bronze/sensor_logs');
			const batchesDir = path.join(bronzeDir, '_stream', 'batches');
			const rec = (id, ext) => path.join(batchesDir, `${String(id).padStart(20, '0')}.${ext}`);
			/* the batch that takes the burst: the newest record naming one of its files */
			let id = -1;
			const found = () => {
				if (id < 0)
				{
					const b = newestBatch(paths);
					if (b >= 0 && fs.readFileSync(rec(b, 'batch'), 'utf8').split('\n').some((l) => names.has(l.split('\t')[2])))
						id = b;
				}
				return id >= 0;
			};
			const cond = {
				ingest: () => found(),
				outcome: () => found() && fs.existsSync(rec(id, 'outcome')),
				commit: () => found() && latestTxn(bronzeDir, 'iot_lakehouse.bronze') >= id,
			}[target];
			const end = Date.now() + 15000;
			while (!cond() && Date.now() < end)
			{
				/* busy: the windows after the outcome and after the commit are short */
			}
			if (!cond())
				note += `not seen within 15 s, `;
			else if (target === 'ingest')
			{
				/* about 1 ms per 3000 rows on a fast machine */
				delay = Math.round(frac * Math.max(3, burstRows / 3000));
				await sleep(delay);
			}
			if (id >= 0)
				note += `batch ${id}, `;
			/* after the outcome or the commit: the kill at once, no query first */
			if (target === 'ingest')
				seen = await workerRow(pgc);
		}
		else if (mode === 'silver' || mode === 'gold')
		{
			/*
			 * A run with work to do (its source has versions it has not
			 * processed), killed at a moment within its typical length, or
			 * (Silver, half the time) after the quarantine's commit, before
			 * Silver's own.
			 */
			const frac = kr.next();
			const split = mode === 'silver' && kr.next() < 0.5;
			const est = estimate(spans, mode, 150);
			const dir = (d) => path.join(paths.root, d);
			const started = await watch(pgc, pid, 15000, spans, (x) => x.state === 'active' && x.query === mode &&
				(split ? latestTxn(dir('silver/sensor_logs_quarantine'), 'iot_lakehouse.silver_quarantine') >
					latestTxn(dir('silver/sensor_logs'), 'iot_lakehouse.silver') : pendingWork(paths)[mode]));
			if (split)
				note = started ? 'after the quarantine commit, ' : 'no quarantine commit ahead of Silver seen within 15 s, ';
			else
			{
				note = (started ? '' : `no ${mode} run with work seen within 15 s, `) + `est. ${est} ms, `;
				delay = Math.round(frac * est);
				await sleep(delay);
			}
			seen = await workerRow(pgc);
		}
		else
		{
			const table = mode === 'bronze-notify' ? 'bronze.sensor_logs' : 'silver.sensor_logs';
			const got = await new Promise((resolve) => {
				const timer = setTimeout(() => { pgc.removeListener('notification', on); resolve(null); }, 15000);
				function on(msg)
				{
					let pl;
					try
					{
						pl = JSON.parse(msg.payload);
					}
					catch (e)
					{
						return;
					}
					if (msg.channel === 'lakehouse' && pl.table === table)
					{
						clearTimeout(timer);
						pgc.removeListener('notification', on);
						resolve(pl);
					}
				}
				pgc.on('notification', on);
			});
			note = got ? `after NOTIFY of ${table} version ${got.version}, ` : `no NOTIFY of ${table} within 15 s, `;
		}
		try
		{
			process.kill(pid, 'SIGKILL');
		}
		catch (e)
		{
			assert.fail(`round ${round}: kill ${pid}: ${e.message}`);
		}
		killed = pid;
		await sleep(2);		/* the process is gone; the postmaster restarts the others in ~100 ms */
		const left = stateAfterKill(paths);
		const what = seen ? (seen.pid !== pid ? 'gone' : seen.state === 'active' ? `in ${seen.query}` : 'idle') : 'unobserved';
		const label = `round ${round} (${mode}: ${note}killed after ${delay} ms, ${what}, refresh_interval ${refresh} ms): ${left}`;
		rounds.push(label);
		console.log(`${label}`);
		await awaitRestart(label);
		/* between rounds: every table's log whole, no gap */
		for (const d of P.TABLE_DIRS)
		{
			const dir = path.join(paths.root, d);
			const vs = W.logVersions(dir);	/* one listing: the restarted worker goes on committing */
			assert.deepEqual(vs, [...Array(vs.length).keys()], `${label}: ${d} versions 0..${vs.length - 1}, no gap`);
			W.readCommit(dir, vs.length - 1);
		}
	}
	/* the files the rounds allowed are all dropped, then no more */
	while (gen.quota > 0)
		await sleep(50);
	await gen.stop();
	const dropped = Date.now();
	await P.setSettings(pgc, { 'lakehouse.refresh_interval': null });
	const lastWorker = await waitWorker(pgc, killed);
	workerPids.add(lastWorker.pid);
	console.log(`${gen.files.length} files, ${gen.rows} rows; stage runs seen (ms): ` +
		Object.entries(spans).map(([k, v]) => `${k} n=${v.length} max=${Math.max(...v)}`).join(', '));
	let status;
	try
	{
		status = await P.waitCaughtUp(pgc, CATCHUP_MS);
	}
	catch (e)
	{
		/* say what the worker is stuck in */
		const w = (await pgc.query(`SELECT pid, state, query, round(extract(epoch FROM now() - query_start))::int AS secs
			FROM pg_stat_activity WHERE backend_type = 'iot_lakehouse pipeline'`)).rows[0];
		const st = await P.statusRows(pgc);
		const bronzeRows = await L.pgValue(pgc, 'SELECT count(*) FROM bronze.sensor_logs');
		const silverRows = await L.pgValue(pgc, 'SELECT count(*) FROM silver.sensor_logs');
		assert.fail(`the pipeline did not catch up within ${CATCHUP_MS} ms of the last kill: the worker ` +
			(w ? `(pid ${w.pid}) is ${w.state} in ${w.query} for ${w.secs} s` : 'is not running') +
			`; Bronze version ${st.bronze.table_version} (${bronzeRows} rows), Silver version ${st.silver.table_version} ` +
			`(${silverRows} rows) has processed Bronze up to ${st.silver.source_version} (${st.silver.files_pending} Bronze files pending), ` +
			`Gold up to Silver ${st.gold.source_version}`);
	}
	const caughtUp = Date.now();
	console.log(`rounds ${Math.round((dropped - t0) / 1000)} s, catch-up ${caughtUp - dropped} ms`);
	assert.equal(L.postmasterPid(), postmaster, 'the postmaster itself survived (only backends were restarted)');

	const files = gen.files;
	const bronzeDir = path.join(paths.root, 'bronze/sensor_logs');
	/* per file, as Bronze has it: { rows, lines, ingested, ingUs, md5 } */
	const bronzeByFile = new Map();

	await t.test('drop directory: empty; every file in _processed exactly once, unchanged; nothing rejected', () => {
		const left = fs.readdirSync(paths.drop).filter((n) => n !== '_processed' && n !== '_rejected');
		assert.deepEqual(left, [], 'nothing left in the drop directory');
		const rejected = fs.existsSync(path.join(paths.drop, '_rejected')) ? fs.readdirSync(path.join(paths.drop, '_rejected')) : [];
		assert.deepEqual(rejected, [], 'nothing rejected');
		const processed = fs.readdirSync(path.join(paths.drop, '_processed')).sort();
		assert.deepEqual(processed, files.map((f) => f.name).sort(), 'each file in _processed exactly once (no .1 copies)');
		for (const f of files)
		{
			const sha = crypto.createHash('sha256').update(fs.readFileSync(path.join(paths.drop, '_processed', f.name))).digest('hex');
			assert.equal(sha, f.sha, `${f.name} in _processed is the file dropped`);
		}
		assert.equal(status.bronze.files_pending, 0, 'Bronze: no file pending');
	});

	await t.test('Bronze: every line of every file exactly once, with its values', async () => {
		const rows = await L.pgRows(pgc, `SELECT _source_file, count(*)::text, count(DISTINCT _source_line)::text,
			min(_source_line)::text, max(_source_line)::text, count(DISTINCT _ingested_at)::text,
			min(${TS_US('_ingested_at')}), md5(string_agg(${BRONZE_CANON}, E'\\n' ORDER BY _source_line))
			FROM bronze.sensor_logs GROUP BY _source_file`);
		for (const [file, count, distinct, minLine, maxLine, nIng, ingUs, hash] of rows)
			bronzeByFile.set(file, { count: Number(count), distinct: Number(distinct), minLine: Number(minLine),
				maxLine: Number(maxLine), nIng: Number(nIng), ingUs, hash });
		const problems = [];
		for (const [file] of bronzeByFile)
			if (!gen.byName.has(file))
				problems.push(`rows of a file never dropped: ${JSON.stringify(file)}`);
		for (const f of files)
		{
			const b = bronzeByFile.get(f.name);
			if (!b)
			{
				problems.push(`${f.name} (${f.rows} rows): not in Bronze`);
				continue;
			}
			if (b.count !== f.rows || b.distinct !== f.rows || b.minLine !== 2 || b.maxLine !== f.rows + 1)
				problems.push(`${f.name}: ${b.count} rows, ${b.distinct} distinct lines ${b.minLine}..${b.maxLine}; expected ${f.rows}, lines 2..${f.rows + 1}`);
			if (b.nIng !== 1)
				problems.push(`${f.name}: ${b.nIng} different _ingested_at (one batch ingests a file once)`);
			if (b.hash !== md5(f.canon.join('\n')))
			{
				/* show the lines that differ */
				const act = (await L.pgRows(pgc, `SELECT ${BRONZE_CANON} FROM bronze.sensor_logs WHERE _source_file = $1
					ORDER BY _source_line`, [f.name])).map((r) => r[0]);
				const diffs = [];
				for (let i = 0; i < Math.max(act.length, f.canon.length) && diffs.length < 5; i++)
					if (act[i] !== f.canon[i])
						diffs.push(`got ${JSON.stringify(act[i])}, expected ${JSON.stringify(f.canon[i])}`);
				problems.push(`${f.name}: rows differ: ${diffs.join('; ')}`);
			}
			if (problems.length > 20)
				break;
		}
		assert.deepEqual(problems, [], 'Bronze against the dropped files');
		const total = Number(await L.pgValue(pgc, 'SELECT count(*) FROM bronze.sensor_logs'));
		assert.equal(total, gen.rows, 'Bronze row count: every line once');
	});

	await t.test('Bronze log: each batch id in exactly one commit; batch records agree', async () => {
		const commits = commitTxns(bronzeDir);
		const byId = new Map();
		for (const c of commits)
		{
			const mine = c.txns.filter((x) => x.appId === 'iot_lakehouse.bronze');
			/* every commit that changes data is a batch's (maintenance such as OPTIMIZE changes none) */
			if (c.version > 0 && (c.dataChange || mine.length))
				assert.equal(mine.length, 1, `Bronze commit ${c.version} has one txn of iot_lakehouse.bronze: ${JSON.stringify(c.txns)}`);
			for (const x of mine)
				(byId.get(Number(x.version)) || byId.set(Number(x.version), []).get(Number(x.version))).push(c.version);
		}
		const twice = [...byId].filter(([, v]) => v.length !== 1);
		assert.deepEqual(twice, [], 'no batch id is the txn of two commits');
		const ids = [...byId.keys()].sort((a, b) => a - b);
		assert.deepEqual(ids, ids.map((_, i) => i), 'batch ids 0..n-1, no gap');
		const committed = ids.length ? ids[ids.length - 1] : 0;

		const { batches, tmp } = readBatchRecords(bronzeDir);
		const fileBatch = new Map();
		for (const id of ids)
		{
			const b = batches.get(id);
			assert.ok(b, `batch ${id} has its record`);
			assert.ok(b.outcome, `batch ${id} has its outcome record (written before the commit)`);
			assert.equal(b.outcome.size, 0, `batch ${id} rejected nothing: ${JSON.stringify([...b.outcome])}`);
			for (const name of b.files)
			{
				assert.ok(!fileBatch.has(name), `${name} is in batch ${fileBatch.get(name)} and in batch ${id}`);
				fileBatch.set(name, id);
			}
		}
		for (const id of batches.keys())
			assert.ok(id <= committed, `no batch record beyond the last committed id ${committed}: ${id}`);
		assert.deepEqual([...fileBatch.keys()].sort(), files.map((f) => f.name).sort(), 'every file in exactly one committed batch');
		/* one _ingested_at per batch, increasing with the id */
		const batchIng = new Map();
		for (const [name, id] of fileBatch)
		{
			const ing = bronzeByFile.get(name)?.ingUs;
			if (ing === undefined)
				continue;
			if (batchIng.has(id))
				assert.equal(ing, batchIng.get(id), `the files of batch ${id} share _ingested_at (${name})`);
			else
				batchIng.set(id, ing);
		}
		const order = [...batchIng].sort((a, b) => a[0] - b[0]);
		for (let i = 1; i < order.length; i++)
			assert.ok(BigInt(order[i][1]) > BigInt(order[i - 1][1]), `batch ${order[i][0]} ingested after batch ${order[i - 1][0]}`);
		console.log(`Bronze: ${commits.length - 1} commits, ${ids.length} batches, ${tmp} leftover .tmp batch records`);
	});

	await t.test('Silver, quarantine, Gold logs: each source version recorded once, increasing; checkpoints read', async () => {
		for (const [d, appId] of [['silver/sensor_logs', 'iot_lakehouse.silver'],
			['silver/sensor_logs_quarantine', 'iot_lakehouse.silver_quarantine'], ['gold/sensor_hourly_avg', 'iot_lakehouse.gold']])
		{
			const dir = path.join(paths.root, d);
			let prev = -Infinity;
			for (const c of commitTxns(dir))
			{
				const mine = c.txns.filter((x) => x.appId === appId);
				if (c.version === 0 || (!c.dataChange && mine.length === 0))
					continue;	/* the creation, or maintenance (OPTIMIZE) */
				assert.equal(mine.length, 1, `${d} commit ${c.version} has one txn of ${appId}: ${JSON.stringify(c.txns)}`);
				assert.ok(Number(mine[0].version) > prev, `${d} commit ${c.version}: source version ${mine[0].version} after ${prev} (never processed twice)`);
				prev = Number(mine[0].version);
			}
		}
		for (const d of P.TABLE_DIRS)
		{
			const dir = path.join(paths.root, d);
			for (const cp of W.checkpointVersions(dir))
				await duck.rows(`SELECT count(*) FROM read_parquet(${L.quoteLiteral(W.checkpointFile(dir, cp))})`);
			const lc = path.join(W.logDir(dir), '_last_checkpoint');
			if (fs.existsSync(lc))
			{
				const last = JSON.parse(fs.readFileSync(lc, 'utf8'));
				assert.ok(W.checkpointVersions(dir).includes(last.version), `${d}: _last_checkpoint names a checkpoint that exists: ${JSON.stringify(last)}`);
			}
			/* every active file readable, holding numRecords rows */
			const snap = await W.replay(duck, dir, W.latestVersion(dir));
			for (const add of snap.files.values())
			{
				const n = Number(await duck.value(`SELECT count(*) FROM read_parquet(${L.quoteLiteral(W.addFile(dir, add))})`));
				assert.equal(n, JSON.parse(add.stats).numRecords, `${d}: ${add.path} holds numRecords rows`);
			}
		}
	});

	/* the expected Silver: the first arrival of each valid key */
	const fileIng = (fi) => BigInt(bronzeByFile.get(files[fi].name)?.ingUs ?? '9223372036854775807');
	const expectedSilver = new Map();	/* date -> [{ sensor, us, row }] */
	for (const k of gen.keys.values())
	{
		let best = -1;
		for (let i = 0; i < k.cands.length; i += 2)
		{
			if (best < 0)
			{
				best = i;
				continue;
			}
			const [fa, la, fb, lb] = [k.cands[i], k.cands[i + 1], k.cands[best], k.cands[best + 1]];
			const ia = fileIng(fa), ib = fileIng(fb);
			const byName = L.compareBytes(files[fa].name, files[fb].name);
			if (ia < ib || (ia === ib && (byName < 0 || (byName === 0 && la < lb))))
				best = i;
		}
		const f = files[k.cands[best]];
		const row = `${k.vals}|${k.date}|${f.name}|${k.cands[best + 1]}|${bronzeByFile.get(f.name)?.ingUs ?? N}`;
		const list = expectedSilver.get(k.date) || expectedSilver.set(k.date, []).get(k.date);
		list.push({ sensor: k.sensor, us: k.us, row });
	}
	for (const list of expectedSilver.values())
		list.sort((a, b) => a.sensor - b.sensor || a.us - b.us);

	await t.test('Silver: the valid readings, first arrival wins, no key twice', async () => {
		const dups = await L.pgRows(pgc, `SELECT sensor_id::text, "timestamp"::text, count(*)::text FROM silver.sensor_logs
			GROUP BY sensor_id, "timestamp" HAVING count(*) > 1 LIMIT 10`);
		assert.deepEqual(dups, [], 'no (sensor_id, timestamp) twice in Silver');
		const rows = await L.pgRows(pgc, `SELECT coalesce(reading_date::text, '${N}'), count(*)::text,
			md5(string_agg(${SILVER_CANON}, E'\\n' ORDER BY sensor_id, "timestamp", _source_file, _source_line))
			FROM silver.sensor_logs GROUP BY 1`);
		const problems = [];
		const seenDates = new Set(rows.map((r) => r[0]));
		for (const [date, count, hash] of rows)
		{
			const exp = expectedSilver.get(date) || [];
			if (Number(count) === exp.length && hash === md5(exp.map((e) => e.row).join('\n')))
				continue;
			const act = (await L.pgRows(pgc, `SELECT ${SILVER_CANON} FROM silver.sensor_logs WHERE reading_date = $1::date
				ORDER BY sensor_id, "timestamp", _source_file, _source_line`, [date])).map((r) => r[0]);
			problems.push(`reading_date ${date}: ${listDiff(act, exp.map((e) => e.row), 5)}`);
			if (problems.length > 5)
				break;
		}
		for (const [date, exp] of expectedSilver)
			if (!seenDates.has(date) && problems.length <= 10)
				problems.push(`reading_date ${date}: no rows in Silver, expected ${exp.length}`);
		assert.deepEqual(problems, [], 'Silver against the expectation');
		let n = 0;
		for (const list of expectedSilver.values())
			n += list.length;
		assert.equal(Number(await L.pgValue(pgc, 'SELECT count(*) FROM silver.sensor_logs')), n, 'Silver row count');
	});

	await t.test('quarantine: every invalid line exactly once, with its reason', async () => {
		const act = (await L.pgRows(pgc, `SELECT coalesce(_source_file, '${N}') || '#' || ${BRONZE_CANON} || '|' ||
			coalesce(reason, '${N}') || '|' || coalesce(${TS_US('_ingested_at')}, '${N}') FROM silver.sensor_logs_quarantine`))
			.map((r) => r[0]).sort();
		const exp = [];
		for (const f of files)
			for (const { line, reason } of f.invalid)
				exp.push(`${f.name}#${f.canon[line - 2]}|${reason}|${bronzeByFile.get(f.name)?.ingUs ?? N}`);
		exp.sort();
		assert.ok(act.length === exp.length && act.every((x, i) => x === exp[i]), `quarantine: ${listDiff(act, exp)}`);
	});

	await t.test('Gold: the hourly aggregation of Silver, no (sensor_id, location, hour) twice', async () => {
		const dups = await L.pgRows(pgc, `SELECT sensor_id::text, location, hour::text, count(*)::text FROM gold.sensor_hourly_avg
			GROUP BY sensor_id, location, hour HAVING count(*) > 1 LIMIT 10`);
		assert.deepEqual(dups, [], 'no (sensor_id, location, hour) twice in Gold');

		/* against SQL over silver.sensor_logs */
		const bad = await L.pgRows(pgc, `WITH e AS (
				SELECT sensor_id, location, date_trunc('hour', "timestamp" AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS hour,
					avg(temperature) AS at, min(temperature) AS mint, max(temperature) AS maxt,
					avg(humidity) AS ah, min(humidity) AS minh, max(humidity) AS maxh, count(*) AS n, min(reading_date) AS d
				FROM silver.sensor_logs GROUP BY 1, 2, 3),
			g AS (SELECT * FROM gold.sensor_hourly_avg)
			SELECT coalesce(e.sensor_id, g.sensor_id)::text, coalesce(e.location, g.location), coalesce(e.hour, g.hour)::text,
				row(e.at, e.mint, e.maxt, e.ah, e.minh, e.maxh, e.n, e.d)::text,
				row(g.avg_temperature, g.min_temperature, g.max_temperature, g.avg_humidity, g.min_humidity, g.max_humidity,
					g.reading_count, g.reading_date)::text
			FROM e FULL JOIN g ON e.sensor_id = g.sensor_id AND coalesce(e.location, '${N}') = coalesce(g.location, '${N}')
				AND e.hour = g.hour
			WHERE e.sensor_id IS NULL OR g.sensor_id IS NULL OR e.n <> g.reading_count
				OR e.mint <> g.min_temperature OR e.maxt <> g.max_temperature
				OR e.minh <> g.min_humidity OR e.maxh <> g.max_humidity OR e.d <> g.reading_date
				OR abs(e.at - g.avg_temperature) > 1e-9 * greatest(1, abs(e.at))
				OR abs(e.ah - g.avg_humidity) > 1e-9 * greatest(1, abs(e.ah))
			LIMIT 10`);
		assert.deepEqual(bad, [], 'Gold equals the aggregation of silver.sensor_logs (SQL)');

		/* against the expectation computed here from the generator's rows */
		const exp = new Map();
		for (const k of gen.keys.values())
		{
			const hour = Math.floor(k.ms / 3600000) * 3600000;
			const g = `${k.sensor}|${k.loc === null ? N : k.loc}|${hour * 1000}`;
			let a = exp.get(g);
			if (!a)
				exp.set(g, a = { n: 0, st: 0, sh: 0, mint: Infinity, maxt: -Infinity, minh: Infinity, maxh: -Infinity, date: k.date });
			a.n++;
			a.st += k.t;
			a.sh += k.h;
			a.mint = Math.min(a.mint, k.t);
			a.maxt = Math.max(a.maxt, k.t);
			a.minh = Math.min(a.minh, k.h);
			a.maxh = Math.max(a.maxh, k.h);
		}
		const rows = await L.pgRows(pgc, `SELECT sensor_id::text, coalesce(location, '${N}'), ${TS_US('hour')},
			avg_temperature::text, min_temperature::text, max_temperature::text, avg_humidity::text, min_humidity::text,
			max_humidity::text, reading_count::text, reading_date::text FROM gold.sensor_hourly_avg`);
		const problems = [];
		const near = (x, y) => Math.abs(x - y) <= 1e-9 * Math.max(1, Math.abs(y));
		const seen = new Set();
		for (const [sid, loc, hour, at, mint, maxt, ah, minh, maxh, n, date] of rows)
		{
			const g = `${sid}|${loc}|${hour}`;
			seen.add(g);
			const a = exp.get(g);
			if (!a)
			{
				problems.push(`unexpected group ${g}`);
				continue;
			}
			if (Number(n) !== a.n || Number(mint) !== a.mint || Number(maxt) !== a.maxt || Number(minh) !== a.minh ||
				Number(maxh) !== a.maxh || date !== a.date || !near(Number(at), a.st / a.n) || !near(Number(ah), a.sh / a.n))
				problems.push(`group ${g}: got ${[at, mint, maxt, ah, minh, maxh, n, date].join(' ')}, expected ` +
					`${[a.st / a.n, a.mint, a.maxt, a.sh / a.n, a.minh, a.maxh, a.n, a.date].join(' ')}`);
			if (problems.length > 10)
				break;
		}
		for (const g of exp.keys())
			if (!seen.has(g) && problems.length <= 10)
				problems.push(`missing group ${g}`);
		assert.deepEqual(problems, [], `Gold against the expectation (${exp.size} groups)`);
	});

	await t.test('the worker logged no error; the status shows none', async () => {
		const st = await P.statusRows(pgc);
		const errs = Object.values(st).filter((s) => s.last_error).map((s) => `${s.stage}: ${s.last_error}`);
		const log = (L.serverLog() || '').slice(logStart);
		const lines = log.split('\n').filter((l) => /\b(ERROR|PANIC):/.test(l));
		const mine = lines.filter((l) => {
			const m = /\[(\d+)\]/.exec(l);
			return m && workerPids.has(Number(m[1]));
		});
		if (lines.length)
			console.log(`ERROR lines in the server log:\n${lines.slice(0, 20).join('\n')}`);
		assert.deepEqual(mine, [], 'no ERROR logged by a pipeline worker');
		assert.deepEqual(errs, [], 'no stage error in lakehouse.pipeline_status');
	});
});
