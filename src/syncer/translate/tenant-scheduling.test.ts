import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubeObject } from '../../api/types.ts';
import { pinnedNodeOf, pinnedToNode } from './node-pin.ts';
import { bindingAfterHostPod, heldForTenant, hostNodeShown } from './tenant-scheduling.ts';

const pod = (spec: Record<string, unknown>, status: Record<string, unknown> = {}): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'default' }, spec: { containers: [{ name: 'c', image: 'i' }], ...spec }, status });

test('held: unbound and for a scheduler the host does not run; an empty name is the default scheduler', () => {
  const host = ['default-scheduler', 'volcano'];
  assert.equal(heldForTenant(pod({}), host), false);
  assert.equal(heldForTenant(pod({ schedulerName: '' }), host), false);
  assert.equal(heldForTenant(pod({ schedulerName: 'default-scheduler' }), host), false);
  assert.equal(heldForTenant(pod({ schedulerName: 'volcano' }), host), false);
  assert.equal(heldForTenant(pod({ schedulerName: 'tenant-scheduler' }), host), true);
  // Bound (by the tenant's scheduler, or created with a nodeName): it goes.
  assert.equal(heldForTenant(pod({ schedulerName: 'tenant-scheduler', nodeName: 'n1' }), host), false);
  // A host running no scheduler for this cluster: every unbound pod waits, the default scheduler's too.
  assert.equal(heldForTenant(pod({}), []), true);
  assert.equal(heldForTenant(pod({ nodeName: 'n1' }), []), false);
});

test('a binding after the host pod exists: made again while unbound and never run, else the host\'s placement stands', () => {
  const bound = pod({ nodeName: 'n2', schedulerName: 'volcano' });
  // Not bound in the virtual cluster, or bound where the host pod is (the host's binding came up).
  assert.deepEqual(bindingAfterHostPod(pod({}), pod({})), { action: 'none' });
  assert.deepEqual(bindingAfterHostPod(pod({}), pod({ nodeName: 'n1' })), { action: 'none' });
  assert.deepEqual(bindingAfterHostPod(pod({ nodeName: 'n1' }), pod({ nodeName: 'n1' })), { action: 'none' });
  // Unbound on the host: made again, pinned.
  assert.deepEqual(bindingAfterHostPod(bound, pod({ schedulerName: 'volcano' })), { action: 'recreate', node: 'n2' });
  // Pinned there already (made after the binding): left to the host scheduler.
  assert.deepEqual(bindingAfterHostPod(bound, pod({ affinity: pinnedToNode(undefined, 'n2') })), { action: 'none' });
  assert.deepEqual(bindingAfterHostPod(bound, pod({ affinity: pinnedToNode(undefined, 'n1') })), { action: 'recreate', node: 'n2' });
  // Bound elsewhere on the host first.
  assert.deepEqual(bindingAfterHostPod(bound, pod({ nodeName: 'n1' })), { action: 'stands', virtual: 'n2', host: 'n1' });
  // It ran (a host pod made again after a pause): not moved.
  assert.deepEqual(bindingAfterHostPod(pod({ nodeName: 'n2' }, { hostIP: '10.0.0.1' }), pod({})), { action: 'none' });
  assert.deepEqual(bindingAfterHostPod(bound, pod({}, { startTime: '2025-01-01T00:00:00Z' })), { action: 'none' });
});

test('pinnedNodeOf reads back what pinnedToNode wrote, into every term', () => {
  assert.equal(pinnedNodeOf(undefined), undefined);
  assert.equal(pinnedNodeOf(pinnedToNode(undefined, 'n1')), 'n1');
  const own = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['a'] }] },
    { matchExpressions: [{ key: 'zone', operator: 'In', values: ['b'] }] },
  ] } } };
  assert.equal(pinnedNodeOf(own), undefined);
  assert.equal(pinnedNodeOf(pinnedToNode(own, 'n3')), 'n3');
  const mixed = { nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [
    { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n1'] }] },
    { matchFields: [{ key: 'metadata.name', operator: 'In', values: ['n2'] }] },
  ] } } };
  assert.equal(pinnedNodeOf(mixed), undefined);
});

test('allNodes shows the host nodes the enforced node selector and tolerations let the cluster\'s pods onto', () => {
  const node = (labels: Record<string, string>, taints: unknown[] = []): KubeObject =>
    ({ apiVersion: 'v1', kind: 'Node', metadata: { name: 'n', labels }, spec: { taints } });
  assert.equal(hostNodeShown(node({}), undefined), true);
  // A control-plane node keeps everyone's pods off.
  const cp = { key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' };
  assert.equal(hostNodeShown(node({}, [cp]), undefined), false);
  assert.equal(hostNodeShown(node({}, [{ key: 'x', effect: 'PreferNoSchedule' }]), undefined), true);
  // The node's own state (cordoned, not ready) does not hide it: the virtual node shows that.
  assert.equal(hostNodeShown(node({}, [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }, { key: 'node.kubernetes.io/not-ready', effect: 'NoExecute' }]), undefined), true);
  const enforced = { nodeSelector: { pool: 'tenants' }, tolerations: [{ key: 'tenants', operator: 'Exists' as const }] };
  const tenantTaint = { key: 'tenants', value: 'yes', effect: 'NoSchedule' };
  assert.equal(hostNodeShown(node({ pool: 'tenants' }, [tenantTaint]), enforced), true);
  assert.equal(hostNodeShown(node({ pool: 'other' }), enforced), false);
  assert.equal(hostNodeShown(node({}), enforced), false);
  assert.equal(hostNodeShown(node({ pool: 'tenants' }, [tenantTaint, { key: 'gpu', effect: 'NoExecute' }]), enforced), false);
});
