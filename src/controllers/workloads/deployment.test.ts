import { test } from 'node:test';
import assert from 'node:assert/strict';
import { eventually, openTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import type { KubeObject } from '../../api/types.ts';
import { cloneObject } from '../../registry/generic/metadata.ts';
import { startDeploymentController } from './deployment.ts';
import { startReplicaSetController } from './replicaset.ts';
import { deploymentManifest, eventsFor, fakeKubelet, get, listIn, ownedBy, type Kubelet } from './testing.ts';
import { isPodActive, isPodReady } from './util.ts';

interface Env extends TestCluster {
  kubelet: Kubelet;
  stop(): Promise<void>;
}

async function env(kubeletOpts: Parameters<typeof fakeKubelet>[1] | null = {}): Promise<Env> {
  const tc = await openTestCluster();
  const stops = [startReplicaSetController(tc.ctx), startDeploymentController(tc.ctx)];
  const kubelet = kubeletOpts === null ? { settle: async () => {}, stop: async () => {} } : fakeKubelet(tc.vc, kubeletOpts);
  return {
    ...tc, kubelet,
    async stop() {
      for (const s of stops) s();
      await kubelet.stop();
      await new Promise((r) => setTimeout(r, 20));
      await tc.close();
    },
  };
}

const depDef = (e: TestCluster) => e.ctx.def('apps', 'v1', 'deployments');

async function create(e: TestCluster, d: KubeObject): Promise<KubeObject> {
  return e.vc.store.create(depDef(e), 'default', d);
}

async function update(e: TestCluster, name: string, f: (d: KubeObject) => void): Promise<void> {
  await e.vc.store.guaranteedUpdate(depDef(e), 'default', name, (cur) => {
    const d = cur as KubeObject;
    f(d);
    return d;
  }, { fieldManager: 'kubectl' });
}

function deploy(e: TestCluster, name: string): KubeObject {
  return get(e.vc, 'apps', 'deployments', name) as KubeObject;
}

function status(d: KubeObject): Record<string, any> {
  return (d.status ?? {}) as Record<string, any>;
}

function condition(d: KubeObject, type: string): Record<string, any> | undefined {
  return (status(d).conditions ?? []).find((c: any) => c.type === type);
}

/** What `kubectl rollout status` waits for. */
function rolledOut(d: KubeObject): boolean {
  const st = status(d);
  const want = (d.spec as any).replicas ?? 1;
  return (d.metadata.generation ?? 0) <= (st.observedGeneration ?? 0) &&
    (st.updatedReplicas ?? 0) >= want && (st.replicas ?? 0) <= (st.updatedReplicas ?? 0) &&
    (st.availableReplicas ?? 0) >= (st.updatedReplicas ?? 0);
}

function replicaSets(e: TestCluster, name: string): KubeObject[] {
  return ownedBy(listIn(e.vc, 'apps', 'replicasets'), deploy(e, name));
}

function revisionOf(rs: KubeObject): string | undefined {
  return rs.metadata.annotations?.['deployment.kubernetes.io/revision'];
}

function podsOf(e: TestCluster, rs: KubeObject): KubeObject[] {
  return ownedBy(listIn(e.vc, '', 'pods'), rs);
}

function setImage(image: string) {
  return (d: KubeObject) => { ((d.spec as any).template.spec.containers[0]).image = image; };
}

test('a deployment creates its ReplicaSet and becomes Available', async () => {
  const e = await env();
  try {
    await create(e, deploymentManifest('web', { replicas: 3 }));
    await eventually(() => rolledOut(deploy(e, 'web')) && (status(deploy(e, 'web')).availableReplicas ?? 0) === 3, 5000, 'rollout');
    const d = deploy(e, 'web');
    const [rs, ...rest] = replicaSets(e, 'web');
    assert.equal(rest.length, 0);
    assert.ok(rs);
    const hash = rs.metadata.labels?.['pod-template-hash'] as string;
    assert.match(hash, /^[bcdfghjklmnpqrstvwxz2456789]{1,10}$/);
    assert.equal(rs.metadata.name, `web-${hash}`);
    assert.deepEqual((rs.spec as any).selector, { matchLabels: { app: 'web', 'pod-template-hash': hash } });
    assert.equal((rs.spec as any).template.metadata.labels['pod-template-hash'], hash);
    assert.deepEqual(rs.metadata.ownerReferences, [{
      apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', uid: d.metadata.uid, controller: true, blockOwnerDeletion: true,
    }]);
    assert.equal(revisionOf(rs), '1');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '3');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '4');
    assert.equal(d.metadata.annotations?.['deployment.kubernetes.io/revision'], '1');

    const st = status(d);
    assert.equal(st.observedGeneration, d.metadata.generation);
    assert.equal(st.replicas, 3);
    assert.equal(st.updatedReplicas, 3);
    assert.equal(st.readyReplicas, 3);
    assert.equal(st.availableReplicas, 3);
    assert.equal(st.unavailableReplicas, undefined);
    const avail = condition(d, 'Available');
    assert.equal(avail?.status, 'True');
    assert.equal(avail?.reason, 'MinimumReplicasAvailable');
    assert.equal(avail?.message, 'Deployment has minimum availability.');
    await eventually(() => condition(deploy(e, 'web'), 'Progressing')?.reason === 'NewReplicaSetAvailable', 2000, 'progressing');
    const prog = condition(deploy(e, 'web'), 'Progressing');
    assert.equal(prog?.status, 'True');
    assert.equal(prog?.message, `ReplicaSet "web-${hash}" has successfully progressed.`);

    const pods = podsOf(e, rs);
    assert.equal(pods.length, 3);
    for (const p of pods) {
      assert.match(p.metadata.name as string, new RegExp(`^web-${hash}-[bcdfghjklmnpqrstvwxz2456789]{5}$`));
      assert.deepEqual(p.metadata.labels, { app: 'web', 'pod-template-hash': hash });
    }
    const evs = eventsFor(e.vc, 'web');
    assert.deepEqual(evs.filter((x) => x.reason === 'ScalingReplicaSet').map((x) => x.message), [`Scaled up replica set web-${hash} from 0 to 3`]);
    assert.equal(evs[0]?.source, 'deployment-controller');
    const rsEvents = eventsFor(e.vc, `web-${hash}`).filter((x) => x.reason === 'SuccessfulCreate');
    assert.equal(rsEvents.length, 3);
    assert.match(rsEvents[0]?.message as string, new RegExp(`^Created pod: web-${hash}-`));
  } finally {
    await e.stop();
  }
});

test('a deployment waiting for pods is not Available', async () => {
  const e = await env(null);
  try {
    await create(e, deploymentManifest('web', { replicas: 2 }));
    await eventually(() => (status(deploy(e, 'web')).replicas ?? 0) === 2, 5000, 'pods');
    const d = deploy(e, 'web');
    assert.equal(condition(d, 'Available')?.status, 'False');
    assert.equal(condition(d, 'Available')?.reason, 'MinimumReplicasUnavailable');
    assert.equal(condition(d, 'Available')?.message, 'Deployment does not have minimum availability.');
    assert.equal(status(d).unavailableReplicas, 2);
    assert.ok(['NewReplicaSetCreated', 'ReplicaSetUpdated'].includes(condition(d, 'Progressing')?.reason));
  } finally {
    await e.stop();
  }
});

test('scaling up and down resizes the ReplicaSet', async () => {
  const e = await env();
  try {
    await create(e, deploymentManifest('web', { replicas: 3 }));
    await eventually(() => rolledOut(deploy(e, 'web')), 5000, 'rollout');
    const rsName = replicaSets(e, 'web')[0]?.metadata.name as string;

    await update(e, 'web', (d) => { (d.spec as any).replicas = 5; });
    await eventually(() => rolledOut(deploy(e, 'web')) && status(deploy(e, 'web')).availableReplicas === 5, 5000, 'scale up');
    let rs = get(e.vc, 'apps', 'replicasets', rsName) as KubeObject;
    assert.equal((rs.spec as any).replicas, 5);
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '5');
    assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '7');
    assert.equal(podsOf(e, rs).length, 5);

    await update(e, 'web', (d) => { (d.spec as any).replicas = 2; });
    await eventually(() => rolledOut(deploy(e, 'web')) && status(deploy(e, 'web')).replicas === 2, 5000, 'scale down');
    rs = get(e.vc, 'apps', 'replicasets', rsName) as KubeObject;
    assert.equal((rs.spec as any).replicas, 2);
    assert.equal(podsOf(e, rs).filter(isPodActive).length, 2);
    assert.equal(replicaSets(e, 'web').length, 1);
    const msgs = eventsFor(e.vc, 'web').filter((x) => x.reason === 'ScalingReplicaSet').map((x) => x.message);
    assert.deepEqual(msgs, [
      `Scaled up replica set ${rsName} from 0 to 3`,
      `Scaled up replica set ${rsName} from 3 to 5`,
      `Scaled down replica set ${rsName} from 5 to 2`,
    ]);
  } finally {
    await e.stop();
  }
});

for (const [label, surge, unavailable, replicas, maxTotal, minAvailable] of [
  ['ints', 1, 1, 4, 5, 3],
  ['percentages', '50%', '25%', 6, 9, 5],
  ['surge only', 2, 0, 3, 5, 3],
  ['unavailable only', 0, 2, 4, 4, 2],
  ['defaults, many replicas, uneven readiness', '25%', '25%', 20, 25, 15],
] as const) {
  test(`a template change rolls out within maxSurge and maxUnavailable (${label})`, async () => {
    const e = await env({ delayMs: () => Math.floor(Math.random() * 15) });
    try {
      await create(e, deploymentManifest('web', {
        replicas, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: surge, maxUnavailable: unavailable } },
      }));
      await eventually(() => rolledOut(deploy(e, 'web')) && status(deploy(e, 'web')).availableReplicas === replicas, 5000, 'first rollout');
      const violations: string[] = [];
      let maxSeen = 0, minReady = Infinity;
      const check = () => {
        const d = deploy(e, 'web');
        if (!d) return;
        const rss = ownedBy(listIn(e.vc, 'apps', 'replicasets'), d);
        const total = rss.reduce((n, rs) => n + ((rs.spec as any).replicas ?? 0), 0);
        maxSeen = Math.max(maxSeen, total);
        if (total > maxTotal) violations.push(`replica sets want ${total} pods`);
        const ready = listIn(e.vc, '', 'pods').filter((p) => isPodActive(p) && isPodReady(p)).length;
        minReady = Math.min(minReady, ready);
        if (ready < minAvailable) violations.push(`only ${ready} ready pods`);
      };
      const unsub = [
        e.vc.cache.subscribe({ prefix: '/registry/apps/replicasets/', onEvent: check }),
        e.vc.cache.subscribe({ prefix: '/registry/core/pods/', onEvent: check }),
      ];
      await update(e, 'web', setImage('nginx:1.26'));
      await eventually(() => {
        const d = deploy(e, 'web');
        return rolledOut(d) && status(d).availableReplicas === replicas && replicaSets(e, 'web').length === 2 &&
          replicaSets(e, 'web').every((rs) => (rs.status as any)?.replicas === ((rs.spec as any).replicas));
      }, 10000, 'second rollout');
      for (const u of unsub) u();
      assert.deepEqual(violations, []);
      assert.equal(maxSeen, maxTotal, 'the rollout used its surge');
      const rss = replicaSets(e, 'web').sort((a, b) => Number(revisionOf(a)) - Number(revisionOf(b)));
      assert.deepEqual(rss.map(revisionOf), ['1', '2']);
      assert.equal((rss[0]?.spec as any).replicas, 0);
      assert.equal((rss[1]?.spec as any).replicas, replicas);
      assert.equal((rss[1]?.spec as any).template.spec.containers[0].image, 'nginx:1.26');
      assert.equal(deploy(e, 'web').metadata.annotations?.['deployment.kubernetes.io/revision'], '2');
      await eventually(() => condition(deploy(e, 'web'), 'Progressing')?.reason === 'NewReplicaSetAvailable', 2000, 'complete');
      const pods = listIn(e.vc, '', 'pods').filter(isPodActive);
      assert.equal(pods.length, replicas);
      assert.ok(pods.every((p) => (p.spec as any).containers[0].image === 'nginx:1.26'));
    } finally {
      await e.stop();
    }
  });
}

test('revisions count up and revisionHistoryLimit removes the oldest ReplicaSets', async () => {
  const e = await env();
  try {
    await create(e, deploymentManifest('web', { replicas: 2, revisionHistoryLimit: 2, annotations: { 'kubernetes.io/change-cause': 'v1' } }));
    await eventually(() => rolledOut(deploy(e, 'web')), 5000, 'rollout 1');
    for (const v of [2, 3, 4, 5]) {
      await update(e, 'web', (d) => {
        setImage(`nginx:1.${20 + v}`)(d);
        d.metadata.annotations = { ...d.metadata.annotations, 'kubernetes.io/change-cause': `v${v}` };
      });
      await eventually(() => {
        const d = deploy(e, 'web');
        return rolledOut(d) && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === String(v);
      }, 5000, `rollout ${v}`);
    }
    await eventually(() => replicaSets(e, 'web').length === 3, 5000, 'cleanup');
    const rss = replicaSets(e, 'web').sort((a, b) => Number(revisionOf(a)) - Number(revisionOf(b)));
    assert.deepEqual(rss.map(revisionOf), ['3', '4', '5']);
    assert.deepEqual(rss.map((rs) => rs.metadata.annotations?.['kubernetes.io/change-cause']), ['v3', 'v4', 'v5']);
    assert.deepEqual(rss.map((rs) => (rs.spec as any).replicas), [0, 0, 2]);
  } finally {
    await e.stop();
  }
});

test('rollout undo brings an old ReplicaSet back under a new revision', async () => {
  const e = await env();
  try {
    await create(e, deploymentManifest('web', { replicas: 2, image: 'nginx:1.25' }));
    await eventually(() => rolledOut(deploy(e, 'web')), 5000, 'rollout 1');
    await update(e, 'web', setImage('nginx:1.26'));
    await eventually(() => rolledOut(deploy(e, 'web')) && deploy(e, 'web').metadata.annotations?.['deployment.kubernetes.io/revision'] === '2', 5000, 'rollout 2');
    const first = replicaSets(e, 'web').find((rs) => revisionOf(rs) === '1') as KubeObject;

    // What `kubectl rollout undo` sends: revision 1's template without the hash label.
    const template = cloneObject((first.spec as any).template);
    delete template.metadata.labels['pod-template-hash'];
    await update(e, 'web', (d) => { (d.spec as any).template = template; });

    await eventually(() => {
      const d = deploy(e, 'web');
      return rolledOut(d) && d.metadata.annotations?.['deployment.kubernetes.io/revision'] === '3' &&
        status(d).availableReplicas === 2 && replicaSets(e, 'web').every((rs) => (rs.status as any)?.replicas === (rs.spec as any).replicas);
    }, 5000, 'rollback');
    const rss = replicaSets(e, 'web');
    assert.equal(rss.length, 2);
    const back = get(e.vc, 'apps', 'replicasets', first.metadata.name as string) as KubeObject;
    assert.equal(revisionOf(back), '3');
    assert.equal(back.metadata.annotations?.['deployment.kubernetes.io/revision-history'], '1');
    assert.equal((back.spec as any).replicas, 2);
    const other = rss.find((rs) => rs.metadata.uid !== back.metadata.uid) as KubeObject;
    assert.equal(revisionOf(other), '2');
    assert.equal((other.spec as any).replicas, 0);
    assert.ok(listIn(e.vc, '', 'pods').filter(isPodActive).every((p) => (p.spec as any).containers[0].image === 'nginx:1.25'));
  } finally {
    await e.stop();
  }
});

test('a paused deployment scales but does not roll out until resumed', async () => {
  const e = await env();
  try {
    await create(e, deploymentManifest('web', { replicas: 2 }));
    await eventually(() => rolledOut(deploy(e, 'web')), 5000, 'rollout');
    await update(e, 'web', (d) => { (d.spec as any).paused = true; });
    await eventually(() => condition(deploy(e, 'web'), 'Progressing')?.reason === 'DeploymentPaused', 2000, 'paused condition');
    assert.equal(condition(deploy(e, 'web'), 'Progressing')?.status, 'Unknown');
    assert.equal(condition(deploy(e, 'web'), 'Progressing')?.message, 'Deployment is paused');

    await update(e, 'web', setImage('nginx:1.26'));
    await update(e, 'web', (d) => { (d.spec as any).replicas = 3; });
    await eventually(() => status(deploy(e, 'web')).observedGeneration === deploy(e, 'web').metadata.generation &&
      status(deploy(e, 'web')).availableReplicas === 3, 5000, 'scaled while paused');
    assert.equal(replicaSets(e, 'web').length, 1);
    assert.equal(status(deploy(e, 'web')).updatedReplicas, undefined);
    assert.ok(!rolledOut(deploy(e, 'web')));

    await update(e, 'web', (d) => { (d.spec as any).paused = false; });
    await eventually(() => {
      const d = deploy(e, 'web');
      return rolledOut(d) && status(d).availableReplicas === 3 && replicaSets(e, 'web').length === 2;
    }, 5000, 'resumed rollout');
    await eventually(() => condition(deploy(e, 'web'), 'Progressing')?.reason === 'NewReplicaSetAvailable', 3000, 'complete');
    assert.ok(listIn(e.vc, '', 'pods').filter(isPodActive).every((p) => (p.spec as any).containers[0].image === 'nginx:1.26'));
  } finally {
    await e.stop();
  }
});

test('Recreate removes every old pod before the new ReplicaSet starts', async () => {
  const e = await env({ delayMs: 2 });
  try {
    await create(e, deploymentManifest('web', { replicas: 3, strategy: { type: 'Recreate' } }));
    await eventually(() => rolledOut(deploy(e, 'web')), 5000, 'rollout');
    const old = replicaSets(e, 'web')[0] as KubeObject;
    const problems: string[] = [];
    const unsub = e.vc.cache.subscribe({
      prefix: '/registry/core/pods/',
      onEvent: (ev) => {
        if (ev.type !== 'ADDED') return;
        const oldPods = podsOf(e, old).filter((p) => ((p.status as any)?.phase ?? 'Pending') !== 'Succeeded');
        if (oldPods.length > 0) problems.push(`${ev.obj.metadata.name} created while ${oldPods.length} old pods exist`);
      },
    });
    await update(e, 'web', setImage('nginx:1.26'));
    await eventually(() => rolledOut(deploy(e, 'web')) && replicaSets(e, 'web').length === 2 && status(deploy(e, 'web')).availableReplicas === 3, 5000, 'recreate');
    unsub();
    assert.deepEqual(problems, []);
    const msgs = eventsFor(e.vc, 'web').filter((x) => x.reason === 'ScalingReplicaSet').map((x) => x.message);
    assert.equal(msgs[1], `Scaled down replica set ${old.metadata.name} from 3 to 0`);
    assert.match(msgs[2] as string, /^Scaled up replica set web-\w+ from 0 to 3$/);
    // Recreate tolerates no unavailability: Available only with every replica.
    assert.equal(condition(deploy(e, 'web'), 'Available')?.status, 'True');
  } finally {
    await e.stop();
  }
});

test('scaling during a stuck rollout spreads replicas proportionally', async () => {
  const e = await env({ accept: (p) => (p.spec as any).containers[0].image === 'nginx:1.25' });
  try {
    await create(e, deploymentManifest('web', {
      replicas: 10, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: 3, maxUnavailable: 2 } },
    }));
    await eventually(() => rolledOut(deploy(e, 'web')) && status(deploy(e, 'web')).availableReplicas === 10, 5000, 'rollout');
    const oldName = replicaSets(e, 'web')[0]?.metadata.name;
    await update(e, 'web', setImage('nginx:broken'));
    const sizes = () => {
      const rss = replicaSets(e, 'web');
      const old = rss.find((rs) => rs.metadata.name === oldName);
      const neu = rss.find((rs) => rs.metadata.name !== oldName);
      return [(old?.spec as any)?.replicas, (neu?.spec as any)?.replicas];
    };
    await eventually(() => sizes()[0] === 8 && sizes()[1] === 5, 5000, 'stuck at 8 + 5');
    await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(sizes(), [8, 5]);

    await update(e, 'web', (d) => { (d.spec as any).replicas = 15; });
    await eventually(() => sizes()[0] === 11 && sizes()[1] === 7, 5000, 'proportional');
    for (const rs of replicaSets(e, 'web')) {
      assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/desired-replicas'], '15');
      assert.equal(rs.metadata.annotations?.['deployment.kubernetes.io/max-replicas'], '18');
    }
  } finally {
    await e.stop();
  }
});

test('a rollout without progress exceeds its deadline', async () => {
  const e = await env(null);
  try {
    await create(e, deploymentManifest('web', { replicas: 1, progressDeadlineSeconds: 1 }));
    await eventually(() => condition(deploy(e, 'web'), 'Progressing')?.reason === 'ProgressDeadlineExceeded', 6000, 'deadline');
    const c = condition(deploy(e, 'web'), 'Progressing');
    const rsName = replicaSets(e, 'web')[0]?.metadata.name;
    assert.equal(c?.status, 'False');
    assert.equal(c?.message, `ReplicaSet "${rsName}" has timed out progressing.`);
  } finally {
    await e.stop();
  }
});

test('a failing reconcile is logged and retried, and other controllers keep working', async () => {
  const e = await env();
  const errors: string[] = [];
  const origError = console.error;
  console.error = (...args: unknown[]) => { errors.push(args.map(String).join(' ')); };
  const store = e.vc.store;
  const origCreate = store.create.bind(store);
  let failures = 0;
  store.create = async (def, ns, obj, opts) => {
    if (def.plural === 'replicasets' && obj.metadata.name?.startsWith('flaky-') && failures < 2) {
      failures++;
      throw new Error('injected failure');
    }
    return origCreate(def, ns, obj, opts);
  };
  try {
    await create(e, deploymentManifest('flaky', { replicas: 2 }));
    await create(e, deploymentManifest('steady', { replicas: 2 }));
    await e.vc.store.create(e.ctx.def('apps', 'v1', 'replicasets'), 'default', {
      metadata: { name: 'solo' },
      spec: {
        replicas: 2, selector: { matchLabels: { app: 'solo' } },
        template: { metadata: { labels: { app: 'solo' } }, spec: { containers: [{ name: 'c', image: 'busybox' }] } },
      },
    });
    await eventually(() => rolledOut(deploy(e, 'steady')) && ((get(e.vc, 'apps', 'replicasets', 'solo')?.status as any)?.readyReplicas === 2), 5000, 'others');
    await eventually(() => rolledOut(deploy(e, 'flaky')) && status(deploy(e, 'flaky')).availableReplicas === 2, 5000, 'flaky recovers');
    assert.equal(failures, 2);
    assert.ok(errors.some((m) => m.includes('controller deployment') && m.includes('default/flaky') && m.includes('injected failure')), errors.join('\n'));
    const failed = eventsFor(e.vc, 'flaky').find((x) => x.reason === 'ReplicaSetCreateError');
    assert.match(failed?.message as string, /^Failed to create new replica set "flaky-\w+": injected failure$/);
  } finally {
    store.create = origCreate;
    console.error = origError;
    await e.stop();
  }
});

test('orphaned ReplicaSets matching the selector are adopted', async () => {
  const e = await env();
  try {
    const rsDef = e.ctx.def('apps', 'v1', 'replicasets');
    // A ReplicaSet left behind by an orphaning delete, still carrying the deployment's template.
    const d0 = deploymentManifest('web', { replicas: 2 });
    await e.vc.store.create(rsDef, 'default', {
      metadata: { name: 'web-old', labels: { app: 'web' } },
      spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template: cloneObject((d0.spec as any).template) },
    });
    await eventually(() => ((get(e.vc, 'apps', 'replicasets', 'web-old')?.status as any)?.availableReplicas ?? 0) === 2, 5000, 'orphan running');
    await create(e, d0);
    await eventually(() => rolledOut(deploy(e, 'web')) && status(deploy(e, 'web')).availableReplicas === 2, 5000, 'adopted');
    const rss = replicaSets(e, 'web');
    assert.deepEqual(rss.map((rs) => rs.metadata.name), ['web-old']);
    assert.equal(revisionOf(rss[0] as KubeObject), '1');
  } finally {
    await e.stop();
  }
});

test('minReadySeconds follows the deployment onto its ReplicaSet without a new rollout', async () => {
  const e = await env();
  try {
    await create(e, deploymentManifest('web', { replicas: 2, minReadySeconds: 1 }));
    await eventually(() => rolledOut(deploy(e, 'web')), 6000, 'rollout');
    const [rs] = replicaSets(e, 'web');
    assert.equal((rs?.spec as any).minReadySeconds, 1);
    await update(e, 'web', (d) => { delete (d.spec as any).minReadySeconds; });
    await eventually(() => (replicaSets(e, 'web')[0]?.spec as any).minReadySeconds === undefined, 5000, 'minReadySeconds dropped');
    assert.equal(replicaSets(e, 'web').length, 1);
    assert.equal(replicaSets(e, 'web')[0]?.metadata.name, rs?.metadata.name);
  } finally {
    await e.stop();
  }
});
