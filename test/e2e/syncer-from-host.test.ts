// What a virtual cluster copies from its host (spec.host.sync.fromHost and
// .nodes), end to end: a host kubevisor with simulated nodes, a tenant
// kubevisor whose cluster syncs to it, and the real kubectl on both sides.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hasKubectl, kubectl } from '../support/in-process-server.ts';
import { eventually } from '../support/cluster.ts';
import { startTwoServers, type TwoServers } from '../support/two-servers.ts';
import type { KubeObject } from '../../src/api/types.ts';

const HOST_NS = 'fromhost';
const FROM_HOST = 'kubevisor.dev/from-host';

describe('syncer: from the host', { skip: !(await hasKubectl()) && 'kubectl is not installed' }, () => {
  let t: TwoServers;
  let hostEnv: NodeJS.ProcessEnv;
  let env: NodeJS.ProcessEnv;
  let hostKubeconfig: string;

  const k = async (e: NodeJS.ProcessEnv, ...args: string[]) => {
    const r = await kubectl(e, args, 30_000);
    assert.equal(r.code, 0, `kubectl ${args.join(' ')}: ${r.out}`);
    return r.stdout;
  };
  const json = async (e: NodeJS.ProcessEnv, ...args: string[]): Promise<KubeObject> => JSON.parse(await k(e, ...args, '-o', 'json'));
  /** The object, or undefined when kubectl says it is not there. */
  const maybe = async (e: NodeJS.ProcessEnv, ...args: string[]): Promise<KubeObject | undefined> => {
    const r = await kubectl(e, [...args, '-o', 'json'], 30_000);
    if (r.code !== 0) {
      assert.match(r.out, /NotFound|not found/, r.out);
      return undefined;
    }
    return JSON.parse(r.stdout);
  };
  const apply = async (e: NodeJS.ProcessEnv, name: string, yaml: string) => {
    const file = join(t.dir, `${name}.yaml`);
    writeFileSync(file, yaml);
    await k(e, 'apply', '-f', file);
  };
  const labels = (o: KubeObject | undefined) => o?.metadata.labels ?? {};

  before(async () => {
    t = await startTwoServers();
    await t.host.server.ensureCluster('host', { nodes: 2 });
    hostEnv = await t.host.env('host');
    hostKubeconfig = await t.host.kubeconfig('host');
    await apply(hostEnv, 'host-classes', `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: fast
  labels: { tier: gold }
  annotations: { storageclass.kubernetes.io/is-default-class: "true" }
provisioner: csi.example.com
reclaimPolicy: Retain
---
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: { name: nginx }
spec: { controller: k8s.io/ingress-nginx }
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: high }
value: 1000
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: { name: web-x-other, labels: { kubevisor.dev/vcluster: other } }
value: 5
`);
    await t.tenant.server.ensureCluster('f', {
      host: {
        kubeconfigFile: hostKubeconfig, namespace: HOST_NS,
        sync: { fromHost: { storageClasses: true, ingressClasses: true, priorityClasses: true }, nodes: 'real' },
      },
    });
    env = await t.tenant.env('f');
  });
  after(async () => { await t?.close(); });

  test('the host\'s storage, ingress and priority classes appear under their names and stay equal to the host\'s', async () => {
    await eventually(async () => labels(await maybe(env, 'get', 'storageclass', 'fast'))[FROM_HOST] === 'true', 20_000, 'the storage class');
    const sc = await json(env, 'get', 'storageclass', 'fast');
    assert.equal(sc['provisioner'], 'csi.example.com');
    assert.equal(sc['reclaimPolicy'], 'Retain');
    assert.equal(labels(sc).tier, 'gold');
    assert.match(await k(env, 'get', 'storageclass'), /fast \(default\)\s+csi\.example\.com/);
    await eventually(async () => (await maybe(env, 'get', 'ingressclass', 'nginx')) !== undefined, 10_000, 'the ingress class');
    assert.deepEqual((await json(env, 'get', 'ingressclass', 'nginx')).spec, { controller: 'k8s.io/ingress-nginx' });
    await eventually(async () => (await maybe(env, 'get', 'priorityclass', 'high')) !== undefined, 10_000, 'the priority class');
    assert.equal((await json(env, 'get', 'priorityclass', 'high'))['value'], 1000);
    // Another virtual cluster's copy on the host is not the host's own.
    assert.equal(await maybe(env, 'get', 'priorityclass', 'web-x-other'), undefined);

    // Changes on the host flow; changes in the virtual cluster are undone; host deletes remove.
    await k(hostEnv, 'label', 'storageclass', 'fast', 'tier=platinum', '--overwrite');
    await eventually(async () => labels(await maybe(env, 'get', 'storageclass', 'fast')).tier === 'platinum', 10_000, 'the host\'s label');
    await k(env, 'label', 'storageclass', 'fast', 'tier=tin', '--overwrite');
    await eventually(async () => labels(await maybe(env, 'get', 'storageclass', 'fast')).tier === 'platinum', 10_000, 'the host\'s label back');
    await k(env, 'delete', 'ingressclass', 'nginx');
    await eventually(async () => (await maybe(env, 'get', 'ingressclass', 'nginx')) !== undefined, 10_000, 'the ingress class back');
    await k(hostEnv, 'delete', 'priorityclass', 'high');
    await eventually(async () => (await maybe(env, 'get', 'priorityclass', 'high')) === undefined, 10_000, 'the priority class gone');
  });

  test('the tenant\'s own classes are left alone, a host class of the same name included', async () => {
    await apply(env, 'own-classes', `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: clash }
provisioner: tenant.example.com
---
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: mine }
provisioner: tenant.example.com
`);
    await apply(hostEnv, 'host-clash', `
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata: { name: clash }
provisioner: host.example.com
`);
    const seen = async () => (await k(env, 'get', 'events', '-n', 'default', '--field-selector', 'reason=NotSyncedFromHost', '-o', 'name')).trim() !== '';
    await eventually(seen, 10_000, 'the skip recorded as an event');
    const clash = await json(env, 'get', 'storageclass', 'clash');
    assert.equal(clash['provisioner'], 'tenant.example.com');
    assert.equal(labels(clash)[FROM_HOST], undefined);
  });

  let claimUid = '';
  let nodeName = '';

  test('a synced claim bound on the host to a volume: a bound PersistentVolume in the virtual cluster', async () => {
    await apply(env, 'claim', `
apiVersion: v1
kind: PersistentVolumeClaim
metadata: { name: data }
spec:
  storageClassName: fast
  accessModes: [ReadWriteOnce]
  resources: { requests: { storage: 1Gi } }
---
apiVersion: v1
kind: Pod
metadata: { name: app }
spec:
  containers: [{ name: app, image: nginx:1.27, volumeMounts: [{ name: data, mountPath: /data }] }]
  volumes: [{ name: data, persistentVolumeClaim: { claimName: data } }]
`);
    claimUid = (await json(env, 'get', 'pvc', 'data')).metadata.uid as string;
    const hostClaim = 'data-x-default-x-f';
    await eventually(async () => (await maybe(hostEnv, 'get', 'pvc', hostClaim, '-n', HOST_NS)) !== undefined, 20_000, 'the host claim');
    const hc = await json(hostEnv, 'get', 'pvc', hostClaim, '-n', HOST_NS);
    // The host has no provisioner: bind as one would (the volume naming the claim, then the claim the volume).
    await apply(hostEnv, 'host-volume', `
apiVersion: v1
kind: PersistentVolume
metadata: { name: pv-data, labels: { disk: ssd } }
spec:
  capacity: { storage: 1Gi }
  accessModes: [ReadWriteOnce]
  storageClassName: fast
  persistentVolumeReclaimPolicy: Retain
  hostPath: { path: /var/data/pv-data }
  claimRef: { kind: PersistentVolumeClaim, apiVersion: v1, namespace: ${HOST_NS}, name: ${hostClaim}, uid: ${hc.metadata.uid} }
`);
    await k(hostEnv, 'patch', 'pv', 'pv-data', '--subresource=status', '--type=merge', '-p', '{"status":{"phase":"Bound"}}');
    await k(hostEnv, 'patch', 'pvc', hostClaim, '-n', HOST_NS, '--type=merge', '-p', '{"spec":{"volumeName":"pv-data"}}');
    await k(hostEnv, 'patch', 'pvc', hostClaim, '-n', HOST_NS, '--subresource=status', '--type=merge', '-p',
      '{"status":{"phase":"Bound","accessModes":["ReadWriteOnce"],"capacity":{"storage":"1Gi"}}}');

    await eventually(async () => ((await maybe(env, 'get', 'pv', 'pv-data'))?.status as { phase?: string } | undefined)?.phase === 'Bound', 20_000, 'the virtual volume');
    const pv = await json(env, 'get', 'pv', 'pv-data');
    const spec = pv.spec as Record<string, unknown>;
    assert.deepEqual(spec.claimRef, { kind: 'PersistentVolumeClaim', apiVersion: 'v1', namespace: 'default', name: 'data', uid: claimUid });
    assert.deepEqual(spec.capacity, { storage: '1Gi' });
    assert.deepEqual(spec.accessModes, ['ReadWriteOnce']);
    assert.equal(spec.storageClassName, 'fast');
    assert.equal(spec.persistentVolumeReclaimPolicy, 'Retain');
    assert.equal(spec.volumeMode, 'Filesystem');
    assert.equal(labels(pv).disk, 'ssd');
    await eventually(async () => ((await json(env, 'get', 'pvc', 'data')).spec as { volumeName?: string }).volumeName === 'pv-data', 10_000, 'the claim bound');
    const claim = await json(env, 'get', 'pvc', 'data');
    assert.deepEqual(claim.status, { phase: 'Bound', accessModes: ['ReadWriteOnce'], capacity: { storage: '1Gi' } });
    assert.match(await k(env, 'get', 'pvc', 'data'), /data\s+Bound\s+pv-data\s+1Gi\s+RWO\s+fast/);
    assert.match(await k(env, 'get', 'pv'), /pv-data\s+1Gi\s+RWO\s+Retain\s+Bound\s+default\/data\s+fast/);

    // The host volume grows: so does the virtual one.
    await k(hostEnv, 'patch', 'pv', 'pv-data', '--type=merge', '-p', '{"spec":{"capacity":{"storage":"2Gi"}}}');
    await eventually(async () => ((await json(env, 'get', 'pv', 'pv-data')).spec as { capacity: { storage: string } }).capacity.storage === '2Gi', 10_000, 'the new size');
  });

  test('nodes "real": the virtual node shows the host node\'s labels and status, and follows it', async () => {
    await eventually(async () => (nodeName = ((await json(env, 'get', 'pod', 'app')).spec as { nodeName?: string }).nodeName ?? '') !== '', 20_000, 'the pod bound');
    const hostNode = await json(hostEnv, 'get', 'node', nodeName);
    const node = await json(env, 'get', 'node', nodeName);
    assert.equal(labels(node)['kubevisor.dev/host-node'], 'true');
    assert.equal(labels(node)['kubevisor.dev/simulated'], undefined, 'kubevisor\'s own keys stay on the host');
    assert.equal(labels(node)['kubernetes.io/hostname'], labels(hostNode)['kubernetes.io/hostname']);
    const st = node.status as Record<string, unknown>;
    const hst = hostNode.status as Record<string, unknown>;
    assert.deepEqual(st.capacity, hst.capacity);
    assert.deepEqual(st.allocatable, hst.allocatable);
    assert.deepEqual(st.addresses, hst.addresses);
    assert.deepEqual(st.nodeInfo, hst.nodeInfo);
    await k(hostEnv, 'label', 'node', nodeName, 'team=blue');
    await eventually(async () => labels(await json(env, 'get', 'node', nodeName)).team === 'blue', 10_000, 'the host node\'s new label');
  });

  test('the virtual volume goes with its claim', async () => {
    await k(env, 'delete', 'pvc', 'data', '--wait=false');
    await eventually(async () => (await maybe(env, 'get', 'pv', 'pv-data')) === undefined, 10_000, 'the virtual volume gone');
    assert.ok(await maybe(hostEnv, 'get', 'pv', 'pv-data'), 'the host volume stays (Retain)');
  });

  test('flags turned off: the copies leave the virtual cluster, the tenant\'s own stay, nodes show made-up data again', async () => {
    await t.tenant.server.ensureCluster('f', { host: { kubeconfigFile: hostKubeconfig, namespace: HOST_NS } });
    await eventually(async () => (await k(env, 'get', 'storageclass,ingressclass,priorityclass', '-l', FROM_HOST, '-o', 'name')).trim() === '', 20_000, 'the copies gone');
    assert.equal((await json(env, 'get', 'storageclass', 'mine'))['provisioner'], 'tenant.example.com');
    assert.equal((await json(env, 'get', 'storageclass', 'clash'))['provisioner'], 'tenant.example.com');
    await eventually(async () => labels(await json(env, 'get', 'node', nodeName))['kubevisor.dev/fake-node'] === 'true', 10_000, 'a fake node again');
    assert.equal(labels(await json(env, 'get', 'node', nodeName)).team, undefined);
  });
});
