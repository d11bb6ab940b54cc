// Ephemeral containers of synced pods, on a real host: two kubevisor servers in
// this process (a host with simulated nodes, a tenant whose clusters sync to
// it). Containers are added to virtual pods as pods/ephemeralcontainers adds
// them (the store's update of that subresource); the host's simulated kubelet
// runs them; exec, attach and logs go through the syncer with the real kubectl.
// Cluster c syncs with host credentials whose RBAC lacks
// pods/ephemeralcontainers, so the host refuses its ephemeral containers.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import type { KubeObject } from '../api/types.ts';
import type { ContainerStatus, PodStatus } from '../nodes/api.ts';
import type { VirtualCluster } from '../server/cluster.ts';
import { eventually } from '../../test/support/cluster.ts';
import { Client } from '../../test/support/client.ts';
import { hasKubectl, kubectl } from '../../test/support/in-process-server.ts';
import { startTwoServers, type TwoServers } from '../../test/support/two-servers.ts';
import { ephemeralContainersPatch, missingEphemeralContainers } from './ephemeral-containers.ts';
import { HostConnection, type HostResource } from './host/connection.ts';
import { hostName } from './translate/names.ts';

const HOST_NS = 'tenants';
const PODS: HostResource = { apiVersion: 'v1', plural: 'pods' };
const CONFIGMAPS: HostResource = { apiVersion: 'v1', plural: 'configmaps' };
const SECRETS: HostResource = { apiVersion: 'v1', plural: 'secrets' };
const EVENTS: HostResource = { apiVersion: 'v1', plural: 'events' };
const CLUSTERROLES: HostResource = { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'clusterroles' };
const CLUSTERROLEBINDINGS: HostResource = { apiVersion: 'rbac.authorization.k8s.io/v1', plural: 'clusterrolebindings' };
const SERVICEACCOUNTS: HostResource = { apiVersion: 'v1', plural: 'serviceaccounts' };

const noKubectl = !(await hasKubectl()) && 'kubectl is not installed';

let t: TwoServers;
/** The host, as its administrator. */
let host: HostConnection;
/** Clusters a (full host rights) and c (no pods/ephemeralcontainers on the host), through their APIs. */
let a: HostConnection;
let c: HostConnection;
let vcA: VirtualCluster;
let vcC: VirtualCluster;
let limitedRules: Record<string, unknown>[];

type Spec = { ephemeralContainers?: Record<string, unknown>[]; containers: Record<string, unknown>[] };

before(async () => {
  t = await startTwoServers();
  await t.host.server.ensureCluster('host', { nodes: 2 });
  const hostKubeconfig = await t.host.kubeconfig('host');
  host = await HostConnection.connect({ file: hostKubeconfig });
  vcA = await t.tenant.server.ensureCluster('a', { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS } });

  // Host credentials whose role grants everything but pods/ephemeralcontainers, as a host
  // Role written before the syncer needed it would.
  const raw = new Client(hostKubeconfig);
  try {
    const core = (raw.request('GET', '/api/v1').then((r) => r.json() as { resources: { name: string }[] }));
    const groups = (raw.request('GET', '/apis').then((r) => r.json() as { groups: { name: string }[] }));
    limitedRules = [
      { apiGroups: [''], resources: (await core).resources.map((r) => r.name).filter((n) => n !== 'pods/ephemeralcontainers'), verbs: ['*'] },
      { apiGroups: (await groups).groups.map((g) => g.name), resources: ['*'], verbs: ['*'] },
      { nonResourceURLs: ['*'], verbs: ['*'] },
    ];
  } finally {
    raw.close();
  }
  await host.create(SERVICEACCOUNTS, 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'limited-syncer' } });
  await host.create(CLUSTERROLES, '', { apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'limited-syncer' }, rules: limitedRules } as KubeObject);
  await host.create(CLUSTERROLEBINDINGS, '', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: { name: 'limited-syncer' },
    roleRef: { apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'limited-syncer' },
    subjects: [{ kind: 'ServiceAccount', name: 'limited-syncer', namespace: 'default' }],
  } as KubeObject);
  const tokenRequest = await host.create({ apiVersion: 'v1', plural: 'serviceaccounts/limited-syncer/token' }, 'default',
    { apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', metadata: {}, spec: { expirationSeconds: 7200 } } as KubeObject);
  const kc = parse(readFileSync(hostKubeconfig, 'utf8')) as { users: { user: Record<string, unknown> }[] };
  for (const u of kc.users) u.user = { token: (tokenRequest as unknown as { status: { token: string } }).status.token };
  const limitedKubeconfig = join(t.dir, 'limited-host.kubeconfig');
  writeFileSync(limitedKubeconfig, stringify(kc));
  vcC = await t.tenant.server.ensureCluster('c', { host: { kubeconfigFile: limitedKubeconfig, namespace: HOST_NS } });

  a = await HostConnection.connect({ file: await t.tenant.kubeconfig('a') });
  c = await HostConnection.connect({ file: await t.tenant.kubeconfig('c') });
});

after(async () => {
  host?.close();
  a?.close();
  c?.close();
  await t?.close();
});

/** A pod of one long-running container in the cluster's `default` namespace, Running (through its host pod). */
async function runningPod(conn: HostConnection, vc: VirtualCluster, name: string): Promise<void> {
  // The syncer connects in the background: the first pods may wait for it.
  await conn.create(PODS, 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name },
    spec: { containers: [{ name: 'app', image: 'busybox' }], volumes: [{ name: 'scratch', emptyDir: {} }] },
  });
  await eventually(() => virtualStatus(vc, name)?.phase === 'Running', 30_000, `${name} running`);
}

function podsDef(vc: VirtualCluster) {
  return vc.registry.find('', 'v1', 'pods')!;
}

function virtualPod(vc: VirtualCluster, name: string): KubeObject | undefined {
  return vc.store.peek(podsDef(vc), 'default', name);
}

function virtualStatus(vc: VirtualCluster, name: string): PodStatus | undefined {
  return virtualPod(vc, name)?.status as PodStatus | undefined;
}

function ephemeralStatus(st: PodStatus | undefined, name: string): ContainerStatus | undefined {
  return st?.ephemeralContainerStatuses?.find((s) => s.name === name);
}

/** What pods/ephemeralcontainers does (kubectl debug): add one container to spec.ephemeralContainers. */
async function addEphemeral(vc: VirtualCluster, pod: string, container: Record<string, unknown>): Promise<void> {
  await vc.store.guaranteedUpdate(podsDef(vc), 'default', pod, (cur) => {
    const obj = cur as KubeObject;
    const spec = obj.spec as Spec;
    spec.ephemeralContainers = [...(spec.ephemeralContainers ?? []), { terminationMessagePolicy: 'File', ...container }];
    return obj;
  }, { subresource: 'ephemeralcontainers' });
}

async function hostPod(vcluster: string, name: string): Promise<KubeObject | undefined> {
  try {
    return await host.get(PODS, HOST_NS, hostName(name, 'default', vcluster));
  } catch {
    return undefined;
  }
}

type Ev = KubeObject & { reason: string; message: string; count?: number; involvedObject: { fieldPath?: string } };

async function syncErrors(conn: HostConnection, pod: string): Promise<Ev[]> {
  const list = await conn.list(EVENTS, 'default', { fieldSelector: `involvedObject.name=${pod}` });
  return (list.items as Ev[]).filter((e) => e.reason === 'SyncError');
}

/** kubectl against the tenant's cluster, with `input` on stdin. */
async function kubectlIn(cluster: string, args: string[], input = ''): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = await t.tenant.env(cluster);
  return await new Promise((resolve) => {
    const child = spawn('kubectl', args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('close', (code) => { clearTimeout(timer); resolve({ code: code ?? 128, stdout, stderr }); });
    child.stdin.end(input);
  });
}

test('missing ephemeral containers, in the virtual order; the patch adds them after the host\'s, as kubectl debug words it', () => {
  const v = { metadata: { name: 'p' }, spec: { ephemeralContainers: [{ name: 'one' }, { name: 'two' }, { name: 'three' }] } } as KubeObject;
  const h = { metadata: { name: 'p-x-default-x-a' }, spec: { ephemeralContainers: [{ name: 'two', image: 'busybox' }] } } as KubeObject;
  assert.deepEqual(missingEphemeralContainers(v, h), ['one', 'three']);
  assert.deepEqual(missingEphemeralContainers({ metadata: {}, spec: {} } as KubeObject, h), []);
  assert.deepEqual(ephemeralContainersPatch(h, [{ name: 'one', image: 'busybox' }]), {
    spec: {
      '$setElementOrder/ephemeralContainers': [{ name: 'two' }, { name: 'one' }],
      ephemeralContainers: [{ name: 'one', image: 'busybox' }],
    },
  });
});

test('an ephemeral container added to a synced pod reaches its host pod translated, runs there, and its status comes back', async () => {
  await a.create(CONFIGMAPS, 'default', { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'debug-config' }, data: { mode: 'verbose' } } as KubeObject);
  await a.create(SECRETS, 'default', { apiVersion: 'v1', kind: 'Secret', metadata: { name: 'debug-secret' }, stringData: { token: 's3cret' } } as KubeObject);
  await runningPod(a, vcA, 'target');
  const hName = hostName('target', 'default', 'a');
  const before = await hostPod('a', 'target');
  assert.equal((before!.spec as Spec).ephemeralContainers, undefined);

  await addEphemeral(vcA, 'target', {
    name: 'dbg', image: 'busybox', targetContainerName: 'app', stdin: true,
    env: [
      { name: 'MODE', valueFrom: { configMapKeyRef: { name: 'debug-config', key: 'mode' } } },
      { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } },
    ],
    envFrom: [{ prefix: 'S_', secretRef: { name: 'debug-secret' } }],
    volumeMounts: [{ name: 'scratch', mountPath: '/scratch' }],
  });

  // On the host: the container, its references renamed, and what they name copied there first.
  let hp: KubeObject | undefined;
  await eventually(async () => ((hp = await hostPod('a', 'target'))?.spec as Spec | undefined)?.ephemeralContainers?.length === 1, 10_000, 'dbg on the host pod');
  const ec = (hp!.spec as Spec).ephemeralContainers![0] as Record<string, unknown> & { env: { name: string; value?: string; valueFrom?: { configMapKeyRef?: { name: string } } }[]; envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[] };
  assert.equal(ec.name, 'dbg');
  assert.equal(ec.targetContainerName, 'app');
  assert.equal(ec.env.find((e) => e.name === 'MODE')?.valueFrom?.configMapKeyRef?.name, hostName('debug-config', 'default', 'a'));
  assert.deepEqual(ec.env.find((e) => e.name === 'POD_NAME'), { name: 'POD_NAME', value: 'target' });
  assert.deepEqual(ec.envFrom.map((e) => e.configMapRef?.name ?? e.secretRef?.name), [
    'kubernetes-x-a.env', 'service-links-x-default-x-a.env', hostName('debug-secret', 'default', 'a'),
  ]);
  assert.deepEqual(ec.volumeMounts, [{ name: 'scratch', mountPath: '/scratch' }]);
  assert.equal((await host.get(CONFIGMAPS, HOST_NS, hostName('debug-config', 'default', 'a'))).metadata.name, hostName('debug-config', 'default', 'a'));
  await host.get(SECRETS, HOST_NS, hostName('debug-secret', 'default', 'a'));

  // The host's kubelet runs it, and its status comes back to the virtual pod, under its own name.
  await eventually(async () => ephemeralStatus((await hostPod('a', 'target'))?.status as PodStatus, 'dbg')?.state?.running !== undefined, 10_000, 'dbg running on the host');
  await eventually(() => ephemeralStatus(virtualStatus(vcA, 'target'), 'dbg')?.state?.running !== undefined, 10_000, 'dbg running in the virtual pod');
  const vst = virtualStatus(vcA, 'target')!;
  assert.equal(vst.phase, 'Running');
  assert.match(ephemeralStatus(vst, 'dbg')!.image, /busybox/);
  // Once the host has seen the spec that holds it, the virtual generation is vouched for.
  await eventually(() => virtualStatus(vcA, 'target')?.observedGeneration === virtualPod(vcA, 'target')?.metadata.generation, 10_000, 'observedGeneration');
  assert.deepEqual(await syncErrors(a, 'target'), []);
  assert.equal((await host.get(PODS, HOST_NS, hName)).metadata.name, hName);
});

test('exec, attach and logs reach the ephemeral container through the syncer', { skip: noKubectl }, async () => {
  const hName = hostName('target', 'default', 'a');
  const log = join(t.dir, 'dbg.log');
  writeFileSync(log, 'debugging\n');
  // What the simulated host pod runs is the host's business.
  await host.patch(PODS, HOST_NS, hName, 'merge', { metadata: { annotations: {
    'kubevisor.dev/exec-command': '/bin/sh', 'kubevisor.dev/logs-file.dbg': log,
  } } });
  await eventually(async () => (await kubectlIn('a', ['logs', 'target', '-c', 'dbg'])).stdout === 'debugging\n', 10_000, 'the log of dbg');
  // The container's environment is the translated one: renamed sources on the host, kubelet's variables, literal pod fields.
  const exec = await kubectlIn('a', ['exec', 'target', '-c', 'dbg', '--', 'sh', '-c', 'echo "$MODE $S_token $POD_NAME ${KUBERNETES_SERVICE_HOST:+kube}"']);
  assert.equal(exec.code, 0, exec.stderr);
  assert.equal(exec.stdout, 'verbose s3cret target kube\n');
  const attach = await kubectlIn('a', ['attach', '-i', 'target', '-c', 'dbg'], 'echo attached to $0\nexit 0\n');
  assert.equal(attach.code, 0, attach.stderr);
  assert.equal(attach.stdout, 'attached to /bin/sh\n');
});

test('a host pod made again (pause and resume) for a pod with ephemeral containers gets them right after its create', async () => {
  const first = await hostPod('a', 'target');
  await t.tenant.server.ensureCluster('a', { paused: true }).catch((e: { code?: number }) => { if (e.code !== 503) throw e; });
  await eventually(async () => (await hostPod('a', 'target')) === undefined, 30_000, 'the host pod gone on pause');
  vcA = await t.tenant.server.ensureCluster('a', { paused: false });
  let again: KubeObject | undefined;
  await eventually(async () => {
    again = await hostPod('a', 'target');
    return again !== undefined && again.metadata.uid !== first!.metadata.uid && ephemeralStatus(again.status as PodStatus, 'dbg')?.state?.running !== undefined;
  }, 30_000, 'a new host pod with dbg running');
  assert.deepEqual((again!.spec as Spec).ephemeralContainers!.map((x) => x.name), ['dbg']);
  // Its create carried none (a host refuses them there): they came through the subresource.
  const entry = again!.metadata.managedFields?.find((m) => (m as { subresource?: string }).subresource === 'ephemeralcontainers');
  assert.ok(entry, JSON.stringify(again!.metadata.managedFields));
  assert.deepEqual(await syncErrors(a, 'target'), []);
});

test('a host refusal is a SyncError event and a waiting status, asked again only after a backoff, and taken once allowed', async () => {
  await runningPod(c, vcC, 'guarded');

  await addEphemeral(vcC, 'guarded', { name: 'dbg', image: 'busybox', targetContainerName: 'app' });
  let events: Ev[] = [];
  await eventually(async () => (events = await syncErrors(c, 'guarded')).length > 0, 10_000, 'a SyncError event');
  const refusedAt = Date.now();
  assert.equal(events.length, 1);
  assert.equal(events[0]!.involvedObject.fieldPath, 'spec.ephemeralContainers{dbg}');
  assert.match(events[0]!.message, /^the host cluster refused ephemeral container "dbg": .*forbidden/);
  assert.match(events[0]!.message, /pods\/ephemeralcontainers/);
  // kubectl debug -i shows a waiting container's message while it waits.
  await eventually(() => ephemeralStatus(virtualStatus(vcC, 'guarded'), 'dbg')?.state?.waiting?.reason === 'SyncError', 10_000, 'a waiting status');
  assert.equal(ephemeralStatus(virtualStatus(vcC, 'guarded'), 'dbg')!.state!.waiting!.message, events[0]!.message);
  assert.equal(virtualStatus(vcC, 'guarded')!.phase, 'Running', 'the pod runs on');

  // Other changes of the pod still reach the host; the refused container is not asked for on each of its syncs.
  for (const n of ['1', '2', '3']) {
    await vcC.store.guaranteedUpdate(podsDef(vcC), 'default', 'guarded', (cur) => {
      const o = cur as KubeObject;
      o.metadata.labels = { ...o.metadata.labels, round: n };
      return o;
    });
    await eventually(async () => (await hostPod('c', 'guarded'))?.metadata.labels?.round === n, 10_000, `label round=${n} on the host`);
  }
  // A container added meanwhile is asked for at once (and refused too); the first is still waiting out its backoff.
  await addEphemeral(vcC, 'guarded', { name: 'dbg2', image: 'busybox' });
  await eventually(async () => (await syncErrors(c, 'guarded')).some((e) => e.involvedObject.fieldPath === 'spec.ephemeralContainers{dbg2}'), 10_000, 'dbg2 refused');
  // Each request the host refuses is one more event (or one more count of it). The first retry comes
  // 5 to 10 s after the refusal (the backoff's jitter), the next 10 to 20 s after that.
  const asked = (await syncErrors(c, 'guarded')).filter((e) => e.involvedObject.fieldPath === 'spec.ephemeralContainers{dbg}')
    .reduce((n, e) => n + (e.count ?? 1), 0);
  const elapsed = Date.now() - refusedAt;
  assert.ok(elapsed < 4500 ? asked === 1 : asked <= 2, `dbg was asked for ${asked} times in ${elapsed} ms`);
  assert.equal(((await hostPod('c', 'guarded'))!.spec as Spec).ephemeralContainers, undefined);

  // Allowed on the host now: the next retry (at most 10 s after each refusal) adds both, and they run.
  await host.update(CLUSTERROLES, '', {
    apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: { name: 'limited-syncer' },
    rules: [...limitedRules, { apiGroups: [''], resources: ['pods/ephemeralcontainers'], verbs: ['patch'] }],
  } as KubeObject);
  await eventually(() => {
    const st = virtualStatus(vcC, 'guarded');
    return ['dbg', 'dbg2'].every((n) => ephemeralStatus(st, n)?.state?.running !== undefined);
  }, 30_000, 'dbg and dbg2 running in the virtual pod');
  assert.deepEqual(((await hostPod('c', 'guarded'))!.spec as Spec).ephemeralContainers!.map((x) => x.name).sort(), ['dbg', 'dbg2']); // retried one at a time: either may land first
});
