import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { KubeObject } from '../../../../api/types.ts';
import { builtinRegistry } from '../../../../registry/builtin.ts';
import type { ResourceDef } from '../../../../registry/types.ts';
import { evaluate } from '../cel.ts';
import { compileMutatingPolicy } from './compile.ts';
import { applyConfiguration, applyPatch, jsonPatchOf, MutationFailure } from './patch.ts';

const reg = builtinRegistry();
const deployments = reg.find('apps', 'v1', 'deployments') as ResourceDef;
await deployments.loadBehaviour?.();
const GVK = 'apps/v1, Kind=Deployment';

function deployment(): KubeObject {
  return {
    apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'default', labels: { app: 'web' } },
    spec: {
      replicas: 1, selector: { matchLabels: { app: 'web' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: { containers: [{ name: 'a', image: 'a:1', args: ['x'] }, { name: 'b', image: 'b:1', env: [{ name: 'E', value: '1' }] }] },
      },
    },
  } as unknown as KubeObject;
}

/** The value of a mutation's expression for `object`. */
function value(expr: string, object: KubeObject = deployment()): unknown {
  const p = compileMutatingPolicy({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'p' },
    spec: { mutations: [{ patchType: 'ApplyConfiguration', applyConfiguration: { expression: expr } }] },
  } as unknown as KubeObject);
  const e = p.mutations[0]!.expression;
  assert.equal(e.error, undefined, e.error);
  return evaluate(e, { object: JSON.parse(JSON.stringify(object)), oldObject: null, request: {}, namespaceObject: null, authorizer: null, variables: {} });
}

const apply = (expr: string, obj = deployment()) => applyConfiguration(obj, deployments.schema?.(), GVK, value(expr, obj));

test('ApplyConfiguration: maps merge, map-list items merge by key, what is set wins', () => {
  const out = apply(`Object{
    metadata: Object.metadata{labels: {"injected": "yes"}},
    spec: Object.spec{replicas: 3, template: Object.spec.template{spec: Object.spec.template.spec{
      containers: [Object.spec.template.spec.containers{name: "b", image: "b:2", env: [Object.spec.template.spec.containers.env{name: "F", value: "2"}]}]
    }}}
  }`) as unknown as { metadata: { labels: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: Array<Record<string, unknown>> } } } };
  assert.deepEqual(out.metadata.labels, { app: 'web', injected: 'yes' });
  assert.equal(out.spec.replicas, 3);
  assert.deepEqual(out.spec.template.spec.containers, [
    { name: 'a', image: 'a:1', args: ['x'] },
    { name: 'b', image: 'b:2', env: [{ name: 'E', value: '1' }, { name: 'F', value: '2' }] },
  ]);
});

test('ApplyConfiguration: a new map-list item is appended; an absent map is created', () => {
  const obj = deployment();
  delete (obj.metadata as { labels?: unknown }).labels;
  const out = apply(`Object{metadata: Object.metadata{labels: {"a": "b"}}, spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{
    containers: [Object.spec.template.spec.containers{name: "sidecar", image: "s:1"}]}}}}`, obj) as unknown as {
    metadata: { labels: Record<string, string> }; spec: { template: { spec: { containers: Array<{ name: string }> } } } };
  assert.deepEqual(out.metadata.labels, { a: 'b' });
  assert.deepEqual(out.spec.template.spec.containers.map((c) => c.name), ['a', 'b', 'sidecar']);
});

test('ApplyConfiguration: atomic lists, maps and structs may not be set (upstream refuses them)', () => {
  assert.throws(() => apply(`Object{spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{
    containers: [Object.spec.template.spec.containers{name: "a", args: ["y"]}]}}}}`),
  (e: Error) => e instanceof MutationFailure && e.message === 'error applying patch: invalid ApplyConfiguration: may not mutate atomic arrays, maps or structs: .spec.template.spec.containers[0].args');
  assert.throws(() => apply('Object{spec: Object.spec{selector: Object.spec.selector{matchLabels: {"x": "y"}}}}'),
    /may not mutate atomic arrays, maps or structs: \.spec\.selector$/);
});

test('ApplyConfiguration: type errors, unknown fields and type name mismatches in upstream words', () => {
  assert.throws(() => apply('Object{spec: Object.spec{replicas: "three"}}'),
    (e: Error) => e.message === 'error applying patch: failed to convert patch object to typed object: .spec.replicas: expected numeric (int or float), got string');
  assert.throws(() => apply('Object{spec: Object.spec{nope: 1}}'),
    (e: Error) => e.message === 'error applying patch: failed to convert patch object to typed object: .spec.nope: field not declared in schema');
  assert.throws(() => apply('Object{spec: Object.spec{template: Object.spec.wrong{}}}'),
    (e: Error) => e.message === 'type mismatch: unexpected type name "Object.spec.wrong", expected "Object.spec.template", which matches field name path from root Object type');
  assert.throws(() => applyConfiguration(deployment(), deployments.schema?.(), GVK, 1n), (e: Error) => e.message === 'must evaluate to Object but got int');
  assert.throws(() => applyConfiguration(deployment(), undefined, '/v1, Kind=PodExecOptions', value('Object{}')),
    (e: Error) => e.message === 'error applying patch: failed to convert patch object to typed object: no corresponding type for /v1, Kind=PodExecOptions');
});

function patchValue(expr: string, object: KubeObject = deployment()): unknown {
  const p = compileMutatingPolicy({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'p' },
    spec: { mutations: [{ patchType: 'JSONPatch', jsonPatch: { expression: expr } }] },
  } as unknown as KubeObject);
  return evaluate(p.mutations[0]!.expression, { object: JSON.parse(JSON.stringify(object)) });
}

test('JSONPatch: operations in order, JSON pointer escaping, atomic lists replaced', () => {
  const patch = jsonPatchOf(patchValue(`[
    JSONPatch{op: "add", path: "/metadata/labels/" + jsonpatch.escapeKey("example.com/team"), value: "a"},
    JSONPatch{op: "replace", path: "/spec/replicas", value: 5},
    JSONPatch{op: "replace", path: "/spec/template/spec/containers/0/args", value: ["y", "z"]},
    JSONPatch{op: "copy", from: "/spec/template/spec/containers/0/image", path: "/metadata/labels/image"},
    JSONPatch{op: "remove", path: "/metadata/labels/app"},
  ]`));
  assert.deepEqual(patch[0], { op: 'add', path: '/metadata/labels/example.com~1team', value: 'a' });
  const out = applyPatch(deployment(), patch) as unknown as { metadata: { labels: Record<string, string> }; spec: { replicas: number; template: { spec: { containers: Array<{ args?: string[] }> } } } };
  assert.deepEqual(out.metadata.labels, { 'example.com/team': 'a', image: 'a:1' });
  assert.equal(out.spec.replicas, 5);
  assert.deepEqual(out.spec.template.spec.containers[0]!.args, ['y', 'z']);
});

test('JSONPatch: a failed test leaves the object; other failures in upstream words', () => {
  const failedTest = jsonPatchOf(patchValue('[JSONPatch{op: "test", path: "/spec/replicas", value: 9}, JSONPatch{op: "replace", path: "/spec/replicas", value: 5}]'));
  assert.equal(applyPatch(deployment(), failedTest), undefined);
  assert.throws(() => applyPatch(deployment(), jsonPatchOf(patchValue('[JSONPatch{op: "replace", path: "/spec/nothing/x", value: 1}]'))),
    (e: Error) => e instanceof MutationFailure && /^JSON Patch: replace operation does not apply: doc is missing path: /.test(e.message));
  // An Object value in a patch follows the type-name rule from its root.
  const withObject = jsonPatchOf(patchValue('[JSONPatch{op: "add", path: "/spec/template/metadata", value: Object{labels: {"a": "b"}}}]'));
  assert.deepEqual(withObject[0]!.value, { labels: { a: 'b' } });
  assert.throws(() => jsonPatchOf(patchValue('[1]')), /should evaluate to array of JSONPatch, got element of int/);
  assert.throws(() => jsonPatchOf(patchValue('JSONPatch{op: "add"}')), /must evaluate to list\(JSONPatch\)/);
});

test('compile errors: unknown construction types and syntax, at their offsets', () => {
  const p = compileMutatingPolicy({
    apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingAdmissionPolicy', metadata: { name: 'p' },
    spec: { mutations: [
      { patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{spec: Foo{}}' } },
      { patchType: 'JSONPatch', jsonPatch: { expression: '[JSONPatch{op "add"}]' } },
      { patchType: 'ApplyConfiguration', applyConfiguration: { expression: 'Object{spec: Object.spec{replicas: nope}}' } },
    ] },
  } as unknown as KubeObject);
  assert.deepEqual(p.mutations.map((m) => m.expression.error), [
    "compilation failed: ERROR: <input>:1:14: undeclared reference to 'Foo' (in container '')",
    "compilation failed: ERROR: <input>:1:15: Syntax error: mismatched input 'literal' expecting ':'",
    "compilation failed: ERROR: <input>:1:36: undeclared reference to 'nope' (in container '')",
  ]);
});
