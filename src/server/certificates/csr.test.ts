// CertificateSigningRequests through the HTTP handlers, the store and the
// csrsigning controller of an in-process server: the requestor is filled in,
// the approval subresource needs `approve` on the signer (upstream's 403 text),
// the signed certificate authenticates to the cluster as CN = user, O = groups,
// status needs `sign`, system:masters requests are refused, and the validation
// texts of approval writes are upstream's.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { parse } from 'yaml';
import { startInProcessServer, type InProcessServer } from '../../../test/support/in-process-server.ts';
import { Client } from '../../../test/support/client.ts';
import { makeCsr } from '../../../test/support/csr.ts';
import { controllerContext } from '../../controllers/context.ts';
import { startCertificateControllers } from '../../controllers/certificates/index.ts';

let server: InProcessServer;
let client: Client;

const csrs = '/apis/certificates.k8s.io/v1/certificatesigningrequests';
const SIGNER = 'kubernetes.io/kube-apiserver-client';
const MERGE = 'application/merge-patch+json';

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = {}, contentType = 'application/json') {
  const r = await client.request(method, path, body === undefined ? { headers } : { body: JSON.stringify(body), headers: { 'Content-Type': contentType, ...headers } });
  return { status: r.status, body: r.json() };
}

const as = (user: string) => ({ 'Impersonate-User': user });

async function createCsr(name: string, opts: Parameters<typeof makeCsr>[0] = {}, spec: Record<string, unknown> = {}) {
  const csr = makeCsr({ commonName: name, ...opts });
  const r = await call('POST', csrs, {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name },
    spec: { request: csr.request, signerName: SIGNER, usages: ['client auth'], ...spec },
  });
  return { ...r, csr };
}

const approved = (reason = 'Test') => ({ type: 'Approved', status: 'True', reason, message: 'approved by the test' });

async function approve(name: string, headers: Record<string, string> = {}) {
  const cur = await call('GET', `${csrs}/${name}`);
  return call('PUT', `${csrs}/${name}/approval`, { ...cur.body, status: { ...cur.body.status, conditions: [...(cur.body.status.conditions ?? []), approved()] } }, headers);
}

async function certificateOf(name: string): Promise<string> {
  const end = Date.now() + 10_000;
  for (;;) {
    const r = await call('GET', `${csrs}/${name}`);
    if (r.body.status?.certificate) return Buffer.from(r.body.status.certificate, 'base64').toString();
    if (Date.now() > end) assert.fail(`no certificate for ${name}: ${JSON.stringify(r.body.status)}`);
    await new Promise((res) => setTimeout(res, 20));
  }
}

/** POST a SelfSubjectReview with a client certificate and key: who the cluster says we are. */
function whoami(certPem: string, keyPem: string): Promise<{ status: number; body: any }> {
  const kc = parse(readFileSync(server.kubeconfig, 'utf8'));
  const cluster = kc.clusters[0].cluster;
  const agent = new Agent({ ca: Buffer.from(cluster['certificate-authority-data'], 'base64'), cert: certPem, key: keyPem });
  const body = JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'SelfSubjectReview' });
  return new Promise((resolve, reject) => {
    const req = request(new URL(`${cluster.server}/apis/authentication.k8s.io/v1/selfsubjectreviews`), {
      method: 'POST', agent, headers: { 'Content-Type': 'application/json', 'Content-Length': String(Buffer.byteLength(body)) },
    }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => { agent.destroy(); resolve({ status: res.statusCode ?? 0, body: JSON.parse(Buffer.concat(chunks).toString()) }); });
    });
    req.on('error', reject);
    req.end(body);
  });
}

before(async () => {
  server = await startInProcessServer('csr', (vc) => startCertificateControllers(controllerContext(vc)));
  client = new Client(server.kubeconfig);
  // bob may read requests and write their approval and status, but holds no verb on any signer.
  const rbac = '/apis/rbac.authorization.k8s.io/v1';
  for (const [path, body] of [
    [`${rbac}/clusterroles`, { metadata: { name: 'csr-writer' }, rules: [
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests'], verbs: ['get', 'list', 'create'] },
      { apiGroups: ['certificates.k8s.io'], resources: ['certificatesigningrequests/approval', 'certificatesigningrequests/status'], verbs: ['update', 'patch'] },
    ] }],
    [`${rbac}/clusterrolebindings`, { metadata: { name: 'bob-csr-writer' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'csr-writer' }, subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }] }],
  ] as const) {
    const r = await call('POST', path, body);
    assert.equal(r.status, 201, JSON.stringify(r.body));
  }
});
after(async () => { client?.close(); await server?.close(); });

test('the requestor is the creating user; the status and identity a client sends are dropped', async () => {
  const r = await createCsr('requestor', {}, { username: 'mallory', groups: ['system:masters'], uid: 'x' });
  assert.equal(r.status, 201, JSON.stringify(r.body));
  assert.equal(r.body.spec.username, 'kubevisor-admin');
  assert.deepEqual(r.body.spec.groups, ['system:masters', 'system:authenticated']);
  assert.equal(r.body.spec.uid, undefined);
  assert.deepEqual(r.body.status, {});
  const byBob = await call('POST', csrs, {
    apiVersion: 'certificates.k8s.io/v1', kind: 'CertificateSigningRequest', metadata: { name: 'by-bob' },
    spec: { request: makeCsr({ commonName: 'bob' }).request, signerName: SIGNER, usages: ['client auth'] },
  }, as('bob'));
  assert.equal(byBob.status, 201, JSON.stringify(byBob.body));
  assert.equal(byBob.body.spec.username, 'bob');
  assert.deepEqual(byBob.body.spec.groups, ['system:authenticated']);
});

test('approve, sign, and the certificate authenticates as CN = user, O = groups', async () => {
  const { csr } = await createCsr('jane', { organizations: ['dev', 'qa'] }, { expirationSeconds: 3600 });
  assert.equal((await call('GET', `${csrs}/jane/approval`)).body.metadata.name, 'jane');
  const a = await approve('jane');
  assert.equal(a.status, 200, JSON.stringify(a.body));
  assert.equal(a.body.status.conditions[0].type, 'Approved');
  assert.ok(a.body.status.conditions[0].lastUpdateTime);
  // The approver owns the conditions, recorded under the approval subresource.
  const entry = (a.body.metadata.managedFields as { subresource?: string; operation: string; fieldsV1: { 'f:status'?: Record<string, unknown> } }[]).find((e) => e.subresource === 'approval');
  assert.ok(entry, JSON.stringify(a.body.metadata.managedFields));
  assert.equal(entry.operation, 'Update');
  assert.deepEqual(Object.keys(entry.fieldsV1['f:status'] ?? {}), ['f:conditions']);
  const chain = await certificateOf('jane');
  assert.equal(chain.match(/-----BEGIN CERTIFICATE-----/g)?.length, 2, 'the certificate, then the cluster CA');
  const me = await whoami(chain, csr.keyPem);
  assert.equal(me.status, 201, JSON.stringify(me.body));
  assert.deepEqual(me.body.status.userInfo, { username: 'jane', groups: ['dev', 'qa', 'system:authenticated'] });
});

test('approval needs the approve verb on the signer, with upstream\'s 403', async () => {
  await createCsr('for-bob');
  const denied = await approve('for-bob', as('bob'));
  assert.equal(denied.status, 403);
  assert.equal(denied.body.message, `certificatesigningrequests.certificates.k8s.io "for-bob" is forbidden: user not permitted to approve requests with signerName "${SIGNER}"`);
  // A merge patch of the approval subresource is checked the same way.
  const patched = await call('PATCH', `${csrs}/for-bob/approval`, { status: { conditions: [approved()] } }, as('bob'), MERGE);
  assert.equal(patched.status, 403);
  // `approve` on kubernetes.io/* (the signer's domain) is enough.
  const role = await call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterroles', {
    metadata: { name: 'kubernetes-signers-approver' }, rules: [{ apiGroups: ['certificates.k8s.io'], resources: ['signers'], resourceNames: ['kubernetes.io/*'], verbs: ['approve'] }],
  });
  assert.equal(role.status, 201);
  const binding = await call('POST', '/apis/rbac.authorization.k8s.io/v1/clusterrolebindings', {
    metadata: { name: 'bob-approver' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'kubernetes-signers-approver' },
    subjects: [{ apiGroup: 'rbac.authorization.k8s.io', kind: 'User', name: 'bob' }],
  });
  assert.equal(binding.status, 201);
  const ok = await call('PATCH', `${csrs}/for-bob/approval`, { status: { conditions: [approved()] } }, as('bob'), MERGE);
  assert.equal(ok.status, 200, JSON.stringify(ok.body));
  await certificateOf('for-bob');
});

test('status writes that set the certificate need the sign verb', async () => {
  await createCsr('self-signed');
  const cur = (await call('GET', `${csrs}/self-signed`)).body;
  const cert = Buffer.from(makeCsr().csrPem).toString('base64');
  const r = await call('PUT', `${csrs}/self-signed/status`, { ...cur, status: { certificate: cert } }, as('bob'));
  // Invalid content is refused first (422), as upstream validates before it admits.
  assert.equal(r.status, 422, JSON.stringify(r.body));
  const chain = await certificateOf('jane');
  const r2 = await call('PUT', `${csrs}/self-signed/status`, { ...cur, status: { certificate: Buffer.from(chain).toString('base64') } }, as('bob'));
  assert.equal(r2.status, 403);
  assert.equal(r2.body.message, `certificatesigningrequests.certificates.k8s.io "self-signed" is forbidden: user not permitted to sign requests with signerName "${SIGNER}"`);
  // A status write that changes nothing needs no signing right.
  const same = await call('PUT', `${csrs}/self-signed/status`, cur, as('bob'));
  assert.equal(same.status, 200, JSON.stringify(same.body));
});

test('a request for system:masters is refused at create', async () => {
  const r = await createCsr('root', { organizations: ['system:masters'] });
  assert.equal(r.status, 403);
  assert.equal(r.body.message, `certificatesigningrequests.certificates.k8s.io "root" is forbidden: use of ${SIGNER} signer with system:masters group is not allowed`);
  // Other signers may name it (theirs to decide).
  const other = await createCsr('root-other', { organizations: ['system:masters'] }, { signerName: 'example.com/signer' });
  assert.equal(other.status, 201, JSON.stringify(other.body));
});

test('approval validation: Approved and Denied are exclusive and stay; invalid requests are refused', async () => {
  await createCsr('both');
  const cur = (await call('GET', `${csrs}/both`)).body;
  const both = await call('PUT', `${csrs}/both/approval`, { ...cur, status: { conditions: [approved(), { type: 'Denied', status: 'True' }] } });
  assert.equal(both.status, 422);
  assert.equal(both.body.message, 'CertificateSigningRequest.certificates.k8s.io "both" is invalid: status.conditions[1].type: Invalid value: "Denied": Approved and Denied conditions are mutually exclusive');
  const deny = await call('PATCH', `${csrs}/both/approval`, { status: { conditions: [{ type: 'Denied', status: 'True', reason: 'No' }] } }, {}, MERGE);
  assert.equal(deny.status, 200, JSON.stringify(deny.body));
  const undo = await call('PATCH', `${csrs}/both/approval`, { status: { conditions: [approved()] } }, {}, MERGE);
  assert.equal(undo.status, 422);
  assert.equal(undo.body.message, 'CertificateSigningRequest.certificates.k8s.io "both" is invalid: status.conditions: Forbidden: updates may not remove a condition of type "Denied"');
  // The main resource keeps the conditions.
  const main = await call('PUT', `${csrs}/both`, { ...deny.body, status: {} });
  assert.equal(main.status, 200);
  assert.equal(main.body.status.conditions[0].type, 'Denied');

  const bad = await createCsr('bad-signature', { badSignature: true });
  assert.equal(bad.status, 422);
  assert.match(bad.body.message, /^CertificateSigningRequest\.certificates\.k8s\.io "bad-signature" is invalid: spec\.request: Invalid value: "[^"]+": x509: ECDSA verification failure$/);
  const short = await createCsr('short', {}, { expirationSeconds: 60 });
  assert.equal(short.status, 422);
  assert.equal(short.body.message, 'CertificateSigningRequest.certificates.k8s.io "short" is invalid: spec.expirationSeconds: Invalid value: 60: may not specify a duration less than 600 seconds (10 minutes)');
});
