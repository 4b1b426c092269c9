// make_seeds.mjs
//   Writes small Parquet files with DuckDB (our independent oracle) as fuzz
//   seeds: every physical type and common logical types, nulls, lists,
//   structs, maps, several row groups, every codec DuckDB writes, and data
//   page v2 with the delta encodings.  Usage: node test/fuzz/make_seeds.mjs DIR
//   (run by test/fuzz/run.sh; @duckdb/node-api comes from test/node_modules).
import { createRequire } from 'node:module';
import { pathToFileURL, fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '..', 'package.json'));
const { DuckDBInstance } = await import(pathToFileURL(require.resolve('@duckdb/node-api')).href);

const dir = process.argv[2];
if (!dir) {
	console.error('usage: node make_seeds.mjs DIR');
	process.exit(2);
}
fs.mkdirSync(dir, { recursive: true });

const inst = await DuckDBInstance.create(':memory:');
const c = await inst.connect();
await c.run('SET threads = 1');

// 300 rows: a null every 7th row where a column is nullable
const flat = `
select
  i::integer as id,
  case when i % 7 = 0 then null else i % 2 = 0 end as b,
  (i % 100)::tinyint as i8,
  (i * 3)::smallint as i16,
  case when i % 7 = 1 then null else i * 1000 end::bigint as i64,
  (i * 4000000000)::ubigint as u64,
  (i / 3.0)::float as f32,
  case when i % 7 = 2 then null else i / 7.0 end::double as f64,
  (i * 1.25)::decimal(9,2) as dec9,
  (i * 1.125)::decimal(18,3) as dec18,
  (i * 1.5)::decimal(38,10) as dec38,
  case when i % 7 = 3 then null else 'Room_' || chr((65 + i % 26)::integer) end as s,
  repeat('x', i % 40) as s_long,
  ('\\x' || lpad(to_hex(i), 4, '0'))::blob as bl,
  date '2025-05-01' + i as d,
  time '00:00:00' + to_seconds(i) as t,
  timestamp '2025-05-01 00:00:00' + to_seconds(i * 5) as ts,
  (timestamp '2025-05-01 00:00:00' + to_seconds(i * 5))::timestamptz as tstz,
  md5(i::varchar)::uuid as u
from (select range::integer as i from range(300))`;

const nested = `
select
  i::integer as id,
  case when i % 5 = 0 then null else [i, i + 1, null, i + 2][1:(i % 4)] end as li,
  {'a': i, 'b': 'v' || i, 'c': [i::double, null]} as st,
  case when i % 6 = 0 then null else map(['k' || i, 'z'], [i, null]) end as mp,
  [{'x': i, 'y': [i::varchar, null]}, null] as lst,
  [[i], [], null, [i, i]] as ll
from (select range::integer as i from range(200))`;

const files = [
	['flat_snappy', flat, "compression 'snappy', row_group_size 100"],
	['flat_plain_uncompressed', flat, "compression 'uncompressed', row_group_size 128, dictionary_size_limit 1"],
	['flat_zstd', flat, "compression 'zstd'"],
	['flat_gzip', flat, "compression 'gzip'"],
	['flat_lz4', flat, "compression 'lz4'"],
	['flat_brotli', flat, "compression 'brotli'"],
	['flat_v2', flat, "compression 'snappy', parquet_version 'v2', row_group_size 150"],
	['flat_v2_uncompressed', flat, "compression 'uncompressed', parquet_version 'v2'"],
	['nested_snappy', nested, "compression 'snappy', row_group_size 64"],
	['nested_v2', nested, "compression 'uncompressed', parquet_version 'v2'"],
	['sensor', `select 1001 + i % 10 as sensor_id, timestamp '2025-05-01' + to_seconds(i * 5) as timestamp,
		round(70 + sin(i / 10.0) * 5, 1) as temperature, round(45 + cos(i / 10.0) * 5, 1) as humidity,
		'Room_' || chr((65 + i % 10)::integer) as location from (select range::integer as i from range(500))`, "compression 'snappy'"],
	['empty', 'select 1::integer as a, \'x\' as b where false', "compression 'snappy'"],
];

let made = 0;
for (const [name, query, opts] of files) {
	const file = path.join(dir, name + '.parquet');
	try {
		await c.run(`COPY (${query}) TO '${file}' (FORMAT parquet, ${opts})`);
		made++;
	} catch (e) {
		console.error(`${name}: ${e.message.split("\n")[0]}`);
	}
}
console.log(`${made} seed files in ${dir}`);
