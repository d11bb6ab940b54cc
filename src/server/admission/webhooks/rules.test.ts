// Which webhooks a write goes to: rules, scope, selectors, equivalent versions, exemptions.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from '../../../api/errors.ts';
import type { KubeObject } from '../../../api/types.ts';
import { builtinRegistry } from '../../../registry/builtin.ts';
import type { ResourceDef } from '../../../registry/types.ts';
import { compileConfiguration, type Rule, type Webhook } from './config.ts';
import { evaluateMatchConditions } from './match-conditions.ts';
import { convertObject, equivalentResources, invocationFor, isExempt, ruleMatches, type Attributes } from './rules.ts';

const reg = builtinRegistry();
const def = (g: string, v: string, p: string) => reg.find(g, v, p) as ResourceDef;
const pods = def('', 'v1', 'pods');
const namespaces = def('', 'v1', 'namespaces');
const nodes = def('', 'v1', 'nodes');
const hpaV1 = def('autoscaling', 'v1', 'horizontalpodautoscalers');
const hpaV2 = def('autoscaling', 'v2', 'horizontalpodautoscalers');

function attrs(d: ResourceDef, o: Partial<Attributes> = {}): Attributes {
  return { operation: 'CREATE', def: d, subresource: '', namespace: d.scope === 'Namespaced' ? 'default' : '', name: 'x', object: undefined, oldObject: undefined, ...o };
}

function rule(o: Partial<Rule> = {}): Rule {
  return { operations: ['*'], apiGroups: ['*'], apiVersions: ['*'], resources: ['*'], scope: '*', ...o };
}

function webhook(spec: Record<string, unknown>): Webhook {
  const config = { apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name: 'cfg' }, webhooks: [{ name: 'w.example.com', ...spec }] } as unknown as KubeObject;
  return compileConfiguration(config, false)[0]!;
}

test('operations, groups, versions and resources: exact or *', () => {
  assert.ok(ruleMatches(rule({ operations: ['CREATE'], apiGroups: [''], apiVersions: ['v1'], resources: ['pods'] }), attrs(pods)));
  assert.ok(!ruleMatches(rule({ operations: ['UPDATE'] }), attrs(pods)));
  assert.ok(!ruleMatches(rule({ apiGroups: ['apps'] }), attrs(pods)));
  assert.ok(!ruleMatches(rule({ apiVersions: ['v2'] }), attrs(pods)));
  assert.ok(!ruleMatches(rule({ resources: ['configmaps'] }), attrs(pods)));
  assert.ok(ruleMatches(rule({ operations: ['DELETE', '*'] }), attrs(pods, { operation: 'DELETE' })));
});

test('subresources: pods, pods/status, pods/*, */status, */*', () => {
  const status = attrs(pods, { operation: 'UPDATE', subresource: 'status' });
  assert.ok(!ruleMatches(rule({ resources: ['pods'] }), status), 'a rule for pods is not one for pods/status');
  assert.ok(ruleMatches(rule({ resources: ['pods/status'] }), status));
  assert.ok(ruleMatches(rule({ resources: ['pods/*'] }), status));
  assert.ok(ruleMatches(rule({ resources: ['*/status'] }), status));
  assert.ok(ruleMatches(rule({ resources: ['*/*'] }), status));
  assert.ok(!ruleMatches(rule({ resources: ['*'] }), status), '* is every resource, not its subresources');
  assert.ok(ruleMatches(rule({ resources: ['*/*'] }), attrs(pods)), '*/* matches the resource itself too');
  assert.ok(ruleMatches(rule({ resources: ['pods/*'] }), attrs(pods)), 'pods/* matches pods itself too, as upstream');
});

test('scope: Namespaced, Cluster, and a Namespace counts as cluster-scoped', () => {
  assert.ok(ruleMatches(rule({ scope: 'Namespaced' }), attrs(pods)));
  assert.ok(!ruleMatches(rule({ scope: 'Cluster' }), attrs(pods)));
  assert.ok(ruleMatches(rule({ scope: 'Cluster' }), attrs(nodes)));
  assert.ok(!ruleMatches(rule({ scope: 'Namespaced' }), attrs(nodes)));
  // A namespace's update names it as its namespace: still cluster-scoped.
  const ns = attrs(namespaces, { operation: 'UPDATE', namespace: 'team-a', name: 'team-a' });
  assert.ok(ruleMatches(rule({ scope: 'Cluster' }), ns));
  assert.ok(!ruleMatches(rule({ scope: 'Namespaced' }), ns));
});

test('namespaceSelector: the namespace labels; a Namespace its own; other cluster-scoped objects always', () => {
  const w = webhook({ rules: [rule()], namespaceSelector: { matchLabels: { team: 'a' } } });
  const labels = (n: string): Record<string, string> | undefined => (n === 'team-a' ? { team: 'a' } : n === 'other' ? {} : undefined);
  const none = () => [];
  assert.ok(invocationFor(w, attrs(pods, { namespace: 'team-a' }), labels, none));
  assert.equal(invocationFor(w, attrs(pods, { namespace: 'other' }), labels, none), undefined);
  assert.ok(invocationFor(w, attrs(nodes), labels, none), 'cluster-scoped objects are never exempted');
  const missing = invocationFor(w, attrs(pods, { namespace: 'gone' }), labels, none);
  assert.ok(missing instanceof ApiError && missing.code === 404 && missing.message === 'namespaces "gone" not found');
  // A Namespace's create or update: its own new labels.
  const nsObj = (l: Record<string, string>) => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'n', labels: l } }) as KubeObject;
  assert.ok(invocationFor(w, attrs(namespaces, { namespace: '', object: nsObj({ team: 'a' }) }), labels, none));
  assert.equal(invocationFor(w, attrs(namespaces, { operation: 'UPDATE', namespace: 'team-a', object: nsObj({}) }), labels, none), undefined);
  // Its delete: the stored namespace's labels.
  assert.ok(invocationFor(w, attrs(namespaces, { operation: 'DELETE', namespace: 'team-a', name: 'team-a' }), labels, none));
});

test('objectSelector: the new or the old object; expressions', () => {
  const w = webhook({ rules: [rule()], objectSelector: { matchExpressions: [{ key: 'deny', operator: 'In', values: ['true'] }] } });
  const obj = (l?: Record<string, string>) => ({ metadata: { name: 'x', labels: l } }) as KubeObject;
  const none = () => [];
  const labels = () => ({});
  assert.ok(invocationFor(w, attrs(pods, { object: obj({ deny: 'true' }) }), labels, none));
  assert.equal(invocationFor(w, attrs(pods, { object: obj({ deny: 'no' }) }), labels, none), undefined);
  assert.ok(invocationFor(w, attrs(pods, { operation: 'UPDATE', object: obj(), oldObject: obj({ deny: 'true' }) }), labels, none));
  assert.ok(invocationFor(w, attrs(pods, { operation: 'DELETE', oldObject: obj({ deny: 'true' }) }), labels, none));
  assert.equal(invocationFor(w, attrs(pods, { operation: 'DELETE', oldObject: obj() }), labels, none), undefined);
});

test('a selector that cannot be parsed fails only a webhook whose rules match', () => {
  const w = webhook({ rules: [rule({ resources: ['configmaps'] })], objectSelector: { matchExpressions: [{ key: 'a', operator: 'Near' }] } });
  assert.equal(invocationFor(w, attrs(pods, { object: { metadata: {} } as KubeObject }), () => ({}), () => []), undefined);
  const cm = def('', 'v1', 'configmaps');
  const r = invocationFor(w, attrs(cm, { object: { metadata: {} } as KubeObject }), () => ({}), () => []);
  assert.ok(r instanceof ApiError && r.code === 500);
});

test('matchPolicy Equivalent reaches another version of the same storage; Exact does not', () => {
  assert.deepEqual(equivalentResources(reg, hpaV2).map((d) => `${d.group}/${d.version}`), ['autoscaling/v1']);
  const events = equivalentResources(reg, def('', 'v1', 'events')).map((d) => `${d.group}/${d.version}`);
  assert.deepEqual(events, ['events.k8s.io/v1']);
  const v1Only = { rules: [rule({ apiGroups: ['autoscaling'], apiVersions: ['v1'], resources: ['horizontalpodautoscalers'] })] };
  const eq = () => equivalentResources(reg, hpaV2);
  const inv = invocationFor(webhook(v1Only), attrs(hpaV2), () => ({}), eq);
  assert.ok(inv && !(inv instanceof ApiError));
  assert.equal(inv.def, hpaV1, 'sent as autoscaling/v1');
  assert.equal(invocationFor(webhook({ ...v1Only, matchPolicy: 'Exact' }), attrs(hpaV2), () => ({}), eq), undefined);
  // The object goes in the webhook's version.
  const hpa = { apiVersion: 'autoscaling/v2', kind: 'HorizontalPodAutoscaler', metadata: { name: 'h' },
    spec: { scaleTargetRef: { kind: 'Deployment', name: 'd' }, maxReplicas: 3, metrics: [{ type: 'Resource', resource: { name: 'cpu', target: { type: 'Utilization', averageUtilization: 50 } } }] } } as KubeObject;
  const asV1 = convertObject(hpaV2, hpaV1, hpa);
  assert.equal(asV1.apiVersion, 'autoscaling/v1');
  assert.equal((asV1.spec as { targetCPUUtilizationPercentage?: number }).targetCPUUtilizationPercentage, 50);
});

test('webhook configurations and admission policies are exempt', () => {
  for (const p of ['validatingwebhookconfigurations', 'mutatingwebhookconfigurations', 'validatingadmissionpolicies', 'validatingadmissionpolicybindings']) {
    assert.ok(isExempt(def('admissionregistration.k8s.io', 'v1', p)), p);
  }
  assert.ok(!isExempt(pods));
});

test('compiled webhooks: defaults, uids of repeated names, caBundle decoded', () => {
  const config = {
    metadata: { name: 'cfg' },
    webhooks: [
      { name: 'a.example.com', clientConfig: { service: { namespace: 'ns', name: 'svc' }, caBundle: Buffer.from('PEM').toString('base64') } },
      { name: 'a.example.com', clientConfig: { url: 'https://h/x' }, failurePolicy: 'Ignore', timeoutSeconds: 3, reinvocationPolicy: 'IfNeeded' },
    ],
  } as unknown as KubeObject;
  const [a, b] = compileConfiguration(config, true);
  assert.equal(a!.uid, 'cfg/a.example.com/0');
  assert.equal(b!.uid, 'cfg/a.example.com/1');
  assert.equal(a!.failurePolicy, 'Fail');
  assert.equal(a!.matchPolicy, 'Equivalent');
  assert.equal(a!.timeoutSeconds, 10);
  assert.equal(a!.reinvocationPolicy, 'Never');
  assert.deepEqual(a!.clientConfig, { service: { namespace: 'ns', name: 'svc', path: '', port: 443 }, caBundle: 'PEM' });
  assert.equal(b!.failurePolicy, 'Ignore');
  assert.equal(b!.timeoutSeconds, 3);
  assert.equal(b!.reinvocationPolicy, 'IfNeeded');
});

test('matchConditions: all true to call, one false skips, failures reported', () => {
  const vars = { object: { metadata: { name: 'x', labels: { a: '1' } }, spec: { replicas: 2 } }, oldObject: null, request: { operation: 'CREATE', userInfo: { username: 'jane' } } };
  assert.deepEqual(evaluateMatchConditions([{ name: 'a', expression: "object.metadata.labels['a'] == '1'" }, { name: 'b', expression: 'object.spec.replicas > 1' }], vars), { matches: true });
  assert.deepEqual(evaluateMatchConditions([{ name: 'a', expression: "request.userInfo.username == 'bob'" }, { name: 'b', expression: 'nonsense(' }], vars), { matches: false });
  const r = evaluateMatchConditions([{ name: 'b', expression: 'object.spec.missing == 1' }], vars);
  assert.ok('error' in r && r.error.startsWith("expression 'object.spec.missing == 1' resulted in error: "), JSON.stringify(r));
  assert.deepEqual(evaluateMatchConditions([{ name: 'c', expression: 'oldObject == null' }], vars), { matches: true });
});
