import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { eventually, openTestCluster } from '../../../test/support/cluster.ts';
import { startKubernetesServiceController } from './kubernetes-service.ts';

interface Spec { clusterIP: string; clusterIPs: string[]; ports: { name: string; port: number; targetPort: number }[] }

test('default/kubernetes takes the API server\'s IP (made again: a ClusterIP cannot change), keeping port 443', async () => {
  const c = await openTestCluster();
  const def = c.ctx.def('', 'v1', 'services');
  const svc = () => c.vc.store.peek(def, 'default', 'kubernetes') as KubeObject | undefined;
  const spec = () => svc()?.spec as Spec | undefined;
  const before = svc()!;
  assert.equal((before.spec as Spec).clusterIP, '10.96.0.1');
  const api = { ip: '192.0.2.10', port: 8443 };
  const stop = startKubernetesServiceController(c.ctx, api);
  try {
    await eventually(() => spec()?.clusterIP === '192.0.2.10', 5000, 'the API server\'s IP');
    assert.notEqual(svc()!.metadata.uid, before.metadata.uid);
    assert.deepEqual(spec()!.clusterIPs, ['192.0.2.10']);
    assert.deepEqual(spec()!.ports.map((p) => [p.name, p.port, p.targetPort]), [['https', 443, 8443]]);
    assert.deepEqual(svc()!.metadata.labels, { component: 'apiserver', provider: 'kubernetes' });

    const touch = (value: string) => c.vc.store.guaranteedUpdate(def, 'default', 'kubernetes', (cur) => {
      const o = cur as KubeObject;
      o.metadata.labels = { ...o.metadata.labels, touched: value };
      return o;
    });
    // Only the port changed: the same Service, updated.
    const uid = svc()!.metadata.uid;
    api.port = 6443;
    await touch('1');
    await eventually(() => spec()?.ports[0]?.targetPort === 6443, 5000, 'the new port');
    assert.equal(svc()!.metadata.uid, uid);

    // Deleted: made again.
    await c.vc.store.delete(def, 'default', 'kubernetes', {});
    await eventually(() => svc() !== undefined && svc()!.metadata.uid !== uid, 5000, 'made again after a delete');
    assert.equal(spec()!.clusterIP, '192.0.2.10');

    // A loopback address (a server on this machine) is a valid ClusterIP too.
    api.ip = '127.0.0.1';
    await touch('2');
    await eventually(() => spec()?.clusterIP === '127.0.0.1', 5000, 'loopback');
  } finally {
    stop();
    await c.close();
  }
});

test('a name rather than an IP leaves default/kubernetes alone', async () => {
  const c = await openTestCluster();
  const def = c.ctx.def('', 'v1', 'services');
  const stop = startKubernetesServiceController(c.ctx, { ip: 'kubevisor.example', port: 6443 });
  try {
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((c.vc.store.peek(def, 'default', 'kubernetes')?.spec as Spec).clusterIP, '10.96.0.1');
  } finally {
    stop();
    await c.close();
  }
});
