import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { fromHostIngressStatus, ingressSecrets, leftOutMessage, toHostIngress, type IngressBackend, type IngressSpec } from './ingress.ts';

const target = { vcluster: 'team-a', hostNamespace: 'tenants' };

const ingress: KubeObject = {
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress',
  metadata: { name: 'web', namespace: 'shop', uid: 'i-1', annotations: { 'nginx.ingress.kubernetes.io/rewrite-target': '/' } },
  spec: {
    ingressClassName: 'nginx',
    defaultBackend: { service: { name: 'fallback', port: { number: 80 } } },
    tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }, { hosts: ['x.example.com'] }, { secretName: 'shop-tls' }],
    rules: [
      { host: 'shop.example.com', http: { paths: [
        { path: '/', pathType: 'Prefix', backend: { service: { name: 'web', port: { name: 'http' } } } },
        { path: '/static', pathType: 'Prefix', backend: { resource: { apiGroup: 'example.com', kind: 'Bucket', name: 'assets' } } },
      ] } },
      { host: 'empty.example.com' },
    ],
  },
  status: { loadBalancer: {} },
};

test('host ingress: backends and TLS secrets renamed, class and hosts kept, markers added', () => {
  const { ingress: h, leftOut } = toHostIngress(ingress, target);
  assert.ok(h);
  const spec = h.spec as IngressSpec;
  assert.equal(h.metadata.name, 'web-x-shop-x-team-a');
  assert.equal(h.metadata.namespace, 'tenants');
  assert.equal(h.metadata.annotations?.['nginx.ingress.kubernetes.io/rewrite-target'], '/');
  assert.equal(h.metadata.annotations?.['kubevisor.dev/object-kind'], 'Ingress');
  assert.equal(h.metadata.labels?.['kubevisor.dev/namespace'], 'shop');
  assert.equal(h.status, undefined);
  assert.equal(spec.ingressClassName, 'nginx');
  assert.deepEqual(spec.defaultBackend, { service: { name: 'fallback-x-shop-x-team-a', port: { number: 80 } } });
  assert.deepEqual(spec.tls, [
    { hosts: ['shop.example.com'], secretName: 'shop-tls-x-shop-x-team-a' }, { hosts: ['x.example.com'] }, { secretName: 'shop-tls-x-shop-x-team-a' },
  ]);
  const paths = spec.rules![0].http!.paths;
  assert.deepEqual(paths[0], { path: '/', pathType: 'Prefix', backend: { service: { name: 'web-x-shop-x-team-a', port: { name: 'http' } } } });
  // The bucket is the virtual cluster's: its path is left out, and said so.
  assert.equal(paths.length, 1);
  assert.deepEqual(leftOut, ['spec.rules[0].http.paths[1] (Bucket.example.com "assets")']);
  assert.deepEqual(spec.rules![1], { host: 'empty.example.com' });
  // The virtual object is left alone.
  assert.equal((ingress.spec as IngressSpec).defaultBackend?.service?.name, 'fallback');
  assert.equal((ingress.spec as IngressSpec).rules![0]!.http!.paths.length, 2);
});

const withSpec = (spec: IngressSpec): KubeObject => ({ ...ingress, spec });
const svc = (name: string): IngressBackend => ({ service: { name, port: { number: 80 } } });
const bucket = (name: string): IngressBackend => ({ resource: { apiGroup: 'storage.example.com', kind: 'StorageBucket', name } });

test('a resource backend naming a Service is renamed as the Service is on the host', () => {
  const { ingress: h, leftOut } = toHostIngress(withSpec({
    defaultBackend: { resource: { kind: 'Service', name: 'fallback' } },
    rules: [{ http: { paths: [{ path: '/', pathType: 'Prefix', backend: { resource: { apiGroup: '', kind: 'Service', name: 'web' } } }] } }],
  }), target);
  const spec = h!.spec as IngressSpec;
  assert.deepEqual(spec.defaultBackend, { resource: { kind: 'Service', name: 'fallback-x-shop-x-team-a' } });
  assert.deepEqual(spec.rules![0]!.http!.paths[0]!.backend, { resource: { apiGroup: '', kind: 'Service', name: 'web-x-shop-x-team-a' } });
  assert.deepEqual(leftOut, []);
  // A kind named Service of another group is not a Service.
  const other = toHostIngress(withSpec({ defaultBackend: { resource: { apiGroup: 'example.com', kind: 'Service', name: 'web' } }, rules: [{ host: 'a.example.com' }] }), target);
  assert.equal((other.ingress!.spec as IngressSpec).defaultBackend, undefined);
  assert.deepEqual(other.leftOut, ['spec.defaultBackend (Service.example.com "web")']);
});

test('other resource backends are left out: the default backend, a path, a rule left without paths', () => {
  const { ingress: h, leftOut } = toHostIngress(withSpec({
    defaultBackend: bucket('site'),
    rules: [
      { host: 'a.example.com', http: { paths: [{ path: '/assets', pathType: 'Prefix', backend: bucket('assets') }, { path: '/', pathType: 'Prefix', backend: svc('web') }] } },
      { host: 'b.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: bucket('b') }] } },
      { host: 'c.example.com', http: { paths: [{ path: '/', pathType: 'Exact', backend: svc('c') }] } },
    ],
  }), target);
  const spec = h!.spec as IngressSpec;
  assert.equal(spec.defaultBackend, undefined);
  assert.deepEqual(spec.rules, [
    { host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: svc('web-x-shop-x-team-a') }] } },
    { host: 'c.example.com', http: { paths: [{ path: '/', pathType: 'Exact', backend: svc('c-x-shop-x-team-a') }] } },
  ]);
  assert.deepEqual(leftOut, [
    'spec.defaultBackend (StorageBucket.storage.example.com "site")',
    'spec.rules[0].http.paths[0] (StorageBucket.storage.example.com "assets")',
    'spec.rules[1].http.paths[0] (StorageBucket.storage.example.com "b")',
  ]);
  // Only a default backend left: valid on the host without rules.
  const onlyDefault = toHostIngress(withSpec({ defaultBackend: svc('web'), rules: [{ http: { paths: [{ path: '/x', pathType: 'Prefix', backend: bucket('x') }] } }] }), target);
  assert.deepEqual(onlyDefault.ingress!.spec, { defaultBackend: svc('web-x-shop-x-team-a') });
});

test('an Ingress with nothing left to route gets no host copy', () => {
  const { ingress: h, leftOut } = toHostIngress(withSpec({
    tls: [{ secretName: 'shop-tls' }],
    defaultBackend: bucket('site'),
    rules: [{ host: 'a.example.com', http: { paths: [{ path: '/', pathType: 'Prefix', backend: bucket('a') }] } }],
  }), target);
  assert.equal(h, undefined);
  assert.equal(leftOut.length, 2);
  // Without resource backends nothing changes: an Ingress of only host rules is copied as it is.
  assert.deepEqual(toHostIngress(withSpec({ rules: [{ host: 'a.example.com' }] }), target).ingress!.spec, { rules: [{ host: 'a.example.com' }] });
});

test('the warning names what was left out and whether the rest is on the host', () => {
  assert.equal(leftOutMessage(['spec.defaultBackend (StorageBucket.storage.example.com "site")'], true),
    'spec.defaultBackend (StorageBucket.storage.example.com "site") names an object of this cluster other than a Service, ' +
    'which the host\'s ingress controller cannot reach; the host copy of the Ingress routes without it');
  assert.match(leftOutMessage(['a', 'b'], false), /^a, b name objects .*; with nothing else to route, the Ingress is not synced to the host$/);
});

test('the TLS secrets an ingress names, once each', () => {
  assert.deepEqual(ingressSecrets(ingress), ['shop-tls']);
  assert.deepEqual(ingressSecrets({ metadata: { name: 'x', namespace: 'shop' }, spec: {} }), []);
});

test('the load balancer status comes back', () => {
  const lb = { ingress: [{ ip: '203.0.113.7', ports: [{ port: 443, protocol: 'TCP' }] }] };
  assert.deepEqual(fromHostIngressStatus({ metadata: {}, status: { loadBalancer: lb } }), { loadBalancer: lb });
  assert.deepEqual(fromHostIngressStatus({ metadata: {} }), { loadBalancer: {} });
});
