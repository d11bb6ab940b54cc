import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { JsonValue } from '../types.ts';
import { applyMergePatch, mergePatchValue } from './merge-patch.ts';
import { PatchError } from './patch-error.ts';

test('RFC 7386 examples', () => {
  // From the RFC's appendix: [target, patch, result]
  const cases: Array<[JsonValue, JsonValue, JsonValue]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];
  for (const [doc, patch, want] of cases) {
    assert.deepEqual(applyMergePatch(doc, patch), want, JSON.stringify(patch));
    assert.deepEqual(mergePatchValue(doc, patch), want, JSON.stringify(patch));
  }
  assert.deepEqual(mergePatchValue({ a: 1 }, ['c']), ['c']);
  assert.deepEqual(mergePatchValue({ a: 1 }, null), null);
});

test('merges a kubectl-style patch and leaves inputs alone', () => {
  const doc = { metadata: { name: 'x', labels: { a: '1', b: '2' } }, spec: { replicas: 1, template: { spec: { containers: [{ name: 'c' }] } } } };
  const copy = structuredClone(doc);
  const patch = { metadata: { labels: { a: null, c: '3' } }, spec: { replicas: 3 } };
  assert.deepEqual(applyMergePatch(doc, patch), {
    metadata: { name: 'x', labels: { b: '2', c: '3' } },
    spec: { replicas: 3, template: { spec: { containers: [{ name: 'c' }] } } },
  });
  assert.deepEqual(doc, copy);
});

test('nulls are pruned from replacing values as upstream does', () => {
  assert.deepEqual(applyMergePatch({ a: 1 }, { a: { x: null, y: 1 } }), { a: { y: 1 } });
  assert.deepEqual(applyMergePatch({ a: [1] }, { a: [{ x: null, y: 1 }, null] }), { a: [{ y: 1 }, null] });
  // An array replacing an object keeps its nulls (upstream quirk).
  assert.deepEqual(applyMergePatch({ a: { k: 1 } }, { a: [{ x: null }] }), { a: [{ x: null }] });
});

test('null and scalar patches are 400 Invalid JSON Patch; arrays replace the document', () => {
  for (const p of [null, 'x', 1, true] as JsonValue[]) {
    assert.throws(() => applyMergePatch({}, p), (e: unknown) => e instanceof PatchError && e.code === 400 && e.message === 'Invalid JSON Patch');
  }
  assert.deepEqual(applyMergePatch({ a: 1 }, [{ x: null }]), [{}]);
  assert.deepEqual(applyMergePatch({}, JSON.parse('{"__proto__":{"polluted":true}}')), JSON.parse('{"__proto__":{"polluted":true}}'));
  assert.equal(({} as Record<string, unknown>)['polluted'], undefined);
});

test('very deep values fail with a typed 400 instead of overflowing the stack', async () => {
  const { parseJson } = await import('../decode/json.ts');
  const { NestingTooDeepError } = await import('./json-values.ts');
  const deep = (d: number) => parseJson('{"a":'.repeat(d) + '1' + '}'.repeat(d));
  assert.ok(applyMergePatch(deep(1000), deep(1000)));
  const v = deep(9000);
  assert.throws(() => applyMergePatch(v, v), (e: unknown) => e instanceof NestingTooDeepError && e.code === 400);
});
