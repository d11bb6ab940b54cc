import { test } from 'node:test';
import assert from 'node:assert/strict';
import { JsonSyntaxError, JsonValueError, SKIP, UNKNOWN, decodeJson, parseJson, strictFieldErrorText } from './json.ts';
import type { FieldTracker } from './json.ts';

function syntax(text: string): JsonSyntaxError {
  try {
    decodeJson(text);
  } catch (e) {
    assert.ok(e instanceof JsonSyntaxError, `${JSON.stringify(text)}: ${String(e)}`);
    return e;
  }
  assert.fail(`expected ${JSON.stringify(text)} to be rejected`);
}

test('decodes what JSON.parse decodes', () => {
  const docs = ['{}', '[]', '0', '-0.5e-3', '"x"', 'true', 'false', 'null', ' {"a" : [1, 2.5, {"b": null}], "c": "\\u00e9\\n\\"\\/\\\\"} ',
    '{"a":{"b":{"c":[[],[{}]]}}}', '"\\ud83d\\ude00"', '1E+2', '[1e2,1E-2,0.0]'];
  for (const d of docs) assert.deepEqual(decodeJson(d).value, JSON.parse(d), d);
  assert.deepEqual(decodeJson(Buffer.from('{"a":"é"}')).value, { a: 'é' });
  assert.deepEqual(decodeJson(new TextEncoder().encode('[1]')).value, [1]);
});

test('Go string decoding rules', () => {
  // Lone surrogate escapes become U+FFFD; a pair combines.
  assert.equal(parseJson('"\\ud800"'), '\ufffd');
  assert.equal(parseJson('"\\udc00x"'), '\ufffdx');
  assert.equal(parseJson('"\\ud800\\u0041"'), '\ufffdA');
  assert.equal(parseJson('"a\\ud83d\\ude00b"'), 'a😀b');
  // Invalid UTF-8 bytes become U+FFFD.
  assert.equal(parseJson(Buffer.from([0x22, 0xff, 0x22])), '\ufffd');
});

test('syntax errors use Go texts', () => {
  const cases: Array<[string, string]> = [
    ['', 'unexpected end of JSON input'],
    ['   ', 'unexpected end of JSON input'],
    ['{', 'unexpected end of JSON input'],
    ['{"a"', 'unexpected end of JSON input'],
    ['{"a":', 'unexpected end of JSON input'],
    ['{"a":1', 'unexpected end of JSON input'],
    ['[1,', 'unexpected end of JSON input'],
    ['"abc', 'unexpected end of JSON input'],
    ['{"a":1,}', "invalid character '}' looking for beginning of object key string"],
    ['{a:1}', "invalid character 'a' looking for beginning of object key string"],
    ["{'a':1}", "invalid character '\\'' looking for beginning of object key string"],
    ['{"a" 1}', "invalid character '1' after object key"],
    ['{"a":1 "b":2}', 'invalid character \'"\' after object key:value pair'],
    ['[1 2]', "invalid character '2' after array element"],
    ['[1,]', "invalid character ']' looking for beginning of value"],
    ['[,1]', "invalid character ',' looking for beginning of value"],
    ['{} x', "invalid character 'x' after top-level value"],
    ['{}}', "invalid character '}' after top-level value"],
    ['01', "invalid character '1' after top-level value"],
    ['[01]', "invalid character '1' after array element"],
    ['{"a":01}', "invalid character '1' after object key:value pair"],
    ['-', "invalid character ' ' in numeric literal"],
    ['-a', "invalid character 'a' in numeric literal"],
    ['1.', "invalid character ' ' after decimal point in numeric literal"],
    ['[1.x]', "invalid character 'x' after decimal point in numeric literal"],
    ['1e', "invalid character ' ' in exponent of numeric literal"],
    ['1e+]', "invalid character ']' in exponent of numeric literal"],
    ['.5', "invalid character '.' looking for beginning of value"],
    ['+1', "invalid character '+' looking for beginning of value"],
    ['tru', "invalid character ' ' in literal true (expecting 'e')"],
    ['trUe', "invalid character 'U' in literal true (expecting 'u')"],
    ['nul', "invalid character ' ' in literal null (expecting 'l')"],
    ['fals', "invalid character ' ' in literal false (expecting 'e')"],
    ['nil', "invalid character 'i' in literal null (expecting 'u')"],
    ['"a\tb"', "invalid character '\\t' in string literal"],
    ['"a\nb"', "invalid character '\\n' in string literal"],
    ['"\u0001"', "invalid character '\\x01' in string literal"],
    ['"\\x"', "invalid character 'x' in string escape code"],
    ['"\\', "invalid character ' ' in string escape code"],
    ['"\\u12g4"', "invalid character 'g' in \\u hexadecimal character escape"],
    ['"\\u12', "invalid character ' ' in \\u hexadecimal character escape"],
    ['\ufeff{}', "invalid character 'ï' looking for beginning of value"],
    ['{é:1}', "invalid character 'Ã' looking for beginning of object key string"],
    ['\u0085', "invalid character 'Â' looking for beginning of value"],
    ['[NaN]', "invalid character 'N' looking for beginning of value"],
    ['{"a":1}\u0000', "invalid character '\\x00' after top-level value"],
    ['\u007f', "invalid character '\\x7f' looking for beginning of value"],
  ];
  for (const [text, msg] of cases) assert.equal(syntax(text).message, msg, JSON.stringify(text));
});

test('syntax errors carry a position', () => {
  const e = syntax('{\n  "a": 1,\n  "b": x\n}');
  assert.equal(e.line, 3);
  assert.equal(e.column, 8);
  assert.equal(e.offset, 20);
  assert.equal(syntax('{"é":x}').offset, 7); // bytes, as Go counts
  assert.equal(syntax('{').offset, 1);
});

test('depth is limited to 10000 like Go', () => {
  assert.deepEqual(decodeJson('['.repeat(10000) + ']'.repeat(10000)).strictErrors, []);
  assert.equal(syntax('['.repeat(10001) + ']'.repeat(10001)).message, "invalid character '[' exceeded max depth");
  assert.equal(syntax('{"a":'.repeat(10001) + '1' + '}'.repeat(10001)).message, "invalid character '{' exceeded max depth");
});

test('numbers Go cannot hold fail after the syntax check', () => {
  assert.throws(() => decodeJson('[1e400]'), (e: unknown) => e instanceof JsonValueError &&
    e.message === 'json: cannot unmarshal number 1e400 into Go value of type float64');
  assert.throws(() => decodeJson('[1e400,'), JsonSyntaxError);
});

test('duplicate fields are reported with Go paths, last value wins', () => {
  const r = decodeJson('{"metadata":{"name":"a","name":"b"},"spec":{"containers":[{"name":"x"},{"name":"y","image":"i","image":"j"}]},"spec2":1,"spec2":2,"spec2":3}');
  assert.deepEqual(r.strictErrors.map(strictFieldErrorText), [
    'duplicate field "metadata.name"',
    'duplicate field "spec.containers[1].image"',
    'duplicate field "spec2"',
  ]);
  assert.deepEqual(r.value, { metadata: { name: 'b' }, spec: { containers: [{ name: 'x' }, { name: 'y', image: 'j' }] }, spec2: 3 });
  assert.deepEqual(decodeJson('[[{"a":1,"a":2}]]').strictErrors, [{ kind: 'duplicate', path: '[0][0].a' }]);
  assert.deepEqual(decodeJson('{"a":1,"a":2}', { duplicates: false }).strictErrors, []);
  assert.equal(strictFieldErrorText({ kind: 'duplicate', path: 'a"b\u0001' }), 'duplicate field "a\\"b\\x01"');
  // Keys that exist on Object.prototype are ordinary keys.
  assert.deepEqual(decodeJson('{"toString":1,"constructor":2}').strictErrors, []);
  const proto = decodeJson('{"__proto__":{"x":1},"__proto__":{"y":1}}');
  assert.deepEqual(proto.strictErrors, [{ kind: 'duplicate', path: '__proto__' }]);
  assert.equal(Object.getPrototypeOf(proto.value), Object.prototype);
  assert.equal(({} as Record<string, unknown>)['y'], undefined);
});

test('at most 100 strict errors', () => {
  const text = `{${Array.from({ length: 300 }, (_, i) => `"k${i % 150}":1`).join(',')}}`;
  assert.equal(decodeJson(text).strictErrors.length, 100);
});

test('a tracker decides unknown fields, skipping checks below them', () => {
  // Objects may have "known" and "list"; list items may have "name"; "blob" is unchecked.
  type Ctx = 'root' | 'list' | 'item' | 'leaf';
  const tracker: FieldTracker<Ctx> = {
    member(ctx, key) {
      if (ctx === 'root') return key === 'known' ? 'leaf' : key === 'list' ? 'list' : key === 'blob' ? SKIP : UNKNOWN;
      if (ctx === 'item') return key === 'name' ? 'leaf' : UNKNOWN;
      return UNKNOWN;
    },
    item: (ctx) => (ctx === 'list' ? 'item' : SKIP),
  };
  const r = decodeJson('{"known":1,"extra":{"a":1,"a":2},"list":[{"name":"a","bad":1,"name":"b"}],"blob":{"x":1,"x":2},"extra":3,"known":2}',
    { tracker, root: 'root' });
  assert.deepEqual(r.strictErrors.map(strictFieldErrorText), [
    'unknown field "extra"',
    'unknown field "list[0].bad"',
    'duplicate field "list[0].name"',
    'duplicate field "known"',
  ]);
  // Unknown fields stay in the value; dropping them is the caller's choice.
  assert.deepEqual(r.value, { known: 2, extra: 3, list: [{ name: 'b', bad: 1 }], blob: { x: 2 } });
});

test('a megabyte decodes in milliseconds', () => {
  const items = Array.from({ length: 4000 }, (_, i) => ({
    metadata: { name: `cm-${i}`, labels: { app: 'x', i: String(i) }, annotations: { note: 'with "quotes" and é' } },
    data: { key: 'value '.repeat(20), n: i * 3.5 }, list: [1, 2.5, -3e10, true, false, null],
  }));
  const text = JSON.stringify({ items });
  assert.ok(text.length > 900_000);
  for (let i = 0; i < 5; i++) decodeJson(text); // warm up
  const t = performance.now();
  const r = decodeJson(text);
  const ms = performance.now() - t;
  assert.deepEqual(r.value, JSON.parse(text));
  assert.ok(ms < 100, `took ${ms} ms`);
});
