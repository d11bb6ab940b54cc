import { test } from 'node:test';
import assert from 'node:assert/strict';
import { podHostname, toHostAliases, toHostDns } from './pod-dns.ts';

const s = { dnsIP: '10.96.0.11', clusterDomain: 'corp.internal' };

test('ClusterFirst: the pod\'s own dnsConfig is appended and its options override', () => {
  const got = toHostDns('ClusterFirst', false, {
    nameservers: ['1.1.1.1', '10.96.0.11'],
    searches: ['example.com', 'svc.corp.internal'],
    options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
  }, 'shop', s);
  assert.deepEqual(got, {
    dnsPolicy: 'None',
    dnsConfig: {
      nameservers: ['10.96.0.11', '1.1.1.1'],
      searches: ['shop.svc.corp.internal', 'svc.corp.internal', 'corp.internal', 'example.com'],
      options: [{ name: 'ndots', value: '2' }, { name: 'edns0' }],
    },
  });
});

test('host-network pods: ClusterFirst falls back to the node\'s DNS, ClusterFirstWithHostNet does not', () => {
  assert.deepEqual(toHostDns('ClusterFirst', true, undefined, 'shop', s), { dnsPolicy: 'ClusterFirst' });
  assert.equal(toHostDns('ClusterFirstWithHostNet', true, undefined, 'shop', s).dnsPolicy, 'None');
  assert.equal(toHostDns(undefined, false, undefined, 'shop', s).dnsPolicy, 'None');
});

test('Default and None are unchanged', () => {
  const own = { nameservers: ['9.9.9.9'] };
  assert.deepEqual(toHostDns('None', false, own, 'shop', s), { dnsPolicy: 'None', dnsConfig: own });
  assert.deepEqual(toHostDns('Default', false, undefined, 'shop', s), { dnsPolicy: 'Default' });
});

test('at most 3 nameservers', () => {
  const got = toHostDns('ClusterFirst', false, { nameservers: ['1.1.1.1', '8.8.8.8', '9.9.9.9'] }, 'shop', s);
  assert.deepEqual(got.dnsConfig!.nameservers, ['10.96.0.11', '1.1.1.1', '8.8.8.8']);
});

test('host aliases: user entries first, kubernetes names for an IP only', () => {
  const got = toHostAliases([{ ip: '127.0.0.1', hostnames: ['foo.local'] }], '10.96.0.10', 'corp.internal');
  assert.equal(got[0].ip, '127.0.0.1');
  assert.deepEqual(got[1].hostnames, ['kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.corp.internal']);
  assert.deepEqual(toHostAliases(undefined, 'kubevisor.example.com', 'cluster.local'), []);
});

test('hostname: cut to 63, no trailing dash, no dots', () => {
  assert.equal(podHostname('web-0'), 'web-0');
  assert.equal(podHostname('web.v1'), 'web-v1');
  assert.equal(podHostname(`${'a'.repeat(62)}-b`), 'a'.repeat(62));
});
