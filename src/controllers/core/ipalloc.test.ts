import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../api/errors.ts';
import type { KubeObject } from '../../api/types.ts';
import { openTestCluster, type TestCluster } from '../../../test/support/cluster.ts';
import { ServiceAllocator, serviceAllocator } from './ipalloc.ts';

function ipNum(ip: string): number {
  return ip.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function svc(name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject {
  return { metadata: { name, namespace }, spec: { ports: [{ port: 80, protocol: 'TCP' }], ...spec } };
}

function specOf(o: KubeObject): any {
  return o.spec as any;
}

async function rejects(fn: () => unknown | Promise<unknown>, code: number, message: string): Promise<void> {
  try {
    await fn();
  } catch (e) {
    assert.ok(e instanceof ApiError, String(e));
    assert.equal(e.code, code);
    assert.equal(e.message, message);
    return;
  }
  assert.fail('expected an error');
}

async function withAllocator(fn: (c: TestCluster, a: ServiceAllocator) => Promise<void>): Promise<void> {
  const c = await openTestCluster();
  const a = serviceAllocator(c.ctx);
  c.vc.store.admission.push(a.admission());
  try {
    await fn(c, a);
  } finally {
    a.stop();
    await c.close();
  }
}

test('cluster IPs come from 10.96.0.0/12, above the part kept for requests; .1 is the kubernetes service', () => withAllocator(async (_c, a) => {
  assert.equal(a.kubernetesServiceIP, '10.96.0.1');
  assert.ok(a.isIPAllocated('10.96.0.1'), 'rebuilt from the stored default/kubernetes service');
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const s = svc(`s${i}`, {});
    a.allocateForService(s);
    const ip = specOf(s).clusterIP as string;
    assert.deepEqual(specOf(s).clusterIPs, [ip]);
    assert.deepEqual(specOf(s).ipFamilies, ['IPv4']);
    assert.equal(specOf(s).ipFamilyPolicy, 'SingleStack');
    assert.ok(ipNum(ip) > ipNum('10.96.1.0') && ipNum(ip) < ipNum('10.111.255.255'), ip);
    assert.ok(!seen.has(ip));
    seen.add(ip);
  }
  await rejects(() => a.allocateForService(svc('x', { clusterIP: '10.96.0.1' })), 422,
    'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.1"}: failed to allocate IP 10.96.0.1: provided IP is already allocated');
  await rejects(() => a.allocateForService(svc('x', { clusterIP: '10.96.0.0' })), 422,
    'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.0"}: failed to allocate IP 10.96.0.0: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12');
  await rejects(() => a.allocateForService(svc('x', { clusterIP: '192.168.0.10' })), 422,
    'Service "x" is invalid: spec.clusterIPs: Invalid value: []string{"192.168.0.10"}: failed to allocate IP 192.168.0.10: the provided network does not match the current range');
  await rejects(() => a.allocateForService(svc('x', { clusterIP: 'fd00::10' })), 422,
    'Service "x" is invalid: spec.clusterIPs[0]: Invalid value: []string{"fd00::10"}: IPv6 is not configured on this cluster');
  await rejects(() => a.allocateForService(svc('x', { ipFamilyPolicy: 'RequireDualStack' })), 422,
    'Service "x" is invalid: spec.ipFamilyPolicy: Invalid value: "RequireDualStack": this cluster is not configured for dual-stack services');
  await rejects(() => a.allocateForService(svc('x', { ipFamilies: ['IPv6'] })), 422,
    'Service "x" is invalid: spec.ipFamilies[0]: Invalid value: "IPv6": not configured on this cluster');
}));

test('headless, ExternalName and selectorless headless services get no address', () => withAllocator(async (_c, a) => {
  const h = svc('h', { clusterIP: 'None', selector: { app: 'x' } });
  a.allocateForService(h);
  assert.equal(specOf(h).clusterIP, 'None');
  assert.deepEqual(specOf(h).clusterIPs, ['None']);
  assert.deepEqual(specOf(h).ipFamilies, ['IPv4']);
  const hs = svc('hs', { clusterIP: 'None' });
  a.allocateForService(hs);
  assert.equal(specOf(hs).ipFamilyPolicy, 'RequireDualStack');
  assert.deepEqual(specOf(hs).ipFamilies, ['IPv4', 'IPv6']);
  const en = { metadata: { name: 'en', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'example.com' } };
  a.allocateForService(en);
  assert.equal(specOf(en).clusterIP, undefined);
}));

test('node ports: requested or picked from 30000-32767, shared by TCP and UDP of one port, refused when taken', () => withAllocator(async (_c, a) => {
  const s1 = svc('np1', { type: 'NodePort', ports: [{ port: 53, protocol: 'TCP' }, { port: 53, protocol: 'UDP' }, { port: 80, protocol: 'TCP' }] });
  a.allocateForService(s1);
  const [p53t, p53u, p80] = specOf(s1).ports.map((p: any) => p.nodePort);
  assert.equal(p53t, p53u);
  assert.notEqual(p53t, p80);
  for (const p of [p53t, p80]) assert.ok(p >= 30086 && p <= 32767, String(p));
  const s2 = svc('np2', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] });
  a.allocateForService(s2);
  assert.equal(specOf(s2).ports[0].nodePort, 30080);
  assert.ok(a.isNodePortAllocated(30080));
  await rejects(() => a.allocateForService(svc('np3', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP', nodePort: 30080 }] })), 422,
    'Service "np3" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  await rejects(() => a.allocateForService(svc('np3', { type: 'NodePort', ports: [{ port: 80, protocol: 'TCP' }, { port: 81, protocol: 'TCP', nodePort: 29999 }] })), 422,
    'Service "np3" is invalid: spec.ports[1].nodePort: Invalid value: 29999: provided port is not in the valid range. The range of valid ports is 30000-32767');
  // A failed allocation gives back what it took on the way.
  assert.equal(a.isIPAllocated(specOf(s1).clusterIP), true);
  const lb = svc('lb', { type: 'LoadBalancer', externalTrafficPolicy: 'Local' });
  a.allocateForService(lb);
  assert.ok(specOf(lb).ports[0].nodePort >= 30000);
  assert.ok(specOf(lb).healthCheckNodePort >= 30000);
  assert.notEqual(specOf(lb).healthCheckNodePort, specOf(lb).ports[0].nodePort);
  const lbNoPorts = svc('lb2', { type: 'LoadBalancer', allocateLoadBalancerNodePorts: false });
  a.allocateForService(lbNoPorts);
  assert.equal(specOf(lbNoPorts).ports[0].nodePort, undefined);
  await rejects(() => a.allocateForService(svc('lb3', { type: 'LoadBalancer', externalTrafficPolicy: 'Local', healthCheckNodePort: 30080 })), 500,
    'Internal error occurred: failed to allocate requested HealthCheck NodePort 30080: provided port is already allocated');
  const dry = svc('dry', { type: 'NodePort', clusterIP: '10.96.0.77', ports: [{ port: 80, protocol: 'TCP', nodePort: 30077 }] });
  a.allocateForService(dry, undefined, { dryRun: true });
  assert.equal(a.isIPAllocated('10.96.0.77'), false);
  assert.equal(a.isNodePortAllocated(30077), false);
}));

test('through the store: create allocates, a failed write and a delete release', () => withAllocator(async ({ vc, ctx }, a) => {
  const def = ctx.def('', 'v1', 'services');
  const created = await vc.store.create(def, 'default', svc('web', { clusterIP: '10.96.0.5', type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] }));
  assert.equal(specOf(created).clusterIP, '10.96.0.5');
  assert.equal(specOf(created).ports[0].nodePort, 30080);
  await rejects(() => vc.store.create(def, 'default', svc('web2', { clusterIP: '10.96.0.5' })), 422,
    'Service "web2" is invalid: spec.clusterIPs: Invalid value: []string{"10.96.0.5"}: failed to allocate IP 10.96.0.5: provided IP is already allocated');
  await rejects(() => vc.store.create(def, 'default', svc('web2', { type: 'NodePort', ports: [{ port: 80, nodePort: 30080 }] })), 422,
    'Service "web2" is invalid: spec.ports[0].nodePort: Invalid value: 30080: provided port is already allocated');
  // Validation fails after allocation: what was taken is given back.
  await assert.rejects(vc.store.create(def, 'default', svc('bad', { clusterIP: '10.96.0.6', sessionAffinity: 'Sometimes' })), (e: unknown) => e instanceof ApiError && e.code === 422);
  assert.equal(a.isIPAllocated('10.96.0.6'), false);
  // An update to ClusterIP gives the node port back once stored.
  await vc.store.guaranteedUpdate(def, 'default', 'web', (cur) => {
    const o = cur as KubeObject;
    specOf(o).type = 'ClusterIP';
    delete specOf(o).externalTrafficPolicy;
    return o;
  });
  assert.equal(specOf(vc.store.peek(def, 'default', 'web') as KubeObject).ports[0].nodePort, undefined);
  assert.equal(a.isNodePortAllocated(30080), false);
  // And back to NodePort picks one again.
  await vc.store.guaranteedUpdate(def, 'default', 'web', (cur) => {
    const o = cur as KubeObject;
    specOf(o).type = 'NodePort';
    return o;
  });
  const np = specOf(vc.store.peek(def, 'default', 'web') as KubeObject).ports[0].nodePort;
  assert.ok(np >= 30000 && np <= 32767);
  assert.ok(a.isNodePortAllocated(np));
  await vc.store.delete(def, 'default', 'web', {});
  assert.equal(a.isIPAllocated('10.96.0.5'), false);
  assert.equal(a.isNodePortAllocated(np), false);
  const again = await vc.store.create(def, 'default', svc('web3', { clusterIP: '10.96.0.5' }));
  assert.equal(specOf(again).clusterIP, '10.96.0.5');
}));

test('a new allocator rebuilds from the stored services', async () => {
  const c = await openTestCluster();
  const first = serviceAllocator(c.ctx);
  c.vc.store.admission.push(first.admission());
  const def = c.ctx.def('', 'v1', 'services');
  try {
    const s = await c.vc.store.create(def, 'default', svc('a', { type: 'NodePort' }));
    first.stop();
    const second = serviceAllocator(c.ctx);
    assert.ok(second.isIPAllocated(specOf(s).clusterIP));
    assert.ok(second.isNodePortAllocated(specOf(s).ports[0].nodePort));
    second.stop();
  } finally {
    await c.close();
  }
});

test('custom ranges', () => {
  const a = new ServiceAllocator({ serviceCIDR: '10.0.0.0/29', nodePortRange: '40000-40001' });
  assert.equal(a.kubernetesServiceIP, '10.0.0.1');
  const ips = new Set<string>();
  for (let i = 0; i < 5; i++) {
    const s = svc(`s${i}`, {});
    a.allocateForService(s);
    ips.add(specOf(s).clusterIP);
  }
  assert.deepEqual([...ips].sort(), ['10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5', '10.0.0.6']);
  assert.throws(() => a.allocateForService(svc('full', {})), (e: unknown) => e instanceof ApiError && e.code === 500 &&
    e.message === 'Internal error occurred: failed to allocate a serviceIP: range is full');
  assert.throws(() => new ServiceAllocator({ serviceCIDR: 'fd00::/108' }));
});
