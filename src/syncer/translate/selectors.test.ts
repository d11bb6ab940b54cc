import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { fromLabelSelector, selectorFromSet } from '../../api/selectors/labels.ts';
import { toHostMeta } from './labels.ts';
import {
  type Affinity, toHostAffinity, toHostLabelSelector, toHostServiceSelector, toHostTopologySpread,
} from './selectors.ts';

/** The labels a pod carries on the host. */
function hostLabels(vcluster: string, namespace: string, labels: Record<string, string>): Record<string, string> {
  const pod: KubeObject = { metadata: { name: 'p', namespace, labels } };
  return toHostMeta(pod, 'Pod', { vcluster, hostNamespace: 'shared' }).labels!;
}

const web = { app: 'web' };
const mine = hostLabels('team-a', 'shop', web);
const otherNs = hostLabels('team-a', 'blog', web);
const otherVc = hostLabels('team-b', 'shop', web);

test('a service selector matches only its own virtual namespace and cluster', () => {
  const sel = selectorFromSet(toHostServiceSelector(web, 'team-a', 'shop'));
  assert.ok(sel.matches(mine));
  assert.ok(!sel.matches(otherNs));
  assert.ok(!sel.matches(otherVc));
  assert.equal(toHostServiceSelector({}, 'team-a', 'shop'), undefined);
  assert.equal(toHostServiceSelector(undefined, 'team-a', 'shop'), undefined);
});

test('a selector on a reserved key still matches the renamed host label', () => {
  const labels = { 'kubevisor.dev/role': 'db' };
  const sel = selectorFromSet(toHostServiceSelector(labels, 'team-a', 'shop'));
  assert.ok(sel.matches(hostLabels('team-a', 'shop', labels)));
  assert.ok(!sel.matches(mine));
});

test('label selectors with expressions: scoped, keys renamed, null stays null', () => {
  const ls = toHostLabelSelector(
    { matchExpressions: [{ key: 'app', operator: 'In', values: ['web', 'api'] }] }, 'team-a', { kind: 'one', namespace: 'shop' },
  );
  const sel = fromLabelSelector(ls);
  assert.ok(sel.matches(mine));
  assert.ok(!sel.matches(otherNs));
  assert.ok(!sel.matches(otherVc));
  assert.equal(toHostLabelSelector(null, 'team-a', { kind: 'any' }), null);
  // `{}` selects every pod of the scope, and only of it.
  const all = fromLabelSelector(toHostLabelSelector({}, 'team-a', { kind: 'one', namespace: 'shop' }));
  assert.ok(all.matches(hostLabels('team-a', 'shop', {})));
  assert.ok(!all.matches(otherNs));
});

test('affinity terms: namespaces and namespaceSelector become the namespace marker', () => {
  const affinity: Affinity = {
    nodeAffinity: { requiredDuringSchedulingIgnoredDuringExecution: { nodeSelectorTerms: [] } },
    podAntiAffinity: {
      requiredDuringSchedulingIgnoredDuringExecution: [
        { labelSelector: { matchLabels: web }, topologyKey: 'kubernetes.io/hostname' },
        { labelSelector: { matchLabels: web }, namespaces: ['blog'], topologyKey: 'zone' },
        { labelSelector: { matchLabels: web }, namespaceSelector: {}, topologyKey: 'zone' },
        { labelSelector: { matchLabels: web }, namespaceSelector: { matchLabels: { tier: 'public' } }, namespaces: ['shop'], topologyKey: 'zone' },
      ],
      preferredDuringSchedulingIgnoredDuringExecution: [
        { weight: 10, podAffinityTerm: { labelSelector: { matchLabels: web }, topologyKey: 'zone', matchLabelKeys: ['pod-template-hash'] } },
      ],
    },
  };
  const warnings: string[] = [];
  const known = [{ name: 'shop' }, { name: 'blog', labels: { tier: 'public' } }, { name: 'admin' }];
  const out = toHostAffinity(affinity, 'team-a', 'shop', known, warnings);
  assert.deepEqual(out.nodeAffinity, affinity.nodeAffinity);
  const [own, listed, everywhere, union] = out.podAntiAffinity!.requiredDuringSchedulingIgnoredDuringExecution!;
  for (const t of [own, listed, everywhere, union]) {
    assert.equal(t.namespaces, undefined);
    assert.equal(t.namespaceSelector, undefined);
    assert.ok(!fromLabelSelector(t.labelSelector).matches(otherVc));
  }
  assert.ok(fromLabelSelector(own.labelSelector).matches(mine));
  assert.ok(!fromLabelSelector(own.labelSelector).matches(otherNs));
  assert.ok(!fromLabelSelector(listed.labelSelector).matches(mine));
  assert.ok(fromLabelSelector(listed.labelSelector).matches(otherNs));
  assert.ok(fromLabelSelector(everywhere.labelSelector).matches(mine));
  assert.ok(fromLabelSelector(everywhere.labelSelector).matches(otherNs));
  assert.ok(fromLabelSelector(union.labelSelector).matches(mine));
  assert.ok(fromLabelSelector(union.labelSelector).matches(otherNs));
  assert.ok(!fromLabelSelector(union.labelSelector).matches(hostLabels('team-a', 'admin', web)));
  assert.deepEqual(warnings, []);
  const pref = out.podAntiAffinity!.preferredDuringSchedulingIgnoredDuringExecution![0];
  assert.equal(pref.weight, 10);
  assert.deepEqual(pref.podAffinityTerm.matchLabelKeys, ['pod-template-hash']);
});

test('a namespaceSelector without known namespaces warns and matches none of them', () => {
  const warnings: string[] = [];
  const out = toHostAffinity({
    podAffinity: { requiredDuringSchedulingIgnoredDuringExecution: [
      { labelSelector: { matchLabels: web }, namespaceSelector: { matchLabels: { tier: 'public' } }, topologyKey: 'zone' },
    ] },
  }, 'team-a', 'shop', undefined, warnings);
  assert.equal(warnings.length, 1);
  const sel = fromLabelSelector(out.podAffinity!.requiredDuringSchedulingIgnoredDuringExecution![0].labelSelector);
  assert.ok(!sel.matches(mine) && !sel.matches(otherNs));
});

test('topology spread constraints count only the pod\'s own virtual namespace', () => {
  const [c] = toHostTopologySpread([
    { maxSkew: 1, topologyKey: 'zone', whenUnsatisfiable: 'DoNotSchedule', labelSelector: { matchLabels: web } },
  ], 'team-a', 'shop');
  assert.equal(c['maxSkew'], 1);
  const sel = fromLabelSelector(c.labelSelector);
  assert.ok(sel.matches(mine));
  assert.ok(!sel.matches(otherNs) && !sel.matches(otherVc));
});
