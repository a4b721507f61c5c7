// Qdrant's official JavaScript REST client (@qdrant/js-client-rest, pinned in package-lock.json)
// against a LatentDB cluster: a collection of several shards created through one node, written
// through a second and read through a third — each client talks to one node, as it would to a
// Qdrant cluster — with the answers checked as on one node.
// usage: node qdrant_cluster_client.cjs URL1 URL2 URL3   (tests/clients/clients_test.cc runs it)
'use strict';
const assert = require('node:assert/strict');
const { QdrantClient } = require('@qdrant/js-client-rest');

const [a, b, c] = process.argv.slice(2, 5).map((url) => new QdrantClient({ url, checkCompatibility: false }));
const ids = (points) => points.map((p) => p.id);
let step = '';
async function check(name, fn) {
  step = name;
  await fn();
  console.log(`ok  ${name}`);
}

// 60 points: integer ids and UUIDs, a vector per point on a circle, payload "n" and "even".
const points = [];
for (let i = 0; i < 60; ++i) {
  const angle = (i / 60) * 2 * Math.PI;
  const id = i < 40 ? i : `00000000-0000-4000-8000-${String(i).padStart(12, '0')}`;
  points.push({ id, vector: [Math.cos(angle), Math.sin(angle), 0.1, 0], payload: { n: i, even: i % 2 === 0 } });
}

async function main() {
  await check('clusterStatus lists the three nodes', async () => {
    const s = (await a.api().clusterStatus({})).data.result;
    assert.equal(s.status, 'enabled');
    assert.equal(Object.keys(s.peers).length, 3);
  });
  await check('createCollection with shard_number 3, seen from every node', async () => {
    assert.equal(await a.createCollection('qc_sharded', { vectors: { size: 4, distance: 'Cosine' }, shard_number: 3 }), true);
    for (const node of [a, b, c]) {
      const info = await node.getCollection('qc_sharded');
      assert.equal(info.config.params.shard_number, 3);
      assert.equal((await node.collectionExists('qc_sharded')).exists, true);
    }
  });
  await check('replication_factor 2: every shard on two nodes, written and read through others', async () => {
    assert.equal(await a.createCollection('qc_repl', { vectors: { size: 4, distance: 'Cosine' }, shard_number: 2,
                                                       replication_factor: 2 }), true);
    assert.equal((await b.upsert('qc_repl', { wait: true, points })).status, 'completed');
    assert.equal((await c.count('qc_repl', { exact: true })).count, 60);
    let copies = 0;
    for (const node of [a, b, c]) {
      const r = (await node.api().collectionClusterInfo({ collection_name: 'qc_repl' })).data.result;
      assert.equal(r.local_shards.length + r.remote_shards.length, 4);  // 2 shards x 2 copies
      for (const s of r.local_shards) {
        assert.equal(s.state, 'Active');
        copies += 1;
      }
    }
    assert.equal(copies, 4);
    await assert.rejects(a.createCollection('qc_bad', { vectors: { size: 4, distance: 'Cosine' }, replication_factor: 2,
                                                        write_consistency_factor: 3 }), (e) => e.status === 400);
    assert.equal(await c.deleteCollection('qc_repl'), true);
  });
  await check('upsert through another node', async () => {
    const r = await b.upsert('qc_sharded', { wait: true, points });
    assert.equal(r.status, 'completed');
    assert.equal((await c.count('qc_sharded', { exact: true })).count, 60);
    assert.equal((await c.getCollection('qc_sharded')).points_count, 60);
  });
  await check('collectionClusterInfo: every shard local to one node', async () => {
    let local = 0, count = 0;
    for (const node of [a, b, c]) {
      const info = await node.api().collectionClusterInfo({ collection_name: 'qc_sharded' });
      const r = info.data.result;
      assert.equal(r.shard_count, 3);
      assert.equal(r.local_shards.length + r.remote_shards.length, 3);
      local += r.local_shards.length;
      count += r.local_shards.reduce((sum, s) => sum + s.points_count, 0);
    }
    assert.equal(local, 3);
    assert.equal(count, 60);
  });
  await check('search, with a filter and an offset, merged over the shards', async () => {
    const hits = await c.search('qc_sharded', { vector: [1, 0, 0.1, 0], limit: 3, with_payload: true });
    assert.deepEqual(ids(hits), [0, 1, 59 < 40 ? 59 : points[59].id]);
    const even = await a.search('qc_sharded', { vector: [1, 0, 0.1, 0], limit: 2, offset: 1, filter: { must: [{ key: 'even', match: { value: true } }] } });
    assert.deepEqual(ids(even), [2, points[58].id]);
  });
  await check('query and recommend by id across shards', async () => {
    const q = await b.query('qc_sharded', { query: 10, limit: 2 });
    assert.deepEqual(ids(q.points).sort(), [11, 9].sort());
    const r = await c.recommend('qc_sharded', { positive: [20], negative: [], limit: 2 });
    assert.deepEqual(ids(r).sort(), [19, 21].sort());
  });
  await check('retrieve and scroll every point once, in order', async () => {
    const got = await a.retrieve('qc_sharded', { ids: [points[45].id, 3, 999] });
    assert.deepEqual(ids(got), [points[45].id, 3]);
    const seen = [];
    let offset;
    do {
      const page = await b.scroll('qc_sharded', { limit: 7, offset, with_payload: false });
      seen.push(...ids(page.points));
      offset = page.next_page_offset;
    } while (offset !== null && offset !== undefined);
    assert.deepEqual(seen, ids(points));
  });
  await check('setPayload, delete by ids and by filter', async () => {
    await c.setPayload('qc_sharded', { payload: { tagged: true }, points: [1, 2, points[50].id], wait: true });
    assert.equal((await a.count('qc_sharded', { filter: { must: [{ key: 'tagged', match: { value: true } }] }, exact: true })).count, 3);
    await a.delete('qc_sharded', { points: [0, 1], wait: true });
    await b.delete('qc_sharded', { filter: { must: [{ key: 'even', match: { value: false } }] }, wait: true });
    assert.equal((await c.count('qc_sharded', { exact: true })).count, 29);
  });
  await check('deleteCollection through a third node', async () => {
    assert.equal(await c.deleteCollection('qc_sharded'), true);
    assert.equal((await a.collectionExists('qc_sharded')).exists, false);
  });
  console.log('all Qdrant cluster client checks passed');
}

main().catch((e) => {
  console.error(`FAILED at "${step}": ${e && e.stack ? e.stack : e}`);
  if (e && e.data) console.error('server answered:', JSON.stringify(e.data));
  process.exit(1);
});
