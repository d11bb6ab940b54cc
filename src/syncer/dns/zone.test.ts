import { test } from 'node:test';
import assert from 'node:assert/strict';
import { answerFromZone, type ZoneAnswer } from './zone.ts';
import { viewFromLists } from './view-from-lists.ts';
import { CLASS_IN, RRType, recordToText } from './wire.ts';
import { sampleCluster } from './dns.fixtures.ts';

const opts = { domain: 'cluster.local', ttl: 30, serial: 1 };
const view = viewFromLists(sampleCluster());

function ask(name: string, type: number): ZoneAnswer | undefined {
  return answerFromZone(view, { name, type, class: CLASS_IN }, opts);
}
function texts(a: ZoneAnswer | undefined, section: 'answers' | 'authority' | 'additional' = 'answers'): string[] {
  assert.ok(a, 'expected an answer from the zone');
  return a[section].map(recordToText);
}

test('a ClusterIP service answers its IP for A, nothing for AAAA, and its named ports for SRV', () => {
  assert.deepEqual(texts(ask('web.default.svc.cluster.local', RRType.A)), ['web.default.svc.cluster.local. 30 A 10.96.0.10']);
  const aaaa = ask('web.default.svc.cluster.local', RRType.AAAA);
  assert.equal(aaaa?.rcode, 'NOERROR');
  assert.deepEqual(texts(aaaa), []);
  assert.match(texts(aaaa, 'authority')[0]!, /^cluster\.local\. 30 SOA ns\.dns\.cluster\.local\. hostmaster\.cluster\.local\. 1 7200 1800 86400 30$/);
  // The unnamed port 8080 has no SRV record; a bare service name lists every named port.
  assert.deepEqual(texts(ask('web.default.svc.cluster.local', RRType.SRV)), ['web.default.svc.cluster.local. 30 SRV 0 100 80 web.default.svc.cluster.local.']);
  const srv = ask('_http._tcp.web.default.svc.cluster.local', RRType.SRV);
  assert.deepEqual(texts(srv), ['_http._tcp.web.default.svc.cluster.local. 30 SRV 0 100 80 web.default.svc.cluster.local.']);
  assert.deepEqual(texts(srv, 'additional'), ['web.default.svc.cluster.local. 30 A 10.96.0.10']);
  assert.equal(ask('_http._udp.web.default.svc.cluster.local', RRType.SRV)?.rcode, 'NXDOMAIN');
  assert.equal(ask('_tcp.web.default.svc.cluster.local', RRType.A)?.rcode, 'NOERROR', 'the empty non-terminal above the SRV names exists');
});

test('names are matched case-insensitively and answered with the case asked', () => {
  assert.deepEqual(texts(ask('WEB.Default.SVC.cluster.LOCAL', RRType.A)), ['WEB.Default.SVC.cluster.LOCAL. 30 A 10.96.0.10']);
});

test('a dual-stack service answers A and AAAA', () => {
  assert.deepEqual(texts(ask('dual.default.svc.cluster.local', RRType.A)), ['dual.default.svc.cluster.local. 30 A 10.96.0.20']);
  assert.deepEqual(texts(ask('dual.default.svc.cluster.local', RRType.AAAA)), ['dual.default.svc.cluster.local. 30 AAAA fd00::20']);
  assert.deepEqual(texts(ask('_dns._udp.dual.default.svc.cluster.local', RRType.SRV)), ['_dns._udp.dual.default.svc.cluster.local. 30 SRV 0 100 53 dual.default.svc.cluster.local.']);
});

test('a headless service answers its ready endpoints, their hostnames, and SRV per endpoint with the target port', () => {
  assert.deepEqual(texts(ask('db.default.svc.cluster.local', RRType.A)).sort(), [
    'db.default.svc.cluster.local. 30 A 10.244.1.10',
    'db.default.svc.cluster.local. 30 A 10.244.1.11',
    'db.default.svc.cluster.local. 30 A 10.244.1.13',
  ]);
  assert.deepEqual(texts(ask('db-0.db.default.svc.cluster.local', RRType.A)), ['db-0.db.default.svc.cluster.local. 30 A 10.244.1.10']);
  assert.equal(ask('db-2.db.default.svc.cluster.local', RRType.A)?.rcode, 'NXDOMAIN', 'not ready');
  assert.deepEqual(texts(ask('10-244-1-13.db.default.svc.cluster.local', RRType.A)), ['10-244-1-13.db.default.svc.cluster.local. 30 A 10.244.1.13']);
  const srv = ask('_pg._tcp.db.default.svc.cluster.local', RRType.SRV);
  assert.deepEqual(texts(srv).sort(), [
    '_pg._tcp.db.default.svc.cluster.local. 30 SRV 0 33 15432 10-244-1-13.db.default.svc.cluster.local.',
    '_pg._tcp.db.default.svc.cluster.local. 30 SRV 0 33 15432 db-0.db.default.svc.cluster.local.',
    '_pg._tcp.db.default.svc.cluster.local. 30 SRV 0 33 15432 db-1.db.default.svc.cluster.local.',
  ]);
  assert.ok(texts(srv, 'additional').includes('db-1.db.default.svc.cluster.local. 30 A 10.244.1.11'));
  assert.equal(ask('idle.default.svc.cluster.local', RRType.A)?.rcode, 'NXDOMAIN', 'headless without ready endpoints');
});

test('ExternalName services are CNAMEs, followed inside the zone and handed back outside it', () => {
  const ext = ask('ext.default.svc.cluster.local', RRType.A);
  assert.deepEqual(texts(ext), ['ext.default.svc.cluster.local. 30 CNAME example.com.']);
  assert.deepEqual(ext?.chase, { name: 'example.com', type: RRType.A });
  assert.deepEqual(texts(ask('alias.default.svc.cluster.local', RRType.A)), [
    'alias.default.svc.cluster.local. 30 CNAME web.default.svc.cluster.local.',
    'web.default.svc.cluster.local. 30 A 10.96.0.10',
  ]);
  assert.equal(ask('ext.default.svc.cluster.local', RRType.CNAME)?.chase, undefined);
  assert.equal(ask('_http._tcp.ext.default.svc.cluster.local', RRType.SRV)?.rcode, 'NXDOMAIN');
  const byIP = viewFromLists({ services: [{ metadata: { namespace: 'default', name: 'ip' }, spec: { type: 'ExternalName', externalName: '10.1.1.1' } }], endpointSlices: [] });
  assert.equal(answerFromZone(byIP, { name: 'ip.default.svc.cluster.local', type: RRType.A, class: CLASS_IN }, opts)?.rcode, 'NXDOMAIN', 'an address is no CNAME target');
});

test('pod names answer their address when the pod exists in that namespace', () => {
  assert.deepEqual(texts(ask('10-244-2-2.default.pod.cluster.local', RRType.A)), ['10-244-2-2.default.pod.cluster.local. 30 A 10.244.2.2']);
  assert.equal(ask('10-244-2-2.kube-system.pod.cluster.local', RRType.A)?.rcode, 'NXDOMAIN');
  assert.equal(ask('10-244-9-9.default.pod.cluster.local', RRType.A)?.rcode, 'NXDOMAIN');
  assert.equal(ask('not-an-ip.default.pod.cluster.local', RRType.A)?.rcode, 'NXDOMAIN');
  // Without pods in the view, any address under an existing namespace answers (CoreDNS "pods insecure").
  const lists = sampleCluster();
  const insecure = viewFromLists({ services: lists.services, endpointSlices: lists.endpointSlices, namespaces: lists.namespaces });
  const a = answerFromZone(insecure, { name: '10-1-2-3.empty.pod.cluster.local', type: RRType.A, class: CLASS_IN }, opts);
  assert.deepEqual(texts(a), ['10-1-2-3.empty.pod.cluster.local. 30 A 10.1.2.3']);
  const v6 = answerFromZone(insecure, { name: 'fd00--1.empty.pod.cluster.local', type: RRType.AAAA, class: CLASS_IN }, opts);
  assert.deepEqual(texts(v6), ['fd00--1.empty.pod.cluster.local. 30 AAAA fd00::1']);
});

test('PTR names services, endpoints and pods; unknown addresses are not ours', () => {
  assert.deepEqual(texts(ask('10.0.96.10.in-addr.arpa', RRType.PTR)), ['10.0.96.10.in-addr.arpa. 30 PTR web.default.svc.cluster.local.']);
  assert.deepEqual(texts(ask('10.1.244.10.in-addr.arpa', RRType.PTR)), ['10.1.244.10.in-addr.arpa. 30 PTR db-0.db.default.svc.cluster.local.']);
  assert.deepEqual(texts(ask('2.2.244.10.in-addr.arpa', RRType.PTR)), ['2.2.244.10.in-addr.arpa. 30 PTR 10-244-2-2.default.pod.cluster.local.']);
  const v6 = '0.2.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.d.f.ip6.arpa';
  assert.deepEqual(texts(ask(v6, RRType.PTR)), [`${v6}. 30 PTR dual.default.svc.cluster.local.`]);
  assert.equal(ask('8.8.8.8.in-addr.arpa', RRType.PTR), undefined);
  assert.equal(ask('10.in-addr.arpa', RRType.PTR), undefined);
});

test('missing names in the domain are NXDOMAIN with the SOA; existing names without the type are NODATA', () => {
  for (const name of ['nope.default.svc.cluster.local', 'web.nope.svc.cluster.local', 'nope.cluster.local', 'a.b.web.default.svc.cluster.local', 'google.com.default.svc.cluster.local']) {
    const a = ask(name, RRType.A);
    assert.equal(a?.rcode, 'NXDOMAIN', name);
    assert.deepEqual(texts(a), []);
    assert.equal(a?.authority[0]?.data.kind, 'SOA', name);
  }
  for (const [name, type] of [['web.default.svc.cluster.local', RRType.TXT], ['web.default.svc.cluster.local', 99], ['default.svc.cluster.local', RRType.A], ['empty.svc.cluster.local', RRType.A], ['svc.cluster.local', RRType.A], ['cluster.local', RRType.A]] as const) {
    const a = ask(name, type);
    assert.equal(a?.rcode, 'NOERROR', `${name} ${type}`);
    assert.deepEqual(texts(a), []);
    assert.equal(a?.authority[0]?.data.kind, 'SOA');
  }
  assert.deepEqual(texts(ask('dns-version.cluster.local', RRType.TXT)), ['dns-version.cluster.local. 30 TXT "1.1.0"']);
  assert.equal(ask('cluster.local', RRType.SOA)?.answers[0]?.data.kind, 'SOA');
  assert.equal(ask('example.com', RRType.A), undefined, 'outside the domain');
  assert.equal(ask('cluster.local.example.com', RRType.A), undefined);
});
