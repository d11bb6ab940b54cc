import { test } from 'node:test';
import assert from 'node:assert/strict';
import { expectErrors, expectValues } from './testing.ts';

const self = { matches: [{ path: { type: 'Exact', value: '/x' } }], items: [{ a: 1 }, { b: 2 }] };

test('has() of a field of any expression: an index, a call', () => {
  expectValues([
    ['has(self.matches[0].path)', true],
    ['has(self.matches[0].headers)', false],
    ['has(self.matches[0].path.type)', true],
    ["has(self.items.filter(i, has(i.b))[0].b)", true],
    ['has(self.matches)', true],
    ["has({'a': 1}.a)", true],
  ], { self });
  expectErrors([
    ['has(self.matches[1].path)', /index out of bounds/],
    ['has(self.nope.path)', 'No such key: nope'],
    ['has(self)', 'has() invalid argument'],
  ], { self });
});

test('optionals compare as in cel-go: never equal to null, by value to each other', () => {
  expectValues([
    ["format.dns1123Label().validate('ok') == null", false],
    ["format.dns1123Label().validate('Not_OK') == null", false],
    ["format.dns1123Label().validate('ok') != null", true],
    ['null == optional.none()', false],
    ['optional.none() == optional.none()', true],
    ['optional.of(1) == optional.of(1)', true],
    ['optional.of({"a": [1]}) == optional.of({"a": [1]})', true],
    ['optional.of(1) == optional.of(2)', false],
    ['optional.of(1) != optional.none()', true],
  ]);
});

test('|| and && failing on both sides report the left error, as cel-go', () => {
  expectErrors([
    ['self.a.b || self.c.d', 'No such key: a'],
    ['self.a.b && self.c.d', 'No such key: a'],
    ['false || self.c.d', 'No such key: c'],
    ['true && self.c.d', 'No such key: c'],
  ], { self: {} });
  expectValues([
    ['self.a.b || true', true],
    ['true || self.a.b', true],
    ['self.a.b && false', false],
    ['false && self.a.b', false],
  ], { self: {} });
});
