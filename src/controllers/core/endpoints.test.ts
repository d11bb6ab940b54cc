import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { openTestCluster, eventually, type TestCluster } from '../../../test/support/cluster.ts';
import { makePod, makeService, setPodStatus } from './core.fixtures.ts';
import { repackSubsets, startEndpointsController, truncateSubsets, type EndpointSubset } from './endpoints.ts';

async function withEndpoints(fn: (c: TestCluster) => Promise<void>, apiServer?: { ip: string; port: number }): Promise<void> {
  const c = await openTestCluster();
  const stop = startEndpointsController(c.ctx, { apiServer });
  try {
    await fn(c);
  } finally {
    stop();
    await c.close();
  }
}

function ep(c: TestCluster, name: string, ns = 'default'): KubeObject | undefined {
  return c.vc.store.peek(c.ctx.def('', 'v1', 'endpoints'), ns, name);
}

const ref = (p: KubeObject) => ({ kind: 'Pod', namespace: 'default', name: p.metadata.name, uid: p.metadata.uid });

test('ready and not-ready pods, named and numeric target ports, pods that do not count', () => withEndpoints(async (c) => {
  const ports = [{ name: 'http', containerPort: 8080 }];
  const p1 = await makePod(c, { name: 'p1', labels: { app: 'web' }, ip: '10.244.0.11', nodeName: 'n1', ports });
  const p2 = await makePod(c, { name: 'p2', labels: { app: 'web' }, ip: '10.244.0.12', nodeName: 'n1', ports, ready: false });
  const p3 = await makePod(c, { name: 'p3', labels: { app: 'web' }, ip: '10.244.0.13', nodeName: 'n2' }); // no port named http
  await makePod(c, { name: 'no-ip', labels: { app: 'web' }, ports });
  await makePod(c, { name: 'done', labels: { app: 'web' }, ip: '10.244.0.14', phase: 'Succeeded', ports });
  await makePod(c, { name: 'other', labels: { app: 'db' }, ip: '10.244.0.15', ports });
  const svc = await makeService(c, 'web', {
    selector: { app: 'web' },
    clusterIP: '10.96.0.20',
    ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090, targetPort: 9100, appProtocol: 'http' }],
  }, { tier: 'front' });
  await eventually(() => !!ep(c, 'web'), 5000, 'endpoints created');
  const e = ep(c, 'web') as KubeObject;
  assert.deepEqual(e.metadata.labels, { tier: 'front' });
  assert.equal(e.metadata.annotations?.['endpoints.kubernetes.io/last-change-trigger-time'], svc.metadata.creationTimestamp);
  assert.equal(e.metadata.managedFields?.[0].manager, 'kube-controller-manager');
  const subsets = e.subsets as EndpointSubset[];
  const a1 = { ip: '10.244.0.11', nodeName: 'n1', targetRef: ref(p1) };
  const a2 = { ip: '10.244.0.12', nodeName: 'n1', targetRef: ref(p2) };
  const a3 = { ip: '10.244.0.13', nodeName: 'n2', targetRef: ref(p3) };
  const metrics = { name: 'metrics', port: 9100, protocol: 'TCP', appProtocol: 'http' };
  const http = { name: 'http', port: 8080, protocol: 'TCP' };
  // p3 serves only the numeric port: two groups of addresses.
  assert.deepEqual(subsets, [
    { addresses: [a1], notReadyAddresses: [a2], ports: [http] },
    { addresses: [a1, a3], notReadyAddresses: [a2], ports: [metrics] },
  ]);

  const rev = c.vc.cache.revision;
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(c.vc.cache.revision, rev, 'the controller is quiet once the endpoints are right');
  // A pod becoming ready moves; a pod losing the label leaves.
  await setPodStatus(c, { name: 'p2', ip: '10.244.0.12', ready: true });
  await eventually(() => (ep(c, 'web')?.subsets as EndpointSubset[])[0].notReadyAddresses === undefined, 5000, 'p2 ready');
  await c.vc.store.guaranteedUpdate(c.ctx.def('', 'v1', 'pods'), 'default', 'p3', (cur) => {
    const o = cur as KubeObject;
    o.metadata.labels = { app: 'elsewhere' };
    return o;
  });
  await eventually(() => (ep(c, 'web')?.subsets as EndpointSubset[]).length === 1, 5000, 'p3 gone');
  assert.deepEqual((ep(c, 'web')?.subsets as EndpointSubset[])[0].addresses?.map((a) => a.ip), ['10.244.0.11', '10.244.0.12']);

  // The service goes, its endpoints go.
  await c.vc.store.delete(c.ctx.def('', 'v1', 'services'), 'default', 'web', {});
  await eventually(() => !ep(c, 'web'), 5000, 'endpoints deleted');
}));

test('terminating pods are left out unless the service publishes not-ready addresses', () => withEndpoints(async (c) => {
  await makePod(c, { name: 'p1', labels: { app: 'x' }, ip: '10.244.0.21', nodeName: 'n1' });
  await makePod(c, { name: 'p2', labels: { app: 'x' }, ip: '10.244.0.22', nodeName: 'n1', ready: false });
  const pods = c.ctx.def('', 'v1', 'pods');
  // A finalizer keeps the deleted pod around, terminating.
  await c.vc.store.guaranteedUpdate(pods, 'default', 'p1', (cur) => ({ ...(cur as KubeObject), metadata: { ...(cur as KubeObject).metadata, finalizers: ['test/hold'] } }));
  await c.vc.store.delete(pods, 'default', 'p1', { gracePeriodSeconds: 0 });
  await makeService(c, 'plain', { selector: { app: 'x' }, ports: [{ port: 80 }] });
  await makeService(c, 'publish', { selector: { app: 'x' }, ports: [{ port: 80 }], publishNotReadyAddresses: true });
  await eventually(() => !!ep(c, 'plain') && !!ep(c, 'publish'), 5000, 'both created');
  assert.deepEqual((ep(c, 'plain')?.subsets as EndpointSubset[]).map((s) => [s.addresses?.map((a) => a.ip), s.notReadyAddresses?.map((a) => a.ip)]),
    [[undefined, ['10.244.0.22']]]);
  assert.deepEqual((ep(c, 'publish')?.subsets as EndpointSubset[])[0].addresses?.map((a) => a.ip), ['10.244.0.21', '10.244.0.22']);
}));

test('headless services: no ports needed, hostnames published, the headless label', () => withEndpoints(async (c) => {
  await makePod(c, { name: 'db-0', labels: { app: 'db' }, ip: '10.244.1.10', nodeName: 'n1', hostname: 'db-0', subdomain: 'db' });
  await makePod(c, { name: 'db-1', labels: { app: 'db' }, ip: '10.244.1.11', nodeName: 'n1', hostname: 'db-1', subdomain: 'other' });
  await makeService(c, 'db', { selector: { app: 'db' }, clusterIP: 'None' });
  await eventually(() => !!ep(c, 'db'), 5000, 'created');
  const e = ep(c, 'db') as KubeObject;
  assert.deepEqual(e.metadata.labels, { 'service.kubernetes.io/headless': '' });
  const subsets = e.subsets as EndpointSubset[];
  assert.equal(subsets.length, 1);
  assert.equal(subsets[0].ports, undefined);
  assert.deepEqual(subsets[0].addresses?.map((a) => [a.ip, a.hostname]), [['10.244.1.10', 'db-0'], ['10.244.1.11', undefined]]);
}));

test('services without selectors and ExternalName services are left alone', () => withEndpoints(async (c) => {
  const epDef = c.ctx.def('', 'v1', 'endpoints');
  await makePod(c, { name: 'p', labels: { app: 'x' }, ip: '10.244.0.30' });
  await makeService(c, 'manual', { ports: [{ port: 80 }] });
  await c.vc.store.create(epDef, 'default', { metadata: { name: 'manual' }, subsets: [{ addresses: [{ ip: '192.168.1.1' }], ports: [{ port: 80 }] }] });
  await makeService(c, 'ext', { type: 'ExternalName', externalName: 'example.com', selector: { app: 'x' } });
  await makeService(c, 'empty', { selector: { app: 'nothing' }, ports: [{ port: 80 }] });
  await eventually(() => !!ep(c, 'empty'), 5000, 'empty endpoints created');
  assert.equal(ep(c, 'empty')?.subsets, undefined);
  assert.equal(ep(c, 'ext'), undefined);
  assert.deepEqual((ep(c, 'manual')?.subsets as EndpointSubset[])[0].addresses, [{ ip: '192.168.1.1' }]);
}));

test('endpoints without a service are cleaned up at start', async () => {
  const c = await openTestCluster();
  const epDef = c.ctx.def('', 'v1', 'endpoints');
  await c.vc.store.create(epDef, 'default', { metadata: { name: 'stray' }, subsets: [{ addresses: [{ ip: '192.168.1.1' }], ports: [{ port: 80 }] }] });
  const stop = startEndpointsController(c.ctx);
  try {
    await eventually(() => !ep(c, 'stray'), 5000, 'stray endpoints deleted');
  } finally {
    stop();
    await c.close();
  }
});

test('default/kubernetes points at the API server and is put back when changed', () => withEndpoints(async (c) => {
  const epDef = c.ctx.def('', 'v1', 'endpoints');
  await eventually(() => !!ep(c, 'kubernetes'), 5000, 'created');
  const want = [{ addresses: [{ ip: '192.168.10.2' }], ports: [{ name: 'https', port: 6443, protocol: 'TCP' }] }];
  assert.deepEqual(ep(c, 'kubernetes')?.subsets, want);
  assert.deepEqual(ep(c, 'kubernetes')?.metadata.labels, { 'endpointslice.kubernetes.io/skip-mirror': 'true' });
  await c.vc.store.guaranteedUpdate(epDef, 'default', 'kubernetes', (cur) => ({ ...(cur as KubeObject), subsets: [{ addresses: [{ ip: '1.2.3.4' }], ports: [{ name: 'https', port: 1, protocol: 'TCP' }] }] }));
  await eventually(() => JSON.stringify(ep(c, 'kubernetes')?.subsets) === JSON.stringify(want), 5000, 'restored');
  await c.vc.store.delete(epDef, 'default', 'kubernetes', {});
  await eventually(() => !!ep(c, 'kubernetes'), 5000, 'recreated');
}, { ip: '192.168.10.2', port: 6443 }));

test('repacking groups addresses by the ports they share', () => {
  const a = (ip: string, uid: string) => ({ ip, targetRef: { kind: 'Pod', name: uid, uid } });
  const p80 = { name: 'a', port: 80, protocol: 'TCP' };
  const p81 = { name: 'b', port: 81, protocol: 'TCP' };
  const out = repackSubsets([
    { addresses: [a('10.0.0.2', 'u2')], ports: [p80] },
    { addresses: [a('10.0.0.1', 'u1')], ports: [p80] },
    { notReadyAddresses: [a('10.0.0.1', 'u1')], ports: [p80] },
    { addresses: [a('10.0.0.2', 'u2')], ports: [p81] },
    { addresses: [a('10.0.0.1', 'u1')], ports: [p81] },
  ]);
  assert.deepEqual(out, [{ addresses: [a('10.0.0.1', 'u1'), a('10.0.0.2', 'u2')], ports: [p80, p81] }]);
  const many: EndpointSubset[] = [{ addresses: Array.from({ length: 700 }, (_, i) => a(`10.1.${i >> 8}.${i & 255}`, `r${i}`)), notReadyAddresses: Array.from({ length: 600 }, (_, i) => a(`10.2.${i >> 8}.${i & 255}`, `n${i}`)) }];
  assert.equal(truncateSubsets(many), true);
  assert.equal(many[0].addresses?.length, 700);
  assert.equal(many[0].notReadyAddresses?.length, 300);
});
