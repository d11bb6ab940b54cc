import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import type { Toleration } from '../nodes/api.ts';
import type { ResourceDef } from '../registry/types.ts';
import { openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import type { SyncContext } from './context.ts';
import { ensureVirtualNode, syncVirtualNode } from './virtual-nodes.ts';

// The virtual nodes of a cluster with nodes "real", on a real in-process
// cluster; the host side (its nodes, its pods) is a map.

let tc: TestCluster;
let s: SyncContext;
let nodes: ResourceDef;
const hostNodes = new Map<string, KubeObject>();
let nodeData: 'real' | 'fake' = 'real';
const enforced: Toleration[] = [{ key: 'tenant', operator: 'Equal', value: 'a', effect: 'NoSchedule' }];

// A host node as a kubelet reports it (what the virtual node's defaults would add is there already).
const nodeInfo = Object.fromEntries(['machineID', 'systemUUID', 'bootID', 'kernelVersion', 'osImage', 'containerRuntimeVersion',
  'kubeletVersion', 'kubeProxyVersion', 'operatingSystem', 'architecture'].map((k) => [k, 'x']));

function hostNode(name: string, spec: Record<string, unknown>): KubeObject {
  return {
    apiVersion: 'v1', kind: 'Node',
    metadata: { name, uid: `host-${name}`, labels: { 'kubernetes.io/hostname': name } },
    spec: { podCIDR: '10.9.0.0/24', providerID: 'kind://x', ...spec },
    status: { capacity: { cpu: '2', memory: '4Gi', pods: '110' }, allocatable: { cpu: '2', memory: '4Gi', pods: '110' }, conditions: [{ type: 'Ready', status: 'True' }], nodeInfo },
  };
}

const node = (name: string) => tc.vc.store.peek(nodes, undefined, name);
const spec = (name: string) => node(name)?.spec as Record<string, unknown> | undefined;

before(async () => {
  tc = await openTestCluster();
  nodes = tc.ctx.def('', 'v1', 'nodes');
  const pods = tc.ctx.def('', 'v1', 'pods');
  s = {
    name: 'a', vc: tc.vc, ctl: tc.ctx, hostNamespace: 'tenants',
    defs: { nodes, pods },
    enforced: { tolerations: enforced },
    peek: (def: ResourceDef, ns: string | undefined, name: string) => tc.vc.store.peek(def, ns, name),
    hosts: { pods: { get: () => undefined } },
    fromHost: { get nodeData() { return nodeData; }, hostNode: (n: string) => hostNodes.get(n) },
  } as unknown as SyncContext;
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'namespaces'), undefined, { metadata: { name: 'default' } }).catch(() => {});
});

after(async () => { await tc.close(); });

test('a real virtual node is made with the host node\'s taints and cordon, less those the enforced tolerations tolerate', async () => {
  const tenantTaint = { key: 'tenant', value: 'a', effect: 'NoSchedule' };
  const gpu = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
  hostNodes.set('worker-1', hostNode('worker-1', { taints: [tenantTaint, gpu], unschedulable: true }));
  await ensureVirtualNode(s, 'worker-1');
  assert.deepEqual(spec('worker-1'), { taints: [gpu], unschedulable: true });
  // A pod bound there keeps the node.
  await tc.vc.store.create(tc.ctx.def('', 'v1', 'pods'), 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'web' },
    spec: { nodeName: 'worker-1', containers: [{ name: 'c', image: 'nginx' }] },
  });
});

test('the virtual node follows the host node\'s taints and cordon; what else the spec holds stays', async () => {
  // The tenant's own field, and a cordon of its own.
  await tc.vc.store.guaranteedUpdate(nodes, undefined, 'worker-1', (cur) => {
    const o = cur as KubeObject;
    o.spec = { ...(o.spec as object), podCIDR: '10.1.0.0/24', unschedulable: true };
    return o;
  });
  const noExecute = { key: 'maintenance', effect: 'NoExecute', timeAdded: '2025-01-01T00:00:00Z' };
  hostNodes.set('worker-1', hostNode('worker-1', { taints: [noExecute] }));
  await syncVirtualNode(s, 'worker-1');
  assert.deepEqual(spec('worker-1'), { podCIDR: '10.1.0.0/24', taints: [noExecute] });
  // Untainted on the host: no taints in the virtual cluster either.
  hostNodes.set('worker-1', hostNode('worker-1', {}));
  await syncVirtualNode(s, 'worker-1');
  assert.deepEqual(spec('worker-1'), { podCIDR: '10.1.0.0/24' });
  // Nothing to change: no write.
  const rv = node('worker-1')?.metadata.resourceVersion;
  await syncVirtualNode(s, 'worker-1');
  assert.equal(node('worker-1')?.metadata.resourceVersion, rv);
});

test('nodes back to "fake": the taints leave with the rest of the host\'s data; a fake node\'s spec is the tenant\'s', async () => {
  hostNodes.set('worker-1', hostNode('worker-1', { taints: [{ key: 'gpu', effect: 'NoSchedule' }] }));
  await syncVirtualNode(s, 'worker-1');
  assert.deepEqual((spec('worker-1')?.taints as unknown[]).length, 1);
  nodeData = 'fake';
  try {
    await syncVirtualNode(s, 'worker-1');
    assert.equal(node('worker-1')?.metadata.labels?.['kubevisor.dev/fake-node'], 'true');
    assert.deepEqual(spec('worker-1'), { podCIDR: '10.1.0.0/24' });
    // Fake mode leaves a fake node's spec alone (a tenant may cordon it).
    await tc.vc.store.guaranteedUpdate(nodes, undefined, 'worker-1', (cur) => {
      const o = cur as KubeObject;
      o.spec = { ...(o.spec as object), unschedulable: true };
      return o;
    });
    await syncVirtualNode(s, 'worker-1');
    assert.equal(spec('worker-1')?.unschedulable, true);
    await ensureVirtualNode(s, 'worker-2');
    assert.deepEqual(spec('worker-2'), {});
  } finally {
    nodeData = 'real';
  }
});
