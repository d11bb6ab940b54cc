import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import type { Toleration } from '../../nodes/api.ts';
import { nodeShouldRunDaemonPod } from '../../controllers/apps/daemonset.ts';
import { HOST_NODE_LABEL, nodeDiffers, realNode, realNodeLabels, realNodeSpec, withNodeSpec, withNodeStatus } from './node-data.ts';

const hostNode: KubeObject = {
  apiVersion: 'v1', kind: 'Node',
  metadata: {
    name: 'worker-1', uid: 'h',
    labels: {
      'kubernetes.io/hostname': 'worker-1', 'topology.kubernetes.io/zone': 'z1', 'node.kubernetes.io/instance-type': 'm5.large',
      'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': '',
      'kubevisor.dev/simulated': 'true', pool: 'tenants',
    },
  },
  spec: { podCIDR: '10.0.1.0/24', providerID: 'aws:///i-1', taints: [{ key: 'k', effect: 'NoSchedule' }] },
  status: {
    capacity: { cpu: '2', memory: '8Gi', pods: '110' }, allocatable: { cpu: '1900m', memory: '7Gi', pods: '110' },
    conditions: [{ type: 'Ready', status: 'True', reason: 'KubeletReady' }],
    addresses: [{ type: 'InternalIP', address: '10.1.2.3' }, { type: 'Hostname', address: 'worker-1' }],
    nodeInfo: { kubeletVersion: 'v1.31.2', osImage: 'Ubuntu', architecture: 'amd64' },
    daemonEndpoints: { kubeletEndpoint: { Port: 10250 } }, images: [{ names: ['nginx'] }],
  },
};

test('a real virtual node shows the host node\'s labels, but not roles or kubevisor\'s keys', () => {
  assert.deepEqual(realNodeLabels(hostNode), {
    'kubernetes.io/hostname': 'worker-1', 'topology.kubernetes.io/zone': 'z1', 'node.kubernetes.io/instance-type': 'm5.large',
    pool: 'tenants', [HOST_NODE_LABEL]: 'true',
  });
});

test('a real virtual node shows capacity, allocatable, conditions, addresses and node info; of the spec only taints', () => {
  const n = realNode(hostNode);
  assert.equal(n.metadata.name, 'worker-1');
  assert.deepEqual(n.spec, { taints: [{ key: 'k', effect: 'NoSchedule' }] });
  const st = hostNode.status as Record<string, unknown>;
  assert.deepEqual(n.status, { capacity: st.capacity, allocatable: st.allocatable, conditions: st.conditions, addresses: st.addresses, nodeInfo: st.nodeInfo });
});

test('changes of the host node show as label or status differences', () => {
  const stored: KubeObject = { ...realNode(hostNode), metadata: { ...realNode(hostNode).metadata, uid: 'v', resourceVersion: '2' } };
  assert.deepEqual(nodeDiffers(stored, realNode(hostNode)), { labels: false, spec: false, status: false });
  const relabelled = { ...hostNode, metadata: { ...hostNode.metadata, labels: { ...hostNode.metadata.labels, zone: 'b' } } };
  assert.deepEqual(nodeDiffers(stored, realNode(relabelled)), { labels: true, spec: false, status: false });
  const notReady = { ...hostNode, status: { ...(hostNode.status as object), conditions: [{ type: 'Ready', status: 'False' }] } };
  assert.deepEqual(nodeDiffers(stored, realNode(notReady)), { labels: false, spec: false, status: true });
  // Replacing the shown fields keeps the others, and drops what the host no longer reports.
  const next = withNodeStatus({ daemonEndpoints: { x: 1 }, addresses: [], nodeInfo: {} }, { nodeInfo: { a: 1 } });
  assert.deepEqual(next, { daemonEndpoints: { x: 1 }, nodeInfo: { a: 1 } });
});

const withSpec = (spec: Record<string, unknown>): KubeObject => ({ ...hostNode, spec: { ...(hostNode.spec as object), ...spec } });
const noExecute = { key: 'dedicated', value: 'tenants', effect: 'NoExecute' as const, timeAdded: '2025-01-01T00:00:00Z' };

test('a real virtual node shows the host node\'s taints (timeAdded kept) and cordon, not its pod CIDR or provider ID', () => {
  const host = withSpec({ taints: [{ key: 'k', effect: 'NoSchedule' }, noExecute], unschedulable: true });
  assert.deepEqual(realNodeSpec(host), { taints: [{ key: 'k', effect: 'NoSchedule' }, noExecute], unschedulable: true });
  assert.deepEqual(realNodeSpec(withSpec({ taints: [], unschedulable: false })), {});
  assert.deepEqual(realNodeSpec({ metadata: { name: 'bare' } }), {});
  // A copy: the informer's object is not shared.
  const spec = realNodeSpec(host) as { taints: { key: string }[] };
  spec.taints[0]!.key = 'changed';
  assert.equal(((host.spec as { taints: { key: string }[] }).taints[0])!.key, 'k');
});

test('taints the cluster\'s enforced tolerations tolerate are not shown', () => {
  const host = withSpec({ taints: [{ key: 'tenant', value: 'a', effect: 'NoSchedule' }, { key: 'tenant', value: 'b', effect: 'NoSchedule' }, noExecute] });
  const enforced: Toleration[] = [{ key: 'tenant', operator: 'Equal', value: 'a', effect: 'NoSchedule' }, { key: 'dedicated', operator: 'Exists' }];
  assert.deepEqual(realNodeSpec(host, enforced).taints, [{ key: 'tenant', value: 'b', effect: 'NoSchedule' }]);
  assert.deepEqual(realNode(host, [{ operator: 'Exists' }]).spec, {}, 'an enforced toleration of everything hides every taint');
  assert.equal((realNodeSpec(host, []).taints as unknown[]).length, 3);
});

test('a host taint or cordon change shows as a spec difference; the update keeps the rest of the virtual spec', () => {
  const stored: KubeObject = { ...realNode(hostNode), metadata: { ...realNode(hostNode).metadata, uid: 'v', resourceVersion: '2' } };
  assert.deepEqual(nodeDiffers(stored, realNode(withSpec({ taints: [noExecute] }))), { labels: false, spec: true, status: false });
  assert.deepEqual(nodeDiffers(stored, realNode(withSpec({ unschedulable: true }))), { labels: false, spec: true, status: false });
  // unschedulable false is no cordon, as absent.
  assert.deepEqual(nodeDiffers({ ...stored, spec: { ...(stored.spec as object), unschedulable: false } }, realNode(hostNode)).spec, false);
  // Fake data again (or an untainted host node): taints and cordon leave, the rest stays.
  assert.deepEqual(withNodeSpec({ podCIDR: '10.0.0.0/24', taints: [noExecute], unschedulable: true }, {}), { podCIDR: '10.0.0.0/24' });
  assert.deepEqual(withNodeSpec(undefined, { taints: [noExecute] }), { taints: [noExecute] });
  assert.deepEqual(withNodeSpec({ taints: [{ key: 'tenant-own', effect: 'NoSchedule' }] }, { unschedulable: true }), { unschedulable: true });
});

test('the virtual DaemonSet controller keeps its pods on a node whose NoExecute taint only the enforced tolerations tolerate', () => {
  const ds = {
    apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: { name: 'agent', namespace: 'default' },
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'a', image: 'agent' }] } } },
  };
  const host = withSpec({ taints: [noExecute] });
  // Shown, the taint would make the controller delete the daemon pod the host keeps running (it carries the enforced toleration).
  assert.deepEqual(nodeShouldRunDaemonPod(realNode(host), ds), { shouldRun: false, shouldContinueRunning: false });
  assert.deepEqual(nodeShouldRunDaemonPod(realNode(host, [{ key: 'dedicated', operator: 'Exists', effect: 'NoExecute' }]), ds),
    { shouldRun: true, shouldContinueRunning: true });
  // A cordoned host node keeps its daemon pods and gets new ones, as upstream.
  assert.deepEqual(nodeShouldRunDaemonPod(realNode(withSpec({ unschedulable: true, taints: [{ key: 'node.kubernetes.io/unschedulable', effect: 'NoSchedule' }] })), ds),
    { shouldRun: true, shouldContinueRunning: true });
});
