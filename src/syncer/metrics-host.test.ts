// The Metrics API of virtual clusters synced to a host: two kubevisor servers
// in this process (a host with simulated nodes, which serves metrics itself,
// and a tenant). Cluster a has made-up nodes, cluster r shows the host's nodes,
// cluster c syncs with host credentials whose RBAC has nothing of
// metrics.k8s.io. Pod metrics are the host pods', under the virtual names;
// node metrics the host node's (real) or the cluster's own pods' (fake); a
// host refusing the Metrics API leaves it unavailable (503).

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../api/types.ts';
import { sumQuantities } from '../server/metrics/index.ts';
import { eventually } from '../../test/support/cluster.ts';
import { Client } from '../../test/support/client.ts';
import { hasKubectl, kubectl } from '../../test/support/in-process-server.ts';
import { startTwoServers, type TwoServers } from '../../test/support/two-servers.ts';
import { HostConnection, type HostResource } from './host/connection.ts';

const HOST_NS = 'tenants';
const POD_METRICS: HostResource = { apiVersion: 'metrics.k8s.io/v1beta1', plural: 'pods' };
const NODE_METRICS: HostResource = { apiVersion: 'metrics.k8s.io/v1beta1', plural: 'nodes' };
const M = '/apis/metrics.k8s.io/v1beta1';

let t: TwoServers;
let host: HostConnection;
const clients = new Map<string, Client>();

async function get(cluster: string, path: string) {
  const r = await clients.get(cluster)!.request('GET', path, { headers: { Accept: 'application/json' } });
  const text = r.body.toString('utf8');
  return { status: r.status, text, body: r.headers['content-type']?.toString().startsWith('application/json') ? JSON.parse(text) : undefined };
}

async function create(cluster: string, path: string, obj: unknown): Promise<void> {
  const r = await clients.get(cluster)!.request('POST', path, { body: JSON.stringify(obj), headers: { 'Content-Type': 'application/json' } });
  assert.ok(r.status < 300, `${cluster} ${path}: ${r.body.toString('utf8')}`);
}

async function runningPod(cluster: string, namespace: string, name: string, labels: Record<string, string>): Promise<void> {
  await create(cluster, `/api/v1/namespaces/${namespace}/pods`, {
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels },
    spec: { containers: [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '100m', memory: '64Mi' } } }, { name: 'log', image: 'busybox' }] },
  });
  await eventually(async () => (await get(cluster, `/api/v1/namespaces/${namespace}/pods/${name}`)).body?.status?.phase === 'Running', 30_000, `${cluster}: ${name} Running`);
}

/** Limited host credentials: everything but metrics.k8s.io. */
async function limitedKubeconfig(hostKubeconfig: string): Promise<string> {
  const raw = new Client(hostKubeconfig);
  let groups: string[];
  try {
    groups = ((await raw.request('GET', '/apis')).json() as { groups: { name: string }[] }).groups.map((g) => g.name).filter((g) => g !== 'metrics.k8s.io');
  } finally {
    raw.close();
  }
  const rbac = 'rbac.authorization.k8s.io/v1';
  await host.create({ apiVersion: 'v1', plural: 'serviceaccounts' }, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'no-metrics' } });
  await host.create({ apiVersion: rbac, plural: 'clusterroles' }, '', {
    apiVersion: rbac, kind: 'ClusterRole', metadata: { name: 'no-metrics' },
    rules: [{ apiGroups: ['', ...groups], resources: ['*'], verbs: ['*'] }, { nonResourceURLs: ['*'], verbs: ['*'] }],
  } as KubeObject);
  await host.create({ apiVersion: rbac, plural: 'clusterrolebindings' }, '', {
    apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: { name: 'no-metrics' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'no-metrics' },
    subjects: [{ kind: 'ServiceAccount', name: 'no-metrics', namespace: 'default' }],
  } as KubeObject);
  const tr = await host.create({ apiVersion: 'v1', plural: 'serviceaccounts/no-metrics/token' }, 'default',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { expirationSeconds: 7200 } } as KubeObject);
  const kc = parse(readFileSync(hostKubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  for (const u of kc.users) u.user = { token: (tr as unknown as { status: { token: string } }).status.token };
  const file = join(t.dir, 'no-metrics.kubeconfig');
  writeFileSync(file, stringify(kc));
  return file;
}

before(async () => {
  t = await startTwoServers();
  await t.host.server.ensureCluster('host', { nodes: 2 });
  const hostKubeconfig = await t.host.kubeconfig('host');
  host = await HostConnection.connect({ file: hostKubeconfig });
  await t.tenant.server.ensureCluster('a', { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS } });
  await t.tenant.server.ensureCluster('r', { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS, sync: { nodes: 'real' } } });
  await t.tenant.server.ensureCluster('c', { host: { kubeconfigFile: await limitedKubeconfig(hostKubeconfig), namespace: HOST_NS } });
  for (const name of ['a', 'r', 'c']) clients.set(name, new Client(await t.tenant.kubeconfig(name)));
  await create('a', '/api/v1/namespaces', { metadata: { name: 'team' } });
  await runningPod('a', 'default', 'web', { app: 'web' });
  await runningPod('a', 'team', 'api', { app: 'api' });
  await runningPod('r', 'default', 'web', { app: 'web' });
  await runningPod('c', 'default', 'web', { app: 'web' });
});

after(async () => {
  for (const c of clients.values()) c.close();
  host?.close();
  await t?.close();
});

/** Compare what the virtual cluster and the host report, again if a new sample came between the two reads. */
async function sameSample(read: () => Promise<[KubeObject, KubeObject]>, compare: (virtual: KubeObject, hostItem: KubeObject) => void): Promise<void> {
  for (let attempt = 0; ; attempt++) {
    const [v, h] = await read();
    if (v.timestamp !== h.timestamp && attempt < 3) continue;
    compare(v, h);
    return;
  }
}

test('pod metrics: the host pod\'s, under the virtual name, namespace and labels', async () => {
  await sameSample(async () => {
    const v = (await get('a', `${M}/namespaces/default/pods`)).body;
    const h = await host.list(POD_METRICS, HOST_NS);
    assert.deepEqual(v.items.map((i: KubeObject) => i.metadata.name), ['web']);
    return [v.items[0], h.items.find((i) => i.metadata.name === 'web-x-default-x-a')!];
  }, (v, h) => {
    assert.ok(h, 'the host measures the host pod');
    assert.deepEqual(v.metadata.labels, { app: 'web' });
    assert.equal(v.metadata.namespace, 'default');
    assert.deepEqual(v.containers, h.containers);
    assert.deepEqual((v.containers as { name: string }[]).map((c) => c.name), ['app', 'log']);
    assert.equal(v.window, h.window);
  });
  const one = await get('a', `${M}/namespaces/default/pods/web`);
  assert.equal(one.status, 200);
  assert.equal(one.body.kind, 'PodMetrics');
  assert.equal(one.body.metadata.name, 'web');
  const ghost = await get('a', `${M}/namespaces/default/pods/ghost`);
  assert.equal(ghost.status, 404);
  assert.equal(ghost.body.message, 'pods "ghost" not found');

  // Every namespace of this cluster, none of the other clusters' pods in the same host namespace.
  const all = await get('a', `${M}/pods`);
  assert.deepEqual(all.body.items.map((i: KubeObject) => `${i.metadata.namespace}/${i.metadata.name}`), ['default/web', 'team/api']);
  const selected = await get('a', `${M}/pods?labelSelector=app%3Dapi`);
  assert.deepEqual(selected.body.items.map((i: KubeObject) => i.metadata.name), ['api']);
});

test('node metrics: a node showing its host node has the host\'s; a made-up node what the cluster\'s pods on it use', async () => {
  const rNode = (await get('r', '/api/v1/namespaces/default/pods/web')).body.spec.nodeName as string;
  await sameSample(async () => {
    const v = (await get('r', `${M}/nodes/${rNode}`)).body;
    return [v, await host.get(NODE_METRICS, '', rNode)];
  }, (v, h) => {
    assert.equal(v.kind, 'NodeMetrics');
    assert.deepEqual(v.usage, h.usage);
  });

  const nodes = (await get('a', `${M}/nodes`)).body.items as KubeObject[];
  const pods = (await get('a', '/api/v1/pods')).body.items as KubeObject[];
  assert.deepEqual(nodes.map((n) => n.metadata.name).sort(), [...new Set(pods.map((p) => (p.spec as { nodeName: string }).nodeName))].sort());
  for (const n of nodes) {
    // The cluster's own pods on the node, summed.
    const on = pods.filter((p) => (p.spec as { nodeName: string }).nodeName === n.metadata.name);
    await sameSample(async () => {
      const node = (await get('a', `${M}/nodes/${n.metadata.name}`)).body;
      const samples = await Promise.all(on.map(async (p) => (await get('a', `${M}/namespaces/${p.metadata.namespace}/pods/${p.metadata.name}`)).body));
      return [node, { ...samples[0], samples } as KubeObject];
    }, (node, h) => {
      const containers = (h.samples as KubeObject[]).flatMap((s) => s.containers as { usage: Record<string, string> }[]);
      assert.deepEqual(node.usage, {
        cpu: sumQuantities(containers.map((c) => c.usage.cpu!)), memory: sumQuantities(containers.map((c) => c.usage.memory!)),
      });
    });
  }
});

test('a host that refuses its Metrics API: the virtual cluster\'s is unavailable (503), its pods run on', async () => {
  const r = await get('c', `${M}/namespaces/default/pods`);
  assert.equal(r.status, 503);
  assert.equal(r.text, 'service unavailable\n');
  assert.equal((await get('c', `${M}/nodes`)).status, 503);
  assert.equal((await get('c', '/api/v1/namespaces/default/pods/web')).body.status.phase, 'Running');
});

test('kubectl top pod shows the virtual pods', { skip: !(await hasKubectl()) && 'kubectl is not installed' }, async () => {
  const env = await t.tenant.env('a');
  const top = await kubectl(env, ['top', 'pod', '-A', '--containers']);
  assert.equal(top.code, 0, top.out);
  assert.match(top.stdout, /^default\s+web\s+app\s+\d+m\s+\d+Mi\s*$/m);
  assert.match(top.stdout, /^team\s+api\s+log\s+\d+m\s+\d+Mi\s*$/m);
  assert.doesNotMatch(top.stdout, /-x-/, 'no host names');
  const nodes = await kubectl(env, ['top', 'node']);
  assert.equal(nodes.code, 0, nodes.out);
  assert.match(nodes.stdout, /^NAME\s+CPU\(cores\)/m);
  const refused = await kubectl(await t.tenant.env('c'), ['top', 'pod']);
  assert.notEqual(refused.code, 0);
  assert.match(refused.out, /Error from server \(ServiceUnavailable\): the server is currently unable to handle the request \(get pods\.metrics\.k8s\.io\)/);
});
