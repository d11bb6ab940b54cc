// Profiling aid (not part of npm run bench): the 10,000-pod workload of bench/pods.ts with an
// optional CPU profile of the server, then a count of the writes each resource took.
// npx node bench/profile-pods.ts [DEPLOYMENTS] [REPLICAS] [PROFILE_DIR]   (NODES=100, NODEOPTS=..., VERBOSE=1)
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DatabaseSync } from 'node:sqlite';
import { Client } from '../test/support/client.ts';
import { startKubevisor } from '../test/support/kubevisor.ts';

const deployments = Number(process.argv[2] ?? 100), replicas = Number(process.argv[3] ?? 100);
const prof = process.argv[4];
const dataDir = mkdtempSync(join(tmpdir(), 'kv-prof-'));
const kv = await startKubevisor({ output: process.env.VERBOSE ? (s: string) => process.stderr.write(s) : undefined, dataDir, extraArgs: ['--nodes', process.env.NODES ?? '100'], env: { NODE_OPTIONS: (prof ? `--cpu-prof --cpu-prof-dir=${prof} ` : '') + (process.env.NODEOPTS ?? '') } });
const c = new Client(kv.kubeconfig);
const H = { 'Content-Type': 'application/json' };
await c.request('POST', '/api/v1/namespaces', { body: JSON.stringify({ metadata: { name: 'b' } }), headers: H });
await new Promise((r) => setTimeout(r, 2000));
const t0 = performance.now();
for (let i = 0; i < deployments; i++) {
  const name = `web-${i}`;
  const r = await c.request('POST', '/apis/apps/v1/namespaces/b/deployments', { headers: H, body: JSON.stringify({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name }, spec: { replicas, selector: { matchLabels: { app: name } }, template: { metadata: { labels: { app: name } }, spec: { containers: [{ name: 'app', image: 'nginx:1.27', resources: { requests: { cpu: '1m', memory: '1Mi' } } }] } } } }) });
  if (r.status !== 201) throw new Error(String(r.body));
}
for (;;) {
  const items = (await c.request('GET', '/apis/apps/v1/namespaces/b/deployments')).json().items;
  const ready = items.reduce((s: number, d: any) => s + (d.status?.readyReplicas ?? 0), 0);

  if (ready >= deployments * replicas) break;
  await new Promise((r) => setTimeout(r, 250));
}
console.log(`ready in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
c.close();
await kv.stop();
const dbs = process.argv[5] ?? '';
const { execSync } = await import('node:child_process');
const files = execSync(`find ${dataDir} -name '*.db'`).toString().trim().split('\n');
for (const f of files) {
  const db = new DatabaseSync(f, { readOnly: true });
  try {
    const counts = new Map<string, number>();
    for (const r of db.prepare(`SELECT name, deleted FROM kv`).all() as any[]) {
      const k = String(r.name).split('/').slice(0, 4).join('/') + (r.deleted ? ' (delete)' : '');
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    console.log(f, [...counts].sort((a, b) => b[1] - a[1]).slice(0, 20));
  } catch (e) { console.log(f, String(e)); }
}
