import assert from 'node:assert/strict';
import { test } from 'node:test';
import { readSpec } from './spec.ts';

const vc = (spec: Record<string, unknown>) => ({ apiVersion: 'kubevisor.dev/v1alpha1', kind: 'VirtualCluster', metadata: { name: 'a' }, spec });

test('defaults: standalone, sqlite, no nodes, no host', () => {
  const { spec, errors } = readSpec(vc({}));
  assert.deepEqual(errors, []);
  assert.equal(spec.host, undefined);
  assert.equal(spec.storage, 'sqlite');
  assert.equal(spec.nodes, 0);
});

test('a host from a kubeconfig file or a Secret, with defaults for the Secret', () => {
  const a = readSpec(vc({ host: { kubeconfigFile: '/etc/host.yaml', context: 'prod', namespace: 'team-a' } }));
  assert.deepEqual(a.errors, []);
  assert.deepEqual(a.spec.host, { kubeconfig: { file: '/etc/host.yaml' }, context: 'prod', namespace: 'team-a' });
  const b = readSpec(vc({ host: { kubeconfigSecret: { name: 'hk' }, namespace: 'team-b' } }));
  assert.deepEqual(b.errors, []);
  assert.deepEqual(b.spec.host, { kubeconfig: { secret: { name: 'hk', namespace: 'default', key: 'config' } }, context: undefined, namespace: 'team-b' });
});

test('a host needs a namespace and exactly one kubeconfig source; simulated nodes are refused with a host', () => {
  const fields = (spec: Record<string, unknown>) => readSpec(vc(spec)).errors.map((e) => e.field).sort();
  assert.deepEqual(fields({ host: { kubeconfigFile: '/k' } }), ['spec.host.namespace']);
  assert.deepEqual(fields({ host: { namespace: 'Bad_NS', kubeconfigFile: '/k' } }), ['spec.host.namespace']);
  assert.deepEqual(fields({ host: { namespace: 'ns' } }), ['spec.host']);
  assert.deepEqual(fields({ host: { namespace: 'ns', kubeconfigFile: '/k', kubeconfigSecret: { name: 's' } } }), ['spec.host']);
  assert.deepEqual(fields({ host: { namespace: 'ns', kubeconfigFile: '/k' }, nodes: 3 }), ['spec.nodes']);
});
