import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compareUtf8, firstUtf8Byte, goFormatFloat, goJsonMarshal, goQuote, goQuoteByte, goSprintValue } from './go-text.ts';

test('goQuote follows strconv.Quote', () => {
  assert.equal(goQuote('spec.foo'), '"spec.foo"');
  assert.equal(goQuote('a"b\\c'), '"a\\"b\\\\c"');
  assert.equal(goQuote('\n\t\u0001\u007f'), '"\\n\\t\\x01\\x7f"');
  assert.equal(goQuote('é😀'), '"é😀"');
  assert.equal(goQuote('\u00a0\u200b'), '"\\u00a0\\u200b"');
});

test('goQuoteByte quotes one scanner byte', () => {
  assert.equal(goQuoteByte(0x27), "'\\''");
  assert.equal(goQuoteByte(0x22), "'\"'");
  assert.equal(goQuoteByte(0x7d), "'}'");
  assert.equal(goQuoteByte(0xc3), "'Ã'");
  assert.equal(goQuoteByte(0x85), "'\\u0085'");
  assert.equal(firstUtf8Byte('😀', 0), 0xf0);
});

test('float formatting as strconv g with shortest digits', () => {
  assert.equal(goFormatFloat(1.5), '1.5');
  assert.equal(goFormatFloat(1234567.5), '1.2345675e+06');
  assert.equal(goFormatFloat(123456.5), '123456.5');
  assert.equal(goFormatFloat(0.0001), '0.0001');
  assert.equal(goFormatFloat(0.00001), '1e-05');
  assert.equal(goFormatFloat(-2.5e-7), '-2.5e-07');
  assert.equal(goFormatFloat(Infinity), '+Inf');
  assert.equal(goFormatFloat(1.1, 32), '1.1');
});

test('fmt %v of decoded JSON and json.Marshal order', () => {
  assert.equal(goSprintValue({ b: [1, 'x', null, true], a: { c: 2.5 } }), 'map[a:map[c:2.5] b:[1 x <nil> true]]');
  assert.equal(goSprintValue({}), 'map[]');
  assert.equal(goJsonMarshal({ b: 1, a: '<&>', c: [null, false] }), '{"a":"\\u003c\\u0026\\u003e","b":1,"c":[null,false]}');
  assert.ok(compareUtf8('\uffff', '😀') < 0, 'a supplementary character sorts after U+FFFF in UTF-8');
  assert.ok(compareUtf8('a', 'b') < 0);
  assert.equal(compareUtf8('x', 'x'), 0);
});
