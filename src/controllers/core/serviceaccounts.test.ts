import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { openTestCluster, eventually } from '../../../test/support/cluster.ts';
import { rootCADescription, startRootCAPublisher, startServiceAccountController } from './serviceaccounts.ts';

const pem = '-----BEGIN CERTIFICATE-----\nMIIBtest\n-----END CERTIFICATE-----\n';

test('every active namespace gets a default ServiceAccount, recreated when deleted', async () => {
  const { vc, ctx, close } = await openTestCluster();
  const stop = startServiceAccountController(ctx);
  try {
    const sa = ctx.def('', 'v1', 'serviceaccounts');
    const ns = ctx.def('', 'v1', 'namespaces');
    for (const n of ['default', 'kube-system', 'kube-public', 'kube-node-lease']) {
      await eventually(() => !!vc.store.peek(sa, n, 'default'), 5000, `default SA in ${n}`);
    }
    await vc.store.create(ns, undefined, { metadata: { name: 'team-a' } });
    await eventually(() => !!vc.store.peek(sa, 'team-a', 'default'), 5000, 'default SA in a new namespace');
    const created = vc.store.peek(sa, 'team-a', 'default') as KubeObject;
    const uid = created.metadata.uid;
    await vc.store.delete(sa, 'team-a', 'default', {});
    await eventually(() => { const o = vc.store.peek(sa, 'team-a', 'default'); return !!o && o.metadata.uid !== uid; }, 5000, 'recreated');
    // Other service accounts are not touched.
    await vc.store.create(sa, 'team-a', { metadata: { name: 'builder' } });
    await vc.store.delete(sa, 'team-a', 'builder', {});
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(vc.store.peek(sa, 'team-a', 'builder'), undefined);
    // A terminating namespace gets nothing new.
    await vc.store.delete(ns, undefined, 'team-a', {});
    await vc.store.delete(sa, 'team-a', 'default', {});
    await new Promise((r) => setTimeout(r, 100));
    assert.equal(vc.store.peek(sa, 'team-a', 'default'), undefined);
  } finally {
    stop();
    await close();
  }
});

test('kube-root-ca.crt is published in every namespace and restored when changed or deleted', async () => {
  const { vc, ctx, close } = await openTestCluster();
  const stop = startRootCAPublisher(ctx, pem);
  try {
    const cm = ctx.def('', 'v1', 'configmaps');
    const ns = ctx.def('', 'v1', 'namespaces');
    await eventually(() => !!vc.store.peek(cm, 'kube-system', 'kube-root-ca.crt'), 5000, 'published');
    const pub = vc.store.peek(cm, 'default', 'kube-root-ca.crt') as KubeObject;
    assert.deepEqual(pub.data, { 'ca.crt': pem });
    assert.equal(pub.metadata.annotations?.['kubernetes.io/description'], rootCADescription);
    assert.match(rootCADescription, /^Contains a CA bundle that can be used to verify the kube-apiserver when using internal endpoints such as the internal service IP or kubernetes\.default\.svc\. No other usage is guaranteed across distributions of Kubernetes clusters\.$/);

    // Tampered data is put back; an extra key is removed.
    await vc.store.guaranteedUpdate(cm, 'default', 'kube-root-ca.crt', (cur) => ({ ...(cur as KubeObject), data: { 'ca.crt': 'junk', extra: 'x' } }));
    await eventually(() => JSON.stringify(vc.store.peek(cm, 'default', 'kube-root-ca.crt')?.data) === JSON.stringify({ 'ca.crt': pem }), 5000, 'restored');
    // Any non-empty description is accepted; a missing one is put back.
    await vc.store.guaranteedUpdate(cm, 'default', 'kube-root-ca.crt', (cur) => {
      const o = cur as KubeObject;
      o.metadata.annotations = { 'kubernetes.io/description': 'mine', other: 'kept' };
      return o;
    });
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(vc.store.peek(cm, 'default', 'kube-root-ca.crt')?.metadata.annotations?.['kubernetes.io/description'], 'mine');
    await vc.store.guaranteedUpdate(cm, 'default', 'kube-root-ca.crt', (cur) => {
      const o = cur as KubeObject;
      o.metadata.annotations = { other: 'kept' };
      return o;
    });
    await eventually(() => vc.store.peek(cm, 'default', 'kube-root-ca.crt')?.metadata.annotations?.['kubernetes.io/description'] === rootCADescription, 5000, 'annotation restored');
    assert.equal(vc.store.peek(cm, 'default', 'kube-root-ca.crt')?.metadata.annotations?.other, 'kept');

    await vc.store.delete(cm, 'default', 'kube-root-ca.crt', {});
    await eventually(() => !!vc.store.peek(cm, 'default', 'kube-root-ca.crt'), 5000, 'recreated');
    await vc.store.create(ns, undefined, { metadata: { name: 'fresh' } });
    await eventually(() => !!vc.store.peek(cm, 'fresh', 'kube-root-ca.crt'), 5000, 'published in a new namespace');
  } finally {
    stop();
    await close();
  }
});
