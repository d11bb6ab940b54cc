import { test } from 'node:test';
import assert from 'node:assert/strict';
import { YamlError, decodeYaml, yamlStrictErrorText } from './yaml.ts';
import { before } from 'node:test';
import { loadYaml } from './yaml-lib.ts';

// The decoders use the yaml library, which the server loads on first use.
before(() => loadYaml());

function fails(src: string): string {
  try {
    decodeYaml(src);
  } catch (e) {
    assert.ok(e instanceof YamlError, `${JSON.stringify(src)}: ${String(e)}`);
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(src)} to fail`);
}

test('scalars resolve as go-yaml v2 (YAML 1.1) does', () => {
  const { value } = decodeYaml([
    'int: 1', 'bool1: yes', 'bool2: Off', 'oct: 0o17', 'oldoct: 017', 'hex: 0x1F', 'under: 1_000', 'float: 1.5', 'dot: .5',
    'exp: 1e3', 'tilde: ~', 'empty:', 'date: 2001-12-14', 'quoted: "123"', 'single: \'yes\'', 'tagged: !!str 123',
    'tfloat: !!float 1', 'eight: 08', 'plus: +1', 'bin: -0b11', 'huge: 1e400', 'text: hello world', 'nan: NaN',
    'block: |\n  two\n  lines', 'folded: >\n  one\n  line', 'last: |\n  no break at the end',
  ].join('\n'));
  assert.deepEqual(value, {
    int: 1, bool1: true, bool2: false, oct: 15, oldoct: 15, hex: 31, under: 1000, float: 1.5, dot: 0.5, exp: 1000, tilde: null,
    empty: null, date: '2001-12-14', quoted: '123', single: 'yes', tagged: '123', tfloat: 1, eight: 8, plus: 1, bin: -3,
    huge: '1e400', text: 'hello world', nan: 'NaN', block: 'two\nlines\n', folded: 'one line\n', last: 'no break at the end',
  });
});

test('keys become JSON strings the way sigs.k8s.io/yaml makes them', () => {
  // y/n are booleans in YAML 1.1, so these keys become "true"/"false".
  assert.deepEqual(decodeYaml('y: 1\nn: 2\n1: a\n1.5: b\n"q": c').value, { true: 1, false: 2, '1': 'a', '1.5': 'b', q: 'c' });
  assert.equal(fails('~: 1'), 'unsupported map key of type: %!s(<nil>), key: <nil>, value: 1');
});

test('duplicate keys are reported with go-yaml lines; the last value wins', () => {
  const r = decodeYaml('metadata:\n  name: a\n  name: b\nspec:\n  x: 1\nspec:\n  z: 2\n');
  assert.deepEqual(r.value, { metadata: { name: 'b' }, spec: { z: 2 } });
  assert.deepEqual(r.duplicates, ['line 3: key "name" already set in map', 'line 7: key "spec" already set in map']);
  assert.equal(yamlStrictErrorText(r.duplicates),
    'yaml: unmarshal errors:\n  line 3: key "name" already set in map\n  line 7: key "spec" already set in map');
  // An empty value takes the line of what follows it.
  assert.deepEqual(decodeYaml('a: 1\na:\n\nb: 2\n').duplicates, ['line 4: key "a" already set in map']);
  assert.deepEqual(decodeYaml('{a: 1, a: 2}').duplicates, ['line 1: key "a" already set in map']);
  assert.deepEqual(decodeYaml('1: a\n1: b').duplicates, ['line 2: key 1 already set in map']);
  // Distinct YAML keys that become the same JSON key are not duplicates to go-yaml.
  assert.deepEqual(decodeYaml('1: a\n"1": b').duplicates, []);
});

test('anchors, aliases and merge keys', () => {
  const r = decodeYaml('base: &b\n  x: 1\n  z: 2\nc:\n  <<: *b\n  z: 3\nd: *b\ne:\n  <<: [{p: 1}, {p: 2, q: 2}]\n');
  assert.deepEqual(r.value, { base: { x: 1, z: 2 }, c: { x: 1, z: 3 }, d: { x: 1, z: 2 }, e: { p: 1, q: 2 } });
  // go-yaml v2's strict mode counts an override of a merged key as a duplicate.
  assert.deepEqual(r.duplicates, ['line 6: key "z" already set in map', 'line 9: key "p" already set in map']);
  assert.equal(fails('a: &a [1, *a]'), "yaml: anchor 'a' value contains itself");
  assert.equal(fails('a: *nope'), "yaml: unknown anchor 'nope' referenced");
  assert.equal(fails('a:\n  <<: 1'), 'yaml: map merge requires map or sequence of maps as the value');
});

test('alias bombs are refused', () => {
  const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
  assert.equal(fails(lines.join('\n')), 'yaml: document contains excessive aliasing');
});

test('only the first document counts', () => {
  assert.deepEqual(decodeYaml('a: 1\n---\nb: [\n').value, { a: 1 });
  assert.deepEqual(decodeYaml('').value, null);
  assert.deepEqual(decodeYaml('# just a comment\n').value, null);
  assert.deepEqual(decodeYaml(Buffer.from('- 1\n- two\n')).value, [1, 'two']);
});

test('syntax errors', () => {
  assert.equal(fails('a: b: c'), 'yaml: line 1: mapping values are not allowed in this context');
  assert.equal(fails('a:\n\tb: 1'), 'yaml: line 2: found character that cannot start any token');
  assert.equal(fails('a: [1, 2\n'), "yaml: line 2: did not find expected ',' or ']'");
  assert.match(fails('a: "open\n'), /^yaml: line \d+: /);
  assert.equal(fails('x: .inf'), 'json: unsupported value: +Inf');
  assert.equal(fails('x: !!int abc'), 'yaml: cannot decode !!str `abc` as a !!int');
  assert.equal(fails('x: !!binary "%%%"'), 'yaml: line 1: !!binary value contains invalid base64 data');
  assert.equal(decodeYaml('x: !!binary aGVsbG8=').value && (decodeYaml('x: !!binary aGVsbG8=').value as { x: string }).x, 'hello');
});
