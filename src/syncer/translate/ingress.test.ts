import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { fromHostIngressStatus, ingressSecrets, toHostIngress, type IngressSpec } from './ingress.ts';

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
  const h = toHostIngress(ingress, target);
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
  assert.deepEqual(paths[1]!.backend, { resource: { apiGroup: 'example.com', kind: 'Bucket', name: 'assets' } });
  assert.deepEqual(spec.rules![1], { host: 'empty.example.com' });
  // The virtual object is left alone.
  assert.equal((ingress.spec as IngressSpec).defaultBackend?.service?.name, 'fallback');
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
