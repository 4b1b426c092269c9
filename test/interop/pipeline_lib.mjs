/*
 * pipeline_lib.mjs
 *	  Helpers of the streaming-pipeline suites (worker/): the cluster's
 *	  pipeline directories, a reset to empty medallion tables, dropping a
 *	  file the way a gateway should (written beside, renamed in) or the way
 *	  a slow one does (written in place), and waiting until every stage has
 *	  caught up.
 *
 * The suites share the cluster of test/interop/run.sh, where the worker
 * runs in database postgres with the extension created by run.sh.  A suite
 * calls resetPipeline() first: it stops the worker, empties the four Delta
 * tables, the drop directory and the stream state, sets the settings it
 * asks for (ALTER SYSTEM + reload) and starts the worker again.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import * as L from './lib.mjs';

export const TABLES = ['bronze.sensor_logs', 'silver.sensor_logs', 'silver.sensor_logs_quarantine',
	'gold.sensor_hourly_avg'];
export const TABLE_DIRS = ['bronze/sensor_logs', 'silver/sensor_logs', 'silver/sensor_logs_quarantine',
	'gold/sensor_hourly_avg'];

/* The pipeline's root (lakehouse.pipeline_root()) and drop directory. */
export async function pipelinePaths(pgc)
{
	const root = await L.pgValue(pgc, 'SELECT lakehouse.pipeline_root()');
	const setting = await L.pgValue(pgc, "SELECT current_setting('lakehouse.drop_dir')");
	const drop = setting ? setting : path.join(root, 'incoming');
	return { root, drop, staging: path.join(path.dirname(root), 'lakehouse_staging') };
}

/* ALTER SYSTEM SET each setting (null: RESET), then reload. */
export async function setSettings(pgc, settings)
{
	for (const [k, v] of Object.entries(settings))
	{
		if (v === null)
			await pgc.query(`ALTER SYSTEM RESET ${k}`);
		else
			await pgc.query(`ALTER SYSTEM SET ${k} = ${L.quoteLiteral(String(v))}`);
	}
	await pgc.query('SELECT pg_reload_conf()');
}

/* Wait until no stage is running (each stage holds its advisory lock while it runs). */
export async function waitStagesIdle(pgc)
{
	for (let s = 0; s < 3; s++)
	{
		await pgc.query('SELECT pg_advisory_lock($1::int, $2::int)', [0x1a4e0501, s]);
		await pgc.query('SELECT pg_advisory_unlock($1::int, $2::int)', [0x1a4e0501, s]);
	}
}

/*
 * Empty medallion tables, drop directory and stream state, then settings
 * (default poll 200 ms, settle 300 ms) and the worker on (unless
 * settings['lakehouse.worker_enabled'] says off).
 */
export async function resetPipeline(pgc, settings = {})
{
	await setSettings(pgc, { 'lakehouse.worker_enabled': 'off' });
	/* the worker reads the setting at its next loop; wait for any stage in flight */
	await new Promise((r) => setTimeout(r, 300));
	await waitStagesIdle(pgc);
	const p = await pipelinePaths(pgc);
	for (const d of TABLE_DIRS)
		fs.rmSync(path.join(p.root, d), { recursive: true, force: true });
	fs.rmSync(p.drop, { recursive: true, force: true });
	fs.rmSync(p.staging, { recursive: true, force: true });
	fs.mkdirSync(p.drop, { recursive: true });
	fs.mkdirSync(p.staging, { recursive: true });
	fs.chmodSync(p.drop, 0o777);
	fs.chmodSync(p.staging, 0o777);
	for (const t of TABLES)
		await pgc.query(`SELECT lakehouse.create_delta_table('${t}')`);
	await setSettings(pgc, {
		'lakehouse.poll_interval': '200ms',
		'lakehouse.settle_ms': '300ms',
		'lakehouse.worker_enabled': 'on',
		...settings,
	});
	return p;
}

/* Settings back to their defaults (the suite's last step). */
export async function restoreSettings(pgc)
{
	await setSettings(pgc, {
		'lakehouse.poll_interval': null, 'lakehouse.settle_ms': null,
		'lakehouse.worker_enabled': null, 'lakehouse.refresh_interval': null,
		'lakehouse.source_timezone': null,
		'lakehouse.temperature_min': null, 'lakehouse.temperature_max': null,
		'lakehouse.humidity_min': null, 'lakehouse.humidity_max': null,
	});
}

/* Drop a file as a careful gateway does: written beside the folder, renamed in. */
export function dropFile(p, name, content)
{
	const tmp = path.join(p.staging, name + '.part');
	fs.writeFileSync(tmp, content);
	fs.chmodSync(tmp, 0o644);
	fs.renameSync(tmp, path.join(p.drop, name));
}

/* Wait until every stage has caught up with the drop directory; returns the status rows. */
export async function waitCaughtUp(pgc, ms = 60000)
{
	const end = Date.now() + ms;
	let last;
	for (;;)
	{
		last = await statusRows(pgc);
		const b = last.bronze, s = last.silver, g = last.gold;
		if (b.files_pending === 0 && s.files_pending === 0 && g.files_pending === 0 &&
			s.source_version === b.table_version && g.source_version === s.table_version)
			return last;
		if (Date.now() > end)
			assert.fail(`the pipeline did not catch up within ${ms} ms: ${JSON.stringify(last)}`);
		await new Promise((r) => setTimeout(r, 50));
	}
}

/* lakehouse.pipeline_status as { bronze: {...}, silver: {...}, gold: {...} } (numbers for counts) */
export async function statusRows(pgc)
{
	const res = await pgc.query('SELECT * FROM lakehouse.pipeline_status');
	const out = {};
	for (const r of res.rows)
	{
		const o = { ...r };
		for (const k of ['table_version', 'source_version', 'files_pending', 'rows_in', 'rows_out',
			'rows_quarantined', 'files', 'files_rejected', 'runs', 'commits', 'errors'])
			o[k] = r[k] === null ? null : Number(r[k]);
		out[r.stage] = o;
	}
	return out;
}
