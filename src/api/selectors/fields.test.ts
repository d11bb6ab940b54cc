import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  Everything, defaultFieldLabelConversion, escapeFieldValue, parseFieldSelector, transformFieldSelector, unescapeFieldValue,
} from './fields.ts';
import { SelectorError } from './selector-error.ts';

function parseError(s: string): string {
  try {
    parseFieldSelector(s);
  } catch (e) {
    assert.ok(e instanceof SelectorError, String(e));
    assert.equal(e.code, 400);
    return e.message;
  }
  assert.fail(`expected ${JSON.stringify(s)} to fail`);
}

test('parses terms, sorted, with == folded into =', () => {
  const s = parseFieldSelector('status.phase!=Running,metadata.name==web');
  assert.deepEqual(s.requirements, [
    { field: 'metadata.name', operator: '=', value: 'web' },
    { field: 'status.phase', operator: '!=', value: 'Running' },
  ]);
  assert.equal(s.toString(), 'metadata.name=web,status.phase!=Running');
  assert.equal(s.requiresExactMatch('metadata.name'), 'web');
  assert.equal(s.requiresExactMatch('status.phase'), undefined);
  assert.equal(parseFieldSelector('a=').toString(), 'a=');
  assert.equal(parseFieldSelector('a!=b=c'.replace('=c', '\\=c')).requirements[0]!.value, 'b=c');
});

test('Everything fast path', () => {
  assert.equal(parseFieldSelector(''), Everything);
  assert.equal(parseFieldSelector(',,'), Everything);
  assert.equal(parseFieldSelector('='), Everything);
  assert.equal(Everything.matches(() => assert.fail('getter must not be called')), true);
});

test('matching through a getter or a record', () => {
  const obj: Record<string, string> = { 'metadata.name': 'web', 'spec.nodeName': '' };
  const get = (f: string) => obj[f] ?? '';
  assert.equal(parseFieldSelector('metadata.name=web').matches(get), true);
  assert.equal(parseFieldSelector('metadata.name=db').matches(get), false);
  assert.equal(parseFieldSelector('spec.nodeName=').matches(get), true);
  assert.equal(parseFieldSelector('spec.nodeName!=').matches(get), false);
  assert.equal(parseFieldSelector('missing!=x').matches(obj), true);
  assert.equal(parseFieldSelector('metadata.name=web,spec.nodeName=n1').matches(obj), false);
  assert.equal(parseFieldSelector('toString=').matches({}), true);
});

test('escaping', () => {
  assert.equal(escapeFieldValue('a,b=c\\d'), 'a\\,b\\=c\\\\d');
  assert.equal(unescapeFieldValue('a\\,b\\=c\\\\d'), 'a,b=c\\d');
  const s = parseFieldSelector('metadata.name=a\\,b,x=y');
  assert.deepEqual(s.requirements.map((r) => r.value), ['a,b', 'y']);
  assert.equal(s.toString(), 'metadata.name=a\\,b,x=y');
});

test('errors carry upstream texts', () => {
  assert.equal(parseError('abc'), "invalid selector: 'abc'; can't understand 'abc'");
  assert.equal(parseError('a=b,c'), "invalid selector: 'a=b,c'; can't understand 'c'");
  assert.equal(parseError('a=b=c'), 'invalid field selector: unescaped character in value: 61');
  assert.equal(parseError('a=b\\x'), 'invalid field selector: invalid escape sequence: \\x');
  assert.equal(parseError('a=b\\'), 'invalid field selector: invalid escape sequence: \\');
  assert.equal(parseError('a=b\\ü'), 'invalid field selector: invalid escape sequence: \\ü');
});

test('transform maps or rejects field labels', () => {
  const s = parseFieldSelector('metadata.name=a,metadata.namespace=b');
  assert.equal(transformFieldSelector(s, defaultFieldLabelConversion).toString(), 'metadata.name=a,metadata.namespace=b');
  assert.throws(() => transformFieldSelector(parseFieldSelector('spec.x=1'), defaultFieldLabelConversion),
    (e: unknown) => e instanceof SelectorError && e.message === '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"');
  assert.throws(() => transformFieldSelector(s, () => { throw new Error('field label not supported: metadata.name'); }),
    (e: unknown) => e instanceof SelectorError && e.code === 400 && e.message === 'field label not supported: metadata.name');
  assert.equal(transformFieldSelector(s, () => ({ field: '', value: '' })), Everything);
});
