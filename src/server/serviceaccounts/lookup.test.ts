import { test } from 'node:test';
import assert from 'node:assert/strict';
import { openTestCluster } from '../../../test/support/cluster.ts';
import { generateSigningKey } from './keys.ts';
import { cacheLookup, storeLookup } from './lookup.ts';
import { handleTokenRequest } from './token-request.ts';
import { ServiceAccountTokenAuthenticator } from './tokens.ts';

const ISSUER = 'https://kubernetes.default.svc.cluster.local';

test('tokens against a real cluster store: request, authenticate, delete', async (t) => {
  const { vc, close } = await openTestCluster('sa-tokens');
  t.after(close);
  const key = await generateSigningKey('ES256');
  const def = (plural: string) => vc.registry.find('', 'v1', plural)!;

  const sa = await vc.store.create(def('serviceaccounts'), 'default', { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'robot' } });
  const pod = await vc.store.create(def('pods'), 'default', {
    apiVersion: 'v1', kind: 'Pod', metadata: { name: 'worker' },
    spec: { serviceAccountName: 'robot', containers: [{ name: 'c', image: 'busybox' }] },
  });

  const res = await handleTokenRequest({ lookup: storeLookup(vc), key, issuer: ISSUER },
    { spec: { boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: 'worker' } } }, 'default', 'robot');
  const token = (res.object.status as { token: string }).token;

  const auth = new ServiceAccountTokenAuthenticator({ issuer: ISSUER, keys: key, lookup: cacheLookup(vc) });
  const user = auth.authenticateToken(token);
  assert.equal(user?.username, 'system:serviceaccount:default:robot');
  assert.equal(user?.uid, sa.metadata.uid);
  assert.deepEqual(user?.extra?.['authentication.kubernetes.io/pod-uid'], [pod.metadata.uid]);

  await vc.store.delete(def('pods'), 'default', 'worker', { gracePeriodSeconds: 0 });
  await vc.cache.sync();
  assert.equal(auth.authenticateToken(token), undefined);

  const missing = await handleTokenRequest({ lookup: storeLookup(vc), key, issuer: ISSUER }, {}, 'default', 'nobody').catch((e: unknown) => e);
  assert.equal((missing as { code?: number }).code, 404);
});
