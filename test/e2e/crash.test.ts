// Every write the server acknowledged survives `kill -9` of the server.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startKubevisor } from '../support/kubevisor.ts';
import { Client } from '../support/client.ts';

test('acknowledged creates survive SIGKILL mid-stream', async () => {
  const dataDir = join(mkdtempSync(join(tmpdir(), 'kv-crash-')), 'data');
  const kv = await startKubevisor({ dataDir });
  const c = new Client(kv.kubeconfig);
  const acked = new Map<string, string>();
  let stop = false;
  let i = 0;
  const writer = async () => {
    while (!stop) {
      const name = `w-${i++}`;
      try {
        const r = await c.request('POST', '/api/v1/namespaces/default/configmaps', {
          body: JSON.stringify({ metadata: { name }, data: { v: name } }), headers: { 'Content-Type': 'application/json' },
        });
        if (r.status === 201) acked.set(name, r.json().metadata.resourceVersion);
      } catch {
        return; // the connection died with the server
      }
    }
  };
  const writers = Array.from({ length: 8 }, writer);
  while (acked.size < 300) await new Promise((r) => setTimeout(r, 5));
  kv.proc.kill('SIGKILL');
  stop = true;
  await Promise.all(writers);
  await kv.stop();
  c.close();

  const again = await startKubevisor({ dataDir });
  const c2 = new Client(again.kubeconfig);
  try {
    const list = (await c2.request('GET', '/api/v1/namespaces/default/configmaps')).json();
    const found = new Map<string, { rv: string; v: string }>(list.items.map((o: any) => [o.metadata.name, { rv: o.metadata.resourceVersion, v: o.data.v }]));
    for (const [name, rv] of acked) {
      assert.ok(found.has(name), `acknowledged ${name} is missing after the crash`);
      assert.equal(found.get(name)?.rv, rv);
      assert.equal(found.get(name)?.v, name);
    }
    // Writing continues after the crash at a higher revision.
    const r = await c2.request('POST', '/api/v1/namespaces/default/configmaps', { body: JSON.stringify({ metadata: { name: 'after' } }), headers: { 'Content-Type': 'application/json' } });
    assert.equal(r.status, 201);
    assert.ok(Number(r.json().metadata.resourceVersion) > Math.max(...[...acked.values()].map(Number)));
  } finally {
    c2.close();
    await again.stop();
    rmSync(join(dataDir, '..'), { recursive: true, force: true });
  }
});
