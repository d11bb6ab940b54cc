// The syncer at scale (issue 6), with two `kubevisor serve` processes: a host
// server holding one cluster with simulated nodes, and a tenant server whose
// virtual clusters sync to that cluster. In one run:
//   - direct: N pods (Deployments) created on the host cluster itself, first
//     create to all Ready; then removed;
//   - baseline: pods of a standalone virtual cluster on the tenant server, for
//     the heap a virtual pod costs when it is not synced;
//   - synced: the same N pods, one Deployment per virtual cluster, first create
//     to all Ready in the virtual clusters; ratio synced / direct; the tenant
//     heap per synced pod, less the baseline: the syncer's own memory;
//   - idle latency: one pod in a settled virtual cluster, to its host pod and
//     to Running, against one pod created on the host directly.
// Readiness is followed with watches (no polling load on either server).
// bench/run.ts calls syncerBench() and prints reportSyncer(). Alone:
//   node --expose-gc bench/syncer.ts [--quick] [--cpu-prof DIR] [--json]
// --cpu-prof: a CPU profile of the tenant server (and of the host), written when they exit.

import type { KubeObject } from '../src/api/types.ts';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from '../test/support/client.ts';
import { hostName } from '../src/syncer/translate/names.ts';
import { serverMemory, startServe, type Serve } from './clusters.ts';
import { cpuMs, decodedBytes, deployment } from './pods.ts';

const VC = '/apis/kubevisor.dev/v1alpha1/virtualclusters';
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const KiB = 1024;
const MiB = 1024 * 1024;
const READY_TIMEOUT_MS = 15 * 60_000;

export interface SyncerBenchOptions {
  /** Virtual clusters, one Deployment of `replicas` pods in each; the direct run makes as many Deployments on the host. */
  clusters: number;
  replicas: number;
  /** Virtual clusters sharing one host namespace. */
  clustersPerHostNamespace: number;
  /** Standalone virtual clusters (one Deployment of `replicas` pods each) the memory baseline comes from. */
  baselineClusters: number;
  /** Idle latency samples, each way. */
  latencySamples: number;
  /** CPU profiles of both servers into this directory (written at their exit). */
  cpuProfDir?: string;
  progress?: boolean;
}

export const SYNCER_FULL: SyncerBenchOptions = { clusters: 100, replicas: 100, clustersPerHostNamespace: 10, baselineClusters: 20, latencySamples: 20 };
export const SYNCER_QUICK: SyncerBenchOptions = { clusters: 10, replicas: 100, clustersPerHostNamespace: 10, baselineClusters: 10, latencySamples: 20 };

export interface Phase {
  pods: number;
  /** First create to the last pod Ready, s. */
  seconds: number;
  /** CPU the tenant and the host server used meanwhile, ms. */
  tenantCpuMs: number;
  hostCpuMs: number;
  /** The same until both servers went idle after it (the work that follows Ready included: events, status), ms. */
  tenantCpuSettledMs: number;
  hostCpuSettledMs: number;
}

export interface Percentiles { p50: number; p90: number; max: number }

export interface SyncerBenchResult {
  clusters: number;
  hostNamespaces: number;
  hostNodes: number;
  direct: Phase;
  synced: Phase;
  ratio: number;
  memory: {
    /** Tenant heap (after GC) each synced pod adds, with its virtual objects. */
    syncedHeapPerPod: number;
    /** The same for a pod of a standalone virtual cluster (simulated nodes, no syncer). */
    standaloneHeapPerPod: number;
    /**
     * What the syncer keeps per pod: its shared host informers' copies of the host
     * pod and its token Secret (decoded, as cached). Its other per-pod state (work
     * queue, reference index, pod IPs for DNS, renewal timers) is small beside them.
     */
    syncerPerPod: number;
    hostPodCachePerPod: number;
    hostSecretCachePerPod: number;
    /** The identities the event informer keeps of the host's events, per pod. */
    hostEventCachePerPod: number;
    /**
     * Cross-check from the tenant heap: the synced pod's heap less the standalone
     * pod's scaled to the synced pod's virtual writes (each write is a watch history entry).
     */
    syncerPerPodFromHeap: number;
    /** What a synced pod's virtual objects (pod, its events, its share of the ReplicaSet and Deployment) take decoded; the same standalone. */
    decodedVirtualPerPod: number;
    decodedStandalonePerPod: number;
    /** Writes (revisions) in the virtual cluster per pod, synced and standalone: each is an entry of the cluster's watch history. */
    syncedWritesPerPod: number;
    standaloneWritesPerPod: number;
    /** Writes (revisions) in the host cluster per pod, in the direct run and in the synced run. */
    hostWritesDirect: number;
    hostWritesSynced: number;
    standaloneClusters: number;
    /** Tenant RSS growth per synced pod (not after GC: an upper bound). */
    rssPerPod: number;
    heapBefore: number;
    heapAfter: number;
    tenantRssMB: number;
    hostRssMB: number;
  };
  latency: {
    samples: number;
    /** Virtual pod created to its host pod existing (watch on the host). */
    toHostPod: Percentiles;
    /** Virtual pod created to Running and Ready in the virtual cluster. */
    syncedRunning: Percentiles;
    /** A pod created on the host directly to Running and Ready. */
    directRunning: Percentiles;
    /** syncedRunning p50 - directRunning p50. */
    addedP50: number;
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function withTimeout<T>(p: Promise<T>, ms: number, message: () => string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(message())), ms); });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p90: pct(s, 90), max: s[s.length - 1] };
}

interface Credentials { server: string; certificateAuthorityData: string; clientCertificateData: string; clientKeyData: string }

interface WatchEvent { type: string; object: Record<string, any> }

/** A cluster's own credentials as a client that can also follow watches. */
class KubeClient {
  readonly server: string;
  private readonly agent: Agent;

  constructor(c: Credentials) {
    this.server = c.server.replace(/\/$/, '');
    this.agent = new Agent({
      ca: Buffer.from(c.certificateAuthorityData, 'base64'),
      cert: Buffer.from(c.clientCertificateData, 'base64'),
      key: Buffer.from(c.clientKeyData, 'base64'),
      keepAlive: true,
    });
  }

  async call(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
    const text = body === undefined ? undefined : JSON.stringify(body);
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { Accept: 'application/json' };
      if (text !== undefined) Object.assign(headers, JSON_HEADERS, { 'Content-Length': String(Buffer.byteLength(text)) });
      const req = request(this.server + path, { method, agent: this.agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const s = Buffer.concat(chunks).toString('utf8');
          let json: any;
          try { json = JSON.parse(s); } catch { json = s; }
          resolve({ status: res.statusCode ?? 0, json });
        });
        res.on('error', reject);
      });
      req.on('error', reject);
      if (text !== undefined) req.write(text);
      req.end();
    });
  }

  async must(method: string, path: string, body: unknown, want: number[]): Promise<any> {
    const r = await this.call(method, path, body);
    if (!want.includes(r.status)) throw new Error(`${method} ${this.server}${path}: ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
    return r.json;
  }

  /**
   * Follow a watch until `done` says so; reopened if the server ends it. Resolves
   * `established` once the first response headers are in (the watch is registered).
   */
  watch(path: string, done: (ev: WatchEvent) => boolean): { established: Promise<void>; finished: Promise<void>; close(): void } {
    let closed = false;
    let current: ReturnType<typeof request> | undefined;
    let establish!: () => void;
    let fail!: (e: Error) => void;
    const established = new Promise<void>((res, rej) => { establish = res; fail = rej; });
    const sep = path.includes('?') ? '&' : '?';
    const once = () => new Promise<boolean>((resolve, reject) => {
      current = request(`${this.server}${path}${sep}watch=true`, { method: 'GET', agent: this.agent, headers: { Accept: 'application/json' } }, (res) => {
        if (res.statusCode !== 200) {
          reject(new Error(`watch ${path}: ${res.statusCode}`));
          res.resume();
          return;
        }
        establish();
        let buf = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => {
          buf += d;
          for (let nl = buf.indexOf('\n'); nl >= 0; nl = buf.indexOf('\n')) {
            const line = buf.slice(0, nl);
            buf = buf.slice(nl + 1);
            if (line.trim() === '') continue;
            if (done(JSON.parse(line) as WatchEvent)) { closed = true; res.destroy(); resolve(true); return; }
          }
        });
        res.on('end', () => resolve(closed));
        res.on('close', () => resolve(closed));
        res.on('error', (e) => (closed ? resolve(true) : reject(e)));
      });
      current.on('error', (e) => (closed ? resolve(true) : reject(e)));
      current.end();
    });
    const finished = (async () => {
      try {
        while (!closed) if (await once()) return;
      } catch (e) {
        fail(e as Error);
        if (!closed) throw e;
      }
    })();
    finished.catch(() => {});
    return { established, finished, close: () => { closed = true; current?.destroy(); } };
  }

  close(): void {
    this.agent.destroy();
  }
}

function pod(name: string): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { app: 'latency' } },
    spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
  };
}

function isReadyPod(o: Record<string, any>): boolean {
  return o.status?.phase === 'Running' && (o.status?.conditions ?? []).some((c: { type: string; status: string }) => c.type === 'Ready' && c.status === 'True');
}

/** Watch the Deployments of `namespace` until their readyReplicas add up to `want`. */
function deploymentsReady(c: KubeClient, namespace: string, want: number, onChange: (delta: number) => void) {
  const seen = new Map<string, number>();
  let sum = 0;
  return c.watch(`/apis/apps/v1/namespaces/${namespace}/deployments`, (ev) => {
    const name = ev.object.metadata?.name as string | undefined;
    if (!name) return false;
    const ready = ev.type === 'DELETED' ? 0 : (ev.object.status?.readyReplicas as number | undefined) ?? 0;
    const delta = ready - (seen.get(name) ?? 0);
    seen.set(name, ready);
    sum += delta;
    if (delta !== 0) onChange(delta);
    return sum >= want;
  });
}

/** A VirtualCluster through the admin API, and its credentials once issued. */
async function createCluster(admin: Client, name: string, spec: Record<string, unknown>): Promise<Credentials> {
  const r = await admin.request('POST', VC, { body: JSON.stringify({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name }, spec }), headers: JSON_HEADERS });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body.toString().slice(0, 300)}`);
  for (let i = 0; i < 20_000; i++) {
    const k = await admin.request('GET', `${VC}/${name}/kubeconfig`);
    if (k.status === 200) {
      const creds = k.json() as Credentials;
      // The cluster answers once its kubeconfig does, or shortly after.
      const c = new KubeClient(creds);
      for (let j = 0; ; j++) {
        const ns = await c.call('GET', '/api/v1/namespaces/default');
        if (ns.status === 200) break;
        if (j > 20_000) throw new Error(`${name}: namespace default ${ns.status}`);
        await sleep(2);
      }
      c.close();
      return creds;
    }
    if (k.status !== 404 && k.status !== 503) throw new Error(`kubeconfig of ${name}: ${k.status}`);
    await sleep(2);
  }
  throw new Error(`no kubeconfig for ${name}`);
}

async function deleteCluster(admin: Client, name: string): Promise<void> {
  const r = await admin.request('DELETE', `${VC}/${name}`);
  if (r.status !== 200 && r.status !== 202) throw new Error(`delete ${name}: ${r.status}`);
  for (let i = 0; i < 6000; i++) {
    if ((await admin.request('GET', `${VC}/${name}`)).status === 404) return;
    await sleep(100);
  }
  throw new Error(`${name} not deleted after 10 min`);
}

/** A kubeconfig file with these credentials as its current context (what spec.host.kubeconfigFile names). */
function writeKubeconfig(file: string, c: Credentials): void {
  writeFileSync(file, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'host',
    clusters: [{ name: 'host', cluster: { server: c.server, 'certificate-authority-data': c.certificateAuthorityData } }],
    users: [{ name: 'host', user: { 'client-certificate-data': c.clientCertificateData, 'client-key-data': c.clientKeyData } }],
    contexts: [{ name: 'host', context: { cluster: 'host', user: 'host' } }],
  }));
}

async function waitCount(c: KubeClient, path: string, want: (n: number) => boolean, what: string, timeoutMs = 600_000): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const r = await c.must('GET', `${path}${path.includes('?') ? '&' : '?'}limit=1`, undefined, [200, 404]);
    const n = typeof r === 'object' && r.items ? r.items.length + (r.metadata?.remainingItemCount ?? 0) : 0;
    if (want(n)) return;
    if (performance.now() > end) throw new Error(`${what}: still ${n} after ${timeoutMs / 1000} s`);
    await sleep(250);
  }
}

/** Deployments created one after another, `names` in each (client, namespace); first create to all Ready. */
async function runDeployments(places: { c: KubeClient; ns: string; names: string[] }[], replicas: number, servers: { tenant: Serve; host: Serve }, log: (s: string) => void, label: string): Promise<Phase> {
  const total = places.reduce((n, p) => n + p.names.length, 0) * replicas;
  let ready = 0;
  let lastShown = 0;
  let t0 = performance.now();
  const watches = places.map((p) => deploymentsReady(p.c, p.ns, p.names.length * replicas, (d) => {
    ready += d;
    const now = performance.now();
    if (now - lastShown > 1000 || ready >= total) { lastShown = now; log(`\r  ${label}: ${ready}/${total} pods ready after ${((now - t0) / 1000).toFixed(1)} s   `); }
  }));
  await Promise.all(watches.map((w) => w.established));
  const tenantCpu0 = cpuMs(servers.tenant.pid);
  const hostCpu0 = cpuMs(servers.host.pid);
  t0 = performance.now();
  for (const p of places) {
    for (const name of p.names) await p.c.must('POST', `/apis/apps/v1/namespaces/${p.ns}/deployments`, deployment(name, replicas), [201]);
  }
  try {
    await withTimeout(Promise.all(watches.map((w) => w.finished)), READY_TIMEOUT_MS, () => `${label}: ${ready}/${total} pods ready after ${READY_TIMEOUT_MS / 60_000} min`);
  } finally {
    for (const w of watches) w.close();
  }
  const seconds = (performance.now() - t0) / 1000;
  log('\n');
  const tenantCpuMs = cpuMs(servers.tenant.pid) - tenantCpu0;
  const hostCpuMs = cpuMs(servers.host.pid) - hostCpu0;
  await untilIdle([servers.tenant.pid, servers.host.pid]);
  return {
    pods: total, seconds, tenantCpuMs, hostCpuMs,
    tenantCpuSettledMs: cpuMs(servers.tenant.pid) - tenantCpu0, hostCpuSettledMs: cpuMs(servers.host.pid) - hostCpu0,
  };
}

/** Wait until each process uses under 10% of a core over half a second (at most 60 s). */
async function untilIdle(pids: number[]): Promise<void> {
  const deadline = performance.now() + 60_000;
  let before = pids.map(cpuMs);
  while (performance.now() < deadline) {
    await sleep(500);
    const now = pids.map(cpuMs);
    if (now.every((c, i) => c - before[i]! < 50)) return;
    before = now;
  }
}


async function virtualObjectsPerPod(c: KubeClient): Promise<number> {
  const pods = (await c.must('GET', '/api/v1/namespaces/default/pods', undefined, [200])).items as unknown[];
  const events = (await c.must('GET', '/api/v1/namespaces/default/events', undefined, [200])).items as unknown[];
  const rs = (await c.must('GET', '/apis/apps/v1/namespaces/default/replicasets', undefined, [200])).items as unknown[];
  const deps = (await c.must('GET', '/apis/apps/v1/namespaces/default/deployments', undefined, [200])).items as unknown[];
  return decodedBytes([...pods, ...events, ...rs, ...deps]) / Math.max(1, pods.length);
}

/** The clusters' current revisions, added up (a list answers with its cluster's latest). */
async function revisions(cs: KubeClient[]): Promise<number> {
  let sum = 0;
  for (const c of cs) sum += Number((await c.must('GET', '/api/v1/namespaces?limit=1', undefined, [200])).metadata.resourceVersion);
  return sum;
}

/** Settle, then read the tenant's heap after GC. */
async function settledHeap(s: Serve, ms = 3000): Promise<{ heapUsed: number; rss: number }> {
  await sleep(ms);
  return serverMemory(s);
}

/** One pod, watched from before its create until Running and Ready: ms to each mark. */
async function podLatency(create: KubeClient, createNs: string, name: string, marks: { c: KubeClient; ns: string; name: string; until: (o: Record<string, any>) => boolean }[]): Promise<number[]> {
  const at: number[] = marks.map(() => NaN);
  let t0 = 0;
  const ws = marks.map((m, i) => m.c.watch(`/api/v1/namespaces/${m.ns}/pods?fieldSelector=metadata.name%3D${m.name}`, (ev) => {
    if (ev.type === 'DELETED' || !m.until(ev.object)) return false;
    at[i] = performance.now() - t0;
    return true;
  }));
  await Promise.all(ws.map((w) => w.established));
  t0 = performance.now();
  await create.must('POST', `/api/v1/namespaces/${createNs}/pods`, pod(name), [201]);
  try {
    await withTimeout(Promise.all(ws.map((w) => w.finished)), 60_000, () => `pod ${name}: not Running after 60 s`);
  } finally {
    for (const w of ws) w.close();
  }
  await create.must('DELETE', `/api/v1/namespaces/${createNs}/pods/${name}?gracePeriodSeconds=0`, undefined, [200, 202, 404]);
  return at;
}

/** The whole run: a host server and a tenant server. */
export async function syncerBench(o: SyncerBenchOptions): Promise<SyncerBenchResult> {
  const log = (s: string) => { if (o.progress) process.stderr.write(s); };
  const total = o.clusters * o.replicas;
  // 100 pods a node, as bench/pods.ts (a simulated node takes 110).
  const hostNodes = Math.ceil(total / 100);
  const work = mkdtempSync(join(tmpdir(), 'kv-syncer-bench-'));
  const host = await startServe({ cpuProfDir: o.cpuProfDir });
  const tenant = await startServe({ cpuProfDir: o.cpuProfDir });
  const servers = { host, tenant };
  const hostAdmin = new Client(host.kubeconfig, 'kubevisor-admin');
  const tenantAdmin = new Client(tenant.kubeconfig, 'kubevisor-admin');
  const clients: KubeClient[] = [];
  const track = (c: KubeClient) => { clients.push(c); return c; };
  try {
    log(`  host server pid ${host.pid}, tenant server pid ${tenant.pid}\n`);
    const hostCreds = await createCluster(hostAdmin, 'host', { nodes: hostNodes });
    const hostKubeconfig = join(work, 'host.kubeconfig');
    writeKubeconfig(hostKubeconfig, hostCreds);
    const h = track(new KubeClient(hostCreds));
    await waitCount(h, '/api/v1/nodes', (n) => n === hostNodes, 'host nodes');
    log(`  host cluster with ${hostNodes} simulated nodes\n`);

    // 1. Direct: the pods on the host itself.
    await h.must('POST', '/api/v1/namespaces', { metadata: { name: 'direct' } }, [201]);
    await sleep(2000);
    const hRev0 = await revisions([h]);
    const direct = await runDeployments([{ c: h, ns: 'direct', names: Array.from({ length: o.clusters }, (_, i) => `web-${i}`) }], o.replicas, servers, log, 'direct');
    await sleep(3000); // the events recorded after the pods went Ready count too, as in the synced run (read after its heap settles)
    const hostWritesDirect = ((await revisions([h])) - hRev0) / direct.pods;
    log(`  direct: ${direct.seconds.toFixed(1)} s; removing its pods\n`);
    await h.must('DELETE', '/api/v1/namespaces/direct', undefined, [200, 202]);
    await waitCount(h, '/api/v1/namespaces/direct/pods', (n) => n === 0, 'direct pods deleted');

    // 2. Baseline: what the same pods cost the tenant server in standalone virtual
    // clusters (one simulated node each), laid out as the synced ones: one
    // Deployment per cluster, so each cluster's watch history holds as much.
    const bNames = Array.from({ length: o.baselineClusters }, (_, i) => `b${String(i).padStart(3, '0')}`);
    const bs: KubeClient[] = [];
    for (const name of bNames) bs.push(track(new KubeClient(await createCluster(tenantAdmin, name, { nodes: 1 }))));
    for (const b of bs) await waitCount(b, '/api/v1/nodes', (n) => n === 1, 'baseline node');
    const bHeap0 = await settledHeap(tenant);
    const bRev0 = await revisions(bs);
    const standalone = await runDeployments(bs.map((c) => ({ c, ns: 'default', names: ['web'] })), o.replicas, servers, log, 'standalone virtual pods');
    const bHeap1 = await settledHeap(tenant, 5000);
    const standaloneWritesPerPod = ((await revisions(bs)) - bRev0) / standalone.pods;
    const standaloneHeapPerPod = (bHeap1.heapUsed - bHeap0.heapUsed) / standalone.pods;
    const decodedStandalonePerPod = await virtualObjectsPerPod(bs[0]);
    log(`  a standalone virtual pod: ${(standaloneHeapPerPod / KiB).toFixed(1)} KiB of tenant heap; deleting those clusters\n`);
    for (const b of bs) b.close();
    for (const name of bNames) await deleteCluster(tenantAdmin, name);

    // 3. Synced: the virtual clusters, connected to the host.
    const names = Array.from({ length: o.clusters }, (_, i) => `c${String(i).padStart(3, '0')}`);
    const hostNs = (i: number) => `tenants-${Math.floor(i / o.clustersPerHostNamespace)}`;
    const hostNamespaces = Math.ceil(o.clusters / o.clustersPerHostNamespace);
    const vcs: KubeClient[] = [];
    for (const [i, name] of names.entries()) {
      vcs.push(track(new KubeClient(await createCluster(tenantAdmin, name, { host: { kubeconfigFile: hostKubeconfig, namespace: hostNs(i) } }))));
    }
    // Connected once a Service can be made (its cluster IP comes from the host).
    for (const [i, c] of vcs.entries()) {
      for (let tries = 0; ; tries++) {
        const r = await c.call('POST', '/api/v1/namespaces/default/services', { metadata: { name: 'probe' }, spec: { ports: [{ port: 80 }] } });
        if (r.status === 201) break;
        if (r.status !== 503 || tries > 3000) throw new Error(`${names[i]}: probe service ${r.status} ${JSON.stringify(r.json).slice(0, 300)}`);
        await sleep(20);
      }
    }
    log(`  ${o.clusters} virtual clusters connected to ${hostNamespaces} host namespace(s)\n`);
    const heapBefore = await settledHeap(tenant);
    const rev0 = await revisions(vcs);
    const hRev1 = await revisions([h]);
    const synced = await runDeployments(vcs.map((c) => ({ c, ns: 'default', names: ['web'] })), o.replicas, servers, log, 'synced');
    log(`  synced: ${synced.seconds.toFixed(1)} s\n`);
    const heapAfter = await settledHeap(tenant, 5000);
    const syncedWritesPerPod = ((await revisions(vcs)) - rev0) / synced.pods;
    const hostWritesSynced = ((await revisions([h])) - hRev1) / synced.pods;
    const decodedVirtualPerPod = await virtualObjectsPerPod(vcs[0]);
    const syncedHeapPerPod = (heapAfter.heapUsed - heapBefore.heapUsed) / total;
    // What the syncer's shared host informers hold for the pods of one host namespace (decoded, as cached).
    const ns0Pods = Math.min(o.clusters, o.clustersPerHostNamespace) * o.replicas;
    // The informers keep objects without their managedFields (src/syncer/host/informer.ts).
    const asCached = (items: { metadata: { managedFields?: unknown } }[]) => items.map((o) => { delete o.metadata.managedFields; return o; });
    const cached = async (kind: string) => decodedBytes(asCached((await h.must('GET', `/api/v1/namespaces/${hostNs(0)}/${kind}?labelSelector=kubevisor.dev%2Fvcluster`, undefined, [200])).items)) / ns0Pods;
    const hostPodCachePerPod = await cached('pods');
    const hostSecretCachePerPod = await cached('secrets');
    // The event informer keeps each host event's identity only (src/syncer/host/informer.ts, keep 'identity').
    const hostEvents = (await h.must('GET', `/api/v1/namespaces/${hostNs(0)}/events`, undefined, [200])).items as KubeObject[];
    const hostEventCachePerPod = decodedBytes(hostEvents.map((e) => ({ apiVersion: e.apiVersion, kind: e.kind, metadata: { name: e.metadata.name, namespace: e.metadata.namespace, uid: e.metadata.uid, resourceVersion: e.metadata.resourceVersion } }))) / ns0Pods;
    let hostPodCount = 0;
    for (let i = 0; i < hostNamespaces; i++) {
      const r = await h.must('GET', `/api/v1/namespaces/${hostNs(i * o.clustersPerHostNamespace)}/pods?limit=1`, undefined, [200]);
      hostPodCount += r.items.length + (r.metadata?.remainingItemCount ?? 0);
    }
    if (hostPodCount !== total) log(`  note: ${hostPodCount} synced pods on the host, expected ${total}\n`);

    // 4. Idle latency: one pod at a time, synced and direct taking turns.
    await h.must('POST', '/api/v1/namespaces', { metadata: { name: 'direct-latency' } }, [201]);
    await sleep(3000);
    const toHost: number[] = [];
    const vRunning: number[] = [];
    const dRunning: number[] = [];
    const vc0 = vcs[0];
    for (let i = 0; i < o.latencySamples + 2; i++) {
      const name = `lat-${i}`;
      const [hostSeen, running] = await podLatency(vc0, 'default', name, [
        { c: h, ns: hostNs(0), name: hostName(name, 'default', names[0]), until: () => true },
        { c: vc0, ns: 'default', name, until: isReadyPod },
      ]);
      await sleep(300);
      const [direct1] = await podLatency(h, 'direct-latency', name, [{ c: h, ns: 'direct-latency', name, until: isReadyPod }]);
      await sleep(300);
      if (i < 2) continue; // warm-up
      toHost.push(hostSeen);
      vRunning.push(running);
      dRunning.push(direct1);
    }
    const syncedRunning = summarize(vRunning);
    const directRunning = summarize(dRunning);
    log(`  idle latency: ${o.latencySamples} samples each way\n`);

    return {
      clusters: o.clusters, hostNamespaces, hostNodes, direct, synced, ratio: synced.seconds / direct.seconds,
      memory: {
        syncedHeapPerPod, standaloneHeapPerPod,
        syncerPerPod: hostPodCachePerPod + hostSecretCachePerPod + hostEventCachePerPod, hostPodCachePerPod, hostSecretCachePerPod, hostEventCachePerPod,
        syncerPerPodFromHeap: syncedHeapPerPod - standaloneHeapPerPod * (syncedWritesPerPod / standaloneWritesPerPod),
        decodedVirtualPerPod, decodedStandalonePerPod, syncedWritesPerPod, standaloneWritesPerPod, hostWritesDirect, hostWritesSynced, standaloneClusters: o.baselineClusters,
        rssPerPod: (heapAfter.rss - heapBefore.rss) / total,
        heapBefore: heapBefore.heapUsed, heapAfter: heapAfter.heapUsed,
        tenantRssMB: heapAfter.rss / MiB, hostRssMB: (await serverMemory(host)).rss / MiB,
      },
      latency: {
        samples: o.latencySamples, toHostPod: summarize(toHost), syncedRunning, directRunning,
        addedP50: syncedRunning.p50 - directRunning.p50,
      },
    };
  } finally {
    for (const c of clients) c.close();
    hostAdmin.close();
    tenantAdmin.close();
    await tenant.stop();
    await host.stop();
    rmSync(work, { recursive: true, force: true });
  }
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const kib = (bytes: number) => `${(bytes / KiB).toFixed(1)} KiB`;
const p = (x: Percentiles) => `p50 ${ms(x.p50)}, p90 ${ms(x.p90)}, max ${ms(x.max)}`;

function phaseLine(label: string, ph: Phase): string {
  return `${label}: ${ph.pods} pods Ready in ${ph.seconds.toFixed(1)} s (${(ph.pods / ph.seconds).toFixed(0)} pods/s); CPU tenant ${(ph.tenantCpuMs / 1000).toFixed(1)} s, host ${(ph.hostCpuMs / 1000).toFixed(1)} s`;
}

/** The lines bench/run.ts prints. */
function cpuPerPod(cpuMs: number, phase: Phase): string {
  return `${(cpuMs / phase.pods).toFixed(2)} ms`;
}

export function reportSyncer(r: SyncerBenchResult): string[] {
  const m = r.memory;
  const l = r.latency;
  return [
    `host: one cluster with ${r.hostNodes} simulated nodes (its own kubevisor serve); tenant: ${r.clusters} virtual clusters, ${r.clusters / r.hostNamespaces} per host namespace (${r.hostNamespaces} namespaces)`,
    phaseLine(`direct on the host, ${r.clusters} Deployments`, r.direct),
    phaseLine(`synced, one Deployment in each of ${r.clusters} virtual clusters, Ready in the virtual clusters`, r.synced),
    `ratio synced / direct: ${r.ratio.toFixed(2)} (goal <= 1.1; SIG VirtualCluster paper ~1.28)`,
    // Steadier across runs than the ratio of times (the machine's speed varies; both runs see the same).
    `  CPU per pod until Ready: direct ${cpuPerPod(r.direct.hostCpuMs, r.direct)}; synced ${cpuPerPod(r.synced.tenantCpuMs, r.synced)} tenant + ${cpuPerPod(r.synced.hostCpuMs, r.synced)} host: ${((r.synced.tenantCpuMs + r.synced.hostCpuMs) / r.synced.pods / (r.direct.hostCpuMs / r.direct.pods)).toFixed(2)} times the direct run's`,
    `  CPU per pod until idle (events and other work after Ready included): direct ${cpuPerPod(r.direct.hostCpuSettledMs, r.direct)}; synced ${cpuPerPod(r.synced.tenantCpuSettledMs, r.synced)} tenant + ${cpuPerPod(r.synced.hostCpuSettledMs, r.synced)} host: ${((r.synced.tenantCpuSettledMs + r.synced.hostCpuSettledMs) / r.synced.pods / (r.direct.hostCpuSettledMs / r.direct.pods)).toFixed(2)} times the direct run's`,
    `syncer memory per synced pod, its host caches: ${kib(m.syncerPerPod)} (host pod ${kib(m.hostPodCachePerPod)}, token Secret ${kib(m.hostSecretCachePerPod)}, event identities ${kib(m.hostEventCachePerPod)}, decoded) (goal <= 10 KB; paper ~40 KB)`,
    `  tenant heap per synced pod (after GC): ${kib(m.syncedHeapPerPod)}; per pod of ${m.standaloneClusters} standalone virtual clusters laid out the same: ${kib(m.standaloneHeapPerPod)}; cross-check, synced less standalone scaled by writes: ${kib(m.syncerPerPodFromHeap)}`,
    `  virtual writes per pod (watch history entries): synced ${m.syncedWritesPerPod.toFixed(1)}, standalone ${m.standaloneWritesPerPod.toFixed(1)}; host writes per pod: direct ${m.hostWritesDirect.toFixed(1)}, synced ${m.hostWritesSynced.toFixed(1)}; a pod with its events and share of ReplicaSet and Deployment decoded: synced ${kib(m.decodedVirtualPerPod)}, standalone ${kib(m.decodedStandalonePerPod)}`,
    `  tenant heap ${(m.heapBefore / MiB).toFixed(0)} -> ${(m.heapAfter / MiB).toFixed(0)} MiB; RSS per synced pod ${kib(m.rssPerPod)}; RSS tenant ${m.tenantRssMB.toFixed(0)} MB, host ${m.hostRssMB.toFixed(0)} MB`,
    `idle pod, ${l.samples} samples: virtual create -> host pod exists ${p(l.toHostPod)}`,
    `  virtual create -> Running and Ready in the virtual cluster ${p(l.syncedRunning)}`,
    `  host create -> Running and Ready, directly on the host ${p(l.directRunning)}`,
    `  added latency of a sync at idle (p50 difference): ${ms(l.addedP50)} (goal <= 5 ms)`,
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: {
    quick: { type: 'boolean', default: false },
    clusters: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
  } });
  delete process.env.NODE_EXTRA_CA_CERTS;
  const base = values.quick ? SYNCER_QUICK : SYNCER_FULL;
  const opts: SyncerBenchOptions = {
    ...base, clusters: values.clusters ? Number(values.clusters) : base.clusters, cpuProfDir: values['cpu-prof'], progress: true,
  };
  console.log(`# kubevisor syncer at scale (${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores)`);
  const r = await syncerBench(opts);
  for (const line of reportSyncer(r)) console.log(line);
  if (values.json) console.log(JSON.stringify(r));
}
