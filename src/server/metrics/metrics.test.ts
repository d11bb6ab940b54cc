// The Metrics API over HTTP against an in-process server with simulated nodes:
// discovery (legacy and aggregated), NodeMetrics and PodMetrics get and list,
// label and field selectors, upstream's 404, 400, 405 and 503 answers, Tables,
// RBAC with metrics-server's aggregated reader role, and the real `kubectl top`.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { controllerContext } from '../../controllers/context.ts';
import { startClusterRoleAggregationController } from '../../controllers/rbac/aggregation.ts';
import { startScheduler } from '../../controllers/scheduler/index.ts';
import { startSimulatedMetrics, startSimulatedNodes } from '../../nodes/index.ts';
import { eventually } from '../../../test/support/cluster.ts';
import { Client } from '../../../test/support/client.ts';
import { hasKubectl, kubectl, startInProcessServer, type InProcessServer } from '../../../test/support/in-process-server.ts';

let server: InProcessServer;
let api: Client;
let stopMetrics: (() => void) | undefined;
let restartMetrics: () => void;

const M = '/apis/metrics.k8s.io/v1beta1';
const json = { Accept: 'application/json' };

async function get(path: string, headers: Record<string, string> = json) {
  const r = await api.request('GET', path, { headers });
  return { status: r.status, headers: r.headers, text: r.body.toString('utf8'), body: r.headers['content-type']?.toString().startsWith('application/json') ? r.json() : undefined };
}

async function create(path: string, obj: unknown): Promise<void> {
  const r = await api.request('POST', path, { body: JSON.stringify(obj), headers: { 'Content-Type': 'application/json' } });
  assert.ok(r.status < 300, `${path}: ${r.body.toString('utf8')}`);
}

function pod(name: string, namespace: string, extra: Record<string, unknown> = {}, containers: unknown[] = [{ name: 'app', image: 'nginx' }]): KubeObject {
  return { apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace, ...extra }, spec: { containers } };
}

before(async () => {
  server = await startInProcessServer('metrics', (vc) => {
    const ctx = controllerContext(vc);
    const stops = [startScheduler(ctx), startSimulatedNodes(ctx, { count: 2 }), startClusterRoleAggregationController(ctx)];
    restartMetrics = () => { stopMetrics = startSimulatedMetrics(ctx); };
    restartMetrics();
    return () => { stopMetrics?.(); for (const s of stops.reverse()) s(); };
  });
  api = new Client(server.kubeconfig);
  await create('/api/v1/namespaces', { metadata: { name: 'team' } });
  await create('/api/v1/namespaces/default/pods', pod('web', 'default', { labels: { app: 'web' } },
    [{ name: 'app', image: 'nginx', resources: { requests: { cpu: '200m', memory: '64Mi' }, limits: { cpu: '400m' } } }]));
  await create('/api/v1/namespaces/default/pods', pod('fixed', 'default', {
    labels: { app: 'fixed' },
    annotations: { 'kubevisor.dev/usage-cpu': '5m,app=250m', 'kubevisor.dev/usage-memory': 'app=64Mi, side=16Mi' },
  }, [{ name: 'app', image: 'nginx' }, { name: 'side', image: 'busybox' }]));
  await create('/api/v1/namespaces/team/pods', pod('other', 'team', { labels: { app: 'other' } }));
  // Never scheduled: Pending, so without metrics.
  await create('/api/v1/namespaces/default/pods', { ...pod('waiting', 'default'), spec: { schedulerName: 'nobody', containers: [{ name: 'app', image: 'nginx' }] } });
  const phase = async (ns: string, name: string) => (await get(`/api/v1/namespaces/${ns}/pods/${name}`)).body?.status?.phase;
  for (const [ns, name] of [['default', 'web'], ['default', 'fixed'], ['team', 'other']] as const) {
    await eventually(async () => (await phase(ns, name)) === 'Running', 15_000, `${ns}/${name} Running`);
  }
});

after(async () => {
  api?.close();
  await server?.close();
});

test('discovery lists metrics.k8s.io/v1beta1 with nodes and pods, get and list, as metrics-server registers them', async () => {
  const groups = (await get('/apis')).body.groups as { name: string; versions: unknown[]; preferredVersion: unknown }[];
  assert.deepEqual(groups.find((g) => g.name === 'metrics.k8s.io'), {
    name: 'metrics.k8s.io',
    versions: [{ groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' }],
    preferredVersion: { groupVersion: 'metrics.k8s.io/v1beta1', version: 'v1beta1' },
  });
  assert.deepEqual((await get(M)).body, {
    kind: 'APIResourceList', apiVersion: 'v1', groupVersion: 'metrics.k8s.io/v1beta1',
    resources: [
      { name: 'nodes', singularName: '', namespaced: false, kind: 'NodeMetrics', verbs: ['get', 'list'] },
      { name: 'pods', singularName: '', namespaced: true, kind: 'PodMetrics', verbs: ['get', 'list'] },
    ],
  });
  const agg = await get('/apis', { Accept: 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' });
  const item = (agg.body.items as { metadata: { name: string }; versions: { version: string; resources: unknown[] }[] }[])
    .find((i) => i.metadata.name === 'metrics.k8s.io');
  assert.deepEqual(item?.versions.map((v) => v.version), ['v1beta1']);
  assert.deepEqual(item?.versions[0]?.resources, [
    { resource: 'nodes', responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'NodeMetrics' }, scope: 'Cluster', singularResource: '', verbs: ['get', 'list'] },
    { resource: 'pods', responseKind: { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' }, scope: 'Namespaced', singularResource: '', verbs: ['get', 'list'] },
  ]);
  // /openapi/v3 lists the Metrics API's document (kubectl explain podmetrics) beside the cluster's own.
  const v3 = await get('/openapi/v3');
  assert.equal(v3.status, 200);
  assert.ok(v3.body.paths['api/v1']);
  const url = v3.body.paths['apis/metrics.k8s.io/v1beta1']?.serverRelativeURL as string;
  assert.match(url, /^\/openapi\/v3\/apis\/metrics\.k8s\.io\/v1beta1\?hash=[0-9A-F]+$/);
  const doc = await get(url);
  assert.equal(doc.status, 200);
  const podMetrics = doc.body.components.schemas['io.k8s.metrics.pkg.apis.metrics.v1beta1.PodMetrics'];
  assert.deepEqual(podMetrics['x-kubernetes-group-version-kind'], [{ group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' }]);
  assert.deepEqual(doc.body.paths['/apis/metrics.k8s.io/v1beta1/namespaces/{namespace}/pods'].get['x-kubernetes-group-version-kind'],
    { group: 'metrics.k8s.io', version: 'v1beta1', kind: 'PodMetrics' });
  assert.equal((await get('/openapi/v2')).status, 200);
});

test('NodeMetrics: every simulated node, its pods plus the system, sorted by name; get one; 404s as upstream words them', async () => {
  const list = await get(`${M}/nodes`);
  assert.equal(list.status, 200);
  assert.equal(list.body.kind, 'NodeMetricsList');
  assert.equal(list.body.apiVersion, 'metrics.k8s.io/v1beta1');
  assert.deepEqual(list.body.metadata, {});
  const items = list.body.items as KubeObject[];
  assert.deepEqual(items.map((i) => i.metadata.name), ['kubevisor-node-0', 'kubevisor-node-1']);
  for (const i of items) {
    assert.equal(i.kind, undefined, 'list items carry no kind');
    assert.equal(i.metadata.labels?.['kubevisor.dev/simulated'], 'true');
    assert.match(i.metadata.creationTimestamp ?? '', /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.match(i.timestamp as string, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    assert.equal(i.window, '15s');
    const usage = i.usage as Record<string, string>;
    assert.deepEqual(Object.keys(usage).sort(), ['cpu', 'memory']);
    assert.match(usage.cpu!, /^\d+[num]?$/);
    assert.match(usage.memory!, /^\d+(Ki|Mi)$/);
  }
  // The node running `fixed` uses at least its 255m.
  const fixedNode = (await get('/api/v1/namespaces/default/pods/fixed')).body.spec.nodeName as string;
  const cpu = (items.find((i) => i.metadata.name === fixedNode)!.usage as { cpu: string }).cpu;
  assert.ok(toCores(cpu) >= 0.255, cpu);

  const one = await get(`${M}/nodes/kubevisor-node-1`);
  assert.equal(one.status, 200);
  assert.equal(one.body.kind, 'NodeMetrics');
  assert.equal(one.body.apiVersion, 'metrics.k8s.io/v1beta1');
  assert.equal(one.body.metadata.name, 'kubevisor-node-1');

  const missing = await get(`${M}/nodes/nope`);
  assert.equal(missing.status, 404);
  assert.equal(missing.body.message, 'node "nope" not found');
  assert.deepEqual(missing.body.details, { name: 'nope', kind: 'node' });

  // A node no simulated kubelet keeps has no metrics.
  await create('/api/v1/nodes', { metadata: { name: 'bare' }, spec: { unschedulable: true } });
  assert.deepEqual((await get(`${M}/nodes`)).body.items.map((i: KubeObject) => i.metadata.name), ['kubevisor-node-0', 'kubevisor-node-1']);
  const bare = await get(`${M}/nodes/bare`);
  assert.equal(bare.status, 404);
  assert.equal(bare.body.message, 'nodemetrics.metrics.k8s.io "bare" not found');
  assert.deepEqual(bare.body.details, { name: 'bare', group: 'metrics.k8s.io', kind: 'nodemetrics' });

  const labelled = await get(`${M}/nodes?labelSelector=${encodeURIComponent('kubernetes.io/hostname=kubevisor-node-0')}`);
  assert.deepEqual(labelled.body.items.map((i: KubeObject) => i.metadata.name), ['kubevisor-node-0']);
  const named = await get(`${M}/nodes?fieldSelector=metadata.name%3Dkubevisor-node-1`);
  assert.deepEqual(named.body.items.map((i: KubeObject) => i.metadata.name), ['kubevisor-node-1']);
});

function toCores(q: string): number {
  const m = /^(\d+)([num]?)$/.exec(q);
  assert.ok(m, q);
  return Number(m[1]) * ({ n: 1e-9, u: 1e-6, m: 1e-3, '': 1 } as Record<string, number>)[m[2]!]!;
}

function toBytes(q: string): number {
  const m = /^(\d+)(Ki|Mi|Gi)?$/.exec(q);
  assert.ok(m, q);
  return Number(m[1]) * ({ Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3 } as Record<string, number>)[m[2] ?? ''] || Number(m[1]);
}

test('PodMetrics: Running pods only, per container, the annotations exact and the model within its bounds', async () => {
  const list = await get(`${M}/namespaces/default/pods`);
  assert.equal(list.status, 200);
  assert.equal(list.body.kind, 'PodMetricsList');
  const items = list.body.items as KubeObject[];
  assert.deepEqual(items.map((i) => i.metadata.name), ['fixed', 'web'], 'the Pending pod has none');
  const fixed = items[0]!;
  assert.equal(fixed.metadata.namespace, 'default');
  assert.deepEqual(fixed.metadata.labels, { app: 'fixed' });
  assert.equal(fixed.window, '15s');
  assert.deepEqual(fixed.containers, [
    { name: 'app', usage: { cpu: '250m', memory: '64Mi' } },
    { name: 'side', usage: { cpu: '5m', memory: '16Mi' } },
  ]);
  const web = (items[1]!.containers as { name: string; usage: { cpu: string; memory: string } }[]);
  assert.equal(web.length, 1);
  const cores = toCores(web[0]!.usage.cpu), bytes = toBytes(web[0]!.usage.memory);
  assert.ok(cores >= 0.2 * 0.2 * 0.8 * 0.97 && cores <= 0.4, `cpu ${web[0]!.usage.cpu}`);
  assert.ok(bytes >= 64 * 1024 ** 2 * 0.4 * 0.94 && bytes <= 64 * 1024 ** 2 * 0.8 * 1.06, `memory ${web[0]!.usage.memory}`);
  assert.equal(bytes % 4096, 0, 'whole pages');

  const one = await get(`${M}/namespaces/default/pods/fixed`);
  assert.equal(one.body.kind, 'PodMetrics');
  assert.equal(one.body.apiVersion, 'metrics.k8s.io/v1beta1');
  assert.deepEqual(one.body.containers, fixed.containers);

  // Every namespace, sorted by namespace then name.
  const all = await get(`${M}/pods`);
  assert.deepEqual(all.body.items.map((i: KubeObject) => `${i.metadata.namespace}/${i.metadata.name}`), ['default/fixed', 'default/web', 'team/other']);
});

test('PodMetrics: selectors, and 404s for pods that are not Running or have no metrics', async () => {
  const names = async (q: string) => (await get(`${M}/${q}`)).body.items.map((i: KubeObject) => i.metadata.name);
  assert.deepEqual(await names('namespaces/default/pods?labelSelector=app%3Dweb'), ['web']);
  assert.deepEqual(await names('namespaces/default/pods?labelSelector=app%20in%20(web,fixed)'), ['fixed', 'web']);
  assert.deepEqual(await names('namespaces/default/pods?fieldSelector=metadata.name%3Dfixed'), ['fixed']);
  assert.deepEqual(await names('pods?fieldSelector=metadata.namespace%3Dteam'), ['other']);
  assert.deepEqual(await names('pods?fieldSelector=metadata.namespace!%3Ddefault'), ['other']);
  assert.deepEqual(await names('namespaces/nowhere/pods'), []);

  const bad = await get(`${M}/namespaces/default/pods?fieldSelector=spec.nodeName%3Dx`);
  assert.equal(bad.status, 400);
  assert.equal(bad.body.message, '"spec.nodeName" is not a known field selector: only "metadata.name", "metadata.namespace"');

  for (const name of ['waiting', 'ghost']) {
    const r = await get(`${M}/namespaces/default/pods/${name}`);
    assert.equal(r.status, 404);
    assert.equal(r.body.message, `pods "${name}" not found`);
    assert.deepEqual(r.body.details, { name, kind: 'pods' });
  }
});

test('Tables: metrics-server\'s columns (Name, each usage sorted, Window); a pod shows its containers summed', async () => {
  const table = await get(`${M}/namespaces/default/pods`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io,application/json' });
  assert.equal(table.body.kind, 'Table');
  assert.equal(table.body.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual(table.body.columnDefinitions, [
    { name: 'Name', type: 'string', format: 'name', description: 'Name of the resource', priority: 0 },
    { name: 'cpu', type: 'string', format: 'quantity', description: '', priority: 0 },
    { name: 'memory', type: 'string', format: 'quantity', description: '', priority: 0 },
    { name: 'Window', type: 'string', format: 'duration', description: '', priority: 0 },
  ]);
  assert.deepEqual(table.body.rows[0].cells, ['fixed', '255m', '80Mi', '15s']);
  assert.equal(table.body.rows[0].object.kind, 'PartialObjectMetadata');
  assert.equal(table.body.rows[0].object.apiVersion, 'meta.k8s.io/v1');
  assert.deepEqual([table.body.rows[0].object.metadata.name, table.body.rows[0].object.metadata.namespace], ['fixed', 'default']);
  const empty = await get(`${M}/namespaces/nowhere/pods`, { Accept: 'application/json;as=Table;v=v1;g=meta.k8s.io' });
  assert.deepEqual([empty.body.columnDefinitions, empty.body.rows], [[], []]);
});

test('writes and watches are not allowed (405)', async () => {
  const post = await api.request('POST', `${M}/namespaces/default/pods`, { body: '{}', headers: { 'Content-Type': 'application/json' } });
  assert.equal(post.status, 405);
  assert.equal((await get(`${M}/nodes?watch=true`)).status, 405);
  const del = await api.request('DELETE', `${M}/nodes/kubevisor-node-0`);
  assert.equal(del.status, 405);
});

test('RBAC: metrics-server\'s aggregated reader role gives namespace viewers pod metrics there, nothing more', async () => {
  const role = (await get('/apis/rbac.authorization.k8s.io/v1/clusterroles/system:aggregated-metrics-reader')).body;
  assert.deepEqual(role.rules, [{ verbs: ['get', 'list', 'watch'], apiGroups: ['metrics.k8s.io'], resources: ['pods', 'nodes'] }]);
  assert.equal(role.metadata.labels['rbac.authorization.k8s.io/aggregate-to-view'], 'true');
  const view = (await get('/apis/rbac.authorization.k8s.io/v1/clusterroles/view')).body;
  assert.ok((view.rules as { apiGroups?: string[] }[]).some((r) => r.apiGroups?.includes('metrics.k8s.io')), 'view aggregates it');

  await create('/apis/rbac.authorization.k8s.io/v1/namespaces/default/rolebindings', {
    metadata: { name: 'jane-view' }, roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'view' },
    subjects: [{ kind: 'User', name: 'jane', apiGroup: 'rbac.authorization.k8s.io' }],
  });
  const jane = { ...json, 'Impersonate-User': 'jane' };
  await eventually(async () => (await get(`${M}/namespaces/default/pods`, jane)).status === 200, 5000, 'jane may read pod metrics');
  const podsAll = await get(`${M}/pods`, jane);
  assert.equal(podsAll.status, 403);
  assert.equal(podsAll.body.message, 'pods.metrics.k8s.io is forbidden: User "jane" cannot list resource "pods" in API group "metrics.k8s.io" at the cluster scope');
  const nodes = await get(`${M}/nodes/kubevisor-node-0`, jane);
  assert.equal(nodes.status, 403);
  assert.equal(nodes.body.message, 'nodes.metrics.k8s.io "kubevisor-node-0" is forbidden: User "jane" cannot get resource "nodes" in API group "metrics.k8s.io" at the cluster scope');
});

test('kubectl top node, top pod (-A, --containers, -l, --sort-by, --sum), api-resources', { skip: !(await hasKubectl()) && 'kubectl is not installed' }, async () => {
  const k = async (...args: string[]) => {
    const r = await kubectl(server.env, args);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.out}`);
    return r.stdout;
  };
  const nodes = await k('top', 'node');
  assert.match(nodes, /^NAME\s+CPU\(cores\)\s+CPU(\(%\)|%)\s+MEMORY\(bytes\)\s+MEMORY(\(%\)|%)\s*$/m);
  assert.match(nodes, /^kubevisor-node-0\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);
  assert.match(nodes, /^kubevisor-node-1\s+\d+m\s+\d+%\s+\d+Mi\s+\d+%\s*$/m);
  assert.match(nodes, /^bare\s+<unknown>\s+<unknown>\s+<unknown>\s+<unknown>\s*$/m);

  const pods = await k('top', 'pod');
  assert.match(pods, /^NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
  assert.match(pods, /^fixed\s+255m\s+80Mi\s*$/m);
  assert.match(pods, /^web\s+\d+m\s+\d+Mi\s*$/m);
  assert.doesNotMatch(pods, /waiting/);

  const all = await k('top', 'pod', '-A');
  assert.match(all, /^NAMESPACE\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
  assert.match(all, /^team\s+other\s+\d+m\s+\d+Mi\s*$/m);

  const containers = await k('top', 'pod', 'fixed', '--containers');
  assert.match(containers, /^POD\s+NAME\s+CPU\(cores\)\s+MEMORY\(bytes\)\s*$/m);
  assert.match(containers, /^fixed\s+app\s+250m\s+64Mi\s*$/m);
  assert.match(containers, /^fixed\s+side\s+5m\s+16Mi\s*$/m);

  assert.doesNotMatch(await k('top', 'pod', '-l', 'app=web'), /fixed/);
  // fixed uses 80Mi; web at most 80 % of its 64Mi request (give or take 5 %).
  const sorted = (await k('top', 'pod', '--sort-by=memory', '--no-headers')).trim().split('\n').map((l) => l.split(/\s+/)[0]);
  assert.deepEqual(sorted, ['fixed', 'web']);
  assert.match(await k('top', 'pod', '--sum'), /^\s+_+\s+_+\s*$/m);

  const resources = await k('api-resources', '--api-group=metrics.k8s.io');
  assert.match(resources, /^nodes\s+metrics\.k8s\.io\/v1beta1\s+false\s+NodeMetrics\s*$/m);
  assert.match(resources, /^pods\s+metrics\.k8s\.io\/v1beta1\s+true\s+PodMetrics\s*$/m);

  const pending = await kubectl(server.env, ['top', 'pod', 'waiting']);
  assert.notEqual(pending.code, 0);
  assert.match(pending.out, /Error from server \(NotFound\): pods "waiting" not found/);
});

test('without a source (nothing reports usage) the API is unavailable: 503 as the aggregator answers; kubectl says so', async () => {
  stopMetrics?.();
  try {
    const r = await get(`${M}/nodes`);
    assert.equal(r.status, 503);
    assert.equal(r.headers['content-type'], 'text/plain; charset=utf-8');
    assert.equal(r.text, 'service unavailable\n');
    assert.equal((await get(`${M}/namespaces/default/pods/fixed`)).status, 503);
    if (await hasKubectl()) {
      const top = await kubectl(server.env, ['top', 'node']);
      assert.notEqual(top.code, 0);
      assert.match(top.out, /Error from server \(ServiceUnavailable\): the server is currently unable to handle the request \(get nodes\.metrics\.k8s\.io\)/);
    }
  } finally {
    restartMetrics();
  }
  assert.equal((await get(`${M}/nodes`)).status, 200);
});
