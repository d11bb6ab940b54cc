import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';

import { builtinResources, findResource, groupOrder } from './catalog.ts';
import { GROUP_ORDER, RESOURCE_FACTS, groupResourceKey } from './catalog-facts.ts';
import type { ResourceInfo, Verb } from './types.ts';
import { DEFAULT_INPUT, OUTPUT, renderCatalog, type OpenAPI } from '../../scripts/gen-catalog.ts';

const ALL_VERBS: Verb[] = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];
const NO_DELETECOLLECTION: Verb[] = ['create', 'delete', 'get', 'list', 'patch', 'update', 'watch'];
const STATUS_VERBS: Verb[] = ['get', 'patch', 'update'];

function mustFind(group: string, version: string, plural: string): ResourceInfo {
  const r = findResource(group, version, plural);
  assert.ok(r, `${group || 'core'}/${version} ${plural} is in the catalog`);
  return r;
}

function subNames(r: ResourceInfo): string[] {
  return (r.subresources ?? []).map((s) => s.name);
}

// [group, version, plural, kind, scope, subresources] of every resource the issue names.
const EXPECTED: Array<[string, string, string, string, 'Namespaced' | 'Cluster', string[]]> = [
  ['', 'v1', 'namespaces', 'Namespace', 'Cluster', ['finalize', 'status']],
  ['', 'v1', 'pods', 'Pod', 'Namespaced',
    ['attach', 'binding', 'ephemeralcontainers', 'eviction', 'exec', 'log', 'portforward', 'proxy', 'resize', 'status']],
  ['', 'v1', 'services', 'Service', 'Namespaced', ['proxy', 'status']],
  ['', 'v1', 'endpoints', 'Endpoints', 'Namespaced', []],
  ['', 'v1', 'configmaps', 'ConfigMap', 'Namespaced', []],
  ['', 'v1', 'secrets', 'Secret', 'Namespaced', []],
  ['', 'v1', 'serviceaccounts', 'ServiceAccount', 'Namespaced', ['token']],
  ['', 'v1', 'events', 'Event', 'Namespaced', []],
  ['', 'v1', 'persistentvolumeclaims', 'PersistentVolumeClaim', 'Namespaced', ['status']],
  ['', 'v1', 'persistentvolumes', 'PersistentVolume', 'Cluster', ['status']],
  ['', 'v1', 'nodes', 'Node', 'Cluster', ['proxy', 'status']],
  ['', 'v1', 'resourcequotas', 'ResourceQuota', 'Namespaced', ['status']],
  ['', 'v1', 'limitranges', 'LimitRange', 'Namespaced', []],
  ['', 'v1', 'podtemplates', 'PodTemplate', 'Namespaced', []],
  ['', 'v1', 'replicationcontrollers', 'ReplicationController', 'Namespaced', ['scale', 'status']],
  ['', 'v1', 'bindings', 'Binding', 'Namespaced', []],
  ['', 'v1', 'componentstatuses', 'ComponentStatus', 'Cluster', []],
  ['apps', 'v1', 'deployments', 'Deployment', 'Namespaced', ['scale', 'status']],
  ['apps', 'v1', 'replicasets', 'ReplicaSet', 'Namespaced', ['scale', 'status']],
  ['apps', 'v1', 'statefulsets', 'StatefulSet', 'Namespaced', ['scale', 'status']],
  ['apps', 'v1', 'daemonsets', 'DaemonSet', 'Namespaced', ['status']],
  ['apps', 'v1', 'controllerrevisions', 'ControllerRevision', 'Namespaced', []],
  ['batch', 'v1', 'jobs', 'Job', 'Namespaced', ['status']],
  ['batch', 'v1', 'cronjobs', 'CronJob', 'Namespaced', ['status']],
  ['autoscaling', 'v1', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', 'Namespaced', ['status']],
  ['autoscaling', 'v2', 'horizontalpodautoscalers', 'HorizontalPodAutoscaler', 'Namespaced', ['status']],
  ['policy', 'v1', 'poddisruptionbudgets', 'PodDisruptionBudget', 'Namespaced', ['status']],
  ['rbac.authorization.k8s.io', 'v1', 'roles', 'Role', 'Namespaced', []],
  ['rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', 'Namespaced', []],
  ['rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', 'Cluster', []],
  ['rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', 'Cluster', []],
  ['coordination.k8s.io', 'v1', 'leases', 'Lease', 'Namespaced', []],
  ['discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', 'Namespaced', []],
  ['networking.k8s.io', 'v1', 'ingresses', 'Ingress', 'Namespaced', ['status']],
  ['networking.k8s.io', 'v1', 'ingressclasses', 'IngressClass', 'Cluster', []],
  ['networking.k8s.io', 'v1', 'networkpolicies', 'NetworkPolicy', 'Namespaced', []],
  ['storage.k8s.io', 'v1', 'storageclasses', 'StorageClass', 'Cluster', []],
  ['storage.k8s.io', 'v1', 'csidrivers', 'CSIDriver', 'Cluster', []],
  ['storage.k8s.io', 'v1', 'csinodes', 'CSINode', 'Cluster', []],
  ['storage.k8s.io', 'v1', 'volumeattachments', 'VolumeAttachment', 'Cluster', ['status']],
  ['scheduling.k8s.io', 'v1', 'priorityclasses', 'PriorityClass', 'Cluster', []],
  ['node.k8s.io', 'v1', 'runtimeclasses', 'RuntimeClass', 'Cluster', []],
  ['events.k8s.io', 'v1', 'events', 'Event', 'Namespaced', []],
  ['admissionregistration.k8s.io', 'v1', 'mutatingwebhookconfigurations', 'MutatingWebhookConfiguration', 'Cluster', []],
  ['admissionregistration.k8s.io', 'v1', 'validatingwebhookconfigurations', 'ValidatingWebhookConfiguration', 'Cluster', []],
  ['admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicies', 'ValidatingAdmissionPolicy', 'Cluster', ['status']],
  ['admissionregistration.k8s.io', 'v1', 'validatingadmissionpolicybindings', 'ValidatingAdmissionPolicyBinding', 'Cluster', []],
  ['certificates.k8s.io', 'v1', 'certificatesigningrequests', 'CertificateSigningRequest', 'Cluster', ['approval', 'status']],
  ['flowcontrol.apiserver.k8s.io', 'v1', 'flowschemas', 'FlowSchema', 'Cluster', ['status']],
  ['flowcontrol.apiserver.k8s.io', 'v1', 'prioritylevelconfigurations', 'PriorityLevelConfiguration', 'Cluster', ['status']],
  ['authentication.k8s.io', 'v1', 'selfsubjectreviews', 'SelfSubjectReview', 'Cluster', []],
  ['authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', 'Cluster', []],
  ['authorization.k8s.io', 'v1', 'subjectaccessreviews', 'SubjectAccessReview', 'Cluster', []],
  ['authorization.k8s.io', 'v1', 'selfsubjectaccessreviews', 'SelfSubjectAccessReview', 'Cluster', []],
  ['authorization.k8s.io', 'v1', 'selfsubjectrulesreviews', 'SelfSubjectRulesReview', 'Cluster', []],
  ['authorization.k8s.io', 'v1', 'localsubjectaccessreviews', 'LocalSubjectAccessReview', 'Namespaced', []],
  ['apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', 'Cluster', ['status']],
  ['apiregistration.k8s.io', 'v1', 'apiservices', 'APIService', 'Cluster', ['status']],
];

test('the catalog holds every resource the issue names, with kind, list kind, scope and subresources', () => {
  for (const [group, version, plural, kind, scope, subs] of EXPECTED) {
    const r = mustFind(group, version, plural);
    const what = `${group || 'core'}/${version} ${plural}`;
    assert.equal(r.group, group, what);
    assert.equal(r.version, version, what);
    assert.equal(r.plural, plural, what);
    assert.equal(r.kind, kind, what);
    assert.equal(r.listKind, `${kind}List`, what);
    assert.equal(r.scope, scope, what);
    assert.equal(r.singular, kind.toLowerCase(), what);
    assert.deepEqual(subNames(r), subs, what);
  }
});

test('verbs are those a real cluster lists in discovery', () => {
  const expectVerbs = (group: string, version: string, plural: string, verbs: Verb[]): void => {
    assert.deepEqual(mustFind(group, version, plural).verbs, verbs, `${group || 'core'}/${version} ${plural}`);
  };
  expectVerbs('', 'v1', 'pods', ALL_VERBS);
  expectVerbs('', 'v1', 'configmaps', ALL_VERBS);
  expectVerbs('', 'v1', 'namespaces', NO_DELETECOLLECTION);
  expectVerbs('', 'v1', 'bindings', ['create']);
  expectVerbs('', 'v1', 'componentstatuses', ['get', 'list']);
  expectVerbs('apps', 'v1', 'deployments', ALL_VERBS);
  expectVerbs('rbac.authorization.k8s.io', 'v1', 'clusterroles', ALL_VERBS);
  expectVerbs('events.k8s.io', 'v1', 'events', ALL_VERBS);
  for (const plural of ['selfsubjectaccessreviews', 'selfsubjectrulesreviews', 'subjectaccessreviews', 'localsubjectaccessreviews']) {
    expectVerbs('authorization.k8s.io', 'v1', plural, ['create']);
  }
  expectVerbs('authentication.k8s.io', 'v1', 'tokenreviews', ['create']);
  expectVerbs('authentication.k8s.io', 'v1', 'selfsubjectreviews', ['create']);

  // Verbs are sorted, as discovery sorts them.
  for (const r of builtinResources()) {
    assert.deepEqual(r.verbs, [...r.verbs].sort(), `${r.group}/${r.version} ${r.plural}`);
    for (const s of r.subresources ?? []) assert.deepEqual(s.verbs, [...s.verbs].sort(), `${r.plural}/${s.name}`);
  }
});

test('subresources report their response kind, group, version and verbs', () => {
  const sub = (group: string, version: string, plural: string, name: string) => {
    const s = mustFind(group, version, plural).subresources?.find((x) => x.name === name);
    assert.ok(s, `${plural}/${name}`);
    return s;
  };
  for (const plural of ['deployments', 'replicasets', 'statefulsets']) {
    assert.deepEqual(sub('apps', 'v1', plural, 'scale'),
      { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS });
  }
  assert.deepEqual(sub('', 'v1', 'replicationcontrollers', 'scale'),
    { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: STATUS_VERBS });
  assert.deepEqual(sub('apps', 'v1', 'deployments', 'status'), { name: 'status', kind: 'Deployment', verbs: STATUS_VERBS });

  assert.deepEqual(sub('', 'v1', 'pods', 'status'), { name: 'status', kind: 'Pod', verbs: STATUS_VERBS });
  assert.deepEqual(sub('', 'v1', 'pods', 'log'), { name: 'log', kind: 'Pod', verbs: ['get'] });
  assert.deepEqual(sub('', 'v1', 'pods', 'exec'), { name: 'exec', kind: 'PodExecOptions', verbs: ['create', 'get'] });
  assert.deepEqual(sub('', 'v1', 'pods', 'attach'), { name: 'attach', kind: 'PodAttachOptions', verbs: ['create', 'get'] });
  assert.deepEqual(sub('', 'v1', 'pods', 'portforward'),
    { name: 'portforward', kind: 'PodPortForwardOptions', verbs: ['create', 'get'] });
  assert.deepEqual(sub('', 'v1', 'pods', 'proxy'),
    { name: 'proxy', kind: 'PodProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  assert.deepEqual(sub('', 'v1', 'pods', 'binding'), { name: 'binding', kind: 'Binding', verbs: ['create'] });
  assert.deepEqual(sub('', 'v1', 'pods', 'eviction'),
    { name: 'eviction', kind: 'Eviction', group: 'policy', version: 'v1', verbs: ['create'] });
  assert.deepEqual(sub('', 'v1', 'pods', 'ephemeralcontainers'), { name: 'ephemeralcontainers', kind: 'Pod', verbs: STATUS_VERBS });
  assert.deepEqual(sub('', 'v1', 'pods', 'resize'), { name: 'resize', kind: 'Pod', verbs: STATUS_VERBS });
  assert.deepEqual(sub('', 'v1', 'serviceaccounts', 'token'),
    { name: 'token', kind: 'TokenRequest', group: 'authentication.k8s.io', version: 'v1', verbs: ['create'] });
  assert.deepEqual(sub('', 'v1', 'namespaces', 'finalize'), { name: 'finalize', kind: 'Namespace', verbs: ['update'] });
  assert.deepEqual(sub('', 'v1', 'nodes', 'proxy'),
    { name: 'proxy', kind: 'NodeProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  assert.deepEqual(sub('', 'v1', 'services', 'proxy'),
    { name: 'proxy', kind: 'ServiceProxyOptions', verbs: ['create', 'delete', 'get', 'patch', 'update'] });
  assert.deepEqual(sub('certificates.k8s.io', 'v1', 'certificatesigningrequests', 'approval'),
    { name: 'approval', kind: 'CertificateSigningRequest', verbs: STATUS_VERBS });
});

test('short names are those kubectl api-resources prints', () => {
  const expected: Record<string, string[]> = {
    'componentstatuses': ['cs'],
    'configmaps': ['cm'],
    'endpoints': ['ep'],
    'events': ['ev'],
    'limitranges': ['limits'],
    'namespaces': ['ns'],
    'nodes': ['no'],
    'persistentvolumeclaims': ['pvc'],
    'persistentvolumes': ['pv'],
    'pods': ['po'],
    'replicationcontrollers': ['rc'],
    'resourcequotas': ['quota'],
    'serviceaccounts': ['sa'],
    'services': ['svc'],
    'customresourcedefinitions.apiextensions.k8s.io': ['crd', 'crds'],
    'daemonsets.apps': ['ds'],
    'deployments.apps': ['deploy'],
    'replicasets.apps': ['rs'],
    'statefulsets.apps': ['sts'],
    'horizontalpodautoscalers.autoscaling': ['hpa'],
    'cronjobs.batch': ['cj'],
    'certificatesigningrequests.certificates.k8s.io': ['csr'],
    'events.events.k8s.io': ['ev'],
    'ingresses.networking.k8s.io': ['ing'],
    'ipaddresses.networking.k8s.io': ['ip'],
    'networkpolicies.networking.k8s.io': ['netpol'],
    'poddisruptionbudgets.policy': ['pdb'],
    'priorityclasses.scheduling.k8s.io': ['pc'],
    'storageclasses.storage.k8s.io': ['sc'],
    'volumeattributesclasses.storage.k8s.io': ['vac'],
  };
  for (const r of builtinResources()) {
    const key = groupResourceKey(r.group, r.plural);
    assert.deepEqual(r.shortNames, expected[key], `${r.group}/${r.version} ${r.plural}`);
  }
  // Every short name is unique across groups, except the events pair (one resource).
  const seen = new Map<string, string>();
  for (const r of builtinResources()) {
    for (const s of r.shortNames ?? []) {
      const prev = seen.get(s);
      if (prev !== undefined && prev !== r.plural) assert.fail(`short name ${s} on ${prev} and ${r.plural}`);
      seen.set(s, r.plural);
    }
  }
});

test('categories: all and api-extensions', () => {
  const all = ['pods', 'services', 'replicationcontrollers', 'deployments.apps', 'replicasets.apps', 'statefulsets.apps',
    'daemonsets.apps', 'jobs.batch', 'cronjobs.batch', 'horizontalpodautoscalers.autoscaling'];
  const apiExtensions = ['customresourcedefinitions.apiextensions.k8s.io', 'apiservices.apiregistration.k8s.io',
    'mutatingwebhookconfigurations.admissionregistration.k8s.io', 'validatingwebhookconfigurations.admissionregistration.k8s.io',
    'validatingadmissionpolicies.admissionregistration.k8s.io', 'validatingadmissionpolicybindings.admissionregistration.k8s.io',
    'mutatingadmissionpolicies.admissionregistration.k8s.io', 'mutatingadmissionpolicybindings.admissionregistration.k8s.io'];
  for (const r of builtinResources()) {
    const key = groupResourceKey(r.group, r.plural);
    const want = all.includes(key) ? ['all'] : apiExtensions.includes(key) ? ['api-extensions'] : undefined;
    assert.deepEqual(r.categories, want, `${r.group}/${r.version} ${r.plural}`);
  }
  assert.deepEqual(findResource('autoscaling', 'v1', 'horizontalpodautoscalers')?.categories, ['all']);
  assert.deepEqual(findResource('autoscaling', 'v2', 'horizontalpodautoscalers')?.categories, ['all']);
});

test('groups are in discovery order with their preferred versions', () => {
  const groups = groupOrder();
  assert.deepEqual(groups.map((g) => g.group), [
    '', 'apiregistration.k8s.io', 'apps', 'events.k8s.io', 'authentication.k8s.io', 'authorization.k8s.io',
    'autoscaling', 'batch', 'certificates.k8s.io', 'networking.k8s.io', 'policy', 'rbac.authorization.k8s.io',
    'storage.k8s.io', 'admissionregistration.k8s.io', 'apiextensions.k8s.io', 'scheduling.k8s.io',
    'coordination.k8s.io', 'node.k8s.io', 'discovery.k8s.io', 'resource.k8s.io', 'flowcontrol.apiserver.k8s.io',
  ]);
  const autoscaling = groups.find((g) => g.group === 'autoscaling');
  assert.deepEqual(autoscaling, { group: 'autoscaling', versions: ['v2', 'v1'], preferredVersion: 'v2' });
  for (const g of groups) {
    assert.ok(g.versions.includes(g.preferredVersion), g.group);
    if (g.group !== 'autoscaling') assert.deepEqual(g.versions, ['v1'], g.group);
  }
  // A copy each time.
  groups[0]!.versions.push('v9');
  assert.deepEqual(groupOrder()[0]!.versions, ['v1']);
});

test('resources follow group order, versions by preference, names alphabetically', () => {
  const resources = builtinResources();
  const order = groupOrder();
  const rank = (r: ResourceInfo): [number, number] => {
    const gi = order.findIndex((g) => g.group === r.group);
    assert.ok(gi >= 0, r.group);
    return [gi, order[gi]!.versions.indexOf(r.version)];
  };
  for (let i = 1; i < resources.length; i++) {
    const a = resources[i - 1]!;
    const b = resources[i]!;
    const [ga, va] = rank(a);
    const [gb, vb] = rank(b);
    const ok = ga < gb || (ga === gb && (va < vb || (va === vb && a.plural < b.plural)));
    assert.ok(ok, `${a.group}/${a.version} ${a.plural} before ${b.group}/${b.version} ${b.plural}`);
  }
  assert.equal(resources[0]!.plural, 'bindings');
  assert.equal(resources.at(-1)!.plural, 'prioritylevelconfigurations');
  // Subresources of each resource are alphabetical too.
  for (const r of resources) assert.deepEqual(subNames(r), [...subNames(r)].sort(), r.plural);
});

test('shared storage: autoscaling v1/v2 HPAs, and core/v1 with events.k8s.io/v1 events', () => {
  const hpa = { group: 'autoscaling', resource: 'horizontalpodautoscalers' };
  assert.deepEqual(findResource('autoscaling', 'v1', 'horizontalpodautoscalers')?.storage, hpa);
  assert.deepEqual(findResource('autoscaling', 'v2', 'horizontalpodautoscalers')?.storage, hpa);
  const events = { group: '', resource: 'events' };
  assert.deepEqual(findResource('', 'v1', 'events')?.storage, events);
  assert.deepEqual(findResource('events.k8s.io', 'v1', 'events')?.storage, events);
  const shared = builtinResources().filter((r) => r.storage).map((r) => `${r.group}/${r.version}/${r.plural}`);
  assert.deepEqual(shared.sort(), [
    '/v1/events', 'autoscaling/v1/horizontalpodautoscalers', 'autoscaling/v2/horizontalpodautoscalers', 'events.k8s.io/v1/events',
  ]);
});

test('every generated resource has discovery facts, and every fact belongs to a resource', () => {
  const keys = new Set<string>();
  for (const r of builtinResources()) {
    const key = groupResourceKey(r.group, r.plural);
    keys.add(key);
    assert.ok(RESOURCE_FACTS[key], `facts for ${key}`);
    assert.equal(RESOURCE_FACTS[key]!.singular, r.kind.toLowerCase(), key);
  }
  assert.deepEqual(Object.keys(RESOURCE_FACTS).filter((k) => !keys.has(k)), []);
  // Every group/version of the facts is in the generated catalog (resource.k8s.io/v1 included).
  for (const g of GROUP_ORDER) {
    for (const v of g.versions) assert.ok(builtinResources().some((r) => r.group === g.group && r.version === v), `${g.group}/${v}`);
  }
});

test('findResource', () => {
  assert.equal(findResource('', 'v1', 'deployments'), undefined);
  assert.equal(findResource('apps', 'v2', 'deployments'), undefined);
  assert.equal(findResource('apps', 'v1', 'deployments/scale'), undefined);
  assert.equal(findResource('apps', 'v1', 'deployments')?.kind, 'Deployment');
  assert.equal(findResource('resource.k8s.io', 'v1', 'resourceslices')?.scope, 'Cluster');
  // The catalog's objects are frozen: callers copy before changing.
  const pods = mustFind('', 'v1', 'pods');
  assert.ok(Object.isFrozen(pods));
  assert.ok(Object.isFrozen(pods.verbs));
  assert.throws(() => { (pods.verbs as Verb[]).push('get'); });
  assert.equal(builtinResources().length, 68);
});

test('catalog.generated.json is what scripts/gen-catalog.ts derives from the OpenAPI document', (t) => {
  if (!existsSync(DEFAULT_INPUT)) {
    t.skip(`no ${DEFAULT_INPUT}`);
    return;
  }
  const doc = JSON.parse(readFileSync(DEFAULT_INPUT, 'utf8')) as OpenAPI;
  assert.equal(renderCatalog(doc), readFileSync(OUTPUT, 'utf8'), 'run `npx node scripts/gen-catalog.ts`');
});
