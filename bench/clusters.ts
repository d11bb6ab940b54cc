// Virtual clusters at scale, against a real `kubevisor serve` process over TLS:
//   - clusters created one after another through the admin API, each timed from
//     its POST to the first successful GET /clusters/NAME/api/v1/namespaces (what
//     `kubectl get namespaces` needs) with the cluster's own credentials;
//   - the creations per second that sustains, and with several creates in flight;
//   - resident memory and heap (after GC) each idle cluster adds, what pausing
//     clusters gives back, and how long the first request to a sleeping cluster takes.
// bench/run.ts calls clustersBench() and prints reportClusters(). Alone:
//   node --expose-gc bench/clusters.ts [--quick] [--clusters N] [--create-only]
//     [--cpu-prof DIR] [--heap-snapshot DIR] [--json]
// --create-only: only the sequential creations (with server CPU and memory per cluster),
// for profiling; --cpu-prof: a CPU profile of the server, written when it exits;
// --heap-snapshot: heap snapshots of the server at both memory readings and after pausing
// (they inflate its RSS: the RSS figures of such a run do not count).

import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client, type Response } from '../test/support/client.ts';
import { cliEntry, repoRoot } from '../test/support/kubevisor.ts';
import { cpuMs, rssMB } from './pods.ts';

const VC = '/apis/kubevisor.dev/v1alpha1/virtualclusters';
const JSON_HEADERS = { 'Content-Type': 'application/json' };
const MERGE_PATCH = { 'Content-Type': 'application/merge-patch+json' };
const MiB = 1024 * 1024;

export interface ClusterBenchOptions {
  /** Clusters created one after another (the latency run). */
  clusters: number;
  /** Cluster count of the first memory reading (the second is at `clusters`). */
  memoryFrom: number;
  /** Clusters paused for the memory they give back. */
  pause: number;
  /** Clusters put to sleep (sleepAfter 1s) and woken by a request. */
  sleepers: number;
  /** Clusters created with `inFlight` creates at a time, after the rest. */
  concurrentClusters: number;
  inFlight: number;
  /** Write a CPU profile of the server into this directory (at its exit). */
  cpuProfDir?: string;
  /** Print progress to stderr. */
  progress?: boolean;
  /** Only the sequential creations (for profiling them). */
  createOnly?: boolean;
  /** Write heap snapshots of the server into this directory (at both memory readings and after pausing). */
  heapSnapshotDir?: string;
}

export const FULL: ClusterBenchOptions = { clusters: 1000, memoryFrom: 200, pause: 500, sleepers: 50, concurrentClusters: 500, inFlight: 8 };
export const QUICK: ClusterBenchOptions = { clusters: 100, memoryFrom: 20, pause: 50, sleepers: 10, concurrentClusters: 100, inFlight: 8 };

export interface Percentiles { p50: number; p99: number; max: number; mean: number }

export interface ClusterBenchResult {
  clusters: number;
  /** POST to first successful GET namespaces, ms. */
  ready: Percentiles;
  /** Its parts: the POST; the kubeconfig subresource answering (credentials issued); the first GET answering 200 (TLS handshake with the cluster's certificate included). */
  post: Percentiles;
  kubeconfig: Percentiles;
  firstGet: Percentiles;
  /** Requests that got 404/503 before the 200 (kubeconfig and namespaces polls), over all clusters. */
  retries: number;
  /** The same GET on a fresh connection to a running cluster (TLS handshake + request), sampled. */
  freshGet: Percentiles;
  /** CPU time (user + system) the server spent per cluster over the sequential run, ms. */
  serverCpuPerCluster: number;
  /** Of which system (kernel) time: file creation, fsync, sockets. */
  serverSystemCpuPerCluster: number;
  /** Clusters per second over the sequential run, and with `inFlight` creates at a time. */
  sequentialPerSec: number;
  concurrentPerSec: number;
  concurrentReady: Percentiles;
  inFlight: number;
  concurrentClusters: number;
  /** Memory at memoryFrom and at clusters idle clusters (after GC), and the slope per cluster. */
  memory: { fromClusters: number; toClusters: number; heapFrom: number; heapTo: number; rssFrom: number; rssTo: number; heapPerCluster: number; rssPerCluster: number; externalPerCluster: number };
  /** Memory each paused cluster gives back (heap, RSS), and how long pausing took. */
  paused: { count: number; seconds: number; heapPerCluster: number; rssPerCluster: number };
  /** First request to a sleeping cluster, ms (TLS handshake included). */
  wake: Percentiles;
  sleepers: number;
  /** CPU of the server with all the idle clusters, % of one core over 10 s. */
  idleCpuPercent: number;
  rssEndMB: number;
}

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

function summarize(xs: number[]): Percentiles {
  const s = [...xs].sort((a, b) => a - b);
  return { p50: pct(s, 50), p99: pct(s, 99), max: s[s.length - 1], mean: s.reduce((a, b) => a + b, 0) / Math.max(1, s.length) };
}

/** User and system CPU time of a process, ms. */
function cpuSplit(pid: number): { user: number; system: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return { user: (Number(fields[11]) * 1000) / 100, system: (Number(fields[12]) * 1000) / 100 };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export interface Serve {
  url: string;
  kubeconfig: string;
  heapFile: string;
  proc: ChildProcess;
  pid: number;
  stop(): Promise<void>;
}

/** Start `kubevisor serve` (the JavaScript build) with --expose-gc and a heap report file. */
export async function startServe(opts: { cpuProfDir?: string; heapSnapshotDir?: string; nodeArgs?: string[] } = {}): Promise<Serve> {
  const base = mkdtempSync(join(tmpdir(), 'kv-clusters-'));
  const kubeconfig = join(base, 'kubeconfig');
  const heapFile = join(base, 'heap.json');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: join(base, 'home'), KUBECONFIG: kubeconfig, NODE_OPTIONS: '--expose-gc', KUBEVISOR_HEAP_REPORT: heapFile };
  // npm exports NODE_EXTRA_CA_CERTS when its cafile is set; a server started from a shell does not get it.
  delete env.NODE_EXTRA_CA_CERTS;
  const nodeArgs = [...(opts.nodeArgs ?? [])];
  if (opts.cpuProfDir) nodeArgs.push('--cpu-prof', '--cpu-prof-dir', opts.cpuProfDir);
  if (opts.heapSnapshotDir) nodeArgs.push(`--heapsnapshot-signal=${SNAPSHOT_SIGNAL}`, `--diagnostic-dir=${opts.heapSnapshotDir}`);
  const proc = spawn(process.execPath, [...nodeArgs, cliEntry, 'serve', '--port', '0', '--data-dir', join(base, 'data'), '--kubeconfig', kubeconfig], {
    cwd: repoRoot, env, stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  proc.stderr?.on('data', (d: Buffer) => { output += d.toString(); if (output.length > 100_000) output = output.slice(-50_000); });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`kubevisor serve did not become ready in 30s\n${output}`)), 30_000);
    proc.stdout?.on('data', (d: Buffer) => {
      output += d.toString();
      const m = /ready (https:\/\/\S+)/.exec(output);
      if (m) { clearTimeout(timer); resolve(m[1]); }
    });
    proc.once('exit', (code) => { clearTimeout(timer); reject(new Error(`kubevisor serve exited with ${code}\n${output}`)); });
  });
  proc.stdout?.resume();
  let stopped: Promise<void> | undefined;
  return {
    url, kubeconfig, heapFile, proc, pid: proc.pid as number,
    stop() {
      stopped ??= new Promise<void>((resolve) => {
        if (proc.exitCode !== null) return resolve();
        proc.once('exit', () => resolve());
        proc.kill('SIGINT');
        setTimeout(() => proc.kill('SIGKILL'), 30_000).unref();
      }).then(() => rmSync(base, { recursive: true, force: true }));
      return stopped;
    },
  };
}

/** The server's memory after garbage collection (KUBEVISOR_HEAP_REPORT, SIGUSR2), and its RSS right after. */
export async function serverMemory(s: Serve): Promise<{ heapUsed: number; external: number; arrayBuffers: number; rss: number }> {
  rmSync(s.heapFile, { force: true });
  process.kill(s.pid, 'SIGUSR2');
  for (let i = 0; i < 300; i++) {
    await sleep(50);
    try {
      const m = JSON.parse(readFileSync(s.heapFile, 'utf8'));
      return { heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers, rss: rssMB(s.pid) * MiB };
    } catch { /* not written yet */ }
  }
  throw new Error('no heap report');
}

const SNAPSHOT_SIGNAL = 'SIGTTIN';

/** Have the server write a heap snapshot (started with heapSnapshotDir) and wait until it is complete; its path. */
export async function heapSnapshot(s: Serve, dir: string, label: string): Promise<string> {
  const before = new Set(readdirSync(dir));
  process.kill(s.pid, SNAPSHOT_SIGNAL);
  for (let i = 0; i < 1200; i++) {
    await sleep(250);
    const file = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (!file) continue;
    // Written once the last bytes of the JSON are there.
    const text = readFileSync(join(dir, file));
    if (text.length > 2 && text.subarray(-64).toString().trimEnd().endsWith('}')) {
      const to = join(dir, `${label}.heapsnapshot`);
      renameSync(join(dir, file), to);
      return to;
    }
  }
  throw new Error('no heap snapshot');
}

/** A cluster's own credentials (the kubeconfig subresource) as a client. */
export class ClusterClient {
  readonly server: string;
  private agent: Agent;
  private readonly agentOpts: { ca: Buffer; cert: Buffer; key: Buffer };

  constructor(kc: { server: string; certificateAuthorityData: string; clientCertificateData: string; clientKeyData: string }) {
    this.server = kc.server.replace(/\/$/, '');
    this.agentOpts = {
      ca: Buffer.from(kc.certificateAuthorityData, 'base64'),
      cert: Buffer.from(kc.clientCertificateData, 'base64'),
      key: Buffer.from(kc.clientKeyData, 'base64'),
    };
    this.agent = new Agent({ ...this.agentOpts, keepAlive: true, maxCachedSessions: 0 });
  }

  /** Drop the connection: the next request makes a new one (as a new kubectl process does). */
  reconnect(): void {
    this.agent.destroy();
    this.agent = new Agent({ ...this.agentOpts, keepAlive: true, maxCachedSessions: 0 });
  }

  get(path: string): Promise<{ status: number; body: string }> {
    return new Promise((resolve, reject) => {
      const req = request(this.server + path, { method: 'GET', agent: this.agent, headers: { Accept: 'application/json' } }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end();
    });
  }

  close(): void {
    this.agent.destroy();
  }
}

const NOT_YET = new Set([404, 503]);

/** GET until the answer is not 404/503; how many tries it took. */
async function pollGet(get: () => Promise<{ status: number; body: string } | Response>, what: string): Promise<{ status: number; body: string; tries: number }> {
  for (let tries = 1; ; tries++) {
    const r = await get();
    if (!NOT_YET.has(r.status) || tries > 20_000) {
      const body = typeof r.body === 'string' ? r.body : r.body.toString('utf8');
      if (r.status !== 200) throw new Error(`${what}: ${r.status} ${body.slice(0, 300)}`);
      return { status: r.status, body, tries };
    }
    await sleep(1);
  }
}

interface Created { name: string; client: ClusterClient; post: number; kubeconfig: number; firstGet: number; total: number; retries: number }

/** POST a VirtualCluster, fetch its credentials, GET its namespaces until 200; timed. */
export async function createAndReach(admin: Client, name: string, spec: Record<string, unknown> = {}): Promise<Created> {
  const t0 = performance.now();
  const r = await admin.request('POST', VC, { body: JSON.stringify({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name }, spec }), headers: JSON_HEADERS });
  if (r.status !== 201) throw new Error(`create ${name}: ${r.status} ${r.body.toString().slice(0, 300)}`);
  const t1 = performance.now();
  const kc = await pollGet(() => admin.request('GET', `${VC}/${name}/kubeconfig`), `kubeconfig of ${name}`);
  const t2 = performance.now();
  const client = new ClusterClient(JSON.parse(kc.body));
  const ns = await pollGet(() => client.get('/api/v1/namespaces'), `namespaces of ${name}`);
  const t3 = performance.now();
  const items = (JSON.parse(ns.body) as { items: unknown[] }).items;
  if (items.length < 4) throw new Error(`${name}: ${items.length} namespaces`);
  return { name, client, post: t1 - t0, kubeconfig: t2 - t1, firstGet: t3 - t2, total: t3 - t0, retries: kc.tries - 1 + ns.tries - 1 };
}

async function phases(admin: Client): Promise<Map<string, string>> {
  const r = await admin.request('GET', VC);
  if (r.status !== 200) throw new Error(`list virtualclusters ${r.status}`);
  const out = new Map<string, string>();
  for (const vc of r.json().items as { metadata: { name: string }; status?: { phase?: string } }[]) out.set(vc.metadata.name, vc.status?.phase ?? '');
  return out;
}

async function waitPhase(admin: Client, names: string[], phase: string, timeoutMs: number): Promise<void> {
  const end = performance.now() + timeoutMs;
  for (;;) {
    const p = await phases(admin);
    const left = names.filter((n) => p.get(n) !== phase);
    if (left.length === 0) return;
    if (performance.now() > end) throw new Error(`${left.length} clusters not ${phase} after ${timeoutMs} ms (e.g. ${left[0]}: ${p.get(left[0])})`);
    await sleep(100);
  }
}

async function inBatches<T>(items: T[], width: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: width }, async () => {
    while (next < items.length) await fn(items[next++]);
  }));
}

/** The whole run against one `kubevisor serve`. */
export async function clustersBench(o: ClusterBenchOptions): Promise<ClusterBenchResult> {
  const log = (s: string) => { if (o.progress) process.stderr.write(s); };
  const s = await startServe({ cpuProfDir: o.cpuProfDir, heapSnapshotDir: o.heapSnapshotDir });
  const snapshot = async (label: string) => { if (o.heapSnapshotDir) log(`  heap snapshot ${await heapSnapshot(s, o.heapSnapshotDir, label)}\n`); };
  const admin = new Client(s.kubeconfig, 'kubevisor-admin');
  try {
    // 1. One after another: latency to a usable cluster, and creations per second.
    const created: Created[] = [];
    let memFrom: Awaited<ReturnType<typeof serverMemory>> | undefined;
    let seqTime = 0;
    const freshGets: number[] = [];
    // Warm up (code loaded and compiled on the first clusters), outside the figures.
    for (let i = 0; i < 5; i++) (await createAndReach(admin, `warm${i}`)).client.close();
    const cpu0 = cpuMs(s.pid);
    const split0 = cpuSplit(s.pid);
    for (let i = 0; i < o.clusters; i++) {
      const t0 = performance.now();
      const c = await createAndReach(admin, `c${String(i).padStart(4, '0')}`);
      seqTime += performance.now() - t0;
      c.client.reconnect(); // a kubectl process ends; keep no connection per cluster
      created.push(c);
      if (i % 20 === 19) {
        // A sample outside the timed window: the same GET on a fresh connection to a running cluster.
        const t = performance.now();
        const r = await c.client.get('/api/v1/namespaces');
        if (r.status !== 200) throw new Error(`fresh GET ${r.status}`);
        freshGets.push(performance.now() - t);
        c.client.close();
      }
      if ((i + 1) % 100 === 0) {
        const last = created.slice(-100).map((x) => x.total).sort((a, b) => a - b);
        log(`  ${i + 1}/${o.clusters} clusters, ${(((i + 1) / seqTime) * 1000).toFixed(1)}/s; last 100: p50 ${pct(last, 50).toFixed(1)} ms\n`);
      }
      if (i + 1 === o.memoryFrom) {
        await sleep(2000);
        memFrom = await serverMemory(s);
        await snapshot(`clusters-${i + 1}`);
      }
    }
    const serverCpuPerCluster = (cpuMs(s.pid) - cpu0) / o.clusters;
    const split1 = cpuSplit(s.pid);
    const serverSystemCpuPerCluster = (split1.system - split0.system) / o.clusters;
    await sleep(3000);
    const memTo = await serverMemory(s);
    await snapshot(`clusters-${o.clusters}`);
    if (o.createOnly) {
      const m = { heapPerCluster: (memTo.heapUsed - memFrom!.heapUsed) / (o.clusters - o.memoryFrom), rssPerCluster: (memTo.rss - memFrom!.rss) / (o.clusters - o.memoryFrom) };
      return { clusters: o.clusters, ready: summarize(created.map((c) => c.total)), sequentialPerSec: (o.clusters / seqTime) * 1000, memory: m, serverCpuPerCluster, serverSystemCpuPerCluster } as ClusterBenchResult;
    }
    if (!memFrom) throw new Error('memoryFrom must be below clusters');
    const span = o.clusters - o.memoryFrom;
    const c0 = cpuMs(s.pid);
    const tc = performance.now();
    await sleep(10_000);
    const idleCpuPercent = ((cpuMs(s.pid) - c0) / (performance.now() - tc)) * 100;

    // 2. Pause some: the memory they give back.
    const toPause = created.slice(0, o.pause).map((c) => c.name);
    const tp = performance.now();
    await inBatches(toPause, 8, async (name) => {
      const r = await admin.request('PATCH', `${VC}/${name}`, { body: JSON.stringify({ spec: { paused: true } }), headers: MERGE_PATCH });
      if (r.status !== 200) throw new Error(`pause ${name}: ${r.status} ${r.body}`);
    });
    await waitPhase(admin, toPause, 'Paused', 120_000);
    const pauseSeconds = (performance.now() - tp) / 1000;
    log(`  paused ${toPause.length} in ${pauseSeconds.toFixed(1)} s\n`);
    await sleep(2000);
    const memPaused = await serverMemory(s);
    await snapshot(`paused-${toPause.length}`);

    // 3. Sleepers: wake latency of the first request.
    const sleepers: ClusterClient[] = [];
    for (let i = 0; i < o.sleepers; i++) {
      const c = await createAndReach(admin, `s${String(i).padStart(3, '0')}`, { sleepAfter: '1s' });
      c.client.reconnect();
      sleepers.push(c.client);
    }
    await waitPhase(admin, sleepers.map((c) => c.server.replace(/.*\/clusters\//, '')), 'Sleeping', 60_000);
    await sleep(500);
    const wakes: number[] = [];
    for (const c of sleepers) {
      const t = performance.now();
      const r = await c.get('/api/v1/namespaces');
      if (r.status !== 200) throw new Error(`wake GET ${r.status} ${r.body.slice(0, 200)}`);
      wakes.push(performance.now() - t);
      c.close();
    }
    log(`  woke ${sleepers.length} sleeping clusters\n`);

    // 4. Several creates in flight: the sustained creation rate.
    const conc: number[] = [];
    const names = Array.from({ length: o.concurrentClusters }, (_, i) => `p${String(i).padStart(4, '0')}`);
    const tq = performance.now();
    await inBatches(names, o.inFlight, async (name) => {
      const c = await createAndReach(admin, name);
      c.client.close();
      conc.push(c.total);
    });
    const concurrentPerSec = (names.length / (performance.now() - tq)) * 1000;
    log(`  ${names.length} more clusters with ${o.inFlight} in flight: ${concurrentPerSec.toFixed(0)}/s\n`);
    const rssEndMB = rssMB(s.pid);

    return {
      clusters: o.clusters,
      ready: summarize(created.map((c) => c.total)),
      post: summarize(created.map((c) => c.post)),
      kubeconfig: summarize(created.map((c) => c.kubeconfig)),
      firstGet: summarize(created.map((c) => c.firstGet)),
      retries: created.reduce((n, c) => n + c.retries, 0),
      freshGet: summarize(freshGets),
      sequentialPerSec: (o.clusters / seqTime) * 1000,
      serverCpuPerCluster,
      serverSystemCpuPerCluster,
      concurrentPerSec,
      concurrentReady: summarize(conc),
      inFlight: o.inFlight,
      concurrentClusters: o.concurrentClusters,
      memory: {
        fromClusters: o.memoryFrom, toClusters: o.clusters,
        heapFrom: memFrom.heapUsed, heapTo: memTo.heapUsed, rssFrom: memFrom.rss, rssTo: memTo.rss,
        heapPerCluster: (memTo.heapUsed - memFrom.heapUsed) / span,
        rssPerCluster: (memTo.rss - memFrom.rss) / span,
        externalPerCluster: (memTo.external - memFrom.external) / span,
      },
      paused: {
        count: toPause.length, seconds: pauseSeconds,
        heapPerCluster: (memTo.heapUsed - memPaused.heapUsed) / toPause.length,
        rssPerCluster: (memTo.rss - memPaused.rss) / toPause.length,
      },
      wake: summarize(wakes),
      sleepers: o.sleepers,
      idleCpuPercent,
      rssEndMB,
    };
  } finally {
    admin.close();
    await s.stop();
  }
}

const ms = (n: number) => `${n.toFixed(1)} ms`;
const p = (x: Percentiles) => `p50 ${ms(x.p50)}, p99 ${ms(x.p99)} (max ${ms(x.max)})`;
const mib = (bytes: number) => `${(bytes / MiB).toFixed(2)} MiB`;

/** The lines bench/run.ts prints. */
export function reportClusters(r: ClusterBenchResult): string[] {
  const m = r.memory;
  return [
    `${r.clusters} virtual clusters created one after another, POST to first GET /api/v1/namespaces 200: ${p(r.ready)}`,
    `  of which POST ${p(r.post)}; kubeconfig ${p(r.kubeconfig)}; first GET (new TLS connection) ${p(r.firstGet)}; ${r.retries} polls answered 404/503`,
    `  a GET on a new TLS connection to a running cluster, for comparison: ${p(r.freshGet)}`,
    `server CPU per cluster created (sequential run): ${ms(r.serverCpuPerCluster)}, of which system ${ms(r.serverSystemCpuPerCluster)}`,
    `sustained creations: ${r.sequentialPerSec.toFixed(1)}/s one after another; ${r.concurrentPerSec.toFixed(1)}/s with ${r.inFlight} in flight (${r.concurrentClusters} clusters, each ready in ${p(r.concurrentReady)})`,
    `memory each idle cluster adds (${m.fromClusters} -> ${m.toClusters} clusters, after GC): heap ${mib(m.heapPerCluster)}, RSS ${mib(m.rssPerCluster)}, external ${mib(m.externalPerCluster)}`,
    `  heap ${mib(m.heapFrom)} -> ${mib(m.heapTo)}, RSS ${mib(m.rssFrom)} -> ${mib(m.rssTo)}`,
    `idle CPU with ${m.toClusters} clusters: ${r.idleCpuPercent.toFixed(2)}% of one core (10 s)`,
    `pausing ${r.paused.count} clusters (${r.paused.seconds.toFixed(1)} s) gives back per cluster: heap ${mib(r.paused.heapPerCluster)}, RSS ${mib(r.paused.rssPerCluster)}`,
    `first request to a sleeping cluster (${r.sleepers} clusters, new TLS connection): ${p(r.wake)}`,
    `resident memory at the end: ${r.rssEndMB.toFixed(0)} MB`,
  ];
}

if (import.meta.main) {
  const { values } = parseArgs({ options: {
    quick: { type: 'boolean', default: false },
    clusters: { type: 'string' },
    'cpu-prof': { type: 'string' },
    json: { type: 'boolean', default: false },
    'create-only': { type: 'boolean', default: false },
    'heap-snapshot': { type: 'string' },
  } });
  delete process.env.NODE_EXTRA_CA_CERTS;
  const base = values.quick ? QUICK : FULL;
  const n = values.clusters ? Number(values.clusters) : base.clusters;
  const opts: ClusterBenchOptions = {
    ...base, clusters: n, memoryFrom: Math.min(base.memoryFrom, Math.floor(n / 5)), pause: Math.min(base.pause, Math.floor(n / 2)),
    sleepers: Math.min(base.sleepers, Math.max(1, Math.floor(n / 2))), concurrentClusters: Math.min(base.concurrentClusters, n),
    cpuProfDir: values['cpu-prof'], progress: true, createOnly: values['create-only'], heapSnapshotDir: values['heap-snapshot'],
  };
  console.log(`# kubevisor virtual clusters at scale (${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores)`);
  const r = await clustersBench(opts);
  if (opts.createOnly) console.log(`${r.clusters} clusters one after another: ${p(r.ready)}, ${r.sequentialPerSec.toFixed(1)}/s; server CPU ${ms(r.serverCpuPerCluster)} per cluster (system ${ms(r.serverSystemCpuPerCluster)}); per cluster: heap ${mib(r.memory.heapPerCluster)}, RSS ${mib(r.memory.rssPerCluster)}`);
  else for (const line of reportClusters(r)) console.log(line);
  if (values.json) console.log(JSON.stringify(r));
}
