import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { fromHostService, type ServiceSpec, toHostService } from './service.ts';

const target = { vcluster: 'team-a', hostNamespace: 'tenants' };

const lb: KubeObject = {
  apiVersion: 'v1', kind: 'Service',
  metadata: { name: 'web', namespace: 'shop', uid: 's-1', labels: { app: 'web' } },
  spec: {
    type: 'LoadBalancer', selector: { app: 'web' }, clusterIP: '10.0.0.5', clusterIPs: ['10.0.0.5'],
    ports: [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP', nodePort: 30080 }],
    externalTrafficPolicy: 'Local', healthCheckNodePort: 31000, sessionAffinity: 'None',
  },
  status: { loadBalancer: {} },
};

test('host service: translated selector, same ports, IPs and node ports left to the host', () => {
  const s = toHostService(lb, target);
  const spec = s.spec as ServiceSpec;
  assert.equal(s.metadata.name, 'web-x-shop-x-team-a');
  assert.equal(s.metadata.namespace, 'tenants');
  assert.equal(s.status, undefined);
  assert.deepEqual(spec.selector, { app: 'web', 'kubevisor.dev/vcluster': 'team-a', 'kubevisor.dev/namespace': 'shop' });
  assert.equal(spec.clusterIP, undefined);
  assert.equal(spec.clusterIPs, undefined);
  assert.equal(spec.healthCheckNodePort, undefined);
  assert.deepEqual(spec.ports, [{ name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' }]);
  assert.equal(spec.type, 'LoadBalancer');
  assert.equal(spec['externalTrafficPolicy'], 'Local');
  const kept = toHostService(lb, { ...target, keepNodePorts: true }).spec as ServiceSpec;
  assert.equal(kept.ports![0].nodePort, 30080);
  assert.equal(kept.healthCheckNodePort, 31000);
});

test('headless, selector-less and ExternalName services', () => {
  const headless = toHostService({ metadata: { name: 'db', namespace: 'shop' }, spec: { clusterIP: 'None', selector: { app: 'db' }, ports: [{ port: 5432 }] } }, target);
  assert.equal((headless.spec as ServiceSpec).clusterIP, 'None');
  assert.deepEqual((headless.spec as ServiceSpec).clusterIPs, ['None']);
  const manual = toHostService({ metadata: { name: 'ext-db', namespace: 'shop' }, spec: { ports: [{ port: 5432 }] } }, target);
  assert.equal((manual.spec as ServiceSpec).selector, undefined);
  const ext = toHostService({ metadata: { name: 'api', namespace: 'shop' }, spec: { type: 'ExternalName', externalName: 'api.example.com' } }, target);
  assert.deepEqual(ext.spec, { type: 'ExternalName', externalName: 'api.example.com' });
  assert.deepEqual(fromHostService(ext, ext), { spec: {}, status: { loadBalancer: {} }, recreate: false });
});

test('the virtual service takes the host\'s IPs, node ports and load balancer status', () => {
  const host: KubeObject = {
    metadata: { name: 'web-x-shop-x-team-a' },
    spec: {
      type: 'LoadBalancer', clusterIP: '10.96.7.7', clusterIPs: ['10.96.7.7'], ipFamilies: ['IPv4'], healthCheckNodePort: 32001,
      ports: [{ name: 'http', port: 80, protocol: 'TCP', nodePort: 31555 }],
    },
    status: { loadBalancer: { ingress: [{ ip: '203.0.113.9' }] } },
  };
  const fresh: KubeObject = { metadata: { name: 'web', namespace: 'shop' }, spec: { ...(lb.spec as object), clusterIP: undefined, clusterIPs: undefined } };
  const back = fromHostService(host, fresh);
  assert.equal(back.spec.clusterIP, '10.96.7.7');
  assert.deepEqual(back.spec.clusterIPs, ['10.96.7.7']);
  assert.equal(back.spec.ports![0].nodePort, 31555);
  assert.equal(back.spec.ports![0]['targetPort'], 'http');
  assert.equal(back.spec.healthCheckNodePort, 32001);
  assert.deepEqual(back.status.loadBalancer, { ingress: [{ ip: '203.0.113.9' }] });
  assert.equal(back.recreate, false);
  // A virtual service that already holds another IP must be recreated.
  assert.equal(fromHostService(host, lb).recreate, true);
});
