import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { openTestCluster, eventually, type TestCluster } from '../../../test/support/cluster.ts';
import { makeNode, makePod, makeService, setPodStatus } from './core.fixtures.ts';
import { startEndpointSliceController, type SliceEndpoint } from './endpointslice.ts';
import { startGarbageCollector } from './gc.ts';

async function withSlices(fn: (c: TestCluster) => Promise<void>, apiServer?: { ip: string; port: number }): Promise<void> {
  const c = await openTestCluster();
  const stop = startEndpointSliceController(c.ctx, { apiServer });
  const gc = startGarbageCollector(c.ctx);
  try {
    await fn(c);
  } finally {
    stop();
    gc.stop();
    await c.close();
  }
}

function slicesOf(c: TestCluster, svc: string, ns = 'default'): KubeObject[] {
  const def = c.ctx.def('discovery.k8s.io', 'v1', 'endpointslices');
  return [...c.vc.cache.scan(`/registry/discovery.k8s.io/endpointslices/${ns}/`)]
    .map((x) => x.obj).filter((s) => s.metadata.labels?.['kubernetes.io/service-name'] === svc && !!def);
}

function endpoints(s: KubeObject): SliceEndpoint[] {
  return (s.endpoints ?? []) as SliceEndpoint[];
}

test('a slice per service: name, labels, owner, ports, endpoints with conditions, node, zone and pod', () => withSlices(async (c) => {
  await makeNode(c, 'n1', { 'topology.kubernetes.io/zone': 'zone-a' });
  await makeNode(c, 'n2');
  const ports = [{ name: 'http', containerPort: 8080 }];
  const p1 = await makePod(c, { name: 'p1', labels: { app: 'web' }, ip: '10.244.0.11', nodeName: 'n1', ports });
  await makePod(c, { name: 'p2', labels: { app: 'web' }, ip: '10.244.0.12', nodeName: 'n2', ports, ready: false });
  await makePod(c, { name: 'p3', labels: { app: 'web' }, nodeName: 'n2', ports }); // no address yet
  const svc = await makeService(c, 'web', { selector: { app: 'web' }, clusterIP: '10.96.0.30', ports: [{ name: 'http', port: 80, targetPort: 'http' }] }, { tier: 'front' });
  await eventually(() => slicesOf(c, 'web').length === 1 && endpoints(slicesOf(c, 'web')[0]).length === 2, 5000, 'slice');
  const s = slicesOf(c, 'web')[0];
  assert.match(s.metadata.name as string, /^web-[bcdfghjklmnpqrstvwxz2456789]{5}$/);
  assert.equal(s.metadata.generateName, 'web-');
  assert.deepEqual(s.metadata.labels, {
    tier: 'front', 'kubernetes.io/service-name': 'web', 'endpointslice.kubernetes.io/managed-by': 'endpointslice-controller.k8s.io',
  });
  assert.deepEqual(s.metadata.ownerReferences, [{ apiVersion: 'v1', kind: 'Service', name: 'web', uid: svc.metadata.uid, controller: true, blockOwnerDeletion: true }]);
  assert.equal(s.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], svc.metadata.creationTimestamp);
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.ports, [{ name: 'http', port: 8080, protocol: 'TCP' }]);
  const byIP = new Map(endpoints(s).map((e) => [e.addresses[0], e]));
  assert.deepEqual(byIP.get('10.244.0.11'), {
    addresses: ['10.244.0.11'], conditions: { ready: true, serving: true, terminating: false },
    targetRef: { kind: 'Pod', namespace: 'default', name: 'p1', uid: p1.metadata.uid }, nodeName: 'n1', zone: 'zone-a',
  });
  assert.deepEqual(byIP.get('10.244.0.12')?.conditions, { ready: false, serving: false, terminating: false });
  assert.equal(byIP.get('10.244.0.12')?.zone, undefined);
  // Settled: no more writes.
  const rev = c.vc.cache.revision;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c.vc.cache.revision, rev, 'the controller is quiet once the slices are right');

  // The address arrives: the same slice is updated.
  await setPodStatus(c, { name: 'p3', ip: '10.244.0.13' });
  await eventually(() => endpoints(slicesOf(c, 'web')[0]).length === 3, 5000, 'p3 added');
  assert.equal(slicesOf(c, 'web')[0].metadata.name, s.metadata.name);

  // Terminating pods stay, marked terminating and not ready.
  const pods = c.ctx.def('', 'v1', 'pods');
  await c.vc.store.guaranteedUpdate(pods, 'default', 'p1', (cur) => ({ ...(cur as KubeObject), metadata: { ...(cur as KubeObject).metadata, finalizers: ['test/hold'] } }));
  await c.vc.store.delete(pods, 'default', 'p1', { gracePeriodSeconds: 0 });
  await eventually(() => endpoints(slicesOf(c, 'web')[0]).find((e) => e.addresses[0] === '10.244.0.11')?.conditions.terminating === true, 5000, 'terminating');
  assert.deepEqual(endpoints(slicesOf(c, 'web')[0]).find((e) => e.addresses[0] === '10.244.0.11')?.conditions, { ready: false, serving: true, terminating: true });

  // Service labels follow; the service goes and its slices with it (garbage collected).
  await c.vc.store.guaranteedUpdate(c.ctx.def('', 'v1', 'services'), 'default', 'web', (cur) => ({ ...(cur as KubeObject), metadata: { ...(cur as KubeObject).metadata, labels: { tier: 'back' } } }));
  await eventually(() => slicesOf(c, 'web')[0].metadata.labels?.tier === 'back', 5000, 'labels follow');
  await c.vc.store.delete(c.ctx.def('', 'v1', 'services'), 'default', 'web', {});
  await eventually(() => slicesOf(c, 'web').length === 0, 5000, 'slices collected');
}));

test('no endpoints: one placeholder slice, reused when endpoints come', () => withSlices(async (c) => {
  await makeNode(c, 'n1');
  await makeService(c, 'empty', { selector: { app: 'none' }, clusterIP: '10.96.0.31', ports: [{ port: 80 }] });
  await eventually(() => slicesOf(c, 'empty').length === 1, 5000, 'placeholder');
  const placeholder = slicesOf(c, 'empty')[0];
  assert.equal(placeholder.endpoints, null);
  assert.equal(placeholder.ports, null);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(slicesOf(c, 'empty').length, 1, 'no second placeholder');
  await makePod(c, { name: 'p', labels: { app: 'none' }, ip: '10.244.0.40', nodeName: 'n1' });
  await eventually(() => endpoints(slicesOf(c, 'empty')[0] ?? { metadata: {} }).length === 1, 5000, 'filled');
  assert.equal(slicesOf(c, 'empty').length, 1);
  assert.equal(slicesOf(c, 'empty')[0].metadata.name, placeholder.metadata.name);
  assert.deepEqual(slicesOf(c, 'empty')[0].ports, [{ name: '', port: 80, protocol: 'TCP' }]);
}));

test('more than 100 endpoints spread over slices; different resolved ports make different slices', () => withSlices(async (c) => {
  await makeNode(c, 'n1');
  for (let i = 0; i < 130; i++) {
    const ports = i < 120 ? [{ name: 'web', containerPort: 8080 }] : [{ name: 'web', containerPort: 9090 }];
    await makePod(c, { name: `p${i}`, labels: { app: 'big' }, ip: `10.244.${i >> 8}.${(i & 255) + 1}`, nodeName: 'n1', ports });
  }
  await makeService(c, 'big', { selector: { app: 'big' }, clusterIP: '10.96.0.32', ports: [{ port: 80, targetPort: 'web' }] });
  await eventually(() => slicesOf(c, 'big').reduce((n, s) => n + endpoints(s).length, 0) === 130, 10000, 'all endpoints');
  const slices = slicesOf(c, 'big');
  assert.equal(slices.length, 3);
  const by8080 = slices.filter((s) => JSON.stringify(s.ports) === JSON.stringify([{ name: '', port: 8080, protocol: 'TCP' }]));
  const by9090 = slices.filter((s) => JSON.stringify(s.ports) === JSON.stringify([{ name: '', port: 9090, protocol: 'TCP' }]));
  assert.deepEqual(by8080.map((s) => endpoints(s).length).sort((a, b) => a - b), [20, 100]);
  assert.deepEqual(by9090.map((s) => endpoints(s).length), [10]);
}));

test('pods on nodes that do not exist wait for their node; headless and publishNotReadyAddresses', () => withSlices(async (c) => {
  await makePod(c, { name: 'p', labels: { app: 'h' }, ip: '10.244.0.50', nodeName: 'late', hostname: 'p', subdomain: 'h', ready: false });
  await makeService(c, 'h', { selector: { app: 'h' }, clusterIP: 'None' });
  await makeService(c, 'pub', { selector: { app: 'h' }, clusterIP: 'None', publishNotReadyAddresses: true, ports: [{ port: 80 }] });
  await eventually(() => slicesOf(c, 'h').length === 1 && slicesOf(c, 'pub').length === 1, 5000, 'slices');
  assert.equal(endpoints(slicesOf(c, 'h')[0]).length, 0, 'left out while its node is missing');
  assert.equal(slicesOf(c, 'h')[0].metadata.labels?.['service.kubernetes.io/headless'], '');
  const pub = endpoints(slicesOf(c, 'pub')[0]);
  assert.equal(pub.length, 1);
  assert.deepEqual(pub[0].conditions, { ready: true, serving: false, terminating: false });
  await makeNode(c, 'late');
  await eventually(() => endpoints(slicesOf(c, 'h')[0]).length === 1, 5000, 'in once the node exists');
  const e = endpoints(slicesOf(c, 'h')[0])[0];
  assert.equal(e.hostname, 'p');
  assert.equal(slicesOf(c, 'h')[0].ports, null);
}));

test('selectorless services and slices of other managers are left alone', () => withSlices(async (c) => {
  const def = c.ctx.def('discovery.k8s.io', 'v1', 'endpointslices');
  await makeService(c, 'manual', { clusterIP: '10.96.0.33', ports: [{ port: 80 }] });
  await c.vc.store.create(def, 'default', {
    metadata: { name: 'manual-1', labels: { 'kubernetes.io/service-name': 'manual', 'endpointslice.kubernetes.io/managed-by': 'me' } },
    addressType: 'IPv4', endpoints: [{ addresses: ['192.168.0.1'] }], ports: [{ port: 80 }],
  });
  await makeService(c, 'other', { selector: { app: 'x' }, clusterIP: '10.96.0.34', ports: [{ port: 80 }] });
  await eventually(() => slicesOf(c, 'other').length === 1, 5000, 'placeholder for other');
  assert.deepEqual(slicesOf(c, 'manual').map((s) => s.metadata.name), ['manual-1']);
}));

test('the kubernetes slice points at the API server', () => withSlices(async (c) => {
  await eventually(() => slicesOf(c, 'kubernetes').length === 1, 5000, 'created');
  const s = slicesOf(c, 'kubernetes')[0];
  assert.equal(s.metadata.name, 'kubernetes');
  assert.deepEqual(s.metadata.labels, { 'kubernetes.io/service-name': 'kubernetes' });
  assert.equal(s.addressType, 'IPv4');
  assert.deepEqual(s.endpoints, [{ addresses: ['192.168.10.2'], conditions: { ready: true } }]);
  assert.deepEqual(s.ports, [{ name: 'https', port: 6443, protocol: 'TCP' }]);
  const def = c.ctx.def('discovery.k8s.io', 'v1', 'endpointslices');
  await c.vc.store.guaranteedUpdate(def, 'default', 'kubernetes', (cur) => ({ ...(cur as KubeObject), endpoints: [{ addresses: ['1.1.1.1'], conditions: { ready: true } }] }));
  await eventually(() => JSON.stringify(slicesOf(c, 'kubernetes')[0]?.endpoints) === JSON.stringify([{ addresses: ['192.168.10.2'], conditions: { ready: true } }]), 5000, 'restored');
}, { ip: '192.168.10.2', port: 6443 }));
