/*
 * delta_clients.test.mjs
 *	  A Delta table as real clients use it:
 *	  - node-postgres prepared statements over the extended protocol: a named
 *	    statement with parameters (one on the partition column), executed
 *	    more than five times with different values so that both custom and
 *	    generic plans run; on a time-travel table; with the version as a
 *	    parameter of lakehouse.as_of; a cached plan sees a later commit;
 *	  - cursors: DECLARE / FETCH in a transaction across a commit (the
 *	    cursor keeps its version), SCROLL (backwards through a Material),
 *	    WITH HOLD; a portal read in steps over the extended protocol (what
 *	    query streaming does) with a parameter;
 *	  - information_schema.tables / columns as a BI navigator lists them
 *	    (table_type FOREIGN, every Delta type mapped as the issue says), for
 *	    a role that was only granted SELECT.
 *	The table is hand-made (see delta_lib.mjs): every type of the issue, a
 *	partition column, a struct column that no data file holds (NULL), and
 *	timestamp_ntz (reader feature timestampNtz).
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import * as L from './lib.mjs';
import * as D from './delta_lib.mjs';

const SCHEMA = 'dcli';
const SERVER = 'dcli_srv';
const ROLE = 'regress_delta_bi';

let pgc;
let other;		/* a second client (the BI tool) */
let root;
let t;			/* HandTable "readings" */

const FIELDS = [
	{ name: 'id', type: 'long' },
	{ name: 'site', type: 'string' },
	{ name: 'temp', type: 'double' },
	{ name: 'ts', type: 'timestamp' },
	{ name: 'local_ts', type: 'timestamp_ntz' },
	{ name: 'day', type: 'date' },
	{ name: 'ok', type: 'boolean' },
	{ name: 'qty', type: 'integer' },
	{ name: 'small', type: 'short' },
	{ name: 'tiny', type: 'byte' },
	{ name: 'ratio', type: 'float' },
	{ name: 'price', type: 'decimal(10,2)' },
	{ name: 'raw', type: 'binary' },
	{ name: 'Meta Data', type: { type: 'struct', fields: [{ name: 'a', type: 'integer', nullable: true, metadata: {} }] }, absent: true },
];

/* information_schema.columns: data_type, numeric_precision, numeric_scale */
const INFO_TYPES = {
	id: ['bigint', '64', '0'],
	site: ['text', null, null],
	temp: ['double precision', '53', null],
	ts: ['timestamp with time zone', null, null],
	local_ts: ['timestamp without time zone', null, null],
	day: ['date', null, null],
	ok: ['boolean', null, null],
	qty: ['integer', '32', '0'],
	small: ['smallint', '16', '0'],
	tiny: ['smallint', '16', '0'],
	ratio: ['real', '24', null],
	price: ['numeric', '10', '2'],
	raw: ['bytea', null, null],
	'Meta Data': ['jsonb', null, null],
};

function rowsQuery(lo, hi)
{
	return `SELECT id::bigint AS id, (id * 0.5)::float8 AS temp,
		TIMESTAMPTZ '2024-03-01 00:00:00+00' + id * interval '1 minute' AS ts,
		TIMESTAMP '2024-03-01 12:00:00' + id * interval '1 hour 0.000007 second' AS local_ts,
		DATE '2024-03-01' + id::int AS day, (id % 3 = 0) AS ok, (id * 3)::int AS qty,
		(id * 10 - 500)::int2 AS small, (id % 100 - 50)::int2 AS tiny, (id / 4.0)::float4 AS ratio,
		(id * 1.25)::numeric(10,2) AS price, decode(lpad(to_hex(id::int), 4, '0'), 'hex') AS raw
		FROM generate_series(${lo}, ${hi}) id`;
}

const COLS = FIELDS.map((f) => f.name);

before(async () => {
	pgc = await L.pgConnect({ name: 'delta-clients', timezone: 'Europe/Paris' });
	other = await L.pgConnect({ name: 'delta-bi', timezone: 'UTC' });
	root = L.makeFilesSubdir('delta_clients');
	await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`);
	await pgc.query(`CREATE SCHEMA ${SCHEMA}`);
	await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`);
	await pgc.query(`CREATE SERVER ${SERVER} FOREIGN DATA WRAPPER iot_lakehouse_fdw OPTIONS (root ${L.quoteLiteral(root)})`);
	t = new D.HandTable(pgc, path.join(root, 'plant', 'readings'), {
		fields: FIELDS,
		partitionColumns: ['site'],
		protocol: D.protocolAction(3, 7, ['timestampNtz'], ['timestampNtz']),
		statsColumns: ['id', 'temp', 'ts', 'local_ts', 'day', 'qty', 'price'],
	});
	const a = await t.addFile({ site: 'a' }, rowsQuery(0, 49));
	const b = await t.addFile({ site: 'b' }, rowsQuery(50, 99));
	t.commit([a, b]);
	const c = await t.addFile({ site: 'c' }, rowsQuery(100, 149));
	t.commit([c]);
	await pgc.query(`IMPORT FOREIGN SCHEMA plant FROM SERVER ${SERVER} INTO ${SCHEMA}`);
	await pgc.query(`CREATE FOREIGN TABLE ${SCHEMA}.readings_v0 (id bigint, site text, temp float8, price numeric(10,2))
		SERVER ${SERVER} OPTIONS (path 'plant/readings', version '0')`);
});

after(async () => {
	if (other)
		await other.end();
	if (pgc)
	{
		await pgc.query(`DROP SCHEMA IF EXISTS ${SCHEMA} CASCADE`).catch(() => {});
		await pgc.query(`DROP SERVER IF EXISTS ${SERVER} CASCADE`).catch(() => {});
		await pgc.query(`DROP ROLE IF EXISTS ${ROLE}`).catch(() => {});
		await pgc.end();
	}
});

test('the imported table reads every type of the issue', async () => {
	await D.assertSameRows(pgc, `${SCHEMA}.readings`, t.expectedSql(1), COLS.filter((c) => c !== 'Meta Data'), 150, 'v1');
	assert.equal(await L.pgValue(pgc, `SELECT count(*) FROM ${SCHEMA}.readings WHERE "Meta Data" IS NULL`), '150',
				 'a struct column no file holds reads as NULL');
	/* timestamp_ntz keeps its wall clock in any TimeZone; timestamp is an instant */
	const r = await L.pgRows(pgc, `SELECT local_ts::text, ts::text FROM ${SCHEMA}.readings WHERE id = 1`);
	assert.deepEqual(r, [['2024-03-01 13:00:00.000007', '2024-03-01 01:01:00+01']]);
});

/* ------------------------------------------------ prepared statements ---- */

async function expectedAgg(version, site, minId)
{
	return (await L.pgRows(pgc, `SELECT count(*)::text, sum(id)::text, sum(price)::text FROM (${t.expectedSql(version)}) e
		WHERE site = $1 AND id >= $2`, [site, minId]))[0];
}

test('a named prepared statement with parameters, executed with many values (custom then generic plans)', async () => {
	const text = `SELECT count(*)::text, sum(id)::text, sum(price)::text FROM ${SCHEMA}.readings WHERE site = $1 AND id >= $2`;
	const cases = [['a', 0], ['b', 60], ['c', 149], ['a', 40], ['z', 0], ['b', 0], ['c', 100], ['a', 49], ['b', 99], [null, 0]];
	for (const [i, [site, minId]] of cases.entries())
	{
		/* five custom plans (the default for the first executions), then the generic plan */
		if (i === 5)
			await other.query('SET plan_cache_mode = force_generic_plan');
		const res = await other.query({ name: 'dcli_by_site', text, values: [site, minId], rowMode: 'array' });
		const want = site === null ? ['0', null, null] : await expectedAgg(1, site, minId);
		assert.deepEqual(res.rows[0], want, `site ${site}, id >= ${minId}`);
	}
	await other.query('RESET plan_cache_mode');
	/* the statement was parsed once and is one prepared statement on the server */
	const ps = await L.pgRows(other, "SELECT name, generic_plans > 0, custom_plans > 0 FROM pg_prepared_statements WHERE name = 'dcli_by_site'");
	assert.deepEqual(ps, [['dcli_by_site', 't', 't']], 'both plan kinds ran');
});

test('a prepared statement on a time-travel table, and with the version as a parameter', async () => {
	for (let i = 0; i < 7; i++)
	{
		const site = ['a', 'b', 'c'][i % 3];
		const res = await other.query({
			name: 'dcli_v0', rowMode: 'array',
			text: `SELECT count(*)::text, coalesce(sum(price), 0)::text FROM ${SCHEMA}.readings_v0 WHERE site = $1`,
			values: [site],
		});
		const want = await L.pgRows(pgc, `SELECT count(*)::text, coalesce(sum(price), 0)::text FROM (${t.expectedSql(0)}) e WHERE site = $1`, [site]);
		assert.deepEqual(res.rows, want, `version 0, site ${site}`);
	}
	for (const v of [0, 1, 0, 1, 1, 0, 1])
	{
		const res = await other.query({
			name: 'dcli_as_of', rowMode: 'array',
			text: `SELECT count(*)::text FROM lakehouse.as_of(NULL::${SCHEMA}.readings, version => $1) x WHERE id >= $2`,
			values: [v, 10],
		});
		assert.deepEqual(res.rows, [[String(t.numRecords(v) - 10)]], `as_of version => $1 = ${v}`);
	}
});

test('a cached plan sees a commit made after it was prepared', async () => {
	const q = { name: 'dcli_all', text: `SELECT count(*)::text, max(id)::text FROM ${SCHEMA}.readings WHERE id >= $1`, rowMode: 'array' };
	await other.query('SET plan_cache_mode = force_generic_plan');
	try
	{
		for (let i = 0; i < 3; i++)
			assert.deepEqual((await other.query({ ...q, values: [0] })).rows, [['150', '149']]);
		const d = await t.addFile({ site: 'd' }, rowsQuery(150, 159));
		t.commit([d]);
		assert.deepEqual((await other.query({ ...q, values: [0] })).rows, [['160', '159']], 'the next execution of the cached plan reads version 2');
		const ps = await L.pgRows(other, "SELECT generic_plans::text FROM pg_prepared_statements WHERE name = 'dcli_all'");
		assert.deepEqual(ps, [['4']], 'one generic plan, cached, executed four times');
	}
	finally
	{
		await other.query('RESET plan_cache_mode');
	}
	/* and count(*) from the log too */
	assert.equal(await L.pgValue(other, `SELECT count(*) FROM ${SCHEMA}.readings`), '160');
});

/* ------------------------------------------------------------ cursors ---- */

test('DECLARE / FETCH in a transaction: the cursor keeps its version across a commit', async () => {
	/* readings is at version 2: 160 rows */
	await other.query('BEGIN');
	try
	{
		await other.query(`DECLARE dcli_c CURSOR FOR SELECT id::text, site, price::text FROM ${SCHEMA}.readings`);
		const rows = (await L.pgRows(other, 'FETCH 7 FROM dcli_c'));
		assert.equal(rows.length, 7);
		/* version 3 removes every file of version 2 and adds one */
		const e = await t.addFile({ site: 'e' }, rowsQuery(1000, 1004));
		t.commit([e], [...t.files.keys()], { parameters: { mode: 'Overwrite' } });
		for (;;)
		{
			const more = await L.pgRows(other, 'FETCH 33 FROM dcli_c');
			if (more.length === 0)
				break;
			rows.push(...more);
		}
		await other.query('CLOSE dcli_c');
		assert.equal(rows.length, 160);
		const cmp = await D.compareWithSql(pgc, `(VALUES ${rows.map((r) => `(${r[0]}::bigint, ${L.quoteLiteral(r[1])}::text, ${r[2]}::numeric)`).join(', ')}) v(id, site, price)`,
										   t.expectedSql(2), ['id', 'site', 'price']);
		assert.deepEqual(cmp, { actual: 160, missing: 0, extra: 0 }, 'the cursor read version 2');
		/* a new statement in the same transaction reads version 3 */
		assert.equal(await L.pgValue(other, `SELECT count(*) FROM ${SCHEMA}.readings WHERE id >= 0`), '5');
	}
	finally
	{
		await other.query('COMMIT');
	}
});

test('SCROLL and WITH HOLD cursors', async () => {
	await other.query('BEGIN');
	await other.query(`DECLARE dcli_s SCROLL CURSOR FOR SELECT id::text FROM ${SCHEMA}.readings_v0 WHERE site = 'b' ORDER BY id`);
	assert.deepEqual(await L.pgRows(other, 'FETCH 2 FROM dcli_s'), [['50'], ['51']]);
	assert.deepEqual(await L.pgRows(other, 'FETCH LAST FROM dcli_s'), [['99']]);
	assert.deepEqual(await L.pgRows(other, 'FETCH BACKWARD 2 FROM dcli_s'), [['98'], ['97']]);
	assert.deepEqual(await L.pgRows(other, 'FETCH ABSOLUTE 1 FROM dcli_s'), [['50']]);
	await other.query(`DECLARE dcli_h CURSOR WITH HOLD FOR SELECT id::text FROM ${SCHEMA}.readings_v0 WHERE id % 10 = 0`);
	await other.query('COMMIT');
	const held = (await L.pgRows(other, 'FETCH ALL FROM dcli_h')).map((r) => Number(r[0])).sort((a, b) => a - b);
	await other.query('CLOSE dcli_h');
	assert.deepEqual(held, [0, 10, 20, 30, 40, 50, 60, 70, 80, 90]);
});

test('a parameterised query read in steps over the extended protocol (streaming)', async () => {
	const reader = new D.PortalReader(`SELECT id::text, day::text FROM ${SCHEMA}.readings_v0 r
		JOIN lakehouse.as_of(NULL::${SCHEMA}.readings, version => 0) x USING (id) WHERE r.site = $1 AND r.id < $2`, ['a', 20]);
	other.query(reader);
	const got = [];
	for (;;)
	{
		const rows = await reader.read(3);
		if (rows.length === 0)
			break;
		assert.ok(rows.length <= 3);
		got.push(...rows);
	}
	await reader.close();
	assert.deepEqual(got.map((r) => Number(r[0])).sort((a, b) => a - b), Array.from({ length: 20 }, (_, i) => i));
	assert.equal(await L.pgValue(other, 'SELECT 1'), '1', 'the connection is usable after the portal');
});

/* ------------------------------------------------ information_schema ---- */

test('information_schema lists the foreign tables and columns as a BI navigator does', async () => {
	await pgc.query(`DROP ROLE IF EXISTS ${ROLE}`);
	await pgc.query(`CREATE ROLE ${ROLE} LOGIN`);
	await pgc.query(`GRANT USAGE ON SCHEMA ${SCHEMA} TO ${ROLE}`);
	await pgc.query(`GRANT SELECT ON ${SCHEMA}.readings, ${SCHEMA}.readings_v0 TO ${ROLE}`);
	await other.query(`SET ROLE ${ROLE}`);
	try
	{
		/* the navigator's table list (Npgsql / Power BI style) */
		const tables = await L.pgRows(other, `SELECT table_catalog::text, table_schema::text, table_name::text, table_type::text
			FROM information_schema.tables
			WHERE table_schema NOT IN ('pg_catalog', 'information_schema') AND table_schema = $1
			ORDER BY table_name`, [SCHEMA]);
		assert.deepEqual(tables, [['postgres', SCHEMA, 'readings', 'FOREIGN'], ['postgres', SCHEMA, 'readings_v0', 'FOREIGN']]);
		const ft = await L.pgRows(other, `SELECT foreign_table_name::text, foreign_server_name::text FROM information_schema.foreign_tables
			WHERE foreign_table_schema = $1 ORDER BY 1`, [SCHEMA]);
		/* foreign_tables only shows tables whose server the role may use: none here, and that is fine */
		assert.ok(Array.isArray(ft));

		const cols = await L.pgRows(other, `SELECT column_name::text, ordinal_position::text AS pos, data_type::text,
				numeric_precision::text, numeric_scale::text, is_nullable::text
			FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'readings' ORDER BY ordinal_position`, [SCHEMA]);
		assert.deepEqual(cols, FIELDS.map((f, i) => [f.name, String(i + 1), ...INFO_TYPES[f.name], 'YES']), JSON.stringify(cols));

		/* and the role reads the table with only SELECT granted, a typed BI query */
		const r = await L.pgRows(other, `SELECT r.site, count(*)::text, min(l.day)::text, max(l.price)::text
			FROM ${SCHEMA}.readings_v0 r JOIN ${SCHEMA}.readings l USING (id) GROUP BY r.site ORDER BY r.site`);
		assert.deepEqual(r, []);	/* readings is at version 3: ids 1000..1004, none in version 0 */
		const r0 = await L.pgRows(other, `SELECT site, count(*)::text, max(price)::text FROM ${SCHEMA}.readings_v0 GROUP BY site ORDER BY site`);
		assert.deepEqual(r0, [['a', '50', '61.25'], ['b', '50', '123.75']]);
	}
	finally
	{
		await other.query('RESET ROLE');
	}
});
