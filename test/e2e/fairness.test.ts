// Fairness: one virtual cluster under a request flood (from a process of its
// own) while another's requests keep their p99 latency within 2x of what it was
// without the flood.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Client } from '../support/client.ts';
import { startKubevisor, repoRoot, type Kubevisor } from '../support/kubevisor.ts';

const JSON_HEADERS = { 'Content-Type': 'application/json' };
let kv: Kubevisor;
let victim: Client;
let floodKubeconfig: string;

before(async () => {
  kv = await startKubevisor({ extraArgs: ['--nodes', '0'] });
  victim = new Client(kv.kubeconfig);
  const admin = new Client(kv.kubeconfig, 'kubevisor-admin');
  try {
    const created = await admin.request('POST', '/apis/kubevisor.dev/v1alpha1/virtualclusters', {
      body: JSON.stringify({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name: 'flood' }, spec: { limits: { maxRequestsInFlight: 8 } } }),
      headers: JSON_HEADERS,
    });
    assert.equal(created.status, 201, created.body.toString());
    const k = (await admin.request('GET', '/apis/kubevisor.dev/v1alpha1/virtualclusters/flood/kubeconfig')).json();
    floodKubeconfig = join(kv.home, '..', 'flood-kubeconfig');
    writeFileSync(floodKubeconfig, JSON.stringify({
      apiVersion: 'v1', kind: 'Config', 'current-context': 'flood',
      clusters: [{ name: 'flood', cluster: { server: k.server, 'certificate-authority-data': k.certificateAuthorityData } }],
      users: [{ name: 'flood', user: { 'client-certificate-data': k.clientCertificateData, 'client-key-data': k.clientKeyData } }],
      contexts: [{ name: 'flood', context: { cluster: 'flood', user: 'flood' } }],
    }));
  } finally {
    admin.close();
  }
  for (const [client, name] of [[victim, 'probe']] as const) {
    const r = await client.request('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name }, data: { a: 'b' } }), headers: JSON_HEADERS });
    assert.equal(r.status, 201);
  }
});

after(async () => {
  victim?.close();
  await kv?.stop();
});

/** GETs at a fixed rate (open loop); the latencies' p99 in ms. */
async function probe(seconds: number, rate: number): Promise<{ p50: number; p99: number }> {
  const lat: number[] = [];
  const inflight: Promise<void>[] = [];
  const start = performance.now();
  for (let i = 0; i < seconds * rate; i++) {
    const wait = start + (i * 1000) / rate - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    const t0 = performance.now();
    inflight.push(victim.request('GET', '/api/v1/namespaces/default/configmaps/probe').then((r) => {
      assert.equal(r.status, 200);
      lat.push(performance.now() - t0);
    }));
  }
  await Promise.all(inflight);
  lat.sort((a, b) => a - b);
  return { p50: lat[Math.floor(lat.length / 2)] as number, p99: lat[Math.floor(lat.length * 0.99)] as number };
}

test('a flooded cluster does not slow another cluster beyond 2x its p99', { timeout: 120_000 }, async (t) => {
  for (let i = 0; i < 200; i++) await victim.request('GET', '/api/v1/namespaces/default/configmaps/probe'); // warm up
  // 1,200 samples each way: the p99 is then the 12th-slowest request, not the 6th, and one stray
  // scheduling hiccup on this two-core machine no longer decides the outcome.
  const quiet = await probe(12, 100);
  // The flooding client runs at a lower CPU priority: on two cores it would otherwise starve
  // this measuring process too, and the test would time its own scheduling, not the server.
  const flood = spawn('nice', ['-n', '10', process.execPath, join(repoRoot, 'test', 'support', 'flood.ts'), floodKubeconfig, '/api/v1/namespaces', '64', '15'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  flood.stdout.on('data', (d: Buffer) => { out += d.toString(); });
  const exited = new Promise((r) => flood.once('exit', r));
  await new Promise((r) => setTimeout(r, 1500)); // the flood is under way
  const loaded = await probe(12, 100);
  await exited;
  const counts = JSON.parse(out) as { sent: number; ok: number; throttled: number };
  t.diagnostic(`victim p50/p99 quiet ${quiet.p50.toFixed(2)}/${quiet.p99.toFixed(2)} ms, flooded ${loaded.p50.toFixed(2)}/${loaded.p99.toFixed(2)} ms; flood sent ${counts.sent} (${counts.ok} ok, ${counts.throttled} throttled with 429)`);
  assert.ok(counts.ok > 1000, 'the flood really loaded the server');
  assert.ok(counts.throttled > 0, 'the flooded cluster was held to its limit with 429');
  // A floor of 2 ms for the quiet figure: sub-millisecond p99s double on scheduler noise alone.
  assert.ok(loaded.p99 <= 2 * Math.max(quiet.p99, 2), `p99 ${loaded.p99.toFixed(2)} ms under flood vs ${quiet.p99.toFixed(2)} ms quiet`);
});
