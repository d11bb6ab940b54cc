// `npm run bench`: the figures docs/benchmarks.md records, measured against a
// real `kubevisor up` process over TLS, on SQLite and on a real etcd.
//   cold start to first API call, GET latency at a fixed rate, sustained
//   creates/s, a list of 10,000 configmaps, idle resident memory.
//   Workloads: pods of many Deployments made Ready on simulated nodes, the memory
//   each pod adds, the CPU an idle server with many pods uses.
//   Virtual clusters: 1,000 created one after another, memory per idle and paused
//   cluster, wake latency.
//   Syncer: pods of 100 virtual clusters synced to a host server with simulated
//   nodes against the same pods made on the host directly; syncer memory per pod;
//   added latency of one pod sync at idle.
// Options: --storage sqlite|etcd|both (default both), --part storage|workloads|clusters|syncer|all
// (default all), --quick (smaller runs). Run with --expose-gc (npm run bench does).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { Client } from '../test/support/client.ts';
import { startEtcd, type RunningEtcd } from '../test/support/etcd.ts';
import { startKubevisor } from '../test/support/kubevisor.ts';
import { idleCpu, podsReady } from './pods.ts';
import { clustersBench, FULL, QUICK, reportClusters } from './clusters.ts';
import { reportSyncer, SYNCER_FULL, SYNCER_QUICK, syncerBench } from './syncer.ts';

// npm exports NODE_EXTRA_CA_CERTS to what it runs when its `cafile` is set (as on
// this machine), and Node then loads that whole CA bundle (~13 MB) into every
// process. kubevisor started from a shell does not get it; measure it that way.
delete process.env.NODE_EXTRA_CA_CERTS;

const { values } = parseArgs({ options: {
  storage: { type: 'string', default: 'both' },
  part: { type: 'string', default: 'all' },
  quick: { type: 'boolean', default: false },
} });
const quick = values.quick as boolean;

function pct(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}

const ms = (n: number) => `${n.toFixed(2)} ms`;

async function storageArgs(kind: string, etcd: RunningEtcd | undefined, run: number): Promise<string[]> {
  return kind === 'etcd' && etcd ? ['--storage', 'etcd', '--etcd-endpoints', etcd.endpoint, '--name', `bench${run}`] : [];
}

async function coldStart(kind: string, etcd: RunningEtcd | undefined): Promise<{ first: number; restart: number; idleAfterRestart: number }> {
  const firsts: number[] = [];
  const restarts: number[] = [];
  let idleAfterRestart = NaN;
  for (let i = 0; i < (quick ? 2 : 5); i++) {
    const args = await storageArgs(kind, etcd, i);
    // The bench owns the data dir, so that it survives the first server for the restart.
    const dataDir = join(mkdtempSync(join(tmpdir(), 'kv-bench-')), 'data');
    const t0 = performance.now();
    const kv = await startKubevisor({ extraArgs: args, dataDir });
    const c = new Client(kv.kubeconfig);
    const r = await c.request('GET', '/api/v1/namespaces');
    if (r.status !== 200) throw new Error(`first call failed: ${r.status}`);
    firsts.push(performance.now() - t0);
    c.close();
    await kv.stop();
    // Restart on the same data: the everyday case.
    const t1 = performance.now();
    const kv2 = await startKubevisor({ extraArgs: args, dataDir });
    const c2 = new Client(kv2.kubeconfig);
    const r2 = await c2.request('GET', '/api/v1/namespaces');
    if (r2.status !== 200) throw new Error(`first call after restart failed: ${r2.status}`);
    restarts.push(performance.now() - t1);
    if (i === 0) {
      await new Promise((r) => setTimeout(r, 2000));
      idleAfterRestart = rssMB(kv2.proc.pid as number);
    }
    c2.close();
    await kv2.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
  firsts.sort((a, b) => a - b);
  restarts.sort((a, b) => a - b);
  return { first: pct(firsts, 50), restart: pct(restarts, 50), idleAfterRestart };
}

async function getLatency(c: Client, ratePerSec: number, seconds: number): Promise<{ p50: number; p99: number; n: number }> {
  await c.request('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name: 'lat' }, data: { a: 'b' } }), headers: { 'Content-Type': 'application/json' } });
  for (let i = 0; i < 200; i++) await c.request('GET', '/api/v1/namespaces/default/configmaps/lat'); // warm up
  const total = ratePerSec * seconds;
  const lat: number[] = [];
  const start = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / ratePerSec;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // Open loop: requests go out on schedule whatever the answers do; latency counts from the send.
    const from = performance.now();
    inflight.push(c.request('GET', '/api/v1/namespaces/default/configmaps/lat').then((r) => {
      if (r.status !== 200) throw new Error(`GET ${r.status}`);
      lat.push(performance.now() - from);
    }));
  }
  await Promise.all(inflight);
  lat.sort((a, b) => a - b);
  return { p50: pct(lat, 50), p99: pct(lat, 99), n: lat.length };
}

async function creates(c: Client, seconds: number, concurrency: number): Promise<number> {
  const body = (i: number) => JSON.stringify({ metadata: { name: `cr-${i}` }, data: { key: 'value'.repeat(10) } });
  let n = 0;
  let next = 0;
  const end = performance.now() + seconds * 1000;
  const worker = async () => {
    while (performance.now() < end) {
      const r = await c.request('POST', '/api/v1/namespaces/bench-create/configmaps', { body: body(next++), headers: { 'Content-Type': 'application/json' } });
      if (r.status !== 201) throw new Error(`create ${r.status}: ${r.body}`);
      n++;
    }
  };
  const t0 = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  return n / ((performance.now() - t0) / 1000);
}

async function list10k(c: Client): Promise<{ median: number; bytes: number }> {
  const have = (await c.request('GET', '/api/v1/namespaces/bench-list/configmaps?limit=1')).json();
  let count = have.items.length + (have.metadata.remainingItemCount ?? 0);
  const pending: Promise<unknown>[] = [];
  for (let i = count; i < 10_000; i++) {
    pending.push(c.request('POST', '/api/v1/namespaces/bench-list/configmaps', {
      body: JSON.stringify({ metadata: { name: `item-${String(i).padStart(5, '0')}`, labels: { app: 'bench' } }, data: { k: 'v'.repeat(100) } }),
      headers: { 'Content-Type': 'application/json' },
    }));
    if (pending.length >= 32) { await Promise.all(pending); pending.length = 0; }
  }
  await Promise.all(pending);
  const times: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const r = await c.request('GET', '/api/v1/namespaces/bench-list/configmaps');
    times.push(performance.now() - t0);
    bytes = r.body.length;
    count = r.json().items.length;
    if (count !== 10_000) throw new Error(`listed ${count}`);
  }
  times.sort((a, b) => a - b);
  return { median: pct(times, 50), bytes };
}

function rssMB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
}

async function benchStorage(kind: string): Promise<void> {
  const etcd = kind === 'etcd' ? await startEtcd() : undefined;
  try {
    console.log(`\n## ${kind}`);
    const cs = await coldStart(kind, etcd);
    console.log(`cold start to first API call (fresh data dir, median): ${ms(cs.first)}`);
    console.log(`cold start to first API call (existing data dir, median): ${ms(cs.restart)}`);
    console.log(`idle resident memory after a restart (2 s after start): ${cs.idleAfterRestart.toFixed(1)} MB`);
    const kv = await startKubevisor({ extraArgs: await storageArgs(kind, etcd, 99) });
    const c = new Client(kv.kubeconfig);
    try {
      await new Promise((r) => setTimeout(r, 2000));
      console.log(`idle resident memory after a first start: ${rssMB(kv.proc.pid as number).toFixed(1)} MB`);
      for (const ns of ['bench-create', 'bench-list']) {
        await c.request('POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: ns } }), headers: { 'Content-Type': 'application/json' } });
      }
      const lat = await getLatency(c, 500, quick ? 3 : 10);
      console.log(`GET one configmap at 500 req/s: p50 ${ms(lat.p50)}, p99 ${ms(lat.p99)} (${lat.n} requests)`);
      const rate = await creates(c, quick ? 3 : 10, 16);
      console.log(`sustained creates (16 in flight): ${rate.toFixed(0)}/s`);
      const l = await list10k(c);
      console.log(`list of 10,000 configmaps (JSON, median of 5): ${ms(l.median)} (${(l.bytes / 1e6).toFixed(1)} MB)`);
      console.log(`resident memory after the runs: ${rssMB(kv.proc.pid as number).toFixed(1)} MB`);
    } finally {
      c.close();
      await kv.stop();
    }
  } finally {
    await etcd?.stop();
  }
}

console.log(`# kubevisor benchmarks (${new Date().toISOString()}, node ${process.version}, ${(await import('node:os')).cpus().length} cores)`);
if (values.part === 'all' || values.part === 'storage') {
  for (const kind of values.storage === 'both' ? ['sqlite', 'etcd'] : [values.storage as string]) {
    await benchStorage(kind);
  }
}
if (values.part === 'all' || values.part === 'workloads') {
  console.log('\n## workloads (sqlite, simulated nodes)');
  const [deployments, replicas] = quick ? [20, 50] : [100, 100];
  const r = await podsReady({ deployments, replicas, nodes: Math.ceil((deployments * replicas) / 100) });
  console.log(`${r.pods} pods in ${deployments} Deployments created, scheduled and Ready: ${r.seconds.toFixed(1)} s (${(r.pods / r.seconds).toFixed(0)} pods/s)`);
  console.log(`a pod as stored: ${(r.podJsonBytes / 1024).toFixed(1)} KB JSON, its events ${(r.eventJsonBytesPerPod / 1024).toFixed(1)} KB; decoded in memory together: ${r.decodedPerPodKB.toFixed(1)} KB`);
  console.log(`heap each pod adds (after GC): ${r.heapPerPodKB.toFixed(1)} KB, so ${(r.heapPerPodKB - r.decodedPerPodKB).toFixed(1)} KB beyond its stored objects`);
  console.log(`resident memory with all pods: ${r.rssAfterMB.toFixed(0)} MB`);
  const idle = await idleCpu(quick ? 20 : 100, 10, 10, quick ? 10 : 30);
  console.log(`idle server with ${quick ? 20 : 100} namespaces and ${idle.pods} Ready pods on 10 nodes: ${idle.cpuPercent.toFixed(2)}% of one core`);
}
if (values.part === 'all' || values.part === 'clusters') {
  console.log('\n## virtual clusters (kubevisor serve, sqlite)');
  for (const line of reportClusters(await clustersBench({ ...(quick ? QUICK : FULL), progress: true }))) console.log(line);
}
if (values.part === 'all' || values.part === 'syncer') {
  console.log('\n## syncer (a host and a tenant kubevisor serve, sqlite, simulated nodes on the host)');
  for (const line of reportSyncer(await syncerBench({ ...(quick ? SYNCER_QUICK : SYNCER_FULL), progress: true }))) console.log(line);
}
