// Priority admission: a pod's priority and preemption policy from its class,
// the globalDefault class, the system classes every cluster holds, and
// upstream's refusals.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { createNamespace, createPod, openPolicyCluster, podObject, rejection } from './testing.ts';

type Spec = { priority?: number; preemptionPolicy?: string; priorityClassName?: string };
const specOf = (pod: KubeObject) => pod.spec as Spec;

test('pods get 0 and PreemptLowerPriority without classes, their class\'s value and policy, or the system classes\'', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'p1');
    const classes = ctx.def('scheduling.k8s.io', 'v1', 'priorityclasses');
    // Every cluster holds the two system classes from its start.
    assert.equal((vc.store.peek(classes, undefined, 'system-node-critical') as KubeObject & { value: number }).value, 2000001000);
    assert.equal((vc.store.peek(classes, undefined, 'system-cluster-critical') as KubeObject & { value: number }).value, 2000000000);

    const plain = await createPod(ctx, 'p1', 'plain');
    assert.deepEqual({ ...specOf(plain) }.priority, 0);
    assert.equal(specOf(plain).preemptionPolicy, 'PreemptLowerPriority');
    assert.equal(specOf(plain).priorityClassName, undefined);

    await vc.store.create(classes, undefined, { apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'batch' }, value: 100, preemptionPolicy: 'Never' } as KubeObject);
    const batch = await createPod(ctx, 'p1', 'batch', { spec: { priorityClassName: 'batch' } });
    assert.equal(specOf(batch).priority, 100);
    assert.equal(specOf(batch).preemptionPolicy, 'Never');
    const critical = await createPod(ctx, 'p1', 'critical', { spec: { priorityClassName: 'system-cluster-critical' } });
    assert.equal(specOf(critical).priority, 2000000000);

    // A priority or policy that agrees with the class is fine; one that does not is refused.
    const same = await createPod(ctx, 'p1', 'same', { spec: { priorityClassName: 'batch', priority: 100, preemptionPolicy: 'Never' } });
    assert.equal(specOf(same).priority, 100);
    let r = await rejection(createPod(ctx, 'p1', 'high', { spec: { priorityClassName: 'batch', priority: 5 } }));
    assert.equal(r.code, 403);
    assert.equal(r.message, 'pods "high" is forbidden: the integer value of priority (5) must not be provided in pod spec; priority admission controller computed 100 from the given PriorityClass name');
    r = await rejection(createPod(ctx, 'p1', 'pre', { spec: { priorityClassName: 'batch', preemptionPolicy: 'PreemptLowerPriority' } }));
    assert.equal(r.message, 'pods "pre" is forbidden: the string value of PreemptionPolicy (PreemptLowerPriority) must not be provided in pod spec; priority admission controller computed Never from the given PriorityClass name');
    r = await rejection(createPod(ctx, 'p1', 'never', { spec: { preemptionPolicy: 'Never' } }));
    assert.match(r.message, /computed PreemptLowerPriority from the given PriorityClass name$/);
    r = await rejection(createPod(ctx, 'p1', 'missing', { spec: { priorityClassName: 'nope' } }));
    assert.equal(r.code, 403);
    assert.equal(r.reason, 'Forbidden');
    assert.equal(r.message, 'pods "missing" is forbidden: no PriorityClass with name nope was found');
    assert.equal(vc.store.peek(ctx.def('', 'v1', 'pods'), 'p1', 'missing'), undefined);
  } finally {
    await close();
  }
});

test('the globalDefault class: pods without a class get it, its name included; only one may be the default', async () => {
  const { vc, ctx, close } = await openPolicyCluster();
  try {
    await createNamespace(ctx, 'p2');
    const classes = ctx.def('scheduling.k8s.io', 'v1', 'priorityclasses');
    const pc = (name: string, value: number, globalDefault: boolean) => ({ apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name }, value, globalDefault } as KubeObject);
    await vc.store.create(classes, undefined, pc('normal', 1000, true));
    const pod = await createPod(ctx, 'p2', 'p');
    assert.equal(specOf(pod).priorityClassName, 'normal');
    assert.equal(specOf(pod).priority, 1000);
    assert.equal(specOf(pod).preemptionPolicy, 'PreemptLowerPriority');

    const r = await rejection(vc.store.create(classes, undefined, pc('other', 5, true), { user: { username: 'admin', groups: [] } }));
    assert.equal(r.code, 403);
    assert.equal(r.message, 'priorityclasses.scheduling.k8s.io "other" is forbidden: PriorityClass normal is already marked as default. Only one default can exist');
    // Not the default: fine; and the default itself may be written again.
    await vc.store.create(classes, undefined, pc('other', 5, false));
    await vc.store.guaranteedUpdate(classes, undefined, 'normal', (cur) => ({ ...(cur as KubeObject), description: 'the usual' } as KubeObject));
    const upgrade = await rejection(vc.store.guaranteedUpdate(classes, undefined, 'other', (cur) => ({ ...(cur as KubeObject), globalDefault: true } as KubeObject)));
    assert.match(upgrade.message, /PriorityClass normal is already marked as default/);

    // An update of the pod keeps the priority it was given.
    const podDef = ctx.def('', 'v1', 'pods');
    const cur = vc.store.peek(podDef, 'p2', 'p') as KubeObject;
    const next = structuredClone(cur);
    delete (next.spec as Spec).priority;
    delete (next.spec as Spec).preemptionPolicy;
    next.metadata.labels = { touched: 'yes' };
    const { obj } = await vc.store.update(podDef, 'p2', 'p', next);
    assert.equal(specOf(obj).priority, 1000);
    assert.equal(specOf(obj).preemptionPolicy, 'PreemptLowerPriority');
    void podObject;
  } finally {
    await close();
  }
});
