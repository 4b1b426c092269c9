// make_delta_checkpoint.mjs
//   Writes classic Delta checkpoints with DuckDB (an independent writer) for
//   test_delta_snapshot.c, in the layout Spark uses: one row per action, the
//   top-level struct columns txn, add, remove, metaData, protocol.
//   Usage: node make_delta_checkpoint.mjs LOG_DIR VERSION NUM_ADDS NUM_PARTS [VERSION NUM_ADDS NUM_PARTS]...
//   The table's schema is id long, name string, p string (partitioned by p);
//   add i (0 <= i < NUM_ADDS) is "part-%05d.parquet" with p = i % 10 and
//   statistics {"numRecords":1,"minValues":{"id":i,"name":"n<i>"},...},
//   matching the commits the C test writes (commit i adds file i).  Two
//   remove tombstones and one txn ("app", VERSION) are added.  NUM_PARTS > 1
//   writes a multi-part checkpoint NNN.checkpoint.OOOOOOOOOO.PPPPPPPPPP.parquet.
import { DuckDBInstance } from '@duckdb/node-api';

const args = process.argv.slice(2);
if (args.length < 4 || (args.length - 1) % 3 !== 0) {
  console.error('usage: make_delta_checkpoint.mjs LOG_DIR VERSION NUM_ADDS NUM_PARTS ...');
  process.exit(2);
}
const dir = args[0];
const inst = await DuckDBInstance.create(':memory:', { threads: '2' });
const con = await inst.connect();

const MAP = 'MAP(VARCHAR, VARCHAR)';
const T_TXN = 'STRUCT(appId VARCHAR, version BIGINT, lastUpdated BIGINT)';
const T_ADD = `STRUCT(path VARCHAR, partitionValues ${MAP}, size BIGINT, modificationTime BIGINT, dataChange BOOLEAN, tags ${MAP}, stats VARCHAR)`;
const T_REMOVE = `STRUCT(path VARCHAR, deletionTimestamp BIGINT, dataChange BOOLEAN, extendedFileMetadata BOOLEAN, partitionValues ${MAP}, size BIGINT)`;
const T_META = `STRUCT(id VARCHAR, name VARCHAR, description VARCHAR, format STRUCT(provider VARCHAR, options ${MAP}), schemaString VARCHAR, partitionColumns VARCHAR[], configuration ${MAP}, createdTime BIGINT)`;
const T_PROTO = 'STRUCT(minReaderVersion INTEGER, minWriterVersion INTEGER)';
const schema = JSON.stringify({
  type: 'struct',
  fields: [
    { name: 'id', type: 'long', nullable: true, metadata: {} },
    { name: 'name', type: 'string', nullable: true, metadata: {} },
    { name: 'p', type: 'string', nullable: true, metadata: {} },
  ],
});
const q = (s) => "'" + s.replaceAll("'", "''") + "'";
const pad = (n, w) => String(n).padStart(w, '0');

for (let a = 1; a < args.length; a += 3) {
  const version = Number(args[a]);
  const nadds = Number(args[a + 1]);
  const nparts = Number(args[a + 2]);
  const rows = `
    SELECT 0 AS k, NULL::${T_TXN} AS txn, NULL::${T_ADD} AS add, NULL::${T_REMOVE} AS remove,
           NULL::${T_META} AS metaData, {'minReaderVersion': 1, 'minWriterVersion': 2}::${T_PROTO} AS protocol
    UNION ALL
    SELECT 1, NULL, NULL, NULL,
           {'id': 'test-table', 'name': NULL, 'description': NULL,
            'format': {'provider': 'parquet', 'options': MAP {}},
            'schemaString': ${q(schema)}, 'partitionColumns': ['p'],
            'configuration': MAP {'delta.checkpointInterval': '1000'}, 'createdTime': 1700000000000}::${T_META},
           NULL
    UNION ALL
    SELECT 2, {'appId': 'app', 'version': ${version}, 'lastUpdated': 1700000000000}::${T_TXN}, NULL, NULL, NULL, NULL
    UNION ALL
    SELECT 3 + i, NULL,
           {'path': printf('part-%05d.parquet', i),
            'partitionValues': MAP {'p': (i % 10)::VARCHAR},
            'size': 1000 + i, 'modificationTime': 1700000000000 + i, 'dataChange': true,
            'tags': NULL,
            'stats': printf('{"numRecords":1,"minValues":{"id":%d,"name":"n%d"},"maxValues":{"id":%d,"name":"n%d"},"nullCount":{"id":0,"name":0}}', i, i, i, i)}::${T_ADD},
           NULL, NULL, NULL
    FROM range(${nadds}) t(i)
    UNION ALL
    SELECT 3 + ${nadds} + i, NULL, NULL,
           {'path': printf('gone-%05d.parquet', i), 'deletionTimestamp': 1700000000000, 'dataChange': true,
            'extendedFileMetadata': true, 'partitionValues': MAP {'p': '0'}, 'size': 1}::${T_REMOVE},
           NULL, NULL
    FROM range(2) t(i)`;
  if (nparts <= 1) {
    const file = `${dir}/${pad(version, 20)}.checkpoint.parquet`;
    await con.run(`COPY (SELECT txn, add, remove, metaData, protocol FROM (${rows}) ORDER BY k) TO ${q(file)} (FORMAT parquet, ROW_GROUP_SIZE 50000)`);
  } else {
    for (let part = 0; part < nparts; part++) {
      const file = `${dir}/${pad(version, 20)}.checkpoint.${pad(part + 1, 10)}.${pad(nparts, 10)}.parquet`;
      await con.run(`COPY (SELECT txn, add, remove, metaData, protocol FROM (${rows}) WHERE k % ${nparts} = ${part} ORDER BY k) TO ${q(file)} (FORMAT parquet)`);
    }
  }
}
console.log('ok');
