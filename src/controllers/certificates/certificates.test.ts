// The csrsigning controller and the CSR cleaner on an in-process cluster, and the
// signers' rules, usages and durations.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import type { KubeObject } from '../../api/types.ts';
import { parseCertificateRequestPem } from '../../api/x509/csr.ts';
import { decodeAllPem } from '../../api/x509/pem.ts';
import { issueCertificate, newKeyPair, type Signer } from '../../server/pki/certificate.ts';
import { certificateSigningRequestAdmission } from '../../server/certificates/admission.ts';
import { signRequestedCertificate } from '../../server/tenancy/cluster-pki.ts';
import { eventually, openTestCluster } from '../../../test/support/cluster.ts';
import { makeCsr } from '../../../test/support/csr.ts';
import { controllerContext } from '../context.ts';
import { startCertificateControllers } from './index.ts';
import { removalTime } from './cleaner.ts';
import { certificateUsages, durationFor, KUBE_APISERVER_CLIENT, KUBE_APISERVER_CLIENT_KUBELET, KUBELET_SERVING, signerRefusal } from './signers.ts';

const HOUR = 3600_000;

function testCA(days = 365): { signer: Signer; cert: X509Certificate; pem: string } {
  const keys = newKeyPair();
  const now = Date.now();
  const pem = issueCertificate({ subject: { commonName: 'test-ca' }, publicKey: keys.publicKey, notBefore: new Date(now - HOUR), notAfter: new Date(now + days * 24 * HOUR), isCA: true },
    { name: { commonName: 'test-ca' }, ...keys });
  return { signer: { name: { commonName: 'test-ca' }, ...keys }, cert: new X509Certificate(pem), pem };
}

test('kube-apiserver-client: client auth required, nothing beyond digital signature and key encipherment', () => {
  const req = parseCertificateRequestPem(Buffer.from(makeCsr({ commonName: 'jane' }).csrPem));
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT, req, ['client auth']), undefined);
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT, req, ['digital signature', 'key encipherment', 'client auth']), undefined);
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT, req, ['client auth', 'server auth']), 'invalid usage for client certificate: server auth');
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT, req, ['digital signature']), 'missing required usage for client certificate: client auth');
});

test('kubelet signers: system:nodes, system:node: names, exact usages, subjectAltNames', () => {
  const parse = (o: Parameters<typeof makeCsr>[0]) => parseCertificateRequestPem(Buffer.from(makeCsr(o).csrPem));
  const node = { commonName: 'system:node:n1', organizations: ['system:nodes'] };
  const client = ['digital signature', 'client auth'];
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT_KUBELET, parse(node), client), undefined);
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT_KUBELET, parse(node), ['key encipherment', 'digital signature', 'client auth']), undefined);
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT_KUBELET, parse({ ...node, organizations: ['dev'] }), client), 'subject organization is not system:nodes');
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT_KUBELET, parse({ ...node, dnsNames: ['n1'] }), client), 'DNS subjectAltNames are not allowed');
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT_KUBELET, parse({ ...node, commonName: 'n1' }), client), 'subject common name does not begin with system:node:');
  assert.equal(signerRefusal(KUBE_APISERVER_CLIENT_KUBELET, parse(node), ['client auth']), 'usages did not match [client auth digital signature key encipherment]');
  const serving = ['digital signature', 'server auth'];
  assert.equal(signerRefusal(KUBELET_SERVING, parse({ ...node, dnsNames: ['n1.local'], ipAddresses: ['10.0.0.1'] }), serving), undefined);
  assert.equal(signerRefusal(KUBELET_SERVING, parse(node), serving), 'DNS or IP subjectAltName is required');
  assert.equal(signerRefusal(KUBELET_SERVING, parse({ ...node, dnsNames: ['n1'], emailAddresses: ['a@b'] }), serving), 'Email subjectAltNames are not allowed');
  assert.equal(signerRefusal(KUBELET_SERVING, parse({ ...node, dnsNames: ['n1'] }), ['server auth']), 'usages did not match [digital signature key encipherment server auth]');
});

test('usages become keyUsage bits and extended key usages; durations stay within [10m, 1y]', () => {
  assert.deepEqual(certificateUsages(['digital signature', 'key encipherment', 'client auth']),
    { keyUsages: ['digitalSignature', 'keyEncipherment'], extendedKeyUsages: ['clientAuth'] });
  assert.deepEqual(certificateUsages(['client auth', 'server auth']), { keyUsages: [], extendedKeyUsages: ['serverAuth', 'clientAuth'] });
  assert.equal(durationFor(undefined), 365 * 24 * HOUR);
  assert.equal(durationFor(3600), HOUR);
  assert.equal(durationFor(10 * 365 * 24 * 3600), 365 * 24 * HOUR);
  assert.equal(durationFor(60), 10 * 60_000);
});

test('a signed certificate: the request\'s subject and key, backdated 5 minutes, never past the CA', () => {
  const ca = testCA(30);
  const csr = makeCsr({ commonName: 'jane', organizations: ['dev', 'qa'] });
  const req = parseCertificateRequestPem(Buffer.from(csr.csrPem));
  const now = Date.now();
  const base = { publicKey: req.publicKey, subject: req.rawSubject, keyUsages: ['digitalSignature'] as const, extendedKeyUsages: ['clientAuth'] as const };
  const short = new X509Certificate(signRequestedCertificate({ ...base, durationMs: HOUR }, ca.signer, ca.cert.validToDate.getTime(), now));
  assert.equal(short.subject, 'O=dev\nO=qa\nCN=jane');
  assert.ok(short.checkIssued(ca.cert) && short.verify(ca.cert.publicKey));
  assert.ok(short.publicKey.equals(csr.publicKey));
  assert.deepEqual(short.keyUsage, ['1.3.6.1.5.5.7.3.2']);
  assert.equal(short.ca, false);
  // Certificates have whole seconds.
  assert.ok(Math.abs(short.validFromDate.getTime() - (now - 5 * 60_000)) < 1000);
  assert.ok(Math.abs(short.validToDate.getTime() - (now + HOUR)) < 1000);
  const long = new X509Certificate(signRequestedCertificate({ ...base, durationMs: 10 * HOUR }, ca.signer, ca.cert.validToDate.getTime(), now));
  assert.ok(Math.abs(long.validToDate.getTime() - (now + 10 * HOUR - 5 * 60_000)) < 1000);
  const capped = new X509Certificate(signRequestedCertificate({ ...base, durationMs: 365 * 24 * HOUR }, ca.signer, ca.cert.validToDate.getTime(), now));
  assert.equal(capped.validToDate.getTime(), ca.cert.validToDate.getTime());
  assert.throws(() => signRequestedCertificate({ ...base, durationMs: HOUR }, ca.signer, now - 10 * 60_000, now), /^Error: the signer has expired: NotAfter=/);
  assert.throws(() => signRequestedCertificate({ ...base, durationMs: HOUR }, ca.signer, now - 1000, now), /^Error: refusing to sign a certificate that expired in the past$/);
  // Any key type is carried: an RSA request's key.
  const rsa = parseCertificateRequestPem(Buffer.from(makeCsr({ keyType: 'rsa', commonName: 'r' }).csrPem));
  const rsaCert = new X509Certificate(signRequestedCertificate({ ...base, publicKey: rsa.publicKey, subject: rsa.rawSubject, durationMs: HOUR }, ca.signer, ca.cert.validToDate.getTime(), now));
  assert.equal(rsaCert.publicKey.asymmetricKeyType, 'rsa');
  assert.ok(rsaCert.verify(ca.cert.publicKey));
});

async function openCluster(offsetMs = 0) {
  const tc = await openTestCluster();
  const ca = testCA();
  tc.vc.signCertificate = (req) => signRequestedCertificate(req, ca.signer, ca.cert.validToDate.getTime()) + ca.pem;
  tc.vc.store.admission.push(certificateSigningRequestAdmission(() => tc.vc.authorizer));
  const ctx = controllerContext(tc.vc, () => new Date(Date.now() + offsetMs));
  const def = ctx.def('certificates.k8s.io', 'v1', 'certificatesigningrequests');
  const stop = startCertificateControllers(ctx);
  const user = { username: 'jane-admin', groups: ['system:authenticated'] };
  return {
    ...tc, ca, def,
    create: (name: string, spec: Record<string, unknown>) => tc.vc.store.create(def, undefined, { metadata: { name }, spec } as KubeObject, { user }),
    setConditions: (name: string, conditions: unknown[]) => tc.vc.store.guaranteedUpdate(def, undefined, name, (cur) => ({ ...cur!, status: { ...(cur!.status as object), conditions } }), { subresource: 'approval' }),
    get: (name: string) => tc.vc.store.peek(def, undefined, name),
    async close() { stop(); await tc.close(); },
  };
}

test('an approved kube-apiserver-client request is signed by the cluster CA; a refused one fails', async () => {
  const c = await openCluster();
  try {
    const csr = makeCsr({ commonName: 'jane', organizations: ['dev'] });
    const created = await c.create('jane', { request: csr.request, signerName: KUBE_APISERVER_CLIENT, usages: ['client auth'], expirationSeconds: 7200, username: 'x' });
    assert.equal((created.spec as any).username, 'jane-admin');
    assert.deepEqual((created.spec as any).groups, ['system:authenticated']);
    await c.setConditions('jane', [{ type: 'Approved', status: 'True', reason: 'Test', message: 'ok' }]);
    await eventually(() => !!(c.get('jane')?.status as any)?.certificate, 5000, 'the certificate');
    const blocks = decodeAllPem(Buffer.from((c.get('jane')!.status as any).certificate, 'base64').toString());
    assert.equal(blocks.length, 2);
    const leaf = new X509Certificate(blocks[0]!.bytes);
    assert.equal(leaf.subject, 'O=dev\nCN=jane');
    assert.ok(leaf.verify(c.ca.cert.publicKey));
    assert.equal(new X509Certificate(blocks[1]!.bytes).fingerprint256, c.ca.cert.fingerprint256);
    assert.ok(Math.abs(leaf.validToDate.getTime() - Date.now() - 2 * HOUR) < 60_000);

    await c.create('server', { request: makeCsr({ commonName: 's' }).request, signerName: KUBE_APISERVER_CLIENT, usages: ['server auth'] });
    await c.setConditions('server', [{ type: 'Approved', status: 'True' }]);
    await eventually(() => ((c.get('server')?.status as any)?.conditions ?? []).length === 2, 5000, 'the Failed condition');
    const failed = (c.get('server')!.status as any).conditions[1];
    assert.equal(failed.type, 'Failed');
    assert.equal(failed.reason, 'SignerValidationFailure');
    assert.equal(failed.message, 'invalid usage for client certificate: server auth');
    assert.equal((c.get('server')!.status as any).certificate, undefined);

    // A custom signer's request stays approved and unsigned; a denied one gets nothing.
    await c.create('custom', { request: makeCsr({ commonName: 'c' }).request, signerName: 'example.com/mine', usages: ['client auth'] });
    await c.setConditions('custom', [{ type: 'Approved', status: 'True' }]);
    await c.create('denied', { request: makeCsr({ commonName: 'd' }).request, signerName: KUBE_APISERVER_CLIENT, usages: ['client auth'] });
    await c.setConditions('denied', [{ type: 'Denied', status: 'True' }]);
    await new Promise((r) => setTimeout(r, 100));
    assert.equal((c.get('custom')!.status as any).certificate, undefined);
    assert.equal((c.get('custom')!.status as any).conditions.length, 1);
    assert.equal((c.get('denied')!.status as any).certificate, undefined);
  } finally {
    await c.close();
  }
});

test('a kubelet-serving request keeps its subjectAltNames', async () => {
  const c = await openCluster();
  try {
    const csr = makeCsr({ commonName: 'system:node:n1', organizations: ['system:nodes'], dnsNames: ['n1.local'], ipAddresses: ['10.0.0.9'] });
    await c.create('n1-serving', { request: csr.request, signerName: KUBELET_SERVING, usages: ['digital signature', 'server auth'] });
    await c.setConditions('n1-serving', [{ type: 'Approved', status: 'True' }]);
    await eventually(() => !!(c.get('n1-serving')?.status as any)?.certificate, 5000, 'the certificate');
    const leaf = new X509Certificate(decodeAllPem(Buffer.from((c.get('n1-serving')!.status as any).certificate, 'base64').toString())[0]!.bytes);
    assert.equal(leaf.subjectAltName, 'DNS:n1.local, IP Address:10.0.0.9');
    assert.deepEqual(leaf.keyUsage, ['1.3.6.1.5.5.7.3.1']);
  } finally {
    await c.close();
  }
});

test('the cleaner removes denied requests after an hour and pending ones after a day', async () => {
  const hourAgo = new Date(Date.now() - 2 * HOUR).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const fresh = { metadata: { name: 'x', creationTimestamp: new Date().toISOString() }, status: {} } as KubeObject;
  assert.ok(Math.abs(removalTime(fresh)! - Date.now() - 24 * HOUR) < 2000);
  assert.ok(Math.abs(removalTime({ ...fresh, status: { conditions: [{ type: 'Denied', status: 'True', lastUpdateTime: hourAgo }] } } as KubeObject)! - (Date.parse(hourAgo) + HOUR)) < 1);
  // Approved without a certificate: kept (a signer elsewhere may still issue it).
  assert.equal(removalTime({ ...fresh, status: { conditions: [{ type: 'Approved', status: 'True', lastUpdateTime: hourAgo }] } } as KubeObject), undefined);

  const later = await openCluster(25 * HOUR);
  try {
    await later.create('pending', { request: makeCsr({ commonName: 'p' }).request, signerName: 'example.com/x', usages: ['client auth'] });
    await eventually(() => later.get('pending') === undefined, 5000, 'the pending request to go');
  } finally {
    await later.close();
  }
  const c = await openCluster();
  try {
    await c.create('denied', { request: makeCsr({ commonName: 'd' }).request, signerName: 'example.com/x', usages: ['client auth'] });
    await c.setConditions('denied', [{ type: 'Denied', status: 'True', lastUpdateTime: hourAgo }]);
    await eventually(() => c.get('denied') === undefined, 5000, 'the denied request to go');
  } finally {
    await c.close();
  }
});
