import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { podsToDelete } from './pod-ranking.ts';
import { startReplicaSetController } from './replicaset.ts';
import { eventsFor, fakeKubelet, get, listIn, markReady, ownedBy } from './testing.ts';
import { computeHash, equalIgnoreHash, isPodActive, scaledValue } from './util.ts';

const rsDef = (e: TestCluster) => e.ctx.def('apps', 'v1', 'replicasets');
const podDef = (e: TestCluster) => e.ctx.def('', 'v1', 'pods');

function rsManifest(name: string, replicas: number, extra: Record<string, unknown> = {}): KubeObject {
  return {
    metadata: { name },
    spec: {
      replicas,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name, tier: 'web' }, annotations: { note: 'from-template' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      },
      ...extra,
    },
  };
}

function rs(e: TestCluster, name: string): KubeObject {
  return get(e.vc, 'apps', 'replicasets', name) as KubeObject;
}

function st(obj: KubeObject): Record<string, any> {
  return (obj.status ?? {}) as Record<string, any>;
}

function podsOf(e: TestCluster, owner: KubeObject): KubeObject[] {
  return ownedBy(listIn(e.vc, '', 'pods'), owner).filter(isPodActive);
}

async function setReplicas(e: TestCluster, name: string, n: number): Promise<void> {
  await e.vc.store.guaranteedUpdate(rsDef(e), 'default', name, (cur) => {
    (cur!.spec as any).replicas = n;
    return cur!;
  });
}

async function withCluster(f: (e: TestCluster) => Promise<void>): Promise<void> {
  const e = await openTestCluster();
  const stop = startReplicaSetController(e.ctx);
  try {
    await f(e);
  } finally {
    stop();
    await new Promise((r) => setTimeout(r, 20));
    await e.close();
  }
}

test('a ReplicaSet creates pods from its template and reports status', async () => {
  await withCluster(async (e) => {
    const kubelet = fakeKubelet(e.vc);
    try {
      await e.vc.store.create(rsDef(e), 'default', rsManifest('web', 3));
      await eventually(() => st(rs(e, 'web')).availableReplicas === 3, 5000, 'available');
      const r = rs(e, 'web');
      assert.deepEqual(r.status, { replicas: 3, fullyLabeledReplicas: 3, readyReplicas: 3, availableReplicas: 3, observedGeneration: 1 });
      const pods = podsOf(e, r);
      assert.equal(pods.length, 3);
      for (const p of pods) {
        assert.match(p.metadata.name as string, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
        assert.equal(p.metadata.generateName, 'web-');
        assert.deepEqual(p.metadata.labels, { app: 'web', tier: 'web' });
        assert.deepEqual(p.metadata.annotations, { note: 'from-template' });
        assert.deepEqual(p.metadata.ownerReferences, [{
          apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'web', uid: r.metadata.uid, controller: true, blockOwnerDeletion: true,
        }]);
      }
      const evs = eventsFor(e.vc, 'web');
      assert.equal(evs.length, 3);
      assert.ok(evs.every((x) => x.reason === 'SuccessfulCreate' && x.type === 'Normal' && x.source === 'replicaset-controller'));
      assert.deepEqual(evs.map((x) => x.message).sort(), pods.map((p) => `Created pod: ${p.metadata.name}`).sort());
    } finally {
      await kubelet.stop();
    }
  });
});

test('a ReplicaSet replaces deleted pods and scales down', async () => {
  await withCluster(async (e) => {
    await e.vc.store.create(rsDef(e), 'default', rsManifest('web', 3));
    await eventually(() => st(rs(e, 'web')).replicas === 3, 5000, 'three pods');
    const victim = podsOf(e, rs(e, 'web'))[0] as KubeObject;
    await e.vc.store.delete(podDef(e), 'default', victim.metadata.name as string);
    await eventually(() => podsOf(e, rs(e, 'web')).length === 3 && !podsOf(e, rs(e, 'web')).some((p) => p.metadata.uid === victim.metadata.uid), 5000, 'replacement');

    // Scale down: the not-ready pods go first.
    const [a, b] = podsOf(e, rs(e, 'web'));
    await markReady(e.vc, a as KubeObject);
    await markReady(e.vc, b as KubeObject);
    await setReplicas(e, 'web', 2);
    await eventually(() => st(rs(e, 'web')).replicas === 2 && st(rs(e, 'web')).observedGeneration === rs(e, 'web').metadata.generation, 5000, 'scaled down');
    assert.deepEqual(podsOf(e, rs(e, 'web')).map((p) => p.metadata.uid).sort(), [a, b].map((p) => p?.metadata.uid).sort());
    const deleted = eventsFor(e.vc, 'web').filter((x) => x.reason === 'SuccessfulDelete');
    assert.equal(deleted.length, 1);
    assert.match(deleted[0]?.message as string, /^Deleted pod: web-\w{5}$/);

    await setReplicas(e, 'web', 0);
    await eventually(() => st(rs(e, 'web')).replicas === 0 && listIn(e.vc, '', 'pods').length === 0, 5000, 'zero');
    assert.deepEqual(rs(e, 'web').status, { replicas: 0, observedGeneration: 3 });
  });
});

test('a ReplicaSet adopts matching orphans and releases pods that stop matching', async () => {
  await withCluster(async (e) => {
    for (const n of ['orphan-1', 'orphan-2']) {
      await e.vc.store.create(podDef(e), 'default', {
        metadata: { name: n, labels: { app: 'web' } },
        spec: { containers: [{ name: 'c', image: 'busybox' }] },
      });
    }
    // Someone else's pod is left alone.
    await e.vc.store.create(podDef(e), 'default', {
      metadata: { name: 'owned', labels: { app: 'web' }, ownerReferences: [{ apiVersion: 'v1', kind: 'ReplicationController', name: 'x', uid: 'abc', controller: true }] },
      spec: { containers: [{ name: 'c', image: 'busybox' }] },
    });
    await e.vc.store.create(rsDef(e), 'default', rsManifest('web', 3));
    await eventually(() => st(rs(e, 'web')).replicas === 3, 5000, 'three');
    const pods = podsOf(e, rs(e, 'web'));
    assert.equal(pods.length, 3);
    assert.ok(pods.some((p) => p.metadata.name === 'orphan-1') && pods.some((p) => p.metadata.name === 'orphan-2'));
    assert.equal(get(e.vc, '', 'pods', 'owned')?.metadata.ownerReferences?.[0]?.uid, 'abc');
    // Only the adopted ones lack the template's tier label.
    assert.equal(st(rs(e, 'web')).fullyLabeledReplicas, 1);
    // Events are written off the controller's path.
    await eventually(() => eventsFor(e.vc, 'web').filter((x) => x.reason === 'SuccessfulCreate').length === 1, 2000, 'one SuccessfulCreate event');

    // A pod relabelled away is released and replaced.
    await e.vc.store.guaranteedUpdate(podDef(e), 'default', 'orphan-1', (cur) => {
      cur!.metadata.labels = { app: 'other' };
      return cur!;
    });
    await eventually(() => (get(e.vc, '', 'pods', 'orphan-1')?.metadata.ownerReferences ?? []).length === 0 &&
      podsOf(e, rs(e, 'web')).length === 3, 5000, 'released and replaced');
  });
});

test('minReadySeconds delays availability, and the controller looks again when it passes', async () => {
  await withCluster(async (e) => {
    const kubelet = fakeKubelet(e.vc);
    try {
      await e.vc.store.create(rsDef(e), 'default', rsManifest('web', 2, { minReadySeconds: 2 }));
      await eventually(() => st(rs(e, 'web')).readyReplicas === 2, 5000, 'ready');
      assert.equal(st(rs(e, 'web')).availableReplicas, undefined);
      await eventually(() => st(rs(e, 'web')).availableReplicas === 2, 5000, 'available after minReadySeconds');
    } finally {
      await kubelet.stop();
    }
  });
});

test('pod creation failures set ReplicaFailure and recover', async () => {
  await withCluster(async (e) => {
    const errors: string[] = [];
    const origError = console.error;
    console.error = (...args: unknown[]) => { errors.push(args.map(String).join(' ')); };
    const store = e.vc.store;
    const origCreate = store.create.bind(store);
    let failing = true;
    store.create = async (def, ns, obj, opts) => {
      if (failing && def.plural === 'pods') {
        throw new ApiError(403, 'Forbidden', `pods "${obj.metadata.generateName}xxxxx" is forbidden: exceeded quota: q, requested: pods=1, used: pods=0, limited: pods=0`);
      }
      return origCreate(def, ns, obj, opts);
    };
    try {
      await store.create(rsDef(e), 'default', rsManifest('web', 2));
      await eventually(() => (st(rs(e, 'web')).conditions ?? []).length > 0, 5000, 'failure condition');
      const c = st(rs(e, 'web')).conditions[0];
      assert.equal(c.type, 'ReplicaFailure');
      assert.equal(c.status, 'True');
      assert.equal(c.reason, 'FailedCreate');
      assert.match(c.message, /exceeded quota/);
      const ev = eventsFor(e.vc, 'web').find((x) => x.reason === 'FailedCreate');
      assert.equal(ev?.type, 'Warning');
      assert.match(ev?.message as string, /^Error creating: pods "web-xxxxx" is forbidden: exceeded quota/);
      assert.ok(errors.some((m) => m.includes('controller replicaset') && m.includes('default/web')));
      failing = false;
      await eventually(() => st(rs(e, 'web')).replicas === 2 && st(rs(e, 'web')).conditions === undefined, 5000, 'recovered');
    } finally {
      store.create = origCreate;
      console.error = origError;
    }
  });
});

test('pods are deleted in upstream preference order', () => {
  const now = new Date('2024-01-01T12:00:00Z');
  const ts = (secondsAgo: number) => new Date(now.getTime() - secondsAgo * 1000).toISOString().replace(/\.\d+Z$/, 'Z');
  const pod = (name: string, o: { node?: string; phase?: string; ready?: boolean; readyAgo?: number; created?: number; cost?: string; restarts?: number }): KubeObject => ({
    metadata: {
      name, uid: name, creationTimestamp: ts(o.created ?? 1000),
      ...(o.cost ? { annotations: { 'controller.kubernetes.io/pod-deletion-cost': o.cost } } : {}),
    },
    spec: o.node ? { nodeName: o.node } : {},
    status: {
      phase: o.phase ?? 'Running',
      conditions: [{ type: 'Ready', status: o.ready === false ? 'False' : 'True', lastTransitionTime: ts(o.readyAgo ?? 900) }],
      containerStatuses: [{ restartCount: o.restarts ?? 0 }],
    },
  });
  const pods = [
    pod('old-ready', { node: 'n1' }),
    pod('unscheduled', { phase: 'Pending', ready: false }),
    pod('pending', { node: 'n1', phase: 'Pending', ready: false }),
    pod('not-ready', { node: 'n2', ready: false }),
    pod('costly', { node: 'n2', cost: '100' }),
    pod('cheap', { node: 'n3', cost: '-5' }),
    pod('recently-ready', { node: 'n3', readyAgo: 2 }),
    pod('restarty', { node: 'n3', restarts: 4 }),
  ];
  const order = podsToDelete(pods, pods, pods.length - 1, now).map((p) => p.metadata.name);
  assert.deepEqual(order, ['unscheduled', 'pending', 'not-ready', 'cheap', 'recently-ready', 'restarty', 'old-ready']);
  // Pods doubled up on a node go before pods alone on theirs.
  const a = pod('alone', { node: 'a' }), b1 = pod('crowded', { node: 'b' }), b2 = pod('crowded-2', { node: 'b' });
  assert.equal(podsToDelete([a, b1], [a, b1, b2], 1, now)[0]?.metadata.name, 'crowded');
});

test('pod-template-hash, semantic template equality and percentages', () => {
  const t = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx' }] } };
  const h = computeHash(t, undefined);
  assert.match(h, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
  assert.equal(computeHash(structuredClone(t), undefined), h);
  assert.notEqual(computeHash(t, 1), h);
  assert.notEqual(computeHash({ ...t, spec: { containers: [{ name: 'c', image: 'nginx:2' }] } }, undefined), h);
  const withHash = { metadata: { labels: { app: 'web', 'pod-template-hash': h }, annotations: {} }, spec: t.spec };
  assert.ok(equalIgnoreHash(t, withHash));
  assert.ok(!equalIgnoreHash(t, { ...withHash, spec: { containers: [{ name: 'c', image: 'other' }] } }));
  // Go zero values of plain fields equal absent ones (a protobuf write may carry them, kubectl undo does not).
  const zeros = { metadata: { generation: 0, labels: { app: 'web' } }, spec: { hostNetwork: false, containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80, hostPort: 0 }] }] } };
  const plain = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx', ports: [{ containerPort: 80 }] }] } };
  assert.ok(equalIgnoreHash(zeros, plain));
  assert.equal(computeHash(zeros, undefined), computeHash(plain, undefined));
  // Pointer fields keep their zeros: runAsUser 0 is not "unset".
  assert.ok(!equalIgnoreHash({ spec: { securityContext: { runAsUser: 0 } } }, { spec: {} }));
  assert.equal(scaledValue('25%', 3, true), 1);
  assert.equal(scaledValue('25%', 3, false), 0);
  assert.equal(scaledValue('50%', 5, true), 3);
  assert.equal(scaledValue(2, 10, false), 2);
});
