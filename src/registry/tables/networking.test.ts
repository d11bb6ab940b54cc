import assert from 'node:assert/strict';
import { test } from 'node:test';

import { ingressClassTable, ingressTable, ipAddressTable, networkPolicyTable, serviceCIDRTable } from './networking.ts';
import { DAY, HOUR, NOW, header, obj } from './testing.ts';

test('ingress', () => {
  assert.deepEqual(header(ingressTable), ['Name', 'Class', 'Hosts', 'Address', 'Ports', 'Age']);
  const ing = obj('shop', 4 * DAY, {
    spec: {
      ingressClassName: 'nginx',
      tls: [{ hosts: ['shop.example.com'], secretName: 'shop-tls' }],
      rules: [{ host: 'shop.example.com' }, { host: 'www.shop.example.com' }],
    },
    status: { loadBalancer: { ingress: [{ ip: '198.51.100.7' }, { hostname: 'lb.example.net' }] } },
  });
  assert.deepEqual(ingressTable.cells(ing, NOW), ['shop', 'nginx', 'shop.example.com,www.shop.example.com', '198.51.100.7,lb.example.net', '80, 443', '4d']);
  const catchAll = obj('default-backend', HOUR, { spec: { defaultBackend: { service: { name: 'web', port: { number: 80 } } }, rules: [{ http: {} }] } });
  assert.deepEqual(ingressTable.cells(catchAll, NOW), ['default-backend', '<none>', '*', '', '80', '60m']);
  const many = obj('many', HOUR, { spec: { rules: [{ host: 'a.io' }, { host: '' }, { host: 'b.io' }, { host: 'c.io' }, { host: 'd.io' }, { host: 'e.io' }] } });
  assert.equal(ingressTable.cells(many, NOW)[2], 'a.io,b.io,c.io + 3 more...');
});

test('ingress class', () => {
  assert.deepEqual(header(ingressClassTable), ['Name', 'Controller', 'Parameters', 'Age']);
  assert.deepEqual(ingressClassTable.cells(obj('nginx', DAY, { spec: { controller: 'k8s.io/ingress-nginx' } }), NOW), ['nginx', 'k8s.io/ingress-nginx', '<none>', '24h']);
  const withParams = obj('ext', DAY, { spec: { controller: 'example.com/ic', parameters: { apiGroup: 'k8s.example.com', kind: 'IngressParameters', name: 'external-lb' } } });
  assert.equal(ingressClassTable.cells(withParams, NOW)[2], 'IngressParameters.k8s.example.com/external-lb');
  const coreParams = obj('cm', DAY, { spec: { controller: 'x', parameters: { kind: 'ConfigMap', name: 'cfg' } } });
  assert.equal(ingressClassTable.cells(coreParams, NOW)[2], 'ConfigMap/cfg');
});

test('network policy', () => {
  assert.deepEqual(header(networkPolicyTable), ['Name', 'Pod-Selector', 'Age']);
  assert.deepEqual(networkPolicyTable.cells(obj('deny-all', DAY, { spec: { podSelector: {}, policyTypes: ['Ingress'] } }), NOW), ['deny-all', '<none>', '24h']);
  assert.deepEqual(networkPolicyTable.cells(obj('db', DAY, { spec: { podSelector: { matchLabels: { role: 'db' } } } }), NOW), ['db', 'role=db', '24h']);
});

test('service CIDR and IP address', () => {
  assert.deepEqual(header(serviceCIDRTable), ['Name', 'CIDRs', 'Age']);
  assert.deepEqual(serviceCIDRTable.cells(obj('kubernetes', 9 * DAY, { spec: { cidrs: ['10.96.0.0/16', 'fd00:10:96::/112'] } }), NOW), ['kubernetes', '10.96.0.0/16,fd00:10:96::/112', '9d']);
  assert.deepEqual(header(ipAddressTable), ['Name', 'ParentRef']);
  const ip = obj('10.96.0.1', 9 * DAY, { spec: { parentRef: { group: '', resource: 'services', namespace: 'default', name: 'kubernetes' } } });
  assert.deepEqual(ipAddressTable.cells(ip, NOW), ['10.96.0.1', 'services/default/kubernetes']);
  const gw = obj('10.96.0.2', DAY, { spec: { parentRef: { group: 'gateway.networking.k8s.io', resource: 'Gateways', name: 'gw' } } });
  assert.deepEqual(ipAddressTable.cells(gw, NOW), ['10.96.0.2', 'gateways.gateway.networking.k8s.io/gw']);
});
