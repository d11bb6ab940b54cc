// A stand-in for the kubevisor admin API (docs/admin-api.md) for the CLI's
// unit tests: VirtualClusters in memory, a pretend controller moving them
// through their phases, watch, and the kubeconfig/snapshot/restore subresources.
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensurePki, type Pki } from '../server/pki/pki.ts';
import { toPlainYaml } from './plain-yaml.ts';
import type { VirtualCluster } from './virtual-clusters.ts';

const PREFIX = '/apis/kubevisor.dev/v1alpha1/virtualclusters';

export interface FakeAdmin {
  readonly url: string;
  readonly pki: Pki;
  readonly dir: string;
  /** A kubeconfig with the context kubevisor-admin for this server. */
  readonly kubeconfig: string;
  readonly clusters: Map<string, VirtualCluster>;
  readonly snapshots: Map<string, Buffer>;
  /** Requests seen: "METHOD path?query". */
  readonly requests: string[];
  /** Milliseconds the pretend controller takes per step. */
  delayMs: number;
  close(): Promise<void>;
}

function status(res: ServerResponse, code: number, reason: string, message: string): void {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code }));
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

export async function startFakeAdmin(): Promise<FakeAdmin> {
  const dir = await mkdtemp(join(tmpdir(), 'kubevisor-fake-admin-'));
  const pki = await ensurePki(join(dir, 'data'));
  const clusters = new Map<string, VirtualCluster>();
  const snapshots = new Map<string, Buffer>();
  const requests: string[] = [];
  const watchers = new Set<(type: string, vc: VirtualCluster) => void>();
  let revision = 1;
  const timers = new Set<NodeJS.Timeout>();
  const later = (fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, fake.delayMs);
    timers.add(t);
  };
  let url = '';

  const history: Array<{ type: string; vc: VirtualCluster }> = [];
  const emit = (type: string, vc: VirtualCluster) => {
    const copy = structuredClone(vc);
    history.push({ type, vc: copy });
    for (const w of watchers) w(type, copy);
  };
  const store = (vc: VirtualCluster, type = 'MODIFIED') => {
    vc.metadata.resourceVersion = String(++revision);
    clusters.set(vc.metadata.name, vc);
    emit(type, vc);
  };
  const setPhase = (name: string, phase: string) => {
    const vc = clusters.get(name);
    if (!vc) return;
    const now = new Date().toISOString();
    vc.status = {
      ...vc.status,
      phase,
      endpoint: `${url}/clusters/${name}`,
      kubernetesVersion: vc.spec?.kubernetesVersion ?? 'v1.36.0',
      objects: vc.status?.objects ?? 42,
      conditions: [{ type: 'Ready', status: phase === 'Running' ? 'True' : 'False', reason: phase, message: '', lastTransitionTime: now }],
    };
    store(vc);
  };
  const notFound = (res: ServerResponse, name: string) => status(res, 404, 'NotFound', `virtualclusters.kubevisor.dev "${name}" not found`);

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    requests.push(`${req.method} ${req.url}`);
    const authorized = (req.socket as import('node:tls').TLSSocket).authorized || req.headers.authorization === 'Bearer admin-token';
    if (!authorized) return status(res, 401, 'Unauthorized', 'Unauthorized');
    const u = new URL(req.url ?? '/', 'https://x');
    if (u.pathname === PREFIX && req.method === 'GET' && u.searchParams.get('watch') === '1') {
      const selected = /^metadata\.name=(.*)$/.exec(u.searchParams.get('fieldSelector') ?? '')?.[1];
      res.writeHead(200, { 'Content-Type': 'application/json', 'Transfer-Encoding': 'chunked' });
      const w = (type: string, vc: VirtualCluster) => {
        if (selected === undefined || vc.metadata.name === selected) res.write(JSON.stringify({ type, object: vc }) + '\n');
      };
      const since = Number(u.searchParams.get('resourceVersion') || revision);
      for (const e of history) if (Number(e.vc.metadata.resourceVersion) > since) w(e.type, e.vc);
      watchers.add(w);
      res.on('close', () => watchers.delete(w));
      return;
    }
    if (u.pathname === PREFIX && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualClusterList', metadata: { resourceVersion: String(revision) }, items: [...clusters.values()] }));
      return;
    }
    if (u.pathname === PREFIX && req.method === 'POST') {
      const vc = JSON.parse((await readAll(req)).toString()) as VirtualCluster;
      const name = vc.metadata.name;
      if (clusters.has(name)) return status(res, 409, 'AlreadyExists', `virtualclusters.kubevisor.dev "${name}" already exists`);
      vc.metadata = { ...vc.metadata, uid: randomUUID(), creationTimestamp: new Date().toISOString(), generation: 1 };
      vc.status = { phase: 'Pending' };
      store(vc, 'ADDED');
      later(() => setPhase(name, 'Running'));
      res.writeHead(201, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(vc));
      return;
    }
    const m = /^\/apis\/kubevisor\.dev\/v1alpha1\/virtualclusters\/([^/]+)(?:\/([^/]+))?$/.exec(u.pathname);
    if (!m) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    const name = decodeURIComponent(m[1]!);
    const sub = m[2];
    const vc = clusters.get(name);
    if (sub === 'restore' && req.method === 'POST') {
      const body = await readAll(req);
      snapshots.set(name, body);
      if (!vc) {
        store({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name, uid: randomUUID(), creationTimestamp: new Date().toISOString() }, spec: {}, status: { phase: 'Pending' } }, 'ADDED');
        later(() => setPhase(name, 'Running'));
      }
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(clusters.get(name)));
      return;
    }
    if (!vc) return notFound(res, name);
    if (sub === 'kubeconfig' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        apiVersion: 'kubevisor.dev/v1alpha1', kind: 'Kubeconfig', metadata: { name },
        server: `${url}/clusters/${name}`,
        certificateAuthorityData: b64(pki.caCert), clientCertificateData: b64(pki.adminCert), clientKeyData: b64(pki.adminKey), token: `token-${name}`,
      }));
      return;
    }
    if (sub === 'snapshot' && req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/octet-stream' });
      res.end(snapshots.get(name) ?? Buffer.from(`snapshot of ${name}\n`.repeat(100)));
      return;
    }
    if (sub !== undefined) return status(res, 404, 'NotFound', 'the server could not find the requested resource');
    if (req.method === 'GET') {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(vc));
      return;
    }
    if (req.method === 'PATCH') {
      if (req.headers['content-type'] !== 'application/merge-patch+json') return status(res, 415, 'UnsupportedMediaType', 'unsupported patch type');
      const patch = JSON.parse((await readAll(req)).toString()) as { spec?: { paused?: boolean } };
      vc.spec = { ...vc.spec, ...patch.spec };
      store(vc);
      if (patch.spec?.paused !== undefined) later(() => setPhase(name, patch.spec!.paused ? 'Paused' : 'Running'));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(vc));
      return;
    }
    if (req.method === 'DELETE') {
      vc.metadata.deletionTimestamp = new Date().toISOString();
      vc.status = { ...vc.status, phase: 'Terminating' };
      store(vc);
      later(() => {
        clusters.delete(name);
        vc.metadata.resourceVersion = String(++revision);
        emit('DELETED', vc);
      });
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(vc));
      return;
    }
    status(res, 405, 'MethodNotAllowed', 'method not allowed');
  };

  const server: Server = createServer(
    { cert: pki.servingCert, key: pki.servingKey, ca: pki.clientCACert, requestCert: true, rejectUnauthorized: false },
    (req, res) => {
      handle(req, res).catch((err: Error) => status(res, 500, 'InternalError', err.message));
    },
  );
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  url = `https://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const kubeconfig = join(dir, 'kubeconfig');
  await writeFile(kubeconfig, toPlainYaml({
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name: 'kubevisor-admin', cluster: { server: url, 'certificate-authority-data': b64(pki.caCert) } }],
    contexts: [
      { name: 'kubevisor-admin', context: { cluster: 'kubevisor-admin', user: 'kubevisor-admin' } },
      { name: 'prod', context: { cluster: 'kubevisor-admin', user: 'kubevisor-admin' } },
    ],
    'current-context': 'prod',
    users: [{ name: 'kubevisor-admin', user: { 'client-certificate-data': b64(pki.adminCert), 'client-key-data': b64(pki.adminKey) } }],
  }), { mode: 0o600 });

  const fake: FakeAdmin = {
    url, pki, dir, kubeconfig, clusters, snapshots, requests,
    delayMs: 30,
    async close() {
      for (const t of timers) clearTimeout(t);
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(dir, { recursive: true, force: true });
    },
  };
  return fake;
}
