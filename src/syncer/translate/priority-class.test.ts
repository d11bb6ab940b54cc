import { test } from 'node:test';
import assert from 'node:assert/strict';
import { HIGHEST_USER_PRIORITY, hostPriorityClassName, isSystemPriorityClass, toHostPriorityClass } from './priority-class.ts';

const target = { vcluster: 'team-a', hostNamespace: 'tenants' };

test('host priority class: a name per cluster and host namespace, markers without a namespace', () => {
  const h = toHostPriorityClass({
    apiVersion: 'scheduling.k8s.io/v1', kind: 'PriorityClass', metadata: { name: 'high', uid: 'pc-1', labels: { tier: 'gold' } },
    value: 1000, description: 'important', preemptionPolicy: 'Never', globalDefault: true,
  }, target);
  assert.equal(h.metadata.name, 'kubevisor-high-x-tenants-x-team-a');
  assert.equal(hostPriorityClassName('high', target), h.metadata.name);
  assert.equal(h.metadata.namespace, undefined);
  assert.deepEqual(h.metadata.labels, { tier: 'gold', 'kubevisor.dev/vcluster': 'team-a' });
  assert.equal(h.metadata.annotations?.['kubevisor.dev/object-name'], 'high');
  assert.equal(h.metadata.annotations?.['kubevisor.dev/object-namespace'], undefined);
  assert.equal(h['value'], 1000);
  assert.equal(h['description'], 'important');
  assert.equal(h['preemptionPolicy'], 'Never');
  // A tenant's default is not the host's.
  assert.equal(h['globalDefault'], undefined);
});

test('the value stays in the user range', () => {
  const h = toHostPriorityClass({ metadata: { name: 'huge' }, value: 2_000_000_000 }, target);
  assert.equal(h['value'], HIGHEST_USER_PRIORITY);
  assert.equal(toHostPriorityClass({ metadata: { name: 'low' }, value: -5 }, target)['value'], -5);
  assert.ok(isSystemPriorityClass('system-node-critical'));
  assert.ok(!isSystemPriorityClass('high'));
});
