import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { admitLimitRange } from './limitrange.ts';
import { admitAndCreate, createNamespace, openPolicyCluster, podObject, rejection } from './testing.ts';

type Container = { resources?: { requests?: Record<string, string>; limits?: Record<string, string> } };

function containers(pod: KubeObject): Container[] {
  return (pod.spec as { containers: Container[] }).containers;
}

test('containers get the defaults of the namespace LimitRange, noted in an annotation', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'lr1');
    const podDef = ctx.def('', 'v1', 'pods');
    await vc.store.create(ctx.def('', 'v1', 'limitranges'), 'lr1', {
      metadata: { name: 'defaults' },
      spec: { limits: [{ type: 'Container', default: { cpu: '500m', memory: '512Mi' }, defaultRequest: { cpu: '100m', memory: '256Mi' } }] },
    });
    const pod = await admitAndCreate(ctx, podDef, 'lr1', podObject('p'));
    assert.deepEqual(containers(pod)[0]?.resources, { limits: { cpu: '500m', memory: '512Mi' }, requests: { cpu: '100m', memory: '256Mi' } });
    assert.equal(pod.metadata.annotations?.['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: cpu, memory request for container app; cpu, memory limit for container app');
    assert.equal((pod.status as { qosClass: string }).qosClass, 'Burstable');

    // A container with limits requests its limits (pod defaulting runs first); only what is missing is filled.
    const partial = podObject('q', { limits: { cpu: '200m' } });
    const spec = partial.spec as { initContainers?: unknown[] };
    spec.initContainers = [{ name: 'init', image: 'busybox', resources: { requests: { memory: '64Mi' } } }];
    const q = await admitAndCreate(ctx, podDef, 'lr1', partial);
    assert.deepEqual(containers(q)[0]?.resources, { limits: { cpu: '200m', memory: '512Mi' }, requests: { cpu: '200m', memory: '256Mi' } });
    assert.equal(q.metadata.annotations?.['kubernetes.io/limit-ranger'],
      'LimitRanger plugin set: memory request for container app; memory limit for container app; ' +
      'cpu request for init container init; cpu, memory limit for init container init');
  } finally {
    await close();
  }
});

test('min, max and ratio violations are refused with upstream texts', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'lr2');
    const podDef = ctx.def('', 'v1', 'pods');
    await vc.store.create(ctx.def('', 'v1', 'limitranges'), 'lr2', {
      metadata: { name: 'bounds' },
      spec: {
        limits: [{ type: 'Container', max: { cpu: '1', memory: '1Gi' }, min: { cpu: '100m' }, maxLimitRequestRatio: { cpu: '2' } }],
      },
    });
    // Each LimitRange answers for itself: the first one broken is reported.
    await vc.store.create(ctx.def('', 'v1', 'limitranges'), 'lr2', {
      metadata: { name: 'pods' }, spec: { limits: [{ type: 'Pod', max: { cpu: '1500m' } }] },
    });
    const big = await rejection(admitAndCreate(ctx, podDef, 'lr2', podObject('x', { requests: { cpu: '1', memory: '1Gi' }, limits: { cpu: '2', memory: '2Gi' } })));
    assert.equal(big.code, 403);
    assert.equal(big.reason, 'Forbidden');
    assert.equal(big.message, 'pods "x" is forbidden: [maximum cpu usage per Container is 1, but limit is 2, maximum memory usage per Container is 1Gi, but limit is 2Gi]');
    assert.deepEqual(big.details, { name: 'x', group: '', kind: 'pods' });

    const small = await rejection(admitAndCreate(ctx, podDef, 'lr2', podObject('y', { requests: { cpu: '50m' }, limits: { cpu: '100m' } })));
    assert.equal(small.message, 'pods "y" is forbidden: minimum cpu usage per Container is 100m, but request is 50m');

    const ratio = await rejection(admitAndCreate(ctx, podDef, 'lr2', podObject('z', { requests: { cpu: '200m' }, limits: { cpu: '800m' } })));
    assert.equal(ratio.message, 'pods "z" is forbidden: cpu max limit to request ratio per Container is 2, but provided ratio is 4.000000');

    const twice = podObject('w', { requests: { cpu: '500m' }, limits: { cpu: '800m' } });
    (twice.spec as { containers: unknown[] }).containers.push({ name: 'b', image: 'nginx', resources: { requests: { cpu: '500m' }, limits: { cpu: '800m' } } });
    const pod = await rejection(admitAndCreate(ctx, podDef, 'lr2', twice));
    assert.equal(pod.message, 'pods "w" is forbidden: maximum cpu usage per Pod is 1500m, but limit is 1600m');

    // Max without default: the LimitRange's own defaulting makes max the default limit.
    const fine = await admitAndCreate(ctx, podDef, 'lr2', podObject('ok', { requests: { cpu: '600m' } }));
    assert.deepEqual(containers(fine)[0]?.resources?.limits, { cpu: '1', memory: '1Gi' });
  } finally {
    await close();
  }
});

test('claims are held to the storage min and max; other kinds pass', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'lr3');
    const pvcDef = ctx.def('', 'v1', 'persistentvolumeclaims');
    await vc.store.create(ctx.def('', 'v1', 'limitranges'), 'lr3', {
      metadata: { name: 'storage' },
      spec: { limits: [{ type: 'PersistentVolumeClaim', min: { storage: '1Gi' }, max: { storage: '2Gi' } }] },
    });
    const claim = (name: string, size: string): KubeObject => ({
      metadata: { name }, spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: size } } },
    });
    const small = await rejection(admitAndCreate(ctx, pvcDef, 'lr3', claim('s', '500Mi')));
    assert.equal(small.message, 'persistentvolumeclaims "s" is forbidden: minimum storage usage per PersistentVolumeClaim is 1Gi, but request is 500Mi');
    const big = await rejection(admitAndCreate(ctx, pvcDef, 'lr3', claim('b', '5Gi')));
    assert.equal(big.message, 'persistentvolumeclaims "b" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 5Gi');
    const ok = await admitAndCreate(ctx, pvcDef, 'lr3', claim('ok', '1Gi'));
    // Growing a claim past the max is refused too.
    const grown = { ...ok, spec: { ...(ok.spec as object), resources: { requests: { storage: '3Gi' } } } };
    const err = await rejection(admitLimitRange(ctx, pvcDef, 'lr3', grown, ok));
    assert.equal(err.message, 'persistentvolumeclaims "ok" is forbidden: maximum storage usage per PersistentVolumeClaim is 2Gi, but request is 3Gi');
    await admitAndCreate(ctx, ctx.def('', 'v1', 'configmaps'), 'lr3', { metadata: { name: 'c' } });
  } finally {
    await close();
  }
});
