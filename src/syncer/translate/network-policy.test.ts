import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import { fromLabelSelector } from '../../api/selectors/labels.ts';
import { toHostMeta } from './labels.ts';
import { namespaceRequirements, toHostNetworkPolicy, type NetworkPolicySpec } from './network-policy.ts';
import type { VirtualNamespace } from './selectors.ts';

const target = { vcluster: 'team-a', hostNamespace: 'shared' };

/** The labels a pod carries on the host. */
function hostPod(namespace: string, labels: Record<string, string>, vcluster = 'team-a'): Record<string, string> {
  return toHostMeta({ metadata: { name: 'p', namespace, labels } }, 'Pod', { vcluster, hostNamespace: 'shared' }).labels!;
}

const known: VirtualNamespace[] = [
  { name: 'shop', labels: { team: 'blue', 'kubernetes.io/metadata.name': 'shop' } },
  { name: 'blog', labels: { team: 'green', 'kubernetes.io/metadata.name': 'blog' } },
  { name: 'ops', labels: { 'kubernetes.io/metadata.name': 'ops' } },
];

function policy(spec: NetworkPolicySpec, namespace = 'shop'): KubeObject {
  return { apiVersion: 'networking.k8s.io/v1', kind: 'NetworkPolicy', metadata: { name: 'web', namespace, uid: 'np-1' }, spec };
}

const matches = (sel: unknown, labels: Record<string, string>) => fromLabelSelector(sel).matches(labels);

test('the policy selects only the cluster\'s pods of its own virtual namespace', () => {
  const { policy: p, dependsOnNamespaces } = toHostNetworkPolicy(policy({ podSelector: { matchLabels: { app: 'web' } }, policyTypes: ['Ingress'] }), target, known);
  assert.equal(p.metadata.name, 'web-x-shop-x-team-a');
  assert.equal(p.metadata.namespace, 'shared');
  assert.equal(p.metadata.labels?.['kubevisor.dev/vcluster'], 'team-a');
  assert.equal(p.metadata.annotations?.['kubevisor.dev/object-kind'], 'NetworkPolicy');
  assert.equal(dependsOnNamespaces, false);
  const sel = (p.spec as NetworkPolicySpec).podSelector;
  assert.ok(matches(sel, hostPod('shop', { app: 'web' })));
  assert.ok(!matches(sel, hostPod('blog', { app: 'web' })));
  assert.ok(!matches(sel, hostPod('shop', { app: 'web' }, 'team-b')));
  assert.ok(!matches(sel, hostPod('shop', { app: 'db' })));
  // An empty podSelector: every pod of the namespace, and only those.
  const all = (toHostNetworkPolicy(policy({ podSelector: {} }), target, known).policy.spec as NetworkPolicySpec).podSelector;
  assert.ok(matches(all, hostPod('shop', {})));
  assert.ok(!matches(all, hostPod('blog', {})));
  assert.ok(!matches(all, hostPod('shop', {}, 'team-b')));
});

test('peers: a podSelector alone stays in the policy\'s namespace; ipBlocks and ports are unchanged', () => {
  const spec = toHostNetworkPolicy(policy({
    podSelector: {},
    ingress: [{ from: [{ podSelector: { matchLabels: { role: 'client' } } }, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } }], ports: [{ protocol: 'TCP', port: 80 }] }],
    egress: [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'UDP', port: 53 }] }],
    policyTypes: ['Ingress', 'Egress'],
  }), target, known).policy.spec as NetworkPolicySpec;
  const [pods, block] = spec.ingress![0].from!;
  assert.ok(matches(pods!.podSelector, hostPod('shop', { role: 'client' })));
  assert.ok(!matches(pods!.podSelector, hostPod('blog', { role: 'client' })));
  assert.ok(!matches(pods!.podSelector, hostPod('shop', { role: 'client' }, 'team-b')));
  assert.equal(pods!.namespaceSelector, undefined);
  assert.deepEqual(block, { ipBlock: { cidr: '10.0.0.0/8', except: ['10.1.0.0/16'] } });
  assert.deepEqual(spec.ingress![0].ports, [{ protocol: 'TCP', port: 80 }]);
  assert.deepEqual(spec.egress, [{ to: [{ ipBlock: { cidr: '0.0.0.0/0' } }], ports: [{ protocol: 'UDP', port: 53 }] }]);
  assert.deepEqual(spec.policyTypes, ['Ingress', 'Egress']);
});

test('namespaceSelector {} is every namespace of the cluster, never another cluster', () => {
  const spec = toHostNetworkPolicy(policy({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: {} }] }] }), target, known).policy.spec as NetworkPolicySpec;
  const peer = spec.ingress![0].from![0];
  assert.equal(peer.namespaceSelector, undefined);
  assert.ok(matches(peer.podSelector, hostPod('blog', { any: 'x' })));
  assert.ok(matches(peer.podSelector, hostPod('not-known-yet', {})));
  assert.ok(!matches(peer.podSelector, hostPod('blog', {}, 'team-b')));
});

test('a namespaceSelector on the namespace name is translated, not resolved', () => {
  const sel = { matchLabels: { 'kubernetes.io/metadata.name': 'blog' } };
  const r = namespaceRequirements(sel, []);
  assert.equal(r.resolved, false);
  const { policy: p, dependsOnNamespaces } = toHostNetworkPolicy(policy({
    podSelector: {}, egress: [{ to: [{ namespaceSelector: sel, podSelector: { matchLabels: { app: 'db' } } }] }],
  }), target, []);
  assert.equal(dependsOnNamespaces, false);
  const peer = (p.spec as NetworkPolicySpec).egress![0].to![0];
  assert.ok(matches(peer.podSelector, hostPod('blog', { app: 'db' })));
  assert.ok(!matches(peer.podSelector, hostPod('shop', { app: 'db' })));
  assert.ok(!matches(peer.podSelector, hostPod('blog', { app: 'web' })));
  assert.ok(!matches(peer.podSelector, hostPod('blog', { app: 'db' }, 'team-b')));
  // Expressions on the name: NotIn, Exists, DoesNotExist.
  const notShop = namespaceRequirements({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['shop'] }] }, []);
  const base = { matchLabels: { 'kubevisor.dev/vcluster': 'team-a' }, matchExpressions: notShop.requirements };
  assert.ok(matches(base, hostPod('blog', {})));
  assert.ok(!matches(base, hostPod('shop', {})));
  const none = namespaceRequirements({ matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'DoesNotExist' }] }, known);
  assert.ok(!matches({ matchExpressions: none.requirements }, hostPod('shop', {})));
});

test('a namespaceSelector on other labels is resolved against the known namespaces', () => {
  const { policy: p, dependsOnNamespaces } = toHostNetworkPolicy(policy({
    podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'green' } } }] }],
  }), target, known);
  assert.equal(dependsOnNamespaces, true);
  const peer = (p.spec as NetworkPolicySpec).ingress![0].from![0];
  assert.ok(matches(peer.podSelector, hostPod('blog', {})));
  assert.ok(!matches(peer.podSelector, hostPod('shop', {})));
  assert.ok(!matches(peer.podSelector, hostPod('blog', {}, 'team-b')));
  // Nothing matches yet: the peer matches no pod (rather than every pod).
  const empty = toHostNetworkPolicy(policy({ podSelector: {}, ingress: [{ from: [{ namespaceSelector: { matchLabels: { team: 'red' } } }] }] }), target, known);
  const nobody = (empty.policy.spec as NetworkPolicySpec).ingress![0].from![0];
  for (const ns of ['shop', 'blog', 'ops']) assert.ok(!matches(nobody.podSelector, hostPod(ns, {})), ns);
  // Expressions and the name label together.
  const mixed = namespaceRequirements({ matchExpressions: [{ key: 'team', operator: 'Exists' }, { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: ['shop'] }] }, known);
  assert.equal(mixed.resolved, true);
  assert.deepEqual(mixed.requirements, [{ key: 'kubevisor.dev/namespace', operator: 'In', values: ['blog'] }]);
});

test('reserved label keys in selectors are renamed as the host labels are', () => {
  const p = toHostNetworkPolicy(policy({ podSelector: { matchLabels: { 'kubevisor.dev/role': 'db' } } }), target, known).policy;
  const sel = (p.spec as NetworkPolicySpec).podSelector;
  assert.ok(matches(sel, hostPod('shop', { 'kubevisor.dev/role': 'db' })));
  assert.ok(!matches(sel, hostPod('shop', {})));
});
