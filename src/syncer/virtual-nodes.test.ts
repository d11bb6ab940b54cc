import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../api/types.ts';
import type { Toleration } from '../nodes/api.ts';
import { resourcePrefix } from '../registry/generic/keys.ts';
import type { ResourceDef } from '../registry/types.ts';
import { openTestCluster, type TestCluster } from '../../test/support/cluster.ts';
import { Controller } from '../controllers/runtime.ts';
import { parseSyncKey, type SyncContext } from './context.ts';
import { ensureVirtualNode, syncVirtualNode, watchVirtualNodes } from './virtual-nodes.ts';

// The virtual nodes of a cluster with nodes "real", on a real in-process
// cluster; the host side (its nodes, its pods) is a map.

let tc: TestCluster;
let s: SyncContext;
let nodes: ResourceDef;
const hostNodes = new Map<string, KubeObject>();
let nodeData: 'real' | 'fake' = 'real';
let allNodes = false;
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
    fromHost: { get nodeData() { return nodeData; }, get allNodes() { return allNodes; }, nodesSynced: true, hostNode: (n: string) => hostNodes.get(n) },
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

// The syncer's queue and its watch of the virtual nodes, as cluster-syncer.ts wires them.
async function watching(fn: (syncs: () => number) => Promise<void>): Promise<void> {
  let n = 0;
  const ctl = new Controller('test/nodes', async (key) => { n++; await syncVirtualNode(s, parseSyncKey(key).name); });
  (s as { enqueue: (key: string) => void }).enqueue = (key) => ctl.enqueue(key);
  const stop = watchVirtualNodes(s);
  try {
    await fn(() => n);
  } finally {
    stop();
    await ctl.stop();
  }
}

async function until(what: string, ok: () => boolean, ms = 2000): Promise<void> {
  for (const end = Date.now() + ms; !ok();) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** The writes to node `name` while `fn` runs. */
async function writesTo(name: string, fn: () => Promise<void>): Promise<number> {
  let n = 0;
  const stop = tc.vc.cache.subscribe({ prefix: resourcePrefix(nodes), onEvent: (ev) => { if (ev.obj.metadata.name === name) n++; } });
  try { await fn(); } finally { stop(); }
  return n;
}

const settle = () => new Promise<void>((r) => setTimeout(r, 200));

test('a tenant\'s cordon, taint or label on a real node is undone at once, and the syncer\'s own write ends there', async () => {
  const gpu = { key: 'gpu', value: 'true', effect: 'NoSchedule' };
  hostNodes.set('worker-1', hostNode('worker-1', { taints: [gpu] }));
  await syncVirtualNode(s, 'worker-1');
  const wanted = { spec: structuredClone(spec('worker-1')), labels: structuredClone(node('worker-1')?.metadata.labels) };
  assert.deepEqual(wanted.spec, { podCIDR: '10.1.0.0/24', taints: [gpu] });
  await watching(async (syncs) => {
    // kubectl cordon, taint and label at once.
    await tc.vc.store.guaranteedUpdate(nodes, undefined, 'worker-1', (cur) => {
      const o = cur as KubeObject;
      o.metadata.labels = { ...o.metadata.labels, team: 'blue' };
      o.spec = { ...(o.spec as object), unschedulable: true, taints: [gpu, { key: 'mine', effect: 'NoExecute' }] };
      return o;
    });
    await until('the host\'s data back', () => spec('worker-1')?.unschedulable === undefined && node('worker-1')?.metadata.labels?.team === undefined);
    assert.deepEqual(spec('worker-1'), wanted.spec);
    assert.deepEqual(node('worker-1')?.metadata.labels, wanted.labels);
    // Settled: no write follows the syncer's own, and at most its own event was looked at again.
    const rv = node('worker-1')?.metadata.resourceVersion;
    assert.equal(await writesTo('worker-1', settle), 0);
    assert.equal(node('worker-1')?.metadata.resourceVersion, rv);
    assert.ok(syncs() <= 2, `${syncs()} syncs`);
    // Uncordoning what the host cordoned is undone too; an annotation of the tenant's stays.
    hostNodes.set('worker-1', hostNode('worker-1', { unschedulable: true }));
    await syncVirtualNode(s, 'worker-1');
    await tc.vc.store.guaranteedUpdate(nodes, undefined, 'worker-1', (cur) => {
      const o = cur as KubeObject;
      o.metadata.annotations = { ...o.metadata.annotations, note: 'mine' };
      o.spec = { ...(o.spec as object), unschedulable: false };
      return o;
    });
    await until('the cordon back', () => spec('worker-1')?.unschedulable === true);
    assert.equal(node('worker-1')?.metadata.annotations?.note, 'mine');
    const rv2 = node('worker-1')?.metadata.resourceVersion;
    assert.equal(await writesTo('worker-1', settle), 0);
    assert.equal(node('worker-1')?.metadata.resourceVersion, rv2);
  });
});

test('the server\'s defaults on the syncer\'s own write (allocatable from capacity; the host node has none) settle too', async () => {
  const h = hostNode('worker-1', {});
  delete (h.status as Record<string, unknown>).allocatable;
  hostNodes.set('worker-1', h);
  await syncVirtualNode(s, 'worker-1');
  const status = () => node('worker-1')?.status as Record<string, unknown> | undefined;
  assert.equal(status()?.allocatable, undefined);
  await watching(async () => {
    const n = await writesTo('worker-1', async () => {
      await tc.vc.store.guaranteedUpdate(nodes, undefined, 'worker-1', (cur) => {
        const o = cur as KubeObject;
        o.metadata.labels = { ...o.metadata.labels, team: 'blue' };
        return o;
      });
      await until('the label gone', () => node('worker-1')?.metadata.labels?.team === undefined && status()?.allocatable === undefined);
      await settle();
    });
    // The tenant's write, the syncer's label write (whose defaults bring allocatable back), its status write.
    assert.ok(n <= 3, `${n} writes`);
    const rv = node('worker-1')?.metadata.resourceVersion;
    assert.equal(await writesTo('worker-1', settle), 0);
    assert.equal(node('worker-1')?.metadata.resourceVersion, rv);
  });
});

test('a fake node\'s labels and spec stay the tenant\'s: its changes queue no sync', async () => {
  nodeData = 'fake';
  try {
    await ensureVirtualNode(s, 'worker-3');
    await watching(async (syncs) => {
      await tc.vc.store.guaranteedUpdate(nodes, undefined, 'worker-3', (cur) => {
        const o = cur as KubeObject;
        o.metadata.labels = { ...o.metadata.labels, team: 'blue' };
        o.spec = { ...(o.spec as object), unschedulable: true };
        return o;
      });
      await settle();
      assert.equal(syncs(), 0);
      assert.equal(node('worker-3')?.metadata.labels?.team, 'blue');
      assert.equal(spec('worker-3')?.unschedulable, true);
    });
  } finally {
    nodeData = 'real';
  }
});

test('allNodes: every host node the cluster\'s pods may run on has a virtual node, made again when deleted, gone with the host node', async () => {
  allNodes = true;
  nodeData = 'fake';
  try {
    hostNodes.set('spare-1', hostNode('spare-1', {}));
    hostNodes.set('control', hostNode('control', { taints: [{ key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule' }] }));
    // The enforced toleration lets the cluster's pods onto a node tainted for the tenant.
    hostNodes.set('tenant-only', hostNode('tenant-only', { taints: [{ key: 'tenant', value: 'a', effect: 'NoSchedule' }] }));
    for (const n of ['spare-1', 'control', 'tenant-only']) await syncVirtualNode(s, n);
    assert.equal(node('spare-1')?.metadata.labels?.['kubevisor.dev/fake-node'], 'true');
    assert.equal(node('tenant-only')?.metadata.labels?.['kubevisor.dev/fake-node'], 'true');
    assert.equal(node('control'), undefined, 'a node the pods cannot use stays hidden');
    // Real data when the cluster asks for it.
    nodeData = 'real';
    await syncVirtualNode(s, 'spare-1');
    assert.equal(node('spare-1')?.metadata.labels?.['kubevisor.dev/host-node'], 'true');
    nodeData = 'fake';
    // Deleted in the virtual cluster: made again.
    await watching(async () => {
      await tc.vc.store.delete(nodes, undefined, 'spare-1');
      await until('spare-1 back', () => node('spare-1') !== undefined);
    });
    // The host node goes: so does the virtual one (no pod is bound to it); a tenant's own node stays.
    await tc.vc.store.create(nodes, undefined, { apiVersion: 'v1', kind: 'Node', metadata: { name: 'mine' } });
    hostNodes.delete('spare-1');
    await syncVirtualNode(s, 'spare-1');
    await syncVirtualNode(s, 'mine');
    assert.equal(node('spare-1'), undefined);
    assert.ok(node('mine'));
    // Tainted so the pods may no longer go there: removed too, unless a pod is bound to it.
    hostNodes.set('tenant-only', hostNode('tenant-only', { taints: [{ key: 'other', effect: 'NoExecute' }] }));
    await tc.vc.store.create(tc.ctx.def('', 'v1', 'pods'), 'default', {
      apiVersion: 'v1', kind: 'Pod', metadata: { name: 'stays' },
      spec: { nodeName: 'tenant-only', containers: [{ name: 'c', image: 'nginx' }] },
    });
    await syncVirtualNode(s, 'tenant-only');
    assert.ok(node('tenant-only'), 'kept while a pod is bound to it');
    await tc.vc.store.delete(tc.ctx.def('', 'v1', 'pods'), 'default', 'stays', { gracePeriodSeconds: 0 });
    await syncVirtualNode(s, 'tenant-only');
    assert.equal(node('tenant-only'), undefined);
    // allNodes off: only nodes with pods stay.
    hostNodes.set('spare-2', hostNode('spare-2', {}));
    await syncVirtualNode(s, 'spare-2');
    assert.ok(node('spare-2'));
    allNodes = false;
    await syncVirtualNode(s, 'spare-2');
    assert.equal(node('spare-2'), undefined);
  } finally {
    allNodes = false;
    nodeData = 'real';
  }
});
