import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatFieldError } from '../errors.ts';
import { nameIsDNSLabel, nameIsDNSSubdomain } from './names.ts';
import { validateObjectMeta, validateObjectMetaUpdate } from './objectmeta.ts';

const ns = { namespaced: true, nameValidator: nameIsDNSSubdomain };
const fmt = (errs: ReturnType<typeof validateObjectMeta>): string[] => errs.map(formatFieldError);

test('name or generateName is required', () => {
  assert.deepEqual(fmt(validateObjectMeta({ namespace: 'default' }, ns)), ['metadata.name: Required value: name or generateName is required']);
});

test('generateName is checked as a prefix', () => {
  const errs = validateObjectMeta({ generateName: 'Web-', name: 'web-abcde', namespace: 'default' }, ns);
  assert.equal(errs.length, 1);
  assert.equal(errs[0]?.field, 'metadata.generateName');
  assert.equal(errs[0]?.type, 'FieldValueInvalid');
});

test('namespace required for namespaced kinds, forbidden for cluster kinds', () => {
  assert.deepEqual(fmt(validateObjectMeta({ name: 'x' }, ns)), ['metadata.namespace: Required value']);
  assert.deepEqual(fmt(validateObjectMeta({ name: 'x', namespace: 'a' }, { namespaced: false, nameValidator: nameIsDNSLabel })),
    ['metadata.namespace: Forbidden: not allowed on this type']);
  const bad = fmt(validateObjectMeta({ name: 'x', namespace: 'Bad' }, ns));
  assert.equal(bad.length, 1);
  assert.ok(bad[0]?.startsWith('metadata.namespace: Invalid value: "Bad": a lowercase RFC 1123 label must consist of'));
});

test('labels and annotations report at the map path', () => {
  const errs = validateObjectMeta({ name: 'x', namespace: 'd', labels: { 'bad key': 'ok', good: 'bad value!' }, annotations: { 'a/b/c': 'x' } }, ns);
  assert.deepEqual(errs.map((e) => [e.field, e.value]), [
    ['metadata.labels', 'bad key'], ['metadata.labels', 'bad value!'], ['metadata.annotations', 'a/b/c'],
  ]);
});

test('total annotation size is limited to 256 KiB', () => {
  const errs = validateObjectMeta({ name: 'x', namespace: 'd', annotations: { big: 'x'.repeat(262142) } }, ns);
  assert.deepEqual(fmt(errs), ['metadata.annotations: Too long: may not be more than 262144 bytes']);
  assert.deepEqual(validateObjectMeta({ name: 'x', namespace: 'd', annotations: { big: 'x'.repeat(262141) } }, ns), []);
});

test('owner references', () => {
  const errs = validateObjectMeta({ name: 'x', namespace: 'd', ownerReferences: [
    { apiVersion: 'apps/v1', kind: 'ReplicaSet', name: 'rs', uid: 'u1', controller: true },
    { apiVersion: 'a/b/c', kind: '', name: 'x', uid: 'u2', controller: true },
    { apiVersion: 'v1', kind: 'Event', name: 'e', uid: 'u3' },
  ] }, ns);
  assert.deepEqual(errs.map((e) => `${e.field}|${e.type}|${e.detail ?? ''}`), [
    'metadata.ownerReferences[1].apiVersion|FieldValueInvalid|must be <group>/<version> or <version>',
    'metadata.ownerReferences[1].kind|FieldValueRequired|must not be empty',
    'metadata.ownerReferences|FieldValueInvalid|Only one reference can have Controller set to true. Found "true" in references for ReplicaSet/rs and /x',
    'metadata.ownerReferences[2]|FieldValueInvalid|/v1, Kind=Event is disallowed from being an owner',
  ]);
});

test('finalizers: qualified names, standard unprefixed names, orphan vs foreground', () => {
  const errs = validateObjectMeta({ name: 'x', namespace: 'd', finalizers: ['example.com/f', 'kubernetes', 'custom', 'orphan', 'foregroundDeletion'] }, ns);
  assert.deepEqual(fmt(errs), [
    'metadata.finalizers: Invalid value: ["example.com/f","kubernetes","custom","orphan","foregroundDeletion"]: finalizer orphan and foregroundDeletion cannot be both set',
    'metadata.finalizers[2]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified',
  ]);
});

test('wrong JSON types are reported, not thrown', () => {
  assert.deepEqual(fmt(validateObjectMeta('x', ns)), ['metadata: Invalid value: "string": metadata in body must be of type object: "string"']);
  assert.deepEqual(fmt(validateObjectMeta({ name: 5, namespace: 'd', labels: ['a'], finalizers: 'f' }, ns)), [
    'metadata.name: Invalid value: "integer": metadata.name in body must be of type string: "integer"',
    'metadata.name: Required value: name or generateName is required',
    'metadata.labels: Invalid value: "array": metadata.labels in body must be of type object: "array"',
    'metadata.finalizers: Invalid value: "string": metadata.finalizers in body must be of type array: "string"',
  ]);
  assert.deepEqual(fmt(validateObjectMeta({ name: 'x', namespace: 'd', labels: { a: 1 } }, ns)),
    ['metadata.labels[a]: Invalid value: "integer": metadata.labels[a] in body must be of type string: "integer"']);
});

test('update: identity fields are immutable, generation may not go down', () => {
  const old = { name: 'a', namespace: 'd', uid: 'u', creationTimestamp: '2024-01-01T00:00:00Z', generation: 3 };
  const errs = validateObjectMetaUpdate({ ...old, name: 'b', uid: 'v', generation: 2 }, old);
  assert.deepEqual(fmt(errs), [
    'metadata.generation: Invalid value: 2: must not be decremented',
    'metadata.name: Invalid value: "b": field is immutable',
    'metadata.uid: Invalid value: "v": field is immutable',
  ]);
  assert.deepEqual(validateObjectMetaUpdate(old, old), []);
});

test('update: no new finalizers while deleting', () => {
  const old = { name: 'a', deletionTimestamp: '2024-01-01T00:00:00Z', finalizers: ['example.com/a'] };
  const errs = validateObjectMetaUpdate({ ...old, finalizers: ['example.com/a', 'example.com/b'] }, old);
  assert.deepEqual(fmt(errs), ['metadata.finalizers: Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{"example.com/b"}']);
});
