import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConstructionSyntaxError, constructedType, escapeKey, rewriteConstructions, toJsonValue, typeNameMismatches } from './construction.ts';
import { kubernetesEnvironment } from './index.ts';

const env = kubernetesEnvironment({ patchTypes: true, declare: (e) => e.registerVariable('object', 'dyn') });

function run(expr: string, object: unknown = {}): unknown {
  return env.parse(rewriteConstructions(expr).text)({ object });
}

test('text without constructions is left as it is', () => {
  for (const src of ['object.a + 1', '{"a": 1}', 'x in {"a": 1}', '[1].map(x, {"k": x})', '"Object{a: 1}"', "r'{'", '// Object{a: 1}\n1', '']) {
    const r = rewriteConstructions(src);
    assert.equal(r.text, src);
    assert.deepEqual(r.constructions, []);
  }
});

test('a construction becomes a call on maps of its fields; optional fields go apart', () => {
  const r = rewriteConstructions('Object.spec{replicas: 3, ?paused: x}');
  assert.equal(r.text, 'kubevisor_construct("Object.spec", {"replicas": dyn(3)}, {"paused": dyn(x)})');
  assert.deepEqual(r.constructions, [{ name: 'Object.spec', offset: 0 }]);
});

test('nested constructions, strings holding braces, comments and map literals', () => {
  const src = `Object{
    // a comment with Object{x: 1} and }
    metadata: Object.metadata{labels: {"a}": "{b"}},
    spec: Object.spec{template: Object.spec.template{spec: Object.spec.template.spec{containers: [Object.spec.template.spec.containers{name: 'c{', image: """i}"""}]}}},
  }`;
  const r = rewriteConstructions(src);
  assert.deepEqual(r.constructions.map((c) => c.name),
    ['Object', 'Object.metadata', 'Object.spec', 'Object.spec.template', 'Object.spec.template.spec', 'Object.spec.template.spec.containers']);
  const v = env.parse(r.text)({ object: {} }) as Record<string, Record<string, unknown>>;
  assert.equal(constructedType(v), 'Object');
  assert.deepEqual(toJsonValue(v), {
    metadata: { labels: { 'a}': '{b' } },
    spec: { template: { spec: { containers: [{ name: 'c{', image: 'i}' }] } } },
  });
  assert.equal(constructedType(v.spec), 'Object.spec');
  assert.deepEqual(typeNameMismatches(v), []);
});

test('optional fields are set only when they have a value; fields read back as a map', () => {
  assert.deepEqual(toJsonValue(run('Object{?a: object.?x, ?b: object.?y, c: 1}', { x: 2n })), { a: 2, c: 1 });
  assert.equal(run('Object{a: 1}.a'), 1n);
  assert.equal(run('"b" in Object{a: 1}'), false);
  assert.equal(run('.Object{a: 1}.a'), 1n);
  assert.deepEqual(toJsonValue(run('[1, 2].map(i, JSONPatch{op: "add", path: "/a/" + string(i), value: i})')),
    [{ op: 'add', path: '/a/1', value: 1 }, { op: 'add', path: '/a/2', value: 2 }]);
});

test('JSONPatch fields are checked as upstream types them', () => {
  assert.throws(() => run('JSONPatch{op: 1}'), /unexpected type int64 for JSONPatchType 'op' field/);
  assert.throws(() => run('JSONPatch{op: "add", other: 1}'), /unexpected JSONPatchType field: other/);
});

test('jsonpatch.escapeKey escapes a JSON pointer token', () => {
  assert.equal(run('"/metadata/labels/" + jsonpatch.escapeKey("k8s.io/my~label")'), '/metadata/labels/k8s.io~1my~0label');
  assert.equal(escapeKey('a/b~c'), 'a~1b~0c');
});

test('error offsets point into the original text', () => {
  const src = 'Object{spec: Object.spec{replicas: nope}}';
  const r = rewriteConstructions(src);
  const checked = env.parse(r.text).check();
  assert.equal(checked.valid, false);
  const start = (checked.error as { range?: { start: number } }).range!.start;
  assert.equal(r.toOriginal(start), src.indexOf('nope'));
  // A syntax error in a construction is reported at its place.
  assert.throws(() => rewriteConstructions('Object{a 1}'), (e: ConstructionSyntaxError) => e.offset === 9 && /expecting ':'/.test(e.message));
  assert.throws(() => rewriteConstructions('Object{a: 1'), (e: ConstructionSyntaxError) => e instanceof ConstructionSyntaxError);
  assert.throws(() => rewriteConstructions('Object{1: 1}'), (e: ConstructionSyntaxError) => e.offset === 7);
  // An error after a construction maps past it.
  const s2 = 'Object{a: 1} + @';
  const r2 = rewriteConstructions(s2);
  let at = -1;
  try { env.parse(r2.text); } catch (e) { at = r2.toOriginal((e as { range: { start: number } }).range.start); }
  assert.equal(at, s2.indexOf('@'));
});

test('type names must follow the field path from the root Object', () => {
  const v = run('Object{spec: Object.spec{selector: Object.spec.wrong{}}}');
  assert.deepEqual(typeNameMismatches(v), [
    'unexpected type name "Object.spec.wrong", expected "Object.spec.selector", which matches field name path from root Object type',
  ]);
  // Lists and maps in between do not count.
  assert.deepEqual(typeNameMismatches(run('Object{spec: Object.spec{c: [Object.spec.c{}], m: {"k": Object.spec.m{}}}}')), []);
});

test('CEL values become JSON', () => {
  assert.deepEqual(toJsonValue(run('{"a": dyn(1), "b": dyn(1.5), "c": dyn(b"hi"), "d": dyn([dyn(true), dyn(null)]), "e": dyn(2u)}')), { a: 1, b: 1.5, c: 'aGk=', d: [true, null], e: 2 });
  assert.equal(toJsonValue(run('timestamp("2024-01-02T03:04:05Z")')), '2024-01-02T03:04:05Z');
});
