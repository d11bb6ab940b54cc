// Informers on cluster-scoped host kinds (namespace ''), against a real
// kubevisor server in this process.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { HostConnection, type HostResource } from './connection.ts';
import { HostInformer, HostInformers } from './informer.ts';
import { startTestHost, type TestHost } from './testing.ts';
import { eventually } from '../../../test/support/cluster.ts';

const SC: HostResource = { apiVersion: 'storage.k8s.io/v1', plural: 'storageclasses' };

let host: TestHost;
let conn: HostConnection;
let informers: HostInformers;

before(async () => {
  host = await startTestHost();
  conn = await HostConnection.connect({ text: host.kubeconfig });
  informers = new HostInformers(conn, { backoff: { initialMs: 50, maxMs: 300 } });
});
after(async () => {
  informers?.stopAll();
  conn?.close();
  await host?.close();
});

function storageClass(name: string, labels: Record<string, string> = {}): KubeObject {
  return { apiVersion: 'storage.k8s.io/v1', kind: 'StorageClass', metadata: { name, labels }, provisioner: 'example.com/p' };
}

test('a cluster-scoped kind: listed, then adds, updates and deletes arrive through the watch', async () => {
  const vc = host.vc();
  const def = vc.registry.find('storage.k8s.io', 'v1', 'storageclasses');
  assert.ok(def);
  await vc.store.create(def, undefined, storageClass('before'));
  const a = informers.acquire('', SC);
  const b = informers.acquire('', SC);
  assert.equal(a.informer, b.informer, 'shared like namespaced informers');
  const seen: string[] = [];
  a.informer.subscribe({
    onAdd: (o) => seen.push(`add ${o.metadata.name}`),
    onUpdate: (o) => seen.push(`update ${o.metadata.name} ${o.metadata.labels?.tier ?? ''}`),
    onDelete: (o) => seen.push(`delete ${o.metadata.name}`),
  });
  await a.informer.synced;
  assert.deepEqual(seen, ['add before']);
  await eventually(() => a.informer.health.state === 'connected', 5000, 'the watch');
  await vc.store.create(def, undefined, storageClass('fast'));
  await vc.store.guaranteedUpdate(def, undefined, 'fast', (cur) => {
    const o = cur as KubeObject;
    o.metadata.labels = { tier: 'gold' };
    return o;
  });
  await vc.store.delete(def, undefined, 'before');
  await eventually(() => seen.length === 4, 5000, 'the events');
  assert.deepEqual(seen, ['add before', 'add fast', 'update fast gold', 'delete before']);
  assert.equal(a.informer.get('fast')?.metadata.labels?.tier, 'gold');
  a.release();
  b.release();
});

test('a cluster-scoped kind the host does not serve: the informer retries, reporting the host\'s answer', async () => {
  const { informer, release } = informers.acquire('', { apiVersion: 'example.com/v1', plural: 'widgets' });
  await eventually(() => informer.health.state === 'retrying', 5000, 'a failed list');
  const h = informer.health;
  assert.ok(h.state === 'retrying' && h.error.code === 404, JSON.stringify(h));
  release();
  assert.equal(informer.health.state, 'stopped');
});

test('a cluster-scoped watch the host ends is reopened from where it was', async () => {
  const vc = host.vc();
  const def = vc.registry.find('storage.k8s.io', 'v1', 'storageclasses');
  assert.ok(def);
  const informer = new HostInformer(conn, '', SC, { watchTimeoutSeconds: 1, labelSelector: 'set=reopen' }).start();
  try {
    const added: string[] = [];
    informer.subscribe({ onAdd: (o) => added.push(o.metadata.name as string) });
    await informer.synced;
    await eventually(() => informer.requests.watches >= 2, 6000, 'a second watch');
    await vc.store.create(def, undefined, storageClass('late', { set: 'reopen' }));
    await eventually(() => added.includes('late'), 5000, 'the add');
    assert.deepEqual(added, ['late']);
    assert.equal(informer.requests.lists, 1);
  } finally {
    informer.stop();
  }
});
