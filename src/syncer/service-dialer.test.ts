// The ServiceDialer of a synced cluster: two kubevisor servers in this process
// (a host with simulated nodes and host access on, and a tenant whose cluster
// syncs to it). A Deployment's pod and a Service (a named target port) in the
// virtual cluster; the host pod's port-forward annotation points at a local
// TLS echo server that asks for a client certificate. The dialer registered
// for the cluster tunnels through the host's pods/portforward; TLS runs over
// it end to end, checked as NAME.NAMESPACE.svc against the echo server's CA.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { connect as tlsConnect, createServer as createTlsServer, type Server, type TLSSocket } from 'node:tls';
import type { Duplex } from 'node:stream';
import type { KubeObject } from '../api/types.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { issueCertificate, newKeyPair, privateKeyPem } from '../server/pki/certificate.ts';
import { ServiceDialError, serviceDialerOf, type ServiceDialer } from '../server/service-dial.ts';
import { eventually } from '../../test/support/cluster.ts';
import { startTwoServers, type TwoServers } from '../../test/support/two-servers.ts';
import { HostConnection, type HostResource } from './host/connection.ts';
import { hostName } from './translate/names.ts';

const HOST_NS = 'tenants-dial';
const CLUSTER = 'dial';
const PODS: HostResource = { apiVersion: 'v1', plural: 'pods' };
const SERVICES: HostResource = { apiVersion: 'v1', plural: 'services' };
const DEPLOYMENTS: HostResource = { apiVersion: 'apps/v1', plural: 'deployments' };

let t: TwoServers;
let vc: VirtualCluster;
let host: HostConnection;
let tenant: HostConnection;
let echo: Server;
let echoPort: number;
const pem = {} as { ca: string; clientCert: string; clientKey: string };

function certificates(): { serverKey: string; serverCert: string } {
  const now = Date.now();
  const window = { notBefore: new Date(now - 60_000), notAfter: new Date(now + 3_600_000) };
  const caKeys = newKeyPair();
  const caName = { commonName: 'echo-ca' };
  const signer = { name: caName, ...caKeys };
  pem.ca = issueCertificate({ subject: caName, publicKey: caKeys.publicKey, ...window, isCA: true }, signer);
  const serverKeys = newKeyPair();
  const serverCert = issueCertificate({ subject: { commonName: 'api' }, publicKey: serverKeys.publicKey, ...window,
    extendedKeyUsages: ['serverAuth'], hosts: ['api.default.svc'] }, signer);
  const clientKeys = newKeyPair();
  pem.clientCert = issueCertificate({ subject: { commonName: 'kube-aggregator' }, publicKey: clientKeys.publicKey, ...window,
    extendedKeyUsages: ['clientAuth'] }, signer);
  pem.clientKey = privateKeyPem(clientKeys.privateKey);
  return { serverKey: privateKeyPem(serverKeys.privateKey), serverCert };
}

async function deployment(name: string, ports: { name: string; containerPort: number }[]): Promise<void> {
  await tenant.create(DEPLOYMENTS, 'default', {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas: 1, selector: { matchLabels: { app: name } },
      template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'example/api:1', ports }] } },
    },
  } as KubeObject);
}

async function service(name: string, app: string, port: number, targetPort: number | string): Promise<void> {
  await tenant.create(SERVICES, 'default', {
    apiVersion: 'v1', kind: 'Service', metadata: { name },
    spec: { selector: { app }, ports: [{ name: 'tls', port, targetPort }] },
  });
}

/** The running virtual pod of a Deployment (and its host pod, once the host runs it). */
async function runningPod(app: string): Promise<{ pod: KubeObject; hostPod: KubeObject }> {
  let out: { pod: KubeObject; hostPod: KubeObject } | undefined;
  await eventually(async () => {
    const pods = (await tenant.list(PODS, 'default', { labelSelector: `app=${app}` })).items;
    const pod = pods.find((p) => (p.status as { phase?: string } | undefined)?.phase === 'Running');
    if (!pod) return false;
    const hostPod = await host.get(PODS, HOST_NS, hostName(pod.metadata.name!, 'default', CLUSTER)).catch(() => undefined);
    if (!hostPod) return false;
    out = { pod, hostPod };
    return true;
  }, 60_000, `a running ${app} pod`);
  return out!;
}

before(async () => {
  const { serverKey, serverCert } = certificates();
  echo = createTlsServer({ key: serverKey, cert: serverCert, ca: pem.ca, requestCert: true, rejectUnauthorized: true }, (s) => {
    s.on('error', () => {});
    // It greets its peer by the client certificate it checked, then echoes; it ends when the client does.
    s.write(`hello ${(s.getPeerCertificate().subject as { CN?: string } | undefined)?.CN ?? '?'}\n`);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => echo.listen(0, '127.0.0.1', resolve));
  echoPort = (echo.address() as { port: number }).port;

  t = await startTwoServers();
  await t.host.server.ensureCluster('host', { nodes: 1 });
  const hostKubeconfig = await t.host.kubeconfig('host');
  host = await HostConnection.connect({ file: hostKubeconfig });
  vc = await t.tenant.server.ensureCluster(CLUSTER, { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS } });
  tenant = await HostConnection.connect({ file: await t.tenant.kubeconfig(CLUSTER) });
  await eventually(async () => {
    try {
      await service('api', 'api', 443, 'https');
      return true;
    } catch {
      return false; // the cluster is not connected to its host yet
    }
  }, 30_000, 'the cluster connected to its host');
  await deployment('api', [{ name: 'https', containerPort: 8443 }]);
  await service('closed', 'api', 443, 9443);
  await service('idle', 'nobody', 443, 8443);
  // The host pod forwards its port 8443 to the echo server (a host annotation: the virtual pod's kubevisor.dev/ keys are renamed on the host).
  const { hostPod } = await runningPod('api');
  await host.patch(PODS, HOST_NS, hostPod.metadata.name!, 'merge', { metadata: { annotations: { 'kubevisor.dev/port-forward-8443': `127.0.0.1:${echoPort}` } } });
});

after(async () => {
  tenant?.close();
  host?.close();
  await t?.close();
  await new Promise<void>((resolve) => echo?.close(() => resolve()));
});

function dialer(): ServiceDialer {
  const d = serviceDialerOf(vc);
  assert.ok(d, 'the syncer registered a dialer for the cluster');
  return d;
}

/** Dial `name`:`port`, waiting for the host's endpoints to show the pod ready. */
async function dialWhenReady(name: string, port: number): Promise<Duplex> {
  let conn: Duplex | undefined;
  let last: unknown;
  await eventually(async () => {
    try {
      conn = await dialer()({ namespace: 'default', name, port }, AbortSignal.timeout(10_000));
      return true;
    } catch (e) {
      last = e;
      if (e instanceof ServiceDialError && e.message.startsWith('no endpoints available')) return false;
      throw e;
    }
  }, 60_000, `the endpoints of ${name} (last: ${String(last)})`);
  return conn!;
}

async function dialFailure(name: string, port: number): Promise<ServiceDialError> {
  try {
    const s = await dialer()({ namespace: 'default', name, port });
    // A refusal that came after the dial: the stream fails with it.
    const e = await new Promise<unknown>((resolve) => { s.once('error', resolve); s.once('close', () => resolve(undefined)); s.resume(); });
    if (e instanceof ServiceDialError) return e;
    assert.fail(`the dial to ${name}:${port} succeeded (${String(e)})`);
  } catch (e) {
    assert.ok(e instanceof ServiceDialError, String(e));
    return e;
  }
}

/** Read from a TLS socket until what came ends with `end` (a string) or has `end` (a number of) bytes. */
function readUntil(s: TLSSocket, end: string | number): Promise<string> {
  return new Promise((resolve, reject) => {
    let text = '';
    const onData = (d: Buffer) => {
      text += d.toString();
      if (typeof end === 'string' ? !text.endsWith(end) : text.length < end) return;
      s.off('data', onData);
      s.off('error', reject);
      resolve(text);
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

test('TLS over the dialed connection reaches the pod: server name NAME.NAMESPACE.svc, the client certificate, data both ways, a clean close', async () => {
  const raw = await dialWhenReady('api', 443);
  const s = tlsConnect({ socket: raw, servername: 'api.default.svc', ca: pem.ca, cert: pem.clientCert, key: pem.clientKey });
  await new Promise<void>((resolve, reject) => { s.once('secureConnect', resolve); s.once('error', reject); });
  assert.equal(s.authorized, true);
  assert.equal(await readUntil(s, '\n'), 'hello kube-aggregator\n');
  s.write('ping');
  assert.equal(await readUntil(s, 'ping'), 'ping');
  const big = 'x'.repeat(512 * 1024);
  s.write(big);
  assert.ok(await readUntil(s, big.length) === big, 'the large write came back whole');
  // Ending the client's side: the echo server ends too, and both close without an error.
  const closed = new Promise<boolean>((resolve) => s.once('close', resolve));
  s.end();
  s.resume();
  assert.equal(await closed, false, 'closed without an error');
  await eventually(() => raw.destroyed, 5_000, 'the tunnel closed');
});

test('a certificate for another name fails TLS, not the dial', async () => {
  const raw = await dialWhenReady('api', 443);
  const s = tlsConnect({ socket: raw, servername: 'other.default.svc', ca: pem.ca, cert: pem.clientCert, key: pem.clientKey });
  const e = await new Promise<Error>((resolve) => s.once('error', resolve));
  assert.equal((e as NodeJS.ErrnoException).code, 'ERR_TLS_CERT_ALTNAME_INVALID');
  raw.destroy();
});

test('what upstream\'s resolver says of a missing service, port or endpoints; a port-forward the host refuses names the virtual pod', async () => {
  const missing = await dialFailure('nope', 443);
  assert.deepEqual([missing.stage, missing.message], ['resolve', 'service "nope" not found']);
  const noPort = await dialFailure('api', 444);
  assert.deepEqual([noPort.stage, noPort.message], ['resolve', 'no service port 444 found for service "api"']);
  const idle = await dialFailure('idle', 443);
  assert.deepEqual([idle.stage, idle.message], ['resolve', 'no endpoints available for service "idle"']);

  // The pod's port 9443 forwards nowhere: the host refuses it on the error channel.
  await dialWhenReady('api', 443).then((s) => s.destroy()); // the endpoints are ready
  const { pod } = await runningPod('api');
  let refused: ServiceDialError | undefined;
  await eventually(async () => {
    refused = await dialFailure('closed', 443);
    return !refused.message.startsWith('no endpoints available');
  }, 30_000, 'the endpoints of closed');
  assert.equal(refused!.stage, 'dial');
  assert.match(refused!.message, new RegExp(`^error forwarding port 9443 to pod default/${pod.metadata.name}, uid ${pod.metadata.uid}: ` +
    `pod default/${pod.metadata.name} is simulated by kubevisor and nothing listens on its port 9443`));
  assert.ok(!refused!.message.includes(HOST_NS) && !refused!.message.includes(`-x-${CLUSTER}`), refused!.message);
});

test('the dialer is the cluster\'s while it syncs', async () => {
  assert.ok(serviceDialerOf(vc));
  const other = await t.tenant.server.ensureCluster('standalone');
  assert.equal(serviceDialerOf(other), undefined);
  // Pausing stops the syncing: the dialer goes with it.
  await t.tenant.server.ensureCluster(CLUSTER, { paused: true }).catch((e: unknown) => {
    if ((e as { code?: number }).code !== 503) throw e;
  });
  await eventually(() => serviceDialerOf(vc) === undefined, 30_000, 'the dialer removed');
});
