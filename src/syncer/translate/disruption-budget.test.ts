import { test } from 'node:test';
import assert from 'node:assert/strict';
import { fromLabelSelector } from '../../api/selectors/labels.ts';
import { toHostMeta } from './labels.ts';
import { toHostPodDisruptionBudget, type PodDisruptionBudgetSpec } from './disruption-budget.ts';

const target = { vcluster: 'team-a', hostNamespace: 'tenants' };
const hostPod = (namespace: string, labels: Record<string, string>, vcluster = 'team-a') =>
  toHostMeta({ metadata: { name: 'p', namespace, labels } }, 'Pod', { vcluster, hostNamespace: 'tenants' }).labels!;

test('host budget: the selector only matches the cluster\'s pods of the namespace; the budget is unchanged', () => {
  const h = toHostPodDisruptionBudget({
    apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name: 'web', namespace: 'shop', uid: 'b-1' },
    spec: { minAvailable: '50%', selector: { matchLabels: { app: 'web' } }, unhealthyPodEvictionPolicy: 'AlwaysAllow' },
    status: { disruptionsAllowed: 1 },
  }, target);
  assert.equal(h.metadata.name, 'web-x-shop-x-team-a');
  assert.equal(h.status, undefined);
  const spec = h.spec as PodDisruptionBudgetSpec;
  assert.equal(spec.minAvailable, '50%');
  assert.equal(spec.unhealthyPodEvictionPolicy, 'AlwaysAllow');
  const sel = fromLabelSelector(spec.selector);
  assert.ok(sel.matches(hostPod('shop', { app: 'web' })));
  assert.ok(!sel.matches(hostPod('blog', { app: 'web' })));
  assert.ok(!sel.matches(hostPod('shop', { app: 'web' }, 'team-b')));
});

test('an empty selector is every pod of the namespace; a null one stays null', () => {
  const all = toHostPodDisruptionBudget({ metadata: { name: 'all', namespace: 'shop' }, spec: { maxUnavailable: 1, selector: {} } }, target);
  const sel = fromLabelSelector((all.spec as PodDisruptionBudgetSpec).selector);
  assert.ok(sel.matches(hostPod('shop', {})));
  assert.ok(!sel.matches(hostPod('blog', {})));
  const none = toHostPodDisruptionBudget({ metadata: { name: 'none', namespace: 'shop' }, spec: { maxUnavailable: 1, selector: null } }, target);
  assert.equal((none.spec as PodDisruptionBudgetSpec).selector, null);
});
