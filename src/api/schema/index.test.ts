import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  acceptsAnything, allKinds, definition, definitionNameForKind, deref, fieldSchema, goTypeName, isMap, itemSchema,
  patchMeta, refName, schemaAtPath, schemaForKind,
} from './index.ts';

test('finds kinds by group, version and kind', () => {
  assert.equal(definitionNameForKind('apps', 'v1', 'Deployment'), 'io.k8s.api.apps.v1.Deployment');
  assert.equal(definitionNameForKind('', 'v1', 'Pod'), 'io.k8s.api.core.v1.Pod');
  assert.equal(definitionNameForKind('apps', 'v1', 'DeleteOptions'), 'io.k8s.apimachinery.pkg.apis.meta.v1.DeleteOptions');
  assert.equal(schemaForKind('', 'v1', 'Nope'), undefined);
  assert.ok(schemaForKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition'));
  assert.ok(allKinds().some((k) => k.group === 'batch' && k.kind === 'CronJob'));
  assert.equal(definition('constructor'), undefined);
});

test('walks fields, items and maps', () => {
  const dep = schemaForKind('apps', 'v1', 'Deployment')!;
  const containers = schemaAtPath(dep, ['spec', 'template', 'spec', 'containers'])!;
  assert.equal(containers.type, 'array');
  assert.deepEqual(patchMeta(containers), { strategies: ['merge'], mergeKey: 'name' });
  assert.equal(refName(itemSchema(containers)), 'io.k8s.api.core.v1.Container');
  assert.equal(schemaAtPath(dep, ['spec', 'template', 'spec', 'containers', 0, 'image'])?.type, 'string');
  assert.equal(schemaAtPath(dep, ['spec', 'foo']), undefined);
  const labels = schemaAtPath(dep, ['metadata', 'labels'])!;
  assert.ok(isMap(labels));
  assert.equal(fieldSchema(labels, 'anything')?.type, 'string');
  assert.deepEqual(patchMeta(schemaAtPath(dep, ['spec', 'strategy'])), { strategies: ['retainKeys'] });
  const volumes = schemaAtPath(dep, ['spec', 'template', 'spec', 'volumes'])!;
  assert.deepEqual(patchMeta(volumes), { strategies: ['merge', 'retainKeys'], mergeKey: 'name' });
  assert.equal(deref(schemaAtPath(dep, ['metadata'])!).properties?.['name']?.type, 'string');
  assert.equal(schemaAtPath(dep, ['spec', 'replicas'])?.format, 'int32');
});

test('opaque types accept anything', () => {
  const cr = schemaForKind('apps', 'v1', 'ControllerRevision')!;
  const data = schemaAtPath(cr, ['data'])!;
  assert.ok(acceptsAnything(data));
  assert.ok(schemaAtPath(cr, ['data', 'any', 'thing', 3, 'x']));
  const mf = schemaAtPath(cr, ['metadata', 'managedFields', 0, 'fieldsV1', 'f:spec'])!;
  assert.ok(acceptsAnything(mf));
  // An empty struct is not opaque: it has no fields at all.
  const crd = schemaForKind('apiextensions.k8s.io', 'v1', 'CustomResourceDefinition')!;
  const status = schemaAtPath(crd, ['spec', 'versions', 0, 'subresources', 'status'])!;
  assert.equal(acceptsAnything(status), false);
  assert.equal(fieldSchema(status, 'x'), undefined);
});

test('generated file keeps structure only', () => {
  const text = readFileSync(new URL('./schemas.generated.json', import.meta.url), 'utf8');
  assert.equal(/"description":"/.test(text), false);
  assert.ok(text.length < 400_000);
  assert.equal(goTypeName('io.k8s.api.core.v1.Container'), 'v1.Container');
});
