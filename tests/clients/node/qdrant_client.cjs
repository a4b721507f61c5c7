// Qdrant's official JavaScript REST client (@qdrant/js-client-rest, pinned in package-lock.json)
// against a real `latentdb serve`: every everyday call a Qdrant user or framework makes, with the
// answers checked — ids, order, counts, payloads and scores as Qdrant reports them.
// usage: node qdrant_client.cjs http://127.0.0.1:PORT   (tests/clients/clients_test.cc runs it)
'use strict';
const assert = require('node:assert/strict');
const { QdrantClient } = require('@qdrant/js-client-rest');

const url = process.argv[2];
// The server's data directory: snapshots are recovered from its snapshots folder by file:// URL.
const dataDir = process.argv[3];
const client = new QdrantClient({ url, checkCompatibility: false });

const close = (a, b, what) => assert.ok(Math.abs(a - b) < 1e-4, `${what}: ${a} != ${b}`);
const ids = (points) => points.map((p) => p.id);
let step = '';
async function check(name, fn) {
  step = name;
  await fn();
  console.log(`ok  ${name}`);
}

// Four 4-d points per collection; payload "color" and "n".
const points = [
  { id: 1, vector: [1, 0, 0, 0], payload: { color: 'red', n: 1 } },
  { id: 2, vector: [0.9, 0.1, 0, 0], payload: { color: 'red', n: 2 } },
  { id: 3, vector: [0, 1, 0, 0], payload: { color: 'blue', n: 3 } },
  { id: '5c56c793-69f3-4fbf-87e6-c4bf54c28c26', vector: [0, 0, 1, 0], payload: { color: 'green', n: 4 } },
];
const uuid = points[3].id;

async function main() {
  await check('versionInfo (GET /)', async () => {
    const v = await client.versionInfo();
    assert.equal(typeof v.title, 'string');
    assert.match(v.version, /^1\.\d+\.\d+$/);
  });
  await check('clusterStatus (GET /cluster) on a single node', async () => {
    const c = await client.api().clusterStatus({});
    assert.equal(c.data.result.status, 'disabled');
  });
  await check('createCollection Cosine and Euclid', async () => {
    for (const name of ['qc_cos', 'qc_l2']) {
      if ((await client.collectionExists(name)).exists) await client.deleteCollection(name);
    }
    assert.equal(await client.createCollection('qc_cos', { vectors: { size: 4, distance: 'Cosine' } }), true);
    assert.equal(await client.createCollection('qc_l2', {
      vectors: { size: 4, distance: 'Euclid' }, hnsw_config: { m: 16, ef_construct: 64 },
      optimizers_config: { default_segment_number: 2 },
    }), true);
  });
  await check('createCollection refuses what it cannot honour (400)', async () => {
    await assert.rejects(client.createCollection('qc_bad', { vectors: { size: 4, distance: 'Manhattan' } }),
      (e) => e.status === 400);
    await assert.rejects(client.createCollection('qc_bad', { vectors: { a: { size: 4, distance: 'Cosine' } } }),
      (e) => e.status === 400);
    assert.equal((await client.collectionExists('qc_bad')).exists, false);
  });
  await check('collectionExists, getCollections, getCollection', async () => {
    assert.equal((await client.collectionExists('qc_cos')).exists, true);
    assert.equal((await client.collectionExists('qc_nope')).exists, false);
    const names = (await client.getCollections()).collections.map((c) => c.name);
    assert.ok(names.includes('qc_cos') && names.includes('qc_l2'), names.join(','));
    const info = await client.getCollection('qc_l2');
    assert.equal(info.status, 'green');
    assert.equal(info.points_count, 0);
    assert.equal(info.config.params.vectors.size, 4);
    assert.equal(info.config.params.vectors.distance, 'Euclid');
    assert.equal(info.config.hnsw_config.m, 16);
    assert.equal(info.config.hnsw_config.ef_construct, 64);
  });
  await check('upsert (points and batch)', async () => {
    const r = await client.upsert('qc_cos', { wait: true, points });
    assert.equal(r.status, 'completed');
    await client.upsert('qc_l2', {
      wait: true,
      batch: { ids: points.map((p) => p.id), vectors: points.map((p) => p.vector), payloads: points.map((p) => p.payload) },
    });
    assert.equal((await client.getCollection('qc_l2')).points_count, 4);
  });
  await check('retrieve by ids (order asked, missing skipped)', async () => {
    const got = await client.retrieve('qc_cos', { ids: [3, 99, uuid], with_payload: true, with_vector: true });
    assert.deepEqual(ids(got), [3, uuid]);
    assert.deepEqual(got[0].payload, { color: 'blue', n: 3 });
    assert.deepEqual(got[1].vector, [0, 0, 1, 0]);
    // with_payload as a key list or an include / exclude selector, as in searches.
    assert.deepEqual((await client.retrieve('qc_cos', { ids: [3], with_payload: ['n'] }))[0].payload, { n: 3 });
    assert.deepEqual((await client.retrieve('qc_cos', { ids: [3], with_payload: { exclude: ['n'] } }))[0].payload, { color: 'blue' });
  });
  await check('count (all, filtered)', async () => {
    assert.equal((await client.count('qc_cos', { exact: true })).count, 4);
    const red = { must: [{ key: 'color', match: { value: 'red' } }] };
    assert.equal((await client.count('qc_cos', { filter: red, exact: true })).count, 2);
  });
  await check('search: Cosine similarity and Euclid distance as scores', async () => {
    const hits = await client.search('qc_cos', { vector: [1, 0, 0, 0], limit: 2 });
    assert.deepEqual(ids(hits), [1, 2]);
    close(hits[0].score, 1, 'cosine of the point itself');
    close(hits[1].score, 0.9 / Math.hypot(0.9, 0.1), 'cosine');
    assert.deepEqual(hits[0].payload, { color: 'red', n: 1 });
    const l2 = await client.search('qc_l2', { vector: [0, 0, 0, 0], limit: 4, with_payload: false });
    close(l2[0].score, Math.hypot(0.9, 0.1), 'Euclid score is the distance');
    assert.equal(l2[0].id, 2);
    const far = await client.search('qc_l2', { vector: [1, 0, 0, 0], limit: 4, score_threshold: 0.5 });
    assert.deepEqual(ids(far), [1, 2]);
  });
  await check('search with filter, offset, params.hnsw_ef, with_payload keys', async () => {
    const hits = await client.search('qc_cos', {
      vector: [1, 0, 0, 0], limit: 2, offset: 1, params: { hnsw_ef: 64 },
      filter: { must_not: [{ key: 'color', match: { value: 'green' } }] }, with_payload: ['n'],
    });
    assert.deepEqual(ids(hits), [2, 3]);
    assert.deepEqual(hits[0].payload, { n: 2 });
  });
  await check('searchBatch', async () => {
    const r = await client.searchBatch('qc_cos', { searches: [{ vector: [0, 1, 0, 0], limit: 1 }, { vector: [0, 0, 1, 0], limit: 1 }] });
    assert.deepEqual(r.map(ids), [[3], [uuid]]);
  });
  await check('query: vector, point id, nearest, filter, limit', async () => {
    let r = await client.query('qc_cos', { query: [0, 0.9, 0.1, 0], limit: 1, with_payload: true });
    assert.deepEqual(ids(r.points), [3]);
    assert.deepEqual(r.points[0].payload, { color: 'blue', n: 3 });
    r = await client.query('qc_cos', { query: 1, limit: 1 });  // by id: the point itself left out
    assert.deepEqual(ids(r.points), [2]);
    r = await client.query('qc_cos', { query: { nearest: [0, 0, 1, 0] }, limit: 3,
      filter: { must: [{ key: 'n', range: { gte: 2 } }] } });
    assert.equal(r.points[0].id, uuid);  // 2 and 3 tie behind it (both orthogonal to the query)
    assert.deepEqual(ids(r.points).slice(1).sort(), [2, 3]);
  });
  await check('query: recommend with positive and negative examples', async () => {
    const r = await client.query('qc_cos', { query: { recommend: { positive: [1], negative: [3] } }, limit: 2 });
    assert.equal(r.points[0].id, 2);
    assert.ok(!ids(r.points).includes(1) && !ids(r.points).includes(3));
  });
  await check('queryBatch', async () => {
    const r = await client.queryBatch('qc_cos', { searches: [{ query: [1, 0, 0, 0], limit: 1 }, { query: uuid, limit: 1 }] });
    assert.equal(r.length, 2);
    assert.deepEqual(ids(r[0].points), [1]);
    assert.equal(r[1].points.length, 1);
  });
  await check('recommend (the older endpoint)', async () => {
    const r = await client.recommend('qc_cos', { positive: [1, 2], negative: [], limit: 1 });
    assert.deepEqual(ids(r), [3]);  // the examples are left out; 3 leans their way, the UUID point does not
  });
  await check('scroll with filter and pages', async () => {
    const first = await client.scroll('qc_cos', { limit: 2, with_payload: true });
    assert.deepEqual(ids(first.points), [1, 2]);
    const next = await client.scroll('qc_cos', { limit: 10, offset: first.next_page_offset });
    assert.deepEqual(ids(next.points), [3, uuid]);
    assert.equal(next.next_page_offset, null);
    const blue = await client.scroll('qc_cos', { filter: { must: [{ key: 'color', match: { any: ['blue', 'green'] } }] } });
    assert.deepEqual(ids(blue.points), [3, uuid]);
    const keys = await client.scroll('qc_cos', { limit: 1, with_payload: { include: ['color'] } });
    assert.deepEqual(keys.points[0].payload, { color: 'red' });
  });
  await check('setPayload, overwritePayload, deletePayload, clearPayload', async () => {
    await client.setPayload('qc_cos', { points: [1], payload: { size: 'L' }, wait: true });
    assert.deepEqual((await client.retrieve('qc_cos', { ids: [1] }))[0].payload, { color: 'red', n: 1, size: 'L' });
    await client.setPayload('qc_cos', { filter: { must: [{ key: 'color', match: { value: 'red' } }] }, payload: { hot: true } });
    assert.equal((await client.count('qc_cos', { filter: { must: [{ key: 'hot', match: { value: true } }] } })).count, 2);
    await client.overwritePayload('qc_cos', { points: [2], payload: { only: 1 } });
    assert.deepEqual((await client.retrieve('qc_cos', { ids: [2] }))[0].payload, { only: 1 });
    await client.deletePayload('qc_cos', { points: [1], keys: ['size', 'hot'] });
    assert.deepEqual((await client.retrieve('qc_cos', { ids: [1] }))[0].payload, { color: 'red', n: 1 });
    await client.clearPayload('qc_cos', { points: [3] });
    assert.deepEqual((await client.retrieve('qc_cos', { ids: [3] }))[0].payload, {});
    await assert.rejects(client.setPayload('qc_cos', { points: [12345], payload: { a: 1 } }), (e) => e.status === 404);
  });
  await check('createPayloadIndex, filtered count through it, deletePayloadIndex', async () => {
    await client.createPayloadIndex('qc_l2', { field_name: 'color', field_schema: 'keyword', wait: true });
    const info = await client.getCollection('qc_l2');
    assert.equal(info.payload_schema.color.data_type, 'keyword');
    assert.equal((await client.count('qc_l2', { filter: { must: [{ key: 'color', match: { value: 'red' } }] } })).count, 2);
    await client.deletePayloadIndex('qc_l2', 'color', { wait: true });
    assert.equal((await client.getCollection('qc_l2')).payload_schema.color, undefined);
  });
  await check('createSnapshot, listSnapshots, recoverSnapshot, deleteSnapshot; full snapshots', async () => {
    const snap = await client.createSnapshot('qc_l2', { wait: true });
    assert.match(snap.name, /^qc_l2-.*\.snapshot$/);
    assert.match(snap.checksum, /^[0-9a-f]{64}$/);
    assert.ok(snap.size > 0);
    assert.deepEqual((await client.listSnapshots('qc_l2')).map((s) => s.name), [snap.name]);
    const location = `file://${dataDir}/snapshots/qc_l2/${snap.name}`;
    assert.equal(await client.recoverSnapshot('qc_copy', { location, priority: 'snapshot', checksum: snap.checksum }), true);
    const original = (await client.scroll('qc_l2', { with_vector: true })).points;
    assert.deepEqual((await client.scroll('qc_copy', { with_vector: true })).points, original);
    await assert.rejects(client.recoverSnapshot('qc_copy', { location: 'file:///etc/passwd' }), (e) => e.status === 400);
    assert.equal(await client.deleteSnapshot('qc_l2', snap.name), true);
    assert.deepEqual(await client.listSnapshots('qc_l2'), []);
    const full = await client.createFullSnapshot({ wait: true });
    assert.ok((await client.listFullSnapshots()).some((s) => s.name === full.name));
    assert.equal(await client.deleteFullSnapshot(full.name), true);
    assert.equal(await client.deleteCollection('qc_copy'), true);
  });
  await check('delete by ids and by filter', async () => {
    await client.delete('qc_cos', { points: [1], wait: true });
    assert.equal((await client.count('qc_cos')).count, 3);
    await client.delete('qc_cos', { filter: { must: [{ key: 'n', range: { gte: 4 } }] } });
    assert.deepEqual(ids((await client.scroll('qc_cos', {})).points), [2, 3]);
  });
  await check('deleteCollection (and of a missing one: false)', async () => {
    assert.equal(await client.deleteCollection('qc_cos'), true);
    assert.equal(await client.deleteCollection('qc_cos'), false);
    assert.equal(await client.deleteCollection('qc_l2'), true);
    assert.equal((await client.collectionExists('qc_l2')).exists, false);
  });
  console.log('all Qdrant client checks passed');
}

main().catch((e) => {
  console.error(`FAILED at "${step}": ${e && e.stack ? e.stack : e}`);
  if (e && e.data) console.error('server answered:', JSON.stringify(e.data));
  process.exit(1);
});
