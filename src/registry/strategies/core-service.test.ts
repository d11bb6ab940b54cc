import { test } from 'node:test';
import assert from 'node:assert/strict';
import { serviceStrategy } from './core-service.ts';
import { at, clone, messages, runCreate, runUpdate } from './testing.ts';

const svc = { metadata: { name: 'web' }, spec: { selector: { app: 'web' }, ports: [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'metrics', port: 9090 }] } };

test('defaults: ClusterIP, None affinity, single-stack IPv4, ports', () => {
  const { obj, errors } = runCreate(serviceStrategy, svc, { namespace: 'default' });
  assert.deepEqual(messages(errors), []);
  assert.deepEqual(obj.spec, {
    selector: { app: 'web' },
    ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }, { name: 'metrics', port: 9090, protocol: 'TCP', targetPort: 9090 }],
    sessionAffinity: 'None', type: 'ClusterIP', internalTrafficPolicy: 'Cluster', ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv4'],
  });
  assert.deepEqual(obj.status, { loadBalancer: {} });
});

test('NodePort and LoadBalancer defaults', () => {
  const lb = clone(svc) as any;
  lb.spec.type = 'LoadBalancer';
  const { obj, errors } = runCreate(serviceStrategy, lb, { namespace: 'default' });
  assert.deepEqual(errors, []);
  assert.equal((obj.spec as any).externalTrafficPolicy, 'Cluster');
  assert.equal((obj.spec as any).allocateLoadBalancerNodePorts, true);
  const ca = clone(svc) as any;
  ca.spec.sessionAffinity = 'ClientIP';
  assert.deepEqual((runCreate(serviceStrategy, ca, { namespace: 'default' }).obj.spec as any).sessionAffinityConfig, { clientIP: { timeoutSeconds: 10800 } });
});

test('names are DNS-1035 labels', () => {
  const s = clone(svc) as any;
  s.metadata.name = '1web';
  const { errors } = runCreate(serviceStrategy, s, { namespace: 'default' });
  assert.equal(errors.length, 1);
  assert.equal(errors[0]?.field, 'metadata.name');
  assert.match(errors[0]?.detail ?? '', /^a DNS-1035 label must consist of/);
});

test('ports: required, named when several, valid, unique', () => {
  assert.deepEqual(messages(runCreate(serviceStrategy, { metadata: { name: 's' }, spec: {} }, { namespace: 'd' }).errors), ['spec.ports: Required value']);
  const s = { metadata: { name: 's' }, spec: { ports: [{ port: 80 }, { name: 'x', port: 70000, protocol: 'ICMP' }, { name: 'x', port: 80 }] } };
  assert.deepEqual(messages(runCreate(serviceStrategy, s, { namespace: 'd' }).errors), [
    'spec.ports[0].name: Required value',
    'spec.ports[1].port: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ports[1].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"',
    'spec.ports[1].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive',
    'spec.ports[2].name: Duplicate value: "x"',
    'spec.ports[2]: Duplicate value: {"port":80,"protocol":"TCP"}',
  ]);
});

test('headless and ExternalName services', () => {
  const headless = { metadata: { name: 'h' }, spec: { clusterIP: 'None', selector: { a: 'b' } } };
  const r = runCreate(serviceStrategy, headless, { namespace: 'd' });
  assert.deepEqual(messages(r.errors), []);
  assert.deepEqual((r.obj.spec as any).clusterIPs, ['None']);
  const en = { metadata: { name: 'e' }, spec: { type: 'ExternalName', externalName: 'db.example.com.' } };
  assert.deepEqual(messages(runCreate(serviceStrategy, en, { namespace: 'd' }).errors), []);
  const bad = { metadata: { name: 'e' }, spec: { type: 'ExternalName' } };
  assert.deepEqual(messages(runCreate(serviceStrategy, bad, { namespace: 'd' }).errors), ['spec.externalName: Required value']);
  const np = { metadata: { name: 'n' }, spec: { type: 'ClusterIP', ports: [{ port: 80, nodePort: 30080 }] } };
  assert.deepEqual(messages(at(runCreate(serviceStrategy, np, { namespace: 'd' }).errors, 'spec.ports[0].nodePort')),
    ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"]);
});

test('update: allocated values carry over; the cluster IP may not change', () => {
  const { obj: created } = runCreate(serviceStrategy, svc, { namespace: 'default' });
  const old = clone(created) as any;
  old.spec.clusterIP = '10.96.0.10';
  old.spec.clusterIPs = ['10.96.0.10'];
  // kubectl replace with the original manifest: no clusterIP in it.
  const r = runUpdate(serviceStrategy, svc, old);
  assert.deepEqual(messages(r.errors), []);
  assert.equal((r.obj.spec as any).clusterIP, '10.96.0.10');
  const moved = clone(old);
  moved.spec.clusterIP = '10.96.0.11';
  assert.deepEqual(messages(runUpdate(serviceStrategy, moved, old).errors),
    ['spec.clusterIPs[0]: Invalid value: ["10.96.0.11"]: may not change once set']);
});

test('update: switching NodePort to ClusterIP drops node ports the user left alone', () => {
  const old = runCreate(serviceStrategy, { metadata: { name: 'n' }, spec: { type: 'NodePort', ports: [{ port: 80 }] } }, { namespace: 'd' }).obj as any;
  old.spec.ports[0].nodePort = 30080;
  old.spec.clusterIP = '10.96.0.5';
  old.spec.clusterIPs = ['10.96.0.5'];
  const next = clone(old);
  next.spec.type = 'ClusterIP';
  const r = runUpdate(serviceStrategy, next, old);
  assert.deepEqual(messages(r.errors), []);
  assert.equal((r.obj.spec as any).ports[0].nodePort, undefined);
  assert.equal((r.obj.spec as any).externalTrafficPolicy, undefined);
});

test('wrong types do not throw', () => {
  for (const spec of ['x', { ports: 'x' }, { ports: [1] }, { selector: [] }, { type: 5 }, { clusterIPs: 'x' }]) {
    const { errors } = runCreate(serviceStrategy, { metadata: { name: 's' }, spec }, { namespace: 'd' });
    assert.ok(errors.length > 0, JSON.stringify(spec));
  }
});
