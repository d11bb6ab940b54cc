import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../api/types.ts';
import type { ResourceInfo } from '../types.ts';
import { messages, runCreate, runUpdate } from '../strategies/testing.ts';
import { crdNamesConflict, resourceDefsForCRD } from './index.ts';
import { clone, cronTabCRD } from './testing.ts';

function twoVersions(): KubeObject {
  const crd = cronTabCRD();
  const spec = crd.spec as any;
  spec.names.categories = ['all'];
  const v1 = spec.versions[0];
  v1.subresources = { status: {}, scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } };
  v1.schema.openAPIV3Schema.properties.spec.properties.replicas.default = 1;
  v1.schema.openAPIV3Schema.properties.status.properties.selector = { type: 'string' };
  v1.selectableFields = [{ jsonPath: '.spec.image' }];
  spec.versions.unshift({
    name: 'v1beta1', served: true, storage: false,
    schema: { openAPIV3Schema: { type: 'object', properties: { spec: { type: 'object', properties: { cronSpec: { type: 'string' }, legacy: { type: 'string', default: 'yes' } } }, status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } } } },
    additionalPrinterColumns: [{ name: 'Schedule', type: 'string', jsonPath: '.spec.cronSpec' }],
  });
  spec.versions.push({ name: 'v0', served: false, storage: false, schema: clone(v1.schema) });
  return crd;
}

test('one ResourceDef per served version, sharing storage', () => {
  const defs = resourceDefsForCRD(twoVersions());
  assert.deepEqual(defs.map((d) => d.version), ['v1beta1', 'v1']);
  const [beta, v1] = defs as [typeof defs[0], typeof defs[0]];
  for (const d of defs) {
    assert.equal(d.group, 'stable.example.com');
    assert.equal(d.kind, 'CronTab');
    assert.equal(d.listKind, 'CronTabList');
    assert.equal(d.plural, 'crontabs');
    assert.equal(d.singular, 'crontab');
    assert.equal(d.scope, 'Namespaced');
    assert.deepEqual(d.shortNames, ['ct']);
    assert.deepEqual(d.categories, ['all']);
    assert.deepEqual(d.verbs, ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']);
    assert.deepEqual(d.storage, { group: 'stable.example.com', resource: 'crontabs' });
    assert.equal(d.conversion?.storageVersion, 'stable.example.com/v1');
  }
  assert.equal(beta.subresources, undefined);
  assert.deepEqual(v1.subresources, [
    { name: 'scale', kind: 'Scale', group: 'autoscaling', version: 'v1', verbs: ['get', 'patch', 'update'] },
    { name: 'status', kind: 'CronTab', verbs: ['get', 'patch', 'update'] },
  ]);
  const { onRead: readV1, ...v1Facts } = v1.custom!;
  const { onRead: readBeta, ...betaFacts } = beta.custom!;
  assert.deepEqual(v1Facts, { crdName: 'crontabs.stable.example.com', scale: { specReplicasPath: '.spec.replicas', statusReplicasPath: '.status.replicas', labelSelectorPath: '.status.selector' } });
  assert.deepEqual(betaFacts, { crdName: 'crontabs.stable.example.com' });
  assert.equal(typeof readV1, 'function');
  assert.equal(typeof readBeta, 'function');
  assert.deepEqual(Object.keys(v1.fieldSelectors!), ['metadata.name', 'metadata.namespace', 'spec.image']);
  assert.equal(v1.fieldSelectors!['spec.image']!({ metadata: {}, spec: { image: 'nginx' } } as KubeObject), 'nginx');
  assert.equal(v1.fieldSelectors!['spec.image']!({ metadata: {} } as KubeObject), '');
  assert.deepEqual(beta.table!.columns.map((c) => c.name), ['Name', 'Schedule']);
  assert.deepEqual(v1.table!.columns.map((c) => c.name), ['Name', 'Age']);
  assert.deepEqual(Object.keys(v1.schema!()!.properties!).sort(), ['apiVersion', 'kind', 'metadata', 'spec', 'status']);
  assert.deepEqual(v1.schema!()!.gvk, [{ group: 'stable.example.com', version: 'v1', kind: 'CronTab' }]);
});

test('conversion None: apiVersion changes, then the target version prunes and defaults', () => {
  const [beta] = resourceDefsForCRD(twoVersions());
  const c = beta!.conversion!;
  const stored = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'a' }, spec: { cronSpec: '* * * * *', image: 'x', replicas: 2 } } as KubeObject;
  assert.deepEqual(c.convert(stored, 'stable.example.com/v1beta1'), {
    apiVersion: 'stable.example.com/v1beta1', kind: 'CronTab', metadata: { name: 'a' }, spec: { cronSpec: '* * * * *', legacy: 'yes' },
  });
  assert.equal(c.convert(stored, 'stable.example.com/v1'), stored);
  assert.equal(stored.spec && (stored.spec as any).image, 'x');
});

test('the strategy: defaults, status reset with the status subresource, generation', () => {
  const [beta, v1] = resourceDefsForCRD(twoVersions()) as [ReturnType<typeof resourceDefsForCRD>[0], ReturnType<typeof resourceDefsForCRD>[0]];
  const input = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'a', namespace: 'ns' }, spec: { image: 'x', junk: 1 }, status: { replicas: 5 } };
  const created = runCreate(v1.strategy, input);
  assert.deepEqual(messages(created.errors), []);
  assert.deepEqual(created.obj.spec, { image: 'x', replicas: 1 });
  assert.equal(created.obj.status, undefined);
  assert.equal(created.obj.metadata.generation, 1);
  assert.deepEqual(v1.strategy.specFields, ['spec']);

  const sameSpec = runUpdate(v1.strategy, { ...clone(created.obj), status: { replicas: 3 } }, created.obj);
  assert.equal(sameSpec.obj.metadata.generation, 1);
  assert.equal(sameSpec.obj.status, undefined);
  const changed = runUpdate(v1.strategy, { ...clone(created.obj), spec: { image: 'y' } }, created.obj);
  assert.equal(changed.obj.metadata.generation, 2);
  assert.deepEqual(changed.obj.spec, { image: 'y', replicas: 1 });

  // Without a status subresource, a status change is a change too.
  const b = runCreate(beta.strategy, { ...input, apiVersion: 'stable.example.com/v1beta1', spec: { cronSpec: 'x' } });
  const bStatus = runUpdate(beta.strategy, { ...clone(b.obj), status: { anything: 1 } }, b.obj);
  assert.equal(bStatus.obj.metadata.generation, 2);

  const invalid = runCreate(v1.strategy, { ...input, metadata: { name: 'a' }, spec: { replicas: 'x' } });
  assert.deepEqual(messages(invalid.errors), [
    'metadata.namespace: Required value',
    'spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"',
    '.spec.replicas: Invalid value: 0: .spec.replicas accessor error: x is of the type string, expected int64',
  ]);
});

test('cluster-scoped CRDs have no namespace field selector', () => {
  const crd = cronTabCRD();
  (crd.spec as any).scope = 'Cluster';
  const [d] = resourceDefsForCRD(crd);
  assert.equal(d!.scope, 'Cluster');
  assert.deepEqual(Object.keys(d!.fieldSelectors!), ['metadata.name']);
});

function crdNamed(plural: string, kind: string, extra: Record<string, unknown> = {}): KubeObject {
  const crd = cronTabCRD();
  crd.metadata.name = `${plural}.stable.example.com`;
  (crd.spec as any).names = { plural, singular: kind.toLowerCase(), kind, listKind: `${kind}List`, ...extra };
  return crd;
}

test('names: accepted without conflicts, refused with upstream reasons', () => {
  const a = crdNamed('crontabs', 'CronTab', { shortNames: ['ct'] });
  assert.deepEqual(crdNamesConflict(a, [], []), {
    accepted: true, reason: 'NoConflicts', message: 'no conflicts found',
    acceptedNames: { plural: 'crontabs', singular: 'crontab', shortNames: ['ct'], kind: 'CronTab', listKind: 'CronTabList', categories: [] },
  });
  const samePlural = crdNamed('crontabs', 'Other');
  samePlural.metadata.name = 'crontabs.stable.example.com-2';
  assert.deepEqual(pick(crdNamesConflict(samePlural, [a], [])), { accepted: false, reason: 'PluralConflict', message: '"crontabs" is already in use' });
  assert.deepEqual(pick(crdNamesConflict(crdNamed('other', 'Other', { shortNames: ['ct', 'crontab'] }), [a], [])), {
    accepted: false, reason: 'ShortNamesConflict', message: '["ct" is already in use, "crontab" is already in use]',
  });
  // Later conflicts decide the reason.
  assert.deepEqual(pick(crdNamesConflict(crdNamed('crontab', 'CronTab'), [a], [])), { accepted: false, reason: 'ListKindConflict', message: '"CronTabList" is already in use' });
  // Other groups do not conflict.
  const elsewhere = crdNamed('crontabs', 'CronTab');
  (elsewhere.spec as any).group = 'other.example.com';
  assert.equal(crdNamesConflict(elsewhere, [a], []).accepted, true);
  // Built-in resources of the group keep their names.
  const builtin: ResourceInfo = { group: 'stable.example.com', version: 'v1', kind: 'Job', listKind: 'JobList', plural: 'jobs', singular: 'job', scope: 'Namespaced', verbs: [] };
  assert.deepEqual(pick(crdNamesConflict(crdNamed('jobs', 'Work'), [], [builtin])), { accepted: false, reason: 'PluralConflict', message: '"jobs" is already in use' });
});

function pick(v: { accepted: boolean; reason: string; message: string }) {
  return { accepted: v.accepted, reason: v.reason, message: v.message };
}

test('versions: priority order, storage/served, deprecation warnings', async () => {
  const { compareVersionPriority, deprecationWarningFor, servedVersionsOf, storageVersionOf } = await import('./index.ts');
  assert.deepEqual(['v1alpha1', 'foo', 'v2beta1', 'v1', 'v2', 'v10', 'v1beta2', 'bar'].sort(compareVersionPriority),
    ['v10', 'v2', 'v1', 'v2beta1', 'v1beta2', 'v1alpha1', 'bar', 'foo']);
  const crd = twoVersions();
  assert.equal(storageVersionOf(crd), 'v1');
  assert.deepEqual(servedVersionsOf(crd), ['v1beta1', 'v1']);
  const spec = crd.spec as any;
  assert.equal(deprecationWarningFor(crd, 'v1beta1'), undefined);
  spec.versions[0].deprecated = true;
  assert.equal(deprecationWarningFor(crd, 'v1beta1'), 'stable.example.com/v1beta1 CronTab is deprecated; use stable.example.com/v1 CronTab');
  spec.versions[0].deprecationWarning = 'going away';
  assert.equal(deprecationWarningFor(crd, 'v1beta1'), 'going away');
  spec.versions[1].deprecated = true;
  assert.equal(deprecationWarningFor(crd, 'v1'), 'stable.example.com/v1 CronTab is deprecated');
});

test('the old object is compared as read (defaulted): a new schema default does not bump generation', () => {
  const [, v1] = resourceDefsForCRD(twoVersions());
  const stored = { apiVersion: 'stable.example.com/v1', kind: 'CronTab', metadata: { name: 'a', namespace: 'ns', generation: 4, uid: 'u', creationTimestamp: '2024-01-01T00:00:00Z' }, spec: { image: 'x' } } as KubeObject;
  const r = runUpdate(v1!.strategy, clone(stored), stored);
  assert.deepEqual(messages(r.errors), []);
  assert.deepEqual(r.obj.spec, { image: 'x', replicas: 1 });
  assert.equal(r.obj.metadata.generation, 4);
});
