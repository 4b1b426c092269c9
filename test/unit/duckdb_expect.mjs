// duckdb_expect.mjs
//   DuckDB as the independent oracle for the Delta writer's tests.
//   Usage: node duckdb_expect.mjs FILE
//   Each line of FILE is "EXPECTED<TAB>SQL": the first value of the first
//   row of SQL, rendered with String() ("NULL" for null), must equal
//   EXPECTED.  Prints "ok N" or "not ok N: why" per line.
import { DuckDBInstance } from '@duckdb/node-api';
import fs from 'node:fs';

const file = process.argv[2];
if (!file) {
  console.error('usage: duckdb_expect.mjs FILE');
  process.exit(2);
}
const inst = await DuckDBInstance.create(':memory:', { threads: '1' });
const con = await inst.connect();
let failed = 0;
const lines = fs.readFileSync(file, 'utf8').split('\n').filter((l) => l.length > 0);
for (let i = 0; i < lines.length; i++) {
  const tab = lines[i].indexOf('\t');
  const expect = lines[i].slice(0, tab);
  const sql = lines[i].slice(tab + 1);
  try {
    const rows = (await con.runAndReadAll(sql)).getRows();
    const v = rows.length > 0 && rows[0].length > 0 ? rows[0][0] : undefined;
    const got = v === null ? 'NULL' : String(v);
    if (got === expect) console.log(`ok ${i + 1}`);
    else {
      failed++;
      console.log(`not ok ${i + 1}: ${sql}: got ${JSON.stringify(got)}, expected ${JSON.stringify(expect)}`);
    }
  } catch (e) {
    failed++;
    console.log(`not ok ${i + 1}: ${sql}: ${e.message.split('\n')[0]}`);
  }
}
process.exit(failed ? 1 : 0);
