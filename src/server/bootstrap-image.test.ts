import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { SqliteStore } from '../storage/sqlite.ts';
import { captureImage, imageDatabase } from './bootstrap-image.ts';

test('bootstrap image: each new database holds the image with its own uids and time, as its decoded objects say', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'kubevisor-image-test-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  // A "bootstrapped" store: a namespace and a large role (its rows overflow onto other pages).
  const donor = new SqliteStore(':memory:');
  const time = '2026-01-01T00:00:00Z';
  const rules = Array.from({ length: 300 }, (_, i) => ({ apiGroups: [''], resources: [`things${i}`], verbs: ['get', 'list'] }));
  await donor.create('/registry/namespaces/kube-system', JSON.stringify({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'kube-system', uid: 'u-1', creationTimestamp: time } }));
  await donor.create('/registry/clusterroles/big', JSON.stringify({
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole',
    metadata: { name: 'big', uid: 'u-2', creationTimestamp: time, managedFields: [{ manager: 'm', operation: 'Update', time }] }, rules,
  }));
  await captureImage(donor);
  await donor.close();

  const uids = new Set<string>();
  for (const name of ['one', 'two']) {
    const db = await imageDatabase();
    assert.ok(db, 'a database is made from the image');
    const path = join(dir, `${name}.db`);
    await writeFile(path, db.file);
    const store = new SqliteStore(path);
    const got = await store.range('/registry/');
    assert.equal(got.revision, 2);
    assert.equal(db.contents.revision, 2);
    assert.deepEqual(got.kvs.map((kv) => kv.key), ['/registry/clusterroles/big', '/registry/namespaces/kube-system']);
    for (const kv of got.kvs) {
      const stored = JSON.parse(kv.value) as { metadata: { uid: string; creationTimestamp: string } };
      assert.deepEqual(stored, db.contents.objects.get(kv.key)?.obj, `${kv.key} is what the cache is told`);
      assert.equal(kv.modRevision, db.contents.objects.get(kv.key)?.modRevision);
      assert.match(stored.metadata.uid, /^[0-9a-f-]{36}$/);
      assert.notEqual(stored.metadata.creationTimestamp, time);
      uids.add(stored.metadata.uid);
    }
    const big = JSON.parse(got.kvs[0].value);
    assert.equal(big.metadata.managedFields[0].time, big.metadata.creationTimestamp);
    assert.equal(big.rules.length, 300);
    await store.close();
  }
  assert.equal(uids.size, 4, 'no uid is shared between objects or clusters');
});
