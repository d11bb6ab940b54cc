import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject, OwnerReference } from '../../api/types.ts';
import { openTestCluster, eventually, type TestCluster } from '../../../test/support/cluster.ts';
import { startGarbageCollector } from './gc.ts';

function ref(o: KubeObject, extra: Partial<OwnerReference> = {}): OwnerReference {
  return { apiVersion: o.apiVersion as string, kind: o.kind as string, name: o.metadata.name as string, uid: o.metadata.uid as string, ...extra };
}

async function withGC(fn: (c: TestCluster, gc: ReturnType<typeof startGarbageCollector>) => Promise<void>): Promise<void> {
  const c = await openTestCluster();
  const gc = startGarbageCollector(c.ctx);
  try {
    await fn(c, gc);
  } finally {
    gc.stop();
    await c.close();
  }
}

test('background: dependents whose owners are all gone are deleted; others lose the dangling reference', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  const a = await vc.store.create(cm, 'default', { metadata: { name: 'a' } });
  const b = await vc.store.create(cm, 'default', { metadata: { name: 'b' } });
  await vc.store.create(cm, 'default', { metadata: { name: 'only-a', ownerReferences: [ref(a)] } });
  await vc.store.create(cm, 'default', { metadata: { name: 'a-and-b', ownerReferences: [ref(a), ref(b)] } });
  await vc.store.delete(cm, 'default', 'a', { propagationPolicy: 'Background' });
  await eventually(() => !vc.store.peek(cm, 'default', 'only-a'), 5000, 'only-a collected');
  await eventually(() => (vc.store.peek(cm, 'default', 'a-and-b')?.metadata.ownerReferences ?? []).length === 1, 5000, 'dangling ref removed');
  const kept = vc.store.peek(cm, 'default', 'a-and-b') as KubeObject;
  assert.equal(kept.metadata.ownerReferences?.[0].uid, b.metadata.uid);
  assert.ok(vc.store.peek(cm, 'default', 'b'));
}));

test('an owner reference to an object that never existed is dangling', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  await vc.store.create(cm, 'default', {
    metadata: { name: 'orphaned', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'ghost', uid: '00000000-0000-0000-0000-000000000001' }] },
  });
  await eventually(() => !vc.store.peek(cm, 'default', 'orphaned'), 5000, 'dependent of a missing owner collected');
}));

test('a same-named owner with another uid does not keep a dependent alive', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  await vc.store.create(cm, 'default', { metadata: { name: 'owner' } });
  await vc.store.create(cm, 'default', {
    metadata: { name: 'dep', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'owner', uid: '00000000-0000-0000-0000-000000000002' }] },
  });
  await eventually(() => !vc.store.peek(cm, 'default', 'dep'), 5000, 'dependent collected');
  assert.ok(vc.store.peek(cm, 'default', 'owner'));
}));

test('the graph is built from what the cache already holds at start', async () => {
  const c = await openTestCluster();
  const cm = c.ctx.def('', 'v1', 'configmaps');
  const owner = await c.vc.store.create(cm, 'default', { metadata: { name: 'owner' } });
  await c.vc.store.create(cm, 'default', { metadata: { name: 'dep', ownerReferences: [ref(owner)] } });
  await c.vc.store.create(cm, 'default', {
    metadata: { name: 'stale', ownerReferences: [{ apiVersion: 'v1', kind: 'ConfigMap', name: 'gone', uid: '00000000-0000-0000-0000-000000000003' }] },
  });
  const gc = startGarbageCollector(c.ctx);
  try {
    assert.equal(gc.hasDependents(owner.metadata.uid as string), true);
    assert.deepEqual(gc.dependentsOf(owner.metadata.uid as string).length, 1);
    await eventually(() => !c.vc.store.peek(cm, 'default', 'stale'), 5000, 'stale dependent collected');
    assert.ok(c.vc.store.peek(cm, 'default', 'dep'));
    await c.vc.store.delete(cm, 'default', 'owner', {});
    await eventually(() => !c.vc.store.peek(cm, 'default', 'dep'), 5000, 'dep collected');
    assert.equal(gc.hasDependents(owner.metadata.uid as string), false);
  } finally {
    gc.stop();
    await c.close();
  }
});

test('foreground: dependents go first; blocking dependents hold the owner until they are gone', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  // The finalizer is what `--cascade=foreground` leaves on the owner.
  const owner = await vc.store.create(cm, 'default', { metadata: { name: 'owner', finalizers: ['foregroundDeletion'] } });
  await vc.store.create(cm, 'default', { metadata: { name: 'loose', ownerReferences: [ref(owner)] } });
  await vc.store.create(cm, 'default', {
    metadata: { name: 'blocker', finalizers: ['example.com/hold'], ownerReferences: [ref(owner, { blockOwnerDeletion: true })] },
  });
  await vc.store.delete(cm, 'default', 'owner', { propagationPolicy: 'Foreground' });
  await eventually(() => !vc.store.peek(cm, 'default', 'loose'), 5000, 'non-blocking dependent deleted');
  await eventually(() => !!vc.store.peek(cm, 'default', 'blocker')?.metadata.deletionTimestamp, 5000, 'blocking dependent deleting');
  await new Promise((r) => setTimeout(r, 100));
  const waiting = vc.store.peek(cm, 'default', 'owner') as KubeObject;
  assert.ok(waiting, 'owner waits for its blocking dependent');
  assert.deepEqual(waiting.metadata.finalizers, ['foregroundDeletion']);
  await vc.store.guaranteedUpdate(cm, 'default', 'blocker', (cur) => {
    const o = cur as KubeObject;
    o.metadata.finalizers = [];
    return o;
  });
  await eventually(() => !vc.store.peek(cm, 'default', 'owner'), 5000, 'owner deleted after its dependents');
}));

test('foreground: a dependent with dependents of its own is deleted in the foreground too', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  const owner = await vc.store.create(cm, 'default', { metadata: { name: 'top', finalizers: ['foregroundDeletion'] } });
  // The middle object carries the finalizer a foreground delete of it would add.
  const mid = await vc.store.create(cm, 'default', {
    metadata: { name: 'mid', finalizers: ['foregroundDeletion'], ownerReferences: [ref(owner, { blockOwnerDeletion: true })] },
  });
  await vc.store.create(cm, 'default', {
    metadata: { name: 'leaf', finalizers: ['example.com/hold'], ownerReferences: [ref(mid, { blockOwnerDeletion: true })] },
  });
  // Before any deletion the middle object keeps its finalizer and stays.
  await vc.store.delete(cm, 'default', 'top', { propagationPolicy: 'Foreground' });
  await eventually(() => !!vc.store.peek(cm, 'default', 'leaf')?.metadata.deletionTimestamp, 5000, 'leaf deleting');
  assert.ok(vc.store.peek(cm, 'default', 'mid')?.metadata.deletionTimestamp, 'mid is deleting');
  assert.ok(vc.store.peek(cm, 'default', 'top'), 'top waits');
  await vc.store.guaranteedUpdate(cm, 'default', 'leaf', (cur) => ({ ...(cur as KubeObject), metadata: { ...(cur as KubeObject).metadata, finalizers: [] } }));
  await eventually(() => !vc.store.peek(cm, 'default', 'top') && !vc.store.peek(cm, 'default', 'mid'), 5000, 'all gone');
}));

test('foreground: an owner without dependents just loses the finalizer', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  await vc.store.create(cm, 'default', { metadata: { name: 'alone', finalizers: ['foregroundDeletion'] } });
  await vc.store.delete(cm, 'default', 'alone', { propagationPolicy: 'Foreground' });
  await eventually(() => !vc.store.peek(cm, 'default', 'alone'), 5000, 'owner deleted');
}));

test('orphan: dependents lose the reference and stay; then the owner goes', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  const sec = ctx.def('', 'v1', 'secrets');
  const owner = await vc.store.create(cm, 'default', { metadata: { name: 'owner', finalizers: ['orphan'] } });
  const other = await vc.store.create(cm, 'default', { metadata: { name: 'other' } });
  await vc.store.create(cm, 'default', { metadata: { name: 'd1', ownerReferences: [ref(owner)] } });
  await vc.store.create(sec, 'default', { metadata: { name: 'd2', ownerReferences: [ref(owner, { controller: true, blockOwnerDeletion: true }), ref(other)] } });
  await vc.store.delete(cm, 'default', 'owner', { propagationPolicy: 'Orphan' });
  await eventually(() => !vc.store.peek(cm, 'default', 'owner'), 5000, 'owner deleted');
  const d1 = vc.store.peek(cm, 'default', 'd1') as KubeObject;
  const d2 = vc.store.peek(sec, 'default', 'd2') as KubeObject;
  assert.ok(d1 && d2);
  assert.equal(d1.metadata.ownerReferences, undefined);
  assert.deepEqual(d2.metadata.ownerReferences?.map((r) => r.name), ['other']);
}));

test('cluster-scoped owners own namespaced dependents', () => withGC(async ({ vc, ctx }) => {
  const nsDef = ctx.def('', 'v1', 'namespaces');
  const pv = ctx.def('', 'v1', 'persistentvolumes');
  const cm = ctx.def('', 'v1', 'configmaps');
  const owner = await vc.store.create(pv, undefined, {
    metadata: { name: 'pv1' },
    spec: { capacity: { storage: '1Gi' }, accessModes: ['ReadWriteOnce'], hostPath: { path: '/tmp/x' } },
  });
  await vc.store.create(cm, 'default', { metadata: { name: 'dep', ownerReferences: [ref(owner)] } });
  await new Promise((r) => setTimeout(r, 100));
  assert.ok(vc.store.peek(cm, 'default', 'dep'), 'a live cluster-scoped owner is solid');
  assert.ok(vc.store.peek(nsDef, undefined, 'default'));
  await vc.store.delete(pv, undefined, 'pv1', {});
  await eventually(() => !vc.store.peek(cm, 'default', 'dep'), 5000, 'dependent collected');
}));

test('an owner in another namespace is reported and not honoured', () => withGC(async ({ vc, ctx }) => {
  const cm = ctx.def('', 'v1', 'configmaps');
  const ev = ctx.def('', 'v1', 'events');
  const owner = await vc.store.create(cm, 'kube-system', { metadata: { name: 'owner' } });
  await vc.store.create(cm, 'default', { metadata: { name: 'dep', ownerReferences: [ref(owner)] } });
  await eventually(() => !vc.store.peek(cm, 'default', 'dep'), 5000, 'dependent collected');
  const { items } = await vc.store.list(ev, 'default', {});
  const e = items.find((x) => x.reason === 'OwnerRefInvalidNamespace');
  assert.ok(e, 'event recorded');
  assert.match(String(e.message), /^ownerRef \[v1\/ConfigMap, namespace: default, name: owner, uid: [-0-9a-f]+\] does not exist in namespace "default"$/);
}));
