// check_parquet_with_duckdb.mjs
//   DuckDB as the independent oracle for Parquet files our writer produced.
//   Usage: node check_parquet_with_duckdb.mjs DIR
//   For every DIR/*.json (written by test_parquet_writer.c) it checks the
//   Parquet file the JSON names and prints "ok NAME" or "not ok NAME: why".
//   JSON fields, all optional except file:
//     file        the Parquet file, relative to DIR
//     columns     [{name, type, expr, kind}]: DESCRIBE type of name (if type);
//                 expr is the SQL that renders the column, kind is "text"
//                 (String(value) compared), "double" or "float" (numbers
//                 compared exactly, -0.0 and NaN included)
//     rows        expected values, one array per row, null for SQL NULL
//     num_rows    count(*)
//     row_groups  number of row groups in parquet_metadata()
//     stats       [{column, row_group, min, max, nulls}] against
//                 parquet_metadata() (min/max null: must be absent)
//     checks      [{sql, expect}]: {F} in sql is the file; the first value
//                 of the first row rendered with String() ("NULL" for null)
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';
import path from 'node:path';

const dir = process.argv[2];
if (!dir) {
  console.error('usage: check_parquet_with_duckdb.mjs DIR');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
const query = async (sql) => (await con.runAndReadAll(sql)).getRows();
const lit = (s) => "'" + s.replace(/'/g, "''") + "'";
const show = (v) => (typeof v === 'string' ? JSON.stringify(v) : String(v));

function parseNumber(s, kind) {
  let n;
  if (s === 'nan') n = NaN;
  else if (s === 'inf') n = Infinity;
  else if (s === '-inf') n = -Infinity;
  else n = Number(s);
  return kind === 'float' ? Math.fround(n) : n;
}

function same(kind, got, want) {
  if (want === null || got === null) return want === got;
  if (kind === 'double' || kind === 'float') return Object.is(Number(got), parseNumber(want, kind));
  return String(got) === want;
}

async function check(exp, errors) {
  const F = lit(path.join(dir, exp.file));
  if (exp.columns) {
    const types = new Map((await query(`DESCRIBE SELECT * FROM read_parquet(${F})`)).map((r) => [r[0], r[1]]));
    for (const c of exp.columns) {
      if (c.type && types.get(c.name) !== c.type)
        errors.push(`column ${c.name}: type ${types.get(c.name)}, expected ${c.type}`);
    }
  }
  if (exp.num_rows !== undefined) {
    const n = Number((await query(`SELECT count(*) FROM read_parquet(${F})`))[0][0]);
    if (n !== exp.num_rows) errors.push(`count(*) ${n}, expected ${exp.num_rows}`);
  }
  if (exp.rows) {
    const got = await query(`SELECT ${exp.columns.map((c) => c.expr).join(', ')} FROM read_parquet(${F})`);
    if (got.length !== exp.rows.length) errors.push(`${got.length} rows, expected ${exp.rows.length}`);
    for (let i = 0; i < Math.min(got.length, exp.rows.length) && errors.length < 10; i++) {
      exp.columns.forEach((c, j) => {
        if (!same(c.kind, got[i][j], exp.rows[i][j]))
          errors.push(`row ${i} column ${c.name}: ${show(got[i][j])}, expected ${show(exp.rows[i][j])}`);
      });
    }
  }
  if (exp.row_groups !== undefined) {
    const n = Number((await query(`SELECT count(DISTINCT row_group_id) FROM parquet_metadata(${F})`))[0][0]);
    if (n !== exp.row_groups) errors.push(`${n} row groups, expected ${exp.row_groups}`);
  }
  for (const s of exp.stats ?? []) {
    const r = await query(`SELECT stats_min_value, stats_max_value, stats_null_count FROM parquet_metadata(${F})
                           WHERE path_in_schema = ${lit(s.column)} AND row_group_id = ${s.row_group}`);
    if (r.length !== 1) {
      errors.push(`stats of ${s.column} row group ${s.row_group}: ${r.length} chunks`);
      continue;
    }
    const [min, max, nulls] = r[0];
    if (min !== s.min) errors.push(`${s.column} rg ${s.row_group}: min ${show(min)}, expected ${show(s.min)}`);
    if (max !== s.max) errors.push(`${s.column} rg ${s.row_group}: max ${show(max)}, expected ${show(s.max)}`);
    if (s.nulls !== undefined && Number(nulls) !== s.nulls)
      errors.push(`${s.column} rg ${s.row_group}: null count ${nulls}, expected ${s.nulls}`);
  }
  for (const c of exp.checks ?? []) {
    const r = await query(c.sql.replaceAll('{F}', F));
    const v = r.length > 0 && r[0].length > 0 ? r[0][0] : undefined;
    const s = v === null ? 'NULL' : String(v);
    if (s !== c.expect) errors.push(`${c.sql}: ${show(s)}, expected ${show(c.expect)}`);
  }
}

let failed = 0;
for (const f of fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
  const exp = JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8'));
  const errors = [];
  try {
    await check(exp, errors);
  } catch (e) {
    errors.push(e.message.split('\n')[0]);
  }
  if (errors.length) {
    failed++;
    console.log(`not ok ${exp.file}: ${errors.slice(0, 6).join('; ')}`);
  } else {
    console.log(`ok ${exp.file}`);
  }
}
process.exit(failed ? 1 : 0);
