import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { resourcePrefix } from '../../registry/generic/keys.ts';
import { startStatefulSetController } from './statefulset.ts';
import { autoReady, markReady, podNames, pods, setPodStatus, statefulSetRollout } from './testing.ts';
import type { Pod } from './util.ts';

const ns = 'default';

async function withCluster(fn: (tc: TestCluster) => Promise<void>): Promise<void> {
  const tc = await openTestCluster();
  const stop = startStatefulSetController(tc.ctx);
  try {
    await fn(tc);
  } finally {
    stop();
    await tc.close();
  }
}

function sts(name: string, spec: Record<string, unknown> = {}, image = 'nginx:1.25'): KubeObject {
  return {
    metadata: { name },
    spec: {
      serviceName: name,
      replicas: 3,
      selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'c', image }] } },
      ...spec,
    },
  };
}

function get(tc: TestCluster, plural: string, name: string, group = 'apps'): KubeObject | undefined {
  return tc.vc.store.peek(tc.ctx.def(group, 'v1', plural), ns, name);
}

function setImage(tc: TestCluster, name: string, image: string) {
  return tc.vc.store.guaranteedUpdate(tc.ctx.def('apps', 'v1', 'statefulsets'), ns, name, (cur) => {
    const o = cur as KubeObject;
    ((o.spec as any).template.spec.containers[0]).image = image;
    return o;
  });
}

function patchSpec(tc: TestCluster, name: string, f: (spec: any) => void) {
  return tc.vc.store.guaranteedUpdate(tc.ctx.def('apps', 'v1', 'statefulsets'), ns, name, (cur) => {
    const o = cur as KubeObject;
    f(o.spec);
    return o;
  });
}

function revisions(tc: TestCluster, owner: string): KubeObject[] {
  const def = tc.ctx.def('apps', 'v1', 'controllerrevisions');
  const out: KubeObject[] = [];
  for (const c of tc.vc.cache.scan(`${resourcePrefix(def)}${ns}/`)) {
    if (c.obj.metadata.ownerReferences?.some((r) => r.name === owner)) out.push(c.obj);
  }
  return out.sort((a, b) => (a.revision as number) - (b.revision as number));
}

function events(tc: TestCluster, involved: string): KubeObject[] {
  const def = tc.ctx.def('', 'v1', 'events');
  const out: KubeObject[] = [];
  for (const c of tc.vc.cache.scan(`${resourcePrefix(def)}${ns}/`)) {
    if ((c.obj.involvedObject as { name?: string }).name === involved) out.push(c.obj);
  }
  return out;
}

const image = (p: Pod) => ((p.spec as any).containers[0].image as string);

test('OrderedReady: pods are created one at a time, each after its predecessor is Running and Ready', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', {
      volumeClaimTemplates: [{ metadata: { name: 'data', labels: { tier: 'db' } }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
    }));
    await eventually(() => podNames(vc, ns).length === 1, 5000, 'web-0');
    // Nothing more while web-0 is pending.
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(podNames(vc, ns), ['web-0']);
    const p0 = pods(vc, ns)[0] as Pod;
    const set = get(tc, 'statefulsets', 'web') as KubeObject;
    assert.equal(p0.metadata.generateName, 'web-');
    assert.equal(p0.metadata.labels?.['statefulset.kubernetes.io/pod-name'], 'web-0');
    assert.equal(p0.metadata.labels?.['apps.kubernetes.io/pod-index'], '0');
    assert.equal(p0.metadata.labels?.app, 'web');
    assert.equal(p0.spec?.hostname, 'web-0');
    assert.equal(p0.spec?.subdomain, 'web');
    assert.deepEqual(p0.metadata.ownerReferences, [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'web', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
    assert.deepEqual(p0.spec?.volumes?.[0], { name: 'data', persistentVolumeClaim: { claimName: 'data-web-0' } });
    const claim = get(tc, 'persistentvolumeclaims', 'data-web-0', '') as KubeObject;
    assert.deepEqual(claim.metadata.labels, { tier: 'db', app: 'web' });
    assert.equal(claim.metadata.ownerReferences, undefined, 'Retain/Retain: claims have no owners');

    const [rev] = revisions(tc, 'web');
    assert.ok(rev);
    assert.equal(rev.revision, 1);
    assert.match(rev.metadata.name as string, /^web-[bcdfghjklmnpqrstvwxz2456789]+$/);
    assert.equal(p0.metadata.labels?.['controller-revision-hash'], rev.metadata.name);
    assert.equal(rev.metadata.labels?.['controller.kubernetes.io/hash'], (rev.metadata.name as string).slice(4));
    assert.equal(((rev.data as any).spec.template.$patch), 'replace');

    await markReady(vc, ns, 'web-0');
    await eventually(() => podNames(vc, ns).length === 2, 5000, 'web-1');
    await markReady(vc, ns, 'web-1');
    await eventually(() => podNames(vc, ns).length === 3, 5000, 'web-2');
    assert.ok(!statefulSetRollout(get(tc, 'statefulsets', 'web')!).done);
    await markReady(vc, ns, 'web-2');
    await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'web')!).done, 5000, 'rollout');
    const st = get(tc, 'statefulsets', 'web')!.status as any;
    assert.deepEqual(st, {
      observedGeneration: 1, replicas: 3, readyReplicas: 3, currentReplicas: 3, updatedReplicas: 3,
      currentRevision: rev.metadata.name, updateRevision: rev.metadata.name, collisionCount: 0, availableReplicas: 3,
    });
    const msgs = events(tc, 'web').map((e) => `${e.reason}: ${e.message}`);
    assert.ok(msgs.includes('SuccessfulCreate: create Pod web-0 in StatefulSet web successful'), msgs.join('\n'));
    assert.ok(msgs.includes('SuccessfulCreate: create Claim data-web-0 Pod web-0 in StatefulSet web success'), msgs.join('\n'));
  });
});

test('scale down removes pods in reverse order, one at a time; claims are retained', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    const stopKubelet = autoReady(vc, ns);
    try {
      await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('db', {
        replicas: 4,
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      }));
      await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'db')!).done, 5000, 'rollout');
      const deleted: string[] = [];
      const unsub = vc.cache.subscribe({ prefix: `${resourcePrefix(ctx.def('', 'v1', 'pods'))}${ns}/`, onEvent: (ev) => { if (ev.type === 'DELETED') deleted.push(ev.obj.metadata.name as string); } });
      await patchSpec(tc, 'db', (s) => { s.replicas = 1; });
      await eventually(() => podNames(vc, ns).length === 1, 5000, 'scale down');
      unsub();
      assert.deepEqual(deleted, ['db-3', 'db-2', 'db-1']);
      assert.ok(get(tc, 'persistentvolumeclaims', 'data-db-3', ''), 'claims stay');
      await eventually(() => (get(tc, 'statefulsets', 'db')!.status as any).replicas === 1, 5000, 'status');
    } finally {
      stopKubelet();
    }
  });
});

test('Parallel: all pods at once, without waiting for readiness', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('par', { replicas: 4, podManagementPolicy: 'Parallel' }));
    await eventually(() => podNames(vc, ns).length === 4, 5000, 'all pods');
    assert.deepEqual(podNames(vc, ns), ['par-0', 'par-1', 'par-2', 'par-3']);
    await patchSpec(tc, 'par', (s) => { s.replicas = 1; });
    await eventually(() => podNames(vc, ns).join() === 'par-0', 5000, 'scale down without readiness');
  });
});

test('RollingUpdate: highest ordinal first, each replacement Ready before the next; currentRevision follows', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    const stopKubelet = autoReady(vc, ns);
    try {
      await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web'));
      await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'web')!).done, 5000, 'rollout');
      const rev1 = (get(tc, 'statefulsets', 'web')!.status as any).currentRevision as string;
      const order: string[] = [];
      let maxDown = 0;
      const unsub = vc.cache.subscribe({ prefix: `${resourcePrefix(ctx.def('', 'v1', 'pods'))}${ns}/`, onEvent: (ev) => {
        if (ev.type === 'DELETED') order.push(ev.obj.metadata.name as string);
        const ready = pods(vc, ns, (p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') === true).length;
        maxDown = Math.max(maxDown, 3 - ready);
      } });
      await setImage(tc, 'web', 'nginx:1.26');
      await eventually(() => {
        const s = get(tc, 'statefulsets', 'web')!;
        return (s.status as any).observedGeneration === 2 && statefulSetRollout(s).done && (s.status as any).currentRevision !== rev1;
      }, 5000, 'update rollout');
      unsub();
      assert.deepEqual(order, ['web-2', 'web-1', 'web-0']);
      assert.equal(maxDown, 1, 'one pod at a time');
      assert.deepEqual(pods(vc, ns).map(image), ['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);
      const st = get(tc, 'statefulsets', 'web')!.status as any;
      assert.equal(st.currentRevision, st.updateRevision);
      assert.equal(st.updatedReplicas, 3);
      assert.equal(st.currentReplicas, 3);
      assert.deepEqual(revisions(tc, 'web').map((r) => r.revision), [1, 2]);
      assert.ok(pods(vc, ns).every((p) => p.metadata.labels?.['controller-revision-hash'] === st.updateRevision));

      // Rolling back to the first template renumbers its revision instead of making a new one.
      await setImage(tc, 'web', 'nginx:1.25');
      await eventually(() => {
        const s = get(tc, 'statefulsets', 'web')!;
        return (s.status as any).observedGeneration === 3 && statefulSetRollout(s).done && (s.status as any).currentRevision === rev1;
      }, 5000, 'rollback');
      assert.deepEqual(revisions(tc, 'web').map((r) => [r.metadata.name, r.revision]), [[st.updateRevision, 2], [rev1, 3]]);
    } finally {
      stopKubelet();
    }
  });
});

test('RollingUpdate with a partition updates only the ordinals at or above it', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    const stopKubelet = autoReady(vc, ns);
    try {
      await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', { updateStrategy: { type: 'RollingUpdate', rollingUpdate: { partition: 2 } } }));
      await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'web')!).done && podNames(vc, ns).length === 3, 5000, 'rollout');
      await setImage(tc, 'web', 'nginx:1.26');
      await eventually(() => {
        const s = get(tc, 'statefulsets', 'web')!;
        return (s.status as any).observedGeneration === 2 && statefulSetRollout(s).done && (s.status as any).updatedReplicas === 1;
      }, 5000, 'partitioned rollout');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(pods(vc, ns).map(image), ['nginx:1.25', 'nginx:1.25', 'nginx:1.26']);
      const st = get(tc, 'statefulsets', 'web')!.status as any;
      assert.notEqual(st.currentRevision, st.updateRevision);
      assert.equal(st.currentReplicas, 2);
      assert.match(statefulSetRollout(get(tc, 'statefulsets', 'web')!).message, /^partitioned roll out complete/);
      // A deleted pod below the partition comes back at the current revision.
      await vc.store.delete(ctx.def('', 'v1', 'pods'), ns, 'web-0');
      await eventually(() => pods(vc, ns).length === 3 && pods(vc, ns)[0]?.status?.phase === 'Running', 5000, 'web-0 back');
      assert.equal(image(pods(vc, ns)[0] as Pod), 'nginx:1.25');
      // Lowering the partition finishes the rollout.
      await patchSpec(tc, 'web', (s) => { s.updateStrategy.rollingUpdate.partition = 0; });
      await eventually(() => {
        const s = get(tc, 'statefulsets', 'web')!;
        return (s.status as any).currentRevision === (s.status as any).updateRevision && (s.status as any).updatedReplicas === 3;
      }, 5000, 'full rollout');
      assert.deepEqual(pods(vc, ns).map(image), ['nginx:1.26', 'nginx:1.26', 'nginx:1.26']);
    } finally {
      stopKubelet();
    }
  });
});

test('OnDelete: pods change only when deleted', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    const stopKubelet = autoReady(vc, ns);
    try {
      await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', { replicas: 2, updateStrategy: { type: 'OnDelete' } }));
      await eventually(() => pods(vc, ns).filter((p) => p.status?.phase === 'Running').length === 2, 5000, 'running');
      await setImage(tc, 'web', 'nginx:1.26');
      await eventually(() => (get(tc, 'statefulsets', 'web')!.status as any).observedGeneration === 2, 5000, 'observed');
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(pods(vc, ns).map(image), ['nginx:1.25', 'nginx:1.25']);
      await vc.store.delete(ctx.def('', 'v1', 'pods'), ns, 'web-1');
      await eventually(() => pods(vc, ns).length === 2 && image(pods(vc, ns)[1] as Pod) === 'nginx:1.26', 5000, 'web-1 replaced');
      assert.equal(image(pods(vc, ns)[0] as Pod), 'nginx:1.25');
      await eventually(() => (get(tc, 'statefulsets', 'web')!.status as any).updatedReplicas === 1, 5000, 'status');
    } finally {
      stopKubelet();
    }
  });
});

test('maxUnavailable lets several pods update at once', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', {
      replicas: 4, podManagementPolicy: 'Parallel', updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 2 } },
    }));
    await eventually(() => podNames(vc, ns).length === 4, 5000, 'pods');
    for (const n of podNames(vc, ns)) await markReady(vc, ns, n);
    await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'web')!).done, 5000, 'rollout');
    const before = new Map(pods(vc, ns).map((p) => [p.metadata.name, p.metadata.uid]));
    await setImage(tc, 'web', 'nginx:1.26');
    const replaced = () => pods(vc, ns).filter((p) => before.get(p.metadata.name) !== p.metadata.uid).map((p) => p.metadata.name).sort();
    await eventually(() => replaced().length === 2, 5000, 'two replaced');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(replaced(), ['web-2', 'web-3'], 'highest ordinals first, two at a time, then wait');
    for (const n of ['web-2', 'web-3']) await markReady(vc, ns, n);
    await eventually(() => replaced().length === 4, 5000, 'rest replaced');
    for (const n of ['web-0', 'web-1']) await markReady(vc, ns, n);
    await eventually(() => {
      const s = get(tc, 'statefulsets', 'web')!;
      return statefulSetRollout(s).done && (s.status as any).currentRevision === (s.status as any).updateRevision;
    }, 5000, 'done');
  });
});

test('retention policy Delete/Delete: claims owned by the set, and by the pod once scaled away', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    const stopKubelet = autoReady(vc, ns);
    try {
      await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('db', {
        replicas: 2,
        persistentVolumeClaimRetentionPolicy: { whenDeleted: 'Delete', whenScaled: 'Delete' },
        volumeClaimTemplates: [{ metadata: { name: 'data' }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '1Gi' } } } }],
      }));
      await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'db')!).done, 5000, 'rollout');
      const set = get(tc, 'statefulsets', 'db')!;
      for (const c of ['data-db-0', 'data-db-1']) {
        assert.deepEqual(get(tc, 'persistentvolumeclaims', c, '')!.metadata.ownerReferences,
          [{ apiVersion: 'apps/v1', kind: 'StatefulSet', name: 'db', uid: set.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      }
      const pod1 = pods(vc, ns).find((p) => p.metadata.name === 'db-1') as Pod;
      await patchSpec(tc, 'db', (s) => { s.replicas = 1; });
      await eventually(() => podNames(vc, ns).join() === 'db-0', 5000, 'scaled down');
      // The condemned pod's claim now belongs to the pod, for the garbage collector to remove with it.
      assert.deepEqual(get(tc, 'persistentvolumeclaims', 'data-db-1', '')!.metadata.ownerReferences,
        [{ apiVersion: 'v1', kind: 'Pod', name: 'db-1', uid: pod1.metadata.uid, controller: true, blockOwnerDeletion: true }]);
      // While that stale claim exists, scaling up again waits for it.
      await patchSpec(tc, 'db', (s) => { s.replicas = 2; });
      await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(podNames(vc, ns), ['db-0']);
      await vc.store.delete(ctx.def('', 'v1', 'persistentvolumeclaims'), ns, 'data-db-1');
      await eventually(() => podNames(vc, ns).join() === 'db-0,db-1', 5000, 'scaled up after the claim went');
      await eventually(() => get(tc, 'persistentvolumeclaims', 'data-db-1', '')?.metadata.ownerReferences?.[0]?.kind === 'StatefulSet', 5000, 'new claim owned by the set');
    } finally {
      stopKubelet();
    }
  });
});

test('failed pods are deleted and recreated; ordinals.start shifts names', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    const stopKubelet = autoReady(vc, ns);
    try {
      await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', { replicas: 2, ordinals: { start: 5 } }));
      await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'web')!).done, 5000, 'rollout');
      assert.deepEqual(podNames(vc, ns), ['web-5', 'web-6']);
      assert.equal(pods(vc, ns)[0]?.metadata.labels?.['apps.kubernetes.io/pod-index'], '5');
      const old = pods(vc, ns)[1] as Pod;
      await setPodStatus(vc, ns, 'web-6', 'Failed', false);
      await eventually(() => { const p = pods(vc, ns)[1]; return !!p && p.metadata.uid !== old.metadata.uid && p.status?.phase === 'Running'; }, 5000, 'recreated');
      const msgs = events(tc, 'web').map((e) => `${e.reason}: ${e.message}`);
      assert.ok(msgs.includes('SuccessfulDelete: delete Pod web-6 in StatefulSet web successful'), msgs.join('\n'));
    } finally {
      stopKubelet();
    }
  });
});

test('orphans: matching pods and revisions are adopted, pods no longer selected are released', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    await vc.store.create(ctx.def('', 'v1', 'pods'), ns, {
      metadata: { name: 'web-0', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
    });
    await vc.store.create(ctx.def('', 'v1', 'pods'), ns, {
      metadata: { name: 'other-0', labels: { app: 'web' } }, spec: { containers: [{ name: 'c', image: 'nginx:1.25' }] },
    });
    await vc.store.create(ctx.def('apps', 'v1', 'controllerrevisions'), ns, {
      metadata: { name: 'web-old', labels: { app: 'web' } }, data: { spec: { template: { $patch: 'replace', metadata: { labels: { app: 'web' } } } } }, revision: 4,
    });
    // OnDelete: the set never replaces the adopted pod (of an older revision) by itself, which
    // would race the relabelling below (a replacement web-0 is the set's again).
    await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', { replicas: 1, updateStrategy: { type: 'OnDelete' } }));
    await eventually(() => pods(vc, ns).find((p) => p.metadata.name === 'web-0')?.metadata.ownerReferences?.[0]?.kind === 'StatefulSet', 5000, 'adopted');
    await eventually(() => revisions(tc, 'web').length === 2, 5000, 'revision adopted');
    assert.deepEqual(revisions(tc, 'web').map((r) => [r.metadata.name === 'web-old', r.revision]), [[true, 4], [false, 5]], 'numbering continues after adopted history');
    assert.equal(pods(vc, ns).find((p) => p.metadata.name === 'other-0')?.metadata.ownerReferences, undefined, 'not a member by name');
    // The adopted pod gets the set's identity labels once it is running and ready.
    await markReady(vc, ns, 'web-0');
    await eventually(() => pods(vc, ns).find((p) => p.metadata.name === 'web-0')?.metadata.labels?.['statefulset.kubernetes.io/pod-name'] === 'web-0', 5000, 'identity');
    // Relabel the pod: the set lets go of it and makes a new web-0... which exists, so it keeps failing until the orphan is gone.
    // (The set may be replacing web-0 with a pod of its current revision at this moment: relabel whichever web-0 there is.)
    await eventually(() => vc.store.guaranteedUpdate(ctx.def('', 'v1', 'pods'), ns, 'web-0', (cur) => { cur!.metadata.labels = { app: 'elsewhere' }; return cur!; })
      .then(() => true, (e: unknown) => { if ((e as { code?: number }).code === 404) return false; throw e; }), 5000, 'relabelled');
    await eventually(() => pods(vc, ns).find((p) => p.metadata.name === 'web-0')?.metadata.ownerReferences === undefined, 5000, 'released');
  });
});

test('revision history is trimmed to revisionHistoryLimit, keeping revisions in use', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    const stopKubelet = autoReady(vc, ns);
    try {
      await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', { replicas: 1, revisionHistoryLimit: 1 }));
      await eventually(() => statefulSetRollout(get(tc, 'statefulsets', 'web')!).done, 5000, 'rollout');
      for (const [i, img] of ['nginx:2', 'nginx:3', 'nginx:4'].entries()) {
        await setImage(tc, 'web', img);
        await eventually(() => {
          const s = get(tc, 'statefulsets', 'web')!;
          return (s.status as any).observedGeneration === i + 2 && statefulSetRollout(s).done && (s.status as any).currentRevision === (s.status as any).updateRevision;
        }, 5000, `rollout ${img}`);
      }
      await eventually(() => revisions(tc, 'web').length === 2, 5000, 'trimmed');
      assert.deepEqual(revisions(tc, 'web').map((r) => r.revision), [3, 4]);
    } finally {
      stopKubelet();
    }
  });
});

test('minReadySeconds: availability waits, and so does the next pod', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, sts('web', { replicas: 2, minReadySeconds: 1 }));
    await eventually(() => podNames(vc, ns).length === 1, 5000, 'web-0');
    await markReady(vc, ns, 'web-0');
    await eventually(() => podNames(vc, ns).length === 2, 5000, 'web-1');
    // Times are whole seconds, as the API writes them: web-1 comes no sooner than
    // minReadySeconds after web-0's Ready transition.
    const podDef = ctx.def('', 'v1', 'pods');
    const web0 = vc.store.peek(podDef, ns, 'web-0') as any;
    const web1 = vc.store.peek(podDef, ns, 'web-1') as any;
    const readyAt = Date.parse(web0.status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime);
    assert.ok(Date.parse(web1.metadata.creationTimestamp) >= readyAt + 1000,
      `web-1 (created ${web1.metadata.creationTimestamp}) waited for web-0 to be available (Ready since ${web0.status.conditions.find((c: any) => c.type === 'Ready').lastTransitionTime})`);
    // The status write follows the create of web-1.
    await eventually(() => (get(tc, 'statefulsets', 'web')!.status as any).availableReplicas === 1, 5000, 'availableReplicas 1');
  });
});

test('revision names match upstream for the same template (1.34 compatibility fixture)', async () => {
  await withCluster(async (tc) => {
    const { vc, ctx } = tc;
    await vc.store.create(ctx.def('apps', 'v1', 'statefulsets'), ns, {
      metadata: { name: 'test' },
      spec: {
        replicas: 0, serviceName: 'test', selector: { matchLabels: { app: 'foo' } },
        template: { metadata: { labels: { app: 'foo' }, annotations: { test: 'value' } }, spec: { containers: [{ name: 'test', image: 'test' }] } },
      },
    });
    await eventually(() => revisions(tc, 'test').length === 1, 5000, 'revision');
    assert.equal(revisions(tc, 'test')[0]?.metadata.name, 'test-776999688b');
  });
});
