import { test } from 'node:test';
import assert from 'node:assert/strict';
import { canonicalQuantity, cmpQuantity, parseQuantity, quantityFormatError, quantitySuffixError, quantityString } from './quantity.ts';
import type { Quantity } from './quantity.ts';

const q = (s: string | number): Quantity => {
  const r = parseQuantity(s);
  assert.notEqual(typeof r, 'string', `parse ${s}`);
  return r as Quantity;
};

test('canonical form as the server writes it', () => {
  const cases: Array<[string | number, string]> = [
    ['0.5', '500m'], ['1000', '1k'], ['1024', '1024'], ['1.5Gi', '1536Mi'], ['2048Ki', '2Mi'], ['100m', '100m'],
    ['1e3', '1e3'], ['1.5e3', '1500'], ['129e6', '129e6'], ['128974848', '128974848'], ['0.5Ki', '512'], ['5000m', '5'],
    ['0', '0'], ['-1', '-1'], ['.5', '500m'], [2, '2'], [0.25, '250m'],
  ];
  for (const [input, want] of cases) assert.equal(quantityString(q(input)), want, String(input));
});

test('resource lists round up to milli units', () => {
  assert.equal(canonicalQuantity('0.1m', true), '1m');
  assert.equal(canonicalQuantity('1.0001', true), '1001m');
  assert.equal(canonicalQuantity('bogus', true), 'bogus');
});

test('malformed quantities give upstream errors', () => {
  assert.equal(parseQuantity('abc'), quantityFormatError);
  assert.equal(parseQuantity('1 Gi'), quantityFormatError);
  assert.equal(parseQuantity(''), quantityFormatError);
  assert.equal(parseQuantity('1e'), quantitySuffixError);
  assert.equal(parseQuantity('1Gb'), quantityFormatError);
  assert.equal(parseQuantity('1Gm'), quantitySuffixError);
});

test('comparison', () => {
  assert.equal(cmpQuantity(q('1Gi'), q('1024Mi')), 0);
  assert.equal(cmpQuantity(q('500m'), q('1')), -1);
  assert.equal(cmpQuantity(q('1k'), q('999')), 1);
});
