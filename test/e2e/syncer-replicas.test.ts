// Two syncers serving the same virtual cluster (as two kubevisor replicas on one
// etcd would): a host Lease elects one; only it syncs; when it stops, the other
// takes over and nothing is duplicated.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eventually } from '../support/cluster.ts';
import { startSide, type Side } from '../support/two-servers.ts';
import { startKubevisorServer, type KubevisorServer } from '../../src/cli/server-runtime.ts';
import { startControllers } from '../../src/controllers/index.ts';
import { ensurePki } from '../../src/server/pki/pki.ts';
import { Syncer, type StopReason } from '../../src/syncer/index.ts';
import type { KubeObject } from '../../src/api/types.ts';
import type { VirtualCluster } from '../../src/server/cluster.ts';

let dir: string;
let host: Side;
let tenant: KubevisorServer;
let vc: VirtualCluster;
const syncers: Syncer[] = [];
const stops: ((r: StopReason) => Promise<void>)[] = [];

const hostPods = async () => {
  const def = host.server.manager.get('host')!.vc!.registry.find('', 'v1', 'pods')!;
  return (await host.server.manager.get('host')!.vc!.store.list(def, 'ha', {})).items as KubeObject[];
};

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'kubevisor-replicas-'));
  host = await startSide(dir, 'host');
  await host.server.ensureCluster('host', { nodes: 2 });
  const hostKubeconfig = await host.kubeconfig('host');
  const data = join(dir, 'tenant');
  const pki = await ensurePki(data);
  for (const identity of ['replica-1', 'replica-2']) {
    syncers.push(new Syncer({
      apiServer: { host: '127.0.0.1', port: 6443 }, dnsIP: '127.0.0.1', readSecret: async () => undefined,
      replica: { identity, lease: 'kubevisor-syncer-test', timing: { leaseDurationSeconds: 3, renewDeadlineSeconds: 2, retryPeriodSeconds: 1 } },
    }));
  }
  tenant = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir: data, storage: { backend: 'sqlite' }, pki,
    controllers: (v, spec) => {
      const stopControllers = startControllers({ nodes: 0, caCert: pki.caCert, hosted: true })(v);
      for (const s of syncers) stops.push(s.attach(v, spec.host!));
      return async (phase) => { for (const stop of stops) await stop(phase); stopControllers(); };
    },
  });
  vc = await tenant.ensureCluster('r', { host: { kubeconfigFile: hostKubeconfig, namespace: 'ha' } });
});

after(async () => {
  await tenant?.close();
  for (const s of syncers) s.close();
  await host?.server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const pod = (name: string): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name }, spec: { containers: [{ name: 'c', image: 'busybox' }] } });

test('one replica syncs a host namespace; when it stops, the other takes over without duplicates', async () => {
  const pods = vc.registry.find('', 'v1', 'pods')!;
  await eventually(() => syncers.filter((s) => s.cluster('r')).length === 1, 15_000, 'one leader');
  const leader = syncers.findIndex((s) => s.cluster('r'));
  const other = 1 - leader;
  assert.equal(syncers[other]!.healthOf('r')?.state, 'Connecting');
  await vc.store.create(pods, 'default', pod('first'));
  await eventually(async () => (await hostPods()).some((p) => p.metadata.name === 'first-x-default-x-r'), 10_000, 'first on the host');
  // The replica that does not lead still makes services on the host (admission).
  const svcDef = vc.registry.find('', 'v1', 'services')!;
  const svc = await vc.store.create(svcDef, 'default', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web' }, spec: { ports: [{ port: 80 }] } } as KubeObject);
  assert.match((svc.spec as { clusterIP: string }).clusterIP, /^\d+\.\d+\.\d+\.\d+$/);

  // The leader goes away (a replica shutting down: nothing is removed from the host).
  await stops[leader]!('Pending');
  await eventually(() => syncers[other]!.cluster('r') !== undefined, 15_000, 'the other replica leads');
  await vc.store.create(pods, 'default', pod('second'));
  await eventually(async () => (await hostPods()).some((p) => p.metadata.name === 'second-x-default-x-r'), 10_000, 'second on the host');
  const names = (await hostPods()).map((p) => p.metadata.name).sort();
  assert.deepEqual(names, ['first-x-default-x-r', 'second-x-default-x-r']);
});
