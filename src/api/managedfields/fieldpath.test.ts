import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  FieldSet, FieldsV1Error, compareValues, deserializeElement, keyElement, makePath, pathString, serializeElement,
  valueElement,
} from './index.ts';

const web = keyElement({ name: 'web' });

test('FieldsV1: "." marks a member that also has children; members without children are {}', () => {
  const s = FieldSet.fromPaths([
    ['metadata', 'labels'], ['metadata', 'labels', 'app'],
    ['spec', 'containers', web], ['spec', 'containers', web, 'image'], ['spec', 'containers', web, 'name'],
  ]);
  const want = '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{}}}}}';
  assert.equal(s.toFieldsV1Json(), want);
  assert.equal(JSON.stringify(s.toFieldsV1()), want);
  // Parents that are not members get no ".".
  assert.equal(FieldSet.fromPaths([['spec', 'replicas']]).toFieldsV1Json(), '{"f:spec":{"f:replicas":{}}}');
  assert.equal(new FieldSet().toFieldsV1Json(), '{}');
});

test('FieldsV1 keys are ordered by element: fields, keys, values, indices; values numerically', () => {
  const s = FieldSet.fromPaths([
    ['ports', keyElement({ containerPort: 10, protocol: 'TCP' })],
    ['ports', keyElement({ containerPort: 9, protocol: 'TCP' })],
    ['ports', keyElement({ containerPort: 9, protocol: 'UDP' })],
    ['b'], ['a'], ['B'],
    ['set', valueElement('b')], ['set', valueElement(2)], ['set', valueElement('a')], ['set', valueElement(true)],
  ]);
  assert.deepEqual(Object.keys(s.toFieldsV1()), ['f:B', 'f:a', 'f:b', 'f:ports', 'f:set']);
  assert.deepEqual(Object.keys(s.toFieldsV1()['f:ports'] as object), [
    'k:{"containerPort":9,"protocol":"TCP"}', 'k:{"containerPort":9,"protocol":"UDP"}', 'k:{"containerPort":10,"protocol":"TCP"}',
  ]);
  assert.deepEqual(Object.keys(s.toFieldsV1()['f:set'] as object), ['v:2', 'v:"a"', 'v:"b"', 'v:true']);
  // Key fields are sorted by name whatever order they are given in.
  assert.equal(serializeElement(keyElement({ protocol: 'TCP', containerPort: 80 })), 'k:{"containerPort":80,"protocol":"TCP"}');
  assert.ok(compareValues(1, 'a') < 0 && compareValues('a', false) < 0 && compareValues(true, []) < 0 && compareValues({}, null) < 0);
});

test('FieldsV1 decode: round trip, "." membership, unknown element types dropped, errors', () => {
  const text = '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{}}},"f:finalizers":{"v:\\"a\\"":{}},"f:args":{"i:0":{}}}}';
  const s = FieldSet.fromFieldsV1(JSON.parse(text));
  assert.ok(s.has(makePath('metadata', 'labels')));
  assert.ok(!s.has(makePath('metadata')));
  assert.ok(s.has(makePath('spec', 'containers', web, 'image')));
  assert.ok(s.has(makePath('spec', 'finalizers', valueElement('a'))));
  assert.ok(s.has(makePath('spec', 'args', 0)));
  assert.equal(s.size(), 7);
  assert.equal(s.toFieldsV1Json(), '{"f:metadata":{"f:labels":{".":{},"f:app":{}}},"f:spec":{"f:args":{"i:0":{}},"f:containers":{"k:{\\"name\\":\\"web\\"}":{".":{},"f:image":{},"f:name":{}}},"f:finalizers":{"v:\\"a\\"":{}}}}');
  // A future element type is ignored, like upstream.
  assert.equal(FieldSet.fromFieldsV1({ 'f:a': {}, 'x:b': {} }).toFieldsV1Json(), '{"f:a":{}}');
  assert.throws(() => FieldSet.fromFieldsV1({ f: {} }), FieldsV1Error);
  assert.throws(() => FieldSet.fromFieldsV1({ 'fx': {} }), /missing colon: fx/);
  assert.throws(() => FieldSet.fromFieldsV1({ 'k:{bad': {} }), FieldsV1Error);
  assert.throws(() => FieldSet.fromFieldsV1({ 'f:a': 1 }), FieldsV1Error);
  assert.equal(FieldSet.fromFieldsV1(null).isEmpty(), true);
  assert.deepEqual(deserializeElement('k:{"b":1,"a":"x"}'), keyElement({ a: 'x', b: 1 }));
});

test('paths print as upstream: fields, keys, set values, indices', () => {
  assert.equal(pathString(makePath('spec', 'replicas')), '.spec.replicas');
  assert.equal(pathString(makePath('spec', 'containers', web, 'image')), '.spec.containers[name="web"].image');
  assert.equal(pathString(makePath('ports', keyElement({ protocol: 'TCP', containerPort: 80 }))), '.ports[containerPort=80,protocol="TCP"]');
  assert.equal(pathString(makePath('metadata', 'finalizers', valueElement('a/b'))), '.metadata.finalizers[="a/b"]');
  assert.equal(pathString(makePath('args', 2)), '.args[2]');
});

test('set operations: union, intersection, difference, recursive difference', () => {
  const a = FieldSet.fromPaths([['a'], ['b', 'c'], ['b', 'd'], ['e']]);
  const b = FieldSet.fromPaths([['a'], ['b', 'c'], ['b'], ['f', 'g']]);
  assert.equal(a.union(b).toString(), '.a\n.b\n.e\n.b.c\n.b.d\n.f.g');
  assert.equal(a.intersection(b).toString(), '.a\n.b.c');
  assert.equal(a.difference(b).toString(), '.e\n.b.d');
  // Difference removes leaves only: parent - child = parent, child - parent = child.
  assert.equal(b.difference(FieldSet.fromPaths([['b', 'c']])).toString(), '.a\n.b\n.f.g');
  assert.equal(a.difference(FieldSet.fromPaths([['b']])).toString(), '.a\n.e\n.b.c\n.b.d');
  // Recursive difference removes a member and everything below it.
  assert.equal(a.recursiveDifference(FieldSet.fromPaths([['b']])).toString(), '.a\n.e');
  assert.ok(a.difference(a).isEmpty());
  assert.equal(a.difference(a).toFieldsV1Json(), '{}');
  assert.ok(a.has(makePath('b', 'd')) && !a.has(makePath('b')) && !a.has([]));
  assert.equal(a.size(), 4);
  assert.ok(a.equals(FieldSet.fromPaths([['e'], ['b', 'd'], ['b', 'c'], ['a']])));
});
