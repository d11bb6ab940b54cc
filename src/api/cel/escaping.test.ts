import { test } from 'node:test';
import assert from 'node:assert/strict';
import { escapeProperty } from './escaping.ts';

test("property names escape as Kubernetes' CEL escaping does", () => {
  const cases: Array<[string, string | undefined]> = [
    ['name', 'name'], ['namespace', '__namespace__'], ['in', '__in__'], ['if', '__if__'], ['import', '__import__'],
    ['foo-bar', 'foo__dash__bar'], ['a.b', 'a__dot__b'], ['a/b', 'a__slash__b'], ['a__b', 'a__underscores__b'],
    ['___x', '__underscores___x'], ['_x', '_x'], ['x.y-z/w', 'x__dot__y__dash__z__slash__w'],
    ['1abc', undefined], ['', undefined], ['a b', undefined], ['a:b', undefined], ['ü', undefined],
  ];
  for (const [name, want] of cases) assert.equal(escapeProperty(name), want, name);
});
