// URL webhooks on a multi-tenant server reach public addresses only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiError } from '../../../api/errors.ts';
import type { KubeObject } from '../../../api/types.ts';
import { startKubevisorServer } from '../../../cli/server-runtime.ts';
import { ensurePki } from '../../pki/pki.ts';
import { isInternalAddress, reachableAddress } from './url-reach.ts';

test('internal addresses: loopback, link-local, private, shared and unspecified, IPv4-mapped too', () => {
  for (const ip of ['127.0.0.1', '10.1.2.3', '172.20.0.1', '192.168.1.1', '169.254.169.254', '100.64.0.1', '0.0.0.0', '::1', '::', 'fe80::1', 'fd00::1', '::ffff:10.0.0.1', '::ffff:127.0.0.1']) {
    assert.equal(isInternalAddress(ip), true, ip);
  }
  for (const ip of ['8.8.8.8', '172.32.0.1', '100.128.0.1', '2606:4700::1111', '::ffff:8.8.8.8']) assert.equal(isInternalAddress(ip), false, ip);
});

test('reachableAddress: a public address as it is; internal ones and names resolving to them refused unless any address may be called', async () => {
  assert.equal(await reachableAddress('8.8.8.8', false), '8.8.8.8');
  assert.equal(await reachableAddress('127.0.0.1', true), '127.0.0.1');
  await assert.rejects(reachableAddress('169.254.169.254', false), /169\.254\.169\.254 \(169\.254\.169\.254\) is an internal address/);
  await assert.rejects(reachableAddress('localhost', false), /localhost \(.+\) is an internal address/);
});

test('a multi-tenant server refuses to call a URL webhook at an internal address: the failure policy decides', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'kv-url-reach-'));
  const server = await startKubevisorServer({
    host: '127.0.0.1', port: 0, dataDir: join(dir, 'data'), storage: { backend: 'sqlite' }, pki: await ensurePki(join(dir, 'pki')),
  });
  try {
    const vc = await server.ensureCluster('tenant', { nodes: 0 });
    const hooks = vc.registry.find('admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations')!;
    const cms = vc.registry.find('', 'v1', 'configmaps')!;
    const config = (policy: string) => ({
      metadata: { name: `internal-${policy.toLowerCase()}` },
      webhooks: [{
        name: `internal.${policy.toLowerCase()}.test`, admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: policy,
        clientConfig: { url: 'https://127.0.0.1:9/check' },
        rules: [{ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['configmaps'] }],
        namespaceSelector: { matchLabels: { 'kubernetes.io/metadata.name': policy === 'Fail' ? 'default' : 'kube-public' } },
      }],
    } as unknown as KubeObject);
    await vc.store.create(hooks, undefined, config('Fail'));
    await vc.store.create(hooks, undefined, config('Ignore'));
    await vc.cache.sync();
    await assert.rejects(vc.store.create(cms, 'default', { metadata: { name: 'refused' } } as KubeObject), (e: unknown) => {
      assert.ok(e instanceof ApiError, String(e));
      assert.equal(e.code, 500);
      assert.match(e.message, /^Internal error occurred: failed calling webhook "internal\.fail\.test": failed to call webhook: Post "https:\/\/127\.0\.0\.1:9\/check\?timeout=10s": 127\.0\.0\.1 \(127\.0\.0\.1\) is an internal address/);
      return true;
    });
    assert.equal(vc.store.peek(cms, 'default', 'refused'), undefined);
    // Ignore: the write goes through.
    await vc.store.create(cms, 'kube-public', { metadata: { name: 'allowed' } } as KubeObject);
  } finally {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
