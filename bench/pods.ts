// Workload figures for docs/benchmarks.md: many pods created by Deployments,
// scheduled and made Ready on simulated nodes; the memory each pod adds; the
// CPU an idle server with many pods uses.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '../test/support/client.ts';
import { startKubevisor } from '../test/support/kubevisor.ts';

const JSON_HEADERS = { 'Content-Type': 'application/json' };

export interface PodBenchOptions {
  deployments: number;
  replicas: number;
  nodes: number;
}

export interface PodBenchResult {
  pods: number;
  /** Seconds from the first Deployment's create until every pod is Ready. */
  seconds: number;
  rssAfterMB: number;
  /** JSON size of one pod as stored, and of its events. */
  podJsonBytes: number;
  eventJsonBytesPerPod: number;
  /** Heap each further pod adds (slope between half and all of the pods), after garbage collection. */
  heapPerPodKB: number;
  /** What a pod and its events take decoded in the watch cache (the same objects parsed in this process). */
  decodedPerPodKB: number;
}

export function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) of a process, in ms. */
export function cpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  // utime and stime are fields 14 and 15 of the line, 12 and 13 after "pid (comm) ".
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

/** The bench's Deployment: `replicas` pods of one small container. */
export function deployment(name: string, replicas: number): Record<string, unknown> {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name },
    spec: {
      replicas, selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] },
      },
    },
  };
}

async function readyPods(c: Client, path: string): Promise<number> {
  const r = await c.request('GET', path);
  if (r.status !== 200) throw new Error(`list deployments ${r.status}`);
  let ready = 0;
  for (const d of r.json().items) ready += d.status?.readyReplicas ?? 0;
  return ready;
}

async function waitReady(c: Client, path: string, want: number, t0: number): Promise<void> {
  let last = -1;
  for (;;) {
    const ready = await readyPods(c, path);
    if (ready !== last) { process.stderr.write(`\r  ${ready}/${want} pods ready after ${((performance.now() - t0) / 1000).toFixed(1)} s   `); last = ready; }
    if (ready >= want) break;
    if (performance.now() - t0 > 600_000) throw new Error(`only ${ready}/${want} pods ready after 10 min`);
    await new Promise((r) => setTimeout(r, 250));
  }
  process.stderr.write('\n');
}

/** The server's heap after garbage collection (KUBEVISOR_HEAP_REPORT, SIGUSR2). */
async function serverHeap(pid: number, file: string): Promise<number> {
  rmSync(file, { force: true });
  process.kill(pid, 'SIGUSR2');
  for (let i = 0; i < 100; i++) {
    await new Promise((r) => setTimeout(r, 100));
    try { return JSON.parse(readFileSync(file, 'utf8')).heapUsed as number; } catch { /* not written yet */ }
  }
  throw new Error('no heap report');
}

/** Heap that decoded copies of `items` take in this process. */
export function decodedBytes(items: unknown[]): number {
  const texts = items.map((i) => JSON.stringify(i));
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return NaN;
  gc();
  const before = process.memoryUsage().heapUsed;
  const held = texts.map((t) => JSON.parse(t));
  gc();
  const after = process.memoryUsage().heapUsed;
  if (held.length !== items.length) throw new Error('unreachable');
  return after - before;
}

/**
 * Creates `deployments` Deployments of `replicas` pods in one namespace, half at a
 * time, and waits until every pod is Ready; measures the time for all of them from
 * the first create, and the heap each pod adds between the halves.
 */
export async function podsReady(opts: PodBenchOptions): Promise<PodBenchResult> {
  const heapFile = join(mkdtempSync(join(tmpdir(), 'kv-heap-')), 'heap.json');
  const kv = await startKubevisor({
    extraArgs: ['--nodes', String(opts.nodes)],
    env: { NODE_OPTIONS: '--expose-gc', KUBEVISOR_HEAP_REPORT: heapFile },
  });
  const c = new Client(kv.kubeconfig);
  const pid = kv.proc.pid as number;
  try {
    const ns = 'bench-pods';
    const path = `/apis/apps/v1/namespaces/${ns}/deployments`;
    await c.request('POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: ns } }), headers: JSON_HEADERS });
    for (;;) {
      const nodes = (await c.request('GET', '/api/v1/nodes')).json().items;
      if (nodes.length === opts.nodes) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 2000));
    const total = opts.deployments * opts.replicas;
    const half = Math.floor(opts.deployments / 2);
    const create = async (from: number, to: number) => {
      for (let i = from; i < to; i++) {
        const r = await c.request('POST', path, { body: JSON.stringify(deployment(`web-${i}`, opts.replicas)), headers: JSON_HEADERS });
        if (r.status !== 201) throw new Error(`create deployment ${r.status}: ${r.body}`);
      }
    };
    // The timed run: all pods at once.
    const t0 = performance.now();
    await create(0, opts.deployments);
    await waitReady(c, path, total, t0);
    const seconds = (performance.now() - t0) / 1000;
    // Memory: scale to half and back, measuring the heap at each level once settled.
    await new Promise((r) => setTimeout(r, 3000));
    const heapAll = await serverHeap(pid, heapFile);
    const rssAfterMB = rssMB(pid);
    const pods = (await c.request('GET', `/api/v1/namespaces/${ns}/pods`)).json().items as KubeItem[];
    const events = (await c.request('GET', `/api/v1/namespaces/${ns}/events`)).json().items as KubeItem[];
    const podEvents = events.filter((e) => e.involvedObject?.kind === 'Pod');
    const decodedPerPodKB = (decodedBytes(pods) + decodedBytes(podEvents)) / pods.length / 1024;
    const podJsonBytes = pods.reduce((s, p) => s + JSON.stringify(p).length, 0) / pods.length;
    const eventJsonBytesPerPod = podEvents.reduce((s, e) => s + JSON.stringify(e).length, 0) / pods.length;
    for (let i = half; i < opts.deployments; i++) {
      const r = await c.request('DELETE', `${path}/web-${i}`);
      if (r.status !== 200) throw new Error(`delete deployment ${r.status}`);
    }
    for (;;) {
      const left = (await c.request('GET', `/api/v1/namespaces/${ns}/pods?limit=1`)).json();
      const n = left.items.length + (left.metadata.remainingItemCount ?? 0);
      if (n <= half * opts.replicas) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // Deleted pods' events stay (as on a real cluster, until their TTL): delete them too.
    for (const e of podEvents) {
      const owner = (e.involvedObject?.name ?? '').replace(/-[^-]+-[^-]+$/, '');
      if (Number(owner.slice('web-'.length)) >= half) await c.request('DELETE', `/api/v1/namespaces/${ns}/events/${e.metadata.name}`);
    }
    await new Promise((r) => setTimeout(r, 3000));
    const heapHalf = await serverHeap(pid, heapFile);
    const removed = total - half * opts.replicas;
    return {
      pods: pods.length, seconds, rssAfterMB, podJsonBytes, eventJsonBytesPerPod,
      heapPerPodKB: (heapAll - heapHalf) / removed / 1024, decodedPerPodKB,
    };
  } finally {
    c.close();
    await kv.stop();
    rmSync(join(heapFile, '..'), { recursive: true, force: true });
  }
}

interface KubeItem { metadata: { name: string }; involvedObject?: { kind?: string; name?: string } }

/** CPU used by an idle server holding `namespaces` namespaces with `podsPerNamespace` Ready pods each. */
export async function idleCpu(namespaces: number, podsPerNamespace: number, nodes: number, seconds: number): Promise<{ cpuPercent: number; pods: number }> {
  const kv = await startKubevisor({ extraArgs: ['--nodes', String(nodes)] });
  const c = new Client(kv.kubeconfig);
  try {
    for (let n = 0; n < namespaces; n++) {
      const ns = `idle-${n}`;
      await c.request('POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: ns } }), headers: JSON_HEADERS });
      const r = await c.request('POST', `/apis/apps/v1/namespaces/${ns}/deployments`, { body: JSON.stringify(deployment('app', podsPerNamespace)), headers: JSON_HEADERS });
      if (r.status !== 201) throw new Error(`create deployment ${r.status}: ${r.body}`);
    }
    const want = namespaces * podsPerNamespace;
    for (;;) {
      const r = (await c.request('GET', '/apis/apps/v1/deployments')).json();
      const ready = r.items.reduce((s: number, d: { status?: { readyReplicas?: number } }) => s + (d.status?.readyReplicas ?? 0), 0);
      if (ready >= want) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    // Let the rollouts' last writes and the first lease renewals pass, then measure.
    await new Promise((r) => setTimeout(r, 15_000));
    const pid = kv.proc.pid as number;
    const c0 = cpuMs(pid);
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const used = cpuMs(pid) - c0;
    return { cpuPercent: (used / (performance.now() - t0)) * 100, pods: want };
  } finally {
    c.close();
    await kv.stop();
  }
}

