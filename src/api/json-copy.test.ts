import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deepCopy } from './json-copy.ts';

test('deepCopy equals a JSON round trip and shares nothing', () => {
  const src = { a: 1, b: 'x', c: [1, { d: null }, undefined], e: undefined, f: { g: [true] } };
  const out = deepCopy(src);
  assert.deepEqual(out, JSON.parse(JSON.stringify(src)));
  assert.notEqual(out.f, src.f);
  assert.notEqual(out.f.g, src.f.g);
  assert.equal(deepCopy(undefined), undefined);
  assert.equal(deepCopy('s'), 's');
});

test('deepCopy keeps a decoded __proto__ key as data', () => {
  const src = JSON.parse('{"__proto__": {"polluted": true}, "x": 1}') as Record<string, unknown>;
  const out = deepCopy(src);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.deepEqual(Object.keys(out), ['__proto__', 'x']);
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  assert.equal(JSON.stringify(out), JSON.stringify(src));
});
