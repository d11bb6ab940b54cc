import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { HOST_NODE_LABEL, nodeDiffers, realNode, realNodeLabels, withNodeStatus } from './node-data.ts';

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

test('a real virtual node shows capacity, allocatable, conditions, addresses and node info; no spec', () => {
  const n = realNode(hostNode);
  assert.equal(n.metadata.name, 'worker-1');
  assert.deepEqual(n.spec, {});
  const st = hostNode.status as Record<string, unknown>;
  assert.deepEqual(n.status, { capacity: st.capacity, allocatable: st.allocatable, conditions: st.conditions, addresses: st.addresses, nodeInfo: st.nodeInfo });
});

test('changes of the host node show as label or status differences', () => {
  const stored: KubeObject = { ...realNode(hostNode), metadata: { ...realNode(hostNode).metadata, uid: 'v', resourceVersion: '2' } };
  assert.deepEqual(nodeDiffers(stored, realNode(hostNode)), { labels: false, status: false });
  const relabelled = { ...hostNode, metadata: { ...hostNode.metadata, labels: { ...hostNode.metadata.labels, zone: 'b' } } };
  assert.deepEqual(nodeDiffers(stored, realNode(relabelled)), { labels: true, status: false });
  const notReady = { ...hostNode, status: { ...(hostNode.status as object), conditions: [{ type: 'Ready', status: 'False' }] } };
  assert.deepEqual(nodeDiffers(stored, realNode(notReady)), { labels: false, status: true });
  // Replacing the shown fields keeps the others, and drops what the host no longer reports.
  const next = withNodeStatus({ daemonEndpoints: { x: 1 }, addresses: [], nodeInfo: {} }, { nodeInfo: { a: 1 } });
  assert.deepEqual(next, { daemonEndpoints: { x: 1 }, nodeInfo: { a: 1 } });
});
