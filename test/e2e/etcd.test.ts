// kubevisor on a real etcd: the same API, objects kept across restarts.

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startEtcd, type RunningEtcd } from '../support/etcd.ts';
import { startKubevisor, type Kubevisor } from '../support/kubevisor.ts';
import { kubectlFor } from '../support/kubectl.ts';
import { Client } from '../support/client.ts';

let etcd: RunningEtcd;
let kv: Kubevisor;

before(async () => {
  etcd = await startEtcd();
  kv = await startKubevisor({ extraArgs: ['--storage', 'etcd', '--etcd-endpoints', etcd.endpoint] });
});
after(async () => { await kv?.stop(); await etcd?.stop(); });

test('kubectl works against an etcd-backed cluster, and a watch sees writes', async () => {
  const k = kubectlFor(kv, '1.33');
  assert.match(await k.ok(['get', 'ns']), /kube-system/);
  await k.ok(['create', 'configmap', 'e1', '--from-literal=a=b']);
  assert.equal(await k.ok(['get', 'cm', 'e1', '-o', 'jsonpath={.data.a}']), 'b');
  const c = new Client(kv.kubeconfig);
  try {
    const list = (await c.request('GET', '/api/v1/namespaces/default/configmaps')).json();
    const rv = list.metadata.resourceVersion;
    await k.ok(['label', 'cm', 'e1', 'x=y']);
    const w = await c.request('GET', `/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=${rv}&timeoutSeconds=1`);
    const events = w.body.toString().trim().split('\n').map((l) => JSON.parse(l));
    assert.deepEqual(events.map((e) => [e.type, e.object.metadata.name, e.object.metadata.labels?.x]), [['MODIFIED', 'e1', 'y']]);
  } finally {
    c.close();
  }
  await k.ok(['delete', 'cm', 'e1']);
  assert.equal((await k.run(['get', 'cm', 'e1'])).code, 1);
});
