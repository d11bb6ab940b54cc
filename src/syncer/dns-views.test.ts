import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster } from '../../test/support/cluster.ts';
import { ClusterDnsView } from './dns-views.ts';

test('kubernetes.default answers the pods\' API server IP, whatever the Service says, even while it is missing', async () => {
  const c = await openTestCluster();
  const def = c.ctx.def('', 'v1', 'services');
  let apiIP: string | undefined = '192.0.2.10';
  const view = new ClusterDnsView(c.vc, () => apiIP);
  try {
    const kubernetes = () => view.get().service('default', 'kubernetes');
    assert.deepEqual(kubernetes(), { kind: 'clusterIP', clusterIPs: ['192.0.2.10'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }], endpoints: [] });
    assert.deepEqual(view.get().ipOwners('192.0.2.10'), [{ kind: 'service', namespace: 'default', name: 'kubernetes' }]);
    assert.deepEqual(view.get().ipOwners('10.96.0.1'), []);
    await c.vc.store.delete(def, 'default', 'kubernetes', {});
    assert.deepEqual(kubernetes(), { kind: 'clusterIP', clusterIPs: ['192.0.2.10'], ports: [{ name: 'https', port: 443, protocol: 'TCP' }], endpoints: [] });
    // Not an IP: the Service as it is.
    apiIP = undefined;
    await c.vc.store.create(def, 'default', { metadata: { name: 'kubernetes' }, spec: { clusterIP: '10.96.0.1', ports: [{ name: 'https', port: 443 }] } });
    const svc = kubernetes();
    assert.deepEqual(svc?.kind === 'clusterIP' ? svc.clusterIPs : undefined, ['10.96.0.1']);
  } finally {
    view.stop();
    await c.close();
  }
});
