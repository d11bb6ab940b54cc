// reconcileGuardrails against a real kubevisor host in this process, one that
// runs ResourceQuota and LimitRanger admission (and the quota controller) as
// a real host does.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../api/types.ts';
import { standaloneKubeconfig } from '../cli/kubeconfig.ts';
import { startKubevisorServer, type KubevisorServer } from '../cli/server-runtime.ts';
import { controllerContext } from '../controllers/context.ts';
import { startPolicy } from '../controllers/policy/index.ts';
import { ensurePki } from '../server/pki/pki.ts';
import { HostConnection } from './host/connection.ts';
import { HostError } from './host/errors.ts';
import {
  GUARDRAIL_RESOURCES, reconcileGuardrails, removeGuardrails, type GuardrailSpec, type ServerReach,
} from './guardrails.ts';

const NP = GUARDRAIL_RESOURCES.NetworkPolicy;
const QUOTA = GUARDRAIL_RESOURCES.ResourceQuota;
const LIMITS = GUARDRAIL_RESOURCES.LimitRange;
const PODS = { apiVersion: 'v1', plural: 'pods' } as const;
const NS = 'tenants';
const server: ServerReach = { ipBlocks: ['10.96.0.10'], apiPort: 6443, dnsPort: 5353 };

let dir: string;
let kubevisor: KubevisorServer;
let conn: HostConnection;

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-guardrails-'));
  const dataDir = join(dir, 'data');
  const pki = await ensurePki(dataDir);
  kubevisor = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir, storage: { backend: 'sqlite' }, pki,
    controllers: (vc) => startPolicy(controllerContext(vc)),
  });
  await kubevisor.ensureCluster('host');
  const creds = await kubevisor.manager.credentials('host');
  conn = await HostConnection.connect({
    text: standaloneKubeconfig({ name: 'host', server: `${kubevisor.url}/clusters/host`, caCert: pki.caCert, clientCert: creds.certChainPem, clientKey: creds.keyPem }),
  });
});
after(async () => {
  conn?.close();
  await kubevisor?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function guard(o: { quota?: Record<string, string>; limitRange?: GuardrailSpec['limitRange']; enforce?: 'privileged' | 'baseline' | 'restricted'; networkPolicy?: boolean } = {}): GuardrailSpec {
  return {
    quota: o.quota, limitRange: o.limitRange,
    podSecurity: { enforce: o.enforce ?? 'baseline', audit: undefined, warn: o.enforce === undefined ? 'restricted' : undefined },
    isolation: { networkPolicy: o.networkPolicy ?? true, nodeSelector: undefined, tolerations: undefined, runtimeClassName: undefined },
  };
}

const policiesOf = (vc: string) => ['deny-all', 'same-cluster', 'server', 'internet'].map((r) => `NetworkPolicy/kubevisor-${vc}-${r}`);

async function names(resource: typeof NP | typeof QUOTA | typeof LIMITS, ns: string): Promise<string[]> {
  return (await conn.list(resource, ns)).items.map((o) => o.metadata.name as string).sort();
}

async function namespaceLabels(ns: string): Promise<Record<string, string>> {
  // Namespaces are cluster-scoped (no conn.get path); ensureNamespace with no labels just reads one.
  return (await conn.ensureNamespace(ns)).metadata.labels ?? {};
}

const specA = guard({ quota: { pods: '20', 'requests.cpu': '4' }, limitRange: [{ type: 'Container', max: { cpu: '2' }, min: { cpu: '50m' } }] });

test('the first run creates the namespace with Pod Security labels and every guardrail; the next changes nothing', async () => {
  const first = await reconcileGuardrails(conn, 'a', NS, specA, server);
  assert.deepEqual(first.created.sort(), ['LimitRange/kubevisor-a-limits', ...policiesOf('a'), 'ResourceQuota/kubevisor-a-quota'].sort());
  assert.deepEqual([first.updated, first.deleted, first.warnings], [[], [], []]);

  const labels = await namespaceLabels(NS);
  assert.equal(labels['pod-security.kubernetes.io/enforce'], 'baseline');
  assert.equal(labels['pod-security.kubernetes.io/enforce-version'], 'latest');
  assert.equal(labels['pod-security.kubernetes.io/warn'], 'restricted');
  assert.equal(labels['pod-security.kubernetes.io/audit'], undefined);

  const quota = await conn.get(QUOTA, NS, 'kubevisor-a-quota');
  assert.deepEqual((quota.spec as { hard: unknown }).hard, { pods: '20', 'requests.cpu': '4' });
  assert.equal(quota.metadata.labels?.['kubevisor.dev/vcluster'], 'a');
  // The host stores the LimitRange with the defaults the builder already spelled out.
  const limits = await conn.get(LIMITS, NS, 'kubevisor-a-limits');
  assert.deepEqual((limits.spec as { limits: unknown[] }).limits, [{ type: 'Container', max: { cpu: '2' }, min: { cpu: '50m' }, default: { cpu: '2' }, defaultRequest: { cpu: '2' } }]);
  const deny = await conn.get(NP, NS, 'kubevisor-a-deny-all');
  assert.deepEqual(deny.spec, { podSelector: { matchLabels: { 'kubevisor.dev/vcluster': 'a' } }, policyTypes: ['Ingress', 'Egress'] });

  const again = await reconcileGuardrails(conn, 'a', NS, specA, server);
  assert.deepEqual(again, { created: [], updated: [], deleted: [], warnings: [] });
});

test('a NetworkPolicy deleted, a quota raised and a label removed on the host are put back by the next run', async () => {
  await conn.delete(NP, NS, 'kubevisor-a-internet');
  const quota = await conn.get(QUOTA, NS, 'kubevisor-a-quota');
  await conn.update(QUOTA, NS, { ...quota, spec: { hard: { pods: '1000', 'requests.cpu': '4' } } });
  const same = await conn.get(NP, NS, 'kubevisor-a-same-cluster');
  // Without its labels the object no longer lists as a guardrail: it must still be found and fixed.
  await conn.update(NP, NS, { ...same, metadata: { ...same.metadata, labels: { team: 'x' } }, spec: { podSelector: {}, policyTypes: ['Ingress'], ingress: [{}] } });
  await conn.ensureNamespace(NS, { 'pod-security.kubernetes.io/enforce': 'privileged' });

  const run = await reconcileGuardrails(conn, 'a', NS, specA, server);
  assert.deepEqual(run.created, ['NetworkPolicy/kubevisor-a-internet']);
  assert.deepEqual(run.updated.sort(), ['NetworkPolicy/kubevisor-a-same-cluster', 'ResourceQuota/kubevisor-a-quota']);
  assert.deepEqual(((await conn.get(QUOTA, NS, 'kubevisor-a-quota')).spec as { hard: unknown }).hard, { pods: '20', 'requests.cpu': '4' });
  const fixed = await conn.get(NP, NS, 'kubevisor-a-same-cluster');
  assert.equal(fixed.metadata.labels?.['kubevisor.dev/vcluster'], 'a');
  assert.equal(fixed.metadata.labels?.team, 'x', 'labels others add are kept');
  assert.deepEqual((fixed.spec as { ingress: unknown }).ingress, [{ from: [{ podSelector: { matchLabels: { 'kubevisor.dev/vcluster': 'a' } } }] }]);
  assert.equal((await namespaceLabels(NS))['pod-security.kubernetes.io/enforce'], 'baseline');
});

test('a second virtual cluster in the namespace gets its own policies, leaves the first\'s alone, and the strictest Pod Security level holds', async () => {
  const before = new Map((await conn.list(NP, NS)).items.map((o) => [o.metadata.name, o.metadata.resourceVersion]));
  const run = await reconcileGuardrails(conn, 'b', NS, guard({ enforce: 'restricted' }), server);
  assert.deepEqual(run.created.sort(), policiesOf('b').sort());
  assert.equal(run.warnings.length, 1);
  assert.match(run.warnings[0], /shared with virtual cluster\(s\) a: its ResourceQuotas and LimitRanges hold for all their pods together/);
  for (const [name, rv] of before) assert.equal((await conn.get(NP, NS, name as string)).metadata.resourceVersion, rv, `${name} untouched`);
  const b = await conn.get(NP, NS, 'kubevisor-b-same-cluster');
  assert.deepEqual((b.spec as { egress: unknown }).egress, [{ to: [{ podSelector: { matchLabels: { 'kubevisor.dev/vcluster': 'b' } } }] }]);
  assert.equal((await namespaceLabels(NS))['pod-security.kubernetes.io/enforce'], 'restricted');

  // a asks for baseline but knows b wants restricted: no tug of war over the label.
  const a = await reconcileGuardrails(conn, 'a', NS, specA, server);
  assert.deepEqual([a.created, a.updated, a.deleted], [[], [], []]);
  assert.equal((await namespaceLabels(NS))['pod-security.kubernetes.io/enforce'], 'restricted');
});

test('a changed spec updates and removes only that virtual cluster\'s objects', async () => {
  const run = await reconcileGuardrails(conn, 'a', NS, guard({ quota: { pods: '30' }, networkPolicy: false }), server);
  assert.deepEqual(run.updated, ['ResourceQuota/kubevisor-a-quota']);
  assert.deepEqual(run.deleted.sort(), ['LimitRange/kubevisor-a-limits', ...policiesOf('a')].sort());
  assert.deepEqual(await names(NP, NS), policiesOf('b').map((r) => r.split('/')[1]).sort());
  assert.deepEqual(await names(LIMITS, NS), []);
  assert.deepEqual(((await conn.get(QUOTA, NS, 'kubevisor-a-quota')).spec as { hard: unknown }).hard, { pods: '30' });

  // b's relaxation is respected once a (still sharing through its quota) also asks for baseline.
  await reconcileGuardrails(conn, 'b', NS, guard({ enforce: 'baseline' }), server);
  assert.equal((await namespaceLabels(NS))['pod-security.kubernetes.io/enforce'], 'baseline');

  assert.deepEqual((await removeGuardrails(conn, 'b', NS)).sort(), policiesOf('b').sort());
  assert.deepEqual(await names(NP, NS), []);
  assert.deepEqual(await names(QUOTA, NS), ['kubevisor-a-quota']);
});

test('the host refuses a pod over the guardrail quota with its own message; the LimitRange defaults host pods', async () => {
  const ns = 'quota-test';
  await reconcileGuardrails(conn, 'c', ns, guard({ quota: { pods: '1' }, limitRange: [{ type: 'Container', default: { cpu: '300m', memory: '64Mi' } }] }), server);
  // The quota admits nothing until the host's quota controller has counted the namespace.
  for (let i = 0; ; i++) {
    const q = await conn.get(QUOTA, ns, 'kubevisor-c-quota');
    if ((q.status as { hard?: { pods?: string } } | undefined)?.hard?.pods === '1') break;
    if (i > 100) assert.fail('the quota never got a status');
    await new Promise((r) => setTimeout(r, 50));
  }
  const pod = (name: string): KubeObject => ({
    apiVersion: 'v1', kind: 'Pod', metadata: { name, labels: { 'kubevisor.dev/vcluster': 'c' } },
    spec: { containers: [{ name: 'app', image: 'nginx' }] },
  });
  const first = await conn.create(PODS, ns, pod('web-1'));
  const resources = (first.spec as { containers: { resources?: unknown }[] }).containers[0].resources;
  assert.deepEqual(resources, { limits: { cpu: '300m', memory: '64Mi' }, requests: { cpu: '300m', memory: '64Mi' } });
  const err = await conn.create(PODS, ns, pod('web-2')).catch((e: unknown) => e);
  assert.ok(err instanceof HostError, String(err));
  assert.equal(err.code, 403);
  assert.equal(err.reason, 'Forbidden');
  assert.equal(err.message, 'pods "web-2" is forbidden: exceeded quota: kubevisor-c-quota, requested: pods=1, used: pods=1, limited: pods=1');
});

test('a spec the host rejects is a HostError naming the object', async () => {
  const bad = guard({ quota: { pods: '5' }, limitRange: [{ type: 'Container', max: { cpu: '1' }, min: { cpu: '2' } }], networkPolicy: false });
  const err = await reconcileGuardrails(conn, 'd', 'bad-spec', bad, server).catch((e: unknown) => e);
  assert.ok(err instanceof HostError, String(err));
  assert.equal(err.code, 422);
  assert.match(err.message, /^the host guardrails of virtual cluster d in namespace bad-spec: LimitRange\/kubevisor-d-limits: /);
  // The rest was still put in place.
  assert.deepEqual(await names(QUOTA, 'bad-spec'), ['kubevisor-d-quota']);
});
