import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { openTestCluster, eventually } from '../../../test/support/cluster.ts';
import { makeNode, makePod } from './core.fixtures.ts';
import { serviceAllocator, startCoreControllers } from './index.ts';

test('all core controllers together: a namespace, a service with pods, and their cleanup', async () => {
  const c = await openTestCluster();
  const alloc = serviceAllocator(c.ctx);
  c.vc.store.admission.push(alloc.admission());
  const core = startCoreControllers(c.ctx, { caPem: 'PEM', apiServer: { ip: '10.0.0.1', port: 6443 }, podGC: { quarantineMs: 100 } });
  const errors: string[] = [];
  const origError = console.error;
  console.error = (...args: unknown[]) => { errors.push(args.join(' ')); };
  try {
    const { store } = c.vc;
    const def = (g: string, p: string) => c.ctx.def(g, 'v1', p);
    await store.create(def('', 'namespaces'), undefined, { metadata: { name: 'shop' } });
    await eventually(() => !!store.peek(def('', 'serviceaccounts'), 'shop', 'default') && !!store.peek(def('', 'configmaps'), 'shop', 'kube-root-ca.crt'), 5000, 'namespace furnished');
    await makeNode(c, 'n1');
    await makePod(c, { name: 'cart-1', namespace: 'shop', labels: { app: 'cart' }, ip: '10.244.0.2', nodeName: 'n1', ports: [{ name: 'http', containerPort: 8080 }] });
    const svc = await store.create(def('', 'services'), 'shop', {
      metadata: { name: 'cart' }, spec: { type: 'NodePort', selector: { app: 'cart' }, ports: [{ port: 80, targetPort: 'http' }] },
    });
    const spec = svc.spec as { clusterIP: string; ports: { nodePort: number }[] };
    assert.match(spec.clusterIP, /^10\.(9[6-9]|10\d|11[01])\./);
    assert.ok(spec.ports[0].nodePort >= 30000);
    await eventually(() => !!store.peek(def('', 'endpoints'), 'shop', 'cart'), 5000, 'endpoints');
    const ep = store.peek(def('', 'endpoints'), 'shop', 'cart') as KubeObject;
    assert.deepEqual((ep.subsets as any[])[0].ports, [{ port: 8080, protocol: 'TCP' }]);
    assert.equal(ep.metadata.labels?.['service.kubernetes.io/headless'], undefined);
    const slices = () => [...c.vc.cache.scan('/registry/discovery.k8s.io/endpointslices/shop/')].map((x) => x.obj);
    await eventually(() => slices().length === 1 && ((slices()[0].endpoints as unknown[]) ?? []).length === 1, 5000, 'slice');
    await eventually(() => !!store.peek(def('', 'endpoints'), 'default', 'kubernetes'), 5000, 'kubernetes endpoints');

    await store.delete(def('', 'services'), 'shop', 'cart', {});
    await eventually(() => !store.peek(def('', 'endpoints'), 'shop', 'cart') && slices().length === 0, 5000, 'cleaned up');
    assert.equal(alloc.isIPAllocated(spec.clusterIP), false);
    await store.delete(def('', 'nodes'), undefined, 'n1', {});
    await eventually(() => !store.peek(def('', 'pods'), 'shop', 'cart-1'), 5000, 'orphaned pod collected');
    assert.deepEqual(errors, []);
  } finally {
    console.error = origError;
    core.stop();
    alloc.stop();
    await c.close();
  }
});
