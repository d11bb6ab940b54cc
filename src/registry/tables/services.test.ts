import assert from 'node:assert/strict';
import { test } from 'node:test';

import { endpointSliceTable, endpointsTable, serviceTable } from './services.ts';
import { DAY, HOUR, MINUTE, NOW, header, obj } from './testing.ts';

function svc(spec: Record<string, unknown>, status: Record<string, unknown> = {}) {
  return obj('web', 5 * DAY, { spec: { selector: { app: 'web' }, ...spec }, status });
}

test('service columns', () => {
  assert.deepEqual(header(serviceTable), ['Name', 'Type', 'Cluster-IP', 'External-IP', 'Port(s)', 'Age', 'Selector*']);
});

test('ClusterIP service', () => {
  const s = svc({ type: 'ClusterIP', clusterIP: '10.96.12.7', clusterIPs: ['10.96.12.7'], ports: [{ name: 'http', port: 80, protocol: 'TCP', targetPort: 8080 }] });
  assert.deepEqual(serviceTable.cells(s, NOW), ['web', 'ClusterIP', '10.96.12.7', '<none>', '80/TCP', '5d', 'app=web']);
  const withExternal = svc({ type: 'ClusterIP', clusterIP: '10.96.0.1', externalIPs: ['203.0.113.9', '203.0.113.10'], ports: [{ port: 53, protocol: 'UDP' }, { port: 53, protocol: 'TCP' }] });
  assert.deepEqual(serviceTable.cells(withExternal, NOW).slice(1, 5), ['ClusterIP', '10.96.0.1', '203.0.113.9,203.0.113.10', '53/UDP,53/TCP']);
});

test('headless service without ports or selector', () => {
  const s = obj('db', HOUR, { spec: { type: 'ClusterIP', clusterIP: 'None', clusterIPs: ['None'] } });
  assert.deepEqual(serviceTable.cells(s, NOW), ['db', 'ClusterIP', 'None', '<none>', '<none>', '60m', '<none>']);
});

test('NodePort service', () => {
  const s = svc({ type: 'NodePort', clusterIP: '10.96.100.2', ports: [{ port: 80, nodePort: 30080, protocol: 'TCP' }, { port: 443, nodePort: 30443, protocol: 'TCP' }] });
  assert.deepEqual(serviceTable.cells(s, NOW).slice(1, 5), ['NodePort', '10.96.100.2', '<none>', '80:30080/TCP,443:30443/TCP']);
});

test('LoadBalancer service: pending, assigned, with external IPs', () => {
  const ports = [{ port: 443, nodePort: 31443, protocol: 'TCP' }];
  const pending = svc({ type: 'LoadBalancer', clusterIP: '10.96.5.5', ports });
  assert.deepEqual(serviceTable.cells(pending, NOW).slice(1, 5), ['LoadBalancer', '10.96.5.5', '<pending>', '443:31443/TCP']);
  const assigned = svc({ type: 'LoadBalancer', clusterIP: '10.96.5.5', ports }, {
    loadBalancer: { ingress: [{ ip: '198.51.100.20' }, { hostname: 'a1b2c3-elb.example.com' }, { ip: '198.51.100.20' }] },
  });
  // Server-side tables are always generated wide, so long addresses are not clipped.
  assert.equal(serviceTable.cells(assigned, NOW)[3], '198.51.100.20,a1b2c3-elb.example.com');
  const both = svc({ type: 'LoadBalancer', clusterIP: '10.96.5.5', externalIPs: ['192.0.2.1'], ports }, { loadBalancer: { ingress: [{ ip: '198.51.100.20' }] } });
  assert.equal(serviceTable.cells(both, NOW)[3], '198.51.100.20,192.0.2.1');
  const onlyExternal = svc({ type: 'LoadBalancer', clusterIP: '10.96.5.5', externalIPs: ['192.0.2.1'], ports });
  assert.equal(serviceTable.cells(onlyExternal, NOW)[3], '192.0.2.1');
});

test('ExternalName service', () => {
  const s = obj('upstream', 2 * MINUTE, { spec: { type: 'ExternalName', externalName: 'db.example.com' } });
  assert.deepEqual(serviceTable.cells(s, NOW), ['upstream', 'ExternalName', '<none>', 'db.example.com', '<none>', '2m', '<none>']);
});

test('endpoints', () => {
  assert.deepEqual(header(endpointsTable), ['Name', 'Endpoints', 'Age']);
  assert.deepEqual(endpointsTable.cells(obj('empty', HOUR), NOW), ['empty', '<none>', '60m']);
  const ep = obj('web', HOUR, {
    subsets: [{ addresses: [{ ip: '10.244.1.5' }, { ip: '10.244.2.6' }], ports: [{ name: 'http', port: 8080, protocol: 'TCP' }] }],
  });
  assert.deepEqual(endpointsTable.cells(ep, NOW), ['web', '10.244.1.5:8080,10.244.2.6:8080', '60m']);
  const many = obj('big', HOUR, {
    subsets: [
      { addresses: [{ ip: '10.0.0.1' }, { ip: '10.0.0.2' }], ports: [{ port: 80 }, { port: 443 }] },
      { addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] },
    ],
  });
  assert.equal(endpointsTable.cells(many, NOW)[1], '10.0.0.1:80,10.0.0.2:80,10.0.0.1:443 + 2 more...');
  const headless = obj('h', HOUR, { subsets: [{ addresses: [{ ip: 'fd00::1' }, { ip: '10.0.0.3' }] }] });
  assert.equal(endpointsTable.cells(headless, NOW)[1], 'fd00::1,10.0.0.3');
  const v6 = obj('v6', HOUR, { subsets: [{ addresses: [{ ip: 'fd00::1' }], ports: [{ port: 80 }] }] });
  assert.equal(endpointsTable.cells(v6, NOW)[1], '[fd00::1]:80');
});

test('endpoint slice', () => {
  assert.deepEqual(header(endpointSliceTable), ['Name', 'AddressType', 'Ports', 'Endpoints', 'Age']);
  const slice = obj('web-abc12', 30 * MINUTE, {
    addressType: 'IPv4',
    ports: [{ name: 'http', port: 8080, protocol: 'TCP' }, { name: 'metrics', protocol: 'TCP' }, {}],
    endpoints: [{ addresses: ['10.244.1.5'] }, { addresses: ['10.244.2.6'] }, { addresses: ['10.244.3.7'] }, { addresses: ['10.244.4.8'] }],
  });
  assert.deepEqual(endpointSliceTable.cells(slice, NOW), ['web-abc12', 'IPv4', '8080,metrics,*', '10.244.1.5,10.244.2.6,10.244.3.7 + 1 more...', '30m']);
  const empty = obj('none', 30 * MINUTE, { addressType: 'IPv6', endpoints: [] });
  assert.deepEqual(endpointSliceTable.cells(empty, NOW), ['none', 'IPv6', '<unset>', '<unset>', '30m']);
});
