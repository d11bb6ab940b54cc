import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromHostAnnotations, fromHostLabels, hostAnnotationKey, hostLabelKey, toHostAnnotations, toHostLabels } from './labels.ts';

test('user keys are copied 1:1; reserved keys get a hashed key', () => {
  const { map, renamed } = toHostLabels({ app: 'web', 'example.com/tier': 'front', 'kubevisor.dev/vcluster': 'x' });
  assert.equal(map['app'], 'web');
  assert.equal(map['example.com/tier'], 'front');
  assert.equal(map['kubevisor.dev/vcluster'], undefined);
  const hk = hostLabelKey('kubevisor.dev/vcluster');
  assert.match(hk, /^kubevisor\.dev\/label-[0-9a-f]{10}$/);
  assert.equal(map[hk], 'x');
  assert.deepEqual(renamed, { [hk]: 'kubevisor.dev/vcluster' });
  assert.match(hostAnnotationKey('kubevisor.dev/object-name'), /^kubevisor\.dev\/annotation-[0-9a-f]{10}$/);
  assert.equal(toHostAnnotations({ note: 'n' }).map['note'], 'n');
});

test('a forged rename record cannot turn a key into a marker on the way back', () => {
  const hk = hostLabelKey('kubevisor.dev/role');
  const labels = fromHostLabels({
    labels: { app: 'web', [hk]: 'db', 'kubevisor.dev/label-0000000000': 'evil', 'kubevisor.dev/vcluster': 'team-a' },
    annotations: { 'kubevisor.dev/renamed-labels': JSON.stringify({ [hk]: 'kubevisor.dev/role', 'kubevisor.dev/label-0000000000': 'kubevisor.dev/vcluster' }) },
  });
  assert.deepEqual(labels, { app: 'web', 'kubevisor.dev/role': 'db' });
  assert.deepEqual(fromHostAnnotations({ annotations: { a: '1', 'kubevisor.dev/renamed-labels': 'not json' } }), { a: '1' });
});
