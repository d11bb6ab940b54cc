// Admission webhooks of a synced cluster named by a Service: the webhook's pod
// runs on the host (a simulated host pod whose port-forward reaches the HTTPS
// webhook server this test runs), and the virtual cluster's API server calls
// it through the syncer's service dialer (a port-forward tunnel through the
// host's API), with TLS from here to the pod checked against the caBundle.
// Two kubevisor servers in this process.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { KubeObject } from '../api/types.ts';
import { issueCertificate, newKeyPair, privateKeyPem } from '../server/pki/certificate.ts';
import { Client } from '../../test/support/client.ts';
import { eventually } from '../server/admission/testing.ts';
import { startTwoServers, type TwoServers } from '../../test/support/two-servers.ts';
import { HostConnection, type HostResource } from './host/connection.ts';
import { hostName } from './translate/names.ts';

const HOST_NS = 'tenants-hooks';
const CLUSTER = 'hooks';
const NS = 'default';
const PODS: HostResource = { apiVersion: 'v1', plural: 'pods' };

type Json = Record<string, any>;

let t: TwoServers;
let host: HostConnection;
let tenant: Client;
let hook: Server;
let hookPort: number;
let caPem: string;
let otherCaPem: string;
const seen: Json[] = [];

function certificates(): { key: string; cert: string } {
  const now = Date.now();
  const window = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000) };
  const caKeys = newKeyPair();
  const caName = { commonName: 'hook-ca' };
  caPem = issueCertificate({ subject: caName, publicKey: caKeys.publicKey, ...window, isCA: true }, { name: caName, ...caKeys });
  const otherKeys = newKeyPair();
  otherCaPem = issueCertificate({ subject: { commonName: 'other-ca' }, publicKey: otherKeys.publicKey, ...window, isCA: true }, { name: { commonName: 'other-ca' }, ...otherKeys });
  const keys = newKeyPair();
  const cert = issueCertificate({ subject: { commonName: 'hook' }, publicKey: keys.publicKey, ...window, extendedKeyUsages: ['serverAuth'], hosts: [`hook.${NS}.svc`] },
    { name: caName, ...caKeys });
  return { key: privateKeyPem(keys.privateKey), cert };
}

const call = (method: string, path: string, body?: unknown) => tenant.call(method, path, body);


before(async () => {
  const { key, cert } = certificates();
  hook = createServer({ key, cert }, (req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => { body += c.toString(); });
    req.on('end', () => {
      const review = JSON.parse(body) as { request: Json };
      seen.unshift({ path: req.url, host: req.headers.host, request: review.request });
      const labels = review.request.object?.metadata?.labels ?? {};
      const response: Json = { uid: review.request.uid, allowed: labels.deny !== 'true' };
      if (!response.allowed) response.status = { code: 403, reason: 'Forbidden', message: 'denied by the synced webhook' };
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'admission.k8s.io/v1', kind: 'AdmissionReview', response }));
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  hookPort = (hook.address() as AddressInfo).port;

  t = await startTwoServers();
  await t.host.server.ensureCluster('host', { nodes: 1 });
  const hostKubeconfig = await t.host.kubeconfig('host');
  host = await HostConnection.connect({ file: hostKubeconfig });
  await t.tenant.server.ensureCluster(CLUSTER, { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS } });
  tenant = new Client(await t.tenant.kubeconfig(CLUSTER));
  await eventually(async () => (await call('POST', `/api/v1/namespaces/${NS}/services`, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'hook' },
    spec: { selector: { app: 'hook' }, ports: [{ name: 'https', port: 443, targetPort: 8443 }] },
  })).status === 201, 'the cluster connected to its host (a Service made)', 30_000);
  const created = await call('POST', `/api/v1/namespaces/${NS}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'hook', labels: { app: 'hook' } },
    spec: { containers: [{ name: 'hook', image: 'example/hook:1', ports: [{ containerPort: 8443 }] }] },
  });
  assert.equal(created.status, 201, created.text);
  await eventually(async () => (await call('GET', `/api/v1/namespaces/${NS}/pods/hook`)).json.status?.phase === 'Running', 'the hook pod running', 30_000);
  // The host pod forwards its port 8443 to the webhook server (set on the host: a virtual pod's kubevisor.dev/ keys are renamed there).
  await host.patch(PODS, HOST_NS, hostName('hook', NS, CLUSTER), 'merge', { metadata: { annotations: { 'kubevisor.dev/port-forward-8443': `127.0.0.1:${hookPort}` } } });
});

after(async () => {
  tenant?.close();
  host?.close();
  await t?.close();
  hook?.close();
  hook?.closeAllConnections();
});

function configuration(name: string, ca: string, failurePolicy = 'Fail'): KubeObject {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name },
    webhooks: [{
      name: `${name}.kubevisor.test`, admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy,
      clientConfig: { service: { namespace: NS, name: 'hook', path: '/validate', port: 443 }, caBundle: Buffer.from(ca).toString('base64') },
      rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
      objectSelector: { matchLabels: { guarded: name } },
    }],
  } as unknown as KubeObject;
}

const configMap = (name: string, labels: Record<string, string>) => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, labels }, data: { a: '1' } });

test('a webhook Service of a synced cluster: called through the host, its answer applied', async () => {
  const made = await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', configuration('tunnel', caPem));
  assert.equal(made.status, 201, made.text);
  // The endpoint shows ready once the host reports the pod ready; until then the call fails (policy Fail).
  await eventually(async () => (await call('POST', `/api/v1/namespaces/${NS}/configmaps`, configMap('allowed', { guarded: 'tunnel' }))).status === 201, 'an allowed create', 30_000);
  const denied = await call('POST', `/api/v1/namespaces/${NS}/configmaps`, configMap('denied', { guarded: 'tunnel', deny: 'true' }));
  assert.equal(denied.status, 403, denied.text);
  assert.equal(denied.json.message, 'admission webhook "tunnel.kubevisor.test" denied the request: denied by the synced webhook');
  assert.equal(seen[0]!.path, '/validate?timeout=10s');
  assert.equal(seen[0]!.host, `hook.${NS}.svc:443`);
  assert.equal(seen[0]!.request.name, 'denied');
});

test('the caBundle is checked, from the virtual cluster\'s server to the pod', async () => {
  const made = await call('POST', '/apis/admissionregistration.k8s.io/v1/validatingwebhookconfigurations', configuration('wrongca', otherCaPem));
  assert.equal(made.status, 201, made.text);
  const r = await call('POST', `/api/v1/namespaces/${NS}/configmaps`, configMap('unverified', { guarded: 'wrongca' }));
  assert.equal(r.status, 500, r.text);
  assert.equal(r.json.message, `Internal error occurred: failed calling webhook "wrongca.kubevisor.test": failed to call webhook: Post "https://hook.${NS}.svc:443/validate?timeout=10s": tls: failed to verify certificate: x509: certificate signed by unknown authority`);
});
