// vecgraph through node-postgres with the pgvector npm package, as an
// application uses them: registerTypes, toSql parameters, a nearest-
// neighbour query through the index, and binary COPY (pg-copy-streams) in
// pgvector's wire format.  Connects with libpq's environment (PGHOST,
// PGPORT, ...); exits non-zero on the first mismatch.
const assert = require('node:assert');
const { Readable } = require('node:stream');
const { pipeline } = require('node:stream/promises');
const pg = require('pg');
const pgvector = require('pgvector/pg');
const { from: copyFrom } = require('pg-copy-streams');

// COPY ... FORMAT binary data of (int id, vector) rows.
function copyBinary(rows) {
  const parts = [Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'), Buffer.alloc(8)];
  for (const [id, v] of rows) {
    const row = Buffer.alloc(2 + 4 + 4 + 4 + 4 + 4 * v.length);
    let pos = row.writeInt16BE(2, 0);
    pos = row.writeInt32BE(4, pos);
    pos = row.writeInt32BE(id, pos);
    pos = row.writeInt32BE(4 + 4 * v.length, pos);
    pos = row.writeInt16BE(v.length, pos);
    pos = row.writeInt16BE(0, pos);
    for (const x of v) pos = row.writeFloatBE(x, pos);
    parts.push(row);
  }
  const trailer = Buffer.alloc(2);
  trailer.writeInt16BE(-1, 0);
  parts.push(trailer);
  return Buffer.concat(parts);
}

async function main() {
  const client = new pg.Client();
  await client.connect();
  await pgvector.registerTypes(client);
  await client.query('CREATE TABLE node_items (id int PRIMARY KEY, embedding vector(3))');
  await client.query('INSERT INTO node_items VALUES ($1, $2), ($3, $4), ($5, $6)',
    [1, pgvector.toSql([1, 1, 1]), 2, pgvector.toSql([2, 2, 2]), 3, pgvector.toSql([1, 1, 2])]);
  await client.query('CREATE INDEX ON node_items USING vecgraph (embedding vector_l2_ops)');
  await client.query('SET enable_seqscan = off');
  let { rows } = await client.query(
    'SELECT id, embedding FROM node_items ORDER BY embedding <-> $1 LIMIT 3', [pgvector.toSql([1, 1, 1])]);
  assert.deepStrictEqual(rows.map((r) => r.id), [1, 3, 2]);
  assert.deepStrictEqual(rows[0].embedding, [1, 1, 1]);

  const copied = [];
  for (let id = 4; id < 104; id++) copied.push([id, [id * 0.5, -id * 0.25, 2]]);
  await pipeline(Readable.from([copyBinary(copied)]),
    client.query(copyFrom('COPY node_items (id, embedding) FROM STDIN WITH (FORMAT binary)')));
  ({ rows } = await client.query('SELECT count(*)::int AS n FROM node_items'));
  assert.strictEqual(rows[0].n, 103);
  ({ rows } = await client.query(
    'SELECT id, embedding FROM node_items ORDER BY embedding <-> $1 LIMIT 1', [pgvector.toSql([25, -12.5, 2])]));
  assert.deepStrictEqual(rows[0], { id: 50, embedding: [25, -12.5, 2] });
  ({ rows } = await client.query("SELECT count(*)::int AS n FROM vecgraph_check('node_items_embedding_idx')"));
  assert.strictEqual(rows[0].n, 0);
  await client.end();
  console.log(`node-postgres ${require('pg/package.json').version} with pgvector ` +
    `${require('pgvector/package.json').version}: toSql parameters, registerTypes, nearest neighbours, ` +
    'binary COPY: ok');
}

main().catch((e) => { console.error(e); process.exit(1); });
